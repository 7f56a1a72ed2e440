/* conn.c: one client connection, read as Redis's networking.c reads: accept,
 * on_read, process (drain the framer), send, close. See conn.h.
 *
 * Ordering: a connection's replies go out in the order of its requests.
 * Writes are answered by the writer thread after their commit, so while a
 * connection has write jobs pending only further valid writes are taken (they
 * queue behind the earlier ones); anything else waits in the input buffer.
 * A request answered from another thread that writes do not queue behind (a
 * backup) holds the connection: nothing after it is taken until it is answered.
 *
 * Backpressure: reading stops while replies of more than output_limit bytes
 * are unwritten, or while more than one maximal message waits unprocessed.
 * A connection whose socket then takes none of its replies for
 * output_timeout is closed, as Redis closes clients over their output
 * buffer limit: it holds memory and a slot for a client that is not reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conn.h"
#include "daemon/feed.h"
#include "daemon/log.h"
#include "daemon/rpc.h"
#include "proto/error.h"
#include "proto/xalloc.h"

#define CONN_READ_CHUNK (64 * 1024)

/* After a fatal error the peer may still be sending the rest of its message.
 * Closing at once would make the kernel answer with a reset that can discard
 * our error reply before the peer reads it, so we shut our side, then read
 * and drop its input for a while (as HTTP servers do with lingering close). */
#define CONN_LINGER_MS 2000
#define CONN_LINGER_BYTES (64 * 1024 * 1024)

typedef struct {
    uv_write_t req;
    conn_t *c;
    char *data;
    size_t len;
} conn_write;

static void conn_update_reading(conn_t *c);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

static int conn_output_full(conn_t *c)
{
    return c->out_inflight + c->out.len > c->srv->cfg->output_limit;
}

static void conn_free(conn_t *c)
{
    server_t *srv = c->srv;
    buf_release(&c->in);
    buf_release(&c->out);
    buf_release(&c->fatal);
    free(c);
    server_conn_gone(srv);
}

void conn_set_close_reason(conn_t *c, const char *why)
{
    if (!c->close_reason)
        c->close_reason = why;
}

static void on_close(uv_handle_t *h)
{
    conn_t *c = h->data;
    if (--c->handles_open > 0)
        return;
    c->closed = 1;
    /* One line per close, as one per open: counts only, never contents. */
    uint64_t ms = uv_now(c->srv->loop) - c->opened_ms;
    log_info("conn %llu (%s): closed (%s) after %llu.%03llu s: %llu requests, %llu bytes in, "
             "%llu bytes out", (unsigned long long)c->id, c->peer[0] ? c->peer : "?",
             c->close_reason ? c->close_reason : "closed", (unsigned long long)(ms / 1000),
             (unsigned long long)(ms % 1000), (unsigned long long)c->requests,
             (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out);
    if (c->pending_jobs == 0)
        conn_free(c);
}

void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    /* A request decoded and kept waiting (for the connection's writes or
     * the index) will not be answered now. */
    if (c->wait_method >= 0) {
        metrics_dropped(&c->srv->metrics, c->wait_method);
        c->wait_method = -1;
    }
    feed_conn_closed(c);
    if (c->reading)
        uv_read_stop(&c->h.stream);
    c->reading = 0;
    /* Unlink now so a shutdown no longer walks it; the memory stays until
     * the close callback and the last pending job. */
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    uv_close(&c->h.handle, on_close);
    uv_close((uv_handle_t *)&c->linger_timer, on_close);
}

static void on_linger_timeout(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status;
}

/* Everything owed is written: close, lingering first when the peer may still
 * be sending. */
static void conn_end(conn_t *c)
{
    if (c->eof || c->closing) {
        conn_close(c);
        return;
    }
    if (c->lingering)
        return;
    c->lingering = 1;
    if (uv_shutdown(&c->shutdown_req, &c->h.stream, on_shutdown) < 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->linger_timer, on_linger_timeout, CONN_LINGER_MS, 0);
    if (!c->reading && uv_read_start(&c->h.stream, on_alloc, on_read) == 0)
        c->reading = 1;
}

