/* test_import_format.c: the format `annals import` guesses from a file's
 * name and first line: GDELT for *.export.CSV, and for *.csv or *.tsv whose
 * first line has a GDELT row's width; CSV for other *.csv; an error for
 * other *.tsv; JSON lines for the rest. */
#include <stdlib.h>
#include <string.h>

#include "client/import_gdelt.h"
#include "client/import_source.h"
#include "tests/unit/tap.h"

/* A line of n tab-separated columns ("x\tx..."); the caller frees. */
static char *row_of(int n)
{
    char *s = malloc((size_t)n * 2 + 2);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            s[k++] = '\t';
        s[k++] = 'x';
    }
    strcpy(s + k, "\n");
    return s;
}

static void guesses(const char *path, const char *head, int rc, import_format fmt,
                    const char *why_has, const char *name)
{
    char why[512];
    import_format got = (import_format)-1;
    int r = import_format_guess(path, head, head ? strlen(head) : 0, &got, why, sizeof why);
    is_int(r, rc, "%s: returns %d", name, rc);
    if (rc == 0)
        is_str(import_format_name(got), import_format_name(fmt), "%s: format", name);
    ok(strstr(why, why_has) != NULL, "%s: says '%s'", name, why_has);
    if (!strstr(why, why_has))
        diag("why: %s", why);
}

int main(void)
{
    char *v2 = row_of(IMPORT_GDELT_V2_COLUMNS), *v1 = row_of(IMPORT_GDELT_V1_COLUMNS);
    char *v1old = row_of(IMPORT_GDELT_V1_OLD_COLUMNS), *narrow = row_of(41);

    guesses("20191024143000.export.CSV", v2, 0, IMPORT_GDELT, "from its name", ".export.CSV");
    guesses("x.export.csv", "id,title\n", 0, IMPORT_GDELT, "from its name",
            ".export.csv, whatever it holds");
    guesses("rows.tsv", v2, 0, IMPORT_GDELT, "first line of 61 tab-separated columns",
            ".tsv of 61 columns");
    guesses("rows.TSV", v1old, 0, IMPORT_GDELT, "first line of 57", ".TSV of 57 columns");
    guesses("gdelt1-sample-events.csv", v1, 0, IMPORT_GDELT, "first line of 58",
            ".csv of 58 tab-separated columns");
    guesses("table.tsv", "name\tdate\n", -1, IMPORT_JSONL,
            "table.tsv: cannot tell its format: its first line has 2 tab-separated columns",
            "a .tsv of 2 columns");
    guesses("wide.tsv", narrow, -1, IMPORT_JSONL, "41 tab-separated columns, and a GDELT row "
            "has 57, 58 or 61", "a .tsv of 41 columns");
    guesses("empty.tsv", NULL, -1, IMPORT_JSONL, "empty or cannot be read ahead",
            "a .tsv with nothing read ahead");
    guesses("visits.csv", "id,title,start\n", 0, IMPORT_CSV, "from its name", "a .csv");
    guesses("EVENTS.CSV", "id,title,start\n", 0, IMPORT_CSV, "from its name",
            "a .CSV in capitals with a header");
    guesses("wide.csv", narrow, 0, IMPORT_CSV, "from its name", "a .csv of 41 tab columns");
    guesses("all.jsonl", "{}", 0, IMPORT_JSONL, "from its name", ".jsonl");
    guesses("dump", v2, 0, IMPORT_JSONL, "", "no extension: JSON lines by default");
    free(v2);
    free(v1);
    free(v1old);
    free(narrow);
    return done_testing();
}
