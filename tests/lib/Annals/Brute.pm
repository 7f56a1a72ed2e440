# Annals::Brute: what the query methods must answer, computed by brute force
# over the events a test put, independently of annalsd: the text normaliser
# of PROTOCOL.md section 10, the filters of section 6 (kind, country, tag,
# participant, place, parent, q) over the date rules of section 5 (through
# Annals::Dates), range order, histogram buckets and top; plus a seeded
# generator of varied events and a helper that reads every page of a range.
#
#   use Annals::Brute qw(norm_words gen_events select_ids ...);
#   my $events = gen_events(n => 2000, seed => 42);   # insertion order
#   my $corpus = Annals::Brute::Corpus->new($events); # order = insertion order
#   my @ids = $corpus->select(\%params);              # what range returns, in order
#   my $n = $corpus->count(\%params);
#   my ($buckets, $total) = $corpus->histogram(\%params);
#   my ($top, $total) = $corpus->top(\%params);
#
# Where section 10 leaves a detail open ("common words that begin with و such
# as ..."), the model takes it from the normaliser's documented contract,
# proto/textnorm.h.
package Annals::Brute;

use strict;
use warnings;
use utf8;
use Carp qw(croak);
use Encode ();
use Exporter qw(import);
use POSIX qw(floor);
use Scalar::Util qw(refaddr);
use Unicode::Normalize qw(NFD);

use Annals::Dates qw(event_bounds window overlaps within certain instant first_last);

our @EXPORT_OK = qw(norm_words norm_word parse_q q_error filter_values
                    doc compile_filter passes event_passes
                    bucket_labels bucket_of
                    gen_events fmt_instant pick shuffle_list
                    range_all describe_params bytewise_cmp);

# ---- The normaliser (section 10) ------------------------------------------------------

# Marks dropped inside a word without splitting it: Arabic harakat,
# superscript alef, Quranic marks, honorifics, tatweel, Latin combining
# accents, soft hyphen, ZWNJ/ZWJ and bidi marks, variation selectors.
my $IGN = qr/[\x{064B}-\x{065F}\x{0670}\x{06D6}-\x{06ED}\x{0610}-\x{061A}\x{0640}\x{061C}
              \x{0300}-\x{036F}\x{00AD}\x{200C}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{206F}
              \x{FE00}-\x{FE0F}\x{FEFF}]/x;
# A word: letters, digits and those marks; everything else separates.
my $WORD = qr/[\p{L}\p{Nd}\p{M}\x{00AD}\x{200C}-\x{200F}\x{061C}]+/;

my %AR_FOLD = (
    "\x{0622}" => "\x{0627}", "\x{0623}" => "\x{0627}", "\x{0625}" => "\x{0627}", "\x{0671}" => "\x{0627}",
    "\x{0649}" => "\x{064A}", "\x{0626}" => "\x{064A}", "\x{06CC}" => "\x{064A}",
    "\x{0629}" => "\x{0647}", "\x{0624}" => "\x{0648}", "\x{06A9}" => "\x{0643}",
    (map { (chr(0x0660 + $_) => "$_", chr(0x06F0 + $_) => "$_") } 0 .. 9),
);
# Latin letters that do not decompose to a base letter plus accents.
my %LATIN_SPECIAL = (
    'ß' => 'ss', 'æ' => 'ae', 'Æ' => 'ae', 'œ' => 'oe', 'Œ' => 'oe', 'ø' => 'o', 'Ø' => 'o',
    'đ' => 'd', 'Đ' => 'd', 'ð' => 'd', 'Ð' => 'd', 'þ' => 'th', 'Þ' => 'th', 'ł' => 'l', 'Ł' => 'l',
    'ı' => 'i', 'İ' => 'i', 'ĳ' => 'ij', 'Ĳ' => 'ij', 'ĸ' => 'k', 'ŉ' => 'n', 'ſ' => 's',
    'ŀ' => 'l', 'Ŀ' => 'l', 'ħ' => 'h', 'Ħ' => 'h', 'ŧ' => 't', 'Ŧ' => 't', 'ŋ' => 'n', 'Ŋ' => 'n',
);

