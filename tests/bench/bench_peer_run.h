/* bench_peer_run.h: the side-by-side benchmark's steps with one system:
 * a load timed until a COUNT sees every event, one timed run (one
 * workload, C connections; after PUT, how soon a COUNT sees the puts), and
 * the check of its answers against the brute-force ones. */
#ifndef ANNALS_BENCH_PEER_RUN_H
#define ANNALS_BENCH_PEER_RUN_H

#include <stdint.h>

#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_run.h"

/* One system, one workload, one concurrency: ops/s, p50 and p99, and hits
 * as bench_peer.h's call gives them (1 for GET and PUT, events for RANGE
 * and RANGE_F, the count for COUNT). */
typedef bench_run_result peer_result;

typedef struct {
    int ran;                  /* the system started */
    int loaded;
    double secs;              /* the load: from the first write to the answer of a COUNT
                                 over everything, after the last write was acknowledged */
    double count_ms;          /* from that acknowledgement to that answer */
    peer_footprint fp;        /* after the load */
    unsigned check_bad;       /* answers that differed from the brute-force ones, the
                                 COUNT that ends the load included */
    char error[640];          /* why it did not start or load, or the first bad check */
} peer_load_result;

/* peer_load: load events [from, set->n) into server with conns
 * connections, and time it until a COUNT over everything, asked on a new
 * connection as soon as the load returns, answers: it must count set->n
 * (else a check that failed). Then the footprint, and, when check, the
 * first check answers of each query workload (peer_check). Fills l (ran
 * must be set by the caller) and says on stderr what it did. Returns 0
 * when the events loaded and the COUNT answered, -1 otherwise. */
int peer_load(const peer_driver *d, void *server, const peer_set *set, uint64_t from,
              unsigned conns, unsigned check, peer_load_result *l);

/* What the PUT workload's connections leave for a COUNT to see. */
typedef struct {
    int caught_up;            /* a COUNT over everything saw every acknowledged put */
    double catchup_ms;        /* from the run's last acknowledgement to that COUNT's answer */
    double count_ms;          /* one more COUNT over everything, once caught up */
    double sustained;         /* puts / (the run's time + the catch-up) */
    char error[512];          /* why not caught_up: the COUNT failed, counted more than
                                 it should, or never all within PEER_CATCHUP_MAX_MS */
} peer_catchup;

/* A connection that watches a PUT run: once the run's threads have
 * stopped, it asks a COUNT over everything (peer_req_count_all) until the
 * answer counts want events plus the puts the run acknowledged, then once
 * more. want is the events stored before the run (the load's N and the
 * puts of earlier runs); maybe the puts that failed so far, which may or
 * may not have been stored. */
typedef struct {
    void *conn;               /* borrowed; opened with d->open before the run */
    uint64_t want, maybe;
    peer_catchup out;
} peer_watch;

/* peer_run: conc threads, each with its own connection (d->open) and one
 * request in flight, drawing from its own stream (peer_draw: workload w,
 * connection t), for secs seconds; latency from just before the call to
 * its return. PUT puts events from put_base + (t << 24) on. An error reply
 * is counted and the thread goes on; a failed open ends that thread.
 * Fills *res. With watch (PUT), its COUNT is asked as soon as every thread
 * has stopped, and fills watch->out. Returns 0, or -1 when interrupted. */
#define PEER_CATCHUP_MAX_MS 600000
int peer_run(const peer_driver *d, void *server, const peer_set *set, peer_work w, unsigned conc,
             uint64_t put_base, double secs, peer_watch *watch, peer_result *res);

/* peer_count_all: ask conn (of d) a COUNT over everything
 * (peer_req_count_all) and set *count to its answer and *at to when it
 * came. Returns 0, or -1 with a message in err. */
int peer_count_all(const peer_driver *d, void *conn, uint64_t *count, int64_t *at, char *err,
                   size_t errlen);

/* peer_check: ask the first k requests of connection 0 of each query
 * workload (GET, RANGE, RANGE_F, COUNT) that d answers (peer_answers)
 * over one connection and compare
 * each hit count with peer_expect. Returns the number of wrong or failed
 * answers, with the first described in err. */
unsigned peer_check(const peer_driver *d, void *server, const peer_set *set, unsigned k, char *err,
                    size_t errlen);

#endif
