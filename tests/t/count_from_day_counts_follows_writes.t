#!/usr/bin/perl
# count, histogram and top add up per-day counts kept in the index; those
# counts must follow every put, replacement (moving day, kind or countries)
# and delete exactly. Each answer is checked against range, which walks the
# events themselves.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

start_daemon();
srand(7);
my @kinds = qw(visit meeting agreement conference other);
my @countries = qw(MA ES FR NO ET);
sub random_event {
    my ($id) = @_;
    my $d = 1 + int(rand(60));
    my $start = sprintf('2024-%02d-%02d', 1 + int($d / 28), 1 + $d % 28);
    my %e = (id => $id, title => "event $id", start => $start, kind => $kinds[rand @kinds],
             countries => [ $countries[rand @countries] ]);
    $e{start} .= sprintf('T%02d:%02dZ', int(rand(24)), int(rand(60))) if rand() < 0.3;
    $e{end} = '2024-03' if rand() < 0.1;
    return \%e;
}
my %live;
for my $round (1 .. 3) {
    my @batch = map { random_event("e$_") } map { int(rand(300)) } 1 .. 200;
    my ($e) = rpc('put_many', { events => \@batch });
    ok(!$e, "round $round: put or replace 200 events") or diag(to_json($e));
    $live{$_->{id}} = 1 for @batch;
    my @gone = grep { rand() < 0.2 } sort keys %live;
    for my $id (@gone) {
        my ($de) = rpc('delete', { id => $id });
        $de ? diag(to_json($de)) : delete $live{$id};
    }
    my @windows = (['2024-01-05', '2024-02-10'], ['2024-02-01T12:30Z', '2024-02-03T06:00Z'],
                   ['2024-01-15', '2024-01-15'], [undef, '2024-02'], ['2024-02-20', undef], [undef, undef]);
    my ($bad, $checked) = (0, 0);
    for my $w (@windows) {
        for my $filter ({}, (map { { kind => $_ } } @kinds), (map { { country => $_ } } @countries)) {
            my %q = (%$filter, (defined $w->[0] ? (from => $w->[0]) : ()), (defined $w->[1] ? (to => $w->[1]) : ()));
            my ($ce, $cr) = rpc('count', \%q);
            my ($re, $rr) = rpc('range', { %q, limit => 10000 });
            $checked++;
            next if !$ce && !$re && $cr->{count} == @{ $rr->{events} };
            $bad++;
            diag('count ' . to_json(\%q) . ' = ' . to_json($cr // $ce) . ', range found ' . scalar(@{ $rr->{events} // [] }));
        }
    }
    is($bad, 0, "round $round: count agrees with range for $checked windows and filters");
    my ($he, $hr) = rpc('histogram', { from => '2024-01-10', to => '2024-03-05', bucket => 'week' });
    my ($ce, $cr) = rpc('count', { from => '2024-01-10', to => '2024-03-05' });
    my $sum = 0;
    $sum += $_->[1] for @{ $hr->{buckets} // [] };
    ok(!$he && $sum == $cr->{count} && $hr->{total} == $cr->{count}, "round $round: weekly histogram adds up to count ($sum)")
        or diag(to_json([$he, $hr, $cr]));
    my ($te, $tr) = rpc('top', { field => 'kind', from => '2024-01-10', to => '2024-03-05' });
    my %by = map { @$_ } @{ $tr->{top} // [] };
    my $ok = 1;
    for my $k (@kinds) {
        my ($ke, $kr) = rpc('count', { kind => $k, from => '2024-01-10', to => '2024-03-05' });
        $ok = 0 if ($by{$k} // 0) != $kr->{count};
    }
    ok(!$te && $ok, "round $round: top kind agrees with count per kind") or diag(to_json($tr));
}
done_testing();
