#!/usr/bin/env bash
# scripts/sandbox.d/host.sh: ONE sandbox mail host, run INSIDE that host (its own root file system, PID, mount and
# UTS namespaces; see scripts/sandbox, which starts the host and runs this script in it with nsenter).
#
#   sshd     127.0.0.1:$MO_SSH_PORT   root by key (DIR/ssh/id_ed25519), user "mailops" by password
#   Dovecot  2.3 or 2.4 (the host's own), doveadm + IMAP 127.0.0.1:$MO_DOVECOT_IMAP_PORT
#   Cyrus    3.6 or 3.10 (the host's own), IMAP 127.0.0.1:$MO_CYRUS_IMAP_PORT, admin "cyrus"; syslog in DIR/cyrus/syslog.log
#
# Usage (from scripts/sandbox only): host.sh up|down|status --json|stop SVC|start SVC|reseed dovecot ACCOUNT|
#                                    reseed cyrus USER
# SVC is sshd, dovecot or cyrus. All state of the host lives in $MO_HOST_DIR (a folder under the sandbox
# directory, which the machine and the host see at the same path: /var/tmp is shared with the machine).
set -euo pipefail
export LC_ALL=C.UTF-8
umask 022

LIB_DIR=${MO_LIB_DIR:?MO_LIB_DIR is set by scripts/sandbox}
DIR=${MO_HOST_DIR:?MO_HOST_DIR is set by scripts/sandbox}
HOST_ID=${MO_HOST_ID:?MO_HOST_ID is set by scripts/sandbox}
HOST_DEBIAN=${MO_HOST_DEBIAN:?}
HOST_RELEASE=${MO_HOST_RELEASE:?}
HOST_NAME_DOVECOT=${MO_NAME_DOVECOT:?}
HOST_NAME_CYRUS=${MO_NAME_CYRUS:?}

SSH_PORT=${MO_SSH_PORT:?}
# Where sshd listens: loopback for d12/d13 (the machine's network), the host's own address for fleet hosts (their
# own network namespace).
SSH_ADDR=${MO_SSH_ADDRESS:-127.0.0.1}
DOVECOT_IMAP_PORT=${MO_DOVECOT_IMAP_PORT:?}
CYRUS_IMAP_PORT=${MO_CYRUS_IMAP_PORT:?}
MAIL_UID=8
MAIL_GID=8
PASSWORD_USER=mailops
# Users who log in by the root key file's key and may run anything with `sudo -n`, one per login shell.
SUDO_USERS=(mo-sh mo-zsh mo-fish mo-csh)
SUDO_USER_SHELLS=(bash zsh fish tcsh)
CYRUS_ADMIN=cyrus
CYRUS_REALM=cyrus.test
CYRUS_TOOLS=/usr/lib/cyrus/bin
SSHD_BIN=/usr/sbin/sshd
DOVECOT_BIN=/usr/sbin/dovecot
RSYSLOGD_BIN=/usr/sbin/rsyslogd
CYRUS_MASTER_BIN=$CYRUS_TOOLS/master
# dovecot-imapd conflicts with cyrus-imapd (both provide imap-server): scripts/sandbox unpacked its binaries here
# when it built the root file system.
DOVECOT_IMAPD_DIR=/opt/dovecot-imapd/usr/lib/dovecot

# ---------------------------------------------------------------------------------------------------------------
# Seed data. Everything below is deterministic; `status --json` reports these names and counts.
# Dovecot: separator "/" (maildir LAYOUT=fs). Cyrus: separator "." (unixhierarchysep: no, the Debian default).
# The hostile account: spaces, $( ), ;, backticks, a slash, non-ASCII. Not possible in a passwd-file user name:
# ':' (field separator), tab/newline (auth protocol), and ' " \ : Dovecot 2.3's auth escapes those three in %u
# before the passwd-file lookup, so such a user is listed by `doveadm user '*'` but never found. Hence the
# typographic apostrophe (U+2019). '*' and '?' work but are wildcards for `doveadm -u`.
DOVECOT_ACCOUNTS=(alice bob carol "o’neil \$(touch /tmp/mailops-pwned);\`id\` ü")
DOVECOT_SLUGS=(alice bob carol hostile)
# Home directory names: the hostile one carries a quote, a space and a non-ASCII letter ("/" cannot be in a name).
DOVECOT_HOMES=(alice bob carol "o'neil ü")
# A folder name that runs `touch /tmp/mailops-pwned` and `id` if anything ever passes it through a shell unquoted.
# It contains no "/": with Dovecot's "/" separator and LAYOUT=fs, `$(touch /tmp/...)` would need a level named
# "tmp", which maildir reserves (like "cur" and "new"): doveadm refuses it ("Contains reserved name").
SHELLMETA_FOLDER="\$(touch \$(printf '\\57tmp\\57mailops-pwned'));\`id\`"
# Folder list (Dovecot names, "/" is the hierarchy separator), slug, base count. INBOX holds (6 - account index).
DOVECOT_FOLDERS=("INBOX" "Archive" "Archive/2023" "Work Stuff" "Bücher" "Entwürfe" "Bob's \"Q3\" notes" "$SHELLMETA_FOLDER")
DOVECOT_FOLDER_SLUGS=(inbox archive archive-2023 work-stuff buecher entwuerfe bobs-q3-notes shellmeta)
DOVECOT_FOLDER_COUNTS=(6 4 2 3 2 1 2 1)
DOVECOT_LAZY_EXPUNGE=EXPUNGED

CYRUS_USERS=(alice bob)
# Cyrus names as the owner sees them (altnamespace: no, separator ".").
# Cyrus 3.6 refuses these characters in mailbox names (measured, unixhierarchysep: no): " ` ; / \ ! % < > | {
# So its quote folder uses single quotes, and its shell folder reaches /tmp through `mktemp -u` (no "/" or "."):
# if anything passes it unquoted through a shell it creates /tmp/mailops-pwned.
# shellcheck disable=SC2016 # literal on purpose
CYRUS_SHELLMETA_FOLDER='$(cd $(dirname $(mktemp -u)) && touch mailops-pwned)'
CYRUS_FOLDERS=("INBOX" "INBOX.Archive" "INBOX.Archive.2023" "INBOX.Work Stuff" "INBOX.Bücher" "INBOX.Bob's 'Q3' notes"
  "INBOX.$CYRUS_SHELLMETA_FOLDER")
CYRUS_FOLDER_SLUGS=(inbox archive archive-2023 work-stuff buecher bobs-q3-notes shellmeta)
# INBOX holds (5 - user index).
CYRUS_FOLDER_COUNTS=(5 3 2 2 2 1 1)

SEED_DOMAIN=sandbox.mailops.test
SEED_EPOCH=1704096000 # 2024-01-01T08:00:00Z; message n of folder f (0-based) is dated SEED_EPOCH + f days + n hours

