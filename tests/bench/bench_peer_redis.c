/* bench_peer_redis.c: the Redis driver of the side-by-side benchmark: a
 * redis-server of its own on a loopback port (appendonly yes, appendfsync
 * always, no RDB snapshots, no AOF rewrite), asked with hiredis.
 *
 * Keys: the hash "ev" maps each id to its event's bytes (the generator's
 * msgpack, as stored in every system). For each span class c (bench_peer.h)
 * the sorted set "s:<c>" and, per country CC, "c:<CC>:<c>" hold one member
 * per event, scored by its start day; the member is "<end day, 5
 * digits>:<id>", so the end day can be tested without fetching the event.
 *
 * GET: HGET ev id. RANGE: one pipelined ZRANGEBYSCORE s:<c> lo-span_c hi per
 * class, the members with end >= lo kept, then HMGET ev of their ids.
 * RANGE_F: the same over c:<CC>:<c> WITHSCORES, sorted by (start day, id),
 * the first 100 fetched with HMGET. COUNT: per class ZCOUNT s:<c> lo hi (the
 * events that start in the window) plus ZRANGEBYSCORE s:<c> lo-span_c lo-1
 * filtered on the end day (those that began before it and still run), all
 * in one pipeline. PUT: MULTI, HSET, the ZADDs, EXEC, answered once the AOF
 * is fsynced. Load: the same commands without MULTI, pipelined 500 events
 * at a time on each connection. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <hiredis.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_proc.h"

#define REDIS_WAIT_MS 15000
#define REDIS_LOAD_BATCH 500
#define REDIS_MEMBER_MAX (6 + PEER_ID_MAX)

typedef struct {
    peer_proc proc;
    char dir[512];
    char port[16];
} redis_server;

typedef struct {
    redisContext *ctx;
    msgpack_unpacked u;
    const char **argv;        /* owned; scratch for HMGET */
    size_t *argvlen;
    size_t argcap;
} redis_conn;

static redisContext *redis_connect(const redis_server *s, char *err, size_t errlen)
{
    struct timeval tv = { 60, 0 };
    redisContext *ctx = redisConnectWithTimeout("127.0.0.1", atoi(s->port), tv);
    if (!ctx || ctx->err) {
        snprintf(err, errlen, "cannot connect to redis on 127.0.0.1:%s: %s", s->port,
                 ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return NULL;
    }
    redisSetTimeout(ctx, tv);
    return ctx;
}

/* One reply; 0, or -1 (with the reason in err) on a failed connection or an
 * error reply. The caller frees *out. */
static int redis_reply(redisContext *ctx, redisReply **out, char *err, size_t errlen)
{
    void *r = NULL;
    if (redisGetReply(ctx, &r) != REDIS_OK || !r) {
        snprintf(err, errlen, "redis: %s", ctx->err ? ctx->errstr : "no reply");
        return -1;
    }
    *out = r;
    if ((*out)->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "redis: %.*s", (int)(*out)->len, (*out)->str);
        freeReplyObject(r);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Read n replies and drop them; stops at the first failure (the
 * connection is then of no further use). */
static int redis_drain(redisContext *ctx, size_t n, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *r;
        if (redis_reply(ctx, &r, err, errlen) < 0) {
            rc = -1;
            if (ctx->err)
                break;
            continue;
        }
        freeReplyObject(r);
    }
    return rc;
}

/* Whether the server really writes every change to the AOF and fsyncs it
 * before answering: the PUT figures mean nothing otherwise. */
static int redis_durable(redisContext *ctx, char *err, size_t errlen)
{
    static const char *const want[][2] = { { "appendonly", "yes" }, { "appendfsync", "always" } };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        redisReply *r = redisCommand(ctx, "CONFIG GET %s", want[i][0]);
        int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                 r->element[1]->type == REDIS_REPLY_STRING && strcmp(r->element[1]->str, want[i][1]) == 0;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            snprintf(err, errlen, "redis-server does not run with %s %s", want[i][0], want[i][1]);
            return -1;
        }
    }
    return 0;
}

