/* params.h: typed access to a request's named parameters, with the error
 * messages the protocol promises ("limit: expected an integer, got a string"). */
#ifndef ANNALS_PARAMS_H
#define ANNALS_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/rpc.h"

#define PARAMS_LIST_MAX 64

typedef struct {
    const char *s[PARAMS_LIST_MAX];
    size_t len[PARAMS_LIST_MAX];
    unsigned n;
} params_list;

/* params_get: the value of name, or NULL when absent or nil. */
const msgpack_object *params_get(rpc_call *call, const char *name);

/* params_str: a string parameter. *s is NULL when absent and not required.
 * The string is borrowed from the request. Returns 0 or ERROR_BAD_REQUEST. */
int params_str(rpc_call *call, const char *name, int required, const char **s, size_t *len);

/* params_uint: an integer in [min, max]; *out keeps its value when absent. */
int params_uint(rpc_call *call, const char *name, uint64_t min, uint64_t max, uint64_t *out);

/* params_bool: a boolean; *out keeps its value when absent. */
int params_bool(rpc_call *call, const char *name, int *out);

/* params_strings: a string or an array of strings (at most PARAMS_LIST_MAX). */
int params_strings(rpc_call *call, const char *name, params_list *out);

#endif
