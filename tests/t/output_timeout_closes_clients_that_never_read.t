#!/usr/bin/perl
# A client that never reads its replies is first stopped from sending (the
# server stops reading it once output_limit bytes wait), then closed once
# its socket has taken none of them for output_timeout; the connection's
# slot and memory are given back, and other clients are served throughout.
# A client that reads slowly but steadily, or holds a quiet subscription,
# is not closed; with output_timeout 0 a client that does not read stays.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use IO::Select ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

my $s = slow_factor();
my $TIMEOUT_MS = 800 * $s;
my $d = start_daemon(args => ['--output-limit', '64KiB', '--output-timeout', "${TIMEOUT_MS}ms"]);

my @evs = map { { id => sprintf('e%03d', $_), title => "event $_", start => '1950', summary => 's' x 4000 } } 1 .. 40;
my ($e) = rpc('put_many', { events => \@evs });
ok(!$e, 'stored 40 events of 4 kB') or diag(to_json($e));
rpc('count', { from => '1950', to => '1950' });   # indexed: ranges answer at once
my $page = Annals::MsgPack::encode([0, 1, 'range', [{ from => '1950', to => '1950', limit => 40 }]]);   # ~160 kB reply

# Write requests without reading until the server stops taking them; the
# number sent, and whether the socket blocked.
sub flood {
    my ($c, $max) = @_;
    my $sock = $c->{sock};
    my $sent = 0;
    while ($sent < $max) {
        my $n = syswrite($sock, $page);
        if (defined $n && $n == length $page) { $sent++; next }
        return ($sent, 0) if !defined $n && !$!{EAGAIN};
        die 'partial write' if defined $n;
        return ($sent, 1) unless IO::Select->new($sock)->can_write(0.5 * $s);
    }
    return ($sent, 0);
}

sub conns { my ($e2, $r) = rpc('stats'); return $r ? $r->{server}{connections} : -1 }

# ---- a client that never reads ---------------------------------------------------------------
my $before = conns();
my $never = raw_connect();
my ($sent, $blocked) = flood($never, 2000);
ok($blocked, "a client that never reads is stopped from sending (after $sent requests)");
my ($pe, $pr) = rpc('ping');
ok($pr && $pr->{pong}, 'others are served while it is stalled');
my $t0 = time;
my $closed_log = wait_until(sub { daemon()->log_text =~ /output_timeout/ }, 10);
my $took = time - $t0;
ok($closed_log, 'the server closes it, logging output_timeout');
cmp_ok($took, '<', 10 * $s, sprintf('within output_timeout and a sweep (%.2f s after it stalled)', $took));
like(daemon()->log_text, qr/bytes of replies not taken for \d+ ms \(output_timeout\); closing the connection/,
     '... saying how many bytes waited and for how long');
ok(wait_until(sub { conns() == $before }, 5), 'its connection is gone from stats');
# What the kernel had already taken is readable, then the end (or a reset).
my $got = 0;
$got++ while $never->read_msg(1);
ok($never->{closed}, "the client finds the connection closed (after $got replies that had reached it)");
cmp_ok($got, '<', $sent, '... fewer than it asked for');

# ---- a client that reads slowly but steadily is not closed -----------------------------------------
{
    # 30 pages (5 MB) asked at once, read 32 kB at a time with pauses: the
    # socket always takes some bytes well within output_timeout.
    my $closes = () = daemon()->log_text =~ /output_timeout/g;
    my $slow = raw_connect();
    my $n = 30;
    $slow->send_bytes($page x $n);
    my $sock = $slow->{sock};
    my ($read, $bad, $bytes) = (0, 0, 0);
    my $t = time;
    while ($read < $n && time - $t < 30 * $s) {
        my $k = sysread($sock, my $buf, 32768);
        if (defined $k && $k == 0) { last }
        if (defined $k) {
            $bytes += $k;
            $slow->{dec}->feed($buf);
            while (1) {
                my ($ok, $m) = $slow->{dec}->next;
                last unless $ok;
                $read++;
                $bad++ unless ref $m eq 'ARRAY' && !defined $m->[2] && @{ $m->[3]{events} } == 40;
            }
        }
        sleep 0.01;
    }
    is($read, $n, sprintf('a client reading slowly (%.1f MB in %.1f s) gets every one of its %d replies',
                          $bytes / 1e6, time - $t, $n));
    is($bad, 0, '... correctly');
    is(scalar(() = daemon()->log_text =~ /output_timeout/g), $closes, '... and is not closed');
    my ($e2, $r2) = $slow->call('ping');
    ok($r2 && $r2->{pong}, '... and stays usable');
}

# ---- nothing waiting: a quiet subscriber or an idle client is not closed -------------------------
{
    my $sub = raw_connect();
    my ($e3, $r3) = $sub->call('subscribe', {});
    ok(!$e3, 'a subscriber subscribes');
    my $idle = raw_connect();
    sleep 2.5 * $TIMEOUT_MS / 1000;
    my ($e4, $r4) = $sub->call('ping');
    ok($r4 && $r4->{pong}, 'a quiet subscriber is not closed');
    ($e4, $r4) = $idle->call('ping');
    ok($r4 && $r4->{pong}, 'an idle client with nothing waiting is not closed');
}

# ---- a client that never reads and then sends junk is closed too -------------------------------
{
    my $c = raw_connect();
    my ($n, $blk) = flood($c, 2000);
    my $lines = () = daemon()->log_text =~ /output_timeout/g;
    syswrite($c->{sock}, "\xc1");
    ok(wait_until(sub { (() = daemon()->log_text =~ /output_timeout/g) > $lines }, 10),
       'a client stalled with replies waiting is closed after output_timeout though it then sent junk');
}
is(stop_daemon(), 0, 'annalsd exits 0');

# ---- output_timeout 0: a client that does not read stays ----------------------------------------------
$d = start_daemon(args => ['--output-limit', '64KiB', '--output-timeout', '0']);
($e) = rpc('put_many', { events => \@evs });
rpc('count', { from => '1950', to => '1950' });
{
    my $c = raw_connect();
    my ($n, $blk) = flood($c, 2000);
    ok($blk, "with output_timeout 0 a client that never reads is still stopped from sending ($n requests)");
    sleep 1.5 * $s;
    unlike(daemon()->log_text, qr/output_timeout/, '... and not closed');
    my ($read, $bad) = (0, 0);
    while ($read < $n) { my $m = $c->read_msg(5) or last; $read++ }
    is($read, $n, '... and once it reads, it gets every reply');
}
is(stop_daemon(), 0, 'annalsd exits 0');
done_testing();
