/* bench_text.c: the generated Arabic (see bench_text.h). The vocabulary is
 * built once, from fixed tables and a fixed seed, so every run and every
 * --seed draws from the same words; only the draws differ. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "proto/xalloc.h"
#include "tests/bench/bench_text.h"

/* Function words: the most frequent ranks. */
static const char *const bench_text_function[] = {
    "في", "من", "على", "إلى", "مع", "عن", "بين", "التي", "الذي", "خلال", "حول", "بعد", "قبل",
    "كما", "أن", "هذا", "هذه", "ذلك", "وقد", "كل", "أجل", "لدى", "حيث", "ضمن", "عبر", "نحو",
    "منذ", "أمام", "عند", "تلك", "إطار", "بشأن", "وفق", "لا", "ما", "قد", "ثم", "أو", "غير",
    "أكثر", "أيضا",
};

/* Content words of diplomatic and security news, roughly by frequency. */
static const char *const bench_text_content[] = {
    "التعاون", "الأمن", "وزير", "الخارجية", "المملكة", "المغربية", "الدولي", "تعزيز", "مباحثات",
    "الشراكة", "مجال", "البلدين", "الثنائي", "الوطني", "العام", "رئيس", "الحكومة", "مجلس",
    "الأمم", "المتحدة", "الاتحاد", "الأوروبي", "الإفريقي", "الاقتصادي", "التنمية", "الاستثمار",
    "الطاقة", "اتفاقية", "مذكرة", "تفاهم", "زيارة", "اجتماع", "لقاء", "مؤتمر", "القمة",
    "العربية", "الدول", "السفير", "الملك", "جلالة", "الرباط", "المغرب", "الجانبين", "العلاقات",
    "السياسية", "الأمنية", "مكافحة", "الإرهاب", "الجريمة", "المنظمة", "الهجرة", "التجارة",
    "المستدامة", "المشترك", "المشتركة", "الوفد", "رسمية", "وفد", "الحوار", "الاستراتيجي",
    "القضايا", "الإقليمية", "الدولية", "الأزمة", "السلام", "الاستقرار", "المنطقة", "أكد",
    "أعرب", "استقبل", "التقى", "بحث", "ناقش", "أجرى", "ترأس", "افتتح", "شارك", "وقع", "أشاد",
    "دعا", "جدد", "شدد", "أبرز", "أوضح", "أشار", "أعلن", "عقد", "اتفق", "تناول", "استعرض",
    "تباحث", "يستقبل", "يترأس", "يشارك", "يلتقي", "يبحث", "الساحل", "الصحراء", "المتوسط",
    "الخليج", "الشرق", "الأوسط", "إفريقيا", "أوروبا", "آسيا", "الولايات", "الجمهورية",
    "الشعبية", "الفيدرالية", "الديمقراطية", "المديرية", "الشرطة", "الوطنية", "الداخلية",
    "العدل", "الدفاع", "المالية", "الصحة", "التعليم", "الفلاحة", "الصيد", "البحري", "الماء",
    "البيئة", "المناخ", "الطاقات", "المتجددة", "الغاز", "النفط", "الكهرباء", "الموانئ", "النقل",
    "السياحة", "الثقافة", "الرياضة", "الشباب", "المرأة", "حقوق", "الإنسان", "القانون",
    "الدستور", "البرلمان", "النواب", "المستشارين", "الانتخابات", "الأحزاب", "المعارضة",
    "الأغلبية", "الوزراء", "الأمين", "المدير", "المسؤولين", "المسؤولون", "الخبراء", "الممثل",
    "الدائم", "البعثة", "السفارة", "القنصلية", "الجالية", "المواطنين", "الحدود", "التنسيق",
    "تبادل", "المعلومات", "الخبرات", "التجارب", "القدرات", "التكوين", "الدعم", "التقني",
    "المالي", "المساعدات", "المشاريع", "البرامج", "الاستراتيجية", "الخطة", "الرؤية", "المبادرة",
    "الإصلاحات", "النمو", "الاقتصاد", "الصادرات", "الواردات", "الأسواق", "الشركات", "القطاع",
    "الخاص", "الاستثمارات", "البنية", "التحتية", "المياه", "الغذائي", "السيبراني", "الرقمي",
    "التكنولوجيا", "الابتكار", "البحث", "العلمي", "الجامعات", "الطلبة", "المنح", "اللجنة",
    "المختلطة", "الدورة", "الاجتماع", "الوزاري", "الجولة", "المفاوضات", "الاتفاق", "البيان",
    "الختامي", "الإعلان", "التوقيع", "توقيع", "اتفاق", "بروتوكول", "برنامج", "عمل", "التزام",
    "دعم", "موقف", "قرار", "الجمعية", "منظمة", "هيئة", "الوكالة", "الصندوق", "البنك", "النقد",
    "جامعة", "الخليجي", "الأنتربول", "اليوروبول", "الهام", "الكبير", "الجديد", "المقبل",
    "الماضي", "الحالي", "الأخيرة", "الأولى", "الثانية", "الثالثة", "السنوي", "السنوية",
    "الرفيع", "المستوى", "رفيعة", "واسعة", "عميقة", "متميزة", "ممتازة", "تاريخية", "استثنائية",
    "خاصة", "مهمة", "بالغة", "يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز",
    "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر", "إسبانيا", "فرنسا", "ألمانيا", "إيطاليا",
    "البرتغال", "الصين", "روسيا", "تركيا", "مصر", "تونس", "الجزائر", "موريتانيا", "السنغال",
    "نيجيريا", "السعودية", "قطر", "الإمارات", "الكويت", "الأردن", "بريطانيا", "اليابان",
    "الهند", "البرازيل", "كندا", "بلجيكا", "هولندا", "سويسرا", "النمسا", "السويد", "النرويج",
    "الدنمارك", "بولونيا", "رومانيا", "المكسيك", "الأرجنتين", "الشيلي", "إثيوبيا", "كينيا",
    "غانا", "مالي", "النيجر", "تشاد", "الغابون", "الكاميرون", "رواندا", "الرئيس", "الأمير",
    "ولي", "العهد", "صاحب", "السمو", "الوزيرة", "كاتب", "الدولة", "المستشار", "السفيرة",
    "الناطق", "الرسمي", "الوالي", "العامل", "العمدة", "النائب", "الأول", "الثاني", "القائد",
    "الجنرال", "العقيد", "الضابط", "الخبير", "الباحث", "الأستاذ", "الدكتور", "السيد", "السيدة",
    "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد", "الاثنين", "اليوم", "أمس",
    "الأسبوع", "الشهر", "السنة", "الجاري", "المنصرم", "المقبلة", "العاصمة", "المدينة",
    "الإقليم", "الجهة", "المقر", "القصر", "الملكي", "الديوان", "القاعة", "الفندق", "المطار",
    "الميناء", "المعبر", "المعرض", "المنتدى", "الندوة", "الورشة", "التكوينية", "بلاغ", "تصريح",
    "كلمة", "خطاب", "رسالة", "برقية", "تهنئة", "تعزية", "مكالمة", "هاتفية", "اتصال", "مشاورات",
    "محادثات", "لقاءات", "اجتماعات", "جلسة", "جلسات", "زيارات", "رحلة", "جولة", "السلطات",
    "الأجهزة", "المصالح", "المؤسسات", "الهيئات", "الإدارة", "المجتمع", "المدني", "الجمعيات",
    "النقابات", "الفاعلين", "الشركاء", "المانحين", "المستثمرين", "المقاولات", "الصغرى",
    "المتوسطة", "الاقتصادية", "الاجتماعية", "الثقافية", "العلمية", "التقنية", "العسكرية",
    "البحرية", "الجوية", "البرية", "الحدودية", "القضائية", "التشريعية", "التنفيذية",
    "الدبلوماسية", "الإنسانية", "الصحية", "البيئية", "الرقمية", "التجارية", "الصناعية",
    "الفلاحية", "السياحية", "الإرهابية", "المتطرفة", "التطرف", "العنف", "الاتجار", "بالبشر",
    "المخدرات", "التهريب", "الأموال", "غسيل", "الفساد", "الإجرام", "الشبكات", "الخلايا",
    "التهديدات", "المخاطر", "التحديات", "الأزمات", "النزاعات", "الحروب", "اللاجئين", "النازحين",
    "المهاجرين",
};

