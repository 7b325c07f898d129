import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, activateMailops } from './helpers';

describe('Mailops in a real VS Code', () => {
  it('activates and registers its commands', async () => {
    const api = await activateMailops();
    assert.ok(api.hostsProvider);
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['mailops.host.add', 'mailops.host.refresh', 'mailops.log.show']) {
      assert.ok(commands.includes(id), `command ${id} is not registered`);
    }
  });

  it('contributes the Mailops activity bar container with the Hosts view', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { viewsContainers: { activitybar: { id: string }[] }; views: Record<string, { id: string }[]> };
    };
    assert.deepEqual(pkg.contributes.viewsContainers.activitybar.map((c) => c.id), ['mailops']);
    assert.ok(pkg.contributes.views.mailops?.some((v) => v.id === 'mailops.hosts'));
    // The workbench made a command to open the container and one to focus the view: both must run.
    await vscode.commands.executeCommand('workbench.view.extension.mailops');
    await vscode.commands.executeCommand('mailops.hosts.focus');
  });

  it('runs in the web workbench served by the VS Code server, with the runner environment', () => {
    assert.equal(vscode.env.uiKind, vscode.UIKind.Web);
    assert.equal(process.env.MAILOPS_VSCODE_RUN, '1', 'the server environment does not reach the extension host');
    assert.ok(Number(process.versions.node.split('.')[0]) >= 22, `extension host Node ${process.versions.node}`);
  });
});
