/* opts.c: the long-option parser of opts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/opts.h"
#include "proto/xalloc.h"

const opts_spec *opts_find(const opts_spec *const *tables, const char *arg)
{
    size_t len = strcspn(arg, "=");
    for (; *tables; tables++)
        for (const opts_spec *s = *tables; s->name; s++)
            if (strlen(s->name) == len && strncmp(s->name, arg, len) == 0)
                return s;
    return NULL;
}

static const opts_spec *opts_find_short(const opts_spec *const *tables, char c)
{
    for (; *tables; tables++)
        for (const opts_spec *s = *tables; s->name; s++)
            if (s->short_name && s->short_name == c)
                return s;
    return NULL;
}

int opts_parse(int argc, char **argv, const opts_spec *const *tables,
               opts_result *res, char *err, size_t errlen)
{
    int options_done = 0;

    /* Every argument yields at most one hit or one positional, so argc
     * bounds both arrays. */
    res->hits = xcalloc((size_t)argc + 1, sizeof *res->hits);
    res->args = xcalloc((size_t)argc + 1, sizeof *res->args);
    res->nhits = res->nargs = 0;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const opts_spec *s;
        const char *value = NULL;

        if (options_done || a[0] != '-' || a[1] == '\0') {
            res->args[res->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (a[1] != '-') {
            s = a[2] == '\0' ? opts_find_short(tables, a[1]) : NULL;
            if (!s) {
                snprintf(err, errlen, "unknown option '%s'", a);
                return -1;
            }
        } else {
            s = opts_find(tables, a + 2);
            if (!s) {
                snprintf(err, errlen, "unknown option '%.*s'",
                         (int)strcspn(a, "="), a);
                return -1;
            }
            const char *eq = strchr(a, '=');
            if (eq && !s->takes_value) {
                snprintf(err, errlen, "option '--%s' takes no value", s->name);
                return -1;
            }
            if (eq)
                value = eq + 1;
        }
        if (s->takes_value && !value) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option '--%s' needs a value", s->name);
                return -1;
            }
            value = argv[++i];
        }
        res->hits[res->nhits].name = s->name;
        res->hits[res->nhits].value = value;
        res->nhits++;
    }
    return 0;
}

void opts_release(opts_result *res)
{
    free(res->hits);
    free(res->args);
    res->hits = NULL;
    res->args = NULL;
    res->nhits = res->nargs = 0;
}

size_t opts_count(const opts_result *res, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < res->nhits; i++)
        if (strcmp(res->hits[i].name, name) == 0)
            n++;
    return n;
}

const char *opts_value(const opts_result *res, const char *name)
{
    for (size_t i = res->nhits; i-- > 0;)
        if (strcmp(res->hits[i].name, name) == 0)
            return res->hits[i].value;
    return NULL;
}

const char *opts_nth(const opts_result *res, const char *name, size_t i)
{
    for (size_t k = 0; k < res->nhits; k++)
        if (strcmp(res->hits[k].name, name) == 0 && i-- == 0)
            return res->hits[k].value;
    return NULL;
}
