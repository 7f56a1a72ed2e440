#!/usr/bin/perl
# The event rules of PROTOCOL.md section 7 over raw RPC: every field's rule is
# enforced with bad_request naming the field, limits are inclusive, nil is the
# same as absent, server-set fields given on input are ignored, unknown
# top-level fields are refused, events come back with their fields in the
# canonical order and dates in canonical form, put_many is atomic with
# details.index and consecutive seqs, and hello/ping/stats report the state.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::MsgPack;
use Annals::Dates qw(canonical);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my @ORDER = qw(id kind cameo title summary lang start end place countries participants tags sources parent extra
               seq created updated bounds certainty);
my %RANK = map { ($ORDER[$_] => $_) } 0 .. $#ORDER;

my $d = start_daemon();
my $n = 0;
sub base { return (id => 'v' . ++$n, title => 'valid', start => '2024-04-08', @_) }
sub put { my ($ev) = @_; return rpc('put', { event => $ev }) }
sub code { my ($e) = @_; return ref $e eq 'ARRAY' ? $e->[0] : 'ok' }

# --- each rule, a valid and an invalid case --------------------------------------------
my @cases = (
    # [label, event, expected ('ok' or an error code), field the message must name]
    ['no title', { id => 'x1', start => '2024' }, 'bad_request', 'title'],
    ['no start', { id => 'x2', title => 't' }, 'bad_request', 'start'],
    ['an empty title', { base(title => '') }, 'bad_request', 'title'],
    ['a title of 1024 bytes', { base(title => 'é' x 512) }, 'ok'],
    ['a title of 1025 bytes', { base(title => 'é' x 512 . 'x') }, 'bad_request', 'title'],
    # The limit counts bytes and is never met by cutting: a title whose
    # 1024th byte falls inside a 4-byte character is refused whole.
    ['a title of 1020 bytes and a 4-byte character (1024)', { base(title => 'a' x 1020 . "\x{1F600}") }, 'ok'],
    ['a title whose 4-byte character straddles byte 1024', { base(title => 'a' x 1021 . "\x{1F600}") }, 'bad_request', 'title'],
    ['a title of 256 4-byte characters (1024 bytes)', { base(title => "\x{10348}" x 256) }, 'ok'],
    ['a title of 1024 4-byte characters', { base(title => "\x{1F600}" x 1024) }, 'bad_request', 'title'],
    ['a summary of 64 KiB', { base(summary => 's' x 65536) }, 'ok'],
    ['a summary of 64 KiB + 1', { base(summary => 's' x 65537) }, 'bad_request', 'summary'],
    ['an id of 128 bytes', { base(id => 'i' x 128) }, 'ok'],
    ['an id of 129 bytes', { base(id => 'i' x 129) }, 'bad_request', 'id'],
    ['an empty id', { base(id => '') }, 'bad_request', 'id'],
    ['an id with a newline', { base(id => "a\nb") }, 'bad_request', 'id'],
    ['an id with a DEL', { base(id => "a\x7fb") }, 'bad_request', 'id'],
    ['an id in Arabic', { base(id => 'حدث-١') }, 'ok'],
    ['kind visit', { base(kind => 'visit') }, 'ok'],
    ['kind in upper case', { base(kind => 'Visit') }, 'bad_request', 'kind'],
    ['kind with a space', { base(kind => 'state visit') }, 'bad_request', 'kind'],
    ['cameo 042', { base(cameo => '042') }, 'ok'],
    ['cameo 0431', { base(cameo => '0431') }, 'ok'],
    ['cameo 04', { base(cameo => '04') }, 'ok'],
    ['cameo 4', { base(cameo => '4') }, 'bad_request', 'cameo'],
    ['cameo 04311', { base(cameo => '04311') }, 'bad_request', 'cameo'],
    ['cameo 04a', { base(cameo => '04a') }, 'bad_request', 'cameo'],
    ['cameo as an integer', { base(cameo => 42) }, 'bad_request', 'cameo'],
    ['start 2024-13', { base(start => '2024-13') }, 'bad_request', 'start'],
    ['start 2024-00', { base(start => '2024-00') }, 'bad_request', 'start'],
    ['start 2023-02-29', { base(start => '2023-02-29') }, 'bad_request', 'start'],
    ['start 2024-02-29', { base(start => '2024-02-29') }, 'ok'],
    ['start 1900-02-29', { base(start => '1900-02-29') }, 'bad_request', 'start'],
    ['start 2000-02-29', { base(start => '2000-02-29') }, 'ok'],
    ['start 2024-04-31', { base(start => '2024-04-31') }, 'bad_request', 'start'],
    ['start 24', { base(start => '24') }, 'bad_request', 'start'],
    ['start 12024', { base(start => '12024') }, 'bad_request', 'start'],
    ['start 0000', { base(start => '0000') }, 'ok'],
    ['start 9999-12-31', { base(start => '9999-12-31') }, 'ok'],
    ['start 2024/04/08', { base(start => '2024/04/08') }, 'bad_request', 'start'],
    ['start with a trailing space', { base(start => '2024 ') }, 'bad_request', 'start'],
    ['a date-time without zone', { base(start => '2024-04-08T10:30') }, 'bad_request', 'start'],
    ['a date-time with hour 24', { base(start => '2024-04-08T24:00Z') }, 'bad_request', 'start'],
    ['a date-time with minute 60', { base(start => '2024-04-08T10:60Z') }, 'bad_request', 'start'],
    ['a date-time with a qualifier', { base(start => '2024-04-08T10:30Z~') }, 'bad_request', 'start'],
    ['a date with two qualifiers', { base(start => '2024?~') }, 'bad_request', 'start'],
    ['a date-time with offset +0530', { base(start => '2024-04-08T10:30+0530') }, 'ok'],
    ['a date-time with offset -03', { base(start => '2024-04-08T10:30:05-03') }, 'ok'],
    ['an end before the start', { base(start => '2024-04-08', end => '2024-04-07') }, 'bad_request', 'end'],
    ['an end equal to the start', { base(start => '2024-04-08', end => '2024-04-08') }, 'ok'],
    ['an end inside an imprecise start', { base(start => '2024-04', end => '2024-04-10') }, 'ok'],
    ['an end of lower precision', { base(start => '2024-04-08', end => '2024') }, 'ok'],
    ['an invalid end', { base(end => '2024-02-30') }, 'bad_request', 'end'],
    ['place lat 90, lon -180', { base(place => { lat => 90, lon => -180 }) }, 'ok'],
    ['place lat 90.5', { base(place => { lat => 90.5, lon => 0 }) }, 'bad_request', 'lat'],
    ['place lon 180.01', { base(place => { lat => 0, lon => 180.01 }) }, 'bad_request', 'lon'],
    ['place lat as a string', { base(place => { lat => '12' }) }, 'bad_request', 'lat'],
    ['place country MAR', { base(place => { country => 'MAR' }) }, 'bad_request', 'country'],
    ['countries [MA, ES]', { base(countries => ['MA', 'ES']) }, 'ok'],
    ['countries in lower case', { base(countries => ['ma']) }, 'bad_request', 'countries'],
    ['countries with a duplicate', { base(countries => ['MA', 'MA']) }, 'bad_request', 'countries'],
    ['countries with a 3-letter code', { base(countries => ['MAR']) }, 'bad_request', 'countries'],
    ['countries as a string', { base(countries => 'MA') }, 'bad_request', 'countries'],
    ['a participant with a role only', { base(participants => [{ role => 'minister' }]) }, 'ok'],
    ['a participant with neither name nor role', { base(participants => [{ org => 'UN' }]) }, 'bad_request', 'participants'],
    ['a participant with aliases', { base(participants => [{ name => 'A', aliases => ['B', 'C'] }]) }, 'ok'],
    ['a participant with aliases as a string', { base(participants => [{ name => 'A', aliases => 'B' }]) }, 'bad_request', 'aliases'],
    ['tags [a-b, c_d, e1]', { base(tags => ['a-b', 'c_d', 'e1']) }, 'ok'],
    ['a tag in upper case', { base(tags => ['Security']) }, 'bad_request', 'tags'],
    ['a duplicated tag', { base(tags => ['a', 'a']) }, 'bad_request', 'tags'],
    ['a source with an https url', { base(sources => [{ url => 'https://example.org/a', published => '2024-04-09' }]) }, 'ok'],
    ['a source with an ftp url', { base(sources => [{ url => 'ftp://example.org/a' }]) }, 'bad_request', 'url'],
    ['a source with a bad published date', { base(sources => [{ url => 'http://e.org', published => '2024-13' }]) }, 'bad_request', 'published'],
    ['parent', { base(parent => 'v1') }, 'ok'],
    ['extra with nested maps and arrays', { base(extra => { a => [1, { b => 'c' }], d => JSON::PP::true(), f => 1.5 }) }, 'ok'],
    ['extra with binary', { base(extra => { b => Annals::MsgPack::bin("\x00\x01") }) }, 'bad_request', 'extra'],
    ['extra with a non-string key', { base(extra => Annals::MsgPack::map_ordered([1 => 'x'])) }, 'bad_request', 'extra'],
    ['extra 20 levels deep', { base(extra => do { my $v = 'leaf'; $v = { k => $v } for 1 .. 20; $v }) }, 'bad_request', 'extra'],
    # extra is depth 0: 17 nested maps reach depth 16, the most allowed.
    ['extra 17 maps deep (depth 16)', { base(extra => do { my $v = 'leaf'; $v = { k => $v } for 1 .. 17; $v }) }, 'ok'],
    ['extra 18 maps deep (depth 17)', { base(extra => do { my $v = 'leaf'; $v = { k => $v } for 1 .. 18; $v }) }, 'bad_request', 'extra'],
    ['extra not a map', { base(extra => [1, 2]) }, 'bad_request', 'extra'],
    ['an unknown top-level field', { base(colour => 'red') }, 'bad_request', 'colour'],
);
for my $c (@cases) {
    my ($label, $ev, $want, $field) = @$c;
    my ($e, $r) = put($ev);
    is(code($e), $want, "put with $label: $want") or diag(to_json([$e, $r]));
    if ($want eq 'ok' && $label =~ /^a title/) {
        my ($ge, $gr) = rpc('get', { id => $ev->{id} });
        is($gr && $gr->{event}{title}, $ev->{title}, "put with $label: the title comes back whole");
    }
    if ($want ne 'ok' && ref $e eq 'ARRAY') {
        like($e->[1] // '', qr/\Q$field\E/, "put with $label: the message names $field");
        my ($ge) = rpc('get', { id => $ev->{id} // 'none' });
        is(code($ge), 'not_found', "put with $label: nothing was stored") if defined $ev->{id} && $field ne q(id);
    }
}
{
    my $ev = Annals::MsgPack::map_ordered([title => 't', start => '2024', 5 => 'x']);
    my ($e) = rpc('put', { event => $ev });
    is(code($e), 'bad_request', 'an event with a key that is not a string: bad_request');
}

# --- nil is absent; server-set fields on input are ignored --------------------------------
{
    my ($e, $r) = put({ id => 'nils', title => 'with nils', start => '2024-04', end => undef, summary => undef,
                        place => undef, tags => undef, extra => undef, kind => undef });
    is(code($e), 'ok', 'nil fields are accepted as absent');
    my ($ge, $g) = rpc('get', { id => 'nils' });
    my $ev = $g->{event};
    ok(!exists $ev->{$_}, "nil $_ is not stored") for qw(summary place tags extra);
    is($ev->{end} // $ev->{start}, '2024-04', 'a nil end defaults to the start');
    is($ev->{kind}, 'other', 'a nil kind is the default kind');
    is_deeply($ev->{bounds}{end}, ['2024-04-01T00:00:00Z', '2024-04-30T23:59:59Z'], 'the end bounds are those of the start');
}
{
    my ($e, $r) = put({ id => 'server-set', title => 's', start => '2024', seq => 999999, created => '1999-01-01T00:00:00.000Z',
                        updated => 'yesterday', bounds => { start => ['x', 'y'] }, certainty => 'certain' });
    is(code($e), 'ok', 'server-set fields on input are accepted') or diag(to_json($e));
    my ($ge, $g) = rpc('get', { id => 'server-set' });
    my $ev = $g->{event};
    is($ev->{seq}, $r->{seq}, '... seq is the real one');
    isnt($ev->{created}, '1999-01-01T00:00:00.000Z', '... created is set by the server');
    isnt($ev->{updated}, 'yesterday', '... updated is set by the server');
    is($ev->{bounds}{start}[0], '2024-01-01T00:00:00Z', '... bounds are computed');
    ok(!exists $ev->{certainty}, '... certainty is not stored');
}

# --- canonical order and form ------------------------------------------------------------------
{
    # Sent in reverse canonical order, with dates in non-canonical zones.
    my @pairs = (extra => { z => 1, a => 2 }, parent => 'v1',
                 sources => [{ url => 'https://e.org/x' }], tags => ['t'], participants => [{ name => 'N' }],
                 countries => ['MA'], place => { city => 'Rabat' }, end => '2024-04-08T12:00:00+02:00',
                 start => '2024-04-08T10:30:00+02:00', lang => 'fr', summary => 's', title => 'ordered',
                 cameo => '042', kind => 'meeting', id => 'ordered');
    my ($e, $r) = rpc('put', { event => Annals::MsgPack::map_ordered(\@pairs) });
    is(code($e), 'ok', 'an event with every field, keys in reverse order, is accepted') or diag(to_json($e));
    my $c = raw_connect(ordered => 1);
    $c->send_msg([0, 1, 'get', [{ id => 'ordered' }]]);
    my $m = $c->read_msg(5);
    my $res = $m && $m->[3];
    my $ev = ref $res eq 'Annals::MsgPack::Map' ? $res->get('event') : undef;
    ok(ref $ev eq 'Annals::MsgPack::Map', 'get returns {event: {...}}');
    my @keys = $ev ? $ev->keys : ();
    my @unknown = grep { !exists $RANK{$_} } @keys;
    is_deeply(\@unknown, [], 'every returned field is one of section 7');
    is_deeply(\@keys, [sort { $RANK{$a} <=> $RANK{$b} } grep { exists $RANK{$_} } @keys],
              'the fields come back in the canonical order of section 7') or diag("@keys");
    is($ev && $ev->get('start'), canonical('2024-04-08T10:30:00+02:00'), 'start comes back in UTC');
    is($ev && $ev->get('end'), canonical('2024-04-08T12:00:00+02:00'), 'end comes back in UTC');

    # The same over range, whose events also carry certainty (last).
    $c->send_msg([0, 2, 'range', [{ from => '2024-04-08', to => '2024-04-08', limit => 10000 }]]);
    $m = $c->read_msg(5);
    my $evs = $m && ref $m->[3] eq 'Annals::MsgPack::Map' ? $m->[3]->get('events') : [];
    my ($o) = grep { $_->get('id') eq 'ordered' } @$evs;
    my @rk = $o ? $o->keys : ();
    is_deeply(\@rk, [sort { $RANK{$a} <=> $RANK{$b} } grep { exists $RANK{$_} } @rk],
              'range results are in the canonical order too, certainty included') or diag("@rk");
    is($rk[-1], 'certainty', 'certainty comes last');
}

# --- put_many --------------------------------------------------------------------------------
{
    my ($e0, $h0) = rpc('hello');
    my @evs = map { { id => "pm$_", title => "pm $_", start => '2022' } } 1 .. 5;
    $evs[3]{start} = '2022-13';
    my ($e, $r) = rpc('put_many', { events => \@evs });
    is(code($e), 'bad_request', 'put_many with an invalid fourth event: bad_request');
    is_deeply(ref $e eq 'ARRAY' ? $e->[2] : undef, { index => 3 }, '... with details {index: 3}');
    like(ref $e eq 'ARRAY' ? $e->[1] : '', qr/\Aevents\[3\]: .*start/, '... and a message starting "events[3]: " naming start');
    my @stored = grep { code((rpc('get', { id => $_->{id} }))[0]) eq 'ok' } @evs;
    is(scalar @stored, 0, '... and none of the five stored');
    my ($e1, $h1) = rpc('hello');
    is($h1->{seq}, $h0->{seq}, '... and no seq used');

    $evs[3]{start} = '2022-12';
    ($e, $r) = rpc('put_many', { events => \@evs });
    is(code($e), 'ok', 'put_many of five valid events');
    is_deeply($r->{ids}, [map { $_->{id} } @evs], 'ids in array order');
    is($r->{seq}, $h0->{seq} + 5, 'seq is the last of five consecutive numbers');
    my @seqs = map { (rpc('get', { id => $_->{id} }))[1]{event}{seq} } @evs;
    is_deeply(\@seqs, [map { $h0->{seq} + $_ } 1 .. 5], 'each event has its own seq, consecutive in array order');

    ($e, $r) = rpc('put_many', { events => [{ title => 'gen a', start => '2022' }, { title => 'gen b', start => '2022' }] });
    is(scalar(grep { /\A[0-9A-HJKMNP-TV-Z]{26}\z/ } @{ $r->{ids} // [] }), 2, 'put_many generates ids for events without one');

    my ($he, $hb) = rpc('hello');
    ($e, $r) = rpc('put_many', { events => [] });
    is(code($e), 'ok', 'an empty put_many is accepted');
    is_deeply($r, { ids => [], seq => $hb->{seq} }, '... writes nothing and returns the current seq');
    my ($he2, $ha) = rpc('hello');
    is($ha->{seq}, $hb->{seq}, '... and uses no seq');
    my @many = map { { id => "cap$_", title => 'c', start => '2020' } } 1 .. 10001;
    ($e, $r) = rpc('put_many', { events => \@many });
    is(code($e), 'too_large', 'put_many of 10001 events: too_large') or diag(to_json($r));
    is(code((rpc('get', { id => 'cap1' }))[0]), 'not_found', '... and stores none');
    ($e, $r) = rpc('put_many', { events => [@many[0 .. 9999]] });
    is(code($e), 'ok', 'put_many of exactly 10000 events is accepted') or diag(to_json($e));
    my ($ce, $cr) = rpc('count', { from => '2020', to => '2020' });
    is($cr->{count}, 10000, '... and stores all of them');
}

# --- get/delete of unknown ids, hello, ping, stats ----------------------------------------------
{
    my ($e, $r) = rpc('get', { id => 'no-such-event' });
    is(code($e), 'not_found', 'get of an unknown id: not_found');
    ok(!defined $r, '... with a nil result');
    like($e->[1] // '', qr/\S/, '... and a message');
    ($e, $r) = rpc('delete', { id => 'no-such-event' });
    is(code($e), 'not_found', 'delete of an unknown id: not_found');

    ($e, $r) = rpc('ping');
    is_deeply($r, { pong => JSON::PP::true() }, 'ping: {pong: true}');
    ($e, $r) = rpc('ping', {});
    ok(!$e, 'ping with an empty parameter map is fine');
    ($e, $r) = rpc('hello');
    is_deeply([sort keys %$r], [qw(access auth protocol seq server version)],
              'hello: server, version, protocol, seq, auth, access');
    ok(!$r->{auth} && $r->{access} eq 'rw', 'without tokens hello says auth: false, access: rw');
    my ($de) = rpc('delete', { id => 'no-such-event-for-stats' });
    is($de->[0], 'not_found', 'a delete of a missing id reaches the writer and fails');
    my ($se, $s) = rpc('stats');
    ok(!$se, 'stats answers');
    is($s->{seq}, $r->{seq}, 'stats seq = hello seq');
    my ($ce, $c) = rpc('count');
    is($s->{events}, $c->{count}, 'stats events = count');
    ok(defined $s->{changes} && $s->{changes} >= 1, 'stats reports changes');
    is($s->{server}{pid}, $d->pid, 'stats reports the pid');
    is($s->{server}{version}, $r->{version}, 'stats reports the version');
    ok(defined $s->{server}{$_}, "stats server.$_") for qw(uptime connections connections_total requests);
    ok(defined $s->{writes}{$_}, "stats writes.$_") for qw(commits events_written deletes largest_batch failed);
    # Writes refused by validation are answered at once and not counted;
    # the delete of a missing id passed validation and was not applied.
    cmp_ok($s->{writes}{failed}, '>=', 1, 'stats writes.failed counts writes that passed validation but were not applied');
    ok(defined $s->{db}{$_}, "stats db.$_") for qw(path map_size used_bytes page_size format);
    cmp_ok($s->{writes}{largest_batch}, '>=', 10000, 'stats writes.largest_batch counts the 10000-event put_many');
    like($s->{db}{path}, qr/\A\Q${\ $d->data }\E/, 'stats db.path is in the data directory');
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
