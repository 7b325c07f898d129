/**
 * The session runner's program and its wire format (issue 17.3).
 *
 * One SSH channel per connection runs `perl -e RUNNER_PROGRAM` through the usual exec request and command
 * line (remoteCommand.ts), and every later command travels as a frame on that channel instead of costing a
 * new session on the host (sshd's fork, PAM, the login shell: about 45 ms each). The program is a CONSTANT:
 * no value is ever spliced into it; argv, stdin and kill commands arrive as frames. Perl is Essential on
 * Debian; where it is missing the runner does not start and the transport falls back to a channel per
 * command (connection.ts).
 *
 * Frame (both ways): u32 length (big-endian, counting what follows) · u8 type · u32 command id · payload.
 *   client → runner
 *     S start   payload: u32 n, n × (u32 len, bytes) = argv; u32 m, m × (u32 len, bytes) = kill argv (the
 *               tree kill with the command's own `sudo -n` prefix, run as `KILLARGV SIG PID` when the channel
 *               goes away while the command runs)
 *     I stdin   payload: bytes for the command's stdin
 *     E eof     close the command's stdin
 *     W credit  payload: u32 bytes the client can take more of this command's stdout+stderr
 *     K kill    payload: signal name; the runner signals the command's process group
 *   runner → client
 *     H hello   id 0, payload "mailops-runner VERSION PID"
 *     P started payload: the PID (= process group and session: the runner calls setsid before execvp)
 *     O / R     stdout / stderr bytes
 *     X exit    payload "c CODE" or "s SIGNAME", after the process was reaped and both pipes reached EOF
 *
 * Each command runs with execvp (no shell: the argv is exact) in a new session, stdin/stdout/stderr pipes,
 * default signal dispositions. Output is read only while the command has credit (INITIAL_CREDIT, topped up
 * as the consumer reads), so one slow consumer holds back its own command and nothing else. When the
 * channel's stdin reaches EOF (Mailops closed it, or the connection died and sshd closed the pipes) the
 * runner runs each command's kill argv with TERM and waits for them, then TERMs each command's group
 * directly (a backstop: signalling sudo first would make it relay to the command alone and orphan the
 * command's children out of the tree kill's reach), waits up to 3 s, does the same with KILL, and exits:
 * a dropped connection leaves nothing running and no file anywhere.
 */

export const RUNNER_VERSION = 1;
/** Bytes of stdout+stderr the runner may send for one command before the client grants more. */
export const INITIAL_CREDIT = 1024 * 1024;
/** The largest payload the client puts in one stdin frame. */
export const MAX_STDIN_FRAME = 256 * 1024;

export type ClientFrameType = 'S' | 'I' | 'E' | 'W' | 'K';
export type RunnerFrameType = 'H' | 'P' | 'O' | 'R' | 'X';