/* Triliteral roots; with the patterns below they make the long tail. */
static const char *const bench_text_roots[] = {
    "كتب", "علم", "عمل", "حكم", "دعم", "نظم", "شرك", "بحث", "حدث", "عقد", "سلم", "قدم", "طور",
    "خرج", "دخل", "نصر", "فتح", "جمع", "نقل", "صدر", "حفظ", "رصد", "رقب", "حرس", "منع", "فرض",
    "رفع", "سجل", "حصل", "شكل", "مثل", "نشر", "طلب", "كشف", "صنع", "زرع", "حمل", "جرب", "درس",
    "فحص", "نفذ", "رسم", "قسم", "نسق", "شرع", "شرف", "شهد", "صرف", "صلح", "ضمن", "طبق", "عرض",
    "فصل", "فعل", "قبل", "قرب", "قطع", "كسب", "لزم", "لحق", "نجح", "نزل", "نظر", "نقص", "هدف",
    "وجه", "وصل", "بلغ", "حضر", "خدم", "ربط", "رتب", "سبق", "سحب", "سكن", "سلط", "شعب", "شغل",
    "صبر", "صحب", "ضبط", "طرح", "عبر", "عرف", "عزل", "عمر", "غلب", "فرق", "فقد", "قصد", "كمل",
    "لعب", "متع", "مدن", "مرض", "نبه", "نتج", "نسب", "نشط", "نطق", "نهج", "هجر", "وحد", "ورد",
    "وزع", "وسط", "وضح", "وقع", "ولد", "بدل", "بدع", "برز", "برم", "بسط", "بطل", "بعث", "تبع",
    "ثبت", "ثقف", "جلس", "حرب", "حرك", "حسب", "حسن", "حشد", "خبر", "خلف", "خلق", "دبر", "درج",
    "ذكر", "رجع", "رحب", "رخص", "رشد", "زود", "سطر", "سند", "سهل", "شجع", "شرح", "شمل", "صحف",
    "ضرب", "طبع", "طلق", "ظهر", "عدل", "عزم", "عصر", "علن", "عمق", "فتش", "فرد", "فكر", "مسك",
    "مكن", "نفس", "نفق", "نقد", "نقش", "هجم", "قرص", "لمس", "كرم", "جذب",
};

