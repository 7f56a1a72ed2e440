#!/usr/bin/perl
# Filtered feeds (country, kind, tag, a window in overlap and within mode,
# and combinations) carry exactly the changes whose new version or previous
# version passes the filter: a put that moves an event out of the filter is
# delivered, the delete of an event that matched is delivered (without an
# event), everything else is not. Live subscriptions, backlog subscriptions
# (since 0) and `changes` pages agree on the same seqs; the expectation is
# computed here from the events written, with the date rules of
# Annals::Dates.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::FeedCheck qw(check_deliveries);
use Annals::MsgPack;
use Annals::Dates qw(event_bounds window overlaps within);

my $d = start_daemon(args => ['--feed-heartbeat', '100ms']);

my @filters = (
    { country => 'MA' },
    { country => ['ES', 'DZ'] },
    { kind => 'visit' },
    { kind => 'other' },
    { tag => 'summit' },
    { from => '2024-03', to => '2024-05' },
    { from => '2024-03', to => '2024-05', mode => 'within' },
    { from => '2024-04-15' },
    { to => '2023' },
    { kind => ['visit', 'meeting'], country => ['ES', 'FR'] },
    { from => '2024', to => '2024', country => 'MA', tag => ['summit', 'trade'] },
);
sub fname { my $f = shift; return join ' ', map { "$_=" . (ref $f->{$_} ? join('|', @{ $f->{$_} }) : $f->{$_}) } sort keys %$f }

