/* test_utf8.c: UTF-8 validation, decoding, control detection, display width
 * and truncation of proto/utf8.h. */
#include <stdlib.h>
#include <string.h>

#include "proto/utf8.h"
#include "tests/unit/tap.h"

/* Strings are given with explicit lengths so that NUL bytes count. */
#define S(lit) (lit), (sizeof(lit) - 1)

static size_t encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static void valid(const char *s, size_t len, const char *why)
{
    ok(utf8_valid(s, len, NULL), "valid: %s", why);
}

static void invalid_at(const char *s, size_t len, size_t at, const char *why)
{
    size_t bad = (size_t)-1;
    int v = utf8_valid(s, len, &bad);
    ok(!v && bad == at, "invalid at byte %zu: %s", at, why);
    if (v || bad != at)
        diag("valid %d, bad_at %zu", v, bad);
}

static void test_valid(void)
{
    valid(S(""), "the empty string");
    valid(S("hello, world"), "ASCII");
    valid(S("\0"), "NUL is a valid code point");
    valid(S("\x7f"), "DEL");
    valid(S("\xc2\x80"), "U+0080, the smallest 2-byte sequence");
    valid(S("\xc3\xa9"), "U+00E9 e acute");
    valid(S("\xdf\xbf"), "U+07FF, the largest 2-byte sequence");
    valid(S("\xe0\xa0\x80"), "U+0800, the smallest 3-byte sequence");
    valid(S("\xe2\x82\xac"), "U+20AC euro sign");
    valid(S("\xed\x9f\xbf"), "U+D7FF, just below the surrogates");
    valid(S("\xee\x80\x80"), "U+E000, just above the surrogates");
    valid(S("\xef\xbf\xbf"), "U+FFFF, the largest 3-byte sequence");
    valid(S("\xf0\x90\x80\x80"), "U+10000, the smallest 4-byte sequence");
    valid(S("\xf0\x9d\x84\x9e"), "U+1D11E musical symbol");
    valid(S("\xf4\x8f\xbf\xbf"), "U+10FFFF, the largest code point");
    valid(S("\xd9\x85\xd9\x8f\xd8\xad\xd9\x8e\xd9\x85\xd9\x91\xd9\x8e\xd8\xaf"),
          "Arabic with harakat");
    valid(S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "Japanese");

    invalid_at(S("\x80"), 0, "a lone continuation byte");
    invalid_at(S("ab\xbf"), 2, "a continuation byte after ASCII");
    invalid_at(S("\xc0\x80"), 0, "overlong NUL (C0 80)");
    invalid_at(S("\xc1\xbf"), 0, "overlong 2-byte form (C1)");
    invalid_at(S("\xe0\x80\x80"), 0, "overlong 3-byte NUL");
    invalid_at(S("\xe0\x9f\xbf"), 0, "overlong 3-byte U+07FF");
    invalid_at(S("\xf0\x80\x80\x80"), 0, "overlong 4-byte NUL");
    invalid_at(S("\xf0\x8f\xbf\xbf"), 0, "overlong 4-byte U+FFFF");
    invalid_at(S("\xed\xa0\x80"), 0, "the first surrogate U+D800");
    invalid_at(S("\xed\xbf\xbf"), 0, "the last surrogate U+DFFF");
    invalid_at(S("\xed\xa0\xbd\xed\xb8\x80"), 0, "a CESU-8 surrogate pair");
    invalid_at(S("\xf4\x90\x80\x80"), 0, "U+110000, above the last code point");
    invalid_at(S("\xf5\x80\x80\x80"), 0, "lead byte F5");
    invalid_at(S("\xf7\xbf\xbf\xbf"), 0, "U+1FFFFF");
    invalid_at(S("\xf8\x88\x80\x80\x80"), 0, "a 5-byte form");
    invalid_at(S("\xfe"), 0, "byte FE");
    invalid_at(S("\xff"), 0, "byte FF");
    invalid_at(S("\xe2\x28\xa1"), 0, "a 3-byte sequence with ASCII inside");
    invalid_at(S("\xc3\xa9\xc3"), 2, "a 2-byte sequence cut at the end after a good one");
    invalid_at(S("abc\xff" "def"), 3, "bad_at points into the middle of the text");
    invalid_at(S("\xc3\xa9\xe2\x82\xac\xf0\x9d\x84"), 5,
               "a cut sequence after good multi-byte ones");
    ok(!utf8_valid(S("\xff"), NULL), "bad_at may be NULL");
}

