/**
 * A sandbox mail host itself (scripts/sandbox; MAILOPS_SANDBOX_HOST picks d12 or d13): idempotent `up`, a complete
 * `status --json` with the generation's versions, sshd by key and by password with the OpenSSH client, Dovecot
 * accounts and seeded counts through the host's own doveadm, Cyrus mailboxes through its ctl_mboxlist -d and IMAP,
 * reseed back to the documented state, stop/start sshd, a host's own process list, and no hostile name ever
 * reaching a shell (/tmp/mailops-pwned). Needs root. Run:
 *   MAILOPS_SANDBOX_HOST=d13 node --import tsx --test test/integration/sandbox/sandbox.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHostList } from '../../../src/core/hosts/model';
import { encodeMutf7 } from '../../../src/core/cyrus/utf7';
import { ImapClient } from '../../support/imap';
import {
  PWNED_FILE,
  cyrusUser,
  dovecotAccount,
  ensureSandboxUp,
  runSandbox,
  sandboxCmd,
  sandboxExec,
  sandboxHostId,
  sandboxStatus,
  type SandboxInfo,
} from '../../support/sandbox';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program with an argv (no shell), with an optional environment and stdin closed. */
function run(file: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function pwnedStamp(): number | null {
  return existsSync(PWNED_FILE) ? statSync(PWNED_FILE).mtimeMs : null;
}

const pwnedBefore = pwnedStamp();
let info: SandboxInfo;

function sshBaseArgs(s: SandboxInfo): string[] {
  return ['-o', `UserKnownHostsFile=${s.ssh.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=10', '-p', String(s.ssh.port)];
}

/** The host's own doveadm (2.3 on d12, 2.4 on d13), run on the host. */
function doveadm(s: SandboxInfo, ...args: string[]): Promise<Run> {
  return sandboxExec(['doveadm', '-c', s.dovecot.config, ...args]);
}

/** A Cyrus tool of the host (3.6 on d12, 3.10 on d13), run on the host. */
function cyrusTool(s: SandboxInfo, tool: string, ...args: string[]): Promise<Run> {
  return sandboxExec([join(s.cyrus.toolsDir, tool), '-C', s.cyrus.config, ...args]);
}

/** What each generation ships (Debian 12 bookworm, Debian 13 trixie). */
const GENERATIONS: Record<string, { debian: number; release: string; ssh: number; dovecot: RegExp; cyrus: RegExp; openssh: RegExp; dovecotImap: string; cyrusImap: string }> = {
  d12: { debian: 12, release: 'bookworm', ssh: 2222, dovecot: /^2\.3\./, cyrus: /^3\.6\./, openssh: /^9\.2/, dovecotImap: '127.0.0.1:10143', cyrusImap: '127.0.0.1:11143' },
  d13: { debian: 13, release: 'trixie', ssh: 2223, dovecot: /^2\.4\./, cyrus: /^3\.10\./, openssh: /^10\.0/, dovecotImap: '127.0.0.1:10144', cyrusImap: '127.0.0.1:11144' },
};
const GEN = GENERATIONS[sandboxHostId()]!;

test('up starts the sandbox and a second up changes nothing', async () => {
  info = await ensureSandboxUp();
  const pids = () =>
    ['ssh/sshd.pid', 'dovecot/run/master.pid', 'cyrus/master.pid', 'init.pid'].map((p) => readFileSync(join(info.dir, p), 'utf8').trim());
  const before = pids();
  const again = await runSandbox(['up']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr.trim(), '', 'a second up should neither start nor seed anything');
  assert.deepEqual(pids(), before);
  const status = await runSandbox(['status']);
  assert.equal(status.code, 0);
  assert.match(status.stdout, new RegExp(`ssh -i \\S+id_ed25519 .*-p ${GEN.ssh} root@127\\.0\\.0\\.1`));
});

test('status --json is complete and hosts.json is a valid Mailops hosts file', async () => {
  // ensureSandboxUp, not sandboxStatus: other suites stop and start services of the shared sandbox.
  const s = await ensureSandboxUp();
  assert.equal(s.up, true);
  assert.deepEqual(s.running, { sshd: true, dovecot: true, cyrus: true });
  assert.equal(s.host.id, sandboxHostId());
  assert.equal(s.host.debian, GEN.debian);
  assert.equal(s.host.release, GEN.release);
  assert.match(s.host.openssh, GEN.openssh);
  assert.equal(s.host.hostname, `${s.host.id}.sandbox.mailops.test`);
  assert.equal(s.ssh.host, '127.0.0.1');
  assert.equal(s.ssh.port, GEN.ssh);
  assert.equal(s.ssh.user, 'root');
  assert.equal(s.ssh.passwordUser, 'mailops');
  assert.ok(s.ssh.password.length >= 12);
  for (const f of [s.ssh.identity, s.ssh.knownHosts, s.ssh.hostKey, s.ssh.log, s.dovecot.config, s.cyrus.config, s.cyrus.cyrusConf, s.cyrus.log, s.hostsFile]) {
    assert.ok(existsSync(f), `${f} should exist`);
  }
  assert.match(s.dovecot.version, GEN.dovecot);
  assert.equal(s.dovecot.separator, '/');
  assert.equal(s.dovecot.imap, GEN.dovecotImap);
  assert.deepEqual(s.dovecot.accounts.map((a) => a.slug), ['alice', 'bob', 'carol', 'hostile']);
  assert.equal(s.dovecot.hostileAccount, dovecotAccount(s, 'hostile').name);
  assert.match(s.dovecot.hostileAccount, /\$\(touch \/tmp\/mailops-pwned\)/);
  for (const a of s.dovecot.accounts) {
    assert.ok(a.password.length >= 12);
    assert.equal(a.total, Object.values(a.mailboxes).reduce((x, y) => x + y, 0));
    assert.equal(a.mailboxes[s.dovecot.lazyExpunge], 0);
  }
  assert.match(s.cyrus.version, GEN.cyrus);
  assert.equal(s.cyrus.imap, GEN.cyrusImap);
  assert.equal(s.cyrus.admin, 'cyrus');
  assert.ok(s.cyrus.adminPassword.length >= 12);
  assert.equal(s.cyrus.unixhierarchysep, false);
  assert.deepEqual(s.cyrus.users.map((u) => u.name), ['alice', 'bob']);
  for (const u of s.cyrus.users) assert.equal(u.internalNames.length, Object.keys(u.mailboxes).length);

  const hosts = parseHostList(JSON.parse(readFileSync(s.hostsFile, 'utf8')));
  assert.deepEqual(hosts.map((h) => [h.name, h.server, h.transport]), [
    [s.names.dovecot, 'dovecot', 'ssh'],
    [s.names.cyrus, 'cyrus', 'ssh'],
  ]);
  for (const h of hosts) {
    assert.equal(h.ssh?.host, '127.0.0.1');
    assert.equal(h.ssh?.port, GEN.ssh);
    assert.equal(h.ssh?.user, 'root');
    assert.deepEqual(h.ssh?.identityFiles, [s.ssh.identity]);
    assert.deepEqual(h.ssh?.knownHostsFiles, [s.ssh.knownHosts]);
    assert.equal(h.ssh?.agent, false);
  }
  assert.equal(hosts[0]!.dovecot?.config, s.dovecot.config);
  assert.equal(hosts[1]!.cyrus?.config, s.cyrus.config);
  assert.equal(hosts[1]!.cyrus?.cyrusConf, s.cyrus.cyrusConf);
  assert.equal(hosts[1]!.cyrus?.admin, 'cyrus');
  assert.equal(hosts[1]!.cyrus?.imap, GEN.cyrusImap);
});

test('the host runs its own generation: its tools, host name and process list', async () => {
  const s = info;
  const v = await sandboxExec(['dovecot', '--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, GEN.dovecot);
  const os = await sandboxExec(['sh', '-c', '. /etc/os-release && printf %s "$VERSION_ID"']);
  assert.equal(os.stdout, String(GEN.debian));
  const hn = await sandboxExec(['uname', '-n']);
  assert.equal(hn.stdout.trim(), s.host.hostname);
  // Its own PID namespace: the other host's daemons are not in its process list.
  const ps = await sandboxExec(['sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " <"$f"; echo; done 2>/dev/null']);
  const other = Object.keys(GENERATIONS).find((id) => id !== s.host.id)!;
  assert.doesNotMatch(ps.stdout, new RegExp(`/hosts/${other}/`), `${s.host.id} must not see ${other}'s processes`);
  assert.match(ps.stdout, new RegExp(`/hosts/${s.host.id}/ssh/sshd_config`), 'its own sshd is in its process list');
  // Over SSH, a session runs inside the host too.
  const r = await run('ssh', ['-i', s.ssh.identity, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', ...sshBaseArgs(s), 'root@127.0.0.1', `uname -n; doveadm -c '${s.dovecot.config}' user '*' >/dev/null && dovecot --version`]);
  assert.equal(r.code, 0, r.stderr);
  const [name, version] = r.stdout.trim().split('\n');
  assert.equal(name, s.host.hostname);
  assert.match(version!, GEN.dovecot);
});

test('root logs in with the generated key, strict host key checking on', async () => {
  const s = info;
  const r = await run('ssh', ['-i', s.ssh.identity, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', ...sshBaseArgs(s), 'root@127.0.0.1', 'true']);
  assert.equal(r.code, 0, r.stderr);
  const who = await run('ssh', ['-i', s.ssh.identity, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', ...sshBaseArgs(s), 'root@127.0.0.1', 'id -un']);
  assert.equal(who.stdout.trim(), 'root');
});

test('mailops logs in by password and by keyboard-interactive (SSH_ASKPASS)', async () => {
  const s = info;
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-askpass-'));
  try {
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, s.ssh.password, { mode: 0o600 });
    const askpass = join(dir, 'askpass.sh');
    writeFileSync(askpass, `#!/bin/sh\ncat '${pwFile}'\n`);
    chmodSync(askpass, 0o700);
    const env = { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: process.env.DISPLAY ?? ':0' };
    for (const method of ['password', 'keyboard-interactive']) {
      const r = await run(
        'setsid',
        ['-w', 'ssh', '-o', 'PubkeyAuthentication=no', '-o', `PreferredAuthentications=${method}`, '-o', 'NumberOfPasswordPrompts=1', ...sshBaseArgs(s), `${s.ssh.passwordUser}@127.0.0.1`, 'id -un'],
        { env },
      );
      assert.equal(r.code, 0, `${method}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), 'mailops', method);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const log = readFileSync(s.ssh.log, 'utf8');
  assert.match(log, /Accepted (password|keyboard-interactive\/pam) for mailops from 127\.0\.0\.1/);
  assert.match(log, /Accepted publickey for root from 127\.0\.0\.1/);
});

test('doveadm lists every account, the hostile one included', async () => {
  const s = info;
  const r = await doveadm(s, 'user', '*');
  assert.equal(r.code, 0, r.stderr);
  const users = r.stdout.split('\n').filter(Boolean);
  for (const a of s.dovecot.accounts) assert.ok(users.includes(a.name), `doveadm user '*' should list ${a.name}`);
  const hostile = dovecotAccount(s, 'hostile');
  const one = await doveadm(s, 'user', '-f', 'home', hostile.name);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout.trim().split('\n').pop(), hostile.home);
});

test('doveadm mailbox status matches the documented counts (alice and the hostile account)', async () => {
  const s = info;
  // Other tests share the sandbox and change alice's mail: start from the seeded state.
  await sandboxCmd('reseed', 'dovecot', 'alice');
  await sandboxCmd('reseed', 'dovecot', 'hostile');
  for (const slug of ['alice', 'hostile']) {
    const a = dovecotAccount(s, slug);
    const r = await doveadm(s, '-f', 'json', 'mailbox', 'status', '-u', a.name, 'messages', '*');
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ mailbox: string; messages: string }>;
    const got = Object.fromEntries(rows.map((x) => [x.mailbox, Number(x.messages)]));
    assert.deepEqual(got, a.mailboxes, slug);
  }
  // Received dates come from the Date header, not from the time of seeding.
  const f = await doveadm(s, '-f', 'json', 'fetch', '-u', 'alice', 'date.received.unixtime date.sent.unixtime hdr.message-id', 'mailbox', 'INBOX', 'all');
  assert.equal(f.code, 0, f.stderr);
  const msgs = JSON.parse(f.stdout) as Array<Record<string, string>>;
  assert.equal(msgs.length, dovecotAccount(s, 'alice').mailboxes.INBOX);
  for (const m of msgs) assert.equal(m['date.received.unixtime'], m['date.sent.unixtime']);
  assert.equal(msgs[0]!['hdr.message-id'], '<seed.alice.inbox.1@sandbox.mailops.test>');
});

test('reseed dovecot puts an account back to its seeded state, EXPUNGED emptied', async () => {
  const s = info;
  const carol = dovecotAccount(s, 'carol');
  // Start from the seed: other suites leave mail in carol's EXPUNGED.
  await sandboxCmd('reseed', 'dovecot', 'carol');
  const ex = await doveadm(s, 'expunge', '-u', carol.name, 'mailbox', 'Work Stuff', 'uid', '1');
  assert.equal(ex.code, 0, ex.stderr);
  const mid = await doveadm(s, '-f', 'json', 'mailbox', 'status', '-u', carol.name, 'messages', 'EXPUNGED');
  assert.equal((JSON.parse(mid.stdout) as Array<{ messages: string }>)[0]!.messages, '1', 'lazy_expunge should keep the message');
  await sandboxCmd('reseed', 'dovecot', 'carol');
  const r = await doveadm(s, '-f', 'json', 'mailbox', 'status', '-u', carol.name, 'messages', '*');
  const got = Object.fromEntries((JSON.parse(r.stdout) as Array<{ mailbox: string; messages: string }>).map((x) => [x.mailbox, Number(x.messages)]));
  assert.deepEqual(got, carol.mailboxes);
});

test('Cyrus: ctl_mboxlist -d lists the seeded mailboxes', async () => {
  const s = info;
  // Every seeded user from its seed: other suites delete and restore folders of alice and bob.
  for (const u of s.cyrus.users) await sandboxCmd('reseed', 'cyrus', u.name);
  const r = await cyrusTool(s, 'ctl_mboxlist', '-d');
  assert.equal(r.code, 0, r.stderr);
  const db = JSON.parse(r.stdout) as Record<string, { mbtype: string }>;
  for (const u of s.cyrus.users) {
    for (const name of u.internalNames) {
      assert.ok(db[name], `ctl_mboxlist -d should list ${name}`);
      assert.ok(!db[name]!.mbtype.includes('d'), `${name} should not be a tombstone`);
    }
  }
});

test('Cyrus: IMAP login as a user and as the admin; counts match', async () => {
  const s = info;
  const [host, port] = s.cyrus.imap.split(':');
  const alice = cyrusUser(s, 'alice');
  const c = await ImapClient.connect({ host: host!, port: Number(port) });
  try {
    await c.login(alice.name, alice.password);
    for (const [mailbox, count] of Object.entries(alice.mailboxes)) {
      const sel = await c.select(encodeMutf7(mailbox));
      assert.equal(sel.exists, count, mailbox);
    }
  } finally {
    await c.logout();
  }
  const admin = await ImapClient.connect({ host: host!, port: Number(port) });
  try {
    await admin.login(s.cyrus.admin, s.cyrus.adminPassword);
    const names = (await admin.list('*', 'user.')).map((m) => m.name);
    for (const u of s.cyrus.users) for (const n of u.internalNames) assert.ok(names.includes(n), `admin LIST should show ${n}`);
  } finally {
    await admin.logout();
  }
});

test('reseed cyrus removes expunged messages and deleted folders, then seeds again', async () => {
  const s = info;
  const bob = cyrusUser(s, 'bob');
  const [host, port] = s.cyrus.imap.split(':');
  const c = await ImapClient.connect({ host: host!, port: Number(port) });
  try {
    await c.login(bob.name, bob.password);
    await c.select('INBOX');
    await c.expungeUids([1]);
    await c.command(['DELETE', 'INBOX.Archive.2023']);
  } finally {
    await c.logout();
  }
  await sandboxCmd('reseed', 'cyrus', 'bob');
  const r = await cyrusTool(s, 'ctl_mboxlist', '-d');
  // Tombstones (mbtype with "d") are what deleted mailboxes leave in mailboxes.db: not mailboxes.
  const db = JSON.parse(r.stdout) as Record<string, { mbtype?: string }>;
  const names = Object.keys(db).filter((n) => !(db[n]!.mbtype ?? '').includes('d'));
  assert.deepEqual(names.filter((n) => n.startsWith('DELETED.user.bob.') || n === 'DELETED.user.bob'), []);
  assert.deepEqual(names.filter((n) => n === 'user.bob' || n.startsWith('user.bob.')).sort(), [...bob.internalNames].sort());
  const un = await cyrusTool(s, 'unexpunge', '-l', 'user.bob');
  assert.doesNotMatch(un.stdout, /UID:/, 'no expunged messages should be left');
  const again = await ImapClient.connect({ host: host!, port: Number(port) });
  try {
    await again.login(bob.name, bob.password);
    assert.equal((await again.select('INBOX')).exists, bob.mailboxes.INBOX);
  } finally {
    await again.logout();
  }
});

test('stop sshd / start sshd', async () => {
  await sandboxCmd('stop', 'sshd');
  const down = await sandboxStatus();
  assert.equal(down.running.sshd, false);
  assert.equal(down.up, false);
  assert.equal((await runSandbox(['status', '--json'])).code, 3);
  await sandboxCmd('start', 'sshd');
  const up = await sandboxStatus();
  assert.equal(up.up, true);
  const r = await run('ssh', ['-i', up.ssh.identity, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', ...sshBaseArgs(up), 'root@127.0.0.1', 'true']);
  assert.equal(r.code, 0, r.stderr);
});

test('no hostile name reached a shell', () => {
  assert.equal(pwnedStamp(), pwnedBefore, `${PWNED_FILE} was created or touched during this test run`);
});