# Whether an event (as written) passes a filter, by PROTOCOL.md sections 5 and 6.
sub passes {
    my ($f, $ev) = @_;
    return 0 unless $ev;
    my $list = sub { my $v = shift; ref $v ? @$v : ($v) };
    if ($f->{kind}) {
        my $k = $ev->{kind} // 'other';
        return 0 unless grep { $_ eq $k } $list->($f->{kind});
    }
    if ($f->{country}) {
        my %has = map { ($_ => 1) } @{ $ev->{countries} // [] };
        return 0 unless grep { $has{$_} } $list->($f->{country});
    }
    if ($f->{tag}) {
        my %has = map { ($_ => 1) } @{ $ev->{tags} // [] };
        return 0 unless grep { $has{$_} } $list->($f->{tag});
    }
    my $b = event_bounds($ev->{start}, $ev->{end});
    my $w = window($f->{from}, $f->{to});
    return ($f->{mode} // 'overlap') eq 'within' ? within($b, $w) : overlaps($b, $w);
}

# Live subscriptions, all on one connection, made before anything is written.
my $live = raw_connect();
my (@live_sub, @notes);
for my $f (@filters) {
    my ($e, $r) = $live->call_amid('subscribe', $f, \@notes);
    ok(!$e, 'subscribe ' . fname($f)) or diag(to_json($e));
    push @live_sub, $r->{sub};
}
my %uniq = map { ($_ => 1) } @live_sub;
is(scalar keys %uniq, scalar @filters, 'each subscription on the connection has its own sub');

# ---- The writes: each one (each event of a put_many) one seq ------------------------
my @ops = (
    [put => { id => 'a', title => 'visit to Rabat', kind => 'visit', start => '2024-04-10', countries => ['MA'], tags => ['summit'] }],
    [put => { id => 'b', title => 'meeting in Madrid', kind => 'meeting', start => '2024-06', countries => ['ES'] }],
    [put => { id => 'c', title => 'an April', start => '2024-04', countries => ['FR'], tags => ['x'] }],
    [put => { id => 'a', title => 'visit moved to Spain', kind => 'visit', start => '2024-04-10', countries => ['ES'], tags => ['summit'] }],
    [put => { id => 'b', title => 'meeting moved into April', kind => 'meeting', start => '2024-04-15', countries => ['ES'] }],
    [put => { id => 'd', title => 'about March', kind => 'conference', start => '2024-03~', countries => ['MA'], tags => ['trade'] }],
    [delete => 'c'],
    [put => { id => 'a', title => 'visit moved to 2023', kind => 'meeting', start => '2023-01', countries => ['ES'] }],
    [delete => 'd'],
    [put => { id => 'e', title => 'in Algiers', kind => 'visit', start => '2021', countries => ['DZ'], tags => ['summit'] }],
    [put_many => [
        { id => 'f', title => 'end of May', kind => 'agreement', start => '2024-05-31T23:00Z', countries => ['MA'], tags => ['trade'] },
        { id => 'g', title => 'far away', kind => 'other', start => '1999', countries => ['US'] },
        { id => 'h', title => 'late Feb to early March', start => '2024-02-20', end => '2024-03-05', countries => ['NO'] },
    ]],
    [delete => 'g'],
    [put => { id => 'b', title => 'meeting moved to France', kind => 'meeting', start => '2024-04-15', countries => ['FR'] }],
    [put => { id => 'e', title => 'Algiers, untagged', kind => 'visit', start => '2021', countries => ['DZ'] }],
    [put => { id => 'f', title => 'moved to June', kind => 'agreement', start => '2024-06-01', countries => ['MA'], tags => ['trade'] }],
    [put => { id => 'i', title => 'nothing matches me', kind => 'other', start => '1800', countries => ['PE'] }],
    [delete => 'h'],
    [put => { id => 'j', title => 'within, then not', kind => 'visit', start => '2024-03-01', end => '2024-05-31', countries => ['MA'], tags => ['summit'] }],
    [put => { id => 'j', title => 'widened past May', kind => 'visit', start => '2024-03-01', end => '2024-06', countries => ['MA'], tags => ['summit'] }],
);

my (%cur, @changes);    # changes: [seq, id, previous version, new version]
for my $op (@ops) {
    my ($what, $arg) = @$op;
    my ($e, $r);
    if ($what eq 'put') {
        ($e, $r) = rpc('put', { event => $arg });
        push @changes, [$r->{seq}, $arg->{id}, $cur{ $arg->{id} }, $arg] unless $e;
        $cur{ $arg->{id} } = $arg;
    } elsif ($what eq 'delete') {
        ($e, $r) = rpc('delete', { id => $arg });
        push @changes, [$r->{seq}, $arg, $cur{$arg}, undef] unless $e;
        delete $cur{$arg};
    } else {
        ($e, $r) = rpc('put_many', { events => $arg });
        for my $i (0 .. $#$arg) {
            push @changes, [$r->{seq} - $#$arg + $i, $arg->[$i]{id}, $cur{ $arg->[$i]{id} }, $arg->[$i]] unless $e;
            $cur{ $arg->[$i]{id} } = $arg->[$i];
        }
    }
    ok(!$e, "$what " . (ref $arg eq 'HASH' ? $arg->{id} : ref $arg ? 'f g h' : $arg)) or diag(to_json($e));
}
my $final = $changes[-1][0];
is_deeply([map { $_->[0] } @changes], [1 .. $final], "the writes got seqs 1..$final");

# The unfiltered log, to compare the content of what the filters deliver.
my ($le, $lr) = rpc('changes', { since => 0, limit => 10000 });
my %log_at = map { ($_->{seq} => $_) } @{ $lr->{changes} };
is(scalar keys %log_at, $final, 'the unfiltered change log holds every write');

# Backlog subscriptions with the same filters, on a second connection.
my $back = raw_connect();
my (@back_sub, @back_notes);
for my $f (@filters) {
    my ($e, $r) = $back->call_amid('subscribe', { %$f, since => 0 }, \@back_notes);
    ok(!$e, 'subscribe since 0 ' . fname($f)) or diag(to_json($e));
    push @back_sub, $r->{sub};
}

# Read both connections until every subscription has had a heartbeat at the
# final seq: all it will get up to there has been sent.
sub drain {
    my ($c, $subs, $notes) = @_;
    my %idx = map { ($subs->[$_] => $_) } 0 .. $#$subs;
    my (@got, @hb, @bad);
    $hb[$_] = 0 for 0 .. $#$subs;
    my $take = sub {
        for my $m (@_) {
            my $p = ref $m eq 'ARRAY' && @$m == 3 && ref $m->[2] eq 'ARRAY' ? $m->[2][0] : undef;
            my $i = $p ? $idx{ $p->{sub} } : undef;
            if (!defined $i) { push @bad, $m }
            elsif ($m->[1] eq 'change') { push @{ $got[$i] }, $p }
            elsif ($m->[1] eq 'heartbeat') { $hb[$i] = $p->{seq} }
            else { push @bad, $m }
        }
    };
    $take->(@$notes);
    wait_until(sub { $take->($c->read_available(0.05)); !grep { $_ < $final } @hb }, 10);
    return (\@got, \@hb, \@bad);
}
my ($live_got, $live_hb, $live_bad) = drain($live, \@live_sub, \@notes);
my ($back_got, $back_hb, $back_bad) = drain($back, \@back_sub, \@back_notes);
is(scalar(grep { $_ == $final } @$live_hb), scalar @filters, 'every live subscription reached a heartbeat at the final seq');
is(scalar(grep { $_ == $final } @$back_hb), scalar @filters, 'every backlog subscription reached a heartbeat at the final seq');
is(scalar @$live_bad + scalar @$back_bad, 0, 'nothing but changes and heartbeats for known subs arrived')
    or diag(to_json([@$live_bad, @$back_bad]));

# ---- Each filter: the expected seqs, then what each way of reading it gave ------------------
for my $k (0 .. $#filters) {
    my $f = $filters[$k];
    my $name = fname($f);
    my (@want, $by_prev, $deletes);
    $by_prev = $deletes = 0;
    for my $ch (@changes) {
        my ($seq, $id, $prev, $new) = @$ch;
        my ($pn, $pp) = (passes($f, $new), passes($f, $prev));
        next unless $pn || $pp;
        push @want, $seq;
        $by_prev++ if !$pn;
        $deletes++ if !$new;
    }
    # The scenario must make each filter choose: some changes pass, some do not.
    ok(@want > 0 && @want < $final, "$name: passes " . scalar(@want) . " of $final changes"
       . " ($by_prev through the previous version only, $deletes deletes)");

    check_deliveries(name => $name, filter => $f, want => \@want, live => $live_got->[$k],
                     backlog => $back_got->[$k], log_at => \%log_at);
}

# The scenario covers what the section is about.
{
    my @moves = grep { $_->[2] && $_->[3] } @changes;
    my $moved_out = grep { my $ch = $_; grep { passes($_, $ch->[2]) && !passes($_, $ch->[3]) } @filters } @moves;
    my $deleted = grep { my $ch = $_; !$ch->[3] && grep { passes($_, $ch->[2]) } @filters } @changes;    ok($moved_out >= 3, "$moved_out puts move an event out of some filter");
    ok($deleted >= 3, "$deleted deletes remove an event some filter matched");
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
