/* bench_gen.c: the event generator of bench_gen.h: the event's shape and
 * its dates. The words come from bench_text.c, the names from bench_names.c. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto/buf.h"
#include "tests/bench/bench_gen.h"
#include "tests/bench/bench_names.h"
#include "tests/bench/bench_text.h"

#define BENCH_GEN_MAX_PARTICIPANTS 4

static const char *const bench_kinds[] = { "visit", "meeting", "agreement", "conference", "other" };

/* The outlets of sources; the first, the wire agency relayed, the most. */
static const char *const bench_publishers[] = {
    "أفريكا فور بريس - و.م.ع", "هسبريس", "إرم نيوز", "وكالة المغرب العربي للأنباء", "Le360",
    "Médias24", "الأيام 24", "أش واقع تيفي", "العمق المغربي", "Le Matin",
};

/* Streams of one event (bench_rng_derive's second integer). */
enum { GEN_STREAM_EVENT = 1, GEN_STREAM_UMBRELLA = 2 };

/* One event in this many is an umbrella (a conference other events name as
 * their parent); per mille of the others that have a parent. */
#define GEN_UMBRELLA_EVERY 1000
#define GEN_CHILD_PM 30

typedef struct {
    char start[40];
    char end[40];             /* "" when the event has no end */
} gen_dates;

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms). */
static int32_t gen_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int32_t era = (y >= 0 ? y : y - 399) / 400;
    int32_t yoe = y - era * 400;
    int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void bench_gen_civil(int32_t day, int *y, int *m, int *d)
{
    int32_t z = day + gen_days_from_civil(2000, 1, 1) + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

void bench_gen_day(int32_t day, char *out)
{
    int y, m, d;
    bench_gen_civil(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

static void gen_month(int y, int m, int plus, char *out, size_t len)
{
    int months = y * 12 + (m - 1) + plus;
    snprintf(out, len, "%04d-%02d", months / 12, months % 12 + 1);
}

/* The dates of an ordinary event, per 100 000: mostly one day (16% two to
 * four days); 3% a time of day, 2% a qualifier, 1.5% five to fifteen days;
 * and rarely a month (0.5%), several months (0.1%), a year (0.05%) or
 * several years (0.01%). A random day overlaps about 2 events per 100
 * start days: the long events, few as they are, make a third of that
 * (a year-long event overlaps 365 days), so they are kept rare enough that
 * at 1M events a 1-day window holds some 200 events, not thousands. */
#define GEN_PER 100000
#define GEN_ONE_DAY 76840         /* cumulative thresholds out of GEN_PER */
#define GEN_FEW_DAYS (GEN_ONE_DAY + 16000)
#define GEN_TIME (GEN_FEW_DAYS + 3000)
#define GEN_QUALIFIER (GEN_TIME + 2000)
#define GEN_WEEKS (GEN_QUALIFIER + 1500)
#define GEN_MONTH (GEN_WEEKS + 500)
#define GEN_MONTHS (GEN_MONTH + 100)
#define GEN_YEAR (GEN_MONTHS + 50)
#if GEN_YEAR + 10 != GEN_PER
#error "the shares of gen_dates_draw do not add up to GEN_PER"
#endif

static void gen_dates_draw(bench_rng *r, gen_dates *g)
{
    int32_t day = (int32_t)bench_rng_below(r, BENCH_GEN_DAYS);
    uint32_t x = bench_rng_below(r, GEN_PER);
    int y, m, d;
    bench_gen_civil(day, &y, &m, &d);
    bench_gen_day(day, g->start);
    g->end[0] = '\0';
    if (x < GEN_ONE_DAY) {
        /* one day */
    } else if (x < GEN_FEW_DAYS) {
        bench_gen_day(day + 1 + (int32_t)bench_rng_below(r, 3), g->end);
    } else if (x < GEN_TIME) {
        snprintf(g->start, sizeof g->start, "%04d-%02d-%02dT%02u:%02uZ", y, m, d,
                 7 + bench_rng_below(r, 13), 15 * bench_rng_below(r, 4));
    } else if (x < GEN_QUALIFIER) {
        strcat(g->start, bench_rng_chance(r, 500) ? "~" : "?");
    } else if (x < GEN_WEEKS) {
        bench_gen_day(day + 4 + (int32_t)bench_rng_below(r, 11), g->end);
    } else if (x < GEN_MONTH) {
        gen_month(y, m, 0, g->start, sizeof g->start);
    } else if (x < GEN_MONTHS) {
        gen_month(y, m, 0, g->start, sizeof g->start);
        gen_month(y, m, 1 + (int)bench_rng_below(r, 8), g->end, sizeof g->end);
    } else if (x < GEN_YEAR) {
        snprintf(g->start, sizeof g->start, "%04d%s", y, bench_rng_chance(r, 100) ? "~" : "");
    } else if (bench_rng_chance(r, 500)) {
        snprintf(g->start, sizeof g->start, "%04d", y);
        snprintf(g->end, sizeof g->end, "%04d", y + 1 + (int)bench_rng_below(r, 6));
    } else {
        snprintf(g->end, sizeof g->end, "%04d-%02d-%02d", y + 1 + (int)bench_rng_below(r, 6), m,
                 d > 28 ? 28 : d);
    }
}

/* An umbrella event's first day and length: it depends on (seed, j) only,
 * so its children can find it. */
static void gen_umbrella(uint64_t seed, uint64_t j, int32_t *day, int32_t *days)
{
    bench_rng r;
    bench_rng_derive(&r, seed, j, GEN_STREAM_UMBRELLA);
    *day = (int32_t)bench_rng_below(&r, BENCH_GEN_DAYS - 8);
    *days = 2 + (int32_t)bench_rng_below(&r, 3);
}

static void gen_pack_kv(msgpack_packer *pk, const char *k, const char *v)
{
    buf_pack_cstr(pk, k);
    buf_pack_cstr(pk, v);
}

static void gen_pack_participants(bench_rng *r, msgpack_packer *pk)
{
    uint32_t x = bench_rng_below(r, 100);
    unsigned n = x < 35 ? 1 : x < 70 ? 2 : x < 90 ? 3 : 4;
    uint32_t ids[BENCH_GEN_MAX_PARTICIPANTS];
    for (unsigned i = 0; i < n; i++) {
        int dup;
        do {
            ids[i] = bench_names_person_draw(r);
            dup = 0;
            for (unsigned j = 0; j < i; j++)
                dup |= ids[j] == ids[i];
        } while (dup);
    }
    buf_pack_cstr(pk, "participants");
    msgpack_pack_array(pk, n);
    for (unsigned i = 0; i < n; i++) {
        bench_person p;
        bench_names_person(ids[i], &p);
        msgpack_pack_map(pk, p.alias[0] ? 4 : 3);
        gen_pack_kv(pk, "name", p.name);
        if (p.alias[0]) {
            buf_pack_cstr(pk, "aliases");
            msgpack_pack_array(pk, 1);
            buf_pack_cstr(pk, p.alias);
        }
        gen_pack_kv(pk, "role", p.role);
        gen_pack_kv(pk, "country", p.country);
    }
}

static void gen_pack_tags(bench_rng *r, msgpack_packer *pk)
{
    const char *tags[3];
    unsigned n = 1 + bench_rng_below(r, 3);
    for (unsigned i = 0; i < n; i++) {
        int dup;
        do {
            tags[i] = bench_names_tag_draw(r);
            dup = 0;
            for (unsigned j = 0; j < i; j++)
                dup |= tags[j] == tags[i];
        } while (dup);
    }
    buf_pack_cstr(pk, "tags");
    msgpack_pack_array(pk, n);
    for (unsigned i = 0; i < n; i++)
        buf_pack_cstr(pk, tags[i]);
}

/* One source: a publisher, and the date it published, the event's start
 * without time or qualifier. */
static void gen_pack_source(bench_rng *r, const gen_dates *g, msgpack_packer *pk)
{
    char published[16];
    uint32_t x = bench_rng_below(r, 100);
    size_t n = strcspn(g->start, "T~?%");
    snprintf(published, sizeof published, "%.*s", (int)n, g->start);
    buf_pack_cstr(pk, "sources");
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 2);
    gen_pack_kv(pk, "publisher", bench_publishers[x < 60 ? 0 : x % (sizeof bench_publishers /
                                                                  sizeof bench_publishers[0])]);
    gen_pack_kv(pk, "published", published);
}

/* Pack one event from r; id and parent when not NULL, with the dates g. */
static void gen_event(bench_rng *r, const char *id, unsigned kind, const gen_dates *g,
                      const char *parent, msgpack_packer *pk)
{
    const char *countries[3];
    bench_place place;
    buf_t text;
    unsigned ncountries = bench_names_countries(r, 1 + bench_rng_below(r, 3), countries);
    const char *where = countries[bench_rng_chance(r, 750) ? 0 : bench_rng_below(r, ncountries)];
    int city = !bench_rng_chance(r, 80);

    bench_names_place(r, where, &place);
    msgpack_pack_map(pk, 10 + !!id + !!g->end[0] + !!parent);
    if (id)
        gen_pack_kv(pk, "id", id);
    gen_pack_kv(pk, "kind", bench_kinds[kind]);
    buf_init(&text);
    bench_text_title(r, &text, 55 + bench_rng_below(r, 35), kind);
    buf_pack_cstr(pk, "title");
    buf_pack_str(pk, text.data, text.len);
    buf_reset(&text);
    bench_text_summary(r, &text, 250 + bench_rng_below(r, 200));
    buf_pack_cstr(pk, "summary");
    buf_pack_str(pk, text.data, text.len);
    buf_release(&text);
    gen_pack_kv(pk, "lang", "ar");
    gen_pack_kv(pk, "start", g->start);
    if (g->end[0])
        gen_pack_kv(pk, "end", g->end);
    buf_pack_cstr(pk, "place");
    msgpack_pack_map(pk, 1 + city + !!place.name);
    if (city)
        gen_pack_kv(pk, "city", place.city);
    if (place.name)
        gen_pack_kv(pk, "name", place.name);
    gen_pack_kv(pk, "country", place.country);
    buf_pack_cstr(pk, "countries");
    msgpack_pack_array(pk, ncountries);
    for (unsigned i = 0; i < ncountries; i++)
        buf_pack_cstr(pk, countries[i]);
    gen_pack_participants(r, pk);
    gen_pack_tags(r, pk);
    gen_pack_source(r, g, pk);
    if (parent)
        gen_pack_kv(pk, "parent", parent);
}

static unsigned gen_kind(bench_rng *r)
{
    uint32_t x = bench_rng_below(r, 100);
    return x < 20 ? 0 : x < 60 ? 1 : x < 72 ? 2 : x < 80 ? 3 : 4;
}

void bench_gen_event(bench_rng *r, msgpack_packer *pk)
{
    gen_dates g;
    gen_dates_draw(r, &g);
    gen_event(r, NULL, gen_kind(r), &g, NULL, pk);
}

/* Event i of the set seed; every event gets the id "g<seed>-<i>" when
 * all_ids is set, only the umbrellas otherwise. */
static void gen_event_at(uint64_t seed, uint64_t i, int all_ids, msgpack_packer *pk)
{
    bench_rng r;
    gen_dates g;
    char id[48], parent[48];
    int32_t day, days;
    uint64_t umbrella = i - i % GEN_UMBRELLA_EVERY;

    snprintf(id, sizeof id, "g%" PRIu64 "-%" PRIu64, seed, i);
    bench_rng_derive(&r, seed, i, GEN_STREAM_EVENT);
    if (i == umbrella) {
        gen_umbrella(seed, i, &day, &days);
        bench_gen_day(day, g.start);
        bench_gen_day(day + days - 1, g.end);
        gen_event(&r, id, 3, &g, NULL, pk);
        return;
    }
    if (bench_rng_chance(&r, GEN_CHILD_PM)) {
        /* A meeting held during the conference, on one of its days. */
        gen_umbrella(seed, umbrella, &day, &days);
        bench_gen_day(day + (int32_t)bench_rng_below(&r, (uint32_t)days), g.start);
        g.end[0] = '\0';
        snprintf(parent, sizeof parent, "g%" PRIu64 "-%" PRIu64, seed, umbrella);
        gen_event(&r, all_ids ? id : NULL, gen_kind(&r), &g, parent, pk);
        return;
    }
    gen_dates_draw(&r, &g);
    gen_event(&r, all_ids ? id : NULL, gen_kind(&r), &g, NULL, pk);
}

void bench_gen_event_at(uint64_t seed, uint64_t i, msgpack_packer *pk)
{
    gen_event_at(seed, i, 0, pk);
}

void bench_gen_event_id_at(uint64_t seed, uint64_t i, msgpack_packer *pk)
{
    gen_event_at(seed, i, 1, pk);
}
