/**
 * The SSH transport: one pooled ssh2 connection per host (through its jump hosts), every command on its
 * own channel (ssh/channels.ts queues them), every command line delivered to /bin/sh on stdin whatever the
 * account's login shell (ssh/remoteCommand.ts).
 *
 * - Keepalives (interval from the config, 3 missed = dead); a dropped connection fails every running command
 *   with TransportError('connection-lost'), and the next command reconnects.
 * - Stopping a command stops the REMOTE process tree: OpenSSH ignores channel signals for commands without a
 *   pty, so the bootstrap reports its PID (= process group) on stderr; cancel and timeout signal the group
 *   and every descendant on a second channel (TERM, then KILL after a grace period), with the same
 *   `sudo -n` the command was started with: an unprivileged kill would reach sudo and not root's children.
 * - Host keys are checked against known_hosts files and the trust store BEFORE authentication.
 * - Many commands, one session (issue 17.3): with `runner: true`, the first command starts the session
 *   runner (ssh/runner.ts) on one channel and every command runs through it: no new session on the host
 *   per command, no MaxSessions limit. Where it cannot start (no perl, a refused channel, no hello) each
 *   command gets a channel of its own as before, and the debug log says why. Off by default for now: when
 *   the connection drops, the runner stops a backup run's processes before the run's own trap can log
 *   `run fail reason=connection-lost` (test/integration/loss/sshd-killed.test.ts failed on d12 with it on);
 *   the run is still stopped and its lock freed, but the run log no longer says why.
 */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { TransportError } from '../../errors';
import type { ResolvedSshTarget } from '../../hosts/sshConfig';
import { shellLine } from '../quote';
import { collectRun, DEFAULT_RUN_TIMEOUT_MS, type LogFn } from '../run';
import type { ConnectionState, Prompter, RemoteProcess, RunOptions, RunResult, SpawnOptions, Transport } from '../types';
import { ChannelQueue } from './channels';
import { connectHop } from './handshake';
import { SshProcess, type ProcessOwner } from './process';
import { EXEC_REQUEST, killTreeArgv, killTreeCommand } from './remoteCommand';
import { RunnerSession } from './runner';

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
  /** Run commands through the session runner (true); default false: a channel per command. */
  runner?: boolean;
  /** The runner's interpreter on the host (default `perl`, found in the PATH of /bin/sh). */
  runnerInterpreter?: string;
}

