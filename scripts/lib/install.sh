# shellcheck shell=bash
# Sourced by scripts/test, scripts/test-vscode, scripts/demo and scripts/vscode-host.sh (after lib/node.sh):
# installs what a phase needs right before that phase, and says so on stderr. When it is there already,
# nothing happens and nothing is printed: a laptop with the packages sees no install line.
#
#   mailops_ensure_apt PHASE PKG…        Debian packages (apt-get update once, no recommends, no service starts)
#   mailops_ensure_chromium PHASE        Debian's Chromium (/usr/bin/chromium, or $MAILOPS_CHROMIUM when set)
#   mailops_ensure_npm_packages PHASE    the project's node_modules (npm ci when it does not match the lock file)
#   mailops_ensure_code_server PHASE     a real VS Code: the npm package code-server, with its native modules,
#                                        into .tools/code-server (MAILOPS_CODE_SERVER_DIR), built by Node 24
#   mailops_npm ARG…                     npm for the Node first on PATH, whatever npm started this script
#
# Why mailops_npm: `npm test` run by an older Node's npm leaves that npm's lifecycle environment behind, above
# all npm_config_user_agent="npm/… node/v20 …". An inner npm reads it as its own user-agent setting and hands it
# on to install scripts, and code-server's postinstall takes its Node version from it ("requires node v24 …
# you are on node v20") although Node 24 runs it.
MAILOPS_ROOT="${MAILOPS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
MAILOPS_CODE_SERVER_VERSION="${MAILOPS_CODE_SERVER_VERSION:-4.139.1}"
# Build dependencies of code-server's native modules (kerberos needs libkrb5-dev; node-gyp needs python3,
# make and g++), as measured on Debian 12 (shared/notes/vscode-offline-testing.md).
MAILOPS_CODE_SERVER_APT=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config python3 make g++)

mailops_say() { printf 'mailops: %s\n' "$*" >&2; }

mailops_dpkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

mailops_ensure_apt() { # PHASE PKG…
  local phase=$1 p missing=() sudo=() policy=/usr/sbin/policy-rc.d added_policy=0 rc=0
  shift
  if command -v dpkg-query >/dev/null 2>&1; then
    for p in "$@"; do mailops_dpkg_installed "$p" || missing+=("$p"); done
  else
    missing=("$@")
  fi
  [ "${#missing[@]}" -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    mailops_say "error: $phase needs ${missing[*]} and there is no apt-get here: install them with this system's package manager, then run this again"
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { mailops_say "error: $phase needs ${missing[*]}: run as root (apt-get install needs it) or install them first"; return 1; }
    sudo=(sudo)
  fi
  # apt's own output (pages of it for chromium) goes to a log, shown when something fails.
  local log="$MAILOPS_ROOT/test-results/apt.log"
  mkdir -p "${log%/*}" && touch "$log"
  mailops_say "installing ${missing[*]} with apt-get (needed for $phase; log: ${log#"$MAILOPS_ROOT"/})"
  # Wait for another apt run (another script on this machine) rather than fail on its lock.
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  if [ -z "${MAILOPS_APT_UPDATED:-}" ]; then
    # Once per run (the variable reaches child scripts): a fresh machine has no package lists at all.
    "${apt[@]}" update -q >>"$log" 2>&1 || mailops_say "warning: apt-get update failed (see $log); trying the install with the lists there are"
    export MAILOPS_APT_UPDATED=1
  fi
  # No daemon may start from a package's install script: there may be no init system, and the tests start
  # what they need themselves, on their own ports.
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null && "${sudo[@]}" chmod 0755 "$policy" && added_policy=1
  fi
  local before
  before=$(wc -l <"$log")
  "${apt[@]}" install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >>"$log" 2>&1 || rc=$?
  [ "$added_policy" = 0 ] || "${sudo[@]}" rm -f "$policy"
  if [ "$rc" != 0 ]; then
    tail -n 20 "$log" >&2
    mailops_say "error: apt-get install ${missing[*]} failed (exit $rc; needed for $phase): the end of $log is above"
    return 1
  fi
  mailops_say "installed ${missing[*]}: $(tail -n +$((before + 1)) "$log" | grep -c '^Setting up ' || true) packages with what they depend on"
  for p in "${missing[@]}"; do
    mailops_dpkg_installed "$p" || { mailops_say "error: apt-get reported success but $p is not installed (needed for $phase)"; return 1; }
  done
}

mailops_ensure_chromium() { # PHASE
  local exe=${MAILOPS_CHROMIUM:-/usr/bin/chromium}
  [ -x "$exe" ] && return 0
  if [ -n "${MAILOPS_CHROMIUM:-}" ]; then
    mailops_say "error: MAILOPS_CHROMIUM=$MAILOPS_CHROMIUM is not an executable (needed for $1); unset it to use Debian's chromium"
    return 1
  fi
  # Debian's own build; never `npx playwright install` (it downloads a browser, which cannot work offline).
  mailops_ensure_apt "$1" chromium || return 1
  [ -x "$exe" ] || { mailops_say "error: the chromium package is installed but $exe is missing (needed for $1)"; return 1; }
}

# COMMAND… without the lifecycle variables of the npm that started this script, and with a user agent that
# names the Node first on PATH and the npm on PATH. The user's own npm settings (npmrc files, npm_config_*
# set before `npm test`) are kept.
mailops_npm_env() {
  local ua
  ua="npm/$(mailops__npm_version) node/$(node --version) $(node -p 'process.platform + " " + process.arch') workspaces/false"
  # shellcheck disable=SC2016 # the inner script is bash's, expanded there
  env -u NODE -u INIT_CWD -u npm_execpath -u npm_node_execpath -u npm_command -u npm_lifecycle_event \
    -u npm_lifecycle_script -u npm_package_json -u npm_config_node_gyp -u npm_config_npm_version \
    -u npm_config_global_prefix -u npm_config_local_prefix -u npm_config_prefix \
    npm_config_user_agent="$ua" bash -c '
      # npm_package_* describe the outer package.json, not the one the inner npm works on.
      for v in $(compgen -e); do case "$v" in npm_package_*) unset "$v" ;; esac; done
      exec "$@"
    ' mailops-npm-env "$@"
}

