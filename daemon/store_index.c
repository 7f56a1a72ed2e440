/* store_index.c: the deferred index (store.h). A put of a new event makes
 * its record, id and change-log entry durable at once; its time-index entry,
 * postings and day counts are built later, here, for a batch of docs at a
 * time. The batch's entries are sorted by key before they go in, so a batch
 * touches each index page once however many of its events share it, where
 * one commit per put touched some sixty pages for every event.
 *
 * The docs still to index are exactly [indexed_doc, next_doc): docs are handed
 * out in increasing order and a doc is indexed once, so no list is kept and a
 * crash loses nothing (the meta entry "indexed" moves in the same transaction
 * as the entries it covers). Runs on the writer thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store_priv.h"
#include "proto/error.h"
#include "proto/xalloc.h"

/* One posting or day count to add: a key of the bytes arena and, for a
 * posting, the slot it points to. */
typedef struct {
    size_t off;                 /* into the arena, until the arena is final */
    const char *key;            /* then the key itself */
    uint16_t len;
    unsigned char slot[INDEX_SLOT_SIZE];
} index_entry;

typedef struct {
    unsigned char slot[INDEX_SLOT_SIZE];
    unsigned char val[INDEX_TIME_VAL_SIZE];
} index_time_entry;

struct store_index_batch {
    buf_t arena;                /* term and count-key bytes */
    index_entry *post, *counts;
    size_t npost, ncounts, post_cap, counts_cap;
    index_time_entry *time;
    size_t ntime, time_cap;
    term_set ts;
    msgpack_unpacked scratch;
};

store_index_batch *store_index_batch_new(void)
{
    store_index_batch *b = xcalloc(1, sizeof *b);
    buf_init(&b->arena);
    term_set_init(&b->ts);
    msgpack_unpacked_init(&b->scratch);
    return b;
}

void store_index_batch_free(store_index_batch *b)
{
    if (!b)
        return;
    buf_release(&b->arena);
    free(b->post);
    free(b->counts);
    free(b->time);
    term_set_release(&b->ts);
    msgpack_unpacked_destroy(&b->scratch);
    free(b);
}

static void batch_reset(store_index_batch *b)
{
    buf_reset(&b->arena);
    b->npost = b->ncounts = b->ntime = 0;
}

static index_entry *batch_add(store_index_batch *b, index_entry **v, size_t *n, size_t *cap,
                              const void *key, size_t len)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    index_entry *e = &(*v)[(*n)++];
    e->off = b->arena.len;
    e->len = (uint16_t)len;
    buf_append(&b->arena, key, len);
    return e;
}

/* Gather the entries of one record. */
static void batch_add_record(store_index_batch *b, uint64_t doc, const index_record *rec)
{
    unsigned char slot[INDEX_SLOT_SIZE], ckey[TERM_MAX + 1 + 4];
    int64_t day = index_day_of(rec->bounds.start_lo);
    index_slot(index_class_of(&rec->bounds), rec->bounds.start_lo, doc, slot);
    if (b->ntime == b->time_cap) {
        b->time_cap = b->time_cap ? b->time_cap * 2 : 1024;
        b->time = xrealloc(b->time, b->time_cap * sizeof *b->time);
    }
    memcpy(b->time[b->ntime].slot, slot, INDEX_SLOT_SIZE);
    index_time_val(&rec->bounds, b->time[b->ntime].val);
    b->ntime++;

    terms_of_body(rec->body, rec->body_len, &b->scratch, &b->ts);
    for (size_t i = 0; i < b->ts.n; i++) {
        const char *t = b->ts.data + b->ts.off[i];
        index_entry *e = batch_add(b, &b->post, &b->npost, &b->post_cap, t, b->ts.len[i]);
        memcpy(e->slot, slot, INDEX_SLOT_SIZE);
        if (index_term_counted(t[0])) {
            size_t klen = index_count_key(t, b->ts.len[i], day, ckey);
            batch_add(b, &b->counts, &b->ncounts, &b->counts_cap, ckey, klen);
        }
    }
    size_t klen = index_count_key("", 0, day, ckey);
    batch_add(b, &b->counts, &b->ncounts, &b->counts_cap, ckey, klen);
}

/* LMDB's default order: bytewise, a shorter key first on a common prefix. */
static int key_cmp(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la < lb ? -1 : la > lb);
}

static int post_cmp(const void *pa, const void *pb)
{
    const index_entry *a = pa, *b = pb;
    int c = key_cmp(a->key, a->len, b->key, b->len);
    return c ? c : memcmp(a->slot, b->slot, INDEX_SLOT_SIZE);
}

