/* cmd_query.c: the commands that summarise or search the events of a window:
 * hist (counts per day, week, month or year), top (the most frequent values
 * of a field) and search (range with a text query). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/filter_opts.h"
#include "client/hist_bars.h"
#include "client/render.h"
#include "proto/buf.h"
#include "proto/xalloc.h"

#define CMD_QUERY_HIST_WIDTH 80   /* the chart's width when none is known */
#define CMD_QUERY_TOP_MAX 1000    /* the largest limit top takes (PROTOCOL.md) */

static const char *const cmd_query_units[] = { "day", "week", "month", "year", NULL };
static const char *const cmd_query_fields[] = {
    "country", "kind", "tag", "participant", "place", NULL
};

static int cmd_query_one_of(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(v, *list) == 0)
            return 1;
    return 0;
}

/* A reply that does not have the shape PROTOCOL.md gives it: the server is
 * not one we can talk to. */
static int cmd_query_bad_reply(const char *method, const char *what)
{
    cli_error("protocol error: the result of %s %s", method, what);
    return CLI_CONN;
}

/* Whether v is an array of pairs [string, count], each count a
 * non-negative integer: the buckets of histogram and the top of top. */
static int cmd_query_pairs(const json_t *v)
{
    size_t i;
    json_t *p;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, p) {
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            !json_is_string(json_array_get(p, 0)) ||
            !json_is_integer(json_array_get(p, 1)) ||
            json_integer_value(json_array_get(p, 1)) < 0)
            return 0;
    }
    return 1;
}

/* The "total" of a result, or -1 when it is not a non-negative integer. */
static json_int_t cmd_query_total(const json_t *res)
{
    const json_t *t = json_object_get(res, "total");
    return json_is_integer(t) && json_integer_value(t) >= 0 ? json_integer_value(t) : -1;
}

/* ---- hist ------------------------------------------------------------------ */

static void cmd_query_hist_chart(const json_t *buckets, json_int_t total)
{
    size_t n = json_array_size(buckets), i;
    hist_bars_bucket *b = xcalloc(n ? n : 1, sizeof *b);
    json_t *p;
    buf_t out;
    json_array_foreach(buckets, i, p) {
        b[i].label = json_string_value(json_array_get(p, 0));
        b[i].count = (uint64_t)json_integer_value(json_array_get(p, 1));
    }
    buf_init(&out);
    hist_bars_render(&out, b, n, (uint64_t)total,
                     render_terminal_width_or(STDOUT_FILENO, CMD_QUERY_HIST_WIDTH));
    fwrite(out.data, 1, out.len, stdout);
    buf_release(&out);
    free(b);
}

static int cmd_query_hist_run(cli_ctx *ctx, const opts_result *o)
{
    const char *by = opts_value(o, "by");
    json_t *params, *res, *buckets, *p;
    json_int_t total;
    size_t i;
    int rc;

    if (!by)
        return cli_usage_error(ctx, "--by is required: day, week, month or year");
    if (!cmd_query_one_of(by, cmd_query_units))
        return cli_usage_error(ctx, "--by must be day, week, month or year, not '%s'", by);
    params = json_object();
    rc = filter_opts_params(ctx, o, 0, params);
    if (rc == 0) {
        json_object_set_new(params, "bucket", json_string(by));
        if (opts_count(o, "spread"))
            json_object_set_new(params, "spread", json_true());
        rc = cli_call(ctx, "histogram", params, &res);
    }
    json_decref(params);
    if (rc)
        return rc;
    buckets = json_object_get(res, "buckets");
    total = cmd_query_total(res);
    if (!cmd_query_pairs(buckets) || total < 0) {
        json_decref(res);
        return cmd_query_bad_reply("histogram", "is not {buckets: [[start, count], ...], total}");
    }
    if (ctx->json) {
        json_array_foreach(buckets, i, p) {
            json_t *line = json_pack("{s:O, s:O}", "start", json_array_get(p, 0),
                                     "count", json_array_get(p, 1));
            cli_print_json(line);
            json_decref(line);
        }
    } else {
        cmd_query_hist_chart(buckets, total);
    }
    json_decref(res);
    return cli_flush_stdout();
}

/* ---- top ------------------------------------------------------------------- */

static const render_col cmd_query_top_cols[] = {
    { "RANK", 0, 0 }, { "VALUE", RENDER_SHRINK, 0 }, { "COUNT", 0, 0 }
};

/* The table: numbers are padded to one width so that they line up on the
 * right of their (left-aligned) columns. */
