import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateMailops, label, rootItems, waitFor, withHostsSetting } from './helpers';

/** A Markdown tooltip as a person reads it: entities and escapes undone. */
function text(tooltip: vscode.TreeItem['tooltip']): string {
  const md = tooltip instanceof vscode.MarkdownString ? tooltip.value : String(tooltip ?? '');
  return md.replace(/&nbsp;/g, ' ').replace(/`/g, '').replace(/\\([\\*_{}[\]()#+\-.!|])/g, '$1');
}

describe('Hosts view', () => {
  it('with no hosts: mailops.hasHosts is false (the "Add host" welcome shows) and the tree is empty', async () => {
    const api = await activateMailops();
    await withHostsSetting([], async () => {
      await waitFor('mailops.hasHosts = false', () => api.contextKeys()['mailops.hasHosts'] === false);
      assert.deepEqual(await rootItems(api), []);
    });
  });

  it('with a host in the settings: the provider returns it as a server item with its target', async () => {
    const api = await activateMailops();
    const hosts = [
      { name: 'mail1', transport: 'ssh', ssh: { host: 'mail.example.org', port: 2222, user: 'root' }, server: 'dovecot' },
      { name: 'here', transport: 'local', server: 'cyrus', privilege: { mode: 'sudo-user', user: 'cyrus' } },
    ];
    await withHostsSetting(hosts, async () => {
      const items = await waitFor('two host items', async () => {
        const r = await rootItems(api);
        return r.length === 2 && r;
      });
      assert.equal(api.contextKeys()['mailops.hasHosts'], true);
      const [first, second] = items;
      assert.ok(first && second);
      // (no instanceof: the suites are a separate bundle with their own copy of the classes)
      assert.equal(first.node.kind, 'host');
      assert.equal(label(first.item), 'mail1');
      assert.equal(first.item.description, 'root@mail.example.org:2222');
      assert.match(String(first.item.contextValue), /^mailops\.host\.dovecot\.(idle|closed)$/);
      assert.equal((first.item.iconPath as vscode.ThemeIcon).id, 'server');
      assert.ok(first.item.tooltip instanceof vscode.MarkdownString);
      assert.match(text(first.item.tooltip), /Server: Dovecot/);
      assert.match(text(first.item.tooltip), /Target: root@mail\.example\.org:2222/);
      assert.equal(label(second.item), 'here');
      assert.equal(second.item.description, 'local');
      assert.match(text(second.item.tooltip), /Privilege: sudo -u cyrus/);
    });
    await waitFor('hosts gone after restoring the setting', async () => (await rootItems(api)).length === 0);
  });

  it('with an invalid entry: one error item naming the bad field, and no welcome', async () => {
    const api = await activateMailops();
    await withHostsSetting([{ name: 'bad', transport: 'ssh' }], async () => {
      const items = await waitFor('the error item', async () => {
        const r = await rootItems(api);
        return r.length === 1 && r[0]?.item.contextValue === 'mailops.message.invalid' && r;
      });
      assert.match(String(items[0]?.item.tooltip), /host "bad"\.ssh: missing/);
      assert.equal(api.contextKeys()['mailops.hasHosts'], true);
    });
  });

  it('the refresh command re-reads the setting', async () => {
    const api = await activateMailops();
    await withHostsSetting([{ name: 'r1', transport: 'local', server: 'detect' }], async () => {
      await vscode.commands.executeCommand('mailops.host.refresh');
      assert.deepEqual((await rootItems(api)).map((r) => label(r.item)), ['r1']);
    });
  });
});
