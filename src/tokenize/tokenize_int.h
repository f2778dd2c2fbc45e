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
    TM_PAT_O200K = 3,  /* o200k_base, o200k_harmony; gpt-oss tokenizer.json */
    TM_PAT_QWEN = 4,   /* Qwen2/2.5/3 tokenizer.json */
    TM_PAT_DEEPSEEK = 5, /* DeepSeek-V3/R1 tokenizer.json (three splits) */
    TM_PAT_LAST = 5,
};

#define TM_RANK_NONE UINT32_MAX
#define TM_VOCAB_MAX_IDS (1u << 24)  /* sanity cap on vocabulary size */
#define TM_VOCAB_MAX_TOKEN 4096      /* sanity cap on one token's length */

/* One slot of the open-addressing token table (16 bytes). A token of up
 * to TM_INLINE_TOKEN bytes is stored inline: key holds its bytes,
 * zero-padded, little-endian, so a lookup touches one cache line. A longer
 * token's key is its tm__core_hash64 and its bytes are compared through
 * offsets. len == 0 marks an empty slot. */
struct tm__slot {
    uint64_t key;
    uint32_t rank;
    uint32_t len;
};

#define TM_INLINE_TOKEN 8
#define TM_BLOOM_BITS (1u << 20)

/* The two bloom-filter bits of a probe hash. */
static inline uint32_t tm__bloom_a(uint64_t h) { return (uint32_t)(h >> 44) & (TM_BLOOM_BITS - 1); }
static inline uint32_t tm__bloom_b(uint64_t h) { return (uint32_t)(h >> 24) & (TM_BLOOM_BITS - 1); }

/* Slots of the special-token index. */
struct tm__special_slot {
    uint32_t tag;
    uint32_t index_plus1; /* 0 = empty */
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
    const uint64_t *key2;     /* second key word of each slot (see tm__token_key) */
    uint32_t table_mask;
    uint32_t byte_rank[256];  /* rank of each single byte */
    uint32_t *pair_rank;      /* 65536 entries: rank of each 2-byte token,
                                 indexed by first | second << 8 (heap) */
    uint64_t *bloom;          /* TM_BLOOM_BITS bits over the tokens' probe
                                 hashes (heap): most byte strings that are
                                 not tokens are rejected without touching
                                 the table */

    uint32_t n_special;
    struct tm__special *specials;   /* heap, sorted by id */
    struct tm__special_slot *special_table; /* heap, indexes specials by text */
    uint32_t special_mask;
    uint32_t special_lens;          /* bit k set: some special has length k+1 (<=32) */
    uint32_t special_max_len;
    uint8_t special_first[32];      /* bitmap of first bytes of specials */

    struct tm__merge_cache *merge_cache; /* heap; see bpe.c */

    struct tm__hf *hf;        /* a tokenizer.json pipeline (hf.h), or NULL */
    const uint64_t *direct;   /* NULL, or a bit per id: a piece equal to the
                                 token encodes to it (merges reach it) */

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

/* s[0..n), 1 <= n <= 8, as a zero-padded little-endian word; reads only
 * inside s. */
static inline uint64_t tm__short_key(const uint8_t *s, size_t n)
{
    if (n >= 4) {
        uint64_t lo = tm__core_load32(s), hi = tm__core_load32(s + n - 4);
        return lo | (hi << (8 * (n - 4)));
    }
    if (n == 3)
        return (uint64_t)s[0] | ((uint64_t)s[1] << 8) | ((uint64_t)s[2] << 16);
    if (n == 2)
        return (uint64_t)s[0] | ((uint64_t)s[1] << 8);
    return s[0];
}

/* The longest tokens whose bytes the table holds inline: up to 8 in the
 * slot's key, 9 to 16 as the first 8 bytes in key and the last 8 in the
 * parallel key2 array (for a given length the two overlapping words
 * determine the bytes). Longer tokens are compared through offsets. */
#define TM_KEY2_TOKEN 16

/* The table key of s[0..n) (n >= 1); *key2 receives the second key word
 * (0 when unused) and *h the probe hash. Part of the .tmv format: never
 * change it without changing the format version. */
static inline uint64_t tm__token_key(const uint8_t *s, size_t n, uint64_t *key2,
                                     uint64_t *h)
{
    uint64_t key;

    if (n <= TM_INLINE_TOKEN) {
        key = tm__short_key(s, n);
        *key2 = 0;
        *h = tm__core_mix64(key ^ ((uint64_t)n << 59), 0x9e3779b97f4a7c15ull);
        return key;
    }
    if (n <= TM_KEY2_TOKEN) {
        key = tm__core_load64(s);
        *key2 = tm__core_load64(s + n - 8);
        *h = tm__core_mix64(key ^ ((uint64_t)n << 59),
                            *key2 ^ 0x9e3779b97f4a7c15ull);
        return key;
    }
    key = tm__core_hash64(s, n);
    *key2 = 0;
    *h = key;
    return key;
}

/* Find s[0..n) with its keys and hash in a token table. */
static inline uint32_t tm__table_find(const struct tm__slot *table,
                                      const uint64_t *key2s, uint32_t mask,
                                      const uint32_t *offsets, const uint8_t *bytes,
                                      const uint8_t *s, size_t n, uint64_t key,
                                      uint64_t key2, uint64_t h)
{
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const struct tm__slot *slot = &table[i];
        if (slot->len == 0)
            return TM_RANK_NONE;
        if (slot->key == key && slot->len == n &&
            (n <= TM_INLINE_TOKEN ||
             (n <= TM_KEY2_TOKEN ? key2s[i] == key2
                                 : tm__bytes_equal(bytes + offsets[slot->rank], s, n))))
            return slot->rank;
    }
}

