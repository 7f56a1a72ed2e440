#!/usr/bin/perl
# What annalsd acknowledged survives a restart, after SIGTERM and after
# SIGKILL (even in the middle of a stream of writes), and the change sequence
# number continues where it stopped: never reused, never going back.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::MsgPack;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $d = start_daemon();
my (%live, %gone, $last_seq, %seq_seen);
my $reused = 0;
sub note_seq { my ($s) = @_; $reused++ if $seq_seen{$s}++; $last_seq = $s if !defined $last_seq || $s > $last_seq }

# Every event that should be there, with the seq of the write that made it.
# With in_flight, writes sent but not acknowledged may also have been
# applied, so the totals may be larger.
sub check_all {
    my ($label, %o) = @_;
    my $cmp = $o{in_flight} ? '>=' : '==';
    my ($missing, $wrong, $resurrected) = (0, 0, 0);
    for my $id (sort keys %live) {
        my ($e, $r) = rpc('get', { id => $id });
        if ($e) { diag("$label: $id: " . to_json($e)) unless $missing++; next }
        my $ev = $r->{event};
        my $want = $live{$id};
        unless ($ev->{title} eq $want->{title} && $ev->{seq} == $want->{seq}
                && (!defined $want->{created} || $ev->{created} eq $want->{created})) {
            diag("$label: $id: " . to_json($ev)) unless $wrong++;
        }
    }
    for my $id (sort keys %gone) {
        my ($e) = rpc('get', { id => $id });
        $resurrected++ unless ref $e && $e->[0] eq 'not_found';
    }
    is($missing, 0, "$label: every acknowledged event is there");
    is($wrong, 0, "$label: each with its title, seq and created");
    is($resurrected, 0, "$label: no deleted event came back");
    my $what = $o{in_flight} ? 'at least ' : '';
    my ($e, $r) = rpc('count');
    cmp_ok($r->{count}, $cmp, scalar keys %live, "$label: count is ${what}the number of live events");
    ($e, $r) = rpc('hello');
    cmp_ok($r->{seq}, $cmp, $last_seq, "$label: hello reports ${what}the last acknowledged seq");
    my $hello_seq = $r->{seq};
    ($e, $r) = rpc('stats');
    cmp_ok($r->{events}, $cmp, scalar keys %live, "$label: stats counts ${what}the live events");
    is($r->{seq}, $hello_seq, "$label: stats reports the seq hello does");
    is($r->{changes}, $hello_seq, "$label: the change log holds one entry per write");
}

