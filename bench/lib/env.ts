/**
 * The bench's view of the sandbox (scripts/sandbox status --json), the OpenSSH command lines of the peers, and
 * the Mailops host configuration the child processes use.
 */
import { mkdirSync } from 'node:fs';
import type { HostConfig } from '../../src/core/hosts/model';
import { ensureSandboxUp, type SandboxInfo } from '../../test/support/sandbox';

export const BENCH_DIR = process.env.MAILOPS_BENCH_DIR ?? '/var/tmp/mailops-bench';

export async function sandbox(): Promise<SandboxInfo> {
  mkdirSync(BENCH_DIR, { recursive: true });
  return ensureSandboxUp();
}

/** `ssh` with the sandbox key and known_hosts, OpenSSH's default ciphers and options otherwise. */
export function sshBase(sb: SandboxInfo): string[] {
  return [
    '-i', sb.ssh.identity,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${sb.ssh.knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-F', '/dev/null',
    '-p', String(sb.ssh.port),
  ];
}

export function sshTarget(sb: SandboxInfo): string {
  return `${sb.ssh.user}@${sb.ssh.host}`;
}

/** A fresh `ssh HOST COMMAND` per call. */
export function sshArgs(sb: SandboxInfo, remote: string): string[] {
  return [...sshBase(sb), sshTarget(sb), remote];
}

/** OpenSSH multiplexing as operators configure it: ControlMaster=auto, ControlPersist=60. */
export function controlMasterOpts(path: string): string[] {
  return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${path}`, '-o', 'ControlPersist=60'];
}

/** The Mailops host the children use: the sandbox's SSH settings, with bench-specific Dovecot/Cyrus settings. */
export function benchHost(sb: SandboxInfo, over: Partial<HostConfig> = {}): HostConfig {
  return {
    name: 'bench',
    transport: 'ssh',
    ssh: {
      host: sb.ssh.host,
      port: sb.ssh.port,
      user: sb.ssh.user,
      identityFiles: [sb.ssh.identity],
      knownHostsFiles: [sb.ssh.knownHosts],
      agent: false,
      useSshConfig: false,
    },
    server: 'dovecot',
    privilege: { mode: 'none' },
    ...over,
  };
}
