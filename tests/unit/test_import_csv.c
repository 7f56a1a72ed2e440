/* test_import_csv.c: the CSV reader on RFC 4180's edge cases (quoted
 * commas, doubled quotes and line ends, CRLF, a byte order mark, empty
 * lines, a last record without a line end, malformed records and the
 * reader's recovery after them, line numbers), the header's columns, and
 * records mapped to events. */
#include <stdlib.h>
#include <string.h>

#include "client/import_csv.h"
#include "client/jsonmp.h"
#include "tests/unit/tap.h"

typedef struct {
    FILE *f;
    import_csv_reader r;
    char reason[256];
} csv_fixture;

static void open_text(csv_fixture *x, const char *text)
{
    x->f = fmemopen((void *)text, strlen(text), "r");
    import_csv_reader_init(&x->r, x->f);
    x->reason[0] = '\0';
}

static void close_text(csv_fixture *x)
{
    import_csv_reader_release(&x->r);
    fclose(x->f);
}

static int next(csv_fixture *x)
{
    return import_csv_read(&x->r, x->reason, sizeof x->reason);
}

/* The fields of the current record joined with '|'; the caller frees. */
static char *joined(const import_csv_reader *r)
{
    buf_t b;
    buf_init(&b);
    for (size_t i = 0; i < r->nfields; i++) {
        if (i)
            buf_append(&b, "|", 1);
        buf_append(&b, r->text.data + r->offs[i], r->lens[i]);
    }
    buf_append(&b, "", 1);
    return buf_take(&b, NULL);
}

static void is_record(csv_fixture *x, const char *want, long line, const char *name)
{
    int rc = next(x);
    is_int(rc, 1, "%s: a record", name);
    char *got = joined(&x->r);
    is_str(got, want, "%s: its fields", name);
    free(got);
    is_int(x->r.record_line, line, "%s: starts on line %ld", name, line);
}

/* Map text (a header and one record) to an event, as compact JSON, or the
 * reason it was refused prefixed with "!"; the caller frees. */
static char *event_of(const char *text)
{
    csv_fixture x;
    char *out;
    open_text(&x, text);
    if (next(&x) != 1)
        return strdup("!no header");
    import_csv_columns *c = import_csv_columns_new(&x.r, x.reason, sizeof x.reason);
    if (!c) {
        close_text(&x);
        out = malloc(strlen(x.reason) + 2);
        sprintf(out, "!%s", x.reason);
        return out;
    }
    json_t *ev = next(&x) == 1 ? import_csv_event(c, &x.r, x.reason, sizeof x.reason) : NULL;
    if (ev) {
        out = jsonmp_dumps(ev);
        json_decref(ev);
    } else {
        out = malloc(strlen(x.reason) + 2);
        sprintf(out, "!%s", x.reason);
    }
    import_csv_columns_free(c);
    close_text(&x);
    return out;
}

static void is_event(const char *text, const char *want, const char *name)
{
    char *got = event_of(text);
    is_str(got, want, "%s", name);
    free(got);
}

