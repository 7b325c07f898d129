import type { CliCommand } from '../types';
import { listDeleted, type DeletedFolder } from '../../core/cyrus/deleted';
import { countProblemLine, countText } from './folders';

export function renderDeleted(list: DeletedFolder[]): string {
  if (!list.length) return 'no deleted folders';
  return list
    .map((d) => `${d.account ?? '(shared)'}  ${JSON.stringify(d.originalFolder)}  deleted ${d.deletedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${countText(d.messages)} msgs${d.originalExists ? '  [name in use again: undelete --to NEW]' : ''}\n    ${d.toolName}${countProblemLine(d.countProblem, '    ')}`)
    .join('\n');
}

export const deletedCommand: CliCommand = {
  name: 'deleted',
  summary: 'Cyrus: deleted folders still restorable (delete_mode delayed), with their deletion time',
  usage: '[ACCOUNT]',
  help: 'Lists the DELETED.* entries of mailboxes.db with the original name and the time decoded from the hex suffix.',
  needsHost: true,
  async run(ctx, args) {
    const host = await ctx.host();
    const list = await listDeleted(host, args.positionals[0], { signal: ctx.signal });
    ctx.result(list, renderDeleted);
    return list.length ? 0 : 1;
  },
};
