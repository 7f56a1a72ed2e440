/* hist_bars.h: the bar chart of 'annals hist' on a terminal: pure functions
 * from bucket counts to text (no terminal, no I/O), so that the scaling and
 * the drawing are unit-tested. */
#ifndef ANNALS_CLIENT_HIST_BARS_H
#define ANNALS_CLIENT_HIST_BARS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

#define HIST_BARS_MAX_COLS ((size_t)1 << 20)  /* a bar is never wider */

typedef struct {
    const char *label;   /* the bucket's start ("2024-04"); borrowed */
    uint64_t count;
} hist_bars_bucket;

/* hist_bars_eighths: the length of the bar of count, in eighths of a
 * column, when a bar of max fills cols columns: count * cols * 8 / max,
 * rounded to the nearest eighth (halves up), but at least one eighth for a
 * count above 0 (a bucket with events never looks empty) when cols is not 0.
 * 0 when count, max or cols is 0; a count above max is taken as max; cols is
 * taken as at most HIST_BARS_MAX_COLS. Exact for every count below 2^40;
 * above, both count and max lose their low bits. */
uint64_t hist_bars_eighths(uint64_t count, uint64_t max, size_t cols);

/* hist_bars_draw: append to out a bar eighths / 8 full blocks (U+2588) long,
 * then, for the remainder, the one left eighth-block (U+258F..U+2589) that
 * comes nearest. Its display width is eighths / 8 rounded up; nothing is
 * appended for 0. */
void hist_bars_draw(buf_t *out, uint64_t eighths);

/* hist_bars_render: append to out the chart for a terminal width columns
 * wide: one line per bucket, "LABEL  COUNT BAR", labels left-aligned (their
 * control characters made spaces), counts right-aligned, the bars scaled so
 * that the largest count fills what the labels and counts leave of width;
 * then the line "total  TOTAL". No line has trailing blanks, and none is
 * wider than width unless the labels and counts alone are. The text is not
 * NUL-terminated. */
void hist_bars_render(buf_t *out, const hist_bars_bucket *b, size_t n, uint64_t total,
                      size_t width);

#endif
