#!/usr/bin/perl
# The query benchmark (build/bench/bench --workload query, the second half
# of `make bench`) works against a real annalsd: its smoke run loads 300 and
# then 1500 generated events with put_many, runs every query workload (range
# with country, participant and q filters, histogram, top, count) at 1 and 8
# connections, gets a well-formed reply to every request, exits 0 and prints
# its table in plain text and in markdown. It refuses a database that already
# holds events. Against a stand-in server whose histogram replies do not add
# up and which does not know top, it names each failing workload with its
# error count and first error, and exits 1. This keeps the benchmark from
# rotting between benchmark runs.
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
my @workloads = qw(range_f range_p hist hist_kind top_country top_part
                   search_1w search_2w search_phr count_f);

my $d = start_daemon(log_level => 'info');
my $r = Annals::Test::run_cmd([$bench, '--workload', 'query', '--socket', $d->socket, '--smoke'],
                              timeout => 120);
is($r->exit, 0, 'bench --workload query --smoke exits 0') or diag($r->describe);
is($r->err, '', 'and reports no failure on stderr');
like($r->out, qr/^N=300: loaded 300 events in [\d.]+ s \(\d+ events\/s\); the database holds 300 events/m,
     'it loads 300 events');
like($r->out, qr/^N=1500: loaded 1200 events in [\d.]+ s \(\d+ events\/s\); the database holds 1500 events/m,
     'then 1200 more, to 1500');
like($r->out, qr/^workload\s+conc\s+ops\/s\s+p50 ms\s+p99 ms\s+hits\s+ops\/s\s+p50 ms\s+p99 ms\s+hits\s+1500\/300\s+errors$/m,
     'it prints the plain table');
like($r->out, qr/^\| workload \| conc \| ops\/s 300 \| p50 ms 300 \| p99 ms 300 \| hits 300 \| ops\/s 1500 \|.*\| p50 1500\/300 \| errors \|$/m,
     'and the markdown table');
# Each workload's markdown row: four cells of numbers at each size, a
# ratio, and no error; on failure, show the row and the workload's line
# from the error list rather than the whole output.
my %row = map { /^\| (\w+) \| (\d+) \|(.*)\|$/ ? ("$1 $2" => [ split /\|/, $3 ]) : () }
          split /\n/, $r->out;
