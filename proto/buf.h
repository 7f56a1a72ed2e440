/* buf.h: a growable byte buffer, and a msgpack_packer that appends to one.
 * Used for replies (packed once, then handed to uv_write) and records. */
#ifndef ANNALS_BUF_H
#define ANNALS_BUF_H

#include <stddef.h>
#include <msgpack.h>

typedef struct {
    char *data;   /* owned; NULL while empty and never grown */
    size_t len;
    size_t cap;
} buf_t;

void buf_init(buf_t *b);
void buf_release(buf_t *b);                  /* frees data; b is empty again */
void buf_reserve(buf_t *b, size_t extra);    /* room for extra more bytes */
void buf_append(buf_t *b, const void *p, size_t n);
void buf_reset(buf_t *b);                    /* len = 0, keeps the memory */

/* buf_take: hand the data to the caller (who frees it) and leave b empty. */
char *buf_take(buf_t *b, size_t *len);

/* buf_packer_init: a packer whose writes append to b. */
void buf_packer_init(msgpack_packer *pk, buf_t *b);

/* buf_pack_str: pack a string of n bytes. */
void buf_pack_str(msgpack_packer *pk, const char *s, size_t n);

/* buf_pack_cstr: pack a NUL-terminated string. */
void buf_pack_cstr(msgpack_packer *pk, const char *s);

#endif
