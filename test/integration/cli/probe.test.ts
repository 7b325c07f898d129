import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSandboxUp, sandboxCmd, sandboxExec, REPO_ROOT, PWNED_FILE, type SandboxInfo } from '../../support/sandbox';
import type { ProbeReport } from '../../../src/core/probe';

/**
 * Impostors of the two daemons, started INSIDE the host (its own PID namespace): a copy of perl named `master`
 * / `dovecot` that sleeps and carries `-C FILE` / `-c FILE` on its command line, as any local user can start
 * one. Started by the unprivileged `mailops` user, plus one started by root from a root-owned copy (owner
 * right, program wrong), plus one whose -C value holds a newline that would forge a line of the probe's
 * output. Returns their PIDs (in the host) and the folder they live in.
 */
async function startImpostors(): Promise<{ dir: string; asUser: number[]; asRoot: number[] }> {
  const user = await sandboxExec(['su', '-s', '/bin/sh', 'mailops', '-c', [
    'set -e',
    'd=$(mktemp -d /var/tmp/mailops-impostor.XXXXXX)',
    'chmod 755 "$d"; cp /usr/bin/perl "$d/master"; cp /usr/bin/perl "$d/dovecot"',
    'printf "configdirectory: %s\\npartition-default: %s\\n" "$d" "$d" >"$d/imapd.conf"',
    'echo "$d"',
    '"$d/master" -e "sleep 300" -- -C "$d/imapd.conf" </dev/null >/dev/null 2>&1 & echo $!',
    '"$d/dovecot" -e "sleep 300" -- -c "$d/dovecot.conf" </dev/null >/dev/null 2>&1 & echo $!',
    '"$d/master" -e "sleep 300" -- -C "$(printf "/x\\ncyrus.config=%s/imapd.conf" "$d")" </dev/null >/dev/null 2>&1 & echo $!',
  ].join('\n')]);
  assert.equal(user.code, 0, user.stderr);
  const [dir, ...pids] = user.stdout.trim().split('\n');
  const root = await sandboxExec(['sh', '-c', 'd=$1; mkdir -p "$d/r"; cp /usr/bin/perl "$d/r/master"; "$d/r/master" -e "sleep 300" -- -C "$d/imapd.conf" </dev/null >/dev/null 2>&1 & echo $!', 'impostor', dir!]);
  assert.equal(root.code, 0, root.stderr);
  return { dir: dir!, asUser: pids.map(Number), asRoot: [Number(root.stdout.trim())] };
}

async function stopImpostors(i: { dir: string; asUser: number[]; asRoot: number[] }): Promise<void> {
  await sandboxExec(['kill', ...[...i.asUser, ...i.asRoot].map(String)]);
  await sandboxExec(['rm', '-rf', '--', i.dir]);
}

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

  test('11.1 a program named master or dovecot started by a local user (or from another binary) is not taken for the daemon; the real masters still are', async () => {
    const imp = await startImpostors();
    try {
      const r = mailops(['probe', '--ssh', `root@127.0.0.1:${sb.ssh.port}`, '--identity', sb.ssh.identity, '--known-hosts', sb.ssh.knownHosts, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as ProbeReport;
      const cy = report.cyrus!;
      const dv = report.dovecot!;
      // Never picked: no impostor config among the instances, and the forged line did not become the config.
      for (const c of [...cy.instances, ...dv.instances, cy.config, dv.config ?? '']) assert.ok(!c.startsWith(imp.dir) && !c.startsWith('/x'), `impostor config used: ${c}`);
      // The real ones: exactly one trusted master each, so its config is taken from its command line.
      assert.deepEqual(cy.instances, [sb.cyrus.config]);
      assert.equal(cy.config, sb.cyrus.config);
      assert.equal(cy.configFrom, 'process');
      assert.equal(cy.running, true);
      assert.deepEqual(dv.instances, [sb.dovecot.config]);
      assert.equal(dv.config, sb.dovecot.config);
      assert.equal(dv.configFrom, 'process');
      // Each impostor is named, with its owner, its program and why it is not trusted.
      const byPid = new Map([...cy.untrusted, ...dv.untrusted].map((u) => [u.pid, u]));
      const [fakeMaster, fakeDovecot, forged] = imp.asUser;
      assert.match(byPid.get(fakeMaster!)?.reason ?? 'missing', /runs as uid 1000, not as root or the daemon user/);
      assert.match(byPid.get(fakeMaster!)?.user ?? '', /uid 1000 \(mailops\)/);
      assert.equal(byPid.get(fakeMaster!)?.program, `${imp.dir}/master`);
      assert.equal(byPid.get(fakeMaster!)?.config, `${imp.dir}/imapd.conf`);
      assert.match(byPid.get(fakeDovecot!)?.reason ?? 'missing', /runs as uid 1000, not as root/);
      assert.ok(dv.untrusted.some((u) => u.pid === fakeDovecot), 'the fake dovecot is listed under Dovecot');
      assert.equal(byPid.get(forged!)?.config, null, 'a value with a newline is never printed');
      assert.match(byPid.get(imp.asRoot[0]!)?.reason ?? 'missing', new RegExp(`its program is ${imp.dir}/r/master, not ${sb.cyrus.toolsDir}/master`));
      assert.equal(existsSync(PWNED_FILE), false);
    } finally {
      await stopImpostors(imp);
    }
  });

  test('11.1 with only impostors running and no cyrus.config, Cyrus commands refuse, naming the process, instead of guessing', async () => {
    const imp = await startImpostors();
    await sandboxCmd('stop', 'cyrus');
    try {
      const r = mailops(['folders', '--ssh', `root@127.0.0.1:${sb.ssh.port}`, '--identity', sb.ssh.identity, '--known-hosts', sb.ssh.knownHosts, '--server', 'cyrus', '--json']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const err = `${r.stdout}${r.stderr}`;
      assert.match(err, /not taking the Cyrus config from processes that are not the Cyrus master/);
      assert.match(err, new RegExp(`PID ${imp.asUser[0]} \\(uid 1000 \\(mailops\\), program ${imp.dir}/master, -C ${imp.dir}/imapd.conf\\)`));
      assert.match(err, /set cyrus\.config of the host/);
      const p = mailops(['probe', '--ssh', `root@127.0.0.1:${sb.ssh.port}`, '--identity', sb.ssh.identity, '--known-hosts', sb.ssh.knownHosts, '--json']);
      const report = JSON.parse(p.stdout) as ProbeReport;
      assert.deepEqual(report.cyrus?.instances, []);
      assert.equal(report.cyrus?.configFrom, 'default');
      assert.ok((report.cyrus?.untrusted.length ?? 0) >= 3);
    } finally {
      await sandboxCmd('start', 'cyrus');
      await stopImpostors(imp);
    }
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
