/* bench_peer_event.c: the events and requests of the side-by-side benchmark
 * (see bench_peer.h): the set packed once, each event's days, span class
 * and countries as the peers index them, the request streams, and the
 * brute-force answers the replies are checked against. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/edtf.h"
#include "proto/xalloc.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_gen.h"
#include "tests/bench/bench_names.h"
#include "tests/bench/bench_peer.h"

/* The generator's longest events run some seven years: the last class
 * holds them all, and an event beyond it would be missed by the peers'
 * queries, so it aborts the run (peer_event_make). */
const int32_t peer_class_span[PEER_NCLASSES] = { 3, 15, 63, 255, 1023, 4095 };

const char peer_whole_set_only[] = "it loads a whole set of events into a fresh server, "
                                   "their bytes packed (only annals adds to a loaded server)";

const char *const peer_work_names[PEER_NWORKS] = { "GET", "RANGE", "RANGE_F", "COUNT", "PUT" };
const char *const peer_work_what[PEER_NWORKS] = {
    "one event by a random id of the set",
    "every event overlapping a random day (1-day window), in full",
    "the first 100 events overlapping a random 30-day window that have one country",
    "the number of events overlapping a random 365-day window",
    "one new event, acknowledged once durable",
};

/* The stream name of the requests (bench_rng_derive), apart from events'. */
#define PEER_STREAM 0x7065657273ULL
#define PEER_DAY_SECS 86400

/* Days since 1970-01-01 of 2000-01-01, the first start day. */
static int32_t peer_day0(void)
{
    return (int32_t)edtf_days_from_civil(BENCH_GEN_FIRST_YEAR, 1, 1);
}

static int32_t peer_floor_day(edtf_time t)
{
    return (int32_t)(t >= 0 ? t / PEER_DAY_SECS : -((-t + PEER_DAY_SECS - 1) / PEER_DAY_SECS));
}

static const msgpack_object *peer_get(const msgpack_object *map, const char *key)
{
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

static void peer_die(uint64_t i, const char *what)
{
    fprintf(stderr, "bench_peers: event %" PRIu64 ": %s\n", i, what);
    abort();
}

/* Fill the days, class and countries of e from its packed body. */
static void peer_describe(uint64_t i, peer_event *e)
{
    msgpack_unpacked u;
    edtf_date start, end;
    edtf_bounds_t b;
    char err[160];
    const msgpack_object *s, *en, *c;

    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, e->body, e->len, NULL) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP)
        peer_die(i, "the generator packed something else than a map");
    s = peer_get(&u.data, "start");
    en = peer_get(&u.data, "end");
    c = peer_get(&u.data, "countries");
    if (!s || s->type != MSGPACK_OBJECT_STR ||
        edtf_parse(s->via.str.ptr, s->via.str.size, &start, err, sizeof err) < 0)
        peer_die(i, "no valid start");
    if (en && (en->type != MSGPACK_OBJECT_STR ||
               edtf_parse(en->via.str.ptr, en->via.str.size, &end, err, sizeof err) < 0))
        peer_die(i, "an invalid end");
    if (edtf_bounds(&start, en ? &end : NULL, &b, err, sizeof err) < 0)
        peer_die(i, err);
    e->start_day = peer_floor_day(b.start_lo);
    e->end_day = peer_floor_day(b.end_hi);
    e->span_class = 0;
    while (e->end_day - e->start_day > peer_class_span[e->span_class])
        if (++e->span_class == PEER_NCLASSES)
            peer_die(i, "it spans more days than the last span class");
    e->ncountries = 0;
    if (c && c->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t k = 0; k < c->via.array.size && e->ncountries < PEER_MAX_COUNTRIES; k++) {
            const msgpack_object *v = &c->via.array.ptr[k];
            if (v->type == MSGPACK_OBJECT_STR && v->via.str.size == 2) {
                memcpy(e->countries[e->ncountries], v->via.str.ptr, 2);
                e->countries[e->ncountries++][2] = '\0';
            }
        }
    msgpack_unpacked_destroy(&u);
}

void peer_event_make(uint64_t seed, uint64_t i, buf_t *body, peer_event *e)
{
    msgpack_packer pk;
    buf_reset(body);
    buf_packer_init(&pk, body);
    bench_gen_event_id_at(seed, i, &pk);
    snprintf(e->id, sizeof e->id, "g%" PRIu64 "-%" PRIu64, seed, i);
    e->body = body->data;
    e->len = (uint32_t)body->len;
    peer_describe(i, e);
}

typedef struct {
    peer_set *s;
    uint64_t from, to;
    unsigned index;           /* of its arena */
} peer_pack_job;

/* Pack events [from, to) into one arena of their own; the events point
 * into it once it has stopped growing. Without bodies, keep none. */
static void *peer_pack_main(void *arg)
{
    peer_pack_job *j = arg;
    peer_set *s = j->s;
    buf_t arena, one;
    size_t *off = s->bodies ? xmalloc((size_t)(j->to - j->from + 1) * sizeof *off) : NULL;
    buf_init(&arena);
    buf_init(&one);
    for (uint64_t i = j->from; i < j->to && !atomic_load(&bench_interrupted); i++) {
        peer_event *e = &s->ev[i];
        peer_event_make(s->seed, i, &one, e);
        e->body = NULL;
        if (off) {
            off[i - j->from] = arena.len;
            buf_append(&arena, one.data, one.len);
        }
    }
    if (off) {
        for (uint64_t i = j->from; i < j->to; i++)
            s->ev[i].body = arena.data + off[i - j->from];
        s->arenas[j->index] = buf_take(&arena, &(size_t){ 0 });
    }
    buf_release(&arena);
    buf_release(&one);
    free(off);
    return NULL;
}