int main(void)
{
    csv_fixture x;

    open_text(&x, "a,b,c\n1,\"two, with a comma\",3\n\n\"say \"\"hi\"\"\",\"line\none\",\r\n"
                  "last,,\"\"");
    is_record(&x, "a|b|c", 1, "plain");
    is_record(&x, "1|two, with a comma|3", 2, "a quoted comma");
    is_record(&x, "say \"hi\"|line\none|", 4, "doubled quotes, a quoted line end, CRLF, empty last field");
    is_record(&x, "last||", 6, "a last record without a line end (after an empty line)");
    is_int(next(&x), 0, "then the end");
    close_text(&x);

    open_text(&x, "\xef\xbb\xbfid,title\r\nx,y\r\n");
    is_record(&x, "id|title", 1, "a byte order mark is skipped");
    is_record(&x, "x|y", 2, "CRLF records");
    is_int(next(&x), 0, "then the end");
    close_text(&x);

    open_text(&x, "\xef\xbc\x8c,b\n");
    is_record(&x, "\xef\xbc\x8c|b", 1, "a first character starting with 0xEF is not lost");
    close_text(&x);

    open_text(&x, "a,b\n\"x\"y,2\nok,3\n\"open,4\nmore\n");
    is_record(&x, "a|b", 1, "header");
    is_int(next(&x), -1, "text after a closing quote is malformed");
    ok(strstr(x.reason, "field 1: text after its closing quote") != NULL, "... and said so (%s)",
       x.reason);
    is_int(x.r.record_line, 2, "... on line 2");
    is_record(&x, "ok|3", 3, "the next record is read after it");
    is_int(next(&x), -1, "a quote left open at the end of the file is malformed");
    ok(strstr(x.reason, "still open") != NULL, "... and said so (%s)", x.reason);
    is_int(x.r.record_line, 4, "... on the line it opened");
    is_int(next(&x), 0, "then the end");
    close_text(&x);

    open_text(&x, "a,b\nsay \"hi\",2\n");
    next(&x);
    is_record(&x, "say \"hi\"|2", 2, "a quote inside an unquoted field is kept");
    close_text(&x);

    open_text(&x, "");
    is_int(next(&x), 0, "an empty file has no record");
    close_text(&x);

    /* The header. */
    is_event("title,start,kind\nMeeting in Rabat,2024-04-08,meeting\n",
             "{\"title\":\"Meeting in Rabat\",\"start\":\"2024-04-08\",\"kind\":\"meeting\"}",
             "text columns");
    is_event("title,start,place.city,place.country,place.lat,place.lon\nT,2024,Rabat,MA,34.02,-6.84\n",
             "{\"title\":\"T\",\"start\":\"2024\",\"place\":{\"city\":\"Rabat\",\"country\":\"MA\","
             "\"lat\":34.02,\"lon\":-6.84}}", "place columns, numbers as numbers");
    is_event("title,countries,tags,sources,participants\nT, MA ; FR;;,a|b,"
             "https://a.example/1; https://b.example/2,Nasser Bourita;José Manuel Albares\n",
             "{\"title\":\"T\",\"countries\":[\"MA\",\"FR\"],\"tags\":[\"a|b\"],\"sources\":"
             "[{\"url\":\"https://a.example/1\"},{\"url\":\"https://b.example/2\"}],"
             "\"participants\":[{\"name\":\"Nasser Bourita\"},{\"name\":\"José Manuel Albares\"}]}",
             "lists split on ';' and trimmed, empty items dropped ('|' is no separator)");
    is_event("title,sources\nT,https://example.com/page;jsessionid=ABC?a=1;b=2\n",
             "{\"title\":\"T\",\"sources\":[{\"url\":\"https://example.com/page;jsessionid="
             "ABC?a=1;b=2\"}]}", "a ';' inside a URL does not split sources");
    is_event("title,sources\nT,https://example.com/p;x=1; HTTP://b.example/;q;http://c.example\n",
             "{\"title\":\"T\",\"sources\":[{\"url\":\"https://example.com/p;x=1\"},"
             "{\"url\":\"HTTP://b.example/;q\"},{\"url\":\"http://c.example\"}]}",
             "sources split only where an http(s):// URL follows the ';'");
    is_event("title,sources\nT,https://a.example/;;https://b.example/\n",
             "{\"title\":\"T\",\"sources\":[{\"url\":\"https://a.example/;\"},"
             "{\"url\":\"https://b.example/\"}]}", "';;' before a URL: the first ';' stays");
    is_event("title,tags\nT,a;b=2\n", "{\"title\":\"T\",\"tags\":[\"a\",\"b=2\"]}",
             "other lists still split on every ';'");
    is_event("title,cameo\nT,043\n", "{\"title\":\"T\",\"cameo\":\"043\",\"kind\":\"visit\"}",
             "cameo without kind: the kind follows the code, as for GDELT");
    is_event("title,cameo,kind\nT,057,\n",
             "{\"title\":\"T\",\"cameo\":\"057\",\"kind\":\"agreement\"}",
             "an empty kind field: the kind follows the code");
    is_event("title,cameo\nT,190\n", "{\"title\":\"T\",\"cameo\":\"190\",\"kind\":\"other\"}",
             "a code of no kind of its own: other");
    is_event("kind,cameo\nconference,042\n", "{\"kind\":\"conference\",\"cameo\":\"042\"}",
             "a kind given is kept");
    is_event("title,cameo\nT,42x\n", "{\"title\":\"T\",\"cameo\":\"42x\"}",
             "a malformed code gets no kind (the server refuses it)");
    is_event("title,extra.source.name,extra.source.page,extra.note\nT,Hespress,3,n\n",
             "{\"title\":\"T\",\"extra\":{\"source\":{\"name\":\"Hespress\",\"page\":\"3\"},"
             "\"note\":\"n\"}}", "extra.KEY with dots nests");
    is_event("title,start,summary\nT,,\n", "{\"title\":\"T\"}", "empty fields leave their field out");
    is_event("title,start\nT,2024,extra\n", "!3 fields; the header has 2", "a record too wide");
    is_event("title,start\nT\n", "!1 fields; the header has 2", "a record too narrow");
    is_event("title,place.lat\nT,north\n", "!place.lat: 'north' is not a number", "a bad number");
    is_event("title,place.lat\nT,12abc\n", "!place.lat: '12abc' is not a number", "a number with junk");
    is_event("title,summary\nT,\xff\n", "!summary: not valid UTF-8", "text that is not UTF-8");
    is_event("title,extra.a,extra.a.b\nT,x,y\n", "!extra.a.b: extra.a is text, not a map",
             "extra.a as text and as a map");
    is_event("title,date\nT,2024\n",
             "!header: column 2, 'date', is not an event field (id, kind, cameo, title, summary, "
             "lang, start, end, parent, place.name, place.city, place.country, place.lat, "
             "place.lon, countries, tags, sources, participants, extra.KEY)", "an unknown column");
    is_event("title,title\nT,U\n", "!header: column 'title' appears twice", "a repeated column");
    is_event("title,,start\nT,,2024\n", "!header: column 2 has no name", "an empty column name");
    is_event("title,extra.\xff\nT,x\n", "!header: column 2 is not valid UTF-8",
             "a column name that is not UTF-8");
    is_event("title,extra.\nT,x\n", "!header: column 2, 'extra.', is not an event field (id, "
             "kind, cameo, title, summary, lang, start, end, parent, place.name, place.city, "
             "place.country, place.lat, place.lon, countries, tags, sources, participants, "
             "extra.KEY)", "extra. without a key");
    is_event("Title\nT\n", "!header: column 1, 'Title', is not an event field (id, kind, cameo, "
             "title, summary, lang, start, end, parent, place.name, place.city, place.country, "
             "place.lat, place.lon, countries, tags, sources, participants, extra.KEY)",
             "names are case-sensitive");
    return done_testing();
}
