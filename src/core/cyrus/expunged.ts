/**
 * Expunged messages (expunge_mode: delayed): list them (`unexpunge -l`, parsed as a stream), preview one
 * (its `UID.` file, still in the mailbox directory until `cyr_expire` removes it), restore some or all
 * (`unexpunge -u|-a -d -v -f FLAG`).
 *
 * `unexpunge` exits 0 when the mailbox cannot be opened and prints `Failed to open mailbox …`: the text
 * decides, never the exit code alone.
 *
 * Restoring "since T" is done as `-u` with the UIDs whose expunge time is ≥ T, not with `-t`: `-t` counts
 * from the moment the tool runs, so what is restored could differ from what the preview showed.
 *
 * `-u` takes the UIDs on its command line, which the SSH transport sends as one string that the remote
 * shell gets as one argument: past 128 KiB (about 18,000 UIDs) Linux refuses it ("Argument list too
 * long"). The UIDs go in calls of UNEXPUNGE_UID_CHUNK, and their results are added up.
 */
import { MailopsError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import type { CyrusMailbox } from './mailboxes';
import { findMailbox, mailboxPaths, streamMailboxes } from './mailboxes';
import { parseMessage, type MessagePreview } from './message';
import { UnexpungeListParser, parseUnexpungeResult, type ExpungedRecord, type UnexpungeResult } from './parse';
import { checkCyrusAccount, commandError, cyrusEnv, runTool, scriptArgv, toolArgv } from './tools';

export type { ExpungedRecord, UnexpungeResult } from './parse';

export interface ExpungedFilter {
  /** Case-insensitive substring of From. */
  from?: string;
  /** Case-insensitive substring of Subject. */
  subject?: string;
  since?: Date;
  before?: Date;
  /** Which date since/before apply to (default: when it was expunged). */
  dateField?: 'expunged' | 'received' | 'sent';
  uids?: number[];
}

export interface ExpungedItem {
  account: string | null;
  /** Display folder (`INBOX`, `Archive`). */
  folder: string;
  /** Name the tools take. */
  mailbox: string;
  record: ExpungedRecord;
}

/** UIDs per `unexpunge -u` call: at most ~22 KB of command line, far below the 128 KiB of one argument. */
export const UNEXPUNGE_UID_CHUNK = 2000;

const uidSets = new WeakMap<readonly number[], Set<number>>();
function uidSetOf(uids: readonly number[]): Set<number> {
  let set = uidSets.get(uids);
  if (!set) uidSets.set(uids, (set = new Set(uids)));
  return set;
}

export function matchesFilter(r: ExpungedRecord, f: ExpungedFilter): boolean {
  if (f.uids && !uidSetOf(f.uids).has(r.uid)) return false;
  if (f.from && !(r.from ?? '').toLowerCase().includes(f.from.toLowerCase())) return false;
  if (f.subject && !(r.subject ?? '').toLowerCase().includes(f.subject.toLowerCase())) return false;
  const d = r[f.dateField ?? 'expunged'];
  if (f.since && (!d || Date.parse(d) < f.since.getTime())) return false;
  if (f.before && (!d || Date.parse(d) >= f.before.getTime())) return false;
  return true;
}

function failedToOpen(ctx: HostContext, argv: readonly string[], text: string, code: number | null): MailopsError {
  return commandError(ctx, argv, code, null, text, {
    what: 'unexpunge could not open the mailbox',
    meaning: `${text} (unexpunge exits ${code} even so: its text is what counts)`,
    hint: 'check the folder name with mailops folders ACCOUNT; the mailbox may have been deleted or renamed',
  });
}

/** Stream the expunged records of one mailbox (filtered). */
export async function* expungedInMailbox(ctx: HostContext, box: CyrusMailbox, filter: ExpungedFilter = {}, signal?: AbortSignal): AsyncGenerator<ExpungedItem> {
  const env = await cyrusEnv(ctx, signal);
  const argv = toolArgv(ctx, env, 'unexpunge', ['-l'], [box.toolName]);
  const proc = ctx.transport.spawn(argv, { signal });
  const parser = new UnexpungeListParser();
  const stderr: Buffer[] = [];
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exit = proc.exit;
  exit.catch(() => undefined);
  const wrap = (record: ExpungedRecord): ExpungedItem => ({ account: box.account, folder: box.folder, mailbox: box.toolName, record });
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      for (const r of parser.push(chunk)) if (matchesFilter(r, filter)) yield wrap(r);
    }
    for (const r of parser.end()) if (matchesFilter(r, filter)) yield wrap(r);
  } catch (e) {
    proc.cancel('stopped');
    throw e;
  }
  const st = await exit;
  if (parser.failure) throw failedToOpen(ctx, argv, parser.failure, st.code);
  if (st.code !== 0) throw commandError(ctx, argv, st.code, st.signal, Buffer.concat(stderr).toString('utf8'), { what: 'listing expunged messages failed' });
}