/* Set phrases, most frequent first; a text holds them word for word. */
static const char *const bench_text_phrases[] = {
    "وزير الخارجية", "الأمم المتحدة", "مجلس الأمن", "التعاون الثنائي", "الاتحاد الأوروبي",
    "الاتحاد الإفريقي", "مذكرة تفاهم", "الجمعية العامة", "حقوق الإنسان", "الأمن الغذائي",
    "الطاقات المتجددة", "الجريمة المنظمة", "مكافحة الإرهاب", "التنمية المستدامة",
    "رئيس الحكومة", "المملكة المغربية", "جامعة الدول العربية", "البنك الدولي", "القطاع الخاص",
    "البنية التحتية", "صاحب الجلالة", "الملك محمد السادس", "المدير العام", "الأمن الوطني",
    "الشرق الأوسط", "منطقة الساحل", "البحر الأبيض المتوسط", "تبادل المعلومات", "تعزيز التعاون",
    "العلاقات الثنائية", "الشراكة الاستراتيجية", "اللجنة المشتركة", "رفيع المستوى",
    "البيان المشترك", "الهجرة غير النظامية", "الأمن السيبراني", "التغير المناخي",
    "الاستثمار الأجنبي", "التبادل التجاري", "المجتمع الدولي", "القضية الفلسطينية",
    "الوحدة الترابية", "الحكم الذاتي", "كأس العالم", "مجلس التعاون الخليجي",
    "صندوق النقد الدولي", "منظمة الصحة العالمية", "الاتفاق الإطار", "على هامش", "في إطار",
    "بهذه المناسبة", "من جهة أخرى", "تجدر الإشارة", "الاتجار بالبشر", "غسيل الأموال",
    "المديرية العامة للأمن الوطني", "مراقبة التراب الوطني", "وزير الداخلية", "الممثل الدائم",
    "كاتب الدولة",
};