sub _fold_char {
    my ($c) = @_;
    my $o = ord $c;
    return lc $c if $o >= 0x41 && $o <= 0x5A;
    if ($o >= 0xC0 && $o < 0x180) {
        return $LATIN_SPECIAL{$c} if exists $LATIN_SPECIAL{$c};
        my $d = NFD($c);
        $d =~ s/\p{Mn}//g;
        return lc $d;
    }
    return $AR_FOLD{$c} // $c;
}

sub _is_arabic_letter {
    my $o = ord $_[0];
    return ($o >= 0x0621 && $o <= 0x063A) || ($o >= 0x0641 && $o <= 0x064A)
        || ($o >= 0x066E && $o <= 0x066F) || ($o >= 0x0671 && $o <= 0x06D3)
        || $o == 0x06D5 || ($o >= 0x06EE && $o <= 0x06EF)
        || ($o >= 0x06FA && $o <= 0x06FC) || $o == 0x06FF;
}

my @ARTICLES = ('وال', 'بال', 'كال', 'فال', 'لل', 'ال');
my @WAW_WORDS = ('وزير', 'وزار', 'وزرا', 'وكال', 'ولاي', 'والي', 'وطن', 'وفد', 'وقت',
                 'وضع', 'وحد', 'وثيق', 'وسط', 'وصل', 'وجه', 'ورق', 'ولد');
my @SUFFIXES = ('ها', 'ان', 'ات', 'ون', 'ين', 'يه', 'ه', 'ي');

# Light stemming of a folded word made only of Arabic letters: one prefix,
# then each suffix at most once, in order, while two letters remain.
sub _stem {
    my ($w) = @_;
    my $n = length $w;
    my $p = 0;
    for my $a (@ARTICLES) {
        my $k = length $a;
        if (substr($w, 0, $k) eq $a && $n - $k >= 2) { $p = $k; last }
    }
    if (!$p && $n >= 4 && substr($w, 0, 1) eq 'و'
        && !grep { substr($w, 0, length $_) eq $_ } @WAW_WORDS) {
        $p = 1;
    }
    my ($left, $end) = ($n - $p, $n);
    for my $s (@SUFFIXES) {
        my $k = length $s;
        next if $left < $k + 2;
        if (substr($w, $end - $k, $k) eq $s) { $end -= $k; $left -= $k }
    }
    return substr($w, $p, $end - $p);
}

# norm_word($word): one word (no separators in it) normalised and stemmed;
# '' when it held nothing but marks.
sub norm_word {
    my ($w) = @_;
    $w =~ s/$IGN//g;
    my $f = join '', map { _fold_char($_) } split //, $w;
    return $f if $f eq '';
    return _stem($f) unless grep { !_is_arabic_letter($_) } split //, $f;
    return $f;
}

sub _is_latin_letter {
    my $o = ord $_[0];
    return ($o >= 0x61 && $o <= 0x7A) || ($o >= 0x41 && $o <= 0x5A)
        || ($o >= 0xC0 && $o < 0x250 && $o != 0xD7 && $o != 0xF7);
}

