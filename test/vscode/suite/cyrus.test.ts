/**
 * The Cyrus host of the sandbox in the editor: a backup task (host-wide file backup) runs to exit 0 and the
 * host's "Backups" item then lists the archive chain; a tasks.json entry {"type": "mailops", "action":
 * "backup", "host": "sandbox-cyrus", "kind": "full"} resolves and runs to exit 0; "Restore a Folder from This
 * Backup…" on an archive point brings a deleted folder of bob back into a new folder (checked with the Cyrus
 * engine's listAccounts). Only the Cyrus user bob is touched (reseeded first); backups go to a private
 * backupRoot on the host, removed afterwards.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { addStats, listAccounts } from '../../../src/core/cyrus/mailboxes';
import { adminEndpoint, adminSession, imapString } from '../../../src/core/cyrus/imapAdmin';
import type { HostContext } from '../../../src/core/hosts/context';
import type { MailopsTestApi } from '../../../src/extension/api';
import type { TaskRun } from '../../../src/extension/tasks/terminal';
import type { CyrusArchivePointNode } from '../../../src/extension/tree/cyrusBackups/cyrusArchiveNode';
import type { MailopsNode } from '../../../src/extension/tree/node';
import { EXTENSION_ID, activateMailops, waitFor } from './helpers';
import { child, children, sandboxHosts, requireSandbox, type SandboxStatusLite } from './sandbox';

const HOST = 'sandbox-cyrus';
const USER = 'bob';
/** A folder of bob as seeded (2 messages, a name with a space). */
const FOLDER = 'Work Stuff';
const TASK_LABEL = 'mailops-test: cyrus full backup';

/** (The suites are bundled apart from the extension: its classes are other objects here, so no instanceof.) */
function isArchivePoint(node: MailopsNode | undefined): node is CyrusArchivePointNode {
  return node?.kind === 'cyrusArchive';
}

function taskEnd(execution: vscode.TaskExecution): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution === execution || e.execution.task.name === execution.task.name) {
        sub.dispose();
        resolve(e.exitCode);
      }
    });
  });
}

function lastRun(api: MailopsTestApi, test: (r: TaskRun) => boolean): TaskRun | undefined {
  return [...(api.tasks?.runs() ?? [])].reverse().find(test);
}

