/* import_gdelt.h: one row of a GDELT event export (1.0 or 2.0) mapped to an
 * annals event. */
#ifndef ANNALS_CLIENT_IMPORT_GDELT_H
#define ANNALS_CLIENT_IMPORT_GDELT_H

#include <stddef.h>
#include <jansson.h>

/* The widths a row may have: GDELT 1.0 daily files without SOURCEURL (57
 * columns, before April 2013) and with it (58), and GDELT 2.0 (61: each of
 * the three geographies gains ADM2Code). */
#define IMPORT_GDELT_V1_OLD_COLUMNS 57
#define IMPORT_GDELT_V1_COLUMNS 58
#define IMPORT_GDELT_V2_COLUMNS 61

/* The most bytes a row may hold (without its line end): real rows are a few
 * hundred bytes, a long SOURCEURL included; a longer line is a bad row,
 * read to its end but not held. */
#define IMPORT_GDELT_MAX_LINE (64u << 10)

/* import_gdelt_row: map line[0..len) (tab-separated, without its line end)
 * to a new event object the caller owns:
 *   id           "gdelt-" GLOBALEVENTID, so a re-import replaces the event;
 *   kind, cameo  from EventCode (cameo_codes_kind), the code kept as cameo;
 *   title        "Actor1Name → Actor2Name: <CAMEO name of EventCode>";
 *                "Actor1Name: <name>" or "? → Actor2Name: <name>" with one
 *                actor; "<name> in ActionGeo_FullName" (or the name alone)
 *                with none;
 *   start        SQLDATE at day precision; uncertain ("2018-10-24?") when
 *                it is exactly one month or one year before DATEADDED's
 *                day, to the day of the month (GDELT's dating artefact);
 *   place        ActionGeo: name (FullName), city (for city-level matches,
 *                the FullName's first part), country (FIPS 10-4 to ISO),
 *                lat, lon;
 *   countries    the actors' country codes (CAMEO to ISO alpha-2; regional
 *                codes such as EUR or AFR left out) and the place's country;
 *   participants Actor1 and Actor2 by name, with their country;
 *   tags         ["gdelt"], and "gdelt-date-suspect" for an uncertain start;
 *   sources      [{url: SOURCEURL}] when it is an http(s) URL;
 *   extra.gdelt  everything else a row says: version, GLOBALEVENTID,
 *                DATEADDED, the event codes, QuadClass, GoldsteinScale,
 *                NumMentions, NumSources, NumArticles, AvgTone,
 *                IsRootEvent, each actor's raw codes, the geographies' raw
 *                codes, and a SOURCEURL that is not a URL.
 * Returns NULL with a reason naming the column for a row of another width,
 * a GLOBALEVENTID that is not a number, an impossible SQLDATE, an EventCode
 * that is not 2-4 digits, coordinates that are not numbers in range, or
 * text that is not UTF-8. */
json_t *import_gdelt_row(const char *line, size_t len, char *reason, size_t reasonlen);

#endif
