/* test_client_render.c: terminal tables line up by display width, not bytes:
 * Arabic (with and without harakat), CJK and combining marks take the
 * columns a terminal gives them, the last text column is truncated with "…"
 * to fit the width, and data cannot smuggle control characters through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/render.h"
#include "proto/utf8.h"
#include "tests/unit/tap.h"

#define ARABIC "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"    /* مرحبا: 5 columns */
#define HARAKAT "\xd9\x85\xd9\x8e\xd8\xb1\xd9\x92\xd8\xad\xd9\x8e\xd8\xa8\xd9\x8b\xd8\xa7" \
                                                             /* مَرْحَبًا: 5 columns */
#define CJK "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"          /* 日本語: 6 columns */
#define E_ACUTE "e\xcc\x81"                                  /* e + U+0301: 1 column */
#define ELLIPSIS "\xe2\x80\xa6"

static size_t width(const char *s)
{
    return utf8_width(s, strlen(s));
}

static void is_fit(const char *s, size_t cols, int pad, const char *want, const char *name)
{
    char *got = render_fit(s, cols, pad);
    is_str(got, want, "%s", name);
    free(got);
}

static void test_widths(void)
{
    is_int(width(ARABIC), 5, "Arabic: one column per letter");
    is_int(width(HARAKAT), 5, "Arabic harakat take no column");
    is_int(width(CJK), 6, "CJK ideographs take two columns each");
    is_int(width(E_ACUTE), 1, "a combining acute accent takes no column");
    is_int(width(ELLIPSIS), 1, "the ellipsis takes one column");
}

static void test_fit(void)
{
    is_fit("abc", 5, 1, "abc  ", "ASCII is padded to the width");
    is_fit("abc", 5, 0, "abc", "no padding when not asked");
    is_fit(ARABIC, 7, 1, ARABIC "  ", "Arabic is padded by display width, not bytes");
    is_fit(HARAKAT, 6, 1, HARAKAT " ", "Arabic with harakat too");
    is_fit(CJK, 8, 1, CJK "  ", "CJK is padded by display width");
    is_fit(E_ACUTE "t" E_ACUTE, 5, 1, E_ACUTE "t" E_ACUTE "  ", "combining marks are not padding");
    is_fit("abcdefgh", 5, 1, "abcd" ELLIPSIS, "a long text is cut to width with an ellipsis");
    is_fit("abcde", 5, 1, "abcde", "a text exactly as wide is left whole");
    is_fit(CJK, 5, 1, "\xe6\x97\xa5\xe6\x9c\xac" ELLIPSIS, "CJK cut to 5: two ideographs and the ellipsis");
    is_fit(CJK, 4, 1, "\xe6\x97\xa5" ELLIPSIS " ",
           "CJK cut to 4: a wide character that does not fit leaves one padding column");
    is_fit(HARAKAT, 3, 0, "\xd9\x85\xd9\x8e\xd8\xb1\xd9\x92" ELLIPSIS,
           "Arabic cut keeps the harakat of the last kept letter");
    is_fit(ARABIC, 1, 0, ELLIPSIS, "a one-column cell holds just the ellipsis");
    is_fit("abc", 0, 1, "", "a zero-column cell is empty");
    for (size_t cols = 1; cols <= 8; cols++) {
        char *s = render_fit("\xe4\xb8\xad\xe6\x96\x87 " HARAKAT " abc", cols, 1);
        is_int(width(s), cols, "a mixed cell fitted to %zu columns is %zu wide", cols, cols);
        free(s);
    }
}

static void test_clean(void)
{
    const char *dirty = "a\tb\nc\x1b[31md\x7f" "e\xc2\x9b" "f";
    char *s = render_clean(dirty, strlen(dirty), 0);
    is_str(s, "a b c [31md e f", "tabs, newlines, ESC, DEL and C1 controls become spaces");
    free(s);
    s = render_clean("a\nb", 3, 1);
    is_str(s, "a\nb", "newlines may be kept");
    free(s);
    s = render_clean(ARABIC, strlen(ARABIC), 0);
    is_str(s, ARABIC, "Arabic letters are not controls");
    free(s);
}

