#!/usr/bin/perl
# range and count select events by the date rules of PROTOCOL.md section 5:
# precision is kept, date-times are normalised to UTC, a window is overlapped
# by what may meet it and contains what certainly lies inside it, certainty
# says which, results are ordered by earliest possible start then by the
# order in which the ids were first written, the
# kind/country/tag filters combine as documented, and cursor paging neither
# repeats nor skips. Expectations are computed from the events put in with
# an independent model of the rules (Annals::Dates).
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::Dates qw(canonical event_bounds window overlaps within certain instant first_last);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

# The section 5 examples table, checked against the model first so that the
# model the rest of this file relies on is the one PROTOCOL.md describes.
my @table = (
    # start, end, from, to, overlap, certainty, within
    ['2024-04', undef, '2024-04-10', '2024-04-20', 1, 'possible', 0],
    ['2024-04', undef, '2024-04-01', '2024-04-30', 1, 'certain', 1],
    ['2025-11-24', '2025-11-27', '2025-11-25', '2025-11-25', 1, 'certain', 0],
    ['2020~', undef, '2019', '2019', 1, 'possible', 0],
    ['2020~', undef, '2024', '2024', 0, undef, 0],
);
for my $row (@table) {
    my ($s, $e, $f, $t, $ov, $cert, $wi) = @$row;
    my $b = event_bounds($s, $e);
    my $w = window($f, $t);
    is(overlaps($b, $w), $ov, "model: $s vs $f..$t overlap");
    is(within($b, $w), $wi, "model: $s vs $f..$t within");
    is(certain($b, $w) ? 'certain' : 'possible', $cert, "model: $s vs $f..$t certainty") if $ov;
}

my $d = start_daemon();

# --- the events -------------------------------------------------------------------
my @events;
my $n = 0;
sub ev {
    my (%e) = @_;
    $e{id} //= sprintf 'ev%02d', ++$n;
    $e{title} //= "event $e{id} ($e{start})";
    push @events, \%e;
}
ev(start => '2024', kind => 'meeting', countries => ['ES'], tags => ['a']);
ev(start => '2024-04', kind => 'visit', countries => ['MA'], tags => ['b']);
ev(start => '2024-04-08', kind => 'visit', countries => ['MA', 'ES'], tags => ['a', 'b']);
ev(start => '2024-04?', kind => 'agreement', countries => ['FR'], tags => ['c']);
ev(start => '2020~', kind => 'other', countries => ['MA'], tags => ['a']);
ev(start => '2019%', kind => 'meeting', countries => ['DZ']);
ev(start => '2025-11-24', end => '2025-11-27', kind => 'conference', countries => ['MA'], tags => ['interpol']);
ev(start => '2023-12', end => '2024-02-15', kind => 'meeting', countries => ['ES', 'FR'], tags => ['c']);
ev(start => '2024-04-08T10:30+02:00', kind => 'visit', countries => ['ES']);
ev(start => '2024-04-08T23:30:00-02:00', kind => 'meeting', countries => ['MA'], tags => ['b']);
ev(start => '2024-04-08T10:30:15+0530', kind => 'meeting', tags => ['a']);
ev(start => '2024-04-08T10:30:15+05', end => '2024-04-10', kind => 'meeting');
ev(start => '2024-12-31T23:59:59Z', countries => ['ES']);    # kind: the default, other
ev(start => '2025-01-01T01:00+02:00', end => '2025-01-01T03:00+02:00', kind => 'visit', tags => ['c']);   # 2024 in UTC
ev(start => '2025-01-01T00:00:00Z', kind => 'other', countries => ['ES']);
ev(start => '2024-02-29', kind => 'visit', countries => ['DZ', 'MA']);
ev(start => '1999-12-31', end => '2000-01-01', kind => 'agreement', countries => ['MA']);
ev(start => '2024-04-30', end => '2024-05', kind => 'visit', countries => ['MA']);
ev(start => '2024-03~', end => '2024-04-02', kind => 'meeting', countries => ['FR']);
# Equal earliest starts: the order falls back to the order of first write,
# which here is not the order of the ids.
ev(id => 'tie-z', start => '2022-06', kind => 'visit', countries => ['ES']);
ev(id => 'tie-a', start => '2022-06-01', end => '2022-06-03', kind => 'visit', countries => ['ES']);
ev(id => 'tie-m', start => '2022-06', kind => 'meeting', countries => ['MA']);

my ($err, $res) = rpc('put_many', { events => \@events });
ok(!$err, 'put_many of ' . scalar(@events) . ' events') or diag(to_json($err));

