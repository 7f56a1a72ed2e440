#!/usr/bin/perl
# The client side of hist, top, search and the new filter options, against a
# fake server that records every request and answers as PROTOCOL.md section 6
# says: each command sends exactly the parameters the protocol names (filters
# as a string, or an array when repeated; names with commas and spaces kept
# whole), prints JSON lines of the documented shape when piped, draws its
# chart or table on a terminal (through script(1), when there is one), pages
# search like range, and treats a reply of the wrong shape as a protocol error
# (exit 3).
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use File::Temp ();
use IO::Socket::UNIX ();
use Socket qw(SOCK_STREAM);
use Test::More;
use Annals::Test;
use Annals::MsgPack;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $dir = File::Temp->newdir('annals-fq-XXXXXX', DIR => '/tmp');
my $path = "$dir/fake.sock";
my $log = "$dir/requests.jsonl";

# fake($answer, @args): run `annals @args` against a server that serves one
# connection, logs each request's [method, params] as a JSON line and
# answers with $answer->($method, $params): [$error, $result]; a last
# argument { tty => COLUMNS } runs the client on a terminal COLUMNS wide,
# { close_after => N } closes the connection after N answers. Returns the
# client's result and the list of [method, params] it sent.
sub fake {
    my ($answer, @args) = @_;
    my %o = ref $args[-1] eq 'HASH' ? %{ pop @args } : ();
    unlink $path, $log;
    my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 5) or die "listen: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        local $SIG{ALRM} = sub { POSIX::_exit(0) };
        alarm 20;
        my $c = $l->accept or POSIX::_exit(1);
        my $dec = Annals::MsgPack::Decoder->new;
        open my $lf, '>>:raw', $log or POSIX::_exit(1);
        $lf->autoflush(1);
        while (1) {
            my $n = sysread($c, my $buf, 65536);
            last unless $n;
            $dec->feed($buf);
            while (1) {
                my ($ok, $m) = $dec->next;
                last unless $ok;
                my ($method, $params) = ($m->[2], $m->[3][0] // {});
                print $lf to_json([$method, $params]), "\n";
                my ($err, $res) = @{ $answer->($method, $params) };
                syswrite($c, Annals::MsgPack::encode([1, $m->[1], $err, $res]));
                POSIX::_exit(0) if $o{close_after} && !--$o{close_after};
            }
        }
        POSIX::_exit(0);
    }
    close $l;
    my $r = $o{tty} ? run_cmd(['script', '-qec', join(' ', map { "'$_'" }
                                   annals_bin(), '--socket', $path, '--timeout', '2', @args),
                               '/dev/null'], env => { COLUMNS => $o{tty} }, timeout => 15)
          : run_cmd([annals_bin(), '--socket', $path, '--timeout', '2', @args], timeout => 15);
    kill 'KILL', $pid;
    waitpid $pid, 0;
    my @req = json_lines(read_file($log) // '');
    return ($r, @req);
}

sub ok_result { my ($res) = @_; return sub { [undef, $res] } }

# --- hist -----------------------------------------------------------------------
# (Answers are built afresh for each server: a number that has been printed
# as a string would be sent as a MessagePack string.)
sub hist_answer { ok_result({ buckets => [['2024-01', 3], ['2024-02', 0], ['2024-03', 12], ['2024-04', 1]],
                              total => 16 }) }
my ($r, @req) = fake(hist_answer(), 'hist', '2024-01', '2024-04', '--by', 'month');
is($r->exit, 0, 'hist exits 0') or diag($r->describe);
is_deeply(\@req, [['histogram', { from => '2024-01', to => '2024-04', bucket => 'month' }]],
          'hist sends histogram with from, to and bucket');
is($r->out, qq({"start":"2024-01","count":3}\n{"start":"2024-02","count":0}\n)
          . qq({"start":"2024-03","count":12}\n{"start":"2024-04","count":1}\n),
   'piped, hist prints one {"start","count"} line per bucket, zeros included, in order');

