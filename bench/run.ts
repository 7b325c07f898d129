/**
 * `npm run bench` (scripts/bench): Mailops against what operators run today, on the sandbox (127.0.0.1 only).
 *
 *   node --import tsx bench/run.ts [--rows 1,2,7] [--runs 5] [--out bench/results/latest.json] [--clean]
 *
 * Every row measures Mailops and its peer in the same run, on the same machine and data, `--runs` times each
 * (interleaved), and reports medians and their ratio. Data is generated under /var/tmp/mailops-bench (bench-only
 * Dovecot instances and a bench Cyrus user; the seeded test accounts are never touched) and kept for reruns;
 * --clean removes it. Results: bench/results/latest.json; the table goes to stdout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, sandbox } from './lib/env';
import { notMeasured, type Row, type RowLine } from './lib/row';
import { renderTable } from './lib/table';
import { fmtMs, nowMs } from './lib/stats';

const ROOT = path.resolve(__dirname, '..');

const ROWS: Record<number, { title: string; load: () => Promise<Row> }> = {
  1: { title: '200 small remote commands', load: async () => (await import('./rows/commands')).row1 },
  2: { title: '50 concurrent commands', load: async () => (await import('./rows/commands')).row2 },
  3: { title: '25,000 mailboxes', load: async () => (await import('./rows/mailboxes')).row3 },
  4: { title: '100,000 messages', load: async () => (await import('./rows/messages')).row4 },
  5: { title: 'unexpunge -l parsing', load: async () => (await import('./rows/unexpunge')).row5 },
  6: { title: 'tail of a 2 GB log', load: async () => (await import('./rows/tail')).row6 },
  7: { title: 'restore preview, 100,000 rows', load: async () => (await import('./rows/webview')).row7 },
  8: { title: 'full mirror backup', load: async () => (await import('./rows/backup')).row8 },
  9: { title: '200 sequential small commands (session runner)', load: async () => (await import('./rows/runner')).row9 },
};

function parseArgs(argv: string[]): { rows: number[]; runs: number; out: string; clean: boolean } {
  let rows = Object.keys(ROWS).map(Number);
  let runs = 5;
  let out = path.join(ROOT, 'bench/results/latest.json');
  let clean = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--rows' || a.startsWith('--rows=')) rows = val().split(',').map((s) => Number(s.trim()));
    else if (a === '--runs' || a.startsWith('--runs=')) runs = Number(val());
    else if (a === '--out' || a.startsWith('--out=')) out = path.resolve(val());
    else if (a === '--clean') clean = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm run bench -- [--rows 1,2,7] [--runs 5] [--out FILE] [--clean]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const r of rows) if (!ROWS[r]) throw new Error(`no row ${r} (rows: ${Object.keys(ROWS).join(',')})`);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs must be 1..50');
  return { rows, runs, out, clean };
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.clean) {
    const { stopAll } = await import('./lib/dovecotBench');
    await stopAll();
    rmSync(BENCH_DIR, { recursive: true, force: true });
    console.log(`bench: removed ${BENCH_DIR}`);
    return;
  }
  const t0 = nowMs();
  const sb = await sandbox();
  const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
  const lines: RowLine[] = [];
  const timings: Record<string, number> = {};
  try {
    for (const r of opts.rows) {
      const def = ROWS[r]!;
      const rt = nowMs();
      log(`row ${r}: ${def.title} (${opts.runs} runs)`);
      try {
        const row = await def.load();
        const got = await row({ sb, runs: opts.runs, log: (m) => log(`  [${r}] ${m}`) });
        lines.push(...got);
      } catch (e) {
        log(`row ${r} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        lines.push(notMeasured(String(r), def.title, `the row failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300)}`));
      }
      timings[`row${r}`] = Math.round(nowMs() - rt);
      log(`row ${r} done in ${fmtMs(nowMs() - rt)}`);
    }
  } finally {
    const { stopAll } = await import('./lib/dovecotBench');
    await stopAll();
  }
  const total = nowMs() - t0;
  const table = renderTable(lines);
  console.log(table);
  console.log(`\nbench: ${opts.rows.length} rows, ${opts.runs} runs each, ${fmtMs(total)} in all`);
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? '';
  const result = {
    date: new Date().toISOString(),
    commit: sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    machine: { cpus: os.cpus().length, cpu, memGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() },
    versions: { node: process.version, openssh: spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim(), dovecot: sb.dovecot.version, cyrus: sb.cyrus.version },
    runs: opts.runs,
    rows: opts.rows,
    totalMs: Math.round(total),
    rowMs: timings,
    lines,
    table,
  };
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(`${opts.out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  rmSync(opts.out, { force: true });
  writeFileSync(opts.out, readFileSync(`${opts.out}.tmp`));
  rmSync(`${opts.out}.tmp`, { force: true });
  log(`results written to ${path.relative(process.cwd(), opts.out)}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
