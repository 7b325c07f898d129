/**
 * Must-show "secret scan" (issue 11), CLI and core against the real sandbox host: during a real Cyrus undelete
 * with the admin password and a real SSH password login (user mailops, password typed on the CLI's terminal),
 * the passwords appear in none of the host's /proc/PID/cmdline (nor environ), sampled in a tight loop on the
 * host while the operations run; nor in the sshd log, the Cyrus and Dovecot logs, the host's other logs and
 * Mailops' run logs (every *.log of the host's state folder, /var/log, the backup roots); nor in the CLI's
 * output with its debug log on (MAILOPS_DEBUG=1).
 *
 *   MAILOPS_SANDBOX_HOST=d12|d13 flock /var/tmp/mailops-sandbox.testlock \
 *     node --import tsx --test --test-concurrency=1 test/integration/security/secret-scan.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapClient, quoteImap } from '../../support/imap';
import { cyrusUser, ensureSandboxUp, sandboxCmd, type SandboxInfo } from '../../support/sandbox';
import { cli, cliOnTty, hostFilesContaining, sampleProcesses } from './helpers';

const USER = 'bob';
/** A folder of bob as seeded (a leaf: Cyrus refuses to delete a folder with children), deleted by its owner and brought back by the undelete. */
const FOLDER = 'Work Stuff';

let info: SandboxInfo;
let scratch: string;

before(async () => {
  info = await ensureSandboxUp();
  await sandboxCmd('reseed', 'cyrus', USER);
  scratch = mkdtempSync(join(tmpdir(), 'mailops-secret-scan-it-'));
});

after(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  // Leave bob as seeded for the other tests.
  if (info) await sandboxCmd('reseed', 'cyrus', USER);
});

/**
 * Every place on the host where a leaked password would stay: the logs of sshd, Cyrus (syslog), Dovecot, the
 * host's /var/log, Mailops' run and operation logs under the backup roots, and every *.log of the host's state
 * folder (not its secrets/ folder, where the sandbox keeps the passwords it generated).
 */
async function hostLogsContaining(secret: string): Promise<string[]> {
  return hostFilesContaining([secret], [info.ssh.log, info.cyrus.log, info.dovecot.log, '/var/log', '/var/backups/mailops'], [info.dir]);
}

describe('secret scan: a Cyrus undelete with the admin password and an SSH password login leak the passwords nowhere', () => {
  test('the admin password: not in any /proc/*/cmdline or environ during the undelete, not in the host\'s logs, not in the CLI\'s debug output', async () => {
    const admin = info.cyrus.adminPassword;
    assert.ok(admin.length >= 8, 'the sandbox reports its admin password');
    // bob deletes the folder himself (delayed delete keeps it as DELETED.*).
    const [ihost, iport] = info.cyrus.imap.split(':');
    const c = await ImapClient.connect({ host: ihost!, port: Number(iport) });
    await c.login(USER, cyrusUser(info, USER).password);
    await c.command(['DELETE', quoteImap(`INBOX${info.cyrus.separator}${FOLDER}`)]);
    await c.logout();

    const passwordFile = join(scratch, 'admin-password');
    writeFileSync(passwordFile, `${admin}\n`, { mode: 0o600 });
    const { result: run, samples } = await sampleProcesses([admin], ['/dev/tcp/'], () =>
      cli(['undelete', USER, FOLDER, '--yes', '--json', '--host', info.names.cyrus, '--config', info.hostsFile], {
        MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: passwordFile,
        MAILOPS_DEBUG: '1',
      }),
    );
    assert.equal(run.code, 0, `undelete: ${run.stderr}`);
    assert.equal(JSON.parse(run.stdout).done, true);
    // The sampling covered the operation: the IMAP pipe that carried LOGIN (bash's /dev/tcp) was seen in the
    // process table.
    assert.ok(samples.rounds > 3, `the sampler made ${samples.rounds} rounds`);
    assert.ok((samples.seen.get('/dev/tcp/') ?? 0) > 0, `the IMAP bridge was never seen in ${samples.rounds} rounds (seen: ${[...samples.seen.keys()].join(', ')})`);
    assert.deepEqual(samples.leaks, [], 'the admin password was in a process command line or environment');

    assert.ok(run.stderr.includes('mailops: debug:'), 'the debug log was on (MAILOPS_DEBUG=1)');
    assert.ok(!run.stdout.includes(admin) && !run.stderr.includes(admin), 'the admin password is in the CLI output or its debug log');
    assert.deepEqual(await hostLogsContaining(admin), [], 'host logs containing the admin password');
    // The LOGIN itself reached the server (it logs the admin's login, never the password).
    assert.match(readFileSync(info.cyrus.log, 'utf8'), /login: .*\bcyrus\b/);
  });

  test('the SSH password of mailops, typed on the terminal: not in any /proc/*/cmdline or environ during the login, not in the sshd log, not in the CLI\'s output', async () => {
    const password = info.ssh.password;
    assert.ok(password.length >= 8, 'the sandbox reports the mailops password');
    const sshLogBefore = readFileSync(info.ssh.log, 'utf8').length;
    const { result: run, samples } = await sampleProcesses([password], [`sshd(-session)?: ${info.ssh.passwordUser}`], () =>
      cliOnTty(
        ['probe', '--ssh', `${info.ssh.passwordUser}@${info.ssh.host}:${info.ssh.port}`, '--known-hosts', info.ssh.knownHosts, '--json'],
        [{ when: /assword: /, type: password }],
        { MAILOPS_DEBUG: '1', SSH_AUTH_SOCK: undefined, HOME: scratch },
      ),
    );
    assert.equal(run.code, 0, `probe as ${info.ssh.passwordUser}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /"detected"/, 'the probe ran as the password user');
    assert.ok((samples.seen.size) > 0, `the login's sshd session was never seen in ${samples.rounds} rounds`);
    assert.deepEqual(samples.leaks, [], 'the SSH password was in a process command line or environment');
    assert.ok(run.stdout.includes('mailops: debug:'), 'the debug log was on (MAILOPS_DEBUG=1)');
    assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), 'the SSH password is in what the terminal showed or in the debug log');
    const sshLog = readFileSync(info.ssh.log, 'utf8').slice(sshLogBefore);
    assert.match(sshLog, new RegExp(`Accepted (keyboard-interactive/pam|password) for ${info.ssh.passwordUser}`), 'sshd logged the password login');
    assert.deepEqual(await hostLogsContaining(password), [], 'host logs containing the SSH password');
  });
});
