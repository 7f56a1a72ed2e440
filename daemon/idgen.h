/* idgen.h: time-sortable event ids (ULID layout: 48-bit milliseconds and 80
 * random bits in Crockford base 32), monotonic within one process. */
#ifndef ANNALS_IDGEN_H
#define ANNALS_IDGEN_H

#define IDGEN_LEN 26

/* idgen_next: write a new id and a NUL into out (IDGEN_LEN + 1 bytes). */
void idgen_next(char *out);

#endif
