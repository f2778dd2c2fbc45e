/*
 * Byte-pair merging of one piece, exactly as tiktoken does it
 * (openai/tiktoken src/lib.rs, _byte_pair_merge): start from single bytes;
 * repeatedly merge the adjacent pair whose concatenated bytes have the
 * lowest rank in the vocabulary, the leftmost pair on ties; stop when no
 * adjacent pair forms a token. Each final part is one token.
 *
 * Short pieces use an array scan per merge (quadratic, but on at most
 * SHORT_PIECE bytes it is the fastest choice). Longer pieces keep a doubly
 * linked list of parts and a priority queue of candidate merges keyed by
 * (rank, start offset), skipping stale candidates: O(n log n) in the piece
 * length at worst, so hostile input such as a megabyte of one letter stays
 * fast.
 *
 * Stale-entry check: a part's pair rank always describes a strictly longer
 * byte string than its previous one (parts only grow), so distinct values
 * never repeat; an entry is current iff its part is alive and holds the
 * same rank.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "tokenize/hf.h"
#include "tokenize/merge_queue.h"

#define SHORT_PIECE TM_BPE_STACK_BYTES
/* Part arrays of long pieces from this size up are mapped populated. */
#define BIG_ALLOC (4u << 20)

static inline uint32_t span_rank(const tm_encoding *enc, const uint8_t *p,
                                 uint32_t from, uint32_t to)
{
    return tm__vocab_rank(enc, p + from, to - from);
}

static void merge_short(const tm_encoding *enc, const uint8_t *piece,
                        uint32_t len, struct tm__emit *e)
{
    uint8_t start[SHORT_PIECE + 1]; /* part offsets; start[m] == len */
    uint32_t rank[SHORT_PIECE];     /* rank[i]: parts i and i+1 merged */
    uint32_t m = len;

    for (uint32_t i = 0; i <= len; i++)
        start[i] = (uint8_t)i;
    for (uint32_t i = 0; i + 1 < len; i++)
        rank[i] = enc->pair_rank[piece[i] | (piece[i + 1] << 8)];
    for (;;) {
        uint32_t best = TM_RANK_NONE, j = 0;
        for (uint32_t i = 0; i + 1 < m; i++) {
            if (rank[i] < best) {
                best = rank[i];
                j = i;
            }
        }
        if (best == TM_RANK_NONE)
            break;
        /* Merge parts j and j+1: drop start[j+1] and rank[j+1]. */
        m--;
        for (uint32_t i = j + 1; i < m; i++)
            start[i] = start[i + 1];
        for (uint32_t i = j + 1; i + 1 < m; i++)
            rank[i] = rank[i + 1];
        start[m] = (uint8_t)len;
        rank[j] = j + 1 < m ? span_rank(enc, piece, start[j], start[j + 2])
                            : TM_RANK_NONE;
        if (j > 0)
            rank[j - 1] = span_rank(enc, piece, start[j - 1], start[j + 1]);
    }
    if (e->mode == TM_EMIT_COUNT) {
        e->count += m;
        return;
    }
    for (uint32_t i = 0; i < m; i++)
        tm__emit(e, span_rank(enc, piece, start[i], start[i + 1]));
}

/* ---- the long-piece path ----
 *
 * A long piece is a linked list of parts, and the candidate merges wait in
 * the rank-bucketed queue of merge_queue.h, ordered by (rank, position),
 * the rank being the merged token's id as in tiktoken.
 */

#define NIL UINT32_MAX

/* A small direct-mapped cache of "token a followed by token b merges into
 * rank r" for one long piece: long pieces repeat the same pairs, and a
 * vocabulary lookup of a pair that is not a token costs a cache miss in a
 * multi-megabyte table. */
#define PAIR_CACHE 4096

struct pair_cache {
    uint64_t key[PAIR_CACHE]; /* (a+1) << 32 | (b+1); 0 = empty */
    uint32_t rank[PAIR_CACHE];
};

/* The rank of piece[from..to), the parts with ranks a and b joined. */
static inline uint32_t cached_merge(const tm_encoding *enc, struct pair_cache *pc,
                                    const uint8_t *piece, uint32_t from, uint32_t to,
                                    uint32_t a, uint32_t b)
{
    uint64_t key = ((uint64_t)(a + 1) << 32) | (b + 1);
    uint32_t slot = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 52) & (PAIR_CACHE - 1);
    uint32_t r;

    if (pc->key[slot] == key)
        return pc->rank[slot];
    r = span_rank(enc, piece, from, to);
    pc->key[slot] = key;
    pc->rank[slot] = r;
    return r;
}

