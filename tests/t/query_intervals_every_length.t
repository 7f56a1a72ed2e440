#!/usr/bin/perl
# range and count select events of every length (a minute, an hour, a day,
# 2, 3 and 7 days, a month, five months, 1, 3 and 10 years) written at every
# precision (year, month, day, minute, second; dates with and without the
# ~ ? % qualifiers), among a background of many short events, exactly as
# the date rules of PROTOCOL.md section 5 say (Annals::Dates): for windows
# of many sizes and positions, and for windows placed on each long event's
# own bounds and one second inside or outside them, overlap and within
# select the same events as the model, in the same order (earliest start,
# then first write), with the same certainty, and count agrees.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::Dates qw(first_last event_bounds instant);
use Annals::Brute qw(fmt_instant pick shuffle_list range_all describe_params);

srand(31415);

my $DAY = 86400;
my @LENGTHS = (['no end', undef], ['a minute', 60], ['an hour', 3600], ['a day', $DAY], ['2 days', 2 * $DAY],
               ['3 days', 3 * $DAY], ['7 days', 7 * $DAY], ['a month', 31 * $DAY], ['5 months', 152 * $DAY],
               ['a year', 365 * $DAY], ['3 years', 3 * 365 * $DAY + $DAY], ['10 years', 3653 * $DAY]);
my @FORMS = (['year', ''], ['year', '~'], ['month', ''], ['month', '?'], ['day', ''], ['day', '%'],
             ['minute', ''], ['second', '']);

my (@events, %used);
sub newid {
    while (1) {
        my $id = join '', map { pick('a' .. 'z', 0 .. 9) } 1 .. 8;
        return $id unless $used{$id}++;
    }
}

# The long events: every length in every form, once at an instant aligned on
# a year and once at an arbitrary instant.
my $t2016 = (first_last('2016'))[0];
my $t2024 = (first_last('2024'))[0];
my @long;
for my $len (@LENGTHS) {
    for my $form (@FORMS) {
        for my $anchor ('aligned', 'arbitrary') {
            my $t0 = $anchor eq 'aligned' ? (first_last(2016 + int rand 8))[0] : $t2016 + int rand($t2024 - $t2016);
            my ($prec, $q) = @$form;
            my %e = (id => newid(), title => "$len->[0] at $prec$q precision ($anchor)",
                     start => fmt_instant($t0, $prec, $q), kind => 'meeting', tags => ['long']);
            $e{end} = fmt_instant($t0 + $len->[1], $prec, $q) if defined $len->[1];
            push @events, \%e;
            push @long, \%e;
        }
    }
}
# The background: many short events between 2015 and 2027.
my $t2015 = (first_last('2015'))[0];
my $t2027 = (first_last('2027'))[1];
for my $i (1 .. 700) {
    my $t0 = $t2015 + int rand($t2027 - $t2015);
    my $prec = pick('minute', 'second', 'day', 'minute');
    my %e = (id => newid(), title => "short $i", start => fmt_instant($t0, $prec, '', pick(0, 0, 60, -240)),
             kind => 'visit');
    $e{end} = fmt_instant($t0 + pick(60, 600, 3600, 6 * 3600), $prec) if rand() < 0.5;
    push @events, \%e;
}
@events = shuffle_list(@events);
my $corpus = Annals::Brute::Corpus->new(\@events);

my $d = start_daemon();
{
    my ($e, $r) = rpc('put_many', { events => \@events });
    ok(!$e, 'put_many of ' . scalar(@long) . ' long events and ' . (@events - @long) . ' short ones, shuffled')
        or diag(to_json($e));
}

my $call = sub { rpc(@_) };
my %seen_kind;    # what the windows exercised: possible, certain, within, left out

sub check_range {
    my ($q, $label) = @_;
    $label //= describe_params($q);
    my @want = $corpus->select($q);
    my $res = range_all($call, { %$q, limit => 10000 });
    is_deeply($res->{error} ? $res->{error} : [map { $_->{id} } @{ $res->{events} }], \@want,
              "range $label: " . scalar(@want) . ' events in order');
    my $cert = $corpus->certainty($q, @want);
    is_deeply({ map { ($_->{id} => $_->{certainty}) } @{ $res->{events} } }, $cert, "range $label: certainty");
    $seen_kind{$_}++ for values %$cert;
    $seen_kind{'left out'} += @events - @want;
    check_count($q, $label, scalar @want);
}

sub check_count {
    my ($q, $label, $n) = @_;
    $n //= $corpus->count($q);
    my ($e, $r) = rpc('count', $q);
    is($e ? to_json($e) : $r->{count}, $n, "count $label: $n");
}

