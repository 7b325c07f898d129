/**
 * Version numbers as the mail tools print them: `2.4.1-4 (7d8c0e5759)`, `2.3.19.1 (9b53102964)`,
 * `cyrus-imapd 3.10.2-Debian-3.10.2-1+deb13u2`. Parsing only: what a version means for a server is
 * decided by that server's module (dovecot/dialect.ts), never by comparing strings elsewhere.
 */

export interface VersionParts {
  major: number;
  minor: number;
  /** 0 when the version names only major.minor. */
  patch: number;
}

/** The first `MAJOR.MINOR[.PATCH]` in the text, or null when there is none. */
export function parseVersionParts(text: string | null | undefined): VersionParts | null {
  if (!text) return null;
  const m = /(?:^|[^\d.])(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}
