/* textnorm.h: the text normaliser of the full-text index. It splits UTF-8
 * text into words and folds each word to the form the index stores, so that
 * the spellings people actually type for one word (with or without harakat,
 * hamza, article or accents) meet on one key. Pure functions, no allocation,
 * no global state.
 *
 * The rules, applied to every word in this order:
 *
 * 1. Words. A word is a maximal run of letters, digits and ignorable marks;
 *    everything else separates words: ASCII punctuation and spaces, Latin-1
 *    punctuation (« » NBSP ...), the Arabic comma, semicolon, question mark,
 *    percent and full stop (U+060C U+061B U+061F U+066A-066D U+06D4), the
 *    General Punctuation block (“ ” ’ – — ZWSP ...), currency, arrows, maths,
 *    dingbats, CJK and fullwidth punctuation, emoji. Invalid UTF-8 bytes are
 *    separators too, one byte at a time. Code points not listed are taken as
 *    letters, so other scripts form words without a table of their own.
 *
 * 2. Ignorable marks are dropped inside a word without splitting it: Arabic
 *    harakat U+064B-065F, superscript alef U+0670, Quranic marks U+06D6-06ED,
 *    honorifics U+0610-061A, tatweel U+0640; Latin combining accents
 *    U+0300-036F (so decomposed "e" + U+0301 folds like precomposed "é");
 *    soft hyphen, ZWNJ, ZWJ, bidi marks and variation selectors. A run of
 *    nothing but such marks is not a word.
 *
 * 3. Arabic folding: أ إ آ ٱ -> ا; ى -> ي; ة -> ه; ؤ -> و and ئ -> ي (the
 *    hamza seat is the letter people leave out or misplace most, and light
 *    stemmers fold it the same way); the Persian forms ی -> ي and ک -> ك;
 *    Arabic-Indic digits ٠-٩ and Persian ۰-۹ -> ASCII 0-9.
 *
 * 4. Latin folding: ASCII A-Z to lower case; U+00C0-U+017F (Latin-1 and
 *    Latin Extended-A) to lower-case ASCII without accents, ß -> ss,
 *    æ -> ae, œ -> oe, ĳ -> ij, þ -> th, ð đ -> d, ø -> o, ł -> l, ı İ -> i.
 *    A trailing possessive "'s" or "’s" after a Latin word is dropped with
 *    its apostrophe ("Interpol's" -> "interpol"). No other Latin stemming:
 *    "events" and "event" are different words. Other scripts, including
 *    Latin Extended-B, Greek and Cyrillic, pass through unchanged.
 *
 * 5. Arabic light stemming, after folding, only for words made entirely of
 *    Arabic letters (so "2025" or a mixed token stays exact). It follows
 *    Larkey's light10 as Lucene's ArabicStemmer does, counting in letters:
 *    - at most one prefix, the first of وال بال كال فال لل ال that starts
 *      the word and leaves at least 2 letters; failing those, و when it
 *      leaves at least 3 letters, unless the word starts with a common noun
 *      or verb whose first letter is و (وزير وزار وزرا وكال ولاي والي وطن وفد
 *      وقت وضع وحد وثيق وسط وصل وجه ورق ولد): without that list "وزارة"
 *      would stem to "زار" but "الوزارة" to "وزار", and neither would find
 *      the other;
 *    - then the suffixes ها ان ات ون ين يه ه ي, each tried once in that
 *      order (ية and ة of light10 are covered by the ة -> ه fold), each
 *      removed from the end when at least 2 letters remain.
 *    So "الأنتربول", "أنتربول", "للأنتربول", "والأنتربول" and "بالأنتربول"
 *    all give "انتربول"; "المغربية", "المغربي" and "المغرب" all give "مغرب";
 *    "للجمعية" and "الجمعية" both give "جمع"; "ولد" stays "ولد".
 *
 * The same function serves documents and queries, so whatever a rule
 * conflates it conflates on both sides: a query finds every word that
 * shares its key, never fewer. */
#ifndef ANNALS_TEXTNORM_H
#define ANNALS_TEXTNORM_H

#include <stddef.h>

/* The smallest out buffer the functions below accept: one code point of 4
 * bytes and the NUL, so that every word yields at least one character and a
 * return of 0 can only mean "no word". */
#define TEXTNORM_OUT_MIN 5

/* textnorm_next_token: the next word of s[*pos..len), normalised and stemmed.
 * @param[in]     s       UTF-8 text (invalid bytes separate words); need not
 *                        be NUL-terminated.
 * @param[in]     len     the length of s in bytes.
 * @param[in,out] pos     where to start; on return, just past the word found
 *                        (and past its possessive "'s", if any), or len when
 *                        no word is left. Start at 0 and call until 0.
 * @param[out]    out     the word's normalised form, NUL-terminated; when it
 *                        needs more than outcap - 1 bytes it is cut on a code
 *                        point boundary, and *pos still moves past the whole
 *                        word. Owned by the caller; "" when 0 is returned.
 * @param[in]     outcap  the size of out, at least TEXTNORM_OUT_MIN.
 * @return the length of out in bytes (> 0), or 0 when no word is left. */
size_t textnorm_next_token(const char *s, size_t len, size_t *pos,
                           char *out, size_t outcap);

/* textnorm_word: a query term normalised and stemmed exactly as
 * textnorm_next_token does a word of a document. Separators around the term
 * are skipped; if w holds more than one word, only the first is normalised
 * (split a query with textnorm_next_token to use them all).
 * @param[in]  w       UTF-8 text of the term, len bytes.
 * @param[out] out     as for textnorm_next_token.
 * @param[in]  outcap  the size of out, at least TEXTNORM_OUT_MIN.
 * @return the length of out in bytes, or 0 when w holds no word. */
size_t textnorm_word(const char *w, size_t len, char *out, size_t outcap);

#endif
