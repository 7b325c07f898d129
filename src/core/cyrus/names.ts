/**
 * Cyrus mailbox names. Three forms (Cyrus 3.6, measured):
 *  - internal (mailboxes.db, `ctl_mboxlist -d`): `[domain!]user.alice.Work Stuff`, always `.` between levels;
 *    with unixhierarchysep a `.` inside a level is stored as `^`; non-ASCII in modified UTF-7.
 *  - tool / admin external (what unexpunge, mbpath -7, reconstruct and an admin's IMAP session take):
 *    levels joined by the hierarchy separator (`/` with unixhierarchysep, else `.`), then `@domain`;
 *    still modified UTF-7: `user/alice/Gr&APwA3w-e@example.org`.
 *  - display: the folder path below the account, decoded to Unicode (`Grüße`, `INBOX` for the root).
 * Delayed delete renames a mailbox to `[domain!]DELETED.<original>.<HEX unix time>`.
 */
import { decodeMutf7, encodeMutf7 } from './utf7';

export interface NameStyle {
  /** unixhierarchysep: `/` separates levels in external names, `.` may appear inside a level. */
  unixHierarchySep: boolean;
}

export interface ParsedName {
  internal: string;
  domain: string | null;
  /** Levels of the local part (after the domain), internal encoding converted: `^` → `.` when unixhierarchysep; still mUTF-7. */
  levels: string[];
  /** `user.NAME…` mailboxes: the account (`alice` or `alice@example.org`); null for shared folders. */
  account: string | null;
  /** Folder levels below the user's root (empty for INBOX), mUTF-7. Shared folders: all levels. */
  folder: string[];
  /** Set for `DELETED.…` entries. */
  deleted: { at: Date; hex: string; original: string } | null;
}

export function separator(style: NameStyle): '/' | '.' {
  return style.unixHierarchySep ? '/' : '.';
}

function splitLevels(local: string, style: NameStyle): string[] {
  return local.split('.').map((l) => (style.unixHierarchySep ? l.replace(/\^/g, '.') : l));
}

function joinLevels(levels: string[], style: NameStyle): string {
  return levels.map((l) => (style.unixHierarchySep ? l.replace(/\./g, '^') : l)).join('.');
}

export function parseInternalName(internal: string, style: NameStyle): ParsedName {
  const bang = internal.indexOf('!');
  const domain = bang >= 0 ? internal.slice(0, bang) : null;
  const local = bang >= 0 ? internal.slice(bang + 1) : internal;
  let levels = splitLevels(local, style);
  let deleted: ParsedName['deleted'] = null;
  if (levels[0] === 'DELETED' && levels.length >= 3 && /^[0-9A-F]{8,16}$/i.test(levels[levels.length - 1]!)) {
    const hex = levels[levels.length - 1]!;
    levels = levels.slice(1, -1);
    const original = (domain ? `${domain}!` : '') + joinLevels(levels, style);
    deleted = { at: new Date(parseInt(hex, 16) * 1000), hex, original };
  }
  let account: string | null = null;
  let folder = levels;
  if (levels[0] === 'user' && levels.length >= 2) {
    account = levels[1]! + (domain ? `@${domain}` : '');
    folder = levels.slice(2);
  }
  return { internal, domain, levels, account, folder, deleted };
}

/** The admin's external name, as the Cyrus tools and an admin IMAP session take it (mUTF-7). */
export function toolName(internal: string, style: NameStyle): string {
  const bang = internal.indexOf('!');
  const domain = bang >= 0 ? internal.slice(0, bang) : null;
  const local = bang >= 0 ? internal.slice(bang + 1) : internal;
  return splitLevels(local, style).join(separator(style)) + (domain ? `@${domain}` : '');
}

/** Internal name of an account's folder given display levels (Unicode). */
export function internalName(account: string, folder: readonly string[], style: NameStyle): string {
  const at = account.lastIndexOf('@');
  const user = at > 0 ? account.slice(0, at) : account;
  const domain = at > 0 ? account.slice(at + 1) : null;
  return (domain ? `${domain}!` : '') + joinLevels(['user', user, ...folder.map(encodeMutf7)], style);
}

/** Display path below the account: `INBOX` for the root, else the decoded levels joined by the separator. */
export function displayFolder(p: ParsedName, style: NameStyle): string {
  if (p.account === null) return p.levels.map(decodeMutf7).join(separator(style));
  return p.folder.length ? p.folder.map(decodeMutf7).join(separator(style)) : 'INBOX';
}

/** Split a folder path typed by an operator (Unicode, host separator) into levels; `INBOX` alone is the root. */
export function folderLevels(path: string, style: NameStyle): string[] {
  if (path === '' || path.toUpperCase() === 'INBOX') return [];
  return path.split(separator(style));
}

/** The DELETED name Cyrus gives a mailbox deleted at `at` (for tests and checks). */
export function deletedInternalName(original: string, at: Date, style: NameStyle): string {
  const bang = original.indexOf('!');
  const domain = bang >= 0 ? original.slice(0, bang + 1) : '';
  const local = bang >= 0 ? original.slice(bang + 1) : original;
  void style;
  return `${domain}DELETED.${local}.${Math.floor(at.getTime() / 1000).toString(16).toUpperCase()}`;
}
