/**
 * The CLI's questions and secrets. The CLI remembers no secret: the SSH password or passphrase is asked on
 * the terminal, and the Cyrus admin password comes from the owner-only file named by
 * $MAILOPS_CYRUS_ADMIN_PASSWORD_FILE (for cron and scripts) or from the terminal. A password the server
 * refuses is never tried again silently: from the terminal it is asked again, from the file the run fails
 * naming the file.
 */
import { createInterface } from 'node:readline';
import { readFile, stat } from 'node:fs/promises';
import { AdminLoginError, type AdminEndpoint } from '../core/cyrus/imapAdmin';
import { UsageError } from '../core/errors';
import type { Prompter, SecretQuestion } from '../core/transport/types';

/** Read a line from the TTY; with `hidden`, nothing typed is echoed. Undefined without a TTY. */
export async function ttyQuestion(question: string, hidden: boolean): Promise<string | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) {
    // Echo nothing after the prompt: readline writes through _writeToOutput.
    const r = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    let prompted = false;
    r._writeToOutput = (s: string) => {
      if (!prompted) {
        r.output.write(s);
        prompted = true;
      }
    };
  }
  return await new Promise<string | undefined>((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      resolve(undefined);
    });
  });
}

/** The CLI's answers to the transport's questions: on the TTY, or a refusal that says what to do. */
export class TtyPrompter implements Prompter {
  constructor(private readonly acceptNewHostKeys: boolean) {}

  async confirmHostKey(info: { host: string; port: number; keyType: string; fingerprint: string }): Promise<boolean> {
    if (this.acceptNewHostKeys) {
      process.stderr.write(`mailops: trusting new ${info.keyType} host key of ${info.host}:${info.port} ${info.fingerprint} (--accept-new-host-key)\n`);
      return true;
    }
    const answer = await ttyQuestion(
      `The authenticity of host '${info.host}:${info.port}' can't be established.\n${info.keyType} key fingerprint is ${info.fingerprint}.\nTrust it and remember it? (yes/no) `,
      false,
    );
    return answer !== undefined && /^y(es)?$/i.test(answer.trim());
  }

  async askSecret(info: SecretQuestion): Promise<string | undefined> {
    const label = info.kind === 'passphrase' ? info.prompt : `${info.user}@${info.host} ${info.prompt}`;
    return ttyQuestion(label.endsWith(' ') ? label : `${label} `, !info.echo);
  }
}

export const ADMIN_PASSWORD_ENV = 'MAILOPS_CYRUS_ADMIN_PASSWORD_FILE';

/**
 * The first line of a secret file, which must be a regular file that only its owner can read or write (mode
 * 0600 or stricter, as OpenSSH demands of private keys): a password others can read is no secret, and a
 * file others can write could swap it.
 */
export async function readSecretFile(file: string, envName: string): Promise<string> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    throw new UsageError(`cannot read ${envName}: ${(e as Error).message}`, { hint: `point ${envName} at a file holding the password on its first line` });
  }
  if (!st.isFile()) throw new UsageError(`${envName}: ${file} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw new UsageError(`${envName}: ${file} can be read or written by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`, {
      meaning: 'a password in a file that other users can read is not secret',
      hint: `chmod 600 '${file}'`,
    });
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new UsageError(`${envName}: ${file} belongs to another user (uid ${st.uid})`, { hint: `use a file of your own, mode 0600` });
  }
  const text = await readFile(file, 'utf8');
  return text.split(/\r?\n/)[0] ?? '';
}

/** How many times the terminal asks for the admin password after the server refused one. */
const ADMIN_ATTEMPTS = 3;

/**
 * Run `use` with the Cyrus admin password: from $MAILOPS_CYRUS_ADMIN_PASSWORD_FILE when set (a refusal then
 * fails the run, naming the file), else asked on the terminal, again after each refusal (three tries).
 * Undefined when no password could be had (no file, no terminal, or the prompt was cancelled).
 */
export async function withCliAdminPassword<T>(
  ask: (prompt: string) => Promise<string | undefined>,
  ep: AdminEndpoint,
  use: (password: string) => Promise<T>,
): Promise<T | undefined> {
  const file = process.env[ADMIN_PASSWORD_ENV];
  if (file) {
    const password = await readSecretFile(file, ADMIN_PASSWORD_ENV);
    try {
      return await use(password);
    } catch (e) {
      if (e instanceof AdminLoginError) throw e.withHint(`the password came from ${file} ($${ADMIN_PASSWORD_ENV}): put the password of ${ep.user} on its first line`);
      throw e;
    }
  }
  let prompt = `Cyrus admin password for ${ep.user} at ${ep.host}:${ep.port}: `;
  for (let attempt = 1; ; attempt++) {
    const password = await ask(prompt);
    if (password === undefined) return undefined;
    try {
      return await use(password);
    } catch (e) {
      if (!(e instanceof AdminLoginError)) throw e;
      if (attempt >= ADMIN_ATTEMPTS) throw e.withHint(`check cyrus.admin (${ep.user}) and its password`);
      process.stderr.write(`mailops: the server refused the password (${attempt} of ${ADMIN_ATTEMPTS})\n`);
      prompt = `Cyrus admin password for ${ep.user} at ${ep.host}:${ep.port} (try again): `;
    }
  }
}
