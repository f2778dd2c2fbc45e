/*
 * Encodings: opening by name or file, and the whole-text count, encode and
 * decode entry points of include/tokenmeter/tokenize.h.
 *
 * Encoding a text: sanitize UTF-8 only when the text is not already valid
 * (valid input is tokenized in place, with no copy); when special tokens are
 * allowed, split the text at each special token and encode the stretches
 * between them independently (as tiktoken does: each stretch is its own
 * text to the split pattern); each piece of a stretch is looked up whole in
 * the vocabulary before any merging, as tiktoken does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tokenize/hf.h"

#ifndef TM_VOCAB_DIR
#define TM_VOCAB_DIR "build/vocab"
#endif
#ifndef TM_DATA_DIR
#define TM_DATA_DIR "/usr/local/share/tokenmeter"
#endif

/* ---- emitting ---- */

void tm__emit_slow(struct tm__emit *e, tm_token id)
{
    switch (e->mode) {
    case TM_EMIT_FIXED:
        if (e->count <= e->cap)
            e->ids[e->count - 1] = id;
        break;
    case TM_EMIT_GROW:
        if (e->rc == 0)
            e->rc = tm_tokens_append(e->grow, &id, 1);
        break;
    case TM_EMIT_SINK:
        e->sink_buf[e->sink_len++] = id;
        if (e->sink_len == TM_SINK_BATCH)
            tm__emit_flush(e);
        break;
    default:
        break;
    }
}

int tm__emit_flush(struct tm__emit *e)
{
    if (e->mode == TM_EMIT_SINK && e->sink_len > 0 && e->rc == 0) {
        int rc = e->sink(e->sink_ctx, e->sink_buf, e->sink_len);
        if (rc)
            e->rc = rc;
    }
    e->sink_len = 0;
    return e->rc;
}

/* ---- encoding ---- */

/* Pieces per batch. The scanner fills a batch; every piece's table slot is
 * prefetched before any is looked up, and every merge-cache entry the
 * pieces that are not tokens will read is prefetched before any is merged,
 * so the cache misses of a batch overlap instead of following one
 * another. */
#define BATCH 64

/* low_bytes[n]: a mask of the low n bytes of a word. */
static const uint64_t low_bytes[9] = {
    0, 0xFFull, 0xFFFFull, 0xFFFFFFull, 0xFFFFFFFFull, 0xFFFFFFFFFFull,
    0xFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull,
};

size_t tm__encode_ordinary(const tm_encoding *enc, const uint8_t *text,
                           size_t len, bool final, struct tm__emit *e)
{
    size_t ends[BATCH], pos = 0;
    uint64_t keys[BATCH], keys2[BATCH], hashes[BATCH];
    uint32_t ranks[BATCH];

    while (pos < len) {
        size_t n = tm__pretok_batch(enc->pattern, text, len, pos, final, ends, BATCH);
        size_t start = pos;

        for (size_t k = 0; k < n; k++) {
            size_t plen = ends[k] - start;
            if (plen <= TM_INLINE_TOKEN && start + 8 <= len) {
                /* The common case without branching on the length: the
                 * same zero-padded key tm__short_key makes. */
                keys[k] = tm__core_load64(text + start) & low_bytes[plen];
                keys2[k] = 0;
                hashes[k] = tm__core_mix64(keys[k] ^ ((uint64_t)plen << 59),
                                           0x9e3779b97f4a7c15ull);
            } else if (plen <= enc->max_token_len) {
                keys[k] = tm__token_key(text + start, plen, &keys2[k], &hashes[k]);
                if (plen > TM_INLINE_TOKEN && plen <= TM_KEY2_TOKEN)
                    __builtin_prefetch(&enc->key2[hashes[k] & enc->table_mask]);
            } else {
                hashes[k] = 0;
            }
            __builtin_prefetch(&enc->table[hashes[k] & enc->table_mask]);
            start = ends[k];
        }
        start = pos;
        for (size_t k = 0; k < n; k++) {
            size_t plen = ends[k] - start;
            if (plen == 1)
                ranks[k] = enc->byte_rank[text[start]];
            else if (plen > enc->max_token_len)
                ranks[k] = TM_RANK_NONE;
            else
                ranks[k] = tm__table_find(enc->table, enc->key2, enc->table_mask,
                                          enc->offsets, enc->bytes, text + start,
                                          plen, keys[k], keys2[k], hashes[k]);
            if (ranks[k] == TM_RANK_NONE)
                tm__bpe_prefetch(enc, text + start, plen);
            start = ends[k];
        }
        for (size_t k = 0; k < n; k++) {
            uint32_t r = ranks[k];
            if (r != TM_RANK_NONE && (enc->direct == NULL || (enc->direct[r >> 6] >> (r & 63)) & 1))
                tm__emit(e, r);
            else
                tm__bpe_piece(enc, text + pos, ends[k] - pos, e);
            pos = ends[k];
        }
        if (n < BATCH)
            break;
    }
    return pos;
}

