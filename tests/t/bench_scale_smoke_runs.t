#!/usr/bin/perl
# The scale benchmark (build/bench/bench_peers --scale, `make bench
# BENCH=scale`) works end to end: on one annalsd it loads 1000 events and
# then 2000 more (each load ending with a COUNT that counts them all), gets
# the brute-force answers at each size, runs RANGE, RANGE_F and COUNT at 1
# and 4 connections at each size without an error reply, prints its tables
# with each figure's ratio to the first size's, writes its report, and
# leaves no daemon running and no directory behind. It refuses what would
# not measure the same database at every size: other systems, PUT, sizes not
# ascending. bench_peers links hiredis, libpq and SQLite, which only `make
# bench` installs, so this test runs only where that has been done (make
# test then builds bench_peers); elsewhere (CI) it is skipped.
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
plan skip_all => "$bench is not built (make bench BENCH=scale builds it)" unless -x $bench;

# The processes whose command line names $dir: a daemon the benchmark left.
sub left_in {
    my ($dir) = @_;
    my @left;
    for my $proc (glob '/proc/[0-9]*') {
        open my $fh, '<', "$proc/cmdline" or next;
        local $/;
        my $cmd = <$fh> // '';
        push @left, ($proc =~ s{.*/}{}r) . ': ' . ($cmd =~ s/\0/ /gr) if index($cmd, $dir) >= 0;
    }
    return @left;
}

my $tmp = File::Temp->newdir('annals-scale-t-XXXXXX', DIR => '/tmp', CLEANUP => 1);
my $out = File::Temp->newdir('annals-scale-out-XXXXXX', DIR => '/tmp', CLEANUP => 1);
my $results = "$out/SCALE.md";
my $r = Annals::Test::run_cmd([$bench, '--annalsd', annalsd_bin(), '--scale', '1000,3000', '--smoke',
                               '--results', $results],
                              env => { TMPDIR => "$tmp" }, timeout => 120);
is($r->exit, 0, 'bench_peers --scale 1000,3000 --smoke exits 0') or diag($r->describe);

my %load = map { /^\| (\d+) \| (\d+) \|(.*)\|$/
                     ? ($1 => [ $2, map { s/^\s+|\s+$//gr } split /\|/, $3 ]) : () }
           split /\n/, $r->out;
for ([1000, 1000], [3000, 2000]) {
    my ($n, $added) = @$_;
    my $cells = $load{$n} // [];
    ok(@$cells == 8 && $cells->[0] == $added && $cells->[-1] eq 'ok',
       "N=$n: the $added events added load, a COUNT sees them all, the answers check")
        or diag("row: | @$cells |");
}

my %row = map { /^\| (\d+) \| (\w+) \| (\d+) \|(.*)\|$/
                    ? ("$1 $2 $3" => [ map { s/^\s+|\s+$//gr } split /\|/, $4 ]) : () }
          split /\n/, $r->out;
for my $n (1000, 3000) {
    for my $w (qw(RANGE RANGE_F COUNT)) {
        for my $c (1, 4) {
            my $cells = $row{"$n $w $c"} // [];
            ok(@$cells == 6 && !grep({ !/^\d+(?:\.\d+)?$/ } @$cells) && $cells->[0] > 0
               && $cells->[-1] eq '0' && ($n != 1000 || $cells->[4] eq '1.00'),
               "N=$n: $w at $c connection(s): figures, a ratio to N=1000, no error")
                or diag("row: | @$cells |");
        }
    }
}
ok(!grep({ /^\| \d+ \| (?:GET|PUT) \|/ } split /\n/, $r->out), 'and no GET or PUT');
like($r->out, qr/^N\s+workload\s+conc\s+ops\/s\s+p50 ms\s+p99 ms\s+hits\s+ops\/s vs 1k\s+errors$/m,
     'the plain table names its ratio');
like($r->out, qr/^bench_peers: ok \(\d+ s\)$/m, 'and it says ok');
my $md = read_file($results) // '';
like($md, qr/^# annals at scale/m, 'the report is written');
like($md, qr/^\| 3000 \| COUNT \| 4 \|/m, 'with the workloads table');
is_deeply([ glob "$tmp/*" ], [], 'it removes every directory it made');
is_deeply([ left_in("$tmp") ], [], 'and leaves no daemon running');

# What would not measure one database as it grows is refused.
for my $bad (['--systems', 'annals,redis'], ['--workloads', 'range,put'], ['--n', '5000']) {
    my $x = Annals::Test::run_cmd([$bench, '--annalsd', annalsd_bin(), '--scale', '1000', @$bad],
                                  env => { TMPDIR => "$tmp" }, timeout => 30);
    is($x->exit, 2, "--scale with @$bad: exit 2") or diag($x->describe);
    like($x->err, qr/--scale/, 'and it says why');
}
my $x = Annals::Test::run_cmd([$bench, '--annalsd', annalsd_bin(), '--scale', '3000,1000'],
                              env => { TMPDIR => "$tmp" }, timeout => 30);
is($x->exit, 2, '--scale 3000,1000 (not ascending): exit 2') or diag($x->describe);

done_testing();
