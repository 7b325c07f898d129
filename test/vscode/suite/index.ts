/**
 * The extension tests' entry, loaded by VS Code's extension host (extensionTestsPath): a mocha runner over every
 * test/vscode/suite/**\/*.test.ts, which build.mjs bundles into dist/test/vscode/index.js together with this file.
 * Output goes through console.log, which the workbench forwards to test/vscode/run.ts (codeAutomationLog).
 */
import Mocha from 'mocha';

/** The last line, parsed by run.ts. */
const RESULT_PREFIX = 'mailops-vscode-result ';
/** Printed before the tests: run.ts shows what comes after it. */
const BEGIN_MARKER = 'mailops-vscode-begin';

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: 30_000,
    ...(process.env.MAILOPS_VSCODE_GREP ? { grep: process.env.MAILOPS_VSCODE_GREP } : {}),
  });
  // The suites are bundled, not files mocha loads: give them mocha's globals (describe, it, …) before they run.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  const { files } = await import('mailops:suites');
  console.log(BEGIN_MARKER);
  console.log(`mailops: ${files.length} suite files: ${files.join(', ')}`);

  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      console.log(`${RESULT_PREFIX}${JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending })}`);
      if (failures > 0) reject(new Error(`${failures} extension test(s) failed`));
      else resolve();
    });
  });
}
