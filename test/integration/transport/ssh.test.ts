/**
 * SshTransport against the sandbox's real sshd: argv fidelity, one pooled connection, channel queueing,
 * cancellation that stops the remote process, timeouts, stdin, exit status, backpressure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { TransportError } from '../../../src/core/errors';
import { UnsafeArgumentError } from '../../../src/core/transport/quote';
import type { SshTransport } from '../../../src/core/transport/ssh';
import { nastyArgv } from '../../unit/transport/shellWords';
import { assertPath, clientPort, waitForLines, logSince, logSize, PATHS, RecordingPrompter, rootTarget, sandboxSsh, scratch, sleep, transport, type SandboxSsh } from './helpers';

let ssh: SandboxSsh;
let prompter: RecordingPrompter;
const tmp = scratch();

before(async () => {
  ssh = await sandboxSsh();
  prompter = new RecordingPrompter();
});
after(() => tmp.done());

for (const path of PATHS) describe(`SshTransport on the sandbox sshd (${path.name})`, () => {
  let t: SshTransport;
  before(() => {
    t = transport(rootTarget(ssh, tmp.dir), prompter, `${tmp.dir}/trust`, { runner: path.runner });
  });
  after(async () => {
    await t?.close();
  });

  test('NUL is refused before anything is sent', () => {
    assert.throws(() => t.spawn(['printf', '%s', 'a\0b']), UnsafeArgumentError);
    assert.throws(() => t.spawn([]), UnsafeArgumentError);
    assert.equal(t.state, 'idle', 'no connection was opened');
  });

  test(`commands run on the path under test (${path.name})`, async () => {
    await assertPath(t, path);
  });

  test('the remote side receives exactly the argv and runs nothing (fast-check, 200 cases)', async () => {
    const canary = `/tmp/mailops-canary-${randomUUID()}`;
    await fc.assert(
      fc.asyncProperty(nastyArgv(canary), async (argv) => {
        const p = t.spawn(['printf', '%s\\0', ...argv]);
        const chunks: Buffer[] = [];
        p.stdout.on('data', (c: Buffer) => chunks.push(c));
        const errs: Buffer[] = [];
        p.stderr.on('data', (c: Buffer) => errs.push(c));
        const st = await p.exit;
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(st, { code: 0, signal: null });
        assert.equal(Buffer.concat(errs).toString(), '', 'stderr is empty (the PID marker is stripped)');
        assert.ok(Buffer.concat(chunks).equals(Buffer.from(argv.map((a) => `${a}\0`).join(''), 'utf8')), `argv ${JSON.stringify(argv)}`);
      }),
      { numRuns: 200 },
    );
    const check = await t.run(['sh', '-c', 'if test -e "$1"; then echo EXISTS; else echo absent; fi', 'check', canary]);
    assert.equal(check.stdout, 'absent\n', 'nothing in any argv was executed by the remote shell');
    await assertPath(t, path);
  });

  test('200 sequential commands use ONE TCP connection', async () => {
    const before = logSize(ssh.log);
    const fresh = transport(rootTarget(ssh, tmp.dir), prompter, `${tmp.dir}/trust`, { runner: path.runner });
    try {
      const ports = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const r = await fresh.run(['sh', '-c', 'echo "$SSH_CLIENT $1"', 'n', String(i)]);
        assert.equal(r.code, 0);
        const [, port, , n] = r.stdout.trim().split(' ');
        assert.equal(n, String(i));
        ports.add(Number(port));
      }
      assert.equal(ports.size, 1, 'every command came from the same client port');
      await assertPath(fresh, path);
      const [port] = [...ports];
      const log = logSince(ssh.log, before);
      const accepted = log.split('\n').filter((l) => l.startsWith('Accepted publickey for root from 127.0.0.1 port ') );
      const ours = accepted.filter((l) => l.includes(` port ${port} `));
      assert.equal(ours.length, 1, `one authentication for port ${port}; log window:\n${accepted.join('\n')}`);
    } finally {
      await fresh.close();
    }
  });

  test('30 concurrent commands all succeed (default cap of 8 channels)', async () => {
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => t.run(['sh', '-c', 'sleep 0.2; echo "$1"', 'x', String(i)])));
    assert.deepEqual(rs.map((r) => r.stdout), Array.from({ length: 30 }, (_, i) => `${i}\n`));
  });

  test('30 concurrent commands with a cap above MaxSessions 10: refused channels are queued and retried', async () => {
    const wide = transport(rootTarget(ssh, tmp.dir), prompter, `${tmp.dir}/trust`, { maxChannels: 30, runner: path.runner });
    try {
      const port = await clientPort(wide);
      const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => wide.run(['sh', '-c', 'sleep 0.3; echo "$SSH_CLIENT" | cut -d" " -f2; echo "$1"', 'x', String(i)])));
      assert.deepEqual(rs.map((r) => r.stdout), Array.from({ length: 30 }, (_, i) => `${port}\n${i}\n`));
      await assertPath(wide, path);
    } finally {
      await wide.close();
    }
  });

  test('cancel via AbortSignal stops the remote process group', async () => {
    const marker = `mailops-cancel-${randomUUID()}`;
    const ac = new AbortController();
    // a parent shell (named by $0) and a child shell, both sleeping 300 s
    const p = t.spawn(['sh', '-c', 'sh -c "sleep 300; true" "$0-child" & sleep 300; true', marker], { signal: ac.signal });
    p.stdout.resume();
    p.stderr.resume();
    const count = async () => (await t.run(['sh', '-c', 'pgrep -f "$1" | wc -l', 'count', `[${marker[0]}]${marker.slice(1)}`])).stdout.trim();
    let n = '0';
    for (let i = 0; i < 50 && n !== '2'; i++) {
      await sleep(100);
      n = await count();
    }
    assert.equal(n, '2', 'both remote processes run before the cancel');
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled' && e.host === 'sandbox' && /sleep 300/.test(e.command ?? ''));
    assert.ok(Date.now() - t0 < 5000, 'cancel took less than the TERM grace period plus slack');
    assert.equal(await count(), '0', 'no remote process left');
  });

  test('a timeout stops the remote process too', async () => {
    const marker = `mailops-timeout-${randomUUID()}`;
    const p = t.spawn(['sh', '-c', 'sleep 300; true', marker], { timeoutMs: 800 });
    p.stdout.resume();
    p.stderr.resume();
    await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'timeout');
    const left = await t.run(['sh', '-c', 'pgrep -f "$1" | wc -l', 'count', `[${marker[0]}]${marker.slice(1)}`]);
    assert.equal(left.stdout.trim(), '0');
  });

  test('a process that ignores TERM is KILLed after the grace period', async () => {
    const quick = transport(rootTarget(ssh, tmp.dir), prompter, `${tmp.dir}/trust`, { killGraceMs: 500, runner: path.runner });
    try {
      const marker = `mailops-stubborn-${randomUUID()}`;
      const p = quick.spawn(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done', marker]);
      p.stderr.resume();
      await waitForLines(p, 1);
      p.cancel('test');
      await assert.rejects(p.exit, (e: unknown) => e instanceof TransportError && e.failure === 'cancelled');
      const left = await quick.run(['sh', '-c', 'pgrep -f "$1" | wc -l', 'count', `[${marker[0]}]${marker.slice(1)}`]);
      assert.equal(left.stdout.trim(), '0');
    } finally {
      await quick.close();
    }
  });

  test('exit codes and signals are reported; stderr keeps its content without the PID marker', async () => {
    const r = await t.run(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual(r, { code: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
    const s = await t.run(['sh', '-c', 'kill -TERM $$']);
    assert.equal(s.code, null);
    assert.equal(s.signal, 'SIGTERM');
    const nf = await t.run(['mailops-no-such-command']);
    assert.equal(nf.code, 127);
  });

  test('stdin is delivered (secrets travel there, not in argv)', async () => {
    const secret = `s3cr3t ${randomUUID()} 'quoted' $(no)`;
    const r = await t.run(['sh', '-c', 'cat; ps -eo args | grep -c "[s]3cr3t" || true'], { stdin: secret });
    assert.equal(r.stdout, `${secret}0\n`);
  });

  test('backpressure: a slow consumer pauses the remote writer instead of buffering everything', async () => {
    const total = 64 * 1024 * 1024;
    const p = t.spawn(['head', '-c', String(total), '/dev/zero']);
    p.stderr.resume();
    await sleep(1500);
    const buffered = p.stdout.readableLength;
    assert.ok(buffered < 8 * 1024 * 1024, `only a window's worth is buffered while nobody reads (${buffered} bytes)`);
    let n = 0;
    for await (const c of p.stdout) n += (c as Buffer).length;
    assert.equal(n, total);
    assert.deepEqual(await p.exit, { code: 0, signal: null });
  });

  test('ProxyJump: through the sandbox sshd to itself with forwardOut; each hop checks its own host key', async () => {
    const target = rootTarget(ssh, tmp.dir, { jumps: [rootTarget(ssh, tmp.dir)] });
    const viaJump = transport(target, prompter, `${tmp.dir}/trust`, { runner: path.runner });
    try {
      const r = await viaJump.run(['sh', '-c', 'echo "$SSH_CLIENT"']);
      const seenPort = Number(r.stdout.split(' ')[1]);
      assert.ok(viaJump.localPort && seenPort, r.stdout);
      assert.notEqual(seenPort, viaJump.localPort, 'the target saw the forwarded connection, not ours');
    } finally {
      await viaJump.close();
    }
    const refusing = new RecordingPrompter({ acceptHostKey: false });
    const badJump = transport(rootTarget(ssh, tmp.dir, { jumps: [rootTarget(ssh, tmp.dir, { knownHostsFiles: [] })] }), refusing, `${tmp.dir}/trust-jump`, { runner: path.runner });
    try {
      await assert.rejects(badJump.run(['true']), (e: unknown) => e instanceof TransportError && e.failure === 'host-key-unknown' && /jump host/.test(e.host ?? ''));
      assert.equal(refusing.hostKeysAsked.length, 1);
    } finally {
      await badJump.close();
    }
  });

  test('run() refuses to buffer more than maxBuffer and stops the command', async () => {
    await assert.rejects(t.run(['head', '-c', '1000000', '/dev/zero'], { maxBuffer: 1000 }), /maxBuffer/);
  });
});
