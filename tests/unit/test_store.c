/* test_store.c: the LMDB store keeps events, seqs and the time index
 * consistent: put, replace, delete, scans in both orders with cursors,
 * multi-class windows, nested-job rollback, and persistence across reopen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "daemon/index.h"
#include "daemon/store.h"
#include "proto/error.h"
#include "tap.h"

static char dir[256];

static edtf_bounds_t day_bounds(const char *start, const char *end)
{
    edtf_date s, e;
    edtf_bounds_t b;
    char err[128];
    edtf_parse(start, strlen(start), &s, err, sizeof err);
    if (end)
        edtf_parse(end, strlen(end), &e, err, sizeof err);
    edtf_bounds(&s, end ? &e : NULL, &b, err, sizeof err);
    return b;
}

/* Index every event written so far, in commits of at most chunk events;
 * returns the number of commits, or -1. */
static int catch_up(store_t *s, size_t chunk)
{
    int commits = 0;
    while (store_index_lag(s) > 0) {
        store_writer *w;
        char err[256];
        size_t n;
        if (store_write_begin(s, &w, err, sizeof err))
            return -1;
        if (store_write_index(w, chunk, NULL, &n, err, sizeof err)) {
            store_write_abort(w);
            diag("store_write_index: %s", err);
            return -1;
        }
        if (store_write_commit(w, err, sizeof err))
            return -1;
        commits++;
    }
    return commits;
}

/* A put, its index caught up at once unless lazy is set. */
static int lazy;

static int put(store_t *s, const char *id, const char *start, const char *end, uint64_t *seq)
{
    store_writer *w;
    char err[256];
    edtf_bounds_t b = day_bounds(start, end);
    int rc = store_write_begin(s, &w, err, sizeof err);
    if (rc)
        return rc;
    store_job_begin(w, err, sizeof err);
    rc = store_write_put(w, id, strlen(id), &b, "\x81\xa1k\xa1v", 5, 1000, seq, NULL, err, sizeof err);
    store_job_end(w, rc == 0, err, sizeof err);
    if (rc) {
        store_write_abort(w);
        return rc;
    }
    rc = store_write_commit(w, err, sizeof err);
    if (rc == 0 && !lazy && catch_up(s, 1000) < 0)
        rc = ERROR_INTERNAL;
    return rc;
}

static int del(store_t *s, const char *id, uint64_t *seq)
{
    store_writer *w;
    char err[256];
    int rc = store_write_begin(s, &w, err, sizeof err);
    if (rc)
        return rc;
    rc = store_write_delete(w, id, strlen(id), 2000, seq, NULL, err, sizeof err);
    if (rc) {
        store_write_abort(w);
        return rc;
    }
    return store_write_commit(w, err, sizeof err);
}

typedef struct {
    char ids[64][32];
    uint64_t docs[64];
    edtf_time starts[64];
    int n;
} collect_t;

/* Run a scan and collect the ids of its hits (and their docs). */
static void scan_collect(store_reader *r, const store_scan_params *p, collect_t *c)
{
    store_scan *sc;
    store_hit h;
    memset(c, 0, sizeof *c);
    if (store_scan_open(r, p, &sc) == 0) {
        while (store_scan_next(sc, &h) == 1) {
            index_record rec;
            if (c->n < 64 && store_get_doc(r, h.doc, &rec) == 0) {
                c->docs[c->n] = h.doc;
                c->starts[c->n] = h.start_lo;
                snprintf(c->ids[c->n++], 32, "%.*s", (int)rec.idlen, rec.id);
            }
        }
    }
    store_scan_close(sc);
}

static void scan_terms(store_t *s, const char *from, const char *to, int within, int desc,
                       const char *const *terms, unsigned nterms, collect_t *c)
{
    store_reader *r;
    char err[128];
    store_scan_params p;
    edtf_date f, t;
    size_t lens[8];
    memset(&p, 0, sizeof p);
    edtf_parse(from, strlen(from), &f, err, sizeof err);
    edtf_parse(to, strlen(to), &t, err, sizeof err);
    edtf_window(&f, &t, &p.lo, &p.hi, err, sizeof err);
    p.within = within;
    p.desc = desc;
    for (unsigned i = 0; i < nterms; i++)
        lens[i] = strlen(terms[i]);
    p.terms = terms;
    p.term_len = lens;
    p.nterms = nterms;
    store_read_begin(s, &r, err, sizeof err);
    scan_collect(r, &p, c);
    store_read_end(r);
}

