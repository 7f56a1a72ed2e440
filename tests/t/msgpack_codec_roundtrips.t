#!/usr/bin/perl
# The tests' own MessagePack codec (tests/lib/Annals/MsgPack.pm) encodes
# every type in the form the spec prescribes, decodes it back, and decodes
# incrementally: every truncation is "incomplete", never an error or a wrong
# object. The other tests rely on it, so it is checked against the spec's
# byte layouts here, without a daemon.
use strict;
use warnings;
use utf8;
use Test::More;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Annals::MsgPack;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $MP = 'Annals::MsgPack';
sub enc { Annals::MsgPack::encode(@_) }
sub dec { Annals::MsgPack::decode(@_) }
sub hex_of { join ' ', map { sprintf '%02x', $_ } unpack 'C*', $_[0] }

# --- Byte layouts from the spec ------------------------------------------------

my @ints = (
    [0, 'fixint', "\x00"],
    [127, 'fixint', "\x7f"],
    [128, 'uint8', "\xcc\x80"],
    [255, 'uint8', "\xcc\xff"],
    [256, 'uint16', "\xcd\x01\x00"],
    [65535, 'uint16', "\xcd\xff\xff"],
    [65536, 'uint32', "\xce\x00\x01\x00\x00"],
    [4294967295, 'uint32', "\xce\xff\xff\xff\xff"],
    [4294967296, 'uint64', "\xcf\x00\x00\x00\x01\x00\x00\x00\x00"],
    [18446744073709551615, 'uint64', "\xcf" . ("\xff" x 8)],
    [-1, 'negative fixint', "\xff"],
    [-32, 'negative fixint', "\xe0"],
    [-33, 'int8', "\xd0\xdf"],
    [-128, 'int8', "\xd0\x80"],
    [-129, 'int16', "\xd1\xff\x7f"],
    [-32768, 'int16', "\xd1\x80\x00"],
    [-32769, 'int32', "\xd2\xff\xff\x7f\xff"],
    [-2147483648, 'int32', "\xd2\x80\x00\x00\x00"],
    [-2147483649, 'int64', "\xd3\xff\xff\xff\xff\x7f\xff\xff\xff"],
    [-9223372036854775808, 'int64', "\xd3\x80" . ("\x00" x 7)],
);
for my $c (@ints) {
    my ($n, $form, $bytes) = @$c;
    is(hex_of(enc($n)), hex_of($bytes), "$n encodes as $form");
    is(hex_of(enc(Annals::MsgPack::int($n))), hex_of($bytes), "$n forced to int encodes as $form");
    my $back = dec($bytes);
    ok($back == $n && "$back" eq "$n", "$form $n decodes back") or diag("got $back");
    ok(Annals::MsgPack::is_int(dec($bytes)), "$form $n decodes as an integer");
}

# Non-canonical widths decode to the same value (servers must accept them).
for my $fmt (0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3) {
    my $bytes = enc(Annals::MsgPack::int_as($fmt, 5));
    is(ord($bytes), $fmt, sprintf('int_as 0x%02x keeps its format byte', $fmt));
    is(dec($bytes), 5, sprintf('5 in format 0x%02x decodes as 5', $fmt));
}
is(hex_of(enc(Annals::MsgPack::int_as(0xd3, -2))), 'd3 ff ff ff ff ff ff ff fe', 'int_as int64 -2');

is(hex_of(enc(undef)), 'c0', 'undef is nil');
is(hex_of(enc($MP->can('true')->())), 'c3', 'true');
is(hex_of(enc($MP->can('false')->())), 'c2', 'false');
is(hex_of(enc(JSON::PP::true())), 'c3', 'JSON::PP::true is true');
is(hex_of(enc(\0)), 'c2', '\0 is false');
ok(dec("\xc3") && !dec("\xc2"), 'bools decode truthfully');
ok(JSON::PP::is_bool(dec("\xc3")), 'bools decode as JSON::PP booleans');
ok(!defined dec("\xc0"), 'nil decodes as undef');

is(hex_of(enc(1.5)), 'cb 3f f8 00 00 00 00 00 00', '1.5 is a float64');
is(hex_of(enc(Annals::MsgPack::float(2))), 'cb 40 00 00 00 00 00 00 00', 'float(2) is a float64');
is(hex_of(enc(Annals::MsgPack::float32(1.5))), 'ca 3f c0 00 00', 'float32(1.5)');
is(dec("\xca\x3f\xc0\x00\x00"), 1.5, 'float32 decodes');
is(dec(enc(-0.1)), -0.1, 'float64 round trip is exact');
ok(Annals::MsgPack::is_float(dec(enc(3.0))), 'an integral float stays a float');
ok(!Annals::MsgPack::is_float(dec(enc(3))), 'an int is not a float');

