/**
 * Dovecot backups: one POSIX sh script per run (built with backup/script.ts from constant code; every value
 * a positional argument), run over the host's transport with its output streamed, or installed as a schedule.
 *
 * A run, under the account's flock (layout.lock; wait with a timeout, or skip with noWait):
 *   1. mirror (kinds mirror/full/diff/incr unless live): `doveadm backup -u ACCOUNT -s STATE maildir:MIRROR`
 *      with the live LAYOUT. The state is replaced atomically (temp file in the same folder, fsync, rename)
 *      only after exit 0 or 2. Exit 2: retried up to `retries` times. Exit 75 after "Incremental sync failed"
 *      (the index log rotated past the saved modseq; Dovecot 2.3.19 exits 75 there and a retry with the same
 *      state fails forever): retried once with an empty state (a full comparison). Exit 65 after a UIDVALIDITY
 *      change: stops, state kept, `fresh` makes a new mirror.<stamp>/ and switches the `mirror` symlink;
 *      the old mirror and its state are kept beside it. Any other code: state kept byte-identical.
 *   2. archive (full/diff/incr): GNU tar --listed-incremental of the mirror (or, with live, of the live
 *      maildir while its dovecot-uidlist.lock files are held), leaving out tmp/ and dovecot-uidlist.lock;
 *      verified with tar -tzf and, for a full, the count of message files; then retention (RETENTION_FN of
 *      backup/retention.ts, shared with the Cyrus backup).
 * Script exit codes: 0 done and in sync, 2 done but not fully in sync / unverified, 1 failed, 3 skipped.
 */
import type { HostConfig } from '../hosts/model';
import { withPrivilege } from '../hosts/model';
import type { HostContext } from '../hosts/context';
import { checkBackupRoot, dovecotLayout, type BackupLayout } from '../backup/layout';
import { ScriptBuilder, sh, type BuiltScript } from '../backup/script';
import { RETENTION_FN } from '../backup/retention';
import { RunLogParser, runFailure, type RunEvent, type RunFailure } from '../backup/runlog';
import { readLines } from '../util/lines';
import { UsageError, CommandFailedError } from '../errors';
import { shellLine } from '../transport/quote';
import { BACKUP_FORMS_SH, DIALECT_SH, MAILDIRLOCK_PATH } from './dialect';
import { SET_MARKER } from './setProof';
import { classifyDsyncLine, explainBackupExit, type DsyncWarning, type BackupOutcome } from './warnings';
import { checkAccountName } from '../names';

export type BackupKind = 'mirror' | 'full' | 'diff' | 'incr';
export const BACKUP_KINDS: readonly BackupKind[] = ['mirror', 'full', 'diff', 'incr'];

export interface BackupOptions {
  kind: BackupKind;
  /** Archive the live maildir (under its locks) instead of the mirror; no mirror step. */
  live?: boolean;
  /** Make a fresh full mirror into a new folder and switch to it (after a UIDVALIDITY change). */
  fresh?: boolean;
  /** Skip (exit 3) instead of waiting when another run holds the account's lock. */
  noWait?: boolean;
  /** Seconds to wait for the lock (default 300). */
  lockTimeout?: number;
  /** Keep the newest N full chains (default 2; 0 keeps everything). */
  keep?: number;
  /** Retries after exit 2 / a failed incremental sync (default 3). */
  retries?: number;
  /** Seconds maildirlock may wait for each live folder lock (default 30). */
  liveLockTimeout?: number;
  /**
   * Accept that the account's mail dropped: mirror an empty account over a non-empty mirror, and take a
   * full whose message count dropped sharply as a retention anchor (CLI --force). Default off: such a run
   * is refused (mirror) or fails with its full kept but not an anchor.
   */
  force?: boolean;
  /**
   * A full holding fewer than (100 - this) percent of the messages of the previous anchor full is not a
   * retention anchor (default 50; 100 checks only the drop to zero, which is always caught).
   */
  maxDropPercent?: number;
  /**
   * Fault injection for tests: the UTC stamp (YYYYMMDDTHHMMSSZ) to name the archive with, as a host whose
   * clock was set back would. Never set in production code.
   */
  stampForTest?: string;
  /**
   * For tests: the longest dsync state passed to doveadm as one argument (default STATE_ARG_MAX). Never
   * set in production code.
   */
  stateArgMaxForTest?: number;
}

export const DEFAULT_LOCK_TIMEOUT = 300;
export const DEFAULT_KEEP = 2;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_MAX_DROP_PERCENT = 50;
/**
 * doveadm takes the dsync state only as the argument of -s, and Linux refuses any single argument of
 * 128 KiB or more (MAX_ARG_STRLEN, 32 pages): at about 2,230 mailboxes the state no longer fits and every
 * stateful run would fail ("Argument list too long"). A longer state is cut down on the host to the
 * mailboxes with the most messages (dsync compares the others in full, which is correct and cheap for small
 * ones): see mo_fit_state.
 */
export const STATE_ARG_MAX = 131_000;
export const SCRIPT_EXIT = { ok: 0, failed: 1, warnings: 2, skipped: 3 } as const;

function checkOptions(layout: BackupLayout, o: BackupOptions): void {
  checkBackupRoot(layout.root);
  if (!BACKUP_KINDS.includes(o.kind)) throw new UsageError(`unknown backup kind "${o.kind}"`, { hint: 'use mirror, full, diff or incr' });
  if (o.live && o.kind === 'mirror') throw new UsageError('--live archives the live maildir: use it with --kind full, diff or incr');
  if (o.live && o.fresh) throw new UsageError('--fresh makes a new mirror; --live does not use the mirror');
  if (layout.dir.includes(':')) throw new UsageError(`the backup folder ${layout.dir} contains ":", which doveadm locations cannot hold`, { hint: 'choose a backupRoot without ":"' });
  for (const [k, v] of [['lockTimeout', o.lockTimeout], ['keep', o.keep], ['retries', o.retries], ['liveLockTimeout', o.liveLockTimeout]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 86400)) throw new UsageError(`${k} must be a whole number from 0 to 86400`);
  }
  checkAnchorOptions(o);
  if (o.stateArgMaxForTest !== undefined && (!Number.isInteger(o.stateArgMaxForTest) || o.stateArgMaxForTest < 100)) throw new UsageError('stateArgMaxForTest must be a whole number of at least 100');
}

