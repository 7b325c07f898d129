import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { cyrusRestore, type CyrusRestoreResult } from '../../core/cyrus/restore';
import { adminEndpoint } from '../../core/cyrus/imapAdmin';
import { withCliAdminPassword } from '../prompter';
import { noAdminPassword } from './undelete';

function render(r: CyrusRestoreResult): string {
  const lines = r.messages.map((m) => `  UID ${m.uid}  ${m.date ?? '?'}  ${m.size} B  from ${m.from ?? '?'}  ${JSON.stringify(m.subject ?? '')}`);
  const head = r.dryRun
    ? `would restore ${r.messages.length} message(s) of ${JSON.stringify(r.folder)} from ${r.archive} (chain ${r.chain.join(' + ')}) into the new folder ${JSON.stringify(r.target.folder)}`
    : `restored ${r.restored} message(s) of ${JSON.stringify(r.folder)} from ${r.archive} into the new folder ${JSON.stringify(r.target.folder)}`;
  return [head, ...lines].join('\n');
}

export const cyrusRestoreCommand: CliCommand = {
  name: 'cyrus-restore',
  summary: 'Cyrus: restore one folder (or some messages) from a file backup into a NEW folder, with reconstruct',
  usage: 'ACCOUNT MAILBOX --from ARCHIVE_ID [--uid N…] [--to NAME] [--dry-run]',
  help: 'Extracts only that folder from the archive chain into a temp dir on the host, previews its messages, then\ncreates the new folder (default Restored.<name>) as the admin over IMAP, copies the files in and runs reconstruct.\nThe live folder is never touched. The admin password: $MAILOPS_CYRUS_ADMIN_PASSWORD_FILE or the terminal.',
  options: {
    from: { type: 'string', valueName: 'ARCHIVE_ID', description: 'archive to restore from (mailops cyrus-backups lists them)' },
    uid: { type: 'string', multiple: true, valueName: 'N', description: 'only this UID (repeatable)' },
    to: { type: 'string', valueName: 'NAME', description: 'name of the new folder below the account' },
    'dry-run': { type: 'boolean', description: 'extract and preview only' },
    imap: { type: 'string', valueName: 'HOST:PORT', description: 'IMAP server as seen from the mail host' },
    admin: { type: 'string', valueName: 'USER', description: 'Cyrus admin user' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [account, folder] = args.positionals;
    const from = args.values.from as string | undefined;
    if (!account || !folder || !from || args.positionals.length > 2) throw new UsageError('usage: mailops cyrus-restore ACCOUNT MAILBOX --from ARCHIVE_ID');
    const uids = ((args.values.uid as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--uid ${s}: not a UID`);
      return n;
    });
    const host = await ctx.host();
    const req = { account, folder, archiveId: from, uids, to: args.values.to as string | undefined, imap: args.values.imap as string | undefined, admin: args.values.admin as string | undefined };
    // Refuses a non-loopback --imap / cyrus.imap before anything is extracted or asked.
    const ep = adminEndpoint(host, { imap: req.imap, admin: req.admin });
    const preview = await cyrusRestore(host, { ...req, dryRun: true }, undefined, ctx.signal);
    if (args.values['dry-run']) {
      ctx.result(preview, render);
      return 0;
    }
    if (!ctx.json) ctx.info(render(preview));
    if (!(await ctx.confirm(`restore ${preview.messages.length} message(s) into the new folder ${JSON.stringify(preview.target.folder)}?`))) return 1;
    const done = await withCliAdminPassword((p) => ctx.askSecret(p), ep, (password) => cyrusRestore(host, req, password, ctx.signal));
    if (!done) throw noAdminPassword();
    ctx.result(done, render);
    return 0;
  },
};