/* Derivation patterns: 1, 2 and 3 stand for the root's letters (فعل, يفعل,
 * فاعل, مفعول, تفعيل, افتعال, استفعال, مفاعلة, فعالة, مفعل, مفعلة, تفاعل,
 * إفعال, مفتعل). */
static const char *const bench_text_patterns[] = {
    "123", "ي123", "1ا23", "م12و3", "ت12ي3", "ا1ت2ا3", "است12ا3", "م1ا23ة", "12ا3ة",
    "م123", "م123ة", "ت1ا23", "إ12ا3", "م1ت23",
};

/* The opening nouns of headlines, by kind. */
static const char *const bench_text_leads[5][5] = {
    { "زيارة", "زيارة رسمية", "زيارة عمل", "وصول", "جولة" },
    { "مباحثات", "اجتماع", "لقاء", "محادثات", "استقبال" },
    { "توقيع", "اتفاق", "إبرام", "مذكرة تفاهم", "تجديد" },
    { "مؤتمر", "انعقاد", "افتتاح أشغال", "منتدى", "قمة" },
    { "إطلاق", "إعلان", "تدشين", "تقرير", "تنظيم" },
};

#define N_OF(a) (sizeof (a) / sizeof (a)[0])
#define BENCH_TEXT_NFUNC ((uint32_t)N_OF(bench_text_function))
#define BENCH_TEXT_NCONTENT ((uint32_t)N_OF(bench_text_content))
#define BENCH_TEXT_NREAL (BENCH_TEXT_NFUNC + BENCH_TEXT_NCONTENT)
#define BENCH_TEXT_NTAIL ((uint32_t)(N_OF(bench_text_roots) * N_OF(bench_text_patterns)))
#define BENCH_TEXT_NWORDS (BENCH_TEXT_NREAL + BENCH_TEXT_NTAIL)
#define BENCH_TEXT_NPHRASES ((uint32_t)N_OF(bench_text_phrases))

/* Per mille of tokens that are a set phrase, and a number. */
#define BENCH_TEXT_PHRASE_PM 80
#define BENCH_TEXT_NUMBER_PM 20
/* Per mille of words that carry a haraka (a diacritic the index ignores). */
#define BENCH_TEXT_HARAKA_PM 30
/* The common words of one-word searches, the phrases of phrase searches. */
#define BENCH_TEXT_COMMON 50
#define BENCH_TEXT_MID_END 450
#define BENCH_TEXT_QUERY_PHRASES 20

/* The vocabulary in rank order, and the two Zipf tables. Built once, then
 * read only by every thread. */
static struct {
    const char *word[BENCH_TEXT_NWORDS];
    char tail[BENCH_TEXT_NTAIL * 24];
    bench_zipf words, phrases;
} bench_text_lex;
static pthread_once_t bench_text_once = PTHREAD_ONCE_INIT;

/* Put the root's letters (two bytes each: every Arabic letter is U+06xx)
 * into the pattern's slots; returns the bytes written (NUL excluded). */
static size_t bench_text_derive(const char *root, const char *pattern, char *out)
{
    size_t n = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p >= '1' && *p <= '3') {
            memcpy(out + n, root + 2 * (*p - '1'), 2);
            n += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return n;
}

