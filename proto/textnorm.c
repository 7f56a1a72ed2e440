/* textnorm.c: word splitting, Arabic and Latin folding and Arabic light
 * stemming of textnorm.h. A word is read twice: once to learn its length and
 * its first and last letters, which decide the affixes to strip, and once to
 * write the letters between them, so no word needs a scratch buffer however
 * long it is. */
#include "proto/textnorm.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "proto/utf8.h"

enum { SEP, WORD, IGN };

struct span {
    uint32_t first, last;
    unsigned char cls;
};

/* Classes of the code points above ASCII that are not letters (SEP) or are
 * marks to drop inside a word (IGN); everything else is a letter or digit.
 * Sorted and disjoint, for a binary search. ª µ º are letters and stay out
 * of the Latin-1 ranges; so are the letterlike symbols and number forms
 * U+2100-218F (ℂ, ℕ, Roman numerals), which hold more letters than signs. */
static const struct span spans[] = {
    { 0x0080, 0x00A9, SEP }, { 0x00AB, 0x00AC, SEP }, { 0x00AD, 0x00AD, IGN },
    { 0x00AE, 0x00B4, SEP }, { 0x00B6, 0x00B9, SEP }, { 0x00BB, 0x00BF, SEP },
    { 0x00D7, 0x00D7, SEP }, { 0x00F7, 0x00F7, SEP }, { 0x0300, 0x036F, IGN },
    { 0x037E, 0x037E, SEP }, { 0x0387, 0x0387, SEP }, { 0x055A, 0x055F, SEP },
    { 0x0589, 0x058A, SEP }, { 0x05BE, 0x05BE, SEP }, { 0x05C0, 0x05C0, SEP },
    { 0x05C3, 0x05C3, SEP }, { 0x05C6, 0x05C6, SEP }, { 0x05F3, 0x05F4, SEP },
    { 0x0600, 0x060F, SEP }, { 0x0610, 0x061A, IGN }, { 0x061B, 0x061B, SEP },
    { 0x061C, 0x061C, IGN }, { 0x061D, 0x061F, SEP }, { 0x0640, 0x0640, IGN },
    { 0x064B, 0x065F, IGN }, { 0x066A, 0x066D, SEP }, { 0x0670, 0x0670, IGN },
    { 0x06D4, 0x06D4, SEP }, { 0x06D6, 0x06ED, IGN }, { 0x06FD, 0x06FE, SEP },
    { 0x0700, 0x070D, SEP }, { 0x0964, 0x0965, SEP }, { 0x1680, 0x1680, SEP },
    { 0x1AB0, 0x1AFF, IGN }, { 0x1DC0, 0x1DFF, IGN }, { 0x2000, 0x200B, SEP },
    { 0x200C, 0x200F, IGN }, { 0x2010, 0x2029, SEP }, { 0x202A, 0x202E, IGN },
    { 0x202F, 0x205F, SEP }, { 0x2060, 0x206F, IGN }, { 0x2070, 0x20CF, SEP },
    { 0x20D0, 0x20FF, IGN }, { 0x2190, 0x2BFF, SEP }, { 0x2E00, 0x2E7F, SEP },
    { 0x3000, 0x3004, SEP }, { 0x3008, 0x3020, SEP }, { 0x3030, 0x3030, SEP },
    { 0x303D, 0x303F, SEP }, { 0x30FB, 0x30FB, SEP }, { 0xFD3E, 0xFD3F, SEP },
    { 0xFE00, 0xFE0F, IGN }, { 0xFE10, 0xFE19, SEP }, { 0xFE20, 0xFE2F, IGN },
    { 0xFE30, 0xFE6F, SEP }, { 0xFEFF, 0xFEFF, IGN }, { 0xFF01, 0xFF0F, SEP },
    { 0xFF1A, 0xFF20, SEP }, { 0xFF3B, 0xFF40, SEP }, { 0xFF5B, 0xFF65, SEP },
    { 0xFFF9, 0xFFFB, IGN }, { 0xFFFC, 0xFFFD, SEP }, { 0x1F000, 0x1FAFF, SEP },
    { 0xE0000, 0xE007F, SEP }, { 0xE0100, 0xE01EF, IGN },
};

