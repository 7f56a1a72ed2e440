#!/usr/bin/perl
# The import benchmark (tests/bench/bench_import.pl, `make bench
# BENCH=import`) runs: a smoke run over the real GDELT 2.0 file exits 0 and
# prints rows per second for GDELT rows and JSON lines, each checked by a
# count of N; and its check has teeth: with a client whose import stores
# nothing, it says FAIL and exits 1.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Annals::Test;

valgrind_skip("a benchmark starts its own annalsd and measures speed");

my $script = top_dir() . '/tests/bench/bench_import.pl';
my $gdelt = top_dir() . '/../shared/data/gdelt/gdelt2-20191024143000.export.CSV';
if (!ok(-r $gdelt, "the GDELT 2.0 file is in ../shared/data/gdelt")) {
    done_testing();
    exit;
}
my $dir = File::Temp->newdir('annals-bimp-XXXXXX', DIR => '/tmp');
my @base = ('perl', $script, '--annalsd', annalsd_bin(), '--gdelt', $gdelt, '--smoke', '--n', 2500);

my $r = Annals::Test::run_cmd([@base, '--annals', annals_bin()], timeout => 120,
                              env => { TMPDIR => "$dir" });
is($r->exit, 0, 'bench_import.pl --smoke exits 0') or diag($r->describe);
like($r->out, qr/^import: 2500 GDELT 2\.0 rows \(the 2111 rows of /m, 'it says what it imports');
like($r->out, qr/^annals import --format gdelt\s+2500(?:\s+[\d.]+){2}(?:\s+\d+){2}$/m, 'a row for GDELT rows, all 2500 counted');
like($r->out, qr/^annals import \(JSON lines\)\s+2500(?:\s+[\d.]+){2}(?:\s+\d+){2}$/m, 'a row for JSON lines, all 2500 counted');
is($r->err, '', 'no failure on stderr');
my @left = glob("$dir/annals-import-*");
is(scalar @left, 0, 'its scratch directory is removed');

# A client whose import does nothing: the counts cannot match.
my $fake = "$dir/annals-noimport";
write_file($fake, "#!/bin/sh\nfor a in \"\$@\"; do [ \"\$a\" = import ] && exit 0; done\nexec " . annals_bin() . " \"\$@\"\n");
chmod 0755, $fake;
$r = Annals::Test::run_cmd([@base, '--annals', $fake], timeout => 120, env => { TMPDIR => "$dir" });
is($r->exit, 1, 'with an import that stores nothing, the benchmark exits 1') or diag($r->describe);
like($r->err, qr/^bench_import: FAIL: annals import --format gdelt: exit 0, count 0, expected 2500$/m,
     '... and names the run that failed');
done_testing();
