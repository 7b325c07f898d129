/** A configured mail host: the root of everything Mailops shows for that server. */
import * as vscode from 'vscode';
import { DEFAULT_BACKUP_ROOT, type HostConfig } from '../../../core/hosts/model';
import { describeTarget } from '../../hosts/target';
import { MailopsNode } from '../node';

export class HostNode extends MailopsNode {
  readonly kind = 'host';

  constructor(readonly host: HostConfig) {
    super();
  }

  get id(): string {
    return `host:${this.host.name}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.host.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = describeTarget(this.host);
    item.iconPath = new vscode.ThemeIcon('server');
    item.contextValue = this.contextValue();
    item.tooltip = this.tooltip();
    item.accessibilityInformation = {
      label: vscode.l10n.t('Host {0}, {1}, {2}', this.host.name, item.description, this.serverLabel()),
    };
    return item;
  }

  private serverLabel(): string {
    switch (this.host.server) {
      case 'dovecot':
        return vscode.l10n.t('Dovecot');
      case 'cyrus':
        return vscode.l10n.t('Cyrus IMAP');
      case 'detect':
        return vscode.l10n.t('server kind detected on connect');
    }
  }

  private tooltip(): vscode.MarkdownString {
    const h = this.host;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown('$(server) **').appendText(h.name).appendMarkdown('**\n\n');
    const rows: [string, string][] = [
      [vscode.l10n.t('Transport'), h.transport === 'ssh' ? vscode.l10n.t('SSH') : vscode.l10n.t('local commands')],
      [vscode.l10n.t('Target'), describeTarget(h)],
      [vscode.l10n.t('Server'), this.serverLabel()],
      [vscode.l10n.t('Privilege'), h.privilege.mode === 'sudo-user' ? `sudo -u ${h.privilege.user ?? '?'}` : h.privilege.mode],
      [vscode.l10n.t('Backups'), (h.server === 'cyrus' ? h.cyrus?.backupRoot : h.dovecot?.backupRoot) ?? DEFAULT_BACKUP_ROOT],
    ];
    if (h.ssh?.proxyJump) rows.push([vscode.l10n.t('Jump host'), h.ssh.proxyJump]);
    for (const [label, value] of rows) md.appendMarkdown('- ').appendText(label).appendMarkdown(`: ${codeSpan(value)}\n`);
    return md;
  }
}

/** A Markdown code span holding `text` verbatim (nothing inside a code span is interpreted, links included). */
function codeSpan(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
