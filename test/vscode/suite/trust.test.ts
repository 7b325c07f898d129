/**
 * Issue 11 points 3 and 5 and the must-show "secret scan", inside a real VS Code against the sandbox:
 *   11.3  a workspace's .vscode/settings.json that sets mailops.hosts changes nothing in the tree (the
 *         operator is told, naming the file); an undelete task from tasks.json that would start by itself
 *         when the folder opens is refused and writes nothing.
 *   11.5  a remembered Cyrus admin password the server refuses is forgotten, and the operator is asked in an
 *         input box (13.4: not in a toast); secrets are kept under what they unlock.
 *   scan  during a real Cyrus undelete with the admin password and an SSH password login (user mailops), the
 *         passwords never reach the "Mailops" output channel, at trace level.
 * Only the Cyrus user bob is changed (reseeded first and last).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listDeleted } from '../../../src/core/cyrus/deleted';
import { adminEndpoint, adminSession, imapString } from '../../../src/core/cyrus/imapAdmin';
import type { MailopsTestApi } from '../../../src/extension/api';
import type { TaskRun } from '../../../src/extension/tasks/terminal';
import { EXTENSION_ID, activateMailops, label, rootItems, waitFor, withHostsSetting } from './helpers';
import { requireSandbox, sandboxHosts, type SandboxStatusLite } from './sandbox';

const CYRUS = 'sandbox-cyrus';
const PASSWORD_HOST = 'sandbox-mailops';
const USER = 'bob';
/** A leaf folder of bob (Cyrus refuses to delete a folder with children). */
const FOLDER = 'Work Stuff';
const TASK_LABEL = 'mailops-test: undelete on folder open';

/** What the suites need of the sandbox beyond SandboxStatusLite. */
interface TrustStatus extends SandboxStatusLite {
  ssh: SandboxStatusLite['ssh'] & { passwordUser: string; password: string };
  cyrus: SandboxStatusLite['cyrus'] & { adminPassword: string };
}

function sandbox(...args: string[]): Promise<void> {
  const root = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath;
  assert.ok(root);
  return new Promise((resolve, reject) =>
    execFile('bash', [path.join(root, 'scripts/sandbox'), '--host', requireSandbox().host.id, ...args], { cwd: root, timeout: 180_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`scripts/sandbox ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(),
    ),
  );
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

/** SHA256 fingerprint (OpenSSH form) of the sandbox's ed25519 host key, from its known_hosts file. */
function hostKeyFingerprint(s: SandboxStatusLite): string {
  const line = readFileSync(s.ssh.knownHosts, 'utf8').split('\n').find((l) => l.includes(`:${s.ssh.port} `) && l.includes('ssh-ed25519'));
  assert.ok(line, `no ed25519 key for port ${s.ssh.port} in ${s.ssh.knownHosts}`);
  const blob = Buffer.from(line.trim().split(/\s+/)[2]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

async function bobDeleted(api: MailopsTestApi): Promise<string[]> {
  assert.ok(api.connections);
  return (await listDeleted(api.connections.get(CYRUS), USER, { stats: false })).map((d) => d.originalFolder);
}

describe('11.3: a workspace cannot set the hosts', () => {
  it('11.3: a workspace .vscode/settings.json that sets mailops.hosts does not change the tree, and the file is reported as ignored', async () => {
    const api = await activateMailops();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the tests run in a workspace folder');
    const file = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    const before = readFileSync(file, 'utf8');
    const mine = [{ name: 'mine', transport: 'local', server: 'detect' }];
    // What a hostile repository ships: a host whose hook runs as root, and an IMAP address that collects passwords.
    const evil = [
      {
        name: 'evil',
        transport: 'ssh',
        ssh: { host: '192.0.2.66', user: 'root' },
        server: 'cyrus',
        cyrus: { imap: '192.0.2.66:143' },
        hooks: { preBackup: ['sh', '-c', 'touch /tmp/mailops-pwned'] },
      },
    ];
    await withHostsSetting(mine, async () => {
      await waitFor('the operator\'s host in the tree', async () => (await rootItems(api)).map((r) => label(r.item)).join() === 'mine');
      writeFileSync(file, `{\n  // shipped by the repository\n  "mailops.hosts": ${JSON.stringify(evil)},\n}\n`);
      try {
        // Either the guard reports the file, or (the hole) the tree shows the workspace's host.
        await waitFor('the workspace file noticed', async () => api.connections?.workspaceHosts?.ignoredFiles().includes(file) || (await rootItems(api)).some((r) => label(r.item) === 'evil'), 20_000);
        await new Promise((r) => setTimeout(r, 1000)); // let a configuration change (if any) reach the tree
        assert.deepEqual((await rootItems(api)).map((r) => label(r.item)), ['mine'], 'the tree shows only the operator\'s own hosts');
        assert.deepEqual(api.connections?.hosts().map((h) => h.name), ['mine']);
        assert.throws(() => api.connections?.config('evil'), /no host named "evil"/);
        assert.equal(vscode.workspace.getConfiguration('mailops').inspect('hosts')?.workspaceValue, undefined, 'VS Code itself ignores a machine setting in a workspace');
        assert.deepEqual(api.connections?.workspaceHosts.ignoredFiles(), [file], 'the guard names the file');
        const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { configuration: { properties: Record<string, { scope?: string }> } } };
        assert.equal(pkg.contributes.configuration.properties['mailops.hosts']?.scope, 'machine');
      } finally {
        writeFileSync(file, before);
      }
      await waitFor('the file no longer reported', () => api.connections?.workspaceHosts.ignoredFiles().length === 0, 20_000);
    });
  });
});

