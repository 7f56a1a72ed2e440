#!/usr/bin/perl
# `annals put`, `get` and `delete` store, return, replace and remove events
# through the real client, and the client's exit codes say what happened
# (0 ok, 1 not found, 2 usage, 3 connection, 4 server error, 5 bad input).
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use Test::More;
use Time::HiRes qw(time sleep);
use Annals::Test;
use Annals::Dates qw(event_bounds instant canonical);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $ULID = qr/\A[0-9A-HJKMNP-TV-Z]{26}\z/;
my $STAMP = qr/\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\z/;

my $d = start_daemon();

my $r = client('hello');
is(($r->json // {})->{seq}, 0, 'hello reports seq 0 for an empty database');

$r = client('ping');
is($r->exit, 0, 'ping exits 0') or diag($r->describe);
is_deeply($r->json, { pong => JSON::PP::true() }, 'ping prints {"pong":true} when piped');

# --- put with the event as an argument, then get it back ------------------------

my $title = 'الجمعية العامة للإنتربول في مراكش';
my %ev = (
    id => 'interpol-ga-2025',
    kind => 'conference',
    title => $title,
    summary => 'La 93e Assemblée générale — الدورة 93',
    lang => 'ar',
    start => '2025-11-24',
    end => '2025-11-27',
    place => { name => 'Palais des Congrès', city => 'مراكش', country => 'MA', lat => 31.63, lon => -8.01 },
    countries => ['MA', 'FR'],
    participants => [{ name => 'Valdecy Urquiza', role => 'secretary general', org => 'Interpol' }],
    tags => ['interpol', 'security'],
    sources => [{ url => 'https://www.interpol.int/', publisher => 'Interpol', published => '2025-11-24' }],
    extra => { session => 93, note => 'ملاحظة' },
);
my $t0 = time;
$r = client('put', Encode::decode('UTF-8', to_json(\%ev)));
is($r->exit, 0, 'put with the event as an argument exits 0') or diag($r->describe);
my $put1 = $r->json;
is($put1->{id}, $ev{id}, 'put reports the id it was given');
ok(defined $put1->{seq} && $put1->{seq} =~ /\A[0-9]+\z/ && $put1->{seq} >= 1, 'put reports a positive seq')
    or diag(to_json($put1));

$r = client('get', $ev{id});
is($r->exit, 0, 'get of a stored id exits 0') or diag($r->describe);
like($r->out, qr/\A[^\n]*\n\z/, 'get prints one JSON line when stdout is not a terminal');
my $got = $r->json;
for my $k (sort keys %ev) {
    is_deeply($got->{$k}, $ev{$k}, "get returns $k as put");
}
ok(index($r->out, Encode::encode('UTF-8', $title)) >= 0, 'the Arabic title is written as UTF-8 bytes, not escaped');
is($got->{seq}, $put1->{seq}, 'seq is the seq of the put that wrote it');
like($got->{created} // '', $STAMP, 'created is YYYY-MM-DDThh:mm:ss.mmmZ');
like($got->{updated} // '', $STAMP, 'updated is YYYY-MM-DDThh:mm:ss.mmmZ');
is($got->{created}, $got->{updated}, 'a new event was created when it was updated');
my $b = event_bounds($ev{start}, $ev{end});
is_deeply($got->{bounds}, { start => [map { instant($_) } @{ $b->{start} }],
                            end => [map { instant($_) } @{ $b->{end} }] },
          'bounds are the first and last instants of start and end');
ok(!exists $got->{certainty}, 'get does not carry certainty (range results only)');

# --- put from stdin, generated ids -----------------------------------------------

my %anon = (title => 'Réunion sans identifiant', start => '2024-05-17', countries => ['ES', 'MA']);
$r = client('put', { stdin => Encode::decode('UTF-8', to_json(\%anon)) });
is($r->exit, 0, 'put reads the event from stdin when there is no argument') or diag($r->describe);
my $gen1 = $r->json // {};
like($gen1->{id} // '', $ULID, 'an event without id gets a 26-character Crockford base-32 id');
ok($gen1->{seq} > $put1->{seq}, 'a later put gets a larger seq');

$r = client('put', '-', { stdin => to_json({ %anon, title => 'second' }) });
is($r->exit, 0, "put - reads stdin too") or diag($r->describe);
my $gen2 = $r->json // {};
like($gen2->{id} // '', $ULID, 'the second generated id has the ULID form');
isnt($gen2->{id}, $gen1->{id}, 'generated ids differ');

# A ULID starts with 48 bits of milliseconds in 10 base-32 characters.
sub ulid_ms {
    my ($id) = @_;
    my $alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    my $ms = 0;
    $ms = $ms * 32 + index($alphabet, $_) for split //, substr($id, 0, 10);
    return $ms;
}
my ($ms1, $ms2) = (ulid_ms($gen1->{id} // '0' x 26), ulid_ms($gen2->{id} // '0' x 26));
ok(abs($ms1 / 1000 - $t0) < 120, 'a generated id carries the time it was made')
    or diag("id time $ms1 ms, test time $t0 s");
ok($ms2 >= $ms1, 'generated ids sort by time');

$r = client('get', $gen1->{id} // 'none');
is($r->exit, 0, 'the event with a generated id can be read') or diag($r->describe);
is(($r->json // {})->{title}, $anon{title}, '... and is the one put');
is(($r->json // {})->{kind}, 'other', 'kind defaults to other');

# --- replace --------------------------------------------------------------------

sleep 0.01;   # so that "updated" can be seen to move
my %ev2 = (id => $ev{id}, title => 'Interpol General Assembly (replaced)',
           start => '2025-11-24', end => '2025-11-27', kind => 'conference');
$r = client('put', to_json(\%ev2));
is($r->exit, 0, 'put of an existing id exits 0') or diag($r->describe);
my $put2 = $r->json // {};
is($put2->{id}, $ev{id}, 'replace reports the same id');
ok($put2->{seq} > $gen2->{seq}, 'replace gets a new, larger seq');
$r = client('get', $ev{id});
my $got2 = $r->json // {};
is($got2->{title}, $ev2{title}, 'the replaced event has the new title');
is($got2->{seq}, $put2->{seq}, 'the replaced event carries the seq of the replacing put');
is($got2->{created}, $got->{created}, 'replace keeps created');
ok(($got2->{updated} // '') gt ($got->{updated} // ''), 'replace moves updated forward')
    or diag("updated $got->{updated} -> $got2->{updated}");
ok(!exists $got2->{$_}, "replace is whole: $_ of the old version is gone")
    for qw(summary lang place countries participants tags sources extra);

# --- the client over TCP and with ANNALS_SOCKET reads the same data ------------------

$r = client('get', $ev{id}, { tcp => 1 });
is($r->exit, 0, 'get over TCP exits 0') or diag($r->describe);
is_deeply($r->json, $got2, 'TCP and the Unix socket serve the same event');
$r = client('get', $ev{id}, { socket => undef, env => { ANNALS_SOCKET => $d->socket } });
is($r->exit, 0, 'ANNALS_SOCKET tells the client where the server is') or diag($r->describe);
$r = client('get', $ev{id}, { socket => undef,
                              env => { ANNALS_HOST => '127.0.0.1', ANNALS_PORT => $d->port } });
is($r->exit, 0, 'ANNALS_HOST and ANNALS_PORT too') or diag($r->describe);

# --- delete ------------------------------------------------------------------------

$r = client('delete', $ev{id});
is($r->exit, 0, 'delete of a stored id exits 0') or diag($r->describe);
my $del = $r->json // {};
ok(($del->{seq} // 0) > $put2->{seq}, 'delete reports a new, larger seq');
$r = client('get', $ev{id});
is($r->exit, 1, 'get after delete exits 1 (not found)');
like($r->err, qr/not_found/, '... saying not_found on stderr');
is($r->out, '', '... and printing nothing on stdout');
$r = client('delete', $ev{id});
is($r->exit, 1, 'deleting it again exits 1');
$r = client('get', $gen2->{id});
is($r->exit, 0, 'the other events are still there');

$r = client('hello');
is($r->exit, 0, 'hello exits 0');
my $hello = $r->json // {};
is($hello->{seq}, $del->{seq}, 'hello reports the seq of the last write');
is($hello->{server}, 'annalsd', 'hello names the server');
is($hello->{protocol}, 1, 'hello reports protocol 1');

# --- exit codes ----------------------------------------------------------------------

$r = client();
is($r->exit, 2, 'no command: usage error, exit 2');
$r = client('get');
is($r->exit, 2, 'get without an id: exit 2');
$r = client('get', 'a', 'b');
is($r->exit, 2, 'get with two ids: exit 2');
$r = client('frobnicate');
is($r->exit, 2, 'an unknown command: exit 2');
$r = client('--no-such-option', 'ping');
is($r->exit, 2, 'an unknown option: exit 2');
like($r->err, qr/\S/, '... with a message on stderr');
$r = client('ping', { socket => $d->dir . '/no-such.sock' });
is($r->exit, 3, 'a socket that does not exist: connection failure, exit 3');
like($r->err, qr/\S/, '... with a message on stderr');
$r = client('put', to_json({ start => '2024' }));
is($r->exit, 4, 'an event without a title: server error, exit 4');
like($r->err, qr/bad_request/, '... reported as bad_request');
like($r->err, qr/title/, '... naming the field');
$r = client('put', to_json({ title => 'x', start => '2024-13' }));
is($r->exit, 4, 'an invalid month: exit 4');
like($r->err, qr/start/, '... naming the field');
$r = client('put', '{"title": "x", "start": ');
is($r->exit, 5, 'JSON that does not parse: bad input, exit 5');
$r = client('put', '[1, 2]');
is($r->exit, 5, 'JSON that is not an object: exit 5');
$r = client('put', { stdin => '' });
is($r->exit, 5, 'empty stdin: exit 5');
# Invalid UTF-8 inside the JSON (bytes, not characters): refused by the
# client before anything is sent, with the column and the byte.
$r = client('put', { stdin_raw => qq({"title": "caf\xff", "start": "2024"}) });
is($r->exit, 5, 'invalid UTF-8 in the JSON on stdin: exit 5') or diag($r->describe);
like($r->err, qr/stdin: column 14: unable to decode byte 0xff/, '... naming the column and the byte');
$r = client('put', qq({"title": "caf\xe2\x82", "start": "2024"}));
is($r->exit, 5, 'a UTF-8 sequence cut short in the event argument: exit 5') or diag($r->describe);
like($r->err, qr/the event argument: column \d+: unable to decode byte 0xe2/, '... naming the argument and the byte');

$r = client('count');
is($r->exit, 0, 'count exits 0');
is(($r->json // {})->{count}, 2, 'the two events with generated ids remain; the rejected ones were not stored');

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
