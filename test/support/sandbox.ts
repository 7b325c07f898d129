/**
 * The project's sandbox mail host (scripts/sandbox) for integration tests: sshd on 127.0.0.1:2222, Dovecot 2.3
 * and Cyrus 3.6 on loopback, seeded with known accounts, folders and messages.
 *
 *   const sb = await ensureSandboxUp();           // starts it when needed, returns `status --json`
 *   await sandboxCmd('reseed', 'dovecot', 'alice'); // known state before a destructive test
 *   await sandboxCmd('stop', 'sshd'); … await sandboxCmd('start', 'sshd');
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

export interface SandboxInfo {
  dir: string;
  up: boolean;
  running: { sshd: boolean; dovecot: boolean; cyrus: boolean };
  ssh: SandboxSsh;
  dovecot: SandboxDovecot;
  cyrus: SandboxCyrus;
  /** A ready Mailops hosts file: sandbox-dovecot and sandbox-cyrus. */
  hostsFile: string;
  seed: SandboxSeed;
}

export interface SandboxRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `bash scripts/sandbox ARGS…`; resolves with the exit code (never rejects on a non-zero exit). */
export function runSandbox(args: readonly string[], timeoutMs = 180_000): Promise<SandboxRun> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'bash',
      [SANDBOX_SCRIPT, ...args],
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`scripts/sandbox ${args.join(' ')} could not run: ${err.message}\n${stderr}`));
          return;
        }
        resolvePromise({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
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
  if (!after.up) throw new Error(`scripts/sandbox up left it not fully up: ${JSON.stringify(after.running)}`);
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
