/*
 * BPE as Hugging Face tokenizers runs it (models/bpe/word.rs): a word
 * starts as one symbol per byte (byte-level files) or per character; then,
 * as long as some adjacent pair has a merge, the pair with the lowest merge
 * index is merged, the leftmost one on a tie.
 *
 * Short words scan their pairs directly (quadratic in at most
 * HF_SHORT symbols); longer ones keep a queue of (rank, position)
 * candidates bucketed by rank and skip the entries that merges before them
 * made stale (see "long words" below): about linear on the inputs that
 * make BPE slow, O(n log n) at worst.
 */
#include <stdlib.h>

#include "tokenize/hf.h"
#include "tokenize/merge_queue.h"

#define HF_SHORT 64
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
    uint32_t last_key = 0, last_id = TM_RANK_NONE; /* the previous character */

    for (size_t i = 0; i < len;) {
        size_t cl = char_len(w[i]);
        uint32_t id, key;

        if (cl > len - i)
            cl = len - i;
        /* Runs of one character are common (and hostile): look each
         * character up once per run. The key is the character's bytes,
         * which for valid UTF-8 also fix its length. */
        key = (uint32_t)tm__short_key(w + i, cl);
        if (key == last_key && last_id != TM_RANK_NONE) {
            sym[n++] = last_id;
            last_unk = false;
            i += cl;
            continue;
        }
        id = tm__vocab_rank(enc, w + i, cl);
        last_key = key;
        last_id = id;
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

/* The merge of the initial symbols i and i+1: through the byte-pair table
 * when the symbols are the bytes of w, else the merge table. */
static inline uint32_t first_pair(const struct tm__hf *hf, const uint8_t *w,
                                  const uint32_t *sym, size_t i, uint32_t *result)
{
    if (w) {
        uint64_t v = hf->byte_pairs[w[i] | (uint32_t)w[i + 1] << 8];
        *result = (uint32_t)(v >> 32);
        return (uint32_t)v;
    }
    return pair_rank(hf, sym[i], sym[i + 1], result);
}

/* Merge sym[0..n) in place; returns the new count. n <= HF_SHORT. w: the
 * word's bytes when sym are its bytes and the byte-pair table exists, else
 * NULL. */
static size_t merge_short(const struct tm__hf *hf, const uint8_t *w, uint32_t *sym,
                          size_t n)
{
    uint32_t rank[HF_SHORT], res[HF_SHORT];

    for (size_t i = 0; i + 1 < n; i++)
        rank[i] = first_pair(hf, w, sym, i, &res[i]);
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

/* ---- long words ----
 *
 * A word is a linked list of parts (one 16-byte record per initial
 * symbol, named by its index, so a merge touches few cache lines), and the
 * candidate merges wait in the rank-bucketed queue of merge_queue.h,
 * ordered by (rank, position), with the rank the pair's merge index.
 *
 * Exactness: a popped candidate (r, p) is acted on only when part p is
 * alive and its pair's current rank is r. Every current pair was pushed
 * when it appeared, so the first valid candidate popped is the current
 * pair with the lowest rank, leftmost on a tie: HF's rule. The reference
 * checks the merged id instead of the rank (word.rs, merge_all); the two
 * agree because a rank names one pair, and a part only grows by absorbing
 * its whole right neighbour, so the pair at a position can never become
 * another pair with the same result.
 */

/* A small direct-mapped cache of "symbol a then symbol b merge at rank r
 * into result": a long word repeats the same few pairs, and each lookup in
 * the merge table (megabytes) would otherwise be a cache miss. */
struct pair_cache {
    uint64_t key;        /* a << 32 | b; all ones = empty (ids are below 2^24) */
    uint32_t rank, result;
};

static inline uint32_t cached_pair(const struct tm__hf *hf, struct pair_cache *pc,
                                   uint32_t mask, uint32_t a, uint32_t b,
                                   uint32_t *result)
{
    uint64_t key = (uint64_t)a << 32 | b;
    struct pair_cache *c = &pc[(uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & mask];

    if (c->key != key) {
        uint32_t res = 0;
        c->key = key;
        c->rank = pair_rank(hf, a, b, &res);
        c->result = res;
    }
    *result = c->result;
    return c->rank;
}

/* One symbol of a long word, named by its index. */
struct part {
    uint32_t next; /* index of the following part (n for the last); 0 = merged away */
    uint32_t prev; /* index of the preceding part, NIL for the first */
    uint32_t sym;  /* the part's token */
    uint32_t rank; /* rank of this part merged with the next, or TM_RANK_NONE */
};

/* Words of at least this many symbols find their rank buckets through a
 * direct array over all ranks rather than a hash directory. */
#define BY_RANK_MIN (1u << 14)

/* Part arrays of long words from this size up are mapped populated. */
#define BIG_ALLOC (256u << 10)

/* Merge sym[0..n) (HF_SHORT < n < 2^32 - 1) and deliver the ids to e, or
 * to ids[0..cap) when e is NULL; *n_out gets their number. w as for
 * merge_short. Returns TM_OK
 * or TM_ENOMEM. */
static int merge_long(const struct tm__hf *hf, const uint8_t *w, const uint32_t *sym,
                      size_t n, struct tm__emit *e, tm_token *ids, size_t cap,
                      size_t *n_out)
{
    uint32_t len = (uint32_t)n, parts = len, cache_mask = 63, p, r;
    struct part *pt = tm__big_alloc((size_t)len * sizeof(*pt), BIG_ALLOC);
    struct tm__mq q;
    struct pair_cache *pc;
    int rc = TM_OK;

    while (cache_mask < 4095 && cache_mask < len)
        cache_mask = 2 * cache_mask + 1;
    pc = malloc(((size_t)cache_mask + 1) * sizeof(*pc));
    /* Ranks are merge indices, below the merge table's size (a rank beyond
     * it in a damaged file falls back to the hash directory). */
    if (tm__mq_init(&q, len >= BY_RANK_MIN ? hf->pair_mask + 1 : 0) != TM_OK ||
        pt == NULL || pc == NULL) {
        rc = TM_ENOMEM;
        goto out;
    }
    memset(pc, 0xFF, ((size_t)cache_mask + 1) * sizeof(*pc));
    for (uint32_t i = 0; i < len; i++) {
        uint32_t res;
        pt[i].next = i + 1;
        pt[i].prev = i == 0 ? NIL : i - 1;
        pt[i].sym = sym[i];
        pt[i].rank = i + 1 >= len ? TM_RANK_NONE
                     : w          ? first_pair(hf, w, sym, i, &res)
                                  : cached_pair(hf, pc, cache_mask, sym[i], sym[i + 1], &res);
        if (pt[i].rank != TM_RANK_NONE)
            tm__mq_push(&q, pt[i].rank, i);
    }
    while (q.rc == 0 && tm__mq_pop(&q, &r, &p)) {
        uint32_t s, nx, res, unused;
        if (pt[p].next == 0 || pt[p].rank != r)
            continue; /* stale */
        /* Merge p with its successor s: part p becomes the merged token. */
        s = pt[p].next;
        nx = pt[s].next;
        cached_pair(hf, pc, cache_mask, pt[p].sym, pt[s].sym, &res);
        pt[s].next = 0;
        pt[p].next = nx;
        if (nx < len)
            pt[nx].prev = p;
        parts--;
        pt[p].sym = res;
        pt[p].rank = nx < len ? cached_pair(hf, pc, cache_mask, res, pt[nx].sym, &unused)
                              : TM_RANK_NONE;
        if (pt[p].rank != TM_RANK_NONE)
            tm__mq_push(&q, pt[p].rank, p);
        if (pt[p].prev != NIL) {
            uint32_t o = pt[p].prev;
            pt[o].rank = cached_pair(hf, pc, cache_mask, pt[o].sym, res, &unused);
            if (pt[o].rank != TM_RANK_NONE)
                tm__mq_push(&q, pt[o].rank, o);
        }
    }
    if (q.rc) {
        rc = q.rc;
        goto out;
    }
    if (e && e->mode == TM_EMIT_COUNT) {
        e->count += parts;
    } else {
        size_t count = 0;
        for (p = 0; p < len; p = pt[p].next) {
            if (e)
                tm__emit(e, pt[p].sym);
            else if (count < cap)
                ids[count] = pt[p].sym;
            count++;
        }
    }
    *n_out = parts;
out:
    tm__mq_free(&q);
    free(pc);
    tm__big_free(pt, (size_t)len * sizeof(*pt), BIG_ALLOC);
    return rc;
}

/* Merge word and deliver the ids to e, or to ids[0..cap) when e is NULL.
 * Returns the number of ids; sets *rc on failure. */
static size_t merge_word(const tm_encoding *enc, const uint8_t *word, size_t len,
                         struct tm__emit *e, tm_token *ids, size_t cap, int *rc)
{
    uint32_t stack[256], *sym = stack;
    size_t n, count = 0;
    const uint8_t *w;

    if (len > sizeof(stack) / sizeof(stack[0])) {
        if (len > UINT32_MAX - 1 || (sym = malloc(len * sizeof(*sym))) == NULL) {
            *rc = len > UINT32_MAX - 1 ? TM_ELIMIT : TM_ENOMEM;
            return 0;
        }
    }
    n = init_symbols(enc, word, len, sym);
    w = enc->hf->byte_pairs && enc->hf->byte_level ? word : NULL;
    if (n <= HF_SHORT) {
        n = merge_short(enc->hf, w, sym, n);
        for (size_t i = 0; i < n; i++) {
            if (e)
                tm__emit(e, sym[i]);
            else if (i < cap)
                ids[i] = sym[i];
        }
        count = n;
    } else {
        *rc = merge_long(enc->hf, w, sym, n, e, ids, cap, &count);
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
