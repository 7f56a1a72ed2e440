#!/usr/bin/perl
# The annals client against a fake server that misbehaves in the ways
# PROTOCOL.md allows or a broken network causes: an error code it does not
# know (treated like internal: exit 4), not_found (exit 1), a reply in
# one-byte pieces (fine), silence (exit 3 after --timeout), a closed
# connection, bytes that are not MessagePack, a reply to another msgid
# (exit 3), an "error" notification before the close.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use IO::Socket::UNIX ();
use Socket qw(SOCK_STREAM);
use Test::More;
use Time::HiRes qw(time sleep);
use Annals::Test;
use Annals::MsgPack;

my $dir = File::Temp->newdir('annals-fk-XXXXXX', DIR => '/tmp');
my $path = "$dir/fake.sock";

# fake_server($behaviour): serve one connection in a child process;
# $behaviour gets the socket and the first request (undef if none came).
sub fake_server {
    my ($behaviour) = @_;
    unlink $path;
    my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 5) or die "listen: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        local $SIG{ALRM} = sub { POSIX::_exit(0) };
        alarm 20;
        my $c = $l->accept or POSIX::_exit(1);
        my $dec = Annals::MsgPack::Decoder->new;
        my $req;
        while (1) {
            my $n = sysread($c, my $buf, 65536);
            last unless $n;
            $dec->feed($buf);
            my ($ok, $m) = $dec->next;
            if ($ok) { $req = $m; last }
        }
        $behaviour->($c, $req);
        POSIX::_exit(0);
    }
    close $l;
    return $pid;
}

sub reply { my ($c, $msg) = @_; syswrite($c, Annals::MsgPack::encode($msg)) }

sub run_against {
    my ($behaviour, @args) = @_;
    my $pid = fake_server($behaviour);
    my $r = run_cmd([annals_bin(), '--socket', $path, '--timeout', '1', @args], timeout => 15);
    kill 'KILL', $pid;
    waitpid $pid, 0;
    return $r;
}

my $r = run_against(sub { my ($c, $q) = @_; reply($c, [1, $q->[1], ['weird_code', 'something odd happened'], undef]); sleep 1 }, 'ping');
is($r->exit, 4, 'an error code the client does not know is treated like internal: exit 4') or diag($r->describe);
like($r->err, qr/something odd happened/, '... with the server\'s message');

$r = run_against(sub { my ($c, $q) = @_; reply($c, [1, $q->[1], ['not_found', 'no event with id x'], undef]); sleep 1 }, 'get', 'x');
is($r->exit, 1, 'not_found from the server: exit 1') or diag($r->describe);

$r = run_against(sub { my ($c, $q) = @_; reply($c, [1, $q->[1], ['shutting_down', 'stopping'], undef]); sleep 1 }, 'ping');
is($r->exit, 4, 'shutting_down: exit 4') or diag($r->describe);

$r = run_against(sub {
    my ($c, $q) = @_;
    my $b = Annals::MsgPack::encode([1, $q->[1], undef, { pong => JSON::PP::true() }]);
    for my $i (0 .. length($b) - 1) { syswrite($c, substr($b, $i, 1)); sleep 0.02 }
    sleep 1;
}, 'ping');
is($r->exit, 0, 'a reply arriving one byte at a time is read whole') or diag($r->describe);
is_deeply($r->json, { pong => JSON::PP::true() }, '... and printed');

my $t0 = time;
$r = run_against(sub { sleep 10 }, 'ping');
is($r->exit, 3, 'a server that never answers: exit 3') or diag($r->describe);
cmp_ok(time - $t0, '<', 8, '... after about --timeout, not forever');

$r = run_against(sub { my ($c) = @_; close $c }, 'ping');
is($r->exit, 3, 'a server that closes without answering: exit 3') or diag($r->describe);
like($r->err, qr/\S/, '... with a message');

$r = run_against(sub { my ($c) = @_; syswrite($c, "\xc1\xc1\xc1"); sleep 1 }, 'ping');
is($r->exit, 3, 'a server that sends bytes that are not MessagePack: exit 3') or diag($r->describe);

$r = run_against(sub { my ($c, $q) = @_; reply($c, [1, $q->[1] + 1000, undef, { pong => JSON::PP::true() }]); sleep 1 }, 'ping');
is($r->exit, 3, 'a reply to another msgid: exit 3 (protocol violation)') or diag($r->describe);

$r = run_against(sub { my ($c) = @_; reply($c, [2, 'error', [['too_large', 'message exceeds max_message_size']]]); close $c }, 'ping');
ok(defined $r->exit && ($r->exit == 3 || $r->exit == 4), 'an "error" notification before the close: exit 3 or 4')
    or diag($r->describe);
like($r->err, qr/max_message_size/, '... reporting the server\'s message');

$r = run_against(sub { my ($c, $q) = @_; reply($c, [1, $q->[1], undef, undef]); sleep 1 }, 'ping');
is($r->exit, 3, 'a response with neither error nor result: exit 3 (protocol violation)') or diag($r->describe);

done_testing();
