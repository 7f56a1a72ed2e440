/* test_client_jsonmp.c: JSON -> msgpack -> JSON keeps what the client sends
 * and prints: UTF-8 text (Arabic, CJK) as UTF-8, integers as integers and
 * reals as reals, nesting, and the order of object keys. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/jsonmp.h"
#include "proto/buf.h"
#include "tests/unit/tap.h"

/* Pack the JSON text in, unpack it, convert back and dump it. */
static char *roundtrip(const char *in)
{
    json_error_t je;
    json_t *v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v)
        return NULL;
    buf_t b;
    msgpack_packer pk;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    jsonmp_pack(&pk, v);
    json_decref(v);

    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    char *out = NULL;
    if (msgpack_unpack_next(&u, b.data, b.len, &off) == MSGPACK_UNPACK_SUCCESS && off == b.len) {
        json_t *back = jsonmp_to_json(&u.data);
        out = jsonmp_dumps(back);
        json_decref(back);
    }
    msgpack_unpacked_destroy(&u);
    buf_release(&b);
    return out;
}

static void is_roundtrip(const char *in, const char *want, const char *name)
{
    char *got = roundtrip(in);
    is_str(got, want, "%s", name);
    free(got);
}

/* Pack the JSON text and unpack it into u (the caller destroys u). */
static void pack_text(const char *in, buf_t *b, msgpack_unpacked *u)
{
    json_t *v = json_loads(in, JSON_DECODE_ANY, NULL);
    msgpack_packer pk;
    size_t off = 0;
    buf_init(b);
    buf_packer_init(&pk, b);
    jsonmp_pack(&pk, v);
    json_decref(v);
    msgpack_unpacked_init(u);
    msgpack_unpack_next(u, b->data, b->len, &off);
}

static void test_roundtrips(void)
{
    is_roundtrip("{\"title\":\"زيارة الرئيس إلى القاهرة\",\"lang\":\"ar\"}",
                 "{\"title\":\"زيارة الرئيس إلى القاهرة\",\"lang\":\"ar\"}",
                 "Arabic text comes back as UTF-8, not \\u escapes");
    is_roundtrip("{\"title\":\"مَرْحَبًا\"}", "{\"title\":\"مَرْحَبًا\"}",
                 "Arabic with harakat (combining marks) is kept byte for byte");
    is_roundtrip("[\"日本語\",\"中文\",\"한국어\",\"😀\"]", "[\"日本語\",\"中文\",\"한국어\",\"😀\"]",
                 "CJK, Hangul and an astral-plane emoji are kept");
    is_roundtrip("{\"title\":\"\\u0645\\u0635\\u0631\"}", "{\"title\":\"مصر\"}",
                 "\\u escapes in the input come out as UTF-8");
    is_roundtrip("{\"z\":1,\"a\":2,\"m\":3,\"b\":4}", "{\"z\":1,\"a\":2,\"m\":3,\"b\":4}",
                 "object keys keep their order");
    is_roundtrip("[1,1.0,-1,-1.5,0,0.0,100,1e2]", "[1,1.0,-1,-1.5,0,0.0,100,100.0]",
                 "integers stay integers and reals stay reals");
    is_roundtrip("[0.1,48.8566,2.3522,-33.8688,1e300,5e-324]",
                 "[0.1,48.8566,2.3522,-33.8688,1e+300,5e-324]",
                 "reals print in their shortest exact form");
    is_roundtrip("[9223372036854775807,-9223372036854775808,4294967296,-129]",
                 "[9223372036854775807,-9223372036854775808,4294967296,-129]",
                 "64-bit integers at both ends survive");
    is_roundtrip("{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":null}]]]}},\"e\":[],\"f\":{}}",
                 "{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":null}]]]}},\"e\":[],\"f\":{}}",
                 "nested maps and arrays, empty ones too");
    is_roundtrip("[true,false,null]", "[true,false,null]", "booleans and null");
    is_roundtrip("\"q\\\"b\\\\s\\/n\\nt\\tc\\u0001d\\u007f\"",
                 "\"q\\\"b\\\\s/n\\nt\\tc\\u0001d\x7f\"",
                 "quotes, backslashes and control characters are escaped");
    is_roundtrip("\"a\\u0000b\"", "\"a\\u0000b\"", "a NUL inside a string survives");
    is_roundtrip("{\"place\":{\"name\":\"東京\",\"lat\":35.6762,\"lon\":139.6503},"
                 "\"countries\":[\"JP\",\"EG\"],\"extra\":{\"n\":3,\"x\":[0.5]}}",
                 "{\"place\":{\"name\":\"東京\",\"lat\":35.6762,\"lon\":139.6503},"
                 "\"countries\":[\"JP\",\"EG\"],\"extra\":{\"n\":3,\"x\":[0.5]}}",
                 "an event-like object survives whole");
}

