/**
 * Row 9 (issue 17.3): 200 sequential small commands, `echo mailops-I`, each one's output checked: Mailops
 * through its session runner (one channel for every command) vs a fresh `ssh HOST CMD` per command vs OpenSSH
 * multiplexing (ControlMaster=auto; the master started and one command run before timing, as Mailops'
 * connection is opened and one pass run before timing). Mailops' channel-per-command path is shown beside
 * them (INFO). Correctness first: every side runs and checks its commands before the timed pass (fresh ssh:
 * 10 of them, each a handshake), and the timed pass checks every output too.
 */
import { rmSync } from 'node:fs';
import { runChild } from '../lib/child';
import { benchHost, controlMasterOpts, sshBase, sshTarget } from '../lib/env';
import { timedOk } from '../lib/proc';
import type { Row, RowLine } from '../lib/row';
import { fmtMs, fmtRatio, median } from '../lib/stats';

const N = 200;
const FRESH_CHECK = 10;
const TARGET_FRESH = 20;
const TARGET_CM = 4;

/** Run `echo mailops-I` with OpenSSH, check what it printed; returns the wall time of the ssh process. */
async function sshEcho(args: string[], target: string, i: number): Promise<number> {
  const r = await timedOk('ssh', [...args, target, 'echo', `mailops-${i}`], { keepStdout: true });
  const out = r.stdout!.toString('utf8');
  if (out !== `mailops-${i}\n`) throw new Error(`ssh command ${i} printed ${JSON.stringify(out)}`);
  return r.ms;
}

export const row9: Row = async ({ sb, runs, log }) => {
  const cmPath = `/tmp/mailops-bench-cm9-${process.pid}`;
  const cm = [...sshBase(sb), ...controlMasterOpts(cmPath)];
  const target = sshTarget(sb);
  const runner: number[] = [];
  const channel: number[] = [];
  const fresh: number[] = [];
  const master: number[] = [];
  const freshRuns = Math.min(runs, 3);
  try {
    for (let i = 0; i < FRESH_CHECK; i++) await sshEcho(sshBase(sb), target, i);
    // the master starts with the first call and stays up (ControlPersist=60); one checked pass warms it
    for (let i = 0; i < N; i++) await sshEcho(cm, target, i);
    for (let r = 0; r < runs; r++) {
      const m = await runChild({ task: 'checkedCommands', host: benchHost(sb, { ssh: { ...benchHost(sb).ssh!, runner: true } }), count: N });
      if (typeof m.runnerPid !== 'number') throw new Error('the Mailops side did not run through the session runner (no runner PID): see the transport debug log');
      runner.push(m.ms);
      const c = await runChild({ task: 'checkedCommands', host: benchHost(sb, { ssh: { ...benchHost(sb).ssh!, runner: false } }), count: N });
      if (c.runnerPid !== null) throw new Error('the channel-per-command side ran through a runner');
      channel.push(c.ms);
      let cmMs = 0;
      for (let i = 0; i < N; i++) cmMs += await sshEcho(cm, target, i);
      master.push(cmMs);
      let freshMs = 0;
      if (r < freshRuns) {
        for (let i = 0; i < N; i++) freshMs += await sshEcho(sshBase(sb), target, i);
        fresh.push(freshMs);
      }
      log(`run ${r + 1}: runner ${fmtMs(m.ms)}, channel per command ${fmtMs(c.ms)}, ControlMaster ${fmtMs(cmMs)}${r < freshRuns ? `, fresh ssh ${fmtMs(freshMs)}` : ''}`);
    }
  } finally {
    await timedOk('ssh', [...cm, '-O', 'exit', target]).catch(() => undefined);
    rmSync(cmPath, { force: true });
  }
  const mr = median(runner);
  const mch = median(channel);
  const mf = median(fresh);
  const mc = median(master);
  const per = (ms: number) => `${fmtMs(ms)} (${(ms / N).toFixed(2)} ms/cmd)`;
  const vsFresh = mf / mr;
  const vsCm = mc / mr;
  const lines: RowLine[] = [
    {
      id: '9a',
      what: `${N} x \`echo\`, sequential, outputs checked: session runner vs fresh ssh`,
      mailops: per(mr),
      peer: `fresh ssh ${per(mf)}`,
      ratio: vsFresh,
      ratioLabel: 'faster',
      target: `>= ${TARGET_FRESH}x faster`,
      verdict: vsFresh >= TARGET_FRESH ? 'OK' : 'MISSED',
      notes: [
        `warm on both sides: Mailops' connection open and one checked pass run before timing; fresh ssh: ${fresh.length} runs (each ${N} handshakes), the others ${runs}`,
        ...(vsFresh >= TARGET_FRESH ? [] : [`MISSED: ${fmtRatio(vsFresh)} faster than fresh ssh, target ${TARGET_FRESH}x`]),
      ],
      data: { runnerMs: runner, freshSshMs: fresh },
    },
    {
      id: '9b',
      what: `${N} x \`echo\`, sequential, outputs checked: session runner vs ControlMaster`,
      mailops: per(mr),
      peer: `ControlMaster ${per(mc)}`,
      ratio: vsCm,
      ratioLabel: 'faster',
      target: `>= ${TARGET_CM}x faster`,
      verdict: vsCm >= TARGET_CM ? 'OK' : 'MISSED',
      notes: [
        'ControlMaster=auto, ControlPersist=60: master started and one checked pass run before timing',
        ...(vsCm >= TARGET_CM ? [] : [`MISSED: ${fmtRatio(vsCm)} faster than ControlMaster, target ${TARGET_CM}x`]),
      ],
      data: { runnerMs: runner, controlMasterMs: master },
    },
    {
      id: '9c',
      what: `${N} x \`echo\`, sequential, outputs checked: session runner vs a channel per command (ssh.runner false)`,
      mailops: per(mr),
      peer: `channel per command ${per(mch)}`,
      ratio: mch / mr,
      ratioLabel: 'faster',
      target: 'none (the fallback path, for reference)',
      verdict: 'INFO',
      notes: [],
      data: { runnerMs: runner, channelMs: channel },
    },
  ];
  return lines;
};
