/**
 * Restore: plan first (what comes back, what is already there), then apply, log, and undo.
 *
 * - Sources: the mirror or an archive chain point (read through the dialect's overrides, proved to read
 *   the copy when the set is opened; restored with `doveadm import` and the dialect's source form), or
 *   lazy_expunge's mailbox (restored with `doveadm move`).
 * - `doveadm import` keeps neither UIDs nor checks for duplicates (measured): the plan de-duplicates
 *   against the live account first (by GUID, then Message-ID), then exactly the chosen messages are
 *   imported by `mailbox-guid G uid SET` (the GUID of the source mailbox: no name translation between
 *   the copy's and the live namespace's separators, no wildcards). GUIDs survive import on one file
 *   system (maildir base names), so a second run of the same restore finds everything present.
 * - Restored messages get the keyword $Restored; every restore is one JSON line in layout.opsLog,
 *   which `undoRestore` reads to expunge exactly those messages again.
 * - Nothing here overwrites or deletes live mail, except an explicit undo.
 */
import { randomBytes } from 'node:crypto';
import { CommandFailedError, MailopsError, UsageError } from '../errors';
import { dovecotLayout, stamp } from '../backup/layout';
import type { HostContext } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import { runDoveadm, streamDoveadmJson } from './jsonStream';
import { listMailboxes, mailboxStatus, readDovecotSettings, type DovecotSettings } from './mailboxes';
import { fetchMessages, type FetchedMessage } from './messages';
import { openSet, setLabel, type OpenSetOptions, type OpenedSet } from './sets';
import type { BackupSetRef, PlannedMessage, RestoreOpRecord, RestorePlan, RestoreResult, RestoreSelection, RestoreTarget, UndoResult } from './types';

export const RESTORED_KEYWORD = '$Restored';
/** GUIDs per doveadm command line (each adds ~60 bytes). */
const GUID_CHUNK = 200;
const UID_CHUNK = 2000;

/** `Restored<sep>YYYY-MM-DD HHMM` in local time. */
export function defaultRestoreFolder(separator: string, now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `Restored${separator}${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}${p(now.getMinutes())}`;
}

/** Compress UIDs into an IMAP sequence set: 1:3,7,9:10. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A doveadm search query matching any of the GUIDs: `( guid A OR guid B … )`. */
export function guidQuery(guids: readonly string[]): string[] {
  if (guids.length === 0) throw new Error('guidQuery needs at least one GUID');
  if (guids.length === 1) return ['guid', guids[0]!];
  const q = ['('];
  guids.forEach((g, i) => q.push(...(i ? ['OR'] : []), 'guid', g));
  q.push(')');
  return q;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function parseDate(text: string, what: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(t)) throw new UsageError(`${what}: cannot read the date "${text}"`, { hint: 'use YYYY-MM-DD (UTC) or an ISO 8601 date-time' });
  return t;
}

/** Does a message match the selection (mailbox already chosen)? Pure. */
export function matchesSelection(m: Pick<FetchedMessage, 'uid' | 'guid' | 'received' | 'from' | 'subject'>, sel: RestoreSelection): boolean {
  if (sel.uids?.length && !sel.uids.includes(m.uid)) return false;
  if (sel.guids?.length && !sel.guids.includes(m.guid)) return false;
  if (sel.since || sel.before) {
    const r = m.received ? Date.parse(m.received) : NaN;
    if (!Number.isFinite(r)) return false;
    if (sel.since && r < parseDate(sel.since, '--since')) return false;
    if (sel.before && r >= parseDate(sel.before, '--before')) return false;
  }
  if (sel.from && !m.from.toLowerCase().includes(sel.from.toLowerCase())) return false;
  if (sel.subject && !m.subject.toLowerCase().includes(sel.subject.toLowerCase())) return false;
  return true;
}

