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

int annals_new(annals_conn **out)
{
    if (!out)
        return ANNALS_EINVAL;
    annals_conn *c = xcalloc(1, sizeof *c);
    c->fd = -1;
    c->wake_fd = -1;
    c->timeout_ms = ANNALS__DEFAULT_TIMEOUT_MS;
    /* msgids stay below 2^32 and never 0, which some clients treat as unset. */
    c->next_msgid = 1;
    buf_init(&c->out);
    if (!msgpack_unpacker_init(&c->up, ANNALS__READ_CHUNK)) {
        fprintf(stderr, "annals: out of memory\n");
        abort();
    }
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
    msgpack_unpacker_destroy(&c->up);
    if (c->err_zone)
        msgpack_zone_free(c->err_zone);
    if (c->closing_zone)
        msgpack_zone_free(c->closing_zone);
    for (size_t i = 0; i < c->nkept; i++)
        msgpack_unpacked_destroy(&c->kept[i].msg);
    for (size_t i = c->notes_head; i < c->nnotes; i++)
        msgpack_unpacked_destroy(&c->notes[i]);
    free(c->kept);
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
            ms = left > 1000000 ? 1000000 : (int)left;
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
        if (n == 0)
            return 0;
        if (errno != EINTR)
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
            if (errno == EAGAIN)
                usleep(10000);
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

/* annals__read: one read into the unpacker. Returns 1 when bytes came, 0
 * when none were ready, -1 at end of stream or on an error (c->eof set). */
static int annals__read(annals_conn *c)
{
    if (!msgpack_unpacker_reserve_buffer(&c->up, ANNALS__READ_CHUNK)) {
        fprintf(stderr, "annals: out of memory\n");
        abort();
    }
    for (;;) {
        ssize_t n = read(c->fd, msgpack_unpacker_buffer(&c->up),
                         msgpack_unpacker_buffer_capacity(&c->up));
        if (n > 0) {
            msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
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
            if (annals__read(c) < 0)
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

int annals__next_msg(annals_conn *c, int64_t deadline, int reply, msgpack_unpacked *msg)
{
    msgpack_unpacked_init(msg);
    for (;;) {
        msgpack_unpack_return ret = msgpack_unpacker_next(&c->up, msg);
        if (ret == MSGPACK_UNPACK_SUCCESS)
            return 1;
        if (ret == MSGPACK_UNPACK_PARSE_ERROR)
            return annals__fail(c, ANNALS_EPROTO, "protocol error: %s sent bytes that "
                                "are not MessagePack", c->label);
        if (ret == MSGPACK_UNPACK_NOMEM_ERROR) {
            fprintf(stderr, "annals: out of memory\n");
            abort();
        }
        if (msgpack_unpacker_message_size(&c->up) > ANNALS__MAX_REPLY)
            return annals__fail(c, ANNALS_EPROTO, "protocol error: a %s from %s is "
                                "larger than %zu MiB", reply ? "reply" : "message",
                                c->label, ANNALS__MAX_REPLY >> 20);
        if (c->eof) {
            /* Bytes of an unfinished message are waiting: the reply was cut. */
            if (msgpack_unpacker_message_size(&c->up) > 0)
                return annals__fail(c, ANNALS_ECONN, "connection to %s lost in the middle "
                                    "of a %s (%s)", c->label, reply ? "reply" : "message",
                                    c->eof_why);
            if (reply)
                return annals__fail(c, ANNALS_ECONN, "connection to %s lost before the "
                                    "reply (%s)", c->label, c->eof_why);
            return annals__fail(c, ANNALS_ECONN, "connection to %s lost (%s)", c->label,
                                c->eof_why);
        }
        if (!reply && annals__read(c) != 0)
            continue;
        int ev = annals__wait(c, c->fd, POLLIN, deadline);
        if (ev == 0)
            return 0;
        if (ev < 0)
            return annals__wait_failed(c, "waiting for");
        annals__read(c);
    }
}
