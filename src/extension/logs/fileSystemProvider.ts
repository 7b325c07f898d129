/**
 * A read-only file system over remote logs: `mailops-log://HOST/ABS/PATH` shows the tail window of the log
 * (setting mailops.logs.tailBytes, default 2 MiB), starting at a line start. When bytes are left above the
 * window, the first line says how many and how to see more ("Load More of This Log" prepends the previous
 * window). Following streams appended bytes from the host and fires onDidChangeFile, so the open editor
 * reloads; a rotated or truncated log starts over with the new file.
 */
import * as vscode from 'vscode';
import type { HostContext } from '../../core/hosts/context';
import { follow, readBefore, readTail, type FollowEvent } from '../../core/logs/remoteFile';
import { countNewlines, formatBytes, NEWLINE } from '../../core/logs/range';
import { getLog, logError } from '../log';
import { parseLogUri } from './uri';

export const DEFAULT_TAIL_BYTES = 2 * 1024 * 1024;

export function tailBytesSetting(): number {
  const v = vscode.workspace.getConfiguration('mailops').get<number>('logs.tailBytes', DEFAULT_TAIL_BYTES);
  return Number.isInteger(v) && v >= 4096 ? v : DEFAULT_TAIL_BYTES;
}

interface LogState {
  host: string;
  path: string;
  /** File offsets of the shown bytes. */
  start: number;
  end: number;
  bytes: Buffer;
  inode?: string;
  /** Remote size and mtime at the last read. */
  size: number;
  remoteMtimeMs: number;
  /** Local render time: changes whenever the shown text changes, so the editor reloads. */
  mtime: number;
  following?: AbortController;
  /** Bytes received from the host for this document (reads and follow). */
  transferred: number;
  /** After a gap, the next bytes start mid-line: drop up to the first newline. */
  alignNext?: boolean;
}

/** The first line shown above a partial window: starts with this marker so other features can skip it. */
export const HEADER_MARKER = '⋯';

export function headerLine(above: number): string {
  return `${HEADER_MARKER} ${vscode.l10n.t('{0} ({1} bytes) above this point are not shown. Run "Mailops: Load More of This Log" to see more.', formatBytes(above), above)}`;
}

