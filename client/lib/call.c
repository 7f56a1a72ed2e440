/* call.c: requests and replies of libannals: sending a request, matching
 * replies to msgids (keeping those that come before they are asked for),
 * keeping notifications for the feed, and the errors a call reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/internal.h"
#include "proto/error.h"
#include "proto/xalloc.h"

#define ANNALS__STATUS_TABLE(X) \
    X(ANNALS_OK,        "success") \
    X(ANNALS_NOTFOUND,  "not found") \
    X(ANNALS_ESERVER,   "the server returned an error") \
    X(ANNALS_ECONN,     "connection failed") \
    X(ANNALS_ETIMEDOUT, "timed out") \
    X(ANNALS_EPROTO,    "protocol error") \
    X(ANNALS_EINVAL,    "invalid argument") \
    X(ANNALS_EINTR,     "interrupted")

const char *annals_strerror(int status)
{
    switch (status) {
#define ANNALS__STATUS_CASE_(code, text) case code: return text;
    ANNALS__STATUS_TABLE(ANNALS__STATUS_CASE_)
#undef ANNALS__STATUS_CASE_
    }
    return "unknown status";
}

const char *annals_errmsg(const annals_conn *c)
{
    return c ? c->msg : "";
}

const char *annals_error_code(const annals_conn *c)
{
    return c && c->have_code ? c->code : NULL;
}

const msgpack_object *annals_error(const annals_conn *c)
{
    return c ? c->err : NULL;
}

/* The string o as a NUL-terminated copy into out (cut to fit). */
static void annals__copy_str(const msgpack_object *o, char *out, size_t size)
{
    size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
    memcpy(out, o->via.str.ptr, n);
    out[n] = '\0';
}

int annals__server_error(annals_conn *c, const msgpack_object *error, msgpack_zone *zone)
{
    const msgpack_object *code = NULL, *msg = NULL;
    if (error->type == MSGPACK_OBJECT_ARRAY) {
        if (error->via.array.size >= 1 && error->via.array.ptr[0].type == MSGPACK_OBJECT_STR)
            code = &error->via.array.ptr[0];
        if (error->via.array.size >= 2 && error->via.array.ptr[1].type == MSGPACK_OBJECT_STR)
            msg = &error->via.array.ptr[1];
    }
    /* A malformed error is still an error; PROTOCOL.md: treat an unknown
     * code like internal. */
    if (code && code->via.str.size > 0)
        annals__copy_str(code, c->code, sizeof c->code);
    else
        snprintf(c->code, sizeof c->code, "internal");
    c->have_code = 1;
    int e = error_from_wire(c->code, strlen(c->code));
    if (msg && msg->via.str.size > 0)
        annals__copy_str(msg, c->msg, sizeof c->msg);
    else
        snprintf(c->msg, sizeof c->msg, "%s", error_message(e));
    if (c->err_zone)
        msgpack_zone_free(c->err_zone);
    c->err_zone = zone;
    /* annals_error promises an array; a malformed error gives NULL there,
     * its code and message as above. */
    c->err = error->type == MSGPACK_OBJECT_ARRAY ? error : NULL;
    return e == ERROR_NOT_FOUND ? ANNALS_NOTFOUND : ANNALS_ESERVER;
}

void annals__error_note(annals_conn *c, msgpack_unpacked *msg)
{
    /* Keep the latest: it is the one a close that follows is about. */
    if (c->closing_zone) {
        if (c->err == c->closing_err)
            c->err = NULL;
        msgpack_zone_free(c->closing_zone);
    }
    c->closing_err = msg->data.via.array.ptr[2].via.array.ptr;
    c->closing_zone = msgpack_unpacked_release_zone(msg);
    msgpack_unpacked_destroy(msg);
}

/* The server spoke on after its error notification: it was about one
 * message, not the close, and a later loss of the connection is not its
 * doing. */
static void annals__error_note_stale(annals_conn *c)
{
    if (!c->closing_zone)
        return;
    if (c->err == c->closing_err)
        c->err = NULL;
    msgpack_zone_free(c->closing_zone);
    c->closing_zone = NULL;
    c->closing_err = NULL;
}

