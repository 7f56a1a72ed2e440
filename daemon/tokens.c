/* tokens.c: the access tokens of tokens.h: loading, and checking a
 * presented token without an early exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/tokens.h"
#include "proto/xalloc.h"

/* More than TOKENS_MAX lines of TOKENS_MAX_LEN characters, with comments. */
#define TOKENS_FILE_MAX (256 * 1024)

int tokens_any(const tokens_t *t)
{
    return t && t->n > 0;
}

const char *tokens_access_name(int access)
{
    return access & TOKENS_RW ? "rw" : access & TOKENS_RO ? "ro" : "none";
}

int tokens_valid(const char *token, size_t len, char *err, size_t errlen)
{
    if (len < TOKENS_MIN_LEN || len > TOKENS_MAX_LEN) {
        snprintf(err, errlen, "a token must be %d to %d characters long (this one has %zu); "
                 "make one with e.g. 'openssl rand -hex 32'", TOKENS_MIN_LEN, TOKENS_MAX_LEN, len);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (token[i] < 0x21 || token[i] > 0x7e) {
            snprintf(err, errlen, "a token may hold only printable ASCII characters, without "
                     "spaces (character %zu is not one)", i + 1);
            return -1;
        }
    return 0;
}

static int tokens_add(tokens_t *t, const unsigned char d[SHA256_SIZE], int access,
                      const char *where, char *err, size_t errlen)
{
    if (t->n == TOKENS_MAX) {
        snprintf(err, errlen, "%s: more than %d tokens", where, TOKENS_MAX);
        return -1;
    }
    memcpy(t->digest[t->n], d, SHA256_SIZE);
    t->access[t->n] = access;
    t->n++;
    return 0;
}

/* Read path whole into a new buffer (*len bytes, NUL-terminated), after
 * checking who may read it. */
static char *tokens_read_private(const char *path, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    /* fstat of the descriptor we read, not stat of the name: the file
     * checked is the file read. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "auth_token_file: %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "auth_token_file: %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "auth_token_file: %s is not a regular file", path);
        goto fail;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "auth_token_file: %s belongs to uid %lu, not to annalsd's user "
                 "(uid %lu); it must be annalsd's own file", path, (unsigned long)st.st_uid,
                 (unsigned long)geteuid());
        goto fail;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "auth_token_file: %s has mode %04o: group or others may read or "
                 "change its tokens; it must be readable by annalsd's user only "
                 "(chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
        goto fail;
    }
    if (st.st_size > TOKENS_FILE_MAX) {
        snprintf(err, errlen, "auth_token_file: %s is larger than %d KiB", path,
                 TOKENS_FILE_MAX / 1024);
        goto fail;
    }
    char *buf = xmalloc(TOKENS_FILE_MAX + 1);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, TOKENS_FILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "auth_token_file: %s: %s", path, strerror(errno));
            explicit_bzero(buf, n);
            free(buf);
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > TOKENS_FILE_MAX) {
            snprintf(err, errlen, "auth_token_file: %s is larger than %d KiB", path,
                     TOKENS_FILE_MAX / 1024);
            explicit_bzero(buf, n);
            free(buf);
            goto fail;
        }
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    close(fd);
    return NULL;
}

/* Parse the lines of a token file: "rw TOKEN" or "ro TOKEN", blank lines,
 * and lines starting with '#'. Messages name the line, never its text. */
static int tokens_parse_file(tokens_t *t, const char *path, char *text, size_t len,
                             char *err, size_t errlen)
{
    char where[CONFIG_PATH_MAX + 64], why[256];
    unsigned before = t->n;
    int lineno = 0;
    for (char *line = text, *next; line < text + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        next = nl ? nl + 1 : text + len;
        char *end = nl ? nl : text + len;
        lineno++;
        snprintf(where, sizeof where, "auth_token_file: %s:%d", path, lineno);
        while (line < end && (*line == ' ' || *line == '\t'))
            line++;
        while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        if (line == end || *line == '#')
            continue;
        int access = 0;
        if (end - line > 3 && (line[2] == ' ' || line[2] == '\t')) {
            if (memcmp(line, "rw", 2) == 0)
                access = TOKENS_RW;
            else if (memcmp(line, "ro", 2) == 0)
                access = TOKENS_RO;
        }
        if (!access) {
            snprintf(err, errlen, "%s: expected 'rw TOKEN' or 'ro TOKEN' (the line is not "
                     "shown, in case it holds a token)", where);
            return -1;
        }
        char *token = line + 3;
        while (token < end && (*token == ' ' || *token == '\t'))
            token++;
        if (tokens_valid(token, (size_t)(end - token), why, sizeof why) < 0) {
            snprintf(err, errlen, "%s: %s", where, why);
            return -1;
        }
        unsigned char d[SHA256_SIZE];
        sha256(token, (size_t)(end - token), d);
        int rc = tokens_add(t, d, access, where, err, errlen);
        explicit_bzero(d, sizeof d);
        if (rc < 0)
            return -1;
    }
    if (t->n == before) {
        snprintf(err, errlen, "auth_token_file: %s holds no token (lines 'rw TOKEN' or "
                 "'ro TOKEN')", path);
        return -1;
    }
    return 0;
}

int tokens_load(tokens_t *t, const config_t *cfg, char *err, size_t errlen)
{
    unsigned char d[SHA256_SIZE];
    memset(t, 0, sizeof *t);
    /* config_set checked the form of the digests. */
    if (cfg->auth_token_rw_sha256[0] && (sha256_from_hex(cfg->auth_token_rw_sha256, d) < 0 ||
        tokens_add(t, d, TOKENS_RW, "auth_token_rw_sha256", err, errlen) < 0))
        return -1;
    if (cfg->auth_token_ro_sha256[0] && (sha256_from_hex(cfg->auth_token_ro_sha256, d) < 0 ||
        tokens_add(t, d, TOKENS_RO, "auth_token_ro_sha256", err, errlen) < 0))
        return -1;
    if (!cfg->auth_token_file[0])
        return 0;
    size_t len;
    char *text = tokens_read_private(cfg->auth_token_file, &len, err, errlen);
    if (!text)
        return -1;
    int rc = tokens_parse_file(t, cfg->auth_token_file, text, len, err, errlen);
    explicit_bzero(text, len);
    free(text);
    return rc;
}

int tokens_check(const tokens_t *t, const void *token, size_t len)
{
    unsigned char d[SHA256_SIZE];
    unsigned got = 0;
    /* No configured token is longer: nothing to hash. The length is no
     * secret, so answering at once tells nothing. */
    if (len > TOKENS_MAX_LEN)
        return TOKENS_NONE;
    sha256(token, len, d);
    /* Every digest is compared, and what matched is ORed in without a
     * branch, so the time does not say which token matched. */
    for (unsigned i = 0; i < t->n; i++)
        got |= (unsigned)t->access[i] & (0u - (unsigned)sha256_equal(d, t->digest[i]));
    explicit_bzero(d, sizeof d);
    return got & TOKENS_RW ? TOKENS_RW : got & TOKENS_RO ? TOKENS_RO : TOKENS_NONE;
}