static void scan(store_t *s, const char *from, const char *to, int within, int desc, collect_t *c)
{
    scan_terms(s, from, to, within, desc, NULL, 0, c);
}

static char *joined(const collect_t *c)
{
    static char out[2048];
    out[0] = '\0';
    for (int i = 0; i < c->n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, c->ids[i]);
    }
    return out;
}

static int count_change(void *ud, const index_change *ch)
{
    (void)ch;
    (*(int *)ud)++;
    return 0;
}

/* A format 1 database as annals 0.1 wrote it: records (header version 1, no
 * id) keyed by id, time keys (class | start | id), change entries holding
 * version 1 records. */
static int make_v1(const char *path)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, events, time, changes;
    const char *ids[2] = { "old-a", "old-b" }, *starts[2] = { "2021-03-01", "2020-05-01" };
    int rc;
    if (mkdir(path, 0750) < 0 || (rc = mdb_env_create(&env)))
        return -1;
    mdb_env_set_maxdbs(env, 8);
    if ((rc = mdb_env_open(env, path, 0, 0640)) || (rc = mdb_txn_begin(env, NULL, 0, &txn))) {
        mdb_env_close(env);
        return rc;
    }
    rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &meta) || mdb_dbi_open(txn, "events", MDB_CREATE, &events) ||
         mdb_dbi_open(txn, "time", MDB_CREATE, &time) || mdb_dbi_open(txn, "changes", MDB_CREATE, &changes);
    for (int i = 0; i < 2 && !rc; i++) {
        index_record r;
        unsigned char buf[INDEX_RECORD_HEADER + 1], key[64], val[INDEX_TIME_VAL_SIZE], seqk[8];
        unsigned char change[INDEX_CHANGE_HEADER + 8 + sizeof buf];
        memset(&r, 0, sizeof r);
        r.bounds = day_bounds(starts[i], NULL);
        r.seq = (uint64_t)i + 1;
        r.created_ms = r.updated_ms = 1000;
        r.id = "";
        r.body = "\x80";
        r.body_len = 1;
        index_record_write(&r, buf);
        buf[0] = 1;
        key[0] = 0;
        memset(key + 1, 0, 8);
        memcpy(key + 9, ids[i], 5);
        index_time_val(&r.bounds, val);
        index_seq_key(r.seq, seqk);
        index_change_write(change, INDEX_OP_PUT, 1000, ids[i], 5, NULL, 0, buf, sizeof buf);
        MDB_val ek = { 5, (void *)ids[i] }, ev = { sizeof buf, buf }, tk = { 14, key }, tv = { sizeof val, val };
        MDB_val ck = { 8, seqk }, cv = { INDEX_CHANGE_HEADER + 5 + sizeof buf, change };
        rc = mdb_put(txn, events, &ek, &ev, 0) || mdb_put(txn, time, &tk, &tv, 0) ||
             mdb_put(txn, changes, &ck, &cv, 0);
    }
    uint32_t fmt = 1;
    uint64_t seq = 2;
    MDB_val fk = { 6, "format" }, fv = { 4, &fmt }, sk = { 3, "seq" }, sv = { 8, &seq };
    if (!rc)
        rc = mdb_put(txn, meta, &fk, &fv, 0) || mdb_put(txn, meta, &sk, &sv, 0);
    if (rc)
        mdb_txn_abort(txn);
    else
        rc = mdb_txn_commit(txn);
    mdb_env_close(env);
    return rc;
}

/* What an older annalsd (other term rules) leaves: reached under the store's
 * back with LMDB itself. */
static int forget_indexes(const char *path)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, post, time;
    uint32_t old = 0;
    MDB_val k = { 5, "terms" }, v = { sizeof old, &old };
    int rc = mdb_env_create(&env);
    if (rc)
        return rc;
    mdb_env_set_maxdbs(env, 8);
    if ((rc = mdb_env_open(env, path, 0, 0640)) || (rc = mdb_txn_begin(env, NULL, 0, &txn))) {
        mdb_env_close(env);
        return rc;
    }
    if ((rc = mdb_dbi_open(txn, "meta", 0, &meta)) ||
        (rc = mdb_dbi_open(txn, "post", MDB_DUPSORT | MDB_DUPFIXED, &post)) ||
        (rc = mdb_dbi_open(txn, "slots", 0, &time)) || (rc = mdb_drop(txn, post, 0)) ||
        (rc = mdb_drop(txn, time, 0)) || (rc = mdb_put(txn, meta, &k, &v, 0)))
        mdb_txn_abort(txn);
    else
        rc = mdb_txn_commit(txn);
    mdb_env_close(env);
    return rc;
}

