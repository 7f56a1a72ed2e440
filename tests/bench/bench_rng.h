/* bench_rng.h: the load generator's random numbers: splitmix64 streams, a
 * stream derived from a seed and a few integers (so event i or query j of a
 * workload is the same whichever thread makes it), and Zipf-like draws over
 * ranked lists. Integer arithmetic only, so every machine draws the same. */
#ifndef ANNALS_BENCH_RNG_H
#define ANNALS_BENCH_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} bench_rng;

/* bench_rng_seed / bench_rng_next: splitmix64. */
void bench_rng_seed(bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(bench_rng *r);

/* bench_rng_derive: seed r from seed and two integers (an event index and a
 * stream name, a workload and a thread...), so that neighbouring inputs give
 * unrelated streams. */
void bench_rng_derive(bench_rng *r, uint64_t seed, uint64_t a, uint64_t b);

/* bench_rng_below: a number in [0, n); n > 0. */
uint32_t bench_rng_below(bench_rng *r, uint32_t n);

/* bench_rng_chance: 1 with probability per_mille / 1000. */
int bench_rng_chance(bench_rng *r, uint32_t per_mille);

/* A Zipf-Mandelbrot distribution over ranks 0..n-1: rank r has weight
 * 1 / (r + q), so rank 0 is the most frequent and the tail is long. */
typedef struct {
    uint64_t *cum;            /* owned; cumulative integer weights */
    uint32_t n;
} bench_zipf;

/* bench_zipf_init: build the table (n > 0, q > 0). Never fails (OOM aborts). */
void bench_zipf_init(bench_zipf *z, uint32_t n, uint32_t q);

/* bench_zipf_release: free the table. */
void bench_zipf_release(bench_zipf *z);

/* bench_zipf_draw: a rank in [0, n). The table is read only, so threads may
 * share it. */
uint32_t bench_zipf_draw(const bench_zipf *z, bench_rng *r);

#endif
