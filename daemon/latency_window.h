/* latency_window.h: latency over the last minute, for a stats watcher to see
 * what happens now rather than since the start. Six slots of ten seconds
 * each, rotated by a monotonic clock: a slot is cleared when a value of a
 * newer ten seconds lands in it, and a read takes the slots of the last six
 * ten-second periods, the current one included (so the window spans the
 * last 50 to 60 seconds).
 *
 * Memory: a slot keeps the buckets of latency.h four by four (8 per power of
 * two instead of 32, 32-bit counts), about 1.2 KB, so a window is about
 * 7 KB against 9 KB for the lifetime histogram; a percentile read back is
 * within 1/8 (12.5%) of the true value. max is exact. */
#ifndef ANNALS_LATENCY_WINDOW_H
#define ANNALS_LATENCY_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/latency.h"

#define LATENCY_WINDOW_SLOTS 6
#define LATENCY_WINDOW_SLOT_MS 10000u
#define LATENCY_WINDOW_S (LATENCY_WINDOW_SLOTS * LATENCY_WINDOW_SLOT_MS / 1000)
#define LATENCY_WINDOW_GROUP 4       /* latency.h buckets per window bucket */
#define LATENCY_WINDOW_BUCKETS (LATENCY_BUCKETS / LATENCY_WINDOW_GROUP)

typedef struct {
    uint64_t period;        /* now_ms / LATENCY_WINDOW_SLOT_MS of its values, + 1 (0: empty) */
    uint64_t max;
    uint32_t buckets[LATENCY_WINDOW_BUCKETS];
} latency_window_slot;

typedef struct {
    latency_window_slot slots[LATENCY_WINDOW_SLOTS];
} latency_window;

/* latency_window_init: an empty window. */
void latency_window_init(latency_window *w);

/* latency_window_record: count one value of us microseconds at now_ms (a
 * monotonic clock in milliseconds, never going back). */
void latency_window_record(latency_window *w, uint64_t now_ms, uint64_t us);

/* latency_window_percentiles: as latency_percentiles over the values
 * recorded in the window that ends at now_ms; *count and *max get their
 * number and the largest. All zero when there are none. */
void latency_window_percentiles(const latency_window *w, uint64_t now_ms, const double *ps,
                                size_t n, uint64_t *out, uint64_t *count, uint64_t *max);

#endif
