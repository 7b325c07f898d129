/**
 * Row 1: 200 small remote commands (`true`), one after another: Mailops' pooled ssh2 connection
 * (src/core/transport, one channel per command) vs a fresh `ssh HOST true` per command vs OpenSSH multiplexing
 * (ControlMaster=auto, ControlPersist=60; the master is up before timing, as it is for an operator after the
 * first command). Mailops' connection is opened before timing too (the extension keeps it); its cost is shown.
 *
 * Row 2: 50 commands `sleep 0.2; echo x` on one host at once through the transport, vs the same 50 one after
 * another through the same transport.
 */
import { rmSync } from 'node:fs';
import { runChild } from '../lib/child';
import { benchHost, controlMasterOpts, sshBase, sshTarget } from '../lib/env';
import { timedOk } from '../lib/proc';
import type { Row, RowLine } from '../lib/row';
import { fmtMs, fmtRatio, median } from '../lib/stats';

const N1 = 200;
const N2 = 50;

export const row1: Row = async ({ sb, runs, log }) => {
  const host = benchHost(sb);
  const cmPath = `/tmp/mailops-bench-cm-${process.pid}`;
  const cm = [...sshBase(sb), ...controlMasterOpts(cmPath)];
  const mailops: number[] = [];
  const connect: number[] = [];
  const fresh: number[] = [];
  const master: number[] = [];
  // Fresh ssh costs ~N1 handshakes per run: fewer runs of it keep the bench short (stated in the notes).
  const freshRuns = Math.min(runs, 3);
  try {
    // Warm the ControlMaster (the first call starts it and stays up for ControlPersist=60 s).
    await timedOk('ssh', [...cm, sshTarget(sb), 'true']);
    for (let i = 0; i < runs; i++) {
      const m = await runChild({ task: 'commands', host, argv: ['true'], count: N1, mode: 'sequential' });
      mailops.push(m.ms);
      connect.push(m.connectMs);
      let t = 0;
      for (let k = 0; k < N1; k++) t += (await timedOk('ssh', [...cm, sshTarget(sb), 'true'])).ms;
      master.push(t);
      if (i < freshRuns) {
        t = 0;
        for (let k = 0; k < N1; k++) t += (await timedOk('ssh', [...sshBase(sb), sshTarget(sb), 'true'])).ms;
        fresh.push(t);
      }
      log(`run ${i + 1}: mailops ${fmtMs(m.ms)} (connect ${fmtMs(m.connectMs)}), ControlMaster ${fmtMs(master.at(-1)!)}${i < freshRuns ? `, fresh ssh ${fmtMs(fresh.at(-1)!)}` : ''}`);
    }
  } finally {
    await timedOk('ssh', [...cm, '-O', 'exit', sshTarget(sb)]).catch(() => undefined);
    rmSync(cmPath, { force: true });
  }
  const mm = median(mailops);
  const mf = median(fresh);
  const mc = median(master);
  const speedup = mf / mm;
  const vsCm = mm / mc;
  const per = (ms: number) => `${fmtMs(ms)} (${(ms / N1).toFixed(2)} ms/cmd)`;
  const a: RowLine = {
    id: '1a',
    what: `${N1} x \`true\`, sequential: pooled vs fresh ssh`,
    mailops: per(mm),
    peer: `fresh ssh ${per(mf)}`,
    ratio: speedup,
    ratioLabel: 'faster',
    target: '>= 10x faster',
    verdict: speedup >= 10 ? 'OK' : 'MISSED',
    notes: [
      `Mailops' connection opened once before timing (connect median ${fmtMs(median(connect))}); with it included: ${fmtRatio(mf / (mm + median(connect)))} faster`,
      `fresh ssh: ${fresh.length} runs (each ${N1} handshakes), the others ${runs} runs`,
      ...(speedup >= 10 ? [] : [`MISSED: ${fmtRatio(speedup)} faster than fresh ssh, target 10x (Mailops ${fmtMs(mm)}, fresh ssh ${fmtMs(mf)})`]),
    ],
    data: { mailopsMs: mailops, mailopsConnectMs: connect, freshSshMs: fresh },
  };
  const b: RowLine = {
    id: '1b',
    what: `${N1} x \`true\`, sequential: pooled vs ControlMaster`,
    mailops: per(mm),
    peer: `ControlMaster ${per(mc)}`,
    ratio: vsCm,
    ratioLabel: 'of its time',
    target: '<= 1.00x (no slower)',
    verdict: vsCm <= 1 ? 'OK' : 'MISSED',
    notes: vsCm <= 1 ? [] : [`MISSED: Mailops takes ${fmtRatio(vsCm)} the time of ControlMaster (${fmtMs(mm)} vs ${fmtMs(mc)})`],
    data: { mailopsMs: mailops, controlMasterMs: master },
  };
  return [a, b];
};

export const row2: Row = async ({ sb, runs, log }) => {
  const host = benchHost(sb);
  const argv = ['sh', '-c', 'sleep 0.2; echo x'];
  const conc: number[] = [];
  const seq: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await runChild({ task: 'commands', host, argv, count: N2, mode: 'concurrent' });
    const s = await runChild({ task: 'commands', host, argv, count: N2, mode: 'sequential' });
    conc.push(c.ms);
    seq.push(s.ms);
    log(`run ${i + 1}: concurrent ${fmtMs(c.ms)}, sequential ${fmtMs(s.ms)}`);
  }
  const mc = median(conc);
  const ms = median(seq);
  return [
    {
      id: '2',
      what: `${N2} x \`sleep 0.2; echo x\`: at once vs one by one (same transport)`,
      mailops: `at once ${fmtMs(mc)} (${(N2 / (mc / 1000)).toFixed(1)} cmd/s)`,
      peer: `one by one ${fmtMs(ms)} (${(N2 / (ms / 1000)).toFixed(1)} cmd/s)`,
      ratio: ms / mc,
      ratioLabel: 'throughput',
      target: 'none set (8 channels/connection; sshd MaxSessions 10)',
      verdict: 'INFO',
      notes: [`ideal with 8 channels at once: ${Math.ceil(N2 / 8)} waves x 0.2 s = ${(Math.ceil(N2 / 8) * 0.2).toFixed(1)} s, i.e. ${(N2 / Math.ceil(N2 / 8)).toFixed(1)}x`],
      data: { concurrentMs: conc, sequentialMs: seq },
    },
  ];
};
