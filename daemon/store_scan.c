/* store_scan.c: window scans over the time index or over the postings of
 * some terms (store.h). Each span class of each source is a sorted run of
 * slots; the scan seeks every run to the part that can meet the window and
 * merges the runs in (start_lo, doc) order. */
#include <stdlib.h>
#include <string.h>

#include "daemon/store_priv.h"
#include "proto/error.h"
#include "proto/xalloc.h"

/* One run: the slots of one class in the time index or in one term's
 * postings, from lb (smallest start that can still meet the window) to hi. */
typedef struct {
    MDB_cursor *cur;
    int posting;
    unsigned cls;
    edtf_time lb;
    int valid;
    edtf_time start;
    uint64_t doc;
    int has_bounds;
    edtf_bounds_t b;
} scan_head;

struct store_scan {
    store_reader *r;
    store_scan_params p;
    scan_head *heads;
    unsigned n, cap;
    int has_last;
    edtf_time last_start;
    uint64_t last_doc;
    uint64_t steps;
    int failed;             /* an LMDB error ended a run: the scan reports it */
};

static int scan_pos_cmp(edtf_time a, uint64_t adoc, edtf_time b, uint64_t bdoc)
{
    if (a != b)
        return a < b ? -1 : 1;
    return adoc < bdoc ? -1 : adoc > bdoc;
}

/* Read the entry under the cursor into h, or mark h done when the cursor
 * left its run. */
static void scan_head_load(store_scan *sc, scan_head *h, int rc, const MDB_val *k, const MDB_val *v)
{
    const MDB_val *slotv = h->posting ? v : k;
    unsigned cls;
    h->valid = 0;
    if (rc && rc != MDB_NOTFOUND)
        sc->failed = 1;
    if (rc || slotv->mv_size != INDEX_SLOT_SIZE)
        return;
    index_slot_parse(slotv->mv_data, &cls, &h->start, &h->doc);
    if (cls != h->cls || h->start > sc->p.hi || h->start < h->lb)
        return;
    h->has_bounds = !h->posting && v->mv_size == INDEX_TIME_VAL_SIZE;
    if (h->has_bounds)
        index_time_val_parse(v->mv_data, h->start, &h->b);
    h->valid = 1;
    sc->steps++;
}

/* Position cursor at the first entry >= slot of its run (time index: any
 * key; postings: a dup of the current term). */
static int scan_seek_ge(scan_head *h, MDB_val *k, MDB_val *v, const unsigned char *slot)
{
    if (!h->posting) {
        k->mv_size = INDEX_SLOT_SIZE;
        k->mv_data = (void *)slot;
        return mdb_cursor_get(h->cur, k, v, MDB_SET_RANGE);
    }
    v->mv_size = INDEX_SLOT_SIZE;
    v->mv_data = (void *)slot;
    return mdb_cursor_get(h->cur, k, v, MDB_GET_BOTH_RANGE);
}

static void scan_head_seek(store_scan *sc, scan_head *h, const char *term, size_t tlen)
{
    const store_scan_params *p = &sc->p;
    unsigned char slot[INDEX_SLOT_SIZE];
    MDB_val k = { tlen, (void *)term }, v;
    int rc;
    if (!p->desc) {
        if (p->has_after && scan_pos_cmp(p->after_start, p->after_doc, h->lb, 0) >= 0) {
            if (p->after_doc == UINT64_MAX)
                index_slot(h->cls, p->after_start + 1, 0, slot);
            else
                index_slot(h->cls, p->after_start, p->after_doc + 1, slot);
        } else {
            index_slot(h->cls, h->lb, 0, slot);
        }
        rc = scan_seek_ge(h, &k, &v, slot);
    } else {
        /* The first entry at or past the upper limit, then one step back. */
        if (p->has_after && scan_pos_cmp(p->after_start, p->after_doc, p->hi + 1, 0) < 0)
            index_slot(h->cls, p->after_start, p->after_doc, slot);
        else
            index_slot(h->cls, p->hi + 1, 0, slot);
        rc = scan_seek_ge(h, &k, &v, slot);
        if (rc == 0) {
            rc = mdb_cursor_get(h->cur, &k, &v, h->posting ? MDB_PREV_DUP : MDB_PREV);
        } else if (rc == MDB_NOTFOUND) {
            if (h->posting) {
                k.mv_size = tlen;
                k.mv_data = (void *)term;
                rc = mdb_cursor_get(h->cur, &k, &v, MDB_SET);
                if (rc == 0)
                    rc = mdb_cursor_get(h->cur, &k, &v, MDB_LAST_DUP);
            } else {
                rc = mdb_cursor_get(h->cur, &k, &v, MDB_LAST);
            }
        }
    }
    scan_head_load(sc, h, rc, &k, &v);
}

