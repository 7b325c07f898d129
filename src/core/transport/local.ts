/**
 * The local transport: the argv is executed directly (no shell) with execa, in its own process group
 * (`detached`), so that cancel and timeout stop the command and everything it started (TERM to the group,
 * KILL after a grace period). Same contract as the SSH transport: a command that cannot be started
 * ends with exit code 127 (126 when not executable) and a message on stderr, like a shell would.
 *
 * execa is ESM-only; it is loaded with a dynamic import() so that this module also works when required
 * from CommonJS (the test runner); the bundle inlines it either way.
 */
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Result } from 'execa';
import { TransportError, type ErrorDetails } from '../errors';
import { quoteArg, shellLine } from './quote';
import { collectRun, DEFAULT_RUN_TIMEOUT_MS, type LogFn } from './run';
import type { ConnectionState, ExitStatus, RemoteProcess, RunOptions, RunResult, SpawnOptions, Transport } from './types';

export interface LocalTransportOptions {
  name?: string;
  log?: LogFn;
  /** Milliseconds between TERM and KILL of a cancelled command (default 3000). */
  killGraceMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

let execaModule: Promise<typeof import('execa')> | undefined;
const loadExeca = () => (execaModule ??= import('execa'));

class LocalProcess implements RemoteProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exit: Promise<ExitStatus>;
  private failure?: TransportError;
  private exited = false;
  private stopping = false;
  private pid?: number;
  private exitedWaiters: Array<() => void> = [];

  constructor(readonly argv: readonly string[], options: SpawnOptions, private readonly t: LocalTransport, private readonly grace: number, extra: LocalTransportOptions) {
    argv.forEach((a, i) => quoteArg(a, i)); // same refusals as remote: NUL, non-strings
    if (argv.length === 0) shellLine(argv);
    let timer: NodeJS.Timeout | undefined;
    let cleanupAbort: (() => void) | undefined;
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      timer = setTimeout(() => this.stop(this.t.error('timeout', `command timed out after ${options.timeoutMs} ms`, argv, {
        meaning: 'the command did not finish in time; its process group was stopped (TERM, then KILL)',
        hint: 'retry, or raise the timeout',
      })), options.timeoutMs);
    }
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.cancel(signal.reason instanceof Error ? signal.reason.message : typeof signal.reason === 'string' ? signal.reason : undefined);
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        cleanupAbort = () => signal.removeEventListener('abort', onAbort);
      }
    }
    const started = loadExeca().then(({ execa }) => {
      if (this.failure) return undefined; // cancelled before it started
      const sub = execa(argv[0]!, argv.slice(1), {
        ...(options.stdin !== undefined ? { input: options.stdin } : { stdin: 'ignore' as const }),
        buffer: false,
        reject: false,
        detached: true,
        cleanup: true,
        encoding: 'buffer',
        stripFinalNewline: false,
        cwd: extra.cwd,
        env: extra.env,
        extendEnv: extra.env === undefined,
      });
      this.pid = sub.pid;
      // end: false so that a message can still be added (command not found) before the streams end
      sub.stdout?.pipe(this.stdout, { end: false });
      sub.stderr?.pipe(this.stderr, { end: false });
      if (this.stopping) this.killGroup('SIGTERM');
      return sub;
    });
    this.exit = started.then(async (sub): Promise<ExitStatus> => {
      const r: Result | undefined = sub ? await sub : undefined;
      if (sub) {
        const streams: (Readable | null | undefined)[] = [sub.stdout, sub.stderr];
        await Promise.all(streams.map((st) => (st && !st.readableEnded && !st.destroyed ? finished(st).catch(() => undefined) : undefined)));
      }
      this.exited = true;
      for (const w of this.exitedWaiters.splice(0)) w();
      if (timer) clearTimeout(timer);
      cleanupAbort?.();
      if (this.failure) {
        if (!this.stdout.writableEnded) this.stdout.end();
        if (!this.stderr.writableEnded) this.stderr.end();
        throw this.failure;
      }
      if (!r) throw this.t.error('cancelled', 'command not started', argv);
      const code = (r as { code?: string }).code;
      if (r.failed && r.exitCode === undefined && r.signal === undefined && (code === 'ENOENT' || code === 'EACCES')) {
        // never started: report it the way a shell would
        if (!this.stderr.writableEnded) this.stderr.end(`${argv[0]}: ${code === 'ENOENT' ? 'command not found' : 'permission denied'}\n`);
        if (!this.stdout.writableEnded) this.stdout.end();
        return { code: code === 'ENOENT' ? 127 : 126, signal: null };
      }
      this.stdout.end();
      this.stderr.end();
      return { code: r.exitCode ?? null, signal: r.signal ?? null };
    });
    this.exit.catch(() => undefined);
  }

  cancel(reason?: string): void {
    this.stop(this.t.error('cancelled', `command cancelled${reason ? ` (${reason})` : ''}`, this.argv, {
      meaning: 'the command was stopped on request (TERM to its process group, then KILL)',
      hint: 'run it again when needed',
    }));
  }

  private stop(err: TransportError): void {
    if (this.exited || this.stopping) return;
    this.stopping = true;
    this.failure = err;
    this.killGroup('SIGTERM');
    const t = setTimeout(() => {
      if (!this.exited) {
        this.t.log('debug', `local: process group ${this.pid} survived TERM; sending KILL`);
        this.killGroup('SIGKILL');
      }
    }, this.grace);
    this.exitedWaiters.push(() => clearTimeout(t));
  }

  private killGroup(sig: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }
}

export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  readonly label: string;
  private _state: ConnectionState = 'connected';
  private readonly listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  private readonly running = new Set<LocalProcess>();

  constructor(private readonly opts: LocalTransportOptions = {}) {
    this.label = opts.name ?? 'local';
  }

  get state(): ConnectionState {
    return this._state;
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  error(failure: TransportError['failure'], summary: string, argv: readonly string[], details: ErrorDetails = {}): TransportError {
    return new TransportError(failure, summary, { host: this.label, command: shellLine(argv), ...details });
  }

  spawn(argv: readonly string[], options: SpawnOptions = {}): RemoteProcess {
    if (this._state === 'closed') this.setState('connected');
    const p = new LocalProcess(argv, options, this, this.opts.killGraceMs ?? 3000, this.opts);
    this.running.add(p);
    void p.exit.then(
      () => this.running.delete(p),
      () => this.running.delete(p),
    );
    return p;
  }

  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return collectRun(this.spawn(argv, { ...options, timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS }), options.maxBuffer, () => this.error('cancelled', 'output larger than maxBuffer', argv, { hint: 'stream this command with spawn() instead' }));
  }

  async connect(): Promise<void> {
    if (this._state !== 'connected') this.setState('connected');
  }

  async close(): Promise<void> {
    const all = [...this.running];
    for (const p of all) p.cancel('transport closed');
    await Promise.all(all.map((p) => p.exit.catch(() => undefined)));
    this.setState('closed');
  }

  onStateChange(listener: (state: ConnectionState, error?: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(s: ConnectionState): void {
    this._state = s;
    for (const l of this.listeners) l(s);
  }
}
