/**
 * A mail account: its folders (with counts), then "Backups" (Dovecot) and "Expunged". Folders are loaded on
 * expansion: `doveadm mailbox status` for Dovecot; for Cyrus the mailboxes come with the account list
 * (ctl_mboxlist) and their counts are read in one batch (mbpath + cyrus.index headers) on expansion.
 */
import * as vscode from 'vscode';
import { addStats, type CyrusMailbox } from '../../../core/cyrus/mailboxes';
import { listMailboxes, readDovecotSettings } from '../../../core/dovecot/mailboxes';
import { BackupsNode } from '../backups/backupsNode';
import { tooltip } from '../common/markdown';
import { expungedNode } from '../expunged/expungedNode';
import { FolderNode } from '../folders/folderNode';
import type { HostNode } from '../hosts/hostNode';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';

export type AccountEntry = { server: 'dovecot'; name: string } | { server: 'cyrus'; name: string; mailboxes: CyrusMailbox[] };

export class AccountNode extends LoadingNode {
  readonly kind = 'account';
  /** lazy_expunge's mailbox (Dovecot), once the folders were read. */
  lazyExpungeMailbox: string | null = null;

  constructor(
    readonly hostNode: HostNode,
    readonly entry: AccountEntry,
    private readonly services: TreeServices,
  ) {
    super(hostNode);
  }

  get server(): 'dovecot' | 'cyrus' {
    return this.entry.server;
  }

  get account(): string {
    return this.entry.name;
  }

  get hostName(): string {
    return this.hostNode.host.name;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.account, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.hostNode.id}/account:${this.account}`;
    item.iconPath = new vscode.ThemeIcon(this.account === '(shared)' ? 'organization' : 'account');
    item.contextValue = this.contextValue(this.server);
    if (this.entry.server === 'cyrus') item.description = vscode.l10n.t('{0} folders', this.entry.mailboxes.length);
    item.tooltip = tooltip('account', this.account, [
      [vscode.l10n.t('Host'), this.hostName],
      [vscode.l10n.t('Server'), this.server === 'dovecot' ? 'Dovecot' : 'Cyrus IMAP'],
      ...(this.entry.server === 'cyrus' ? ([[vscode.l10n.t('Folders'), this.entry.mailboxes.length]] as const) : []),
    ]);
    return item;
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not list the folders of {0}', this.account), () => this.load());
  }

  private async load(): Promise<MailopsNode[]> {
    const ctx = this.services.connections.get(this.hostName);
    if (this.entry.server === 'dovecot') {
      const [settings, boxes] = await Promise.all([readDovecotSettings(ctx), listMailboxes(ctx, this.account)]);
      this.lazyExpungeMailbox = settings.lazyExpungeMailbox;
      const folders = boxes
        .filter((b) => b.name !== settings.lazyExpungeMailbox)
        .map((b) => new FolderNode(this, { server: 'dovecot', name: b.name, messages: b.messages, unseen: b.unseen, size: b.vsize, status: b }, this.services));
      return [...folders, new BackupsNode(this, this.services), expungedNode(this, this.services, settings.lazyExpungeMailbox, settings.dialect)];
    }
    const boxes = this.entry.mailboxes.map((m) => ({ ...m }));
    await addStats(ctx, boxes);
    const folders = boxes.map((b) => new FolderNode(this, { server: 'cyrus', name: b.folder, messages: b.messages, unseen: null, size: b.size, countProblem: b.countProblem, cyrus: b }, this.services));
    return [...folders, expungedNode(this, this.services, null)];
  }
}
