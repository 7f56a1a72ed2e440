/* frame.c: the resumable msgpack object scanner of frame.h. */
#include <string.h>

#include "proto/frame.h"

void frame_init(frame_state *st, const frame_limits *lim)
{
    st->lim = *lim;
    if (st->lim.max_depth > FRAME_DEPTH_MAX)
        st->lim.max_depth = FRAME_DEPTH_MAX;
    st->bad_len = 0;
    st->pos = 0;
    st->depth = 0;
}

static uint64_t frame_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* The shape of one msgpack token: header bytes, payload bytes after the
 * header, and, for containers, how many items follow. */
typedef struct {
    size_t head;          /* bytes of type byte + length/value */
    int lenbytes;         /* bytes of the length field inside head, 0 if none */
    uint64_t payload;     /* str/bin/ext bytes after head */
    uint64_t items;       /* array items, or 2 * map pairs */
    int container;        /* 1 array, 2 map */
    int string;           /* str, bin or ext: payload is its length (+1 for ext's type) */
} frame_token;

/* Decode the fixed part of the token whose type byte is b. Returns -1 for
 * the one byte msgpack never uses. */
static int frame_classify(unsigned char b, frame_token *t)
{
    memset(t, 0, sizeof *t);
    t->head = 1;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;                                   /* fixint, nil, bool */
    if (b >= 0xa0 && b <= 0xbf) { t->string = 1; t->payload = b & 0x1f; return 0; }  /* fixstr */
    if (b >= 0x90 && b <= 0x9f) { t->container = 1; t->items = b & 0x0f; return 0; }
    if (b >= 0x80 && b <= 0x8f) { t->container = 2; t->items = 2u * (b & 0x0f); return 0; }
    switch (b) {
    case 0xc4: case 0xd9: t->lenbytes = 1; break;   /* bin8, str8 */
    case 0xc5: case 0xda: t->lenbytes = 2; break;   /* bin16, str16 */
    case 0xc6: case 0xdb: t->lenbytes = 4; break;   /* bin32, str32 */
    case 0xc7: t->lenbytes = 1; t->payload = 1; break; /* ext8: + type byte */
    case 0xc8: t->lenbytes = 2; t->payload = 1; break;
    case 0xc9: t->lenbytes = 4; t->payload = 1; break;
    case 0xca: case 0xd2: case 0xce: t->head = 5; break;
    case 0xcb: case 0xd3: case 0xcf: t->head = 9; break;
    case 0xcc: case 0xd0: t->head = 2; break;
    case 0xcd: case 0xd1: t->head = 3; break;
    case 0xd4: t->head = 3; break;                  /* fixext1: type + 1 */
    case 0xd5: t->head = 4; break;
    case 0xd6: t->head = 6; break;
    case 0xd7: t->head = 10; break;
    case 0xd8: t->head = 18; break;
    case 0xdc: t->lenbytes = 2; t->container = 1; break;
    case 0xdd: t->lenbytes = 4; t->container = 1; break;
    case 0xde: t->lenbytes = 2; t->container = 2; break;
    case 0xdf: t->lenbytes = 4; t->container = 2; break;
    default: return -1;                             /* 0xc1 */
    }
    t->string = t->lenbytes && !t->container;
    t->head += (size_t)t->lenbytes;
    return 0;
}

int frame_scan(frame_state *st, const char *buf, size_t len, size_t *msg_len)
{
    const unsigned char *p = (const unsigned char *)buf;

    for (;;) {
        if (st->pos >= len)
            return FRAME_INCOMPLETE;

        frame_token t;
        if (frame_classify(p[st->pos], &t) < 0)
            return FRAME_INVALID;
        if (st->pos + t.head > st->lim.max_size)
            return FRAME_TOO_LARGE;
        if (st->pos + t.head > len)
            return FRAME_INCOMPLETE;
        if (t.lenbytes) {
            uint64_t n = frame_be(p + st->pos + 1, t.lenbytes);
            if (t.container == 1)
                t.items = n;
            else if (t.container == 2)
                t.items = 2 * n;
            else
                t.payload += n;
        }
        /* Each length on its own, before its items or bytes are awaited. */
        if (t.container == 1 && t.items > st->lim.max_array) {
            st->bad_len = t.items;
            return FRAME_ARRAY_TOO_LONG;
        }
        if (t.container == 2 && t.items / 2 > st->lim.max_map) {
            st->bad_len = t.items / 2;
            return FRAME_MAP_TOO_LONG;
        }
        if (t.string) {
            uint64_t n = t.payload - (p[st->pos] >= 0xc7 && p[st->pos] <= 0xc9);  /* ext: less its type */
            if (n > st->lim.max_string) {
                st->bad_len = n;
                return FRAME_STRING_TOO_LONG;
            }
        }
        /* Every item takes at least one byte, so a count that cannot fit in
         * what is left of max_size is refused before we wait for it. */
        size_t room = st->lim.max_size - st->pos - t.head;
        if (t.payload > room || t.items > room)
            return FRAME_TOO_LARGE;
        if (st->pos + t.head + t.payload > len)
            return FRAME_INCOMPLETE;

        if (t.container && st->depth >= st->lim.max_depth)
            return FRAME_TOO_DEEP;
        st->pos += t.head + (size_t)t.payload;
        if (st->depth > 0)
            st->left[st->depth - 1]--;
        if (t.container && t.items > 0)
            st->left[st->depth++] = t.items;
        while (st->depth > 0 && st->left[st->depth - 1] == 0)
            st->depth--;
        if (st->depth == 0) {
            *msg_len = st->pos;
            return FRAME_COMPLETE;
        }
    }
}
