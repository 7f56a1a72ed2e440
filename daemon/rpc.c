/* rpc.c: the method table and msgpack-RPC dispatch (see rpc.h). */
#include <stdio.h>
#include <string.h>

#include "daemon/aggregate.h"
#include "daemon/auth.h"
#include "daemon/backup.h"
#include "daemon/events.h"
#include "daemon/feed.h"
#include "daemon/index_wait.h"
#include "daemon/info.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/params.h"
#include "daemon/query.h"
#include "daemon/rpc.h"
#include "proto/error.h"
#include "proto/utf8.h"

typedef struct {
    const char *name;
    rpc_handler fn;
    int write;                  /* answered by the writer thread */
    int index;                  /* reads the indexes: waits for them to catch up */
    const char *params[24];     /* accepted parameter names */
} rpc_method;

/* The filter parameters every query and feed method takes (filter.h). */
#define RPC_FILTERS "from", "to", "mode", "kind", "country", "tag", "participant", "place", \
                    "parent", "q"

static const rpc_method rpc_methods[] = {
    { "hello",    info_hello,      0, 0, { NULL } },
    { "auth",     auth_authenticate, 0, 0, { "token", NULL } },
    { "ping",     info_ping,       0, 0, { NULL } },
    { "stats",    info_stats,      0, 0, { NULL } },
    { "put",      events_put,      1, 0, { "event", NULL } },
    { "put_many", events_put_many, 1, 0, { "events", NULL } },
    { "get",      events_get,      0, 0, { "id", NULL } },
    { "delete",   events_delete,   1, 0, { "id", NULL } },
    { "range",    query_range,     0, 1, { RPC_FILTERS, "limit", "order", "cursor", NULL } },
    { "count",    query_count,     0, 1, { RPC_FILTERS, NULL } },
    { "histogram", aggregate_histogram, 0, 1, { RPC_FILTERS, "bucket", "spread", NULL } },
    { "top",      aggregate_top,   0, 1, { RPC_FILTERS, "field", "limit", NULL } },
    { "subscribe", feed_subscribe, 0, 0, { "since", RPC_FILTERS, NULL } },
    { "unsubscribe", feed_unsubscribe, 0, 0, { "sub", NULL } },
    { "changes",  feed_changes,    0, 0, { "since", "limit", RPC_FILTERS, NULL } },
    { "backup",   backup_start,    0, 0, { "path", NULL } },
};

#define RPC_NMETHODS (sizeof rpc_methods / sizeof rpc_methods[0])

size_t rpc_method_count(void)
{
    return RPC_NMETHODS;
}

const char *rpc_method_name(size_t i)
{
    return i < RPC_NMETHODS ? rpc_methods[i].name : NULL;
}

static const rpc_method *rpc_find(const char *name, size_t len)
{
    for (size_t i = 0; i < RPC_NMETHODS; i++)
        if (strlen(rpc_methods[i].name) == len && memcmp(rpc_methods[i].name, name, len) == 0)
            return &rpc_methods[i];
    return NULL;
}

static void rpc_pack_error_array(msgpack_packer *pk, int code, const char *message,
                                 const char *detail, uint64_t value)
{
    msgpack_pack_array(pk, detail ? 3 : 2);
    buf_pack_cstr(pk, error_wire_name(code));
    /* A message its buffer cut short may end inside a character: the wire
     * carries well-formed UTF-8 only. */
    const char *m = message && *message ? message : error_message(code);
    size_t len = strlen(m);
    buf_pack_str(pk, m, utf8_prefix(m, len, len));
    if (detail) {
        msgpack_pack_map(pk, 1);
        buf_pack_cstr(pk, detail);
        msgpack_pack_uint64(pk, value);
    }
}

void rpc_pack_response_begin(msgpack_packer *pk, buf_t *out, uint32_t msgid)
{
    buf_packer_init(pk, out);
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_uint32(pk, msgid);
    msgpack_pack_nil(pk);
}

void rpc_pack_response_error_detail(buf_t *out, uint32_t msgid, int code, const char *message,
                                    const char *detail, uint64_t value)
{
    msgpack_packer pk;
    buf_packer_init(&pk, out);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint32(&pk, msgid);
    rpc_pack_error_array(&pk, code, message, detail, value);
    msgpack_pack_nil(&pk);
}

void rpc_pack_response_error(buf_t *out, uint32_t msgid, int code, const char *message, long index)
{
    rpc_pack_response_error_detail(out, msgid, code, message, index >= 0 ? "index" : NULL,
                                   index >= 0 ? (uint64_t)index : 0);
}

