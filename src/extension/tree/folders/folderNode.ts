/**
 * A folder (mailbox) of an account: messages and unseen counts in the description, size in the tooltip.
 * Dovecot folders expand to a "Messages" item (listed on demand); Cyrus folders show counts only.
 */
import * as vscode from 'vscode';
import type { CyrusMailbox } from '../../../core/cyrus/mailboxes';
import type { MailboxStatus } from '../../../core/dovecot/types';
import type { AccountNode } from '../accounts/accountNode';
import { formatSize, tooltip } from '../common/markdown';
import { MessagesNode } from '../messages/messagesNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';

export interface FolderInfo {
  server: 'dovecot' | 'cyrus';
  /** Display name with the host's hierarchy separator (`Archive/2023`, `INBOX`). */
  name: string;
  messages: number | null;
  unseen: number | null;
  size: number | null;
  /** Why `messages` is unknown (shown as "?" with this reason), e.g. an index version Mailops does not know. */
  countProblem?: string | null;
  status?: MailboxStatus;
  cyrus?: CyrusMailbox;
}

export class FolderNode extends MailopsNode {
  readonly kind = 'folder';
  private messagesNode: MessagesNode | undefined;

  constructor(
    readonly accountNode: AccountNode,
    readonly info: FolderInfo,
    private readonly services: TreeServices,
  ) {
    super(accountNode);
  }

  get name(): string {
    return this.info.name;
  }

  getTreeItem(): vscode.TreeItem {
    const i = this.info;
    const browsable = i.server === 'dovecot';
    const item = new vscode.TreeItem(i.name, browsable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `${this.accountNode.hostNode.id}/account:${this.accountNode.account}/folder:${i.name}`;
    item.iconPath = new vscode.ThemeIcon(i.name === 'INBOX' ? 'inbox' : 'folder');
    const parts = [i.messages === null ? vscode.l10n.t('? messages') : vscode.l10n.t('{0} messages', i.messages)];
    if (i.messages === null && i.countProblem) parts.push(i.countProblem);
    if (i.unseen !== null && i.unseen > 0) parts.push(vscode.l10n.t('{0} unseen', i.unseen));
    item.description = parts.join(' · ');
    item.contextValue = this.contextValue(i.server);
    item.tooltip = tooltip(i.name === 'INBOX' ? 'inbox' : 'folder', i.name, [
      [vscode.l10n.t('Account'), this.accountNode.account],
      [vscode.l10n.t('Messages'), i.messages ?? (i.countProblem ? vscode.l10n.t('? ({0})', i.countProblem) : null)],
      [vscode.l10n.t('Unseen'), i.unseen],
      [vscode.l10n.t('Size'), i.size === null ? null : `${formatSize(i.size)} (${i.size} bytes)`],
      [vscode.l10n.t('Mailbox GUID'), i.status?.guid],
      [vscode.l10n.t('UIDVALIDITY'), i.status?.uidvalidity ?? i.cyrus?.uidvalidity],
      [vscode.l10n.t('Cyrus name'), i.cyrus?.toolName],
      [vscode.l10n.t('Partition'), i.cyrus?.partition],
    ]);
    item.accessibilityInformation = { label: `${i.name}, ${item.description}` };
    return item;
  }

  override invalidate(): void {
    this.messagesNode = undefined;
  }

  override getChildren(): MailopsNode[] {
    if (this.info.server !== 'dovecot') return [];
    this.messagesNode ??= new MessagesNode(this, this.accountNode, this.services, { source: 'live', mailbox: this.info.name, count: this.info.messages });
    return [this.messagesNode];
  }
}
