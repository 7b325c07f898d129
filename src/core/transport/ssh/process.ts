/**
 * One command on the SSH connection: its life from the queue to the exit status.
 *
 *   queued → opening (channel requested) → running (channel attached) → done
 *                       ↘ stopping (cancel/timeout: the remote tree is being killed) ↗
 *
 * The process knows nothing of the connection: it talks to its owner through ProcessOwner (kill the remote
 * tree, leave the queue, free a channel slot), and the owner drives it through the methods below.
 */
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { TransportError, type ErrorDetails } from '../../errors';
import { shellLine } from '../quote';
import type { LogFn } from '../run';
import type { ExitStatus, RemoteProcess, SpawnOptions } from '../types';
import { commandLineFor, PID_MARKER } from './remoteCommand';

const PID_LINE = new RegExp(`^${PID_MARKER} (\\d+)$`);
/** Give up looking for the marker after this much stderr (a chatty shell rc file): pass the rest through. */
const MARKER_SEARCH_LIMIT = 64 * 1024;

/** Removes the `MAILOPS-PID n` line from the start of stderr and reports the PID. */
class PidMarkerFilter extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  searching = true;
  constructor(private readonly onPid: (pid: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.searching) return cb(null, chunk);
    this.buf = Buffer.concat([this.buf, chunk]);
    let nl: number;
    while (this.searching && (nl = this.buf.indexOf(0x0a)) >= 0) {
      const line = this.buf.subarray(0, nl).toString('latin1');
      const rest = this.buf.subarray(nl + 1);
      const m = PID_LINE.exec(line);
      if (m) {
        this.searching = false;
        this.onPid(Number(m[1]));
        this.buf = Buffer.alloc(0);
        if (rest.length) this.push(rest);
        return cb();
      }
      this.push(this.buf.subarray(0, nl + 1));
      this.buf = rest;
    }
    if (this.searching && this.buf.length > MARKER_SEARCH_LIMIT) {
      this.searching = false;
      const b = this.buf;
      this.buf = Buffer.alloc(0);
      return cb(null, b);
    }
    cb();
  }
  override _flush(cb: TransformCallback): void {
    if (this.buf.length) this.push(this.buf);
    cb();
  }
}

/** What SshProcess uses of a channel: an ssh2 ClientChannel, or a command of the session runner (runner.ts). */
export interface CommandChannel {
  readonly stderr: Readable;
  pipe<T extends NodeJS.WritableStream>(destination: T): T;
  unpipe(destination?: NodeJS.WritableStream): unknown;
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): unknown;
  close(): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** What a process needs from the transport that runs it, and nothing more. */
export interface ProcessOwner {
  readonly label: string;
  readonly log: LogFn;
  /** Stop the remote process tree (TERM, then KILL); called once, when the process is stopped while it runs. */
  killRemote(p: SshProcess): void;
  /** A process stopped before it got a channel leaves the queue. */
  dequeue(p: SshProcess): void;
  /** The process's channel is closed (or given up): its slot is free. */
  released(p: SshProcess): void;
}

type Phase = 'queued' | 'opening' | 'running' | 'stopping' | 'done';

export class SshProcess implements RemoteProcess {
  readonly stdout = new PassThrough();
  readonly stderr: PidMarkerFilter;
  readonly exit: Promise<ExitStatus>;
  /** The first bytes of the channel's stdin (the bootstrap reads them): built now, so bad argv throws now. */
  private readonly commandLine: string;
  private phase: Phase = 'queued';
  private channel?: CommandChannel;
  private _pid?: number;
  private status?: ExitStatus;
  private failure?: TransportError;
  private resolveExit!: (s: ExitStatus) => void;
  private rejectExit!: (e: Error) => void;
  private pidWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private abortCleanup?: () => void;

