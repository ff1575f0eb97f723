#!/usr/bin/env bash
# Installs what spot-drainer needs on a fresh machine, and does nothing that is already done:
# Node.js 22 (from the npm registry), openssl (a Debian package), npm dependencies, the
# template validators (cfn-lint, cfn-lint-serverless, checkov: a Python venv from PyPI), moto (the SQS
# stand-in, another venv) and the
# control-plane binaries (etcd, Kubernetes, kwok) built once from the Go module proxy (cached in ~/.cache/spot-drainer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/node22.sh
source scripts/node22.sh

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "spot-drainer: installing ${missing[*]} (Debian packages)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "spot-drainer: please install ${missing[*]} (Debian: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

if { [ -z "${SPOT_DRAINER_K8S_BIN_DIR:-}" ] || [ -z "${SPOT_DRAINER_ETCD:-}" ]; } && ! command -v go >/dev/null 2>&1; then
  echo "spot-drainer: Go >= 1.24 is needed to build etcd, kube-apiserver, the controllers and kwok from the Go" \
    "module proxy (or set SPOT_DRAINER_K8S_BIN_DIR to prebuilt binaries)" >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Template validators for test/unit/infra: about 1.5 minutes the first time; afterwards a cache hit.
bash scripts/validators.sh >/dev/null
# moto's SQS server for the continuation tests: about half a minute the first time.
bash scripts/stand-ins.sh >/dev/null

# First run: about 5 minutes on 2 cores; afterwards a cache hit.
node src/local-cluster/build-binaries.ts >/dev/null
