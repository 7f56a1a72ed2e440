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

/* The largest reply accepted: a range page of 1000 events of 1 MiB each. */
#define ANNALS__MAX_REPLY ((size_t)1100 * 1024 * 1024)
#define ANNALS__DEFAULT_TIMEOUT_MS 10000

/* A reply that came before its annals_recv. */
typedef struct {
    uint32_t msgid;
    msgpack_unpacked msg;
} annals__kept;

/* A subscription and where its notifications go. */
typedef struct {
    uint64_t sub;
    annals_note_cb cb;
    void *userdata;
} annals__sub;

struct annals_conn {
    int fd;                     /* -1 until connected */
    char label[300];
    int timeout_ms;             /* 0: no limit */
    int wake_fd;                /* -1: none */
    uint32_t next_msgid;
    buf_t out;                  /* requests not yet sent */
    size_t out_off;             /* bytes of out already sent */
    msgpack_unpacker up;        /* fed from reads, drained message by message */
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
    msgpack_zone *closing_zone; /* the "error" notification the server closed us with */
    const msgpack_object *closing_err;
    uint32_t *waiting;          /* msgids sent whose replies are not yet taken */
    size_t nwaiting, waiting_cap;
    annals__kept *kept;         /* replies read before their annals_recv */
    size_t nkept, kept_cap;
    msgpack_unpacked *notes;    /* notifications kept for annals_follow: */
    size_t notes_head;          /* notes[notes_head..nnotes) not yet handed out */
    size_t nnotes, notes_cap;
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
/* annals__next_msg: decode the next message into msg (initialised here),
 * reading until deadline (ms; 0: none). reply says whether a response is
 * awaited, which words the messages; when it is not, bytes already waiting
 * are read before any wait. Returns 1, 0 when the deadline passed first,
 * or a negative status (the connection has failed). */
int annals__next_msg(annals_conn *c, int64_t deadline, int reply, msgpack_unpacked *msg);

/* call.c: requests, replies and errors. */
/* annals__request: pack [0, msgid, method, [params]] into out (params:
 * len packed bytes of one map; NULL for []) and send it. */
int annals__request(annals_conn *c, const char *method, const void *params, size_t len,
                    uint32_t *msgid);
/* annals__server_error: record error (an [code, message, details?] array
 * owned by zone, which c takes; zone NULL: borrowed from closing_err) as
 * the last failure. Returns ANNALS_NOTFOUND or ANNALS_ESERVER. */
int annals__server_error(annals_conn *c, const msgpack_object *error, msgpack_zone *zone);
/* annals__closing: the server sent [2, "error", [error]] and closes the
 * connection: keep the notification (msg, taken) and fail the
 * connection with ANNALS_ESERVER. Returns ANNALS_ESERVER. */
int annals__closing(annals_conn *c, msgpack_unpacked *msg);
/* annals__keep_note: queue msg (taken) for annals_follow. */
void annals__keep_note(annals_conn *c, msgpack_unpacked *msg);
int annals__keeps_notes(const annals_conn *c);
/* annals__classify: what msg is: 1 a response [1, msgid, error, result]
 * (*msgid set), 2 a notification [2, method, params], or a negative status
 * for anything else (the connection has failed). */
int annals__classify(annals_conn *c, const msgpack_unpacked *msg, uint32_t *msgid);
/* annals__is_closing_note: whether notification msg is [2, "error",
 * [error, ...]]: the server gives up on us. */
int annals__is_closing_note(const msgpack_unpacked *msg);
/* annals__dispatch_other: msg (taken) is not the awaited reply: keep a
 * response of another request, or a notification for the feed. Returns 0,
 * or a negative status (an error notification, a response nobody asked
 * for). */
int annals__dispatch_other(annals_conn *c, int kind, uint32_t id, msgpack_unpacked *msg);
/* annals__method_call: annals_call with params packed from pb (NULL: []),
 * whose result must be a map; what names the method in messages. */
int annals__method_call(annals_conn *c, const char *method, const buf_t *pb,
                        annals_reply *reply);
/* annals__uint: the unsigned integer under key in map into *out; -1 when
 * there is none. */
int annals__uint(const msgpack_object *map, const char *key, uint64_t *out);
/* annals__proto: fail the connection with ANNALS_EPROTO because the result
 * of method is not what PROTOCOL.md says (what). */
int annals__proto(annals_conn *c, const char *method, const char *what);

/* pack.c: the parameter maps of the typed methods. */
/* annals__filter_size: how many keys annals__pack_filter packs. */
size_t annals__filter_size(const annals_filter *f);
/* annals__pack_filter: the filter's keys and values (f may be NULL). */
void annals__pack_filter(msgpack_packer *pk, const annals_filter *f);
/* annals__filter_valid: 0 when a list of f has a NULL where a string
 * should be, else 1 (f may be NULL). */
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

#endif
