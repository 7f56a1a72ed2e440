/* test_client_watch_notes.c: the client connection hands a subscriber every
 * notification, in order, also those that arrive while it waits for a
 * response; without remote_keep_notes it skips them as it always did; a
 * wait for notifications ends on time, on a lost connection, on a response
 * nobody asked for and on the wake fd. The server is played by the test on
 * a Unix socket in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/remote.h"
#include "proto/buf.h"
#include "tests/unit/tap.h"

static char dir[64], path[128];
static int lfd = -1;

static void listen_start(void)
{
    struct sockaddr_un sun;
    snprintf(dir, sizeof dir, "/tmp/annals-watch-XXXXXX");
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

static void listen_stop(void)
{
    close(lfd);
    unlink(path);
    rmdir(dir);
}

/* Connect a client and accept its server side into *sfd. */
static remote_t *pair(int *sfd)
{
    remote_addr a = { path, NULL, NULL };
    remote_t *r;
    char err[256];
    if (remote_open(&a, 2000, &r, err, sizeof err) < 0) {
        printf("# %s\n", err);
        exit(1);
    }
    *sfd = accept(lfd, NULL, NULL);
    if (*sfd < 0) {
        perror("accept");
        exit(1);
    }
    return r;
}

/* The server sends [2, method, [{seq: seq}]]. */
static void send_note(int fd, const char *method, unsigned seq)
{
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, method);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "seq");
    msgpack_pack_uint32(&pk, seq);
    if (write(fd, b.data, b.len) != (ssize_t)b.len)
        perror("write");
    buf_release(&b);
}

/* The server answers msgid with {ok: true}. */
static void send_response(int fd, uint32_t msgid)
{
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_nil(&pk);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "ok");
    msgpack_pack_true(&pk);
    if (write(fd, b.data, b.len) != (ssize_t)b.len)
        perror("write");
    buf_release(&b);
}

/* Send a request from the client (its bytes are read and dropped by the
 * test) and return its msgid. */
static uint32_t request(remote_t *r, int sfd)
{
    msgpack_packer pk;
    char err[256], sink[256];
    uint32_t id = remote_begin(r, "ping", &pk);
    msgpack_pack_array(&pk, 0);
    remote_flush(r, err, sizeof err);
    if (read(sfd, sink, sizeof sink) <= 0)
        perror("read");
    return id;
}

/* The seq of a note's [{seq}], or -1. */
static long note_seq(const remote_note *n)
{
    const msgpack_object *p = n->params;
    if (!p || p->via.array.size != 1 || p->via.array.ptr[0].type != MSGPACK_OBJECT_MAP ||
        p->via.array.ptr[0].via.map.size != 1)
        return -1;
    return (long)p->via.array.ptr[0].via.map.ptr[0].val.via.u64;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_skipped_without_keep(void)
{
    int sfd;
    remote_t *r = pair(&sfd);
    remote_reply rep;
    remote_note n;
    char err[256];
    uint32_t id = request(r, sfd);
    send_note(sfd, "change", 1);
    send_response(sfd, id);
    is_int(remote_recv(r, id, &rep, err, sizeof err), 0, "a response after a notification");
    ok(rep.result && !rep.error, "...is the result");
    remote_reply_release(&rep);
    is_int(remote_next_note(r, 0, &n, err, sizeof err), 0,
           "without remote_keep_notes the notification was skipped, as before");
    remote_note_release(&n);
    remote_close(r);
    close(sfd);
}

static void test_kept_in_order(void)
{
    int sfd;
    remote_t *r = pair(&sfd);
    remote_reply rep;
    remote_note n;
    char err[256];
    remote_keep_notes(r);
    uint32_t id = request(r, sfd);
    send_note(sfd, "change", 1);
    send_note(sfd, "heartbeat", 2);
    send_response(sfd, id);
    send_note(sfd, "change", 3);
    is_int(remote_recv(r, id, &rep, err, sizeof err), 0, "the response amid notifications");
    ok(rep.result != NULL, "...is the result");
    remote_reply_release(&rep);
    const char *want[] = { "change", "heartbeat", "change" };
    for (long i = 0; i < 3; i++) {
        is_int(remote_next_note(r, 1000, &n, err, sizeof err), 1, "notification %ld comes", i + 1);
        ok(remote_note_is(&n, want[i]), "...its method is %s", want[i]);
        is_int(note_seq(&n), i + 1, "...in the order sent");
        remote_note_release(&n);
    }
    int64_t t0 = now_ms();
    is_int(remote_next_note(r, 0, &n, err, sizeof err), 0, "nothing more with wait 0");
    remote_note_release(&n);
    is_int(remote_next_note(r, 80, &n, err, sizeof err), 0, "nothing more within 80 ms");
    remote_note_release(&n);
    int64_t took = now_ms() - t0;
    ok(took >= 75 && took < 1000, "the wait took about 80 ms (%lld)", (long long)took);

    /* A message that arrives in two parts is returned once whole. */
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint8(&pk, 2);
    buf_pack_cstr(&pk, "change");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "seq");
    msgpack_pack_uint32(&pk, 4);
    if (write(sfd, b.data, 5) != 5)
        perror("write");
    usleep(20000);
    is_int(remote_next_note(r, 0, &n, err, sizeof err), 0, "half a message is not a message");
    remote_note_release(&n);
    if (write(sfd, b.data + 5, b.len - 5) != (ssize_t)(b.len - 5))
        perror("write");
    buf_release(&b);
    is_int(remote_next_note(r, 1000, &n, err, sizeof err), 1, "the rest completes it");
    is_int(note_seq(&n), 4, "...and it is the one sent");
    remote_note_release(&n);

    close(sfd);
    is_int(remote_next_note(r, 1000, &n, err, sizeof err), -1, "a closed connection fails the wait");
    ok(strstr(err, "lost") != NULL, "...saying it was lost: %s", err);
    remote_note_release(&n);
    remote_close(r);
}

static void test_unasked_response(void)
{
    int sfd;
    remote_t *r = pair(&sfd);
    remote_note n;
    char err[256];
    send_response(sfd, 7);
    is_int(remote_next_note(r, 1000, &n, err, sizeof err), -1,
           "a response where a notification is awaited fails");
    ok(strstr(err, "protocol error") != NULL, "...as a protocol error: %s", err);
    remote_note_release(&n);
    remote_close(r);
    close(sfd);
}

static void test_wake_fd(void)
{
    int sfd, p[2];
    remote_t *r = pair(&sfd);
    remote_note n;
    char err[256];
    if (pipe(p) < 0) {
        perror("pipe");
        exit(1);
    }
    remote_set_wake_fd(p[0]);
    if (write(p[1], "x", 1) != 1)
        perror("write");
    int64_t t0 = now_ms();
    is_int(remote_next_note(r, -1, &n, err, sizeof err), -1, "the wake fd ends an unlimited wait");
    ok(now_ms() - t0 < 1000, "...at once");
    remote_note_release(&n);
    remote_set_wake_fd(-1);
    close(p[0]);
    close(p[1]);
    remote_close(r);
    close(sfd);
}

int main(void)
{
    listen_start();
    test_skipped_without_keep();
    test_kept_in_order();
    test_unasked_response();
    test_wake_fd();
    listen_stop();
    return done_testing();
}
