/* bench_load.c: loading events into annalsd and reading the database's
 * size (see bench_load.h). Loader threads take batches of event
 * indexes from one counter, so the work is shared whatever the speed of
 * each connection, and the events are the same whoever packs them. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_gen.h"
#include "tests/bench/bench_load.h"

/* A put_many of 500 events commits a few hundred kilobytes; a slow disk
 * or a busy index may take seconds, never this long. */
#define LOAD_TIMEOUT_MS 120000
#define LOAD_PROGRESS_MS 10000

typedef struct {
    const bench_addr *addr;
    const bench_load_events *ev;
    uint64_t to;
    _Atomic uint64_t next;    /* the first event of the next batch to hand out */
    _Atomic uint64_t done;    /* events acknowledged */
    _Atomic uint64_t bytes;
    atomic_int failed;
    atomic_uint running;
    pthread_mutex_t lock;
    char err[512];            /* the first failure, under lock */
} load_state;

static void load_fail(load_state *s, const char *what)
{
    pthread_mutex_lock(&s->lock);
    if (!atomic_load(&s->failed))
        snprintf(s->err, sizeof s->err, "%s", what);
    atomic_store(&s->failed, 1);
    pthread_mutex_unlock(&s->lock);
}

/* Pack put_many [{events: [...]}] of events [first, last) into c's buffer;
 * returns its msgid. */
static uint32_t load_pack(load_state *s, bench_conn *c, uint64_t first, uint64_t last)
{
    msgpack_packer pk;
    uint32_t id = bench_conn_begin(c, "put_many", &pk);
    size_t before = bench_conn_pending(c);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "events");
    msgpack_pack_array(&pk, (uint32_t)(last - first));
    for (uint64_t i = first; i < last; i++) {
        if (s->ev->pack)
            s->ev->pack(s->ev->arg, i, &pk);
        else
            bench_gen_event_at(s->ev->seed, i, &pk);
    }
    atomic_fetch_add(&s->bytes, bench_conn_pending(c) - before);
    return id;
}

static void *load_main(void *arg)
{
    load_state *s = arg;
    bench_conn *c = NULL;
    char err[512];
    uint32_t ids[BENCH_LOAD_DEPTH];
    uint64_t counts[BENCH_LOAD_DEPTH];
    unsigned head = 0, inflight = 0;
    int exhausted = 0;
    msgpack_unpacked msg;
    msgpack_unpacked_init(&msg);

    if (bench_conn_open(s->addr, &c, err, sizeof err) < 0)
        goto fail;
    for (;;) {
        /* Keep DEPTH batches in flight while there are batches left. */
        while (!exhausted && inflight < BENCH_LOAD_DEPTH) {
            if (atomic_load(&s->failed) || atomic_load(&bench_interrupted)) {
                exhausted = 1;
                break;
            }
            uint64_t first = atomic_fetch_add(&s->next, BENCH_LOAD_BATCH);
            if (first >= s->to) {
                exhausted = 1;
                break;
            }
            uint64_t last = first + BENCH_LOAD_BATCH < s->to ? first + BENCH_LOAD_BATCH : s->to;
            unsigned slot = (head + inflight) % BENCH_LOAD_DEPTH;
            ids[slot] = load_pack(s, c, first, last);
            counts[slot] = last - first;
            if (bench_conn_send(c, err, sizeof err) < 0)
                goto fail;
            inflight++;
        }
        if (inflight == 0)
            break;
        const msgpack_object *res, *v;
        int64_t at;
        int rc = bench_conn_next(c, LOAD_TIMEOUT_MS, &msg, &at, err, sizeof err);
        if (rc == 0)
            snprintf(err, sizeof err, "put_many: no response within %d s", LOAD_TIMEOUT_MS / 1000);
        if (rc <= 0)
            goto fail;
        if (bench_conn_response(&msg.data, ids[head], &res, err, sizeof err) < 0)
            goto fail;
        v = bench_map_get(res, "ids");
        if (!v || v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != counts[head]) {
            char d[200];
            bench_describe(res, d, sizeof d);
            snprintf(err, sizeof err, "put_many of %" PRIu64 " events: a result without as many ids: %s",
                     counts[head], d);
            goto fail;
        }
        atomic_fetch_add(&s->done, counts[head]);
        head = (head + 1) % BENCH_LOAD_DEPTH;
        inflight--;
    }
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    atomic_fetch_sub(&s->running, 1);
    return NULL;

fail:
    load_fail(s, err);
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    atomic_fetch_sub(&s->running, 1);
    return NULL;
}

