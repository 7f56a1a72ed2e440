/* test_libannals_replies.c: libannals against a server played by the test
 * on a Unix socket: replies read in any order by msgid; the server's errors
 * mapped to statuses, codes, messages and details; an "error" notification
 * ending the connection; notifications dropped without a subscription and
 * kept, in order, for annals_follow with one (also those that arrive while
 * a call waits); overflow ending a subscription; a message in two parts; and
 * the ways a wait ends: a lost connection, bytes that are not MessagePack,
 * a response nobody asked for, the wake fd. */
#include "tests/unit/libannals_fake.h"
#include "tests/unit/tap.h"

static void test_out_of_order(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t id[3];
    for (int i = 0; i < 3; i++)
        annals_send(c, "ping", NULL, 0, &id[i]);
    ok(id[0] != id[1] && id[1] != id[2], "three requests, three msgids");
    drain(sfd);
    for (int i = 0; i < 3; i++)
        send_result(sfd, id[i], 100 + (unsigned)i);
    is_int(annals_recv(c, id[2], &rep), ANNALS_OK, "the last reply first");
    is_int(reply_n(&rep), 102, "...is the last request's");
    annals_reply_free(&rep);
    is_int(annals_recv(c, id[0], &rep), ANNALS_OK, "then the first, kept meanwhile");
    is_int(reply_n(&rep), 100, "...is the first request's");
    annals_reply_free(&rep);
    is_int(annals_recv(c, id[1], &rep), ANNALS_OK, "then the second");
    is_int(reply_n(&rep), 101, "...is the second request's");
    annals_reply_free(&rep);
    is_int(annals_recv(c, id[1], &rep), ANNALS_EINVAL, "a reply is taken only once");
    annals_reply_free(&rep);

    /* A reply for a msgid nobody sent is a protocol error. */
    uint32_t one;
    annals_send(c, "ping", NULL, 0, &one);
    drain(sfd);
    send_result(sfd, one + 1000, 1);
    is_int(annals_recv(c, one, &rep), ANNALS_EPROTO, "a reply to a msgid never sent: EPROTO");
    ok(strstr(annals_errmsg(c), "no request is waiting") != NULL, "...saying so: %s",
       annals_errmsg(c));
    ok(!annals_alive(c), "...and the connection is over");
    annals_free(c);
    close(sfd);
}

static void test_errors(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    annals_reply rep;
    uint32_t id;

    annals_send(c, "get", NULL, 0, &id);
    drain(sfd);
    send_error(sfd, id, "not_found", "no event with id 'x'", -1);
    is_int(annals_recv(c, id, &rep), ANNALS_NOTFOUND, "not_found: ANNALS_NOTFOUND");
    ok(rep.result == NULL, "...no result");
    is_str(annals_error_code(c), "not_found", "...its code");
    is_str(annals_errmsg(c), "no event with id 'x'", "...its message");

    annals_send(c, "put_many", NULL, 0, &id);
    drain(sfd);
    send_error(sfd, id, "bad_request", "events[3]: title is required", 3);
    is_int(annals_recv(c, id, &rep), ANNALS_ESERVER, "bad_request: ANNALS_ESERVER");
    is_str(annals_error_code(c), "bad_request", "...its code");
    const msgpack_object *e = annals_error(c);
    const msgpack_object *i = e && e->via.array.size == 3 ? annals_map_get(&e->via.array.ptr[2], "index") : NULL;
    ok(i && i->via.u64 == 3, "...and its details {index: 3}");

    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    send_error(sfd, id, NULL, "", -1);
    is_int(annals_recv(c, id, &rep), ANNALS_ESERVER, "an error without a code: ANNALS_ESERVER");
    is_str(annals_error_code(c), "internal", "...taken as internal");
    is_str(annals_errmsg(c), "internal error", "...with internal's message");

    /* An error that is not an array is still an error, but no array. */
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint32(&pk, id);
    buf_pack_cstr(&pk, "oops");
    msgpack_pack_nil(&pk);
    send_buf(sfd, &b);
    is_int(annals_recv(c, id, &rep), ANNALS_ESERVER, "an error that is a string: ANNALS_ESERVER");
    ok(annals_error(c) == NULL, "...annals_error gives no array");

    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    send_error(sfd, id, "some_future_code", "new", -1);
    is_int(annals_recv(c, id, &rep), ANNALS_ESERVER, "an unknown code: ANNALS_ESERVER");
    is_str(annals_error_code(c), "some_future_code", "...given as sent");
    ok(annals_alive(c), "the connection serves on after errors");

    /* An error notification alone (a message whose msgid the server could
     * not read, PROTOCOL.md section 3) leaves the connection usable. */
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    send_error(sfd, 0, "bad_request", "not a msgpack-RPC request", -1);
    send_result(sfd, id, 3);
    is_int(annals_recv(c, id, &rep), ANNALS_OK, "an error notification the server serves on after");
    ok(reply_n(&rep) == 3 && annals_alive(c), "...the reply comes, and the connection lives");
    annals_reply_free(&rep);

    /* The server answers one request and closes us with a notification:
     * that is the answer of the other. */
    uint32_t first;
    annals_send(c, "ping", NULL, 0, &first);
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    send_result(sfd, first, 5);
    send_error(sfd, 0, "timeout", "idle for too long", -1);
    shutdown(sfd, SHUT_WR);
    is_int(annals_recv(c, id, &rep), ANNALS_ESERVER, "an error notification, then the close, "
           "answers the call");
    is_str(annals_error_code(c), "timeout", "...its code");
    ok(!annals_alive(c), "...and the connection is no longer alive");
    is_int(annals_ping(c), ANNALS_ESERVER, "later calls hear the same");
    is_str(annals_error_code(c), "timeout", "...timeout");
    ok(strstr(annals_errmsg(c), "idle for too long") != NULL, "...%s", annals_errmsg(c));
    is_int(annals_recv(c, first, &rep), ANNALS_OK, "the reply that came before it is still there");
    ok(reply_n(&rep) == 5 && annals_error_code(c) == NULL && !*annals_errmsg(c),
       "...whole, with no error told");
    annals_reply_free(&rep);
    annals_free(c);
    close(sfd);
}

