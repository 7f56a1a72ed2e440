/* test_textnorm.c: word splitting, Arabic and Latin folding, Arabic light
 * stemming and output truncation of proto/textnorm.h. */
#include <stdlib.h>
#include <string.h>

#include "proto/textnorm.h"
#include "proto/utf8.h"
#include "tests/unit/tap.h"

/* The normalised form of the query term w, in a buffer that lives until the
 * next call. */
static const char *word(const char *w)
{
    static char out[256];
    textnorm_word(w, strlen(w), out, sizeof out);
    return out;
}

/* Two query terms that must meet on one key. */
static void same(const char *a, const char *b, const char *why)
{
    char ka[256];
    textnorm_word(a, strlen(a), ka, sizeof ka);
    const char *kb = word(b);
    if (!ok(strcmp(ka, kb) == 0, "%s", why))
        diag("'%s' -> '%s' but '%s' -> '%s'", a, ka, b, kb);
}

/* Every token of s joined by '|', in a buffer that lives until the next
 * call: one string to compare shows the whole split at once. */
static const char *toks(const char *s, size_t len)
{
    static char all[1024];
    char out[128];
    size_t pos = 0, n = 0;
    all[0] = '\0';
    while (textnorm_next_token(s, len, &pos, out, sizeof out) > 0) {
        size_t k = strlen(out);
        if (n + k + 2 > sizeof all)
            break;
        if (n)
            all[n++] = '|';
        memcpy(all + n, out, k + 1);
        n += k;
    }
    return all;
}
#define TOKS(lit) toks((lit), sizeof(lit) - 1)

static void test_arabic_folding(void)
{
    is_str(word("مُحَمَّدٌ"), "محمد", "harakat U+064B-065F are removed");
    is_str(word("هٰذا"), "هذا", "superscript alef U+0670 is removed");
    is_str(word("محمد\xdb\x96\xdb\xad"), "محمد", "Quranic marks U+06D6-06ED are removed");
    is_str(word("محمد\xd8\x90"), "محمد", "honorific marks U+0610-061A are removed");
    same("الجـــريمة", "الجريمة", "tatweel U+0640 is removed");
    is_str(word("أمن"), "امن", "alef with hamza above folds to alef");
    is_str(word("إسلام"), "اسلام", "alef with hamza below folds to alef");
    is_str(word("آسيا"), "اسيا", "alef with madda folds to alef");
    is_str(word("ٱسم"), "اسم", "alef wasla folds to alef");
    same("مستشفى", "مستشفي", "alef maksura folds to yeh");
    same("مدرسة", "مدرسه", "teh marbuta folds to heh");
    is_str(word("مؤتمر"), "موتمر", "waw with hamza folds to waw");
    is_str(word("رئيس"), "رييس", "yeh with hamza folds to yeh");
    is_str(word("کتاب"), "كتاب", "Persian keheh folds to kaf");
    same("فارسی", "فارسي", "Persian yeh folds to yeh");
    is_str(word("٢٠٢٥"), "2025", "Arabic-Indic digits fold to ASCII");
    is_str(word("۱۴۰۳"), "1403", "Persian digits fold to ASCII");
}

static void test_arabic_stemming(void)
{
    static const char *const interpol[] = {
        "الأنتربول", "أنتربول", "للأنتربول", "والأنتربول", "بالأنتربول",
        "كالأنتربول", "فالأنتربول", "وأنتربول", "الإنتربول", "الأنتربولُ",
    };
    for (size_t i = 0; i < sizeof interpol / sizeof interpol[0]; i++)
        is_str(word(interpol[i]), "انتربول", "Interpol form %s stems to انتربول", interpol[i]);

    is_str(word("المغربية"), "مغرب", "المغربية: article and ية (folded يه) stripped");
    same("المغربي", "المغرب", "المغربي and المغرب share a stem");
    same("للجمعية", "الجمعية", "للجمعية and الجمعية share a stem");
    same("العامة", "عامة", "العامة and عامة share a stem");
    is_str(word("الانتخابات"), "انتخاب", "suffix ات is stripped");
    is_str(word("اللاعبون"), "لاعب", "suffix ون is stripped");
    same("لاعبين", "لاعبون", "suffixes ين and ون meet");
    is_str(word("كتابها"), "كتاب", "suffix ها is stripped");
    is_str(word("الصين"), "صين", "a suffix is kept when it would leave one letter");
    is_str(word("الم"), "الم", "an article is kept when it would leave one letter");
    is_str(word("ولد"), "ولد", "waw is kept on a three-letter word");
    is_str(word("ومكافحة"), "مكافح", "conjunction waw is stripped from a longer word");
    same("ومكافحة", "مكافحة", "ومكافحة finds مكافحة");
    is_str(word("وزير"), "وزير", "waw of a listed word (وزير) is kept");
    same("وزارة", "الوزارة", "وزارة and الوزارة share a stem");
    same("والي", "الوالي", "والي (governor) and الوالي share a stem");
    is_str(word("واليوم"), "يوم", "وال is stripped before the waw list is consulted");
    is_str(word("ال2025"), "ال2025", "a token with digits is not stemmed");
}

