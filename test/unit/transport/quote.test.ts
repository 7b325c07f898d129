import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { quoteArg, shellLine, UnsafeArgumentError } from '../../../src/core/transport/quote';
import { nastyArgv } from './shellWords';

/** Run a shell line through a real POSIX sh and get back the words it produced (printf '%s\0'). */
function throughSh(argv: string[]): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${shellLine(argv)}`], { encoding: 'buffer' });
  const words = out.toString('utf8').split('\0');
  words.pop();
  return words;
}

describe('shellLine', () => {
  test('a real sh gets back exactly the argv and runs nothing (fast-check, 300 cases)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailops-quote-'));
    const canary = join(dir, 'canary');
    try {
      fc.assert(
        fc.property(nastyArgv(canary), (argv) => {
          assert.deepEqual(throughSh(argv), argv);
          assert.ok(!existsSync(canary), `executed something for ${JSON.stringify(argv)}`);
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('safe words stay readable, others are single-quoted', () => {
    assert.equal(shellLine(['doveadm', '-u', 'alice@example.org', 'mailbox', 'list']), 'doveadm -u alice@example.org mailbox list');
    assert.equal(quoteArg(''), "''");
    assert.equal(quoteArg("it's"), `'it'\\''s'`);
    assert.equal(quoteArg('$(x)'), "'$(x)'");
  });

  test('NUL and empty argv are refused', () => {
    assert.throws(() => shellLine(['echo', 'a\0b']), (e: unknown) => e instanceof UnsafeArgumentError && e.index === 1 && /NUL/.test(e.message));
    assert.throws(() => shellLine([]), UnsafeArgumentError);
  });
});
