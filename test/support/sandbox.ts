/**
 * The project's sandbox mail hosts (scripts/sandbox) for integration tests: one per Debian generation, each a
 * real Debian root file system in its own namespaces with its own sshd, Dovecot and Cyrus on loopback, seeded
 * with known accounts, folders and messages:
 *   d12  Debian 12: OpenSSH 9.2, Dovecot 2.3.19, Cyrus 3.6.1   (sshd 127.0.0.1:2222)
 *   d13  Debian 13: OpenSSH 10.0, Dovecot 2.4.1, Cyrus 3.10.2  (sshd 127.0.0.1:2223)
 * A test is written once and runs against the host named by MAILOPS_SANDBOX_HOST (default d12); `npm test`
 * runs the integration phase once per host. An expectation that differs by generation says so
 * (`info.host.debian === 13`).
 *
 *   const sb = await ensureSandboxUp();             // starts the host when needed, returns its `status --json`
 *   await sandboxCmd('reseed', 'dovecot', 'alice'); // known state before a destructive test
 *   await sandboxCmd('stop', 'sshd'); … await sandboxCmd('start', 'sshd');
 *   await sandboxExec(['doveadm', '-c', sb.dovecot.config, 'user', '*']); // a command ON the host
 *
 * The script needs root. Everything it reports is described by SandboxInfo below.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root (this file is test/support/sandbox.ts). */
export const REPO_ROOT = resolve(__dirname, '../..');
export const SANDBOX_SCRIPT = resolve(REPO_ROOT, 'scripts/sandbox');
/** The file a hostile folder or account name creates if it ever reaches a shell unquoted. */
export const PWNED_FILE = '/tmp/mailops-pwned';

/** Folder name → number of seeded messages. */
export type MailboxCounts = Record<string, number>;

export interface SandboxSsh {
  host: string;
  port: number;
  /** Logs in with `identity` (key only; PermitRootLogin prohibit-password). */
  user: string;
  identity: string;
  knownHosts: string;
  hostKey: string;
  /** sshd -E log, LogLevel VERBOSE. */
  log: string;
  config: string;
  /** A user allowed to log in by password and keyboard-interactive. */
  passwordUser: string;
  password: string;
}

export interface DovecotAccount {
  /** The login / doveadm -u name (one of them is hostile: see SandboxDovecot.hostileAccount). */
  name: string;
  /** A shell-safe short name, also used in the seeded Message-IDs. */
  slug: string;
  password: string;
  home: string;
  maildir: string;
  /** As seeded, including the lazy_expunge mailbox (0). */
  mailboxes: MailboxCounts;
  total: number;
}

export interface SandboxDovecot {
  /** doveadm -c PATH */
  config: string;
  version: string;
  /** "127.0.0.1:10143", or null when the imap binary could not be unpacked (doveadm still works). */
  imap: string | null;
  separator: '/' | '.';
  layout: string;
  mailUid: number;
  mailGid: number;
  /** Name of the lazy_expunge mailbox. */
  lazyExpunge: string;
  log: string;
  passwdFile: string;
  seededAt: string | null;
  accounts: DovecotAccount[];
  hostileAccount: string;
}

export interface CyrusUser {
  name: string;
  password: string;
  /** Names as the owner sees them over IMAP (altnamespace off: "INBOX", "INBOX.Archive", …), as seeded. */
  mailboxes: MailboxCounts;
  total: number;
  /** Internal names in the same order as `mailboxes`, as ctl_mboxlist -d prints them (modified UTF-7). */
  internalNames: string[];
}

export interface SandboxCyrus {
  /** imapd.conf: pass as -C to every Cyrus tool. */
  config: string;
  cyrusConf: string;
  version: string;
  /** "127.0.0.1:11143" */
  imap: string;
  admin: string;
  adminPassword: string;
  toolsDir: string;
  unixhierarchysep: boolean;
  separator: '.' | '/';
  altnamespace: boolean;
  virtdomains: boolean;
  expungeMode: string;
  deleteMode: string;
  /** SASL realm (= servername). */
  realm: string;
  sasldb: string;
  spool: string;
  configDirectory: string;
  seededAt: string | null;
  users: CyrusUser[];
  /** Cyrus logs only to syslog; the sandbox's own rsyslogd writes here. */
  log: string;
}

export interface SandboxSeed {
  messageId: string;
  date: string;
  multipart: string;
  encodedSubject: string;
  flags: string;
  /** Folder → slug used in Message-IDs: <seed.OWNER.SLUG.N@sandbox.mailops.test>. */
  dovecotFolderSlugs: Record<string, string>;
  cyrusFolderSlugs: Record<string, string>;
}

