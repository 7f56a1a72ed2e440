#!/usr/bin/perl
# The feed benchmark (build/bench/bench, what `make bench` runs) works against
# a real annalsd: its smoke run, over the Unix socket and then over TCP on a
# database that already holds changes, exits 0 and reports that every
# subscriber received every change exactly once, in order; and against a
# stand-in server that duplicates or drops a change, it fails loudly. The
# benchmark checks delivery itself; this keeps it from rotting between
# benchmark runs.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use IO::Select ();
use IO::Socket::UNIX ();
use Socket ();
use Test::More;
use Annals::Test;

# The benchmark starts its own annalsd, outside valgrind, and measures speed.
valgrind_skip("a benchmark starts its own annalsd and measures speed");
use Annals::MsgPack;

my $bench = build_dir() . '/bench/bench';
if (!ok(-x $bench, "the benchmark is built ($bench)")) {
    done_testing();
    exit;
}

my $d = start_daemon(log_level => 'info');

# run_smoke(@where): run `bench --smoke` against the daemon; returns the
# result and the seq range the benchmark says every subscriber received.
sub run_smoke {
    my ($label, @where) = @_;
    my $r = Annals::Test::run_cmd([$bench, @where, '--smoke'], timeout => 60);
    is($r->exit, 0, "$label: bench --smoke exits 0") or diag($r->describe);
    is($r->err, '', "$label: and reports no failure on stderr");
    like($r->out, qr/^\s*subscribers\s+per sub\s+total\s+puts\/s\s+median\s+p99\s+max$/m,
         "$label: it prints the table");
    my ($first, $last) = $r->out =~
        /^S=2: exactly-once: ok: each of 2 subscribers received seqs (\d+)\.\.(\d+) once each, in order$/m;
    ok(defined $first, "$label: it reports exactly-once, in-order delivery to both subscribers")
        or diag($r->describe);
    return ($r, $first // 0, $last // 0);
}

my ($r1, $first1, $last1) = run_smoke('unix socket', '--socket', $d->socket);
is($first1, 1, 'on a fresh database the changes start at seq 1');
cmp_ok($last1, '>', 10, 'and the writer got more than a handful of puts acknowledged');

my ($r2, $first2, $last2) = run_smoke('tcp', '--host', '127.0.0.1', '--port', $d->port);
is($first2, $last1 + 1, 'a second run follows from where the database stood (subscribe without since)');
cmp_ok($last2, '>', $first2, 'and delivers its own changes');

my ($e, $h) = rpc('hello');
is($h->{seq}, $last2, 'every seq the benchmark wrote is the one annalsd reports');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');

# The check has teeth: against a stand-in server that sends one change twice
# to a subscriber, or leaves one out, the benchmark says so and exits 1.
for my $fault ('duplicate', 'gap') {
    my $dir = File::Temp->newdir('annals-fake-XXXXXX', DIR => '/tmp');
    my $path = "$dir/fake.sock";
    my $pid = fake_feed_server($path, $fault);
    my $r = Annals::Test::run_cmd([$bench, '--socket', $path, '--smoke'], timeout => 60);
    kill 'TERM', $pid;
    waitpid($pid, 0);
    is($r->exit, 1, "a $fault: bench exits 1") or diag($r->describe);
    my $what = $fault eq 'duplicate' ? qr/seq 20 received again/ : qr/seqs 20\.\.20 skipped/;
    like($r->err, qr/^bench: FAIL: subscriber \d+ .*\n(?:bench:   .*\n)*bench:   $what/m,
         "a $fault: it names the subscriber and the seq on stderr");
    like($r->out, qr/^S=2: exactly-once: FAILED/m, "a $fault: the report says FAILED");
}
done_testing();

# fake_feed_server($path, $fault): a child process that listens on $path and
# answers stats, subscribe and put like annalsd (each put gets the next seq
# and a change notification to every subscription), except that subscription
# 1 gets seq 20 twice ($fault 'duplicate') or not at all ('gap').
sub fake_feed_server {
    my ($path, $fault) = @_;
    my $listen = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Local => $path, Listen => 32)
        or die "listen $path: $!";
    my $pid = fork // die "fork: $!";
    if ($pid) {
        close $listen;
        return $pid;
    }
    alarm 60;
    my $sel = IO::Select->new($listen);
    my (%dec, @subs, %sub_of);
    my ($seq, $next_sub) = (0, 0);
    my $send = sub { my ($fh, $msg) = @_; syswrite($fh, Annals::MsgPack::encode($msg)) };
    my $int = \&Annals::MsgPack::int;
    while (1) {
        for my $fh ($sel->can_read) {
            if ($fh == $listen) {
                my $c = $listen->accept or next;
                $sel->add($c);
                $dec{fileno $c} = Annals::MsgPack::Decoder->new;
                next;
            }
            my $n = sysread($fh, my $buf, 65536);
            if (!$n) {
                $sel->remove($fh);
                @subs = grep { $_ != $fh } @subs;
                close $fh;
                next;
            }
            my $d = $dec{fileno $fh};
            $d->feed($buf);
            while (my ($ok, $m) = $d->next) {
                last unless $ok;
                my ($msgid, $method) = ($m->[1], $m->[2]);
                my $result;
                if ($method eq 'stats') {
                    $result = { server => { pid => $int->($$) }, writes => { commits => $int->(0) } };
                } elsif ($method eq 'subscribe') {
                    push @subs, $fh;
                    $sub_of{fileno $fh} = ++$next_sub;
                    $result = { sub => $int->($next_sub), seq => $int->($seq) };
                } elsif ($method eq 'put') {
                    $seq++;
                    for my $s (@subs) {
                        my $sub = $sub_of{fileno $s};
                        my $copies = $seq == 20 && $sub == 1 ? ($fault eq 'duplicate' ? 2 : 0) : 1;
                        $send->($s, [$int->(2), 'change', [{ sub => $int->($sub), seq => $int->($seq),
                                     op => 'put', id => "e$seq", event => { title => 't' } }]])
                            for 1 .. $copies;
                    }
                    $result = { id => "e$seq", seq => $int->($seq) };
                }
                $send->($fh, [$int->(1), $int->($msgid), undef, $result]);
            }
        }
    }
}