static void test_latin(void)
{
    is_str(TOKS("Gérald DARMANIN"), "gerald|darmanin", "Gérald DARMANIN: case and accents folded");
    is_str(word("Straße"), "strasse", "ß folds to ss");
    is_str(word("ÆSIR"), "aesir", "Æ folds to ae");
    is_str(word("Œuvre"), "oeuvre", "Œ folds to oe");
    is_str(word("Øresund"), "oresund", "Ø folds to o");
    is_str(word("Ångström"), "angstrom", "Å and ö fold to a and o");
    is_str(word("España"), "espana", "ñ folds to n");
    is_str(word("Müller"), "muller", "ü folds to u");
    is_str(word("Ça"), "ca", "Ç folds to c");
    is_str(word("Łódź"), "lodz", "Latin Extended-A folds (Ł ó ź)");
    is_str(word("İstanbul"), "istanbul", "dotted capital I folds to i");
    is_str(word("Þór"), "thor", "thorn folds to th");
    is_str(word("e\xcc\x81te\xcc\x81"), "ete", "decomposed accents are dropped");
    is_str(word("Interpol's"), "interpol", "possessive 's is dropped");
    is_str(word("Interpol’s"), "interpol", "possessive ’s is dropped");
    is_str(TOKS("l'Interpol"), "l|interpol", "an elision apostrophe separates");
    is_str(TOKS("Interpol'sake"), "interpol|sake", "'s followed by letters is no possessive");
    is_str(word("events"), "events", "no stemming for Latin words");
}

static void test_other_scripts(void)
{
    is_str(word("Москва"), "Москва", "Cyrillic passes through unchanged");
    is_str(word("東京"), "東京", "CJK passes through unchanged");
    is_str(word("G20"), "g20", "ASCII digits pass through, letters lowered");
}

static void test_splitting(void)
{
    is_str(TOKS("حموشي يستقبل سفيرة الصين لبحث قضايا “الأنتربول” ومكافحة الجريمة"),
           "حموش|يستقبل|سفير|صين|لبحث|قضايا|انتربول|مكافح|جريم",
           "a seed headline splits into the expected stems");
    is_str(TOKS("Interpol 2025 الأنتربول ٢٠٢٥"), "interpol|2025|انتربول|2025",
           "mixed Arabic, Latin and both digit forms");
    is_str(TOKS("أمن، اقتصاد؛ سياسة؟ «وطن»"), "امن|اقتصاد|سياس|وطن",
           "Arabic comma, semicolon, question mark and guillemets separate");
    is_str(TOKS("\"a\" 'b' c-d e—f g\xc2\xa0h i\xe2\x80\x8bj k/l"), "a|b|c|d|e|f|g|h|i|j|k|l",
           "ASCII quotes, hyphen, em dash, NBSP, ZWSP and slash separate");
    is_str(TOKS("abc\xff" "def\xd8"), "abc|def", "invalid and truncated UTF-8 bytes separate");
    is_str(TOKS("ab\xc2\xad" "cd"), "abcd", "a soft hyphen joins, it does not split");
    is_str(TOKS("a \xf0\x9f\x98\x80 b"), "a|b", "an emoji separates");

    char out[64];
    size_t pos = 0;
    is_int(textnorm_next_token("", 0, &pos, out, sizeof out), 0, "empty input yields no token");
    is_str(out, "", "out is empty when no token is found");
    pos = 0;
    is_int(textnorm_next_token(" ،.؟ ", strlen(" ،.؟ "), &pos, out, sizeof out), 0,
           "separators alone yield no token");
    const char *marks = "ً ٌ ـ ّ";
    pos = 0;
    is_int(textnorm_next_token(marks, strlen(marks), &pos, out, sizeof out), 0,
           "harakat and tatweel alone yield no token");
    is_int(pos, strlen(marks), "and *pos is left at the end");
    is_int(textnorm_word("«الأنتربول»", strlen("«الأنتربول»"), out, sizeof out),
           strlen("انتربول"), "textnorm_word skips surrounding quotes and returns the length");

    const char *s = "one, two";
    pos = 0;
    textnorm_next_token(s, strlen(s), &pos, out, sizeof out);
    is_int(pos, 3, "*pos moves just past the word");
    textnorm_next_token(s, strlen(s), &pos, out, sizeof out);
    is_int(textnorm_next_token(s, strlen(s), &pos, out, sizeof out), 0,
           "after the last word 0 is returned");
}