static int redis_start(const peer_env *env, void **server, char *err, size_t errlen)
{
    redis_server *s = xcalloc(1, sizeof *s);
    char log[600];
    snprintf(s->dir, sizeof s->dir, "%s/redis", env->dir);
    snprintf(log, sizeof log, "%s/redis.log", env->dir);
    if (mkdir(s->dir, 0700) < 0) {
        snprintf(err, errlen, "mkdir %s: %s", s->dir, strerror(errno));
        free(s);
        return -1;
    }
    if (peer_free_port(s->port, sizeof s->port, err, errlen) < 0) {
        free(s);
        return -1;
    }
    const char *argv[] = {
        env->redis_server, "--port", s->port, "--bind", "127.0.0.1", "--dir", s->dir,
        "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        "--auto-aof-rewrite-percentage", "0", "--protected-mode", "no", "--daemonize", "no",
        "--logfile", "", NULL,
    };
    if (peer_proc_start(&s->proc, "redis-server", argv, log, 0, err, errlen) < 0) {
        free(s);
        return -1;
    }
    int64_t deadline = bench_now_ns() + (int64_t)REDIS_WAIT_MS * 1000000;
    for (;;) {
        char e[256];
        redisContext *ctx;
        if (!peer_proc_alive(&s->proc)) {
            snprintf(err, errlen, "redis-server exited before it was ready");
            peer_proc_log_tail("redis-server", log);
            free(s);
            return -1;
        }
        if ((ctx = redis_connect(s, e, sizeof e))) {
            redisReply *r = redisCommand(ctx, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            if (ok && redis_durable(ctx, err, errlen) < 0) {
                redisFree(ctx);
                peer_proc_stop(&s->proc, SIGTERM, 10000);
                free(s);
                return -1;
            }
            redisFree(ctx);
            if (ok)
                break;
        }
        if (bench_now_ns() > deadline || bench_sleep_ms(20)) {
            snprintf(err, errlen, "redis-server did not answer within %d s", REDIS_WAIT_MS / 1000);
            peer_proc_stop(&s->proc, SIGKILL, 1000);
            peer_proc_log_tail("redis-server", log);
            free(s);
            return -1;
        }
    }
    *server = s;
    return 0;
}

static void redis_stop(void *server, int show_log)
{
    redis_server *s = server;
    int st = peer_proc_stop(&s->proc, SIGTERM, 60000);
    if (st != 0 || show_log)
        peer_proc_log_tail("redis-server", s->proc.log);
    free(s);
}

static int redis_footprint(void *server, peer_footprint *fp, char *err, size_t errlen)
{
    redis_server *s = server;
    fp->disk_bytes = peer_dir_bytes(s->dir);
    if (peer_proc_footprint(s->proc.pid, fp) < 0) {
        snprintf(err, errlen, "redis-server is gone");
        return -1;
    }
    return 0;
}

/* Append the commands that store e: HSET and one ZADD per index it is in.
 * Returns how many commands. */
static size_t redis_append_event(redisContext *ctx, const peer_event *e)
{
    char member[REDIS_MEMBER_MAX], score[16], key[16];
    size_t n = 0;
    int ml = snprintf(member, sizeof member, "%05d:%s", (int)e->end_day, e->id);
    snprintf(score, sizeof score, "%d", (int)e->start_day);
    const char *hv[] = { "HSET", "ev", e->id, e->body };
    size_t hl[] = { 4, 2, strlen(e->id), e->len };
    redisAppendCommandArgv(ctx, 4, hv, hl);
    n++;
    snprintf(key, sizeof key, "s:%u", (unsigned)e->span_class);
    const char *zv[] = { "ZADD", key, score, member };
    size_t zl[] = { 4, strlen(key), strlen(score), (size_t)ml };
    redisAppendCommandArgv(ctx, 4, zv, zl);
    n++;
    for (unsigned k = 0; k < e->ncountries; k++) {
        snprintf(key, sizeof key, "c:%s:%u", e->countries[k], (unsigned)e->span_class);
        zl[1] = strlen(key);
        redisAppendCommandArgv(ctx, 4, zv, zl);
        n++;
    }
    return n;
}

/* ---- load ---- */

typedef struct {
    redis_server *s;
    const peer_set *set;
    _Atomic uint64_t next;
    atomic_int failed;
    pthread_mutex_t lock;
    char err[512];
} redis_load;

static void *redis_load_main(void *arg)
{
    redis_load *l = arg;
    char err[512] = "";
    redisContext *ctx = redis_connect(l->s, err, sizeof err);
    while (ctx && !atomic_load(&l->failed) && !atomic_load(&bench_interrupted)) {
        uint64_t first = atomic_fetch_add(&l->next, REDIS_LOAD_BATCH);
        if (first >= l->set->n)
            break;
        uint64_t last = first + REDIS_LOAD_BATCH < l->set->n ? first + REDIS_LOAD_BATCH : l->set->n;
        size_t cmds = 0;
        for (uint64_t i = first; i < last; i++)
            cmds += redis_append_event(ctx, &l->set->ev[i]);
        if (redis_drain(ctx, cmds, err, sizeof err) < 0)
            break;
    }
    if (err[0]) {
        pthread_mutex_lock(&l->lock);
        if (!atomic_exchange(&l->failed, 1))
            snprintf(l->err, sizeof l->err, "%s", err);
        pthread_mutex_unlock(&l->lock);
    }
    if (ctx)
        redisFree(ctx);
    return NULL;
}

static int redis_load_set(void *server, const peer_set *set, uint64_t from, unsigned conns,
                          char *err, size_t errlen)
{
    redis_load l;
    if (from || !set->bodies) {
        snprintf(err, errlen, "%s", peer_whole_set_only);
        return -1;
    }
    pthread_t *th = xcalloc(conns, sizeof *th);
    memset(&l, 0, sizeof l);
    l.s = server;
    l.set = set;
    pthread_mutex_init(&l.lock, NULL);
    for (unsigned i = 0; i < conns; i++)
        if (pthread_create(&th[i], NULL, redis_load_main, &l) != 0) {
            fprintf(stderr, "bench_peers: cannot start a thread\n");
            abort();
        }
    for (unsigned i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_mutex_destroy(&l.lock);
    if (!l.err[0] && atomic_load(&bench_interrupted))
        snprintf(l.err, sizeof l.err, "interrupted");
    if (l.err[0]) {
        snprintf(err, errlen, "%s", l.err);
        return -1;
    }
    return 0;
}

/* ---- requests ---- */

static int redis_open(void *server, void **conn, char *err, size_t errlen)
{
    redis_conn *c = xcalloc(1, sizeof *c);
    if (!(c->ctx = redis_connect(server, err, errlen))) {
        free(c);
        return -1;
    }
    msgpack_unpacked_init(&c->u);
    *conn = c;
    return 0;
}

static void redis_close(void *conn)
{
    redis_conn *c = conn;
    if (!c)
        return;
    redisFree(c->ctx);
    msgpack_unpacked_destroy(&c->u);
    free(c->argv);
    free(c->argvlen);
    free(c);
}

/* An index member "<end>:<id>": its end day, and where its id starts. */
static int redis_member(const redisReply *m, int32_t *end, const char **id, size_t *idlen)
{
    if (m->type != REDIS_REPLY_STRING || m->len < 7 || m->str[5] != ':')
        return -1;
    *end = (int32_t)strtol(m->str, NULL, 10);
    *id = m->str + 6;
    *idlen = m->len - 6;
    return 0;
}

/* One pipelined ZRANGEBYSCORE per class, over s:<c> or c:<country>:<c>,
 * from lo - span_c to hi (to lo - 1 when before_only). */
static void redis_append_ranges(redis_conn *c, const char *country, int32_t lo, int32_t hi,
                                int before_only, int withscores)
{
    for (unsigned k = 0; k < PEER_NCLASSES; k++) {
        char key[16], min[16], max[16];
        if (country)
            snprintf(key, sizeof key, "c:%s:%u", country, k);
        else
            snprintf(key, sizeof key, "s:%u", k);
        snprintf(min, sizeof min, "%d", (int)(lo - peer_class_span[k]));
        snprintf(max, sizeof max, "%d", (int)(before_only ? lo - 1 : hi));
        const char *v[] = { "ZRANGEBYSCORE", key, min, max, "WITHSCORES" };
        redisAppendCommandArgv(c->ctx, withscores ? 5 : 4, v, NULL);
    }
}

typedef struct {
    int32_t start;
    const char *id;
    size_t idlen;
} redis_hit;

static int redis_hit_cmp(const void *a, const void *b)
{
    const redis_hit *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    size_t n = x->idlen < y->idlen ? x->idlen : y->idlen;
    int c = memcmp(x->id, y->id, n);
    return c ? c : (x->idlen > y->idlen) - (x->idlen < y->idlen);
}

/* HMGET ev of the hits' ids, each event decoded. */
static int redis_fetch(redis_conn *c, const redis_hit *hits, size_t n, char *err, size_t errlen)
{
    redisReply *r;
    if (n == 0)
        return 0;
    if (n + 2 > c->argcap) {
        c->argcap = (n + 2) * 2;
        c->argv = xrealloc(c->argv, c->argcap * sizeof *c->argv);
        c->argvlen = xrealloc(c->argvlen, c->argcap * sizeof *c->argvlen);
    }
    c->argv[0] = "HMGET";
    c->argvlen[0] = 5;
    c->argv[1] = "ev";
    c->argvlen[1] = 2;
    for (size_t i = 0; i < n; i++) {
        c->argv[i + 2] = hits[i].id;
        c->argvlen[i + 2] = hits[i].idlen;
    }
    redisAppendCommandArgv(c->ctx, (int)(n + 2), c->argv, c->argvlen);
    if (redis_reply(c->ctx, &r, err, errlen) < 0)
        return -1;
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        snprintf(err, errlen, "HMGET: not an array of %zu", n);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || peer_decode(&c->u, e->str, e->len) < 0) {
            snprintf(err, errlen, "HMGET: event %.*s missing or not msgpack", (int)hits[i].idlen,
                     hits[i].id);
            rc = -1;
        }
    }
    freeReplyObject(r);
    return rc;
}

