/* fuzz.h: the entry points every fuzz target defines (libFuzzer's), declared
 * once so the targets build under -Wmissing-prototypes with gcc (for the
 * corpus replay, replay_main.c) as with clang -fsanitize=fuzzer (make fuzz). */
#ifndef ANNALS_FUZZ_H
#define ANNALS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* LLVMFuzzerTestOneInput: run one input; returns 0. A bug aborts (assert
 * failures and sanitizer reports are what the fuzzer looks for). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerInitialize: optional one-time setup; targets that need none do
 * not define it (the replay driver calls it only when it is linked in). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* fuzz_check: abort with a message when cond is false. Unlike assert it
 * stays on in -DNDEBUG builds, since it is the fuzzer's oracle. */
#define fuzz_check(cond)                                                        \
    do {                                                                        \
        if (!(cond))                                                            \
            fuzz_fail(__FILE__, __LINE__, #cond);                               \
    } while (0)
void fuzz_fail(const char *file, int line, const char *what);

#endif
