/**
 * The session runner's wire format, and its Perl program run for real on this machine (perl is Essential on
 * Debian): hostile argv byte for byte through execvp, exit codes and signals, stdin, credit, and what it
 * does when its stdin ends (stops its commands, exits). The same program on the sandbox's sshd:
 * test/integration/transport/ssh-runner.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { encodeFrame, encodeStrings, FrameDecoder, INITIAL_CREDIT, parseExit, RUNNER_PROGRAM, type Frame } from '../../../src/core/transport/ssh/runnerProgram';
import { killTreeCommand } from '../../../src/core/transport/ssh/remoteCommand';
import { nastyArgv } from './shellWords';

describe('runner frames', () => {
  test('frames survive any chunking of the byte stream (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom('O', 'R', 'P', 'X'), id: fc.nat(), payload: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.type as 'O', f.id, Buffer.from(f.payload))));
          const d = new FrameDecoder();
          const got: Frame[] = [];
          for (let off = 0, i = 0; off < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...d.push(bytes.subarray(off, off + n)));
            off += n;
          }
          assert.equal(d.pending, 0);
          assert.deepEqual(got.map((f) => [f.type, f.id, [...f.payload]]), frames.map((f) => [f.type, f.id, [...f.payload]]));
        },
      ),
    );
  });

  test('a frame shorter than its header is refused, not read as something else', () => {
    assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 2, 0x4f, 0])), /bad runner frame/);
  });

  test('exit payloads', () => {
    assert.deepEqual(parseExit('c 0'), { code: 0, signal: null });
    assert.deepEqual(parseExit('c 127'), { code: 127, signal: null });
    assert.deepEqual(parseExit('s TERM'), { code: null, signal: 'SIGTERM' });
    assert.throws(() => parseExit('c'), /bad runner exit frame/);
  });

  test('the program is constant text: no value can reach it', () => {
    assert.ok(!RUNNER_PROGRAM.includes('${'), 'no template hole left');
    assert.match(RUNNER_PROGRAM, new RegExp(`^my \\$CREDIT = ${INITIAL_CREDIT};\\n`));
    execFileSync('perl', ['-c', '-e', RUNNER_PROGRAM], { stdio: 'pipe' });
  });
});

/** The runner on this machine, driven by frames. */
class LocalRunner {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly decoder = new FrameDecoder();
  private readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  private nextId = 1;

