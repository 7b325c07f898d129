/**
 * Shared by the Cyrus integration tests: the REAL sandbox (sshd 127.0.0.1:2222 as root, Cyrus 3.6 with
 * delayed expunge and delete), its hosts file, the CLI run as a subprocess with --json, and IMAP sessions
 * as the owner (test/support/imap.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureSandboxUp, cyrusUser, type SandboxInfo } from '../../support/sandbox';
import { ImapClient } from '../../support/imap';

const run = promisify(execFile);
export const ROOT = resolve(__dirname, '../../..');

export interface CyrusEnv {
  info: SandboxInfo;
  scratch: string;
  passwordFile: string;
  cleanup(): void;
}

export async function setup(): Promise<CyrusEnv> {
  const info = await ensureSandboxUp();
  const scratch = mkdtempSync(join(tmpdir(), 'mailops-cyrus-it-'));
  const passwordFile = join(scratch, 'admin-password');
  writeFileSync(passwordFile, `${info.cyrus.adminPassword}\n`, { mode: 0o600 });
  return { info, scratch, passwordFile, cleanup: () => rmSync(scratch, { recursive: true, force: true }) };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The real CLI against sandbox-cyrus, --json, never through a shell. */
export async function cli(env: CyrusEnv, args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const argv = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args, '--host', 'sandbox-cyrus', '--config', env.info.hostsFile, '--json'];
  const procEnv = { ...process.env, MAILOPS_HOST: '', MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: env.passwordFile, ...extraEnv };
  try {
    const r = await run(process.execPath, argv, { cwd: ROOT, maxBuffer: 256 * 1024 * 1024, env: procEnv });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, json: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    let json: unknown;
    try {
      json = err.stdout?.trim() ? JSON.parse(err.stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '', json };
  }
}

/** An IMAP session as a seeded user (or the admin with user = info.cyrus.admin). */
export async function imapAs(env: CyrusEnv, user: string): Promise<ImapClient> {
  const [host, port] = env.info.cyrus.imap.split(':');
  const c = await ImapClient.connect({ host: host!, port: Number(port) });
  const password = user === env.info.cyrus.admin ? env.info.cyrus.adminPassword : cyrusUser(env.info, user).password;
  await c.login(user, password);
  return c;
}