static void bench_text_build(void)
{
    uint32_t k = 0;
    size_t used = 0;
    const char *tail[BENCH_TEXT_NTAIL];
    bench_rng r;

    for (uint32_t i = 0; i < BENCH_TEXT_NFUNC; i++)
        bench_text_lex.word[k++] = bench_text_function[i];
    for (uint32_t i = 0; i < BENCH_TEXT_NCONTENT; i++)
        bench_text_lex.word[k++] = bench_text_content[i];
    for (size_t p = 0; p < N_OF(bench_text_patterns); p++)
        for (size_t i = 0; i < N_OF(bench_text_roots); i++) {
            char *w = bench_text_lex.tail + used;
            used += bench_text_derive(bench_text_roots[i], bench_text_patterns[p], w) + 1;
            tail[p * N_OF(bench_text_roots) + i] = w;
        }
    /* The tail in a fixed shuffled order, so that frequency does not follow
     * the pattern. */
    bench_rng_seed(&r, 0x61726162u);
    for (uint32_t i = BENCH_TEXT_NTAIL - 1; i > 0; i--) {
        uint32_t j = bench_rng_below(&r, i + 1);
        const char *t = tail[i];
        tail[i] = tail[j];
        tail[j] = t;
    }
    for (uint32_t i = 0; i < BENCH_TEXT_NTAIL; i++)
        bench_text_lex.word[k++] = tail[i];
    bench_zipf_init(&bench_text_lex.words, BENCH_TEXT_NWORDS, 3);
    bench_zipf_init(&bench_text_lex.phrases, BENCH_TEXT_NPHRASES, 2);
}

static void bench_text_init(void)
{
    pthread_once(&bench_text_once, bench_text_build);
}

static int bench_text_starts(const char *w, const char *prefix)
{
    return strncmp(w, prefix, strlen(prefix)) == 0;
}

/* Append w to b with a haraka after one of its letters now and then. Only
 * for words of Arabic letters (two bytes each). */
static void bench_text_put_word(bench_rng *r, buf_t *b, const char *w)
{
    static const char *const marks[] = {
        "\xd9\x8e", "\xd9\x8f", "\xd9\x90", "\xd9\x91", "\xd9\x92", "\xd9\x8b",
    };
    size_t len = strlen(w);
    if (len >= 6 && bench_rng_chance(r, BENCH_TEXT_HARAKA_PM)) {
        size_t at = 2 * (1 + bench_rng_below(r, (uint32_t)(len / 2 - 1)));
        buf_append(b, w, at);
        buf_append(b, marks[bench_rng_below(r, N_OF(marks))], 2);
        buf_append(b, w + at, len - at);
        return;
    }
    buf_append(b, w, len);
}

/* One word of the vocabulary in one of its surface forms: with a
 * conjunction, preposition or article in front, and (for the derived
 * words) a feminine, plural or adjective ending. */
static void bench_text_word(bench_rng *r, buf_t *b)
{
    uint32_t rank = bench_zipf_draw(&bench_text_lex.words, r);
    const char *w = bench_text_lex.word[rank];
    char form[160];
    const char *pre = "", *suf = "";
    uint32_t x = bench_rng_below(r, 1000);

    if (rank < BENCH_TEXT_NFUNC) {
        bench_text_put_word(r, b, w);
        return;
    }
    if (bench_text_starts(w, "ال")) {
        if (x < 60)
            pre = "و";
        else if (x < 90)
            pre = "ب";
        else if (x < 120) {
            pre = "لل";
            w += strlen("ال");
        }
    } else if (rank < BENCH_TEXT_NREAL) {
        if (x < 50)
            pre = "و";
    } else {
        pre = x < 300 ? "ال" : x < 350 ? "وال" : x < 380 ? "بال" : x < 410 ? "لل"
            : x < 450 ? "و" : x < 480 ? "ب" : "";
        uint32_t y = bench_rng_below(r, 1000);
        size_t wl = strlen(w);
        int ends_ta = wl >= 2 && memcmp(w + wl - 2, "ة", 2) == 0;
        if (!ends_ta)
            suf = y < 120 ? "ة" : y < 180 ? "ات" : y < 230 ? "ية" : y < 270 ? "ي" : "";
    }
    snprintf(form, sizeof form, "%s%s%s", pre, w, suf);
    bench_text_put_word(r, b, form);
}

