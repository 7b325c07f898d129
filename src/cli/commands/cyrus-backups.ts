import type { CliCommand } from '../types';
import { listCyrusArchives, type CyrusArchiveChain } from '../../core/cyrus/backup';
import { archivedMailboxes } from '../../core/cyrus/restore';
import type { CyrusMailbox } from '../../core/cyrus/mailboxes';

function render(chains: CyrusArchiveChain[]): string {
  if (!chains.length) return 'no Cyrus archives';
  return chains
    .map((c) => c.points.map((p) => `${p.level === 'full' ? '' : '  '}${p.id}  ${p.created}  ${p.bytes} bytes  ${p.mailboxes} mailboxes  ${p.messageFiles} message files  verified ${p.verified ? 'yes' : 'NO'}`).join('\n'))
    .join('\n');
}

export const cyrusBackupsCommand: CliCommand = {
  name: 'cyrus-backups',
  summary: 'Cyrus: archive chains on the host; --mailboxes ID lists the mailboxes.db dump of one archive',
  usage: '[--mailboxes ARCHIVE_ID]',
  options: { mailboxes: { type: 'string', valueName: 'ARCHIVE_ID', description: 'show the archived mailboxes.db dump as a readable listing' } },
  needsHost: true,
  async run(ctx, args) {
    const host = await ctx.host();
    if (typeof args.values.mailboxes === 'string') {
      const list = await archivedMailboxes(host, args.values.mailboxes, ctx.signal);
      ctx.result(list, (l: CyrusMailbox[]) => l.map((m) => `${(m.account ?? '(shared)').padEnd(24)} ${m.deleted ? `[deleted ${m.deleted.at}] ` : ''}${m.folder}    ${m.toolName}  (${m.partition}, ${m.uniqueid})`).join('\n'));
      return 0;
    }
    const chains = await listCyrusArchives(host, ctx.signal);
    ctx.result(chains, render);
    return chains.length ? 0 : 1;
  },
};
