#!/usr/bin/perl
# With tokens configured, every connection (Unix socket and TCP) may call
# hello and auth only until it authenticates: anything else is
# unauthenticated, and hello says auth: true. A wrong token is
# unauthenticated and leaves the connection as it was; the third closes it.
# A read-only token reads (get, range, count, stats, changes, subscribe, whose
# notifications then come) and is forbidden every write; a read-write token
# writes; a later auth changes the rights. Tokens come from the token file
# and from the config's digests, and neither ever appears in the log, even
# at log_level debug.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Digest::SHA qw(sha256_hex);
use Test::More;
use Annals::Test;
use Annals::MsgPack;

my $RW = 'rw-token-' . ('a1' x 16);
my $RO = 'ro-token-' . ('b2' x 16);
my $RW2 = 'digest-rw-token-' . ('c3' x 12);
my $WRONG = 'wrong-token-' . ('d4' x 12);

my $tmp = File::Temp->newdir('annals-auth-XXXXXX', DIR => '/tmp');
my $tokfile = "$tmp/tokens";
write_file($tokfile, "# annalsd tokens\nrw $RW\nro $RO\n");
chmod 0600, $tokfile;
my $d = start_daemon(config => "auth_token_file = $tokfile\nauth_token_rw_sha256 = " . sha256_hex($RW2) . "\n");
like($d->log_text, qr/clients must authenticate: 3 token/, 'the log says clients must authenticate, and how many tokens there are');

sub code { my ($e) = @_; return ref $e eq 'ARRAY' ? $e->[0] : undef }
sub tok { Annals::MsgPack::str($_[0]) }

# ---- Before auth: hello, and nothing else -------------------------------------------------------
my $c = raw_connect();
my ($e, $r) = $c->call('hello');
ok(!$e, 'hello is answered before auth') or diag(to_json($e));
ok($r->{auth}, 'hello says auth: true');
is($r->{access}, 'none', '... and access: none');
ok(defined $r->{seq} && $r->{server} eq 'annalsd', '... and the usual fields');

my @calls = (
    [ping => undef], [stats => undef],
    [get => { id => 'x' }], [put => { event => { title => 't', start => '2024' } }],
    [put_many => { events => [] }], [delete => { id => 'x' }],
    [range => {}], [count => {}], [histogram => { from => '2024', to => '2024', bucket => 'month' }],
    [top => { field => 'kind' }], [subscribe => {}], [unsubscribe => { sub => 1 }],
    [changes => { since => 0 }],
);
for my $call (@calls) {
    ($e, $r) = $c->call(@$call);
    is(code($e), 'unauthenticated', "$call->[0] before auth: unauthenticated") or diag(to_json([$e, $r]));
}
like($e->[1], qr/auth/, 'the message says to call auth');
($e) = $c->call('put', { event => { title => 't', start => '2024' }, bogus => 1 });
is(code($e), 'unauthenticated', 'a call with a bad parameter is unauthenticated too: rights come first');
($e) = $c->call('no_such_method');
is(code($e), 'unknown_method', 'an unknown method is still unknown_method');
($e) = $c->call('auth', {});
is(code($e), 'bad_request', 'auth without a token: bad_request');
($e) = $c->call('auth', { token => 42 });
is(code($e), 'bad_request', 'auth with a token that is not a string: bad_request');
($e) = $c->call('auth', { token => tok($RW), extra => 1 });
is(code($e), 'bad_request', 'auth with an unknown parameter: bad_request');

# ---- Wrong tokens ---------------------------------------------------------------------------------
($e, $r) = $c->call('auth', { token => tok($WRONG) });
is(code($e), 'unauthenticated', 'a wrong token: unauthenticated');
like($e->[1], qr/wrong token/, '... saying so');
ok(!$c->is_closed(0.2), '... and the connection stays');
($e) = $c->call('ping');
is(code($e), 'unauthenticated', '... still without rights');
($e) = $c->call('auth', { token => tok(substr($RW, 0, -1) . 'b') });
is(code($e), 'unauthenticated', 'a token one character off: unauthenticated (second wrong token)');
($e) = $c->call('auth', { token => tok($RW . "\n") });
is(code($e), 'unauthenticated', 'the right token with a newline: unauthenticated (third)');
like($e->[1], qr/closing/, '... which says the connection is closed');
ok($c->is_closed(5), 'after the third wrong token the connection is closed');

# ---- A read-only token ------------------------------------------------------------------------------
my $w = raw_connect();
($e, $r) = $w->call('auth', { token => tok($RW) });
ok(!$e, 'the read-write token of the file authenticates') or diag(to_json($e));
is_deeply($r, { access => 'rw' }, '... answering {access: rw}');
($e, $r) = $w->call('put', { event => { id => 'ev1', title => 'written with rw', start => '2024-05' } });
ok(!$e, 'rw: put works') or diag(to_json($e));

my $ro = raw_connect();
($e) = $ro->call('auth', { token => tok($WRONG) });
is(code($e), 'unauthenticated', 'a wrong token first ...');
($e, $r) = $ro->call('auth', { token => tok($RO) });
ok(!$e, '... then the read-only token: authenticated, the failure forgotten for the rights')
    or diag(to_json($e));
