/* query.c: range and count (see query.h and PROTOCOL.md section 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "daemon/plan.h"
#include "daemon/params.h"
#include "daemon/query.h"
#include "daemon/store.h"
#include "daemon/tally.h"
#include "proto/error.h"
#include "proto/xalloc.h"
#include "proto/utf8.h"

typedef struct {
    filter_t f;
    query_order o;
    uint64_t limit;
} query_t;

static int query_parse(rpc_call *call, query_t *q, int is_range)
{
    const char *s;
    size_t len;
    int rc;

    memset(&q->o, 0, sizeof q->o);
    if ((rc = filter_parse(call, &q->f)))
        return rc;
    if (!is_range)
        return 0;
    q->limit = QUERY_LIMIT_DEFAULT;
    if ((rc = params_uint(call, "limit", 1, QUERY_LIMIT_MAX, &q->limit)))
        return rc;
    if ((rc = params_str(call, "order", 0, &s, &len)))
        return rc;
    if (s && len == 4 && memcmp(s, "desc", 4) == 0)
        q->o.desc = 1;
    else if (s && !(len == 3 && memcmp(s, "asc", 3) == 0)) {
        snprintf(call->err, sizeof call->err, "order: expected 'asc' or 'desc', got '%.*s'",
                 (int)utf8_prefix(s, len, 32), s);
        return ERROR_BAD_REQUEST;
    }
    if ((rc = params_str(call, "cursor", 0, &s, &len)))
        return rc;
    if (s) {
        if (len > INDEX_CURSOR_MAX || index_cursor_decode(s, len, &q->o.after_start, &q->o.after_doc) < 0 ||
            q->o.after_start < EDTF_TIME_MIN || q->o.after_start > EDTF_TIME_MAX) {
            snprintf(call->err, sizeof call->err, "cursor: not a cursor returned by range");
            return ERROR_BAD_REQUEST;
        }
        q->o.has_after = 1;
    }
    return 0;
}

int query_each(store_reader *r, const filter_t *f, const query_order *o, query_each_cb cb, void *ud)
{
    plan_t pl;
    store_scan_params sp;
    store_scan *sc = NULL;
    msgpack_unpacked up;
    store_hit h;
    int rc;

    plan_make(r, f, &pl);
    plan_scan_params(&pl, f, &sp);
    if (o) {
        sp.desc = o->desc;
        sp.has_after = o->has_after;
        sp.after_start = o->after_start;
        sp.after_doc = o->after_doc;
    }
    msgpack_unpacked_init(&up);
    rc = store_scan_open(r, &sp, &sc);
    while (rc == 0 && (rc = store_scan_next(sc, &h)) == 1) {
        index_record rec;
        rc = 0;
        if (pl.verify) {
            int g = store_get_doc(r, h.doc, &rec);
            if (g == ERROR_NOT_FOUND)
                continue;       /* index and events disagree: skip, never crash */
            if (g) {
                rc = g;
                break;
            }
            if (!filter_fields(f, rec.body, rec.body_len, &up))
                continue;
        }
        rc = cb(ud, &h, pl.verify ? &rec : NULL);
        if (rc == 1) {
            rc = 0;
            break;
        }
    }
    store_scan_close(sc);
    msgpack_unpacked_destroy(&up);
    plan_release(&pl);
    return rc;
}

typedef struct {
    index_record rec;
    edtf_bounds_t b;
    uint64_t doc;
} query_hit;

typedef struct {
    store_reader *r;
    query_hit *hits;
    size_t nhits, cap, max;
    size_t page;            /* events the page will hold (limit, or fewer when large) */
    size_t bytes;           /* stored bytes of the hits so far */
} query_page;