# The npm on PATH, run by the Node first on PATH (not by the interpreter its #! line names), in
# mailops_npm_env's environment.
mailops_npm() {
  local cli
  cli=$(mailops__npm_cli) || return 1
  if [ -n "$cli" ]; then mailops_npm_env node "$cli" "$@"; else mailops_npm_env npm "$@"; fi
}

mailops__npm_cli() { # the npm on PATH as a script for node, or "" when it is not one (then it is run as is)
  local npm cli
  npm=$(command -v npm) || { mailops_say "error: npm is not on PATH"; return 1; }
  cli=$(readlink -f "$npm")
  case "$cli" in *.js) printf '%s' "$cli" ;; esac
}

mailops__npm_version() {
  local cli
  cli=$(mailops__npm_cli 2>/dev/null) || { echo unknown; return; }
  if [ -n "$cli" ]; then node "$cli" --version 2>/dev/null || echo unknown; else npm --version 2>/dev/null || echo unknown; fi
}

# node_modules matches package-lock.json: every package the lock file names is installed at its version
# (optional ones, e.g. other platforms' esbuild binaries, only when npm installed them). Compared by content,
# not by file times: a fresh checkout's lock file is newer than any node_modules without being different.
mailops_npm_packages_current() { # ROOT
  # shellcheck disable=SC2016 # JavaScript
  node -e '
    const fs = require("node:fs");
    const [root] = process.argv.slice(1);
    const read = (f) => JSON.parse(fs.readFileSync(`${root}/${f}`, "utf8")).packages ?? {};
    let lock, installed;
    try { lock = read("package-lock.json"); installed = read("node_modules/.package-lock.json"); } catch { process.exit(1); }
    for (const [key, want] of Object.entries(lock)) {
      if (key === "" || want.link) continue;
      const have = installed[key];
      if (!have) { if (want.optional || want.devOptional) continue; process.exit(1); }
      if (have.version !== want.version) process.exit(1);
    }
  ' "$1" 2>/dev/null
}

mailops_ensure_npm_packages() { # PHASE
  local root=$MAILOPS_ROOT
  mailops_npm_packages_current "$root" && return 0
  if [ -L "$root/node_modules" ]; then
    # npm ci empties node_modules first, through the link: that would wipe another checkout's packages.
    mailops_say "error: node_modules does not match package-lock.json (needed for $1), and $root/node_modules is a symbolic link (to $(readlink "$root/node_modules")): not running npm ci through it; run npm ci where it points, or remove the link"
    return 1
  fi
  mailops_say "installing the npm packages of package-lock.json with npm ci (needed for $1)"
  (cd "$root" && mailops_npm ci --no-audit --no-fund) || { mailops_say "error: npm ci failed in $root (needed for $1): see npm's output above"; return 1; }
  mailops_npm_packages_current "$root" || { mailops_say "error: npm ci finished but node_modules still does not match package-lock.json (needed for $1)"; return 1; }
}

mailops_node_is_24() { [ "$(mailops_node_major)" = 24 ]; }

