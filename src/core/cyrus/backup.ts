/**
 * Cyrus file backup, as operators do it (shared/operators 001, 003, 004): first a plain-text dump of
 * mailboxes.db (`ctl_mboxlist -d`, never -x), then a GNU tar of the partitions and the config directory,
 * leaving out cyrus.squat, cyrus.*.NEW, stage./, sync./, socket/ and *.lock*. Full or incremental
 * (--listed-incremental), optional pre/post hooks (host.hooks, e.g. a filesystem snapshot).
 *
 * Same machinery as the Dovecot archives (src/core/backup): one constant POSIX sh script with every value
 * passed positionally (ScriptBuilder), the host-side flock lock, MAILOPS run-log lines, and
 * ROOT/cyrus/archives/<UTC stamp>-<level>.{tar.gz,snar,meta,mailboxes.txt} (cyrusLayout), and the same
 * retention of archive chains (backup/retention.ts: keep the newest N full chains; an older chain goes only
 * once a newer full archive exists and has been verified).
 */
import { UsageError, CommandFailedError } from '../errors';
import type { HostContext } from '../hosts/context';
import { checkBackupRoot, cyrusLayout } from '../backup/layout';
import { ScriptBuilder, sh, type BuiltScript } from '../backup/script';
import { runFailure, type RunEvent, type RunFailure } from '../backup/runlog';
import { RETENTION_FN } from '../backup/retention';
import { checkAnchorOptions, DEFAULT_KEEP, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_DROP_PERCENT, runScript, type RunHooks } from '../dovecot/backup';
import { withPrivilege } from '../hosts/model';
import { shellLine } from '../transport/quote';
import { cyrusEnv, type CyrusEnv } from './tools';

export type CyrusBackupKind = 'full' | 'incr';

export interface CyrusBackupOptions {
  kind: CyrusBackupKind;
  /** Skip instead of waiting when another run holds the lock. */
  noWait?: boolean;
  /** Seconds to wait for the lock (default 300, as for Dovecot). */
  lockTimeout?: number;
  /** Keep the newest N full chains (default 2, as for Dovecot; 0 keeps everything). */
  keep?: number;
  /** Take a full whose message count dropped sharply as a retention anchor anyway (CLI --force). */
  force?: boolean;
  /** As for Dovecot (dovecot/backup.ts BackupOptions.maxDropPercent; default 50). */
  maxDropPercent?: number;
  /** Fault injection for tests: the archive's UTC stamp, as a host whose clock was set back. Never in production. */
  stampForTest?: string;
}

