/* store_write.c: the writes of store.h: puts, deletes and retention, each
 * keeping the events, ids, time index, postings and change log consistent in
 * one transaction. Runs on the writer thread only. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "daemon/store_priv.h"
#include "proto/error.h"

int store_write_begin(store_t *s, store_writer **out, char *err, size_t errlen)
{
    store_writer *w = &s->writer;
    int rc = mdb_txn_begin(s->env, NULL, 0, &w->txn);
    if (rc)
        return store_mdb_error(rc, "write transaction", err, errlen);
    w->job = NULL;
    w->seq = store_seq(s);
    w->trimmed = store_trimmed(s);
    w->next_doc = atomic_load(&s->next_doc);
    w->indexed_doc = atomic_load(&s->indexed_doc);
    w->index_inline = 0;
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
    w->job_next_doc = w->next_doc;
    w->job_indexed_doc = w->indexed_doc;
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
        w->next_doc = w->job_next_doc;
        w->indexed_doc = w->job_indexed_doc;
    }
    return rc;
}

static MDB_txn *store_wtxn(store_writer *w)
{
    return w->job ? w->job : w->txn;
}

/* Add delta to the day count of term (len 0: the whole database) on day. */
static int store_count_adjust(store_t *s, MDB_txn *txn, const char *term, size_t len, int64_t day,
                              int delta, char *err, size_t errlen)
{
    unsigned char key[TERM_MAX + 1 + 4];
    size_t klen = index_count_key(term, len, day, key);
    MDB_val k = { klen, key }, v;
    uint64_t n = 0;
    int rc = mdb_get(txn, s->counts, &k, &v);
    if (rc == 0 && v.mv_size == sizeof n)
        memcpy(&n, v.mv_data, sizeof n);
    else if (rc && rc != MDB_NOTFOUND)
        return store_mdb_error(rc, "day counts", err, errlen);
    if (delta < 0 && n == 0)
        return 0;                   /* never below zero, whatever happened before */
    n = delta < 0 ? n - 1 : n + 1;
    if (n == 0) {
        rc = mdb_del(txn, s->counts, &k, NULL);
    } else {
        v.mv_size = sizeof n;
        v.mv_data = &n;
        rc = mdb_put(txn, s->counts, &k, &v, 0);
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_error(rc, "day counts", err, errlen);
    return 0;
}

int store_index_event(store_t *s, MDB_txn *txn, const unsigned char slot[INDEX_SLOT_SIZE],
                      const edtf_bounds_t *b, const term_set *ts, int add, int whole,
                      char *err, size_t errlen)
{
    int64_t day = index_day_of(b->start_lo);
    MDB_val k = { INDEX_SLOT_SIZE, (void *)slot }, v;
    unsigned char val[INDEX_TIME_VAL_SIZE];
    int rc;
    if (add) {
        index_time_val(b, val);
        v.mv_size = INDEX_TIME_VAL_SIZE;
        v.mv_data = val;
        rc = mdb_put(txn, s->time, &k, &v, 0);
    } else {
        rc = mdb_del(txn, s->time, &k, NULL);
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_error(rc, "time index", err, errlen);
    for (size_t i = 0; i < ts->n; i++) {
        MDB_val tk = { ts->len[i], ts->data + ts->off[i] };
        MDB_val sv = { INDEX_SLOT_SIZE, (void *)slot };
        rc = add ? mdb_put(txn, s->post, &tk, &sv, MDB_NODUPDATA) : mdb_del(txn, s->post, &tk, &sv);
        if (rc && rc != MDB_KEYEXIST && rc != MDB_NOTFOUND)
            return store_mdb_error(rc, "secondary index", err, errlen);
        if (index_term_counted(ts->data[ts->off[i]]) &&
            (rc = store_count_adjust(s, txn, tk.mv_data, tk.mv_size, day, add ? 1 : -1, err, errlen)))
            return rc;
    }
    if (whole && (rc = store_count_adjust(s, txn, "", 0, day, add ? 1 : -1, err, errlen)))
        return rc;
    return 0;
}

/* The terms of a that b lacks, both sorted and unique, into out. */
static void store_terms_minus(const term_set *a, const term_set *b, term_set *out)
{
    size_t j = 0;
    term_set_reset(out);
    for (size_t i = 0; i < a->n; i++) {
        const char *t = a->data + a->off[i];
        int cmp = 1;
        while (j < b->n) {
            size_t la = a->len[i], lb = b->len[j];
            int c = memcmp(t, b->data + b->off[j], la < lb ? la : lb);
            cmp = c ? c : (la < lb ? -1 : la > lb);
            if (cmp <= 0)
                break;
            j++;
        }
        if (cmp != 0)
            term_set_add(out, t[0], t + 1, a->len[i] - 1);
    }
}

int store_rebuild_postings(store_t *s, MDB_txn *txn, char *err, size_t errlen)
{
    uint64_t first = 1;
    MDB_val k = { 7, "indexed" }, v = { 8, &first };
    int rc;
    if ((rc = mdb_drop(txn, s->post, 0)) || (rc = mdb_drop(txn, s->time, 0)) ||
        (rc = mdb_drop(txn, s->counts, 0)) || (rc = mdb_put(txn, s->meta, &k, &v, 0)))
        return store_mdb_error(rc, "rebuild indexes", err, errlen);
    atomic_store(&s->indexed_doc, first);
    return 0;
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
        buf_reserve(&w->rec, index_record_size(rec));
        index_record_write(rec, w->rec.data);
        w->rec.len = index_record_size(rec);
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

/* The stored version of id, if any: *doc, *old (its bounds, as in the change
 * log), its terms in w->old_terms, and its summary for the change
 * log in w->prev. */
static int store_load_old(store_writer *w, MDB_txn *txn, const char *id, size_t idlen,
                          uint64_t *doc, index_record *old, int *found, char *err, size_t errlen)
{
    MDB_val k = { idlen, (void *)id }, v;
    unsigned char dk[INDEX_DOC_SIZE];
    *found = 0;
    buf_reset(&w->prev);
    term_set_reset(&w->old_terms);
    int rc = mdb_get(txn, w->s->ids, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_mdb_error(rc, "read id", err, errlen);
    if (v.mv_size != INDEX_DOC_SIZE) {
        snprintf(err, errlen, "the id index entry of '%.*s' is damaged", (int)idlen, id);
        return ERROR_INTERNAL;
    }
    *doc = index_doc_parse(v.mv_data);
    index_doc_key(*doc, dk);
    MDB_val ek = { INDEX_DOC_SIZE, dk };
    rc = mdb_get(txn, w->s->events, &ek, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? (snprintf(err, errlen, "the record of '%.*s' is missing", (int)idlen, id),
                                     ERROR_INTERNAL)
                                  : store_mdb_error(rc, "read event", err, errlen);
    if (index_record_parse(v.mv_data, v.mv_size, old) < 0) {
        snprintf(err, errlen, "stored record of '%.*s' is damaged", (int)idlen, id);
        return ERROR_INTERNAL;
    }
    /* Values returned by LMDB are valid only until the next update: keep
     * what is needed of the old version now. */
    terms_of_body(old->body, old->body_len, &w->scratch, &w->old_terms);
    index_record_summary(old, &w->prev, &w->scratch);
    index_record_parse(w->prev.data, w->prev.len, old);
    *found = 1;
    return 0;
}

int store_write_put(store_writer *w, const char *id, size_t idlen, const edtf_bounds_t *b,
                    const char *body, size_t body_len, int64_t now_ms, uint64_t *seq,
                    buf_t *change_out, char *err, size_t errlen)
{
    MDB_txn *txn = store_wtxn(w);
    index_record old, rec;
    uint64_t doc = 0;
    int found, rc;
    unsigned char dk[INDEX_DOC_SIZE], old_slot[INDEX_SLOT_SIZE], new_slot[INDEX_SLOT_SIZE];

    if ((rc = store_load_old(w, txn, id, idlen, &doc, &old, &found, err, errlen)))
        return rc;
    /* A new event, or one not indexed yet, is indexed later
     * (store_index.c), unless the writer asked for it now; an indexed one
     * is kept in step here. */
    int indexed = found && doc < w->indexed_doc;
    if (!found) {
        doc = w->next_doc++;
        if (w->index_inline && w->indexed_doc == doc) {
            w->indexed_doc = doc + 1;
            indexed = 1;
        }
        index_doc_key(doc, dk);
        MDB_val k = { idlen, (void *)id }, v = { INDEX_DOC_SIZE, dk };
        if ((rc = mdb_put(txn, w->s->ids, &k, &v, 0)))
            return store_mdb_error(rc, "write id", err, errlen);
    }
    if (indexed && found) {
        terms_of_body(body, body_len, &w->scratch, &w->new_terms);
        index_slot(index_class_of(b), b->start_lo, doc, new_slot);
        index_slot(index_class_of(&old.bounds), old.bounds.start_lo, doc, old_slot);
        if (memcmp(old_slot, new_slot, INDEX_SLOT_SIZE) == 0) {
            /* Same slot: touch only the terms that changed. */
            term_set gone, added;
            term_set_init(&gone);
            term_set_init(&added);
            store_terms_minus(&w->old_terms, &w->new_terms, &gone);
            store_terms_minus(&w->new_terms, &w->old_terms, &added);
            rc = store_index_event(w->s, txn, old_slot, &old.bounds, &gone, 0, 0, err, errlen);
            if (!rc)
                rc = store_index_event(w->s, txn, new_slot, b, &added, 1, 0, err, errlen);
            term_set_release(&gone);
            term_set_release(&added);
        } else {
            rc = store_index_event(w->s, txn, old_slot, &old.bounds, &w->old_terms, 0, 1, err, errlen);
            if (!rc)
                rc = store_index_event(w->s, txn, new_slot, b, &w->new_terms, 1, 1, err, errlen);
        }
        if (rc)
            return rc;
    }
    if (indexed && !found) {
        terms_of_body(body, body_len, &w->scratch, &w->new_terms);
        index_slot(index_class_of(b), b->start_lo, doc, new_slot);
        if ((rc = store_index_event(w->s, txn, new_slot, b, &w->new_terms, 1, 1, err, errlen)))
            return rc;
    }

    rec.bounds = *b;
    rec.seq = w->seq + 1;
    rec.created_ms = found ? old.created_ms : now_ms;
    rec.updated_ms = now_ms;
    rec.id = id;
    rec.idlen = idlen;
    rec.body = body;
    rec.body_len = body_len;
    /* MDB_RESERVE lets us build the record in place in the page. A new
     * doc is the highest yet: MDB_APPEND fills pages instead of splitting
     * them in half (a full page instead of half-empty ones behind it). */
    index_doc_key(doc, dk);
    MDB_val k = { INDEX_DOC_SIZE, dk }, v = { index_record_size(&rec), NULL };
    if ((rc = mdb_put(txn, w->s->events, &k, &v, MDB_RESERVE | (found ? 0 : MDB_APPEND))))
        return store_mdb_error(rc, "write event", err, errlen);
    index_record_write(&rec, v.mv_data);
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
    uint64_t doc = 0;
    int found, rc;
    unsigned char dk[INDEX_DOC_SIZE], slot[INDEX_SLOT_SIZE];

    if ((rc = store_load_old(w, txn, id, idlen, &doc, &old, &found, err, errlen)))
        return rc;
    if (!found) {
        snprintf(err, errlen, "no event with id '%.*s'", (int)idlen, id);
        return ERROR_NOT_FOUND;
    }
    index_slot(index_class_of(&old.bounds), old.bounds.start_lo, doc, slot);
    if (doc < w->indexed_doc &&
        (rc = store_index_event(w->s, txn, slot, &old.bounds, &w->old_terms, 0, 1, err, errlen)))
        return rc;
    index_doc_key(doc, dk);
    MDB_val ek = { INDEX_DOC_SIZE, dk }, ik = { idlen, (void *)id };
    if ((rc = mdb_del(txn, w->s->events, &ek, NULL)) || (rc = mdb_del(txn, w->s->ids, &ik, NULL)))
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
    if (w->indexed_doc != atomic_load(&w->s->indexed_doc)) {
        MDB_val k = { 7, "indexed" }, v = { 8, &w->indexed_doc };
        if ((rc = mdb_put(w->txn, w->s->meta, &k, &v, 0))) {
            int code = store_mdb_error(rc, "write indexed", err, errlen);
            store_write_abort(w);
            return code;
        }
    }
    if (w->next_doc != atomic_load(&w->s->next_doc)) {
        MDB_val k = { 8, "next_doc" }, v = { 8, &w->next_doc };
        if ((rc = mdb_put(w->txn, w->s->meta, &k, &v, 0))) {
            int code = store_mdb_error(rc, "write next_doc", err, errlen);
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
    /* LMDB reports a short write as EIO, which is what a full disk gives. */
    if (rc == EIO && store_disk_nearly_full(w->s))
        rc = ENOSPC;
    if (rc)
        return store_mdb_error(rc, "commit", err, errlen);
    atomic_store(&w->s->next_doc, w->next_doc);
    atomic_store(&w->s->indexed_doc, w->indexed_doc);
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
    w->next_doc = atomic_load(&w->s->next_doc);
    w->indexed_doc = atomic_load(&w->s->indexed_doc);
}

void store_write_inline(store_writer *w)
{
    w->index_inline = 1;
}

int store_write_index(store_writer *w, size_t max_docs, const store_index_stop *stop, size_t *ndocs,
                      char *err, size_t errlen)
{
    uint64_t reached;
    *ndocs = 0;
    if (w->job) {
        snprintf(err, errlen, "internal: indexing inside a job");
        return ERROR_INTERNAL;
    }
    if (w->indexed_doc >= w->next_doc)
        return 0;
    if (!w->ibatch)
        w->ibatch = store_index_batch_new();
    int rc = store_index_docs(w->s, w->txn, w->ibatch, w->indexed_doc, w->next_doc, max_docs, stop,
                              &reached, ndocs, err, errlen);
    if (rc == 0)
        w->indexed_doc = reached;
    return rc;
}

void store_write_index_times(store_writer *w, uint64_t *read_us, uint64_t *sort_us, uint64_t *write_us)
{
    *read_us = *sort_us = *write_us = 0;
    if (w->ibatch)
        store_index_batch_times(w->ibatch, read_us, sort_us, write_us);
}

void store_write_index_release(store_t *s)
{
    if (!s->writer.ibatch)
        return;
    store_index_batch_free(s->writer.ibatch);
    s->writer.ibatch = NULL;
    /* A batch's arrays (tens of MiB) grow by realloc in the writer thread's
     * malloc arena, where glibc keeps what is freed for reuse: give it back
     * (16 MiB of 209 after loading 100k events). Once per catch-up, not per
     * commit. Most of the rest is LMDB's own: it keeps the buffers of a
     * write transaction's dirty pages for the next one, up to its limit of
     * about 128k dirty pages (512 MiB), which index commits reach on a
     * large database. */
    malloc_trim(0);
}
