#!/usr/bin/perl
# backup copies the database while writers keep writing: annalsd started on
# the copy holds exactly every acknowledged write up to the seq the backup
# reported (latest version, deletes deleted) and none after it; it indexes
# the events the copy holds unindexed, and then count, range and the change
# log agree with get. One backup at a time (busy); on its connection the
# backup is answered in order; a backup whose client left is completed; a
# shutdown waits for the backup in progress.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::Load qw(event_for start_writers fetch_all check_queries read_changes check_change_log
                    check_applied state_at check_states);

# Nothing is indexed unless a query waits for it, so the copy surely holds
# events written but not yet indexed.
my $CONFIG = "index_idle = 1h\nindex_max_lag = 10000000\n";
my $tmp = File::Temp->newdir('annals-backup-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{ANNALS_KEEP});
my $d = start_daemon(config => $CONFIG);

# --- a database to copy: 3000 events of 4 KiB, indexed -------------------------------------
# (Large enough that the copy takes a while; few enough that checking every
# event in Perl stays quick.)
my $N = 3000;
my $W = 3;
my $pad = 'x' x 3500;
my %base;
for (my $i = 1; $i <= $N; $i += 500) {
    my @ids = map { "p$_" } $i .. $i + 499;
    my ($e, $r) = $d->rpc('put_many', { events => [map { { %{ event_for($_, 'pre') }, extra => { pad => $pad } } } @ids] });
    BAIL_OUT('preload: ' . to_json($e)) if $e;
    $base{ $ids[$_] } = { version => 'pre', seq => $r->{seq} - 499 + $_ } for 0 .. 499;
}
{
    my ($e, $r) = $d->rpc('count');
    is($r->{count}, $N, "$N events loaded and indexed");
}

# --- writers on the loaded events and on new ones; the backup in their midst -------------
my @own = map { my $w = $_; [(map { "p$_" } grep { $_ % $W == $w } 1 .. $N), map { "w$w-$_" } 0 .. 199] } 0 .. $W - 1;
$base{$_} //= undef for map { @$_ } @own;
my $load = start_writers(daemon => $d, ids => \@own, exists => { map { ($_ => 1) } grep { $base{$_} } keys %base },
                         tag => 'b', dir => "$tmp", seed => 7);
sleep 0.5;
my $path = "$tmp/copy";
my $c = $d->raw_connect;
my $t0 = time;
my ($berr, $bk) = $c->call('backup', { path => "$path/" }, 120);
my $t1 = time;
ok(!$berr, 'backup answers while writers write') or diag(to_json($berr));
$bk //= {};
is($bk->{path}, $path, 'the result names the directory, without the trailing slash');
ok(-f "$path/data.mdb" && -s _ == $bk->{bytes}, "$path/data.mdb holds the $bk->{bytes} bytes reported");
ok(!-e "$path/data.mdb.partial", 'no temporary file is left');
is((stat $path)[2] & 07777, 0700, 'the directory is private (0700)');
sleep 0.3;
is($load->stop, 0, 'the writers finish cleanly');

my @ops = $load->ops;
my @acked = grep { $_->{ack} } @ops;
my @refused = grep { $_->{err} } @acked;
is(scalar @refused, 0, 'no write was refused') or diag(to_json($refused[0]));
is(scalar(grep { !$_->{ack} } @ops), 0, 'every write was answered');
my $S = $bk->{seq} // 0;
my @items = map { @{ $_->{items} } } grep { !$_->{err} } @acked;
my $before = grep { $_->[2] > $N && $_->[2] <= $S } @items;
my $after = grep { $_->[2] > $S } @items;
my $during = grep { $_->{t} > $t0 && $_->{t} < $t1 } @acked;
ok($before > 0, "$before writes by the writers are in the copy");
ok($after > 0, "$after writes came after it");
note(sprintf 'backup: %d bytes, seq %d, %.0f ms; %d write requests acknowledged while it ran, %d in all',
     $bk->{bytes} // 0, $S, ($t1 - $t0) * 1000, $during, scalar @acked);
{
    my ($e, $h) = $d->rpc('hello');
    my $max = 0;
    $max < $_->[2] and $max = $_->[2] for @items;
    is($h->{seq}, $max, 'the source went on to the last acknowledged seq');
}

# --- annalsd on the copy ---------------------------------------------------------------
my $r = start_daemon(args => ['--data', $path], config => $CONFIG);
my $rc = $r->raw_connect;
{
    my ($e, $st) = $rc->call('stats');
    is($st->{seq}, $S, 'the restored server starts at the seq the backup reported');
    ok($st->{index}{waiting} > 0, "the copy holds $st->{index}{waiting} events not yet indexed");
}
my $got = fetch_all($rc, [sort keys %base]);
my %res = check_states($got, state_at(\%base, \@ops, $S));
is($res{lost} + $res{torn} + @{ $res{problems} }, 0,
   "each of $res{checked} ids holds its state as of seq $S, nothing after")
    or diag(join "\n", @{ $res{problems} }[0 .. 9]);
my ($nq, @bad) = check_queries($rc, $got);
is(scalar @bad, 0, "$nq queries (count and range) agree with get once the copy is indexed")
    or diag(join "\n", @bad[0 .. 9]);
{
    my ($e, $st) = $rc->call('stats');
    is($st->{index}{waiting}, 0, 'nothing waits to be indexed any more');
    is($st->{events}, scalar(grep { $got->{$_} } keys %$got), 'stats counts the events get finds');
    is($st->{changes}, $S, 'the change log holds one entry per seq');
}
my $log = read_changes($rc, $N);
my @cbad = check_change_log($log, $got, $N + 1, $S);
is(scalar @cbad, 0, 'the change log after the loaded events agrees with the events')
    or diag(join "\n", grep { defined } @cbad[0 .. 9]);
my (undef, @abad) = check_applied($log, [grep { $_->{seq} <= $S } grep { !$_->{err} } @acked]);
is(scalar @abad, 0, 'and holds exactly the acknowledged writes up to the seq of the copy')
    or diag(join "\n", grep { defined } @abad[0 .. 9]);
{
    my ($e, $p) = $rc->call('put', { event => { id => 'after-restore', title => 'after', start => '2024' } });
    is($p->{seq}, $S + 1, 'the restored server continues at the next seq');
}
is($r->stop, 0, 'the restored server stops cleanly');

# --- one backup at a time; the requesting connection stays in order ----------------------
{
    my $a = $d->raw_connect;
    my $b = $d->raw_connect;
    # Two backups asked for at once: whichever the server takes first is
    # made, the other is refused. (Should the first copy ever end before
    # the second request is read, try again.)
    my ($ok, $busy, $busy_path);
    for my $try (1 .. 3) {
        my @paths = ("$tmp/first$try", "$tmp/second$try");
        $a->request('backup', { path => $paths[0] });
        $b->request('backup', { path => $paths[1] });
        my @m = ($a->read_msg(60), $b->read_msg(60));
        my @busy = grep { $m[$_] && $m[$_][2] && $m[$_][2][0] eq 'busy' } 0, 1;
        ($ok, $busy) = (scalar(grep { $_ && !$_->[2] } @m), scalar @busy);
        $busy_path = @busy ? $paths[$busy[0]] : undef;
        last if $busy || $ok != 2;
    }
    is($ok, 1, 'of two backups asked for at once, one is made');
    is($busy, 1, 'the other gets busy');
    ok($busy_path && !-e $busy_path, 'and makes nothing');
    my ($e, $res2) = $b->call('backup', { path => "$tmp/second" }, 60);
    ok(!$e, 'once the first is done, another may start') or diag(to_json($e));

    # Pipelined behind a backup on one connection: answered after it, in order.
    my @ids = ($a->request('backup', { path => "$tmp/third" }),
               $a->request('put', { event => { id => 'behind', title => 'behind a backup', start => '2024' } }),
               $a->request('ping'));
    my @m = map { $a->read_msg(60) } 1 .. 3;
    is_deeply([map { $_ && $_->[1] } @m], \@ids, 'backup, put and ping are answered in the order sent');
    ok($m[1] && $m[0] && $m[1][3]{seq} > $m[0][3]{seq},
       'the put sent after the backup is not in it (its seq is above the backup\'s)');
}

# --- a client that leaves before the answer --------------------------------------------------
{
    my $a = $d->raw_connect;
    $a->request('backup', { path => "$tmp/orphan" });
    $a->close;
    ok(wait_until(sub { -f "$tmp/orphan/data.mdb" }, 30), 'a backup whose client left is still completed');
    my $e = wait_until(sub { my ($e) = $d->rpc('backup', { path => "$tmp/after-orphan" });
                             !$e || $e->[0] ne 'busy' ? [$e] : undef }, 30);
    ok($e && !$e->[0], 'and the next backup may start') or diag(to_json($e));
}

# --- a shutdown waits for the backup in progress ------------------------------------------
{
    my $a = $d->raw_connect;
    my $id = $a->request('backup', { path => "$tmp/at-shutdown" });
    sleep 0.01;
    kill 'TERM', $d->pid;
    my $m = $a->read_msg(60);
    ok($m && $m->[1] == $id && !$m->[2], 'a backup under way when SIGTERM comes is finished and answered')
        or diag(to_json($m));
    is($d->wait_exit(60), 0, 'then annalsd exits 0');
    ok(-f "$tmp/at-shutdown/data.mdb", 'and the copy is complete');
}
done_testing();
