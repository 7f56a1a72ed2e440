#!/usr/bin/perl
# A client that sends half a message and waits is closed after
# request_timeout with a timeout error; with idle_timeout set, a silent
# connection with nothing pending is closed too; a client that keeps working,
# or sends a message slowly but steadily, or holds a subscription, is not.
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

my $slow = raw_connect();
for my $i (0 .. length($ping) - 1) {
    $slow->send_bytes(substr $ping, $i, 1);
    sleep 0.1 * $s;     # each byte well within request_timeout, the whole slower
}
$m = $slow->read_msg(5);
ok($m && $m->[0] == 1 && $m->[3]{pong}, 'a message sent slowly but steadily is answered');

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
