#!/usr/bin/perl
# A request's latency in stats runs from the read that brought it, so gets
# pipelined behind a big put_many in one write all record the wait for the
# commit (not only the first of them). A request taken by the server whose
# connection goes before its reply can be queued is counted as dropped, not
# as answered and not lost: server.requests stays the sum of what methods
# answered and dropped plus the protocol errors.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::MsgPack;

sub req {
    my ($msgid, $method, $params) = @_;
    return Annals::MsgPack::encode([0, Annals::MsgPack::int($msgid), Annals::MsgPack::str($method),
                                    $params ? [$params] : []]);
}
sub events { my ($n, $tag) = @_; return [ map { { title => "$tag $_ " . ('x' x 200), start => '2024-05-01' } } 1 .. $n ] }
sub settled_sum {
    my ($s) = @_;
    my $sum = $s->{server}{protocol_errors}{unknown_method} + $s->{server}{protocol_errors}{malformed};
    $sum += $_->{requests} + $_->{dropped} for values %{ $s->{methods} };
    return $sum;
}

# Index on demand only, so a count after a big write always waits for it.
start_daemon(config => "index_idle = 60s\n");

# ---- Pipelined gets wait behind a put_many, and their latency shows it ------------------------
my $c = raw_connect();
my $bytes = req(1, 'put_many', { events => events(500, 'queued') });
$bytes .= req(1 + $_, 'get', { id => "missing-$_" }) for 1 .. 5;
ok($c->send_bytes($bytes), 'put_many of 500 and 5 gets sent in one write');
my @replies = map { $c->read_msg(30) } 1 .. 6;
is(scalar(grep { ref $_ eq 'ARRAY' && $_->[0] == 1 } @replies), 6, 'six replies');
is_deeply([ map { $_->[1] } @replies ], [ 1 .. 6 ], 'in the order of the requests');
my $s = stats();
my ($pm, $get) = @{ $s->{methods} }{qw(put_many get)};
is($pm->{requests}, 1, 'put_many: one request');
is($get->{requests}, 5, 'get: five requests');
# Every get waited at least for the commit of the put_many ahead of it; p50
# is the third of the five, so at least three of them show the wait.
ok($get->{latency_us}{p50} >= $pm->{latency_us}{max} / 2,
   "the median get ($get->{latency_us}{p50} us) counts the wait behind put_many "
   . "($pm->{latency_us}{max} us)") or diag(to_json([$pm, $get]));
ok($get->{recent_latency_us}{p50} >= $pm->{recent_latency_us}{max} / 2,
   'so does the recent window') or diag(to_json([$pm, $get]));
$c->close;

# ---- A connection that goes while its requests are in progress --------------------------------
my $s0 = stats();
my $gone = raw_connect();
ok($gone->send_bytes(req(1, 'put_many', { events => events(1000, 'dropped') }) . req(2, 'count', {})),
   'put_many of 1000 and a count sent');
$gone->close;     # at once: the replies can no longer be delivered
my $s1;
ok(wait_until(sub {
    $s1 = stats();
    my ($p, $n) = @{ $s1->{methods} }{qw(put_many count)};
    $p->{requests} + $p->{dropped} == $s0->{methods}{put_many}{requests} + 1
        && $n->{requests} + $n->{dropped} == 1;
}, 30), 'both requests are counted once, answered or dropped') or diag(to_json($s1->{methods}));
# The put_many reply was queued (the socket refuses it: the connection
# closes on the write error) while the count waited for the index: it could
# never be answered.
is($s1->{methods}{count}{dropped}, 1, 'the count waiting for the index is dropped');
is($s1->{methods}{count}{requests}, 0, 'and not counted as answered');
is($s1->{server}{requests}, settled_sum($s1),
   'server.requests is what methods answered and dropped, plus unknown_method and malformed');

# ---- A write whose connection closed before the commit is dropped, not answered ---------------
# Over TCP a reset closes the connection at once, while the writer still
# commits: if the close comes first the put_many is dropped; either way it
# is counted once.
my $tcp = raw_connect(tcp => 1);
my $before = stats();
my $req = req(1, 'put_many', { events => events(2000, 'reset') });
ok($tcp->send_bytes($req), 'put_many of 2000 sent over TCP');
ok(wait_until(sub { stats()->{server}{bytes_in} >= $before->{server}{bytes_in} + length $req }, 30),
   'the server read it');
setsockopt($tcp->{sock}, Socket::SOL_SOCKET(), Socket::SO_LINGER(), pack('ii', 1, 0))
    or die "SO_LINGER: $!";
$tcp->close;
my $s2;
ok(wait_until(sub {
    $s2 = stats();
    my $p = $s2->{methods}{put_many};
    $p->{requests} + $p->{dropped} == $before->{methods}{put_many}{requests}
        + $before->{methods}{put_many}{dropped} + 1;
}, 30), 'the put_many is counted once') or diag(to_json($s2->{methods}{put_many}));
diag("the reset came " . ($s2->{methods}{put_many}{dropped} > $before->{methods}{put_many}{dropped}
                          ? 'before' : 'after') . ' the commit');
is($s2->{server}{requests}, settled_sum($s2), 'server.requests is still the sum');
is(stop_daemon(), 0, 'clean stop');
done_testing();