/* Encode a whole, valid UTF-8 text. */
static void encode_valid(const tm_encoding *enc, const uint8_t *text, size_t len,
                         unsigned flags, struct tm__emit *e)
{
    size_t from = 0, at;
    int k;

    if (enc->hf) {
        tm__hf_encode(enc, text, len, flags, e);
        return;
    }
    if (!(flags & TM_ENCODE_ALLOW_SPECIAL)) {
        tm__encode_ordinary(enc, text, len, true, e);
        return;
    }
    while ((k = tm__special_find(enc, text, len, from, &at)) >= 0) {
        tm__encode_ordinary(enc, text + from, at - from, true, e);
        tm__emit(e, enc->specials[k].id);
        from = at + enc->specials[k].len;
    }
    tm__encode_ordinary(enc, text + from, len - from, true, e);
}

/* Encode any bytes: sanitize a copy only when the text is not valid UTF-8. */
static int encode_bytes(const tm_encoding *enc, const char *text, size_t len,
                        unsigned flags, struct tm__emit *e)
{
    const uint8_t *s = (const uint8_t *)text;
    uint8_t *fixed = NULL;

    if (tm__utf8_valid_prefix(s, len) != len) {
        struct tm__utf8_fixer fx;
        size_t n;

        if (len > (SIZE_MAX - 16) / 3)
            return TM_ELIMIT;
        fixed = malloc(3 * len + 16);
        if (fixed == NULL)
            return TM_ENOMEM;
        tm__utf8_fixer_init(&fx);
        n = tm__utf8_fix(&fx, s, len, fixed);
        n += tm__utf8_fixer_end(&fx, fixed + n);
        s = fixed;
        len = n;
    }
    encode_valid(enc, s, len, flags, e);
    free(fixed);
    tm__emit_flush(e);
    return e->rc;
}

int tm_encoding_count(const tm_encoding *enc, const char *text, size_t len,
                      unsigned flags, uint64_t *count)
{
    struct tm__emit e;
    int rc;

    e.mode = TM_EMIT_COUNT;
    e.rc = 0;
    e.count = 0;
    rc = encode_bytes(enc, text, len, flags, &e);
    *count = e.count;
    return rc;
}

int tm_encoding_encode(const tm_encoding *enc, const char *text, size_t len,
                       unsigned flags, tm_token *ids, size_t cap, size_t *n_ids)
{
    struct tm__emit e;
    int rc;

    e.mode = TM_EMIT_FIXED;
    e.rc = 0;
    e.count = 0;
    e.ids = ids;
    e.cap = cap;
    rc = encode_bytes(enc, text, len, flags, &e);
    *n_ids = (size_t)e.count;
    if (rc == TM_OK && e.count > cap)
        rc = TM_ENOSPC;
    return rc;
}

int tm_encoding_encode_append(const tm_encoding *enc, const char *text,
                              size_t len, unsigned flags, struct tm_tokens *out)
{
    struct tm__emit e;
    size_t before = out->len;
    int rc;

    e.mode = TM_EMIT_GROW;
    e.rc = 0;
    e.count = 0;
    e.grow = out;
    rc = encode_bytes(enc, text, len, flags, &e);
    if (rc)
        out->len = before;
    return rc;
}

int tm_tokens_append(struct tm_tokens *t, const tm_token *ids, size_t n)
{
    if (t->cap - t->len < n) {
        size_t ncap = t->cap ? t->cap : 256;
        tm_token *nb;
        while (ncap - t->len < n) {
            if (ncap > SIZE_MAX / 2 / sizeof(*nb))
                return TM_ENOMEM;
            ncap *= 2;
        }
        nb = realloc(t->ids, ncap * sizeof(*nb));
        if (nb == NULL)
            return TM_ENOMEM;
        t->ids = nb;
        t->cap = ncap;
    }
    memcpy(t->ids + t->len, ids, n * sizeof(*ids));
    t->len += n;
    return TM_OK;
}

int tm_tokens_sink(void *tokens, const tm_token *ids, size_t n)
{
    return tm_tokens_append(tokens, ids, n);
}

void tm_tokens_free(struct tm_tokens *tokens)
{
    if (tokens == NULL)
        return;
    free(tokens->ids);
    tokens->ids = NULL;
    tokens->len = tokens->cap = 0;
}

/* ---- decoding ---- */