# norm_words($text): the normalised words of a text, in order. A possessive
# 's (or ’s) after a Latin word is dropped.
sub norm_words {
    my ($s) = @_;
    return () unless defined $s;
    my @out;
    while ($s =~ /($WORD)/g) {
        my $raw = $1;
        my $end = pos $s;
        (my $letters = $raw) =~ s/$IGN//g;
        if ($letters ne '' && _is_latin_letter(substr($letters, -1))
            && substr($s, $end) =~ /\A['\x{2019}][sS](?![\p{L}\p{Nd}\p{M}])/) {
            pos($s) = $end + 2;
        }
        my $n = norm_word($raw);
        push @out, $n if $n ne '';
    }
    return @out;
}

# parse_q($q): the clauses of a q, each an array ref of words (one word: a
# word; several: a phrase). Quoted parts are phrases; an unbalanced quote
# runs to the end; a quoted part without words is ignored.
sub parse_q {
    my ($q) = @_;
    my @parts = split /"/, $q, -1;
    my @clauses;
    for my $i (0 .. $#parts) {
        my @w = norm_words($parts[$i]);
        next unless @w;
        if ($i % 2) { push @clauses, \@w }
        else { push @clauses, map { [$_] } @w }
    }
    return @clauses;
}

# q_error($q): why the server must refuse q (undef when it must accept it).
sub q_error {
    my ($q) = @_;
    my $bytes = length Encode::encode('UTF-8', $q);
    return 'empty' if $bytes == 0;
    return 'over 1024 bytes' if $bytes > 1024;
    my $words = 0;
    $words += @$_ for parse_q($q);
    return 'no word' if $words == 0;
    return 'more than 32 words' if $words > 32;
    return undef;
}

# ---- Documents and filters (section 6) -----------------------------------------------

my %DOCS;

# doc($event): what the filters read of an event, computed once per event
# hash (events must not change after they were first looked at).
sub doc {
    my ($e) = @_;
    my $key = refaddr $e;
    my $d = $DOCS{$key};
    return $d if $d && $d->{e} == $e;
    my @pwords;    # words of each participant's name and of each alias
    my @text;      # words of each text field
    push @text, [norm_words($e->{title})], [norm_words($e->{summary})];
    for my $p (@{ $e->{participants} // [] }) {
        for my $s ($p->{name}, @{ $p->{aliases} // [] }) {
            next unless defined $s;
            push @pwords, [norm_words($s)];
            push @text, $pwords[-1];
        }
        push @text, [norm_words($p->{role})] if defined $p->{role};
    }
    my $pl = $e->{place} // {};
    my @city = norm_words($pl->{city});
    my @pname = norm_words($pl->{name});
    push @text, \@pname, \@city;
    push @text, [norm_words($_)] for @{ $e->{tags} // [] };
    my %words;
    $words{$_} = 1 for map { @$_ } @text;
    $d = {
        e => $e,
        bounds => event_bounds($e->{start}, $e->{end}),
        kind => $e->{kind} // 'other',
        countries => { map { ($_ => 1) } @{ $e->{countries} // [] } },
        tags => { map { ($_ => 1) } @{ $e->{tags} // [] } },
        pwords => \@pwords,
        place_country => $pl->{country},
        city => \@city,
        pname => \@pname,
        parent => $e->{parent},
        text => \@text,
        words => \%words,
    };
    $DOCS{$key} = $d;
    return $d;
}

# Whether the words of $needle appear consecutively, in order, in $hay.
sub _has_run {
    my ($hay, $needle) = @_;
    my $n = @$needle;
    return 0 if $n == 0 || $n > @$hay;
  START: for my $i (0 .. @$hay - $n) {
        for my $j (0 .. $n - 1) {
            next START unless $hay->[$i + $j] eq $needle->[$j];
        }
        return 1;
    }
    return 0;
}

# filter_values($v): the values of a filter field (string or array; undef
# and [] give none).
sub filter_values {
    my ($v) = @_;
    return () unless defined $v;
    return ref $v eq 'ARRAY' ? @$v : ($v);
}

# compile_filter(\%params): the window, mode and filter fields of range /
# count / histogram / top / subscribe parameters, ready for passes().
sub compile_filter {
    my ($q) = @_;
    my %c = (window => window($q->{from}, $q->{to}), mode => $q->{mode} // 'overlap');
    for my $f (qw(kind country tag parent)) {
        my @v = filter_values($q->{$f});
        $c{$f} = { map { ($_ => 1) } @v } if @v;
    }
    my @p = filter_values($q->{participant});
    $c{participant} = [map { [norm_words($_)] } @p] if @p;
    my @l = filter_values($q->{place});
    $c{place} = [map { { code => (/\A[A-Za-z]{2}\z/ ? uc $_ : undef), words => [norm_words($_)] } } @l]
        if @l;
    $c{q} = [parse_q($q->{q})] if defined $q->{q};
    return \%c;
}

# passes($compiled, $doc): whether the event meets the window (in its mode)
# and every filter field.
sub passes {
    my ($c, $d) = @_;
    my $b = $d->{bounds};
    return 0 unless $c->{mode} eq 'within' ? within($b, $c->{window}) : overlaps($b, $c->{window});
    return 0 if $c->{kind} && !$c->{kind}{ $d->{kind} };
    return 0 if $c->{country} && !grep { $d->{countries}{$_} } keys %{ $c->{country} };
    return 0 if $c->{tag} && !grep { $d->{tags}{$_} } keys %{ $c->{tag} };
    return 0 if $c->{parent} && !(defined $d->{parent} && $c->{parent}{ $d->{parent} });
    if ($c->{participant}) {
        my $ok = 0;
      VALUE: for my $v (@{ $c->{participant} }) {
            for my $h (@{ $d->{pwords} }) {
                if (_has_run($h, $v)) { $ok = 1; last VALUE }
            }
        }
        return 0 unless $ok;
    }
    if ($c->{place}) {
        my $ok = 0;
        for my $v (@{ $c->{place} }) {
            if ((defined $v->{code} && defined $d->{place_country} && $v->{code} eq $d->{place_country})
                || _has_run($d->{city}, $v->{words}) || _has_run($d->{pname}, $v->{words})) {
                $ok = 1;
                last;
            }
        }
        return 0 unless $ok;
    }
    if ($c->{q}) {
        return 0 unless @{ $c->{q} };
        for my $cl (@{ $c->{q} }) {
            if (@$cl == 1) {
                return 0 unless $d->{words}{ $cl->[0] };
            } else {
                return 0 unless grep { _has_run($_, $cl) } @{ $d->{text} };
            }
        }
    }
    return 1;
}

# event_passes(\%params, $event): passes for one event (undef: no event).
sub event_passes {
    my ($q, $e) = @_;
    return 0 unless $e;
    return passes(compile_filter($q), doc($e));
}

# ---- Buckets (histogram) ----------------------------------------------------------------

# bucket_of($t, $unit): the label of the bucket holding instant $t.
sub bucket_of {
    my ($t, $unit) = @_;
    my $s = instant($t);
    return substr($s, 0, 10) if $unit eq 'day';
    return substr($s, 0, 7) if $unit eq 'month';
    return substr($s, 0, 4) if $unit eq 'year';
    croak "unknown bucket $unit" unless $unit eq 'week';
    my $day = floor($t / 86400);
    my $monday = $day - (($day + 3) % 7);    # 1970-01-01 was a Thursday
    return substr(instant($monday * 86400), 0, 10);
}

# bucket_labels($first, $last, $unit): every bucket label from the one
# holding $first to the one holding $last (stops after $max + 1 labels).
sub bucket_labels {
    my ($t0, $t1, $unit, $max) = @_;
    $max //= 1e9;
    my @l;
    my $last = bucket_of($t1, $unit);
    if ($unit eq 'day' || $unit eq 'week') {
        my $step = $unit eq 'day' ? 1 : 7;
        my $day = floor($t0 / 86400);
        $day -= (($day + 3) % 7) if $unit eq 'week';
        while (1) {
            push @l, substr(instant($day * 86400), 0, 10);
            last if $l[-1] eq $last || @l > $max;
            $day += $step;
        }
    } elsif ($unit eq 'month') {
        my ($y, $m) = split /-/, bucket_of($t0, 'month');
        while (1) {
            push @l, sprintf '%04d-%02d', $y, $m;
            last if $l[-1] eq $last || @l > $max;
            ($y, $m) = $m == 12 ? ($y + 1, 1) : ($y, $m + 1);
        }
    } else {
        my $y = bucket_of($t0, 'year');
        while (1) {
            push @l, sprintf '%04d', $y;
            last if $l[-1] eq $last || @l > $max;
            $y++;
        }
    }
    return @l;
}

# bytewise_cmp($a, $b): compare two strings by their UTF-8 bytes.
sub bytewise_cmp { Encode::encode('UTF-8', $_[0]) cmp Encode::encode('UTF-8', $_[1]) }

# ---- A corpus: the events of one put_many, in first-write order ------------------------

package Annals::Brute::Corpus;

use strict;
use warnings;
use Annals::Dates qw(window certain instant);

# new(\@events): the events as written, in the order their ids were first
# written (the range tie-break). Later puts of the same id must not be in
# the list; use replace() for them.
sub new {
    my ($class, $events) = @_;
    my $self = bless { events => [], order => {}, by_id => {} }, $class;
    $self->add($_) for @$events;
    return $self;
}

# add($event): a new id, or a replacement that keeps the id's place.
sub add {
    my ($self, $e) = @_;
    my $id = $e->{id} // Carp::croak('events of a corpus need ids');
    if (!exists $self->{order}{$id}) {
        $self->{order}{$id} = scalar keys %{ $self->{order} };
    }
    $self->{by_id}{$id} = $e;
    return $self;
}
sub remove { my ($self, $id) = @_; delete $self->{by_id}{$id}; return $self }
sub get    { $_[0]{by_id}{ $_[1] } }
sub ids    { my $s = shift; return sort { $s->{order}{$a} <=> $s->{order}{$b} } keys %{ $s->{by_id} } }
sub events { my $s = shift; return map { $s->{by_id}{$_} } $s->ids }
sub bounds { Annals::Brute::doc($_[0]{by_id}{ $_[1] })->{bounds} }

# select(\%params): the ids range returns over all its pages, in its order.
sub select {
    my ($self, $q) = @_;
    my $c = Annals::Brute::compile_filter($q);
    my @hit;
    for my $id (keys %{ $self->{by_id} }) {
        my $d = Annals::Brute::doc($self->{by_id}{$id});
        push @hit, [$id, $d->{bounds}{start}[0], $self->{order}{$id}] if Annals::Brute::passes($c, $d);
    }
    my @ids = map { $_->[0] } sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] } @hit;
    @ids = reverse @ids if ($q->{order} // 'asc') eq 'desc';
    return @ids;
}

sub count { my ($self, $q) = @_; return scalar(my @ids = $self->select($q)) }

# certainty(\%params, @ids): {id => certain|possible} against the window.
sub certainty {
    my ($self, $q, @ids) = @_;
    my $w = window($q->{from}, $q->{to});
    return { map { ($_ => certain($self->bounds($_), $w) ? 'certain' : 'possible') } @ids };
}

# histogram(\%params): ([[label, count], ...], total) as section 6 says.
sub histogram {
    my ($self, $q) = @_;
    my $w = window($q->{from}, $q->{to});
    my @labels = Annals::Brute::bucket_labels($w->[0], $w->[1], $q->{bucket});
    my %idx = map { ($labels[$_] => $_) } 0 .. $#labels;
    my @n = (0) x @labels;
    my @ids = $self->select({ %$q, order => 'asc' });
    for my $id (@ids) {
        my $b = $self->bounds($id);
        my $from = $b->{start}[0] < $w->[0] ? $w->[0] : $b->{start}[0];
        my $i = $idx{ Annals::Brute::bucket_of($from, $q->{bucket}) };
        if (!$q->{spread}) {
            $n[$i]++;
            next;
        }
        my $to = $b->{end}[1] > $w->[1] ? $w->[1] : $b->{end}[1];
        my $j = $idx{ Annals::Brute::bucket_of($to, $q->{bucket}) };
        $n[$_]++ for $i .. $j;
    }
    return ([map { [$labels[$_], $n[$_]] } 0 .. $#labels], scalar @ids);
}

# top(\%params): ([[value, count], ...], total) as section 6 says.
sub top {
    my ($self, $q) = @_;
    my $field = $q->{field};
    my (%count, %shown);
    my @ids = $self->select({ %$q, order => 'asc' });
    for my $id (@ids) {
        my $e = $self->{by_id}{$id};
        my @vals;    # [key, spelling]
        if ($field eq 'country') { @vals = map { [$_, $_] } @{ $e->{countries} // [] } }
        elsif ($field eq 'tag') { @vals = map { [$_, $_] } @{ $e->{tags} // [] } }
        elsif ($field eq 'kind') { @vals = ([$e->{kind} // 'other', $e->{kind} // 'other']) }
        elsif ($field eq 'participant') {
            @vals = map { [join(' ', Annals::Brute::norm_words($_->{name})), $_->{name}] }
                    grep { defined $_->{name} } @{ $e->{participants} // [] };
        } elsif ($field eq 'place') {
            my $pl = $e->{place} // {};
            my $v = $pl->{city} // $pl->{name};
            @vals = ([join(' ', Annals::Brute::norm_words($v)), $v]) if defined $v;
        } else {
            Carp::croak("unknown top field $field");
        }
        my %seen;
        for my $v (@vals) {
            next if $v->[0] eq '' || $seen{ $v->[0] }++;
            $count{ $v->[0] }++;
            $shown{ $v->[0] } //= $v->[1];
        }
    }
    my @top = sort { $b->[1] <=> $a->[1] || Annals::Brute::bytewise_cmp($a->[0], $b->[0]) }
              map { [$shown{$_}, $count{$_}] } keys %count;
    my $limit = $q->{limit} // 10;
    splice @top, $limit if @top > $limit;
    return (\@top, scalar @ids);
}

package Annals::Brute;

# ---- The generator ------------------------------------------------------------------------

# pick(@list): one element at random; shuffle_list(@list): a permutation.
sub pick { return $_[int rand @_] }
sub shuffle_list {
    my @l = @_;
    for (my $i = $#l; $i > 0; $i--) {
        my $j = int rand($i + 1);
        @l[$i, $j] = @l[$j, $i];
    }
    return @l;
}

# fmt_instant($t, $prec, $q, $offset_minutes): the instant $t written at a
# precision (year, month, day: with qualifier $q; minute, second: in UTC,
# or at the given UTC offset).
sub fmt_instant {
    my ($t, $prec, $q, $off) = @_;
    $q //= '';
    my $u = instant($t);
    return substr($u, 0, 4) . $q if $prec eq 'year';
    return substr($u, 0, 7) . $q if $prec eq 'month';
    return substr($u, 0, 10) . $q if $prec eq 'day';
    my $len = $prec eq 'minute' ? 16 : 19;
    return substr($u, 0, $len) . 'Z' unless $off;
    my $l = instant($t + $off * 60);
    return substr($l, 0, $len) . sprintf('%s%02d:%02d', $off < 0 ? '-' : '+', abs($off) / 60, abs($off) % 60);
}

our @KINDS = qw(visit meeting agreement conference other);
our @COUNTRIES = qw(MA ES FR DE IT NO);
our @TAGS = qw(pax bellum foedus legatio commercium iter senatus res-publica);
# Persons: a name's spellings (the first is the canonical one) and aliases.
our @PERSONS = (
    { names => ['Marcus Tullius Cicero', 'marcus tullius cicero', 'MARCUS TULLIUS CICERO'], aliases => ['Cicero', 'Tully'] },
    { names => ['Gaius Iulius Caesar', 'Gaius Julius Caesar'], aliases => ['Julius Caesar'] },
    { names => ['Gnaeus Pompeius Magnus'], aliases => ['Pompey', 'Pompeius'] },
    { names => ['Marcus Porcius Cato', 'Marcus Porcius Catō'] },
    { names => ['Cornelia Africana'] },
    { names => ['Lucius Cornelius Sulla'], aliases => ['Sulla Felix'] },
    { names => ['Zoë Ménard', 'Zoe Menard', 'ZOË MÉNARD'] },
    { names => ['Titus Livius'], aliases => ['Livy'] },
    { names => ['Publius Vergilius Maro'], aliases => ['Virgil', 'Vergil'] },
    { names => ['Hélène Dubois', 'Helene Dubois'] },
    { names => ['Marcus Antonius'], aliases => ['Mark Antony'] },
);
our @ROLES = ('consul', 'senator', 'legatus pro praetore', 'tribunus plebis', 'Pontifex Maximus');
# Places: city spellings, names, country.
our @PLACES = (
    { cities => ['Roma', 'ROMA'], names => ['Forum Romanum', 'Curia Iulia'], country => 'IT' },
    { cities => ['Genève', 'Geneve', 'GENÈVE'], names => ['Palais des Nations'], country => 'CH' },
    { cities => ['Lugdunum'], names => ['Amphitheatrum Trium Galliarum'], country => 'FR' },
    { cities => ['Carthago Nova'], names => ['Arx Hasdrubalis'], country => 'ES' },
    { cities => ['Massilia'], names => ['Portus Massiliensis'], country => 'FR' },
    { cities => ['Tingis'], names => ['Forum Tingitanum'], country => 'MA' },
    { cities => ['Nova Roma'], names => ['Forum Novum'], country => 'DE' },
);
our @WORDS = qw(concordia senatus populus romanus pax bellum foedus legatio consilium imperium
                provincia civitas amicitia societas mare via forum curia lex magna mercatus
                portus classis legio castra urbs aeterna nova);
our @SPECIAL_WORDS = ('Genève', 'café', 'éclat', 'naïve', 'façade', 'Straße', 'strasse', 'Æsculapius',
                      'aesculapius', 'Concordia', 'SENATUS', 'Rōma');
our @BIGRAMS = (['pax', 'romana'], ['res', 'publica'], ['mare', 'nostrum'], ['via', 'appia'],
                ['lex', 'iulia'], ['magna', 'charta']);
our @SPANS = (60, 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 30 * 86400, 90 * 86400,
              365 * 86400, 3 * 365 * 86400, 10 * 365 * 86400);

sub _cap { my ($w) = @_; return ucfirst $w }

sub _words {
    my ($min, $max) = @_;
    my $n = $min + int rand($max - $min + 1);
    my @w;
    while (@w < $n) {
        my $r = rand;
        if ($r < 0.12) { push @w, @{ pick(@BIGRAMS) } }
        elsif ($r < 0.17) { push @w, reverse @{ pick(@BIGRAMS) } }
        elsif ($r < 0.27) { push @w, pick(@SPECIAL_WORDS) }
        else { push @w, pick(@WORDS) }
    }
    $w[0] = _cap($w[0]);
    return @w;
}

# A date-time instant for the generator: mostly 2016-2025, a few outliers.
my $T2016 = (first_last('2016'))[0];
my $T2026 = (first_last('2026'))[0];
sub _instant {
    my $r = rand;
    my ($a, $b) = $r < 0.03 ? ((first_last('1990'))[0], $T2016)
                : $r < 0.05 ? ((first_last('2030'))[0], (first_last('2040'))[1])
                : ($T2016, $T2026);
    return $a + int rand($b - $a);
}

sub _date_of {
    my ($t, $prec_weights) = @_;
    my $r = rand;
    my $prec;
    for my $p (@$prec_weights) { $r -= $p->[1]; $prec = $p->[0]; last if $r < 0 }
    my $q = ($prec =~ /year|month|day/ && rand() < 0.2) ? pick('?', '~', '%') : '';
    my $off = ($prec =~ /minute|second/ && rand() < 0.3) ? pick(-300, 60, 120, 330) : 0;
    return fmt_instant($t, $prec, $q, $off);
}

my @PRECS = (['year', 0.15], ['month', 0.2], ['day', 0.35], ['minute', 0.22], ['second', 0.08]);

# gen_events(n => N, seed => S, umbrellas => U): N events (the first U of
# them long "umbrella" events that others name as parent), deterministic
# for a seed. Ids are random strings, so their order is not the order of
# insertion. Returns an array ref.
sub gen_events {
    my (%o) = @_;
    srand($o{seed} // 1);
    my $n = $o{n} // 2000;
    my $nu = $o{umbrellas} // 4;
    my (%used, @events, @umbrellas);
    my $newid = sub {
        my $prefix = shift // '';
        while (1) {
            my $id = $prefix . join '', map { pick('a' .. 'z', 0 .. 9) } 1 .. 10;
            return $id unless $used{$id}++;
        }
    };
    for my $i (0 .. $n - 1) {
        my %e;
        if ($i < $nu) {
            $e{id} = $newid->('u-');
            push @umbrellas, $e{id};
            my $y = 2017 + int rand 8;
            %e = (%e, kind => 'conference', start => "$y-0" . (1 + int rand 6), end => "$y-1" . int rand 3,
                  title => join(' ', 'Consilium', _words(2, 4)));
        } else {
            $e{id} = $newid->();
            my $t0 = _instant();
            $e{start} = _date_of($t0, \@PRECS);
            if (rand() < 0.5) {
                my $t1 = $t0 + pick(@SPANS) + int rand 60;
                $e{end} = _date_of($t1, \@PRECS);
            }
            my $kr = rand;
            $e{kind} = pick(@KINDS) if $kr > 0.05;
            $e{title} = join ' ', _words(2, 6);
        }
        $e{summary} = join(' ', _words(4, 14)) . '.' if rand() < 0.6;
        my @c = (shuffle_list(@COUNTRIES))[0 .. int(rand 4) - 1];
        $e{countries} = \@c if @c;
        my @t = (shuffle_list(@TAGS))[0 .. int(rand 4) - 1];
        $e{tags} = \@t if @t;
        my @parts;
        for my $p ((shuffle_list(@PERSONS))[0 .. int(rand 4) - 1]) {
            my %pp = (name => pick(@{ $p->{names} }));
            $pp{aliases} = [@{ $p->{aliases} }] if $p->{aliases} && rand() < 0.7;
            $pp{role} = pick(@ROLES) if rand() < 0.3;
            push @parts, \%pp;
        }
        push @parts, { role => pick(@ROLES) } if rand() < 0.1;
        $e{participants} = [shuffle_list(@parts)] if @parts;
        if (rand() < 0.75) {
            my $pl = pick(@PLACES);
            my $shape = rand;
            my %p;
            $p{country} = $pl->{country} if $shape < 0.85;
            $p{city} = pick(@{ $pl->{cities} }) if $shape > 0.15 && $shape < 0.9;
            $p{name} = pick(@{ $pl->{names} }) if $shape > 0.5;
            $p{country} //= $pl->{country} unless $p{city} || $p{name};
            $e{place} = \%p;
        }
        if ($i >= $nu) {
            my $r = rand;
            $e{parent} = pick(@umbrellas) if $r < 0.3;
            $e{parent} = 'u-ghost-of-an-umbrella' if $r >= 0.3 && $r < 0.32;
        }
        push @events, \%e;
    }
    return \@events;
}

# ---- Reading the server ------------------------------------------------------------------

# range_all($rpc, \%params): every page of range; returns a hash:
#   events => [...] (all pages), pages => n, error => the first error,
#   bad => the number of broken page invariants (more than limit events, an
#   empty page with a next, a next that is not a non-empty string).
# $rpc is a code ref taking (method, params) and returning (error, result).
sub range_all {
    my ($rpc, $q) = @_;
    my (@events, $cursor);
    my ($pages, $bad) = (0, 0);
    my $limit = $q->{limit} // 100;
    while (1) {
        my ($e, $r) = $rpc->('range', { %$q, defined $cursor ? (cursor => $cursor) : () });
        return { events => \@events, pages => $pages, bad => $bad, error => $e } if $e;
        $pages++;
        my $page = $r->{events} // [];
        $bad++ if @$page > $limit;
        push @events, @$page;
        last unless defined $r->{next};
        $bad++ if ref $r->{next} || $r->{next} eq '' || !@$page;
        last if $pages > 10000;
        $cursor = $r->{next};
    }
    return { events => \@events, pages => $pages, bad => $bad, error => undef };
}

# describe_params(\%params): a short label for test names.
sub describe_params {
    my ($q) = @_;
    my $s = join ' ', map {
        my $v = $q->{$_};
        "$_=" . (!defined $v ? 'nil' : ref $v eq 'ARRAY' ? '[' . join('|', @$v) . ']' : $v)
    } sort keys %$q;
    $s = substr($s, 0, 157) . '...' if length $s > 160;
    return $s eq '' ? '(no parameters)' : $s;
}

1;
