/* fuzz_import.c: the readers of `annals import --format gdelt|csv`: byte 0
 * chooses the format (even: GDELT rows, odd: CSV with a header), the rest is
 * the file, read through import_source as the import command reads it.
 * Checked: every call answers 1 (an event), -1 (a bad record) or -2 (the
 * end of the import) with a reason, or 0 at the end; line numbers never go
 * back and never pass the file's lines; the reader ends after at most one
 * record per byte; every event packs to MessagePack that frames and
 * decodes as one map, and event_validate answers it with a message. */
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "client/import_source.h"
#include "proto/buf.h"
#include "proto/error.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_SIZE (16 * 1024 * 1024)
#define FUZZ_MAX_RECORD (1024 * 1024)

static const frame_limits fuzz_limits = { FUZZ_MAX_SIZE, FRAME_DEPTH_MAX, FUZZ_MAX_SIZE,
                                          FUZZ_MAX_SIZE, FUZZ_MAX_SIZE };

/* The packed event ev frames and decodes as one map, and validation
 * answers it. */
static void fuzz_import_event(const buf_t *ev)
{
    frame_state st;
    size_t mlen;
    char err[256];
    frame_init(&st, &fuzz_limits);
    fuzz_check(frame_scan(&st, ev->data, ev->len, &mlen) == FRAME_COMPLETE && mlen == ev->len);
    msgpack_zone zone;
    msgpack_object obj;
    size_t off = 0;
    msgpack_zone_init(&zone, 4096);
    fuzz_check(msgpack_unpack(ev->data, ev->len, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS);
    fuzz_check(off == ev->len && obj.type == MSGPACK_OBJECT_MAP);
    event_t e;
    event_init(&e);
    err[0] = '\0';
    int rc = event_validate(&obj, FUZZ_MAX_RECORD, &e, err, sizeof err);
    fuzz_check(rc == 0 || ((rc == ERROR_BAD_REQUEST || rc == ERROR_TOO_LARGE) && err[0]));
    event_release(&e);
    msgpack_zone_destroy(&zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    import_format fmt = data[0] % 2 ? IMPORT_CSV : IMPORT_GDELT;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    long lines = 1, last = 0;
    /* A line ends at LF, CRLF, or (in CSV) a CR alone. */
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n'));

    /* fmemopen of 0 bytes fails on some C libraries: read an empty file
     * from /dev/null instead. */
    FILE *f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
    fuzz_check(f != NULL);
    import_source *src = import_source_new(f, fmt);
    buf_t ev;
    buf_init(&ev);
    for (size_t calls = 0;; calls++) {
        char reason[512];
        long line = 0;
        reason[0] = '\0';
        fuzz_check(calls <= len + 1);
        int rc = import_source_next(src, &ev, &line, reason, sizeof reason);
        if (rc == 0)
            break;
        fuzz_check(rc == 1 || rc == -1 || rc == -2);
        fuzz_check(line >= last && line >= 1 && line <= lines + 1);
        last = line;
        if (rc == 1)
            fuzz_import_event(&ev);
        else
            fuzz_check(memchr(reason, '\0', sizeof reason) != NULL && reason[0] != '\0');
        if (rc == -2)
            break;
    }
    buf_release(&ev);
    import_source_free(src);
    fclose(f);
    return 0;
}
