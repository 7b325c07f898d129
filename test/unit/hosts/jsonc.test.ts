/**
 * Finding `mailops.hosts` in a workspace's settings files as VS Code accepts them (comments, trailing commas,
 * the nested and language-override forms), for the warning that a workspace's hosts are ignored (11.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettingsText, settingsTextDefines, stripJsonc, workspaceFileDefines } from '../../../src/extension/hosts/jsonc';

test('comments and trailing commas are removed; strings keep // and /* and commas', () => {
  const text = `{
    // a line comment with "mailops.hosts" in it
    "a": "http://x/*y*/", /* block, */
    "b": [1, 2, /* last */ ],
    "c": "quote \\" // not a comment",
  }`;
  assert.deepEqual(JSON.parse(stripJsonc(text)), { a: 'http://x/*y*/', b: [1, 2], c: 'quote " // not a comment' });
});

test('11.3: the dotted key, the nested form and a language override block all define mailops.hosts', () => {
  assert.equal(settingsTextDefines('{ "mailops.hosts": [] }', 'mailops', 'hosts'), true);
  assert.equal(settingsTextDefines('{ "mailops": { "hosts": [{"name": "evil"}] } }', 'mailops', 'hosts'), true);
  assert.equal(settingsTextDefines('{ "[json]": { "mailops.hosts": [] } }', 'mailops', 'hosts'), true);
  assert.equal(settingsTextDefines('\uFEFF{ "mailops.hosts": [], }', 'mailops', 'hosts'), true);
});

test('11.3: a key only in a comment, another mailops key, or an empty file define nothing', () => {
  assert.equal(settingsTextDefines('{ // "mailops.hosts": []\n "mailops.tree.pageSize": 10 }', 'mailops', 'hosts'), false);
  assert.equal(settingsTextDefines('{ "mailops.hostsX": [] }', 'mailops', 'hosts'), false);
  assert.equal(settingsTextDefines('', 'mailops', 'hosts'), false);
  assert.equal(parseSettingsText('[1]'), undefined);
});

test('11.3: a broken file that names the key still counts (the warning errs on the side of telling)', () => {
  assert.equal(settingsTextDefines('{ "mailops.hosts": [ {"name": "x" ', 'mailops', 'hosts'), true);
});

test('11.3: a .code-workspace file defines it in its "settings" object only', () => {
  assert.equal(workspaceFileDefines('{ "folders": [{"path": "."}], "settings": { "mailops.hosts": [] } }', 'mailops', 'hosts'), true);
  assert.equal(workspaceFileDefines('{ "folders": [], "mailops.hosts": [] }', 'mailops', 'hosts'), false);
});
