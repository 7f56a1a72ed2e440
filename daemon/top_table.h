/* top_table.h: the counter table of the top method: values grouped by a key,
 * each counted at most once per event, then sorted by count. */
#ifndef ANNALS_TOP_TABLE_H
#define ANNALS_TOP_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *key;          /* owned: what groups values (a normalised name) */
    size_t klen;
    char *shown;        /* owned: the first spelling seen */
    size_t slen;
    uint64_t count;
    uint64_t last_event;
} top_entry;

typedef struct {
    top_entry *e;       /* open addressing; after top_table_sort, sorted and packed */
    size_t cap, n;
} top_table;

void top_table_init(top_table *t);
void top_table_release(top_table *t);

/* top_table_add: count event (a serial > 0) for key, unless it was already
 * counted for it; shown is kept from the first call for key. */
void top_table_add(top_table *t, const char *key, size_t klen, const char *shown, size_t slen,
                   uint64_t event);

/* top_table_set: a key (shown as itself) with its count. */
void top_table_set(top_table *t, const char *key, size_t klen, uint64_t count);

/* top_table_sort: sort by count, highest first, then by shown value
 * bytewise; returns the number of entries. No adds after it. */
size_t top_table_sort(top_table *t);
const top_entry *top_table_at(const top_table *t, size_t i);

#endif
