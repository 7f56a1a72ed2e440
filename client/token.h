/* token.h: the access token the client presents to annalsd: from a file
 * named by --token-file, else from the ANNALS_TOKEN environment variable.
 * Never from the command line, where ps and shell history show it. */
#ifndef ANNALS_CLIENT_TOKEN_H
#define ANNALS_CLIENT_TOKEN_H

#include <stddef.h>

/* token_load: the token to present: the one line of file when file is not
 * NULL, without the blanks around it (a regular file must not be readable
 * or writable by group or others, as ssh demands of a key), else
 * ANNALS_TOKEN when set and not empty. Returns 0 with *out a new string
 * (free it with token_free) or NULL when there is no token, or -1 with the
 * reason in err, which never holds the token. */
int token_load(const char *file, char **out, char *err, size_t errlen);

/* token_free: wipe and free a token from token_load; NULL is ignored. */
void token_free(char *token);

#endif
