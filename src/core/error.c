/*
 * Error records and result-code descriptions (see include/tokenmeter/core.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tokenmeter/core.h"

int tm_error_set(struct tm_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

const char *tm_strerror(int code)
{
    switch (code) {
    case TM_OK: return "success";
    case TM_ENOMEM: return "out of memory";
    case TM_EINVAL: return "invalid input";
    case TM_EIO: return "input/output error";
    case TM_ENOENT: return "not found";
    case TM_EFORMAT: return "bad file format";
    case TM_ENOSPC: return "buffer too small";
    case TM_ELIMIT: return "limit reached";
    case TM_ERANGE: return "out of range";
    case TM_EBUSY: return "busy, try again";
    }
    return "unknown error";
}
