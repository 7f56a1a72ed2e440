#!/usr/bin/perl
# `annals import` loads JSON lines (stopping at the first bad line, reported
# with its line number, with every line before it stored and none after it;
# or with --skip-invalid leaving bad lines out), and `annals export` writes
# every event so that importing the export into an empty daemon gives the
# same events back.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use Test::More;
use Annals::Test;
use Annals::Dates qw(canonical);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my @SERVER_SET = qw(seq created updated bounds certainty);

my @kinds = qw(visit meeting agreement conference other);
my @cc = qw(MA ES FR DZ TN EG US);
sub make_event {
    my ($i) = @_;
    my %e = (
        id => sprintf('imp-%05d', $i),
        kind => $kinds[$i % @kinds],
        title => ($i % 3 ? "Event number $i" : "حدث رقم $i — ordre du jour"),
        start => sprintf('%04d-%02d-%02d', 1990 + $i % 35, 1 + $i % 12, 1 + $i % 28),
        countries => [$cc[$i % @cc], $cc[($i + 3) % @cc]],
        tags => ["t" . ($i % 5)],
    );
    $e{end} = sprintf('%04d-%02d', 1990 + $i % 35 + 1, 1 + $i % 12) if $i % 4 == 0;
    $e{start} = sprintf('%04d', 1990 + $i % 35) . '~' if $i % 7 == 0 && !$e{end};
    $e{start} = sprintf('2024-04-08T%02d:%02d:00+02:00', $i % 24, $i % 60) if $i % 11 == 0 && !$e{end};
    $e{summary} = "Résumé $i: " . ('x' x ($i % 50)) if $i % 2;
    $e{lang} = $i % 3 ? 'en' : 'ar';
    $e{cameo} = sprintf('%03d', 10 + $i % 80) if $i % 5 == 1;
    $e{place} = { city => 'Rabat', country => 'MA', lat => 34.02, lon => -6.84 } if $i % 6 == 0;
    $e{participants} = [{ name => "Person $i", aliases => ["P$i"], role => 'minister', country => 'MA' }] if $i % 8 == 0;
    $e{sources} = [{ url => "https://example.org/news/$i", publisher => 'Example', published => '2024-04-09' }] if $i % 9 == 0;
    $e{extra} = { n => $i, nested => { list => [1, 2, { k => 'v' }] }, flag => JSON::PP::true() } if $i % 10 == 0;
    $e{parent} = 'imp-00000' if $i % 13 == 0 && $i > 0;
    return \%e;
}

my $N = 1234;   # more than two of the client's 500-event batches
my @events = map { make_event($_) } 0 .. $N - 1;
my $dir = File::Temp->newdir('annals-io-XXXXXX', DIR => '/tmp');
my $file = "$dir/events.jsonl";
# Blank lines are allowed and skipped.
write_file($file, join('', map { to_json($_) . "\n" . ($_->{id} =~ /7$/ ? "\n" : '') } @events));

