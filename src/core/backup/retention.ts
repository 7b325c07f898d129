/**
 * Retention of archive chains (generic: every backup whose archives/ folder holds `<UTC stamp>-<level>`
 * archives with a `<id>.meta` file carrying `full=<id of the chain's full>`, `verified=yes|no`, and since
 * issue 11 `seq=N` and `anchor=yes|no`, as the Dovecot and the Cyrus backups write them).
 *
 * Order: by the sequence number each archive records when it is made (`seq=`, one more than any before it
 * in that folder, kept in archives/.seq), never by the time in its name: a clock set back must not make
 * the newest full look like the oldest. Archives from before sequence numbers (no `seq=`) count as older
 * than every numbered one, and among themselves go by name.
 *
 * Anchors: a full is a retention anchor when it is verified AND its message count did not drop sharply
 * against the previous anchor (anchor=no, written by the backup: a drop to zero always, or by more than
 * MAX_DROP percent; an unmounted mail volume makes "verified" empty fulls, 0 = 0). Only anchors count.
 *
 * The rule: keep the newest KEEP anchor fulls and every full newer than the oldest of them (non-anchor
 * fulls are kept but not counted, and the run log says why); every chain older than the KEEP-th anchor
 * goes (KEEP 0 keeps everything). So two empty fulls never push out the last real chain, and a chain goes
 * only when KEEP anchors newer than it exist. A chain goes whole: the full and every point whose meta
 * names it (`full=<id>`), all files `<id>.*` (tar.gz, snar, folders, mailboxes.txt…), the meta last, so a
 * run stopped half-way is finished by the next.
 *
 * Retention deletes, so it runs only under the account's (or the host's) lock held exclusive: readers of a
 * chain (a restore, an extraction) hold the same lock shared (backup/lock.ts).
 *
 * RETENTION_FN is constant shell code for the backup scripts (see script.ts): it defines `retention`
 * (reads $ARCHIVES and $KEEP), `mo_next_seq` (reads $ARCHIVES) and `mo_anchor` (reads $ARCHIVES, $FORCE,
 * $MAX_DROP), and writes `retention` step lines (runlog.ts). planRetention is the same rule in TypeScript,
 * for previews and for testing the shell against it.
 */
import { sh } from './script';

