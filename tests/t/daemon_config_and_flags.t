#!/usr/bin/perl
# annalsd's command line and configuration: --version and --help, unknown
# flags and bad config lines refused (with the line number) before anything
# starts, settings from the file honoured and overridden by flags, the shipped
# config/annalsd.conf accepted, one daemon per data directory and per socket,
# max_connections, and a clean exit on SIGINT as on SIGTERM.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::MsgPack;

my $tmp = File::Temp->newdir('annals-cf-XXXXXX', DIR => '/tmp');
sub annalsd { run_cmd([annalsd_bin(), @_], timeout => 10) }

# --- --version, --help, bad flags ---------------------------------------------------
my $r = annalsd('--version');
is($r->exit, 0, 'annalsd --version exits 0');
like($r->out, qr/\Aannalsd \d+\.\d+\.\d+\b/, '--version prints "annalsd X.Y.Z"');
my ($version) = $r->out =~ /\Aannalsd (\S+)/;

$r = annalsd('--help');
is($r->exit, 0, 'annalsd --help exits 0');
like($r->out, qr/--$_\b/, "--help mentions --$_") for qw(config listen socket data log-level version help);

for my $bad (['--no-such-flag', '1'], ['extra-argument'], ['--max-message-size', '12XB'], ['--log-level', 'loud'],
             ['--listen']) {
    $r = annalsd('--data', "$tmp/never", '--socket', "$tmp/never.sock", @$bad);
    is($r->exit, 2, "annalsd @$bad: usage error, exit 2") or diag($r->describe);
    like($r->err, qr/\S/, "annalsd @$bad: says why on stderr");
    ok(!-e "$tmp/never.sock", "annalsd @$bad: no socket was created");
}
like(annalsd('--no-such-flag', '1')->err, qr/no-such-flag/, 'an unknown flag is named in the message');

# --- config files that are refused -----------------------------------------------------
my @bad_configs = (
    ["# a comment\n\nmapsize = 1GiB\n", 3, qr/mapsize/, 'an unknown key'],
    ["listen = 127.0.0.1:0\nmax_depth = 99\n", 2, qr/max_depth/, 'a value out of range'],
    ["# ok\nlog_level = info\n\n\njust some words\n", 5, qr/just some words|key = value/, 'a line without ='],
    ["map_size = lots\n", 1, qr/map_size/, 'a size that is not a size'],
    ["# deferred index\nindex_max_lag = 0\n", 2, qr/index_max_lag/, 'an index_max_lag of 0'],
    ["index_idle = soon\n", 1, qr/index_idle/, 'an index_idle that is not a duration'],
    # Invalid UTF-8: keys and keyword values are compared byte for byte, so
    # they are refused as any unknown word is; a comment may hold anything.
    ["log_level = inf\xffo\n", 1, qr/log_level: .* is not one of/, 'a value holding invalid UTF-8'],
    ["# caf\xff \xe2\x82\n\nma\xffp_size = 1GiB\n", 3, qr/unknown key/, 'a key holding invalid UTF-8'],
    ["max_depth = 16\xc3\n", 1, qr/max_depth/, 'a number followed by a cut UTF-8 sequence'],
);
for my $c (@bad_configs) {
    my ($text, $line, $what, $label) = @$c;
    my $f = "$tmp/bad-$line.conf";
    write_file($f, $text);
    $r = annalsd('--config', $f, '--data', "$tmp/never", '--socket', "$tmp/never.sock", '--listen', '127.0.0.1:0');
    ok(!$r->timed_out && defined $r->exit && $r->exit != 0, "a config file with $label is refused") or diag($r->describe);
    like($r->err, qr/\Q$f\E:$line:/, "... naming the file and line $line");
    like($r->err, $what, '... and what is wrong');
    ok(!-e "$tmp/never.sock", '... before anything is started');
}
$r = annalsd('--config', "$tmp/does-not-exist.conf", '--data', "$tmp/never", '--socket', "$tmp/never.sock");
ok(defined $r->exit && $r->exit != 0, 'a config file that does not exist is refused');
like($r->err, qr/does-not-exist\.conf/, '... naming it');

