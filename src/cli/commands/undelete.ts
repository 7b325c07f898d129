import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { planUndelete, undelete, type UndeletePlan } from '../../core/cyrus/deleted';
import { adminEndpoint } from '../../core/cyrus/imapAdmin';
import { ADMIN_PASSWORD_ENV, withCliAdminPassword } from '../prompter';

function render(p: UndeletePlan): string {
  const what = `${JSON.stringify(p.from.originalFolder)} (deleted ${p.from.deletedAt}, ${p.from.messages ?? '?'} msgs) -> ${JSON.stringify(p.targetFolder)}`;
  if (p.dryRun) return `would undelete ${what}\n  IMAP RENAME ${p.from.toolName} ${p.targetName} as ${p.endpoint.user} at ${p.endpoint.host}:${p.endpoint.port} on the host`;
  return `undeleted ${what}`;
}

/** No password: no file and no terminal to ask on. */
export function noAdminPassword(): UsageError {
  return new UsageError('the Cyrus admin password is needed', { hint: `run on a terminal to be asked, or set ${ADMIN_PASSWORD_ENV} to an owner-only file holding it` });
}

export const undeleteCommand: CliCommand = {
  name: 'undelete',
  summary: 'Cyrus: bring a deleted folder back (IMAP RENAME as the admin); never overwrites',
  usage: 'ACCOUNT NAME [--to NEW] [--dry-run] [--imap HOST:PORT] [--admin USER]',
  help: 'NAME is the original folder name as `mailops deleted` shows it (or the DELETED name when it was deleted\nmore than once). When a folder of that name exists again, pass --to NEW.\nThe admin password is read from $MAILOPS_CYRUS_ADMIN_PASSWORD_FILE (first line; the file must be mode 0600)\nor asked on the terminal (again when the server refuses it); it travels on stdin to an IMAP session opened on\nthe mail host, never in a command line. cyrus.imap (--imap) must be a loopback address of the mail host.',
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
    // Refuses a non-loopback --imap / cyrus.imap before the folders are even listed.
    adminEndpoint(host, { imap: req.imap, admin: req.admin });
    const plan = await planUndelete(host, { ...req, dryRun: true }, ctx.signal);
    if (args.values['dry-run']) {
      ctx.result(plan, render);
      return 0;
    }
    if (!(await ctx.confirm(`undelete ${JSON.stringify(plan.from.originalFolder)} of ${account} as ${JSON.stringify(plan.targetFolder)}?`))) {
      ctx.info('nothing changed');
      return 1;
    }
    const done = await withCliAdminPassword((p) => ctx.askSecret(p), plan.endpoint, (password) => undelete(host, req, password, ctx.signal));
    if (!done) throw noAdminPassword();
    ctx.result(done, render);
    return 0;
  },
};
