/* latency.c: the log-linear latency histogram (see latency.h). */
#include <string.h>

#include "daemon/latency.h"

#define LATENCY_SUBS (1u << LATENCY_SUB_BITS)

void latency_init(latency_hist *h)
{
    memset(h, 0, sizeof *h);
}

size_t latency_bucket(uint64_t us)
{
    if (us < LATENCY_EXACT)
        return (size_t)us;
    unsigned e = 63u - (unsigned)__builtin_clzll(us);   /* us >= 2^e, e >= SUB_BITS + 1 */
    if (e >= LATENCY_MAX_EXP)
        return LATENCY_BUCKETS - 1;
    /* The top SUB_BITS + 1 bits: 32..63, of which the leading one is implied. */
    uint64_t sub = (us >> (e - LATENCY_SUB_BITS)) - LATENCY_SUBS;
    return LATENCY_EXACT + (size_t)(e - LATENCY_SUB_BITS - 1) * LATENCY_SUBS + (size_t)sub;
}

uint64_t latency_bucket_high(size_t bucket)
{
    if (bucket < LATENCY_EXACT)
        return bucket;
    if (bucket >= LATENCY_BUCKETS - 1)
        return UINT64_MAX;
    size_t k = bucket - LATENCY_EXACT;
    unsigned shift = (unsigned)(k / LATENCY_SUBS) + 1;     /* e - SUB_BITS */
    uint64_t low = (uint64_t)(LATENCY_SUBS + k % LATENCY_SUBS) << shift;
    return low + ((uint64_t)1 << shift) - 1;
}

void latency_record(latency_hist *h, uint64_t us)
{
    h->buckets[latency_bucket(us)]++;
    h->count++;
    if (us > h->max)
        h->max = us;
}

void latency_percentiles(const latency_hist *h, const double *ps, size_t n, uint64_t *out)
{
    size_t i = 0;
    uint64_t seen = 0;
    if (h->count == 0) {
        memset(out, 0, n * sizeof *out);
        return;
    }
    for (size_t b = 0; b < LATENCY_BUCKETS && i < n; b++) {
        seen += h->buckets[b];
        /* The rank of percentile p is ceil(p% of count), at least 1. */
        while (i < n) {
            double x = ps[i] / 100.0 * (double)h->count;
            uint64_t rank = (uint64_t)x;
            if ((double)rank < x)
                rank++;
            if (rank < 1)
                rank = 1;
            if (seen < rank)
                break;
            uint64_t high = latency_bucket_high(b);
            out[i++] = high < h->max ? high : h->max;
        }
    }
    while (i < n)          /* only with p > 100: the largest value */
        out[i++] = h->max;
}