typedef struct {
    char log[512];
    int stop_after;     /* stop annals_follow after this many notes (0: never) */
    int count;
} seen;

static int on_note(annals_conn *c, const annals_note *n, void *userdata)
{
    seen *s = userdata;
    char one[96];
    static const char *names[] = { "?", "change", "heartbeat", "overflow", "gone" };
    (void)c;
    if (n->kind == ANNALS_NOTE_CHANGE) {
        const msgpack_object *t = annals_map_get(n->event, "title");
        snprintf(one, sizeof one, "%s:%u:%llu:%s:%.*s%s ", names[n->kind], (unsigned)n->sub,
                 (unsigned long long)n->seq, n->is_delete ? "delete" : "put", (int)n->id_len,
                 n->id, n->is_delete ? (n->event ? "+event" : "") : (t ? "+title" : "-title"));
    } else if (n->kind == ANNALS_NOTE_GONE) {
        snprintf(one, sizeof one, "gone:%u:%llu:%llu ", (unsigned)n->sub,
                 (unsigned long long)n->seq, (unsigned long long)n->oldest);
    } else {
        snprintf(one, sizeof one, "%s:%u:%llu ", names[n->kind], (unsigned)n->sub,
                 (unsigned long long)n->seq);
    }
    strncat(s->log, one, sizeof s->log - strlen(s->log) - 1);
    return ++s->count == s->stop_after ? 7 : 0;
}

