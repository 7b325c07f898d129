/** Schedules over the real sandbox sshd: install writes cron.d + the script, the installed script runs unattended like an interactive run, remove deletes only Mailops' files. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createTransport } from '../../../src/core/transport/index';
import type { HostContext } from '../../../src/core/hosts/context';
import { parseHostList, type HostConfig } from '../../../src/core/hosts/model';
import { installDovecotSchedule, removeDovecotSchedule, dovecotScheduleStatus, dovecotScheduleName } from '../../../src/core/dovecot/schedule';
import { SCHEDULE_MARKER, cronToOnCalendar } from '../../../src/core/backup/schedule';
import { RunLogParser } from '../../../src/core/backup/runlog';
import { sandboxHostId } from '../../support/sandbox';

const SANDBOX = join(__dirname, '../../../scripts/sandbox');
const root = `/var/tmp/mailops-schedule-it-${process.pid}`;
let ctx: HostContext;

before(() => {
  const status = JSON.parse(execFileSync('bash', [SANDBOX, '--host', sandboxHostId(), 'status', '--json'], { encoding: 'utf8' }));
  const h = parseHostList(JSON.parse(readFileSync(join(status.dir, 'hosts.json'), 'utf8'))).find((x) => x.server === 'dovecot')!;
  const config: HostConfig = { ...h, dovecot: { ...h.dovecot, backupRoot: root } };
  ctx = { config, transport: createTransport(config, { prompter: { confirmHostKey: async () => false, askSecret: async () => undefined }, trustStorePath: join(mkdtempSync(join(tmpdir(), 'mo-it-')), 'kh') }) };
});
after(async () => {
  await ctx.transport.run(['rm', '-rf', root]);
  await ctx.transport.close();
});

test('cron expressions become systemd calendars', () => {
  assert.equal(cronToOnCalendar('*/15 * * * *'), '*-*-* *:00/15:00');
  assert.equal(cronToOnCalendar('12 2 * * 1-5'), 'Mon..Fri *-*-* 02:12:00');
  assert.throws(() => cronToOnCalendar('* * *'), /5 cron fields/);
  assert.throws(() => cronToOnCalendar('* * * * * rm'), /5 cron fields/);
  assert.throws(() => cronToOnCalendar('%x * * * *'), /not valid/);
});

test('install, run the installed script unattended, status, remove', async () => {
  const name = dovecotScheduleName('bob', 'mirror');
  const s = await installDovecotSchedule(ctx, 'bob', { kind: 'mirror' }, '*/30 * * * *');
  assert.equal(s.method, 'cron', 'PID 1 is not systemd here');
  assert.deepEqual(s.files.sort(), [`/etc/cron.d/${name}`, `${root}/schedules/${name}.sh`].sort());
  const cron = (await ctx.transport.run(['cat', `/etc/cron.d/${name}`])).stdout;
  assert.ok(cron.includes(SCHEDULE_MARKER));
  assert.match(cron, new RegExp(`^\\*/30 \\* \\* \\* \\* root /bin/sh ${root}/schedules/${name}\\.sh >/dev/null 2>&1$`, 'm'));
  assert.ok(cron.endsWith('\n'), 'cron needs the last line terminated');
  // what cron would run
  const run = await ctx.transport.run(['/bin/sh', `${root}/schedules/${name}.sh`]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const ev = new RunLogParser().parseAll(run.stdout);
  const result = ev.find((e) => e.type === 'result');
  assert.ok(result?.type === 'result' && result.ok && result.fields.state_replaced === 'yes');
  const st = await dovecotScheduleStatus(ctx, 'bob', 'mirror');
  assert.equal(st.installed, true);
  assert.equal(st.every, '*/30 * * * *');
  // a foreign file of that name is never overwritten or removed
  const r = await removeDovecotSchedule(ctx, 'bob', 'mirror');
  assert.deepEqual(r.removed.sort(), s.files.sort());
  assert.equal((await dovecotScheduleStatus(ctx, 'bob', 'mirror')).installed, false);
  await ctx.transport.run(['sh', '-c', 'echo "# not ours" > "$1"', 'x', `/etc/cron.d/${name}`]);
  try {
    await assert.rejects(installDovecotSchedule(ctx, 'bob', { kind: 'mirror' }, '*/30 * * * *'), /not written by Mailops/);
    const rr = await removeDovecotSchedule(ctx, 'bob', 'mirror');
    assert.deepEqual(rr.kept, [`/etc/cron.d/${name}`]);
  } finally {
    await ctx.transport.run(['rm', '-f', `/etc/cron.d/${name}`]);
  }
});
