/**
 * Row 4: listing the 100,000 messages of one mailbox: Mailops (listMessages: `mailbox status` for the GUID, then
 * the streamed `doveadm -f json fetch … mailbox-guid G`, each object mapped to a MessageSummary and dropped) vs raw
 * `ssh HOST doveadm -f json fetch -u U FIELDS mailbox INBOX` into /dev/null, same fields (FETCH_FIELDS).
 * Memory: the Mailops child's peak RSS at 10,000 and 100,000 messages.
 */
import { runChild } from '../lib/child';
import { benchHost, sshArgs } from '../lib/env';
import { BIG, fetchLine, MSG_USERS, prepareMessages, SMALL } from '../lib/msgData';
import { timedOk } from '../lib/proc';
import type { Row } from '../lib/row';
import { fmtMB, fmtMs, fmtRatio, median } from '../lib/stats';

export const row4: Row = async (ctx) => {
  const { sb, runs, log } = ctx;
  const { inst, gen } = await prepareMessages(ctx);
  const host = benchHost(sb, { dovecot: { config: inst.conf } });
  const r: Record<string, { m: number[]; p: number[]; rss: number[]; heap: number[]; conn: number[]; count: number }> = {};
  for (const [key, user] of [['small', MSG_USERS.small], ['big', MSG_USERS.big]] as const) {
    const x = (r[key] = { m: [] as number[], p: [] as number[], rss: [] as number[], heap: [] as number[], conn: [] as number[], count: 0 });
    for (let i = 0; i < runs; i++) {
      const m = await runChild({ task: 'messages', host, account: user, mailbox: 'INBOX' });
      const p = await timedOk('ssh', sshArgs(sb, fetchLine(inst, user, 'INBOX')), { stdoutToNull: true });
      x.m.push(m.ms);
      x.p.push(p.ms);
      x.rss.push(m.maxRssKb);
      x.heap.push(m.heapPeak);
      x.conn.push(m.connectMs);
      x.count = m.count as number;
      log(`${user} run ${i + 1}: mailops ${fmtMs(m.ms)} (${String(m.count)} messages, RSS ${fmtMB(m.maxRssKb)}, heap ${(m.heapPeak / 2 ** 20).toFixed(0)} MB), raw doveadm fetch ${fmtMs(p.ms)}`);
    }
  }
  const big = r.big!;
  const small = r.small!;
  if (big.count !== BIG || small.count !== SMALL) throw new Error(`expected ${BIG} and ${SMALL} messages, Mailops listed ${big.count} and ${small.count}`);
  const ratio = median(big.m) / median(big.p);
  const growth = median(big.rss) / median(small.rss);
  const ok = ratio <= 1.2;
  const flat = growth <= 1.25;
  return [
    {
      id: '4',
      what: 'list 100,000 messages of one mailbox (fetch, 12 fields)',
      mailops: `${fmtMs(median(big.m))}; RSS ${fmtMB(median(small.rss))} @10,000 -> ${fmtMB(median(big.rss))} @100,000; heap ${(median(small.heap) / 2 ** 20).toFixed(0)} -> ${(median(big.heap) / 2 ** 20).toFixed(0)} MB`,
      peer: `ssh doveadm fetch > /dev/null ${fmtMs(median(big.p))}`,
      ratio,
      ratioLabel: 'of its time',
      target: '<= 1.2x; RSS flat (<= 1.25x at 10x data)',
      verdict: ok && flat ? 'OK' : 'MISSED',
      notes: [
        `10,000 messages: Mailops ${fmtMs(median(small.m))} vs raw ${fmtMs(median(small.p))} (${fmtRatio(median(small.m) / median(small.p))})`,
        `Mailops does a mailbox status (GUID) before the fetch, included; its connection was opened before timing (connect ${fmtMs(median(big.conn))}), the raw ssh includes its handshake`,
        `memory: peak RSS x${growth.toFixed(2)} for 10x the messages${flat ? '' : ' — MISSED: not flat'}`,
        `data: 100,000 maildir files written in ${fmtMs(gen.bigWriteMs as number)}, first fetch (uidlist, index, cache) ${fmtMs(gen.bigIndexMs as number)}${gen.reused ? `, reused from ${gen.at}` : ''}`,
        ...(ok ? [] : [`MISSED: ${fmtRatio(ratio)} the time of raw doveadm fetch (Mailops ${fmtMs(median(big.m))}, raw ${fmtMs(median(big.p))}), target 1.2x`]),
      ],
      data: { ...r, generated: gen },
    },
  ];
};
