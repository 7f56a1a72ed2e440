#!/usr/bin/perl
# The side-by-side benchmark (build/bench/bench_peers, `make bench
# BENCH=peers`) works end to end: its smoke run starts annalsd, Redis and
# PostgreSQL and opens SQLite and raw LMDB, loads the same 2000 events into
# each (the load ends with a COUNT that must count all 2000), gets the
# brute-force answers from each, runs every workload at 1 and 4 connections
# without an error reply (but those LMDB, a plain key-value store, cannot
# answer: RANGE, RANGE_F and COUNT, shown as "-"), times after each PUT run
# how soon a COUNT sees every put, prints its tables, and leaves no server
# running and no directory behind;
# interrupted, it stops what it started and removes it too. bench_peers
# needs Redis and PostgreSQL, which only `make bench` installs, so this test
# runs only where that has been done (make test then builds bench_peers);
# elsewhere (CI) it is skipped.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Annals::Test;

# The benchmark starts its own annalsd, outside valgrind, and measures speed.
valgrind_skip("a benchmark starts its own annalsd and measures speed");

my $bench = build_dir() . '/bench/bench_peers';
plan skip_all => "$bench is not built (make bench BENCH=peers builds it)" unless -x $bench;
plan skip_all => 'redis-server or PostgreSQL 15 is not installed'
    unless -x '/usr/bin/redis-server' && -x '/usr/lib/postgresql/15/bin/postgres';

# A directory the user nobody can reach, since PostgreSQL runs as nobody
# under root.
sub private_tmp {
    my $tmp = File::Temp->newdir('annals-peers-t-XXXXXX', DIR => '/tmp', CLEANUP => 1);
    chmod 0711, "$tmp";
    return $tmp;
}

# The processes that work under $dir (their command line names it, or
# their working directory or an open file is in it): what the benchmark
# left. Redis and PostgreSQL rewrite their command lines, but not where
# they work.
sub left_in {
    my ($dir) = @_;
    my @left;
    for my $proc (glob '/proc/[0-9]*') {
        my $cmd = '';
        if (open my $fh, '<', "$proc/cmdline") {
            local $/;
            $cmd = <$fh> // '';
        }
        my @paths = grep { defined } readlink("$proc/cwd"),
                    map { readlink($_) } glob "$proc/fd/*";
        push @left, ($proc =~ s{.*/}{}r) . ': ' . ($cmd =~ s/\0/ /gr)
            if index($cmd, $dir) >= 0 || grep { index($_, $dir) == 0 } @paths;
    }
    return @left;
}

my @systems = qw(annals redis postgres sqlite lmdb);
my @works = qw(GET RANGE RANGE_F COUNT PUT);
my %lacks = (lmdb => { map { $_ => 1 } qw(RANGE RANGE_F COUNT) });

my $tmp = private_tmp();
my $r = Annals::Test::run_cmd([$bench, '--annalsd', annalsd_bin(), '--smoke'],
                              env => { TMPDIR => "$tmp" }, timeout => 180);
is($r->exit, 0, 'bench_peers --smoke exits 0') or diag($r->describe);
my %load = map { /^\| (\w+) \|(.*)\|$/ ? ($1 => [ map { s/^\s+|\s+$//gr } split /\|/, $2 ]) : () }
           split /\n/, $r->out;
for my $s (@systems) {
    my $cells = $load{$s} // [];
    ok(@$cells == 8 && $cells->[-1] eq 'ok' && $cells->[1] =~ /^\d+$/,
       "$s loads the events and gives the brute-force answers")
        or diag("row: | @$cells |");
}
my %row = map { /^\| (\w+) \| (\d+) \| (\w+) \|(.*)\|$/
                    ? ("$1 $2 $3" => [ map { s/^\s+|\s+$//gr } split /\|/, $4 ]) : () }
          split /\n/, $r->out;
for my $w (@works) {
    for my $c (1, 4) {
        for my $s (@systems) {
            my $cells = $row{"$w $c $s"} // [];
            if ($lacks{$s}{$w}) {
                ok(@$cells == 6 && !grep({ $_ ne '-' } @$cells),
                   "$s shows $w at $c connection(s) as not applicable")
                    or diag("row: | @$cells |");
                next;
            }
            ok(@$cells == 6 && $cells->[0] =~ /^\d+$/ && $cells->[0] > 0 && $cells->[-1] eq '0',
               "$s answers $w at $c connection(s) without an error")
                or diag("row: | @$cells |");
        }
    }
}
# After each PUT run, a COUNT over everything saw every acknowledged put.
my %catchup = map { /^\| (\d+) \| (\w+) \|(.*)\|$/
                        ? ("$1 $2" => [ map { s/^\s+|\s+$//gr } split /\|/, $3 ]) : () }
              split /\n/, $r->out;
for my $c (1, 4) {
    for my $s (@systems) {
        my $cells = $catchup{"$c $s"} // [];
        ok(@$cells == 5 && !grep({ !/^\d+(?:\.\d+)?$/ } @$cells[0 .. 3]) && $cells->[3] > 0,
           "a COUNT sees every put of $s at $c connection(s): its catch-up and sustained rate")
            or diag("row: | @$cells |");
    }
}
like($r->out, qr/^bench_peers: ok \(\d+ s\)$/m, 'and says so');
is_deeply([ glob "$tmp/*" ], [], 'it removes every directory it made');
is_deeply([ left_in("$tmp") ], [], 'and leaves no server running');

# Interrupted while the servers run: everything is stopped and removed.
$tmp = private_tmp();
my $p = Annals::Test::spawn_cmd([$bench, '--annalsd', annalsd_bin(), '--n', '20000',
                                 '--duration', '1', '--systems', 'postgres,redis'],
                                env => { TMPDIR => "$tmp" }, timeout => 120);
wait_until(sub { left_in("$tmp") > 0 }, 30);
ok(scalar(left_in("$tmp")), 'a server runs under the benchmark');
select(undef, undef, undef, 1.0);
kill 'INT', $p->{pid};
$r = $p->wait;
is($r->exit, 1, 'interrupted, it exits 1') or diag($r->describe);
like($r->err, qr/interrupted; no report/, 'without a report');
is_deeply([ left_in("$tmp") ], [], 'no server is left running');
is_deeply([ glob "$tmp/*" ], [], 'no directory is left behind');

done_testing();
