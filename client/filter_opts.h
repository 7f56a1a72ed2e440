/* filter_opts.h: the filter options that every command selecting events
 * shares (range, count, watch, hist, top, search): --mode and the filters of
 * PROTOCOL.md section 6, turned into the params of a range-like call. */
#ifndef ANNALS_CLIENT_FILTER_OPTS_H
#define ANNALS_CLIENT_FILTER_OPTS_H

#include <stddef.h>
#include <jansson.h>

#include "client/cli.h"

/* The filter options, to put in a command's opts_spec table. --q is apart:
 * search takes its text as an argument instead. */
#define FILTER_OPTS_SPEC \
    { "mode", 0, 1 }, { "kind", 0, 1 }, { "country", 0, 1 }, { "tag", 0, 1 }, \
    { "participant", 0, 1 }, { "place", 0, 1 }, { "parent", 0, 1 }
#define FILTER_OPTS_Q_SPEC { "q", 0, 1 }

/* What they mean, for a command's help text. */
#define FILTER_OPTS_HELP \
    "  --mode overlap|within  overlap (default): events that may meet the window;\n" \
    "                         within: events certainly inside it\n" \
    "  --kind KIND            only this kind (repeat for any of several; other\n" \
    "                         options must hold too)\n" \
    "  --country CC           only events involving this country (repeatable)\n" \
    "  --tag TAG              only events with this tag (repeatable)\n" \
    "  --participant NAME     only events with a participant whose name or an\n" \
    "                         alias holds the words of NAME in order, whatever\n" \
    "                         the case, accents or Arabic spelling (repeatable;\n" \
    "                         a comma is part of the name)\n" \
    "  --place PLACE          only events placed in the country PLACE (two\n" \
    "                         letters), or whose city or place name holds the\n" \
    "                         words of PLACE in order (repeatable, as above)\n" \
    "  --parent ID            only the events whose parent is ID (repeatable)\n"
#define FILTER_OPTS_Q_HELP \
    "  --q TEXT               only events whose text (title, summary, names,\n" \
    "                         roles, place, tags) has every word of TEXT, and\n" \
    "                         the words of each \"quoted phrase\" side by side\n"

/* filter_opts_params: add to params the window and the filter of a
 * range-like call: from and to from the positional arguments first and
 * first + 1 (when given), and --mode and every filter option o holds (a
 * string when given once, an array when repeated; --q a string). Returns 0,
 * or CLI_USAGE after reporting a bad --mode, an empty value, a repeated
 * --q or a value that is not UTF-8. Dates and filter values otherwise go to the server as given: it is the
 * one that knows EDTF and the text normaliser. params stays the caller's. */
int filter_opts_params(const cli_ctx *ctx, const opts_result *o, size_t first,
                       json_t *params);

/* filter_opts_set: params[key] = value as a JSON string. Returns 0, or
 * CLI_USAGE after reporting (as WHAT) a value that is not valid UTF-8, which
 * jansson would refuse and the filter would silently be dropped. */
int filter_opts_set(const cli_ctx *ctx, json_t *params, const char *key, const char *what,
                    const char *value);

#endif
