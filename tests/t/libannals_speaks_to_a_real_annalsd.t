#!/usr/bin/perl
# libannals against a real annalsd: the C program
# tests/libannals/check_libannals.c, built by make test with annals.h alone
# and linked to the build tree's libannals.so, connects over the Unix socket
# and TCP, meets a missing socket, a full one and a silent one, calls every
# method once, pipelines 100 requests and reads the replies out of order,
# sees the server's error codes (not_found, bad_request with the field,
# put_many's index, unknown_method, gone with oldest), follows another
# connection's writes through a subscription, and is told of an overflow
# and resumes after it with no gap. Each of its TAP lines is a test here.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Annals::Test;

my $bin = build_dir() . '/libannals/check_libannals';
plan skip_all => "$bin is not built (make test builds it)" unless -x $bin;

my $d = start_daemon(args => ['--feed-buffer', '64KiB', '--changes-max-entries', '300',
                              '--feed-heartbeat', '100ms']);
my $scratch = File::Temp->newdir('annals-lib-XXXXXX', DIR => '/tmp');
my $r = run_cmd([$bin, $d->socket, $d->port, "$scratch"], timeout => 120);

my $points = 0;
for my $line (split /\n/, $r->out) {
    if ($line =~ /^(not )?ok \d+ - (.*)$/) {
        ok(!$1, $2);
        $points++;
    } elsif ($line =~ /^Bail out! (.*)/) {
        BAIL_OUT($1);
    } elsif ($line =~ /^#\s?(.*)/) {
        diag($1);
    }
}
ok($points >= 100, "the program ran its checks ($points)");
is($r->exit, 0, 'and exits 0') or diag($r->describe);
is(stop_daemon(), 0, 'annalsd exits cleanly');
done_testing();