static int query_on_hit(void *ud, store_hit *h, const index_record *rec)
{
    query_page *st = ud;
    index_record own;
    if (!rec) {
        int rc = store_get_doc(st->r, h->doc, &own);
        if (rc == ERROR_NOT_FOUND)
            return 0;
        if (rc)
            return rc;
        rec = &own;
    }
    if (st->nhits == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->hits = xrealloc(st->hits, st->cap * sizeof *st->hits);
    }
    query_hit *qh = &st->hits[st->nhits++];
    qh->rec = *rec;
    qh->b = rec->bounds;
    qh->doc = h->doc;
    /* A page stops growing at about QUERY_PAGE_BYTES, so one reply stays
     * bounded whatever the events weigh; one more hit tells that more follow. */
    st->bytes += rec->body_len;
    if (st->nhits <= st->page && st->bytes >= QUERY_PAGE_BYTES) {
        st->page = st->nhits;
        st->max = st->nhits + 1;
    }
    return st->nhits >= st->max ? 1 : 0;
}

static int query_on_count(void *ud, store_hit *h, const index_record *rec)
{
    (void)h;
    (void)rec;
    (*(uint64_t *)ud)++;
    return 0;
}

int query_range(rpc_call *call)
{
    query_t q;
    query_page st;
    store_reader *r = NULL;
    int rc = query_parse(call, &q, 1);
    memset(&st, 0, sizeof st);
    if (rc)
        goto done;
    st.max = q.limit + 1;   /* one more tells whether a next page exists */
    st.page = q.limit;
    if ((rc = store_read_begin(call->srv->store, &r, call->err, sizeof call->err)))
        goto done;
    st.r = r;
    if ((rc = query_each(r, &q.f, &q.o, query_on_hit, &st))) {
        snprintf(call->err, sizeof call->err, "the index could not be read");
        goto done;
    }
    size_t n = st.nhits > st.page ? st.page : st.nhits;
    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "events");
    msgpack_pack_array(&call->pk, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        query_hit *h = &st.hits[i];
        int certainty = q.f.within ? EDTF_CERTAIN : (int)edtf_certainty_of(&h->b, q.f.lo, q.f.hi);
        events_pack_record(&call->pk, h->rec.id, h->rec.idlen, &h->rec, certainty);
    }
    buf_pack_cstr(&call->pk, "next");
    if (st.nhits > n) {
        char cur[INDEX_CURSOR_MAX];
        query_hit *last = &st.hits[n - 1];
        size_t clen = index_cursor_encode(last->b.start_lo, last->doc, cur);
        buf_pack_str(&call->pk, cur, clen);
    } else {
        msgpack_pack_nil(&call->pk);
    }
done:
    store_read_end(r);
    free(st.hits);
    filter_release(&q.f);
    return rc;
}

static int query_on_tally(void *ud, edtf_time t, uint64_t n)
{
    (void)t;
    *(uint64_t *)ud += n;
    return 0;
}

int query_count_matches(store_reader *r, const filter_t *f, uint64_t *count)
{
    plan_t pl;
    *count = 0;
    plan_make(r, f, &pl);
    int usable = tally_usable(&pl, f);
    int rc = usable ? tally_plan(r, &pl, f, query_on_tally, count) : 0;
    plan_release(&pl);
    if (usable)
        return rc;
    return query_each(r, f, NULL, query_on_count, count);
}

int query_count(rpc_call *call)
{
    query_t q;
    store_reader *r = NULL;
    uint64_t count = 0;
    int rc = query_parse(call, &q, 0);
    if (rc)
        goto done;
    if ((rc = store_read_begin(call->srv->store, &r, call->err, sizeof call->err)))
        goto done;
    if ((rc = query_count_matches(r, &q.f, &count))) {
        snprintf(call->err, sizeof call->err, "the index could not be read");
        goto done;
    }
    msgpack_pack_map(&call->pk, 1);
    buf_pack_cstr(&call->pk, "count");
    msgpack_pack_uint64(&call->pk, count);
done:
    store_read_end(r);
    filter_release(&q.f);
    return rc;
}
