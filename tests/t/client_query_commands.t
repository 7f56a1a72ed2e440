#!/usr/bin/perl
# annals hist, top and search, and the filter options --participant, --place,
# --parent and --q of range and count, against a real annalsd holding a
# handful of events: hist prints every bucket of the window (zeros too) under
# the labels PROTOCOL.md gives (weeks named by their Monday), counts each
# event once in the bucket of its earliest start (the first bucket for one
# that began before the window) so that the buckets add up to `annals count`,
# and with --spread in every bucket its span meets; top ranks values by
# count then bytes; search finds Arabic text whatever its prefixes and hamza
# and prints as range does; and bad flag values are usage errors (exit 2)
# that never reach the server.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $d = start_daemon();

# --- the events --------------------------------------------------------------------
my @events = (
    { id => 'meeting-2023', kind => 'meeting', title => 'Meeting at the turn of the year',
      start => '2023-12-30', end => '2024-01-02', countries => ['MA'] },
    { id => 'visit-madrid', kind => 'visit', title => 'Visit to Madrid', start => '2024-02',
      countries => ['ES', 'MA'], place => { city => 'Madrid', country => 'ES' },
      participants => [{ name => 'Abdellatif Hammouchi' }], tags => ['police'] },
    { id => 'agreement-rabat', kind => 'agreement', title => 'Security agreement signed in Rabat',
      start => '2024-02-15', countries => ['MA', 'FR'],
      place => { name => 'Ministry of the Interior', city => 'Rabat', country => 'MA' },
      participants => [{ name => 'Gérald Darmanin', role => 'minister' }] },
    { id => 'conf-lyon', kind => 'conference', title => 'Conference on cybercrime',
      start => '2024-05-30', end => '2024-06-02', countries => ['FR'],
      place => { city => 'Lyon', country => 'FR' }, tags => ['cybercrime', 'interpol'] },
    { id => 'ga-93', kind => 'conference', title => 'الجمعية العامة للإنتربول في مراكش',
      summary => 'La 93e Assemblée générale', lang => 'ar',
      start => '2024-11-24', end => '2024-11-27', countries => ['MA', 'FR'],
      place => { name => 'Palais des Congrès', city => 'مراكش', country => 'MA' },
      participants => [{ name => 'Abdellatif Hammouchi', aliases => ['عبد اللطيف حموشي'],
                         role => 'director general' }],
      tags => ['interpol'] },
    { id => 'ga-93-bilateral', kind => 'meeting', parent => 'ga-93',
      title => 'Bilateral meeting on the sidelines', start => '2024-11-25', countries => ['MA', 'NO'],
      place => { city => 'Marrakech', country => 'MA' },
      participants => [{ name => 'Abdellatif Hammouchi' }, { name => 'Smith, John', role => 'delegate' }],
      tags => ['interpol'] },
);
my $r = client('import', '-', { stdin => join('', map { Encode::decode('UTF-8', to_json($_)) . "\n" } @events) });
is($r->exit, 0, 'annals import of ' . scalar(@events) . ' events') or diag($r->describe);

