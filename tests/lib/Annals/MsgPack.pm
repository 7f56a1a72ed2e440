# Annals::MsgPack: a small pure-Perl MessagePack encoder and incremental
# decoder, written from https://github.com/msgpack/msgpack/blob/master/spec.md
# for the integration tests (core Perl only; there is no msgpack module).
#
# Encoding follows Perl's types the way JSON::PP does: undef is nil, an
# array ref an array, a hash ref a map (keys sorted, so output is stable), a
# scalar that is only a number (IOK/NOK without POK) an int or a float64, any
# other scalar a str (as characters, so it is encoded to UTF-8). Where a test
# must force a type, it wraps the value with one of the helpers below:
#
#   str($chars)          str of these characters (UTF-8 encoded)
#   str_bytes($bytes)    str holding these bytes as they are (e.g. invalid UTF-8)
#   bin($bytes)          bin
#   int($n)              int in its shortest form
#   int_as($fmt, $n)     int with a given format byte (0xcc..0xd3), e.g. a
#                        non-canonical uint64 for a small value
#   float($n)            float64;  float32($n) float32
#   map_ordered([k, v, ...])  a map with keys in this order (keys may be any value)
#   true, false, nil     the constants (JSON::PP::true/false also encode as bool)
#   ext($type, $bytes)   ext / fixext
#   raw($bytes)          these bytes inserted verbatim (to build broken messages)
#
# The decoder is incremental: feed it bytes, take complete objects with next(),
# which reports "incomplete" until a whole object has arrived and dies on bytes
# that are not MessagePack. str is decoded as Perl characters (strict UTF-8;
# invalid UTF-8 dies) unless the decoder was made with raw => 1, which gives
# the bytes. bool decodes to JSON::PP::true/false, nil to undef, ext to an
# Annals::MsgPack::Ext, and maps to hash refs, or with ordered => 1 to
# Annals::MsgPack::Map objects that keep the order of the keys on the wire.
package Annals::MsgPack;

use strict;
use warnings;
no warnings qw(recursion);
use B ();
use Carp qw(croak);
use Encode ();
use JSON::PP ();
use Scalar::Util qw(blessed reftype);

our $VERSION = '1';

# ---- Type wrappers ---------------------------------------------------------

sub str       { bless { v => $_[0] },             'Annals::MsgPack::Str' }
sub str_bytes { bless { v => $_[0], raw => 1 },   'Annals::MsgPack::Str' }
sub bin       { bless { v => $_[0] },             'Annals::MsgPack::Bin' }
sub int       { bless { v => $_[0] },             'Annals::MsgPack::Int' }
sub int_as    { bless { fmt => $_[0], v => $_[1] }, 'Annals::MsgPack::Int' }
sub float     { bless { v => $_[0], bits => 64 }, 'Annals::MsgPack::Float' }
sub float32   { bless { v => $_[0], bits => 32 }, 'Annals::MsgPack::Float' }
sub ext       { bless { type => $_[0], data => $_[1] }, 'Annals::MsgPack::Ext' }
sub raw       { bless { v => $_[0] },             'Annals::MsgPack::Raw' }
sub map_ordered {
    my ($pairs) = @_;
    croak 'map_ordered needs an array ref of key, value pairs'
        unless ref $pairs eq 'ARRAY' && @$pairs % 2 == 0;
    return bless [@$pairs], 'Annals::MsgPack::Map';
}
sub true  { JSON::PP::true() }
sub false { JSON::PP::false() }
sub nil   { undef }

# ---- Encoder ---------------------------------------------------------------

sub _int_bytes {
    my ($n) = @_;
    croak "msgpack: '$n' is not an integer" unless defined $n && $n =~ /\A-?[0-9]+\z/;
    if ($n >= 0) {
        return pack('C', $n)          if $n <= 0x7f;
        return pack('CC', 0xcc, $n)   if $n <= 0xff;
        return pack('Cn', 0xcd, $n)   if $n <= 0xffff;
        return pack('CN', 0xce, $n)   if $n <= 0xffffffff;
        return pack('CQ>', 0xcf, $n);
    }
    return pack('c', $n)             if $n >= -32;
    return pack('Cc', 0xd0, $n)      if $n >= -128;
    return pack('Cs>', 0xd1, $n)     if $n >= -32768;
    return pack('Cl>', 0xd2, $n)     if $n >= -2147483648;
    return pack('Cq>', 0xd3, $n);
}

my %INT_FMT = (
    0xcc => 'C', 0xcd => 'n', 0xce => 'N', 0xcf => 'Q>',
    0xd0 => 'c', 0xd1 => 's>', 0xd2 => 'l>', 0xd3 => 'q>',
);