my %by_id = map { ($_->{id} => $_) } @events;
my %written = map { ($events[$_]{id} => $_) } 0 .. $#events;    # one put_many: first-write order
my %bounds = map { ($_->{id} => event_bounds($_->{start}, $_->{end})) } @events;

# --- precision and canonical form ----------------------------------------------------
for my $e (@events) {
    my ($gerr, $gres) = rpc('get', { id => $e->{id} });
    my $g = $gres->{event} // {};
    is($g->{start}, canonical($e->{start}), "$e->{id}: start $e->{start} comes back as " . canonical($e->{start}));
    if (defined $e->{end}) {
        is($g->{end}, canonical($e->{end}), "$e->{id}: end $e->{end} comes back as " . canonical($e->{end}));
    }
    my $b = $bounds{$e->{id}};
    is_deeply($g->{bounds}, { start => [map { instant($_) } @{ $b->{start} }],
                              end => [map { instant($_) } @{ $b->{end} }] },
              "$e->{id}: bounds of $e->{start}" . (defined $e->{end} ? "..$e->{end}" : ''));
}

# --- windows and modes ------------------------------------------------------------------
sub sort_ids {
    my ($order, @ids) = @_;
    my @s = sort { $bounds{$a}{start}[0] <=> $bounds{$b}{start}[0] || $written{$a} <=> $written{$b} } @ids;
    return $order eq 'desc' ? reverse @s : @s;
}

