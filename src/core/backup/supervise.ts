/**
 * A long single command (a `doveadm import` of thousands of messages) run under the same watchdog as the
 * backup scripts (script.ts): when the connection that started it goes, it is stopped on the host instead
 * of running on with nobody to see its result. Without it, OpenSSH gives the command no signal (no pty)
 * and doveadm, which ignores SIGPIPE, runs to its end.
 */
import { PRELUDE } from './script';

/** The script: the shared prelude (traps, watchdog), then the argv in the foreground, its exit code kept. */
const SUPERVISE = `${PRELUDE}mo_watch\n"$@" 9>&-\nMO_RC=$?\nmo_cleanup\nexit "$MO_RC"\n`;

/** `sh -c SUPERVISE NAME ARGV…`: hand it to the transport (after withPrivilege). Values stay arguments. */
export function supervisedArgv(name: string, argv: readonly string[]): string[] {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid script name ${name}`);
  if (!argv.length) throw new Error('supervisedArgv: empty argv');
  return ['sh', '-c', SUPERVISE, name, ...argv];
}
