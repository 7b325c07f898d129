/**
 * 11.3 (the Cyrus admin password and cyrus.imap), against the real sandbox host: a cyrus.imap (from a hosts
 * file, as a repository's settings could once set it) or an --imap that is not a loopback address would
 * have received the admin password in clear. A listener on the machine's non-loopback address stands for
 * the attacker's server: the undelete and the folder restore are refused naming the setting, and the
 * listener never sees a connection. The CLI's admin password file must be owner-only.
 *
 *   MAILOPS_SANDBOX_HOST=d12|d13 flock /var/tmp/mailops-sandbox.testlock \
 *     node --import tsx --test --test-concurrency=1 test/integration/security/imap-loopback.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapClient, quoteImap } from '../../support/imap';
import { cyrusUser, ensureSandboxUp, sandboxCmd, type SandboxInfo } from '../../support/sandbox';
import { cli } from './helpers';

const USER = 'bob';
/** A leaf folder of bob (Cyrus refuses to delete a folder with children). */
const FOLDER = 'Work Stuff';
/** The tests' private port range (COMMON.md: 12000-12999). */
const EVIL_PORT = 12143;

let info: SandboxInfo;
let scratch: string;
let evil: Server;
let evilAddress: string;
/** What the attacker's server received, per connection. */
const received: string[] = [];

/** The machine's first non-loopback IPv4 address: the sandbox hosts share the machine's network. */
function nonLoopbackAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this machine has no non-loopback IPv4 address to stand for a remote IMAP server');
}

before(async () => {
  info = await ensureSandboxUp();
  await sandboxCmd('reseed', 'cyrus', USER);
  scratch = mkdtempSync(join(tmpdir(), 'mailops-imap-loopback-'));
  // bob deletes a folder: on a Mailops that sends the password anywhere, the undelete would reach LOGIN.
  const [h, p] = info.cyrus.imap.split(':');
  const c = await ImapClient.connect({ host: h!, port: Number(p) });
  await c.login(USER, cyrusUser(info, USER).password);
  await c.command(['DELETE', quoteImap(`INBOX${info.cyrus.separator}${FOLDER}`)]);
  await c.logout();
  evilAddress = nonLoopbackAddress();
  evil = createServer((sock) => {
    let text = '';
    received.push('');
    const i = received.length - 1;
    sock.on('data', (d) => {
      text += d.toString('latin1');
      received[i] = text;
    });
    sock.on('error', () => undefined);
    sock.write('* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] collector ready\r\n');
  });
  await new Promise<void>((res, rej) => {
    evil.once('error', rej);
    evil.listen(EVIL_PORT, evilAddress, () => res());
  });
});

after(async () => {
  await new Promise<void>((res) => (evil ? evil.close(() => res()) : res()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (info) await sandboxCmd('reseed', 'cyrus', USER);
});

function passwordFile(mode: number): string {
  const f = join(scratch, `admin-password-${mode.toString(8)}`);
  writeFileSync(f, `${info.cyrus.adminPassword}\n`, { mode });
  return f;
}

/** The sandbox's hosts file with cyrus.imap of the Cyrus host pointing elsewhere. */
function hostsFileWithImap(imap: string): string {
  const raw = JSON.parse(readFileSync(info.hostsFile, 'utf8')) as { hosts: Array<{ name: string; cyrus?: Record<string, unknown> }> };
  for (const h of raw.hosts) if (h.name === info.names.cyrus) h.cyrus = { ...h.cyrus, imap };
  const f = join(scratch, 'hosts-evil-imap.json');
  writeFileSync(f, JSON.stringify(raw, null, 2));
  return f;
}

describe('11.3: the Cyrus admin password goes to a loopback IMAP address only', () => {
  test('11.3: undelete with cyrus.imap set to a non-loopback address is refused, naming the setting; the address never sees a connection', async () => {
    const r = await cli(['undelete', USER, FOLDER, '--yes', '--json', '--host', info.names.cyrus, '--config', hostsFileWithImap(`${evilAddress}:${EVIL_PORT}`)], {
      MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: passwordFile(0o600),
    });
    assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`refusing to send the Cyrus admin password to ${evilAddress.replace(/\./g, '\\.')}:${EVIL_PORT}: cyrus\\.imap of the host "${info.names.cyrus}" is not a loopback address`));
    assert.match(JSON.parse(r.stdout).hint, /127\.0\.0\.1:143/);
    assert.deepEqual(received, [], 'the non-loopback IMAP address received a connection');
    assert.ok(!r.stdout.includes(info.cyrus.adminPassword) && !r.stderr.includes(info.cyrus.adminPassword));
    // Nothing changed: the folder is still deleted.
    const d = await cli(['deleted', USER, '--json', '--host', info.names.cyrus, '--config', info.hostsFile]);
    assert.ok((JSON.parse(d.stdout) as Array<{ originalFolder: string }>).some((x) => x.originalFolder === FOLDER), d.stdout);
  });

  test('11.3: --imap to a non-loopback address is refused for undelete and for a folder restore, before anything is asked or extracted', async () => {
    const env = { MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: passwordFile(0o600) };
    const u = await cli(['undelete', USER, FOLDER, '--yes', '--imap', `${evilAddress}:${EVIL_PORT}`, '--host', info.names.cyrus, '--config', info.hostsFile], env);
    assert.equal(u.code, 2, u.stderr);
    assert.match(u.stderr, /--imap is not a loopback address/);
    const c = await cli(['cyrus-restore', USER, FOLDER, '--from', '20990101T000000Z-full', '--yes', '--imap', `${evilAddress}:${EVIL_PORT}`, '--host', info.names.cyrus, '--config', info.hostsFile], env);
    assert.equal(c.code, 2, c.stderr);
    assert.match(c.stderr, /--imap is not a loopback address/);
    assert.deepEqual(received, [], 'the non-loopback IMAP address received a connection');
  });

  test('11.5 (CLI): an admin password file others can read is refused; one the server rejects fails naming the file', async () => {
    const open = await cli(['undelete', USER, FOLDER, '--yes', '--json', '--host', info.names.cyrus, '--config', info.hostsFile], { MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: passwordFile(0o644) });
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /can be read or written by others \(mode 0644\)/);
    assert.match(JSON.parse(open.stdout).hint, /chmod 600/);
    const wrong = join(scratch, 'wrong');
    writeFileSync(wrong, 'Not-The-Password-1\n', { mode: 0o600 });
    const bad = await cli(['undelete', USER, FOLDER, '--yes', '--json', '--host', info.names.cyrus, '--config', info.hostsFile], { MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: wrong });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /IMAP LOGIN as cyrus failed/);
    assert.ok(JSON.parse(bad.stdout).hint.includes(wrong), 'the hint names the file the refused password came from');
    assert.doesNotMatch(bad.stdout + bad.stderr, /Not-The-Password-1/);
  });
});
