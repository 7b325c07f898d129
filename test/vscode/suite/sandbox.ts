/**
 * The sandbox mail host for the suites: its status (MAILOPS_SANDBOX_STATUS, written by scripts/test-vscode
 * from `scripts/sandbox status --json`) and its hosts applied to the operator's setting for a suite.
 */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { MailopsTestApi } from '../../../src/extension/api';
import type { MailopsNode } from '../../../src/extension/tree/node';
import { label } from './helpers';

export interface SandboxStatusLite {
  up: boolean;
  /** The sandbox host this run is about (scripts/test-vscode runs the suites once per host). */
  host: { id: string; debian: number; release: string };
  hostsFile: string;
  ssh: { host: string; port: number; user: string; identity: string; knownHosts: string };
  dovecot: { lazyExpunge: string; accounts: Array<{ name: string; mailboxes: Record<string, number>; total: number }> };
  cyrus: { separator: string; imap: string; users: Array<{ name: string; password: string; mailboxes: Record<string, number> }> };
}

/**
 * The sandbox's status, for the suites that test against it. Under `npm test` the sandbox must be up: when it
 * is not, these suites fail with the reason (they never skip, which would let a broken sandbox pass the run).
 */
export function requireSandbox(): SandboxStatusLite {
  const file = process.env.MAILOPS_SANDBOX_STATUS;
  const next = 'scripts/test-vscode writes it from `scripts/sandbox status --json` when the sandbox is up; run `scripts/sandbox up`, then `scripts/sandbox status`';
  if (!file) throw new Error(`the sandbox is not up: MAILOPS_SANDBOX_STATUS is not set (${next})`);
  let s: SandboxStatusLite;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as SandboxStatusLite;
  } catch (e) {
    throw new Error(`the sandbox status ${file} (MAILOPS_SANDBOX_STATUS) cannot be read: ${e instanceof Error ? e.message : String(e)} (${next})`);
  }
  if (s.up !== true) throw new Error(`the sandbox is not up: ${file} says up=${String(s.up)} (${next})`);
  return s;
}

export function sandboxHosts(s: SandboxStatusLite): unknown[] {
  const raw = JSON.parse(readFileSync(s.hostsFile, 'utf8')) as { hosts?: unknown[] } | unknown[];
  return Array.isArray(raw) ? raw : (raw.hosts ?? []);
}

/**
 * Put the sandbox hosts into the operator's mailops.hosts (unless the window was opened with them): a machine
 * setting, so ConfigurationTarget.Global (here the server's Machine settings; a workspace value is ignored).
 */
export async function useSandboxHosts(s: SandboxStatusLite): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('mailops');
  const previous = config.inspect<unknown>('hosts')?.globalValue;
  const current = Array.isArray(previous) ? (previous as Array<{ name?: string }>) : [];
  if (current.some((h) => h.name === 'sandbox-dovecot')) return async () => undefined;
  await config.update('hosts', sandboxHosts(s), vscode.ConfigurationTarget.Global);
  return async () => {
    await vscode.workspace.getConfiguration('mailops').update('hosts', previous, vscode.ConfigurationTarget.Global);
  };
}

export interface Row {
  node: MailopsNode;
  item: vscode.TreeItem;
  label: string;
}

/** The children of a node (or the roots) with their tree items. */
export async function children(api: MailopsTestApi, node?: MailopsNode): Promise<Row[]> {
  const nodes = (await api.hostsProvider.getChildren(node)) ?? [];
  return Promise.all(
    nodes.map(async (n) => {
      const item = await api.hostsProvider.getTreeItem(n);
      return { node: n, item, label: label(item) };
    }),
  );
}

export async function child(api: MailopsTestApi, node: MailopsNode | undefined, name: string): Promise<Row> {
  const rows = await children(api, node);
  const row = rows.find((r) => r.label === name);
  if (!row) throw new Error(`no item "${name}" under ${node ? node.kind : 'the roots'}; have: ${rows.map((r) => `${r.label} [${String(r.item.contextValue)}] ${String(r.item.description ?? '')}`).join(' | ')}`);
  return row;
}
