/**
 * Retention of archive chains (src/core/backup/retention.ts), run in a real sh on real files: the shell
 * function against the pure plan, inside the Dovecot and the Cyrus scripts; the order by recorded sequence
 * (11.10: a clock set back) and retention anchors (11.9: empty fulls never make the last real chain go).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptBuilder, ShCode, sh } from '../../../src/core/backup/script';
import { RunLogParser, parseStepLine } from '../../../src/core/backup/runlog';
import { RETENTION_FN, planRetention, type RetentionFull } from '../../../src/core/backup/retention';
import { buildDovecotBackupScript, DEFAULT_KEEP } from '../../../src/core/dovecot/backup';
import { buildCyrusBackupScript } from '../../../src/core/cyrus/backup';
import type { HostConfig } from '../../../src/core/hosts/model';
import type { HostContext } from '../../../src/core/hosts/context';
import type { CyrusEnv } from '../../../src/core/cyrus/tools';

const scratch = mkdtempSync(join(tmpdir(), 'mailops-retention-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

interface Chain {
  /** `<stamp>-full` */
  full: string;
  verified: boolean;
  incrs: string[];
  /** seq= of the full (its incrs get the following numbers); absent: an archive from before sequences. */
  seq?: number;
  /** anchor=no in the full's meta (with this anchor_reason). */
  notAnchor?: string;
}

const stampId = (day: number, level: string, sec = 0) => `202601${String(day).padStart(2, '0')}T0000${String(sec).padStart(2, '0')}Z-${level}`;

/** Write archives/ as the backups do: per point <id>.tar.gz, .meta (+ .snar, .folders, .mailboxes.txt for a full), running.*. */
function makeArchives(chains: Chain[], extraSuffixes = ['.mailboxes.txt', '.folders']): string {
  const dir = join(scratch, `a${n++}`);
  mkdirSync(dir);
  for (const c of chains) {
    const points = [c.full, ...c.incrs];
    for (const id of points) {
      const level = id.endsWith('-full') ? 'full' : 'incr';
      writeFileSync(join(dir, `${id}.tar.gz`), 'tar');
      for (const s of extraSuffixes) writeFileSync(join(dir, `${id}${s}`), 'x');
      if (level === 'full') writeFileSync(join(dir, `${id}.snar`), 'snar');
      const verified = level === 'full' ? c.verified : true;
      const seq = c.seq === undefined ? '' : `seq=${c.seq + points.indexOf(id)}\n`;
      const anchor = level === 'full' ? (c.notAnchor ? `anchor=no\nanchor_reason=${c.notAnchor}\n` : 'anchor=yes\n') : '';
      writeFileSync(join(dir, `${id}.meta`), `id=${id}\nlevel=${level}\nfull=${c.full}\nbase=\ncreated=x\nverified=${verified ? 'yes' : 'no'}\n${seq}${anchor}`);
    }
  }
  const last = chains[chains.length - 1];
  if (last) {
    writeFileSync(join(dir, 'running.snar'), 'snar');
    writeFileSync(join(dir, 'running.meta'), `full=${last.full}\nbase=${last.full}\n`);
  }
  return dir;
}

