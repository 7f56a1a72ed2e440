/* conn.h: one client connection: its input buffer and framing, the order in
 * which its requests are answered, its output queue and backpressure, and its
 * close. Memory is freed only once the handle is closed and no write job
 * still refers to the connection. */
#ifndef ANNALS_CONN_H
#define ANNALS_CONN_H

#include <stdint.h>
#include <uv.h>

#include "daemon/arrivals.h"
#include "daemon/server.h"
#include "proto/buf.h"
#include "proto/frame.h"

struct conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    server_t *srv;
    conn_t *prev, *next;
    uint64_t id;
    char peer[80];
    buf_t in;                   /* received bytes not yet handled */
    size_t in_done;             /* bytes of in already handled */
    frame_state frame;
    buf_t out;                  /* replies not yet written or handed to uv_write */
    size_t out_inflight;        /* bytes handed to uv_write, not yet written */
    unsigned pending_jobs;      /* write jobs at the writer */
    size_t pending_bytes;       /* bytes those jobs carry */
    int waiting;                /* a request waits for the pending jobs */
    int held;                   /* a request answered off the loop (backup) holds
                                   back every request after it, writes too */
    int reading;                /* uv_read_start active */
    int eof;                    /* the peer finished sending */
    int closing;                /* uv_close called */
    int closed;                 /* close callback ran */
    int close_after_flush;      /* close once out and in-flight bytes are written */
    buf_t fatal;                /* a last error to send once pending jobs are answered */
    int has_fatal;
    int lingering;              /* error sent, write side shut: discarding input */
    size_t linger_bytes;        /* input discarded while lingering */
    uv_shutdown_t shutdown_req;
    uv_timer_t linger_timer;    /* bounds the lingering */
    int handles_open;           /* the stream and the timer, until closed */
    uint64_t msg_started_ms;    /* loop time the unfinished message at the head of in
                                   began: its first byte read, or the message before
                                   it handled (request_timeout runs from here) */
    int incomplete;             /* the buffered bytes end in an unfinished message */
    uint64_t last_active_ms;    /* loop time of the last request or reply */
    uint64_t out_progress_ms;   /* loop time the socket last took reply bytes,
                                   or replies began waiting for it */
    size_t out_queue_seen;      /* libuv's write queue size at the last sweep */
    feed_sub *subs;             /* this connection's subscriptions */
    int feed_dirty;             /* feed output waiting for conn_flush */
    size_t feed_backlog;        /* bytes queued when it became dirty */
    int access;                 /* TOKENS_*: what auth allowed (auth.h) */
    unsigned auth_failures;     /* wrong tokens presented */
    int index_state;            /* CONN_INDEX_*: what the writer said of the index */
    int index_rc;               /* its error, when it failed */
    char index_err[512];
    /* for stats and the close line of the log */
    arrivals arrivals;          /* when the buffered bytes were read */
    uint64_t req_arrived_ns;    /* when the request being handled arrived */
    int wait_method;            /* the method of the request kept waiting (RPC_WAIT), or -1 */
    uint64_t opened_ms;         /* loop time of the accept */
    uint64_t requests;          /* answered or handed to the writer */
    uint64_t bytes_in, bytes_out;
    const char *close_reason;   /* static; the first cause of the close */
};

/* Where a read waiting for the deferred index stands (index_wait.c). */
enum { CONN_INDEX_NONE = 0, CONN_INDEX_READY, CONN_INDEX_FAILED };

/* conn_accept: accept a pending connection on server (a listener). */
void conn_accept(server_t *srv, uv_stream_t *server);

/* conn_flush: write the queued replies: what the socket takes at once
 * directly, the rest through uv_write (conn.c). May close c. */
void conn_flush(conn_t *c);

/* conn_process: handle the complete requests buffered on c, as far as the
 * ordering rules allow (see conn.c). */
void conn_process(conn_t *c);

/* conn_job_done: a write job of c was answered (its reply is in c->out);
 * resume what waited for it. */
void conn_job_done(conn_t *c);

/* conn_fail: send a last error (already packed in msg) after the replies of
 * pending jobs, then close. */
void conn_fail(conn_t *c, const char *msg, size_t len);

/* conn_finish: take no more requests; close once the replies queued so far
 * (and those of pending jobs) are written. */
void conn_finish(conn_t *c);

/* conn_set_close_reason: why c is being closed, for the log line of its
 * close; the first reason given sticks. why must be static. */
void conn_set_close_reason(conn_t *c, const char *why);

/* conn_close: close now (replies not yet written are dropped). */
void conn_close(conn_t *c);

/* conn_shutdown: stop reading; close once what is in flight is answered. */
void conn_shutdown(conn_t *c);

/* conn_check_timeouts: close c with a timeout error when a message it began
 * is still unfinished request_timeout after it began, however its bytes
 * trickle in (a slowloris client), or when it has been idle (nothing
 * pending, no subscription) longer than idle_timeout; close it at once when
 * its socket has taken none of its waiting replies for output_timeout (a
 * client that does not read: an error could not reach it). now is uv_now(). */
void conn_check_timeouts(conn_t *c, uint64_t now);

#endif
