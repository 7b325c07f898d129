/**
 * A scripted IMAP session as the Cyrus admin, run ON THE MAIL HOST against cyrus.imap (default
 * 127.0.0.1:143), through the ordinary transport: a remote byte pipe to host:port whose stdin carries the
 * whole session and whose stdout is the server's answer.
 *
 * Why this design:
 *  - The admin password travels only on stdin (inside the IMAP LOGIN literal), never in an argv, never in a
 *    log or error message (errors show the commands with the password replaced).
 *  - The transport contract gives a process fixed stdin (written, then closed), so the session is
 *    pipelined: LOGIN, the commands, LOGOUT, each with its own tag. Names and the password go as quoted
 *    strings or LITERAL+ (`{N+}`) literals, which need no continuation round trip; Cyrus 3.6 advertises
 *    LITERAL+ before login (measured). If LOGIN fails, the later commands fail too ("not authenticated")
 *    and nothing changes. Every tagged answer is read: cyradm would exit 0 on failure.
 *  - The pipe: bash's /dev/tcp (bash is on every Linux Cyrus host; no nc/socat needed), else perl's
 *    IO::Socket::INET (perl is needed by cyradm, so it is there where the Cyrus admin tools are).
 *    Not ssh port forwarding: sshd's AllowTcpForwarding is often off on mail hosts, and the local transport
 *    has no such thing. Not cyradm/imtest: they take the password in argv (-w) or from a TTY.
 *  - When the server closes after LOGOUT the reader ends and the pipe exits; a timeout stops a stuck one.
 *  - The pipe speaks plain IMAP, so the password is in clear between the mail host and cyrus.imap: only a
 *    loopback address is accepted (the Cyrus server on the mail host itself, the usual case, where the bytes
 *    never leave the machine). Any other address is refused before a password is asked, whoever set it
 *    (a typo, or a settings file that points cyrus.imap at a server that collects admin passwords). TLS from
 *    the host side would need openssl s_client with certificate and name checks on every host; until then a
 *    remote IMAP server is reached by running Mailops on (or over SSH to) the host where Cyrus runs.
 */
import { MailopsError, UsageError, type ErrorDetails } from '../errors';
import type { HostContext } from '../hosts/context';
import { shellLine } from '../transport/quote';

export const BRIDGE_SCRIPT = String.raw`h=$1; p=$2
if command -v bash >/dev/null 2>&1; then
  exec bash -c 'exec 3<>"/dev/tcp/$0/$1" || { echo "mailops: cannot connect to $0:$1" >&2; exit 69; }; cat <&3 & cat >&3; wait' "$h" "$p"
elif command -v perl >/dev/null 2>&1; then
  exec perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Proto => "tcp") or do { print STDERR "mailops: cannot connect to $ARGV[0]:$ARGV[1]\n"; exit 69 }; my $b; if (my $pid = fork) { while (sysread(STDIN, $b, 8192)) { syswrite($s, $b) } waitpid($pid, 0) } else { while (sysread($s, $b, 8192)) { syswrite(STDOUT, $b) } exit 0 }' "$h" "$p"
else
  echo "mailops: neither bash nor perl on the host: cannot reach the IMAP server" >&2; exit 69
fi`;

/** An IMAP string argument: quoted when plain ASCII without quotes/backslashes, else a LITERAL+ literal. */
export function imapString(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s) && !/["\\]/.test(s)) return `"${s}"`;
  return `{${Buffer.byteLength(s, 'utf8')}+}\r\n${s}`;
}

export interface ImapTagged {
  tag: string;
  status: 'OK' | 'NO' | 'BAD' | 'MISSING';
  text: string;
  /** Untagged lines received before this tagged answer (after the previous one). */
  untagged: string[];
}

export interface AdminEndpoint {
  host: string;
  port: number;
  user: string;
}

/** Whether an address names this very machine: 127.0.0.0/8, ::1 (also IPv4-mapped), or `localhost`. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === 'localhost.' || h === 'ip6-localhost') return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === '127';
  return /^(?:0{0,4}:){2,7}0{0,3}1$/.test(h) || h === '::1';
}

/**
 * Where the admin session goes: cyrus.imap (or --imap) of the host, default 127.0.0.1:143, as seen from the
 * mail host. Refuses (UsageError naming the setting) an address that is not loopback: the session is plain
 * IMAP and carries the admin password.
 */
export function adminEndpoint(ctx: HostContext, override: { imap?: string; admin?: string } = {}): AdminEndpoint {
  const spec = override.imap ?? ctx.config.cyrus?.imap ?? '127.0.0.1:143';
  const m = /^(.+):(\d+)$/.exec(spec);
  const host = (m ? m[1]! : spec).replace(/^\[|\]$/g, '');
  const port = m ? Number(m[2]) : 143;
  const ep = { host, port, user: override.admin ?? ctx.config.cyrus?.admin ?? 'cyrus' };
  checkLoopback(ctx, ep, override.imap !== undefined ? '--imap' : `cyrus.imap of the host "${ctx.config.name}"`);
  return ep;
}

