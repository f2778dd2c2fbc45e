/*
 * The queue of candidate merges for long words (tokenize-internal).
 *
 * Both merge engines (bpe.c: tiktoken's rank order; hf_bpe.c: HF's merge
 * index order) take, again and again, the candidate with the smallest
 * (rank, position). The queue is a set of buckets, one per rank, plus a
 * small min-heap of the ranks whose buckets are not empty. Candidates
 * arrive in a bucket mostly in increasing position (the initial pairs are
 * pushed left to right, and a sweep through one rank creates the next
 * ranks' candidates left to right), so a bucket is an append-only sorted
 * array read from the front; the rare candidate that arrives out of order
 * goes to the bucket's own small heap. Taking the minimum is then cheap
 * and walks memory sequentially, where one binary heap of every candidate
 * thrashes the cache on long words. A bucket is found through the last
 * two used, then a direct array over all ranks (for very long words, when
 * the caller asks), else an open-addressing directory.
 *
 * Stale candidates are the caller's to skip: a popped (rank, position) is
 * acted on only if that pair still has that rank.
 */
#ifndef TM_TOKENIZE_MERGE_QUEUE_H
#define TM_TOKENIZE_MERGE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tokenmeter/core.h"

struct tm__u32heap {
    uint32_t *v;
    uint32_t n, cap;
};

struct tm__mq_bucket {
    uint32_t rank;
    uint32_t *pos;       /* sorted candidates pos[head..len) */
    uint32_t head, len, cap;
    struct tm__u32heap late; /* candidates that arrived out of order */
    bool queued;         /* its rank is in the rank heap */
};

struct tm__mq {
    struct tm__mq_bucket *buckets;
    uint32_t n_buckets, cap_buckets;
    uint32_t recent[2];  /* bucket index + 1 of the last two ranks used */
    uint32_t *dir;       /* open addressing: bucket index + 1, 0 = empty */
    uint32_t dir_mask;
    uint32_t *by_rank;   /* very long words: bucket index + 1 by rank, or NULL */
    uint32_t n_by_rank;
    struct tm__u32heap ranks;
    int rc;
};

/* An empty queue; direct_ranks > 0 asks for a direct bucket array over
 * ranks 0..direct_ranks-1 (best effort). 0 or TM_ENOMEM. */
int tm__mq_init(struct tm__mq *q, uint32_t direct_ranks);
void tm__mq_free(struct tm__mq *q);

/* The out-of-line parts (merge_queue.c): a min-heap of uint32 and the
 * bucket lookup past the last two ranks used. */
int tm__u32heap_push(struct tm__u32heap *h, uint32_t x);
void tm__u32heap_pop(struct tm__u32heap *h);
struct tm__mq_bucket *tm__mq_bucket_slow(struct tm__mq *q, uint32_t rank);

/* The bucket of a rank, created if new; NULL when out of memory. Merges
 * alternate between a few ranks: the last two are checked first, inline. */
static inline struct tm__mq_bucket *tm__mq_bucket(struct tm__mq *q, uint32_t rank)
{
    if (q->recent[0] && q->buckets[q->recent[0] - 1].rank == rank)
        return &q->buckets[q->recent[0] - 1];
    if (q->recent[1] && q->buckets[q->recent[1] - 1].rank == rank) {
        uint32_t t = q->recent[1];
        q->recent[1] = q->recent[0];
        q->recent[0] = t;
        return &q->buckets[t - 1];
    }
    return tm__mq_bucket_slow(q, rank);
}

/* Add candidate (rank, pos); on failure q->rc becomes TM_ENOMEM and later
 * pushes do nothing. Inline: it runs once per candidate. */
static inline void tm__mq_push(struct tm__mq *q, uint32_t rank, uint32_t pos)
{
    struct tm__mq_bucket *b;

    if (q->rc)
        return;
    if ((b = tm__mq_bucket(q, rank)) == NULL) {
        q->rc = TM_ENOMEM;
        return;
    }
    if (b->head == b->len)
        b->head = b->len = 0;
    if (b->len == 0 || pos > b->pos[b->len - 1]) {
        if (b->len == b->cap) {
            uint32_t ncap = b->cap ? b->cap * 2 : 16;
            uint32_t *np = realloc(b->pos, (size_t)ncap * sizeof(*np));
            if (np == NULL) {
                q->rc = TM_ENOMEM;
                return;
            }
            b->pos = np;
            b->cap = ncap;
        }
        b->pos[b->len++] = pos;
    } else if (tm__u32heap_push(&b->late, pos) != TM_OK) {
        q->rc = TM_ENOMEM;
        return;
    }
    if (!b->queued) {
        if (tm__u32heap_push(&q->ranks, rank) != TM_OK) {
            q->rc = TM_ENOMEM;
            return;
        }
        b->queued = true;
    }
}

/* The smallest (rank, position) candidate, removed; false when none. */
static inline bool tm__mq_pop(struct tm__mq *q, uint32_t *rank, uint32_t *pos)
{
    while (q->ranks.n > 0) {
        uint32_t r = q->ranks.v[0];
        struct tm__mq_bucket *b = tm__mq_bucket(q, r); /* exists: r was pushed */
        bool have_sorted = b->head < b->len, have_late = b->late.n > 0;

        if (!have_sorted && !have_late) {
            b->queued = false;
            tm__u32heap_pop(&q->ranks);
            continue;
        }
        *rank = r;
        if (have_sorted && (!have_late || b->pos[b->head] < b->late.v[0])) {
            *pos = b->pos[b->head++];
        } else {
            *pos = b->late.v[0];
            tm__u32heap_pop(&b->late);
        }
        return true;
    }
    return false;
}

/* Memory for a long word's part array: from populate_from bytes up it is
 * mapped with its pages populated in one call, because faulting a fresh
 * array in page by page costs more than the merging itself. */
void *tm__big_alloc(size_t size, size_t populate_from);
void tm__big_free(void *p, size_t size, size_t populate_from);

#endif
