/* bench_peer_lmdb.c: raw LMDB as a reference of the side-by-side benchmark,
 * in-process like SQLite and not a server: what the storage under annalsd
 * can do at best, measured in the same run. One environment in the run's
 * directory with LMDB's default flags (every commit synced, as annalsd's;
 * MDB_NOTLS only, so a read transaction belongs to its connection and not
 * to the thread that made it), a 64 GiB map (the file grows only as it is
 * used), and the unnamed database: event id -> the event's msgpack bytes
 * as stored in every system. No index of days, so RANGE, RANGE_F and COUNT
 * are not applicable; the COUNT over everything that ends the load and
 * follows the puts is answered with mdb_stat's entries.
 *
 * GET: mdb_get in the connection's read transaction, renewed for the
 * request and reset after it. PUT: mdb_txn_begin, mdb_put, mdb_txn_commit:
 * one synced commit per write, and at 32 connections 32 threads queued on
 * LMDB's single writer (no group commit: that is the point). Load: the
 * events in set order, a commit every LMDB_LOAD_TXN_BYTES of them (a
 * transaction may hold only so many dirty pages before LMDB spills them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lmdb.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_proc.h"

#define LMDB_MAP_SIZE (64ULL << 30)
/* Room for --concurrency's 256 connections, the one that watches the puts
 * and the one that checks. */
#define LMDB_MAX_READERS 512
/* About 40 000 pages of values a transaction, well under LMDB's dirty page
 * limit (MDB_IDL_UM_MAX, 128k pages). */
#define LMDB_LOAD_TXN_BYTES (128u << 20)

typedef struct {
    char dir[512];
    MDB_env *env;
    MDB_dbi dbi;
    peer_footprint base;      /* this process's memory before the environment opened */
} lmdb_server;

typedef struct {
    lmdb_server *s;
    MDB_txn *rd;              /* a read transaction, reset between requests */
    msgpack_unpacked u;
} lmdb_conn;

static int lmdb_fail(const char *what, int rc, char *err, size_t errlen)
{
    snprintf(err, errlen, "lmdb: %s: %s", what, mdb_strerror(rc));
    return -1;
}

static void lmdb_stop(void *server, int show_log)
{
    lmdb_server *s = server;
    (void)show_log;
    if (s->env)
        mdb_env_close(s->env);
    free(s);
}

static int lmdb_start(const peer_env *env, void **server, char *err, size_t errlen)
{
    lmdb_server *s = xcalloc(1, sizeof *s);
    MDB_txn *txn;
    unsigned flags;
    int rc;
    snprintf(s->dir, sizeof s->dir, "%s/lmdb", env->dir);
    if (mkdir(s->dir, 0700) < 0) {
        snprintf(err, errlen, "mkdir %s: %s", s->dir, strerror(errno));
        goto fail;
    }
    /* The benchmark's own memory, so the footprint is what LMDB added. */
    if (peer_proc_footprint(getpid(), &s->base) < 0)
        memset(&s->base, 0, sizeof s->base);
    if ((rc = mdb_env_create(&s->env)) != 0) {
        lmdb_fail("mdb_env_create", rc, err, errlen);
        goto fail;
    }
    if ((rc = mdb_env_set_mapsize(s->env, LMDB_MAP_SIZE)) != 0 ||
        (rc = mdb_env_set_maxreaders(s->env, LMDB_MAX_READERS)) != 0 ||
        (rc = mdb_env_open(s->env, s->dir, MDB_NOTLS, 0600)) != 0) {
        lmdb_fail(s->dir, rc, err, errlen);
        goto fail;
    }
    /* The PUT figures mean nothing unless each commit syncs. */
    if ((rc = mdb_env_get_flags(s->env, &flags)) != 0) {
        lmdb_fail("mdb_env_get_flags", rc, err, errlen);
        goto fail;
    }
    if (flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC)) {
        snprintf(err, errlen, "lmdb: the environment does not sync every commit");
        goto fail;
    }
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
        lmdb_fail("mdb_txn_begin", rc, err, errlen);
        goto fail;
    }
    if ((rc = mdb_dbi_open(txn, NULL, 0, &s->dbi)) != 0) {
        mdb_txn_abort(txn);
        lmdb_fail("mdb_dbi_open", rc, err, errlen);
        goto fail;
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
        lmdb_fail("mdb_txn_commit", rc, err, errlen);
        goto fail;
    }
    *server = s;
    return 0;
fail:
    lmdb_stop(s, 0);
    return -1;
}

static int lmdb_put(lmdb_server *s, MDB_txn *txn, const peer_event *e, char *err, size_t errlen)
{
    MDB_val k = { strlen(e->id), (void *)e->id };
    MDB_val v = { e->len, (void *)e->body };
    int rc = mdb_put(txn, s->dbi, &k, &v, MDB_NOOVERWRITE);
    if (rc != 0) {
        snprintf(err, errlen, "lmdb: put %s: %s", e->id, mdb_strerror(rc));
        return -1;
    }
    return 0;
}

