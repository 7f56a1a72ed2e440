#!/usr/bin/perl
# At info level the daemon logs one line when a connection opens (its id and
# peer) and one when it closes (why, how long, its requests, bytes in and
# out, exactly as they crossed the socket); even at debug level no line holds
# the contents of an event, written or refused, nor a token, right or wrong.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time);
use Annals::Test;
use Annals::MsgPack;

my $TOKEN = 'tok-' . ('9f' x 20);
my $WRONG = 'wrongtok-' . ('7e' x 16);
my $TITLE = 'Quokka-Zephyr-Title-31337';
my $KIND = 'Bad Kind Marmoset 4242';       # refused: the error quotes it
my $PLACE = 'Narwhal-Place-Obsidian';
my $MISSING = 'patient-jane-doe-hiv-5813';  # a get of it fails: the error quotes it
my $WHO = 'Jane-Doe-Oncology-Ward-7';       # a range refused for it quotes it
my $METHOD = 'no_such_method_tapir_2718';   # an unknown method is quoted back

my $tmp = File::Temp->newdir('annals-log-XXXXXX', DIR => '/tmp');
write_file("$tmp/tokens", "rw $TOKEN\n");
chmod 0600, "$tmp/tokens";
my $d = start_daemon(log_level => 'debug', config => "auth_token_file = $tmp/tokens\n");

# A raw connection that counts the bytes it sends and receives.
my $msgid = 1;
sub exchange {
    my ($c, $method, $params) = @_;
    my $bytes = Annals::MsgPack::encode([0, Annals::MsgPack::int($msgid++), Annals::MsgPack::str($method),
                                         defined $params ? [$params] : []]);
    $c->{sent} += length $bytes;
    $c->send_bytes($bytes) or die "send failed";
    my $deadline = time + 10 * slow_factor();
    $c->{recv} += $c->read_bytes_at_most(1 << 16, 1) while !@{ $c->{queue} } && !$c->{closed} && time < $deadline;
    my $m = shift @{ $c->{queue} } or die "no reply to $method";
    return ($m->[2], $m->[3]);
}

# Connection 1: auth, two puts with a distinctive title, a refused put, a get,
# and three requests whose errors quote what the client sent.
my $c1 = raw_connect();
my ($e, $r) = exchange($c1, 'auth', { token => $TOKEN });
ok(!$e, 'auth with the right token');
my @ids;
for my $i (1, 2) {
    ($e, $r) = exchange($c1, 'put', { event => { title => "$TITLE $i", start => '2024', summary => $TITLE,
                                                 place => { name => $PLACE } } });
    ok(!$e, "put $i with the distinctive title") or diag(to_json($e));
    push @ids, $r->{id};
}
($e) = exchange($c1, 'put', { event => { title => $TITLE, start => '2024', kind => $KIND } });
is(ref $e && $e->[0], 'bad_request', 'a put with a bad kind is refused');
like($e->[1], qr/Marmoset/, '... with a message that quotes it (to the client)');
($e, $r) = exchange($c1, 'get', { id => $ids[0] // 'none' });
is($r && $r->{event}{title}, "$TITLE 1", 'get returns the event');
($e) = exchange($c1, 'get', { id => $MISSING });
is(ref $e && $e->[0], 'not_found', 'a get of a missing id is not_found');
like($e->[1], qr/\Q$MISSING\E/, '... with a message that quotes the id (to the client)');
($e) = exchange($c1, 'range', { participant => $WHO, mode => $WHO });
is(ref $e && $e->[0], 'bad_request', 'a range with a bad mode for a participant is refused');
like($e->[1], qr/\Q$WHO\E/, '... with a message that quotes it (to the client)');
($e) = exchange($c1, $METHOD);
is(ref $e && $e->[0], 'unknown_method', 'an unknown method');
like($e->[1], qr/\Q$METHOD\E/, '... with a message that quotes its name (to the client)');
$c1->close;

# Connection 2: a wrong token, then hello.
my $c2 = raw_connect();
($e) = exchange($c2, 'auth', { token => $WRONG });
is(ref $e && $e->[0], 'unauthenticated', 'auth with a wrong token');
($e) = exchange($c2, 'hello');
ok(!$e, 'hello');
$c2->close;

# Connection 3: bytes that are not MessagePack.
my $c3 = raw_connect();
$c3->send_bytes("\xc1");
$c3->{sent} = 1;
ok($c3->is_closed(5), 'a protocol error closes connection 3');

# Connection 4: stays open until the shutdown.
my $c4 = raw_connect();
($e) = exchange($c4, 'auth', { token => $TOKEN });
ok(!$e, 'connection 4 authenticates');

my $closes = sub { my @l = $d->log_text =~ /^.* INFO conn \d+ .*: closed .*$/mg; scalar @l };
ok(wait_until(sub { $closes->() >= 3 }, 10), 'three close lines') or diag($d->log_text);
is(stop_daemon(), 0, 'clean stop');

my $log = $d->log_text;
my @open = $log =~ /^\S+ INFO conn (\d+) \((unix)\): open$/mg;
my %open = @open;
is(scalar keys %open, 4, 'one open line per connection') or diag($log);
my %close;
while ($log =~ /^\S+ INFO conn (\d+) \((unix)\): closed \(([^)]+)\) after (\d+\.\d{3}) s: (\d+) requests, (\d+) bytes in, (\d+) bytes out$/mg) {
    $close{$1} = { why => $3, requests => $5, in => $6, out => $7 };
}
is(scalar keys %close, 4, 'one close line per connection') or diag($log);
my @conn = sort { $a <=> $b } keys %open;
my %want = (
    $conn[0] => [$c1, 'client closed', 8],
    $conn[1] => [$c2, 'client closed', 2],
    $conn[2] => [$c3, 'protocol error', 0],
    $conn[3] => [$c4, 'shutdown', 1],
);
for my $id (@conn) {
    my ($c, $why, $n) = @{ $want{$id} };
    my $got = $close{$id} // {};
    is($got->{why}, $why, "conn $id closed because: $why");
    is($got->{requests}, $n, "conn $id: $n requests");
    is($got->{in}, $c->{sent}, "conn $id: bytes in are the $c->{sent} bytes it sent");
    is($got->{out}, $c->{recv}, "conn $id: bytes out are the $c->{recv} bytes it received")
        unless $why eq 'protocol error';
}
ok($close{$conn[2]}{out} > 0, 'the protocol error was answered before the close');

for my $secret ($TITLE, 'Quokka', $PLACE, 'Marmoset', $TOKEN, $WRONG, substr($TOKEN, 4, 16), $MISSING,
                'jane', $WHO, 'Oncology', $METHOD, 'tapir') {
    unlike($log, qr/\Q$secret\E/, "the log never holds '$secret'");
}
like($log, qr/DEBUG conn \d+: put -> bad_request$/m, 'the refused put is logged at debug, without its message');
like($log, qr/DEBUG conn \d+: get -> not_found$/m, 'so is the get of a missing id');
like($log, qr/DEBUG conn \d+: range -> bad_request$/m, 'and the refused range');
like($log, qr/DEBUG conn \d+: \? -> unknown_method$/m, 'and the unknown method, without its name');
done_testing();
