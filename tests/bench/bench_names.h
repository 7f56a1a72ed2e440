/* bench_names.h: the named things generated events refer to: about 60
 * countries (MA by far the most frequent, the rest on a Zipf-like law) with
 * their cities in Arabic or Latin spelling, a pool of 3 000 people (Latin
 * names; the Arab ones with their Arabic spelling as an alias, which the
 * index must join), their roles, and tags. Every draw is skewed the way a
 * timeline of Moroccan diplomacy and security is. */
#ifndef ANNALS_BENCH_NAMES_H
#define ANNALS_BENCH_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "tests/bench/bench_rng.h"

#define BENCH_NAMES_PEOPLE 3000

typedef struct {
    char name[96];            /* Latin, "Abdellatif Hammouchi" */
    char last[64];            /* the family name alone */
    char alias[128];          /* Arabic spelling, "" when none */
    const char *role;         /* Arabic, static */
    const char *country;      /* ISO code, static */
} bench_person;

/* bench_names_person: person p of the pool (p < BENCH_NAMES_PEOPLE); the
 * same p always gives the same person. */
void bench_names_person(uint32_t p, bench_person *out);

/* bench_names_person_draw: a person of the pool, the well-known ones (a
 * few dozen officials) far more often than the rest. */
uint32_t bench_names_person_draw(bench_rng *r);

/* bench_names_participant_query: a participant filter value for a drawn
 * person: the full name, the family name alone, or the Arabic alias. */
void bench_names_participant_query(bench_rng *r, char *out, size_t len);

/* bench_names_country_draw: an ISO code, MA about half the time. */
const char *bench_names_country_draw(bench_rng *r);

/* bench_names_countries: k (1..3) distinct codes into out, MA first when
 * drawn (in about 65% of events). Returns k. */
unsigned bench_names_countries(bench_rng *r, unsigned k, const char **out);

typedef struct {
    const char *city;         /* Arabic or Latin spelling, static */
    const char *country;      /* the city's country */
    const char *name;         /* a venue, or NULL */
} bench_place;

/* bench_names_place: where an event involving country took place: mostly a
 * city of that country, sometimes with a venue. */
void bench_names_place(bench_rng *r, const char *country, bench_place *out);

/* bench_names_tag_draw: a tag, skewed. */
const char *bench_names_tag_draw(bench_rng *r);

#endif
