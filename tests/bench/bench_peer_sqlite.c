/* bench_peer_sqlite.c: the SQLite driver of the side-by-side benchmark, an
 * embedded reference and not a server: a database file in the run's
 * directory, journal_mode=WAL, synchronous=FULL, mmap_size 2 GiB, one
 * connection per benchmark thread (a "connection" here costs no socket
 * and no process switch).
 *
 * Tables: events (rowid, id, span_class, start_day, end_day, body), body
 * the event's msgpack bytes as stored in every system, with a unique
 * index on id and an index on (span_class, start_day, end_day); and
 * event_countries (country, span_class, start_day, end_day, id, ev: the
 * events rowid), one row per country of an event, with a covering index
 * on all of it in that order: SQLite has no arrays, so this is how one
 * indexes them. A window is asked per span class as the peers do
 * (bench_peer.h).
 *
 * GET: SELECT body by id. RANGE: SELECT body over the window. RANGE_F: the
 * first 100 (start_day, id) of event_countries over the window, then their
 * bodies. COUNT: the sum of one count(*) per span class, each covered by
 * the index.
 * PUT: BEGIN IMMEDIATE, the inserts, COMMIT (the WAL fsynced). Load: one
 * transaction with every insert, then the indexes, COMMIT, and a
 * checkpoint that truncates the WAL. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_peer.h"
#include "tests/bench/bench_peer_proc.h"

#define SQLITE_BUSY_MS 60000

typedef struct {
    char dir[512];
    char path[600];
    int verbose;              /* print the query plans after the load */
} sq_server;

enum { SQ_GET, SQ_RANGE, SQ_RANGE_F, SQ_COUNT, SQ_PUT_EVENT, SQ_PUT_COUNTRY, SQ_BEGIN, SQ_COMMIT,
       SQ_ROLLBACK, SQ_NSTMT };

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *st[SQ_NSTMT];
    msgpack_unpacked u;
} sq_conn;

/* The window as the OR of the span classes, over table t; ?1 is lo, ?2 hi. */
static void sq_window_sql(const char *t, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "(");
    for (unsigned c = 0; c < PEER_NCLASSES; c++)
        n += (size_t)snprintf(out + n, len - n,
                              "%s(%s.span_class = %u AND %s.start_day BETWEEN ?1 - %d AND ?2)",
                              c ? " OR " : "", t, c, t, (int)peer_class_span[c]);
    snprintf(out + n, len - n, ") AND %s.end_day >= ?1", t);
}

static int sq_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* 0 when PRAGMA name reads want. */
static int sq_pragma(sqlite3 *db, const char *name, const char *want)
{
    char sql[64];
    sqlite3_stmt *st;
    int ok = 0;
    snprintf(sql, sizeof sql, "PRAGMA %s", name);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        ok = v && strcmp((const char *)v, want) == 0;
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

/* COUNT as the sum of one count per span class, each a range of the
 * covering index (as for PostgreSQL, bench_peer_pg.c). */
static void sq_count_sql(char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "SELECT ");
    for (unsigned c = 0; c < PEER_NCLASSES; c++)
        n += (size_t)snprintf(out + n, len - n,
                              "%s(SELECT count(*) FROM events WHERE span_class = %u AND "
                              "start_day BETWEEN ?1 - %d AND ?2 AND end_day >= ?1)",
                              c ? " + " : "", c, (int)peer_class_span[c]);
}

