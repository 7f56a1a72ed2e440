/* cmd_render.c: the render command: the events of a window, selected as
 * range selects them, written as one self-contained HTML page that shows
 * them on a zoomable time axis (render_html.h, client/render/timeline.html). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "client/filter_opts.h"
#include "client/render_html.h"
#include "client/timeline.h"
#include "proto/utf8.h"
#include "proto/xalloc.h"

static const opts_spec cmd_render_opts[] = {
    FILTER_OPTS_SPEC, FILTER_OPTS_Q_SPEC,
    { "output", 'o', 1 }, { "title", 0, 1 }, { "limit", 0, 1 },
    { NULL, 0, 0 }
};

/* The events a page holds unless --limit says otherwise: beyond some
 * thousands a browser takes seconds to lay the page out, and the page is
 * meant to be looked at, not to archive the window (export does that). */
#define CMD_RENDER_LIMIT 10000

/* Where the page goes: stdout, or a temporary file beside the target that
 * is renamed over it once complete, so that a failed render never leaves a
 * truncated page (nor destroys the previous one). */
typedef struct {
    const char *path;        /* the target as given; NULL for stdout */
    char *tmp;               /* owned; the temporary file, or NULL */
    FILE *f;
} cmd_render_out;

/* The temporary file while it exists, for the signal handler: a render
 * stopped with Ctrl-C (the fetch of a large window can take a while) must
 * not leave FILE.PID.tmp behind. */
static char *volatile cmd_render_tmp_path;
static const int cmd_render_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void cmd_render_on_signal(int sig)
{
    char *tmp = cmd_render_tmp_path;
    if (tmp)
        unlink(tmp);                 /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);                      /* die of the signal, as before */
}

/* Watch the signals while tmp exists (tmp non-NULL), or stop (NULL). */
static void cmd_render_guard(char *tmp)
{
    cmd_render_tmp_path = tmp;
    for (size_t i = 0; i < sizeof cmd_render_signals / sizeof cmd_render_signals[0]; i++)
        signal(cmd_render_signals[i], tmp ? cmd_render_on_signal : SIG_DFL);
}

static int cmd_render_open(cmd_render_out *out, const char *path)
{
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0) {
        out->f = stdout;
        return 0;
    }
    out->path = path;
    size_t n = strlen(path) + 32;
    out->tmp = xmalloc(n);
    snprintf(out->tmp, n, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(out->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(out->f = fdopen(fd, "w"))) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(out->tmp);
        }
        free(out->tmp);
        out->tmp = NULL;
        return CLI_INPUT;
    }
    cmd_render_guard(out->tmp);
    return 0;
}

/* Give up on the output: the temporary file goes. */
static void cmd_render_abandon(cmd_render_out *out)
{
    if (out->tmp) {
        fclose(out->f);
        cmd_render_guard(NULL);
        unlink(out->tmp);
        free(out->tmp);
        out->tmp = NULL;
    }
}

/* Write the page and put it in place. Returns 0 or CLI_INPUT after
 * reporting; either way the output is closed. */
static int cmd_render_commit(cmd_render_out *out, const buf_t *page)
{
    if (!out->tmp) {
        fwrite(page->data, 1, page->len, out->f);
        return cli_flush_stdout();
    }
    int err = 0;
    errno = 0;
    if (fwrite(page->data, 1, page->len, out->f) != page->len || fflush(out->f) != 0)
        err = errno ? errno : EIO;
    if (fclose(out->f) != 0 && !err)
        err = errno;
    if (!err && rename(out->tmp, out->path) < 0)
        err = errno;
    cmd_render_guard(NULL);
    if (err) {
        cli_error("cannot write %s: %s", out->path, strerror(err));
        unlink(out->tmp);
    }
    free(out->tmp);
    out->tmp = NULL;
    return err ? CLI_INPUT : 0;
}

/* Each page of the selection goes into the timeline document. */
static int cmd_render_page(void *arg, const json_t *events, size_t n)
{
    char err[256];
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_array_get(events, i);
        if (timeline_add(arg, ev, err, sizeof err) < 0) {
            cli_error("protocol error: event '%s' cannot be drawn: %s",
                      json_string_value(json_object_get(ev, "id")), err);
            return CLI_CONN;
        }
    }
    return 0;
}

/* Parse --limit: a count, 0 for none. Returns 0 or a usage error. */
static int cmd_render_limit(cli_ctx *ctx, const char *lim, size_t *limit)
{
    char *end;
    *limit = CMD_RENDER_LIMIT;
    if (!lim)
        return 0;
    errno = 0;
    unsigned long long n = strtoull(lim, &end, 10);
    if (!*lim || *end || errno || lim[0] == '-')
        return cli_usage_error(ctx, "--limit must be a count of events (0: no limit), not '%s'", lim);
    *limit = (size_t)n;
    return 0;
}

