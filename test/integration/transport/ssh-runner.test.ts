/**
 * The session runner (issue 17.3) on the sandbox's real sshd: what only this path promises. Everything
 * both paths promise (argv fidelity under every login shell, cancel, timeout, sudo, drops, backpressure)
 * runs on both in ssh.test.ts, ssh-shells.test.ts and ssh-drop.test.ts.
 *
 * - The runner leaves nothing on the host: gone from the process list after close, and after a dropped
 *   connection, with its commands (a sudo command's root processes too).
 * - A cancelled command's process group is gone.
 * - 50 concurrent commands finish together: not queued behind sshd's MaxSessions (10) or maxChannels (8).
 * - One command whose output nobody reads does not hold up the others on the shared channel.
 * - Without an interpreter the transport falls back to a channel per command and says so in the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { sandboxExec } from '../../support/sandbox';
import { TransportError } from '../../../src/core/errors';
import type { SshTransport } from '../../../src/core/transport/ssh';
import { assertPath, PATHS, RecordingPrompter, rootTarget, sandboxSsh, scratch, sleep, transport, type SandboxSsh } from './helpers';

const RUNNER = PATHS.find((p) => p.runner)!;
let ssh: SandboxSsh;
const tmp = scratch();

before(async () => {
  ssh = await sandboxSsh();
});
after(() => tmp.done());

function runnerTransport(user?: string, extra: Parameters<typeof transport>[3] = {}): SshTransport {
  return transport(rootTarget(ssh, tmp.dir, user ? { user } : {}), new RecordingPrompter(), `${tmp.dir}/trust`, { runner: true, killGraceMs: 1500, ...extra });
}

interface HostProcess {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
  user: string;
  args: string;
}

/**
 * The host's live processes, read as root inside the host (not through the transport under test). Zombies
 * are left out: a process that exited but whose parent (a killed sshd) is gone waits for the host's init to
 * reap it, and it runs nothing.
 */
async function hostPs(): Promise<HostProcess[]> {
  const r = await sandboxExec(['ps', '-eo', 'pid=,ppid=,pgid=,stat=,user=,args=']);
  assert.equal(r.code, 0, `ps on the host failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l);
      if (!m) throw new Error(`unreadable ps line: ${l}`);
      return { pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), stat: m[4]!, user: m[5]!, args: m[6]! };
    })
    .filter((p) => !p.stat.startsWith('Z'));
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const uniqueSleep = () => `300.${randomInt(100_000_000, 999_999_999)}`;

function sshdPidsForClientPort(port: number): number[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${ssh.port} and dport = :${port} )`], { encoding: 'utf8' });
  return [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}

