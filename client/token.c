/* token.c: where the client's access token comes from (token.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/token.h"
#include "proto/xalloc.h"

/* Longer than any token annalsd accepts (1024), with room for blanks. */
#define TOKEN_FILE_MAX 4096

static int token_read_file(const char *file, char **out, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "--token-file: %s: %s", file, strerror(errno));
        return -1;
    }
    /* A pipe (--token-file <(pass show annals)) has no mode worth checking;
     * a file lying around does. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
        snprintf(err, errlen, "--token-file: %s has mode %04o: group or others may read or "
                 "change the token; make it private (chmod 600 %s)", file,
                 (unsigned)(st.st_mode & 07777), file);
        close(fd);
        return -1;
    }
    char *buf = xmalloc(TOKEN_FILE_MAX + 1);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, TOKEN_FILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "--token-file: %s: %s", file, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > TOKEN_FILE_MAX) {
            snprintf(err, errlen, "--token-file: %s is larger than a token can be", file);
            goto fail;
        }
    }
    close(fd);
    fd = -1;
    /* Blanks around the token are not part of it (annalsd's tokens have
     * none); the line end an editor adds is not either. */
    size_t start = 0;
    while (start < n && (buf[start] == ' ' || buf[start] == '\t'))
        start++;
    while (n > start && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                         buf[n - 1] == '\t'))
        n--;
    memmove(buf, buf + start, n - start);
    n -= start;
    buf[n] = '\0';
    const char *why = n == 0 ? "holds no token"
                    : memchr(buf, '\n', n) ? "holds more than one line"
                    : strlen(buf) != n ? "holds a NUL byte" : NULL;
    if (why) {
        snprintf(err, errlen, "--token-file: %s %s", file, why);
        goto fail;
    }
    *out = buf;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    explicit_bzero(buf, TOKEN_FILE_MAX + 1);
    free(buf);
    return -1;
}

int token_load(const char *file, char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (file)
        return token_read_file(file, out, err, errlen);
    const char *env = getenv("ANNALS_TOKEN");
    if (env && *env)
        *out = xstrdup(env);
    return 0;
}

void token_free(char *token)
{
    if (!token)
        return;
    explicit_bzero(token, strlen(token));
    free(token);
}
