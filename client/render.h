/* render.h: human-readable output for a terminal: tables sized to the
 * terminal and lined up by display width (so Arabic, CJK and combining marks
 * stay in their columns), and "key: value" listings. JSON output does not
 * come through here. */
#ifndef ANNALS_CLIENT_RENDER_H
#define ANNALS_CLIENT_RENDER_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#define RENDER_GAP 2          /* spaces between two columns */
#define RENDER_MIN_SHRINK 8   /* a shrinking column keeps at least this much */

enum {
    RENDER_SHRINK = 1         /* may be truncated with "…" to fit the width */
};

typedef struct {
    const char *header;
    unsigned flags;
    size_t max;               /* widest the column gets (0: no limit); longer
                                 cells are truncated with "…" */
} render_col;

typedef struct render_table render_table;

/* render_table_new: an empty table with ncols columns; cols is borrowed and
 * must outlive the table. Freed with render_table_free. */
render_table *render_table_new(const render_col *cols, size_t ncols);
void render_table_free(render_table *t);

/* render_table_add: append a row of ncols cells (NULL is an empty cell).
 * The cells are copied, with control characters turned into spaces. */
void render_table_add(render_table *t, const char *const *cells);

size_t render_table_rows(const render_table *t);

/* render_table_layout: the width of each column (widths[ncols]) for a
 * terminal of width columns: every column as wide as its widest cell or its
 * header, then, while the line is too long, RENDER_SHRINK columns from the
 * last one leftwards shrink, down to RENDER_MIN_SHRINK or their header. A
 * line may still be wider than width when the other columns need it. */
void render_table_layout(const render_table *t, size_t width, size_t *widths);

/* render_table_print: the header line and every row, laid out for width. */
void render_table_print(const render_table *t, FILE *out, size_t width);

/* render_terminal_width: the width of the terminal on fd (TIOCGWINSZ), else
 * $COLUMNS, else 100. */
size_t render_terminal_width(int fd);

/* render_terminal_width_or: the same, with fallback instead of 100. */
size_t render_terminal_width_or(int fd, size_t fallback);

/* render_fit: s made exactly cols display columns wide: truncated with "…"
 * when wider, then padded with spaces when pad is set. The caller frees the
 * result. */
char *render_fit(const char *s, size_t cols, int pad);

/* render_clean: a copy of s with C0 and C1 control characters and DEL
 * replaced by spaces (newlines too, unless keep_newlines), so data cannot
 * move the cursor or send escape sequences. The caller frees it. */
char *render_clean(const char *s, size_t len, int keep_newlines);

/* render_listing: print obj as "key: value" lines indented by indent
 * spaces, keys aligned. Strings are printed as they are; other values as
 * compact JSON, except that with nest set a non-empty object becomes an
 * indented listing of its own. */
void render_listing(FILE *out, const json_t *obj, int indent, int nest);

#endif
