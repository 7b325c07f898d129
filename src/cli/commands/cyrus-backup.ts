import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { cyrusBackup, type CyrusBackupResult } from '../../core/cyrus/backup';

function render(r: CyrusBackupResult): string {
  if (r.skipped) return 'skipped: another backup run holds the lock';
  return [
    `${r.ok ? 'ok' : 'FAILED'}: ${r.level ?? r.kind} archive ${r.archiveId ?? '-'}${r.bytes !== null ? ` (${r.bytes} bytes)` : ''}, ${r.mailboxes ?? '?'} mailboxes in the mailboxes.db dump, verified ${r.verified ? 'yes' : 'no'}`,
    ...r.warnings.map((w) => `warning: ${w}`),
    ...(r.failure?.meaning ? [`why: ${r.failure.meaning}`, ...(r.failure.hint ? [`next: ${r.failure.hint}`] : [])] : []),
    `log on the host: ${r.log ?? '-'}`,
  ].join('\n');
}

export const cyrusBackupCommand: CliCommand = {
  name: 'cyrus-backup',
  summary: 'Cyrus: file backup: mailboxes.db dump, then tar of partitions + config dir (full or incremental)',
  usage: '[--kind full|incr] [--no-wait] [--force]',
  help: 'Runs on the host under a flock lock; writes ROOT/cyrus/archives/<stamp>-<level>.{tar.gz,snar,meta,mailboxes.txt}.\nhooks.preBackup / hooks.postBackup of the host run before and after (e.g. a snapshot).\n(`mailops backup` will dispatch on the server kind; this is the Cyrus engine: cyrusBackup(ctx, opts).)\nExit codes: 0 ok, 1 failed, 2 finished with warnings, 3 skipped (lock held, --no-wait).',
  options: {
    kind: { type: 'string', valueName: 'full|incr', description: 'archive level (default incr; the first run is full)' },
    'no-wait': { type: 'boolean', description: 'skip when another run holds the lock' },
    force: { type: 'boolean', description: 'take a full whose message count dropped sharply as a retention anchor anyway' },
  },
  needsHost: true,
  async run(ctx, args) {
    const kind = (args.values.kind as string | undefined) ?? 'incr';
    if (kind !== 'full' && kind !== 'incr') throw new UsageError('--kind must be full or incr');
    const host = await ctx.host();
    const r = await cyrusBackup(host, { kind, noWait: args.values['no-wait'] === true, force: args.values.force === true }, { signal: ctx.signal, onLine: (line) => { if (!ctx.json) ctx.info(line); } });
    const { events: _events, ...shown } = r;
    void _events;
    ctx.result(shown, () => render(r));
    return r.skipped ? 3 : r.ok ? (r.warnings.length || !r.verified ? 2 : 0) : 1;
  },
};