static void cmd_query_top_table(const json_t *top, json_int_t total)
{
    size_t n = json_array_size(top), i;
    render_table *t = render_table_new(cmd_query_top_cols, 3);
    json_int_t most = 0;
    char rank[32], count[32], probe[32];
    json_t *p;

    json_array_foreach(top, i, p)
        if (json_integer_value(json_array_get(p, 1)) > most)
            most = json_integer_value(json_array_get(p, 1));
    int rank_w = snprintf(probe, sizeof probe, "%zu", n);
    int count_w = snprintf(probe, sizeof probe, "%" JSON_INTEGER_FORMAT, most);
    rank_w = rank_w > 4 ? rank_w : 4;      /* "RANK" */
    count_w = count_w > 5 ? count_w : 5;   /* "COUNT" */
    json_array_foreach(top, i, p) {
        snprintf(rank, sizeof rank, "%*zu", rank_w, i + 1);
        snprintf(count, sizeof count, "%*" JSON_INTEGER_FORMAT, count_w,
                 json_integer_value(json_array_get(p, 1)));
        const char *cells[] = { rank, json_string_value(json_array_get(p, 0)), count };
        render_table_add(t, cells);
    }
    render_table_print(t, stdout, render_terminal_width(STDOUT_FILENO));
    render_table_free(t);
    printf("%" JSON_INTEGER_FORMAT " matching event%s\n", total, total == 1 ? "" : "s");
}

static int cmd_query_top_run(cli_ctx *ctx, const opts_result *o)
{
    const char *field = opts_value(o, "field");
    const char *lim = opts_value(o, "limit");
    json_t *params, *res, *top, *p;
    json_int_t total;
    size_t i;
    int rc;

    if (!field)
        return cli_usage_error(ctx, "--field is required: country, kind, tag, participant or place");
    if (!cmd_query_one_of(field, cmd_query_fields))
        return cli_usage_error(ctx, "--field must be country, kind, tag, participant or place, "
                               "not '%s'", field);
    if (lim) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(lim, &end, 10);
        /* strtoul would take a sign or leading blanks: only digits here. */
        if (lim[0] < '0' || lim[0] > '9' || *end || errno || n < 1 || n > CMD_QUERY_TOP_MAX)
            return cli_usage_error(ctx, "--limit must be an integer from 1 to %d, not '%s'",
                                   CMD_QUERY_TOP_MAX, lim);
    }
    params = json_object();
    rc = filter_opts_params(ctx, o, 0, params);
    if (rc == 0) {
        json_object_set_new(params, "field", json_string(field));
        if (lim)
            json_object_set_new(params, "limit", json_integer(strtol(lim, NULL, 10)));
        rc = cli_call(ctx, "top", params, &res);
    }
    json_decref(params);
    if (rc)
        return rc;
    top = json_object_get(res, "top");
    total = cmd_query_total(res);
    if (!cmd_query_pairs(top) || total < 0) {
        json_decref(res);
        return cmd_query_bad_reply("top", "is not {top: [[value, count], ...], total}");
    }
    if (ctx->json) {
        json_array_foreach(top, i, p) {
            json_t *line = json_pack("{s:O, s:O}", "value", json_array_get(p, 0),
                                     "count", json_array_get(p, 1));
            cli_print_json(line);
            json_decref(line);
        }
    } else {
        cmd_query_top_table(top, total);
    }
    json_decref(res);
    return cli_flush_stdout();
}

/* ---- search ---------------------------------------------------------------- */

static int cmd_query_search_run(cli_ctx *ctx, const opts_result *o)
{
    const char *text = o->args[0];
    json_t *params;
    int rc;

    if (!*text)
        return cli_usage_error(ctx, "TEXT must not be empty");
    params = json_object();
    rc = filter_opts_params(ctx, o, 1, params);
    if (rc == 0)
        rc = filter_opts_set(ctx, params, "q", "TEXT", text);
    if (rc == 0)
        rc = cmd_range_list(ctx, o, params);
    json_decref(params);
    return rc;
}

/* ---- the commands ---------------------------------------------------------- */

static const opts_spec cmd_query_hist_opts[] = {
    { "by", 0, 1 }, { "spread", 0, 0 },
    FILTER_OPTS_SPEC, FILTER_OPTS_Q_SPEC,
    { NULL, 0, 0 }
};

static const opts_spec cmd_query_top_opts[] = {
    { "field", 0, 1 }, { "limit", 0, 1 },
    FILTER_OPTS_SPEC, FILTER_OPTS_Q_SPEC,
    { NULL, 0, 0 }
};

