/* bench_names.c: countries, cities, people and tags of the generated events
 * (see bench_names.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tests/bench/bench_names.h"

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

typedef struct {
    const char *code;
    const char *city_ar;      /* the capital, or the city most events meet in */
    const char *city_latin;
} bench_country;

/* MA first; the others roughly by how often a Moroccan timeline meets them. */
static const bench_country bench_countries[] = {
    { "MA", "الرباط", "Rabat" },         { "ES", "مدريد", "Madrid" },
    { "FR", "باريس", "Paris" },          { "US", "واشنطن", "Washington" },
    { "DZ", "الجزائر", "Alger" },        { "MR", "نواكشوط", "Nouakchott" },
    { "TN", "تونس", "Tunis" },           { "EG", "القاهرة", "Cairo" },
    { "SA", "الرياض", "Riyadh" },        { "AE", "أبوظبي", "Abu Dhabi" },
    { "QA", "الدوحة", "Doha" },          { "DE", "برلين", "Berlin" },
    { "IT", "روما", "Roma" },            { "PT", "لشبونة", "Lisboa" },
    { "GB", "لندن", "London" },          { "BE", "بروكسل", "Bruxelles" },
    { "CN", "بكين", "Beijing" },         { "RU", "موسكو", "Moskva" },
    { "TR", "أنقرة", "Ankara" },         { "SN", "داكار", "Dakar" },
    { "NG", "أبوجا", "Abuja" },          { "CI", "أبيدجان", "Abidjan" },
    { "ML", "باماكو", "Bamako" },        { "NE", "نيامي", "Niamey" },
    { "TD", "نجامينا", "N'Djamena" },    { "BF", "واغادوغو", "Ouagadougou" },
    { "GA", "ليبرفيل", "Libreville" },   { "CM", "ياوندي", "Yaoundé" },
    { "KE", "نيروبي", "Nairobi" },       { "ET", "أديس أبابا", "Addis Abeba" },
    { "RW", "كيغالي", "Kigali" },        { "ZA", "بريتوريا", "Pretoria" },
    { "JO", "عمان", "Amman" },           { "KW", "الكويت", "Kuwait City" },
    { "BH", "المنامة", "Manama" },       { "OM", "مسقط", "Muscat" },
    { "LB", "بيروت", "Beyrouth" },       { "PS", "رام الله", "Ramallah" },
    { "IQ", "بغداد", "Baghdad" },        { "LY", "طرابلس", "Tripoli" },
    { "SD", "الخرطوم", "Khartoum" },     { "JP", "طوكيو", "Tokyo" },
    { "KR", "سيول", "Seoul" },           { "IN", "نيودلهي", "New Delhi" },
    { "BR", "برازيليا", "Brasília" },    { "AR", "بوينس آيرس", "Buenos Aires" },
    { "CL", "سانتياغو", "Santiago" },    { "MX", "مكسيكو", "Ciudad de México" },
    { "CA", "أوتاوا", "Ottawa" },        { "CH", "جنيف", "Genève" },
    { "AT", "فيينا", "Wien" },           { "NL", "لاهاي", "Den Haag" },
    { "SE", "ستوكهولم", "Stockholm" },   { "NO", "أوسلو", "Oslo" },
    { "DK", "كوبنهاغن", "København" },   { "PL", "وارسو", "Warszawa" },
    { "RO", "بوخارست", "București" },    { "BG", "صوفيا", "Sofia" },
    { "RS", "بلغراد", "Beograd" },       { "GR", "أثينا", "Athína" },
    { "ID", "جاكرتا", "Jakarta" },       { "MY", "كوالالمبور", "Kuala Lumpur" },
};
#define BENCH_NCOUNTRIES ((uint32_t)N_OF(bench_countries))

/* Moroccan cities, most frequent first (Arabic, Latin). */
static const char *const bench_ma_cities[][2] = {
    { "الرباط", "Rabat" },       { "الدار البيضاء", "Casablanca" }, { "مراكش", "Marrakech" },
    { "طنجة", "Tanger" },        { "فاس", "Fès" },                  { "أغادير", "Agadir" },
    { "العيون", "Laâyoune" },    { "الداخلة", "Dakhla" },           { "وجدة", "Oujda" },
    { "مكناس", "Meknès" },       { "الصخيرات", "Skhirat" },         { "إفران", "Ifrane" },
};

