/**
 * Mailboxes of a Cyrus host, from `ctl_mboxlist -d` (read as a stream, one entry per line, tombstones
 * skipped; NEVER `-x`, which deletes what it dumps), grouped per account, with message counts and sizes
 * read in one batch: `mbpath -7 -j` for all names (fed NUL-separated on stdin through xargs), then the
 * header bytes of all their cyrus.index files by `head -c` (also through xargs), read by index version
 * (indexHeader.ts). For 25,000 mailboxes that is a few dozen processes on the host instead of 25,000
 * `mbexamine` runs. A count that cannot be read is null with the reason in `countProblem`, never 0.
 */
import { MailopsError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import { readLines } from '../util/lines';
import { decodeMutf7 } from './utf7';
import { displayFolder, parseInternalName, toolName, type NameStyle } from './names';
import { INDEX_HEADER_READ_BYTES, parseIndexHeader } from './indexHeader';
import { parseMbpathJson, readMboxlist, splitHeadOutput, type MboxlistEntry } from './parse';
import { checkCyrusAccount, commandError, cyrusEnv, runTool, scriptArgv, toolArgv, type CyrusEnv } from './tools';

export interface CyrusMailbox {
  /** Internal name (mailboxes.db): `[domain!]user.alice.Archive`. */
  internal: string;
  /** Admin external name in modified UTF-7, as the Cyrus tools take it: `user/alice/Archive@domain`. */
  toolName: string;
  /** `alice` or `alice@example.org`; null for shared folders. */
  account: string | null;
  /** Display path below the account (Unicode, host separator), `INBOX` for the root. */
  folder: string;
  /** Display levels below the account (empty for INBOX). */
  levels: string[];
  domain: string | null;
  mbtype: string;
  partition: string | null;
  uniqueid: string | null;
  uidvalidity: number | null;
  /** Set for delayed-deleted (`DELETED.…`) entries. */
  deleted: { at: string; original: string; originalFolder: string } | null;
  /** From cyrus.index: messages that exist (what IMAP reports as EXISTS). null when not asked or not read. */
  messages: number | null;
  size: number | null;
  lastUid: number | null;
  /** Why messages/size are null although counts were asked (e.g. "index version 21 is not known to Mailops"). */
  countProblem: string | null;
  /** Data directory on the host (from mbpath), when stats were asked. */
  path: string | null;
}

export interface CyrusAccount {
  account: string;
  mailboxes: CyrusMailbox[];
  /** Sums over the mailboxes whose counts were read; null when counts were not asked. */
  messages: number | null;
  size: number | null;
  /** Mailboxes whose count could not be read (each has its countProblem): the sums leave them out. */
  uncounted: number;
}

export function toMailbox(e: MboxlistEntry, style: NameStyle): CyrusMailbox {
  const p = parseInternalName(e.name, style);
  let deleted: CyrusMailbox['deleted'] = null;
  if (p.deleted) {
    const orig = parseInternalName(p.deleted.original, style);
    deleted = { at: p.deleted.at.toISOString(), original: p.deleted.original, originalFolder: displayFolder(orig, style) };
  }
  return {
    internal: e.name,
    toolName: toolName(e.name, style),
    account: p.account,
    folder: deleted ? deleted.originalFolder : displayFolder(p, style),
    levels: p.account === null ? p.levels.map(decodeMutf7) : p.folder.map(decodeMutf7),
    domain: p.domain,
    mbtype: e.mbtype,
    partition: e.partition,
    uniqueid: e.uniqueid,
    uidvalidity: e.uidvalidity,
    deleted,
    messages: null,
    size: null,
    lastUid: null,
    countProblem: null,
    path: null,
  };
}

export interface StreamOptions {
  /** Only this account's mailboxes (`alice` or `alice@example.org`). */
  account?: string;
  /** Include `DELETED.…` entries (default false). */
  deleted?: boolean;
  /** Only `DELETED.…` entries. */
  onlyDeleted?: boolean;
  signal?: AbortSignal;
}

/** Stream the mailboxes of `ctl_mboxlist -d` (no counts). */
export async function* streamMailboxes(ctx: HostContext, opts: StreamOptions = {}): AsyncGenerator<CyrusMailbox> {
  if (opts.account !== undefined) checkCyrusAccount(ctx, opts.account);
  const env = await cyrusEnv(ctx, opts.signal);
  if (opts.account !== undefined) checkCyrusAccount(ctx, opts.account, env);
  const argv = toolArgv(ctx, env, 'ctl_mboxlist', ['-d']);
  const proc = ctx.transport.spawn(argv, { signal: opts.signal });
  const stderr: Buffer[] = [];
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exit = proc.exit;
  exit.catch(() => undefined);
  try {
    for await (const e of readMboxlist(readLines(proc.stdout))) {
      const m = toMailbox(e, env.style);
      if (opts.account !== undefined && m.account !== opts.account) continue;
      if (m.deleted && !(opts.deleted || opts.onlyDeleted)) continue;
      if (!m.deleted && opts.onlyDeleted) continue;
      yield m;
    }
  } catch (e) {
    proc.cancel('parse error');
    throw e;
  }
  const st = await exit;
  if (st.code !== 0) throw commandError(ctx, argv, st.code, st.signal, Buffer.concat(stderr).toString('utf8'), { what: 'listing the mailboxes (ctl_mboxlist -d) failed' });
}

// `--`: the names are operands even when one starts with "-" (see toolArgv).
const MBPATH_SCRIPT = 'exec xargs -0 "$1" -C "$2" -7 -q -j --';
// -v: headers even when a batch holds one file (GNU head omits them for a single file)
const HEAD_SCRIPT = 'exec xargs -0 head -v -c "$1" --';

/**
 * Fill messages/size/lastUid/path of the given mailboxes in two batched round trips; a mailbox whose count
 * cannot be read keeps null and gets the reason in countProblem.
 */
export async function addStats(ctx: HostContext, boxes: CyrusMailbox[], signal?: AbortSignal): Promise<void> {
  if (boxes.length === 0) return;
  const env = await cyrusEnv(ctx, signal);
  const paths = await mailboxPaths(ctx, env, boxes.map((b) => b.toolName), signal);
  const files: string[] = [];
  for (const b of boxes) {
    b.messages = b.size = b.lastUid = null;
    b.countProblem = null;
    let p = paths.get(b.internal);
    // mbpath refuses some names (e.g. DELETED/…@domain: "Invalid mailbox name"); Cyrus 3.x keeps mailboxes
    // under PARTITION/uuid/X/Y/UNIQUEID (X, Y: its first two letters): try there (head skips a missing file).
    if (!p && b.partition && b.uniqueid && env.probe.partitions[b.partition]) {
      const dir = `${env.probe.partitions[b.partition]}/uuid/${b.uniqueid[0]}/${b.uniqueid[1]}/${b.uniqueid}`;
      p = { data: dir, meta: dir, archive: null };
      paths.set(b.internal, p);
    }
    if (!p) {
      b.countProblem = 'mbpath found no directory for it';
      continue;
    }
    b.path = p.data;
    files.push(`${p.meta}/cyrus.index`);
  }
  if (!files.length) return;
  const argv = scriptArgv(ctx, 'mailops-index-headers', HEAD_SCRIPT, [String(INDEX_HEADER_READ_BYTES)]);
  const proc = ctx.transport.spawn(argv, { stdin: Buffer.from(files.join('\0'), 'utf8'), signal });
  const chunks: Buffer[] = [];
  const stderr: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => chunks.push(c));
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  // head exits 1 when a file vanished meanwhile (a mailbox deleted since the listing): the others are still good
  const st = await proc.exit;
  const heads = splitHeadOutput(Buffer.concat(chunks), files, INDEX_HEADER_READ_BYTES);
  const err = Buffer.concat(stderr).toString('utf8');
  // Nothing read and not just files that vanished: the command itself failed (sudo refused, no head …).
  const onlyMissingFiles = st.code === 1 && err.split('\n').every((l) => l === '' || l.startsWith('head: '));
  if (heads.size === 0 && !onlyMissingFiles) {
    throw commandError(ctx, argv, st.code, st.signal, err, { what: `reading the cyrus.index headers of ${files.length} mailboxes failed`, meaning: 'head printed no header for any of them' });
  }
  for (const b of boxes) {
    const p = paths.get(b.internal);
    if (!p) continue;
    const file = `${p.meta}/cyrus.index`;
    const h = heads.get(file);
    if (!h) {
      const why = err.split('\n').find((l) => l.includes(file));
      b.countProblem = why ? why.trim() : `${file} was not read`;
      continue;
    }
    const r = parseIndexHeader(h);
    if (r.ok) {
      b.messages = r.header.exists;
      b.size = r.header.size;
      b.lastUid = r.header.lastUid;
    } else {
      b.countProblem = r.reason;
    }
  }
}

