/*
 * Reading the library's input files (core/core_int.h): a whole file with a
 * hard size cap, and the default location of a data file.
 *
 * Every module that loads a document (the model registry, price books,
 * plans) reads it here, so the cap, the error codes and the messages are
 * the same everywhere: TM_ENOENT for a missing file, TM_EIO for one that
 * cannot be read or is not a regular file, TM_ELIMIT above the cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_int.h"
#include "tokenmeter/core.h"

char *tm__core_read_file(const char *path, size_t cap, const char *what, size_t *len,
                         struct tm_error *err)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        tm_error_set(err, errno == ENOENT || errno == ENOTDIR ? TM_ENOENT : TM_EIO,
                     "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        tm_error_set(err, TM_EIO, "%s: not a regular file", path);
        goto fail;
    }
    if ((uint64_t)st.st_size > cap) {
        tm_error_set(err, TM_ELIMIT, "%s: larger than the %zu-byte limit for a %s", path,
                     cap, what);
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    /* A file that grows while it is read is cut at the size fstat saw. */
    while (n < (size_t)st.st_size) {
        ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            tm_error_set(err, TM_EIO, "%s: read error: %s", path, strerror(errno));
            goto fail;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

int tm__core_find_data_file(const char *file, char *path, size_t cap, char *looked,
                            size_t looked_cap)
{
    const char *dirs[2];
    int nd = 0;
    struct stat st;

#ifdef TM_SOURCE_DATA_DIR
    dirs[nd++] = TM_SOURCE_DATA_DIR;
#endif
#ifdef TM_DATA_DIR
    dirs[nd++] = TM_DATA_DIR;
#endif
    for (int i = 0; i < nd; i++) {
        if ((size_t)snprintf(path, cap, "%s/%s", dirs[i], file) >= cap)
            continue;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return TM_OK;
    }
    snprintf(looked, looked_cap, "%s%s%s", nd > 0 ? dirs[0] : "(no data directory)",
             nd > 1 ? " and " : "", nd > 1 ? dirs[1] : "");
    return TM_ENOENT;
}

void *tm__core_open_default(const char *path, const char *env, const char *file,
                            const char *what, const char *hint,
                            void *(*open_path)(const char *path, struct tm_error *err),
                            struct tm_error *err)
{
    const char *env_path = getenv(env);
    char buf[PATH_MAX], looked[2 * PATH_MAX];
    void *doc;

    if (path != NULL)
        return open_path(path, err);
    if (env_path != NULL && *env_path != '\0') {
        doc = open_path(env_path, err);
        if (doc == NULL && err != NULL && err->code == TM_ENOENT)
            tm_error_set(err, TM_ENOENT, "%s (named by $%s): no such file", env_path, env);
        return doc;
    }
    if (tm__core_find_data_file(file, buf, sizeof(buf), looked, sizeof(looked)) == TM_OK)
        return open_path(buf, err);
    tm_error_set(err, TM_ENOENT, "%s not found (looked for %s in %s); %s", what, file, looked,
                 hint);
    return NULL;
}
