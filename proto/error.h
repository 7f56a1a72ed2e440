/* error.h: the one table of annals error codes. Each row yields the C enum
 * value, the wire name sent in msgpack-RPC error responses (documented in
 * PROTOCOL.md) and a default message, so code and contract cannot drift. */
#ifndef ANNALS_ERROR_H
#define ANNALS_ERROR_H

#define ERROR_TABLE(X) \
    X(OK,             0, "ok",             "success") \
    X(BAD_REQUEST,   -1, "bad_request",    "bad request") \
    X(UNKNOWN_METHOD,-2, "unknown_method", "unknown method") \
    X(NOT_FOUND,     -3, "not_found",      "not found") \
    X(TOO_LARGE,     -4, "too_large",      "too large") \
    X(DB_FULL,       -5, "db_full",        "database is full") \
    X(INTERNAL,      -6, "internal",       "internal error") \
    X(BUSY,          -7, "busy",           "the server is busy") \
    X(GONE,          -8, "gone",           "changes no longer in the change log") \
    X(TIMEOUT,       -9, "timeout",        "the connection timed out") \
    X(UNAUTHENTICATED,-10, "unauthenticated", "call auth with a valid token first") \
    X(FORBIDDEN,     -11, "forbidden",      "this token may not do that")

typedef enum {
#define ERROR_ENUM_(name, value, wire, msg) ERROR_##name = value,
    ERROR_TABLE(ERROR_ENUM_)
#undef ERROR_ENUM_
} error_code;

/* error_wire_name: the code's wire name ("bad_request"); "internal" for an
 * unknown code. The string is static. */
const char *error_wire_name(int code);

/* error_message: the code's default message; static. */
const char *error_message(int code);

/* error_from_wire: the code of a wire name of len bytes, or ERROR_INTERNAL
 * when the name is unknown (a newer server may send codes we do not know). */
int error_from_wire(const char *name, size_t len);

#endif
