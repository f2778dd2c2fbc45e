/*
 * BPE as Hugging Face tokenizers runs it (models/bpe/word.rs): a word
 * starts as one symbol per byte (byte-level files) or per character; then,
 * as long as some adjacent pair has a merge, the pair with the lowest merge
 * index is merged, the leftmost one on a tie.
 *
 * Short words scan their pairs directly (quadratic in at most
 * HF_SHORT symbols); longer ones keep a heap of (rank, position) entries
 * and skip the entries that merges before them made stale, which is
 * O(n log n) for words of any length.
 */
#include <stdlib.h>

#include "tokenize/hf.h"

#define HF_SHORT 64
#define DEAD TM_RANK_NONE
#define NIL UINT32_MAX

/* The UTF-8 length of the character that starts with byte b (the text is
 * valid UTF-8). */
static inline size_t char_len(uint8_t b)
{
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* The initial symbols of word[0..len) into sym (room for len); returns
 * their number. A character missing from the vocabulary becomes its
 * "<0xHH>" byte tokens when the file has byte_fallback and all of them
 * exist, else the unknown token (consecutive ones fused into one when
 * fuse_unk is set), else nothing. */
static size_t init_symbols(const tm_encoding *enc, const uint8_t *w, size_t len,
                           uint32_t *sym)
{
    const struct tm__hf *hf = enc->hf;
    size_t n = 0;
    bool last_unk = false;

    if (hf->byte_level) {
        for (size_t i = 0; i < len; i++)
            sym[i] = enc->byte_rank[w[i]];
        return len;
    }
    for (size_t i = 0; i < len;) {
        size_t cl = char_len(w[i]);
        uint32_t id;

        if (cl > len - i)
            cl = len - i;
        id = tm__vocab_rank(enc, w + i, cl);
        if (id != TM_RANK_NONE) {
            sym[n++] = id;
            last_unk = false;
        } else if (hf->byte_fallback && hf->fallback_complete) {
            for (size_t k = 0; k < cl; k++)
                sym[n++] = hf->fallback_id[w[i + k]];
            last_unk = false;
        } else if (hf->unk_id != TM_RANK_NONE) {
            if (!(hf->fuse_unk && last_unk))
                sym[n++] = hf->unk_id;
            last_unk = true;
        }
        i += cl;
    }
    return n;
}

static inline uint32_t pair_rank(const struct tm__hf *hf, uint32_t a, uint32_t b,
                                 uint32_t *result)
{
    const struct tm__pair *p = tm__pair_find(hf->pairs, hf->pair_mask, a, b);
    if (p == NULL)
        return TM_RANK_NONE;
    *result = p->result;
    return p->rank;
}

/* Merge sym[0..n) in place; returns the new count. n <= HF_SHORT. */
static size_t merge_short(const struct tm__hf *hf, uint32_t *sym, size_t n)
{
    uint32_t rank[HF_SHORT], res[HF_SHORT];

    for (size_t i = 0; i + 1 < n; i++)
        rank[i] = pair_rank(hf, sym[i], sym[i + 1], &res[i]);
    while (n > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (rank[i] < rank[best])
                best = i;
        if (rank[best] == TM_RANK_NONE)
            break;
        sym[best] = res[best];
        for (size_t i = best + 1; i + 1 < n; i++) {
            sym[i] = sym[i + 1];
            rank[i] = rank[i + 1];
            res[i] = res[i + 1];
        }
        n--;
        if (best > 0)
            rank[best - 1] = pair_rank(hf, sym[best - 1], sym[best], &res[best - 1]);
        if (best + 1 < n)
            rank[best] = pair_rank(hf, sym[best], sym[best + 1], &res[best]);
    }
    return n;
}

/* ---- long words: a heap of (rank << 32 | position) ---- */

struct heap {
    uint64_t *v;
    size_t n;
};

static inline void heap_push(struct heap *h, uint64_t x)
{
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent] <= x)
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = x;
}

static inline uint64_t heap_pop(struct heap *h)
{
    uint64_t top = h->v[0], x = h->v[--h->n];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1] < h->v[c])
            c++;
        if (h->v[c] >= x)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = x;
    return top;
}

