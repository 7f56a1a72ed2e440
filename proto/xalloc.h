/* xalloc.h: allocation that never returns NULL. Out of memory aborts with a
 * message, since a half-handled OOM is worse than a clean exit. */
#ifndef ANNALS_XALLOC_H
#define ANNALS_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

#endif