void rpc_pack_notification_error(buf_t *out, int code, const char *message)
{
    msgpack_packer pk;
    buf_packer_init(&pk, out);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, "error");
    msgpack_pack_array(&pk, 1);
    rpc_pack_error_array(&pk, code, message, NULL, 0);
}

int rpc_peek_msgid(const char *buf, size_t len, uint32_t *msgid)
{
    const unsigned char *p = (const unsigned char *)buf;
    /* fixarray of 4 (or array16/32 of 4), then the integer 0, then msgid. */
    size_t i;
    if (len >= 1 && p[0] == 0x94)
        i = 1;
    else if (len >= 3 && p[0] == 0xdc && p[1] == 0 && p[2] == 4)
        i = 3;
    else if (len >= 5 && p[0] == 0xdd && p[1] == 0 && p[2] == 0 && p[3] == 0 && p[4] == 4)
        i = 5;
    else
        return -1;
    if (i >= len || p[i] != 0x00)
        return -1;
    i++;
    if (i >= len)
        return -1;
    if (p[i] <= 0x7f) {
        *msgid = p[i];
        return 0;
    }
    int n = p[i] == 0xcc ? 1 : p[i] == 0xcd ? 2 : p[i] == 0xce ? 4 : 0;
    if (!n || i + 1 + (size_t)n > len)
        return -1;
    uint32_t v = 0;
    for (int k = 0; k < n; k++)
        v = (v << 8) | p[i + 1 + k];
    *msgid = v;
    return 0;
}

/* Check the parameter names against the method's list. */
static int rpc_check_params(rpc_call *call, const rpc_method *m)
{
    if (!call->params)
        return 0;
    const msgpack_object_map *map = &call->params->via.map;
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR) {
            snprintf(call->err, sizeof call->err, "parameter names must be strings");
            return ERROR_BAD_REQUEST;
        }
        int known = 0;
        for (int j = 0; m->params[j]; j++)
            if (strlen(m->params[j]) == k->via.str.size &&
                memcmp(m->params[j], k->via.str.ptr, k->via.str.size) == 0)
                known = 1;
        for (uint32_t j = 0; j < i && known; j++) {
            const msgpack_object *o = &map->ptr[j].key;
            if (o->type == MSGPACK_OBJECT_STR && o->via.str.size == k->via.str.size &&
                memcmp(o->via.str.ptr, k->via.str.ptr, k->via.str.size) == 0) {
                snprintf(call->err, sizeof call->err, "%.*s: given twice",
                         (int)k->via.str.size, k->via.str.ptr);
                return ERROR_BAD_REQUEST;
            }
        }
        if (!known) {
            snprintf(call->err, sizeof call->err, "unknown parameter '%.*s' for %s",
                     (int)utf8_prefix(k->via.str.ptr, k->via.str.size, 64), k->via.str.ptr, m->name);
            return ERROR_BAD_REQUEST;
        }
    }
    return 0;
}

/* Reply to a message that is not a well-formed request: with a response
 * when its msgid can be read, else with an error notification. */
static int rpc_shape_error(conn_t *c, const msgpack_object *msg, int busy, const char *why)
{
    if (busy)
        return RPC_WAIT;
    metrics_malformed(&c->srv->metrics);
    if (msg->type == MSGPACK_OBJECT_ARRAY && msg->via.array.size >= 2 &&
        msg->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        msg->via.array.ptr[0].via.u64 == 0 &&
        msg->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        msg->via.array.ptr[1].via.u64 <= UINT32_MAX)
        rpc_pack_response_error(&c->out, (uint32_t)msg->via.array.ptr[1].via.u64,
                                ERROR_BAD_REQUEST, why, -1);
    else
        rpc_pack_notification_error(&c->out, ERROR_BAD_REQUEST, why);
    return RPC_HANDLED;
}

