#!/usr/bin/perl
# `annals import --format gdelt` loads the real GDELT files of
# ../shared/data/gdelt (a 2.0 export of 61 columns, a 1.0 sample of 57- and
# 58-column rows) into a real annalsd: one event per GLOBALEVENTID, kinds
# from the CAMEO codes, days from SQLDATE, countries and places through the
# CAMEO and FIPS code tables, sources from SOURCEURL; importing again
# updates instead of duplicating; bad rows are reported with their line
# numbers (exit 5, stopping, or skipped with --skip-invalid). `--format csv`
# loads RFC 4180 CSV with a header naming event fields. Every expected
# figure is computed here from the files themselves.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use File::Temp ();
use Test::More;
use Annals::Test;

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

my $data = top_dir() . '/../shared/data/gdelt';
my $v2 = "$data/gdelt2-20191024143000.export.CSV";
my $v1 = "$data/gdelt1-sample-events.csv";
if (!ok(-r $v2 && -r $v1, "the GDELT files are in ../shared/data/gdelt ($data)")) {
    done_testing();
    exit;
}
my $dir = File::Temp->newdir('annals-gdelt-XXXXXX', DIR => '/tmp');

# ---- what the files say, read here with split and nothing else -----------------
sub read_rows {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    my @rows;
    while (my $line = <$fh>) {
        $line =~ s/\r?\n\z//;
        push @rows, [map { Encode::decode('UTF-8', $_, Encode::FB_CROAK) } split /\t/, $line, -1];
    }
    return @rows;
}
my @rows2 = read_rows($v2);
my @rows1 = read_rows($v1);

# Column positions: 1.0 geographies have 7 columns, 2.0 ones 8 (ADM2Code).
sub col {
    my ($row, $name) = @_;
    my %common = (GLOBALEVENTID => 0, SQLDATE => 1, Actor1Name => 6, Actor1CountryCode => 7,
                  Actor2Name => 16, Actor2CountryCode => 17, EventCode => 26, NumMentions => 31);
    return $row->[$common{$name}] if exists $common{$name};
    my $g = @$row == 61 ? 8 : 7;
    my %geo = (ActionGeo_Type => 35 + 2 * $g, ActionGeo_FullName => 36 + 2 * $g,
               ActionGeo_CountryCode => 37 + 2 * $g,
               ActionGeo_Lat => 35 + 2 * $g + $g - 3, ActionGeo_Long => 35 + 2 * $g + $g - 2,
               DATEADDED => 35 + 3 * $g, SOURCEURL => 36 + 3 * $g);
    return $row->[$geo{$name}];
}

my %KIND = ('042' => 'visit', '043' => 'visit', '036' => 'meeting', '040' => 'meeting',
            '044' => 'meeting', '045' => 'meeting', '046' => 'meeting', '057' => 'agreement');
# A few codes of each table, enough to catch a wrong row or a naive reading
# (FIPS MO is Morocco, RS Russia, SF South Africa; EUR and AFR are regions).
my %ISO3 = (USA => 'US', GBR => 'GB', RUS => 'RU', SYR => 'SY', CHN => 'CN', FRA => 'FR',
            CAN => 'CA', TUR => 'TR', IRN => 'IR', JPN => 'JP', DEU => 'DE', MAR => 'MA',
            ESP => 'ES', ZAF => 'ZA', PSE => 'PS');
my %REGION = map { $_ => 1 } qw(AFR EUR MEA SAF SEA WST ASA);
my %FIPS = (US => 'US', UK => 'GB', RS => 'RU', SF => 'ZA', MO => 'MA', SP => 'ES', GM => 'DE',
            CH => 'CN', IN => 'IN', SY => 'SY', CA => 'CA', TU => 'TR', EI => 'IE', JA => 'JP',
            AS => 'AU', BO => 'BY', RP => 'PH', IS => 'IL', LE => 'LB');

# GDELT's dating artefact: SQLDATE exactly one month or one year (the same
# day of the month) before DATEADDED's day makes an uncertain start.
sub suspect {
    my ($row) = @_;
    my ($y, $m, $d) = col($row, 'SQLDATE') =~ /^(\d{4})(\d\d)(\d\d)$/ or return 0;
    my ($ay, $am, $ad) = col($row, 'DATEADDED') =~ /^(\d{4})(\d\d)(\d\d)/ or return 0;
    return 0 unless $d == $ad;
    return 1 if $y == $ay - 1 && $m == $am;
    my ($py, $pm) = $am == 1 ? ($ay - 1, 12) : ($ay, $am - 1);
    return $y == $py && $m == $pm ? 1 : 0;
}