static const char *const bench_venues[] = {
    "مقر وزارة الشؤون الخارجية", "قصر المؤتمرات", "مقر الأمم المتحدة", "مقر البرلمان",
    "مقر المديرية العامة للأمن الوطني", "مقر الاتحاد الإفريقي", "القصر الملكي",
    "Palais des Nations", "مقر رئاسة الحكومة", "الملعب الكبير", "فندق الموحدين",
    "Centre international de conférences",
};

/* Given names and family names: Arab ones with their Arabic spelling. */
static const char *const bench_arab_first[][2] = {
    { "Abdellatif", "عبد اللطيف" }, { "Nasser", "ناصر" },       { "Aziz", "عزيز" },
    { "Mohamed", "محمد" },          { "Ahmed", "أحمد" },         { "Youssef", "يوسف" },
    { "Rachid", "رشيد" },           { "Karim", "كريم" },         { "Omar", "عمر" },
    { "Khalid", "خالد" },           { "Hassan", "حسن" },         { "Driss", "إدريس" },
    { "Abdelouafi", "عبد الوافي" }, { "Nadia", "نادية" },        { "Fatima", "فاطمة" },
    { "Amina", "أمينة" },           { "Leila", "ليلى" },         { "Samira", "سميرة" },
    { "Mustapha", "مصطفى" },        { "Said", "سعيد" },          { "Hamid", "حميد" },
    { "Abdelkader", "عبد القادر" }, { "Mehdi", "مهدي" },         { "Yassine", "ياسين" },
    { "Hicham", "هشام" },           { "Noureddine", "نور الدين" }, { "Abdelilah", "عبد الإله" },
    { "Saad", "سعد" },              { "Aïcha", "عائشة" },        { "Zineb", "زينب" },
    { "Jamal", "جمال" },            { "Tarik", "طارق" },         { "Mounir", "منير" },
    { "Fouad", "فؤاد" },            { "Ilyas", "إلياس" },        { "Salma", "سلمى" },
    { "Nabil", "نبيل" },            { "Brahim", "إبراهيم" },     { "Abdallah", "عبد الله" },
    { "Faisal", "فيصل" },
};
static const char *const bench_arab_last[][2] = {
    { "Hammouchi", "حموشي" },       { "Bourita", "بوريطة" },     { "Laftit", "لفتيت" },
    { "Akhannouch", "أخنوش" },      { "El Othmani", "العثماني" }, { "Benkirane", "بنكيران" },
    { "Mezouar", "مزوار" },         { "Talbi Alami", "الطالبي العلمي" }, { "Benmoussa", "بنموسى" },
    { "Ouahbi", "وهبي" },           { "Lekjaa", "لقجع" },        { "Fettah", "فتاح" },
    { "Sekkouri", "السكوري" },      { "Baitas", "بايتاس" },      { "Benali", "بنعلي" },
    { "Mansouri", "المنصوري" },     { "Tazi", "التازي" },        { "Alaoui", "العلوي" },
    { "Idrissi", "الإدريسي" },      { "Bennani", "بناني" },      { "Berrada", "برادة" },
    { "Cherkaoui", "الشرقاوي" },    { "El Fassi", "الفاسي" },    { "Kettani", "الكتاني" },
    { "Lahlou", "لحلو" },           { "Sqalli", "السقلي" },      { "Benjelloun", "بنجلون" },
    { "Chraibi", "الشرايبي" },      { "Zniber", "زنيبر" },       { "Amrani", "العمراني" },
    { "Belkhayat", "بلخياط" },      { "Tebboune", "تبون" },      { "Attaf", "عطاف" },
    { "Nafti", "النفطي" },          { "Aboul Gheit", "أبو الغيط" }, { "Shoukry", "شكري" },
    { "Al Saud", "آل سعود" },       { "Al Thani", "آل ثاني" },   { "Al Nahyan", "آل نهيان" },
    { "Al Sabah", "الصباح" },       { "Safadi", "الصفدي" },      { "Ghazouani", "الغزواني" },
    { "Ould Merzoug", "ولد مرزوك" }, { "Haddad", "حداد" },       { "Mansour", "منصور" },
    { "Khoury", "الخوري" },         { "Benaziz", "بنعزيز" },     { "Karimi", "الكريمي" },
    { "Rahmouni", "الرحموني" },     { "Yousfi", "اليوسفي" },
};
static const char *const bench_other_first[] = {
    "Gérald", "Francisco", "Vittorio", "José Manuel", "Pedro", "Emmanuel", "Jean-Yves",
    "Catherine", "Stéphane", "Annalena", "Olaf", "Nancy", "Giorgia", "Antonio", "Josep",
    "Teresa", "Ursula", "Charles", "Antony", "Boris", "David", "Rishi", "Kamala", "Marco",
    "Sergueï", "Wang", "Fumio", "Narendra", "Luiz Inácio", "Javier", "Marta", "Matteo",
    "Sebastian", "Margrethe", "Lars", "Ulf", "Magdalena", "Zbigniew", "Klaus", "Björn",
    "Søren", "Jürgen", "Ana", "João", "Luís", "Rui", "Mikael", "Yu", "Heinz", "Émilie",
};
static const char *const bench_other_last[] = {
    "Darmanin", "Pardo Piqueras", "Pisani", "Albares", "Sánchez", "Macron", "Le Drian",
    "Colonna", "Séjourné", "Baerbock", "Scholz", "Faeser", "Meloni", "Tajani", "Piantedosi",
    "Borrell", "von der Leyen", "Michel", "Blinken", "Austin", "Lavrov", "Kishida", "Modi",
    "Lula da Silva", "Grande-Marlaska", "Robles", "Ribera", "Costa", "Rebelo de Sousa",
    "Rutte", "Stoltenberg", "Guterres", "Nordmann", "Müller", "Schmidt", "Dupont",
    "Lefèvre", "García", "Fernández", "Martínez", "Rossi", "Bianchi", "Kowalski", "Novák",
    "Andersen", "Johansson", "Larsen", "Petrov", "Wern", "Jinsong",
};

