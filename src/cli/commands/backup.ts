import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { shellLine } from '../../core/transport/quote';
import { withPrivilege } from '../../core/hosts/model';
import { BACKUP_KINDS, buildDovecotBackupScript, describePlan, runBackup, type BackupKind, type BackupOptions, type BackupResult } from '../../core/dovecot/backup';
import type { CommandArgs } from '../types';

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
  };
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
  if (r.log) lines.push(`  log on the host: ${r.log}`);
  return lines.join('\n');
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'back up a Dovecot account: stateful doveadm mirror, tar full/diff/incr archives',
  usage: 'ACCOUNT [--kind mirror|full|diff|incr] [--live] [--fresh] [--no-wait] [--keep N] [--dry-run]',
  help: [
    'Runs ONE script on the host under the account\'s lock; its step lines (MAILOPS <time> <step> <status> k=v…)',
    'and doveadm\'s own messages stream to stderr and into logs/<stamp>-<kind>.log on the host.',
    'Exit codes: 0 in sync / done, 1 failed, 2 done but warnings remain, not verified, or skipped (--no-wait).',
  ].join('\n'),
  options: {
    kind: { type: 'string', valueName: 'mirror|full|diff|incr', description: 'mirror only (default), or mirror then a tar archive of that level' },
    live: { type: 'boolean', description: 'archive the live maildir (under its folder locks) instead of the mirror' },
    fresh: { type: 'boolean', description: 'a fresh full mirror into a new folder (after a UIDVALIDITY change); the old one is kept' },
    'no-wait': { type: 'boolean', description: 'skip instead of waiting when another run holds the lock' },
    'lock-timeout': { type: 'string', valueName: 'SECONDS', description: 'how long to wait for the lock (default 300)' },
    keep: { type: 'string', valueName: 'N', description: 'keep the newest N full archive chains (default 2; 0 keeps all)' },
    retries: { type: 'string', valueName: 'N', description: 'retries when dsync is not in sync (default 3)' },
    'dry-run': { type: 'boolean', description: 'print the generated script and what it would do; run nothing' },
  },
  needsHost: true,
  async run(ctx, args) {
    const account = args.positionals[0];
    if (account === undefined || args.positionals.length > 1) throw new UsageError('give exactly one ACCOUNT');
    const options = backupOptions(args.values);
    const host = await ctx.host();
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
        log: r.log,
      },
      () => renderResult(r),
    );
    return r.exitCode === 3 ? 2 : r.exitCode === 0 ? 0 : r.exitCode === 2 ? 2 : 1;
  },
};