/* Every proper prefix of a multi-byte sequence is invalid at its lead byte,
 * and the decoder refuses it; each prefix is copied to a buffer of its exact
 * length so a read past len is caught by the sanitizers. */
static void test_truncated(void)
{
    static const struct { const char *s; size_t len; const char *name; } seqs[] = {
        { S("\xc3\xa9"), "U+00E9 (2 bytes)" },
        { S("\xe2\x82\xac"), "U+20AC (3 bytes)" },
        { S("\xef\xbf\xbf"), "U+FFFF (3 bytes)" },
        { S("\xf0\x9f\x98\x80"), "U+1F600 (4 bytes)" },
        { S("\xf4\x8f\xbf\xbf"), "U+10FFFF (4 bytes)" },
    };
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        for (size_t cut = 1; cut < seqs[i].len; cut++) {
            char *buf = malloc(cut + 2);
            memcpy(buf, "ab", 2);
            memcpy(buf + 2, seqs[i].s, cut);
            size_t bad = 0;
            uint32_t cp = 0;
            int v = utf8_valid(buf, cut + 2, &bad);
            int n = utf8_decode(buf + 2, cut, &cp);
            ok(!v && bad == 2 && n == -1, "%s cut to %zu bytes is invalid at its lead byte",
               seqs[i].name, cut);
            free(buf);
        }
        char *whole = malloc(seqs[i].len);
        memcpy(whole, seqs[i].s, seqs[i].len);
        uint32_t cp = 0;
        ok(utf8_decode(whole, seqs[i].len, &cp) == (int)seqs[i].len
           && utf8_valid(whole, seqs[i].len, NULL),
           "%s whole is valid and decodes to its length", seqs[i].name);
        free(whole);
    }
}

static void test_decode(void)
{
    uint32_t cp = 0;
    ok(utf8_decode("", 0, &cp) == -1, "decoding nothing fails");
    ok(utf8_decode("A", 1, &cp) == 1 && cp == 'A', "ASCII decodes to itself in 1 byte");
    ok(utf8_decode(S("\xc3\xa9"), &cp) == 2 && cp == 0xE9, "C3 A9 is U+00E9");
    ok(utf8_decode(S("\xe2\x82\xac"), &cp) == 3 && cp == 0x20AC, "E2 82 AC is U+20AC");
    ok(utf8_decode(S("\xf0\x9f\x98\x80"), &cp) == 4 && cp == 0x1F600, "F0 9F 98 80 is U+1F600");
    ok(utf8_decode(S("\xc3\xa9xyz"), &cp) == 2 && cp == 0xE9,
       "decoding reads one code point and ignores what follows");
    ok(utf8_decode(S("\xe2\x82\x41"), &cp) == -1, "a bad third byte fails");
    ok(utf8_decode(S("\xf0\x9f\x98\x41"), &cp) == -1, "a bad fourth byte fails");

    /* Every code point round-trips; every encoded surrogate is refused. */
    int bad = 0, surrogates_ok = 1;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        char buf[4];
        size_t n = encode(c, buf);
        uint32_t got = 0xFFFFFFFF;
        int r = utf8_decode(buf, n, &got);
        int v = utf8_valid(buf, n, NULL);
        if (c >= 0xD800 && c <= 0xDFFF) {
            if (r != -1 || v)
                surrogates_ok = 0;
        } else if (r != (int)n || got != c || !v) {
            if (!bad)
                diag("U+%04X: decode %d -> U+%04X, valid %d", (unsigned)c, r, (unsigned)got, v);
            bad = 1;
        }
    }
    ok(!bad, "every code point but the surrogates encodes, validates and decodes back");
    ok(surrogates_ok, "every surrogate U+D800-DFFF is refused");

    /* Every 2-byte string: the valid ones are exactly the shortest encodings
     * of U+0080-07FF and pairs of ASCII bytes. */
    int two_ok = 1;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            char s[2] = { (char)a, (char)b };
            int want = (a < 0x80 && b < 0x80) || (a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF);
            if (utf8_valid(s, 2, NULL) != want)
                two_ok = 0;
        }
    }
    ok(two_ok, "of all 65536 two-byte strings, exactly the well-formed ones are valid");
}