/** The options every archive backup (Dovecot and Cyrus) shares for retention anchors. */
export function checkAnchorOptions(o: { maxDropPercent?: number; stampForTest?: string }): void {
  if (o.maxDropPercent !== undefined && (!Number.isInteger(o.maxDropPercent) || o.maxDropPercent < 0 || o.maxDropPercent > 100)) {
    throw new UsageError('maxDropPercent must be a whole number from 0 to 100');
  }
  if (o.stampForTest !== undefined && !/^\d{8}T\d{6}Z$/.test(o.stampForTest)) throw new UsageError('stampForTest must look like 20200101T000000Z');
}

/** The body: constant code. Reads only the variables declared in buildDovecotBackupScript. */
const BODY = sh`
mo_dove() { if [ -n "$DC" ]; then doveadm -c "$DC" "$@"; else doveadm "$@"; fi; }
mo_doveconf() { if [ -n "$DC" ]; then doveconf -c "$DC" "$@"; else doveconf "$@"; fi; }
count_msgs() { grep -c '/\\(cur\\|new\\)/[^/][^/]*$' || true; }
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# Print the id of the set marker in folder $1, writing one (kind $2) first when there is none.
mo_set_marker() {
  if [ -f "$1/$MARKER" ]; then sed -n 's/^id=//p' "$1/$MARKER" | head -n 1; return 0; fi
  _id=$(od -An -N8 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
  [ -n "$_id" ] || return 1
  if { printf 'mailops-set 1\n'; printf 'kind=%s\naccount=%s\nid=%s\ndialect=%s\ncreated=%s\n' "$2" "$(mo_enc "$ACCOUNT")" "$_id" "$DIALECT" "$(mo_now)"; } >"$1/$MARKER.tmp.$$" && mv -f "$1/$MARKER.tmp.$$" "$1/$MARKER"; then
    printf '%s' "$_id"; return 0
  fi
  rm -f "$1/$MARKER.tmp.$$"; return 1
}
STATE_REPLACED=no; IN_SYNC=''; RETRIED=0; DSYNC_EXIT=''; OLD_MIRROR=''; ARCHIVE_ID=''; ARCHIVE_PATH=''; ARCHIVE_BYTES=''; VERIFIED=''; LEVEL=''; SETID=''
FAIL_REASON=''; ANCHOR=''; ANCHOR_REASON=''; SEQ=''
# mo_fit_state STATE MAX: a dsync state of at most MAX characters holding the records of the mailboxes
# with the most messages (the layout is in dovecot/state.ts; its CRC32 is gzip's, the same polynomial).
# Writes "KEPT ALL" to $MO_TMP/fit.info.
mo_fit_state() {
  printf '%s' "$1" | base64 -d >"$MO_TMP/fit.bin" 2>/dev/null || return 1
  _fz=$(wc -c <"$MO_TMP/fit.bin" | tr -d ' ')
  [ "$_fz" -ge 8 ] && [ $(( (_fz - 8) % 44 )) -eq 0 ] || return 1
  [ "$(od -An -tx1 -N1 "$MO_TMP/fit.bin" | tr -d ' ')" = 01 ] || return 1
  _fall=$(( (_fz - 8) / 44 )); _fkeep=$(( ($2 / 4 * 3 - 8) / 44 ))
  [ "$_fkeep" -gt 0 ] && [ "$_fkeep" -lt "$_fall" ] || return 1
  head -c 4 "$MO_TMP/fit.bin" >"$MO_TMP/fit.new" || return 1
  od -An -v -tx1 -w44 -j4 -N $(( _fall * 44 )) "$MO_TMP/fit.bin" | awk '
    function h(x) { return index("0123456789abcdef", substr(x, 1, 1)) * 16 + index("0123456789abcdef", substr(x, 2, 1)) - 17 }
    NF == 44 { printf "%d ", ((h($44) * 256 + h($43)) * 256 + h($42)) * 256 + h($41); for (i = 1; i <= 44; i++) printf "\\\\0%03o", h($i); printf "\\n" }' |
    sort -k1,1nr | head -n "$_fkeep" | cut -d' ' -f2 | while IFS= read -r _fl; do printf '%b' "$_fl"; done >>"$MO_TMP/fit.new"
  [ "$(wc -c <"$MO_TMP/fit.new" | tr -d ' ')" -eq $(( 4 + _fkeep * 44 )) ] || return 1
  gzip -c <"$MO_TMP/fit.new" | tail -c 8 | head -c 4 >"$MO_TMP/fit.crc" && cat "$MO_TMP/fit.crc" >>"$MO_TMP/fit.new" || return 1
  printf '%s %s\n' "$_fkeep" "$_fall" >"$MO_TMP/fit.info"
  base64 -w 0 <"$MO_TMP/fit.new"
}
# An empty account over a non-empty mirror (an unmounted mail volume: Dovecot makes a new, empty INBOX)
# would empty the mirror, and every archive made from it afterwards: refused unless forced.
mirror_guard() {
  MN=$( (cd "$1/" 2>/dev/null && find . -type f) | count_msgs)
  [ "$MN" -gt 0 ] || return 0
  LN=$(mo_dove -f flow mailbox status -u "$ACCOUNT" -t messages '*' 2>"$MO_TMP/count.err" | sed -n 's/^messages=\\([0-9][0-9]*\\)$/\\1/p' | head -n 1)
  if [ -z "$LN" ]; then
    mo_relay <"$MO_TMP/count.err"; FAIL_REASON=count
    mo_line mirror fail reason count meaning 'doveadm mailbox status did not give the number of messages of the account: without it Mailops cannot tell whether this run would empty the mirror'
    return 1
  fi
  [ "$LN" -eq 0 ] || return 0
  if [ "$FORCE" = yes ]; then
    mo_line mirror warn reason source-empty messages 0 mirror_messages "$MN" forced yes meaning 'the account has no messages and the mirror has some: mirroring it empties the mirror (forced)'
    return 0
  fi
  FAIL_REASON=source-empty
  mo_line mirror fail reason source-empty messages 0 mirror_messages "$MN" meaning "the account has no messages but its mirror has $MN: mirroring it would empty the mirror (is the mail volume mounted?); nothing was changed" hint 'check that the mail storage is mounted and Dovecot sees the mail; if the account was really emptied, run the backup again with --force'
  return 1
}

umask 066
# The backup folder: every component checked (owner, mode, no symlink) and missing ones made owner-only
# (script.ts mo_safe_dir); 0711 for the account's folder: the mail user must reach the mirror in it.
if ! mo_safe_dir "$DIR" 0711; then mo_finish 1 reason path path "$DIR"; fi
chmod 0711 "$DIR" 2>/dev/null
for p in "$(dirname -- "$DIR")" "$(dirname -- "$(dirname -- "$DIR")")"; do
  if [ -d "$p" ] && [ -O "$p" ] && [ "$(find "$p" -maxdepth 0 -perm -0001 2>/dev/null)" != "$p" ]; then
    chmod o+x,g+x "$p" && mo_line run info traversable "$p" meaning 'the mail user must reach the mirror: search (x) permission added'
  fi
done
umask 077
mkdir -p "$ARCHIVES" "$LOGS" 2>/dev/null || { mo_line run fail reason mkdir path "$DIR"; mo_finish 1 reason mkdir; }
ST=$(date -u +%Y%m%dT%H%M%SZ)
MO_LOG="$LOGS/$ST-$KIND.log"
if ! ( set -C; : >"$MO_LOG" ) 2>/dev/null; then MO_LOG="$LOGS/$ST-$KIND-$$.log"; : >>"$MO_LOG"; fi
mo_line run start kind "$KIND" account "$ACCOUNT" live "$LIVE" fresh "$FRESH" log "$MO_LOG" host "$(uname -n)" pid "$$"
mo_lock "$LOCK" "$LOCK_TIMEOUT" "$NOWAIT"
case $? in 0) ;; 2) mo_finish 3 skipped yes log "$MO_LOG" ;; *) mo_finish 1 reason lock log "$MO_LOG" ;; esac
ST=$(date -u +%Y%m%dT%H%M%SZ)

mo_line account start account "$ACCOUNT"
# The host's Dovecot dialect, found here (not when the script was built) so that an installed schedule
# follows an upgrade; its forms (mo_discover, mirror_loc, mirror_backup) come from dovecot/dialect.ts.
# (doveconf -h prints nothing for dovecot_config_version, even on 2.4: read it from the -N dump.)
DOVE_CONF=$(mo_doveconf -N 2>/dev/null) || DOVE_CONF=''
DOVE_CONF_N=$(printf '%s\n' "$DOVE_CONF" | head -n 1)
DOVE_CONF_VERSION=$(printf '%s\n' "$DOVE_CONF" | sed -n 's/^dovecot_config_version = //p' | head -n 1)
if ! mo_dialect || ! mo_use_dialect; then
  mo_line account fail reason dialect meaning "cannot tell which Dovecot configuration dialect the host uses: $DIALECT_WHY" hint 'run doveconf -n on the host (its first line names the version) and fix the error it shows'
  mo_finish 1 reason dialect log "$MO_LOG"
fi
UIDN=$(mo_dove user -f uid "$ACCOUNT" 2>"$MO_TMP/user.err"); rc=$?
if [ "$rc" -ne 0 ] || [ -z "$UIDN" ]; then
  printf '%s\n' "$UIDN" | mo_relay; mo_relay <"$MO_TMP/user.err"
  mo_line account fail exit "$rc" meaning 'doveadm user did not find the account (67: no such user; 75/134: is the Dovecot master running?)'
  mo_finish 1 reason account exit_doveadm "$rc" log "$MO_LOG"
fi
GIDN=$(mo_dove user -f gid "$ACCOUNT" 2>/dev/null) || GIDN=''
mo_discover
mo_line account ok uid "$UIDN" gid "$GIDN" dialect "$DIALECT" version "$DOVECOT_VERSION" "$MAILDESC_KEY" "$MAILDESC" layout "\${LAYOUTP:-default}"

mirror_sync() {
  MT=''; [ -L "$MIRROR" ] && MT=$(readlink "$MIRROR")
  NEWTARGET=''; ST_IN=''
  if [ "$FRESH" = yes ] || [ ! -e "$MIRROR" ]; then
    NEWTARGET="mirror.$ST"
    if ! mkdir "$DIR/$NEWTARGET"; then mo_line mirror fail reason mkdir path "$DIR/$NEWTARGET"; return 1; fi
    chown "$UIDN:$GIDN" "$DIR/$NEWTARGET" 2>/dev/null || true
    DEST="$DIR/$NEWTARGET"; OUTSTATE="$DIR/.$NEWTARGET.state.new"
    if [ "$FRESH" = yes ]; then why=fresh; else why=first-run; fi
    mo_line mirror info new "$DEST" reason "$why"
  else
    DEST=$MIRROR; OUTSTATE=$STATE
    [ -f "$STATE" ] && ST_IN=$(head -n 1 "$STATE")
  fi
  LOC=$(mirror_loc "$DEST")
  if [ -z "$NEWTARGET" ]; then mirror_guard "$DEST" || return 1; fi
  attempt=0; mode=incremental; NOSTATE=no; [ -n "$ST_IN" ] || mode=full
  while :; do
    attempt=$((attempt + 1))
    mo_line dsync start attempt "$attempt" mode "$mode" location "$LOC"
    TMPST="$DIR/.state.tmp.$$"; rm -f "$TMPST"
    mo_defer_rm "$TMPST"; mo_defer_rm "$TMPST.1"
    ST_ARG=$ST_IN
    if [ "\${#ST_IN}" -gt "$STATE_ARG_MAX" ]; then
      if ST_ARG=$(mo_fit_state "$ST_IN" "$STATE_ARG_MAX") && [ -n "$ST_ARG" ] && [ "\${#ST_ARG}" -le "$STATE_ARG_MAX" ]; then
        read -r _fk _fa <"$MO_TMP/fit.info"
        mo_line dsync info reason state-trimmed chars "\${#ST_IN}" sent "\${#ST_ARG}" mailboxes "$_fa" kept "$_fk" meaning 'the dsync state is too long for one argument (doveadm takes it only on its command line): the mailboxes with the most messages keep their state, dsync compares the others in full'
      else
        ST_ARG=''
        mo_line dsync warn reason state-too-long chars "\${#ST_IN}" meaning 'the dsync state is too long for one argument and could not be cut down: this run compares every mailbox in full (slower, nothing is lost)'
      fi
    fi
    mo_tool "$TMPST" mirror_backup "$ST_ARG" "$DEST"
    rc=$MO_RC; DSYNC_EXIT=$rc
    case $rc in
      0|2)
        if [ -s "$TMPST" ] && head -n 1 "$TMPST" | grep -Eq '^[A-Za-z0-9+/]+=*$'; then
          head -n 1 "$TMPST" >"$TMPST.1"; rm -f "$TMPST"
          if ! mo_replace "$TMPST.1" "$OUTSTATE"; then rm -f "$TMPST.1"; mo_line state fail reason rename path "$OUTSTATE"; return 1; fi
          STATE_REPLACED=yes; ST_IN=$(head -n 1 "$OUTSTATE")
          mo_line state ok replaced yes path "$OUTSTATE" bytes "$(wc -c <"$OUTSTATE" | tr -d ' ')"
        else
          rm -f "$TMPST"; mo_line state warn replaced no message 'doveadm printed no state; the old one is kept'
          [ "$rc" -eq 2 ] && NOSTATE=yes
        fi
        if [ "$rc" -eq 0 ]; then IN_SYNC=yes; mo_line dsync ok exit 0 attempt "$attempt" retries "$RETRIED"; break; fi
        if [ "$RETRIED" -lt "$RETRIES" ]; then
          RETRIED=$((RETRIED + 1)); mode=incremental
          if [ "$NOSTATE" = yes ]; then ST_IN=''; mode=full; NOSTATE=no; fi
          mo_line dsync retry attempt "$((attempt + 1))" exit 2 reason not-in-sync mode "$mode" meaning 'dsync finished but is not fully in sync; running again (with an empty state when it printed none)'
          continue
        fi
        IN_SYNC=no
        mo_line dsync warn exit 2 retries "$RETRIED" message 'still not fully in sync after the retry limit; the next run normally converges'
        break ;;
      75)
        rm -f "$TMPST"
        if [ -n "$ST_IN" ] && grep -Eq 'Incremental sync failed|Failed to do incremental sync' "$MO_LASTOUT" && [ "$RETRIED" -lt "$RETRIES" ]; then
          RETRIED=$((RETRIED + 1)); ST_IN=''; mode=full
          mo_line dsync retry attempt "$((attempt + 1))" exit 75 reason incremental-sync-failed mode full meaning 'the index log rotated past the saved state; running again with an empty state (full comparison)'
          continue
        fi
        mo_line dsync fail exit 75 state kept meaning 'temporary failure (destination not writable, lock held, Dovecot not running): the saved state is kept unchanged'
        return 1 ;;
      65)
        rm -f "$TMPST"
        if grep -Eq "can't be deleted|UIDVALIDITY|uidvalidity" "$MO_LASTOUT"; then
          mo_line dsync fail exit 65 reason uidvalidity-changed state kept meaning 'a source mailbox changed UIDVALIDITY since the saved state' hint 'mailops backup ACCOUNT --fresh (a new mirror folder; the old one is kept)'
        else
          mo_line dsync fail exit 65 state kept meaning 'data error'
        fi
        return 1 ;;
      *)
        rm -f "$TMPST"; mo_line dsync fail exit "$rc" state kept; return 1 ;;
    esac
  done
  # The set marker (setProof.ts): written once per mirror folder, before a new one becomes the mirror.
  if SETID=$(mo_set_marker "$DEST" mirror) && [ -n "$SETID" ]; then mo_line mirror info set_id "$SETID" marker "$DEST/$MARKER"
  else SETID=''; mo_line mirror warn reason marker path "$DEST/$MARKER" meaning 'the set marker could not be written: reads of this mirror are checked by path only'; fi
  if [ -n "$NEWTARGET" ]; then
    if [ "$STATE_REPLACED" != yes ]; then mo_line mirror fail reason no-state path "$DEST"; return 1; fi
    if [ -L "$MIRROR" ]; then
      OLD_MIRROR="$DIR/$MT"; [ -f "$STATE" ] && mv -f "$STATE" "$DIR/$MT.state"
    elif [ -e "$MIRROR" ]; then
      OLD_MIRROR="$DIR/mirror.prev-$ST"; mv "$MIRROR" "$OLD_MIRROR" || { mo_line mirror fail reason rename path "$MIRROR"; return 1; }
      [ -f "$STATE" ] && mv -f "$STATE" "$OLD_MIRROR.state"
    fi
    mv -f "$OUTSTATE" "$STATE"
    rm -f "$DIR/.mirror.link.$$"; ln -s "$NEWTARGET" "$DIR/.mirror.link.$$"
    mv -T -f "$DIR/.mirror.link.$$" "$MIRROR" 2>/dev/null || { rm -f "$MIRROR"; mv -f "$DIR/.mirror.link.$$" "$MIRROR"; }
    if [ -n "$OLD_MIRROR" ]; then
      mo_line mirror ok switched "$NEWTARGET" old "$OLD_MIRROR" meaning 'the old mirror and its state are kept; remove them yourself when no longer needed'
    else
      mo_line mirror ok switched "$NEWTARGET"
    fi
  fi
  printf '%s\n' "$(mirror_loc "$MIRROR")" >"$LOCATION_FILE.tmp.$$" && mo_replace "$LOCATION_FILE.tmp.$$" "$LOCATION_FILE"
  return 0
}

lock_live() {
  : >"$MO_TMP/livelocks"; nl=0; how=maildirlock
  find "$1" -name dovecot-uidlist -type f 2>/dev/null | while IFS= read -r f; do dirname -- "$f"; done >"$MO_TMP/livedirs"
  while IFS= read -r d; do
    pid=''
    if [ -n "$MAILDIRLOCK" ] && [ -x "$MAILDIRLOCK" ]; then pid=$("$MAILDIRLOCK" "$d" "$LIVE_LOCK_TIMEOUT" 2>>"$MO_TMP/maildirlock.err" 9>&-) || pid=''; fi
    if [ -n "$pid" ] && alive "$pid"; then mo_defer_kill "$pid"; printf 'pid %s\n' "$pid" >>"$MO_TMP/livelocks"; nl=$((nl + 1)); continue; fi
    if [ -n "$pid" ]; then
      [ "$(cut -d: -f1 "$d/dovecot-uidlist.lock" 2>/dev/null)" = "$pid" ] && rm -f "$d/dovecot-uidlist.lock"
      if [ "$how" = maildirlock ]; then mo_line livelock warn message 'maildirlock exited at once (Dovecot 2.3.19 panics "No IOs or timeouts set" after taking the lock, leaving it stale); taking the dotlock ourselves'; fi
    fi
    how=dotlock; n=0
    until ( set -C; printf '%s:%s\n' "$$" "$(uname -n)" >"$d/dovecot-uidlist.lock" ) 2>/dev/null; do
      n=$((n + 1)); if [ "$n" -ge "$LIVE_LOCK_TIMEOUT" ]; then mo_line livelock fail folder "$d" reason timeout; return 1; fi; sleep 1
    done
    mo_defer_rm "$d/dovecot-uidlist.lock"; printf 'file %s\n' "$d/dovecot-uidlist.lock" >>"$MO_TMP/livelocks"; nl=$((nl + 1))
  done <"$MO_TMP/livedirs"
  mo_line livelock ok folders "$(wc -l <"$MO_TMP/livedirs" | tr -d ' ')" method "$how"
  return 0
}
unlock_live() {
  while IFS=' ' read -r k v; do case $k in pid) kill -TERM "$v" 2>/dev/null || true ;; file) rm -f -- "$v" ;; esac; done <"$MO_TMP/livelocks"
  : >"$MO_TMP/livelocks"; mo_undefer
  mo_line livelock info released yes
}

archive_step() {
  if [ "$LIVE" = yes ]; then
    SRC=$(mo_dove mailbox path -u "$ACCOUNT" -t mailbox INBOX 2>/dev/null) || SRC=''
    if [ -z "$SRC" ] || [ ! -d "$SRC" ]; then mo_line archive fail reason no-live-maildir meaning 'doveadm mailbox path did not give a maildir folder'; return 1; fi
    SRCID=live
    # Mailops writes nothing into live mail: a live archive's marker is kept beside it (ID.set) and
    # extraction puts it at the root.
    mkdir -p "$MO_TMP/set" && SETID=$(mo_set_marker "$MO_TMP/set" live) || SETID=''
  else
    SRC="$MIRROR/"; SRCID=$(readlink "$MIRROR" 2>/dev/null) || SRCID=mirror
    SETID=$(sed -n 's/^id=//p' "$SRC/$MARKER" 2>/dev/null | head -n 1)
  fi
  LEVEL=$KIND; RUNNING="$ARCHIVES/running.snar"; RMETA="$ARCHIVES/running.meta"; CHAIN_FULL=''; BASE=''; RSRC=''
  if [ -f "$RMETA" ]; then
    CHAIN_FULL=$(sed -n 's/^full=//p' "$RMETA"); BASE=$(sed -n 's/^base=//p' "$RMETA"); RSRC=$(sed -n 's/^source=//p' "$RMETA")
  fi
  if [ "$LEVEL" != full ]; then
    if [ -z "$CHAIN_FULL" ] || [ ! -f "$ARCHIVES/$CHAIN_FULL.snar" ] || [ ! -f "$ARCHIVES/$CHAIN_FULL.meta" ] || [ ! -f "$RUNNING" ] || [ "$RSRC" != "$SRCID" ]; then
      mo_line archive info promoted full requested "$KIND" reason 'no usable chain for this source (first archive, or the mirror folder changed)'
      LEVEL=full
    fi
  fi
  if [ -n "$TEST_STAMP" ]; then AST=$TEST_STAMP; else AST=$(date -u +%Y%m%dT%H%M%SZ); fi
  while ls "$ARCHIVES" | grep -q "^$AST-"; do sleep 1; AST=$(date -u +%Y%m%dT%H%M%SZ); done
  ARCHIVE_ID="$AST-$LEVEL"; TARF="$ARCHIVES/$ARCHIVE_ID.tar.gz"; SNAR="$MO_TMP/snar"; rm -f "$SNAR"
  case $LEVEL in
    full) BASE=''; CHAIN_FULL=$ARCHIVE_ID ;;
    diff) cp "$ARCHIVES/$CHAIN_FULL.snar" "$SNAR" || return 1; BASE=$CHAIN_FULL ;;
    incr) cp "$RUNNING" "$SNAR" || return 1 ;;
  esac
  mo_line archive start id "$ARCHIVE_ID" level "$LEVEL" full "$CHAIN_FULL" base "$BASE" source "$SRCID"
  if [ "$LIVE" = yes ]; then lock_live "$SRC" || { unlock_live; return 1; }; fi
  if [ "$LEVEL" = full ]; then
    mo_tool - tar -C "$SRC" --listed-incremental="$SNAR" --level=0 --anchored --exclude=./tmp --exclude='./*/tmp' --no-anchored --exclude=dovecot-uidlist.lock -czf "$TARF.part" .
  else
    mo_tool - tar -C "$SRC" --listed-incremental="$SNAR" --anchored --exclude=./tmp --exclude='./*/tmp' --no-anchored --exclude=dovecot-uidlist.lock -czf "$TARF.part" .
  fi
  trc=$MO_RC
  SRCCOUNT=$( (cd "$SRC" && find . -type f) | count_msgs)
  [ "$LIVE" = yes ] && unlock_live
  if [ "$trc" -ne 0 ] && [ "$trc" -ne 1 ]; then rm -f "$TARF.part"; mo_line archive fail exit "$trc" meaning 'tar failed'; ARCHIVE_ID=''; return 1; fi
  [ "$trc" -eq 1 ] && mo_line archive warn exit 1 message 'tar: some files changed while being read'
  mv -f "$TARF.part" "$TARF"; ARCHIVE_PATH=$TARF
  [ "$LIVE" = yes ] && [ -n "$SETID" ] && { cp "$MO_TMP/set/$MARKER" "$ARCHIVES/$ARCHIVE_ID.set" || SETID=''; }; ARCHIVE_BYTES=$(wc -c <"$TARF" | tr -d ' ')
  mo_line archive ok id "$ARCHIVE_ID" level "$LEVEL" bytes "$ARCHIVE_BYTES" path "$TARF"
  mo_line verify start id "$ARCHIVE_ID"
  VREASON=''
  if tar -tzf "$TARF" >"$MO_TMP/list" 2>"$MO_TMP/verify.err"; then
    N=$(count_msgs <"$MO_TMP/list")
    if [ "$LEVEL" = full ] && [ "$N" -ne "$SRCCOUNT" ]; then VERIFIED=no; VREASON="archive holds $N message files, the source $SRCCOUNT"; else VERIFIED=yes; fi
  else
    mo_relay <"$MO_TMP/verify.err"; N=0; VERIFIED=no; VREASON='tar -tzf failed'
  fi
  awk '{ if ($0 ~ /(^|\\/)cur\\/$/) { d = $0; sub(/cur\\/$/, "", d); if (!(d in n)) n[d] = 0 }
         else if ($0 ~ /(^|\\/)(cur|new)\\/[^\\/]+$/) { d = $0; sub(/(cur|new)\\/[^\\/]+$/, "", d); n[d]++ } }
       END { for (d in n) printf "%d\\t%s\\n", n[d], d }' "$MO_TMP/list" >"$ARCHIVES/.$ARCHIVE_ID.folders" && mv -f "$ARCHIVES/.$ARCHIVE_ID.folders" "$ARCHIVES/$ARCHIVE_ID.folders"
  if [ "$LEVEL" = full ]; then cp "$SNAR" "$ARCHIVES/$ARCHIVE_ID.snar"; fi
  cp "$SNAR" "$RUNNING.tmp.$$" && mo_replace "$RUNNING.tmp.$$" "$RUNNING"
  printf 'full=%s\nbase=%s\nsource=%s\n' "$CHAIN_FULL" "$ARCHIVE_ID" "$SRCID" >"$RMETA.tmp.$$" && mo_replace "$RMETA.tmp.$$" "$RMETA"
  # The order retention goes by (retention.ts), and whether this full may make older chains go.
  SEQ=$(mo_next_seq) || { mo_line archive fail reason seq path "$ARCHIVES/.seq" meaning 'the archive sequence number could not be recorded'; ARCHIVE_ID=''; return 1; }
  ANCHOR=''; ANCHOR_REASON=''; PREV_ANCHOR=''; PREV_COUNT=''
  [ "$LEVEL" = full ] && mo_anchor "$ARCHIVE_ID" "$N" "$VERIFIED"
  printf 'id=%s\nlevel=%s\nfull=%s\nbase=%s\ncreated=%s\nsource=%s\nmessages=%s\nsource_messages=%s\nbytes=%s\nverified=%s\nlayout=%s\nset_id=%s\nseq=%s\nanchor=%s\nanchor_reason=%s\nanchor_count=%s\nprevious_anchor=%s\n' \
    "$ARCHIVE_ID" "$LEVEL" "$CHAIN_FULL" "$BASE" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SRCID" "$N" "$SRCCOUNT" "$ARCHIVE_BYTES" "$VERIFIED" "$LAYOUTP" "$SETID" "$SEQ" "$ANCHOR" "$ANCHOR_REASON" "$N" "$PREV_ANCHOR" >"$ARCHIVES/.$ARCHIVE_ID.meta"
  mo_replace "$ARCHIVES/.$ARCHIVE_ID.meta" "$ARCHIVES/$ARCHIVE_ID.meta"
  if [ "$VERIFIED" = yes ]; then mo_line verify ok id "$ARCHIVE_ID" messages "$N" source_messages "$SRCCOUNT"
  else mo_line verify fail id "$ARCHIVE_ID" messages "$N" source_messages "$SRCCOUNT" reason "$VREASON"; fi
  mo_anchor_line "$ARCHIVE_ID" "$N"
  retention
  return 0
}

CODE=0
if [ "$LIVE" != yes ]; then
  if ! mirror_sync; then
    if [ -n "\${NEWTARGET:-}" ] && [ -d "$DIR/$NEWTARGET" ] && [ "$(readlink "$MIRROR" 2>/dev/null)" != "$NEWTARGET" ]; then
      rm -rf -- "$DIR/$NEWTARGET" "$DIR/.$NEWTARGET.state.new"; mo_line mirror info removed "$DIR/$NEWTARGET" reason 'incomplete new mirror of this failed run'
    fi
    mo_finish 1 reason "$FAIL_REASON" state_replaced "$STATE_REPLACED" dsync_exit "$DSYNC_EXIT" retries "$RETRIED" log "$MO_LOG"
  fi
  [ "$IN_SYNC" = no ] && CODE=2
fi
if [ "$KIND" != mirror ]; then
  if ! archive_step; then mo_finish 1 reason "$FAIL_REASON" state_replaced "$STATE_REPLACED" in_sync "$IN_SYNC" dsync_exit "$DSYNC_EXIT" retries "$RETRIED" old_mirror "$OLD_MIRROR" log "$MO_LOG"; fi
  [ "$VERIFIED" = yes ] || CODE=2
  # A full that is no retention anchor because its count dropped: kept, but the run fails (loudly).
  case $ANCHOR_REASON in empty|drop) CODE=1; FAIL_REASON=not-an-anchor ;; esac
fi
mo_finish "$CODE" reason "$FAIL_REASON" state_replaced "$STATE_REPLACED" in_sync "$IN_SYNC" dsync_exit "$DSYNC_EXIT" retries "$RETRIED" old_mirror "$OLD_MIRROR" archive_id "$ARCHIVE_ID" archive "$ARCHIVE_PATH" archive_bytes "$ARCHIVE_BYTES" level "$LEVEL" verified "$VERIFIED" seq "$SEQ" anchor "$ANCHOR" anchor_reason "$ANCHOR_REASON" log "$MO_LOG"
`;

