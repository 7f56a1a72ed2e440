# Annals::Test: the harness of the integration tests. Each test file starts
# its own annalsd on a private data directory and Unix socket (and a TCP port
# the kernel picks), talks to it through the real `annals` client or raw
# msgpack-RPC, and stops it; a watchdog ends a hung test.
#
#   use Annals::Test;                  # exports the functions below; arms the watchdog
#   my $d = start_daemon(%opts);       # args => [...], config => "key = value\n...",
#                                      # listen => '127.0.0.1:0', log_level => 'debug'
#   my $r = client('put', $json);      # or $d->client(...); $r->exit, ->out, ->err, ->json
#   my ($err, $res) = rpc('get', { id => $id });
#   my $s = stats();                   # the stats reply (dies if the call fails)
#   my $c = raw_connect();             # ->send_bytes, ->send_msg, ->read_msg($t), ->is_closed($t)
#                                      # ->call($m, $p), ->call_amid($m, $p, \@notes), ->read_available
#   is(stop_daemon(), 0, 'clean exit'); restart(); kill_daemon();
#
# Under `make test VALGRIND=1` the Makefile sets ANNALS_VALGRIND to the
# valgrind command line (memcheck, our suppressions): every annalsd is then
# started under it with its log in its directory (VALGRIND=all: the annals
# client too), every wait scales by 20, and each valgrind log is checked when
# its program exits: an error or a definitely or indirectly lost block is a
# failed test, with the log's excerpt. valgrind_skip($why) skips a test that
# cannot run there (a benchmark, a timing bound).
#
# Set ANNALS_KEEP=1 to keep the daemons' directories (data, socket, annalsd.log)
# for a look after the run; ANNALS_TEST_TIMEOUT overrides the 60 s watchdog.
#
# The binaries are taken from $ANNALS_BUILD (what `make test` sets, also for
# the sanitizer build), falling back to $ANNALS_TOP/build.
package Annals::Test;

use strict;
use warnings;
use Carp qw(croak confess);
use Cwd qw(abs_path);
use Encode ();
use Errno qw(EAGAIN EINTR EWOULDBLOCK ECONNRESET EPIPE);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Temp ();
use IO::Handle ();
use IO::Select ();
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use JSON::PP ();
use POSIX qw(:sys_wait_h);
use Socket qw(SOCK_STREAM);
use Test::More ();
use Time::HiRes qw(sleep time);

use Annals::MsgPack;

our @EXPORT = qw(
    start_daemon stop_daemon kill_daemon restart daemon
    client spawn_client rpc raw_connect run_cmd stats
    annalsd_bin annals_bin build_dir top_dir slow_factor valgrind_skip heap_limit
    to_json from_json json_lines write_file read_file wait_until
);

$SIG{PIPE} = 'IGNORE';

our $TOP = $ENV{ANNALS_TOP} // abs_path(dirname(__FILE__) . '/../../..');
our $BUILD = $ENV{ANNALS_BUILD} // "$TOP/build";