# Strings: the header depends on the byte length of the UTF-8 form.
for my $len (0, 1, 31, 32, 255, 256, 65535, 65536) {
    my $s = 'x' x $len;
    my $b = enc($s);
    my $want = $len < 32 ? 'fixstr' : $len <= 0xff ? 'str8' : $len <= 0xffff ? 'str16' : 'str32';
    my $hdr = $len < 32 ? chr(0xa0 | $len) : $len <= 0xff ? "\xd9" . chr($len)
            : $len <= 0xffff ? pack('Cn', 0xda, $len) : pack('CN', 0xdb, $len);
    is(hex_of(substr($b, 0, length $hdr)), hex_of($hdr), "a $len-byte string has a $want header");
    is(length($b), length($hdr) + $len, "a $len-byte string: header plus bytes");
    is(dec($b), $s, "a $len-byte string round-trips");
}
my $ar = 'مراكش';
my $ar_bytes = enc($ar);
is(length($ar_bytes), 1 + 10, 'Arabic string: 5 characters, 10 UTF-8 bytes');
is(dec($ar_bytes), $ar, 'Arabic string decodes to the same characters');
ok(utf8::is_utf8(dec($ar_bytes)), 'decoded str is a character string');
is(dec($ar_bytes, raw => 1), Encode::encode('UTF-8', $ar), 'raw => 1 gives the UTF-8 bytes');
is(dec(enc('café')), 'café', 'Latin-1 range characters round-trip');
is(hex_of(enc("caf\xe9")), hex_of("\xa5caf\xc3\xa9"), 'a byte string is taken as characters');
is(hex_of(enc(Annals::MsgPack::str_bytes("\xff\xfe"))), 'a2 ff fe', 'str_bytes sends bytes as they are');
ok(!eval { dec("\xa2\xff\xfe"); 1 }, 'invalid UTF-8 in a str dies');
like($@, qr/invalid UTF-8/, '... saying why');
is(dec("\xa2\xff\xfe", raw => 1), "\xff\xfe", '... but raw mode returns the bytes');
ok(!eval { dec("\xa3\xed\xa0\x80"); 1 }, 'an encoded surrogate is invalid UTF-8');
is(hex_of(enc(Annals::MsgPack::str(42))), 'a2 34 32', 'str(42) forces a string');
my $num_str = '42';
is(hex_of(enc($num_str)), 'a2 34 32', 'a string that looks like a number stays a string');

# bin
for my $len (0, 255, 256, 65536) {
    my $b = enc(Annals::MsgPack::bin("\x00" x $len));
    my $hdr = $len <= 0xff ? "\xc4" . chr($len) : $len <= 0xffff ? pack('Cn', 0xc5, $len) : pack('CN', 0xc6, $len);
    is(hex_of(substr($b, 0, length $hdr)), hex_of($hdr), "a $len-byte bin header");
    is(dec($b), "\x00" x $len, "a $len-byte bin decodes to its bytes");
}

# arrays and maps
for my $n (0, 15, 16, 65535, 65536) {
    my $b = enc([(1) x $n]);
    my $hdr = $n < 16 ? chr(0x90 | $n) : $n <= 0xffff ? pack('Cn', 0xdc, $n) : pack('CN', 0xdd, $n);
    is(hex_of(substr($b, 0, length $hdr)), hex_of($hdr), "an array of $n header");
    is(scalar @{ dec($b) }, $n, "an array of $n decodes with $n elements");
}
for my $n (0, 15, 16, 70000) {
    my %h = map { ("k$_" => $_) } 1 .. $n;
    my $b = enc(\%h);
    my $hdr = $n < 16 ? chr(0x80 | $n) : $n <= 0xffff ? pack('Cn', 0xde, $n) : pack('CN', 0xdf, $n);
    is(hex_of(substr($b, 0, length $hdr)), hex_of($hdr), "a map of $n header");
    is_deeply(dec($b), \%h, "a map of $n round-trips");
}
is(hex_of(enc({ b => 1, a => 2 })), '82 a1 61 02 a1 62 01', 'hash keys are sorted');
my $om = Annals::MsgPack::map_ordered([z => 1, a => 2, 3 => 'x']);
is(hex_of(enc($om)), '83 a1 7a 01 a1 61 02 03 a1 78', 'map_ordered keeps order and key types');
my $back = dec(enc($om), ordered => 1);
is(ref $back, 'Annals::MsgPack::Map', 'ordered => 1 decodes maps as Annals::MsgPack::Map');
is_deeply([$back->keys], ['z', 'a', 3], '... with the keys in wire order');
is($back->get('a'), 2, '... and get() finds a value');
is_deeply(dec(enc({ x => [1, { y => undef }] })), { x => [1, { y => undef }] }, 'nested structures round-trip');

