/* store.c: the LMDB event store of store.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "daemon/store.h"
#include "proto/buf.h"
#include "proto/error.h"
#include "proto/xalloc.h"

struct store_reader {
    store_t *s;
    MDB_txn *txn;
    MDB_cursor *cur[INDEX_CLASSES];
    int active;
};

struct store_writer {
    store_t *s;
    buf_t prev;         /* copy of the version being replaced or deleted */
    buf_t rec;          /* the new record, header + body, for the change log */
    msgpack_unpacked scratch;
    MDB_txn *txn;       /* the group transaction */
    MDB_txn *job;       /* the nested transaction of the current job, or NULL */
    uint64_t seq;       /* last seq handed out in this transaction */
    uint64_t job_seq;   /* seq when the current job began */
    uint64_t trimmed;   /* highest seq trimmed, in this transaction */
    uint64_t job_trimmed; /* trimmed when the current job began */
};

struct store {
    MDB_env *env;
    MDB_dbi meta, events, time, changes;
    char *path;
    int lock_fd;
    _Atomic uint64_t seq;   /* last committed seq; written by the writer thread */
    _Atomic uint64_t trimmed; /* highest seq removed from the change log */
    struct store_reader reader;
    struct store_writer writer;
};

static int store_mkdirs(const char *dir)
{
    char *p = xstrdup(dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0750) < 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *q = '/';
    }
    int rc = mkdir(p, 0750) < 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

/* Two daemons on one directory would both believe they own the seq counter
 * and the socket; an advisory lock held for the life of the process stops the
 * second one with a clear message. */
static int store_lock_dir(store_t *s, char *err, size_t errlen)
{
    char lockpath[4096];
    snprintf(lockpath, sizeof lockpath, "%s/annalsd.lock", s->path);
    s->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lock_fd < 0) {
        snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        char pid[32] = "";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        if (n > 0)
            pid[n] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, errlen, "data directory %s is in use by another annalsd%s%s%s",
                 s->path, *pid ? " (pid " : "", pid, *pid ? ")" : "");
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) {
        snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
        return -1;
    }
    return 0;
}

static int store_mdb_error(int rc, const char *what, char *err, size_t errlen)
{
    if (rc == MDB_MAP_FULL) {
        snprintf(err, errlen, "the database is full (its map_size is reached); "
                 "raise map_size in the config and restart annalsd");
        return ERROR_DB_FULL;
    }
    if (rc == ENOSPC || rc == EDQUOT) {
        snprintf(err, errlen, "the disk holding the database is full");
        return ERROR_DB_FULL;
    }
    snprintf(err, errlen, "%s: %s", what, mdb_strerror(rc));
    return ERROR_INTERNAL;
}

static int store_init_meta(store_t *s, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc) {
        store_mdb_error(rc, "begin", err, errlen);
        return -1;
    }
    const char *what = "open databases";
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) ||
        (rc = mdb_dbi_open(txn, "events", MDB_CREATE, &s->events)) ||
        (rc = mdb_dbi_open(txn, "time", MDB_CREATE, &s->time)) ||
        (rc = mdb_dbi_open(txn, "changes", MDB_CREATE, &s->changes)))
        goto fail;

    MDB_val k = { 6, "format" }, v;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        MDB_stat st;
        if ((rc = mdb_stat(txn, s->events, &st)))
            goto fail;
        if (st.ms_entries > 0) {
            snprintf(err, errlen, "%s holds events but no format version: not an annals database", s->path);
            mdb_txn_abort(txn);
            return -1;
        }
        uint32_t fmt = STORE_FORMAT;
        v.mv_size = sizeof fmt;
        v.mv_data = &fmt;
        what = "write format";
        if ((rc = mdb_put(txn, s->meta, &k, &v, 0)))
            goto fail;
    } else if (rc) {
        goto fail;
    } else {
        uint32_t fmt = 0;
        if (v.mv_size == sizeof fmt)
            memcpy(&fmt, v.mv_data, sizeof fmt);
        if (fmt != STORE_FORMAT) {
            snprintf(err, errlen, "%s has database format %u; this annalsd reads format %d",
                     s->path, fmt, STORE_FORMAT);
            mdb_txn_abort(txn);
            return -1;
        }
    }
    MDB_val sk = { 3, "seq" };
    rc = mdb_get(txn, s->meta, &sk, &v);
    if (rc == 0 && v.mv_size == 8) {
        uint64_t seq;
        memcpy(&seq, v.mv_data, 8);
        atomic_store(&s->seq, seq);
    } else if (rc != MDB_NOTFOUND && rc) {
        goto fail;
    }
    MDB_val tk = { 7, "trimmed" };
    rc = mdb_get(txn, s->meta, &tk, &v);
    if (rc == 0 && v.mv_size == 8) {
        uint64_t t;
        memcpy(&t, v.mv_data, 8);
        atomic_store(&s->trimmed, t);
    } else if (rc != MDB_NOTFOUND && rc) {
        goto fail;
    }
    what = "commit";
    if ((rc = mdb_txn_commit(txn))) {
        store_mdb_error(rc, what, err, errlen);
        return -1;
    }
    return 0;