/** Build the run's script. Pure: the same inputs give the same script and arguments. */
export function buildDovecotBackupScript(host: HostConfig, account: string, options: BackupOptions): BuiltScript {
  const layout = dovecotLayout(host, account);
  checkOptions(layout, options);
  checkAccountName('dovecot', account, { host: host.name });
  const b = new ScriptBuilder('mailops-backup');
  b.param('ACCOUNT', account);
  b.param('DC', host.dovecot?.config ?? '');
  b.param('DIR', layout.dir);
  b.param('MIRROR', layout.mirror);
  b.param('STATE', layout.state);
  b.param('ARCHIVES', layout.archives);
  b.param('LOGS', layout.logs);
  b.param('LOCK', layout.lock);
  b.param('LOCATION_FILE', layout.mirrorLocation);
  b.param('KIND', options.kind);
  b.param('LIVE', options.live ? 'yes' : 'no');
  b.param('FRESH', options.fresh ? 'yes' : 'no');
  b.param('NOWAIT', options.noWait ? 'yes' : 'no');
  b.param('LOCK_TIMEOUT', String(options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT));
  b.param('KEEP', String(options.keep ?? DEFAULT_KEEP));
  b.param('RETRIES', String(options.retries ?? DEFAULT_RETRIES));
  b.param('MAILDIRLOCK', MAILDIRLOCK_PATH);
  b.param('MARKER', SET_MARKER);
  b.param('LIVE_LOCK_TIMEOUT', String(options.liveLockTimeout ?? 30));
  b.param('FORCE', options.force ? 'yes' : 'no');
  b.param('MAX_DROP', String(options.maxDropPercent ?? DEFAULT_MAX_DROP_PERCENT));
  b.param('TEST_STAMP', options.stampForTest ?? '');
  b.param('STATE_ARG_MAX', String(options.stateArgMaxForTest ?? STATE_ARG_MAX));
  b.add(RETENTION_FN);
  b.add(DIALECT_SH);
  b.add(BACKUP_FORMS_SH);
  b.add(BODY);
  return b.build();
}

