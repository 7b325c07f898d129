/**
 * A real host for the log tests: the real SSH transport against a real OpenSSH server on loopback.
 *
 * The project's sandbox (scripts/sandbox, root by key on 127.0.0.1:2222) is used when it is up; otherwise
 * this starts a private sshd on 127.0.0.1:2241 (root by a throwaway key under /tmp/mailops-logs-sshd),
 * because these tests only need a shell, stat and dd on the far side, and stops it at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { HostContext } from '../../../src/core/hosts/context';
import type { HostConfig } from '../../../src/core/hosts/model';
import { resolveSshTarget } from '../../../src/core/hosts/sshConfig';
import { SshTransport } from '../../../src/core/transport/ssh';
import type { Prompter } from '../../../src/core/transport/types';

const SANDBOX_DIR = process.env.MAILOPS_SANDBOX_DIR ?? '/var/tmp/mailops-sandbox';
const OWN_DIR = '/tmp/mailops-logs-sshd';
const OWN_PORT = 2241;

const refuse: Prompter = {
  confirmHostKey: async () => false,
  askSecret: async () => undefined,
};

function portOpen(port: number): boolean {
  return spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' }).status === 0;
}

interface Endpoint {
  port: number;
  key: string;
  knownHosts: string;
  stop?: () => void;
}

function sandboxEndpoint(): Endpoint | undefined {
  const key = `${SANDBOX_DIR}/ssh/id_ed25519`;
  const hostKey = `${SANDBOX_DIR}/ssh/ssh_host_ed25519_key.pub`;
  if (!existsSync(key) || !existsSync(hostKey) || !portOpen(2222)) return undefined;
  const knownHosts = `${OWN_DIR}/known_hosts.sandbox`;
  mkdirSync(OWN_DIR, { recursive: true });
  writeFileSync(knownHosts, `[127.0.0.1]:2222 ${readFileSync(hostKey, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  return { port: 2222, key, knownHosts };
}

function ownEndpoint(): Endpoint {
  mkdirSync(OWN_DIR, { recursive: true, mode: 0o700 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const key = `${OWN_DIR}/client`;
  if (!existsSync(key)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  if (!existsSync(`${OWN_DIR}/hostkey`)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${OWN_DIR}/hostkey`]);
  writeFileSync(`${OWN_DIR}/authorized_keys`, readFileSync(`${key}.pub`));
  const knownHosts = `${OWN_DIR}/known_hosts`;
  writeFileSync(knownHosts, `[127.0.0.1]:${OWN_PORT} ${readFileSync(`${OWN_DIR}/hostkey.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  let stop: (() => void) | undefined;
  if (!portOpen(OWN_PORT)) {
    writeFileSync(
      `${OWN_DIR}/sshd_config`,
      [
        `Port ${OWN_PORT}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${OWN_DIR}/hostkey`,
        `PidFile ${OWN_DIR}/sshd.pid`,
        `AuthorizedKeysFile ${OWN_DIR}/authorized_keys`,
        'StrictModes no',
        'PasswordAuthentication no',
        'UsePAM no',
        'PermitRootLogin yes',
        'MaxSessions 20',
      ].join('\n') + '\n',
    );
    execFileSync('/usr/sbin/sshd', ['-f', `${OWN_DIR}/sshd_config`, '-E', `${OWN_DIR}/sshd.log`]);
    for (let i = 0; i < 50 && !portOpen(OWN_PORT); i++) execFileSync('sleep', ['0.1']);
    stop = () => {
      const pid = Number(readFileSync(`${OWN_DIR}/sshd.pid`, 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    };
  }
  return { port: OWN_PORT, key, knownHosts, stop };
}

export interface TestHost {
  ctx: HostContext;
  /** Which server: "sandbox" or "own sshd". */
  where: string;
  close(): Promise<void>;
}

export function openTestHost(): TestHost {
  const sandbox = sandboxEndpoint();
  const ep = sandbox ?? ownEndpoint();
  const config: HostConfig = {
    name: 'logs-test',
    transport: 'ssh',
    server: 'dovecot',
    privilege: { mode: 'none' },
    ssh: { host: '127.0.0.1', port: ep.port, user: 'root', identityFiles: [ep.key], agent: false, knownHostsFiles: [ep.knownHosts], useSshConfig: false },
  };
  const target = resolveSshTarget(config.ssh!, { env: {} });
  const transport = new SshTransport({ name: config.name, target, prompter: refuse, trustStorePath: `${OWN_DIR}/trusted_hosts`, killGraceMs: 500 });
  return {
    ctx: { config, transport },
    where: sandbox ? 'sandbox sshd 127.0.0.1:2222' : `own sshd 127.0.0.1:${OWN_PORT}`,
    async close() {
      await transport.close();
      ep.stop?.();
    },
  };
}
