/**
 * The `mailops` task type: a TaskProvider that resolves tasks.json entries, and createTask() for the
 * commands. A task remembers where it came from (actions.ts TaskOrigin): tasks.json entries are text a
 * repository can ship, so their restores, unexpunges and undeletes ask first, and are refused when they
 * would start by themselves (runOptions.runOn: folderOpen). Every task runs in a MailopsTaskTerminal (CustomExecution) with the problem matcher of its
 * server: $mailops-dsync (Dovecot) or $mailops-cyrus (Cyrus). runInTask() runs work that cannot be written as
 * a definition (the restore preview's chosen messages) in the same kind of terminal and hands its result back.
 */
import * as vscode from 'vscode';
import type { Connections } from '../hosts/connections';
import { getLog } from '../log';
import { actionRunner, type TaskOrigin } from './actions';
import { TASK_TYPE, parseDefinition, taskName, type MailopsTaskDefinition } from './definition';
import { MailopsTaskTerminal, type ActionOutcome, type ActionRunner, type TaskOutput, type TaskRun } from './terminal';

/** Work run in a task terminal by runInTask: its outcome ends the task, its value goes back to the caller. */
export type TaskWork<T> = (out: TaskOutput, signal: AbortSignal) => Promise<{ outcome: ActionOutcome; value: T }>;

/**
 * Whether a tasks.json entry for this task starts by itself when the folder opens (`"runOptions": {"runOn":
 * "folderOpen"}`). The Task object VS Code hands to resolveTask does not carry runOn (the API's RunOptions
 * has reRun only), so the entries are read from the tasks configuration: user, workspace and every folder.
 * An entry matches by label (when it has one) and by its definition's fields.
 */
function runsOnFolderOpen(task: vscode.Task, def: MailopsTaskDefinition): boolean {
  const levels: unknown[] = [];
  const scopes: Array<vscode.WorkspaceFolder | undefined> = [undefined, ...(vscode.workspace.workspaceFolders ?? [])];
  for (const scope of scopes) {
    const i = vscode.workspace.getConfiguration('tasks', scope?.uri).inspect<unknown>('tasks');
    levels.push(i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue);
  }
  const wanted = parseDefinition(def);
  return levels.some(
    (list) =>
      Array.isArray(list) &&
      list.some((entry: unknown) => {
        if (typeof entry !== 'object' || entry === null) return false;
        const e = entry as Record<string, unknown>;
        if (e.type !== TASK_TYPE) return false;
        const runOn = (e.runOptions as { runOn?: unknown } | undefined)?.runOn;
        if (runOn !== 'folderOpen') return false;
        if (typeof e.label === 'string' && e.label !== task.name) return false;
        const parsed = parseDefinition(e);
        return !('error' in parsed) && !('error' in wanted) && JSON.stringify(parsed) === JSON.stringify(wanted);
      }),
  );
}

/** The Cyrus backup kinds provideTasks offers per Cyrus host. */
const CYRUS_PROVIDED_KINDS = ['full', 'incr'] as const;

const KEEP_RUNS = 50;

export class MailopsTasks implements vscode.TaskProvider, vscode.Disposable {
  private readonly recent: TaskRun[] = [];
  private readonly started = new vscode.EventEmitter<TaskRun>();
  /** Fires when a task's terminal opens (its run starts). */
  readonly onDidStartRun = this.started.event;
  private readonly registration: vscode.Disposable;

  constructor(private readonly connections: Connections) {
    this.registration = vscode.tasks.registerTaskProvider(TASK_TYPE, this);
  }