fail:
    store_mdb_error(rc, what, err, errlen);
    mdb_txn_abort(txn);
    return -1;
}

int store_open(store_t **out, const char *dir, uint64_t map_size, char *err, size_t errlen)
{
    store_t *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(dir);
    s->lock_fd = -1;
    s->reader.s = s;
    s->writer.s = s;
    msgpack_unpacked_init(&s->writer.scratch);
    int rc;

    if (store_mkdirs(dir) < 0) {
        snprintf(err, errlen, "cannot create data directory %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (store_lock_dir(s, err, errlen) < 0)
        goto fail;
    if ((rc = mdb_env_create(&s->env))) {
        store_mdb_error(rc, "mdb_env_create", err, errlen);
        goto fail;
    }
    mdb_env_set_maxdbs(s->env, 8);
    if ((rc = mdb_env_set_mapsize(s->env, (size_t)map_size))) {
        store_mdb_error(rc, "map_size", err, errlen);
        goto fail;
    }
    /* MDB_NOTLS: read transactions are not tied to a thread's slot, so the
     * loop thread can keep one reader and reuse it. Sync stays on: a commit
     * returns only once the data is on disk. */
    if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0640))) {
        char what[512];
        snprintf(what, sizeof what, "cannot open the database in %s", dir);
        store_mdb_error(rc, what, err, errlen);
        goto fail;
    }
    if (store_init_meta(s, err, errlen) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    for (int c = 0; c < INDEX_CLASSES; c++)
        if (s->reader.cur[c])
            mdb_cursor_close(s->reader.cur[c]);
    if (s->reader.txn)
        mdb_txn_abort(s->reader.txn);
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    buf_release(&s->writer.prev);
    buf_release(&s->writer.rec);
    msgpack_unpacked_destroy(&s->writer.scratch);
    free(s->path);
    free(s);
}

const char *store_path(store_t *s)
{
    return s->path;
}

uint64_t store_seq(store_t *s)
{
    return atomic_load(&s->seq);
}

uint64_t store_trimmed(store_t *s)
{
    return atomic_load(&s->trimmed);
}

/* ---- reads ---- */

int store_read_begin(store_t *s, store_reader **out, char *err, size_t errlen)
{
    store_reader *r = &s->reader;
    int rc;
    if (r->active) {
        snprintf(err, errlen, "internal: nested read transaction");
        return ERROR_INTERNAL;
    }
    if (!r->txn)
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &r->txn);
    else
        rc = mdb_txn_renew(r->txn);
    if (rc)
        return store_mdb_error(rc, "read transaction", err, errlen);
    for (int c = 0; c < INDEX_CLASSES; c++)
        if (r->cur[c] && (rc = mdb_cursor_renew(r->txn, r->cur[c]))) {
            mdb_txn_reset(r->txn);
            return store_mdb_error(rc, "cursor", err, errlen);
        }
    r->active = 1;
    *out = r;
    return 0;
}

void store_read_end(store_reader *r)
{
    if (!r || !r->active)
        return;
    /* Reset rather than abort: the handle is reused by the next read. */
    mdb_txn_reset(r->txn);
    r->active = 0;
}

int store_get(store_reader *r, const char *id, size_t idlen, index_record *rec)
{
    MDB_val k = { idlen, (void *)id }, v;
    int rc = mdb_get(r->txn, r->s->events, &k, &v);
    if (rc == MDB_NOTFOUND)
        return ERROR_NOT_FOUND;
    if (rc || index_record_parse(v.mv_data, v.mv_size, rec) < 0)
        return ERROR_INTERNAL;
    return 0;
}

