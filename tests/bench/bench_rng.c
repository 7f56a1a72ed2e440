/* bench_rng.c: splitmix64 streams and Zipf draws (see bench_rng.h). */
#include <stdlib.h>

#include "proto/xalloc.h"
#include "tests/bench/bench_rng.h"

/* The weight of rank 0 when q is 1; large enough that 1 / (r + q) keeps
 * its shape far down a list of thousands. */
#define BENCH_ZIPF_SCALE (1ULL << 40)

void bench_rng_seed(bench_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t bench_rng_next(bench_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void bench_rng_derive(bench_rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
    bench_rng mix;
    bench_rng_seed(&mix, seed ^ 0x5851f42d4c957f2dULL);
    uint64_t s = bench_rng_next(&mix);
    bench_rng_seed(&mix, s ^ a);
    s = bench_rng_next(&mix);
    bench_rng_seed(&mix, s ^ (b * 0xd6e8feb86659fd93ULL));
    bench_rng_seed(r, bench_rng_next(&mix));
}

uint32_t bench_rng_below(bench_rng *r, uint32_t n)
{
    return (uint32_t)(bench_rng_next(r) % n);
}

int bench_rng_chance(bench_rng *r, uint32_t per_mille)
{
    return bench_rng_below(r, 1000) < per_mille;
}

void bench_zipf_init(bench_zipf *z, uint32_t n, uint32_t q)
{
    uint64_t sum = 0;
    z->n = n;
    z->cum = xmalloc((size_t)n * sizeof *z->cum);
    for (uint32_t i = 0; i < n; i++) {
        sum += BENCH_ZIPF_SCALE / ((uint64_t)i + q);
        z->cum[i] = sum;
    }
}

void bench_zipf_release(bench_zipf *z)
{
    free(z->cum);
    z->cum = NULL;
    z->n = 0;
}

uint32_t bench_zipf_draw(const bench_zipf *z, bench_rng *r)
{
    uint64_t x = bench_rng_next(r) % z->cum[z->n - 1];
    uint32_t lo = 0, hi = z->n - 1;
    /* The first rank whose cumulative weight exceeds x. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
