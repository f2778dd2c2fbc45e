/*
 * Shared pieces of the fuzz targets: the built-in encodings, opened once per
 * process (from $TOKENMETER_VOCAB_DIR or the compiled-in default), a strict
 * UTF-8 validator, and a check that aborts with a message, so both libFuzzer
 * and the corpus replay (replay_main.c) report a broken invariant as a crash.
 */
#ifndef TM_FUZZ_COMMON_H
#define TM_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenmeter/tokenize.h"

#define FUZZ_N_ENCODINGS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,         \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The six built-in encodings, in tm_encoding_names order. Opening failure is
 * fatal: fuzzing without vocabularies would test nothing. */
static inline tm_encoding *fuzz_encoding(int i)
{
    static tm_encoding *encs[FUZZ_N_ENCODINGS];
    static bool opened;

    if (!opened) {
        for (int k = 0; k < FUZZ_N_ENCODINGS; k++) {
            struct tm_error err = {0};
            encs[k] = tm_encoding_open(tm_encoding_names[k], &err);
            if (encs[k] == NULL) {
                fprintf(stderr, "fuzz: %s (set TOKENMETER_VOCAB_DIR)\n", err.message);
                abort();
            }
        }
        opened = true;
    }
    return encs[i];
}

#endif
