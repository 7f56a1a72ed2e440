#!/usr/bin/perl
# Crash safety: several writers put, put_many and delete concurrently, each
# recording every write annalsd acknowledges; annalsd is killed with SIGKILL
# at a random moment (while writes are in flight, or while it indexes after
# they stopped) and restarted, again and again. After each restart the
# database opens, every acknowledged write is there in its last acknowledged
# version (deletes stay deleted), a write that was in flight is there whole
# or not at all (a put_many all or nothing, each writer's requests in order),
# count and range agree with get, the change log agrees with the events and
# holds nothing else, and seq goes on without reuse.
#
# make test runs 4 cycles; `make crashtest CYCLES=50` runs more and prints
# the figures. ANNALS_CRASH_SEED replays the kill moments of a run.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::Load qw(start_writers fetch_all check_queries read_changes check_change_log
                    check_applied states_after_crash check_states);

my $CYCLES = $ENV{ANNALS_CRASH_CYCLES} // 4;
my $SEED = $ENV{ANNALS_CRASH_SEED} // (time ^ $$) % 1000000;
my $W = 4;          # writers
my $IDS = 150;      # ids per writer
srand($SEED);
note("seed $SEED (ANNALS_CRASH_SEED=$SEED replays these kill moments)");
my $report = $ENV{ANNALS_CRASH_CYCLES} ? \&Test::More::diag : \&Test::More::note;

my $tmp = File::Temp->newdir('annals-crash-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{ANNALS_KEEP});
my $d = start_daemon();
my @own = map { my $w = $_; [map { "w$w-$_" } 0 .. $IDS - 1] } 0 .. $W - 1;
my %base = map { ($_ => undef) } map { @$_ } @own;   # id => its state: undef or {version, seq}
my ($prev_seq, %seq_seen) = (0);
my %total = (acked => 0, requests => 0, lost => 0, torn => 0, in_flight => 0, in_flight_applied => 0,
             reused => 0, queries => 0, changes => 0, during_index => 0);

for my $cycle (1 .. $CYCLES) {
    # Indexing runs in slices between writes in some cycles (a small
    # index_max_lag), only when writes pause in others.
    my $lag = $cycle % 2 ? 200 : 50000;
    my $load = start_writers(daemon => $d, ids => \@own, exists => { map { ($_ => 1) } grep { $base{$_} } keys %base },
                             tag => "c$cycle", dir => "$tmp", seed => $SEED + $cycle, window => 4);
    sleep((0.15 + rand 0.85) * slow_factor());
    my $how = 'while writes were in flight';
    if ($cycle % 3 == 0) {
        # Writes stop; idle indexing of what they left starts after 20 ms:
        # kill it in the middle.
        $load->stop;
        sleep 0.02 + rand 0.05;
        $how = 'while it indexed after the writes';
        $total{during_index}++;
    }
    $d->kill;
    is($load->wait, 0, "cycle $cycle: the writers saw the kill and recorded their books");
    my @ops = $load->ops;
    my @items = map { @{ $_->{items} } } grep { $_->{ack} && !$_->{err} } @ops;
    my @refused = grep { $_->{err} } @ops;
    is(scalar @refused, 0, "cycle $cycle: no write was refused") or diag(to_json($refused[0]));
    my $max_acked = 0;
    for my $it (@items) {
        $total{reused}++ if $seq_seen{ $it->[2] }++ || $it->[2] <= $prev_seq;
        $max_acked = $it->[2] if $it->[2] > $max_acked;
    }
    my $in_flight = grep { !$_->{ack} } @ops;

    $d->{args} = ['--index-max-lag', $lag];
    my $opened = eval { $d->start; 1 };
    ok($opened, "cycle $cycle: annalsd starts again after SIGKILL $how") or do { diag($@); last };
    my $c = $d->raw_connect;
    my (undef, $h) = $c->call('hello');
    my $seq = $h->{seq};
    ok($seq >= $max_acked && $seq >= $prev_seq,
       "cycle $cycle: seq $seq is at least every acknowledged one ($max_acked) and the last seen ($prev_seq)");

    my $got = fetch_all($c, [sort keys %base]);
    my %r = check_states($got, states_after_crash(\%base, \@ops));
    is($r{lost} + $r{torn} + @{ $r{problems} }, 0,
       "cycle $cycle: all " . scalar(@items) . " acknowledged writes are there, in their last version, "
       . 'and the events of writes in flight are there whole or not at all')
        or diag(join "\n", grep { defined } @{ $r{problems} }[0 .. 9]);
    my ($nq, @qbad) = check_queries($c, $got);
    is(scalar @qbad, 0, "cycle $cycle: $nq queries (count, range) agree with get") or diag(join "\n", @qbad[0 .. 9]);
    my $log = read_changes($c, $prev_seq);
    my $nc = @$log;
    my @cbad = check_change_log($log, $got, $prev_seq + 1, $seq);
    is(scalar @cbad, 0, "cycle $cycle: the $nc entries this cycle added to the change log agree with the events")
        or diag(join "\n", grep { defined } @cbad[0 .. 9]);
    my ($applied, @abad) = check_applied($log, \@ops);
    is(scalar @abad, 0, "cycle $cycle: they are the acknowledged writes and $applied of the $in_flight requests "
       . 'in flight, each whole, each writer\'s in order')
        or diag(join "\n", grep { defined } @abad[0 .. 9]);
    my (undef, $st) = $c->call('stats');
    ok($st->{changes} == $seq && $st->{events} == grep({ $got->{$_} } keys %$got),
       "cycle $cycle: stats counts $st->{events} events and one change per seq")
        or diag(to_json($st));

    $total{acked} += @items;
    $total{requests} += grep { $_->{ack} } @ops;
    $total{lost} += $r{lost};
    $total{torn} += $r{torn};
    $total{in_flight} += $in_flight;
    $total{in_flight_applied} += $applied;
    $total{queries} += $nq;
    $total{changes} += $nc;
    $prev_seq = $seq;
    # What is stored now is where the next cycle starts from.
    %base = map {
        my $g = $got->{$_};
        ($_ => $g ? { version => substr($g->{title}, length($_) + 1), seq => $g->{seq} } : undef)
    } keys %base;
    $c->close;
}
is($total{reused}, 0, 'no seq was acknowledged twice, nor at or below a seq stored before a restart');
$report->(sprintf 'crash test: %d cycles (%d killed while indexing), %d writes acknowledged in %d requests, '
          . '%d lost, %d torn; %d requests in flight at the kills, %d of them applied (whole, in order); '
          . '%d queries and %d change-log entries checked; seed %d',
          $CYCLES, $total{during_index}, $total{acked}, $total{requests}, $total{lost}, $total{torn},
          $total{in_flight}, $total{in_flight_applied}, $total{queries}, $total{changes}, $SEED);
is(stop_daemon(), 0, 'annalsd exits 0 after all that');
done_testing();
