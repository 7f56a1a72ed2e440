/* conn.c: the transport of libannals: making a connection over TCP or a
 * Unix socket, sending what is buffered, and reading the messages that come
 * back. The socket is non-blocking and every read and write waits in poll()
 * first: a blocking send of a large batch could otherwise block past the
 * timeout, or forever while the server waits for us to read its replies. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/lib/internal.h"
#include "proto/xalloc.h"

#define ANNALS__READ_CHUNK (64 * 1024)

int64_t annals__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t annals__deadline(const annals_conn *c)
{
    return c->timeout_ms ? annals__now_ms() + c->timeout_ms : 0;
}

int annals__fail(annals_conn *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->failure, sizeof c->failure, fmt, ap);
    va_end(ap);
    c->failed = status;
    snprintf(c->msg, sizeof c->msg, "%s", c->failure);
    return status;
}

int annals__invalid(annals_conn *c, const char *fmt, ...)
{
    va_list ap;
    if (!c)
        return ANNALS_EINVAL;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    return ANNALS_EINVAL;
}

void annals__forget(annals_conn *c)
{
    c->msg[0] = '\0';
    c->have_code = 0;
    if (c->err_zone)
        msgpack_zone_free(c->err_zone);
    c->err_zone = NULL;
    c->err = NULL;
}

int annals__begin(annals_conn *c)
{
    annals__forget(c);
    if (c->failed == ANNALS_ESERVER && c->closing_err) {
        /* The server said why it closes us; every later call hears it. */
        annals__server_error(c, c->closing_err, NULL);
        return ANNALS_ESERVER;
    }
    if (c->failed) {
        snprintf(c->msg, sizeof c->msg, "%s", c->failure);
        return c->failed;
    }
    if (c->fd < 0) {
        snprintf(c->msg, sizeof c->msg, "not connected");
        return ANNALS_EINVAL;
    }
    return 0;
}

/* Ready the scan for the message that starts at in_off. */
static void annals__scan_start(annals_conn *c)
{
    frame_limits lim = {
        .max_size = c->max_reply,
        .max_depth = FRAME_DEPTH_MAX,
        .max_array = ANNALS__MAX_ENTRIES,
        .max_map = ANNALS__MAX_ENTRIES,
        .max_string = c->max_reply,
    };
    frame_init(&c->fs, &lim);
}

int annals_new(annals_conn **out)
{
    if (!out)
        return ANNALS_EINVAL;
    annals_conn *c = xcalloc(1, sizeof *c);
    c->fd = -1;
    c->wake_fd = -1;
    c->timeout_ms = ANNALS__DEFAULT_TIMEOUT_MS;
    c->poll_max_ms = 1000000;
    /* msgids stay below 2^32 and never 0, which some clients treat as unset. */
    c->next_msgid = 1;
    c->max_reply = ANNALS__DEFAULT_MAX_REPLY;
    buf_init(&c->out);
    buf_init(&c->in);
    annals__scan_start(c);
    *out = c;
    return ANNALS_OK;
}

void annals_free(annals_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    buf_release(&c->out);
    buf_release(&c->in);
    if (c->err_zone)
        msgpack_zone_free(c->err_zone);
    if (c->closing_zone)
        msgpack_zone_free(c->closing_zone);
    for (size_t i = 0; i < c->nkept; i++)
        free(c->kept[i].raw.data);
    for (size_t i = c->notes_head; i < c->nnotes; i++)
        free(c->notes[i].data);
    free(c->kept);
    free(c->discard);
    free(c->notes);
    free(c->waiting);
    free(c->subs);
    free(c);
}

int annals_set_timeout(annals_conn *c, int timeout_ms)
{
    if (!c || timeout_ms < 0)
        return annals__invalid(c, "the timeout must be 0 (none) or more milliseconds");
    c->timeout_ms = timeout_ms;
    return ANNALS_OK;
}

int annals_set_max_reply(annals_conn *c, size_t bytes)
{
    if (!c || bytes < 1024)
        return annals__invalid(c, "the largest reply must be 1024 bytes or more");
    c->max_reply = bytes;
    /* A message half scanned keeps the limits it started with. */
    if (c->fs.pos == 0)
        annals__scan_start(c);
    return ANNALS_OK;
}

int annals_set_wake_fd(annals_conn *c, int fd)
{
    if (!c)
        return ANNALS_EINVAL;
    c->wake_fd = fd < 0 ? -1 : fd;
    return ANNALS_OK;
}

