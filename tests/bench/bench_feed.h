/* bench_feed.h: the "feed" workload: W writers doing durable puts as fast as
 * they are acknowledged while S subscribers follow the change feed; reports
 * delivery rates and the delay from a put's acknowledgement to each
 * subscriber's receipt of its change, and checks that every subscriber got
 * every seq exactly once, in order. */
#ifndef ANNALS_BENCH_FEED_H
#define ANNALS_BENCH_FEED_H

#include "tests/bench/bench.h"

/* bench_feed_run: one run per opts->subscribers value, each on a fresh
 * annalsd when opts->annalsd is set. Returns 0 when all passed, else 1. */
int bench_feed_run(const bench_opts *o);

#endif
