/* internal.h: what the files of libannals share and its users do not see:
 * the connection's state and the helpers between transport (conn.c),
 * requests and replies (call.c), parameter packing (pack.c), the typed
 * methods (methods.c) and the change feed (feed.c). Internal names carry
 * the double prefix annals__, as libuv's uv__ do; none is exported. */
#ifndef ANNALS_LIB_INTERNAL_H
#define ANNALS_LIB_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "client/lib/annals.h"
#include "proto/buf.h"
#include "proto/frame.h"

/* The largest message accepted by default (annals_set_max_reply): a range
 * page holds at most 16 MiB of events (PROTOCOL.md), so 64 MiB leaves room
 * for any reply of the protocol. */
#define ANNALS__DEFAULT_MAX_REPLY ((size_t)64 * 1024 * 1024)
/* Arrays and maps of more entries are no reply of the protocol; msgpack-c
 * would allocate for the whole header before reading the entries. */
#define ANNALS__MAX_ENTRIES ((uint64_t)1 << 20)
/* Notifications queued while calls wait, in bytes, before the library
 * ends the subscriptions with an overflow of its own (see annals.h). */
#define ANNALS__NOTES_MAX ((size_t)4 * 1024 * 1024)
#define ANNALS__DEFAULT_TIMEOUT_MS 10000

/* One whole message as it came from the socket, undecoded (owned). A kept
 * message costs its bytes only; msgpack-c's zone is made when it is used. */
typedef struct {
    char *data;
    size_t len;
} annals__raw;

/* A reply that came before its annals_recv. */
typedef struct {
    uint32_t msgid;
    annals__raw raw;
} annals__kept;

/* A subscription and where its notifications go. */
typedef struct {
    uint64_t sub;
    annals_note_cb cb;
    void *userdata;
    uint64_t checkpoint;        /* the seq up to which the callback has heard */
    int overflowed;             /* the library ended it: drop what comes for it */
} annals__sub;

struct annals_conn {
    int fd;                     /* -1 until connected */
    char label[300];
    int timeout_ms;             /* 0: no limit */
    int wake_fd;                /* -1: none */
    int poll_max_ms;            /* one poll's longest wait (its timeout is an int);
                                 * a wait longer than that takes several */
    uint32_t next_msgid;
    int msgids_wrapped;         /* next_msgid has wrapped: check ids are free */
    buf_t out;                  /* requests not yet sent */
    size_t out_off;             /* bytes of out already sent */
    size_t max_reply;           /* the largest message accepted */
    buf_t in;                   /* bytes read: in.data[in_off..in.len) not yet taken */
    size_t in_off;
    frame_state fs;             /* the scan of the message that starts at in_off */
    int eof;                    /* the server closed or reset its side */
    char eof_why[128];          /* what the read or write saw when it did */
    int failed;                 /* the status that ended the connection; 0 while usable */
    char failure[1100];          /* its message, repeated by every later call */
    /* The last failure, for annals_errmsg, annals_error_code, annals_error. */
    char msg[1100];
    char code[64];
    int have_code;
    const msgpack_object *err;  /* the server's error array, or NULL */
    msgpack_zone *err_zone;     /* owns err, unless err is closing_err's */
    msgpack_zone *closing_zone; /* the last "error" notification of the server */
    const msgpack_object *closing_err;
    uint32_t *waiting;          /* msgids sent whose replies are not yet taken */
    size_t nwaiting, waiting_cap;
    annals__kept *kept;         /* replies read before their annals_recv */
    size_t nkept, kept_cap;
    uint32_t *discard;          /* msgids whose replies nobody will take */
    size_t ndiscard, discard_cap;
    annals__raw *notes;         /* notifications kept for annals_follow: */
    size_t notes_head;          /* notes[notes_head..nnotes) not yet handed out */
    size_t nnotes, notes_cap;
    size_t notes_bytes;         /* the bytes of those */
    int overflow_pending;       /* the queue overflowed while a subscribe was in flight */
    annals__sub *subs;
    size_t nsubs, subs_cap;
    int subscribing;            /* a subscribe is in flight: keep notifications */
};

/* conn.c: the transport. */
int64_t annals__now_ms(void);
int64_t annals__deadline(const annals_conn *c);
/* annals__fail: the connection is over: record status and the message
 * (printf-style) for this and every later call; returns status. */
