/* methods.c: libannals's typed call for each method of PROTOCOL.md
 * section 6: pack the parameter map, call, and check and pick out of the
 * result what the protocol promises. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/internal.h"
#include "proto/xalloc.h"

/* A parameter map being packed. */
typedef struct {
    buf_t b;
    msgpack_packer pk;
} annals__params;

static msgpack_packer *annals__params_start(annals__params *p, size_t keys)
{
    buf_init(&p->b);
    buf_packer_init(&p->pk, &p->b);
    msgpack_pack_map(&p->pk, keys);
    return &p->pk;
}

/* Call method with p's map (released here), result a map, into reply. */
static int annals__params_call(annals_conn *c, const char *method, annals__params *p,
                               annals_reply *reply)
{
    int rc = annals__method_call(c, method, &p->b, reply);
    buf_release(&p->b);
    return rc;
}

/* A reply given to a call is empty whatever happens next, so that
 * annals_reply_free is safe even after the call refused its arguments. */
static void annals__reply_clear(annals_reply *reply)
{
    if (reply)
        memset(reply, 0, sizeof *reply);
}

/* The checks every typed call starts with. */
static int annals__args(annals_conn *c, int ok, const char *what)
{
    if (!c)
        return ANNALS_EINVAL;
    return ok ? ANNALS_OK : annals__invalid(c, "%s", what);
}

/* A call whose result only matters for one unsigned field (or none): key
 * into *out when out is not NULL. */
static int annals__call_uint(annals_conn *c, const char *method, annals__params *p,
                             const char *key, uint64_t *out)
{
    annals_reply rep;
    uint64_t v = 0;
    int rc = p ? annals__params_call(c, method, p, &rep) : annals__method_call(c, method, NULL, &rep);
    if (rc)
        return rc;
    if (key && annals__uint(rep.result, key, &v) < 0) {
        char what[64];
        snprintf(what, sizeof what, "has no %s", key);
        annals_reply_free(&rep);
        return annals__proto(c, method, what);
    }
    if (out)
        *out = v;
    annals_reply_free(&rep);
    return ANNALS_OK;
}

int annals_hello(annals_conn *c, annals_reply *reply)
{
    annals__reply_clear(reply);
    int rc = annals__args(c, reply != NULL, "annals_hello needs a reply");
    return rc ? rc : annals__method_call(c, "hello", NULL, reply);
}

int annals_stats(annals_conn *c, annals_reply *reply)
{
    annals__reply_clear(reply);
    int rc = annals__args(c, reply != NULL, "annals_stats needs a reply");
    return rc ? rc : annals__method_call(c, "stats", NULL, reply);
}

int annals_ping(annals_conn *c)
{
    annals_reply rep;
    int rc = annals__args(c, 1, "");
    if (rc || (rc = annals__method_call(c, "ping", NULL, &rep)) != 0)
        return rc;
    const msgpack_object *pong = annals_map_get(rep.result, "pong");
    int ok = pong && pong->type == MSGPACK_OBJECT_BOOLEAN && pong->via.boolean;
    annals_reply_free(&rep);
    return ok ? ANNALS_OK : annals__proto(c, "ping", "is not {pong: true}");
}

int annals_auth(annals_conn *c, const char *token, annals_access *access)
{
    annals__params p;
    annals_reply rep;
    int rc = annals__args(c, token != NULL, "annals_auth needs a token");
    if (rc)
        return rc;
    annals__pack_kv_str(annals__params_start(&p, 1), "token", token);
    if ((rc = annals__params_call(c, "auth", &p, &rep)) != 0)
        return rc;
    const msgpack_object *a = annals_map_get(rep.result, "access");
    annals_access got = ANNALS_ACCESS_NONE;
    if (a && a->type == MSGPACK_OBJECT_STR && a->via.str.size == 2)
        got = memcmp(a->via.str.ptr, "rw", 2) == 0 ? ANNALS_ACCESS_RW
            : memcmp(a->via.str.ptr, "ro", 2) == 0 ? ANNALS_ACCESS_RO : ANNALS_ACCESS_NONE;
    annals_reply_free(&rep);
    if (got == ANNALS_ACCESS_NONE)
        return annals__proto(c, "auth", "is not {access: \"rw\" or \"ro\"}");
    if (access)
        *access = got;
    return ANNALS_OK;
}

int annals_put(annals_conn *c, const void *event, size_t len, char id[ANNALS_ID_SIZE],
               uint64_t *seq)
{
    annals__params p;
    annals_reply rep;
    uint64_t s;
    int rc = annals__args(c, event && len && annals__maps(event, len, 1),
                          "annals_put needs an event: exactly one packed map of len bytes");
    if (rc)
        return rc;
    buf_pack_cstr(annals__params_start(&p, 1), "event");
    buf_append(&p.b, event, len);
    if ((rc = annals__params_call(c, "put", &p, &rep)) != 0)
        return rc;
    const msgpack_object *i = annals_map_get(rep.result, "id");
    if (!i || i->type != MSGPACK_OBJECT_STR || i->via.str.size >= ANNALS_ID_SIZE ||
        annals__uint(rep.result, "seq", &s) < 0) {
        annals_reply_free(&rep);
        return annals__proto(c, "put", "is not {id, seq}");
    }
    if (id) {
        memcpy(id, i->via.str.ptr, i->via.str.size);
        id[i->via.str.size] = '\0';
    }
    if (seq)
        *seq = s;
    annals_reply_free(&rep);
    return ANNALS_OK;
}

