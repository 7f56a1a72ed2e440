/* filter.c: parsing and evaluation of event filters (see filter.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/filter.h"
#include "daemon/params.h"
#include "proto/error.h"
#include "proto/xalloc.h"
#include "proto/utf8.h"

/* Parse a date parameter; *present tells whether it was given. */
static int filter_date(rpc_call *call, const char *name, edtf_date *d, int *present)
{
    const char *s;
    size_t len;
    char msg[256];
    int rc = params_str(call, name, 0, &s, &len);
    *present = 0;
    if (rc || !s)
        return rc;
    if (edtf_parse(s, len, d, msg, sizeof msg) < 0) {
        snprintf(call->err, sizeof call->err, "%s: %s", name, msg);
        return ERROR_BAD_REQUEST;
    }
    *present = 1;
    return 0;
}

typedef int (*filter_check_fn)(const char *field, const char *s, size_t len, char *err, size_t errlen);

static int filter_list_parse(rpc_call *call, const char *name, filter_check_fn check, filter_list *out)
{
    params_list l;
    int rc = params_strings(call, name, &l);
    if (rc)
        return rc;
    for (unsigned i = 0; i < l.n; i++) {
        if ((rc = check(name, l.s[i], l.len[i], call->err, sizeof call->err)))
            return rc;
        out->v[out->n] = xstrndup(l.s[i], l.len[i]);
        out->len[out->n] = l.len[i];
        out->n++;
    }
    return 0;
}

/* participant and place values: words to find in a name (and, for a place,
 * a two-letter value is also a country code). */
static int filter_names_parse(rpc_call *call, filter_t *f, const char *name)
{
    params_list l;
    int is_place = name[1] == 'l';
    int rc = params_strings(call, name, &l);
    if (rc)
        return rc;
    for (unsigned i = 0; i < l.n; i++) {
        terms_seq *seq;
        filter_place *pl = NULL;
        if (l.len[i] < 1 || l.len[i] > FILTER_NAME_MAX) {
            snprintf(call->err, sizeof call->err, "%s: a value must be 1-%d bytes", name, FILTER_NAME_MAX);
            return ERROR_BAD_REQUEST;
        }
        if (is_place) {
            pl = xcalloc(1, sizeof *pl);
            f->places[f->nplaces++] = pl;
            seq = &pl->seq;
            if (l.len[i] == 2 && isalpha((unsigned char)l.s[i][0]) && isalpha((unsigned char)l.s[i][1])) {
                pl->has_code = 1;
                pl->code[0] = (char)toupper((unsigned char)l.s[i][0]);
                pl->code[1] = (char)toupper((unsigned char)l.s[i][1]);
            }
        } else {
            seq = xcalloc(1, sizeof *seq);
            f->participants[f->nparticipants++] = seq;
        }
        int n = terms_seq_parse(l.s[i], l.len[i], seq);
        if (n < 0) {
            snprintf(call->err, sizeof call->err, "%s: at most %d words in a value", name, TERMS_SEQ_WORDS);
            return ERROR_BAD_REQUEST;
        }
        if (n == 0 && !(pl && pl->has_code)) {
            snprintf(call->err, sizeof call->err, "%s: '%.*s' holds no word", name,
                     (int)utf8_prefix(l.s[i], l.len[i], 64), l.s[i]);
            return ERROR_BAD_REQUEST;
        }
    }
    return 0;
}

int filter_parse(rpc_call *call, filter_t *f)
{
    edtf_date from, to;
    int has_from, has_to, rc;
    char msg[256];
    const char *s;
    size_t len;

    memset(f, 0, sizeof *f);
    if ((rc = filter_date(call, "from", &from, &has_from)) ||
        (rc = filter_date(call, "to", &to, &has_to)))
        return rc;
    if (edtf_window(has_from ? &from : NULL, has_to ? &to : NULL, &f->lo, &f->hi, msg, sizeof msg) < 0) {
        snprintf(call->err, sizeof call->err, "%s", msg);
        return ERROR_BAD_REQUEST;
    }
    if ((rc = params_str(call, "mode", 0, &s, &len)))
        return rc;
    if (s && len == 6 && memcmp(s, "within", 6) == 0)
        f->within = 1;
    else if (s && !(len == 7 && memcmp(s, "overlap", 7) == 0)) {
        snprintf(call->err, sizeof call->err, "mode: expected 'overlap' or 'within', got '%.*s'",
                 (int)utf8_prefix(s, len, 32), s);
        return ERROR_BAD_REQUEST;
    }
    if ((rc = filter_list_parse(call, "kind", event_check_token, &f->kinds)) ||
        (rc = filter_list_parse(call, "country", event_check_country, &f->countries)) ||
        (rc = filter_list_parse(call, "tag", event_check_token, &f->tags)) ||
        (rc = filter_list_parse(call, "parent", event_check_id, &f->parents)) ||
        (rc = filter_names_parse(call, f, "participant")) ||
        (rc = filter_names_parse(call, f, "place")))
        return rc;
    if ((rc = params_str(call, "q", 0, &s, &len)))
        return rc;
    if (s) {
        f->q = xmalloc(sizeof *f->q);
        if (terms_query_parse(s, len, f->q, call->err, sizeof call->err) < 0)
            return ERROR_BAD_REQUEST;
    }
    return 0;
}

