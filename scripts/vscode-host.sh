#!/usr/bin/env bash
# Installs a real VS Code for offline tests: the npm package code-server (it bundles VS Code's server and
# workbench) into .tools/code-server/, with its own package.json so the project's `npm ci` stays fast.
# Also makes sure Debian's chromium and the native build deps are there. Idempotent; quick when installed.
#
#   bash scripts/vscode-host.sh          install if missing, print the server-main.js path
#   MAILOPS_CODE_SERVER_VERSION=…        another code-server version (default 4.139.1 = VS Code 1.139.1)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/node.sh
source "$ROOT/scripts/lib/node.sh"
mailops_ensure_node

VERSION="${MAILOPS_CODE_SERVER_VERSION:-4.139.1}"
DIR="$ROOT/.tools/code-server"
PKG="$DIR/node_modules/code-server"
SERVER_MAIN="$PKG/lib/vscode/out/server-main.js"

log() { echo "vscode-host: $*" >&2; }

# code-server needs Node >= 22.15 (on Node 20 every page answers HTTP 500); take Node 24 when older.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=15)?0:1)'; }
if ! node_ok; then
  MAILOPS_FORCE_NODE24=1 mailops_ensure_node
  node_ok || { log "Node $(node -v) is too old for code-server (needs >= 22.15)"; exit 1; }
fi

apt_missing=()
for p in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config chromium; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$p")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { log "missing ${apt_missing[*]} and no apt-get; install them by hand"; exit 1; }
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing ${apt_missing[*]} with apt-get"
  $SUDO apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >&2
fi

installed_version() { node -p "require('$PKG/package.json').version" 2>/dev/null || true; }

if [ ! -f "$SERVER_MAIN" ] || [ "$(installed_version)" != "$VERSION" ]; then
  log "installing code-server@$VERSION into .tools/code-server (about 2 minutes on 2 cores)"
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"private":true,"description":"Real VS Code (code-server) for Mailops offline tests; not a project dependency"}' > "$DIR/package.json"
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error --save-exact "code-server@$VERSION" >&2)
fi

# npm 11 may skip code-server's postinstall (which builds the server's native modules); run it then.
if [ ! -d "$PKG/lib/vscode/node_modules/kerberos/build" ]; then
  log "running code-server's postinstall.sh (native modules)"
  (cd "$PKG" && sh ./postinstall.sh >&2)
fi
[ -d "$PKG/lib/vscode/node_modules/kerberos/build" ] || { log "kerberos native module still missing after postinstall"; exit 1; }
[ -f "$SERVER_MAIN" ] || { log "server-main.js missing: $SERVER_MAIN"; exit 1; }
[ -x /usr/bin/chromium ] || { log "/usr/bin/chromium missing"; exit 1; }

echo "$SERVER_MAIN"
