#!/usr/bin/perl
# A client that sends half a message and waits is closed after
# request_timeout with a timeout error, and so is one that trickles a message
# a byte at a time (slowloris): the timeout runs from the message's first
# byte, not from the latest. With idle_timeout set, a silent connection with
# nothing pending is closed too; a client that keeps working, or sends a
# message in pieces within request_timeout, or holds a subscription, is not.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Annals::Test;
use Annals::MsgPack;

my $s = slow_factor();
my $d = start_daemon(args => ['--request-timeout', (300 * $s) . 'ms', '--idle-timeout', (1000 * $s) . 'ms']);
my $ping = Annals::MsgPack::encode([0, 1, 'ping', []]);

my $half = raw_connect();
my $t = time;
$half->send_bytes(substr $ping, 0, 3);
my $m = $half->read_msg(5);
my $took = time - $t;
ok($m && $m->[0] == 2 && $m->[1] eq 'error' && $m->[2][0][0] eq 'timeout',
   'half a message then silence gets the timeout error') or diag(to_json($m));
ok($took >= 0.25 * $s && $took < 2 * $s, sprintf('after about request_timeout (%.2f s)', $took));
ok($half->is_closed(3), 'and the connection is closed');

my $pieces = raw_connect();
$pieces->send_bytes(substr $ping, 0, 2);
sleep 0.05 * $s;
$pieces->send_bytes(substr $ping, 2, 3);
sleep 0.05 * $s;
$pieces->send_bytes(substr $ping, 5);
$m = $pieces->read_msg(5);
ok($m && $m->[0] == 1 && $m->[3]{pong}, 'a message sent in pieces within request_timeout is answered');

# Slowloris: a count whose q is long enough that trickling it a byte every
# 0.05 s would take about 30 request_timeouts. Each byte comes well within
# request_timeout of the one before, so only a timeout that runs from the
# message's first byte ends it.
my $other = raw_connect();
my $loris = raw_connect();
my $long = Annals::MsgPack::encode([0, 2, 'count', [{ q => 'slow ' x 36 }]]);
my ($sent, $got) = (0, undef);
while ($sent < length $long && !$got) {
    last unless $loris->send_bytes(substr $long, $sent, 1);
    $sent++;
    ($got) = $loris->read_available(0.05 * $s);
    # Meanwhile the server serves everyone else.
    $other->call("ping") if $sent % 40 == 0;
}
ok($got && $got->[0] == 2 && $got->[1] eq 'error' && $got->[2][0][0] eq 'timeout'
   && $got->[2][0][1] =~ /after it began \(request_timeout\)/,
   'a message trickled a byte at a time gets the timeout error') or diag(to_json($got));
ok($sent < length $long, "before it is complete ($sent of " . length($long) . ' bytes sent)');
ok($loris->is_closed(3), 'and the connection is closed');
my ($pe, $pr) = $other->call('ping');
ok($pr && $pr->{pong}, 'another connection is still served');

my $idle = raw_connect();
my $sub = raw_connect();
my ($e, $r) = $sub->call('subscribe', {});
ok(!$e, 'a subscriber subscribes');
my $busy = raw_connect();
$t = time;
my $pings = 0;
while (time - $t < 1.6 * $s) {
    my ($pe, $pr) = $busy->call('ping');
    $pings++ if $pr && $pr->{pong};
    sleep 0.1 * $s;
}
$m = $idle->read_msg(1);
ok($m && $m->[1] eq 'error' && $m->[2][0][0] eq 'timeout', 'a silent connection gets the timeout error after idle_timeout')
    or diag(to_json($m));
ok($idle->is_closed(3), 'and is closed');
ok($pings > 5 && !$busy->{closed}, "a working client is not idle ($pings pings)");
($e, $r) = $busy->call('ping');
ok($r && $r->{pong}, 'and is still served');
# Heartbeats may come first: the waits scale with slow_factor (20 under
# valgrind), and then the test outlasts the heartbeat interval.
($e, $r) = $sub->call_amid('ping', undef, []);
ok($r && $r->{pong}, 'a subscription keeps its connection open though it sends nothing');
is(stop_daemon(), 0, 'annalsd stops cleanly');
done_testing();
