#!/usr/bin/perl
# When the disk under the data directory is full (here a 6 MiB tmpfs under a
# 64 MiB map), writes fail with db_full saying the disk is full, reads go on
# (count and range too: new events are indexed in their own commit when the
# disk is nearly full), nothing stored is damaged, and deleting events makes
# room for writes again. Needs root to mount the tmpfs; skipped otherwise.
use strict;
use warnings;
use utf8;
use File::Temp ();
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

plan skip_all => 'needs root to mount a small tmpfs' if $> != 0;
my $mnt = File::Temp::tempdir('annals-disk-XXXXXX', TMPDIR => 1, CLEANUP => 0);
plan skip_all => "cannot mount a tmpfs on $mnt" if system("mount -t tmpfs -o size=6m tmpfs $mnt 2>/dev/null") != 0;
END { system("umount $mnt 2>/dev/null"); rmdir $mnt if $mnt }

my $d = start_daemon(args => ['--data', "$mnt/data", '--map-size', '64MiB']);
my $summary = 'ق' x 8000;    # 16 kB of Arabic per event
my (@stored, $full);
for my $i (1 .. 2000) {
    my ($e) = rpc('put', { event => { id => "d$i", title => "حدث $i", start => '2024-05-01', summary => $summary,
                                      countries => ['MA'] } });
    if ($e) { $full = $e; last }
    push @stored, "d$i";
}
ok($full, 'a 6 MiB disk fills up after ' . scalar(@stored) . ' events of 16 kB');
is($full->[0], 'db_full', 'the write that does not fit fails with db_full');
like($full->[1], qr/disk/, 'and the message says the disk is full') or diag($full->[1]);
cmp_ok(scalar @stored, '>', 20, 'the events before it were stored');

my ($e, $r) = rpc('count', { from => '2024', to => '2024', country => ['MA'] });
ok(!$e, 'count still answers') or diag(to_json($e));
is($r->{count}, scalar @stored, '... and sees every stored event');
($e, $r) = rpc('range', { from => '2024-05-01', to => '2024-05-01', limit => 5 });
is(scalar @{ $r->{events} // [] }, 5, 'range still answers');
my $intact = grep { my ($ge, $gr) = rpc('get', { id => $_ }); !$ge && $gr->{event}{summary} eq $summary } @stored;
is($intact, scalar @stored, 'every stored event reads back intact');

for my $id (splice @stored, 0, 20) {
    ($e) = rpc('delete', { id => $id });
    ok(!$e, "delete $id on a full disk") or diag(to_json($e));
}
($e) = rpc('put', { event => { id => 'again', title => 'بعد الحذف', start => '2024', countries => ['MA'] } });
ok(!$e, 'after deleting, a write works again') or diag(to_json($e));
push @stored, 'again';
($e, $r) = rpc('count', { from => '2024', to => '2024', country => ['MA'] });
is($r->{count}, scalar @stored, 'count agrees');
is(stop_daemon(), 0, 'annalsd stops cleanly');
done_testing();
