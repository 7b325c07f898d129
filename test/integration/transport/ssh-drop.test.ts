/**
 * A host that goes away in the middle of a streaming command.
 *
 * - "sshd stopped": `sandboxCmd('stop', 'sshd')` kills the listener AND the per-connection sshd processes
 *   (scripts/sandbox stop_sshd TERMs every child of the listener; stopping only the listener would leave
 *   established sessions running). The TCP connection is closed, so the drop is seen at once.
 * - "silent drop": the per-connection sshd processes of OUR connection (found with `ss -tnp` by our client
 *   port) are frozen with SIGSTOP: nothing is closed, the peer just stops answering, which only the keepalive
 *   notices (interval 1 s, 3 missed). They are KILLed afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sandboxCmd } from '../../support/sandbox';
import { TransportError } from '../../../src/core/errors';
import type { RemoteProcess } from '../../../src/core/transport/types';
import { assertPath, clientPort, PATHS, RecordingPrompter, waitForLines, rootTarget, sandboxSsh, scratch, transport, type SandboxSsh } from './helpers';

let ssh: SandboxSsh;
const tmp = scratch();
const INTERVAL_S = 1;
const COUNT_MAX = 3;
const SLACK_MS = 2500;

before(async () => {
  ssh = await sandboxSsh();
});
after(() => tmp.done());

/** Start a remote loop printing a line per 100 ms; resolves once 3 lines arrived. */
async function ticking(t: ReturnType<typeof transport>, marker: string): Promise<{ p: RemoteProcess; lines: () => number }> {
  const p = t.spawn(['sh', '-c', 'while :; do echo tick; sleep 0.1; done', marker]);
  p.stderr.resume();
  const lines = await waitForLines(p, 3);
  return { p, lines };
}

function sshdPidsForClientPort(port: number): number[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${ssh.port} and dport = :${port} )`], { encoding: 'utf8' });
  return [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}

for (const path of PATHS) describe(`dropped connections (${path.name})`, () => {
  test('sshd stopped mid-stream: connection-lost within the keepalive window, next command reconnects', async () => {
    const t = transport(rootTarget(ssh, tmp.dir, { keepaliveInterval: INTERVAL_S, keepaliveCountMax: COUNT_MAX }), new RecordingPrompter(), `${tmp.dir}/trust`, { runner: path.runner });
    const states: string[] = [];
    t.onStateChange((s) => states.push(s));
    try {
      await assertPath(t, path);
      const port1 = await clientPort(t);
      const { p, lines } = await ticking(t, `mailops-drop-${randomUUID()}`);
      const t0 = Date.now();
      try {
        await sandboxCmd('stop', 'sshd');
        await assert.rejects(p.exit, (e: unknown) => {
          assert.ok(e instanceof TransportError, String(e));
          assert.equal(e.failure, 'connection-lost');
          assert.equal(e.host, 'sandbox');
          assert.match(e.command ?? '', /while :; do echo tick/);
          return true;
        });
        const elapsed = Date.now() - t0;
        assert.ok(elapsed < INTERVAL_S * 1000 * (COUNT_MAX + 1) + SLACK_MS, `noticed after ${elapsed} ms`);
        assert.ok(lines() >= 3);
        assert.equal(t.state, 'failed');
      } finally {
        await sandboxCmd('start', 'sshd');
      }
      const r = await t.run(['echo', 'back']);
      assert.equal(r.stdout, 'back\n');
      assert.notEqual(await clientPort(t), port1, 'a new TCP connection');
      await assertPath(t, path);
      assert.deepEqual(states.slice(-2), ['connecting', 'connected']);
      assert.ok(states.includes('failed'));
    } finally {
      await t.close();
    }
  });

  test('silent drop (peer frozen): keepalive declares the connection dead; next command reconnects', async () => {
    const t = transport(rootTarget(ssh, tmp.dir, { keepaliveInterval: INTERVAL_S, keepaliveCountMax: COUNT_MAX }), new RecordingPrompter(), `${tmp.dir}/trust`, { runner: path.runner });
    const marker = `mailops-freeze-${randomUUID()}`;
    let frozen: number[] = [];
    try {
      await assertPath(t, path);
      const port1 = await clientPort(t);
      const { p } = await ticking(t, marker);
      frozen = sshdPidsForClientPort(port1);
      assert.ok(frozen.length >= 1, 'found the sshd processes of our connection');
      const t0 = Date.now();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'connection-lost' && /keepalive/i.test(`${e.message} ${e.meaning}`));
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= INTERVAL_S * 1000 * COUNT_MAX - 500, `not before ${COUNT_MAX} keepalives were missed (${elapsed} ms)`);
      assert.ok(elapsed < INTERVAL_S * 1000 * (COUNT_MAX + 1) + SLACK_MS, `noticed after ${elapsed} ms`);
      const r = await t.run(['echo', 'back']);
      assert.equal(r.stdout, 'back\n');
      assert.notEqual(await clientPort(t), port1);
    } finally {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        execFileSync('pkill', ['-KILL', '-f', marker]);
      } catch {
        /* none left */
      }
      await t.close();
    }
  });
});
