/* rpc.h: msgpack-RPC dispatch: checks the envelope of a decoded message,
 * finds the method, checks its parameter names, runs the handler and packs
 * the response. Handlers never touch sockets: they pack a result or return an
 * error code with a message, and this module turns that into the response. */
#ifndef ANNALS_RPC_H
#define ANNALS_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "daemon/conn.h"

typedef struct {
    server_t *srv;
    conn_t *conn;
    uint32_t msgid;
    const char *method;
    int method_id;                  /* its index in the method table (rpc_method_name) */
    uint64_t arrived_ns;            /* when the request was framed (metrics_now_ns) */
    const msgpack_object *params;   /* the named-parameter map, or NULL */
    msgpack_packer pk;              /* packs the result into conn->out */
    char err[512];                  /* message when the handler fails */
    long err_index;                 /* details.index, or -1 */
    const char *err_detail;         /* another details key, or NULL */
    uint64_t err_detail_value;
    int close_after;                /* close the connection once this reply is written */
} rpc_call;

/* Handlers return 0 once the result is packed, RPC_DEFERRED when a write job
 * will answer later, or a negative ERROR_ code with call->err set. */
#define RPC_DEFERRED 1
typedef int (*rpc_handler)(rpc_call *call);

/* rpc_handle's results. */
enum { RPC_HANDLED = 0, RPC_WAIT = 1 };

/* rpc_handle: handle one message of conn. When busy (earlier write jobs of
 * this connection are not answered yet), only a valid write may go ahead,
 * since anything answered at once would overtake their replies: the function
 * then returns RPC_WAIT without side effects, and the caller retries later. */
int rpc_handle(conn_t *c, const msgpack_object *msg, int busy);

/* rpc_method_count / rpc_method_name: the methods of the table, by index
 * (the names are static). */
size_t rpc_method_count(void);
const char *rpc_method_name(size_t i);

/* rpc_pack_response_begin: append [1, msgid, nil, and ready pk to pack the
 * result, the one object that completes the response, onto out. */
void rpc_pack_response_begin(msgpack_packer *pk, buf_t *out, uint32_t msgid);

/* rpc_pack_response_error: append [1, msgid, [code, message(, details)], nil];
 * details is {index} when index >= 0, or {detail: value} when detail is set. */
void rpc_pack_response_error(buf_t *out, uint32_t msgid, int code, const char *message, long index);
void rpc_pack_response_error_detail(buf_t *out, uint32_t msgid, int code, const char *message,
                                    const char *detail, uint64_t value);

/* rpc_pack_notification_error: append [2, "error", [[code, message]]], for
 * errors that belong to no request. */
void rpc_pack_notification_error(buf_t *out, int code, const char *message);

/* rpc_peek_msgid: the msgid of a request whose first bytes are buf[0..len)
 * ([0, msgid, ...]), when those bytes show it. Returns 0 or -1. */
int rpc_peek_msgid(const char *buf, size_t len, uint32_t *msgid);

#endif