# Sanitized binaries run several times slower, and under valgrind 20 to 50
# times; every wait scales with this.
sub slow_factor {
    return 20 if valgrind();
    return ($BUILD =~ /sanitize/ || ($ENV{ASAN_OPTIONS} // '') ne '') ? 4 : 1;
}

# heap_limit($bytes): a bound on a daemon's heap growth (RssAnon) as the
# test states it for the plain build; twice that under a sanitizer, and
# under valgrind twice that plus 32 MiB, since memcheck keeps shadow memory
# beside every block and holds 20 MiB of freed blocks back from reuse
# (--freelist-vol). Still far below the unbounded growth such tests catch.
sub heap_limit {
    my ($bytes) = @_;
    return 2 * $bytes + 32 * 1024 * 1024 if valgrind();
    return $BUILD =~ /sanitize/ ? 2 * $bytes : $bytes;
}

# ---- valgrind -------------------------------------------------------------------

# valgrind: the valgrind command line (words) when the tests run under it.
sub valgrind { my $v = $ENV{ANNALS_VALGRIND} // ''; return $v =~ /\S/ ? split(' ', $v) : () }
sub valgrind_client { valgrind() && ($ENV{ANNALS_VALGRIND_CLIENT} // '') ne '' }

# valgrind_skip($why): skip the whole test file under valgrind, saying why.
sub valgrind_skip {
    my ($why) = @_;
    Test::More::plan(skip_all => "under valgrind: $why") if valgrind();
}

# _valgrind_wrap(\@argv, $logdir): the command line that runs @argv under
# valgrind with its log in $logdir (one file per process), when @argv runs
# annalsd (or, with VALGRIND=all, annals); else @argv as it is.
sub _valgrind_wrap {
    my ($argv, $logdir) = @_;
    return @$argv unless valgrind();
    my $prog = $argv->[0];
    return @$argv unless $prog eq annalsd_bin() || ($prog eq annals_bin() && valgrind_client());
    my $name = $prog eq annalsd_bin() ? 'annalsd' : 'annals';
    return (valgrind(), "--log-file=$logdir/valgrind-$name-%p.log", @$argv);
}

my @VG_CHECKED;     # the valgrind logs already judged
my $VG_FAILED = 0;

# valgrind_check($logdir, $pid): judge the valgrind log of the process $pid
# (which has exited) in $logdir: a failed test with the excerpt when it
# reports an error or a definitely or indirectly lost block, a passed one
# otherwise. Once the plan is set it only says so, and the file exits 99.
sub valgrind_check {
    my ($logdir, $pid) = @_;
    return unless valgrind() && defined $pid;
    my @logs = glob("$logdir/valgrind-*-$pid.log");
    return unless @logs;
    for my $log (@logs) {
        next if grep { $_ eq $log } @VG_CHECKED;
        push @VG_CHECKED, $log;
        my $text = read_file($log) // '';
        my @bad;
        push @bad, "$1 errors" if $text =~ /ERROR SUMMARY: (\d+) errors/ && $1 > 0;
        push @bad, "definitely lost $1 bytes" if $text =~ /definitely lost: ([\d,]+) bytes/ && $1 ne '0';
        push @bad, "indirectly lost $1 bytes" if $text =~ /indirectly lost: ([\d,]+) bytes/ && $1 ne '0';
        # A process killed with SIGKILL leaves a log without a summary: nothing to judge.
        next unless $text =~ /ERROR SUMMARY/;
        my ($name) = $log =~ /valgrind-(\w+)-\d+\.log$/;
        my $what = "valgrind: $name (pid $pid) ends with no error and no leak";
        my $tb = Test::More->builder;
        if (@bad) {
            $VG_FAILED = 1;
            my $excerpt = substr($text, 0, 6000);
            # Once a plan is set (done_testing, skip_all) a new test would break it.
            if (defined $tb->has_plan) {
                Test::More::diag("$what: NO (" . join(', ', @bad) . ")\n$excerpt");
            } else {
                Test::More::ok(0, $what) or Test::More::diag(join(', ', @bad) . "\n$excerpt");
            }
        } elsif (!defined $tb->has_plan) {
            Test::More::pass($what);
        }
    }
}

sub build_dir   { $BUILD }
sub top_dir     { $TOP }
sub annalsd_bin { "$BUILD/annalsd" }
sub annals_bin  { "$BUILD/annals" }

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
# to_json: compact UTF-8 bytes, keys sorted. from_json: bytes to data.
sub to_json   { $JSON->encode($_[0]) }
sub from_json { $JSON->decode($_[0]) }
# json_lines: decode every non-empty line of bytes.
sub json_lines { map { $JSON->decode($_) } grep { /\S/ } split /\n/, $_[0] }

sub write_file {
    my ($path, $bytes) = @_;
    open my $fh, '>:raw', $path or croak "cannot write $path: $!";
    print $fh $bytes;
    close $fh or croak "cannot write $path: $!";
    return $path;
}
sub read_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $s = <$fh>;
    return $s // '';
}

# wait_until(sub { ... }, $seconds): poll until the sub returns true;
# returns its last value.
sub wait_until {
    my ($cond, $secs) = @_;
    my $deadline = time + ($secs // 10) * slow_factor();
    my $delay = 0.002;
    while (1) {
        my $v = $cond->();
        return $v if $v || time > $deadline;
        sleep $delay;
        $delay *= 2 if $delay < 0.05;
    }
}

# ---- Watchdog and clean-up ---------------------------------------------------

our @DAEMONS;       # every daemon started by this test file
our $CURRENT;       # the one the exported functions talk to
my $WATCHDOG = ($ENV{ANNALS_TEST_TIMEOUT} // 60) * slow_factor();

sub _cleanup {
    for my $d (@DAEMONS) {
        next unless $d->{pid};
        kill 'TERM', $d->{pid};
        my $deadline = time + 5 * slow_factor();
        while (time < $deadline && waitpid($d->{pid}, WNOHANG) == 0) { sleep 0.01 }
        if (waitpid($d->{pid}, WNOHANG) == 0) {
            kill 'KILL', $d->{pid};
            waitpid($d->{pid}, 0);
        }
        valgrind_check($d->{dir}, $d->{pid});
        $d->{pid} = undef;
    }
}

$SIG{ALRM} = sub {
    Test::More::diag("watchdog: the test did not finish within ${WATCHDOG}s");
    for my $d (@DAEMONS) { Test::More::diag($d->log_tail(40)) if $d->{log} }
    _cleanup();
    $? = 255;
    exit 255;
};
alarm $WATCHDOG;

my $PARENT = $$;
END {
    if ($$ == $PARENT) {
        my $status = $?;
        my $tb = Test::More->builder;
        if (!$tb->is_passing) {
            for my $d (@DAEMONS) {
                next unless $d->{log} && -e $d->{log};
                Test::More::diag("annalsd log ($d->{log}):\n" . $d->log_tail(40));
            }
        }
        _cleanup();
        $status = 99 if $VG_FAILED && !$status;
        $? = $status;
    }
}

# ---- Running programs ---------------------------------------------------------

# spawn_cmd([$prog, @args], stdin => $chars, stdin_raw => $bytes, env => {...},
#           dir => $cwd): start a program with stdin from a file and stdout,
# stderr captured in files; returns an Annals::Test::Proc (->wait).
sub spawn_cmd {
    my ($argv, %o) = @_;
    my $tmp = File::Temp->newdir('annals-run-XXXXXX', DIR => '/tmp', CLEANUP => 1);
    my ($in, $out, $err) = ("$tmp/in", "$tmp/out", "$tmp/err");
    my $stdin = defined $o{stdin_raw} ? $o{stdin_raw}
              : defined $o{stdin} ? Encode::encode('UTF-8', $o{stdin}) : '';
    write_file($in, $stdin);
    my @argv = map { utf8::is_utf8($_) ? Encode::encode('UTF-8', $_) : $_ } @$argv;
    my @run = _valgrind_wrap(\@argv, "$tmp");
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        delete @ENV{qw(ANNALS_SOCKET ANNALS_HOST ANNALS_PORT ANNALS_TOKEN)};
        if ($o{env}) {
            for my $k (keys %{ $o{env} }) {
                if (defined $o{env}{$k}) { $ENV{$k} = $o{env}{$k} } else { delete $ENV{$k} }
            }
        }
        open STDIN, '<', $in or POSIX::_exit(126);
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>', $err or POSIX::_exit(126);
        chdir $o{dir} or POSIX::_exit(126) if $o{dir};
        { no warnings q(exec); exec { $run[0] } @run; }
        print STDERR "exec $run[0]: $!\n";
        POSIX::_exit(127);
    }
    return bless { pid => $pid, tmp => $tmp, out => $out, err => $err, argv => \@argv,
                   timeout => ($o{timeout} // 30) * slow_factor(), start => time },
        'Annals::Test::Proc';
}

# run_cmd([$prog, @args], %opts): spawn_cmd and wait; an Annals::Test::Result.
sub run_cmd { spawn_cmd(@_)->wait }

# ---- Daemons -------------------------------------------------------------------

# start_daemon(%opts) starts annalsd on a new private directory:
#   args => [...]       extra arguments
#   config => $text     written to a config file passed with --config
#   listen => $addr     default 127.0.0.1:0 ('off' to disable TCP)
#   log_level => $lvl   default debug
#   wait => 0           do not wait for "ready" (then ->wait_ready or ->wait_exit)
# It returns the Annals::Test::Daemon and makes it the current one.
sub start_daemon {
    my (%o) = @_;
    my $dir = File::Temp->newdir('annals-XXXXXX', DIR => '/tmp',
                                 CLEANUP => !$ENV{ANNALS_KEEP});
    my $d = bless {
        tmp       => $dir,
        dir       => "$dir",
        data      => "$dir/data",
        sock      => "$dir/s.sock",
        log       => "$dir/annalsd.log",
        listen    => $o{listen} // '127.0.0.1:0',
        log_level => $o{log_level} // 'debug',
        args      => $o{args} // [],
        config    => $o{config},
    }, 'Annals::Test::Daemon';
    croak "socket path too long: $d->{sock}" if length $d->{sock} > 100;
    push @DAEMONS, $d;
    $CURRENT = $d;
    $d->start(wait => $o{wait} // 1);
    return $d;
}

sub daemon { $CURRENT // croak 'no daemon started' }
sub stop_daemon { daemon()->stop(@_) }
sub kill_daemon { daemon()->kill(@_) }
sub restart     { daemon()->restart(@_) }
sub client      { daemon()->client(@_) }
sub spawn_client { daemon()->spawn_client(@_) }
sub rpc         { daemon()->rpc(@_) }
sub raw_connect { daemon()->raw_connect(@_) }
sub stats {
    my ($e, $r) = rpc('stats');
    croak 'stats failed: ' . to_json($e) if $e;
    return $r;
}

package Annals::Test::Daemon;

use strict;
use warnings;
use Carp qw(croak);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub port   { $_[0]{port} }
sub socket { $_[0]{sock} }
sub data   { $_[0]{data} }
sub dir    { $_[0]{dir} }
sub pid    { $_[0]{pid} }
sub logfile { $_[0]{log} }

# The daemon's log since it was last started.
sub log_text {
    my ($self) = @_;
    my $all = Annals::Test::read_file($self->{log}) // '';
    return substr($all, $self->{log_offset} // 0);
}
sub log_tail {
    my ($self, $n) = @_;
    my @lines = split /\n/, Annals::Test::read_file($self->{log}) // '';
    splice @lines, 0, @lines - $n if @lines > $n;
    return join "\n", @lines;
}

sub command {
    my ($self) = @_;
    my @cmd = (Annals::Test::annalsd_bin(), '--data', $self->{data}, '--socket', $self->{sock},
               '--listen', $self->{listen}, '--log-level', $self->{log_level});
    if (defined $self->{config}) {
        my $conf = "$self->{dir}/annalsd.conf";
        Annals::Test::write_file($conf, $self->{config});
        push @cmd, '--config', $conf;
    }
    return Annals::Test::_valgrind_wrap([@cmd, @{ $self->{args} }], $self->{dir});
}

sub start {
    my ($self, %o) = @_;
    croak 'daemon already running' if $self->{pid};
    croak "no annalsd at " . Annals::Test::annalsd_bin() unless -x Annals::Test::annalsd_bin();
    my @cmd = $self->command;
    $self->{log_offset} = -s $self->{log} // 0;
    $self->{port} = undef;
    $self->{exit} = undef;
    delete $self->{rpc_conn};
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $self->{log} or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        chdir $self->{dir};
        { no warnings q(exec); exec { $cmd[0] } @cmd; }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    $self->wait_ready if $o{wait} // 1;
    return $self;
}

# wait_ready: until the log says "ready" (within 10 s, scaled), taking the
# TCP port from "listening on tcp ADDR:PORT"; dies with the log when the
# daemon exits or does not get ready.
sub wait_ready {
    my ($self, $secs) = @_;
    my $deadline = time + ($secs // 10) * Annals::Test::slow_factor();
    while (1) {
        my $log = $self->log_text;
        if ($log =~ /^\S+ INFO ready$/m) {
            if ($self->{listen} ne 'off') {
                $log =~ /^\S+ INFO listening on tcp \S+:(\d+)$/m
                    or croak "annalsd is ready but logged no TCP port:\n$log";
                $self->{port} = $1;
            }
            return $self;
        }
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            $self->{exit} = _status($?);
            Annals::Test::valgrind_check($self->{dir}, $self->{pid});
            $self->{pid} = undef;
            croak "annalsd exited ($self->{exit}) before it was ready:\n$log";
        }
        if (time > $deadline) {
            croak "annalsd was not ready within the time limit:\n$log";
        }
        sleep 0.01;
    }
}

sub _status {
    my ($st) = @_;
    return WIFSIGNALED($st) ? -WTERMSIG($st) : WEXITSTATUS($st);
}

# wait_exit($secs): wait for the daemon to exit by itself; its exit status
# (negative: the signal that killed it), or undef when it is still running.
sub wait_exit {
    my ($self, $secs) = @_;
    return $self->{exit} unless $self->{pid};
    my $deadline = time + ($secs // 10) * Annals::Test::slow_factor();
    while (time < $deadline) {
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            $self->{exit} = _status($?);
            Annals::Test::valgrind_check($self->{dir}, $self->{pid});
            $self->{pid} = undef;
            return $self->{exit};
        }
        sleep 0.01;
    }
    return undef;
}

sub running { $_[0]{pid} && waitpid($_[0]{pid}, WNOHANG) == 0 }

# stop: SIGTERM and wait (15 s, scaled); returns the exit status, or dies
# (after SIGKILL) when the daemon does not stop.
sub stop {
    my ($self, $secs) = @_;
    croak 'daemon not running' unless $self->{pid};
    delete $self->{rpc_conn};
    CORE::kill('TERM', $self->{pid});
    my $st = $self->wait_exit($secs // 15);
    return $st if defined $st;
    CORE::kill('KILL', $self->{pid});
    waitpid($self->{pid}, 0);
    $self->{pid} = undef;
    croak 'annalsd did not stop after SIGTERM';
}

# kill: SIGKILL, as a crash or power loss would; returns the (negative) status.
sub kill {
    my ($self) = @_;
    croak 'daemon not running' unless $self->{pid};
    delete $self->{rpc_conn};
    CORE::kill('KILL', $self->{pid});
    waitpid($self->{pid}, 0);
    $self->{exit} = _status($?);
    $self->{pid} = undef;
    return $self->{exit};
}

# restart(kill => 1): stop (or kill) and start on the same data dir, socket
# and arguments; returns the status of the stop.
sub restart {
    my ($self, %o) = @_;
    my $st;
    if ($self->{pid}) {
        $st = $o{kill} ? $self->kill : $self->stop;
    }
    $self->start;
    $Annals::Test::CURRENT = $self;
    return $st;
}

# client(@args, \%opts): run `annals --socket SOCK @args` (or over TCP with
# tcp => 1; with socket => undef and tcp => 0 nothing is added). Options:
# stdin, stdin_raw, env, timeout. Returns an Annals::Test::Result.
sub spawn_client {
    my ($self, @args) = @_;
    my %o = ref $args[-1] eq 'HASH' ? %{ pop @args } : ();
    my @where = $o{tcp} ? ('--host', '127.0.0.1', '--port', $self->{port})
              : exists $o{socket} ? (defined $o{socket} ? ('--socket', $o{socket}) : ())
              : ('--socket', $self->{sock});
    return Annals::Test::spawn_cmd([Annals::Test::annals_bin(), @where, @args], %o);
}
sub client { shift->spawn_client(@_)->wait }

# raw_connect(tcp => 1, raw => 1, ordered => 1): a new connection over the
# Unix socket (or TCP); see Annals::Test::Conn.
sub raw_connect {
    my ($self, %o) = @_;
    return Annals::Test::Conn->new(
        $o{tcp} ? (host => '127.0.0.1', port => $self->{port}) : (path => $self->{sock}), %o);
}

# rpc($method, \%params | \@params | undef): one call over a connection kept
# open between calls (reopened when it closed); returns ($error, $result).
sub rpc {
    my ($self, $method, $params) = @_;
    my $c = $self->{rpc_conn};
    if (!$c || $c->{closed}) {
        $c = $self->{rpc_conn} = $self->raw_connect;
    }
    return $c->call($method, $params);
}

package Annals::Test::Proc;

use strict;
use warnings;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub pid { $_[0]{pid} }
# stdout_file: where its stdout goes, to read while it runs.
sub stdout_file { $_[0]{out} }

# wait: until the program exits (or its timeout passes: then it is killed
# and the result says timed_out); an Annals::Test::Result.
sub wait {
    my ($self) = @_;
    return $self->{result} if $self->{result};
    my $delay = 0.0005;
    my $timed_out = 0;
    while (waitpid($self->{pid}, WNOHANG) == 0) {
        if (time - $self->{start} > $self->{timeout}) {
            kill 'KILL', $self->{pid};
            waitpid($self->{pid}, 0);
            $timed_out = 1;
            last;
        }
        sleep $delay;
        $delay *= 2 if $delay < 0.02;
    }
    my $st = $?;
    Annals::Test::valgrind_check("$self->{tmp}", $self->{pid}) unless $timed_out;
    return $self->{result} = bless {
        argv => $self->{argv},
        exit => WIFEXITED($st) ? WEXITSTATUS($st) : undef,
        signal => WIFSIGNALED($st) ? WTERMSIG($st) : undef,
        timed_out => $timed_out,
        out => Annals::Test::read_file($self->{out}) // '',
        err => Annals::Test::read_file($self->{err}) // '',
    }, 'Annals::Test::Result';
}

package Annals::Test::Result;

use strict;
use warnings;
use Encode ();

# exit: the exit code (undef when killed by a signal); out/err: raw bytes;
# out_chars/err_chars: decoded from UTF-8.
sub exit      { $_[0]{exit} }
sub signal    { $_[0]{signal} }
sub timed_out { $_[0]{timed_out} }
sub out       { $_[0]{out} }
sub err       { $_[0]{err} }
sub out_chars { Encode::decode('UTF-8', $_[0]{out}) }
sub err_chars { Encode::decode('UTF-8', $_[0]{err}) }
sub lines     { split /\n/, $_[0]{out} }

# json: stdout as exactly one JSON value (undef, with a diagnostic, when it
# is not); json_lines: every line of stdout decoded.
sub json {
    my ($self) = @_;
    my @v = eval { Annals::Test::json_lines($self->{out}) };
    if ($@ || @v != 1) {
        Test::More::diag(_chars("expected one JSON line from @{$self->{argv}}; got:\n$self->{out}\nstderr: $self->{err}"));
        return undef;
    }
    return $v[0];
}
sub json_lines { Annals::Test::json_lines($_[0]{out}) }

# describe: a one-line summary for diagnostics.
sub describe {
    my ($self) = @_;
    return _chars(sprintf "exit %s%s; stdout: %s; stderr: %s",
        $self->{exit} // 'none', $self->{signal} ? " (signal $self->{signal})" : '',
        substr($self->{out}, 0, 500), substr($self->{err}, 0, 500));
}

# Bytes to characters for diagnostics, whatever they hold.
sub _chars { my ($b) = @_; return Encode::decode('UTF-8', $b, Encode::FB_DEFAULT) }

package Annals::Test::Conn;

# A raw msgpack-RPC connection: write any bytes, read whole messages with a
# timeout, tell whether the server closed the connection.

use strict;
use warnings;
use Carp qw(croak);
use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use IO::Select ();
use Time::HiRes qw(time);

my $next_msgid = 1;

# new(path => $sock | host => $h, port => $p, raw => 0|1, ordered => 0|1)
sub new {
    my ($class, %o) = @_;
    my $s;
    if ($o{path}) {
        $s = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(), Peer => $o{path})
            or croak "connect $o{path}: $!";
    } else {
        $s = IO::Socket::INET->new(PeerAddr => $o{host}, PeerPort => $o{port}, Proto => 'tcp')
            or croak "connect $o{host}:$o{port}: $!";
    }
    $s->blocking(0);
    binmode $s;
    return bless {
        sock => $s,
        dec => Annals::MsgPack::Decoder->new(raw => $o{raw}, ordered => $o{ordered}),
        queue => [],
        closed => 0,
        write_error => undef,
    }, $class;
}

sub fileno { CORE::fileno $_[0]{sock} }

# send_bytes($bytes): write them all (waiting while the socket is full, at
# most 10 s). Returns 1, or 0 when the server closed the connection first
# ($c->{write_error} says how).
sub send_bytes {
    my ($self, $bytes) = @_;
    my $off = 0;
    my $sel = IO::Select->new($self->{sock});
    my $deadline = time + 10 * Annals::Test::slow_factor();
    while ($off < length $bytes) {
        my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
        if (defined $n) { $off += $n; next }
        if ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR) {
            croak 'send_bytes: the server did not read for 10 s' if time > $deadline;
            # While waiting, take in what the server sends, so that a server
            # that answers as it reads is never blocked by us.
            $self->_pump(0);
            $sel->can_write(0.05);
            next;
        }
        $self->{write_error} = "$!";
        return 0;
    }
    return 1;
}

# send_msg($obj): encode with Annals::MsgPack and send.
sub send_msg { $_[0]->send_bytes(Annals::MsgPack::encode($_[1])) }

# request($method, $params [, $msgid]): send [0, msgid, method, params] with
# params [] for undef, [$h] for a hash ref, or an array ref as it is; returns
# the msgid.
sub request {
    my ($self, $method, $params, $msgid) = @_;
    $msgid //= $next_msgid++;
    $params = !defined $params ? [] : ref $params eq 'ARRAY' ? $params : [$params];
    $self->send_msg([0, Annals::MsgPack::int($msgid), Annals::MsgPack::str($method), $params]);
    return $msgid;
}

# _pump($timeout): read what is available (waiting up to $timeout seconds
# for the first bytes) and decode complete messages into the queue. Returns
# the number of bytes read; sets closed on EOF or a reset.
sub _pump {
    my ($self, $timeout) = @_;
    return 0 if $self->{closed};
    my $sel = IO::Select->new($self->{sock});
    my $total = 0;
    return 0 unless $sel->can_read($timeout);
    while (1) {
        my $n = sysread($self->{sock}, my $buf, 1 << 16);
        if (!defined $n) {
            last if $! == EAGAIN || $! == EWOULDBLOCK;
            next if $! == EINTR;
            $self->{closed} = 1;          # ECONNRESET and the like
            $self->{read_error} = "$!";
            last;
        }
        if ($n == 0) { $self->{closed} = 1; last }
        $total += $n;
        $self->{dec}->feed($buf);
    }
    while (1) {
        my ($ok, $obj) = $self->{dec}->next;
        last unless $ok;
        push @{ $self->{queue} }, $obj;
    }
    return $total;
}

# read_msg($timeout): the next message (waiting up to $timeout seconds,
# default 5), or undef on timeout or when the connection is closed.
sub read_msg {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // 5) * Annals::Test::slow_factor();
    while (1) {
        return shift @{ $self->{queue} } if @{ $self->{queue} };
        return undef if $self->{closed};
        my $left = $deadline - time;
        return undef if $left <= 0;
        $self->_pump($left);
    }
}

# is_closed($timeout): whether the server closes the connection within
# $timeout seconds (default 5); messages that arrive meanwhile stay queued
# for read_msg.
sub is_closed {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // 5) * Annals::Test::slow_factor();
    while (!$self->{closed}) {
        my $left = $deadline - time;
        last if $left <= 0;
        $self->_pump($left);
    }
    return $self->{closed};
}

# call($method, $params): request and wait for its response; returns
# ($error, $result). Dies when no response comes within 10 s, when the
# connection closes first, or when the response carries another msgid.
sub call {
    my ($self, $method, $params, $timeout) = @_;
    my $id = $self->request($method, $params);
    my $m = $self->read_msg($timeout // 10);
    croak "no response to $method: " . ($self->{closed} ? 'connection closed' : 'timeout')
        unless $m;
    croak "a response to $method that is not [1, msgid, error, result]: "
          . Annals::Test::to_json($m)
        unless ref $m eq 'ARRAY' && @$m == 4 && $m->[0] == 1;
    croak "a response to $method with msgid $m->[1] instead of $id" unless $m->[1] == $id;
    return ($m->[2], $m->[3]);
}

# call_amid($method, $params, \@notes, $timeout): call on a connection that
# also receives notifications (a subscriber's): the notifications that
# arrive before the response are pushed onto @notes, in order.
sub call_amid {
    my ($self, $method, $params, $notes, $timeout) = @_;
    my $id = $self->request($method, $params);
    while (1) {
        my $m = $self->read_msg($timeout // 10);
        croak "no response to $method: " . ($self->{closed} ? 'connection closed' : 'timeout')
            unless $m;
        if (ref $m eq 'ARRAY' && @$m == 3 && $m->[0] == 2) { push @$notes, $m; next }
        croak "a response to $method that is not [1, msgid, error, result]: "
              . Annals::Test::to_json($m)
            unless ref $m eq 'ARRAY' && @$m == 4 && $m->[0] == 1;
        croak "a response to $method with msgid $m->[1] instead of $id" unless $m->[1] == $id;
        return ($m->[2], $m->[3]);
    }
}

# read_available($timeout): every whole message that has arrived, waiting up
# to $timeout seconds (default 0, not scaled) for the first bytes when none
# is queued. Empty when nothing came (or the connection is closed).
sub read_available {
    my ($self, $timeout) = @_;
    $self->_pump($timeout // 0) unless @{ $self->{queue} };
    my @m = @{ $self->{queue} };
    @{ $self->{queue} } = ();
    return @m;
}

# read_bytes_at_most($max, $timeout): read at most $max bytes from the
# socket (waiting up to $timeout seconds for them), to play a client that
# drains its socket slowly; the whole messages they complete are queued for
# read_msg / read_available. Returns the number of bytes read.
sub read_bytes_at_most {
    my ($self, $max, $timeout) = @_;
    return 0 if $self->{closed};
    return 0 unless IO::Select->new($self->{sock})->can_read($timeout // 0);
    my $n = sysread($self->{sock}, my $buf, $max);
    if (!defined $n) {
        return 0 if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        $self->{closed} = 1;
        $self->{read_error} = "$!";
        return 0;
    }
    if ($n == 0) { $self->{closed} = 1; return 0 }
    $self->{dec}->feed($buf);
    while (1) {
        my ($ok, $obj) = $self->{dec}->next;
        last unless $ok;
        push @{ $self->{queue} }, $obj;
    }
    return $n;
}

sub close {
    my ($self) = @_;
    CORE::close($self->{sock});
    $self->{closed} = 1;
}

1;
