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

/** The script. $1 = Dovecot config or '', $2 = Cyrus imapd.conf or ''. Prints key=value lines only. */
export const PROBE_SCRIPT = String.raw`
set -u
exec 4>&1
dc=$1; cc=$2
emit() { printf '%s=%s\n' "$1" "$2"; }
# The values after FLAG in the command lines of the running processes whose program is named NAME, one per
# line. One awk over every /proc/PID/cmdline (NUL-separated arguments): no fork per process.
proc_flags() {
  # getline, not awk's file arguments: a process that ends between the glob and the read must not abort
  # the scan (mawk treats an unreadable argument file as fatal; getline just returns -1).
  awk -v name="$1" -v flag="$2" 'BEGIN { RS = "\0"
    for (i = 1; i < ARGC; i++) {
      f = ARGV[i]; first = 1; ok = 0; prev = ""
      while ((getline arg < f) > 0) {
        if (first) { n = split(arg, parts, "/"); ok = (parts[n] == name); first = 0 }
        else if (ok && prev == flag) { print arg; ok = 0 }
        prev = arg
      }
      close(f)
    }
    exit }' /proc/[0-9]*/cmdline 2>/dev/null | sort -u
}
# Whether a process named NAME runs without FLAG on its command line (it then uses its default config).
proc_without() {
  awk -v name="$1" -v flag="$2" 'BEGIN { RS = "\0"; found = 0
    for (i = 1; i < ARGC; i++) {
      f = ARGV[i]; first = 1; ok = 0; seen = 0
      while ((getline arg < f) > 0) {
        if (first) { n = split(arg, parts, "/"); ok = (parts[n] == name); first = 0 }
        else if (arg == flag) seen = 1
      }
      close(f)
      if (ok && !seen) found = 1
    }
    exit found ? 0 : 1 }' /proc/[0-9]*/cmdline 2>/dev/null
}
# Emit each running instance; print the config when exactly one runs.
pick_instance() { # KEY NAME FLAG
  found=$(proc_flags "$2" "$3")
  [ -n "$found" ] || return 1
  printf '%s\n' "$found" | while IFS= read -r c; do emit "$1.instance" "$c"; done >&3
  [ "$(printf '%s\n' "$found" | wc -l)" -eq 1 ] || return 1
  printf '%s' "$found"
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
  if [ -z "$dc" ] && dc=$(pick_instance dovecot dovecot -c 3>&4); then emit dovecot.config_from process; fi
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
  if [ -z "$cc" ]; then
    if cc=$(pick_instance cyrus master -C 3>&4); then emit cyrus.config_from process; else cc=/etc/imapd.conf; fi
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
  if proc_flags master -C | grep -qxF -- "$cc" || { [ "$cc" = /etc/imapd.conf ] && proc_without master -C; }; then emit cyrus.running yes; else emit cyrus.running no; fi
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
  for (const line of text.split('\n')) {
    const inst = /^(dovecot|cyrus)\.instance=(.+)$/.exec(line);
    if (inst) {
      instances[inst[1] as 'dovecot' | 'cyrus'].push(inst[2]!);
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
    for (const [k, v] of cyrusConf) if (k.startsWith('partition-')) partitions[k.slice('partition-'.length)] = v;
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

export async function probe(ctx: HostContext, signal?: AbortSignal): Promise<ProbeReport> {
  const dc = ctx.config.dovecot?.config ?? '';
  const cc = ctx.config.cyrus?.config ?? '';
  const argv = withPrivilege(['sh', '-c', PROBE_SCRIPT, 'mailops-probe', dc, cc], ctx.config.privilege);
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
