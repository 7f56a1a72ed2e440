#!/usr/bin/perl
# stats counts every request of each method exactly, with its errors by
# code (including a write refused by the writer after validation), and
# latency percentiles that are ordered and positive; messages that are not
# requests of a known method are counted under protocol_errors; bytes in and
# out grow by at least what a client sent and received; the database figures
# agree with each other; the change log's range follows retention; a
# subscription catching up on a backlog it does not read shows its lag, and
# none once read. `annals stats --watch` prints one JSON line per sample when
# piped (with rates from the second), redraws a summary on a terminal, and
# ends with exit status 0 on Ctrl-C.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time);
use Annals::Test;
use Annals::MsgPack;

my $d = start_daemon();

sub method_figures {
    my ($s, $m) = @_;
    my $f = $s->{methods}{$m} // {};
    return ($f->{requests} // -1, $f->{errors} // -1, $f->{errors_by_code} // {});
}

# ---- The shape: every method is listed, with zeros before any call -----------------------------
my $s0 = stats();
for my $m (qw(hello auth ping stats put put_many get delete range count histogram top subscribe
              unsubscribe changes backup)) {
    ok(exists $s0->{methods}{$m}, "methods lists $m");
}
is_deeply($s0->{methods}{put}, { requests => 0, errors => 0, errors_by_code => {}, dropped => 0,
                                 latency_us => { p50 => 0, p90 => 0, p99 => 0, max => 0 },
                                 recent_latency_us => { p50 => 0, p90 => 0, p99 => 0, max => 0,
                                                         requests => 0, window_s => 60 } },
          'a method not called yet has zero figures');
is_deeply($s0->{changelog}, { first => 0, last => 0 }, 'an empty change log has the range 0..0');
is_deeply($s0->{subscriptions}, [], 'no subscriptions listed');
is_deeply($s0->{server}{protocol_errors}, { unknown_method => 0, malformed => 0, framing => 0, ignored => 0 },
          'no protocol errors yet');

# ---- Known calls on one connection, counting its bytes ------------------------------------------
my $c = raw_connect();
my %tally = (sent => 0, recv => 0);
my $msgid = 1;
# Send raw bytes and read the reply, counting both directions exactly.
sub exchange {
    my ($bytes, $want_reply) = @_;
    $tally{sent} += length $bytes;
    $c->send_bytes($bytes) or die "send failed: $c->{write_error}";
    return undef unless $want_reply;
    my $deadline = time + 10 * slow_factor();
    while (!@{ $c->{queue} } && !$c->{closed} && time < $deadline) {
        $tally{recv} += $c->read_bytes_at_most(1 << 16, 1);
    }
    my $m = shift @{ $c->{queue} };
    die 'no reply' unless $m;
    return $m;
}
sub call {
    my ($method, $params) = @_;
    my $m = exchange(Annals::MsgPack::encode([0, Annals::MsgPack::int($msgid++), Annals::MsgPack::str($method),
                                              defined $params ? [$params] : []]), 1);
    return ($m->[2], $m->[3]);
}
sub code { ref $_[0] eq 'ARRAY' ? $_[0][0] : 'none' }

my @ids;
for my $i (1 .. 4) {
    my ($e, $r) = call('put', { event => { title => "stats test $i", start => "2024-0$i-01" } });
    ok(!$e, "put $i") or diag(to_json($e));
    push @ids, $r->{id};
}
my ($e, $r) = call('put', { event => { title => 'no start' } });
is(code($e), 'bad_request', 'a put without start is bad_request');
for my $id (@ids[0, 1]) {
    ($e) = call('get', { id => $id });
    ok(!$e, 'get of a stored id');
}
($e) = call('get', { id => 'no-such-id' });
is(code($e), 'not_found', 'get of a missing id is not_found');
($e) = call('delete', { id => 'no-such-id' });
is(code($e), 'not_found', 'delete of a missing id is not_found (from the writer)');
($e) = call('delete', { id => $ids[3] });
ok(!$e, 'delete of a stored id');
for (1 .. 3) { ($e) = call('ping'); ok(!$e, 'ping') }
for (1 .. 2) { ($e) = call('count', { from => '2024', to => '2024' }); ok(!$e, 'count') }
($e) = call('range', { limit => 0 });
is(code($e), 'bad_request', 'range with limit 0 is bad_request');
for (1 .. 2) { ($e) = call('no_such_method'); is(code($e), 'unknown_method', 'unknown_method') }
# Not well-formed requests: a method that is not a string, and a message that is not an array.
my $m = exchange(Annals::MsgPack::encode([0, Annals::MsgPack::int($msgid++), 42, []]), 1);
is(code($m->[2]), 'bad_request', 'a method that is not a string is bad_request');
$m = exchange(Annals::MsgPack::encode('hello'), 1);
is(ref $m eq 'ARRAY' && $m->[0], 2, 'a message that is not an array gets an error notification');
# A notification from the client is dropped, without a reply.
exchange(Annals::MsgPack::encode([2, Annals::MsgPack::str('note'), []]), 0);
($e) = call('ping');
ok(!$e, 'the connection still serves after all that');

# Bytes that are not MessagePack close another connection.
my $bad = raw_connect();
$bad->send_bytes("\xc1");
ok($bad->is_closed(5), 'a connection sending 0xc1 is closed');

my $s1 = stats();
my %want = (
    put => [5, 1, { bad_request => 1 }],
    get => [3, 1, { not_found => 1 }],
    delete => [2, 1, { not_found => 1 }],
    ping => [4, 0, {}],
    count => [2, 0, {}],
    range => [1, 1, { bad_request => 1 }],
    stats => [1, 0, {}],          # the first stats; this one is counted after its reply
    put_many => [0, 0, {}],
);
for my $meth (sort keys %want) {
    my ($n, $errs, $by) = method_figures($s1, $meth);
    is($n, $want{$meth}[0], "$meth: requests");
    is($errs, $want{$meth}[1], "$meth: errors");
    is_deeply($by, $want{$meth}[2], "$meth: errors by code");
}
is($s1->{server}{requests} - $s0->{server}{requests}, 5 + 3 + 2 + 4 + 2 + 1 + 1 + 2 + 2,
   'server.requests counts requests of known methods, of unknown ones, and malformed messages');
my $sum = $s1->{server}{protocol_errors}{unknown_method} + $s1->{server}{protocol_errors}{malformed};
$sum += $_->{requests} + $_->{dropped} for values %{ $s1->{methods} };
is($s1->{server}{requests}, $sum, 'server.requests is the sum of requests and dropped over methods, '
   . 'unknown_method and malformed');
is_deeply($s1->{server}{protocol_errors}, { unknown_method => 2, malformed => 2, framing => 1, ignored => 1 },
          'protocol errors: 2 unknown methods, 2 malformed messages, 1 framing error, 1 ignored notification');
for my $meth (qw(put get delete count)) {
    for my $key (qw(latency_us recent_latency_us)) {
        my $l = $s1->{methods}{$meth}{$key};
        ok($l->{max} > 0 && $l->{p50} <= $l->{p90} && $l->{p90} <= $l->{p99} && $l->{p99} <= $l->{max},
           "$meth: $key percentiles ordered and positive") or diag(to_json($l));
    }
    # The window is the last minute, and this test has not run that long.
    is($s1->{methods}{$meth}{recent_latency_us}{requests}, $s1->{methods}{$meth}{requests},
       "$meth: the recent window holds every request so far");
    is($s1->{methods}{$meth}{recent_latency_us}{max}, $s1->{methods}{$meth}{latency_us}{max},
       "$meth: the recent max is the lifetime max so far");
}
ok($s1->{server}{bytes_in} - $s0->{server}{bytes_in} >= $tally{sent},
   "bytes_in grew by at least the $tally{sent} bytes the client sent")
    or diag("$s0->{server}{bytes_in} -> $s1->{server}{bytes_in}");
ok($s1->{server}{bytes_out} - $s0->{server}{bytes_out} >= $tally{recv} && $tally{recv} > 0,
   "bytes_out grew by at least the $tally{recv} bytes the client received")
    or diag("$s0->{server}{bytes_out} -> $s1->{server}{bytes_out}");

# ---- Database figures -----------------------------------------------------------------------------
my $db = $s1->{db};
ok($db->{used_bytes} > 0 && $db->{used_bytes} <= $db->{map_size}, 'db: 0 < used_bytes <= map_size');
ok(abs($db->{map_use} - $db->{used_bytes} / $db->{map_size}) < 1e-9 && $db->{map_use} > 0 && $db->{map_use} <= 1,
   'db: map_use is used_bytes / map_size');
ok($db->{file_bytes} >= $db->{used_bytes}, 'db: file_bytes holds what is used')
    or diag(to_json($db));
is($db->{file_bytes}, -s "$db->{path}/data.mdb", 'db: file_bytes is the size of data.mdb');
ok($db->{disk_bytes} > 0, 'db: disk_bytes is positive');
is_deeply($s1->{changelog}, { first => 1, last => $s1->{seq} }, 'the change log holds 1..seq');

# ---- A subscription that does not read: its lag, then none ---------------------------------------
# A backlog larger than what the socket buffers and the server's backlog
# watermark hold, so that catching up stops until the client reads.
my $body = 'x' x 1000;
for my $batch (0 .. 3) {
    my @events = map { { title => "backlog $batch $_ $body", start => '2025-01-01' } } 1 .. 500;
    my ($pe) = rpc('put_many', { events => \@events });
    ok(!$pe, "put_many batch $batch") or diag(to_json($pe));
}
my $sub = raw_connect();
my $sub_id = $sub->request('subscribe', { since => 0 });
my $seq = stats()->{seq};
my $row;
ok(wait_until(sub { ($row) = grep { $_->{conn} } @{ stats()->{subscriptions} }; $row && $row->{checked} > 0 }, 10),
   'the subscription is listed once it has begun to catch up');
my $s2 = stats();
($row) = @{ $s2->{subscriptions} };
is(scalar @{ $s2->{subscriptions} }, 1, 'one subscription listed');
is($s2->{server}{subscriptions}, 1, 'server.subscriptions counts it');
ok($row && !$row->{live}, 'a subscriber that does not read is still catching up') or diag(to_json($row));
ok($row && $row->{lag} > 0 && $row->{lag} == $s2->{seq} - $row->{checked},
   'its lag is seq - checked, and positive') or diag(to_json($row));
ok($row && $row->{queued_bytes} > 0, 'bytes wait for it') or diag(to_json($row));
is($row && $row->{peer}, 'unix', 'its peer is unix');
is($row && $row->{since}, 0, 'since is where it started');
ok($row && !$row->{filtered}, 'not filtered');
ok($row && $row->{delivered} <= $row->{checked} && $row->{delivered} > 0, 'delivered is at most checked');
# Read everything: it turns live with no lag.
my $got = 0;
my $live = wait_until(sub {
    $got += grep { ref $_ eq 'ARRAY' && $_->[0] == 2 && $_->[1] eq 'change' } $sub->read_available(0.2);
    my ($r2) = @{ stats()->{subscriptions} };
    return $r2 && $r2->{live} && $r2->{lag} == 0 && $r2->{delivered} == $seq;
}, 30);
ok($live, 'once read, the subscription is live with lag 0 and delivered = seq') or diag(to_json(stats()->{subscriptions}));
$sub->close;
ok(wait_until(sub { !@{ stats()->{subscriptions} } }, 5), 'a closed subscriber is no longer listed');

# ---- annals stats --watch --------------------------------------------------------------------------
my $w = client('stats', '--watch', '0.1', '--count', '2');
is($w->exit, 0, 'stats --watch --count 2 exits 0') or diag($w->describe);
my @lines = eval { $w->json_lines };
is(scalar @lines, 2, 'piped: two JSON lines');
ok(!exists $lines[0]{rates} && $lines[0]{methods}{stats}, 'the first is the stats map');
ok($lines[1]{rates} && $lines[1]{rates}{seconds} > 0 && $lines[1]{rates}{bytes_out} > 0,
   'the second has rates per second') or diag(to_json($lines[1]{rates}));
is($lines[1]{rates} && $lines[1]{rates}{requests}, 0,
   "with no other client, the request rate is 0: the watcher's own stats call is left out");
ok($lines[1]{methods}{stats}{requests} > $lines[0]{methods}{stats}{requests}, 'the samples are fresh');
$w = client('stats', '--watch', '--count', '1', '--json');
is(scalar(my @l = eval { $w->json_lines }), 1, '--watch --count 1 --json: one JSON line') or diag($w->describe);
my $p = spawn_client('stats', '--watch', '0.1');
ok(wait_until(sub { (() = (read_file($p->stdout_file) // '') =~ /\n/g) >= 2 }, 10), 'without --count it goes on');
kill 'INT', $p->pid;
my $pr = $p->wait;
is($pr->exit, 0, 'Ctrl-C (SIGINT) ends it with exit status 0') or diag($pr->describe);
ok(!$pr->timed_out && (() = $pr->out =~ /^\{.*\}$/mg) >= 2, 'every line it printed is whole JSON');
is(client('stats', '--count', '2')->exit, 2, '--count without --watch is a usage error');
is(client('stats', '--watch', '0')->exit, 2, 'an interval of 0 is a usage error');
is(client('stats', '--watch', '--count', '0')->exit, 2, '--count 0 is a usage error');
SKIP: {
    my ($script) = grep { -x } map { "$_/script" } split /:/, $ENV{PATH};
    skip 'script (util-linux) is not installed', 6 unless $script;
    my $one = run_cmd([$script, '-qec', join(' ', annals_bin(), '--socket', $d->socket, 'stats'), '/dev/null']);
    is($one->exit, 0, 'plain stats on a terminal: exits 0') or diag($one->describe);
    like($one->out, qr/METHOD.*REQUESTS.*P50.*\n(?:.*\n)*?stats\s+\d+\s+-\s/,
         '... prints the summary, without rates') or diag($one->out);
    like($one->out, qr/\(every figure: annals stats --json\)/, '... and says where the rest is');
    my $cmd = join ' ', annals_bin(), '--socket', $d->socket, 'stats', '--watch', '0.1', '--count', '2';
    my $t = run_cmd([$script, '-qec', $cmd, '/dev/null']);
    is($t->exit, 0, 'on a terminal: exits 0') or diag($t->describe);
    my $clears = () = $t->out =~ /\e\[H\e\[2J/g;
    is($clears, 2, 'on a terminal: the screen is cleared and redrawn for each sample');
    like($t->out, qr/METHOD.*REQUESTS.*P50.*P99.*\n.*\nrequests \d+ \([\d.]+\/s\)/s,
         'on a terminal: a methods table, and rates from the second sample') or diag($t->out);
}

# ---- Retention moves the start of the change log ------------------------------------------------
is(stop_daemon(), 0, 'clean stop');
$d = start_daemon(config => "changes_max_entries = 5\n");
for my $i (1 .. 12) {
    my ($pe) = rpc('put', { event => { title => "retained $i", start => '2024' } });
    ok(!$pe, "put $i with retention");
}
my $s3;
ok(wait_until(sub { $s3 = stats(); $s3->{changelog}{first} == $s3->{seq} - 4 }, 10),
   'with changes_max_entries 5 the change log holds the 5 newest') or diag(to_json($s3));
is($s3->{changelog}{last}, $s3->{seq}, 'its last is seq');
is($s3->{changelog}{first}, $s3->{trimmed} + 1, 'its first follows what was trimmed');
is(stop_daemon(), 0, 'clean stop');
done_testing();
