#!/usr/bin/perl
# Text search and the participant and place filters normalise Arabic and
# Latin text as PROTOCOL.md section 10 says, each rule proved on its own:
# words split at Arabic and ASCII punctuation; harakat, superscript alef and
# tatweel removed; alef forms, alef maqsura, ta marbuta, hamza seats,
# Persian letters and Arabic-Indic digits folded; one prefix and the listed
# suffixes stripped while two letters remain (الأنتربول, أنتربول, للأنتربول
# and بالأنتربول are one word, and وزير keeps its و); Latin case, accents,
# ß and the possessive folded; a "phrase" needs its words side by side in
# one field while several words need only all be there; names cross
# scripts through aliases for both participant and q; malformed q values
# are bad_request. Every expectation is stated by hand from the rule and
# checked against the brute-force model (Annals::Brute) before the server.
use strict;
use warnings;
use utf8;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use Encode ();
use Test::More;
use Annals::Test;
use Annals::Dates qw(first_last instant);
use Annals::Brute qw(describe_params);

binmode Test::More->builder->$_, ':encoding(UTF-8)' for qw(output failure_output todo_output);

# --- the events: each rule has its own words, so that rules do not meet ------------------
my (@events, %index);
my $day0 = (first_last('2024-01-01'))[0];
sub ev {
    my ($id, $title, %more) = @_;
    $index{$id} = scalar @events;
    push @events, { id => $id, title => $title, lang => 'ar',
                    start => substr(instant($day0 + @events * 86400), 0, 10), %more };
}

# 1. Words and separators.
ev('sep-punct', 'اجتماع بنغازي،طرابلس؛مصراتة؟سبها «درنة» “البيضاء”');
ev('sep-joined', 'بنغازيطرابلس معا');
# 2. Marks.
ev('hk-marked', 'مُحَمَّدٌ السَّادِسُ يَفْتَتِحُ');
ev('hk-bare', 'محمد السادس يفتتح');
ev('hk-other', 'محمود');
ev('sa-marked', 'بسم الله الرحمٰن');
ev('sa-bare', 'الرحمن');
ev('tw-long', 'تطـــوان تستقبل');
ev('tw-bare', 'تطوان');
# 3. Letters that fold.
ev('al-above', 'أكادير');
ev('al-above-bare', 'اكادير');
ev('al-below', 'إدريس');
ev('al-below-bare', 'ادريس');
ev('al-madda', 'آسفي');
ev('al-madda-bare', 'اسفي');
ev('al-wasla', 'ٱلقنيطرة');
ev('al-wasla-bare', 'القنيطرة');
ev('ya-maqsura', 'مستشفى جديد');
ev('ya-ya', 'مستشفي قديم');
ev('ta-marbuta', 'مدرسة');
ev('ta-ha', 'مدرسه');
ev('hz-waw', 'مؤتمر');
ev('hz-waw-bare', 'موتمر');
ev('hz-ya', 'رئيس');
ev('hz-ya-bare', 'رييس');
ev('fa-keheh', 'کتاب');
ev('fa-kaf', 'كتاب');
ev('fa-yeh', 'فارسی');
ev('fa-ya', 'فارسي');
ev('dg-indic', 'الدورة ٩٣ سنة ٢٠٢٥');
ev('dg-ascii', 'الدورة 93 سنة 2025');
# 4. Latin.
ev('la-accents', 'Réunion à Genève', lang => 'fr');
ev('la-upper', 'REUNION A GENEVE', lang => 'fr');
ev('la-lower', 'reunion a geneve', lang => 'fr');
ev('la-decomposed', "Gene\x{300}ve", lang => 'fr');
ev('la-eszett', 'Straße der Einheit', lang => 'de');
ev('la-ss', 'STRASSE', lang => 'de');
ev('la-possessive', "Interpol's agenda", lang => 'en');
ev('la-ae', 'Æsop', lang => 'en');
# 5. Prefixes.
ev('ip-al', 'الأنتربول');
ev('ip-bare', 'أنتربول');
ev('ip-lil', 'للأنتربول');
ev('ip-bil', 'بالأنتربول');
ev('ip-wal', 'والأنتربول');
ev('ip-kal', 'كالأنتربول');
ev('ip-fal', 'فالأنتربول');
ev('ip-waw', 'وأنتربول');
ev('ip-below', 'الإنتربول');
ev('ip-tatweel-quote', 'لـ“أنتربول”');
ev('ip-split', 'انتر بول');
ev('wz-wazir', 'وزير');
ev('wz-alwazir', 'الوزير');
ev('wz-zir', 'زير');
ev('wz-wizara', 'وزارة');
ev('wz-alwizara', 'الوزارة');
ev('wz-zar', 'زار');
ev('wz-wafd', 'وفد');
ev('wz-alwafd', 'الوفد');
ev('w3-wamakafaha', 'ومكافحة');
ev('w3-makafaha', 'مكافحة');
ev('w2-walad', 'ولد');
ev('w2-lad', 'لد');
# 6. Suffixes.
ev('sf-on', 'المعلمون');
ev('sf-in', 'معلمين');
ev('sf-an', 'معلمان');
ev('sf-at', 'معلمات');
ev('sf-ha', 'معلمها');
ev('sf-h', 'معلمه');
ev('sf-yeh', 'معلميه');
ev('sf-y', 'معلمي');
ev('sf-bare', 'معلم');
ev('sf-ctl', 'معلق');
ev('mg-iya', 'المغربية');
ev('mg-i', 'المغربي');
ev('mg-bare', 'المغرب');
ev('short-china', 'الصين');
ev('short-san', 'صان');
# 7. Phrases.
ev('ph-together', 'انعقاد المجلس الأعلى للتعليم');
ev('ph-apart', 'الأعلى للتعليم في المجلس');
ev('ph-fields', 'دورة المجلس', summary => 'الأعلى للتعليم');
ev('ph-one', 'المجلس');
ev('ph-en', 'The General Assembly opened', lang => 'en');
ev('ph-en-apart', 'An assembly, general and open', lang => 'en');
# 8. Several words.
ev('mw-both', 'الأنتربول في مراكش');
ev('mw-ip', 'الأنتربول في ليون');
ev('mw-mk', 'مهرجان مراكش');
# 9. Names across scripts.
ev('nm-latin', 'زيارة عمل', participants => [{ name => 'Abdellatif Hammouchi', aliases => ['عبد اللطيف حموشي'],
                                               role => 'Director General' }]);
