import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProbeOutput } from '../../../src/core/probe';
import { renderProbe } from '../../../src/cli/commands/probe';

// Both fixtures are the probe script's real output over SSH from the sandbox host (Debian 12,
// Dovecot 2.3.19.1, Cyrus 3.6.1): once with the configs given, once with none while three
// Dovecot and three Cyrus masters ran with other configs.
const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/probe', name), 'utf8');

describe('probe output parser (captured from the real script)', () => {
  test('configured sandbox: both servers with versions, paths and the settings backups need', () => {
    const r = parseProbeOutput(fixture('sandbox-configured.txt'), 'sandbox', 'ssh', {
      dovecot: '/var/tmp/mailops-sandbox/hosts/d12/dovecot/dovecot.conf',
      cyrus: '/var/tmp/mailops-sandbox/hosts/d12/cyrus/imapd.conf',
    });
    assert.deepEqual(r.detected, ['dovecot', 'cyrus']);
    assert.equal(r.dovecot?.version, '2.3.19.1 (9b53102964)');
    assert.equal(r.dovecot?.doveadm, '/usr/bin/doveadm');
    assert.equal(r.dovecot?.config, '/var/tmp/mailops-sandbox/hosts/d12/dovecot/dovecot.conf');
    assert.equal(r.dovecot?.configFrom, 'settings');
    assert.equal(r.dovecot?.running, true);
    assert.equal(r.dovecot?.mailLocation, 'maildir:~/Maildir:LAYOUT=fs');
    assert.deepEqual(r.dovecot?.mailPlugins, ['lazy_expunge']);
    assert.deepEqual(r.dovecot?.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    assert.equal(r.dovecot?.separator, '/');
    assert.equal(r.cyrus?.version, 'cyrus-imapd 3.6.1-Debian-3.6.1-4+deb12u4');
    assert.equal(r.cyrus?.toolsDir, '/usr/lib/cyrus/bin');
    assert.equal(r.cyrus?.configDirectory, '/var/tmp/mailops-sandbox/hosts/d12/cyrus/config');
    assert.deepEqual(r.cyrus?.partitions, { default: '/var/tmp/mailops-sandbox/hosts/d12/cyrus/spool' });
    assert.equal(r.cyrus?.expungeMode, 'delayed');
    assert.equal(r.cyrus?.deleteMode, 'delayed');
    assert.equal(r.cyrus?.unixHierarchySep, false);
    assert.equal(r.cyrus?.virtDomains, 'off');
    assert.equal(r.cyrus?.running, true);
  });

  test('several running instances and no config: none is guessed, all are listed', () => {
    const r = parseProbeOutput(fixture('several-instances.txt'), 'h', 'ssh');
    assert.equal(r.dovecot?.config, null);
    assert.equal(r.dovecot?.configFrom, 'default');
    assert.equal(r.dovecot?.instances.length, 3);
    assert.ok(r.dovecot?.instances.includes('/var/tmp/mailops-sandbox/dovecot/dovecot.conf'));
    assert.equal(r.dovecot?.running, false);
    assert.equal(r.cyrus?.config, '/etc/imapd.conf');
    assert.equal(r.cyrus?.instances.length, 3);
    assert.deepEqual(Object.keys(r.cyrus?.partitions ?? {}).sort(), ['default', 'news']);
    const text = renderProbe(r);
    assert.match(text, /3 Dovecot masters run with other configs: .*choose one with --dovecot-config/);
    assert.match(text, /3 Cyrus masters run with other configs/);
  });

  test('Dovecot 2.4 (Debian 13) is detected without mail_location: dialect, storage, plugins as a list, lazy_expunge_mailbox', () => {
    // test/fixtures/dovecot24/capture.sh: the probe script run in a Debian 13 root file system.
    const r = parseProbeOutput(readFileSync(join(__dirname, '../../fixtures/dovecot24/probe.24.txt'), 'utf8'), 'd13', 'ssh', { dovecot: '/srv/mailops-capture/dovecot.conf', cyrus: '/etc/imapd.conf' });
    assert.deepEqual(r.detected, ['dovecot', 'cyrus']);
    const d = r.dovecot!;
    assert.equal(d.version, '2.4.1-4 (7d8c0e5759)');
    assert.deepEqual(d.dovecotVersion, { major: 2, minor: 4, patch: 1 });
    assert.equal(d.dialect, '2.4');
    assert.equal(d.mailLocation, null);
    assert.deepEqual(d.storage && { driver: d.storage.driver, path: d.storage.path, indexPath: d.storage.indexPath, layout: d.storage.layout }, { driver: 'maildir', path: '%{home}/Maildir', indexPath: null, layout: 'fs' });
    assert.deepEqual(d.mailPlugins, ['lazy_expunge']);
    assert.deepEqual(d.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    assert.equal(d.separator, '/');
    assert.equal(d.maildirlock, null, '2.4 ships no maildirlock');
    assert.equal(d.running, true);
    const c = r.cyrus!;
    assert.deepEqual(c.cyrusVersion, { major: 3, minor: 10, patch: 2 });
    assert.equal(c.indexVersion, 19);
    assert.equal(c.cacheVersion, 11);
    const text = renderProbe(r);
    assert.match(text, /Dovecot 2\.4\.1-4 \(7d8c0e5759\), config dialect 2\.4/);
    assert.match(text, /mail storage +mail_driver = maildir, mail_path = %\{home\}\/Maildir, mailbox_list_layout = fs/);
    assert.match(text, /lazy_expunge +on, mailbox EXPUNGED/);
    assert.match(text, /Cyrus cyrus-imapd 3\.10\.2.*\n(.*\n)* {2}index version +19/);
  });

  test('the Debian 13 sandbox host over SSH: Dovecot 2.4 with its lazy_expunge mailbox, Cyrus 3.10 with index version 19', () => {
    const r = parseProbeOutput(fixture('sandbox-d13.txt'), 'd13', 'ssh', {
      dovecot: '/var/tmp/mailops-sandbox/hosts/d13/dovecot/dovecot.conf',
      cyrus: '/var/tmp/mailops-sandbox/hosts/d13/cyrus/imapd.conf',
    });
    assert.deepEqual(r.detected, ['dovecot', 'cyrus']);
    assert.equal(r.hostname, 'd13.sandbox.mailops.test');
    assert.equal(r.dovecot?.dialect, '2.4');
    assert.equal(r.dovecot?.mailLocation, null);
    assert.equal(r.dovecot?.storage?.setting, 'mail_driver = maildir, mail_path = %{home}/Maildir, mailbox_list_layout = fs');
    assert.deepEqual(r.dovecot?.mailPlugins, ['lazy_expunge']);
    assert.deepEqual(r.dovecot?.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    assert.equal(r.dovecot?.separator, '/');
    assert.equal(r.dovecot?.running, true);
    assert.deepEqual(r.cyrus?.cyrusVersion, { major: 3, minor: 10, patch: 2 });
    assert.equal(r.cyrus?.indexVersion, 19);
    assert.equal(r.cyrus?.running, true);
  });

  test('Dovecot 2.3 (Debian 12), the same server in the old syntax: the same answers', () => {
    const r = parseProbeOutput(readFileSync(join(__dirname, '../../fixtures/dovecot24/probe.23.txt'), 'utf8'), 'd12', 'ssh', { dovecot: '/x', cyrus: '/etc/imapd.conf' });
    const d = r.dovecot!;
    assert.equal(d.dialect, '2.3');
    assert.deepEqual(d.dovecotVersion, { major: 2, minor: 3, patch: 19 });
    assert.equal(d.mailLocation, 'maildir:~/Maildir:LAYOUT=fs');
    assert.equal(d.storage?.layout, 'fs');
    assert.deepEqual(d.mailPlugins, ['lazy_expunge']);
    assert.deepEqual(d.lazyExpunge, { enabled: true, mailbox: 'EXPUNGED' });
    assert.equal(d.maildirlock, '/usr/lib/dovecot/maildirlock');
    assert.deepEqual(r.cyrus?.cyrusVersion, { major: 3, minor: 6, patch: 1 });
    assert.equal(r.cyrus?.indexVersion, null, 'Cyrus 3.6 prints no index version');
    assert.ok(r.detected.includes('dovecot'));
  });

  test('a doveadm whose dialect cannot be told is reported, not detected', () => {
    const r = parseProbeOutput('dovecot.doveadm=/usr/bin/doveadm\ndovecot.version=2.4.1-4 (7d8c0e5759)\ndovecot.conf=mail_driver = maildir\nend=ok\n', 'h', 'ssh');
    assert.equal(r.dovecot?.dialect, null);
    assert.match(r.dovecot?.dialectEvidence ?? '', /no dovecot_config_version/);
    assert.deepEqual(r.detected, []);
    assert.match(renderProbe(r), /config dialect unknown: .*no dovecot_config_version/);
  });

  test('a host without mail servers detects nothing', () => {
    const r = parseProbeOutput('hostname=web1\nkernel=Linux 6.1\nuser=deploy\nend=ok\n', 'web1', 'ssh');
    assert.deepEqual(r.detected, []);
    assert.equal(r.dovecot, null);
    assert.equal(r.cyrus, null);
  });
});
