/* fuzz_dispatch.c: the whole request path of annalsd, from the socket to the
 * method handlers and back: a real server (server_start, the writer thread,
 * the feed) on a real LMDB store, serving a Unix socket on a libuv loop run
 * in this process. Each input is sent on a new connection, cut into chunks,
 * and the loop runs between chunks, so the daemon's own on_read, framing,
 * conn_process, rpc_handle, parameter parsing, queries, writes and
 * subscriptions see it as a client would send it.
 *
 * Input: byte 0 = n (low 3 bits: how many chunk sizes follow); the next n
 * bytes are chunk sizes (0 means 1), used in turn to cut the stream; the
 * rest is the stream. After the stream the client shuts its write side and
 * reads until the server closes the connection.
 *
 * Checked: the server closes the connection (a hang is the fuzzer's
 * timeout); everything it sent decodes as msgpack-RPC responses
 * [1, msgid, nil | [code, message(, details)], result] with a known error
 * code, and notifications [2, name, [...]] of the names PROTOCOL.md gives;
 * responses and error notifications are no more than the messages sent (plus
 * one for a message the framer refused), and the msgids of the responses
 * follow the order of the requests (replies are never reordered); every
 * string is well-formed UTF-8 (error messages quote a client's bytes only up
 * to a character boundary); once the connection is gone the server holds
 * no connection, subscription or backup.
 *
 * State: the store is made once (seeded with a few events so queries find
 * something) and made anew every FUZZ_DISPATCH_RESET inputs, which bounds
 * its growth. Backups would create directories anywhere: the harness is
 * linked with -Wl,--wrap=mkdir, and __wrap_mkdir below refuses every path
 * outside its temporary directory (as for a directory without write
 * permission), so a backup request is answered with the daemon's error for
 * a directory it cannot create. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/rpc.h"
#include "daemon/server.h"
#include "daemon/store.h"
#include "daemon/tokens.h"
#include "proto/buf.h"
#include "proto/error.h"
#include "proto/frame.h"
#include "proto/utf8.h"
#include "tests/fuzz/fuzz.h"

/* Inputs served before the store is made anew. */
#define FUZZ_DISPATCH_RESET 2000

/* Events written before each run of inputs, for queries to find. */
#define FUZZ_DISPATCH_SEED_EVENTS 24

static struct {
    char root[80];              /* the temporary directory: everything lives under it
                                   (short: the socket's path must fit a sockaddr_un) */
    config_t cfg;
    tokens_t tokens;            /* none: every connection may read and write */
    store_t *store;
    uv_loop_t loop;
    server_t srv;
    int up;
    unsigned served;            /* inputs since the store was made */
} fz;

/* The real mkdir, and the one the daemon calls in this program. */
int __real_mkdir(const char *path, mode_t mode);
int __wrap_mkdir(const char *path, mode_t mode);

int __wrap_mkdir(const char *path, mode_t mode)
{
    size_t n = strlen(fz.root);
    if (n == 0 || strncmp(path, fz.root, n) != 0 || (path[n] != '/' && path[n] != '\0') ||
        strstr(path + n, "/..")) {
        struct stat st;
        errno = stat(path, &st) == 0 ? EEXIST : EACCES;   /* as for a directory we may not write */
        return -1;
    }
    return __real_mkdir(path, mode);
}

/* One client connection: the socket, and what the server sent on it. */
typedef struct {
    int fd;
    uv_poll_t poll;
    buf_t in;
    int eof;
    int reset;                  /* the server closed with bytes unread: the tail may be lost */
} fuzz_client;

static void on_client_readable(uv_poll_t *p, int status, int events)
{
    fuzz_client *cl = p->data;
    (void)events;
    if (status < 0) {
        cl->eof = cl->reset = 1;
        uv_poll_stop(p);
        return;
    }
    for (;;) {
        buf_reserve(&cl->in, 64 * 1024);
        ssize_t n = recv(cl->fd, cl->in.data + cl->in.len, cl->in.cap - cl->in.len, 0);
        if (n > 0) {
            cl->in.len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n < 0)
            cl->reset = 1;
        cl->eof = 1;
        uv_poll_stop(p);
        return;
    }
}

