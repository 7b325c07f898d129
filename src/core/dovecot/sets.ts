/**
 * Backup sets: where messages are read from when browsing, verifying and restoring.
 *
 *   live       the account's mail as Dovecot serves it
 *   mirror     the `doveadm backup` copy in layout.mirror (maildir), read through doveadm overrides that
 *              point the account at the copy with in-memory indexes (the form is the dialect's:
 *              dialect.ts copyOverrides; measured: the path is taken literally, `%` is not expanded; a
 *              missing folder reads as an empty INBOX, so its existence is checked first)
 *   archive:ID one point of an archive chain, extracted by the backup side into a temporary folder on
 *              the host, read like the mirror, removed afterwards
 *   expunged   lazy_expunge's mailbox (e.g. EXPUNGED) of the live account
 *
 * A copy is only handed out after setProof.ts has shown that doveadm, under exactly those overrides,
 * reads it and not the live mail (doveadm ignores override keys it does not know, silently).
 *
 * While a mirror or an archive set is open, the account's backup lock is held shared on the host
 * (backup/lock.ts): a backup run, which syncs the mirror and whose retention deletes chains, waits until
 * the set is closed (and the opener waits for a run that is going on).
 */
import { CommandFailedError, MailopsError, UsageError } from '../errors';
import { dovecotLayout } from '../backup/layout';
import { holdSharedLock, type HeldLock } from '../backup/lock';
import { ScriptBuilder, sh as shCode } from '../backup/script';
import type { HostContext } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import { extractChainPoint } from './archive';
import { backupLocation, copyImportSource, copyOverrides, lazyExpungeHint, type DovecotDialect, type MaildirCopy, type MaildirLayout } from './dialect';
import { readDovecotSettings, requireDialect, type DovecotSettings } from './mailboxes';
import { proveSetRead } from './setProof';
import type { BackupSetRef } from './types';
import { checkAccountName } from '../names';

export { backupLocation, type MaildirLayout };

/** Archive ids as the backup side names them: 20261122T042158Z-full|diff|incr. */
export const ARCHIVE_ID_RE = /^\d{8}T\d{6}Z-(full|diff|incr)$/;

/** The UTC time in an archive id (when the point was made), or null. */
export function timeFromArchiveId(id: string): string | null {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : null;
}

/** Parse a set name as typed on the command line: live, mirror, expunged, archive:ID. */
export function parseSetRef(text: string | undefined, defaultRef: BackupSetRef = { kind: 'live' }): BackupSetRef {
  if (text === undefined || text === '') return defaultRef;
  const t = text.trim();
  if (t === 'live') return { kind: 'live' };
  if (t === 'mirror') return { kind: 'mirror' };
  if (t === 'expunged' || t === 'lazy_expunge') return { kind: 'expunged' };
  const m = /^archive:(.+)$/.exec(t);
  if (m) return { kind: 'archive', archiveId: m[1]! };
  if (ARCHIVE_ID_RE.test(t)) return { kind: 'archive', archiveId: t };
  throw new UsageError(`unknown backup set "${text}"`, { hint: 'use live, mirror, expunged or archive:ID (mailops backup list shows archive ids)' });
}

export function setLabel(ref: BackupSetRef): string {
  return ref.kind === 'archive' ? `archive:${ref.archiveId}` : ref.kind;
}

/**
 * Whether a maildir copy exists and which layout it has: Maildir++ keeps sub-folders as `.Name/`
 * (with cur/), LAYOUT=fs as `Name/` (with cur/). A copy with INBOX only reads the same either way.
 */
export async function detectMaildir(ctx: HostContext, dir: string, signal?: AbortSignal): Promise<MaildirLayout | null> {
  const script = [
    '[ -d "$1" ] || { echo missing; exit 0; }',
    'for d in "$1"/.[!.]*/; do [ -d "$d/cur" ] && { echo maildir++; exit 0; }; done',
    'for d in "$1"/*/; do case "$d" in */cur/|*/new/|*/tmp/) continue ;; esac; [ -d "$d/cur" ] && { echo fs; exit 0; }; done',
    'echo maildir++',
  ].join('\n');
  const out = (await sh(ctx, script, [dir], 'inspecting a backup folder failed', signal)).trim();
  return out === 'fs' ? 'fs' : out === 'maildir++' ? 'maildir++' : null;
}

