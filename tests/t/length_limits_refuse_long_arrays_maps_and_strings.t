#!/usr/bin/perl
# max_array_length, max_map_length and max_string_length (PROTOCOL.md section
# 3): an array, map or string at its limit passes the framer; one element,
# pair or byte more is answered with too_large (a response when the msgid
# can be read), naming the limit, and the connection is closed, as soon as
# the header declaring the length arrives. Other connections are served
# throughout, and the defaults hold on a daemon started without flags.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;
use Annals::MsgPack;

sub mp { Annals::MsgPack::encode(@_) }
sub S { Annals::MsgPack::str(@_) }
sub raw { Annals::MsgPack::raw(@_) }
sub req { my ($id, $method, $params) = @_; return mp([0, Annals::MsgPack::int($id), S($method), $params // []]) }
sub show { defined $_[0] ? to_json($_[0]) : 'nothing' }

sub others_served {
    my ($label) = @_;
    my $c = raw_connect();
    my ($e, $r) = eval { $c->call('ping') };
    ok(!$@ && !$e && $r && $r->{pong}, "$label: another connection is served") or diag($@ || show([$e, $r]));
    $c->close;
}

# Refused: too_large (a response for msgid, or the notification when undef),
# a message naming $key, then the close.
sub refused {
    my ($label, $bytes, $msgid, $key, %o) = @_;
    my $c = raw_connect();
    $c->send_bytes($bytes);
    my $m = $c->read_msg(5);
    my $err = !ref $m ? undef : defined $msgid ? ($m->[0] == 1 && $m->[1] == $msgid ? $m->[2] : undef)
                                               : ($m->[0] == 2 && $m->[1] eq 'error' ? $m->[2][0] : undef);
    is(ref $err ? $err->[0] : undef, 'too_large',
       "$label: too_large" . (defined $msgid ? " for msgid $msgid" : ' notification')) or diag(show($m));
    like(ref $err ? $err->[1] : '', qr/\b$key\b/, "$label: the message names $key");
    ok($c->is_closed(5), "$label: then the connection is closed");
    others_served($label);
}

# Accepted by the framer: whatever the answer, the connection stays.
sub passes {
    my ($label, $bytes, $msgid, $check) = @_;
    my $c = raw_connect();
    $c->send_bytes($bytes);
    my $m = $c->read_msg(5);
    ok(ref $m && $m->[0] == 1 && $m->[1] == $msgid, "$label: answered") or diag(show($m));
    $check->($m) if $check;
    my ($e, $r) = eval { $c->call('ping') };
    ok(!$@ && $r && $r->{pong}, "$label: the connection stays usable");
    $c->close;
}

my $d = start_daemon(args => ['--max-array-length', '16', '--max-map-length', '16', '--max-string-length', '1KiB']);

# --- arrays ----------------------------------------------------------------------------
passes('an array of 16 elements', req(1, 'ping', [[(1) x 16]]), 1,
       sub { is($_[0][2][0], 'bad_request', '... as a bad parameter, not a framing error') });
refused('an array of 17 elements', req(2, 'ping', [[(1) x 17]]), 2, 'max_array_length');
refused('an array32 header of 2^32-1 elements, no elements sent',
        req(3, 'ping', [raw(pack('CN', 0xdd, 0xffffffff))]), 3, 'max_array_length');
refused('a top-level array of 17', mp([(0) x 17]), undef, 'max_array_length');
{
    my @evs = map { { id => "a$_", title => "t$_", start => '2024' } } 1 .. 17;
    refused('put_many of 17 events', req(4, 'put_many', [{ events => \@evs }]), 4, 'max_array_length');
    my ($e) = rpc('get', { id => 'a1' });
    is(ref $e ? $e->[0] : undef, 'not_found', 'put_many of 17 events: none was stored');
    pop @evs;
    passes('put_many of 16 events', req(5, 'put_many', [{ events => \@evs }]), 5,
           sub { ok(!defined $_[0][2], '... stored') or diag(show($_[0])) });
}

# --- maps ------------------------------------------------------------------------------
{
    my %m16 = map { ("k$_" => $_) } 1 .. 16;
    my %m17 = map { ("k$_" => $_) } 1 .. 17;
    passes('an event whose extra map has 16 pairs',
           req(10, 'put', [{ event => { id => 'm16', title => 't', start => '2024', extra => \%m16 } }]), 10,
           sub { ok(!defined $_[0][2], '... stored') or diag(show($_[0])) });
    refused('an event whose extra map has 17 pairs',
            req(11, 'put', [{ event => { id => 'm17', title => 't', start => '2024', extra => \%m17 } }]), 11,
            'max_map_length');
    my ($e) = rpc('get', { id => 'm17' });
    is(ref $e ? $e->[0] : undef, 'not_found', 'the event with 17 pairs was not stored');
    refused('a map32 header of 2^32-1 pairs, none sent',
            req(12, 'count', [raw(pack('CN', 0xdf, 0xffffffff))]), 12, 'max_map_length');
    refused('a top-level map of 17 pairs', mp(\%m17), undef, 'max_map_length');
}

# --- strings, bin, ext -----------------------------------------------------------------
passes('a summary of exactly 1024 bytes',
       req(20, 'put', [{ event => { id => 's1024', title => 't', start => '2024', summary => 'x' x 1024 } }]), 20,
       sub { ok(!defined $_[0][2], '... stored') or diag(show($_[0])) });
{
    my ($e, $r) = rpc('get', { id => 's1024' });
    is(length($r ? $r->{event}{summary} : ''), 1024, 'and read back whole');
}
refused('a summary of 1025 bytes',
        req(21, 'put', [{ event => { id => 's1025', title => 't', start => '2024', summary => 'x' x 1025 } }]), 21,
        'max_string_length');
refused('a str32 header of 2000 bytes, none sent',
        req(22, 'get', [{ id => raw(pack('CN', 0xdb, 2000)) }]), 22, 'max_string_length');
refused('a bin of 1025 bytes', req(23, 'ping', [Annals::MsgPack::bin('b' x 1025)]), 23, 'max_string_length');
refused('an ext of 1025 bytes', req(24, 'ping', [Annals::MsgPack::ext(5, 'e' x 1025)]), 24, 'max_string_length');
refused('a method name of 1025 bytes', req(25, 'p' x 1025), 25, 'max_string_length');
is(stop_daemon(), 0, 'annalsd exits 0');

# --- the defaults ----------------------------------------------------------------------
start_daemon();
passes('default: an array of 100000 elements', req(30, 'ping', [[(1) x 100000]]), 30);
refused('default: an array of 100001 elements', req(31, 'ping', [[(1) x 100001]]), 31, 'max_array_length');
refused('default: a map of 100001 pairs', req(32, 'ping', [{ map { ("$_" => 1) } 1 .. 100001 }]), 32, 'max_map_length');
passes('default: a string of 1 MiB', req(33, 'ping', [S('s' x (1 << 20))]), 33);
refused('default: a string of 1 MiB + 1', req(34, 'ping', [S('s' x ((1 << 20) + 1))]), 34, 'max_string_length');
is(stop_daemon(), 0, 'the default daemon exits 0');

# --- bad values are refused at start, naming the key -------------------------------------
for my $bad (['--max-array-length', '8'], ['--max-map-length', 'lots'], ['--max-string-length', '10'],
             ['--output-timeout', 'later']) {
    (my $key = $bad->[0]) =~ s/^--//;
    $key =~ tr/-/_/;
    my $r = run_cmd([annalsd_bin(), '--data', '/nonexistent/annals', @$bad]);
    isnt($r->exit, 0, "annalsd @$bad does not start");
    like($r->err, qr/\b$key\b/, '... and says which key') or diag($r->describe);
}
done_testing();
