import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { installDovecotSchedule, removeDovecotSchedule, dovecotScheduleStatus } from '../../core/dovecot/schedule';
import { backupOptions } from './backup';

export const scheduleCommand: CliCommand = {
  name: 'schedule',
  summary: 'install, remove or show a backup schedule on the host (cron.d, or a systemd timer when systemd is PID 1)',
  usage: "install|remove|status ACCOUNT --kind mirror|full|diff|incr [--every 'CRON EXPR'] [--cron]",
  help: 'The installed job runs the same script as `mailops backup` (kept under BACKUP_ROOT/schedules/); it skips when a run holds the lock. remove deletes only files Mailops wrote.',
  options: {
    kind: { type: 'string', valueName: 'mirror|full|diff|incr', description: 'what the job does (default mirror)' },
    every: { type: 'string', valueName: 'CRON', description: "when, as 5 cron fields, e.g. '*/15 * * * *'" },
    live: { type: 'boolean', description: 'archive the live maildir instead of the mirror' },
    keep: { type: 'string', valueName: 'N', description: 'full chains to keep (default 2)' },
    cron: { type: 'boolean', description: 'use /etc/cron.d even when systemd is PID 1' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [action, account, ...extra] = args.positionals;
    if (!action || !['install', 'remove', 'status'].includes(action)) throw new UsageError('first argument: install, remove or status');
    if (account === undefined || extra.length) throw new UsageError('give exactly one ACCOUNT');
    const options = backupOptions(args.values);
    const host = await ctx.host();
    if (action === 'install') {
      const every = args.values.every as string | undefined;
      if (!every) throw new UsageError("install needs --every 'CRON EXPR'");
      const s = await installDovecotSchedule(host, account, options, every, args.values.cron ? 'cron' : 'auto');
      ctx.result(s, (v) => `installed ${v.name} (${v.method}, every '${v.every}')\n${v.files.map((f) => `  ${f}`).join('\n')}`);
      return 0;
    }
    if (action === 'remove') {
      const r = await removeDovecotSchedule(host, account, options.kind);
      ctx.result(r, (v) => [...v.removed.map((f) => `removed ${f}`), ...v.kept.map((f) => `kept ${f}`)].join('\n') || 'nothing installed');
      return 0;
    }
    const s = await dovecotScheduleStatus(host, account, options.kind);
    ctx.result(s, (v) => (v.installed ? `${v.name}: ${v.method}, every '${v.every}'\n${v.files.map((f) => `  ${f}`).join('\n')}` : `${v.name}: not installed`));
    return s.installed ? 0 : 1;
  },
};
