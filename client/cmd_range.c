/* cmd_range.c: the commands that select events by window and filters:
 * range (a table or JSON lines), count, and export (JSON lines that import
 * takes back). range and export page through the results with the cursor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/filter_opts.h"
#include "client/render.h"
#include "proto/buf.h"
#include "proto/xalloc.h"

#define CMD_RANGE_PAGE 1000   /* events asked for per request */

static const opts_spec cmd_range_filter_opts[] = {
    FILTER_OPTS_SPEC, FILTER_OPTS_Q_SPEC,
    { NULL, 0, 0 }
};

static const opts_spec cmd_range_range_opts[] = {
    FILTER_OPTS_SPEC, FILTER_OPTS_Q_SPEC,
    { "limit", 0, 1 }, { "order", 0, 1 },
    { NULL, 0, 0 }
};

/* One page of events. Returns 0 with *events (a new reference to an array)
 * and *next (a copy, or NULL at the end), or an exit code. */
static int cmd_range_page(cli_ctx *ctx, json_t *params, size_t limit, char **cursor,
                          json_t **events)
{
    json_t *res;
    json_object_set_new(params, "limit", json_integer((json_int_t)limit));
    if (*cursor)
        json_object_set_new(params, "cursor", json_string(*cursor));
    int rc = cli_call(ctx, "range", params, &res);
    if (rc)
        return rc;
    *events = json_incref(json_object_get(res, "events"));
    json_t *next = json_object_get(res, "next");
    char *prev = *cursor;
    *cursor = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
    json_decref(res);
    if (!json_is_array(*events) || (*cursor && prev && strcmp(*cursor, prev) == 0)) {
        /* A cursor that does not move would page forever. */
        cli_error("protocol error: %s", json_is_array(*events)
                  ? "range returned the same cursor twice" : "range result without events");
        json_decref(*events);
        free(prev);
        return CLI_CONN;
    }
    free(prev);
    return 0;
}

static const render_col cmd_range_cols[] = {
    { "START", 0, 0 }, { "END", 0, 0 }, { "KIND", 0, 12 }, { "COUNTRIES", 0, 20 },
    { "MATCH", 0, 0 }, { "ID", 0, 0 }, { "TITLE", RENDER_SHRINK, 0 }
};

static void cmd_range_row(render_table *t, const json_t *ev)
{
    buf_t countries;
    size_t i;
    json_t *c;
    buf_init(&countries);
    json_array_foreach(json_object_get(ev, "countries"), i, c) {
        if (i)
            buf_append(&countries, ",", 1);
        if (json_is_string(c))
            buf_append(&countries, json_string_value(c), json_string_length(c));
    }
    buf_append(&countries, "", 1);
    const char *cells[] = {
        json_string_value(json_object_get(ev, "start")),
        json_string_value(json_object_get(ev, "end")),
        json_string_value(json_object_get(ev, "kind")),
        countries.data,
        json_string_value(json_object_get(ev, "certainty")),
        json_string_value(json_object_get(ev, "id")),
        json_string_value(json_object_get(ev, "title")),
    };
    render_table_add(t, cells);
    buf_release(&countries);
}

int cmd_range_each(cli_ctx *ctx, json_t *params, size_t want, cmd_range_page_fn page,
                   void *arg)
{
    char *cursor = NULL;
    size_t got = 0;
    int rc = 0;
    do {
        size_t left = want ? want - got : CMD_RANGE_PAGE;
        json_t *events;
        rc = cmd_range_page(ctx, params, left < CMD_RANGE_PAGE ? left : CMD_RANGE_PAGE,
                            &cursor, &events);
        if (rc)
            break;
        size_t n = json_array_size(events);
        if (want && n > want - got)
            n = want - got;
        rc = page(arg, events, n);
        json_decref(events);
        got += n;
    } while (rc == 0 && cursor && (!want || got < want));
    free(cursor);
    return rc;
}

/* Pages as JSON lines, flushed page by page so that a reader sees them come. */
static int cmd_range_print_page(void *arg, const json_t *events, size_t n)
{
    (void)arg;
    for (size_t i = 0; i < n; i++)
        cli_print_json(json_array_get(events, i));
    return cli_flush_stdout();
}