const char *annals_label(const annals_conn *c)
{
    return c ? c->label : "";
}

int annals_alive(const annals_conn *c)
{
    return c && c->fd >= 0 && !c->failed;
}

/* annals__wait: poll fd for events until deadline (ms, 0 for none). Returns
 * the revents, 0 on timeout, -1 on a poll error or when the wake fd is
 * readable (errno EINTR). */
static int annals__wait(const annals_conn *c, int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline) {
            int64_t left = deadline - annals__now_ms();
            if (left <= 0)
                return 0;
            ms = left > c->poll_max_ms ? c->poll_max_ms : (int)left;
        }
        struct pollfd p[2] = {
            { .fd = fd, .events = events, .revents = 0 },
            { .fd = c->wake_fd, .events = POLLIN, .revents = 0 },
        };
        int n = poll(p, c->wake_fd >= 0 ? 2 : 1, ms);
        if (n > 0 && c->wake_fd >= 0 && p[1].revents) {
            errno = EINTR;
            return -1;
        }
        if (n > 0)
            return p[0].revents;
        /* n == 0: this poll's share of the wait is over (one poll waits at
         * most 1000 s); the top of the loop judges the real deadline. */
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* A failed wait: the wake fd, or poll itself. */
static int annals__wait_failed(annals_conn *c, const char *doing)
{
    if (errno == EINTR)
        return annals__fail(c, ANNALS_EINTR, "interrupted while %s %s", doing, c->label);
    return annals__fail(c, ANNALS_ECONN, "connection to %s: poll: %s", c->label,
                        strerror(errno));
}

static int annals__connect_fd(const annals_conn *c, int fd, const struct sockaddr *sa,
                              socklen_t len, int64_t deadline)
{
    while (connect(fd, sa, len) < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            /* EAGAIN: a Unix socket's backlog is full; try again shortly. */
            if (deadline && annals__now_ms() >= deadline) {
                errno = ETIMEDOUT;
                return -1;
            }
            if (errno == EAGAIN) {
                /* Wait 10 ms, watching only the wake fd (fd -1 is ignored). */
                int64_t soon = annals__now_ms() + 10;
                if (annals__wait(c, -1, 0, deadline && deadline < soon ? deadline : soon) < 0)
                    return -1;
            }
            continue;
        }
        if (errno != EINPROGRESS)
            return -1;
        int ev = annals__wait(c, fd, POLLOUT, deadline);
        if (ev == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (ev < 0)
            return -1;
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
            return -1;
        if (soerr) {
            errno = soerr;
            return -1;
        }
        return 0;
    }
    return 0;
}

/* The status and message of a connect that failed with errno e. */
static int annals__connect_failed(annals_conn *c, int e, int hint)
{
    if (e == ETIMEDOUT)
        return annals__fail(c, ANNALS_ETIMEDOUT, "cannot connect to %s: no answer within %g s",
                            c->label, c->timeout_ms / 1000.0);
    if (e == EINTR)
        return annals__fail(c, ANNALS_EINTR, "interrupted while connecting to %s", c->label);
    return annals__fail(c, ANNALS_ECONN, "cannot connect to %s: %s%s", c->label, strerror(e),
                        hint ? " (is annalsd running?)" : "");
}

static int annals__check_new(annals_conn *c)
{
    if (!c)
        return ANNALS_EINVAL;
    c->msg[0] = '\0';
    c->have_code = 0;
    if (c->fd >= 0 || c->failed)
        return annals__invalid(c, "this connection was connected already: make a new one");
    return 0;
}

int annals_connect_unix(annals_conn *c, const char *path)
{
    struct sockaddr_un sun;
    int rc = annals__check_new(c);
    if (rc)
        return rc;
    if (!path || !*path)
        return annals__invalid(c, "no socket path given");
    snprintf(c->label, sizeof c->label, "%s", path);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path)
        return annals__fail(c, ANNALS_ECONN, "cannot connect to %s: socket path too long",
                            path);
    memcpy(sun.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || annals__connect_fd(c, fd, (struct sockaddr *)&sun, sizeof sun,
                                     annals__deadline(c)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return annals__connect_failed(c, e, e == ENOENT || e == ECONNREFUSED);
    }
    c->fd = fd;
    return ANNALS_OK;
}

