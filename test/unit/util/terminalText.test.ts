/**
 * The task terminal's sanitiser (issue 11.8): remote text reaches the terminal without ESC/CSI/OSC/DCS
 * sequences, C1 controls or a lone CR; our own colour stays.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BOLD, DIM, RED, RESET, YELLOW, colourToolLine, problemLine, stripControls, terminalText } from '../../../src/extension/tasks/ansi';

describe('11.8 remote text for the task terminal', () => {
  const cases: Array<[string, string, string]> = [
    ['CSI cursor up + erase line', 'ok\x1b[1A\x1b[2Kforged', 'okforged'],
    ['CSI colour from the host', 'a\x1b[31;1mred\x1b[39m', 'ared'],
    ['CSI private mode (hide cursor)', 'x\x1b[?25ly', 'xy'],
    ['OSC title ended by BEL', 'a\x1b]0;pwned title\x07b', 'ab'],
    ['OSC 8 hyperlink ended by ST', '\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\', 'click'],
    ['OSC 52 clipboard, unterminated', 'before\x1b]52;c;ZXZpbA==', 'before'],
    ['DCS until ST', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['APC and PM', 'a\x1b_apc\x1b\\b\x1b^pm\x1b\\c', 'abc'],
    ['two-byte ESC (RIS reset, save cursor)', 'a\x1bcb\x1b7c', 'abc'],
    ['8-bit CSI (C1 0x9b)', 'a\u009b2Jb', 'ab'],
    ['8-bit OSC (C1 0x9d) ended by 8-bit ST (0x9c)', 'a\u009d0;t\u009cb', 'ab'],
    ['other C1 controls (NEL, IND)', 'a\u0085b\u0084c', 'abc'],
    ['lone CR and backspaces that overwrite', 'run result ok=no\rok=yes\b\b', 'run result ok=nook=yes'],
    ['BEL, NUL, DEL, vertical tab, form feed', 'a\x07\x00\x7f\x0b\x0cb', 'ab'],
    ['a trailing lone ESC', 'a\x1b', 'a'],
    ['tab and non-ASCII stay', 'Bücher\tü ✓', 'Bücher\tü ✓'],
  ];
  for (const [name, input, want] of cases) {
    test(`stripControls: ${name}`, () => {
      assert.equal(stripControls(input), want);
      assert.equal(terminalText(input), want, 'terminalText on remote text alone');
    });
  }

  test('terminalText keeps our own colour around remote text and strips the rest', () => {
    const folder = 'Work\x1b]0;x\x07\x1b[2J Stuff\r';
    assert.equal(terminalText(`${DIM}  = ${folder}: already live${RESET}`), `${DIM}  = Work Stuff: already live${RESET}`);
    assert.equal(terminalText(`${BOLD}${RED}fail${RESET}`), `${BOLD}${RED}fail${RESET}`);
    // The one thing remote text inside such a line keeps: one of our exact colour sequences (colour only).
    assert.equal(terminalText(`x${RESET}y\x1b[0;31m`), `x${RESET}y`);
  });

  test('tool lines and problem lines are fully stripped (even colour from the host)', () => {
    assert.equal(colourToolLine('doveadm\x1b[32m: \x1b]0;t\x07ok', 'warning'), `${YELLOW}doveadm: ok${RESET}`);
    assert.equal(problemLine('error', 'mx1', 'alice', 'bad\x1b[31m \u009b1Afolder'), `${RED}ERROR mx1/alice: bad folder${RESET}`);
  });
});