int annals_put_many(annals_conn *c, const void *events, size_t len, size_t n,
                    annals_reply *reply, const msgpack_object **ids, uint64_t *seq)
{
    annals__reply_clear(reply);
    annals__params p;
    uint64_t s;
    int rc = annals__args(c, reply && (events || !len) && n <= UINT32_MAX &&
                          annals__maps(events, len, n),
                          "annals_put_many needs a reply and exactly n packed maps in len bytes");
    if (rc)
        return rc;
    buf_pack_cstr(annals__params_start(&p, 1), "events");
    msgpack_pack_array(&p.pk, n);
    if (len)
        buf_append(&p.b, events, len);
    if ((rc = annals__params_call(c, "put_many", &p, reply)) != 0)
        return rc;
    const msgpack_object *a = annals_map_get(reply->result, "ids");
    if (!a || a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != n ||
        annals__uint(reply->result, "seq", &s) < 0) {
        annals_reply_free(reply);
        return annals__proto(c, "put_many", "is not {ids, seq} with an id for each event");
    }
    if (ids)
        *ids = a;
    if (seq)
        *seq = s;
    return ANNALS_OK;
}

int annals_get(annals_conn *c, const char *id, annals_reply *reply,
               const msgpack_object **event)
{
    annals__reply_clear(reply);
    annals__params p;
    int rc = annals__args(c, id && reply, "annals_get needs an id and a reply");
    if (rc)
        return rc;
    annals__pack_kv_str(annals__params_start(&p, 1), "id", id);
    if ((rc = annals__params_call(c, "get", &p, reply)) != 0)
        return rc;
    const msgpack_object *ev = annals_map_get(reply->result, "event");
    if (!ev || ev->type != MSGPACK_OBJECT_MAP) {
        annals_reply_free(reply);
        return annals__proto(c, "get", "is not {event}");
    }
    if (event)
        *event = ev;
    return ANNALS_OK;
}

int annals_delete(annals_conn *c, const char *id, uint64_t *seq)
{
    annals__params p;
    int rc = annals__args(c, id != NULL, "annals_delete needs an id");
    if (rc)
        return rc;
    annals__pack_kv_str(annals__params_start(&p, 1), "id", id);
    return annals__call_uint(c, "delete", &p, "seq", seq);
}

int annals_range(annals_conn *c, const annals_query *q, annals_page *page)
{
    annals__params p;
    if (page)
        memset(page, 0, sizeof *page);
    int rc = annals__args(c, q && page && annals__filter_valid(&q->filter) &&
                          annals__reserved_zero(q->reserved_, ANNALS_RESERVED_WORDS),
                          "annals_range needs a query (without NULL filter values, its "
                          "reserved space zero) and a page");
    if (rc)
        return rc;
    buf_init(&p.b);
    buf_packer_init(&p.pk, &p.b);
    annals__pack_query(&p.pk, q);
    if ((rc = annals__params_call(c, "range", &p, &page->reply)) != 0)
        return rc;
    const msgpack_object *ev = annals_map_get(page->reply.result, "events");
    const msgpack_object *next = annals_map_get(page->reply.result, "next");
    if (!ev || ev->type != MSGPACK_OBJECT_ARRAY ||
        (next && next->type != MSGPACK_OBJECT_STR && next->type != MSGPACK_OBJECT_NIL) ||
        (q->cursor && next && next->type == MSGPACK_OBJECT_STR &&
         strlen(q->cursor) == next->via.str.size &&
         memcmp(q->cursor, next->via.str.ptr, next->via.str.size) == 0)) {
        /* A cursor that does not move would page forever. */
        annals_reply_free(&page->reply);
        return annals__proto(c, "range", "is not {events, next} with a new next");
    }
    page->events = ev->via.array.ptr;
    page->n = ev->via.array.size;
    if (next && next->type == MSGPACK_OBJECT_STR) {
        page->reply.scratch_ = xstrndup(next->via.str.ptr, next->via.str.size);
        page->next = page->reply.scratch_;
    }
    return ANNALS_OK;
}

/* The parameter map of a selecting method: the filter and extra more keys,
 * which the caller packs after it. */
static msgpack_packer *annals__filter_params(annals__params *p, const annals_filter *f,
                                             size_t extra)
{
    msgpack_packer *pk = annals__params_start(p, annals__filter_size(f) + extra);
    annals__pack_filter(pk, f);
    return pk;
}