int annals_connect_tcp(annals_conn *c, const char *host_in, const char *port)
{
    char host[256];
    int rc = annals__check_new(c);
    if (rc)
        return rc;
    if (!host_in || !*host_in || !port || !*port)
        return annals__invalid(c, "no host or port given");
    if (strchr(host_in, ':') && host_in[0] != '[')
        snprintf(c->label, sizeof c->label, "[%s]:%s", host_in, port);
    else
        snprintf(c->label, sizeof c->label, "%s:%s", host_in, port);
    size_t hl = strlen(host_in);
    /* "[::1]" is how people write an IPv6 address next to a port. */
    if (hl >= 2 && host_in[0] == '[' && host_in[hl - 1] == ']')
        snprintf(host, sizeof host, "%.*s", (int)(hl - 2), host_in + 1);
    else
        snprintf(host, sizeof host, "%s", host_in);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int64_t deadline = annals__deadline(c);
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return annals__fail(c, ANNALS_ECONN, "cannot connect to %s: %s", c->label,
                            rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    int e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (annals__connect_fd(c, fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0) {
            int one = 1;
            /* Small requests go out at once instead of waiting for an ACK. */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            c->fd = fd;
            freeaddrinfo(res);
            return ANNALS_OK;
        }
        e = errno;
        close(fd);
        if (e == ETIMEDOUT || e == EINTR)
            break;
    }
    freeaddrinfo(res);
    return annals__connect_failed(c, e, e == ECONNREFUSED);
}

/* annals__read: one read of at most max bytes into in. Returns 1 when
 * bytes came, 0 when none were ready, -1 at end of stream or on an error
 * (c->eof set). */
static int annals__read(annals_conn *c, size_t max)
{
    if (c->in_off > 0 && c->in_off == c->in.len) {
        buf_reset(&c->in);
        c->in_off = 0;
    } else if (c->in_off > 0 && c->in_off >= c->in.cap / 2) {
        /* Taken messages make room for the next one's bytes. */
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    buf_reserve(&c->in, max);
    for (;;) {
        ssize_t n = read(c->fd, c->in.data + c->in.len, max);
        if (n > 0) {
            c->in.len += (size_t)n;
            return 1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        c->eof = 1;
        snprintf(c->eof_why, sizeof c->eof_why, "%s",
                 n == 0 ? "closed by the server" : strerror(errno));
        return -1;
    }
}

int annals__read_pending(annals_conn *c)
{
    int pending = 0;
    if (c->eof || ioctl(c->fd, FIONREAD, &pending) < 0 || pending <= 0)
        pending = 1;     /* still read once: that is how an end of stream shows */
    while (pending > 0 && !c->eof) {
        size_t want = (size_t)pending < ANNALS__READ_CHUNK ? (size_t)pending : ANNALS__READ_CHUNK;
        size_t before = c->in.len;
        if (annals__read(c, want) <= 0)
            break;
        pending -= (int)(c->in.len - before);
    }
    return 0;
}

int annals__flush(annals_conn *c)
{
    while (c->out_off < c->out.len && !c->eof) {
        int ev = annals__wait(c, c->fd, POLLOUT | POLLIN, annals__deadline(c));
        if (ev == 0)
            return annals__fail(c, ANNALS_ETIMEDOUT, "connection to %s timed out while sending",
                                c->label);
        if (ev < 0)
            return annals__wait_failed(c, "sending to");
        if (ev & (POLLIN | POLLHUP | POLLERR)) {
            /* Keep what the server says meanwhile (perhaps an error before it
             * closes); annals__next_msg decodes it. */
            if (annals__read(c, ANNALS__READ_CHUNK) < 0)
                break;
        }
        if (!(ev & POLLOUT))
            continue;
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            c->eof = 1;
            snprintf(c->eof_why, sizeof c->eof_why, "%s",
                     errno == EPIPE ? "closed by the server" : strerror(errno));
        }
    }
    /* Whatever was not sent never will be: the server has gone, and the
     * next read says so after any reply it did send. */
    buf_reset(&c->out);
    c->out_off = 0;
    return ANNALS_OK;
}

/* What a scan that failed with frame status st says, as the connection's
 * failure. */
static int annals__scan_failed(annals_conn *c, int st)
{
    switch (st) {
    case FRAME_INVALID:
        return annals__fail(c, ANNALS_EPROTO, "protocol error: %s sent bytes that are not "
                            "MessagePack", c->label);
    case FRAME_TOO_DEEP:
        return annals__fail(c, ANNALS_EPROTO, "protocol error: %s sent a message nested "
                            "deeper than %d levels", c->label, FRAME_DEPTH_MAX);
    case FRAME_ARRAY_TOO_LONG:
    case FRAME_MAP_TOO_LONG:
        return annals__fail(c, ANNALS_EPROTO, "protocol error: %s sent %s of %llu "
                            "entries (at most %llu)", c->label,
                            st == FRAME_ARRAY_TOO_LONG ? "an array" : "a map",
                            (unsigned long long)c->fs.bad_len,
                            (unsigned long long)ANNALS__MAX_ENTRIES);
    default:
        return annals__fail(c, ANNALS_EPROTO, "protocol error: a message from %s is larger "
                            "than %zu bytes (annals_set_max_reply)", c->label, c->max_reply);
    }
}

int annals__next_msg(annals_conn *c, int64_t deadline, int how, annals__raw *raw)
{
    raw->data = NULL;
    raw->len = 0;
    for (;;) {
        size_t len = 0;
        int st = c->in.len > c->in_off
            ? frame_scan(&c->fs, c->in.data + c->in_off, c->in.len - c->in_off, &len)
            : FRAME_INCOMPLETE;
        if (st == FRAME_COMPLETE) {
            raw->data = xmalloc(len);
            memcpy(raw->data, c->in.data + c->in_off, len);
            raw->len = len;
            c->in_off += len;
            annals__scan_start(c);
            return 1;
        }
        if (st < 0)
            return annals__scan_failed(c, st);
        const char *what = how == ANNALS__READ_REPLY ? "reply" : "message";
        if (c->eof) {
            /* Bytes of an unfinished message are waiting: the reply was cut. */
            if (c->in.len > c->in_off)
                return annals__lost(c, "connection to %s lost in the middle of a %s (%s)",
                                    c->label, what, c->eof_why);
            if (how == ANNALS__READ_REPLY)
                return annals__lost(c, "connection to %s lost before the reply (%s)",
                                    c->label, c->eof_why);
            return annals__lost(c, "connection to %s lost (%s)", c->label, c->eof_why);
        }
        if (how == ANNALS__READ_NONE)
            return 0;
        if (how == ANNALS__READ_NOTE && annals__read(c, ANNALS__READ_CHUNK) != 0)
            continue;
        int ev = annals__wait(c, c->fd, POLLIN, deadline);
        if (ev == 0)
            return 0;
        if (ev < 0)
            return annals__wait_failed(c, "waiting for");
        /* The timeout bounds each wait for bytes, not a whole reply: a
         * slow link that keeps bringing them is not timed out. */
        if (annals__read(c, ANNALS__READ_CHUNK) > 0 && how == ANNALS__READ_REPLY && deadline)
            deadline = annals__deadline(c);
    }
}

int annals__decode(annals_conn *c, const annals__raw *raw, msgpack_unpacked *msg)
{
    size_t off = 0;
    msgpack_unpacked_init(msg);
    /* msgpack-c's strings point into the bytes decoded: the zone takes them
     * and frees them with itself, rather than holding a copy of each
     * message (a range page is 16 MiB). */
    msgpack_zone *z = msgpack_zone_new(raw->len < 1024 ? 1024 : raw->len);
    if (!z || !msgpack_zone_push_finalizer(z, free, raw->data)) {
        fprintf(stderr, "annals: out of memory\n");
        abort();
    }
    msg->zone = z;
    /* frame_scan has checked depth, lengths and size, so msgpack-c cannot
     * fail here for want of room on its stack; anything else it says is
     * still the peer's fault, never a reason to abort. */
    if (msgpack_unpack(raw->data, raw->len, &off, z, &msg->data) != MSGPACK_UNPACK_SUCCESS ||
        off != raw->len)
        return annals__fail(c, ANNALS_EPROTO, "protocol error: %s sent a message msgpack-c "
                            "cannot decode", c->label);
    return 0;
}

int annals__maps(const void *p, size_t len, size_t n)
{
    frame_limits lim = {
        .max_size = len, .max_depth = FRAME_DEPTH_MAX, .max_array = UINT32_MAX,
        .max_map = UINT32_MAX, .max_string = UINT32_MAX,
    };
    const unsigned char *b = p;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        frame_state st;
        size_t one = 0;
        frame_init(&st, &lim);
        if (off >= len || (b[off] != 0xde && b[off] != 0xdf && (b[off] & 0xf0) != 0x80))
            return 0;
        if (frame_scan(&st, (const char *)b + off, len - off, &one) != FRAME_COMPLETE)
            return 0;
        off += one;
    }
    return off == len;
}
