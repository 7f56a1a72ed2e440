/* test_libannals_pack.c: the parts of libannals that need no server: the
 * parameter maps its typed calls pack (filters as a string for one value
 * and an array for several, NULL fields left out, range's paging),
 * annals_map_get, the status names, and the arguments refused with
 * ANNALS_EINVAL on a connection that is not connected. */
#include <string.h>

#include "client/lib/internal.h"
#include "tests/unit/tap.h"

/* Pack with fn into a buffer and unpack it again into *out. */
static void roundtrip(buf_t *b, msgpack_unpacked *out)
{
    msgpack_unpacked_init(out);
    size_t off = 0;
    if (msgpack_unpack_next(out, b->data, b->len, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != b->len)
        ok(0, "the packed bytes are one msgpack object");
}

static int is_str_obj(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void test_filter(void)
{
    buf_t b;
    msgpack_packer pk;
    msgpack_unpacked u;
    annals_filter f;
    const char *one[] = { "MA" };
    const char *two[] = { "Abdellatif Hammouchi", "Rabat, Morocco" };

    memset(&f, 0, sizeof f);
    is_int(annals__filter_size(&f), 0, "an empty filter packs no key");
    is_int(annals__filter_size(NULL), 0, "...nor does NULL");
    f.from = "2024";
    f.mode = "within";
    f.country.v = one;
    f.country.n = 1;
    f.participant.v = two;
    f.participant.n = 2;
    f.q = "\"general assembly\"";
    is_int(annals__filter_size(&f), 5, "from, mode, country, participant, q: 5 keys");
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_map(&pk, annals__filter_size(&f));
    annals__pack_filter(&pk, &f);
    roundtrip(&b, &u);
    const msgpack_object *m = &u.data;
    ok(m->type == MSGPACK_OBJECT_MAP && m->via.map.size == 5, "a map of 5 keys");
    ok(is_str_obj(annals_map_get(m, "from"), "2024"), "from as given");
    ok(annals_map_get(m, "to") == NULL, "no to: NULL is left out");
    ok(is_str_obj(annals_map_get(m, "mode"), "within"), "mode");
    ok(is_str_obj(annals_map_get(m, "country"), "MA"), "one country: a string");
    const msgpack_object *p = annals_map_get(m, "participant");
    ok(p && p->type == MSGPACK_OBJECT_ARRAY && p->via.array.size == 2 &&
       is_str_obj(&p->via.array.ptr[0], "Abdellatif Hammouchi") &&
       is_str_obj(&p->via.array.ptr[1], "Rabat, Morocco"),
       "two participants: an array, commas kept");
    ok(annals_map_get(m, "kind") == NULL, "an empty list is left out");
    ok(is_str_obj(annals_map_get(m, "q"), "\"general assembly\""), "q");
    msgpack_unpacked_destroy(&u);
    buf_release(&b);

    const char *holes[] = { "visit", NULL };
    f.kind.v = holes;
    f.kind.n = 2;
    ok(!annals__filter_valid(&f), "a NULL among the values is invalid");
    f.kind.v = NULL;
    f.kind.n = 1;
    ok(!annals__filter_valid(&f), "so is a count without values");
    f.kind.n = 0;
    ok(annals__filter_valid(&f) && annals__filter_valid(NULL), "and the rest is valid");
}

static void test_query(void)
{
    buf_t b;
    msgpack_packer pk;
    msgpack_unpacked u;
    annals_query q;

    memset(&q, 0, sizeof q);
    buf_init(&b);
    buf_packer_init(&pk, &b);
    annals__pack_query(&pk, &q);
    roundtrip(&b, &u);
    ok(u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size == 0,
       "an empty query is an empty map (the server's defaults)");
    msgpack_unpacked_destroy(&u);

    q.filter.to = "2025-01";
    q.limit = 250;
    q.order = "desc";
    q.cursor = "opaque";
    buf_reset(&b);
    annals__pack_query(&pk, &q);
    roundtrip(&b, &u);
    const msgpack_object *m = &u.data;
    ok(m->via.map.size == 4, "to, limit, order, cursor: 4 keys");
    const msgpack_object *l = annals_map_get(m, "limit");
    ok(l && l->type == MSGPACK_OBJECT_POSITIVE_INTEGER && l->via.u64 == 250, "limit as an integer");
    ok(is_str_obj(annals_map_get(m, "order"), "desc") &&
       is_str_obj(annals_map_get(m, "cursor"), "opaque") &&
       is_str_obj(annals_map_get(m, "to"), "2025-01"), "order, cursor and to as given");
    msgpack_unpacked_destroy(&u);
    buf_release(&b);
}

static void test_map_get(void)
{
    buf_t b;
    msgpack_packer pk;
    msgpack_unpacked u;
    buf_init(&b);
    buf_packer_init(&pk, &b);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_uint8(&pk, 7);          /* a key that is not a string */
    buf_pack_cstr(&pk, "seven");
    buf_pack_cstr(&pk, "seq");
    msgpack_pack_uint64(&pk, UINT64_MAX);
    roundtrip(&b, &u);
    uint64_t v = 0;
    ok(annals_map_get(&u.data, "seven") == NULL, "a key that is not a string is not found");
    ok(annals__uint(&u.data, "seq", &v) == 0 && v == UINT64_MAX, "a uint64 seq is read whole");
    ok(annals__uint(&u.data, "nope", &v) < 0, "a missing key is -1");
    ok(annals_map_get(NULL, "seq") == NULL && annals_map_get(&u.data.via.map.ptr[0].val, "x") == NULL,
       "NULL or a non-map has no keys");
    msgpack_unpacked_destroy(&u);
    buf_release(&b);
}

static void test_statuses_and_arguments(void)
{
    const int all[] = { ANNALS_OK, ANNALS_NOTFOUND, ANNALS_ESERVER, ANNALS_ECONN,
                        ANNALS_ETIMEDOUT, ANNALS_EPROTO, ANNALS_EINVAL, ANNALS_EINTR };
    int distinct = 1;
    for (size_t i = 0; i < 8; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(annals_strerror(all[i]), annals_strerror(all[k])) == 0)
                distinct = 0;
    ok(distinct, "every status has its own name");
    is_str(annals_strerror(12345), "unknown status", "an unknown status is said to be one");
    ok(all[1] < -30000 && all[7] < -30000, "statuses lie below errno values");

    annals_conn *c = NULL;
    is_int(annals_new(NULL), ANNALS_EINVAL, "annals_new(NULL)");
    is_int(annals_new(&c), ANNALS_OK, "annals_new");
    is_str(annals_label(c), "", "no label before connecting");
    ok(!annals_alive(c), "not alive before connecting");
    is_int(annals_ping(c), ANNALS_EINVAL, "a call before connecting: EINVAL");
    is_str(annals_errmsg(c), "not connected", "...not connected");
    ok(annals_error_code(c) == NULL && annals_error(c) == NULL, "...no server error");
    is_int(annals_set_timeout(c, -1), ANNALS_EINVAL, "a negative timeout");
    is_int(annals_connect_unix(c, ""), ANNALS_EINVAL, "an empty socket path");
    is_int(annals_connect_tcp(c, "127.0.0.1", NULL), ANNALS_EINVAL, "no port");
    char longpath[200];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    is_int(annals_connect_unix(c, longpath), ANNALS_ECONN, "a socket path too long");
    ok(strstr(annals_errmsg(c), "too long") != NULL, "...says so: %.60s...", annals_errmsg(c));
    is_int(annals_connect_unix(c, "/tmp/x"), ANNALS_EINVAL, "a connection tries to connect once");
    annals_free(c);
    annals_free(NULL);
    annals_reply_free(NULL);
    is_int(annals_ping(NULL), ANNALS_EINVAL, "a NULL connection: EINVAL");
}

int main(void)
{
    test_filter();
    test_query();
    test_map_get();
    test_statuses_and_arguments();
    return done_testing();
}