int annals_count(annals_conn *c, const annals_filter *f, uint64_t *count)
{
    annals__params p;
    int rc = annals__args(c, annals__filter_valid(f), "a filter value is NULL, or the "
                          "filter's reserved space is not zero");
    if (rc)
        return rc;
    annals__filter_params(&p, f, 0);
    return annals__call_uint(c, "count", &p, "count", count);
}

/* Call histogram or top with p's map; its result is {KEY: [[string,
 * count], ...], total}. */
static int annals__pairs_call(annals_conn *c, const char *method, annals__params *p,
                              const char *key, annals_reply *reply,
                              const msgpack_object **pairs, uint64_t *total)
{
    uint64_t t;
    int rc = annals__params_call(c, method, p, reply);
    if (rc)
        return rc;
    const msgpack_object *a = annals_map_get(reply->result, key);
    int ok = a && a->type == MSGPACK_OBJECT_ARRAY && annals__uint(reply->result, "total", &t) == 0;
    for (uint32_t i = 0; ok && i < a->via.array.size; i++) {
        const msgpack_object *e = &a->via.array.ptr[i];
        ok = e->type == MSGPACK_OBJECT_ARRAY && e->via.array.size == 2 &&
             e->via.array.ptr[0].type == MSGPACK_OBJECT_STR &&
             e->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER;
    }
    if (!ok) {
        annals_reply_free(reply);
        return annals__proto(c, method, strcmp(method, "top") == 0
                             ? "is not {top: [[value, count], ...], total}"
                             : "is not {buckets: [[start, count], ...], total}");
    }
    if (pairs)
        *pairs = a;
    if (total)
        *total = t;
    return ANNALS_OK;
}

int annals_histogram(annals_conn *c, const annals_filter *f, const char *bucket, int spread,
                     annals_reply *reply, const msgpack_object **buckets, uint64_t *total)
{
    annals__reply_clear(reply);
    annals__params p;
    int rc = annals__args(c, bucket && reply && annals__filter_valid(f),
                          "annals_histogram needs a bucket and a reply");
    if (rc)
        return rc;
    msgpack_packer *pk = annals__filter_params(&p, f, 1 + (spread != 0));
    annals__pack_kv_str(pk, "bucket", bucket);
    if (spread) {
        buf_pack_cstr(pk, "spread");
        msgpack_pack_true(pk);
    }
    return annals__pairs_call(c, "histogram", &p, "buckets", reply, buckets, total);
}

int annals_top(annals_conn *c, const annals_filter *f, const char *field, unsigned limit,
               annals_reply *reply, const msgpack_object **top, uint64_t *total)
{
    annals__reply_clear(reply);
    annals__params p;
    int rc = annals__args(c, field && reply && annals__filter_valid(f),
                          "annals_top needs a field and a reply");
    if (rc)
        return rc;
    msgpack_packer *pk = annals__filter_params(&p, f, 1 + (limit > 0));
    annals__pack_kv_str(pk, "field", field);
    if (limit)
        annals__pack_kv_uint(pk, "limit", limit);
    return annals__pairs_call(c, "top", &p, "top", reply, top, total);
}

int annals_changes(annals_conn *c, const annals_filter *f, uint64_t since, unsigned limit,
                   annals_reply *reply, const msgpack_object **changes, uint64_t *next)
{
    annals__reply_clear(reply);
    annals__params p;
    uint64_t n;
    int rc = annals__args(c, reply && annals__filter_valid(f), "annals_changes needs a reply");
    if (rc)
        return rc;
    msgpack_packer *pk = annals__filter_params(&p, f, 1 + (limit > 0));
    annals__pack_kv_uint(pk, "since", since);
    if (limit)
        annals__pack_kv_uint(pk, "limit", limit);
    if ((rc = annals__params_call(c, "changes", &p, reply)) != 0)
        return rc;
    const msgpack_object *a = annals_map_get(reply->result, "changes");
    if (!a || a->type != MSGPACK_OBJECT_ARRAY || annals__uint(reply->result, "next", &n) < 0) {
        annals_reply_free(reply);
        return annals__proto(c, "changes", "is not {changes, next}");
    }
    if (changes)
        *changes = a;
    if (next)
        *next = n;
    return ANNALS_OK;
}

int annals_backup(annals_conn *c, const char *path, uint64_t *seq, uint64_t *bytes)
{
    annals__params p;
    annals_reply rep;
    uint64_t s, b;
    int rc = annals__args(c, path != NULL, "annals_backup needs a path");
    if (rc)
        return rc;
    annals__pack_kv_str(annals__params_start(&p, 1), "path", path);
    if ((rc = annals__params_call(c, "backup", &p, &rep)) != 0)
        return rc;
    if (annals__uint(rep.result, "seq", &s) < 0 || annals__uint(rep.result, "bytes", &b) < 0) {
        annals_reply_free(&rep);
        return annals__proto(c, "backup", "is not {path, seq, bytes}");
    }
    if (seq)
        *seq = s;
    if (bytes)
        *bytes = b;
    annals_reply_free(&rep);
    return ANNALS_OK;
}