# ---------------------------------------------------------------------------------------------------------------
# Output helpers. Progress goes to stderr so that `status --json` keeps stdout clean.
say() { printf 'sandbox[%s]: %s\n' "$HOST_ID" "$*" >&2; }
warn() { printf 'sandbox[%s]: warning: %s\n' "$HOST_ID" "$*" >&2; }
die() {
  printf 'sandbox[%s]: error: %s\n' "$HOST_ID" "$1" >&2
  [ $# -lt 2 ] || printf 'sandbox[%s]: hint: %s\n' "$HOST_ID" "$2" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "this command must run as root (it starts sshd, Dovecot and Cyrus)" "run it with sudo"
}

# A generated secret, created once and stored under DIR/secrets (root only).
secret() {
  local f="$DIR/secrets/$1"
  if [ ! -s "$f" ]; then
    mkdir -p "$DIR/secrets"
    chmod 0700 "$DIR/secrets"
    printf 'mo-%s\n' "$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n')" >"$f.tmp"
    chmod 0600 "$f.tmp"
    mv "$f.tmp" "$f"
  fi
  local v
  v=$(<"$f")
  printf '%s' "$v"
}

# A stored secret, or nothing (status must not create state).
peek_secret() { cat "$DIR/secrets/$1" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------------------------
# Processes. Daemons we start are re-parented to PID 1, which does not reap them here: a stopped daemon can
# stay a zombie, so "alive" means: /proc/PID exists, state is not Z/X, and the executable is the expected one.
proc_state() { # PID -> state letter or nothing
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  printf '%s' "${stat%% *}"
}

proc_is() { # PID EXE: true when PID is a live process running EXE
  local pid=$1 exe=$2 state link
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(proc_state "$pid") || return 1
  case "$state" in Z | X | x | '') return 1 ;; esac
  link=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [ "${link% (deleted)}" = "$exe" ]
}

proc_gone() { ! proc_is "$1" "$2"; }

# All descendants of PID (from /proc; procps may not be installed).
descendants_of() {
  local root=$1 f stat pid ppid
  declare -A kids=()
  for f in /proc/[0-9]*/stat; do
    { read -r stat <"$f"; } 2>/dev/null || continue
    pid=${stat%% *}
    stat=${stat##*) } # "S PPID ..."
    stat=${stat#* }
    ppid=${stat%% *}
    kids[$ppid]+="$pid "
  done
  local queue=("$root") next
  while [ "${#queue[@]}" -gt 0 ]; do
    next=${queue[0]}
    queue=("${queue[@]:1}")
    for pid in ${kids[$next]:-}; do
      printf '%s\n' "$pid"
      queue+=("$pid")
    done
  done
}

proc_cmdline_has() { # PID STRING
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$2"* ]]
}

pidfile_of() {
  case "$1" in
    sshd) printf '%s' "$DIR/ssh/sshd.pid" ;;
    dovecot) printf '%s' "$DIR/dovecot/run/master.pid" ;;
    cyrus) printf '%s' "$DIR/cyrus/master.pid" ;;
    rsyslog) printf '%s' "$DIR/cyrus/rsyslogd.pid" ;;
  esac
}

exe_of() {
  case "$1" in
    sshd) printf '%s' "$SSHD_BIN" ;;
    dovecot) printf '%s' "$DOVECOT_BIN" ;;
    cyrus) printf '%s' "$CYRUS_MASTER_BIN" ;;
    rsyslog) printf '%s' "$RSYSLOGD_BIN" ;;
  esac
}

# Prints the PID of our instance of SERVICE and succeeds when it runs.
service_pid() {
  local f pid
  f=$(pidfile_of "$1")
  [ -s "$f" ] || return 1
  pid=$(head -n1 "$f" | tr -dc 0-9)
  [ -n "$pid" ] || return 1
  proc_is "$pid" "$(exe_of "$1")" || return 1
  # Make sure it is our instance (its command line names our config), not a recycled PID.
  proc_cmdline_has "$pid" "$DIR/" || return 1
  printf '%s' "$pid"
}

service_running() { service_pid "$1" >/dev/null; }

# PORT is listening on 127.0.0.1 or 0.0.0.0 (reads /proc: no connection, so nothing shows in the daemons' logs).
port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p="$hex" 'NR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) { found = 1 } } END { exit !found }' \
    /proc/net/tcp
}

wait_for() { # SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

kill_wait() { # PID EXE NAME
  local pid=$1 exe=$2 name=$3
  proc_is "$pid" "$exe" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 10 proc_gone "$pid" "$exe"; then
    warn "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 proc_gone "$pid" "$exe" || die "could not stop $name (pid $pid)"
  fi
}

# Start a daemon that forks into the background itself, with stdio detached and no other descriptor of ours
# (the sandbox lock, a caller's flock or pipe) kept open by it.
spawn_daemon() { # LOGFILE COMMAND...
  local log=$1
  shift
  (
    local fd
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
    done
    exec setsid "$@" </dev/null >>"$log" 2>&1
  )
}

# ---------------------------------------------------------------------------------------------------------------
# What the root file system provides (scripts/sandbox installed it with debootstrap)
dpkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

cyrus_imapd_bin() { printf '%s' "$CYRUS_TOOLS/imapd"; }

dovecot_imap_dir() { # prints the directory holding imap + imap-login, or fails
  if [ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/imap-login ]; then printf '%s' /usr/lib/dovecot; return 0; fi
  [ -x "$DOVECOT_IMAPD_DIR/imap" ] && [ -x "$DOVECOT_IMAPD_DIR/imap-login" ] || return 1
  printf '%s' "$DOVECOT_IMAPD_DIR"
}

# ---------------------------------------------------------------------------------------------------------------
# Seed messages
folder_date() { # FOLDER_INDEX N -> RFC 2822 date
  date -u -d "@$((SEED_EPOCH + $1 * 86400 + $2 * 3600))" '+%a, %d %b %Y %H:%M:%S +0000'
}

# Message N (1-based) of a folder. 2 is multipart/alternative with an HTML part, 3 has an RFC 2047 subject.
gen_msg() { # OWNER_SLUG FOLDER_SLUG FOLDER_INDEX N
  local owner=$1 fslug=$2 fidx=$3 n=$4 date mid subject from
  date=$(folder_date "$fidx" "$n")
  mid="<seed.$owner.$fslug.$n@$SEED_DOMAIN>"
  from="Sender $n <sender$n@example.test>"
  case "$n" in
    3) subject="=?UTF-8?Q?Gr=C3=BC=C3=9Fe_=E2=80=93_${fslug}_#3?=" ;;
    *) subject="[$fslug] message #$n for $owner" ;;
  esac
  printf 'Return-Path: <sender%s@example.test>\r\n' "$n"
  printf 'Message-ID: %s\r\n' "$mid"
  printf 'Date: %s\r\n' "$date"
  printf 'From: %s\r\n' "$from"
  printf 'To: %s <%s@%s>\r\n' "$owner" "$owner" "$SEED_DOMAIN"
  printf 'Subject: %s\r\n' "$subject"
  printf 'MIME-Version: 1.0\r\n'
  printf 'X-Mailops-Seed: %s/%s/%s\r\n' "$owner" "$fslug" "$n"
  if [ "$n" -eq 2 ]; then
    printf 'Content-Type: multipart/alternative; boundary="=_seed_%s_%s"\r\n\r\n' "$fslug" "$n"
    printf 'This is a multi-part message in MIME format.\r\n\r\n'
    printf -- '--=_seed_%s_%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' "$fslug" "$n"
    printf 'Hello %s,\r\n\r\nthis is message %s of folder %s (plain part).\r\nSchöne Grüße\r\n\r\n' "$owner" "$n" "$fslug"
    printf -- '--=_seed_%s_%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' "$fslug" "$n"
    printf '<html><body><p>Hello %s,</p><p>this is message <b>%s</b> of folder <i>%s</i> (HTML part).</p></body></html>\r\n\r\n' "$owner" "$n" "$fslug"
    printf -- '--=_seed_%s_%s--\r\n' "$fslug" "$n"
  else
    printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    printf 'Hello %s,\r\n\r\nthis is seed message %s of folder %s.\r\nMessage-ID %s\r\n' "$owner" "$n" "$fslug" "$mid"
    local l
    for ((l = 0; l < n; l++)); do printf 'Line %s: the quick brown fox jumps over the lazy dog.\r\n' "$l"; done
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# sshd
SSHD_CONF() { printf '%s' "$DIR/ssh/sshd_config"; }

