/* test_client_hist.c: the bars of 'annals hist' are scaled so that the
 * largest bucket fills the width left by labels and counts, rounded to the
 * nearest eighth of a column and drawn with the eighth blocks; empty buckets
 * have no bar, non-empty ones always have one, an all-zero histogram draws
 * nothing, a huge bucket neither overflows nor hides the small ones, and no
 * line is wider than the terminal or ends in a blank. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/hist_bars.h"
#include "proto/buf.h"
#include "proto/utf8.h"
#include "tests/unit/tap.h"

#define FULL "\xe2\x96\x88"
static const char *const part[8] = {
    "", "\xe2\x96\x8f", "\xe2\x96\x8e", "\xe2\x96\x8d", "\xe2\x96\x8c",
    "\xe2\x96\x8b", "\xe2\x96\x8a", "\xe2\x96\x89"
};

/* n full blocks then the partial block of rem eighths, as a new string. */
static char *bar(size_t n, unsigned rem)
{
    buf_t b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++)
        buf_append(&b, FULL, 3);
    buf_append(&b, part[rem], strlen(part[rem]));
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

static char *drawn(uint64_t eighths)
{
    buf_t b;
    buf_init(&b);
    hist_bars_draw(&b, eighths);
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

static char *render(const hist_bars_bucket *bk, size_t n, uint64_t total, size_t width)
{
    buf_t b;
    buf_init(&b);
    hist_bars_render(&b, bk, n, total, width);
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

/* The display width of line number row of text (0-based), or -1. */
static long line_width(const char *text, int row)
{
    const char *line = text;
    while (row-- > 0 && line)
        line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
    if (!line || !*line)
        return -1;
    return (long)utf8_width(line, strcspn(line, "\n"));
}

/* Whether every line fits in width columns and none ends in a blank. */
static int lines_fit(const char *text, size_t width)
{
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        if (utf8_width(line, len) > width || (len && line[len - 1] == ' '))
            return 0;
        line += len + (line[len] == '\n');
    }
    return 1;
}

static void test_eighths(void)
{
    is_int(hist_bars_eighths(10, 10, 50), 400, "the largest bucket fills the columns exactly");
    is_int(hist_bars_eighths(5, 10, 50), 200, "half the largest: half the columns");
    is_int(hist_bars_eighths(0, 10, 50), 0, "a zero bucket has no bar");
    is_int(hist_bars_eighths(0, 0, 50), 0, "an all-zero histogram has no bars (no division by zero)");
    is_int(hist_bars_eighths(10, 10, 0), 0, "no columns left: no bar");
    is_int(hist_bars_eighths(1, 3, 1), 3, "8/3 eighths round up to 3");
    is_int(hist_bars_eighths(2, 3, 1), 5, "16/3 eighths round down to 5");
    is_int(hist_bars_eighths(3, 16, 1), 2, "1.5 eighths round half up to 2");
    is_int(hist_bars_eighths(5, 16, 1), 3, "2.5 eighths round half up to 3");
    is_int(hist_bars_eighths(7, 64, 1), 1, "0.875 of an eighth rounds to 1");
    is_int(hist_bars_eighths(1, 1000, 10), 1, "a count too small to show still gets one eighth");
    is_int(hist_bars_eighths(1, UINT64_MAX, 80), 1, "even against the largest possible bucket");
    is_int(hist_bars_eighths(UINT64_MAX, UINT64_MAX, 80), 640, "a 2^64-1 bucket fills the width, no overflow");
    is_int(hist_bars_eighths(UINT64_MAX / 2, UINT64_MAX, 80), 320, "and half of it half the width");
    is_int(hist_bars_eighths((uint64_t)1 << 41, (uint64_t)1 << 42, 1000), 4000,
           "counts above 2^40 scale without overflow");
    is_int(hist_bars_eighths(20, 10, 50), 400, "a count above max is drawn as max");
    is_int(hist_bars_eighths(1, 1, (size_t)1 << 30), (uint64_t)HIST_BARS_MAX_COLS * 8,
           "an absurd width is capped");
    /* Every count against every max up to 40 at a width of 7: the rounding
     * error is at most half an eighth, and the bar grows with the count. */
    int exact = 1, monotone = 1;
    for (uint64_t max = 1; max <= 40; max++) {
        uint64_t prev = 0;
        for (uint64_t c = 1; c <= max; c++) {
            uint64_t e = hist_bars_eighths(c, max, 7);
            /* |e - c*56/max| <= 1/2, in integers: |2*e*max - 2*c*56| <= max;
             * the one-eighth floor is the exception. */
            int64_t diff = (int64_t)(2 * e * max) - (int64_t)(2 * c * 56);
            if (e > 1 && (diff > (int64_t)max || -diff > (int64_t)max))
                exact = 0;
            if (e < prev)
                monotone = 0;
            prev = e;
        }
    }
    ok(exact, "every bar is within half an eighth of its exact length");
    ok(monotone, "a larger count never draws a shorter bar");
}

static void test_draw(void)
{
    char *got, *want;
    got = drawn(0);
    is_str(got, "", "0 eighths: nothing");
    free(got);
    for (unsigned r = 1; r < 8; r++) {
        got = drawn(r);
        is_str(got, part[r], "%u eighths: the %u/8 block", r, r);
        is_int(utf8_width(got, strlen(got)), 1, "which is one column wide");
        free(got);
    }
    got = drawn(8);
    is_str(got, FULL, "8 eighths: one full block");
    free(got);
    got = drawn(8 * 5 + 3);
    want = bar(5, 3);
    is_str(got, want, "43 eighths: five full blocks and a 3/8 block");
    is_int(utf8_width(got, strlen(got)), 6, "six columns");
    free(got);
    free(want);
    got = drawn(8 * 12);
    is_int(utf8_width(got, strlen(got)), 12, "96 eighths: twelve columns, no partial block");
    free(got);
}

static void test_render(void)
{
    const hist_bars_bucket b[] = { { "2024-01", 10 }, { "2024-02", 0 }, { "2024-03", 5 } };
    char *text = render(b, 3, 15, 40);
    /* Labels 7 wide, counts 2, "  " and " " around them: 12 columns, 28
     * left for the bars. */
    char *b28 = bar(28, 0), *b14 = bar(14, 0);
    char want[512];
    snprintf(want, sizeof want,
             "2024-01  10 %s\n"
             "2024-02   0\n"
             "2024-03   5 %s\n"
             "total    15\n", b28, b14);
    is_str(text, want, "labels left, counts right, the largest bar fills 40 columns, a zero "
           "bucket has none, and a total line");
    free(b28);
    free(b14);
    free(text);

    const hist_bars_bucket z[] = { { "2024", 0 }, { "2025", 0 } };
    text = render(z, 2, 0, 80);
    is_str(text, "2024   0\n2025   0\ntotal  0\n", "an all-zero histogram: counts and no bars");
    free(text);

    text = render(NULL, 0, 0, 80);
    is_str(text, "total  0\n", "no buckets at all: the total line alone");
    free(text);

    const hist_bars_bucket h[] = {
        { "2024-04-01", 1 }, { "2024-04-08", 1000000000000ULL }, { "2024-04-15", 0 }, { "2024-04-22", 7 }
    };
    text = render(h, 4, 1000000000008ULL, 80);
    is_int(line_width(text, 1), 80, "a single huge bucket fills the 80 columns exactly");
    ok(strstr(text, "2024-04-01              1 " "\xe2\x96\x8f" "\n") != NULL,
       "and a bucket of 1 beside it still shows one eighth");
    ok(strstr(text, "2024-04-15              0\n") != NULL, "a zero bucket beside it shows nothing");
    ok(strstr(text, "total       1000000000008\n") != NULL, "the total is aligned with the counts");
    ok(lines_fit(text, 80), "no line is wider than 80 or ends in a blank");
    free(text);

    int fit = 1, fill = 1;
    for (size_t w = 1; w <= 120; w++) {
        text = render(h, 4, 1000000000008ULL, w);
        if (!lines_fit(text, w < 25 ? 25 : w))
            fit = 0;
        /* "2024-04-08  1000000000008" is 25 columns, and a space comes
         * before the bar: from 27 on, the bar of the largest bucket ends
         * exactly at the edge; below, there is no bar. */
        if (line_width(text, 1) != (w >= 27 ? (long)w : 25))
            fill = 0;
        free(text);
    }
    ok(fit, "at every width from 1 to 120 no line is wider than the terminal "
       "(or than the labels and counts) nor ends in a blank");
    ok(fill, "and the largest bar ends at the edge whenever there is room for one");

    const hist_bars_bucket c[] = { { "20\x1b[2J24", 3 }, { "2025", 1 } };
    text = render(c, 2, 4, 30);
    ok(!strchr(text, '\x1b') && strncmp(text, "20 [2J24  3 ", 12) == 0,
       "a control character in a label becomes a space, and alignment holds");
    free(text);
}

int main(void)
{
    test_eighths();
    test_draw();
    test_render();
    return done_testing();
}
