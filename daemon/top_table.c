/* top_table.c: see top_table.h. */
#include <stdlib.h>
#include <string.h>

#include "daemon/top_table.h"
#include "proto/xalloc.h"

void top_table_init(top_table *t)
{
    memset(t, 0, sizeof *t);
}

void top_table_release(top_table *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        free(t->e[i].key);
        free(t->e[i].shown);
    }
    free(t->e);
    memset(t, 0, sizeof *t);
}

static uint64_t top_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static top_entry *top_slot(top_entry *e, size_t cap, const char *key, size_t klen)
{
    size_t i = (size_t)top_hash(key, klen) & (cap - 1);
    while (e[i].key && !(e[i].klen == klen && memcmp(e[i].key, key, klen) == 0))
        i = (i + 1) & (cap - 1);
    return &e[i];
}

static void top_grow(top_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    top_entry *e = xcalloc(cap, sizeof *e);
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].key)
            *top_slot(e, cap, t->e[i].key, t->e[i].klen) = t->e[i];
    free(t->e);
    t->e = e;
    t->cap = cap;
}

static top_entry *top_find(top_table *t, const char *key, size_t klen, const char *shown, size_t slen)
{
    if ((t->n + 1) * 10 > t->cap * 7)
        top_grow(t);
    top_entry *e = top_slot(t->e, t->cap, key, klen);
    if (!e->key) {
        e->key = xmalloc(klen + 1);
        memcpy(e->key, key, klen);
        e->klen = klen;
        e->shown = xmalloc(slen + 1);
        memcpy(e->shown, shown, slen);
        e->slen = slen;
        t->n++;
    }
    return e;
}

void top_table_add(top_table *t, const char *key, size_t klen, const char *shown, size_t slen,
                   uint64_t event)
{
    top_entry *e = top_find(t, key, klen, shown, slen);
    if (e->last_event != event) {
        e->last_event = event;
        e->count++;
    }
}

void top_table_set(top_table *t, const char *key, size_t klen, uint64_t count)
{
    top_find(t, key, klen, key, klen)->count = count;
}

static int top_cmp(const void *a, const void *b)
{
    const top_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    size_t n = x->slen < y->slen ? x->slen : y->slen;
    int c = memcmp(x->shown, y->shown, n);
    if (c)
        return c;
    return x->slen < y->slen ? -1 : x->slen > y->slen;
}

size_t top_table_sort(top_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].key)
            t->e[n++] = t->e[i];
    for (size_t i = n; i < t->cap; i++)
        memset(&t->e[i], 0, sizeof t->e[i]);
    if (n > 1)
        qsort(t->e, n, sizeof *t->e, top_cmp);
    return n;
}

const top_entry *top_table_at(const top_table *t, size_t i)
{
    return &t->e[i];
}
