/* feed.c: the change feed in libannals (PROTOCOL.md section 9):
 * subscribing, and handing each notification of a subscription to its
 * callback. Notifications that arrive while a call waits for its reply
 * are kept by call.c, so a subscriber that calls methods loses none. */
#include <stdlib.h>
#include <string.h>

#include "client/lib/internal.h"
#include "proto/xalloc.h"

annals__sub *annals__sub_find(annals_conn *c, uint64_t sub)
{
    for (size_t i = 0; i < c->nsubs; i++)
        if (c->subs[i].sub == sub)
            return &c->subs[i];
    return NULL;
}

void annals__sub_remove(annals_conn *c, uint64_t sub)
{
    annals__sub *s = annals__sub_find(c, sub);
    if (!s)
        return;
    size_t i = (size_t)(s - c->subs);
    memmove(c->subs + i, c->subs + i + 1, (c->nsubs - i - 1) * sizeof *c->subs);
    c->nsubs--;
}

static void annals__sub_add(annals_conn *c, uint64_t sub, annals_note_cb cb, void *userdata)
{
    if (c->nsubs == c->subs_cap) {
        c->subs_cap = c->subs_cap ? c->subs_cap * 2 : 4;
        c->subs = xrealloc(c->subs, c->subs_cap * sizeof *c->subs);
    }
    c->subs[c->nsubs++] = (annals__sub){ sub, cb, userdata };
}

int annals_subscribe_packed(annals_conn *c, const void *params, size_t len, annals_note_cb cb,
                            void *userdata, uint64_t *sub, uint64_t *seq)
{
    annals_reply rep;
    uint64_t s, q;
    if (!c)
        return ANNALS_EINVAL;
    if (!cb || (len && !params))
        return annals__invalid(c, "annals_subscribe needs a callback");
    /* From the request on, notifications are kept: the first changes may
     * follow the response in the same read. */
    c->subscribing = 1;
    int rc = annals_call(c, "subscribe", params, len, &rep);
    c->subscribing = 0;
    if (rc)
        return rc;
    if (rep.result->type != MSGPACK_OBJECT_MAP || annals__uint(rep.result, "sub", &s) < 0 ||
        annals__uint(rep.result, "seq", &q) < 0) {
        annals_reply_free(&rep);
        return annals__proto(c, "subscribe", "is not a map with sub and seq");
    }
    annals_reply_free(&rep);
    annals__sub_remove(c, s);
    annals__sub_add(c, s, cb, userdata);
    if (sub)
        *sub = s;
    if (seq)
        *seq = q;
    return ANNALS_OK;
}

int annals_subscribe(annals_conn *c, const annals_filter *f, const uint64_t *since,
                     annals_note_cb cb, void *userdata, uint64_t *sub, uint64_t *seq)
{
    buf_t b;
    msgpack_packer pk;
    if (!c)
        return ANNALS_EINVAL;
    if (!annals__filter_valid(f))
        return annals__invalid(c, "a filter value is NULL");
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_map(&pk, annals__filter_size(f) + (since != NULL));
    if (since)
        annals__pack_kv_uint(&pk, "since", *since);
    annals__pack_filter(&pk, f);
    int rc = annals_subscribe_packed(c, b.data, b.len, cb, userdata, sub, seq);
    buf_release(&b);
    return rc;
}

int annals_unsubscribe(annals_conn *c, uint64_t sub, uint64_t *seq)
{
    buf_t b;
    msgpack_packer pk;
    annals_reply rep;
    uint64_t q;
    if (!c)
        return ANNALS_EINVAL;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 1);
    annals__pack_kv_uint(&pk, "sub", sub);
    int rc = annals__method_call(c, "unsubscribe", &b, &rep);
    buf_release(&b);
    /* Whatever the server says, this callback is done: not_found means the
     * subscription had already ended. */
    annals__sub_remove(c, sub);
    if (rc)
        return rc;
    int ok = annals__uint(rep.result, "seq", &q) == 0;
    annals_reply_free(&rep);
    if (!ok)
        return annals__proto(c, "unsubscribe", "has no seq");
    if (seq)
        *seq = q;
    return ANNALS_OK;
}

/* The kind of a notification's method, or 0 for one the feed does not
 * know (ignored, as PROTOCOL.md lets a server add some). */
static int annals__note_kind(const msgpack_object *method)
{
    static const struct { const char *name; annals_note_kind kind; } kinds[] = {
        { "change", ANNALS_NOTE_CHANGE }, { "heartbeat", ANNALS_NOTE_HEARTBEAT },
        { "overflow", ANNALS_NOTE_OVERFLOW }, { "gone", ANNALS_NOTE_GONE },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].name) == method->via.str.size &&
            memcmp(kinds[i].name, method->via.str.ptr, method->via.str.size) == 0)
            return (int)kinds[i].kind;
    return 0;
}

