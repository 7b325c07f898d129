/**
 * The health of every account of a host, computed ON the host in one round trip: one constant POSIX sh
 * script (ScriptBuilder: every value a positional parameter) that lists the accounts (Dovecot: `doveadm user
 * '*'`; Cyrus: the mailbox owners of `ctl_mboxlist -d`), walks the backup root once with two `find`s (names
 * and mtimes only), and lets ONE awk (constant program text; its inputs are files named in the environment)
 * join them and read the few files that matter per account: the newest run log of each kind, the newest
 * archive's metadata, the last verify record. It prints one compact line per account and a last line with
 * the count of account lines, which the client checks (records.ts): a lost or cut-off line is an error,
 * never a silent "fewer accounts".
 *
 * Output (one line each; fields separated by a TAB; tokens `k=v` with values that never hold a space or TAB):
 *
 *   MAILOPS-HEALTH 1 <server> <host's now, epoch seconds>
 *   H\t<tokens>                       (Cyrus only: the host's backup, which covers every mailbox owner)
 *   A\t<tokens>\t<account>            one per account; the account name last, byte for byte
 *   X\t<what>\t<exit code>            a step that makes the answer impossible (the account list failed)
 *   x\t<line>                         its stderr lines (at most 20)
 *   END\t<account lines printed>\t<backup folders without an account>
 *
 * Tokens (all optional but `dir`):
 *   dir=1|0          the account has a backup folder (Dovecot: ROOT/dovecot/<encoded name>)
 *   w=0              that folder (Cyrus: ROOT/cyrus) is not writable: a run cannot take its lock or log
 *   in=1|0           (Cyrus) the owner's INBOX is in the newest archive's mailboxes.db dump
 *   mirror=EPOCH     mtime of mirror.state: replaced only after a mirror run that earned it
 *   full=STAMP incr=STAMP   newest full / differential-or-incremental archive (its .meta exists: complete)
 *   last=ID lastv=yes|no    the newest archive and its verified= flag
 *   run.KIND=STAMP,RESULT,EXIT,TIME   newest run log of KIND (mirror full diff incr): ok fail skip none
 *   warn.KIND=LABEL:N+…               that run's warn step lines by step, tool-warning, tool-error lines
 *   v.KEY=VALUE                       the last verify record (verify.last, written by recordVerify)
 *
 * The awk text is portable (mawk and gawk: no intervals, no gawk functions).
 */
import { ScriptBuilder, ShCode, sh, type BuiltScript } from '../backup/script';
import { cyrusBackupRoot, dovecotBackupRoot } from '../backup/layout';
import type { HostConfig } from '../hosts/model';

export const HEALTH_HEADER = 'MAILOPS-HEALTH';
export const HEALTH_FORMAT = 1;
/** stderr lines of a failed step relayed as `x` lines. */
export const MAX_ERROR_LINES = 20;
export const VERIFY_RECORD = 'verify.last';