int store_stats(store_reader *r, store_stats_t *st)
{
    MDB_stat ms;
    MDB_envinfo info;
    memset(st, 0, sizeof *st);
    if (mdb_stat(r->txn, r->s->events, &ms))
        return ERROR_INTERNAL;
    st->events = ms.ms_entries;
    if (mdb_stat(r->txn, r->s->changes, &ms))
        return ERROR_INTERNAL;
    st->changes = ms.ms_entries;
    if (mdb_env_info(r->s->env, &info) || mdb_env_stat(r->s->env, &ms))
        return ERROR_INTERNAL;
    st->map_size = info.me_mapsize;
    st->page_size = ms.ms_psize;
    st->used_bytes = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
    st->seq = store_seq(r->s);
    return 0;
}

int store_changes(store_reader *r, uint64_t after, store_change_cb cb, void *ud)
{
    MDB_cursor *cur;
    unsigned char key[8];
    MDB_val k = { 8, key }, v;
    int rc = mdb_cursor_open(r->txn, r->s->changes, &cur);
    if (rc)
        return ERROR_INTERNAL;
    index_seq_key(after + 1, key);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        index_change c;
        if (k.mv_size != 8 || index_change_parse(index_seq_key_parse(k.mv_data), v.mv_data, v.mv_size, &c) < 0) {
            rc = ERROR_INTERNAL;
            break;
        }
        int stop = cb(ud, &c);
        if (stop) {
            rc = stop < 0 ? stop : 0;
            mdb_cursor_close(cur);
            return rc;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : (rc > 0 ? ERROR_INTERNAL : rc);
}

/* One class's position in a merged time scan. */
typedef struct {
    MDB_cursor *cur;
    unsigned cls;
    int valid;
    edtf_time lb;          /* smallest start that can still overlap */
    edtf_time start;
    const char *id;
    size_t idlen;
    edtf_bounds_t b;
} store_head;

static int store_key_cmp(edtf_time a, const char *aid, size_t alen,
                         edtf_time b, const char *bid, size_t blen)
{
    if (a != b)
        return a < b ? -1 : 1;
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(aid, bid, n);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Load the entry under the cursor into h, or mark h exhausted when the
 * cursor left the class or the start range. */
static void store_head_load(store_head *h, int rc, const MDB_val *k, const MDB_val *v,
                            const store_scan_params *p)
{
    h->valid = 0;
    if (rc || k->mv_size < 9 || v->mv_size != INDEX_TIME_VAL_SIZE)
        return;
    unsigned cls;
    index_time_key_parse(k->mv_data, k->mv_size, &cls, &h->start, &h->id, &h->idlen);
    if (cls != h->cls || h->start > p->hi || h->start < h->lb)
        return;
    index_time_val_parse(v->mv_data, h->start, &h->b);
    h->valid = 1;
}

static void store_head_seek(store_head *h, const store_scan_params *p)
{
    unsigned char key[INDEX_TIME_KEY_MAX];
    MDB_val k, v;
    int rc;
    if (!p->desc) {
        if (p->has_after && store_key_cmp(p->after_start, p->after_id, p->after_idlen, h->lb, "", 0) >= 0) {
            k.mv_size = index_time_key(h->cls, p->after_start, p->after_id, p->after_idlen, key);
            k.mv_data = key;
            rc = mdb_cursor_get(h->cur, &k, &v, MDB_SET_RANGE);
            if (rc == 0 && k.mv_size == 9 + p->after_idlen &&
                memcmp(k.mv_data, key, k.mv_size) == 0)
                rc = mdb_cursor_get(h->cur, &k, &v, MDB_NEXT);
        } else {
            k.mv_size = index_time_key(h->cls, h->lb, "", 0, key);
            k.mv_data = key;
            rc = mdb_cursor_get(h->cur, &k, &v, MDB_SET_RANGE);
        }
    } else {
        /* Find the first key at or past the upper limit, then step back. */
        if (p->has_after && store_key_cmp(p->after_start, p->after_id, p->after_idlen,
                                          p->hi + 1, "", 0) < 0)
            k.mv_size = index_time_key(h->cls, p->after_start, p->after_id, p->after_idlen, key);
        else
            k.mv_size = index_time_key(h->cls, p->hi + 1, "", 0, key);
        k.mv_data = key;
        rc = mdb_cursor_get(h->cur, &k, &v, MDB_SET_RANGE);
        if (rc == 0)
            rc = mdb_cursor_get(h->cur, &k, &v, MDB_PREV);
        else if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(h->cur, &k, &v, MDB_LAST);
    }
    store_head_load(h, rc, &k, &v, p);
}

static void store_head_next(store_head *h, const store_scan_params *p)
{
    MDB_val k, v;
    int rc = mdb_cursor_get(h->cur, &k, &v, p->desc ? MDB_PREV : MDB_NEXT);
    store_head_load(h, rc, &k, &v, p);
}

static int store_passes(const store_head *h, const store_scan_params *p)
{
    if (p->within)
        return edtf_within(&h->b, p->lo, p->hi);
    return edtf_overlaps(&h->b, p->lo, p->hi);
}

int store_scan(store_reader *r, const store_scan_params *p, store_scan_cb cb, void *ud)
{
    store_head heads[INDEX_CLASSES];
    unsigned n = 0;
    int64_t width = p->hi - p->lo + 1;

    for (unsigned c = 0; c < INDEX_CLASSES; c++) {
        /* Within a window, no event longer than the window can qualify. */
        if (p->within && index_class_min_span(c) > width)
            continue;
        if (!r->cur[c] && mdb_cursor_open(r->txn, r->s->time, &r->cur[c]))
            return ERROR_INTERNAL;
        store_head *h = &heads[n++];
        h->cur = r->cur[c];
        h->cls = c;
        if (p->within) {
            h->lb = p->lo;
        } else {
            int64_t span = index_class_span(c);
            h->lb = span > p->lo - EDTF_TIME_MIN ? EDTF_TIME_MIN : p->lo - span;
        }
        store_head_seek(h, p);
    }

    for (;;) {
        store_head *best = NULL;
        for (unsigned i = 0; i < n; i++) {
            store_head *h = &heads[i];
            if (!h->valid)
                continue;
            if (!best) {
                best = h;
                continue;
            }
            int cmp = store_key_cmp(h->start, h->id, h->idlen, best->start, best->id, best->idlen);
            if (p->desc ? cmp > 0 : cmp < 0)
                best = h;
        }
        if (!best)
            return 0;
        if (store_passes(best, p)) {
            int rc = cb(ud, best->id, best->idlen, &best->b);
            if (rc)
                return rc < 0 ? rc : 0;
        }
        store_head_next(best, p);
    }
}

/* ---- writes ---- */

int store_write_begin(store_t *s, store_writer **out, char *err, size_t errlen)
{
    store_writer *w = &s->writer;
    int rc = mdb_txn_begin(s->env, NULL, 0, &w->txn);
    if (rc)
        return store_mdb_error(rc, "write transaction", err, errlen);
    w->job = NULL;
    w->seq = store_seq(s);
    w->trimmed = store_trimmed(s);
    *out = w;
    return 0;
}

uint64_t store_write_seq(store_writer *w)
{
    return w->seq;
}

int store_job_begin(store_writer *w, char *err, size_t errlen)
{
    int rc = mdb_txn_begin(w->s->env, w->txn, 0, &w->job);
    if (rc) {
        w->job = NULL;
        return store_mdb_error(rc, "nested transaction", err, errlen);
    }
    w->job_seq = w->seq;
    w->job_trimmed = w->trimmed;
    return 0;
}

int store_job_end(store_writer *w, int ok, char *err, size_t errlen)
{
    int rc = 0;
    if (!w->job)
        return 0;
    if (ok) {
        /* A failed child commit has already freed the child. */
        rc = mdb_txn_commit(w->job);
        if (rc)
            rc = store_mdb_error(rc, "nested commit", err, errlen);
    } else {
        mdb_txn_abort(w->job);
    }
    w->job = NULL;
    if (!ok || rc) {
        w->seq = w->job_seq;
        w->trimmed = w->job_trimmed;
    }
    return rc;
}

static MDB_txn *store_wtxn(store_writer *w)
{
    return w->job ? w->job : w->txn;
}

/* Append the change entry of seq: the previous version (in w->prev) and the
 * new record, if any. The caller gets a copy in change_out (when not NULL)
 * to hand to live subscribers after the commit. */
static int store_log_change(store_writer *w, MDB_txn *txn, uint64_t seq, int op,
                            const char *id, size_t idlen, int64_t now_ms,
                            const index_record *rec, buf_t *change_out, char *err, size_t errlen)
{
    unsigned char key[8];
    buf_reset(&w->rec);
    if (rec) {
        buf_reserve(&w->rec, INDEX_RECORD_HEADER + rec->body_len);
        index_record_header(rec, (unsigned char *)w->rec.data);
        memcpy(w->rec.data + INDEX_RECORD_HEADER, rec->body, rec->body_len);
        w->rec.len = INDEX_RECORD_HEADER + rec->body_len;
    }
    size_t size = index_change_size(idlen, w->prev.len, w->rec.len);
    index_seq_key(seq, key);
    MDB_val k = { 8, key }, v = { size, NULL };
    int rc = mdb_put(txn, w->s->changes, &k, &v, MDB_APPEND | MDB_RESERVE);
    if (rc)
        return store_mdb_error(rc, "change log", err, errlen);
    index_change_write(v.mv_data, op, now_ms, id, idlen, w->prev.data, w->prev.len,
                       w->rec.data, w->rec.len);
    if (change_out) {
        buf_reset(change_out);
        buf_append(change_out, v.mv_data, size);
    }
    return 0;
}

/* Remove the time-index entry of the stored version of id, if any; *old is
 * filled when there was one. */
static int store_unindex(store_writer *w, MDB_txn *txn, const char *id, size_t idlen,
                         index_record *old, int *found, char *err, size_t errlen)
{
    MDB_val k = { idlen, (void *)id }, v;
    int rc = mdb_get(txn, w->s->events, &k, &v);
    *found = 0;
    buf_reset(&w->prev);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_mdb_error(rc, "read event", err, errlen);
    if (index_record_parse(v.mv_data, v.mv_size, old) < 0) {
        snprintf(err, errlen, "stored record of '%.*s' is damaged", (int)idlen, id);
        return ERROR_INTERNAL;
    }
    /* Keep what the change log needs of it now: values returned by LMDB are
     * valid only until the next update. old's body points there too. */
    index_record_summary(old, &w->prev, &w->scratch);
    index_record_parse(w->prev.data, w->prev.len, old);
    *found = 1;
    unsigned char key[INDEX_TIME_KEY_MAX];
    MDB_val tk = { index_time_key(index_class_of(&old->bounds), old->bounds.start_lo, id, idlen, key), key };
    rc = mdb_del(txn, w->s->time, &tk, NULL);
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_error(rc, "time index", err, errlen);
    return 0;
}

int store_write_put(store_writer *w, const char *id, size_t idlen, const edtf_bounds_t *b,
                    const char *body, size_t body_len, int64_t now_ms, uint64_t *seq,
                    buf_t *change_out, char *err, size_t errlen)
{
    MDB_txn *txn = store_wtxn(w);
    index_record old, rec;
    int found, rc;

    if ((rc = store_unindex(w, txn, id, idlen, &old, &found, err, errlen)))
        return rc;
    rec.bounds = *b;
    rec.seq = w->seq + 1;
    rec.created_ms = found ? old.created_ms : now_ms;
    rec.updated_ms = now_ms;
    rec.body = body;
    rec.body_len = body_len;

    /* MDB_RESERVE lets us build the record in place in the page. */
    MDB_val k = { idlen, (void *)id }, v = { INDEX_RECORD_HEADER + body_len, NULL };
    if ((rc = mdb_put(txn, w->s->events, &k, &v, MDB_RESERVE)))
        return store_mdb_error(rc, "write event", err, errlen);
    index_record_header(&rec, v.mv_data);
    memcpy((char *)v.mv_data + INDEX_RECORD_HEADER, body, body_len);

    unsigned char key[INDEX_TIME_KEY_MAX], val[INDEX_TIME_VAL_SIZE];
    MDB_val tk = { index_time_key(index_class_of(b), b->start_lo, id, idlen, key), key };
    MDB_val tv = { INDEX_TIME_VAL_SIZE, val };
    index_time_val(b, val);
    if ((rc = mdb_put(txn, w->s->time, &tk, &tv, 0)))
        return store_mdb_error(rc, "time index", err, errlen);
    if ((rc = store_log_change(w, txn, rec.seq, INDEX_OP_PUT, id, idlen, now_ms, &rec,
                               change_out, err, errlen)))
        return rc;
    w->seq = rec.seq;
    *seq = rec.seq;
    return 0;
}

int store_write_delete(store_writer *w, const char *id, size_t idlen, int64_t now_ms,
                       uint64_t *seq, buf_t *change_out, char *err, size_t errlen)
{
    MDB_txn *txn = store_wtxn(w);
    index_record old;
    int found, rc;

    if ((rc = store_unindex(w, txn, id, idlen, &old, &found, err, errlen)))
        return rc;
    if (!found) {
        snprintf(err, errlen, "no event with id '%.*s'", (int)idlen, id);
        return ERROR_NOT_FOUND;
    }
    MDB_val k = { idlen, (void *)id };
    if ((rc = mdb_del(txn, w->s->events, &k, NULL)))
        return store_mdb_error(rc, "delete event", err, errlen);
    if ((rc = store_log_change(w, txn, w->seq + 1, INDEX_OP_DELETE, id, idlen, now_ms, NULL,
                               change_out, err, errlen)))
        return rc;
    *seq = ++w->seq;
    return 0;
}

int store_write_trim(store_writer *w, uint64_t max_entries, int64_t min_time_ms,
                     unsigned max_steps, char *err, size_t errlen)
{
    MDB_cursor *cur;
    MDB_stat st;
    MDB_val k, v;
    MDB_txn *txn = store_wtxn(w);
    int rc = mdb_cursor_open(txn, w->s->changes, &cur);
    if (rc)
        return store_mdb_error(rc, "change log", err, errlen);
    if ((rc = mdb_stat(txn, w->s->changes, &st))) {
        mdb_cursor_close(cur);
        return store_mdb_error(rc, "change log", err, errlen);
    }
    uint64_t entries = st.ms_entries;
    for (unsigned i = 0; i < max_steps; i++) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        if (rc || k.mv_size != 8 || v.mv_size < INDEX_CHANGE_HEADER)
            break;
        int64_t t;
        memcpy(&t, (const char *)v.mv_data + 12, 8);
        int over_count = max_entries && entries > max_entries;
        int too_old = min_time_ms && t < min_time_ms;
        if (!over_count && !too_old)
            break;
        uint64_t seq = index_seq_key_parse(k.mv_data);
        if ((rc = mdb_cursor_del(cur, 0))) {
            mdb_cursor_close(cur);
            return store_mdb_error(rc, "trim change log", err, errlen);
        }
        entries--;
        w->trimmed = seq;
    }
    mdb_cursor_close(cur);
    return 0;
}

int store_write_commit(store_writer *w, char *err, size_t errlen)
{
    int rc;
    if (w->trimmed != store_trimmed(w->s)) {
        MDB_val k = { 7, "trimmed" }, v = { 8, &w->trimmed };
        if ((rc = mdb_put(w->txn, w->s->meta, &k, &v, 0))) {
            int code = store_mdb_error(rc, "write trimmed", err, errlen);
            store_write_abort(w);
            return code;
        }
    }
    if (w->seq != store_seq(w->s)) {
        MDB_val k = { 3, "seq" }, v = { 8, &w->seq };
        if ((rc = mdb_put(w->txn, w->s->meta, &k, &v, 0))) {
            int code = store_mdb_error(rc, "write seq", err, errlen);
            store_write_abort(w);
            return code;
        }
    }
    rc = mdb_txn_commit(w->txn);
    w->txn = NULL;
    if (rc)
        return store_mdb_error(rc, "commit", err, errlen);
    atomic_store(&w->s->seq, w->seq);
    atomic_store(&w->s->trimmed, w->trimmed);
    return 0;
}

void store_write_abort(store_writer *w)
{
    if (w->job) {
        mdb_txn_abort(w->job);
        w->job = NULL;
    }
    if (w->txn) {
        mdb_txn_abort(w->txn);
        w->txn = NULL;
    }
    w->seq = store_seq(w->s);
    w->trimmed = store_trimmed(w->s);
}
