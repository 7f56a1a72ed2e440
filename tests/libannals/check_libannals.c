/* check_libannals.c: libannals against a real annalsd, as a TAP program
 * that tests/t/libannals_speaks_to_a_real_annalsd.t builds against the
 * build tree's shared library and starts with the daemon's Unix socket, its
 * TCP port and a scratch directory. It uses annals.h alone, as a program of
 * the library's users would: connecting both ways, the errors of a socket
 * that is missing, full or silent, every method once, 100 pipelined
 * requests read back out of order, the server's error codes, a
 * subscription seeing another connection's writes, and overflow. The
 * daemon runs with --feed-buffer 64KiB and --changes-max-entries 300. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <annals.h>
#include "tests/unit/tap.h"

static const char *sock_path, *tcp_port, *scratch;

/* The connection every test but the connecting ones uses. */
static annals_conn *main_conn;

static annals_conn *open_unix(const char *path, int timeout_ms, int *status)
{
    annals_conn *c;
    annals_new(&c);
    annals_set_timeout(c, timeout_ms);
    *status = annals_connect_unix(c, path);
    return c;
}

static annals_conn *must_connect(void)
{
    int rc;
    annals_conn *c = open_unix(sock_path, 10000, &rc);
    if (rc != ANNALS_OK) {
        printf("Bail out! cannot connect to %s: %s\n", sock_path, annals_errmsg(c));
        exit(1);
    }
    return c;
}

/* One packed event {id?, title, start, kind?, summary?} into b. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} packed;

static void packed_init(packed *p)
{
    msgpack_sbuffer_init(&p->sb);
    msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void pack_event(packed *p, const char *id, const char *title, const char *start,
                       const char *kind, size_t summary)
{
    msgpack_pack_map(&p->pk, 2 + (id != NULL) + (kind != NULL) + (summary > 0));
    if (id) {
        pack_str(&p->pk, "id");
        pack_str(&p->pk, id);
    }
    pack_str(&p->pk, "title");
    pack_str(&p->pk, title);
    pack_str(&p->pk, "start");
    pack_str(&p->pk, start);
    if (kind) {
        pack_str(&p->pk, "kind");
        pack_str(&p->pk, kind);
    }
    if (summary) {
        char *s = malloc(summary);
        memset(s, 's', summary);
        pack_str(&p->pk, "summary");
        msgpack_pack_str(&p->pk, summary);
        msgpack_pack_str_body(&p->pk, s, summary);
        free(s);
    }
}

/* Whether o is the string s. */
static int str_is(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void test_connecting(void)
{
    int rc;
    annals_conn *c = open_unix(sock_path, 5000, &rc);
    is_int(rc, ANNALS_OK, "connect over the Unix socket");
    is_int(annals_ping(c), ANNALS_OK, "...and ping");
    ok(annals_alive(c), "...the connection is alive");
    ok(strcmp(annals_label(c), sock_path) == 0, "...its label is the socket path");
    annals_free(c);

    annals_new(&c);
    is_int(annals_connect_tcp(c, "127.0.0.1", tcp_port), ANNALS_OK, "connect over TCP");
    is_int(annals_ping(c), ANNALS_OK, "...and ping");
    is_int(annals_connect_tcp(c, "127.0.0.1", tcp_port), ANNALS_EINVAL,
           "a connection connects once");
    annals_free(c);

    char missing[512];
    snprintf(missing, sizeof missing, "%s/no-such.sock", scratch);
    c = open_unix(missing, 5000, &rc);
    is_int(rc, ANNALS_ECONN, "a socket path where nothing listens: ECONN");
    ok(strstr(annals_errmsg(c), "No such file") && strstr(annals_errmsg(c), "annalsd running"),
       "...saying so: %s", annals_errmsg(c));
    is_int(annals_ping(c), ANNALS_ECONN, "...and every later call says the same");
    ok(!annals_alive(c), "...the connection is not alive");
    annals_free(c);

    /* A socket whose backlog is full: connect() cannot complete, and the
     * timeout ends the wait. */
    char full[512];
    struct sockaddr_un sun;
    snprintf(full, sizeof full, "%s/full.sock", scratch);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, full, strlen(full));
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(lfd, 0) < 0) {
        printf("Bail out! listen %s: %s\n", full, strerror(errno));
        exit(1);
    }
    int fillers[8], nfill = 0;
    for (; nfill < 8; nfill++) {
        fillers[nfill] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(fillers[nfill], (struct sockaddr *)&sun, sizeof sun) < 0) {
            close(fillers[nfill]);
            break;
        }
    }
    ok(nfill >= 1 && nfill < 8, "the listener's backlog is full after %d connections", nfill);
    c = open_unix(full, 200, &rc);
    is_int(rc, ANNALS_ETIMEDOUT, "connecting to a listener that takes nobody: ETIMEDOUT");
    ok(strstr(annals_errmsg(c), "no answer within 0.2 s") != NULL, "...saying so: %s",
       annals_errmsg(c));
    annals_free(c);

    /* A server that accepts (the kernel queued us) but never answers. */
    int taken = accept(lfd, NULL, NULL);
    if (taken >= 0)
        close(taken);
    c = open_unix(full, 200, &rc);
    is_int(rc, ANNALS_OK, "a listener with room: connected");
    is_int(annals_ping(c), ANNALS_ETIMEDOUT, "...a reply that never comes: ETIMEDOUT");
    ok(strstr(annals_errmsg(c), "no reply from") != NULL, "...saying so: %s", annals_errmsg(c));
    is_int(annals_ping(c), ANNALS_ETIMEDOUT, "...and the connection stays failed");
    annals_free(c);
    while (nfill > 0)
        close(fillers[--nfill]);
    close(lfd);
    unlink(full);

    /* The wake fd ends a wait, from another thread or a signal handler. */
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    c = open_unix(sock_path, 5000, &rc);
    annals_set_wake_fd(c, p[0]);
    if (write(p[1], "x", 1) != 1)
        exit(1);
    is_int(annals_follow(c, -1), ANNALS_EINTR, "a readable wake fd ends an endless follow: EINTR");
    annals_free(c);
    close(p[0]);
    close(p[1]);
}

