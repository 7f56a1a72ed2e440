/* fuzz_frame.c: the daemon's message decoding, as conn_process does it: a
 * byte stream framed with frame_scan (fed in chunks, so every object is cut
 * at arbitrary points), each complete object decoded with msgpack_unpack,
 * then what the protocol does with it short of the store: rpc_peek_msgid on
 * the raw bytes, the request envelope, and event validation of the events a
 * put or put_many carries. The decoded object also goes through the
 * client's msgpack -> JSON conversion, since the client decodes the daemon's
 * replies with the same code.
 *
 * Input: byte 0 = n (low 3 bits: how many chunk sizes follow); the next n
 * bytes are chunk sizes (0 means 1), used in turn to grow the bytes the
 * framer sees; the rest is the stream.
 *
 * Checked: feeding in chunks gives the same answer as feeding the whole
 * stream at once; an object the framer calls complete decodes with
 * msgpack-c to exactly that many bytes; rpc_peek_msgid agrees with the
 * decoded envelope; event_validate never fails other than with a message. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "client/jsonmp.h"
#include "daemon/rpc.h"
#include "proto/error.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "tests/fuzz/fuzz.h"

/* Small limits, so the fuzzer reaches them with short inputs. */
#define FUZZ_MAX_SIZE (64 * 1024)
#define FUZZ_MAX_DEPTH 32
#define FUZZ_MAX_RECORD 4096

/* The daemon's limits, as the framer takes them (length limits at the
 * message size: only the size and depth bound these inputs). */
static const frame_limits fuzz_limits = { FUZZ_MAX_SIZE, FUZZ_MAX_DEPTH, FUZZ_MAX_SIZE, FUZZ_MAX_SIZE, FUZZ_MAX_SIZE };

static void fuzz_frame_event(const msgpack_object *ev)
{
    event_t e;
    char err[512];
    event_init(&e);
    err[0] = '\0';
    int rc = event_validate(ev, FUZZ_MAX_RECORD, &e, err, sizeof err);
    fuzz_check(rc == 0 || rc == ERROR_BAD_REQUEST || rc == ERROR_TOO_LARGE);
    if (rc == 0)
        fuzz_check(e.body.len <= FUZZ_MAX_RECORD);
    else
        fuzz_check(err[0] != '\0');
    event_release(&e);
}

/* The value of key in map m, or NULL. */
static const msgpack_object *fuzz_frame_get(const msgpack_object *m, const char *key)
{
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

/* What rpc_handle checks before it dispatches, and the events of writes. */
static void fuzz_frame_message(const char *p, size_t len, const msgpack_object *msg)
{
    uint32_t peek;
    if (rpc_peek_msgid(p, len, &peek) == 0) {
        /* What conn.c quotes in an error reply must be the request's msgid. */
        fuzz_check(msg->type == MSGPACK_OBJECT_ARRAY && msg->via.array.size == 4);
        fuzz_check(msg->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                   msg->via.array.ptr[0].via.u64 == 0);
        fuzz_check(msg->via.array.ptr[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                   msg->via.array.ptr[1].via.u64 == peek);
    }

    json_t *j = jsonmp_to_json(msg);
    char *text = jsonmp_dumps(j);
    fuzz_check(text != NULL);
    free(text);
    json_decref(j);

    if (msg->type != MSGPACK_OBJECT_ARRAY || msg->via.array.size != 4)
        return;
    const msgpack_object *a = msg->via.array.ptr;
    if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 != 0 ||
        a[2].type != MSGPACK_OBJECT_STR || a[3].type != MSGPACK_OBJECT_ARRAY ||
        a[3].via.array.size != 1 || a[3].via.array.ptr[0].type != MSGPACK_OBJECT_MAP)
        return;
    const msgpack_object *params = &a[3].via.array.ptr[0];
    const msgpack_object *v;
    if (a[2].via.str.size == 3 && memcmp(a[2].via.str.ptr, "put", 3) == 0 &&
        (v = fuzz_frame_get(params, "event")) && v->type == MSGPACK_OBJECT_MAP) {
        fuzz_frame_event(v);
    } else if (a[2].via.str.size == 8 && memcmp(a[2].via.str.ptr, "put_many", 8) == 0 &&
               (v = fuzz_frame_get(params, "events")) && v->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < v->via.array.size; i++)
            if (v->via.array.ptr[i].type == MSGPACK_OBJECT_MAP)
                fuzz_frame_event(&v->via.array.ptr[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t ncuts = data[0] & 7;
    if (size < 1 + ncuts)
        return 0;
    const uint8_t *cuts = data + 1;
    const char *stream = (const char *)data + 1 + ncuts;
    size_t total = size - 1 - ncuts, done = 0, cut = 0;

    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    while (done < total) {
        const char *p = stream + done;
        size_t avail = total - done, seen = 0, mlen = 0, whole_len = 0;
        frame_state st, whole;
        int fr;

        /* The same object framed at once and in pieces. */
        frame_init(&whole, &fuzz_limits);
        int wr = frame_scan(&whole, p, avail, &whole_len);
        frame_init(&st, &fuzz_limits);
        do {
            size_t step = ncuts ? (cuts[cut++ % ncuts] ? cuts[(cut - 1) % ncuts] : 1) : avail;
            seen = seen + step > avail ? avail : seen + step;
            fr = frame_scan(&st, p, seen, &mlen);
        } while (fr == FRAME_INCOMPLETE && seen < avail);
        fuzz_check(fr == wr);
        if (fr != FRAME_COMPLETE)
            break;            /* incomplete at the end, or an error: the stream ends */
        fuzz_check(mlen == whole_len && mlen > 0 && mlen <= avail && mlen <= FUZZ_MAX_SIZE);

        /* Anything the framer passes, msgpack-c must decode to the byte. */
        msgpack_object msg;
        size_t off = 0;
        msgpack_unpack_return ur = msgpack_unpack(p, mlen, &off, &zone, &msg);
        fuzz_check(ur == MSGPACK_UNPACK_SUCCESS);
        fuzz_check(off == mlen);
        fuzz_frame_message(p, mlen, &msg);
        msgpack_zone_clear(&zone);
        done += mlen;
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