/* A connection with the benchmark's settings. */
static sqlite3 *sq_connect(const sq_server *s, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: cannot open %s: %s", s->path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
    if (sq_exec(db, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
        sq_exec(db, "PRAGMA synchronous=FULL", err, errlen) < 0 ||
        sq_exec(db, "PRAGMA mmap_size=2147418112", err, errlen) < 0) {
        sqlite3_close(db);
        return NULL;
    }
    /* The PUT figures mean nothing unless each commit syncs the WAL. */
    if (sq_pragma(db, "journal_mode", "wal") < 0 || sq_pragma(db, "synchronous", "2") < 0) {
        snprintf(err, errlen, "sqlite: the connection is not in WAL mode with synchronous=FULL");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int sq_start(const peer_env *env, void **server, char *err, size_t errlen)
{
    sq_server *s = xcalloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s/sqlite", env->dir);
    snprintf(s->path, sizeof s->path, "%s/events.db", s->dir);
    s->verbose = env->verbose;
    if (mkdir(s->dir, 0700) < 0) {
        snprintf(err, errlen, "mkdir %s: %s", s->dir, strerror(errno));
        free(s);
        return -1;
    }
    *server = s;
    return 0;
}

static void sq_stop(void *server, int show_log)
{
    (void)show_log;
    free(server);
}

static int sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "sqlite: prepare %s: %s", sql, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Step an insert or a transaction statement to its end and reset it. */
static int sq_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Insert e with st[0] (events) and st[1] (event_countries). */
static int sq_insert(sqlite3 *db, sqlite3_stmt *ev, sqlite3_stmt *ec, const peer_event *e,
                     char *err, size_t errlen)
{
    sqlite3_bind_text(ev, 1, e->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(ev, 2, e->span_class);
    sqlite3_bind_int(ev, 3, e->start_day);
    sqlite3_bind_int(ev, 4, e->end_day);
    sqlite3_bind_blob(ev, 5, e->body, (int)e->len, SQLITE_STATIC);
    if (sq_done(db, ev, err, errlen) < 0)
        return -1;
    sqlite3_int64 row = sqlite3_last_insert_rowid(db);
    for (unsigned k = 0; k < e->ncountries; k++) {
        sqlite3_bind_text(ec, 1, e->countries[k], 2, SQLITE_STATIC);
        sqlite3_bind_int(ec, 2, e->span_class);
        sqlite3_bind_int(ec, 3, e->start_day);
        sqlite3_bind_int(ec, 4, e->end_day);
        sqlite3_bind_text(ec, 5, e->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ec, 6, row);
        if (sq_done(db, ec, err, errlen) < 0)
            return -1;
    }
    return 0;
}

#define SQ_INSERT_EVENT "INSERT INTO events (id, span_class, start_day, end_day, body) " \
                        "VALUES (?1, ?2, ?3, ?4, ?5)"
#define SQ_INSERT_COUNTRY "INSERT INTO event_countries (country, span_class, start_day, " \
                          "end_day, id, ev) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"

static int sq_load(void *server, const peer_set *set, uint64_t from, unsigned conns, char *err,
                   size_t errlen)
{
    static const char *const schema =
        "BEGIN;"
        "CREATE TABLE events (id TEXT NOT NULL, span_class INTEGER NOT NULL, "
        "start_day INTEGER NOT NULL, end_day INTEGER NOT NULL, body BLOB NOT NULL);"
        "CREATE TABLE event_countries (country TEXT NOT NULL, span_class INTEGER NOT NULL, "
        "start_day INTEGER NOT NULL, end_day INTEGER NOT NULL, id TEXT NOT NULL, "
        "ev INTEGER NOT NULL);";
    static const char *const indexes =
        "CREATE UNIQUE INDEX events_id ON events (id);"
        "CREATE INDEX events_days ON events (span_class, start_day, end_day);"
        "CREATE INDEX event_countries_days ON event_countries "
        "(country, span_class, start_day, end_day, id, ev);"
        "COMMIT;";
    sqlite3_stmt *ev = NULL, *ec = NULL;
    int rc = -1;
    (void)conns;   /* one writer: SQLite has one */
    if (from || !set->bodies) {
        snprintf(err, errlen, "%s", peer_whole_set_only);
        return -1;
    }
    sqlite3 *db = sq_connect(server, err, errlen);
    if (!db)
        return -1;
    if (sq_exec(db, schema, err, errlen) < 0 || sq_prepare(db, SQ_INSERT_EVENT, &ev, err, errlen) < 0 ||
        sq_prepare(db, SQ_INSERT_COUNTRY, &ec, err, errlen) < 0)
        goto done;
    for (uint64_t i = 0; i < set->n; i++) {
        if ((i & 1023) == 0 && atomic_load(&bench_interrupted)) {
            snprintf(err, errlen, "interrupted");
            goto done;
        }
        if (sq_insert(db, ev, ec, &set->ev[i], err, errlen) < 0)
            goto done;
    }
    if (sq_exec(db, indexes, err, errlen) < 0 ||
        sq_exec(db, "ANALYZE", err, errlen) < 0 ||
        sq_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err, errlen) < 0)
        goto done;
    rc = 0;
done:
    sqlite3_finalize(ev);
    sqlite3_finalize(ec);
    sqlite3_close(db);
    return rc;
}

static void sq_close(void *conn)
{
    sq_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < SQ_NSTMT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    msgpack_unpacked_destroy(&c->u);
    free(c);
}

static int sq_open(void *server, void **conn, char *err, size_t errlen)
{
    char window[1024], ecwindow[1024], sql[SQ_NSTMT][2048];
    sq_conn *c = xcalloc(1, sizeof *c);
    msgpack_unpacked_init(&c->u);
    if (!(c->db = sq_connect(server, err, errlen))) {
        sq_close(c);
        return -1;
    }
    sq_window_sql("events", window, sizeof window);
    sq_window_sql("c", ecwindow, sizeof ecwindow);
    snprintf(sql[SQ_GET], sizeof sql[0], "SELECT body FROM events WHERE id = ?1");
    snprintf(sql[SQ_RANGE], sizeof sql[0], "SELECT body FROM events WHERE %s", window);
    /* The limit inside, so only the 100 first reach the join. */
    snprintf(sql[SQ_RANGE_F], sizeof sql[0],
             "SELECT e.body FROM (SELECT c.ev, c.start_day, c.id FROM event_countries c "
             "WHERE c.country = ?3 AND %s ORDER BY c.start_day, c.id LIMIT %d) AS f "
             "JOIN events e ON e.rowid = f.ev ORDER BY f.start_day, f.id",
             ecwindow, PEER_RANGE_F_LIMIT);
    sq_count_sql(sql[SQ_COUNT], sizeof sql[0]);
    snprintf(sql[SQ_PUT_EVENT], sizeof sql[0], "%s", SQ_INSERT_EVENT);
    snprintf(sql[SQ_PUT_COUNTRY], sizeof sql[0], "%s", SQ_INSERT_COUNTRY);
    snprintf(sql[SQ_BEGIN], sizeof sql[0], "BEGIN IMMEDIATE");
    snprintf(sql[SQ_COMMIT], sizeof sql[0], "COMMIT");
    snprintf(sql[SQ_ROLLBACK], sizeof sql[0], "ROLLBACK");
    for (int i = 0; i < SQ_NSTMT; i++)
        if (sq_prepare(c->db, sql[i], &c->st[i], err, errlen) < 0) {
            sq_close(c);
            return -1;
        }
    *conn = c;
    return 0;
}

/* Step st to its end, decoding each row's body (column 0). */
static int sq_rows(sq_conn *c, sqlite3_stmt *st, uint64_t *hits, char *err, size_t errlen)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (!b || peer_decode(&c->u, b, (size_t)n) < 0) {
            snprintf(err, errlen, "sqlite: a body that is not msgpack");
            sqlite3_reset(st);
            return -1;
        }
        (*hits)++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(c->db));
        return -1;
    }
    return 0;
}

