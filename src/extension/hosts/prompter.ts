/**
 * The editor's answers to the transport's questions (core/transport/types.ts Prompter):
 *   - an unknown host key: a modal warning with its SHA256 fingerprint (Trust / Cancel). The transport writes
 *     an accepted key into the trust store file (known_hosts format) under context.globalStorageUri.
 *   - a password, key passphrase or keyboard-interactive answer: an input box (password: true unless the
 *     server asks to echo), remembered in SecretStorage keyed by host + user + kind when the operator agrees.
 *     A stored secret is offered to the transport once per question; when the transport asks again (a wrong
 *     password), the stored one is dropped and the operator is asked.
 * Secrets never reach settings or the log: the log names the key (host, user, kind), never the value.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Prompter } from '../../core/transport/types';
import { getLog } from '../log';

export type SecretKind = 'password' | 'passphrase' | 'keyboard-interactive';

interface SecretQuestion {
  host: string;
  user: string;
  kind: SecretKind;
  prompt: string;
  echo: boolean;
}

/** SecretStorage keys of Mailops: `mailops.secret/<kind>/<user>@<host>`. */
const SECRET_PREFIX = 'mailops.secret/';
/** The list of keys we stored (SecretStorage cannot enumerate before VS Code 1.100's keys()). */
const INDEX_KEY = 'mailops.secretKeys';

export function secretKey(host: string, user: string, kind: SecretKind): string {
  return `${SECRET_PREFIX}${kind}/${encodeURIComponent(user)}@${encodeURIComponent(host)}`;
}

/** A retry prompt of the transport ("Wrong passphrase…", "Permission denied, please try again…"). */
function isRetry(prompt: string): boolean {
  return /wrong|denied|try again/i.test(prompt);
}

/** The trust store of host keys accepted in the editor (known_hosts format), created on demand. */
export function trustStorePath(context: vscode.ExtensionContext): string {
  const dir = context.globalStorageUri.fsPath;
  mkdirSync(dir, { recursive: true });
  return join(dir, 'known_hosts');
}

export class EditorPrompter implements Prompter {
  constructor(private readonly context: vscode.ExtensionContext) {}

  async confirmHostKey(info: { host: string; port: number; keyType: string; fingerprint: string }): Promise<boolean> {
    const trust = vscode.l10n.t('Trust');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('The host key of {0} (port {1}) is not known.', info.host, info.port),
      {
        modal: true,
        detail: vscode.l10n.t(
          '{0} key fingerprint:\n{1}\n\nCompare it with the server\'s own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) before trusting it. Trusted keys are kept in {2}.',
          info.keyType,
          info.fingerprint,
          trustStorePath(this.context),
        ),
      },
      trust,
    );
    getLog().info(`host key ${info.keyType} ${info.fingerprint} of ${info.host}:${info.port}: ${answer === trust ? 'trusted by the operator' : 'refused'}`);
    return answer === trust;
  }

  async askSecret(info: SecretQuestion): Promise<string | undefined> {
    const key = secretKey(info.host, info.user, info.kind);
    if (!isRetry(info.prompt)) {
      const stored = await this.context.secrets.get(key);
      if (stored !== undefined) {
        getLog().debug(`using the stored ${info.kind} for ${info.user}@${info.host}`);
        return stored;
      }
    } else if ((await this.context.secrets.get(key)) !== undefined) {
      getLog().info(`the stored ${info.kind} for ${info.user}@${info.host} was refused; forgetting it`);
      await this.forget(key);
    }
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Mailops: {0}@{1}', info.user, info.host),
      prompt: info.prompt,
      password: !info.echo,
      ignoreFocusOut: true,
    });
    if (value === undefined || info.echo) return value;
    const remember = vscode.l10n.t('Remember');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Remember this {0} for {1}@{2} in the editor\'s secret storage?', info.kind, info.user, info.host),
      remember,
      vscode.l10n.t('Not Now'),
    );
    if (choice === remember) await this.store(key, value);
    return value;
  }

  /** Keep a secret for host + user + kind in secret storage (as "Remember" does after an input box). */
  async remember(host: string, user: string, kind: SecretKind, value: string): Promise<void> {
    await this.store(secretKey(host, user, kind), value);
  }

  private async store(key: string, value: string): Promise<void> {
    await this.context.secrets.store(key, value);
    const keys = new Set(this.context.globalState.get<string[]>(INDEX_KEY, []));
    keys.add(key);
    await this.context.globalState.update(INDEX_KEY, [...keys]);
    getLog().info(`stored a secret under ${key}`);
  }

  private async forget(key: string): Promise<void> {
    await this.context.secrets.delete(key);
    const keys = this.context.globalState.get<string[]>(INDEX_KEY, []).filter((k) => k !== key);
    await this.context.globalState.update(INDEX_KEY, keys);
  }

  /** Keys of the stored secrets (for the "forget" command), e.g. `mailops.secret/password/root@mail1`. */
  storedKeys(): string[] {
    return this.context.globalState.get<string[]>(INDEX_KEY, []);
  }

  /** Forget stored secrets: all, or those of one host. Returns how many were removed. */
  async forgetSecrets(host?: string): Promise<number> {
    const keys = this.storedKeys().filter((k) => host === undefined || k.endsWith(`@${encodeURIComponent(host)}`));
    for (const k of keys) await this.forget(k);
    return keys.length;
  }
}
