/* aggregate.c: histogram and top (see aggregate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/aggregate.h"
#include "daemon/params.h"
#include "daemon/query.h"
#include "daemon/store.h"
#include "daemon/tally.h"
#include "daemon/top_table.h"
#include "proto/error.h"
#include "proto/textnorm.h"
#include "proto/xalloc.h"
#include "proto/utf8.h"

/* ---- histogram ---- */

enum { BUCKET_DAY, BUCKET_WEEK, BUCKET_MONTH, BUCKET_YEAR };

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The number of the bucket holding instant t: days, weeks (1970-01-01 was a
 * Thursday, so Monday-based weeks are counted from 1969-12-29), months or
 * years since year 0. */
static int64_t bucket_of(int kind, edtf_time t)
{
    int64_t d = floor_div(t, 86400);
    int y, m, dd;
    switch (kind) {
    case BUCKET_DAY:
        return d;
    case BUCKET_WEEK:
        return floor_div(d + 3, 7);
    case BUCKET_MONTH:
        edtf_civil_from_days(d, &y, &m, &dd);
        return (int64_t)y * 12 + (m - 1);
    default:
        edtf_civil_from_days(d, &y, &m, &dd);
        return y;
    }
}

/* out holds at least 32 bytes. */
static size_t bucket_label(int kind, int64_t b, char *out)
{
    int y, m, d;
    switch (kind) {
    case BUCKET_DAY:
    case BUCKET_WEEK:
        edtf_civil_from_days(kind == BUCKET_DAY ? b : b * 7 - 3, &y, &m, &d);
        if (y < 0) {
            /* The week holding 0000-01-01 began in year -1, which dates
             * cannot name: it is named by its first day in year 0. */
            y = 0;
            m = d = 1;
        }
        return (size_t)snprintf(out, 32, "%04d-%02d-%02d", y, m, d);
    case BUCKET_MONTH:
        return (size_t)snprintf(out, 32, "%04d-%02d", (int)(b / 12), (int)(b % 12) + 1);
    default:
        return (size_t)snprintf(out, 32, "%04d", (int)b);
    }
}

typedef struct {
    store_reader *r;
    int kind, spread;
    edtf_time lo, hi;
    int64_t first;
    size_t n;
    uint64_t *counts;
    int64_t *ends;          /* spread: events whose last bucket is b, subtracted after b */
    uint64_t total;
} hist_state;

static int hist_on_hit(void *ud, store_hit *h, const index_record *rec)
{
    hist_state *st = ud;
    edtf_time from = h->start_lo > st->lo ? h->start_lo : st->lo;
    int64_t b0 = bucket_of(st->kind, from) - st->first, b1 = b0;
    st->total++;
    if (st->spread) {
        edtf_time end;
        if (rec) {
            end = rec->bounds.end_hi;
        } else {
            int rc = store_hit_bounds(st->r, h);
            if (rc)
                return rc;
            end = h->b.end_hi;
        }
        b1 = bucket_of(st->kind, end < st->hi ? end : st->hi) - st->first;
    }
    if (b0 < 0)
        b0 = 0;
    if (b1 >= (int64_t)st->n)
        b1 = (int64_t)st->n - 1;
    /* A spread event adds 1 from b0 through b1: counted at both ends and
     * summed once at the end, so a long event costs O(1), not O(buckets). */
    st->counts[b0]++;
    if (st->spread)
        st->ends[b1]++;
    return 0;
}

static int hist_on_tally(void *ud, edtf_time t, uint64_t n)
{
    hist_state *st = ud;
    int64_t b = bucket_of(st->kind, t) - st->first;
    if (b < 0)
        b = 0;
    if (b >= (int64_t)st->n)
        b = (int64_t)st->n - 1;
    st->counts[b] += n;
    st->total += n;
    return 0;
}

