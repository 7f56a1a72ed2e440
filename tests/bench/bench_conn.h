/* bench_conn.h: a minimal blocking msgpack-RPC connection to annalsd for the
 * load generator, over a Unix socket or TCP. One thread owns a connection.
 * Requests are packed into an output buffer and written whole; messages of
 * every kind (responses and notifications) are read back in order, each
 * stamped with the CLOCK_MONOTONIC time of the read that completed it. */
#ifndef ANNALS_BENCH_CONN_H
#define ANNALS_BENCH_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/buf.h"

typedef struct {
    const char *socket_path;  /* a Unix socket when not NULL, else TCP */
    const char *host;
    const char *port;
} bench_addr;

typedef struct bench_conn bench_conn;

/* bench_conn_open: connect to a. On success *out is a connection the caller
 * frees with bench_conn_close. Returns 0, or -1 with a message in err. */
int bench_conn_open(const bench_addr *a, bench_conn **out, char *err, size_t errlen);

/* bench_conn_close: close the socket and free c; NULL is ignored. */
void bench_conn_close(bench_conn *c);

/* bench_conn_begin: start the request [0, msgid, method, params] in the
 * output buffer and return its msgid; the caller then packs params (an
 * array) with pk, which bench_conn_begin initialises. */
uint32_t bench_conn_begin(bench_conn *c, const char *method, msgpack_packer *pk);

/* bench_conn_pending: the bytes buffered and not yet sent. */
size_t bench_conn_pending(const bench_conn *c);

/* bench_conn_send: write everything buffered (blocking). 0 or -1. */
int bench_conn_send(bench_conn *c, char *err, size_t errlen);

/* bench_conn_next: the next message, waiting at most timeout_ms. Returns 1
 * with the message in msg (valid until the next call on c; msg must have
 * been msgpack_unpacked_init'ed) and *at_ns the time its last bytes were
 * read; 0 on timeout; -1 with a message in err when the connection failed or
 * the server closed it. */
int bench_conn_next(bench_conn *c, int timeout_ms, msgpack_unpacked *msg, int64_t *at_ns,
                    char *err, size_t errlen);

/* bench_conn_response: check that m is the response to msgid and not an
 * error. Returns 0 with *result pointing into m, or -1 with the server's
 * error (or what else m is) in err. For pipelined requests, whose
 * responses the caller reads with bench_conn_next in the order sent. */
int bench_conn_response(const msgpack_object *m, uint32_t msgid, const msgpack_object **result,
                        char *err, size_t errlen);

/* bench_conn_call: send the buffered request msgid and wait (at most
 * timeout_ms) for its response, which must come next. Returns 0 with *result
 * pointing into msg, or -1 with the server's error or the failure in err. */
int bench_conn_call(bench_conn *c, uint32_t msgid, int timeout_ms, msgpack_unpacked *msg,
                    const msgpack_object **result, int64_t *at_ns, char *err, size_t errlen);

/* Helpers for reading maps with string keys. */
const msgpack_object *bench_map_get(const msgpack_object *map, const char *key);
int bench_map_uint(const msgpack_object *map, const char *key, uint64_t *out);

/* bench_describe: a short rendering of o (up to len bytes) for messages. */
void bench_describe(const msgpack_object *o, char *out, size_t len);

#endif
