/**
 * The SSH transport: one pooled ssh2 connection per host, every command on its own channel.
 *
 * - Channels are multiplexed; at most `maxChannels` (default 8) are open at once, and when the server
 *   refuses a channel ("open failed": OpenSSH's MaxSessions, default 10) the command waits for another
 *   channel to close and is retried.
 * - Keepalives (interval from the config, 3 missed = dead); a dropped connection fails every running command
 *   with TransportError('connection-lost'), and the next command reconnects.
 * - Stopping a command stops the REMOTE process: OpenSSH ignores channel signals for commands without a pty,
 *   so each command line first prints `MAILOPS-PID <pid>` on stderr (sshd starts the command in its own
 *   session, so that PID is also the process group) and then `exec`s the argv. The marker line is removed from
 *   stderr; cancel/timeout runs `kill -TERM -- -PID` on a second channel, then `kill -KILL` after a grace period.
 * - Host keys are checked against known_hosts files and the trust store BEFORE authentication.
 * - Authentication in OpenSSH's order: publickey (agent, then identity files), keyboard-interactive, password.
 *   Secrets come from the Prompter and are never logged.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { PassThrough, Transform, type Duplex, type TransformCallback } from 'node:stream';
import { Client, utils as ssh2utils, type AnyAuthMethod, type AuthenticationType, type ClientChannel, type ConnectConfig, type KeyboardInteractiveCallback, type Prompt } from 'ssh2';
import { TransportError, type ErrorDetails } from '../errors';
import type { ResolvedSshTarget } from '../hosts/sshConfig';
import { checkHostKey, fingerprintSha256, formatKnownHostsLine, keyTypeOf, knownHostsName, parseKnownHosts, type KnownHostEntry } from './knownHosts';
import { shellLine } from './quote';
import type { ConnectionState, ExitStatus, Prompter, RemoteProcess, RunOptions, RunResult, SecretQuestion, SecretSubject, SpawnOptions, Transport } from './types';
import { collectRun, type LogFn } from './run';

export interface SshTransportOptions {
  /** Host name as configured, for messages. */
  name: string;
  target: ResolvedSshTarget;
  prompter: Prompter;
  /** known_hosts-format file where keys accepted through the Prompter are added. */
  trustStorePath: string;
  log?: LogFn;
  /** Channels open at once on the connection (default 8). Further commands wait in a queue. */
  maxChannels?: number;
  /** Milliseconds between kill -TERM and kill -KILL of a cancelled command (default 3000). */
  killGraceMs?: number;
}

const PID_MARKER = 'MAILOPS-PID';
const PID_LINE = /^MAILOPS-PID (\d+)$/;
/** Give up looking for the marker after this much stderr (a chatty shell rc file): pass the rest through. */
const MARKER_SEARCH_LIMIT = 64 * 1024;

/** The remote line for an argv: report the PID (= process group), then become the command. */
export function wrapRemoteCommand(argv: readonly string[]): string {
  return `echo "${PID_MARKER} $$" >&2; exec ${shellLine(argv)}`;
}

/** Removes the `MAILOPS-PID n` line from the start of stderr and reports the PID. */
class PidMarkerFilter extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private searching = true;
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

type ProcPhase = 'queued' | 'opening' | 'running' | 'stopping' | 'done';

class SshProcess implements RemoteProcess {
  readonly stdout = new PassThrough();
  readonly stderr: Transform;
  readonly exit: Promise<ExitStatus>;
  phase: ProcPhase = 'queued';
  /** Order of channel-open requests on the connection (replies come in the same order). */
  openSeq = 0;
  channel?: ClientChannel;
  pid?: number;
  status?: ExitStatus;
  failure?: TransportError;
  private resolveExit!: (s: ExitStatus) => void;
  private rejectExit!: (e: Error) => void;
  private pidWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private abortCleanup?: () => void;

