#!/usr/bin/env bash
# Installs the template validators (scripts/validators-requirements.txt: cfn-lint, cfn-lint-serverless,
# checkov, pinned with their dependencies) from PyPI into a Python venv under the cache, not the repo:
#   ${SPOT_DRAINER_CACHE:-~/.cache/spot-drainer}/validators-<hash of the requirements>/
# and prints its bin directory. Does nothing when that venv is already complete (a second run takes
# well under a second). test/unit/infra finds it the same way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/scripts/validators-requirements.txt"
hash="$(sha256sum "$requirements" | cut -c1-12)"
venv="${SPOT_DRAINER_CACHE:-$HOME/.cache/spot-drainer}/validators-$hash"
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin"
  exit 0
fi
python="${SPOT_DRAINER_PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "spot-drainer: Python >= 3.9 with venv is needed for the template validators (cfn-lint, checkov)" >&2
  exit 1
fi
echo "spot-drainer: installing cfn-lint, cfn-lint-serverless and checkov from PyPI into $venv" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
touch "$venv/.complete"
echo "$venv/bin"