static void test_control(void)
{
    ok(!utf8_has_control(S("")), "the empty string has no control");
    ok(!utf8_has_control(S("plain text, 123")), "plain ASCII has no control");
    ok(utf8_has_control(S("a\tb")), "a tab is a control");
    ok(utf8_has_control(S("a\nb")), "a newline is a control");
    ok(utf8_has_control(S("a\rb")), "a carriage return is a control");
    ok(utf8_has_control(S("\x1b[31m")), "ESC is a control");
    ok(utf8_has_control(S("a\0b")), "NUL is a control");
    ok(utf8_has_control(S("\x7f")), "DEL is a control");
    ok(utf8_has_control(S("x\xc2\x80")), "U+0080 is a C1 control");
    ok(utf8_has_control(S("\xc2\x85")), "U+0085 NEL is a C1 control");
    ok(utf8_has_control(S("\xc2\x9f")), "U+009F is a C1 control");
    ok(!utf8_has_control(S("\xc2\xa0")), "U+00A0 no-break space is not a control");
    ok(!utf8_has_control(S("\xc3\xa9t\xc3\xa9")), "accented Latin has no control");
    ok(!utf8_has_control(S("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf")), "Arabic has no control");
    ok(!utf8_has_control(S("\xe2\x80\x8f")), "U+200F RLM is a format character, not a control");
    ok(!utf8_has_control(S("\xe2\x82\x80")), "a 80 continuation byte after E2 is not C1");
    ok(!utf8_has_control(S("ab\xc2")), "a trailing C2 is read safely");
    int all = 1;
    for (unsigned c = 0; c < 0x20; c++) {
        char s[1] = { (char)c };
        if (!utf8_has_control(s, 1))
            all = 0;
    }
    ok(all, "every C0 byte 00-1F is a control");
}

static void width_is(uint32_t cp, int want, const char *why)
{
    is_int(utf8_cp_width(cp), want, "U+%04X is %d wide: %s", (unsigned)cp, want, why);
}

static void range_width(uint32_t first, uint32_t last, int want, const char *why)
{
    uint32_t c;
    for (c = first; c <= last; c++)
        if (utf8_cp_width(c) != want)
            break;
    ok(c > last, "U+%04X-%04X are all %d wide: %s", (unsigned)first, (unsigned)last, want, why);
    if (c <= last)
        diag("U+%04X is %d wide", (unsigned)c, utf8_cp_width(c));
}

