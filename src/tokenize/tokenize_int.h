/*
 * Private declarations of the tokenize module.
 *
 * Pipeline for one text: UTF-8 sanitizing (utf8.c) -> optional special-token
 * split (encoding.c) -> pre-tokenization into pieces by the encoding's split
 * pattern (pretok.c) -> whole-piece vocabulary lookup, else byte-pair merge
 * (bpe.c) -> ids to an emitter (count only, fixed buffer, growable buffer,
 * or a streaming sink).
 *
 * The vocabulary (vocab.c) is read-only after load: an mmap'd .tmv file or
 * heap memory laid out identically.
 */
#ifndef TM_TOKENIZE_INT_H
#define TM_TOKENIZE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/core_int.h"
#include "tokenmeter/tokenize.h"

/* Split patterns with a hand-written scanner. Values are stored in .tmv
 * files: append only. */
enum tm__pattern {
    TM_PAT_R50K = 1,   /* r50k_base, p50k_base, p50k_edit (GPT-2's pattern) */
    TM_PAT_CL100K = 2, /* cl100k_base */
    TM_PAT_O200K = 3,  /* o200k_base, o200k_harmony */
};

#define TM_RANK_NONE UINT32_MAX

/* One slot of the open-addressing token table: tag is the high half of
 * the token's tm__core_hash64, rank_plus1 == 0 marks an empty slot. */
struct tm__slot {
    uint32_t tag;
    uint32_t rank_plus1;
};

/* The hot table: a direct-mapped copy of the most frequent short tokens
 * (lowest ranks win a slot), keyed by their bytes inline, so the common
 * lookups touch one cache-resident entry instead of probing the large
 * table and then the token bytes. Built at load; read-only after. */
#define TM_HOT_BITS 14
#define TM_HOT_MAX_LEN 16

struct tm__hot {
    uint64_t k0, k1;  /* the token's bytes, see hot_key */
    uint32_t rank;
    uint32_t len;     /* 0 = empty */
};

struct tm__special {
    const char *text;
    uint32_t len;
    uint32_t id;
};

struct tm_encoding {
    char name[32];
    int pattern;
    uint32_t n_ranks;         /* ordinary ids are < n_ranks */
    uint32_t n_vocab;         /* one past the largest id, specials included */
    uint32_t max_token_len;   /* longest ordinary token, in bytes */
    const uint32_t *offsets;  /* n_ranks + 1 offsets into bytes */
    const uint8_t *bytes;
    const struct tm__slot *table;
    uint32_t table_mask;
    uint32_t byte_rank[256];  /* rank of each single byte */
    struct tm__hot *hot;      /* 1 << TM_HOT_BITS entries, heap */

    uint32_t n_special;
    struct tm__special *specials;   /* heap, sorted by id */
    struct tm__slot *special_table; /* heap, indexes specials by text */
    uint32_t special_mask;
    uint32_t special_lens;          /* bit k set: some special has length k+1 (<=32) */
    uint32_t special_max_len;
    uint8_t special_first[32];      /* bitmap of first bytes of specials */

    void *map;      /* mmap'd file, or NULL */
    size_t map_len;
    void *heap;     /* heap copy of the vocabulary (compiled in memory), or NULL */
};

/* a[0..n) == b[0..n), for short strings without a call to memcmp; reads
 * only inside both ranges. */
