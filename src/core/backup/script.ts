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
 *   mo_lock FILE TIMEOUT NOWAIT        flock(1) on FILE (fd 9), exclusive (readers hold it shared: lock.ts):
 *                                      wait up to TIMEOUT seconds (logging that it waits), or skip when
 *                                      NOWAIT=yes; returns 0 locked, 2 skipped, 1 failed
 *   mo_replace TMP DEST                fsync TMP (when sync(1) takes files) and rename it over DEST
 *   mo_defer_kill PID                  TERM that PID when the script ends, however it ends (trap)
 *   mo_defer_rm PATH                   remove PATH when the script ends (trap); mo_undefer forgets both lists
 *   $MO_LASTOUT                        file holding the relayed lines of the last mo_tool (for grep)
 *   mo_finish CODE [KEY VALUE]…        print the `run result` line and exit with CODE
 *   mo_safe_dir PATH MODE              make PATH (each missing component by itself; MODE for the last, 0700
 *                                      above it) after checking every component (SAFE_DIR_FN); 1: refused
 *
 * A run started interactively (BuiltScript.argv: over SSH, or by the local transport) stops itself when
 * its connection goes. OpenSSH sends a command that has no pty no signal when the client or sshd dies,
 * and the tools a run starts go on (doveadm ignores SIGPIPE): they would finish writing the mirror, the
 * state and the archives with nobody to report to, and hold the lock meanwhile. A watchdog notices that
 * the process the run's session hangs from (sshd's per-connection process) is gone and TERMs every
 * process of the run (KILL after a grace period); the script's own trap then logs `run fail
 * reason=connection-lost`, removes its temporary files and exits, which frees the lock. A write to a
 * closed stdout (SIGPIPE in the script itself) takes the same way out. An installed schedule
 * (fileText) runs without the watchdog: cron and systemd outlive their runs.
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

/**
 * mo_safe_dir PATH MODE. The backup root and everything below it are made and written by root, so a path
 * a user can redirect (a symlink, or a folder the user owns or may write to) lets that user choose where
 * root creates, chmods and writes. Every component from / down is checked: not a symlink, a directory,
 * owned by root or by the user the run runs as, and not writable by group or others unless it has the
 * sticky bit (/tmp, /var/tmp: others may add entries there but cannot rename or remove ours). A missing
 * component is made with mkdir (never -p, which would follow a link planted meanwhile) and checked again
 * once it exists. Constant text (a cooked template: `\${` is the shell's `${`).
 */
export const SAFE_DIR_FN = `
mo_safe_dir() {
  _sp=$1; _smode=$2
  case $_sp in
    /*) ;;
    *) mo_line path fail reason relative path "$_sp" meaning 'the backup root must be an absolute path' hint 'set backupRoot to an absolute path such as /var/backups/mailops'; return 1 ;;
  esac
  case /$_sp/ in
    */../*|*/./*) mo_line path fail reason dot-component path "$_sp" meaning 'the backup root must not contain . or .. components'; return 1 ;;
  esac
  _sme=$(id -u); _srest=\${_sp#/}; _scur=''
  mo_safe_check / || return 1
  while [ -n "$_srest" ]; do
    case $_srest in */*) _sc=\${_srest%%/*}; _srest=\${_srest#*/} ;; *) _sc=$_srest; _srest='' ;; esac
    [ -n "$_sc" ] || continue
    _scur="\${_scur}/$_sc"
    if [ ! -e "$_scur" ] && [ ! -L "$_scur" ]; then
      if [ -n "$_srest" ]; then _sm=0700; else _sm=$_smode; fi
      mkdir -m "$_sm" -- "$_scur" 2>/dev/null || [ -d "$_scur" ] || { mo_line path fail reason mkdir path "$_scur" meaning 'the folder could not be made'; return 1; }
    fi
    mo_safe_check "$_scur" || return 1
  done
  return 0
}
mo_safe_check() {
  if [ -L "$1" ]; then mo_line path fail reason symlink path "$1" meaning 'a component of the backup root is a symbolic link: whoever owns it chooses where root writes' hint 'set backupRoot to the real path (readlink -f)'; return 1; fi
  if [ ! -d "$1" ]; then mo_line path fail reason not-a-directory path "$1" meaning 'a component of the backup root is not a directory'; return 1; fi
  _sst=$(stat -c '%u %a' -- "$1" 2>/dev/null) || { mo_line path fail reason stat path "$1" meaning 'stat failed'; return 1; }
  _sown=\${_sst% *}; _smd=\${_sst#* }
  if [ "$_sown" != 0 ] && [ "$_sown" != "$_sme" ]; then mo_line path fail reason owner path "$1" owner "$_sown" meaning 'a component of the backup root belongs to another user, who could replace what is below it' hint 'use a backupRoot whose folders belong to root'; return 1; fi
  if [ $(( 0$_smd & 022 )) -ne 0 ] && [ $(( 0$_smd & 01000 )) -eq 0 ]; then mo_line path fail reason writable path "$1" mode "$_smd" meaning 'a component of the backup root may be written by group or others and has no sticky bit: they could put a link in it' hint 'chmod go-w it, or choose another backupRoot'; return 1; fi
  return 0
}
`;

/**
 * The watchdog and the signal traps of PRELUDE (see the top of this file). Constant text (a cooked
 * template: `\${` is the shell's `${`, `\\` a backslash).
 */
const WATCH_FN = `
# Field N (1 state, 2 ppid, 4 session) of /proc/PID/stat; the command name may hold spaces and ")".
mo_statf() {
  _sf=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  _sf=\${_sf##*[)] }; _sn=$2
  set -- $_sf
  [ "$#" -ge "$_sn" ] || return 1
  shift $((_sn - 1)); printf '%s' "$1"
}
# Every descendant of PID (from one read of /proc), one per line.
mo_descendants() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
    { pid = $1; s = $0; sub(/.*\\) /, "", s); split(s, f, " "); pp[pid] = f[2] }
    END { n = 1; q[1] = root; seen[root] = 1
          for (i = 1; i <= n; i++) for (p in pp) if (pp[p] == q[i] && !(p in seen)) { seen[p] = 1; q[++n] = p; print p } }'
}
# In the watchdog (PID $2): the connection is gone. TERM the run's processes and the script (its trap runs
# once the tool in front has ended), KILL what is left after a grace period.
mo_stop_run() {
  : >"$MO_TMP/.lost" 2>/dev/null || true
  _v=$(mo_descendants "$1" | grep -vx "$2")
  [ -n "$_v" ] && kill -TERM $_v 2>/dev/null
  kill -TERM "$1" 2>/dev/null
  _g=0
  while [ "$_g" -lt 10 ] && [ "$(mo_statf "$1" 1)" != Z ] && [ -r "/proc/$1/stat" ]; do sleep 1; _g=$((_g + 1)); done
  _v=$(mo_descendants "$1" | grep -vx "$2")
  [ -n "$_v" ] && kill -KILL $_v 2>/dev/null
  return 0
}
# Watch the process our session hangs from: the parent of the topmost ancestor in our session.
mo_watch() {
  _wme=$$
  _wsid=$(mo_statf $$ 4) || return 0
  _wtop=$$; _wup=$(mo_statf $$ 2) || return 0
  while [ "$_wup" -gt 1 ] && [ "$(mo_statf "$_wup" 4)" = "$_wsid" ]; do _wtop=$_wup; _wup=$(mo_statf "$_wup" 2) || return 0; done
  [ "$_wup" -gt 1 ] || return 0
  (
    trap '' INT HUP PIPE
    _wself=$(exec sh -c 'echo $PPID')
    while sleep 2; do
      _ws=$(mo_statf "$_wme" 1) || exit 0
      [ "$_ws" = Z ] && exit 0
      [ "$(mo_statf "$_wtop" 2)" = "$_wup" ] && continue
      trap '' TERM
      mo_stop_run "$_wme" "$_wself"
      exit 0
    done
  ) </dev/null >/dev/null 2>&1 9>&- &
  MO_WATCHER=$!
}
mo_on_signal() {
  trap '' PIPE
  if [ -n "$MO_TMP" ] && [ -f "$MO_TMP/.lost" ]; then
    mo_line run fail reason connection-lost meaning 'the connection that started this run is gone: the run was stopped, its temporary files removed and its lock released'
  else
    mo_line run fail reason signal
  fi
  mo_cleanup
  exit 130
}
mo_on_pipe() {
  trap '' PIPE
  [ -n "$MO_TMP" ] && : >"$MO_TMP/.lost" 2>/dev/null
  _v=$(mo_descendants $$ | grep -vx "\${MO_WATCHER:-none}")
  [ -n "$_v" ] && kill -TERM $_v 2>/dev/null
  mo_on_signal
}
`;

/** The machinery every run shares. Constant text: review it as code. */
export const PRELUDE = String.raw`set -u
umask 077
LC_ALL=C; export LC_ALL
MO_TMP=''; MO_PIDS=''; MO_SEQ=0; MO_RC=0; MO_LOG=''; MO_LASTOUT=/dev/null; MO_WATCHER=''
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
  if [ "$3" = yes ]; then mo_line lock skip reason held path "$1" meaning 'another run for the same target, or a reader of its backups (a restore, an extraction), holds the lock'; return 2; fi
  mo_line lock wait timeout "$2" meaning 'another run for the same target, or a reader of its backups (a restore, an extraction), holds the lock; waiting for it to end'
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
  if [ -n "$MO_WATCHER" ]; then kill -TERM "$MO_WATCHER" 2>/dev/null || true; MO_WATCHER=''; fi
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
${WATCH_FN}${SAFE_DIR_FN}
trap 'mo_cleanup' EXIT
trap 'mo_on_signal' INT TERM HUP
trap 'mo_on_pipe' PIPE
MO_TMP=$(mktemp -d -t mailops.XXXXXX) || { echo 'mailops: mktemp failed' >&2; exit 70; }
MO_LASTOUT="$MO_TMP/last-output"
`;

export interface BuiltScript {
  /** The constant script text (prelude, parameter reading, body) as `argv` runs it: with the watchdog. */
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
    const body = this.body.map((c) => c.code).join('\n');
    // Interactive runs watch their connection (see the top of this file); an installed file does not.
    const script = `${PRELUDE}mo_watch\n${header}\n${body}\n`;
    const unattended = `${PRELUDE}${header}\n${body}\n`;
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
        return `#!/bin/sh\n# ${marker}\n${set}\n${unattended}`;
      },
    };
  }
}
