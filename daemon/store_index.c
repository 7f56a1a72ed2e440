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
#include <time.h>

#include "daemon/store_priv.h"
#include "proto/error.h"
#include "proto/xalloc.h"

/* The batch keeps each distinct term once (interned: an id per term), a
 * posting as (term id, slot) and a day count as (term id, day). Sorting then
 * orders the few thousand distinct terms by their bytes and puts the
 * postings in that order with a counting sort on the term's rank, leaving
 * only each term's own slots to compare: a comparison sort of millions of
 * postings chasing term bytes through memory cost more than reading the
 * records did. */
typedef struct {
    uint32_t term;
    unsigned char slot[INDEX_SLOT_SIZE];
} index_post;

typedef struct {
    uint32_t term;
    int32_t day;
} index_count;

typedef struct {
    unsigned char slot[INDEX_SLOT_SIZE];
    unsigned char val[INDEX_TIME_VAL_SIZE];
} index_time_entry;

struct store_index_batch {
    buf_t arena;                /* the distinct terms' bytes */
    uint32_t *toff;             /* by term id: offset in arena */
    uint16_t *tlen;             /* by term id: length */
    uint32_t *rank;             /* by term id: place in byte order */
    size_t nterms, tcap;
    uint32_t *hash;             /* open addressing: term id + 1, 0 when empty */
    size_t hcap;
    index_post *post, *post_sorted;
    size_t npost, post_cap;
    index_count *counts, *counts_sorted;
    size_t ncounts, counts_cap;
    index_time_entry *time;
    size_t ntime, time_cap;
    uint32_t *starts;           /* counting sort: first place of each rank */
    term_set ts;
    msgpack_unpacked scratch;
    uint64_t start_us, gathered_us, sorted_us, written_us;   /* for the log */
};

static uint64_t index_clock_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

void store_index_batch_times(const store_index_batch *b, uint64_t *read_us, uint64_t *sort_us,
                             uint64_t *write_us)
{
    *read_us = b->gathered_us - b->start_us;
    *sort_us = b->sorted_us - b->gathered_us;
    *write_us = b->written_us - b->sorted_us;
}

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
    free(b->toff);
    free(b->tlen);
    free(b->rank);
    free(b->hash);
    free(b->post);
    free(b->post_sorted);
    free(b->counts);
    free(b->counts_sorted);
    free(b->time);
    free(b->starts);
    term_set_release(&b->ts);
    msgpack_unpacked_destroy(&b->scratch);
    free(b);
}

static void batch_reset(store_index_batch *b)
{
    buf_reset(&b->arena);
    b->nterms = b->npost = b->ncounts = b->ntime = 0;
    if (b->hash)
        memset(b->hash, 0, b->hcap * sizeof *b->hash);
}

static uint64_t term_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint32_t *hash_slot(store_index_batch *b, const char *t, size_t len)
{
    size_t i = (size_t)term_hash(t, len) & (b->hcap - 1);
    for (;;) {
        uint32_t id = b->hash[i];
        if (!id || (b->tlen[id - 1] == len && memcmp(b->arena.data + b->toff[id - 1], t, len) == 0))
            return &b->hash[i];
        i = (i + 1) & (b->hcap - 1);
    }
}

/* The id of a term, added when new. */
static uint32_t batch_intern(store_index_batch *b, const char *t, size_t len)
{
    if ((b->nterms + 1) * 2 > b->hcap) {
        size_t old = b->hcap;
        uint32_t *prev = b->hash;
        b->hcap = old ? old * 2 : 4096;
        b->hash = xcalloc(b->hcap, sizeof *b->hash);
        for (size_t i = 0; i < old; i++)
            if (prev[i]) {
                uint32_t id = prev[i] - 1;
                *hash_slot(b, b->arena.data + b->toff[id], b->tlen[id]) = prev[i];
            }
        free(prev);
    }
    uint32_t *slot = hash_slot(b, t, len);
    if (*slot)
        return *slot - 1;
    if (b->nterms == b->tcap) {
        b->tcap = b->tcap ? b->tcap * 2 : 1024;
        b->toff = xrealloc(b->toff, b->tcap * sizeof *b->toff);
        b->tlen = xrealloc(b->tlen, b->tcap * sizeof *b->tlen);
    }
    b->toff[b->nterms] = (uint32_t)b->arena.len;
    b->tlen[b->nterms] = (uint16_t)len;
    buf_append(&b->arena, t, len);
    *slot = (uint32_t)++b->nterms;
    return (uint32_t)(b->nterms - 1);
}