is_deeply($r, { access => 'ro' }, '... answering {access: ro}');
($e, $r) = $ro->call('hello');
is($r->{access}, 'ro', 'hello now says access: ro');
for my $call ([ping => undef], [stats => undef], [get => { id => 'ev1' }], [range => {}], [count => {}],
              [histogram => { from => '2024', to => '2024', bucket => 'year' }], [top => { field => 'kind' }],
              [changes => { since => 0 }]) {
    ($e, $r) = $ro->call(@$call);
    ok(!$e, "ro: $call->[0] is answered") or diag(to_json($e));
}
($e, $r) = $ro->call('get', { id => 'ev1' });
is($r->{event}{title}, 'written with rw', 'ro: get returns the event');
for my $call ([put => { event => { title => 'x', start => '2024' } }], [put_many => { events => [{ title => 'x', start => '2024' }] }],
              [put_many => { events => [] }], [delete => { id => 'ev1' }],
              [backup => { path => daemon()->dir . '/ro-backup' }]) {
    ($e) = $ro->call(@$call);
    is(code($e), 'forbidden', "ro: $call->[0] is forbidden") or diag(to_json($e));
}
like($e->[1], qr/read-only/, 'the message says the token is read-only');
($e) = $ro->call('put', { nonsense => 1 });
is(code($e), 'forbidden', 'ro: a put with bad parameters is forbidden too');
($e, $r) = $ro->call('get', { id => 'ev1' });
ok(!$e && $r->{event}, 'ev1 is still there');
ok(!-e daemon()->dir . '/ro-backup', 'and the forbidden backup made no directory');

# Subscriptions are reads.
my @notes;
($e, $r) = $ro->call_amid('subscribe', {}, \@notes);
ok(!$e, 'ro: subscribe is allowed') or diag(to_json($e));
my $sub = $r->{sub};
($e, $r) = $w->call('put', { event => { id => 'ev2', title => 'seen by ro', start => '2024-06' } });
ok(!$e, 'rw puts ev2');
my $note;
for (1 .. 50) {
    push @notes, $ro->read_available(0.1);
    ($note) = grep { ref $_ eq 'ARRAY' && $_->[0] == 2 && $_->[1] eq 'change' } @notes;
    last if $note;
}
ok($note && $note->[2][0]{id} eq 'ev2', 'the ro subscriber receives the change') or diag(to_json(\@notes));
# A wrong token on an authenticated connection leaves it as it was.
($e) = $ro->call_amid('auth', { token => tok($WRONG) }, \@notes);
is(code($e), 'unauthenticated', 'a wrong token on the ro connection: unauthenticated');
($e, $r) = $ro->call_amid('get', { id => 'ev2' }, \@notes);
ok(!$e, '... which keeps its read rights');
($e, $r) = $ro->call_amid('unsubscribe', { sub => $sub }, \@notes);
ok(!$e, '... and its subscription (unsubscribe answers)') or diag(to_json($e));

# ---- Changing rights, the config's digest, pipelining, TCP -----------------------------------------
($e, $r) = $w->call('auth', { token => tok($RO) });
is_deeply($r, { access => 'ro' }, 'a rw connection that authenticates with the ro token ...');
($e) = $w->call('delete', { id => 'ev2' });
is(code($e), 'forbidden', '... is read-only from then on');
($e, $r) = $w->call('auth', { token => tok($RW2) });
is_deeply($r, { access => 'rw' }, 'the token of auth_token_rw_sha256 gives rw');
($e, $r) = $w->call('delete', { id => 'ev2' });
ok(!$e, '... and delete works') or diag(to_json($e));

my $p = raw_connect();
$p->send_bytes(join '', map { Annals::MsgPack::encode($_) }
    [0, 1, 'auth', [{ token => tok($RW) }]],
    [0, 2, 'put', [{ event => { id => 'ev3', title => 'pipelined', start => '2025' } }]],
    [0, 3, 'auth', [{ token => tok($RO) }]],
    [0, 4, 'put', [{ event => { id => 'ev4', title => 'pipelined', start => '2025' } }]],
    [0, 5, 'get', [{ id => 'ev3' }]]);
my @m = map { $p->read_msg(10) } 1 .. 5;
is_deeply([map { ref $_ ? $_->[1] : undef } @m], [1 .. 5], 'pipelined auth, put, auth, put, get: answered in order');
ok(!$m[1][2], '... the put after the rw auth works') or diag(to_json($m[1]));
is(code($m[3][2]), 'forbidden', '... the put after the ro auth is forbidden');
is($m[4][3]{event}{title}, 'pipelined', '... and get sees the first put');

my $t = raw_connect(tcp => 1);
($e) = $t->call('get', { id => 'ev3' });
is(code($e), 'unauthenticated', 'over TCP the same: unauthenticated before auth');
($e, $r) = $t->call('auth', { token => tok($RO) });
($e, $r) = $t->call('get', { id => 'ev3' });
ok(!$e, '... and reads after auth');

# ---- The log -----------------------------------------------------------------------------------------
like($d->log_text, qr/auth with a wrong token/, 'wrong tokens are logged (as such) ...');
my $log = $d->log_text;
for my $secret ($RW, $RO, $RW2, $WRONG, substr($RW, 0, -1) . 'b') {
    ok(index($log, $secret) < 0, '... but no token ever appears in the log, at log_level debug')
        or diag("found in the log: $secret");
}
is(stop_daemon(), 0, 'annalsd stops cleanly');

# ---- No token: as before ------------------------------------------------------------------------------
start_daemon();
($e, $r) = rpc('hello');
ok(!$r->{auth} && $r->{access} eq 'rw', 'without tokens hello says auth: false, access: rw');
($e, $r) = rpc('put', { event => { title => 'no auth needed', start => '2024' } });
ok(!$e, 'without tokens a put needs no auth');
($e, $r) = rpc('auth', { token => tok($WRONG) });
is_deeply($r, { access => 'rw' }, 'auth on a server without tokens accepts any token: {access: rw}');
is(stop_daemon(), 0, 'stops cleanly');

done_testing();