ev('nm-arabic', 'لقاء ثنائي', participants => [{ name => 'عبد اللطيف حموشي', aliases => ['Abdellatif Hammouchi'] }]);
ev('nm-latin-only', 'اتصال هاتفي', participants => [{ name => 'Hammouchi' }]);
ev('nm-other', 'ندوة علمية', participants => [{ name => 'Abdellatif Benali', aliases => ['عبد اللطيف بنعلي'] }]);
ev('nm-title', 'حموشي يستقبل وفدا');
ev('nm-role', 'مكالمة', participants => [{ role => "Hammouchi's deputy" }]);
# 10. Places.
ev('pl-city', 'افتتاح', place => { city => 'الرباط', country => 'MA' });
ev('pl-name', 'تدشين', place => { name => 'مقر الأمن الوطني بالرباط' });
ev('pl-other', 'معرض', place => { city => 'فاس', country => 'MA' });

my $corpus = Annals::Brute::Corpus->new(\@events);

my $d = start_daemon();
{
    my ($e, $r) = rpc('put_many', { events => \@events });
    ok(!$e, 'put_many of ' . scalar(@events) . ' Arabic, French, German and English events') or diag(to_json($e));
}

# search(\%params, [ids]): the model, then range and count, give these ids.
sub search {
    my ($q, $ids, $why) = @_;
    my $label = describe_params($q) . ($why ? " ($why)" : '');
    my @want = sort { $index{$a} <=> $index{$b} } @$ids;
    my @model = $corpus->select($q);
    is_deeply(\@model, \@want, "model: $label finds @want");
    my ($e, $r) = rpc('range', { %$q, limit => 1000 });
    is_deeply($e ? $e : [map { $_->{id} } @{ $r->{events} }], \@want, "range $label finds " . (@want ? "@want" : 'nothing'));
    my ($ce, $cr) = rpc('count', $q);
    is($ce ? to_json($ce) : $cr->{count}, scalar @want, "count $label: " . scalar @want);
}
sub q_finds { my ($q, @ids) = @_; search({ q => $q }, \@ids) }

