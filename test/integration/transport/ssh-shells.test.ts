/**
 * Accounts whose login shell is not a POSIX sh (issue 11.7), cancel under sudo (11.13) and a command line
 * far beyond one execve argument (11.11), on the sandbox's real sshd.
 *
 * The sandbox's operators mo-sh, mo-zsh, mo-fish and mo-csh (login shells bash, zsh, fish, tcsh) log in
 * with root's key and may run anything with `sudo -n`. Every command must reach its argv byte for byte
 * whatever the login shell, nothing in an argument may run, and exit codes, signals, stdin and cancel must
 * behave as they do for root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { PWNED_FILE, sandboxExec } from '../../support/sandbox';
import { TransportError } from '../../../src/core/errors';
import type { SshTransport } from '../../../src/core/transport/ssh';
import { nastyArgv } from '../../unit/transport/shellWords';
import { assertPath, PATHS, RecordingPrompter, rootTarget, sandboxSsh, scratch, sleep, transport, type SandboxSsh, type TransportPath } from './helpers';

const SHELLS = [
  { user: 'mo-sh', shell: 'bash' },
  { user: 'mo-zsh', shell: 'zsh' },
  { user: 'mo-fish', shell: 'fish' },
  { user: 'mo-csh', shell: 'tcsh' },
] as const;

let ssh: SandboxSsh;
const tmp = scratch();
const transports = new Map<string, SshTransport>();

before(async () => {
  ssh = await sandboxSsh();
  assert.deepEqual(
    ssh.sudoUsers.map((u) => `${u.name}:${u.shell}`).sort(),
    SHELLS.map((s) => `${s.user}:${s.shell}`).sort(),
    'the sandbox has the operators this test is about',
  );
  for (const path of PATHS) {
    for (const { user } of SHELLS) transports.set(key(path, user), transport(rootTarget(ssh, tmp.dir, { user }), new RecordingPrompter(), `${tmp.dir}/trust`, { killGraceMs: 1500, runner: path.runner }));
  }
});
after(async () => {
  await Promise.all([...transports.values()].map((t) => t.close()));
  tmp.done();
});

const key = (path: TransportPath, user: string) => `${path.runner ? 'runner' : 'channel'}:${user}`;

/** Processes on the host whose command line contains `marker`: "PID USER ARGS" lines (ps run as root inside the host). */
async function hostProcesses(marker: string): Promise<string[]> {
  const r = await sandboxExec(['ps', '-eo', 'pid=,user=,args=']);
  assert.equal(r.code, 0, `ps on the host failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.includes(marker));
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A `sleep` duration nobody else uses, so its processes can be found on the host. */
const uniqueSleep = () => `300.${randomInt(100_000_000, 999_999_999)}`;

for (const path of PATHS) {
const as = (user: string): SshTransport => transports.get(key(path, user))!;

for (const { user, shell } of SHELLS) {
  describe(`login shell ${shell} (${user}, ${path.name})`, () => {
    test(`11.7 the account's login shell is really ${shell}`, async () => {
      await assertPath(as(user), path);
      const r = await as(user).run(['sh', '-c', 'getent passwd "$1" | cut -d: -f7', 'x', user]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), new RegExp(`/${shell}$`), 'the sandbox gave the account this login shell');
    });

    test(`11.7 hostile argv reach the command byte for byte under ${shell}; nothing runs (fast-check, 200 cases)`, async () => {
      const canary = `/tmp/mailops-canary-${randomUUID()}`;
      const t = as(user);
      await fc.assert(
        fc.asyncProperty(nastyArgv(canary), async (argv) => {
          const r = await t.run(['printf', '%s\\0', ...argv]);
          assert.deepEqual({ code: r.code, signal: r.signal, stderr: r.stderr }, { code: 0, signal: null, stderr: '' }, `argv ${JSON.stringify(argv)}`);
          assert.equal(r.stdout, argv.map((a) => `${a}\0`).join(''), `argv ${JSON.stringify(argv)}`);
        }),
        { numRuns: 200 },
      );
      const check = await sandboxExec(['sh', '-c', 'for f; do if test -e "$f"; then echo "EXISTS $f"; fi; done; true', 'check', canary, PWNED_FILE]);
      assert.equal(check.stdout, '', 'nothing in any argv was executed on the host');
      await assertPath(t, path);
    });

    test(`11.7 exit codes, signals, stdin and a missing command under ${shell}`, async () => {
      const t = as(user);
      assert.deepEqual(await t.run(['sh', '-c', 'echo out; echo err >&2; exit 7']), { code: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
      const s = await t.run(['sh', '-c', 'kill -TERM $$']);
      assert.deepEqual([s.code, s.signal], [null, 'SIGTERM']);
      assert.equal((await t.run(['mailops-no-such-command'])).code, 127);
      const secret = `s3cr3t ${randomUUID()} '\\'' $(no)\nline two\r\n`;
      assert.equal((await t.run(['cat'], { stdin: secret })).stdout, secret, 'stdin after the command line reaches the command intact');
      assert.equal((await t.run(['sh', '-c', 'cat; echo "[$0]"', '=x'])).stdout, '[=x]\n', 'no stdin given: the command reads EOF');
    });

    test(`11.7 the PID reported is the remote process group, and cancel stops it under ${shell}`, async () => {
      const t = as(user);
      const d = uniqueSleep();
      const ac = new AbortController();
      const p = t.spawn(['sh', '-c', 'sleep "$1" & sleep "$1"; true', 'x', d], { signal: ac.signal });
      p.stdout.resume();
      p.stderr.resume();
      await waitFor('both sleeps on the host', async () => (await hostProcesses(`sleep ${d}`)).length === 2);
      const pg = await sandboxExec(['sh', '-c', 'ps -eo pgid=,args= | grep -F "sleep $1" | grep -v grep | awk "{print \\$1}" | sort -u', 'x', d]);
      assert.equal(pg.stdout.trim().split('\n').length, 1, `one process group: ${pg.stdout}`);
      ac.abort();
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled');
      await waitFor('no sleep left after the cancel', async () => (await hostProcesses(`sleep ${d}`)).length === 0);
    });

    test(`11.13 cancel of a sudo -n command stops root's whole process tree under ${shell}`, async () => {
      const t = as(user);
      const d = uniqueSleep();
      const p = t.spawn(['sudo', '-n', '--', 'sh', '-c', 'sleep "$1" & sleep "$1"; true', 'x', d]);
      p.stdout.resume();
      p.stderr.resume();
      await waitFor('both sleeps run as root', async () => {
        const ps = await hostProcesses(`sleep ${d}`);
        return ps.length === 2 && ps.every((l) => l.trim().split(/\s+/)[1] === 'root');
      });
      p.cancel('test');
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled');
      await waitFor('no root process left after the cancel', async () => (await hostProcesses(`sleep ${d}`)).length === 0, 6000).catch(async (e: unknown) => {
        throw new Error(`${(e as Error).message}; still on the host:\n${(await hostProcesses(`sleep ${d}`)).join('\n')}`);
      });
    });
  });
}

