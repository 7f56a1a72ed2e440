/* pack.c: the parameter maps of libannals's typed methods: the window and
 * filters every selecting method shares (PROTOCOL.md section 6, Filters)
 * and range's paging. Pure functions over a packer, so that a test can
 * check the bytes without a server. */
#include <string.h>

#include "client/lib/internal.h"

/* The list filters, in the order they are packed. */
#define ANNALS__LISTS(f) \
    { "kind", &(f)->kind }, { "country", &(f)->country }, { "tag", &(f)->tag }, \
    { "participant", &(f)->participant }, { "place", &(f)->place }, \
    { "parent", &(f)->parent }

typedef struct {
    const char *key;
    const annals_values *values;
} annals__list;

size_t annals__filter_size(const annals_filter *f)
{
    if (!f)
        return 0;
    const annals__list lists[] = { ANNALS__LISTS(f) };
    size_t n = (f->from != NULL) + (f->to != NULL) + (f->mode != NULL) + (f->q != NULL);
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        n += lists[i].values->n > 0;
    return n;
}

void annals__pack_kv_str(msgpack_packer *pk, const char *key, const char *value)
{
    buf_pack_cstr(pk, key);
    buf_pack_cstr(pk, value);
}

void annals__pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t value)
{
    buf_pack_cstr(pk, key);
    msgpack_pack_uint64(pk, value);
}

void annals__pack_filter(msgpack_packer *pk, const annals_filter *f)
{
    if (!f)
        return;
    const annals__list lists[] = { ANNALS__LISTS(f) };
    if (f->from)
        annals__pack_kv_str(pk, "from", f->from);
    if (f->to)
        annals__pack_kv_str(pk, "to", f->to);
    if (f->mode)
        annals__pack_kv_str(pk, "mode", f->mode);
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const annals_values *v = lists[i].values;
        if (v->n == 0)
            continue;
        buf_pack_cstr(pk, lists[i].key);
        /* One value as a string, as the annals client has always sent it;
         * several as an array: any of them matches. */
        if (v->n == 1) {
            buf_pack_cstr(pk, v->v[0]);
            continue;
        }
        msgpack_pack_array(pk, v->n);
        for (size_t k = 0; k < v->n; k++)
            buf_pack_cstr(pk, v->v[k]);
    }
    if (f->q)
        annals__pack_kv_str(pk, "q", f->q);
}

void annals__pack_query(msgpack_packer *pk, const annals_query *q)
{
    msgpack_pack_map(pk, annals__filter_size(&q->filter) + (q->limit > 0) +
                         (q->order != NULL) + (q->cursor != NULL));
    annals__pack_filter(pk, &q->filter);
    if (q->limit)
        annals__pack_kv_uint(pk, "limit", q->limit);
    if (q->order)
        annals__pack_kv_str(pk, "order", q->order);
    if (q->cursor)
        annals__pack_kv_str(pk, "cursor", q->cursor);
}

int annals__reserved_zero(const void *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (words[i])
            return 0;
    return 1;
}

int annals__filter_valid(const annals_filter *f)
{
    if (!f)
        return 1;
    if (!annals__reserved_zero(f->reserved_, ANNALS_RESERVED_WORDS))
        return 0;
    const annals__list lists[] = { ANNALS__LISTS(f) };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        const annals_values *v = lists[i].values;
        if (v->n && !v->v)
            return 0;
        for (size_t k = 0; k < v->n; k++)
            if (!v->v[k])
                return 0;
    }
    return 1;
}
