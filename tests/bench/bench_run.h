/* bench_run.h: one timed run, as both load generators make it (the query
 * workload of bench, and bench_peers): C threads, each with its own
 * connection and one request in flight, for a fixed time; the run's
 * throughput and latency percentiles; and how those figures print in a
 * table's cells. */
#ifndef ANNALS_BENCH_RUN_H
#define ANNALS_BENCH_RUN_H

#include <stddef.h>
#include <stdint.h>

/* The figures of one run. */
typedef struct {
    int ran;                  /* 0: not run (interrupted, or what it needed failed) */
    unsigned conc;
    uint64_t ok, errors;      /* replies that passed their check, and the others */
    char first_error[512];    /* what the first error said */
    double secs;              /* from the start to the last reply, at least the duration */
    int64_t end_ns;           /* when the last reply was read (bench_now_ns) */
    double ops;               /* ok replies per second */
    int64_t p50, p99;         /* ns, nearest rank, over the ok replies */
    double hits;              /* what an ok reply found, averaged */
} bench_run_result;

/* What a run asks of its caller, per thread. */
typedef struct {
    void *arg;
    /* Open thread t's connection (and whatever it keeps: *conn is the
     * caller's, until close). 0, or -1 with a message in err, having freed
     * what it made: that thread then asks nothing, and the failure is an
     * error of the run. */
    int (*open)(void *arg, unsigned t, void **conn, char *err, size_t errlen);
    /* Ask one request and read its reply, setting *sent (when the request
     * left, bench_now_ns) and *at (when its reply was in). Returns 0 when
     * the reply passed, with *hits what it found; -1 when it failed and the
     * connection goes on; -2 when the connection is lost (the thread
     * stops). */
    int (*call)(void *conn, uint64_t *hits, int64_t *sent, int64_t *at, char *err,
                size_t errlen);
    void (*close)(void *conn);
    /* Called as soon as every thread has stopped, before the latencies are
     * sorted, with res's ok, errors, secs and end_ns set; may be NULL. */
    void (*after)(void *arg, const bench_run_result *res);
} bench_run_ops;

/* bench_run: conc threads, each opens its connection; once all have, the
 * clock starts and each asks requests, one at a time, until secs have
 * passed (or bench_interrupted). Fills *res (ran is set). */
void bench_run(const bench_run_ops *ops, unsigned conc, double secs, bench_run_result *res);

/* bench_run_median: the median of v[0..n) (sorted in place); the mean of
 * the middle two when n is even, 0 when n is 0. */
double bench_run_median(double *v, unsigned n);

/* bench_run_medians: the figures of n runs of the same thing (at most
 * BENCH_RUN_MAX_MEDIAN): ops/s, p50, p99 and hits are the medians over the
 * runs that had an ok reply; ok and errors are summed; ran is set when any
 * ran; the rest is that of the first run. */
#define BENCH_RUN_MAX_MEDIAN 64
void bench_run_medians(const bench_run_result *const *r, unsigned n, bench_run_result *out);

/* bench_run_num: a figure in a table cell, fewer decimals as it grows
 * ("0.42", "12.5", "1234"). */
void bench_run_num(double v, char *out, size_t len);

/* bench_run_n: N as a column label: "100k", "1M", "1500". */
void bench_run_n(uint64_t n, char *out, size_t len);

/* bench_run_cells: the cells ops/s, p50 ms, p99 ms and hits of r; "-"
 * when it has no ok reply, and "ERR" for ops/s when it had only errors. */
void bench_run_cells(const bench_run_result *r, char cell[4][24]);

#endif
