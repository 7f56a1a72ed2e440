/* jsonmp.c: JSON <-> MessagePack conversion and the compact JSON writer of
 * jsonmp.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/jsonmp.h"
#include "proto/utf8.h"
#include "proto/xalloc.h"

void jsonmp_pack(msgpack_packer *pk, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        size_t key_len;
        json_t *val;
        msgpack_pack_map(pk, json_object_size(v));
        /* jansson >= 2.8 iterates objects in insertion order, which is the
         * order the keys had in the text. */
        json_object_keylen_foreach((json_t *)v, key, key_len, val) {
            buf_pack_str(pk, key, key_len);
            jsonmp_pack(pk, val);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        msgpack_pack_array(pk, json_array_size(v));
        json_array_foreach(v, i, val)
            jsonmp_pack(pk, val);
        break;
    }
    case JSON_STRING:
        buf_pack_str(pk, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(v));
        break;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        break;
    case JSON_NULL:
        msgpack_pack_nil(pk);
        break;
    }
}

/* A JSON string for s[0..len): jansson refuses invalid UTF-8, and a server
 * bug must not make the client crash or print nothing, so bad bytes become
 * U+FFFD. */
static json_t *jsonmp_string(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    buf_t b;
    buf_init(&b);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        if (n > 0) {
            buf_append(&b, s + i, (size_t)n);
            i += (size_t)n;
        } else {
            buf_append(&b, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    j = json_stringn_nocheck(b.data ? b.data : "", b.len);
    buf_release(&b);
    return j;
}

static json_t *jsonmp_key(const msgpack_object *k)
{
    if (k->type == MSGPACK_OBJECT_STR)
        return jsonmp_string(k->via.str.ptr, k->via.str.size);
    json_t *j = jsonmp_to_json(k);
    char *text = jsonmp_dumps(j);
    json_decref(j);
    json_t *s = json_string(text);
    free(text);
    return s;
}

json_t *jsonmp_to_json(const msgpack_object *o)
{
    json_t *j = NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        j = json_null();
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        j = json_boolean(o->via.boolean);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > (uint64_t)INT64_MAX)
            j = json_real((double)o->via.u64);
        else
            j = json_integer((json_int_t)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        j = json_integer((json_int_t)o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        j = json_real(o->via.f64); /* NULL for NaN and infinities */
        break;
    case MSGPACK_OBJECT_STR:
        j = jsonmp_string(o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        j = json_array();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new(j, jsonmp_to_json(&o->via.array.ptr[i]));
        break;
    case MSGPACK_OBJECT_MAP:
        j = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            json_t *k = jsonmp_key(&kv->key);
            json_object_setn_new(j, json_string_value(k), json_string_length(k),
                                 jsonmp_to_json(&kv->val));
            json_decref(k);
        }
        break;
    case MSGPACK_OBJECT_BIN:
    case MSGPACK_OBJECT_EXT:
        break;
    }
    if (!j)
        j = json_null();
    return j;
}

int jsonmp_format_real(double d, char *out)
{
    int n = 0, prec;
    if (!isfinite(d))
        return snprintf(out, 32, "null");
    /* The first number of significant digits that reads back exactly is
     * the shortest form. */
    for (prec = 1; prec < 17; prec++) {
        snprintf(out, 32, "%.*e", prec - 1, d);
        if (strtod(out, NULL) == d)
            break;
    }
    n = snprintf(out, 32, "%.*e", prec - 1, d);
    /* Like Python's repr: positional notation for exponents -4..15, so
     * 100.0 stays 100.0 and not 1e+02. */
    int exp = atoi(strchr(out, 'e') + 1);
    if (exp >= -4 && exp < 16) {
        int decimals = prec - 1 - exp;
        n = snprintf(out, 32, "%.*f", decimals > 0 ? decimals : 0, d);
    }
    if (!strpbrk(out, ".eE")) {
        memcpy(out + n, ".0", 3);
        n += 2;
    }
    return n;
}

static void jsonmp_dump_string(const char *s, size_t len, buf_t *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;   /* start of the bytes not yet copied */
    buf_append(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t n = 2;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
        } else if (c < 0x20) {
            esc[0] = '\\';
            switch (c) {
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                n = 6;
            }
        } else {
            continue;
        }
        buf_append(out, s + run, i - run);
        buf_append(out, esc, n);
        run = i + 1;
    }
    buf_append(out, s + run, len - run);
    buf_append(out, "\"", 1);
}

void jsonmp_dump(const json_t *v, buf_t *out)
{
    char num[32];
    int n;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        size_t key_len;
        json_t *val;
        int first = 1;
        buf_append(out, "{", 1);
        json_object_keylen_foreach((json_t *)v, key, key_len, val) {
            if (!first)
                buf_append(out, ",", 1);
            first = 0;
            jsonmp_dump_string(key, key_len, out);
            buf_append(out, ":", 1);
            jsonmp_dump(val, out);
        }
        buf_append(out, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        buf_append(out, "[", 1);
        json_array_foreach(v, i, val) {
            if (i)
                buf_append(out, ",", 1);
            jsonmp_dump(val, out);
        }
        buf_append(out, "]", 1);
        break;
    }
    case JSON_STRING:
        jsonmp_dump_string(json_string_value(v), json_string_length(v), out);
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        buf_append(out, num, (size_t)n);
        break;
    case JSON_REAL:
        n = jsonmp_format_real(json_real_value(v), num);
        buf_append(out, num, (size_t)n);
        break;
    case JSON_TRUE:
        buf_append(out, "true", 4);
        break;
    case JSON_FALSE:
        buf_append(out, "false", 5);
        break;
    case JSON_NULL:
        buf_append(out, "null", 4);
        break;
    }
}

char *jsonmp_dumps(const json_t *v)
{
    buf_t b;
    buf_init(&b);
    jsonmp_dump(v, &b);
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}