void peer_set_init(peer_set *s, uint64_t seed, int bodies)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->bodies = bodies;
}

int peer_set_grow(peer_set *s, uint64_t n, unsigned threads)
{
    pthread_t th[16];
    peer_pack_job jobs[16];
    uint64_t from = s->n;
    if (n <= from)
        return 0;
    if (threads < 1)
        threads = 1;
    if (threads > 16)
        threads = 16;
    s->ev = xrealloc(s->ev, n * sizeof *s->ev);
    memset(s->ev + from, 0, (n - from) * sizeof *s->ev);
    s->arenas = xrealloc(s->arenas, (s->narenas + threads) * sizeof *s->arenas);
    memset(s->arenas + s->narenas, 0, threads * sizeof *s->arenas);
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (peer_pack_job){ s, from + (n - from) * t / threads,
                                   from + (n - from) * (t + 1) / threads, s->narenas + t };
        if (pthread_create(&th[t], NULL, peer_pack_main, &jobs[t]) != 0) {
            fprintf(stderr, "bench_peers: cannot start a thread\n");
            abort();
        }
    }
    for (unsigned t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    s->narenas += threads;
    s->n = n;
    for (uint64_t i = from; i < n; i++)
        s->bytes += s->ev[i].len;
    return atomic_load(&bench_interrupted) ? -1 : 0;
}

int peer_set_make(peer_set *s, uint64_t seed, uint64_t n, unsigned threads)
{
    peer_set_init(s, seed, 1);
    return peer_set_grow(s, n, threads);
}

void peer_set_release(peer_set *s)
{
    for (unsigned t = 0; t < s->narenas; t++)
        free(s->arenas[t]);
    free(s->arenas);
    free(s->ev);
    memset(s, 0, sizeof *s);
}

void peer_draw_init(peer_draw *d, const peer_set *set, peer_work work, unsigned conn,
                    uint64_t put_from)
{
    memset(d, 0, sizeof *d);
    bench_rng_derive(&d->rng, set->seed ^ PEER_STREAM, work, conn);
    d->set = set;
    d->work = work;
    d->next_put = put_from;
    buf_init(&d->body);
}

void peer_draw_release(peer_draw *d)
{
    buf_release(&d->body);
}

void peer_draw_next(peer_draw *d, peer_req *r)
{
    memset(r, 0, sizeof *r);
    r->work = d->work;
    switch (d->work) {
    case PEER_GET:
        snprintf(r->id, sizeof r->id, "g%" PRIu64 "-%" PRIu32, d->set->seed,
                 bench_rng_below(&d->rng, (uint32_t)d->set->n));
        break;
    case PEER_RANGE:
        r->lo = r->hi = peer_day0() + (int32_t)bench_rng_below(&d->rng, BENCH_GEN_DAYS);
        break;
    case PEER_RANGE_F:
        r->lo = peer_day0() + (int32_t)bench_rng_below(&d->rng, BENCH_GEN_DAYS - 29);
        r->hi = r->lo + 29;
        memcpy(r->country, bench_names_country_draw(&d->rng), 2);
        r->limit = PEER_RANGE_F_LIMIT;
        break;
    case PEER_COUNT:
        r->lo = peer_day0() + (int32_t)bench_rng_below(&d->rng, BENCH_GEN_DAYS - 364);
        r->hi = r->lo + 364;
        break;
    case PEER_PUT:
        peer_event_make(d->set->seed, d->next_put++, &d->body, &d->put);
        r->event = &d->put;
        break;
    case PEER_NWORKS:
        break;
    }
}

void peer_req_count_all(peer_req *r)
{
    memset(r, 0, sizeof *r);
    r->work = PEER_COUNT;
    r->lo = (int32_t)edtf_days_from_civil(1900, 1, 1);
    r->hi = (int32_t)edtf_days_from_civil(2099, 12, 31);
    r->all = 1;
}

int peer_answers(const peer_driver *d, peer_work w)
{
    return !(d->lacks & (1u << w));
}

static int peer_has_country(const peer_event *e, const char *c)
{
    for (unsigned k = 0; k < e->ncountries; k++)
        if (memcmp(e->countries[k], c, 2) == 0)
            return 1;
    return 0;
}

uint64_t peer_expect(const peer_set *s, const peer_req *r)
{
    uint64_t n = 0;
    if (r->work == PEER_GET || r->work == PEER_PUT)
        return 1;
    for (uint64_t i = 0; i < s->n; i++) {
        const peer_event *e = &s->ev[i];
        if (e->start_day <= r->hi && e->end_day >= r->lo &&
            (r->work != PEER_RANGE_F || peer_has_country(e, r->country)))
            n++;
    }
    return r->limit && n > r->limit ? r->limit : n;
}

int peer_decode(msgpack_unpacked *u, const char *body, size_t len)
{
    size_t off = 0;
    if (msgpack_unpack_next(u, body, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        u->data.type != MSGPACK_OBJECT_MAP || off != len)
        return -1;
    return 0;
}