/* n reply bytes were taken by the kernel. */
static void conn_count_out(conn_t *c, size_t n)
{
    c->bytes_out += n;
    c->srv->metrics.bytes_out += n;
}

static void on_write(uv_write_t *req, int status)
{
    conn_write *w = (conn_write *)req;
    conn_t *c = w->c;
    c->out_inflight -= w->len;
    c->last_active_ms = c->out_progress_ms = uv_now(c->srv->loop);
    if (status >= 0)
        conn_count_out(c, w->len);
    free(w->data);
    free(w);
    if (c->closing)
        return;
    if (status < 0) {
        log_debug("conn %llu: write failed: %s", (unsigned long long)c->id, uv_strerror(status));
        conn_set_close_reason(c, "write error");
        conn_close(c);
        return;
    }
    if (c->close_after_flush && c->out_inflight == 0 && c->out.len == 0) {
        conn_end(c);
        return;
    }
    /* Subscriptions catching up read more log as the socket drains. */
    if (c->subs)
        feed_pump(c);
    if (c->closing)
        return;
    /* Requests left unhandled while the output was full can go on now. */
    if (c->in.len > c->in_done && !conn_output_full(c))
        conn_process(c);
    else
        conn_update_reading(c);
}

/* What the output buffer may keep between replies; a larger one (a big page
 * of events) is given back once it is written. */
#define CONN_OUT_KEEP (64 * 1024)

/* The bytes of c->out from sent on go to uv_write, in a request that owns the
 * buffer (c->out is left empty). */
static int conn_queue_write(conn_t *c, size_t sent)
{
    conn_write *w = xmalloc(sizeof *w);
    size_t len;
    w->c = c;
    w->data = buf_take(&c->out, &len);
    w->len = len - sent;
    uv_buf_t b = uv_buf_init(w->data + sent, (unsigned)w->len);
    int rc = uv_write(&w->req, &c->h.stream, &b, 1, on_write);
    if (rc < 0) {
        free(w->data);
        free(w);
        return rc;
    }
    if (c->out_inflight == 0 || sent > 0) {
        /* Replies begin to wait for the socket, or it just took some. */
        c->out_progress_ms = uv_now(c->srv->loop);
        c->out_queue_seen = 0;
    }
    c->out_inflight += w->len;
    return 0;
}

