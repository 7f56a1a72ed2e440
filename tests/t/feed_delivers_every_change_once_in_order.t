#!/usr/bin/perl
# The change feed under concurrent writes: several writer processes put,
# put_many and delete at once while subscribers join at different moments
# (before the writes, while they are in flight, after them; since 0, since
# the current seq, without since). Every subscriber receives exactly the seqs
# after its starting point, each once, in strictly increasing order, across
# the backlog/live switch; each change is the change log's entry for that seq
# (as `changes` pages it), the log holds what the writers were acknowledged,
# and `get` gives the final version of every event.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

my $d = start_daemon(args => ['--feed-heartbeat', '100ms']);
my $tmp = File::Temp->newdir('annals-feed1-XXXXXX', DIR => '/tmp');

# ---- Writers ---------------------------------------------------------------------------
# Each writer owns its ids and knows which are live, so its deletes succeed;
# it writes in pipelined rounds of 3 requests and writes down every answer.
# A gate file paces them: a seq they do not write beyond until it moves
# (the test moves it as it subscribes), or "stop".
my $WRITERS = 4;
my $gate = "$tmp/gate";
sub open_gate { write_file("$gate.tmp", $_[0]); rename "$gate.tmp", $gate or die "gate: $!" }
sub writer {
    my ($w) = @_;
    srand(20240408 + $w);
    my (%live, $r);
    my @ids = map { "w$w-$_" } 1 .. 25;
    my $op = sub {
        my $pick = rand;
        $r++;
        if ($pick < 0.25 && %live) {
            my @l = sort keys %live;
            my $id = $l[int rand @l];
            delete $live{$id};
            return { method => 'delete', params => { id => $id } };
        } elsif ($pick < 0.6) {
            my $id = $ids[int rand @ids];
            $live{$id} = 1;
            return { method => 'put', params => { event => {
                id => $id, title => "writer $w round $r", start => sprintf('20%02d', 10 + $r % 15),
                countries => [('MA', 'ES', 'FR')[$r % 3]] } } };
        }
        my %seen;
        my @batch = grep { !$seen{$_}++ } map { $ids[int rand @ids] } 1 .. 2 + int rand 8;
        $live{$_} = 1 for @batch;
        return { method => 'put_many', params => { events => [
            map { { id => $_, title => "writer $w round $r batch", start => '2024-04', tags => ["r$r"] } } @batch ] } };
    };
    my $c = raw_connect(tcp => $w % 2);
    open my $ack, '>', "$tmp/acks-$w" or die "acks: $!";
    my $last = 0;
    while (1) {
        my $g = read_file($gate) // 0;
        last if $g eq 'stop';
        if ($last >= $g) { sleep 0.001; next }
        my @round = map { $op->() } 1 .. 3;
        my @msgids = map { $c->request($_->{method}, $_->{params}) } @round;
        for my $i (0 .. $#round) {
            my $m = $c->read_msg(20) or die "no answer\n";
            die "answer to $m->[1] instead of $msgids[$i]\n" unless $m->[1] == $msgids[$i];
            die 'error: ' . to_json($m->[2]) . "\n" if defined $m->[2];
            print $ack to_json({ op => $round[$i]{method}, params => $round[$i]{params}, seq => $m->[3]{seq} }), "\n";
            $last = $m->[3]{seq} if $m->[3]{seq} > $last;
        }
    }
    close $ack or die "acks: $!";
}

# ---- Subscribers --------------------------------------------------------------------
my @subs;
# subscribe(%o): a new connection and a subscription on it (since => undef
# for "from now on").
sub subscribe {
    my (%o) = @_;
    my $c = raw_connect(tcp => $o{tcp});
    my ($e, $r) = $c->call('subscribe', exists $o{since} && !defined $o{since} ? {} : { since => 0 + $o{since} });
    if ($e) { fail("subscribe $o{name}: " . to_json($e)); return }
    my $s = { %o, conn => $c, sub => $r->{sub}, resp_seq => $r->{seq}, changes => [], other => [],
              last_hb => 0 };
    push @subs, $s;
    return $s;
}
sub take_notes {
    my ($s) = @_;
    for my $m ($s->{conn}->read_available) {
        if (ref $m eq 'ARRAY' && @$m == 3 && $m->[0] == 2 && $m->[1] eq 'change') {
            push @{ $s->{changes} }, $m->[2][0];
        } elsif (ref $m eq 'ARRAY' && @$m == 3 && $m->[0] == 2 && $m->[1] eq 'heartbeat') {
            $s->{last_hb} = $m->[2][0]{seq};
            $s->{hb_sub_ok} //= 1;
            $s->{hb_sub_ok} = 0 unless $m->[2][0]{sub} == $s->{sub};
        } else {
            push @{ $s->{other} }, $m;
        }
    }
}
sub pump_all { take_notes($_) for @subs }

