/**
 * Deleted folders (delete_mode: delayed): Cyrus renames a deleted mailbox to
 * `[domain!]DELETED.<original>.<HEX unix time>` and keeps it until cyr_expire -D. Undelete is an IMAP
 * RENAME back as the admin (see imapAdmin.ts). It never overwrites: when the original name exists again,
 * it refuses unless another name is chosen (--to); IMAP RENAME itself also refuses an existing target.
 */
import { MailopsError, UsageError } from '../errors';
import type { HostContext } from '../hosts/context';
import { adminEndpoint, adminSession, imapString, type AdminEndpoint } from './imapAdmin';
import { addStats, streamMailboxes, type CyrusMailbox } from './mailboxes';
import { folderLevels, internalName, toolName } from './names';
import { checkCyrusAccount, cyrusEnv } from './tools';

export interface DeletedFolder {
  account: string | null;
  /** The folder as it was named (display, Unicode). */
  originalFolder: string;
  /** Internal name it had, and will get back by default. */
  originalInternal: string;
  /** When it was deleted (from the hex suffix), ISO UTC. */
  deletedAt: string;
  hex: string;
  /** The DELETED entry: internal and admin (tool / IMAP) names. */
  internal: string;
  toolName: string;
  /** Whether a live folder now has the original name (then undelete needs --to). */
  originalExists: boolean;
  messages: number | null;
  size: number | null;
  /** Why messages/size are null although counts were asked (see CyrusMailbox.countProblem). */
  countProblem: string | null;
}

/** Deleted folders of an account (or of every account), newest first, with message counts. */
export async function listDeleted(ctx: HostContext, account?: string, opts: { stats?: boolean; signal?: AbortSignal } = {}): Promise<DeletedFolder[]> {
  if (account !== undefined) checkCyrusAccount(ctx, account);
  const deleted: CyrusMailbox[] = [];
  const live = new Set<string>();
  for await (const m of streamMailboxes(ctx, { account, deleted: true, signal: opts.signal })) {
    if (m.deleted) deleted.push(m);
    else live.add(m.internal);
  }
  if (opts.stats !== false) await addStats(ctx, deleted, opts.signal);
  return deleted
    .map((m) => ({
      account: m.account,
      originalFolder: m.deleted!.originalFolder,
      originalInternal: m.deleted!.original,
      deletedAt: m.deleted!.at,
      hex: m.internal.slice(m.internal.lastIndexOf('.') + 1),
      internal: m.internal,
      toolName: m.toolName,
      originalExists: live.has(m.deleted!.original),
      messages: m.messages,
      size: m.size,
      countProblem: m.countProblem,
    }))
    .sort((a, b) => b.deletedAt.localeCompare(a.deletedAt));
}

export interface UndeleteRequest {
  account: string;
  /** The original folder name (display), or the DELETED entry's tool/internal name when there are several. */
  name: string;
  /** A new folder name (display, below the account) instead of the original. */
  to?: string;
  dryRun?: boolean;
  /** IMAP endpoint and admin overrides (default: host config cyrus.imap / cyrus.admin). */
  imap?: string;
  admin?: string;
}

export interface UndeletePlan {
  account: string;
  from: DeletedFolder;
  /** Target internal name and admin name (used in the RENAME). */
  targetInternal: string;
  targetName: string;
  targetFolder: string;
  endpoint: AdminEndpoint;
  dryRun: boolean;
  done: boolean;
  serverText: string | null;
}

