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
    FRAME_TOO_DEEP = -3       /* containers nested deeper than max_depth */
};

typedef struct {
    size_t max_size;          /* limits, set by frame_init */
    unsigned max_depth;
    size_t pos;               /* bytes of the current object already scanned */
    unsigned depth;           /* open containers */
    uint64_t left[FRAME_DEPTH_MAX]; /* items still to come in each */
} frame_state;

/* frame_init: ready st for a new object; max_depth is capped at FRAME_DEPTH_MAX. */
void frame_init(frame_state *st, size_t max_size, unsigned max_depth);

/* frame_scan: continue scanning the object that starts at buf[0], given the
 * len bytes received so far (a superset of the bytes given to the previous
 * call). Returns FRAME_COMPLETE with *msg_len set (then call frame_init before
 * the next object), FRAME_INCOMPLETE, or a negative FRAME_ error. A length
 * that cannot fit in max_size is an error as soon as its header is seen, so
 * a peer cannot make us wait for (or buffer) an oversized object. */
int frame_scan(frame_state *st, const char *buf, size_t len, size_t *msg_len);

#endif