subtest 'words are runs of letters; Arabic and ASCII punctuation and quotation marks separate them' => sub {
    q_finds('طرابلس', 'sep-punct');
    q_finds('سبها', 'sep-punct');
    q_finds('درنة', 'sep-punct');
    q_finds('البيضاء', 'sep-punct');
    q_finds('بنغازيطرابلس', 'sep-joined');
};

subtest 'harakat and the superscript alef are removed' => sub {
    q_finds('محمد', 'hk-marked', 'hk-bare');
    q_finds('مُحَمَّدٌ', 'hk-marked', 'hk-bare');
    q_finds('السَّادِسُ', 'hk-marked', 'hk-bare');
    q_finds('محمود', 'hk-other');
    q_finds('الرحمن', 'sa-marked', 'sa-bare');
    q_finds('الرحمٰن', 'sa-marked', 'sa-bare');
};

subtest 'tatweel is removed' => sub {
    q_finds('تطوان', 'tw-long', 'tw-bare');
    q_finds('تطـوان', 'tw-long', 'tw-bare');
    q_finds('تـــطـــوان', 'tw-long', 'tw-bare');
};

subtest 'alef forms أ إ آ ٱ fold to ا' => sub {
    q_finds('أكادير', 'al-above', 'al-above-bare');
    q_finds('اكادير', 'al-above', 'al-above-bare');
    q_finds('إكادير', 'al-above', 'al-above-bare');
    q_finds('إدريس', 'al-below', 'al-below-bare');
    q_finds('ادريس', 'al-below', 'al-below-bare');
    q_finds('آسفي', 'al-madda', 'al-madda-bare');
    q_finds('اسفي', 'al-madda', 'al-madda-bare');
    q_finds('ٱلقنيطرة', 'al-wasla', 'al-wasla-bare');
    q_finds('القنيطرة', 'al-wasla', 'al-wasla-bare');
};

subtest 'ى folds to ي' => sub {
    q_finds('مستشفى', 'ya-maqsura', 'ya-ya');
    q_finds('مستشفي', 'ya-maqsura', 'ya-ya');
    q_finds('جديد', 'ya-maqsura');
};

subtest 'ة folds to ه' => sub {
    q_finds('مدرسة', 'ta-marbuta', 'ta-ha');
    q_finds('مدرسه', 'ta-marbuta', 'ta-ha');
};

subtest 'hamza seats ؤ ئ fold to و ي' => sub {
    q_finds('مؤتمر', 'hz-waw', 'hz-waw-bare');
    q_finds('موتمر', 'hz-waw', 'hz-waw-bare');
    q_finds('رئيس', 'hz-ya', 'hz-ya-bare');
    q_finds('رييس', 'hz-ya', 'hz-ya-bare');
};

subtest 'Persian ی ک fold to ي ك' => sub {
    q_finds('كتاب', 'fa-keheh', 'fa-kaf');
    q_finds('کتاب', 'fa-keheh', 'fa-kaf');
    q_finds('فارسي', 'fa-yeh', 'fa-ya');
    q_finds('فارسی', 'fa-yeh', 'fa-ya');
};

subtest 'Arabic-Indic digits fold to 0-9' => sub {
    q_finds('2025', 'dg-indic', 'dg-ascii');
    q_finds('٢٠٢٥', 'dg-indic', 'dg-ascii');
    q_finds('٩٣', 'dg-indic', 'dg-ascii');
    q_finds('93 2025', 'dg-indic', 'dg-ascii');
};

subtest 'Latin letters fold to lower case without accents' => sub {
    q_finds('Genève', 'la-accents', 'la-upper', 'la-lower', 'la-decomposed');
    q_finds('GENEVE', 'la-accents', 'la-upper', 'la-lower', 'la-decomposed');
    q_finds('geneve', 'la-accents', 'la-upper', 'la-lower', 'la-decomposed');
    q_finds("Gene\x{301}ve", 'la-accents', 'la-upper', 'la-lower', 'la-decomposed');
    q_finds('réunion', 'la-accents', 'la-upper', 'la-lower');
    q_finds('Straße', 'la-eszett', 'la-ss');
    q_finds('strasse', 'la-eszett', 'la-ss');
    q_finds('aesop', 'la-ae');
    q_finds('ÆSOP', 'la-ae');
};

subtest "a possessive 's is dropped" => sub {
    q_finds('Interpol', 'la-possessive');
    q_finds("Interpol's", 'la-possessive');
    q_finds("INTERPOL\x{2019}s agenda", 'la-possessive');
};

