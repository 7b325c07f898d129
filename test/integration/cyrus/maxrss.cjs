// Preloaded into a CLI run by restore-large.test.ts (node --require): prints the process's peak resident set
// size (KiB) on stderr when it exits, so the test can compare the memory of restores of different sizes.
'use strict';
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nMAILOPS_MAXRSS_KIB ${process.resourceUsage().maxRSS}\n`);
});