export const RETENTION_FN = sh`
# The next archive sequence number: one more than any recorded in archives/.seq or a meta; recorded at once.
mo_next_seq() {
  _q=$( { cat "$ARCHIVES/.seq" 2>/dev/null; for _m in "$ARCHIVES"/*.meta; do [ -f "$_m" ] && sed -n 's/^seq=//p' "$_m"; done; } | grep -x '[0-9][0-9]*' | sort -n | tail -n 1)
  _q=$(( \${_q:-0} + 1 ))
  printf '%s\\n' "$_q" >"$ARCHIVES/.seq.tmp.$$" && mo_replace "$ARCHIVES/.seq.tmp.$$" "$ARCHIVES/.seq" || return 1
  printf '%s' "$_q"
}
mo_is_anchor() { grep -qsx 'verified=yes' "$1" && ! grep -qsx 'anchor=no' "$1"; }
# "SEQ ID" of every full archive, newest first (no seq: 0, older than all numbered ones).
mo_fulls() {
  ls "$ARCHIVES" 2>/dev/null | sed -n 's/^\\([0-9]\\{8\\}T[0-9]\\{6\\}Z-full\\)\\.meta$/\\1/p' | while IFS= read -r _ff; do
    _fs=$(sed -n 's/^seq=//p' "$ARCHIVES/$_ff.meta" 2>/dev/null | head -n 1)
    case $_fs in ''|*[!0-9]*) _fs=0 ;; esac
    printf '%s %s\\n' "$_fs" "$_ff"
  done | sort -k1,1nr -k2,2r
}
# mo_anchor ID COUNT VERIFIED: is the full ID (holding COUNT messages) a retention anchor? Sets ANCHOR
# (yes|no), ANCHOR_REASON (unverified, empty, drop, forced or ''), PREV_ANCHOR and PREV_COUNT (the newest
# earlier anchor and its count, '' when none).
mo_anchor() {
  ANCHOR=yes; ANCHOR_REASON=''; PREV_ANCHOR=''; PREV_COUNT=''
  mo_fulls >"$MO_TMP/anchor.fulls"
  while read -r _as _ai; do
    [ "$_ai" = "$1" ] && continue
    mo_is_anchor "$ARCHIVES/$_ai.meta" || continue
    PREV_ANCHOR=$_ai
    PREV_COUNT=$( { sed -n 's/^anchor_count=//p' "$ARCHIVES/$_ai.meta"; sed -n 's/^messages=//p; s/^message_files=//p' "$ARCHIVES/$_ai.meta"; } | grep -x '[0-9][0-9]*' | head -n 1)
    break
  done <"$MO_TMP/anchor.fulls"
  if [ "$3" != yes ]; then ANCHOR=no; ANCHOR_REASON=unverified; return 0; fi
  [ -n "$PREV_COUNT" ] || return 0
  if [ "$2" -eq 0 ] && [ "$PREV_COUNT" -gt 0 ]; then ANCHOR=no; ANCHOR_REASON=empty
  elif [ $(( $2 * 100 )) -lt $(( PREV_COUNT * (100 - MAX_DROP) )) ]; then ANCHOR=no; ANCHOR_REASON=drop
  fi
  if [ "$ANCHOR" = no ] && [ "$FORCE" = yes ]; then ANCHOR=yes; ANCHOR_REASON=forced; fi
  return 0
}
# The run-log line for mo_anchor's decision on the full $1 holding $2 messages (nothing for other levels).
mo_anchor_line() {
  case $ANCHOR_REASON in
    '') if [ "$ANCHOR" = yes ]; then mo_line anchor ok id "$1" messages "$2" previous "$PREV_ANCHOR" previous_messages "$PREV_COUNT"; fi ;;
    unverified) mo_line anchor info id "$1" anchor no reason unverified meaning 'an unverified full is no retention anchor: it makes no older chain go' ;;
    forced) mo_line anchor warn id "$1" messages "$2" previous "$PREV_ANCHOR" previous_messages "$PREV_COUNT" forced yes meaning 'the message count dropped sharply; taken as a retention anchor because the run was forced' ;;
    empty) mo_line anchor fail id "$1" messages 0 previous "$PREV_ANCHOR" previous_messages "$PREV_COUNT" reason empty meaning "this full holds no messages, the last anchor $PREV_ANCHOR held $PREV_COUNT: is the mail volume mounted? The archive is kept but is no retention anchor, so no older chain goes because of it" hint 'check that the mail storage is mounted; if the mail was really removed, run the backup again with --force' ;;
    drop) mo_line anchor fail id "$1" messages "$2" previous "$PREV_ANCHOR" previous_messages "$PREV_COUNT" reason drop max_drop "$MAX_DROP" meaning "this full holds $2 messages, the last anchor $PREV_ANCHOR held $PREV_COUNT (a drop of more than $MAX_DROP%): the archive is kept but is no retention anchor, so no older chain goes because of it" hint 'check that the mail storage is mounted and complete; if the mail was really removed, run the backup again with --force' ;;
  esac
  return 0
}
retention() {
  [ "$KEEP" -gt 0 ] || { mo_line retention skip reason keep-all; return 0; }
  mo_line retention start keep "$KEEP"
  _ra=0; _rremoved=0
  mo_fulls >"$MO_TMP/retention.fulls"
  while read -r _rs _rf; do
    if [ "$_ra" -ge "$KEEP" ]; then
      for _rm in "$ARCHIVES"/*.meta; do
        [ -f "$_rm" ] || continue
        if grep -qsx "full=$_rf" "$_rm"; then
          _rid=$(basename "$_rm" .meta)
          for _rx in "$ARCHIVES/$_rid".*; do [ "$_rx" = "$_rm" ] || rm -f -- "$_rx"; done
          rm -f -- "$_rm"
          _rremoved=$((_rremoved + 1)); mo_line retention info removed "$_rid" chain "$_rf"
        fi
      done
    elif mo_is_anchor "$ARCHIVES/$_rf.meta"; then
      _ra=$((_ra + 1))
    else
      _rwhy=$(sed -n 's/^anchor_reason=//p' "$ARCHIVES/$_rf.meta" | head -n 1)
      grep -qsx 'verified=yes' "$ARCHIVES/$_rf.meta" || _rwhy=unverified
      mo_line retention info kept "$_rf" reason "not a retention anchor (\${_rwhy:-unknown}): it does not count towards keep and makes no older chain go"
    fi
  done <"$MO_TMP/retention.fulls"
  mo_line retention ok removed "$_rremoved" anchors "$_ra"
}
`;

export interface RetentionFull {
  /** Id of a full archive: `<UTC stamp>-full`. */
  id: string;
  verified: boolean;
  /** The recorded sequence number (`seq=`); absent for archives made before sequence numbers. */
  seq?: number;
  /** False when the backup marked it `anchor=no` (its message count dropped sharply). Default true. */
  anchor?: boolean;
}

export interface RetentionPlan {
  /** Full ids whose chains go. */
  remove: string[];
  /** Full ids newer than the KEEP-th anchor that are not anchors themselves (kept, not counted). */
  keptNotAnchor: string[];
}

/** Newest first: by recorded sequence (none = 0, the oldest), then by id. */
export function retentionOrder(fulls: readonly RetentionFull[]): RetentionFull[] {
  return [...fulls].sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0) || b.id.localeCompare(a.id));
}

/** Which chains a run with this KEEP removes (pure; the same rule as RETENTION_FN). */
export function planRetention(fulls: readonly RetentionFull[], keep: number): RetentionPlan {
  const plan: RetentionPlan = { remove: [], keptNotAnchor: [] };
  if (keep <= 0) return plan;
  let anchors = 0;
  for (const f of retentionOrder(fulls)) {
    if (anchors >= keep) plan.remove.push(f.id);
    else if (f.verified && f.anchor !== false) anchors++;
    else plan.keptNotAnchor.push(f.id);
  }
  return plan;
}
