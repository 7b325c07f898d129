/**
 * Issue 11.6 against the REAL sandbox (Dovecot 2.3 on d12, 2.4 on d13) over the REAL sshd:
 *  - a folder named `-x` (made with doveadm on the host) is listed, read and restored like any other: every
 *    mailbox argument of doveadm sits behind `--` (without it doveadm 2.3 and 2.4 say "invalid option -- 'x'");
 *  - an account `a*`, `*`, `-A` (Dovecot) or `a%`, `*` (Cyrus) is refused before anything runs, naming the
 *    rule: no SSH connection is even opened (the sshd log shows no new login).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureSandboxUp, REPO_ROOT, type SandboxInfo } from '../../support/sandbox';
import { assertNotPwned, doveadm, liveMessages, reseed, setupEnv, type Env } from '../dovecot/restore-helpers';
import { setup as cyrusSetup, type CyrusEnv } from '../cyrus/helpers';

const FOLDER = '-x';
const run = promisify(execFile);

/**
 * The real CLI with its global options FIRST, so that `--` in `args` ends the command's options and a
 * name starting with "-" is an argument (`mailops --host H --config F --json messages alice -- -x`).
 */
async function cli(host: string, hostsFile: string, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const argv = ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), '--host', host, '--config', hostsFile, '--json', ...args];
  let r: { code: number; stdout: string; stderr: string };
  try {
    r = { code: 0, ...(await run(process.execPath, argv, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, MAILOPS_HOST: '', ...extraEnv } })) };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    r = { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
  let json: unknown;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

describe('11.6 option and wildcard injection into doveadm', () => {
  let env: Env;
  let sb: SandboxInfo;
  let cyrus: CyrusEnv;

  before(async () => {
    sb = await ensureSandboxUp();
    env = await setupEnv('names');
    cyrus = await cyrusSetup();
    await reseed('alice');
    await doveadm(env, ['mailbox', 'create', '-u', 'alice', '--', FOLDER]);
    for (const n of [1, 2]) {
      const msg = `From: Dash <dash@example.test>\r\nTo: alice <alice@example.test>\r\nSubject: in the dash folder ${n}\r\nMessage-ID: <dash.${n}@sandbox.mailops.test>\r\nDate: Mon, 01 Jan 2024 0${n}:00:00 +0000\r\n\r\nbody ${n}\r\n`;
      await doveadm(env, ['save', '-u', 'alice', '-m', FOLDER], msg);
    }
  });

  after(async () => {
    await reseed('alice');
    await env?.cleanup();
    cyrus?.cleanup();
    assertNotPwned();
  });

  test('11.6 a folder named "-x" is listed, its messages are listed and read', async () => {
    const boxes = await cli('sandbox-dovecot', env.hostsFile, ['mailboxes', 'alice']);
    assert.equal(boxes.code, 0, boxes.stderr);
    assert.equal(boxes.json.find((m: { name: string }) => m.name === FOLDER)?.messages, 2, JSON.stringify(boxes.json));
    const list = await cli('sandbox-dovecot', env.hostsFile, ['messages', 'alice', '--', FOLDER]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.json.map((m: { subject: string }) => m.subject).sort(), ['in the dash folder 1', 'in the dash folder 2']);
    const uid = list.json[0].uid as number;
    const shown = await cli('sandbox-dovecot', env.hostsFile, ['messages', '--show', String(uid), 'alice', '--', FOLDER]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.json.subject, /^in the dash folder [12]$/);
    assert.match(shown.json.text, /^body [12]/);
  });

  test('11.6 messages expunged from "-x" come back into "-x" (lazy_expunge, into the original folder) and from the mirror into a new folder "-y"', async () => {
    const backup = await cli('sandbox-dovecot', env.hostsFile, ['backup', 'alice']);
    assert.equal(backup.code, 0, backup.stderr);
    await doveadm(env, ['expunge', '-u', 'alice', '--', 'mailbox', FOLDER, 'all']);
    assert.equal((await liveMessages(env, 'alice')).filter((m) => m.mailbox === FOLDER).length, 0);

    const back = await cli('sandbox-dovecot', env.hostsFile, ['restore', 'alice', '--from', 'expunged', '--into-original', '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual([...new Set(back.json.plan.toRestore.map((m: { destination: string }) => m.destination))], [FOLDER]);
    const live = await liveMessages(env, 'alice');
    assert.deepEqual(live.filter((m) => m.mailbox === FOLDER).map((m) => m.subject).sort(), ['in the dash folder 1', 'in the dash folder 2']);
    assert.ok(live.filter((m) => m.mailbox === FOLDER).every((m) => m.flags.includes('$Restored')));

    await doveadm(env, ['expunge', '-u', 'alice', '--', 'mailbox', FOLDER, 'all']);
    const fromMirror = await cli('sandbox-dovecot', env.hostsFile, ['restore', 'alice', '--from', 'mirror', `--mailbox=${FOLDER}`, '--into=-y', '--yes']);
    assert.equal(fromMirror.code, 0, fromMirror.stderr);
    assert.equal(fromMirror.json.restored.length, 2);
    const again = await liveMessages(env, 'alice');
    assert.deepEqual(again.filter((m) => m.mailbox === `-y${env.separator}${FOLDER}`).map((m) => m.subject).sort(), ['in the dash folder 1', 'in the dash folder 2']);
  });

  test('11.6 an account "a*", "*" or "-A" is refused before anything runs, naming the rule (Dovecot and Cyrus)', async () => {
    const log = sb.ssh.log;
    const logins = () => (readFileSync(log, 'utf8').match(/Accepted publickey for /g) ?? []).length;
    const before0 = logins();
    const size0 = statSync(log).size;
    const cases: Array<[string, string[], RegExp]> = [
      ['mailboxes a*', ['mailboxes', 'a*'], /refusing the account "a\*": a Dovecot account name cannot contain "\*": doveadm -u treats \* and \? as wildcards/],
      ['restore *', ['restore', '*', '--from', 'mirror', '--into-original', '--yes'], /refusing the account "\*": a Dovecot account name cannot contain "\*"/],
      ['messages -A', ['messages', '--', '-A', 'INBOX'], /refusing the account "-A": an account name cannot start with "-"/],
      ['backup -A', ['backup', '--', '-A'], /refusing the account "-A": an account name cannot start with "-"/],
      ['verify b?b', ['verify', 'b?b'], /a Dovecot account name cannot contain "\?"/],
    ];
    for (const [label, args, rule] of cases) {
      const r = await cli('sandbox-dovecot', env.hostsFile, args);
      assert.equal(r.code, 2, `${label}: ${r.stdout}${r.stderr}`);
      assert.match(r.json?.message ?? r.stderr, rule, label);
    }
    const cyrusCases: Array<[string, string[], RegExp]> = [
      ['folders a%', ['folders', 'a%'], /refusing the account "a%": a Cyrus account name cannot contain "%"/],
      ['expunged *', ['expunged', '*'], /refusing the account "\*": a Cyrus account name cannot contain "\*"/],
      ['cyrus-restore -A', ['cyrus-restore', '--from', '20240101T000000Z-full', '--dry-run', '--', '-A', 'INBOX'], /refusing the account "-A": an account name cannot start with "-"/],
    ];
    for (const [label, args, rule] of cyrusCases) {
      const r = await cli('sandbox-cyrus', cyrus.info.hostsFile, args, { MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: cyrus.passwordFile });
      assert.equal(r.code, 2, `${label}: ${r.stdout}${r.stderr}`);
      assert.match(r.json?.message ?? r.stderr, rule, label);
    }
    assert.equal(logins(), before0, `an SSH login happened while refusing: ${readFileSync(log).subarray(size0).toString('utf8')}`);
  });
});
