#!/usr/bin/perl
# The annals client against a server that requires tokens: without one,
# commands fail with unauthenticated (exit 4, like any server error) and a
# hint about ANNALS_TOKEN and --token-file; with the read-write token from
# ANNALS_TOKEN or --token-file, put, get, delete, import and watch work; the
# read-only token reads, and its writes are forbidden (exit 4); watch with
# it follows changes; a wrong token is unauthenticated. --token on the
# command line is refused (exit 2), a token file others may read is refused
# (exit 5), and no token ever appears in the client's output.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(sleep);
use Annals::Test;

my $RW = 'client-rw-' . ('f6' x 16);
my $RO = 'client-ro-' . ('a7' x 16);
my $WRONG = 'client-wrong-' . ('b8' x 12);

my $tmp = File::Temp->newdir('annals-ct-XXXXXX', DIR => '/tmp');
my $tokfile = write_file("$tmp/daemon-tokens", "rw $RW\nro $RO\n");
chmod 0600, $tokfile;
my $d = start_daemon(config => "auth_token_file = $tokfile\n");

my @seen;    # every client result, to look for tokens in their output
sub as_token {
    my ($token, @args) = @_;
    my $r = client(@args, { env => { ANNALS_TOKEN => $token } });
    push @seen, $r;
    return $r;
}

# ---- No token ------------------------------------------------------------------------------------
my $r = client('get', 'x');
push @seen, $r;
is($r->exit, 4, 'without a token: exit 4, as for any server error') or diag($r->describe);
like($r->err, qr/^annals: unauthenticated: /m, '... reported as "annals: unauthenticated: ..."');
unlike($r->err, qr/internal/, '... and nothing else');
like($r->err, qr/ANNALS_TOKEN/, '... with a hint about ANNALS_TOKEN');
like($r->err, qr/--token-file/, '... and --token-file');
$r = client('hello');
is($r->exit, 0, 'hello works without a token') or diag($r->describe);
ok($r->json->{auth}, '... and says auth: true');

# ---- ANNALS_TOKEN --------------------------------------------------------------------------------
$r = as_token($RW, 'put', '{"id":"c1","title":"with the rw token","start":"2024-03"}');
is($r->exit, 0, 'ANNALS_TOKEN with the rw token: put works') or diag($r->describe);
$r = as_token($RW, 'get', 'c1');
is($r->exit, 0, '... get works');
is($r->json->{title}, 'with the rw token', '... and returns the event');
$r = as_token($RW, 'hello');
is($r->json->{access}, 'rw', '... hello says access: rw');

$r = as_token($RO, 'get', 'c1');
is($r->exit, 0, 'the ro token: get works') or diag($r->describe);
$r = as_token($RO, 'range', '2024', '2024');
is($r->exit, 0, '... range works');
is(scalar($r->json_lines), 1, '... and finds the event');
$r = as_token($RO, 'put', '{"title":"not allowed","start":"2024"}');
is($r->exit, 4, '... put: exit 4') or diag($r->describe);
like($r->err, qr/^annals: forbidden: .*read-only/m, '... reported as forbidden, read-only');
$r = as_token($RO, 'delete', 'c1');
is($r->exit, 4, '... delete: exit 4');
like($r->err, qr/forbidden/, '... forbidden');

$r = as_token($WRONG, 'get', 'c1');
is($r->exit, 4, 'a wrong token: exit 4') or diag($r->describe);
like($r->err, qr/^annals: unauthenticated: wrong token/m, '... reported as unauthenticated: wrong token');
unlike($r->err, qr/internal/, '... and nothing else (no second, made-up error)');
$r = as_token('', 'get', 'c1');
is($r->exit, 4, 'an empty ANNALS_TOKEN is no token: exit 4');

# ---- --token-file ------------------------------------------------------------------------------------
my $mine = write_file("$tmp/my-token", "$RW\n");
chmod 0600, $mine;
$r = client('--token-file', $mine, 'delete', 'c1');
push @seen, $r;
is($r->exit, 0, '--token-file with the rw token: delete works') or diag($r->describe);
$r = client('get', 'c1', '--token-file', $mine, { env => { ANNALS_TOKEN => $RO } });
push @seen, $r;
is($r->exit, 1, '--token-file wins over ANNALS_TOKEN (and the event is gone: exit 1)') or diag($r->describe);
my $ro_file = write_file("$tmp/ro-token", "  $RO \r\n");
chmod 0400, $ro_file;
$r = client('--token-file', $ro_file, 'put', '{"title":"x","start":"2024"}');
push @seen, $r;
is($r->exit, 4, 'a 0400 token file with blanks around the token: read, and ro is forbidden to put')
    or diag($r->describe);