# --- windows of many sizes, at random places ----------------------------------------------------
my @SIZES = (60, 3600, $DAY, 2 * $DAY, 7 * $DAY, 31 * $DAY, 92 * $DAY, 365 * $DAY, 3 * 365 * $DAY, 10 * 365 * $DAY);
my @windows;
for my $i (1 .. 40) {
    my $size = pick(@SIZES);
    my $t1 = $t2015 + int rand($t2027 - $t2015);
    my $t2 = $t1 + $size - 1;
    my $p1 = $size < $DAY ? pick('minute', 'second') : $size < 31 * $DAY ? pick('day', 'minute') : pick('year', 'month', 'day');
    push @windows, { from => fmt_instant($t1, $p1), to => fmt_instant($t2, $p1) };
}
push @windows, { from => '2020' }, { to => '2018-06' }, { from => '2021-03-04T05:06:07Z' }, { to => '2016~' },
               { from => '2019?', to => '2019?' }, { from => '2022-02%', to => '2022-03' }, {},
               { from => '2020-01-01T00:00+14:00', to => '2020-01-01T00:00-12:00' };
for my $w (@windows) {
    check_range({ %$w, mode => 'overlap' });
    check_range({ %$w, mode => 'within' });
}

# --- windows on each long event's own bounds --------------------------------------------------------
# For the events anchored at arbitrary instants: the window of exactly their
# bounds contains them (within); one second less on either side does not;
# the second just after their last instant and just before their first
# does not meet them; their first and last seconds do.
my $sec = sub { fmt_instant($_[0], 'second') };
my ($edges, $inside) = (0, 0);
for my $e (grep { $_->{title} =~ /arbitrary/ } @long) {
    my $b = event_bounds($e->{start}, $e->{end});
    my ($s0, $e1) = ($b->{start}[0], $b->{end}[1]);
    my $what = $e->{title};
    my @w = (
        [{ from => $sec->($s0), to => $sec->($e1), mode => 'within' }, 'its bounds, within', 1],
        ($e1 > $s0 ? (
        [{ from => $sec->($s0 + 1), to => $sec->($e1), mode => 'within' }, 'a second less at the start, within', 0],
        [{ from => $sec->($s0), to => $sec->($e1 - 1), mode => 'within' }, 'a second less at the end, within', 0],
        ) : ()),
        [{ from => $sec->($e1 + 1), to => $sec->($e1 + 3600) }, 'the hour after its last second', 0],
        [{ from => $sec->($s0 - 3600), to => $sec->($s0 - 1) }, 'the hour before its first second', 0],
        [{ from => $sec->($e1), to => $sec->($e1) }, 'its last second', 1],
        [{ from => $sec->($s0), to => $sec->($s0) }, 'its first second', 1],
    );
    for my $x (@w) {
        my ($q, $where, $has) = @$x;
        my %got = map { ($_ => 1) } $corpus->select($q);
        is($got{ $e->{id} } ? 1 : 0, $has, "model: $what " . ($has ? 'is' : 'is not') . " selected by $where");
        $inside++ if $has;
        check_count($q, "$what: $where");
        $edges++;
    }
    check_range({ from => $sec->($s0), to => $sec->($e1) }, "$what: its bounds, overlap");
}
ok($edges >= 400, "$edges windows on the edges of the long events ($inside of them holding it)");

# --- the order and the shape of what came back ---------------------------------------------------------
{
    my @want = $corpus->select({ tag => 'long', order => 'desc' });
    my $res = range_all($call, { tag => 'long', order => 'desc', limit => 7 });
    is_deeply([map { $_->{id} } @{ $res->{events} }], \@want,
              'every long event, newest first by pages of 7: the order of earliest start, then of first write, reversed');
    my $ties = 0;
    my @b = map { $corpus->bounds($_)->{start}[0] } @want;
    $ties += ($b[$_] == $b[$_ - 1]) for 1 .. $#b;
    ok($ties >= 5, "$ties long events share their earliest start with the one before them");
    my %by_id = map { ($_->{id} => $_) } @{ $res->{events} };
    my $wrong = 0;
    for my $e (@long) {
        my $g = $by_id{ $e->{id} } or do { $wrong++; next };
        my $b = event_bounds($e->{start}, $e->{end});
        my $want = { start => [map { instant($_) } @{ $b->{start} }], end => [map { instant($_) } @{ $b->{end} }] };
        $wrong++ unless to_json($g->{bounds}) eq to_json($want);
    }
    is($wrong, 0, 'every long event comes back with the bounds the model gives it');
}

ok($seen_kind{$_}, "the windows met events that were $_ ($seen_kind{$_})") for 'possible', 'certain', 'left out';

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