static void fuzz_client_open(fuzz_client *cl)
{
    struct sockaddr_un sa;
    memset(cl, 0, sizeof *cl);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", fz.root);    /* as cfg.socket */
    cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    fuzz_check(cl->fd >= 0);
    /* The listener's backlog takes the connection at once; the loop
     * accepts it on its next turn. */
    fuzz_check(connect(cl->fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    fuzz_check(fcntl(cl->fd, F_SETFL, O_NONBLOCK) == 0);
    buf_init(&cl->in);
    fuzz_check(uv_poll_init(&fz.loop, &cl->poll, cl->fd) == 0);
    cl->poll.data = cl;
    uv_poll_start(&cl->poll, UV_READABLE, on_client_readable);
}

/* Send len bytes, running the loop whenever the socket is full. Stops early
 * when the server has closed the connection. */
static void fuzz_client_send(fuzz_client *cl, const uint8_t *p, size_t len)
{
    while (len > 0 && !cl->eof) {
        ssize_t n = send(cl->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            uv_run(&fz.loop, UV_RUN_ONCE);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return;             /* EPIPE, ECONNRESET: the server is done with us */
        }
    }
}

/* Shut the write side, and run the loop until the server has closed the
 * connection and freed it. */
static void fuzz_client_finish(fuzz_client *cl)
{
    shutdown(cl->fd, SHUT_WR);
    while (!cl->eof || fz.srv.nconns > 0)
        uv_run(&fz.loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&cl->poll, NULL);
    uv_run(&fz.loop, UV_RUN_NOWAIT);
    close(cl->fd);
}

/* Every string in o is well-formed UTF-8: events are validated on the way
 * in, and error messages quote a client's strings only up to a character
 * boundary. */
static void fuzz_check_utf8(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        fuzz_check(utf8_valid(o->via.str.ptr, o->via.str.size, NULL));
        break;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            fuzz_check_utf8(&o->via.array.ptr[i]);
        break;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            fuzz_check_utf8(&o->via.map.ptr[i].key);
            fuzz_check_utf8(&o->via.map.ptr[i].val);
        }
        break;
    default:
        break;
    }
}