/** The awk program shared by both servers: constant text; inputs named by MO_* environment variables. */
const AWK = String.raw`
function hexval(c) { return index("0123456789ABCDEF", c) - 1 }
function dec(s,   out, i, c, h) {
  if (s == "%") return ""
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1); h = substr(s, i + 1, 2)
    if (c == "%" && h ~ /^[0-9A-F][0-9A-F]$/) { out = out sprintf("%c", hexval(substr(h, 1, 1)) * 16 + hexval(substr(h, 2, 1))); i += 2 }
    else out = out c
  }
  return out
}
# A run log's kind from its name: STAMP-KIND[-PID].log (Dovecot) or STAMP-cyrus-KIND[-PID].log (Cyrus).
function logkind(n,   k) {
  k = substr(n, 18); sub(/\.log$/, "", k); sub(/^cyrus-/, "", k); sub(/-[0-9][0-9]*$/, "", k)
  return k
}
# One run log: result, exit code, time; warn step lines by step; tool lines that say Warning/Error.
function readlog(path, kind,   line, f, n, i, res, ex, t, lbl, w, out) {
  res = "none"; ex = "-"; t = "-"
  split("", w)
  while ((getline line < path) > 0) {
    if (substr(line, 1, 8) == "MAILOPS ") {
      n = split(line, f, " ")
      if (n >= 4 && f[4] == "result") {
        t = f[2]; res = "fail"
        for (i = 5; i <= n; i++) {
          if (f[i] == "ok=yes") res = "ok"
          if (substr(f[i], 1, 5) == "exit=") ex = substr(f[i], 6)
          if (f[i] == "skipped=yes") res = "skip"
        }
      } else if (n >= 4 && f[4] == "warn") w[f[3]]++
    } else if (line ~ /(^|: )Warning: /) w["tool-warning"]++
    else if (line ~ /(^|: )(Error|Fatal|Panic): / || line ~ /^tar: /) w["tool-error"]++
  }
  close(path)
  if (ex == "") ex = "-"
  out = " run." kind "=" LOGSTAMP[ACC, kind] "," res "," ex "," t
  lbl = ""
  for (i in w) lbl = lbl (lbl == "" ? "" : "+") i ":" w[i]
  if (lbl != "") out = out " warn." kind "=" lbl
  return out
}
function readkv(path, prefix, want,   line, out, k) {
  out = ""
  while ((getline line < path) > 0) {
    k = index(line, "=")
    if (k < 2) continue
    if (want != "" && substr(line, 1, k - 1) != want) continue
    if (line ~ /[ \t]/) continue
    out = out " " prefix (want != "" ? substr(line, k + 1) : line)
  }
  close(path)
  return out
}
# Everything known about one backup folder (key: its path relative to the working directory).
function folder(a,   out, k, kinds, i) {
  ACC = a
  out = ""
  if (a in UNW) out = out " w=0"
  if (a in MIRROR) out = out " mirror=" MIRROR[a]
  if (a in FULL) out = out " full=" FULL[a]
  if (a in INCR) out = out " incr=" INCR[a]
  if (a in LAST) out = out " last=" LAST[a] readkv(ARCH[a] "/" LAST[a] ".meta", "lastv=", "verified")
  split("mirror full diff incr", kinds, " ")
  for (i = 1; i <= 4; i++) { k = kinds[i]; if ((a, k) in LOGSTAMP) out = out readlog(LOGDIR[a] "/" LOGNAME[a, k], k) }
  if (a in VREC) out = out readkv(VREC[a], "v.", "")
  return out
}
function sawfile(a, rest, mtime,   n, lvl, stamp, k) {
  if (rest == "mirror.state") { sub(/\..*$/, "", mtime); MIRROR[a] = mtime; return }
  if (rest == "verify.last") { VREC[a] = (a == "." ? "" : a "/") rest; return }
  if (substr(rest, 1, 5) == "logs/" && rest ~ /\.log$/) {
    n = substr(rest, 6)
    if (n !~ STAMPRE) return
    k = logkind(n)
    if (k != "mirror" && k != "full" && k != "diff" && k != "incr") return
    # Newest by the stamp in the name; two runs in one second (the second log is STAMP-KIND-PID.log): by mtime.
    stamp = substr(n, 1, 16); mtime += 0
    if (!((a, k) in LOGNAME) || stamp > LOGSTAMP[a, k] || (stamp == LOGSTAMP[a, k] && mtime > LOGMT[a, k])) {
      LOGNAME[a, k] = n; LOGSTAMP[a, k] = stamp; LOGMT[a, k] = mtime; LOGDIR[a] = (a == "." ? "" : a "/") "logs"
    }
    return
  }
  if (substr(rest, 1, 9) == "archives/" && rest ~ /\.meta$/) {
    n = substr(rest, 10); sub(/\.meta$/, "", n)
    if (n !~ STAMPRE) return
    lvl = substr(n, 18); stamp = substr(n, 1, 16)
    ARCH[a] = (a == "." ? "" : a "/") "archives"
    if (!(a in LAST) || n > LAST[a]) LAST[a] = n
    if (lvl == "full") { if (!(a in FULL) || stamp > FULL[a]) FULL[a] = stamp }
    else if (lvl == "diff" || lvl == "incr") { if (!(a in INCR) || stamp > INCR[a]) INCR[a] = stamp }
  }
}
BEGIN {
  # [domain!]user.NAME as the first JSON key of a ctl_mboxlist -d line: an owner's INBOX (internal names use "."
  # as separator whatever unixhierarchysep says; a "." inside a user name is stored as "^").
  OWNERRE = "^\"([^\"\\\\!]*!)?user\\.[^\".]*\""
  d = "[0-9]"
  STAMPRE = "^" d d d d d d d d "T" d d d d d d "Z-"
  # The backup root's listing: D<TAB>. (Cyrus: the folder exists), W<TAB>folder (not writable), F<TAB>mtime<TAB>path.
  HASDIR = 0
  while ((getline line < ENVIRON["MO_FILES"]) > 0) {
    t = index(line, "\t"); kind = substr(line, 1, t - 1); line = substr(line, t + 1)
    if (kind == "W") { UNW[line] = 1; continue }
    if (kind == "D") { HASDIR = 1; continue }
    t = index(line, "\t"); mtime = substr(line, 1, t - 1); p = substr(line, t + 1)
    if (ENVIRON["MO_SERVER"] == "cyrus") { sawfile(".", p, mtime); continue }
    t = index(p, "/"); if (t < 2) continue
    a = substr(p, 1, t - 1)
    if (!(a in SEEN)) { SEEN[a] = 1; BYNAME[dec(a)] = a }
    sawfile(a, substr(p, t + 1), mtime)
  }
  close(ENVIRON["MO_FILES"])
  nrec = 0; orphans = 0
  if (ENVIRON["MO_SERVER"] == "cyrus") {
    printf "H\tdir=%d%s\n", HASDIR, folder(".")
    # Owners in the newest archive's dump, then every live owner (an INBOX: [domain!]user.NAME) with in=1|0.
    if ("." in LAST) {
      path = ARCH["."] "/" LAST["."] ".mailboxes.txt"
      while ((getline line < path) > 0) if (match(line, OWNERRE)) INB[substr(line, 2, RLENGTH - 2)] = 1
      close(path)
    }
    while ((getline line < ENVIRON["MO_USERS"]) > 0) {
      if (!match(line, OWNERRE)) continue
      if (line ~ /"mbtype": "[^"]*d[^"]*"/) continue
      o = substr(line, 2, RLENGTH - 2)
      printf "A\tdir=1 in=%d\t%s\n", (o in INB) ? 1 : 0, o
      nrec++
    }
  } else {
    while ((getline line < ENVIRON["MO_USERS"]) > 0) {
      if (line == "") continue
      if (line in BYNAME) { a = BYNAME[line]; USED[a] = 1; printf "A\tdir=1%s\t%s\n", folder(a), line }
      else printf "A\tdir=0\t%s\n", line
      nrec++
    }
    for (a in SEEN) if (!(a in USED)) orphans++
  }
  printf "END\t%d\t%d\n", nrec, orphans
}
`;

