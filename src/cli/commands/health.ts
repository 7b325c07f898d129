import type { CliCommand } from '../types';
import { MailopsError, UsageError } from '../../core/errors';
import type { HostConfig } from '../../core/hosts/model';
import { checkHosts, DEFAULT_HOST_CONCURRENCY, DEFAULT_MAX_PROBLEMS, type HealthReport } from '../../core/health/check';
import { PrometheusFile } from '../../core/health/prometheus';
import { VERDICTS, type Problem } from '../../core/health/verdict';

export function problemLine(p: Problem): string {
  return `${p.host} ${p.account} ${p.kind} ${p.verdict}: ${p.reason}`;
}

/** First line (the monitoring plugin's status line), then one line per problem. */
export function renderHealth(r: HealthReport): string {
  const accounts = r.hosts.reduce((n, h) => n + h.accounts, 0);
  const up = r.hosts.filter((h) => h.up).length;
  const counts = VERDICTS.filter((v) => v !== 'ok' && r.counts[v] > 0).map((v) => `${r.counts[v]} ${v}`);
  const down = r.hosts.filter((h) => !h.up).map((h) => `${h.host} ${h.verdict}`);
  const lines = [`HEALTH ${r.state} - ${up}/${r.hosts.length} hosts answered${down.length ? ` (${down.join(', ')})` : ''}, ${accounts} accounts, ${r.counts.ok} ok${counts.length ? `, ${counts.join(', ')}` : ''}`];
  for (const h of r.hosts) {
    lines.push(...h.problems.map(problemLine));
    if (h.problemsLeftOut) lines.push(`${h.host} - host more: ${h.problemsLeftOut} more problems not listed (--max-problems)`);
  }
  return lines.join('\n');
}

function positiveInt(v: unknown, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^[1-9]\d*$/.test(v)) throw new UsageError(`${flag} takes a whole number from 1`);
  return Number(v);
}

export const healthCommand: CliCommand = {
  name: 'health',
  summary: 'are all accounts backed up, now? verdicts per account from the hosts themselves, for monitoring',
  usage: '[--host NAME ... | --all-hosts] [--json] [--format prometheus --out FILE]',
  help: [
    'Each host computes its accounts\' health in one script (run logs, archives, verify records under the backup root)',
    'and the accounts it serves (doveadm user \'*\' / the Cyrus mailbox owners). Verdicts: ok, stale (older than the',
    'host\'s health.maxAge: mirror 2h, full 26h, incr 26h by default), unverified, failing, never (backed up), missing',
    '(the last verify found mail missing), unreachable (the host did not answer). One line per problem:',
    '  HOST ACCOUNT KIND VERDICT: REASON',
    'after a first status line. Exit codes (monitoring plugins): 0 OK, 1 WARNING (stale, unverified),',
    '2 CRITICAL (failing, never, missing), 3 UNKNOWN (unreachable, unreadable answer, bad arguments).',
  ].join('\n'),
  options: {
    host: { type: 'string', multiple: true, valueName: 'NAME', description: 'a host of the hosts file (repeatable)' },
    'all-hosts': { type: 'boolean', description: 'every host of the hosts file' },
    format: { type: 'string', valueName: 'text|prometheus', description: 'prometheus: also write metrics to --out (text exposition format, atomically)' },
    out: { type: 'string', valueName: 'FILE', description: 'the metrics file for --format prometheus (e.g. node_exporter\'s textfile folder)' },
    concurrency: { type: 'string', valueName: 'N', description: `hosts checked at once (default ${DEFAULT_HOST_CONCURRENCY})` },
    'max-problems': { type: 'string', valueName: 'N', description: `problems listed per host (default ${DEFAULT_MAX_PROBLEMS}; the rest are counted)` },
  },
  needsHost: true,
  async run(ctx, args) {
    let metrics: PrometheusFile | null = null;
    try {
      if (args.positionals.length) throw new UsageError('health takes no positional arguments');
      const format = (args.values.format as string | undefined) ?? 'text';
      if (format !== 'text' && format !== 'prometheus') throw new UsageError(`--format must be text or prometheus, not "${format}"`);
      const out = args.values.out as string | undefined;
      if (format === 'prometheus' && !out) throw new UsageError('--format prometheus writes to a file: give it with --out FILE');
      if (out && format !== 'prometheus') throw new UsageError('--out goes with --format prometheus');
      const concurrency = positiveInt(args.values.concurrency, '--concurrency', DEFAULT_HOST_CONCURRENCY);
      const maxProblems = positiveInt(args.values['max-problems'], '--max-problems', DEFAULT_MAX_PROBLEMS);
      const names = (args.values.host as string[] | undefined) ?? [];
      const all = args.values['all-hosts'] === true;
      if (all && names.length) throw new UsageError('--all-hosts and --host exclude each other');
      let hosts: HostConfig[];
      if (all || names.length) {
        const file = await ctx.hostsFile();
        if (all) {
          if (!file.hosts.length) throw new UsageError(`${file.path} lists no hosts`);
          hosts = file.hosts;
        } else {
          hosts = names.map((n) => file.hosts.find((h) => h.name === n) ?? (() => { throw new UsageError(`no host named "${n}" in ${file.path}`, { hint: `known hosts: ${file.hosts.map((h) => h.name).join(', ')}` }); })());
        }
      } else {
        // One host the usual way: --ssh / --local / $MAILOPS_HOST.
        const one = await ctx.host();
        hosts = [one.config];
      }
      if (out) metrics = new PrometheusFile(out);
      const m = metrics;
      const report = await checkHosts(hosts, (h) => ctx.connect(h), { concurrency, maxProblems, signal: ctx.signal, onAccount: m ? (a) => m.account(a) : undefined });
      if (m) {
        for (const h of report.hosts) m.host(h);
        m.commit();
        ctx.info(`metrics written to ${out}`);
      }
      ctx.result(report, renderHealth);
      return report.exitCode;
    } catch (e) {
      metrics?.discard();
      if (ctx.signal.aborted || !(e instanceof MailopsError)) throw e;
      // The monitoring convention: anything that keeps the check from answering is UNKNOWN (3).
      ctx.result({ ok: false, state: 'UNKNOWN', exitCode: 3, ...e.toJSON() }, () => `HEALTH UNKNOWN - ${e.message}`);
      return 3;
    }
  },
};