static int fuzz_is_str(const msgpack_object *o, const char *s)
{
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/* The msgids the requests of stream carry, in order, as far as the server's
 * framer reads it; *nmsgs is the number of messages framed, plus one when
 * the framer refused the rest (that one may be answered too). Returns the
 * number of msgids (at most cap; a request without a readable msgid, or a
 * message that is not a request, adds none). */
static size_t fuzz_request_msgids(const uint8_t *stream, size_t len, uint32_t *ids, size_t cap,
                                  size_t *nmsgs)
{
    frame_state fs;
    size_t off = 0, n = 0;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    *nmsgs = 0;
    while (off < len) {
        size_t mlen = 0, used = 0;
        frame_init(&fs, &fz.srv.limits);
        int fr = frame_scan(&fs, (const char *)stream + off, len - off, &mlen);
        if (fr == FRAME_INCOMPLETE)
            break;
        ++*nmsgs;
        if (fr < 0) {
            uint32_t id;
            if (n < cap && rpc_peek_msgid((const char *)stream + off, len - off, &id) == 0)
                ids[n++] = id;
            break;
        }
        msgpack_object o;
        msgpack_unpack_return ur = msgpack_unpack((const char *)stream + off, mlen, &used, &zone, &o);
        if ((ur == MSGPACK_UNPACK_SUCCESS || ur == MSGPACK_UNPACK_EXTRA_BYTES) &&
            o.type == MSGPACK_OBJECT_ARRAY && o.via.array.size >= 2 &&
            o.via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER && o.via.array.ptr[0].via.u64 == 0 &&
            o.via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
            o.via.array.ptr[1].via.u64 <= UINT32_MAX && n < cap)
            ids[n++] = (uint32_t)o.via.array.ptr[1].via.u64;
        msgpack_zone_clear(&zone);
        off += mlen;
    }
    msgpack_zone_destroy(&zone);
    return n;
}

/* A response's error: nil, or [code, message] or [code, message, {details}]
 * with a code of the error table. */
static void fuzz_check_error(const msgpack_object *e)
{
    if (e->type == MSGPACK_OBJECT_NIL)
        return;
    fuzz_check(e->type == MSGPACK_OBJECT_ARRAY);
    fuzz_check(e->via.array.size == 2 || e->via.array.size == 3);
    const msgpack_object *a = e->via.array.ptr;
    fuzz_check(a[0].type == MSGPACK_OBJECT_STR && a[1].type == MSGPACK_OBJECT_STR);
    fuzz_check(a[1].via.str.size > 0);
    fuzz_check(error_from_wire(a[0].via.str.ptr, a[0].via.str.size) != ERROR_INTERNAL ||
               fuzz_is_str(&a[0], "internal"));
    if (e->via.array.size == 3)
        fuzz_check(a[2].type == MSGPACK_OBJECT_MAP);
}

/* Everything the server sent on one connection (see the file comment). */
static void fuzz_check_replies(const fuzz_client *cl, const uint8_t *stream, size_t len)
{
    static uint32_t ids[65536];
    size_t nmsgs, nids = fuzz_request_msgids(stream, len, ids, sizeof ids / sizeof ids[0], &nmsgs);
    size_t off = 0, next_id = 0, answers = 0;
    int all_ids = nids < sizeof ids / sizeof ids[0];   /* else the order is not checked */
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    for (;;) {
        msgpack_unpack_return ur = msgpack_unpack_next(&u, cl->in.data, cl->in.len, &off);
        if (ur == MSGPACK_UNPACK_CONTINUE && off == cl->in.len)
            break;
        /* A whole reply stream unless the connection was reset under it. */
        if (ur == MSGPACK_UNPACK_CONTINUE && cl->reset)
            break;
        fuzz_check(ur == MSGPACK_UNPACK_SUCCESS);
        const msgpack_object *o = &u.data;
        fuzz_check_utf8(o);
        fuzz_check(o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size >= 3);
        const msgpack_object *a = o->via.array.ptr;
        fuzz_check(a[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER);
        if (a[0].via.u64 == 1) {
            fuzz_check(o->via.array.size == 4);
            fuzz_check(a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER && a[1].via.u64 <= UINT32_MAX);
            fuzz_check_error(&a[2]);
            if (a[2].type != MSGPACK_OBJECT_NIL)
                fuzz_check(a[3].type == MSGPACK_OBJECT_NIL);
            else
                fuzz_check(a[3].type == MSGPACK_OBJECT_MAP);
            /* Replies go out in the order of the requests. */
            while (next_id < nids && ids[next_id] != a[1].via.u64)
                next_id++;
            fuzz_check(next_id < nids || !all_ids);
            next_id++;
            answers++;
        } else {
            fuzz_check(a[0].via.u64 == 2 && o->via.array.size == 3);
            fuzz_check(a[2].type == MSGPACK_OBJECT_ARRAY && a[2].via.array.size == 1);
            if (fuzz_is_str(&a[1], "error")) {
                fuzz_check_error(&a[2].via.array.ptr[0]);
                fuzz_check(a[2].via.array.ptr[0].type == MSGPACK_OBJECT_ARRAY);
                answers++;
            } else {
                fuzz_check(fuzz_is_str(&a[1], "change") || fuzz_is_str(&a[1], "heartbeat") ||
                           fuzz_is_str(&a[1], "overflow") || fuzz_is_str(&a[1], "gone"));
                fuzz_check(a[2].via.array.ptr[0].type == MSGPACK_OBJECT_MAP);
            }
        }
    }
    fuzz_check(answers <= nmsgs);
    msgpack_unpacked_destroy(&u);
}

/* One connection: stream sent in the chunks given, the replies read and
 * checked; they are left in replies when it is not NULL. */
static void fuzz_dispatch_session(const uint8_t *sizes, size_t nsizes, const uint8_t *stream, size_t len,
                                  buf_t *replies)
{
    fuzz_client cl;
    fuzz_client_open(&cl);
    uv_run(&fz.loop, UV_RUN_NOWAIT);    /* accept */
    size_t off = 0, k = 0;
    while (off < len && !cl.eof) {
        size_t n = len;
        if (nsizes) {
            n = sizes[k % nsizes] ? sizes[k % nsizes] : 1;
            k++;
        }
        if (n > len - off)
            n = len - off;
        fuzz_client_send(&cl, stream + off, n);
        off += n;
        uv_run(&fz.loop, UV_RUN_NOWAIT);
    }
    fuzz_client_finish(&cl);
    fuzz_check_replies(&cl, stream, len);
    if (replies)
        *replies = cl.in;
    else
        buf_release(&cl.in);
    fuzz_check(fz.srv.nconns == 0 && fz.srv.conns == NULL);
    fuzz_check(fz.srv.nsubs == 0 && fz.srv.subs == NULL);
    fuzz_check(!fz.srv.backup_running);
}

/* The seed events, written through the server as one put_many. */
static void fuzz_dispatch_seed(void)
{
    static const char *const kinds[] = { "visit", "meeting", "agreement", "conference", "other" };
    static const char *const countries[] = { "MA", "NO", "FR", "ES", "DZ", "EG" };
    buf_t req;
    msgpack_packer pk;
    char s[64];
    buf_init(&req);
    buf_packer_init(&pk, &req);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint8(&pk, 1);
    buf_pack_cstr(&pk, "put_many");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "events");
    msgpack_pack_array(&pk, FUZZ_DISPATCH_SEED_EVENTS);
    for (int i = 0; i < FUZZ_DISPATCH_SEED_EVENTS; i++) {
        msgpack_pack_map(&pk, 8);
        buf_pack_cstr(&pk, "id");
        snprintf(s, sizeof s, "e%d", i);
        buf_pack_cstr(&pk, s);
        buf_pack_cstr(&pk, "kind");
        buf_pack_cstr(&pk, kinds[i % 5]);
        buf_pack_cstr(&pk, "title");
        snprintf(s, sizeof s, "Meeting %d of the ministers in Rabat", i);
        buf_pack_cstr(&pk, s);
        buf_pack_cstr(&pk, "start");
        snprintf(s, sizeof s, i % 3 ? "20%02d-%02d-%02d" : "20%02d-%02d", i, i % 12 + 1, i % 28 + 1);
        buf_pack_cstr(&pk, s);
        buf_pack_cstr(&pk, "countries");
        msgpack_pack_array(&pk, 2);
        buf_pack_cstr(&pk, countries[i % 6]);
        buf_pack_cstr(&pk, countries[(i + 1) % 6]);
        buf_pack_cstr(&pk, "tags");
        msgpack_pack_array(&pk, 1);
        buf_pack_cstr(&pk, i % 2 ? "trade" : "security");
        buf_pack_cstr(&pk, "participants");
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 2);
        buf_pack_cstr(&pk, "name");
        buf_pack_cstr(&pk, i % 2 ? "Nasser Bourita" : "Jonas Gahr Store");
        buf_pack_cstr(&pk, "aliases");
        msgpack_pack_array(&pk, 1);
        buf_pack_cstr(&pk, i % 2 ? "ناصر بوريطة" : "Støre");
        buf_pack_cstr(&pk, "place");
        msgpack_pack_map(&pk, 2);
        buf_pack_cstr(&pk, "city");
        buf_pack_cstr(&pk, i % 2 ? "Rabat" : "Oslo");
        buf_pack_cstr(&pk, "country");
        buf_pack_cstr(&pk, i % 2 ? "MA" : "NO");
    }
    buf_t reply;
    fuzz_dispatch_session(NULL, 0, (const uint8_t *)req.data, req.len, &reply);
    /* [1, 1, nil, {ids, seq}]: the put_many went through. */
    fuzz_check(reply.len > 4 && memcmp(reply.data, "\x94\x01\x01\xc0", 4) == 0);
    buf_release(&reply);
    buf_release(&req);
}

