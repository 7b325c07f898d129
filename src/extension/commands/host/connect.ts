/** mailops.host.connect: open the host's pooled connection now (host keys and secrets are asked here). */
import * as vscode from 'vscode';
import type { CommandDefinition } from '../types';
import { needConnections, resolveHost } from '../targets';

export const connectHost: CommandDefinition = {
  id: 'mailops.host.connect',
  async run(services, arg) {
    const host = await resolveHost(services, arg, vscode.l10n.t('Connect to Host'));
    if (!host) return undefined;
    const connections = needConnections(services);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Connecting to {0}…', host) }, () => connections.connect(host));
    return connections.state(host).state;
  },
};
