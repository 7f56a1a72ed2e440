/* arrivals.c: when each request of a connection arrived (see arrivals.h). */
#include <string.h>

#include "daemon/arrivals.h"

void arrivals_read(arrivals *a, uint64_t end, uint64_t ns)
{
    if (a->n == ARRIVALS_MAX) {
        a->reads[a->n - 1].end = end;
        return;
    }
    a->reads[a->n].end = end;
    a->reads[a->n].ns = ns;
    a->n++;
}

uint64_t arrivals_time(arrivals *a, uint64_t end)
{
    unsigned i = 0;
    while (i < a->n && a->reads[i].end < end)
        i++;
    if (i > 0) {
        memmove(a->reads, a->reads + i, (a->n - i) * sizeof a->reads[0]);
        a->n -= i;
    }
    return a->n > 0 ? a->reads[0].ns : 0;
}
