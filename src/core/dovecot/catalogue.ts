/**
 * The catalogue of an account's backup sets on the host: the mirror (with its DECODED dsync state, per
 * mailbox, named through the mirror's dovecot-uidlist headers) and the archive chains (full, then its
 * diff/incr points). One remote read (a constant sh script, paths as arguments), a pure parser, and the
 * answer to "which archive (chain point) holds mailbox X as of time T".
 */
import type { HostContext } from '../hosts/context';
import { runChecked } from '../hosts/context';
import { dovecotLayout } from '../backup/layout';
import { ScriptBuilder, sh } from '../backup/script';
import { layoutOfLocationRecord } from './dialect';
import { decodeDsyncState, type MailboxSyncState } from './state';
import { checkAccountName } from '../names';

export interface ArchivePoint {
  id: string;
  level: 'full' | 'diff' | 'incr';
  /** Id of the chain's full archive. */
  full: string;
  /** The point this one is relative to ('' for a full). Extraction follows these links back to the full. */
  base: string;
  created: string;
  /** `live`, or the mirror folder it was made from (mirror.<stamp>). */
  source: string;
  /** Message files in this archive (for diff/incr: the changed ones). */
  messages: number;
  /** Message files in the source when it was archived. */
  sourceMessages: number;
  bytes: number;
  verified: boolean;
  /** Sequence number recorded when it was made (retention's order; 0 for archives from before). */
  seq: number;
  /** For a full: a retention anchor (verified, no sharp drop in its message count; backup/retention.ts). */
  anchor: boolean;
  /** Why a full is no anchor (unverified, empty, drop), or why it is one against the rule (forced); null otherwise. */
  anchorReason: string | null;
  path: string;
  /**
   * Id of the set marker this point carries (setProof.ts): the mirror's when it was archived, or the
   * live archive's own; null for points made before markers.
   */
  setId: string | null;
  /** Folders present at this point (from the archive's directory entries) with the message files it holds. */
  folders: Array<{ dir: string; mailbox: string; messageFiles: number }>;
}

export interface ArchiveChain {
  full: ArchivePoint;
  /** Full first, then diff/incr points in time order. */
  points: ArchivePoint[];
}

export interface MirrorMailbox extends MailboxSyncState {
  /** Mailbox name (from the mirror's folder of that GUID), null when the mirror has no folder for it. */
  mailbox: string | null;
  dir: string | null;
}

export interface MirrorInfo {
  path: string;
  /** The folder the `mirror` symlink points at. */
  target: string | null;
  location: string | null;
  stateMtime: string | null;
  stateSha256: string | null;
  stateError: string | null;
  mailboxes: MirrorMailbox[];
  /** Other mirror.* folders kept beside it (older mirrors, never deleted silently). */
  otherMirrors: string[];
}

export interface Catalogue {
  account: string;
  dir: string;
  mirror: MirrorInfo | null;
  chains: ArchiveChain[];
}

/** Modified UTF-7 (RFC 3501) to Unicode. */
export function decodeMUtf7(s: string): string {
  return s.replace(/&([A-Za-z0-9+,]*)-/g, (_, b64: string) => {
    if (b64 === '') return '&';
    const buf = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    let out = '';
    for (let i = 0; i + 1 < buf.length; i += 2) out += String.fromCharCode((buf[i]! << 8) | buf[i + 1]!);
    return out;
  });
}

/** A folder directory of a maildir (relative, `./x/` or `x`) to the mailbox name. */
export function folderDirToMailbox(dir: string, layout: string, separator = '/'): string {
  let d = dir.replace(/^\.\/?/, '').replace(/\/$/, '');
  if (d === '' || d === '.') return 'INBOX';
  if (layout === 'fs') return d.split('/').map(decodeMUtf7).join(separator);
  if (d.startsWith('.')) d = d.slice(1);
  return d.split('.').map(decodeMUtf7).join(separator);
}