# ext
for my $len (1, 2, 4, 8, 16, 3, 256) {
    my $b = enc(Annals::MsgPack::ext(-1, 'e' x $len));
    my $e = dec($b);
    is(ref $e, 'Annals::MsgPack::Ext', "ext of $len bytes decodes as an Ext");
    is($e->type, -1, '... with its type');
    is($e->data, 'e' x $len, '... and its data');
}
is(hex_of(enc(Annals::MsgPack::ext(5, 'abcd'))), 'd6 05 61 62 63 64', 'fixext 4 layout');

# raw bytes go out verbatim
is(hex_of(enc([Annals::MsgPack::raw("\xc1")])), '91 c1', 'raw() inserts bytes verbatim');

# --- Invalid input -------------------------------------------------------------

ok(!eval { dec("\xc1"); 1 }, '0xc1 is never used: decoding dies');
like($@, qr/0xc1/, '... naming the byte');
ok(!eval { dec("\x91\xc1"); 1 }, '0xc1 inside an array dies too');
my $deep = ("\x91" x 40) . "\xc0";
ok(!eval { dec($deep, max_depth => 32); 1 }, 'nesting beyond max_depth dies');
ok(eval { dec($deep); 1 }, '... and decodes within the default limit');
ok(!eval { dec("\x01\x02"); 1 }, 'decode() refuses trailing bytes');
ok(!eval { dec("\x92\x01"); 1 }, 'decode() refuses an incomplete object');

# --- Incremental decoding -------------------------------------------------------

my $sample = [0, 4294967295, 'put', [{
    title => 'Interpol General Assembly — الجمعية العامة',
    start => '2025-11-24', end => '2025-11-27',
    place => { city => 'Marrakech', lat => 31.6295, lon => -7.9811 },
    tags => ['interpol', 'security'], big => -9223372036854775808, u => 18446744073709551615,
    yes => JSON::PP::true(), no => JSON::PP::false(), nothing => undef,
    blob => Annals::MsgPack::bin("\x00\xff" x 200), ext => Annals::MsgPack::ext(7, 'xyz'),
    long => 'L' x 300,
}]];
my $bytes = enc($sample);
my $bad_prefix = 0;
for my $cut (0 .. length($bytes) - 1) {
    my $d = Annals::MsgPack::Decoder->new;
    $d->feed(substr($bytes, 0, $cut));
    my ($ok) = eval { $d->next };
    $bad_prefix++ if $@ || $ok || $d->pending != $cut;
}
is($bad_prefix, 0, 'every truncation of a message is reported incomplete, and nothing is consumed');

{
    my $d = Annals::MsgPack::Decoder->new;
    my @got;
    for my $i (0 .. length($bytes) - 1) {
        $d->feed(substr($bytes, $i, 1));
        my ($ok, $obj) = $d->next;
        push @got, [$i, $obj] if $ok;
    }
    is(scalar @got, 1, 'fed one byte at a time, one object comes out');
    is($got[0][0], length($bytes) - 1, '... exactly when its last byte arrives');
    my $want = dec($bytes);
    is_deeply($got[0][1], $want, '... equal to decoding it whole');
    is($want->[3][0]{title}, $sample->[3][0]{title}, 'the title survives the round trip');
    is($want->[1], 4294967295, 'the msgid survives');
    is($want->[3][0]{u}, 18446744073709551615, 'uint64 max survives');
    is($want->[3][0]{big}, -9223372036854775808, 'int64 min survives');
    is($d->pending, 0, 'nothing is left buffered');
}

{
    my $d = Annals::MsgPack::Decoder->new;
    my @msgs = map { [1, $_, undef, { n => $_ }] } 1 .. 50;
    $d->feed(join '', map { enc($_) } @msgs);
    $d->feed(substr(enc([1, 51, undef, {}]), 0, 3));
    my @got;
    while (1) { my ($ok, $o) = $d->next; last unless $ok; push @got, $o }
    is_deeply(\@got, \@msgs, 'several objects in one feed come out in order');
    is($d->pending, 3, '... and a trailing partial object waits');
    $d->feed(substr(enc([1, 51, undef, {}]), 3));
    my ($ok, $o) = $d->next;
    ok($ok && $o->[1] == 51, '... until the rest arrives');
}

{
    my $d = Annals::MsgPack::Decoder->new;
    $d->feed("\x01\xc1\x02");
    my ($ok, $o) = $d->next;
    ok($ok && $o == 1, 'an object before junk is still decoded');
    ok(!eval { $d->next; 1 }, '... and the junk after it dies');
}

is_deeply([Annals::MsgPack::decode_all(enc(1) . enc('a') . enc([]))], [1, 'a', []], 'decode_all');

done_testing();
