/* bench_peer.h: the side-by-side benchmark (build/bench/bench_peers): the
 * events every system stores, the requests every system answers, and the
 * driver each system implements (bench_peer_annals.c, bench_peer_redis.c,
 * bench_peer_pg.c, bench_peer_sqlite.c, bench_peer_lmdb.c). One set of events, packed once
 * from bench_gen_event_id_at, goes into every system byte for byte; one
 * stream of requests per (workload, connection) is asked of every system. */
#ifndef ANNALS_BENCH_PEER_H
#define ANNALS_BENCH_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/buf.h"
#include "tests/bench/bench_rng.h"

/* Span classes: an event whose latest end is s days after its earliest
 * start belongs to the first class c with s <= peer_class_span[c]. The
 * peers index the start day within each class, so "which events overlap
 * [lo, hi]" becomes, for each class, "start day in [lo - span_c, hi], end
 * day >= lo": a bounded scan instead of one reaching back to the longest
 * event ever stored. */
#define PEER_NCLASSES 6
extern const int32_t peer_class_span[PEER_NCLASSES];

#define PEER_ID_MAX 48
#define PEER_MAX_COUNTRIES 3

/* One event as the peers see it. */
typedef struct {
    char id[PEER_ID_MAX];     /* "g<seed>-<i>" */
    int32_t start_day;        /* days since 1970-01-01 of the earliest start (UTC) */
    int32_t end_day;          /* ... of the latest end (PROTOCOL.md section 5) */
    uint8_t span_class;
    uint8_t ncountries;
    char countries[PEER_MAX_COUNTRIES][3];
    const char *body;         /* the packed event, id included; borrowed; NULL in a set
                                 without bodies */
    uint32_t len;
} peer_event;

/* The first N events of a seed, packed once. A set without bodies keeps
 * only what the requests and the brute-force answers need (the ids, days
 * and countries: some 90 bytes an event, not 900), for annals alone to
 * load from the generator (the scale benchmark at 10M events). */
typedef struct {
    uint64_t seed, n;
    int bodies;               /* the events' bytes are kept */
    peer_event *ev;           /* owned; n of them */
    char **arenas;            /* owned; the bodies, one arena per packing thread and growth */
    unsigned narenas;
    uint64_t bytes;           /* sum of the bodies' sizes */
} peer_set;

/* peer_set_make: pack events [0, n) of seed with threads threads, bodies
 * kept. Never fails (OOM aborts); returns -1 only when interrupted. */
int peer_set_make(peer_set *s, uint64_t seed, uint64_t n, unsigned threads);
/* peer_set_init: an empty set of seed (bodies kept or not); peer_set_grow:
 * pack its events from s->n to n. As peer_set_make. */
void peer_set_init(peer_set *s, uint64_t seed, int bodies);
int peer_set_grow(peer_set *s, uint64_t n, unsigned threads);
void peer_set_release(peer_set *s);

/* peer_event_make: pack event i of seed into body (reset first) and fill
 * *e; e->body points into body until it changes. */
void peer_event_make(uint64_t seed, uint64_t i, buf_t *body, peer_event *e);

typedef enum { PEER_GET, PEER_RANGE, PEER_RANGE_F, PEER_COUNT, PEER_PUT, PEER_NWORKS } peer_work;

extern const char *const peer_work_names[PEER_NWORKS];   /* "GET", ... */
extern const char *const peer_work_what[PEER_NWORKS];    /* one line each */

/* RANGE_F returns at most this many events, the earliest first. */
#define PEER_RANGE_F_LIMIT 100

/* One request. */
typedef struct {
    peer_work work;
    char id[PEER_ID_MAX];     /* GET */
    int32_t lo, hi;           /* RANGE, RANGE_F, COUNT: the window's days, inclusive */
    char country[3];          /* RANGE_F */
    unsigned limit;           /* RANGE_F: PEER_RANGE_F_LIMIT; otherwise 0 (all) */
    const peer_event *event;  /* PUT: borrowed from the draw, until its next request */
    int all;                  /* COUNT: the window holds every event there is
                                 (peer_req_count_all), so a system without an index
                                 of days may answer with how many events it stores */
} peer_req;