# --- the shipped configuration and settings from a file -------------------------------------
{
    my $d = start_daemon(config => read_file(top_dir() . '/config/annalsd.conf'));
    my ($e, $h) = rpc('hello');
    ok(!$e, 'annalsd starts on the shipped config/annalsd.conf (with flags for paths)');
    is($h->{version}, $version, 'hello reports the version --version prints');
    is($h->{protocol}, 1, 'hello reports protocol 1');
    is($d->stop, 0, '... and stops cleanly');
}
# put_many of events of $kib KiB each (in extra, which has no field limit).
sub big_put {
    my ($c, $msgid, $kib, $n) = @_;
    my @evs = map { { title => "big $_", start => '2024', extra => { pad => 'x' x ($kib * 1024) } } } 1 .. ($n // 1);
    $c->send_msg([0, $msgid, 'put_many', [{ events => \@evs }]]);
    return $c->read_msg(5);
}
{
    my $conf = "# limits for this test\nmax_message_size = 64KiB\nmax_record_size = \"48KiB\"\n";
    my $d = start_daemon(config => $conf);
    my $c = raw_connect();
    my $m = big_put($c, 1, 35, 2);
    is(ref $m && ref $m->[2] ? $m->[2][0] : undef, 'too_large', 'max_message_size from the config file is applied');
    ok($c->is_closed(5), '... closing the connection');
    $d->stop;
    $d = start_daemon(config => $conf, args => ['--max-message-size', '128KiB']);
    $c = raw_connect();
    $m = big_put($c, 2, 35, 2);
    ok(ref $m && !defined $m->[2], 'a flag wins over the config file (70 KiB accepted with --max-message-size 128KiB)')
        or diag(to_json($m));
    $m = big_put($c, 3, 50, 1);
    is(ref $m && ref $m->[2] ? $m->[2][0] : undef, 'too_large', 'max_record_size (a quoted value in the file) is applied too');
    ok(!$c->is_closed(0.2), '... and the connection stays');
    $d->stop;
}

# --- one daemon per data directory and per socket ----------------------------------------------
my $d = start_daemon();
rpc('put', { event => { id => 'first', title => 'first daemon', start => '2024' } });
$r = annalsd('--data', $d->data, '--socket', "$tmp/second.sock", '--listen', '127.0.0.1:0');
ok(!$r->timed_out && defined $r->exit && $r->exit != 0, 'a second annalsd on the same data directory is refused')
    or diag($r->describe);
like($r->err, qr/\Q${\ $d->data }\E|lock|in use|another/i, '... saying so');
$r = annalsd('--data', "$tmp/other-data", '--socket', $d->socket, '--listen', 'off');
ok(!$r->timed_out && defined $r->exit && $r->exit != 0, 'a second annalsd on a socket in use is refused')
    or diag($r->describe);
$r = annalsd('--data', "$tmp/other-data2", '--socket', "$tmp/third.sock", '--listen', '127.0.0.1:' . $d->port);
ok(!$r->timed_out && defined $r->exit && $r->exit != 0, 'a second annalsd on a TCP port in use is refused')
    or diag($r->describe);
$r = client('get', 'first');
is($r->exit, 0, 'the first daemon still serves on its socket after all three attempts') or diag($r->describe);
$r = client('get', 'first', { tcp => 1 });
is($r->exit, 0, '... and on its TCP port');
my $mode = (stat $d->socket)[2] & 07777;
is(sprintf('%04o', $mode), '0600', 'the socket file is 0600 by default (socket_mode)');
is(kill('HUP', $d->pid), 1, 'SIGHUP sent');
ok(wait_until(sub { $d->log_text =~ /SIGHUP; ignored/ }, 10), 'annalsd logs SIGHUP as ignored');
$r = client('get', 'first');
is($r->exit, 0, '... and keeps serving after it') or diag($r->describe);
is(kill('INT', $d->pid), 1, 'SIGINT sent');
is($d->wait_exit(15), 0, 'annalsd exits 0 on SIGINT');
like($d->log_text, qr/SIGINT/, '... and logs it');

# --- listen off ------------------------------------------------------------------------------
{
    my $d2 = start_daemon(listen => 'off');
    unlike($d2->log_text, qr/listening on tcp/, 'with --listen off nothing listens on TCP');
    $r = client('ping');
    is($r->exit, 0, '... and the Unix socket serves');
    is($d2->stop, 0, '... and it stops cleanly');
}

# --- max_connections ----------------------------------------------------------------------------
{
    my $d3 = start_daemon(args => ['--max-connections', '2']);
    my @c = map { raw_connect() } 1 .. 2;
    ok(!($c[$_]->call('ping'))[0], 'connection ' . ($_ + 1) . ' of 2 is served') for 0 .. 1;
    my $extra = raw_connect();
    my $m = $extra->read_msg(5);
    ok(ref $m eq 'ARRAY' && $m->[0] == 2 && $m->[1] eq 'error', 'a connection past max_connections gets an error notification')
        or diag(to_json($m));
    my $code = ref $m && ref $m->[2] && ref $m->[2][0] ? $m->[2][0][0] : undef;
    is($code, 'busy', 'its code is busy');
    like(ref $m && ref $m->[2] && ref $m->[2][0] ? $m->[2][0][1] // '' : '', qr/\S/, '... with a message');
    ok($extra->is_closed(5), '... and is closed');
    ok(!($c[0]->call('ping'))[0], 'the connections already open are unaffected');
    $extra->close;
    $c[1]->close;
    my $ok;
    for (1 .. 10) {
        Time::HiRes::sleep(0.1);
        my $n = raw_connect();
        my ($e, $r) = eval { $n->call('ping', undef, 1) };
        last if $ok = $r && $r->{pong};
    }
    ok($ok, 'once one closes, a new connection is served');
    is($d3->stop, 0, 'annalsd exits 0 after SIGTERM');
}

done_testing();