/* RANGE and RANGE_F: the classes' candidates, filtered, (sorted and cut
 * for a limit), fetched. */
static int redis_range(redis_conn *c, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    redisReply *z[PEER_NCLASSES];
    redis_hit *h = NULL;
    size_t n = 0, cap = 0;
    int withscores = rq->limit > 0, rc = 0;
    unsigned got = 0;
    redis_append_ranges(c, rq->work == PEER_RANGE_F ? rq->country : NULL, rq->lo, rq->hi, 0,
                        withscores);
    for (; got < PEER_NCLASSES; got++)
        if (redis_reply(c->ctx, &z[got], err, errlen) < 0) {
            rc = -1;
            break;
        }
    for (unsigned k = 0; rc == 0 && k < got; k++) {
        size_t step = withscores ? 2 : 1;
        if (z[k]->type != REDIS_REPLY_ARRAY) {
            snprintf(err, errlen, "ZRANGEBYSCORE: not an array");
            rc = -1;
            break;
        }
        for (size_t i = 0; i + step <= z[k]->elements; i += step) {
            redis_hit x;
            int32_t end;
            if (redis_member(z[k]->element[i], &end, &x.id, &x.idlen) < 0) {
                snprintf(err, errlen, "ZRANGEBYSCORE: a member not <end>:<id>");
                rc = -1;
                break;
            }
            if (end < rq->lo)
                continue;
            x.start = withscores ? (int32_t)strtol(z[k]->element[i + 1]->str, NULL, 10) : 0;
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                h = xrealloc(h, cap * sizeof *h);
            }
            h[n++] = x;
        }
    }
    if (rc == 0 && rq->limit && n) {   /* h is NULL when nothing was found */
        qsort(h, n, sizeof *h, redis_hit_cmp);
        if (n > rq->limit)
            n = rq->limit;
    }
    if (rc == 0)
        rc = redis_fetch(c, h, n, err, errlen);
    *hits = n;
    for (unsigned k = 0; k < got; k++)
        freeReplyObject(z[k]);
    free(h);
    return rc;
}

