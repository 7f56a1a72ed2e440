#!/usr/bin/perl
# Every kind of bad input of PROTOCOL.md section 3, sent as raw bytes, gets
# the documented answer: an error response (or, without a readable msgid, an
# "error" notification) on a connection that stays usable, or, for bytes that
# cannot be skipped, an error and then the close. After every case a second,
# well-behaved connection is still served, and what was acknowledged stays.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use IO::Select ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $MAX_MESSAGE = 64 * 1024;
my $MAX_RECORD = 16 * 1024;
my $d = start_daemon(args => ['--max-message-size', '64KiB', '--max-record-size', '16KiB']);

# A connection that gets a fatal error first and keeps its end open: the
# server must close it by itself about 2 seconds later (checked at the end).
my $linger = raw_connect();
$linger->send_bytes("\xc1");
my $linger_msg = $linger->read_msg(5);
my $linger_t0 = time;

sub mp { Annals::MsgPack::encode(@_) }
sub S { Annals::MsgPack::str(@_) }
sub req { my ($id, $method, $params) = @_; return mp([0, Annals::MsgPack::int($id), S($method), $params // []]) }
sub show { my $m = shift; return defined $m ? to_json($m) : 'nothing' }

# An error array: [code, message] or [code, message, details-map].
sub error_ok {
    my ($e, $code, $label) = @_;
    my $shape = ref $e eq 'ARRAY' && (@$e == 2 || (@$e == 3 && ref $e->[2] eq 'HASH'))
        && defined $e->[1] && !ref $e->[1] && length $e->[1];
    ok($shape, "$label: the error is [code, message(, details)]") or diag(show($e));
    is(ref $e eq 'ARRAY' ? $e->[0] : undef, $code, "$label: code $code");
}

sub expect_response_error {
    my ($m, $msgid, $code, $label) = @_;
    ok(ref $m eq 'ARRAY' && @$m == 4 && defined $m->[0] && $m->[0] == 1, "$label: an error response")
        or return diag('got ' . show($m));
    is($m->[1], $msgid, "$label: it carries msgid $msgid");
    ok(!defined $m->[3], "$label: result is nil");
    error_ok($m->[2], $code, $label);
}

sub expect_notification_error {
    my ($m, $code, $label) = @_;
    ok(ref $m eq 'ARRAY' && @$m == 3 && defined $m->[0] && $m->[0] == 2 && ($m->[1] // '') eq 'error'
       && ref $m->[2] eq 'ARRAY' && @{ $m->[2] } == 1,
       "$label: the notification [2, \"error\", [[code, message]]]") or return diag('got ' . show($m));
    error_ok($m->[2][0], $code, $label);
}

sub still_usable {
    my ($c, $label) = @_;
    my ($e, $r) = eval { $c->call('ping') };
    ok(!$@ && !$e && $r && $r->{pong}, "$label: the same connection still answers") or diag($@ || show([$e, $r]));
}

sub others_served {
    my ($label) = @_;
    my $c2 = raw_connect();
    my ($e, $r) = eval { $c2->call('ping') };
    ok(!$@ && !$e && $r && $r->{pong}, "$label: a new connection is served") or diag($@ || show([$e, $r]));
    $c2->close;
}

# A case that keeps the connection: send, expect an error, check it is usable.
sub recoverable {
    my ($label, $bytes, $check) = @_;
    my $c = raw_connect();
    $c->send_bytes($bytes);
    my $m = $c->read_msg(5);
    $check->($m);
    still_usable($c, $label);
    $c->close;
    others_served($label);
}

# A case that ends the connection: send, expect an error, then the close.
sub fatal {
    my ($label, $bytes, $check) = @_;
    my $c = raw_connect();
    $c->send_bytes($bytes);
    my $m = $c->read_msg(5);
    $check->($m);
    ok($c->is_closed(5), "$label: then the server closes the connection");
    is($c->read_msg(0), undef, "$label: and sends nothing more");
    $c->close;
    others_served($label);
}

# --- well-formed messages of the wrong shape -----------------------------------------
recoverable('not an array (a map)', mp({ a => 1 }),
            sub { expect_notification_error($_[0], 'bad_request', 'not an array (a map)') });
recoverable('not an array (an integer)', mp(7),
            sub { expect_notification_error($_[0], 'bad_request', 'not an array (an integer)') });
recoverable('an empty array', mp([]),
            sub { expect_notification_error($_[0], 'bad_request', 'an empty array') });
recoverable('a request of 3 elements', mp([0, 7, S('ping')]),
            sub { expect_response_error($_[0], 7, 'bad_request', 'a request of 3 elements') });
recoverable('a request of 5 elements', mp([0, 8, S('ping'), [], 1]),
            sub { expect_response_error($_[0], 8, 'bad_request', 'a request of 5 elements') });
recoverable('a message type 3', mp([3, 9, S('ping'), []]),
            sub { expect_notification_error($_[0], 'bad_request', 'a message type 3') });
recoverable('msgid a string', mp([0, S('x'), S('ping'), []]),
            sub { expect_notification_error($_[0], 'bad_request', 'msgid a string') });
recoverable('msgid negative', mp([0, -1, S('ping'), []]),
            sub { expect_notification_error($_[0], 'bad_request', 'msgid negative') });
recoverable('msgid 2^32', mp([0, 4294967296, S('ping'), []]),
            sub { expect_notification_error($_[0], 'bad_request', 'msgid 2^32') });
recoverable('msgid a float', mp([0, Annals::MsgPack::float(3), S('ping'), []]),
            sub { expect_notification_error($_[0], 'bad_request', 'msgid a float') });
recoverable('msgid nil', mp([0, undef, S('ping'), []]),
            sub { expect_notification_error($_[0], 'bad_request', 'msgid nil') });
{
    # A negative msgid (the fixint 0xff, and an int8) in the middle of a
    # pipeline, behind a write still waiting for its commit: the requests
    # around it are answered, and it gets the error notification (it has no
    # msgid a response could carry), each in its place.
    my $c = raw_connect();
    my $put = req(2, 'put', [{ event => { id => 'pipelined-neg', title => 't', start => '2024' } }]);
    my $neg = "\x94\x00\xff\xa4ping\x90";
    is($neg, mp([0, -1, S('ping'), []]), 'msgid -1 is the negative fixint 0xff on the wire');
    $c->send_bytes(req(1, 'ping') . $put . $neg . req(3, 'get', [{ id => 'pipelined-neg' }])
                   . mp([0, Annals::MsgPack::int_as(0xd0, -100), S('count'), []]) . req(4, 'ping'));
    my @m = map { $c->read_msg(5) } 1 .. 6;
    ok(ref $m[0] && $m[0][0] == 1 && $m[0][1] == 1 && $m[0][3]{pong}, 'pipeline: request 1 answered first') or diag(show($m[0]));
    ok(ref $m[1] && $m[1][0] == 1 && $m[1][1] == 2 && !defined $m[1][2], 'pipeline: the put (2) next') or diag(show($m[1]));
    expect_notification_error($m[2], 'bad_request', 'pipeline: msgid -1 after the put');
    like(ref $m[2] ? $m[2][2][0][1] : '', qr/msgid/, 'pipeline: the message says what is wrong');
    ok(ref $m[3] && $m[3][0] == 1 && $m[3][1] == 3 && $m[3][3]{event}{id} eq 'pipelined-neg',
       'pipeline: the get (3) after it sees the put') or diag(show($m[3]));
    expect_notification_error($m[4], 'bad_request', 'pipeline: msgid -100 (int8)');
    ok(ref $m[5] && $m[5][0] == 1 && $m[5][1] == 4 && $m[5][3]{pong}, 'pipeline: request 4 answered last') or diag(show($m[5]));
    still_usable($c, 'pipeline with negative msgids');
    $c->close;
}
recoverable('method not a string', mp([0, 10, 42, []]),
            sub { expect_response_error($_[0], 10, 'bad_request', 'method not a string') });
recoverable('an unknown method', req(11, 'frobnicate'),
            sub { expect_response_error($_[0], 11, 'unknown_method', 'an unknown method') });
recoverable('params a map', mp([0, 12, S('get'), { id => 'x' }]),
            sub { expect_response_error($_[0], 12, 'bad_request', 'params a map') });
recoverable('params nil', mp([0, 13, S('ping'), undef]),
            sub { expect_response_error($_[0], 13, 'bad_request', 'params nil') });
recoverable('params of two maps', req(14, 'get', [{ id => 'x' }, { id => 'y' }]),
            sub { expect_response_error($_[0], 14, 'bad_request', 'params of two maps') });
recoverable('params [string]', req(15, 'get', [S('x')]),
            sub { expect_response_error($_[0], 15, 'bad_request', 'params [string]') });
recoverable('an unknown parameter', req(16, 'get', [{ idd => 'x' }]),
            sub { expect_response_error($_[0], 16, 'bad_request', 'an unknown parameter') });
recoverable('a parameter for ping', req(17, 'ping', [{ verbose => JSON::PP::true() }]),
            sub { expect_response_error($_[0], 17, 'bad_request', 'a parameter for ping') });
recoverable('a parameter name that is not a string',
            req(18, 'get', [Annals::MsgPack::map_ordered([1 => 'x'])]),
            sub { expect_response_error($_[0], 18, 'bad_request', 'a parameter name that is not a string') });

# --- parameters of the wrong type ----------------------------------------------------------
my @wrong_types = (
    ['get id an integer', 'get', { id => 42 }],
    ['get id nil (required)', 'get', { id => undef }],
    ['get id binary', 'get', { id => Annals::MsgPack::bin('abc') }],
    ['put event a string', 'put', { event => 'x' }],
    ['put event an array', 'put', { event => [] }],
    ['put without event', 'put', {}],
    ['put title an integer', 'put', { event => { title => 5, start => '2024' } }],
    ['put start a timestamp ext', 'put', { event => { title => 't', start => Annals::MsgPack::ext(-1, "\0\0\0\0") } }],
    ['put tags a string', 'put', { event => { title => 't', start => '2024', tags => 'a' } }],
    ['put lat a string', 'put', { event => { title => 't', start => '2024', place => { lat => '1.5' } } }],
    ['put_many events a map', 'put_many', { events => {} }],
    ['range limit a string', 'range', { limit => S('10') }],
    ['range limit negative', 'range', { limit => -1 }],
    ['range limit a float', 'range', { limit => Annals::MsgPack::float(10) }],
    ['range from an integer', 'range', { from => 2024 }],
    ['range kind a map', 'range', { kind => { a => 1 } }],
    ['range tag [integer]', 'range', { tag => [1] }],
    ['count mode a bool', 'count', { mode => JSON::PP::true() }],
);
my $id = 100;
for my $w (@wrong_types) {
    my ($label, $method, $p) = @$w;
    my $msgid = ++$id;
    recoverable($label, req($msgid, $method, [$p]),
                sub { expect_response_error($_[0], $msgid, 'bad_request', $label) });
}

# --- invalid UTF-8 ----------------------------------------------------------------------
my @bad_utf8 = (
    ['a title of bytes ff fe', { title => Annals::MsgPack::str_bytes("\xff\xfe"), start => '2024' }],
    ['an overlong "/" in the summary', { title => 't', start => '2024', summary => Annals::MsgPack::str_bytes("\xc0\xaf") }],
    ['a surrogate in a tag', { title => 't', start => '2024', tags => [Annals::MsgPack::str_bytes("\xed\xa0\x80")] }],
    ['a truncated sequence in a participant', { title => 't', start => '2024', participants => [{ name => Annals::MsgPack::str_bytes("ab\xe2\x82") }] }],
    ['a code point above U+10FFFF in extra', { title => 't', start => '2024', extra => { k => Annals::MsgPack::str_bytes("\xf4\x90\x80\x80") } }],
    ['invalid UTF-8 in a key of extra', { title => 't', start => '2024',
                                          extra => Annals::MsgPack::map_ordered([Annals::MsgPack::str_bytes("\xff"), 1]) }],    ['an id of bytes c3 28', { title => 't', start => '2024', id => Annals::MsgPack::str_bytes("ok\xc3\x28") }],
    ['invalid UTF-8 in place.name', { title => 't', start => '2024', place => { name => Annals::MsgPack::str_bytes("Rab\xe1t") } }],
    ['invalid UTF-8 in lang', { title => 't', start => '2024', lang => Annals::MsgPack::str_bytes("a\x80") }],
    ['invalid UTF-8 in an alias', { title => 't', start => '2024',
                                    participants => [{ name => 'A', aliases => [Annals::MsgPack::str_bytes("\xf8\x88\x80\x80\x80")] }] }],
    ['invalid UTF-8 in a source publisher', { title => 't', start => '2024',
                                              sources => [{ url => 'https://e.org', publisher => Annals::MsgPack::str_bytes("\xe0\x80\x80") }] }],
);
for my $b (@bad_utf8) {
    my ($label, $ev) = @$b;
    my $msgid = ++$id;
    recoverable("put with $label", req($msgid, 'put', [{ event => { id => "utf8-$msgid", %$ev } }]),
                sub { expect_response_error($_[0], $msgid, 'bad_request', "put with $label") });
    my ($e, $r) = rpc('get', { id => "utf8-$msgid" });
    is(ref $e ? $e->[0] : undef, 'not_found', "put with $label: nothing was stored");
}
for my $f (qw(participant place tag q)) {
    my $msgid = ++$id;
    recoverable("range with a $f filter of invalid UTF-8", req($msgid, 'range', [{ $f => Annals::MsgPack::str_bytes("ab\xff") }]),
                sub { expect_response_error($_[0], $msgid, 'bad_request', "range with a $f filter of invalid UTF-8") });
}
{
    my $msgid = ++$id;
    recoverable('get with an id of invalid UTF-8', req($msgid, 'get', [{ id => Annals::MsgPack::str_bytes("\xff") }]),
                sub { expect_response_error($_[0], $msgid, 'bad_request', 'get with an id of invalid UTF-8') });
}

# --- max_record_size: too_large, and the connection stays --------------------------------------
{
    my $msgid = ++$id;
    my $ev = { id => 'big', title => 'big', start => '2024', summary => 'x' x ($MAX_RECORD + 100) };
    my $bytes = req($msgid, 'put', [{ event => $ev }]);
    ok(length($bytes) < $MAX_MESSAGE, 'the big event fits in max_message_size');
    recoverable('an event over max_record_size', $bytes,
                sub { expect_response_error($_[0], $msgid, 'too_large', 'an event over max_record_size') });
    my ($e) = rpc('get', { id => 'big' });
    is(ref $e ? $e->[0] : undef, 'not_found', 'the event over max_record_size was not stored');

    $msgid = ++$id;
    my $ok_ev = { id => 'not-big', title => 'fits', start => '2024', summary => 'x' x ($MAX_RECORD - 500) };
    my $c = raw_connect();
    $c->send_bytes(req($msgid, 'put', [{ event => $ok_ev }]));
    my $m = $c->read_msg(5);
    ok($m && !defined $m->[2], 'an event just under max_record_size is stored') or diag(show($m));

    $msgid = ++$id;
    my @evs = map { { id => "many-$_", title => "t$_", start => '2024' } } 1 .. 3;
    $evs[1]{summary} = 'y' x ($MAX_RECORD + 100);
    $c->send_bytes(req($msgid, 'put_many', [{ events => \@evs }]));
    $m = $c->read_msg(5);
    expect_response_error($m, $msgid, 'too_large', 'put_many with one event over max_record_size');
    is_deeply(ref $m && ref $m->[2] eq 'ARRAY' ? $m->[2][2] : undef, { index => 1 },
              '... names the event with details {index: 1}');
    my ($e2) = rpc('get', { id => 'many-1' });
    is(ref $e2 ? $e2->[0] : undef, 'not_found', '... and stores none of them');
    still_usable($c, 'put_many over max_record_size');
}

# --- bytes that cannot be skipped: an error, then the close ----------------------------------
fatal('junk byte 0xc1', "\xc1",
      sub { expect_notification_error($_[0], 'bad_request', 'junk byte 0xc1') });
{
    # The junk after the answered ping: the next message is the notification.
    my $c = raw_connect();
    $c->send_bytes(req(202, 'ping') . req(203, 'hello') . "\xc1");
    my @m = map { $c->read_msg(5) } 1 .. 3;
    is_deeply([map { ref $_ ? [$_->[0], $_->[1]] : undef } @m[0, 1]], [[1, 202], [1, 203]],
              'requests before junk in the same write are answered, in order');
    expect_notification_error($m[2], 'bad_request', 'junk after two requests');
    ok($c->is_closed(5), 'junk after two requests: then the close');
    others_served('junk after two requests');
}
{
    # Junk inside a request whose msgid can be read: a response with that
    # msgid or the notification are both what section 3 allows.
    my $c = raw_connect();
    $c->send_bytes(mp([0, 204, S('ping'), Annals::MsgPack::raw("\xc1")]));
    my $m = $c->read_msg(5);
    if (ref $m && $m->[0] == 1) { expect_response_error($m, 204, 'bad_request', 'junk inside a request') }
    else { expect_notification_error($m, 'bad_request', 'junk inside a request') }
    ok($c->is_closed(5), 'junk inside a request: then the close');
    others_served('junk inside a request');
}

# max_message_size
{
    my $ev = { title => 'huge', start => '2024', summary => 'z' x ($MAX_MESSAGE + 1000) };
    fatal('a request over max_message_size', req(301, 'put', [{ event => $ev }]),
          sub { expect_response_error($_[0], 301, 'too_large', 'a request over max_message_size') });
    fatal('a request just over max_message_size', do {
              my $base = length req(302, 'put', [{ event => { title => 'h', start => '2024', summary => '' } }]);
              my $pad = $MAX_MESSAGE + 1 - $base;
              my $b = req(302, 'put', [{ event => { title => 'h', start => '2024', summary => 'q' x $pad } }]);
              # The str header grows with the padding; trim back to exactly one byte over.
              my $over = length($b) - ($MAX_MESSAGE + 1);
              req(302, 'put', [{ event => { title => 'h', start => '2024', summary => 'q' x ($pad - $over) } }]);
          },
          sub { expect_response_error($_[0], 302, 'too_large', 'a request one byte over max_message_size') });
    my $c = raw_connect();
    my $b = req(303, 'put', [{ event => { id => 'exactly-max', title => 'h', start => '2024', summary => '' } }]);
    my $pad = $MAX_MESSAGE - length($b);
    $b = req(303, 'put', [{ event => { id => 'exactly-max', title => 'h', start => '2024',
                                       extra => { pad => Annals::MsgPack::bin('p' x ($pad - 10)) } } }]);
    $b = req(303, 'put', [{ event => { id => 'exactly-max', title => 'h', start => '2024',
                                       extra => { pad => Annals::MsgPack::bin('p' x ($pad - 10 - (length($b) - $MAX_MESSAGE))) } } }]);
    is(length $b, $MAX_MESSAGE, 'a message of exactly max_message_size bytes is built');
    $c->send_bytes($b);
    my $m = $c->read_msg(5);
    ok($m && $m->[0] == 1 && $m->[1] == 303, 'a message of exactly max_message_size is answered') or diag(show($m));
    ok(!$c->is_closed(0.3), '... and the connection stays open');
}
fatal('a top-level value over max_message_size', mp(Annals::MsgPack::bin('b' x ($MAX_MESSAGE + 10))),
      sub { expect_notification_error($_[0], 'too_large', 'a top-level value over max_message_size') });
{
    # Sizes announced in headers must be checked before waiting for the bytes.
    my $c = raw_connect();
    $c->send_bytes(mp([0, 304, S('put'), [{ event => Annals::MsgPack::raw(pack('CN', 0xdb, 0xfffffff0)) }]]));
    my $m = $c->read_msg(5);
    expect_response_error($m, 304, 'too_large', 'a str header announcing 4 GiB (bytes never sent)');
    ok($c->is_closed(5), 'a str header announcing 4 GiB: then the close');
    others_served('a str header announcing 4 GiB');

    $c = raw_connect();
    $c->send_bytes(mp([0, 305, S('ping'), Annals::MsgPack::raw(pack('CN', 0xdd, 0xffffffff))]));
    $m = $c->read_msg(5);
    expect_response_error($m, 305, 'too_large', 'an array header announcing 4 billion elements');
    ok($c->is_closed(5), 'an array header announcing 4 billion elements: then the close');
    others_served('an array header announcing 4 billion elements');

    $c = raw_connect();
    $c->send_bytes(pack('CN', 0xdf, 0xffffffff));
    $m = $c->read_msg(5);
    expect_notification_error($m, 'too_large', 'a top-level map header announcing 4 billion pairs');
    ok($c->is_closed(5), 'a top-level map header announcing 4 billion pairs: then the close');
}

# max_depth (32): the request array itself is level 1.
sub nest { my ($n) = @_; my $v = []; $v = [$v] for 2 .. $n; return $v }
{
    my $c = raw_connect();
    $c->send_bytes(mp([0, 401, S('ping'), nest(31)]));   # 1 + 31 = 32 levels
    my $m = $c->read_msg(5);
    expect_response_error($m, 401, 'bad_request', 'nesting of exactly 32 levels (params of the wrong shape)');
    ok(!$c->is_closed(0.3), 'nesting of exactly 32 levels: the connection stays open');
    still_usable($c, 'nesting of exactly 32 levels');
}
fatal('nesting of 33 levels', mp([0, 402, S('ping'), nest(32)]),
      sub { expect_response_error($_[0], 402, 'bad_request', 'nesting of 33 levels') });
fatal('nesting of 1000 levels', mp([0, 403, S('ping'), nest(999)]),
      sub { expect_response_error($_[0], 403, 'bad_request', 'nesting of 1000 levels') });
fatal('nesting of 40 levels at the top', mp(nest(40)),
      sub { expect_notification_error($_[0], 'bad_request', 'nesting of 40 levels at the top') });
fatal('nested maps 40 deep in an event', do {
          my $v = { end => 1 };
          $v = { k => $v } for 1 .. 40;
          req(404, 'put', [{ event => { title => 't', start => '2024', extra => $v } }]);
      }, sub { expect_response_error($_[0], 404, 'bad_request', 'nested maps 40 deep') });

# --- framing: split writes, pipelining ----------------------------------------------------
{
    my $c = raw_connect();
    my $ev = { id => 'slow', title => 'sent one byte at a time — ببطء', start => '2024-04-08' };
    my $bytes = req(501, 'put', [{ event => $ev }]);
    for my $i (0 .. length($bytes) - 1) {
        $c->send_bytes(substr($bytes, $i, 1));
        sleep($i == int(length($bytes) / 2) ? 0.3 : 0.001);
    }
    my $m = $c->read_msg(5);
    ok($m && $m->[1] == 501 && !defined $m->[2] && $m->[3]{id} eq 'slow',
       'a request written one byte at a time, with pauses, is answered') or diag(show($m));
    my ($e, $r) = rpc('get', { id => 'slow' });
    is($r && $r->{event}{title}, $ev->{title}, '... and stored whole');
}
{
    my $c = raw_connect();
    my (@bytes, @expect);
    my $msgid = 1000;
    for my $i (1 .. 300) {
        my $k = $i % 6;
        $msgid++;
        if    ($k == 0) { push @bytes, req($msgid, 'ping');                                  push @expect, [$msgid, 'ok', sub { $_[0]{pong} }] }
        elsif ($k == 1) { push @bytes, req($msgid, 'put', [{ event => { id => "pipe-$i", title => "p$i", start => '2024' } }]);
                          push @expect, [$msgid, 'ok', do { my $want = "pipe-$i"; sub { ($_[0]{id} // '') eq $want } }] }
        elsif ($k == 2) { push @bytes, req($msgid, 'get', [{ id => 'slow' }]);               push @expect, [$msgid, 'ok', sub { $_[0]{event}{id} eq 'slow' }] }
        elsif ($k == 3) { push @bytes, req($msgid, 'no_such_method');                        push @expect, [$msgid, 'unknown_method'] }
        elsif ($k == 4) { push @bytes, req($msgid, 'count', [{ from => '2024' }]);           push @expect, [$msgid, 'ok', sub { defined $_[0]{count} }] }
        else            { push @bytes, req($msgid, 'get', [{ id => 'no-such-id' }]);         push @expect, [$msgid, 'not_found'] }
    }
    $c->send_bytes(join '', @bytes);
    my @got = map { $c->read_msg(10) } @expect;
    my $bad = 0;
    for my $i (0 .. $#expect) {
        my ($want_id, $kind, $check) = @{ $expect[$i] };
        my $m = $got[$i];
        my $good = ref $m eq 'ARRAY' && $m->[0] == 1 && $m->[1] == $want_id
            && ($kind eq 'ok' ? !defined $m->[2] && $check->($m->[3])
                              : ref $m->[2] eq 'ARRAY' && $m->[2][0] eq $kind && !defined $m->[3]);
        next if $good;
        diag("pipelined reply $i: expected msgid $want_id ($kind), got " . show($m)) unless $bad++;
    }
    is($bad, 0, '300 pipelined requests in one write are all answered, in order, each correctly');
    my ($e, $r) = rpc('count', { from => '2024', to => '2024' });
    my ($e2, $r2) = rpc('range', { from => '2024', to => '2024', limit => 10000 });
    is(scalar(grep { $_->{id} =~ /^pipe-/ } @{ $r2->{events} }), 50, 'the 50 pipelined puts are all stored');
}
{
    # msgids at the ends of the range, and in a non-canonical encoding.
    my $c = raw_connect();
    $c->send_bytes(mp([0, 0, S('ping'), []]) . mp([0, 4294967295, S('ping'), []])
                   . mp([0, Annals::MsgPack::int_as(0xcf, 77), S('ping'), []]));
    my @m = map { $c->read_msg(5) } 1 .. 3;
    is_deeply([map { ref $_ ? $_->[1] : undef } @m], [0, 4294967295, 77],
              'msgids 0, 2^32-1 and 77 sent as uint64 are echoed');
}
{
    # Responses and notifications sent by a client are ignored, not answered.
    my $c = raw_connect();
    $c->send_bytes(mp([2, S('note'), []]) . mp([1, 5, undef, {}]) . req(601, 'ping'));
    my $m = $c->read_msg(5);
    is(ref $m ? $m->[1] : undef, 601, 'a notification and a response from the client get no answer');
}

# --- valid but unusual encodings --------------------------------------------------------------
{
    my $c = raw_connect();
    my $R = sub { Annals::MsgPack::raw($_[0]) };
    # Non-canonical headers: array16 envelope, str8 method, map32 params, uint64 limit.
    $c->send_bytes(pack('Cn', 0xdc, 4) . "\x00" . pack('CN', 0xce, 901) . pack('CC', 0xd9, 4) . 'ping' . "\x90");
    my $m = $c->read_msg(5);
    ok($m && $m->[1] == 901 && !defined $m->[2] && $m->[3]{pong}, 'array16 envelope, uint32 msgid, str8 method: answered')
        or diag(show($m));
    $c->send_bytes(mp([0, 902, S('range'), [$R->(pack('CN', 0xdf, 2) . mp(S('limit')) . pack('CQ>', 0xcf, 1)
                                                    . pack('Cn', 0xda, 5) . 'order' . mp(S('asc')))]]));
    $m = $c->read_msg(5);
    ok($m && $m->[1] == 902 && !defined $m->[2] && @{ $m->[3]{events} } <= 1, 'map32 params, a uint64 limit, a str16 key: answered')
        or diag(show($m));
    # Every type inside an unknown parameter: parsed, refused as unknown, and the connection stays.
    my $every = [undef, JSON::PP::true(), JSON::PP::false(), 0, -1, 127, 128, -33, 65536, -70000, 2**40, -(2**40),
                 Annals::MsgPack::float32(1.5), Annals::MsgPack::float(-2.25), S(''), S('x' x 40), S('y' x 300),
                 S('z' x 70000), Annals::MsgPack::bin(''), Annals::MsgPack::bin('b' x 300), Annals::MsgPack::bin('c' x 70000),
                 [(1) x 20], { map { ("k$_" => $_) } 1 .. 20 }, map { Annals::MsgPack::ext(5, 'e' x $_) } 1, 2, 4, 8, 16, 3, 300, 70000];
    my $bytes = mp([0, 903, S('count'), [{ junk => $every }]]);
    ok(length($bytes) < $MAX_MESSAGE * 4, 'a request holding every msgpack type is built');
    # It is above this daemon's max_message_size; send it to a daemon with the default limit.
    my $d2 = start_daemon();
    my $c2 = $d2->raw_connect;
    $c2->send_bytes($bytes);
    $m = $c2->read_msg(5);
    expect_response_error($m, 903, 'bad_request', 'every msgpack type in an unknown parameter');
    like(ref $m && ref $m->[2] ? $m->[2][1] : '', qr/junk/, '... the message names the parameter');
    my ($e, $r) = eval { $c2->call('ping') };
    ok($r && $r->{pong}, '... and the connection stays usable');
    is($d2->stop, 0, 'the second daemon exits 0');
    $Annals::Test::CURRENT = $d;
}

# --- clients that go away ---------------------------------------------------------------
{
    my ($e0, $r0) = rpc('count');
    my $c = raw_connect();
    my $b = req(701, 'put', [{ event => { id => 'half', title => 'never finished', start => '2024' } }]);
    $c->send_bytes(substr($b, 0, int(length($b) / 2)));
    $c->close;
    others_served('a client that vanishes mid-message');
    my ($e, $r) = rpc('get', { id => 'half' });
    is(ref $e ? $e->[0] : undef, 'not_found', 'the half-sent event was not stored');

    $c = raw_connect();
    $c->send_bytes(join '', map { req(800 + $_, 'put', [{ event => { id => "gone-$_", title => 'x', start => '2024' } }]) } 1 .. 200);
    $c->close;
    others_served('a client that vanishes without reading 200 answers');
}
{
    # A client that does not read: its replies are held back (the server
    # stops reading it) while other clients are served.
    my @big = map { { id => sprintf('bulk-%03d', $_), title => "bulk $_", start => '1900', summary => 's' x 2000 } } 1 .. 25;
    my ($e) = rpc('put_many', { events => \@big });
    ok(!$e, 'stored 25 events of 2 KB') or diag(show($e));
    my $slow = raw_connect();
    my $s = $slow->{sock};
    my $one = req(9000, 'range', [{ from => '1900', to => '1900', limit => 25 }]);
    my ($sent, $stalled_at) = (0, undef);
    my $t_end = time + 20;
    while ($sent < 600 && time < $t_end) {
        my $n = syswrite($s, $one);
        if (defined $n && $n == length $one) { $sent++; next }
        die "partial write" if defined $n;
        # Blocked: wait a little to see if the server reads on.
        if (!IO::Select->new($s)->can_write(0.5)) { $stalled_at = $sent; last }
    }
    ok($sent > 0, "a client that does not read sent $sent requests" . (defined $stalled_at ? ' before the server stopped reading' : ''));
    my $t0 = time;
    others_served('a client that does not read');
    ok(time - $t0 < 2 * slow_factor(), '... and promptly');
    my $got = 0;
    my $wrong = 0;
    while ($got < $sent) {
        my $m = $slow->read_msg(10) or last;
        $got++;
        $wrong++ unless ref $m eq 'ARRAY' && !defined $m->[2] && @{ $m->[3]{events} } == 25;
    }
    is($got, $sent, 'once it reads, every one of its requests is answered');
    is($wrong, 0, '... correctly');
}

# --- the lingering close -------------------------------------------------------------------
{
    expect_notification_error($linger_msg, 'bad_request', 'junk on a connection that stays open');
    ok($linger->is_closed(1), 'the server shut down its side of the connection at once');
    my $wait = $linger_t0 + 2.3 - time;
    sleep $wait if $wait > 0;
    my $refused = 0;
    for (1 .. 30) {
        if (!$linger->send_bytes(req(999, 'ping'))) { $refused = 1; last }
        sleep 0.1;
    }
    ok($refused, 'a client that keeps its end open is closed after about 2 seconds')
        or diag(sprintf 'still writable %.1fs after the error', time - $linger_t0);
}

# --- finally ---------------------------------------------------------------------------
my ($e, $r) = rpc('stats');
ok(!$e && $r->{events} > 0, 'stats still answers after all of this');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