static void test_methods(void)
{
    annals_conn *c = main_conn;
    annals_reply rep;
    packed p;
    char id[ANNALS_ID_SIZE];
    uint64_t seq = 0, seq2 = 0, n = 0;
    annals_access access = ANNALS_ACCESS_NONE;

    is_int(annals_hello(c, &rep), ANNALS_OK, "hello");
    ok(str_is(annals_map_get(rep.result, "server"), "annalsd"), "...server: annalsd");
    annals_reply_free(&rep);
    is_int(annals_auth(c, "any-token-0123456789", &access), ANNALS_OK,
           "auth on a server without tokens");
    is_int(access, ANNALS_ACCESS_RW, "...gives rw");
    is_int(annals_stats(c, &rep), ANNALS_OK, "stats");
    ok(annals_map_get(rep.result, "writes") != NULL, "...has writes");
    annals_reply_free(&rep);

    packed_init(&p);
    pack_event(&p, NULL, "Generated id", "2024-04-08", "meeting", 0);
    is_int(annals_put(c, p.sb.data, p.sb.size, id, &seq), ANNALS_OK, "put without an id");
    ok(strlen(id) == 26, "...the server made an id of 26 characters: %s", id);
    ok(seq > 0, "...at seq %llu", (unsigned long long)seq);
    msgpack_sbuffer_destroy(&p.sb);

    const msgpack_object *ev = NULL;
    is_int(annals_get(c, id, &rep, &ev), ANNALS_OK, "get it");
    ok(str_is(annals_map_get(ev, "title"), "Generated id"), "...with its title");
    ok(str_is(annals_map_get(ev, "id"), id), "...and its id");
    annals_reply_free(&rep);

    packed_init(&p);
    const char *ids[5] = { "m1", "m2", "m3", "m4", "m5" };
    for (int i = 0; i < 5; i++)
        pack_event(&p, ids[i], ids[i], i < 3 ? "2023-05" : "2023-07", i % 2 ? "visit" : "meeting", 0);
    const msgpack_object *got_ids = NULL;
    is_int(annals_put_many(c, p.sb.data, p.sb.size, 5, &rep, &got_ids, &seq2), ANNALS_OK,
           "put_many of 5");
    ok(got_ids && got_ids->via.array.size == 5 && str_is(&got_ids->via.array.ptr[4], "m5"),
       "...ids in order");
    is_int((long)(seq2 - seq), 5, "...5 more seqs");
    annals_reply_free(&rep);
    msgpack_sbuffer_destroy(&p.sb);

    /* range pages through the 5 events of 2023 two by two. */
    annals_query q;
    memset(&q, 0, sizeof q);
    q.filter.from = "2023";
    q.filter.to = "2023";
    q.limit = 2;
    char order[64] = "";
    int pages = 0;
    char *cursor = NULL;
    for (;;) {
        annals_page page;
        q.cursor = cursor;
        int rc = annals_range(c, &q, &page);
        if (rc != ANNALS_OK) {
            ok(0, "range page %d: %s", pages + 1, annals_errmsg(c));
            break;
        }
        pages++;
        for (size_t i = 0; i < page.n; i++) {
            const msgpack_object *t = annals_map_get(&page.events[i], "id");
            strncat(order, t->via.str.ptr, t->via.str.size);
        }
        free(cursor);
        cursor = page.next ? strdup(page.next) : NULL;
        annals_reply_free(&page.reply);
        if (!cursor)
            break;
    }
    is_int(pages, 3, "range with limit 2 over 5 events: 3 pages");
    is_str(order, "m1m2m3m4m5", "...in date order, none twice");

    annals_filter f;
    memset(&f, 0, sizeof f);
    const char *kinds[] = { "visit" };
    f.from = "2023";
    f.kind.v = kinds;
    f.kind.n = 1;
    is_int(annals_count(c, &f, &n), ANNALS_OK, "count of the visits of 2023");
    is_int((long)n, 2, "...is 2");
    const char *both[] = { "visit", "meeting" };
    f.to = "2023";
    f.kind.v = both;
    f.kind.n = 2;
    is_int(annals_count(c, &f, &n), ANNALS_OK, "count of visits or meetings (a list filter)");
    is_int((long)n, 5, "...is 5");

    const msgpack_object *pairs = NULL;
    uint64_t total = 0;
    memset(&f, 0, sizeof f);
    f.from = "2023-05";
    f.to = "2023-07";
    is_int(annals_histogram(c, &f, "month", 0, &rep, &pairs, &total), ANNALS_OK,
           "histogram by month");
    ok(pairs && pairs->via.array.size == 3 && total == 5, "...3 buckets, total 5");
    ok(pairs && pairs->via.array.ptr[0].via.array.ptr[1].via.u64 == 3 &&
       pairs->via.array.ptr[1].via.array.ptr[1].via.u64 == 0, "...May 3, June 0");
    annals_reply_free(&rep);
    is_int(annals_top(c, &f, "kind", 1, &rep, &pairs, &total), ANNALS_OK, "top kinds, limit 1");
    ok(pairs && pairs->via.array.size == 1 && str_is(&pairs->via.array.ptr[0].via.array.ptr[0], "meeting"),
       "...meeting first");
    annals_reply_free(&rep);

    const msgpack_object *changes = NULL;
    uint64_t next = 0;
    is_int(annals_changes(c, NULL, seq, 3, &rep, &changes, &next), ANNALS_OK,
           "changes after the first put, 3 at most");
    ok(changes && changes->via.array.size == 3 && next == seq + 3, "...3 changes, next %llu",
       (unsigned long long)next);
    annals_reply_free(&rep);

    is_int(annals_delete(c, "m5", &seq), ANNALS_OK, "delete m5");
    is_int(annals_delete(c, "m5", &seq), ANNALS_NOTFOUND, "delete it again: not found");
    is_str(annals_error_code(c), "not_found", "...code not_found");

    char path[512];
    uint64_t bytes = 0;
    snprintf(path, sizeof path, "%s/backup", scratch);
    is_int(annals_backup(c, path, &seq2, &bytes), ANNALS_OK, "backup");
    ok(seq2 == seq && bytes > 0, "...holds every write (seq %llu), %llu bytes",
       (unsigned long long)seq2, (unsigned long long)bytes);
    is_int(annals_backup(c, path, NULL, NULL), ANNALS_ESERVER, "backup to an existing path");
    is_str(annals_error_code(c), "bad_request", "...bad_request");

    is_int(annals_call(c, "hello", NULL, 0, &rep), ANNALS_OK, "annals_call of hello by name");
    ok(annals_map_get(rep.result, "protocol") != NULL, "...returns its map");
    annals_reply_free(&rep);
}