my @IP = qw(ip-al ip-bare ip-lil ip-bil ip-wal ip-kal ip-fal ip-waw ip-below ip-tatweel-quote mw-both mw-ip);
subtest 'one prefix (ال لل بال وال كال فال, و) is stripped: the spellings of Interpol meet' => sub {
    q_finds($_, @IP) for 'الأنتربول', 'أنتربول', 'للأنتربول', 'بالأنتربول', 'والأنتربول', 'كالأنتربول',
                         'فالأنتربول', 'وأنتربول', 'الإنتربول', 'انتربول';
    q_finds('انتر', 'ip-split');
    q_finds('"انتر بول"', 'ip-split');
};

subtest 'و is kept in common words (وزير وزارة وفد) and before fewer than three letters' => sub {
    q_finds('وزير', 'wz-wazir', 'wz-alwazir');
    q_finds('الوزير', 'wz-wazir', 'wz-alwazir');
    q_finds('زير', 'wz-zir');
    q_finds('وزارة', 'wz-wizara', 'wz-alwizara');
    q_finds('الوزارة', 'wz-wizara', 'wz-alwizara');
    q_finds('زار', 'wz-zar');
    q_finds('وفد', 'wz-wafd', 'wz-alwafd');
    q_finds('الوفد', 'wz-wafd', 'wz-alwafd');
    q_finds('مكافحة', 'w3-wamakafaha', 'w3-makafaha');
    q_finds('ومكافحة', 'w3-wamakafaha', 'w3-makafaha');
    q_finds('ولد', 'w2-walad');
    q_finds('لد', 'w2-lad');
};

my @MU = qw(sf-on sf-in sf-an sf-at sf-ha sf-h sf-yeh sf-y sf-bare);
subtest 'the suffixes ها ان ات ون ين يه ه ي are stripped while two letters remain' => sub {
    q_finds($_, @MU) for 'معلم', 'المعلمون', 'معلمين', 'معلمان', 'معلمات', 'معلمها', 'معلمه', 'معلميه', 'معلمي';
    q_finds('معلق', 'sf-ctl');
    q_finds($_, 'mg-iya', 'mg-i', 'mg-bare') for 'المغرب', 'المغربية', 'مغربي';
    q_finds('الصين', 'short-china');
    q_finds('صين', 'short-china');
    q_finds('صان', 'short-san');
};

subtest 'a phrase needs its words side by side in one field; words apart need only all be there' => sub {
    q_finds('"المجلس الأعلى"', 'ph-together');
    q_finds('"مجلس اعلى"', 'ph-together');
    q_finds('المجلس الأعلى', 'ph-together', 'ph-apart', 'ph-fields');
    q_finds('"الأعلى للتعليم"', 'ph-together', 'ph-apart', 'ph-fields');
    q_finds('"general assembly"', 'ph-en');
    q_finds('general assembly', 'ph-en', 'ph-en-apart');
    q_finds('"assembly general"', 'ph-en-apart');
    q_finds('"الأنتربول مراكش"');
    q_finds('"الأنتربول في مراكش"', 'mw-both');
    q_finds('"المجلس" الأعلى', 'ph-together', 'ph-apart', 'ph-fields');
    q_finds('"المجلس الأعلى', 'ph-together');
};

subtest 'several words: events that have all of them' => sub {
    q_finds('الأنتربول مراكش', 'mw-both');
    q_finds('مراكش الأنتربول', 'mw-both');
    q_finds('مراكش', 'mw-both', 'mw-mk');
    q_finds('الأنتربول ليون', 'mw-ip');
    q_finds('الأنتربول، ليون؟', 'mw-ip');
    q_finds('الأنتربول مراكش ليون');
};

