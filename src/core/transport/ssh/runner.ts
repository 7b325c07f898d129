/**
 * The client side of the session runner (runnerProgram.ts): one SSH channel that runs many commands.
 *
 * RunnerSession starts the runner on a channel of its own (the usual exec request, the command line
 * `perl -e PROGRAM` on stdin) and waits for its hello; each command then gets a RunnerChannel, which looks
 * to SshProcess like an ssh2 channel (stdout as the readable side, `stderr`, `exit` and `close` events,
 * write/end for stdin, close()), so a command's life (cancel, timeout, the tree kill with its own sudo) is
 * the same code on both paths.
 */
import { Duplex, Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { commandLineFor, EXEC_REQUEST, PID_MARKER } from './remoteCommand';
import { encodeFrame, encodeStrings, FrameDecoder, INITIAL_CREDIT, MAX_STDIN_FRAME, parseExit, RUNNER_PROGRAM, RUNNER_VERSION, type ClientFrameType, type Frame } from './runnerProgram';

/** Grant credit back to the runner once this much output was taken by the consumer. */
const GRANT_BATCH = INITIAL_CREDIT / 4;

/** One command on the runner, shaped like the parts of an ssh2 ClientChannel that SshProcess uses. */
export class RunnerChannel extends Duplex {
  readonly stderr: Readable;
  private owed = 0;
  private granted = 0;
  private gone = false;

  constructor(private readonly session: RunnerSession, readonly id: number) {
    // close is emitted by hand, once, after `exit`: no auto-destroy when both sides end
    super({ autoDestroy: false, emitClose: false, allowHalfOpen: true });
    this.stderr = new Readable({ read: () => this.grant(), autoDestroy: false, emitClose: false });
  }

  override _read(): void {
    this.grant();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    for (let off = 0; off < chunk.length; off += MAX_STDIN_FRAME) this.session.send('I', this.id, chunk.subarray(off, off + MAX_STDIN_FRAME));
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.session.send('E', this.id);
    cb();
  }

  /** Stop listening: the process group gets KILL from the runner, and the command counts as closed now. */
  close(): void {
    if (this.gone) return;
    this.session.send('K', this.id, 'KILL');
    this.finishStreams();
  }

  /** Consumed output is granted back in batches (the runner starts with INITIAL_CREDIT). */
  private grant(): void {
    this.granted += this.owed;
    this.owed = 0;
    if (this.granted >= GRANT_BATCH && !this.gone) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(this.granted, 0);
      this.granted = 0;
      this.session.send('W', this.id, b);
    }
  }

  /** From the session: a frame for this command. */
  frame(type: string, payload: Buffer): void {
    if (this.gone) return;
    if (type === 'P') this.emit('pid', Number(payload.toString('latin1')));
    else if (type === 'O' || type === 'R') {
      const to = type === 'O' ? this : this.stderr;
      this.owed += payload.length;
      // push() false: the consumer is behind; the credit goes back when it reads (_read)
      if (to.push(payload)) this.grant();
    } else if (type === 'X') {
      const st = parseExit(payload.toString('latin1'));
      this.emit('exit', st.code, st.signal ?? undefined);
      this.finishStreams();
    }
  }

  /** The runner or the connection went away: close without an exit status. */
  lost(): void {
    this.finishStreams();
  }

  private finishStreams(): void {
    if (this.gone) return;
    this.gone = true;
    this.session.forget(this.id);
    this.push(null);
    this.stderr.push(null);
    this.emit('close');
  }
}

export interface RunnerStartOptions {
  client: Client;
  /** The interpreter's name on the host (default perl). */
  interpreter: string;
  /** Give up on the hello after this long (the channel is closed and the caller falls back). */
  helloTimeoutMs: number;
  debug: (msg: string) => void;
}

/** The runner on one connection. */
export class RunnerSession {
  private readonly decoder = new FrameDecoder();
  private readonly commands = new Map<number, RunnerChannel>();
  private nextId = 1;
  private ended = false;
  private readonly closeListeners: Array<(why: string) => void> = [];
  private stderrTail = '';

  private constructor(private readonly channel: ClientChannel, readonly pid: number, private readonly debug: (msg: string) => void) {}