/* The rank of the byte string s[0..n) (n >= 1), or TM_RANK_NONE. */
static inline uint32_t tm__vocab_rank(const tm_encoding *enc, const uint8_t *s,
                                      size_t n)
{
    uint64_t key, key2, h;

    if (n == 1)
        return enc->byte_rank[s[0]];
    if (n == 2)
        return enc->pair_rank[s[0] | (s[1] << 8)];
    if (n > enc->max_token_len)
        return TM_RANK_NONE;
    key = tm__token_key(s, n, &key2, &h);
    if (!((enc->bloom[tm__bloom_a(h) >> 6] >> (tm__bloom_a(h) & 63)) & 1) ||
        !((enc->bloom[tm__bloom_b(h) >> 6] >> (tm__bloom_b(h) & 63)) & 1))
        return TM_RANK_NONE;
    return tm__table_find(enc->table, enc->key2, enc->table_mask, enc->offsets,
                          enc->bytes, s, n, key, key2, h);
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

/* The code point of the valid UTF-8 character at p; *len gets its length. */
static inline uint32_t tm__utf8_decode(const uint8_t *p, size_t *len)
{
    uint8_t b = p[0];

    if (b < 0x80) {
        *len = 1;
        return b;
    }
    if (b < 0xE0) {
        *len = 2;
        return ((uint32_t)(b & 0x1F) << 6) | (p[1] & 0x3F);
    }
    if (b < 0xF0) {
        *len = 3;
        return ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
           ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

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

/* The cache of merged pieces an encoding owns (bpe.c): allocated at open,
 * shared by every thread using the encoding. */
struct tm__merge_cache;
struct tm__merge_cache *tm__merge_cache_new(void);
void tm__merge_cache_free(struct tm__merge_cache *cache);

/* Start loading what tm__bpe_piece will read for this piece. */
void tm__bpe_prefetch(const tm_encoding *enc, const uint8_t *piece, size_t len);

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
/* True for the names of the built-in tokenizer.json families. */
bool tm__hf_family(const char *name);

/* The checksum stored at offset 96 of a .tmv image (any len; a short one
 * is read as if zero-padded to the header size). */
uint64_t tm__vocab_checksum(const uint8_t *img, size_t len);

int tm__vocab_load_file(tm_encoding *enc, const char *path, const char *base,
                        struct tm_error *err);

/* Building .tmv images (vocab.c): tokens by id, decode-only texts, and an
 * optional extension section (the tokenizer.json pipeline). */
struct tm__builder {
    uint8_t **tok;      /* token bytes by id (NULL = gap) */
    uint32_t *tok_len;
    uint32_t n_ranks;
    uint32_t cap;
    struct { char *text; uint32_t id; } *sp;
    uint32_t n_sp, sp_cap;
    int rc;
};
void tm__builder_add_special(void *ctx, const char *text, uint32_t id);
void tm__builder_free(struct tm__builder *b);
int tm__builder_image(struct tm__builder *b, int pattern, const char *name,
                      const uint8_t *ext, size_t ext_len, uint8_t **out,
                      size_t *out_len, struct tm_error *err, const char *what);
int tm__vocab_check_unique(uint8_t *img, const char *what, struct tm_error *err);
int tm__vocab_write(uint8_t *img, size_t len, const char *src_path,
                    const char *out_path, struct tm_error *err);
int tm__vocab_load_tmv(tm_encoding *enc, const void *data, size_t len,
                       const char *what, struct tm_error *err);
int tm__vocab_finish(tm_encoding *enc, struct tm_error *err, const char *what);
void tm__vocab_release(tm_encoding *enc);

#endif
