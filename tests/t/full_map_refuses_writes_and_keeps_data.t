#!/usr/bin/perl
# When the LMDB map is full, writes fail with db_full and a clear message,
# reads go on, nothing already stored is damaged, and writes work again once
# space is freed or the map is made larger (after a restart).
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $d = start_daemon(args => ['--map-size', '1MiB']);
my $summary = 'س' x 10000;    # 20 kB of Arabic per event
my (@stored, $full);
for my $i (1 .. 200) {
    my ($e, $r) = rpc('put', { event => { id => "e$i", title => "حدث $i", start => '2024-05-01', summary => $summary } });
    if ($e) { $full = $e; last }
    push @stored, "e$i";
}
ok($full, 'a 1 MiB map fills up after ' . scalar(@stored) . ' events of 20 kB');
is($full->[0], 'db_full', 'the write that does not fit fails with db_full');
like($full->[1], qr/map_size/, 'and the message says which setting to raise');
cmp_ok(scalar @stored, '>', 10, 'the events before it were stored');

my ($e, $r) = rpc('count', {});
is($r->{count}, scalar @stored, 'reads go on: count sees every stored event');
my $intact = grep { my ($ge, $gr) = rpc('get', { id => $_ }); !$ge && $gr->{event}{summary} eq $summary } @stored;
is($intact, scalar @stored, 'every stored event reads back intact');
($e, $r) = rpc('put_many', { events => [map { { id => "m$_", title => 'x', start => '2024', summary => $summary } } 1 .. 5] });
is($e->[0], 'db_full', 'a put_many that does not fit fails as a whole');
($e, $r) = rpc('get', { id => 'm1' });
is($e->[0], 'not_found', 'and none of its events was stored');

# Deleting frees pages LMDB can reuse.
for my $id (splice @stored, 0, 10) {
    ($e) = rpc('delete', { id => $id });
    ok(!$e, "delete $id while full") or diag(to_json($e));
}
($e, $r) = rpc('put', { event => { id => 'after', title => 'بعد الحذف', start => '2024' } });
ok(!$e, 'after freeing space a small write works again') or diag(to_json($e));
push @stored, 'after';

# Pipelined behind a large write that keeps the writer busy, so the writer
# takes the next three in one commit: a write that does not fit between two
# that do fails alone (the commit is redone without it).
my $c = raw_connect();
my $busy = $c->request('put_many', { events => [map { { id => "busy$_", title => 'مشغول', start => '2024' } } 1 .. 300] });
my @ids = ($c->request('put', { event => { id => 'pipe-1', title => 'قبل', start => '2024' } }),
           $c->request('put_many', { events => [map { { id => "pipe-big$_", title => 'كبير', start => '2024',
                                                       summary => 'ك' x 30000 } } 1 .. 12] }),
           $c->request('put', { event => { id => 'pipe-2', title => 'بعد', start => '2024' } }));
my %ans;
for (1 .. 4) { my $m = $c->read_msg(10) or last; $ans{ $m->[1] } = $m }
if (!$ans{$busy}[2]) { push @stored, map { "busy$_" } 1 .. 300 }
ok(!$ans{ $ids[0] }[2], 'the small write before it is stored') or diag(to_json($ans{ $ids[0] }));
is($ans{ $ids[1] }[2][0], 'db_full', 'a put_many of 720 kB fails with db_full');
ok(!$ans{ $ids[2] }[2], 'the small write after it is stored') or diag(to_json($ans{ $ids[2] }));
push @stored, 'pipe-1', 'pipe-2';
($e, $r) = rpc('get', { id => 'pipe-big1' });
is($e->[0], 'not_found', 'nothing of the failed write was kept');
($e, $r) = rpc('count', {});
is($r->{count}, scalar @stored, 'count sees exactly the stored events');

is(stop_daemon(), 0, 'annalsd stops cleanly');
# The same data directory, now with a larger map.
$d->{args} = ['--map-size', '64MiB'];
$d->start;
($e, $r) = rpc('count', {});
is($r->{count}, scalar(@stored), 'after a restart with a larger map everything is there');
($e, $r) = rpc('put', { event => { id => 'big', title => 'x', start => '2024', summary => $summary } });
ok(!$e, 'and large writes fit again') or diag(to_json($e));
is(stop_daemon(), 0, 'annalsd stops cleanly again');
done_testing();
