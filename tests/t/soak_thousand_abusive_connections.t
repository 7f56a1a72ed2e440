#!/usr/bin/perl
# A thousand connections at once, over TCP and the Unix socket, that mix
# valid calls with junk bytes, half messages left to time out, frames over
# max_message_size or announcing strings over max_string_length, clients
# that never read their replies and subscribers that never read their
# backlog; each one the server closes is opened again, so the thousand stay
# open for the whole run. Meanwhile a well-behaved client keeps calling ping,
# put, get, range and count: every call must succeed, each within a bound,
# and the daemon's heap (RssAnon) must stay bounded. Most of that heap is
# per connection: its 64 KiB read buffer and up to output_limit of replies.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Errno qw(EAGAIN EWOULDBLOCK EINPROGRESS EINTR);
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

plan skip_all => 'needs /proc/PID/status' unless -r "/proc/$$/status";
my $CONNS = 1000;
my $CHILDREN = 4;                       # each holds CONNS / CHILDREN connections
my $need = $CONNS / $CHILDREN + 64;
chomp(my $soft = `sh -c 'ulimit -n' 2>/dev/null` // '');
plan skip_all => "the open files limit ($soft) is below the $need each client process needs"
    if $soft =~ /^\d+$/ && $soft < $need;

$ENV{ASAN_OPTIONS} = join ':', grep { length } $ENV{ASAN_OPTIONS} // '', 'quarantine_size_mb=8'
    if build_dir() =~ /sanitize/;
my $s = slow_factor();
my $MiB = 1024 * 1024;
my $RUN = 10;                            # seconds of abuse
my $CALL_BOUND = 2 * $s;                 # the good client's slowest call may take this
# The bound is what the limits allow per connection, not what is queued:
# a 64 KiB read buffer, output_limit (64 KiB) of replies and the one reply
# (a 40 kB range page) that crosses it, for each of the thousand; about
# 165 MiB. Runs measure 60 to 105 MiB, the peak depending on how many
# non-readers and refused frames coincide. Unbounded queues would take GiBs.
# Where the peak goes (four runs in 2026-11 grew by 73, 93, 84 and 85 MiB;
# the split is the workload's arithmetic, not a per-class measurement):
# the ~170 never-reading clients and ~170 never-reading subscribers hold
# output_limit plus a crossing reply each (~35 MiB together); the ~40
# oversize clients that send real bytes each make the daemon buffer up to
# max_message_size (1 MiB) before the frame is refused (up to ~40 MiB when
# they coincide, given back once refused); the rest is malloc's free lists.
# Read buffers of lingering and half-sent connections are not the cost:
# giving those back (tried) left the peak where it was. So the bound cannot
# honestly be tightened from the limits: counting the oversize buffers it
# would grow, and a bound from the runs alone would only measure the noise.
my $GROWTH_LIMIT = $CONNS * (64 + 64 + 40) * 1024 * (build_dir() =~ /sanitize/ ? 2 : 1);

my $d = start_daemon(log_level => 'info', args => [
    '--max-connections', $CONNS + 50, '--max-message-size', '1MiB', '--max-string-length', '64KiB',
    '--request-timeout', (300 * $s) . 'ms', '--output-limit', '64KiB', '--output-timeout', (1000 * $s) . 'ms']);
unlike($d->log_text, qr/open files limit \(\d+\) is below/, 'annalsd has descriptors for max_connections')
    or diag($d->log_text);

sub mem {
    my $st = read_file('/proc/' . $d->pid . '/status') // '';
    return ($st =~ /^RssAnon:\s+(\d+)\s+kB/m ? $1 : 0) * 1024;
}
sub mib { sprintf '%.1f MiB', $_[0] / $MiB }
sub mp { Annals::MsgPack::encode(@_) }
sub req { my ($id, $method, $params) = @_; mp([0, $id, Annals::MsgPack::str($method), $params // []]) }

# Something for ranges to return: 200 events of 2 kB.
my @seed = map { { id => sprintf('seed%03d', $_), title => "seed $_", start => '1960', summary => 'z' x 2000 } } 1 .. 200;
my ($e) = rpc('put_many', { events => \@seed });
ok(!$e, 'seeded 200 events') or diag(to_json($e));
rpc('count', { from => '1960', to => '1960' });
# Warm up the allocator with the good client's own mix before the baseline.
my $good = raw_connect();
for my $i (1 .. 50) {
    $good->call('put', { event => { id => "warm$i", title => "warm $i", start => '1961' } });
    $good->call('range', { from => '1960', to => '1960', limit => 20 });
}
my $base = mem();
note('baseline RssAnon ' . mib($base));

# ---- the abusers: $CHILDREN processes, each keeping its share open ---------------------------
my $port = $d->port;
my $sock = $d->socket;
my $range = req(7, 'range', [{ from => '1960', to => '1960', limit => 20 }]);       # ~40 kB reply
my $put = req(8, 'put', [{ event => { title => 'half', start => '2024', summary => 'h' x 300 } }]);
my @KINDS = qw(valid junk half oversize never_reads subscriber_never_reads);

sub abuser {
    my ($child) = @_;
    srand($$);
    my $n = $CONNS / $CHILDREN;
    my (@c, %stat);
    my $open = sub {
        my ($i) = @_;
        my $kind = $KINDS[($child * $n + $i) % @KINDS];
        my $so = $i % 2
            ? IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
            : IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock);
        if (!$so) { $stat{connect_failed}++; return $c[$i] = undef }
        $so->blocking(0);
        $stat{opened}++;
        my $x = $c[$i] = { so => $so, kind => $kind, t0 => time, out => '', sent => 0, got => 0 };
        if    ($kind eq 'valid')    { $x->{out} = req(1, 'ping') . req(2, 'get', [{ id => 'seed001' }]) . $range }
        elsif ($kind eq 'junk')     { $x->{out} = "\xc1" . join '', map { chr int rand 256 } 1 .. 200 + int rand 2000 }
        elsif ($kind eq 'half')     { $x->{out} = substr($put, 0, 1 + int rand(length($put) - 2)) }
        elsif ($kind eq 'oversize') {
            # Most announce a 16 MiB string; a quarter send real bytes past
            # 1 MiB, which the daemon buffers (up to max_message_size each)
            # until the header that crosses the limit arrives.
            $x->{out} = $i % 8 < 6 ? req(3, 'get', [{ id => Annals::MsgPack::raw(pack('CN', 0xdb, 16 * $MiB)) }])
                                   : mp([0, 4, Annals::MsgPack::str('ping'), [Annals::MsgPack::bin('o' x 60000) x 20]]);
        }
        elsif ($kind eq 'never_reads') { $x->{out} = $range x 40 }
        else                           { $x->{out} = req(5, 'subscribe', [{ since => 0 }]) . $range x 10 }
        return $x;
    };
    $open->($_) for 0 .. $n - 1;
    my $end = time + $RUN;
    while (time < $end) {
        for my $i (0 .. $n - 1) {
            my $x = $c[$i] // $open->($i) // next;
            if (length $x->{out}) {
                my $w = syswrite($x->{so}, $x->{out});
                if (defined $w) { substr($x->{out}, 0, $w) = '' }
                elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) { $x->{dead} = 1 }
            }
            # Those that never read are only written to; they find out they
            # were closed from a failed write, or give up after a while.
            if ($x->{kind} !~ /never_reads/) {
                while (1) {
                    my $r = sysread($x->{so}, my $buf, 65536);
                    if (!defined $r) { $x->{dead} = 1 if $! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR; last }
                    if ($r == 0) { $x->{dead} = 1; last }
                    $x->{got} += $r;
                    last if $r < 65536;
                }
            } elsif (time - $x->{t0} > 4 * $s) {
                $x->{dead} = 1;
            }
            # A valid client that got its three replies asks again.
            if ($x->{kind} eq 'valid' && !$x->{dead} && !length $x->{out} && $x->{got} > 40000 && rand() < 0.2) {
                $stat{valid_rounds}++;
                $x->{got} = 0;
                $x->{out} = req(1, 'ping') . $range;
            }
            if ($x->{dead}) {
                $stat{"closed_$x->{kind}"}++;
                close $x->{so};
                $c[$i] = undef;
            }
        }
        sleep 0.01;
    }
    my $open_now = grep { defined } @c;
    close $_->{so} for grep { defined } @c;
    $stat{open_at_end} = $open_now;
    print join(' ', map { "$_=$stat{$_}" } sort keys %stat), "\n";
    POSIX::_exit(0);
}

my @kids;
for my $child (0 .. $CHILDREN - 1) {
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) { close $r; open STDOUT, '>&', $w or POSIX::_exit(1); alarm 0; abuser($child) }
    close $w;
    push @kids, { pid => $pid, r => $r };
}

# ---- the good client, meanwhile --------------------------------------------------------------
my ($calls, $failed, $slowest, $peak, $peak_conns) = (0, 0, 0, $base, 0);
my $t_end = time + $RUN;
my $next_sample = 0;
my $i = 0;
while (time < $t_end) {
    $i++;
    my @steps = (
        [ping => undef, sub { $_[0]{pong} }],
        [put => { event => { id => "good$i", title => "good $i", start => '1962', tags => ['good'] } },
         sub { ($_[0]{id} // '') eq "good$i" }],
        [get => { id => "good$i" }, sub { ($_[0]{event}{title} // '') eq "good $i" }],
        [range => { from => '1962', to => '1962', limit => 10000 }, sub { @{ $_[0]{events} } == $i }],
        [count => { from => '1962', to => '1962' }, sub { ($_[0]{count} // -1) == $i }],
    );
    for my $st (@steps) {
        my ($m, $p, $check) = @$st;
        my $t = time;
        my ($err, $res) = eval { $good->call($m, $p) };
        my $took = time - $t;
        $calls++;
        $slowest = $took if $took > $slowest;
        if ($@ || $err || !$res || !$check->($res) || $took > $CALL_BOUND) {
            diag(sprintf "good call %d (%s) failed after %.2f s: %s", $calls, $m, $took,
                 $@ || to_json([$err, $res && $m ne 'range' ? $res : undef])) if $failed++ < 5;
        }
    }
    if (time >= $next_sample) {
        my $m = mem();
        $peak = $m if $m > $peak;
        my ($se, $sr) = eval { $good->call('stats') };
        $peak_conns = $sr->{server}{connections} if $sr && $sr->{server}{connections} > $peak_conns;
        $next_sample = time + 0.25;
    }
}
my %stat;
for my $k (@kids) {
    my $line = readline($k->{r}) // '';
    waitpid($k->{pid}, 0);
    $stat{$1} += $2 while $line =~ /(\w+)=(\d+)/g;
}
note(join ', ', map { "$_ $stat{$_}" } sort keys %stat);
cmp_ok($stat{opened} // 0, '>=', $CONNS, "the abusers opened $stat{opened} connections, $CONNS at once");
ok(!$stat{connect_failed}, 'every connection was accepted') or diag("$stat{connect_failed} connects failed");
cmp_ok($peak_conns, '>=', $CONNS * 0.9, "the daemon held $peak_conns connections at the peak");
cmp_ok($stat{$_} // 0, '>', 0, "$_ connections were closed by the server and opened again")
    for qw(closed_junk closed_half closed_oversize);
cmp_ok($stat{valid_rounds} // 0, '>', 0, "valid abusers were served ($stat{valid_rounds} further rounds)");
cmp_ok($calls, '>', 100, "the good client made $calls calls");
is($failed, 0, 'every one of them succeeded, with the right answer');
cmp_ok($slowest, '<=', $CALL_BOUND, sprintf('the slowest took %.3f s', $slowest));
note('peak RssAnon ' . mib($peak) . ', growth ' . mib($peak - $base));
cmp_ok($peak - $base, '<', $GROWTH_LIMIT,
       sprintf('the daemon\'s heap grew by %s at most (peak %s)', mib($peak - $base), mib($peak)));

# Afterwards: everyone's connection is given back, and the daemon serves on.
ok(wait_until(sub { my ($se, $sr) = eval { $good->call('stats') }; $sr && $sr->{server}{connections} <= 2 }, 10),
   'every abusive connection is gone');
my ($pe, $pr) = rpc('ping');
ok($pr && $pr->{pong}, 'a new client is served');
is(stop_daemon(), 0, 'annalsd exits 0');
done_testing();