/** What a run would do, in words (for --dry-run). */
export function describePlan(host: HostConfig, account: string, o: BackupOptions): string[] {
  const l = dovecotLayout(host, account);
  const steps: string[] = [];
  steps.push(`create ${l.dir}, ${l.archives}, ${l.logs}; log to ${l.logs}/<stamp>-${o.kind}.log`);
  steps.push(o.noWait ? `take the lock ${l.lock}, or skip (exit 3) if another run holds it` : `take the lock ${l.lock}, waiting up to ${o.lockTimeout ?? DEFAULT_LOCK_TIMEOUT}s`);
  if (!o.live) {
    steps.push(
      o.fresh
        ? `make a fresh full mirror into ${l.dir}/mirror.<stamp>/ (doveadm backup -s ''), then point ${l.mirror} at it; the old mirror and its state are kept`
        : `doveadm backup -u ${account} -s "$(cat ${l.state})" maildir:${l.mirror} with the live mailbox layout (in the form of the host's Dovecot dialect, found when the run starts); write the set marker into the mirror; replace ${l.state} atomically only on exit 0/2; retry up to ${o.retries ?? DEFAULT_RETRIES} times; ${o.force ? 'an empty account empties the mirror (--force)' : 'refused when the account has no messages but the mirror has some'}`,
    );
  }
  if (o.kind !== 'mirror') {
    steps.push(`tar ${o.kind} archive of the ${o.live ? 'live maildir (folder locks held while tar reads)' : 'mirror'} into ${l.archives}/<stamp>-${o.kind}.tar.gz (--listed-incremental; without tmp/ and dovecot-uidlist.lock)`);
    steps.push('verify with tar -tzf (and the message file count for a full)');
    steps.push(`retention: keep the newest ${o.keep ?? DEFAULT_KEEP} anchor full chains (verified, no sharp drop in the message count) and everything newer; older chains go (by the archives' recorded sequence, not their time)`);
  }
  return steps;
}

