/** fast-check arbitraries for shell-hostile argv words (shared by the unit and integration quoting tests). */
import fc from 'fast-check';

/** Words that try every trick a shell knows; `canary` is a path that must never be created. */
export function nastyWord(canary: string): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: fc.constantFrom("'", '"', '\\', '$', '`', '(', ')', ';', '|', '&', '\n', '\t', ' ', '*', '?', '[', ']', '~', '-', '!', '#', '{', '}', '<', '>', '%', 'a', 'é', '😀'), maxLength: 16 }),
      fc.constantFrom(
        '', '-n', '--', '-e', '*', '~', '$HOME', '${IFS}', "it's", 'a\nb', '\\', "'\\''", '/etc/*', '-rf',
        `$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`, `| touch ${canary}`,
        `& touch ${canary} &`, `\ntouch ${canary}\n`, `$(printf x > ${canary})`,
        // what other login shells read differently (issue 11.7): zsh `=cmd` and `=(…)`, fish `\'` and
        // `(cmd)`, csh `!` history and newlines, `^a^b` quick substitution, brace and tilde forms
        '=ls', `=(touch ${canary})`, `\\'; touch ${canary}; '`, `(touch ${canary})`, '!!', '!$', `!touch ${canary}`,
        '^a^b', '{a,b}', '~root', '%1', 'a\rb', `x\n\ntouch ${canary}`, '$status', '$argv', "''", '\\\\',
      ),
    )
    .filter((s) => !s.includes('\0'));
}

export function nastyArgv(canary: string): fc.Arbitrary<string[]> {
  return fc.array(nastyWord(canary), { minLength: 1, maxLength: 6 });
}