int bench_load(const bench_addr *a, const bench_load_events *ev, uint64_t from, uint64_t to,
               unsigned conns, int progress, bench_load_result *res, char *err, size_t errlen)
{
    load_state s;
    pthread_t *threads = xcalloc(conns, sizeof *threads);
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.addr = a;
    s.ev = ev;
    s.to = to;
    atomic_store(&s.next, from);
    atomic_store(&s.running, conns);
    pthread_mutex_init(&s.lock, NULL);

    int64_t start = bench_now_ns(), last_note = start;
    for (unsigned i = 0; i < conns; i++)
        if (pthread_create(&threads[i], NULL, load_main, &s) != 0) {
            fprintf(stderr, "bench: cannot start a thread\n");
            abort();
        }
    while (atomic_load(&s.running) > 0) {
        bench_sleep_ms(50);
        int64_t now = bench_now_ns();
        if (progress && now - last_note >= (int64_t)LOAD_PROGRESS_MS * 1000000) {
            uint64_t done = atomic_load(&s.done);
            fprintf(stderr, "bench: loaded %" PRIu64 " of %" PRIu64 " events (%.0f/s)\n",
                    from + done, to, (double)done / ((double)(now - start) / 1e9));
            last_note = now;
        }
    }
    for (unsigned i = 0; i < conns; i++)
        pthread_join(threads[i], NULL);
    res->secs = (double)(bench_now_ns() - start) / 1e9;
    res->events = atomic_load(&s.done);
    res->bytes = atomic_load(&s.bytes);
    free(threads);
    pthread_mutex_destroy(&s.lock);
    if (!atomic_load(&s.failed) && atomic_load(&bench_interrupted))
        snprintf(s.err, sizeof s.err, "interrupted");
    if (s.err[0]) {
        snprintf(err, errlen, "loading events %" PRIu64 "..%" PRIu64 ": %s", from, to - 1, s.err);
        return -1;
    }
    return 0;
}

int bench_load_stats(const bench_addr *a, bench_db_stats *out, char *err, size_t errlen)
{
    bench_conn *c;
    msgpack_unpacked msg;
    msgpack_packer pk;
    const msgpack_object *res, *db, *path;
    int64_t at;
    memset(out, 0, sizeof *out);
    if (bench_conn_open(a, &c, err, errlen) < 0)
        return -1;
    msgpack_unpacked_init(&msg);
    uint32_t id = bench_conn_begin(c, "stats", &pk);
    msgpack_pack_array(&pk, 0);
    int rc = bench_conn_call(c, id, 30000, &msg, &res, &at, err, errlen);
    if (rc == 0 && bench_map_uint(res, "events", &out->events) < 0) {
        snprintf(err, errlen, "stats: a result without events");
        rc = -1;
    }
    if (rc == 0 && (db = bench_map_get(res, "db"))) {
        bench_map_uint(db, "used_bytes", &out->used_bytes);
        path = bench_map_get(db, "path");
        if (path && path->type == MSGPACK_OBJECT_STR) {
            char file[1024];
            struct stat st;
            snprintf(file, sizeof file, "%.*s/data.mdb", (int)path->via.str.size, path->via.str.ptr);
            /* The blocks in use: with a sparse map the size would say nothing. */
            if (stat(file, &st) == 0)
                out->file_bytes = (uint64_t)st.st_blocks * 512;
        }
    }
    msgpack_unpacked_destroy(&msg);
    bench_conn_close(c);
    return rc;
}
