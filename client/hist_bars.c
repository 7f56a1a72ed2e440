/* hist_bars.c: the bar chart of 'annals hist' (hist_bars.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/hist_bars.h"
#include "client/render.h"
#include "proto/utf8.h"
#include "proto/xalloc.h"

#define HIST_BARS_TOTAL "total"
#define HIST_BARS_EXACT_BITS 40  /* count * cols * 8 must fit in 64 bits */

/* U+2588 FULL BLOCK, then the left blocks of 1/8 (U+258F) to 7/8 (U+2589),
 * three bytes each in UTF-8. */
static const char hist_bars_full[] = "\xe2\x96\x88";
static const char *const hist_bars_part[8] = {
    "", "\xe2\x96\x8f", "\xe2\x96\x8e", "\xe2\x96\x8d", "\xe2\x96\x8c",
    "\xe2\x96\x8b", "\xe2\x96\x8a", "\xe2\x96\x89"
};

uint64_t hist_bars_eighths(uint64_t count, uint64_t max, size_t cols)
{
    if (count == 0 || max == 0 || cols == 0)
        return 0;
    if (cols > HIST_BARS_MAX_COLS)
        cols = HIST_BARS_MAX_COLS;
    uint64_t c = count < max ? count : max, m = max;
    /* 2^40 * 2^20 * 8 is 2^63: the product below cannot overflow. */
    while (m >> HIST_BARS_EXACT_BITS) {
        c >>= 1;
        m >>= 1;
    }
    uint64_t eighths = (c * (uint64_t)cols * 8 + m / 2) / m;
    return eighths ? eighths : 1;
}

void hist_bars_draw(buf_t *out, uint64_t eighths)
{
    for (uint64_t i = 0; i < eighths / 8; i++)
        buf_append(out, hist_bars_full, sizeof hist_bars_full - 1);
    buf_append(out, hist_bars_part[eighths % 8], strlen(hist_bars_part[eighths % 8]));
}

static size_t hist_bars_digits(uint64_t n)
{
    size_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* One line: the label padded to label_w columns, two spaces, the count
 * right-aligned in count_w, then a space and the bar when it is not empty. */
static void hist_bars_line(buf_t *out, const char *label, size_t label_w, uint64_t count,
                           size_t count_w, uint64_t eighths)
{
    char num[32];
    buf_append(out, label, strlen(label));
    for (size_t w = utf8_width(label, strlen(label)); w < label_w + 2; w++)
        buf_append(out, " ", 1);
    int len = snprintf(num, sizeof num, "%*" PRIu64, (int)count_w, count);
    buf_append(out, num, (size_t)len);
    if (eighths) {
        buf_append(out, " ", 1);
        hist_bars_draw(out, eighths);
    }
    buf_append(out, "\n", 1);
}

void hist_bars_render(buf_t *out, const hist_bars_bucket *b, size_t n, uint64_t total,
                      size_t width)
{
    char **labels = xcalloc(n ? n : 1, sizeof *labels);
    size_t label_w = strlen(HIST_BARS_TOTAL);
    uint64_t max = 0;

    for (size_t i = 0; i < n; i++) {
        const char *s = b[i].label ? b[i].label : "";
        labels[i] = render_clean(s, strlen(s), 0);
        size_t w = utf8_width(labels[i], strlen(labels[i]));
        if (w > label_w)
            label_w = w;
        if (b[i].count > max)
            max = b[i].count;
    }
    size_t count_w = hist_bars_digits(max > total ? max : total);
    /* "LABEL  COUNT " comes before the bar. */
    size_t used = label_w + 2 + count_w + 1;
    size_t cols = width > used ? width - used : 0;
    for (size_t i = 0; i < n; i++) {
        hist_bars_line(out, labels[i], label_w, b[i].count, count_w,
                       hist_bars_eighths(b[i].count, max, cols));
        free(labels[i]);
    }
    hist_bars_line(out, HIST_BARS_TOTAL, label_w, total, count_w, 0);
    free(labels);
}