const BODY = sh`
umask 077
# Every component of the backup folder checked, missing ones made owner-only (script.ts mo_safe_dir).
if ! mo_safe_dir "$DIR" 0700; then mo_finish 1 reason path path "$DIR"; fi
mkdir -p "$ARCHIVES" "$LOGS" 2>/dev/null || { mo_line run fail reason mkdir path "$DIR"; mo_finish 1 reason mkdir; }
ST=$(date -u +%Y%m%dT%H%M%SZ)
MO_LOG="$LOGS/$ST-cyrus-$KIND.log"
if ! ( set -C; : >"$MO_LOG" ) 2>/dev/null; then MO_LOG="$LOGS/$ST-cyrus-$KIND-$$.log"; : >>"$MO_LOG"; fi
mo_line run start kind "$KIND" server cyrus log "$MO_LOG" host "$(uname -n)" pid "$$"
mo_lock "$LOCK" "$LOCK_TIMEOUT" "$NOWAIT"
case $? in 0) ;; 2) mo_finish 3 skipped yes log "$MO_LOG" ;; *) mo_finish 1 reason lock log "$MO_LOG" ;; esac

run_hook() {
  _which=$1; _n=$2; [ "$_n" -gt 0 ] || return 0
  set --; _i=1
  while [ "$_i" -le "$_n" ]; do eval "_a=\\\${HOOK_$_which$_i}"; set -- "$@" "$_a"; _i=$((_i + 1)); done
  mo_line hook start which "$_which" command "$*"
  mo_tool - "$@"
  if [ "$MO_RC" -ne 0 ]; then mo_line hook fail which "$_which" exit "$MO_RC"; return 1; fi
  mo_line hook ok which "$_which"
}
finish() {
  _c=$1; shift
  if ! run_hook POST "$POST_N"; then [ "$_c" -eq 0 ] && _c=2; fi
  mo_finish "$_c" "$@"
}
if ! run_hook PRE "$PRE_N"; then finish 1 reason pre-hook log "$MO_LOG"; fi

LEVEL=$KIND; RUNNING="$ARCHIVES/running.snar"; RMETA="$ARCHIVES/running.meta"; CHAIN_FULL=''
[ -f "$RMETA" ] && CHAIN_FULL=$(sed -n 's/^full=//p' "$RMETA")
if [ "$LEVEL" = incr ] && { [ -z "$CHAIN_FULL" ] || [ ! -f "$RUNNING" ] || [ ! -f "$ARCHIVES/$CHAIN_FULL.meta" ]; }; then
  mo_line archive info promoted full requested incr reason 'no chain yet'; LEVEL=full
fi
if [ -n "$TEST_STAMP" ]; then AST=$TEST_STAMP; else AST=$(date -u +%Y%m%dT%H%M%SZ); fi
while ls "$ARCHIVES" | grep -q "^$AST-"; do sleep 1; AST=$(date -u +%Y%m%dT%H%M%SZ); done
ID="$AST-$LEVEL"; [ "$LEVEL" = full ] && CHAIN_FULL=$ID
BASE=$(sed -n 's/^base=//p' "$RMETA" 2>/dev/null); [ "$LEVEL" = full ] && BASE=''

mo_line dump start file "$ARCHIVES/$ID.mailboxes.txt"
mo_tool "$ARCHIVES/.$ID.mailboxes.txt" "$TOOLS/ctl_mboxlist" -C "$CONF" -d
if [ "$MO_RC" -ne 0 ] || [ "$(head -c 1 "$ARCHIVES/.$ID.mailboxes.txt")" != '{' ]; then
  rm -f "$ARCHIVES/.$ID.mailboxes.txt"; mo_line dump fail exit "$MO_RC" meaning 'ctl_mboxlist -d failed: no mailboxes.db dump, no archive'
  finish 1 reason dump log "$MO_LOG"
fi
mv -f "$ARCHIVES/.$ID.mailboxes.txt" "$ARCHIVES/$ID.mailboxes.txt"
NBOX=$(grep -c '"mbtype": "[^"d]*"' "$ARCHIVES/$ID.mailboxes.txt" || true)
mo_line dump ok mailboxes "$NBOX" bytes "$(wc -c <"$ARCHIVES/$ID.mailboxes.txt" | tr -d ' ')"

SNAR="$MO_TMP/snar"; rm -f "$SNAR"
[ "$LEVEL" = incr ] && { cp "$RUNNING" "$SNAR" || finish 1 reason snar log "$MO_LOG"; }
set --
for p in $PARTS; do eval "_d=\\\${PART_$p}"; set -- "$@" "\${_d#/}"; done
set -- "$@" "\${CONFDIR#/}"
mo_line archive start id "$ID" level "$LEVEL" full "$CHAIN_FULL" base "$BASE"
TARF="$ARCHIVES/$ID.tar.gz"
if [ "$LEVEL" = full ]; then
  mo_tool - tar -C / --listed-incremental="$SNAR" --level=0 --no-anchored --exclude=cyrus.squat --exclude='cyrus.*.NEW' --exclude=stage. --exclude=sync. --exclude=socket --exclude='*.lock*' -czf "$TARF.part" -- "$@"
else
  mo_tool - tar -C / --listed-incremental="$SNAR" --no-anchored --exclude=cyrus.squat --exclude='cyrus.*.NEW' --exclude=stage. --exclude=sync. --exclude=socket --exclude='*.lock*' -czf "$TARF.part" -- "$@"
fi
trc=$MO_RC
if [ "$trc" -ne 0 ] && [ "$trc" -ne 1 ]; then rm -f "$TARF.part"; mo_line archive fail exit "$trc" meaning 'tar failed'; finish 1 reason tar log "$MO_LOG"; fi
[ "$trc" -eq 1 ] && mo_line archive warn exit 1 message 'tar: some files changed while being read'
mv -f "$TARF.part" "$TARF"; BYTES=$(wc -c <"$TARF" | tr -d ' ')
mo_line archive ok id "$ID" level "$LEVEL" bytes "$BYTES" path "$TARF"
mo_line verify start id "$ID"
if tar -tzf "$TARF" >"$MO_TMP/list" 2>"$MO_TMP/verify.err"; then VERIFIED=yes; N=$(grep -c '/[0-9][0-9]*\\.$' "$MO_TMP/list" || true); mo_line verify ok id "$ID" message_files "$N"
else VERIFIED=no; N=0; mo_relay <"$MO_TMP/verify.err"; mo_line verify fail id "$ID" reason 'tar -tzf failed'; fi
[ "$LEVEL" = full ] && cp "$SNAR" "$ARCHIVES/$ID.snar"
cp "$SNAR" "$RUNNING.tmp.$$" && mo_replace "$RUNNING.tmp.$$" "$RUNNING"
printf 'full=%s\nbase=%s\n' "$CHAIN_FULL" "$ID" >"$RMETA.tmp.$$" && mo_replace "$RMETA.tmp.$$" "$RMETA"
# The order retention goes by, and whether this full may make older chains go (backup/retention.ts).
SEQ=$(mo_next_seq) || { mo_line archive fail reason seq path "$ARCHIVES/.seq" meaning 'the archive sequence number could not be recorded'; finish 1 reason seq log "$MO_LOG"; }
ANCHOR=''; ANCHOR_REASON=''; PREV_ANCHOR=''; PREV_COUNT=''
[ "$LEVEL" = full ] && mo_anchor "$ID" "$N" "$VERIFIED"
{ printf 'id=%s\nlevel=%s\nfull=%s\nbase=%s\ncreated=%s\nserver=cyrus\nmailboxes=%s\nmessage_files=%s\nbytes=%s\nverified=%s\nconfigdirectory=%s\nseq=%s\nanchor=%s\nanchor_reason=%s\nanchor_count=%s\nprevious_anchor=%s\n' \
    "$ID" "$LEVEL" "$CHAIN_FULL" "$BASE" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$NBOX" "$N" "$BYTES" "$VERIFIED" "$CONFDIR" "$SEQ" "$ANCHOR" "$ANCHOR_REASON" "$N" "$PREV_ANCHOR"
  for p in $PARTS; do eval "_d=\\\${PART_$p} _n=\\\${PARTNAME_$p}"; printf 'partition-%s=%s\n' "$_n" "$_d"; done; } >"$ARCHIVES/.$ID.meta"
mo_replace "$ARCHIVES/.$ID.meta" "$ARCHIVES/$ID.meta"
mo_anchor_line "$ID" "$N"
retention
CODE=0; [ "$VERIFIED" = yes ] || CODE=2
REASON=''
# A full that is no retention anchor because its count dropped (an empty partition: an unmounted spool):
# kept, but the run fails (loudly).
case $ANCHOR_REASON in empty|drop) CODE=1; REASON=not-an-anchor ;; esac
finish "$CODE" reason "$REASON" archive_id "$ID" archive "$TARF" archive_bytes "$BYTES" level "$LEVEL" verified "$VERIFIED" mailboxes "$NBOX" seq "$SEQ" anchor "$ANCHOR" anchor_reason "$ANCHOR_REASON" log "$MO_LOG"
`;

