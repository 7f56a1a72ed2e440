/* render_html.c: the page of annals render: the template filled with a
 * title and the timeline document, escaped for where each goes
 * (render_html.h). */
#include <stdlib.h>
#include <string.h>

#include "client/render_html.h"

void render_html_text(buf_t *out, const char *s, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ref;
        switch (s[i]) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: continue;
        }
        buf_append(out, s + from, i - from);
        buf_append(out, ref, strlen(ref));
        from = i + 1;
    }
    buf_append(out, s + from, len - from);
}

void render_html_json(buf_t *out, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        abort();   /* jansson fails only when out of memory here */
    size_t from = 0, len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        const char *esc = NULL;
        size_t skip = 1;
        if (text[i] == '<')
            esc = "\\u003c";
        else if (text[i] == '>')
            esc = "\\u003e";
        else if (text[i] == '&')
            esc = "\\u0026";
        else if ((unsigned char)text[i] == 0xe2 && i + 2 < len &&
                 (unsigned char)text[i + 1] == 0x80 &&
                 ((unsigned char)text[i + 2] == 0xa8 || (unsigned char)text[i + 2] == 0xa9)) {
            /* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR: line
             * terminators to older JavaScript parsers. */
            esc = (unsigned char)text[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (!esc)
            continue;
        buf_append(out, text + from, i - from);
        buf_append(out, esc, strlen(esc));
        i += skip - 1;
        from = i + 1;
    }
    buf_append(out, text + from, len - from);
    free(text);
}

void render_html_page(buf_t *out, const char *title, const json_t *doc)
{
    const char *t = (const char *)render_html_template;
    const char *end = t + render_html_template_len;
    const size_t tlen = strlen(RENDER_HTML_TITLE), dlen = strlen(RENDER_HTML_DATA);
    while (t < end) {
        const char *at = memchr(t, '@', (size_t)(end - t));
        if (!at) {
            buf_append(out, t, (size_t)(end - t));
            break;
        }
        buf_append(out, t, (size_t)(at - t));
        if ((size_t)(end - at) >= tlen && memcmp(at, RENDER_HTML_TITLE, tlen) == 0) {
            render_html_text(out, title, strlen(title));
            t = at + tlen;
        } else if ((size_t)(end - at) >= dlen && memcmp(at, RENDER_HTML_DATA, dlen) == 0) {
            render_html_json(out, doc);
            t = at + dlen;
        } else {
            buf_append(out, at, 1);
            t = at + 1;
        }
    }
}
