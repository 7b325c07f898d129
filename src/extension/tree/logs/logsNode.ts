/**
 * "Logs" of a host: the logs the log viewer's discovery finds (Mailops run logs, Dovecot's log, the mail
 * syslog), newest first; each opens in the remote log viewer (mailops-log: documents).
 */
import * as vscode from 'vscode';
import { discoverLogs, type DiscoveredLog } from '../../../core/logs/discover';
import { formatSize, shortTime, tooltip } from '../common/markdown';
import { MessageNode } from '../common/messageNode';
import type { HostNode } from '../hosts/hostNode';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';

/** How many logs the node lists (the log viewer's quick pick has them all). */
const MAX_LOGS = 50;

export class LogsNode extends LoadingNode {
  readonly kind = 'logs';

  constructor(
    readonly hostNode: HostNode,
    private readonly services: TreeServices,
  ) {
    super(hostNode);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Logs'), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.hostNode.id}/logs`;
    item.iconPath = new vscode.ThemeIcon('output');
    item.contextValue = this.contextValue();
    item.tooltip = vscode.l10n.t('Backup run logs and server logs of {0}, opened in the remote log viewer', this.hostNode.host.name);
    return item;
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not list the logs of {0}', this.hostNode.host.name), async () => {
      const logs = await discoverLogs(this.services.connections.get(this.hostNode.host.name));
      const out: MailopsNode[] = [...logs].sort((a, b) => b.mtimeMs - a.mtimeMs).slice(0, MAX_LOGS).map((l) => new LogFileNode(this, l));
      out.push(
        new MessageNode(logs.length > MAX_LOGS ? vscode.l10n.t('All {0} logs, or another path…', logs.length) : vscode.l10n.t('Another log…'), {
          icon: 'search',
          state: 'pick',
          command: { title: vscode.l10n.t('Open Remote Log…'), command: 'mailops.logs.open', arguments: [{ host: this.hostNode.host.name }] },
        }, this),
      );
      return out;
    });
  }
}

export class LogFileNode extends MailopsNode {
  readonly kind = 'log';

  constructor(
    readonly logs: LogsNode,
    readonly log: DiscoveredLog,
  ) {
    super(logs);
  }

  getTreeItem(): vscode.TreeItem {
    const l = this.log;
    const name = l.path.slice(l.path.lastIndexOf('/') + 1);
    const item = new vscode.TreeItem(l.account ? `${l.account}: ${name}` : name, vscode.TreeItemCollapsibleState.None);
    item.id = `${this.logs.hostNode.id}/log:${l.path}`;
    item.iconPath = new vscode.ThemeIcon(l.kind.startsWith('run-') ? 'history' : 'file-text');
    item.description = `${formatSize(l.size)} · ${shortTime(new Date(l.mtimeMs).toISOString())}`;
    item.contextValue = this.contextValue(l.kind);
    item.tooltip = tooltip('file-text', l.path, [
      [vscode.l10n.t('Kind'), l.kind],
      [vscode.l10n.t('Account'), l.account],
      [vscode.l10n.t('Size'), `${formatSize(l.size)} (${l.size} bytes)`],
      [vscode.l10n.t('Modified'), new Date(l.mtimeMs).toISOString()],
    ]);
    item.command = { title: vscode.l10n.t('Open Log'), command: 'mailops.tree.openLog', arguments: [{ host: this.logs.hostNode.host.name, path: l.path }] };
    return item;
  }
}
