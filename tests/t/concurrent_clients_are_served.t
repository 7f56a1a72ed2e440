#!/usr/bin/perl
# Many clients at once, over the Unix socket and TCP, writing (put, import)
# and reading (range, count, get, export): every one is served, every
# acknowledged write is readable afterwards, and no seq is handed out twice.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Test::More;
use Annals::Test;

my $d = start_daemon();
my $dir = File::Temp->newdir('annals-cc-XXXXXX', DIR => '/tmp');
my $annals = annals_bin();
my $sock = $d->socket;
my $port = $d->port;

# Importers: each loads its own file of distinct events.
my (@procs, %expected_ids);
for my $w (1 .. 4) {
    my $f = "$dir/w$w.jsonl";
    my @evs = map { { id => "imp-$w-$_", title => "import $w/$_", start => sprintf('20%02d', 10 + $_ % 15),
                      countries => [('MA', 'ES', 'FR')[$_ % 3]] } } 1 .. 300;
    $expected_ids{$_->{id}} = 1 for @evs;
    write_file($f, join '', map { to_json($_) . "\n" } @evs);
    push @procs, ["import $w", spawn_client('import', $f, $w % 2 ? { tcp => 1 } : {})];
}
# Writers: shell loops of single puts, printing {"id":..,"seq":..} lines.
for my $w (1 .. 4) {
    my $where = $w % 2 ? "--socket '$sock'" : "--host 127.0.0.1 --port $port";
    my $script = "i=0; while [ \$i -lt 25 ]; do i=\$((i+1)); "
               . "'$annals' $where put '{\"id\":\"put-$w-'\$i'\",\"title\":\"put $w\",\"start\":\"2024-0$w\"}' || exit 1; done";
    $expected_ids{"put-$w-$_"} = 1 for 1 .. 25;
    push @procs, ["put loop $w", Annals::Test::spawn_cmd(['sh', '-c', $script])];
}
# Readers, at the same time.
for my $w (1 .. 3) {
    my $script = "i=0; while [ \$i -lt 15 ]; do i=\$((i+1)); "
               . "'$annals' --socket '$sock' range 2010 2030 --country MA >/dev/null || exit 1; "
               . "'$annals' --socket '$sock' count >/dev/null || exit 1; "
               . "'$annals' --host 127.0.0.1 --port $port export 2024 >/dev/null || exit 1; done";
    push @procs, ["read loop $w", Annals::Test::spawn_cmd(['sh', '-c', $script])];
}

# Meanwhile, 40 raw connections open at once, each pipelining puts and gets.
my @conns = map { raw_connect(tcp => $_ % 2) } 1 .. 40;
my %raw_ids;
for my $i (0 .. $#conns) {
    for my $k (1 .. 5) {
        my $id = "raw-$i-$k";
        $conns[$i]->request('put', { event => { id => $id, title => "raw $i $k", start => '2023-06' } });
        $conns[$i]->request('count', { from => '2023' });
        $raw_ids{$id} = 1;
    }
}
my (%seq_of, $raw_bad);
$raw_bad = 0;
for my $i (0 .. $#conns) {
    for my $k (1 .. 5) {
        my $put = $conns[$i]->read_msg(20);
        my $cnt = $conns[$i]->read_msg(20);
        if (ref $put ne 'ARRAY' || defined $put->[2] || ref $cnt ne 'ARRAY' || defined $cnt->[2]) {
            diag('raw connection ' . $i . ': ' . to_json([$put, $cnt])) unless $raw_bad++;
            next;
        }
        $seq_of{"raw-$i-$k"} = $put->[3]{seq};
    }
}
is($raw_bad, 0, '40 connections open at once each get all their answers');

my $failed = 0;
for my $p (@procs) {
    my ($name, $proc) = @$p;
    my $r = $proc->wait;
    if (($r->exit // -1) != 0) { diag("$name: " . $r->describe) unless $failed++; next }
    if ($name =~ /^put loop/) {
        for my $ack ($r->json_lines) { $seq_of{$ack->{id}} = $ack->{seq} }
    }
}
is($failed, 0, scalar(@procs) . ' client processes running at once all succeed');

$expected_ids{$_} = 1 for keys %raw_ids;
my $r = client('export');
my %stored = map { ($_->{id} => $_) } $r->json_lines;
my @missing = grep { !$stored{$_} } sort keys %expected_ids;
is(scalar @missing, 0, 'every acknowledged write is readable afterwards') or diag("missing: @missing[0 .. 9]");
is(scalar keys %stored, scalar keys %expected_ids, 'and nothing else was stored');
my %seen;
my @dup = grep { $seen{$_}++ } map { $_->{seq} } values %stored;
is(scalar @dup, 0, 'no two events carry the same seq');
my @wrong = grep { defined $seq_of{$_} && $stored{$_} && $stored{$_}{seq} != $seq_of{$_} } keys %seq_of;
is(scalar @wrong, 0, 'each put\'s acknowledged seq is the one stored with its event');
my ($e, $h) = rpc('hello');
my $max = 0;
$max < $_->{seq} and $max = $_->{seq} for values %stored;
is($h->{seq}, $max, 'hello reports the largest seq');
is($h->{seq}, scalar keys %expected_ids, 'one seq per write, none skipped (there were no deletes)');

my ($e2, $st) = rpc('stats');
cmp_ok($st->{server}{connections_total}, '>=', 40 + 4 + 4 * 25 + 3 * 15 * 3, 'stats counted every connection');
is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