export function validateSelection(sel: RestoreSelection): void {
  if (sel.since) parseDate(sel.since, '--since');
  if (sel.before) parseDate(sel.before, '--before');
  if (sel.uids?.some((u) => !Number.isInteger(u) || u <= 0)) throw new UsageError('--uid takes positive whole numbers');
  if (sel.uids?.length && (sel.mailboxes?.length ?? 0) !== 1) {
    throw new UsageError('--uid needs exactly one --mailbox: UIDs are per mailbox', { hint: 'add --mailbox NAME (the source folder), or select by --guid' });
  }
}

interface Candidate extends PlannedMessage {
  /** GUID of the source mailbox (import query). */
  sourceMailboxGuid: string;
}

export interface PlanRestoreOptions extends Pick<OpenSetOptions, 'extractChainPoint'> {
  source: BackupSetRef;
  selection?: RestoreSelection;
  /** Default: a new folder `Restored<sep>YYYY-MM-DD HHMM`. */
  target?: RestoreTarget | { mode: 'new-folder'; folder?: string };
  now?: Date;
  signal?: AbortSignal;
}

/** Where a source folder's message lands. */
function destinationFor(target: RestoreTarget, sourceFolder: string, isExpunged: boolean, separator: string, original: string | undefined): string {
  if (target.mode === 'original') return isExpunged ? (original ?? 'INBOX') : sourceFolder;
  return isExpunged ? target.folder : `${target.folder}${separator}${sourceFolder}`;
}

/**
 * For messages of lazy_expunge's mailbox: the folder each lived in, found by GUID in the mirror when
 * there is one (lazy_expunge does not record it). Missing entries fall back to INBOX.
 */
async function originalFolders(ctx: HostContext, account: string, guids: Set<string>, settings: DovecotSettings, signal?: AbortSignal): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let mirror: OpenedSet;
  try {
    mirror = await openSet(ctx, account, { kind: 'mirror' }, { settings, signal });
  } catch {
    return found;
  }
  try {
    for await (const o of streamDoveadmJson(ctx, ['fetch', '-u', account, 'guid mailbox', 'all'], { overrides: mirror.overrides, signal, what: 'looking up original folders in the mirror failed' })) {
      const g = String(o.guid ?? '');
      const mb = String(o.mailbox ?? '');
      if (guids.has(g) && mb !== settings.lazyExpungeMailbox && !found.has(g)) found.set(g, mb);
    }
  } finally {
    await mirror.close();
  }
  return found;
}