#define BATCH_PUSH(v, n, cap, first)                          \
    do {                                                      \
        if ((n) == (cap)) {                                   \
            (cap) = (cap) ? (cap) * 2 : (first);              \
            (v) = xrealloc((v), (cap) * sizeof *(v));         \
        }                                                     \
    } while (0)

/* Gather the entries of one record. */
static void batch_add_record(store_index_batch *b, uint64_t doc, const index_record *rec)
{
    unsigned char slot[INDEX_SLOT_SIZE];
    int32_t day = (int32_t)index_day_of(rec->bounds.start_lo);
    index_slot(index_class_of(&rec->bounds), rec->bounds.start_lo, doc, slot);
    BATCH_PUSH(b->time, b->ntime, b->time_cap, 1024);
    memcpy(b->time[b->ntime].slot, slot, INDEX_SLOT_SIZE);
    index_time_val(&rec->bounds, b->time[b->ntime].val);
    b->ntime++;

    terms_of_body(rec->body, rec->body_len, &b->scratch, &b->ts);
    for (size_t i = 0; i < b->ts.n; i++) {
        const char *t = b->ts.data + b->ts.off[i];
        uint32_t id = batch_intern(b, t, b->ts.len[i]);
        BATCH_PUSH(b->post, b->npost, b->post_cap, 16384);
        b->post[b->npost].term = id;
        memcpy(b->post[b->npost].slot, slot, INDEX_SLOT_SIZE);
        b->npost++;
        if (index_term_counted(t[0])) {
            BATCH_PUSH(b->counts, b->ncounts, b->counts_cap, 4096);
            b->counts[b->ncounts].term = id;
            b->counts[b->ncounts++].day = day;
        }
    }
    BATCH_PUSH(b->counts, b->ncounts, b->counts_cap, 4096);
    b->counts[b->ncounts].term = batch_intern(b, "", 0);   /* the whole database */
    b->counts[b->ncounts++].day = day;
}

/* LMDB's default order: bytewise, a shorter key first on a common prefix. */
static int term_order(const void *pa, const void *pb, void *ud)
{
    const store_index_batch *b = ud;
    uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;
    size_t lx = b->tlen[x], ly = b->tlen[y];
    int c = memcmp(b->arena.data + b->toff[x], b->arena.data + b->toff[y], lx < ly ? lx : ly);
    return c ? c : (lx < ly ? -1 : lx > ly);
}

static int slot_order(const void *pa, const void *pb)
{
    return memcmp(((const index_post *)pa)->slot, ((const index_post *)pb)->slot, INDEX_SLOT_SIZE);
}

static int day_order(const void *pa, const void *pb)
{
    int32_t x = ((const index_count *)pa)->day, y = ((const index_count *)pb)->day;
    return (x > y) - (x < y);
}

static int time_order(const void *pa, const void *pb)
{
    return memcmp(((const index_time_entry *)pa)->slot, ((const index_time_entry *)pb)->slot,
                  INDEX_SLOT_SIZE);
}

/* Rank the terms in byte order: b->rank[id]. */
static void batch_rank_terms(store_index_batch *b)
{
    uint32_t *order = xmalloc((b->nterms ? b->nterms : 1) * sizeof *order);
    for (uint32_t i = 0; i < b->nterms; i++)
        order[i] = i;
    qsort_r(order, b->nterms, sizeof *order, term_order, b);
    b->rank = xrealloc(b->rank, (b->nterms ? b->nterms : 1) * sizeof *b->rank);
    for (uint32_t i = 0; i < b->nterms; i++)
        b->rank[order[i]] = i;
    free(order);
}

/* Counting sort of n entries of size sz by the rank of their term (the
 * first member), into out; b->starts[r] is then where rank r begins. */