int annals__lost(annals_conn *c, const char *fmt, ...)
{
    if (c->closing_err) {
        /* PROTOCOL.md section 3: an error notification, then the close:
         * the server said why (busy, timeout, ...). */
        annals__server_error(c, c->closing_err, NULL);
        snprintf(c->failure, sizeof c->failure, "%s closed the connection: %s: %.600s",
                 c->label, c->code, c->msg);
        c->failed = ANNALS_ESERVER;
        return ANNALS_ESERVER;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->failure, sizeof c->failure, fmt, ap);
    va_end(ap);
    c->failed = ANNALS_ECONN;
    snprintf(c->msg, sizeof c->msg, "%s", c->failure);
    return ANNALS_ECONN;
}

int annals__keeps_notes(const annals_conn *c)
{
    return c->nsubs > 0 || c->subscribing;
}

/* Whether msgid is in use: sent and not yet answered, or answered and kept. */
static int annals__msgid_busy(const annals_conn *c, uint32_t id)
{
    for (size_t i = 0; i < c->nwaiting; i++)
        if (c->waiting[i] == id)
            return 1;
    for (size_t i = 0; i < c->nkept; i++)
        if (c->kept[i].msgid == id)
            return 1;
    return 0;
}

int annals__request(annals_conn *c, const char *method, const void *params, size_t len,
                    uint32_t *msgid)
{
    msgpack_packer pk;
    uint32_t id;
    /* After 2^32 - 1 requests the ids wrap; one still in use is skipped, so
     * no reply can be taken for another request's. */
    do {
        id = c->next_msgid;
        if (id == UINT32_MAX)
            c->msgids_wrapped = 1;
        c->next_msgid = id == UINT32_MAX ? 1 : id + 1;
    } while (c->msgids_wrapped && annals__msgid_busy(c, id));
    buf_packer_init(&pk, &c->out);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint32(&pk, 0);
    msgpack_pack_uint32(&pk, id);
    buf_pack_cstr(&pk, method);
    if (params && len) {
        msgpack_pack_array(&pk, 1);
        buf_append(&c->out, params, len);
    } else {
        msgpack_pack_array(&pk, 0);
    }
    if (c->nwaiting == c->waiting_cap) {
        c->waiting_cap = c->waiting_cap ? c->waiting_cap * 2 : 16;
        c->waiting = xrealloc(c->waiting, c->waiting_cap * sizeof *c->waiting);
    }
    c->waiting[c->nwaiting++] = id;
    int rc = annals__flush(c);
    if (rc == ANNALS_OK && msgid)
        *msgid = id;
    return rc;
}

int annals_send(annals_conn *c, const char *method, const void *params, size_t len,
                uint32_t *msgid)
{
    if (!c)
        return ANNALS_EINVAL;
    int rc = annals__begin(c);
    if (rc)
        return rc;
    if (!method || !*method || !msgid || (len && !params))
        return annals__invalid(c, "annals_send needs a method, a msgid and params of len bytes");
    /* Bytes that are not one map would be read by the server as the start
     * of the next message: the stream would never be in step again. */
    if (len && !annals__maps(params, len, 1))
        return annals__invalid(c, "the params of %s are not exactly one packed map of %zu "
                               "bytes", method, len);
    return annals__request(c, method, params, len, msgid);
}

/* The index of msgid among the requests waiting for their replies, or -1. */
static long annals__waiting_index(const annals_conn *c, uint32_t msgid)
{
    for (size_t i = 0; i < c->nwaiting; i++)
        if (c->waiting[i] == msgid)
            return (long)i;
    return -1;
}

static void annals__waiting_remove(annals_conn *c, size_t i)
{
    memmove(c->waiting + i, c->waiting + i + 1, (c->nwaiting - i - 1) * sizeof *c->waiting);
    c->nwaiting--;
}

/* The response msg (checked: [1, msgid, error, result]) as the answer of
 * the call: the result into reply, or the error. Takes msg. */
static int annals__answer(annals_conn *c, msgpack_unpacked *msg, annals_reply *reply)
{
    const msgpack_object *a = msg->data.via.array.ptr;
    if (a[2].type != MSGPACK_OBJECT_NIL) {
        msgpack_zone *z = msgpack_unpacked_release_zone(msg);
        msgpack_unpacked_destroy(msg);
        return annals__server_error(c, &a[2], z);
    }
    reply->zone_ = msgpack_unpacked_release_zone(msg);
    reply->result = &a[3];
    msgpack_unpacked_destroy(msg);
    return ANNALS_OK;
}