configure_sshd() {
  local d="$DIR/ssh" pw
  mkdir -p "$d/authorized_keys" /run/sshd
  chmod 0755 "$d" /run/sshd
  [ -s "$d/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "mailops-sandbox-host" -f "$d/ssh_host_ed25519_key"
  [ -s "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "mailops-sandbox-root" -f "$d/id_ed25519"
  chmod 0600 "$d/ssh_host_ed25519_key" "$d/id_ed25519"
  cp "$d/id_ed25519.pub" "$d/authorized_keys/root"
  chmod 0644 "$d/authorized_keys/root"
  # Operators who are not root: by key, with passwordless sudo (privilege "sudo"), one per login shell that
  # quotes differently from sh (zsh expands =word, fish treats \' in quotes, csh rejects newlines).
  local u
  for u in "${SUDO_USERS[@]}"; do
    cp "$d/id_ed25519.pub" "$d/authorized_keys/$u"
    chmod 0644 "$d/authorized_keys/$u"
  done
  {
    local key
    key=$(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")
    if [ "$SSH_PORT" = 22 ]; then printf '%s %s\n' "$SSH_ADDR" "$key"; else printf '[%s]:%s %s\n' "$SSH_ADDR" "$SSH_PORT" "$key"; fi
    [ "$SSH_ADDR" != 127.0.0.1 ] || printf '[localhost]:%s %s\n' "$SSH_PORT" "$key"
  } >"$d/known_hosts"
  cat >"$(SSHD_CONF)" <<EOF
# Generated by scripts/sandbox; rewritten on every start.
Port $SSH_PORT
ListenAddress $SSH_ADDR
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys/%u
StrictModes no
LogLevel VERBOSE
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
UsePAM yes
AllowUsers root $PASSWORD_USER ${SUDO_USERS[*]}
MaxSessions 10
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  # The password user.
  if ! id "$PASSWORD_USER" >/dev/null 2>&1; then
    useradd -m -s /bin/bash -c "Mailops sandbox password user" "$PASSWORD_USER" ||
      die "useradd $PASSWORD_USER failed"
  fi
  pw=$(secret mailops-ssh-password)
  printf '%s:%s\n' "$PASSWORD_USER" "$pw" | chpasswd || die "chpasswd for $PASSWORD_USER failed"
  local i shell
  for i in "${!SUDO_USERS[@]}"; do
    u=${SUDO_USERS[$i]}
    shell=$(command -v "${SUDO_USER_SHELLS[$i]}") || die "login shell ${SUDO_USER_SHELLS[$i]} is not installed in the host"
    if ! id "$u" >/dev/null 2>&1; then
      useradd -m -s "$shell" -c "Mailops sandbox operator with sudo ($shell)" "$u" || die "useradd $u failed"
    fi
    printf '%s ALL=(ALL) NOPASSWD: ALL\n' "$u" >"/etc/sudoers.d/mailops-$u.tmp"
    chmod 0440 "/etc/sudoers.d/mailops-$u.tmp"
    mv "/etc/sudoers.d/mailops-$u.tmp" "/etc/sudoers.d/mailops-$u"
  done
  "$SSHD_BIN" -t -f "$(SSHD_CONF)" || die "sshd rejects $(SSHD_CONF)" "see the message above"
}

sshd_ready() { service_running sshd && port_listening "$SSH_PORT"; }

start_sshd() {
  if service_running sshd; then return 0; fi
  configure_sshd
  if port_listening "$SSH_PORT"; then
    die "port $SSH_PORT is already in use by another program" "stop it (ss -ltnp 'sport = :$SSH_PORT' shows which)"
  fi
  rm -f "$DIR/ssh/sshd.pid"
  spawn_daemon "$DIR/ssh/sshd.stdio.log" "$SSHD_BIN" -f "$(SSHD_CONF)" -E "$DIR/ssh/sshd.log" ||
    die "sshd failed to start" "see $DIR/ssh/sshd.log"
  wait_for 10 sshd_ready ||
    die "sshd did not come up on $SSH_ADDR:$SSH_PORT within 10 s" "see $DIR/ssh/sshd.log"
  say "sshd up on $SSH_ADDR:$SSH_PORT (pid $(service_pid sshd))"
}

stop_sshd() { # [--keep-sessions]
  local pid kids k
  pid=$(service_pid sshd) || { rm -f "$DIR/ssh/sshd.pid"; return 0; }
  kids=$(descendants_of "$pid")
  kill_wait "$pid" "$SSHD_BIN" sshd
  if [ "${1:-}" != --keep-sessions ]; then
    # Drop the open connections too (the per-connection processes under the listener), as when sshd dies:
    # clients see the link go. Commands they started are left alone. OpenSSH 9 forks sshd itself per
    # connection; OpenSSH 10 execs /usr/lib/openssh/sshd-session (and sshd-auth) instead.
    for k in $kids; do
      if proc_is "$k" "$SSHD_BIN" || proc_is "$k" /usr/lib/openssh/sshd-session || proc_is "$k" /usr/lib/openssh/sshd-auth; then
        kill -KILL "$k" 2>/dev/null || true
      fi
    done
  fi
  rm -f "$DIR/ssh/sshd.pid"
  say "sshd stopped"
}

# ---------------------------------------------------------------------------------------------------------------
# Dovecot
DOVECOT_CONF() { printf '%s' "$DIR/dovecot/dovecot.conf"; }

dovecot_home() { printf '%s' "$DIR/dovecot/home/${DOVECOT_HOMES[$1]}"; }

dovecot_version() { "$DOVECOT_BIN" --version 2>/dev/null | cut -d' ' -f1; }

# SHA512-CRYPT of a secret, computed once (so the passwd file only changes when something really changed).
password_hash() {
  local f="$DIR/secrets/$1.sha512-crypt" pw
  if [ ! -s "$f" ]; then
    pw=$(secret "$1")
    doveadm pw -s SHA512-CRYPT -p "$pw" >"$f.tmp" || die "doveadm pw failed"
    mv "$f.tmp" "$f"
  fi
  cat "$f"
}

write_dovecot_passwd() {
  local d="$DIR/dovecot" i
  mkdir -p "$d/home"
  chmod 0755 "$d" "$d/home"
  : >"$d/passwd.tmp"
  for i in "${!DOVECOT_ACCOUNTS[@]}"; do
    local name=${DOVECOT_ACCOUNTS[$i]} home hash
    home=$(dovecot_home "$i")
    case "$name" in *:* | *$'\n'*) die "Dovecot account name must not contain ':' or a newline: $name" ;; esac
    hash=$(password_hash "dovecot-${DOVECOT_SLUGS[$i]}")
    mkdir -p "$home"
    chown "$MAIL_UID:$MAIL_GID" "$home"
    chmod 0700 "$home"
    printf '%s:%s:%s:%s::%s::\n' "$name" "$hash" "$MAIL_UID" "$MAIL_GID" "$home" >>"$d/passwd.tmp"
  done
  chown root:dovecot "$d/passwd.tmp"
  chmod 0640 "$d/passwd.tmp"
  if cmp -s "$d/passwd.tmp" "$d/passwd"; then rm -f "$d/passwd.tmp"; else mv "$d/passwd.tmp" "$d/passwd"; fi
}

dovecot_conf_23() { # BASE PROTOCOLS IMAP_SERVICES
  cat <<EOF
# Generated by scripts/sandbox (Dovecot 2.3 syntax); rewritten on every start.
instance_name = mailops-sandbox
base_dir = $1/run
state_dir = $1/state
log_path = $1/dovecot.log
protocols = $2
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# The hostile account name has a quote, spaces, \$ ( ) and a non-ASCII letter: accept any character.
auth_username_chars =
auth_username_format = %u
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
last_valid_gid = $MAIL_GID
mail_location = maildir:~/Maildir:LAYOUT=fs
mail_plugins = \$mail_plugins lazy_expunge
namespace inbox {
  inbox = yes
  separator = /
  mailbox $DOVECOT_LAZY_EXPUNGE {
    auto = create
    autoexpunge = 7d
  }
}
plugin {
  lazy_expunge = $DOVECOT_LAZY_EXPUNGE
}
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $1/passwd
}
userdb {
  driver = passwd-file
  args = $1/passwd
}
$3
EOF
}

dovecot_conf_24() { # BASE PROTOCOLS IMAP_SERVICES
  cat <<EOF
# Generated by scripts/sandbox (Dovecot 2.4 syntax); rewritten on every start.
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
instance_name = mailops-sandbox
base_dir = $1/run
state_dir = $1/state
log_path = $1/dovecot.log
protocols = $2
listen = 127.0.0.1
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
# The hostile account name has a quote, spaces, \$ ( ) and a non-ASCII letter: accept any character.
auth_username_chars =
auth_username_format = %{user}
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
last_valid_gid = $MAIL_GID
mail_driver = maildir
mail_path = %{home}/Maildir
mailbox_list_layout = fs
mail_plugins {
  lazy_expunge = yes
}
lazy_expunge_mailbox = $DOVECOT_LAZY_EXPUNGE
namespace inbox {
  inbox = yes
  separator = /
  mailbox $DOVECOT_LAZY_EXPUNGE {
    auto = create
    autoexpunge = 7d
  }
}
passdb passwd-file {
  passwd_file_path = $1/passwd
  passdb_default_password_scheme = SHA512-CRYPT
}
userdb passwd-file {
  passwd_file_path = $1/passwd
}
$3
EOF
}

configure_dovecot() {
  local d="$DIR/dovecot" imapdir protocols imap_services='' listen_key=address
  mkdir -p "$d/run" "$d/state"
  # A listener's address: "address" in 2.3, "listen" in 2.4.
  case "$(dovecot_version)" in 2.3.*) ;; *) listen_key=listen ;; esac
  write_dovecot_passwd
  if imapdir=$(dovecot_imap_dir); then
    protocols=imap
    imap_services="service imap-login {
  executable = $imapdir/imap-login
  inet_listener imap {
    $listen_key = 127.0.0.1
    port = $DOVECOT_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service imap {
  executable = $imapdir/imap
}
service imap-hibernate {
  executable = $imapdir/imap-hibernate
}
service imap-urlauth-login {
  executable = $imapdir/imap-urlauth-login
}
service imap-urlauth {
  executable = $imapdir/imap-urlauth
}
service imap-urlauth-worker {
  executable = $imapdir/imap-urlauth-worker
}"
  else
    protocols=''
  fi
  # The host's own Dovecot decides the syntax: 2.3 (mail_location, plugin { }) or 2.4 (mail_driver/mail_path,
  # mail_plugins { }, lazy_expunge_mailbox, named passdb/userdb blocks; mail_location is fatal there).
  case "$(dovecot_version)" in
    2.3.*) dovecot_conf_23 "$d" "$protocols" "$imap_services" >"$(DOVECOT_CONF)" ;;
    2.4.*) dovecot_conf_24 "$d" "$protocols" "$imap_services" >"$(DOVECOT_CONF)" ;;
    *) die "Dovecot $(dovecot_version) is neither 2.3 nor 2.4: the sandbox has no configuration for it" ;;
  esac
  doveadm -c "$(DOVECOT_CONF)" config -n >/dev/null 2>"$d/config-check.log" ||
    die "Dovecot rejects $(DOVECOT_CONF): $(head -n3 "$d/config-check.log")"
}

