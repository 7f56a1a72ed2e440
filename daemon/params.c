/* params.c: typed access to named parameters (see params.h). */
#include <stdio.h>
#include <string.h>

#include "daemon/params.h"
#include "proto/error.h"
#include "proto/utf8.h"

const msgpack_object *params_get(rpc_call *call, const char *name)
{
    if (!call->params)
        return NULL;
    size_t n = strlen(name);
    const msgpack_object_map *m = &call->params->via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, name, n) == 0)
            return m->ptr[i].val.type == MSGPACK_OBJECT_NIL ? NULL : &m->ptr[i].val;
    }
    return NULL;
}

static int params_check_text(rpc_call *call, const char *name, const char *s, size_t len)
{
    size_t bad;
    if (!utf8_valid(s, len, &bad)) {
        snprintf(call->err, sizeof call->err, "%s: invalid UTF-8 at byte %zu", name, bad);
        return ERROR_BAD_REQUEST;
    }
    return 0;
}

int params_str(rpc_call *call, const char *name, int required, const char **s, size_t *len)
{
    const msgpack_object *o = params_get(call, name);
    *s = NULL;
    *len = 0;
    if (!o) {
        if (!required)
            return 0;
        snprintf(call->err, sizeof call->err, "%s: required", name);
        return ERROR_BAD_REQUEST;
    }
    if (o->type != MSGPACK_OBJECT_STR) {
        snprintf(call->err, sizeof call->err, "%s: expected a string, got %s", name, event_type_name(o));
        return ERROR_BAD_REQUEST;
    }
    *s = o->via.str.ptr;
    *len = o->via.str.size;
    return params_check_text(call, name, *s, *len);
}

int params_uint(rpc_call *call, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
    const msgpack_object *o = params_get(call, name);
    if (!o)
        return 0;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER && o->type != MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        snprintf(call->err, sizeof call->err, "%s: expected an integer, got %s", name, event_type_name(o));
        return ERROR_BAD_REQUEST;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER || o->via.u64 < min || o->via.u64 > max) {
        snprintf(call->err, sizeof call->err, "%s: must be between %llu and %llu", name,
                 (unsigned long long)min, (unsigned long long)max);
        return ERROR_BAD_REQUEST;
    }
    *out = o->via.u64;
    return 0;
}

int params_strings(rpc_call *call, const char *name, params_list *out)
{
    const msgpack_object *o = params_get(call, name);
    out->n = 0;
    if (!o)
        return 0;
    if (o->type == MSGPACK_OBJECT_STR) {
        out->s[0] = o->via.str.ptr;
        out->len[0] = o->via.str.size;
        out->n = 1;
        return params_check_text(call, name, out->s[0], out->len[0]);
    }
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(call->err, sizeof call->err, "%s: expected a string or an array of strings, got %s",
                 name, event_type_name(o));
        return ERROR_BAD_REQUEST;
    }
    if (o->via.array.size > PARAMS_LIST_MAX) {
        snprintf(call->err, sizeof call->err, "%s: at most %d values", name, PARAMS_LIST_MAX);
        return ERROR_BAD_REQUEST;
    }
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_STR) {
            snprintf(call->err, sizeof call->err, "%s[%u]: expected a string, got %s",
                     name, i, event_type_name(e));
            return ERROR_BAD_REQUEST;
        }
        out->s[out->n] = e->via.str.ptr;
        out->len[out->n] = e->via.str.size;
        out->n++;
        if (params_check_text(call, name, e->via.str.ptr, e->via.str.size))
            return ERROR_BAD_REQUEST;
    }
    return 0;
}

int params_bool(rpc_call *call, const char *name, int *out)
{
    const msgpack_object *o = params_get(call, name);
    if (!o)
        return 0;
    if (o->type != MSGPACK_OBJECT_BOOLEAN) {
        snprintf(call->err, sizeof call->err, "%s: expected true or false, got %s", name, event_type_name(o));
        return ERROR_BAD_REQUEST;
    }
    *out = o->via.boolean;
    return 0;
}
