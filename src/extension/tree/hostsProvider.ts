/**
 * The "Hosts" view (mailops.hosts): one HostNode per entry of the mailops.hosts setting. Follows the setting
 * live and keeps the mailops.hasHosts context key in step, which decides whether the welcome view shows.
 */
import * as vscode from 'vscode';
import { ContextKeys, setContext } from '../context';
import { HOSTS_SETTING, readHostsSetting, type HostsSetting } from '../hosts/settings';
import { getLog } from '../log';
import { MessageNode } from './common/messageNode';
import { HostNode } from './hosts/hostNode';
import type { MailopsNode } from './node';

export class HostsProvider implements vscode.TreeDataProvider<MailopsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MailopsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private setting: HostsSetting = { hosts: [], entries: 0 };

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(HOSTS_SETTING)) void this.refresh();
      }),
    );
  }

  /** Re-read the setting, update the context key, redraw. Resolves once the context key is set. */
  async refresh(): Promise<void> {
    this.setting = readHostsSetting();
    if (this.setting.error) getLog().warn(this.setting.error.message);
    else getLog().debug(`hosts: ${this.setting.hosts.map((h) => h.name).join(', ') || '(none)'}`);
    await setContext(ContextKeys.hasHosts, this.setting.entries > 0);
    this.changed.fire(undefined);
  }

  /** The hosts as the view shows them (valid entries only). */
  get hosts(): HostsSetting {
    return this.setting;
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
    return hosts.map((h) => new HostNode(h));
  }

  getParent(node: MailopsNode): MailopsNode | undefined {
    return node.parent;
  }

  dispose(): void {
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