export interface ArchiveInfo {
  id: string;
  path: string;
  bytes: number | null;
  level: string;
  verified: boolean;
  /** The archive's sequence number (the order retention goes by), null when the run did not say. */
  seq: number | null;
  /**
   * For a full: whether it is a retention anchor (false: its message count dropped sharply, or it is not
   * verified; see backup/retention.ts) and why not. Null for other levels.
   */
  anchor: boolean | null;
  anchorReason: string | null;
}

export interface BackupResult {
  ok: boolean;
  /** 0 in sync, 1 failed, 2 done with warnings remaining (or unverified archive), 3 skipped (lock held). */
  exitCode: number;
  skipped: boolean;
  account: string;
  kind: BackupKind;
  inSync: boolean | null;
  retries: number;
  /** Exit code of the last doveadm backup, null when none ran. */
  doveadmExit: number | null;
  outcome: BackupOutcome | null;
  meaning: string | null;
  action: string | null;
  stateReplaced: boolean;
  /** Classified doveadm/dsync lines of the run. */
  warnings: DsyncWarning[];
  /** Warnings of the last attempt only: what remains after the retries. */
  remainingWarnings: DsyncWarning[];
  archive: ArchiveInfo | null;
  oldMirror: string | null;
  log: string | null;
  waited: boolean;
  /** Why the run failed (or, exit 1 with an archive, why its full is no retention anchor); null when it did not. */
  failure: RunFailure | null;
  stderr: string;
}