  constructor(
    readonly argv: readonly string[],
    /** The exact line sent (wrapped, or a raw internal line). */
    readonly line: string,
    readonly options: SpawnOptions,
    /** Internal helper (kill): no PID marker, jumps the queue. */
    readonly internal: boolean,
    private readonly owner: SshTransport,
  ) {
    this.stderr = internal
      ? new PassThrough()
      : new PidMarkerFilter((pid) => {
          this.pid = pid;
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
        this.stop(owner.error('timeout', `command timed out after ${options.timeoutMs} ms`, this, {
          meaning: 'the command did not finish in time; it was stopped on the host (TERM, then KILL)',
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

  get command(): string {
    return this.internal ? this.line : shellLine(this.argv);
  }

  cancel(reason?: string): void {
    this.stop(this.owner.error('cancelled', `command cancelled${reason ? ` (${reason})` : ''}`, this, {
      meaning: 'the command was stopped on request; it was stopped on the host too (TERM, then KILL)',
      hint: 'run it again when needed',
    }));
  }

  /** Stop with an error: the remote process group is killed when it is running. */
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
    if (!wasOpening) void this.owner.killRemote(this);
    // when still opening, attach() sees phase 'stopping' and starts the kill
  }

  /** The connection is gone: nothing can be killed any more. */
  lost(err: TransportError): void {
    if (this.phase === 'done') return;
    this.failure ??= err;
    this.finish();
  }

  attach(channel: ClientChannel): void {
    this.channel = channel;
    const stopping = this.phase === 'stopping';
    if (!stopping) this.phase = 'running';
    channel.on('exit', (code: number | null, signal?: string) => {
      this.status = { code: typeof code === 'number' ? code : null, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null };
    });
    channel.on('close', () => {
      for (const w of this.closeWaiters.splice(0)) w();
      this.owner.channelClosed(this);
      if (!this.status && !this.failure) {
        this.failure = this.owner.error('connection-lost', 'the channel closed without an exit status', this, {
          meaning: 'the connection to the host was cut while the command ran',
          hint: 'check the network and sshd on the host; the command may or may not have completed',
        });
      }
      this.finish();
    });
    // Backpressure: pipe() pauses the channel (and so the SSH window) when a consumer is slow.
    channel.pipe(this.stdout);
    channel.stderr.pipe(this.stderr);
    channel.on('error', (e: Error) => this.owner.log('debug', `${this.owner.label}: channel error: ${e.message}`));
    const stdin = this.options.stdin;
    if (stdin !== undefined) channel.end(stdin);
    else channel.end();
    if (stopping) void this.owner.killRemote(this);
  }

  waitPid(ms: number): Promise<void> {
    if (this.pid !== undefined || this.internal) return Promise.resolve();
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

/** Agent/identity/keyboard-interactive/password, tried in order; secrets asked lazily. */
type AuthStep =
  | { kind: 'agent'; socket: string }
  | { kind: 'key'; file: string }
  | { kind: 'keyboard-interactive' }
  | { kind: 'password'; attempt: number };

export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly label: string;
  private _state: ConnectionState = 'idle';
  private listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  private client?: Client;
  private jumpClients: Client[] = [];
  private connecting?: Promise<Client>;
  private readonly queue: SshProcess[] = [];
  private readonly active = new Set<SshProcess>();
  /** Channels open or being opened. */
  private openCount = 0;
  /** Learned from "open failed": the server's session limit on this connection. */
  private sessionLimit = Infinity;
  private readonly maxChannels: number;
  private readonly killGraceMs: number;
  private closing = false;
  private _localPort?: number;
  private _peer?: { address: string; port: number; hostKey: string };
  /** Bumped when a connection ends, so late callbacks of the old one are ignored. */
  private generation = 0;
  private openSeqCounter = 0;

  constructor(private readonly opts: SshTransportOptions) {
    this.label = opts.name;
    this.maxChannels = Math.max(1, opts.maxChannels ?? 8);
    this.killGraceMs = opts.killGraceMs ?? 3000;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get peer(): { address: string; port: number; hostKey: string } | undefined {
    return this._peer;
  }

  /** Local TCP port of the latest connection attempt (to find it in the server's sshd log), if any. */
  get localPort(): number | undefined {
    return this._localPort;
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  error(failure: TransportError['failure'], summary: string, proc: SshProcess | undefined, details: ErrorDetails = {}): TransportError {
    return new TransportError(failure, summary, { host: this.label, command: proc?.command, ...details });
  }

  onStateChange(listener: (state: ConnectionState, error?: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(s: ConnectionState, err?: Error): void {
    this._state = s;
    for (const l of this.listeners) {
      try {
        l(s, err);
      } catch (e) {
        this.log('warn', `${this.label}: state listener failed: ${(e as Error).message}`);
      }
    }
  }

  // ---------------------------------------------------------------- commands

  spawn(argv: readonly string[], options: SpawnOptions = {}): RemoteProcess {
    const line = wrapRemoteCommand(argv); // throws UnsafeArgumentError (NUL, empty argv) before anything is sent
    const p = new SshProcess(argv, line, options, false, this);
    this.enqueue(p);
    return p;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return collectRun(this.spawn(argv, options), options.maxBuffer, () => this.error('cancelled', 'output larger than maxBuffer', undefined, { command: shellLine(argv), hint: 'stream this command with spawn() instead' }));
  }

  private enqueue(p: SshProcess): void {
    if (p.internal) this.queue.unshift(p);
    else this.queue.push(p);
    this.pump();
  }

  dequeue(p: SshProcess): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private limitFor(p: SshProcess): number {
    return p.internal ? Math.max(this.sessionLimit, 1) : Math.min(this.maxChannels, this.sessionLimit);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const p = this.queue[0]!;
      if (this.openCount >= this.limitFor(p)) {
        // An internal kill may be behind nothing; ordinary commands wait for a channel to close.
        return;
      }
      this.queue.shift();
      this.openCount++;
      p.openSeq = ++this.openSeqCounter;
      p.phase = p.phase === 'stopping' ? 'stopping' : 'opening';
      this.active.add(p);
      void this.open(p);
    }
  }

  private async open(p: SshProcess): Promise<void> {
    let client: Client;
    try {
      client = await this.ensureConnected();
    } catch (e) {
      if (this.active.delete(p)) this.openCount--;
      p.lost(e instanceof TransportError ? withCommand(e, p.command) : this.error('connect-failed', (e as Error).message, p));
      // everything still queued fails the same way
      for (const q of this.queue.splice(0)) q.lost(e instanceof TransportError ? withCommand(e, q.command) : this.error('connect-failed', (e as Error).message, q));
      return;
    }
    if (p.done) {
      if (this.active.delete(p)) this.openCount--;
      this.pump();
      return;
    }
    const generation = this.generation;
    client.exec(p.line, (err, channel) => {
      if (generation !== this.generation) {
        // the connection this channel belongs to is gone; watch() already failed the process
        if (!err) channel.close();
        return;
      }
      if (err) {
        if (this.active.delete(p)) this.openCount--;
        if (p.phase === 'stopping') {
          // cancelled while its channel was being opened: nothing runs remotely
          p.finish();
        } else if (/open failed/i.test(err.message) && !p.done) {
          // Replies come in request order, so the channels open right now are what the server allowed.
          // Everything requested before this one was answered first: those still active hold sessions.
          const limit = [...this.active].filter((q) => q.openSeq < p.openSeq).length;
          if (limit === 0) {
            p.lost(this.error('connect-failed', 'the server refused to open a session channel', p, {
              meaning: `sshd said: ${err.message}`,
              hint: "check MaxSessions and any ForceCommand/restrictions in the host's sshd_config",
            }));
          } else {
            if (limit < this.sessionLimit) this.log('debug', `${this.label}: server refused channel ${limit + 1}; queueing beyond ${limit} channels`);
            this.sessionLimit = Math.min(this.sessionLimit, limit);
            p.phase = 'queued';
            this.queue.unshift(p);
            // retried when a channel closes (channelClosed → pump)
            return;
          }
        } else if (!p.done) {
          p.lost(this.error('connection-lost', `could not open a channel: ${err.message}`, p, { hint: 'retry; if it persists, check sshd on the host' }));
        }
        this.pump();
        return;
      }
      if (p.done) {
        channel.close();
        return;
      }
      p.attach(channel);
    });
  }

  channelClosed(p: SshProcess): void {
    if (this.active.delete(p)) this.openCount--;
    this.pump();
  }

  /** TERM the remote process group, KILL it after the grace period, close the channel. */
  async killRemote(p: SshProcess): Promise<void> {
    await p.waitPid(this.killGraceMs);
    if (p.done) return;
    if (p.pid !== undefined && p.pid > 1) {
      await this.runInternal(`kill -TERM -- -${p.pid} 2>/dev/null || kill -TERM ${p.pid} 2>/dev/null; true`);
      const closed = await p.waitClose(this.killGraceMs);
      if (!closed && !p.done) {
        this.log('debug', `${this.label}: process group ${p.pid} survived TERM; sending KILL`);
        await this.runInternal(`kill -KILL -- -${p.pid} 2>/dev/null || kill -KILL ${p.pid} 2>/dev/null; true`);
        await p.waitClose(1000);
      }
    } else {
      this.log('warn', `${this.label}: no PID reported for ${p.command}; closing its channel only`);
    }
    if (!p.done) {
      p.channel?.close();
      const closed = await p.waitClose(1000);
      if (!closed) {
        // The channel did not answer; release it locally so the queue moves on.
        this.channelClosed(p);
        p.finish();
      }
    }
  }

  private async runInternal(line: string): Promise<void> {
    const k = new SshProcess(['sh', '-c', line], line, { timeoutMs: 10_000 }, true, this);
    k.stdout.resume();
    k.stderr.resume();
    this.enqueue(k);
    try {
      await k.exit;
    } catch (e) {
      this.log('debug', `${this.label}: ${line}: ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- connection

  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  private ensureConnected(): Promise<Client> {
    if (this.client && this._state === 'connected') return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    this.closing = false;
    this.sessionLimit = Infinity;
    this.setState('connecting');
    const attempt = this.openConnection().then(
      (client) => {
        this.connecting = undefined;
        this.client = client;
        this.setState('connected');
        this.log('info', `${this.label}: connected to ${describe(this.opts.target)}`);
        return client;
      },
      (e: unknown) => {
        this.connecting = undefined;
        this.setState('failed', e as Error);
        throw e;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  private async openConnection(): Promise<Client> {
    const t = this.opts.target;
    const jumps: Client[] = [];
    let sock: Duplex | undefined;
    try {
      const chain = [...t.jumps, t];
      for (let i = 0; i < chain.length; i++) {
        const hop = chain[i]!;
        const c = await this.connectOne(hop, sock, i < chain.length - 1);
        if (i < chain.length - 1) {
          jumps.push(c);
          const next = chain[i + 1]!;
          sock = await new Promise<Duplex>((res, rej) =>
            c.forwardOut('127.0.0.1', 0, next.hostName, next.port, (err, stream) => (err ? rej(new TransportError('connect-failed', `jump host ${hop.alias} could not reach ${next.hostName}:${next.port}`, {
              host: this.label,
              meaning: err.message,
              hint: `check that ${hop.alias} can connect to ${next.hostName}:${next.port} (AllowTcpForwarding on the jump host)`,
            })) : res(stream))),
          );
        } else {
          this.jumpClients = jumps;
          this.watch(c);
          return c;
        }
      }
      throw new Error('unreachable');
    } catch (e) {
      for (const j of jumps) j.end();
      throw e;
    }
  }

  /** Notice a dropped connection: fail every running command, and let the next spawn reconnect. */
  private watch(c: Client): void {
    let why: string | undefined;
    c.on('error', (e: Error & { level?: string }) => {
      why = e.message;
      this.log('warn', `${this.label}: connection error: ${e.message}`);
    });
    c.on('close', () => {
      if (this.client !== c) return;
      this.client = undefined;
      this.generation++;
      for (const j of this.jumpClients.splice(0)) j.end();
      const intentional = this.closing;
      const err = new TransportError('connection-lost', `connection to ${describe(this.opts.target)} lost${why ? ` (${why})` : ''}`, {
        host: this.label,
        meaning: why === 'Keepalive timeout' ? `the host stopped answering keepalives (${this.opts.target.keepaliveCountMax} missed)` : 'the SSH connection was closed by the network or the host',
        hint: 'check that the host and its sshd are up; the next command reconnects',
      });
      for (const p of [...this.active]) {
        this.active.delete(p);
        p.lost(intentional ? this.error('cancelled', 'connection closed by Mailops', p) : withCommand(err, p.command));
      }
      this.openCount = 0;
      this.setState(intentional ? 'closed' : 'failed', intentional ? undefined : err);
      // queued commands have not started: they go out on a new connection
      if (this.queue.length && !intentional) this.pump();
    });
  }

  private connectOne(t: ResolvedSshTarget, sock: Duplex | undefined, isJump: boolean): Promise<Client> {
    const c = new Client();
    const hostLabel = isJump ? `${this.label} (jump host ${t.alias})` : this.label;
    let refusal: TransportError | undefined;
    let authError: TransportError | undefined;
    const steps = this.authSteps(t);
    let stepIndex = 0;
    const keyName = knownHostsName(t.hostKeyAlias ?? t.hostName, t.hostKeyAlias ? 22 : t.port);
    /** The verified host key: part of what a password of this server unlocks (SecretSubject). */
    let hostKey = '';
    /** Secrets answered for the method being tried: rejected when the server asks again, accepted on 'ready'. */
    let given: SecretQuestion[] = [];
    const settleGiven = (accepted: boolean): void => {
      for (const q of given.splice(0)) this.opts.prompter.secretOutcome?.(q, accepted);
    };

    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      this.verifyHostKey(t, keyName, key, hostLabel).then(
        () => {
          hostKey = fingerprintSha256(key);
          verify(true);
        },
        (e: unknown) => {
          refusal = e instanceof TransportError ? e : new TransportError('host-key-unknown', (e as Error).message, { host: hostLabel });
          verify(false);
        },
      );
    };

    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (m: AnyAuthMethod | false) => void): void => {
      const allowed = (m: string) => !methodsLeft || methodsLeft.includes(m as AuthenticationType);
      // Called again: the method tried last was refused, and with it the secrets it carried.
      settleGiven(false);
      const login: SecretSubject = { kind: 'ssh-login', user: t.user, address: t.hostName, port: t.port, hostKey };
      const tryNext = async (): Promise<void> => {
        while (stepIndex < steps.length) {
          const step = steps[stepIndex++]!;
          const method = await this.prepareAuth(step, t, hostLabel, allowed, login, (q) => given.push(q));
          if (method === 'cancel') {
            authError = new TransportError('cancelled', 'authentication cancelled', { host: hostLabel, hint: 'run the command again and answer the prompt' });
            return next(false);
          }
          if (method) {
            this.log('debug', `${hostLabel}: trying ${method.type} authentication as ${t.user}${step.kind === 'key' ? ` (${step.file})` : ''}`);
            return next(method);
          }
        }
        next(false);
      };
      tryNext().catch((e: unknown) => {
        authError = e instanceof TransportError ? e : new TransportError('auth-failed', (e as Error).message, { host: hostLabel });
        next(false);
      });
    };

    if (!sock) {
      // Our own socket (ssh2 accepts one still connecting) so that the local port is known for log matching.
      const s = new Socket();
      s.once('connect', () => {
        this._localPort = s.localPort;
        this.log('debug', `${hostLabel}: TCP connected to ${t.hostName}:${t.port} from local port ${s.localPort}`);
      });
      s.connect({ host: t.hostName, port: t.port });
      sock = s;
    }

    const cfg: ConnectConfig = {
      host: t.hostName,
      port: t.port,
      username: t.user,
      sock,
      readyTimeout: t.connectTimeout * 1000,
      keepaliveInterval: t.keepaliveInterval * 1000,
      keepaliveCountMax: t.keepaliveCountMax,
      hostVerifier,
      authHandler: authHandler as ConnectConfig['authHandler'],
    };

    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        c.end();
        reject(refusal ?? authError ?? this.mapConnectError(e, t, hostLabel));
      };
      c.once('ready', () => {
        settled = true;
        settleGiven(true);
        if (!isJump) this._peer = { address: t.hostName, port: t.port, hostKey };
        // Commands are small request/response exchanges on a long-lived connection: with Nagle's algorithm
        // each channel open/exec/close waits for the peer's delayed ACK (about 90 ms a command measured
        // here). OpenSSH sets TCP_NODELAY for interactive sessions for the same reason.
        c.setNoDelay(true);
        c.removeListener('error', fail);
        c.removeListener('close', onClose);
        resolve(c);
      });
      c.on('error', fail);
      const onClose = () => fail(Object.assign(new Error('connection closed during the handshake'), { level: 'client-socket' }));
      c.on('close', onClose);
      try {
        c.connect(cfg);
      } catch (e) {
        fail(e as Error);
      }
    });
  }

  private mapConnectError(e: Error & { level?: string; code?: string }, t: ResolvedSshTarget, hostLabel: string): TransportError {
    const where = `${t.user}@${t.hostName}:${t.port}`;
    if (e.level === 'client-authentication') {
      return new TransportError('auth-failed', `authentication as ${t.user} failed`, {
        host: hostLabel,
        meaning: `the server accepted none of: ${this.authSteps(t).map((s) => s.kind === 'key' ? `key ${s.file}` : s.kind).join(', ') || 'no methods available'}`,
        hint: `check the user, load the key into ssh-agent or list it in identityFiles, and try \`ssh -p ${t.port} ${t.user}@${t.hostName}\``,
        cause: e,
      });
    }
    if (e.level === 'client-timeout' || /timed out/i.test(e.message)) {
      return new TransportError('connect-failed', `no SSH handshake with ${where} within ${t.connectTimeout} s`, {
        host: hostLabel, meaning: e.message, hint: 'check the address, port and firewalls; raise connectTimeout for slow links', cause: e,
      });
    }
    return new TransportError('connect-failed', `cannot connect to ${where}`, {
      host: hostLabel,
      meaning: e.code === 'ECONNREFUSED' ? 'nothing listens on that port (sshd down?)' : e.code === 'ENOTFOUND' ? 'the host name does not resolve' : e.message,
      hint: 'check that the host is up and sshd runs; check HostName/Port in the Mailops host or ~/.ssh/config',
      cause: e,
    });
  }

  private authSteps(t: ResolvedSshTarget): AuthStep[] {
    const steps: AuthStep[] = [];
    for (const m of t.preferredAuthentications) {
      if (m === 'publickey') {
        if (t.agent && !t.identitiesOnly) steps.push({ kind: 'agent', socket: t.agent });
        for (const f of t.identityFiles) steps.push({ kind: 'key', file: f });
      } else if (m === 'keyboard-interactive') steps.push({ kind: 'keyboard-interactive' });
      else if (m === 'password') for (let i = 1; i <= 3; i++) steps.push({ kind: 'password', attempt: i });
    }
    return steps;
  }

  /**
   * The ssh2 auth method for one step, undefined to skip it, 'cancel' when the person cancelled a prompt.
   * Secrets sent to the server are reported through `given` (their outcome is known later); a passphrase's
   * outcome is known here.
   */
  private async prepareAuth(
    step: AuthStep,
    t: ResolvedSshTarget,
    hostLabel: string,
    allowed: (m: string) => boolean,
    login: SecretSubject,
    given: (q: SecretQuestion) => void,
  ): Promise<AnyAuthMethod | undefined | 'cancel'> {
    const username = t.user;
    switch (step.kind) {
      case 'agent':
        return allowed('publickey') ? { type: 'agent', username, agent: step.socket } : undefined;
      case 'key': {
        if (!allowed('publickey')) return undefined;
        let data: Buffer;
        try {
          data = readFileSync(step.file);
        } catch (e) {
          this.log('warn', `${hostLabel}: cannot read identity file ${step.file}: ${(e as Error).message}`);
          return undefined;
        }
        const parsed = ssh2utils.parseKey(data);
        if (!(parsed instanceof Error)) return { type: 'publickey', username, key: data };
        if (!/encrypted|passphrase/i.test(parsed.message)) {
          this.log('warn', `${hostLabel}: identity file ${step.file} is not a usable private key: ${parsed.message}`);
          return undefined;
        }
        for (let attempt = 0; attempt < 3; attempt++) {
          const q: SecretQuestion = {
            host: hostLabel, user: username, kind: 'passphrase', echo: false, subject: { kind: 'key-file', file: step.file },
            prompt: attempt === 0 ? `Passphrase for key ${step.file}:` : `Wrong passphrase. Passphrase for key ${step.file}:`,
          };
          const passphrase = await this.opts.prompter.askSecret(q);
          if (passphrase === undefined) return 'cancel';
          const ok = !(ssh2utils.parseKey(data, passphrase) instanceof Error);
          this.opts.prompter.secretOutcome?.(q, ok);
          if (ok) return { type: 'publickey', username, key: data, passphrase };
        }
        this.log('warn', `${hostLabel}: wrong passphrase for ${step.file}, skipping it`);
        return undefined;
      }
      case 'keyboard-interactive': {
        if (!allowed('keyboard-interactive')) return undefined;
        const prompter = this.opts.prompter;
        return {
          type: 'keyboard-interactive',
          username,
          prompt: (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: KeyboardInteractiveCallback) => {
            void (async () => {
              const answers: string[] = [];
              for (const p of prompts) {
                const q: SecretQuestion = {
                  host: hostLabel, user: username, kind: 'keyboard-interactive', echo: p.echo === true, subject: login,
                  prompt: [name, instructions, p.prompt].filter((s) => s && s.trim()).join('\n'),
                };
                const a = await prompter.askSecret(q);
                if (a === undefined) {
                  finish([]);
                  return;
                }
                given(q);
                answers.push(a);
              }
              finish(answers);
            })().catch(() => finish([]));
          },
        };
      }
      case 'password': {
        if (!allowed('password')) return undefined;
        const q: SecretQuestion = {
          host: hostLabel, user: username, kind: 'password', echo: false, subject: login,
          prompt: step.attempt === 1 ? `${username}@${t.hostName}'s password:` : `Permission denied, please try again. ${username}@${t.hostName}'s password:`,
        };
        const pw = await this.opts.prompter.askSecret(q);
        if (pw === undefined) return 'cancel';
        given(q);
        return { type: 'password', username, password: pw };
      }
    }
  }

  /** Resolves when the key may be used; rejects with TransportError otherwise. Runs before authentication. */
  private async verifyHostKey(t: ResolvedSshTarget, keyName: string, key: Buffer, hostLabel: string): Promise<void> {
    const files = [...t.knownHostsFiles, this.opts.trustStorePath];
    const entries: KnownHostEntry[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      const parsed = parseKnownHosts(text, f);
      for (const s of parsed.skipped) this.log('debug', `${f}:${s.line}: skipped (${s.reason})`);
      entries.push(...parsed.entries);
    }
    const fp = fingerprintSha256(key);
    const keyType = keyTypeOf(key) ?? 'unknown';
    const verdict = checkHostKey(entries, keyName, key);
    switch (verdict.status) {
      case 'trusted':
        this.log('debug', `${hostLabel}: host key ${keyType} ${fp} found in ${verdict.entry.file}:${verdict.entry.line}`);
        return;
      case 'revoked':
        throw new TransportError('host-key-changed', `the host key of ${keyName} is REVOKED`, {
          host: hostLabel,
          meaning: `the server presented ${keyType} ${fp}, which ${verdict.entry.file} line ${verdict.entry.line} marks @revoked`,
          hint: 'do not connect; ask the host\'s administrator for its current key',
        });
      case 'changed': {
        const old = verdict.previous[0]!;
        throw new TransportError('host-key-changed', `the host key of ${keyName} has CHANGED`, {
          host: hostLabel,
          meaning: `expected ${old.keyType} ${fingerprintSha256(old.key)} (${old.file} line ${old.line}), the server presented ${keyType} ${fp}; this may be a man-in-the-middle attack, or the host was reinstalled`,
          hint: `verify the new fingerprint with the host's administrator, then remove the old entry: ssh-keygen -R '${keyName}' -f '${old.file}' (or delete line ${old.line} of ${old.file})`,
        });
      }
      case 'unknown': {
        const accepted = await this.opts.prompter.confirmHostKey({ host: keyName, port: t.port, keyType, fingerprint: fp });
        if (!accepted) {
          throw new TransportError('host-key-unknown', `the host key of ${keyName} is unknown and was not accepted`, {
            host: hostLabel,
            meaning: `the server presented ${keyType} ${fp}${verdict.otherTypes.length ? ` (known keys of other types: ${verdict.otherTypes.join(', ')})` : ''}`,
            hint: `compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-|-.*$/g, '')}_key.pub\` on the host, then accept it or add it to ${this.opts.trustStorePath}`,
          });
        }
        appendTrusted(this.opts.trustStorePath, formatKnownHostsLine(keyName, key));
        this.log('info', `${hostLabel}: added ${keyType} ${fp} for ${keyName} to ${this.opts.trustStorePath}`);
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const q of this.queue.splice(0)) q.lost(this.error('cancelled', 'connection closed by Mailops', q));
    const c = this.client;
    const stops = [...this.active].map(async (p) => {
      p.cancel('transport closed');
      await p.exit.catch(() => undefined);
    });
    // Bounded waits whose timers never keep the process alive once everything closed.
    await Promise.race([Promise.all(stops), new Promise((r) => setTimeout(r, this.killGraceMs + 2000).unref())]);
    if (c) {
      await new Promise<void>((res) => {
        c.once('close', () => res());
        c.end();
        setTimeout(res, 2000).unref();
      });
    }
    for (const j of this.jumpClients.splice(0)) j.end();
    this.client = undefined;
    if (this._state !== 'closed') this.setState('closed');
  }
}

function withCommand(e: TransportError, command: string): TransportError {
  if (e.command === command) return e;
  const first = e.message.split('\n')[0]!;
  const summary = e.host && first.startsWith(`${e.host}: `) ? first.slice(e.host.length + 2) : first;
  return new TransportError(e.failure, summary, {
    host: e.host, command, meaning: e.meaning, hint: e.hint, cause: e.cause ?? e,
  });
}

function describe(t: ResolvedSshTarget): string {
  return `${t.user}@${t.hostName}:${t.port}${t.jumps.length ? ` via ${t.jumps.map((j) => j.alias).join(',')}` : ''}`;
}

/** Add one line to a known_hosts-format file atomically (temp file + rename). */
export function appendTrusted(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (current && !current.endsWith('\n')) current += '\n';
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, current + line + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
