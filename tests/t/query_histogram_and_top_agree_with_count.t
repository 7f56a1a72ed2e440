#!/usr/bin/perl
# histogram and top (PROTOCOL.md section 6) over ~1500 seeded events agree
# with a brute-force evaluation and with count: histogram buckets are named
# as the spec says (days, Monday weeks, YYYY-MM, YYYY), run from the bucket
# of the window's first instant to that of its last with zeros included,
# count each event once in the bucket of its earliest start (the first
# bucket when it may have begun before the window), add up to total, which
# is count; spread counts an event in every bucket its span meets; too many
# buckets and missing or bad parameters are bad_request. top counts each
# event once per distinct value, groups participants and places by their
# normalised name shown as the first event in date order spells it, sorts by
# count then value bytewise, honours limit, and its total is count.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use JSON::PP ();
use POSIX qw(floor);
use Test::More;
use Annals::Test;
use Annals::Dates qw(window first_last instant);
use Annals::Brute qw(gen_events describe_params pick shuffle_list bucket_labels bytewise_cmp norm_words);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $events = gen_events(n => 1500, seed => 19700101);
my $corpus = Annals::Brute::Corpus->new($events);
my @umbrellas = map { $_->{id} } grep { $_->{id} =~ /^u-/ } @$events;

my $d = start_daemon();
{
    my ($e, $r) = rpc('put_many', { events => $events });
    ok(!$e, 'put_many of ' . scalar(@$events) . ' events') or diag(to_json($e));
}

sub err_code { my ($e) = @_; return ref $e eq 'ARRAY' ? $e->[0] : defined $e ? to_json($e) : 'no error' }

sub server_count {
    my ($q) = @_;
    my %c = %$q;
    delete @c{qw(bucket spread field limit)};
    my ($e, $r) = rpc('count', \%c);
    return $e ? 'error ' . to_json($e) : $r->{count};
}

