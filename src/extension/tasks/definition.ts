/**
 * The `mailops` task type (contributes.taskDefinitions in package.json): what a task runs, as plain data, so
 * the same run can come from a command, a tree menu or a tasks.json entry.
 */
import type * as vscode from 'vscode';

export const TASK_TYPE = 'mailops';
export const TASK_ACTIONS = ['backup', 'archive', 'verify', 'restore', 'unexpunge', 'undelete'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface MailopsTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  action: TaskAction;
  /** Configured host name (mailops.hosts). */
  host: string;
  account?: string;
  /** Folder: unexpunge (Cyrus display folder), restore's selection. */
  mailbox?: string;
  /** Backup kind: Dovecot mirror | full | diff | incr (archive defaults to full); Cyrus full | incr (default incr). */
  kind?: string;
  /** Backup set: verify (mirror | archive:ID), restore (Dovecot mirror | expunged | archive:ID; Cyrus archive:ID of a file backup). */
  source?: string;
  /** Messages (UIDs) for unexpunge. */
  uids?: number[];
  /** Every expunged message of the folder (unexpunge). */
  all?: boolean;
  /** Deleted folder to bring back (undelete): its original name. */
  name?: string;
  /** New folder name (undelete --to, restore into a new folder). */
  to?: string;
  /** Show what would happen, change nothing. */
  dryRun?: boolean;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Validate a definition from tasks.json or a command argument; returns a message instead of throwing. */
export function parseDefinition(raw: unknown): MailopsTaskDefinition | { error: string } {
  if (typeof raw !== 'object' || raw === null) return { error: 'a mailops task needs an object with action and host' };
  const o = raw as Record<string, unknown>;
  const action = o.action;
  if (typeof action !== 'string' || !(TASK_ACTIONS as readonly string[]).includes(action)) return { error: `"action" must be one of ${TASK_ACTIONS.join(', ')}` };
  const host = str(o.host);
  if (!host) return { error: '"host" (a configured host name) is missing' };
  const account = str(o.account);
  // A Cyrus backup is host-wide (no account); whether the host is Cyrus is decided when the task runs.
  if (action !== 'undelete' && action !== 'backup' && action !== 'archive' && !account) return { error: `the ${action} task needs "account"` };
  const uids = Array.isArray(o.uids) ? o.uids.filter((u): u is number => typeof u === 'number' && Number.isInteger(u) && u > 0) : undefined;
  const def: MailopsTaskDefinition = { type: TASK_TYPE, action: action as TaskAction, host };
  if (account) def.account = account;
  for (const k of ['mailbox', 'kind', 'source', 'name', 'to'] as const) {
    const v = str(o[k]);
    if (v) def[k] = v;
  }
  if (uids?.length) def.uids = uids;
  if (o.all === true) def.all = true;
  if (o.dryRun === true) def.dryRun = true;
  if (action === 'unexpunge' && !def.mailbox) return { error: 'the unexpunge task needs "mailbox" (the folder)' };
  if (action === 'unexpunge' && !def.uids && !def.all) return { error: 'the unexpunge task needs "uids" or "all": true' };
  if (action === 'undelete' && (!account || !def.name)) return { error: 'the undelete task needs "account" and "name" (the deleted folder)' };
  return def;
}

/** The task's name in the terminal tab and the task list. */
export function taskName(d: MailopsTaskDefinition): string {
  const what = [d.account, d.mailbox ?? d.name].filter(Boolean).join(' ');
  return `${d.action}${d.kind ? ` ${d.kind}` : ''}${d.dryRun ? ' (dry run)' : ''}: ${d.host}${what ? ` ${what}` : ''}`;
}