describe('the session runner on the sandbox sshd', () => {
  test('the runner is on the host while connected and gone from its process list after close', async () => {
    const t = runnerTransport();
    let pid = 0;
    try {
      await assertPath(t, RUNNER);
      pid = t.runnerPid!;
      const mine = (await hostPs()).find((p) => p.pid === pid);
      assert.ok(mine, `runner PID ${pid} is in the host's process list`);
      assert.match(mine.args, /^mailops-runner\b/, 'and it is the runner');
      assert.equal(mine.user, 'root');
    } finally {
      await t.close();
    }
    await waitFor(`runner PID ${pid} gone from the host`, async () => !(await hostPs()).some((p) => p.pid === pid));
    assert.deepEqual((await hostPs()).filter((p) => /^mailops-runner\b/.test(p.args)), [], 'no runner at all is left on the host');
  });

  test('a dropped connection leaves nothing: the runner exits and stops its commands, root processes of sudo included', async () => {
    const t = runnerTransport('mo-sh');
    const d = uniqueSleep();
    let killed: number[] = [];
    try {
      await assertPath(t, RUNNER);
      const pid = t.runnerPid!;
      const plain = t.spawn(['sh', '-c', 'sleep "$1"; true', 'x', d]);
      const privileged = t.spawn(['sudo', '-n', '--', 'sh', '-c', 'sleep "$1" & sleep "$1"; true', 'x', d]);
      for (const p of [plain, privileged]) {
        p.stdout.resume();
        p.stderr.resume();
      }
      await waitFor('three sleeps on the host, two as root', async () => {
        const ps = (await hostPs()).filter((p) => p.args === `sleep ${d}`);
        return ps.length === 3 && ps.filter((p) => p.user === 'root').length === 2;
      });
      const r = await t.run(['sh', '-c', 'echo "$SSH_CLIENT"']);
      killed = sshdPidsForClientPort(Number(r.stdout.split(' ')[1]));
      assert.ok(killed.length >= 1, 'found the sshd processes of our connection');
      for (const k of killed) {
        try {
          process.kill(k, 'SIGKILL');
        } catch (e) {
          // the other sshd process of the connection may have exited with the first
          if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        }
      }
      for (const p of [plain, privileged]) await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'connection-lost');
      await waitFor('the runner and every sleep gone from the host', async () => {
        const ps = await hostPs();
        return !ps.some((p) => p.pid === pid || p.args === `sleep ${d}`);
      }).catch(async (e: unknown) => {
        const left = (await hostPs()).filter((p) => p.pid === pid || p.args === `sleep ${d}`);
        throw new Error(`${(e as Error).message}; still on the host: ${JSON.stringify(left)}`);
      });
    } finally {
      await t.close();
    }
  });

  test('a cancelled command\'s process group is gone from the host', async () => {
    const t = runnerTransport();
    try {
      await assertPath(t, RUNNER);
      const d = uniqueSleep();
      const ac = new AbortController();
      const p = t.spawn(['sh', '-c', 'sleep "$1" & sh -c "sleep $1; true" & wait', 'x', d], { signal: ac.signal });
      p.stdout.resume();
      p.stderr.resume();
      let group = 0;
      await waitFor('two sleeps in one process group', async () => {
        const ps = (await hostPs()).filter((q) => q.args === `sleep ${d}`);
        group = ps[0]?.pgid ?? 0;
        return ps.length === 2 && ps.every((q) => q.pgid === group);
      });
      const leader = (await hostPs()).find((q) => q.pid === group);
      assert.equal(leader?.ppid, t.runnerPid, 'the group leader is a child of the runner: the group is the command\'s own');
      ac.abort();
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled');
      await waitFor(`no process left in group ${group}`, async () => !(await hostPs()).some((q) => q.pgid === group));
      assert.equal((await t.run(['echo', 'still'])).stdout, 'still\n', 'the runner carries on after a cancel');
      assert.equal(await runnerAlive(t), true);
    } finally {
      await t.close();
    }
  });

  test('50 concurrent commands of 1 s finish together on one session (MaxSessions 10 would take 5 rounds)', async () => {
    const t = runnerTransport();
    try {
      await assertPath(t, RUNNER);
      const t0 = Date.now();
      const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => t.run(['sh', '-c', 'sleep 1; echo "$PPID $1"', 'x', String(i)])));
      const elapsed = Date.now() - t0;
      assert.deepEqual(rs.map((r) => [r.code, r.stdout]), Array.from({ length: 50 }, (_, i) => [0, `${t.runnerPid} ${i}\n`]));
      assert.ok(elapsed < 4000, `all 50 ran at once: ${elapsed} ms (one at a time per 10 sessions: at least 5000 ms)`);
    } finally {
      await t.close();
    }
  });

  test('a command whose output nobody reads does not hold up the others', async () => {
    const t = runnerTransport();
    try {
      await assertPath(t, RUNNER);
      const big = t.spawn(['head', '-c', String(256 * 1024 * 1024), '/dev/zero']);
      big.stderr.resume();
      await sleep(1000);
      const buffered = big.stdout.readableLength;
      assert.ok(buffered > 0 && buffered < 8 * 1024 * 1024, `the unread command is held back (${buffered} bytes buffered)`);
      const t0 = Date.now();
      for (let i = 0; i < 20; i++) assert.equal((await t.run(['echo', String(i)])).stdout, `${i}\n`);
      assert.ok(Date.now() - t0 < 3000, `20 commands beside it took ${Date.now() - t0} ms`);
      big.cancel('test');
      await assert.rejects(big.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled');
    } finally {
      await t.close();
    }
  });

  test('a runner killed on the host: its commands fail as such, and the next command starts a new runner', async () => {
    const t = runnerTransport();
    const d = uniqueSleep();
    try {
      await assertPath(t, RUNNER);
      const first = t.runnerPid!;
      const p = t.spawn(['sh', '-c', 'echo ready; sleep "$1"; true', 'x', d]);
      p.stderr.resume();
      await new Promise<void>((res) => p.stdout.once('data', () => res()));
      const k = await sandboxExec(['kill', '-KILL', String(first)]);
      assert.equal(k.code, 0, k.stderr);
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'connection-lost' && /runner on the host ended/.test(e.message) && /echo ready/.test(e.command ?? ''));
      await assertPath(t, RUNNER);
      assert.notEqual(t.runnerPid, first, 'a new runner');
    } finally {
      await t.close();
      // a runner killed with KILL cannot stop its commands: the test does
      await sandboxExec(['pkill', '-KILL', '-f', `sleep ${d}`]);
    }
  });

  test('no interpreter on the host: each command gets a channel of its own, and the debug log says why', async () => {
    const logs: string[] = [];
    const t = runnerTransport(undefined, { runnerInterpreter: 'mailops-no-such-perl', log: (_l, m) => logs.push(m) });
    try {
      const r = await t.run(['sh', '-c', 'echo "$1"', 'x', 'fallback']);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'fallback\n', '']);
      assert.equal(t.runnerPid, undefined);
      const why = logs.find((m) => /session runner did not start/.test(m));
      assert.ok(why, `the log says the runner did not start: ${JSON.stringify(logs)}`);
      assert.match(why, /mailops-no-such-perl/, 'and names what was missing');
      assert.match(why, /channel of its own/);
      await assertPath(t, PATHS.find((p) => !p.runner)!);
    } finally {
      await t.close();
    }
  });
});

async function runnerAlive(t: SshTransport): Promise<boolean> {
  const pid = t.runnerPid;
  return pid !== undefined && (await hostPs()).some((p) => p.pid === pid && /^mailops-runner\b/.test(p.args));
}
