/* bench_gen.h: a deterministic generator of realistic events for the load
 * generator: an Arabic title of about 70 bytes and summary of about 350, one
 * to three countries, tags, a day between 2000 and 2026. The same seed gives
 * the same events on every machine. */
#ifndef ANNALS_BENCH_GEN_H
#define ANNALS_BENCH_GEN_H

#include <stdint.h>
#include <msgpack.h>

#include "tests/bench/bench_rng.h"

/* bench_gen_event: pack the next event (a map, without id: the server
 * generates one) with pk. */
void bench_gen_event(bench_rng *r, msgpack_packer *pk);

#endif
