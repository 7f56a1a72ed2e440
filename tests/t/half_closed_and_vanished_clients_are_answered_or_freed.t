#!/usr/bin/perl
# A client that half-closes (shutdown SHUT_WR) after pipelining requests gets
# every one of them answered, in order, the writes among them committed, and
# then the close; an unfinished message at the end gets no reply. Clients
# that vanish while a subscribe is delivering a large backlog leave nothing
# behind: their connections and subscriptions are freed, and everyone else is
# served.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Socket qw(SHUT_WR);
use Test::More;
use Annals::Test;
use Annals::MsgPack;

my $d = start_daemon();

sub S { Annals::MsgPack::str(@_) }
sub req { my ($id, $method, $params) = @_; Annals::MsgPack::encode([0, $id, S($method), $params ? [$params] : []]) }

# --- half-close with requests pending ------------------------------------------------------
{
    my $c = raw_connect();
    my $stream = req(1, 'put', { event => { id => 'half-1', title => 'written before the half-close', start => '2024' } })
               . req(2, 'get', { id => 'half-1' })
               . req(3, 'put_many', { events => [map { { id => "half-m$_", title => 'm', start => '2023' } } 1 .. 3] })
               . req(4, 'count')
               . req(5, 'subscribe')
               . req(6, 'ping');
    my $unfinished = req(7, 'ping');
    $c->send_bytes($stream . substr($unfinished, 0, 4));
    ok($c->{sock}->shutdown(SHUT_WR), 'the client shuts its sending side');
    ok($c->is_closed(10), 'the server closes the connection once it has answered');
    my @m;
    while (defined(my $m = $c->read_msg(0))) { push @m, $m }
    is_deeply([map { ref $_ && $_->[0] == 1 ? $_->[1] : 'not a response' } @m], [1 .. 6],
              'every complete request was answered, in order, and nothing else sent')
        or diag(to_json(\@m));
    ok(!grep({ ref $_ && defined $_->[2] } @m), 'none of them with an error') or diag(to_json(\@m));
    is($m[1] && $m[1][3]{event}{id}, 'half-1', 'the get after the put saw it');
    is($m[3] && $m[3][3]{count}, 4, 'the count after the writes saw all four events');
    my ($e, $r) = rpc('get', { id => 'half-m3' });
    ok(!$e && $r->{event}{id} eq 'half-m3', 'the writes answered before the close are durable');
}

# --- clients that vanish amid a large subscribe backlog -------------------------------------------
my $summary = 'backlog ' x 128;     # 1 KiB an event: the backlog is megabytes
for my $batch (0 .. 5) {
    my ($e) = rpc('put_many', { events => [map { { title => "e$batch-$_", start => '2020', summary => $summary } } 1 .. 500] });
    ok(!$e, "backlog batch $batch written") or diag(to_json($e));
}
my @gone;
for my $i (1 .. 8) {
    my $c = raw_connect();
    # A filtered and an unfiltered subscription on each.
    my $id1 = $c->request('subscribe', { since => 0 });
    my $id2 = $c->request('subscribe', { since => 0, q => 'backlog' });
    my $m = $c->read_msg(5);
    ok($m && $m->[0] == 1 && $m->[1] == $id1 && !defined $m->[2], "subscriber $i is subscribed");
    # Read a little of the backlog, or none, then vanish.
    $c->read_msg(5) for 1 .. $i % 3;
    push @gone, $c;
}
my ($e, $r) = rpc('stats');
ok($r->{server}{subscriptions} >= 2, "the subscriptions exist ($r->{server}{subscriptions})");
close $_->{sock} for @gone;
ok(wait_until(sub { my (undef, $s) = rpc('stats'); $s->{server}{connections} == 1 && $s->{server}{subscriptions} == 0 }, 10),
   'once they vanish, their connections and subscriptions are freed')
    or diag(to_json((rpc('stats'))[1]{server}));
($e, $r) = rpc('put', { event => { id => 'after-vanish', title => 'still written', start => '2025' } });
ok(!$e, 'writes go on');
my $c = raw_connect();
($e, $r) = $c->call('subscribe', { since => 3000 });
ok(!$e, 'a new subscriber subscribes');
my $n = 0;
while (my $m = $c->read_msg(5)) {
    $n++ if $m->[0] == 2 && $m->[1] eq 'change';
    last if $m->[0] == 2 && $m->[2][0]{id} && $m->[2][0]{id} eq 'after-vanish';
}
is($n, 5, 'and gets the changes after its since');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