static void test_cp_width(void)
{
    width_is('A', 1, "ASCII letter");
    width_is(' ', 1, "space");
    width_is(0x00E9, 1, "Latin e acute");
    width_is(0x00A0, 1, "no-break space");
    width_is(0x0416, 1, "Cyrillic");
    width_is(0x03A9, 1, "Greek");
    width_is(0x05D0, 1, "Hebrew alef");
    width_is(0x0627, 1, "Arabic alef");
    width_is(0x0640, 1, "Arabic tatweel is a letter-like filler");
    width_is(0x06F1, 1, "Extended Arabic-Indic digit");
    width_is(0x0915, 1, "Devanagari ka");
    range_width(0x0621, 0x063A, 1, "Arabic letters hamza to ghain");
    range_width(0x0641, 0x064A, 1, "Arabic letters feh to yeh");
    range_width(0x0660, 0x0669, 1, "Arabic-Indic digits");

    range_width(0x0000, 0x001F, 0, "C0 controls");
    range_width(0x007F, 0x009F, 0, "DEL and C1 controls");

    range_width(0x0300, 0x036F, 0, "combining diacritical marks");
    range_width(0x0483, 0x0489, 0, "Cyrillic combining marks");
    range_width(0x0591, 0x05BD, 0, "Hebrew accents and points");
    width_is(0x05BF, 0, "Hebrew rafe");
    range_width(0x05C1, 0x05C2, 0, "Hebrew shin and sin dots");
    range_width(0x05C4, 0x05C5, 0, "Hebrew upper and lower dots");
    width_is(0x05C7, 0, "Hebrew qamats qatan");
    range_width(0x0610, 0x061A, 0, "Arabic honorific signs");
    width_is(0x061C, 0, "Arabic letter mark");
    range_width(0x064B, 0x065F, 0, "Arabic harakat");
    width_is(0x0670, 0, "Arabic superscript alef");
    range_width(0x06D6, 0x06DC, 0, "Arabic Quranic marks");
    range_width(0x06DF, 0x06E4, 0, "Arabic Quranic marks");
    range_width(0x06E7, 0x06E8, 0, "Arabic Quranic marks");
    range_width(0x06EA, 0x06ED, 0, "Arabic Quranic marks");
    width_is(0x0711, 0, "Syriac superscript alaph");
    range_width(0x0730, 0x074A, 0, "Syriac points");
    range_width(0x08D3, 0x08FF, 0, "Arabic extended-A marks");
    width_is(0x08E2, 0, "Arabic disputed end of ayah (a format character)");
    range_width(0x1AB0, 0x1AFF, 0, "combining diacritical marks extended");
    range_width(0x1DC0, 0x1DFF, 0, "combining diacritical marks supplement");
    range_width(0x200B, 0x200F, 0, "zero width space, joiners and direction marks");
    range_width(0x202A, 0x202E, 0, "bidi embeddings and overrides");
    range_width(0x2060, 0x2064, 0, "word joiner and invisible operators");
    range_width(0x20D0, 0x20FF, 0, "combining marks for symbols");
    range_width(0xFE00, 0xFE0F, 0, "variation selectors");
    range_width(0xFE20, 0xFE2F, 0, "combining half marks");
    width_is(0xFEFF, 0, "byte order mark");
    width_is(0x0941, 0, "Devanagari vowel sign u");
    width_is(0x0E31, 0, "Thai mai han-akat");
    width_is(0x3099, 0, "a combining kana mark inside a wide block");

    range_width(0x1100, 0x115F, 2, "Hangul initial consonants");
    width_is(0x1160, 0, "Hangul medial vowels conjoin");
    range_width(0x2E80, 0x2E99, 2, "CJK radicals");
    width_is(0x3000, 2, "ideographic space");
    range_width(0x3041, 0x3096, 2, "hiragana");
    range_width(0x30A0, 0x30FF, 2, "katakana");
    range_width(0x3400, 0x4DBF, 2, "CJK extension A");
    range_width(0x4E00, 0x9FFF, 2, "CJK unified ideographs");
    range_width(0xA000, 0xA4CF, 2, "Yi");
    range_width(0xAC00, 0xD7A3, 2, "Hangul syllables");
    range_width(0xF900, 0xFAFF, 2, "CJK compatibility ideographs");
    range_width(0xFE30, 0xFE4F, 2, "CJK compatibility forms");
    range_width(0xFF00, 0xFF60, 2, "fullwidth forms");
    range_width(0xFFE0, 0xFFE6, 2, "fullwidth signs");
    range_width(0x1F300, 0x1F64F, 2, "pictographs and emoticons");
    range_width(0x1F900, 0x1F9FF, 2, "supplemental pictographs");
    range_width(0x20000, 0x2FFFD, 2, "CJK extension B and after");
    range_width(0x30000, 0x3FFFD, 2, "CJK extension G and after");
    width_is(0xFF61, 1, "halfwidth ideographic full stop");
    width_is(0xFFE8, 1, "halfwidth forms light vertical");
    width_is(0xD7A4, 1, "just past the Hangul syllables");
    width_is(0x2FFFE, 1, "a noncharacter after the CJK planes");
    width_is(0x10FFFF, 1, "the last code point");
}

