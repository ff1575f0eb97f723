#!/usr/bin/env bash
# The demo (npm run demo): a local control plane, a spot node pool, an AWS spot warning and an Azure
# Preempt handled by the real function handlers, step by step; everything is torn down afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
source scripts/node22.sh
exec node src/cli/main.ts demo "$@"
