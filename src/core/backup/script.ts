/**
 * Builds ONE POSIX sh script for a backup run (Dovecot or Cyrus) from constant code and data.
 *
 * The rule that makes it safe: the script TEXT is constant code written in this repository; every value
 * (account names, paths, mailbox names, cron expressions…) travels as a positional argument and is read
 * into a shell variable. Code fragments are written with the `sh` tag, which accepts only variables
 * (rendered as "${NAME}", always double-quoted), other fragments and integers: passing a string is a
 * TypeError at compile time and an exception at run time. So no hostile string is ever part of the code.
 *
 * The same built script runs interactively (`sh -c SCRIPT mailops ARGS…` over SSH, output streamed) and
 * unattended (installed as a file whose first lines are `set -- ARGS…`, quoted with quoteArg).
 *
 * The prelude gives every run the same machinery (see runlog.ts for the line format):
 *   mo_line STEP STATUS [KEY VALUE]…   print a step line to stdout and append it to $MO_LOG
 *   mo_tool OUTFILE CMD ARGS…          run a tool; its stderr (and stdout when OUTFILE is -) is relayed line
 *                                      by line to stdout and the log, live; exit code in $MO_RC
 *   mo_lock FILE TIMEOUT NOWAIT        flock(1) on FILE (fd 9): wait up to TIMEOUT seconds (logging that it
 *                                      waits), or skip when NOWAIT=yes; returns 0 locked, 2 skipped, 1 failed
 *   mo_replace TMP DEST                fsync TMP (when sync(1) takes files) and rename it over DEST
 *   mo_defer_kill PID                  TERM that PID when the script ends, however it ends (trap)
 *   mo_defer_rm PATH                   remove PATH when the script ends (trap); mo_undefer forgets both lists
 *   $MO_LASTOUT                        file holding the relayed lines of the last mo_tool (for grep)
 *   mo_finish CODE [KEY VALUE]…        print the `run result` line and exit with CODE
 */
import { quoteArg } from '../transport/quote';

const VAR_RE = /^[A-Z][A-Z0-9_]*$/;
const RESERVED = /^MO_/;

/** A shell variable holding one positional argument (or set by the script). Renders as "${NAME}". */
export class ShVar {
  constructor(readonly name: string) {
    if (!VAR_RE.test(name)) throw new Error(`invalid shell variable name: ${name}`);
  }
}

/** Constant shell code (never built from data). */
export class ShCode {
  constructor(readonly code: string) {}
  toString(): string {
    return this.code;
  }
}

export type ShValue = ShVar | ShCode | number;

/** Tag for shell fragments: only variables, fragments and integers may be interpolated. */
export function sh(strings: TemplateStringsArray, ...values: ShValue[]): ShCode {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof ShVar) out += `"\${${v.name}}"`;
    else if (v instanceof ShCode) out += v.code;
    else if (typeof v === 'number' && Number.isInteger(v)) out += String(v);
    else throw new TypeError(`sh\`\`: refusing to interpolate ${typeof v} ${JSON.stringify(v)}: pass data as a parameter`);
    out += strings[i + 1] ?? '';
  });
  return new ShCode(out);
}

