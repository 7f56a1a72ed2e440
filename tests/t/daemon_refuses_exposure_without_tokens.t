#!/usr/bin/perl
# What annalsd exposes and to whom, decided at start-up: a TCP listener
# other hosts can reach (0.0.0.0, ::) is refused, with the settings to add,
# unless a token is configured; loopback addresses (127.0.0.0/8, ::1) need
# none. A token file that group or others may read or change, or that is
# missing, stops the start; so does a digest that is not one, or a token
# outside printable ASCII such as invalid UTF-8 (without echoing either). annalsd --hash-token prints the digest the config takes. The
# Unix socket is created with socket_mode: 0600 by default.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET ();
use Test::More;
use Annals::Test;
use Annals::MsgPack;

my $tmp = File::Temp->newdir('annals-exp-XXXXXX', DIR => '/tmp');
my $TOKEN = 'exposure-test-token-' . ('e5' x 12);
my $tokfile = "$tmp/tokens";
write_file($tokfile, "rw $TOKEN\n");
chmod 0600, $tokfile;

sub annalsd { my ($stdin, @args) = @_; run_cmd([annalsd_bin(), @args], timeout => 10, stdin => $stdin // '') }
sub refused {
    my ($label, @args) = @_;
    my $r = annalsd(undef, '--data', "$tmp/never", '--socket', "$tmp/never.sock", @args);
    ok(!$r->timed_out && defined $r->exit && $r->exit == 1, "$label: refused, exit 1") or diag($r->describe);
    ok(!-e "$tmp/never.sock" && !-e "$tmp/never", '... before the socket or the data directory is made');
    return $r;
}

# ---- Non-loopback without a token ---------------------------------------------------------------
for my $addr ('0.0.0.0:0', '[::]:0', '10.1.2.3:7411') {
    my $r = refused("listen $addr without a token", '--listen', $addr);
    like($r->err, qr/\Q$addr\E/, '... naming the address');
    like($r->err, qr/auth_token_file/, '... and the setting to add (auth_token_file)');
    like($r->err, qr/auth_token_rw_sha256.*--hash-token|--hash-token/, '... or a digest from --hash-token');
    like($r->err, qr/loopback/, '... or to listen on loopback');
}

# ---- Loopback needs no token ------------------------------------------------------------------------
{
    my $d = start_daemon(listen => '127.0.0.2:0');
    my ($e, $h) = rpc('hello');
    ok(!$e && !$h->{auth}, 'listen 127.0.0.2 (127.0.0.0/8) starts without a token');
    is(stop_daemon(), 0, '... and stops cleanly');
}
SKIP: {
    my $v6 = eval { require IO::Socket::IP; IO::Socket::IP->new(LocalHost => '::1', Listen => 1) };
    skip 'no IPv6 loopback here', 2 unless $v6;
    close $v6;
    my $d = start_daemon(listen => '[::1]:0');
    like($d->log_text, qr/listening on tcp \[::1\]:\d+/, 'listen [::1] starts without a token');
    is(stop_daemon(), 0, '... and stops cleanly');
}

# ---- Non-loopback with a token -------------------------------------------------------------------------
{
    my $d = start_daemon(listen => '0.0.0.0:0', config => "auth_token_file = $tokfile\n");
    like($d->log_text, qr/listening on tcp 0\.0\.0\.0:\d+/, 'listen 0.0.0.0 with a token file starts');
    my $c = raw_connect(tcp => 1);
    my ($e, $r) = $c->call('get', { id => 'x' });
    is($e->[0], 'unauthenticated', '... and its TCP clients must authenticate');
    ($e, $r) = $c->call('auth', { token => Annals::MsgPack::str($TOKEN) });
    is_deeply($r, { access => 'rw' }, '... which they can');
    is(stop_daemon(), 0, '... and it stops cleanly');
}
{
    my $d = start_daemon(listen => '0.0.0.0:0', config => 'auth_token_ro_sha256 = ' . sha256_hex($TOKEN) . "\n");
    ok($d->running, 'listen 0.0.0.0 with only a read-only digest starts too');
    is(stop_daemon(), 0, '... and stops cleanly');
}

# ---- Token files that are refused ---------------------------------------------------------------------
for my $mode (0644, 0640, 0604, 0660) {
    chmod $mode, $tokfile;
    my $m = sprintf '%04o', $mode;
    my $r = refused("a token file of mode $m", '--listen', '127.0.0.1:0', '--auth-token-file', $tokfile);
    like($r->err, qr/\Q$tokfile\E.*$m|$m.*\Q$tokfile\E/, '... naming the file and its mode');
    like($r->err, qr/chmod 600/, '... and the fix');
    ok(index($r->err, $TOKEN) < 0, '... without the token');
}
chmod 0600, $tokfile;
refused('a missing token file', '--listen', '127.0.0.1:0', '--auth-token-file', "$tmp/no-such-file");
{
    my $f = "$tmp/badline";
    write_file($f, "rw $TOKEN\nadmin $TOKEN\n");
    chmod 0600, $f;
    my $r = refused('a token file with a line that is not rw/ro', '--listen', '127.0.0.1:0', '--auth-token-file', $f);
    like($r->err, qr/\Q$f\E:2:/, '... naming the file and line');
    ok(index($r->err, $TOKEN) < 0, '... without the line\'s text');
    # Invalid UTF-8 (a stray 0xff, a cut 3-byte sequence): refused as any
    # byte outside printable ASCII is, without echoing the token.
    for my $bad ("rw utf8-token-abcdef\xffghij\n", "ro \xe2\x82utf8-token-abcdefghij\n") {
        write_file($f, $bad);
        $r = refused('a token file holding invalid UTF-8', '--listen', '127.0.0.1:0', '--auth-token-file', $f);
        like($r->err, qr/\Q$f\E:1: .*printable ASCII/, '... naming the line and what a token may hold');
        ok(index($r->err, 'utf8-token') < 0, '... without the line\'s text');
    }
    $r = run_cmd([annalsd_bin(), '--hash-token'], timeout => 10, stdin_raw => "utf8-token-abcdef\xffghij\n");
    is($r->exit, 1, '--hash-token refuses a token holding invalid UTF-8: exit 1') or diag($r->describe);
    is($r->out, '', '... and prints no digest');
    write_file($f, "ro tooshort\n");
    $r = refused('a token file with a token under 16 characters', '--listen', '127.0.0.1:0', '--auth-token-file', $f);
    like($r->err, qr/16/, '... saying how long a token must be');
}
{
    my $conf = write_file("$tmp/digest.conf", "# digests\nauth_token_rw_sha256 = $TOKEN\n");
    my $r = refused('a token where a digest belongs', '--listen', '127.0.0.1:0', '--config', $conf);
    like($r->err, qr/\Q$conf\E:2: auth_token_rw_sha256.*64 hex/, '... naming the line and saying a digest is 64 hex digits');
    ok(index($r->err, $TOKEN) < 0, '... without repeating the value');
    $r = annalsd(undef, '--data', "$tmp/never", '--socket', "$tmp/never.sock", '--auth-token-ro-sha256', $TOKEN);
    is($r->exit, 2, 'the same as a flag: a usage error, exit 2') or diag($r->describe);
    ok(index($r->err, $TOKEN) < 0, '... without repeating the value');
}

# ---- --hash-token ----------------------------------------------------------------------------------------
{
    my $r = annalsd("$TOKEN\n", '--hash-token');
    is($r->exit, 0, 'annalsd --hash-token exits 0') or diag($r->describe);
    is($r->out, sha256_hex($TOKEN) . "\n", '... printing the hex SHA-256 of the line read (newline excluded)');
    is(annalsd("$TOKEN\r\n", '--hash-token')->out, sha256_hex($TOKEN) . "\n", '... also after a CRLF');
    my $digest = $r->out;
    chomp $digest;
    $r = annalsd("short\n", '--hash-token');
    is($r->exit, 1, 'a token under 16 characters: exit 1') or diag($r->describe);
    like($r->err, qr/16 to 1024/, '... saying why');
    is($r->out, '', '... and no digest');
    is(annalsd("has a space in it, so no\n", '--hash-token')->exit, 1, 'a token with spaces: exit 1');
    like(annalsd(undef, '--help')->out, qr/--hash-token/, '--help mentions --hash-token');

    start_daemon(config => "auth_token_rw_sha256 = $digest\n");
    my $c = raw_connect();
    my ($e, $res) = $c->call('auth', { token => Annals::MsgPack::str($TOKEN) });
    is_deeply($res, { access => 'rw' }, 'its digest as auth_token_rw_sha256 admits the token');
    is(stop_daemon(), 0, '... and the daemon stops cleanly');
}

# ---- The socket's mode ---------------------------------------------------------------------------------
{
    my $d = start_daemon();
    is(sprintf('%04o', (stat $d->socket)[2] & 07777), '0600', 'the socket file is 0600 by default');
    stop_daemon();
    $d = start_daemon(config => "socket_mode = 0660\n");
    is(sprintf('%04o', (stat $d->socket)[2] & 07777), '0660', 'socket_mode = 0660 is applied');
    stop_daemon();
    $d = start_daemon(config => "socket_mode = 0600\n", args => ['--socket-mode', '0700']);
    is(sprintf('%04o', (stat $d->socket)[2] & 07777), '0700', '--socket-mode wins over the file');
    stop_daemon();
}

done_testing();