static int redis_count(redis_conn *c, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    int rc = 0;
    *hits = 0;
    for (unsigned k = 0; k < PEER_NCLASSES; k++) {
        char key[16], min[16], max[16];
        snprintf(key, sizeof key, "s:%u", k);
        snprintf(min, sizeof min, "%d", (int)rq->lo);
        snprintf(max, sizeof max, "%d", (int)rq->hi);
        const char *v[] = { "ZCOUNT", key, min, max };
        redisAppendCommandArgv(c->ctx, 4, v, NULL);
    }
    redis_append_ranges(c, NULL, rq->lo, rq->hi, 1, 0);
    for (unsigned i = 0; i < 2 * PEER_NCLASSES; i++) {
        redisReply *r;
        if (redis_reply(c->ctx, &r, err, errlen) < 0) {
            if (c->ctx->err)
                return -1;
            rc = -1;
            continue;
        }
        if (i < PEER_NCLASSES && r->type == REDIS_REPLY_INTEGER) {
            *hits += (uint64_t)r->integer;
        } else if (i >= PEER_NCLASSES && r->type == REDIS_REPLY_ARRAY) {
            for (size_t j = 0; j < r->elements; j++) {
                int32_t end;
                const char *id;
                size_t idlen;
                if (redis_member(r->element[j], &end, &id, &idlen) == 0 && end >= rq->lo)
                    (*hits)++;
            }
        } else {
            snprintf(err, errlen, "ZCOUNT/ZRANGEBYSCORE: an unexpected reply");
            rc = -1;
        }
        freeReplyObject(r);
    }
    return rc;
}