int rpc_handle(conn_t *c, const msgpack_object *msg, int busy)
{
    c->wait_method = -1;
    if (msg->type != MSGPACK_OBJECT_ARRAY || msg->via.array.size == 0)
        return rpc_shape_error(c, msg, busy, "a message must be an array [type, ...]");
    const msgpack_object *a = msg->via.array.ptr;
    if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 > 2)
        return rpc_shape_error(c, msg, busy, "message type must be 0 (request), 1 or 2");
    if (a[0].via.u64 != 0) {
        /* Responses and notifications from a client: we define none. */
        c->srv->metrics.ignored++;
        log_debug("conn %llu: ignored a message of type %llu", (unsigned long long)c->id,
                  (unsigned long long)a[0].via.u64);
        return RPC_HANDLED;
    }
    if (msg->via.array.size != 4)
        return rpc_shape_error(c, msg, busy, "a request must be [0, msgid, method, params]");
    if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[1].via.u64 > UINT32_MAX)
        return rpc_shape_error(c, msg, busy, "msgid must be an unsigned 32-bit integer");

    rpc_call call;
    memset(&call, 0, sizeof call);
    call.srv = c->srv;
    call.conn = c;
    call.msgid = (uint32_t)a[1].via.u64;
    call.err_index = -1;
    call.method_id = -1;
    call.arrived_ns = c->req_arrived_ns;

    const rpc_method *m = NULL;
    int rc;
    if (a[2].type != MSGPACK_OBJECT_STR) {
        snprintf(call.err, sizeof call.err, "method must be a string, got %s", event_type_name(&a[2]));
        rc = ERROR_BAD_REQUEST;
    } else if (!(m = rpc_find(a[2].via.str.ptr, a[2].via.str.size))) {
        snprintf(call.err, sizeof call.err, "unknown method '%.*s'",
                 (int)utf8_prefix(a[2].via.str.ptr, a[2].via.str.size, 64), a[2].via.str.ptr);
        rc = ERROR_UNKNOWN_METHOD;
    } else if (a[3].type != MSGPACK_OBJECT_ARRAY || a[3].via.array.size > 1 ||
               (a[3].via.array.size == 1 && a[3].via.array.ptr[0].type != MSGPACK_OBJECT_MAP)) {
        snprintf(call.err, sizeof call.err, "params must be [] or [{named parameters}]");
        rc = ERROR_BAD_REQUEST;
    } else {
        /* Should the connection close while this request waits, it is
         * counted as dropped (conn_close). */
        c->wait_method = (int)(m - rpc_methods);
        if (busy && !m->write)
            return RPC_WAIT;
        /* Writes queue behind the pending ones, but only so many bytes of
         * them: a client that pipelines writes without reading waits here
         * (and, its input buffer full, stops being read). */
        if (busy && c->pending_bytes >= c->srv->cfg->output_limit)
            return RPC_WAIT;
        call.method = m->name;
        call.method_id = (int)(m - rpc_methods);
        call.params = a[3].via.array.size ? &a[3].via.array.ptr[0] : NULL;
        /* Rights first: a caller without them learns nothing from the
         * checks of its parameters. */
        rc = auth_gate(&call, m->write);
        if (rc == 0)
            rc = rpc_check_params(&call, m);
        if (rc == 0 && m->index && (rc = index_wait_before(&call)) == RPC_WAIT)
            return RPC_WAIT;
    }
    if (rc && busy)
        return RPC_WAIT;

    size_t mark = c->out.len;
    if (rc == 0) {
        rpc_pack_response_begin(&call.pk, &c->out, call.msgid);
        rc = m->fn(&call);
        if (rc != 0)
            c->out.len = mark;   /* drop the half-packed success */
        if (rc == RPC_DEFERRED) {
            /* Accounted for where its reply is queued, or where it is
             * dropped with its connection. */
            c->requests++;
            return RPC_HANDLED;
        }
        if (rc && busy)
            return RPC_WAIT;
    }
    c->requests++;
    if (m)
        metrics_reply(&c->srv->metrics, (int)(m - rpc_methods), rc, call.arrived_ns);
    else if (rc == ERROR_UNKNOWN_METHOD)
        metrics_unknown_method(&c->srv->metrics);
    else
        metrics_malformed(&c->srv->metrics);     /* the method is not a string */
    if (rc) {
        if (call.err_detail)
            rpc_pack_response_error_detail(&c->out, call.msgid, rc, call.err, call.err_detail,
                                           call.err_detail_value);
        else
            rpc_pack_response_error(&c->out, call.msgid, rc, call.err, call.err_index);
        /* The method and the code only: a message may quote what the
         * client sent (an event, an id, a participant, a method name), and
         * client data stays out of the log at every level. */
        log_debug("conn %llu: %s -> %s", (unsigned long long)c->id, m ? m->name : "?",
                  error_wire_name(rc));
    }
    if (call.close_after) {
        conn_set_close_reason(c, "auth failures");
        conn_finish(c);
    }
    return RPC_HANDLED;
}
