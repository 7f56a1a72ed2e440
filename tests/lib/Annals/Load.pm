# Annals::Load: a write load that keeps its own books, and the checks that a
# database holds exactly what the books say. Used by the tests that take a
# backup under writes and that kill annalsd under writes.
#
#   my $ev = event_for($id, $version);     # the event a version of an id is
#   my $load = start_writers(daemon => $d, writers => 3, ids => \@ids_of_writer,
#                            exists => \%id_exists, tag => 'c1', dir => $tmp);
#   ...; $load->stop;                      # or the daemon dies: ->wait
#   my @ops = $load->ops;                  # every request: acknowledged or in flight
#   my $want = state_at(\%base, \@ops, $seq);  # what a copy at $seq holds
#   my $want = states_after_crash(\%base, \@ops); # what may survive a kill
#   my $got = fetch_all($conn, \@ids);     # id => stored event (undef: absent)
#   my %r = check_states($got, $want);     # lost, torn, in flight applied, ...
#   my @bad = check_queries($conn, $got);  # count/range agree with the events
#   my $log = read_changes($conn, $since); # the change log after $since
#   my @bad = check_change_log($log, $got, $since + 1, $seq);
#   my ($n, @bad) = check_applied($log, \@ops); # whole, in order, nothing else
#
# Each writer is a child process with its own connection that pipelines up
# to `window` requests (put, put_many, delete) on the ids it alone owns and
# writes one line per request to its book: acknowledged with the seq, or,
# when the connection is lost first, in flight. Since one connection's
# writes are applied in the order sent and each id has one writer, the book
# of an id is its history.
package Annals::Load;

use strict;
use warnings;
use Carp qw(croak);
use Digest::MD5 qw(md5);
use Exporter qw(import);
use POSIX ();
use Time::HiRes qw(sleep time);

use Annals::Test ();

our @EXPORT_OK = qw(event_for start_writers fetch_all check_queries read_changes check_change_log
                    check_applied same_event state_at states_after_crash check_states QUERY_SAMPLE);

my @KINDS = qw(visit meeting agreement conference other);
my @COUNTRIES = qw(MA FR ES NO US DE);
my @TAGS = qw(security police interpol drills border);
my @WORDS = qw(delegation minister talks cooperation summit police training border
               agreement visit signed regional exchange experts forum);

# event_for($id, $version): the event this version of $id is, derived from
# both, so a check can tell a whole version from a torn one: every field
# (dates, kind, countries, tags, a summary of 0-900 bytes) depends on it.
sub event_for {
    my ($id, $version) = @_;
    my @h = unpack 'C16', md5("$id/$version");
    my $year = 2000 + $h[0] % 30;
    my $start = sprintf '%04d-%02d-%02d', $year, 1 + $h[1] % 12, 1 + $h[2] % 28;
    my %e = (
        id => $id,
        title => "$id $version",
        kind => $KINDS[$h[3] % @KINDS],
        start => $start,
        countries => [do { my %c; $c{ $COUNTRIES[$_ % @COUNTRIES] } = 1 for @h[4 .. 4 + $h[5] % 3]; sort keys %c }],
        tags => [do { my %t; $t{ $TAGS[$_ % @TAGS] } = 1 for @h[6 .. 6 + $h[7] % 2]; sort keys %t }],
    );
    $e{end} = sprintf '%04d', $year + $h[8] % 3 if $h[8] % 4 == 0;
    $e{start} = substr($start, 0, 7) if $h[9] % 5 == 0;
    my $words = ($h[10] * 256 + $h[11]) % 120;
    $e{summary} = join ' ', map { $WORDS[($h[12] + $_ * $h[13]) % @WORDS] } 1 .. $words if $words;
    return \%e;
}