/* One part of a long piece, named by its start offset. Kept together so a
 * merge, which touches a part and its neighbours, touches few cache lines. */
struct part {
    uint32_t next; /* start of the following part (len for the last); 0 = merged away */
    uint32_t prev; /* start of the preceding part, NIL for the first */
    uint32_t tok;  /* the part's own rank */
    uint32_t rank; /* rank of this part merged with the next, or TM_RANK_NONE */
};

static void merge_long(const tm_encoding *enc, const uint8_t *piece,
                       uint32_t len, struct tm__emit *e)
{
    struct part *pt;
    uint32_t parts = len, p, r;
    struct tm__mq q;
    struct pair_cache *pc;

    pt = tm__big_alloc((size_t)len * sizeof(*pt), BIG_ALLOC);
    pc = calloc(1, sizeof(*pc));
    if (tm__mq_init(&q, 0) != TM_OK || pt == NULL || pc == NULL) {
        tm__big_free(pt, (size_t)len * sizeof(*pt), BIG_ALLOC);
        tm__mq_free(&q);
        free(pc);
        e->rc = e->rc ? e->rc : TM_ENOMEM;
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        pt[i].next = i + 1;
        pt[i].prev = i == 0 ? NIL : i - 1;
        pt[i].tok = enc->byte_rank[piece[i]];
    }
    for (uint32_t i = 0; i + 1 < len; i++) {
        pt[i].rank = enc->pair_rank[piece[i] | (piece[i + 1] << 8)];
        if (pt[i].rank != TM_RANK_NONE)
            tm__mq_push(&q, pt[i].rank, i);
    }
    pt[len - 1].rank = TM_RANK_NONE;
    while (q.rc == 0 && tm__mq_pop(&q, &r, &p)) {
        uint32_t s, n;
        if (pt[p].next == 0 || pt[p].rank != r)
            continue; /* stale */
        /* Merge p with its successor s: part p is now token r. */
        s = pt[p].next;
        n = pt[s].next;
        pt[s].next = 0;
        pt[p].next = n;
        if (n < len)
            pt[n].prev = p;
        parts--;
        pt[p].tok = r;
        pt[p].rank = n < len ? cached_merge(enc, pc, piece, p, pt[n].next, r, pt[n].tok)
                             : TM_RANK_NONE;
        if (pt[p].rank != TM_RANK_NONE)
            tm__mq_push(&q, pt[p].rank, p);
        if (pt[p].prev != NIL) {
            uint32_t o = pt[p].prev;
            pt[o].rank = cached_merge(enc, pc, piece, o, n, pt[o].tok, r);
            if (pt[o].rank != TM_RANK_NONE)
                tm__mq_push(&q, pt[o].rank, o);
        }
    }
    if (q.rc) {
        e->rc = e->rc ? e->rc : q.rc;
    } else if (e->mode == TM_EMIT_COUNT) {
        e->count += parts;
    } else {
        for (p = 0; p < len; p = pt[p].next)
            tm__emit(e, pt[p].tok);
    }
    tm__mq_free(&q);
    free(pc);
    tm__big_free(pt, (size_t)len * sizeof(*pt), BIG_ALLOC);
}

/* ---- the merge cache ----
 *
 * Merging a piece that is not itself a token costs tens of table lookups;
 * text repeats its rarer words, and a gateway sees the same prompts again
 * and again. Each encoding owns a direct-mapped cache of merged pieces of
 * up to CACHE_BYTES bytes, shared by all threads without locks: every
 * entry is a seqlock (Boehm, "Can seqlocks get along with programming
 * language memory models?", 2012). A writer claims an entry by making its
 * sequence odd (giving up if another writer holds it), stores the data and
 * makes the sequence even again; a reader copies the data between two
 * reads of the sequence and trusts the copy only if both were the same
 * even value. Every access is atomic, so threads never race.
 */
#define CACHE_SLOTS (1u << 17)
#define CACHE_BYTES 24
#define CACHE_IDS 6

struct cache_entry {
    _Atomic uint64_t seq;
    _Atomic uint64_t meta;        /* len | count << 8 | has_ids << 16 */
    _Atomic uint64_t text[3];     /* the piece, zero-padded */
    _Atomic uint64_t ids[3];      /* up to CACHE_IDS ids, two per word */
};

struct tm__merge_cache {
    struct cache_entry slot[CACHE_SLOTS];
};

/* The cache is mapped rather than allocated: its pages are zero (every
 * entry empty) and cost memory only once used. */