static void filter_list_release(filter_list *l)
{
    for (unsigned i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

void filter_release(filter_t *f)
{
    filter_list_release(&f->kinds);
    filter_list_release(&f->countries);
    filter_list_release(&f->tags);
    filter_list_release(&f->parents);
    for (unsigned i = 0; i < f->nparticipants; i++)
        free(f->participants[i]);
    for (unsigned i = 0; i < f->nplaces; i++)
        free(f->places[i]);
    f->nparticipants = f->nplaces = 0;
    free(f->q);
    f->q = NULL;
}

int filter_has_fields(const filter_t *f)
{
    return f->kinds.n || f->countries.n || f->tags.n || f->parents.n || f->nparticipants ||
           f->nplaces || f->q;
}

int filter_window(const filter_t *f, const edtf_bounds_t *b)
{
    return f->within ? edtf_within(b, f->lo, f->hi) : edtf_overlaps(b, f->lo, f->hi);
}

static int filter_list_has(const filter_list *l, const char *s, size_t len)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->len[i] == len && memcmp(l->v[i], s, len) == 0)
            return 1;
    return 0;
}

/* Whether some string in the array o is one of l's values. */
static int filter_array_meets(const msgpack_object *o, const filter_list *l)
{
    if (!o || o->type != MSGPACK_OBJECT_ARRAY)
        return 0;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type == MSGPACK_OBJECT_STR && filter_list_has(l, e->via.str.ptr, e->via.str.size))
            return 1;
    }
    return 0;
}

static const msgpack_object *filter_field(const msgpack_object *map, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

int filter_fields(const filter_t *f, const char *body, size_t len, msgpack_unpacked *scratch)
{
    size_t off = 0;
    if (!filter_has_fields(f))
        return 1;
    if (msgpack_unpack_next(scratch, body, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        scratch->data.type != MSGPACK_OBJECT_MAP)
        return 0;
    const msgpack_object *m = &scratch->data;
    if (f->kinds.n) {
        const msgpack_object *k = filter_field(m, "kind");
        if (!k || k->type != MSGPACK_OBJECT_STR || !filter_list_has(&f->kinds, k->via.str.ptr, k->via.str.size))
            return 0;
    }
    if (f->countries.n && !filter_array_meets(filter_field(m, "countries"), &f->countries))
        return 0;
    if (f->tags.n && !filter_array_meets(filter_field(m, "tags"), &f->tags))
        return 0;
    if (f->parents.n) {
        const msgpack_object *p = filter_field(m, "parent");
        if (!p || p->type != MSGPACK_OBJECT_STR || !filter_list_has(&f->parents, p->via.str.ptr, p->via.str.size))
            return 0;
    }
    if (f->nparticipants) {
        unsigned i = 0;
        while (i < f->nparticipants && !terms_match_participant(m, f->participants[i]))
            i++;
        if (i == f->nparticipants)
            return 0;
    }
    if (f->nplaces) {
        unsigned i = 0;
        while (i < f->nplaces && !terms_match_place(m, f->places[i]->has_code ? f->places[i]->code : NULL,
                                                     &f->places[i]->seq))
            i++;
        if (i == f->nplaces)
            return 0;
    }
    if (f->q && !terms_match_query(m, f->q))
        return 0;
    return 1;
}

int filter_record(const filter_t *f, const index_record *rec, msgpack_unpacked *scratch)
{
    return filter_window(f, &rec->bounds) && filter_fields(f, rec->body, rec->body_len, scratch);
}
