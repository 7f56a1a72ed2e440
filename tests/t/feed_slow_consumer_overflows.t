#!/usr/bin/perl
# A subscriber that does not read cannot make annalsd hold an unbounded queue:
# once the live changes queued for its connection pass feed_buffer its
# subscriptions end with [2, "overflow", [{sub, seq}]], seq being the last
# change sent to it, and resubscribing from that seq delivers the rest with
# no gap. While writers push tens of MiB of events to dozens of such
# subscriptions (GiBs of notifications if they were queued), the daemon's
# memory stays within a few tens of MiB and other clients are served. A
# backlog subscriber (since 0) over a big log is fed only as fast as it
# reads: many that do not read cost no memory, and one that reads slowly
# still gets everything in order.
#
# Memory is RssAnon from /proc/PID/status: the heap. VmRSS also counts the
# pages of the LMDB map that were read (RssFile), which grow with the
# database, not with what is queued; it is shown in the notes.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

plan skip_all => 'needs /proc/PID/status' unless -r "/proc/$$/status";

# AddressSanitizer keeps freed memory in a quarantine (256 MiB by default),
# which would hide what the daemon itself holds; keep it small.
$ENV{ASAN_OPTIONS} = join ':', grep { length } $ENV{ASAN_OPTIONS} // '', 'quarantine_size_mb=8'
    if build_dir() =~ /sanitize/;

