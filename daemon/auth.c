/* auth.c: the auth method and the check before every call (auth.h). */
#include <stdio.h>
#include <string.h>

#include "daemon/auth.h"
#include "daemon/log.h"
#include "daemon/params.h"
#include "daemon/tokens.h"
#include "proto/error.h"
#include "proto/event.h"

int auth_access(const conn_t *c)
{
    return tokens_any(c->srv->tokens) ? c->access : TOKENS_RW;
}

/* Methods that need a read-write token although rpc.c's table does not
 * flag them write (write there means "answered by the writer thread"):
 * backup writes a copy of the database into a directory of the client's
 * choosing on the server, which is no business of a read-only token. */
static const char *const auth_rw_methods[] = { "backup", NULL };

static int auth_needs_rw(const char *method, int write)
{
    for (int i = 0; !write && auth_rw_methods[i]; i++)
        if (strcmp(method, auth_rw_methods[i]) == 0)
            return 1;
    return write;
}

int auth_gate(rpc_call *call, int write)
{
    int access = auth_access(call->conn);
    /* hello tells a client that it must authenticate; auth is how. The
     * names are listed here rather than flagged in rpc.c's method table so
     * that the rule lives in one place. */
    if (strcmp(call->method, "hello") == 0 || strcmp(call->method, "auth") == 0)
        return 0;
    if (access == TOKENS_NONE) {
        snprintf(call->err, sizeof call->err,
                 "%s: this server requires a token: call auth first", call->method);
        return ERROR_UNAUTHENTICATED;
    }
    if (auth_needs_rw(call->method, write) && !(access & TOKENS_RW)) {
        snprintf(call->err, sizeof call->err,
                 "%s writes, and this connection's token is read-only", call->method);
        return ERROR_FORBIDDEN;
    }
    return 0;
}

int auth_authenticate(rpc_call *call)
{
    conn_t *c = call->conn;
    const msgpack_object *tok = params_get(call, "token");
    /* The token itself never goes into a message: messages reach the log. */
    if (!tok || tok->type != MSGPACK_OBJECT_STR) {
        snprintf(call->err, sizeof call->err, tok ? "token: expected a string, got %s"
                 : "token: required", tok ? event_type_name(tok) : "");
        return ERROR_BAD_REQUEST;
    }
    if (tokens_any(call->srv->tokens)) {
        int access = tokens_check(call->srv->tokens, tok->via.str.ptr, tok->via.str.size);
        if (access == TOKENS_NONE) {
            /* The connection keeps what it had: a subscription made with a
             * good token goes on. Guessing is stopped by the tokens'
             * length (tokens.h); closing after a few tries costs a guesser
             * a reconnection and leaves a line in the log for each. */
            c->auth_failures++;
            log_warn("conn %llu (%s): auth with a wrong token (%u of %d)",
                     (unsigned long long)c->id, c->peer, c->auth_failures, AUTH_FAILURES_MAX);
            if (c->auth_failures >= AUTH_FAILURES_MAX) {
                snprintf(call->err, sizeof call->err, "wrong token (%d on this connection): "
                         "closing the connection", AUTH_FAILURES_MAX);
                call->close_after = 1;
            } else {
                snprintf(call->err, sizeof call->err, "wrong token");
            }
            return ERROR_UNAUTHENTICATED;
        }
        c->access = access;
        log_debug("conn %llu (%s): authenticated (%s)", (unsigned long long)c->id, c->peer,
                  tokens_access_name(access));
    }
    msgpack_pack_map(&call->pk, 1);
    buf_pack_cstr(&call->pk, "access");
    buf_pack_cstr(&call->pk, tokens_access_name(auth_access(c)));
    return 0;
}
