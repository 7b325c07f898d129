/** mailops.host.forgetSecrets: remove passwords and passphrases Mailops kept in the editor's secret storage. */
import * as vscode from 'vscode';
import type { CommandDefinition } from '../types';
import { hostNodeOf, isRecord, needConnections } from '../targets';
import type { MailopsNode } from '../../tree/node';

export const forgetSecrets: CommandDefinition = {
  id: 'mailops.host.forgetSecrets',
  async run(services, arg) {
    const connections = needConnections(services);
    let host = hostNodeOf(arg as MailopsNode | undefined)?.host.name ?? (isRecord(arg) && typeof arg.host === 'string' ? arg.host : undefined);
    if (host === undefined) {
      const all = vscode.l10n.t('All hosts');
      const stored = connections.prompter.storedSecrets();
      const hosts = [...new Set([...connections.hosts().map((h) => h.name), ...stored.map((x) => x.host)])];
      const pick = await vscode.window.showQuickPick([all, ...hosts], {
        title: vscode.l10n.t('Forget Stored Secrets'),
        placeHolder: vscode.l10n.t('{0} secret(s) stored; forget those of…', connections.prompter.storedSecrets().length),
      });
      if (pick === undefined) return undefined;
      host = pick === all ? undefined : pick;
    }
    const n = await connections.prompter.forgetSecrets(host);
    void vscode.window.showInformationMessage(vscode.l10n.t('Forgot {0} stored secret(s){1}.', n, host ? vscode.l10n.t(' of {0}', host) : ''));
    return n;
  },
};