static int classify(uint32_t cp)
{
    if (cp < 0x80) {
        int alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
                    (cp >= 'A' && cp <= 'Z');
        return alnum ? WORD : SEP;
    }
    size_t lo = 0, hi = sizeof spans / sizeof spans[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp > spans[mid].last)
            lo = mid + 1;
        else if (cp < spans[mid].first)
            hi = mid;
        else
            return spans[mid].cls;
    }
    return WORD;
}

/* The class of the code point at s[0..len) and its length in *n; an invalid
 * byte is a separator by itself, so one bad byte costs at most a split. */
static int next_class(const char *s, size_t len, uint32_t *cp, size_t *n)
{
    int k = utf8_decode(s, len, cp);
    if (k < 0) {
        *cp = 0xFFFD;
        *n = 1;
        return SEP;
    }
    *n = (size_t)k;
    return classify(*cp);
}

/* U+00C0-U+017F folded to lower-case ASCII. × and ÷ are separators and never
 * reach the table. */
static const char *const latin[] = {
    /* U+00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* U+00C8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00D0 */ "d", "n", "o", "o", "o", "o", "o", NULL,
    /* U+00D8 */ "o", "u", "u", "u", "u", "y", "th", "ss",
    /* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
    /* U+00E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
    /* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", NULL,
    /* U+00F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
    /* U+0100 */ "a", "a", "a", "a", "a", "a", "c", "c",
    /* U+0108 */ "c", "c", "c", "c", "c", "c", "d", "d",
    /* U+0110 */ "d", "d", "e", "e", "e", "e", "e", "e",
    /* U+0118 */ "e", "e", "e", "e", "g", "g", "g", "g",
    /* U+0120 */ "g", "g", "g", "g", "h", "h", "h", "h",
    /* U+0128 */ "i", "i", "i", "i", "i", "i", "i", "i",
    /* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k",
    /* U+0138 */ "k", "l", "l", "l", "l", "l", "l", "l",
    /* U+0140 */ "l", "l", "l", "n", "n", "n", "n", "n",
    /* U+0148 */ "n", "n", "n", "n", "o", "o", "o", "o",
    /* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r",
    /* U+0158 */ "r", "r", "s", "s", "s", "s", "s", "s",
    /* U+0160 */ "s", "s", "t", "t", "t", "t", "t", "t",
    /* U+0168 */ "u", "u", "u", "u", "u", "u", "u", "u",
    /* U+0170 */ "u", "u", "u", "u", "w", "w", "y", "y",
    /* U+0178 */ "y", "z", "z", "z", "z", "z", "z", "s",
};
_Static_assert(sizeof latin / sizeof latin[0] == 0x180 - 0xC0,
               "one entry per code point of U+00C0-U+017F");

/* The folded form of one letter or digit: 1 or 2 code points into f. */
static int fold(uint32_t cp, uint32_t f[2])
{
    if (cp >= 'A' && cp <= 'Z') {
        f[0] = cp + ('a' - 'A');
        return 1;
    }
    if (cp >= 0xC0 && cp < 0x180 && latin[cp - 0xC0]) {
        const char *a = latin[cp - 0xC0];
        f[0] = (unsigned char)a[0];
        if (!a[1])
            return 1;
        f[1] = (unsigned char)a[1];
        return 2;
    }
    switch (cp) {
    case 0x0622: case 0x0623: case 0x0625: case 0x0671:
        cp = 0x0627; /* alef */
        break;
    case 0x0649: case 0x0626: case 0x06CC:
        cp = 0x064A; /* yeh */
        break;
    case 0x0629:
        cp = 0x0647; /* heh */
        break;
    case 0x0624:
        cp = 0x0648; /* waw */
        break;
    case 0x06A9:
        cp = 0x0643; /* kaf */
        break;
    default:
        if (cp >= 0x0660 && cp <= 0x0669)
            cp = '0' + (cp - 0x0660);
        else if (cp >= 0x06F0 && cp <= 0x06F9)
            cp = '0' + (cp - 0x06F0);
        break;
    }
    f[0] = cp;
    return 1;
}

