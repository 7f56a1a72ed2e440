#!/usr/bin/perl
# annals render writes one self-contained page of the seed timeline: no
# network resource, every seed event in its JSON; headless Chromium draws
# one element per event with its id and kind, Arabic titles with dir=auto,
# the details of an event named in the URL, and a screenshot of the right
# size that is not blank (ANNALS_RENDER_SHOT=FILE keeps it). Hostile event text stays text: no script, image or
# comment of it reaches the DOM. Bad -o paths and dates are refused without
# leaving a partial page, and a failed render keeps the previous one.
use strict;
use warnings;
use utf8;
BEGIN { $ENV{ANNALS_TEST_TIMEOUT} //= 420 }   # eight Chromium runs
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use File::Temp ();
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my ($chromium) = grep { -x } map { my $d = $_; map { "$d/$_" } qw(chromium chromium-browser) }
                 split /:/, $ENV{PATH} // '';
ok($chromium, 'Chromium is installed (make test installs the chromium package)')
    or do { done_testing(); exit 1 };

my $tmp = File::Temp->newdir('annals-render-XXXXXX', DIR => '/tmp', CLEANUP => !$ENV{ANNALS_KEEP});
mkdir "$tmp/profile";

# chromium(@args, $url): run headless Chromium on a private profile, with a
# timeout of its own; the Annals::Test::Result.
sub chromium {
    my @args = @_;
    return run_cmd([$chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                    '--disable-extensions', '--disable-dev-shm-usage', "--user-data-dir=$tmp/profile",
                    '--run-all-compositor-stages-before-draw', '--virtual-time-budget=3000', @args],
                   env => { HOME => "$tmp", XDG_CONFIG_HOME => "$tmp/profile",
                            XDG_CACHE_HOME => "$tmp/profile" },
                   timeout => 90);
}

# The text of a serialised DOM or page: character references decoded.
sub unhtml {
    my ($s) = @_;
    $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g; $s =~ s/&#39;/'/g;
    $s =~ s/&nbsp;/\x{a0}/g; $s =~ s/&amp;/&/g;
    return $s;
}

# The drawn events of a DOM: [id, kind, the tag] for every .ev element.
sub drawn {
    my ($dom) = @_;
    my @ev;
    while ($dom =~ /(<div class="ev(?: [^"]*)?"[^>]*>)/g) {
        my $tag = $1;
        my ($id) = $tag =~ / data-id="([^"]*)"/;
        my ($kind) = $tag =~ / data-kind="([^"]*)"/;
        push @ev, [unhtml($id // ''), unhtml($kind // ''), $tag];
    }
    return @ev;
}

# The page's JSON block and the page without it.
sub split_page {
    my ($page) = @_;
    my ($data) = $page =~ m{<script type="application/json" id="annals-data">(.*?)</script>}s;
    (my $rest = $page) =~ s{<script type="application/json" id="annals-data">.*?</script>}{}s;
    return ($data, $rest);
}