/* Merge sym[0..n) (n < 2^32) and emit. Returns TM_OK or TM_ENOMEM. */
static int merge_long(const struct tm__hf *hf, uint32_t *sym, size_t n,
                      struct tm__emit *e, tm_token *ids, size_t cap, size_t *n_out)
{
    uint32_t *next = malloc(n * sizeof(*next)), *prev = malloc(n * sizeof(*prev));
    struct heap h = {malloc(2 * n * sizeof(uint64_t)), 0};
    size_t count = 0;

    if (next == NULL || prev == NULL || h.v == NULL) {
        free(next);
        free(prev);
        free(h.v);
        return TM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t r, res;
        next[i] = i + 1 < n ? (uint32_t)(i + 1) : NIL;
        prev[i] = i > 0 ? (uint32_t)(i - 1) : NIL;
        if (i + 1 < n && (r = pair_rank(hf, sym[i], sym[i + 1], &res)) != TM_RANK_NONE)
            heap_push(&h, (uint64_t)r << 32 | i);
    }
    while (h.n) {
        uint64_t top = heap_pop(&h);
        uint32_t r = (uint32_t)(top >> 32), p = (uint32_t)top, q, res = 0, nr;

        if (sym[p] == DEAD || (q = next[p]) == NIL ||
            pair_rank(hf, sym[p], sym[q], &res) != r)
            continue; /* stale */
        sym[p] = res;
        sym[q] = DEAD;
        next[p] = next[q];
        if (next[q] != NIL)
            prev[next[q]] = p;
        if (prev[p] != NIL &&
            (nr = pair_rank(hf, sym[prev[p]], sym[p], &res)) != TM_RANK_NONE)
            heap_push(&h, (uint64_t)nr << 32 | prev[p]);
        if (next[p] != NIL &&
            (nr = pair_rank(hf, sym[p], sym[next[p]], &res)) != TM_RANK_NONE)
            heap_push(&h, (uint64_t)nr << 32 | p);
    }
    for (uint32_t i = 0; i != NIL && n > 0; i = next[i]) {
        if (e)
            tm__emit(e, sym[i]);
        else if (count < cap)
            ids[count] = sym[i];
        count++;
    }
    *n_out = count;
    free(next);
    free(prev);
    free(h.v);
    return TM_OK;
}

/* Merge word and deliver the ids to e, or to ids[0..cap) when e is NULL.
 * Returns the number of ids; sets *rc on failure. */
static size_t merge_word(const tm_encoding *enc, const uint8_t *word, size_t len,
                         struct tm__emit *e, tm_token *ids, size_t cap, int *rc)
{
    uint32_t stack[256], *sym = stack;
    size_t n, count = 0;

    if (len > sizeof(stack) / sizeof(stack[0])) {
        if (len > UINT32_MAX - 1 || (sym = malloc(len * sizeof(*sym))) == NULL) {
            *rc = len > UINT32_MAX - 1 ? TM_ELIMIT : TM_ENOMEM;
            return 0;
        }
    }
    n = init_symbols(enc, word, len, sym);
    if (n <= HF_SHORT) {
        n = merge_short(enc->hf, sym, n);
        for (size_t i = 0; i < n; i++) {
            if (e)
                tm__emit(e, sym[i]);
            else if (i < cap)
                ids[i] = sym[i];
        }
        count = n;
    } else {
        *rc = merge_long(enc->hf, sym, n, e, ids, cap, &count);
    }
    if (sym != stack)
        free(sym);
    return count;
}

void tm__hf_merge(const tm_encoding *enc, const uint8_t *word, size_t len,
                  struct tm__emit *e)
{
    int rc = TM_OK;

    merge_word(enc, word, len, e, NULL, 0, &rc);
    if (rc && !e->rc)
        e->rc = rc;
}

size_t tm__hf_merge_ids(const tm_encoding *enc, const uint8_t *word, size_t len,
                        tm_token *ids, size_t cap)
{
    int rc = TM_OK;
    size_t n = merge_word(enc, word, len, NULL, ids, cap, &rc);
    return rc ? SIZE_MAX : n;
}
