/* query.c: range and count (see query.h and PROTOCOL.md section 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "daemon/filter.h"
#include "daemon/params.h"
#include "daemon/query.h"
#include "daemon/store.h"
#include "proto/error.h"
#include "proto/xalloc.h"

typedef struct {
    filter_t f;
    store_scan_params scan;
    uint64_t limit;
    char after_id[EVENT_ID_MAX + 1];
} query_t;

static int query_parse(rpc_call *call, query_t *q, int is_range)
{
    const char *s;
    size_t len;
    int rc;

    memset(&q->scan, 0, sizeof q->scan);
    if ((rc = filter_parse(call, &q->f)))
        return rc;
    q->scan.lo = q->f.lo;
    q->scan.hi = q->f.hi;
    q->scan.within = q->f.within;
    if (!is_range)
        return 0;

    q->limit = QUERY_LIMIT_DEFAULT;
    if ((rc = params_uint(call, "limit", 1, QUERY_LIMIT_MAX, &q->limit)))
        return rc;
    if ((rc = params_str(call, "order", 0, &s, &len)))
        return rc;
    if (s && len == 4 && memcmp(s, "desc", 4) == 0)
        q->scan.desc = 1;
    else if (s && !(len == 3 && memcmp(s, "asc", 3) == 0)) {
        snprintf(call->err, sizeof call->err, "order: expected 'asc' or 'desc', got '%.*s'",
                 len > 32 ? 32 : (int)len, s);
        return ERROR_BAD_REQUEST;
    }
    if ((rc = params_str(call, "cursor", 0, &s, &len)))
        return rc;
    if (s) {
        size_t idlen;
        if (len > INDEX_CURSOR_MAX ||
            index_cursor_decode(s, len, &q->scan.after_start, q->after_id, &idlen) < 0) {
            snprintf(call->err, sizeof call->err, "cursor: not a cursor returned by range");
            return ERROR_BAD_REQUEST;
        }
        q->scan.has_after = 1;
        q->scan.after_id = q->after_id;
        q->scan.after_idlen = idlen;
    }
    return 0;
}

typedef struct {
    const char *id;
    size_t idlen;
    edtf_bounds_t b;
    index_record rec;
} query_hit;

typedef struct {
    query_t *q;
    store_reader *r;
    msgpack_unpacked up;
    int want_records;
    query_hit *hits;
    size_t nhits, cap, max;
    size_t page;            /* events the page will hold (limit, or fewer when large) */
    size_t bytes;           /* stored bytes of the hits so far */
    uint64_t count;
} query_scan_state;

static int query_on_entry(void *ud, const char *id, size_t idlen, const edtf_bounds_t *b)
{
    query_scan_state *st = ud;
    index_record rec;
    int fields = filter_has_fields(&st->q->f);
    if (st->want_records || fields) {
        int rc = store_get(st->r, id, idlen, &rec);
        if (rc == ERROR_NOT_FOUND)
            return 0;           /* index and events disagree: skip, never crash */
        if (rc)
            return rc;
        if (fields && !filter_fields(&st->q->f, rec.body, rec.body_len, &st->up))
            return 0;
    }
    st->count++;
    if (!st->want_records)
        return 0;
    if (st->nhits == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->hits = xrealloc(st->hits, st->cap * sizeof *st->hits);
    }
    query_hit *h = &st->hits[st->nhits++];
    h->id = id;
    h->idlen = idlen;
    h->b = *b;
    h->rec = rec;
    /* A page stops growing at about QUERY_PAGE_BYTES, so one reply stays
     * bounded whatever the events weigh; one more hit tells that more follow. */
    st->bytes += rec.body_len;
    if (st->nhits <= st->page && st->bytes >= QUERY_PAGE_BYTES) {
        st->page = st->nhits;
        st->max = st->nhits + 1;
    }
    return st->nhits >= st->max ? 1 : 0;
}

static int query_run(rpc_call *call, query_t *q, int is_range)
{
    query_scan_state st;
    memset(&st, 0, sizeof st);
    st.q = q;
    st.want_records = is_range;
    st.max = is_range ? q->limit + 1 : 0;   /* one more tells whether a next page exists */
    st.page = q->limit;
    msgpack_unpacked_init(&st.up);

    int rc = store_read_begin(call->srv->store, &st.r, call->err, sizeof call->err);
    if (rc)
        goto done;
    rc = store_scan(st.r, &q->scan, query_on_entry, &st);
    if (rc) {
        snprintf(call->err, sizeof call->err, "the index could not be read");
        goto done;
    }
    if (!is_range) {
        msgpack_pack_map(&call->pk, 1);
        buf_pack_cstr(&call->pk, "count");
        msgpack_pack_uint64(&call->pk, st.count);
        goto done;
    }
    size_t n = st.nhits > st.page ? st.page : st.nhits;
    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "events");
    msgpack_pack_array(&call->pk, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        query_hit *h = &st.hits[i];
        int certainty = q->scan.within ? EDTF_CERTAIN : (int)edtf_certainty_of(&h->b, q->scan.lo, q->scan.hi);
        events_pack_record(&call->pk, h->id, h->idlen, &h->rec, certainty);
    }
    buf_pack_cstr(&call->pk, "next");
    if (st.nhits > n) {
        char cur[INDEX_CURSOR_MAX];
        query_hit *last = &st.hits[n - 1];
        size_t clen = index_cursor_encode(last->b.start_lo, last->id, last->idlen, cur);
        buf_pack_str(&call->pk, cur, clen);
    } else {
        msgpack_pack_nil(&call->pk);
    }
done:
    store_read_end(st.r);
    msgpack_unpacked_destroy(&st.up);
    free(st.hits);
    return rc;
}

int query_range(rpc_call *call)
{
    query_t q;
    int rc = query_parse(call, &q, 1);
    if (rc == 0)
        rc = query_run(call, &q, 1);
    filter_release(&q.f);
    return rc;
}

int query_count(rpc_call *call)
{
    query_t q;
    int rc = query_parse(call, &q, 0);
    if (rc == 0)
        rc = query_run(call, &q, 0);
    filter_release(&q.f);
    return rc;
}
