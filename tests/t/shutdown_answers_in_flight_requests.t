#!/usr/bin/perl
# On SIGTERM annalsd stops accepting, answers every request it received,
# applies none it did not answer, closes idle and stuck connections within
# shutdown_timeout, and exits 0; every write it acknowledged is there after
# the restart.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Annals::Test;
use Annals::MsgPack;

my $d = start_daemon(args => ['--shutdown-timeout', '1s']);

# An idle connection, one with a request in flight, and a stream of writes.
my $idle = raw_connect();
$idle->call('ping');
my $c = raw_connect();
my %id_of;
for my $i (1 .. 300) {
    my $msgid = $c->request('put', { event => { id => "sd$i", title => "shutdown $i", start => '2024' } });
    $id_of{$msgid} = "sd$i";
}
kill 'TERM', $d->pid;
my (%acked, @other, @msgids);
while (my $m = $c->read_msg(10)) {
    my $id = $id_of{$m->[1] // -1};
    push @msgids, $m->[1];
    if (ref $m eq 'ARRAY' && $m->[0] == 1 && $id && !defined $m->[2]) { $acked{$id} = $m->[3]{seq} }
    else { push @other, $m }
}
is(scalar @other, 0, 'every answer during shutdown is a success') or diag(to_json($other[0]));
my @sent = sort { $a <=> $b } keys %id_of;
is_deeply(\@msgids, [@sent[0 .. $#msgids]], scalar(@msgids) . ' of 300 requests answered, in order, with none skipped');
ok($c->is_closed(5), 'the busy connection is closed');
ok($idle->is_closed(5), 'the idle connection is closed');
my $st = $d->wait_exit(10);
is($st, 0, 'annalsd exits 0');
ok(!-S $d->socket || !eval { raw_connect(); 1 }, 'nothing accepts on the socket any more');

$d->start;
my $missing = grep { (rpc('get', { id => $_ }))[0] } sort keys %acked;
is($missing, 0, 'every write acknowledged during the shutdown is there after the restart');
my %unanswered = map { ($id_of{$_} => 1) } grep { my $k = $_; !grep { $_ == $k } @msgids } @sent;
my $present = grep { !(rpc('get', { id => $_ }))[0] } sort keys %unanswered;
is($present, 0, 'no request left unanswered was applied');

# A client that stops reading does not hold the shutdown up beyond shutdown_timeout.
{
    my $stuck = raw_connect();
    rpc('put_many', { events => [map { { id => "big$_", title => 'big', start => '1900', summary => 'b' x 20000 } } 1 .. 50] });
    my $req = Annals::MsgPack::encode([0, 1, 'range', [{ from => '1900', to => '1900', limit => 50 }]]);
    $stuck->send_bytes($req x 50);   # about 50 MB of replies it never reads
    sleep 0.2;
    my $t = time;
    kill 'TERM', $d->pid;
    my $st2 = $d->wait_exit(15);
    ok(defined $st2, 'annalsd exits although a client does not read its replies');
    cmp_ok(time - $t, '<', 1 + 5 * slow_factor(), '... within about shutdown_timeout (1s)');
    is($st2, 0, '... with status 0');
}
done_testing();