describe('11.3 / 11.5 / secret scan on the sandbox Cyrus host', function () {
  this.timeout(300_000);
  let api: MailopsTestApi;
  let status: TrustStatus;
  let previousHosts: unknown;
  let previousTasks: unknown;

  before(async () => {
    status = requireSandbox() as TrustStatus;
    api = await activateMailops();
    await sandbox('reseed', 'cyrus', USER);
    const config = vscode.workspace.getConfiguration('mailops');
    previousHosts = config.inspect<unknown>('hosts')?.globalValue;
    previousTasks = vscode.workspace.getConfiguration('tasks').inspect<unknown>('tasks')?.workspaceValue;
    // The sandbox's hosts, and the password user of its sshd as a host of its own.
    const passwordHost = {
      name: PASSWORD_HOST,
      transport: 'ssh',
      ssh: { host: status.ssh.host, port: status.ssh.port, user: status.ssh.passwordUser, identityFiles: [], knownHostsFiles: [status.ssh.knownHosts], agent: false, useSshConfig: false },
      server: 'dovecot',
    };
    await config.update('hosts', [...sandboxHosts(status), passwordHost], vscode.ConfigurationTarget.Global);
    await waitFor('the hosts', () => api.connections?.hosts().some((h) => h.name === PASSWORD_HOST));
    // bob deletes a folder himself (delayed delete keeps it as DELETED.*).
    assert.ok(api.connections);
    const ctx = api.connections.get(CYRUS);
    const owner = status.cyrus.users.find((u) => u.name === USER);
    assert.ok(owner);
    const [del] = await adminSession(ctx, { ...adminEndpoint(ctx), user: USER }, owner.password, [['DELETE', imapString(`INBOX${status.cyrus.separator}${FOLDER}`)]]);
    assert.equal(del?.status, 'OK', `DELETE as ${USER}: ${del?.text}`);
    assert.ok((await bobDeleted(api)).includes(FOLDER));
  });

  after(async () => {
    if (!api) return;
    await vscode.workspace.getConfiguration('tasks').update('tasks', previousTasks, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('mailops').update('hosts', previousHosts, vscode.ConfigurationTarget.Global);
    await api.connections?.prompter.forgetSecrets(CYRUS);
    await api.connections?.prompter.forgetSecrets(PASSWORD_HOST);
    await sandbox('reseed', 'cyrus', USER);
  });

  it('11.3: an undelete task from tasks.json with runOptions.runOn "folderOpen" is refused and writes nothing', async () => {
    assert.ok(api.connections);
    const ctx = api.connections.get(CYRUS);
    // Even with the right password at hand, nothing may happen unattended.
    await api.connections.prompter.rememberCyrusAdmin(ctx, adminEndpoint(ctx), status.cyrus.adminPassword);
    const entry = { label: TASK_LABEL, type: 'mailops', action: 'undelete', host: CYRUS, account: USER, name: FOLDER, runOptions: { runOn: 'folderOpen' } };
    await vscode.workspace.getConfiguration('tasks').update('tasks', [entry], vscode.ConfigurationTarget.Workspace);
    // VS Code lists a tasks.json entry that no provider offered only when resolveTask hands back its very
    // definition object: this is also what makes the entry runnable at all.
    const task = await waitFor('the tasks.json entry among the mailops tasks', async () => (await vscode.tasks.fetchTasks({ type: 'mailops' })).find((t) => t.name === TASK_LABEL), 30_000);
    assert.equal(task.definition.action, 'undelete');
    const execution = await vscode.tasks.executeTask(task);
    assert.equal(await taskEnd(execution), 1);
    const run = lastRun(api, (r) => r.definition.action === 'undelete');
    assert.ok(run);
    assert.match(run.transcript(), /refused: this undelete task from tasks\.json starts by itself when the folder opens/);
    assert.ok((await bobDeleted(api)).includes(FOLDER), 'the folder is still deleted');
    await vscode.workspace.getConfiguration('tasks').update('tasks', previousTasks, vscode.ConfigurationTarget.Workspace);
    await api.connections.prompter.forgetSecrets(CYRUS);
  });

  it('11.5/13.4: a remembered admin password the server refuses is forgotten, and the operator is asked in an input box (closing it changes nothing)', async () => {
    assert.ok(api.connections);
    const prompter = api.connections.prompter;
    const ctx = api.connections.get(CYRUS);
    await prompter.rememberCyrusAdmin(ctx, adminEndpoint(ctx), 'Wrong-Remembered-42');
    const stored = () => prompter.storedSecrets().filter((x) => x.what.startsWith('Cyrus admin password'));
    assert.equal(stored().length, 1);
    // Keyed by what it unlocks: the admin at the IMAP address on this SSH server and host key, not the host's name.
    assert.match(stored()[0]!.key, new RegExp(`cyrus-admin/cyrus@127\\.0\\.0\\.1:\\d+/ssh:127\\.0\\.0\\.1:${status.ssh.port}/SHA256`));
    assert.ok(!stored()[0]!.key.includes(CYRUS));

    const execution = (await vscode.commands.executeCommand('mailops.undelete.run', { host: CYRUS, account: USER, name: FOLDER, yes: true })) as vscode.TaskExecution;
    const ended = taskEnd(execution);
    await waitFor('the refused password forgotten', () => stored().length === 0, 60_000);
    // The input box now waits for a password (nothing in a notification): close it, as an operator who gives up.
    const code = await Promise.race([
      ended,
      (async () => {
        for (let i = 0; i < 100; i++) {
          await new Promise((r) => setTimeout(r, 300));
          await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        }
        return 'still running' as const;
      })(),
    ]);
    assert.equal(code, 1);
    const run = lastRun(api, (r) => r.definition.action === 'undelete');
    assert.ok(run);
    const out = run.transcript();
    assert.match(out, /it is asked in the input box at the top of the window/);
    assert.match(out, /no admin password given; nothing was changed/);
    assert.ok(!out.includes('MAILOPS_CYRUS_ADMIN_PASSWORD_FILE'), 'no CLI wording in the editor');
    assert.ok((await bobDeleted(api)).includes(FOLDER), 'the folder is still deleted');
  });

  it('secret scan: an undelete with the admin password and an SSH password login leave neither password in the Mailops output channel (trace level)', async () => {
    assert.ok(api.connections);
    await vscode.commands.executeCommand('_extensionTests.setLogLevel', 'trace');
    const logFile = vscode.Uri.joinPath(api.logUri, 'Mailops.log').fsPath;
    try {
      const prompter = api.connections.prompter;
      const ctx = api.connections.get(CYRUS);
      await prompter.rememberCyrusAdmin(ctx, adminEndpoint(ctx), status.cyrus.adminPassword);
      // The SSH password of mailops, remembered as the editor keeps a keyboard-interactive answer (PAM's prompt).
      await prompter.remember(
        { kind: 'ssh-answer', user: status.ssh.passwordUser, address: status.ssh.host, port: status.ssh.port, hostKey: hostKeyFingerprint(status), prompt: 'Password: ' },
        PASSWORD_HOST,
        status.ssh.password,
      );

      const execution = (await vscode.commands.executeCommand('mailops.undelete.run', { host: CYRUS, account: USER, name: FOLDER, yes: true })) as vscode.TaskExecution;
      assert.equal(await taskEnd(execution), 0);
      assert.ok(!(await bobDeleted(api)).includes(FOLDER), 'the folder is back');
      const who = await api.connections.get(PASSWORD_HOST).transport.run(['id', '-un']);
      assert.equal(who.stdout, `${status.ssh.passwordUser}\n`, 'the SSH password login worked');

      const log = await waitFor('the output channel written', () => {
        const t = readFileSync(logFile, 'utf8');
        return t.includes(`using the stored SSH keyboard-interactive answer of ${status.ssh.passwordUser}`) && t;
      });
      assert.match(log, /\[debug\]/, 'the channel is at debug level or finer');
      assert.match(log, /using the stored Cyrus admin password of cyrus/);
      assert.ok(!log.includes(status.cyrus.adminPassword), 'the admin password is in the output channel');
      assert.ok(!log.includes(status.ssh.password), 'the SSH password is in the output channel');
      const run = lastRun(api, (r) => r.definition.action === 'undelete');
      assert.ok(run && !run.transcript().includes(status.cyrus.adminPassword), 'the admin password is in the task terminal');
    } finally {
      await vscode.commands.executeCommand('_extensionTests.setLogLevel', 'info');
    }
  });
});