/** Build the run's script (pure). Partition names must be simple words (they become variable names). */
export function buildCyrusBackupScript(ctx: HostContext, env: CyrusEnv, o: CyrusBackupOptions): BuiltScript {
  if (o.kind !== 'full' && o.kind !== 'incr') throw new UsageError(`unknown Cyrus backup kind "${String(o.kind)}"`, { hint: 'use full or incr' });
  for (const [k, v] of [['lockTimeout', o.lockTimeout], ['keep', o.keep]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 86400)) throw new UsageError(`${k} must be a whole number from 0 to 86400`);
  }
  checkAnchorOptions(o);
  const layout = cyrusLayout(ctx.config);
  checkBackupRoot(layout.root);
  if (!env.probe.configDirectory) throw new UsageError('the Cyrus configdirectory is unknown');
  const parts = Object.entries(env.probe.partitions);
  if (!parts.length) throw new UsageError('no partition-* paths in the Cyrus config', { hint: 'check imapd.conf (cyr_info conf-all)' });
  const b = new ScriptBuilder('mailops-cyrus-backup');
  b.param('DIR', layout.dir);
  b.param('ARCHIVES', layout.archives);
  b.param('LOGS', layout.logs);
  b.param('LOCK', layout.lock);
  b.param('KIND', o.kind);
  b.param('NOWAIT', o.noWait ? 'yes' : 'no');
  b.param('LOCK_TIMEOUT', String(o.lockTimeout ?? DEFAULT_LOCK_TIMEOUT));
  b.param('KEEP', String(o.keep ?? DEFAULT_KEEP));
  b.param('FORCE', o.force ? 'yes' : 'no');
  b.param('MAX_DROP', String(o.maxDropPercent ?? DEFAULT_MAX_DROP_PERCENT));
  b.param('TEST_STAMP', o.stampForTest ?? '');
  b.param('TOOLS', env.toolsDir);
  b.param('CONF', env.config);
  b.param('CONFDIR', env.probe.configDirectory);
  const names: string[] = [];
  parts.forEach(([name, path], i) => {
    const v = `P${i}`;
    names.push(v);
    b.param(`PART_${v}`, path);
    // The partition's own name (imapd.conf partition-NAME) for the archive's metadata; P0… are only variables.
    b.param(`PARTNAME_${v}`, name);
  });
  b.param('PARTS', names.join(' '));
  const hooks = ctx.config.hooks ?? {};
  for (const [which, list] of [['pre', hooks.preBackup ?? []], ['post', hooks.postBackup ?? []]] as const) {
    b.param(`${which.toUpperCase()}_N`, String(list.length));
    list.forEach((a, i) => b.param(`HOOK_${which.toUpperCase()}${i + 1}`, a));
  }
  b.add(RETENTION_FN);
  b.add(BODY);
  return b.build();
}

