/**
 * Cyrus backups as schedules: the same script as an interactive `mailops backup` on a Cyrus host, installed
 * on the host by the generic backup/schedule.ts (cron.d, or a systemd timer when systemd is PID 1), exactly
 * as Dovecot's. The Cyrus backup is host-wide (no account): one schedule per backup folder and kind.
 *
 * The installed script carries what the probe found at install time (tools folder, imapd.conf,
 * configdirectory, partitions): install again after changing those.
 */
import type { HostContext } from '../hosts/context';
import { cyrusBackupRoot, cyrusLayout } from '../backup/layout';
import { installSchedule, removeSchedule, scheduleName, scheduleStatus, type ScheduleStatus } from '../backup/schedule';
import { buildCyrusBackupScript, type CyrusBackupKind, type CyrusBackupOptions } from './backup';
import { cyrusEnv } from './tools';

export function cyrusScheduleName(ctx: HostContext, kind: CyrusBackupKind): string {
  return scheduleName('cyrus', kind, cyrusLayout(ctx.config).dir, 'host');
}

function schedulesDir(ctx: HostContext): string {
  return `${cyrusBackupRoot(ctx.config).replace(/\/+$/, '')}/schedules`;
}

export async function installCyrusSchedule(ctx: HostContext, options: CyrusBackupOptions, every: string, method: 'auto' | 'cron' = 'auto', signal?: AbortSignal): Promise<ScheduleStatus> {
  const env = await cyrusEnv(ctx, signal);
  // Unattended runs never wait long for a lock held by an interactive run: they skip and log it.
  const built = buildCyrusBackupScript(ctx, env, { ...options, noWait: options.noWait ?? true });
  const name = cyrusScheduleName(ctx, options.kind);
  return installSchedule(ctx, { name, dir: schedulesDir(ctx), every, built, description: `cyrus ${options.kind} backup of the host (${cyrusLayout(ctx.config).dir})` }, method);
}

export async function removeCyrusSchedule(ctx: HostContext, kind: CyrusBackupKind) {
  return removeSchedule(ctx, cyrusScheduleName(ctx, kind), schedulesDir(ctx));
}

export async function cyrusScheduleStatus(ctx: HostContext, kind: CyrusBackupKind): Promise<ScheduleStatus> {
  return scheduleStatus(ctx, cyrusScheduleName(ctx, kind), schedulesDir(ctx));
}
