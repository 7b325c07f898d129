/**
 * The `mailops` task type: a TaskProvider that resolves tasks.json entries, and createTask() for the
 * commands. Every task runs in a MailopsTaskTerminal (CustomExecution) with the problem matcher of its
 * server: $mailops-dsync (Dovecot) or $mailops-cyrus (Cyrus).
 */
import * as vscode from 'vscode';
import type { Connections } from '../hosts/connections';
import { getLog } from '../log';
import { actionRunner } from './actions';
import { TASK_TYPE, parseDefinition, taskName, type MailopsTaskDefinition } from './definition';
import { MailopsTaskTerminal, type TaskRun } from './terminal';

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

  /** Tasks are defined in tasks.json or started from the Hosts view; nothing to list up front. */
  provideTasks(): vscode.Task[] {
    return [];
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = parseDefinition(task.definition);
    if ('error' in def) {
      getLog().warn(`tasks.json: a mailops task was ignored: ${def.error}`);
      return undefined;
    }
    return this.createTask(def, task.scope);
  }

  /** A task for a definition (its scope defaults to the workspace). */
  createTask(def: MailopsTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder = vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Workspace): vscode.Task {
    const server = this.connections.hosts().find((h) => h.name === def.host)?.server;
    const matcher = server === 'cyrus' ? '$mailops-cyrus' : '$mailops-dsync';
    const execution = new vscode.CustomExecution(async (resolved) => {
      const d = parseDefinition(resolved);
      const terminal = new MailopsTaskTerminal('error' in d ? def : d, actionRunner(this.connections));
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

  /** Recent runs, oldest first (for the test API). */
  runs(): readonly TaskRun[] {
    return this.recent;
  }

  dispose(): void {
    this.registration.dispose();
    this.started.dispose();
  }
}
