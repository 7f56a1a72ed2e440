/* buf.c: the growable byte buffer of buf.h. */
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/xalloc.h"

void buf_init(buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_release(buf_t *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reserve(buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_reset(buf_t *b)
{
    b->len = 0;
}

char *buf_take(buf_t *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    buf_init(b);
    return p;
}

static int buf_pack_write(void *data, const char *p, size_t n)
{
    buf_append(data, p, n);
    return 0;
}

void buf_packer_init(msgpack_packer *pk, buf_t *b)
{
    msgpack_packer_init(pk, b, buf_pack_write);
}

void buf_pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void buf_pack_cstr(msgpack_packer *pk, const char *s)
{
    buf_pack_str(pk, s, strlen(s));
}
