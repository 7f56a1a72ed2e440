#!/usr/bin/perl
# Consumers that resume from the seq they recorded see every change exactly
# once, across their own SIGKILL and across a restart of annalsd, while
# writes go on.
#
# First a raw msgpack-RPC consumer whose record is its output itself (it
# resumes after the last line it wrote), so the union of what it wrote
# before and after must be every seq exactly once.
#
# Then the real client, `annals watch --resume FILE`: killed with
# SIGKILL mid-stream, it starts again after the seq its resume file names
# (a seq it had printed), so nothing is missed and the only changes printed
# twice are the few after its last save; stopped with SIGTERM it saves the
# last change printed and resumes exactly after it; and while annalsd is
# restarted under it, it reconnects and goes on with no gap and no
# duplicate. Everything printed is the change log's entry for that seq.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use Annals::Test;
use Annals::MsgPack;

my $tmp = File::Temp->newdir('annals-resume-XXXXXX', DIR => '/tmp');
my $resume = "$tmp/watch.seq";

# Every process started here is ended if the test stops early (the watchers
# and the writers would otherwise go on reconnecting).
my $PARENT = $$;
my @children;
END {
    local $?;    # waitpid must not change the exit status
    if ($$ == $PARENT) {
        # Only those not yet reaped: their pids cannot have been reused.
        for my $pid (grep { waitpid($_, POSIX::WNOHANG()) == 0 } @children) { kill 'KILL', $pid; waitpid($pid, 0) }
    }
}

# A writer process: puts, put_many and deletes until SIGTERM, reconnecting
# when the daemon goes away.
sub start_writer {
    my ($tag) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid) { push @children, $pid; return $pid }
    my $stop = 0;
    $SIG{TERM} = sub { $stop = 1 };
    my ($c, $n) = (undef, 0);
    while (!$stop && getppid() == $PARENT) {
        $n++;
        my $ok = eval {
            $c = raw_connect() if !$c || $c->{closed};
            if ($n % 7 == 0) {
                $c->call('delete', { id => "$tag-" . ($n % 40) });    # not_found at times: no seq then
            } elsif ($n % 5 == 0) {
                $c->call('put_many', { events => [map { { id => "$tag-" . (($n + $_) % 40), title => "$tag $n/$_", start => '2024' } } 1 .. 3] });
            } else {
                $c->call('put', { event => { id => "$tag-" . ($n % 40), title => "$tag $n", start => '2023' } });
            }
            1;
        };
        if (!$ok) { $c = undef; sleep 0.02 }
        sleep 0.002;
    }
    POSIX::_exit(0);
}
sub stop_writer { my ($pid) = @_; kill 'TERM', $pid; waitpid($pid, 0); return $? }

