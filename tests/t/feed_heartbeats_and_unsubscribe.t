#!/usr/bin/perl
# The quiet side of a subscription and its end: a filter that matches nothing
# gets heartbeats at about feed_heartbeat, whose seq follows the writes it
# skips, so that resuming from a heartbeat replays none of them; unsubscribe
# answers {sub, seq} and stops the notifications; an unknown sub is
# not_found; subscriptions on one connection are independent; closing the
# connection ends them; since beyond the current seq is bad_request; without
# since only later changes come.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

my $HB = 0.2;    # --feed-heartbeat, in seconds
my $d = start_daemon(args => ['--feed-heartbeat', '200ms']);
my $seq = 0;
sub put {
    my ($ev) = @_;
    my ($e, $r) = rpc('put', { event => $ev });
    die 'put: ' . to_json($e) if $e;
    return $seq = $r->{seq};
}
sub note_of { my $m = shift; return ref $m eq 'ARRAY' && @$m == 3 && $m->[0] == 2 ? ($m->[1], $m->[2][0]) : () }
sub current_seq { my ($e, $r) = rpc('hello'); return $r->{seq} }
sub subscriptions { my ($e, $r) = rpc('stats'); return $r->{server}{subscriptions} }

put({ title => "before $_", start => '2020', countries => ['MA'] }) for 1 .. 5;