static void test_errors(void)
{
    annals_conn *c = main_conn;
    annals_reply rep;
    annals_query q;
    annals_page page;
    packed p;

    is_int(annals_get(c, "no-such-id", &rep, NULL), ANNALS_NOTFOUND, "get of a missing id");
    is_str(annals_error_code(c), "not_found", "...not_found");
    annals_reply_free(&rep);

    memset(&q, 0, sizeof q);
    q.filter.from = "2024-13";
    is_int(annals_range(c, &q, &page), ANNALS_ESERVER, "range from 2024-13");
    is_str(annals_error_code(c), "bad_request", "...bad_request");
    ok(strstr(annals_errmsg(c), "2024-13") != NULL, "...the message names it: %s",
       annals_errmsg(c));
    annals_reply_free(&page.reply);

    packed_init(&p);
    pack_event(&p, "ok1", "fine", "2022", NULL, 0);
    pack_event(&p, "bad1", "bad date", "2022-02-30", NULL, 0);
    is_int(annals_put_many(c, p.sb.data, p.sb.size, 2, &rep, NULL, NULL), ANNALS_ESERVER,
           "put_many with a bad second event");
    const msgpack_object *e = annals_error(c);
    const msgpack_object *idx = e && e->via.array.size == 3
        ? annals_map_get(&e->via.array.ptr[2], "index") : NULL;
    ok(idx && idx->via.u64 == 1, "...its details say index 1");
    annals_reply_free(&rep);
    msgpack_sbuffer_destroy(&p.sb);
    is_int(annals_get(c, "ok1", &rep, NULL), ANNALS_NOTFOUND, "...and nothing was written");
    annals_reply_free(&rep);

    is_int(annals_call(c, "no_such_method", NULL, 0, &rep), ANNALS_ESERVER, "an unknown method");
    is_str(annals_error_code(c), "unknown_method", "...unknown_method");
    annals_reply_free(&rep);
    ok(annals_alive(c), "the connection serves on after errors");
    is_int(annals_ping(c), ANNALS_OK, "...ping");
    is_str(annals_errmsg(c), "", "...and a call that succeeds leaves no message");

    uint32_t id;
    is_int(annals_recv(c, 424242, &rep), ANNALS_EINVAL, "recv of a msgid never sent: EINVAL");
    is_int(annals_send(c, NULL, NULL, 0, &id), ANNALS_EINVAL, "send without a method: EINVAL");
    ok(annals_alive(c), "...neither harms the connection");
    ok(strcmp(annals_strerror(ANNALS_ETIMEDOUT), annals_strerror(ANNALS_ECONN)) != 0,
       "annals_strerror names each status: %s", annals_strerror(ANNALS_ETIMEDOUT));
}

