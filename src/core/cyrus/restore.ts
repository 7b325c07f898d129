/**
 * Restore one mailbox (or some of its messages) from a Cyrus file backup into a NEW folder:
 *  1. find the mailbox in the archived mailboxes.db dump (its uniqueid and partition: Cyrus 3.x keeps it
 *     under PARTITION/uuid/X/Y/UNIQUEID);
 *  2. extract just that directory from the archive chain (full, then each incremental, with
 *     --listed-incremental=/dev/null so deletions recorded by later archives apply) into a temp dir on the host;
 *  3. preview: every message file parsed (from, subject, date, size);
 *  4. unless dry run: create the new folder as the admin over IMAP (default `Restored<sep><name>`), copy the
 *     message files into its directory (owned like the directory), `reconstruct` it, and check the count:
 *     the messages `mbexamine` lists, its header count as Cyrus read it, and Mailops' own reading of the
 *     cyrus.index header must all agree with the number copied (countRestoredFolder).
 * The live folder is never touched: an existing target name is refused.
 */
import { MailopsError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import { cyrusLayout } from '../backup/layout';
import { withPrivilege } from '../hosts/model';
import { adminEndpoint, adminSession, imapString } from './imapAdmin';
import { mailboxPaths, streamMailboxes, toMailbox, type CyrusMailbox } from './mailboxes';
import { parseMessage } from './message';
import { folderLevels, internalName, toolName } from './names';
import { parseMboxlistLine, splitHeadOutput } from './parse';
import { INDEX_HEADER_READ_BYTES, parseIndexHeader } from './indexHeader';
import { examineMailbox } from './mbexamine';
import { chainTo, listCyrusArchives, type CyrusArchivePoint } from './backup';
import { asCyrusUser, commandError, cyrusEnv, displayCommand, runTool, toolArgv, type CyrusEnv } from './tools';

export interface ArchivedMessage {
  uid: number;
  size: number;
  from: string | null;
  subject: string | null;
  date: string | null;
  messageId: string | null;
}

export interface CyrusRestoreRequest {
  account: string;
  /** Folder as it was named (display), e.g. `Work Stuff` or `INBOX`. */
  folder: string;
  archiveId: string;
  uids?: number[];
  /** New folder name below the account (default `Restored<sep><folder>`). */
  to?: string;
  dryRun?: boolean;
  imap?: string;
  admin?: string;
}

export interface CyrusRestoreResult {
  account: string;
  folder: string;
  archive: string;
  chain: string[];
  source: { internal: string; uniqueid: string; member: string };
  messages: ArchivedMessage[];
  target: { folder: string; internal: string; name: string };
  dryRun: boolean;
  /** Messages in the new folder after the restore (mbexamine's count); null for a dry run. */
  restored: number | null;
  /** How `restored` was checked; null for a dry run. */
  count: RestoredCount | null;
}

export interface RestoredCount {
  /** Message records mbexamine lists (expunged ones skipped). */
  listed: number;
  /** The header's count as Cyrus read it (mbexamine "Number of Messages"). */
  cyrusHeader: number;
  /** Mailops' own reading of the cyrus.index header (indexHeader.ts), or why it could not read it. */
  mailopsHeader: { exists: number; minorVersion: number } | { problem: string };
}

/** The archived mailboxes.db dump of an archive, as mailbox records (readable listing). */
export async function archivedMailboxes(ctx: HostContext, archiveId: string, signal?: AbortSignal): Promise<CyrusMailbox[]> {
  const env = await cyrusEnv(ctx, signal);
  const layout = cyrusLayout(ctx.config);
  const r = await runTool(ctx, withPrivilege(['cat', '--', `${layout.archives}/${archiveId}.mailboxes.txt`], ctx.config.privilege), { what: `reading the mailboxes.db dump of ${archiveId} failed`, signal, maxBuffer: 1024 * 1024 * 1024 });
  return r.stdout
    .split('\n')
    .map(parseMboxlistLine)
    .filter((e) => e !== null && !e.mbtype.includes('d'))
    .map((e) => toMailbox(e!, env.style));
}

function parseUidFiles(out: Buffer, dir: string, names: string[]): ArchivedMessage[] {
  const paths = names.map((n) => `${dir}/${n}`);
  const chunks = splitHeadOutput(out, paths, 64 * 1024);
  const res: ArchivedMessage[] = [];
  for (const n of names) {
    const c = chunks.get(`${dir}/${n}`);
    if (!c) continue;
    // the chunk runs to the next header at most; cut at "\n==> " of the next file when shorter than the limit
    const next = c.indexOf('\n==> ');
    const m = parseMessage(next >= 0 ? c.subarray(0, next) : c, 0);
    res.push({ uid: Number(n.slice(0, -1)), size: 0, from: m.from, subject: m.subject, date: m.dateIso ?? m.date, messageId: m.messageId });
  }
  return res;
}

const EXTRACT_SCRIPT = String.raw`set -u
tmp=$1; member=$2; shift 2
for a in "$@"; do
  tar -xzf "$a" --listed-incremental=/dev/null -C "$tmp" -- "$member" 2>"$tmp/.err"; rc=$?
  if [ "$rc" -ne 0 ] && ! grep -q 'Not found in archive' "$tmp/.err"; then cat "$tmp/.err" >&2; exit "$rc"; fi
done
[ -d "$tmp/$member" ] || { echo "the archive chain holds no $member" >&2; exit 66; }
cd "$tmp/$member" || exit 66
for f in *.; do [ -f "$f" ] && printf '%s %s\n' "$f" "$(wc -c <"$f" | tr -d ' ')"; done > "$tmp/.list"
printf '==LIST==\n'; cat "$tmp/.list"; printf '==HEADS==\n'
[ -s "$tmp/.list" ] && cut -d' ' -f1 "$tmp/.list" | sed "s|^|$tmp/$member/|" | tr '\n' '\0' | xargs -0 head -v -c 65536 --
exit 0`;

const COPY_SCRIPT = String.raw`set -u
src=$1; dest=$2; shift 2
[ -d "$dest" ] || { echo "no directory $dest" >&2; exit 66; }
for u in "$@"; do cp -p -- "$src/$u." "$dest/$u." || exit 1; chown --reference="$dest" -- "$dest/$u." || exit 1; chmod 0600 -- "$dest/$u."; done`;

export async function cyrusRestore(ctx: HostContext, req: CyrusRestoreRequest, password: string | undefined, signal?: AbortSignal): Promise<CyrusRestoreResult> {
  const env = await cyrusEnv(ctx, signal);
  const chain = chainTo(await listCyrusArchives(ctx, signal), req.archiveId);
  const point = chain[chain.length - 1]!;
  const boxes = await archivedMailboxes(ctx, point.id, signal);
  const prefix = `INBOX${env.style.unixHierarchySep ? '/' : '.'}`;
  const want = req.folder.toUpperCase().startsWith(prefix) ? req.folder.slice(prefix.length) : req.folder;
  const box = boxes.find((b) => b.account === req.account && (b.folder === want || (want.toUpperCase() === 'INBOX' && b.levels.length === 0)));
  if (!box) {
    const mine = boxes.filter((b) => b.account === req.account);
    throw new UsageError(`archive ${point.id} holds no folder "${req.folder}" of ${req.account}`, {
      host: ctx.config.name,
      hint: mine.length ? `its folders: ${mine.map((b) => JSON.stringify(b.folder)).join(', ')}` : 'the account has no mailboxes in that archive',
    });
  }
  const partPath = point.partitions[box.partition ?? 'default'] ?? env.probe.partitions[box.partition ?? 'default'];
  if (!box.uniqueid || !partPath) throw new MailopsError(`cannot locate ${box.toolName} in the archive: no uniqueid or partition path`, { host: ctx.config.name });
  const member = `${partPath.replace(/^\/+/, '')}/uuid/${box.uniqueid[0]}/${box.uniqueid[1]}/${box.uniqueid}`;

  const targetLevels = req.to !== undefined ? folderLevels(req.to, env.style) : ['Restored', ...box.levels.length ? box.levels : ['INBOX']];
  if (!targetLevels.length || targetLevels.some((l) => l === '')) throw new UsageError(`--to "${req.to}" is not a folder name below the account`);
  const targetInternal = internalName(req.account, targetLevels, env.style);
  const target = { folder: targetLevels.join(env.style.unixHierarchySep ? '/' : '.'), internal: targetInternal, name: toolName(targetInternal, env.style) };
  for await (const m of streamMailboxes(ctx, { account: req.account, signal })) {
    if (m.internal === targetInternal) {
      throw new UsageError(`the folder "${target.folder}" exists; a restore never writes into an existing folder`, { host: ctx.config.name, hint: 'choose another name with --to' });
    }
  }

  const mk = await runTool(ctx, withPrivilege(['mktemp', '-d', '-t', 'mailops-cyrus-restore.XXXXXX'], ctx.config.privilege), { what: 'mktemp failed on the host', signal });
  const tmp = mk.stdout.trim();
  try {
    const argv = withPrivilege(['sh', '-c', EXTRACT_SCRIPT, 'mailops-cyrus-extract', tmp, member, ...chain.map((p: CyrusArchivePoint) => p.path)], ctx.config.privilege);
    const proc = ctx.transport.spawn(argv, { signal, timeoutMs: 3600_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.stderr.on('data', (c: Buffer) => err.push(c));
    const st = await proc.exit;
    if (st.code !== 0) throw commandError(ctx, argv, st.code, st.signal, Buffer.concat(err).toString('utf8'), { what: `extracting ${box.folder} from ${point.id} failed` });
    const all = Buffer.concat(out);
    const li = all.indexOf('==LIST==\n');
    const hi = all.indexOf('==HEADS==\n');
    const list = all.subarray(li + 9, hi).toString('utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]);
    const dir = `${tmp}/${member}`;
    const msgs = parseUidFiles(all.subarray(hi + 10), dir, list.map(([n]) => n));
    for (const m of msgs) m.size = Number(list.find(([n]) => n === `${m.uid}.`)?.[1] ?? 0);
    msgs.sort((a, b) => a.uid - b.uid);
    let selected = msgs;
    if (req.uids?.length) {
      const missing = req.uids.filter((u) => !msgs.some((m) => m.uid === u));
      if (missing.length) throw new UsageError(`the archived folder has no UID ${missing.join(', ')}`, { hint: 'run with --dry-run to list its messages' });
      selected = msgs.filter((m) => req.uids!.includes(m.uid));
    }
    const result: CyrusRestoreResult = {
      account: req.account,
      folder: box.folder,
      archive: point.id,
      chain: chain.map((p) => p.id),
      source: { internal: box.internal, uniqueid: box.uniqueid, member },
      messages: selected,
      target,
      dryRun: !!req.dryRun,
      restored: null,
      count: null,
    };
    if (req.dryRun) return result;
    if (!password) throw new UsageError('the Cyrus admin password is needed to create the new folder', { hint: 'run on a terminal to be asked, or set MAILOPS_CYRUS_ADMIN_PASSWORD_FILE' });
    const ep = adminEndpoint(ctx, { imap: req.imap, admin: req.admin });
    const [create] = await adminSession(ctx, ep, password, [['CREATE', imapString(target.name)]], signal);
    if (create!.status !== 'OK') throw new MailopsError(`IMAP CREATE ${target.name} refused: ${create!.status} ${create!.text}`, { host: ctx.config.name, hint: 'check the name and that the admin may create folders for the account' });
    const paths = await mailboxPaths(ctx, env, [target.name], signal);
    const dest = paths.get(targetInternal);
    if (!dest) throw new MailopsError(`the new folder ${target.name} has no path (mbpath)`, { host: ctx.config.name });
    const copy = withPrivilege(['sh', '-c', COPY_SCRIPT, 'mailops-cyrus-copy', dir, dest.data, ...selected.map((m) => String(m.uid))], ctx.config.privilege);
    await runTool(ctx, copy, { what: 'copying the message files into the new folder failed', signal });
    await runTool(ctx, toolArgv(ctx, env, 'reconstruct', [], [target.name]), { what: 'reconstruct of the new folder failed', signal, timeoutMs: 3600_000 });
    result.count = await countRestoredFolder(ctx, env, target, dest.meta, selected.length, signal);
    result.restored = result.count.listed;
    return result;
  } finally {
    await ctx.transport.run(withPrivilege(['rm', '-rf', '--', tmp], ctx.config.privilege)).catch(() => undefined);
  }
}

/**
 * Count the new folder by reads that do not depend on each other, and fail loudly when they disagree: the
 * messages `mbexamine` lists, the header count Cyrus itself read, Mailops' reading of the cyrus.index header
 * (skipped with its reason when Mailops does not know the index version), and the number of files copied.
 */
export async function countRestoredFolder(ctx: HostContext, env: CyrusEnv, target: { folder: string; name: string }, meta: string, copied: number, signal?: AbortSignal): Promise<RestoredCount> {
  const headArgv = asCyrusUser(ctx, ['head', '-c', String(INDEX_HEADER_READ_BYTES), '--', `${meta}/cyrus.index`]);
  const head = ctx.transport.spawn(headArgv, { signal });
  const chunks: Buffer[] = [];
  const headErr: Buffer[] = [];
  head.stdout.on('data', (c: Buffer) => chunks.push(c));
  head.stderr.on('data', (c: Buffer) => headErr.push(c));
  const headExit = await head.exit;
  const read = parseIndexHeader(Buffer.concat(chunks));
  const mailopsHeader: RestoredCount['mailopsHeader'] = read.ok
    ? { exists: read.header.exists, minorVersion: read.header.minorVersion }
    : { problem: headExit.code === 0 ? read.reason : `head exited with code ${headExit.code ?? headExit.signal}: ${Buffer.concat(headErr).toString('utf8').trim()}` };

  const ex = await examineMailbox(ctx, env, target.name, signal);
  const where = `the new folder "${target.folder}" (${target.name})`;
  const command = displayCommand(toolArgv(ctx, env, 'mbexamine', [], [target.name]));
  if (ex.headerMessages === null || ex.headerMessages !== ex.listed) {
    throw new MailopsError(`${where}: mbexamine lists ${ex.listed} messages, but its index header says ${ex.headerMessages ?? '(not printed)'}`, {
      host: ctx.config.name,
      command,
      meaning: 'the index of the new folder does not match its records',
      hint: `run reconstruct on ${target.name} by hand, then mbexamine it`,
    });
  }
  if ('exists' in mailopsHeader && mailopsHeader.exists !== ex.listed) {
    throw new MailopsError(`${where}: Mailops read ${mailopsHeader.exists} messages in its cyrus.index header (index version ${mailopsHeader.minorVersion}), mbexamine lists ${ex.listed}`, {
      host: ctx.config.name,
      command: `${displayCommand(headArgv)}; ${command}`,
      meaning: 'Mailops reads this index version differently from Cyrus, or the folder changed between the two reads',
      hint: 'run mbexamine on the folder by hand; if the counts stay apart, report the index version to the Mailops developers',
    });
  }
  if (ex.listed !== copied) {
    throw new MailopsError(`${where} holds ${ex.listed} messages, ${copied} were copied`, {
      host: ctx.config.name,
      command,
      meaning: 'reconstruct did not take every copied message file into the index',
      hint: `look at it with mailops folders and mbexamine ${target.name}; run reconstruct on it by hand`,
    });
  }
  return { listed: ex.listed, cyrusHeader: ex.headerMessages, mailopsHeader };
}
