#!/usr/bin/perl
# Edges of the query methods found in review: a forged cursor past the end of
# time, the week that holds 0000-01-01, names longer than 32 words in top,
# and spread over many buckets.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

start_daemon();
my $long = join ' ', map { "word$_" } 1 .. 40;
my ($e, $r) = rpc('put_many', { events => [
    { id => 'a', title => 'one', start => '0000-01-03', participants => [{ name => $long }] },
    { id => 'b', title => 'two', start => '2024-01-01', end => '2024-12-31', participants => [{ name => $long }] },
    { id => 'c', title => 'three', start => '2024-03-10' },
] });
ok(!$e, 'put three events') or diag(to_json($e));

# The bytes of a cursor whose start is the largest 64-bit time and whose doc
# is the largest doc: no range ever returns it.
($e, $r) = rpc('range', { cursor => 'Av____________________8' });
is($e->[0], 'bad_request', 'a cursor whose time lies past 9999 is refused, not wrapped around') or diag(to_json([$e, $r]));
($e, $r) = rpc('range', { limit => 1 });
my ($e2, $r2) = rpc('range', { limit => 1, cursor => $r->{next} });
ok(!$e2 && @{ $r2->{events} } == 1, 'a real cursor still pages') or diag(to_json([$e2, $r2]));

($e, $r) = rpc('histogram', { from => '0000-01-01', to => '0000-01-20', bucket => 'week' });
ok(!$e, 'a weekly histogram from 0000-01-01 answers') or diag(to_json($e));
is_deeply([map { $_->[0] } @{ $r->{buckets} // [] }], ['0000-01-01', '0000-01-03', '0000-01-10', '0000-01-17'],
          'the week holding 0000-01-01 (which began in year -1) is named 0000-01-01, the next by their Mondays');
is_deeply([map { $_->[1] } @{ $r->{buckets} // [] }], [0, 1, 0, 0], 'and the event of 0000-01-03 is in its week');

($e, $r) = rpc('top', { field => 'participant' });
is_deeply($r->{top}, [[$long, 2]], 'a participant name of 40 words is counted like any other') or diag(to_json([$e, $r]));

($e, $r) = rpc('histogram', { from => '2024-01-01', to => '2024-12-31', bucket => 'day', spread => JSON::PP::true() });
ok(!$e, 'a spread daily histogram over a year answers') or diag(to_json($e));
my @c = map { $_->[1] } @{ $r->{buckets} // [] };
is(scalar @c, 366, '366 buckets in 2024');
is(scalar(grep { $_ == 0 } @c), 0, 'the year-long event is in every bucket');
is($c[69], 2, 'and 2024-03-10 also counts the day event');
is($r->{total}, 2, 'total counts each event once');
done_testing();