# --- histogram ---------------------------------------------------------------------------
# check_histogram(\%params): buckets, total, count, and the shape of the labels.
sub check_histogram {
    my ($q) = @_;
    my $label = 'histogram ' . describe_params($q);
    my ($want, $wtotal) = $corpus->histogram($q);
    my ($e, $r) = rpc('histogram', $q);
    if ($e) {
        fail("$label answers") for 1 .. 5;
        diag(to_json($e));
        return;
    }
    my @got = @{ $r->{buckets} // [] };
    is_deeply([map { $_->[0] } @got], [map { $_->[0] } @$want],
              "$label: buckets " . $want->[0][0] . ' .. ' . $want->[-1][0] . ' (' . scalar(@$want) . '), every one present');
    is_deeply(\@got, $want, "$label: the count of each bucket");
    is($r->{total}, $wtotal, "$label: total $wtotal");
    is($r->{total}, server_count($q), "$label: total equals count");
    my $sum = 0;
    $sum += $_->[1] // 0 for @got;
    if ($q->{spread}) {
        ok($sum >= $r->{total}, "$label: spread buckets add up to at least total ($sum >= $r->{total})");
    } else {
        is($sum, $r->{total}, "$label: the buckets add up to total");
    }
    return $want;
}

my @hist = (
    { from => '2019-01', to => '2020-12', bucket => 'month' },
    { from => '2016', to => '2025', bucket => 'month', kind => 'meeting' },
    { from => '2021-02-01', to => '2021-03-31', bucket => 'day', country => 'MA' },
    { from => '2020-02-29', to => '2020-02-29', bucket => 'day' },
    { from => '2020', to => '2020', bucket => 'week', q => 'pax' },
    { from => '2021-01-04', to => '2021-01-10', bucket => 'week' },
    { from => '2022-01-02', to => '2022-03-01', bucket => 'week', tag => ['pax', 'iter'] },
    { from => '1990', to => '2040', bucket => 'year', participant => 'Cicero' },
    { from => '2016', to => '2025', bucket => 'year', mode => 'within' },
    { from => '2016', to => '2025', bucket => 'year', mode => 'overlap', place => 'Genève' },
    { from => '2020-03-15T12:00+02:00', to => '2020-06-10', bucket => 'month' },
    { from => '2019~', to => '2020', bucket => 'month', parent => $umbrellas[0] },
    { from => '2023-05-06T08:00Z', to => '2023-05-06T17:59Z', bucket => 'day' },
    { from => '2018-12-31', to => '2019-01-06', bucket => 'day', mode => 'within' },
    { from => '2017-06', to => '2019-06', bucket => 'week', participant => ['Pompey', 'Livy'] },
    { from => '2024', to => '2024', bucket => 'year', country => 'US' },
);
srand(8086);
for (1 .. 16) {
    my $bucket = pick(qw(day week month year));
    my $y = 2016 + int rand 9;
    my %q = (bucket => $bucket);
    if ($bucket eq 'day') { my $m = 1 + int rand 12; %q = (%q, from => sprintf('%04d-%02d', $y, $m), to => sprintf('%04d-%02d', $y, $m)) }
    elsif ($bucket eq 'week') { %q = (%q, from => sprintf('%04d-%02d-%02d', $y, 1 + int rand 6, 1 + int rand 28), to => "$y") }
    elsif ($bucket eq 'month') { %q = (%q, from => "$y", to => sprintf('%04d', $y + int rand 3)) }
    else { %q = (%q, from => '2000', to => '2030') }
    my $f = pick(qw(kind country tag participant place parent q none));
    $q{kind} = pick(@Annals::Brute::KINDS) if $f eq 'kind';
    $q{country} = [(shuffle_list(@Annals::Brute::COUNTRIES))[0 .. 1]] if $f eq 'country';
    $q{tag} = pick(@Annals::Brute::TAGS) if $f eq 'tag';
    $q{participant} = pick('Cicero', 'Caesar', 'Zoe Menard', 'Sulla') if $f eq 'participant';
    $q{place} = pick('Roma', 'fr', 'Carthago Nova') if $f eq 'place';
    $q{parent} = pick(@umbrellas) if $f eq 'parent';
    $q{q} = pick('concordia', '"res publica"', 'senatus populus') if $f eq 'q';
    $q{mode} = 'within' if rand() < 0.3;
    push @hist, \%q;
}
my $clamped = 0;
for my $q (@hist) {
    check_histogram($q);
    my $w = window($q->{from}, $q->{to});
    $clamped += grep { $corpus->bounds($_)->{start}[0] < $w->[0] } $corpus->select($q);
}
ok($clamped >= 20, "$clamped events were counted in a first bucket because they may have begun before the window");

# spread
for my $q ({ from => '2024-03', to => '2024-04', bucket => 'month', spread => JSON::PP::true },
           { from => '2019', to => '2022', bucket => 'month', spread => JSON::PP::true, kind => 'conference' },
           { from => '2020-01-01', to => '2020-03-01', bucket => 'week', spread => JSON::PP::true },
           { from => '2016', to => '2025', bucket => 'year', spread => JSON::PP::true, participant => 'Cicero' },
           { from => '2021-06-01', to => '2021-06-30', bucket => 'day', spread => JSON::PP::true, mode => 'within' },
           { from => '2018', to => '2018', bucket => 'month', spread => JSON::PP::false }) {
    my $want = check_histogram($q);
    if ($q->{spread}) {
        my ($plain) = $corpus->histogram({ %$q, spread => 0 });
        my ($s1, $s2) = (0, 0);
        $s1 += $_->[1] for @$want;
        $s2 += $_->[1] for @$plain;
        ok($s1 > $s2, describe_params($q) . ": spreading adds counts ($s1 > $s2), so the case tests something");
    }
}

# The example of section 6: an event of 2024-03-30..2024-04-02 counts in March
# and in April with spread, in March only without.
{
    my ($e) = rpc('put', { event => { id => 'spread-example', title => 'Spread example', start => '2024-03-30',
                                      end => '2024-04-02', tags => ['exemplum'] } });
    ok(!$e, 'put the spread example of section 6') or diag(to_json($e));
    my ($e1, $r1) = rpc('histogram', { from => '2024-03', to => '2024-04', bucket => 'month', tag => 'exemplum',
                                       spread => JSON::PP::true });
    is_deeply($e1 ? $e1 : $r1, { buckets => [['2024-03', 1], ['2024-04', 1]], total => 1 },
              'spread: the 2024-03-30..2024-04-02 event counts in March and in April, total 1');
    my ($e2, $r2) = rpc('histogram', { from => '2024-03', to => '2024-04', bucket => 'month', tag => 'exemplum' });
    is_deeply($e2 ? $e2 : $r2, { buckets => [['2024-03', 1], ['2024-04', 0]], total => 1 },
              'without spread: in March only, April shown with 0');
    my ($e3, $r3) = rpc('histogram', { from => '2024-04-01', to => '2024-04-30', bucket => 'week', tag => 'exemplum' });
    is_deeply($e3 ? $e3 : $r3->{buckets}, [['2024-04-01', 1], ['2024-04-08', 0], ['2024-04-15', 0], ['2024-04-22', 0],
                                           ['2024-04-29', 0]],
              'an event begun before from is counted in the first bucket (weeks of April 2024 from Monday 1)');
    rpc('delete', { id => 'spread-example' });
}

# Labels, independently of the model: days follow each other, weeks are
# Mondays 7 days apart, months and years follow each other.
{
    my $weekday = sub { my ($s) = @_; my $t = (first_last($s))[0]; return (floor($t / 86400) + 3) % 7 };   # 0 = Monday
    my ($e, $r) = rpc('histogram', { from => '2019-12-25', to => '2021-01-05', bucket => 'week' });
    my @l = map { $_->[0] } @{ ($e ? {} : $r)->{buckets} // [] };
    ok(@l && !grep({ $weekday->($_) != 0 } @l), 'every week bucket is named by a Monday') or diag("@l[0..3]");
    is($l[0], '2019-12-23', 'the first week is the one holding 2019-12-25: Monday 2019-12-23');
    is($l[-1], '2021-01-04', 'the last week is the one holding 2021-01-05: Monday 2021-01-04');
    my $gaps = grep { (first_last($l[$_]))[0] - (first_last($l[$_ - 1]))[0] != 7 * 86400 } 1 .. $#l;
    is(@l > 50 ? $gaps : 'only ' . scalar(@l) . ' buckets', 0, 'weeks follow each other 7 days apart, across the new year');
    ($e, $r) = rpc('histogram', { from => '2023-11-15', to => '2024-02-10', bucket => 'month' });
    is_deeply([map { $_->[0] } @{ ($e ? {} : $r)->{buckets} // [] }], ['2023-11', '2023-12', '2024-01', '2024-02'],
              'months are named YYYY-MM, from the month of from to the month of to');
    ($e, $r) = rpc('histogram', { from => '2024-02-27', to => '2024-03-01', bucket => 'day' });
    is_deeply([map { $_->[0] } @{ ($e ? {} : $r)->{buckets} // [] }], ['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01'],
              'days are named YYYY-MM-DD, 29 February included');
    ($e, $r) = rpc('histogram', { from => '1999-07', to => '2001', bucket => 'year' });
    is_deeply([map { $_->[0] } @{ ($e ? {} : $r)->{buckets} // [] }], ['1999', '2000', '2001'], 'years are named YYYY');
    ($e, $r) = rpc('histogram', { from => '2024-04-08T23:30:00-02:00', to => '2024-04-09T12:00Z', bucket => 'day' });
    is_deeply([map { $_->[0] } @{ ($e ? {} : $r)->{buckets} // [] }], ['2024-04-09'],
              'buckets are in the calendar of UTC (23:30-02:00 is 01:30Z the next day)');
}

# Limits and bad parameters.
{
    my $day0 = (first_last('2000-01-01'))[0];
    my $to10000 = substr(instant($day0 + 9999 * 86400), 0, 10);
    my $to10001 = substr(instant($day0 + 10000 * 86400), 0, 10);
    my ($e, $r) = rpc('histogram', { from => '2000-01-01', to => $to10000, bucket => 'day' });
    is($e ? to_json($e) : scalar @{ $r->{buckets} }, 10000, "2000-01-01 .. $to10000 by day: 10000 buckets are allowed");
    is($e ? to_json($e) : $r->{total}, $corpus->count({ from => '2000-01-01', to => $to10000 }) + 0,
       '... and their total is right');
    ($e) = rpc('histogram', { from => '2000-01-01', to => $to10001, bucket => 'day' });
    is(err_code($e), 'bad_request', "2000-01-01 .. $to10001 by day (10001 buckets): bad_request");
    ($e, $r) = rpc('histogram', { from => '0000', to => '9999', bucket => 'year' });
    is($e ? to_json($e) : scalar @{ $r->{buckets} }, 10000, '0000 .. 9999 by year: 10000 buckets are allowed');
    my @weeks = bucket_labels((first_last('1800-01-01'))[0], (first_last('2000-01-01'))[0], 'week', 10001);
    ($e) = rpc('histogram', { from => '1800-01-01', to => '2000-01-01', bucket => 'week' });
    is(err_code($e), 'bad_request', 'two centuries by week (' . scalar(@weeks) . ' buckets): bad_request');
    ($e) = rpc('histogram', { from => '1000-01', to => '1833-05', bucket => 'month' });
    is(err_code($e), 'bad_request', '1000-01 .. 1833-05 by month (10001 buckets): bad_request');
    ($e, $r) = rpc('histogram', { from => '1000-01', to => '1833-04', bucket => 'month' });
    is($e ? to_json($e) : scalar @{ $r->{buckets} }, 10000, '1000-01 .. 1833-04 by month: 10000 buckets are allowed');

    for my $bad ([{ to => '2024', bucket => 'month' }, 'without from'],
                 [{ from => '2024', bucket => 'month' }, 'without to'],
                 [{ from => '2024', to => '2024' }, 'without bucket'],
                 [{ from => '2024', to => '2024', bucket => 'quarter' }, 'bucket quarter'],
                 [{ from => '2024', to => '2024', bucket => 'Month' }, 'bucket Month'],
                 [{ from => '2024', to => '2024', bucket => 'month', spread => 'yes' }, 'spread as a string'],
                 [{ from => '2025', to => '2024', bucket => 'year' }, 'to before from'],
                 [{ from => '2024', to => '2024', bucket => 'month', mode => 'inside' }, 'an unknown mode'],
                 [{ from => '2024', to => '2024', bucket => 'month', limit => 5 }, 'a limit'],
                 [{ from => '2024', to => '2024', bucket => 'month', participant => '' }, 'an empty participant'],
                 [{ from => '2024-13', to => '2025', bucket => 'month' }, 'from 2024-13']) {
        my ($p, $what) = @$bad;
        my ($be) = rpc('histogram', $p);
        is(err_code($be), 'bad_request', "histogram $what: bad_request");
    }
}

# --- top -------------------------------------------------------------------------------------
sub check_top {
    my ($q) = @_;
    my $label = 'top ' . describe_params($q);
    my ($want, $wtotal) = $corpus->top($q);
    my ($e, $r) = rpc('top', $q);
    if ($e) {
        fail("$label answers") for 1 .. 4;
        diag(to_json($e));
        return;
    }
    is_deeply($r->{top}, $want, "$label: " . scalar(@$want) . ' values and their counts');
    is($r->{total}, $wtotal, "$label: total $wtotal");
    is($r->{total}, server_count($q), "$label: total equals count");
    my @t = @{ $r->{top} // [] };
    my $unsorted = grep { $t[$_ - 1][1] < $t[$_][1]
                          || ($t[$_ - 1][1] == $t[$_][1] && bytewise_cmp($t[$_ - 1][0], $t[$_][0]) >= 0) } 1 .. $#t;
    ok($unsorted == 0 && @t <= ($q->{limit} // 10),
       "$label: sorted by count, then value bytewise, at most limit " . ($q->{limit} // 10));
    return $want;
}

my @top;
for my $field (qw(country kind tag participant place)) {
    push @top, { field => $field }, { field => $field, limit => 1000 }, { field => $field, limit => 3 },
               { field => $field, limit => 1 }, { field => $field, from => '2020', to => '2021', limit => 50 },
               { field => $field, from => '2019-06', to => '2019-06', mode => 'within', limit => 50 };
}
push @top, { field => 'country', kind => 'meeting', from => '2025', to => '2025', limit => 1000 },
           { field => 'participant', place => 'Genève', limit => 100 },
           { field => 'participant', q => '"pax romana"', limit => 100 },
           { field => 'place', participant => 'Cicero', limit => 100 },
           { field => 'tag', parent => $umbrellas[1], limit => 100 },
           { field => 'kind', country => ['MA', 'NO'], tag => 'pax' },
           { field => 'country', country => 'MA', limit => 100 },
           { field => 'participant', participant => 'Marcus', limit => 100 },
           { field => 'country', country => 'US' };
srand(6502);
for (1 .. 15) {
    my %q = (field => pick(qw(country kind tag participant place)), limit => pick(1, 2, 5, 10, 1000));
    my $y = 2016 + int rand 9;
    %q = (%q, from => "$y", to => sprintf('%04d', $y + int rand 2)) if rand() < 0.6;
    my $f = pick(qw(kind country tag participant place parent q));
    $q{kind} = pick(@Annals::Brute::KINDS) if $f eq 'kind';
    $q{country} = pick(@Annals::Brute::COUNTRIES) if $f eq 'country';
    $q{tag} = [(shuffle_list(@Annals::Brute::TAGS))[0 .. 1]] if $f eq 'tag';
    $q{participant} = pick('Cicero', 'Pompey', 'Cornelia', 'Ménard') if $f eq 'participant';
    $q{place} = pick('ch', 'Roma', 'Tingis') if $f eq 'place';
    $q{parent} = pick(@umbrellas) if $f eq 'parent';
    $q{q} = pick('concordia', 'bellum', '"mare nostrum"') if $f eq 'q';
    push @top, \%q;
}
my $ties = 0;
for my $q (@top) {
    my $want = check_top($q);
    $ties += grep { $want->[$_ - 1][1] == $want->[$_][1] } 1 .. $#{ $want // [] };
}
ok($ties >= 5, "$ties ties in count were broken by value, so the order of values is tested");

# Grouping participants and places, checked against a plain scan of the
# events in date order, independently of the model's top.
{
    my @asc = map { $corpus->get($_) } $corpus->select({});
    for my $g (['participant', 'Marcus Tullius Cicero'], ['participant', 'Zoë Ménard'],
               ['participant', 'Hélène Dubois'], ['place', 'Genève'], ['place', 'Roma']) {
        my ($field, $name) = @$g;
        my $key = join ' ', norm_words($name);
        my ($first, %spellings, $n);
        for my $e (@asc) {
            my @vals = $field eq 'participant'
                ? map { $_->{name} } grep { defined $_->{name} } @{ $e->{participants} // [] }
                : grep { defined } (($e->{place} // {})->{city} // ($e->{place} // {})->{name});
            my @mine = grep { join(' ', norm_words($_)) eq $key } @vals;
            next unless @mine;
            $first //= $mine[0];
            $spellings{$_}++ for @mine;
            $n++;
        }
        ok(keys %spellings > 1, "$name is spelled " . join(', ', sort keys %spellings) . ' in the events');
        my ($e, $r) = rpc('top', { field => $field, limit => 1000 });
        my ($entry) = grep { join(' ', norm_words($_->[0])) eq $key } @{ ($e ? {} : $r)->{top} // [] };
        is_deeply($entry, [$first, $n], "top $field: the spellings of $name are one value, shown as the first event "
                  . "in date order spells it ($first), counted $n times");
    }
}

# An event counts once for each distinct value it has.
{
    my ($e) = rpc('put_many', { events => [
        { id => 'top-one', title => 'Unus', start => '1901', countries => ['MA', 'NO'], tags => ['exemplum'],
          participants => [{ name => 'Cicero Unus' }, { role => 'senator' }],
          place => { name => 'Villa Unius', country => 'IT' } },
        { id => 'top-two', title => 'Duo', start => '1901-06', countries => ['NO'], tags => ['exemplum'],
          participants => [{ name => 'CICERO UNUS' }, { name => 'cicero unus', role => 'consul' }], place => { city => 'Villa', name => 'Unius', country => 'IT' } },
    ] });
    ok(!$e, 'put two events with repeated participants') or diag(to_json($e));
    my ($e1, $r1) = rpc('top', { field => 'country', tag => 'exemplum' });
    is_deeply($e1 ? $e1 : $r1, { top => [['NO', 2], ['MA', 1]], total => 2 }, 'top country: NO 2, MA 1, total 2');
    my ($e2, $r2) = rpc('top', { field => 'participant', tag => 'exemplum' });
    is_deeply($e2 ? $e2 : $r2, { top => [['Cicero Unus', 2]], total => 2 },
              'top participant: two spellings in one event count once; role-only participants are not counted');
    my ($e3, $r3) = rpc('top', { field => 'place', tag => 'exemplum' });
    is_deeply($e3 ? $e3 : $r3, { top => [['Villa', 1], ['Villa Unius', 1]], total => 2 },
              'top place: the city, or the name when there is no city');
    rpc('delete', { id => $_ }) for qw(top-one top-two);
}

# Bad parameters.
for my $bad ([{}, 'without field'], [{ field => 'city' }, 'field city'], [{ field => 'Country' }, 'field Country'],
             [{ field => 'country', limit => 0 }, 'limit 0'], [{ field => 'country', limit => 1001 }, 'limit 1001'],
             [{ field => 'country', limit => '5' }, 'limit as a string'],
             [{ field => ['country', 'tag'] }, 'two fields'], [{ field => 'tag', bucket => 'month' }, 'a bucket'],
             [{ field => 'tag', from => '2025', to => '2024' }, 'to before from'],
             [{ field => 'tag', q => '' }, 'an empty q']) {
    my ($p, $what) = @$bad;
    my ($e) = rpc('top', $p);
    is(err_code($e), 'bad_request', "top $what: bad_request");
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
