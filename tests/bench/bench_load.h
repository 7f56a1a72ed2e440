/* bench_load.h: filling a server with the query workload's events (event i
 * of a seed, bench_gen_event_at) in put_many batches over several
 * connections, several requests in flight on each; and what the server
 * says about its database afterwards. */
#ifndef ANNALS_BENCH_LOAD_H
#define ANNALS_BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "tests/bench/bench_conn.h"

/* Events per put_many, and put_many requests in flight per connection. */
#define BENCH_LOAD_BATCH 500
#define BENCH_LOAD_DEPTH 4

typedef struct {
    uint64_t events;          /* events acknowledged */
    uint64_t bytes;           /* their packed size, as sent */
    double secs;              /* from the first request to the last response */
} bench_load_result;

/* bench_load: put events [from, to) of the set seed over conns connections
 * and wait until all are acknowledged (each put_many is durable when
 * answered). Prints a progress line to stderr every 10 s when progress is
 * set. Returns 0, or -1 with the first failure in err (a refused batch,
 * a lost connection, an interrupt); then not every event was stored. */
int bench_load(const bench_addr *a, uint64_t seed, uint64_t from, uint64_t to, unsigned conns,
               int progress, bench_load_result *res, char *err, size_t errlen);

typedef struct {
    uint64_t events;          /* stats.events */
    uint64_t used_bytes;      /* stats.db.used_bytes: pages in use */
    uint64_t file_bytes;      /* disk blocks of data.mdb under stats.db.path; 0 if unknown */
} bench_db_stats;

/* bench_load_stats: ask the server (stats). Returns 0, or -1 with a message
 * in err. */
int bench_load_stats(const bench_addr *a, bench_db_stats *out, char *err, size_t errlen);

#endif
