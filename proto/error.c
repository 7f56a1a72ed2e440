/* error.c: lookups over the error table of error.h. */
#include <stddef.h>
#include <string.h>

#include "proto/error.h"

struct error_row {
    int code;
    const char *wire;
    const char *message;
};

static const struct error_row error_rows[] = {
#define ERROR_ROW_(name, value, wire, msg) { value, wire, msg },
    ERROR_TABLE(ERROR_ROW_)
#undef ERROR_ROW_
};

static const struct error_row *error_row_of(int code)
{
    for (size_t i = 0; i < sizeof error_rows / sizeof error_rows[0]; i++)
        if (error_rows[i].code == code)
            return &error_rows[i];
    return NULL;
}

const char *error_wire_name(int code)
{
    const struct error_row *r = error_row_of(code);
    return r ? r->wire : "internal";
}

const char *error_message(int code)
{
    const struct error_row *r = error_row_of(code);
    return r ? r->message : "internal error";
}

int error_from_wire(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof error_rows / sizeof error_rows[0]; i++)
        if (strlen(error_rows[i].wire) == len && memcmp(error_rows[i].wire, name, len) == 0)
            return error_rows[i].code;
    return ERROR_INTERNAL;
}