// Perl text, constant: the only number in it that comes from here is INITIAL_CREDIT. No `${` and no
// backtick inside (template literal).
const PERL = String.raw`
use strict; use warnings; use POSIX ();
$0 = 'mailops-runner';
$SIG{PIPE} = 'IGNORE';
my @SIGNAME; { use Config; my @n = split ' ', $Config{sig_name}; my @v = split ' ', $Config{sig_num}; for my $i (0 .. $#n) { $SIGNAME[$v[$i]] //= $n[$i] } }
my %job; my %bypid; my $inbuf = ''; my $in_eof = 0; my $out_dead = 0;
# SIGCHLD wakes select through this pipe, but Perl runs handlers between ops: a child that exits just
# before select blocks is only seen at the next wake-up, so select also times out (1 s with commands
# running, 2 ms while a command's output has ended and it is not yet reaped).
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
nonblock($_) for $wake_r, $wake_w;
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };
binmode STDIN; binmode STDOUT;
sub nonblock { my $fh = shift; my $fl = fcntl($fh, POSIX::F_GETFL(), 0) or die "fcntl: $!"; fcntl($fh, POSIX::F_SETFL(), $fl | POSIX::O_NONBLOCK()) or die "fcntl: $!" }
sub send_frame {
  my ($t, $id, $p) = @_; return if $out_dead;
  my $f = pack('NCN', 5 + length($p), ord($t), $id) . $p;
  while (length $f) {
    my $n = syswrite(STDOUT, $f);
    if (!defined $n) { next if $!{EINTR} || $!{EAGAIN}; $out_dead = 1; return }
    substr($f, 0, $n, '');
  }
}
sub strings {
  my ($p, $o) = @_; my $n = unpack('N', substr($p, $o, 4)); $o += 4; my @s;
  for (1 .. $n) { my $l = unpack('N', substr($p, $o, 4)); push @s, substr($p, $o + 4, $l); $o += 4 + $l }
  return (\@s, $o);
}
sub spawn_argv {
  my ($argv, $in, $out, $err) = @_;
  my $pid = fork;
  return $pid if !defined $pid || $pid;
  POSIX::setsid();
  $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD HUP INT QUIT TERM ALRM USR1 USR2);
  POSIX::dup2($in, 0); POSIX::dup2($out, 1); POSIX::dup2($err, 2);
  { no warnings; exec { $argv->[0] } @$argv; }
  my $code = $!{ENOENT} ? 127 : 126;
  my $msg = "mailops-runner: $argv->[0]: $!\n";
  POSIX::write(2, $msg, length $msg);
  POSIX::_exit($code);
}
sub start {
  my ($id, $p) = @_;
  my ($argv, $o) = strings($p, 0); my ($kill) = strings($p, $o);
  pipe(my $ir, my $iw) or die "pipe: $!"; pipe(my $or, my $ow) or die "pipe: $!"; pipe(my $er, my $ew) or die "pipe: $!";
  my $pid = spawn_argv($argv, fileno $ir, fileno $ow, fileno $ew);
  close $ir; close $ow; close $ew;
  if (!defined $pid) { send_frame('P', $id, '0'); send_frame('R', $id, "mailops-runner: fork: $!\n"); send_frame('X', $id, 'c 126'); return }
  nonblock($_) for $iw, $or, $er;
  $job{$id} = { pid => $pid, in => $iw, inq => '', ineof => 0, out => $or, err => $er, credit => $CREDIT, kill => $kill };
  $bypid{$pid} = $id;
  send_frame('P', $id, "$pid");
}
sub frame {
  my ($t, $id, $p) = @_; my $j = $job{$id};
  if ($t eq 'S') { start($id, $p) }
  elsif (!$j) { }
  elsif ($t eq 'I') { $j->{inq} .= $p if $j->{in} }
  elsif ($t eq 'E') { $j->{ineof} = 1 }
  elsif ($t eq 'W') { $j->{credit} += unpack('N', $p) }
  elsif ($t eq 'K') { kill($p, -$j->{pid}) if !defined $j->{status} && $p =~ /^[A-Z0-9]+$/ }
}
my %helper;
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    delete $helper{$pid};
    my $id = delete $bypid{$pid}; next unless defined $id && $job{$id};
    $job{$id}{status} = ($? & 127) ? 's ' . ($SIGNAME[$? & 127] // ($? & 127)) : 'c ' . ($? >> 8);
  }
}
sub close_in { my $j = shift; close $j->{in} if $j->{in}; $j->{in} = undef; $j->{inq} = '' }
sub wait_until { my ($secs, $done) = @_; my $end = time + $secs; while (time <= $end) { reap(); return if $done->(); select(undef, undef, undef, 0.05) } }
sub hangup {
  for my $sig ('TERM', 'KILL') {
    for my $j (values %job) {
      next if defined $j->{status} || !@{$j->{kill}};
      open(my $null, '+<', '/dev/null') or next;
      my $k = spawn_argv([@{$j->{kill}}, $sig, $j->{pid}], fileno $null, fileno $null, fileno $null);
      close $null;
      $helper{$k} = 1 if $k;
    }
    wait_until(2, sub { !%helper });
    for my $j (values %job) { kill($sig, -$j->{pid}) unless defined $j->{status} }
    wait_until($sig eq 'TERM' ? 3 : 1, sub { !grep { !defined $_->{status} } values %job });
  }
  POSIX::_exit(0);
}
send_frame('H', 0, "mailops-runner 1 $$");
for (;;) {
  hangup() if $in_eof || $out_dead;
  my ($rin, $win, $timeout) = ('', '', undef);
  vec($rin, fileno(STDIN), 1) = 1; vec($rin, fileno($wake_r), 1) = 1;
  for my $j (values %job) {
    if ($j->{credit} > 0) { for my $k ('out', 'err') { vec($rin, fileno($j->{$k}), 1) = 1 if $j->{$k} } }
    vec($win, fileno($j->{in}), 1) = 1 if $j->{in} && (length $j->{inq} || $j->{ineof});
    $timeout = 1 unless defined $timeout;
    $timeout = 0.002 if !$j->{out} && !$j->{err} && !defined $j->{status};
  }
  my $n = select(my $r = $rin, my $w = $win, undef, $timeout);
  if ($n < 0) { next if $!{EINTR}; die "select: $!" }
  if (vec($r, fileno($wake_r), 1)) { sysread($wake_r, my $b, 4096) }
  reap();
  if (vec($r, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, $inbuf, 262144, length $inbuf);
    if (!defined $got) { $in_eof = 1 unless $!{EINTR} || $!{EAGAIN} }
    elsif ($got == 0) { $in_eof = 1 }
    while (length($inbuf) >= 4) {
      my $len = unpack('N', $inbuf);
      last if length($inbuf) < 4 + $len;
      my ($t, $id) = unpack('CN', substr($inbuf, 4, 5));
      frame(chr($t), $id, substr($inbuf, 9, $len - 5));
      substr($inbuf, 0, 4 + $len, '');
    }
  }
  for my $id (keys %job) {
    my $j = $job{$id};
    for my $k ('out', 'err') {
      my $fh = $j->{$k};
      next unless $fh && vec($r, fileno($fh), 1) && $j->{credit} > 0;
      my $got = sysread($fh, my $buf, $j->{credit} < 65536 ? $j->{credit} : 65536);
      if (!defined $got) { next if $!{EINTR} || $!{EAGAIN}; $got = 0 }
      if ($got == 0) { close $fh; $j->{$k} = undef; next }
      $j->{credit} -= $got;
      send_frame($k eq 'out' ? 'O' : 'R', $id, $buf);
    }
    if ($j->{in} && vec($w, fileno($j->{in}), 1)) {
      if (length $j->{inq}) {
        my $put = syswrite($j->{in}, $j->{inq});
        if (defined $put) { substr($j->{inq}, 0, $put, '') } elsif (!$!{EAGAIN} && !$!{EINTR}) { close_in($j) }
      }
      close_in($j) if $j->{in} && $j->{ineof} && !length $j->{inq};
    }
    if (defined $j->{status} && !$j->{out} && !$j->{err}) {
      close_in($j);
      send_frame('X', $id, $j->{status});
      delete $job{$id};
    }
  }
}
`;