($r, @req) = fake(hist_answer(), 'hist', '2024-01', '2024-04', '--by', 'week', '--spread',
                  '--mode', 'within', '--kind', 'visit', '--kind', 'meeting', '--country', 'MA',
                  '--tag', 'interpol', '--participant', 'Hammouchi, Abdellatif',
                  '--participant', 'عبد اللطيف حموشي', '--place', 'Rabat-Salé, Morocco',
                  '--parent', 'ga-93', '--q', '"general assembly" مراكش');
is($r->exit, 0, 'hist with every filter exits 0') or diag($r->describe);
is_deeply($req[0][1], {
    from => '2024-01', to => '2024-04', bucket => 'week', spread => JSON::PP::true(), mode => 'within',
    kind => ['visit', 'meeting'], country => 'MA', tag => 'interpol',
    participant => ['Hammouchi, Abdellatif', 'عبد اللطيف حموشي'], place => 'Rabat-Salé, Morocco',
    parent => 'ga-93', q => '"general assembly" مراكش',
}, 'hist --spread and the filters: spread true, repeated options as arrays, a single one as a '
   . 'string, commas and spaces in names and places kept whole');

($r) = fake(hist_answer(), 'hist', '2024-01', '2024-04', '--by', 'month', { tty => 40 });
SKIP: {
    skip 'no script(1) to give the client a terminal', 6 unless defined $r->exit && $r->exit == 0
        && $r->out =~ /total/;
    my @lines = split /\r?\n/, Encode::decode('UTF-8', $r->out);
    my $full = "\x{2588}";
    # Labels 7 wide, counts 2, so 12 columns before the bars and 28 for them.
    is($lines[0], "2024-01   3 " . ($full x 7), 'on a terminal: label, count, and a bar of 3/12 of 28 columns');
    is($lines[1], "2024-02   0", 'a zero bucket has no bar and no trailing blank');
    is($lines[2], "2024-03  12 " . ($full x 28), 'the largest bucket fills the 40 columns');
    is($lines[3], "2024-04   1 " . ($full x 2) . "\x{258D}", "1/12 of 28 columns, 18.7 eighths: two blocks and 3/8");
    is($lines[4], 'total    16', 'a total line');
    is(scalar @lines, 5, 'and nothing else');
}

($r) = fake(ok_result({ buckets => [['2024', 'x']], total => 1 }), 'hist', '2024', '2024', '--by', 'year');
is($r->exit, 3, 'a histogram reply of the wrong shape is a protocol error: exit 3') or diag($r->describe);
($r) = fake(ok_result({ buckets => [['2024', 1]] }), 'hist', '2024', '2024', '--by', 'year');
is($r->exit, 3, 'a histogram reply without total: exit 3') or diag($r->describe);
($r) = fake(sub { [['bad_request', 'more than 10000 buckets'], undef] }, 'hist', '1000', '9000', '--by', 'day');
is($r->exit, 4, 'a server error: exit 4') or diag($r->describe);
like($r->err, qr/bad_request: more than 10000 buckets/, '... with its message');

# --- top ------------------------------------------------------------------------
sub top_answer { ok_result({ top => [['عبد اللطيف حموشي', 12], ['Valdecy Urquiza', 3], ['日本', 1]], total => 14 }) }
($r, @req) = fake(top_answer(), 'top', '2024', '2025', '--field', 'participant', '--limit', '3',
                  '--country', 'MA');
is($r->exit, 0, 'top exits 0') or diag($r->describe);
is_deeply(\@req, [['top', { from => '2024', to => '2025', field => 'participant', limit => 3, country => 'MA' }]],
          'top sends field, limit (an integer) and the filters');
is_deeply([$r->json_lines], [{ value => 'عبد اللطيف حموشي', count => 12 }, { value => 'Valdecy Urquiza', count => 3 },
                             { value => '日本', count => 1 }],
          'piped, top prints one {"value","count"} line per value, in order');
($r, @req) = fake(ok_result({ top => [], total => 0 }), 'top', '--field', 'kind');
is_deeply(\@req, [['top', { field => 'kind' }]], 'top without a window or --limit sends only the field');
is($r->out, '', 'no values: no lines');

