import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeValue, decodeValue, formatStepLine, parseStepLine, RunLogParser } from '../../../src/core/backup/runlog';

describe('runlog', () => {
  test('value encoding round-trips any string and never yields a space or newline', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const e = encodeValue(s);
        assert.doesNotMatch(e, /[\s"'`$]/);
        assert.equal(decodeValue(e), s);
      }),
    );
  });

  test('format then parse gives the same line', () => {
    const line = { time: '2026-11-22T04:12:00.123Z', step: 'dsync', status: 'retry' as const, fields: { attempt: '2', reason: 'exit 2: not in sync', mailbox: "it's $(x)" } };
    const text = formatStepLine(line);
    assert.equal(text, "MAILOPS 2026-11-22T04:12:00.123Z dsync retry attempt=2 reason=exit%202%3A%20not%20in%20sync mailbox=it%27s%20%24%28x%29".replace('%3A', ':'));
    assert.deepEqual(parseStepLine(text), line);
  });

  test('non step lines and malformed ones are not step lines', () => {
    assert.equal(parseStepLine('dsync(bob): Warning: x'), null);
    assert.equal(parseStepLine('MAILOPS yesterday run start'), null);
    assert.equal(parseStepLine('MAILOPS 2026-11-22T04:12:00Z run bogus'), null);
    assert.equal(parseStepLine('MAILOPS 2026-11-22T04:12:00Z Run start'), null);
  });

  test('parser attributes tool lines to the current step and classifies them', () => {
    const p = new RunLogParser((l) => (l.includes('Warning') ? { kind: 'w', severity: 'warning', meaning: 'm', action: 'a', fields: {} } : null));
    const ev = p.parseAll(
      [
        'MAILOPS 2026-11-22T04:12:00Z dsync start attempt=1',
        'dsync(bob): Warning: something',
        'MAILOPS 2026-11-22T04:12:01Z dsync retry attempt=2',
        'MAILOPS 2026-11-22T04:12:02Z dsync ok exit=0',
        '> MAILOPS fake',
        'MAILOPS 2026-11-22T04:12:03Z run result ok=yes exit=0',
      ].join('\n'),
    );
    assert.deepEqual(ev.map((e) => e.type), ['step-start', 'output', 'warning', 'retry', 'step-end', 'output', 'result']);
    const out = ev[1];
    assert.ok(out?.type === 'output' && out.step === 'dsync');
    const retry = ev[3];
    assert.ok(retry?.type === 'retry' && retry.attempt === 2);
    const fake = ev[5];
    assert.ok(fake?.type === 'output' && fake.line === 'MAILOPS fake' && fake.step === null);
    const res = ev[6];
    assert.ok(res?.type === 'result' && res.ok && res.exitCode === 0);
  });
});
