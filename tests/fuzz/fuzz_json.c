/* fuzz_json.c: the client's JSON input, as `annals put` and `annals import`
 * read it: cli_parse_json_object, then jsonmp_pack to MessagePack, which the
 * daemon frames, decodes and validates as an event. Checked: the packed
 * bytes frame and decode (unless nested deeper than the framer allows); the
 * decoded object converts back to JSON equal to the input; the compact JSON
 * writer's text parses back to an equal value (so reals print in a form that
 * reads back as the same double); event validation answers with a message. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/jsonmp.h"
#include "proto/buf.h"
#include "proto/error.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_SIZE (16 * 1024 * 1024)
#define FUZZ_MAX_RECORD (1024 * 1024)

/* The daemon's limits, as the framer takes them (length limits at the
 * message size: only the size and depth bound these inputs). */
static const frame_limits fuzz_limits = { FUZZ_MAX_SIZE, FRAME_DEPTH_MAX, FUZZ_MAX_SIZE, FUZZ_MAX_SIZE, FUZZ_MAX_SIZE };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *v = cli_parse_json_object((const char *)data, size, err, sizeof err);
    if (!v) {
        fuzz_check(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        return 0;
    }

    /* The compact writer's text reads back as the same value. */
    char *text = jsonmp_dumps(v);
    json_error_t je;
    json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!back)
        fuzz_fail(__FILE__, __LINE__, je.text);
    fuzz_check(json_equal(v, back));
    json_decref(back);
    free(text);

    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    jsonmp_pack(&pk, v);

    frame_state st;
    size_t mlen;
    frame_init(&st, &fuzz_limits);
    int fr = frame_scan(&st, b.data, b.len, &mlen);
    fuzz_check(fr == FRAME_COMPLETE || fr == FRAME_TOO_DEEP);
    if (fr == FRAME_COMPLETE) {
        fuzz_check(mlen == b.len);
        msgpack_zone zone;
        msgpack_object obj;
        size_t off = 0;
        msgpack_zone_init(&zone, 4096);
        fuzz_check(msgpack_unpack(b.data, b.len, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS);
        fuzz_check(off == b.len);

        json_t *round = jsonmp_to_json(&obj);
        fuzz_check(json_equal(v, round));
        json_decref(round);

        event_t ev;
        event_init(&ev);
        err[0] = '\0';
        int rc = event_validate(&obj, FUZZ_MAX_RECORD, &ev, err, sizeof err);
        fuzz_check(rc == 0 || ((rc == ERROR_BAD_REQUEST || rc == ERROR_TOO_LARGE) && err[0]));
        event_release(&ev);
        msgpack_zone_destroy(&zone);
    }
    buf_release(&b);
    json_decref(v);
    return 0;
}