my $MiB = 1024 * 1024;
my $d = start_daemon(args => ['--feed-buffer', '64KiB', '--feed-heartbeat', '100ms']);
sub mem {
    my $s = read_file('/proc/' . $d->pid . '/status') // '';
    my %kb = $s =~ /^(VmRSS|RssAnon|RssFile):\s+(\d+)\s+kB/mg;
    return { map { ($_ => ($kb{$_} // 0) * 1024) } qw(VmRSS RssAnon RssFile) };
}
sub mib { sprintf '%.1f MiB', $_[0] / $MiB }
# The bound: far below what unread notifications would take (GiB), with room
# for the sanitizers' own allocation overhead.
my $LIMIT = heap_limit(48 * $MiB);

my $SUMMARY = 32000;
my $body = 's' x $SUMMARY;
my $next_id = 0;
sub events { my ($n, $tag) = @_; return [map { { id => 'ev' . ++$next_id, title => "$tag $next_id", start => '2024', summary => $body } } 1 .. $n] }

# Warm up: the allocator, the map and the writer have seen a few MiB go through.
{
    my ($e, $r);
    ($e, $r) = rpc('put_many', { events => events(10, 'warm') }) for 1 .. 10;
    my $c = raw_connect();
    $c->call('subscribe', { since => 0 });
    while (my $m = $c->read_msg(5)) { last if $m->[2][0]{seq} == $r->{seq} }
    $c->close;
}
my ($he, $h) = rpc('hello');
my $start_seq = $h->{seq};
my $base = mem();
note('baseline: RssAnon ' . mib($base->{RssAnon}) . ', VmRSS ' . mib($base->{VmRSS}));

# ---- Live subscriptions that do not read ---------------------------------------------------------
# Connections with 1 to 16 subscriptions each, 64 in all.
my @SUBS = (1, 1, 2, 4, 8, 16, 16, 16);
my $nsubs = 0;
$nsubs += $_ for @SUBS;
my @stalled;
for my $i (0 .. $#SUBS) {
    my $c = raw_connect(tcp => $i % 2);
    my %by_sub;
    for (1 .. $SUBS[$i]) {
        my ($e, $r) = $c->call('subscribe', {});
        $by_sub{ $r->{sub} } = { sub => $r->{sub}, seq => $r->{seq}, seqs => [] };
    }
    push @stalled, { conn => $c, by_sub => \%by_sub };
}

# Writers: 2 processes, each 50 put_many of 10 events of 32 kB.
my ($WRITERS, $BATCHES, $PER) = (2, 50, 10);
my $pushed = $WRITERS * $BATCHES * $PER * $SUMMARY;
my @pids;
for my $w (1 .. $WRITERS) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $ok = eval {
            my $c = raw_connect();
            for my $b (1 .. $BATCHES) {
                my ($e) = $c->call('put_many', { events => [map { { id => "w$w-$b-$_", title => "writer $w", start => '2024', summary => $body } } 1 .. $PER] }, 30);
                die to_json($e) if $e;
            }
            1;
        };
        print STDERR "writer $w: $@" unless $ok;
        POSIX::_exit($ok ? 0 : 1);
    }
    push @pids, $pid;
}

# Meanwhile: sample the memory, and time what other clients ask.
my ($peak, $slowest, $served, %exit_of) = (0, 0, 0);
my $other = raw_connect(tcp => 1);
my $deadline = time + 30 * slow_factor();
while (keys %exit_of < @pids && time < $deadline) {
    my $m = mem()->{RssAnon};
    $peak = $m if $m > $peak;
    my $t = time;
    my ($e1, $r1) = $other->call('ping');
    my ($e2, $r2) = $other->call('range', { from => '2024', to => '2024', limit => 5 });
    my ($e3, $r3) = $other->call('get', { id => 'ev1' });
    my $dt = time - $t;
    $slowest = $dt if $dt > $slowest;
    $served++ if $r1 && $r1->{pong} && $r2 && @{ $r2->{events} } == 5 && $r3 && $r3->{event};
    for my $pid (@pids) {
        next if exists $exit_of{$pid};
        $exit_of{$pid} = $? >> 8 if waitpid($pid, POSIX::WNOHANG()) == $pid;
    }
    sleep 0.005;
}
is(scalar(grep { $_ == 0 } values %exit_of), $WRITERS, "the writers pushed " . mib($pushed) . " of events, every write acknowledged");
($he, $h) = rpc('hello');
my $final = $h->{seq};
is($final, $start_seq + $WRITERS * $BATCHES * $PER, 'one seq per event written');
my $would = $pushed * $nsubs;
my $growth = $peak - $base->{RssAnon};
ok($growth < $LIMIT, 'the heap grew by ' . mib($growth) . ' (under ' . mib($LIMIT) . ") while $nsubs subscriptions"
   . ' that do not read were owed ' . mib($would) . ' of notifications')
    or diag('peak RssAnon ' . mib($peak) . ', now ' . to_json(mem()));
ok($served >= 3, "another client was served throughout ($served rounds of ping, range, get)");
ok($slowest < 1 * slow_factor(), sprintf('... the slowest round took %.3f s', $slowest));

# ---- What each stalled subscription got, once it reads ----------------------------------------
# Read until every subscription was told, then once more a little later:
# nothing may follow an overflow.
my $after_overflow = 0;
my $read_all = sub {
    my ($st) = @_;
    for my $m ($st->{conn}->read_available(0.01)) {
        my ($kind, $p) = ref $m eq 'ARRAY' && $m->[0] == 2 ? ($m->[1], $m->[2][0]) : ('?', {});
        my $s = $st->{by_sub}{ $p->{sub} // -1 } or next;
        if (defined $s->{overflow}) { $after_overflow++; next }
        if ($kind eq 'change') { push @{ $s->{seqs} }, $p->{seq} }
        elsif ($kind eq 'overflow') { $s->{overflow} = $p->{seq} }
    }
    return !grep { !defined $_->{overflow} } values %{ $st->{by_sub} };
};
# Generous: each stalled connection has megabytes of notifications waiting in
# its socket buffers ahead of the overflows, and the decoder is pure Perl
# (5 s was too short on a loaded 2-core machine); done as soon as all are in.
wait_until(sub { my $done = grep { $read_all->($_) } @stalled; $done == @stalled }, 60);
sleep 0.2;
$read_all->($_) for @stalled;
my (@overflow_at, $bad_prefix, $no_overflow, $wrong_seq);
$bad_prefix = $no_overflow = $wrong_seq = 0;
for my $st (@stalled) {
    for my $s (values %{ $st->{by_sub} }) {
        my @seqs = @{ $s->{seqs} };
        my @want = $s->{seq} + 1 .. $s->{seq} + @seqs;
        $bad_prefix++ unless "@seqs" eq "@want";
        if (!defined $s->{overflow}) { $no_overflow++; next }
        my $last = @seqs ? $seqs[-1] : $s->{seq};
        $wrong_seq++ unless $s->{overflow} == $last;
        push @overflow_at, [$st, $s, $s->{overflow}];
    }
}
is($no_overflow, 0, "all $nsubs stalled subscriptions were told overflow");
is($bad_prefix, 0, '... after the changes from their start, in order, with no gap');
is($wrong_seq, 0, '... and the overflow seq is the last change each was sent');
is($after_overflow, 0, '... and nothing followed the overflow');
my ($se, $sr) = rpc('stats');
is($sr->{server}{subscriptions}, 0, 'the overflowed subscriptions are ended (stats)');

# Resubscribing from the overflow seq: the rest, with no gap (from the lowest
# and from the highest).
@overflow_at = sort { $a->[2] <=> $b->[2] } @overflow_at;
note('overflow seqs: ' . join ' ', map { $_->[2] } @overflow_at);
for my $k (0, $#overflow_at) {
    my ($st, $s, $o) = @{ $overflow_at[$k] };
    my $c = $st->{conn};
    my @notes;
    my ($e, $r) = $c->call_amid('subscribe', { since => 0 + $o }, \@notes);
    ok(!$e, "resubscribe since the overflow seq $o on the same connection") or diag(to_json($e));
    my @seqs;
    while (my $m = shift(@notes) // $c->read_msg(5)) {
        next unless $m->[2][0]{sub} == $r->{sub};
        push @seqs, $m->[2][0]{seq} if $m->[1] eq 'change';
        last if $m->[1] ne 'change' || $m->[2][0]{seq} == $final;
    }
    is_deeply([@seqs[0, -1], scalar @seqs], [$o + 1, $final, $final - $o],
              'it delivers ' . ($o + 1) . "..$final") ;
    ok(!grep({ $seqs[$_] != $seqs[$_ - 1] + 1 } 1 .. $#seqs), '... each once, in order');
    $c->call_amid('unsubscribe', { sub => $r->{sub} }, []);
}
$_->{conn}->close for @stalled;

# ---- Backlog subscribers over the big log -------------------------------------------------------
{
    my $log_bytes = ($final) * $SUMMARY;
    $base = mem();
    my @idle;
    for my $i (1 .. 16) {
        my $c = raw_connect();
        $c->request('subscribe', { since => 0 });   # nothing is read from these
        push @idle, $c;
    }
    my $slow = raw_connect();
    my $msgid = $slow->request('subscribe', { since => 0 });
    my $peak2 = 0;
    my $t0 = time;
    while (time - $t0 < 0.5) { my $m = mem()->{RssAnon}; $peak2 = $m if $m > $peak2; sleep 0.02 }
    # Now read one of them slowly: 64 kB at a time.
    my (@seqs, $answer, @other);
    $t0 = time;
    while (time - $t0 < 20 * slow_factor()) {
        $slow->read_bytes_at_most(65536, 1);
        for my $m ($slow->read_available) {
            if ($m->[0] == 1) { $answer = $m }
            elsif ($m->[1] eq 'change') { push @seqs, $m->[2][0]{seq} }
            else { push @other, $m }
        }
        last if @seqs && $seqs[-1] == $final;
        my $m = mem()->{RssAnon};
        $peak2 = $m if $m > $peak2;
        sleep 0.002;
    }
    my $reading = time - $t0;
    ok($answer && $answer->[1] == $msgid && !defined $answer->[2], 'the slow backlog subscription was accepted');
    is_deeply([@seqs[0, -1], scalar @seqs], [1, $final, $final], sprintf('read slowly (%.1f s), it got seqs 1..%d', $reading, $final));
    ok(!grep({ $seqs[$_] != $seqs[$_ - 1] + 1 } 1 .. $#seqs), '... each once, in order');
    ok(!grep({ $_->[1] eq 'overflow' } @other), '... and no overflow: the backlog waits for the reader');
    my $g = $peak2 - $base->{RssAnon};
    ok($g < $LIMIT, 'the heap grew by ' . mib($g) . ' (under ' . mib($LIMIT) . ') for 17 backlog subscribers over a log of '
       . mib($log_bytes) . ' (' . mib(17 * $log_bytes) . ' if read ahead)')
        or diag('peak RssAnon ' . mib($peak2) . ', now ' . to_json(mem()));
    $_->close for @idle, $slow;
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
