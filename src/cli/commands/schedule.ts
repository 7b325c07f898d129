import type { CliCommand, CliContext } from '../types';
import { UsageError } from '../../core/errors';
import type { ScheduleStatus } from '../../core/backup/schedule';
import { installDovecotSchedule, removeDovecotSchedule, dovecotScheduleStatus } from '../../core/dovecot/schedule';
import { installCyrusSchedule, removeCyrusSchedule, cyrusScheduleStatus } from '../../core/cyrus/schedule';
import { backupOptions, cyrusBackupOptions } from './backup';
import { serverKind } from '../serverKind';

function showInstalled(ctx: CliContext, s: ScheduleStatus): void {
  ctx.result(s, (v) => `installed ${v.name} (${v.method}, every '${v.every}')\n${v.files.map((f) => `  ${f}`).join('\n')}`);
}

function showRemoved(ctx: CliContext, r: { removed: string[]; kept: string[] }): void {
  ctx.result(r, (v) => [...v.removed.map((f) => `removed ${f}`), ...v.kept.map((f) => `kept ${f}`)].join('\n') || 'nothing installed');
}

function showStatus(ctx: CliContext, s: ScheduleStatus): number {
  ctx.result(s, (v) => (v.installed ? `${v.name}: ${v.method}, every '${v.every}'\n${v.files.map((f) => `  ${f}`).join('\n')}` : `${v.name}: not installed`));
  return s.installed ? 0 : 1;
}

export const scheduleCommand: CliCommand = {
  name: 'schedule',
  summary: 'install, remove or show a backup schedule on the host (cron.d, or a systemd timer when systemd is PID 1)',
  usage: "install|remove|status ACCOUNT --kind mirror|full|diff|incr [--every 'CRON EXPR'] [--cron]\n       mailops schedule install|remove|status --kind full|incr [--every 'CRON EXPR'] [--cron]   (Cyrus host: host-wide, no ACCOUNT)",
  help: [
    'The installed job runs the same script as `mailops backup` (kept under BACKUP_ROOT/schedules/) and writes the same',
    'run log; it skips when a run holds the lock. remove deletes only files Mailops wrote.',
    'Dispatches on the host\'s server kind (its "server"; for "detect" hosts the probe decides, or --server dovecot|cyrus).',
    'Dovecot schedules are per ACCOUNT and kind (default mirror). The Cyrus backup is host-wide: no ACCOUNT, --kind full',
    'or incr (default incr); one schedule per kind, e.g. a weekly full and a nightly incr. Exit code of status: 0 installed, 1 not.',
  ].join('\n'),
  options: {
    kind: { type: 'string', valueName: 'mirror|full|diff|incr', description: 'what the job does (Dovecot: default mirror; Cyrus: full or incr, default incr)' },
    every: { type: 'string', valueName: 'CRON', description: "when, as 5 cron fields, e.g. '*/15 * * * *'" },
    live: { type: 'boolean', description: 'archive the live maildir instead of the mirror (Dovecot)' },
    keep: { type: 'string', valueName: 'N', description: 'full chains to keep (default 2)' },
    cron: { type: 'boolean', description: 'use /etc/cron.d even when systemd is PID 1' },
  },
  needsHost: true,
  async run(ctx, args) {
    const [action, ...targets] = args.positionals;
    if (!action || !['install', 'remove', 'status'].includes(action)) throw new UsageError('first argument: install, remove or status');
    if (targets.length > 1) throw new UsageError('give exactly one ACCOUNT (Dovecot) or none (Cyrus)');
    const every = args.values.every as string | undefined;
    if (action === 'install' && !every) throw new UsageError("install needs --every 'CRON EXPR'");
    const method = args.values.cron ? 'cron' : 'auto';
    const host = await ctx.host();
    if ((await serverKind(host, args.values, 'schedule', ctx.signal)) === 'cyrus') {
      if (targets.length) throw new UsageError('the Cyrus backup is host-wide: give no ACCOUNT', { hint: `mailops schedule ${action} --kind full|incr` });
      const options = cyrusBackupOptions(args.values);
      if (action === 'install') {
        showInstalled(ctx, await installCyrusSchedule(host, options, every!, method, ctx.signal));
        return 0;
      }
      if (action === 'remove') {
        showRemoved(ctx, await removeCyrusSchedule(host, options.kind));
        return 0;
      }
      return showStatus(ctx, await cyrusScheduleStatus(host, options.kind));
    }
    const account = targets[0];
    if (account === undefined) throw new UsageError('give exactly one ACCOUNT', { hint: 'Dovecot schedules are per account' });
    // noWait left undefined: installed jobs skip (exit 3, logged) when a run holds the lock, as the engine intends
    const options = { ...backupOptions(args.values), noWait: undefined };
    if (action === 'install') {
      showInstalled(ctx, await installDovecotSchedule(host, account, options, every!, method));
      return 0;
    }
    if (action === 'remove') {
      showRemoved(ctx, await removeDovecotSchedule(host, account, options.kind));
      return 0;
    }
    return showStatus(ctx, await dovecotScheduleStatus(host, account, options.kind));
  },
};