function checkLoopback(ctx: HostContext, ep: AdminEndpoint, setting: string): void {
  if (isLoopbackAddress(ep.host)) return;
  throw new UsageError(`refusing to send the Cyrus admin password to ${ep.host}:${ep.port}: ${setting} is not a loopback address`, {
    host: ctx.config.name,
    meaning: `Mailops talks to Cyrus as the admin in plain IMAP (no TLS) from the mail host; to ${ep.host} the password would cross the network in clear`,
    hint: `set ${setting.startsWith('--') ? '--imap' : 'cyrus.imap'} to the address Cyrus listens on on the mail host itself, e.g. 127.0.0.1:143 (the session runs on the host, over SSH)`,
  });
}

/**
 * The server refused LOGIN: the password (or the admin user) is wrong. A remembered password must be
 * forgotten; each face says where the password came from and what to do (withHint).
 */
export class AdminLoginError extends MailopsError {
  constructor(
    readonly summary: string,
    readonly endpoint: AdminEndpoint,
    private readonly details: ErrorDetails,
  ) {
    super(summary, details);
    this.name = 'AdminLoginError';
  }

  /** The same failure with the face's own next step. */
  withHint(hint: string): AdminLoginError {
    return new AdminLoginError(this.summary, this.endpoint, { ...this.details, hint });
  }
}

/** Build the whole session (bytes for stdin). Commands are already-encoded argument strings. */
export function buildSession(user: string, password: string, commands: string[][]): Buffer {
  let s = `L LOGIN ${imapString(user)} ${imapString(password)}\r\n`;
  commands.forEach((c, i) => {
    s += `C${i + 1} ${c.join(' ')}\r\n`;
  });
  s += 'Z LOGOUT\r\n';
  return Buffer.from(s, 'utf8');
}

/** Split the server's answer by tag. */
export function parseSession(out: string, n: number): { greeting: string | null; login: ImapTagged; commands: ImapTagged[] } {
  const tags = ['L', ...Array.from({ length: n }, (_, i) => `C${i + 1}`)];
  const res = new Map<string, ImapTagged>();
  let pending: string[] = [];
  let greeting: string | null = null;
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const m = /^(\S+) (OK|NO|BAD)\b ?(.*)$/.exec(line);
    if (m && (tags.includes(m[1]!) || m[1] === 'Z')) {
      res.set(m[1]!, { tag: m[1]!, status: m[2] as 'OK', text: m[3]!, untagged: pending });
      pending = [];
    } else if (greeting === null && line.startsWith('* ')) greeting = line;
    else pending.push(line);
  }
  const get = (t: string): ImapTagged => res.get(t) ?? { tag: t, status: 'MISSING', text: 'no answer from the server', untagged: [] };
  return { greeting, login: get('L'), commands: tags.slice(1).map(get) };
}

/** Run commands as the admin; throws MailopsError when the connection or LOGIN fails. Command failures are returned. */
export async function adminSession(ctx: HostContext, ep: AdminEndpoint, password: string, commands: string[][], signal?: AbortSignal): Promise<ImapTagged[]> {
  checkLoopback(ctx, ep, `cyrus.imap of the host "${ctx.config.name}"`);
  const argv = ['sh', '-c', BRIDGE_SCRIPT, 'mailops-imap', ep.host, String(ep.port)];
  const display = shellLine(['sh', '-c', '<imap pipe>', 'mailops-imap', ep.host, String(ep.port)]);
  const r = await ctx.transport.run(argv, { stdin: buildSession(ep.user, password, commands), timeoutMs: 120_000, signal });
  const s = parseSession(r.stdout, commands.length);
  if (!s.greeting) {
    throw new MailopsError(`no IMAP server answered at ${ep.host}:${ep.port} on the host`, {
      host: ctx.config.name,
      command: `${display}  (stdin: LOGIN ${ep.user} <password>, ${commands.map((c) => c[0]).join(', ')}, LOGOUT)`,
      exitCode: r.code,
      stderr: r.stderr,
      meaning: r.code === 69 ? 'the connection was refused or no bash/perl could open it' : 'the server sent no greeting',
      hint: 'check cyrus.imap of the host (host:port as seen from the mail host) and that the Cyrus master runs',
    });
  }
  if (s.login.status !== 'OK') {
    const plaintext = /LOGINDISABLED|plaintext/i.test(`${s.greeting} ${s.login.text}`);
    const details = {
      host: ctx.config.name,
      command: `${display}  (stdin: LOGIN ${ep.user} <password>)`,
      meaning: plaintext ? 'the server refuses plaintext LOGIN on this connection (allowplaintext: no)' : 'wrong admin user or password, or the user is not in the admins list of imapd.conf',
      hint: plaintext ? 'allow plaintext logins on the loopback address Mailops uses (imapd.conf), or use a Cyrus service on 127.0.0.1 that does' : `check cyrus.admin (${ep.user}) and its password`,
    };
    if (plaintext) throw new MailopsError(`IMAP LOGIN as ${ep.user} failed: ${s.login.status} ${s.login.text}`, details);
    throw new AdminLoginError(`IMAP LOGIN as ${ep.user} failed: ${s.login.status} ${s.login.text}`, ep, details);
  }
  return s.commands;
}
