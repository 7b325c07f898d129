/**
 * The transport contract: run an argv on a mail host and stream what it prints.
 * Implemented by the SSH transport (ssh2, one pooled connection per host) and the local one (execa).
 * Nothing above this layer knows which one it talks to.
 */
import type { Readable } from 'node:stream';

export interface ExitStatus {
  /** Exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: string | null;
}

export interface SpawnOptions {
  /** Bytes written to the process's stdin, which is then closed. Secrets travel here, never in argv. */
  stdin?: string | Buffer;
  /**
   * Stop the process (its remote process tree included) and fail with TransportError('timeout').
   * spawn(): none unless given; run(): DEFAULT_RUN_TIMEOUT_MS (30 min) unless given, 0 for none.
   */
  timeoutMs?: number;
  /** Aborting stops the process (remote process group included); `exit` rejects with TransportError('cancelled'). */
  signal?: AbortSignal;
}

export interface RemoteProcess {
  readonly argv: readonly string[];
  /** Raw bytes as they arrive. Consumers that want lines use core/util/lines.ts. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /**
   * Resolves with the exit status whatever the code (a failing code is not an exception here);
   * rejects with TransportError when the connection failed, timed out, dropped, or was cancelled.
   */
  readonly exit: Promise<ExitStatus>;
  /** Stop the process (TERM to its process tree, KILL after a grace period, with its own sudo). Idempotent. */
  cancel(reason?: string): void;
}

export interface RunOptions extends SpawnOptions {
  /** Refuse to buffer more than this many bytes of stdout (default 64 MiB); stream instead. */
  maxBuffer?: number;
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'closed' | 'failed';

export interface Transport {
  readonly kind: 'ssh' | 'local';
  /** For messages: the configured host name or user@host:port. */
  readonly label: string;
  readonly state: ConnectionState;
  /**
   * SSH: the server of the latest connection, once its host key was verified and the login succeeded
   * (address as connected to, port, SHA256 host key fingerprint). What a secret used on that host (the Cyrus
   * admin password) is keyed by, instead of the configured name. Absent for the local transport.
   */
  readonly peer?: { address: string; port: number; hostKey: string };
  /**
   * Start an argv. Never goes through a local shell; the SSH transport quotes it with quote.ts and runs it
   * with /bin/sh on the host, whatever the account's login shell.
   */
  spawn(argv: readonly string[], options?: SpawnOptions): RemoteProcess;
  /** Run to completion, collecting stdout and stderr as UTF-8. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Connect now (the SSH transport also connects lazily on first spawn). */
  connect(): Promise<void>;
  /** Close the pooled connection; running processes are cancelled. */
  close(): Promise<void>;
  /** Called on every state change (connected, dropped, closed); returns an unsubscribe function. */
  onStateChange(listener: (state: ConnectionState, error?: Error) => void): () => void;
}

/**
 * What a secret unlocks, so that a prompter that remembers secrets keys them by it and never by a host's
 * display name (a settings change can point a name at another server):
 *   ssh-login  a password or keyboard-interactive answer: this user on the SSH server at address:port whose
 *              host key (SHA256 fingerprint, verified before authentication) is hostKey
 *   key-file   a private key's passphrase: the key file (its public key identifies it)
 */
export type SecretSubject =
  | { kind: 'ssh-login'; user: string; address: string; port: number; hostKey: string }
  | { kind: 'key-file'; file: string };

export interface SecretQuestion {
  /** The configured host name, for the prompt's title. */
  host: string;
  user: string;
  kind: 'password' | 'passphrase' | 'keyboard-interactive';
  prompt: string;
  echo: boolean;
  subject?: SecretSubject;
}

/** Questions the transport may need to put to a person (the CLI asks on the TTY; the extension in a quick pick/input box). */
export interface Prompter {
  /** An unknown host key: accept (and remember) it? */
  confirmHostKey(info: { host: string; port: number; keyType: string; fingerprint: string }): Promise<boolean>;
  /** A password, key passphrase or keyboard-interactive answer. Return undefined to cancel. */
  askSecret(info: SecretQuestion): Promise<string | undefined>;
  /**
   * Whether the answer askSecret gave was accepted (the key decrypted; the server let the user in) or
   * rejected. A prompter that remembers secrets keeps only accepted ones and forgets rejected ones.
   */
  secretOutcome?(info: SecretQuestion, accepted: boolean): void;
}
