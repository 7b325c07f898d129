import { readFile } from 'node:fs/promises';
import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { planUndelete, undelete, type UndeletePlan } from '../../core/cyrus/deleted';

function render(p: UndeletePlan): string {
  const what = `${JSON.stringify(p.from.originalFolder)} (deleted ${p.from.deletedAt}, ${p.from.messages ?? '?'} msgs) -> ${JSON.stringify(p.targetFolder)}`;
  if (p.dryRun) return `would undelete ${what}\n  IMAP RENAME ${p.from.toolName} ${p.targetName} as ${p.endpoint.user} at ${p.endpoint.host}:${p.endpoint.port} on the host`;
  return `undeleted ${what}`;
}

/** The admin password: $MAILOPS_CYRUS_ADMIN_PASSWORD_FILE (first line), else asked on the TTY. */
export async function adminPassword(ask: (prompt: string) => Promise<string | undefined>, user: string): Promise<string | undefined> {
  const file = process.env.MAILOPS_CYRUS_ADMIN_PASSWORD_FILE;
  if (file) {
    const text = await readFile(file, 'utf8').catch((e: Error) => {
      throw new UsageError(`cannot read MAILOPS_CYRUS_ADMIN_PASSWORD_FILE: ${e.message}`);
    });
    return text.split(/\r?\n/)[0];
  }
  return ask(`Cyrus admin password for ${user}: `);
}

export const undeleteCommand: CliCommand = {
  name: 'undelete',
  summary: 'Cyrus: bring a deleted folder back (IMAP RENAME as the admin); never overwrites',
  usage: 'ACCOUNT NAME [--to NEW] [--dry-run] [--imap HOST:PORT] [--admin USER]',
  help: 'NAME is the original folder name as `mailops deleted` shows it (or the DELETED name when it was deleted\nmore than once). When a folder of that name exists again, pass --to NEW.\nThe admin password is read from $MAILOPS_CYRUS_ADMIN_PASSWORD_FILE or asked on the terminal; it travels on\nstdin to an IMAP session opened on the mail host, never in a command line.',
  options: {
    to: { type: 'string', valueName: 'NEW', description: 'restore under this folder name instead' },
    'dry-run': { type: 'boolean', description: 'check and show what would happen, change nothing' },
    imap: { type: 'string', valueName: 'HOST:PORT', description: 'IMAP server as seen from the mail host (default cyrus.imap or 127.0.0.1:143)' },
    admin: { type: 'string', valueName: 'USER', description: 'Cyrus admin (default cyrus.admin or cyrus)' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, name] = args.positionals;
    if (!account || !name || args.positionals.length > 2) throw new UsageError('usage: mailops undelete ACCOUNT NAME [--to NEW]');
    const host = await ctx.host();
    const req = { account, name, to: args.values.to as string | undefined, imap: args.values.imap as string | undefined, admin: args.values.admin as string | undefined };
    const plan = await planUndelete(host, { ...req, dryRun: true }, ctx.signal);
    if (args.values['dry-run']) {
      ctx.result(plan, render);
      return 0;
    }
    if (!(await ctx.confirm(`undelete ${JSON.stringify(plan.from.originalFolder)} of ${account} as ${JSON.stringify(plan.targetFolder)}?`))) {
      ctx.info('nothing changed');
      return 1;
    }
    const password = await adminPassword((p) => ctx.askSecret(p), plan.endpoint.user);
    ctx.result(await undelete(host, req, password, ctx.signal), render);
    return 0;
  },
};
