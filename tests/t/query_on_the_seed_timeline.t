#!/usr/bin/perl
# The analysts' questions, asked of the real seed timeline
# (config/seed-events.jsonl, imported with `annals import`), get the answers
# a brute-force reading of the JSONL gives by the rules of PROTOCOL.md
# sections 5, 6 and 10: the countries met in 2025 and how often (top), the
# MoUs signed with given countries since 2024, the meetings held during the
# Interpol General Assembly (parent), the events that mention Interpol in
# Arabic or in Latin script (q), Hammouchi's events under either spelling
# of his name (participant), the events in Marrakech (place), and the
# meetings per month over two years (histogram), whose buckets add up to
# count.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use JSON::PP ();
use Test::More;
use Annals::Test;
use Annals::Brute qw(range_all describe_params);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $GA = '2025-11-interpol-ga-93-marrakech';
my $seed = top_dir() . '/config/seed-events.jsonl';
my @events = map { from_json($_) } grep { /\S/ } split /\n/, read_file($seed) // '';
ok(@events >= 50, scalar(@events) . " events in $seed");
# import sends the lines in order, so the order of first write is the file's.
my $corpus = Annals::Brute::Corpus->new(\@events);

my $d = start_daemon();
{
    my $r = client('import', $seed);
    is($r->exit, 0, 'annals import of the seed timeline exits 0') or diag($r->describe);
}

my $call = sub { rpc(@_) };

# ask(\%params, $question): range (every page) and count against the brute
# force; returns the ids.
sub ask {
    my ($q, $question) = @_;
    my $label = $question . ' [' . describe_params($q) . ']';
    my @want = $corpus->select($q);
    ok(@want > 0, "$label: the seed timeline has an answer (" . scalar(@want) . ' events)');
    my $res = range_all($call, $q);
    is_deeply($res->{error} ? $res->{error} : [map { $_->{id} } @{ $res->{events} }], \@want,
              "$label: range gives the events, in date order then file order");
    is_deeply({ map { ($_->{id} => $_->{certainty}) } @{ $res->{events} } }, $corpus->certainty($q, @want),
              "$label: with their certainty");
    my %cq = %$q;
    delete @cq{qw(limit order)};
    my ($ce, $cr) = rpc('count', \%cq);
    is($ce ? to_json($ce) : $cr->{count}, scalar @want, "$label: count " . scalar @want);
    return @want;
}

# top_of(\%params, $question): top against the brute force.
sub top_of {
    my ($q, $question) = @_;
    my $label = $question . ' [' . describe_params($q) . ']';
    my ($want, $total) = $corpus->top($q);
    ok(@$want > 0, "$label: the seed timeline has an answer (" . scalar(@$want) . ' values)');
    my ($e, $r) = rpc('top', $q);
    is_deeply($e ? $e : $r->{top}, $want, "$label: the values and their counts");
    is($e ? to_json($e) : $r->{total}, $total, "$label: total $total");
    return $want;
}

# --- which countries did we meet in 2025, and how often? ------------------------------------
{
    my $top = top_of({ field => 'country', kind => 'meeting', from => '2025', to => '2025', limit => 1000 },
                     'countries met in 2025');
    is($top->[0][0], 'MA', 'model: Morocco, in every meeting, comes first');
    my $n = grep { $_->[1] == 1 } @$top;
    ok($n >= 10, "model: $n countries were met once, so the order by code is tested");
    top_of({ field => 'country', from => '2025', to => '2025', limit => 5 }, 'the five countries most present in 2025');
    top_of({ field => 'kind', from => '2024', to => '2025' }, 'what kinds of events in 2024-2025');
    top_of({ field => 'tag', parent => $GA, limit => 20 }, 'the subjects of the General Assembly meetings');
}

# --- MoUs with given countries since 2024 ----------------------------------------------------
{
    ask({ tag => 'mou', from => '2024' }, 'MoUs since 2024');
    ask({ tag => 'mou', country => ['NO', 'ET'], from => '2024' }, 'MoUs with Norway or Ethiopia since 2024');
    ask({ kind => 'agreement', country => 'NO', from => '2024' }, 'agreements with Norway since 2024');
    for my $cc (qw(NO ET ES FR US)) {
        my $q = { tag => 'mou', country => $cc, from => '2024' };
        my ($e, $r) = rpc('count', $q);
        is($e ? to_json($e) : $r->{count}, $corpus->count($q), "MoUs with $cc since 2024: " . $corpus->count($q));
    }
    ask({ q => '"مذكرة تفاهم"', from => '2024' }, 'events that speak of a memorandum of understanding');
}

