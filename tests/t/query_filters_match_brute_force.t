#!/usr/bin/perl
# range and count with every filter of PROTOCOL.md section 6 (kind, country,
# tag, participant, place, parent, q), alone and combined, with any-of lists,
# over windows of many sizes in overlap and within mode, answer exactly what
# a brute-force evaluation of the rules over the events put answers: the
# same events, in the order of their earliest start and then of first write,
# with the same certainty, over every page (small limits, asc and desc, no
# duplicate, no gap), and count agrees. ~2000 seeded events carry every date
# precision, qualifiers, spans from a minute to years, participants with
# aliases, places, parents and Latin text with capitals and accents.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::Dates qw(parse_date first_last);
use Annals::Brute qw(gen_events range_all describe_params pick shuffle_list doc);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $events = gen_events(n => 1600, seed => 20251124);
my $corpus = Annals::Brute::Corpus->new($events);
my %by_id = map { ($_->{id} => $_) } @$events;

# --- the data covers what the filters read ---------------------------------------------
{
    my %prec;
    for my $e (@$events) {
        for my $s (grep { defined } $e->{start}, $e->{end}) {
            my $p = parse_date($s);
            $prec{ $p->{prec} . ($p->{q} ne '' ? ' qualified' : '') }++;
        }
    }
    ok($prec{$_}, "the events have dates of precision $_") for
        'year', 'month', 'day', 'minute', 'second', 'year qualified', 'month qualified', 'day qualified';
    my @ordered = sort { $a cmp $b } map { $_->{id} } @$events;
    ok(join(',', @ordered) ne join(',', map { $_->{id} } @$events),
       'ids are not in the order of insertion, so the tie-break by first write is visible');
    my %starts;
    $starts{ doc($_)->{bounds}{start}[0] }++ for @$events;
    my $tied = grep { $_ > 1 } values %starts;
    ok($tied >= 20, "$tied earliest starts are shared by several events");
    ok((grep { $_->{parent} } @$events) > 300, 'many events have a parent');
    ok((grep { grep { $_->{aliases} } @{ $_->{participants} // [] } } @$events) > 250,
       'many participants have aliases');
}

my $d = start_daemon();
{
    my ($e, $r) = rpc('put_many', { events => $events });
    ok(!$e, 'put_many of ' . scalar(@$events) . ' events in one call') or diag(to_json($e));
    is_deeply($r->{ids}, [map { $_->{id} } @$events], '... which keeps the ids given');
}

my $call = sub { rpc(@_) };
my ($nonempty, $checked) = (0, 0);

# check(\%params, $label): count, then every page of range, against the
# brute force: ids in order, certainty, page invariants.
sub check {
    my ($q, $label) = @_;
    $label //= describe_params($q);
    my @want = $corpus->select($q);
    my %cq = %$q;
    delete @cq{qw(limit order cursor)};
    my ($ce, $cr) = rpc('count', \%cq);
    is($ce ? 'error ' . to_json($ce) : $cr->{count}, scalar @want, "count $label: " . scalar @want);
    my $res = range_all($call, $q);
    if ($res->{error}) {
        fail("range $label answers") for 1 .. 3;
        diag(to_json($res->{error}));
        return;
    }
    my @got = map { $_->{id} } @{ $res->{events} };
    is_deeply(\@got, \@want, "range $label: the same events in the same order");
    my %cert = map { ($_->{id} => $_->{certainty}) } @{ $res->{events} };
    is_deeply(\%cert, $corpus->certainty($q, @got), "range $label: certainty of each event");
    is($res->{bad}, 0, "range $label: no page over limit, no empty page with a next ($res->{pages} pages)");
    $checked++;
    $nonempty++ if @want && @want < @$events;
    return scalar @want;
}

# --- each field alone -------------------------------------------------------------------
my @umbrellas = map { $_->{id} } grep { $_->{id} =~ /^u-/ } @$events;
my @single = (
    (map { { kind => $_ } } @Annals::Brute::KINDS),
    { kind => ['visit', 'agreement'] },
    (map { { country => $_ } } @Annals::Brute::COUNTRIES),
    { country => ['NO', 'IT', 'DE'] },
    (map { { tag => $_ } } @Annals::Brute::TAGS),
    { tag => ['pax', 'iter'] },
    (map { { participant => $_ } }
        'Cicero', 'Tullius Cicero', 'marcus tullius cicero', 'MARCUS TULLIUS CICERO', 'Marcus Cicero',
        'Tully', 'Pompey', 'Magnus', 'Julius Caesar', 'Iulius', 'caesar', 'Zoe Menard', 'zoë', 'MÉNARD',
        'Helene', 'Hélène Dubois', 'Livy', 'Vergil', 'Sulla Felix', 'Felix Sulla', 'Cornelia', 'Cornelius',
        'Mark Antony', 'Marcus', 'Catō', 'cato', 'consul', 'Maro.'),
    { participant => ['Cicero', 'Pompey'] },
    { participant => ['Zoe Menard', 'Livy', 'Sulla'] },
    (map { { place => $_ } }
        'Genève', 'geneve', 'GENEVE', 'ch', 'CH', 'Fr', 'ma', 'Roma', 'Nova', 'Carthago Nova', 'nova carthago',
        'Palais des Nations', 'des nations', 'Forum', 'Forum Romanum', 'Romanum Forum', 'Massilia', 'Portus',
        'Tingis', 'Trium Galliarum'),
    { place => ['Tingis', 'it'] },
    { place => ['Massilia', 'Lugdunum', 'Genève'] },
    (map { { parent => $_ } } @umbrellas, 'u-ghost-of-an-umbrella'),
    { parent => [@umbrellas[0, 1]] },
    (map { { q => $_ } }
        'pax', 'Concordia', 'SENATUS', 'geneve', 'GENÈVE', 'Genève', 'strasse', 'Straße', 'aesculapius',
        'Æsculapius', 'café', 'CAFE', 'naive', 'roma', 'cicero', 'consul', 'nations', 'legatio', 'publica',
        'pax romana', '"pax romana"', '"romana pax"', '"Res Publica"', '"mare nostrum" via', '"tribunus plebis"',
        '"palais des nations"', '"forum romanum"', 'pax "mare nostrum', '"concordia"', 'foedus ""',
        'senatus populus romanus', 'lex iulia magna', '"via appia" "lex iulia"', 'Tullius-Cicero',
        '"legatus pro praetore"', '"pro legatus"'),
);
check($_) for @single;

# --- combinations, windows and modes, drawn at random (seeded) -------------------------
srand(424242);

sub rand_window {
    my $r = rand;
    my $y = 2016 + int rand 10;
    my $m = 1 + int rand 12;
    my $day = 1 + int rand 28;
    return () if $r < 0.15;
    return (from => "$y", to => "$y") if $r < 0.25;
    return (from => "$y", to => sprintf('%04d', $y + 1 + int rand 4)) if $r < 0.32;
    return (from => sprintf('%04d-%02d', $y, $m), to => sprintf('%04d-%02d', $y, $m)) if $r < 0.42;
    return (from => sprintf('%04d-%02d-%02d', $y, $m, $day), to => sprintf('%04d-%02d-%02d', $y, $m, $day)) if $r < 0.5;
    return (from => sprintf('%04d-%02d-%02d', $y, $m, $day),
            to => sprintf('%04d-%02d-%02d', $y + int rand 2, $m, 28)) if $r < 0.6;
    return (from => sprintf('%04d-%02d-%02dT%02d:%02dZ', $y, $m, $day, int rand 24, int rand 60),
            to => sprintf('%04d-%02d-%02dT23:59:59Z', $y, $m, $day)) if $r < 0.66;
    return (from => sprintf('%04d-%02d-%02dT%02d:00+02:00', $y, $m, $day, 2 + int rand 20),
            to => sprintf('%04d-%02d', $y, $m + ($m < 12))) if $r < 0.72;
    return (from => "$y") if $r < 0.8;
    return (to => sprintf('%04d-%02d', $y, $m)) if $r < 0.88;
    return (from => "$y~", to => sprintf('%04d?', $y + 2)) if $r < 0.94;
    return (from => sprintf('%04d-%02d%%', $y, $m), to => sprintf('%04d-%02d', $y + 1, $m));
}

my %field_values = (
    kind => sub { rand() < 0.7 ? pick(@Annals::Brute::KINDS) : [(shuffle_list(@Annals::Brute::KINDS))[0 .. 1 + int rand 2]] },
    country => sub { rand() < 0.6 ? pick(@Annals::Brute::COUNTRIES, 'US')
                                  : [(shuffle_list(@Annals::Brute::COUNTRIES))[0 .. 1 + int rand 2]] },
    tag => sub { rand() < 0.6 ? pick(@Annals::Brute::TAGS) : [(shuffle_list(@Annals::Brute::TAGS))[0 .. 1 + int rand 2]] },
    participant => sub {
        my @v = ('Cicero', 'Tullius Cicero', 'Pompey', 'Caesar', 'Zoe Menard', 'Ménard', 'Livy', 'Sulla',
                 'Cornelia Africana', 'Marcus', 'Antonius', 'HELENE DUBOIS', 'Vergil', 'Maro');
        rand() < 0.7 ? pick(@v) : [(shuffle_list(@v))[0 .. 1 + int rand 2]];
    },
    place => sub {
        my @v = ('Genève', 'geneve', 'ch', 'fr', 'IT', 'Roma', 'Nova', 'Carthago Nova', 'Palais des Nations',
                 'Forum', 'Massilia', 'Tingis', 'Lugdunum', 'ma');
        rand() < 0.7 ? pick(@v) : [(shuffle_list(@v))[0 .. 1 + int rand 2]];
    },
    parent => sub { rand() < 0.7 ? pick(@umbrellas) : [(shuffle_list(@umbrellas))[0 .. 1]] },
    q => sub {
        my $r = rand;
        return pick(@Annals::Brute::WORDS, @Annals::Brute::SPECIAL_WORDS) if $r < 0.4;
        return join ' ', map { pick(@Annals::Brute::WORDS) } 1 .. 2 if $r < 0.6;
        my $b = pick(@Annals::Brute::BIGRAMS);
        return '"' . join(' ', rand() < 0.5 ? @$b : reverse @$b) . '"' if $r < 0.85;
        return '"' . join(' ', map { ucfirst } @$b) . '" ' . pick(@Annals::Brute::WORDS);
    },
);
my @fields = sort keys %field_values;

for my $i (1 .. 110) {
    my %q = rand_window();
    %q = rand_window() while $i <= 10 && !%q;    # windows alone must cut
    $q{mode} = 'within' if rand() < 0.3;
    $q{mode} = 'overlap' if !$q{mode} && rand() < 0.2;
    my $nf = $i <= 10 ? 0 : 1 + int rand 3;
    for my $f ((shuffle_list(@fields))[0 .. $nf - 1]) {
        $q{$f} = $field_values{$f}->();
    }
    $q{order} = 'desc' if rand() < 0.3;
    my $n = $corpus->count(\%q);
    $q{limit} = $n > 300 ? 10000 : pick(10000, 1000, 50, 7, 3);
    check(\%q);
}

# --- paging: small limits, asc and desc ----------------------------------------------------
for my $q ({ limit => 1, parent => $umbrellas[0] },
           { limit => 2, participant => 'Cicero', from => '2019', to => '2022' },
           { limit => 3, order => 'desc', place => 'Genève' },
           { limit => 5, order => 'desc', q => 'pax', mode => 'within', from => '2016' },
           { limit => 7, country => 'MA', tag => ['pax', 'bellum'] },
           { limit => 11, order => 'asc', kind => 'meeting', to => '2020-06' },
           { limit => 4, q => '"pax romana"', order => 'desc' },
           { limit => 1, order => 'desc', from => '2021-03', to => '2021-03', participant => 'Pompey' },
           { limit => 97, order => 'desc' },
           { limit => 250 }) {
    my @want = $corpus->select($q);
    ok(@want > $q->{limit}, describe_params($q) . ': ' . scalar(@want) . ' events need several pages');
    check($q, 'paged ' . describe_params($q));
}

# --- values that nothing has ---------------------------------------------------------------
for my $q ({ country => 'US' }, { tag => 'nihil' }, { participant => 'Nemo' }, { participant => 'Cicero Tullius' },
           { place => 'Atlantis' }, { place => 'US' }, { parent => 'no-such-parent' }, { q => 'xyzzy' },
           { q => '"cicero pax"' }, { q => '"consul genève"' }, { kind => 'visit', country => 'US' }, { q => 'pax', participant => 'Nemo' },
           { from => '1800', to => '1801' }) {
    is(scalar($corpus->select($q)), 0, 'model: ' . describe_params($q) . ' matches nothing');
    my ($e, $r) = rpc('range', $q);
    is_deeply($e ? $e : $r->{events}, [], 'range ' . describe_params($q) . ': no event');
    ok(!$e && !defined $r->{next}, '... and next is nil');
    my ($ce, $cr) = rpc('count', $q);
    is($ce ? to_json($ce) : $cr->{count}, 0, 'count ' . describe_params($q) . ': 0');
}

# --- an empty array or nil is no filter -------------------------------------------------------
{
    my $all = scalar @$events;
    for my $q ({ kind => [] }, { participant => undef }, { q => undef, place => [], parent => undef, tag => [] }) {
        my ($ce, $cr) = rpc('count', $q);
        is($ce ? to_json($ce) : $cr->{count}, $all, 'count ' . describe_params($q) . ': every event');
    }
    my @want = $corpus->select({ country => 'MA' });
    my ($e, $r) = rpc('range', { country => 'MA', kind => [], place => undef, limit => 10000 });
    is_deeply($e ? $e : [map { $_->{id} } @{ $r->{events} }], \@want, 'range country=MA kind=[] place=nil is range country=MA');
}

# --- invalid filter values ---------------------------------------------------------------------
{
    my @bad = (
        [{ kind => 'Visit' }, 'kind not a lowercase token'],
        [{ country => 'MAR' }, 'country of three letters'],
        [{ country => '1A' }, 'country with a digit'],
        [{ tag => 'Not A Tag' }, 'tag with spaces and capitals'],
        [{ participant => '' }, 'an empty participant'],
        [{ participant => '--' }, 'a participant without a word'],
        [{ participant => 'x' x 257 }, 'a participant of 257 bytes'],
        [{ participant => 'é' x 129 }, 'a participant of 258 bytes (129 two-byte letters)'],
        [{ place => '' }, 'an empty place'],
        [{ place => ' . , ' }, 'a place without a word'],
        [{ place => 'y' x 257 }, 'a place of 257 bytes'],
        [{ q => '' }, 'an empty q'],
        [{ q => ['pax', 'bellum'] }, 'q as an array'],
        [{ q => join ' ', ('pax') x 33 }, 'q of 33 words'],
        [{ kind => [('visit') x 65] }, 'kind with 65 values'],
        [{ participant => [('Cicero') x 65] }, 'participant with 65 values'],
        [{ parent => 5 }, 'parent as a number'],
        [{ participant => { name => 'Cicero' } }, 'participant as a map'],
    );
    for my $b (@bad) {
        my ($p, $what) = @$b;
        for my $m (qw(range count)) {
            my ($e) = rpc($m, $p);
            is(ref $e eq 'ARRAY' ? $e->[0] : to_json($e), 'bad_request', "$m with $what: bad_request");
        }
    }
    for my $ok ([{ participant => 'x' x 256 }, 'a participant of 256 bytes'],
                [{ place => 'y' x 256 }, 'a place of 256 bytes'],
                [{ kind => [('visit') x 64] }, 'kind with 64 values'],
                [{ q => join ' ', ('pax') x 32 }, 'q of 32 words']) {
        my ($p, $what) = @$ok;
        my ($e, $r) = rpc('count', $p);
        is($e ? to_json($e) : $r->{count}, $corpus->count($p), "count with $what is accepted and right");
    }
}

ok($nonempty >= 0.7 * $checked, "most queries select some but not all events ($nonempty of $checked)");

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
