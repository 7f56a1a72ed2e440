/* cameo_codes.h: CAMEO event codes (the action of a GDELT event): their
 * names, for titles, and the annals kind each maps to. */
#ifndef ANNALS_CLIENT_CAMEO_CODES_H
#define ANNALS_CLIENT_CAMEO_CODES_H

#include <stddef.h>

/* cameo_codes_name: the CAMEO codebook's name for code s[0..len) ("Make a
 * visit", "Sign formal agreement"). A four-digit code missing from the
 * table is named by its three-digit base code, and that by its two-digit
 * root, so every code of the right form has a name; NULL for one whose
 * root is not 01-20. The string returned is static. */
const char *cameo_codes_name(const char *s, size_t len);

/* cameo_codes_kind: the annals kind of code s[0..len): "visit" for 042
 * (make a visit) and 043 (host a visit); "meeting" for 036 (express intent
 * to meet or negotiate), 040 (consult), 044 (meet at a third location), 045
 * (mediate) and 046 (engage in negotiation); "agreement" for 057 (sign
 * formal agreement); "other" for every other code. Static strings. */
const char *cameo_codes_kind(const char *s, size_t len);

#endif