/** tar -t escapes (\\ \n \t \ooo) back to text. */
function untarEscape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      const o = /^[0-7]{3}/.exec(s.slice(i + 1));
      if (o) {
        bytes.push(parseInt(o[0], 8));
        i += 3;
        continue;
      }
      const m: Record<string, number> = { '\\': 92, n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11 };
      const c = m[s[i + 1]!];
      if (c !== undefined) {
        bytes.push(c);
        i++;
        continue;
      }
    }
    bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export const CATALOGUE_BODY = sh`
printf 'S dir %s\n' "$DIR"
if [ -e "$MIRROR" ]; then printf 'S mirror_link %s\n' "$(readlink "$MIRROR" 2>/dev/null)"; fi
if [ -f "$STATE" ]; then
  printf 'S state_mtime %s\n' "$(stat -c %Y "$STATE" 2>/dev/null || date -r "$STATE" +%s)"
  printf 'S state_sha256 %s\n' "$(sha256sum <"$STATE" | cut -d' ' -f1)"
  printf 'S state %s\n' "$(head -n 1 "$STATE")"
fi
[ -f "$LOCATION_FILE" ] && printf 'S location %s\n' "$(head -n 1 "$LOCATION_FILE")"
for d in "$DIR"/mirror.*; do [ -d "$d" ] && printf 'M %s\n' "$(basename "$d")"; done
if [ -d "$MIRROR/" ]; then
  (cd "$MIRROR/" && find . -name dovecot-uidlist -type f) | while IFS= read -r f; do
    printf 'U %s\t%s\n' "$(head -n 1 "$MIRROR/$f")" "$(dirname "$f")"
  done
fi
for m in "$ARCHIVES"/*.meta; do
  [ -f "$m" ] || continue
  id=$(basename "$m" .meta)
  while IFS= read -r l; do printf 'A %s %s\n' "$id" "$l"; done <"$m"
  [ -f "$ARCHIVES/$id.folders" ] && while IFS= read -r l; do printf 'F %s %s\n' "$id" "$l"; done <"$ARCHIVES/$id.folders"
done
echo END
`;

/** Parse the catalogue script's output (pure). */
export function parseCatalogue(account: string, text: string, archivesDir: string, mirrorPath: string): Catalogue {
  const s = new Map<string, string>();
  const mirrors: string[] = [];
  const uidlists: Array<{ guid: string; uidvalidity: number; dir: string }> = [];
  const metas = new Map<string, Record<string, string>>();
  const folders = new Map<string, Array<{ dir: string; count: number }>>();
  for (const line of text.split('\n')) {
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    if (tag === 'S ') {
      const i = rest.indexOf(' ');
      s.set(i < 0 ? rest : rest.slice(0, i), i < 0 ? '' : rest.slice(i + 1));
    } else if (tag === 'M ') mirrors.push(rest);
    else if (tag === 'U ') {
      const [hdr, dir] = rest.split('\t');
      const g = /\bG([0-9a-f]{32})\b/.exec(hdr ?? '');
      const v = /\bV(\d+)\b/.exec(hdr ?? '');
      if (g && dir !== undefined) uidlists.push({ guid: g[1]!, uidvalidity: v ? Number(v[1]) : 0, dir });
    } else if (tag === 'A ') {
      const i = rest.indexOf(' ');
      const id = rest.slice(0, i);
      const kv = rest.slice(i + 1);
      const j = kv.indexOf('=');
      if (j > 0) {
        const m = metas.get(id) ?? {};
        m[kv.slice(0, j)] = kv.slice(j + 1);
        metas.set(id, m);
      }
    } else if (tag === 'F ') {
      const i = rest.indexOf(' ');
      const id = rest.slice(0, i);
      const [count, ...dirParts] = rest.slice(i + 1).split('\t');
      const list = folders.get(id) ?? [];
      list.push({ dir: untarEscape(dirParts.join('\t')), count: Number(count) || 0 });
      folders.set(id, list);
    }
  }
  const location = s.get('location') ?? null;
  const layout = layoutOfLocationRecord(location);
  let mirror: MirrorInfo | null = null;
  if (s.has('mirror_link') || s.has('state')) {
    let stateError: string | null = null;
    let mailboxes: MirrorMailbox[] = [];
    if (s.has('state')) {
      try {
        mailboxes = decodeDsyncState(s.get('state')!).mailboxes.map((m) => {
          const u = uidlists.find((x) => x.guid === m.guid);
          return { ...m, dir: u?.dir ?? null, mailbox: u ? folderDirToMailbox(u.dir, layout) : null };
        });
      } catch (e) {
        stateError = (e as Error).message;
      }
    }
    const mtime = Number(s.get('state_mtime'));
    const target = s.get('mirror_link') || null;
    mirror = {
      path: mirrorPath,
      target,
      location,
      stateMtime: Number.isFinite(mtime) && s.has('state_mtime') ? new Date(mtime * 1000).toISOString() : null,
      stateSha256: s.get('state_sha256') ?? null,
      stateError,
      mailboxes,
      otherMirrors: mirrors.filter((m) => m !== target),
    };
  }
  const points: ArchivePoint[] = [];
  for (const [id, m] of metas) {
    const level = m.level as ArchivePoint['level'];
    if (level !== 'full' && level !== 'diff' && level !== 'incr') continue;
    const lay = m.layout ?? layout;
    points.push({
      id,
      level,
      full: m.full ?? '',
      base: m.base ?? '',
      created: m.created ?? '',
      source: m.source ?? '',
      messages: Number(m.messages) || 0,
      sourceMessages: Number(m.source_messages) || 0,
      bytes: Number(m.bytes) || 0,
      verified: m.verified === 'yes',
      seq: Number(m.seq) || 0,
      anchor: m.verified === 'yes' && m.anchor !== 'no',
      anchorReason: m.anchor_reason || (m.verified === 'yes' ? null : 'unverified'),
      setId: m.set_id || null,
      path: `${archivesDir}/${id}.tar.gz`,
      folders: (folders.get(id) ?? [])
        .map((f) => ({ dir: f.dir, mailbox: folderDirToMailbox(f.dir, lay), messageFiles: f.count }))
        .sort((a, b) => a.mailbox.localeCompare(b.mailbox)),
    });
  }
  // Oldest first by the recorded sequence (a clock set back does not reorder), then by id.
  points.sort((a, b) => a.seq - b.seq || a.id.localeCompare(b.id));
  const chains: ArchiveChain[] = points
    .filter((p) => p.level === 'full')
    .map((full) => ({ full, points: points.filter((p) => p.full === full.id) }));
  return { account, dir: s.get('dir') ?? '', mirror, chains };
}

