#!/usr/bin/env bash
# Source this file: puts the project's toolchain first on PATH, installing it from the npm registry into
# ~/.cache/spot-drainer/toolchain on first use: Node.js 22 (package `node@22`) when the machine's node is
# older than 22.19, and npm 10 (npm 11.19 cannot `npm ci` a lock file without other platforms' optional
# packages, which is what it writes itself).
_sd_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}
_sd_prefix="${SPOT_DRAINER_CACHE:-$HOME/.cache/spot-drainer}/toolchain"
_sd_packages=(npm@10)
_sd_node_ok || _sd_packages+=(node@22)
_sd_missing=0
[ -x "$_sd_prefix/node_modules/.bin/npm" ] || _sd_missing=1
_sd_node_ok || [ -x "$_sd_prefix/node_modules/node/bin/node" ] || _sd_missing=1
if [ "$_sd_missing" = 1 ]; then
  echo "spot-drainer: installing ${_sd_packages[*]} from the npm registry into $_sd_prefix" >&2
  mkdir -p "$_sd_prefix"
  if ! npm install --silent --no-save --no-audit --no-fund --prefix "$_sd_prefix" "${_sd_packages[@]}" >&2; then
    echo "spot-drainer: could not install ${_sd_packages[*]} from the npm registry" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
export PATH="$_sd_prefix/node_modules/.bin:$PATH"
if ! _sd_node_ok; then
  echo "spot-drainer: $(node --version 2>/dev/null || echo 'no node') is older than 22.19" >&2
  return 1 2>/dev/null || exit 1
fi
unset -f _sd_node_ok
unset _sd_prefix _sd_packages _sd_missing