my %error = map { /^  (\w+): (.*)$/ ? ($1 => $2) : () } split /\n/, $r->out;
for my $w (@workloads) {
    for my $c (1, 8) {
        my @cells = map { s/^\s+|\s+$//gr } @{ $row{"$w $c"} // [] };
        ok(@cells == 10 && !grep({ !/^\d+(?:\.\d+)?$/ } @cells) && $cells[-1] eq '0',
           "$w at $c connection(s): replies at both sizes, no error")
            or diag("row: | @cells |", $error{$w} ? "; errors: $error{$w}" : '');
    }
}
ok($r->out =~ /^query: ok: every request of the 40 runs got a reply that passed its check$/m,
   'every request of every run got a reply that passed its check')
    or diag(join "\n", grep { /^query: / } split /\n/, $r->out);
my ($e, $st) = rpc('stats');
is($st->{events}, 1500, 'the daemon holds the 1500 events the benchmark loaded');

# The workload loads its own events and says so when the database is not empty.
my $again = Annals::Test::run_cmd([$bench, '--workload', 'query', '--socket', $d->socket, '--smoke'],
                                  timeout => 60);
is($again->exit, 1, 'on a database that holds events: exit 1') or diag($again->describe);
like($again->err, qr/^bench: FAIL: the server already holds 1500 events; .*needs an empty database$/m,
     'and it says why');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');

# Replies are checked, and errors reported per workload: a stand-in server
# answers range and count well, histogram with buckets that do not add up
# to the total, and top with unknown_method.
{
    my $dir = File::Temp->newdir('annals-fake-XXXXXX', DIR => '/tmp');
    my $path = "$dir/fake.sock";
    my $pid = fake_query_server($path);
    my $f = Annals::Test::run_cmd([$bench, '--workload', 'query', '--socket', $path, '--smoke',
                                   '--query-n', '50', '--concurrency', '1,2'], timeout => 60);
    kill 'TERM', $pid;
    waitpid($pid, 0);
    is($f->exit, 1, 'against the stand-in: exit 1') or diag($f->describe);
    my $out = $f->out;
    like($out, qr/^Errors:$/m, 'it lists the errors');
    for my $w (qw(hist hist_kind)) {
        like($out, qr/^  \Q$w\E: \d+ errors in \d+ replies, in 2 of 2 runs; first \(N=50 c=1\): the buckets add up to 24, not to total 7$/m,
             "$w: histogram replies that do not add up are errors, with the first one shown");
    }
    for my $w (qw(top_country top_part)) {
        like($out, qr/^  \Q$w\E: \d+ errors in \d+ replies, in 2 of 2 runs; first \(N=50 c=1\): server error \["unknown_method", "unknown method 'top'"\]$/m,
             "$w: an error reply is counted and its message shown");
        like($out, qr/^\| \Q$w\E \| 1 \| ERR \| - \| - \| - \| [1-9]\d* \|$/m,
             "$w: its row in the table says ERR and how many errors");
    }
    for my $w (qw(range_f range_p search_1w search_2w search_phr count_f)) {
        unlike($out, qr/^  \Q$w\E: /m, "$w: well-formed replies are no errors");
    }
    like($out, qr/^query: 8 of 20 runs got errors \(see Errors above\)$/m, 'the summary counts the runs with errors');
}
done_testing();

# fake_query_server($path): a child process that listens on $path and
# answers like annalsd would an empty database that fills up: stats (events
# so far), put_many (one id per event), range ({events: [], next: nil}),
# count ({count: 0}); but histogram with 24 buckets of 1 and a total of 7,
# and top with unknown_method.
sub fake_query_server {
    my ($path) = @_;
    my $listen = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Local => $path, Listen => 32)
        or die "listen $path: $!";
    my $pid = fork // die "fork: $!";
    if ($pid) {
        close $listen;
        return $pid;
    }
    alarm 60;
    my $sel = IO::Select->new($listen);
    my %dec;
    my $events = 0;
    my $int = \&Annals::MsgPack::int;
    while (1) {
        for my $fh ($sel->can_read) {
            if ($fh == $listen) {
                my $c = $listen->accept or next;
                $sel->add($c);
                $dec{fileno $c} = Annals::MsgPack::Decoder->new;
                next;
            }
            my $n = sysread($fh, my $buf, 262144);
            if (!$n) {
                $sel->remove($fh);
                close $fh;
                next;
            }
            my $dm = $dec{fileno $fh};
            $dm->feed($buf);
            my $outbuf = '';
            while (my ($ok, $m) = $dm->next) {
                last unless $ok;
                my ($msgid, $method, $params) = ($m->[1], $m->[2], $m->[3]);
                my ($err, $result);
                if ($method eq 'stats') {
                    $result = { events => $int->($events), db => { used_bytes => $int->(0) } };
                } elsif ($method eq 'put_many') {
                    my $k = scalar @{ $params->[0]{events} };
                    $result = { ids => [ map { 'id' . ($events + $_) } 1 .. $k ],
                                seq => $int->($events + $k) };
                    $events += $k;
                } elsif ($method eq 'range') {
                    $result = { events => [], next => undef };
                } elsif ($method eq 'count') {
                    $result = { count => $int->(0) };
                } elsif ($method eq 'histogram') {
                    $result = { buckets => [ map { [ sprintf('2001-%02d', $_), $int->(1) ] } 1 .. 24 ],
                                total => $int->(7) };
                } else {
                    $err = [ 'unknown_method', "unknown method '$method'" ];
                }
                $outbuf .= Annals::MsgPack::encode([$int->(1), $int->($msgid), $err, $result]);
            }
            syswrite($fh, $outbuf) if length $outbuf;
        }
    }
}
