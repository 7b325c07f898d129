import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMITS, defaultTargetFolder, isExtensionMessage, isPreviewViewState, isWebviewMessage, sourceName, targetFolderProblem } from '../../../src/shared/previewProtocol';
import { makeRow } from '../../webview/fixtures/rows';

describe('preview protocol guards', () => {
  it('accepts every well-formed webview message', () => {
    for (const m of [
      { type: 'ready', protocol: 1 },
      { type: 'ready', protocol: 2, target: { kind: 'folder', folder: 'Restored/kept' } },
      { type: 'select', ids: ['INBOX\u00001', 'Sent\u00002'] },
      { type: 'setTarget', target: { kind: 'folder', folder: 'Restored/2026-11-22 0415' } },
      { type: 'setTarget', target: { kind: 'original' } },
      { type: 'runRestore', ids: ['a'], target: { kind: 'folder', folder: 'Restored/x' } },
      { type: 'cancelRestore' },
      { type: 'reload' },
      { type: 'request', requestId: 7, method: 'preview', params: { id: 'INBOX\u00001' } },
    ]) assert.equal(isWebviewMessage(m), true, JSON.stringify(m));
  });

  it('rejects malformed, extra-field and hostile webview messages', () => {
    const bad: unknown[] = [
      null, 'ready', [], {}, { type: 'nope' },
      { type: 'ready' }, { type: 'ready', protocol: -1 }, { type: 'ready', protocol: 1, extra: true }, { type: 'ready', protocol: 2, target: { kind: 'folder', folder: '../x' } },
      { type: 'toString' }, { type: 'constructor' }, { type: '__proto__' },
      { type: 'select', ids: 'a' }, { type: 'select', ids: [1] }, { type: 'select', ids: [''] }, { type: 'select', ids: ['x'.repeat(LIMITS.idLength + 1)] },
      { type: 'runRestore', ids: [], target: { kind: 'original' } },
      { type: 'runRestore', ids: ['a'] },
      { type: 'runRestore', ids: ['a'], target: { kind: 'folder', folder: '' } },
      { type: 'runRestore', ids: ['a'], target: { kind: 'folder', folder: '../etc' } },
      { type: 'runRestore', ids: ['a'], target: { kind: 'folder', folder: 'a\nb' } },
      { type: 'runRestore', ids: ['a'], target: { kind: 'folder', folder: 'Inbox*' } },
      { type: 'runRestore', ids: ['a'], target: { kind: 'original', folder: 'x' } },
      { type: 'runRestore', ids: ['a'], target: { kind: 'shell', cmd: 'rm -rf /' } },
      { type: 'request', requestId: 1, method: 'preview', params: {} },
      { type: 'request', requestId: 1.5, method: 'preview', params: { id: 'a' } },
      { type: 'request', requestId: 1, method: 'exec', params: { id: 'a' } },
      { type: 'request', requestId: 1, method: 'preview', params: { id: 'a', path: '/etc/passwd' } },
      { type: 'cancelRestore', ids: ['a'] },
    ];
    for (const m of bad) assert.equal(isWebviewMessage(m), false, JSON.stringify(m));
    const tooMany = { type: 'select', ids: { length: LIMITS.maxIds + 1 } };
    assert.equal(isWebviewMessage(tooMany), false);
  });

  it('validates extension messages, deep-checking rows when asked', () => {
    const header = { origin: { engine: 'dovecot', host: 'h', account: 'a', source: 'mirror' }, defaultTarget: 'Restored/x', intoOriginalAllowed: true, folderTargetAllowed: true };
    assert.equal(isExtensionMessage({ type: 'plan/start', header, loadId: 1 }), true);
    assert.equal(isExtensionMessage({ type: 'plan/rows', loadId: 1, seq: 0, rows: [makeRow(0), makeRow(1)] }, true), true);
    assert.equal(isExtensionMessage({ type: 'plan/rows', loadId: 1, seq: 0, rows: [makeRow(0), { ...makeRow(1), status: 'gone' }] }, true), false);
    assert.equal(isExtensionMessage({ type: 'plan/rows', loadId: 1, seq: 0, rows: [{ ...makeRow(0), size: -1 }] }), false);
    assert.equal(isExtensionMessage({ type: 'plan/end', loadId: 1, total: 2 }), true);
    assert.equal(isExtensionMessage({ type: 'plan/end', loadId: 1, total: 2, header: { ...header, target: { kind: 'original' } } }), true);
    assert.equal(isExtensionMessage({ type: 'plan/end', loadId: 1, total: 2, header: { ...header, target: { kind: 'folder', folder: '' } } }), false);
    // Progress is structured: counts and folders, no text.
    assert.equal(isExtensionMessage({ type: 'restore/progress', progress: { done: 1, total: 2, unit: 'message' } }), true);
    assert.equal(isExtensionMessage({ type: 'restore/progress', progress: { done: 1, total: 2, unit: 'message', folder: 'INBOX', destination: 'Restored/x/INBOX' } }), true);
    assert.equal(isExtensionMessage({ type: 'restore/progress', progress: { done: 1, total: 2 } }), false);
    const summary = { messages: 2, skipped: 1, target: { kind: 'folder', folder: 'Restored/x' }, destinations: [{ folder: 'Restored/x/INBOX', messages: 2 }] };
    for (const type of ['restore/confirming', 'restore/started']) {
      assert.equal(isExtensionMessage({ type, summary }), true, type);
      assert.equal(isExtensionMessage({ type, summary: { ...summary, destinations: [{ folder: 'x' }] } }), false, type);
    }
    assert.equal(isExtensionMessage({ type: 'restore/declined' }), true);
    const result = { restored: 1, skipped: 0, failed: 0, target: { kind: 'original' }, destinations: [{ folder: 'INBOX', messages: 1 }], verify: { checked: 1, missing: 0 } };
    assert.equal(isExtensionMessage({ type: 'restore/result', result }), true);
    assert.equal(isExtensionMessage({ type: 'restore/result', result: { ...result, failed: undefined } }), false);
    assert.equal(isExtensionMessage({ type: 'restore/result', result: { ...result, target: '(original folders)' } }), false);
    assert.equal(isExtensionMessage({ type: 'error', scope: 'plan', error: { message: 'x', hint: 'y' } }), true);
    assert.equal(isExtensionMessage({ type: 'error', scope: 'elsewhere', error: { message: 'x' } }), false);
    assert.equal(isExtensionMessage({ type: 'response', requestId: 3, method: 'preview', ok: true, result: { id: 'a', headers: [['From', 'x']], text: 't', html: '<p>' } }), true);
    assert.equal(isExtensionMessage({ type: 'response', requestId: 3, method: 'preview', ok: true, result: { id: 'a', headers: [['From']], text: 't' } }), false);
    assert.equal(isExtensionMessage({ type: 'response', requestId: 3, method: 'preview', ok: false, error: { message: 'gone' } }), true);
    assert.equal(isExtensionMessage({ data: 'from some other extension' }), false);
  });

  it('validates the saved view state', () => {
    const s = { v: 1, selected: ['a'], filters: { text: '', dateFrom: '', dateTo: '2026-01-01', status: 'new' }, sort: { key: 'date', dir: 'desc' }, scrollTop: 240 };
    assert.equal(isPreviewViewState(s), true);
    assert.equal(isPreviewViewState({ ...s, sort: null }), true);
    assert.equal(isPreviewViewState({ ...s, v: 2 }), false);
    assert.equal(isPreviewViewState({ ...s, sort: { key: 'guid', dir: 'asc' } }), false);
    assert.equal(isPreviewViewState({ ...s, scrollTop: Number.NaN }), false);
  });

  it('names the default target folder Restored/YYYY-MM-DD HHMM and checks folder names', () => {
    assert.equal(defaultTargetFolder(new Date(2026, 10, 22, 4, 5)), 'Restored/2026-11-22 0405');
    assert.equal(targetFolderProblem('Restored/2026-11-22 0405'), undefined);
    const problems = ['', '  ', '/x', 'x/', 'a//b', 'a/../b', 'a%', 'a\u0000b', 'x'.repeat(LIMITS.folderLength + 1)].map(targetFolderProblem);
    assert.deepEqual(problems, ['empty', 'empty', 'emptySegment', 'emptySegment', 'emptySegment', 'dotSegment', 'wildcard', 'control', 'tooLong']);
  });

  it('names the source sets a preview reads', () => {
    assert.deepEqual(['mirror', 'archive:20261122T041500Z-1', 'expunged', 'archive:', 'weird'].map(sourceName), [
      { kind: 'mirror' },
      { kind: 'archive', id: '20261122T041500Z-1' },
      { kind: 'expunged' },
      { kind: 'other', name: 'archive:' },
      { kind: 'other', name: 'weird' },
    ]);
  });
});
