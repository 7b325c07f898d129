/**
 * "Messages" under a Dovecot folder (or the lazy_expunge mailbox under "Expunged"): the first N messages,
 * read when expanded (doveadm fetch, streamed, stopped after N), then "Show more…".
 */
import * as vscode from 'vscode';
import { listMessages, type FetchedMessage } from '../../../core/dovecot/messages';
import type { AccountNode } from '../accounts/accountNode';
import { MessageNode } from '../common/messageNode';
import { MoreNode, type Pageable } from '../common/moreNode';
import { LoadingNode } from '../common/loadingNode';
import { MailopsNode } from '../node';
import { messagesPageSize, type TreeServices } from '../services';
import { MailNode } from './mailNode';

export interface MessagesSource {
  source: 'live' | 'expunged';
  mailbox: string;
  count: number | null;
}

/** How the list item looks: "Messages" under a folder, or "Expunged" (lazy_expunge) under an account. */
export interface MessagesLook {
  kind: string;
  label: string;
  icon: string;
  state: string;
}

export class MessagesNode extends LoadingNode implements Pageable {
  readonly kind: string;
  private limit = messagesPageSize();

  constructor(
    parent: MailopsNode,
    private readonly account: AccountNode,
    private readonly services: TreeServices,
    readonly what: MessagesSource,
    private readonly look: MessagesLook = { kind: 'messages', label: vscode.l10n.t('Messages'), icon: 'mail', state: what.source },
  ) {
    super(parent);
    this.kind = look.kind;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.look.label, this.what.count === 0 ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.account.hostNode.id}/account:${this.account.account}/${this.what.source}:${this.what.mailbox}/${this.kind}`;
    item.iconPath = new vscode.ThemeIcon(this.look.icon);
    item.description = this.what.count === null ? undefined : vscode.l10n.t('{0} in {1}', this.what.count, this.what.mailbox);
    item.contextValue = this.contextValue(this.look.state);
    item.tooltip =
      this.what.source === 'expunged'
        ? vscode.l10n.t('Messages expunged from {0} and kept by lazy_expunge in its mailbox {1}; restore them with the restore preview', this.account.account, this.what.mailbox)
        : vscode.l10n.t('Listed on demand, {0} at a time', messagesPageSize());
    return item;
  }

  showMore(): void {
    this.limit += messagesPageSize();
    this.invalidate();
  }

  override getChildren(): Promise<MailopsNode[]> {
    return this.cachedChildren(vscode.l10n.t('Could not list the messages of {0}', this.what.mailbox), async () => {
      const ctx = this.services.connections.get(this.account.hostName);
      const out: FetchedMessage[] = [];
      const ac = new AbortController();
      try {
        for await (const m of listMessages(ctx, this.account.account, this.what.mailbox, { signal: ac.signal })) {
          out.push(m);
          if (out.length > this.limit) break; // one more than shown: there are more
        }
      } finally {
        ac.abort();
      }
      const shown = out.slice(0, this.limit);
      const nodes: MailopsNode[] = shown.map((m) => new MailNode(this, this.account, m, this.what.source));
      if (out.length > this.limit) {
        const rest = this.what.count !== null ? Math.max(1, this.what.count - shown.length) : 1;
        nodes.push(new MoreNode(rest, this, vscode.l10n.t('messages')));
      }
      if (nodes.length === 0) nodes.push(new MessageNode(vscode.l10n.t('No messages'), { icon: 'info', state: 'empty' }, this));
      return nodes;
    });
  }
}