my @HAM = qw(nm-latin nm-arabic);
subtest 'names cross scripts through aliases: participant' => sub {
    search({ participant => 'Hammouchi' }, [@HAM, 'nm-latin-only']);
    search({ participant => 'abdellatif hammouchi' }, \@HAM);
    search({ participant => 'ABDELLATIF HAMMOUCHI' }, \@HAM);
    search({ participant => 'حموشي' }, \@HAM);
    search({ participant => 'حمّوشى' }, \@HAM, 'with shadda and ى');
    search({ participant => 'عبد اللطيف حموشي' }, \@HAM);
    search({ participant => 'اللطيف حموشي' }, \@HAM);
    search({ participant => 'عبد اللطيف' }, [@HAM, 'nm-other']);
    search({ participant => 'Abdellatif' }, [@HAM, 'nm-other']);
    search({ participant => 'عبد حموشي' }, [], 'words not side by side');
    search({ participant => 'hammouchi abdellatif' }, [], 'words out of order');
    search({ participant => 'Abdellatif حموشي' }, [], 'a name and an alias do not join');
    search({ participant => ['بنعلي', 'Hammouchi'] }, [@HAM, 'nm-latin-only', 'nm-other']);
    search({ participant => 'Director' }, [], 'a role is not a name');
};

subtest 'names cross scripts through aliases: q' => sub {
    q_finds('Hammouchi', @HAM, 'nm-latin-only', 'nm-role');
    q_finds('حموشي', @HAM, 'nm-title');
    q_finds('"عبد اللطيف حموشي"', @HAM);
    q_finds('"Abdellatif Hammouchi"', @HAM);
    q_finds('Abdellatif حموشي', @HAM);
    q_finds('director general', 'nm-latin');
};

subtest 'place: the country code in any case, or words of the city or the name' => sub {
    search({ place => 'الرباط' }, ['pl-city', 'pl-name']);
    search({ place => 'بالرباط' }, ['pl-city', 'pl-name']);
    search({ place => 'رباط' }, ['pl-city', 'pl-name']);
    search({ place => 'ma' }, ['pl-city', 'pl-other']);
    search({ place => 'الأمن الوطني' }, ['pl-name']);
    search({ place => 'الوطني الأمن' }, [], 'words out of order');
    search({ place => ['فاس', 'مقر'] }, ['pl-name', 'pl-other']);
};

subtest 'q values that are not a search are bad_request' => sub {
    my $long_word = 'ا' x 512;                               # 1024 bytes
    my @bad = (
        ['', 'an empty q'],
        ['؟!،.. «» — “”', 'only punctuation'],
        ["\x{064E}\x{0640}\x{0651}", 'only harakat and tatweel'],
        ["${long_word}x", 'a word of 1025 bytes'],
        [join(' ', ('مراكشمراكشمراكشمراكشمراكش') x 21), 'over 1024 bytes in 21 words'],
        [join(' ', map { "w$_" } 1 .. 33), '33 words'],
        ['"' . join(' ', ('مراكش') x 33) . '"', 'a phrase of 33 words'],
        [join(' ', ('مراكش') x 20) . ' "' . join(' ', ('فاس') x 13) . '"', '20 words and a phrase of 13'],
    );
    for my $b (@bad) {
        my ($q, $what) = @$b;
        my $bytes = length Encode::encode('UTF-8', $q);
        ok(defined Annals::Brute::q_error($q), "model: q with $what ($bytes bytes) is refused");
        for my $m (qw(range count)) {
            my ($e) = rpc($m, { q => $q });
            is(ref $e eq 'ARRAY' ? $e->[0] : to_json($e), 'bad_request', "$m with q $what: bad_request");
        }
        my $c = raw_connect();
        my ($se) = $c->call('subscribe', { q => $q });
        is(ref $se eq 'ARRAY' ? $se->[0] : to_json($se), 'bad_request', "subscribe with q $what: bad_request");
        $c->close;
    }
    for my $ok ([$long_word, 'a word of 1024 bytes'], [join(' ', map { "w$_" } 1 .. 32), '32 words'],
                ['مراكش "الأنتربول في"', 'a word and a phrase']) {
        my ($q, $what) = @$ok;
        ok(!defined Annals::Brute::q_error($q), "model: q with $what is accepted");
        my ($e, $r) = rpc('count', { q => $q });
        is($e ? to_json($e) : $r->{count}, $corpus->count({ q => $q }), "count with q $what is accepted and right");
    }
    for my $b (['', 'an empty participant'], ['،؟', 'a participant of punctuation']) {
        my ($p, $what) = @$b;
        my ($e) = rpc('range', { participant => $p });
        is(ref $e eq 'ARRAY' ? $e->[0] : to_json($e), 'bad_request', "range with $what: bad_request");
    }
};

is(stop_daemon(), 0, 'annalsd exits 0 after SIGTERM');
done_testing();
