/**
 * The SSH exec request and command line (ssh/remoteCommand.ts) through this machine's real dash and bash
 * as "login shells": the same bootstrap the sandbox's zsh, fish and tcsh accounts run
 * (test/integration/transport/ssh-shells.test.ts proves those on the real hosts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { commandLineFor, EXEC_REQUEST, killTreeArgv, privilegePrefix } from '../../../src/core/transport/ssh/remoteCommand';
import { nastyArgv } from './shellWords';

const LOGIN_SHELLS = ['dash', 'bash'];

describe('the exec request', () => {
  test('11.7 is one line every shell parses alike: exec /bin/sh -c \'…\' with no backslash, quote, ! or newline inside', () => {
    const m = /^exec \/bin\/sh -c '([^']*)'$/.exec(EXEC_REQUEST);
    assert.ok(m, EXEC_REQUEST);
    assert.doesNotMatch(m[1]!, /[\\!\n\r']/);
  });

  for (const sh of LOGIN_SHELLS) {
    test(`11.7 through ${sh} -c: hostile argv arrive byte for byte, the rest of stdin is the command's (fast-check, 200 cases)`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailops-bootstrap-'));
      const canary = join(dir, 'canary');
      try {
        fc.assert(
          fc.property(nastyArgv(canary), fc.string({ maxLength: 20 }), (argv, rest) => {
            const line = commandLineFor(['sh', '-c', 'printf "%s\\0" "$@"; cat', 'x', ...argv]);
            assert.equal(line.indexOf('\n'), line.length - 1, 'the command line is one line');
            const out = execFileSync(sh, ['-c', EXEC_REQUEST], { input: line + rest, stdio: ['pipe', 'pipe', 'pipe'] });
            assert.equal(out.toString('utf8'), argv.map((a) => `${a}\0`).join('') + rest);
            assert.ok(!existsSync(canary), `executed something for ${JSON.stringify(argv)}`);
          }),
          { numRuns: 200 },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('the bootstrap reports its PID on stderr first, and the command keeps that PID', () => {
    const r = execFileSync('dash', ['-c', `${EXEC_REQUEST} 2>&1`], { input: commandLineFor(['sh', '-c', 'echo "own $$"']), encoding: 'utf8' });
    const m = /^MAILOPS-PID (\d+)\nown (\d+)\n$/.exec(r);
    assert.ok(m, r);
    assert.equal(m[1], m[2]);
  });

  test('NUL and an empty argv are refused before anything is built', () => {
    assert.throws(() => commandLineFor(['printf', 'a\0b']), /NUL/);
    assert.throws(() => commandLineFor([]), /empty argv/);
  });
});

describe('stopping with the command\'s privilege', () => {
  test('11.13 privilegePrefix: the sudo -n prefixes withPrivilege builds, nothing else', () => {
    assert.deepEqual(privilegePrefix(['sudo', '-n', '--', 'doveadm', 'x']), ['sudo', '-n', '--']);
    assert.deepEqual(privilegePrefix(['sudo', '-n', '-u', 'cyrus', '--', 'reconstruct']), ['sudo', '-n', '-u', 'cyrus', '--']);
    assert.deepEqual(privilegePrefix(['doveadm', 'sudo']), []);
    assert.deepEqual(privilegePrefix(['sudo', '--', 'x']), [], 'a sudo that may ask for a password is never used to kill');
    assert.deepEqual(privilegePrefix(['sudo', '-n', '-s', '--', 'x']), [], 'unknown options: no prefix');
    assert.deepEqual(privilegePrefix(['sudo', '-n', '-u']), []);
    assert.deepEqual(killTreeArgv(['sudo', '-n', '-u', 'cyrus', '--', 'x'], 'TERM', 42).slice(0, 7), ['sudo', '-n', '-u', 'cyrus', '--', 'sh', '-c']);
    assert.deepEqual(killTreeArgv(['sudo', '-n', '--', 'x'], 'KILL', 42).slice(-3), ['mailops-kill', 'KILL', '42']);
    assert.throws(() => killTreeArgv([], 'TERM', 1));
  });

  test('11.13 the kill script stops a process tree whose children left the process group', async () => {
    // A child in its own session (as sudo's use_pty makes one) escapes `kill -- -PGID`; the tree walk finds it.
    const marker = `mailops-tree-${process.pid}-${Date.now()}`;
    const root = spawn('sh', ['-c', 'setsid sh -c "sleep 300; true" "$0-child" & sleep 300; true', marker], { detached: true, stdio: 'ignore' });
    const count = () => Number(execFileSync('sh', ['-c', 'pgrep -f "$1" | wc -l', 'x', `[${marker[0]}]${marker.slice(1)}`], { encoding: 'utf8' }).trim());
    try {
      for (let i = 0; i < 50 && count() < 2; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(count(), 2, 'the root and its setsid child run');
      const argv = killTreeArgv([], 'TERM', root.pid!);
      execFileSync(argv[0]!, argv.slice(1));
      for (let i = 0; i < 50 && count() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(count(), 0, 'no process of the tree is left');
    } finally {
      try {
        execFileSync('pkill', ['-KILL', '-f', marker]);
      } catch {
        /* none left */
      }
    }
  });
});