static int redis_put(redis_conn *c, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    redisReply *r;
    const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
    redisAppendCommandArgv(c->ctx, 1, multi, NULL);
    size_t n = redis_append_event(c->ctx, rq->event);
    redisAppendCommandArgv(c->ctx, 1, exec, NULL);
    /* +OK, then +QUEUED per command. */
    if (redis_drain(c->ctx, n + 1, err, errlen) < 0)
        return -1;
    if (redis_reply(c->ctx, &r, err, errlen) < 0)
        return -1;
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = r->element[i]->type == REDIS_REPLY_INTEGER;
    freeReplyObject(r);
    if (!ok) {
        snprintf(err, errlen, "EXEC: the transaction was not applied");
        return -1;
    }
    *hits = 1;
    return 0;
}

static int redis_call(void *conn, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    redis_conn *c = conn;
    redisReply *r;
    *hits = 0;
    switch (rq->work) {
    case PEER_GET: {
        const char *v[] = { "HGET", "ev", rq->id };
        redisAppendCommandArgv(c->ctx, 3, v, NULL);
        if (redis_reply(c->ctx, &r, err, errlen) < 0)
            return -1;
        int ok = r->type == REDIS_REPLY_STRING && peer_decode(&c->u, r->str, r->len) == 0;
        freeReplyObject(r);
        if (!ok) {
            snprintf(err, errlen, "HGET ev %s: missing or not msgpack", rq->id);
            return -1;
        }
        *hits = 1;
        return 0;
    }
    case PEER_RANGE:
    case PEER_RANGE_F:
        return redis_range(c, rq, hits, err, errlen);
    case PEER_COUNT:
        return redis_count(c, rq, hits, err, errlen);
    case PEER_PUT:
        return redis_put(c, rq, hits, err, errlen);
    default:
        snprintf(err, errlen, "no such workload");
        return -1;
    }
}

const peer_driver peer_redis = {
    "redis", 0, redis_start, redis_load_set, redis_footprint,
    redis_open, redis_call, redis_close, redis_stop,
};
