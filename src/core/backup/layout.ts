/**
 * Where backups live on the mail host. One folder per account (Dovecot) or per host (Cyrus), named so
 * that hostile account names (quotes, spaces, `$(…)`, `/`, non-ASCII) become a single safe path segment.
 *
 *   ROOT/dovecot/ACCOUNT_DIR/
 *     mirror -> mirror.<stamp>/  the doveadm backup destination (maildir), read with INDEX=MEMORY; a symlink
 *                             switched atomically by `backup --fresh` (older mirror.<stamp>/ are kept)
 *     mirror.state            dsync state of the last run that earned it (replaced atomically)
 *     mirror.location         the exact doveadm location of the mirror (maildir:…[:LAYOUT=…], as the live one)
 *     mirror.<stamp>.state    the state of an older mirror, kept beside it
 *     archives/               tar archives: <UTC stamp>-<level>.tar.gz (+ .snar snapshot files)
 *     logs/                   one log per run: <UTC stamp>-<kind>.log
 *     ops.log                 operation log of restores (one JSON line each), to find and undo them (0600)
 *     verify.last             the last verify's result (key=value lines), read by health (core/health)
 *     lock                    flock(1) target: two runs for one account never overlap (exclusive); readers
 *                             of the mirror or a chain hold it shared while they read (backup/lock.ts)
 *
 * Everything is made by root, owner-only, after the path up to it was checked (script.ts mo_safe_dir).
 *   ROOT/cyrus/
 *     (same names: archives/, logs/, ops.log, lock; plus mailboxes.db dumps)
 */
import { DEFAULT_BACKUP_ROOT, type HostConfig } from '../hosts/model';
import { UsageError } from '../errors';

/** A safe, reversible single path segment: [A-Za-z0-9._@+-] kept, every other UTF-8 byte as %XX. */
export function encodeSegment(name: string): string {
  if (name === '') return '%';
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_@+-]/.test(c) || (c === '.' && out !== '') ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeSegment(segment: string): string {
  if (segment === '%') return '';
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] === '%' && /^[0-9A-F]{2}$/.test(segment.slice(i + 1, i + 3))) {
      bytes.push(parseInt(segment.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(segment.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface BackupLayout {
  root: string;
  dir: string;
  mirror: string;
  state: string;
  archives: string;
  logs: string;
  opsLog: string;
  lock: string;
  /** File holding the mirror's doveadm mail location (with the live LAYOUT), written by each mirror run. */
  mirrorLocation: string;
}

function join(...parts: string[]): string {
  return parts.join('/').replace(/\/{2,}/g, '/');
}

export function dovecotBackupRoot(host: HostConfig): string {
  return host.dovecot?.backupRoot ?? DEFAULT_BACKUP_ROOT;
}

export function cyrusBackupRoot(host: HostConfig): string {
  return host.cyrus?.backupRoot ?? DEFAULT_BACKUP_ROOT;
}

/** The same file names under every backup folder, Dovecot's per account and Cyrus's per host. */
function layoutAt(root: string, dir: string): BackupLayout {
  return {
    root,
    dir,
    mirror: join(dir, 'mirror'),
    state: join(dir, 'mirror.state'),
    archives: join(dir, 'archives'),
    logs: join(dir, 'logs'),
    opsLog: join(dir, 'ops.log'),
    lock: join(dir, 'lock'),
    mirrorLocation: join(dir, 'mirror.location'),
  };
}

export function dovecotLayout(host: HostConfig, account: string): BackupLayout {
  const root = dovecotBackupRoot(host);
  return layoutAt(root, join(root, 'dovecot', encodeSegment(account)));
}

export function cyrusLayout(host: HostConfig): BackupLayout {
  const root = cyrusBackupRoot(host);
  return layoutAt(root, join(root, 'cyrus'));
}

/**
 * The backup root as written in the host's settings, checked before anything runs: absolute, no `.` or
 * `..` components, no control characters. (The scripts check the rest on the host, where it can be seen:
 * every existing component owned by root or the running user, not writable by others unless sticky, no
 * symlink: script.ts mo_safe_dir.)
 */
export function checkBackupRoot(root: string): void {
  const hint = 'set dovecot.backupRoot / cyrus.backupRoot to an absolute path such as /var/backups/mailops';
  if (!root.startsWith('/')) throw new UsageError(`the backup root ${JSON.stringify(root)} is not an absolute path`, { hint });
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(root)) throw new UsageError(`the backup root ${JSON.stringify(root)} holds control characters`, { hint });
  if (root.split('/').some((c) => c === '.' || c === '..')) throw new UsageError(`the backup root ${JSON.stringify(root)} holds a . or .. component`, { hint });
}

/** UTC stamp used in archive and log names: sortable, no characters that need quoting. */
export function stamp(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}