/** Expunged messages of an account: one folder, or all its live folders when `folder` is omitted. */
export async function* listExpunged(ctx: HostContext, account: string, folder?: string, filter: ExpungedFilter = {}, signal?: AbortSignal): AsyncGenerator<ExpungedItem> {
  checkCyrusAccount(ctx, account);
  const boxes: CyrusMailbox[] = [];
  if (folder !== undefined) boxes.push(await findMailbox(ctx, account, folder, signal));
  else for await (const m of streamMailboxes(ctx, { account, signal })) boxes.push(m);
  if (!boxes.length) throw new UsageError(`no mailboxes for account "${account}"`, { host: ctx.config.name, hint: 'mailops folders lists the accounts and folders' });
  for (const b of boxes) yield* expungedInMailbox(ctx, b, filter, signal);
}

export interface PreviewResult {
  account: string | null;
  folder: string;
  mailbox: string;
  uid: number;
  /** Where the file was read on the host. */
  file: string;
  record: ExpungedRecord | null;
  message: MessagePreview;
}

const READ_SCRIPT = 'for d in "$1" "$2"; do if [ -n "$d" ] && [ -f "$d/$3." ]; then printf "%s\\n" "$d/$3."; exec head -c "$4" -- "$d/$3."; fi; done; echo "no file $3. in $1" >&2; exit 66';

/** Read one message file of a mailbox (by UID; expunged ones stay on disk until cyr_expire). */
export async function readMessageFile(ctx: HostContext, box: CyrusMailbox, uid: number, maxBytes = 256 * 1024, signal?: AbortSignal): Promise<{ file: string; raw: Buffer }> {
  const env = await cyrusEnv(ctx, signal);
  const paths = await mailboxPaths(ctx, env, [box.toolName], signal);
  const p = paths.get(box.internal);
  if (!p) throw new MailopsError(`mbpath did not find ${box.toolName}`, { host: ctx.config.name, hint: 'the mailbox may have been deleted meanwhile: list it again' });
  const argv = scriptArgv(ctx, 'mailops-read-message', READ_SCRIPT, [p.data, p.archive && p.archive !== p.data ? p.archive : '', String(uid), String(maxBytes)]);
  const proc = ctx.transport.spawn(argv, { signal });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  const st = await proc.exit;
  if (st.code !== 0) {
    throw commandError(ctx, argv, st.code, st.signal, Buffer.concat(err).toString('utf8'), {
      what: `message file of UID ${uid} not found`,
      meaning: st.code === 66 ? 'the file is gone: cyr_expire has already removed it, or the UID never existed' : undefined,
      hint: 'list the expunged messages again: mailops expunged ACCOUNT MAILBOX',
    });
  }
  const all = Buffer.concat(out);
  const nl = all.indexOf(0x0a);
  return { file: all.subarray(0, nl).toString('utf8'), raw: all.subarray(nl + 1) };
}

/** The expunged message itself: headers and text, read from its file. */
export async function previewExpunged(ctx: HostContext, account: string, folder: string, uid: number, signal?: AbortSignal): Promise<PreviewResult> {
  checkCyrusAccount(ctx, account);
  const box = await findMailbox(ctx, account, folder, signal);
  let record: ExpungedRecord | null = null;
  for await (const it of expungedInMailbox(ctx, box, { uids: [uid] }, signal)) record = it.record;
  if (!record) {
    throw new UsageError(`UID ${uid} is not an expunged message of ${folder}`, { host: ctx.config.name, hint: `list them: mailops expunged ${account} ${JSON.stringify(folder)}` });
  }
  const { file, raw } = await readMessageFile(ctx, box, uid, 256 * 1024, signal);
  return { account: box.account, folder: box.folder, mailbox: box.toolName, uid, file, record, message: parseMessage(raw) };
}

