import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptBuilder, sh, ShCode, ShVar } from '../../../src/core/backup/script';
import { RunLogParser, parseStepLine } from '../../../src/core/backup/runlog';

const HOSTILE = [
  `it's $(touch /tmp/mailops-pwned-unit)`,
  'back`touch /tmp/mailops-pwned-unit`tick',
  'semi; touch /tmp/mailops-pwned-unit',
  'new\nline MAILOPS 2020-01-01T00:00:00Z run result ok=yes exit=0',
  'Ünïcödé & "double" \\ back',
  '',
  '-n',
  '*',
];

function runSh(argv: string[], env: Record<string, string> = {}) {
  const [cmd, ...args] = argv;
  return spawnSync(cmd!, args, { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('sh tag', () => {
  test('refuses strings at run time', () => {
    assert.throws(() => sh`echo ${'$(id)' as unknown as ShVar}`, TypeError);
    assert.throws(() => sh`echo ${1.5}`, TypeError);
  });
  test('renders variables double-quoted, fragments and integers as code', () => {
    const v = new ShVar('ACCOUNT');
    assert.equal(sh`a ${v} ${new ShCode('b')} ${3}`.code, 'a "${ACCOUNT}" b 3');
  });
});

describe('ScriptBuilder with real sh', () => {
  test('hostile values stay data: echoed back byte for byte, nothing executed', () => {
    rmSync('/tmp/mailops-pwned-unit', { force: true });
    for (const value of HOSTILE) {
      const b = new ScriptBuilder('mailops-test');
      const v = b.param('VALUE', value);
      b.add(sh`printf '%s' ${v} > "$OUT"`);
      const dir = mkdtempSync(join(tmpdir(), 'mo-script-'));
      const out = join(dir, 'out');
      const r = runSh(b.build().argv, { OUT: out });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(out, 'utf8'), value);
      // The installable form (set -- quoted args) behaves the same.
      const file = join(dir, 'run.sh');
      writeFileSync(file, b.build().fileText('mailops-managed test'));
      const r2 = runSh(['sh', file], { OUT: out });
      assert.equal(r2.status, 0, r2.stderr);
      assert.equal(readFileSync(out, 'utf8'), value);
    }
    assert.equal(existsSync('/tmp/mailops-pwned-unit'), false);
  });

  test('wrong argument count is refused with 64', () => {
    const b = new ScriptBuilder();
    b.param('A', 'x');
    const built = b.build();
    const r = runSh(['sh', '-c', built.script, 'mailops']);
    assert.equal(r.status, 64);
  });

  test('mo_line writes parseable step lines to stdout and the log; hostile values round-trip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-script-'));
    const b = new ScriptBuilder();
    const log = b.param('LOG', join(dir, 'run.log'));
    const v = b.param('VALUE', HOSTILE.join('|'));
    b.add(sh`MO_LOG=${log}
mo_line probe start value ${v}
mo_tool - sh -c 'echo "tool says hi" >&2; echo "MAILOPS 2020-01-01T00:00:00Z run result ok=yes exit=0"; exit 3'
mo_line probe fail rc "$MO_RC"
mo_finish 1 reason test`);
    const r = runSh(b.build().argv);
    assert.equal(r.status, 1, r.stderr);
    const logText = readFileSync(join(dir, 'run.log'), 'utf8');
    assert.equal(logText, r.stdout, 'the log holds the same lines as the stream');
    const events = new RunLogParser().parseAll(r.stdout);
    const start = events.find((e) => e.type === 'step-start');
    assert.ok(start && start.type === 'step-start');
    assert.equal(start.fields.value, HOSTILE.join('|'));
    const outputs = events.filter((e) => e.type === 'output').map((e) => (e.type === 'output' ? e.line : ''));
    assert.deepEqual(outputs, ['tool says hi', 'MAILOPS 2020-01-01T00:00:00Z run result ok=yes exit=0']);
    const results = events.filter((e) => e.type === 'result');
    assert.equal(results.length, 1, 'a tool cannot forge the result line');
    assert.ok(results[0]?.type === 'result' && results[0].exitCode === 1 && !results[0].ok);
    const end = events.find((e) => e.type === 'step-end');
    assert.ok(end?.type === 'step-end' && end.status === 'fail' && end.fields.rc === '3');
    for (const line of r.stdout.trim().split('\n').filter((l) => l.startsWith('MAILOPS'))) assert.ok(parseStepLine(line), line);
  });

  test('mo_lock: a second holder waits (logged) or skips with NOWAIT=yes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-lock-'));
    const lock = join(dir, 'lock');
    const holder = spawn('flock', [lock, 'sleep', '2'], { stdio: 'ignore' });
    const holderDone = new Promise((resolve) => holder.on('exit', resolve));
    await sleep(300);
    const mk = (nowait: string) => {
      const b = new ScriptBuilder();
      const l = b.param('LOCK', lock);
      const nw = b.param('NOWAIT', nowait);
      b.add(sh`mo_lock ${l} 10 ${nw}; rc=$?; mo_finish "$rc"`);
      return b.build().argv;
    };
    const skip = runSh(mk('yes'));
    assert.equal(skip.status, 2);
    assert.match(skip.stdout, /^MAILOPS \S+ lock skip reason=held/m);
    const t0 = Date.now();
    const wait = runSh(mk('no'));
    assert.equal(wait.status, 0, wait.stdout + wait.stderr);
    assert.match(wait.stdout, /^MAILOPS \S+ lock wait timeout=10/m);
    assert.ok(Date.now() - t0 >= 1000, 'it really waited for the holder');
    await holderDone;
  });
});
