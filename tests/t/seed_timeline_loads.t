#!/usr/bin/perl
# The seed timeline shipped in config/seed-events.jsonl imports without a
# rejected line and holds the facts it is meant to hold: the Interpol General
# Assembly in Marrakech (2025-11-24..27), the Agadir talks of 2024-05-17
# involving Spain; every parent it names exists; range and count agree on it.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::Dates qw(canonical parse_date);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $seed = top_dir() . '/config/seed-events.jsonl';
ok(-f $seed, "the seed timeline $seed exists") or do { diag("no seed timeline at $seed: it must be shipped with annals"); done_testing(); exit 1 };

my @lines = grep { /\S/ } split /\n/, read_file($seed);
my @events = map { from_json($_) } @lines;
ok(@events >= 10, scalar(@events) . ' events in the seed file');
my %ids;
my @no_id = grep { !defined $_->{id} } @events;
is(scalar @no_id, 0, 'every seed event has an id, so that parents can name it');
my @dup = grep { $ids{$_->{id} // ''}++ } @events;
is(scalar @dup, 0, 'seed ids are unique') or diag(join ', ', map { $_->{id} } @dup);
my @bad_dates = grep { !parse_date($_->{start}) || (defined $_->{end} && !parse_date($_->{end})) } @events;
is(scalar @bad_dates, 0, 'every start and end is a date of the profile') or diag(to_json($bad_dates[0]));

my $d = start_daemon();
my $r = client('import', $seed);
is($r->exit, 0, 'annals import of the seed timeline exits 0') or diag($r->describe);
$r = client('count');
is(($r->json // {})->{count}, scalar @events, 'every seed event is stored');

$r = client('export');
my %stored = map { ($_->{id} => $_) } $r->json_lines;
my $changed = 0;
for my $e (@events) {
    my $s = $stored{$e->{id}} or do { $changed++; next };
    for my $k (keys %$e) {
        next if grep { $k eq $_ } qw(seq created updated bounds certainty);
        my $want = $k eq 'start' || $k eq 'end' ? canonical($e->{$k}) : $e->{$k};
        next if Test::More::_deep_check($s->{$k}, $want);
        diag("$e->{id}: $k stored as " . to_json($s->{$k}) . ', given ' . to_json($e->{$k})) unless $changed++;
    }
}
is($changed, 0, 'the stored events hold what the seed file says');

# --- the facts ---------------------------------------------------------------------
sub text_of { my ($e) = @_; return join ' ', grep { defined && !ref } $e->{title}, $e->{summary},
                  map { $_ // () } @{ $e->{place} // {} }{qw(name city)} }

my ($ga) = grep { text_of($_) =~ /interpol/i && text_of($_) =~ /general assembly|assembl[ée]e g[ée]n[ée]rale|الجمعية العامة/i }
           values %stored;
ok($ga, 'the Interpol General Assembly is in the seed timeline') or diag('no event mentions it');
SKIP: {
    skip 'no General Assembly event', 3 unless $ga;
    is($ga->{start}, '2025-11-24', 'it starts on 2025-11-24');
    is($ga->{end}, '2025-11-27', 'it ends on 2025-11-27');
    like(text_of($ga), qr/Marrakech|Marrakesh|مراكش/i, 'it is in Marrakech');
    my $c = client('range', '2025-11-25', '2025-11-25', '--mode', 'overlap');
    my ($found) = grep { $_->{id} eq $ga->{id} } $c->json_lines;
    is($found && $found->{certainty}, 'certain', 'range 2025-11-25 finds it as certain');
}

$r = client('range', '2024', '2024', '--country', 'ES');
is($r->exit, 0, 'annals range 2024 2024 --country ES exits 0') or diag($r->describe);
my @es = $r->json_lines;
my ($agadir) = grep { ($_->{start} // '') eq '2024-05-17' && text_of($_) =~ /Agadir|أكادير|أغادير/i } @es;
ok($agadir, 'range 2024 2024 --country ES includes the 2024-05-17 Agadir talks')
    or diag('events: ' . join("\n", map { "$_->{start} $_->{title}" } @es));
ok(!grep({ !grep { $_ eq 'ES' } @{ $_->{countries} // [] } } @es), 'every event it lists involves ES');

# --- consistency -------------------------------------------------------------------
my @orphans = grep { defined $_->{parent} && !$stored{$_->{parent}} } values %stored;
is(scalar @orphans, 0, "every event's parent exists") or diag(join "\n", map { "$_->{id} -> $_->{parent}" } @orphans);
my @self = grep { defined $_->{parent} && $_->{parent} eq $_->{id} } values %stored;
is(scalar @self, 0, 'no event is its own parent');

my %countries;
$countries{$_}++ for map { @{ $_->{countries} // [] } } values %stored;
my @windows = ([], ['2024', '2024'], ['2025', '2025'], ['2025-11']);
for my $w (@windows) {
    for my $cc (undef, (sort { $countries{$b} <=> $countries{$a} || $a cmp $b } keys %countries)[0 .. 2]) {
        my @args = grep { defined } @$w;
        push @args, '--country', $cc if defined $cc;
        my $rr = client('range', @args);
        my $cr = client('count', @args);
        my $n = () = $rr->json_lines;
        is(($cr->json // {})->{count}, $n, "range and count agree on " . (@args ? "@args" : "everything"));
    }
}
for my $mode (qw(overlap within)) {
    my $rr = client('range', '2024', '2025', '--mode', $mode);
    my $cr = client('count', '2024', '2025', '--mode', $mode);
    my $n = () = $rr->json_lines;
    is(($cr->json // {})->{count}, $n, "range and count agree on 2024..2025 $mode");
}
{
    my ($e, $res) = rpc('range', { to => '2023', limit => 10000 });
    my ($e2, $cnt) = rpc('count', { to => '2023' });
    is($cnt->{count}, scalar @{ $res->{events} }, 'range and count agree on the open window up to 2023');
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