/* Pages as table rows: the widths need every row before the first is printed. */
static int cmd_range_table_page(void *arg, const json_t *events, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cmd_range_row(arg, json_array_get(events, i));
    return 0;
}

int cmd_range_list(cli_ctx *ctx, const opts_result *o, json_t *params)
{
    const char *order = opts_value(o, "order");
    const char *lim = opts_value(o, "limit");
    size_t want = 0;
    int rc;
    if (order) {
        if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
            return cli_usage_error(ctx, "--order must be asc or desc, not '%s'", order);
        json_object_set_new(params, "order", json_string(order));
    }
    if (lim) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(lim, &end, 10);
        if (!*lim || *end || errno || n == 0 || lim[0] == '-')
            return cli_usage_error(ctx, "--limit must be a positive integer, not '%s'", lim);
        want = (size_t)n;
    }
    if (ctx->json)
        return cmd_range_each(ctx, params, want, cmd_range_print_page, NULL);
    render_table *t = render_table_new(cmd_range_cols,
                                       sizeof cmd_range_cols / sizeof cmd_range_cols[0]);
    rc = cmd_range_each(ctx, params, want, cmd_range_table_page, t);
    if (rc == 0) {
        render_table_print(t, stdout, render_terminal_width(STDOUT_FILENO));
        rc = cli_flush_stdout();
    }
    render_table_free(t);
    return rc;
}

static int cmd_range_range_run(cli_ctx *ctx, const opts_result *o)
{
    json_t *params = json_object();
    int rc = filter_opts_params(ctx, o, 0, params);
    if (rc == 0)
        rc = cmd_range_list(ctx, o, params);
    json_decref(params);
    return rc;
}

static int cmd_range_count_run(cli_ctx *ctx, const opts_result *o)
{
    json_t *params = json_object(), *res;
    int rc = filter_opts_params(ctx, o, 0, params);
    if (rc == 0)
        rc = cli_call(ctx, "count", params, &res);
    json_decref(params);
    if (rc)
        return rc;
    json_int_t n = json_integer_value(json_object_get(res, "count"));
    json_decref(res);
    if (ctx->json)
        printf("{\"count\":%" JSON_INTEGER_FORMAT "}\n", n);
    else
        printf("%" JSON_INTEGER_FORMAT "\n", n);
    return cli_flush_stdout();
}

static int cmd_range_export_run(cli_ctx *ctx, const opts_result *o)
{
    json_t *params = json_object();
    int rc = filter_opts_params(ctx, o, 0, params);
    if (rc == 0)
        rc = cmd_range_each(ctx, params, 0, cmd_range_print_page, NULL);
    json_decref(params);
    return rc;
}

const cli_command cmd_range_range = {
    "range", "range [FROM [TO]] [OPTIONS]", "list the events of a window",
    "List the events that meet the window from FROM to TO (EDTF dates such as\n"
    "2024, 2025-01 or 2025-01-31; either may be omitted for an open window).\n"
    "On a terminal: a table of START, END, KIND, COUNTRIES, MATCH (certain or\n"
    "possible), ID and TITLE; otherwise one JSON event per line, as returned.\n"
    "\n"
    "Options:\n"
    FILTER_OPTS_HELP
    FILTER_OPTS_Q_HELP
    "  --limit N              print at most N events (default: all of them)\n"
    "  --order asc|desc       by earliest possible start (default asc)\n",
    cmd_range_range_opts, 0, 2, cmd_range_range_run
};

const cli_command cmd_range_count = {
    "count", "count [FROM [TO]] [OPTIONS]", "count the events of a window",
    "Print how many events range would list (JSON: {\"count\":N}).\n"
    "\n"
    "Options:\n"
    FILTER_OPTS_HELP
    FILTER_OPTS_Q_HELP,
    cmd_range_filter_opts, 0, 2, cmd_range_count_run
};

const cli_command cmd_range_export = {
    "export", "export [FROM [TO]]", "write events as JSON lines",
    "Write every event, or those that may meet the window from FROM to TO, as\n"
    "JSON lines on stdout, whatever stdout is. 'annals import' takes the\n"
    "output back as it is (the server ignores the fields it sets itself).\n",
    NULL, 0, 2, cmd_range_export_run
};
