/**
 * A real host for the log tests: the real SSH transport to the project's sandbox sshd (root by key on
 * loopback, test/support/sandbox.ts). The sandbox host shares /var/tmp with this machine, so tests can check what the engine
 * reads remotely against the files themselves.
 */
import type { HostContext } from '../../../src/core/hosts/context';
import type { HostConfig } from '../../../src/core/hosts/model';
import { resolveSshTarget } from '../../../src/core/hosts/sshConfig';
import { SshTransport } from '../../../src/core/transport/ssh';
import type { Prompter } from '../../../src/core/transport/types';
import { ensureSandboxUp, type SandboxInfo } from '../../support/sandbox';

const refuse: Prompter = {
  confirmHostKey: async () => false,
  askSecret: async () => undefined,
};

export interface TestHost {
  ctx: HostContext;
  /** The sandbox host's status (which generation this run is about). */
  info: SandboxInfo;
  where: string;
  close(): Promise<void>;
}

export async function openTestHost(): Promise<TestHost> {
  const info = await ensureSandboxUp();
  const config: HostConfig = {
    name: 'sandbox-dovecot',
    transport: 'ssh',
    server: 'dovecot',
    privilege: { mode: 'none' },
    dovecot: { config: info.dovecot.config },
    ssh: { host: info.ssh.host, port: info.ssh.port, user: info.ssh.user, identityFiles: [info.ssh.identity], agent: false, knownHostsFiles: [info.ssh.knownHosts], useSshConfig: false },
  };
  const target = resolveSshTarget(config.ssh!, { env: {} });
  const transport = new SshTransport({ name: config.name, target, prompter: refuse, trustStorePath: `${info.dir}/mailops-logs-test-trust`, killGraceMs: 500 });
  return {
    ctx: { config, transport },
    info,
    where: `sandbox sshd ${info.ssh.host}:${info.ssh.port}`,
    close: () => transport.close(),
  };
}
