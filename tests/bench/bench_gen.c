/* bench_gen.c: the event generator of bench_gen.h. Titles and summaries are
 * drawn from a small vocabulary of diplomatic Arabic, so their sizes and
 * their UTF-8 (two bytes a letter) are those of real records. */
#include <stdio.h>
#include <string.h>

#include "proto/buf.h"
#include "tests/bench/bench_gen.h"

#define BENCH_TITLE_BYTES 70
#define BENCH_SUMMARY_BYTES 350

static const char *const bench_words[] = {
    "وزير", "الخارجية", "يستقبل", "نظيره", "في", "الرباط", "لبحث", "التعاون",
    "الثنائي", "بين", "البلدين", "اجتماع", "القمة", "العربية", "اتفاقية",
    "تعاون", "اقتصادي", "مؤتمر", "دولي", "حول", "الأمن", "الغذائي", "زيارة",
    "رسمية", "رئيس", "الحكومة", "المغربية", "الجزائر", "تونس", "القاهرة",
    "الرياض", "الدوحة", "توقيع", "مذكرة", "تفاهم", "مجال", "الطاقة",
    "المتجددة", "والتنمية", "المستدامة", "الاتحاد", "الأفريقي", "مجلس",
    "الخليجي", "الأمم", "المتحدة", "وفد", "برلماني", "محادثات",
    "مع", "الجانب", "الأوروبي", "الهجرة", "والاستثمار", "والتجارة",
    "الحرة", "الملك", "يترأس", "جلسة", "عمل", "مخصصة", "لتقديم", "البرنامج",
    "الوطني", "للماء", "الشرب", "والسقي",
};
#define BENCH_NWORDS (sizeof bench_words / sizeof bench_words[0])

static const char *const bench_kinds[] = { "visit", "meeting", "agreement", "conference", "other" };
static const char *const bench_countries[] = {
    "MA", "DZ", "TN", "EG", "SA", "QA", "AE", "FR", "ES", "US", "CN", "RU", "TR", "SN", "NG", "DE",
};
static const char *const bench_cities[] = {
    "الرباط", "الدار البيضاء", "الجزائر", "تونس", "القاهرة", "الرياض", "الدوحة", "باريس",
};
static const char *const bench_tags[] = {
    "diplomacy", "trade", "energy", "water", "security", "migration", "investment",
    "agriculture", "health", "education", "climate", "fisheries",
};

/* Append random words to b until it holds about target bytes; a sentence
 * ends every eight to fourteen words when sentences is set. */
static void bench_gen_text(bench_rng *r, buf_t *b, size_t target, int sentences)
{
    unsigned in_sentence = 0, sentence_len = 8 + bench_rng_below(r, 7);
    for (;;) {
        const char *w = bench_words[bench_rng_below(r, BENCH_NWORDS)];
        size_t wl = strlen(w);
        if (b->len + 1 + wl + 1 > target + 8)
            break;
        if (b->len)
            buf_append(b, " ", 1);
        buf_append(b, w, wl);
        if (sentences && ++in_sentence == sentence_len) {
            buf_append(b, ".", 1);
            in_sentence = 0;
            sentence_len = 8 + bench_rng_below(r, 7);
        }
        if (b->len >= target - 4)
            break;
    }
    if (sentences && in_sentence)
        buf_append(b, ".", 1);
}

/* Pack k distinct entries of list (k <= n). */
static void bench_gen_set(bench_rng *r, msgpack_packer *pk, const char *const *list, uint32_t n,
                          uint32_t k)
{
    uint32_t picked[8];
    msgpack_pack_array(pk, k);
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v;
        int again;
        do {
            v = bench_rng_below(r, n);
            again = 0;
            for (uint32_t j = 0; j < i; j++)
                again |= picked[j] == v;
        } while (again);
        picked[i] = v;
        buf_pack_cstr(pk, list[v]);
    }
}

void bench_gen_event(bench_rng *r, msgpack_packer *pk)
{
    static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    buf_t text;
    char date[16];
    unsigned year = 2000 + bench_rng_below(r, 27), month = 1 + bench_rng_below(r, 12);
    unsigned day = 1 + bench_rng_below(r, mdays[month - 1]);
    snprintf(date, sizeof date, "%04u-%02u-%02u", year, month, day);
    uint32_t ncountries = 1 + bench_rng_below(r, 3);
    uint32_t ntags = 1 + bench_rng_below(r, 3);
    uint32_t ncountry_list = sizeof bench_countries / sizeof bench_countries[0];

    buf_init(&text);
    msgpack_pack_map(pk, 8);
    buf_pack_cstr(pk, "kind");
    buf_pack_cstr(pk, bench_kinds[bench_rng_below(r, 5)]);
    buf_pack_cstr(pk, "title");
    bench_gen_text(r, &text, BENCH_TITLE_BYTES, 0);
    buf_pack_str(pk, text.data, text.len);
    buf_pack_cstr(pk, "summary");
    buf_reset(&text);
    bench_gen_text(r, &text, BENCH_SUMMARY_BYTES, 1);
    buf_pack_str(pk, text.data, text.len);
    buf_pack_cstr(pk, "lang");
    buf_pack_cstr(pk, "ar");
    buf_pack_cstr(pk, "start");
    buf_pack_cstr(pk, date);
    buf_pack_cstr(pk, "place");
    msgpack_pack_map(pk, 2);
    buf_pack_cstr(pk, "city");
    buf_pack_cstr(pk, bench_cities[bench_rng_below(r, sizeof bench_cities / sizeof bench_cities[0])]);
    buf_pack_cstr(pk, "country");
    buf_pack_cstr(pk, bench_countries[bench_rng_below(r, ncountry_list)]);
    buf_pack_cstr(pk, "countries");
    bench_gen_set(r, pk, bench_countries, ncountry_list, ncountries);
    buf_pack_cstr(pk, "tags");
    bench_gen_set(r, pk, bench_tags, sizeof bench_tags / sizeof bench_tags[0], ntags);
    buf_release(&text);
}