/** Plan a restore: read the set, apply the selection, check what is already live. Changes nothing. */
export async function planRestore(ctx: HostContext, account: string, opts: PlanRestoreOptions): Promise<RestorePlan> {
  const selection = opts.selection ?? {};
  validateSelection(selection);
  if (opts.source.kind === 'live') throw new UsageError('restore needs a source other than the live mail', { hint: 'use --from mirror, --from archive:ID or --from expunged' });
  const settings = await readDovecotSettings(ctx, { signal: opts.signal });
  const sep = settings.separator;
  const now = opts.now ?? new Date();
  const t = opts.target ?? { mode: 'new-folder' };
  const target: RestoreTarget = t.mode === 'original' ? t : { mode: 'new-folder', folder: t.folder ?? defaultRestoreFolder(sep, now) };
  if (target.mode === 'new-folder') {
    if (target.folder === '' || target.folder.startsWith(sep) || target.folder.endsWith(sep)) throw new UsageError(`invalid target folder "${target.folder}"`);
    if (settings.lazyExpungeMailbox && (target.folder === settings.lazyExpungeMailbox || target.folder.startsWith(settings.lazyExpungeMailbox + sep))) {
      throw new UsageError('the target folder may not be lazy_expunge\'s mailbox');
    }
  }
  const set = await openSet(ctx, account, opts.source, { settings, signal: opts.signal, extractChainPoint: opts.extractChainPoint });
  const candidates: Candidate[] = [];
  const missingMailboxes: string[] = [];
  try {
    // Source folders: the one lazy_expunge mailbox, or the copy's folders (its own lazy_expunge mailbox
    // only when asked for by name: dsync's expunges fill it in the mirror).
    const sourceBoxes = await listMailboxes(ctx, account, { overrides: set.overrides, signal: opts.signal, pattern: set.onlyMailbox ?? '*' });
    let chosen = set.onlyMailbox ? sourceBoxes.filter((b) => b.name === set.onlyMailbox) : sourceBoxes.filter((b) => b.name !== settings.lazyExpungeMailbox);
    if (selection.mailboxes?.length && !set.onlyMailbox) {
      const byName = new Map(sourceBoxes.map((b) => [b.name, b]));
      chosen = [];
      for (const name of selection.mailboxes) {
        const b = byName.get(name);
        if (b) chosen.push(b);
        else missingMailboxes.push(name);
      }
    }
    for (const box of chosen) {
      if (box.messages === 0) continue;
      const query = ['mailbox-guid', box.guid, ...(selection.uids?.length ? ['uid', uidSet(selection.uids)] : [])];
      for await (const m of fetchMessages(ctx, account, query, { overrides: set.overrides, signal: opts.signal, what: `reading ${box.name} in ${set.label} failed` })) {
        if (m.mailbox !== box.name || !matchesSelection(m, selection)) continue;
        candidates.push({
          uid: m.uid,
          guid: m.guid,
          messageId: m.messageId,
          from: m.from,
          subject: m.subject,
          date: m.sent ?? m.received,
          size: m.size,
          folder: box.name,
          destination: '',
          sourceMailboxGuid: box.guid,
        });
      }
    }
  } finally {
    await set.close();
  }

  const isExpunged = set.onlyMailbox !== null;
  const originals = isExpunged && target.mode === 'original' ? await originalFolders(ctx, account, new Set(candidates.map((c) => c.guid)), settings, opts.signal) : new Map<string, string>();
  for (const c of candidates) c.destination = destinationFor(target, c.folder, isExpunged, sep, originals.get(c.guid));

  // What is live already (any folder but lazy_expunge's): by GUID, then by Message-ID.
  const wantGuid = new Set(candidates.map((c) => c.guid));
  const wantMid = new Set(candidates.map((c) => c.messageId).filter((x): x is string => x !== null));
  const liveGuid = new Map<string, string>();
  const liveMid = new Map<string, string>();
  if (candidates.length) {
    for await (const o of streamDoveadmJson(ctx, ['fetch', '-u', account, 'guid mailbox hdr.message-id', 'all'], { signal: opts.signal, what: `reading the live mail of ${account} failed` })) {
      const mb = String(o.mailbox ?? '');
      if (mb === settings.lazyExpungeMailbox) continue;
      const g = String(o.guid ?? '');
      if (wantGuid.has(g) && !liveGuid.has(g)) liveGuid.set(g, mb);
      const mid = String(o['hdr.message-id'] ?? '').replace(/\r?\n[ \t]+/g, ' ').trim();
      if (mid && wantMid.has(mid) && !liveMid.has(mid)) liveMid.set(mid, mb);
    }
  }
  const toRestore: PlannedMessage[] = [];
  const alreadyPresent: PlannedMessage[] = [];
  for (const { sourceMailboxGuid: _g, ...c } of candidates) {
    const byGuid = liveGuid.get(c.guid);
    const byMid = c.messageId ? liveMid.get(c.messageId) : undefined;
    if (byGuid !== undefined) alreadyPresent.push({ ...c, destination: byGuid, presentBy: 'guid' });
    else if (byMid !== undefined) alreadyPresent.push({ ...c, destination: byMid, presentBy: 'message-id' });
    else toRestore.push(c);
  }
  return {
    host: ctx.config.name,
    account,
    source: opts.source,
    sourceLabel: set.label,
    selection,
    target,
    separator: sep,
    createdAt: now.toISOString(),
    toRestore,
    alreadyPresent,
    missingMailboxes,
    totals: { toRestore: toRestore.length, alreadyPresent: alreadyPresent.length, bytes: toRestore.reduce((a, m) => a + m.size, 0) },
  };
}

