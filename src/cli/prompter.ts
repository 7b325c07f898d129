import { createInterface } from 'node:readline';
import type { Prompter } from '../core/transport/types';

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

  async askSecret(info: { host: string; user: string; kind: 'password' | 'passphrase' | 'keyboard-interactive'; prompt: string; echo: boolean }): Promise<string | undefined> {
    const label = info.kind === 'passphrase' ? info.prompt : `${info.user}@${info.host} ${info.prompt}`;
    return ttyQuestion(label.endsWith(' ') ? label : `${label} `, !info.echo);
  }
}