export class LogFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly states = new Map<string, LogState>();
  private readonly loading = new Map<string, Promise<LogState>>();
  private readonly followEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when following starts or stops for a document. */
  readonly onDidChangeFollowing = this.followEmitter.event;
  private readonly pendingFire = new Map<string, NodeJS.Timeout>();

  constructor(private readonly hostContext: (name: string) => HostContext) {}

  // ------------------------------------------------------------------ state

  private async load(uri: vscode.Uri): Promise<LogState> {
    const key = uri.toString();
    const have = this.states.get(key);
    if (have) return have;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const p = (async () => {
      const { host, path } = parseLogUri(uri);
      const ctx = this.hostContext(host);
      const started = Date.now();
      const r = await readTail(ctx, path, tailBytesSetting());
      getLog().info(`logs: ${host}:${path}: ${r.window.bytes.length} bytes of ${r.stat.size} shown from offset ${r.window.start}, ${r.transferred} bytes received in ${Date.now() - started} ms`);
      const state: LogState = {
        host,
        path,
        start: r.window.start,
        end: r.window.end,
        bytes: r.window.bytes,
        inode: r.stat.inode,
        size: r.stat.size,
        remoteMtimeMs: r.stat.mtimeMs,
        mtime: Date.now(),
        transferred: r.transferred,
      };
      this.states.set(key, state);
      return state;
    })();
    this.loading.set(key, p);
    try {
      return await p;
    } catch (e) {
      throw this.fsError(uri, e);
    } finally {
      this.loading.delete(key);
    }
  }

  private fsError(uri: vscode.Uri, e: unknown): Error {
    if (e instanceof vscode.FileSystemError) return e;
    logError(`logs: ${uri.toString()}`, e);
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return /does not exist/.test(message) ? vscode.FileSystemError.FileNotFound(message) : vscode.FileSystemError.Unavailable(message);
  }

  private render(state: LogState): Uint8Array {
    if (state.start === 0) return state.bytes;
    return Buffer.concat([Buffer.from(`${headerLine(state.start)}\n`, 'utf8'), state.bytes]);
  }

  private changed(uri: vscode.Uri, state: LogState, delayMs = 0): void {
    state.mtime = Math.max(Date.now(), state.mtime + 1);
    const key = uri.toString();
    if (delayMs === 0) {
      this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
      return;
    }
    if (this.pendingFire.has(key)) return;
    this.pendingFire.set(
      key,
      setTimeout(() => {
        this.pendingFire.delete(key);
        this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
      }, delayMs),
    );
  }

  /** What is shown for a document (for commands and tests). */
  info(uri: vscode.Uri): { start: number; end: number; size: number; following: boolean; transferred: number; header: boolean } | undefined {
    const s = this.states.get(uri.toString());
    return s && { start: s.start, end: s.end, size: s.size, following: !!s.following, transferred: s.transferred, header: s.start > 0 };
  }

  /**
   * Prepend the previous window. Returns how many lines were added above the first shown log line
   * (the header line included in the count when it appears or disappears), or 0 when nothing is above.
   */
  async loadMore(uri: vscode.Uri): Promise<number> {
    const state = await this.load(uri);
    if (state.start === 0) return 0;
    const ctx = this.hostContext(state.host);
    const r = await readBefore(ctx, state.path, state.start, tailBytesSetting());
    state.transferred += r.transferred;
    if (state.inode !== undefined && r.stat.inode !== state.inode) {
      // The log was rotated meanwhile: start over with the new file's tail.
      this.stopFollowing(uri, false);
      this.states.delete(uri.toString());
      await this.load(uri);
      this.changed(uri, this.states.get(uri.toString())!);
      return 0;
    }
    const hadHeader = state.start > 0;
    state.bytes = Buffer.concat([r.window.bytes, state.bytes]);
    state.start = r.window.start;
    const added = countNewlines(r.window.bytes) + (state.start > 0 ? 1 : 0) - (hadHeader ? 1 : 0);
    this.changed(uri, state);
    return added;
  }

  // ------------------------------------------------------------------ following

  isFollowing(uri: vscode.Uri): boolean {
    return !!this.states.get(uri.toString())?.following;
  }

  async startFollowing(uri: vscode.Uri): Promise<void> {
    const state = await this.load(uri);
    if (state.following) return;
    const ac = new AbortController();
    state.following = ac;
    this.followEmitter.fire(uri);
    const ctx = this.hostContext(state.host);
    const window = tailBytesSetting();
    const onEvent = (e: FollowEvent) => this.onFollowEvent(uri, state, e, window);
    follow(ctx, state.path, state.end, onEvent, ac.signal, { ...(state.inode ? { inode: state.inode } : {}), maxChunk: window })
      .catch((e: unknown) => {
        logError(`logs: following ${state.host}:${state.path}`, e);
        const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
        void vscode.window.showErrorMessage(vscode.l10n.t('Stopped following {0}: {1}', state.path, message));
      })
      .finally(() => {
        if (state.following === ac) {
          state.following = undefined;
          this.followEmitter.fire(uri);
        }
      });
  }

  stopFollowing(uri: vscode.Uri, notify = true): void {
    const state = this.states.get(uri.toString());
    if (!state?.following) return;
    state.following.abort();
    state.following = undefined;
    if (notify) this.followEmitter.fire(uri);
  }

  private onFollowEvent(uri: vscode.Uri, state: LogState, e: FollowEvent, window: number): void {
    switch (e.kind) {
      case 'data': {
        state.transferred += e.bytes.length;
        if (e.offset !== state.end) {
          // A gap (bytes the host skipped): start again at the next line start after it.
          state.bytes = Buffer.alloc(0);
          state.start = state.end = e.offset;
          state.alignNext = e.offset > 0;
        }
        let bytes = e.bytes;
        if (state.alignNext) {
          const nl = bytes.indexOf(NEWLINE);
          const drop = nl >= 0 ? nl + 1 : bytes.length;
          state.alignNext = nl < 0;
          bytes = bytes.subarray(drop);
          state.start = state.end = e.offset + drop;
        }
        state.bytes = Buffer.concat([state.bytes, bytes]);
        state.end = e.offset + e.bytes.length;
        state.size = Math.max(state.size, state.end);
        this.trim(state, window);
        this.changed(uri, state, 200);
        return;
      }
      case 'skip':
        state.bytes = Buffer.alloc(0);
        state.start = state.end = e.to;
        state.alignNext = true;
        this.changed(uri, state, 200);
        return;
      case 'reset':
        getLog().info(`logs: ${state.host}:${state.path} was ${e.reason}; showing the new content`);
        state.bytes = Buffer.alloc(0);
        state.start = state.end = 0;
        state.size = e.size;
        state.inode = undefined;
        state.alignNext = false;
        this.changed(uri, state, 200);
        return;
      case 'missing':
        getLog().info(`logs: ${state.host}:${state.path} is missing for now (rotation?); waiting for it to come back`);
        return;
    }
  }

  /** Keep at most two windows while following: cut whole lines off the top. */
  private trim(state: LogState, window: number): void {
    if (state.bytes.length <= 2 * window) return;
    const cut = state.bytes.length - window;
    const nl = state.bytes.indexOf(NEWLINE, cut - 1);
    const from = nl >= 0 ? nl + 1 : cut;
    state.bytes = state.bytes.subarray(from);
    state.start += from;
  }

  /** Forget a document (closed): stop following, drop the cached window. */
  forget(uri: vscode.Uri): void {
    this.stopFollowing(uri);
    this.states.delete(uri.toString());
  }

  // ------------------------------------------------------------------ FileSystemProvider

  watch(): vscode.Disposable {
    // Changes are pushed by following (a command), not by watchers: nothing to set up per watch.
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const state = await this.load(uri);
    return {
      type: vscode.FileType.File,
      ctime: state.remoteMtimeMs,
      mtime: state.mtime,
      size: this.render(state).byteLength,
      permissions: vscode.FilePermission.Readonly,
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.render(await this.load(uri));
  }

  readDirectory(): [string, vscode.FileType][] {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Remote logs are opened one file at a time.'));
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Remote logs are read-only.'));
  }

  writeFile(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Remote logs are read-only.'));
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Remote logs are read-only.'));
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Remote logs are read-only.'));
  }

  dispose(): void {
    for (const s of this.states.values()) s.following?.abort();
    for (const t of this.pendingFire.values()) clearTimeout(t);
    this.states.clear();
    this.emitter.dispose();
    this.followEmitter.dispose();
  }
}
