/**
 * The Hosts tree against the sandbox mail host (scripts/sandbox): hosts with their connection state, then
 * accounts, folders with the seeded counts, messages on demand, backups, expunged mail, deleted folders, and
 * an error item (with the extension still working) for a host that cannot be reached.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailopsTestApi } from '../../../src/extension/api';
import { decodeMutf7 } from '../../../src/core/cyrus/utf7';
import { ImapClient, quoteImap } from '../../support/imap';
import { activateMailops, waitFor, withHostsSetting } from './helpers';
import { child, children, requireSandbox, useSandboxHosts, type SandboxStatusLite } from './sandbox';

const HOSTILE = 'o’neil $(touch /tmp/mailops-pwned);`id` ü';

/**
 * The sandbox is shared with other suites that expunge, restore and delete: the counts the tree must show are
 * read independently at the time of the check (doveadm through the transport for Dovecot, IMAP as the user
 * for Cyrus), not taken from the seed.
 */
async function dovecotCounts(api: MailopsTestApi, account: string): Promise<Map<string, number>> {
  const ctx = api.connections!.get('sandbox-dovecot');
  const conf = ctx.config.dovecot?.config;
  const r = await ctx.transport.run(['doveadm', ...(conf ? ['-c', conf] : []), '-f', 'json', 'mailbox', 'status', '-u', account, 'messages', '*']);
  assert.equal(r.code, 0, r.stderr);
  return new Map((JSON.parse(r.stdout) as Array<{ mailbox: string; messages: string }>).map((o) => [o.mailbox, Number(o.messages)]));
}

async function cyrusCounts(user: string, password: string, sep: string): Promise<Map<string, number>> {
  const [host, port] = requireSandbox().cyrus.imap.split(':');
  const imap = await ImapClient.connect({ host: host!, port: Number(port), timeoutMs: 15_000 });
  try {
    await imap.command(['LOGIN', quoteImap(user), quoteImap(password)]);
    const out = new Map<string, number>();
    for (const box of await imap.list('*')) {
      if (/\\Noselect/i.test(box.flags)) continue;
      const { exists } = await imap.select(box.name);
      out.set(box.name === 'INBOX' ? 'INBOX' : decodeMutf7(box.name.replace(`INBOX${sep}`, '')), exists);
    }
    return out;
  } finally {
    await imap.logout().catch(() => undefined);
  }
}