static const render_col cols[] = {
    { "START", 0, 0 }, { "KIND", 0, 0 }, { "COUNTRIES", 0, 8 }, { "ID", 0, 0 },
    { "TITLE", RENDER_SHRINK, 0 }
};

static render_table *sample_table(void)
{
    render_table *t = render_table_new(cols, 5);
    const char *r1[] = { "2024-04-08", "visit", "EG,SA", "01HV0000000000000000000001",
                         "\xd8\xb2\xd9\x8a\xd8\xa7\xd8\xb1\xd8\xa9 \xd8\xa7\xd9\x84\xd8\xb1\xd8\xa6\xd9\x8a\xd8\xb3 "
                         "\xd8\xa5\xd9\x84\xd9\x89 \xd8\xa7\xd9\x84\xd9\x82\xd8\xa7\xd9\x87\xd8\xb1\xd8\xa9" };
    const char *r2[] = { "2024", CJK, "JP,CN,KR,US,FR", "x",
                         "\xe6\x97\xa5\xe4\xb8\xad\xe9\x9f\x93\xe9\xa6\x96\xe8\x84\xb3\xe4\xbc\x9a\xe8\xad\xb0 summit" };
    const char *r3[] = { "2025-11-24T10:30Z", HARAKAT, NULL, "abc",
                         "Caf" E_ACUTE " talks in a tab\tand a newline\nhere" };
    render_table_add(t, r1);
    render_table_add(t, r2);
    render_table_add(t, r3);
    return t;
}

/* The bytes of line from display column col on (NULL past its end). */
static const char *at_column(const char *line, size_t col)
{
    size_t len = strcspn(line, "\n"), i = 0;
    while (i < len && utf8_width(line, i) < col) {
        uint32_t cp;
        int n = utf8_decode(line + i, len - i, &cp);
        i += n > 0 ? (size_t)n : 1;
    }
    /* Step over zero-width marks that belong to the previous character. */
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(line + i, len - i, &cp);
        if (n <= 0 || utf8_cp_width(cp) != 0)
            break;
        i += (size_t)n;
    }
    return i < len ? line + i : NULL;
}

/* Whether line number row (0: the header) of text has cell at display col. */
static int cell_at(const char *text, int row, size_t col, const char *cell)
{
    const char *line = text;
    while (row-- > 0 && line)
        line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
    const char *p = line ? at_column(line, col) : NULL;
    return p && strncmp(p, cell, strlen(cell)) == 0;
}

static char *print_table(const render_table *t, size_t w)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    render_table_print(t, f, w);
    fclose(f);
    return text;
}