async function hostShell(ctx: HostContext, script: string, args: string[], what: string, opts: { stdin?: string; signal?: AbortSignal; accept?: number[] } = {}): Promise<{ code: number | null; stdout: string }> {
  const argv = withPrivilege(['sh', '-c', script, 'mailops', ...args], ctx.config.privilege);
  const r = await ctx.transport.run(argv, { stdin: opts.stdin, signal: opts.signal, timeoutMs: 120_000 });
  if (r.code === null || !(opts.accept ?? [0]).includes(r.code)) {
    throw new CommandFailedError(what, {
      host: ctx.config.name,
      command: shellLine(argv),
      exitCode: r.code,
      signal: r.signal,
      stderr: r.stderr,
      meaning: 'the shell command failed on the host',
      hint: 'check that the backup folder exists and is writable',
    });
  }
  return { code: r.code, stdout: r.stdout };
}

/** Append one record to the account's operation log on the host. */
export async function appendOpsLog(ctx: HostContext, account: string, rec: RestoreOpRecord, signal?: AbortSignal): Promise<string> {
  const path = dovecotLayout(ctx.config, account).opsLog;
  await hostShell(ctx, 'mkdir -p -- "$(dirname -- "$1")" && cat >> "$1"', [path], 'writing the operation log failed', { stdin: `${JSON.stringify(rec)}\n`, signal });
  return path;
}

/** Every record of the account's operation log (oldest first); unreadable lines are skipped. */
export async function readOpsLog(ctx: HostContext, account: string, signal?: AbortSignal): Promise<RestoreOpRecord[]> {
  const path = dovecotLayout(ctx.config, account).opsLog;
  const r = await hostShell(ctx, 'if [ -e "$1" ]; then cat -- "$1"; fi', [path], 'reading the operation log failed', { signal });
  const out: RestoreOpRecord[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as RestoreOpRecord;
      if (rec && typeof rec.id === 'string' && Array.isArray(rec.items)) out.push(rec);
    } catch {
      // a torn line (crash while appending) is not a restore record
    }
  }
  return out;
}

function newOpId(prefix: 'r' | 'u'): string {
  return `${prefix}-${stamp()}-${randomBytes(3).toString('hex')}`;
}

/** Create a live mailbox (and its parents) unless it exists; returns its GUID. */
async function ensureMailbox(ctx: HostContext, account: string, name: string, signal?: AbortSignal): Promise<string> {
  const have = await mailboxStatus(ctx, account, name, { signal });
  if (have) return have.guid;
  await runDoveadm(ctx, ['mailbox', 'create', '-u', account, name], { signal, what: `creating mailbox ${JSON.stringify(name)} failed` });
  const now = await mailboxStatus(ctx, account, name, { signal });
  if (!now) throw new MailopsError(`mailbox ${JSON.stringify(name)} was created but cannot be found`, { host: ctx.config.name });
  return now.guid;
}

/** GUID → uid of the messages of one live mailbox matching a query (default: all). */
async function liveGuids(ctx: HostContext, account: string, mailboxGuid: string, extra: string[], signal?: AbortSignal): Promise<Map<string, { uid: number; flags: string[] }>> {
  const out = new Map<string, { uid: number; flags: string[] }>();
  for await (const o of streamDoveadmJson(ctx, ['fetch', '-u', account, 'uid guid flags', 'mailbox-guid', mailboxGuid, ...extra], { signal })) {
    out.set(String(o.guid ?? ''), { uid: Number(o.uid), flags: String(o.flags ?? '').split(' ').filter(Boolean) });
  }
  return out;
}

/** How far applyRestore is: `done` of the plan's `total` messages to restore, and the group it starts now. */
export interface ApplyProgress {
  done: number;
  total: number;
  unit: 'message';
  /** Source folder and live destination of the group being restored. */
  folder: string;
  destination: string;
}

export interface ApplyRestoreOptions extends Pick<OpenSetOptions, 'extractChainPoint'> {
  signal?: AbortSignal;
  /** A progress line for the operator, and the same step structured (faces render it; they never parse the line). */
  onProgress?: (message: string, progress: ApplyProgress) => void;
}

/**
 * Carry out a plan: import (mirror/archive) or move (expunged) exactly the planned messages, mark them
 * $Restored, log the operation. Re-checks nothing already present: make the plan right before.
 */