/* Check notification msg (a [2, method, params] other than error) and hand
 * it to its subscription's callback. Returns 0, the callback's positive
 * value, or ANNALS_EPROTO. */
static int annals__deliver(annals_conn *c, const msgpack_unpacked *msg)
{
    const msgpack_object *a = msg->data.via.array.ptr;
    annals_note n;
    memset(&n, 0, sizeof n);
    n.kind = (annals_note_kind)annals__note_kind(&a[1]);
    if (!n.kind)
        return 0;
    const char *name = a[1].via.str.ptr;
    int name_len = (int)a[1].via.str.size;
    n.params = a[2].via.array.size >= 1 ? &a[2].via.array.ptr[0] : NULL;
    if (!n.params || annals__uint(n.params, "sub", &n.sub) < 0 ||
        annals__uint(n.params, "seq", &n.seq) < 0)
        return annals__fail(c, ANNALS_EPROTO, "protocol error: a %.*s notification without "
                            "sub or seq", name_len, name);
    if (n.kind == ANNALS_NOTE_CHANGE) {
        const msgpack_object *op = annals_map_get(n.params, "op");
        const msgpack_object *id = annals_map_get(n.params, "id");
        n.event = annals_map_get(n.params, "event");
        int put = op && op->type == MSGPACK_OBJECT_STR && op->via.str.size == 3 &&
                  memcmp(op->via.str.ptr, "put", 3) == 0;
        n.is_delete = op && op->type == MSGPACK_OBJECT_STR && op->via.str.size == 6 &&
                      memcmp(op->via.str.ptr, "delete", 6) == 0;
        if ((!put && !n.is_delete) || !id || id->type != MSGPACK_OBJECT_STR ||
            (put && (!n.event || n.event->type != MSGPACK_OBJECT_MAP)))
            return annals__fail(c, ANNALS_EPROTO, "protocol error: a change notification "
                                "without seq, op or id");
        if (n.event && n.event->type != MSGPACK_OBJECT_MAP)
            n.event = NULL;
        n.id = id->via.str.ptr;
        n.id_len = id->via.str.size;
    }
    if (n.kind == ANNALS_NOTE_GONE && annals__uint(n.params, "oldest", &n.oldest) < 0)
        return annals__fail(c, ANNALS_EPROTO, "protocol error: a gone notification without "
                            "oldest");
    annals__sub *s = annals__sub_find(c, n.sub);
    if (!s)
        return 0;    /* queued for a subscription that has ended since */
    annals_note_cb cb = s->cb;
    void *userdata = s->userdata;
    /* Overflow and gone end the subscription: the callback may subscribe
     * again, perhaps under the same sub, which must not be removed then. */
    if (n.kind == ANNALS_NOTE_OVERFLOW || n.kind == ANNALS_NOTE_GONE)
        annals__sub_remove(c, n.sub);
    int rc = cb(c, &n, userdata);
    return rc > 0 ? rc : 0;
}

/* The next notification kept by a call, into msg; 0 when there is none. */
static int annals__kept_note(annals_conn *c, msgpack_unpacked *msg)
{
    if (c->notes_head == c->nnotes)
        return 0;
    *msg = c->notes[c->notes_head++];
    if (c->notes_head == c->nnotes)
        c->notes_head = c->nnotes = 0;
    return 1;
}

int annals_follow(annals_conn *c, int timeout_ms)
{
    if (!c)
        return ANNALS_EINVAL;
    int rc = annals__begin(c);
    /* Notifications kept before a failure are still the server's word. */
    if (rc && c->notes_head == c->nnotes)
        return rc;
    if (timeout_ms < -1)
        return annals__invalid(c, "the timeout must be -1 (none) or more milliseconds");
    int64_t deadline = timeout_ms < 0 ? 0 : annals__now_ms() + timeout_ms;
    for (;;) {
        msgpack_unpacked msg;
        uint32_t id = 0;
        int kind = 2;
        if (!annals__kept_note(c, &msg)) {
            if (c->failed)
                return annals__begin(c);
            /* A deadline reached stops the loop even while the server keeps
             * sending, so that the caller gets its turn. */
            if (timeout_ms > 0 && annals__now_ms() >= deadline)
                return ANNALS_OK;
            int got = annals__next_msg(c, timeout_ms == 0 ? annals__now_ms() : deadline, 0, &msg);
            if (got <= 0) {
                msgpack_unpacked_destroy(&msg);
                return got;
            }
            if ((kind = annals__classify(c, &msg, &id)) < 0) {
                msgpack_unpacked_destroy(&msg);
                return kind;
            }
        }
        if (kind == 1 || annals__is_closing_note(&msg)) {
            if ((rc = annals__dispatch_other(c, kind, id, &msg)) != 0)
                return rc;
            continue;
        }
        rc = annals__deliver(c, &msg);
        msgpack_unpacked_destroy(&msg);
        if (rc)
            return rc;
    }
}
