/**
 * Issue 11.2 against the REAL sandbox over the REAL sshd: a Cyrus partition path is data, never program text.
 *
 * The restore once listed the extracted files with `sed "s|^|$tmp/$member/|"`, `member` starting with the
 * partition path: a `|` in it ended the expression, and GNU sed's `e` flag ran the line as a command, as root.
 * Here a real archive is made (on the host, with GNU tar, in the backup script's format: .tar.gz, .snar, .meta,
 * mailboxes.db dump) of alice's Archive folder stored under the partition
 *   /var/tmp/mailops-h2-XXXX/x;touch /tmp/mailops-pwned;#|e;#
 * which turns that sed program into `s|^|…/x;touch /tmp/mailops-pwned;#|e;#/uuid/…|` (substitute, execute, and
 * the rest a comment), so each listed file name ran `…/x; touch /tmp/mailops-pwned; #1.` as root:
 * a restore from it must list and restore the folder's messages and create no canary. A partition path that
 * is not absolute is refused, naming it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxCmd, sandboxExec, cyrusUser, PWNED_FILE } from '../../support/sandbox';
import { cli, imapAs, setup, type CyrusEnv } from './helpers';

let env: CyrusEnv;
let backupRoot: string;
let partitionBase: string;
let hostile: string;
const ID = '20240101T000000Z-full';
const RELATIVE_ID = '20240102T000000Z-full';

/**
 * On the host: copy alice's Archive folder into PARTITION/uuid/X/Y/UNIQUEID, then write an archive of it into
 * ROOT/cyrus/archives as the backup script would (its .meta naming that partition, and the dump line of the
 * folder). $1 imapd.conf, $2 tools, $3 partition, $4 archives dir, $5 id, $6 partition as recorded in .meta.
 */
const MAKE_ARCHIVE = String.raw`set -eu
conf=$1; tools=$2; part=$3; archives=$4; id=$5; recorded=$6
line=$("$tools/ctl_mboxlist" -C "$conf" -d | grep -F '"user.alice.Archive": ')
uid=$(printf '%s\n' "$line" | sed -n 's/.*"uniqueid": "\([A-Za-z0-9-]*\)".*/\1/p')
[ -n "$uid" ]
src=$("$tools/mbpath" -C "$conf" -- user.alice.Archive)
a=$(printf '%s' "$uid" | cut -c1); b=$(printf '%s' "$uid" | cut -c2)
mkdir -p -- "$part/uuid/$a/$b"
cp -rp -- "$src" "$part/uuid/$a/$b/$uid"
mkdir -p -- "$archives"
rel=$(printf '%s' "$part" | sed 's#^/##')
tar -C / --listed-incremental="$archives/$id.snar" --level=0 -czf "$archives/$id.tar.gz" -- "$rel"
printf '{\n%s\n}\n' "$line" >"$archives/$id.mailboxes.txt"
printf 'id=%s\nlevel=full\nfull=%s\nbase=\ncreated=2024-01-01T00:00:00Z\nserver=cyrus\nmailboxes=1\nmessage_files=0\nbytes=0\nverified=yes\nconfigdirectory=/nonexistent\npartition-default=%s\n' "$id" "$id" "$recorded" >"$archives/$id.meta"
ls "$part/uuid/$a/$b/$uid" | grep -c '^[0-9]*\.$'`;

before(async () => {
  env = await setup();
  rmSync(PWNED_FILE, { force: true });
  await sandboxCmd('reseed', 'cyrus', 'alice');
  backupRoot = mkdtempSync('/var/tmp/mailops-cyrus-h2-root-');
  chmodSync(backupRoot, 0o755);
  partitionBase = mkdtempSync('/var/tmp/mailops-h2-');
  chmodSync(partitionBase, 0o755);
  hostile = `${partitionBase}/x;touch ${PWNED_FILE};#|e;#`;
  const hosts = JSON.parse(readFileSync(env.info.hostsFile, 'utf8')) as { hosts: Array<{ name: string; cyrus?: Record<string, string> }> };
  for (const h of hosts.hosts) if (h.name === 'sandbox-cyrus') h.cyrus = { ...h.cyrus, backupRoot };
  const file = join(env.scratch, 'hosts.json');
  writeFileSync(file, JSON.stringify(hosts, null, 2));
  env.info = { ...env.info, hostsFile: file };
  const archives = `${backupRoot}/cyrus/archives`;
  const made = await sandboxExec(['sh', '-c', MAKE_ARCHIVE, 'make-archive', env.info.cyrus.config, env.info.cyrus.toolsDir, hostile, archives, ID, hostile]);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(Number(made.stdout.trim()), cyrusUser(env.info, 'alice').mailboxes['INBOX.Archive'], 'the archived copy holds the seeded Archive messages');
  const rel = await sandboxExec(['sh', '-c', MAKE_ARCHIVE, 'make-archive', env.info.cyrus.config, env.info.cyrus.toolsDir, `${partitionBase}/plain`, archives, RELATIVE_ID, `${partitionBase.slice(1)}/plain`]);
  assert.equal(rel.code, 0, rel.stderr);
});

after(async () => {
  await sandboxCmd('reseed', 'cyrus', 'alice');
  env?.cleanup();
  for (const d of [backupRoot, partitionBase]) if (d) rmSync(d, { recursive: true, force: true });
  assert.equal(existsSync(PWNED_FILE), false, `${PWNED_FILE} appeared: a partition path reached a program`);
});

test('11.2 a partition path with "|", ";", "#" and sed\'s e flag is only data: the folder is listed and restored, nothing runs', async () => {
  const seeded = cyrusUser(env.info, 'alice').mailboxes['INBOX.Archive']!;
  const dry = await cli(env, ['cyrus-restore', 'alice', 'Archive', '--from', ID, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(existsSync(PWNED_FILE), false, 'the partition path was executed');
  assert.equal(dry.json.messages.length, seeded);
  assert.ok(dry.json.source.member.startsWith(hostile.slice(1)), dry.json.source.member);
  assert.ok(dry.json.messages.every((m: { messageId: string }) => /^<seed\.alice\./.test(m.messageId)), JSON.stringify(dry.json.messages));

  const r = await cli(env, ['cyrus-restore', 'alice', 'Archive', '--from', ID, '--to', 'From h2', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.restored, seeded);
  const c = await imapAs(env, 'alice');
  assert.equal((await c.select('INBOX.From h2')).exists, seeded);
  await c.logout();
  assert.equal(existsSync(PWNED_FILE), false, 'the partition path was executed');
});

test('11.2 a partition path that is not absolute is refused, naming it, before anything is extracted', async () => {
  const r = await cli(env, ['cyrus-restore', 'alice', 'Archive', '--from', RELATIVE_ID, '--dry-run']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.json.message, new RegExp(`refusing the Cyrus partition default "${partitionBase.slice(1)}/plain": it is not absolute`));
  assert.match(r.json.message, /read from archive 20240102T000000Z-full/);
  const left = await sandboxExec(['sh', '-c', 'ls -A "$1/cyrus"', 'ls', backupRoot]);
  assert.equal(left.stdout.trim(), 'archives');
});
