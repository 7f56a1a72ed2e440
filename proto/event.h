/* event.h: the annals event model shared by daemon and client: validation of
 * an event received as a msgpack map, and its canonical encoding (the "body"
 * the daemon stores and sends back). PROTOCOL.md describes every field. */
#ifndef ANNALS_EVENT_H
#define ANNALS_EVENT_H

#include <stddef.h>
#include <msgpack.h>

#include "proto/buf.h"
#include "proto/edtf.h"

#define EVENT_ID_MAX 128          /* bytes */
#define EVENT_TOKEN_MAX 64        /* bytes of a kind or tag */
#define EVENT_DEFAULT_MAX_RECORD (1024 * 1024)

typedef struct {
    char id[EVENT_ID_MAX + 1];    /* NUL-terminated; "" when the event had none */
    size_t id_len;
    edtf_date start, end;         /* end == start when not given */
    int has_end;
    edtf_bounds_t bounds;
    buf_t body;                   /* owned: the canonical msgpack map of every
                                     field but id (see event_validate) */
    unsigned body_fields;         /* entries in that map */
} event_t;

void event_init(event_t *ev);
void event_release(event_t *ev);

/* event_validate: check obj as an event and build its canonical body.
 * obj must be a map with string keys. Known fields are checked for type,
 * form and UTF-8 (see PROTOCOL.md); an unknown top-level field is an error;
 * the server-set fields (seq, created, updated, bounds, certainty) are
 * accepted and ignored so an exported event can be put back as it is; a nil
 * value means the field is absent. The body is a msgpack map of the present
 * fields but id, in the canonical order kind, cameo, title, summary, lang,
 * start, end, place, countries, participants, tags, sources, parent, extra,
 * with dates in their canonical EDTF form and "kind" defaulting to "other".
 * max_record bounds the body size.
 * Returns 0; ERROR_BAD_REQUEST with a message naming the field ("start:
 * '2024-13' is not a valid month", "participants[2].name: expected a string,
 * got an integer"); or ERROR_TOO_LARGE. ev must have been event_init()ed; on
 * error its contents are unspecified but still released by event_release. */
int event_validate(const msgpack_object *obj, size_t max_record, event_t *ev,
                   char *err, size_t errlen);

/* event_check_id: whether s[0..len) is a valid id (1-128 bytes of UTF-8
 * without control characters). Returns 0 or ERROR_BAD_REQUEST with a message
 * prefixed by field ("id: ..."). */
int event_check_id(const char *field, const char *s, size_t len, char *err, size_t errlen);

/* event_check_token: whether s[0..len) is a lowercase token as kinds and tags
 * are: 1-64 bytes of [a-z0-9_-] starting with a letter or digit. */
int event_check_token(const char *field, const char *s, size_t len, char *err, size_t errlen);

/* event_type_name: the words messages use for a msgpack type ("a string",
 * "an integer", "a map", ...); static strings. */
const char *event_type_name(const msgpack_object *o);

/* event_is_cameo: whether s[0..len) has the form of a CAMEO event code, as
 * an event's cameo field must: 2 to 4 digits. */
int event_is_cameo(const char *s, size_t len);

/* event_check_country: whether s[0..len) is an assigned ISO 3166-1 alpha-2
 * code in upper case. */
int event_check_country(const char *field, const char *s, size_t len, char *err, size_t errlen);

#endif