dovecot_ready() { service_running dovecot && [ -S "$DIR/dovecot/run/auth-userdb" ]; }

start_dovecot() {
  if service_running dovecot; then write_dovecot_passwd; return 0; fi
  configure_dovecot
  if grep -q '^protocols = imap' "$(DOVECOT_CONF)" && port_listening "$DOVECOT_IMAP_PORT"; then
    die "port $DOVECOT_IMAP_PORT is already in use by another program" "stop it (ss -ltnp shows which)"
  fi
  spawn_daemon "$DIR/dovecot/dovecot.stdio.log" "$DOVECOT_BIN" -c "$(DOVECOT_CONF)" ||
    die "dovecot failed to start" "see $DIR/dovecot/dovecot.log and $DIR/dovecot/dovecot.stdio.log"
  wait_for 10 dovecot_ready ||
    die "Dovecot did not start within 10 s" "see $DIR/dovecot/dovecot.log"
  if grep -q '^protocols = imap' "$(DOVECOT_CONF)"; then
    wait_for 10 port_listening "$DOVECOT_IMAP_PORT" ||
      die "Dovecot IMAP did not listen on 127.0.0.1:$DOVECOT_IMAP_PORT" "see $DIR/dovecot/dovecot.log"
  fi
  say "Dovecot up (pid $(service_pid dovecot))"
}

stop_dovecot() {
  local pid
  pid=$(service_pid dovecot) || return 0
  kill_wait "$pid" "$DOVECOT_BIN" dovecot
  say "Dovecot stopped"
}

dv() { doveadm -c "$(DOVECOT_CONF)" "$@"; }

