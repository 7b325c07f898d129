/**
 * Shared by the transport integration tests: the sandbox's sshd (test/support/sandbox.ts), a Prompter that
 * records what it was asked, and reading the sshd log from an offset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSandboxUp, type SandboxSsh } from '../../support/sandbox';
import { resolveSshTarget, type ResolvedSshTarget } from '../../../src/core/hosts/sshConfig';
import { SshTransport, type SshTransportOptions } from '../../../src/core/transport/ssh';
import type { Prompter, RemoteProcess } from '../../../src/core/transport/types';

export type { SandboxSsh };

/** The sandbox (started when needed) and its sshd facts. */
export async function sandboxSsh(): Promise<SandboxSsh> {
  const info = await ensureSandboxUp();
  if (!info.running.sshd) throw new Error('the sandbox sshd is not running');
  return info.ssh;
}

type SecretInfo = Parameters<Prompter['askSecret']>[0];
type HostKeyInfo = Parameters<Prompter['confirmHostKey']>[0];

/** Answers from a script and remembers every question. */
export class RecordingPrompter implements Prompter {
  readonly secretsAsked: SecretInfo[] = [];
  readonly hostKeysAsked: HostKeyInfo[] = [];
  constructor(private readonly answers: { secrets?: (string | undefined)[]; acceptHostKey?: boolean } = {}) {}
  async confirmHostKey(info: HostKeyInfo): Promise<boolean> {
    this.hostKeysAsked.push(info);
    return this.answers.acceptHostKey ?? false;
  }
  async askSecret(info: SecretInfo): Promise<string | undefined> {
    this.secretsAsked.push(info);
    return this.answers.secrets?.[this.secretsAsked.length - 1];
  }
}

/** A scratch directory (HOME for ssh_config defaults, trust stores) removed by the returned function. */
export function scratch(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mailops-transport-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The sandbox's root login by key, known_hosts from the sandbox, no agent, no ~/.ssh/config. */
export function rootTarget(ssh: SandboxSsh, home: string, over: Partial<ResolvedSshTarget> = {}): ResolvedSshTarget {
  const t = resolveSshTarget(
    { host: ssh.host, port: ssh.port, user: ssh.user, identityFiles: [ssh.identity], knownHostsFiles: [ssh.knownHosts], agent: false, useSshConfig: false },
    { home },
  );
  return { ...t, knownHostsFiles: [ssh.knownHosts], ...over };
}

export function transport(target: ResolvedSshTarget, prompter: Prompter, trustStorePath: string, extra: Partial<SshTransportOptions> = {}): SshTransport {
  return new SshTransport({ name: 'sandbox', target, prompter, trustStorePath, log: process.env.MAILOPS_DEBUG ? (l, m) => process.stderr.write(`[${l}] ${m}\n`) : undefined, ...extra });
}

export function logSize(path: string): number {
  return statSync(path).size;
}

export function logSince(path: string, offset: number): string {
  return readFileSync(path).subarray(offset).toString('utf8');
}

/** The client port of the connection a command ran on, from $SSH_CLIENT ("ip port serverport"). */
export async function clientPort(t: SshTransport): Promise<number> {
  const r = await t.run(['sh', '-c', 'echo "$SSH_CLIENT"']);
  const port = Number(r.stdout.trim().split(' ')[1]);
  if (!Number.isInteger(port)) throw new Error(`no SSH_CLIENT: ${JSON.stringify(r)}`);
  return port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once `lines` newline-terminated lines arrived on stdout; rejects when the process ends first
 * (so that a broken connection fails the test instead of hanging it). Returns a live line counter.
 */
export function waitForLines(p: RemoteProcess, lines: number): Promise<() => number> {
  let n = 0;
  const counter = () => n;
  return new Promise((resolve, reject) => {
    p.stdout.on('data', (c: Buffer) => {
      n += c.toString().split('\n').length - 1;
      if (n >= lines) resolve(counter);
    });
    p.exit.then(
      (st) => reject(new Error(`the command ended (${JSON.stringify(st)}) after ${n} of ${lines} lines`)),
      (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
    );
  });
}

/**
 * The two ways the SSH transport runs commands (issue 17.3); every transport test runs on both: a channel
 * (an SSH session) per command, and the session runner sharing one channel.
 */
export const PATHS = [
  { name: 'channel per command', runner: false },
  { name: 'session runner', runner: true },
] as const;
export type TransportPath = (typeof PATHS)[number];

/**
 * Prove which path `t` really uses, so that a runner that silently fell back cannot pass as the runner:
 * through the runner a command's parent process is the runner; on its own channel, it is not.
 */
export async function assertPath(t: SshTransport, path: TransportPath): Promise<void> {
  const r = await t.run(['sh', '-c', 'echo "$PPID"']);
  assert.equal(r.code, 0, r.stderr);
  const ppid = Number(r.stdout.trim());
  if (path.runner) {
    assert.ok(t.runnerPid !== undefined && t.runnerPid > 1, `${path.name}: a session runner runs (debug log: MAILOPS_DEBUG=1)`);
    assert.equal(ppid, t.runnerPid, `${path.name}: the command is a child of the runner`);
  } else {
    assert.equal(t.runnerPid, undefined, `${path.name}: no runner`);
    assert.ok(Number.isInteger(ppid) && ppid > 1, r.stdout);
  }
}