/** internal name → data/meta directories, for many mailboxes in one batch (`mbpath -7 -q -j` via xargs). */
export async function mailboxPaths(ctx: HostContext, env: CyrusEnv, toolNames: string[], signal?: AbortSignal): Promise<Map<string, { data: string; meta: string; archive: string | null }>> {
  const argv = scriptArgv(ctx, 'mailops-mbpath', MBPATH_SCRIPT, [`${env.toolsDir}/mbpath`, env.config]);
  const r = await runTool(ctx, argv, { what: 'finding mailbox paths (mbpath) failed', stdin: Buffer.from(toolNames.join('\0'), 'utf8'), accept: [0, 123, 65], maxBuffer: 512 * 1024 * 1024, signal });
  const out = new Map<string, { data: string; meta: string; archive: string | null }>();
  for (const p of parseMbpathJson(r.stdout)) out.set(p.intname, { data: p.data, meta: p.meta, archive: p.archive });
  return out;
}

/** All mailboxes (or one account's), grouped per account, with counts when `stats` (default true). */
export async function listAccounts(ctx: HostContext, opts: StreamOptions & { stats?: boolean } = {}): Promise<CyrusAccount[]> {
  const boxes: CyrusMailbox[] = [];
  for await (const m of streamMailboxes(ctx, opts)) boxes.push(m);
  if (opts.stats !== false) await addStats(ctx, boxes, opts.signal);
  const map = new Map<string, CyrusAccount>();
  for (const b of boxes) {
    const key = b.account ?? '(shared)';
    const counted = opts.stats !== false;
    let a = map.get(key);
    if (!a) map.set(key, (a = { account: key, mailboxes: [], messages: counted ? 0 : null, size: counted ? 0 : null, uncounted: 0 }));
    a.mailboxes.push(b);
    if (!counted) continue;
    if (b.messages === null) a.uncounted++;
    else a.messages! += b.messages;
    if (b.size !== null) a.size! += b.size;
  }
  const accounts = [...map.values()].sort((x, y) => x.account.localeCompare(y.account));
  for (const a of accounts) a.mailboxes.sort((x, y) => (x.folder === 'INBOX' ? -1 : y.folder === 'INBOX' ? 1 : x.folder.localeCompare(y.folder)));
  return accounts;
}

