/* country_codes.h: the country codes of imported data turned into the
 * ISO 3166-1 alpha-2 codes annals stores: CAMEO actor country codes (ISO
 * 3166-1 alpha-3, as GDELT uses them) and FIPS 10-4 country codes (GDELT's
 * geography). */
#ifndef ANNALS_CLIENT_COUNTRY_CODES_H
#define ANNALS_CLIENT_COUNTRY_CODES_H

#include <stddef.h>

typedef struct {
    const char *from;   /* the foreign code, upper case */
    const char *alpha2; /* its ISO 3166-1 alpha-2 code */
} country_codes_pair;

/* The tables, sorted by from (country_codes_from_* search them), exposed so
 * the unit tests can check them whole. */
extern const country_codes_pair country_codes_alpha3[];
extern const size_t country_codes_alpha3_count;
extern const country_codes_pair country_codes_fips[];
extern const size_t country_codes_fips_count;

/* country_codes_from_alpha3: the alpha-2 code of the CAMEO country code
 * s[0..len) (an ISO 3166-1 alpha-3 code, or one of the few older codes
 * CAMEO dictionaries still use), or NULL for anything else: CAMEO's
 * regional codes (AFR, EUR, MEA, WST...) name no country and stay NULL.
 * Upper case only, as GDELT writes them. The string returned is static. */
const char *country_codes_from_alpha3(const char *s, size_t len);

/* country_codes_from_fips: the alpha-2 code of the FIPS 10-4 country code
 * s[0..len), or NULL for a code with no ISO 3166-1 country (OS, the oceans;
 * YI, the former Serbia and Montenegro; the Paracel and Spratly Islands;
 * the UK bases on Cyprus). Territories FIPS lists apart but ISO folds into
 * a country map to that country (Gaza Strip and West Bank: PS; Europa
 * Island: TF; Jarvis Island: UM). The string returned is static. */
const char *country_codes_from_fips(const char *s, size_t len);

#endif
