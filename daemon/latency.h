/* latency.h: a fixed-memory log-linear histogram of durations in
 * microseconds, as HdrHistogram keeps them: values below 64 are counted
 * exactly, larger ones in 32 buckets per power of two, so a percentile read
 * back is within 1/32 (about 3%) of the true value. Recording is a few
 * instructions and no allocation; not thread-safe (the loop thread owns it). */
#ifndef ANNALS_LATENCY_H
#define ANNALS_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define LATENCY_SUB_BITS 5                        /* 32 buckets per power of two */
#define LATENCY_EXACT (2u << LATENCY_SUB_BITS)    /* 64: values below are exact */
#define LATENCY_MAX_EXP 40                        /* 2^40 us, about 12.7 days */
#define LATENCY_BUCKETS (LATENCY_EXACT + (LATENCY_MAX_EXP - LATENCY_SUB_BITS - 1) * (1u << LATENCY_SUB_BITS))

typedef struct {
    uint64_t count;                     /* values recorded */
    uint64_t max;                       /* the largest, exactly */
    uint64_t buckets[LATENCY_BUCKETS];
} latency_hist;

/* latency_init: an empty histogram. */
void latency_init(latency_hist *h);

/* latency_record: count one value of us microseconds (values of 2^40 and
 * more share the last bucket; max still holds them exactly). */
void latency_record(latency_hist *h, uint64_t us);

/* latency_percentiles: for each of the n percentiles ps[i] (0 < p <= 100,
 * in increasing order), the smallest value v such that at least p% of the
 * recorded values are <= v, as the upper end of v's bucket (never above
 * max), into out[i]. All zero when nothing was recorded. One pass. */
void latency_percentiles(const latency_hist *h, const double *ps, size_t n, uint64_t *out);

/* latency_bucket / latency_bucket_high: the bucket of a value, and the
 * largest value that bucket holds (exposed for the unit test). */
size_t latency_bucket(uint64_t us);
uint64_t latency_bucket_high(size_t bucket);

#endif
