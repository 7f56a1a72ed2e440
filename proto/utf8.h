/* utf8.h: UTF-8 validation and terminal display width, shared by the daemon
 * (which rejects invalid text) and the client (which lines up tables). */
#ifndef ANNALS_UTF8_H
#define ANNALS_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* utf8_valid: whether s[0..len) is well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). On failure, when bad_at is
 * not NULL, *bad_at is the offset of the first invalid byte. */
int utf8_valid(const char *s, size_t len, size_t *bad_at);

/* utf8_has_control: whether s[0..len) (valid UTF-8) contains a C0 control
 * character, DEL or a C1 control (U+0080-U+009F). */
int utf8_has_control(const char *s, size_t len);

/* utf8_decode: the code point starting at s[0..len) into *cp; returns its
 * length in bytes (1-4), or -1 when the sequence is invalid or truncated. */
int utf8_decode(const char *s, size_t len, uint32_t *cp);

/* utf8_cp_width: the columns a code point takes in a terminal: 0 for
 * combining marks (Arabic harakat among them), format characters and
 * controls, 2 for East Asian wide and fullwidth characters, 1 otherwise.
 * Locale-independent. */
int utf8_cp_width(uint32_t cp);

/* utf8_width: the display width of s[0..len); invalid bytes count 1 each. */
size_t utf8_width(const char *s, size_t len);

/* utf8_truncate: the byte length of the longest prefix of s[0..len) whose
 * display width is at most max_cols, cut on a code point boundary and keeping
 * any zero-width marks that follow the last kept character. */
size_t utf8_truncate(const char *s, size_t len, size_t max_cols);

/* utf8_prefix: the byte length of the longest prefix of s[0..len) that
 * holds at most max bytes, is well-formed UTF-8 and ends on a code point
 * boundary (it stops before the first invalid byte): how much of a client's
 * string an error message may quote without cutting a character in two. */
size_t utf8_prefix(const char *s, size_t len, size_t max);

#endif
