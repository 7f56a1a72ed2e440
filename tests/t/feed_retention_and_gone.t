#!/usr/bin/perl
# Change-log retention: with changes_max_entries N the log keeps the N newest
# changes, stats reports what was trimmed, and `subscribe` or `changes` from a
# trimmed seq is `gone` with details {oldest}, the oldest seq still held,
# from which both work again; trimming survives a restart and leaves the
# events alone. With changes_max_age the old entries go even when nobody
# writes.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

sub is_gone {
    my ($e, $r, $oldest, $label) = @_;
    ok(ref $e eq 'ARRAY' && @$e == 3 && $e->[0] eq 'gone' && length($e->[1] // '') && !defined $r,
       "$label: error gone, with a message and details") or diag(to_json([$e, $r]));
    is_deeply(ref $e eq 'ARRAY' ? $e->[2] : undef, { oldest => $oldest }, "$label: details {oldest: $oldest}");
}
# changes from $since, every page: the seqs.
sub pull {
    my ($since, %f) = @_;
    my @seqs;
    for (1 .. 1000) {
        my ($e, $r) = rpc('changes', { %f, since => 0 + $since, limit => 7 });
        return ($e) if $e;
        last unless @{ $r->{changes} };
        push @seqs, map { $_->{seq} } @{ $r->{changes} };
        $since = $r->{next};
    }
    return (undef, \@seqs);
}
# A subscription since $since, read until a heartbeat at $upto.
sub feed_seqs {
    my ($since, $upto) = @_;
    my $c = raw_connect();
    my @notes;
    my ($e, $r) = $c->call_amid('subscribe', { since => 0 + $since }, \@notes);
    return ($e) if $e;
    my @seqs;
    while (my $m = shift(@notes) // $c->read_msg(5)) {
        last unless ref $m eq 'ARRAY' && $m->[0] == 2;
        push @seqs, $m->[2][0]{seq} if $m->[1] eq 'change';
        last if $m->[1] eq 'heartbeat' && $m->[2][0]{seq} >= $upto;
    }
    $c->close;
    return (undef, \@seqs);
}

# ---- By count ----------------------------------------------------------------------------
my $N = 50;
my $d = start_daemon(args => ['--changes-max-entries', $N, '--feed-heartbeat', '100ms']);
my ($seq, %live) = (0);
for my $i (1 .. 30) {
    my ($e, $r) = rpc('put', { event => { id => "e$i", title => "event $i", start => '2024' } });
    $seq = $r->{seq};
    $live{"e$i"} = 1;
}
{
    my $st = stats();
    is_deeply([@$st{qw(seq changes trimmed)}], [30, 30, 0], 'below N: 30 writes, 30 entries, nothing trimmed');
    my ($e, $seqs) = feed_seqs(0, 30);
    is_deeply($seqs, [1 .. 30], 'subscribe since 0 replays all of them');
}

# A subscriber that follows along live is not disturbed by the trimming.
my $follower = raw_connect();
my @follow_notes;
$follower->call_amid('subscribe', { since => 25 }, \@follow_notes);

{
    my ($e, $r) = rpc('put_many', { events => [map { { id => "m$_", title => "many $_", start => '2023' } } 1 .. 40] });
    ok(!$e, 'put_many of 40 takes the log past N') or diag(to_json($e));
    $seq = $r->{seq};
    $live{"m$_"} = 1 for 1 .. 40;
    for my $i (1 .. 10) {
        ($e, $r) = rpc('put', { event => { id => "p$i", title => "put $i", start => '2022' } });
        $seq = $r->{seq};
        $live{"p$i"} = 1;
    }
    for my $id (qw(e1 m5)) {
        ($e, $r) = rpc('delete', { id => $id });
        $seq = $r->{seq};
        delete $live{$id};
    }
}
my $writes = 30 + 40 + 10 + 2;
my $oldest = $writes - $N + 1;
{
    my $st = stats();
    is($st->{seq}, $writes, "$writes writes");
    is($st->{changes}, $N, "the log keeps the N = $N newest entries");
    is($st->{trimmed}, $oldest - 1, 'stats trimmed is the highest seq removed: ' . ($oldest - 1));
    is($st->{events}, scalar keys %live, 'the events themselves are all still there');
    my ($ge, $gr) = rpc('get', { id => 'e2' });
    is($gr && $gr->{event}{seq}, 2, 'an event whose change was trimmed reads back with its seq');
}

for my $since (0, 1, $oldest - 2) {
    my ($e, $r) = rpc('subscribe', { since => 0 + $since });
    is_gone($e, $r, $oldest, "subscribe since $since");
    ($e, $r) = rpc('changes', { since => 0 + $since });
    is_gone($e, $r, $oldest, "changes since $since");
}
{
    my ($e, $seqs) = pull($oldest - 1);
    ok(!$e, 'changes since oldest - 1 = ' . ($oldest - 1) . ' works') or diag(to_json($e));
    is($seqs && $seqs->[0], $oldest, "... and starts with the oldest, $oldest");
    is_deeply($seqs, [$oldest .. $writes], "... then every seq to $writes");
    ($e, $seqs) = feed_seqs($oldest - 1, $writes);
    ok(!$e, 'subscribe since oldest - 1 works') or diag(to_json($e));
    is_deeply($seqs, [$oldest .. $writes], "... and delivers $oldest..$writes");
    ($e, $seqs) = pull($oldest + 10, country => 'NZ');
    is_deeply($seqs, [], 'changes with a filter from a seq still held is not gone');
}
{
    # The follower subscribed since 25, before those entries were trimmed:
    # it had read them before they went.
    my @seqs;
    wait_until(sub {
        push @follow_notes, $follower->read_available(0.05);
        push @seqs, map { $_->[2][0]{seq} } grep { $_->[1] eq 'change' } splice @follow_notes;
        @seqs && $seqs[-1] == $writes;
    }, 5);
    is_deeply(\@seqs, [26 .. $writes], 'a live subscriber from before the trim got every change, 26..' . $writes);
}

# Trimming is durable.
is(restart(), 0, 'SIGTERM');
{
    my $st = stats();
    is_deeply([@$st{qw(seq changes trimmed)}], [$writes, $N, $oldest - 1], 'after a restart: the same seq, entries and trimmed');
    my ($e, $r) = rpc('subscribe', { since => 0 });
    is_gone($e, $r, $oldest, 'after a restart, subscribe since 0');
    ($e, $r) = rpc('put', { event => { id => 'after', title => 'after the restart', start => '2025' } });
    $st = stats();
    is_deeply([@$st{qw(seq changes trimmed)}], [$writes + 1, $N, $oldest], 'one more write trims one more entry');
    ($e, $r) = rpc('changes', { since => 0 + $oldest - 1 });
    is_gone($e, $r, $oldest + 1, 'and the former oldest is gone now');
}
is(stop_daemon(), 0, 'annalsd exits 0');

# ---- By age ---------------------------------------------------------------------------------
$d = start_daemon(args => ['--changes-max-age', '1s', '--feed-heartbeat', '100ms']);
{
    my $t0 = time;
    my ($e, $r) = rpc('put_many', { events => [map { { id => "a$_", title => "aged $_", start => '2024' } } 1 .. 20] });
    my $st = stats();
    is_deeply([@$st{qw(seq changes trimmed)}], [20, 20, 0], 'right after 20 writes all 20 entries are there');
    # Nobody writes from now on: the entries go once they are older than 1 s.
    my $t_trim;
    my $gone = wait_until(sub {
        $st = stats();
        $t_trim //= time if $st->{changes} < 20;
        $st->{changes} == 0;
    }, 4);
    ok($gone, 'with nobody writing, the entries are trimmed within a few seconds');
    ok(defined $t_trim && $t_trim - $t0 >= 0.95, sprintf('... but not before they are 1 s old (first trimmed after %.2f s)',
                                                         defined $t_trim ? $t_trim - $t0 : -1));
    is_deeply([@$st{qw(seq changes trimmed)}], [20, 0, 20], 'stats: seq 20, no entries, trimmed 20');
    is($st->{events}, 20, 'the events stay');
    ($e, $r) = rpc('subscribe', { since => 0 });
    is_gone($e, $r, 21, 'subscribe since 0 with an empty log');
    ($e, $r) = rpc('changes', { since => 19 });
    is_gone($e, $r, 21, 'changes since 19 with an empty log');
    my ($pe, $seqs) = pull(20);
    ok(!$pe, 'changes since 20 (the current seq) works');
    is_deeply($seqs, [], '... and is empty');
    ($e, $r) = rpc('put_many', { events => [map { { id => "b$_", title => "fresh $_", start => '2024' } } 1 .. 5] });
    ($pe, $seqs) = pull(20);
    is_deeply($seqs, [21 .. 25], 'new writes after that are in the log: 21..25');
    my $fe;
    ($fe, $seqs) = feed_seqs(20, 25);
    is_deeply($seqs, [21 .. 25], '... and in the feed since 20');
}
is(stop_daemon(), 0, 'annalsd exits 0');

# ---- Retention overtakes a subscriber still reading its backlog -----------------------------------
# It subscribed from a seq the log held, then read too slowly: the entries it
# had not yet been sent are trimmed. annalsd must not skip them silently:
# what it sends has no gap, no heartbeat vouches for a change it did not
# send, and the subscription ends with [2, "gone", [{sub, seq, oldest}]],
# seq the last change sent, oldest the oldest seq the log holds.
{
    my $M = 400;
    $d = start_daemon(args => ['--changes-max-entries', $M, '--feed-heartbeat', '100ms']);
    # 400 entries of 8 kB: far more than the socket and the backlog read-ahead hold.
    my $big = 'r' x 8000;
    my $batch = sub {
        my ($b) = @_;
        return rpc('put_many', { events => [map { { id => "r$b-$_", title => "retained $b/$_", start => '2024', summary => $big } } 1 .. 200] });
    };
    my ($e, $r);
    ($e, $r) = $batch->($_) for 1 .. 3;
    my $since = $r->{seq} - $M;
    my $c = raw_connect();
    # Not even the answer is read until the end.
    my $msgid = $c->request('subscribe', { since => 0 + $since });
    ok(wait_until(sub { stats()->{server}{subscriptions} == 1 }, 5),
       "subscribe since $since, the oldest entry held - 1, and read nothing");
    ($e, $r) = $batch->($_) for 4 .. 7;
    my $final = $r->{seq};
    my $trimmed = stats()->{trimmed};
    cmp_ok($trimmed, '>=', $since + $M, "meanwhile retention trimmed everything up to $trimmed");
    my (@seqs, @vouched, $ended);
    my $bad_hb = 0;
    my $answer = $c->read_msg(5);
    ok(ref $answer eq 'ARRAY' && $answer->[0] == 1 && $answer->[1] == $msgid && !defined $answer->[2],
       'the subscription was accepted') or diag(to_json($answer));
    while (my $m = $c->read_msg(3)) {
        my $p = $m->[2][0];
        if ($m->[1] eq 'change') { push @seqs, $p->{seq}; next }
        # Every change from since + 1 to sent_to was sent (all pass: no filter).
        my $sent_to = $since;
        $sent_to++ while $sent_to - $since < @seqs && $seqs[$sent_to - $since] == $sent_to + 1;
        if ($m->[1] eq 'heartbeat') {
            if ($p->{seq} > $sent_to) { $bad_hb++; push @vouched, "$p->{seq} after $sent_to" }
            last if $p->{seq} >= $final;
        } else {
            $ended = $m;
            last;
        }
    }
    my @gaps = map { "$seqs[$_ - 1] -> $seqs[$_]" } grep { $seqs[$_] != $seqs[$_ - 1] + 1 } 1 .. $#seqs;
    ok(!@gaps && (!@seqs || $seqs[0] == $since + 1),
       'the changes it is sent have no gap' . (@seqs ? " (got $seqs[0]..$seqs[-1], " . scalar(@seqs) . ' changes)' : ''))
        or diag('gaps: ' . join(', ', @gaps));
    is($bad_hb, 0, 'no heartbeat vouches for changes it was not sent') or diag('heartbeats: ' . join(', ', @vouched));
    my $last = @seqs ? $seqs[-1] : $since;
    ok($last < $trimmed, "it had been sent up to $last when entries after that were trimmed");
    is_deeply($ended, [2, 'gone', [{ sub => $answer->[3]{sub}, seq => $last, oldest => $trimmed + 1 }]],
              "so the subscription ends with gone: {sub, seq: $last (the last change sent), oldest: " . ($trimmed + 1) . '}')
        or diag('ended with ' . ($ended ? to_json($ended) : 'nothing'));
    my @more = $c->read_available(0.3);
    is(scalar @more, 0, 'nothing follows it') or diag(to_json(\@more));
    is(stats()->{server}{subscriptions}, 0, 'the subscription is ended');
    my @notes;
    ($e, $r) = $c->call_amid('subscribe', { since => 0 + $last }, \@notes);
    is_gone($e, $r, $trimmed + 1, "subscribing again since $last");
    is(stop_daemon(), 0, 'annalsd exits 0');
}
done_testing();
