/**
 * Which logs a host offers, in one remote command: Mailops' own run logs under the backup root(s), the
 * Dovecot log files (doveconf's log_path, info_log_path, debug_log_path and /var/log/dovecot*), and the
 * syslog files that receive the mail facility (where Cyrus always logs, and Dovecot when log_path=syslog),
 * read from the rsyslog/syslog configuration (including a running rsyslogd's `-f` file) plus the usual names.
 * Only files that exist and can be read are listed.
 */
import { MailopsError } from '../errors';
import { spawnPrivileged, type HostContext } from '../hosts/context';
import { cyrusBackupRoot, decodeSegment, dovecotBackupRoot } from '../backup/layout';
import { shellLine } from '../transport/quote';
import { shortenTransportError } from './remoteFile';

export type LogKind = 'run-dovecot' | 'run-cyrus' | 'dovecot' | 'mail';

export interface DiscoveredLog {
  kind: LogKind;
  path: string;
  size: number;
  mtimeMs: number;
  /** For Dovecot run logs: the account, decoded from its folder name. */
  account?: string;
}

/**
 * $1 Dovecot backup root, $2 Cyrus backup root, $3 doveconf -c path (may be empty). Prints records
 * `KIND MTIME SIZE PATH` each ended by a NUL byte (paths may hold anything but NUL).
 */
export const DISCOVER_SCRIPT = `export LC_ALL=C
out() {
  [ -f "$2" ] && [ -r "$2" ] || return 0
  s=$(stat -L -c '%Y %s' -- "$2" 2>/dev/null || stat -L -f '%m %z' -- "$2" 2>/dev/null) || return 0
  printf '%s %s %s\\0' "$1" "$s" "$2"
}
for f in "$1"/dovecot/*/logs/*.log; do out run-dovecot "$f"; done
for f in "$2"/cyrus/logs/*.log; do out run-cyrus "$f"; done
if command -v doveconf >/dev/null 2>&1; then
  # The settings as doveconf -n prints them (both dialects), not -h: Dovecot 2.4.1's -h fails with "Multiple
  # settings matched with -h parameter" (exit 89) for log_path.
  if [ -n "$3" ]; then d=$(doveconf -c "$3" -n 2>/dev/null); else d=$(doveconf -n 2>/dev/null); fi
  printf '%s\\n' "$d" | sed -n 's/^\\(log_path\\|info_log_path\\|debug_log_path\\) = \\(\\/.*\\)$/\\2/p' |
    while IFS= read -r f; do out dovecot "$f"; done
fi
for f in /var/log/dovecot*.log /var/log/dovecot/*.log; do out dovecot "$f"; done
{
  for c in /etc/rsyslog.conf /etc/rsyslog.d/*.conf /etc/syslog.conf; do [ -f "$c" ] && printf '%s\\n' "$c"; done
  ps -eo args= 2>/dev/null | sed -n 's/^[^ ]*rsyslogd .*-f *\\([^ ]*\\).*/\\1/p'
} | while IFS= read -r c; do
  [ -r "$c" ] && sed -n 's/^[^#]*mail\\.[^[:space:]]*[[:space:]][[:space:]]*-\\{0,1\\}\\(\\/[^[:space:];]*\\).*/\\1/p' "$c"
done | while IFS= read -r f; do out mail "$f"; done
for f in /var/log/mail.log /var/log/mail.err /var/log/mail.warn /var/log/mail.info /var/log/maillog /var/log/mail/mail.log /var/log/cyrus*.log /var/log/imapd.log; do out mail "$f"; done
exit 0`;

const KIND_ORDER: Record<LogKind, number> = { 'run-dovecot': 0, 'run-cyrus': 1, dovecot: 2, mail: 3 };

/** Parse the NUL-separated records; duplicates keep the first (most specific) kind. Exported for tests. */
export function parseDiscovery(stdout: Buffer, dovecotRoot: string): DiscoveredLog[] {
  const seen = new Map<string, DiscoveredLog>();
  for (const rec of stdout.toString('utf8').split('\0')) {
    const m = /^(run-dovecot|run-cyrus|dovecot|mail) (\d+) (\d+) (\/.*)$/s.exec(rec);
    if (!m) continue;
    const path = m[4]!;
    if (seen.has(path)) continue;
    const log: DiscoveredLog = { kind: m[1] as LogKind, path, mtimeMs: Number(m[2]) * 1000, size: Number(m[3]) };
    if (log.kind === 'run-dovecot') {
      const prefix = `${dovecotRoot.replace(/\/+$/, '')}/dovecot/`;
      const seg = path.startsWith(prefix) ? path.slice(prefix.length).split('/')[0] : undefined;
      if (seg) log.account = decodeSegment(seg);
    }
    seen.set(path, log);
  }
  // Run logs newest first; then Dovecot's files, then syslog files, each newest first.
  return [...seen.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path));
}

/** The logs this host offers, in one remote command. */
export async function discoverLogs(ctx: HostContext, signal?: AbortSignal): Promise<DiscoveredLog[]> {
  const dovecotRoot = dovecotBackupRoot(ctx.config);
  const argv = ['sh', '-c', DISCOVER_SCRIPT, 'mailops-logs', dovecotRoot, cyrusBackupRoot(ctx.config), ctx.config.dovecot?.config ?? ''];
  const proc = spawnPrivileged(ctx, argv, signal ? { signal } : {});
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  const status = await proc.exit.catch((e: unknown) => {
    throw shortenTransportError(e, ctx, argv, 'discover script');
  });
  await new Promise<void>((resolve) => (proc.stdout.readableEnded ? resolve() : proc.stdout.once('end', resolve).once('close', resolve)));
  if (status.code !== 0) {
    throw new MailopsError('could not list the logs of the host', {
      host: ctx.config.name,
      command: shellLine(['sh', '-c', '<discover script>', ...argv.slice(3)]),
      exitCode: status.code,
      signal: status.signal,
      stderr: Buffer.concat(err).toString('utf8'),
      hint: 'check that the host has a POSIX sh and stat; open a log by its path instead',
    });
  }
  return parseDiscovery(Buffer.concat(out), dovecotRoot);
}
