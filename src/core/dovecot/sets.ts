/**
 * Backup sets: where messages are read from when browsing, verifying and restoring.
 *
 *   live       the account's mail as Dovecot serves it
 *   mirror     the `doveadm backup` copy in layout.mirror (maildir), read through
 *              `doveadm -o mail_location=maildir:MIRROR:INDEX=MEMORY` (measured: the path is taken
 *              literally, `%` is not expanded; a missing folder reads as an empty INBOX, so its
 *              existence is checked first)
 *   archive:ID one point of an archive chain, extracted by the backup side into a temporary folder on
 *              the host, read like the mirror, removed afterwards
 *   expunged   lazy_expunge's mailbox (e.g. EXPUNGED) of the live account
 */
import { CommandFailedError, MailopsError, UsageError } from '../errors';
import { dovecotLayout } from '../backup/layout';
import type { HostContext } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import { readDovecotSettings, type DovecotSettings } from './mailboxes';
import type { BackupSetRef } from './types';

/** Parse a set name as typed on the command line: live, mirror, expunged, archive:ID. */
export function parseSetRef(text: string | undefined, defaultRef: BackupSetRef = { kind: 'live' }): BackupSetRef {
  if (text === undefined || text === '') return defaultRef;
  const t = text.trim();
  if (t === 'live') return { kind: 'live' };
  if (t === 'mirror') return { kind: 'mirror' };
  if (t === 'expunged' || t === 'lazy_expunge') return { kind: 'expunged' };
  const m = /^archive:(.+)$/.exec(t);
  if (m) return { kind: 'archive', archiveId: m[1]! };
  throw new UsageError(`unknown backup set "${text}"`, { hint: 'use live, mirror, expunged or archive:ID (mailops backup list shows archive ids)' });
}

export function setLabel(ref: BackupSetRef): string {
  return ref.kind === 'archive' ? `archive:${ref.archiveId}` : ref.kind;
}

/** The mail_location that reads a maildir copy without writing index files into it. */
export function backupLocation(maildir: string): string {
  if (maildir.includes(':')) throw new UsageError(`a backup folder path may not contain ":" (${maildir})`);
  return `maildir:${maildir}:INDEX=MEMORY`;
}

/** A set ready to read: doveadm overrides for reads, and the location for `doveadm import`. */
export interface OpenedSet {
  ref: BackupSetRef;
  label: string;
  /** doveadm -o overrides that make the account read this set ({} for live and expunged). */
  overrides: Record<string, string>;
  /** mail_location of the set for `doveadm import` (null for live / expunged: those restore by move). */
  location: string | null;
  /** For expunged: the lazy_expunge mailbox, the only mailbox of the set. */
  onlyMailbox: string | null;
  /** Where the set lives on the host (mirror or extraction folder), when it is a copy. */
  path: string | null;
  /** When the set was made (ISO 8601), when known. */
  madeAt: string | null;
  settings: DovecotSettings;
  /** Remove temporary files (archive extraction). Idempotent. */
  close(): Promise<void>;
}

export interface OpenSetOptions {
  signal?: AbortSignal;
  settings?: DovecotSettings;
  /** Provided by the backup side: extract an archive chain point into destDir, return its maildir. */
  extractChainPoint?: (ctx: HostContext, account: string, archiveId: string, destDir: string) => Promise<string>;
}

async function sh(ctx: HostContext, script: string, args: string[], what: string, signal?: AbortSignal): Promise<string> {
  const argv = withPrivilege(['sh', '-c', script, 'mailops', ...args], ctx.config.privilege);
  const r = await ctx.transport.run(argv, { signal, timeoutMs: 120_000 });
  if (r.code !== 0) {
    throw new CommandFailedError(what, {
      host: ctx.config.name,
      command: shellLine(argv),
      exitCode: r.code,
      signal: r.signal,
      stderr: r.stderr,
      meaning: 'the shell command failed on the host',
      hint: 'read stderr; check permissions of the backup folder',
    });
  }
  return r.stdout;
}