int annals__classify(annals_conn *c, const msgpack_unpacked *msg, uint32_t *msgid)
{
    const msgpack_object *o = &msg->data;
    if (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size >= 3 &&
        o->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        const msgpack_object *a = o->via.array.ptr;
        if (a[0].via.u64 == 1 && o->via.array.size == 4 &&
            a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER && a[1].via.u64 <= UINT32_MAX) {
            *msgid = (uint32_t)a[1].via.u64;
            annals__error_note_stale(c);
            return 1;
        }
        if (a[0].via.u64 == 2 && o->via.array.size == 3 && a[1].type == MSGPACK_OBJECT_STR &&
            a[2].type == MSGPACK_OBJECT_ARRAY) {
            if (!annals__is_error_note(msg))
                annals__error_note_stale(c);
            return 2;
        }
    }
    return annals__fail(c, ANNALS_EPROTO, "protocol error: %s sent a message that is not "
                        "a msgpack-RPC response or notification", c->label);
}

int annals__is_error_note(const msgpack_unpacked *msg)
{
    const msgpack_object *a = msg->data.via.array.ptr;
    return a[1].via.str.size == 5 && memcmp(a[1].via.str.ptr, "error", 5) == 0 &&
           a[2].via.array.size >= 1;
}

/* Keep a copy of the response raw (for msgid) for its own annals_recv. */
static void annals__keep_reply(annals_conn *c, uint32_t msgid, annals__raw *raw)
{
    if (c->nkept == c->kept_cap) {
        c->kept_cap = c->kept_cap ? c->kept_cap * 2 : 16;
        c->kept = xrealloc(c->kept, c->kept_cap * sizeof *c->kept);
    }
    c->kept[c->nkept].msgid = msgid;
    c->kept[c->nkept].raw.data = xmemdup(raw->data, raw->len);
    c->kept[c->nkept].raw.len = raw->len;
    c->nkept++;
}

/* Whether the reply to msgid is to be dropped; if so, forget the mark. */
static int annals__discarded(annals_conn *c, uint32_t msgid)
{
    for (size_t i = 0; i < c->ndiscard; i++) {
        if (c->discard[i] == msgid) {
            c->discard[i] = c->discard[--c->ndiscard];
            return 1;
        }
    }
    return 0;
}

void annals__discard_id(annals_conn *c, uint32_t msgid)
{
    if (c->ndiscard == c->discard_cap) {
        c->discard_cap = c->discard_cap ? c->discard_cap * 2 : 16;
        c->discard = xrealloc(c->discard, c->discard_cap * sizeof *c->discard);
    }
    c->discard[c->ndiscard++] = msgid;
}

int annals__dispatch_other(annals_conn *c, int kind, uint32_t id, annals__raw *raw,
                           msgpack_unpacked *msg)
{
    int rc = 0;
    if (kind == 2 && annals__is_error_note(msg)) {
        annals__error_note(c, msg);
        return 0;
    }
    if (kind == 2) {
        if (annals__keeps_notes(c))
            rc = annals__keep_note(c, raw, msg);
    } else {
        long w = annals__waiting_index(c, id);
        if (w < 0)
            rc = annals__fail(c, ANNALS_EPROTO, "protocol error: %s answered msgid %lu, "
                              "which no request is waiting for", c->label,
                              (unsigned long)id);
        else {
            annals__waiting_remove(c, (size_t)w);
            if (!annals__discarded(c, id))
                annals__keep_reply(c, id, raw);
        }
    }
    msgpack_unpacked_destroy(msg);
    return rc;
}

int annals_discard(annals_conn *c, uint32_t msgid)
{
    if (!c)
        return ANNALS_EINVAL;
    for (size_t i = 0; i < c->nkept; i++) {
        if (c->kept[i].msgid == msgid) {
            free(c->kept[i].raw.data);
            memmove(c->kept + i, c->kept + i + 1, (c->nkept - i - 1) * sizeof *c->kept);
            c->nkept--;
            return ANNALS_OK;
        }
    }
    if (annals__waiting_index(c, msgid) < 0)
        return annals__invalid(c, "no request with msgid %lu awaits its reply",
                               (unsigned long)msgid);
    for (size_t i = 0; i < c->ndiscard; i++)
        if (c->discard[i] == msgid)
            return ANNALS_OK;
    annals__discard_id(c, msgid);
    return ANNALS_OK;
}

