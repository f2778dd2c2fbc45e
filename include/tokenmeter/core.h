/*
 * tokenmeter core: result codes and the error record every module fills.
 *
 * Conventions shared by the whole library:
 *  - Functions that act return int: 0 (TM_OK) or a negative TM_E* code.
 *  - Constructors return NULL on failure and fill an optional struct tm_error
 *    whose message names the input and the cause.
 *  - Arguments are borrowed for the duration of a call; anything kept is copied.
 *  - Every _new/_open has a _free/_close that accepts NULL.
 *
 * Result codes are only ever appended, never renumbered.
 */
#ifndef TOKENMETER_CORE_H
#define TOKENMETER_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_VERSION_STRING "0.1.0"

enum tm_result {
    TM_OK = 0,
    TM_ENOMEM = -1,   /* an allocation failed */
    TM_EINVAL = -2,   /* an argument or input is malformed */
    TM_EIO = -3,      /* reading or writing a file failed */
    TM_ENOENT = -4,   /* a named thing (file, encoding, model, id) does not exist */
    TM_EFORMAT = -5,  /* a file is not in the expected format or is corrupt */
    TM_ENOSPC = -6,   /* a caller-supplied buffer is too small */
    TM_ELIMIT = -7,   /* a hard cap on outside input was reached */
    TM_ERANGE = -8,   /* a number is out of range / would overflow */
};

/* Longest message kept in a struct tm_error, including the NUL. */
#define TM_ERROR_MESSAGE_MAX 512

/* The error record: a code and a message naming the input and the cause. */
struct tm_error {
    int code;
    char message[TM_ERROR_MESSAGE_MAX];
};

/* Fill err (when not NULL) with code and a printf-style message; returns code
 * so callers can write `return tm_error_set(err, TM_EINVAL, ...)`. */
int tm_error_set(struct tm_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A short, static description of a result code ("out of memory", ...). */
const char *tm_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
