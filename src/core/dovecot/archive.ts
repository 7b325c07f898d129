/**
 * Archive chains for restores (used by the restore engine): list them, and extract one chain point
 * (full, then each diff/incr it builds on, in order, with --listed-incremental=/dev/null so deletions
 * recorded in the incremental dumps are replayed) into a folder on the host.
 */
import type { HostContext } from '../hosts/context';
import { runChecked } from '../hosts/context';
import { dovecotLayout } from '../backup/layout';
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
if [ -n "$DEST" ]; then mkdir -p "$DEST" || exit 73; D=$DEST; else D=$(mktemp -d "$DIR/extract.XXXXXX") || exit 73; fi
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
  const b = new ScriptBuilder('mailops-extract');
  b.param('DIR', l.dir);
  b.param('ARCHIVES', l.archives);
  b.param('DEST', destDir ?? '');
  b.param('IDS', order.map((p) => p.id).join(' '));
  b.param('MARKER', SET_MARKER);
  b.add(EXTRACT_BODY);
  const built = b.build();
  const r = await runChecked(ctx, built.argv, { signal, timeoutMs: 3_600_000, what: `extracting archive ${archiveId} failed`, displayArgv: ['sh', '-c', '<extract script>', built.name, ...built.args] });
  const m = /^MAILDIR (.*)$/m.exec(r.stdout);
  if (!m) throw new CommandFailedError('the extract script printed no folder', { host: ctx.config.name, stderr: r.stderr });
  return { maildir: m[1]!, extracted: order };
}