export async function applyRestore(ctx: HostContext, plan: RestorePlan, opts: ApplyRestoreOptions = {}): Promise<RestoreResult> {
  const account = plan.account;
  const opsLog = dovecotLayout(ctx.config, account).opsLog;
  if (plan.toRestore.length === 0) return { dryRun: false, plan, opId: null, restored: [], notConfirmed: [], opsLog };
  const settings = await readDovecotSettings(ctx, { signal: opts.signal });
  const set = await openSet(ctx, account, plan.source, { settings, signal: opts.signal, extractChainPoint: opts.extractChainPoint });
  const restored: Array<{ folder: string; guid: string }> = [];
  const notConfirmed: Array<{ folder: string; guid: string }> = [];
  try {
    // Group by (source folder, destination).
    const groups = new Map<string, { folder: string; destination: string; items: PlannedMessage[] }>();
    for (const m of plan.toRestore) {
      const key = JSON.stringify([m.folder, m.destination]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { folder: m.folder, destination: m.destination, items: [] }));
      g.items.push(m);
    }
    const sourceGuids = new Map<string, string>();
    if (set.importSource) {
      for (const b of await listMailboxes(ctx, account, { overrides: set.overrides, signal: opts.signal })) sourceGuids.set(b.name, b.guid);
    }
    let done = 0;
    for (const g of groups.values()) {
      opts.onProgress?.(`restoring ${g.items.length} message${g.items.length === 1 ? '' : 's'} from ${g.folder} (${set.label}) into ${g.destination}`, {
        done,
        total: plan.toRestore.length,
        unit: 'message',
        folder: g.folder,
        destination: g.destination,
      });
      done += g.items.length;
      if (set.importSource) {
        const srcGuid = sourceGuids.get(g.folder);
        if (!srcGuid) throw new MailopsError(`the folder ${JSON.stringify(g.folder)} is no longer in ${set.label}`, { host: ctx.config.name, hint: 'make the plan again' });
        // import creates DEST_PARENT<sep>SOURCE_NAME; into the original folders the parent is empty.
        const parent = plan.target.mode === 'new-folder' ? plan.target.folder : '';
        const expected = parent === '' ? g.folder : `${parent}${plan.separator}${g.folder}`;
        if (expected !== g.destination) throw new MailopsError(`internal: destination ${g.destination} does not match import's ${expected}`);
        for (const part of chunks(g.items.map((m) => m.uid), UID_CHUNK)) {
          await runDoveadm(ctx, ['import', '-u', account, ...set.importSource, parent, 'mailbox-guid', srcGuid, 'uid', uidSet(part)], {
            signal: opts.signal,
            what: `importing into ${JSON.stringify(g.destination)} failed`,
          });
        }
      } else {
        // lazy_expunge → a live folder: move (the message leaves EXPUNGED; an undo puts it back there).
        await ensureMailbox(ctx, account, g.destination, opts.signal);
        const lazy = set.onlyMailbox!;
        const lazyStatus = await mailboxStatus(ctx, account, lazy, { signal: opts.signal });
        if (!lazyStatus) throw new MailopsError(`the mailbox ${lazy} no longer exists`, { host: ctx.config.name });
        for (const part of chunks(g.items.map((m) => m.guid), GUID_CHUNK)) {
          await runDoveadm(ctx, ['move', '-u', account, g.destination, 'mailbox-guid', lazyStatus.guid, ...guidQuery(part)], {
            signal: opts.signal,
            what: `moving messages from ${lazy} into ${JSON.stringify(g.destination)} failed`,
          });
        }
      }
      // Mark and confirm, by GUID in the destination.
      const dest = await mailboxStatus(ctx, account, g.destination, { signal: opts.signal });
      if (!dest) throw new MailopsError(`the restore did not create ${JSON.stringify(g.destination)}`, { host: ctx.config.name, hint: 'read the Dovecot log on the host' });
      const guids = g.items.map((m) => m.guid);
      for (const part of chunks(guids, GUID_CHUNK)) {
        await runDoveadm(ctx, ['flags', 'add', '-u', account, RESTORED_KEYWORD, 'mailbox-guid', dest.guid, ...guidQuery(part)], {
          signal: opts.signal,
          what: `marking restored messages in ${JSON.stringify(g.destination)} failed`,
        });
      }
      const present = await liveGuids(ctx, account, dest.guid, ['keyword', RESTORED_KEYWORD], opts.signal);
      for (const guid of guids) (present.has(guid) ? restored : notConfirmed).push({ folder: g.destination, guid });
    }
  } finally {
    await set.close();
  }
  let opId: string | null = null;
  if (restored.length) {
    opId = newOpId('r');
    await appendOpsLog(ctx, account, { id: opId, kind: 'restore', time: new Date().toISOString(), account, source: setLabel(plan.source), target: plan.target, items: restored }, opts.signal);
  }
  return { dryRun: false, plan, opId, restored, notConfirmed, opsLog };
}