static void test_notes(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    seen s;
    uint64_t sub = 0, seq = 0;
    memset(&s, 0, sizeof s);

    /* Without a subscription, notifications amid a call are dropped. msgid
     * 1 is the ping, 2 the subscribe: the answers go ahead of the requests. */
    send_note(sfd, "change", 1, 1, "put", "early");
    send_map2(sfd, 1, "pong", 0, NULL, 0);
    is_int(annals_ping(c), ANNALS_OK, "a ping amid a notification, without a subscription");
    send_map2(sfd, 2, "sub", 1, "seq", 1);
    is_int(annals_subscribe(c, NULL, NULL, on_note, &s, &sub, &seq), ANNALS_OK, "subscribe");
    ok(sub == 1 && seq == 1, "...sub 1 at seq 1");
    is_int(annals_follow(c, 0), ANNALS_OK, "follow with nothing there");
    is_str(s.log, "", "...the notification that came before the subscription was dropped");

    /* With one, those amid a call are kept, in order, and delivered. */
    send_note(sfd, "change", 1, 2, "put", "a");
    send_note(sfd, "heartbeat", 1, 2, NULL, NULL);
    send_note(sfd, "change", 9, 3, "put", "other-sub");
    send_note(sfd, "mystery", 1, 3, NULL, NULL);
    send_map2(sfd, 3, "pong", 0, NULL, 0);
    send_note(sfd, "change", 1, 4, "delete", "a");
    is_int(annals_ping(c), ANNALS_OK, "a ping amid notifications, with a subscription");
    drain(sfd);
    is_int(annals_follow(c, 200), ANNALS_OK, "follow: the time is up");
    is_str(s.log, "change:1:2:put:a+title heartbeat:1:2 change:1:4:delete:a ",
           "...every notification of the subscription, in order; another sub's and an "
           "unknown one left out");

    /* A callback's positive value stops follow; the rest stays for later. */
    s.log[0] = '\0';
    s.count = 0;
    s.stop_after = 1;
    send_note(sfd, "change", 1, 5, "put", "b");
    send_note(sfd, "change", 1, 6, "put", "c");
    is_int(annals_follow(c, 1000), 7, "a callback's 7 stops follow, which returns it");
    s.stop_after = 0;
    is_int(annals_follow(c, 100), ANNALS_OK, "follow again");
    is_str(s.log, "change:1:5:put:b+title change:1:6:put:c+title ", "...hands over the next one");

    /* A message in two parts is handed over once whole. */
    s.log[0] = '\0';
    buf_t b;
    pack_note(&b, "heartbeat", 1, 9, NULL, NULL);
    if (write(sfd, b.data, 5) != 5)
        perror("write");
    is_int(annals_follow(c, 50), ANNALS_OK, "half a message");
    is_str(s.log, "", "...is not a notification");
    if (write(sfd, b.data + 5, b.len - 5) != (ssize_t)(b.len - 5))
        perror("write");
    buf_release(&b);
    is_int(annals_follow(c, 100), ANNALS_OK, "the rest");
    is_str(s.log, "heartbeat:1:9 ", "...completes it");

    /* Overflow and gone end their subscriptions. */
    s.log[0] = '\0';
    send_map2(sfd, 4, "sub", 2, "seq", 9);
    uint64_t sub2;
    is_int(annals_subscribe(c, NULL, NULL, on_note, &s, &sub2, NULL), ANNALS_OK,
           "a second subscription");
    send_note(sfd, "overflow", 1, 9, NULL, NULL);
    send_note(sfd, "change", 1, 10, "put", "after-overflow");
    send_note(sfd, "gone", 2, 9, NULL, NULL);
    send_note(sfd, "heartbeat", 2, 11, NULL, NULL);
    is_int(annals_follow(c, 100), ANNALS_OK, "follow");
    is_str(s.log, "overflow:1:9 gone:2:9:77 ",
           "...overflow and gone (with oldest) are told, and nothing after them");
    drain(sfd);

    /* A closed connection ends the wait. */
    close(sfd);
    is_int(annals_follow(c, 1000), ANNALS_ECONN, "a closed connection: ECONN");
    ok(strstr(annals_errmsg(c), "lost") != NULL, "...saying it was lost: %s", annals_errmsg(c));
    annals_free(c);
}

static void test_bad_streams(void)
{
    int sfd;
    annals_conn *c = pair(&sfd);
    seen s;
    memset(&s, 0, sizeof s);
    send_map2(sfd, 1, "sub", 1, "seq", 0);
    annals_subscribe(c, NULL, NULL, on_note, &s, NULL, NULL);
    send_result(sfd, 7, 1);
    is_int(annals_follow(c, 1000), ANNALS_EPROTO, "a response where a notification is awaited");
    ok(strstr(annals_errmsg(c), "protocol error") != NULL, "...a protocol error: %s",
       annals_errmsg(c));
    annals_free(c);
    close(sfd);

    c = pair(&sfd);
    if (write(sfd, "\xc1", 1) != 1)
        perror("write");
    annals_reply rep;
    uint32_t id;
    annals_send(c, "ping", NULL, 0, &id);
    is_int(annals_recv(c, id, &rep), ANNALS_EPROTO, "a byte that is no MessagePack");
    ok(strstr(annals_errmsg(c), "not MessagePack") != NULL, "...%s", annals_errmsg(c));
    annals_free(c);
    close(sfd);

    /* An error notification the server spoke on after is not why it closes
     * later. */
    c = pair(&sfd);
    annals_send(c, "ping", NULL, 0, &id);
    drain(sfd);
    send_error(sfd, 0, "bad_request", "not a msgpack-RPC request", -1);
    send_result(sfd, id, 1);
    is_int(annals_recv(c, id, &rep), ANNALS_OK, "a reply after an error notification");
    annals_reply_free(&rep);
    annals_send(c, "ping", NULL, 0, &id);
    shutdown(sfd, SHUT_WR);
    is_int(annals_recv(c, id, &rep), ANNALS_ECONN, "...then a close: ECONN, not that error");
    annals_free(c);
    close(sfd);

    int p[2];
    if (pipe(p) < 0)
        exit(1);
    c = pair(&sfd);
    annals_set_wake_fd(c, p[0]);
    if (write(p[1], "x", 1) != 1)
        perror("write");
    is_int(annals_follow(c, -1), ANNALS_EINTR, "the wake fd ends an unlimited wait");
    annals_free(c);
    close(sfd);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    listen_start();
    test_out_of_order();
    test_errors();
    test_notes();
    test_bad_streams();
    listen_stop();
    return done_testing();
}