describe('Hosts tree on the sandbox', function () {
  this.timeout(120_000);
  let api: MailopsTestApi;
  let status: SandboxStatusLite;
  let restore: () => Promise<void> = async () => undefined;

  before(async function () {
    const s = requireSandbox();
    status = s;
    api = await activateMailops();
    restore = await useSandboxHosts(status);
    await waitFor('the sandbox hosts in the tree', async () => (await children(api)).some((r) => r.label === 'sandbox-dovecot'));
  });

  after(async () => {
    await restore();
  });

  it('Dovecot: host (connected after listing) → accounts alice, bob, carol and the hostile one', async () => {
    const host = await child(api, undefined, 'sandbox-dovecot');
    assert.equal(host.item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(host.item.contextValue), /^mailops\.host\.dovecot\./);
    const rows = await children(api, host.node);
    const accounts = rows.filter((r) => r.node.kind === 'account').map((r) => r.label);
    assert.deepEqual(
      [...accounts].sort(),
      status.dovecot.accounts.map((a) => a.name).sort(),
    );
    assert.ok(accounts.includes(HOSTILE), 'the hostile account is listed byte for byte');
    assert.equal(rows[0]?.node.kind, 'logs');
    const again = await child(api, undefined, 'sandbox-dovecot');
    assert.match(String(again.item.description), /connected/);
    assert.match(String(again.item.contextValue), /^mailops\.host\.dovecot\.connected/);
    assert.equal((again.item.iconPath as vscode.ThemeIcon).id, 'vm-running');
  });

  it('Dovecot: folders of every account with their message counts (the lazy_expunge mailbox under "Expunged")', async () => {
    const host = await child(api, undefined, 'sandbox-dovecot');
    for (const a of status.dovecot.accounts) {
      const account = await child(api, host.node, a.name);
      assert.equal(account.item.contextValue, 'mailops.account.dovecot');
      api.hostsProvider.refreshNode(account.node);
      const rows = await children(api, account.node);
      const folders = rows.filter((r) => r.node.kind === 'folder');
      const live = await dovecotCounts(api, a.name);
      live.delete(status.dovecot.lazyExpunge);
      assert.deepEqual(folders.map((f) => f.label).sort(), [...live.keys()].sort(), `folders of ${a.name}`);
      for (const seeded of Object.keys(a.mailboxes)) if (seeded !== status.dovecot.lazyExpunge) assert.ok(live.has(seeded), `seeded folder ${seeded} of ${a.name} still exists`);
      for (const [name, count] of live) {
        const f = folders.find((r) => r.label === name);
        assert.match(String(f?.item.description), new RegExp(`^${count} messages`), `${a.name}/${name}`);
        assert.match((f?.item.tooltip as vscode.MarkdownString).value, /Size/);
      }
      assert.ok(rows.some((r) => r.node.kind === 'backups'), 'a Backups item');
      const expunged = rows.find((r) => r.node.kind === 'expunged');
      assert.equal(expunged?.item.contextValue, 'mailops.expunged.dovecot');
    }
  });

  it('Dovecot: a folder lists its messages on demand, and a message opens read-only with its headers', async () => {
    const host = await child(api, undefined, 'sandbox-dovecot');
    const alice = await child(api, host.node, 'alice');
    const inbox = await child(api, alice.node, 'INBOX');
    const messages = await child(api, inbox.node, 'Messages');
    const mails = (await children(api, messages.node)).filter((r) => r.node.kind === 'mail');
    assert.equal(mails.length, (await dovecotCounts(api, 'alice')).get('INBOX'));
    const first = mails[0];
    assert.ok(first?.item.command, 'a message item opens on click');
    const editor = (await vscode.commands.executeCommand(first.item.command.command, ...(first.item.command.arguments ?? []))) as vscode.TextEditor;
    const text = editor.document.getText();
    assert.match(text, /^Subject: /m);
    assert.match(text, /^From: /m);
    assert.equal(editor.document.uri.scheme, 'mailops-message');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('the filter command narrows a host to the accounts containing a text, and clears again', async () => {
    const host = await child(api, undefined, 'sandbox-dovecot');
    await vscode.commands.executeCommand('mailops.host.filter', { host: 'sandbox-dovecot', filter: 'CAR' });
    const filtered = (await children(api, host.node)).filter((r) => r.node.kind === 'account').map((r) => r.label);
    assert.deepEqual(filtered, ['carol']);
    assert.match(String((await child(api, undefined, 'sandbox-dovecot')).item.description), /filter: CAR/);
    await vscode.commands.executeCommand('mailops.host.filter', { host: 'sandbox-dovecot', filter: '' });
    assert.equal((await children(api, host.node)).filter((r) => r.node.kind === 'account').length, status.dovecot.accounts.length);
  });

  /**
   * 13.1, 13.2: a context menu or an inline action passes the tree node itself. Its own properties are not
   * the command's options: "Run Backup and Archive…" on an account node read the node's kind ("account") as
   * the backup kind and ended at once with exit 1; "Filter Accounts…" on the host node read the host's
   * current filter as the new one and asked nothing. Both must ask (the level; the text): the command is
   * still waiting after a second, and closing the quick input ends it without doing anything.
   */
  it('13.1/13.2: commands given the tree node (context menu, inline action) ask for what the node does not say', async () => {
    const host = await child(api, undefined, 'sandbox-dovecot');
    const account = await child(api, host.node, 'carol');
    const asks = async (command: string, node: unknown): Promise<unknown> => {
      let settled = false;
      const p = Promise.resolve(vscode.commands.executeCommand(command, node)).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(settled, false, `${command} with the node ended without asking (it read the node's own properties as its options)`);
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      return p;
    };
    const tasksBefore = vscode.tasks.taskExecutions.length;
    assert.equal(await asks('mailops.archive.run', account.node), undefined, 'Escape on the level pick starts nothing');
    assert.equal(vscode.tasks.taskExecutions.length, tasksBefore, 'no task was started');
    assert.equal(await asks('mailops.host.filter', host.node), undefined, 'Escape on the filter box changes nothing');
    assert.doesNotMatch(String((await child(api, undefined, 'sandbox-dovecot')).item.description), /filter:/);
  });

  it('Cyrus: host → Deleted folders and users alice, bob → folders with the seeded counts, and Expunged', async () => {
    const host = await child(api, undefined, 'sandbox-cyrus');
    assert.match(String(host.item.contextValue), /^mailops\.host\.cyrus\./);
    const rows = await children(api, host.node);
    assert.ok(rows.some((r) => r.node.kind === 'deletedFolders'), 'a Deleted folders item');
    const users = rows.filter((r) => r.node.kind === 'account').map((r) => r.label);
    for (const u of status.cyrus.users) assert.ok(users.includes(u.name), `user ${u.name} listed (have ${users.join(', ')})`);
    for (const u of status.cyrus.users) {
      const account = await child(api, host.node, u.name);
      assert.equal(account.item.contextValue, 'mailops.account.cyrus');
      api.hostsProvider.refreshNode(account.node);
      const folders = (await children(api, account.node)).filter((r) => r.node.kind === 'folder');
      const expected = [...(await cyrusCounts(u.name, u.password, status.cyrus.separator))];
      assert.deepEqual(folders.map((f) => f.label).sort(), expected.map(([n]) => n).sort(), `folders of ${u.name}`);
      for (const [name, count] of expected) {
        const f = folders.find((r) => r.label === name);
        assert.match(String(f?.item.description), new RegExp(`^${count} messages`), `${u.name}/${name}`);
        assert.match((f?.item.tooltip as vscode.MarkdownString).value, /Size/);
      }
      const expunged = await child(api, account.node, 'Expunged');
      assert.equal(expunged.item.contextValue, 'mailops.expunged.cyrus');
      const under = await children(api, expunged.node);
      assert.ok(under.length > 0 && under.every((r) => r.node.kind === 'expungedFolder' || r.node.kind === 'message'), 'Expunged lists folders (or says there are none)');
    }
  });

  it('an unreachable host shows one error item with host, meaning and next step; the others keep working', async () => {
    const broken = { name: 'nowhere', transport: 'ssh', ssh: { host: '127.0.0.1', port: 1, user: 'root', agent: false, useSshConfig: false, connectTimeout: 3 }, server: 'dovecot' };
    const hosts = vscode.workspace.getConfiguration('mailops').get<unknown[]>('hosts', []);
    await withHostsSetting([...hosts, broken], async () => {
      const host = await waitFor('the broken host', async () => (await children(api)).find((r) => r.label === 'nowhere'));
      const rows = await children(api, host.node);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.node.kind, 'error');
      assert.equal(rows[0]?.item.contextValue, 'mailops.error');
      const tip = (rows[0]?.item.tooltip as vscode.MarkdownString).value;
      assert.match(tip, /nowhere/);
      assert.match(tip, /Next/);
      assert.equal(rows[0]?.item.command?.command, 'mailops.tree.refreshNode');
      const after = await waitFor('the failed state', async () => {
        const r = (await children(api)).find((x) => x.label === 'nowhere');
        return r && /failed/.test(String(r.item.description)) && r;
      });
      assert.match(String(after.item.contextValue), /^mailops\.host\.dovecot\.failed/);
      // the extension still works: the sandbox host lists its accounts
      const ok = await child(api, undefined, 'sandbox-dovecot');
      assert.ok((await children(api, ok.node)).some((r) => r.label === 'alice'));
    });
  });
});