int annals__fail(annals_conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* annals__invalid: a caller's mistake: set the message, change nothing;
 * returns ANNALS_EINVAL. */
int annals__invalid(annals_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* annals__forget: forget the last failure. */
void annals__forget(annals_conn *c);
/* annals__begin: forget the last failure (start of every public call).
 * Returns 0, or the status of a connection that is over or was never
 * made (its message set again). */
int annals__begin(annals_conn *c);
/* annals__flush: send what out holds (see annals_send). */
int annals__flush(annals_conn *c);
/* How annals__next_msg may read. */
enum {
    ANNALS__READ_NOTE = 0,      /* read what waits first, then wait until the deadline */
    ANNALS__READ_REPLY = 1,     /* a reply is awaited: each read that brings bytes
                                 * moves the deadline to the timeout from then */
    ANNALS__READ_NONE = 2       /* only what was read already; never read */
};
/* annals__next_msg: the bytes of the next whole message into raw (the
 * caller frees raw->data), each message checked against the limits
 * (frame.h) before msgpack-c sees it. Returns 1, 0 when the deadline (ms;
 * 0: none) passed first or (READ_NONE) nothing whole is there, or a
 * negative status (the connection has failed). */
int annals__next_msg(annals_conn *c, int64_t deadline, int how, annals__raw *raw);
/* annals__read_pending: read the bytes the socket holds now, and no more.
 * Returns 0 or a negative status. */
int annals__read_pending(annals_conn *c);
/* annals__decode: raw as a msgpack object into msg (initialised here;
 * destroy it). raw->data is taken, whatever is returned: msg's zone frees
 * it, and it stays valid until then. Returns 0, or ANNALS_EPROTO (the
 * connection has failed). */
int annals__decode(annals_conn *c, const annals__raw *raw, msgpack_unpacked *msg);
/* annals__maps: whether the len bytes at p are exactly n msgpack maps. */
int annals__maps(const void *p, size_t len, size_t n);

/* call.c: requests, replies and errors. */
/* annals__request: pack [0, msgid, method, [params]] into out (params:
 * len packed bytes of one map; NULL for []) and send it. */
int annals__request(annals_conn *c, const char *method, const void *params, size_t len,
                    uint32_t *msgid);
/* annals__server_error: record error (an [code, message, details?] array
 * owned by zone, which c takes; zone NULL: borrowed from closing_err) as
 * the last failure. Returns ANNALS_NOTFOUND or ANNALS_ESERVER. */
int annals__server_error(annals_conn *c, const msgpack_object *error, msgpack_zone *zone);
/* annals__error_note: the server sent [2, "error", [error]] (msg, taken):
 * keep it; if the server closes the connection next, it says why. */
void annals__error_note(annals_conn *c, msgpack_unpacked *msg);
/* annals__lost: the connection ended (eof): fail it with ANNALS_ESERVER
 * when an error notification came before, else ANNALS_ECONN saying what
 * (printf-style). */
int annals__lost(annals_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int annals__keeps_notes(const annals_conn *c);
/* annals__classify: what msg is: 1 a response [1, msgid, error, result]
 * (*msgid set), 2 a notification [2, method, params], or a negative status
 * for anything else (the connection has failed). */
int annals__classify(annals_conn *c, const msgpack_unpacked *msg, uint32_t *msgid);
/* annals__is_error_note: whether notification msg is [2, "error",
 * [error, ...]]. */
int annals__is_error_note(const msgpack_unpacked *msg);
/* annals__dispatch_other: msg (destroyed here; raw its bytes, which it owns) is not
 * the awaited reply: keep a response of another request, drop one that is
 * discarded, keep a notification for the feed, record an error
 * notification. Returns 0, or a negative status (a response nobody asked
 * for). */
int annals__dispatch_other(annals_conn *c, int kind, uint32_t id, annals__raw *raw,
                           msgpack_unpacked *msg);
/* annals__method_call: annals_call with params packed from pb (NULL: []),
 * one map the library packed (not checked again as annals_send does),
 * whose result must be a map; what names the method in messages. */
int annals__method_call(annals_conn *c, const char *method, const buf_t *pb,
                        annals_reply *reply);
/* annals__uint: the unsigned integer under key in map into *out; -1 when
 * there is none. */
int annals__uint(const msgpack_object *map, const char *key, uint64_t *out);
/* annals__proto: fail the connection with ANNALS_EPROTO because the result
 * of method is not what PROTOCOL.md says (what). */
int annals__proto(annals_conn *c, const char *method, const char *what);
/* annals__discard_id: the reply to msgid will be dropped when it comes. */
void annals__discard_id(annals_conn *c, uint32_t msgid);

/* pack.c: the parameter maps of the typed methods. */
/* annals__filter_size: how many keys annals__pack_filter packs. */
size_t annals__filter_size(const annals_filter *f);
/* annals__pack_filter: the filter's keys and values (f may be NULL). */
void annals__pack_filter(msgpack_packer *pk, const annals_filter *f);
/* annals__reserved_zero: whether the n reserved words are all NULL. */
int annals__reserved_zero(const void *const *words, size_t n);
/* annals__filter_valid: 0 when a list of f has a NULL where a string
 * should be or its reserved space is not zero, else 1 (f may be NULL). */
int annals__filter_valid(const annals_filter *f);
/* annals__pack_query: the whole parameter map of range. */
void annals__pack_query(msgpack_packer *pk, const annals_query *q);
/* annals__pack_kv_str, annals__pack_kv_uint: one key and its value. */
void annals__pack_kv_str(msgpack_packer *pk, const char *key, const char *value);
void annals__pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t value);

/* feed.c */
/* annals__sub_find: the subscription sub, or NULL. */
annals__sub *annals__sub_find(annals_conn *c, uint64_t sub);
void annals__sub_remove(annals_conn *c, uint64_t sub);
/* annals__keep_note: queue a copy of the notification raw (msg is its
 * decoding and owns its bytes; both borrowed) for annals_follow. Past ANNALS__NOTES_MAX queued
 * bytes, the queue is dropped and every subscription ends with an overflow
 * of the library's own (annals.h). Returns 0 or a negative status. */
int annals__keep_note(annals_conn *c, annals__raw *raw, const msgpack_unpacked *msg);

#endif