/* The request stream of one connection: connection conn of workload work
 * draws the same requests in the same order against every system. PUT
 * puts events of the seed from index put_from on (ids nobody else uses). */
typedef struct {
    bench_rng rng;
    const peer_set *set;
    peer_work work;
    uint64_t next_put;
    buf_t body;               /* owned: the PUT event's bytes */
    peer_event put;
} peer_draw;

/* peer_req_count_all: a COUNT whose window, 1900..2099, holds every event
 * the generator makes (the set's and the PUT workload's): its answer is how
 * many events a system's queries can see. */
void peer_req_count_all(peer_req *r);

void peer_draw_init(peer_draw *d, const peer_set *set, peer_work work, unsigned conn,
                    uint64_t put_from);
void peer_draw_release(peer_draw *d);
void peer_draw_next(peer_draw *d, peer_req *r);

/* peer_expect: what a correct answer to r holds over the set alone,
 * counted by brute force: 1 for GET, the events overlapping the window
 * for RANGE and COUNT, at most limit of those with the country for
 * RANGE_F. */
uint64_t peer_expect(const peer_set *s, const peer_req *r);

/* peer_decode: decode one event as a client would before using it (every
 * driver decodes every event it receives, so every system pays the same
 * client-side cost). u is the caller's, reused. Returns 0, or -1 when body
 * is not one msgpack map. */
int peer_decode(msgpack_unpacked *u, const char *body, size_t len);

/* Where a driver runs its server, and with what. */
typedef struct {
    const char *dir;          /* a private directory the runner made and removes */
    const char *annalsd;      /* binaries */
    const char *redis_server;
    const char *pg_bin;       /* the directory of initdb and postgres */
    int verbose;
} peer_env;

/* What a system occupies after the load. */
typedef struct {
    uint64_t disk_bytes;      /* blocks in use under its data directory */
    uint64_t mem_bytes;       /* proportional set size of its processes (Pss), or for
                                 the in-process SQLite, the heap it holds, and for
                                 LMDB, what this process grew by */
    uint64_t anon_bytes;      /* of which not a mapped file: anonymous and shared memory */
} peer_footprint;

/* A driver. Every function returns 0 or -1 with a message in err. start,
 * load, footprint and stop run on the runner's main thread; open, call
 * and close on one connection's thread. call answers r completely (every
 * event received and decoded) and sets *hits: 1 for GET and PUT, events
 * received for RANGE and RANGE_F, the count for COUNT. A system that has
 * no way to answer a workload (a plain key-value store has no index of
 * days) says so in lacks: that workload is neither checked nor run, and
 * the table shows "-"; it must still answer the COUNT over everything
 * (peer_req.all), which ends the load and follows the puts. */
typedef struct {
    const char *name;         /* "annals" */
    unsigned lacks;           /* a bit (1u << w) per peer_work it does not answer */
    int (*start)(const peer_env *env, void **server, char *err, size_t errlen);
    /* Load events [from, set->n) with conns connections (a driver may use
     * fewer); durable when it returns. Only annals adds to a loaded server
     * (from > 0) or loads a set without bodies; the others refuse with
     * peer_whole_set_only. */
    int (*load)(void *server, const peer_set *set, uint64_t from, unsigned conns, char *err,
                size_t errlen);
    int (*footprint)(void *server, peer_footprint *fp, char *err, size_t errlen);
    int (*open)(void *server, void **conn, char *err, size_t errlen);
    int (*call)(void *conn, const peer_req *r, uint64_t *hits, char *err, size_t errlen);
    void (*close)(void *conn);
    /* Stop the server and free it; its log's tail goes to stderr when
     * show_log is set or it did not stop cleanly. */
    void (*stop)(void *server, int show_log);
} peer_driver;

/* peer_answers: whether d answers workload w (bench_peer.h: lacks). */
int peer_answers(const peer_driver *d, peer_work w);

extern const peer_driver peer_annals, peer_redis, peer_pg, peer_sqlite, peer_lmdb;
extern const char peer_whole_set_only[];

#endif