# --- the seed timeline ---------------------------------------------------------------
my $seed_file = top_dir() . '/config/seed-events.jsonl';
my @seed = json_lines(read_file($seed_file));
my %seed = map { ($_->{id} => $_) } @seed;
my ($from) = sort map { substr($_->{start}, 0, 4) } @seed;
my ($to) = reverse sort map { substr($_->{end} // $_->{start}, 0, 4) } @seed;

start_daemon();
my $r = client('import', $seed_file);
is($r->exit, 0, 'the seed timeline is imported') or diag($r->describe);

my $page_file = "$tmp/seed.html";
$r = client('render', $from, $to, '-o', $page_file);
is($r->exit, 0, "annals render $from $to -o FILE exits 0") or diag($r->describe);
my $page = read_file($page_file) // '';
like($page, qr/\A<!DOCTYPE html>/, 'the file is an HTML page');
is_deeply([grep { /\.tmp$/ } glob("$tmp/*")], [], 'no temporary file is left beside it');

my ($data, $rest) = split_page($page);
ok(defined $data, 'the page embeds its events as a JSON block');
my @offsite = $rest =~ m{(https?://[^\s"'<>]*)}g;
is_deeply(\@offsite, [], 'outside the event data the page names no http:// or https:// URL');
unlike($rest, qr{<link\b|<img\b|<iframe\b|\bsrc\s*=|\@import|url\(}i,
       'nor loads anything: no link, img, iframe, src=, @import or url()');
like($rest, qr{<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*script-src 'sha256-},
     "its policy allows no network and only its own script");
my $doc = eval { from_json($data // '') };
ok($doc, 'the JSON block parses') or diag($@);
my @in_page = map { $_->{event}{id} } @{ $doc->{events} // [] };
is_deeply([sort @in_page], [sort keys %seed], 'every seed event is in it, once (' . scalar(@in_page) . ')');
my ($month) = grep { $_->{event}{start} =~ /^\d{4}-\d\d$/ && !defined $_->{event}{end} } @{ $doc->{events} // [] };
ok($month, 'a month-precision seed event is there') and
    ok($month->{draw}{hi} - $month->{draw}{lo} >= 28 * 86400000 && $month->{draw}{start_precision} eq 'month',
       "$month->{event}{start} is drawn over its whole month");

# -o - writes the same page to stdout.
$r = client('render', $from, $to, '-o', '-');
is($r->exit, 0, 'annals render -o - exits 0');
ok($r->out eq $page, 'and writes the same page to stdout');

# --- in Chromium -----------------------------------------------------------------------
$r = chromium('--dump-dom', "file://$page_file");
is($r->exit, 0, 'chromium --dump-dom exits 0') or diag($r->describe);
my $dom = Encode::decode('UTF-8', $r->out);
my @drawn = drawn($dom);
is(scalar @drawn, scalar @seed, 'the DOM has one drawn element per seed event');
is_deeply([sort map { $_->[0] } @drawn], [sort keys %seed], 'with the ids of the seed events');
my @bad_kind = grep { !$seed{$_->[0]} || $_->[1] ne ($seed{$_->[0]}{kind} // 'other') } @drawn;
is(scalar @bad_kind, 0, "each with its event's kind as data-kind")
    or diag(join "\n", map { "$_->[0]: $_->[1]" } @bad_kind);
my @unplaced = grep { $_->[2] !~ /style="[^"]*left: -?[\d.]+px;[^"]*top: [\d.]+px/ } @drawn;
is(scalar @unplaced, 0, 'each placed on the axis and in a lane by the script');
my $labels = () = $dom =~ m{<span class="label" dir="auto"[^>]*>}g;
is($labels, scalar @seed, 'each labelled with its title in a dir="auto" span');
my $arabic = grep { ($_->{title} // '') =~ /\p{Arabic}/ } @seed;
my $ar_labels = () = $dom =~ m{<span class="label" dir="auto"[^>]*>[^<]*\p{Arabic}}g;
ok($arabic > 0 && $ar_labels == $arabic, "the $arabic Arabic titles are in dir=auto labels (right to left)");
like($dom, qr{<span id="summary">\Q${\ scalar @seed}\E events}, 'the summary counts the events');
my @legend = $dom =~ m{<button type="button" aria-pressed="true" data-kind="([^"]+)">}g;
my %kinds = map { (($_->{kind} // 'other') => 1) } @seed;
is_deeply([sort @legend], [sort keys %kinds], 'the legend has one entry per kind');

my ($ga) = grep { ($_->{end} // '') ne '' && ($_->{kind} // '') eq 'conference' } @seed;
SKIP: {
    skip 'no conference in the seed timeline', 3 unless $ga;
    $r = chromium('--dump-dom', "file://$page_file#$ga->{id}");
    my $sel = Encode::decode('UTF-8', $r->out);
    my ($attrs, $body) = $sel =~ m{<aside id="details"([^>]*)>(.*?)</aside>}s;
    ok(defined $attrs && $attrs !~ /\bhidden\b/, 'page.html#ID opens the details of that event');
    ok(defined $body && index(unhtml($body), $ga->{title}) >= 0 && index(unhtml($body), $ga->{id}) >= 0,
       'they show its title and id');
    ok(defined $body && index($body, "$ga->{start} (known to the day)") >= 0,
       'and its dates as written, with their precision');
}

my ($child) = grep { defined $_->{parent} && $seed{$_->{parent}} } @seed;
SKIP: {
    skip 'no seed event has a parent', 1 unless $child;
    $r = chromium('--dump-dom', "file://$page_file#$child->{id}");
    my ($body) = Encode::decode('UTF-8', $r->out) =~ m{<aside id="details"[^>]*>(.*?)</aside>}s;
    like($body // '', qr{<a href="#\Q$child->{parent}\E">\Q$child->{parent}\E</a>},
         "an event's parent on the page is a link that selects it");
}

# The screenshot of README.md is this one: ANNALS_RENDER_SHOT=FILE keeps it.
my $shot = "$tmp/timeline.png";
$r = chromium("--screenshot=$shot", '--window-size=1280,800',
              "file://$page_file" . ($ga ? "#$ga->{id}" : ''));
is($r->exit, 0, 'chromium --screenshot exits 0') or diag($r->describe);
my $png = read_file($shot) // '';
is(substr($png, 0, 8), "\x89PNG\r\n\x1a\n", 'the screenshot is a PNG');
my ($w, $h) = length $png >= 24 && substr($png, 12, 4) eq 'IHDR' ? unpack('NN', substr($png, 16, 8)) : ();
is_deeply([$w, $h], [1280, 800], 'of 1280x800 (IHDR)');
write_file($ENV{ANNALS_RENDER_SHOT}, $png) if $ENV{ANNALS_RENDER_SHOT};
cmp_ok(length $png, '>', 30_000, 'and not blank (a blank page compresses to a few KB): ' . length($png) . ' bytes');

# --- hostile event text ----------------------------------------------------------------------
my $payload = "</script><script>document.body.setAttribute('data-pwned','script')</script>"
            . "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"><!-- \x{2028}x\x{2029}";
my $hostile = { id => 'hostile-</script>', kind => 'meeting', start => '1999-05',
                title => $payload, summary => "<b>bold?</b> $payload",
                participants => [{ name => $payload }], place => { name => $payload },
                sources => [{ url => 'https://example.org/"><script>x</script>', title => $payload }] };
$r = client('put', { stdin_raw => to_json($hostile) });
is($r->exit, 0, 'an event with hostile text is stored') or diag($r->describe);
my $hostile_file = "$tmp/hostile.html";
$r = client('render', '1999', '1999', '-o', $hostile_file, '--title', $payload);
is($r->exit, 0, 'and rendered, with a hostile --title as well') or diag($r->describe);
my $hpage = read_file($hostile_file) // '';
my ($hdata, $hrest) = split_page($hpage);
my $tpl = read_file(top_dir() . '/client/render/timeline.html');
for my $tag ('</script', '<script', '<img', '<!--') {
    my $n = () = $hpage =~ /\Q$tag\E/gi;
    my $t = () = $tpl =~ /\Q$tag\E/gi;
    is($n, $t, "the page has no $tag beyond the template's own ($t)");
}
my $hdoc = eval { from_json($hdata // '') };
is($hdoc && $hdoc->{events}[0]{event}{title}, $payload, 'the JSON block gives the title back intact');
$r = chromium('--dump-dom', "file://$hostile_file#" . 'hostile-%3C%2Fscript%3E');
my $hdom = Encode::decode('UTF-8', $r->out);
unlike($hdom, qr/<[a-z]+\b[^>]*\bdata-pwned=/i, 'no script of the event text ran (no element got data-pwned)');
unlike($hdom, qr/<img\b/i, 'no image of it was made');
my $scripts = () = $hdom =~ /<script\b/gi;
is($scripts, 2, "the DOM holds only the page's two script elements");
my @hdrawn = drawn($hdom);
is_deeply([map { $_->[0] } @hdrawn], ['hostile-</script>'], 'the event is drawn once, its id as data-id');
my ($hlabel) = $hdom =~ m{<span class="label" dir="auto"[^>]*>(.*?)</span>}s;
is(unhtml($hlabel // ''), $payload, 'its title shows as text, character for character');
my ($hbody) = $hdom =~ m{<aside id="details"[^>]*>(.*?)</aside>}s;
ok($hbody && index(unhtml($hbody), "<b>bold?</b>") >= 0, 'the details show its summary as text');
my @links = ($hbody // '') =~ m{<a\b[^>]*\bhref="([^"]*)"}g;
is_deeply([map { unhtml($_) } @links], [$hostile->{sources}[0]{url}],
          'its source is one link to its https URL, as an attribute, not markup');
like(Encode::decode('UTF-8', $hpage), qr{<title>\Q&lt;/script&gt;&lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;\E},
     'the --title is escaped into <title>');

# --- names that a plain JavaScript object already has -----------------------------
# A kind, id, tag or extra key such as "constructor" or "__proto__" must be
# looked up as data: in a {} it would find Object.prototype's members instead
# (and once blanked the whole page).
my @proto_kinds = qw(constructor tostring valueof hasownproperty isprototypeof proto);
my @proto_events = map {
    { id => ($proto_kinds[$_] eq 'proto' ? '__proto__' : $_ ? "k-$proto_kinds[$_]" : 'constructor'),
      kind => $proto_kinds[$_], start => sprintf('1998-%02d', $_ + 1), title => "kind $proto_kinds[$_]",
      tags => ['constructor', 'tostring'], parent => ($_ ? 'constructor' : undef),
      extra => { '__proto__' => { polluted => 1 }, constructor => 'x' } }
} 0 .. $#proto_kinds;
write_file("$tmp/proto.jsonl", join('', map { to_json($_) . "\n" } @proto_events));
$r = client('import', "$tmp/proto.jsonl");
is($r->exit, 0, 'events whose kinds and ids are names of Object.prototype are stored') or diag($r->describe);
$r = client('render', '1998', '1998', '-o', "$tmp/proto.html");
is($r->exit, 0, 'and rendered') or diag($r->describe);
$r = chromium('--dump-dom', "file://$tmp/proto.html#__proto__");
my $pdom = Encode::decode('UTF-8', $r->out);
my @pdrawn = drawn($pdom);
is_deeply([sort map { "$_->[0] $_->[1]" } @pdrawn], [sort map { "$_->{id} $_->{kind}" } @proto_events],
          'Chromium draws every one of them, with its id and kind');
my @pplaced = grep { $_->[2] =~ /style="[^"]*left: -?[\d.]+px;[^"]*top: [\d.]+px/ } @pdrawn;
is(scalar @pplaced, scalar @proto_events, 'each placed on the axis and in a lane');
my @plegend = $pdom =~ m{<button type="button" aria-pressed="true" data-kind="([^"]+)">}g;
is_deeply([sort @plegend], [sort @proto_kinds], 'the legend has each of these kinds');
my @swatches = $pdom =~ m{<span class="swatch" style="background: (rgb\([^)]*\))}g;
is(scalar(grep { defined } @swatches), scalar @proto_kinds, 'each with a colour of its own')
    and is(scalar(keys %{{ map { ($_ => 1) } @swatches }}), scalar @proto_kinds, 'no two alike');
my ($pbody) = $pdom =~ m{<aside id="details"([^>]*>.*?)</aside>}s;
ok(defined $pbody && $pbody !~ /^[^>]*\bhidden\b/ && index($pbody, 'kind proto') >= 0,
   'page.html#__proto__ opens the details of the event of that id');
like($pbody // '', qr{<a href="#constructor">constructor</a>}, 'whose parent "constructor" is a link to it');

# --- an empty window -----------------------------------------------------------------------
$r = client('render', '1900', '1900', '-o', "$tmp/empty.html");
is($r->exit, 0, 'a window without events renders too');
my ($edata) = split_page(read_file("$tmp/empty.html") // '');
is_deeply((eval { from_json($edata // '') } // {})->{events}, [], 'its JSON holds no event');
$r = chromium('--dump-dom', "file://$tmp/empty.html");
my $edom = Encode::decode('UTF-8', $r->out);
is(scalar(drawn($edom)), 0, 'Chromium draws none');
like($edom, qr{<p id="empty">No event matches this window and these filters\.</p>}, 'and says so');
my @eticks = $edom =~ m{<span class="tick-label"[^>]*>([^<]*)</span>}g;
ok(@eticks && !grep({ !/^1900\b/ } @eticks), 'its axis shows the window asked for (ticks: ' . join(' ', @eticks) . ')');

# --- many events -----------------------------------------------------------------------
# 3000 events over a decade: every one is drawn, and the lanes are reused
# (labels are cut short rather than each opening a lane). With --limit below
# the count, the page holds the first ones and says how many there are.
my $many = 3000;
my @kinds5 = qw(meeting visit agreement conference other);
write_file("$tmp/many.jsonl", join '', map {
    my $day = int($_ * 3652 / $many);
    my @t = gmtime(-315619200 + $day * 86400);    # from 1960-01-01
    my $start = sprintf('%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3]);
    my @e = gmtime(-315619200 + ($day + $_ % 40) * 86400);
    to_json({ id => "many-$_", kind => $kinds5[$_ % 5], start => $_ % 7 ? $start : substr($start, 0, 7),
              ($_ % 10 == 3 ? (end => sprintf('%04d-%02d-%02d', $e[5] + 1900, $e[4] + 1, $e[3])) : ()),
              title => "Event number $_ of the decade" }) . "\n"
} 0 .. $many - 1);
$r = client('import', "$tmp/many.jsonl");
is($r->exit, 0, "$many events over 1960-1969 are imported") or diag($r->describe);
$r = client('render', '1960', '1969', '-o', "$tmp/many.html");
is($r->exit, 0, 'and rendered') or diag($r->describe);
is($r->err, '', 'with nothing on stderr (under the default --limit)');
my $t0 = time;
$r = chromium('--dump-dom', "file://$tmp/many.html");
diag(sprintf('chromium --dump-dom of %d events: %ds (a diagnostic, not a test)', $many, time - $t0));
my $mdom = Encode::decode('UTF-8', $r->out);
my @mdrawn = drawn($mdom);
is(scalar @mdrawn, $many, "Chromium draws all $many");
my @mplaced = grep { $_->[2] =~ /style="[^"]*left: -?[\d.]+px;[^"]*top: [\d.]+px/ } @mdrawn;
is(scalar @mplaced, $many, 'each placed on the axis and in a lane');
my %tops = map { (($_->[2] =~ /top: ([\d.]+)px/)[0] => 1) } @mplaced;
cmp_ok(scalar keys %tops, '<', $many / 5, 'in lanes that are reused: ' . scalar(keys %tops) . " lanes for $many events");
like($mdom, qr{<span id="summary">3,000 events}, 'the summary counts them');

$r = client('render', '1960', '1969', '--limit', '1000', '-o', "$tmp/some.html");
is($r->exit, 0, '--limit 1000: exit 0') or diag($r->describe);
like($r->err, qr/the page shows the first 1000 of the window's 3000 events/, 'stderr says how many are left out');
my ($sdata) = split_page(read_file("$tmp/some.html") // '');
my $sdoc = eval { from_json($sdata // '') } // {};
my @first = map { $_->{id} } json_lines(client('range', '1960', '1969', '--limit', '1000')->out);
is(scalar @first, 1000, 'range --limit 1000 lists 1000');
is_deeply([map { $_->{event}{id} } @{ $sdoc->{events} // [] }], \@first,
          'the page holds those, the first 1000 by date');
is($sdoc->{total}, 3000, 'and the total');
$r = chromium('--dump-dom', "file://$tmp/some.html");
my $sdom = Encode::decode('UTF-8', $r->out);
is(scalar(drawn($sdom)), 1000, 'Chromium draws 1000');
like($sdom, qr{<span id="summary">showing 1,000 of 3,000 events}, 'and the header says "showing 1,000 of 3,000 events"');
$r = client('render', '1960', '1969', '--limit', '3000', '-o', "$tmp/all.html");
is($r->err, '', '--limit equal to the count: nothing left out, nothing said');
$r = client('render', '1960', '1969', '--limit', '0', '-o', '-');
is($r->exit, 0, '--limit 0: no limit');
my ($adata) = split_page($r->out);
is(scalar @{ (eval { from_json($adata // '') } // {})->{events} // [] }, $many, "the page holds all $many");
for my $bad ('-1', 'ten', '') {
    $r = client('render', '--limit', $bad, '-o', "$tmp/bad.html");
    is($r->exit, 2, "--limit '$bad': usage error");
}
like($r->err, qr/--limit must be a count of events/, 'saying what --limit takes');

# --- bad input --------------------------------------------------------------------------------
$r = client('render', $from, $to);
is($r->exit, 2, 'without -o: usage error (exit 2)');
like($r->err, qr/-o FILE is required/, 'saying -o FILE is required');
$r = client('render', '-o', '');
is($r->exit, 2, '-o with an empty name: usage error');
$r = client('render', '-o', "$tmp/no/such/dir/t.html");
is($r->exit, 5, 'a file in a directory that does not exist: exit 5');
like($r->err, qr{cannot write \Q$tmp\E/no/such/dir/t\.html: No such file or directory}, 'saying why');
write_file("$tmp/plain", "x");
$r = client('render', '-o', "$tmp/plain/t.html");
is($r->exit, 5, 'a file under a regular file: exit 5');
like($r->err, qr/Not a directory/, 'saying why');
mkdir "$tmp/adir";
$r = client('render', '-o', "$tmp/adir");
is($r->exit, 5, 'a directory as the file: exit 5');
like($r->err, qr/cannot write .*adir: Is a directory/, 'saying why');
is_deeply([glob("$tmp/adir/* $tmp/adir/.*.tmp $tmp/*.tmp")], [], 'and no temporary file is left');

write_file("$tmp/keep.html", "the previous page");
$r = client('render', '2024-13', '-o', "$tmp/keep.html");
is($r->exit, 4, 'a bad FROM date: the server refuses it (exit 4)');
like($r->err, qr/bad_request.*2024-13/, 'naming the date');
is(read_file("$tmp/keep.html"), 'the previous page', 'and the existing page is left as it was');
$r = client('render', '2025', '2024', '-o', "$tmp/keep.html");
is($r->exit, 4, 'TO before FROM: exit 4');
is(read_file("$tmp/keep.html"), 'the previous page', 'the existing page still stands');
is_deeply([grep { /\.tmp$/ } glob("$tmp/*")], [], 'no temporary file is left after a failed render');
$r = client('render', '--title', "\xff\xfe", '-o', "$tmp/keep.html");
is($r->exit, 2, 'a --title that is not UTF-8: usage error');
like($r->err, qr/--title is not valid UTF-8/, 'saying so');
$r = client('render', '--mode', 'sideways', '-o', "$tmp/keep.html");
is($r->exit, 2, 'a bad --mode: usage error, as for range');
$r = client('render', $from, $to, '-o', "$tmp/keep.html");
is($r->exit, 0, 'a good render replaces an existing file');
like(read_file("$tmp/keep.html"), qr/\A<!DOCTYPE html>/, 'with the page');

# Stopped with Ctrl-C while it waits for the server (here a listener that
# accepts and never answers), render leaves no temporary file behind.
{
    require IO::Socket::UNIX;
    my $mute = "$tmp/mute.sock";
    my $l = IO::Socket::UNIX->new(Local => $mute, Listen => 5) or die "listen $mute: $!";
    my $p = spawn_client('render', '-o', "$tmp/stopped.html", '--timeout', '60',
                         { socket => $mute, timeout => 30 });
    ok(wait_until(sub { grep { /stopped\.html\.\d+\.tmp$/ } glob("$tmp/*") }, 10),
       'while render waits for the server, its temporary file exists');
    kill 'INT', $p->pid;
    my $res = $p->wait;
    is($res->signal, 2, 'SIGINT ends it, by the signal') or diag($res->describe);
    is_deeply([grep { /stopped/ } glob("$tmp/*")], [], '... and neither the page nor its temporary file is left');
    close $l;
}

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