/** Run a retention function (its shell text) with KEEP on a folder; the step lines it printed. */
function runRetention(fn: ShCode, dir: string, keep: number, allowStderr = false) {
  const b = new ScriptBuilder('mailops-retention-test');
  b.param('ARCHIVES', dir);
  b.param('KEEP', String(keep));
  b.add(fn);
  b.add(sh`retention`);
  const built = b.build();
  const r = spawnSync('sh', ['-c', built.script, built.name, ...built.args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  if (!allowStderr) assert.equal(r.stderr, '', 'no error output (e.g. grep on a removed file)');
  return r.stdout.split('\n').map(parseStepLine).filter((l) => l !== null);
}

/** Ids (`<id>` of every <id>.meta) left in the folder, and every file left. */
function left(dir: string) {
  const files = readdirSync(dir).sort();
  return { ids: files.filter((f) => f.endsWith('.meta') && f !== 'running.meta').map((f) => f.slice(0, -5)), files };
}

describe('RETENTION_FN in a real sh', () => {
  test('keep 1: after two verified full chains the older chain goes whole, the newest stays', () => {
    const old: Chain = { full: stampId(1, 'full'), verified: true, incrs: [stampId(2, 'incr'), stampId(3, 'incr')] };
    const cur: Chain = { full: stampId(4, 'full'), verified: true, incrs: [stampId(5, 'incr')] };
    const dir = makeArchives([old, cur]);
    const lines = runRetention(RETENTION_FN, dir, 1);
    const l = left(dir);
    assert.deepEqual(l.ids, [cur.full, ...cur.incrs]);
    assert.ok(l.files.every((f) => !f.startsWith('20260101') && !f.startsWith('20260102') && !f.startsWith('20260103')), l.files.join(' '));
    assert.ok(l.files.includes('running.snar') && l.files.includes('running.meta') && l.files.includes(`${cur.full}.snar`));
    const removed = lines.filter((x) => x.step === 'retention' && x.status === 'info' && x.fields.removed).map((x) => x.fields.removed);
    assert.deepEqual(removed.sort(), [old.full, ...old.incrs].sort());
    assert.deepEqual(lines.at(-1)?.fields, { removed: '3', anchors: '1' });
  });

  test('keep 1: an older chain stays while the newer full is not verified (not an anchor, logged)', () => {
    const old: Chain = { full: stampId(1, 'full'), verified: true, incrs: [stampId(2, 'incr')] };
    const cur: Chain = { full: stampId(4, 'full'), verified: false, incrs: [] };
    const dir = makeArchives([old, cur]);
    const lines = runRetention(RETENTION_FN, dir, 1);
    assert.deepEqual(left(dir).ids, [old.full, ...old.incrs, cur.full]);
    const kept = lines.find((x) => x.step === 'retention' && x.fields.kept);
    assert.equal(kept?.fields.kept, cur.full);
    assert.match(kept?.fields.reason ?? '', /^not a retention anchor \(unverified\)/);
  });

  test('11.9 two empty "verified" fulls (anchor=no) never make the last real chain go', () => {
    const real: Chain = { full: stampId(1, 'full'), verified: true, incrs: [stampId(2, 'incr')], seq: 1 };
    const empty1: Chain = { full: stampId(4, 'full'), verified: true, incrs: [], seq: 3, notAnchor: 'empty' };
    const empty2: Chain = { full: stampId(5, 'full'), verified: true, incrs: [], seq: 4, notAnchor: 'empty' };
    const dir = makeArchives([real, empty1, empty2]);
    const lines = runRetention(RETENTION_FN, dir, 1);
    assert.deepEqual(left(dir).ids, [real.full, ...real.incrs, empty1.full, empty2.full]);
    assert.deepEqual(lines.filter((x) => x.fields.kept).map((x) => [x.fields.kept, x.fields.reason?.slice(0, 32)]), [
      [empty2.full, 'not a retention anchor (empty): '],
      [empty1.full, 'not a retention anchor (empty): '],
    ]);
    assert.deepEqual(lines.at(-1)?.fields, { removed: '0', anchors: '1' });
    // Once KEEP real anchors are newer, the empty fulls behind them go like any chain.
    const real2: Chain = { full: stampId(7, 'full'), verified: true, incrs: [], seq: 6 };
    const dir2 = makeArchives([real, empty1, empty2, real2]);
    runRetention(RETENTION_FN, dir2, 1);
    assert.deepEqual(left(dir2).ids, [real2.full]);
  });

  test('11.10 the recorded sequence decides, not the time in the name (a clock set back)', () => {
    // The newest full was made on a host whose clock was set back: its name is the oldest.
    const first: Chain = { full: stampId(20, 'full'), verified: true, incrs: [stampId(21, 'incr')], seq: 1 };
    const setBack: Chain = { full: stampId(3, 'full'), verified: true, incrs: [], seq: 3 };
    const dir = makeArchives([first, setBack]);
    const lines = runRetention(RETENTION_FN, dir, 1);
    assert.deepEqual(left(dir).ids, [setBack.full]);
    assert.deepEqual(lines.filter((x) => x.fields.removed && x.status === 'info').map((x) => x.fields.chain), [first.full, first.full]);
    // Archives from before sequence numbers count as older than every numbered one.
    const legacy: Chain = { full: stampId(25, 'full'), verified: true, incrs: [] };
    const dir2 = makeArchives([legacy, setBack]);
    runRetention(RETENTION_FN, dir2, 1);
    assert.deepEqual(left(dir2).ids, [setBack.full]);
  });

  test('keep 0 keeps everything', () => {
    const dir = makeArchives([{ full: stampId(1, 'full'), verified: true, incrs: [] }, { full: stampId(2, 'full'), verified: true, incrs: [] }]);
    const lines = runRetention(RETENTION_FN, dir, 0);
    assert.equal(left(dir).ids.length, 2);
    assert.deepEqual(lines.map((x) => `${x.step} ${x.status} ${x.fields.reason}`), ['retention skip keep-all']);
  });

  test('an empty or missing archives folder is not an error', () => {
    const dir = makeArchives([]);
    assert.deepEqual(runRetention(RETENTION_FN, dir, 2).at(-1)?.fields, { removed: '0', anchors: '0' });
  });

  test('random chains: the shell removes exactly what planRetention says', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 25; round++) {
      const count = Math.floor(rnd() * 6);
      const chains: Chain[] = [];
      // Sequences in a shuffled order against the names (clocks going back and forth), some legacy ones.
      const seqs = Array.from({ length: count }, (_, i) => i * 2 + 1).sort(() => rnd() - 0.5);
      for (let i = 0; i < count; i++) {
        chains.push({
          full: stampId(i * 3 + 1, 'full'),
          verified: rnd() < 0.7,
          incrs: rnd() < 0.5 ? [stampId(i * 3 + 2, 'incr')] : [],
          ...(rnd() < 0.8 ? { seq: seqs[i]! } : {}),
          ...(rnd() < 0.3 ? { notAnchor: rnd() < 0.5 ? 'empty' : 'drop' } : {}),
        });
      }
      const keep = Math.floor(rnd() * 4);
      const dir = makeArchives(chains);
      runRetention(RETENTION_FN, dir, keep);
      const plan = planRetention(chains.map((c): RetentionFull => ({ id: c.full, verified: c.verified, ...(c.seq !== undefined ? { seq: c.seq } : {}), anchor: !c.notAnchor })), keep);
      const expected = chains.filter((c) => !plan.remove.includes(c.full)).flatMap((c) => [c.full, ...c.incrs]).sort();
      assert.deepEqual(left(dir).ids, expected, `round ${round}: keep ${keep}, ${JSON.stringify(chains.map((c) => [c.full, c.verified]))}`);
    }
  });
});