export interface UndoOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Asked before expunging (answer false to stop). */
  confirm?: (question: string) => Promise<boolean>;
}

/** Expunge exactly the messages a restore added (still carrying $Restored, in the folders it logged). */
export async function undoRestore(ctx: HostContext, account: string, opId: string, opts: UndoOptions = {}): Promise<UndoResult> {
  const log = await readOpsLog(ctx, account, opts.signal);
  const op = log.find((r) => r.id === opId && r.kind === 'restore');
  if (!op) {
    throw new UsageError(`no restore ${opId} in the operation log of ${account}`, {
      host: ctx.config.name,
      hint: `the log is ${dovecotLayout(ctx.config, account).opsLog}; mailops restore ${JSON.stringify(account)} --list-ops shows its restores`,
    });
  }
  const byFolder = new Map<string, string[]>();
  for (const it of op.items) byFolder.set(it.folder, [...(byFolder.get(it.folder) ?? []), it.guid]);
  const expunge: Array<{ folder: string; guid: string }> = [];
  const alreadyGone: Array<{ folder: string; guid: string }> = [];
  const work: Array<{ folder: string; mailboxGuid: string; uids: number[] }> = [];
  for (const [folder, guids] of byFolder) {
    const status = await mailboxStatus(ctx, account, folder, { signal: opts.signal });
    if (!status) {
      for (const guid of guids) alreadyGone.push({ folder, guid });
      continue;
    }
    const present = await liveGuids(ctx, account, status.guid, ['keyword', RESTORED_KEYWORD], opts.signal);
    const uids: number[] = [];
    for (const guid of guids) {
      const p = present.get(guid);
      if (p) {
        expunge.push({ folder, guid });
        uids.push(p.uid);
      } else alreadyGone.push({ folder, guid });
    }
    if (uids.length) work.push({ folder, mailboxGuid: status.guid, uids });
  }
  const result: UndoResult = { dryRun: opts.dryRun === true, opId, account, expunge, alreadyGone, undoOpId: null };
  if (opts.dryRun || expunge.length === 0) return result;
  if (opts.confirm && !(await opts.confirm(`expunge ${expunge.length} restored message${expunge.length === 1 ? '' : 's'} of ${opId} from ${account}?`))) {
    throw new UsageError('undo cancelled: nothing was expunged');
  }
  for (const w of work) {
    for (const part of chunks(w.uids, UID_CHUNK)) {
      // The keyword guards against a UID that changed hands since the lookup (it cannot, but be sure).
      await runDoveadm(ctx, ['expunge', '-u', account, 'mailbox-guid', w.mailboxGuid, 'keyword', RESTORED_KEYWORD, 'uid', uidSet(part)], {
        signal: opts.signal,
        what: `expunging restored messages from ${JSON.stringify(w.folder)} failed`,
      });
    }
  }
  const undoOpId = newOpId('u');
  await appendOpsLog(ctx, account, { id: undoOpId, kind: 'undo', time: new Date().toISOString(), account, source: op.source, target: op.target, items: expunge, undoes: opId }, opts.signal);
  return { ...result, undoOpId };
}