static inline bool tm__bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n >= 8) {
        if (n > 16)
            return memcmp(a, b, n) == 0;
        return tm__core_load64(a) == tm__core_load64(b) &&
               tm__core_load64(a + n - 8) == tm__core_load64(b + n - 8);
    }
    if (n >= 4)
        return tm__core_load32(a) == tm__core_load32(b) &&
               tm__core_load32(a + n - 4) == tm__core_load32(b + n - 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Key of a string of at most TM_HOT_MAX_LEN bytes: for a given length the
 * pair (k0, k1) determines the bytes, and only bytes inside s are read. */
static inline void tm__hot_key(const uint8_t *s, size_t n, uint64_t *k0,
                               uint64_t *k1)
{
    if (n >= 8) {
        *k0 = tm__core_load64(s);
        *k1 = tm__core_load64(s + n - 8);
    } else if (n >= 4) {
        *k0 = (uint64_t)tm__core_load32(s) | ((uint64_t)tm__core_load32(s + n - 4) << 32);
        *k1 = 0;
    } else {
        *k0 = (uint64_t)s[0] | ((uint64_t)s[n / 2] << 8) | ((uint64_t)s[n - 1] << 16);
        *k1 = 0;
    }
}

static inline uint32_t tm__hot_slot(uint64_t k0, uint64_t k1, size_t n)
{
    uint64_t h = (k0 * 0x9e3779b97f4a7c15ull) ^ (k1 * 0xc2b2ae3d27d4eb4full) ^ n;
    return (uint32_t)((h * 0xff51afd7ed558ccdull) >> (64 - TM_HOT_BITS));
}

/* The rank of the byte string s[0..n) (n >= 1), or TM_RANK_NONE. */
static inline uint32_t tm__vocab_rank(const tm_encoding *enc, const uint8_t *s,
                                      size_t n)
{
    uint64_t h;
    uint32_t i, tag;

    if (n == 1)
        return enc->byte_rank[s[0]];
    if (n > enc->max_token_len)
        return TM_RANK_NONE;
    if (n <= TM_HOT_MAX_LEN) {
        uint64_t k0, k1;
        const struct tm__hot *e;
        tm__hot_key(s, n, &k0, &k1);
        e = &enc->hot[tm__hot_slot(k0, k1, n)];
        if (e->len == n && e->k0 == k0 && e->k1 == k1)
            return e->rank;
    }
    h = tm__core_hash64(s, n);
    tag = (uint32_t)(h >> 32);
    for (i = (uint32_t)h & enc->table_mask;; i = (i + 1) & enc->table_mask) {
        const struct tm__slot *slot = &enc->table[i];
        uint32_t r;
        if (slot->rank_plus1 == 0)
            return TM_RANK_NONE;
        if (slot->tag != tag)
            continue;
        r = slot->rank_plus1 - 1;
        if (enc->offsets[r + 1] - enc->offsets[r] == n &&
            tm__bytes_equal(enc->bytes + enc->offsets[r], s, n))
            return r;
    }
}

/* ---- emitting ids ---- */

enum tm__emit_mode { TM_EMIT_COUNT, TM_EMIT_FIXED, TM_EMIT_GROW, TM_EMIT_SINK };

#define TM_SINK_BATCH 1024

struct tm__emit {
    int mode;
    int rc;               /* first error (TM_ENOMEM, sink's return) */
    uint64_t count;
    tm_token *ids;        /* FIXED: caller's buffer */
    size_t cap;
    struct tm_tokens *grow;
    tm_token_sink sink;
    void *sink_ctx;
    size_t sink_len;
    tm_token sink_buf[TM_SINK_BATCH];
};

void tm__emit_slow(struct tm__emit *e, tm_token id);
int tm__emit_flush(struct tm__emit *e);

static inline void tm__emit(struct tm__emit *e, tm_token id)
{
    e->count++;
    if (e->mode != TM_EMIT_COUNT)
        tm__emit_slow(e, id);
}

/* ---- UTF-8 (utf8.c) ---- */

/* Length of the longest valid UTF-8 prefix of s[0..n). */
size_t tm__utf8_valid_prefix(const uint8_t *s, size_t n);

/* Incremental WHATWG UTF-8 decoder that re-encodes its output, replacing
 * every invalid sequence with EF BF BD (U+FFFD). */
struct tm__utf8_fixer {
    uint32_t needed;  /* continuation bytes still expected */
    uint32_t seen;
    uint8_t lower, upper;
    uint8_t pending[4];
    uint32_t n_pending;
};

void tm__utf8_fixer_init(struct tm__utf8_fixer *f);
/* Sanitize in[0..n) into out, which must hold 3 * (n + 4) bytes; returns
 * the number of bytes written. A sequence cut at the end of in is held back
 * until the next call, or until tm__utf8_fixer_end. */
size_t tm__utf8_fix(struct tm__utf8_fixer *f, const uint8_t *in, size_t n,
                    uint8_t *out);
/* End of input: an incomplete held sequence becomes one U+FFFD. Writes at
 * most 3 bytes; returns the count. */
size_t tm__utf8_fixer_end(struct tm__utf8_fixer *f, uint8_t *out);

/* ---- pre-tokenization (pretok.c) ---- */

/* The length in bytes of the piece starting at text[pos] (pos < len), by
 * the split pattern. text[0..len) is valid UTF-8 and `pos` is the start of
 * a piece. When `final` is false and the piece could depend on bytes beyond
 * len, returns 0: the caller must supply more text. Never returns 0 when
 * final is true. */
size_t tm__pretok_next(int pattern, const uint8_t *text, size_t len,
                       size_t pos, bool final);

/* Split from pos into at most max pieces, writing each piece's end offset
 * to ends[]; returns the number written (fewer than max only at the end of
 * the text, or where a non-final text needs more input). Same rules as
 * tm__pretok_next; one call per batch keeps the scanner's loop tight. */
size_t tm__pretok_batch(int pattern, const uint8_t *text, size_t len,
                        size_t pos, bool final, size_t *ends, size_t max);

/* True when pretok.c's constant ASCII table agrees with the generated
 * Unicode tables (for the unit tests). */
bool tm__pretok_selfcheck(void);

/* ---- byte-pair merge (bpe.c) ---- */

/* Merge one piece (not itself a token) and emit its ids. */
void tm__bpe_piece(const tm_encoding *enc, const uint8_t *piece, size_t len,
                   struct tm__emit *e);

/* ---- encoding (encoding.c) ---- */

/* Encode valid UTF-8 text[0..len) without special tokens. Returns the number
 * of bytes consumed: len when final, possibly less otherwise. */
size_t tm__encode_ordinary(const tm_encoding *enc, const uint8_t *text,
                           size_t len, bool final, struct tm__emit *e);

/* Find the first special token in text[from..len); returns its index in
 * enc->specials and sets *at, or returns -1. */
int tm__special_find(const tm_encoding *enc, const uint8_t *text, size_t len,
                     size_t from, size_t *at);

/* ---- vocabulary files (vocab.c) ---- */

/* Built-in encodings: split pattern and special tokens by name. */
struct tm__builtin {
    const char *name;
    int pattern;
    const char *vocab;        /* vocabulary file stem, e.g. "o200k_base" */
    void (*specials)(void (*add)(void *ctx, const char *text, uint32_t id),
                     void *ctx);
};
const struct tm__builtin *tm__builtin_find(const char *name);

/* The checksum stored at offset 96 of a .tmv image of len >= 128 bytes. */
uint64_t tm__vocab_checksum(const uint8_t *img, size_t len);

int tm__vocab_load_file(tm_encoding *enc, const char *path, const char *base,
                        struct tm_error *err);
int tm__vocab_load_tmv(tm_encoding *enc, const void *data, size_t len,
                       const char *what, struct tm_error *err);
int tm__vocab_finish(tm_encoding *enc, struct tm_error *err, const char *what);
void tm__vocab_release(tm_encoding *enc);

#endif
