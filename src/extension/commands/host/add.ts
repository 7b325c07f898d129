/**
 * mailops.host.add: a short guided flow (name, transport, target, server kind) that appends an entry to the
 * operator's mailops.hosts setting: the user settings, or in a remote window the remote machine's settings
 * (the setting is machine-scoped; see hosts/settings.ts). It then shows the host selected in the Hosts view
 * and says where it was written. Secrets are not asked here: Mailops asks for them on first connect and keeps
 * them in SecretStorage. Anything richer (identity files, jump hosts, sudo) is edited in settings.json, which
 * the final message offers to open.
 */
import * as vscode from 'vscode';
import type { ServerKind } from '../../../core/hosts/model';
import { listSshConfigHosts } from '../../../core/hosts/sshConfig';
import { addHostToSettings, readHostsSetting, HOSTS_SETTING, type HostEntry, type HostsSettingsTarget } from '../../hosts/settings';
import { describeTarget, parseSshTarget } from '../../hosts/target';
import { getLog } from '../../log';
import type { CommandDefinition } from '../types';

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** "your user settings" / "the settings of the remote machine (ssh-remote+mx)". */
function whereText(target: HostsSettingsTarget): string {
  return target.level === 'remote'
    ? vscode.l10n.t('the Remote settings of this window ({0}), since mailops.hosts is a machine setting', target.remoteName)
    : vscode.l10n.t('your User settings');
}

export const addHost: CommandDefinition = {
  id: 'mailops.host.add',
  async run(services) {
    const total = 4;
    const title = (step: number) => vscode.l10n.t('Add Mail Host ({0}/{1})', step, total);
    const taken = new Set(readHostsSetting().hosts.map((h) => h.name));

    const name = await vscode.window.showInputBox({
      title: title(1),
      prompt: vscode.l10n.t('A short name for the host, used in the tree and by the CLI (mailops --host NAME)'),
      placeHolder: 'mail1',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const t = v.trim();
        if (!HOST_NAME.test(t)) return vscode.l10n.t('Letters, digits, ".", "_" and "-", starting with a letter or digit');
        if (taken.has(t)) return vscode.l10n.t('A host named "{0}" already exists', t);
        return undefined;
      },
    });
    if (name === undefined) return undefined;

    // Hosts of ~/.ssh/config are offered beside "SSH" and "Local": picking one skips the target step
    // (user, port, keys and jump hosts then come from ~/.ssh/config).
    let sshAliases: string[] = [];
    try {
      sshAliases = listSshConfigHosts();
    } catch (error) {
      getLog().warn(`Add host: could not read ~/.ssh/config: ${error instanceof Error ? error.message : String(error)}`);
    }
    const transport = await vscode.window.showQuickPick<Choice<'ssh' | 'local' | { alias: string }>>(
      [
        { label: '$(remote) SSH', description: vscode.l10n.t('run commands on the mail host over SSH'), value: 'ssh' },
        { label: '$(terminal) Local', description: vscode.l10n.t('the mail server runs on this machine'), value: 'local' },
        ...(sshAliases.length ? [{ label: vscode.l10n.t('Hosts of ~/.ssh/config'), kind: vscode.QuickPickItemKind.Separator, value: 'ssh' as const }] : []),
        ...sshAliases.map((alias) => ({ label: `$(remote) ${alias}`, description: vscode.l10n.t('SSH, as configured in ~/.ssh/config'), value: { alias } })),
      ],
      { title: title(2), placeHolder: vscode.l10n.t('How does Mailops reach {0}?', name.trim()), ignoreFocusOut: true },
    );
    if (!transport) return undefined;

    const entry: HostEntry = { name: name.trim(), transport: typeof transport.value === 'object' ? 'ssh' : transport.value };
    if (typeof transport.value === 'object') {
      entry.ssh = { host: transport.value.alias };
    } else if (transport.value === 'ssh') {
      const target = await vscode.window.showInputBox({
        title: title(3),
        prompt: vscode.l10n.t('SSH target as user@host:port (user and port are optional; ~/.ssh/config is read too)'),
        placeHolder: 'root@mail.example.org:22',
        ignoreFocusOut: true,
        validateInput: (v) => {
          const parsed = parseSshTarget(v);
          return 'error' in parsed ? parsed.error : undefined;
        },
      });
      if (target === undefined) return undefined;
      const parsed = parseSshTarget(target);
      if ('error' in parsed) return undefined;
      entry.ssh = parsed;
    }

    const server = await vscode.window.showQuickPick<Choice<ServerKind>>(
      [
        { label: vscode.l10n.t('Detect'), description: vscode.l10n.t('look for doveadm or the Cyrus tools on first connect'), value: 'detect' },
        { label: 'Dovecot', description: vscode.l10n.t('backups with doveadm backup, restores with doveadm import'), value: 'dovecot' },
        { label: 'Cyrus IMAP', description: vscode.l10n.t('unexpunge, delayed-delete undelete, file backups'), value: 'cyrus' },
      ],
      { title: title(4), placeHolder: vscode.l10n.t('Which IMAP server runs on {0}?', entry.name), ignoreFocusOut: true },
    );
    if (!server) return undefined;
    entry.server = server.value;
    entry.privilege = { mode: 'none' };

    const { host, target } = await addHostToSettings(entry);
    const where = whereText(target);
    getLog().info(`added host ${host.name} (${describeTarget(host)}, ${host.server}) to ${HOSTS_SETTING} in ${where}`);
    await services.hostsProvider.refresh();
    // Show it: the view opens with the new host selected (a long list may have it out of sight).
    const node = services.hostsProvider.hostNode(host.name);
    if (node) await services.hostsView.reveal(node, { select: true, focus: false, expand: false }).then(undefined, (e: unknown) => getLog().debug(`Add host: reveal ${host.name}: ${String(e)}`));
    const edit = vscode.l10n.t('Edit in Settings');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Added host {0} ({1}) to {2}.', host.name, describeTarget(host), where), edit)
      .then((a) => {
        if (a === edit) void vscode.commands.executeCommand(target.level === 'remote' ? 'workbench.action.openRemoteSettingsFile' : 'workbench.action.openSettingsJson');
      });
    return host;
  },
};
