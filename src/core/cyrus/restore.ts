/**
 * Restore one mailbox (or some of its messages) from a Cyrus file backup into a NEW folder:
 *  1. find the mailbox in the archived mailboxes.db dump (read as a stream; its uniqueid and partition: Cyrus
 *     3.x keeps it under PARTITION/uuid/X/Y/UNIQUEID);
 *  2. state the space it needs: the sizes of that directory's files in every archive of the chain, against
 *     the free space of the backup file system, where it is extracted (a temp dir under the backup folder,
 *     as the Dovecot side does; never /tmp, often a small tmpfs); refuse when it does not fit;
 *  3. extract just that directory from the archive chain (full, then each incremental, with
 *     --listed-incremental=/dev/null so deletions recorded by later archives apply);
 *  4. preview: the message files' heads, streamed and parsed one at a time (archivedHeads.ts): memory stays
 *     flat however large the folder;
 *  5. unless dry run: create the new folder as the admin over IMAP (default `Restored<sep><name>`), copy the
 *     message files into its directory (the UIDs on stdin: no argument list to outgrow), owned like the
 *     directory, `reconstruct` it, and check the count: the messages `mbexamine` lists, its header count as
 *     Cyrus read it, and Mailops' own reading of the cyrus.index header must all agree with the number
 *     copied (countRestoredFolder).
 * The live folder is never touched: an existing target name is refused. No value is ever part of a script's
 * text (every script here is constant; paths and names are positional parameters, issue 11.2), and the
 * partition path is checked before it becomes part of a path.
 */
