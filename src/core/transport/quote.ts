/**
 * The one place where an argument vector becomes a POSIX shell line.
 *
 * Every remote command Mailops runs is an argv (string[]); OpenSSH hands the remote user's shell one
 * string, so the argv must be quoted so that the remote shell splits it back into exactly those words
 * and expands nothing. Single quotes are the only POSIX quoting with no special characters inside;
 * a single quote itself is written as '\'' (close, escaped quote, reopen).
 */

export class UnsafeArgumentError extends Error {
  constructor(readonly index: number, reason: string) {
    super(`argument ${index} cannot be passed to a remote shell: ${reason}`);
    this.name = 'UnsafeArgumentError';
  }
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell. NUL cannot travel in an argv at all and is refused. */
export function quoteArg(arg: string, index = 0): string {
  if (typeof arg !== 'string') throw new UnsafeArgumentError(index, `not a string (${typeof arg})`);
  if (arg.includes('\0')) throw new UnsafeArgumentError(index, 'contains a NUL byte');
  if (arg.length > 0 && SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Turn an argv into one shell line that runs exactly that argv. */
export function shellLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new UnsafeArgumentError(0, 'empty argv');
  return argv.map((a, i) => quoteArg(a, i)).join(' ');
}

/**
 * shellLine() on one line, for a shell that reads the line with `read -r` (the SSH bootstrap,
 * ssh/remoteCommand.ts): a newline can only occur inside a single-quoted word, where it is written
 * `'"$VAR"'` (close the quote, expand VAR double-quoted, reopen), VAR holding a newline on the host.
 */
export function shellLineOneLine(argv: readonly string[], newlineVar: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newlineVar)) throw new Error(`not a shell variable name: ${newlineVar}`);
  return shellLine(argv).replace(/\n/g, `'"$${newlineVar}"'`);
}