static void test_pipelining(void)
{
    annals_conn *c = main_conn;
    enum { N = 100 };
    uint32_t ids[N];
    packed p;
    char name[32];
    int sent = 0, right = 0;

    packed_init(&p);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "pipe%d", i);
        pack_event(&p, name, name, "2021", NULL, 0);
    }
    annals_reply rep;
    is_int(annals_put_many(c, p.sb.data, p.sb.size, N, &rep, NULL, NULL), ANNALS_OK,
           "put_many of 100 events");
    annals_reply_free(&rep);
    msgpack_sbuffer_destroy(&p.sb);

    /* 100 gets sent before any reply is read. */
    for (int i = 0; i < N; i++) {
        packed m;
        packed_init(&m);
        msgpack_pack_map(&m.pk, 1);
        pack_str(&m.pk, "id");
        snprintf(name, sizeof name, "pipe%d", i);
        pack_str(&m.pk, name);
        sent += annals_send(c, "get", m.sb.data, m.sb.size, &ids[i]) == ANNALS_OK;
        msgpack_sbuffer_destroy(&m.sb);
    }
    is_int(sent, N, "100 gets sent without waiting");
    /* Read back last first, then the odd ones, then the even ones. */
    int order[N], k = 0;
    order[k++] = N - 1;
    for (int i = 1; i < N - 1; i += 2)
        order[k++] = i;
    for (int i = 0; i < N - 1; i += 2)
        order[k++] = i;
    for (int j = 0; j < N; j++) {
        int i = order[j];
        snprintf(name, sizeof name, "pipe%d", i);
        if (annals_recv(c, ids[i], &rep) == ANNALS_OK &&
            str_is(annals_map_get(annals_map_get(rep.result, "event"), "id"), name))
            right++;
        annals_reply_free(&rep);
    }
    is_int(right, N, "each reply, read out of order by msgid, is the answer to its request");
    is_int(annals_recv(c, ids[0], &rep), ANNALS_EINVAL, "a reply is taken once");
}