static void test_table(void)
{
    render_table *t = sample_table();
    size_t w[5];
    is_int(render_table_rows(t), 3, "three rows");

    render_table_layout(t, 200, w);
    is_int(w[0], 17, "START is as wide as its widest cell");
    is_int(w[1], 6, "KIND: the CJK cell is 6 columns, wider than the header");
    is_int(w[2], 9, "COUNTRIES: capped at 8, but never narrower than its header");
    is_int(w[3], 26, "ID is as wide as the longest id");
    is_int(w[4], 38, "TITLE is as wide as its widest cell when there is room");

    render_table_layout(t, 80, w);
    is_int(w[0] + w[1] + w[2] + w[3] + w[4] + 4 * RENDER_GAP, 80,
           "at 80 columns the table fills exactly 80");
    is_int(w[3], 26, "the ID column stays whole");
    is_int(w[4], 80 - 17 - 6 - 9 - 26 - 8, "TITLE takes what is left");

    render_table_layout(t, 40, w);
    is_int(w[4], RENDER_MIN_SHRINK, "on a narrow terminal TITLE keeps its minimum");
    is_int(w[3], 26, "and ID still stays whole");

    char *text = print_table(t, 100);
    int fits = 1, ellipsis = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t lw = utf8_width(line, (size_t)(end - line));
        if (lw > 100)
            fits = 0;
        if (memmem(line, (size_t)(end - line), ELLIPSIS, 3))
            ellipsis++;
        ok(end[-1] != ' ', "no trailing blank on a line");
        line = end + 1;
    }
    ok(fits, "every line fits in 100 columns");
    is_int(ellipsis, 2, "the long COUNTRIES cell and the title too long for 100 columns end in an ellipsis");
    ok(!strchr(text, '\t') && strstr(text, "a tab and"), "a tab in a cell became a space");
    ok(cell_at(text, 0, 19, "KIND") && cell_at(text, 1, 19, "visit") &&
       cell_at(text, 2, 19, CJK) && cell_at(text, 3, 19, HARAKAT),
       "KIND starts at the same display column on every line, after CJK and harakat");
    ok(cell_at(text, 0, 27, "COUNTRIES") && cell_at(text, 1, 27, "EG,SA") &&
       cell_at(text, 2, 27, "JP,CN,KR" ELLIPSIS),
       "COUNTRIES is capped at its maximum with an ellipsis");
    ok(cell_at(text, 0, 38, "ID") && cell_at(text, 1, 38, "01HV0000000000000000000001") &&
       cell_at(text, 2, 38, "x ") && cell_at(text, 3, 38, "abc "),
       "ID starts at the same display column on every line, whole");
    ok(cell_at(text, 0, 66, "TITLE") && cell_at(text, 1, 66, "\xd8\xb2") &&
       cell_at(text, 2, 66, "\xe6\x97\xa5") && cell_at(text, 3, 66, "Caf" E_ACUTE " talks"),
       "TITLE starts at the same display column on every line");
    ok(strncmp(text, "START", 5) == 0, "the header comes first");
    free(text);
    render_table_free(t);
}

static void test_terminal_width(void)
{
    int fds[2];
    if (pipe(fds) != 0) {
        ok(0, "pipe");
        return;
    }
    setenv("COLUMNS", "123", 1);
    is_int(render_terminal_width(fds[1]), 123, "not a terminal: $COLUMNS");
    setenv("COLUMNS", "wide", 1);
    is_int(render_terminal_width(fds[1]), 100, "an unreadable $COLUMNS: 100");
    unsetenv("COLUMNS");
    is_int(render_terminal_width(fds[1]), 100, "no terminal, no $COLUMNS: 100");
    is_int(render_terminal_width_or(fds[1], 80), 80, "... or the fallback asked for");
    close(fds[0]);
    close(fds[1]);
}

static void test_listing(void)
{
    json_t *ev = json_pack("{s:s, s:s, s:i, s:{s:[s,s]}, s:[s,s]}",
                           "id", "e1", "title", "\xd9\x85\xd8\xb5\xd8\xb1\nline2", "seq", 7,
                           "bounds", "start", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z",
                           "countries", "EG", "SA");
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    render_listing(f, ev, 0, 0);
    fclose(f);
    is_str(text,
           "id:        e1\n"
           "title:     \xd9\x85\xd8\xb5\xd8\xb1\n"
           "           line2\n"
           "seq:       7\n"
           "bounds:    {\"start\":[\"2024-01-01T00:00:00Z\",\"2024-12-31T23:59:59Z\"]}\n"
           "countries: [\"EG\",\"SA\"]\n",
           "a listing aligns values, keeps key order, indents continuation lines, "
           "and prints nested values as compact JSON");
    free(text);

    json_t *stats = json_pack("{s:i, s:{s:s, s:i}}", "events", 3, "server", "version", "0.1.0",
                              "pid", 42);
    f = open_memstream(&text, &size);
    render_listing(f, stats, 0, 1);
    fclose(f);
    is_str(text, "events: 3\nserver:\n  version: 0.1.0\n  pid:     42\n",
           "a nested listing indents sub-maps");
    free(text);
    json_decref(ev);
    json_decref(stats);
}

int main(void)
{
    test_widths();
    test_fit();
    test_clean();
    test_table();
    test_terminal_width();
    test_listing();
    return done_testing();
}