  /**
   * Start the runner and wait for its hello. Rejects with the reason (the interpreter missing: the
   * channel closes with exit 127 and sh's message) when it does not come; the caller then runs commands on
   * channels of their own.
   */
  static start(o: RunnerStartOptions): Promise<RunnerSession> {
    return new Promise((resolve, reject) => {
      o.client.exec(EXEC_REQUEST, (err, channel) => {
        if (err) return reject(new Error(`the server refused the runner's channel: ${err.message}`));
        const decoder = new FrameDecoder();
        let stderr = '';
        let exit = '';
        let settled = false;
        const timer = setTimeout(() => fail(`no hello from the runner within ${o.helloTimeoutMs} ms`), o.helloTimeoutMs);
        const fail = (why: string) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          channel.removeAllListeners('data');
          channel.close();
          reject(new Error(why));
        };
        const onStderr = (c: Buffer) => {
          stderr += c.toString('utf8');
        };
        channel.stderr.on('data', onStderr);
        channel.on('exit', (code: number | null, signal?: string) => (exit = code !== null && code !== undefined ? `exit ${code}` : `signal ${signal}`));
        channel.on('close', () => fail(`the runner's channel closed before its hello (${exit || 'no exit status'}): ${cleanStderr(stderr) || 'no message'}`));
        channel.on('data', (c: Buffer) => {
          if (settled) return;
          let frames: Frame[];
          try {
            frames = decoder.push(c);
          } catch (e) {
            return fail((e as Error).message);
          }
          const hello = frames[0];
          if (!hello) return;
          const m = /^mailops-runner (\d+) (\d+)$/.exec(hello.type === 'H' ? hello.payload.toString('latin1') : '');
          if (!m || Number(m[1]) !== RUNNER_VERSION) return fail(`unexpected first frame from the runner: ${hello.type} ${JSON.stringify(hello.payload.toString('latin1').slice(0, 100))}`);
          settled = true;
          clearTimeout(timer);
          channel.removeAllListeners('data');
          channel.removeAllListeners('close');
          channel.stderr.off('data', onStderr);
          const session = new RunnerSession(channel, Number(m[2]), o.debug);
          session.stderrTail = cleanStderr(stderr);
          session.attach(frames.slice(1));
          resolve(session);
        });
        channel.write(commandLineFor([o.interpreter, '-e', RUNNER_PROGRAM]));
      });
    });
  }

  private attach(early: Frame[]): void {
    for (const f of early) this.dispatch(f.type, f.id, f.payload);
    this.channel.on('data', (c: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(c);
      } catch (e) {
        this.debug(`runner: ${(e as Error).message}; closing it`);
        this.channel.close();
        return;
      }
      for (const f of frames) this.dispatch(f.type, f.id, f.payload);
    });
    this.channel.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) this.debug(`runner stderr: ${line}`);
    });
    this.channel.on('close', () => {
      this.ended = true;
      const why = this.stderrTail ? `the runner on the host ended: ${this.stderrTail.trim().split('\n').pop()}` : 'the runner on the host ended';
      for (const l of this.closeListeners) l(why);
      for (const c of [...this.commands.values()]) c.lost();
    });
  }

  private dispatch(type: string, id: number, payload: Buffer): void {
    this.commands.get(id)?.frame(type, payload);
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Called once when the runner's channel closes (runner exited, killed, or the connection went). */
  onClose(listener: (why: string) => void): void {
    this.closeListeners.push(listener);
  }

  /** Start argv; `killArgv` (+ SIG PID) is what the runner runs to stop it should the channel go away. */
  start(argv: readonly string[], killArgv: readonly string[]): RunnerChannel {
    const id = this.nextId++;
    const c = new RunnerChannel(this, id);
    this.commands.set(id, c);
    this.send('S', id, Buffer.concat([encodeStrings(argv), encodeStrings(killArgv)]));
    return c;
  }

  send(type: ClientFrameType, id: number, payload: Buffer | string = ''): void {
    if (this.ended) return;
    this.channel.write(encodeFrame(type, id, payload));
  }

  forget(id: number): void {
    this.commands.delete(id);
  }

  /** Close the runner's stdin: it stops every command it still runs and exits. */
  end(): void {
    if (this.ended) return;
    this.channel.end();
  }
}

/** The runner channel's stderr without the bootstrap's PID line. */
function cleanStderr(s: string): string {
  return s
    .split('\n')
    .filter((l) => !l.startsWith(`${PID_MARKER} `))
    .join('\n')
    .trim();
}
