/**
 * The `mailops` task type against the sandbox: a backup runs to completion in its pseudoterminal with exit
 * code 0, its output holds the run's step lines and the exit summary; terminating a long task stops the
 * remote process (checked with the transport afterwards).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailopsTestApi } from '../../../src/extension/api';
import { dovecotLayout } from '../../../src/core/backup/layout';
import type { TaskRun } from '../../../src/extension/tasks/terminal';
import { activateMailops, waitFor } from './helpers';
import { children, requireSandbox, useSandboxHosts } from './sandbox';

/** Resolves with the exit code VS Code reports for the execution. */
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

function lastRun(api: MailopsTestApi, action: string, account: string): TaskRun | undefined {
  return [...(api.tasks?.runs() ?? [])].reverse().find((r) => r.definition.action === action && r.definition.account === account);
}

describe('Mailops tasks on the sandbox', function () {
  this.timeout(180_000);
  let api: MailopsTestApi;
  let restore: () => Promise<void> = async () => undefined;

  before(async function () {
    const s = requireSandbox();
    api = await activateMailops();
    restore = await useSandboxHosts(s);
    await waitFor('the sandbox hosts in the tree', async () => (await children(api)).some((r) => r.label === 'sandbox-dovecot'));
    // carol's backups start afresh: the UI journey reseeds carol on the shared sandbox, which leaves any mirror
    // state of hers stale (new UIDVALIDITYs: doveadm backup exits 65), as the journey itself does before its backup.
    assert.ok(api.connections);
    const ctx = api.connections.get('sandbox-dovecot');
    const dir = dovecotLayout(ctx.config, 'carol').dir;
    assert.match(dir, /\/mailops\/dovecot\/carol$/);
    await ctx.transport.run(['rm', '-rf', '--', dir]);
  });

  after(async () => {
    await restore();
  });

  it('a backup task runs to completion with exit code 0; its output holds the run lines and the exit summary', async () => {
    const before = api.tasks?.runs().length ?? 0;
    const execution = (await vscode.commands.executeCommand('mailops.backup.run', { host: 'sandbox-dovecot', account: 'carol' })) as vscode.TaskExecution;
    assert.ok(execution, 'the command returns the task execution');
    assert.equal(execution.task.definition.type, 'mailops');
    assert.equal(execution.task.definition.action, 'backup');
    const code = await taskEnd(execution);
    assert.equal(code, 0);
    assert.ok((api.tasks?.runs().length ?? 0) > before);
    const run = lastRun(api, 'backup', 'carol');
    assert.ok(run);
    assert.equal(run.exitCode, 0);
    const out = run.transcript();
    assert.match(out, /^MAILOPS \S+ lock ok/m);
    assert.match(out, /^MAILOPS \S+ dsync start/m);
    assert.match(out, /^MAILOPS \S+ run result ok=yes exit=0/m);
    assert.match(out, /doveadm backup exited 0: in sync/);
    assert.match(out, /finished with exit code 0/);
  });

  it('terminating a long task stops the remote process (checked through the transport)', async () => {
    assert.ok(api.connections);
    const ctx = api.connections.get('sandbox-dovecot');
    const lock = dovecotLayout(ctx.config, 'bob').lock;
    // (Patterns like mailops-backu[p] keep pgrep from matching the shell that runs it.)
    // Another run holds bob's lock: the backup waits for it (up to 300 s) — a long task.
    const holder = ctx.transport.spawn(['sh', '-c', 'mkdir -p "$(dirname "$1")" && exec flock "$1" sleep 173', 'mailops-test-holder', lock]);
    holder.exit.catch(() => undefined);
    try {
      await waitFor('the holder to take the lock', async () => (await ctx.transport.run(['sh', '-c', 'pgrep -f "sleep 17[3]" >/dev/null'])).code === 0, 15_000);
      const execution = (await vscode.commands.executeCommand('mailops.backup.run', { host: 'sandbox-dovecot', account: 'bob' })) as vscode.TaskExecution;
      const run = await waitFor('the run waiting for the lock', () => {
        const r = lastRun(api, 'backup', 'bob');
        return r && /lock wait/.test(r.transcript()) && r;
      }, 60_000);
      const running = await ctx.transport.run(['sh', '-c', 'pgrep -f -- "$1" | wc -l', 'sh', 'mailops-backu[p]']);
      assert.ok(Number(running.stdout.trim()) >= 1, 'the backup script runs on the host while it waits');
      execution.terminate();
      await Promise.race([run.done, new Promise((r) => setTimeout(r, 20_000))]);
      assert.equal(run.cancelled, true);
      assert.equal(run.exitCode, 130);
      await waitFor(
        'no backup script left on the host',
        async () => (await ctx.transport.run(['sh', '-c', 'for p in $(pgrep -f -- "mailops-backu[p]"); do tr "\\0" " " </proc/$p/cmdline 2>/dev/null; echo; done | grep -F -- "$1" | grep -v mailops-test-holder | wc -l', 'sh', lock])).stdout.trim() === '0',
        20_000,
      );
    } finally {
      holder.cancel('test done');
    }
  });
});
