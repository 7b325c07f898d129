/**
 * One transport per configured host for the whole extension (tree, tasks, logs, preview): a TransportPool
 * with the editor's Prompter, plus the connection state of each host for the tree (from the transport's
 * onStateChange). Structurally a logs/hosts.ts HostContexts, so the log viewer and the restore preview can
 * share it instead of opening connections of their own.
 */
import * as vscode from 'vscode';
import { TransportError, UsageError } from '../../core/errors';
import type { HostContext } from '../../core/hosts/context';
import type { HostConfig } from '../../core/hosts/model';
import { TransportPool, type ConnectionState, type Transport } from '../../core/transport/index';
import { getLog } from '../log';
import { EditorPrompter, trustStorePath } from './prompter';
import { readHostsSetting } from './settings';
import { WorkspaceHostsGuard } from './workspaceHosts';

export interface HostState {
  state: ConnectionState;
  /** The last connection failure, with what to do next. */
  error?: Error;
}

export class Connections implements vscode.Disposable {
  readonly prompter: EditorPrompter;
  /** Workspace files that try to set mailops.hosts (ignored; the operator is told once per file). */
  readonly workspaceHosts = new WorkspaceHostsGuard();
  private readonly pool: TransportPool;
  private readonly states = new Map<string, HostState>();
  private readonly watched = new Map<Transport, () => void>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with a host name when its connection state changes. */
  readonly onDidChangeState = this.changed.event;

  constructor(context: vscode.ExtensionContext) {
    this.prompter = new EditorPrompter(context);
    const log = getLog();
    this.pool = new TransportPool({
      prompter: this.prompter,
      trustStorePath: trustStorePath(context),
      log: (level, msg) => log[level](msg),
    });
  }

  /** The configured hosts (valid entries). */
  hosts(): HostConfig[] {
    return readHostsSetting().hosts;
  }

  config(name: string): HostConfig {
    const config = this.hosts().find((h) => h.name === name);
    if (!config) throw new UsageError(`no host named "${name}" is configured`, { hint: 'add it in the Mailops Hosts view or in the mailops.hosts setting' });
    return config;
  }

  /** A context for a configured host (the transport connects on its first command). */
  get(name: string): HostContext {
    const config = this.config(name);
    const transport = this.pool.get(config);
    if (!this.watched.has(transport)) {
      const off = transport.onStateChange((state, error) => this.setState(name, state, error));
      this.watched.set(transport, off);
      this.setState(name, transport.state);
    }
    return { config, transport };
  }

  state(name: string): HostState {
    return this.states.get(name) ?? { state: 'idle' };
  }

  async connect(name: string): Promise<void> {
    const { transport } = this.get(name);
    await transport.connect();
  }

  async disconnect(name: string): Promise<void> {
    if (!this.pool.has(name)) return;
    const { transport } = this.get(name);
    this.watched.get(transport)?.();
    this.watched.delete(transport);
    await this.pool.close(name);
    this.setState(name, 'closed');
  }

  private setState(name: string, state: ConnectionState, error?: Error): void {
    const prev = this.states.get(name);
    if (prev?.state === state && prev.error === error) return;
    this.states.set(name, { state, ...(error ? { error } : state === 'failed' && prev?.error ? { error: prev.error } : {}) });
    getLog().debug(`${name}: connection ${state}${error ? `: ${error.message.split('\n')[0]}` : ''}`);
    this.changed.fire(name);
  }

  /** Record a connection failure the transport could not report itself (e.g. unusable SSH settings). */
  markFailedIfUnconnected(name: string, error: Error): void {
    if (error instanceof TransportError && this.state(name).state !== 'connected') this.setState(name, 'failed', error);
  }

  dispose(): void {
    this.workspaceHosts.dispose();
    for (const off of this.watched.values()) off();
    this.watched.clear();
    this.changed.dispose();
    void this.pool.closeAll();
  }
}