/** Relay a failed step's stderr as x lines and stop: the answer would be wrong without it. */
const FAIL_FN = sh`
mo_fail() {
  printf 'X\\t%s\\t%s\\n' "$1" "$2"
  head -n 20 "$3" 2>/dev/null | while IFS= read -r _l || [ -n "$_l" ]; do printf 'x\\t%s\\n' "$_l"; done
  exit 3
}
mo_listing() {
  # $1: the backup folder, $2: the server. W lines (folders that are not writable) first, then F lines.
  : >"$MO_TMP/files"
  [ -d "$1" ] || return 0
  cd "$1" || mo_fail listing 1 /dev/null
  if [ "$2" = cyrus ]; then
    printf 'D\\t.\\n' >>"$MO_TMP/files"
    [ -w . ] || printf 'W\\t.\\n' >>"$MO_TMP/files"
    find . -mindepth 2 -maxdepth 2 \\( -path './logs/*.log' -o -path './archives/*.meta' \\) -type f -printf 'F\\t%T@\\t%P\\n' >>"$MO_TMP/files" 2>"$MO_TMP/find.err" || mo_fail find 1 "$MO_TMP/find.err"
  else
    find . -mindepth 1 -maxdepth 1 -type d ! -writable -printf 'W\\t%P\\n' >>"$MO_TMP/files" 2>"$MO_TMP/find.err" || mo_fail find 1 "$MO_TMP/find.err"
    find . -mindepth 2 -maxdepth 3 \\( -path './*/logs/*.log' -o -path './*/archives/*.meta' -o -path './*/mirror.state' -o -path './*/verify.last' \\) -type f -printf 'F\\t%T@\\t%P\\n' >>"$MO_TMP/files" 2>"$MO_TMP/find.err" || mo_fail find 1 "$MO_TMP/find.err"
  fi
}
`;

