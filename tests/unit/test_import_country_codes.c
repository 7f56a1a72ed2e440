/* test_import_country_codes.c: the CAMEO (ISO alpha-3) and FIPS 10-4
 * tables: sorted for bisection, every result an assigned ISO 3166-1
 * alpha-2 code as event validation knows them, every assigned alpha-2 code
 * reached from alpha-3, the FIPS codes that trap a naive reader (MO is
 * Morocco), and regional CAMEO codes naming no country. */
#include <string.h>

#include "client/country_codes.h"
#include "proto/event.h"
#include "tests/unit/tap.h"

static void table_is_sound(const char *what, const country_codes_pair *t, size_t n, size_t keylen)
{
    size_t unsorted = 0, bad = 0, misses = 0;
    char err[256];
    for (size_t i = 0; i < n; i++) {
        if (strlen(t[i].from) != keylen || (i > 0 && strcmp(t[i - 1].from, t[i].from) >= 0))
            unsorted++;
        if (event_check_country("c", t[i].alpha2, strlen(t[i].alpha2), err, sizeof err) != 0) {
            bad++;
            diag("%s: %s -> %s: %s", what, t[i].from, t[i].alpha2, err);
        }
        const char *got = keylen == 3 ? country_codes_from_alpha3(t[i].from, keylen)
                                      : country_codes_from_fips(t[i].from, keylen);
        if (!got || strcmp(got, t[i].alpha2) != 0)
            misses++;
    }
    is_int(unsorted, 0, "%s: %zu keys of %zu letters, strictly sorted", what, n, keylen);
    is_int(bad, 0, "%s: every code it gives is an assigned ISO 3166-1 alpha-2 code", what);
    is_int(misses, 0, "%s: every key is found by bisection", what);
}

static void is_code(const char *got, const char *want, const char *name)
{
    is_str(got, want, "%s", name);
}

int main(void)
{
    table_is_sound("alpha-3", country_codes_alpha3, country_codes_alpha3_count, 3);
    table_is_sound("FIPS 10-4", country_codes_fips, country_codes_fips_count, 2);
    ok(country_codes_alpha3_count >= 249, "alpha-3: all 249 ISO countries (%zu rows)",
       country_codes_alpha3_count);
    ok(country_codes_fips_count >= 250, "FIPS: a full table (%zu rows)", country_codes_fips_count);

    /* Every assigned alpha-2 code (as event validation accepts them) is
     * the image of some alpha-3 code. */
    size_t assigned = 0, reached = 0;
    char err[128];
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++) {
            char cc[3] = { a, b, 0 };
            if (event_check_country("c", cc, 2, err, sizeof err) != 0)
                continue;
            assigned++;
            for (size_t i = 0; i < country_codes_alpha3_count; i++)
                if (strcmp(country_codes_alpha3[i].alpha2, cc) == 0) {
                    reached++;
                    break;
                }
        }
    is_int(reached, assigned, "alpha-3 reaches every one of the %zu assigned alpha-2 codes",
           assigned);

    is_code(country_codes_from_alpha3("MAR", 3), "MA", "MAR is Morocco");
    is_code(country_codes_from_alpha3("USA", 3), "US", "USA");
    is_code(country_codes_from_alpha3("GBR", 3), "GB", "GBR");
    is_code(country_codes_from_alpha3("PSE", 3), "PS", "PSE");
    is_code(country_codes_from_alpha3("KSV", 3), "XK", "KSV (CAMEO's Kosovo) is XK");
    is_code(country_codes_from_alpha3("WSM", 3), "WS", "WSM is Samoa");
    const char *regions[] = { "AFR", "ASA", "EUR", "MEA", "SAF", "SEA", "WST", "CAU", "SAM",
                              "NMR", "LAM", "BLK", "CRB", "EAF", "WAF", "NAF", "SAS", "CAS",
                              "EEU", "SCN", "BAL", "PGS", "MDT", "IGO", "GOV", "NGO" };
    size_t bogus = 0;
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (country_codes_from_alpha3(regions[i], 3)) {
            bogus++;
            diag("%s became %s", regions[i], country_codes_from_alpha3(regions[i], 3));
        }
    is_int(bogus, 0, "CAMEO's regional and role codes (AFR, EUR, WST, IGO...) name no country");
    ok(country_codes_from_alpha3("mar", 3) == NULL, "lower case is not a CAMEO code");
    ok(country_codes_from_alpha3("MA", 2) == NULL, "a two-letter code is not alpha-3");
    ok(country_codes_from_alpha3("", 0) == NULL, "an empty code is none");

    is_code(country_codes_from_fips("MO", 2), "MA", "FIPS MO is Morocco, not Macau");
    is_code(country_codes_from_fips("MC", 2), "MO", "FIPS MC is Macau");
    is_code(country_codes_from_fips("UK", 2), "GB", "FIPS UK");
    is_code(country_codes_from_fips("SP", 2), "ES", "FIPS SP is Spain");
    is_code(country_codes_from_fips("GM", 2), "DE", "FIPS GM is Germany");
    is_code(country_codes_from_fips("RS", 2), "RU", "FIPS RS is Russia");
    is_code(country_codes_from_fips("RI", 2), "RS", "FIPS RI is Serbia");
    is_code(country_codes_from_fips("SF", 2), "ZA", "FIPS SF is South Africa");
    is_code(country_codes_from_fips("AG", 2), "DZ", "FIPS AG is Algeria");
    is_code(country_codes_from_fips("BO", 2), "BY", "FIPS BO is Belarus");
    is_code(country_codes_from_fips("GZ", 2), "PS", "FIPS GZ (Gaza) is PS");
    is_code(country_codes_from_fips("KV", 2), "XK", "FIPS KV is Kosovo");
    ok(country_codes_from_fips("OS", 2) == NULL, "FIPS OS (oceans) names no country");
    ok(country_codes_from_fips("YI", 2) == NULL, "FIPS YI (Serbia and Montenegro) names none");
    ok(country_codes_from_fips("MOR", 3) == NULL, "a three-letter code is not FIPS");
    return done_testing();
}