int main(void)
{
    char err[256];
    store_t *s;
    uint64_t seq = 0;
    collect_t c;

    snprintf(dir, sizeof dir, "/tmp/annals-test-store-%ld", (long)getpid());
    is_int(store_open(&s, dir, 64 << 20, err, sizeof err), 0, "a new data dir opens");
    is_int(store_seq(s), 0, "a new database starts at seq 0");

    is_int(put(s, "a-day", "2024-04-08", NULL, &seq), 0, "put a one-day event");
    is_int(seq, 1, "the first write gets seq 1");
    put(s, "b-month", "2024-04", NULL, &seq);
    put(s, "c-decade", "2015", "2025", &seq);
    put(s, "d-later", "2024-05-02", NULL, &seq);
    put(s, "e-approx", "2020~", NULL, &seq);
    is_int(seq, 5, "seqs increase by one per write");

    scan(s, "2024-04-08", "2024-04-08", 0, 0, &c);
    is_str(joined(&c), "c-decade,b-month,a-day", "a day window finds the day, its month and the decade, by start");
    scan(s, "2024-04-08", "2024-04-08", 0, 1, &c);
    is_str(joined(&c), "a-day,b-month,c-decade", "descending order reverses it");
    scan(s, "2024-04", "2024-05", 1, 0, &c);
    is_str(joined(&c), "b-month,a-day,d-later", "within April-May excludes the decade");
    scan(s, "2019", "2019", 0, 0, &c);
    is_str(joined(&c), "c-decade,e-approx", "2019 meets the 2015-2025 span and an approximate 2020");

    /* Replace: the event moves in the index, seq moves on, created stays. */
    is_int(put(s, "a-day", "2024-06-01", NULL, &seq), 0, "replace an event");
    is_int(seq, 6, "a replacement gets the next seq");
    scan(s, "2024-04-08", "2024-04-08", 0, 0, &c);
    is_str(joined(&c), "c-decade,b-month", "the replaced event left its old place in the index");
    store_reader *r;
    index_record rec;
    store_read_begin(s, &r, err, sizeof err);
    is_int(store_get(r, "a-day", 5, &rec), 0, "the replaced event is found");
    is_int(rec.seq, 6, "with its new seq");
    is_int(rec.created_ms, 1000, "and its first created time");
    store_read_end(r);

    is_int(del(s, "b-month", &seq), 0, "delete an event");
    is_int(seq, 7, "a delete gets the next seq");
    is_int(del(s, "b-month", &seq), ERROR_NOT_FOUND, "deleting it again is not_found");
    store_read_begin(s, &r, err, sizeof err);
    is_int(store_get(r, "b-month", 7, &rec), ERROR_NOT_FOUND, "a deleted event is gone");
    store_stats_t st;
    store_stats(r, &st);
    is_int(st.events, 4, "stats count the events left");
    is_int(st.changes, 7, "and every change in the log");
    store_read_end(r);

    /* A failed job inside a group transaction is undone alone. */
    store_writer *w;
    edtf_bounds_t b = day_bounds("2030", NULL);
    uint64_t s1 = 0, s2 = 0;
    store_write_begin(s, &w, err, sizeof err);
    store_job_begin(w, err, sizeof err);
    store_write_put(w, "kept", 4, &b, "\x80", 1, 3000, &s1, NULL, err, sizeof err);
    store_job_end(w, 1, err, sizeof err);
    store_job_begin(w, err, sizeof err);
    store_write_put(w, "undone", 6, &b, "\x80", 1, 3000, &s2, NULL, err, sizeof err);
    store_job_end(w, 0, err, sizeof err);
    is_int(store_write_commit(w, err, sizeof err), 0, "a group with one undone job commits");
    is_int(store_seq(s), 8, "the undone job's seq is not consumed");
    store_read_begin(s, &r, err, sizeof err);
    ok(store_get(r, "kept", 4, &rec) == 0 && store_get(r, "undone", 6, &rec) == ERROR_NOT_FOUND,
       "the kept job is stored and the undone one is not");
    store_read_end(r);

    /* Paging with a cursor position resumes strictly after it. */
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%02d", i);
        put(s, id, "2040-01-01", NULL, &seq);
    }
    store_scan_params p;
    memset(&p, 0, sizeof p);
    p.lo = day_bounds("2040-01-01", NULL).start_lo;
    p.hi = day_bounds("2040-01-01", NULL).end_hi;
    store_read_begin(s, &r, err, sizeof err);
    scan_collect(r, &p, &c);
    store_read_end(r);
    ok(c.n == 20 && strcmp(c.ids[0], "p00") == 0 && strcmp(c.ids[19], "p19") == 0,
       "equal starts come in the order the ids were first written");
    p.has_after = 1;
    p.after_start = c.starts[9];
    p.after_doc = c.docs[9];
    store_read_begin(s, &r, err, sizeof err);
    scan_collect(r, &p, &c);
    store_read_end(r);
    ok(c.n == 10 && strcmp(c.ids[0], "p10") == 0 && strcmp(c.ids[9], "p19") == 0,
       "ascending scan after p09 yields p10..p19");
    p.desc = 1;
    store_read_begin(s, &r, err, sizeof err);
    scan_collect(r, &p, &c);
    store_read_end(r);
    ok(c.n == 9 && strcmp(c.ids[0], "p08") == 0 && strcmp(c.ids[8], "p00") == 0,
       "descending scan after p09 yields p08..p00");
    put(s, "p05", "2040-01-01", NULL, &seq);
    p.desc = 0;
    p.has_after = 0;
    store_read_begin(s, &r, err, sizeof err);
    scan_collect(r, &p, &c);
    store_read_end(r);
    ok(c.n == 20 && strcmp(c.ids[5], "p05") == 0, "a replaced event keeps its place among equal starts");

    /* The postings: every event has its kind term ("other" when the body
     * has none), kept in step with puts and deletes. */
    const char *kother[] = { "kother" }, *none[] = { "kmeeting" }, *both[] = { "kother", "kother" };
    scan_terms(s, "2040-01-01", "2040-01-01", 0, 0, kother, 1, &c);
    is_int(c.n, 20, "a term's postings find every event that has it");
    scan_terms(s, "2040-01-01", "2040-01-01", 0, 0, none, 1, &c);
    is_int(c.n, 0, "a term no event has finds nothing");
    scan_terms(s, "2040-01-01", "2040-01-01", 0, 0, both, 2, &c);
    is_int(c.n, 20, "a union of terms yields each event once");
    scan_terms(s, "2014", "2026", 1, 0, kother, 1, &c);
    is_str(joined(&c), "c-decade,e-approx,d-later,a-day", "postings follow the window and mode");
    del(s, "p00", &seq);
    scan_terms(s, "2040-01-01", "2040-01-01", 0, 0, kother, 1, &c);
    ok(c.n == 19 && strcmp(c.ids[0], "p01") == 0, "a delete removes the event's postings");
    store_read_begin(s, &r, err, sizeof err);
    is_int(store_term_count(r, "kother", 6), 24, "a term's count is its number of events");
    is_int(store_term_count(r, "kvisit", 6), 0, "an unknown term counts 0");
    store_read_end(r);

    /* The deferred index: a new event is durable (found by id) at once and
     * indexed later; one written and changed before then is indexed as it
     * is last; one deleted before then never is; an event already indexed
     * is kept in step by every put and delete. */
    lazy = 1;
    put(s, "late-1", "2050-03-01", NULL, &seq);
    put(s, "late-2", "2050-03-02", NULL, &seq);
    put(s, "late-3", "2050-03-03", NULL, &seq);
    put(s, "late-2", "2050-03-04", NULL, &seq);
    del(s, "late-3", &seq);
    put(s, "a-day", "2050-03-05", NULL, &seq);
    is_int(store_index_lag(s), 3, "three new docs wait to be indexed");
    store_read_begin(s, &r, err, sizeof err);
    is_int(store_get(r, "late-1", 6, &rec), 0, "a new event is found by id before it is indexed");
    store_read_end(r);
    scan(s, "2050-03", "2050-03", 0, 0, &c);
    is_str(joined(&c), "a-day", "only the indexed event moved by a put is in the time index yet");
    is_int(catch_up(s, 1), 2, "one doc per commit: two commits (the deleted doc is skipped)");
    is_int(store_index_lag(s), 0, "nothing waits then");
    scan(s, "2050-03", "2050-03", 0, 0, &c);
    is_str(joined(&c), "late-1,late-2,a-day", "the new events are found by date, late-2 at its last date");
    scan(s, "2050-03-02", "2050-03-02", 0, 0, &c);
    is_str(joined(&c), "", "and not at its first");
    scan_terms(s, "2050-03", "2050-03", 0, 0, kother, 1, &c);
    is_str(joined(&c), "late-1,late-2,a-day", "and by term");
    lazy = 0;
    store_read_begin(s, &r, err, sizeof err);
    is_int(store_term_count(r, "kother", 6), 26, "the term counts them once each");
    store_read_end(r);

    /* Persistence and the data-dir lock. */
    store_t *other;
    ok(store_open(&other, dir, 64 << 20, err, sizeof err) < 0 && strstr(err, "in use"),
       "a second open of the same data dir is refused: %s", err);
    uint64_t before = store_seq(s);
    store_close(s);
    is_int(store_open(&s, dir, 64 << 20, err, sizeof err), 0, "the data dir reopens");
    is_int(store_seq(s), before, "seq survives a reopen");
    lazy = 1;
    put(s, "after-reopen", "2001", NULL, &seq);
    is_int(seq, before + 1, "and continues without reuse");
    store_close(s);
    is_int(store_open(&s, dir, 64 << 20, err, sizeof err), 0, "reopened with an event not indexed yet");
    is_int(store_index_lag(s), 1, "the event still waits: what to index is known from the records alone");
    is_int(catch_up(s, 1000), 1, "and is indexed then");
    scan(s, "2001", "2001", 0, 0, &c);
    is_str(joined(&c), "after-reopen", "found by date");
    lazy = 0;
    store_close(s);

    /* Indexes made by other term rules are rebuilt at open: here the
     * postings are lost and the terms version is old, as after an upgrade. */
    ok(forget_indexes(dir) == 0, "tamper: drop the time index and postings, mark the terms version old");
    is_int(store_open(&s, dir, 64 << 20, err, sizeof err), 0, "a database with old term rules opens");
    ok(store_index_lag(s) > 20, "with every event waiting to be indexed again (%llu)",
       (unsigned long long)store_index_lag(s));
    scan_terms(s, "2040-01-01", "2040-01-01", 0, 0, kother, 1, &c);
    is_int(c.n, 0, "which no query finds before they are");
    ok(catch_up(s, 7) >= 4, "the writer indexes them, 7 to a commit");
    scan_terms(s, "2040-01-01", "2040-01-01", 0, 0, kother, 1, &c);
    is_int(c.n, 19, "its postings were rebuilt from the events");
    scan(s, "2001", "2001", 0, 0, &c);
    is_str(joined(&c), "after-reopen", "and so was its time index");
    store_close(s);

    /* A format 1 database (records keyed by id) is upgraded in place. */
    char v1dir[300];
    snprintf(v1dir, sizeof v1dir, "%s-v1", dir);
    ok(make_v1(v1dir) == 0, "build a format 1 database with two events and their change log");
    is_int(store_open(&s, v1dir, 64 << 20, err, sizeof err), 0, "it opens");
    is_int(catch_up(s, 1000), 1, "its events are indexed in one commit");
    store_read_begin(s, &r, err, sizeof err);
    ok(store_get(r, "old-b", 5, &rec) == 0 && rec.seq == 2 && rec.idlen == 5 && memcmp(rec.id, "old-b", 5) == 0,
       "its events are found by id, with their seq");
    store_read_end(r);
    scan(s, "2020", "2021", 0, 0, &c);
    is_str(joined(&c), "old-b,old-a", "and by date, from the rebuilt time index");
    scan_terms(s, "2020", "2021", 0, 0, kother, 1, &c);
    is_int(c.n, 2, "and by term, from the rebuilt postings");
    is_int(store_seq(s), 2, "seq is kept");
    store_read_begin(s, &r, err, sizeof err);
    int nchanges = 0;
    is_int(store_changes(r, 0, count_change, &nchanges), 0, "its change log still reads");
    is_int(nchanges, 2, "every entry of it");
    store_read_end(r);
    put(s, "new-c", "2021-06-01", NULL, &seq);
    is_int(seq, 3, "writes go on from its seq");
    store_close(s);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, v1dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