static const char *const bench_roles[] = {
    "وزير الخارجية", "وزير الداخلية", "المدير العام للأمن الوطني", "السفير", "رئيس الحكومة",
    "كاتب الدولة", "الأمين العام", "رئيس مجلس النواب", "مستشار", "قائد الشرطة",
    "رئيس الوفد", "الممثل الدائم لدى الأمم المتحدة", "وزير الاقتصاد والمالية",
    "وزيرة الخارجية", "نائب الرئيس", "وزير العدل", "وزير الدفاع", "المفوض الأوروبي",
    "مدير الاستخبارات", "رئيس الجمهورية", "ولي العهد", "وزير الفلاحة", "وزيرة الطاقة",
    "رئيس اللجنة المشتركة",
};

static const char *const bench_tags[] = {
    "security", "bilateral", "counter-terrorism", "diplomacy", "organised-crime", "migration",
    "trade", "cybercrime", "investment", "energy", "interpol", "intelligence",
    "drug-trafficking", "human-trafficking", "training", "capacity-building", "multilateral",
    "water", "agriculture", "health", "education", "climate", "fisheries", "money-laundering",
    "major-events-security", "world-cup-2030", "trilateral", "mou", "extradition",
    "information-security", "criminal-investigation", "peacekeeping", "general-assembly",
    "technical-support", "prevention", "arab-cooperation", "sahel", "mediterranean",
    "african-union", "european-union",
};

static struct {
    bench_zipf countries;     /* over bench_countries[1..] */
    bench_zipf ma_cities;
    bench_zipf people;
    bench_zipf tags;
} bench_names_tab;
static pthread_once_t bench_names_once = PTHREAD_ONCE_INIT;

static void bench_names_build(void)
{
    bench_zipf_init(&bench_names_tab.countries, BENCH_NCOUNTRIES - 1, 2);
    bench_zipf_init(&bench_names_tab.ma_cities, (uint32_t)N_OF(bench_ma_cities), 1);
    /* A few dozen officials meet again and again; most people appear a few
     * times in a million events. */
    bench_zipf_init(&bench_names_tab.people, BENCH_NAMES_PEOPLE, 5);
    bench_zipf_init(&bench_names_tab.tags, (uint32_t)N_OF(bench_tags), 2);
}

static void bench_names_init(void)
{
    pthread_once(&bench_names_once, bench_names_build);
}