static int fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Make the store and the server anew. */
static void fuzz_dispatch_up(void)
{
    char err[1024];
    nftw(fz.cfg.data, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
    if (store_open(&fz.store, fz.cfg.data, fz.cfg.map_size, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_dispatch: %s\n", err);
        abort();
    }
    fuzz_check(uv_loop_init(&fz.loop) == 0);
    if (server_start(&fz.srv, &fz.loop, &fz.cfg, &fz.tokens, fz.store) < 0) {
        fprintf(stderr, "fuzz_dispatch: the server did not start\n");
        abort();
    }
    fz.up = 1;
    fz.served = 0;
    fuzz_dispatch_seed();
}

/* Stop the server as SIGTERM does, and close the store. */
static void fuzz_dispatch_down(void)
{
    server_stop(&fz.srv);
    uv_run(&fz.loop, UV_RUN_DEFAULT);
    fuzz_check(uv_loop_close(&fz.loop) == 0);
    store_close(fz.store);
    fz.up = 0;
}

static void fuzz_dispatch_exit(void)
{
    if (fz.up)
        fuzz_dispatch_down();
    nftw(fz.root, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tmpfs when there is one: commits sync, and a disk would make every
     * write wait for it. */
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 48)
        tmp = "/tmp";
    snprintf(fz.root, sizeof fz.root, "%s/annals-fuzz-XXXXXX", tmp);
    if (!mkdtemp(fz.root)) {
        fprintf(stderr, "fuzz_dispatch: mkdtemp %s: %s\n", fz.root, strerror(errno));
        abort();
    }
    config_defaults(&fz.cfg);
    fz.cfg.listen[0] = '\0';
    snprintf(fz.cfg.socket, sizeof fz.cfg.socket, "%s/sock", fz.root);
    snprintf(fz.cfg.data, sizeof fz.cfg.data, "%s/data", fz.root);
    fz.cfg.map_size = 64ULL << 20;
    /* Small limits, so short inputs reach them. */
    fz.cfg.max_message_size = 64 * 1024;
    fz.cfg.max_record_size = 4096;
    fz.cfg.max_array_length = 1024;
    fz.cfg.max_map_length = 1024;
    fz.cfg.max_string_length = 8192;
    fz.cfg.output_limit = 256 * 1024;
    fz.cfg.feed_buffer = 64 * 1024;
    fz.cfg.changes_max_entries = 1000;
    /* No timer may decide an input's outcome: the runs stay repeatable. */
    fz.cfg.request_timeout_ms = fz.cfg.idle_timeout_ms = fz.cfg.output_timeout_ms = 0;
    fz.cfg.feed_heartbeat_ms = 3600 * 1000;
    fz.cfg.index_idle_ms = 3600 * 1000;     /* indexing when a read asks for it */
    fz.cfg.log_level = LOG_ERROR;
    log_set_level(fz.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    atexit(fuzz_dispatch_exit);
    fuzz_dispatch_up();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t nsizes = data[0] & 7;
    if (size < 1 + nsizes)
        return 0;
    if (fz.served++ >= FUZZ_DISPATCH_RESET) {
        fuzz_dispatch_down();
        fuzz_dispatch_up();
    }
    fuzz_dispatch_session(data + 1, nsizes, data + 1 + nsizes, size - 1 - nsizes, NULL);
    return 0;
}
