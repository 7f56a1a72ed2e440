/* bench_qwork.c: the query workloads (see bench_qwork.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto/buf.h"
#include "tests/bench/bench_conn.h"
#include "tests/bench/bench_gen.h"
#include "tests/bench/bench_names.h"
#include "tests/bench/bench_qwork.h"
#include "tests/bench/bench_text.h"

#define QW_LIMIT 100
#define QW_TOP_LIMIT 10       /* top's default limit */
#define QW_HIST_MONTHS 24

static const char *const qw_kinds[] = { "visit", "meeting", "agreement", "conference", "other" };

static void qw_kv(msgpack_packer *pk, const char *k, const char *v)
{
    buf_pack_cstr(pk, k);
    buf_pack_cstr(pk, v);
}

/* params: [{...}] with n entries; the caller packs them. */
static void qw_begin(msgpack_packer *pk, uint32_t n)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, n);
}

/* from and to of a window of days days, starting on a day of 2000-2026. */
static void qw_days(bench_rng *r, msgpack_packer *pk, int32_t days)
{
    char from[16], to[16];
    int32_t d = (int32_t)bench_rng_below(r, BENCH_GEN_DAYS - (uint32_t)days + 1);
    bench_gen_day(d, from);
    bench_gen_day(d + days - 1, to);
    qw_kv(pk, "from", from);
    qw_kv(pk, "to", to);
}

/* from and to of QW_HIST_MONTHS whole months, "YYYY-MM". */
static void qw_months(bench_rng *r, msgpack_packer *pk)
{
    uint32_t total = (BENCH_GEN_LAST_YEAR - BENCH_GEN_FIRST_YEAR + 1) * 12;
    uint32_t m = bench_rng_below(r, total - QW_HIST_MONTHS + 1);
    uint32_t e = m + QW_HIST_MONTHS - 1;
    char from[16], to[16];
    snprintf(from, sizeof from, "%04u-%02u", BENCH_GEN_FIRST_YEAR + m / 12, m % 12 + 1);
    snprintf(to, sizeof to, "%04u-%02u", BENCH_GEN_FIRST_YEAR + e / 12, e % 12 + 1);
    qw_kv(pk, "from", from);
    qw_kv(pk, "to", to);
}

static void qw_limit(msgpack_packer *pk)
{
    buf_pack_cstr(pk, "limit");
    msgpack_pack_uint32(pk, QW_LIMIT);
}

/* ---- parameters ---- */

static void qw_range_f(bench_rng *r, msgpack_packer *pk)
{
    qw_begin(pk, 4);
    qw_days(r, pk, 30);
    qw_kv(pk, "country", bench_names_country_draw(r));
    qw_limit(pk);
}

static void qw_range_p(bench_rng *r, msgpack_packer *pk)
{
    char who[160];
    qw_begin(pk, 4);
    qw_days(r, pk, 365);
    bench_names_participant_query(r, who, sizeof who);
    qw_kv(pk, "participant", who);
    qw_limit(pk);
}

static void qw_hist(bench_rng *r, msgpack_packer *pk)
{
    qw_begin(pk, 3);
    qw_months(r, pk);
    qw_kv(pk, "bucket", "month");
}

static void qw_hist_kind(bench_rng *r, msgpack_packer *pk)
{
    qw_begin(pk, 4);
    qw_months(r, pk);
    qw_kv(pk, "bucket", "month");
    qw_kv(pk, "kind", qw_kinds[bench_rng_below(r, 5)]);
}

static void qw_top_country(bench_rng *r, msgpack_packer *pk)
{
    qw_begin(pk, 3);
    qw_days(r, pk, 365);
    qw_kv(pk, "field", "country");
}

static void qw_top_part(bench_rng *r, msgpack_packer *pk)
{
    qw_begin(pk, 3);
    qw_days(r, pk, 365);
    qw_kv(pk, "field", "participant");
}

static void qw_search(bench_rng *r, msgpack_packer *pk, const char *q)
{
    qw_begin(pk, 4);
    qw_days(r, pk, 365);
    qw_kv(pk, "q", q);
    qw_limit(pk);
}

static void qw_search_1w(bench_rng *r, msgpack_packer *pk)
{
    qw_search(r, pk, bench_text_common_word(r));
}

static void qw_search_2w(bench_rng *r, msgpack_packer *pk)
{
    char q[256];
    const char *a = bench_text_common_word(r);
    snprintf(q, sizeof q, "%s %s", a, bench_text_mid_word(r));
    qw_search(r, pk, q);
}

static void qw_search_phrase(bench_rng *r, msgpack_packer *pk)
{
    char q[256];
    snprintf(q, sizeof q, "\"%s\"", bench_text_phrase(r));
    qw_search(r, pk, q);
}

static void qw_count_f(bench_rng *r, msgpack_packer *pk)
{
    char year[8];
    snprintf(year, sizeof year, "%04u",
             BENCH_GEN_FIRST_YEAR + bench_rng_below(r, BENCH_GEN_LAST_YEAR - BENCH_GEN_FIRST_YEAR + 1));
    qw_begin(pk, 3);
    qw_kv(pk, "from", year);
    qw_kv(pk, "to", year);
    qw_kv(pk, "country", bench_names_country_draw(r));
}