seed_dovecot_account() { # INDEX
  local i=$1 name=${DOVECOT_ACCOUNTS[$1]} slug=${DOVECOT_SLUGS[$1]} home f count n folder file d
  home=$(dovecot_home "$i")
  dv kick "$name" >/dev/null 2>&1 || true
  rm -rf "$home/Maildir" "$home/.dovecot-sync.lock" "$home/.dovecot.lda-dupes"
  for f in "${!DOVECOT_FOLDERS[@]}"; do
    folder=${DOVECOT_FOLDERS[$f]}
    count=$(dovecot_count "$i" "$f")
    if [ "$folder" != INBOX ]; then
      dv mailbox create -s -u "$name" "$folder" || die "doveadm mailbox create failed for account '$name', folder '$folder'"
    fi
    for ((n = 1; n <= count; n++)); do
      gen_msg "$slug" "${DOVECOT_FOLDER_SLUGS[$f]}" "$f" "$n" | dv save -u "$name" -m "$folder" ||
        die "doveadm save failed for account '$name', folder '$folder', message $n"
    done
  done
  dv mailbox subscribe -u "$name" INBOX || true
  # Opening auto-creates the lazy_expunge mailbox, so `mailbox status '*'` always shows it (with 0 messages).
  dv mailbox status -u "$name" messages "$DOVECOT_LAZY_EXPUNGE" >/dev/null || die "doveadm mailbox status $DOVECOT_LAZY_EXPUNGE failed for '$name'"
  # Flags: INBOX 1-2 seen, INBOX 1 flagged, every other folder seen.
  dv flags add -u "$name" '\Seen' mailbox INBOX uid 1:2 || die "doveadm flags failed for '$name'"
  dv flags add -u "$name" '\Flagged' mailbox INBOX uid 1 || die "doveadm flags failed for '$name'"
  dv flags add -u "$name" '\Seen' NOT mailbox INBOX || die "doveadm flags failed for '$name'"
  # doveadm save stamps "now" as the received date (the maildir file's mtime): set it from the Date header,
  # then drop the caches so that nothing remembers the old value.
  while IFS= read -r -d '' file; do
    d=$(sed -n '/^Date: /{s/^Date: //;s/\r$//;p;q}' "$file")
    [ -z "$d" ] || touch -d "$d" "$file"
  done < <(find "$home/Maildir" -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print0)
  find "$home/Maildir" -name dovecot.index.cache -delete
}

dovecot_count() { # ACCOUNT_INDEX FOLDER_INDEX
  if [ "$2" -eq 0 ]; then printf '%s' $((DOVECOT_FOLDER_COUNTS[0] - $1)); else printf '%s' "${DOVECOT_FOLDER_COUNTS[$2]}"; fi
}

seed_dovecot() {
  local i
  say "seeding Dovecot accounts"
  for i in "${!DOVECOT_ACCOUNTS[@]}"; do seed_dovecot_account "$i"; done
  date -u +%FT%TZ >"$DIR/dovecot/.seeded"
}

# ---------------------------------------------------------------------------------------------------------------
# Cyrus (+ our own rsyslogd, since Cyrus only logs to syslog)
CYRUS_CONF() { printf '%s' "$DIR/cyrus/imapd.conf"; }
CYRUS_MASTER_CONF() { printf '%s' "$DIR/cyrus/cyrus.conf"; }

cyrus_version() { dpkg_version cyrus-common | sed -E 's/^[0-9]+://; s/-[^-]*$//'; }

