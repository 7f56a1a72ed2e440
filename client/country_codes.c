/* country_codes.c: CAMEO (ISO 3166-1 alpha-3) and FIPS 10-4 country codes
 * to ISO 3166-1 alpha-2, as full tables searched by bisection. */
#include <string.h>

#include "client/country_codes.h"

/* Every assigned ISO 3166-1 alpha-3 code, plus codes CAMEO uses that ISO
 * does not: KSV (Kosovo, which annals stores as XK) and the withdrawn ISO
 * codes ROM (Romania, ROU since 2002), TMP (East Timor, TLS since 2002) and
 * ZAR (Zaire, COD since 1997), still found in older CAMEO dictionaries. */
const country_codes_pair country_codes_alpha3[] = {
    { "ABW", "AW" }, { "AFG", "AF" }, { "AGO", "AO" }, { "AIA", "AI" }, { "ALA", "AX" },
    { "ALB", "AL" }, { "AND", "AD" }, { "ARE", "AE" }, { "ARG", "AR" }, { "ARM", "AM" },
    { "ASM", "AS" }, { "ATA", "AQ" }, { "ATF", "TF" }, { "ATG", "AG" }, { "AUS", "AU" },
    { "AUT", "AT" }, { "AZE", "AZ" }, { "BDI", "BI" }, { "BEL", "BE" }, { "BEN", "BJ" },
    { "BES", "BQ" }, { "BFA", "BF" }, { "BGD", "BD" }, { "BGR", "BG" }, { "BHR", "BH" },
    { "BHS", "BS" }, { "BIH", "BA" }, { "BLM", "BL" }, { "BLR", "BY" }, { "BLZ", "BZ" },
    { "BMU", "BM" }, { "BOL", "BO" }, { "BRA", "BR" }, { "BRB", "BB" }, { "BRN", "BN" },
    { "BTN", "BT" }, { "BVT", "BV" }, { "BWA", "BW" }, { "CAF", "CF" }, { "CAN", "CA" },
    { "CCK", "CC" }, { "CHE", "CH" }, { "CHL", "CL" }, { "CHN", "CN" }, { "CIV", "CI" },
    { "CMR", "CM" }, { "COD", "CD" }, { "COG", "CG" }, { "COK", "CK" }, { "COL", "CO" },
    { "COM", "KM" }, { "CPV", "CV" }, { "CRI", "CR" }, { "CUB", "CU" }, { "CUW", "CW" },
    { "CXR", "CX" }, { "CYM", "KY" }, { "CYP", "CY" }, { "CZE", "CZ" }, { "DEU", "DE" },
    { "DJI", "DJ" }, { "DMA", "DM" }, { "DNK", "DK" }, { "DOM", "DO" }, { "DZA", "DZ" },
    { "ECU", "EC" }, { "EGY", "EG" }, { "ERI", "ER" }, { "ESH", "EH" }, { "ESP", "ES" },
    { "EST", "EE" }, { "ETH", "ET" }, { "FIN", "FI" }, { "FJI", "FJ" }, { "FLK", "FK" },
    { "FRA", "FR" }, { "FRO", "FO" }, { "FSM", "FM" }, { "GAB", "GA" }, { "GBR", "GB" },
    { "GEO", "GE" }, { "GGY", "GG" }, { "GHA", "GH" }, { "GIB", "GI" }, { "GIN", "GN" },
    { "GLP", "GP" }, { "GMB", "GM" }, { "GNB", "GW" }, { "GNQ", "GQ" }, { "GRC", "GR" },
    { "GRD", "GD" }, { "GRL", "GL" }, { "GTM", "GT" }, { "GUF", "GF" }, { "GUM", "GU" },
    { "GUY", "GY" }, { "HKG", "HK" }, { "HMD", "HM" }, { "HND", "HN" }, { "HRV", "HR" },
    { "HTI", "HT" }, { "HUN", "HU" }, { "IDN", "ID" }, { "IMN", "IM" }, { "IND", "IN" },
    { "IOT", "IO" }, { "IRL", "IE" }, { "IRN", "IR" }, { "IRQ", "IQ" }, { "ISL", "IS" },
    { "ISR", "IL" }, { "ITA", "IT" }, { "JAM", "JM" }, { "JEY", "JE" }, { "JOR", "JO" },
    { "JPN", "JP" }, { "KAZ", "KZ" }, { "KEN", "KE" }, { "KGZ", "KG" }, { "KHM", "KH" },
    { "KIR", "KI" }, { "KNA", "KN" }, { "KOR", "KR" }, { "KSV", "XK" }, { "KWT", "KW" },
    { "LAO", "LA" }, { "LBN", "LB" }, { "LBR", "LR" }, { "LBY", "LY" }, { "LCA", "LC" },
    { "LIE", "LI" }, { "LKA", "LK" }, { "LSO", "LS" }, { "LTU", "LT" }, { "LUX", "LU" },
    { "LVA", "LV" }, { "MAC", "MO" }, { "MAF", "MF" }, { "MAR", "MA" }, { "MCO", "MC" },
    { "MDA", "MD" }, { "MDG", "MG" }, { "MDV", "MV" }, { "MEX", "MX" }, { "MHL", "MH" },
    { "MKD", "MK" }, { "MLI", "ML" }, { "MLT", "MT" }, { "MMR", "MM" }, { "MNE", "ME" },
    { "MNG", "MN" }, { "MNP", "MP" }, { "MOZ", "MZ" }, { "MRT", "MR" }, { "MSR", "MS" },
    { "MTQ", "MQ" }, { "MUS", "MU" }, { "MWI", "MW" }, { "MYS", "MY" }, { "MYT", "YT" },
    { "NAM", "NA" }, { "NCL", "NC" }, { "NER", "NE" }, { "NFK", "NF" }, { "NGA", "NG" },
    { "NIC", "NI" }, { "NIU", "NU" }, { "NLD", "NL" }, { "NOR", "NO" }, { "NPL", "NP" },
    { "NRU", "NR" }, { "NZL", "NZ" }, { "OMN", "OM" }, { "PAK", "PK" }, { "PAN", "PA" },
    { "PCN", "PN" }, { "PER", "PE" }, { "PHL", "PH" }, { "PLW", "PW" }, { "PNG", "PG" },
    { "POL", "PL" }, { "PRI", "PR" }, { "PRK", "KP" }, { "PRT", "PT" }, { "PRY", "PY" },
    { "PSE", "PS" }, { "PYF", "PF" }, { "QAT", "QA" }, { "REU", "RE" }, { "ROM", "RO" },
    { "ROU", "RO" }, { "RUS", "RU" }, { "RWA", "RW" }, { "SAU", "SA" }, { "SDN", "SD" },
    { "SEN", "SN" }, { "SGP", "SG" }, { "SGS", "GS" }, { "SHN", "SH" }, { "SJM", "SJ" },
    { "SLB", "SB" }, { "SLE", "SL" }, { "SLV", "SV" }, { "SMR", "SM" }, { "SOM", "SO" },
    { "SPM", "PM" }, { "SRB", "RS" }, { "SSD", "SS" }, { "STP", "ST" }, { "SUR", "SR" },
    { "SVK", "SK" }, { "SVN", "SI" }, { "SWE", "SE" }, { "SWZ", "SZ" }, { "SXM", "SX" },
    { "SYC", "SC" }, { "SYR", "SY" }, { "TCA", "TC" }, { "TCD", "TD" }, { "TGO", "TG" },
    { "THA", "TH" }, { "TJK", "TJ" }, { "TKL", "TK" }, { "TKM", "TM" }, { "TLS", "TL" },
    { "TMP", "TL" }, { "TON", "TO" }, { "TTO", "TT" }, { "TUN", "TN" }, { "TUR", "TR" },
    { "TUV", "TV" }, { "TWN", "TW" }, { "TZA", "TZ" }, { "UGA", "UG" }, { "UKR", "UA" },
    { "UMI", "UM" }, { "URY", "UY" }, { "USA", "US" }, { "UZB", "UZ" }, { "VAT", "VA" },
    { "VCT", "VC" }, { "VEN", "VE" }, { "VGB", "VG" }, { "VIR", "VI" }, { "VNM", "VN" },
    { "VUT", "VU" }, { "WLF", "WF" }, { "WSM", "WS" }, { "YEM", "YE" }, { "ZAF", "ZA" },
    { "ZAR", "CD" }, { "ZMB", "ZM" }, { "ZWE", "ZW" },
};
const size_t country_codes_alpha3_count =
    sizeof country_codes_alpha3 / sizeof country_codes_alpha3[0];

