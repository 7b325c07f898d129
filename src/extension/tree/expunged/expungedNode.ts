/**
 * "Expunged" under an account: what can still be brought back after an expunge.
 *   Dovecot: the messages of lazy_expunge's mailbox (e.g. EXPUNGED), listed like a folder's messages.
 *   Cyrus: `unexpunge -l` records of every live folder, grouped per folder.
 */
import * as vscode from 'vscode';
import { listExpunged, type ExpungedItem } from '../../../core/cyrus/expunged';
import { lazyExpungeHint, type DovecotDialect } from '../../../core/dovecot/dialect';
import type { AccountNode } from '../accounts/accountNode';
import { formatSize, shortTime, tooltip } from '../common/markdown';
import { MessageNode } from '../common/messageNode';
import { MessagesNode } from '../messages/messagesNode';
import { messageUri, type MessageRef } from '../messages/messageDocument';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import type { TreeServices } from '../services';

/** The "Expunged" item of an account. */
export function expungedNode(account: AccountNode, services: TreeServices, lazyExpungeMailbox: string | null, dialect: DovecotDialect | null = null): MailopsNode {
  if (account.server === 'cyrus') return new CyrusExpungedNode(account, services);
  if (!lazyExpungeMailbox) {
    // How to turn it on differs between Dovecot 2.3 and 2.4: core gives the host's form.
    return new MessageNode(
      vscode.l10n.t('Expunged: lazy_expunge is not enabled'),
      { icon: 'info', state: 'nolazyexpunge', tooltip: vscode.l10n.t('Dovecot keeps expunged mail only with the lazy_expunge plugin: {0}.', lazyExpungeHint(dialect)) },
      account,
    );
  }
  return new MessagesNode(account, account, services, { source: 'expunged', mailbox: lazyExpungeMailbox, count: null }, { kind: 'expunged', label: vscode.l10n.t('Expunged'), icon: 'trash', state: 'dovecot' });
}

export class CyrusExpungedNode extends LoadingNode {
  readonly kind = 'expunged';

  constructor(
    readonly accountNode: AccountNode,
    private readonly services: TreeServices,
  ) {
    super(accountNode);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(vscode.l10n.t('Expunged'), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.accountNode.hostNode.id}/account:${this.accountNode.account}/expunged`;
    item.iconPath = new vscode.ThemeIcon('trash');
    item.contextValue = this.contextValue('cyrus');
    item.tooltip = vscode.l10n.t('Messages expunged from the folders of {0} that Cyrus still keeps (expunge_mode: delayed), from unexpunge -l', this.accountNode.account);
    return item;
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not list the expunged messages of {0}', this.accountNode.account), async () => {
      const ctx = this.services.connections.get(this.accountNode.hostName);
      const byFolder = new Map<string, ExpungedItem[]>();
      for await (const it of listExpunged(ctx, this.accountNode.account)) {
        let list = byFolder.get(it.folder);
        if (!list) byFolder.set(it.folder, (list = []));
        list.push(it);
      }
      if (byFolder.size === 0) return [new MessageNode(vscode.l10n.t('No expunged messages'), { icon: 'info', state: 'empty' }, this)];
      return [...byFolder.entries()].map(([folder, items]) => new ExpungedFolderNode(this, folder, items));
    });
  }
}

export class ExpungedFolderNode extends MailopsNode {
  readonly kind = 'expungedFolder';

  constructor(
    readonly expunged: CyrusExpungedNode,
    readonly folder: string,
    readonly items: ExpungedItem[],
  ) {
    super(expunged);
  }

  getTreeItem(): vscode.TreeItem {
    const a = this.expunged.accountNode;
    const item = new vscode.TreeItem(this.folder, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${a.hostNode.id}/account:${a.account}/expunged/${this.folder}`;
    item.iconPath = new vscode.ThemeIcon('folder');
    item.description = vscode.l10n.t('{0} expunged', this.items.length);
    item.contextValue = this.contextValue('cyrus');
    return item;
  }

  override getChildren(): MailopsNode[] {
    return [...this.items].sort((x, y) => (y.record.expunged ?? '').localeCompare(x.record.expunged ?? '')).map((it) => new ExpungedRecordNode(this, it));
  }
}

export class ExpungedRecordNode extends MailopsNode {
  readonly kind = 'expungedMessage';

  constructor(
    readonly folderNode: ExpungedFolderNode,
    readonly item: ExpungedItem,
  ) {
    super(folderNode);
  }

  get account(): AccountNode {
    return this.folderNode.expunged.accountNode;
  }

  get ref(): MessageRef {
    return { server: 'cyrus', host: this.account.hostName, account: this.account.account, mailbox: this.item.folder, uid: this.item.record.uid, source: 'expunged' };
  }

  getTreeItem(): vscode.TreeItem {
    const r = this.item.record;
    const item = new vscode.TreeItem(r.subject || (r.cacheError ? vscode.l10n.t('(unreadable cache record: open to read)') : vscode.l10n.t('(no subject)')), vscode.TreeItemCollapsibleState.None);
    item.id = `${this.account.hostNode.id}/account:${this.account.account}/expunged/${this.item.folder}/uid:${r.uid}`;
    item.iconPath = new vscode.ThemeIcon('mail');
    item.description = `${r.from ?? '?'} · ${vscode.l10n.t('expunged {0}', shortTime(r.expunged))}`;
    item.contextValue = this.contextValue('cyrus');
    item.tooltip = tooltip('trash', r.subject ?? '', [
      [vscode.l10n.t('Folder'), this.item.folder],
      [vscode.l10n.t('UID'), r.uid],
      [vscode.l10n.t('From'), r.from],
      [vscode.l10n.t('Expunged'), r.expunged],
      [vscode.l10n.t('Received'), r.received],
      [vscode.l10n.t('Size'), formatSize(r.size)],
    ]);
    item.resourceUri = messageUri(this.ref);
    item.command = { title: vscode.l10n.t('Open Message'), command: 'mailops.message.open', arguments: [this.ref] };
    return item;
  }
}
