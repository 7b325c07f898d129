/**
 * A configured mail host: the root of everything Mailops shows for that server. Its icon and description
 * follow the transport's connection state; its children are "Logs", "Backups" and "Deleted folders" (Cyrus) and the
 * accounts, paged (the first page, then "Show more…") and filtered by mailops.host.filter, so a host with
 * 25,000 accounts stays responsive.
 */
import * as vscode from 'vscode';
import { DEFAULT_BACKUP_ROOT, type HostConfig } from '../../../core/hosts/model';
import { listAccounts as listDovecotAccounts } from '../../../core/dovecot/accounts';
import { listAccounts as listCyrusAccounts } from '../../../core/cyrus/mailboxes';
import { probe } from '../../../core/probe';
import { describeTarget } from '../../hosts/target';
import { AccountNode, type AccountEntry } from '../accounts/accountNode';
import { loadOrError } from '../common/errorNode';
import { codeSpan } from '../common/markdown';
import { MoreNode, type Pageable } from '../common/moreNode';
import { MessageNode } from '../common/messageNode';
import { CyrusBackupsNode } from '../cyrusBackups/cyrusBackupsNode';
import { DeletedFoldersNode } from '../deleted/deletedFoldersNode';
import { LogsNode } from '../logs/logsNode';
import { MailopsNode } from '../node';
import { pageSize, type TreeServices } from '../services';

export type ServerKindResolved = 'dovecot' | 'cyrus';

export class HostNode extends MailopsNode implements Pageable {
  readonly kind = 'host';
  /** Substring filter on account names (mailops.host.filter); '' shows all. */
  filter = '';
  private shown = 0;
  private accounts: Promise<AccountEntry[]> | undefined;
  private server: ServerKindResolved | undefined;
  private nodes = new Map<string, AccountNode>();

  constructor(
    readonly host: HostConfig,
    private readonly services?: TreeServices,
  ) {
    super();
  }

  get id(): string {
    return `host:${this.host.name}`;
  }

  /** The server kind: from the setting, or detected by a probe on first expansion. */
  get serverKind(): ServerKindResolved | undefined {
    return this.host.server === 'detect' ? this.server : this.host.server;
  }

  getTreeItem(): vscode.TreeItem {
    const state = this.services?.connections.state(this.host.name) ?? { state: 'idle' as const };
    const item = new vscode.TreeItem(this.host.name, this.services ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const stateText = this.stateLabel(state.state);
    const parts = [describeTarget(this.host)];
    if (stateText) parts.push(stateText);
    if (this.filter) parts.push(vscode.l10n.t('filter: {0}', this.filter));
    item.description = parts.join(' · ');
    item.iconPath = this.icon(state.state);
    const server = this.host.server === 'detect' ? 'detect' : this.host.server;
    item.contextValue = this.services ? this.contextValue(server, state.state, ...(this.filter ? ['filtered'] : [])) : this.contextValue();
    item.tooltip = this.tooltip(state.state, state.error);
    item.accessibilityInformation = {
      label: vscode.l10n.t('Host {0}, {1}, {2}', this.host.name, item.description, this.serverLabel()),
    };
    return item;
  }

  private stateLabel(state: string): string {
    switch (state) {
      case 'connecting':
        return vscode.l10n.t('connecting');
      case 'connected':
        return vscode.l10n.t('connected');
      case 'failed':
        return vscode.l10n.t('failed');
      default:
        return '';
    }
  }

  private icon(state: string): vscode.ThemeIcon {
    switch (state) {
      case 'connecting':
        return new vscode.ThemeIcon('loading~spin');
      case 'connected':
        return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
      case 'failed':
        return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('errorForeground'));
      default:
        return new vscode.ThemeIcon('server');
    }
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

  private tooltip(state: string, error?: Error): vscode.MarkdownString {
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
    if (this.services) rows.push([vscode.l10n.t('Connection'), state]);
    if (this.filter) rows.push([vscode.l10n.t('Account filter'), this.filter]);
    for (const [label, value] of rows) md.appendMarkdown('- ').appendText(label).appendMarkdown(`: ${codeSpan(value)}\n`);
    if (error) md.appendMarkdown('\n').appendCodeblock(error.message, 'text');
    return md;
  }

  override invalidate(): void {
    this.accounts = undefined;
    this.shown = 0;
    this.nodes.clear();
  }

  setFilter(filter: string): void {
    this.filter = filter;
    this.shown = 0;
  }

  showMore(): void {
    this.shown += pageSize();
  }

  private load(): Promise<AccountEntry[]> {
    const services = this.services;
    if (!services) return Promise.resolve([]);
    this.accounts ??= (async () => {
      const ctx = services.connections.get(this.host.name);
      let kind = this.serverKind;
      if (!kind) {
        const report = await probe(ctx);
        kind = report.detected.includes('dovecot') ? 'dovecot' : report.detected.includes('cyrus') ? 'cyrus' : undefined;
        if (!kind) throw new Error(vscode.l10n.t('{0}: neither Dovecot nor Cyrus was found on the host. Set "server" in the host entry, or install the tools.', this.host.name));
        this.server = kind;
      }
      if (kind === 'dovecot') return (await listDovecotAccounts(ctx)).map((a): AccountEntry => ({ server: 'dovecot', name: a.name }));
      return (await listCyrusAccounts(ctx, { stats: false })).map((a): AccountEntry => ({ server: 'cyrus', name: a.account, mailboxes: a.mailboxes }));
    })();
    this.accounts.catch((e: unknown) => {
      this.accounts = undefined;
      if (e instanceof Error) services.connections.markFailedIfUnconnected(this.host.name, e);
    });
    return this.accounts;
  }

  /** Every account name (unfiltered), for quick picks. */
  async accountNames(): Promise<string[]> {
    return (await this.load()).map((a) => a.name);
  }

  override async getChildren(): Promise<MailopsNode[]> {
    if (!this.services) return [];
    const services = this.services;
    return loadOrError(this, vscode.l10n.t('Could not list the accounts of {0}', this.host.name), async () => {
      const all = await this.load();
      const needle = this.filter.toLowerCase();
      const matching = needle ? all.filter((a) => a.name.toLowerCase().includes(needle)) : all;
      const page = pageSize();
      if (this.shown < page) this.shown = page;
      const shown = matching.slice(0, this.shown);
      const out: MailopsNode[] = [new LogsNode(this, services)];
      if (this.serverKind === 'cyrus') out.push(new CyrusBackupsNode(this, services), new DeletedFoldersNode(this, services));
      for (const a of shown) {
        let node = this.nodes.get(a.name);
        if (!node) this.nodes.set(a.name, (node = new AccountNode(this, a, services)));
        out.push(node);
      }
      if (matching.length > shown.length) out.push(new MoreNode(matching.length - shown.length, this, vscode.l10n.t('accounts')));
      if (matching.length === 0) {
        out.push(
          new MessageNode(
            this.filter ? vscode.l10n.t('No account matches "{0}"', this.filter) : vscode.l10n.t('No accounts'),
            { icon: 'info', state: 'empty', ...(this.filter ? { command: { title: vscode.l10n.t('Change Filter'), command: 'mailops.host.filter', arguments: [this] } } : {}) },
            this,
          ),
        );
      }
      return out;
    });
  }
}