/** Resolve and check an undelete; with dryRun nothing else happens. */
export async function planUndelete(ctx: HostContext, req: UndeleteRequest, signal?: AbortSignal): Promise<UndeletePlan> {
  checkCyrusAccount(ctx, req.account);
  const env = await cyrusEnv(ctx, signal);
  const all = await listDeleted(ctx, req.account, { stats: true, signal });
  const matches = all.filter((d) => d.originalFolder === req.name || d.toolName === req.name || d.internal === req.name);
  if (!matches.length) {
    throw new UsageError(`no deleted folder "${req.name}" for ${req.account}`, {
      host: ctx.config.name,
      hint: all.length ? `deleted folders: ${all.map((d) => `${JSON.stringify(d.originalFolder)} (${d.deletedAt})`).join(', ')}` : 'the account has no deleted folders (or cyr_expire has purged them)',
    });
  }
  if (matches.length > 1) {
    throw new UsageError(`"${req.name}" was deleted ${matches.length} times`, {
      host: ctx.config.name,
      hint: `pass the full DELETED name of the one to bring back: ${matches.map((d) => JSON.stringify(d.toolName)).join(', ')}`,
    });
  }
  const from = matches[0]!;
  let targetInternal = from.originalInternal;
  if (req.to !== undefined) {
    const levels = folderLevels(req.to, env.style);
    if (!levels.length || levels.some((l) => l === '')) throw new UsageError(`--to "${req.to}" is not a folder name below the account`);
    targetInternal = internalName(req.account, levels, env.style);
  }
  let exists = false;
  for await (const m of streamMailboxes(ctx, { account: req.account, signal })) if (m.internal === targetInternal) exists = true;
  if (exists) {
    throw new UsageError(`the folder ${req.to !== undefined ? `"${req.to}"` : `"${from.originalFolder}"`} exists again; undelete never overwrites a folder`, {
      host: ctx.config.name,
      hint: `choose another name: mailops undelete ${req.account} ${JSON.stringify(req.name)} --to ${JSON.stringify(`${from.originalFolder} (restored)`)}`,
    });
  }
  return {
    account: req.account,
    from,
    targetInternal,
    targetName: toolName(targetInternal, env.style),
    targetFolder: req.to ?? from.originalFolder,
    endpoint: adminEndpoint(ctx, { imap: req.imap, admin: req.admin }),
    dryRun: !!req.dryRun,
    done: false,
    serverText: null,
  };
}

/** Rename the DELETED mailbox back (IMAP RENAME as admin), then check the result in mailboxes.db. */
export async function undelete(ctx: HostContext, req: UndeleteRequest, password: string | undefined, signal?: AbortSignal): Promise<UndeletePlan> {
  const plan = await planUndelete(ctx, req, signal);
  if (req.dryRun) return plan;
  if (!password) throw new UsageError('the Cyrus admin password is needed for undelete', { hint: 'run on a terminal to be asked, or set MAILOPS_CYRUS_ADMIN_PASSWORD_FILE' });
  const [rename] = await adminSession(ctx, plan.endpoint, password, [['RENAME', imapString(plan.from.toolName), imapString(plan.targetName)]], signal);
  plan.serverText = `${rename!.status} ${rename!.text}`;
  if (rename!.status !== 'OK') {
    throw new MailopsError(`IMAP RENAME refused: ${rename!.status} ${rename!.text}`, {
      host: ctx.config.name,
      command: `RENAME ${plan.from.toolName} ${plan.targetName} (as ${plan.endpoint.user} at ${plan.endpoint.host}:${plan.endpoint.port})`,
      meaning: /exists/i.test(rename!.text) ? 'the target name exists (created meanwhile)' : /permission/i.test(rename!.text) ? 'the admin lacks rights on the mailbox' : 'the server refused the rename',
      hint: /exists/i.test(rename!.text) ? 'choose another name with --to' : 'check that the user is in the admins list of imapd.conf',
    });
  }
  let found = false;
  for await (const m of streamMailboxes(ctx, { account: req.account, signal })) if (m.internal === plan.targetInternal) found = true;
  if (!found) {
    throw new MailopsError('the server answered OK but the folder is not in mailboxes.db', { host: ctx.config.name, hint: 'run mailops folders ACCOUNT and mailops deleted ACCOUNT to see where it went' });
  }
  plan.done = true;
  return plan;
}
