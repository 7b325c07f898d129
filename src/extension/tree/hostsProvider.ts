/**
 * The "Hosts" view (mailops.hosts): one HostNode per entry of the mailops.hosts setting, then accounts,
 * folders, messages, backups, expunged mail, deleted folders and logs below (tree/<resource>/…Node.ts).
 * Follows the setting live, keeps the mailops.hasHosts context key in step (it decides whether the welcome
 * view shows), redraws a host when its connection state changes, and refreshes single nodes.
 */
import * as vscode from 'vscode';
import { ContextKeys, setContext } from '../context';
import type { Connections } from '../hosts/connections';
import { HOSTS_SETTING, readHostsSetting, type HostsSetting } from '../hosts/settings';
import { getLog } from '../log';
import { MessageNode } from './common/messageNode';
import { HostNode } from './hosts/hostNode';
import type { MailopsNode } from './node';
import type { TreeServices } from './services';

export class HostsProvider implements vscode.TreeDataProvider<MailopsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MailopsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private setting: HostsSetting = { hosts: [], entries: 0 };
  /** Host nodes by name, kept while their configuration is unchanged (their children stay cached). */
  private readonly hostNodes = new Map<string, { json: string; node: HostNode }>();
  private readonly services: TreeServices | undefined;

  constructor(connections?: Connections) {
    if (connections) {
      this.services = { connections, refresh: (node) => this.refreshNode(node) };
      this.subscriptions.push(
        connections.onDidChangeState((name) => {
          const node = this.hostNodes.get(name)?.node;
          if (node) this.changed.fire(node);
        }),
      );
    }
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(HOSTS_SETTING)) void this.refresh();
        else if (e.affectsConfiguration('mailops.tree')) this.refreshNode(undefined);
      }),
    );
  }

  /** Re-read the setting, update the context key, redraw everything (cached children are dropped). */
  async refresh(): Promise<void> {
    this.setting = readHostsSetting();
    if (this.setting.error) getLog().warn(this.setting.error.message);
    else getLog().debug(`hosts: ${this.setting.hosts.map((h) => h.name).join(', ') || '(none)'}`);
    for (const { node } of this.hostNodes.values()) node.invalidate();
    await setContext(ContextKeys.hasHosts, this.setting.entries > 0);
    this.changed.fire(undefined);
  }

  /** Redraw one node with fresh children (or the whole tree, keeping the setting as read). */
  refreshNode(node: MailopsNode | undefined): void {
    if (node) node.invalidate();
    else for (const { node: h } of this.hostNodes.values()) h.invalidate();
    this.changed.fire(node);
  }

  /** The hosts as the view shows them (valid entries only). */
  get hosts(): HostsSetting {
    return this.setting;
  }

  /** The host node of a configured host, as the tree shows it. */
  hostNode(name: string): HostNode | undefined {
    const config = this.setting.hosts.find((h) => h.name === name);
    return config ? this.nodeFor(config) : undefined;
  }

  private nodeFor(config: HostsSetting['hosts'][number]): HostNode {
    const json = JSON.stringify(config);
    const have = this.hostNodes.get(config.name);
    if (have && have.json === json) return have.node;
    const node = new HostNode(config, this.services);
    this.hostNodes.set(config.name, { json, node });
    return node;
  }

  getTreeItem(node: MailopsNode): vscode.TreeItem | Thenable<vscode.TreeItem> {
    return node.getTreeItem();
  }

  getChildren(node?: MailopsNode): vscode.ProviderResult<MailopsNode[]> {
    if (node) return node.getChildren();
    const { hosts, error } = this.setting;
    if (error) {
      return [
        new MessageNode(vscode.l10n.t('The mailops.hosts setting is invalid'), {
          icon: 'error',
          tooltip: error.message,
          state: 'invalid',
          command: { title: vscode.l10n.t('Open Settings'), command: 'workbench.action.openSettings', arguments: [HOSTS_SETTING] },
        }),
      ];
    }
    for (const name of [...this.hostNodes.keys()]) if (!hosts.some((h) => h.name === name)) this.hostNodes.delete(name);
    return hosts.map((h) => this.nodeFor(h));
  }

  getParent(node: MailopsNode): MailopsNode | undefined {
    return node.parent;
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