subscribe(name => 'before the writes, since 0', since => 0);
subscribe(name => 'before the writes, no since', since => undef);


my @pids;
open_gate(0);
for my $w (1 .. $WRITERS) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $ok = eval { writer($w); 1 };
        print STDERR "writer $w: $@" unless $ok;
        POSIX::_exit($ok ? 0 : 1);
    }
    push @pids, $pid;
}

# While they write, subscribe at several points of the stream, one at a
# time; the gate lets the writers 150 seqs beyond the next point, so each
# subscription is made with writes still to come.
my @mid = (
    [100, since => 0], [250, since => 0, tcp => 1], [400, since => 'current'], [550, since => 0],
    [700, since => undef], [850, since => 0, tcp => 1], [1000, since => 0],
);
my $NMID = @mid;
my $STOP_AT = 1200;
my $deadline = time + 20 * slow_factor();
open_gate($mid[0][0] + 150);
while (time < $deadline) {
    pump_all();
    my ($e, $h) = rpc('hello');
    my $now = $h->{seq};
    last if !@mid && $now >= $STOP_AT;
    if (@mid && $now >= $mid[0][0]) {
        my ($at, %o) = @{ shift @mid };
        $o{since} = $now if defined $o{since} && $o{since} eq 'current';
        my $s = subscribe(%o, name => "amid the writes (at seq $now), since " . ($o{since} // 'none'));
        $s->{amid} = 1 if $s;
        open_gate(@mid ? $mid[0][0] + 150 : $STOP_AT);
    }
    last if grep { waitpid($_, POSIX::WNOHANG()) == $_ } @pids;    # a writer failed
    sleep 0.002;
}
open_gate('stop');
my $ok_writers = 0;
for my $pid (@pids) { waitpid($pid, 0); $ok_writers++ if $? == 0 }
is($ok_writers, $WRITERS, "all $WRITERS writers got every write acknowledged until they were stopped");
my ($he, $hh) = rpc('hello');
my $total = $hh->{seq};

# Subscribers made while writes were in flight (the backlog/live switch).
my @amid = grep { $_->{amid} } @subs;
is(scalar(grep { $_->{resp_seq} < $total } @amid), $NMID, "$NMID subscriptions were made while writes were in flight")
    or diag(join ' ', map { "$_->{name}: $_->{resp_seq}/$total" } @amid);

# A final marker write, then a subscriber that joins after everything.
my ($e, $r) = rpc('put', { event => { id => 'marker', title => 'the last write', start => '2025' } });
my $final = $r->{seq};
is($final, $total + 1, "the marker comes right after the $total changes by the writers");
subscribe(name => 'after the writes, since 0', since => 0);
subscribe(name => 'after the writes, since the middle', since => int($final / 2), tcp => 1);

# Drained: a heartbeat with the final seq means every change up to it was
# sent before it on that connection.
my $drained = wait_until(sub { pump_all(); !grep { $_->{last_hb} < $final } @subs }, 10);
ok($drained, 'every subscription reaches a heartbeat at the final seq')
    or diag(join "\n", map { "$_->{name}: heartbeat $_->{last_hb}, " . scalar(@{ $_->{changes} }) . ' changes' } @subs);

# ---- The change log, page by page ----------------------------------------------------------
my (@log, $since, $pages, $page_bad);
$since = 0;
$page_bad = 0;
while (1) {
    my ($pe, $p) = rpc('changes', { since => $since, limit => 97 });
    if ($pe) { fail('changes: ' . to_json($pe)); last }
    $pages++;
    last unless @{ $p->{changes} };
    $page_bad++ unless $p->{next} >= $p->{changes}[-1]{seq} && $p->{changes}[0]{seq} > $since;
    push @log, @{ $p->{changes} };
    $since = $p->{next};
    last if $pages > 1000;
}
is($page_bad, 0, 'every page of changes starts after since and ends at or before next');
is_deeply([map { $_->{seq} } @log], [1 .. $final], "the change log, paged by 97, holds seqs 1..$final once each, in order");
my %log_at = map { ($_->{seq} => $_) } @log;

# ---- What the writers were acknowledged is what the log says ---------------------------------------
{
    my ($acks, $wrong) = (0, 0);
    for my $w (1 .. $WRITERS) {
        for my $a (json_lines(read_file("$tmp/acks-$w") // '')) {
            my @expect;
            if ($a->{op} eq 'delete') {
                @expect = ([$a->{seq}, 'delete', $a->{params}{id}, undef]);
            } elsif ($a->{op} eq 'put') {
                @expect = ([$a->{seq}, 'put', $a->{params}{event}{id}, $a->{params}{event}{title}]);
            } else {
                my @evs = @{ $a->{params}{events} };
                @expect = map { [$a->{seq} - $#evs + $_, 'put', $evs[$_]{id}, $evs[$_]{title}] } 0 .. $#evs;
            }
            for my $x (@expect) {
                $acks++;
                my ($seq, $op, $id, $title) = @$x;
                my $l = $log_at{$seq};
                my $ok = $l && $l->{op} eq $op && $l->{id} eq $id
                    && ($op eq 'delete' ? !exists $l->{event}
                                        : $l->{event}{title} eq $title && $l->{event}{seq} == $seq);
                diag("ack " . to_json($x) . " vs log " . to_json($l)) if !$ok && !$wrong++;
            }
        }
    }
    is($acks, $total, "the writers wrote down an acknowledgement for each of the $total changes: one seq per change");
    is($wrong, 0, 'each acknowledged change is in the log at its seq: op, id, the version written');
}

# ---- Every subscriber against the log --------------------------------------------------------------
for my $s (@subs) {
    my $from = !defined $s->{since} ? $s->{resp_seq} : $s->{since};
    my @seqs = map { $_->{seq} } @{ $s->{changes} };
    my $inc = !grep { $seqs[$_] <= $seqs[$_ - 1] } 1 .. $#seqs;
    ok($inc, "$s->{name}: seqs strictly increasing");
    is_deeply(\@seqs, [$from + 1 .. $final], "$s->{name}: exactly the seqs " . ($from + 1) . "..$final")
        or diag('got ' . scalar(@seqs) . ' seqs: ' . join(',', @seqs[0 .. ($#seqs < 30 ? $#seqs : 30)]));
    my $mismatch = 0;
    for my $ch (@{ $s->{changes} }) {
        my %c = %$ch;
        my $sub = delete $c{sub};
        my $l = $log_at{$c{seq}};
        next if $l && $sub == $s->{sub} && to_json(\%c) eq to_json($l);
        diag("$s->{name}: " . to_json($ch) . "\nlog: " . to_json($l)) unless $mismatch++;
    }
    is($mismatch, 0, "$s->{name}: every change carries its sub and equals the log's entry");
    is(scalar @{ $s->{other} }, 0, "$s->{name}: no other message arrived")
        or diag(to_json($s->{other}[0]));
}
ok(!grep({ !$_->{hb_sub_ok} } @subs), 'every heartbeat names its own sub');

# ---- Final states -----------------------------------------------------------------------------------
{
    my %last;
    $last{$_->{id}} = $_ for @log;
    my ($wrong, $n) = (0, 0);
    for my $id (sort keys %last) {
        my ($ge, $gr) = rpc('get', { id => $id });
        my $l = $last{$id};
        my $ok = $l->{op} eq 'delete' ? (ref $ge && $ge->[0] eq 'not_found')
                                      : (!$ge && to_json($gr->{event}) eq to_json($l->{event}));
        $n++;
        diag("$id: get " . to_json([$ge, $gr]) . "\nlast change " . to_json($l)) if !$ok && !$wrong++;
    }
    is($wrong, 0, "get gives each of the $n ids the version of its last change (not_found after a delete)");
    my ($ce, $cr) = rpc('count');
    is($cr->{count}, scalar(grep { $_->{op} eq 'put' } values %last), 'count agrees with the last changes');
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