static int is_arabic_letter(uint32_t cp)
{
    return (cp >= 0x0621 && cp <= 0x063A) || (cp >= 0x0641 && cp <= 0x064A) ||
           (cp >= 0x066E && cp <= 0x066F) || (cp >= 0x0671 && cp <= 0x06D3) ||
           cp == 0x06D5 || (cp >= 0x06EE && cp <= 0x06EF) ||
           (cp >= 0x06FA && cp <= 0x06FC) || cp == 0x06FF;
}

/* A walk over the folded code points of a word s[0..len), which holds only
 * letters, digits and ignorable marks (textnorm_next_token made sure). */
struct walk {
    const char *s;
    size_t len, i;
    uint32_t pend[2];
    int npend, ipend;
};

static int walk_next(struct walk *w, uint32_t *cp)
{
    while (w->ipend == w->npend) {
        if (w->i >= w->len)
            return 0;
        uint32_t c;
        size_t n;
        int cls = next_class(w->s + w->i, w->len - w->i, &c, &n);
        w->i += n;
        w->ipend = 0;
        w->npend = cls == WORD ? fold(c, w->pend) : 0;
    }
    *cp = w->pend[w->ipend++];
    return 1;
}

/* The affixes as folded UTF-8, so that the lists read as Arabic. Every
 * Arabic letter is two bytes in UTF-8, so AFFIX_MAX letters fit in the
 * buffers below. */
#define AFFIX_MAX 4
static const char *const articles[] = { "وال", "بال", "كال", "فال", "لل", "ال" };
static const char *const waw_words[] = {
    "وزير", "وزار", "وزرا", "وكال", "ولاي", "والي", "وطن", "وفد", "وقت",
    "وضع", "وحد", "وثيق", "وسط", "وصل", "وجه", "ورق", "ولد",
};
static const char *const suffixes[] = { "ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي" };

/* The code points of an affix literal into a[]; returns how many. */
static size_t affix_cps(const char *lit, uint32_t a[AFFIX_MAX])
{
    size_t n = 0, i = 0;
    size_t len = strlen(lit);
    while (i < len && n < AFFIX_MAX) {
        int k = utf8_decode(lit + i, len - i, &a[n++]);
        assert(k > 0);
        i += (size_t)k;
    }
    return n;
}

/* Whether the affix lit equals cps[0..k), where k is the affix's length in
 * letters and at most have letters are available; *k is set either way. */
static int affix_eq(const char *lit, const uint32_t *cps, size_t have, size_t *k)
{
    uint32_t a[AFFIX_MAX];
    *k = affix_cps(lit, a);
    if (*k > have)
        return 0;
    for (size_t j = 0; j < *k; j++)
        if (a[j] != cps[j])
            return 0;
    return 1;
}

#define HEAD 6
#define TAIL 16 /* more than every suffix together (14 letters) */

/* Decide how many folded code points to drop from the front (*skip) and the
 * back (*cut) of the word s[0..len), by the light10 rules of textnorm.h;
 * *total is the number of folded code points of the word. */
