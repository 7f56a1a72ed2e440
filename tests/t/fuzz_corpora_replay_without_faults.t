#!/usr/bin/perl
# Every fuzz corpus (tests/fuzz/corpus/NAME, grown by `make fuzz` and holding
# the input of every crash fixed) replays through its target without a
# crash, a failed check or, in the SANITIZE=address,undefined pass, a
# sanitizer report. The targets are built as plain programs with
# tests/fuzz/replay_main.c, so this needs gcc only, not clang or libFuzzer.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

my $corpora = top_dir() . '/tests/fuzz/corpus';
opendir(my $dh, $corpora) or BAIL_OUT("cannot open $corpora: $!");
my @targets = sort grep { !/^\./ && -d "$corpora/$_" } readdir $dh;
closedir $dh;
ok(scalar @targets >= 4, 'there is a corpus for each fuzz target (' . join(' ', @targets) . ')');

for my $t (@targets) {
    my $bin = build_dir() . "/fuzz/replay_$t";
    if (!ok(-x $bin, "$t: the replay program is built")) {
        next;
    }
    my $r = Annals::Test::run_cmd([$bin, "$corpora/$t"], timeout => 120);
    my ($n) = $r->out =~ /^(\d+) inputs replayed$/m;
    ok($r->exit == 0 && defined $n && $n > 0,
       "$t: " . ($n // 0) . " inputs replayed without a fault")
        or diag($r->exit . ': ' . join("\n", (split /\n/, $r->err)[-30 .. -1]));
}

done_testing();
