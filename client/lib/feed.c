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

static annals__sub *annals__sub_add(annals_conn *c, uint64_t sub, annals_note_cb cb,
                                    void *userdata, uint64_t checkpoint)
{
    if (c->nsubs == c->subs_cap) {
        c->subs_cap = c->subs_cap ? c->subs_cap * 2 : 4;
        c->subs = xrealloc(c->subs, c->subs_cap * sizeof *c->subs);
    }
    c->subs[c->nsubs] = (annals__sub){ sub, cb, userdata, checkpoint, 0 };
    return &c->subs[c->nsubs++];
}

/* Queue raw (taken) without looking at it. */
static void annals__queue(annals_conn *c, annals__raw *raw)
{
    if (c->nnotes == c->notes_cap) {
        if (c->notes_head > 0) {
            memmove(c->notes, c->notes + c->notes_head,
                    (c->nnotes - c->notes_head) * sizeof *c->notes);
            c->nnotes -= c->notes_head;
            c->notes_head = 0;
        } else {
            c->notes_cap = c->notes_cap ? c->notes_cap * 2 : 16;
            c->notes = xrealloc(c->notes, c->notes_cap * sizeof *c->notes);
        }
    }
    c->notes[c->nnotes++] = *raw;
    c->notes_bytes += raw->len;
    raw->data = NULL;
}

/* End subscription s on the library's side: queue an overflow of our own
 * at its checkpoint, drop what comes for it from now on, and ask the server
 * to end it too (its answer is discarded). Returns 0 or a negative status. */
static int annals__overflow_sub(annals_conn *c, annals__sub *s)
{
    buf_t b;
    msgpack_packer pk;
    uint32_t id;
    s->overflowed = 1;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, "overflow");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 3);
    annals__pack_kv_uint(&pk, "sub", s->sub);
    annals__pack_kv_uint(&pk, "seq", s->checkpoint);
    buf_pack_cstr(&pk, "local");
    msgpack_pack_true(&pk);
    annals__raw raw;
    raw.data = buf_take(&b, &raw.len);
    annals__queue(c, &raw);
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 1);
    annals__pack_kv_uint(&pk, "sub", s->sub);
    int rc = annals__request(c, "unsubscribe", b.data, b.len, &id);
    buf_release(&b);
    if (rc == ANNALS_OK)
        annals__discard_id(c, id);
    return rc;
}

/* The queue is over its bytes: drop it, and end every subscription with
 * an overflow of the library's own. */
static int annals__overflow_all(annals_conn *c)
{
    for (size_t i = c->notes_head; i < c->nnotes; i++)
        free(c->notes[i].data);
    c->notes_head = c->nnotes = 0;
    c->notes_bytes = 0;
    if (c->subscribing)
        c->overflow_pending = 1;
    int rc = 0;
    for (size_t i = 0; i < c->nsubs && rc == 0; i++)
        if (!c->subs[i].overflowed)
            rc = annals__overflow_sub(c, &c->subs[i]);
    return rc;
}

/* The sub of notification msg, or 0 when it names none. */
static uint64_t annals__note_sub(const msgpack_unpacked *msg)
{
    const msgpack_object *p = &msg->data.via.array.ptr[2];
    uint64_t sub = 0;
    if (p->via.array.size >= 1)
        annals__uint(&p->via.array.ptr[0], "sub", &sub);
    return sub;
}

int annals__keep_note(annals_conn *c, annals__raw *raw, const msgpack_unpacked *msg)
{
    annals__sub *s = annals__sub_find(c, annals__note_sub(msg));
    if (s && s->overflowed)
        return 0;
    if (c->notes_bytes + raw->len > ANNALS__NOTES_MAX)
        return annals__overflow_all(c);
    annals__raw copy = { xmemdup(raw->data, raw->len), raw->len };
    annals__queue(c, &copy);
    return 0;
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
    c->overflow_pending = 0;
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
    /* Until a change is delivered, the checkpoint is where it starts. */
    uint64_t since = q;
    if (len) {
        msgpack_unpacked p;
        size_t off = 0;
        msgpack_unpacked_init(&p);
        if (msgpack_unpack_next(&p, params, len, &off) == MSGPACK_UNPACK_SUCCESS)
            annals__uint(&p.data, "since", &since);
        msgpack_unpacked_destroy(&p);
    }
    annals__sub *added = annals__sub_add(c, s, cb, userdata, since);
    if (c->overflow_pending) {
        /* The queue overflowed while this subscribe waited: what came for it
         * was dropped with the rest. */
        c->overflow_pending = 0;
        if ((rc = annals__overflow_sub(c, added)) != 0)
            return rc;
    }
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
        return annals__invalid(c, "a filter value is NULL, or the filter's reserved space "
                               "is not zero");
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
    if (s->overflowed && !(n.kind == ANNALS_NOTE_OVERFLOW && annals_map_get(n.params, "local")))
        return 0;    /* the library ended it: only its own overflow is told */
    if (n.kind == ANNALS_NOTE_CHANGE || n.kind == ANNALS_NOTE_HEARTBEAT)
        s->checkpoint = n.seq;
    annals_note_cb cb = s->cb;
    void *userdata = s->userdata;
    /* Overflow and gone end the subscription: the callback may subscribe
     * again, perhaps under the same sub, which must not be removed then. */
    if (n.kind == ANNALS_NOTE_OVERFLOW || n.kind == ANNALS_NOTE_GONE)
        annals__sub_remove(c, n.sub);
    int rc = cb(c, &n, userdata);
    return rc > 0 ? rc : 0;
}

/* The next notification kept by a call, into raw; 0 when there is none. */
static int annals__kept_note(annals_conn *c, annals__raw *raw)
{
    if (c->notes_head == c->nnotes)
        return 0;
    *raw = c->notes[c->notes_head++];
    c->notes_bytes -= raw->len;
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
    /* 0: what has arrived by now, and no more, however fast more comes. */
    int how = ANNALS__READ_NOTE;
    if (timeout_ms == 0 && !c->failed) {
        annals__read_pending(c);
        how = ANNALS__READ_NONE;
    }
    for (;;) {
        annals__raw raw;
        msgpack_unpacked msg;
        uint32_t id = 0;
        int kind = 2;
        if (!annals__kept_note(c, &raw)) {
            if (c->failed)
                return annals__begin(c);
            /* A deadline reached stops the loop even while the server keeps
             * sending, so that the caller gets its turn. */
            if (timeout_ms > 0 && annals__now_ms() >= deadline)
                return ANNALS_OK;
            int got = annals__next_msg(c, deadline, how, &raw);
            if (got <= 0)
                return got;
            if ((rc = annals__decode(c, &raw, &msg)) == 0)
                rc = kind = annals__classify(c, &msg, &id);
            if (rc < 0) {
                msgpack_unpacked_destroy(&msg);
                return rc;
            }
        } else if ((rc = annals__decode(c, &raw, &msg)) != 0) {
            msgpack_unpacked_destroy(&msg);
            return rc;
        }
        if (kind == 1 || annals__is_error_note(&msg)) {
            if ((rc = annals__dispatch_other(c, kind, id, &raw, &msg)) != 0)
                return rc;
            continue;
        }
        rc = annals__deliver(c, &msg);
        msgpack_unpacked_destroy(&msg);
        if (rc)
            return rc;
    }
}
