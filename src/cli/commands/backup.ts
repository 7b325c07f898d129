import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { shellLine } from '../../core/transport/quote';
import { withPrivilege } from '../../core/hosts/model';
import { BACKUP_KINDS, buildDovecotBackupScript, describePlan, runBackup, DEFAULT_KEEP, DEFAULT_LOCK_TIMEOUT, type BackupKind, type BackupOptions, type BackupResult } from '../../core/dovecot/backup';
import { buildCyrusBackupScript, cyrusBackup, type CyrusBackupOptions, type CyrusBackupResult } from '../../core/cyrus/backup';
import { cyrusEnv } from '../../core/cyrus/tools';
import { cyrusLayout } from '../../core/backup/layout';
import type { HostContext } from '../../core/hosts/context';
import type { CliContext, CommandArgs } from '../types';
import { serverKind } from '../serverKind';

export function intOption(values: CommandArgs['values'], name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${name} needs a whole number, not ${JSON.stringify(v)}`);
  return Number(v);
}

export function backupOptions(values: CommandArgs['values']): BackupOptions {
  const kind = (values.kind as string | undefined) ?? 'mirror';
  if (!BACKUP_KINDS.includes(kind as BackupKind)) throw new UsageError(`--kind must be one of ${BACKUP_KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
  return {
    kind: kind as BackupKind,
    live: values.live === true,
    fresh: values.fresh === true,
    noWait: values['no-wait'] === true,
    keep: intOption(values, 'keep'),
    lockTimeout: intOption(values, 'lock-timeout'),
    retries: intOption(values, 'retries'),
    force: values.force === true,
  };
}

/** Options of a Cyrus backup (host-wide tar of the spool + config dir): --kind full|incr (default incr; the first run is full). */
export function cyrusBackupOptions(values: CommandArgs['values']): CyrusBackupOptions {
  const kind = (values.kind as string | undefined) ?? 'incr';
  if (kind === 'mirror' || kind === 'diff') {
    throw new UsageError(`--kind ${kind} is a Dovecot backup kind; a Cyrus backup is --kind full or --kind incr`, {
      hint: 'Cyrus is backed up host-wide with tar: a full archive, then incremental ones on it (the first run is always full)',
    });
  }
  if (kind !== 'full' && kind !== 'incr') throw new UsageError(`--kind must be full or incr for a Cyrus host, not ${JSON.stringify(kind)}`);
  for (const flag of ['live', 'fresh', 'retries'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for Dovecot backups; a Cyrus host has no mirror`);
  }
  // noWait only when asked: left undefined, a schedule install applies its own default (skip when the lock is held)
  return { kind, ...(values['no-wait'] === true ? { noWait: true } : {}), keep: intOption(values, 'keep'), lockTimeout: intOption(values, 'lock-timeout'), force: values.force === true };
}

export function renderCyrusResult(r: CyrusBackupResult): string {
  if (r.skipped) return 'skipped: another Cyrus backup run holds the lock (--no-wait)';
  const lines = [
    `${r.ok ? (r.exitCode === 0 && r.verified && !r.warnings.length ? 'ok' : 'done with warnings') : 'FAILED'}: Cyrus ${r.level ?? r.kind} backup of the host`,
    `  archive: ${r.archive ?? '-'}${r.bytes !== null ? ` (${r.bytes} bytes, ${r.verified ? 'verified' : 'NOT verified'})` : ''}`,
    `  mailboxes.db dump: ${r.mailboxes ?? '?'} mailboxes`,
    ...r.warnings.map((w) => `  warning: ${w}`),
    ...r.retention.removed.map((id) => `  retention: removed ${id}`),
    ...r.retention.kept.map((id) => `  retention: kept ${id} (not a retention anchor)`),
    ...(r.failure?.meaning ? [`  why: ${r.failure.meaning}`, ...(r.failure.hint ? [`  next: ${r.failure.hint}`] : [])] : []),
  ];
  if (r.log) lines.push(`  log on the host: ${r.log}`);
  return lines.join('\n');
}

/** `mailops backup` on a Cyrus host. Exit codes as for Dovecot: 0 done, 1 failed, 2 warnings / not verified / skipped. */
async function runCyrusBackupCommand(ctx: CliContext, host: HostContext, args: CommandArgs): Promise<number> {
  if (args.positionals.length) {
    throw new UsageError('a Cyrus backup is host-wide: give no ACCOUNT', { hint: 'mailops backup --kind full|incr (mailops cyrus-restore restores one folder of an account)' });
  }
  const options = cyrusBackupOptions(args.values);
  if (args.values['dry-run']) {
    const env = await cyrusEnv(host, ctx.signal);
    const built = buildCyrusBackupScript(host, env, options);
    const l = cyrusLayout(host.config);
    const plan = [
      `create ${l.archives} and ${l.logs}; log to ${l.logs}/<stamp>-cyrus-${options.kind}.log`,
      options.noWait ? `take the lock ${l.lock}, or skip if another run holds it` : `take the lock ${l.lock}, waiting up to ${options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT}s`,
      `dump mailboxes.db with ${env.toolsDir}/ctl_mboxlist -C ${env.config} -d into ${l.archives}/<id>.mailboxes.txt`,
      `tar ${options.kind} archive (--listed-incremental) of ${Object.values(env.probe.partitions).join(', ')} and ${env.probe.configDirectory} into ${l.archives}/<stamp>-<level>.tar.gz`,
      'verify with tar -tzf',
      `retention: keep the newest ${options.keep ?? DEFAULT_KEEP} anchor full chains (verified, no sharp drop in the message count) and everything newer; older chains go`,
    ];
    const command = shellLine(withPrivilege(['sh', '-c', '<script below>', built.name, ...built.args], host.config.privilege));
    ctx.result({ dryRun: true, server: 'cyrus', options, plan, command, script: built.script, args: built.args }, (v) =>
      ['# what it would do:', ...v.plan.map((p, i) => `#  ${i + 1}. ${p}`), `# command: ${v.command}`, '# script:', v.script].join('\n'),
    );
    return 0;
  }
  const r = await cyrusBackup(host, options, {
    signal: ctx.signal,
    onLine: (line) => {
      if (!ctx.json || process.env.MAILOPS_VERBOSE) process.stderr.write(`${line}\n`);
    },
  });
  const { events: _events, ...shown } = r;
  void _events;
  ctx.result({ server: 'cyrus', ...shown }, () => renderCyrusResult(r));
  if (r.skipped || r.exitCode === 3) return 2;
  if (!r.ok) return 1;
  return r.exitCode === 0 && r.verified && !r.warnings.length ? 0 : 2;
}

function renderResult(r: BackupResult): string {
  const lines: string[] = [];
  if (r.skipped) return `skipped: another run for ${r.account} holds the lock (--no-wait)`;
  lines.push(`${r.ok ? (r.exitCode === 0 ? 'ok' : 'done with warnings') : 'FAILED'}: ${r.kind} backup of ${r.account}`);
  if (r.doveadmExit !== null) {
    lines.push(`  doveadm backup: exit ${r.doveadmExit}${r.meaning ? ` (${r.meaning})` : ''}`);
    lines.push(`  ${r.inSync ? `in sync${r.retries ? ` after ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}` : ''}` : r.inSync === false ? `NOT fully in sync after ${r.retries} retries` : 'not synced'}`);
    lines.push(`  state replaced: ${r.stateReplaced ? 'yes' : 'no (the previous state file is unchanged)'}`);
  }
  for (const w of r.remainingWarnings) lines.push(`  warning [${w.kind}]: ${w.meaning}\n    next: ${w.action}`);
  if (r.action) lines.push(`  next: ${r.action}`);
  if (r.oldMirror) lines.push(`  old mirror kept: ${r.oldMirror} (remove it yourself when no longer needed)`);
  if (r.archive) lines.push(`  archive: ${r.archive.path} (${r.archive.level}, ${r.archive.bytes ?? '?'} bytes, ${r.archive.verified ? 'verified' : 'NOT verified'})`);
  if (r.waited) lines.push('  waited for another run to release the lock');
  if (r.failure?.meaning) lines.push(`  why: ${r.failure.meaning}`, ...(r.failure.hint ? [`  next: ${r.failure.hint}`] : []));
  if (r.log) lines.push(`  log on the host: ${r.log}`);
  return lines.join('\n');
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'back up a Dovecot account (doveadm mirror, tar full/diff/incr archives) or a Cyrus host (tar full/incr of the spool)',
  usage: 'ACCOUNT [--kind mirror|full|diff|incr] [--live] [--fresh] [--no-wait] [--keep N] [--force] [--dry-run]\n       mailops backup [--kind full|incr] [--no-wait] [--keep N] [--force] [--dry-run]   (Cyrus host: host-wide, no ACCOUNT)',
  help: [
    'Dispatches on the host\'s server kind (its "server"; for "detect" hosts the probe decides, or --server dovecot|cyrus).',
    'Dovecot: runs ONE script on the host under the account\'s lock; its step lines (MAILOPS <time> <step> <status> k=v…)',
    'and doveadm\'s own messages stream to stderr and into logs/<stamp>-<kind>.log on the host.',
    'Cyrus: the same kind of script and log (logs/<stamp>-cyrus-<kind>.log), host-wide: a mailboxes.db dump, then a tar',
    'archive of the partitions and the config dir; --kind full or incr (default incr; the first run is full). `cyrus-backup` is an alias.',
    'Both keep the newest --keep N full archive chains that are retention anchors (default 2): a full is an anchor when it is',
    'verified and its message count did not drop sharply (to zero, or by more than half); older chains go only behind N anchors.',
    'A mirror run that would empty a non-empty mirror (the account has no messages: is the mail volume mounted?) is refused,',
    'and a full whose count dropped is kept but fails the run; --force accepts the drop.',
    'Exit codes: 0 in sync / done, 1 failed, 2 done but warnings remain, not verified, or skipped (--no-wait).',
  ].join('\n'),
  options: {
    kind: { type: 'string', valueName: 'mirror|full|diff|incr', description: 'Dovecot: mirror only (default), or mirror then a tar archive of that level; Cyrus: full or incr (default)' },
    live: { type: 'boolean', description: 'archive the live maildir (under its folder locks) instead of the mirror' },
    fresh: { type: 'boolean', description: 'a fresh full mirror into a new folder (after a UIDVALIDITY change); the old one is kept' },
    'no-wait': { type: 'boolean', description: 'skip instead of waiting when another run holds the lock' },
    'lock-timeout': { type: 'string', valueName: 'SECONDS', description: 'how long to wait for the lock (default 300)' },
    keep: { type: 'string', valueName: 'N', description: 'keep the newest N full archive chains (default 2; 0 keeps all)' },
    retries: { type: 'string', valueName: 'N', description: 'retries when dsync is not in sync (default 3)' },
    force: { type: 'boolean', description: 'accept that the mail dropped: mirror an empty account, take a much smaller full as a retention anchor' },
    'dry-run': { type: 'boolean', description: 'print the generated script and what it would do; run nothing' },
  },
  needsHost: true,
  async run(ctx, args) {
    if (args.positionals.length > 1) throw new UsageError('give exactly one ACCOUNT (Dovecot) or none (Cyrus)');
    const host = await ctx.host();
    if ((await serverKind(host, args.values, 'backup', ctx.signal)) === 'cyrus') return runCyrusBackupCommand(ctx, host, args);
    const account = args.positionals[0];
    if (account === undefined) throw new UsageError('give exactly one ACCOUNT', { hint: 'a Dovecot backup is per account' });
    const options = backupOptions(args.values);
    if (args.values['dry-run']) {
      const built = buildDovecotBackupScript(host.config, account, options);
      const plan = describePlan(host.config, account, options);
      const command = shellLine(withPrivilege(['sh', '-c', '<script below>', built.name, ...built.args], host.config.privilege));
      ctx.result({ dryRun: true, account, options, plan, command, script: built.script, args: built.args }, (v) =>
        ['# what it would do:', ...v.plan.map((p, i) => `#  ${i + 1}. ${p}`), `# command: ${v.command}`, '# script:', v.script].join('\n'),
      );
      return 0;
    }
    const r = await runBackup(host, account, options, {
      signal: ctx.signal,
      onLine: (line) => {
        if (!ctx.json || process.env.MAILOPS_VERBOSE) process.stderr.write(`${line}\n`);
      },
    });
    ctx.result(
      {
        ok: r.ok,
        exitCode: r.exitCode,
        skipped: r.skipped,
        account: r.account,
        kind: r.kind,
        inSync: r.inSync,
        retries: r.retries,
        doveadmExit: r.doveadmExit,
        outcome: r.outcome,
        meaning: r.meaning,
        action: r.action,
        stateReplaced: r.stateReplaced,
        warnings: r.warnings.map(({ kind, severity, meaning, action, fields, message }) => ({ kind, severity, meaning, action, fields, message })),
        remainingWarnings: r.remainingWarnings.map(({ kind, meaning, action, message }) => ({ kind, meaning, action, message })),
        archive: r.archive,
        oldMirror: r.oldMirror,
        waited: r.waited,
        failure: r.failure,
        log: r.log,
      },
      () => renderResult(r),
    );
    return r.exitCode === 3 ? 2 : r.exitCode === 0 ? 0 : r.exitCode === 2 ? 2 : 1;
  },
};
