/**
 * What the SSH transport sends for a command, and the command that stops one.
 *
 * sshd hands the exec request to the account's LOGIN shell (`$SHELL -c REQUEST`), and quote.ts quotes for
 * a POSIX sh: zsh expands `=word`, fish reads `\'` inside single quotes as a quote, csh refuses a newline
 * in a quoted word (issue 11.7). So no command line ever goes to the login shell. The exec request is one
 * constant, `exec /bin/sh -c '…'`, written with nothing any of sh, bash, dash, ksh, zsh, fish, tcsh or csh
 * reads differently: no backslash, no `!`, no single quote, no newline inside the quotes. That /bin/sh
 *   1. prints `MAILOPS-PID <its PID>` on stderr: sshd made the login shell a session leader and both shells
 *      exec'ed, so this PID is also the process group (and session) cancel stops;
 *   2. reads ONE line from stdin with `read -r`: a shell's read takes a pipe a byte at a time, so not a byte
 *      after the line is consumed; the line is `exec ARGV…` quoted by shellLineOneLine (newlines inside a
 *      word travel as `'"$N"'`, N being a newline the bootstrap makes without writing one);
 *   3. evals it: the argv runs with the rest of the channel's stdin as its own stdin.
 * The command line is never an argument of any execve on the host, so its size is bounded by nothing but
 * memory: only the final argv (ARG_MAX, `getconf ARG_MAX`, about 2 MiB on Linux; 128 KiB per word) applies.
 */
import { shellLineOneLine } from '../quote';

export const PID_MARKER = 'MAILOPS-PID';

const BOOTSTRAP = `echo "${PID_MARKER} $$" >&2;N=$(echo;echo .);N=\${N%.};IFS= read -r L||exit 126;eval "$L"`;

/** The exec request of every command: the same bytes whatever the command and the login shell. */
export const EXEC_REQUEST = `exec /bin/sh -c '${BOOTSTRAP}'`;

/**
 * The first bytes written to the channel: the command line for the bootstrap's `read`, newline-terminated.
 * Throws UnsafeArgumentError (NUL, empty argv) before anything is sent.
 */
export function commandLineFor(argv: readonly string[]): string {
  return `exec ${shellLineOneLine(argv, 'N')}\n`;
}

/**
 * The `sudo -n …` prefix a command was started with (as hosts/model.ts withPrivilege builds it: `sudo -n
 * [-u USER] --`), so that stopping it runs with the same privilege; [] when it has none. Only
 * non-interactive sudo counts: a kill must never wait for a password.
 */
export function privilegePrefix(argv: readonly string[]): string[] {
  if (argv[0] !== 'sudo') return [];
  let nonInteractive = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return nonInteractive ? argv.slice(0, i + 1) : [];
    if (a === '-n') nonInteractive = true;
    else if ((a === '-u' || a === '-g') && i + 1 < argv.length) i++;
    else return [];
  }
  return [];
}

/**
 * Signal a process tree: the process group of $2 and every descendant of $2, found in `ps` (or /proc
 * without procps). Descendants matter under sudo: with use_pty (Debian's default) sudo runs the command in
 * a new session, out of reach of the group kill, and it relays only to the command, not to its children.
 * Constant code; the signal and the PID are positional parameters. Always exits 0 (a process may be gone).
 */
const KILL_TREE = `sig=$1; root=$2
table=$(ps -A -o pid= -o ppid= 2>/dev/null) || table=''
if [ -z "$table" ]; then
  table=$(for d in /proc/[0-9]*; do s=$(cat "$d/stat" 2>/dev/null) || continue; set -- \${s##*') '}; printf '%s %s\\n' "\${d#/proc/}" "$2"; done)
fi
tree=" $root "; grew=1
while [ "$grew" = 1 ]; do
  grew=0
  while read -r pid ppid; do
    case $tree in *" $ppid "*) case $tree in *" $pid "*) ;; *) tree="$tree$pid "; grew=1 ;; esac ;; esac
  done <<EOF
$table
EOF
done
kill "-$sig" -- "-$root" 2>/dev/null
kill "-$sig" $tree 2>/dev/null
exit 0`;

/**
 * The tree kill with the privilege the command had, without its two arguments (SIGNAL PID): the session
 * runner keeps it per command and runs it itself when its channel goes away (ssh/runner.ts).
 */
export function killTreeCommand(commandArgv: readonly string[]): string[] {
  return [...privilegePrefix(commandArgv), 'sh', '-c', KILL_TREE, 'mailops-kill'];
}

/** The argv that sends `signal` to the process tree of `pid`, with the privilege the command had. */
export function killTreeArgv(commandArgv: readonly string[], signal: 'TERM' | 'KILL', pid: number): string[] {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`refusing to signal PID ${pid}`);
  return [...killTreeCommand(commandArgv), signal, String(pid)];
}