  /**
   * What "Run Task" lists: for each configured Cyrus host, its backups (full and incr: a Cyrus backup is
   * host-wide). Nothing per account and nothing for Dovecot hosts: a Dovecot backup is per account, and a host
   * with 25,000 accounts would fill the list with 25,000 × kinds entries (and need the account list from the
   * host just to open it). Per-account tasks are started from the Hosts view or written in tasks.json
   * ({"type": "mailops", "action": "backup", "host": "…", "account": "…"}), which resolveTask runs.
   */
  provideTasks(): vscode.Task[] {
    return this.connections
      .hosts()
      .filter((h) => h.server === 'cyrus')
      .flatMap((h) => CYRUS_PROVIDED_KINDS.map((kind) => this.createTask({ type: TASK_TYPE, action: 'backup', host: h.name, kind }, undefined, 'tasks.json')));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = parseDefinition(task.definition);
    if ('error' in def) {
      getLog().warn(`tasks.json: a mailops task was ignored: ${def.error}`);
      return undefined;
    }
    const unattended = runsOnFolderOpen(task, def);
    if (unattended) getLog().warn(`tasks.json: the mailops task "${task.name}" runs when the folder opens; a restore, unexpunge or undelete from it is refused`);
    const resolved = this.createTask(def, task.scope ?? undefined, unattended ? 'unattended' : 'tasks.json');
    // VS Code drops a resolved task whose definition is not the very object it handed over ("The resolved
    // task definition must be the same object as the original task definition"): a tasks.json restore,
    // unexpunge or undelete (not among provideTasks' entries) would never appear. The parsed copy drives
    // the run; the original object only identifies the task.
    resolved.definition = task.definition;
    return resolved;
  }

  /**
   * A task for a definition (its scope defaults to the workspace). `origin` says who asked for it: a command
   * (default: it confirmed already), a tasks.json entry, or one that runs unattended.
   */
  createTask(
    def: MailopsTaskDefinition,
    scope: vscode.TaskScope | vscode.WorkspaceFolder = vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Workspace,
    origin: TaskOrigin = 'command',
    runner: ActionRunner = actionRunner(this.connections, origin),
  ): vscode.Task {
    const server = this.connections.hosts().find((h) => h.name === def.host)?.server;
    const matcher = server === 'cyrus' ? '$mailops-cyrus' : '$mailops-dsync';
    const execution = new vscode.CustomExecution(async (resolved) => {
      const d = parseDefinition(resolved);
      const terminal = new MailopsTaskTerminal('error' in d ? def : d, runner);
      this.recent.push(terminal);
      if (this.recent.length > KEEP_RUNS) this.recent.shift();
      this.started.fire(terminal);
      return terminal;
    });
    const task = new vscode.Task(def, scope, taskName(def), 'Mailops', execution, [matcher]);
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, focus: false };
    task.group = def.action === 'backup' || def.action === 'archive' ? vscode.TaskGroup.Build : undefined;
    task.detail = vscode.l10n.t('Mailops {0} on {1}', def.action, def.host);
    return task;
  }

  /** Start a task; resolves with its execution once VS Code started it. */
  async run(def: MailopsTaskDefinition): Promise<vscode.TaskExecution> {
    getLog().info(`task: ${taskName(def)}`);
    return vscode.tasks.executeTask(this.createTask(def));
  }

  /**
   * Run `work` as a task (its output streams in the task terminal like every other run, cancel stops it) and
   * resolve with its value; rejects when the work fails or the task is cancelled. `def` names the task. The
   * work runs once: re-running the task from the task list does not repeat it.
   */
  async runInTask<T>(def: MailopsTaskDefinition, work: TaskWork<T>): Promise<T> {
    let settle!: { resolve: (v: T) => void; reject: (e: unknown) => void };
    const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
    let used = false;
    const runner: ActionRunner = async (_d, out, signal) => {
      if (used) return { code: 1, summary: vscode.l10n.t('exit 1: this run was started from a view; start it there again') };
      used = true;
      try {
        const r = await work(out, signal);
        settle.resolve(r.value);
        return r.outcome;
      } catch (error) {
        settle.reject(error);
        throw error;
      }
    };
    getLog().info(`task: ${taskName(def)}`);
    const execution = await vscode.tasks.executeTask(this.createTask(def, undefined, 'command', runner));
    // A task that ends before its work ran (e.g. terminated while starting) settles the caller too.
    const ended = vscode.tasks.onDidEndTask((e) => {
      if (e.execution !== execution) return;
      ended.dispose();
      if (!used) settle.reject(new Error(vscode.l10n.t('The task ended before it ran.')));
    });
    return result.finally(() => ended.dispose());
  }

  /** Recent runs, oldest first (for the test API). */
  runs(): readonly TaskRun[] {
    return this.recent;
  }

  dispose(): void {
    this.registration.dispose();
    this.started.dispose();
  }
}
