import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSandboxUp, REPO_ROOT, PWNED_FILE, type SandboxInfo } from '../../support/sandbox';
import type { ProbeReport } from '../../../src/core/probe';

const cli = join(REPO_ROOT, 'dist/cli.js');
function mailops(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MAILOPS_HOST: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mailops probe against the sandbox over real SSH', () => {
  let sb: SandboxInfo;
  before(async () => {
    sb = await ensureSandboxUp();
  });

  test('probe --ssh root@127.0.0.1:2222 --identity KEY --known-hosts FILE --json reports Dovecot and Cyrus with versions and paths', () => {
    const r = mailops(['probe', '--ssh', `root@127.0.0.1:${sb.ssh.port}`, '--identity', sb.ssh.identity, '--known-hosts', sb.ssh.knownHosts, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ProbeReport;
    assert.deepEqual(report.detected, ['dovecot', 'cyrus']);
    assert.equal(report.user, 'root');
    // Each generation's own versions: Debian 12 ships Dovecot 2.3.19 and Cyrus 3.6.1, Debian 13 Dovecot 2.4.1 and Cyrus 3.10.2.
    assert.match(report.dovecot?.version ?? '', sb.host.debian === 13 ? /^2\.4\.\d+/ : /^2\.3\.\d+/);
    assert.match(report.dovecot?.doveadm ?? '', /\/doveadm$/);
    assert.match(report.cyrus?.version ?? '', sb.host.debian === 13 ? /cyrus-imapd 3\.10/ : /cyrus-imapd 3\.6/);
    assert.equal(report.cyrus?.toolsDir, '/usr/lib/cyrus/bin');
    // The sandbox runs both servers with configs of its own; with nothing configured the probe finds them
    // through the running masters. Where other instances run too (a developer's machine), it guesses none
    // and lists them all.
    assert.ok(report.dovecot?.instances.includes(sb.dovecot.config), JSON.stringify(report.dovecot?.instances));
    assert.ok(report.cyrus?.instances.includes(sb.cyrus.config), JSON.stringify(report.cyrus?.instances));
    if (report.dovecot?.instances.length === 1) {
      assert.equal(report.dovecot.config, sb.dovecot.config);
      assert.equal(report.dovecot.configFrom, 'process');
      assert.equal(report.dovecot.running, true);
      assert.deepEqual(report.dovecot.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    }
    if (report.cyrus?.instances.length === 1) {
      assert.equal(report.cyrus.config, sb.cyrus.config);
      assert.equal(report.cyrus.expungeMode, 'delayed');
      assert.equal(report.cyrus.deleteMode, 'delayed');
    }
  });

  test('with the hosts file: the configured Dovecot and Cyrus settings', () => {
    const d = mailops(['probe', '--config', sb.hostsFile, '--host', 'sandbox-dovecot', '--json']);
    assert.equal(d.code, 0, d.stderr);
    const dr = JSON.parse(d.stdout) as ProbeReport;
    assert.equal(dr.dovecot?.config, sb.dovecot.config);
    assert.equal(dr.dovecot?.configFrom, 'settings');
    assert.equal(dr.dovecot?.running, true);
    // Each generation's own way of saying where mail is: mail_location on 2.3, mail_driver/mail_path/layout on 2.4.
    if (sb.host.debian === 13) {
      assert.equal(dr.dovecot?.dialect, '2.4');
      assert.equal(dr.dovecot?.mailLocation, null);
      assert.equal(dr.dovecot?.storage?.setting, 'mail_driver = maildir, mail_path = %{home}/Maildir, mailbox_list_layout = fs');
    } else {
      assert.equal(dr.dovecot?.dialect, '2.3');
      assert.equal(dr.dovecot?.mailLocation, 'maildir:~/Maildir:LAYOUT=fs');
    }
    assert.deepEqual(dr.dovecot?.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    assert.equal(dr.dovecot?.separator, sb.dovecot.separator);
    const c = mailops(['probe', '--config', sb.hostsFile, '--host', 'sandbox-cyrus', '--json']);
    assert.equal(c.code, 0, c.stderr);
    const cr = JSON.parse(c.stdout) as ProbeReport;
    assert.equal(cr.cyrus?.config, sb.cyrus.config);
    assert.equal(cr.cyrus?.running, true);
    assert.equal(cr.cyrus?.expungeMode, 'delayed');
    assert.equal(cr.cyrus?.deleteMode, 'delayed');
    assert.equal(cr.cyrus?.unixHierarchySep, sb.cyrus.unixhierarchysep);
    assert.ok(cr.cyrus?.configDirectory?.startsWith(sb.dir), cr.cyrus?.configDirectory ?? 'null');
    assert.ok(Object.values(cr.cyrus?.partitions ?? {}).some((p) => p.startsWith(sb.dir)));
  });

  test('human output names the servers and tool paths', () => {
    const r = mailops(['probe', '--config', sb.hostsFile, '--host', 'sandbox-dovecot']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /detected: dovecot, cyrus/);
    assert.match(r.stdout, sb.host.debian === 13 ? /Dovecot 2\.4\.\d+/ : /Dovecot 2\.3\.\d+/);
    assert.match(r.stdout, /lazy_expunge +on, mailbox EXPUNGED/);
    assert.match(r.stdout, /tools +\/usr\/lib\/cyrus\/bin/);
  });

  test('an unknown host key is refused without a TTY, with the fingerprint and what to do', () => {
    const r = mailops(['probe', '--ssh', `root@127.0.0.1:${sb.ssh.port}`, '--identity', sb.ssh.identity, '--known-hosts', '/dev/null', '--json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SHA256:[A-Za-z0-9+/]{43}/);
    assert.equal(existsSync(PWNED_FILE), false);
  });
});
