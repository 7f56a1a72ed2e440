/* filter_opts.c: the filter options shared by the selecting commands
 * (filter_opts.h). */
#include <string.h>

#include "client/filter_opts.h"
#include "proto/utf8.h"

/* The options that may be repeated, in the order their params are added. */
static const char *const filter_opts_lists[] = {
    "kind", "country", "tag", "participant", "place", "parent", NULL
};

int filter_opts_set(const cli_ctx *ctx, json_t *params, const char *key, const char *what,
                    const char *value)
{
    json_t *s = json_string(value);
    if (!s)
        return cli_usage_error(ctx, "%s is not valid UTF-8", what);
    json_object_set_new(params, key, s);
    return 0;
}

/* A list filter: a string when given once, an array when repeated. Values
 * are never split at commas: a participant's or a place's name may hold one. */
static int filter_opts_list(const cli_ctx *ctx, const opts_result *o, const char *name,
                            json_t *params)
{
    size_t n = opts_count(o, name);
    for (size_t i = 0; i < n; i++) {
        const char *v = opts_nth(o, name, i);
        if (!*v)
            return cli_usage_error(ctx, "--%s needs a value, not an empty string", name);
        if (!utf8_valid(v, strlen(v), NULL))
            return cli_usage_error(ctx, "--%s is not valid UTF-8", name);
    }
    /* Every value is UTF-8 now, so json_string cannot refuse one. */
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

    if (o->nargs > first && (rc = filter_opts_set(ctx, params, "from", "FROM", o->args[first])) != 0)
        return rc;
    if (o->nargs > first + 1 &&
        (rc = filter_opts_set(ctx, params, "to", "TO", o->args[first + 1])) != 0)
        return rc;
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
        return filter_opts_set(ctx, params, "q", "--q", q);
    }
    return 0;
}