configure_cyrus() {
  local d="$DIR/cyrus" u
  mkdir -p "$d/config/socket" "$d/config/db" "$d/spool" "$d/run/proc" "$d/run/lock" "$d/run/socket" "$d/sieve" "$d/rsyslog"
  chown -R cyrus:mail "$d/config" "$d/spool" "$d/run" "$d/sieve"
  chmod 0750 "$d/config" "$d/spool" "$d/run" "$d/sieve"
  chmod 0755 "$d"
  cat >"$(CYRUS_CONF)" <<EOF
# Generated by scripts/sandbox; rewritten on every start.
configdirectory: $d/config
defaultpartition: default
partition-default: $d/spool
proc_path: $d/run/proc
mboxname_lockpath: $d/run/lock
lmtpsocket: $d/run/socket/lmtp
idlesocket: $d/run/socket/idle
notifysocket: $d/run/socket/notify
sievedir: $d/sieve
servername: $CYRUS_REALM
admins: $CYRUS_ADMIN
# Debian's default: "." separates levels (user.alice.Work Stuff), so "/" is an ordinary character.
altnamespace: no
unixhierarchysep: no
virtdomains: off
hashimapspool: true
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $d/sasldb2
sasl_mech_list: PLAIN LOGIN
expunge_mode: delayed
delete_mode: delayed
duplicatesuppression: 0
autocreate_post: no
lmtp_downcase_rcpt: yes
umask: 077
syslog_prefix: mailops-sandbox-cyrus
EOF
  # master does not hand its -C to the processes it starts: every command names our imapd.conf itself.
  local c
  c="-C $(CYRUS_CONF)"
  cat >"$(CYRUS_MASTER_CONF)" <<EOF
# Generated by scripts/sandbox; rewritten on every start.
START {
  recover       cmd="$CYRUS_TOOLS/ctl_cyrusdb $c -r"
}
SERVICES {
  imap          cmd="$(cyrus_imapd_bin) $c -U 30" listen="127.0.0.1:$CYRUS_IMAP_PORT" prefork=1 maxchild=50
  lmtpunix      cmd="$CYRUS_TOOLS/lmtpd $c" listen="$d/run/socket/lmtp" prefork=0 maxchild=5
}
DAEMON {
  idled         cmd="$(dirname "$(cyrus_imapd_bin)")/idled $c"
}
EVENTS {
  checkpoint    cmd="$CYRUS_TOOLS/ctl_cyrusdb $c -c" period=30
}
EOF
  # SASL passwords (sasldb, realm = servername): the admin and every seeded user.
  local want have=''
  want=$(for u in "$CYRUS_ADMIN" "${CYRUS_USERS[@]}"; do printf '%s=%s\n' "$u" "$(secret "cyrus-$u")"; done | md5sum | cut -d' ' -f1)
  [ -f "$d/sasldb2" ] && [ -f "$d/.sasldb.sum" ] && have=$(<"$d/.sasldb.sum")
  if [ "$want" != "$have" ]; then
    rm -f "$d/sasldb2"
    for u in "$CYRUS_ADMIN" "${CYRUS_USERS[@]}"; do
      secret "cyrus-$u" | saslpasswd2 -p -c -f "$d/sasldb2" -u "$CYRUS_REALM" "$u" ||
        die "saslpasswd2 failed for Cyrus user $u"
    done
    chown cyrus:mail "$d/sasldb2"
    chmod 0640 "$d/sasldb2"
    printf '%s\n' "$want" >"$d/.sasldb.sum"
  fi
  cat >"$d/rsyslog.conf" <<EOF
# Generated by scripts/sandbox: a private rsyslogd for Cyrus, which logs only to syslog.
global(workDirectory="$d/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.Unlink="on")
*.* action(type="omfile" file="$d/syslog.log" fileCreateMode="0644" template="RSYSLOG_TraditionalFileFormat")
EOF
}

# Cyrus needs someone reading /dev/log. We start our own rsyslogd unless another syslog daemon serves it.
start_rsyslog() {
  if service_running rsyslog; then return 0; fi
  if [ -S /dev/log ]; then
    if logger --socket-errors=on -u /dev/log -p user.debug "mailops sandbox: probing /dev/log" 2>/dev/null; then
      warn "/dev/log is served by another syslog daemon: Cyrus logs go there, not to $DIR/cyrus/syslog.log"
      return 0
    fi
    rm -f /dev/log # stale socket: nobody listens
  fi
  rm -f "$DIR/cyrus/rsyslogd.pid"
  spawn_daemon "$DIR/cyrus/rsyslogd.stdio.log" "$RSYSLOGD_BIN" -f "$DIR/cyrus/rsyslog.conf" -i "$DIR/cyrus/rsyslogd.pid" ||
    die "rsyslogd failed to start" "see $DIR/cyrus/rsyslogd.stdio.log"
  wait_for 10 rsyslog_ready || die "rsyslogd did not create /dev/log within 10 s" "see $DIR/cyrus/rsyslogd.stdio.log"
}
rsyslog_ready() { service_running rsyslog && [ -S /dev/log ]; }

stop_rsyslog() {
  local pid
  pid=$(service_pid rsyslog) || return 0
  kill_wait "$pid" "$RSYSLOGD_BIN" rsyslogd
  rm -f "$DIR/cyrus/rsyslogd.pid"
}

cyrus_ready() { service_running cyrus && port_listening "$CYRUS_IMAP_PORT"; }

start_cyrus() {
  if service_running cyrus; then return 0; fi
  configure_cyrus
  start_rsyslog
  if port_listening "$CYRUS_IMAP_PORT"; then
    die "port $CYRUS_IMAP_PORT is already in use by another program" "stop it (ss -ltnp shows which)"
  fi
  rm -f "$DIR/cyrus/master.pid"
  spawn_daemon "$DIR/cyrus/master.stdio.log" "$CYRUS_MASTER_BIN" -C "$(CYRUS_CONF)" -M "$(CYRUS_MASTER_CONF)" \
    -p "$DIR/cyrus/master.pid" -d || die "the Cyrus master failed to start" "see $DIR/cyrus/syslog.log"
  wait_for 15 cyrus_ready ||
    die "Cyrus did not listen on 127.0.0.1:$CYRUS_IMAP_PORT within 15 s" "see $DIR/cyrus/syslog.log"
  say "Cyrus up on 127.0.0.1:$CYRUS_IMAP_PORT (pid $(service_pid cyrus))"
}

stop_cyrus() {
  local pid
  if pid=$(service_pid cyrus); then
    kill_wait "$pid" "$CYRUS_MASTER_BIN" "cyrus master"
    say "Cyrus stopped"
  fi
  rm -f "$DIR/cyrus/master.pid"
  stop_rsyslog
}

cyrus_count() { # USER_INDEX FOLDER_INDEX
  if [ "$2" -eq 0 ]; then printf '%s' $((CYRUS_FOLDER_COUNTS[0] - $1)); else printf '%s' "${CYRUS_FOLDER_COUNTS[$2]}"; fi
}

imap_batch() { perl "$LIB_DIR/imap-batch.pl" 127.0.0.1 "$CYRUS_IMAP_PORT"; }

cyr() { # TOOL ARGS...: a Cyrus tool with our imapd.conf
  local tool=$1
  shift
  "$CYRUS_TOOLS/$tool" -C "$(CYRUS_CONF)" "$@"
}

seed_cyrus_user() { # INDEX
  local i=$1 user=${CYRUS_USERS[$1]} f n count folder flags tmp
  tmp=$(mktemp -d)
  # Wipe: every mailbox of the user, deepest first (folders other tests created too, whatever their ACL), the
  # DELETED.user.X.* leftovers, then the user; then purge what delayed delete/expunge kept.
  local boxes
  boxes=$(cyr ctl_mboxlist -d 2>/dev/null | jq -r --arg u "$user" \
    'to_entries[] | select((.value.mbtype // "") | contains("d") | not) | .key
     | select(startswith("user." + $u + ".") or startswith("DELETED.user." + $u + "."))' | LC_ALL=C sort -r) || boxes=''
  {
    printf 'LOGIN\t%s\t%s\n' "$CYRUS_ADMIN" "$(secret "cyrus-$CYRUS_ADMIN")"
    while IFS= read -r f; do
      [ -n "$f" ] || continue
      printf '?SETACL\t%s\t%s\tlrswipkxtecda\n' "$f" "$CYRUS_ADMIN"
      printf '?DELETE\t%s\n' "$f"
    done <<<"$boxes"
    printf '?SETACL\tuser.%s\t%s\tlrswipkxtecda\n' "$user" "$CYRUS_ADMIN"
    printf '?DELETE\tuser.%s\n' "$user"
    printf 'LOGOUT\n'
  } | imap_batch || { rm -rf "$tmp"; die "could not delete Cyrus user $user"; }
  cyr cyr_expire -D 0 -X 0 -u "$user" >/dev/null 2>&1 ||
    { rm -rf "$tmp"; die "cyr_expire failed while wiping Cyrus user $user" "see $DIR/cyrus/syslog.log"; }
  {
    printf 'LOGIN\t%s\t%s\n' "$CYRUS_ADMIN" "$(secret "cyrus-$CYRUS_ADMIN")"
    printf 'CREATE\tuser.%s\n' "$user"
    printf 'LOGOUT\n'
  } >"$tmp/admin.batch"
  imap_batch <"$tmp/admin.batch" || { rm -rf "$tmp"; die "could not create Cyrus user $user"; }
  {
    printf 'LOGIN\t%s\t%s\n' "$user" "$(secret "cyrus-$user")"
    for f in "${!CYRUS_FOLDERS[@]}"; do
      folder=${CYRUS_FOLDERS[$f]}
      [ "$folder" = INBOX ] || printf 'CREATE\t%s\n' "$folder"
      count=$(cyrus_count "$i" "$f")
      for ((n = 1; n <= count; n++)); do
        gen_msg "$user" "${CYRUS_FOLDER_SLUGS[$f]}" "$f" "$n" >"$tmp/$f.$n.eml"
        # Flags: INBOX 1-2 seen, INBOX 1 flagged, every other folder seen (as in Dovecot).
        flags='\Seen'
        if [ "$f" -eq 0 ]; then
          case "$n" in 1) flags='\Seen \Flagged' ;; 2) ;; *) flags='' ;; esac
        fi
        printf 'APPEND\t%s\t%s\t%s\n' "$folder" "$flags" "$tmp/$f.$n.eml"
      done
    done
    printf 'LOGOUT\n'
  } >"$tmp/user.batch"
  imap_batch <"$tmp/user.batch" || { rm -rf "$tmp"; die "could not seed Cyrus user $user"; }
  rm -rf "$tmp"
}