  constructor() {
    this.proc = spawn('perl', ['-e', RUNNER_PROGRAM]);
    this.proc.stdout.on('data', (c: Buffer) => {
      this.frames.push(...this.decoder.push(c));
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr.on('data', (c: Buffer) => process.stderr.write(`runner: ${c.toString()}`));
  }

  send(type: 'S' | 'I' | 'E' | 'W' | 'K', id: number, payload: Buffer | string = ''): void {
    this.proc.stdin.write(encodeFrame(type, id, payload));
  }

  start(argv: string[], stdin?: Buffer | string): number {
    const id = this.nextId++;
    this.send('S', id, Buffer.concat([encodeStrings(argv), encodeStrings(killTreeCommand(argv))]));
    if (stdin !== undefined) this.send('I', id, stdin);
    this.send('E', id);
    return id;
  }

  /** Wait for the frame `type` of command id; returns every frame of that id so far. */
  async until(id: number, type: string, ms = 5000): Promise<Frame[]> {
    const end = Date.now() + ms;
    for (;;) {
      const mine = this.frames.filter((f) => f.id === id);
      if (mine.some((f) => f.type === type)) return mine;
      if (Date.now() > end) throw new Error(`no ${type} frame for command ${id}: ${JSON.stringify(mine.map((f) => f.type))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async run(argv: string[], stdin?: string): Promise<{ out: Buffer; err: Buffer; exit: string; pid: number }> {
    const id = this.start(argv, stdin);
    const fs = await this.until(id, 'X');
    const cat = (t: string) => Buffer.concat(fs.filter((f) => f.type === t).map((f) => f.payload));
    return { out: cat('O'), err: cat('R'), exit: cat('X').toString(), pid: Number(cat('P').toString()) };
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false;
  }
};

describe('the runner program, run by perl on this machine', () => {
  test('hello, hostile argv byte for byte (execvp, no shell), exits, signals, stdin, a missing command', async () => {
    const r = new LocalRunner();
    try {
      const hello = await r.until(0, 'H');
      assert.match(hello[0]!.payload.toString(), /^mailops-runner 1 \d+$/);
      await fc.assert(
        fc.asyncProperty(nastyArgv('/tmp/mailops-runner-canary'), async (argv) => {
          const res = await r.run(['printf', '%s\\0', ...argv]);
          assert.equal(res.exit, 'c 0');
          assert.ok(res.out.equals(Buffer.from(argv.map((a) => `${a}\0`).join(''), 'utf8')), JSON.stringify(argv));
        }),
        { numRuns: 100 },
      );
      assert.deepEqual(await r.run(['sh', '-c', 'echo out; echo err >&2; exit 7']).then((x) => [x.out.toString(), x.err.toString(), x.exit]), ['out\n', 'err\n', 'c 7']);
      assert.equal((await r.run(['sh', '-c', 'kill -TERM $$'])).exit, 's TERM');
      const missing = await r.run(['mailops-no-such-command']);
      assert.equal(missing.exit, 'c 127');
      assert.match(missing.err.toString(), /mailops-no-such-command/);
      assert.equal((await r.run(['cat'], 'in\0put\n')).out.toString(), 'in\0put\n');
      const pg = await r.run(['sh', '-c', 'ps -o pgid= -o sid= -p $$']);
      assert.deepEqual(pg.out.toString().trim().split(/\s+/).map(Number), [pg.pid, pg.pid], 'its own process group and session');
    } finally {
      r.proc.kill('SIGKILL');
    }
  });

  test('output waits for credit; the rest of the runner does not', async () => {
    const r = new LocalRunner();
    try {
      const id = r.start(['head', '-c', String(4 * INITIAL_CREDIT), '/dev/zero']);
      await new Promise((res) => setTimeout(res, 500));
      const sent = () => r.until(id, 'P').then((fs) => fs.filter((f) => f.type === 'O').reduce((n, f) => n + f.payload.length, 0));
      assert.equal(await sent(), INITIAL_CREDIT, 'exactly the initial credit arrived');
      assert.equal((await r.run(['echo', 'beside'])).out.toString(), 'beside\n');
      const more = Buffer.alloc(4);
      // more than the rest: with no credit left the runner reads nothing, not even the EOF
      more.writeUInt32BE(8 * INITIAL_CREDIT, 0);
      r.send('W', id, more);
      await r.until(id, 'X');
      assert.equal(await sent(), 4 * INITIAL_CREDIT);
    } finally {
      r.proc.kill('SIGKILL');
    }
  });

  test('EOF on its stdin: the runner stops every command (TERM, then KILL) and exits', async () => {
    const r = new LocalRunner();
    const d = `300.${randomInt(100_000_000, 999_999_999)}`;
    const pids: number[] = [];
    try {
      await r.until(0, 'H');
      const a = r.start(['sh', '-c', 'sleep "$1" & sleep "$1"; true', 'x', d]);
      const b = r.start(['sh', '-c', 'trap "" TERM; sleep "$1"; true', 'x', d]);
      for (const id of [a, b]) pids.push(Number(Buffer.concat((await r.until(id, 'P')).filter((f) => f.type === 'P').map((f) => f.payload)).toString()));
      await new Promise((res) => setTimeout(res, 300));
      const sleeps = () => execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.endsWith(`sleep ${d}`) && !/^\s*\d+\s+Z/.test(l));
      assert.equal(sleeps().length, 3);
      const t0 = Date.now();
      const exited = new Promise<number | null>((res) => r.proc.once('exit', (code) => res(code)));
      r.proc.stdin.end();
      assert.equal(await exited, 0);
      assert.ok(Date.now() - t0 < 6000, `exited after ${Date.now() - t0} ms`);
      assert.deepEqual(sleeps(), [], 'no sleep left');
      assert.deepEqual(pids.filter(alive), [], 'no command left');
    } finally {
      r.proc.kill('SIGKILL');
    }
  });
});