export interface CyrusBackupResult {
  ok: boolean;
  exitCode: number | null;
  skipped: boolean;
  kind: CyrusBackupKind;
  level: string | null;
  archiveId: string | null;
  archive: string | null;
  bytes: number | null;
  verified: boolean;
  mailboxes: number | null;
  log: string | null;
  warnings: string[];
  /** The archive's sequence number (the order retention goes by). */
  seq: number | null;
  /** For a full: whether it is a retention anchor (backup/retention.ts) and why not; null for an incr. */
  anchor: boolean | null;
  anchorReason: string | null;
  /** Why the run failed (exit 1), from its step lines. */
  failure: RunFailure | null;
  /** What retention did in this run: archive ids removed, newer full ids kept that are no retention anchors. */
  retention: { removed: string[]; kept: string[] };
  events: RunEvent[];
}

function retentionOf(events: readonly RunEvent[]): CyrusBackupResult['retention'] {
  const info = events.filter((e): e is Extract<RunEvent, { type: 'info' }> => e.type === 'info' && e.step === 'retention');
  return { removed: info.flatMap((e) => (e.fields.removed ? [e.fields.removed] : [])), kept: info.flatMap((e) => (e.fields.kept ? [e.fields.kept] : [])) };
}

/** Run a Cyrus backup on the host (as root or with privilege sudo: it reads the whole spool). */
export async function cyrusBackup(ctx: HostContext, opts: CyrusBackupOptions, hooks: RunHooks = {}): Promise<CyrusBackupResult> {
  const env = await cyrusEnv(ctx, hooks.signal);
  const built = buildCyrusBackupScript(ctx, env, opts);
  const r = await runScript(ctx, built, hooks, () => null);
  const result = r.events.find((e) => e.type === 'result') as Extract<RunEvent, { type: 'result' }> | undefined;
  if (!result) {
    throw new CommandFailedError('the Cyrus backup script did not run to its end', {
      host: ctx.config.name,
      command: shellLine(withPrivilege(['sh', '-c', '<cyrus backup script>', built.name, ...built.args], ctx.config.privilege)),
      exitCode: r.code,
      stderr: r.stderr,
      meaning: 'the script stopped before printing its result line',
      hint: 'read the lines above; the backup needs root (or privilege sudo) to read the spool',
    });
  }
  const f = result.fields;
  return {
    ok: result.ok,
    exitCode: r.code,
    skipped: f.skipped === 'yes',
    kind: opts.kind,
    level: f.level ?? null,
    archiveId: f.archive_id || null,
    archive: f.archive || null,
    bytes: f.archive_bytes ? Number(f.archive_bytes) : null,
    verified: f.verified === 'yes',
    mailboxes: f.mailboxes ? Number(f.mailboxes) : null,
    seq: f.seq ? Number(f.seq) : null,
    anchor: f.anchor === 'yes' ? true : f.anchor === 'no' ? false : null,
    anchorReason: f.anchor_reason || null,
    failure: r.code === 1 ? runFailure(r.events) : null,
    log: f.log ?? null,
    warnings: r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message),
    retention: retentionOf(r.events),
    events: r.events,
  };
}