export async function readCatalogue(ctx: HostContext, account: string, signal?: AbortSignal): Promise<Catalogue> {
  checkAccountName('dovecot', account, { host: ctx.config.name });
  const l = dovecotLayout(ctx.config, account);
  const b = new ScriptBuilder('mailops-catalogue');
  b.param('DIR', l.dir);
  b.param('MIRROR', l.mirror);
  b.param('STATE', l.state);
  b.param('ARCHIVES', l.archives);
  b.param('LOCATION_FILE', l.mirrorLocation);
  b.add(CATALOGUE_BODY);
  const built = b.build();
  const r = await runChecked(ctx, built.argv, { signal, timeoutMs: 120_000, what: 'reading the backup catalogue failed', displayArgv: ['sh', '-c', '<catalogue script>', built.name, ...built.args] });
  return parseCatalogue(account, r.stdout, l.archives, l.mirror);
}

/** The points to extract, in order, to get the state of `point`: the full, then each base link, then the point. */
export function extractionOrder(points: readonly ArchivePoint[], pointId: string): ArchivePoint[] {
  const byId = new Map(points.map((p) => [p.id, p]));
  const out: ArchivePoint[] = [];
  let cur = byId.get(pointId);
  const seen = new Set<string>();
  while (cur) {
    if (seen.has(cur.id)) throw new Error(`archive chain loops at ${cur.id}`);
    seen.add(cur.id);
    out.unshift(cur);
    if (cur.level === 'full') return out;
    const base = byId.get(cur.base);
    if (!base) throw new Error(`archive ${cur.id} needs ${cur.base || '(no base)'}, which is missing`);
    cur = base;
  }
  throw new Error(`no archive ${pointId}`);
}

export interface HoldsAnswer {
  mailbox: string;
  at: string;
  /** The newest chain point at or before `at` whose state includes the mailbox; null when none. */
  point: ArchivePoint | null;
  /** What to extract, in order (full first). */
  extract: ArchivePoint[];
  /** The mailbox's message files at that point (for a full: all of them; else the changed ones). */
  messageFilesInPoint: number | null;
  reason: string;
}

/** Which archive (chain point) holds mailbox X as of time T (pure). */
export function whichArchiveHolds(cat: Catalogue, mailbox: string, at: Date): HoldsAnswer {
  const all = cat.chains.flatMap((c) => c.points).filter((p) => Date.parse(p.created) <= at.getTime());
  all.sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || b.id.localeCompare(a.id));
  const atIso = at.toISOString();
  const newest = all[0];
  if (!newest) return { mailbox, at: atIso, point: null, extract: [], messageFilesInPoint: null, reason: `no archive was made at or before ${atIso}` };
  const hit = all.find((p) => p.folders.some((f) => f.mailbox === mailbox));
  if (!hit) return { mailbox, at: atIso, point: null, extract: [], messageFilesInPoint: null, reason: `no archive at or before ${atIso} contains a mailbox named ${JSON.stringify(mailbox)}` };
  const all2 = cat.chains.flatMap((c) => c.points);
  const extract = extractionOrder(all2, hit.id);
  const f = hit.folders.find((x) => x.mailbox === mailbox)!;
  const reason =
    hit.id === newest.id
      ? `${hit.id} is the newest chain point at or before ${atIso}; restore it by extracting ${extract.map((p) => p.id).join(', ')} in that order`
      : `the newest point at or before ${atIso} (${newest.id}) does not contain ${JSON.stringify(mailbox)} (it did not exist then); the latest point that does is ${hit.id}`;
  return { mailbox, at: atIso, point: hit, extract, messageFilesInPoint: f.messageFiles, reason };
}
