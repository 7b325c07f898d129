/**
 * Archive chains for restores (used by the restore engine): list them, and extract one chain point
 * (full, then each diff/incr it builds on, in order, with --listed-incremental=/dev/null so deletions
 * recorded in the incremental dumps are replayed) into a folder on the host, holding the account's
 * backup lock shared while it reads (retention deletes chains under it, held exclusive).
 */
import type { HostContext } from '../hosts/context';
import { runChecked } from '../hosts/context';
import { checkBackupRoot, dovecotLayout } from '../backup/layout';
import { DEFAULT_READER_LOCK_TIMEOUT } from '../backup/lock';
import { ScriptBuilder, sh } from '../backup/script';
import { UsageError, CommandFailedError } from '../errors';
import { SET_MARKER } from './setProof';
import { readCatalogue, extractionOrder, type ArchiveChain, type ArchivePoint } from './catalogue';
import { checkAccountName } from '../names';

const ID_RE = /^\d{8}T\d{6}Z-(full|diff|incr)$/;

/** The account's archive chains, oldest first (full, then its points in time order). */
export async function listArchiveChain(ctx: HostContext, account: string, signal?: AbortSignal): Promise<ArchiveChain[]> {
  return (await readCatalogue(ctx, account, signal)).chains;
}

export interface ExtractedPoint {
  /** The maildir on the host holding the mailbox tree as of that point (INBOX at its root). */
  maildir: string;
  /** What was extracted, in order. */
  extracted: ArchivePoint[];
}

const EXTRACT_BODY = sh`
# Retention deletes chains under the same lock held exclusive: read them holding it shared (lock.ts).
if [ -d "$DIR" ] && command -v flock >/dev/null 2>&1; then
  exec 8>>"$LOCK" || exit 73
  if ! flock -s -n 8; then
    echo "waiting up to $LOCK_TIMEOUT s for the backup run that holds $LOCK" >&2
    flock -s -w "$LOCK_TIMEOUT" 8 || { echo "a backup run kept $LOCK for more than $LOCK_TIMEOUT s" >&2; exit 75; }
  fi
fi
if [ -n "$DEST" ]; then mo_safe_dir "$DEST" 0711 >&2 || exit 73; D=$DEST; else mo_safe_dir "$DIR" 0711 >&2 || exit 73; D=$(mktemp -d "$DIR/extract.XXXXXX") || exit 73; fi
chmod 0711 "$D"
LAST=''
for id in $IDS; do
  printf 'EXTRACT %s\n' "$id"
  tar -C "$D" --listed-incremental=/dev/null -xzf "$ARCHIVES/$id.tar.gz" || { echo "tar failed on $id" >&2; exit 74; }
  LAST=$id
done
# A live archive keeps its set marker beside it (the tar of a mirror carries the mirror's inside).
if [ -n "$LAST" ] && [ -f "$ARCHIVES/$LAST.set" ]; then cp "$ARCHIVES/$LAST.set" "$D/$MARKER" || exit 74; fi
printf 'MAILDIR %s\n' "$D"
`;

/**
 * Extract full + … + archiveId into destDir (or a new temp folder under the account's backup folder)
 * on the host, as root (owners and modes come from the archive). Returns the maildir path.
 */
export async function extractChainPoint(ctx: HostContext, account: string, archiveId: string, destDir?: string, signal?: AbortSignal): Promise<ExtractedPoint> {
  checkAccountName('dovecot', account, { host: ctx.config.name });
  if (!ID_RE.test(archiveId)) throw new UsageError(`not an archive id: ${JSON.stringify(archiveId)}`, { hint: 'ids look like 20261122T042158Z-full (mailops backups ACCOUNT lists them)' });
  const chains = await listArchiveChain(ctx, account, signal);
  const points = chains.flatMap((c) => c.points);
  let order: ArchivePoint[];
  try {
    order = extractionOrder(points, archiveId);
  } catch (e) {
    throw new UsageError(`cannot extract ${archiveId} for ${account}: ${(e as Error).message}`, { host: ctx.config.name, hint: 'mailops backups ACCOUNT lists the chains' });
  }
  const l = dovecotLayout(ctx.config, account);
  checkBackupRoot(l.root);
  const b = new ScriptBuilder('mailops-extract');
  b.param('DIR', l.dir);
  b.param('LOCK', l.lock);
  b.param('LOCK_TIMEOUT', String(DEFAULT_READER_LOCK_TIMEOUT));
  b.param('ARCHIVES', l.archives);
  b.param('DEST', destDir ?? '');
  b.param('IDS', order.map((p) => p.id).join(' '));
  b.param('MARKER', SET_MARKER);
  b.add(EXTRACT_BODY);
  const built = b.build();
  const r = await runChecked(ctx, built.argv, { signal, timeoutMs: 3_600_000, what: `extracting archive ${archiveId} failed`, displayArgv: ['sh', '-c', '<extract script>', built.name, ...built.args] }, (code) =>
    code === 75 ? { meaning: 'a backup run held the account\'s lock for too long', hint: 'wait for the backup run to end and try again' } : code === 73 ? { meaning: 'the backup folder or the destination is missing or unsafe (see the path line in stderr)', hint: 'check the owner and mode of each folder of the backup root' } : undefined,
  );
  const m = /^MAILDIR (.*)$/m.exec(r.stdout);
  if (!m) throw new CommandFailedError('the extract script printed no folder', { host: ctx.config.name, stderr: r.stderr });
  return { maildir: m[1]!, extracted: order };
}
