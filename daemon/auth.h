/* auth.h: who may call what. When tokens are configured (tokens.h), a
 * connection starts with no rights: it may call hello and auth only, and
 * auth with a token gives it read-only or read-write access. rpc.c asks
 * auth_gate before every call. */
#ifndef ANNALS_AUTH_H
#define ANNALS_AUTH_H

#include "daemon/rpc.h"

/* Wrong tokens one connection may present; the last of them is answered
 * and the connection closed. */
#define AUTH_FAILURES_MAX 3

/* auth_gate: whether call (its method set) may run on its connection: 0,
 * ERROR_UNAUTHENTICATED when the connection has not authenticated, or
 * ERROR_FORBIDDEN when it has a read-only token and the method writes
 * (write, its flag in rpc.c's table, or auth.c's own list); call->err says
 * why. Always 0 when no token is configured. */
int auth_gate(rpc_call *call, int write);

/* auth_authenticate: the auth method: [{token}] -> {access}. */
int auth_authenticate(rpc_call *call);

/* auth_access: the rights of c now, TOKENS_NONE, TOKENS_RO or TOKENS_RW
 * (always TOKENS_RW when no token is configured). */
int auth_access(const conn_t *c);

#endif