function awkCall(): string {
  // The program is constant; MO_FILES, MO_USERS and MO_SERVER name its inputs (no -v: awk would process escapes).
  return `MO_FILES="$MO_TMP/files" MO_USERS="$MO_TMP/users" MO_SERVER="$SERVER" awk '${AWK.replace(/'/g, `'\\''`)}'`;
}

const DOVECOT_BODY = (): ReturnType<typeof sh> => sh`
SERVER=dovecot
printf '${new ShCode(HEALTH_HEADER)} ${HEALTH_FORMAT} dovecot %s\\n' "$(date +%s)"
if [ -n "$DC" ]; then doveadm -c "$DC" user '*' >"$MO_TMP/users" 2>"$MO_TMP/users.err"; else doveadm user '*' >"$MO_TMP/users" 2>"$MO_TMP/users.err"; fi
rc=$?
[ "$rc" -eq 0 ] || mo_fail users "$rc" "$MO_TMP/users.err"
mo_listing "$ROOT/dovecot" dovecot
${new ShCode(awkCall())}
`;

const CYRUS_BODY = (): ReturnType<typeof sh> => sh`
SERVER=cyrus
printf '${new ShCode(HEALTH_HEADER)} ${HEALTH_FORMAT} cyrus %s\\n' "$(date +%s)"
TOOLS=''
for d in /usr/lib/cyrus/bin /usr/lib/cyrus-imapd /usr/libexec/cyrus-imapd /usr/cyrus/bin /usr/local/cyrus/bin /usr/sbin; do
  if [ -x "$d/ctl_mboxlist" ]; then TOOLS=$d; break; fi
done
[ -n "$TOOLS" ] || { printf 'no ctl_mboxlist in /usr/lib/cyrus/bin /usr/lib/cyrus-imapd /usr/libexec/cyrus-imapd /usr/cyrus/bin /usr/local/cyrus/bin /usr/sbin\\n' >"$MO_TMP/users.err"; mo_fail users 127 "$MO_TMP/users.err"; }
TZ=UTC "$TOOLS/ctl_mboxlist" -C "$CONF" -d >"$MO_TMP/users" 2>"$MO_TMP/users.err"
rc=$?
[ "$rc" -eq 0 ] || mo_fail users "$rc" "$MO_TMP/users.err"
[ "$(head -c 1 "$MO_TMP/users")" = '{' ] || { printf 'ctl_mboxlist -d printed no dump\\n' >>"$MO_TMP/users.err"; mo_fail users 1 "$MO_TMP/users.err"; }
mo_listing "$ROOT/cyrus" cyrus
${new ShCode(awkCall())}
`;

export function buildHealthScript(host: HostConfig, server: 'dovecot' | 'cyrus'): BuiltScript {
  const b = new ScriptBuilder('mailops-health');
  if (server === 'dovecot') {
    b.param('DC', host.dovecot?.config ?? '');
    b.param('ROOT', dovecotBackupRoot(host));
    b.add(FAIL_FN).add(DOVECOT_BODY());
  } else {
    b.param('CONF', host.cyrus?.config ?? '/etc/imapd.conf');
    b.param('ROOT', cyrusBackupRoot(host));
    b.add(FAIL_FN).add(CYRUS_BODY());
  }
  return b.build();
}