int aggregate_histogram(rpc_call *call)
{
    static const char *const names[] = { "day", "week", "month", "year" };
    filter_t f;
    hist_state st;
    store_reader *r = NULL;
    const char *s;
    size_t len;
    int rc;

    memset(&st, 0, sizeof st);
    if ((rc = filter_parse(call, &f)))
        goto done;
    if (!params_get(call, "from") || !params_get(call, "to")) {
        snprintf(call->err, sizeof call->err, "histogram: from and to are required");
        rc = ERROR_BAD_REQUEST;
        goto done;
    }
    if ((rc = params_str(call, "bucket", 1, &s, &len)) || (rc = params_bool(call, "spread", &st.spread)))
        goto done;
    st.kind = -1;
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            st.kind = i;
    if (st.kind < 0) {
        snprintf(call->err, sizeof call->err, "bucket: expected 'day', 'week', 'month' or 'year', got '%.*s'",
                 (int)utf8_prefix(s, len, 32), s);
        rc = ERROR_BAD_REQUEST;
        goto done;
    }
    st.lo = f.lo;
    st.hi = f.hi;
    st.first = bucket_of(st.kind, f.lo);
    int64_t nb = bucket_of(st.kind, f.hi) - st.first + 1;
    if (nb > AGGREGATE_BUCKETS_MAX) {
        snprintf(call->err, sizeof call->err, "histogram: %lld %s buckets; at most %d (use a longer bucket "
                 "or a shorter window)", (long long)nb, names[st.kind], AGGREGATE_BUCKETS_MAX);
        rc = ERROR_BAD_REQUEST;
        goto done;
    }
    st.n = (size_t)nb;
    st.counts = xcalloc(st.n, sizeof *st.counts);
    if (st.spread)
        st.ends = xcalloc(st.n, sizeof *st.ends);
    if ((rc = store_read_begin(call->srv->store, &r, call->err, sizeof call->err)))
        goto done;
    st.r = r;
    plan_t pl;
    plan_make(r, &f, &pl);
    if (!st.spread && tally_usable(&pl, &f))
        rc = tally_plan(r, &pl, &f, hist_on_tally, &st);
    else
        rc = query_each(r, &f, NULL, hist_on_hit, &st);
    plan_release(&pl);
    if (rc) {
        snprintf(call->err, sizeof call->err, "the index could not be read");
        goto done;
    }
    if (st.spread) {
        uint64_t open = 0;      /* events that started in an earlier bucket and go on */
        for (size_t i = 0; i < st.n; i++) {
            uint64_t starting = st.counts[i];
            st.counts[i] = open + starting;
            open = open + starting - (uint64_t)st.ends[i];
        }
    }
    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "buckets");
    msgpack_pack_array(&call->pk, (uint32_t)st.n);
    for (size_t i = 0; i < st.n; i++) {
        char label[32];
        size_t ll = bucket_label(st.kind, st.first + (int64_t)i, label);
        msgpack_pack_array(&call->pk, 2);
        buf_pack_str(&call->pk, label, ll);
        msgpack_pack_uint64(&call->pk, st.counts[i]);
    }
    buf_pack_cstr(&call->pk, "total");
    msgpack_pack_uint64(&call->pk, st.total);
done:
    store_read_end(r);
    free(st.counts);
    free(st.ends);
    filter_release(&f);
    return rc;
}

/* ---- top ---- */

typedef struct {
    store_reader *r;
    int field;              /* a TERM_* byte */
    top_table t;
    msgpack_unpacked up;
    uint64_t total;
    uint64_t event;         /* serial of the current event, so it counts once per value */
    buf_t key;              /* scratch: a name's normalised words */
} top_state;

/* Count one name-like value (participant name, place city or name): grouped
 * by its normalised words. */
static void top_add_name(top_state *st, const msgpack_object *o)
{
    char word[TERM_WORD_MAX + 1];
    size_t pos = 0, n;
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return;
    buf_reset(&st->key);
    while ((n = textnorm_next_token(o->via.str.ptr, o->via.str.size, &pos, word, sizeof word)) > 0) {
        if (st->key.len)
            buf_append(&st->key, " ", 1);
        buf_append(&st->key, word, n);
    }
    if (st->key.len)
        top_table_add(&st->t, st->key.data, st->key.len, o->via.str.ptr, o->via.str.size, st->event);
}

static void top_add_str(top_state *st, const msgpack_object *o)
{
    if (o && o->type == MSGPACK_OBJECT_STR)
        top_table_add(&st->t, o->via.str.ptr, o->via.str.size, o->via.str.ptr, o->via.str.size, st->event);
}

static int top_on_hit(void *ud, store_hit *h, const index_record *rec)
{
    top_state *st = ud;
    index_record own;
    size_t off = 0;
    st->total++;
    st->event++;
    if (!rec) {
        int rc = store_get_doc(st->r, h->doc, &own);
        if (rc)
            return rc == ERROR_NOT_FOUND ? 0 : rc;
        rec = &own;
    }
    if (msgpack_unpack_next(&st->up, rec->body, rec->body_len, &off) != MSGPACK_UNPACK_SUCCESS ||
        st->up.data.type != MSGPACK_OBJECT_MAP)
        return 0;
    const msgpack_object *m = &st->up.data, *o;
    switch (st->field) {
    case TERM_KIND:
        o = terms_field(m, "kind");
        if (o)
            top_add_str(st, o);
        else
            top_table_add(&st->t, "other", 5, "other", 5, st->event);
        break;
    case TERM_COUNTRY:
    case TERM_TAG:
        o = terms_field(m, st->field == TERM_COUNTRY ? "countries" : "tags");
        for (uint32_t i = 0; o && o->type == MSGPACK_OBJECT_ARRAY && i < o->via.array.size; i++)
            top_add_str(st, &o->via.array.ptr[i]);
        break;
    case TERM_PARTICIPANT:
        o = terms_field(m, "participants");
        for (uint32_t i = 0; o && o->type == MSGPACK_OBJECT_ARRAY && i < o->via.array.size; i++)
            if (o->via.array.ptr[i].type == MSGPACK_OBJECT_MAP)
                top_add_name(st, terms_field(&o->via.array.ptr[i], "name"));
        break;
    default:
        o = terms_field(m, "place");
        if (o && o->type == MSGPACK_OBJECT_MAP) {
            const msgpack_object *city = terms_field(o, "city");
            top_add_name(st, city ? city : terms_field(o, "name"));
        }
        break;
    }
    return 0;
}

