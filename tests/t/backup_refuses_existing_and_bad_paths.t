#!/usr/bin/perl
# annals backup PATH makes a new directory that annalsd can be started on;
# it never writes into an existing path, refuses relative paths, says why a
# path cannot be made, and exits with the documented codes.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Annals::Test;

my $tmp = File::Temp->newdir('annals-backup-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{ANNALS_KEEP});
my $d = start_daemon();
for my $i (1 .. 5) {
    my $r = client('put', to_json({ id => "e$i", title => "event $i", start => "2024-0$i" }));
    is($r->exit, 0, "put e$i") or diag($r->describe);
}
client('delete', 'e2');

# --- a backup through the client, and annalsd on it ---------------------------------------
my $r = client('backup', "$tmp/b1");
is($r->exit, 0, 'annals backup exits 0') or diag($r->describe);
my $res = $r->json // {};
is($res->{path}, "$tmp/b1", 'it prints the path');
is($res->{seq}, 6, 'the seq of the last write (5 puts and a delete)');
is($res->{bytes}, -s "$tmp/b1/data.mdb", 'and the size of data.mdb');
is_deeply([sort map { s{.*/}{}r } glob "$tmp/b1/*"], ['data.mdb'], 'the directory holds data.mdb alone');

my $copy = start_daemon(args => ['--data', "$tmp/b1"]);
$r = $copy->client('count');
is(($r->json // {})->{count}, 4, 'annalsd on the backup counts the 4 events');
$r = $copy->client('get', 'e2');
is($r->exit, 1, 'the deleted one stays deleted');
$r = $copy->client('get', 'e5');
is(($r->json // {})->{title}, 'event 5', 'the others are there');
is($copy->stop, 0, 'and it stops cleanly');
# The copy is a data directory of its own now: the original is untouched.
$r = $d->client('hello');
is(($r->json // {})->{seq}, 6, 'the original still reports its seq');

# --- paths that are refused -------------------------------------------------------------------
sub refused {
    my ($path, $want, $label) = @_;
    my $res = $d->client('backup', $path);
    is($res->exit, 4, "$label: exit 4") or diag($res->describe);
    like($res->err, $want, "$label: the reason") or diag($res->describe);
    is($res->out, '', "$label: nothing on stdout");
}
my $size = -s "$tmp/b1/data.mdb";
refused("$tmp/b1", qr{^annals: bad_request: path: \Q$tmp\E/b1 already exists}, 'a backup directory');
is(-s "$tmp/b1/data.mdb", $size, 'which is left as it was');
mkdir "$tmp/empty" or die;
refused("$tmp/empty", qr{bad_request: path: .* already exists}, 'an empty directory');
ok(!-e "$tmp/empty/data.mdb" && !-e "$tmp/empty/data.mdb.partial", 'nothing is written into it');
write_file("$tmp/file", 'not a directory');
refused("$tmp/file", qr{already exists}, 'an existing file');
is(read_file("$tmp/file"), 'not a directory', 'which keeps its content');
refused('relative/dir', qr{bad_request: path: 'relative/dir' is not an absolute path}, 'a relative path');
refused("$tmp/missing/b", qr{bad_request: path: cannot create the directory \Q$tmp\E/missing/b: No such file or directory},
        'a missing parent');
refused("$tmp/file/b", qr{bad_request: .*Not a directory}, 'a parent that is a file');
SKIP: {
    skip 'root may write anywhere', 4 if $> == 0;
    mkdir "$tmp/ro" or die;
    chmod 0500, "$tmp/ro";
    refused("$tmp/ro/b", qr{bad_request: path: cannot create the directory .*Permission denied}, 'an unwritable parent');
    ok(!-e "$tmp/ro/b", 'nothing is made there');
    chmod 0700, "$tmp/ro";
}
refused('/proc/annals-backup', qr{bad_request: path: cannot create the directory /proc/annals-backup: },
        'a file system that takes no directories');

# --- the request itself ---------------------------------------------------------------------------
my ($e) = $d->rpc('backup', {});
is($e && $e->[0], 'bad_request', 'no path: bad_request');
like($e && $e->[1], qr/path: required/, 'which says so');
($e) = $d->rpc('backup', { path => 7 });
like($e && $e->[1], qr/path: expected a string/, 'a path that is not a string');
($e) = $d->rpc('backup', { path => "$tmp/x", force => 1 });
like($e && $e->[1], qr/unknown parameter 'force'/, 'an unknown parameter');
ok(!-e "$tmp/x", 'none of them made anything');

# --- the client's usage --------------------------------------------------------------------------
$r = $d->client('backup');
is($r->exit, 2, 'annals backup without PATH: exit 2');
like($r->err, qr/missing argument \(usage: annals backup PATH\)/, 'with the usage');
$r = $d->client('backup', "$tmp/a", "$tmp/b");
is($r->exit, 2, 'two paths: exit 2');
$r = $d->client('backup', '--help');
like($r->out, qr/annalsd --data PATH/, 'backup --help says how to restore');
$r = $d->client('backup', "$tmp/b9", { socket => "$tmp/no.sock" });
is($r->exit, 3, 'no server: exit 3');
ok(!-e "$tmp/b9", 'and nothing is made');

is($d->stop, 0, 'annalsd exits 0');
done_testing();
