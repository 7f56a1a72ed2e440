/* test_frame.c: the msgpack framer finds message boundaries at every
 * truncation length and refuses oversize, deep and invalid input early. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "tap.h"

/* Limits of max_size bytes and max_depth levels, lengths unbounded. */
static const frame_limits *lim(size_t max_size, unsigned max_depth)
{
    static frame_limits l;
    l = (frame_limits){ max_size, max_depth, UINT64_MAX, UINT64_MAX, UINT64_MAX };
    return &l;
}

/* A request with every msgpack type the protocol may carry. */
static void pack_sample(buf_t *b)
{
    msgpack_packer pk;
    buf_packer_init(&pk, b);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, 70000);
    buf_pack_cstr(&pk, "put");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 6);
    buf_pack_cstr(&pk, "title");
    buf_pack_cstr(&pk, "مباحثات أمنية مغربية إسبانية");
    buf_pack_cstr(&pk, "n");
    msgpack_pack_int64(&pk, -123456789012LL);
    buf_pack_cstr(&pk, "f");
    msgpack_pack_double(&pk, 31.6295);
    buf_pack_cstr(&pk, "bin");
    msgpack_pack_bin(&pk, 300);
    char zeros[300] = { 0 };
    msgpack_pack_bin_body(&pk, zeros, sizeof zeros);
    buf_pack_cstr(&pk, "empty");
    msgpack_pack_array(&pk, 0);
    buf_pack_cstr(&pk, "nested");
    msgpack_pack_map(&pk, 1);
    buf_pack_cstr(&pk, "a");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_ext(&pk, 4, 1);
    msgpack_pack_ext_body(&pk, "abcd", 4);
}

static void test_every_truncation(void)
{
    buf_t b;
    buf_init(&b);
    pack_sample(&b);
    int all_incomplete = 1;
    for (size_t cut = 0; cut < b.len; cut++) {
        frame_state st;
        size_t n = 0;
        frame_init(&st, lim(1 << 20, 32));
        if (frame_scan(&st, b.data, cut, &n) != FRAME_INCOMPLETE)
            all_incomplete = 0;
    }
    ok(all_incomplete, "every proper prefix of a %zu-byte message is incomplete", b.len);

    /* Resumed scanning, one byte at a time, finds the same end. */
    frame_state st;
    size_t n = 0;
    int rc = FRAME_INCOMPLETE;
    frame_init(&st, lim(1 << 20, 32));
    for (size_t len = 1; len <= b.len && rc == FRAME_INCOMPLETE; len++)
        rc = frame_scan(&st, b.data, len, &n);
    is_int(rc, FRAME_COMPLETE, "byte-by-byte scanning completes");
    is_int(n, b.len, "and finds the whole message");

    /* Two messages back to back: the first is found alone. */
    buf_reserve(&b, b.len);           /* so appending to itself does not move it */
    buf_append(&b, b.data, b.len);
    frame_init(&st, lim(1 << 20, 32));
    rc = frame_scan(&st, b.data, b.len, &n);
    is_int(rc, FRAME_COMPLETE, "a message followed by another completes");
    is_int(n, b.len / 2, "at the first message's end");
    buf_release(&b);
}

static void test_scalars_and_empty(void)
{
    frame_state st;
    size_t n;
    frame_init(&st, lim(100, 32));
    is_int(frame_scan(&st, "\xc0", 1, &n), FRAME_COMPLETE, "nil alone is one message");
    is_int(n, 1, "of one byte");
    frame_init(&st, lim(100, 32));
    is_int(frame_scan(&st, "\x90", 1, &n), FRAME_COMPLETE, "an empty array is one message");
    frame_init(&st, lim(100, 32));
    is_int(frame_scan(&st, "", 0, &n), FRAME_INCOMPLETE, "no bytes is incomplete");
}

static void test_invalid_byte(void)
{
    frame_state st;
    size_t n;
    frame_init(&st, lim(100, 32));
    is_int(frame_scan(&st, "\xc1", 1, &n), FRAME_INVALID, "0xc1 is invalid");
    frame_init(&st, lim(100, 32));
    is_int(frame_scan(&st, "\x93\x01\xc1", 3, &n), FRAME_INVALID, "0xc1 inside an array is invalid");
    is_int(st.pos, 2, "and its offset is known");
}