export interface UnexpungeRequest {
  account: string;
  folder: string;
  /** Exactly one of: uids, all, filter (restores what the filter selects, e.g. since). */
  uids?: number[];
  all?: boolean;
  filter?: ExpungedFilter;
  /** Flag set on restored messages (default `$Restored`; `unexpunge -f`). Empty string: none. */
  flag?: string;
  dryRun?: boolean;
}

export interface UnexpungePlan {
  account: string | null;
  folder: string;
  mailbox: string;
  /** What will be (dry run) or was asked to be restored. */
  selected: ExpungedRecord[];
  /** The (first) unexpunge command; `commands` holds every call when the UIDs need more than one. */
  argv: string[] | null;
  commands: string[][];
  dryRun: boolean;
  /** Added up over the calls. */
  result: UnexpungeResult | null;
}

/** Restore expunged messages; the selection is always listed first, and a dry run stops there. */
export async function unexpunge(ctx: HostContext, req: UnexpungeRequest, signal?: AbortSignal): Promise<UnexpungePlan> {
  checkCyrusAccount(ctx, req.account);
  const modes = [req.uids?.length ? 1 : 0, req.all ? 1 : 0, req.filter ? 1 : 0].reduce((a, b) => a + b, 0);
  if (modes !== 1) throw new UsageError('choose exactly one of: UIDs, all, or a filter (e.g. since)');
  const flag = req.flag ?? '$Restored';
  if (flag !== '' && !/^\$?[A-Za-z0-9_.-]+$/.test(flag)) throw new UsageError(`"${flag}" is not a usable IMAP keyword`, { hint: 'use letters, digits, _ . - and an optional leading $' });
  const env = await cyrusEnv(ctx, signal);
  const box = await findMailbox(ctx, req.account, req.folder, signal);
  const selected: ExpungedRecord[] = [];
  for await (const it of expungedInMailbox(ctx, box, req.all ? {} : req.uids ? { uids: req.uids } : req.filter!, signal)) selected.push(it.record);
  if (req.uids) {
    const found = new Set(selected.map((r) => r.uid));
    const missing = req.uids.filter((u) => !found.has(u));
    if (missing.length) throw new UsageError(`not expunged in ${box.folder}: UID ${missing.join(', ')}`, { host: ctx.config.name, hint: `list them: mailops expunged ${req.account} ${JSON.stringify(req.folder)}` });
  }
  const plan: UnexpungePlan = { account: box.account, folder: box.folder, mailbox: box.toolName, selected, argv: null, commands: [], dryRun: !!req.dryRun, result: null };
  if (!selected.length) return plan;
  const flagArgs = flag ? ['-f', flag] : [];
  if (req.all) plan.commands = [toolArgv(ctx, env, 'unexpunge', ['-a', '-d', '-v', ...flagArgs, box.toolName])];
  else {
    const uids = [...new Set(selected.map((r) => r.uid))].sort((a, b) => a - b);
    for (let i = 0; i < uids.length; i += UNEXPUNGE_UID_CHUNK) {
      plan.commands.push(toolArgv(ctx, env, 'unexpunge', ['-u', '-d', '-v', ...flagArgs, box.toolName, ...uids.slice(i, i + UNEXPUNGE_UID_CHUNK).map(String)]));
    }
  }
  plan.argv = plan.commands[0]!;
  if (req.dryRun) return plan;
  const total: UnexpungeResult = { mailbox: null, restored: [], count: 0, failure: null };
  plan.result = total;
  for (const [i, argv] of plan.commands.entries()) {
    const before = i ? ` (the ${i} call${i === 1 ? '' : 's'} before restored ${total.count} message${total.count === 1 ? '' : 's'})` : '';
    const r = await runTool(ctx, argv, { what: `unexpunge failed${before}`, accept: [0], signal });
    const result = parseUnexpungeResult(`${r.stdout}\n${r.stderr}`);
    if (result.failure) throw failedToOpen(ctx, argv, result.failure, r.code);
    if (result.count === null) {
      throw commandError(ctx, argv, r.code, r.signal, r.stderr || r.stdout, { what: `unexpunge did not report what it restored${before}`, meaning: 'the "restored N expunged messages" line is missing', hint: 'list the folder over IMAP to see what came back' });
    }
    total.mailbox ??= result.mailbox;
    total.restored.push(...result.restored);
    total.count = (total.count ?? 0) + result.count;
  }
  return plan;
}