/** Turn a run's events into the result (pure; used on live streams and on log files). */
export function summarizeBackupRun(account: string, kind: BackupKind, events: readonly RunEvent[], processExit: number | null, stderr = ''): BackupResult {
  const result = [...events].reverse().find((e) => e.type === 'result');
  const f = result?.type === 'result' ? result.fields : {};
  const warnings: DsyncWarning[] = [];
  let last: DsyncWarning[] = [];
  let waited = false;
  for (const e of events) {
    if (e.type === 'step-start' && e.step === 'dsync') last = [];
    if (e.type === 'output' && e.classified) {
      const w = e.classified as DsyncWarning;
      if (w.severity !== 'info') {
        warnings.push(w);
        last.push(w);
      }
    }
    if (e.type === 'wait' && e.step === 'lock') waited = true;
  }
  const exitCode = result?.type === 'result' && result.exitCode !== null ? result.exitCode : (processExit ?? 1);
  const dx = f.dsync_exit !== undefined && f.dsync_exit !== '' ? Number(f.dsync_exit) : null;
  const explained = dx === null ? null : explainBackupExit(dx, last);
  const archive: ArchiveInfo | null = f.archive_id
    ? {
        id: f.archive_id,
        path: f.archive ?? '',
        bytes: f.archive_bytes ? Number(f.archive_bytes) : null,
        level: f.level ?? '',
        verified: f.verified === 'yes',
        seq: f.seq ? Number(f.seq) : null,
        anchor: f.anchor === 'yes' ? true : f.anchor === 'no' ? false : null,
        anchorReason: f.anchor_reason || null,
      }
    : null;
  return {
    ok: exitCode === 0 || exitCode === 2,
    exitCode,
    skipped: f.skipped === 'yes',
    account,
    kind,
    inSync: f.in_sync === 'yes' ? true : f.in_sync === 'no' ? false : null,
    retries: Number(f.retries ?? 0) || 0,
    doveadmExit: dx,
    outcome: explained?.outcome ?? null,
    meaning: explained?.meaning ?? null,
    action: explained?.action || null,
    stateReplaced: f.state_replaced === 'yes',
    warnings,
    remainingWarnings: exitCode === 0 ? [] : last,
    archive,
    oldMirror: f.old_mirror || null,
    log: f.log || null,
    waited,
    failure: exitCode === 1 ? runFailure(events) : null,
    stderr,
  };
}

