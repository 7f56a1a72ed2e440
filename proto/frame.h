/* frame.h: finds where one msgpack object ends in a byte stream, checking
 * the limits before anything is allocated for it. Like picohttpparser, a pure
 * resumable scan over the caller's bytes: no allocation, no copies. */
#ifndef ANNALS_FRAME_H
#define ANNALS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_DEPTH_MAX 32    /* msgpack-c's unpacker cannot go deeper */

enum {
    FRAME_INCOMPLETE = 0,     /* need more bytes */
    FRAME_COMPLETE = 1,       /* one object of *msg_len bytes */
    FRAME_INVALID = -1,       /* a byte that starts no msgpack object (0xc1) */
    FRAME_TOO_LARGE = -2,     /* the object is or declares more than max_size bytes */
    FRAME_TOO_DEEP = -3,      /* containers nested deeper than max_depth */
    FRAME_ARRAY_TOO_LONG = -4, /* an array declares more than max_array elements */
    FRAME_MAP_TOO_LONG = -5,  /* a map declares more than max_map pairs */
    FRAME_STRING_TOO_LONG = -6 /* a str, bin or ext declares more than max_string bytes */
};

/* What one object may be. The length limits apply to each container or
 * string on its own, checked as soon as its header is seen; max_size bounds
 * the whole object (and so the sum of everything in it). */
typedef struct {
    size_t max_size;          /* bytes of the whole object */
    unsigned max_depth;       /* nested containers, capped at FRAME_DEPTH_MAX */
    uint64_t max_array;       /* elements of one array */
    uint64_t max_map;         /* key-value pairs of one map */
    uint64_t max_string;      /* bytes of one str, bin or ext payload */
} frame_limits;

typedef struct {
    frame_limits lim;         /* set by frame_init */
    uint64_t bad_len;         /* after a _TOO_LONG error: the length declared */
    size_t pos;               /* bytes of the current object already scanned */
    unsigned depth;           /* open containers */
    uint64_t left[FRAME_DEPTH_MAX]; /* items still to come in each */
} frame_state;

/* frame_init: ready st for a new object under the limits lim (copied;
 * max_depth is capped at FRAME_DEPTH_MAX). */
void frame_init(frame_state *st, const frame_limits *lim);

/* frame_scan: continue scanning the object that starts at buf[0], given the
 * len bytes received so far (a superset of the bytes given to the previous
 * call). Returns FRAME_COMPLETE with *msg_len set (then call frame_init before
 * the next object), FRAME_INCOMPLETE, or a negative FRAME_ error. A length
 * that cannot fit in max_size is an error as soon as its header is seen, so
 * a peer cannot make us wait for (or buffer) an oversized object; the same
 * holds for an array, map or string longer than its limit. */
int frame_scan(frame_state *st, const char *buf, size_t len, size_t *msg_len);

#endif