sub _str_header {
    my ($len) = @_;
    return pack('C', 0xa0 | $len)  if $len < 32;
    return pack('CC', 0xd9, $len)  if $len <= 0xff;
    return pack('Cn', 0xda, $len)  if $len <= 0xffff;
    return pack('CN', 0xdb, $len);
}

sub _bin_header {
    my ($len) = @_;
    return pack('CC', 0xc4, $len) if $len <= 0xff;
    return pack('Cn', 0xc5, $len) if $len <= 0xffff;
    return pack('CN', 0xc6, $len);
}

# Headers, for tests that build a message piece by piece (e.g. a str header
# announcing more bytes than will ever be sent).
sub array_header {
    my ($n) = @_;
    return pack('C', 0x90 | $n)  if $n < 16;
    return pack('Cn', 0xdc, $n)  if $n <= 0xffff;
    return pack('CN', 0xdd, $n);
}
sub map_header {
    my ($n) = @_;
    return pack('C', 0x80 | $n)  if $n < 16;
    return pack('Cn', 0xde, $n)  if $n <= 0xffff;
    return pack('CN', 0xdf, $n);
}
sub str_header { _str_header($_[0]) }
sub bin_header { _bin_header($_[0]) }

sub _bytes_of_chars {
    my ($s) = @_;
    return Encode::encode('UTF-8', "$s", Encode::FB_CROAK | Encode::LEAVE_SRC);
}

sub _ext_bytes {
    my ($type, $data) = @_;
    my $len = length $data;
    my %fix = (1 => 0xd4, 2 => 0xd5, 4 => 0xd6, 8 => 0xd7, 16 => 0xd8);
    return pack('Cc', $fix{$len}, $type) . $data if $fix{$len};
    return pack('CCc', 0xc7, $len, $type) . $data if $len <= 0xff;
    return pack('Cnc', 0xc8, $len, $type) . $data if $len <= 0xffff;
    return pack('CNc', 0xc9, $len, $type) . $data;
}

sub encode {
    my ($v) = @_;
    return "\xc0" unless defined $v;
    if (my $class = blessed $v) {
        if ($class eq 'Annals::MsgPack::Str') {
            my $b = $v->{raw} ? $v->{v} : _bytes_of_chars($v->{v});
            croak 'msgpack: str_bytes wants bytes, not wide characters'
                if $v->{raw} && $b =~ /[^\x00-\xff]/;
            return _str_header(length $b) . $b;
        }
        if ($class eq 'Annals::MsgPack::Bin') {
            return _bin_header(length $v->{v}) . $v->{v};
        }
        if ($class eq 'Annals::MsgPack::Int') {
            return _int_bytes($v->{v}) unless defined $v->{fmt};
            my $f = $INT_FMT{$v->{fmt}} or croak sprintf('msgpack: 0x%02x is not an int format', $v->{fmt});
            return pack('C', $v->{fmt}) . pack($f, $v->{v});
        }
        if ($class eq 'Annals::MsgPack::Float') {
            return $v->{bits} == 32 ? pack('Cf>', 0xca, $v->{v}) : pack('Cd>', 0xcb, $v->{v});
        }
        if ($class eq 'Annals::MsgPack::Map') {
            my $out = map_header(@$v / 2);
            $out .= encode($_) for @$v;
            return $out;
        }
        if ($class eq 'Annals::MsgPack::Ext') {
            return _ext_bytes($v->{type}, $v->{data});
        }
        if ($class eq 'Annals::MsgPack::Raw') {
            return $v->{v};
        }
        if ($class eq 'JSON::PP::Boolean') {
            return $$v ? "\xc3" : "\xc2";
        }
        croak "msgpack: cannot encode an object of class $class";
    }
    my $ref = ref $v;
    if ($ref eq 'ARRAY') {
        my $out = array_header(scalar @$v);
        $out .= encode($_) for @$v;
        return $out;
    }
    if ($ref eq 'HASH') {
        my $out = map_header(scalar keys %$v);
        for my $k (sort keys %$v) {
            $out .= encode(str($k)) . encode($v->{$k});
        }
        return $out;
    }
    if ($ref eq 'SCALAR' && defined $$v && ($$v eq '0' || $$v eq '1')) {
        # \1 and \0, as JSON::PP accepts them for true and false.
        return $$v ? "\xc3" : "\xc2";
    }
    croak "msgpack: cannot encode a $ref reference" if $ref;

    my $flags = B::svref_2object(\$v)->FLAGS;
    if ($flags & (B::SVp_IOK | B::SVp_NOK) && !($flags & B::SVp_POK)) {
        if ($flags & B::SVp_IOK && !($flags & B::SVp_NOK)) {
            return _int_bytes($v);
        }
        # A float that holds an integral value still goes out as a float:
        # the caller made a number, not a count.
        return pack('Cd>', 0xcb, $v);
    }
    my $b = _bytes_of_chars($v);
    return _str_header(length $b) . $b;
}