sub expected {
    my (%q) = @_;
    my $w = window($q{from}, $q{to});
    my $mode = $q{mode} // 'overlap';
    my @ids;
  EVENT: for my $e (@events) {
        my $b = $bounds{$e->{id}};
        next unless $mode eq 'within' ? within($b, $w) : overlaps($b, $w);
        for my $f ([kind => [$e->{kind} // 'other']], [country => $e->{countries} // []],
                   [tag => $e->{tags} // []]) {
            my ($name, $have) = @$f;
            next unless defined $q{$name};
            my @want = ref $q{$name} ? @{ $q{$name} } : ($q{$name});
            my %h = map { ($_ => 1) } @$have;
            next EVENT unless grep { $h{$_} } @want;
        }
        push @ids, $e->{id};
    }
    @ids = sort_ids($q{order} // 'asc', @ids);
    my %cert = map { ($_ => certain($bounds{$_}, $w) ? 'certain' : 'possible') } @ids;
    return (\@ids, \%cert);
}

sub describe_q { my %q = @_; return join ' ', map { "$_=" . (ref $q{$_} ? join('|', @{ $q{$_} }) : $q{$_}) } sort keys %q }

my @windows = (
    [undef, undef], ['2024', '2024'], ['2024-04', '2024-04'], ['2024-04-10', '2024-04-20'],
    ['2024-04-01', '2024-04-30'], ['2025-11-25', '2025-11-25'], ['2019', '2019'],
    ['2024-04-08', '2024-04-08'], ['2024-04-09', '2024-04-09'], [undef, '2020'], ['2024-04-09', undef],
    ['2024-04-08T08:30Z', '2024-04-08T08:30Z'], ['2024-04-08T10:30:00+02:00', '2024-04-08T10:30:00+02:00'],
    ['2024-12-31T23:59:59Z', '2024-12-31T23:59:59Z'], ['2025', '2025'], ['2000', '2000'],
    ['2022-06-02', '2022-06-02'], ['2024-03', '2024-05'], ['2024-05', '2024-05'], ['1990', '2030'],
);
my $nonempty = 0;
for my $win (@windows) {
    for my $mode (undef, 'overlap', 'within') {
        my %q;
        $q{from} = $win->[0] if defined $win->[0];
        $q{to} = $win->[1] if defined $win->[1];
        $q{mode} = $mode if defined $mode;
        my ($ids, $cert) = expected(%q);
        $nonempty++ if @$ids && @$ids < @events;
        my ($e, $r) = rpc('range', { %q, limit => 10000 });
        my $label = describe_q(%q) || 'open window';
        ok(!$e, "range $label answers") or diag(to_json($e)), next;
        my @got = map { $_->{id} } @{ $r->{events} };
        is_deeply(\@got, $ids, "range $label: the events that "
                  . (($mode // '') eq 'within' ? 'lie within' : 'may overlap') . ', by earliest start then first write');
        my %gotc = map { ($_->{id} => $_->{certainty}) } @{ $r->{events} };
        is_deeply({ map { ($_ => $gotc{$_}) } @$ids }, $cert, "range $label: certainty of each event");
        ok(!defined $r->{next}, "range $label: next is nil when everything fit");
        my @no_server_fields = grep { !defined $_->{seq} || !defined $_->{created} || !defined $_->{updated}
                                      || ref $_->{bounds} ne 'HASH' } @{ $r->{events} };
        is(scalar @no_server_fields, 0, "range $label: every event carries seq, created, updated and bounds");
        my ($ce, $cr) = rpc('count', \%q);
        is($cr->{count}, scalar @$ids, "count $label agrees with range") or diag(to_json($ce));
    }
}

ok($nonempty >= 40, "most windows select some but not all events ($nonempty)");

# The table of section 5, once more, on the server.
{
    my ($e, $r) = rpc('range', { from => '2024-04-10', to => '2024-04-20', limit => 10000 });
    my ($m) = grep { $_->{id} eq 'ev02' } @{ $r->{events} };
    is($m && $m->{certainty}, 'possible', '2024-04 overlaps 2024-04-10..20 as possible');
    ($e, $r) = rpc('range', { from => '2024-04-10', to => '2024-04-20', mode => 'within', limit => 10000 });
    ok(!grep({ $_->{id} eq 'ev02' } @{ $r->{events} }), '... and is not within it');
    ($e, $r) = rpc('range', { from => '2024-04-01', to => '2024-04-30', mode => 'within', limit => 10000 });
    ($m) = grep { $_->{id} eq 'ev02' } @{ $r->{events} };
    is($m && $m->{certainty}, 'certain', '2024-04 is within 2024-04-01..30, certainly');
    ok(!grep({ $_->{certainty} ne 'certain' } @{ $r->{events} }), 'every event returned in within mode is certain');
    ($e, $r) = rpc('range', { from => '2024', to => '2024', limit => 10000 });
    ok(!grep({ $_->{id} eq 'ev05' } @{ $r->{events} }), '2020~ does not overlap 2024');
    ($e, $r) = rpc('range', { from => '2019', to => '2019', limit => 10000 });
    ($m) = grep { $_->{id} eq 'ev05' } @{ $r->{events} };
    is($m && $m->{certainty}, 'possible', '2020~ overlaps 2019 as possible');
}

# --- order ----------------------------------------------------------------------------
{
    my ($e, $asc) = rpc('range', { limit => 10000, order => 'asc' });
    my ($e2, $desc) = rpc('range', { limit => 10000, order => 'desc' });
    is_deeply([map { $_->{id} } @{ $desc->{events} }], [reverse map { $_->{id} } @{ $asc->{events} }],
              'order desc is the reverse of order asc');
    my @ties = grep { /^tie-/ } map { $_->{id} } @{ $asc->{events} };
    is_deeply(\@ties, ['tie-z', 'tie-a', 'tie-m'], 'equal earliest starts are in the order they were first written, not by id');
}

# --- filters -----------------------------------------------------------------------------
my @filters = (
    { kind => 'visit' }, { kind => ['visit', 'meeting'] }, { kind => 'conference' }, { kind => 'other' },
    { country => 'ES' }, { country => ['DZ', 'FR'] }, { country => 'US' },
    { tag => 'a' }, { tag => ['b', 'c'] }, { tag => 'interpol' },
    { kind => 'visit', country => 'MA' }, { kind => ['visit', 'meeting'], country => ['ES', 'FR'], tag => ['a', 'c'] },
    { from => '2024', to => '2024', country => 'ES' }, { from => '2024-04', to => '2024-04', mode => 'within', kind => 'meeting' },
);
for my $f (@filters) {
    my ($ids) = expected(%$f);
    my ($e, $r) = rpc('range', { %$f, limit => 10000 });
    ok(!$e, 'range ' . describe_q(%$f) . ' answers') or diag(to_json($e)), next;
    is_deeply([map { $_->{id} } @{ $r->{events} }], $ids, 'range ' . describe_q(%$f));
    my ($ce, $cr) = rpc('count', $f);
    is($cr->{count}, scalar @$ids, 'count ' . describe_q(%$f));
}

# --- the client prints what range returns ------------------------------------------------
{
    my ($ids) = expected(from => '2024', to => '2024', country => ['ES', 'FR']);
    my $r = client('range', '2024', '2024', '--country', 'ES', '--country', 'FR');
    is($r->exit, 0, 'annals range 2024 2024 --country ES --country FR exits 0') or diag($r->describe);
    is_deeply([map { $_->{id} } $r->json_lines], $ids, '... and prints the expected events as JSON lines');
    ok(!grep({ !defined $_->{certainty} } $r->json_lines), '... each with certainty');
    $r = client('count', '2024', '2024', '--country', 'ES', '--country', 'FR');
    is(($r->json // {})->{count}, scalar @$ids, 'annals count gives the same number');
    ($ids) = expected(from => '2024-04', mode => 'within', kind => 'visit', order => 'desc');
    $r = client('range', '2024-04', '--mode', 'within', '--kind', 'visit', '--order', 'desc');
    is_deeply([map { $_->{id} } $r->json_lines], $ids, 'annals range FROM --mode within --kind visit --order desc');
    $r = client('range', '--limit', '3');
    ($ids) = expected();
    is_deeply([map { $_->{id} } $r->json_lines], [@$ids[0 .. 2]], 'annals range --limit 3 prints the first three');
}

# --- paging -------------------------------------------------------------------------------
sub page_all {
    my (%q) = @_;
    my (@ids, $cursor, $pages, $over);
    $over = 0;
    while (1) {
        my ($e, $r) = rpc('range', { %q, defined $cursor ? (cursor => $cursor) : () });
        if ($e) { diag('paging: ' . to_json($e)); last }
        $over++ if @{ $r->{events} } > $q{limit};
        push @ids, map { $_->{id} } @{ $r->{events} };
        last if ++$pages > 1000;
        last unless defined $r->{next};
        $over++ if ref $r->{next} || $r->{next} eq '';   # next must be a string
        $over++ if !@{ $r->{events} };                    # and its page not empty
        $cursor = $r->{next};
    }
    return (\@ids, $over, $pages);
}
for my $q ({ limit => 1 }, { limit => 2 }, { limit => 3, order => 'desc' }, { limit => 4, from => '2024', to => '2024' },
           { limit => 1, from => '2022-06', to => '2022-06' }, { limit => 2, country => ['MA', 'ES'] },
           { limit => 5, mode => 'within', from => '2024-04' }) {
    my ($want) = expected(%$q);
    my ($ids, $over, $pages) = page_all(%$q);
    is_deeply($ids, $want, 'paging ' . describe_q(%$q) . ': the pages together equal one big page');
    is($over, 0, '... no page holds more than limit, none is empty, and next is a string until the end');
}
{
    my ($all) = expected();
    my $n = @$all;
    my ($e, $r) = rpc('range', { limit => $n });
    is(scalar @{ $r->{events} }, $n, "a page with limit = the number of events ($n) holds them all");
    ok(!defined $r->{next}, '... and next is nil, since there are no more events')
        or diag('next: ' . to_json($r->{next}));
}
# Events added between pages do not disturb the ones that existed throughout.
{
    my ($want) = expected();
    my (%seen, $cursor, $dups, $k);
    $dups = 0;
    while (1) {
        my ($e, $r) = rpc('range', { limit => 2, defined $cursor ? (cursor => $cursor) : () });
        last if $e;
        $seen{$_->{id}}++ and $dups++ for @{ $r->{events} };
        my $new = { id => sprintf('late%02d', ++$k), title => 'added while paging',
                    start => ($k % 2 ? '1990' : '2030') };
        rpc('put', { event => $new });
        last unless defined $r->{next};
        $cursor = $r->{next};
        last if $k > 100;
    }
    is($dups, 0, 'paging while others write: no event comes twice');
    is_deeply([grep { !$seen{$_} } @$want], [], '... and none of the events that existed throughout is skipped');
}

# --- bad queries ---------------------------------------------------------------------------
for my $bad ([{ limit => 0 }, 'limit 0'], [{ limit => 10001 }, 'limit 10001'],
             [{ mode => 'around' }, 'an unknown mode'], [{ order => 'up' }, 'an unknown order'],
             [{ from => '2025', to => '2024' }, 'to before from'], [{ from => '2024-13' }, 'from 2024-13'],
             [{ to => '2024-02-30' }, 'to 2024-02-30'], [{ from => '2024-04-08T10:30' }, 'a date-time without zone'],
             [{ cursor => 'not a cursor' }, 'a cursor that range never gave'], [{ kind => 5 }, 'kind 5'],
             [{ limit => '10' }, 'limit as a string'], [{ since => '2024' }, 'an unknown parameter']) {
    my ($p, $what) = @$bad;
    my ($e, $r) = rpc('range', $p);
    is(ref $e eq 'ARRAY' ? $e->[0] : undef, 'bad_request', "range with $what: bad_request") or diag(to_json([$e, $r]));
}
{
    my ($e, $r) = rpc('range', { limit => 10000 });
    ok(!$e, 'limit 10000 is accepted');
    ($e, $r) = rpc('count', { limit => 5 });
    is(ref $e eq 'ARRAY' ? $e->[0] : undef, 'bad_request', 'count takes no limit');
    ($e, $r) = rpc('count', { to => '2019', from => '2020' });
    is(ref $e eq 'ARRAY' ? $e->[0] : undef, 'bad_request', 'count with to before from: bad_request');
    my $cr = client('range', '2025', '2024');
    is($cr->exit, 4, 'annals range 2025 2024: the server refuses it, exit 4');
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
