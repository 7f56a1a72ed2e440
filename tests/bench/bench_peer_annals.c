/* bench_peer_annals.c: the annals driver of the side-by-side benchmark: a
 * fresh annalsd (bench_annalsd.c) listening on a loopback port, asked over
 * TCP with msgpack-RPC (bench_conn.c). Load: put_many of 500 events, four
 * in flight on each connection (bench_load.c). GET: get. RANGE: range over the day,
 * limit 10000, following next should there be more. RANGE_F: range with
 * country, limit 100. COUNT: count. PUT: put (answered once durable). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/edtf.h"
#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_annalsd.h"
#include "tests/bench/bench_gen.h"
#include "tests/bench/bench_load.h"
#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_proc.h"

#define ANNALS_TIMEOUT_MS 120000
#define ANNALS_RANGE_LIMIT 10000

typedef struct {
    bench_annalsd d;
    char port[16];
    bench_addr addr;
    int progress;             /* a line on stderr every 10 s of a load */
} annals_server;

typedef struct {
    bench_conn *c;
    msgpack_unpacked msg;
} annals_conn;

static int annals_start(const peer_env *env, void **server, char *err, size_t errlen)
{
    annals_server *s = xcalloc(1, sizeof *s);
    char listen[64];
    if (!env->annalsd) {
        snprintf(err, errlen, "no annalsd binary given (--annalsd)");
        free(s);
        return -1;
    }
    if (peer_free_port(s->port, sizeof s->port, err, errlen) < 0) {
        free(s);
        return -1;
    }
    snprintf(listen, sizeof listen, "127.0.0.1:%s", s->port);
    /* Room for the scale benchmark's 10M events at some 8 KB each; the file
     * grows only as pages are used. */
    const char *extra[] = { "--listen", listen, "--map-size", "256GiB", NULL };
    if (bench_annalsd_start(&s->d, env->annalsd, extra, err, errlen) < 0) {
        free(s);
        return -1;
    }
    s->progress = env->verbose || isatty(2);
    s->addr.host = "127.0.0.1";
    s->addr.port = s->port;
    *server = s;
    return 0;
}

static void annals_stop(void *server, int show_log)
{
    annals_server *s = server;
    bench_annalsd_stop(&s->d, show_log);
    free(s);
}

static int annals_footprint(void *server, peer_footprint *fp, char *err, size_t errlen)
{
    annals_server *s = server;
    char data[400];
    snprintf(data, sizeof data, "%s/data", s->d.dir);
    fp->disk_bytes = peer_dir_bytes(data);
    if (peer_proc_footprint(s->d.pid, fp) < 0) {
        snprintf(err, errlen, "annalsd is gone");
        return -1;
    }
    return 0;
}

/* ---- load ---- */

/* Event i of the set: its bytes as they are, or, in a set without bodies,
 * the same bytes generated again. */
static void annals_pack_event(void *arg, uint64_t i, msgpack_packer *pk)
{
    const peer_set *set = arg;
    if (set->bodies)
        pk->callback(pk->data, set->ev[i].body, set->ev[i].len);
    else
        bench_gen_event_id_at(set->seed, i, pk);
}

static int annals_load_set(void *server, const peer_set *set, uint64_t from, unsigned conns,
                           char *err, size_t errlen)
{
    annals_server *s = server;
    bench_load_events ev = { set->seed, annals_pack_event, (void *)set };
    bench_load_result res;
    return bench_load(&s->addr, &ev, from, set->n, conns, s->progress, &res, err, errlen);
}

/* ---- requests ---- */

static int annals_open(void *server, void **conn, char *err, size_t errlen)
{
    annals_server *s = server;
    annals_conn *c = xcalloc(1, sizeof *c);
    if (bench_conn_open(&s->addr, &c->c, err, errlen) < 0) {
        free(c);
        return -1;
    }
    msgpack_unpacked_init(&c->msg);
    *conn = c;
    return 0;
}

static void annals_close(void *conn)
{
    annals_conn *c = conn;
    if (!c)
        return;
    msgpack_unpacked_destroy(&c->msg);
    bench_conn_close(c->c);
    free(c);
}

