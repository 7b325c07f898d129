#!/usr/bin/perl
# imap-batch.pl HOST PORT: run IMAP commands read from stdin, one per line, fields separated by TABs.
# Used by scripts/sandbox to seed Cyrus as the mailbox owner (deliver cannot reach folders with spaces).
#
#   LOGIN   user  password
#   CREATE  mailbox                      (UTF-8 name; sent as modified UTF-7, always as a literal)
#   DELETE  mailbox
#   SETACL  mailbox  identifier  rights
#   APPEND  mailbox  flags  file         (flags like "\Seen \Flagged" or empty; the internal date is taken
#                                          from the message's Date: header)
#   LOGOUT
# A command prefixed with "?" may fail (NO) without stopping the batch. Any other NO/BAD stops with exit 1
# and a message naming the command and the server's answer. Names never pass through a shell.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Encode qw(decode encode);
use MIME::Base64 qw(encode_base64);

my ($host, $port) = @ARGV;
die "usage: imap-batch.pl HOST PORT <commands | imap-batch.pl --mutf7-column N <tsv\n" unless defined $port;

# Filter mode: encode column N (1-based) of TAB-separated lines as modified UTF-7.
if ($host eq '--mutf7-column') {
  while (my $line = <STDIN>) {
    chomp $line;
    my @f = split /\t/, $line, -1;
    $f[$port - 1] = mutf7($f[$port - 1]) if defined $f[$port - 1];
    print join("\t", @f), "\n";
  }
  exit 0;
}

my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 10)
  or die "imap-batch: cannot connect to $host:$port: $!\n";
binmode $sock;
# Without this, Nagle + delayed ACKs cost ~40 ms per literal.
setsockopt($sock, IPPROTO_TCP, TCP_NODELAY, 1);
$sock->autoflush(1);

my $tagn = 0;
my $what = 'greeting';

sub readline_or_die {
  my $line = <$sock>;
  die "imap-batch: connection closed by $host:$port during $what\n" unless defined $line;
  return $line;
}

# Literals in responses ({n}\r\n...) are skipped over so that lines stay in step.
sub read_response_line {
  my $line = readline_or_die();
  while ($line =~ /\{(\d+)\}\r\n\z/) {
    my $n = $1;
    my $buf = '';
    while (length($buf) < $n) {
      my $got = read($sock, $buf, $n - length($buf), length($buf));
      die "imap-batch: connection closed inside a literal during $what\n" unless $got;
    }
    $line .= $buf . readline_or_die();
  }
  return $line;
}

my $greeting = read_response_line();
die "imap-batch: unexpected greeting from $host:$port: $greeting" unless $greeting =~ /^\* (OK|PREAUTH)/;

# Modified UTF-7 (RFC 3501 5.1.3) of a UTF-8 byte string.
sub mutf7 {
  my $s = decode('UTF-8', shift, Encode::FB_CROAK);
  my $out = '';
  while (length $s) {
    if ($s =~ s/^([\x20-\x25\x27-\x7e]+)//) {
      $out .= $1;
    } elsif ($s =~ s/^&//) {
      $out .= '&-';
    } else {
      $s =~ s/^([^\x20-\x7e]+)//;
      my $b = encode_base64(encode('UTF-16BE', $1), '');
      $b =~ s/=+$//;
      $b =~ tr{/}{,};
      $out .= "&$b-";
    }
  }
  return $out;
}

# Send a command made of parts: plain strings go as they are, [literal] refs as synchronizing literals.
sub command {
  my ($may_fail, @parts) = @_;
  my $tag = sprintf 'S%03d', ++$tagn;
  my $pending = "$tag ";
  for my $p (@parts) {
    if (ref $p) {
      my $data = $$p;
      $sock->print($pending . '{' . length($data) . "}\r\n");
      $pending = '';
      while (1) {
        my $l = read_response_line();
        last if $l =~ /^\+/;
        if ($l =~ /^\Q$tag\E (NO|BAD)/) {
          die "imap-batch: $what refused: $l" unless $may_fail;
          return 0;
        }
      }
      $sock->print($data);
    } else {
      $pending .= $p;
    }
  }
  $sock->print($pending . "\r\n");
  while (1) {
    my $l = read_response_line();
    next unless $l =~ /^\Q$tag\E (OK|NO|BAD)/;
    return 1 if $1 eq 'OK';
    die "imap-batch: $what failed: $l" unless $may_fail;
    return 0;
  }
}

sub internal_date {
  my ($msg) = @_;
  my %mon = (Jan => 1, Feb => 2, Mar => 3, Apr => 4, May => 5, Jun => 6, Jul => 7, Aug => 8, Sep => 9, Oct => 10,
             Nov => 11, Dec => 12);
  if ($msg =~ /^Date:\s*(?:\w{3},\s*)?(\d{1,2})\s+(\w{3})\s+(\d{4})\s+(\d\d:\d\d:\d\d)\s+([+-]\d{4})/mi
      && $mon{$2}) {
    return sprintf '"%2d-%s-%s %s %s"', $1, $2, $3, $4, $5;
  }
  return undef;
}

while (my $line = <STDIN>) {
  chomp $line;
  next if $line eq '' || $line =~ /^#/;
  my $may_fail = ($line =~ s/^\?//) ? 1 : 0;
  my ($cmd, @a) = split /\t/, $line, -1;
  $what = $cmd eq 'LOGIN' ? "LOGIN $a[0]" : "$cmd " . join(' ', map { "'$_'" } @a);
  if ($cmd eq 'LOGIN') {
    command($may_fail, 'LOGIN ', \$a[0], ' ', \$a[1]);
  } elsif ($cmd eq 'CREATE' || $cmd eq 'DELETE') {
    command($may_fail, "$cmd ", \mutf7($a[0]));
  } elsif ($cmd eq 'SETACL') {
    command($may_fail, 'SETACL ', \mutf7($a[0]), ' ', \$a[1], ' ', \$a[2]);
  } elsif ($cmd eq 'APPEND') {
    my ($mbox, $flags, $file) = @a;
    open my $fh, '<:raw', $file or die "imap-batch: cannot read $file: $!\n";
    my $msg = do { local $/; <$fh> };
    close $fh;
    my $date = internal_date($msg);
    my @parts = ('APPEND ', \mutf7($mbox), ' ');
    push @parts, "($flags) " if defined $flags && $flags ne '';
    push @parts, "$date " if defined $date;
    push @parts, \$msg;
    command($may_fail, @parts);
  } elsif ($cmd eq 'LOGOUT') {
    command(1, 'LOGOUT');
    last;
  } else {
    die "imap-batch: unknown command '$cmd'\n";
  }
}
close $sock;
exit 0;