/** A set ready to read: doveadm overrides for reads, and the source arguments for `doveadm import`. */
export interface OpenedSet {
  ref: BackupSetRef;
  label: string;
  /** The host's Dovecot dialect, which chose the forms below. */
  dialect: DovecotDialect;
  /** doveadm -o overrides that make the account read this set ({} for live and expunged). */
  overrides: Record<string, string>;
  /**
   * `doveadm import` arguments naming the set as the source (options, then the location), or null for
   * live / expunged: those restore by move.
   */
  importSource: string[] | null;
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
  /** Extract an archive chain point into destDir and return its maildir (default: the backup side's). */
  extractChainPoint?: (ctx: HostContext, account: string, archiveId: string, destDir: string) => Promise<string>;
  /**
   * Fault injection for tests: rewrite the overrides before they are proved and used (e.g. misspell a
   * key, as a Dovecot that does not know it would see it). Never set in production code.
   */
  alterOverrides?: (overrides: Record<string, string>) => Record<string, string>;
  /** Seconds to wait for a backup run that holds the account's lock (default backup/lock.ts). */
  lockTimeoutSeconds?: number;
  /** Told when a backup run holds the lock and opening the set waits for it. */
  onLockWait?: (message: string) => void;
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

const TEMP_DIR_BODY = shCode`
mo_safe_dir "$PARENT" 0711 >&2 || exit 73
d=$(mktemp -d "$PARENT/$PREFIX.XXXXXXXX") && chmod 0711 "$d" && printf '%s' "$d"
`;

/**
 * Make a temporary folder on the host under `parent` (created if needed, every component of its path
 * checked: backup/script.ts mo_safe_dir) that the mail user can traverse (0711), for extracted archives.
 */
export async function makeHostTempDir(ctx: HostContext, parent: string, prefix: string, signal?: AbortSignal): Promise<string> {
  const b = new ScriptBuilder('mailops-tempdir');
  b.param('PARENT', parent);
  b.param('PREFIX', prefix);
  b.add(TEMP_DIR_BODY);
  const built = b.build();
  const argv = withPrivilege(built.argv, ctx.config.privilege);
  const r = await ctx.transport.run(argv, { signal, timeoutMs: 120_000 });
  if (r.code !== 0) {
    throw new CommandFailedError('creating a temporary folder on the host failed', {
      host: ctx.config.name,
      command: shellLine(withPrivilege(['sh', '-c', '<tempdir script>', built.name, ...built.args], ctx.config.privilege)),
      exitCode: r.code,
      signal: r.signal,
      stderr: r.stderr,
      meaning: r.code === 73 ? 'the backup folder is missing or unsafe (see the path line in stderr)' : 'the shell command failed on the host',
      hint: 'read stderr; check the owner and mode of each folder of the backup root',
    });
  }
  const dir = r.stdout.trim();
  if (!/^\/.+\/mailops-[A-Za-z0-9.-]+$/.test(dir)) throw new MailopsError(`unexpected temporary folder name "${dir}"`, { host: ctx.config.name });
  return dir;
}

/** Remove a folder made by makeHostTempDir (refuses any other path). */
export async function removeHostTempDir(ctx: HostContext, dir: string, signal?: AbortSignal): Promise<void> {
  if (!/^\/.+\/mailops-[A-Za-z0-9.-]+$/.test(dir)) throw new MailopsError(`refusing to remove "${dir}": not a Mailops temporary folder`);
  await sh(ctx, 'rm -rf -- "$1"', [dir], 'removing a temporary folder failed', signal);
}

/**
 * Archives leave out tmp/ (a consistent maildir copy skips it), and Dovecot does not see a maildir
 * folder without tmp/ ("Mailbox doesn't exist", measured with LAYOUT=fs). Add an empty tmp/ next to each
 * cur/, owned like its folder.
 */
export async function addMissingTmpDirs(ctx: HostContext, maildir: string, signal?: AbortSignal): Promise<void> {
  const script = [
    'find "$1" -type d -name cur -exec sh -c \'',
    'for c do d=${c%/cur}; [ -d "$d/tmp" ] || { mkdir -m 0700 -- "$d/tmp" && chown --reference="$d" -- "$d/tmp"; } || exit 1; done',
    "' mailops-tmpdirs {} +",
  ].join('');
  await sh(ctx, script, [maildir], 'preparing the extracted archive for reading failed', signal);
}

export async function openSet(ctx: HostContext, account: string, ref: BackupSetRef, opts: OpenSetOptions = {}): Promise<OpenedSet> {
  checkAccountName('dovecot', account, { host: ctx.config.name });
  const settings = opts.settings ?? (await readDovecotSettings(ctx, { signal: opts.signal }));
  const dialect = requireDialect(ctx, settings);
  const layout = dovecotLayout(ctx.config, account);
  const label = setLabel(ref);
  const base = { ref, label, dialect, settings, close: async () => undefined };
  const readLock = (what: string): Promise<HeldLock | null> =>
    holdSharedLock(ctx, layout, { signal: opts.signal, timeoutSeconds: opts.lockTimeoutSeconds, onWait: opts.onLockWait, what });
  /** The forms that read `copy`, once doveadm has shown that it reads it under them. */
  const openCopy = async (copy: MaildirCopy, meta: string | null) => {
    const made = copyOverrides(dialect, copy);
    const overrides = opts.alterOverrides ? opts.alterOverrides(made) : made;
    await proveSetRead(ctx, { account, label, dialect, dir: copy.dir, overrides, meta }, opts.signal);
    return { overrides, importSource: copyImportSource(dialect, copy) };
  };
  switch (ref.kind) {
    case 'live':
      return { ...base, overrides: {}, importSource: null, onlyMailbox: null, path: null, madeAt: null };
    case 'expunged': {
      if (!settings.lazyExpungeMailbox) {
        throw new UsageError('lazy_expunge is not enabled on this host: there is no expunged set', {
          host: ctx.config.name,
          hint: lazyExpungeHint(dialect),
        });
      }
      return { ...base, overrides: {}, importSource: null, onlyMailbox: settings.lazyExpungeMailbox, path: null, madeAt: null };
    }
    case 'mirror': {
      // Held until close: a backup run would sync the mirror while it is read.
      const lock = await readLock(`the mirror of ${account}`);
      try {
        const kind = await detectMaildir(ctx, layout.mirror, opts.signal);
        if (!kind) {
          throw new MailopsError(`no backup mirror of ${account} on the host`, {
            host: ctx.config.name,
            meaning: `the folder ${layout.mirror} does not exist`,
            hint: `run mailops backup ${JSON.stringify(account)} first (or set the host's dovecot.backupRoot)`,
          });
        }
        const t = await statMtime(ctx, [layout.state, layout.mirror], opts.signal);
        const forms = await openCopy({ dir: layout.mirror, layout: kind }, null);
        return { ...base, ...forms, onlyMailbox: null, path: layout.mirror, madeAt: t === null ? null : new Date(t * 1000).toISOString(), close: async () => lock?.release() };
      } catch (e) {
        await lock?.release().catch(() => undefined);
        throw e;
      }
    }
    case 'archive': {
      const extract = opts.extractChainPoint ?? (async (c: HostContext, a: string, id: string, d: string) => (await extractChainPoint(c, a, id, d, opts.signal)).maildir);
      // Held until close: retention would delete the chain while it is read.
      const lock = await readLock(`the archives of ${account}`);
      let dir: string;
      try {
        // On the backups' file system (an archive can be as large as the mailbox), removed on close.
        dir = await makeHostTempDir(ctx, layout.dir, 'mailops-extract', opts.signal);
      } catch (e) {
        await lock?.release().catch(() => undefined);
        throw e;
      }
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        try {
          await removeHostTempDir(ctx, dir);
        } finally {
          await lock?.release();
        }
      };
      try {
        const maildir = await extract(ctx, account, ref.archiveId, dir);
        await addMissingTmpDirs(ctx, maildir, opts.signal);
        const kind = (await detectMaildir(ctx, maildir, opts.signal)) ?? 'maildir++';
        const forms = await openCopy({ dir: maildir, layout: kind }, `${layout.archives}/${ref.archiveId}.meta`);
        return { ...base, ...forms, onlyMailbox: null, path: maildir, madeAt: timeFromArchiveId(ref.archiveId), close };
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
