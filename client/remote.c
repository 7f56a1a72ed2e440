/* remote.c: the client's msgpack-RPC connection of remote.h. The socket is
 * non-blocking and every read and write waits in poll() first: a blocking
 * send of a large batch could otherwise block past the timeout, or forever
 * while the server waits for us to read its replies. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/remote.h"
#include "proto/xalloc.h"

#define REMOTE_READ_CHUNK (64 * 1024)

struct remote {
    int fd;
    char label[300];
    int timeout_ms;           /* 0: no limit */
    uint32_t next_msgid;
    buf_t out;                /* requests not yet sent */
    size_t out_off;           /* bytes of out already sent */
    msgpack_unpacker up;      /* fed from reads, drained by remote_recv */
    int eof;                  /* the server closed or reset its side */
    char eof_why[128];        /* what the read or write saw when it did */
    char failure[512];        /* set once the connection is unusable */
    int keep_notes;           /* remote_recv queues notifications */
    msgpack_unpacked *notes;  /* owned: notifications queued by remote_recv, */
    size_t notes_head;        /* notes[notes_head..nnotes) not yet taken */
    size_t nnotes, notes_cap;
};

/* Watched by every wait when >= 0 (remote_set_wake_fd). */
static int remote_wake_fd = -1;

void remote_set_wake_fd(int fd)
{
    remote_wake_fd = fd;
}

static int64_t remote_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Record why the connection died; later calls report the same message. */
static int remote_fail(remote_t *r, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->failure, sizeof r->failure, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s", r->failure);
    return -1;
}

/* remote_wait: poll fd for events until deadline (ms, 0 for none). Returns
 * the revents, 0 on timeout, -1 on a poll error or when the wake fd is
 * readable (errno EINTR). */
static int remote_wait(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline) {
            int64_t left = deadline - remote_now_ms();
            if (left <= 0)
                return 0;
            ms = left > 1000000 ? 1000000 : (int)left;
        }
        struct pollfd p[2] = {
            { .fd = fd, .events = events, .revents = 0 },
            { .fd = remote_wake_fd, .events = POLLIN, .revents = 0 },
        };
        int n = poll(p, remote_wake_fd >= 0 ? 2 : 1, ms);
        if (n > 0 && remote_wake_fd >= 0 && p[1].revents) {
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

static int64_t remote_deadline(const remote_t *r)
{
    return r->timeout_ms ? remote_now_ms() + r->timeout_ms : 0;
}

static int remote_connect_fd(int fd, const struct sockaddr *sa, socklen_t len,
                             int64_t deadline)
{
    while (connect(fd, sa, len) < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            /* EAGAIN: a Unix socket's backlog is full; try again shortly. */
            if (deadline && remote_now_ms() >= deadline) {
                errno = ETIMEDOUT;
                return -1;
            }
            if (errno == EAGAIN)
                usleep(10000);
            continue;
        }
        if (errno != EINPROGRESS)
            return -1;
        int ev = remote_wait(fd, POLLOUT, deadline);
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

static int remote_open_unix(remote_t *r, const char *path, int64_t deadline,
                            char *err, size_t errlen)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(err, errlen, "cannot connect to %s: socket path too long", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || remote_connect_fd(fd, (struct sockaddr *)&sun, sizeof sun, deadline) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "cannot connect to %s: %s%s", path, strerror(e),
                 e == ENOENT || e == ECONNREFUSED ? " (is annalsd running?)" : "");
        return -1;
    }
    r->fd = fd;
    return 0;
}

static int remote_open_tcp(remote_t *r, const char *host_in, const char *port,
                           int64_t deadline, char *err, size_t errlen)
{
    char host[256];
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
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", r->label,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (remote_connect_fd(fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0) {
            int one = 1;
            /* Small requests go out at once instead of waiting for an ACK. */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            r->fd = fd;
            freeaddrinfo(res);
            return 0;
        }
        e = errno;
        close(fd);
        if (e == ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    if (e == ETIMEDOUT)
        snprintf(err, errlen, "cannot connect to %s: no answer within %g s", r->label,
                 r->timeout_ms / 1000.0);
    else
        snprintf(err, errlen, "cannot connect to %s: %s%s", r->label, strerror(e),
                 e == ECONNREFUSED ? " (is annalsd running?)" : "");
    return -1;
}

