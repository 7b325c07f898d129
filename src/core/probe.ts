/**
 * Server detection: which mail servers a host runs, their versions, where their tools are, and the
 * settings backups and restores depend on. One round trip: a constant POSIX sh script that receives the
 * configured paths as positional arguments (never interpolated) and prints `key=value` lines.
 */
import { withPrivilege } from './hosts/model';
import type { HostContext } from './hosts/context';
import { shellLine } from './transport/quote';
import { CommandFailedError } from './errors';
import { decideDialect, hasMaildirlock, parseDoveconf, type DovecotDialect, type MailStorage } from './dovecot/dialect';
import { parseVersionParts, type VersionParts } from './util/version';
import { checkHostPath, hostPathProblem } from './names';

/** A top-level `key = value` of doveconf output, or null. */
function doveconfValue(lines: readonly string[], key: string): string | null {
  for (const l of lines) {
    const m = /^(\S+) = ?(.*)$/.exec(l);
    if (m && m[1] === key) return m[2]!.trim() || null;
  }
  return null;
}

/** The inbox namespace's separator when the config sets one (the probe reports what is configured). */
function explicitSeparator(lines: readonly string[]): string | null {
  let inNs = false;
  let depth = 0;
  for (const l of lines) {
    const t = l.trim();
    if (/\{$/.test(t)) {
      depth++;
      if (depth === 1) inNs = /^namespace\s+inbox\s*\{$/.test(t);
      continue;
    }
    if (t === '}') {
      depth--;
      if (depth === 0) inNs = false;
      continue;
    }
    const m = /^separator = ?(.*)$/.exec(t);
    if (inNs && depth === 1 && m) return m[1]!.trim() || null;
  }
  return null;
}

/** A process that looked like a daemon (its program's name) but is not trusted to say which config it runs. */
export interface UntrustedProcess {
  pid: number;
  /** "uid 1000 (mailops)" */
  user: string;
  /** /proc/PID/exe (non-printable bytes shown as "?"), or "?" when it could not be read. */
  program: string;
  /** The value of its -c / -C, when it had one (cleaned like program). */
  config: string | null;
  /** Why it is not trusted. */
  reason: string;
}

export interface DovecotProbe {
  /** `dovecot --version`, e.g. "2.4.1-4 (7d8c0e5759)". */
  version: string | null;
  /** The version as numbers. */
  dovecotVersion: VersionParts | null;
  /** The configuration dialect (dovecot/dialect.ts), from the version and the settings; null when unclear. */
  dialect: DovecotDialect | null;
  /** How the dialect was decided, or why it could not be. */
  dialectEvidence: string;
  doveadm: string;
  doveconf: string | null;
  /** maildirlock's path (2.3 only: 2.4 does not ship it, live folders are dotlocked there). */
  maildirlock: string | null;
  /** doveadm -c PATH, or null for the default config */
  config: string | null;
  /** Where the config path came from: the host settings, the running master's command line, or the default. */
  configFrom: 'settings' | 'process' | 'default';
  /** Configs of the running dovecot masters (-c); with several and none configured, none is guessed. */
  instances: string[];
  /** Processes named dovecot that are not the real master (never used for the config). */
  untrusted: UntrustedProcess[];
  /** The master's auth-userdb socket exists: doveadm mail commands can work. */
  running: boolean;
  /** 2.3's mail_location (null on 2.4). */
  mailLocation: string | null;
  /** The configured mail storage (driver, path, index path, layout), on both dialects. */
  storage: MailStorage | null;
  /** Plugins of mail_plugins as a plain list, on both dialects. */
  mailPlugins: string[];
  /** lazy_expunge: on when the plugin is loaded and names its mailbox (plugin/lazy_expunge, lazy_expunge_mailbox). */
  lazyExpunge: { enabled: boolean; mailbox: string | null };
  /** Namespace hierarchy separator of the inbox namespace (doveconf), when set. */
  separator: string | null;
}

export interface CyrusProbe {
  /** `cyr_info version`, e.g. "cyrus-imapd 3.10.2-Debian-3.10.2-1+deb13u2". */
  version: string | null;
  /** The version as numbers (Cyrus index readers choose their format by it). */
  cyrusVersion: VersionParts | null;
  /** MAILBOX_MINOR_VERSION, the cyrus.index format it writes (cyr_buildinfo; 3.6 does not print it). */
  indexVersion: number | null;
  /** MAILBOX_CACHE_MINOR_VERSION (cyr_buildinfo). */
  cacheVersion: number | null;
  /** Directory holding ctl_mboxlist, unexpunge, reconstruct … */
  toolsDir: string;
  /** /usr/sbin/cyrus style wrapper, when present. */
  wrapper: string | null;
  config: string;
  configFrom: 'settings' | 'process' | 'default';
  /** Configs of the running Cyrus masters (-C). */
  instances: string[];
  /** Processes named master that are not the real Cyrus master (never used for the config). */
  untrusted: UntrustedProcess[];
  /** Paths of the config (configdirectory, partition-*) that cannot be used, each with why (names.ts). */
  pathProblems: string[];
  configDirectory: string | null;
  partitions: Record<string, string>;
  expungeMode: string | null;
  deleteMode: string | null;
  unixHierarchySep: boolean;
  virtDomains: string | null;
  running: boolean;
}

export interface ProbeReport {
  host: string;
  transport: 'ssh' | 'local';
  hostname: string | null;
  kernel: string | null;
  user: string | null;
  detected: Array<'dovecot' | 'cyrus'>;
  dovecot: DovecotProbe | null;
  cyrus: CyrusProbe | null;
}

/**
 * The script. $1 = Dovecot config or '', $2 = Cyrus imapd.conf or ''. Prints key=value lines only.
 *
 * A config found on a running master's command line decides what the backup archives and where restores
 * write, so it is only taken from a process that is the real daemon (issue 11.1): any local user can start a
 * program named `master` or `dovecot` with `-C ~/imapd.conf`. A candidate (argv[0] named `master` /
 * `dovecot`) is trusted when its real and effective user is root (or the cyrus user, for Cyrus, whose master
 * drops to it) and /proc/PID/exe is the daemon binary next to the tools the probe found (symlinks resolved),
 * owned by root and writable by root only. Other candidates are reported as `KEY.untrusted` lines (pid, user,
 * program, config, why) and never used; their text is cleaned of non-printable bytes so a crafted argument
 * cannot forge a line of this output. Every value reaches awk through the environment, never its program.
 */
export const PROBE_SCRIPT = String.raw`
set -u
LC_ALL=C; export LC_ALL
dc=$1; cc=$2
emit() { printf '%s=%s\n' "$1" "$2"; }
# Non-printable bytes (newline, escape …) as "?": for text taken from other users' processes.
clean() { printf '%s' "$1" | tr -c '[:print:]' '?'; }
# PIDs of the running processes whose program (argv[0]'s last path segment) is $1, one per line. One awk over
# every /proc/PID/cmdline (NUL-separated arguments): no fork per process. getline, not awk's file arguments: a
# process that ends between the glob and the read must not abort the scan (mawk treats an unreadable argument
# file as fatal; getline just returns -1).
proc_named() {
  MO_NAME=$1 awk 'BEGIN { RS = "\0"; name = ENVIRON["MO_NAME"]
    for (i = 1; i < ARGC; i++) {
      f = ARGV[i]
      if ((getline arg < f) > 0) {
        n = split(arg, parts, "/")
        if (parts[n] == name) { p = f; sub(/^\/proc\//, "", p); sub(/\/cmdline$/, "", p); print p }
      }
      close(f)
    }
    exit }' /proc/[0-9]*/cmdline 2>/dev/null
}
# The argument after $2 on process $1's command line. Status 1: no such flag; 2: its value holds a control
# character (never printed).
proc_flag() {
  MO_FLAG=$2 awk 'BEGIN { RS = "\0"; flag = ENVIRON["MO_FLAG"]; f = ARGV[1]; first = 1; prev = ""; st = 1
    while ((getline arg < f) > 0) {
      if (!first && prev == flag) { if (arg ~ /[[:cntrl:]]/) st = 2; else { print arg; st = 0 }; break }
      first = 0; prev = arg
    }
    exit st }' "/proc/$1/cmdline" 2>/dev/null
}
# "uid N (name)" of process $1's real user.
proc_user() {
  _pu=$(sed -n 's/^Uid:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  [ -n "$_pu" ] || { printf 'unknown'; return 0; }
  printf 'uid %s (%s)' "$_pu" "$(clean "$(id -nu "$_pu" 2>/dev/null || printf '?')")"
}
# Whether $1 is a file owned by root that only root may write, in a directory of the same kind.
root_only() {
  [ -f "$1" ] || return 1
  [ "$(find "$1" "$(dirname -- "$1")" -maxdepth 0 -user 0 ! -perm /022 2>/dev/null | wc -l)" -eq 2 ]
}
# Whether process $1 is the real daemon: real and effective user root or uid $2 ('' = root only), program
# (/proc/PID/exe) the file $3. Prints why not.
proc_trusted() {
  _ids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || _ids=''
  # shellcheck disable=SC2086 # the uid list is split on purpose: real, effective, saved, file system
  set -- "$1" "$2" "$3" $_ids
  if [ $# -lt 5 ]; then printf 'its owner cannot be read'; return 1; fi
  for _u in "$4" "$5"; do
    if [ "$_u" != 0 ] && [ "$_u" != "$2" ]; then
      if [ -n "$2" ]; then printf 'it runs as uid %s, not as root or the daemon user (uid %s)' "$_u" "$2"; else printf 'it runs as uid %s, not as root' "$_u"; fi
      return 1
    fi
  done
  if ! _exe=$(readlink "/proc/$1/exe" 2>/dev/null) || [ -z "$_exe" ]; then printf 'its program cannot be read from /proc/%s/exe (checking it needs root)' "$1"; return 1; fi
  # A binary replaced by a package upgrade while the daemon runs reads "PATH (deleted)".
  case $_exe in *' (deleted)') _exe=$(printf '%s\n' "$_exe" | sed 's/ (deleted)$//') ;; esac
  if [ -z "$3" ]; then printf 'its program is %s and no daemon binary was found to compare it with' "$(clean "$_exe")"; return 1; fi
  if [ "$_exe" != "$3" ]; then printf 'its program is %s, not %s' "$(clean "$_exe")" "$3"; return 1; fi
  if ! root_only "$3"; then printf '%s is not a file owned and writable by root only' "$3"; return 1; fi
  return 0
}
# Every running process named $2: a trusted one with flag $3 gives "$1.instance=CONFIG" (each config once),
# any other "$1.untrusted=PID<TAB>USER<TAB>PROGRAM<TAB>CONFIG<TAB>WHY". Sets SCAN_N (distinct trusted configs),
# SCAN_ONE (the config when SCAN_N is 1) and SCAN_DEFAULT (yes: a trusted one runs without the flag, i.e.
# with its default config). $4: the daemon user's uid allowed besides root; $5: the daemon binary.
scan() {
  SCAN_N=0; SCAN_ONE=''; SCAN_SEEN=' '; SCAN_DEFAULT=no
  for _pid in $(proc_named "$2"); do
    _c=$(proc_flag "$_pid" "$3"); _st=$?
    if _why=$(proc_trusted "$_pid" "$4" "$5"); then
      case $_st in
        0) case $_c in
             /*) ;;
             *) emit "$1.untrusted" "$_pid	$(proc_user "$_pid")	$5	$(clean "$_c")	the value of $3 is not an absolute path"; continue ;;
           esac
           # one line per config: awk checked it holds no control character, so no newline either
           if ! printf '%s' "$SCAN_SEEN" | grep -qxF -- "$_c"; then
             SCAN_SEEN="$SCAN_SEEN
$_c"; SCAN_N=$((SCAN_N + 1)); SCAN_ONE=$_c; emit "$1.instance" "$_c"
           fi ;;
        1) SCAN_DEFAULT=yes ;;
        *) emit "$1.untrusted" "$_pid	$(proc_user "$_pid")	$5		the value of $3 holds control characters" ;;
      esac
    else
      [ "$_st" -eq 0 ] || _c=''
      _exe=$(readlink "/proc/$_pid/exe" 2>/dev/null) || _exe='?'
      emit "$1.untrusted" "$_pid	$(proc_user "$_pid")	$(clean "$_exe")	$(clean "$_c")	$(clean "$_why")"
    fi
  done
}
first_exec() { for p in "$@"; do if [ -x "$p" ]; then printf '%s' "$p"; return 0; fi; done; return 1; }
emit hostname "$(uname -n 2>/dev/null)"
emit kernel "$(uname -sr 2>/dev/null)"
emit user "$(id -un 2>/dev/null)"
d=$(command -v doveadm 2>/dev/null || first_exec /usr/bin/doveadm /usr/local/bin/doveadm /usr/sbin/doveadm || true)
if [ -n "$d" ]; then
  emit dovecot.doveadm "$d"
  dconf=$(command -v doveconf 2>/dev/null || first_exec /usr/bin/doveconf /usr/sbin/doveconf /usr/local/bin/doveconf || true)
  emit dovecot.doveconf "$dconf"
  dbin=$(command -v dovecot 2>/dev/null || first_exec /usr/sbin/dovecot /usr/local/sbin/dovecot || true)
  [ -n "$dbin" ] && emit dovecot.version "$("$dbin" --version 2>/dev/null | head -n 1)"
  emit dovecot.maildirlock "$(first_exec /usr/lib/dovecot/maildirlock /usr/libexec/dovecot/maildirlock /usr/local/libexec/dovecot/maildirlock || true)"
  # The Dovecot master runs as root.
  scan dovecot dovecot -c '' "$( [ -n "$dbin" ] && readlink -f -- "$dbin" 2>/dev/null || true)"
  if [ -z "$dc" ] && [ "$SCAN_N" -eq 1 ]; then dc=$SCAN_ONE; emit dovecot.config_from process; fi
  emit dovecot.config "$dc"
  if [ -n "$dconf" ]; then
    if [ -n "$dc" ]; then set -- -c "$dc"; else set --; fi
    # The explicitly set settings of either dialect (dovecot/dialect.ts parses them), one line each.
    "$dconf" "$@" -N 2>/dev/null | while IFS= read -r l; do emit dovecot.conf "$l"; done
    base=$("$dconf" "$@" -h base_dir 2>/dev/null)
    # The dovecot master runs for this config when its auth-userdb socket exists.
    if [ -n "$base" ] && [ -S "$base/auth-userdb" ]; then emit dovecot.running yes; else emit dovecot.running no; fi
  fi
fi
tools=$(for t in /usr/lib/cyrus/bin /usr/lib/cyrus-imapd /usr/libexec/cyrus-imapd /usr/cyrus/bin /usr/local/cyrus/bin; do if [ -x "$t/ctl_mboxlist" ]; then printf '%s' "$t"; break; fi; done)
if [ -n "$tools" ]; then
  emit cyrus.tools "$tools"
  emit cyrus.wrapper "$(command -v cyrus 2>/dev/null || true)"
  # The Cyrus master starts as root and drops to the cyrus user.
  scan cyrus master -C "$(id -u cyrus 2>/dev/null || true)" "$(readlink -f -- "$tools/master" 2>/dev/null || true)"
  if [ -z "$cc" ]; then
    if [ "$SCAN_N" -eq 1 ]; then cc=$SCAN_ONE; emit cyrus.config_from process; else cc=/etc/imapd.conf; fi
  fi
  emit cyrus.config "$cc"
  if [ -x "$tools/cyr_info" ] && [ -r "$cc" ]; then
    emit cyrus.version "$("$tools/cyr_info" -C "$cc" version 2>/dev/null | head -n 1)"
    # 3.8+ print the index and cache format versions (3.6 does not).
    if [ -x "$tools/cyr_buildinfo" ]; then
      "$tools/cyr_buildinfo" 2>/dev/null | while IFS= read -r l; do
        case "$l" in *'"MAILBOX_MINOR_VERSION"'*|*'"MAILBOX_CACHE_MINOR_VERSION"'*) emit cyrus.build "$l" ;; esac
      done
    fi
    "$tools/cyr_info" -C "$cc" conf-all 2>/dev/null | while IFS= read -r line; do
      case "$line" in
        configdirectory:*|partition-*|expunge_mode:*|delete_mode:*|unixhierarchysep:*|virtdomains:*) printf 'cyrus.conf.%s\n' "$line" ;;
      esac
    done
  fi
  if printf '%s\n' "$SCAN_SEEN" | grep -qxF -- "$cc" || { [ "$cc" = /etc/imapd.conf ] && [ "$SCAN_DEFAULT" = yes ]; }; then emit cyrus.running yes; else emit cyrus.running no; fi
fi
emit end ok
`;

/** Parse the script's output into a report (pure; tested on captured output). */
export function parseProbeOutput(text: string, host: string, transport: 'ssh' | 'local', given: { dovecot?: string; cyrus?: string } = {}): ProbeReport {
  const kv = new Map<string, string>();
  const cyrusConf = new Map<string, string>();
  const doveconf: string[] = [];
  const cyrusBuild = new Map<string, number>();
  const instances: Record<'dovecot' | 'cyrus', string[]> = { dovecot: [], cyrus: [] };
  const untrusted: Record<'dovecot' | 'cyrus', UntrustedProcess[]> = { dovecot: [], cyrus: [] };
  for (const line of text.split('\n')) {
    const inst = /^(dovecot|cyrus)\.instance=(.+)$/.exec(line);
    if (inst) {
      // The script only prints a trusted master's config when it is absolute and free of control characters.
      if (hostPathProblem(inst[2]!) === null) instances[inst[1] as 'dovecot' | 'cyrus'].push(inst[2]!);
      continue;
    }
    const un = /^(dovecot|cyrus)\.untrusted=(\d+)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$/.exec(line);
    if (un) {
      untrusted[un[1] as 'dovecot' | 'cyrus'].push({ pid: Number(un[2]), user: un[3]!, program: un[4]!, config: un[5] || null, reason: un[6]! });
      continue;
    }
    if (line.startsWith('dovecot.conf=')) {
      doveconf.push(line.slice('dovecot.conf='.length));
      continue;
    }
    const build = /^cyrus\.build=\s*"(MAILBOX_MINOR_VERSION|MAILBOX_CACHE_MINOR_VERSION)":\s*(\d+)/.exec(line);
    if (build) {
      cyrusBuild.set(build[1]!, Number(build[2]));
      continue;
    }
    if (line.startsWith('cyrus.conf.')) {
      const rest = line.slice('cyrus.conf.'.length);
      const i = rest.indexOf(':');
      if (i > 0) cyrusConf.set(rest.slice(0, i).trim(), rest.slice(i + 1).trim());
      continue;
    }
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const get = (k: string): string | null => {
    const v = kv.get(k);
    return v === undefined || v === '' ? null : v;
  };
  let dovecot: DovecotProbe | null = null;
  const doveadm = get('dovecot.doveadm');
  if (doveadm) {
    // The settings come from `doveconf -N` (dialect.ts); with no config printed, the version alone decides.
    const settings = doveconf.length ? parseDoveconf(doveconf.join('\n')) : null;
    const version = get('dovecot.version');
    const decision = decideDialect({
      version: version ?? settings?.version ?? null,
      configVersion: settings ? doveconfValue(doveconf, 'dovecot_config_version') : null,
      mailLocation: doveconfValue(doveconf, 'mail_location') !== null,
      pluginSection: doveconf.some((l) => /^plugin\s*\{$/.test(l)),
    });
    const lazy = settings?.lazyExpungeMailbox ?? null;
    dovecot = {
      version,
      dovecotVersion: decision.version,
      dialect: decision.dialect,
      dialectEvidence: decision.evidence,
      doveadm,
      doveconf: get('dovecot.doveconf'),
      maildirlock: hasMaildirlock(decision.dialect) ? get('dovecot.maildirlock') : null,
      config: get('dovecot.config'),
      configFrom: given.dovecot ? 'settings' : get('dovecot.config_from') === 'process' ? 'process' : 'default',
      instances: instances.dovecot,
      untrusted: untrusted.dovecot,
      running: get('dovecot.running') === 'yes',
      mailLocation: settings?.mailLocation ?? null,
      storage: settings?.storage ?? null,
      mailPlugins: settings?.mailPlugins ?? [],
      lazyExpunge: { enabled: lazy !== null, mailbox: lazy },
      separator: settings ? explicitSeparator(doveconf) : null,
    };
  }
  let cyrus: CyrusProbe | null = null;
  const tools = get('cyrus.tools');
  if (tools) {
    const partitions: Record<string, string> = {};
    const pathProblems: string[] = [];
    for (const [k, v] of cyrusConf) {
      if (!k.startsWith('partition-')) continue;
      partitions[k.slice('partition-'.length)] = v;
      const problem = hostPathProblem(v);
      if (problem) pathProblems.push(`${k} ${JSON.stringify(v)}: ${problem}`);
    }
    const confDir = cyrusConf.get('configdirectory');
    if (confDir) {
      const problem = hostPathProblem(confDir);
      if (problem) pathProblems.push(`configdirectory ${JSON.stringify(confDir)}: ${problem}`);
    }
    const bool = (v: string | undefined) => v !== undefined && /^(1|yes|true|on)$/i.test(v);
    const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? null : v);
    cyrus = {
      version: get('cyrus.version'),
      cyrusVersion: parseVersionParts(get('cyrus.version')),
      indexVersion: cyrusBuild.get('MAILBOX_MINOR_VERSION') ?? null,
      cacheVersion: cyrusBuild.get('MAILBOX_CACHE_MINOR_VERSION') ?? null,
      toolsDir: tools,
      wrapper: get('cyrus.wrapper'),
      config: get('cyrus.config') ?? '/etc/imapd.conf',
      configFrom: given.cyrus ? 'settings' : get('cyrus.config_from') === 'process' ? 'process' : 'default',
      instances: instances.cyrus,
      untrusted: untrusted.cyrus,
      pathProblems,
      configDirectory: nonEmpty(cyrusConf.get('configdirectory')),
      partitions,
      expungeMode: nonEmpty(cyrusConf.get('expunge_mode')),
      deleteMode: nonEmpty(cyrusConf.get('delete_mode')),
      unixHierarchySep: bool(cyrusConf.get('unixhierarchysep')),
      virtDomains: nonEmpty(cyrusConf.get('virtdomains')),
      running: get('cyrus.running') === 'yes',
    };
  }
  const detected: Array<'dovecot' | 'cyrus'> = [];
  // Dovecot counts when its dialect is clear and its config names a mail storage (mail_location on 2.3,
  // mail_driver / mail_path on 2.4): a doveadm alone (e.g. from a leftover package) is not a mail server.
  if (dovecot && dovecot.dialect !== null && dovecot.storage !== null) detected.push('dovecot');
  if (cyrus && cyrus.configDirectory !== null) detected.push('cyrus');
  return { host, transport, hostname: get('hostname'), kernel: get('kernel'), user: get('user'), detected, dovecot, cyrus };
}

/** The probe's argv: the constant script with the configured paths ('' when unset) as $1 and $2. */
export function probeArgv(ctx: HostContext): string[] {
  return withPrivilege(['sh', '-c', PROBE_SCRIPT, 'mailops-probe', ctx.config.dovecot?.config ?? '', ctx.config.cyrus?.config ?? ''], ctx.config.privilege);
}

export async function probe(ctx: HostContext, signal?: AbortSignal): Promise<ProbeReport> {
  const dc = ctx.config.dovecot?.config ?? '';
  const cc = ctx.config.cyrus?.config ?? '';
  const hint = 'set the path of the configuration file as an absolute path';
  if (dc) checkHostPath(dc, 'Dovecot config (dovecot.config)', { host: ctx.config.name, from: 'the host settings', hint });
  if (cc) checkHostPath(cc, 'Cyrus config (cyrus.config)', { host: ctx.config.name, from: 'the host settings', hint });
  const argv = probeArgv(ctx);
  const r = await ctx.transport.run(argv, { timeoutMs: 60_000, signal });
  if (r.code !== 0 || !/^end=ok$/m.test(r.stdout)) {
    throw new CommandFailedError('server detection failed', {
      host: ctx.config.name,
      command: shellLine(withPrivilege(['sh', '-c', '<probe script>', 'mailops-probe', dc, cc], ctx.config.privilege)),
      exitCode: r.code,
      signal: r.signal,
      stderr: r.stderr,
      meaning: r.code === 1 && /sudo/.test(r.stderr) ? 'sudo refused to run without a password' : 'the probe script did not finish',
      hint: 'check that the SSH user can run a POSIX shell on the host and, with privilege sudo, that sudo -n works for it',
    });
  }
  return parseProbeOutput(r.stdout, ctx.config.name, ctx.transport.kind, { dovecot: dc || undefined, cyrus: cc || undefined });
}