/* Every output size from the minimum up yields a valid prefix of the full
 * form, cut on a code point boundary, and moves past the whole word. */
static void test_truncation(void)
{
    static const char *const words[] = { "الأنتربول السفيرة", "Straße Ærø", "東京都 x", "𝔸𝔹ℂ𝔻 x" };
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        const char *s = words[w];
        size_t len = strlen(s), fpos = 0;
        char full[64];
        size_t flen = textnorm_next_token(s, len, &fpos, full, sizeof full);
        int good = flen > 0;
        for (size_t cap = TEXTNORM_OUT_MIN; cap <= flen + 1 && good; cap++) {
            char out[64];
            memset(out, 'X', sizeof out);
            size_t pos = 0;
            size_t n = textnorm_next_token(s, len, &pos, out, cap);
            good = n > 0 && n < cap && out[n] == '\0' && out[cap] == 'X' &&
                   memcmp(out, full, n) == 0 && utf8_valid(out, n, NULL) &&
                   pos == fpos;
            if (good && n < flen) {
                /* The longest prefix that fits: the next code point would not. */
                uint32_t cp;
                int k = utf8_decode(full + n, flen - n, &cp);
                good = k > 0 && n + (size_t)k > cap - 1;
            }
            if (!good)
                diag("cap %zu: got %zu bytes '%s', pos %zu", cap, n, out, pos);
        }
        ok(good, "truncating '%s' keeps whole code points at every size", s);
    }
}

/* Random strings built from awkward pieces (marks, affixes, separators, bad
 * bytes, 4-byte code points) and random buffer sizes: every token is valid
 * UTF-8 of the promised length and *pos always moves forward. */
static void test_random_pieces(void)
{
    static const char *const pieces[] = {
        "ال", "و", "ة", "ى", "ً", "ـ", "،", " ", "'s", "’", "s", "É", "ß",
        "\xff", "\xd8", "\xe2\x80", "𝔸", "٣", "x", "-", "\xcc\x81", "\xe2\x80\x8c",
    };
    unsigned seed = 12345;
    int good = 1;
    for (int round = 0; round < 5000 && good; round++) {
        char s[128];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int npieces = (int)(seed >> 16) % 12;
        for (int i = 0; i < npieces; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            memcpy(s + len, p, strlen(p));
            len += strlen(p);
        }
        seed = seed * 1103515245u + 12345u;
        size_t cap = TEXTNORM_OUT_MIN + (seed >> 16) % 12, pos = 0, prev = 0, n;
        char *out = malloc(cap); /* exactly cap bytes, so ASan sees overruns */
        while ((n = textnorm_next_token(s, len, &pos, out, cap)) > 0 && good) {
            good = n < cap && strlen(out) == n && utf8_valid(out, n, NULL) &&
                   pos > prev && pos <= len;
            prev = pos;
        }
        good = good && pos == len;
        if (!good)
            diag("round %d failed at pos %zu", round, pos);
        free(out);
    }
    ok(good, "5000 random strings of awkward pieces tokenise cleanly at random sizes");
}

int main(void)
{
    test_arabic_folding();
    test_arabic_stemming();
    test_latin();
    test_other_scripts();
    test_splitting();
    test_truncation();
    test_random_pieces();
    return done_testing();
}
