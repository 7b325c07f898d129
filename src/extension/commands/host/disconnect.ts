/** mailops.host.disconnect: close the host's pooled connection (running commands on it are cancelled). */
import * as vscode from 'vscode';
import type { CommandDefinition } from '../types';
import { needConnections, resolveHost } from '../targets';

export const disconnectHost: CommandDefinition = {
  id: 'mailops.host.disconnect',
  async run(services, arg) {
    const host = await resolveHost(services, arg, vscode.l10n.t('Disconnect from Host'));
    if (!host) return undefined;
    await needConnections(services).disconnect(host);
    return host;
  },
};
