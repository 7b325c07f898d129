/** Helpers for the suites that run inside VS Code's extension host. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailopsTestApi } from '../../../src/extension/api';
import type { MailopsNode } from '../../../src/extension/tree/node';

export const EXTENSION_ID = 'mailops.mailops';

/** Activate the extension under test and return its test API (activate() returns it in ExtensionMode.Test). */
export async function activateMailops(): Promise<MailopsTestApi> {
  const ext = vscode.extensions.getExtension<MailopsTestApi | undefined>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  const api = await ext.activate();
  assert.ok(api, 'activate() returned no test API; is the extension running in ExtensionMode.Test?');
  return api;
}

/** Poll until `check` returns a value other than undefined/false, or fail with `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The tree items the provider gives for its roots, resolved. */
export async function rootItems(api: MailopsTestApi): Promise<{ node: MailopsNode; item: vscode.TreeItem }[]> {
  const nodes = (await api.hostsProvider.getChildren()) ?? [];
  return Promise.all(nodes.map(async (node) => ({ node, item: await api.hostsProvider.getTreeItem(node) })));
}

/**
 * Set mailops.hosts as the operator does and restore the previous value afterwards. It is a machine setting:
 * ConfigurationTarget.Global writes it to the user settings (a local window) or, in this web workbench (a
 * remote window), to the server's Machine settings. A workspace value would be ignored (see settingsScope).
 */
export async function withHostsSetting(value: unknown, body: () => Promise<void>): Promise<void> {
  const config = vscode.workspace.getConfiguration('mailops');
  const previous = config.inspect<unknown>('hosts')?.globalValue;
  await config.update('hosts', value, vscode.ConfigurationTarget.Global);
  try {
    await body();
  } finally {
    await vscode.workspace.getConfiguration('mailops').update('hosts', previous, vscode.ConfigurationTarget.Global);
  }
}

export function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}