export interface RunHooks {
  /** Every line as it arrives (stdout and stderr of the script), with the events it produced. */
  onLine?: (line: string, events: RunEvent[]) => void;
  signal?: AbortSignal;
  /** Milliseconds before the whole run is stopped (default: none). */
  timeoutMs?: number;
}

/** Run a built script on the host, streaming its lines; resolves with the events and exit status. */
export async function runScript(ctx: HostContext, built: BuiltScript, hooks: RunHooks = {}, classify = (l: string) => classifyDsyncLine(l)): Promise<{ events: RunEvent[]; code: number | null; stderr: string }> {
  const argv = withPrivilege(built.argv, ctx.config.privilege);
  const proc = ctx.transport.spawn(argv, { signal: hooks.signal, timeoutMs: hooks.timeoutMs });
  const parser = new RunLogParser(classify);
  const events: RunEvent[] = [];
  let stderr = '';
  const feed = (line: string) => {
    const ev = parser.push(line);
    events.push(...ev);
    hooks.onLine?.(line, ev);
  };
  const out = (async () => {
    for await (const line of readLines(proc.stdout)) feed(line);
  })();
  const err = (async () => {
    for await (const line of readLines(proc.stderr)) {
      stderr += `${line}\n`;
      feed(line);
    }
  })();
  const [status] = await Promise.all([proc.exit, out, err]);
  if (status.code === 64 && !events.some((e) => e.type === 'result')) {
    throw new CommandFailedError('the backup script refused its arguments', {
      host: ctx.config.name,
      command: shellLine(withPrivilege(['sh', '-c', '<script>', built.name, ...built.args], ctx.config.privilege)),
      exitCode: 64,
      stderr,
      hint: 'this is a Mailops bug: report it with the command',
    });
  }
  return { events, code: status.code, stderr };
}

/** Run a Dovecot backup (mirror and/or archive) for one account. */
export async function runBackup(ctx: HostContext, account: string, options: BackupOptions, hooks: RunHooks = {}): Promise<BackupResult> {
  const built = buildDovecotBackupScript(ctx.config, account, options);
  const r = await runScript(ctx, built, hooks);
  // No result line means the script died on the way, whatever its exit code: dash exits 2 (the code of "done
  // with warnings") when a redirection of a special builtin fails, e.g. its log in a read-only folder.
  if (r.code === 127 || !r.events.some((e) => e.type === 'result')) {
    throw new CommandFailedError('the backup script did not run to its end', {
      host: ctx.config.name,
      command: shellLine(withPrivilege(['sh', '-c', '<backup script>', built.name, ...built.args], ctx.config.privilege)),
      exitCode: r.code,
      stderr: r.stderr,
      meaning: r.code === 127 ? 'sh was not found on the host' : 'the script stopped before printing its result line',
      hint: 'read the lines above; check that the SSH user can run sh and, with privilege sudo, that sudo -n works',
    });
  }
  return summarizeBackupRun(account, options.kind, r.events, r.code, r.stderr);
}
