/**
 * Never trust that a backup was read. doveadm ignores `-o` keys it does not know, silently, on 2.3 and 2.4
 * alike (measured: `-o mail_locationx=…` and, on 2.4, `-o mail_location=…` read the LIVE mail and exit 0).
 * So a copy (mirror, extracted archive point) is only read after doveadm, under exactly the overrides the
 * reads will use, has shown where it reads from, in one round trip:
 *
 *   doveadm … mailbox path -u ACCOUNT -t mailbox INBOX   must be the set's folder
 *   doveadm … mailbox path -u ACCOUNT -t control INBOX   must be the set's folder (else the LIVE
 *                                                        dovecot-uidlist would name the copy's messages)
 *   doveadm … mailbox path -u ACCOUNT -t index INBOX     must be empty: indexes in memory, nothing written
 *
 * and the marker file the backup wrote into the set at backup time (SET_MARKER: account, kind, a random id,
 * the dialect; an archive's .meta records the id of the marker it carries) names this account and, for an
 * archive point, the id its .meta recorded.
 *
 * Sets made before markers existed have none: for them the path checks alone decide (a mirror gets its
 * marker on its next backup run; an archive point whose .meta records no set_id is such an old point).
 * A marker that is present must match; a .meta that records a set_id requires the marker.
 */
import { MailopsError } from '../errors';
import { decodeValue } from '../backup/runlog';
import type { HostContext } from '../hosts/context';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import type { DovecotDialect } from './dialect';
import { doveadmBaseArgv } from './doveadm';
import { checkAccountName } from '../names';

/** The marker file in the root of every mirror (and so in every archive of a mirror); a live archive
 * keeps it beside the tar as ID.set, and extraction puts it at the root. */
export const SET_MARKER = '.mailops-set';

export interface SetMarker {
  kind: string;
  account: string;
  id: string;
  dialect: string;
  created: string;
}

/** Parse a marker (`mailops-set 1`, then key=value lines, values percent-encoded like run-log fields). */
export function parseSetMarker(text: string): SetMarker | null {
  const lines = text.split('\n');
  if (!/^mailops-set 1\s*$/.test(lines[0] ?? '')) return null;
  const f: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf('=');
    if (i > 0) f[l.slice(0, i)] = decodeValue(l.slice(i + 1).trimEnd());
  }
  if (!f.account || !f.id) return null;
  return { kind: f.kind ?? '', account: f.account, id: f.id, dialect: f.dialect ?? '', created: f.created ?? '' };
}

/** The proof script: $1 account, $2 set folder, $3 marker name, $4 .meta file or '', then doveadm's argv. */
export const SET_PROOF_SCRIPT = String.raw`
A=$1; SET=$2; MARKER=$3; META=$4; shift 4
real() { (cd "$1" 2>/dev/null && pwd -P); }
printf 'set=%s\n' "$(real "$SET")"
for t in mailbox control index; do
  if p=$("$@" mailbox path -u "$A" -t "$t" INBOX); then printf 'path.%s=%s\n' "$t" "$p"
  else printf 'failed=%s\nrc=%s\n' "$t" "$?"; exit 0; fi
  [ -n "$p" ] && printf 'real.%s=%s\n' "$t" "$(real "$p")"
  [ "$t" = mailbox ] && PM=$p
done
if [ -n "$PM" ] && [ -f "$PM/$MARKER" ]; then sed 's/^/marker /' "$PM/$MARKER"; fi
if [ -n "$META" ] && [ -f "$META" ]; then sed -n 's/^set_id=/meta.set_id=/p' "$META"; fi
echo end=ok
`;

export interface ProofOutput {
  /** The set folder with symlinks resolved (empty when it does not exist). */
  set: string;
  paths: Partial<Record<'mailbox' | 'control' | 'index', string>>;
  real: Partial<Record<'mailbox' | 'control' | 'index', string>>;
  failed: { type: string; rc: number } | null;
  marker: SetMarker | null;
  /** The marker's raw text when it was there but did not parse. */
  markerText: string | null;
  metaSetId: string | null;
  complete: boolean;
}

/** Parse the proof script's output (pure). */
export function parseProofOutput(text: string): ProofOutput {
  const out: ProofOutput = { set: '', paths: {}, real: {}, failed: null, marker: null, markerText: null, metaSetId: null, complete: false };
  const marker: string[] = [];
  let failedType: string | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('marker ')) {
      marker.push(line.slice('marker '.length));
      continue;
    }
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'set') out.set = v;
    else if (k === 'path.mailbox' || k === 'path.control' || k === 'path.index') out.paths[k.slice(5) as 'mailbox'] = v;
    else if (k === 'real.mailbox' || k === 'real.control' || k === 'real.index') out.real[k.slice(5) as 'mailbox'] = v;
    else if (k === 'failed') failedType = v;
    else if (k === 'rc' && failedType !== null) out.failed = { type: failedType, rc: Number(v) };
    else if (k === 'meta.set_id') out.metaSetId = v.trim() || null;
    else if (k === 'end' && v === 'ok') out.complete = true;
  }
  if (marker.length) {
    out.markerText = marker.join('\n');
    out.marker = parseSetMarker(out.markerText);
  }
  return out;
}

