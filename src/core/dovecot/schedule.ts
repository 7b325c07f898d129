/** Dovecot backups as schedules: the same script as an interactive `mailops backup`, installed on the host. */
import type { HostContext } from '../hosts/context';
import { dovecotBackupRoot } from '../backup/layout';
import { installSchedule, removeSchedule, scheduleName, scheduleStatus, type ScheduleStatus } from '../backup/schedule';
import { buildDovecotBackupScript, type BackupKind, type BackupOptions } from './backup';
import { checkAccountName } from '../names';

export function dovecotScheduleName(account: string, kind: BackupKind): string {
  checkAccountName('dovecot', account);
  return scheduleName('dovecot', kind, account);
}

function schedulesDir(ctx: HostContext): string {
  return `${dovecotBackupRoot(ctx.config).replace(/\/+$/, '')}/schedules`;
}

export async function installDovecotSchedule(ctx: HostContext, account: string, options: BackupOptions, every: string, method: 'auto' | 'cron' = 'auto'): Promise<ScheduleStatus> {
  // Unattended runs never wait long for a lock held by an interactive run: they skip and log it.
  const built = buildDovecotBackupScript(ctx.config, account, { ...options, noWait: options.noWait ?? true });
  const name = dovecotScheduleName(account, options.kind);
  return installSchedule(ctx, { name, dir: schedulesDir(ctx), every, built, description: `dovecot ${options.kind} backup of account ${JSON.stringify(account)}` }, method);
}

export async function removeDovecotSchedule(ctx: HostContext, account: string, kind: BackupKind) {
  return removeSchedule(ctx, dovecotScheduleName(account, kind), schedulesDir(ctx));
}

export async function dovecotScheduleStatus(ctx: HostContext, account: string, kind: BackupKind): Promise<ScheduleStatus> {
  return scheduleStatus(ctx, dovecotScheduleName(account, kind), schedulesDir(ctx));
}
