/* replay_main.c: a main for the fuzz targets when they are built without
 * libFuzzer (gcc, make test): runs LLVMFuzzerTestOneInput once on every file
 * of the corpus directories (or files) named on the command line, in name
 * order, and prints how many it replayed. A crash, a sanitizer report or a
 * failed check ends the program with an error, naming the input. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/xalloc.h"
#include "tests/fuzz/fuzz.h"

/* Weak, so a target without LLVMFuzzerInitialize links. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0, n;
    /* The input gets an exact-size heap copy, so ASan sees a read past it. */
    char *data = xmalloc(cap);
    while ((n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap)
            data = xrealloc(data, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(data);
        return -1;
    }
    uint8_t *exact = xmalloc(len ? len : 1);
    memcpy(exact, data, len);
    free(data);
    fprintf(stderr, "replay: %s\n", path);   /* names the input should it crash */
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every regular file of dir. Returns the count, or -1. */
static long replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap)
            names = xrealloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
        size_t l = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = xmalloc(l);
        snprintf(names[n], l, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, replay_cmp);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(names[i]) < 0)
                count = -1;
            else if (count >= 0)
                count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            n = replay_dir(argv[i]);
        else
            n = replay_file(argv[i]) == 0 ? 1 : -1;
        if (n < 0)
            return 1;
        total += n;
    }
    printf("%ld inputs replayed\n", total);
    return 0;
}