/* No --q: the text is the first argument. */
static const opts_spec cmd_query_search_opts[] = {
    { "limit", 0, 1 }, { "order", 0, 1 },
    FILTER_OPTS_SPEC,
    { NULL, 0, 0 }
};

const cli_command cmd_query_hist = {
    "hist", "hist FROM TO --by UNIT [OPTIONS]", "count the events of a window by period",
    "Count the events of the window from FROM to TO (EDTF dates, both needed)\n"
    "per day, week (Monday to Sunday, ISO 8601), month or year of UTC. Each\n"
    "event counts once, in the bucket of its earliest possible start (one that\n"
    "may have begun before FROM counts in the first bucket), so the buckets add\n"
    "up to what 'annals count' says for the same window and options; with\n"
    "--spread, in every bucket that its possible span meets instead.\n"
    "\n"
    "On a terminal: a line per bucket with its start, its count and a bar (the\n"
    "largest bucket fills the width), and a last line with the total:\n"
    "  2024-03  12 \xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"
    "\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\n"
    "  2024-04   0\n"
    "  2024-05   5 \xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\n"
    "  total    17\n"
    "Otherwise (or with --json): one JSON object per bucket, in order, every\n"
    "bucket of the window, empty ones included, and no total line:\n"
    "  {\"start\":\"2024-03\",\"count\":12}\n"
    "start names the bucket: YYYY-MM-DD for a day or a week (its Monday),\n"
    "YYYY-MM for a month, YYYY for a year. At most 10000 buckets.\n"
    "\n"
    "Options:\n"
    "  --by UNIT              the length of a bucket: day, week, month or year\n"
    "                         (required)\n"
    "  --spread               count each event in every bucket it may meet (the\n"
    "                         buckets may then add up to more than the total)\n"
    FILTER_OPTS_HELP
    FILTER_OPTS_Q_HELP,
    cmd_query_hist_opts, 2, 2, cmd_query_hist_run
};

const cli_command cmd_query_top = {
    "top", "top [FROM [TO]] --field F [OPTIONS]", "rank the values of a field",
    "Rank the values of field F (country, kind, tag, participant or place) in\n"
    "the events that range would list for the window from FROM to TO and the\n"
    "options, by the number of events that have each, most first (ties in\n"
    "byte order). An event counts once for each distinct value it has. A\n"
    "participant is ranked by name, a place by its city (else its name);\n"
    "spellings that normalise alike count as one, shown as first written.\n"
    "\n"
    "On a terminal: a table of RANK, VALUE and COUNT, then the number of\n"
    "matching events; otherwise (or with --json) one JSON object per value, in\n"
    "rank order:\n"
    "  {\"value\":\"MA\",\"count\":12}\n"
    "\n"
    "Options:\n"
    "  --field F              country, kind, tag, participant or place (required)\n"
    "  --limit N              the N most frequent values (1 to 1000; default 10)\n"
    FILTER_OPTS_HELP
    FILTER_OPTS_Q_HELP,
    cmd_query_top_opts, 0, 2, cmd_query_top_run
};

const cli_command cmd_query_search = {
    "search", "search TEXT [FROM [TO]] [OPTIONS]", "find events by their words",
    "List the events whose text has every word of TEXT and the words of each\n"
    "\"quoted phrase\" in it side by side, within the window from FROM to TO\n"
    "when given: 'annals range FROM TO --q TEXT'. The text is the title, the\n"
    "summary, the participants' names, aliases and roles, the place's name and\n"
    "city, and the tags. Case, accents, Arabic diacritics and letter variants\n"
    "(\xd8\xa3 \xd8\xa5 \xd8\xa2 and \xd8\xa7, \xd8\xa9 and \xd9\x87, ...) and the common Arabic prefixes and suffixes\n"
    "do not matter: 'assemblee' finds 'Assembl\xc3\xa9" "e', and '\xd8\xa7\xd9\x84\xd8\xa3\xd9\x86\xd8\xaa\xd8\xb1\xd8\xa8\xd9\x88\xd9\x84' finds\n"
    "'\xd9\x84\xd9\x84\xd8\xa5\xd9\x86\xd8\xaa\xd8\xb1\xd8\xa8\xd9\x88\xd9\x84' (PROTOCOL.md, section 10).\n"
    "Events come in date order, printed as range prints them: a table on a\n"
    "terminal, otherwise one JSON event per line.\n"
    "\n"
    "Options:\n"
    "  --limit N              print at most N events (default: all of them)\n"
    "  --order asc|desc       by earliest possible start (default asc)\n"
    FILTER_OPTS_HELP,
    cmd_query_search_opts, 1, 3, cmd_query_search_run
};
