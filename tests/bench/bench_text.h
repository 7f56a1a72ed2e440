/* bench_text.h: the Arabic of the generated events: a vocabulary of about
 * 2 800 words (500 real ones, most frequent first, then words built from
 * Arabic roots and patterns), drawn with a Zipf-like law so that a text
 * index sees posting lists of realistic sizes, with the prefixes (ال و ب لل)
 * and suffixes real text carries, harakat now and then, and set phrases
 * ("الأمم المتحدة") that phrase queries can find. Also the words that the
 * query workloads search for, taken from the same vocabulary. */
#ifndef ANNALS_BENCH_TEXT_H
#define ANNALS_BENCH_TEXT_H

#include <stddef.h>

#include "proto/buf.h"
#include "tests/bench/bench_rng.h"

/* bench_text_title: append a headline of about target bytes to b, opened
 * by a noun that suits the event's kind (0 visit, 1 meeting, 2 agreement,
 * 3 conference, 4 other). */
void bench_text_title(bench_rng *r, buf_t *b, size_t target, unsigned kind);

/* bench_text_summary: append sentences of about target bytes to b. */
void bench_text_summary(bench_rng *r, buf_t *b, size_t target);

/* bench_text_common_word: a frequent content word (among the 50 most
 * frequent after the function words: each is in some 5-10% of events),
 * sometimes without its article, for a one-word search. Static storage. */
const char *bench_text_common_word(bench_rng *r);

/* bench_text_mid_word: a word of middling frequency (in some 1-5% of
 * events), the second word of a two-word search. Static storage. */
const char *bench_text_mid_word(bench_rng *r);

/* bench_text_phrase: one of the frequent set phrases (two or more words),
 * for a quoted-phrase search. Static storage. */
const char *bench_text_phrase(bench_rng *r);

#endif
