/* render.c: terminal tables and listings of render.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client/jsonmp.h"
#include "client/render.h"
#include "proto/buf.h"
#include "proto/utf8.h"
#include "proto/xalloc.h"

#define RENDER_ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column wide */

struct render_table {
    const render_col *cols;
    size_t ncols;
    char **cells;      /* rows * ncols, owned */
    size_t rows, cap;
};

render_table *render_table_new(const render_col *cols, size_t ncols)
{
    render_table *t = xcalloc(1, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
    return t;
}

void render_table_free(render_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

char *render_clean(const char *s, size_t len, int keep_newlines)
{
    buf_t b;
    buf_init(&b);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' && keep_newlines) {
            buf_append(&b, "\n", 1);
        } else if (c < 0x20 || c == 0x7f) {
            buf_append(&b, " ", 1);
        } else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                   (unsigned char)s[i + 1] <= 0x9f) {
            /* U+0080..U+009F: C1 controls, CSI among them. */
            buf_append(&b, " ", 1);
            i++;
        } else {
            buf_append(&b, s + i, 1);
        }
    }
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

void render_table_add(render_table *t, const char *const *cells)
{
    if (t->rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = cells[c] ? cells[c] : "";
        t->cells[t->rows * t->ncols + c] = render_clean(s, strlen(s), 0);
    }
    t->rows++;
}

size_t render_table_rows(const render_table *t)
{
    return t->rows;
}

void render_table_layout(const render_table *t, size_t width, size_t *widths)
{
    size_t total = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t head = utf8_width(t->cols[c].header, strlen(t->cols[c].header));
        size_t w = head;
        for (size_t r = 0; r < t->rows; r++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t sw = utf8_width(s, strlen(s));
            if (sw > w)
                w = sw;
        }
        if (t->cols[c].max && w > t->cols[c].max)
            w = t->cols[c].max > head ? t->cols[c].max : head;
        widths[c] = w;
        total += w + (c ? RENDER_GAP : 0);
    }
    for (size_t c = t->ncols; c-- > 0 && total > width;) {
        if (!(t->cols[c].flags & RENDER_SHRINK))
            continue;
        size_t head = utf8_width(t->cols[c].header, strlen(t->cols[c].header));
        size_t floor = head > RENDER_MIN_SHRINK ? head : RENDER_MIN_SHRINK;
        if (widths[c] <= floor)
            continue;
        size_t cut = total - width;
        if (cut > widths[c] - floor)
            cut = widths[c] - floor;
        widths[c] -= cut;
        total -= cut;
    }
}

char *render_fit(const char *s, size_t cols, int pad)
{
    size_t len = strlen(s);
    size_t w = utf8_width(s, len);
    buf_t b;
    buf_init(&b);
    if (w <= cols) {
        buf_append(&b, s, len);
    } else if (cols > 0) {
        size_t keep = utf8_truncate(s, len, cols - 1);
        buf_append(&b, s, keep);
        buf_append(&b, RENDER_ELLIPSIS, strlen(RENDER_ELLIPSIS));
        /* A wide character that did not fit leaves one column to pad. */
        w = utf8_width(s, keep) + 1;
    } else {
        w = 0;
    }
    for (; pad && w < cols; w++)
        buf_append(&b, " ", 1);
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

static void render_line(const render_table *t, FILE *out, const size_t *widths,
                        const char *const *cells)
{
    for (size_t c = 0; c < t->ncols; c++) {
        /* No padding after the last column: no trailing blanks. */
        char *s = render_fit(cells[c], widths[c], c + 1 < t->ncols);
        fprintf(out, "%s%s", c ? "  " : "", s);
        free(s);
    }
    fputc('\n', out);
}

void render_table_print(const render_table *t, FILE *out, size_t width)
{
    size_t *widths = xcalloc(t->ncols, sizeof *widths);
    const char **heads = xcalloc(t->ncols, sizeof *heads);
    render_table_layout(t, width, widths);
    for (size_t c = 0; c < t->ncols; c++)
        heads[c] = t->cols[c].header;
    render_line(t, out, widths, heads);
    for (size_t r = 0; r < t->rows; r++)
        render_line(t, out, widths, (const char *const *)&t->cells[r * t->ncols]);
    free(heads);
    free(widths);
}

size_t render_terminal_width(int fd)
{
    return render_terminal_width_or(fd, 100);
}

size_t render_terminal_width_or(int fd, size_t fallback)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n > 0 && n < 100000)
            return (size_t)n;
    }
    return fallback;
}

/* Print a string value; continuation lines are indented to the value column. */
static void render_value_text(FILE *out, const char *s, size_t len, size_t col)
{
    char *clean = render_clean(s, len, 1);
    for (char *p = clean; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "%*s", (int)col, "");
    }
    free(clean);
}

void render_listing(FILE *out, const json_t *obj, int indent, int nest)
{
    const char *key;
    size_t key_len;
    json_t *val;
    size_t kw = 0;

    json_object_keylen_foreach((json_t *)obj, key, key_len, val) {
        size_t w = utf8_width(key, key_len);
        if (w > kw)
            kw = w;
    }
    json_object_keylen_foreach((json_t *)obj, key, key_len, val) {
        char *k = render_clean(key, key_len, 0);
        size_t w = utf8_width(k, strlen(k));
        fprintf(out, "%*s%s:", indent, "", k);
        free(k);
        if (nest && json_is_object(val) && json_object_size(val) > 0) {
            fputc('\n', out);
            render_listing(out, val, indent + 2, nest);
            continue;
        }
        fprintf(out, "%*s", (int)(kw - w + 1), "");
        if (json_is_string(val)) {
            render_value_text(out, json_string_value(val), json_string_length(val),
                              (size_t)indent + kw + 2);
        } else {
            char *text = jsonmp_dumps(val);
            render_value_text(out, text, strlen(text), (size_t)indent + kw + 2);
            free(text);
        }
        fputc('\n', out);
    }
}
