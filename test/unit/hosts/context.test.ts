import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFailedError } from '../../../src/core/errors';
import { execPrivileged, privilegedArgv, runChecked, type HostContext } from '../../../src/core/hosts/context';
import { LocalTransport } from '../../../src/core/transport/local';

const transport = new LocalTransport({ name: 'here' });
const ctx: HostContext = { config: { name: 'here', transport: 'local', server: 'detect', privilege: { mode: 'none' } }, transport };

describe('HostContext helpers', () => {
  test('privilegedArgv applies the host privilege unless unprivileged', () => {
    const sudoCtx: HostContext = { ...ctx, config: { ...ctx.config, privilege: { mode: 'sudo-user', user: 'cyrus' } } };
    assert.deepEqual(privilegedArgv(sudoCtx, ['ls', '-l']), ['sudo', '-n', '-u', 'cyrus', '--', 'ls', '-l']);
    assert.deepEqual(privilegedArgv(sudoCtx, ['ls'], { unprivileged: true }), ['ls']);
  });

  test('execPrivileged runs and does not check the exit code', async () => {
    const r = await execPrivileged(ctx, ['sh', '-c', 'echo hi; exit 3']);
    assert.deepEqual([r.code, r.stdout], [3, 'hi\n']);
  });

  test('runChecked returns on accepted codes', async () => {
    assert.equal((await runChecked(ctx, ['sh', '-c', 'exit 2'], { accept: [0, 2] })).code, 2);
  });

  test('runChecked throws CommandFailedError with host, command, code, meaning, stderr tail and hint', async () => {
    await assert.rejects(
      runChecked(ctx, ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line $i" >&2; done; exit 75', "it's"], {}, (code) =>
        code === 75 ? { meaning: 'temporary failure', hint: 'retry later' } : undefined),
      (e: unknown) => {
        assert.ok(e instanceof CommandFailedError);
        assert.equal(e.host, 'here');
        assert.equal(e.exitCode, 75);
        assert.equal(e.command, `sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line $i" >&2; done; exit 75' 'it'\\''s'`);
        assert.equal(e.meaning, 'temporary failure');
        assert.equal(e.hint, 'retry later');
        assert.ok(e.stderr?.startsWith('line 3\n') && e.stderr.endsWith('line 12'), e.stderr);
        assert.match(e.message, /exit code 75/);
        return true;
      },
    );
  });

  test('runChecked explains a missing command and hides a script body with displayArgv', async () => {
    await assert.rejects(runChecked(ctx, ['mailops-no-such-tool']), (e: unknown) => e instanceof CommandFailedError && e.exitCode === 127 && /not found/.test(e.meaning ?? ''));
    await assert.rejects(runChecked(ctx, ['sh', '-c', 'exit 1', 'secret-script'], { displayArgv: ['sh', '-c', '<script>'] }), (e: unknown) =>
      e instanceof CommandFailedError && e.command === "sh -c '<script>'");
  });
});