static scan_head *scan_add_head(store_scan *sc, MDB_dbi dbi, int posting, unsigned cls)
{
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 32;
        sc->heads = xrealloc(sc->heads, sc->cap * sizeof *sc->heads);
    }
    scan_head *h = &sc->heads[sc->n];
    memset(h, 0, sizeof *h);
    if (mdb_cursor_open(sc->r->txn, dbi, &h->cur))
        return NULL;
    sc->n++;
    h->posting = posting;
    h->cls = cls;
    if (sc->p.within) {
        h->lb = sc->p.lo;
    } else {
        int64_t span = index_class_span(cls);
        h->lb = span > sc->p.lo - EDTF_TIME_MIN ? EDTF_TIME_MIN : sc->p.lo - span;
    }
    return h;
}

/* Within a window, no event longer than the window can qualify. */
static int scan_class_useful(const store_scan *sc, unsigned c)
{
    return !sc->p.within || index_class_min_span(c) <= sc->p.hi - sc->p.lo + 1;
}

/* Add a run for each class that term has postings in. */
static int scan_add_term(store_scan *sc, MDB_cursor *probe, const char *term, size_t tlen)
{
    store_t *s = sc->r->s;
    MDB_val k = { tlen, (void *)term }, v;
    int rc = mdb_cursor_get(probe, &k, &v, MDB_SET);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : ERROR_INTERNAL;
    for (unsigned c = 0; c < INDEX_CLASSES;) {
        unsigned char slot[INDEX_SLOT_SIZE];
        unsigned cls;
        edtf_time st;
        uint64_t doc;
        index_slot(c, EDTF_TIME_MIN, 0, slot);
        v.mv_size = INDEX_SLOT_SIZE;
        v.mv_data = slot;
        k.mv_size = tlen;
        k.mv_data = (void *)term;
        rc = mdb_cursor_get(probe, &k, &v, MDB_GET_BOTH_RANGE);
        if (rc)
            return rc == MDB_NOTFOUND ? 0 : ERROR_INTERNAL;
        if (v.mv_size != INDEX_SLOT_SIZE)
            return ERROR_INTERNAL;
        index_slot_parse(v.mv_data, &cls, &st, &doc);
        if (cls < c || cls >= INDEX_CLASSES || !scan_class_useful(sc, cls))
            return 0;
        scan_head *h = scan_add_head(sc, s->post, 1, cls);
        if (!h)
            return ERROR_INTERNAL;
        k.mv_size = tlen;
        k.mv_data = (void *)term;
        if (mdb_cursor_get(h->cur, &k, &v, MDB_SET))
            return ERROR_INTERNAL;
        scan_head_seek(sc, h, term, tlen);
        c = cls + 1;
    }
    return 0;
}