static void test_too_large(void)
{
    frame_state st;
    size_t n;
    /* str32 declaring 4 GiB: refused from its header alone. */
    frame_init(&st, lim(1024, 32));
    is_int(frame_scan(&st, "\xdb\xff\xff\xff\xff", 5, &n), FRAME_TOO_LARGE,
           "a str32 header declaring 4 GiB is too large at once");
    /* array32 declaring more items than bytes allowed. */
    frame_init(&st, lim(1024, 32));
    is_int(frame_scan(&st, "\xdd\x00\x01\x00\x00", 5, &n), FRAME_TOO_LARGE,
           "an array declaring 65536 items in a 1 KiB limit is too large");
    /* Many small items that add up past the limit. */
    char big[2000];
    big[0] = (char)0xdc; big[1] = 0x03; big[2] = (char)0xe8;   /* array16 of 1000 */
    memset(big + 3, 0x01, 1000);
    frame_init(&st, lim(512, 32));
    is_int(frame_scan(&st, big, 1000, &n), FRAME_TOO_LARGE,
           "items adding up past the limit are too large");
    frame_init(&st, lim(1100, 32));
    is_int(frame_scan(&st, big, 1003, &n), FRAME_COMPLETE, "the same array fits a larger limit");
    is_int(n, 1003, "and has 1003 bytes");
}

static void test_depth(void)
{
    char deep[64];
    frame_state st;
    size_t n;
    for (int i = 0; i < 33; i++)
        deep[i] = (char)0x91;          /* [[[[...]]]] */
    deep[33] = (char)0xc0;
    frame_init(&st, lim(1024, 32));
    is_int(frame_scan(&st, deep, 34, &n), FRAME_TOO_DEEP, "33 nested arrays exceed depth 32");
    frame_init(&st, lim(1024, 32));
    is_int(frame_scan(&st, deep + 1, 33, &n), FRAME_COMPLETE, "32 nested arrays are accepted");
    /* msgpack-c must decode what the framer accepts. */
    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    ok(msgpack_unpack_next(&up, deep + 1, 33, &off) == MSGPACK_UNPACK_SUCCESS,
       "msgpack-c decodes the deepest message the framer accepts");
    msgpack_unpacked_destroy(&up);
    frame_init(&st, lim(1024, 4));
    is_int(frame_scan(&st, deep, 34, &n), FRAME_TOO_DEEP, "a configured depth of 4 is enforced");
    /* Empty containers count too: msgpack-c refuses them past its stack. */
    deep[32] = (char)0x90;
    frame_init(&st, lim(1024, 32));
    is_int(frame_scan(&st, deep, 33, &n), FRAME_TOO_DEEP, "an empty array at depth 33 is too deep");
}

/* Each length limit is checked on its own as soon as the header is seen,
 * before the items or bytes arrive; a length at the limit passes. */
static void test_lengths(void)
{
    frame_state st;
    size_t n;
    frame_limits l = { 1 << 20, 32, 3, 2, 5 };

    frame_init(&st, &l);
    is_int(frame_scan(&st, "\x93\x01\x02\x03", 4, &n), FRAME_COMPLETE, "an array of max_array elements passes");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\x94", 1, &n), FRAME_ARRAY_TOO_LONG, "a fixarray of 4 > 3 is refused from its header");
    is_int((int)st.bad_len, 4, "... bad_len says 4");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\x91\xdd\x00\x01\x00\x00", 6, &n), FRAME_ARRAY_TOO_LONG,
           "an array32 of 65536 inside an array is refused before its items");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\x82\x01\x02\x03\x04", 5, &n), FRAME_COMPLETE, "a map of max_map pairs passes");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\x83", 1, &n), FRAME_MAP_TOO_LONG, "a fixmap of 3 pairs > 2 is refused");
    is_int((int)st.bad_len, 3, "... bad_len counts pairs");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xde\x00\x03", 3, &n), FRAME_MAP_TOO_LONG, "a map16 of 3 pairs is refused");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xa5hello", 6, &n), FRAME_COMPLETE, "a string of max_string bytes passes");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xa6", 1, &n), FRAME_STRING_TOO_LONG, "a fixstr of 6 bytes is refused from its header");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xd9\x06", 2, &n), FRAME_STRING_TOO_LONG, "a str8 of 6 bytes is refused");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xc4\x06", 2, &n), FRAME_STRING_TOO_LONG, "a bin8 of 6 bytes is refused");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xc7\x05\x01" "abcde", 8, &n), FRAME_COMPLETE, "an ext8 of 5 bytes passes (its type byte aside)");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xc7\x06\x01", 3, &n), FRAME_STRING_TOO_LONG, "an ext8 of 6 bytes is refused");
    frame_init(&st, &l);
    is_int(frame_scan(&st, "\xd8\x01", 2, &n), FRAME_INCOMPLETE, "a fixext16 is not a string: only max_size bounds it");
}

int main(void)
{
    test_every_truncation();
    test_scalars_and_empty();
    test_invalid_byte();
    test_too_large();
    test_depth();
    test_lengths();
    return done_testing();
}
