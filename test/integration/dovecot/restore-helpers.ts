/**
 * Shared by the Dovecot browse/verify/restore integration tests: the REAL sandbox (sshd 127.0.0.1:2222,
 * Dovecot 2.3), a hosts file whose backupRoot is a fresh folder per test file, the CLI run as a
 * subprocess (`node --import tsx src/cli/main.ts … --json`), and a HostContext over the real SSH
 * transport for setup steps (doveadm expunge/save, backups through the backup engine).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseHostConfig, type HostConfig } from '../../../src/core/hosts/model';
import type { HostContext } from '../../../src/core/hosts/context';
import { createTransport } from '../../../src/core/transport/index';
import { doveadmArgv } from '../../../src/core/dovecot/doveadm';
import { ensureSandboxUp, sandboxCmd, sandboxStatus, PWNED_FILE } from '../../support/sandbox';

const run = promisify(execFile);
export const ROOT = resolve(__dirname, '../../..');
export const PWNED = PWNED_FILE;

export interface Env {
  host: HostConfig;
  hostsFile: string;
  ctx: HostContext;
  backupRoot: string;
  hostile: string;
  lazy: string;
  separator: string;
  cleanup(): Promise<void>;
}

/** Bring the sandbox up, make a private backup root and hosts file, open a transport. */
export async function setupEnv(name: string): Promise<Env> {
  await ensureSandboxUp();
  const s = await sandboxStatus();
  const scratch = mkdtempSync(join(tmpdir(), `mailops-it-${name}-`));
  // The sandbox host is this machine: a backup root under /var/tmp is on the host.
  const backupRoot = mkdtempSync(join('/var/tmp', `mailops-it-${name}-`));
  chmodSync(backupRoot, 0o755); // the mail user must traverse it (mkdtemp makes 0700)
  const host = parseHostConfig({
    name: 'sandbox-dovecot',
    transport: 'ssh',
    ssh: { host: s.ssh.host, port: s.ssh.port, user: s.ssh.user, identityFiles: [s.ssh.identity], knownHostsFiles: [s.ssh.knownHosts], agent: false, useSshConfig: false },
    server: 'dovecot',
    dovecot: { config: s.dovecot.config, backupRoot },
  });
  const hostsFile = join(scratch, 'hosts.json');
  writeFileSync(hostsFile, JSON.stringify({ hosts: [host] }, null, 2));
  const transport = createTransport(host, {
    prompter: { confirmHostKey: async () => false, askSecret: async () => undefined },
    trustStorePath: join(scratch, 'known_hosts'),
  });
  return {
    host,
    hostsFile,
    ctx: { config: host, transport },
    backupRoot,
    hostile: s.dovecot.hostileAccount,
    lazy: s.dovecot.lazyExpunge,
    separator: s.dovecot.separator,
    async cleanup() {
      await transport.close();
      rmSync(scratch, { recursive: true, force: true });
      rmSync(backupRoot, { recursive: true, force: true });
    },
  };
}

export async function reseed(account: 'alice' | 'hostile'): Promise<void> {
  // A Dovecot process still writing into the maildir can make the wipe fail once: try again.
  for (let i = 0; ; i++) {
    try {
      await sandboxCmd('reseed', 'dovecot', account);
      return;
    } catch (e) {
      if (i >= 2) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Run the real CLI against the sandbox host with --json; never through a shell. */
export async function cli(env: Env, args: string[]): Promise<CliRun> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args, '--host', 'sandbox-dovecot', '--config', env.hostsFile, '--json'], {
      cwd: ROOT,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, MAILOPS_HOST: '' },
    });
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

/** doveadm on the host through the transport (argv, never a shell line of ours). Throws on failure. */
export async function doveadm(env: Env, args: string[], stdin?: string): Promise<string> {
  const r = await env.ctx.transport.run(doveadmArgv(env.host, args), { stdin });
  if (r.code !== 0) throw new Error(`doveadm ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export interface LiveMessage {
  mailbox: string;
  uid: number;
  guid: string;
  flags: string[];
  subject: string;
  messageId: string;
}

/** Every live message of an account (all mailboxes), straight from doveadm. */
export async function liveMessages(env: Env, account: string): Promise<LiveMessage[]> {
  const out = await doveadm(env, ['-f', 'json', 'fetch', '-u', account, 'mailbox uid guid flags hdr.subject hdr.message-id', 'all']);
  return (JSON.parse(out) as Array<Record<string, string>>).map((o) => ({
    mailbox: o.mailbox!,
    uid: Number(o.uid),
    guid: o.guid!,
    flags: o.flags!.split(' ').filter(Boolean),
    subject: o['hdr.subject']!,
    messageId: o['hdr.message-id']!,
  }));
}

/** Deliver a message now (received date = now). */
export async function deliver(env: Env, account: string, mailbox: string, subject: string): Promise<void> {
  const id = `<it.${Date.now()}.${Math.random().toString(36).slice(2)}@sandbox.mailops.test>`;
  const msg = `From: Test <test@example.test>\r\nTo: ${JSON.stringify(account)} <x@example.test>\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: ${new Date().toUTCString()}\r\n\r\nbody of ${subject}\r\n`;
  await doveadm(env, ['save', '-u', account, '-m', mailbox], msg);
}

export function assertNotPwned(): void {
  if (existsSync(PWNED)) throw new Error(`${PWNED} exists: a name was executed by a shell`);
}

export function sorted(list: Iterable<string>): string[] {
  return [...list].sort();
}
