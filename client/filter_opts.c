/* filter_opts.c: the filter options shared by the selecting commands
 * (filter_opts.h). */
#include <string.h>

#include "client/filter_opts.h"

/* The options that may be repeated, in the order their params are added. */
static const char *const filter_opts_lists[] = {
    "kind", "country", "tag", "participant", "place", "parent", NULL
};

/* A list filter: a string when given once, an array when repeated. Values
 * are never split at commas: a participant's or a place's name may hold one. */
static int filter_opts_list(const cli_ctx *ctx, const opts_result *o, const char *name,
                            json_t *params)
{
    size_t n = opts_count(o, name);
    for (size_t i = 0; i < n; i++)
        if (!*opts_nth(o, name, i))
            return cli_usage_error(ctx, "--%s needs a value, not an empty string", name);
    if (n == 1) {
        json_object_set_new(params, name, json_string(opts_value(o, name)));
    } else if (n > 1) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_string(opts_nth(o, name, i)));
        json_object_set_new(params, name, a);
    }
    return 0;
}

int filter_opts_params(const cli_ctx *ctx, const opts_result *o, size_t first,
                       json_t *params)
{
    const char *mode = opts_value(o, "mode");
    const char *q = opts_value(o, "q");
    int rc;

    if (o->nargs > first)
        json_object_set_new(params, "from", json_string(o->args[first]));
    if (o->nargs > first + 1)
        json_object_set_new(params, "to", json_string(o->args[first + 1]));
    if (mode) {
        if (strcmp(mode, "overlap") != 0 && strcmp(mode, "within") != 0)
            return cli_usage_error(ctx, "--mode must be overlap or within, not '%s'", mode);
        json_object_set_new(params, "mode", json_string(mode));
    }
    for (const char *const *name = filter_opts_lists; *name; name++)
        if ((rc = filter_opts_list(ctx, o, *name, params)) != 0)
            return rc;
    if (q) {
        /* q is one string on the wire (words and phrases); two --q would
         * have to be joined, and whether that means both or either is not
         * something to guess. */
        if (opts_count(o, "q") > 1)
            return cli_usage_error(ctx, "--q may be given once (put every word in it)");
        if (!*q)
            return cli_usage_error(ctx, "--q needs a value, not an empty string");
        json_object_set_new(params, "q", json_string(q));
    }
    return 0;
}