/** `bash scripts/sandbox ARGS` from the checkout the extension was loaded from. */
function sandbox(...args: string[]): Promise<void> {
  const root = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath;
  assert.ok(root);
  return new Promise((resolve, reject) =>
    execFile('bash', [path.join(root, 'scripts/sandbox'), '--host', requireSandbox().host.id, ...args], { cwd: root, timeout: 180_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`scripts/sandbox ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(),
    ),
  );
}

async function bobFolders(ctx: HostContext): Promise<Map<string, number | null>> {
  const accounts = await listAccounts(ctx, { account: USER, stats: false });
  const boxes = accounts.find((a) => a.account === USER)?.mailboxes ?? [];
  await addStats(ctx, boxes);
  return new Map(boxes.map((b) => [b.folder, b.messages]));
}

describe('Mailops on the sandbox Cyrus host: backups, tasks.json, restore from a backup', function () {
  this.timeout(300_000);
  let api: MailopsTestApi;
  let status: SandboxStatusLite;
  let backupRoot = '';
  let previousHosts: unknown;
  let previousTasks: unknown;
  let ctx: HostContext;

  before(async function () {
    const s = requireSandbox();
    status = s;
    api = await activateMailops();
    await sandbox('reseed', 'cyrus', USER);
    const hosts = sandboxHosts(status) as Array<{ name: string; cyrus?: Record<string, string> }>;
    const config = vscode.workspace.getConfiguration('mailops');
    previousHosts = config.inspect<unknown>('hosts')?.globalValue;
    previousTasks = vscode.workspace.getConfiguration('tasks').inspect<unknown>('tasks')?.workspaceValue;
    await config.update('hosts', hosts, vscode.ConfigurationTarget.Global);
    assert.ok(api.connections);
    // A private backup root on the host, so that these backups meet no other suite's.
    const made = await api.connections.get(HOST).transport.run(['sh', '-c', 'd=$(mktemp -d /var/tmp/mailops-vscode-cyrus-XXXXXX) && chmod 755 "$d" && echo "$d"']);
    backupRoot = made.stdout.trim();
    assert.match(backupRoot, /^\/var\/tmp\/mailops-vscode-cyrus-/);
    for (const h of hosts) if (h.name === HOST) h.cyrus = { ...h.cyrus, backupRoot };
    await config.update('hosts', hosts, vscode.ConfigurationTarget.Global);
    await waitFor('the Cyrus host with its private backup root', () => api.connections?.config(HOST).cyrus?.backupRoot === backupRoot);
    ctx = api.connections.get(HOST);
  });

  after(async () => {
    if (!api) return;
    await vscode.workspace.getConfiguration('tasks').update('tasks', previousTasks, vscode.ConfigurationTarget.Workspace);
    if (backupRoot && api.connections) await api.connections.get(HOST).transport.run(['rm', '-rf', '--', backupRoot]);
    await vscode.workspace.getConfiguration('mailops').update('hosts', previousHosts, vscode.ConfigurationTarget.Global);
  });

  it('a backup task on the Cyrus host runs to exit 0; its "Backups" item then lists the chain with its full archive', async () => {
    const hostRow = await waitFor('the Cyrus host in the tree', async () => (await children(api)).find((r) => r.label === HOST));
    const empty = await children(api, (await child(api, hostRow.node, 'Backups')).node);
    assert.deepEqual(empty.map((r) => r.node.kind), ['message'], 'no backups yet in the fresh backup root');

    const execution = (await vscode.commands.executeCommand('mailops.backup.run', { host: HOST, kind: 'full' })) as vscode.TaskExecution;
    assert.ok(execution, 'the command returns the task execution');
    assert.equal(execution.task.definition.action, 'backup');
    assert.equal(execution.task.definition.account, undefined, 'a Cyrus backup is host-wide');
    assert.equal(await taskEnd(execution), 0);
    const run = lastRun(api, (r) => r.definition.host === HOST && r.definition.action === 'backup');
    assert.ok(run);
    const out = run.transcript();
    assert.match(out, /^MAILOPS \S+ dump ok/m);
    assert.match(out, /^MAILOPS \S+ archive ok/m);
    assert.match(out, /^MAILOPS \S+ verify ok/m);
    assert.match(out, /OK \(exit 0\): full archive \S+-full \(\d+ bytes, verified\); \d+ mailboxes in the mailboxes\.db dump/);
    assert.match(out, /finished with exit code 0/);

    const backups = await child(api, (await children(api)).find((r) => r.label === HOST)?.node, 'Backups');
    assert.equal(backups.item.contextValue, 'mailops.backups.cyrus');
    const chains = await children(api, backups.node);
    assert.equal(chains.length, 1, `one chain: ${chains.map((c) => c.label).join(' | ')}`);
    const chain = chains[0]!;
    assert.equal(chain.node.kind, 'cyrusChain');
    assert.match(chain.label, /^Chain from \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    assert.match(String(chain.item.description), /^1 points · \S+ \S+ · last /);
    const points = await children(api, chain.node);
    assert.equal(points.length, 1);
    const point = points[0]!;
    assert.ok(isArchivePoint(point.node));
    const pointNode = point.node;
    assert.match(point.label, /^full \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    assert.match(String(point.item.description), /\d+ mailboxes · verified$/);
    assert.equal(point.item.contextValue, 'mailops.cyrusArchive.full.verified');
    const tip = point.item.tooltip instanceof vscode.MarkdownString ? point.item.tooltip.value : String(point.item.tooltip);
    assert.ok(tip.includes(`${backupRoot}/cyrus/archives/${pointNode.point.id}.mailboxes.txt`), `the tooltip names the mailboxes.db dump:\n${tip}`);
  });

  it('a tasks.json entry {"type": "mailops", "action": "backup", "host": "sandbox-cyrus", "kind": "full"} resolves and runs to exit 0', async () => {
    const definition = { type: 'mailops', action: 'backup', host: HOST, kind: 'full' };
    // The provider resolves the definition as VS Code hands it over from tasks.json.
    const resolved = api.tasks?.resolveTask(new vscode.Task(definition, vscode.TaskScope.Workspace, TASK_LABEL, 'mailops'));
    assert.ok(resolved, 'resolveTask accepts a host-wide backup without "account"');
    assert.ok(resolved.execution instanceof vscode.CustomExecution);
    // provideTasks offers the Cyrus host's backups (and nothing per account).
    const provided = api.tasks?.provideTasks() ?? [];
    assert.deepEqual(provided.filter((t) => t.definition.host === HOST).map((t) => t.definition.kind).sort(), ['full', 'incr']);
    assert.ok(provided.every((t) => t.definition.account === undefined));

    await vscode.workspace.getConfiguration('tasks').update('tasks', [{ label: TASK_LABEL, ...definition }], vscode.ConfigurationTarget.Workspace);
    const task = await waitFor(
      'the tasks.json entry among the mailops tasks',
      async () => (await vscode.tasks.fetchTasks({ type: 'mailops' })).find((t) => t.name === TASK_LABEL),
      30_000,
    );
    assert.equal(task.definition.kind, 'full');
    const execution = await vscode.tasks.executeTask(task);
    assert.equal(await taskEnd(execution), 0);
    const run = lastRun(api, (r) => r.definition.host === HOST && r.definition.action === 'backup');
    assert.ok(run);
    assert.match(run.transcript(), /OK \(exit 0\): full archive/);
    const backups = await child(api, (await children(api)).find((r) => r.label === HOST)?.node, 'Backups');
    assert.equal((await children(api, backups.node)).length, 2, 'a second full archive starts a second chain');
  });

  it('"Restore a Folder from This Backup…" brings a deleted folder back into a new folder', async () => {
    const seeded = (status.cyrus.users.find((u) => u.name === USER)?.mailboxes ?? {})[`INBOX${status.cyrus.separator}${FOLDER}`];
    assert.ok(seeded && seeded > 0, 'bob has the folder seeded');
    const before = await bobFolders(ctx);
    assert.equal(before.get(FOLDER), seeded);
    const target = `Restored${status.cyrus.separator}${FOLDER}`;
    assert.equal(before.has(target), false);

    const backups = await child(api, (await children(api)).find((r) => r.label === HOST)?.node, 'Backups');
    const newest = (await children(api, backups.node))[0];
    assert.ok(newest);
    const point = (await children(api, newest.node))[0]?.node;
    assert.ok(isArchivePoint(point));

    // The folder is deleted live by its owner (over IMAP), after the backup.
    const adminPassword = (status.cyrus as unknown as { adminPassword: string }).adminPassword;
    const ep = adminEndpoint(ctx);
    const owner = status.cyrus.users.find((u) => u.name === USER);
    assert.ok(owner);
    const ownerName = `INBOX${status.cyrus.separator}${FOLDER}`;
    const [del] = await adminSession(ctx, { ...ep, user: USER }, owner.password, [['DELETE', imapString(ownerName)]]);
    assert.equal(del?.status, 'OK', `DELETE ${ownerName} as ${USER}: ${del?.text}`);
    assert.equal((await bobFolders(ctx)).has(FOLDER), false);

    // The task asks for the admin password: it comes from secret storage (as after "Remember").
    assert.ok(api.connections);
    await api.connections.prompter.rememberCyrusAdmin(ctx, ep, adminPassword);
    const execution = (await vscode.commands.executeCommand('mailops.cyrus.restoreFolder', { ...point.archiveArgs, account: USER, folder: FOLDER, yes: true })) as vscode.TaskExecution;
    assert.ok(execution, 'the command returns the task execution');
    assert.equal(execution.task.definition.action, 'restore');
    assert.equal(execution.task.definition.source, `archive:${point.point.id}`);
    assert.equal(await taskEnd(execution), 0);
    const run = lastRun(api, (r) => r.definition.host === HOST && r.definition.action === 'restore');
    assert.ok(run);
    assert.match(run.transcript(), new RegExp(`OK \\(exit 0\\): ${seeded} message\\(s\\) of ${FOLDER} restored into the new folder ${target.replace('.', '\\.')}`));
    assert.ok(!run.transcript().includes(adminPassword), 'the admin password never reaches the terminal');

    const after = await bobFolders(ctx);
    assert.equal(after.get(target), seeded, `bob's folders after the restore: ${[...after].map(([f, n]) => `${f}=${n}`).join(', ')}`);
  });
});