/* ---- checks ---- */

static int qw_bad(const char *expected, const msgpack_object *res, char *err, size_t errlen)
{
    char d[240];
    bench_describe(res, d, sizeof d);
    snprintf(err, errlen, "expected %s, got %s", expected, d);
    return -1;
}

static int qw_is_uint(const msgpack_object *o)
{
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
}

/* [string, count] */
static int qw_is_pair(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 2 &&
           o->via.array.ptr[0].type == MSGPACK_OBJECT_STR && qw_is_uint(&o->via.array.ptr[1]);
}

static int qw_check_range(const msgpack_object *res, uint64_t *hits, char *err, size_t errlen)
{
    const msgpack_object *ev = bench_map_get(res, "events"), *next = bench_map_get(res, "next");
    if (!ev || ev->type != MSGPACK_OBJECT_ARRAY || ev->via.array.size > QW_LIMIT || !next ||
        (next->type != MSGPACK_OBJECT_NIL && next->type != MSGPACK_OBJECT_STR))
        return qw_bad("{events: [at most 100], next}", res, err, errlen);
    *hits = ev->via.array.size;
    return 0;
}

static int qw_check_count(const msgpack_object *res, uint64_t *hits, char *err, size_t errlen)
{
    if (bench_map_uint(res, "count", hits) < 0)
        return qw_bad("{count}", res, err, errlen);
    return 0;
}

/* Every month of the window present, and the counts adding up to total
 * (without spread each event is counted once). */
static int qw_check_hist(const msgpack_object *res, uint64_t *hits, char *err, size_t errlen)
{
    const msgpack_object *b = bench_map_get(res, "buckets");
    uint64_t sum = 0;
    if (!b || b->type != MSGPACK_OBJECT_ARRAY || b->via.array.size != QW_HIST_MONTHS ||
        bench_map_uint(res, "total", hits) < 0)
        return qw_bad("{buckets: [24 months], total}", res, err, errlen);
    for (uint32_t i = 0; i < b->via.array.size; i++) {
        if (!qw_is_pair(&b->via.array.ptr[i]))
            return qw_bad("buckets of [start, count]", res, err, errlen);
        sum += b->via.array.ptr[i].via.array.ptr[1].via.u64;
    }
    if (sum != *hits) {
        snprintf(err, errlen, "the buckets add up to %" PRIu64 ", not to total %" PRIu64, sum, *hits);
        return -1;
    }
    return 0;
}

/* At most limit values, highest count first. */
static int qw_check_top(const msgpack_object *res, uint64_t *hits, char *err, size_t errlen)
{
    const msgpack_object *t = bench_map_get(res, "top");
    if (!t || t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size > QW_TOP_LIMIT ||
        bench_map_uint(res, "total", hits) < 0)
        return qw_bad("{top: [at most 10], total}", res, err, errlen);
    for (uint32_t i = 0; i < t->via.array.size; i++) {
        const msgpack_object *e = &t->via.array.ptr[i];
        if (!qw_is_pair(e))
            return qw_bad("top entries of [value, count]", res, err, errlen);
        if (i && e->via.array.ptr[1].via.u64 > t->via.array.ptr[i - 1].via.array.ptr[1].via.u64)
            return qw_bad("top sorted by count, highest first", res, err, errlen);
    }
    return 0;
}

const bench_qwork bench_qworks[] = {
    { "range_f", "range: a 30-day window, one country, limit 100", "range",
      qw_range_f, qw_check_range, "events per page" },
    { "range_p", "range: a participant (full name, family name or Arabic alias), "
      "a 1-year window, limit 100", "range", qw_range_p, qw_check_range, "events per page" },
    { "hist", "histogram: a 2-year window, bucket month, no filter", "histogram",
      qw_hist, qw_check_hist, "total" },
    { "hist_kind", "histogram: a 2-year window, bucket month, one kind", "histogram",
      qw_hist_kind, qw_check_hist, "total" },
    { "top_country", "top: field country, a 1-year window", "top",
      qw_top_country, qw_check_top, "total" },
    { "top_part", "top: field participant, a 1-year window", "top",
      qw_top_part, qw_check_top, "total" },
    { "search_1w", "range, q: one common Arabic word, a 1-year window, limit 100", "range",
      qw_search_1w, qw_check_range, "events per page" },
    { "search_2w", "range, q: a common and a middling word, a 1-year window, limit 100", "range",
      qw_search_2w, qw_check_range, "events per page" },
    { "search_phr", "range, q: a quoted set phrase, a 1-year window, limit 100", "range",
      qw_search_phrase, qw_check_range, "events per page" },
    { "count_f", "count: a calendar year, one country", "count",
      qw_count_f, qw_check_count, "count" },
};
const unsigned bench_nqworks = sizeof bench_qworks / sizeof bench_qworks[0];

const bench_qwork *bench_qwork_find(const char *name, size_t len)
{
    for (unsigned i = 0; i < bench_nqworks; i++)
        if (strlen(bench_qworks[i].name) == len && memcmp(bench_qworks[i].name, name, len) == 0)
            return &bench_qworks[i];
    return NULL;
}