import { MailopsError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import { cyrusLayout } from '../backup/layout';
import { withPrivilege } from '../hosts/model';
import { checkHostPath } from '../names';
import { readLines } from '../util/lines';
import { adminEndpoint, adminSession, imapString } from './imapAdmin';
import { mailboxPaths, streamMailboxes, toMailbox, type CyrusMailbox } from './mailboxes';
import { folderLevels, internalName, toolName } from './names';
import { readMboxlist } from './parse';
import { INDEX_HEADER_READ_BYTES, parseIndexHeader } from './indexHeader';
import { examineMailbox } from './mbexamine';
import { chainTo, listCyrusArchives, type CyrusArchivePoint } from './backup';
import { ArchivedHeadsError, ArchivedHeadsParser, type ArchivedMessage } from './archivedHeads';
import { asCyrusUser, checkCyrusAccount, commandError, cyrusEnv, displayCommand, runTool, toolArgv, type CyrusEnv } from './tools';

export type { ArchivedMessage };

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
  /**
   * Where the folder was extracted (a temp dir under the backup folder, removed afterwards) and the space it
   * needed there: the bytes of its files in the archive chain, and the free bytes of that file system;
   * `heldBytes`: the most bytes of the listing and heads held in memory at once while they streamed in.
   */
  extraction: { dir: string; neededBytes: number; freeBytes: number; heldBytes: number };
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

const ARCHIVE_ID_RE = /^\d{8}T\d{6}Z-(full|incr)$/;
/** Bytes of each message file read for its preview: the header block of any sane message fits. */
export const HEAD_BYTES = 64 * 1024;
/** Room asked beyond the files themselves: directories, the file list, tar's own bookkeeping. */
const SPACE_MARGIN = 1024 * 1024;

function checkArchiveId(ctx: HostContext, archiveId: string): void {
  if (!ARCHIVE_ID_RE.test(archiveId)) throw new UsageError(`not a Cyrus archive id: ${JSON.stringify(archiveId)}`, { host: ctx.config.name, hint: 'ids look like 20261122T042158Z-full (mailops cyrus-backups lists them)' });
}

/** The archived mailboxes.db dump of an archive, read line by line, as mailbox records (tombstones skipped). */
async function* streamArchivedMailboxes(ctx: HostContext, env: CyrusEnv, archiveId: string, signal?: AbortSignal): AsyncGenerator<CyrusMailbox> {
  checkArchiveId(ctx, archiveId);
  const argv = withPrivilege(['cat', '--', `${cyrusLayout(ctx.config).archives}/${archiveId}.mailboxes.txt`], ctx.config.privilege);
  const proc = ctx.transport.spawn(argv, { signal });
  const stderr: Buffer[] = [];
  proc.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exit = proc.exit;
  exit.catch(() => undefined);
  let done = false;
  try {
    for await (const e of readMboxlist(readLines(proc.stdout))) yield toMailbox(e, env.style);
    done = true;
  } finally {
    if (!done) proc.cancel('stopped reading');
  }
  const st = await exit;
  if (st.code !== 0) throw commandError(ctx, argv, st.code, st.signal, Buffer.concat(stderr).toString('utf8'), { what: `reading the mailboxes.db dump of ${archiveId} failed` });
}

/** The archived mailboxes.db dump of an archive, as mailbox records (readable listing). */
export async function archivedMailboxes(ctx: HostContext, archiveId: string, signal?: AbortSignal): Promise<CyrusMailbox[]> {
  const env = await cyrusEnv(ctx, signal);
  const out: CyrusMailbox[] = [];
  for await (const m of streamArchivedMailboxes(ctx, env, archiveId, signal)) out.push(m);
  return out;
}

/** $1 backup folder, $2 member (the folder's directory in the archives), $3… the chain's archives. */
const PREPARE_SCRIPT = String.raw`set -u
umask 077
dir=$1; member=$2; shift 2
tmp=$(mktemp -d -- "$dir/restore.XXXXXX") || { echo "cannot create a temp dir in $dir" >&2; exit 73; }
printf 'TMP %s\n' "$tmp"
need=0
for a in "$@"; do
  tar -tvzf "$a" -- "$member" >"$tmp/.sizes" 2>"$tmp/.err"; rc=$?
  if [ "$rc" -ne 0 ] && ! grep -q 'Not found in archive' "$tmp/.err"; then cat "$tmp/.err" >&2; exit "$rc"; fi
  # tar -tv: MODE OWNER/GROUP SIZE DATE TIME NAME; regular files only
  n=$(awk '$1 ~ /^-/ { s += $3 } END { printf "%.0f", s }' "$tmp/.sizes") || exit 70
  need=$((need + n))
done
rm -f -- "$tmp/.sizes" "$tmp/.err"
free=$(df -Pk -- "$tmp" | awk 'NR == 2 { printf "%.0f", $4 * 1024 }') || exit 70
printf 'NEED %s\nFREE %s\n' "$need" "$free"`;

/** $1 temp dir, $2 member, $3 bytes per head, $4… the chain's archives. Prints the list, then the heads. */
const EXTRACT_SCRIPT = String.raw`set -u
umask 077
tmp=$1; member=$2; headmax=$3; shift 3
for a in "$@"; do
  tar -xzf "$a" --listed-incremental=/dev/null -C "$tmp" -- "$member" 2>"$tmp/.err"; rc=$?
  if [ "$rc" -ne 0 ] && ! grep -q 'Not found in archive' "$tmp/.err"; then cat "$tmp/.err" >&2; exit "$rc"; fi
done
[ -d "$tmp/$member" ] || { echo "the archive chain holds no $member" >&2; exit 66; }
cd "$tmp/$member" || exit 66
find . -maxdepth 1 -type f -name '[0-9]*.' -printf '%f %s\n' >"$tmp/.list" || exit 70
printf '==LIST==\n'; cat "$tmp/.list"; printf '==HEADS==\n'
[ -s "$tmp/.list" ] || exit 0
cut -d' ' -f1 "$tmp/.list" | tr '\n' '\0' | xargs -0 head -v -c "$headmax" --`;

/** $1 folder of the extracted files, $2 the new folder's directory, $3 a list file; the UIDs on stdin, one a line. */
const COPY_SCRIPT = String.raw`set -u
src=$1; dest=$2; list=$3
[ -d "$dest" ] || { echo "no directory $dest" >&2; exit 66; }
cd "$src" || exit 66
n=0
while IFS= read -r u; do
  case $u in ''|*[!0-9]*) echo "not a UID: $u" >&2; exit 65 ;; esac
  printf '%s.\n' "$u"; n=$((n + 1))
done >"$list" || exit 70
tr '\n' '\0' <"$list" | xargs -0 cp -p -t "$dest" -- || exit 1
cd "$dest" || exit 66
tr '\n' '\0' <"$list" | xargs -0 chown --reference="$dest" -- || exit 1
tr '\n' '\0' <"$list" | xargs -0 chmod 0600 -- || exit 1
printf 'copied %s\n' "$n"`;

/** The space check's argv: temp dir in `dir`, the bytes of `member` in each archive, the free bytes there. */
export function cyrusPrepareArgv(ctx: HostContext, dir: string, member: string, archives: readonly string[]): string[] {
  return withPrivilege(['sh', '-c', PREPARE_SCRIPT, 'mailops-cyrus-prepare', dir, member, ...archives], ctx.config.privilege);
}

/** The extraction's argv: `member` of each archive into `tmp`, then its file list and heads (archivedHeads.ts). */
export function cyrusExtractArgv(ctx: HostContext, tmp: string, member: string, archives: readonly string[]): string[] {
  return withPrivilege(['sh', '-c', EXTRACT_SCRIPT, 'mailops-cyrus-extract', tmp, member, String(HEAD_BYTES), ...archives], ctx.config.privilege);
}

/** The copy's argv: files UID. of `src` into `dest` (the UIDs go on stdin), `list` a scratch file. */
export function cyrusCopyArgv(ctx: HostContext, src: string, dest: string, list: string): string[] {
  return withPrivilege(['sh', '-c', COPY_SCRIPT, 'mailops-cyrus-copy', src, dest, list], ctx.config.privilege);
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Extract the member from the chain into `tmp` and read its messages' heads as they stream in. */
async function extractAndList(ctx: HostContext, tmp: string, member: string, chain: CyrusArchivePoint[], what: string, signal?: AbortSignal): Promise<{ messages: ArchivedMessage[]; heldBytes: number }> {
  const argv = cyrusExtractArgv(ctx, tmp, member, chain.map((p) => p.path));
  const proc = ctx.transport.spawn(argv, { signal, timeoutMs: 3600_000 });
  const parser = new ArchivedHeadsParser(HEAD_BYTES);
  const err: Buffer[] = [];
  let failure: Error | null = null;
  proc.stdout.on('data', (c: Buffer) => {
    if (failure) return;
    try {
      parser.push(c);
    } catch (e) {
      failure = e as Error;
      proc.cancel('unreadable output');
    }
  });
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  let st;
  try {
    st = await proc.exit;
  } catch (e) {
    if (failure) throw readFailure(ctx, argv, failure, what);
    throw e;
  }
  if (failure) throw readFailure(ctx, argv, failure, what);
  if (st.code !== 0) throw commandError(ctx, argv, st.code, st.signal, Buffer.concat(err).toString('utf8'), { what });
  try {
    return { messages: parser.end(), heldBytes: parser.peakBuffered };
  } catch (e) {
    throw readFailure(ctx, argv, e as Error, what);
  }
}

function readFailure(ctx: HostContext, argv: readonly string[], e: Error, what: string): MailopsError {
  if (!(e instanceof ArchivedHeadsError)) return e as MailopsError;
  return new MailopsError(`${what}: ${e.message}`, {
    host: ctx.config.name,
    command: displayCommand(argv),
    meaning: 'the extracted folder could not be read as a list of message files and their heads',
    hint: 'extract the folder by hand (tar -xzf … --listed-incremental=/dev/null) and look at its files',
  });
}

export async function cyrusRestore(ctx: HostContext, req: CyrusRestoreRequest, password: string | undefined, signal?: AbortSignal): Promise<CyrusRestoreResult> {
  checkCyrusAccount(ctx, req.account);
  checkArchiveId(ctx, req.archiveId);
  if (req.uids?.some((u) => !Number.isSafeInteger(u) || u <= 0)) throw new UsageError('UIDs are whole numbers from 1', { host: ctx.config.name });
  const env = await cyrusEnv(ctx, signal);
  checkCyrusAccount(ctx, req.account, env);
  const chain = chainTo(await listCyrusArchives(ctx, signal), req.archiveId);
  const point = chain[chain.length - 1]!;
  const prefix = `INBOX${env.style.unixHierarchySep ? '/' : '.'}`;
  const want = req.folder.toUpperCase().startsWith(prefix) ? req.folder.slice(prefix.length) : req.folder;
  let box: CyrusMailbox | undefined;
  const mine: string[] = [];
  for await (const b of streamArchivedMailboxes(ctx, env, point.id, signal)) {
    if (b.account !== req.account || b.deleted) continue;
    if (b.folder === want || (want.toUpperCase() === 'INBOX' && b.levels.length === 0)) {
      box = b;
      break;
    }
    if (mine.length < 200) mine.push(JSON.stringify(b.folder));
  }
  if (!box) {
    throw new UsageError(`archive ${point.id} holds no folder "${req.folder}" of ${req.account}`, {
      host: ctx.config.name,
      hint: mine.length ? `its folders: ${mine.join(', ')}` : 'the account has no mailboxes in that archive',
    });
  }
  const partition = box.partition ?? 'default';
  const partPath = point.partitions[partition] ?? env.probe.partitions[partition];
  if (!box.uniqueid || !partPath) throw new MailopsError(`cannot locate ${box.toolName} in the archive: no uniqueid or partition path`, { host: ctx.config.name });
  // The partition path comes from the archive's metadata (or imapd.conf): it becomes part of a path on the host.
  checkHostPath(partPath, `Cyrus partition ${partition}`, { host: ctx.config.name, from: `archive ${point.id} (or imapd.conf)`, hint: 'fix partition-* in imapd.conf; archives made with a bad path cannot be restored by Mailops' });
  if (!/^[A-Za-z0-9-]{2,64}$/.test(box.uniqueid)) throw new MailopsError(`the archived mailboxes.db gives ${box.toolName} the unique id ${JSON.stringify(box.uniqueid)}, which is not a Cyrus unique id`, { host: ctx.config.name });
  const member = `${partPath.replace(/^\/+/, '').replace(/\/+$/, '')}/uuid/${box.uniqueid[0]}/${box.uniqueid[1]}/${box.uniqueid}`;

  const targetLevels = req.to !== undefined ? folderLevels(req.to, env.style) : ['Restored', ...(box.levels.length ? box.levels : ['INBOX'])];
  if (!targetLevels.length || targetLevels.some((l) => l === '')) throw new UsageError(`--to "${req.to}" is not a folder name below the account`);
  const targetInternal = internalName(req.account, targetLevels, env.style);
  const target = { folder: targetLevels.join(env.style.unixHierarchySep ? '/' : '.'), internal: targetInternal, name: toolName(targetInternal, env.style) };
  for await (const m of streamMailboxes(ctx, { account: req.account, signal })) {
    if (m.internal === targetInternal) {
      throw new UsageError(`the folder "${target.folder}" exists; a restore never writes into an existing folder`, { host: ctx.config.name, hint: 'choose another name with --to' });
    }
  }

  // Extracted on the backup file system, in a temp dir of the backup folder (removed below, however it ends).
  const dir = cyrusLayout(ctx.config).dir;
  const prepArgv = cyrusPrepareArgv(ctx, dir, member, chain.map((p) => p.path));
  const prep = await ctx.transport.run(prepArgv, { signal, timeoutMs: 3600_000 });
  const tmp = /^TMP (.+)$/m.exec(prep.stdout)?.[1] ?? null;
  const tmpOk = tmp !== null && tmp.startsWith(`${dir.replace(/\/+$/, '')}/restore.`) && !tmp.includes('/..');
  try {
    if (prep.code !== 0 || !tmpOk) throw commandError(ctx, prepArgv, prep.code, prep.signal, prep.stderr, { what: `preparing the extraction of ${box.folder} from ${point.id} failed` });
    const needed = Number(/^NEED (\d+)$/m.exec(prep.stdout)?.[1] ?? NaN);
    const free = Number(/^FREE (\d+)$/m.exec(prep.stdout)?.[1] ?? NaN);
    if (!Number.isFinite(needed) || !Number.isFinite(free)) {
      throw new MailopsError(`could not tell how much space restoring ${box.folder} needs under ${dir}`, {
        host: ctx.config.name,
        command: displayCommand(prepArgv),
        meaning: `tar -tv or df printed nothing usable (${JSON.stringify(prep.stdout.slice(-200))})`,
        hint: 'check that GNU tar and df work on the host',
      });
    }
    const neededBytes = needed + SPACE_MARGIN;
    if (free < neededBytes) {
      throw new MailopsError(`restoring ${box.folder} needs ${mib(neededBytes)} under ${dir}, whose file system has ${mib(free)} free`, {
        host: ctx.config.name,
        meaning: `the folder is extracted from the archive chain (${chain.map((p) => p.id).join(' + ')}) onto the backup file system before anything is copied; its files take ${mib(needed)} there. Nothing was extracted`,
        hint: `free space on the file system of ${dir}, or set cyrus.backupRoot of the host to a file system with room (the archives move with it)`,
      });
    }
    const { messages, heldBytes } = await extractAndList(ctx, tmp!, member, chain, `extracting ${box.folder} from ${point.id} failed`, signal);
    messages.sort((a, b) => a.uid - b.uid);
    let selected = messages;
    if (req.uids?.length) {
      const have = new Set(messages.map((m) => m.uid));
      const missing = req.uids.filter((u) => !have.has(u));
      if (missing.length) throw new UsageError(`the archived folder has no UID ${missing.slice(0, 50).join(', ')}${missing.length > 50 ? ` … (${missing.length} in all)` : ''}`, { hint: 'run with --dry-run to list its messages' });
      const wanted = new Set(req.uids);
      selected = messages.filter((m) => wanted.has(m.uid));
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
      extraction: { dir: tmp!, neededBytes, freeBytes: free, heldBytes },
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
    // The UIDs travel on stdin: a folder of 100,000 messages would not fit on a command line (issue 11.11).
    const copy = cyrusCopyArgv(ctx, `${tmp}/${member}`, dest.data, `${tmp}/.copy-list`);
    const copied = await runTool(ctx, copy, { what: 'copying the message files into the new folder failed', signal, timeoutMs: 3600_000, stdin: selected.map((m) => `${m.uid}\n`).join('') });
    if (!new RegExp(`^copied ${selected.length}$`, 'm').test(copied.stdout)) {
      throw new MailopsError(`copying into ${target.name} reported ${JSON.stringify(copied.stdout.trim())}, not ${selected.length} files`, { host: ctx.config.name, command: displayCommand(copy), hint: `look at ${dest.data} and run reconstruct on ${target.name} by hand` });
    }
    await runTool(ctx, toolArgv(ctx, env, 'reconstruct', [], [target.name]), { what: 'reconstruct of the new folder failed', signal, timeoutMs: 3600_000 });
    result.count = await countRestoredFolder(ctx, env, target, dest.meta, selected.length, signal);
    result.restored = result.count.listed;
    return result;
  } finally {
    if (tmpOk) await ctx.transport.run(withPrivilege(['rm', '-rf', '--', tmp!], ctx.config.privilege)).catch(() => undefined);
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
