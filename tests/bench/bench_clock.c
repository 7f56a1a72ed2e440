/* bench_clock.c: what both load generators (bench and bench_peers) share:
 * the interrupt flag, the monotonic clock, an interruptible sleep, and
 * nearest-rank percentiles. */
#include <stdlib.h>
#include <time.h>

#include "tests/bench/bench.h"

atomic_int bench_interrupted;

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int bench_sleep_ms(int64_t ms)
{
    int64_t end = bench_now_ns() + ms * 1000000;
    while (!atomic_load(&bench_interrupted)) {
        int64_t left = end - bench_now_ns();
        if (left <= 0)
            return 0;
        if (left > 10000000)
            left = 10000000;   /* look at the flag every 10 ms */
        struct timespec ts = { 0, (long)left };
        nanosleep(&ts, NULL);
    }
    return 1;
}

static int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void bench_sort_i64(int64_t *v, size_t n)
{
    if (n)
        qsort(v, n, sizeof *v, bench_cmp_i64);
}

int64_t bench_percentile(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}