/** Modification time (unix seconds) of the first existing path, or null when none exists. */
export async function statMtime(ctx: HostContext, paths: string[], signal?: AbortSignal): Promise<number | null> {
  const out = await sh(ctx, 'for p in "$@"; do if [ -e "$p" ]; then stat -c %Y -- "$p"; exit 0; fi; done; echo none', paths, 'reading a file time failed', signal);
  const t = out.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

export async function isDirectory(ctx: HostContext, path: string, signal?: AbortSignal): Promise<boolean> {
  const out = await sh(ctx, 'if [ -d "$1" ]; then echo yes; else echo no; fi', [path], 'checking a folder failed', signal);
  return out.trim() === 'yes';
}

/** Make a private temporary folder on the host that the mail user can read (for extracted archives). */
export async function makeHostTempDir(ctx: HostContext, prefix: string, signal?: AbortSignal): Promise<string> {
  const out = await sh(ctx, 'd=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXXXX") && chmod 0711 "$d" && printf %s "$d"', [prefix], 'creating a temporary folder on the host failed', signal);
  const dir = out.trim();
  if (!/^\/.+\/mailops-[A-Za-z0-9.-]+$/.test(dir)) throw new MailopsError(`unexpected temporary folder name "${dir}"`, { host: ctx.config.name });
  return dir;
}

/** Remove a folder made by makeHostTempDir (refuses any other path). */
export async function removeHostTempDir(ctx: HostContext, dir: string, signal?: AbortSignal): Promise<void> {
  if (!/^\/.+\/mailops-[A-Za-z0-9.-]+$/.test(dir)) throw new MailopsError(`refusing to remove "${dir}": not a Mailops temporary folder`);
  await sh(ctx, 'rm -rf -- "$1"', [dir], 'removing a temporary folder failed', signal);
}

export async function openSet(ctx: HostContext, account: string, ref: BackupSetRef, opts: OpenSetOptions = {}): Promise<OpenedSet> {
  const settings = opts.settings ?? (await readDovecotSettings(ctx, { signal: opts.signal }));
  const layout = dovecotLayout(ctx.config, account);
  const base = { ref, label: setLabel(ref), settings, close: async () => undefined };
  switch (ref.kind) {
    case 'live':
      return { ...base, overrides: {}, location: null, onlyMailbox: null, path: null, madeAt: null };
    case 'expunged': {
      if (!settings.lazyExpungeMailbox) {
        throw new UsageError('lazy_expunge is not enabled on this host: there is no expunged set', {
          host: ctx.config.name,
          hint: 'enable the lazy_expunge plugin (mail_plugins, plugin { lazy_expunge = EXPUNGED }) to keep expunged mail restorable',
        });
      }
      return { ...base, overrides: {}, location: null, onlyMailbox: settings.lazyExpungeMailbox, path: null, madeAt: null };
    }
    case 'mirror': {
      if (!(await isDirectory(ctx, layout.mirror, opts.signal))) {
        throw new MailopsError(`no backup mirror of ${account} on the host`, {
          host: ctx.config.name,
          meaning: `the folder ${layout.mirror} does not exist`,
          hint: `run mailops backup ${JSON.stringify(account)} first (or set the host's dovecot.backupRoot)`,
        });
      }
      const t = await statMtime(ctx, [layout.state, layout.mirror], opts.signal);
      const location = backupLocation(layout.mirror);
      return {
        ...base,
        overrides: { mail_location: location },
        location,
        onlyMailbox: null,
        path: layout.mirror,
        madeAt: t === null ? null : new Date(t * 1000).toISOString(),
      };
    }
    case 'archive': {
      if (!opts.extractChainPoint) {
        throw new MailopsError('archive chain points cannot be read yet', {
          host: ctx.config.name,
          meaning: 'the archive side of this Mailops build does not provide extraction',
          hint: 'use --source mirror or --source expunged',
        });
      }
      const dir = await makeHostTempDir(ctx, 'mailops-extract', opts.signal);
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await removeHostTempDir(ctx, dir);
      };
      try {
        const maildir = await opts.extractChainPoint(ctx, account, ref.archiveId, dir);
        const location = backupLocation(maildir);
        return { ...base, overrides: { mail_location: location }, location, onlyMailbox: null, path: maildir, madeAt: null, close };
      } catch (e) {
        await close().catch(() => undefined);
        throw e;
      }
    }
  }
}

/** Open a set, run `fn`, always close it (temporary extraction removed even on failure). */
export async function withSet<T>(ctx: HostContext, account: string, ref: BackupSetRef, opts: OpenSetOptions, fn: (set: OpenedSet) => Promise<T>): Promise<T> {
  const set = await openSet(ctx, account, ref, opts);
  try {
    return await fn(set);
  } finally {
    await set.close();
  }
}
