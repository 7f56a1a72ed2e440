#!/usr/bin/perl
# bench_import.pl: the import workload of `make bench` (BENCH=import): how
# fast real data goes in. A GDELT 2.0 export is repeated to N rows with
# distinct GLOBALEVENTIDs; then, each on a fresh annalsd, `annals import
# --format gdelt` of those rows and `annals import` of the same events as
# JSON lines (the export of the first run), and, when PostgreSQL is
# installed (`make bench BENCH=peers` installs it), COPY of the same TSV
# into a table of 61 text columns. Every run is checked: the count after it
# must be N. Prints rows per second side by side.
#
#   perl tests/bench/bench_import.pl --annalsd build/annalsd --annals build/annals \
#       --gdelt ../shared/data/gdelt/gdelt2-20191024143000.export.CSV --n 100000 \
#       [--pg-bin /usr/lib/postgresql/15/bin] [--smoke]
#
# --smoke: N defaults to 3000 and PostgreSQL is left out unless --pg-bin is
# given (tests/t/bench_import_smoke_runs.t). Scratch files go under $TMPDIR
# and are removed at the end, also when a run fails.
use strict;
use warnings;
use File::Temp ();
use Getopt::Long qw(GetOptions);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

my %o = (n => undef, 'pg-bin' => undef);
GetOptions(\%o, 'annalsd=s', 'annals=s', 'gdelt=s', 'n=i', 'pg-bin=s', 'smoke')
    && $o{annalsd} && $o{annals} && $o{gdelt}
    or die "usage: bench_import.pl --annalsd PATH --annals PATH --gdelt FILE [--n N] "
         . "[--pg-bin DIR] [--smoke]\n";
my $N = $o{n} // ($o{smoke} ? 3000 : 100000);
die "bench_import: --n must be at least 1\n" if $N < 1;
my $pg_bin = $o{'pg-bin'} // ($o{smoke} ? undef : '/usr/lib/postgresql/15/bin');

my $tmp = File::Temp->newdir('annals-import-XXXXXX', TMPDIR => 1);
chmod 0711, "$tmp";                      # postgres runs as nobody under root
my @children;                            # pids to stop should we die
END { kill 'KILL', @children if @children }
$SIG{INT} = $SIG{TERM} = sub { die "bench_import: interrupted\n" };