describe('the same rule in the Dovecot backup', () => {
  const host: HostConfig = { name: 'h', transport: 'local', server: 'dovecot', privilege: { mode: 'none' } };
  const dovecotScript = buildDovecotBackupScript(host, 'alice', { kind: 'full' }).script;

  test('the script carries RETENTION_FN verbatim and runs it after the archive meta and its anchor line', () => {
    assert.ok(dovecotScript.includes(RETENTION_FN.code));
    assert.match(dovecotScript, /mo_replace "\$ARCHIVES\/\.\$ARCHIVE_ID\.meta" "\$ARCHIVES\/\$ARCHIVE_ID\.meta"\n[^\n]*\n[^\n]*\n {2}mo_anchor_line "\$ARCHIVE_ID" "\$N"\n {2}retention\n/);
    assert.equal(spawnSync('sh', ['-n', '-c', dovecotScript]).status, 0, 'the script parses in a real sh');
  });
});

describe('planRetention', () => {
  const f = (d: number, verified: boolean, more: Partial<RetentionFull> = {}): RetentionFull => ({ id: stampId(d, 'full'), verified, ...more });
  test('keeps the newest N anchors and everything newer; what is older goes', () => {
    assert.deepEqual(planRetention([f(1, true), f(2, true)], 1), { remove: [f(1, true).id], keptNotAnchor: [] });
    assert.deepEqual(planRetention([f(1, true), f(2, false)], 1), { remove: [], keptNotAnchor: [f(2, false).id] });
    assert.deepEqual(planRetention([f(3, false), f(1, true), f(2, true)], 1), { remove: [f(1, true).id], keptNotAnchor: [f(3, false).id] });
    assert.deepEqual(planRetention([f(1, true), f(2, true)], 0), { remove: [], keptNotAnchor: [] });
  });
  test('11.9 fulls marked anchor=false are kept and not counted', () => {
    assert.deepEqual(planRetention([f(1, true), f(2, true, { anchor: false }), f(3, true, { anchor: false })], 1), { remove: [], keptNotAnchor: [f(3, true).id, f(2, true).id] });
  });
  test('11.10 the recorded sequence orders, not the id; no sequence is oldest', () => {
    assert.deepEqual(planRetention([f(9, true, { seq: 1 }), f(2, true, { seq: 2 })], 1).remove, [f(9, true).id]);
    assert.deepEqual(planRetention([f(9, true), f(2, true, { seq: 1 })], 1).remove, [f(9, true).id]);
  });
});

