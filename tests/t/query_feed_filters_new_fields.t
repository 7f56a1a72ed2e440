#!/usr/bin/perl
# The change feed takes the new filters of PROTOCOL.md section 6
# (participant, place, parent, q), alone and with the older ones, and
# delivers exactly the changes whose new version or previous version passes
# them (section 9): matching puts, a put that moves an event out of the
# filter (other participants, another place or parent, a participant role or
# a tag that held the q word, a date out of the window), the delete of an
# event that matched; nothing else. Live subscriptions, backlog
# subscriptions (since 0) and `changes` pages agree, and the expectation is
# computed with the brute-force model of the filters (Annals::Brute).
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::FeedCheck qw(check_deliveries);
use Annals::Brute qw(event_passes describe_params);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $d = start_daemon(args => ['--feed-heartbeat', '100ms']);

my @filters = (
    { participant => 'Cicero' },
    { participant => ['Pompey', 'zoe menard'] },
    { participant => 'حموشي' },
    { place => 'Genève' },
    { place => 'ch' },
    { place => 'Palais des Nations' },
    { parent => 'u-alpha' },
    { parent => ['u-alpha', 'u-beta'] },
    { q => 'legatus' },
    { q => 'concordia' },
    { q => '"pax romana"' },
    { q => 'الأنتربول' },
    { q => 'foedus' },
    { participant => 'Cicero', from => '2024', to => '2024' },
    { q => 'concordia', place => 'fr' },
    { parent => 'u-beta', q => 'pax', kind => 'meeting' },
);
# The filter whose moves out depend on the previous version's title: section
# 9 says they are delivered; see the note at the end.
my ($TITLE_FILTER) = grep { ($filters[$_]{q} // '') eq 'concordia' && keys %{ $filters[$_] } == 1 } 0 .. $#filters;

my $live = raw_connect();
my (@live_sub, @notes);
for my $f (@filters) {
    my ($e, $r) = $live->call_amid('subscribe', $f, \@notes);
    ok(!$e, 'subscribe ' . describe_params($f)) or diag(to_json($e));
    push @live_sub, $r->{sub};
}

# ---- The writes ---------------------------------------------------------------------------
my @ops = (
    [put => { id => 'u-alpha', title => 'Consilium Alpha', kind => 'conference', start => '2024',
              place => { city => 'Genève', country => 'CH', name => 'Palais des Nations' } }],
    [put => { id => 'u-beta', title => 'Consilium Beta', kind => 'conference', start => '2023',
              place => { city => 'Roma', country => 'IT' } }],
    [put => { id => 'a', title => 'Concordia nova', kind => 'meeting', start => '2024-03-01', parent => 'u-alpha',
              participants => [{ name => 'Marcus Tullius Cicero', aliases => ['Cicero'] }],
              place => { city => 'Massilia', country => 'FR' } }],
    [put => { id => 'b', title => 'Pax romana in Genève', kind => 'meeting', start => '2024-05', parent => 'u-beta',
              participants => [{ name => 'Gnaeus Pompeius Magnus', aliases => ['Pompey'], role => 'legatus pro praetore' }],
              place => { city => 'Geneve', country => 'CH' } }],
    [put => { id => 'c', title => 'Res publica', start => '2019', participants => [{ name => 'Zoë Ménard' }],
              tags => ['foedus'] }],
    # a: other participants, another parent, another city (still FR).
    [put => { id => 'a', title => 'Concordia nova', kind => 'meeting', start => '2024-03-01', parent => 'u-beta',
              participants => [{ name => 'Titus Livius' }], place => { city => 'Lugdunum', country => 'FR' } }],
    [put => { id => 'd', title => 'حموشي يستقبل وفد الأنتربول', kind => 'visit', start => '2025-11-10',
              participants => [{ name => 'عبد اللطيف حموشي', aliases => ['Abdellatif Hammouchi'] },
                               { role => 'رئيس وفد الأنتربول' }],
              place => { city => 'الرباط', country => 'MA' } }],
    [put => { id => 'e', title => 'Nothing here', start => '2010', place => { country => 'DE' } }],
    # b: leaves Geneva, and its participant loses the role that held "legatus".
    [put => { id => 'b', title => 'Pax romana in Roma', kind => 'meeting', start => '2024-05', parent => 'u-beta',
              participants => [{ name => 'Gnaeus Pompeius Magnus', aliases => ['Pompey'] }],
              place => { city => 'Roma', country => 'IT' } }],
    [delete => 'c'],
    [put => { id => 'f', title => 'Concordia', summary => 'Pax romana aeterna', start => '2024-06-15',
              place => { name => 'Palais des Nations' } }],
    # f: the title loses "concordia"; the summary keeps "pax romana".
    [put => { id => 'f', title => 'Discordia', summary => 'Pax romana aeterna', start => '2024-06-15',
              place => { name => 'Palais des Nations' } }],
    [put => { id => 'g', title => 'Concordia parva', start => '2018', participants => [{ name => 'Cicero' }] }],
    [delete => 'g'],
    [put => { id => 'h', title => 'Legatio', start => '2024-12-31T23:30Z',
              participants => [{ name => 'Cicero', role => 'legatus' }] }],
    # h: out of 2024, same participant.
    [put => { id => 'h', title => 'Legatio', start => '2025-01-02',
              participants => [{ name => 'Cicero', role => 'legatus' }] }],
    [put => { id => 'i', title => 'Consilium parvum', start => '2022', parent => 'u-alpha', tags => ['foedus'] }],
    [delete => 'i'],
    [delete => 'd'],
    [put => { id => 'j', title => 'Foedus', start => '2024-07', place => { city => 'Carthago Nova', country => 'ES' } }],
    [put => { id => 'k', title => 'Pax et bellum', kind => 'meeting', start => '2024-08', parent => 'u-beta',
              participants => [{ name => 'Sulla' }], place => { city => 'Nova Roma', country => 'DE' } }],
    # k: moves to another parent.
    [put => { id => 'k', title => 'Pax et bellum', kind => 'meeting', start => '2024-08', parent => 'u-alpha',
              participants => [{ name => 'Sulla' }], place => { city => 'Nova Roma', country => 'DE' } }],
);

my (%cur, @changes);    # changes: [seq, id, previous version, new version]
for my $op (@ops) {
    my ($what, $arg) = @$op;
    my ($e, $r);
    if ($what eq 'put') {
        ($e, $r) = rpc('put', { event => $arg });
        push @changes, [$r->{seq}, $arg->{id}, $cur{ $arg->{id} }, $arg] unless $e;
        $cur{ $arg->{id} } = $arg;
    } else {
        ($e, $r) = rpc('delete', { id => $arg });
        push @changes, [$r->{seq}, $arg, $cur{$arg}, undef] unless $e;
        delete $cur{$arg};
    }
    ok(!$e, "$what " . (ref $arg ? $arg->{id} : $arg)) or diag(to_json($e));
}
my $final = $changes[-1][0];
is_deeply([map { $_->[0] } @changes], [1 .. $final], "the writes got seqs 1..$final");

my ($le, $lr) = rpc('changes', { since => 0, limit => 10000 });
my %log_at = map { ($_->{seq} => $_) } @{ $lr->{changes} // [] };
is(scalar keys %log_at, $final, 'the unfiltered change log holds every write');

my $back = raw_connect();
my (@back_sub, @back_notes);
for my $f (@filters) {
    my ($e, $r) = $back->call_amid('subscribe', { %$f, since => 0 }, \@back_notes);
    ok(!$e, 'subscribe since 0 ' . describe_params($f)) or diag(to_json($e));
    push @back_sub, $r->{sub};
}

# Read until every subscription has had a heartbeat at the final seq.
sub drain {
    my ($c, $subs, $notes) = @_;
    my %idx = map { ($subs->[$_] => $_) } grep { defined $subs->[$_] } 0 .. $#$subs;
    my (@got, @hb, @bad);
    $hb[$_] = defined $subs->[$_] ? 0 : $final for 0 .. $#$subs;
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
is(scalar(grep { defined $live_sub[$_] && $live_hb->[$_] == $final } 0 .. $#filters), scalar @filters,
   'every live subscription reached a heartbeat at the final seq');
is(scalar(grep { defined $back_sub[$_] && $back_hb->[$_] == $final } 0 .. $#filters), scalar @filters,
   'every backlog subscription reached a heartbeat at the final seq');
is(scalar @$live_bad + scalar @$back_bad, 0, 'nothing but changes and heartbeats for known subs arrived')
    or diag(to_json([@$live_bad, @$back_bad]));

# ---- Each filter ------------------------------------------------------------------------------
my ($moved_out, $deleted) = (0, 0);
for my $k (0 .. $#filters) {
    my $f = $filters[$k];
    my $name = describe_params($f);
    my (@want, $by_prev, $deletes);
    $by_prev = $deletes = 0;
    for my $ch (@changes) {
        my ($seq, $id, $prev, $new) = @$ch;
        my ($pn, $pp) = (event_passes($f, $new), event_passes($f, $prev));
        next unless $pn || $pp;
        push @want, $seq;
        $by_prev++ if !$pn;
        $deletes++ if !$new;
        $moved_out++ if $new && !$pn;
        $deleted++ if !$new;
    }
    ok(@want > 0 && @want < $final, "$name: passes " . scalar(@want) . " of $final changes"
       . " ($by_prev through the previous version only, $deletes deletes)");

    check_deliveries(name => $name, filter => $f, want => \@want, live => $live_got->[$k],
                     backlog => $back_got->[$k], log_at => \%log_at);
}
ok($moved_out >= 8, "$moved_out (filter, change) pairs move an event out of a filter");
ok($deleted >= 8, "$deleted (filter, change) pairs delete an event a filter matched");

# Section 8 keeps of a replaced or deleted version only kind, countries, tags,
# place, parent and participants, while section 9 has q see the previous
# version too. The q filter on a title word therefore names the two changes
# that need the previous title, so that a failure says which rule broke.
{
    my $f = $filters[$TITLE_FILTER];
    my ($put_f2) = map { $_->[0] } grep { $_->[1] eq 'f' && $_->[2] && $_->[3] } @changes;
    my ($del_g) = map { $_->[0] } grep { $_->[1] eq 'g' && !$_->[3] } @changes;
    for my $w (['live', $live_got->[$TITLE_FILTER]], ['backlog', $back_got->[$TITLE_FILTER]]) {
        my %has = map { ($_->{seq} => 1) } @{ $w->[1] // [] };
        ok($has{$put_f2}, describe_params($f) . ": the $w->[0] subscription delivers the put that removes the word "
           . "from the title (seq $put_f2)");
        ok($has{$del_g}, describe_params($f) . ": the $w->[0] subscription delivers the delete of an event whose "
           . "title held the word (seq $del_g)");
    }
}

# Bad filter values are refused by subscribe and changes.
for my $bad ([{ participant => '' }, 'an empty participant'], [{ place => '--' }, 'a place without a word'],
             [{ q => ['pax'] }, 'q as an array'], [{ q => join ' ', ('pax') x 33 }, 'q of 33 words'],
             [{ parent => [('p') x 65] }, 'parent with 65 values']) {
    my ($p, $what) = @$bad;
    my $c = raw_connect();
    my ($e) = $c->call('subscribe', $p);
    is(ref $e eq 'ARRAY' ? $e->[0] : to_json($e), 'bad_request', "subscribe with $what: bad_request");
    $c->close;
    ($e) = rpc('changes', { %$p, since => 0 });
    is(ref $e eq 'ARRAY' ? $e->[0] : to_json($e), 'bad_request', "changes with $what: bad_request");
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