# --- writes through the client and raw RPC ------------------------------------------
for my $i (1 .. 10) {
    my $ev = { id => "c$i", title => "client put $i — $i", start => sprintf("2024-04-%02d", $i) };
    my $r = client('put', to_json($ev));
    is($r->exit, 0, "client put $i") or diag($r->describe);
    my $s = ($r->json // {})->{seq};
    $live{"c$i"} = { title => $ev->{title}, seq => $s };
    note_seq($s);
}
{
    my @evs = map { { id => "m$_", title => "many $_", start => '2023' } } 1 .. 50;
    my ($e, $r) = rpc('put_many', { events => \@evs });
    ok(!$e, 'put_many of 50') or diag(to_json($e));
    is(scalar @{ $r->{ids} }, 50, 'put_many returns 50 ids');
    # Consecutive seqs in array order, the last one returned.
    for my $i (0 .. 49) {
        $live{"m" . ($i + 1)} = { title => "many " . ($i + 1), seq => $r->{seq} - 49 + $i };
        note_seq($r->{seq} - 49 + $i);
    }
}
for my $id (qw(c3 m7 m8)) {
    my ($e, $r) = rpc('delete', { id => $id });
    ok(!$e, "delete $id") or diag(to_json($e));
    note_seq($r->{seq});
    $gone{$id} = delete $live{$id};
}
{
    my ($e, $r) = rpc('put', { event => { id => 'c1', title => 'replaced', start => '2024' } });
    note_seq($r->{seq});
    $live{c1} = { title => 'replaced', seq => $r->{seq} };
}
# Record created for everything, to compare after restarts.
for my $id (keys %live) {
    my ($e, $r) = rpc('get', { id => $id });
    $live{$id}{created} = $r->{event}{created};
}
is($reused, 0, 'no seq was handed out twice');
check_all('before any restart');

# --- SIGTERM ------------------------------------------------------------------------
is(restart(), 0, 'SIGTERM: annalsd exits 0');
check_all('after SIGTERM and restart');
{
    my ($e, $r) = rpc('put', { event => { id => 'after-term', title => 'after term', start => '2025' } });
    is($r->{seq}, $last_seq + 1, 'the first write after the restart gets the next seq');
    note_seq($r->{seq});
    $live{'after-term'} = { title => 'after term', seq => $r->{seq} };
}

# --- SIGKILL after acknowledged writes ------------------------------------------------------
{
    my ($e, $r) = rpc('put_many', { events => [map { { id => "k$_", title => "before kill $_", start => '2022' } } 1 .. 20] });
    for my $i (1 .. 20) { $live{"k$i"} = { title => "before kill $i", seq => $r->{seq} - 20 + $i }; note_seq($r->{seq} - 20 + $i) }
    ($e, $r) = rpc('delete', { id => 'k5' });
    note_seq($r->{seq});
    $gone{k5} = delete $live{k5};
    ($e, $r) = rpc('put', { event => { id => 'k-last', title => 'the last before kill', start => '2022' } });
    note_seq($r->{seq});
    $live{'k-last'} = { title => 'the last before kill', seq => $r->{seq} };
}
is(restart(kill => 1), -9, 'SIGKILL kills annalsd');
check_all('after SIGKILL and restart');

# --- SIGKILL in the middle of a stream of writes --------------------------------------------
{
    my $c = raw_connect();
    my $N = 400;
    my %sent;
    my $bytes = '';
    for my $i (1 .. $N) {
        my $msgid = $c->request('put', { event => { id => "s$i", title => "stream $i", start => '2021' } });
        $sent{$msgid} = "s$i";
    }
    # Read some answers, then kill with the rest in flight.
    my $acked = 0;
    while (my $m = $c->read_msg(5)) {
        my $id = $sent{$m->[1]};
        if (!defined $m->[2]) {
            $live{$id} = { title => "stream " . substr($id, 1), seq => $m->[3]{seq} };
            note_seq($m->[3]{seq});
        }
        last if ++$acked >= $N / 4;
    }
    ok($acked >= 1, "$acked writes of $N acknowledged before the kill");
    is(restart(kill => 1), -9, 'SIGKILL in the middle of a stream of writes');
    check_all('after SIGKILL mid-stream', in_flight => 1);
    my ($e, $r) = rpc('put', { event => { id => 'after-kill', title => 'after kill', start => '2025' } });
    ok($r->{seq} > $last_seq, 'the first write after the kill gets a seq above every acknowledged one');
    my ($e2, $h) = rpc('hello');
    is($h->{seq}, $r->{seq}, 'hello agrees');
    # Writes that were in flight may or may not have been applied; the ones
    # that were are complete events.
    my ($e3, $all) = rpc('range', { from => '2021', to => '2021', limit => 10000 });
    my @partial = grep { $_->{title} !~ /^stream \d+$/ } @{ $all->{events} };
    is(scalar @partial, 0, 'writes in flight were applied whole or not at all');
    my %seqs;
    my $dup = grep { $seqs{$_->{seq}}++ } @{ $all->{events} };
    is($dup, 0, 'no two stored versions share a seq');
}

# --- a clean stop after all that -----------------------------------------------------------
is(restart(), 0, 'SIGTERM after the kills: exit 0');
my ($e, $r) = rpc('ping');
ok($r && $r->{pong}, 'and it serves again');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
