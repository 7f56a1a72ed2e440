#!/usr/bin/perl
# What one client can make annalsd hold stays bounded: a range page stops
# at about 16 MiB of events however large the limit (next carries on, with
# nothing lost or repeated), and a client that pipelines large writes
# without reading the replies is made to wait instead of filling memory.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use IO::Select;
use Time::HiRes qw(time sleep);
use Annals::Test;
use Annals::MsgPack;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);
plan skip_all => 'needs /proc/PID/status' unless -r "/proc/$$/status";
$ENV{ASAN_OPTIONS} = join ':', grep { length } $ENV{ASAN_OPTIONS} // '', 'quarantine_size_mb=8'
    if build_dir() =~ /sanitize/;

my $MiB = 1024 * 1024;
sub mib { sprintf '%.1f MiB', $_[0] / $MiB }

# ---- Large events: pages bounded by bytes, paging exact ---------------------------------------
my $d = start_daemon();
my $blob = 'ب' x 450_000;              # 900 kB of UTF-8 per event
my $N = 30;
for my $i (1 .. $N) {
    my ($e) = rpc('put', { event => { id => sprintf('big%02d', $i), title => "كبير $i", start => '2024-03-01', extra => { blob => $blob } } });
    ok(!$e, "put large event $i") or diag(to_json($e));
}
my ($e, $r) = rpc('range', { from => '2024', to => '2024', limit => 10000 });
ok(!$e, 'range with limit 10000 over 27 MB of events answers');
my $first = scalar @{ $r->{events} };
cmp_ok($first, '<', $N, "the page stops early ($first of $N events)");
cmp_ok($first, '>=', 1, 'but is never empty');
ok(defined $r->{next}, 'and next says more follow');
my @ids = map { $_->{id} } @{ $r->{events} };
my $pages = 1;
while (defined $r->{next}) {
    ($e, $r) = rpc('range', { from => '2024', to => '2024', limit => 10000, cursor => $r->{next} });
    last if $e || $pages++ > $N;
    push @ids, map { $_->{id} } @{ $r->{events} };
}
is_deeply(\@ids, [map { sprintf 'big%02d', $_ } 1 .. $N], "paging ($pages pages) returns every event once, in order");
is(length $r->{events}[-1]{extra}{blob}, length $blob, 'large events come back whole');
is(stop_daemon(), 0, 'annalsd stops cleanly');

# ---- A client that pipelines large writes and reads nothing ------------------------------------
$d = start_daemon(args => ['--output-limit', '1MiB']);
sub heap { my $s = read_file('/proc/' . $d->pid . '/status') // ''; return ($s =~ /^RssAnon:\s+(\d+)\s+kB/m ? $1 : 0) * 1024 }
my $base = heap();
my ($BATCHES, $PER) = (20, 10);
my $chunk = 'x' x 1_000_000;            # 10 MB per put_many, 200 MB in all
my $flood = raw_connect();
my $peak = 0;
my $bytes = join '', map { my $n = $_; Annals::MsgPack::encode([0, 0 + $n, 'put_many',
    [{ events => [map { { id => "f$n-$_", title => 'flood', start => '2025', extra => { c => $chunk } } } 1 .. $PER] }]]) } 1 .. $BATCHES;
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    # The sender: everything in one go with blocking writes; it reads nothing
    # (the replies are left for the parent).
    # O_NONBLOCK belongs to the socket both processes share: keep it, and
    # wait for room with select instead.
    my $fh = $flood->{sock};
    my $sel = IO::Select->new($fh);
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($fh, $bytes, length($bytes) - $off, $off);
        if (defined $n) { $off += $n; next }
        unless ($!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR}) { print STDERR "sender: $!\n"; POSIX::_exit(1) }
        $sel->can_write(1);
    }
    POSIX::_exit(0);
}
my $other = raw_connect();
my ($served, $t0) = (0, time);
my $status;
while (time - $t0 < 60 * slow_factor()) {
    my $w = waitpid($pid, POSIX::WNOHANG());
    if ($w == $pid) { $status = $?; last }
    my $h = heap();
    $peak = $h if $h > $peak;
    my ($pe, $pr) = $other->call('ping');
    $served++ if $pr && $pr->{pong};
    sleep 0.01;
}
is($status, 0, 'the flooding client sent all its writes');
my @answers;
while (@answers < $BATCHES) {
    my $m = $flood->read_msg(30);
    last unless $m;
    push @answers, $m;
}
is(scalar(grep { !defined $_->[2] } @answers), $BATCHES, 'then every one of its writes was acknowledged') or diag(to_json([map { $_->[2] } @answers]));
my $growth = $peak - $base;
my $limit = heap_limit(128 * $MiB);
ok($growth < $limit, 'meanwhile the heap grew by ' . mib($growth) . ' (under ' . mib($limit) . ') for '
   . mib($BATCHES * $PER * length $chunk) . ' of pipelined writes');
cmp_ok($served, '>', 0, "another client was served meanwhile ($served pings)");
($e, $r) = rpc('count', { from => '2025', to => '2025' });
is($r->{count}, $BATCHES * $PER, 'all flooded events are stored');
is(stop_daemon(), 0, 'annalsd stops cleanly');
done_testing();
