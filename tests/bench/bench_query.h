/* bench_query.h: the "query" workload: load N events (bench_load.h) into a
 * fresh server, run every query workload (bench_qwork.h) at each
 * concurrency for a fixed time, one request in flight per connection, then
 * load up to the next N and run them again; report throughput and latency
 * per workload, N and concurrency (bench_qtable.h), and every error reply. */
#ifndef ANNALS_BENCH_QUERY_H
#define ANNALS_BENCH_QUERY_H

#include "tests/bench/bench.h"
#include "tests/bench/bench_load.h"
#include "tests/bench/bench_qwork.h"
#include "tests/bench/bench_run.h"

#define BENCH_QUERY_MAX_WORKS 16

/* One workload at one N and one concurrency (hits: bench_qwork.hits). */
typedef bench_run_result bench_qresult;

/* One database size. */
typedef struct {
    uint64_t n;
    int loaded;
    bench_load_result load;   /* the events added to reach n */
    bench_db_stats db;        /* after loading */
} bench_qstage;

typedef struct {
    const bench_opts *o;
    const bench_qwork *work[BENCH_QUERY_MAX_WORKS];
    unsigned nworks;
    bench_qstage stage[BENCH_MAX_RUNS];
    unsigned nstages;
    bench_qresult res[BENCH_MAX_RUNS][BENCH_QUERY_MAX_WORKS][BENCH_MAX_RUNS];  /* [stage][work][conc] */
} bench_qreport;

/* bench_query_run: the workload, on a fresh annalsd when opts->annalsd is
 * set (else on the given server, which must hold no events). Returns 0 when
 * everything loaded and every request of every workload got a reply that
 * passed its check, 1 otherwise, 2 on a bad --queries. */
int bench_query_run(const bench_opts *o);

#endif