void conn_flush(conn_t *c)
{
    if (c->closing)
        return;
    if (c->out.len > 0) {
        size_t sent = 0;
        int rc = 0;
        /* Straight to the socket when libuv has nothing queued before it (it
         * refuses otherwise): no request to allocate, and no write callback
         * to wait for, which would cost a loop iteration and an epoll_ctl.
         * A connection with subscriptions keeps the callback, since that is
         * where a catching-up subscription reads more of the log. */
        if (!c->subs) {
            uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
            int n = uv_try_write(&c->h.stream, &b, 1);
            if (n > 0) {
                sent = (size_t)n;
                conn_count_out(c, sent);
            }
            else if (n != UV_EAGAIN)
                rc = n;
        }
        if (rc == 0 && sent == c->out.len) {
            c->last_active_ms = uv_now(c->srv->loop);
            if (c->out.cap > CONN_OUT_KEEP)
                buf_release(&c->out);
            else
                buf_reset(&c->out);
        } else if (rc == 0) {
            rc = conn_queue_write(c, sent);
        }
        if (rc < 0) {
            log_debug("conn %llu: write failed: %s", (unsigned long long)c->id, uv_strerror(rc));
            conn_set_close_reason(c, "write error");
            conn_close(c);
            return;
        }
    }
    if (c->close_after_flush && c->out_inflight == 0)
        conn_end(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    conn_t *c = h->data;
    (void)suggested;
    if (c->lingering) {
        /* Discarded input reuses the buffer, after giving back what a
         * refused message of up to max_message_size made it grow to. */
        if (c->in.cap > CONN_READ_CHUNK)
            buf_release(&c->in);
        c->in.len = 0;
    }
    buf_reserve(&c->in, CONN_READ_CHUNK);
    *b = uv_buf_init(c->in.data + c->in.len, (unsigned)(c->in.cap - c->in.len));
}


static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn_t *c = s->data;
    (void)b;
    if (nread > 0) {
        c->bytes_in += (size_t)nread;
        c->srv->metrics.bytes_in += (size_t)nread;
    }
    if (c->lingering) {
        if (nread == 0)
            return;      /* EAGAIN: nothing to read right now */
        if (nread > 0 && (c->linger_bytes += (size_t)nread) <= CONN_LINGER_BYTES)
            return;
        conn_close(c);   /* the peer finished, failed, or sends too much */
        return;
    }
    if (nread > 0) {
        /* A message's time runs from its first byte, not from the latest:
         * sending a byte now and then must not keep a connection forever. */
        if (c->in.len == c->in_done)
            c->msg_started_ms = uv_now(c->srv->loop);
        c->in.len += (size_t)nread;
        arrivals_read(&c->arrivals, c->bytes_in, metrics_now_ns());
        c->last_active_ms = uv_now(c->srv->loop);
        /* A request waits for this connection's writes: decoding it again
         * before they are answered would only repeat the work. */
        if (c->waiting && c->pending_jobs > 0) {
            conn_update_reading(c);
            return;
        }
        conn_process(c);
        return;
    }
    if (nread == 0 || c->closing)
        return;
    if (nread != UV_EOF)
        log_debug("conn %llu: read error: %s", (unsigned long long)c->id, uv_strerror((int)nread));
    conn_set_close_reason(c, nread == UV_EOF ? "client closed" : "read error");
    c->eof = 1;
    uv_read_stop(&c->h.stream);
    c->reading = 0;
    if (nread != UV_EOF) {
        conn_close(c);
        return;
    }
    conn_process(c);
}

static void conn_update_reading(conn_t *c)
{
    const config_t *cfg = c->srv->cfg;
    if (c->lingering)
        return;   /* reads until the peer closes or the timer fires */
    int want = !c->closing && !c->eof && !c->has_fatal && !c->close_after_flush &&
               !conn_output_full(c) &&
               c->in.len - c->in_done <= cfg->max_message_size;
    if (want && !c->reading) {
        if (uv_read_start(&c->h.stream, on_alloc, on_read) == 0)
            c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop(&c->h.stream);
        c->reading = 0;
    }
}

void conn_fail(conn_t *c, const char *msg, size_t len)
{
    if (c->closing || c->has_fatal || c->close_after_flush)
        return;
    /* A connection on its way out gets no more feed output after its last
     * error (it would keep the queue from ever emptying). */
    feed_conn_closed(c);
    if (c->pending_jobs > 0) {
        buf_append(&c->fatal, msg, len);
        c->has_fatal = 1;
    } else {
        buf_append(&c->out, msg, len);
        c->close_after_flush = 1;
    }
    conn_update_reading(c);
    conn_flush(c);
}

void conn_finish(conn_t *c)
{
    conn_fail(c, "", 0);
}

/* A framing error: the stream cannot be resynchronised, so answer (with a
 * response when the request's msgid is readable) and close. */