/** Which host this is: `npm test` runs every integration test against each. */
export interface SandboxHost {
  id: string;
  /** 12 (bookworm) or 13 (trixie). */
  debian: number;
  release: string;
  /** uname -n inside the host. */
  hostname: string;
  /** The OpenSSH server's upstream version (9.2p1, 10.0p1, …). */
  openssh: string;
}

export interface SandboxInfo {
  host: SandboxHost;
  /** Names of the host's two entries in its hosts file (one per server). */
  names: { dovecot: string; cyrus: string };
  /** The host's state folder (same path on the machine and inside the host). */
  dir: string;
  up: boolean;
  running: { sshd: boolean; dovecot: boolean; cyrus: boolean };
  ssh: SandboxSsh;
  dovecot: SandboxDovecot;
  cyrus: SandboxCyrus;
  /** A ready Mailops hosts file with this host's two entries (names.dovecot and names.cyrus). */
  hostsFile: string;
  seed: SandboxSeed;
}

export interface SandboxRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The sandbox hosts, and the one this test run is about (MAILOPS_SANDBOX_HOST, default d12). */
export const SANDBOX_HOST_IDS = ['d12', 'd13'] as const;
export function sandboxHostId(): string {
  const id = process.env.MAILOPS_SANDBOX_HOST || 'd12';
  if (!(SANDBOX_HOST_IDS as readonly string[]).includes(id)) throw new Error(`MAILOPS_SANDBOX_HOST=${id}: not a sandbox host (${SANDBOX_HOST_IDS.join(', ')})`);
  return id;
}

/**
 * Run `bash scripts/sandbox --host ID ARGS…` for this run's host; resolves with the exit code (never rejects on a
 * non-zero exit). `stdin` is written to the command's standard input.
 */
export function runSandbox(args: readonly string[], timeoutMs = 300_000, stdin?: string | Buffer): Promise<SandboxRun> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'bash',
      [SANDBOX_SCRIPT, '--host', sandboxHostId(), ...args],
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`scripts/sandbox ${args.join(' ')} could not run: ${err.message}\n${stderr}`));
          return;
        }
        resolvePromise({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

/**
 * A command run ON this run's sandbox host, as root (`scripts/sandbox exec`): the host's own tools (its doveadm,
 * its Cyrus), its file system and processes. Resolves with the exit code; argv never passes through a shell.
 */
export function sandboxExec(argv: readonly string[], stdin?: string | Buffer, timeoutMs = 120_000): Promise<SandboxRun> {
  return runSandbox(['exec', '--', ...argv], timeoutMs, stdin);
}

/** Run a sandbox command (stop/start SERVICE, reseed dovecot|cyrus NAME, up, down…); rejects when it fails. */
export async function sandboxCmd(...args: string[]): Promise<string> {
  const r = await runSandbox(args);
  if (r.code !== 0) {
    throw new Error(`scripts/sandbox ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** `scripts/sandbox status --json` (exit 3 just means "not all up": the JSON says what runs). */
export async function sandboxStatus(): Promise<SandboxInfo> {
  const r = await runSandbox(['status', '--json'], 30_000);
  if (r.code !== 0 && r.code !== 3) {
    throw new Error(`scripts/sandbox status --json failed (exit ${r.code}):\n${r.stderr.trim()}`);
  }
  try {
    return JSON.parse(r.stdout) as SandboxInfo;
  } catch (e) {
    throw new Error(`scripts/sandbox status --json printed no JSON: ${(e as Error).message}\n${r.stdout.slice(0, 500)}`);
  }
}

/** The sandbox, started (and installed/seeded) first when it is not fully up. */
export async function ensureSandboxUp(): Promise<SandboxInfo> {
  const s = await sandboxStatus();
  if (s.up) return s;
  await sandboxCmd('up');
  const after = await sandboxStatus();
  if (!after.up) throw new Error(`scripts/sandbox up left ${sandboxHostId()} not fully up: ${JSON.stringify(after.running)}`);
  return after;
}

/** Find a seeded Dovecot account by name or slug ("hostile" for the hostile one). */
export function dovecotAccount(info: SandboxInfo, nameOrSlug: string): DovecotAccount {
  const a = info.dovecot.accounts.find((x) => x.name === nameOrSlug || x.slug === nameOrSlug);
  if (!a) throw new Error(`no seeded Dovecot account ${JSON.stringify(nameOrSlug)}`);
  return a;
}

/** Find a seeded Cyrus user by name. */
export function cyrusUser(info: SandboxInfo, name: string): CyrusUser {
  const u = info.cyrus.users.find((x) => x.name === name);
  if (!u) throw new Error(`no seeded Cyrus user ${JSON.stringify(name)}`);
  return u;
}

/** The Message-ID of seeded message N (from 1) of a folder, as the seed writes it. */
export function seedMessageId(owner: string, folderSlug: string, n: number): string {
  return `<seed.${owner}.${folderSlug}.${n}@sandbox.mailops.test>`;
}