static const struct tm__special *special_by_id(const tm_encoding *enc, tm_token id)
{
    size_t lo = 0, hi = enc->n_special;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (enc->specials[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < enc->n_special && enc->specials[lo].id == id)
        return &enc->specials[lo];
    return NULL;
}

const char *tm_encoding_token_bytes(const tm_encoding *enc, tm_token id, size_t *len)
{
    if (id < enc->n_ranks && enc->offsets[id + 1] > enc->offsets[id]) {
        *len = enc->offsets[id + 1] - enc->offsets[id];
        return (const char *)enc->bytes + enc->offsets[id];
    }
    {
        const struct tm__special *sp = special_by_id(enc, id);
        if (sp) {
            *len = sp->len;
            return sp->text;
        }
    }
    *len = 0;
    return NULL;
}

int tm_encoding_decode(const tm_encoding *enc, const tm_token *ids, size_t n_ids,
                       char *out, size_t cap, size_t *n_bytes, struct tm_error *err)
{
    size_t o = 0;

    for (size_t i = 0; i < n_ids; i++) {
        size_t len;
        const char *b = tm_encoding_token_bytes(enc, ids[i], &len);
        if (b == NULL) {
            *n_bytes = o;
            return tm_error_set(err, TM_ENOENT,
                                "token id %u (at position %zu) is not in %s's "
                                "vocabulary", (unsigned)ids[i], i, enc->name);
        }
        if (enc->hf && !enc->hf->byte_level) {
            /* character-level: "<0xHH>" is that byte, the metaspace
             * character is a space */
            const struct tm__hf *hf = enc->hf;
            if (ids[i] < 256 * 4096 && hf->fallback_complete && len == 6 &&
                b[0] == '<' && b[1] == '0' && b[2] == 'x' && b[5] == '>') {
                int hi = b[3] <= '9' ? b[3] - '0' : b[3] - 'A' + 10;
                int lo = b[4] <= '9' ? b[4] - '0' : b[4] - 'A' + 10;
                if (hf->fallback_id[(hi << 4 | lo) & 0xFF] == ids[i]) {
                    if (o < cap)
                        out[o] = (char)(hi << 4 | lo);
                    o++;
                    continue;
                }
            }
            for (size_t k = 0; k < len; k++) {
                char c = b[k];
                if (hf->space_len && k + hf->space_len <= len &&
                    memcmp(b + k, hf->space, hf->space_len) == 0) {
                    c = ' ';
                    k += hf->space_len - 1;
                }
                if (o < cap)
                    out[o] = c;
                o++;
            }
            continue;
        }
        if (o + len <= cap)
            memcpy(out + o, b, len);
        else if (o < cap)
            memcpy(out + o, b, cap - o);
        o += len;
    }
    *n_bytes = o;
    return o > cap ? TM_ENOSPC : TM_OK;
}

/* ---- opening ---- */

static tm_encoding *encoding_alloc(struct tm_error *err)
{
    tm_encoding *enc = calloc(1, sizeof(*enc));
    if (enc == NULL)
        tm_error_set(err, TM_ENOMEM, "out of memory");
    return enc;
}

tm_encoding *tm_encoding_open_file(const char *path, const char *base,
                                   struct tm_error *err)
{
    tm_encoding *enc = encoding_alloc(err);

    if (enc == NULL)
        return NULL;
    if (tm__vocab_load_file(enc, path, base, err) != TM_OK) {
        tm_encoding_free(enc);
        return NULL;
    }
    return enc;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

tm_encoding *tm_encoding_open(const char *name, struct tm_error *err)
{
    const char *dirs[3];
    char path[PATH_MAX];
    const char *env = getenv("TOKENMETER_VOCAB_DIR");
    int nd = 0;

    if (tm__builtin_find(name) == NULL && !tm__hf_family(name)) {
        tm_error_set(err, TM_ENOENT,
                     "unknown encoding '%s' (known: r50k_base, p50k_base, "
                     "p50k_edit, cl100k_base, o200k_base, o200k_harmony, llama3, "
                     "llama2, qwen3, deepseek_v3, gemma3)", name);
        return NULL;
    }
    if (env && *env)
        dirs[nd++] = env;
    dirs[nd++] = TM_VOCAB_DIR;
    dirs[nd++] = TM_DATA_DIR;
    for (int i = 0; i < nd; i++) {
        if ((size_t)snprintf(path, sizeof(path), "%s/%s.tmv", dirs[i], name) >=
            sizeof(path))
            continue;
        if (file_exists(path)) {
            tm_encoding *enc = tm_encoding_open_file(path, NULL, err);
            if (enc && strcmp(enc->name, name) != 0) {
                tm_error_set(err, TM_EFORMAT, "%s: holds encoding '%s', not '%s'",
                             path, enc->name, name);
                tm_encoding_free(enc);
                return NULL;
            }
            return enc;
        }
    }
    tm_error_set(err, TM_ENOENT,
                 "vocabulary for %s not found (looked for %s.tmv in %s%s%s); "
                 "run 'scripts/fetch-vocab' (or 'make vocab') to fetch and compile it",
                 name, name, env && *env ? "$TOKENMETER_VOCAB_DIR, " : "",
                 TM_VOCAB_DIR, " and " TM_DATA_DIR);
    return NULL;
}

void tm_encoding_free(tm_encoding *enc)
{
    if (enc == NULL)
        return;
    tm__vocab_release(enc);
    free(enc);
}

const char *tm_encoding_name(const tm_encoding *enc)
{
    return enc->name;
}

uint32_t tm_encoding_n_vocab(const tm_encoding *enc)
{
    return enc->n_vocab;
}
