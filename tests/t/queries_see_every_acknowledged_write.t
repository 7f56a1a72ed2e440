#!/usr/bin/perl
# Writes are acknowledged before new events are indexed (PROTOCOL.md section
# 10, When a write becomes visible): get sees them at once, and range, count,
# histogram and top wait until every event acknowledged before them is
# indexed, on the same connection, pipelined, or on another one; events left
# unindexed by a crash are indexed after the restart; index_max_lag bounds
# how many wait.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

sub ev {
    my ($id, $day, %more) = @_;
    return { id => $id, title => "زيارة $id", start => sprintf('2023-03-%02d', $day),
             countries => ['MA', $day % 2 ? 'ES' : 'FR'], kind => 'visit', %more };
}

sub waiting { my ($e, $s) = rpc('stats'); return $e ? -1 : $s->{index}{waiting} }

# No indexing on its own: only a query (or index_max_lag) makes it happen.
my $d = start_daemon(config => "index_idle = 1h\nindex_max_lag = 1000000\n");

my ($e, $r) = rpc('put_many', { events => [map { ev("a$_", $_) } 1 .. 20] });
ok(!$e, 'put_many of 20 new events is acknowledged') or diag(to_json($e));
is(waiting(), 20, 'stats: 20 events wait to be indexed');
($e, $r) = rpc('get', { id => 'a7' });
is($r->{event}{title}, 'زيارة a7', 'get finds a new event before it is indexed');
($e, $r) = rpc('changes', { since => 0 });
is(scalar @{ $r->{changes} }, 20, 'so does the change log');

($e, $r) = rpc('count', { from => '2023-03', to => '2023-03' });
is($r->{count}, 20, 'count waits for the index and sees all 20');
is(waiting(), 0, 'nothing waits afterwards');
my ($se, $st) = rpc('stats');
cmp_ok($st->{index}{commits}, '>=', 1, 'stats: index commits counted');
is($st->{index}{events_indexed}, 20, 'stats: 20 events indexed');
is($st->{index}{failures}, 0, 'stats: no indexing failure');

# Pipelined on one connection: put, then each query method, without waiting
# for the put's answer.
my $c = raw_connect();
my $put = $c->request('put', { event => ev('p1', 30, countries => ['NO']) });
my $cnt = $c->request('count', { from => '2023-03', to => '2023-03', country => ['NO'] });
my $rng = $c->request('range', { from => '2023-03-30', to => '2023-03-30' });
my $his = $c->request('histogram', { from => '2023-03', to => '2023-03', bucket => 'month' });
my $top = $c->request('top', { from => '2023-03', to => '2023-03', field => 'country', limit => 10 });
my %got;
for (1 .. 5) {
    my $m = $c->read_msg(10) or last;
    $got{ $m->[1] } = $m;
}
is(scalar keys %got, 5, 'five answers');
ok(!$got{$put}[2], 'the put is acknowledged');
is($got{$cnt}[3]{count}, 1, 'a pipelined count sees the put before it');
is_deeply([map { $_->{id} } @{ $got{$rng}[3]{events} }], ['p1'], 'so does range');
is($got{$his}[3]{buckets}[0][1], 21, 'and histogram');
my %top = map { $_->[0] => $_->[1] } @{ $got{$top}[3]{top} };
is($top{NO}, 1, 'and top');

# Acknowledged on one connection, queried on another.
my $other = raw_connect(tcp => 1);
for my $i (1 .. 5) {
    ($e) = rpc('put', { event => ev("b$i", 10, tags => ['late']) });
}
my $rq = $other->request('count', { from => '2023', to => '2023', tag => ['late'] });
my $m = $other->read_msg(10);
is($m->[3]{count}, 5, 'a count on another connection sees the writes acknowledged before it');

# A replacement and a delete of events not indexed yet.
rpc('put_many', { events => [map { ev("c$_->[0]", 1, start => $_->[1]) } [1, '2023-04-15'], [2, '2023-04-16'], [3, '2023-04-17']] });
rpc('put', { event => ev('c1', 1, start => '2023-04-25') });
rpc('delete', { id => 'c2' });
($e, $r) = rpc('range', { from => '2023-04-15', to => '2023-04-25' });
is_deeply([map { $_->{id} } @{ $r->{events} }], ['c3', 'c1'],
          'a new event replaced before indexing is found at its last date, a deleted one not at all');

# A replacement of an indexed event is visible at once, with nothing waiting.
is(waiting(), 0, 'nothing waits');
rpc('put', { event => ev('a1', 28, kind => 'meeting') });
is(waiting(), 0, 'replacing an indexed event leaves nothing waiting: it is reindexed in its own commit');
($e, $r) = rpc('count', { from => '2023-03', to => '2023-03', kind => ['meeting'] });
is($r->{count}, 1, 'and count sees it');

# SIGKILL with events acknowledged but not indexed: they are indexed after
# the restart, from the records alone.
rpc('put_many', { events => [map { ev("k$_", 1, start => '2023-05-05') } 1 .. 30] });
is(waiting(), 30, '30 events wait when annalsd is killed');
is(restart(kill => 1), -9, 'SIGKILL');
is(waiting(), 30, 'after the restart the same 30 wait');
($e, $r) = rpc('count', { from => '2023-05-05', to => '2023-05-05' });
is($r->{count}, 30, 'and a count finds every one of them');
is(stop_daemon(), 0, 'annalsd stops');

# index_max_lag: writes wait for indexing once more than that many events wait.
start_daemon(config => "index_idle = 1h\nindex_max_lag = 10\n");
for my $i (1 .. 25) {
    rpc('put', { event => ev("m$i", 1 + $i % 28) });
}
my $w = waiting();
ok($w <= 10, "with index_max_lag = 10, at most 10 events wait after 25 puts ($w)");
is(stop_daemon(), 0, 'annalsd stops');

# Without index_idle = 1h the server indexes on its own once writes pause.
start_daemon();
rpc('put_many', { events => [map { ev("i$_", 2) } 1 .. 50] });
ok(wait_until(sub { waiting() == 0 }, 10), 'idle: the server indexes what waits on its own');
is(stop_daemon(), 0, 'annalsd stops');

done_testing();