/** The Perl program: constant text (INITIAL_CREDIT is the only number taken from here). */
export const RUNNER_PROGRAM = `my $CREDIT = ${INITIAL_CREDIT};\n${PERL}`;

// ------------------------------------------------------------------ frames (pure; unit-tested)

/** One frame: u32 length · u8 type · u32 id · payload. */
export function encodeFrame(type: ClientFrameType | RunnerFrameType, id: number, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(9);
  head.writeUInt32BE(5 + body.length, 0);
  head.writeUInt8(type.charCodeAt(0), 4);
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, body]);
}

/** A list of strings as the start frame carries it: u32 count, then u32 length + UTF-8 bytes each. */
export function encodeStrings(list: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeUInt32BE(list.length, 0);
  for (const s of list) {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length, 0);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

export interface Frame {
  type: string;
  id: number;
  payload: Buffer;
}

/** Splits a byte stream into frames; bytes of an incomplete frame wait for the next chunk. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len < 5) throw new Error(`bad runner frame: length ${len}`);
      if (this.buf.length - off < 4 + len) break;
      frames.push({ type: String.fromCharCode(this.buf[off + 4]!), id: this.buf.readUInt32BE(off + 5), payload: this.buf.subarray(off + 9, off + 4 + len) });
      off += 4 + len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/** The exit frame's payload ("c 3", "s TERM") as an exit status with the signal named as ssh2 does (SIGTERM). */
export function parseExit(payload: string): { code: number | null; signal: string | null } {
  const m = /^(c|s) (\w+)$/.exec(payload);
  if (!m) throw new Error(`bad runner exit frame: ${JSON.stringify(payload)}`);
  if (m[1] === 'c') return { code: Number(m[2]), signal: null };
  return { code: null, signal: /^\d+$/.test(m[2]!) ? m[2]! : `SIG${m[2]}` };
}
