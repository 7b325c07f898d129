# shellcheck shell=bash
# Sourced by scripts/test and scripts/test-vscode: the sandbox mail hosts, one at a time.
#
#   mailops_sandbox_init           sets MAILOPS_SANDBOX_HOST_IDS (array) and MAILOPS_SANDBOX_PER_HOST (1 or 0)
#   mailops_sandbox HOST ARG…      bash scripts/sandbox ARG… for that host
#
# `scripts/sandbox hosts` lists the host ids (d12, d13) and every command takes `--host ID`. A scripts/sandbox
# without the `hosts` command has one host, which this calls d12, and takes no --host.
MAILOPS_ROOT="${MAILOPS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# shellcheck disable=SC2034 # MAILOPS_SANDBOX_HOST_IDS is for the scripts that source this
mailops_sandbox_init() {
  local out
  MAILOPS_SANDBOX_HOST_IDS=()
  if out=$(bash "$MAILOPS_ROOT/scripts/sandbox" hosts 2>/dev/null) && [ -n "$out" ]; then
    mapfile -t MAILOPS_SANDBOX_HOST_IDS <<<"$out"
    MAILOPS_SANDBOX_PER_HOST=1
  else
    MAILOPS_SANDBOX_HOST_IDS=(d12)
    MAILOPS_SANDBOX_PER_HOST=0
  fi
  export MAILOPS_SANDBOX_PER_HOST
}

mailops_sandbox() { # HOST ARG…
  local host=$1
  shift
  if [ "${MAILOPS_SANDBOX_PER_HOST:-0}" = 1 ]; then
    bash "$MAILOPS_ROOT/scripts/sandbox" "$@" --host "$host"
  else
    bash "$MAILOPS_ROOT/scripts/sandbox" "$@"
  fi
}