describe(`privilege and size (${path.name})`, () => {
  test('11.13 a timeout of a sudo -n -u command stops that user\'s process tree', async () => {
    const t = as('mo-sh');
    const d = uniqueSleep();
    const p = t.spawn(['sudo', '-n', '-u', ssh.passwordUser, '--', 'sh', '-c', 'sleep "$1" & sleep "$1"; true', 'x', d], { timeoutMs: 1500 });
    p.stdout.resume();
    p.stderr.resume();
    await waitFor(`both sleeps run as ${ssh.passwordUser}`, async () => {
      const ps = await hostProcesses(`sleep ${d}`);
      return ps.length === 2 && ps.every((l) => l.trim().split(/\s+/)[1] === ssh.passwordUser);
    });
    await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'timeout');
    await waitFor('no process left after the timeout', async () => (await hostProcesses(`sleep ${d}`)).length === 0, 6000).catch(async (e: unknown) => {
      throw new Error(`${(e as Error).message}; still on the host:\n${(await hostProcesses(`sleep ${d}`)).join('\n')}`);
    });
  });

  test('11.11 a 200 KiB argv (20,000 words) reaches /usr/bin/printf over SSH, under every login shell', async () => {
    // One execve argument may hold 128 KiB (MAX_ARG_STRLEN): sshd's `$SHELL -c LINE` refused this line
    // ("Argument list too long"). Now the line travels on stdin; only the final argv meets ARG_MAX.
    const words = Array.from({ length: 20_000 }, (_, i) => `w${String(i).padStart(9, '0')}`);
    const want = words.join('');
    assert.ok(shellBytes(words) > 200 * 1024, `the command line is over 200 KiB (${shellBytes(words)} bytes)`);
    for (const { user } of SHELLS) {
      const r = await as(user).run(['/usr/bin/printf', '%s', ...words]);
      assert.equal(r.stderr, '', `${user}: ${r.stderr.slice(0, 300)}`);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, want, `${user}: printf printed every word`);
    }
    const max = await as('mo-sh').run(['getconf', 'ARG_MAX']);
    assert.ok(Number(max.stdout) >= 200 * 1024, `ARG_MAX on the host: ${max.stdout}`);
    for (const { user } of SHELLS) await assertPath(as(user), path);
  });
});
}

/** The bytes of the command line these words make (each word plus a space). */
function shellBytes(words: string[]): number {
  return words.reduce((n, w) => n + Buffer.byteLength(w) + 1, 0);
}