/* What a test subscription saw. */
typedef struct {
    int changes, puts, deletes, heartbeats, overflows, others;
    uint64_t last_seq, overflow_seq, sub;
    char last_id[64];
    int stop_on;        /* the kind that stops annals_follow */
} seen;

static int on_note(annals_conn *c, const annals_note *n, void *userdata)
{
    seen *s = userdata;
    (void)c;
    if (n->sub != s->sub)
        s->others++;
    switch (n->kind) {
    case ANNALS_NOTE_CHANGE:
        s->changes++;
        if (n->is_delete)
            s->deletes++;
        else
            s->puts++;
        if (n->seq <= s->last_seq)
            s->others++;    /* out of order: counted as wrong */
        s->last_seq = n->seq;
        snprintf(s->last_id, sizeof s->last_id, "%.*s", (int)n->id_len, n->id);
        break;
    case ANNALS_NOTE_HEARTBEAT:
        s->heartbeats++;
        break;
    case ANNALS_NOTE_OVERFLOW:
        s->overflows++;
        s->overflow_seq = n->seq;
        break;
    case ANNALS_NOTE_GONE:
        s->others++;
        break;
    }
    return (int)n->kind == s->stop_on ? 1 : 0;
}

static void test_subscription(void)
{
    annals_conn *sub = must_connect(), *writer = must_connect();
    seen s;
    packed p;
    uint64_t seq = 0, wseq = 0;
    annals_filter f;
    const char *kinds[] = { "meeting" };

    memset(&s, 0, sizeof s);
    memset(&f, 0, sizeof f);
    f.kind.v = kinds;
    f.kind.n = 1;
    s.stop_on = ANNALS_NOTE_CHANGE;
    is_int(annals_subscribe(sub, &f, NULL, on_note, &s, &s.sub, &seq), ANNALS_OK,
           "subscribe to the meetings");
    s.last_seq = seq;

    packed_init(&p);
    pack_event(&p, "sv1", "a visit", "2020", "visit", 0);
    is_int(annals_put(writer, p.sb.data, p.sb.size, NULL, NULL), ANNALS_OK,
           "another connection puts a visit");
    msgpack_sbuffer_destroy(&p.sb);
    packed_init(&p);
    pack_event(&p, "sm1", "a meeting", "2020", "meeting", 0);
    is_int(annals_put(writer, p.sb.data, p.sb.size, NULL, &wseq), ANNALS_OK,
           "...then a meeting");
    msgpack_sbuffer_destroy(&p.sb);
    is_int(annals_follow(sub, 10000), 1, "follow: the callback stopped it at the first change");
    is_int(s.changes, 1, "...one change");
    is_str(s.last_id, "sm1", "...the meeting, not the visit");
    ok(s.last_seq == wseq, "...at the seq its put returned");

    /* A call amid the feed: changes that come while it waits are kept. */
    is_int(annals_delete(writer, "sm1", NULL), ANNALS_OK, "the other connection deletes it");
    is_int(annals_ping(sub), ANNALS_OK, "the subscriber pings meanwhile");
    is_int(annals_follow(sub, 10000), 1, "...and follow hands over the delete");
    is_int(s.deletes, 1, "...as a delete");
    uint64_t at = 0;
    is_int(annals_unsubscribe(sub, s.sub, &at), ANNALS_OK, "unsubscribe");
    ok(at >= s.last_seq, "...checked up to seq %llu", (unsigned long long)at);
    is_int(annals_unsubscribe(sub, s.sub, NULL), ANNALS_NOTFOUND, "unsubscribe again: not found");
    is_int(s.others, 0, "no notification of another subscription or out of order");
    annals_free(writer);
    annals_free(sub);
}