# ---- Heartbeats on an idle subscription -------------------------------------------------
my $quiet = raw_connect();
my ($e, $r) = $quiet->call_amid('subscribe', { country => 'NZ' }, []);
ok(!$e, 'subscribe country NZ, without since') or diag(to_json($e));
my $sub_a = $r->{sub};
is($r->{seq}, $seq, 'the answer carries the current seq');
{
    my $t0 = time;
    my (@at, @other);
    while (time - $t0 < 1.2) {
        for my $m ($quiet->read_available(0.05)) {
            my ($kind, $p) = note_of($m);
            if (($kind // '') eq 'heartbeat') { push @at, [time - $t0, $p] } else { push @other, $m }
        }
    }
    is(scalar @other, 0, 'an idle subscription gets nothing but heartbeats') or diag(to_json($other[0]));
    my $n = @at;
    ok($n >= 3 && $n <= 10, "$n heartbeats in 1.2 s with feed_heartbeat 200ms")
        or diag(join ' ', map { sprintf '%.3f', $_->[0] } @at);
    ok(@at && $at[0][0] >= $HB * 0.7 && $at[0][0] <= $HB * 5, sprintf('the first comes after about 200 ms (%.3f s)', @at ? $at[0][0] : -1));
    my @gaps = sort { $a <=> $b } map { $at[$_][0] - $at[$_ - 1][0] } 1 .. $#at;
    my $median = @gaps ? $gaps[$#gaps / 2] : 0;
    ok($median >= $HB * 0.7 && $median <= $HB * 2.5, sprintf('heartbeats are about 200 ms apart (median %.3f s)', $median));
    is(scalar(grep { $_->[1]{sub} == $sub_a && $_->[1]{seq} == $seq } @at), $n,
       "each names the subscription and the current seq $seq");
}

# ---- While writes it skips go on, the heartbeat seq follows them ------------------------------
my (@hbs, @changes_a, $stretch_from);
$stretch_from = $seq;
{
    my $t0 = time;
    my $i = 0;
    while (time - $t0 < 1.0) {
        put({ title => 'skipped ' . ++$i, start => '2021', countries => ['MA'] });
        for my $m ($quiet->read_available(0)) {
            my ($kind, $p) = note_of($m);
            if (($kind // '') eq 'heartbeat') { push @hbs, [$p->{seq}, $seq] } else { push @changes_a, $m }
        }
        sleep 0.01;
    }
}
my $stretch_to = $seq;
my $final_hb = wait_until(sub {
    for my $m ($quiet->read_available(0.05)) {
        my ($kind, $p) = note_of($m);
        if (($kind // '') eq 'heartbeat') { push @hbs, [$p->{seq}, $seq] } else { push @changes_a, $m }
    }
    @hbs && $hbs[-1][0] == $stretch_to;
}, 5);
is(scalar @changes_a, 0, 'writes that do not pass the filter send no change') or diag(to_json($changes_a[0]));
my @hb_seqs = map { $_->[0] } @hbs;
ok(!grep({ $hb_seqs[$_] < $hb_seqs[$_ - 1] } 1 .. $#hb_seqs), 'heartbeat seqs never go back: ' . join(' ', @hb_seqs));
ok(!grep({ $_->[0] > $_->[1] } @hbs), 'no heartbeat seq is beyond the writes acknowledged when it arrived');
my %distinct = map { ($_ => 1) } grep { $_ > $stretch_from && $_ < $stretch_to } @hb_seqs;
ok(keys %distinct >= 2, scalar(keys %distinct) . " heartbeats during the writes carry seqs inside the stretch $stretch_from..$stretch_to");
ok($final_hb, "after the writes a heartbeat carries the last seq $stretch_to");

# Resuming from that heartbeat: the next change is the first one after it.
my $match = put({ id => 'nz1', title => 'in Wellington', start => '2024', countries => ['NZ'] });
{
    my $resume = raw_connect();
    my ($be, $br) = $resume->call('subscribe', { country => 'NZ', since => 0 + $stretch_to });
    ok(!$be, "resubscribe with the filter since the heartbeat seq $stretch_to") or diag(to_json($be));
    my ($kind, $p) = note_of($resume->read_msg(5));
    is_deeply([$kind, $p && $p->{seq}], ['change', $match], "the first notification is the change at $match");
    my @rn;
    my ($ue, $ur) = $resume->call_amid('subscribe', { since => 0 + $stretch_to }, \@rn);
    ok(!$ue, 'and an unfiltered subscription since that seq') or diag(to_json($ue));
    my @got;
    while (my $m = shift(@rn) // $resume->read_msg(1)) {
        my ($k, $q) = note_of($m);
        next unless $k && $q->{sub} == $ur->{sub};
        push @got, $q->{seq} if $k eq 'change';
        last if $k eq 'heartbeat';
    }
    is_deeply(\@got, [$match], 'replays none of the skipped stretch either: only the change after it');
    $resume->close;
}
{
    my ($kind, $p) = note_of($quiet->read_msg(5));
    is_deeply([$kind, $p && $p->{seq}, $p && $p->{sub}], ['change', $match, $sub_a],
              'the live subscription gets the matching change');
}

# ---- unsubscribe --------------------------------------------------------------------------
{
    my $before = subscriptions();
    my ($ue, $ur) = $quiet->call_amid('unsubscribe', { sub => $sub_a }, []);
    ok(!$ue, 'unsubscribe') or diag(to_json($ue));
    is_deeply($ur, { sub => $sub_a, seq => current_seq() }, 'answers {sub, seq} with the latest seq it was checked against');
    is(subscriptions(), $before - 1, 'stats counts one subscription less');
    put({ id => 'nz2', title => 'in Auckland', start => '2024', countries => ['NZ'] });
    my (@after, $t0);
    $t0 = time;
    push @after, $quiet->read_available(0.05) while time - $t0 < 5 * $HB;
    is(scalar @after, 0, 'after the answer nothing arrives for it: no change, no heartbeat')
        or diag(to_json(\@after));
    ($ue, $ur) = $quiet->call_amid('unsubscribe', { sub => $sub_a }, []);
    is(ref $ue ? $ue->[0] : undef, 'not_found', 'unsubscribing it again: not_found');
    ($ue, $ur) = $quiet->call_amid('unsubscribe', { sub => 987654 }, []);
    is(ref $ue ? $ue->[0] : undef, 'not_found', 'an unknown sub: not_found');
    ($ue, $ur) = $quiet->call_amid('unsubscribe', {}, []);
    is(ref $ue ? $ue->[0] : undef, 'bad_request', 'unsubscribe without sub: bad_request');
    my $other = raw_connect();
    my ($oe, $or) = $other->call('subscribe', {});
    ($ue, $ur) = $quiet->call_amid('unsubscribe', { sub => $or->{sub} }, []);
    is(ref $ue ? $ue->[0] : undef, 'not_found', "another connection's sub: not_found");
    my ($pe, $pr) = $other->call('ping');
    ok($pr && $pr->{pong}, 'and that subscription is untouched (its connection still answers)');
    ($ue, $ur) = $other->call('unsubscribe', { sub => $or->{sub} });
    ok(!$ue, 'its own connection can end it');
    my ($pe2, $pr2) = $quiet->call('ping');
    ok($pr2 && $pr2->{pong}, 'the connection stays usable after unsubscribing');
}

# ---- since beyond the current seq, and no since ------------------------------------------------
{
    my $now = current_seq();
    my ($se, $sr) = $quiet->call_amid('subscribe', { since => 0 + $now + 1 }, []);
    is(ref $se ? $se->[0] : undef, 'bad_request', "since $now + 1, beyond the current seq: bad_request");
    ($se, $sr) = $quiet->call_amid('subscribe', { since => 0 + $now }, []);
    ok(!$se, "since $now (the current seq) is accepted");
    my ($ue) = $quiet->call_amid('unsubscribe', { sub => $sr->{sub} }, []);
    ok(!$ue, 'and unsubscribed');
}

# ---- Several subscriptions on one connection --------------------------------------------------
{
    my $c = raw_connect();
    my $before = subscriptions();
    my @notes;
    my @defs = (['country MA', { country => 'MA' }], ['country ES', { country => 'ES' }],
                ['everything, from now on', {}], ['kind visit, since now', { kind => 'visit', since => current_seq() }]);
    my %sub;
    for my $df (@defs) {
        my ($se, $sr) = $c->call_amid('subscribe', $df->[1], \@notes);
        ok(!$se, "subscribe $df->[0] on one connection") or diag(to_json($se));
        $sub{ $df->[0] } = $sr->{sub};
        is($sr->{seq}, $seq, '... at the current seq');
    }
    is(subscriptions(), $before + 4, 'stats counts the four');
    my @writes = ([{ title => 'w1', kind => 'visit', start => '2024', countries => ['MA'] }, 'country MA', 'kind visit, since now'],
                  [{ title => 'w2', kind => 'meeting', start => '2024', countries => ['ES'] }, 'country ES'],
                  [{ title => 'w3', kind => 'visit', start => '2024', countries => ['FR'] }, 'kind visit, since now'],
                  [{ title => 'w4', start => '2024', countries => ['MA', 'ES'] }, 'country MA', 'country ES']);
    my %want;
    for my $w (@writes) {
        my ($ev, @who) = @$w;
        my $s = put($ev);
        push @{ $want{$_} }, $s for @who, 'everything, from now on';
    }
    # Unsubscribing one leaves the others as they were.
    my ($ue, $ur) = $c->call_amid('unsubscribe', { sub => $sub{'country MA'} }, \@notes);
    ok(!$ue, 'unsubscribe country MA');
    my $s = put({ title => 'w5', kind => 'visit', start => '2024', countries => ['MA'] });
    push @{ $want{$_} }, $s for 'kind visit, since now', 'everything, from now on';
    my %got;
    my %hb;
    wait_until(sub {
        push @notes, $c->read_available(0.05);
        for my $m (splice @notes) {
            my ($k, $p) = note_of($m);
            if (($k // '') eq 'change') { push @{ $got{ $p->{sub} } }, $p->{seq} }
            elsif (($k // '') eq 'heartbeat') { $hb{ $p->{sub} } = $p->{seq} }
            else { push @{ $got{other} }, $m }
        }
        !grep { ($hb{ $sub{$_} } // 0) < $s } grep { $_ ne 'country MA' } keys %sub;
    }, 5);
    for my $name (map { $_->[0] } @defs) {
        is_deeply($got{ $sub{$name} } // [], $want{$name} // [], "$name: exactly its own changes: @{ $want{$name} // [] }");
    }
    ok(!exists $hb{ $sub{'country MA'} }, 'the ended one got no heartbeat');
    ok(!$got{other}, 'nothing else arrived');

    # Closing the connection ends its subscriptions.
    my $open = subscriptions();
    is($open, $before + 3, 'three are left on it');
    $c->close;
    ok(wait_until(sub { subscriptions() == $before }, 5), 'closing the connection ends them: stats drops by three');
}

is(subscriptions(), 0, 'no subscription is left');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