($r) = fake(top_answer(), 'top', '--field', 'participant', { tty => 60 });
SKIP: {
    skip 'no script(1) to give the client a terminal', 5 unless defined $r->exit && $r->exit == 0
        && $r->out =~ /RANK/;
    my @lines = split /\r?\n/, Encode::decode('UTF-8', $r->out);
    is($lines[0], 'RANK  VALUE             COUNT', 'on a terminal: a header');
    # The Arabic name is 16 columns, the CJK one 4: the counts line up by
    # display width, not by bytes or characters.
    is($lines[1], '   1  عبد اللطيف حموشي     12', 'the Arabic name padded by its display width');
    is($lines[2], '   2  Valdecy Urquiza       3', 'ranks and counts aligned on the right');
    is($lines[3], '   3  日本                  1', 'CJK takes two columns per character');
    is($lines[4], '14 matching events', 'then the number of matching events');
}
($r) = fake(ok_result({ top => [[1, 2]], total => 2 }), 'top', '--field', 'kind');
is($r->exit, 3, 'a top reply of the wrong shape: exit 3') or diag($r->describe);

# --- search ---------------------------------------------------------------------
my @evs = map { { id => "e$_", title => "event $_", start => "2024-0$_", certainty => 'certain' } } 1 .. 5;
my $paged = sub {
    my ($m, $p) = @_;
    my $from = $p->{cursor} // 0;
    my @page = @evs[$from .. ($from + $p->{limit} - 1 > $#evs ? $#evs : $from + $p->{limit} - 1)];
    my $next = $from + @page <= $#evs ? $from + @page : undef;
    [undef, { events => \@page, next => defined $next ? "$next" : undef }];
};
($r, @req) = fake($paged, 'search', 'الإنتربول مراكش', '2024', '2025', '--place', 'Marrakech', '--order', 'desc');
is($r->exit, 0, 'search exits 0') or diag($r->describe);
is($req[0][0], 'range', 'search calls range');
is_deeply({ %{ $req[0][1] }, limit => 'x' },
          { q => 'الإنتربول مراكش', from => '2024', to => '2025', place => 'Marrakech', order => 'desc', limit => 'x' },
          '... with q the text, the window after it, the filters and --order');
is_deeply([map { $_->{id} } $r->json_lines], [map { $_->{id} } @evs], 'search prints every event, one JSON line each');
($r, @req) = fake(sub { my @a = @_; $a[1]{limit} = 2; $paged->(@a) }, 'search', 'x', '--limit', '3');
is_deeply([map { $_->{id} } $r->json_lines], ['e1', 'e2', 'e3'], 'search --limit 3 stops after 3 events');
is(scalar @req, 2, '... paging with the cursor as range does');
is($req[1][1]{cursor}, '2', '... passing next as cursor');
is_deeply([sort keys %{ $req[0][1] }], ['limit', 'q'], 'search TEXT alone sends no window');

# --- range, count and watch take the new filters --------------------------------
($r, @req) = fake(ok_result({ events => [], next => undef }), 'range', '--participant', 'Hammouchi',
                  '--place', 'MA', '--place', 'Rabat, Salé', '--parent', 'p1', '--parent', 'p2', '--q', 'interpol');
is_deeply($req[0][1], { participant => 'Hammouchi', place => ['MA', 'Rabat, Salé'], parent => ['p1', 'p2'],
                        q => 'interpol', limit => 1000 },
          'range sends --participant, --place, --parent and --q');
($r, @req) = fake(ok_result({ count => 2 }), 'count', '2024', '--participant', 'a, b', '--q', 'x y');
is_deeply($req[0][1], { from => '2024', participant => 'a, b', q => 'x y' }, 'count sends them too');
is_deeply($r->json, { count => 2 }, '... and prints the count');
($r, @req) = fake(sub { $_[0] eq 'subscribe' ? [undef, { sub => 1, seq => 0 }] : [undef, {}] },
                  'watch', '--participant', 'Hammouchi', '--parent', 'p1', '--q', 'interpol', { close_after => 1 });
is($req[0][0], 'subscribe', 'watch subscribes');
is_deeply($req[0][1], { participant => 'Hammouchi', parent => 'p1', q => 'interpol' },
          '... with the new filters');

done_testing();