struct tm__merge_cache *tm__merge_cache_new(void)
{
    void *p = mmap(NULL, sizeof(struct tm__merge_cache), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void tm__merge_cache_free(struct tm__merge_cache *cache)
{
    if (cache)
        munmap(cache, sizeof(*cache));
}

/* Merge a short piece through the cache: a hit emits the remembered
 * result; a miss merges, emits and remembers. */
static void merge_cached(const tm_encoding *enc, const uint8_t *piece,
                         uint32_t len, struct tm__emit *e)
{
    struct cache_entry *c =
        &enc->merge_cache->slot[tm__core_hash64(piece, len) & (CACHE_SLOTS - 1)];
    bool counting = e->mode == TM_EMIT_COUNT;
    uint64_t text[3] = {0, 0, 0}, seq, meta, ids[3];

    memcpy(text, piece, len);
    seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    if (!(seq & 1)) {
        bool same;
        meta = atomic_load_explicit(&c->meta, memory_order_relaxed);
        same = (meta & 0xFF) == len &&
               atomic_load_explicit(&c->text[0], memory_order_relaxed) == text[0] &&
               atomic_load_explicit(&c->text[1], memory_order_relaxed) == text[1] &&
               atomic_load_explicit(&c->text[2], memory_order_relaxed) == text[2];
        for (int k = 0; k < 3; k++)
            ids[k] = atomic_load_explicit(&c->ids[k], memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (same && atomic_load_explicit(&c->seq, memory_order_relaxed) == seq &&
            (counting || (meta >> 16) & 1)) {
            uint32_t count = (meta >> 8) & 0xFF;
            if (counting) {
                e->count += count;
            } else {
                for (uint32_t i = 0; i < count; i++)
                    tm__emit(e, (tm_token)(ids[i / 2] >> (32 * (i % 2))));
            }
            return;
        }
    }
    {
        /* Merge into a local buffer, then emit and remember. */
        tm_token out[SHORT_PIECE];
        struct tm__emit local;
        bool has_ids;

        local.mode = counting ? TM_EMIT_COUNT : TM_EMIT_FIXED;
        local.rc = 0;
        local.count = 0;
        local.ids = out;
        local.cap = SHORT_PIECE;
        if (enc->hf)
            tm__hf_merge(enc, piece, len, &local);
        else
            merge_short(enc, piece, len, &local);
        if (counting) {
            e->count += local.count;
        } else {
            for (uint64_t i = 0; i < local.count; i++)
                tm__emit(e, out[i]);
        }
        has_ids = !counting && local.count <= CACHE_IDS;
        if (!counting && !has_ids)
            return;
        seq = atomic_load_explicit(&c->seq, memory_order_relaxed);
        if ((seq & 1) || !atomic_compare_exchange_strong_explicit(
                             &c->seq, &seq, seq + 1, memory_order_relaxed,
                             memory_order_relaxed))
            return; /* another thread is writing this entry */
        atomic_thread_fence(memory_order_release);
        atomic_store_explicit(&c->meta, len | (local.count << 8) | ((uint64_t)has_ids << 16),
                              memory_order_relaxed);
        for (int k = 0; k < 3; k++)
            atomic_store_explicit(&c->text[k], text[k], memory_order_relaxed);
        if (has_ids) {
            uint64_t w[3] = {0, 0, 0};
            for (uint32_t i = 0; i < local.count; i++)
                w[i / 2] |= (uint64_t)out[i] << (32 * (i % 2));
            for (int k = 0; k < 3; k++)
                atomic_store_explicit(&c->ids[k], w[k], memory_order_relaxed);
        }
        atomic_store_explicit(&c->seq, seq + 2, memory_order_release);
    }
}

void tm__bpe_prefetch(const tm_encoding *enc, const uint8_t *piece, size_t len)
{
    if (len <= CACHE_BYTES)
        __builtin_prefetch(
            &enc->merge_cache->slot[tm__core_hash64(piece, len) & (CACHE_SLOTS - 1)]);
}

void tm__bpe_piece(const tm_encoding *enc, const uint8_t *piece, size_t len,
                   struct tm__emit *e)
{
    if (len > UINT32_MAX) {
        e->rc = e->rc ? e->rc : TM_ELIMIT;
        return;
    }
    if (len <= CACHE_BYTES)
        merge_cached(enc, piece, (uint32_t)len, e);
    else if (enc->hf)
        tm__hf_merge(enc, piece, len, e);
    else if (len <= SHORT_PIECE)
        merge_short(enc, piece, (uint32_t)len, e);
    else
        merge_long(enc, piece, (uint32_t)len, e);
}