int annals_recv(annals_conn *c, uint32_t msgid, annals_reply *reply)
{
    if (reply)
        memset(reply, 0, sizeof *reply);
    if (!c)
        return ANNALS_EINVAL;
    if (!reply)
        return annals__invalid(c, "annals_recv needs a reply");
    for (size_t i = 0; i < c->nkept; i++) {
        if (c->kept[i].msgid != msgid)
            continue;
        /* Answered before it was asked for: no wait, even on a connection
         * that has failed since. */
        annals__raw raw = c->kept[i].raw;
        memmove(c->kept + i, c->kept + i + 1, (c->nkept - i - 1) * sizeof *c->kept);
        c->nkept--;
        annals__forget(c);
        msgpack_unpacked msg;
        int rc = annals__decode(c, &raw, &msg);
        if (rc) {
            msgpack_unpacked_destroy(&msg);
            return rc;
        }
        return annals__answer(c, &msg, reply);
    }
    long w = annals__waiting_index(c, msgid);
    int rc = annals__begin(c);
    if (rc)
        return rc;
    if (w < 0)
        return annals__invalid(c, "no request with msgid %lu awaits its reply",
                               (unsigned long)msgid);
    for (size_t i = 0; i < c->ndiscard; i++)
        if (c->discard[i] == msgid)
            return annals__invalid(c, "the reply to msgid %lu was discarded",
                                   (unsigned long)msgid);
    for (;;) {
        annals__raw raw;
        msgpack_unpacked msg;
        int got = annals__next_msg(c, annals__deadline(c), ANNALS__READ_REPLY, &raw);
        if (got == 0)
            return annals__fail(c, ANNALS_ETIMEDOUT, "no reply from %s within %g s",
                                c->label, c->timeout_ms / 1000.0);
        if (got < 0)
            return got;
        uint32_t id = 0;
        int kind = annals__decode(c, &raw, &msg);
        if (kind == 0)
            kind = annals__classify(c, &msg, &id);
        if (kind < 0) {
            msgpack_unpacked_destroy(&msg);
            return kind;
        }
        if (kind == 1 && id == msgid) {
            annals__waiting_remove(c, (size_t)annals__waiting_index(c, msgid));
            return annals__answer(c, &msg, reply);
        }
        if ((rc = annals__dispatch_other(c, kind, id, &raw, &msg)) != 0)
            return rc;
    }
}

int annals_call(annals_conn *c, const char *method, const void *params, size_t len,
                annals_reply *reply)
{
    uint32_t id;
    if (reply)
        memset(reply, 0, sizeof *reply);
    int rc = annals_send(c, method, params, len, &id);
    return rc ? rc : annals_recv(c, id, reply);
}

void annals_reply_free(annals_reply *reply)
{
    if (!reply)
        return;
    if (reply->zone_)
        msgpack_zone_free(reply->zone_);
    free(reply->scratch_);
    memset(reply, 0, sizeof *reply);
}

const msgpack_object *annals_map_get(const msgpack_object *map, const char *key)
{
    if (!map || !key || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
            memcmp(kv->key.via.str.ptr, key, n) == 0)
            return &kv->val;
    }
    return NULL;
}

int annals__uint(const msgpack_object *map, const char *key, uint64_t *out)
{
    const msgpack_object *v = annals_map_get(map, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return -1;
    *out = v->via.u64;
    return 0;
}

int annals__proto(annals_conn *c, const char *method, const char *what)
{
    return annals__fail(c, ANNALS_EPROTO, "protocol error: the result of %s %s", method, what);
}

int annals__method_call(annals_conn *c, const char *method, const buf_t *pb,
                        annals_reply *reply)
{
    uint32_t id;
    memset(reply, 0, sizeof *reply);
    /* Not annals_call: pb is one map the library packed itself, and
     * annals_send's check of a caller's bytes would scan it all again (a
     * put_many's whole batch, already checked as the caller's events). */
    int rc = annals__begin(c);
    if (rc == ANNALS_OK)
        rc = annals__request(c, method, pb ? pb->data : NULL, pb ? pb->len : 0, &id);
    if (rc == ANNALS_OK)
        rc = annals_recv(c, id, reply);
    if (rc == ANNALS_OK && reply->result->type != MSGPACK_OBJECT_MAP) {
        annals_reply_free(reply);
        return annals__proto(c, method, "is not a map");
    }
    return rc;
}
