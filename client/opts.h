/* opts.h: the long-option parser of the annals command line: "--name value",
 * "--name=value", flags, repeatable options, "-h", "--" and "-" (a
 * positional argument meaning stdin). Options and positional arguments may
 * be mixed in any order. */
#ifndef ANNALS_CLIENT_OPTS_H
#define ANNALS_CLIENT_OPTS_H

#include <stddef.h>

typedef struct {
    const char *name;   /* without the leading "--"; NULL ends a table */
    char short_name;    /* a one-letter alias ("-h"), or 0 */
    int takes_value;
} opts_spec;

typedef struct {
    const char *name;   /* the spec's name (static) */
    const char *value;  /* borrowed from argv; NULL for a flag */
} opts_hit;

typedef struct {
    opts_hit *hits;     /* owned; in command-line order */
    size_t nhits;
    const char **args;  /* owned array of borrowed argv strings */
    size_t nargs;
} opts_result;

/* opts_parse: parse argv[0..argc) (no program name) against tables, a
 * NULL-terminated list of spec tables. Returns 0, or -1 with a message in
 * err for an unknown option or a missing value. res must be released with
 * opts_release either way; the strings stay borrowed from argv. */
int opts_parse(int argc, char **argv, const opts_spec *const *tables,
               opts_result *res, char *err, size_t errlen);
void opts_release(opts_result *res);

/* opts_find: the spec called name (a "--name" or "--name=..." argument may
 * be given as arg, which is matched up to '='), or NULL. */
const opts_spec *opts_find(const opts_spec *const *tables, const char *arg);

/* opts_count: how many times option name was given. */
size_t opts_count(const opts_result *res, const char *name);

/* opts_value: the value of the last occurrence of name, NULL when absent. */
const char *opts_value(const opts_result *res, const char *name);

/* opts_nth: the value of the i-th occurrence of name, NULL when absent. */
const char *opts_nth(const opts_result *res, const char *name, size_t i);

#endif
