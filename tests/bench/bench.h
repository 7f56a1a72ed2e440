/* bench.h: what the load generator's parts share: the parsed options, the
 * clock, the interrupt flag and the workload interface. A workload is one
 * function that runs against a target server and prints its rows; new ones
 * (Redis, PostgreSQL, SQLite side by side) join the table in bench.c. */
#ifndef ANNALS_BENCH_H
#define ANNALS_BENCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/bench/bench_conn.h"

#define BENCH_MAX_RUNS 8

typedef struct {
    const char *workload;      /* "feed" or "query" */
    bench_addr addr;           /* where to connect when no server is started */
    const char *annalsd;       /* start a fresh annalsd from this binary per run */
    double duration;           /* seconds of one run (feed: of writing) */
    unsigned writers;          /* feed */
    unsigned subscribers[BENCH_MAX_RUNS];  /* feed: one run per value */
    unsigned nruns;
    uint64_t query_n[BENCH_MAX_RUNS];      /* query: database sizes, ascending */
    unsigned nquery_n;
    unsigned concurrency[BENCH_MAX_RUNS];  /* query: connections per run */
    unsigned nconcurrency;
    const char *queries;       /* query: workloads to run ("range_f,count_f"); NULL: all */
    unsigned loaders;          /* query: connections that load the events */
    uint64_t seed;
    int smoke;
    int verbose;
} bench_opts;

/* Set (by the signal thread) on SIGINT or SIGTERM: every loop winds down
 * and the run fails, so a started daemon is still stopped and removed. */
extern atomic_int bench_interrupted;

/* bench_now_ns: CLOCK_MONOTONIC in nanoseconds. */
int64_t bench_now_ns(void);

/* bench_sleep_ms: sleep, returning early (1) once bench_interrupted is set. */
int bench_sleep_ms(int64_t ms);

/* bench_sort_i64: sort v ascending. */
void bench_sort_i64(int64_t *v, size_t n);

/* bench_percentile: the nearest-rank percentile p (0..1) of v, sorted
 * ascending; 0 when n is 0. */
int64_t bench_percentile(const int64_t *v, size_t n, double p);

/* A workload: runs every opts->subscribers value (or whatever its own
 * parameters are), prints its table to stdout and its diagnostics to
 * stderr. Returns 0 when every run passed its checks, 1 otherwise. */
typedef struct {
    const char *name;
    const char *what;
    int (*run)(const bench_opts *o);
    double duration;           /* default of --duration */
    double smoke_duration;     /* its default under --smoke */
} bench_workload;

#endif