int remote_open(const remote_addr *a, int timeout_ms, remote_t **out,
                char *err, size_t errlen)
{
    remote_t *r = xcalloc(1, sizeof *r);
    r->fd = -1;
    r->timeout_ms = timeout_ms;
    r->next_msgid = 1;
    buf_init(&r->out);
    if (!msgpack_unpacker_init(&r->up, REMOTE_READ_CHUNK)) {
        fprintf(stderr, "annals: out of memory\n");
        abort();
    }
    if (a->socket_path)
        snprintf(r->label, sizeof r->label, "%s", a->socket_path);
    else if (strchr(a->host, ':') && a->host[0] != '[')
        snprintf(r->label, sizeof r->label, "[%s]:%s", a->host, a->port);
    else
        snprintf(r->label, sizeof r->label, "%s:%s", a->host, a->port);

    int64_t deadline = remote_deadline(r);
    int rc = a->socket_path
        ? remote_open_unix(r, a->socket_path, deadline, err, errlen)
        : remote_open_tcp(r, a->host, a->port, deadline, err, errlen);
    if (rc < 0) {
        remote_close(r);
        *out = NULL;
        return -1;
    }
    *out = r;
    return 0;
}

void remote_close(remote_t *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    buf_release(&r->out);
    msgpack_unpacker_destroy(&r->up);
    for (size_t i = r->notes_head; i < r->nnotes; i++)
        msgpack_unpacked_destroy(&r->notes[i]);
    free(r->notes);
    free(r);
}

const char *remote_label(const remote_t *r)
{
    return r->label;
}

void remote_set_timeout(remote_t *r, int timeout_ms)
{
    r->timeout_ms = timeout_ms;
}

uint32_t remote_begin(remote_t *r, const char *method, msgpack_packer *pk)
{
    uint32_t id = r->next_msgid;
    /* msgids stay below 2^32 and never 0, which some clients treat as unset. */
    r->next_msgid = id == UINT32_MAX ? 1 : id + 1;
    buf_packer_init(pk, &r->out);
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint32(pk, 0);
    msgpack_pack_uint32(pk, id);
    buf_pack_cstr(pk, method);
    return id;
}

buf_t *remote_outbuf(remote_t *r)
{
    return &r->out;
}

/* remote_read: one read into the unpacker. Returns 1 when bytes came, 0 when
 * none were ready, -1 at end of stream or on an error (r->eof is set). */
static int remote_read(remote_t *r)
{
    if (!msgpack_unpacker_reserve_buffer(&r->up, REMOTE_READ_CHUNK)) {
        fprintf(stderr, "annals: out of memory\n");
        abort();
    }
    for (;;) {
        ssize_t n = read(r->fd, msgpack_unpacker_buffer(&r->up),
                         msgpack_unpacker_buffer_capacity(&r->up));
        if (n > 0) {
            msgpack_unpacker_buffer_consumed(&r->up, (size_t)n);
            return 1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        r->eof = 1;
        snprintf(r->eof_why, sizeof r->eof_why, "%s",
                 n == 0 ? "closed by the server" : strerror(errno));
        return -1;
    }
}

int remote_flush(remote_t *r, char *err, size_t errlen)
{
    if (r->failure[0]) {
        snprintf(err, errlen, "%s", r->failure);
        return -1;
    }
    while (r->out_off < r->out.len && !r->eof) {
        int ev = remote_wait(r->fd, POLLOUT | POLLIN, remote_deadline(r));
        if (ev == 0)
            return remote_fail(r, err, errlen, "connection to %s timed out while sending",
                               r->label);
        if (ev < 0)
            return remote_fail(r, err, errlen, "connection to %s: poll: %s",
                               r->label, strerror(errno));
        if (ev & (POLLIN | POLLHUP | POLLERR)) {
            /* Keep what the server says meanwhile (perhaps an error before it
             * closes); remote_recv decodes it. */
            if (remote_read(r) < 0)
                break;
        }
        if (!(ev & POLLOUT))
            continue;
        ssize_t n = send(r->fd, r->out.data + r->out_off, r->out.len - r->out_off,
                         MSG_NOSIGNAL);
        if (n > 0) {
            r->out_off += (size_t)n;
        } else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            r->eof = 1;
            snprintf(r->eof_why, sizeof r->eof_why, "%s",
                     errno == EPIPE ? "closed by the server" : strerror(errno));
        }
    }
    /* Whatever was not sent never will be: the server has gone. */
    buf_reset(&r->out);
    r->out_off = 0;
    return 0;
}