static int lmdb_load(void *server, const peer_set *set, uint64_t from, unsigned conns, char *err,
                     size_t errlen)
{
    lmdb_server *s = server;
    MDB_txn *txn = NULL;
    uint64_t bytes = 0;
    int rc;
    (void)conns;   /* one writer: LMDB has one */
    if (from || !set->bodies) {
        snprintf(err, errlen, "%s", peer_whole_set_only);
        return -1;
    }
    for (uint64_t i = 0; i < set->n; i++) {
        if ((i & 1023) == 0 && atomic_load(&bench_interrupted)) {
            snprintf(err, errlen, "interrupted");
            goto fail;
        }
        if (!txn && (rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
            txn = NULL;
            lmdb_fail("mdb_txn_begin", rc, err, errlen);
            goto fail;
        }
        if (lmdb_put(s, txn, &set->ev[i], err, errlen) < 0)
            goto fail;
        bytes += set->ev[i].len;
        if (bytes >= LMDB_LOAD_TXN_BYTES || i + 1 == set->n) {
            rc = mdb_txn_commit(txn);
            txn = NULL;
            bytes = 0;
            if (rc != 0) {
                lmdb_fail("mdb_txn_commit", rc, err, errlen);
                goto fail;
            }
        }
    }
    return 0;
fail:
    if (txn)
        mdb_txn_abort(txn);
    return -1;
}

static int lmdb_footprint(void *server, peer_footprint *fp, char *err, size_t errlen)
{
    lmdb_server *s = server;
    peer_footprint now;
    fp->disk_bytes = peer_dir_bytes(s->dir);
    /* In-process: what this process grew by since the environment opened,
     * which is LMDB's (the load allocates nothing else): the pages of the
     * map it touched, and the write transactions' page buffers that LMDB
     * keeps for reuse. */
    if (peer_proc_footprint(getpid(), &now) < 0) {
        snprintf(err, errlen, "cannot read this process's memory");
        return -1;
    }
    fp->mem_bytes = now.mem_bytes > s->base.mem_bytes ? now.mem_bytes - s->base.mem_bytes : 0;
    fp->anon_bytes = now.anon_bytes > s->base.anon_bytes ? now.anon_bytes - s->base.anon_bytes : 0;
    return 0;
}

static void lmdb_close(void *conn)
{
    lmdb_conn *c = conn;
    if (!c)
        return;
    if (c->rd)
        mdb_txn_abort(c->rd);
    msgpack_unpacked_destroy(&c->u);
    free(c);
}

static int lmdb_open(void *server, void **conn, char *err, size_t errlen)
{
    lmdb_conn *c = xcalloc(1, sizeof *c);
    int rc;
    c->s = server;
    msgpack_unpacked_init(&c->u);
    /* Made once, then renewed per request: its reader slot is kept. */
    if ((rc = mdb_txn_begin(c->s->env, NULL, MDB_RDONLY, &c->rd)) != 0) {
        c->rd = NULL;
        lmdb_close(c);
        return lmdb_fail("mdb_txn_begin (read)", rc, err, errlen);
    }
    mdb_txn_reset(c->rd);
    *conn = c;
    return 0;
}

/* GET: the event by id, decoded while the read transaction holds it. */
static int lmdb_get(lmdb_conn *c, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    MDB_val k = { strlen(rq->id), (void *)rq->id }, v;
    int rc = mdb_txn_renew(c->rd);
    if (rc != 0)
        return lmdb_fail("mdb_txn_renew", rc, err, errlen);
    rc = mdb_get(c->rd, c->s->dbi, &k, &v);
    if (rc == 0 && peer_decode(&c->u, v.mv_data, v.mv_size) < 0) {
        mdb_txn_reset(c->rd);
        snprintf(err, errlen, "lmdb: get %s: a body that is not msgpack", rq->id);
        return -1;
    }
    mdb_txn_reset(c->rd);
    if (rc != 0) {
        snprintf(err, errlen, "lmdb: get %s: %s", rq->id, mdb_strerror(rc));
        return -1;
    }
    *hits = 1;
    return 0;
}

/* The COUNT over everything: how many entries the database holds. */
static int lmdb_count_all(lmdb_conn *c, uint64_t *hits, char *err, size_t errlen)
{
    MDB_stat st;
    int rc = mdb_txn_renew(c->rd);
    if (rc != 0)
        return lmdb_fail("mdb_txn_renew", rc, err, errlen);
    rc = mdb_stat(c->rd, c->s->dbi, &st);
    mdb_txn_reset(c->rd);
    if (rc != 0)
        return lmdb_fail("mdb_stat", rc, err, errlen);
    *hits = st.ms_entries;
    return 0;
}

/* PUT: one write transaction, one synced commit. */
static int lmdb_put_one(lmdb_conn *c, const peer_event *e, uint64_t *hits, char *err,
                        size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->s->env, NULL, 0, &txn);
    if (rc != 0)
        return lmdb_fail("mdb_txn_begin", rc, err, errlen);
    if (lmdb_put(c->s, txn, e, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return lmdb_fail("mdb_txn_commit", rc, err, errlen);
    *hits = 1;
    return 0;
}

static int lmdb_call(void *conn, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    lmdb_conn *c = conn;
    *hits = 0;
    switch (rq->work) {
    case PEER_GET:
        return lmdb_get(c, rq, hits, err, errlen);
    case PEER_COUNT:
        if (rq->all)
            return lmdb_count_all(c, hits, err, errlen);
        break;
    case PEER_PUT:
        return lmdb_put_one(c, rq->event, hits, err, errlen);
    default:
        break;
    }
    snprintf(err, errlen, "lmdb: %s: not applicable (no index of days)",
             rq->work < PEER_NWORKS ? peer_work_names[rq->work] : "?");
    return -1;
}

const peer_driver peer_lmdb = {
    "lmdb", 1u << PEER_RANGE | 1u << PEER_RANGE_F | 1u << PEER_COUNT,
    lmdb_start, lmdb_load, lmdb_footprint, lmdb_open, lmdb_call, lmdb_close, lmdb_stop,
};
