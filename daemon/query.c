/* query.c: range and count (see query.h and PROTOCOL.md section 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "daemon/params.h"
#include "daemon/query.h"
#include "daemon/store.h"
#include "proto/error.h"
#include "proto/xalloc.h"

typedef struct {
    store_scan_params scan;
    params_list kinds, countries, tags;
    uint64_t limit;
    char after_id[EVENT_ID_MAX + 1];
} query_t;

/* Parse a date parameter; *present tells whether it was given. */
static int query_date(rpc_call *call, const char *name, edtf_date *d, int *present)
{
    const char *s;
    size_t len;
    char msg[256];
    int rc = params_str(call, name, 0, &s, &len);
    *present = 0;
    if (rc || !s)
        return rc;
    if (edtf_parse(s, len, d, msg, sizeof msg) < 0) {
        snprintf(call->err, sizeof call->err, "%s: %s", name, msg);
        return ERROR_BAD_REQUEST;
    }
    *present = 1;
    return 0;
}

static int query_parse(rpc_call *call, query_t *q, int is_range)
{
    edtf_date from, to;
    int has_from, has_to, rc;
    char msg[256];
    const char *s;
    size_t len;

    memset(q, 0, sizeof *q);
    if ((rc = query_date(call, "from", &from, &has_from)) ||
        (rc = query_date(call, "to", &to, &has_to)))
        return rc;
    if (edtf_window(has_from ? &from : NULL, has_to ? &to : NULL, &q->scan.lo, &q->scan.hi,
                    msg, sizeof msg) < 0) {
        snprintf(call->err, sizeof call->err, "%s", msg);
        return ERROR_BAD_REQUEST;
    }
    if ((rc = params_str(call, "mode", 0, &s, &len)))
        return rc;
    if (s && len == 6 && memcmp(s, "within", 6) == 0)
        q->scan.within = 1;
    else if (s && !(len == 7 && memcmp(s, "overlap", 7) == 0)) {
        snprintf(call->err, sizeof call->err, "mode: expected 'overlap' or 'within', got '%.*s'",
                 len > 32 ? 32 : (int)len, s);
        return ERROR_BAD_REQUEST;
    }
    if ((rc = params_strings(call, "kind", &q->kinds)) ||
        (rc = params_strings(call, "country", &q->countries)) ||
        (rc = params_strings(call, "tag", &q->tags)))
        return rc;
    for (unsigned i = 0; i < q->kinds.n; i++)
        if ((rc = event_check_token("kind", q->kinds.s[i], q->kinds.len[i], call->err, sizeof call->err)))
            return rc;
    for (unsigned i = 0; i < q->tags.n; i++)
        if ((rc = event_check_token("tag", q->tags.s[i], q->tags.len[i], call->err, sizeof call->err)))
            return rc;
    for (unsigned i = 0; i < q->countries.n; i++)
        if ((rc = event_check_country("country", q->countries.s[i], q->countries.len[i],
                                      call->err, sizeof call->err)))
            return rc;
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

static int query_filtered(const query_t *q)
{
    return q->kinds.n || q->countries.n || q->tags.n;
}

static int query_list_has(const params_list *l, const char *s, size_t len)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->len[i] == len && memcmp(l->s[i], s, len) == 0)
            return 1;
    return 0;
}

/* Whether some string in the array o is one of l's values. */
static int query_array_meets(const msgpack_object *o, const params_list *l)
{
    if (!o || o->type != MSGPACK_OBJECT_ARRAY)
        return 0;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type == MSGPACK_OBJECT_STR && query_list_has(l, e->via.str.ptr, e->via.str.size))
            return 1;
    }
    return 0;
}

static const msgpack_object *query_field(const msgpack_object *map, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
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
    uint64_t count;
} query_scan_state;

/* Whether the stored event matches the field filters. */
static int query_matches(query_scan_state *st, const index_record *rec)
{
    size_t off = 0;
    if (msgpack_unpack_next(&st->up, rec->body, rec->body_len, &off) != MSGPACK_UNPACK_SUCCESS ||
        st->up.data.type != MSGPACK_OBJECT_MAP)
        return 0;
    const msgpack_object *m = &st->up.data;
    if (st->q->kinds.n) {
        const msgpack_object *k = query_field(m, "kind");
        if (!k || k->type != MSGPACK_OBJECT_STR || !query_list_has(&st->q->kinds, k->via.str.ptr, k->via.str.size))
            return 0;
    }
    if (st->q->countries.n && !query_array_meets(query_field(m, "countries"), &st->q->countries))
        return 0;
    if (st->q->tags.n && !query_array_meets(query_field(m, "tags"), &st->q->tags))
        return 0;
    return 1;
}

static int query_on_entry(void *ud, const char *id, size_t idlen, const edtf_bounds_t *b)
{
    query_scan_state *st = ud;
    index_record rec;
    if (st->want_records || query_filtered(st->q)) {
        int rc = store_get(st->r, id, idlen, &rec);
        if (rc == ERROR_NOT_FOUND)
            return 0;           /* index and events disagree: skip, never crash */
        if (rc)
            return rc;
        if (query_filtered(st->q) && !query_matches(st, &rec))
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
    return st->nhits >= st->max ? 1 : 0;
}

static int query_run(rpc_call *call, query_t *q, int is_range)
{
    query_scan_state st;
    memset(&st, 0, sizeof st);
    st.q = q;
    st.want_records = is_range;
    st.max = is_range ? q->limit + 1 : 0;   /* one more tells whether a next page exists */
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
    size_t n = st.nhits > q->limit ? q->limit : st.nhits;
    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "events");
    msgpack_pack_array(&call->pk, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        query_hit *h = &st.hits[i];
        int certainty = q->scan.within ? EDTF_CERTAIN : (int)edtf_certainty_of(&h->b, q->scan.lo, q->scan.hi);
        events_pack_record(&call->pk, h->id, h->idlen, &h->rec, certainty);
    }
    buf_pack_cstr(&call->pk, "next");
    if (st.nhits > q->limit) {
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
    return rc ? rc : query_run(call, &q, 1);
}

int query_count(rpc_call *call)
{
    query_t q;
    int rc = query_parse(call, &q, 0);
    return rc ? rc : query_run(call, &q, 0);
}
