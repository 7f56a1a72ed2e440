/* test_libannals_limits.c: libannals against a hostile or awkward server
 * played by the test: messages nested too deep or declaring huge arrays
 * end the connection with EPROTO instead of aborting; a reply over the size
 * limit is refused; notifications queued while a call waits are capped (an
 * overflow of the library's own, an unsubscribe, the queue dropped);
 * discarded replies are freed; refused arguments leave the reply empty and
 * change nothing; caller bytes that are not the maps promised are EINVAL; a
 * slow reply that keeps coming is not timed out, nor a wait longer than one
 * poll before its deadline; annals_follow(c, 0) returns
 * under a flood; the wake fd ends a connect to a busy socket; msgids in use
 * are never reused. */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "client/lib/internal.h"
#include "tests/unit/libannals_fake.h"
#include "tests/unit/tap.h"

/* The client's request ping with msgid 1 is answered with raw bytes. */
static int recv_raw_reply(const char *bytes, size_t len, const char *needle, const char *what)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t id;
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    if (write(sfd, bytes, len) != (ssize_t)len)
        perror("write");
    int rc = annals_recv(c, id, &rep);
    is_int(rc, ANNALS_EPROTO, "%s: EPROTO, no abort", what);
    ok(strstr(annals_errmsg(c), needle) != NULL, "...%s", annals_errmsg(c));
    ok(!annals_alive(c), "...and the connection is over");
    annals_reply_free(&rep);
    annals_free(c);
    close(sfd);
    return rc;
}

static void test_hostile_messages(void)
{
    char deep[64];
    memset(deep, 0x91, 40);     /* [[[[...]]]] 40 levels */
    deep[40] = (char)0xc0;
    recv_raw_reply(deep, 41, "nested deeper", "40 nested arrays");
    recv_raw_reply("\x94\x01\x01\xc0\xdd\xff\xff\xff\xff", 9, "array of 4294967295",
                   "an array header of 2^32 - 1 entries");
    recv_raw_reply("\xdf\xff\xff\xff\xff", 5, "map of 4294967295", "a map header of 2^32 - 1");

    /* A reply over the caller's size limit, refused from its header. */
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t id;
    is_int(annals_set_max_reply(c, 100), ANNALS_EINVAL, "a size limit under 1024: EINVAL");
    is_int(annals_set_max_reply(c, 2048), ANNALS_OK, "a size limit of 2 KiB");
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    buf_t b;
    msgpack_packer pk;
    char big[4000];
    memset(big, 'x', sizeof big);
    begin_result(&b, &pk, id);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "s");
    buf_pack_str(&pk, big, sizeof big);
    if (write(sfd, b.data, 64) != 64)    /* the header is enough to refuse it */
        perror("write");
    buf_release(&b);
    is_int(annals_recv(c, id, &rep), ANNALS_EPROTO, "a reply over the limit: EPROTO");
    ok(strstr(annals_errmsg(c), "larger than 2048 bytes") != NULL, "...%s", annals_errmsg(c));
    annals_reply_free(&rep);
    annals_free(c);
    close(sfd);
}

typedef struct {
    int overflows, changes;
    uint64_t overflow_seq;
    int local;
    int echo_fd;
} feed_seen;

static int on_note(annals_conn *c, const annals_note *n, void *userdata)
{
    feed_seen *s = userdata;
    (void)c;
    if (n->kind == ANNALS_NOTE_CHANGE)
        s->changes++;
    if (n->kind == ANNALS_NOTE_OVERFLOW) {
        s->overflows++;
        s->overflow_seq = n->seq;
        s->local = annals_map_get(n->params, "local") != NULL;
    }
    return 0;
}

/* The child's side of the flood: answer request 3 (a ping) only after
 * notes change notes of about 1 KiB, then wait for an unsubscribe, answer
 * it, and exit 0 (1 when none came within 5 s). */
