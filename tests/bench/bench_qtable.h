/* bench_qtable.h: the query benchmark's report: the loads, one table of
 * workload x N x concurrency (ops/s, p50, p99, mean hits, and the ratio of
 * p50 at the largest N to the smallest), the same table in markdown for a
 * closing note, and every workload that got errors with how many and the
 * first one. */
#ifndef ANNALS_BENCH_QTABLE_H
#define ANNALS_BENCH_QTABLE_H

#include "tests/bench/bench_query.h"

/* bench_qtable_print: print r to stdout. */
void bench_qtable_print(const bench_qreport *r);

#endif