describe('the Cyrus backup script', () => {
  const ctx = { config: { name: 'h', transport: 'local', server: 'cyrus', privilege: { mode: 'none' } } } as unknown as HostContext;
  const env = { toolsDir: '/usr/lib/cyrus/bin', config: '/etc/imapd.conf', style: { unixHierarchySep: false }, probe: { configDirectory: '/var/lib/cyrus', partitions: { default: '/var/spool/cyrus/mail' } } } as unknown as CyrusEnv;
  const keepArg = (o: { keep?: number }) => {
    const built = buildCyrusBackupScript(ctx, env, { kind: 'full', ...o });
    const i = /^KEEP=\$\{(\d+)\}$/m.exec(built.script);
    assert.ok(i, 'KEEP is a parameter');
    return { value: built.args[Number(i[1]) - 1], script: built.script };
  };

  test('runs the shared retention after the archive, with --keep (default as for Dovecot)', () => {
    const d = keepArg({});
    assert.equal(d.value, String(DEFAULT_KEEP));
    assert.equal(keepArg({ keep: 1 }).value, '1');
    assert.ok(d.script.includes(RETENTION_FN.code));
    assert.match(d.script, /mo_replace "\$ARCHIVES\/\.\$ID\.meta" "\$ARCHIVES\/\$ID\.meta"\nmo_anchor_line "\$ID" "\$N"\nretention\n/);
    assert.throws(() => buildCyrusBackupScript(ctx, env, { kind: 'full', keep: -1 }), /keep must be a whole number/);
    assert.equal(spawnSync('sh', ['-n', '-c', d.script]).status, 0, 'the script parses in a real sh');
  });

  test('its retention step lines parse as run events', () => {
    const dir = makeArchives([{ full: stampId(1, 'full'), verified: true, incrs: [] }, { full: stampId(4, 'full'), verified: true, incrs: [] }]);
    const b = new ScriptBuilder('t');
    b.param('ARCHIVES', dir);
    b.param('KEEP', '1');
    b.add(RETENTION_FN);
    b.add(sh`retention`);
    const built = b.build();
    const out = spawnSync('sh', ['-c', built.script, built.name, ...built.args], { encoding: 'utf8' }).stdout;
    const ev = new RunLogParser().parseAll(out);
    assert.deepEqual(ev.map((e) => e.type), ['step-start', 'info', 'step-end']);
  });
});

