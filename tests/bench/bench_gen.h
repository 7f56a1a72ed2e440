/* bench_gen.h: a deterministic generator of realistic events for the load
 * generator, shaped like the seed timeline (config/seed-events.jsonl): an
 * Arabic title of about 70 bytes and summary of about 350 (bench_text.h), a
 * kind, a start day between 2000 and 2026 and a span (mostly 0-3 days, a few
 * times or qualifiers, rarely a month, several months, a year or several
 * years), one to three countries, a place, one to four participants, one
 * to three tags, and for some a parent. About 800 bytes packed. The same seed
 * gives the same events on every machine. */
#ifndef ANNALS_BENCH_GEN_H
#define ANNALS_BENCH_GEN_H

#include <stdint.h>
#include <msgpack.h>

#include "tests/bench/bench_rng.h"

/* Days from 2000-01-01 to 2026-12-31 inclusive: the span of start days. */
#define BENCH_GEN_DAYS 9862
#define BENCH_GEN_FIRST_YEAR 2000
#define BENCH_GEN_LAST_YEAR 2026

/* bench_gen_event: pack the next event of the stream r (a map, without id:
 * the server generates one) with pk. */
void bench_gen_event(bench_rng *r, msgpack_packer *pk);

/* bench_gen_event_at: pack event i of the set named by seed. It depends on
 * seed and i only, so any thread may generate any event and the first N
 * events of a set are the same whatever N. One event in a thousand is a
 * conference with an id of its own ("g<seed>-<i>"); some 3% of the others
 * take place during one of them and name it as their parent. */
void bench_gen_event_at(uint64_t seed, uint64_t i, msgpack_packer *pk);

/* bench_gen_event_id_at: event i of the set seed as bench_gen_event_at
 * packs it, but every event carries the id "g<seed>-<i>", so a client knows
 * the ids without asking the server (the side-by-side benchmark stores the
 * same events under the same ids in every system). */
void bench_gen_event_id_at(uint64_t seed, uint64_t i, msgpack_packer *pk);

/* bench_gen_civil: the calendar date of day (days since 2000-01-01; may be
 * negative or past 2026). */
void bench_gen_civil(int32_t day, int *y, int *m, int *d);

/* bench_gen_day: day as "YYYY-MM-DD" (out holds at least 16 bytes). */
void bench_gen_day(int32_t day, char *out);

#endif
