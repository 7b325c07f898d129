/**
 * mailops.host.filter: show only the accounts of a host whose name contains a text (case-insensitive).
 * Takes the host node (inline action), or {host, filter} (tests, scripts); an empty text clears it.
 */
import * as vscode from 'vscode';
import type { CommandDefinition } from '../types';
import { isRecord, resolveHost } from '../targets';

export const filterHost: CommandDefinition = {
  id: 'mailops.host.filter',
  async run(services, arg) {
    const host = await resolveHost(services, arg, vscode.l10n.t('Filter Accounts'));
    if (!host) return undefined;
    const node = services.hostsProvider.hostNode(host);
    if (!node) return undefined;
    let filter = isRecord(arg) && typeof arg.filter === 'string' ? arg.filter : undefined;
    filter ??= await vscode.window.showInputBox({
      title: vscode.l10n.t('Filter the accounts of {0}', host),
      prompt: vscode.l10n.t('Show the accounts whose name contains this text (empty: all accounts)'),
      value: node.filter,
      placeHolder: 'alice',
    });
    if (filter === undefined) return undefined;
    node.setFilter(filter.trim());
    services.hostsProvider.refreshNode(undefined);
    return node.filter;
  },
};