describe('11.9 mo_anchor and 11.10 mo_next_seq (real sh)', () => {
  function run(dir: string, body: string, params: Record<string, string> = {}) {
    const b = new ScriptBuilder('t');
    b.param('ARCHIVES', dir);
    b.param('FORCE', params.FORCE ?? 'no');
    b.param('MAX_DROP', params.MAX_DROP ?? '50');
    b.add(RETENTION_FN);
    b.add(new ShCode(body));
    const built = b.build();
    const r = spawnSync('sh', ['-c', built.script, built.name, ...built.args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout;
  }
  const anchor = (dir: string, n: number, verified = 'yes', params: Record<string, string> = {}) =>
    run(dir, `mo_anchor 20990101T000000Z-full ${n} ${verified}; printf '%s|%s|%s|%s' "$ANCHOR" "$ANCHOR_REASON" "$PREV_ANCHOR" "$PREV_COUNT"`, params);
  const meta = (dir: string, id: string, lines: string) => writeFileSync(join(dir, `${id}.meta`), `id=${id}\nlevel=${id.endsWith('-full') ? 'full' : 'incr'}\n${lines}`);

  test('the first full is an anchor (nothing to compare with); an unverified one never is', () => {
    const dir = makeArchives([]);
    assert.equal(anchor(dir, 0), 'yes|||');
    assert.equal(anchor(dir, 10, 'no'), 'no|unverified||');
  });

  test('against the newest earlier ANCHOR (by seq): a drop to zero always, more than MAX_DROP percent, or --force', () => {
    const dir = makeArchives([]);
    const a = stampId(9, 'full');
    meta(dir, a, 'verified=yes\nseq=1\nanchor=yes\nanchor_count=100\nmessages=100\n');
    // Two later empty fulls that are no anchors: still compared with the real one.
    meta(dir, stampId(10, 'full'), 'verified=yes\nseq=2\nanchor=no\nanchor_reason=empty\nanchor_count=0\n');
    meta(dir, stampId(1, 'full'), 'verified=yes\nseq=3\nanchor=no\nanchor_reason=empty\nanchor_count=0\n');
    assert.equal(anchor(dir, 0), `no|empty|${a}|100`);
    assert.equal(anchor(dir, 49), `no|drop|${a}|100`);
    assert.equal(anchor(dir, 50), `yes||${a}|100`);
    assert.equal(anchor(dir, 150), `yes||${a}|100`);
    assert.equal(anchor(dir, 10, 'yes', { MAX_DROP: '95' }), `yes||${a}|100`);
    assert.equal(anchor(dir, 0, 'yes', { MAX_DROP: '100' }), `no|empty|${a}|100`, 'the drop to zero is caught whatever the threshold');
    assert.equal(anchor(dir, 0, 'yes', { FORCE: 'yes' }), `yes|forced|${a}|100`);
    assert.equal(anchor(dir, 0, 'no', { FORCE: 'yes' }), `no|unverified|${a}|100`, '--force does not make an unverified full an anchor');
  });

  test('archives from before anchors count as anchors when verified, with messages= or message_files=', () => {
    const dir = makeArchives([]);
    meta(dir, stampId(3, 'full'), 'verified=yes\nmessages=80\nsource_messages=80\n');
    assert.equal(anchor(dir, 0), `no|empty|${stampId(3, 'full')}|80`);
    const cy = makeArchives([]);
    meta(cy, stampId(3, 'full'), 'verified=yes\nserver=cyrus\nmessage_files=12\n');
    assert.equal(anchor(cy, 5), `no|drop|${stampId(3, 'full')}|12`);
  });

  test('mo_next_seq: one more than anything recorded, and it never goes back when archives are removed', () => {
    const dir = makeArchives([]);
    assert.equal(run(dir, 'mo_next_seq'), '1');
    assert.equal(run(dir, 'mo_next_seq'), '2');
    meta(dir, stampId(1, 'full'), 'seq=7\n');
    assert.equal(run(dir, 'mo_next_seq'), '8');
    rmSync(join(dir, `${stampId(1, 'full')}.meta`));
    assert.equal(run(dir, 'mo_next_seq'), '9');
    assert.equal(readFileSync(join(dir, '.seq'), 'utf8'), '9\n');
  });
});