static void conn_protocol_error(conn_t *c, int frame_rc, const char *p, size_t avail)
{
    const config_t *cfg = c->srv->cfg;
    char msg[256];
    int code;
    uint32_t msgid;
    buf_t out;

    switch (frame_rc) {
    case FRAME_ARRAY_TOO_LONG:
        code = ERROR_TOO_LARGE;
        snprintf(msg, sizeof msg, "an array of %llu elements exceeds max_array_length (%llu); closing the connection",
                 (unsigned long long)c->frame.bad_len, (unsigned long long)cfg->max_array_length);
        break;
    case FRAME_MAP_TOO_LONG:
        code = ERROR_TOO_LARGE;
        snprintf(msg, sizeof msg, "a map of %llu pairs exceeds max_map_length (%llu); closing the connection",
                 (unsigned long long)c->frame.bad_len, (unsigned long long)cfg->max_map_length);
        break;
    case FRAME_STRING_TOO_LONG:
        code = ERROR_TOO_LARGE;
        snprintf(msg, sizeof msg, "a string of %llu bytes exceeds max_string_length (%llu bytes); "
                 "closing the connection",
                 (unsigned long long)c->frame.bad_len, (unsigned long long)cfg->max_string_length);
        break;
    case FRAME_TOO_LARGE:
        code = ERROR_TOO_LARGE;
        snprintf(msg, sizeof msg, "message exceeds max_message_size (%llu bytes); closing the connection",
                 (unsigned long long)cfg->max_message_size);
        break;
    case FRAME_TOO_DEEP:
        code = ERROR_BAD_REQUEST;
        snprintf(msg, sizeof msg, "message nests deeper than max_depth (%u); closing the connection",
                 cfg->max_depth);
        break;
    default:
        code = ERROR_BAD_REQUEST;
        snprintf(msg, sizeof msg, "not MessagePack: byte 0x%02x at offset %zu of the message; "
                 "closing the connection", (unsigned char)p[c->frame.pos], c->frame.pos);
        break;
    }
    log_info("conn %llu (%s): %s", (unsigned long long)c->id, c->peer, msg);
    c->srv->metrics.framing++;
    conn_set_close_reason(c, "protocol error");
    buf_init(&out);
    if (rpc_peek_msgid(p, avail, &msgid) == 0)
        rpc_pack_response_error(&out, msgid, code, msg, -1);
    else
        rpc_pack_notification_error(&out, code, msg);
    conn_fail(c, out.data, out.len);
    buf_release(&out);
}