static void str_width_is(const char *s, size_t len, size_t want, const char *why)
{
    is_int(utf8_width(s, len), want, "width %zu: %s", want, why);
}

/* "محمد" with damma, fatha, shadda and fatha: 4 letters, 4 marks. */
static const char muhammad[] =
    "\xd9\x85\xd9\x8f\xd8\xad\xd9\x8e\xd9\x85\xd9\x91\xd9\x8e\xd8\xaf";

static void test_width(void)
{
    str_width_is(S(""), 0, "the empty string");
    str_width_is(S("hello"), 5, "ASCII");
    str_width_is(S(muhammad), 4, "Arabic with harakat counts only the letters");
    str_width_is(S("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf"), 4, "Arabic without harakat");
    str_width_is(S("\xd9\x85\xd9\x80\xd9\x80\xd8\xad"), 4, "tatweel stretches a word by a column");
    str_width_is(S("\xd7\xa9\xd7\x81\xd6\xb8\xd7\x9c\xd7\x95\xd6\xb9\xd7\x9d"), 4,
                 "Hebrew with points");
    str_width_is(S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 6, "three ideographs");
    str_width_is(S("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"), 6, "three Hangul syllables");
    str_width_is(S("a\xe6\x97\xa5" "b"), 4, "ASCII around an ideograph");
    str_width_is(S("e\xcc\x81"), 1, "e with a combining acute accent");
    str_width_is(S("\xef\xbc\xa1"), 2, "fullwidth A");
    str_width_is(S("\xf0\x9f\x98\x80"), 2, "an emoji");
    str_width_is(S("a\xe2\x80\x8d" "b"), 2, "a zero width joiner");
    str_width_is(S("\xef\xbb\xbfhi"), 2, "a byte order mark");
    str_width_is(S("a\tb\n"), 2, "controls take no column");
    str_width_is(S("\xff\xfe"), 2, "invalid bytes take a column each");
    str_width_is(S("ab\xe2\x82"), 4, "a cut sequence takes a column per byte");
    str_width_is(S("\xc0\x80x"), 3, "an overlong NUL is two invalid bytes");
}

static void truncate_is(const char *s, size_t len, size_t cols, size_t want, const char *why)
{
    is_int(utf8_truncate(s, len, cols), want, "%zu columns keep %zu bytes: %s", cols, want, why);
}

