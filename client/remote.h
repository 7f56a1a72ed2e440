/* remote.h: one msgpack-RPC connection from the client to annalsd, over TCP
 * or a Unix socket. Requests are packed into an output buffer and sent with
 * remote_flush, so several may be pipelined; responses are read back in
 * order with remote_recv. Every wait is bounded by the connection's timeout.
 * Errors are -1 with an English message in the caller's err buffer; once the
 * connection has failed it stays failed. */
#ifndef ANNALS_CLIENT_REMOTE_H
#define ANNALS_CLIENT_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/buf.h"

/* The largest reply accepted: a range page of 1000 events of 1 MiB each. */
#define REMOTE_MAX_REPLY ((size_t)1100 * 1024 * 1024)

typedef struct {
    const char *socket_path; /* a Unix socket when not NULL, else TCP */
    const char *host;        /* name or address; "[::1]" is accepted */
    const char *port;        /* decimal */
} remote_addr;

typedef struct remote remote_t;

typedef struct {
    msgpack_unpacked msg;          /* owns the objects below */
    const msgpack_object *result;  /* NULL when error is set */
    const msgpack_object *error;   /* the [code, message, details?] array, or NULL */
    int closing;                   /* the error came as an "error" notification:
                                      the server is closing the connection */
} remote_reply;

/* remote_open: connect to a, waiting at most timeout_ms (0: no limit, which
 * also applies to every later wait). On success *out is a connection the
 * caller frees with remote_close. */
int remote_open(const remote_addr *a, int timeout_ms, remote_t **out,
                char *err, size_t errlen);

/* remote_close: close the socket and free r; NULL is ignored. */
void remote_close(remote_t *r);

/* remote_set_timeout: from now on, bound each wait by timeout_ms (0: no
 * limit) instead of the timeout given to remote_open (for a request that
 * is known to take long, such as a backup). */
void remote_set_timeout(remote_t *r, int timeout_ms);

/* remote_label: "host:port" or the socket path, for messages; owned by r. */
const char *remote_label(const remote_t *r);

/* remote_begin: start the request [0, msgid, method, params] in the output
 * buffer and return its msgid; the caller then packs params (an array) with
 * pk, which remote_begin initialises. Nothing is sent before remote_flush. */
uint32_t remote_begin(remote_t *r, const char *method, msgpack_packer *pk);

/* remote_outbuf: the output buffer, for appending pre-packed bytes between
 * remote_begin and remote_flush. Owned by r. */
buf_t *remote_outbuf(remote_t *r);

/* remote_flush: send everything buffered. Replies that arrive meanwhile are
 * kept for remote_recv, so a server answering while we still write never
 * deadlocks us. Returns 0 (also when the server closed the connection: the
 * next remote_recv reports it after any reply it did send) or -1. */
int remote_flush(remote_t *r, char *err, size_t errlen);

/* remote_recv: wait for the next response, which must carry msgid, and put
 * it in rep (msgpack_unpacked_init'ed by remote_recv; released with
 * remote_reply_release even on error). Notifications other than "error" are
 * skipped, or kept for remote_next_note after remote_keep_notes. Returns 0
 * or -1 (timeout, connection lost, protocol violation). */
int remote_recv(remote_t *r, uint32_t msgid, remote_reply *rep,
                char *err, size_t errlen);

void remote_reply_release(remote_reply *rep);

/* A notification [2, method, params] from the server. */
typedef struct {
    msgpack_unpacked msg;          /* owns the objects below */
    const char *method;            /* borrowed from msg; not NUL-terminated */
    size_t method_len;
    const msgpack_object *params;  /* the params array */
} remote_note;

/* remote_keep_notes: from now on, notifications that arrive while
 * remote_recv waits for a response are queued for remote_next_note instead
 * of being skipped (a subscriber must not lose the changes that arrive
 * during a request). */
void remote_keep_notes(remote_t *r);

/* remote_next_note: the next notification: the oldest one remote_recv
 * queued, else the next one read, waiting at most wait_ms (negative: no
 * limit; 0: only what is already there). The connection's timeout does not
 * apply: a subscriber may rightly wait long for the server to say anything.
 * "error" notifications are returned like any other. Returns 1 with note
 * set (release it with remote_note_release), 0 when nothing came within
 * wait_ms, or -1 (connection lost, a response nobody asked for, protocol
 * violation, the wake fd). note is initialised in every case. */
int remote_next_note(remote_t *r, int wait_ms, remote_note *note,
                     char *err, size_t errlen);

/* remote_note_is: whether note's method is name. */
int remote_note_is(const remote_note *note, const char *name);

void remote_note_release(remote_note *note);

/* remote_set_wake_fd: every later wait of every connection (connecting,
 * sending, receiving) also watches fd, and ends as a failure ("interrupted")
 * once fd is readable; -1, the default, watches nothing. A signal handler
 * that writes to a pipe whose read end is fd can so stop a blocked client
 * without a race. */
void remote_set_wake_fd(int fd);

#endif