static int count_cmp(const void *pa, const void *pb)
{
    const index_entry *a = pa, *b = pb;
    return key_cmp(a->key, a->len, b->key, b->len);
}

static int time_cmp(const void *pa, const void *pb)
{
    return memcmp(((const index_time_entry *)pa)->slot, ((const index_time_entry *)pb)->slot,
                  INDEX_SLOT_SIZE);
}

/* Write the gathered entries, each database in key order. */
static int batch_write(store_t *s, MDB_txn *txn, store_index_batch *b, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < b->npost; i++)
        b->post[i].key = b->arena.data + b->post[i].off;
    for (size_t i = 0; i < b->ncounts; i++)
        b->counts[i].key = b->arena.data + b->counts[i].off;
    qsort(b->time, b->ntime, sizeof *b->time, time_cmp);
    qsort(b->post, b->npost, sizeof *b->post, post_cmp);
    qsort(b->counts, b->ncounts, sizeof *b->counts, count_cmp);

    for (size_t i = 0; i < b->ntime && !rc; i++) {
        MDB_val k = { INDEX_SLOT_SIZE, b->time[i].slot }, v = { INDEX_TIME_VAL_SIZE, b->time[i].val };
        rc = mdb_put(txn, s->time, &k, &v, 0);
    }
    if (rc)
        return store_mdb_error(rc, "time index", err, errlen);

    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, s->post, &cur)))
        return store_mdb_error(rc, "secondary index", err, errlen);
    for (size_t i = 0; i < b->npost; i++) {
        MDB_val k = { b->post[i].len, (void *)b->post[i].key }, v = { INDEX_SLOT_SIZE, b->post[i].slot };
        rc = mdb_cursor_put(cur, &k, &v, MDB_NODUPDATA);
        if (rc && rc != MDB_KEYEXIST)
            break;
        rc = 0;
    }
    mdb_cursor_close(cur);
    if (rc)
        return store_mdb_error(rc, "secondary index", err, errlen);

    for (size_t i = 0; i < b->ncounts; ) {
        size_t j = i + 1;
        while (j < b->ncounts && count_cmp(&b->counts[i], &b->counts[j]) == 0)
            j++;
        MDB_val k = { b->counts[i].len, (void *)b->counts[i].key }, v;
        uint64_t n = 0;
        rc = mdb_get(txn, s->counts, &k, &v);
        if (rc == 0 && v.mv_size == sizeof n)
            memcpy(&n, v.mv_data, sizeof n);
        else if (rc && rc != MDB_NOTFOUND)
            break;
        n += j - i;
        v.mv_size = sizeof n;
        v.mv_data = &n;
        if ((rc = mdb_put(txn, s->counts, &k, &v, 0)))
            break;
        i = j;
    }
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_error(rc, "day counts", err, errlen);
    return 0;
}

int store_index_docs(store_t *s, MDB_txn *txn, store_index_batch *b, uint64_t from, uint64_t to,
                     size_t max_docs, uint64_t *reached, size_t *ndocs, char *err, size_t errlen)
{
    MDB_cursor *cur;
    unsigned char dk[INDEX_DOC_SIZE];
    MDB_val k = { INDEX_DOC_SIZE, dk }, v;
    size_t n = 0;
    uint64_t next = to;
    int rc, code = 0;

    batch_reset(b);
    if ((rc = mdb_cursor_open(txn, s->events, &cur)))
        return store_mdb_error(rc, "index records", err, errlen);
    index_doc_key(from, dk);
    /* Read every record of the batch before the first write: the pointers
     * LMDB hands out last only until then. */
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        index_record rec;
        if (k.mv_size != INDEX_DOC_SIZE) {
            rc = MDB_CORRUPTED;
            break;
        }
        uint64_t doc = index_doc_parse(k.mv_data);
        if (doc >= to)
            break;
        if (n == max_docs) {
            next = doc;
            break;
        }
        if (index_record_parse(v.mv_data, v.mv_size, &rec) < 0) {
            snprintf(err, errlen, "index records: the record of doc %llu is damaged",
                     (unsigned long long)doc);
            code = ERROR_INTERNAL;
            break;
        }
        batch_add_record(b, doc, &rec);
        n++;
    }
    mdb_cursor_close(cur);
    if (!code && rc && rc != MDB_NOTFOUND)
        code = store_mdb_error(rc, "index records", err, errlen);
    if (!code)
        code = batch_write(s, txn, b, err, errlen);
    if (!code) {
        *reached = next;
        *ndocs = n;
    }
    return code;
}
