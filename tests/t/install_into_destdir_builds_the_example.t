#!/usr/bin/perl
# make install into a temporary DESTDIR puts libannals there as a user
# builds against it: libannals.so.0 (exporting annals_ names only), its
# libannals.so link and libannals.a in PREFIX/lib, annals.h in
# PREFIX/include, and an annals.pc naming the real directories. The example
# client/examples/follow.c then compiles with `pkg-config --cflags --libs
# annals` (PKG_CONFIG_SYSROOT_DIR pointing into DESTDIR), loads the library
# from DESTDIR and, against a real annalsd, puts a meeting, finds it with a
# range query and sees its change come through the feed. make uninstall
# with the same DESTDIR leaves no file behind.
#
# The nested make runs the plain build (SANITIZE=): the example is built
# without sanitizers, so it must load an uninstrumented library. When the
# plain build is current, as after `make test`, it only installs.
use strict;
use warnings;
BEGIN { $ENV{ANNALS_TEST_TIMEOUT} //= 900 }    # a fresh plain build may be needed
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Find ();
use File::Temp ();
use Test::More;
use Annals::Test;

valgrind_skip('it builds and installs; nothing of annalsd to check');
for my $tool (qw(pkg-config cc make)) {
    plan skip_all => "$tool is not installed" unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}

my $top = top_dir();
my $tmp = File::Temp->newdir('annals-inst-XXXXXX', DIR => '/tmp');
my $dest = "$tmp/root";
# The nested make must not take the outer one's variables (SANITIZE,
# TEST_FILES) or its jobserver.
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};
my @make = ('make', '-C', $top, '--no-print-directory', 'PREFIX=/usr', "DESTDIR=$dest", 'SANITIZE=');

my $r = run_cmd([@make, 'install'], timeout => 800);
is($r->exit, 0, 'make install PREFIX=/usr DESTDIR=...') or diag($r->describe);

my %want = (
    'usr/lib/libannals.so.0' => 'the shared library',
    'usr/lib/libannals.a' => 'the static library',
    'usr/include/annals.h' => 'the header',
    'usr/lib/pkgconfig/annals.pc' => 'the pkg-config file',
);
ok(-f "$dest/$_", "$want{$_} is installed: /$_") for sort keys %want;
is(readlink("$dest/usr/lib/libannals.so"), 'libannals.so.0', 'libannals.so links to libannals.so.0');

my $pc = read_file("$dest/usr/lib/pkgconfig/annals.pc") // '';
like($pc, qr{^prefix=/usr$}m, 'annals.pc: prefix=/usr');
like($pc, qr{^libdir=/usr/lib$}m, '... libdir=/usr/lib');
like($pc, qr{^Requires: msgpack$}m, '... requires msgpack, whose objects annals.h uses');
unlike($pc, qr/@[A-Z]+@/, '... every placeholder filled in');