static int sq_call(void *conn, const peer_req *rq, uint64_t *hits, char *err, size_t errlen)
{
    sq_conn *c = conn;
    sqlite3_stmt *st;
    *hits = 0;
    switch (rq->work) {
    case PEER_GET:
        st = c->st[SQ_GET];
        sqlite3_bind_text(st, 1, rq->id, -1, SQLITE_STATIC);
        if (sq_rows(c, st, hits, err, errlen) < 0)
            return -1;
        if (*hits != 1) {
            snprintf(err, errlen, "get %s: not found", rq->id);
            return -1;
        }
        return 0;
    case PEER_RANGE:
    case PEER_RANGE_F:
        st = c->st[rq->work == PEER_RANGE ? SQ_RANGE : SQ_RANGE_F];
        sqlite3_bind_int(st, 1, rq->lo);
        sqlite3_bind_int(st, 2, rq->hi);
        if (rq->work == PEER_RANGE_F)
            sqlite3_bind_text(st, 3, rq->country, 2, SQLITE_STATIC);
        return sq_rows(c, st, hits, err, errlen);
    case PEER_COUNT: {
        int rc;
        st = c->st[SQ_COUNT];
        sqlite3_bind_int(st, 1, rq->lo);
        sqlite3_bind_int(st, 2, rq->hi);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *hits = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW) {
            snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(c->db));
            return -1;
        }
        return 0;
    }
    case PEER_PUT:
        if (sq_done(c->db, c->st[SQ_BEGIN], err, errlen) < 0)
            return -1;
        if (sq_insert(c->db, c->st[SQ_PUT_EVENT], c->st[SQ_PUT_COUNTRY], rq->event, err, errlen) < 0 ||
            sq_done(c->db, c->st[SQ_COMMIT], err, errlen) < 0) {
            char ignored[64];
            sq_done(c->db, c->st[SQ_ROLLBACK], ignored, sizeof ignored);
            return -1;
        }
        *hits = 1;
        return 0;
    default:
        snprintf(err, errlen, "no such workload");
        return -1;
    }
}

/* --verbose: how SQLite serves each query. */
static void sq_plans(sq_server *s)
{
    static const int which[] = { SQ_RANGE, SQ_RANGE_F, SQ_COUNT };
    char err[512];
    void *conn;
    if (sq_open(s, &conn, err, sizeof err) < 0)
        return;
    sq_conn *c = conn;
    for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
        char sql[2200];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", sqlite3_sql(c->st[which[i]]));
        fprintf(stderr, "bench_peers: sqlite plan, %.60s...:\n", sqlite3_sql(c->st[which[i]]));
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(st) == SQLITE_ROW)
            fprintf(stderr, "    %d %d %s\n", sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
                    (const char *)sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
    }
    sq_close(conn);
}

static int sq_footprint(void *server, peer_footprint *fp, char *err, size_t errlen)
{
    sq_server *s = server;
    (void)err;
    (void)errlen;
    fp->disk_bytes = peer_dir_bytes(s->dir);
    /* In-process, no server: the most heap SQLite held (its page caches,
     * the load's sorts), as far as this process can tell them apart. */
    fp->mem_bytes = fp->anon_bytes = (uint64_t)sqlite3_memory_highwater(0);
    if (s->verbose)
        sq_plans(s);
    return 0;
}

const peer_driver peer_sqlite = {
    "sqlite", 0, sq_start, sq_load, sq_footprint,
    sq_open, sq_call, sq_close, sq_stop,
};
