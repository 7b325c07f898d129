/**
 * Retention of archive chains (src/core/backup/retention.ts), run in a real sh on real files: the shell
 * function against the pure plan, against the Dovecot backup's own retention, and inside the Cyrus script.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
      writeFileSync(join(dir, `${id}.meta`), `id=${id}\nlevel=${level}\nfull=${c.full}\nbase=\ncreated=x\nverified=${verified ? 'yes' : 'no'}\n`);
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
    assert.deepEqual(lines.at(-1)?.fields, { removed: '3' });
  });

  test('keep 1: an older chain stays while the newer full is not verified', () => {
    const old: Chain = { full: stampId(1, 'full'), verified: true, incrs: [stampId(2, 'incr')] };
    const cur: Chain = { full: stampId(4, 'full'), verified: false, incrs: [] };
    const dir = makeArchives([old, cur]);
    const lines = runRetention(RETENTION_FN, dir, 1);
    assert.deepEqual(left(dir).ids, [old.full, ...old.incrs, cur.full]);
    const kept = lines.find((x) => x.step === 'retention' && x.fields.kept);
    assert.equal(kept?.fields.kept, old.full);
    assert.equal(kept?.fields.reason, 'no newer verified full archive yet');
  });

  test('keep 0 keeps everything', () => {
    const dir = makeArchives([{ full: stampId(1, 'full'), verified: true, incrs: [] }, { full: stampId(2, 'full'), verified: true, incrs: [] }]);
    const lines = runRetention(RETENTION_FN, dir, 0);
    assert.equal(left(dir).ids.length, 2);
    assert.deepEqual(lines.map((x) => `${x.step} ${x.status} ${x.fields.reason}`), ['retention skip keep-all']);
  });

  test('an empty or missing archives folder is not an error', () => {
    const dir = makeArchives([]);
    assert.deepEqual(runRetention(RETENTION_FN, dir, 2).at(-1)?.fields, { removed: '0' });
  });

  test('random chains: the shell removes exactly what planRetention says', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 25; round++) {
      const count = Math.floor(rnd() * 5);
      const chains: Chain[] = [];
      for (let i = 0; i < count; i++) chains.push({ full: stampId(i * 3 + 1, 'full'), verified: rnd() < 0.6, incrs: rnd() < 0.5 ? [stampId(i * 3 + 2, 'incr')] : [] });
      const keep = Math.floor(rnd() * 4);
      const dir = makeArchives(chains);
      runRetention(RETENTION_FN, dir, keep);
      const plan = planRetention(chains.map((c): RetentionFull => ({ id: c.full, verified: c.verified })), keep);
      const expected = chains.filter((c) => !plan.remove.includes(c.full)).flatMap((c) => [c.full, ...c.incrs]).sort();
      assert.deepEqual(left(dir).ids, expected, `round ${round}: keep ${keep}, ${JSON.stringify(chains.map((c) => [c.full, c.verified]))}`);
    }
  });
});

describe('the same rule as the Dovecot backup', () => {
  // The retention function inside the Dovecot backup script, taken from the built script itself.
  const host: HostConfig = { name: 'h', transport: 'local', server: 'dovecot', privilege: { mode: 'none' } };
  const dovecotScript = buildDovecotBackupScript(host, 'alice', { kind: 'full' }).script;
  const m = /\nretention\(\) \{\n[\s\S]*?\n\}\n/.exec(dovecotScript);
  assert.ok(m, 'the Dovecot script defines retention()');
  const dovecotFn = new ShCode(m[0]);

  test('same chains removed and the same step lines, on the same folders', () => {
    const cases: Array<{ chains: Chain[]; keep: number }> = [
      { chains: [{ full: stampId(1, 'full'), verified: true, incrs: [stampId(2, 'incr')] }, { full: stampId(4, 'full'), verified: true, incrs: [] }], keep: 1 },
      { chains: [{ full: stampId(1, 'full'), verified: true, incrs: [] }, { full: stampId(4, 'full'), verified: false, incrs: [] }], keep: 1 },
      { chains: [1, 4, 7, 10].map((d, i) => ({ full: stampId(d, 'full'), verified: i !== 3, incrs: [stampId(d + 1, 'incr')] })), keep: 2 },
      { chains: [{ full: stampId(1, 'full'), verified: true, incrs: [] }], keep: 0 },
    ];
    for (const c of cases) {
      const a = makeArchives(c.chains, ['.folders']);
      const b = makeArchives(c.chains, ['.folders']);
      const la = runRetention(RETENTION_FN, a, c.keep).map(({ step, status, fields }) => ({ step, status, fields }));
      // Dovecot's copy greps the meta of a chain it just removed (a harmless "No such file" on stderr).
      const lb = runRetention(dovecotFn, b, c.keep, true).map(({ step, status, fields }) => ({ step, status, fields }));
      assert.deepEqual(left(a).files, left(b).files);
      assert.deepEqual(la, lb);
    }
  });
});

describe('planRetention', () => {
  test('keeps the newest N; older ones go only once a newer full is verified', () => {
    const f = (d: number, verified: boolean): RetentionFull => ({ id: stampId(d, 'full'), verified });
    assert.deepEqual(planRetention([f(1, true), f(2, true)], 1), { remove: [f(1, true).id], keptUnverified: [] });
    assert.deepEqual(planRetention([f(1, true), f(2, false)], 1), { remove: [], keptUnverified: [f(1, true).id] });
    assert.deepEqual(planRetention([f(3, false), f(1, true), f(2, true)], 1), { remove: [f(1, true).id], keptUnverified: [f(2, true).id] });
    assert.deepEqual(planRetention([f(1, true), f(2, true)], 0), { remove: [], keptUnverified: [] });
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
    assert.match(d.script, /mo_replace "\$ARCHIVES\/\.\$ID\.meta" "\$ARCHIVES\/\$ID\.meta"\nretention\n/);
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
