/**
 * mailops.host.probe: what runs on a host (Dovecot or Cyrus, versions, lazy_expunge, delayed expunge and
 * delete) in a read-only JSON document, as `mailops probe --json` prints it.
 */
import * as vscode from 'vscode';
import { probe } from '../../../core/probe';
import type { CommandDefinition } from '../types';
import { needConnections, resolveHost } from '../targets';

export const probeHost: CommandDefinition = {
  id: 'mailops.host.probe',
  async run(services, arg) {
    const host = await resolveHost(services, arg, vscode.l10n.t('Probe Host'));
    if (!host) return undefined;
    const ctx = needConnections(services).get(host);
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Probing {0}…', host), cancellable: true },
      (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return probe(ctx, ac.signal);
      },
    );
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(report, null, 2)}\n` });
    await vscode.window.showTextDocument(doc, { preview: true });
    const found = report.detected.length ? report.detected.join(' + ') : vscode.l10n.t('neither Dovecot nor Cyrus');
    void vscode.window.showInformationMessage(vscode.l10n.t('{0}: {1} found.', host, found));
    services.hostsProvider.refreshNode(services.hostsProvider.hostNode(host));
    return report;
  },
};
