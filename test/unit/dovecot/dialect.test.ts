/**
 * The Dovecot dialect module on output captured from the real servers (test/fixtures/dovecot24/capture.sh:
 * Dovecot 2.4.1 of Debian 13 and 2.3.19.1 of Debian 12, same seed, same steps), and its shell pieces run in
 * a real sh with doveadm replaced by a recorder.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BACKUP_FORMS_SH,
  DIALECT_SH,
  backupLocation,
  copyImportSource,
  copyOverrides,
  decideDialect,
  dialectOfVersion,
  layoutOfLocationRecord,
  lazyExpungeHint,
  parseDoveconf,
  parseMailLocation,
} from '../../../src/core/dovecot/dialect';
import { buildDovecotBackupScript } from '../../../src/core/dovecot/backup';
import { parseStepLine } from '../../../src/core/backup/runlog';
import { parseVersionParts } from '../../../src/core/util/version';
import type { HostConfig } from '../../../src/core/hosts/model';

const DIR = join(__dirname, '../../fixtures/dovecot24');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

describe('doveconf -N of both dialects', () => {
  test('2.4: dialect, storage as a structure, plugins as a list, lazy_expunge_mailbox', () => {
    const s = parseDoveconf(read('doveconf-N.24.txt'));
    assert.equal(s.dialect, '2.4');
    assert.equal(s.version, '2.4.1-4');
    assert.match(s.dialectEvidence, /version 2\.4\.1-4; dovecot_config_version = 2\.4\.1/);
    assert.equal(s.mailLocation, null);
    assert.deepEqual(s.storage, {
      driver: 'maildir',
      path: '%{home}/Maildir',
      indexPath: null,
      controlPath: null,
      layout: 'fs',
      layoutExplicit: true,
      setting: 'mail_driver = maildir, mail_path = %{home}/Maildir, mailbox_list_layout = fs',
    });
    assert.deepEqual(s.mailPlugins, ['lazy_expunge'], 'not ["lazy_expunge", "=", "yes"] as doveconf -h mail_plugins reads');
    assert.equal(read('doveconf-h-mail_plugins.24.txt').trim(), 'lazy_expunge = yes', 'why -h is not used');
    assert.equal(s.lazyExpungeMailbox, 'EXPUNGED');
    assert.equal(s.separator, '/');
  });

  test('2.3: the same server in the old syntax gives the same answers', () => {
    const s = parseDoveconf(read('doveconf-N.23.txt'));
    assert.equal(s.dialect, '2.3');
    assert.equal(s.version, '2.3.19.1');
    assert.equal(s.mailLocation, 'maildir:~/Maildir:LAYOUT=fs');
    assert.equal(s.storage?.driver, 'maildir');
    assert.equal(s.storage?.path, '~/Maildir');
    assert.equal(s.storage?.layout, 'fs');
    assert.deepEqual(s.mailPlugins, ['lazy_expunge'], '2.3 -N prints mail_plugins = " lazy_expunge" (quoted)');
    assert.equal(s.lazyExpungeMailbox, 'EXPUNGED');
    assert.equal(s.separator, '/');
  });

  test('2.4 without mailbox_list_layout: doveconf -h says fs, maildir uses Maildir++, -N tells them apart', () => {
    assert.deepEqual(read('doveconf-h-layout.24.txt').trim().split('\n'), ['dovecot.conf: fs', 'nolayout.conf: fs']);
    const s = parseDoveconf(read('doveconf-N-nolayout.24.txt'));
    assert.equal(s.storage?.layout, 'maildir++');
    assert.equal(s.storage?.layoutExplicit, false);
    // What doveadm does with each config: where it would put a new folder.
    assert.match(read('mailbox-path-nolayout.24.txt').trim(), /\/Maildir\/\.mailops-layout-probe$/);
    assert.match(read('mailbox-path-live.24.txt'), /^layout-probe=.*\/Maildir\/mailops-layout-probe$/m);
  });

  test('2.3 section dump (the old readDovecotSettings command) is still read', () => {
    const s = parseDoveconf(readFileSync(join(__dirname, '../../fixtures/dovecot/browse-doveconf.txt'), 'utf8'));
    assert.equal(s.dialect, '2.3');
    assert.equal(s.version, null);
    assert.match(s.dialectEvidence, /no version printed; mail_location, a plugin \{ \} section/);
  });

  test('the version is the real dovecot --version of each', () => {
    assert.equal(dialectOfVersion(parseVersionParts(read('dovecot-version.24.txt'))!), '2.4');
    assert.equal(dialectOfVersion(parseVersionParts(read('dovecot-version.23.txt'))!), '2.3');
  });
});

describe('decideDialect never guesses', () => {
  const none = { version: null, configVersion: null, mailLocation: false, pluginSection: false };
  test('version and keys agree, or one of them speaks', () => {
    assert.equal(decideDialect({ ...none, version: '2.4.1-4 (7d8c0e5759)', configVersion: '2.4.1' }).dialect, '2.4');
    assert.equal(decideDialect({ ...none, version: '2.3.19.1 (9b53102964)' }).dialect, '2.3');
    assert.equal(decideDialect({ ...none, version: '2.3.21', mailLocation: true }).dialect, '2.3');
    assert.equal(decideDialect({ ...none, configVersion: '2.4.0' }).dialect, '2.4');
    assert.equal(decideDialect({ ...none, pluginSection: true }).dialect, '2.3');
    assert.equal(decideDialect({ ...none, version: '3.0.0', configVersion: '3.0.0' }).dialect, '2.4');
  });
  test('disagreement or silence is no dialect, with the reason', () => {
    const cases = [
      [{ ...none, version: '2.4.1', mailLocation: true, configVersion: '2.4.1' }, /mixes both dialects/],
      [{ ...none, version: '2.3.19', configVersion: '2.4.1' }, /writes the 2\.3 dialect, but its configuration has dovecot_config_version/],
      [{ ...none, version: '2.4.1' }, /printed no dovecot_config_version/],
      [none, /no version printed and none of/],
    ] as const;
    for (const [e, why] of cases) {
      const d = decideDialect(e);
      assert.equal(d.dialect, null, JSON.stringify(e));
      assert.match(d.evidence, why);
    }
  });

  test('the backup script decides the same as decideDialect, on the same inputs (a real sh)', () => {
    const headers = [read('doveconf-N.24.txt').split('\n')[0]!, read('doveconf-N.23.txt').split('\n')[0]!];
    const versions = ['2.0.9', '2.2.36', '2.3.4.1', '2.3.19.1', '2.3.21.1', '2.4.0', '2.4.1-4', '2.10.1', '3.0.0', ''];
    const lines = [...headers, ...versions.map((v) => (v ? `# ${v} (abc): /etc/dovecot/dovecot.conf` : ''))];
    for (const line of lines) {
      for (const cv of ['', '2.4.1']) {
        const r = spawnSync('sh', ['-c', `${DIALECT_SH.code}\nDOVE_CONF_N=$1; DOVE_CONF_VERSION=$2; if mo_dialect; then printf '%s' "$DIALECT"; fi`, 't', line, cv], { encoding: 'utf8' });
        const version = /^# (\S+)/.exec(line)?.[1] ?? null;
        const ts = decideDialect({ version, configVersion: cv || null, mailLocation: false, pluginSection: false }).dialect;
        assert.equal(r.stdout || null, ts, `${JSON.stringify(line)} with dovecot_config_version ${JSON.stringify(cv)}`);
      }
    }
  });
});

describe('forms that read a maildir copy', () => {
  const copy = { dir: '/b/dovecot/alice/mirror', layout: 'fs' as const };
  test('2.3: mail_location with INDEX=MEMORY, as before', () => {
    assert.deepEqual(copyOverrides('2.3', copy), { mail_location: 'maildir:/b/dovecot/alice/mirror:LAYOUT=fs:INDEX=MEMORY' });
    assert.deepEqual(copyImportSource('2.3', copy), [backupLocation(copy.dir, 'fs')]);
  });
  test('2.4: driver, path, in-memory index, no live control/alt path, the layout always named', () => {
    assert.deepEqual(copyOverrides('2.4', copy), {
      mail_driver: 'maildir',
      mail_path: '/b/dovecot/alice/mirror',
      mail_index_path: 'MEMORY',
      mail_control_path: '',
      mail_alt_path: '',
      mailbox_list_layout: 'fs',
    });
    assert.deepEqual(copyImportSource('2.4', { ...copy, layout: 'maildir++' }), [
      '-p', 'mail_index_path=MEMORY', '-p', 'mail_control_path=', '-p', 'mail_alt_path=', '-p', 'mailbox_list_layout=maildir++', 'maildir:/b/dovecot/alice/mirror',
    ]);
    // What 2.4 says to the 2.3 forms (captured): why both differ.
    assert.match(read('import-old-form.24.stderr'), /should be in mail_driver:mail_path syntax/);
    assert.equal(read('import-old-form.24.rc').trim(), 'rc=64');
    assert.match(read('backup-layout-form.24.stderr'), /Destination should be in mail_driver:mail_path syntax/);
  });
  test('a 2.4 mirror written without the layout is Maildir++ and renames "dots.in.name": the layout is passed', () => {
    assert.ok(read('backup-default-layout-dirs.24.txt').includes('./.dots_in_name/cur'));
    assert.ok(read('backup-p-layout-dirs.24.txt').includes('./dots.in.name/cur'));
  });
  test('doveadm of both versions ignores an override key it does not know (reads live, exit 0)', () => {
    for (const v of ['23', '24']) {
      const live = JSON.parse(read(`status-misspelled-override.${v}.txt`)) as Array<{ mailbox: string; messages: string }>;
      assert.equal(live[0]?.mailbox, 'INBOX');
      assert.ok(Number(live[0]?.messages) > 0, 'the live INBOX, not /nonexistent');
    }
  });
  test('paths with ":" are refused on both', () => {
    assert.throws(() => copyOverrides('2.4', { dir: '/b/a:b', layout: 'fs' }), /may not contain ":"/);
    assert.throws(() => copyOverrides('2.3', { dir: '/b/a:b', layout: 'fs' }), /may not contain ":"/);
  });
});

describe('mail_location (2.3)', () => {
  test('driver, path and parameters; layout defaults by driver; "::" is a colon', () => {
    assert.deepEqual(parseMailLocation('maildir:~/Maildir:LAYOUT=fs:INDEX=/var/idx/%u'), {
      driver: 'maildir', path: '~/Maildir', indexPath: '/var/idx/%u', controlPath: null, layout: 'fs', layoutExplicit: true, setting: 'mail_location = maildir:~/Maildir:LAYOUT=fs:INDEX=/var/idx/%u',
    });
    assert.equal(parseMailLocation('maildir:~/Maildir').layout, 'maildir++');
    assert.equal(parseMailLocation('mdbox:~/mdbox').layout, 'fs');
    assert.equal(parseMailLocation('maildir:/a::b:CONTROL=/c').path, '/a:b');
    assert.equal(parseMailLocation('maildir:/a::b:CONTROL=/c').controlPath, '/c');
  });
});

describe('hints and records', () => {
  test('lazy_expunge hint in the host\'s syntax', () => {
    assert.match(lazyExpungeHint('2.4'), /mail_plugins \{ lazy_expunge = yes \}, lazy_expunge_mailbox = EXPUNGED/);
    assert.doesNotMatch(lazyExpungeHint('2.4'), /plugin \{ lazy_expunge =/);
    assert.match(lazyExpungeHint('2.3'), /plugin \{ lazy_expunge = EXPUNGED \}/);
    assert.match(lazyExpungeHint(null), /Dovecot 2\.3: .*Dovecot 2\.4: /);
  });
  test('the layout of a mirror.location record, as each dialect\'s run wrote it', () => {
    for (const v of ['23', '24']) {
      const start = read(`backup-run-mirror.${v}.txt`).split('\n').map(parseStepLine).find((l) => l?.step === 'dsync' && l.status === 'start');
      assert.ok(start, `a dsync start line in the ${v} run`);
      assert.equal(layoutOfLocationRecord(start.fields.location!), 'fs', start.fields.location);
    }
    assert.equal(layoutOfLocationRecord('maildir:/b/m'), '');
    assert.equal(layoutOfLocationRecord(null), '');
  });
});

describe('the backup script on both dialects (real sh, doveadm recorded)', () => {
  const host: HostConfig = { name: 'h', transport: 'ssh', server: 'dovecot', privilege: { mode: 'none' } };
  /** Run mo_use_dialect + mo_discover + mirror_backup with mo_dove printing its argv and the layout probe path. */
  const run = (dialect: string, probePath: string) => {
    const script = `${BACKUP_FORMS_SH.code}
ACCOUNT=$1; MAILDIRLOCK=/usr/lib/dovecot/maildirlock; DIALECT=$2
mo_dove() {
  case "$*" in
    'user -f mail_path '*) echo /home/alice/Maildir ;;
    'user -f mail '*) echo 'maildir:~/Maildir:LAYOUT=fs' ;;
    'mailbox path '*) printf '%s\\n' "$PROBE" ;;
    *) printf '<%s>' "$@"; echo ;;
  esac
}
mo_doveconf() { return 1; }
mo_use_dialect || exit 9
mo_discover
printf 'key=%s desc=%s layout=%s lock=%s\\n' "$MAILDESC_KEY" "$MAILDESC" "$LAYOUTP" "$MAILDIRLOCK"
mirror_loc /b/m; echo
mirror_backup STATE /b/m`;
    const r = spawnSync('sh', ['-c', script, 't', 'alice', dialect], { encoding: 'utf8', env: { ...process.env, PROBE: probePath } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n');
  };
  test('2.4: mail_path, the layout doveadm uses, -p mailbox_list_layout, no maildirlock; lazy_expunge off for the mirror', () => {
    const live = /^layout-probe=(.*)$/m.exec(read('mailbox-path-live.24.txt'))![1]!;
    assert.deepEqual(run('2.4', live).slice(0, 3), [
      'key=mail_path desc=/home/alice/Maildir layout=fs lock=',
      'maildir:/b/m mailbox_list_layout=fs',
      '<-o><lazy_expunge_mailbox=><backup><-u><alice><-s><STATE><-p><mailbox_list_layout=fs><maildir:/b/m>',
    ]);
    assert.equal(run('2.4', read('mailbox-path-nolayout.24.txt').trim())[0], 'key=mail_path desc=/home/alice/Maildir layout=maildir++ lock=');
    assert.equal(run('2.4', '')[2], '<-o><lazy_expunge_mailbox=><backup><-u><alice><-s><STATE><maildir:/b/m>', 'layout unknown: dsync\'s default');
  });
  test('2.3: mail_location, LAYOUT=, maildirlock; lazy_expunge off for the mirror', () => {
    assert.deepEqual(run('2.3', 'unused').slice(0, 3), [
      'key=mail_location desc=maildir:~/Maildir:LAYOUT=fs layout=fs lock=/usr/lib/dovecot/maildirlock',
      'maildir:/b/m:LAYOUT=fs',
      '<-o><plugin/lazy_expunge=><backup><-u><alice><-s><STATE><maildir:/b/m:LAYOUT=fs>',
    ]);
  });
  test('the whole built script parses in a real sh', () => {
    for (const kind of ['mirror', 'full'] as const) {
      const built = buildDovecotBackupScript(host, 'alice', { kind });
      assert.equal(spawnSync('sh', ['-n', '-c', built.script]).status, 0);
    }
  });
  test('the captured runs record the dialect, the storage field of each dialect and the set marker', () => {
    const fields = (v: string, step: string, status: string) =>
      read(`backup-run-mirror.${v}.txt`).split('\n').map(parseStepLine).find((l) => l?.step === step && l.status === status)?.fields;
    assert.equal(fields('24', 'account', 'ok')?.dialect, '2.4');
    assert.match(fields('24', 'account', 'ok')?.mail_path ?? '', /\/home\/alice\/Maildir$/);
    assert.equal(fields('24', 'account', 'ok')?.layout, 'fs');
    assert.equal(fields('23', 'account', 'ok')?.dialect, '2.3');
    assert.equal(fields('23', 'account', 'ok')?.mail_location, 'maildir:~/Maildir:LAYOUT=fs');
    for (const v of ['23', '24']) {
      const marker = read(`backup-run-mirror.${v}.txt`).split('\n').map(parseStepLine).find((l) => l?.step === 'mirror' && l.fields.set_id);
      assert.match(marker?.fields.set_id ?? '', /^[0-9a-f]{16}$/, `the ${v} run wrote a set marker`);
      assert.equal(marker?.fields.set_id, /^id=(.*)$/m.exec(read(`set-marker.${v}.txt`))?.[1]);
      assert.match(read(`archive-meta.${v}.txt`), new RegExp(`^set_id=${marker?.fields.set_id}$`, 'm'), 'the archive of that mirror records its marker');
    }
  });
});