# Where code-server goes and what is installed (MAILOPS_CODE_SERVER_SPEC: an npm spec, e.g. a local .tgz
# for tests; default code-server@$MAILOPS_CODE_SERVER_VERSION from the registry).
mailops_code_server_dir() { printf '%s' "${MAILOPS_CODE_SERVER_DIR:-$MAILOPS_ROOT/.tools/code-server}"; }
mailops_code_server_main() { printf '%s/node_modules/code-server/lib/vscode/out/server-main.js' "$(mailops_code_server_dir)"; }

mailops__code_server_ok() { # DIR SPEC: installed from SPEC, and its postinstall built the native modules
  local pkg="$1/node_modules/code-server" installed
  case "$2" in
    code-server@*)
      installed=$(node -p 'require(process.argv[1]).version' "$pkg/package.json" 2>/dev/null) || return 1
      [ "code-server@$installed" = "$2" ] || return 1
      ;;
    *) [ -f "$1/.mailops-spec" ] && [ "$(cat "$1/.mailops-spec")" = "$2" ] || return 1 ;;
  esac
  [ -f "$pkg/lib/vscode/out/server-main.js" ] && [ -d "$pkg/lib/vscode/node_modules/kerberos/build" ]
}

mailops_ensure_code_server() { # PHASE
  local phase=$1 dir spec pkg rc=0
  dir=$(mailops_code_server_dir)
  spec=${MAILOPS_CODE_SERVER_SPEC:-code-server@$MAILOPS_CODE_SERVER_VERSION}
  pkg="$dir/node_modules/code-server"
  # code-server's postinstall insists on Node 24, and its native modules only load in the Node that built
  # them: from here on this shell runs Node 24 (the machine's when it is 24, else .tools/node24).
  if ! mailops_node_is_24; then MAILOPS_FORCE_NODE24=1 mailops_ensure_node || return 1; fi
  mailops_node_is_24 || { mailops_say "error: $phase needs Node 24 for code-server; PATH gives $(node --version)"; return 1; }
  # A local package (a path) is recorded by its absolute file: spec, which is also its allowScripts key.
  case "$spec" in /* | ./* | ../*) spec="file:$(readlink -f "$spec")" ;; esac
  mailops__code_server_ok "$dir" "$spec" && return 0

  # Only the real code-server builds native modules; a test's stand-in package needs no compiler.
  if [ -z "${MAILOPS_CODE_SERVER_SPEC:-}" ]; then mailops_ensure_apt "$phase" "${MAILOPS_CODE_SERVER_APT[@]}" || return 1; fi
  local took="; about 2 minutes on 2 cores"
  [ -z "${MAILOPS_CODE_SERVER_SPEC:-}" ] || took=""
  mailops_say "installing $spec into ${dir#"$MAILOPS_ROOT"/} with npm on Node $(node --version) (needed for $phase$took)"
  mkdir -p "$dir"
  rm -f "$dir/.mailops-spec"
  # Its own package.json, so the project's `npm ci` stays fast. allowScripts: npm 11.19 and later run no
  # dependency's install script unless the project allows it, and code-server's postinstall is what builds
  # its VS Code server's native modules (older npm ignores the field and runs it anyway).
  node -e '
    const fs = require("node:fs");
    fs.writeFileSync(process.argv[1], JSON.stringify({
      private: true,
      description: "A real VS Code (code-server) for the Mailops tests and demo; not a project dependency",
      allowScripts: { [process.argv[2]]: true },
    }, null, 2) + "\n");
  ' "$dir/package.json" "$spec" || return 1
  (cd "$dir" && mailops_npm install --no-audit --no-fund --loglevel=error --save-exact "$spec" >&2) || rc=$?
  if [ "$rc" != 0 ]; then
    mailops_say "error: npm install $spec failed (exit $rc, in $dir; needed for $phase): see npm's output above"
    return 1
  fi
  if ! [ -d "$pkg/lib/vscode/node_modules/kerberos/build" ] && [ -f "$pkg/postinstall.sh" ]; then
    # Its postinstall did not run (npm settings such as ignore-scripts): run it as npm would, with this
    # Node's user agent, which is where it reads the Node version from (and the package manager to use).
    mailops_say "code-server's postinstall did not run under npm; running it now (native modules)"
    (cd "$pkg" && mailops_npm_env sh ./postinstall.sh >&2) || {
      mailops_say "error: code-server's postinstall.sh failed in $pkg (needed for $phase): see its output above"
      return 1
    }
  fi
  printf '%s' "$spec" >"$dir/.mailops-spec"
  mailops__code_server_ok "$dir" "$spec" || {
    mailops_say "error: code-server from $spec is incomplete in $dir: no lib/vscode/out/server-main.js or no native kerberos module (needed for $phase)"
    rm -f "$dir/.mailops-spec"
    return 1
  }
}