like($r->err, qr/forbidden/, '... forbidden');

chmod 0644, $mine;
$r = client('--token-file', $mine, 'get', 'c1');
push @seen, $r;
is($r->exit, 5, 'a token file others may read: exit 5') or diag($r->describe);
like($r->err, qr/0644.*chmod 600/, '... saying its mode and the fix');
chmod 0600, $mine;
$r = client('--token-file', "$tmp/nope", 'get', 'c1');
is($r->exit, 5, 'a missing token file: exit 5');
like($r->err, qr/nope/, '... naming it');
my $two = write_file("$tmp/two-lines", "$RW\n$RO\n");
chmod 0600, $two;
$r = client('--token-file', $two, 'get', 'c1');
push @seen, $r;
is($r->exit, 5, 'a token file of two lines: exit 5');
my $empty = write_file("$tmp/empty", "\n");
chmod 0600, $empty;
is(client('--token-file', $empty, 'get', 'c1')->exit, 5, 'an empty token file: exit 5');

$r = client('--token', $RW, 'get', 'c1');
push @seen, $r;
is($r->exit, 2, '--token on the command line: a usage error, exit 2') or diag($r->describe);
like($r->err, qr/ANNALS_TOKEN/, '... pointing to ANNALS_TOKEN');
like($r->err, qr/--token-file/, '... and --token-file');
like(client('--help')->out, qr/--token-file/, '--help describes --token-file');
like(client('--help')->out, qr/ANNALS_TOKEN/, '... and ANNALS_TOKEN');

# ---- import and watch ----------------------------------------------------------------------------------
my $jsonl = join '', map { qq({"id":"imp$_","title":"imported $_","start":"2023-0$_"}\n) } 1 .. 5;
$r = client('import', '-', { stdin => $jsonl, env => { ANNALS_TOKEN => $RW } });
push @seen, $r;
is($r->exit, 0, 'import with the rw token works') or diag($r->describe);
$r = as_token($RO, 'count');
is($r->json->{count}, 5, '... all 5 events are there');
$r = client('import', '-', { stdin => $jsonl, env => { ANNALS_TOKEN => $RO } });
push @seen, $r;
is($r->exit, 4, 'import with the ro token: exit 4') or diag($r->describe);
like($r->err, qr/forbidden/, '... forbidden');

my $w = spawn_client('watch', '--since', '0', '--json', { env => { ANNALS_TOKEN => $RO }, timeout => 30 });
as_token($RW, 'put', '{"id":"live","title":"while watching","start":"2025"}');
my $lines = wait_until(sub {
    my @l = json_lines(read_file($w->stdout_file) // '');
    return (grep { $_->{id} eq 'live' } @l) ? \@l : undef;
}, 10);
ok($lines, 'watch with the ro token follows the changes, the live one included')
    or diag(read_file($w->stdout_file));
is(scalar(grep { $_->{id} =~ /^imp/ } @{ $lines // [] }), 5, '... and the backlog');
kill 'TERM', $w->pid;
my $wr = $w->wait;
push @seen, $wr;
is($wr->exit, 0, 'watch exits 0 on SIGTERM') or diag($wr->describe);
$r = client('watch', '--since', '0', { env => { ANNALS_TOKEN => $WRONG }, timeout => 10 });
push @seen, $r;
is($r->exit, 4, 'watch with a wrong token: exit 4 at once, no retrying') or diag($r->describe);
like($r->err, qr/unauthenticated/, '... unauthenticated');

# ---- No token in any output ------------------------------------------------------------------------------
my $leaks = grep { my $x = $_; grep { index($x->out . $x->err, $_) >= 0 } $RW, $RO, $WRONG } @seen;
is($leaks, 0, 'no token appears in the stdout or stderr of any of ' . scalar(@seen) . ' client runs');
my $log = $d->log_text;
ok(!(grep { index($log, $_) >= 0 } $RW, $RO, $WRONG), '... nor in the daemon\'s log');
is(stop_daemon(), 0, 'annalsd stops cleanly');

done_testing();
