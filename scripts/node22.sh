#!/usr/bin/env bash
# Source this file: puts a Node.js >= 22.19 first on PATH, installing it from the npm registry
# package `node@22` into ~/.cache/spot-drainer when the machine's node is older.
_spot_drainer_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}
if ! _spot_drainer_node_ok; then
  _sd_prefix="${SPOT_DRAINER_CACHE:-$HOME/.cache/spot-drainer}/node22"
  if [ ! -x "$_sd_prefix/node_modules/node/bin/node" ]; then
    echo "spot-drainer: installing Node.js 22 from the npm registry into $_sd_prefix" >&2
    mkdir -p "$_sd_prefix"
    npm install --silent --no-save --no-audit --no-fund --prefix "$_sd_prefix" node@22 >&2 || {
      echo "spot-drainer: could not install node@22 from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_sd_prefix/node_modules/node/bin:$PATH"
  _spot_drainer_node_ok || { echo "spot-drainer: $(node --version) is still older than 22.19" >&2; return 1 2>/dev/null || exit 1; }
fi
unset -f _spot_drainer_node_ok