static void flood_then_pong(int sfd, int notes)
{
    char title[1000];
    memset(title, 't', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    for (int i = 0; i < notes; i++) {
        buf_t b;
        char id[1100];
        snprintf(id, sizeof id, "%d-%s", i, title);
        pack_note(&b, "change", 1, 7 + (unsigned)i, "put", id);
        send_buf(sfd, &b);
    }
    send_map2(sfd, 3, "pong", 0, NULL, 0);
    msgpack_unpacker up;
    msgpack_unpacked m;
    msgpack_unpacker_init(&up, 4096);
    msgpack_unpacked_init(&m);
    struct pollfd p = { .fd = sfd, .events = POLLIN, .revents = 0 };
    while (poll(&p, 1, 5000) > 0) {
        msgpack_unpacker_reserve_buffer(&up, 4096);
        ssize_t n = read(sfd, msgpack_unpacker_buffer(&up), 4096);
        if (n <= 0)
            break;
        msgpack_unpacker_buffer_consumed(&up, (size_t)n);
        while (msgpack_unpacker_next(&up, &m) == MSGPACK_UNPACK_SUCCESS) {
            const msgpack_object *a = m.data.via.array.ptr;
            if (m.data.via.array.size == 4 && a[2].via.str.size == 11 &&
                memcmp(a[2].via.str.ptr, "unsubscribe", 11) == 0) {
                send_map2(sfd, (uint32_t)a[1].via.u64, "seq", 99, NULL, 0);
                _exit(0);
            }
        }
    }
    _exit(1);
}

static void test_queue_cap(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    feed_seen s;
    memset(&s, 0, sizeof s);
    send_map2(sfd, 1, "sub", 1, "seq", 5);
    is_int(annals_subscribe(c, NULL, NULL, on_note, &s, NULL, NULL), ANNALS_OK, "subscribe at 5");
    send_note(sfd, "change", 1, 6, "put", "first");
    is_int(annals_follow(c, 200), ANNALS_OK, "one change delivered");
    ok(s.changes == 1, "...change 6");

    /* While a ping waits, 6 MiB of notifications come ahead of its reply. */
    drain(sfd);
    send_map2(sfd, 2, "pong", 0, NULL, 0);
    is_int(annals_ping(c), ANNALS_OK, "a ping");
    pid_t pid = fork();
    if (pid == 0)
        flood_then_pong(sfd, 6000);
    is_int(annals_ping(c), ANNALS_OK, "a ping behind 6 MiB of notifications");
    ok(c->notes_bytes <= ANNALS__NOTES_MAX, "...the queue stayed under 4 MiB (%zu bytes)",
       c->notes_bytes);
    is_int(annals_follow(c, 500), ANNALS_OK, "follow");
    ok(s.overflows == 1 && s.local, "...an overflow of the library's own is told, once");
    ok(s.overflow_seq == 6, "...at the last change delivered (%llu)",
       (unsigned long long)s.overflow_seq);
    ok(s.changes == 1, "...and none of the dropped changes");
    int st = 0;
    waitpid(pid, &st, 0);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the library unsubscribed");
    ok(annals_alive(c) && c->nkept == 0 && c->ndiscard == 0,
       "...and dropped the answer, which nobody will take");
    annals_free(c);
    close(sfd);
}

static void test_discard(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t a, b, d;
    annals_send(c, "ping", NULL, 0, &a);
    annals_send(c, "ping", NULL, 0, &b);
    is_int(annals_discard(c, a), ANNALS_OK, "discard a reply still to come");
    drain(sfd);
    send_result(sfd, a, 1);
    send_result(sfd, b, 2);
    is_int(annals_recv(c, b, &rep), ANNALS_OK, "the next reply");
    ok(reply_n(&rep) == 2 && c->nkept == 0, "...and the discarded one was not kept");
    annals_reply_free(&rep);
    is_int(annals_recv(c, a, &rep), ANNALS_EINVAL, "the discarded one cannot be taken");

    annals_send(c, "ping", NULL, 0, &a);
    annals_send(c, "ping", NULL, 0, &d);
    drain(sfd);
    send_result(sfd, a, 3);
    send_result(sfd, d, 4);
    is_int(annals_recv(c, d, &rep), ANNALS_OK, "a reply read past another");
    annals_reply_free(&rep);
    is_int(annals_recv(c, a, NULL), ANNALS_EINVAL, "annals_recv without a reply: EINVAL");
    ok(c->nkept == 1, "...and the kept reply is still kept");
    is_int(annals_discard(c, a), ANNALS_OK, "discard a kept reply");
    ok(c->nkept == 0, "...freed");
    is_int(annals_discard(c, 12345), ANNALS_EINVAL, "discard an unknown msgid: EINVAL");
    ok(annals_alive(c), "the connection lives on");
    annals_free(c);
    close(sfd);
}

static void test_refused_arguments(void)
{
    annals_reply rep;
    const msgpack_object *o;
    memset(&rep, 0xab, sizeof rep);
    is_int(annals_hello(NULL, &rep), ANNALS_EINVAL, "hello without a connection");
    ok(rep.result == NULL && rep.zone_ == NULL && rep.scratch_ == NULL, "...empties the reply");
    int sfd;
    annals_conn *c = pair(&sfd);
    memset(&rep, 0xab, sizeof rep);
    is_int(annals_get(c, NULL, &rep, &o), ANNALS_EINVAL, "get without an id");
    ok(rep.result == NULL && rep.zone_ == NULL, "...empties the reply");
    annals_reply_free(&rep);
    memset(&rep, 0xab, sizeof rep);
    is_int(annals_top(c, NULL, NULL, 0, &rep, NULL, NULL), ANNALS_EINVAL, "top without a field");
    ok(rep.result == NULL && rep.zone_ == NULL, "...empties the reply");
    annals_reply_free(&rep);

    /* The reserved space of caller-allocated structures must stay zero, so
     * that a later version can give it a meaning. */
    annals_filter f = ANNALS_FILTER_INIT;
    annals_query q = ANNALS_QUERY_INIT;
    annals_page page;
    uint64_t n;
    f.reserved_[0] = &f;
    is_int(annals_count(c, &f, &n), ANNALS_EINVAL, "a filter with reserved space set: EINVAL");
    q.reserved_[ANNALS_RESERVED_WORDS - 1] = &q;
    is_int(annals_range(c, &q, &page), ANNALS_EINVAL, "a query with reserved space set: EINVAL");
    annals_reply_free(&page.reply);

    /* Bytes that are not the maps promised would desynchronise the stream. */
    char two[2] = { (char)0x80, (char)0x80 };
    memset(&rep, 0xab, sizeof rep);
    is_int(annals_put_many(c, two, 2, 1, &rep, NULL, NULL), ANNALS_EINVAL,
           "put_many of n = 1 with two maps: EINVAL");
    annals_reply_free(&rep);
    is_int(annals_put_many(c, two, 1, 2, &rep, NULL, NULL), ANNALS_EINVAL,
           "put_many of n = 2 with one map: EINVAL");
    annals_reply_free(&rep);
    is_int(annals_put(c, two, 2, NULL, NULL), ANNALS_EINVAL, "put of two maps: EINVAL");
    is_int(annals_put(c, "\x81\xa1", 2, NULL, NULL), ANNALS_EINVAL, "put of a cut map: EINVAL");
    uint32_t id;
    is_int(annals_send(c, "get", "\x91\xc0", 2, &id), ANNALS_EINVAL, "params not a map: EINVAL");
    ok(annals_alive(c), "...nothing was sent, the connection lives");
    struct pollfd p = { .fd = sfd, .events = POLLIN, .revents = 0 };
    is_int(poll(&p, 1, 0), 0, "...and the server got no bytes");
    annals_free(c);
    close(sfd);
}

/* A reply of about 30 bytes of which one comes every 50 ms, under a 400
 * ms timeout. */
static void test_slow_reply(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t id;
    annals_set_timeout(c, 400);
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    pid_t pid = fork();
    if (pid == 0) {
        buf_t b;
        msgpack_packer pk;
        begin_result(&b, &pk, id);
        msgpack_pack_map(&pk, 2);
        buf_pack_cstr(&pk, "n");
        msgpack_pack_uint32(&pk, 42);
        buf_pack_cstr(&pk, "pad");
        buf_pack_cstr(&pk, "twenty bytes of pad.");
        for (size_t i = 0; i < b.len; i++) {
            if (write(sfd, b.data + i, 1) != 1)
                _exit(1);
            usleep(50000);
        }
        _exit(0);
    }
    is_int(annals_recv(c, id, &rep), ANNALS_OK, "a slow reply whose bytes keep coming");
    is_int(reply_n(&rep), 42, "...whole");
    annals_reply_free(&rep);
    waitpid(pid, NULL, 0);
    annals_free(c);
    close(sfd);
}

/* A wait longer than one poll may last (lowered here to 50 ms from 1000
 * s) goes on to the real deadline: a reply after 300 ms under a 5 s timeout
 * is taken. */
static void test_wait_longer_than_one_poll(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t id;
    c->poll_max_ms = 50;
    annals_set_timeout(c, 5000);
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(300000);
        send_result(sfd, id, 9);
        _exit(0);
    }
    is_int(annals_recv(c, id, &rep), ANNALS_OK, "a reply after several polls' worth of waiting");
    is_int(reply_n(&rep), 9, "...is taken");
    annals_reply_free(&rep);
    waitpid(pid, NULL, 0);
    annals_free(c);
    close(sfd);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "Bail out! annals_follow(c, 0) did not return\n";
    if (write(1, m, sizeof m - 1) < 0)
        _exit(2);
    _exit(1);
}