# ---- Decoder ---------------------------------------------------------------

# Thrown (as this object) while decoding when the buffer ends mid-object.
my $INCOMPLETE = bless {}, 'Annals::MsgPack::Incomplete';

# decode($bytes, %opts): exactly one object; dies when incomplete or followed
# by more bytes.
sub decode {
    my ($bytes, %opts) = @_;
    my $d = Annals::MsgPack::Decoder->new(%opts);
    $d->feed($bytes);
    my ($ok, $obj) = $d->next;
    croak 'msgpack: incomplete object' unless $ok;
    croak sprintf('msgpack: %d bytes after the object', $d->pending) if $d->pending;
    return $obj;
}

# decode_all($bytes, %opts): every object in the bytes; dies when the last one
# is incomplete.
sub decode_all {
    my ($bytes, %opts) = @_;
    my $d = Annals::MsgPack::Decoder->new(%opts);
    $d->feed($bytes);
    my @out;
    while (1) {
        my ($ok, $obj) = $d->next;
        last unless $ok;
        push @out, $obj;
    }
    croak 'msgpack: incomplete object at the end' if $d->pending;
    return @out;
}

# is_int / is_float: whether a decoded scalar came as a msgpack int or float
# (the decoder makes ints pure IVs/UVs and floats pure NVs).
sub is_int {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & B::SVp_IOK) && !($f & (B::SVp_NOK | B::SVp_POK)) ? 1 : 0;
}
sub is_float {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & B::SVp_NOK) && !($f & (B::SVp_IOK | B::SVp_POK)) ? 1 : 0;
}

package Annals::MsgPack::Decoder;

use strict;
use warnings;
no warnings qw(recursion);
use Carp qw(croak);
use Encode ();
use JSON::PP ();

# new(raw => 0|1, ordered => 0|1, max_depth => N): raw gives str as bytes,
# ordered gives maps as Annals::MsgPack::Map, max_depth (default 512) bounds
# nesting so hostile input cannot exhaust the stack.
sub new {
    my ($class, %opts) = @_;
    return bless {
        buf       => '',
        off       => 0,          # where the next object starts in buf
        raw       => $opts{raw} ? 1 : 0,
        ordered   => $opts{ordered} ? 1 : 0,
        max_depth => $opts{max_depth} // 512,
    }, $class;
}

sub feed {
    my ($self, $bytes) = @_;
    croak 'msgpack: feed wants bytes, not wide characters' if $bytes =~ /[^\x00-\xff]/;
    $self->{buf} .= $bytes;
    return $self;
}

# pending: how many bytes are buffered and not yet decoded.
sub pending { length($_[0]{buf}) - $_[0]{off} }

# next: (1, $object) when a whole object is buffered (and consumes it),
# (0) when more bytes are needed; dies on bytes that are not MessagePack.
sub next {
    my ($self) = @_;
    return (0) if $self->pending == 0;
    my $pos = $self->{off};
    my $obj = eval { $self->_value(\$pos, 0) };
    if (my $e = $@) {
        return (0) if ref $e && $e == $INCOMPLETE;
        die $e;
    }
    # Consumed bytes are dropped in bulk, not per object, so that many small
    # objects in a large buffer do not each cost a copy of the rest.
    $self->{off} = $pos;
    if ($pos == length $self->{buf}) {
        $self->{buf} = '';
        $self->{off} = 0;
    } elsif ($pos > 1 << 20) {
        substr($self->{buf}, 0, $pos, '');
        $self->{off} = 0;
    }
    return (1, $obj);
}

sub _need {
    my ($self, $pos, $n) = @_;
    die $INCOMPLETE if $$pos + $n > length $self->{buf};
    my $s = substr($self->{buf}, $$pos, $n);
    $$pos += $n;
    return $s;
}

sub _str {
    my ($self, $pos, $len) = @_;
    my $b = $self->_need($pos, $len);
    return $b if $self->{raw};
    my $copy = $b;
    my $s = eval { Encode::decode('UTF-8', $copy, Encode::FB_CROAK) };
    die sprintf("msgpack: invalid UTF-8 in a str at byte %d\n", $$pos - $len) unless defined $s;
    return $s;
}