/* When the page holds limit events there may be more: count (same window
 * and filters, count_params) says how many the window holds, and the page
 * and stderr say that only the first ones are shown. Returns 0 or an exit
 * code after reporting. */
static int cmd_render_total(cli_ctx *ctx, json_t *count_params, json_t *doc, size_t limit)
{
    json_t *res;
    if (!limit || timeline_count(doc) < limit)
        return 0;
    int rc = cli_call(ctx, "count", count_params, &res);
    if (rc)
        return rc;
    json_int_t total = json_integer_value(json_object_get(res, "count"));
    json_decref(res);
    if (total > (json_int_t)limit) {
        timeline_set_total(doc, (size_t)total);
        cli_error("render: the page shows the first %zu of the window's %" JSON_INTEGER_FORMAT
                  " events, by date (--limit N shows more, --limit 0 all)", limit, total);
    }
    return 0;
}

/* The default title says which window the page shows. */
static char *cmd_render_title(const opts_result *o)
{
    const char *from = o->nargs > 0 ? o->args[0] : NULL, *to = o->nargs > 1 ? o->args[1] : NULL;
    char t[512];
    if (from && to)
        snprintf(t, sizeof t, "Timeline %s \xe2\x80\x93 %s", from, to);
    else if (from)
        snprintf(t, sizeof t, "Timeline from %s", from);
    else
        snprintf(t, sizeof t, "Timeline");
    return xstrdup(t);
}

static int cmd_render_run(cli_ctx *ctx, const opts_result *o)
{
    const char *path = opts_value(o, "output");
    const char *title_opt = opts_value(o, "title");
    cmd_render_out out;
    buf_t page;
    size_t limit;
    int rc;

    if (!path)
        return cli_usage_error(ctx, "-o FILE is required (-o - writes the page to stdout)");
    if (!*path)
        return cli_usage_error(ctx, "-o needs a file name, not an empty string");
    if (title_opt && !utf8_valid(title_opt, strlen(title_opt), NULL))
        return cli_usage_error(ctx, "--title is not valid UTF-8");
    if ((rc = cmd_render_limit(ctx, opts_value(o, "limit"), &limit)) != 0)
        return rc;
    json_t *params = json_object();
    if ((rc = filter_opts_params(ctx, o, 0, params)) != 0) {
        json_decref(params);
        return rc;
    }
    /* Open the output before asking the server anything: a path that cannot
     * be written is better told at once than after a long fetch. */
    if ((rc = cmd_render_open(&out, path)) != 0) {
        json_decref(params);
        return rc;
    }
    char *title = title_opt ? xstrdup(title_opt) : cmd_render_title(o);
    json_t *doc = timeline_new(title, json_string_value(json_object_get(params, "from")),
                               json_string_value(json_object_get(params, "to")));
    /* range sets its paging keys in params; count wants the filters alone. */
    json_t *count_params = json_deep_copy(params);
    rc = cmd_range_each(ctx, params, limit, cmd_render_page, doc);
    if (rc == 0)
        rc = cmd_render_total(ctx, count_params, doc, limit);
    json_decref(count_params);
    if (rc == 0) {
        buf_init(&page);
        render_html_page(&page, title, doc);
        rc = cmd_render_commit(&out, &page);
        buf_release(&page);
    } else {
        cmd_render_abandon(&out);
    }
    json_decref(doc);
    json_decref(params);
    free(title);
    return rc;
}

const cli_command cmd_render_render = {
    "render", "render [FROM [TO]] -o FILE [OPTIONS]", "write the events as an HTML timeline",
    "Write the events that range would list (same window and filters) as one\n"
    "self-contained HTML page: no network access is needed to view it. The\n"
    "page shows them on a time axis (zoom with the wheel or the + - fit\n"
    "buttons, pan by dragging or with the arrow keys), coloured by kind, each\n"
    "drawn over what its dates allow: an event known to the month spans the\n"
    "month, a qualified date (2020~) fades out over its widening, and the part\n"
    "an interval certainly covers is solid. Click an event (or focus it and\n"
    "press Enter) for its details.\n"
    "\n"
    "FILE is replaced only once the page is complete (written beside it, then\n"
    "renamed): a failed render leaves no partial page.\n"
    "\n"
    "A window with more events than --limit gives a page of the first ones by\n"
    "date; the page and stderr say how many the window holds, and the exit\n"
    "status is 0.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE      where to write the page (required; - for stdout)\n"
    "  --title TEXT           the page's title (default: Timeline FROM - TO)\n"
    "  --limit N              at most N events on the page (default 10000; 0: all)\n"
    FILTER_OPTS_HELP
    FILTER_OPTS_Q_HELP,
    cmd_render_opts, 0, 2, cmd_render_run
};