static void annals_kv(msgpack_packer *pk, const char *k, const char *v)
{
    buf_pack_cstr(pk, k);
    buf_pack_cstr(pk, v);
}

static void annals_day(msgpack_packer *pk, const char *k, int32_t day)
{
    char s[16];
    int y, m, d;
    edtf_civil_from_days(day, &y, &m, &d);
    snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
    annals_kv(pk, k, s);
}

/* Pack the request for r (cursor: the next page of a RANGE) and send it. */
static uint32_t annals_pack(annals_conn *c, const peer_req *r, const msgpack_object *cursor)
{
    msgpack_packer pk;
    uint32_t id;
    switch (r->work) {
    case PEER_GET:
        id = bench_conn_begin(c->c, "get", &pk);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 1);
        annals_kv(&pk, "id", r->id);
        return id;
    case PEER_PUT:
        id = bench_conn_begin(c->c, "put", &pk);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 1);
        buf_pack_cstr(&pk, "event");
        pk.callback(pk.data, r->event->body, r->event->len);
        return id;
    case PEER_COUNT:
        id = bench_conn_begin(c->c, "count", &pk);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 2);
        annals_day(&pk, "from", r->lo);
        annals_day(&pk, "to", r->hi);
        return id;
    default:
        id = bench_conn_begin(c->c, "range", &pk);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 3 + (r->work == PEER_RANGE_F) + !!cursor);
        annals_day(&pk, "from", r->lo);
        annals_day(&pk, "to", r->hi);
        if (r->work == PEER_RANGE_F)
            annals_kv(&pk, "country", r->country);
        buf_pack_cstr(&pk, "limit");
        msgpack_pack_uint32(&pk, r->limit ? r->limit : ANNALS_RANGE_LIMIT);
        if (cursor) {
            buf_pack_cstr(&pk, "cursor");
            buf_pack_str(&pk, cursor->via.str.ptr, cursor->via.str.size);
        }
        return id;
    }
}

static int annals_call(void *conn, const peer_req *r, uint64_t *hits, char *err, size_t errlen)
{
    annals_conn *c = conn;
    const msgpack_object *res, *v, *next;
    char cursor[1024];
    msgpack_object cur = { .type = MSGPACK_OBJECT_STR };
    int64_t at;
    int more = 0;
    *hits = 0;
    do {
        uint32_t id = annals_pack(c, r, more ? &cur : NULL);
        if (bench_conn_call(c->c, id, ANNALS_TIMEOUT_MS, &c->msg, &res, &at, err, errlen) < 0)
            return -1;
        switch (r->work) {
        case PEER_GET:
            v = bench_map_get(res, "event");
            if (!v || v->type != MSGPACK_OBJECT_MAP) {
                snprintf(err, errlen, "get: a result without an event");
                return -1;
            }
            *hits = 1;
            return 0;
        case PEER_PUT:
            if (!bench_map_get(res, "id")) {
                snprintf(err, errlen, "put: a result without an id");
                return -1;
            }
            *hits = 1;
            return 0;
        case PEER_COUNT:
            if (bench_map_uint(res, "count", hits) < 0) {
                snprintf(err, errlen, "count: a result without a count");
                return -1;
            }
            return 0;
        default:
            v = bench_map_get(res, "events");
            next = bench_map_get(res, "next");
            if (!v || v->type != MSGPACK_OBJECT_ARRAY || !next) {
                snprintf(err, errlen, "range: a result without events and next");
                return -1;
            }
            *hits += v->via.array.size;
            more = r->work == PEER_RANGE && next->type == MSGPACK_OBJECT_STR &&
                   next->via.str.size < sizeof cursor;
            if (more) {
                /* The reply's memory goes with the next call: keep a copy. */
                memcpy(cursor, next->via.str.ptr, next->via.str.size);
                cur.via.str.ptr = cursor;
                cur.via.str.size = next->via.str.size;
            }
        }
    } while (more);
    return 0;
}

const peer_driver peer_annals = {
    "annals", 0, annals_start, annals_load_set, annals_footprint,
    annals_open, annals_call, annals_close, annals_stop,
};
