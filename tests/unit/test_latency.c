/* test_latency.c: the latency histogram's buckets tile the values with no gap
 * or overlap and are at most 1/32 of their values wide, and percentiles of
 * known distributions come back within that precision (never above max). */
#include <stdlib.h>

#include "daemon/latency.h"
#include "tap.h"

/* Whether got is the true value or above it by at most 1/32 of it, as a
 * bucket's upper end is. */
static int within(uint64_t got, uint64_t want)
{
    return got >= want && (got - want) * 32 <= want;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const double PS[] = { 50, 90, 99, 99.9, 100 };
#define NPS (sizeof PS / sizeof PS[0])

int main(void)
{
    static latency_hist h;
    uint64_t out[NPS];

    /* Buckets: contiguous and narrow. */
    int tiled = 1, narrow = 1;
    for (size_t b = 0; b + 1 < LATENCY_BUCKETS; b++) {
        uint64_t high = latency_bucket_high(b);
        uint64_t low = b == 0 ? 0 : latency_bucket_high(b - 1) + 1;
        if (latency_bucket(high) != b || latency_bucket(high + 1) != b + 1 || latency_bucket(low) != b)
            tiled = 0;
        if ((high - low) * 32 > low)
            narrow = 0;
    }
    ok(tiled, "every value up to 2^40 us falls in exactly one bucket, in order");
    ok(narrow, "no bucket is wider than 1/32 of its smallest value");
    for (uint64_t v = 0; v < LATENCY_EXACT; v++)
        if (latency_bucket_high(latency_bucket(v)) != v)
            narrow = 0;
    ok(narrow, "values below %u us have buckets of their own", LATENCY_EXACT);
    is_int(latency_bucket((uint64_t)1 << 40), LATENCY_BUCKETS - 1, "2^40 us goes to the last bucket");
    is_int(latency_bucket(UINT64_MAX), LATENCY_BUCKETS - 1, "and so does the largest value");

    /* Empty. */
    latency_init(&h);
    latency_percentiles(&h, PS, NPS, out);
    ok(out[0] == 0 && out[NPS - 1] == 0, "an empty histogram reports 0");

    /* One value: every percentile is that value, exactly (clamped to max). */
    latency_record(&h, 12345);
    latency_percentiles(&h, PS, NPS, out);
    ok(out[0] == 12345 && out[2] == 12345 && out[NPS - 1] == 12345, "one value: every percentile is it");

    /* Uniform 1..100000. */
    latency_init(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        latency_record(&h, v);
    latency_percentiles(&h, PS, NPS, out);
    ok(within(out[0], 50000), "uniform: p50 %llu ~ 50000", (unsigned long long)out[0]);
    ok(within(out[1], 90000), "uniform: p90 %llu ~ 90000", (unsigned long long)out[1]);
    ok(within(out[2], 99000), "uniform: p99 %llu ~ 99000", (unsigned long long)out[2]);
    ok(within(out[3], 99900), "uniform: p99.9 %llu ~ 99900", (unsigned long long)out[3]);
    is_int(out[4], 100000, "uniform: p100 is the max, exactly");
    is_int(h.count, 100000, "uniform: count");

    /* Bimodal: 990 fast, 10 slow. */
    latency_init(&h);
    for (int i = 0; i < 990; i++)
        latency_record(&h, 100);
    for (int i = 0; i < 10; i++)
        latency_record(&h, 1000000);
    double bp[] = { 50, 99, 99.1, 100 };
    uint64_t bo[4];
    latency_percentiles(&h, bp, 4, bo);
    ok(within(bo[0], 100) && within(bo[1], 100), "bimodal: p50 and p99 are the fast mode (%llu, %llu)",
       (unsigned long long)bo[0], (unsigned long long)bo[1]);
    ok(bo[2] == 1000000 && bo[3] == 1000000, "bimodal: p99.1 and max are the slow value, clamped to max");

    /* A skewed pseudo-random distribution against exact order statistics. */
    enum { N = 20000 };
    static uint64_t vals[N];
    uint64_t x = 88172645463325252ull;
    latency_init(&h);
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* Roughly log-uniform over 1 us .. 1 s. */
        uint64_t v = ((uint64_t)1 << (x % 20)) + (x >> 40) % ((uint64_t)1 << (x % 20));
        vals[i] = v;
        latency_record(&h, v);
    }
    qsort(vals, N, sizeof vals[0], cmp_u64);
    latency_percentiles(&h, PS, NPS, out);
    int good = 1;
    for (size_t i = 0; i < NPS; i++) {
        size_t rank = (size_t)(PS[i] / 100.0 * N + 0.999999);
        uint64_t want = vals[rank - 1];
        if (!within(out[i], want)) {
            good = 0;
            diag("p%g: got %llu, exact %llu", PS[i], (unsigned long long)out[i], (unsigned long long)want);
        }
    }
    ok(good, "skewed: every percentile within 1/32 above the exact order statistic");
    ok(out[0] <= out[1] && out[1] <= out[2] && out[2] <= out[3] && out[3] <= out[4],
       "percentiles are ordered");

    /* Huge values keep max exact. */
    latency_init(&h);
    latency_record(&h, (uint64_t)1 << 50);
    latency_percentiles(&h, PS, 1, out);
    ok(out[0] == (uint64_t)1 << 50 && h.max == (uint64_t)1 << 50, "a value past 2^40 us is reported as max");
    return done_testing();
}
