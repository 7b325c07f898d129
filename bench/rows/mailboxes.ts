/**
 * Row 3: listing every mailbox of every account, 25,000 in all (100 bench accounts x 250 mailboxes, empty), through
 * Mailops (the Dovecot engine's streaming `doveadm -f json mailbox status -A` reader over the pooled connection,
 * each object mapped by toMailboxStatus and dropped) vs raw `ssh HOST doveadm -f json mailbox status -A FIELDS '*'`
 * into /dev/null. Same fields (STATUS_FIELDS). Memory: the Mailops child's peak RSS and heap at 2,500 (10 x 250)
 * and 25,000 mailboxes. Also shown: what the tree/CLI path costs (listAccounts, then listMailboxes per account,
 * 8 at a time).
 */
import { runChild } from '../lib/child';
import { startInstance, type BenchDovecot } from '../lib/dovecotBench';
import { benchHost, sshArgs } from '../lib/env';
import { generateMailboxes, manifest, saveManifest, type Generated } from '../lib/gen';
import { timedOk } from '../lib/proc';
import type { Row, RowContext } from '../lib/row';
import { fmtMB, fmtMs, fmtRatio, median } from '../lib/stats';
import { STATUS_FIELDS } from '../../src/core/dovecot/mailboxes';

const PER_USER = 250;
const SETS = [
  { key: 'l2k5', users: 10, prefix: 'bms' },
  { key: 'l25k', users: 100, prefix: 'bml' },
] as const;

async function prepare(ctx: RowContext, set: (typeof SETS)[number]): Promise<{ inst: BenchDovecot; gen: Generated }> {
  const { sb, log } = ctx;
  const users = Array.from({ length: set.users }, (_, i) => `${set.prefix}${String(i).padStart(3, '0')}`);
  const inst = await startInstance(set.key, users, sb.dovecot.mailUid, sb.dovecot.mailGid);
  let gen = manifest(inst.dir, 'mailboxes');
  if (!gen) {
    const writeMs = await generateMailboxes(inst, users, PER_USER, sb.dovecot.mailUid, sb.dovecot.mailGid);
    // First pass: Dovecot creates the index files of every mailbox (not timed as a listing).
    const first = await timedOk('ssh', sshArgs(sb, peerLine(inst)), { stdoutToNull: true });
    gen = saveManifest(inst.dir, 'mailboxes', { writeMs, indexMs: first.ms, mailboxes: set.users * PER_USER });
  }
  log(`${set.key}: ${set.users * PER_USER} mailboxes, generated in ${fmtMs(gen.writeMs)} + first index pass ${fmtMs(gen.indexMs ?? NaN)}${gen.reused ? ` (reused, generated ${gen.at})` : ''}`);
  return { inst, gen };
}

function peerLine(inst: BenchDovecot): string {
  return `doveadm -c ${inst.conf} -f json mailbox status -A '${STATUS_FIELDS.join(' ')}' '*'`;
}

export const row3: Row = async (ctx) => {
  const { sb, runs, log } = ctx;
  const res: Record<string, { m: number[]; p: number[]; rss: number[]; heap: number[]; conn: number[]; count: number; gen: Generated }> = {};
  const perAccount: number[] = [];
  for (const set of SETS) {
    const { inst, gen } = await prepare(ctx, set);
    const host = benchHost(sb, { dovecot: { config: inst.conf } });
    const r = (res[set.key] = { m: [] as number[], p: [] as number[], rss: [] as number[], heap: [] as number[], conn: [] as number[], count: 0, gen });
    for (let i = 0; i < runs; i++) {
      const m = await runChild({ task: 'mailboxes', host, users: ['-A'] });
      const p = await timedOk('ssh', sshArgs(sb, peerLine(inst)), { stdoutToNull: true });
      r.m.push(m.ms);
      r.p.push(p.ms);
      r.rss.push(m.maxRssKb);
      r.heap.push(m.heapPeak);
      r.conn.push(m.connectMs);
      r.count = m.count as number;
      log(`${set.key} run ${i + 1}: mailops ${fmtMs(m.ms)} (${String(m.count)} mailboxes, RSS ${fmtMB(m.maxRssKb)}, heap ${(m.heapPeak / 2 ** 20).toFixed(0)} MB), raw doveadm ${fmtMs(p.ms)}`);
      if (set.key === 'l25k' && i < Math.min(runs, 2)) {
        const pa = await runChild({ task: 'mailboxesPerAccount', host });
        perAccount.push(pa.ms);
        log(`l25k run ${i + 1}: per-account listing (tree/CLI path) ${fmtMs(pa.ms)} (${String(pa.count)} mailboxes)`);
      }
    }
  }
  const big = res.l25k!;
  const small = res.l2k5!;
  const ratio = median(big.m) / median(big.p);
  const withConn = (median(big.m) + median(big.conn)) / median(big.p);
  const rssGrowth = median(big.rss) / median(small.rss);
  const ok = ratio <= 1.2;
  const flat = rssGrowth <= 1.25;
  const gen = big.gen;
  return [
    {
      id: '3',
      what: `list ${big.count.toLocaleString('en-US')} mailboxes (100 accounts, mailbox status -A)`,
      mailops: `${fmtMs(median(big.m))}; RSS ${fmtMB(median(small.rss))} @2,500 -> ${fmtMB(median(big.rss))} @25,000; heap ${(median(small.heap) / 2 ** 20).toFixed(0)} -> ${(median(big.heap) / 2 ** 20).toFixed(0)} MB`,
      peer: `ssh doveadm -A > /dev/null ${fmtMs(median(big.p))}`,
      ratio,
      ratioLabel: 'of its time',
      target: '<= 1.2x; RSS flat (<= 1.25x at 10x data)',
      verdict: ok && flat ? 'OK' : 'MISSED',
      notes: [
        `2,500 mailboxes: Mailops ${fmtMs(median(small.m))} vs raw ${fmtMs(median(small.p))} (${fmtRatio(median(small.m) / median(small.p))})`,
        `Mailops' connection opened before timing (connect ${fmtMs(median(big.conn))}); the raw ssh includes its handshake; with connect included: ${fmtRatio(withConn)}`,
        `memory: peak RSS x${rssGrowth.toFixed(2)} for 10x the mailboxes (${fmtMB(median(small.rss))} -> ${fmtMB(median(big.rss))})${flat ? '' : ' — MISSED: not flat'}`,
        `tree/CLI path (listAccounts + listMailboxes per account, 8 at a time): ${perAccount.length ? fmtMs(median(perAccount)) : 'n/a'} for 25,000 (${perAccount.length} runs)`,
        `data: empty maildirs written in ${fmtMs(gen.writeMs)}, first Dovecot pass (index files) ${fmtMs(gen.indexMs ?? NaN)}${gen.reused ? `, reused from ${gen.at}` : ''}; bench-only Dovecot instance (/var/tmp/mailops-bench)`,
        ...(ok ? [] : [`MISSED: ${fmtRatio(ratio)} the time of raw doveadm (Mailops ${fmtMs(median(big.m))}, raw ${fmtMs(median(big.p))}), target 1.2x`]),
      ],
      data: { ...res, perAccountMs: perAccount },
    },
  ];
};
