/** One message (live or expunged): subject, sender and date; opening it shows its headers and text read-only. */
import * as vscode from 'vscode';
import type { MessageSummary } from '../../../core/dovecot/types';
import type { AccountNode } from '../accounts/accountNode';
import { formatSize, shortTime, tooltip } from '../common/markdown';
import { MailopsNode } from '../node';
import { messageUri, type MessageRef } from './messageDocument';

export class MailNode extends MailopsNode {
  readonly kind = 'mail';

  constructor(
    parent: MailopsNode,
    readonly account: AccountNode,
    readonly message: MessageSummary,
    readonly source: 'live' | 'expunged',
  ) {
    super(parent);
  }

  get ref(): MessageRef {
    return { server: 'dovecot', host: this.account.hostName, account: this.account.account, mailbox: this.message.mailbox, uid: this.message.uid, source: this.source };
  }

  getTreeItem(): vscode.TreeItem {
    const m = this.message;
    const item = new vscode.TreeItem(m.subject || vscode.l10n.t('(no subject)'), vscode.TreeItemCollapsibleState.None);
    item.id = `${this.account.hostNode.id}/account:${this.account.account}/${this.source}:${m.mailbox}/uid:${m.uid}`;
    item.description = `${m.from} · ${shortTime(m.sent ?? m.received)}`;
    const seen = m.flags.includes('\\Seen');
    item.iconPath = new vscode.ThemeIcon(this.source === 'expunged' ? 'trash' : seen ? 'mail-read' : 'mail');
    item.contextValue = this.contextValue(this.source, 'dovecot');
    item.tooltip = tooltip('mail', m.subject, [
      [vscode.l10n.t('From'), m.from],
      [vscode.l10n.t('To'), m.to],
      [vscode.l10n.t('Date'), m.sent],
      [vscode.l10n.t('Received'), m.received],
      [vscode.l10n.t('Size'), formatSize(m.size)],
      [vscode.l10n.t('Flags'), m.flags.join(' ')],
      [vscode.l10n.t('UID'), m.uid],
      [vscode.l10n.t('GUID'), m.guid],
      [vscode.l10n.t('Message-ID'), m.messageId],
    ]);
    item.command = { title: vscode.l10n.t('Open Message'), command: 'mailops.message.open', arguments: [this.ref] };
    return item;
  }

  /** The URI its read-only document opens at. */
  get uri(): vscode.Uri {
    return messageUri(this.ref);
  }
}
