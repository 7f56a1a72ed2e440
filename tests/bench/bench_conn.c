/* bench_conn.c: the load generator's msgpack-RPC connection (see
 * bench_conn.h). Blocking writes, poll()ed reads into one msgpack_unpacker
 * that is drained before the socket is read again, so a message's time is
 * that of the read that completed it. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/xalloc.h"
#include "tests/bench/bench.h"

#define BENCH_CONN_READ_CHUNK (256 * 1024)

struct bench_conn {
    int fd;
    uint32_t next_msgid;
    buf_t out;
    msgpack_unpacker up;
    int64_t last_read_ns;     /* when the bytes in up were last added to */
};

static int bench_conn_fd_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(err, errlen, "%s: socket path too long", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int bench_conn_fd_tcp(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, strerror(e));
        return -1;
    }
    int one = 1;
    /* A put is one small write: send it now rather than after an ACK. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int bench_conn_open(const bench_addr *a, bench_conn **out, char *err, size_t errlen)
{
    int fd = a->socket_path ? bench_conn_fd_unix(a->socket_path, err, errlen)
                            : bench_conn_fd_tcp(a->host, a->port, err, errlen);
    if (fd < 0)
        return -1;
    bench_conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    c->next_msgid = 1;
    buf_init(&c->out);
    if (!msgpack_unpacker_init(&c->up, BENCH_CONN_READ_CHUNK)) {
        fprintf(stderr, "bench: out of memory\n");
        abort();
    }
    *out = c;
    return 0;
}

void bench_conn_close(bench_conn *c)
{
    if (!c)
        return;
    close(c->fd);
    buf_release(&c->out);
    msgpack_unpacker_destroy(&c->up);
    free(c);
}

uint32_t bench_conn_begin(bench_conn *c, const char *method, msgpack_packer *pk)
{
    uint32_t id = c->next_msgid++;
    buf_packer_init(pk, &c->out);
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint32(pk, id);
    buf_pack_cstr(pk, method);
    return id;
}

size_t bench_conn_pending(const bench_conn *c)
{
    return c->out.len;
}

int bench_conn_send(bench_conn *c, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "write: %s", strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    buf_reset(&c->out);
    return 0;
}

int bench_conn_next(bench_conn *c, int timeout_ms, msgpack_unpacked *msg, int64_t *at_ns,
                    char *err, size_t errlen)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        msgpack_unpack_return r = msgpack_unpacker_next(&c->up, msg);
        if (r == MSGPACK_UNPACK_SUCCESS) {
            *at_ns = c->last_read_ns;
            return 1;
        }
        if (r != MSGPACK_UNPACK_CONTINUE) {
            snprintf(err, errlen, "the server sent bytes that are not msgpack");
            return -1;
        }
        int64_t left = deadline - bench_now_ns();
        if (left <= 0)
            return 0;
        struct pollfd p = { .fd = c->fd, .events = POLLIN, .revents = 0 };
        int pr = poll(&p, 1, (int)((left + 999999) / 1000000));
        if (pr < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return -1;
        }
        if (pr <= 0)
            continue;
        if (!msgpack_unpacker_reserve_buffer(&c->up, BENCH_CONN_READ_CHUNK)) {
            fprintf(stderr, "bench: out of memory\n");
            abort();
        }
        ssize_t n = read(c->fd, msgpack_unpacker_buffer(&c->up),
                         msgpack_unpacker_buffer_capacity(&c->up));
        c->last_read_ns = bench_now_ns();
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s", n == 0 ? "the server closed the connection"
                                               : strerror(errno));
            return -1;
        }
        msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
    }
}

int bench_conn_response(const msgpack_object *m, uint32_t msgid, const msgpack_object **result,
                        char *err, size_t errlen)
{
    if (m->type != MSGPACK_OBJECT_ARRAY || m->via.array.size != 4 ||
        m->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        m->via.array.ptr[0].via.u64 != 1 ||
        m->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        m->via.array.ptr[1].via.u64 != msgid) {
        char d[200];
        bench_describe(m, d, sizeof d);
        snprintf(err, errlen, "expected the response to msgid %u, got %s", msgid, d);
        return -1;
    }
    if (m->via.array.ptr[2].type != MSGPACK_OBJECT_NIL) {
        char d[400];
        bench_describe(&m->via.array.ptr[2], d, sizeof d);
        snprintf(err, errlen, "server error %s", d);
        return -1;
    }
    *result = &m->via.array.ptr[3];
    return 0;
}

int bench_conn_call(bench_conn *c, uint32_t msgid, int timeout_ms, msgpack_unpacked *msg,
                    const msgpack_object **result, int64_t *at_ns, char *err, size_t errlen)
{
    if (bench_conn_send(c, err, errlen) < 0)
        return -1;
    int rc = bench_conn_next(c, timeout_ms, msg, at_ns, err, errlen);
    if (rc == 0)
        snprintf(err, errlen, "no response within %d ms", timeout_ms);
    if (rc <= 0)
        return -1;
    return bench_conn_response(&msg->data, msgid, result, err, errlen);
}

const msgpack_object *bench_map_get(const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

int bench_map_uint(const msgpack_object *map, const char *key, uint64_t *out)
{
    const msgpack_object *v = bench_map_get(map, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return -1;
    *out = v->via.u64;
    return 0;
}

void bench_describe(const msgpack_object *o, char *out, size_t len)
{
    /* One byte is kept back: some msgpack-c versions fill the buffer
     * without terminating it when the text does not fit. */
    int n = msgpack_object_print_buffer(out, len - 1, *o);
    out[n >= 0 && (size_t)n < len - 1 ? (size_t)n : len - 1] = '\0';
}
