/**
 * Remote logs in a real VS Code: the mailops-log file system over the real SSH transport to the sandbox
 * (root by key on 127.0.0.1:2222), the grammar's language, diagnostics and hovers from the real classifiers.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, activateMailops, waitFor, withHostsSetting } from './helpers';
import { requireSandbox } from './sandbox';

const HOST = 'sandbox-dovecot';

/** The sandbox host of this run (scripts/test-vscode writes its status). */
function sandboxSsh(): { host: string; port: number; identity: string; knownHosts: string } {
  return requireSandbox().ssh;
}

function hostEntry() {
  const ssh = sandboxSsh();
  return [
    {
      name: HOST,
      transport: 'ssh',
      server: 'dovecot',
      ssh: {
        host: ssh.host,
        port: ssh.port,
        user: 'root',
        identityFiles: [ssh.identity],
        knownHostsFiles: [ssh.knownHosts],
        agent: false,
        useSshConfig: false,
      },
    },
  ];
}

function fixtureLines(name: string): string[] {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  return readFileSync(join(root, 'test', 'fixtures', 'logs', name), 'utf8').split('\n').filter((l) => l !== '');
}

async function openLogDocument(path: string): Promise<vscode.TextDocument> {
  const uri = vscode.Uri.from({ scheme: 'mailops-log', authority: HOST, path });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
  // The extension gives documents of its scheme the mailops-log language (the built-in "log" claims *.log).
  return waitFor('the mailops-log language', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && d.languageId === 'mailops-log'));
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

describe('Remote logs (mailops-log://)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync('/var/tmp/mailops-logs-vscode-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows a dsync log with the mailops-log language, diagnostics on the warning lines and the meaning on hover', async () => {
    assert.ok(existsSync(sandboxSsh().identity), 'the sandbox is not up: run scripts/sandbox up');
    await activateMailops();
    const lines = [
      'Nov 22 04:14:19 master: Info: Dovecot v2.3.19.1 (9b53102964) starting up without any protocols (core dumps disabled)',
      ...fixtureLines('dsync-stderr.log').map((l) => `Nov 22 04:15:00 mail dovecot: ${l}`),
      ...fixtureLines('operator-000.txt'),
    ];
    const path = join(dir, 'dsync warnings.log');
    writeFileSync(path, `${lines.join('\n')}\n`);
    await withHostsSetting(hostEntry(), async () => {
      const doc = await openLogDocument(path);
      assert.equal(doc.lineCount - 1, lines.length);
      assert.equal(doc.getText(), `${lines.join('\n')}\n`, 'a small log is shown whole, without a header line');
      const problemLines = lines.flatMap((l, i) => (/(Warning|Error): /.test(l) && !l.includes('master: Info') ? [i] : []));
      const diags = await waitFor('diagnostics', () => {
        const d = vscode.languages.getDiagnostics(doc.uri);
        return d.length >= problemLines.length ? d : undefined;
      });
      for (const i of problemLines) assert.ok(diags.some((d) => d.range.start.line === i), `no diagnostic on line ${i}: ${lines[i]}`);
      assert.ok(!diags.some((d) => d.range.start.line === 0), 'an Info line got a diagnostic');
      const modseqLine = lines.findIndex((l) => l.includes('Failed to do incremental sync') && l.includes('Modseq 9'));
      const modseq = diags.find((d) => d.range.start.line === modseqLine)!;
      assert.equal(modseq.severity, vscode.DiagnosticSeverity.Warning);
      assert.equal(lines[modseqLine]!.slice(modseq.range.start.character, modseq.range.start.character + 10), 'dsync(bob)');

      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(modseqLine, lines[modseqLine]!.indexOf('Modseq') + 2));
      const text = hoverText(hovers);
      assert.match(text, /not a loss/);
      assert.match(text, /mailops\.logs\.backupAccount/, 'the hover offers "Back up bob again"');
      const lost = lines.findIndex((l) => l.includes('Remote lost mailbox GUID 1255700c'));
      assert.match(hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(lost, 40))), /exit 2/);

      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      const lens = lenses.find((l) => l.range.start.line === modseqLine);
      assert.equal(lens?.command?.command, 'mailops.logs.backupAccount');
      assert.deepEqual(lens?.command?.arguments, [{ host: HOST, account: 'bob' }]);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });

  it('opens a 1 GiB log at its tail in under 2 s, loads more above, and follows appended lines', async () => {
    await activateMailops();
    const path = join(dir, 'big.log');
    const line = fixtureLines('dsync-stderr.log').find((l) => l.includes('Modseq'))!;
    // 1 GiB on the host (this machine): repeated real lines, then a recognisable last line.
    const count = Math.ceil((1024 * 1024 * 1024) / Buffer.byteLength(`${line}\n`));
    execFileSync('sh', ['-c', 'yes "$2" | head -n "$3" > "$1" && printf "%s\\n" "last line of the big log" >> "$1"', 'mk', path, line, String(count)]);
    await withHostsSetting(hostEntry(), async () => {
      const started = Date.now();
      const doc = await openLogDocument(path);
      const ms = Date.now() - started;
      console.log(`mailops: 1 GiB log opened at its tail in ${ms} ms (${doc.getText().length} characters shown)`);
      assert.ok(ms < 2000, `opening took ${ms} ms`);
      assert.match(doc.lineAt(0).text, /^⋯ 1022 MiB \(\d+ bytes\) above this point are not shown\. Run "Mailops: Load More of This Log" to see more\.$/);
      assert.equal(doc.lineAt(doc.lineCount - 2).text, 'last line of the big log');
      assert.equal(doc.lineAt(1).text, line, 'the window starts at a line start');
      const before = doc.lineCount;
      const editor = vscode.window.activeTextEditor!;
      const cursorLine = doc.lineCount - 2;
      editor.selection = new vscode.Selection(cursorLine, 3, cursorLine, 3);
      const aboveBefore = Number(/\((\d+) bytes\)/.exec(doc.lineAt(0).text)![1]);

      await vscode.commands.executeCommand('mailops.logs.loadMore');
      await waitFor('more lines', () => doc.lineCount > before);
      const aboveAfter = Number(/\((\d+) bytes\)/.exec(doc.lineAt(0).text)![1]);
      assert.ok(aboveBefore - aboveAfter > 2 * 1024 * 1024 - 2 * (line.length + 1) && aboveBefore - aboveAfter <= 2 * 1024 * 1024, `loaded ${aboveBefore - aboveAfter} bytes more`);
      assert.equal((aboveBefore - aboveAfter) % (line.length + 1), 0, 'whole lines were added');
      const moved = await waitFor('the cursor to move with its line', () => (editor.selection.active.line === cursorLine + doc.lineCount - before ? editor.selection.active : undefined));
      assert.equal(doc.lineAt(moved.line).text, 'last line of the big log', 'the cursor stayed on its line of the log');
      assert.equal(moved.character, 3);

      await vscode.commands.executeCommand('mailops.logs.toggleFollow');
      await new Promise((r) => setTimeout(r, 500));
      appendFileSync(path, 'appended while following\n');
      await waitFor('the appended line', () => doc.getText().endsWith('appended while following\n'), 15_000);
      await vscode.commands.executeCommand('mailops.logs.toggleFollow');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
});
