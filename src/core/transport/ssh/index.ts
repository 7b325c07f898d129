/**
 * The SSH transport, by concern:
 *   connection.ts     SshTransport: the pooled connection, its jump hosts, spawn/run, cancel, close
 *   channels.ts       which command may open a channel now (maxChannels, the server's MaxSessions)
 *   process.ts        one command's life: queue → channel → exit status, the PID marker filter
 *   remoteCommand.ts  the exec request every login shell runs the same, the command line, the tree kill
 *   runner.ts         the session runner: many commands on one channel (RunnerSession, RunnerChannel)
 *   runnerProgram.ts  the runner's constant Perl program and its frames
 *   handshake.ts      one hop: TCP, host key, authentication, the connect deadline paused for prompts
 *   hostKeys.ts       known_hosts and the trust store: offered algorithms, verdicts, accepting a key
 *   auth.ts           publickey (agent, files), keyboard-interactive, password, in OpenSSH's order
 */
export { SshTransport, type SshTransportOptions } from './connection';
export { appendTrusted } from './hostKeys';
export { EXEC_REQUEST, commandLineFor, killTreeArgv, privilegePrefix } from './remoteCommand';