void conn_process(conn_t *c)
{
    server_t *srv = c->srv;
    int stalled = 0;   /* complete requests remain unhandled for now */
    while (!c->closing && !c->has_fatal && !c->close_after_flush) {
        size_t avail = c->in.len - c->in_done, mlen = 0, off = 0;
        if (avail == 0)
            break;      /* before p: an empty buffer may have no memory (NULL + 0 is undefined) */
        const char *p = c->in.data + c->in_done;
        if (conn_output_full(c)) {
            /* What the socket takes at once makes room; the rest is
             * resumed from on_write. */
            conn_flush(c);
            if (c->closing)
                return;
            if (conn_output_full(c)) {
                stalled = 1;
                break;
            }
        }
        if (c->held) {
            stalled = 1;         /* resumed from conn_job_done */
            c->waiting = 1;
            break;
        }
        int fr = frame_scan(&c->frame, p, avail, &mlen);
        c->incomplete = fr == FRAME_INCOMPLETE;
        if (fr == FRAME_INCOMPLETE)
            break;
        if (fr < 0) {
            conn_protocol_error(c, fr, p, avail);
            break;
        }
        /* Its latency runs from the read that completed it, however long
         * it then waited behind earlier requests (or, kept waiting with
         * RPC_WAIT, until it is framed again). bytes_in is the stream
         * offset of the end of in. */
        c->req_arrived_ns = arrivals_time(&c->arrivals, c->bytes_in - c->in.len + c->in_done + mlen);
        if (c->req_arrived_ns == 0)
            c->req_arrived_ns = metrics_now_ns();
        /* The framer bounded the sizes, so decoding allocates at most a
         * small multiple of max_message_size. The objects live in the
         * server's zone, cleared (back to its first chunk) once the message
         * is handled, so a small request allocates nothing. */
        msgpack_object msg;
        msgpack_unpack_return ur = msgpack_unpack(p, mlen, &off, &srv->zone, &msg);
        if (ur != MSGPACK_UNPACK_SUCCESS && ur != MSGPACK_UNPACK_EXTRA_BYTES) {
            msgpack_zone_clear(&srv->zone);
            srv->metrics.framing++;
            conn_set_close_reason(c, "protocol error");
            buf_t out;
            buf_init(&out);
            rpc_pack_notification_error(&out, ERROR_INTERNAL, "could not decode the message");
            conn_fail(c, out.data, out.len);
            buf_release(&out);
            break;
        }
        int hr = rpc_handle(c, &msg, c->pending_jobs > 0);
        msgpack_zone_clear(&srv->zone);
        frame_init(&c->frame, &srv->limits);
        if (hr == RPC_WAIT) {
            stalled = 1;         /* rescanned once the pending writes are answered */
            c->waiting = 1;
            break;
        }
        c->waiting = 0;
        c->wait_method = -1;
        c->in_done += mlen;
        c->msg_started_ms = uv_now(srv->loop);    /* the next message's turn begins */
    }
    if (c->closing)
        return;
    /* Compact the buffer; give back memory a large message left behind. */
    if (c->in_done > 0) {
        memmove(c->in.data, c->in.data + c->in_done, c->in.len - c->in_done);
        c->in.len -= c->in_done;
        c->in_done = 0;
        if (c->in.cap > 4 * CONN_READ_CHUNK && c->in.len < CONN_READ_CHUNK) {
            c->in.data = xrealloc(c->in.data, CONN_READ_CHUNK);
            c->in.cap = CONN_READ_CHUNK;
        }
    }
    /* Nothing left to handle: give the read buffer back, so that an idle
     * connection costs no CONN_READ_CHUNK (a thousand would hold 64 MiB);
     * on_alloc takes a new one for the next read. */
    if (c->in.len == 0 && c->in.cap > 0)
        buf_release(&c->in);
    if (c->eof && !stalled && c->pending_jobs == 0 && !c->close_after_flush && !c->has_fatal) {
        feed_conn_closed(c);
        if (c->in.len > 0)
            log_debug("conn %llu: peer left with %zu bytes of an unfinished message",
                      (unsigned long long)c->id, c->in.len);
        c->close_after_flush = 1;
    }
    conn_flush(c);
    if (!c->closing)
        conn_update_reading(c);
}

void conn_job_done(conn_t *c)
{
    if (c->closed) {
        if (c->pending_jobs == 0)
            conn_free(c);
        return;
    }
    if (c->closing)
        return;
    if (c->pending_jobs == 0 && c->has_fatal) {
        buf_append(&c->out, c->fatal.data, c->fatal.len);
        buf_release(&c->fatal);
        c->has_fatal = 0;
        c->close_after_flush = 1;
        conn_flush(c);
        return;
    }
    conn_process(c);
}