/* Without field filters, a kind, country or tag is counted from its own
 * postings: no record is read. */
typedef struct {
    top_state *st;
    const filter_t *f;
} top_terms_ctx;

static int top_on_tally(void *ud, edtf_time t, uint64_t n)
{
    (void)t;
    *(uint64_t *)ud += n;
    return 0;
}

static int top_on_term(void *ud, const char *term, size_t len)
{
    top_terms_ctx *c = ud;
    uint64_t n = 0;
    int rc;
    if (!c->f->within) {
        rc = tally_term(c->st->r, term, len, c->f->lo, c->f->hi, top_on_tally, &n);
    } else {
        store_scan_params p;
        store_scan *sc = NULL;
        store_hit h;
        const char *terms[1] = { term };
        size_t lens[1] = { len };
        memset(&p, 0, sizeof p);
        p.lo = c->f->lo;
        p.hi = c->f->hi;
        p.within = 1;
        p.terms = terms;
        p.term_len = lens;
        p.nterms = 1;
        rc = store_scan_open(c->st->r, &p, &sc);
        while (rc == 0 && (rc = store_scan_next(sc, &h)) == 1) {
            rc = 0;
            n++;
        }
        store_scan_close(sc);
    }
    if (rc)
        return rc;
    if (n)
        top_table_set(&c->st->t, term + 1, len - 1, n);
    return 0;
}

int aggregate_top(rpc_call *call)
{
    static const char *const names[] = { "country", "kind", "tag", "participant", "place" };
    static const int fields[] = { TERM_COUNTRY, TERM_KIND, TERM_TAG, TERM_PARTICIPANT, TERM_PLACE };
    filter_t f;
    top_state st;
    store_reader *r = NULL;
    uint64_t limit = AGGREGATE_TOP_DEFAULT;
    const char *s;
    size_t len;
    int rc;

    memset(&st, 0, sizeof st);
    top_table_init(&st.t);
    msgpack_unpacked_init(&st.up);
    buf_init(&st.key);
    if ((rc = filter_parse(call, &f)) || (rc = params_str(call, "field", 1, &s, &len)) ||
        (rc = params_uint(call, "limit", 1, AGGREGATE_TOP_MAX, &limit)))
        goto done;
    st.field = 0;
    for (int i = 0; i < 5; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            st.field = fields[i];
    if (!st.field) {
        snprintf(call->err, sizeof call->err,
                 "field: expected 'country', 'kind', 'tag', 'participant' or 'place', got '%.*s'",
                 (int)utf8_prefix(s, len, 32), s);
        rc = ERROR_BAD_REQUEST;
        goto done;
    }
    if ((rc = store_read_begin(call->srv->store, &r, call->err, sizeof call->err)))
        goto done;
    st.r = r;
    if (!filter_has_fields(&f) && (st.field == TERM_KIND || st.field == TERM_COUNTRY || st.field == TERM_TAG)) {
        top_terms_ctx c = { &st, &f };
        rc = store_terms(r, st.field, top_on_term, &c);
        if (!rc)
            rc = query_count_matches(r, &f, &st.total);
    } else {
        rc = query_each(r, &f, NULL, top_on_hit, &st);
    }
    if (rc) {
        snprintf(call->err, sizeof call->err, "the index could not be read");
        goto done;
    }
    size_t n = top_table_sort(&st.t);
    if (n > limit)
        n = (size_t)limit;
    msgpack_pack_map(&call->pk, 2);
    buf_pack_cstr(&call->pk, "top");
    msgpack_pack_array(&call->pk, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const top_entry *e = top_table_at(&st.t, i);
        msgpack_pack_array(&call->pk, 2);
        buf_pack_str(&call->pk, e->shown, e->slen);
        msgpack_pack_uint64(&call->pk, e->count);
    }
    buf_pack_cstr(&call->pk, "total");
    msgpack_pack_uint64(&call->pk, st.total);
done:
    store_read_end(r);
    top_table_release(&st.t);
    buf_release(&st.key);
    msgpack_unpacked_destroy(&st.up);
    filter_release(&f);
    return rc;
}
