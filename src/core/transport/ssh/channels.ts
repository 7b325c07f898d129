/**
 * The channel queue of one SSH connection: which command may open a channel now.
 *
 * At most `maxChannels` channels are open at once; further commands wait in order. When the server
 * refuses a channel ("open failed": OpenSSH's MaxSessions, default 10) the limit is learned from the
 * channels open at that moment and the command waits for one of them to close. Internal commands (the kill
 * of another command) jump the queue and may use a slot beyond maxChannels, never beyond the server's limit.
 */
import type { SshProcess } from './process';

export class ChannelQueue {
  private readonly waiting: SshProcess[] = [];
  private readonly active = new Set<SshProcess>();
  /** Order of channel-open requests on the connection (the server answers in the same order). */
  private readonly openSeq = new Map<SshProcess, number>();
  private seq = 0;
  /** Learned from "open failed": the server's session limit on this connection. */
  private sessionLimit = Infinity;

  constructor(
    private readonly maxChannels: number,
    /** Asks the server for p's channel; the owner reports back through released/refused. */
    private readonly start: (p: SshProcess) => void,
    private readonly log: (msg: string) => void,
  ) {}

  add(p: SshProcess): void {
    if (p.internal) this.waiting.unshift(p);
    else this.waiting.push(p);
    this.pump();
  }

  /** Forget a process that has not started (stopped while waiting). */
  remove(p: SshProcess): void {
    const i = this.waiting.indexOf(p);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** p's channel is closed or was never opened: its slot is free. */
  released(p: SshProcess): void {
    if (this.active.delete(p)) this.openSeq.delete(p);
    this.pump();
  }

  /**
   * The server refused p's channel. Returns false when no channel at all was open before it (the server
   * allows none: p must fail); otherwise p waits again at the front for a channel to close.
   */
  refused(p: SshProcess): boolean {
    const mine = this.openSeq.get(p) ?? Infinity;
    this.active.delete(p);
    this.openSeq.delete(p);
    // Replies come in request order: everything requested before p was answered first, and those still
    // active hold sessions: that is what the server allows.
    const limit = [...this.active].filter((q) => (this.openSeq.get(q) ?? Infinity) < mine).length;
    if (limit === 0) return false;
    if (limit < this.sessionLimit) this.log(`server refused channel ${limit + 1}; queueing beyond ${limit} channels`);
    this.sessionLimit = Math.min(this.sessionLimit, limit);
    p.requeued();
    this.waiting.unshift(p);
    return true;
  }

  /** Processes with a channel open or being opened (to fail them when the connection drops). */
  takeActive(): SshProcess[] {
    const all = [...this.active];
    this.active.clear();
    this.openSeq.clear();
    return all;
  }

  /** Processes with a channel open or being opened, left in place (close() cancels them). */
  activeProcesses(): SshProcess[] {
    return [...this.active];
  }

  /** Processes still waiting (to fail them when no connection can be made, or on close). */
  takeWaiting(): SshProcess[] {
    return this.waiting.splice(0);
  }

  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** A new connection: its server may allow more sessions than the last one. */
  resetLimit(): void {
    this.sessionLimit = Infinity;
  }

  pump(): void {
    while (this.waiting.length > 0) {
      const p = this.waiting[0]!;
      const limit = p.internal ? Math.max(this.sessionLimit, 1) : Math.min(this.maxChannels, this.sessionLimit);
      // ordinary commands wait for a channel to close
      if (this.active.size >= limit) return;
      this.waiting.shift();
      this.active.add(p);
      this.openSeq.set(p, ++this.seq);
      p.opening();
      this.start(p);
    }
  }
}
