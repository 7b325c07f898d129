/**
 * Decoding the dsync state string `doveadm backup -s` takes and prints (dovecot/core
 * src/doveadm/dsync/dsync-mailbox-state.c, state version 1.0): base64 of
 *   4 bytes: major version (1), minor version (0), 0, 0
 *   per mailbox, 44 bytes, little-endian: GUID (16), last uidvalidity (4), last common uid (4),
 *     last common modseq (8), last common private modseq (8), last messages count (4)
 *   CRC32 (4, little-endian) of everything before it.
 * Also the v0 forms Dovecot accepts: 4 zero bytes (empty state).
 */
import { crc32 } from 'node:zlib';

export interface MailboxSyncState {
  /** Mailbox GUID, 32 lower-case hex digits. */
  guid: string;
  uidvalidity: number;
  lastCommonUid: number;
  /** 64-bit on disk; exact as a number up to 2^53 (a JS number), which modseqs do not reach in practice. */
  lastCommonModseq: number;
  lastCommonPvtModseq: number;
  /** Messages in the mailbox at the end of the run that printed the state. */
  messageCount: number;
}

export interface DsyncState {
  major: number;
  minor: number;
  mailboxes: MailboxSyncState[];
}

export class DsyncStateError extends Error {
  constructor(message: string) {
    super(`dsync state: ${message}`);
    this.name = 'DsyncStateError';
  }
}

const RECORD = 44;

export function decodeDsyncState(text: string): DsyncState {
  const s = text.trim();
  if (s === '') return { major: 0, minor: 0, mailboxes: [] };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new DsyncStateError('not base64');
  const b = Buffer.from(s, 'base64');
  if (b.length === 4 && b.readUInt32LE(0) === 0) return { major: 0, minor: 0, mailboxes: [] };
  if (b.length < 8) throw new DsyncStateError(`too small (${b.length} bytes)`);
  if ((b.length - 8) % RECORD !== 0) throw new DsyncStateError(`invalid size ${b.length} (not 8 + n*${RECORD})`);
  const want = b.readUInt32LE(b.length - 4);
  const got = crc32(b.subarray(0, b.length - 4));
  if (want !== got) throw new DsyncStateError(`CRC32 mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`);
  const major = b[0]!;
  const minor = b[1]!;
  if (major !== 1) throw new DsyncStateError(`unsupported version ${major}.${minor}`);
  const mailboxes: MailboxSyncState[] = [];
  for (let o = 4; o + RECORD <= b.length - 4; o += RECORD) {
    const u64 = (at: number) => Number(b.readBigUInt64LE(at));
    mailboxes.push({
      guid: b.subarray(o, o + 16).toString('hex'),
      uidvalidity: b.readUInt32LE(o + 16),
      lastCommonUid: b.readUInt32LE(o + 20),
      lastCommonModseq: u64(o + 24),
      lastCommonPvtModseq: u64(o + 32),
      messageCount: b.readUInt32LE(o + 40),
    });
  }
  return { major, minor, mailboxes };
}