seed_cyrus() {
  local i
  say "seeding Cyrus users"
  for i in "${!CYRUS_USERS[@]}"; do seed_cyrus_user "$i"; done
  date -u +%FT%TZ >"$DIR/cyrus/.seeded"
}

# ---------------------------------------------------------------------------------------------------------------
# status
folder_slug_map() { # DOVECOT|CYRUS -> {"folder": "slug", ...}
  local -n names="$1_FOLDERS" slugs="$1_FOLDER_SLUGS"
  local f
  for f in "${!names[@]}"; do printf '%s\t%s\n' "${names[$f]}" "${slugs[$f]}"; done |
    jq -R -s -c 'split("\n") | map(select(. != "") | split("\t") | {key: .[0], value: .[1]}) | from_entries'
}

# How the host's Dovecot stores mail, in its own configuration syntax.
dovecot_layout_text() {
  case "$(dovecot_version)" in
    2.3.*) printf '%s' 'maildir:~/Maildir:LAYOUT=fs' ;;
    *) printf '%s' 'mail_driver=maildir mail_path=%{home}/Maildir mailbox_list_layout=fs' ;;
  esac
}

json_status() {
  local sshd_up=false dovecot_up=false cyrus_up=false all=false imap=null i f
  service_running sshd && port_listening "$SSH_PORT" && sshd_up=true
  service_running dovecot && dovecot_up=true
  service_running cyrus && cyrus_up=true
  [ "$sshd_up$dovecot_up$cyrus_up" = truetruetrue ] && all=true
  if [ -f "$(DOVECOT_CONF)" ] && grep -q '^protocols = imap' "$(DOVECOT_CONF)"; then imap="\"127.0.0.1:$DOVECOT_IMAP_PORT\""; fi
  # One row per account/user and per folder (TAB-separated; no value contains a TAB), turned into JSON by one jq.
  local rows accounts users
  rows=$(
    for i in "${!DOVECOT_ACCOUNTS[@]}"; do
      printf 'A\t%s\t%s\t%s\t%s\n' "$i" "${DOVECOT_ACCOUNTS[$i]}" "${DOVECOT_SLUGS[$i]}" "$(dovecot_home "$i")"
      printf 'P\t%s\t%s\n' "$i" "$(peek_secret "dovecot-${DOVECOT_SLUGS[$i]}")"
      for f in "${!DOVECOT_FOLDERS[@]}"; do
        printf 'F\t%s\t%s\t%s\n' "$i" "${DOVECOT_FOLDERS[$f]}" "$(dovecot_count "$i" "$f")"
      done
      printf 'F\t%s\t%s\t0\n' "$i" "$DOVECOT_LAZY_EXPUNGE"
    done
  )
  accounts=$(jq -R -s -c '
    split("\n") | map(select(. != "") | split("\t")) as $rows
    | [ $rows[] | select(.[0] == "A") | . as $a
        | ([$rows[] | select(.[0] == "P" and .[1] == $a[1]) | .[2]] | first // "") as $pw
        | ([$rows[] | select(.[0] == "F" and .[1] == $a[1]) | {key: .[2], value: (.[3] | tonumber)}] | from_entries) as $mb
        | {name: $a[2], slug: $a[3], password: $pw, home: $a[4], maildir: ($a[4] + "/Maildir"),
           mailboxes: $mb, total: ([$mb[]] | add)} ]' <<<"$rows")
  rows=$(
    for i in "${!CYRUS_USERS[@]}"; do
      printf 'U\t%s\t%s\t%s\n' "$i" "${CYRUS_USERS[$i]}" "$(peek_secret "cyrus-${CYRUS_USERS[$i]}")"
      for f in "${!CYRUS_FOLDERS[@]}"; do
        # Internal name as ctl_mboxlist prints it: user.NAME.rest, modified UTF-7 ("&" becomes "&-").
        printf 'F\t%s\t%s\t%s\t%s\n' "$i" "${CYRUS_FOLDERS[$f]}" "$(cyrus_count "$i" "$f")" \
          "user.${CYRUS_USERS[$i]}${CYRUS_FOLDERS[$f]#INBOX}"
      done
    done | perl "$LIB_DIR/imap-batch.pl" --mutf7-column 5
  )
  users=$(jq -R -s -c '
    split("\n") | map(select(. != "") | split("\t")) as $rows
    | [ $rows[] | select(.[0] == "U") | . as $u
        | [$rows[] | select(.[0] == "F" and .[1] == $u[1])] as $f
        | ($f | map({key: .[2], value: (.[3] | tonumber)}) | from_entries) as $mb
        | {name: $u[2], password: $u[3], mailboxes: $mb, total: ([$mb[]] | add), internalNames: ($f | map(.[4]))} ]' \
    <<<"$rows")
  jq -n \
    --arg dir "$DIR" --argjson up "$all" \
    --argjson sshd "$sshd_up" --argjson dovecot "$dovecot_up" --argjson cyrus "$cyrus_up" \
    --argjson sshPort "$SSH_PORT" --arg pwuser "$PASSWORD_USER" --arg pw "$(peek_secret mailops-ssh-password)" \
    --arg dvversion "$(dovecot_version)" --argjson dvimap "$imap" --argjson accounts "$accounts" \
    --arg hostile "${DOVECOT_ACCOUNTS[3]}" --arg seeded "$(cat "$DIR/dovecot/.seeded" 2>/dev/null || true)" \
    --arg cyversion "$(cyrus_version)" --argjson cyport "$CYRUS_IMAP_PORT" --arg admin "$CYRUS_ADMIN" \
    --arg adminpw "$(peek_secret "cyrus-$CYRUS_ADMIN")" --arg tools "$CYRUS_TOOLS" --argjson users "$users" \
    --argjson dvslugs "$(folder_slug_map DOVECOT)" --argjson cyslugs "$(folder_slug_map CYRUS)" \
    --arg realm "$CYRUS_REALM" --arg cyseeded "$(cat "$DIR/cyrus/.seeded" 2>/dev/null || true)" \
    --arg sshaddr "$SSH_ADDR" \
    --argjson sudousers "$(for i in "${!SUDO_USERS[@]}"; do printf '%s\t%s\n' "${SUDO_USERS[$i]}" "${SUDO_USER_SHELLS[$i]}"; done | jq -R -s -c 'split("\n") | map(select(. != "") | split("\t") | {name: .[0], shell: .[1]})')" \
    --arg hid "$HOST_ID" --argjson debian "$HOST_DEBIAN" --arg release "$HOST_RELEASE" --arg hn "$(uname -n)" \
    --arg ndv "$HOST_NAME_DOVECOT" --arg ncy "$HOST_NAME_CYRUS" --arg dvlayout "$(dovecot_layout_text)" \
    --argjson dvimapport "$DOVECOT_IMAP_PORT" --argjson cyimapport "$CYRUS_IMAP_PORT" \
    --arg openssh "$(dpkg_version openssh-server | sed -E 's/^[0-9]+://; s/-[^-]*$//')" \
    '{
      host: {id: $hid, debian: $debian, release: $release, hostname: $hn, openssh: $openssh},
      names: {dovecot: $ndv, cyrus: $ncy},
      dir: $dir,
      up: $up,
      running: {sshd: $sshd, dovecot: $dovecot, cyrus: $cyrus},
      ssh: {host: $sshaddr, port: $sshPort, user: "root", identity: ($dir + "/ssh/id_ed25519"),
            knownHosts: ($dir + "/ssh/known_hosts"), hostKey: ($dir + "/ssh/ssh_host_ed25519_key"),
            log: ($dir + "/ssh/sshd.log"), config: ($dir + "/ssh/sshd_config"),
            passwordUser: $pwuser, password: $pw, sudoUsers: $sudousers},
      dovecot: {config: ($dir + "/dovecot/dovecot.conf"), version: $dvversion, imap: $dvimap, separator: "/",
                layout: $dvlayout, mailUid: 8, mailGid: 8, lazyExpunge: "EXPUNGED",
                log: ($dir + "/dovecot/dovecot.log"), passwdFile: ($dir + "/dovecot/passwd"),
                seededAt: (if $seeded == "" then null else $seeded end),
                accounts: $accounts, hostileAccount: $hostile},
      cyrus: {config: ($dir + "/cyrus/imapd.conf"), cyrusConf: ($dir + "/cyrus/cyrus.conf"), version: $cyversion,
              imap: ("127.0.0.1:" + ($cyport | tostring)), admin: $admin, adminPassword: $adminpw, toolsDir: $tools,
              unixhierarchysep: false, separator: ".", altnamespace: false, virtdomains: false,
              expungeMode: "delayed", deleteMode: "delayed", realm: $realm,
              sasldb: ($dir + "/cyrus/sasldb2"), spool: ($dir + "/cyrus/spool"),
              configDirectory: ($dir + "/cyrus/config"),
              seededAt: (if $cyseeded == "" then null else $cyseeded end),
              users: $users, log: ($dir + "/cyrus/syslog.log")},
      hostsFile: ($dir + "/hosts.json"),
      seed: {messageId: "<seed.OWNER.FOLDERSLUG.N@sandbox.mailops.test> (OWNER: account slug or Cyrus user, N from 1)",
             date: "2024-01-01T08:00:00Z + folder index days + N hours; the received/internal date equals it",
             multipart: "message 2 of every folder: multipart/alternative with text/plain and text/html",
             encodedSubject: "message 3 of every folder: RFC 2047 UTF-8 subject",
             flags: "INBOX 1: \\Seen \\Flagged, INBOX 2: \\Seen, INBOX 3+: unseen, other folders: \\Seen",
             dovecotFolderSlugs: $dvslugs, cyrusFolderSlugs: $cyslugs}
    }'
}

write_hosts_file() {
  jq -n --arg dir "$DIR" --arg addr "$SSH_ADDR" --argjson port "$SSH_PORT" --arg admin "$CYRUS_ADMIN" --arg imap "127.0.0.1:$CYRUS_IMAP_PORT" \
    --arg ndv "$HOST_NAME_DOVECOT" --arg ncy "$HOST_NAME_CYRUS" '
    ({host: $addr, port: $port, user: "root", identityFiles: [$dir + "/ssh/id_ed25519"],
      knownHostsFiles: [$dir + "/ssh/known_hosts"], agent: false, useSshConfig: false}) as $ssh
    | {hosts: [
        {name: $ndv, transport: "ssh", ssh: $ssh, server: "dovecot", privilege: {mode: "none"},
         dovecot: {config: ($dir + "/dovecot/dovecot.conf")}},
        {name: $ncy, transport: "ssh", ssh: $ssh, server: "cyrus", privilege: {mode: "none"},
         cyrus: {config: ($dir + "/cyrus/imapd.conf"), cyrusConf: ($dir + "/cyrus/cyrus.conf"), admin: $admin,
                 imap: $imap}}
      ]}' >"$DIR/hosts.json.tmp"
  mv "$DIR/hosts.json.tmp" "$DIR/hosts.json"
}

# ---------------------------------------------------------------------------------------------------------------
# Commands (scripts/sandbox holds the sandbox lock while it runs any of them)
cmd_up() {
  need_root
  start_sshd
  start_dovecot
  [ -f "$DIR/dovecot/.seeded" ] || seed_dovecot
  start_cyrus
  [ -f "$DIR/cyrus/.seeded" ] || seed_cyrus
  write_hosts_file
}

cmd_down() {
  need_root
  stop_cyrus
  stop_dovecot
  stop_sshd
}

cmd_service() { # start|stop SERVICE [ARGS]
  need_root
  local action=$1 svc=${2:-}
  case "$action:$svc" in
    start:sshd) start_sshd ;;
    stop:sshd) stop_sshd "${3:-}" ;;
    start:dovecot) start_dovecot; [ -f "$DIR/dovecot/.seeded" ] || seed_dovecot ;;
    stop:dovecot) stop_dovecot ;;
    start:cyrus) start_cyrus; [ -f "$DIR/cyrus/.seeded" ] || seed_cyrus ;;
    stop:cyrus) stop_cyrus ;;
    *) die "unknown service '$svc' for $action" "use sshd, dovecot or cyrus" ;;
  esac
}

