# shellcheck shell=bash
# Sourced by the project's scripts: makes sure a Node >= 22 is first on PATH.
# When the machine's Node is older (Debian 12 ships 18/20, both past end of life), Node 24 is taken
# from the npm registry package node-<os>-<arch> into .tools/node24 once, and reused after that, together
# with the npm that Node 24.9.0 ships (the npm package): the machine's npm may not build native modules for
# it. Debian's npm runs Debian's node-gyp, which links every add-on against Debian's libnode (libnode.so.108
# on Debian 12): loaded into Node 24, such an add-on (ssh2's sshcrypto, code-server's kerberos) crashes it.
MAILOPS_NODE_VERSION="${MAILOPS_NODE_VERSION:-24.9.0}"
MAILOPS_NPM_VERSION="${MAILOPS_NPM_VERSION:-11.6.0}"
MAILOPS_ROOT="${MAILOPS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

mailops_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

mailops_ensure_node() {
  local major pkg dir os arch
  major=$(mailops_node_major)
  if [ "$major" -ge 22 ] && [ -z "${MAILOPS_FORCE_NODE24:-}" ]; then
    return 0
  fi
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "mailops: unsupported OS $(uname -s) for the bundled Node; install Node >= 22" >&2; return 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "mailops: unsupported CPU $(uname -m) for the bundled Node; install Node >= 22" >&2; return 1 ;; esac
  pkg="node-$os-$arch"
  dir="$MAILOPS_ROOT/.tools/node24"
  if [ ! -x "$dir/node_modules/$pkg/bin/node" ] || [ ! -f "$dir/node_modules/npm/bin/npm-cli.js" ]; then
    command -v npm >/dev/null 2>&1 || { echo "mailops: Node $major is too old and there is no npm to fetch Node 24; install Node >= 22" >&2; return 1; }
    if [ "$major" -ge 22 ]; then
      echo "mailops: installing Node 24 and its npm ($pkg@$MAILOPS_NODE_VERSION, npm@$MAILOPS_NPM_VERSION from the npm registry) into .tools/node24 (Node $major is here; code-server needs 24)" >&2
    else
      echo "mailops: installing Node 24 and its npm ($pkg@$MAILOPS_NODE_VERSION, npm@$MAILOPS_NPM_VERSION from the npm registry) into .tools/node24 (Node $major is here; Mailops needs >= 22)" >&2
    fi
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$pkg@$MAILOPS_NODE_VERSION" "npm@$MAILOPS_NPM_VERSION" >&2) || return 1
  fi
  # node_modules/.bin holds npm and npx (run by the Node found on PATH, this one).
  export PATH="$dir/node_modules/.bin:$dir/node_modules/$pkg/bin:$PATH"
  # node-gyp builds native add-ons (ssh2's, code-server's) against these headers, with no download.
  export npm_config_nodedir="$dir/node_modules/$pkg"
  hash -r
}