# --- what happened during the General Assembly? ----------------------------------------------
{
    my @kids = ask({ parent => $GA, limit => 10 }, 'events whose parent is the General Assembly, by pages of 10');
    ok(!grep({ $_ eq $GA } @kids), 'the assembly itself is not among its children');
    ask({ parent => $GA, order => 'desc', limit => 7 }, 'the same, newest first');
    ask({ parent => $GA, kind => 'agreement' }, 'agreements signed during the General Assembly');
    ask({ parent => $GA, country => ['ES', 'DE', 'IT'] }, 'meetings with Spain, Germany or Italy during the General Assembly');
    top_of({ field => 'country', parent => $GA, limit => 1000 }, 'countries met during the General Assembly');
    top_of({ field => 'participant', parent => $GA, limit => 1000 }, 'who took part in the General Assembly meetings');
}

# --- Interpol, in Arabic and in Latin script ----------------------------------------------------
{
    my @ar = ask({ q => 'الأنتربول' }, 'events that mention الأنتربول');
    my @ar2 = $corpus->select({ q => 'للأنتربول' });
    is_deeply(\@ar2, \@ar, 'model: للأنتربول finds what الأنتربول finds');
    ask({ q => 'للأنتربول' }, 'events that mention للأنتربول');
    ask({ q => 'الإنتربول' }, 'events that mention الإنتربول');
    ask({ q => 'Interpol' }, 'events that mention Interpol');
    ask({ q => 'الأنتربول مراكش' }, 'events that mention both Interpol and Marrakech');
    ask({ q => '"الجمعية العامة"' }, 'events that name the General Assembly');
    ask({ q => 'الأنتربول', from => '2025-11-10', to => '2025-11-10' }, 'Interpol on 2025-11-10');
    ask({ q => 'الأنتربول', limit => 3, order => 'desc' }, 'Interpol, newest first, by pages of 3');
}

# --- Hammouchi, under either spelling; Marrakech ---------------------------------------------------
{
    my @lat = ask({ participant => 'Hammouchi' }, 'events Hammouchi took part in');
    my @ar = $corpus->select({ participant => 'حموشي' });
    is_deeply(\@ar, \@lat, 'model: حموشي finds what Hammouchi finds');
    ask({ participant => 'حموشي' }, 'events حموشي took part in');
    ask({ participant => 'عبد اللطيف حموشي', from => '2024', to => '2024' }, 'عبد اللطيف حموشي in 2024');
    ask({ participant => ['Darmanin', 'Pisani'] }, 'events with Darmanin or Pisani');
    ask({ place => 'مراكش' }, 'events in Marrakech');
    ask({ place => 'es' }, 'events in Spain (place code in lower case)');
    ask({ place => 'الرباط', kind => 'meeting' }, 'meetings in Rabat');
    top_of({ field => 'place', limit => 1000 }, 'the cities where events took place');
    top_of({ field => 'participant', from => '2024', to => '2024', limit => 1000 }, 'who took part in 2024');
}

# --- meetings per month over two years ---------------------------------------------------------
{
    my $q = { from => '2024-01', to => '2025-12', bucket => 'month', kind => 'meeting' };
    my ($want, $total) = $corpus->histogram($q);
    my ($e, $r) = rpc('histogram', $q);
    is_deeply($e ? $e : $r->{buckets}, $want, 'meetings per month, 2024-01 .. 2025-12: 24 buckets and their counts');
    is(scalar @$want, 24, 'model: 24 months');
    my $sum = 0;
    $sum += $_->[1] for @{ ($e ? {} : $r)->{buckets} // [] };
    my ($ce, $cr) = rpc('count', { from => '2024-01', to => '2025-12', kind => 'meeting' });
    is($sum, $ce ? to_json($ce) : $cr->{count}, "the months add up to count ($sum)");
    is($e ? to_json($e) : $r->{total}, $total, "total $total");
    my ($busiest) = sort { $b->[1] <=> $a->[1] || $a->[0] cmp $b->[0] } @$want;
    is($busiest->[0], '2025-11', 'model: the busiest month is November 2025, the General Assembly');

    my $w = { from => '2025-11-20', to => '2025-11-30', bucket => 'day', q => 'الأنتربول', spread => JSON::PP::true };
    ($want, $total) = $corpus->histogram($w);
    ($e, $r) = rpc('histogram', $w);
    is_deeply($e ? $e : $r, { buckets => $want, total => $total },
              'Interpol per day around the assembly, spread over each event\'s days');
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