static void test_packed_types(void)
{
    buf_t b;
    msgpack_unpacked u;

    pack_text("[1,-1,1.0,null,\"مصر\",true]", &b, &u);
    const msgpack_object *a = u.data.via.array.ptr;
    is_int(u.data.type, MSGPACK_OBJECT_ARRAY, "an array packs as an array");
    is_int(a[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER, "1 packs as an integer");
    is_int(a[1].type, MSGPACK_OBJECT_NEGATIVE_INTEGER, "-1 packs as a negative integer");
    is_int(a[2].type, MSGPACK_OBJECT_FLOAT64, "1.0 packs as a float64");
    is_int(a[3].type, MSGPACK_OBJECT_NIL, "null packs as nil");
    is_int(a[4].type, MSGPACK_OBJECT_STR, "a string packs as str");
    ok(a[4].via.str.size == 6 && memcmp(a[4].via.str.ptr, "\xd9\x85\xd8\xb5\xd8\xb1", 6) == 0,
       "the str holds the UTF-8 bytes of the text");
    is_int(a[5].type, MSGPACK_OBJECT_BOOLEAN, "true packs as a boolean");
    msgpack_unpacked_destroy(&u);
    buf_release(&b);

    pack_text("{\"z\":1,\"a\":2}", &b, &u);
    ok(u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size == 2 &&
       u.data.via.map.ptr[0].key.via.str.ptr[0] == 'z' &&
       u.data.via.map.ptr[1].key.via.str.ptr[0] == 'a',
       "map keys are packed in the JSON order");
    msgpack_unpacked_destroy(&u);
    buf_release(&b);

    pack_text("7", &b, &u);
    is_int(b.len, 1, "a small integer packs compactly (positive fixint)");
    msgpack_unpacked_destroy(&u);
    buf_release(&b);
}

static char *dump_object(const msgpack_object *o)
{
    json_t *j = jsonmp_to_json(o);
    char *s = jsonmp_dumps(j);
    json_decref(j);
    return s;
}

static void test_from_msgpack(void)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_unpacked u;
    size_t off = 0;
    char *s;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 9);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_uint64(&pk, (uint64_t)INT64_MAX);
    msgpack_pack_float(&pk, 0.5f);
    msgpack_pack_bin(&pk, 2);
    msgpack_pack_bin_body(&pk, "\x00\x01", 2);
    msgpack_pack_ext(&pk, 1, -1);
    msgpack_pack_ext_body(&pk, "x", 1);
    msgpack_pack_str(&pk, 3);
    msgpack_pack_str_body(&pk, "a\xff" "b", 3);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_int(&pk, 5);
    msgpack_pack_true(&pk);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "k", 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_double(&pk, 1.0 / 0.0);
    msgpack_pack_int64(&pk, -5);

    msgpack_unpacked_init(&u);
    msgpack_unpack_next(&u, sb.data, sb.size, &off);
    s = dump_object(&u.data);
    is_str(s, "[1.8446744073709552e+19,9223372036854775807,0.5,null,null,"
              "\"a\xef\xbf\xbd" "b\",{\"5\":true,\"k\":null},null,-5]",
           "uint64 above INT64_MAX -> real, float32 -> real, bin/ext -> null, "
           "bad UTF-8 -> U+FFFD, integer key -> its text, infinity -> null");
    free(s);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

static void test_nul_key(void)
{
    json_t *o = json_object();
    json_object_setn_new(o, "k\0x", 3, json_integer(1));
    buf_t b;
    msgpack_packer pk;
    msgpack_unpacked u;
    size_t off = 0;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    jsonmp_pack(&pk, o);
    json_decref(o);
    msgpack_unpacked_init(&u);
    msgpack_unpack_next(&u, b.data, b.len, &off);
    ok(u.data.via.map.ptr[0].key.via.str.size == 3, "a key with a NUL packs all its bytes");
    char *s = dump_object(&u.data);
    is_str(s, "{\"k\\u0000x\":1}", "and comes back escaped");
    free(s);
    msgpack_unpacked_destroy(&u);
    buf_release(&b);
}

static void test_format_real(void)
{
    static const struct { double d; const char *want; } cases[] = {
        { 0.1, "0.1" }, { 1.0, "1.0" }, { -0.0, "-0.0" }, { 100.0, "100.0" },
        { 0.1 + 0.2, "0.30000000000000004" }, { 1e21, "1e+21" }, { 123456.789, "123456.789" },
        { 1.0 / 3.0, "0.3333333333333333" }, { 1e16, "1e+16" }, { 1234.5e-10, "1.2345e-07" },
        { 0.0001, "0.0001" }, { 2.5e-5, "2.5e-05" }, { 1e15, "1000000000000000.0" },
        { 1.7976931348623157e308, "1.7976931348623157e+308" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        jsonmp_format_real(cases[i].d, out);
        is_str(out, cases[i].want, "format_real gives %s", cases[i].want);
        ok(strtod(out, NULL) == cases[i].d, "%s reads back as the same double", out);
    }
}

int main(void)
{
    test_roundtrips();
    test_packed_types();
    test_from_msgpack();
    test_nul_key();
    test_format_real();
    return done_testing();
}