static void test_truncate(void)
{
    truncate_is(S("hello"), 3, 3, "ASCII is cut at the column");
    truncate_is(S("hello"), 5, 5, "an exact fit keeps everything");
    truncate_is(S("hello"), 80, 5, "a short string is kept whole");
    truncate_is(S("hello"), 0, 0, "no columns keep nothing");
    truncate_is(S(""), 10, 0, "the empty string");
    truncate_is(S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 3, 3,
                "a wide character that would straddle the limit is left out");
    truncate_is(S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 4, 6, "two ideographs in 4 columns");
    truncate_is(S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 1, 0, "an ideograph needs 2 columns");
    truncate_is(S("e\xcc\x81x"), 1, 3, "a combining mark stays with its letter");
    truncate_is(S("ab\xcc\x81\xcc\xa3" "c"), 2, 6, "several marks stay with their letter");
    truncate_is(S("ab\xcc\x81"), 1, 1, "a mark leaves with the letter it belongs to");
    truncate_is(S(muhammad), 1, 4, "one Arabic letter keeps its damma");
    truncate_is(S(muhammad), 2, 8, "two Arabic letters keep their harakat");
    truncate_is(S(muhammad), 3, 14, "the shadda and fatha stay on the third letter");
    truncate_is(S(muhammad), 4, 16, "the whole name fits in 4 columns");
    truncate_is(S("\xd9\x85\xd9\x8f"), 0, 0, "a letter with a mark needs its column");
    truncate_is(S("\xcc\x81" "a"), 0, 2, "a leading mark takes no column");
    truncate_is(S("a\xf0\x9f\x98\x80" "b"), 2, 1, "an emoji is never split");
    truncate_is(S("a\xf0\x9f\x98\x80" "b"), 3, 5, "an emoji fits in 2 columns");
    truncate_is(S("ab\xff" "cd"), 3, 3, "an invalid byte is one column");

    /* For every cut of several mixed strings: the prefix is valid UTF-8 (so
     * no sequence is split), fits, and is the longest that fits. */
    static const struct { const char *s; size_t len; } mixed[] = {
        { S(muhammad) },
        { S("a\xe6\x97\xa5" "e\xcc\x81\xf0\x9f\x98\x80\xd8\xa7\xd9\x8b" "z") },
        { S("\xe2\x80\x8f\xd7\xa9\xd7\x81\xd6\xb8\xd7\x9c\xef\xbc\xa1") },
    };
    for (size_t i = 0; i < sizeof mixed / sizeof mixed[0]; i++) {
        const char *s = mixed[i].s;
        size_t len = mixed[i].len, total = utf8_width(s, len);
        int good = 1;
        for (size_t cols = 0; cols <= total + 1; cols++) {
            size_t n = utf8_truncate(s, len, cols);
            uint32_t cp;
            if (n > len || !utf8_valid(s, n, NULL) || utf8_width(s, n) > cols)
                good = 0;
            /* Longest: the next character, with its marks, does not fit. */
            if (n < len) {
                int k = utf8_decode(s + n, len - n, &cp);
                if (k < 0 || utf8_width(s, n + (size_t)k) <= cols)
                    good = 0;
            }
        }
        ok(good, "mixed string %zu: every cut is on a boundary, fits and is the longest", i + 1);
    }
}

static void test_prefix(void)
{
    /* 1020 ASCII bytes then U+1F600 (4 bytes: F0 9F 98 80): a cut at 1021,
     * 1022 or 1023 bytes would fall inside it. */
    char s[1024];
    memset(s, 'a', 1020);
    memcpy(s + 1020, "\xf0\x9f\x98\x80", 4);
    ok(utf8_prefix(s, 1024, 1024) == 1024, "prefix: a string of exactly max bytes is kept whole");
    ok(utf8_prefix(s, 1024, 1023) == 1020 && utf8_prefix(s, 1024, 1021) == 1020,
       "prefix: a cut inside a 4-byte character goes back to its start");
    ok(utf8_prefix(s, 1024, 2000) == 1024, "prefix: max beyond the string keeps it all");
    ok(utf8_prefix("ab\xff" "cd", 5, 64) == 2, "prefix: stops before an invalid byte");
    ok(utf8_prefix("\xe2\x82", 2, 64) == 0, "prefix: a truncated sequence is left out");
    ok(utf8_prefix("x", 1, 0) == 0, "prefix: max 0 is empty");
}

int main(void)
{
    test_valid();
    test_truncated();
    test_decode();
    test_control();
    test_cp_width();
    test_width();
    test_truncate();
    test_prefix();
    return done_testing();
}