void conn_check_timeouts(conn_t *c, uint64_t now)
{
    const config_t *cfg = c->srv->cfg;
    char msg[160];
    if (c->closing)
        return;
    /* Replies waiting for a socket that takes none of them: libuv's queue
     * shrinks as the kernel takes bytes of a write still in progress, and a
     * finished write counts too (on_write). This holds for a connection on
     * its way out as well, whose last replies would otherwise wait forever. */
    if (c->out_inflight > 0 && cfg->output_timeout_ms) {
        size_t queued = uv_stream_get_write_queue_size(&c->h.stream);
        if (queued < c->out_queue_seen)
            c->out_progress_ms = now;
        c->out_queue_seen = queued;
        if (now - c->out_progress_ms >= cfg->output_timeout_ms) {
            log_info("conn %llu (%s): %zu bytes of replies not taken for %llu ms (output_timeout); "
                     "closing the connection", (unsigned long long)c->id, c->peer, c->out_inflight,
                     (unsigned long long)(now - c->out_progress_ms));
            conn_set_close_reason(c, "output_timeout");
            conn_close(c);
            return;
        }
    }
    if (c->has_fatal || c->close_after_flush || c->lingering)
        return;
    /* A message begun and not finished: bytes wait in the buffer while the
     * connection is not held back by its own pending writes. */
    int partial = c->incomplete && c->in.len > c->in_done;
    if (partial && cfg->request_timeout_ms && now - c->msg_started_ms >= cfg->request_timeout_ms) {
        snprintf(msg, sizeof msg, "a message was still incomplete %llu ms after it began (request_timeout); "
                 "closing the connection", (unsigned long long)(now - c->msg_started_ms));
        conn_set_close_reason(c, "request_timeout");
    } else if (!partial && cfg->idle_timeout_ms && !c->subs && c->pending_jobs == 0 &&
               c->in.len == c->in_done && c->out.len == 0 && c->out_inflight == 0 &&
               now - c->last_active_ms >= cfg->idle_timeout_ms) {
        snprintf(msg, sizeof msg, "idle for %llu ms (idle_timeout); closing the connection",
                 (unsigned long long)(now - c->last_active_ms));
        conn_set_close_reason(c, "idle_timeout");
    } else {
        return;
    }
    log_info("conn %llu (%s): %s", (unsigned long long)c->id, c->peer, msg);
    buf_t out;
    buf_init(&out);
    rpc_pack_notification_error(&out, ERROR_TIMEOUT, msg);
    conn_fail(c, out.data, out.len);
    buf_release(&out);
}

void conn_shutdown(conn_t *c)
{
    if (c->closing)
        return;
    conn_set_close_reason(c, "shutdown");
    c->eof = 1;
    conn_process(c);
}

void conn_accept(server_t *srv, uv_stream_t *server)
{
    conn_t *c = xcalloc(1, sizeof *c);
    int rc;
    c->srv = srv;
    c->id = ++srv->next_conn_id;
    c->wait_method = -1;
    if (server->type == UV_TCP)
        rc = uv_tcp_init(srv->loop, &c->h.tcp);
    else
        rc = uv_pipe_init(srv->loop, &c->h.pipe, 0);
    if (rc < 0) {
        free(c);
        return;
    }
    c->h.handle.data = c;
    uv_timer_init(srv->loop, &c->linger_timer);
    c->linger_timer.data = c;
    c->handles_open = 2;
    srv->nconns++;
    srv->connections_total++;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    c->opened_ms = uv_now(srv->loop);
    if ((rc = uv_accept(server, &c->h.stream)) < 0) {
        log_warn("accept failed: %s", uv_strerror(rc));
        conn_set_close_reason(c, "accept failed");
        conn_close(c);
        return;
    }
    if (server->type == UV_TCP) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        uv_tcp_nodelay(&c->h.tcp, 1);
        if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0) {
            char host[64] = "?";
            int port = 0;
            if (ss.ss_family == AF_INET) {
                uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof host);
                port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            } else if (ss.ss_family == AF_INET6) {
                uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof host);
                port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            }
            snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
        }
    } else {
        snprintf(c->peer, sizeof c->peer, "unix");
    }
    frame_init(&c->frame, &srv->limits);
    c->msg_started_ms = c->last_active_ms = uv_now(srv->loop);
    log_info("conn %llu (%s): open", (unsigned long long)c->id, c->peer[0] ? c->peer : "?");

    if (srv->nconns > srv->cfg->max_connections) {
        buf_t out;
        char msg[128];
        buf_init(&out);
        snprintf(msg, sizeof msg, "too many connections (max_connections is %u)", srv->cfg->max_connections);
        log_warn("conn %llu (%s): refused: %s", (unsigned long long)c->id, c->peer, msg);
        conn_set_close_reason(c, "max_connections");
        rpc_pack_notification_error(&out, ERROR_BUSY, msg);
        conn_fail(c, out.data, out.len);
        buf_release(&out);
        return;
    }
    conn_update_reading(c);
}