cmd_reseed() { # dovecot ACCOUNT | cyrus USER
  need_root
  local kind=${1:-} who=${2:-} i
  [ -n "$who" ] || die "reseed needs a server and an account" "scripts/sandbox reseed dovecot alice"
  case "$kind" in
    dovecot)
      service_running dovecot || die "Dovecot is not running on $HOST_ID" "run scripts/sandbox up --host $HOST_ID first"
      for i in "${!DOVECOT_ACCOUNTS[@]}"; do
        if [ "${DOVECOT_ACCOUNTS[$i]}" = "$who" ] || [ "${DOVECOT_SLUGS[$i]}" = "$who" ]; then
          seed_dovecot_account "$i"
          say "reseeded Dovecot account ${DOVECOT_ACCOUNTS[$i]} on $HOST_ID"
          return 0
        fi
      done
      die "no seeded Dovecot account '$who'" "accounts: ${DOVECOT_SLUGS[*]} (hostile also by its slug)"
      ;;
    cyrus)
      service_running cyrus || die "Cyrus is not running on $HOST_ID" "run scripts/sandbox up --host $HOST_ID first"
      for i in "${!CYRUS_USERS[@]}"; do
        if [ "${CYRUS_USERS[$i]}" = "$who" ]; then
          seed_cyrus_user "$i"
          say "reseeded Cyrus user $who on $HOST_ID"
          return 0
        fi
      done
      die "no seeded Cyrus user '$who'" "users: ${CYRUS_USERS[*]}"
      ;;
    *) die "reseed: unknown server '$kind'" "use dovecot or cyrus" ;;
  esac
}

main() {
  local cmd=${1:-}
  [ $# -eq 0 ] || shift
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status)
      [ "${1:-}" = --json ] || die "host.sh status takes --json"
      json_status
      ;;
    start | stop) cmd_service "$cmd" "$@" ;;
    reseed) cmd_reseed "$@" ;;
    *) die "host.sh: unknown command '$cmd' (it is run by scripts/sandbox)" ;;
  esac
}

main "$@"