sub _container {
    my ($self, $pos, $depth, $n, $is_map) = @_;
    die "msgpack: nesting deeper than $self->{max_depth}\n" if $depth >= $self->{max_depth};
    # Every element takes at least one byte: a count beyond what could still
    # arrive is fine, but one beyond the buffer is simply incomplete.
    if (!$is_map) {
        my @a;
        push @a, $self->_value($pos, $depth + 1) for 1 .. $n;
        return \@a;
    }
    if ($self->{ordered}) {
        my @kv;
        push @kv, $self->_value($pos, $depth + 1) for 1 .. 2 * $n;
        return bless \@kv, 'Annals::MsgPack::Map';
    }
    my %h;
    for (1 .. $n) {
        my $k = $self->_value($pos, $depth + 1);
        my $v = $self->_value($pos, $depth + 1);
        $k = ref $k ? Annals::MsgPack::encode($k) : defined $k ? "$k" : '';
        $h{$k} = $v;
    }
    return \%h;
}

sub _value {
    my ($self, $pos, $depth) = @_;
    my $t = ord $self->_need($pos, 1);
    return $t                                  if $t <= 0x7f;
    return $self->_container($pos, $depth, $t & 0x0f, 1) if $t <= 0x8f;
    return $self->_container($pos, $depth, $t & 0x0f, 0) if $t <= 0x9f;
    return $self->_str($pos, $t & 0x1f)        if $t <= 0xbf;
    return $t - 0x100                          if $t >= 0xe0;
    return undef                               if $t == 0xc0;
    return JSON::PP::false()                   if $t == 0xc2;
    return JSON::PP::true()                    if $t == 0xc3;
    if ($t >= 0xc4 && $t <= 0xc6) {
        my $len = unpack(('C', 'n', 'N')[$t - 0xc4], $self->_need($pos, (1, 2, 4)[$t - 0xc4]));
        return $self->_need($pos, $len);
    }
    if ($t >= 0xc7 && $t <= 0xc9) {
        my $len = unpack(('C', 'n', 'N')[$t - 0xc7], $self->_need($pos, (1, 2, 4)[$t - 0xc7]));
        my $type = unpack('c', $self->_need($pos, 1));
        return bless { type => $type, data => $self->_need($pos, $len) }, 'Annals::MsgPack::Ext';
    }
    if ($t == 0xca) { my $f = unpack('f>', $self->_need($pos, 4)); return $f }
    if ($t == 0xcb) { my $f = unpack('d>', $self->_need($pos, 8)); return $f }
    if ($t >= 0xcc && $t <= 0xd3) {
        my ($fmt, $n) = (['C', 1], ['n', 2], ['N', 4], ['Q>', 8],
                         ['c', 1], ['s>', 2], ['l>', 4], ['q>', 8])[$t - 0xcc]->@*;
        my $v = unpack($fmt, $self->_need($pos, $n));
        return $v + 0;
    }
    if ($t >= 0xd4 && $t <= 0xd8) {
        my $len = (1, 2, 4, 8, 16)[$t - 0xd4];
        my $type = unpack('c', $self->_need($pos, 1));
        return bless { type => $type, data => $self->_need($pos, $len) }, 'Annals::MsgPack::Ext';
    }
    if ($t >= 0xd9 && $t <= 0xdb) {
        my $len = unpack(('C', 'n', 'N')[$t - 0xd9], $self->_need($pos, (1, 2, 4)[$t - 0xd9]));
        return $self->_str($pos, $len);
    }
    if ($t == 0xdc || $t == 0xdd) {
        my $n = unpack($t == 0xdc ? 'n' : 'N', $self->_need($pos, $t == 0xdc ? 2 : 4));
        return $self->_container($pos, $depth, $n, 0);
    }
    if ($t == 0xde || $t == 0xdf) {
        my $n = unpack($t == 0xde ? 'n' : 'N', $self->_need($pos, $t == 0xde ? 2 : 4));
        return $self->_container($pos, $depth, $n, 1);
    }
    die sprintf("msgpack: byte 0x%02x at offset %d is never used\n", $t, $$pos - 1);
}

package Annals::MsgPack::Map;

# An ordered map: a blessed array of key, value, key, value...

sub keys   { my $s = shift; return @{$s}[grep { $_ % 2 == 0 } 0 .. $#$s] }
sub values { my $s = shift; return @{$s}[grep { $_ % 2 == 1 } 0 .. $#$s] }
sub pairs  { my $s = shift; return map { [$s->[2 * $_], $s->[2 * $_ + 1]] } 0 .. @$s / 2 - 1 }
sub get {
    my ($s, $k) = @_;
    for (my $i = 0; $i < @$s; $i += 2) {
        return $s->[$i + 1] if defined $s->[$i] && !ref $s->[$i] && $s->[$i] eq $k;
    }
    return undef;
}
sub to_hash { my $s = shift; return { @$s } }

package Annals::MsgPack::Ext;
sub type { $_[0]{type} }
sub data { $_[0]{data} }

1;