SKIP: {
    my $nm = run_cmd(['nm', '-D', '--defined-only', "$dest/usr/lib/libannals.so.0"]);
    skip 'nm is not installed', 2 if ($nm->exit // 127) == 127;
    my @syms = map { (split ' ')[-1] } grep { /\s[TDBRW]\s/ } $nm->lines;
    ok(scalar(grep { /^annals_/ } @syms) >= 30, 'the library exports the annals_ functions');
    is_deeply([grep { !/^annals_[a-z]/ } @syms], [], '... and nothing else (no buf_, xmalloc, annals__)');
}

SKIP: {
    my $nm = run_cmd(['nm', '-g', '--defined-only', "$dest/usr/lib/libannals.a"]);
    skip 'nm is not installed', 1 if ($nm->exit // 127) == 127;
    my @syms = map { (split ' ')[-1] } grep { /\s[TDBRW]\s/ } $nm->lines;
    is_deeply([grep { !/^annals_[a-z]/ } @syms], [], 'the static archive has no other global name either');
}

# A program with its own xmalloc and buf_init, linked with the static
# archive: it must link, and the library must keep calling its own.
{
    my $src = "$tmp/own_names.c";
    write_file($src, <<'C');
#include <stdio.h>
#include <stdlib.h>
#include <annals.h>
void *xmalloc(size_t n);
void buf_init(void *b);
void *xmalloc(size_t n) { (void)n; fputs("the program's xmalloc was called\n", stderr); abort(); }
void buf_init(void *b) { (void)b; fputs("the program's buf_init was called\n", stderr); abort(); }
int main(void)
{
    annals_conn *c;
    if (annals_new(&c) != ANNALS_OK)
        return 1;
    int rc = annals_connect_unix(c, "/nonexistent/annals.sock");
    printf("%s\n", annals_strerror(rc));
    annals_free(c);
    return 0;
}
C
    my $msgpack = run_cmd(['pkg-config', '--libs', 'msgpack']);
    my @mp = split ' ', $msgpack->out;
    my $cc = run_cmd([$ENV{CC} // 'cc', '-o', "$tmp/own_names", $src, "-I$dest/usr/include",
                      "$dest/usr/lib/libannals.a", @mp]);
    is($cc->exit, 0, 'a program with its own xmalloc and buf_init links with libannals.a')
        or diag($cc->describe);
    my $run = run_cmd(["$tmp/own_names"]);
    is($run->exit, 0, '... and runs, the library using its own') or diag($run->describe);
}

my %pkenv = (PKG_CONFIG_SYSROOT_DIR => $dest, PKG_CONFIG_PATH => "$dest/usr/lib/pkgconfig");
my $flags = run_cmd(['pkg-config', '--cflags', '--libs', 'annals'], env => \%pkenv);
is($flags->exit, 0, 'pkg-config finds annals in DESTDIR') or diag($flags->describe);
my $f = $flags->out;
chomp $f;
like($f, qr{-I\Q$dest\E/usr/include}, "... -I into DESTDIR ($f)");
like($f, qr{-L\Q$dest\E/usr/lib}, '... -L into DESTDIR');
like($f, qr{-lannals}, '... -lannals');

my $bin = "$tmp/follow";
my $cc = run_cmd(['cc', '-std=c11', '-Wall', '-Wextra', '-Werror', '-o', $bin,
                  "$top/client/examples/follow.c", split(' ', $f)]);
is($cc->exit, 0, 'the example compiles against the installed library with those flags')
    or diag($cc->describe);

SKIP: {
    my $ldd = run_cmd(['ldd', $bin], env => { LD_LIBRARY_PATH => "$dest/usr/lib" });
    skip 'ldd is not installed', 1 if ($ldd->exit // 127) == 127;
    like($ldd->out, qr{libannals\.so\.0 => \Q$dest\E/usr/lib/libannals\.so\.0}, 'it loads libannals.so.0 from DESTDIR');
}

my $d = start_daemon();
$r = run_cmd([$bin, $d->socket], env => { LD_LIBRARY_PATH => "$dest/usr/lib" });
is($r->exit, 0, 'the example runs against annalsd over the Unix socket') or diag($r->describe);
my ($id, $seq) = $r->out =~ /^put: (\S+) at seq (\d+)$/m;
ok(defined $id, 'it put a meeting') or diag($r->out);
$id //= '?';
$seq //= -1;
like($r->out, qr/^range: 2024-05-13  Ministers meet in Rabat  \Q$id\E$/m, 'its range query found it');
like($r->out, qr/^change: seq $seq put \Q$id\E$/m, 'and its change came through the feed, at the seq put gave');
my $got = client('get', $id);
is($got->exit, 0, 'the annals client gets the event') or diag($got->describe);
is(eval { $got->json->{title} }, 'Ministers meet in Rabat', '... as the example stored it');

$r = run_cmd([$bin, '127.0.0.1', $d->port], env => { LD_LIBRARY_PATH => "$dest/usr/lib" });
is($r->exit, 0, 'and over TCP') or diag($r->describe);
is(stop_daemon(), 0, 'annalsd exits cleanly');

$r = run_cmd([@make, 'uninstall'], timeout => 120);
is($r->exit, 0, 'make uninstall with the same DESTDIR') or diag($r->describe);
my @left;
File::Find::find({ no_chdir => 1, wanted => sub { push @left, $_ if -f $_ || -l $_ } }, $dest)
    if -d $dest;
is_deeply(\@left, [], 'no installed file is left');
done_testing();