sub ids { my ($res) = @_; return [map { $_->{id} } $res->json_lines] }
sub count_of { my $c = client('count', @_); return ($c->json // {})->{count} }

# --- range and count with the new filters ---------------------------------------------
my @filters = (
    [['--participant', 'Hammouchi'], ['visit-madrid', 'ga-93', 'ga-93-bilateral'],
     'a participant by one word of the name'],
    [['--participant', 'abdellatif hammouchi'], ['visit-madrid', 'ga-93', 'ga-93-bilateral'],
     'a participant by the whole name, in another case'],
    [['--participant', 'حموشي'], ['ga-93'], 'a participant by a word of an Arabic alias'],
    [['--participant', 'Smith, John'], ['ga-93-bilateral'], 'a participant name with a comma, kept whole'],
    [['--participant', 'John Smith'], [], "a participant's words out of order match nothing"],
    [['--participant', 'Smith, John', '--participant', 'Darmanin'], ['agreement-rabat', 'ga-93-bilateral'],
     'two --participant: either'],
    [['--place', 'MA'], ['agreement-rabat', 'ga-93', 'ga-93-bilateral'], 'a place by its country'],
    [['--place', 'ma'], ['agreement-rabat', 'ga-93', 'ga-93-bilateral'], 'a place country in lower case'],
    [['--place', 'Marrakech'], ['ga-93-bilateral'], 'a place by its Latin city'],
    [['--place', 'مراكش'], ['ga-93'], 'a place by its Arabic city'],
    [['--place', 'Marrakech', '--place', 'مراكش'], ['ga-93', 'ga-93-bilateral'], 'two --place: either'],
    [['--place', 'palais des congres'], ['ga-93'], 'a place by its name, without case or accents'],
    [['--parent', 'ga-93'], ['ga-93-bilateral'], 'the events of a parent'],
    [['--parent', 'nothing-here'], [], 'a parent no event has'],
    [['--q', 'cybercrime'], ['conf-lyon'], 'a text query'],
    [['--q', 'interpol', '--participant', 'Hammouchi', '--country', 'NO'], ['ga-93-bilateral'],
     'different filters must all hold'],
);
for my $f (@filters) {
    my ($args, $want, $what) = @$f;
    $r = client('range', @$args);
    is($r->exit, 0, "range @$args exits 0") or diag($r->describe);
    is_deeply(ids($r), $want, "range: $what");
    is(count_of(@$args), scalar @$want, "count: $what");
}

# --- hist -----------------------------------------------------------------------------
sub hist {
    my $h = client('hist', @_);
    is($h->exit, 0, "hist @_ exits 0") or diag($h->describe);
    return [map { [$_->{start}, $_->{count}] } $h->json_lines];
}
my @months = map { sprintf '2024-%02d', $_ } 1 .. 12;
my %by_month = ('2024-01' => 1, '2024-02' => 2, '2024-05' => 1, '2024-11' => 2);
is_deeply(hist('2024-01', '2024-12', '--by', 'month'), [map { [$_, $by_month{$_} // 0] } @months],
          'hist by month: every month of the window, zeros included; an event that began before '
          . 'the window counts in the first month');
$r = client('hist', '2024-01', '2024-12', '--by', 'month');
like($r->out, qr/\A(?:\{"start":"2024-\d\d","count":\d+\}\n){12}\z/,
     'each line is exactly {"start":...,"count":N}');
my $sum = 0;
$sum += $_->[1] for @{ hist('2024-01', '2024-12', '--by', 'month') };
is($sum, count_of('2024-01', '2024-12'), 'the buckets add up to annals count of the same window');
is($sum, 6, '... which is every event');

$sum = 0;
my $fr = hist('2024', '2024', '--by', 'month', '--country', 'FR');
$sum += $_->[1] for @$fr;
is($sum, count_of('2024', '2024', '--country', 'FR'), 'with a filter the buckets still add up to count');
is_deeply([map { $_->[1] } grep { $_->[1] } @$fr], [1, 1, 1], '... one event in each of three months');

my %spread = (%by_month, '2024-06' => 1);
is_deeply(hist('2024-01', '2024-12', '--by', 'month', '--spread'), [map { [$_, $spread{$_} // 0] } @months],
          'hist --spread: an event from May 30 to June 2 counts in May and in June');

is_deeply(hist('2024-11-18', '2024-11-30', '--by', 'week'), [['2024-11-18', 1], ['2024-11-25', 1]],
          'hist by week: weeks are named by their Monday; Sunday the 24th is in the week of the 18th');
is_deeply(hist('2024-11-23', '2024-11-26', '--by', 'day'),
          [['2024-11-23', 0], ['2024-11-24', 1], ['2024-11-25', 1], ['2024-11-26', 0]],
          'hist by day, with empty days at both ends');
is_deeply(hist('2023', '2024', '--by', 'year'), [['2023', 1], ['2024', 5]], 'hist by year');
is_deeply(hist('2024-11', '2024-11', '--by', 'month', '--participant', 'Hammouchi', '--mode', 'within'),
          [['2024-11', 2]], 'hist takes --mode and the new filters');

# --- top ------------------------------------------------------------------------------
sub top {
    my $t = client('top', @_);
    is($t->exit, 0, "top @_ exits 0") or diag($t->describe);
    return [map { [$_->{value}, $_->{count}] } $t->json_lines];
}
is_deeply(top('2024', '2024', '--field', 'country'), [['MA', 5], ['FR', 3], ['ES', 1], ['NO', 1]],
          'top countries: by count, then by value');
is_deeply(top('2024', '2024', '--field', 'country', '--limit', '2'), [['MA', 5], ['FR', 3]], 'top --limit 2');
is_deeply(top('--field', 'kind'), [['conference', 2], ['meeting', 2], ['agreement', 1], ['visit', 1]],
          'top kinds, without a window');
is_deeply(top('2024', '2024', '--field', 'country', '--kind', 'conference'), [['FR', 2], ['MA', 1]],
          'top takes the filters');
is_deeply(top('--field', 'participant'),
          [['Abdellatif Hammouchi', 3], ['Gérald Darmanin', 1], ['Smith, John', 1]],
          'top participants: by name, accents and commas kept');
is_deeply(top('--field', 'place'),
          [['Lyon', 1], ['Madrid', 1], ['Marrakech', 1], ['Rabat', 1], ['مراكش', 1]],
          'top places: by city, Arabic after Latin in byte order');

# --- search ---------------------------------------------------------------------------
$r = client('search', 'الإنتربول');
is($r->exit, 0, 'search with an Arabic word exits 0') or diag($r->describe);
is_deeply(ids($r), ['ga-93'], 'search الإنتربول finds the title that says للإنتربول');
is_deeply(ids(client('search', 'انتربول')), ['ga-93'], '... and so does انتربول, without hamza or article');
is_deeply(ids(client('search', 'حموشي')), ['ga-93'], 'search finds a participant by an Arabic alias');
is_deeply(ids(client('search', 'مراكش', '2024-11', '2024-11')), ['ga-93'], 'search TEXT FROM TO');
is_deeply(ids(client('search', 'interpol')), ['conf-lyon', 'ga-93', 'ga-93-bilateral'],
          'search interpol: every event tagged so, in date order');
is_deeply(ids(client('search', 'interpol', '2024-11')), ['ga-93', 'ga-93-bilateral'], 'search TEXT FROM');
is_deeply(ids(client('search', 'interpol', '--kind', 'conference')), ['conf-lyon', 'ga-93'],
          'search takes the filters');
is_deeply(ids(client('search', 'interpol', '--limit', '1')), ['conf-lyon'], 'search --limit 1');
is_deeply(ids(client('search', 'interpol', '--order', 'desc')), ['ga-93-bilateral', 'ga-93', 'conf-lyon'],
          'search --order desc');
is_deeply(ids(client('search', '"security agreement"')), ['agreement-rabat'], 'a quoted phrase');
is_deeply(ids(client('search', '"agreement security"')), [], 'a phrase with its words swapped finds nothing');
is_deeply(ids(client('search', 'assemblee generale')), ['ga-93'], 'accents do not matter');
$r = client('search', 'interpol');
my @lines = $r->json_lines;
is_deeply([map { $_->{certainty} } @lines], ['certain', 'certain', 'certain'],
          'search prints the events as range does, certainty included');
is_deeply(\@lines, [client('range', '--q', 'interpol')->json_lines], '... exactly what range --q prints');

# --- usage errors ---------------------------------------------------------------------
my @usage = (
    [['hist', '2024', '2024'], qr/\Aannals hist: --by is required/, 'hist without --by'],
    [['hist', '2024', '2024', '--by', 'fortnight'],
     qr/\Aannals hist: --by must be day, week, month or year/, 'hist --by fortnight'],
    [['hist', '2024', '2024', '--by'], qr/--by/, 'hist --by without a value'],
    [['hist', '2024', '--by', 'month'], qr/\Aannals hist: missing argument/, 'hist with one date'],
    [['hist', '--by', 'month'], qr/missing argument/, 'hist without dates'],
    [['hist', '2024', '2024', '2025', '--by', 'month'], qr/unexpected argument '2025'/, 'hist with three dates'],
    [['hist', '2024', '2024', '--by', 'month', '--mode', 'sideways'], qr/--mode must be overlap or within/,
     'hist --mode sideways'],
    [['hist', '2024', '2024', '--by', 'month', '--spread=yes'], qr/--spread' takes no value/, 'hist --spread=yes'],
    [['top', '2024'], qr/\Aannals top: --field is required/, 'top without --field'],
    [['top', '--field', 'colour'], qr/\Aannals top: --field must be country, kind, tag, participant or place/,
     'top --field colour'],
    [['top', '--field', 'country', '--limit', '0'], qr/--limit must be an integer from 1 to 1000/, 'top --limit 0'],
    [['top', '--field', 'country', '--limit', '1001'], qr/--limit must be/, 'top --limit 1001'],
    [['top', '--field', 'country', '--limit', 'ten'], qr/--limit must be/, 'top --limit ten'],
    [['top', '--field', 'country', '--limit', '-3'], qr/--limit must be/, 'top --limit -3'],
    [['top', '1', '2', '3', '--field', 'kind'], qr/unexpected argument/, 'top with three dates'],
    [['search'], qr/\Aannals search: missing argument/, 'search without TEXT'],
    [['search', ''], qr/TEXT must not be empty/, 'search with an empty TEXT'],
    [['search', 'x', '2024', '2024', '2025'], qr/unexpected argument '2025'/, 'search with three dates'],
    [['search', 'x', '--q', 'y'], qr/unknown option '--q'/, 'search --q (the text is the argument)'],
    [['search', 'x', '--limit', '0'], qr/--limit must be a positive integer/, 'search --limit 0'],
    [['search', 'x', '--order', 'sideways'], qr/--order must be asc or desc/, 'search --order sideways'],
    [['range', '--q', 'a', '--q', 'b'], qr/--q may be given once/, 'range with two --q'],
    [['range', '--q', ''], qr/--q needs a value/, 'range --q ""'],
    [['count', '--participant', ''], qr/--participant needs a value/, 'count --participant ""'],
    [['range', '--place', ''], qr/--place needs a value/, 'range --place ""'],
    [['watch', '--parent', ''], qr/--parent needs a value/, 'watch --parent ""'],
    [['hist', '2024', '2024', '--by', 'month', '--kind', ''], qr/--kind needs a value/, 'hist --kind ""'],
    [['range', '--participant', "ab\xff"], qr/--participant is not valid UTF-8/, 'range --participant of invalid UTF-8'],
    [['count', '--tag', 'a', '--tag', "\xc3\x28"], qr/--tag is not valid UTF-8/, 'count with a second --tag of invalid UTF-8'],
    [['range', "20\xff"], qr/FROM is not valid UTF-8/, 'range with a FROM of invalid UTF-8'],
    [['count', '2024', "\xe2\x82"], qr/TO is not valid UTF-8/, 'count with a TO of invalid UTF-8'],
    [['search', "ma\xffroc"], qr/TEXT is not valid UTF-8/, 'search with a TEXT of invalid UTF-8'],
    [['range', '--q', "\xc0\xaf"], qr/--q is not valid UTF-8/, 'range --q of invalid UTF-8'],
);
my $seq = (client('hello')->json // {})->{seq};
my $requests = sub { (client('stats')->json // {})->{server}{requests} };
my $before = $requests->();
for my $u (@usage) {
    my ($args, $err, $what) = @$u;
    $r = client(@$args);
    is($r->exit, 2, "$what: exit 2") or diag($r->describe);
    like($r->err, $err, "... saying so");
    is($r->out, '', '... and printing nothing on stdout');
}
is($requests->(), $before + 1, 'no usage error sent a request (only the stats call before this one did)');

# --- help -----------------------------------------------------------------------------
$r = client('help');
like($r->out, qr/^  hist FROM TO --by UNIT/m, 'annals help lists hist');
like($r->out, qr/^  top \[FROM \[TO\]\] --field/m, '... top');
like($r->out, qr/^  search TEXT/m, '... and search');
for my $c (['hist', qr/\{"start":"2024-03","count":12\}/], ['top', qr/\{"value":"MA","count":12\}/],
           ['search', qr/--order/], ['range', qr/--participant NAME/], ['count', qr/--q TEXT/],
           ['watch', qr/--place PLACE/]) {
    my ($cmd, $re) = @$c;
    $r = client($cmd, '--help');
    is($r->exit, 0, "annals $cmd --help exits 0");
    like($r->out, $re, "... and documents $re");
}
is(client('help', 'hist')->out, client('hist', '--help')->out, 'annals help hist is annals hist --help');

is(stop_daemon(), 0, 'annalsd stops cleanly');
done_testing();
