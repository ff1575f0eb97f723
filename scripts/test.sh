#!/usr/bin/env bash
# The test command (npm test): lint, type check, unit and integration tests on a real local control plane.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
source scripts/node22.sh
npx biome check .
npx tsc -p tsconfig.json
npx vitest run "$@"