# The changes a watcher printed so far: whole lines only.
sub printed {
    my ($p) = @_;
    my $s = read_file($p->stdout_file) // '';
    $s =~ s/[^\n]*\z//;
    return [json_lines($s)];
}
sub seqs { [map { $_->{seq} } @{ $_[0] }] }
sub lines_of { my $s = read_file($_[0]) // ''; $s =~ s/[^\n]*\z//; return [json_lines($s)] }
sub last_seq {
    my ($p) = @_;
    my $s = read_file($p->stdout_file) // '';
    return $s =~ /^(\{[^\n]*)\n[^\n]*\z/m ? from_json($1)->{seq} : 0;
}
sub watch {
    my $p = spawn_client('watch', '--since', '0', '--resume', $resume, '--json', { timeout => 60 });
    push @children, $p->pid;
    return $p;
}
sub saved { my $s = read_file($resume); return defined $s && $s =~ /\A(\d+)\n?\z/ ? $1 : undef }
sub consecutive { my $s = shift; return !grep { $s->[$_] != $s->[$_ - 1] + 1 } 1 .. $#$s }
sub current_seq { my ($e, $r) = rpc('hello'); return $r->{seq} }
sub whole_log {
    my ($since, @log) = (0);
    while (1) {
        my ($e, $r) = rpc('changes', { since => 0 + $since, limit => 1000 });
        last if $e || !@{ $r->{changes} };
        push @log, @{ $r->{changes} };
        $since = $r->{next};
    }
    return \@log;
}
sub differ_from_log {
    my ($log, @printed) = @_;
    my %at = map { ($_->{seq} => $_) } @$log;
    my $wrong = 0;
    for my $c (@printed) {
        next if to_json($c) eq to_json($at{ $c->{seq} } // {});
        diag('printed ' . to_json($c) . "\nlog " . to_json($at{ $c->{seq} })) unless $wrong++;
    }
    return $wrong;
}

# ---- A raw consumer ------------------------------------------------------------------------------
# It appends each change (without sub) to $out as one line, one write per
# line, and after a start, a lost connection or an overflow subscribes again
# after the last line in $out.
sub raw_consumer {
    my ($out) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid) { push @children, $pid; return $pid }
    my $since = 0;
    if (defined(my $s = read_file($out))) {
        $s =~ s/[^\n]*\z//;    # a line cut short is not written
        $since = from_json($1)->{seq} if $s =~ /([^\n]+)\n\z/;
        write_file($out, $s);
    }
    open my $fh, '>>', $out or POSIX::_exit(1);
    while (getppid() == $PARENT) {
        my $c = eval { raw_connect() } or do { sleep 0.02; next };
        my ($e, $r) = eval { $c->call('subscribe', { since => 0 + $since }) };
        if (!$r) { print STDERR 'consumer: subscribe: ' . to_json($e) . "\n" if $e; sleep 0.02; next }
        while (getppid() == $PARENT) {
            my $m = $c->read_msg(1);
            if (!$m) { last if $c->{closed}; next }
            next unless ref $m eq 'ARRAY' && $m->[0] == 2;
            last if $m->[1] eq 'overflow';
            next unless $m->[1] eq 'change';
            my %ch = %{ $m->[2][0] };
            delete $ch{sub};
            syswrite($fh, to_json(\%ch) . "\n") or POSIX::_exit(1);
            $since = $ch{seq};
        }
        $c->close;
    }
    POSIX::_exit(0);
}
sub last_line_seq {
    my $s = read_file($_[0]) // '';
    return $s =~ /^(\{[^\n]*)\n[^\n]*\z/m ? from_json($1)->{seq} : 0;
}

{
    my $d = start_daemon(args => ['--feed-heartbeat', '100ms']);
    my $out = "$tmp/raw.jsonl";
    my $writer = start_writer('r');
    my $k1 = raw_consumer($out);
    ok(wait_until(sub { last_line_seq($out) >= 300 }, 10), 'raw consumer: it records changes as they come');
    kill 'KILL', $k1;
    waitpid($k1, 0);
    my $killed_at = last_line_seq($out);
    sleep 0.3;
    my $behind = current_seq() - $killed_at;
    ok($behind > 0, "raw consumer: SIGKILLed after $killed_at; $behind changes committed while it was gone");
    my $k2 = raw_consumer($out);
    ok(wait_until(sub { last_line_seq($out) > $killed_at + $behind + 50 }, 10), 'raw consumer: started again, it catches up');
    my $at_restart = current_seq();
    is(restart(), 0, "raw consumer: annalsd restarted under it at about seq $at_restart");
    ok(wait_until(sub { last_line_seq($out) > $at_restart + 100 }, 10), 'raw consumer: it reconnects and follows the writes');
    is(stop_writer($writer), 0, 'the writer stops');
    my ($me, $mr) = rpc('put', { event => { id => 'marker', title => 'the last write', start => '2025' } });
    my $final = $mr->{seq};
    ok(wait_until(sub { last_line_seq($out) == $final }, 10), "raw consumer: it records the last change, $final");
    kill 'KILL', $k2;
    waitpid($k2, 0);
    my $got = lines_of($out);
    is_deeply(seqs($got), [1 .. $final], "raw consumer: what it wrote before and after is every seq 1..$final exactly once, in order");
    my $log = whole_log();
    is_deeply(seqs($log), [1 .. $final], "the log holds 1..$final");
    is(differ_from_log($log, @$got), 0, 'raw consumer: every change it got is the log entry for its seq');
    is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
}

# ---- annals watch ---------------------------------------------------------------------------------
if (run_cmd([annals_bin(), 'watch', '--help'])->exit != 0) {
    diag('annals watch is not built: its part is skipped');
    done_testing();
    exit 0;
}
my $d = start_daemon(args => ['--feed-heartbeat', '100ms']);

my $writer = start_writer('w1');

# ---- SIGKILL mid-stream -------------------------------------------------------------------------
my $wa = watch();
ok(wait_until(sub { @{ printed($wa) } >= 300 }, 10), 'the first watcher prints changes as they come');
kill 'KILL', $wa->pid;
my $ra = $wa->wait;
is($ra->signal, 9, 'it is killed with SIGKILL mid-stream');
my $a_out = printed($wa);
my $r1 = saved();
my $a_max = @$a_out ? $a_out->[-1]{seq} : 0;
ok(defined $r1 && $r1 >= 1 && $r1 <= $a_max, "its resume file names seq $r1, at most the last it printed ($a_max)");
is_deeply(seqs($a_out), [1 .. $a_max], "it had printed 1..$a_max, in order, each once");

sleep 0.3;    # writes go on without it
my $behind = current_seq() - $a_max;
ok($behind > 0, "$behind changes were committed while no watcher ran");

my $wb = watch();
ok(wait_until(sub { last_seq($wb) > $a_max + $behind + 100 }, 10), 'a second watcher with the same resume file catches up and goes on');
# ---- SIGTERM: a clean stop saves the last change printed ---------------------------------------
kill 'TERM', $wb->pid;
my $rb = $wb->wait;
is($rb->exit, 0, 'on SIGTERM it exits 0') or diag($rb->describe);
my $b_out = printed($wb);
my $r2 = saved();
is($b_out->[0]{seq}, $r1 + 1, 'after the SIGKILL it started right after the saved seq ' . $r1);
ok(consecutive(seqs($b_out)), 'and printed consecutive seqs, each once');
is($r2, $b_out->[-1]{seq}, "on SIGTERM the resume file names the last change printed, $r2");

# ---- annalsd restarted under a running watcher --------------------------------------------------
sleep 0.2;
my $wc = watch();
ok(wait_until(sub { last_seq($wc) > $r2 + 50 }, 10), 'a third watcher goes on');
my $at_restart = current_seq();
is(restart(), 0, "annalsd restarted (SIGTERM) at about seq $at_restart");
ok(wait_until(sub { last_seq($wc) > $at_restart + 100 }, 10),
   'the watcher reconnects and follows the writes after the restart');
is(stop_writer($writer), 0, 'the writer stops');
my ($me, $mr) = rpc('put', { event => { id => 'marker', title => 'the last write', start => '2025' } });
my $final = $mr->{seq};
ok(wait_until(sub { last_seq($wc) == $final }, 10), "the watcher prints the last change, $final");
kill 'TERM', $wc->pid;
my $rc = $wc->wait;
is($rc->exit, 0, 'it exits 0 on SIGTERM') or diag($rc->describe);
my $c_out = printed($wc);
is($c_out->[0]{seq}, $r2 + 1, "it started right after the seq saved at the clean stop, $r2");
ok(consecutive(seqs($c_out)), 'across the restart it printed consecutive seqs, each once')
    or diag('gaps or repeats: ' . join ', ', map { "$c_out->[$_ - 1]{seq} -> $c_out->[$_]{seq}" }
            grep { $c_out->[$_]{seq} != $c_out->[$_ - 1]{seq} + 1 } 1 .. $#$c_out);
is(saved(), $final, 'its resume file names the last change');

# ---- All of it against the change log -------------------------------------------------------------
my @log = @{ whole_log() };
is_deeply(seqs(\@log), [1 .. $final], "the log holds 1..$final");
my @union = ((grep { $_->{seq} <= $r1 } @$a_out), @$b_out, @$c_out);
is_deeply(seqs(\@union), [1 .. $final],
          "what the watchers printed, up to each one's saved seq, is every seq 1..$final exactly once");
my %twice;
$twice{$_}++ for map { @{ seqs($_) } } $a_out, $b_out, $c_out;
my @dups = sort { $a <=> $b } grep { $twice{$_} > 1 } keys %twice;
ok(!grep({ $_ <= $r1 || $_ > $a_max } @dups),
   scalar(@dups) . " seqs were printed twice, all after the SIGKILLed watcher's last save ($r1 < seq <= $a_max)");
is(differ_from_log(\@log, @$a_out, @$b_out, @$c_out), 0, 'every line printed is the change log entry for its seq');

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