/* remote_classify: check the shape of a decoded message and fill rep.
 * Returns 1 for a response or an error notification, 0 for a message to
 * skip, -1 (err set) for a protocol violation. */
static int remote_classify(remote_t *r, uint32_t msgid, remote_reply *rep,
                           char *err, size_t errlen)
{
    const msgpack_object *o = &rep->msg.data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return remote_fail(r, err, errlen, "protocol error: %s sent a message that "
                           "is not a msgpack-RPC response", r->label);
    const msgpack_object *a = o->via.array.ptr;
    if (a[0].via.u64 == 2) {
        /* [2, "error", [[code, message]]]: the server gives up on us. */
        if (a[1].type == MSGPACK_OBJECT_STR && a[1].via.str.size == 5 &&
            memcmp(a[1].via.str.ptr, "error", 5) == 0 &&
            a[2].type == MSGPACK_OBJECT_ARRAY && a[2].via.array.size >= 1) {
            rep->error = &a[2].via.array.ptr[0];
            rep->closing = 1;
            return 1;
        }
        return 0;
    }
    if (a[0].via.u64 != 1 || o->via.array.size != 4 ||
        a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return remote_fail(r, err, errlen, "protocol error: %s sent a message that "
                           "is not a msgpack-RPC response", r->label);
    if (a[1].via.u64 != msgid)
        return remote_fail(r, err, errlen, "protocol error: %s answered msgid %llu "
                           "where msgid %lu was expected", r->label,
                           (unsigned long long)a[1].via.u64, (unsigned long)msgid);
    if (a[2].type != MSGPACK_OBJECT_NIL)
        rep->error = &a[2];
    else
        rep->result = &a[3];
    return 1;
}

/* remote_next_msg: decode the next message into msg, reading until deadline
 * (ms, 0 for none). reply says whether a response is awaited, which words
 * the messages; when it is not, bytes already waiting are read before any
 * wait, so that a deadline of now still sees them. Returns 1, 0 when the
 * deadline passed first, or -1 (err set, the connection failed). */
static int remote_next_msg(remote_t *r, int64_t deadline, int reply, msgpack_unpacked *msg,
                           char *err, size_t errlen)
{
    for (;;) {
        msgpack_unpack_return ret = msgpack_unpacker_next(&r->up, msg);
        if (ret == MSGPACK_UNPACK_SUCCESS)
            return 1;
        if (ret == MSGPACK_UNPACK_PARSE_ERROR)
            return remote_fail(r, err, errlen, "protocol error: %s sent bytes that "
                               "are not MessagePack", r->label);
        if (ret == MSGPACK_UNPACK_NOMEM_ERROR) {
            fprintf(stderr, "annals: out of memory\n");
            abort();
        }
        if (msgpack_unpacker_message_size(&r->up) > REMOTE_MAX_REPLY)
            return remote_fail(r, err, errlen, "protocol error: a %s from %s is "
                               "larger than %zu MiB", reply ? "reply" : "message",
                               r->label, REMOTE_MAX_REPLY >> 20);
        if (r->eof) {
            /* Bytes of an unfinished message are waiting: the reply was cut. */
            if (msgpack_unpacker_message_size(&r->up) > 0)
                return remote_fail(r, err, errlen, "connection to %s lost in the middle "
                                   "of a %s (%s)", r->label, reply ? "reply" : "message",
                                   r->eof_why);
            if (reply)
                return remote_fail(r, err, errlen, "connection to %s lost before the "
                                   "reply (%s)", r->label, r->eof_why);
            return remote_fail(r, err, errlen, "connection to %s lost (%s)", r->label,
                               r->eof_why);
        }
        if (!reply && remote_read(r) != 0)
            continue;
        int ev = remote_wait(r->fd, POLLIN, deadline);
        if (ev == 0)
            return 0;
        if (ev < 0)
            return remote_fail(r, err, errlen, "connection to %s: poll: %s",
                               r->label, strerror(errno));
        remote_read(r);
    }
}

int remote_recv(remote_t *r, uint32_t msgid, remote_reply *rep,
                char *err, size_t errlen)
{
    msgpack_unpacked_init(&rep->msg);
    rep->result = rep->error = NULL;
    rep->closing = 0;
    if (r->failure[0]) {
        snprintf(err, errlen, "%s", r->failure);
        return -1;
    }
    /* One deadline per message, as before: a server that keeps talking
     * (notifications) keeps the wait alive. */
    for (;;) {
        int got = remote_next_msg(r, remote_deadline(r), 1, &rep->msg, err, errlen);
        if (got < 0)
            return -1;
        if (got == 0)
            return remote_fail(r, err, errlen, "no reply from %s within %g s",
                               r->label, r->timeout_ms / 1000.0);
        int c = remote_classify(r, msgid, rep, err, errlen);
        if (c != 0)
            return c < 0 ? -1 : 0;
        if (r->keep_notes) {
            /* The queue takes the message's zone; rep->msg starts afresh. */
            if (r->nnotes == r->notes_cap) {
                r->notes_cap = r->notes_cap ? r->notes_cap * 2 : 16;
                r->notes = xrealloc(r->notes, r->notes_cap * sizeof *r->notes);
            }
            r->notes[r->nnotes++] = rep->msg;
            msgpack_unpacked_init(&rep->msg);
        }
    }
}

void remote_reply_release(remote_reply *rep)
{
    msgpack_unpacked_destroy(&rep->msg);
    rep->result = rep->error = NULL;
}

void remote_keep_notes(remote_t *r)
{
    r->keep_notes = 1;
}

/* Check that note->msg is [2, method, params] and point note at its parts.
 * Returns 0, or -1 (err set, the connection failed). */
static int remote_note_fill(remote_t *r, remote_note *note, char *err, size_t errlen)
{
    const msgpack_object *o = &note->msg.data;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 1 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return remote_fail(r, err, errlen, "protocol error: %s sent a message that "
                           "is not msgpack-RPC", r->label);
    const msgpack_object *a = o->via.array.ptr;
    if (a[0].via.u64 == 1 && o->via.array.size == 4 &&
        a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return remote_fail(r, err, errlen, "protocol error: %s answered msgid %llu, "
                           "which no request is waiting for", r->label,
                           (unsigned long long)a[1].via.u64);
    if (a[0].via.u64 != 2 || o->via.array.size != 3 || a[1].type != MSGPACK_OBJECT_STR ||
        a[2].type != MSGPACK_OBJECT_ARRAY)
        return remote_fail(r, err, errlen, "protocol error: %s sent a message that "
                           "is not a msgpack-RPC notification", r->label);
    note->method = a[1].via.str.ptr;
    note->method_len = a[1].via.str.size;
    note->params = &a[2];
    return 0;
}

int remote_next_note(remote_t *r, int wait_ms, remote_note *note,
                     char *err, size_t errlen)
{
    msgpack_unpacked_init(&note->msg);
    note->method = NULL;
    note->method_len = 0;
    note->params = NULL;
    if (r->notes_head < r->nnotes) {
        note->msg = r->notes[r->notes_head++];
        if (r->notes_head == r->nnotes)
            r->notes_head = r->nnotes = 0;
        return remote_note_fill(r, note, err, errlen) < 0 ? -1 : 1;
    }
    if (r->failure[0]) {
        snprintf(err, errlen, "%s", r->failure);
        return -1;
    }
    int64_t deadline = wait_ms < 0 ? 0 : remote_now_ms() + wait_ms;
    int got = remote_next_msg(r, deadline, 0, &note->msg, err, errlen);
    if (got <= 0)
        return got;
    return remote_note_fill(r, note, err, errlen) < 0 ? -1 : 1;
}

int remote_note_is(const remote_note *note, const char *name)
{
    return note->method && strlen(name) == note->method_len &&
           memcmp(note->method, name, note->method_len) == 0;
}

void remote_note_release(remote_note *note)
{
    msgpack_unpacked_destroy(&note->msg);
    note->method = NULL;
    note->method_len = 0;
    note->params = NULL;
}