// ---------------------------------------------------------------- catalogue

export interface CyrusArchivePoint {
  id: string;
  level: 'full' | 'incr';
  full: string;
  base: string;
  created: string;
  mailboxes: number;
  messageFiles: number;
  bytes: number;
  verified: boolean;
  /** Sequence number recorded when it was made (retention's order; 0 for archives from before). */
  seq: number;
  /** For a full: a retention anchor (backup/retention.ts). */
  anchor: boolean;
  anchorReason: string | null;
  path: string;
  configDirectory: string;
  partitions: Record<string, string>;
}

export interface CyrusArchiveChain {
  full: CyrusArchivePoint;
  points: CyrusArchivePoint[];
}

export function parseMeta(text: string, archivesDir: string): CyrusArchivePoint | null {
  const kv = new Map<string, string>();
  const partitions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    if (k.startsWith('partition-')) partitions[k.slice('partition-'.length)] = line.slice(i + 1);
    else kv.set(k, line.slice(i + 1));
  }
  const id = kv.get('id');
  if (!id || kv.get('server') !== 'cyrus') return null;
  return {
    id,
    level: kv.get('level') === 'incr' ? 'incr' : 'full',
    full: kv.get('full') ?? id,
    base: kv.get('base') ?? '',
    created: kv.get('created') ?? '',
    mailboxes: Number(kv.get('mailboxes') ?? 0),
    messageFiles: Number(kv.get('message_files') ?? 0),
    bytes: Number(kv.get('bytes') ?? 0),
    verified: kv.get('verified') === 'yes',
    seq: Number(kv.get('seq')) || 0,
    anchor: kv.get('verified') === 'yes' && kv.get('anchor') !== 'no',
    anchorReason: kv.get('anchor_reason') || (kv.get('verified') === 'yes' ? null : 'unverified'),
    path: `${archivesDir}/${id}.tar.gz`,
    configDirectory: kv.get('configdirectory') ?? '',
    partitions,
  };
}

const META_SCRIPT = 'cd "$1" 2>/dev/null || exit 0; for f in *.meta; do [ -f "$f" ] || continue; printf "==> %s\\n" "$f"; cat -- "$f"; done';

/** The archive chains on the host, oldest first. */
export async function listCyrusArchives(ctx: HostContext, signal?: AbortSignal): Promise<CyrusArchiveChain[]> {
  const layout = cyrusLayout(ctx.config);
  const r = await ctx.transport.run(withPrivilege(['sh', '-c', META_SCRIPT, 'mailops-cyrus-catalogue', layout.archives], ctx.config.privilege), { signal });
  const points: CyrusArchivePoint[] = [];
  for (const part of r.stdout.split(/^==> /m).slice(1)) {
    const p = parseMeta(part.slice(part.indexOf('\n') + 1), layout.archives);
    if (p) points.push(p);
  }
  // Oldest first by the recorded sequence (a clock set back does not reorder), then by id.
  points.sort((a, b) => a.seq - b.seq || a.id.localeCompare(b.id));
  const chains = new Map<string, CyrusArchiveChain>();
  for (const p of points) {
    if (p.level === 'full') chains.set(p.id, { full: p, points: [p] });
    else chains.get(p.full)?.points.push(p);
  }
  return [...chains.values()];
}

/** The archives to extract, in order, to reach `archiveId`: its full, then every incr up to it. */
export function chainTo(chains: CyrusArchiveChain[], archiveId: string): CyrusArchivePoint[] {
  for (const c of chains) {
    const i = c.points.findIndex((p) => p.id === archiveId);
    if (i >= 0) return c.points.slice(0, i + 1);
  }
  throw new UsageError(`no Cyrus archive "${archiveId}"`, { hint: 'mailops cyrus-backups lists them' });
}