/* One token: a set phrase, a number, or a word. */
static void bench_text_token(bench_rng *r, buf_t *b)
{
    uint32_t x = bench_rng_below(r, 1000);
    if (x < BENCH_TEXT_PHRASE_PM) {
        const char *p = bench_text_phrases[bench_zipf_draw(&bench_text_lex.phrases, r)];
        buf_append(b, p, strlen(p));
    } else if (x < BENCH_TEXT_PHRASE_PM + BENCH_TEXT_NUMBER_PM) {
        char num[16];
        int n = bench_rng_chance(r, 500)
                ? snprintf(num, sizeof num, "%u", 1990 + bench_rng_below(r, 40))
                : snprintf(num, sizeof num, "%u", 2 + bench_rng_below(r, 98));
        buf_append(b, num, (size_t)n);
    } else {
        bench_text_word(r, b);
    }
}

/* Append tokens to b (after its first from bytes) until it holds about
 * target bytes; ends a sentence every 8 to 16 tokens when sentences is set. */
static void bench_text_fill(bench_rng *r, buf_t *b, size_t from, size_t target, int sentences)
{
    unsigned in_sentence = 0, sentence_len = 8 + bench_rng_below(r, 9);
    size_t end = from + target;
    int misses = 0;
    buf_t tok;
    buf_init(&tok);
    while (b->len + 8 < end && misses < 4) {
        buf_reset(&tok);
        bench_text_token(r, &tok);
        if (b->len + 1 + tok.len > end + 12) {
            misses++;   /* too long: try a shorter one, a few times */
            continue;
        }
        if (b->len > from)
            buf_append(b, " ", 1);
        buf_append(b, tok.data, tok.len);
        if (!sentences)
            continue;
        if (++in_sentence == sentence_len) {
            buf_append(b, ".", 1);
            in_sentence = 0;
            sentence_len = 8 + bench_rng_below(r, 9);
        } else if (in_sentence > 2 && bench_rng_chance(r, 60)) {
            buf_append(b, "،", strlen("،"));
        }
    }
    if (sentences && in_sentence)
        buf_append(b, ".", 1);
    buf_release(&tok);
}

void bench_text_title(bench_rng *r, buf_t *b, size_t target, unsigned kind)
{
    bench_text_init();
    const char *lead = bench_text_leads[kind % 5][bench_rng_below(r, 5)];
    size_t from = b->len;
    buf_append(b, lead, strlen(lead));
    bench_text_fill(r, b, from, target, 0);
}

void bench_text_summary(bench_rng *r, buf_t *b, size_t target)
{
    bench_text_init();
    bench_text_fill(r, b, b->len, target, 1);
}

const char *bench_text_common_word(bench_rng *r)
{
    const char *w = bench_text_content[bench_rng_below(r, BENCH_TEXT_COMMON)];
    /* The index folds the article away: without it, the same word. */
    if (bench_text_starts(w, "ال") && bench_rng_chance(r, 300))
        return w + strlen("ال");
    return w;
}

const char *bench_text_mid_word(bench_rng *r)
{
    return bench_text_content[BENCH_TEXT_COMMON +
                              bench_rng_below(r, BENCH_TEXT_MID_END - BENCH_TEXT_COMMON)];
}

const char *bench_text_phrase(bench_rng *r)
{
    return bench_text_phrases[bench_rng_below(r, BENCH_TEXT_QUERY_PHRASES)];
}