static void test_overflow(void)
{
    annals_conn *sub = must_connect(), *writer = must_connect();
    seen s;
    uint64_t seq = 0, last = 0;
    int wrote = 0;

    memset(&s, 0, sizeof s);
    s.stop_on = ANNALS_NOTE_OVERFLOW;
    is_int(annals_subscribe(sub, NULL, NULL, on_note, &s, &s.sub, &seq), ANNALS_OK,
           "subscribe to everything, then read nothing");
    s.last_seq = seq;
    /* 8 MiB of events, far past the 64 KiB feed_buffer and the socket's. */
    for (int b = 0; b < 16; b++) {
        packed p;
        annals_reply rep;
        char name[32];
        packed_init(&p);
        for (int i = 0; i < 16; i++) {
            snprintf(name, sizeof name, "of%d-%d", b, i);
            pack_event(&p, name, name, "2019", NULL, 32 * 1024);
        }
        wrote += annals_put_many(writer, p.sb.data, p.sb.size, 16, &rep, NULL, &last) == ANNALS_OK;
        annals_reply_free(&rep);
        msgpack_sbuffer_destroy(&p.sb);
    }
    is_int(wrote, 16, "another connection writes 16 batches of 16 events of 32 KiB");
    is_int(annals_follow(sub, 30000), 1, "follow: the subscription overflowed");
    is_int(s.overflows, 1, "...one overflow");
    ok(s.overflow_seq == s.last_seq, "...whose seq (%llu) is the last change delivered",
       (unsigned long long)s.overflow_seq);
    ok(s.overflow_seq < last, "...before the last write (%llu)", (unsigned long long)last);

    /* Resubscribing from that seq delivers the rest, with no gap. */
    seen r;
    memset(&r, 0, sizeof r);
    r.last_seq = s.overflow_seq;
    uint64_t since = s.overflow_seq;
    is_int(annals_subscribe(sub, NULL, &since, on_note, &r, &r.sub, NULL), ANNALS_OK,
           "subscribe again since that seq");
    int rc = 0;
    while (rc == 0 && r.last_seq < last)
        rc = annals_follow(sub, 5000) == ANNALS_OK && r.last_seq < last ? 0 : 1;
    ok(r.last_seq == last && r.others == 0, "...every change up to the last write, in order");
    is_int((long)r.changes, (long)(last - s.overflow_seq), "...each once");
    annals_free(writer);
    annals_free(sub);
}

static void test_gone(void)
{
    annals_conn *c = main_conn;
    annals_reply rep;
    uint64_t zero = 0;
    seen s;
    memset(&s, 0, sizeof s);
    /* More than 300 changes were written: retention trims the oldest, a
     * few steps at each commit, so write on until it has. */
    int rc = ANNALS_OK, i;
    for (i = 0; i < 1000; i++) {
        uint64_t sub;
        packed p;
        packed_init(&p);
        pack_event(&p, "trim", "trim", "2018", NULL, 0);
        annals_put(c, p.sb.data, p.sb.size, NULL, NULL);
        msgpack_sbuffer_destroy(&p.sb);
        rc = annals_subscribe(c, NULL, &zero, on_note, &s, &sub, NULL);
        if (rc != ANNALS_OK)
            break;
        annals_unsubscribe(c, sub, NULL);
    }
    is_int(rc, ANNALS_ESERVER, "subscribe since 0 after retention trimmed the log (%d writes on)", i);
    is_str(annals_error_code(c), "gone", "...gone");
    const msgpack_object *e = annals_error(c);
    const msgpack_object *oldest = e && e->via.array.size == 3
        ? annals_map_get(&e->via.array.ptr[2], "oldest") : NULL;
    ok(oldest && oldest->via.u64 > 1, "...with details {oldest}");
    is_int(annals_changes(c, NULL, 0, 1, &rep, NULL, NULL), ANNALS_ESERVER, "changes since 0");
    is_str(annals_error_code(c), "gone", "...gone too");
    annals_reply_free(&rep);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: check_libannals SOCKET PORT SCRATCH-DIR\n");
        return 2;
    }
    sock_path = argv[1];
    tcp_port = argv[2];
    scratch = argv[3];
    test_connecting();
    main_conn = must_connect();
    test_methods();
    test_errors();
    test_pipelining();
    test_subscription();
    test_overflow();
    test_gone();
    annals_free(main_conn);
    return done_testing();
}
