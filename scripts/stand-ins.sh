#!/usr/bin/env bash
# Installs the cloud API stand-ins the integration tests start on loopback
# (scripts/stand-ins-requirements.txt: moto's server mode, pinned with its dependencies) from PyPI into a
# Python venv under the cache, not the repo:
#   ${SPOT_DRAINER_CACHE:-~/.cache/spot-drainer}/stand-ins-<hash of the requirements>/
# and prints its bin directory (moto_server is there). Does nothing when that venv is already complete.
# test/integration/stand-ins/moto.ts finds it the same way. Azurite, the Storage stand-in, is an npm
# devDependency.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/scripts/stand-ins-requirements.txt"
hash="$(sha256sum "$requirements" | cut -c1-12)"
venv="${SPOT_DRAINER_CACHE:-$HOME/.cache/spot-drainer}/stand-ins-$hash"
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin"
  exit 0
fi
python="${SPOT_DRAINER_PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "spot-drainer: Python >= 3.9 with venv is needed for the SQS stand-in (moto)" >&2
  exit 1
fi
echo "spot-drainer: installing moto (server mode) from PyPI into $venv" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
touch "$venv/.complete"
echo "$venv/bin"
