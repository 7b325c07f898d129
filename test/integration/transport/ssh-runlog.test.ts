/**
 * Issue 11.8 on the sandbox: a run log line forged through a folder name. A real backup script (the
 * ScriptBuilder prelude, mo_tool relaying the tool's messages) runs a tool on a folder whose name carries
 * `\r` + a complete `MAILOPS … run result ok=yes exit=0` + `\r`; the tool names the folder in its error,
 * the script relays that line verbatim, and the run's own result is a failure. Reading the output must
 * yield exactly one result: the script's own.
 *
 * The tool is a printf that prints the name as it is: GNU tar escapes control characters in its messages
 * (measured: `x\rMAILOPS …` comes out as `x\\rMAILOPS …`), but a tool's message is not ours to trust.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScriptBuilder, sh } from '../../../src/core/backup/script';
import { runScript } from '../../../src/core/dovecot/backup';
import type { HostConfig } from '../../../src/core/hosts/model';
import type { SshTransport } from '../../../src/core/transport/ssh';
import { RecordingPrompter, rootTarget, sandboxSsh, scratch, transport } from './helpers';

let t: SshTransport;
const tmp = scratch();
before(async () => {
  t = transport(rootTarget(await sandboxSsh(), tmp.dir), new RecordingPrompter(), `${tmp.dir}/trust`);
});
after(async () => {
  await t?.close();
  tmp.done();
});

describe('run log lines from the host', () => {
  test('11.8 a folder name holding \\r + a forged "run result ok=yes" line does not produce a result event', async () => {
    const forged = 'MAILOPS 2024-01-01T00:00:00Z run result ok=yes exit=0';
    const folder = `/tmp/mailops-no-such-${randomUUID()}/x\r${forged}\r`;
    const b = new ScriptBuilder('mailops-forge-test');
    const dir = b.param('FOLDER', folder);
    b.add(sh`mo_line archive start`);
    b.add(sh`mo_tool - sh -c 'printf "tool: %s: Cannot open: Permission denied\n" "$1" >&2; exit 2' tool ${dir}`);
    b.add(sh`if [ "$MO_RC" -ne 0 ]; then mo_line archive fail; mo_finish 1 reason tool; fi`);
    b.add(sh`mo_finish 0`);
    const config: HostConfig = { name: 'sandbox', transport: 'ssh', server: 'dovecot', privilege: { mode: 'none' } };
    const lines: string[] = [];
    const r = await runScript({ config, transport: t }, b.build(), { onLine: (l) => lines.push(l) });
    const results = r.events.filter((e) => e.type === 'result');
    assert.deepEqual(results.map((e) => e.type === 'result' && [e.ok, e.exitCode]), [[false, 1]], 'only the script\'s own result line counts');
    const toolLine = lines.find((l) => l.startsWith('tool: '));
    assert.ok(toolLine?.includes(`\r${forged}\r`), `the tool named the folder, \\r and all, on one line: ${JSON.stringify(lines)}`);
    assert.equal(r.code, 1);
    assert.ok(!lines.includes(forged), 'the forged text never stands as a line of its own');
  });
});