void bench_names_person(uint32_t p, bench_person *out)
{
    bench_rng r;
    /* A fixed stream per person, the same for every --seed. */
    bench_rng_derive(&r, 0x70656f706c65ULL, p, 0);
    int arab = bench_rng_below(&r, 10) < 4;
    out->role = bench_roles[bench_rng_below(&r, (uint32_t)N_OF(bench_roles))];
    if (arab) {
        uint32_t f = bench_rng_below(&r, (uint32_t)N_OF(bench_arab_first));
        uint32_t l = bench_rng_below(&r, (uint32_t)N_OF(bench_arab_last));
        snprintf(out->name, sizeof out->name, "%s %s", bench_arab_first[f][0], bench_arab_last[l][0]);
        snprintf(out->last, sizeof out->last, "%s", bench_arab_last[l][0]);
        snprintf(out->alias, sizeof out->alias, "%s %s", bench_arab_first[f][1], bench_arab_last[l][1]);
        /* Mostly Moroccan, else from an Arab country of the table. */
        static const char *const arab_cc[] = { "DZ", "TN", "EG", "SA", "AE", "QA", "MR",
                                               "JO", "KW", "BH", "OM", "LB", "LY", "IQ" };
        out->country = bench_rng_chance(&r, 600) ? "MA"
                       : arab_cc[bench_rng_below(&r, (uint32_t)N_OF(arab_cc))];
    } else {
        uint32_t f = bench_rng_below(&r, (uint32_t)N_OF(bench_other_first));
        uint32_t l = bench_rng_below(&r, (uint32_t)N_OF(bench_other_last));
        snprintf(out->name, sizeof out->name, "%s %s", bench_other_first[f], bench_other_last[l]);
        snprintf(out->last, sizeof out->last, "%s", bench_other_last[l]);
        out->alias[0] = '\0';
        out->country = bench_countries[12 + bench_rng_below(&r, BENCH_NCOUNTRIES - 12)].code;
    }
}

uint32_t bench_names_person_draw(bench_rng *r)
{
    bench_names_init();
    return bench_zipf_draw(&bench_names_tab.people, r);
}

void bench_names_participant_query(bench_rng *r, char *out, size_t len)
{
    bench_person p;
    bench_names_person(bench_names_person_draw(r), &p);
    uint32_t x = bench_rng_below(r, 100);
    if (x < 30 && p.alias[0]) {
        snprintf(out, len, "%s", p.alias);
    } else if (x < 55) {
        snprintf(out, len, "%s", p.last);
    } else {
        snprintf(out, len, "%s", p.name);
        /* People type names in lower case too; the index folds case. */
        if (x >= 85)
            for (char *c = out; *c; c++)
                *c = (char)tolower((unsigned char)*c);
    }
}

const char *bench_names_country_draw(bench_rng *r)
{
    bench_names_init();
    if (bench_rng_chance(r, 500))
        return "MA";
    return bench_countries[1 + bench_zipf_draw(&bench_names_tab.countries, r)].code;
}

unsigned bench_names_countries(bench_rng *r, unsigned k, const char **out)
{
    unsigned n = 0;
    bench_names_init();
    if (bench_rng_chance(r, 650))
        out[n++] = "MA";
    while (n < k) {
        const char *c = bench_countries[1 + bench_zipf_draw(&bench_names_tab.countries, r)].code;
        int dup = 0;
        for (unsigned i = 0; i < n; i++)
            dup |= strcmp(out[i], c) == 0;
        if (!dup)
            out[n++] = c;
    }
    return n;
}

void bench_names_place(bench_rng *r, const char *country, bench_place *out)
{
    int latin = bench_rng_chance(r, 200);
    bench_names_init();
    out->country = country;
    out->name = bench_rng_chance(r, 120) ? bench_venues[bench_rng_below(r, (uint32_t)N_OF(bench_venues))]
                                         : NULL;
    if (strcmp(country, "MA") == 0) {
        uint32_t c = bench_zipf_draw(&bench_names_tab.ma_cities, r);
        out->city = bench_ma_cities[c][latin];
        return;
    }
    for (uint32_t i = 0; i < BENCH_NCOUNTRIES; i++)
        if (strcmp(bench_countries[i].code, country) == 0) {
            out->city = latin ? bench_countries[i].city_latin : bench_countries[i].city_ar;
            return;
        }
    out->city = bench_countries[0].city_ar;
    out->country = "MA";
}

const char *bench_names_tag_draw(bench_rng *r)
{
    bench_names_init();
    return bench_tags[bench_zipf_draw(&bench_names_tab.tags, r)];
}