/** One live mailbox of an account by display path (`INBOX`, `Archive`, `Grüße/Sub`); UsageError naming the folders when absent. */
export async function findMailbox(ctx: HostContext, account: string, folder: string, signal?: AbortSignal): Promise<CyrusMailbox> {
  checkCyrusAccount(ctx, account);
  const all: CyrusMailbox[] = [];
  const env = await cyrusEnv(ctx, signal);
  // Accept the owner's view without altnamespace too: "INBOX.Archive" (or "INBOX/Archive") for "Archive".
  const prefix = `INBOX${env.style.unixHierarchySep ? '/' : '.'}`;
  const want = folder.toUpperCase().startsWith(prefix) ? folder.slice(prefix.length) : folder;
  for await (const m of streamMailboxes(ctx, { account, signal })) {
    if (m.folder === want || (want.toUpperCase() === 'INBOX' && m.levels.length === 0)) return m;
    all.push(m);
  }
  throw new UsageError(all.length ? `account ${account} has no folder "${folder}"` : `no mailboxes for account "${account}"`, {
    host: ctx.config.name,
    hint: all.length ? `folders: ${all.map((m) => JSON.stringify(m.folder)).join(', ')}` : 'check the account name (alice, or alice@example.org with virtdomains): mailops folders lists them',
  });
}

export function noCyrus(ctx: HostContext): MailopsError {
  return new MailopsError('this host is not a Cyrus server', { host: ctx.config.name, hint: 'set "server": "cyrus" for the host, or run mailops probe' });
}
