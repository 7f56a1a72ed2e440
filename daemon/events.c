/* events.c: put, put_many, get and delete (see events.h). Writes are
 * validated here on the loop thread and handed to the writer; the reply goes
 * out once the commit is durable. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/events.h"
#include "daemon/feed.h"
#include "daemon/idgen.h"
#include "daemon/log.h"
#include "daemon/params.h"
#include "daemon/store.h"
#include "proto/error.h"
#include "proto/xalloc.h"

/* The fields the server adds to a record (seq, created, updated, bounds,
 * certainty) are packed by hand into a local buffer and handed to the packer
 * in one piece: a packer call per token, and a snprintf per timestamp, cost
 * more than the record's lookup. The bytes are the ones msgpack_pack_* would
 * write: the smallest encoding of each integer, fixstr below 32 bytes. */
#define EVENTS_TAIL_MAX 256

/* A string of fewer than 32 bytes. */
static char *events_put_fixstr(char *p, const char *s, size_t n)
{
    *p++ = (char)(0xa0 | n);
    memcpy(p, s, n);
    return p + n;
}

#define EVENTS_PUT_KEY(p, lit) events_put_fixstr(p, lit, sizeof lit - 1)

static char *events_put_be(char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (char)(v & 0xff);
        v >>= 8;
    }
    return p + bytes;
}

static char *events_put_uint(char *p, uint64_t v)
{
    if (v < 0x80) {
        *p++ = (char)v;
        return p;
    }
    if (v <= 0xff) {
        *p++ = (char)0xcc;
        return events_put_be(p, v, 1);
    }
    if (v <= 0xffff) {
        *p++ = (char)0xcd;
        return events_put_be(p, v, 2);
    }
    if (v <= 0xffffffff) {
        *p++ = (char)0xce;
        return events_put_be(p, v, 4);
    }
    *p++ = (char)0xcf;
    return events_put_be(p, v, 8);
}

/* An instant "YYYY-MM-DDThh:mm:ssZ". edtf_format_instant writes a NUL after
 * it, which the next field overwrites. */
static char *events_put_instant(char *p, edtf_time t)
{
    size_t n = edtf_format_instant(t, p + 1);
    *p = (char)(0xa0 | n);
    return p + 1 + n;
}

/* A time in milliseconds, "YYYY-MM-DDThh:mm:ss.mmmZ". */
static char *events_put_ms(char *p, int64_t ms)
{
    edtf_time secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - secs * 1000);
    size_t n = edtf_format_instant(secs, p + 1);
    char *q = p + n;            /* the 'Z' */
    *q++ = '.';
    *q++ = (char)('0' + frac / 100);
    *q++ = (char)('0' + frac / 10 % 10);
    *q++ = (char)('0' + frac % 10);
    *q++ = 'Z';
    *p = (char)(0xa0 | (q - p - 1));
    return q;
}

static char *events_put_instant_pair(char *p, edtf_time lo, edtf_time hi)
{
    *p++ = (char)0x92;          /* an array of 2 */
    p = events_put_instant(p, lo);
    return events_put_instant(p, hi);
}