/* Each change delivered makes the server send the next one: the stream
 * never pauses. */
static int on_note_echo(annals_conn *c, const annals_note *n, void *userdata)
{
    feed_seen *s = userdata;
    (void)c;
    if (++s->changes == 10000)
        return 1;    /* follow(c, 0) should have returned long before */
    send_note(s->echo_fd, "change", 1, (unsigned)n->seq + 1, "put", "x");
    return 0;
}

static void test_follow_zero_under_flood(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    feed_seen s;
    memset(&s, 0, sizeof s);
    s.echo_fd = sfd;
    send_map2(sfd, 1, "sub", 1, "seq", 0);
    annals_subscribe(c, NULL, NULL, on_note_echo, &s, NULL, NULL);
    send_note(sfd, "change", 1, 1, "put", "x");
    send_note(sfd, "change", 1, 2, "put", "x");
    is_int(annals_follow(c, 0), ANNALS_OK, "follow(c, 0) returns while changes keep coming");
    is_int(s.changes, 2, "...after handing over those there when it was called");
    annals_free(c);
    close(sfd);
}

static void test_busy_socket_wake(void)
{
    /* A second listener nobody accepts on, its backlog full. */
    char busy[160];
    struct sockaddr_un sun;
    snprintf(busy, sizeof busy, "%s/busy.sock", dir);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, busy, strlen(busy));
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(l, 0) < 0) {
        perror("busy listen");
        exit(1);
    }
    int fill[8], nfill = 0, full = 0;
    while (nfill < 8 && !full) {
        fill[nfill] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(fill[nfill], (struct sockaddr *)&sun, sizeof sun) < 0 && errno == EAGAIN)
            full = 1;
        nfill++;
    }
    ok(full, "a Unix socket with its backlog full");
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    if (write(p[1], "x", 1) != 1)
        perror("write");
    annals_conn *c;
    annals_new(&c);
    annals_set_timeout(c, 0);
    annals_set_wake_fd(c, p[0]);
    signal(SIGALRM, on_alarm);
    alarm(20);
    is_int(annals_connect_unix(c, busy), ANNALS_EINTR, "the wake fd ends the connect");
    alarm(0);
    annals_free(c);
    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    close(l);
    unlink(busy);
    close(p[0]);
    close(p[1]);
}

static void test_msgid_reuse(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    uint32_t a, b, d;
    c->next_msgid = UINT32_MAX;
    annals_send(c, "ping", NULL, 0, &a);
    annals_send(c, "ping", NULL, 0, &b);
    ok(a == UINT32_MAX && b == 1, "msgids wrap from 2^32 - 1 to 1");
    c->next_msgid = UINT32_MAX;
    annals_send(c, "ping", NULL, 0, &d);
    ok(d == 2, "...skipping those still waiting for their replies (%lu)", (unsigned long)d);
    annals_free(c);
    close(sfd);
}

int main(void)
{
    listen_start();
    test_hostile_messages();
    test_queue_cap();
    test_discard();
    test_refused_arguments();
    test_slow_reply();
    test_wait_longer_than_one_poll();
    test_follow_zero_under_flood();
    test_busy_socket_wake();
    test_msgid_reuse();
    listen_stop();
    return done_testing();
}
