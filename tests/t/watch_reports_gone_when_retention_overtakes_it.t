#!/usr/bin/perl
# annals watch whose reader stops reading falls behind the change log: while
# its output pipe is full it reads nothing from annalsd, retention trims the
# changes it has not been sent, and the server ends the subscription with
# [2, "gone", ...]. Once its reader drains the pipe, watch prints the changes
# it was sent (in order, no gap), then explains gone with the oldest seq
# still available and exits 4, as it does for the error gone; it never
# hangs waiting on an ended subscription.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use POSIX ();
use Test::More;
use Annals::Test;

my $M = 400;
my $d = start_daemon(args => ['--changes-max-entries', $M, '--feed-heartbeat', '100ms']);
my $big = 'r' x 8000;
my $batch = sub {
    my ($b) = @_;
    return rpc('put_many', { events => [map { { id => "r$b-$_", title => "retained $b/$_", start => '2024', summary => $big } } 1 .. 200] });
};
my ($e, $r);
($e, $r) = $batch->($_) for 1 .. 3;
my $since = $r->{seq} - $M;

# watch writes into a pipe nobody reads yet: after a few changes of 8 kB it
# blocks, and stops reading its socket.
pipe(my $rd, my $wr) or die "pipe: $!";
my $errfile = daemon()->dir . '/watch.err';
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    close $rd;
    open STDOUT, '>&', $wr or POSIX::_exit(126);
    open STDERR, '>', $errfile or POSIX::_exit(126);
    { no warnings 'exec'; exec annals_bin(), '--socket', $d->socket, 'watch', '--since', $since; }
    POSIX::_exit(127);
}
close $wr;
END { if ($pid) { kill 'KILL', $pid; waitpid($pid, 0) } }

ok(wait_until(sub { stats()->{server}{subscriptions} == 1 }, 5),
   "watch --since $since (the oldest entry held - 1) subscribed");
($e, $r) = $batch->($_) for 4 .. 7;
my $trimmed = stats()->{trimmed};
cmp_ok($trimmed, '>=', $since + $M, "meanwhile retention trimmed everything up to $trimmed");

# Now read everything it prints, until it exits.
my $out = '';
while (sysread($rd, my $chunk, 65536)) { $out .= $chunk }
waitpid($pid, 0);
my $status = $?;
$pid = 0;
is($status >> 8, 4, 'watch exits 4') or diag("status $status");
my $err = read_file($errfile) // '';
like($err, qr/^annals: gone: the changes after seq (\d+) were trimmed .*the oldest change still available is seq \Q@{[$trimmed + 1]}\E/m,
     'and says the changes were trimmed, and from which seq the log goes on') or diag($err);
my ($after) = $err =~ /after seq (\d+)/;
my @seqs = map { $_->{seq} } json_lines($out);
my @gaps = grep { $seqs[$_] != $seqs[$_ - 1] + 1 } 1 .. $#seqs;
ok(@seqs && $seqs[0] == $since + 1 && !@gaps, 'what it printed before has no gap: '
   . (@seqs ? "$seqs[0]..$seqs[-1]" : 'nothing'));
is($after, $seqs[-1], 'and the message names the last seq printed') if @seqs;
cmp_ok($seqs[-1] // 0, '<', $trimmed, 'which is before what was trimmed');
is(stop_daemon(), 0, 'annalsd exits 0');
done_testing();