# expected(rows): by id, the last row with that GLOBALEVENTID.
sub expected {
    my %by;
    $by{'gdelt-' . col($_, 'GLOBALEVENTID')} = $_ for @_;
    return \%by;
}
my $exp2 = expected(@rows2);
my $exp1 = expected(@rows1);
my %widths1;
$widths1{scalar @$_}++ for @rows1;
is(scalar(grep { @$_ == 61 } @rows2), scalar @rows2, 'the 2.0 file: every row has 61 columns');
ok($widths1{57} && $widths1{58}, "the 1.0 sample: rows of 57 ($widths1{57}) and 58 ($widths1{58}) columns");

my $d = start_daemon();

sub export_by_id {
    my %by = map { ($_->{id} => $_) } $d->client('export')->json_lines;
    return \%by;
}

# ---- the GDELT 2.0 file, its format guessed from its name -------------------------
my $r = $d->client('import', $v2);
is($r->exit, 0, 'the GDELT 2.0 export imports (exit 0)') or diag($r->describe);
like($r->err, qr/reading \Q$v2\E as gdelt \(from its name/, 'the format is guessed from the name .export.CSV, and said');
like($r->err, qr/imported ${\ scalar @rows2} events from/, 'every row is sent as an event');
is(($d->client('count')->json // {})->{count}, scalar keys %$exp2,
   'count: one event per distinct GLOBALEVENTID');

my $got = export_by_id();
my (%bad, $checked_countries, $checked_places, $regional);
for my $id (sort keys %$exp2) {
    my ($row, $e) = ($exp2->{$id}, $got->{$id});
    if (!$e) { $bad{missing}++; next }
    my $code = col($row, 'EventCode');
    $bad{kind}++ unless $e->{kind} eq ($KIND{$code} // 'other');
    $bad{cameo}++ unless $e->{cameo} eq $code;
    my ($y, $m, $dd) = col($row, 'SQLDATE') =~ /^(\d{4})(\d\d)(\d\d)$/;
    my $sus = suspect($row);
    $bad{start}++ unless $e->{start} eq "$y-$m-$dd" . ($sus ? '?' : '');
    my $url = col($row, 'SOURCEURL');
    $bad{sources}++ unless ($e->{sources}[0]{url} // '') eq $url;
    $bad{tags}++ unless "@{$e->{tags}}" eq ($sus ? 'gdelt gdelt-date-suspect' : 'gdelt');
    $bad{extra}++ unless ($e->{extra}{gdelt}{globaleventid} // '') eq col($row, 'GLOBALEVENTID')
        && ($e->{extra}{gdelt}{num_mentions} // -1) == col($row, 'NumMentions')
        && ($e->{extra}{gdelt}{date_added} // '') eq col($row, 'DATEADDED');
    my %cs = map { $_ => 1 } @{ $e->{countries} // [] };
    for my $a ('Actor1CountryCode', 'Actor2CountryCode') {
        my $c = col($row, $a);
        if ($ISO3{$c}) { $checked_countries++; $bad{countries}++ unless $cs{$ISO3{$c}} }
        $regional++ if $REGION{$c};
    }
    my $name = col($row, 'ActionGeo_FullName');
    if ($name ne '') {
        if (($e->{place}{name} // '') ne $name) {
            $bad{place}++;
            diag("place of $id: $name vs " . to_json($e->{place})) if $bad{place} < 3;
        }
        my $fips = col($row, 'ActionGeo_CountryCode');
        if ($FIPS{$fips}) {
            $checked_places++;
            $bad{place_country}++ unless ($e->{place}{country} // '') eq $FIPS{$fips} && $cs{$FIPS{$fips}};
        }
        $bad{lat}++ if col($row, 'ActionGeo_Lat') ne '' && abs($e->{place}{lat} - col($row, 'ActionGeo_Lat')) > 1e-9;
    } else {
        $bad{noplace}++ if $e->{place};
    }
    my ($a1, $a2) = (col($row, 'Actor1Name'), col($row, 'Actor2Name'));
    $bad{title}++ if $a1 ne '' && $a2 ne '' && index($e->{title}, "$a1 → $a2: ") != 0;
    $bad{participants}++ unless scalar(@{ $e->{participants} // [] }) == ($a1 ne '') + ($a2 ne '');
}
is_deeply(\%bad, {}, 'every 2.0 event: kind and cameo from EventCode, start from SQLDATE, source, '
                    . 'tags, extra, place, title and participants as the row says')
    or diag(explain(\%bad));
cmp_ok($checked_countries, '>', 500, "actor countries checked through the alpha-3 table ($checked_countries)");
cmp_ok($checked_places, '>', 500, "places checked through the FIPS table ($checked_places)");
cmp_ok($regional, '>', 0, "regional actor codes (EUR, AFR...) occur ($regional) and made no country");
my %all_cc = map { $_ => 1 } map { @{ $_->{countries} // [] } } values %$got;
ok(!grep({ length != 2 } keys %all_cc), 'every country is a two-letter code');

# The traps of real data are kept, not merged away: rows that repeat
# another's date, actors, code and URL, and visits coded both 042 and 043,
# are each their own event (the ids say they are GDELT's distinct records).
my (%seen, $repeats);
for my $row (@rows2) {
    my $key = join '|', map { col($row, $_) } qw(SQLDATE Actor1Name Actor2Name EventCode SOURCEURL);
    $repeats++ if $seen{$key}++;
}
cmp_ok($repeats, '>', 0, "the 2.0 file repeats rows ($repeats)");
is(scalar(grep { $got->{"gdelt-$_->[0]"} } @rows2), scalar @rows2, '... and every row is an event of its own');

# Kinds counted by the server against the codes counted here.
for my $kind (qw(visit meeting agreement)) {
    my $want = grep { ($KIND{col($exp2->{$_}, 'EventCode')} // '') eq $kind } keys %$exp2;
    my $c = $d->client('count', '--kind', $kind)->json // {};
    is($c->{count}, $want, "count --kind $kind: the rows coded " .
       join('/', sort grep { $KIND{$_} eq $kind } keys %KIND) . " ($want)");
}

# Suspect dates: counted here from the file, and by the server by their tag.
my $suspect2 = grep { suspect($exp2->{$_}) } keys %$exp2;
cmp_ok($suspect2, '>', 0, "the 2.0 file has rows dated a month or a year before DATEADDED ($suspect2)");
is(($d->client('count', '--tag', 'gdelt-date-suspect')->json // {})->{count}, $suspect2,
   'count --tag gdelt-date-suspect: those rows');

# FIPS codes that name no country today (YI, Serbia and Montenegro; OS,
# oceans) add none, and stay in extra.gdelt.
my %nocountry;
for my $id (sort keys %$exp2) {
    my ($row, $e) = ($exp2->{$id}, $got->{$id});
    for my $k (0 .. 2) {
        my $fips = $row->[35 + 8 * $k + 2];                   # <Geo>_CountryCode
        next unless $fips eq 'YI' || $fips eq 'OS';
        my $key = (qw(actor1_geo actor2_geo action_geo))[$k];
        $nocountry{$fips}++;
        is(($e->{extra}{gdelt}{$key}{country} // ''), $fips, "$id: FIPS $fips is kept in extra.gdelt.$key");
        ok(!exists $e->{place}{country}, "$id: ... and makes no place.country") if $k == 2;
    }
}
ok($nocountry{YI} && $nocountry{OS},
   "the 2.0 file has geographies in YI ($nocountry{YI}) and OS ($nocountry{OS})");

# ---- the GDELT 1.0 sample -------------------------------------------------------------
my %before = %$got;
$r = $d->client('import', '--format', 'gdelt', $v1);
is($r->exit, 0, 'the GDELT 1.0 sample imports with --format gdelt') or diag($r->describe);
my %union = (%$exp2, %$exp1);
is(($d->client('count')->json // {})->{count}, scalar keys %union, 'count: the distinct ids of both files');
$got = export_by_id();
my %bad1;
for my $id (sort keys %$exp1) {
    my ($row, $e) = ($exp1->{$id}, $got->{$id});
    if (!$e) { $bad1{missing}++; next }
    $bad1{version}++ unless $e->{extra}{gdelt}{version} == 1;
    $bad1{kind}++ unless $e->{kind} eq ($KIND{col($row, 'EventCode')} // 'other');
    my ($y, $m, $dd) = col($row, 'SQLDATE') =~ /^(\d{4})(\d\d)(\d\d)$/;
    $bad1{start}++ unless $e->{start} eq "$y-$m-$dd" . (suspect($row) ? '?' : '');
    my $url = @$row == 58 ? col($row, 'SOURCEURL') : '';
    $bad1{sources}++ unless ($e->{sources}[0]{url} // '') eq ($url =~ m{^https?://} ? $url : '');
    my $name = col($row, 'ActionGeo_FullName');
    $bad1{place}++ unless ($e->{place}{name} // '') eq $name;
    my $fips = col($row, 'ActionGeo_CountryCode');
    $bad1{place_country}++ if $FIPS{$fips} && ($e->{place}{country} // '') ne $FIPS{$fips};
}
is_deeply(\%bad1, {}, 'every 1.0 event, of 57 and 58 columns, as its row says') or diag(explain(\%bad1));
my $suspect1 = grep { suspect($union{$_}) } keys %union;
is(($d->client('count', '--tag', 'gdelt-date-suspect')->json // {})->{count}, $suspect1,
   "count --tag gdelt-date-suspect after the 1.0 sample (DATEADDED YYYYMMDD): $suspect1");

# Importing the 1.0 sample without --format: its name says CSV, its first
# line (58 tab-separated columns) GDELT.
$r = $d->client('import', $v1);
is($r->exit, 0, 'a GDELT file named .csv imports without --format') or diag($r->describe);
like($r->err, qr/reading \Q$v1\E as gdelt \(from its name and its first line of ${\ scalar @{ $rows1[0] }} tab-separated columns; --format chooses\)/,
     '... guessed from its first line, and said');
is(($d->client('count')->json // {})->{count}, scalar keys %union, '... updating the same events');

# Tab-separated lines of another width: a .csv is read as CSV, whose header
# error points at --format gdelt; a .tsv is no format annals can tell.
my $narrow = join("\t", @{ $rows2[0] }[0 .. 40]) . "\n";
write_file("$dir/narrow.csv", $narrow);
$r = $d->client('import', "$dir/narrow.csv");
is($r->exit, 5, 'a .csv of 41 tab-separated columns is read as CSV and refused (exit 5)');
like($r->err, qr/narrow\.csv:1: header: .*tab-separated: GDELT rows are imported with --format gdelt/,
     '... pointing at --format gdelt');
write_file("$dir/table.tsv", "name\tdate\nRabat\t2024\n");
$r = $d->client('import', "$dir/table.tsv");
is($r->exit, 2, 'a .tsv that is no GDELT file is a usage error (exit 2)');
like($r->err, qr/table\.tsv: cannot tell its format: its first line has 2 tab-separated columns, and a GDELT row has 57, 58 or 61 .*--format chooses/,
     '... saying why and what to do');
is(($d->client('count')->json // {})->{count}, scalar keys %union, '... and nothing is imported');

# ---- re-import: updates, no duplicates ---------------------------------------------------
my ($e0, $h0) = rpc('hello');
$r = $d->client('import', '--format', 'gdelt', $v2);
is($r->exit, 0, 'importing the 2.0 file again exits 0');
is(($d->client('count')->json // {})->{count}, scalar keys %union, '... and the count is unchanged');
my ($e1, $h1) = rpc('hello');
is($h1->{seq} - $h0->{seq}, scalar @rows2, '... each row a new version of its event (seq moved by the rows)');

my @mod = @{ $rows2[2] };
my $mid = 'gdelt-' . $mod[0];
my $old = $d->client('get', $mid)->json // {};
$mod[26] = $mod[26] eq '057' ? '042' : '057';
$mod[31] = 4242;                                           # NumMentions
my $want_kind = $KIND{$mod[26]};
write_file("$dir/one.tsv", Encode::encode('UTF-8', join("\t", @mod) . "\n"));
$r = $d->client('import', "$dir/one.tsv");
is($r->exit, 0, 'a modified row (as .tsv: gdelt by its first line) imports') or diag($r->describe);
like($r->err, qr/reading \Q$dir\E\/one\.tsv as gdelt \(from its name and its first line of 61 tab-separated columns/,
     '... guessed from its first line, and said');
my $new = $d->client('get', $mid)->json // {};
is($new->{kind}, $want_kind, "the event is updated: kind $old->{kind} -> $want_kind");
is($new->{extra}{gdelt}{num_mentions}, 4242, '... and its extra');
is($new->{created}, $old->{created}, '... the same event (created kept)');
is(($d->client('count')->json // {})->{count}, scalar keys %union, '... still no duplicate');

# ---- bad rows --------------------------------------------------------------------------
my @lines = map { join("\t", @$_) } @rows2[100 .. 129];
$lines[4] = join("\t", @{ $rows2[104] }[0 .. 40]);                 # line 5: 41 columns
{ my @x = @{ $rows2[111] }; $x[1] = '20190231'; $lines[11] = join("\t", @x) }   # line 12
{ my @x = @{ $rows2[119] }; $x[26] = 'x57'; $lines[19] = join("\t", @x) }       # line 20
my $badfile = write_file("$dir/bad.export.CSV", Encode::encode('UTF-8', join('', map { "$_\n" } @lines)));
my @ids = map { 'gdelt-' . $_->[0] } @rows2[100 .. 129];

sub fresh_import {
    my (@args) = @_;
    my $f = start_daemon();
    my $res = $f->client('import', @args);
    my @have = sort map { $_->{id} } $f->client('export')->json_lines;
    is($f->stop, 0, 'daemon exits 0');
    $Annals::Test::CURRENT = $d;
    return ($res, \@have);
}

my ($rb, $have) = fresh_import($badfile);
is($rb->exit, 5, 'a bad row stops the import with exit 5');
like($rb->err, qr/\Q$badfile\E:5: 41 tab-separated columns; a GDELT event row has 57 or 58 \(GDELT 1\.0\) or 61/,
     '... reporting FILE:5 and the column count');
is_deeply($have, [sort @ids[0 .. 3]], '... with the rows before it stored and none after');

($rb, $have) = fresh_import('--skip-invalid', $badfile);
is($rb->exit, 5, '--skip-invalid: exit 5 when rows were left out');
like($rb->err, qr/\Q$badfile\E:5: 41 tab-separated columns/, '--skip-invalid reports line 5');
like($rb->err, qr/\Q$badfile\E:12: SQLDATE: '20190231' is not a valid date/, '... line 12, an impossible date');
like($rb->err, qr/\Q$badfile\E:20: EventCode: 'x57' is not a CAMEO event code/, '... line 20, a bad EventCode');
like($rb->err, qr/imported 27 events from \Q$badfile\E, skipped 3/, '... and counts 27 imported, 3 skipped');
is_deeply($have, [sort @ids[grep { $_ != 4 && $_ != 11 && $_ != 19 } 0 .. 29]],
          '... the other rows are stored');

# A line over the cap (a real row with a 2 MiB SOURCEURL, still 61 columns)
# is a bad row of its own, read past; the rows around it import.
{
    my @huge = @{ $rows2[130] };
    $huge[-1] = 'https://example.com/' . ('x' x (2 << 20));
    my @hl = ((map { join("\t", @$_) } @rows2[131, 132]), join("\t", @huge),
              join("\t", @{ $rows2[133] }));
    my $hugefile = write_file("$dir/huge.export.CSV", Encode::encode('UTF-8', join('', map { "$_\n" } @hl)));
    ($rb, $have) = fresh_import('--skip-invalid', $hugefile);
    is($rb->exit, 5, 'a line over the cap: exit 5 with --skip-invalid');
    like($rb->err, qr/\Q$hugefile\E:3: line longer than \d+ bytes: no GDELT row is that long/,
         '... reported at its line');
    like($rb->err, qr/imported 3 events from \Q$hugefile\E, skipped 1/, '... the others imported');
    is_deeply($have, [sort map { "gdelt-$_->[0]" } @rows2[131, 132, 133]],
              '... the rows before and after it stored');
}

# ---- CSV with a header ---------------------------------------------------------------
my $csv = "\xEF\xBB\xBF" . Encode::encode('UTF-8', join("\r\n",
    'id,kind,title,start,end,place.city,place.country,place.lat,place.lon,countries,tags,sources,participants,extra.source.name,summary',
    'csv-1,meeting,"Bourita meets Albares, in Rabat",2024-04-08,,Rabat,MA,34.02,-6.84,MA;ES,diplomacy;security,https://example.org/a,Nasser Bourita;José Manuel Albares,Hespress,"A summary with ""quotes"",',
    'and a second line"',
    'csv-2,agreement,توقيع اتفاقية,2025-11,2025-12,,,,,MA ; FR,,,,,',
    'csv-3,visit,Bad date,2024-13-01,,,,,,,,,,,',
    'csv-4,visit,"Wide",2024,,,,,,,,,,,,extra-field',
    'csv-5,other,Last,2020~,,,,,,US,,,,,') . "\r\n");
my $csvfile = write_file("$dir/events.csv", $csv);
($rb, $have) = fresh_import('--skip-invalid', $csvfile);
is($rb->exit, 5, 'CSV: exit 5 with two bad records skipped');
like($rb->err, qr/reading \Q$csvfile\E as csv/, 'CSV: the format is guessed from .csv');
like($rb->err, qr/\Q$csvfile\E:5: start: '2024-13-01'/, 'CSV: the server\'s refusal is reported at line 5 (after a record of two lines)');
like($rb->err, qr/\Q$csvfile\E:6: 16 fields; the header has 15/, 'CSV: a record too wide, at line 6');
is_deeply($have, [qw(csv-1 csv-2 csv-5)], 'CSV: the good records are stored');

my $c = start_daemon();
$r = $c->client('import', '--format', 'csv', '-', { stdin_raw => $csv });
is($r->exit, 5, 'CSV from stdin with --format csv stops at the first bad record');
like($r->err, qr/stdin:5: start:/, '... at line 5');
my $e = $c->client('get', 'csv-1')->json // {};
is($e->{title}, 'Bourita meets Albares, in Rabat', 'CSV: a quoted comma');
is($e->{summary}, "A summary with \"quotes\",\r\nand a second line", 'CSV: doubled quotes and a line end inside quotes');
is_deeply($e->{place}, { city => 'Rabat', country => 'MA', lat => 34.02, lon => -6.84 }, 'CSV: place.* columns');
is_deeply($e->{countries}, [qw(MA ES)], 'CSV: countries split on ;');
is_deeply($e->{tags}, [qw(diplomacy security)], 'CSV: tags split on ;');
is_deeply($e->{sources}, [{ url => 'https://example.org/a' }], 'CSV: sources as URLs');
is_deeply($e->{participants}, [{ name => 'Nasser Bourita' }, { name => 'José Manuel Albares' }],
          'CSV: participants by name, UTF-8 intact');
is_deeply($e->{extra}, { source => { name => 'Hespress' } }, 'CSV: extra.source.name nests');
ok(!exists $e->{end}, 'CSV: an empty field leaves its event field out');
$e = $c->client('get', 'csv-2')->json // {};
is($e->{title}, 'توقيع اتفاقية', 'CSV: Arabic text');
is($e->{end}, '2025-12', 'CSV: end');
is_deeply($e->{countries}, [qw(MA FR)], 'CSV: list items trimmed');
is($c->stop, 0, 'daemon exits 0');
$Annals::Test::CURRENT = $d;

# A ';' inside a URL stays in it (sources split only before http(s)://),
# and a cameo column gives the kind when the record has none.
my $jsess = 'https://example.com/page;jsessionid=ABC?a=1;b=2';
write_file("$dir/urls.csv", "id,title,start,cameo,kind,sources\n"
           . "csv-u1,Visit,2024-04-08,042,,$jsess; http://other.example/x\n"
           . "csv-u2,Talks,2024-04-09,046,conference,$jsess\n");
$r = $d->client('import', "$dir/urls.csv");
is($r->exit, 0, 'CSV: URLs holding ; import') or diag($r->describe);
$e = $d->client('get', 'csv-u1')->json // {};
is_deeply($e->{sources}, [{ url => $jsess }, { url => 'http://other.example/x' }],
          'CSV: sources split only where a URL follows the ;');
is($e->{kind}, 'visit', 'CSV: cameo 042 without a kind makes a visit');
$e = $d->client('get', 'csv-u2')->json // {};
is($e->{kind}, 'conference', 'CSV: a kind given wins over cameo');

write_file("$dir/nohead.csv", "title,when\nT,2024\n");
$r = $d->client('import', "$dir/nohead.csv", '--skip-invalid');
is($r->exit, 5, 'a CSV header naming no event field stops the import, even with --skip-invalid');
like($r->err, qr/nohead\.csv:1: header: column 2, 'when', is not an event field/, '... saying which column');

write_file("$dir/empty.csv", '');
$r = $d->client('import', "$dir/empty.csv");
is($r->exit, 5, 'an empty CSV file has no header: exit 5');
like($r->err, qr/empty\.csv:1: no header/, '... saying so');

$r = $d->client('import', '--format', 'xml', $v2);
is($r->exit, 2, 'an unknown --format is a usage error');
like($r->err, qr/--format: 'xml' is not a format \(jsonl, gdelt, csv\)/, '... naming the formats');

is($d->stop, 0, 'annalsd exits 0 after SIGTERM');
done_testing();
