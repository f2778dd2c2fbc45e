/*
 * Helpers shared by every module of the library, internal to it.
 *
 * tm__core_hash64 is part of the .tmv vocabulary file format (its hash table
 * is built with it), so its output must never change for a given input.
 */
#ifndef TM_CORE_INT_H
#define TM_CORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Read a little-endian 64/32-bit value from unaligned memory. */
static inline uint64_t tm__core_load64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t tm__core_load32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t tm__core_mix64(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * A fast 64-bit hash of a short byte string (multiply-mix over 8-byte
 * words). Not cryptographic; used for in-memory and on-disk hash tables.
 */
static inline uint64_t tm__core_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint64_t k0 = 0x9e3779b97f4a7c15ull, k1 = 0xd6e8feb86659fd93ull;
    uint64_t h = k0 ^ (len * k1);

    while (len > 8) {
        h = tm__core_mix64(h ^ tm__core_load64(p), k1);
        p += 8;
        len -= 8;
    }
    {
        uint64_t tail = 0;
        if (len >= 4) {
            tail = (uint64_t)tm__core_load32(p) |
                   ((uint64_t)tm__core_load32(p + len - 4) << 32);
        } else if (len > 0) {
            tail = (uint64_t)p[0] | ((uint64_t)p[len / 2] << 8) |
                   ((uint64_t)p[len - 1] << 16) | ((uint64_t)len << 24);
        }
        h = tm__core_mix64(h ^ tail, k0);
    }
    return tm__core_mix64(h, k1);
}

/* ---- files (src/core/file.c) ---- */

struct tm_error;

/*
 * Read the whole regular file at path, of at most cap bytes, into a
 * malloc'd NUL-terminated buffer (*len bytes, the NUL not counted).
 * `what` names the kind of document in the over-cap message ("price
 * book"). NULL on failure, with err filled: TM_ENOENT, TM_EIO, TM_ELIMIT,
 * TM_ENOMEM; every message starts with the path.
 */
char *tm__core_read_file(const char *path, size_t cap, const char *what, size_t *len,
                         struct tm_error *err);

/*
 * The default location of data file `file` ("prices.json"): the source
 * tree's data directory (TM_SOURCE_DATA_DIR, so a build tree never mixes
 * its files with older installed ones), else the installed data directory
 * (TM_DATA_DIR). 0 with the path in path[0..cap), or TM_ENOENT with the
 * directories searched written into looked[0..looked_cap).
 */
int tm__core_find_data_file(const char *file, char *path, size_t cap, char *looked,
                            size_t looked_cap);

/*
 * Open a document with the library's default-location rule: `path` when
 * given; else the file named by $env (a missing file there is TM_ENOENT,
 * never a silent fallback); else data file `file` (tm__core_find_data_file).
 * open_path reads and parses one file. `what` ("price book") and `hint`
 * ("set $X or pass --prices FILE") make the not-found message.
 */
void *tm__core_open_default(const char *path, const char *env, const char *file,
                            const char *what, const char *hint,
                            void *(*open_path)(const char *path, struct tm_error *err),
                            struct tm_error *err);

#endif