int store_scan_open(store_reader *r, const store_scan_params *p, store_scan **out)
{
    store_scan *sc = xcalloc(1, sizeof *sc);
    store_t *s = r->s;
    int rc = 0;
    sc->r = r;
    sc->p = *p;
    *out = sc;
    if (p->lo > p->hi)
        return 0;
    if (p->nterms == 0) {
        for (unsigned c = 0; c < INDEX_CLASSES; c++) {
            if (!scan_class_useful(sc, c))
                continue;
            scan_head *h = scan_add_head(sc, s->time, 0, c);
            if (!h)
                return ERROR_INTERNAL;
            scan_head_seek(sc, h, NULL, 0);
        }
        return 0;
    }
    MDB_cursor *probe;
    if (mdb_cursor_open(r->txn, s->post, &probe))
        return ERROR_INTERNAL;
    for (unsigned i = 0; i < p->nterms && rc == 0; i++)
        rc = scan_add_term(sc, probe, p->terms[i], p->term_len[i]);
    mdb_cursor_close(probe);
    return rc;
}

int store_hit_bounds(store_reader *r, store_hit *h)
{
    unsigned char slot[INDEX_SLOT_SIZE];
    if (h->has_bounds)
        return 0;
    index_slot(h->cls, h->start_lo, h->doc, slot);
    MDB_val k = { INDEX_SLOT_SIZE, slot }, v;
    if (mdb_get(r->txn, r->s->time, &k, &v) || v.mv_size != INDEX_TIME_VAL_SIZE)
        return ERROR_INTERNAL;
    index_time_val_parse(v.mv_data, h->start_lo, &h->b);
    h->has_bounds = 1;
    return 0;
}

/* Whether the head's event passes the window, reading its bounds only when
 * its start and class leave the answer open. */
static int scan_passes(store_scan *sc, scan_head *h, int *err)
{
    const store_scan_params *p = &sc->p;
    if (!p->within) {
        if (h->start >= p->lo)
            return 1;           /* starts inside: it ends at or after lo */
    } else {
        int64_t span = index_class_span(h->cls);
        if (span != INT64_MAX && h->start + span - 1 <= p->hi)
            return 1;           /* even its longest possible span ends in time */
    }
    if (!h->has_bounds) {
        unsigned char slot[INDEX_SLOT_SIZE];
        index_slot(h->cls, h->start, h->doc, slot);
        MDB_val k = { INDEX_SLOT_SIZE, slot }, v;
        if (mdb_get(sc->r->txn, sc->r->s->time, &k, &v) || v.mv_size != INDEX_TIME_VAL_SIZE) {
            *err = ERROR_INTERNAL;
            return 0;
        }
        index_time_val_parse(v.mv_data, h->start, &h->b);
        h->has_bounds = 1;
    }
    return p->within ? edtf_within(&h->b, p->lo, p->hi) : edtf_overlaps(&h->b, p->lo, p->hi);
}

int store_scan_next(store_scan *sc, store_hit *hit)
{
    for (;;) {
        if (sc->failed)
            return ERROR_INTERNAL;
        scan_head *best = NULL;
        for (unsigned i = 0; i < sc->n; i++) {
            scan_head *h = &sc->heads[i];
            if (!h->valid)
                continue;
            if (!best) {
                best = h;
                continue;
            }
            int cmp = scan_pos_cmp(h->start, h->doc, best->start, best->doc);
            if (sc->p.desc ? cmp > 0 : cmp < 0)
                best = h;
        }
        if (!best)
            return 0;
        int err = 0;
        int dup = sc->has_last && best->start == sc->last_start && best->doc == sc->last_doc;
        int pass = !dup && scan_passes(sc, best, &err);
        if (err)
            return err;
        if (pass) {
            hit->start_lo = best->start;
            hit->doc = best->doc;
            hit->cls = best->cls;
            hit->has_bounds = best->has_bounds;
            if (best->has_bounds)
                hit->b = best->b;
            sc->has_last = 1;
            sc->last_start = best->start;
            sc->last_doc = best->doc;
        }
        MDB_val k, v;
        int rc = mdb_cursor_get(best->cur, &k, &v,
                                best->posting ? (sc->p.desc ? MDB_PREV_DUP : MDB_NEXT_DUP)
                                              : (sc->p.desc ? MDB_PREV : MDB_NEXT));
        scan_head_load(sc, best, rc, &k, &v);
        if (pass)
            return 1;
    }
}

