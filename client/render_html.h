/* render_html.h: the self-contained HTML page of annals render: the page
 * template (client/render/timeline.html, compiled in by the Makefile) with
 * its title and its data filled in, escaped so that no event text can end
 * the script element or the title it is written into. */
#ifndef ANNALS_CLIENT_RENDER_HTML_H
#define ANNALS_CLIENT_RENDER_HTML_H

#include <stddef.h>
#include <jansson.h>

#include "proto/buf.h"

/* The template's bytes and length, generated from client/render/timeline.html
 * by client/render/embed.pl (the array is also NUL-terminated). */
extern const unsigned char render_html_template[];
extern const size_t render_html_template_len;

/* The placeholders the template holds: the page title as HTML text, and the
 * document as JSON inside <script type="application/json">. */
#define RENDER_HTML_TITLE "@ANNALS_TITLE@"
#define RENDER_HTML_DATA "@ANNALS_DATA@"

/* render_html_text: append s[0..len) to out as HTML text, safe in an element
 * or a quoted attribute: & < > " ' become character references. */
void render_html_text(buf_t *out, const char *s, size_t len);

/* render_html_json: append v to out as compact UTF-8 JSON that can sit
 * inside a <script> element: every < > & (which JSON holds only inside
 * strings) is written \u003c \u003e \u0026, so no "</script" or "<!--" can
 * appear, and U+2028 and U+2029 are written \u2028 \u2029 as well. Parsing
 * the result as JSON gives v back. */
void render_html_json(buf_t *out, const json_t *v);

/* render_html_page: append to out the template with every RENDER_HTML_TITLE
 * replaced by title (render_html_text) and every RENDER_HTML_DATA by doc
 * (render_html_json). */
void render_html_page(buf_t *out, const char *title, const json_t *doc);

#endif