void events_pack_record(msgpack_packer *pk, const char *id, size_t idlen,
                        const index_record *rec, int certainty)
{
    const unsigned char *b = (const unsigned char *)rec->body;
    uint32_t n = 0;
    size_t hdr = 0;
    if (rec->body_len >= 1 && b[0] >= 0x80 && b[0] <= 0x8f) {
        n = b[0] & 0x0f;
        hdr = 1;
    } else if (rec->body_len >= 3 && b[0] == 0xde) {
        n = (uint32_t)b[1] << 8 | b[2];
        hdr = 3;
    } else if (rec->body_len >= 5 && b[0] == 0xdf) {
        n = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4];
        hdr = 5;
    }
    msgpack_pack_map(pk, n + 5 + (certainty >= 0));
    buf_pack_cstr(pk, "id");
    buf_pack_str(pk, id, idlen);
    /* The stored body is already the canonical msgpack of the other fields:
     * copy its entries as they are. */
    if (hdr)
        pk->callback(pk->data, rec->body + hdr, rec->body_len - hdr);

    char tail[EVENTS_TAIL_MAX];
    char *p = tail;
    p = EVENTS_PUT_KEY(p, "seq");
    p = events_put_uint(p, rec->seq);
    p = EVENTS_PUT_KEY(p, "created");
    p = events_put_ms(p, rec->created_ms);
    p = EVENTS_PUT_KEY(p, "updated");
    p = events_put_ms(p, rec->updated_ms);
    p = EVENTS_PUT_KEY(p, "bounds");
    *p++ = (char)0x82;          /* a map of 2 */
    p = EVENTS_PUT_KEY(p, "start");
    p = events_put_instant_pair(p, rec->bounds.start_lo, rec->bounds.start_hi);
    p = EVENTS_PUT_KEY(p, "end");
    p = events_put_instant_pair(p, rec->bounds.end_lo, rec->bounds.end_hi);
    if (certainty >= 0) {
        p = EVENTS_PUT_KEY(p, "certainty");
        if (certainty == EDTF_CERTAIN)
            p = EVENTS_PUT_KEY(p, "certain");
        else
            p = EVENTS_PUT_KEY(p, "possible");
    }
    pk->callback(pk->data, tail, (size_t)(p - tail));
}

/* Validate one event into a writer item; the id is generated when absent. */
static int events_prepare(rpc_call *call, const msgpack_object *obj, writer_item *it)
{
    event_t ev;
    event_init(&ev);
    int rc = event_validate(obj, call->srv->cfg->max_record_size, &ev, call->err, sizeof call->err);
    if (rc) {
        event_release(&ev);
        return rc;
    }
    if (ev.id_len == 0) {
        idgen_next(ev.id);
        ev.id_len = IDGEN_LEN;
    }
    it->id = xstrndup(ev.id, ev.id_len);
    it->idlen = ev.id_len;
    it->bounds = ev.bounds;
    it->body = buf_take(&ev.body, &it->body_len);
    event_release(&ev);
    return 0;
}

static void events_on_done(writer_job *job)
{
    conn_t *c = job->owner;
    server_t *srv = c->srv;
    if (!c->closing) {
        if (job->rc) {
            rpc_pack_response_error(&c->out, job->msgid, job->rc, job->err, job->err_index);
        } else {
            msgpack_packer pk;
            rpc_pack_response_begin(&pk, &c->out, job->msgid);
            if (job->op == WRITER_DELETE) {
                msgpack_pack_map(&pk, 1);
            } else if (job->many) {
                msgpack_pack_map(&pk, 2);
                buf_pack_cstr(&pk, "ids");
                msgpack_pack_array(&pk, (uint32_t)job->nitems);
                for (size_t i = 0; i < job->nitems; i++)
                    buf_pack_str(&pk, job->items[i].id, job->items[i].idlen);
            } else {
                msgpack_pack_map(&pk, 2);
                buf_pack_cstr(&pk, "id");
                buf_pack_str(&pk, job->items[0].id, job->items[0].idlen);
            }
            buf_pack_cstr(&pk, "seq");
            msgpack_pack_uint64(&pk, job->seq);
        }
    }
    if (c->closing)
        metrics_dropped(&srv->metrics, job->method);
    else
        metrics_reply(&srv->metrics, job->method, job->rc, job->arrived_ns);
    c->pending_jobs--;
    c->pending_bytes -= writer_job_bytes(job);
    /* The writer's acknowledgement goes out first; subscribers' copies are
     * queued now and flushed once for the whole commit (feed_flush). */
    conn_job_done(c);
    feed_publish(srv, job);
    writer_job_free(job);
}