uint64_t store_scan_steps(const store_scan *sc)
{
    return sc->steps;
}

void store_scan_close(store_scan *sc)
{
    if (!sc)
        return;
    for (unsigned i = 0; i < sc->n; i++)
        mdb_cursor_close(sc->heads[i].cur);
    free(sc->heads);
    free(sc);
}

int store_day_counts(store_reader *r, const char *term, size_t len, int64_t d0, int64_t d1,
                     store_day_cb cb, void *ud)
{
    unsigned char key[TERM_MAX + 1 + 4];
    MDB_cursor *cur;
    MDB_val k, v;
    if (d0 > d1)
        return 0;
    if (len > TERM_MAX || mdb_cursor_open(r->txn, r->s->counts, &cur))
        return ERROR_INTERNAL;
    k.mv_size = index_count_key(term, len, d0, key);
    k.mv_data = key;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE), out = 0;
    while (rc == 0) {
        const unsigned char *p = k.mv_data;
        if (k.mv_size != len + 5 || memcmp(p, term, len) != 0 || p[len] != 0 || v.mv_size != 8)
            break;
        int64_t day = (int64_t)(((uint32_t)p[len + 1] << 24 | (uint32_t)p[len + 2] << 16 |
                                 (uint32_t)p[len + 3] << 8 | p[len + 4])) - 0x80000000LL;
        if (day > d1)
            break;
        uint64_t n;
        memcpy(&n, v.mv_data, 8);
        if ((out = cb(ud, day, n)))
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (out)
        return out;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ERROR_INTERNAL;
}

int store_walk_starts(store_reader *r, const char *term, size_t len, edtf_time a, edtf_time b,
                      int check, edtf_time lo, store_start_cb cb, void *ud)
{
    store_t *s = r->s;
    MDB_cursor *cur;
    int posting = term != NULL;
    if (a > b)
        return 0;
    if (mdb_cursor_open(r->txn, posting ? s->post : s->time, &cur))
        return ERROR_INTERNAL;
    int out = 0;
    for (unsigned c = 0; c < INDEX_CLASSES && !out; c++) {
        edtf_time from = a;
        if (check) {
            int64_t span = index_class_span(c);
            if (span <= lo - EDTF_TIME_MIN && lo - span > from)
                from = lo - span;
        }
        unsigned char slot[INDEX_SLOT_SIZE];
        index_slot(c, from, 0, slot);
        MDB_val k = { posting ? len : INDEX_SLOT_SIZE, posting ? (void *)term : slot }, v = { INDEX_SLOT_SIZE, slot };
        int rc = mdb_cursor_get(cur, &k, &v, posting ? MDB_GET_BOTH_RANGE : MDB_SET_RANGE);
        while (rc == 0) {
            const MDB_val *sv = posting ? &v : &k;
            unsigned cls;
            edtf_time start;
            uint64_t doc;
            edtf_bounds_t bd;
            if (sv->mv_size != INDEX_SLOT_SIZE)
                break;
            index_slot_parse(sv->mv_data, &cls, &start, &doc);
            if (cls != c || start > b)
                break;
            int pass = 1;
            if (check) {
                if (posting) {
                    MDB_val tk = { INDEX_SLOT_SIZE, sv->mv_data }, tv;
                    if (mdb_get(r->txn, s->time, &tk, &tv) || tv.mv_size != INDEX_TIME_VAL_SIZE) {
                        out = ERROR_INTERNAL;
                        break;
                    }
                    index_time_val_parse(tv.mv_data, start, &bd);
                } else {
                    index_time_val_parse(v.mv_data, start, &bd);
                }
                pass = bd.end_hi >= lo;
            }
            if (pass && (out = cb(ud, start)))
                break;
            rc = mdb_cursor_get(cur, &k, &v, posting ? MDB_NEXT_DUP : MDB_NEXT);
        }
        if (!out && rc && rc != MDB_NOTFOUND)
            out = ERROR_INTERNAL;
    }
    mdb_cursor_close(cur);
    return out;
}
