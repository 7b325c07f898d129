/**
 * Row 8: a full mirror backup of one account (bmbak: 10 folders x 1,000 messages) through Mailops (runBackup kind
 * mirror: the backup script over the pooled connection, first run = full doveadm backup into a new mirror, state
 * saved atomically, flock, run log) vs raw `ssh HOST doveadm backup -u bmbak maildir:DEST:LAYOUT=fs` into an empty
 * folder. Both destinations are removed before every run, so every run is a full mirror.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runChild } from '../lib/child';
import { BENCH_DIR, benchHost, sshArgs } from '../lib/env';
import { chownR } from '../lib/gen';
import { BAK_FOLDERS, BAK_PER, MSG_USERS, prepareMessages } from '../lib/msgData';
import { timedOk } from '../lib/proc';
import type { Row } from '../lib/row';
import { fmtMs, fmtRatio, median } from '../lib/stats';

export const row8: Row = async (ctx) => {
  const { sb, runs, log } = ctx;
  const { inst } = await prepareMessages(ctx);
  const root = path.join(BENCH_DIR, 'backups');
  const rawRoot = path.join(BENCH_DIR, 'raw-backup');
  const host = benchHost(sb, { dovecot: { config: inst.conf, backupRoot: root } });
  const user = MSG_USERS.backup;
  const m: number[] = [];
  const p: number[] = [];
  let last: unknown;
  for (let i = 0; i < runs; i++) {
    // Both emptied and the page cache's dirty pages written out before each side (dsync fsyncs).
    const mailopsSide = async () => {
      rmSync(path.join(root, 'dovecot', user), { recursive: true, force: true });
      await timedOk('sync', []);
      return runChild({ task: 'backup', host, account: user });
    };
    const rawSide = async () => {
      rmSync(rawRoot, { recursive: true, force: true });
      mkdirSync(rawRoot, { recursive: true });
      await chownR(rawRoot, sb.dovecot.mailUid, sb.dovecot.mailGid);
      await timedOk('sync', []);
      return timedOk('ssh', sshArgs(sb, `doveadm -c ${inst.conf} backup -u ${user} maildir:${path.join(rawRoot, user)}:LAYOUT=fs`));
    };
    // Alternate which side goes first.
    let c, r;
    if (i % 2 === 0) {
      c = await mailopsSide();
      r = await rawSide();
    } else {
      r = await rawSide();
      c = await mailopsSide();
    }
    last = c.result;
    const outcome = (c.result as { outcome?: string; exitCode?: number } | undefined) ?? {};
    m.push(c.ms);
    p.push(r.ms);
    log(`run ${i + 1}: mailops ${fmtMs(c.ms)} (${JSON.stringify(outcome).slice(0, 160)}), raw doveadm backup ${fmtMs(r.ms)}`);
  }
  const ratio = median(m) / median(p);
  const ok = ratio <= 1.1;
  return [
    {
      id: '8',
      what: `full mirror backup, ${(BAK_FOLDERS * BAK_PER).toLocaleString('en-US')} messages in ${BAK_FOLDERS} folders`,
      mailops: `runBackup mirror ${fmtMs(median(m))}`,
      peer: `ssh doveadm backup ${fmtMs(median(p))}`,
      ratio,
      ratioLabel: 'of its time',
      target: '<= 1.1x',
      verdict: ok ? 'OK' : 'MISSED',
      notes: [
        'both destinations emptied (and `sync`) before every run, sides alternate who goes first (full mirror each time); Mailops adds flock, doveadm user lookups, atomic state file and run log',
        ...(ok ? [] : [`MISSED: ${fmtRatio(ratio)} the time of raw doveadm backup (Mailops ${fmtMs(median(m))}, raw ${fmtMs(median(p))}), target 1.1x`]),
      ],
      data: { mailopsMs: m, rawMs: p, lastResult: last },
    },
  ];
};
