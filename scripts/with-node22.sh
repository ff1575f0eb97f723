#!/usr/bin/env bash
# Runs a command with Node.js >= 22.19 first on PATH (installing it from the npm registry if needed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node22.sh"
exec "$@"
