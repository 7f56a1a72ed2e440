/* bench_peer_run.h: one timed run of the side-by-side benchmark (one
 * system, one workload, C connections) and the check of a system's
 * answers against the brute-force ones. */
#ifndef ANNALS_BENCH_PEER_RUN_H
#define ANNALS_BENCH_PEER_RUN_H

#include <stdint.h>

#include "tests/bench/bench_peer.h"

typedef struct {
    int ran;
    double ops;               /* replies that passed / the run's time */
    double p50, p99;          /* ns, nearest rank, over the replies that passed */
    double hits;              /* what a reply found, averaged (bench_peer.h: call) */
    uint64_t ok, errors;
    char first_error[512];
} peer_result;

/* peer_run: conc threads, each with its own connection (d->open) and one
 * request in flight, drawing from its own stream (peer_draw: workload w,
 * connection t), for secs seconds; latency from just before the call to
 * its return. PUT puts events from put_base + (t << 24) on. An error reply
 * is counted and the thread goes on; a failed open ends that thread.
 * Fills *res. Returns 0, or -1 when interrupted. */
int peer_run(const peer_driver *d, void *server, const peer_set *set, peer_work w, unsigned conc,
             uint64_t put_base, double secs, peer_result *res);

/* peer_count_all: ask conn (of d) a COUNT over everything
 * (peer_req_count_all) and set *count to its answer and *at to when it
 * came. Returns 0, or -1 with a message in err. */
int peer_count_all(const peer_driver *d, void *conn, uint64_t *count, int64_t *at, char *err,
                   size_t errlen);

/* peer_check: ask the first k requests of connection 0 of each query
 * workload (GET, RANGE, RANGE_F, COUNT) over one connection and compare
 * each hit count with peer_expect. Returns the number of wrong or failed
 * answers, with the first described in err. */
unsigned peer_check(const peer_driver *d, void *server, const peer_set *set, unsigned k, char *err,
                    size_t errlen);

#endif