# ---- the rows ------------------------------------------------------------------------
open my $in, '<:raw', $o{gdelt} or die "bench_import: cannot read $o{gdelt}: $!\n";
my @rows = grep { /\S/ } map { s/\r?\n\z//r } <$in>;
close $in;
die "bench_import: $o{gdelt} holds no rows\n" unless @rows;
for my $i (0 .. $#rows) {
    my $cols = () = $rows[$i] =~ /\t/g;
    die "bench_import: $o{gdelt}:", $i + 1, ": ", $cols + 1, " columns, not GDELT 2.0's 61\n"
        unless $cols == 60;
}
my $tsv = "$tmp/gdelt.export.CSV";
open my $out, '>:raw', $tsv or die "bench_import: $tsv: $!\n";
for my $i (0 .. $N - 1) {
    # GLOBALEVENTIDs from 10^11 up: distinct, and above any real one.
    print $out (100_000_000_000 + $i), substr($rows[$i % @rows], index($rows[$i % @rows], "\t")), "\n";
}
close $out or die "bench_import: $tsv: $!\n";
chmod 0644, $tsv;

# ---- annalsd ---------------------------------------------------------------------------
sub run_quiet {
    my ($outfile, @cmd) = @_;
    my $pid = fork // die "bench_import: fork: $!\n";
    if (!$pid) {
        open STDOUT, '>', $outfile or die "$outfile: $!\n";
        open STDERR, '>>', "$tmp/stderr.log" or die "stderr.log: $!\n";
        exec @cmd or die "exec $cmd[0]: $!\n";
    }
    waitpid($pid, 0);
    return $? >> 8;
}

sub start_annalsd {
    my ($name) = @_;
    my $sock = "$tmp/$name.sock";
    my $pid = fork // die "bench_import: fork: $!\n";
    if (!$pid) {
        open STDOUT, '>', "$tmp/$name.log";
        open STDERR, '>&', \*STDOUT;
        exec $o{annalsd}, '--data', "$tmp/$name", '--socket', $sock, '--listen', '127.0.0.1:0',
             '--log-level', 'warn' or die "exec $o{annalsd}: $!\n";
    }
    push @children, $pid;
    for (1 .. 200) {
        last if -S $sock && run_quiet('/dev/null', $o{annals}, '--socket', $sock, 'ping') == 0;
        die "bench_import: annalsd exited at start; see its log\n" if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    return { pid => $pid, sock => $sock };
}

sub stop {
    my ($pid, $sig) = @_;
    kill $sig // 'TERM', $pid;
    waitpid($pid, 0);
    @children = grep { $_ != $pid } @children;
}

sub annals_count {
    my ($d) = @_;
    run_quiet("$tmp/count.json", $o{annals}, '--socket', $d->{sock}, 'count', '--json');
    open my $fh, '<', "$tmp/count.json" or return -1;
    my ($n) = <$fh> =~ /"count":\s*(\d+)/;
    return $n // -1;
}

# time_import(label, daemon, args...): one timed `annals import`, checked.
my (@table, $failed);
sub time_import {
    my ($label, $d, @args) = @_;
    my $t0 = time;
    my $rc = run_quiet('/dev/null', $o{annals}, '--socket', $d->{sock}, 'import', @args);
    my $secs = time - $t0;
    # annals indexes after acknowledging (PROTOCOL.md section 10): the
    # count waits for it, so the second clock is "until queries see all".
    my $count = annals_count($d);
    my $ready = time - $t0;
    if ($rc != 0 || $count != $N) {
        print STDERR "bench_import: FAIL: $label: exit $rc, count $count, expected $N\n";
        $failed = 1;
    }
    push @table, [$label, $count, $secs, $ready];
}

my $d1 = start_annalsd('gdelt');
time_import('annals import --format gdelt', $d1, '--format', 'gdelt', $tsv);
run_quiet("$tmp/events.jsonl", $o{annals}, '--socket', $d1->{sock}, 'export') == 0
    or die "bench_import: export failed\n";
stop($d1->{pid});
my $d2 = start_annalsd('jsonl');
time_import('annals import (JSON lines)', $d2, "$tmp/events.jsonl");
stop($d2->{pid});

# ---- PostgreSQL COPY ----------------------------------------------------------------------
my $pg_note = '';
if ($pg_bin && -x "$pg_bin/initdb" && -x "$pg_bin/postgres" && -x "$pg_bin/psql") {
    pg_copy();
} else {
    $pg_note = "postgres: not installed here (make bench BENCH=peers installs it), left out\n";
}

# Run @cmd as nobody when we are root (postgres refuses root).
sub as_server {
    my (@cmd) = @_;
    if ($> == 0) {
        my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
        die "bench_import: no user nobody to run postgres as\n" unless defined $uid;
        $) = "$gid $gid";
        $( = $gid;
        $< = $> = $uid;
    }
    exec @cmd or die "exec $cmd[0]: $!\n";
}

sub pg_copy {
    my $data = "$tmp/pg";
    mkdir $data or die "bench_import: $data: $!\n";
    if ($> == 0) {
        my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
        chown $uid, $gid, $data, "$tmp";
    }
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$tmp/initdb.log";
        open STDERR, '>&', \*STDOUT;
        as_server("$pg_bin/initdb", '-D', $data, '-U', 'bench', '-A', 'trust', '-E', 'UTF8',
                  '--no-locale', '--no-sync');
    }
    waitpid($pid, 0);
    die "bench_import: initdb failed (see $tmp/initdb.log)\n" if $?;
    $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', "$tmp/postgres.log";
        open STDERR, '>&', \*STDOUT;
        as_server("$pg_bin/postgres", '-D', $data, '-k', "$tmp", '-c', 'listen_addresses=');
    }
    push @children, $pid;
    my @psql = ("$pg_bin/psql", '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', "$tmp", '-U', 'bench',
                '-d', 'postgres');
    for (1 .. 200) {
        last if run_quiet('/dev/null', @psql, '-c', 'SELECT 1') == 0;
        sleep 0.05;
    }
    my $cols = join ', ', map { "c$_ text" } 1 .. 61;
    run_quiet('/dev/null', @psql, '-c', "CREATE TABLE gdelt ($cols)") == 0
        or die "bench_import: CREATE TABLE failed\n";
    # CSV mode with a tab delimiter and a quote that never occurs: GDELT's
    # fields are raw text, which text mode would read backslashes in.
    my $t0 = time;
    my $rc = run_quiet('/dev/null', @psql, '-c',
                       "\\copy gdelt FROM '$tsv' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\b')");
    my $secs = time - $t0;
    run_quiet("$tmp/pgcount", @psql, '-A', '-t', '-c', 'SELECT count(*) FROM gdelt');
    my $ready = time - $t0;
    open my $fh, '<', "$tmp/pgcount";
    my $count = (<$fh> // '') =~ /(\d+)/ ? $1 : -1;
    if ($rc != 0 || $count != $N) {
        print STDERR "bench_import: FAIL: postgres COPY: exit $rc, count $count, expected $N\n";
        $failed = 1;
    }
    push @table, ['postgres COPY (61 text columns)', $count, $secs, $ready];
    stop($pid, 'INT');
}

# ---- the report -----------------------------------------------------------------------------
printf "import: %d GDELT 2.0 rows (the %d rows of %s, repeated with distinct GLOBALEVENTIDs)\n",
    $N, scalar @rows, $o{gdelt};
printf "%-34s %8s %9s %9s %11s %11s\n", 'system', 'rows', 'acked s', 'ready s', 'acked rows/s', 'ready rows/s';
printf "%-34s %8d %9.2f %9.2f %11.0f %11.0f\n", $_->[0], $_->[1], $_->[2], $_->[3],
    $_->[1] / ($_->[2] || 1e-9), $_->[1] / ($_->[3] || 1e-9)
    for @table;
print "acked: until the import command finished (every row durable); ready: until a count saw every row.\n";
print $pg_note;
print "annals imports durably: each put_many batch of 500 is committed to disk before the next "
    . "is answered; COPY is one transaction.\n";
exit($failed ? 1 : 0);
