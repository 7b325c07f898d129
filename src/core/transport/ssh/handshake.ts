/**
 * One SSH hop from TCP connect to an authenticated ssh2 Client: the host key checked against what is known
 * (ssh/hostKeys.ts) before any authentication (ssh/auth.ts), within the host's connectTimeout.
 *
 * The connect timeout measures the network and the server, not a person: it is paused while a Prompter
 * question (trust this host key? password? passphrase?) waits for an answer (issue 11.4). ssh2's own
 * readyTimeout cannot be paused, so it is off and this file keeps the deadline.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { TransportError } from '../../errors';
import type { ResolvedSshTarget } from '../../hosts/sshConfig';
import type { LogFn } from '../run';
import type { Prompter } from '../types';
import { fingerprintSha256 } from '../knownHosts';
import { Authenticator, describeAuthSteps } from './auth';
import { HostKeys } from './hostKeys';

export interface HopOptions {
  target: ResolvedSshTarget;
  /** The hop as shown in messages. */
  hostLabel: string;
  /** A forwarded stream from the previous hop, or undefined to open a TCP connection. */
  sock?: Duplex;
  prompter: Prompter;
  trustStorePath: string;
  log: LogFn;
  /** Told the local port of a TCP connection as soon as it is connected (to find it in the sshd log). */
  onLocalPort?: (port: number) => void;
  /** Told the verified host key (SHA256 fingerprint) once the login succeeded (Transport.peer). */
  onReady?: (hostKey: string) => void;
}

/** A timer that can be paused while a person is asked something. */
class Deadline {
  private timer?: NodeJS.Timeout;
  private remaining: number;
  private since = 0;
  private pauses = 0;
  private ended = false;

  constructor(ms: number, private readonly onExpire: () => void) {
    this.remaining = ms;
    this.run();
  }

  private run(): void {
    if (this.remaining <= 0 || this.ended) return;
    this.since = Date.now();
    this.timer = setTimeout(() => {
      this.ended = true;
      this.onExpire();
    }, this.remaining);
  }

  async paused<T>(ask: () => Promise<T>): Promise<T> {
    if (this.pauses++ === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.remaining -= Date.now() - this.since;
    }
    try {
      return await ask();
    } finally {
      if (--this.pauses === 0) this.run();
    }
  }

  clear(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The Prompter, with the deadline paused for every question. */
function pausing(prompter: Prompter, deadline: Deadline): Prompter {
  return {
    confirmHostKey: (info) => deadline.paused(() => prompter.confirmHostKey(info)),
    askSecret: (info) => deadline.paused(() => prompter.askSecret(info)),
    secretOutcome: prompter.secretOutcome ? (info, accepted) => prompter.secretOutcome!(info, accepted) : undefined,
  };
}

const SERVER_HOST_KEYS = /^Handshake: \(remote\) Host key format: (.*)$/;

/** Connect and authenticate one hop; rejects with TransportError. */
export function connectHop(o: HopOptions): Promise<Client> {
  const t = o.target;
  let sock = o.sock;
  let refusal: TransportError | undefined;
  let serverHostKeys: string | undefined;
  const c = new Client();

  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (e: Error & { level?: string }) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      sock?.destroy();
      c.end();
      reject(refusal ?? auth.error() ?? mapConnectError(e, t, o.hostLabel, algorithms ? () => keys.otherTypeError(serverHostKeys) : undefined));
    };
    const deadline = new Deadline(t.connectTimeout * 1000, () => fail(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' })));
    const prompter = pausing(o.prompter, deadline);
    const auth = new Authenticator(t, o.hostLabel, prompter, o.log);
    let keys: HostKeys;
    let algorithms: string[] | undefined;
    try {
      keys = new HostKeys({ hostLabel: o.hostLabel, target: t, trustStorePath: o.trustStorePath, prompter, log: o.log });
      algorithms = keys.algorithms();
    } catch (e) {
      settled = true;
      deadline.clear();
      sock?.destroy();
      reject(e);
      return;
    }

    if (!sock) {
      // Our own socket (ssh2 accepts one still connecting) so that the local port is known for log matching.
      const s = new Socket();
      s.once('connect', () => {
        if (s.localPort !== undefined) o.onLocalPort?.(s.localPort);
        o.log('debug', `${o.hostLabel}: TCP connected to ${t.hostName}:${t.port} from local port ${s.localPort}`);
      });
      s.connect({ host: t.hostName, port: t.port });
      sock = s;
    }

    const cfg: ConnectConfig = {
      host: t.hostName,
      port: t.port,
      username: t.user,
      sock,
      readyTimeout: 0,
      keepaliveInterval: t.keepaliveInterval * 1000,
      keepaliveCountMax: t.keepaliveCountMax,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
        keys.verify(key).then(
          () => {
            auth.hostKey = fingerprintSha256(key);
            verify(true);
          },
          (e: unknown) => {
            refusal = e instanceof TransportError ? e : new TransportError('host-key-unknown', (e as Error).message, { host: o.hostLabel });
            verify(false);
          },
        );
      },
      authHandler: auth.handler as ConnectConfig['authHandler'],
      // Only what the server offers, for the message when none of the known key types is among it.
      debug: algorithms
        ? (msg: string) => {
            if (serverHostKeys === undefined) serverHostKeys = SERVER_HOST_KEYS.exec(msg)?.[1];
          }
        : undefined,
    };
    if (algorithms) cfg.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };

    c.once('ready', () => {
      settled = true;
      deadline.clear();
      auth.settle(true);
      o.onReady?.(auth.hostKey);
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

function mapConnectError(e: Error & { level?: string; code?: string }, t: ResolvedSshTarget, hostLabel: string, otherType?: () => TransportError): TransportError {
  const where = `${t.user}@${t.hostName}:${t.port}`;
  if (otherType && /no matching host key format/i.test(e.message)) return otherType();
  if (e.level === 'client-authentication') {
    return new TransportError('auth-failed', `authentication as ${t.user} failed`, {
      host: hostLabel,
      meaning: `the server accepted none of: ${describeAuthSteps(t)}`,
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
