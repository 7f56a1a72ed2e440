/* latency_window.c: latency over the last minute (see latency_window.h). */
#include <string.h>

#include "daemon/latency_window.h"

_Static_assert(LATENCY_BUCKETS % LATENCY_WINDOW_GROUP == 0 &&
               (1u << LATENCY_SUB_BITS) % LATENCY_WINDOW_GROUP == 0,
               "a window bucket groups buckets of one power of two");

void latency_window_init(latency_window *w)
{
    memset(w, 0, sizeof *w);
}

void latency_window_record(latency_window *w, uint64_t now_ms, uint64_t us)
{
    uint64_t period = now_ms / LATENCY_WINDOW_SLOT_MS + 1;
    latency_window_slot *s = &w->slots[period % LATENCY_WINDOW_SLOTS];
    if (s->period != period) {
        memset(s, 0, sizeof *s);
        s->period = period;
    }
    uint32_t *b = &s->buckets[latency_bucket(us) / LATENCY_WINDOW_GROUP];
    if (*b < UINT32_MAX)
        (*b)++;
    if (us > s->max)
        s->max = us;
}

void latency_window_percentiles(const latency_window *w, uint64_t now_ms, const double *ps,
                                size_t n, uint64_t *out, uint64_t *count, uint64_t *max)
{
    /* The slots are merged into a histogram of latency.h, each group of
     * buckets counted in its last one, so that latency_percentiles reports
     * the upper end of the group. */
    latency_hist h;
    uint64_t period = now_ms / LATENCY_WINDOW_SLOT_MS + 1;
    latency_init(&h);
    for (size_t i = 0; i < LATENCY_WINDOW_SLOTS; i++) {
        const latency_window_slot *s = &w->slots[i];
        if (s->period == 0 || s->period > period || period - s->period >= LATENCY_WINDOW_SLOTS)
            continue;
        for (size_t b = 0; b < LATENCY_WINDOW_BUCKETS; b++) {
            h.buckets[b * LATENCY_WINDOW_GROUP + LATENCY_WINDOW_GROUP - 1] += s->buckets[b];
            h.count += s->buckets[b];
        }
        if (s->max > h.max)
            h.max = s->max;
    }
    latency_percentiles(&h, ps, n, out);
    *count = h.count;
    *max = h.max;
}