my $d1 = start_daemon();
my $r = $d1->client('import', $file);
is($r->exit, 0, "import of $N events exits 0") or diag($r->describe);
like($r->err, qr/\b$N\b/, 'import reports the number of events on stderr');
$r = $d1->client('count');
is(($r->json // {})->{count}, $N, 'count sees every imported event');

# --- export ----------------------------------------------------------------------
$r = $d1->client('export');
is($r->exit, 0, 'export exits 0') or diag($r->describe);
my @exp = $r->json_lines;
is(scalar @exp, $N, 'export writes one line per event');
my %exp = map { ($_->{id} => $_) } @exp;
is(scalar keys %exp, $N, 'export writes each event once');

sub strip { my ($e) = @_; my %c = %$e; delete @c{@SERVER_SET}; return \%c }
sub expect_back {
    my ($e) = @_;
    my %c = %$e;
    $c{start} = canonical($c{start});
    $c{end} = canonical($c{end}) if defined $c{end};
    return \%c;
}
my $mismatch = 0;
for my $e (@events) {
    my $x = $exp{$e->{id}};
    next if $x && Test::More::_deep_check(strip($x), expect_back($e));
    diag('first mismatch: put ' . to_json($e) . "\nexported " . to_json($x)) unless $mismatch++;
}
is($mismatch, 0, 'every exported event holds exactly the fields imported (dates in canonical form)');
ok(!grep({ !defined $_->{seq} || !defined $_->{created} || !defined $_->{bounds} } @exp),
   'exported events carry their server-set fields');
ok(index($r->out, Encode::encode('UTF-8', 'حدث رقم')) >= 0, 'export writes Arabic as UTF-8');

$r = $d1->client('export', '2000', '2000');
is_deeply([sort map { $_->{id} } $r->json_lines],
          [sort map { $_->{id} } grep { my $b = $_->{bounds};
                                        $b->{start}[0] le '2000-12-31T23:59:59Z' && $b->{end}[1] ge '2000-01-01T00:00:00Z' } @exp],
          'export FROM TO writes the events that may meet the window');

# --- import the export into a fresh daemon ------------------------------------------
my $d2 = start_daemon();
my $export_bytes = $d1->client('export')->out;
$r = $d2->client('import', '-', { stdin_raw => $export_bytes });
is($r->exit, 0, 'the export imports as it is into an empty daemon (server-set fields ignored)') or diag($r->describe);
$r = $d2->client('export');
my @exp2 = $r->json_lines;
is(scalar @exp2, $N, 'the second daemon exports as many events');
my %exp2 = map { ($_->{id} => $_) } @exp2;
my $diff = 0;
for my $id (sort keys %exp) {
    my ($a, $b) = ($exp{$id}, $exp2{$id});
    my %ka = %$a; my %kb = %{ $b // {} };
    delete @ka{qw(seq created updated)}; delete @kb{qw(seq created updated)};
    next if Test::More::_deep_check(\%ka, \%kb);
    diag("first difference at $id:\n" . to_json($a) . "\n" . to_json($b)) unless $diff++;
}
is($diff, 0, 'both daemons hold the same events, bounds included');
is_deeply([map { $_->{id} } @exp2], [map { $_->{id} } @exp], 'and export them in the same order');
is(stop_daemon(), 0, 'the second daemon exits 0');
$Annals::Test::CURRENT = $d1;

# --- a bad line stops the import ------------------------------------------------------
sub fresh_import {
    my ($content, @args) = @_;
    my $d = start_daemon();
    my $f = "$dir/in-" . int(rand 1e9) . '.jsonl';
    write_file($f, $content);
    my $r = $d->client('import', $f, @args);
    my $c = $d->client('export');
    my @ids = sort map { $_->{id} } $c->json_lines;
    is($d->stop, 0, 'daemon exits 0');
    return ($r, \@ids, $f);
}

{
    my @lines = map { to_json(make_event($_)) } 0 .. 19;
    $lines[10] = '{"title": "broken", "start": ';      # line 11: not JSON
    my ($r, $ids, $f) = fresh_import(join('', map { "$_\n" } @lines));
    is($r->exit, 5, 'a line that is not JSON stops the import with exit 5');
    like($r->err, qr/\Q$f\E:11:/, '... reporting FILE:11');
    is_deeply($ids, [map { sprintf 'imp-%05d', $_ } 0 .. 9], '... with every line before it stored and none after');
}
{
    my @lines = map { to_json(make_event($_)) } 0 .. 999;
    $lines[749] = to_json({ id => 'no-title', start => '2024' });   # line 750: rejected by the server
    my ($r, $ids, $f) = fresh_import(join('', map { "$_\n" } @lines));
    is($r->exit, 5, 'an event the server rejects stops the import with exit 5');
    like($r->err, qr/\Q$f\E:750:/, '... reporting FILE:750, in the middle of the second batch');
    like($r->err, qr/title/, '... with the reason');
    is_deeply($ids, [map { sprintf 'imp-%05d', $_ } 0 .. 748], '... every line before it stored, none after');
}
{
    my @lines = map { to_json(make_event($_)) } 0 .. 29;
    $lines[4] = '[1, 2, 3]';                                             # line 5: not an object
    $lines[12] = to_json({ title => 'bad month', start => '2024-13' });   # line 13: rejected
    $lines[20] = 'garbage';                                              # line 21: not JSON
    my ($r, $ids, $f) = fresh_import(join('', map { "$_\n" } @lines), '--skip-invalid');
    is($r->exit, 5, '--skip-invalid still exits 5 when lines were left out');
    like($r->err, qr/\Q$f\E:$_:/, "--skip-invalid reports line $_") for 5, 13, 21;
    is_deeply($ids, [map { sprintf 'imp-%05d', $_ } grep { $_ != 4 && $_ != 12 && $_ != 20 } 0 .. 29],
              '--skip-invalid imports every other line');
}
{
    # Bytes that are not UTF-8 inside a line's JSON: line 3 stops the import.
    my @lines = map { to_json(make_event($_)) } 0 .. 5;
    $lines[2] = qq({"id": "bad-utf8", "title": "caf\xff", "start": "2024"});
    my ($r, $ids, $f) = fresh_import(join('', map { "$_\n" } @lines));
    is($r->exit, 5, 'a line holding invalid UTF-8 stops the import with exit 5') or diag($r->describe);
    like($r->err, qr/\Q$f\E:3: column \d+: unable to decode byte 0xff/, '... reporting FILE:3 and the byte');
    is_deeply($ids, ['imp-00000', 'imp-00001'], '... with the lines before it stored and none after');
}
{
    my ($r, $ids) = fresh_import("\n\n" . to_json(make_event(1)) . "\n\n");
    is($r->exit, 0, 'blank lines are skipped');
    is_deeply($ids, ['imp-00001'], '... and the event between them imported');
}
$r = $d1->client('import', "$dir/does-not-exist.jsonl");
is($r->exit, 5, 'importing a file that does not exist exits 5');

is($d1->stop, 0, 'annalsd exits 0 after SIGTERM');
done_testing();