static void stem_bounds(const char *s, size_t len, size_t *total,
                        size_t *skip, size_t *cut)
{
    struct walk w = { .s = s, .len = len };
    uint32_t head[HEAD], ring[TAIL], cp;
    size_t n = 0;
    int arabic = 1;
    while (walk_next(&w, &cp)) {
        if (n < HEAD)
            head[n] = cp;
        ring[n % TAIL] = cp;
        arabic = arabic && is_arabic_letter(cp);
        n++;
    }
    *total = n;
    *skip = *cut = 0;
    if (!arabic)
        return;
    size_t nhead = n < HEAD ? n : HEAD, k;

    size_t p = 0;
    for (size_t i = 0; i < sizeof articles / sizeof articles[0] && !p; i++)
        if (affix_eq(articles[i], head, nhead, &k) && n - k >= 2)
            p = k;
    if (!p && n >= 4 && head[0] == 0x0648) {
        int keep = 0;
        for (size_t i = 0; i < sizeof waw_words / sizeof waw_words[0] && !keep; i++)
            keep = affix_eq(waw_words[i], head, nhead, &k);
        if (!keep)
            p = 1;
    }

    /* The ring, oldest first, as the last ntail letters of the word. */
    size_t ntail = n < TAIL ? n : TAIL;
    uint32_t tail[TAIL];
    for (size_t j = 0; j < ntail; j++)
        tail[j] = ring[(n - ntail + j) % TAIL];
    size_t left = n - p, end = ntail;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        uint32_t a[AFFIX_MAX];
        k = affix_cps(suffixes[i], a);
        if (left < k + 2 || end < k)
            continue;
        size_t j = 0;
        while (j < k && tail[end - k + j] == a[j])
            j++;
        if (j == k) {
            end -= k;
            left -= k;
        }
    }
    *skip = p;
    *cut = ntail - end;
}

static size_t encode(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The normalised, stemmed form of the word s[0..len) into out; 0 when the
 * word is nothing but ignorable marks. */
static size_t norm_word(const char *s, size_t len, char *out, size_t outcap)
{
    size_t total, skip, cut, n = 0, o = 0;
    stem_bounds(s, len, &total, &skip, &cut);
    struct walk w = { .s = s, .len = len };
    uint32_t cp;
    while (walk_next(&w, &cp)) {
        if (n++ < skip)
            continue;
        if (n > total - cut)
            break;
        char b[4];
        size_t k = encode(cp, b);
        /* Stopping at the first code point that does not fit, rather than
         * skipping it, keeps out a prefix of the full form. */
        if (o + k >= outcap)
            break;
        for (size_t j = 0; j < k; j++)
            out[o++] = b[j];
    }
    out[o] = '\0';
    return o;
}

static int is_latin_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           (cp >= 0xC0 && cp < 0x250 && cp != 0xD7 && cp != 0xF7);
}

/* The end of a possessive "'s" or "’s" at s[i..len) that follows a Latin
 * letter and ends a word, or i when there is none. */
static size_t possessive_end(const char *s, size_t len, size_t i, uint32_t last)
{
    if (!is_latin_letter(last))
        return i;
    size_t j = i;
    if (j < len && s[j] == '\'')
        j++;
    else if (len - j >= 3 && (unsigned char)s[j] == 0xE2 &&
             (unsigned char)s[j + 1] == 0x80 && (unsigned char)s[j + 2] == 0x99)
        j += 3;
    else
        return i;
    if (j >= len || (s[j] != 's' && s[j] != 'S'))
        return i;
    j++;
    uint32_t cp;
    size_t n;
    if (j < len && next_class(s + j, len - j, &cp, &n) != SEP)
        return i;
    return j;
}

size_t textnorm_next_token(const char *s, size_t len, size_t *pos,
                           char *out, size_t outcap)
{
    assert(outcap >= TEXTNORM_OUT_MIN);
    size_t i = *pos;
    while (i < len) {
        uint32_t cp, last = 0;
        size_t n;
        if (next_class(s + i, len - i, &cp, &n) == SEP) {
            i += n;
            continue;
        }
        size_t start = i;
        int cls;
        while (i < len && (cls = next_class(s + i, len - i, &cp, &n)) != SEP) {
            if (cls == WORD)
                last = cp;
            i += n;
        }
        size_t end = i;
        i = possessive_end(s, len, end, last);
        size_t o = norm_word(s + start, end - start, out, outcap);
        if (o > 0) {
            *pos = i;
            return o;
        }
    }
    *pos = len;
    out[0] = '\0';
    return 0;
}

size_t textnorm_word(const char *w, size_t len, char *out, size_t outcap)
{
    size_t pos = 0;
    return textnorm_next_token(w, len, &pos, out, outcap);
}