/** The machinery every run shares. Constant text: review it as code. */
export const PRELUDE = String.raw`set -u
umask 077
LC_ALL=C; export LC_ALL
MO_TMP=''; MO_PIDS=''; MO_SEQ=0; MO_RC=0; MO_LOG=''; MO_LASTOUT=/dev/null
mo_now() {
  _t=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ 2>/dev/null) || _t=''
  case $_t in *N*|'') _t=$(date -u +%Y-%m-%dT%H:%M:%SZ) ;; esac
  printf '%s' "$_t"
}
mo_enc() {
  case $1 in
    *[!A-Za-z0-9._~:/@+,=-]*) ;;
    *) printf '%s' "$1"; return 0 ;;
  esac
  printf '%s' "$1" | od -An -v -tx1 | awk 'BEGIN { for (i = 32; i < 127; i++) ch[sprintf("%02x", i)] = sprintf("%c", i) }
    { for (i = 1; i <= NF; i++) { c = ch[$i]; if (c != "" && c ~ /^[A-Za-z0-9._~:\/@+,=-]$/) printf "%s", c; else printf "%%%s", toupper($i) } }'
}
mo_emit() {
  printf '%s\n' "$1"
  if [ -n "$MO_LOG" ]; then printf '%s\n' "$1" >>"$MO_LOG" 2>/dev/null || true; fi
}
mo_line() {
  _ml="MAILOPS $(mo_now) $1 $2"; shift 2
  while [ $# -ge 2 ]; do _ml="$_ml $1=$(mo_enc "$2")"; shift 2; done
  mo_emit "$_ml"
}
mo_relay() {
  while IFS= read -r _r || [ -n "$_r" ]; do
    case $_r in MAILOPS*) _r="> $_r" ;; esac
    mo_emit "$_r"
    printf '%s\n' "$_r" >>"$MO_LASTOUT" 2>/dev/null || true
  done
}
mo_tool() {
  _out=$1; shift
  MO_SEQ=$((MO_SEQ + 1)); _fifo="$MO_TMP/relay.$MO_SEQ"; : >"$MO_LASTOUT"
  if ! mkfifo "$_fifo" 2>/dev/null; then
    if [ "$_out" = - ]; then "$@" 9>&- >"$MO_TMP/out.$MO_SEQ" 2>&1; MO_RC=$?; else "$@" 9>&- >"$_out" 2>"$MO_TMP/out.$MO_SEQ"; MO_RC=$?; fi
    mo_relay <"$MO_TMP/out.$MO_SEQ"; return 0
  fi
  mo_relay <"$_fifo" 9>&- &
  _rp=$!
  if [ "$_out" = - ]; then "$@" 9>&- >"$_fifo" 2>&1; MO_RC=$?; else "$@" 9>&- >"$_out" 2>"$_fifo"; MO_RC=$?; fi
  wait "$_rp" 2>/dev/null || true
  rm -f "$_fifo"
  return 0
}
mo_lock() {
  mo_line lock start path "$1"
  if ! command -v flock >/dev/null 2>&1; then mo_line lock fail reason no-flock meaning 'flock(1) (util-linux) is not installed on the host'; return 1; fi
  if ! ( : >>"$1" ) 2>/dev/null; then mo_line lock fail reason cannot-open path "$1"; return 1; fi
  exec 9>>"$1"
  if flock -n 9; then mo_line lock ok waited 0; return 0; fi
  if [ "$3" = yes ]; then mo_line lock skip reason held path "$1" meaning 'another run for the same target holds the lock'; return 2; fi
  mo_line lock wait timeout "$2" meaning 'another run for the same target holds the lock; waiting for it to end'
  _w0=$(date +%s)
  if flock -w "$2" 9; then mo_line lock ok waited $(( $(date +%s) - _w0 )); return 0; fi
  mo_line lock fail reason timeout timeout "$2" meaning 'the other run did not end in time'
  return 1
}
mo_replace() {
  sync -- "$1" 2>/dev/null || sync 2>/dev/null || true
  mv -f -- "$1" "$2" || return 1
  sync -- "$(dirname -- "$2")" 2>/dev/null || true
  return 0
}
mo_defer_kill() { MO_PIDS="$MO_PIDS $1"; }
mo_defer_rm() { printf '%s\n' "$1" >>"$MO_TMP/.defer-rm"; }
mo_undefer() { MO_PIDS=''; : >"$MO_TMP/.defer-rm"; }
mo_cleanup() {
  for _p in $MO_PIDS; do kill -TERM "$_p" 2>/dev/null || true; done
  MO_PIDS=''
  if [ -n "$MO_TMP" ] && [ -f "$MO_TMP/.defer-rm" ]; then
    while IFS= read -r _f; do [ -n "$_f" ] && rm -f -- "$_f"; done <"$MO_TMP/.defer-rm"
  fi
  if [ -n "$MO_TMP" ]; then rm -rf -- "$MO_TMP"; MO_TMP=''; fi
}
mo_finish() {
  _code=$1; shift
  if [ "$_code" -eq 0 ] || [ "$_code" -eq 2 ]; then _ok=yes; else _ok=no; fi
  mo_line run result ok "$_ok" exit "$_code" "$@"
  mo_cleanup
  exit "$_code"
}
trap 'mo_cleanup' EXIT
trap 'mo_line run fail reason signal; mo_cleanup; exit 130' INT TERM HUP
MO_TMP=$(mktemp -d -t mailops.XXXXXX) || { echo 'mailops: mktemp failed' >&2; exit 70; }
MO_LASTOUT="$MO_TMP/last-output"
`;

export interface BuiltScript {
  /** The constant script text (prelude, parameter reading, body). */
  script: string;
  /** Values of the positional parameters, in order. */
  args: string[];
  /** $0 of the script (shows in ps). */
  name: string;
  /** `sh -c SCRIPT NAME ARGS…`: hand this argv to the transport (after withPrivilege). */
  argv: string[];
  /** The script as an installable file: `#!/bin/sh`, a marker comment, `set -- ARGS…` (quoteArg), the script. */
  fileText(marker: string): string;
}

export class ScriptBuilder {
  private readonly params: Array<{ name: string; value: string }> = [];
  private readonly body: ShCode[] = [];

  constructor(readonly name = 'mailops') {}

  /** Declare a positional parameter; the script reads it into the variable NAME. */
  param(name: string, value: string): ShVar {
    if (RESERVED.test(name)) throw new Error(`parameter names starting with MO_ are reserved: ${name}`);
    if (this.params.some((p) => p.name === name)) throw new Error(`parameter declared twice: ${name}`);
    if (typeof value !== 'string') throw new TypeError(`parameter ${name}: value must be a string`);
    if (value.includes('\0')) throw new Error(`parameter ${name}: a NUL byte cannot travel in an argument`);
    const v = new ShVar(name);
    this.params.push({ name, value });
    return v;
  }

  /** Append constant code. */
  add(code: ShCode): this {
    this.body.push(code);
    return this;
  }

  build(): BuiltScript {
    const n = this.params.length;
    const header = [
      `if [ "$#" -ne ${n} ]; then echo "${this.name}: expected ${n} arguments, got $#" >&2; exit 64; fi`,
      ...this.params.map((p, i) => `${p.name}=\${${i + 1}}`),
    ].join('\n');
    const script = `${PRELUDE}${header}\n${this.body.map((c) => c.code).join('\n')}\n`;
    const args = this.params.map((p) => p.value);
    const name = this.name;
    return {
      script,
      args,
      name,
      argv: ['sh', '-c', script, name, ...args],
      fileText(marker: string) {
        if (/[\r\n]/.test(marker)) throw new Error('marker must be one line');
        const set = args.length ? `set -- ${args.map((a, i) => quoteArg(a, i)).join(' ')}` : 'set --';
        return `#!/bin/sh\n# ${marker}\n${set}\n${script}`;
      },
    };
  }
}