export interface ProofContext {
  host: string;
  account: string;
  /** mirror, archive:ID */
  label: string;
  dialect: DovecotDialect;
  /** The folder the set was opened at. */
  dir: string;
  overrides: Record<string, string>;
  /** The command shown in errors. */
  command: string;
  /** doveadm's stderr during the check, shown in errors. */
  stderr?: string;
}

/** Judge the proof (pure): returns nothing when the set is read, throws a MailopsError saying why not. */
export function judgeProof(p: ProofOutput, c: ProofContext): void {
  const what = `refusing to read the ${c.label} of ${c.account} (Dovecot ${c.dialect} dialect)`;
  const keys = Object.keys(c.overrides).join(', ');
  const fail = (meaning: string, hint: string) => {
    throw new MailopsError(`${what}: doveadm would not read the backup`, { host: c.host, command: c.command, meaning, hint, stderr: c.stderr || undefined });
  };
  const dialectHint = `run mailops probe and check the Dovecot version and dialect it reports (this host was read as ${c.dialect}); if they are right, report this with the command`;
  if (p.failed) {
    throw new MailopsError(`${what}: doveadm mailbox path failed (exit code ${p.failed.rc})`, {
      host: c.host,
      command: c.command,
      exitCode: p.failed.rc,
      meaning: `doveadm could not say where it reads the ${c.label} from (-t ${p.failed.type})`,
      stderr: c.stderr || undefined,
      hint: 'read stderr; check that the Dovecot master runs and that the account exists',
    });
  }
  if (!p.complete) fail('the check stopped before its end', 'run it again; check the host');
  if (p.set === '') fail(`the ${c.label} folder ${c.dir} does not exist`, `mailops backups ${JSON.stringify(c.account)} lists the sets`);
  const mailbox = p.real.mailbox ?? p.paths.mailbox ?? '';
  if (mailbox !== p.set) {
    fail(
      `with ${keys} doveadm resolves INBOX to ${p.paths.mailbox || '(nothing)'}, not to ${c.dir}: it ignored the override(s) (doveadm ignores -o keys it does not know, silently) and would show the LIVE mail as the backup`,
      dialectHint,
    );
  }
  const control = p.real.control ?? p.paths.control ?? '';
  if (control !== p.set) {
    fail(`doveadm would read the ${c.label}'s dovecot-uidlist from ${p.paths.control || '(nothing)'}, not from ${c.dir}: message GUIDs and UIDs would come from another folder`, dialectHint);
  }
  if (p.paths.index) {
    fail(`doveadm would keep the ${c.label}'s index files in ${p.paths.index} instead of in memory: the in-memory index override was not honoured`, dialectHint);
  }
  if (p.markerText !== null && !p.marker) {
    fail(`the ${SET_MARKER} marker in ${c.dir} cannot be read: ${JSON.stringify(p.markerText.slice(0, 200))}`, 'the folder is not a set Mailops made; check the backup folder');
  }
  if (p.marker && p.marker.account !== c.account) {
    fail(`the ${c.label} folder ${c.dir} holds a backup of ${JSON.stringify(p.marker.account)}, not of ${JSON.stringify(c.account)}`, 'check the host\'s dovecot.backupRoot and the backup folders; never restore another account\'s mail');
  }
  if (p.metaSetId !== null) {
    if (!p.marker) fail(`the extracted ${c.label} has no ${SET_MARKER} marker although its .meta records set ${p.metaSetId}: the archive does not hold what the backup wrote`, 'run mailops backups to check the chain; make a new full archive');
    else if (p.marker.id !== p.metaSetId) fail(`the extracted ${c.label} carries set ${p.marker.id}, but its .meta records set ${p.metaSetId}: the chain mixes archives of different sets`, 'run mailops backups to check the chain; make a new full archive');
  }
}

/**
 * Prove that doveadm, under `overrides`, reads the copy at `dir` (see the file comment). `meta` is the
 * archive point's .meta file (its set_id), or null for the mirror. One round trip.
 */
export async function proveSetRead(ctx: HostContext, c: Omit<ProofContext, 'host' | 'command'> & { meta: string | null }, signal?: AbortSignal): Promise<void> {
  checkAccountName('dovecot', c.account, { host: ctx.config.name });
  const doveadm = doveadmBaseArgv(ctx.config, c.overrides);
  const args = [c.account, c.dir, SET_MARKER, c.meta ?? ''];
  const argv = withPrivilege(['sh', '-c', SET_PROOF_SCRIPT, 'mailops-set-proof', ...args, ...doveadm], ctx.config.privilege);
  const command = shellLine(withPrivilege([...doveadm, 'mailbox', 'path', '-u', c.account, '-t', 'mailbox', 'INBOX'], ctx.config.privilege));
  const r = await ctx.transport.run(argv, { signal, timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new MailopsError(`refusing to read the ${c.label} of ${c.account} (Dovecot ${c.dialect} dialect): the check could not run`, {
      host: ctx.config.name,
      command: shellLine(withPrivilege(['sh', '-c', '<set proof script>', 'mailops-set-proof', ...args, ...doveadm], ctx.config.privilege)),
      exitCode: r.code,
      signal: r.signal,
      stderr: r.stderr,
      meaning: 'the shell on the host did not run the check',
      hint: 'check that the SSH user can run sh and, with privilege sudo, that sudo -n works',
    });
  }
  judgeProof(parseProofOutput(r.stdout), { ...c, host: ctx.config.name, command, stderr: r.stderr });
}