static void batch_sort_by_rank(store_index_batch *b, const void *in, void *out, size_t n, size_t sz)
{
    b->starts = xrealloc(b->starts, (b->nterms + 1) * sizeof *b->starts);
    memset(b->starts, 0, (b->nterms + 1) * sizeof *b->starts);
    for (size_t i = 0; i < n; i++)
        b->starts[b->rank[*(const uint32_t *)((const char *)in + i * sz)] + 1]++;
    for (size_t r = 0; r < b->nterms; r++)
        b->starts[r + 1] += b->starts[r];
    uint32_t *next = xmalloc((b->nterms ? b->nterms : 1) * sizeof *next);
    memcpy(next, b->starts, b->nterms * sizeof *next);
    for (size_t i = 0; i < n; i++) {
        const char *e = (const char *)in + i * sz;
        memcpy((char *)out + (size_t)next[b->rank[*(const uint32_t *)e]]++ * sz, e, sz);
    }
    free(next);
}

/* Sort the gathered entries: every database's in key order. */
static void batch_sort(store_index_batch *b)
{
    /* A batch whose events were all deleted before being indexed has no
     * time entries, and b->time may then be NULL, which qsort must not get. */
    if (b->ntime > 0)
        qsort(b->time, b->ntime, sizeof *b->time, time_order);
    batch_rank_terms(b);
    b->post_sorted = xrealloc(b->post_sorted, (b->npost ? b->npost : 1) * sizeof *b->post_sorted);
    batch_sort_by_rank(b, b->post, b->post_sorted, b->npost, sizeof *b->post);
    for (size_t r = 0; r < b->nterms; r++)
        qsort(b->post_sorted + b->starts[r], b->starts[r + 1] - b->starts[r], sizeof *b->post, slot_order);
    b->counts_sorted = xrealloc(b->counts_sorted, (b->ncounts ? b->ncounts : 1) * sizeof *b->counts_sorted);
    batch_sort_by_rank(b, b->counts, b->counts_sorted, b->ncounts, sizeof *b->counts);
    for (size_t r = 0; r < b->nterms; r++)
        qsort(b->counts_sorted + b->starts[r], b->starts[r + 1] - b->starts[r], sizeof *b->counts,
              day_order);
}

/* Write the sorted entries. */
static int batch_write(store_t *s, MDB_txn *txn, store_index_batch *b, const store_index_stop *stop,
                       char *err, size_t errlen)
{
    int rc = 0;
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
        if (stop && (i & 4095) == 4095 && stop->fn(stop->ud)) {
            mdb_cursor_close(cur);
            return STORE_INDEX_STOPPED;
        }
        const index_post *e = &b->post_sorted[i];
        MDB_val k = { b->tlen[e->term], b->arena.data + b->toff[e->term] };
        MDB_val v = { INDEX_SLOT_SIZE, (void *)e->slot };
        rc = mdb_cursor_put(cur, &k, &v, MDB_NODUPDATA);
        if (rc && rc != MDB_KEYEXIST)
            break;
        rc = 0;
    }
    mdb_cursor_close(cur);
    if (rc)
        return store_mdb_error(rc, "secondary index", err, errlen);

    unsigned char ckey[TERM_MAX + 1 + 4];
    for (size_t i = 0; i < b->ncounts; ) {
        const index_count *e = &b->counts_sorted[i];
        size_t j = i + 1;
        while (j < b->ncounts && b->counts_sorted[j].term == e->term && b->counts_sorted[j].day == e->day)
            j++;
        size_t klen = index_count_key(b->arena.data + b->toff[e->term], b->tlen[e->term], e->day, ckey);
        MDB_val k = { klen, ckey }, v;
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
                     size_t max_docs, const store_index_stop *stop, uint64_t *reached, size_t *ndocs,
                     char *err, size_t errlen)
{
    MDB_cursor *cur;
    unsigned char dk[INDEX_DOC_SIZE];
    MDB_val k = { INDEX_DOC_SIZE, dk }, v;
    size_t n = 0;
    uint64_t next = to;
    int rc, code = 0;

    batch_reset(b);
    b->start_us = index_clock_us();
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
        if (stop && (n & 255) == 255 && stop->fn(stop->ud)) {
            mdb_cursor_close(cur);
            return STORE_INDEX_STOPPED;
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
    b->gathered_us = index_clock_us();
    if (!code && stop && stop->fn(stop->ud))
        code = STORE_INDEX_STOPPED;
    if (!code) {
        batch_sort(b);
        b->sorted_us = index_clock_us();
        code = stop && stop->fn(stop->ud) ? STORE_INDEX_STOPPED : batch_write(s, txn, b, stop, err, errlen);
    }
    b->written_us = index_clock_us();
    if (!code) {
        *reached = next;
        *ndocs = n;
    }
    return code;
}