export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly label: string;
  private _state: ConnectionState = 'idle';
  private readonly listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  private client?: Client;
  private jumpClients: Client[] = [];
  private connecting?: Promise<Client>;
  private readonly channels: ChannelQueue;
  private readonly killGraceMs: number;
  private readonly log: LogFn;
  private closing = false;
  private _localPort?: number;
  private _peer?: { address: string; port: number; hostKey: string };
  /** Bumped when a connection ends, so late callbacks of the old one are ignored. */
  private generation = 0;
  /** What the processes may ask of this transport (and nothing else of it). */
  private readonly owner: ProcessOwner;
  /** The session runner of the current connection, while it runs. */
  private runner?: RunnerSession;
  private runnerStarting?: Promise<RunnerSession | undefined>;
  /** The connection generation on which the runner could not start: commands use channels until a reconnect. */
  private runnerUnavailable?: number;
  /** Commands running through the runner (the channel queue holds the others). */
  private readonly runnerProcesses = new Set<SshProcess>();

  constructor(private readonly opts: SshTransportOptions) {
    this.label = opts.name;
    this.killGraceMs = opts.killGraceMs ?? 3000;
    this.log = (level, msg) => opts.log?.(level, msg);
    this.channels = new ChannelQueue(Math.max(1, opts.maxChannels ?? 8), (p) => void this.open(p), (m) => this.log('debug', `${this.label}: ${m}`));
    this.owner = {
      label: this.label,
      log: this.log,
      killRemote: (p) => void this.killRemote(p),
      dequeue: (p) => this.channels.remove(p),
      released: (p) => this.channels.released(p),
    };
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
    // throws UnsafeArgumentError (NUL, empty argv) before anything is sent
    const p = new SshProcess(argv, options, false, this.owner);
    this.dispatch(p);
    return p;
  }

  /** PID of the session runner on the host, while one runs (tests look for it in the host's process list). */
  get runnerPid(): number | undefined {
    return this.runner?.alive ? this.runner.pid : undefined;
  }

  private dispatch(p: SshProcess): void {
    if (this.opts.runner !== true || (this.runnerUnavailable !== undefined && this.runnerUnavailable === this.generation && this.client)) this.channels.add(p);
    else void this.viaRunner(p);
  }

  /** Start p through the runner (started first when needed), or on a channel of its own when there is none. */
  private async viaRunner(p: SshProcess): Promise<void> {
    if (p.internal && (!this.client || this._state !== 'connected')) {
      // a kill never opens a connection: on a closed or dropped one the runner has stopped its commands
      p.lost(p.error('cancelled', 'connection closed; nothing left to stop'));
      return;
    }
    let runner: RunnerSession | undefined;
    try {
      runner = await this.ensureRunner(await this.ensureConnected());
    } catch (e) {
      p.lost(e instanceof TransportError ? withCommand(e, p.command) : p.error('connect-failed', (e as Error).message));
      return;
    }
    if (p.done) return;
    if (!runner) {
      this.channels.add(p);
      return;
    }
    this.runnerProcesses.add(p);
    void p.exit.catch(() => undefined).finally(() => this.runnerProcesses.delete(p));
    p.opening();
    p.attach(runner.start(p.argv, killTreeCommand(p.argv)), true);
  }

  private ensureRunner(client: Client): Promise<RunnerSession | undefined> {
    if (this.runner?.alive) return Promise.resolve(this.runner);
    if (this.runnerUnavailable === this.generation) return Promise.resolve(undefined);
    if (this.runnerStarting) return this.runnerStarting;
    const generation = this.generation;
    const debug = (m: string) => this.log('debug', `${this.label}: ${m}`);
    const starting = RunnerSession.start({ client, interpreter: this.opts.runnerInterpreter ?? 'perl', helloTimeoutMs: 10_000, debug }).then(
      (r) => {
        if (generation !== this.generation) {
          // the connection went while the runner started: these commands take channels (and reconnect)
          r.end();
          return undefined;
        }
        this.runner = r;
        debug(`session runner started (PID ${r.pid}); commands share its channel`);
        r.onClose((why) => {
          if (this.runner === r) this.runner = undefined;
          // a dropped connection already failed them (watch); otherwise the runner itself ended
          for (const p of this.runnerProcesses) {
            p.lost(p.error('connection-lost', why, {
              meaning: 'the Mailops session runner that ran this command on the host ended while it ran',
              hint: 'retry: the next command starts a new runner; should it keep ending, set "ssh": { "runner": false } for this host (a session per command)',
            }));
          }
        });
        return r;
      },
      (e: unknown) => {
        debug(`the session runner did not start (${(e as Error).message}); running each command on a channel of its own`);
        if (generation === this.generation) this.runnerUnavailable = generation;
        return undefined;
      },
    );
    this.runnerStarting = starting.finally(() => {
      if (this.runnerStarting === guarded) this.runnerStarting = undefined;
    });
    const guarded = this.runnerStarting;
    return guarded;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const opts = { ...options, timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS };
    return collectRun(this.spawn(argv, opts), options.maxBuffer, () => new TransportError('cancelled', 'output larger than maxBuffer', { host: this.label, command: shellLine(argv), hint: 'stream this command with spawn() instead' }));
  }

  /** Ask the server for p's channel (called by the queue when p may have one). */
  private async open(p: SshProcess): Promise<void> {
    let client: Client;
    try {
      client = await this.ensureConnected();
    } catch (e) {
      this.channels.released(p);
      p.lost(e instanceof TransportError ? withCommand(e, p.command) : p.error('connect-failed', (e as Error).message));
      // everything still queued fails the same way
      for (const q of this.channels.takeWaiting()) q.lost(e instanceof TransportError ? withCommand(e, q.command) : q.error('connect-failed', (e as Error).message));
      return;
    }
    if (p.done) {
      this.channels.released(p);
      return;
    }
    const generation = this.generation;
    client.exec(EXEC_REQUEST, (err, channel) => {
      if (generation !== this.generation) {
        // the connection this channel belongs to is gone; watch() already failed the process
        if (!err) channel.close();
        return;
      }
      if (err) {
        if (p.stopping) {
          // cancelled while its channel was being opened: nothing runs remotely
          this.channels.released(p);
          p.finish();
        } else if (/open failed/i.test(err.message) && !p.done) {
          if (this.channels.refused(p)) return; // retried when a channel closes
          p.lost(p.error('connect-failed', 'the server refused to open a session channel', {
            meaning: `sshd said: ${err.message}`,
            hint: "check MaxSessions and any ForceCommand/restrictions in the host's sshd_config",
          }));
          this.channels.pump();
        } else {
          this.channels.released(p);
          if (!p.done) p.lost(p.error('connection-lost', `could not open a channel: ${err.message}`, { hint: 'retry; if it persists, check sshd on the host' }));
        }
        return;
      }
      if (p.done) {
        channel.close();
        return;
      }
      p.attach(channel);
    });
  }

  /** TERM the remote process tree, KILL it after the grace period, close the channel. */
  private async killRemote(p: SshProcess): Promise<void> {
    await p.waitPid(this.killGraceMs);
    if (p.done) return;
    const pid = p.pid;
    if (pid !== undefined && pid > 1) {
      await this.signalTree(p, 'TERM', pid);
      const closed = await p.waitClose(this.killGraceMs);
      if (!closed && !p.done) {
        this.log('debug', `${this.label}: process tree of ${pid} survived TERM; sending KILL`);
        await this.signalTree(p, 'KILL', pid);
        await p.waitClose(1000);
      }
    } else {
      this.log('warn', `${this.label}: no PID reported for ${p.command}; closing its channel only`);
    }
    if (!p.done && !(await p.closeChannel(1000))) {
      // The channel did not answer; release it locally so the queue moves on.
      this.channels.released(p);
      p.finish();
    }
  }

  /**
   * Signal p's process tree with p's own privilege; when that sudo refuses (exit non-zero: the kill script
   * itself always exits 0), signal without it, which still reaches whatever the SSH user owns.
   */
  private async signalTree(p: SshProcess, signal: 'TERM' | 'KILL', pid: number): Promise<void> {
    const privileged = killTreeArgv(p.argv, signal, pid);
    const code = await this.runInternal(privileged);
    if (code !== 0 && privileged[0] === 'sudo') await this.runInternal(killTreeArgv([], signal, pid));
  }

  private async runInternal(argv: string[]): Promise<number | null> {
    const k = new SshProcess(argv, { timeoutMs: 10_000 }, true, this.owner);
    k.stdout.resume();
    let stderr = '';
    k.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    this.dispatch(k);
    try {
      const st = await k.exit;
      if (st.code !== 0) this.log('debug', `${this.label}: ${shellLine(argv.slice(0, argv.indexOf('-c')))} … exited ${st.code ?? st.signal}: ${stderr.trim()}`);
      return st.code;
    } catch (e) {
      this.log('debug', `${this.label}: ${shellLine(argv.slice(0, argv.indexOf('-c')))} …: ${(e as Error).message}`);
      return null;
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
    this.channels.resetLimit();
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
        const isJump = i < chain.length - 1;
        const c = await connectHop({
          target: hop,
          hostLabel: isJump ? `${this.label} (jump host ${hop.alias})` : this.label,
          sock,
          prompter: this.opts.prompter,
          trustStorePath: this.opts.trustStorePath,
          log: this.log,
          onLocalPort: (port) => (this._localPort = port),
          onReady: isJump ? undefined : (hostKey) => (this._peer = { address: hop.hostName, port: hop.port, hostKey }),
        });
        if (!isJump) {
          this.jumpClients = jumps;
          this.watch(c);
          return c;
        }
        jumps.push(c);
        const next = chain[i + 1]!;
        sock = await new Promise<Duplex>((res, rej) =>
          c.forwardOut('127.0.0.1', 0, next.hostName, next.port, (err, stream) => (err ? rej(new TransportError('connect-failed', `jump host ${hop.alias} could not reach ${next.hostName}:${next.port}`, {
            host: this.label,
            meaning: err.message,
            hint: `check that ${hop.alias} can connect to ${next.hostName}:${next.port} (AllowTcpForwarding on the jump host)`,
          })) : res(stream))),
        );
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
      const running = [...this.channels.takeActive(), ...this.runnerProcesses];
      this.runner = undefined;
      for (const p of running) p.lost(intentional ? p.error('cancelled', 'connection closed by Mailops') : withCommand(err, p.command));
      this.setState(intentional ? 'closed' : 'failed', intentional ? undefined : err);
      // queued commands have not started: they go out on a new connection
      if (this.channels.hasWaiting && !intentional) this.channels.pump();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const q of this.channels.takeWaiting()) q.lost(q.error('cancelled', 'connection closed by Mailops'));
    const c = this.client;
    const stops = [...this.channels.activeProcesses(), ...this.runnerProcesses].map(async (p) => {
      p.cancel('transport closed');
      await p.exit.catch(() => undefined);
    });
    // Bounded waits whose timers never keep the process alive once everything closed.
    await Promise.race([Promise.all(stops), new Promise((r) => setTimeout(r, this.killGraceMs + 2000).unref())]);
    // EOF on its stdin: the runner stops anything left and exits (so does a dropped connection)
    this.runner?.end();
    this.runner = undefined;
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