static void events_submit(rpc_call *call, writer_job *job)
{
    job->owner = call->conn;
    job->msgid = call->msgid;
    job->method = call->method_id;
    job->arrived_ns = call->arrived_ns;
    job->done = events_on_done;
    call->conn->pending_jobs++;
    call->conn->pending_bytes += writer_job_bytes(job);
    writer_submit(call->srv->writer, job);
}

int events_put(rpc_call *call)
{
    const msgpack_object *obj = params_get(call, "event");
    if (!obj) {
        snprintf(call->err, sizeof call->err, "event: required");
        return ERROR_BAD_REQUEST;
    }
    writer_job *job = writer_job_new(WRITER_PUT, 1);
    int rc = events_prepare(call, obj, &job->items[0]);
    if (rc) {
        writer_job_free(job);
        return rc;
    }
    events_submit(call, job);
    return RPC_DEFERRED;
}

int events_put_many(rpc_call *call)
{
    const msgpack_object *arr = params_get(call, "events");
    if (!arr) {
        snprintf(call->err, sizeof call->err, "events: required");
        return ERROR_BAD_REQUEST;
    }
    if (arr->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(call->err, sizeof call->err, "events: expected an array, got %s", event_type_name(arr));
        return ERROR_BAD_REQUEST;
    }
    if (arr->via.array.size > EVENTS_PUT_MANY_MAX) {
        snprintf(call->err, sizeof call->err, "events: at most %d events per put_many, got %u",
                 EVENTS_PUT_MANY_MAX, arr->via.array.size);
        return ERROR_TOO_LARGE;
    }
    writer_job *job = writer_job_new(WRITER_PUT, arr->via.array.size);
    for (uint32_t i = 0; i < arr->via.array.size; i++) {
        char msg[sizeof call->err + 32];
        int rc = events_prepare(call, &arr->via.array.ptr[i], &job->items[i]);
        if (rc) {
            snprintf(msg, sizeof msg, "events[%u]: %s", i, call->err);
            size_t n = strlen(msg) < sizeof call->err ? strlen(msg) : sizeof call->err - 1;
            memcpy(call->err, msg, n);
            call->err[n] = '\0';
            call->err_index = i;
            writer_job_free(job);
            return rc;
        }
    }
    job->many = 1;
    events_submit(call, job);
    return RPC_DEFERRED;
}

static int events_id_param(rpc_call *call, const char **id, size_t *idlen)
{
    int rc = params_str(call, "id", 1, id, idlen);
    if (rc)
        return rc;
    return event_check_id("id", *id, *idlen, call->err, sizeof call->err);
}

int events_get(rpc_call *call)
{
    const char *id;
    size_t idlen;
    int rc = events_id_param(call, &id, &idlen);
    if (rc)
        return rc;
    store_reader *r;
    if ((rc = store_read_begin(call->srv->store, &r, call->err, sizeof call->err)))
        return rc;
    index_record rec;
    rc = store_get(r, id, idlen, &rec);
    if (rc == 0) {
        msgpack_pack_map(&call->pk, 1);
        buf_pack_cstr(&call->pk, "event");
        events_pack_record(&call->pk, id, idlen, &rec, -1);
    } else if (rc == ERROR_NOT_FOUND) {
        snprintf(call->err, sizeof call->err, "no event with id '%.*s'", (int)idlen, id);
    } else {
        snprintf(call->err, sizeof call->err, "cannot read event '%.*s'", (int)idlen, id);
    }
    store_read_end(r);
    return rc;
}

int events_delete(rpc_call *call)
{
    const char *id;
    size_t idlen;
    int rc = events_id_param(call, &id, &idlen);
    if (rc)
        return rc;
    writer_job *job = writer_job_new(WRITER_DELETE, 1);
    job->items[0].id = xstrndup(id, idlen);
    job->items[0].idlen = idlen;
    events_submit(call, job);
    return RPC_DEFERRED;
}