  constructor(
    readonly argv: readonly string[],
    private readonly options: SpawnOptions,
    /** Internal helper (the kill of another command): jumps the queue, its failures are only logged. */
    readonly internal: boolean,
    private readonly owner: ProcessOwner,
  ) {
    this.commandLine = commandLineFor(argv);
    this.stderr = new PidMarkerFilter((pid) => {
      this._pid = pid;
      for (const w of this.pidWaiters.splice(0)) w();
    });
    this.exit = new Promise<ExitStatus>((res, rej) => {
      this.resolveExit = res;
      this.rejectExit = rej;
    });
    // Nobody may be listening yet; the rejection is still delivered to whoever awaits `exit` later.
    this.exit.catch(() => undefined);
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.stop(this.error('timeout', `command timed out after ${options.timeoutMs} ms`, {
          meaning: 'the command did not finish in time; its process tree was stopped on the host (TERM, then KILL)',
          hint: 'retry, or raise the timeout if the command is slow on this host',
        }));
      }, options.timeoutMs);
    }
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.cancel(signal.reason instanceof Error ? signal.reason.message : typeof signal.reason === 'string' ? signal.reason : undefined);
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.abortCleanup = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  get stopping(): boolean {
    return this.phase === 'stopping';
  }

  /** The remote PID (= process group and session), once the bootstrap reported it. */
  get pid(): number | undefined {
    return this._pid;
  }

  /** The command as an operator would type it, for messages. */
  get command(): string {
    return shellLine(this.argv);
  }

  error(failure: TransportError['failure'], summary: string, details: ErrorDetails = {}): TransportError {
    return new TransportError(failure, summary, { host: this.owner.label, command: this.command, ...details });
  }

  cancel(reason?: string): void {
    this.stop(this.error('cancelled', `command cancelled${reason ? ` (${reason})` : ''}`, {
      meaning: 'the command was stopped on request; its process tree was stopped on the host too (TERM, then KILL)',
      hint: 'run it again when needed',
    }));
  }

  /** Stop with an error: the remote process tree is killed when it is running. */
  stop(err: TransportError): void {
    if (this.phase === 'done' || this.phase === 'stopping') return;
    this.failure ??= err;
    if (this.phase === 'queued') {
      this.owner.dequeue(this);
      this.finish();
      return;
    }
    const wasOpening = this.phase === 'opening';
    this.phase = 'stopping';
    // when still opening, attach() sees phase 'stopping' and starts the kill
    if (!wasOpening) this.owner.killRemote(this);
  }

  /** The connection is gone (or never came): nothing can be killed any more. */
  lost(err: TransportError): void {
    if (this.phase === 'done') return;
    this.failure ??= err;
    this.finish();
  }

  /** The owner asks the server for a channel now. */
  opening(): void {
    if (this.phase === 'queued') this.phase = 'opening';
  }

  /** The server refused the channel for now (session limit): back to waiting. */
  requeued(): void {
    if (this.phase === 'opening') this.phase = 'queued';
  }

  /**
   * Run on `channel`: an SSH channel whose bootstrap reads the command line first and reports the PID on
   * stderr, or (viaRunner) a command of the session runner, which reports the PID as an event.
   */
  attach(channel: CommandChannel, viaRunner = false): void {
    this.channel = channel;
    if (viaRunner) {
      this.stderr.searching = false;
      channel.on('pid', (pid: number) => {
        this._pid = pid;
        for (const w of this.pidWaiters.splice(0)) w();
      });
    }
    const stopping = this.phase === 'stopping';
    if (!stopping) this.phase = 'running';
    channel.on('exit', (code: number | null, signal?: string) => {
      this.status = { code: typeof code === 'number' ? code : null, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null };
    });
    channel.on('close', () => {
      for (const w of this.closeWaiters.splice(0)) w();
      this.owner.released(this);
      if (!this.status && !this.failure) {
        this.failure = this.error('connection-lost', 'the channel closed without an exit status', {
          meaning: 'the connection to the host was cut while the command ran',
          hint: 'check the network and sshd on the host; the command may or may not have completed',
        });
      }
      // The bootstrap's PID line comes first on stderr; should stderr still hold unread bytes, judge after them.
      if (this._pid === undefined && this.stderr.searching && !channel.stderr.readableEnded) {
        channel.stderr.once('end', () => this.settle());
        setTimeout(() => this.settle(), 1000).unref();
      } else this.settle();
    });
    // Backpressure: pipe() pauses the channel (and so the SSH window) when a consumer is slow.
    channel.pipe(this.stdout);
    channel.stderr.pipe(this.stderr);
    channel.on('error', (e: Error) => this.owner.log('debug', `${this.owner.label}: channel error: ${e.message}`));
    if (!viaRunner) channel.write(this.commandLine);
    const stdin = this.options.stdin;
    if (stdin !== undefined) channel.end(stdin);
    else channel.end();
    if (stopping) this.owner.killRemote(this);
  }

  /** The channel closed: the exit status, or why there is none. */
  private settle(): void {
    if (this.phase === 'done') return;
    if (this._pid === undefined && !this.failure && this.stderr.searching) {
      this.failure = this.error('config', 'the login shell did not start /bin/sh', {
        exitCode: this.status?.code,
        meaning: `the account's login shell ran the exec request \`exec /bin/sh -c …\` without starting it (exit ${this.status?.code ?? this.status?.signal ?? '?'}); Mailops runs every command through /bin/sh and cannot run any as this account`,
        hint: 'give the account a login shell that can exec /bin/sh (sh, bash, zsh, fish, tcsh, …) instead of nologin or a restricted shell',
      });
    }
    this.finish();
  }

  /** Close the channel (after the kill, or instead of it without a PID); resolves true when it closed. */
  closeChannel(ms: number): Promise<boolean> {
    this.channel?.close();
    return this.waitClose(ms);
  }

  waitPid(ms: number): Promise<void> {
    if (this._pid !== undefined || this.phase === 'done') return Promise.resolve();
    return new Promise((res) => {
      const t = setTimeout(res, ms);
      this.pidWaiters.push(() => {
        clearTimeout(t);
        res();
      });
    });
  }

  /** Resolves true when the channel closed within ms. */
  waitClose(ms: number): Promise<boolean> {
    if (this.phase === 'done') return Promise.resolve(true);
    return new Promise((res) => {
      const t = setTimeout(() => res(false), ms);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        res(true);
      });
    });
  }

  finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    if (this.timer) clearTimeout(this.timer);
    this.abortCleanup?.();
    for (const w of this.closeWaiters.splice(0)) w();
    for (const w of this.pidWaiters.splice(0)) w();
    if (this.failure) {
      // End the streams so line readers stop; the error is carried by `exit`.
      this.channel?.unpipe(this.stdout);
      this.channel?.stderr.unpipe(this.stderr);
      if (!this.stdout.writableEnded) this.stdout.end();
      if (!this.stderr.writableEnded) this.stderr.end();
      this.rejectExit(this.failure);
    } else {
      this.resolveExit(this.status ?? { code: null, signal: null });
    }
  }
}