/* FIPS 10-4 as GDELT uses it for Actor1Geo, Actor2Geo and ActionGeo. The
 * codes that look like ISO codes mostly name other countries (MO is Morocco,
 * not Macau; SP Spain; GM Germany; RS Russia; RI Serbia), hence one row for
 * every code, not only for those that differ. */
const country_codes_pair country_codes_fips[] = {
    { "AA", "AW" }, /* Aruba */
    { "AC", "AG" }, /* Antigua and Barbuda */
    { "AE", "AE" }, /* United Arab Emirates */
    { "AF", "AF" }, /* Afghanistan */
    { "AG", "DZ" }, /* Algeria */
    { "AJ", "AZ" }, /* Azerbaijan */
    { "AL", "AL" }, /* Albania */
    { "AM", "AM" }, /* Armenia */
    { "AN", "AD" }, /* Andorra */
    { "AO", "AO" }, /* Angola */
    { "AQ", "AS" }, /* American Samoa */
    { "AR", "AR" }, /* Argentina */
    { "AS", "AU" }, /* Australia */
    { "AT", "AU" }, /* Ashmore and Cartier Islands (Australia) */
    { "AU", "AT" }, /* Austria */
    { "AV", "AI" }, /* Anguilla */
    { "AY", "AQ" }, /* Antarctica */
    { "BA", "BH" }, /* Bahrain */
    { "BB", "BB" }, /* Barbados */
    { "BC", "BW" }, /* Botswana */
    { "BD", "BM" }, /* Bermuda */
    { "BE", "BE" }, /* Belgium */
    { "BF", "BS" }, /* Bahamas */
    { "BG", "BD" }, /* Bangladesh */
    { "BH", "BZ" }, /* Belize */
    { "BK", "BA" }, /* Bosnia and Herzegovina */
    { "BL", "BO" }, /* Bolivia */
    { "BM", "MM" }, /* Burma */
    { "BN", "BJ" }, /* Benin */
    { "BO", "BY" }, /* Belarus */
    { "BP", "SB" }, /* Solomon Islands */
    { "BQ", "UM" }, /* Navassa Island (US Minor Outlying Islands) */
    { "BR", "BR" }, /* Brazil */
    { "BS", "TF" }, /* Bassas da India (French Southern Territories) */
    { "BT", "BT" }, /* Bhutan */
    { "BU", "BG" }, /* Bulgaria */
    { "BV", "BV" }, /* Bouvet Island */
    { "BX", "BN" }, /* Brunei */
    { "BY", "BI" }, /* Burundi */
    { "CA", "CA" }, /* Canada */
    { "CB", "KH" }, /* Cambodia */
    { "CD", "TD" }, /* Chad */
    { "CE", "LK" }, /* Sri Lanka */
    { "CF", "CG" }, /* Congo (Brazzaville) */
    { "CG", "CD" }, /* Congo (Kinshasa) */
    { "CH", "CN" }, /* China */
    { "CI", "CL" }, /* Chile */
    { "CJ", "KY" }, /* Cayman Islands */
    { "CK", "CC" }, /* Cocos (Keeling) Islands */
    { "CM", "CM" }, /* Cameroon */
    { "CN", "KM" }, /* Comoros */
    { "CO", "CO" }, /* Colombia */
    { "CQ", "MP" }, /* Northern Mariana Islands */
    { "CR", "AU" }, /* Coral Sea Islands (Australia) */
    { "CS", "CR" }, /* Costa Rica */
    { "CT", "CF" }, /* Central African Republic */
    { "CU", "CU" }, /* Cuba */
    { "CV", "CV" }, /* Cape Verde */
    { "CW", "CK" }, /* Cook Islands */
    { "CY", "CY" }, /* Cyprus */
    { "DA", "DK" }, /* Denmark */
    { "DJ", "DJ" }, /* Djibouti */
    { "DO", "DM" }, /* Dominica */
    { "DQ", "UM" }, /* Jarvis Island (US Minor Outlying Islands) */
    { "DR", "DO" }, /* Dominican Republic */
    { "EC", "EC" }, /* Ecuador */
    { "EG", "EG" }, /* Egypt */
    { "EI", "IE" }, /* Ireland */
    { "EK", "GQ" }, /* Equatorial Guinea */
    { "EN", "EE" }, /* Estonia */
    { "ER", "ER" }, /* Eritrea */
    { "ES", "SV" }, /* El Salvador */
    { "ET", "ET" }, /* Ethiopia */
    { "EU", "TF" }, /* Europa Island (French Southern Territories) */
    { "EZ", "CZ" }, /* Czech Republic */
    { "FG", "GF" }, /* French Guiana */
    { "FI", "FI" }, /* Finland */
    { "FJ", "FJ" }, /* Fiji */
    { "FK", "FK" }, /* Falkland Islands */
    { "FM", "FM" }, /* Micronesia */
    { "FO", "FO" }, /* Faroe Islands */
    { "FP", "PF" }, /* French Polynesia */
    { "FQ", "UM" }, /* Baker Island (US Minor Outlying Islands) */
    { "FR", "FR" }, /* France */
    { "FS", "TF" }, /* French Southern and Antarctic Lands */
    { "GA", "GM" }, /* Gambia */
    { "GB", "GA" }, /* Gabon */
    { "GG", "GE" }, /* Georgia */
    { "GH", "GH" }, /* Ghana */
    { "GI", "GI" }, /* Gibraltar */
    { "GJ", "GD" }, /* Grenada */
    { "GK", "GG" }, /* Guernsey */
    { "GL", "GL" }, /* Greenland */
    { "GM", "DE" }, /* Germany */
    { "GO", "TF" }, /* Glorioso Islands (French Southern Territories) */
    { "GP", "GP" }, /* Guadeloupe */
    { "GQ", "GU" }, /* Guam */
    { "GR", "GR" }, /* Greece */
    { "GT", "GT" }, /* Guatemala */
    { "GV", "GN" }, /* Guinea */
    { "GY", "GY" }, /* Guyana */
    { "GZ", "PS" }, /* Gaza Strip (Palestine) */
    { "HA", "HT" }, /* Haiti */
    { "HK", "HK" }, /* Hong Kong */
    { "HM", "HM" }, /* Heard Island and McDonald Islands */
    { "HO", "HN" }, /* Honduras */
    { "HQ", "UM" }, /* Howland Island (US Minor Outlying Islands) */
    { "HR", "HR" }, /* Croatia */
    { "HU", "HU" }, /* Hungary */
    { "IC", "IS" }, /* Iceland */
    { "ID", "ID" }, /* Indonesia */
    { "IM", "IM" }, /* Isle of Man */
    { "IN", "IN" }, /* India */
    { "IO", "IO" }, /* British Indian Ocean Territory */
    { "IP", "FR" }, /* Clipperton Island (France) */
    { "IR", "IR" }, /* Iran */
    { "IS", "IL" }, /* Israel */
    { "IT", "IT" }, /* Italy */
    { "IV", "CI" }, /* Cote d'Ivoire */
    { "IZ", "IQ" }, /* Iraq */
    { "JA", "JP" }, /* Japan */
    { "JE", "JE" }, /* Jersey */
    { "JM", "JM" }, /* Jamaica */
    { "JN", "SJ" }, /* Jan Mayen (Svalbard and Jan Mayen) */
    { "JO", "JO" }, /* Jordan */
    { "JQ", "UM" }, /* Johnston Atoll (US Minor Outlying Islands) */
    { "JU", "TF" }, /* Juan de Nova Island (French Southern Territories) */
    { "KE", "KE" }, /* Kenya */
    { "KG", "KG" }, /* Kyrgyzstan */
    { "KN", "KP" }, /* North Korea */
    { "KQ", "UM" }, /* Kingman Reef (US Minor Outlying Islands) */
    { "KR", "KI" }, /* Kiribati */
    { "KS", "KR" }, /* South Korea */
    { "KT", "CX" }, /* Christmas Island */
    { "KU", "KW" }, /* Kuwait */
    { "KV", "XK" }, /* Kosovo */
    { "KZ", "KZ" }, /* Kazakhstan */
    { "LA", "LA" }, /* Laos */
    { "LE", "LB" }, /* Lebanon */
    { "LG", "LV" }, /* Latvia */
    { "LH", "LT" }, /* Lithuania */
    { "LI", "LR" }, /* Liberia */
    { "LO", "SK" }, /* Slovakia */
    { "LQ", "UM" }, /* Palmyra Atoll (US Minor Outlying Islands) */
    { "LS", "LI" }, /* Liechtenstein */
    { "LT", "LS" }, /* Lesotho */
    { "LU", "LU" }, /* Luxembourg */
    { "LY", "LY" }, /* Libya */
    { "MA", "MG" }, /* Madagascar */
    { "MB", "MQ" }, /* Martinique */
    { "MC", "MO" }, /* Macau */
    { "MD", "MD" }, /* Moldova */
    { "MF", "YT" }, /* Mayotte */
    { "MG", "MN" }, /* Mongolia */
    { "MH", "MS" }, /* Montserrat */
    { "MI", "MW" }, /* Malawi */
    { "MJ", "ME" }, /* Montenegro */
    { "MK", "MK" }, /* North Macedonia */
    { "ML", "ML" }, /* Mali */
    { "MN", "MC" }, /* Monaco */
    { "MO", "MA" }, /* Morocco */
    { "MP", "MU" }, /* Mauritius */
    { "MQ", "UM" }, /* Midway Islands (US Minor Outlying Islands) */
    { "MR", "MR" }, /* Mauritania */
    { "MT", "MT" }, /* Malta */
    { "MU", "OM" }, /* Oman */
    { "MV", "MV" }, /* Maldives */
    { "MX", "MX" }, /* Mexico */
    { "MY", "MY" }, /* Malaysia */
    { "MZ", "MZ" }, /* Mozambique */
    { "NC", "NC" }, /* New Caledonia */
    { "NE", "NU" }, /* Niue */
    { "NF", "NF" }, /* Norfolk Island */
    { "NG", "NE" }, /* Niger */
    { "NH", "VU" }, /* Vanuatu */
    { "NI", "NG" }, /* Nigeria */
    { "NL", "NL" }, /* Netherlands */
    { "NN", "SX" }, /* Sint Maarten */
    { "NO", "NO" }, /* Norway */
    { "NP", "NP" }, /* Nepal */
    { "NR", "NR" }, /* Nauru */
    { "NS", "SR" }, /* Suriname */
    { "NU", "NI" }, /* Nicaragua */
    { "NZ", "NZ" }, /* New Zealand */
    { "OD", "SS" }, /* South Sudan */
    { "PA", "PY" }, /* Paraguay */
    { "PC", "PN" }, /* Pitcairn Islands */
    { "PE", "PE" }, /* Peru */
    { "PK", "PK" }, /* Pakistan */
    { "PL", "PL" }, /* Poland */
    { "PM", "PA" }, /* Panama */
    { "PO", "PT" }, /* Portugal */
    { "PP", "PG" }, /* Papua New Guinea */
    { "PS", "PW" }, /* Palau */
    { "PU", "GW" }, /* Guinea-Bissau */
    { "QA", "QA" }, /* Qatar */
    { "RE", "RE" }, /* Reunion */
    { "RI", "RS" }, /* Serbia */
    { "RM", "MH" }, /* Marshall Islands */
    { "RN", "MF" }, /* Saint Martin */
    { "RO", "RO" }, /* Romania */
    { "RP", "PH" }, /* Philippines */
    { "RQ", "PR" }, /* Puerto Rico */
    { "RS", "RU" }, /* Russia */
    { "RW", "RW" }, /* Rwanda */
    { "SA", "SA" }, /* Saudi Arabia */
    { "SB", "PM" }, /* Saint Pierre and Miquelon */
    { "SC", "KN" }, /* Saint Kitts and Nevis */
    { "SE", "SC" }, /* Seychelles */
    { "SF", "ZA" }, /* South Africa */
    { "SG", "SN" }, /* Senegal */
    { "SH", "SH" }, /* Saint Helena */
    { "SI", "SI" }, /* Slovenia */
    { "SL", "SL" }, /* Sierra Leone */
    { "SM", "SM" }, /* San Marino */
    { "SN", "SG" }, /* Singapore */
    { "SO", "SO" }, /* Somalia */
    { "SP", "ES" }, /* Spain */
    { "ST", "LC" }, /* Saint Lucia */
    { "SU", "SD" }, /* Sudan */
    { "SV", "SJ" }, /* Svalbard */
    { "SW", "SE" }, /* Sweden */
    { "SX", "GS" }, /* South Georgia and the South Sandwich Islands */
    { "SY", "SY" }, /* Syria */
    { "SZ", "CH" }, /* Switzerland */
    { "TB", "BL" }, /* Saint Barthelemy */
    { "TD", "TT" }, /* Trinidad and Tobago */
    { "TE", "TF" }, /* Tromelin Island (French Southern Territories) */
    { "TH", "TH" }, /* Thailand */
    { "TI", "TJ" }, /* Tajikistan */
    { "TK", "TC" }, /* Turks and Caicos Islands */
    { "TL", "TK" }, /* Tokelau */
    { "TN", "TO" }, /* Tonga */
    { "TO", "TG" }, /* Togo */
    { "TP", "ST" }, /* Sao Tome and Principe */
    { "TS", "TN" }, /* Tunisia */
    { "TT", "TL" }, /* Timor-Leste */
    { "TU", "TR" }, /* Turkey */
    { "TV", "TV" }, /* Tuvalu */
    { "TW", "TW" }, /* Taiwan */
    { "TX", "TM" }, /* Turkmenistan */
    { "TZ", "TZ" }, /* Tanzania */
    { "UC", "CW" }, /* Curacao */
    { "UG", "UG" }, /* Uganda */
    { "UK", "GB" }, /* United Kingdom */
    { "UP", "UA" }, /* Ukraine */
    { "US", "US" }, /* United States */
    { "UV", "BF" }, /* Burkina Faso */
    { "UY", "UY" }, /* Uruguay */
    { "UZ", "UZ" }, /* Uzbekistan */
    { "VC", "VC" }, /* Saint Vincent and the Grenadines */
    { "VE", "VE" }, /* Venezuela */
    { "VI", "VG" }, /* British Virgin Islands */
    { "VM", "VN" }, /* Vietnam */
    { "VQ", "VI" }, /* US Virgin Islands */
    { "VT", "VA" }, /* Holy See */
    { "WA", "NA" }, /* Namibia */
    { "WE", "PS" }, /* West Bank (Palestine) */
    { "WF", "WF" }, /* Wallis and Futuna */
    { "WI", "EH" }, /* Western Sahara */
    { "WQ", "UM" }, /* Wake Island (US Minor Outlying Islands) */
    { "WS", "WS" }, /* Samoa */
    { "WZ", "SZ" }, /* Eswatini */
    { "YM", "YE" }, /* Yemen */
    { "ZA", "ZM" }, /* Zambia */
    { "ZI", "ZW" }, /* Zimbabwe */
};
const size_t country_codes_fips_count =
    sizeof country_codes_fips / sizeof country_codes_fips[0];

/* Bisect table[0..n) for s[0..len), which must be exactly as long as the
 * table's keys (keylen). */
static const char *country_codes_find(const country_codes_pair *table, size_t n,
                                      size_t keylen, const char *s, size_t len)
{
    size_t lo = 0, hi = n;
    if (len != keylen)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(s, table[mid].from, keylen);
        if (c == 0)
            return table[mid].alpha2;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *country_codes_from_alpha3(const char *s, size_t len)
{
    return country_codes_find(country_codes_alpha3, country_codes_alpha3_count, 3, s, len);
}

const char *country_codes_from_fips(const char *s, size_t len)
{
    return country_codes_find(country_codes_fips, country_codes_fips_count, 2, s, len);
}
