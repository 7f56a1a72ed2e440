/* fuzz_event.c: event validation of an arbitrary msgpack object. The input
 * is framed (as the daemon frames a request, which bounds what msgpack-c
 * allocates) and decoded; when it is a map, event_validate judges it.
 * Checked: validation fails only with ERROR_BAD_REQUEST or ERROR_TOO_LARGE
 * and a message; an accepted event's body is a map of body_fields entries
 * within max_record, and is canonical: validated again (with its id) it
 * yields the same body and bounds. */
#include <msgpack.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/error.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_SIZE (1024 * 1024)
#define FUZZ_MAX_RECORD (64 * 1024)

/* The daemon's limits, as the framer takes them (length limits at the
 * message size: only the size and depth bound these inputs). */
static const frame_limits fuzz_limits = { FUZZ_MAX_SIZE, FRAME_DEPTH_MAX, FUZZ_MAX_SIZE, FUZZ_MAX_SIZE, FUZZ_MAX_SIZE };

/* Validate the body of ev again, with ev's id, and compare. */
static void fuzz_event_again(const event_t *ev)
{
    buf_t b;
    msgpack_packer pk;
    msgpack_unpacked up;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_map(&pk, ev->body_fields + (ev->id_len ? 1 : 0));
    if (ev->id_len) {
        buf_pack_cstr(&pk, "id");
        buf_pack_str(&pk, ev->id, ev->id_len);
    }
    /* The body's entries follow its map header. */
    msgpack_unpacked_init(&up);
    size_t off = 0;
    fuzz_check(msgpack_unpack_next(&up, ev->body.data, ev->body.len, &off) == MSGPACK_UNPACK_SUCCESS);
    fuzz_check(off == ev->body.len);
    fuzz_check(up.data.type == MSGPACK_OBJECT_MAP && up.data.via.map.size == ev->body_fields);
    for (uint32_t i = 0; i < up.data.via.map.size; i++) {
        msgpack_pack_object(&pk, up.data.via.map.ptr[i].key);
        msgpack_pack_object(&pk, up.data.via.map.ptr[i].val);
    }
    msgpack_unpacked_destroy(&up);

    msgpack_unpacked_init(&up);
    off = 0;
    fuzz_check(msgpack_unpack_next(&up, b.data, b.len, &off) == MSGPACK_UNPACK_SUCCESS);
    event_t again;
    char err[512];
    event_init(&again);
    int rc = event_validate(&up.data, FUZZ_MAX_RECORD, &again, err, sizeof err);
    if (rc != 0)
        fuzz_fail(__FILE__, __LINE__, err);
    fuzz_check(again.id_len == ev->id_len && memcmp(again.id, ev->id, ev->id_len) == 0);
    fuzz_check(again.body.len == ev->body.len &&
               memcmp(again.body.data, ev->body.data, ev->body.len) == 0);
    fuzz_check(again.body_fields == ev->body_fields && again.has_end == ev->has_end);
    fuzz_check(memcmp(&again.bounds, &ev->bounds, sizeof ev->bounds) == 0);
    event_release(&again);
    msgpack_unpacked_destroy(&up);
    buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frame_state st;
    size_t mlen;
    frame_init(&st, &fuzz_limits);
    if (frame_scan(&st, (const char *)data, size, &mlen) != FRAME_COMPLETE)
        return 0;

    msgpack_zone zone;
    msgpack_object obj;
    size_t off = 0;
    msgpack_zone_init(&zone, 4096);
    if (msgpack_unpack((const char *)data, mlen, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS &&
        obj.type == MSGPACK_OBJECT_MAP) {
        event_t ev;
        char err[512];
        event_init(&ev);
        err[0] = '\0';
        int rc = event_validate(&obj, FUZZ_MAX_RECORD, &ev, err, sizeof err);
        fuzz_check(rc == 0 || rc == ERROR_BAD_REQUEST || rc == ERROR_TOO_LARGE);
        if (rc == 0) {
            fuzz_check(ev.body.len <= FUZZ_MAX_RECORD);
            fuzz_check(ev.bounds.start_lo <= ev.bounds.start_hi && ev.bounds.end_lo <= ev.bounds.end_hi);
            fuzz_event_again(&ev);
        } else {
            fuzz_check(err[0] != '\0');
        }
        event_release(&ev);
    }
    msgpack_zone_destroy(&zone);
    return 0;
}
