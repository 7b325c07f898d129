/**
 * Context keys the extension sets for `when` clauses (welcome views, menus). Every key goes through here so
 * the current values can be inspected by the tests (VS Code offers no API to read a context key back).
 */
import * as vscode from 'vscode';

export const ContextKeys = {
  /** True when the mailops.hosts setting lists at least one entry (valid or not): hides the "Add host" welcome. */
  hasHosts: 'mailops.hasHosts',
} as const;

export type ContextKey = (typeof ContextKeys)[keyof typeof ContextKeys];

const values = new Map<ContextKey, unknown>();

export async function setContext(key: ContextKey, value: unknown): Promise<void> {
  if (values.has(key) && values.get(key) === value) return;
  values.set(key, value);
  await vscode.commands.executeCommand('setContext', key, value);
}

/** The last value set for each key (for tests and diagnostics). */
export function contextSnapshot(): Readonly<Record<string, unknown>> {
  return Object.fromEntries(values);
}
