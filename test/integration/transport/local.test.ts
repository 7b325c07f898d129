/**
 * LocalTransport: argv executed without a shell, streaming, stdin, exit status, cancel/timeout killing the
 * whole process group.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { TransportError } from '../../../src/core/errors';
import { LocalTransport } from '../../../src/core/transport/local';
import { UnsafeArgumentError } from '../../../src/core/transport/quote';
import { nastyArgv } from '../../unit/transport/shellWords';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t = new LocalTransport({ name: 'local-test', killGraceMs: 500 });

function countProcs(marker: string): number {
  try {
    return Number(execFileSync('sh', ['-c', 'pgrep -f "$1" | wc -l', 'count', `[${marker[0]}]${marker.slice(1)}`], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

describe('LocalTransport', () => {
  test('the process receives exactly the argv; nothing is executed (fast-check, 200 cases)', async () => {
    const canary = `/tmp/mailops-local-canary-${randomUUID()}`;
    await fc.assert(
      fc.asyncProperty(nastyArgv(canary), async (argv) => {
        const p = t.spawn(['printf', '%s\\0', ...argv]);
        const chunks: Buffer[] = [];
        p.stdout.on('data', (c: Buffer) => chunks.push(c));
        p.stderr.resume();
        assert.deepEqual(await p.exit, { code: 0, signal: null });
        await new Promise((r) => setImmediate(r));
        assert.ok(Buffer.concat(chunks).equals(Buffer.from(argv.map((a) => `${a}\0`).join(''))), JSON.stringify(argv));
      }),
      { numRuns: 200 },
    );
    assert.ok(!existsSync(canary));
  });

  test('NUL is refused', () => {
    assert.throws(() => t.spawn(['echo', 'a\0b']), UnsafeArgumentError);
  });

  test('exit code, signal, stderr, stdin, missing command', async () => {
    assert.deepEqual(await t.run(['sh', '-c', 'echo out; echo err >&2; exit 5']), { code: 5, signal: null, stdout: 'out\n', stderr: 'err\n' });
    const s = await t.run(['sh', '-c', 'kill -TERM $$']);
    assert.deepEqual([s.code, s.signal], [null, 'SIGTERM']);
    assert.equal((await t.run(['cat'], { stdin: 'secret\n' })).stdout, 'secret\n');
    const nf = await t.run(['mailops-no-such-command']);
    assert.equal(nf.code, 127);
    assert.match(nf.stderr, /not found/);
  });

  test('cancel kills the process group (parent and child)', async () => {
    const marker = `mailops-local-cancel-${randomUUID()}`;
    const ac = new AbortController();
    const p = t.spawn(['sh', '-c', 'sh -c "sleep 300; true" "$0-child" & sleep 300; true', marker], { signal: ac.signal });
    p.stdout.resume();
    p.stderr.resume();
    try {
      for (let i = 0; i < 50 && countProcs(marker) !== 2; i++) await sleep(50);
      assert.equal(countProcs(marker), 2);
      ac.abort();
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled' && e.host === 'local-test');
      await sleep(100);
      assert.equal(countProcs(marker), 0);
    } finally {
      p.cancel('test cleanup');
    }
  });

  test('timeout, and KILL for a process that ignores TERM', async () => {
    const marker = `mailops-local-stubborn-${randomUUID()}`;
    const t0 = Date.now();
    const p = t.spawn(['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done', marker], { timeoutMs: 300 });
    p.stdout.resume();
    p.stderr.resume();
    await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'timeout');
    assert.ok(Date.now() - t0 >= 700, 'waited the grace period before KILL');
    await sleep(100);
    assert.equal(countProcs(marker), 0);
  });

  test('streams large output with backpressure', async () => {
    const p = t.spawn(['head', '-c', String(32 * 1024 * 1024), '/dev/zero']);
    p.stderr.resume();
    await sleep(500);
    assert.ok(p.stdout.readableLength < 4 * 1024 * 1024, `buffered ${p.stdout.readableLength}`);
    let n = 0;
    for await (const c of p.stdout) n += (c as Buffer).length;
    assert.equal(n, 32 * 1024 * 1024);
    assert.deepEqual(await p.exit, { code: 0, signal: null });
  });
});