# same_event($stored, $written): whether a stored event (as get returns it)
# has exactly the fields of the event written.
sub same_event {
    my ($got, $want) = @_;
    return 0 unless $got;
    for my $k (qw(id title kind start end summary)) {
        return 0 if ($got->{$k} // '') ne ($want->{$k} // '');
    }
    for my $k (qw(countries tags)) {
        return 0 if join(',', @{ $got->{$k} // [] }) ne join(',', @{ $want->{$k} // [] });
    }
    return 1;
}

# start_writers(%o): fork the writers and return an Annals::Load::Run.
#   daemon => the Annals::Test::Daemon to write to (over its Unix socket)
#   ids => [[ids of writer 0], [ids of writer 1], ...]
#   exists => {id => 1}: which of them exist now
#   tag => a string that makes this run's versions unique (e.g. the cycle)
#   dir => a directory for the books and the stop file
#   window => requests in flight per writer (default 4)
#   seed => for the choice of operations
#   max_secs => a writer stops by itself after this long (default 60)
sub start_writers {
    my (%o) = @_;
    my $d = $o{daemon} // croak 'daemon';
    my $dir = $o{dir} // croak 'dir';
    my $stop = "$dir/stop-$o{tag}";
    unlink $stop;
    my $run = bless { pids => [], books => [], stop => $stop }, 'Annals::Load::Run';
    for my $w (0 .. $#{ $o{ids} }) {
        my $book = "$dir/book-$o{tag}-$w";
        push @{ $run->{books} }, $book;
        my $pid = fork // croak "fork: $!";
        if ($pid == 0) {
            my $ok = eval {
                _writer(socket => $d->socket, ids => $o{ids}[$w], exists => $o{exists},
                        version => "$o{tag}w$w", book => $book, stop => $stop,
                        window => $o{window} // 4, seed => ($o{seed} // 1) * 1000 + $w,
                        max_secs => $o{max_secs} // 60);
                1;
            };
            print STDERR "writer $w: $@" unless $ok;
            POSIX::_exit($ok ? 0 : 1);
        }
        push @{ $run->{pids} }, $pid;
    }
    return $run;
}

sub _pick { $_[int rand @_] }

# One writer: send requests, keeping up to `window` unanswered, until the
# stop file appears (then wait for every answer) or the connection is lost
# (then the unanswered ones are in flight).
sub _writer {
    my (%a) = @_;
    srand($a{seed});
    open my $fh, '>', $a{book} or die "$a{book}: $!";
    $fh->autoflush(1);
    my $c = Annals::Test::Conn->new(path => $a{socket});
    my @ids = @{ $a{ids} };
    my %exists = map { ($_ => 1) } grep { $a{exists}{$_} } @ids;
    my (%pending, $n);
    $n = 0;
    my $deadline = time + $a{max_secs};
    my $lost = 0;
    while (1) {
        my $stopping = -e $a{stop} || time > $deadline;
        while (!$stopping && !$lost && keys %pending < $a{window}) {
            my $r = rand;
            my @live = grep { $exists{$_} } @ids;
            my @dead = grep { !$exists{$_} } @ids;
            my ($op, @items);
            if ($r < 0.25 && @live) {
                $op = 'del';
                my $id = _pick(@live);
                @items = ([$id, undef]);
                delete $exists{$id};
            } elsif ($r < 0.55) {
                $op = 'many';
                my %seen;
                my $k = 2 + int rand 9;
                $seen{ _pick(@ids) } = 1 for 1 .. $k;
                @items = map { [$_, "$a{version}n" . ($n + 1)] } sort keys %seen;
                $exists{ $_->[0] } = 1 for @items;
            } else {
                $op = 'put';
                # Half replacements, half new events (where there are both).
                my $id = (@live && (rand() < 0.5 || !@dead)) ? _pick(@live) : _pick(@dead ? @dead : @ids);
                @items = ([$id, "$a{version}n" . ($n + 1)]);
                $exists{$id} = 1;
            }
            $n++;
            my $msgid = $op eq 'del' ? $c->request('delete', { id => $items[0][0] })
                      : $op eq 'put' ? $c->request('put', { event => event_for(@{ $items[0] }) })
                      : $c->request('put_many', { events => [map { event_for(@$_) } @items] });
            $pending{$msgid} = { n => $n, op => $op, items => \@items };
            $lost = 1 if $c->{closed} || $c->{write_error};
        }
        last if !%pending || $lost;
        my $m = $c->read_msg(10);
        if (!$m) {
            $lost = 1 if $c->{closed};
            last if $lost;
            next;
        }
        next unless ref $m eq 'ARRAY' && $m->[0] == 1;
        my $rec = delete $pending{ $m->[1] } or die "a response to no request: msgid $m->[1]";
        if ($m->[2]) {
            $rec->{err} = $m->[2];
        } else {
            $rec->{seq} = $m->[3]{seq};
        }
        $rec->{ack} = 1;
        $rec->{t} = time;
        print $fh Annals::Test::to_json($rec), "\n";
    }
    for my $rec (sort { $a->{n} <=> $b->{n} } values %pending) {
        $rec->{ack} = 0;
        print $fh Annals::Test::to_json($rec), "\n";
    }
    close $fh or die "$a{book}: $!";
}

package Annals::Load::Run;

use strict;
use warnings;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

# stop: ask the writers to finish (every request answered) and wait.
sub stop {
    my ($self) = @_;
    Annals::Test::write_file($self->{stop}, '');
    return $self->wait;
}

# wait($secs): wait for the writers to exit (they do once their connection
# is lost); returns how many failed.
sub wait {
    my ($self, $secs) = @_;
    my $deadline = time + ($secs // 30) * Annals::Test::slow_factor();
    my $failed = 0;
    for my $pid (@{ $self->{pids} }) {
        while (waitpid($pid, WNOHANG) == 0) {
            if (time > $deadline) {
                kill 'KILL', $pid;
                waitpid($pid, 0);
                $failed++;
                last;
            }
            sleep 0.01;
        }
        $failed++ if $?;
    }
    $self->{pids} = [];
    return $failed;
}

# ops: every request of every writer, as {w, n, op, items => [[id, version
# or undef for a delete], ...], ack => 0|1, seq (the last item's, when
# acknowledged), err}, each writer's in the order sent. With seqs per item:
# items->[i][2].
sub ops {
    my ($self) = @_;
    my @ops;
    for my $w (0 .. $#{ $self->{books} }) {
        my $text = Annals::Test::read_file($self->{books}[$w]) // '';
        my @recs = sort { $a->{n} <=> $b->{n} } Annals::Test::json_lines($text);
        for my $r (@recs) {
            $r->{w} = $w;
            if ($r->{ack} && defined $r->{seq}) {
                my $k = @{ $r->{items} };
                $r->{items}[$_][2] = $r->{seq} - $k + 1 + $_ for 0 .. $k - 1;
            }
        }
        push @ops, @recs;
    }
    return @ops;
}

package Annals::Load;

# fetch_all($conn, \@ids): get every id, pipelined; returns {id => the
# stored event, or undef when not_found}; dies on any other error.
sub fetch_all {
    my ($c, $ids) = @_;
    my %got;
    my @todo = @$ids;
    while (my @chunk = splice @todo, 0, 200) {
        my %want = map { ($c->request('get', { id => $_ }) => $_) } @chunk;
        for (1 .. @chunk) {
            my $m = $c->read_msg(30) or croak 'fetch_all: no answer to a get';
            my $id = delete $want{ $m->[1] } // croak "fetch_all: unexpected msgid $m->[1]";
            if ($m->[2]) {
                croak "fetch_all: get $id: " . Annals::Test::to_json($m->[2]) unless $m->[2][0] eq 'not_found';
                $got{$id} = undef;
            } else {
                $got{$id} = $m->[3]{event};
            }
        }
    }
    return \%got;
}

# The filters check_queries samples: every event, each kind, country and
# tag, windows of years, and some of them combined, both modes.
sub QUERY_SAMPLE {
    my @q = ({});
    push @q, { kind => $_ } for @KINDS;
    push @q, { country => $_ } for @COUNTRIES;
    push @q, { tag => $_ } for @TAGS;
    push @q, { from => '2005', to => '2009' }, { from => '2010-06', to => '2012-03-15' },
             { from => '2020', to => '2029', mode => 'within' }, { from => '2013', to => '2013' },
             { from => '2001', to => '2018', country => 'MA', kind => 'visit' },
             { from => '2015', to => '2025', mode => 'within', tag => ['police', 'border'] },
             { country => ['FR', 'NO'], kind => ['meeting', 'agreement'] };
    return @q;
}

# A state of an id: undef (absent) or {version, seq}; seq is undef for a
# write that was in flight, whose seq nobody was told.

# state_at(\%base, \@ops, $seq): each id's state after every acknowledged
# write with a seq up to $seq, from %base (id => state); {id => state}.
sub state_at {
    my ($base, $ops, $upto) = @_;
    my %st = %$base;
    my @items = sort { $a->[2] <=> $b->[2] }
                grep { $_->[2] <= $upto } map { @{ $_->{items} } } grep { $_->{ack} && !$_->{err} } @$ops;
    for my $it (@items) {
        $st{ $it->[0] } = defined $it->[1] ? { version => $it->[1], seq => $it->[2] } : undef;
    }
    return { map { ($_ => [$st{$_}]) } keys %st };
}

# states_after_crash(\%base, \@ops): what each id may hold after a kill:
# the state its last acknowledged write left (exactly: nothing acknowledged
# may be lost), or the state left by one of the writes sent after it and
# never answered (they were in flight: applied or not, in order, whole).
# {id => [allowed states, the acknowledged one first]}.
sub states_after_crash {
    my ($base, $ops) = @_;
    my %hist;
    for my $op (sort { $a->{w} <=> $b->{w} || $a->{n} <=> $b->{n} } @$ops) {
        next if $op->{ack} && $op->{err};           # refused: changed nothing
        push @{ $hist{ $_->[0] } }, [$op->{ack}, $_] for @{ $op->{items} };
    }
    my %allowed = map { ($_ => [$base->{$_}]) } keys %$base;
    for my $id (keys %hist) {
        my @h = @{ $hist{$id} };
        my $last = -1;
        $h[$_][0] and $last = $_ for 0 .. $#h;
        my $state = sub {
            my $it = $h[$_[0]][1];
            return defined $it->[1] ? { version => $it->[1], seq => $it->[2] } : undef;
        };
        my @allowed = ($last >= 0 ? $state->($last) : $base->{$id});
        push @allowed, $state->($_) for $last + 1 .. $#h;
        $allowed{$id} = \@allowed;
    }
    return \%allowed;
}

# check_states($got, $allowed): compare the stored events (fetch_all) with
# the allowed states. Returns a hash: checked (ids), lost (ids whose
# acknowledged state is gone and no later in-flight state is there either),
# torn (stored events that are no version ever written whole), in_flight
# (ids holding a state an unanswered write left), problems (messages).
sub check_states {
    my ($got, $allowed) = @_;
    my %r = (checked => 0, lost => 0, torn => 0, in_flight => 0, problems => []);
    for my $id (sort keys %$allowed) {
        $r{checked}++;
        my $g = $got->{$id};
        my @ok = @{ $allowed->{$id} };
        my $floor = $ok[0] ? $ok[0]{seq} // 0 : 0;
        my $match;
        for my $i (0 .. $#ok) {
            my $s = $ok[$i];
            if (!$s) {
                $match = $i, last unless $g;
                next;
            }
            next unless $g && $g->{title} eq "$id $s->{version}";
            if (!same_event($g, event_for($id, $s->{version}))) {
                $r{torn}++;
                push @{ $r{problems} }, "$id: version $s->{version} is not whole: " . Annals::Test::to_json($g);
                $match = -1;
                last;
            }
            if (defined $s->{seq} ? $g->{seq} != $s->{seq} : $g->{seq} <= $floor) {
                push @{ $r{problems} }, "$id: version $s->{version} has seq $g->{seq}, expected "
                    . ($s->{seq} // "above $floor");
                $match = -1;
                last;
            }
            $match = $i;
            last;
        }
        next if defined $match && $match == -1;
        if (!defined $match) {
            $r{lost}++;
            push @{ $r{problems} }, "$id: holds " . ($g ? "'$g->{title}' seq $g->{seq}" : 'nothing')
                . ', expected ' . join(' or ', map { $_ ? "'$id $_->{version}' seq " . ($_->{seq} // '?') : 'nothing' } @ok);
            next;
        }
        $r{in_flight}++ if $match > 0;
    }
    return %r;
}

sub _lo { my ($d) = @_; return length $d == 4 ? "$d-01-01T00:00:00Z" : length $d == 7 ? "$d-01T00:00:00Z" : "${d}T00:00:00Z" }
sub _hi {
    my ($d) = @_;
    return "$d-12-31T23:59:59Z" if length $d == 4;
    if (length $d == 7) {
        my ($y, $m) = split /-/, $d;
        my $days = (31, ($y % 4 == 0 && ($y % 100 != 0 || $y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[$m - 1];
        return "$d-${days}T23:59:59Z";
    }
    return "${d}T23:59:59Z";
}

# Whether a stored event passes a query of QUERY_SAMPLE, by its stored
# bounds (PROTOCOL.md section 5) and fields.
sub _passes {
    my ($q, $e) = @_;
    my ($s0, $e1) = ($e->{bounds}{start}[0], $e->{bounds}{end}[1]);
    my $lo = defined $q->{from} ? _lo($q->{from}) : undef;
    my $hi = defined $q->{to} ? _hi($q->{to}) : undef;
    if (($q->{mode} // 'overlap') eq 'within') {
        return 0 if defined $lo && $s0 lt $lo;
        return 0 if defined $hi && $e1 gt $hi;
    } else {
        return 0 if defined $hi && $s0 gt $hi;
        return 0 if defined $lo && $e1 lt $lo;
    }
    my $any = sub {
        my ($want, $have) = @_;
        return 1 unless defined $want;
        my %h = map { ($_ => 1) } ref $have ? @$have : ($have // 'other');
        return scalar grep { $h{$_} } ref $want ? @$want : ($want);
    };
    return $any->($q->{kind}, $e->{kind} // 'other') && $any->($q->{country}, $e->{countries} // [])
        && $any->($q->{tag}, $e->{tags} // []);
}

# check_queries($conn, \%got): for each query of QUERY_SAMPLE, count and
# every page of range against the events of %got (id => event or undef)
# that pass it. Returns the mismatches, as strings; (number checked) first.
sub check_queries {
    my ($c, $got) = @_;
    my @bad;
    my @q = QUERY_SAMPLE();
    for my $q (@q) {
        my %want = map { ($_ => 1) } grep { $got->{$_} && _passes($q, $got->{$_}) } keys %$got;
        my $label = Annals::Test::to_json($q);
        my ($e, $r) = $c->call('count', $q, 60);
        if ($e) { push @bad, "count $label: " . Annals::Test::to_json($e); next }
        push @bad, "count $label: $r->{count}, brute force " . scalar(keys %want)
            if $r->{count} != keys %want;
        my (%seen, $cursor, $pages);
        while (1) {
            ($e, $r) = $c->call('range', { %$q, limit => 5000, defined $cursor ? (cursor => $cursor) : () }, 60);
            if ($e) { push @bad, "range $label: " . Annals::Test::to_json($e); last }
            for my $ev (@{ $r->{events} }) {
                push @bad, "range $label: $ev->{id} twice" if $seen{ $ev->{id} }++;
                my $g = $got->{ $ev->{id} };
                push @bad, "range $label: $ev->{id} seq $ev->{seq}, get says "
                    . ($g ? "seq $g->{seq}" : 'not found') if !$g || $g->{seq} != $ev->{seq};
            }
            last unless defined $r->{next};
            $cursor = $r->{next};
            last if ++$pages > 1000;
        }
        my @missing = grep { !$seen{$_} } sort keys %want;
        my @extra = grep { !$want{$_} } sort keys %seen;
        push @bad, "range $label: misses @missing[0 .. ($#missing > 4 ? 4 : $#missing)] ("
            . scalar(@missing) . ')' if @missing;
        push @bad, "range $label: has extra @extra[0 .. ($#extra > 4 ? 4 : $#extra)] ("
            . scalar(@extra) . ')' if @extra;
    }
    return (scalar @q, @bad);
}

# read_changes($conn, $since): every change-log entry after $since, in
# order; dies on an error.
sub read_changes {
    my ($c, $since) = @_;
    my @all;
    while (1) {
        my ($e, $r) = $c->call('changes', { since => 0 + $since, limit => 1000 }, 60);
        croak 'changes: ' . Annals::Test::to_json($e) if $e;
        last unless @{ $r->{changes} };
        push @all, @{ $r->{changes} };
        $since = $r->{next};
    }
    return \@all;
}

# check_change_log(\@entries, \%got, $first, $last): change-log entries
# (read_changes) against the events: their seqs run from $first to $last
# with no gap, and the latest entry of each id agrees with what get gives
# (a put: that version, with its seq; a delete: not found). Returns the
# mismatches.
sub check_change_log {
    my ($entries, $got, $first, $last) = @_;
    my (@bad, %latest);
    my $want = $first;
    for my $x (@$entries) {
        push @bad, "change log: seq $x->{seq} where $want was due" if $x->{seq} != $want;
        $want = $x->{seq} + 1;
        $latest{ $x->{id} } = $x;
    }
    push @bad, 'change log ends at ' . ($want - 1) . ", the seq is $last" if $want - 1 != $last;
    for my $id (sort keys %latest) {
        my $x = $latest{$id};
        next unless exists $got->{$id};     # not one of the ids checked
        my $g = $got->{$id};
        if ($x->{op} eq 'delete') {
            push @bad, "change log: $id deleted at $x->{seq}, get finds seq $g->{seq}" if $g;
        } elsif (!$g) {
            push @bad, "change log: $id put at $x->{seq}, get finds nothing";
        } elsif ($g->{seq} != $x->{seq} || !same_event($g, $x->{event})) {
            push @bad, "change log: $id put at $x->{seq}, get finds seq $g->{seq}";
        }
    }
    return @bad;
}

# check_applied(\@entries, \@ops): the change-log entries (read_changes)
# are exactly the writes of @ops that were applied, each request whole (a
# put_many's events at consecutive seqs in array order, or none of them),
# each writer's in the order sent and as a prefix of what it sent (after a
# request that was not applied, none of that writer's later ones was), every
# acknowledged one at the seqs it was acknowledged with. Returns (requests
# applied that were in flight, mismatches...).
sub check_applied {
    my ($entries, $ops) = @_;
    my (@bad, %by_version, %deletes, %used);
    for my $x (@$entries) {
        if ($x->{op} eq 'delete') {
            push @{ $deletes{ $x->{id} } }, $x;
        } else {
            my $v = substr($x->{event}{title} // '', length($x->{id}) + 1);
            push @{ $by_version{$v} }, $x;
        }
    }
    my %writer;
    push @{ $writer{ $_->{w} } }, $_ for grep { !($_->{ack} && $_->{err}) } @$ops;
    my $in_flight = 0;
    for my $w (sort keys %writer) {
        my ($last, $gap) = (0, undef);
        for my $op (sort { $a->{n} <=> $b->{n} } @{ $writer{$w} }) {
            my $what = "writer $w request $op->{n} ($op->{op}" . ($op->{ack} ? ', acknowledged)' : ', in flight)');
            my @got;
            if ($op->{op} eq 'del') {
                my ($x) = grep { $_->{seq} > $last } @{ $deletes{ $op->{items}[0][0] } // [] };
                @got = ($x) if $x;
            } else {
                @got = @{ $by_version{ $op->{items}[0][1] } // [] };
            }
            if (!@got) {
                push @bad, "$what: not in the change log" if $op->{ack};
                $gap //= $op->{n};
                next;
            }
            push @bad, "$what: applied after request $gap of the same writer was not" if defined $gap;
            $in_flight++ unless $op->{ack};
            my @items = @{ $op->{items} };
            if (@got != @items) {
                push @bad, "$what: " . scalar(@got) . ' of its ' . scalar(@items) . ' events in the change log';
                next;
            }
            for my $i (0 .. $#items) {
                my $x = $got[$i];
                $used{ $x->{seq} } = 1;
                push @bad, "$what: item $i is $x->{id} at seq $x->{seq}" if $x->{id} ne $items[$i][0]
                    || $x->{seq} != $got[0]{seq} + $i || $x->{seq} <= $last
                    || ($op->{ack} && $x->{seq} != $items[$i][2]);
            }
            $last = $got[-1]{seq};
        }
    }
    my @stray = grep { !$used{ $_->{seq} } } @$entries;
    push @bad, 'the change log holds writes nobody sent: ' . join(' ', map { "$_->{seq}:$_->{op}:$_->{id}" } @stray[0 .. ($#stray > 4 ? 4 : $#stray)])
        if @stray;
    return ($in_flight, @bad);
}

1;
