/* libannals_fake.h: a server played by a unit test on a Unix socket, for
 * the libannals tests: listen, pair a client with its server side, and
 * pack and send the responses and notifications the test scripts. */
#ifndef ANNALS_TEST_LIBANNALS_FAKE_H
#define ANNALS_TEST_LIBANNALS_FAKE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/lib/annals.h"
#include "proto/buf.h"

static char dir[64], path[128];
static int lfd = -1;

static inline void listen_start(void)
{
    struct sockaddr_un sun;
    snprintf(dir, sizeof dir, "/tmp/annals-lib-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/s.sock", dir);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path));
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(lfd, 8) < 0) {
        perror("listen");
        exit(1);
    }
}

static inline void listen_stop(void)
{
    close(lfd);
    unlink(path);
    rmdir(dir);
}

/* Connect a client and accept its server side into *sfd. */
static inline annals_conn *pair(int *sfd)
{
    annals_conn *c;
    annals_new(&c);
    annals_set_timeout(c, 2000);
    if (annals_connect_unix(c, path) != ANNALS_OK) {
        printf("Bail out! %s\n", annals_errmsg(c));
        exit(1);
    }
    *sfd = accept(lfd, NULL, NULL);
    if (*sfd < 0) {
        perror("accept");
        exit(1);
    }
    return c;
}

static inline void send_buf(int fd, buf_t *b)
{
    if (write(fd, b->data, b->len) != (ssize_t)b->len)
        perror("write");
    buf_release(b);
}

/* Pack into b (initialised here) the notification [2, method, [{sub,
 * seq, extra...}]]; op and id make it a change (a put carries an event
 * {title}), gone carries oldest 77. */
static inline void pack_note(buf_t *b, const char *method, unsigned sub, unsigned seq,
                             const char *op, const char *id)
{
    msgpack_packer pk;
    buf_init(b);
    buf_packer_init(&pk, b);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, method);
    msgpack_pack_array(&pk, 1);
    int put = op && strcmp(op, "put") == 0;
    msgpack_pack_map(&pk, 2 + (op ? 2 : 0) + put + (strcmp(method, "gone") == 0));
    buf_pack_cstr(&pk, "sub");
    msgpack_pack_uint32(&pk, sub);
    buf_pack_cstr(&pk, "seq");
    msgpack_pack_uint32(&pk, seq);
    if (op) {
        buf_pack_cstr(&pk, "op");
        buf_pack_cstr(&pk, op);
        buf_pack_cstr(&pk, "id");
        buf_pack_cstr(&pk, id);
    }
    if (put) {
        buf_pack_cstr(&pk, "event");
        msgpack_pack_map(&pk, 1);
        buf_pack_cstr(&pk, "title");
        buf_pack_cstr(&pk, id);
    }
    if (strcmp(method, "gone") == 0) {
        buf_pack_cstr(&pk, "oldest");
        msgpack_pack_uint32(&pk, 77);
    }
}

/* The server sends that notification. */
static inline void send_note(int fd, const char *method, unsigned sub, unsigned seq,
                             const char *op, const char *id)
{
    buf_t b;
    pack_note(&b, method, sub, seq, op, id);
    send_buf(fd, &b);
}

/* Start the response [1, msgid, nil, result] in b; the caller packs the
 * result. */
static inline void begin_result(buf_t *b, msgpack_packer *pk, uint32_t msgid)
{
    buf_init(b);
    buf_packer_init(pk, b);
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_uint32(pk, msgid);
    msgpack_pack_nil(pk);
}

/* The server answers msgid with {n: n}. */
static inline void send_result(int fd, uint32_t msgid, unsigned n)
{
    buf_t b;
    msgpack_packer pk;
    begin_result(&b, &pk, msgid);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "n");
    msgpack_pack_uint32(&pk, n);
    send_buf(fd, &b);
}

/* The server answers msgid with {sub, seq} (a subscribe) or {pong: true}. */
static inline void send_map2(int fd, uint32_t msgid, const char *k1, unsigned v1,
                             const char *k2, unsigned v2)
{
    buf_t b;
    msgpack_packer pk;
    begin_result(&b, &pk, msgid);
    msgpack_pack_map(&pk, k2 ? 2 : 1);
    buf_pack_cstr(&pk, k1);
    if (strcmp(k1, "pong") == 0)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_uint32(&pk, v1);
    if (k2) {
        buf_pack_cstr(&pk, k2);
        msgpack_pack_uint32(&pk, v2);
    }
    send_buf(fd, &b);
}

/* The server answers msgid with the error [code, message, {index}?]; code
 * NULL packs nil. msgid 0 sends the notification [2, "error", [[...]]]. */
static inline void send_error(int fd, uint32_t msgid, const char *code, const char *msg,
                              int index)
{
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    if (msgid) {
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint32(&pk, msgid);
    } else {
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint8(&pk, 2);
        buf_pack_cstr(&pk, "error");
        msgpack_pack_array(&pk, 1);
    }
    msgpack_pack_array(&pk, index >= 0 ? 3 : 2);
    if (code)
        buf_pack_cstr(&pk, code);
    else
        msgpack_pack_nil(&pk);
    buf_pack_cstr(&pk, msg);
    if (index >= 0) {
        msgpack_pack_map(&pk, 1);
        buf_pack_cstr(&pk, "index");
        msgpack_pack_int(&pk, index);
    }
    if (msgid)
        msgpack_pack_nil(&pk);
    send_buf(fd, &b);
}

/* Read and drop what the client sent. */
static inline void drain(int fd)
{
    char sink[4096];
    if (read(fd, sink, sizeof sink) <= 0)
        perror("read");
}

static inline unsigned reply_n(const annals_reply *r)
{
    const msgpack_object *n = annals_map_get(r->result, "n");
    return n ? (unsigned)n->via.u64 : 0;
}

#endif
