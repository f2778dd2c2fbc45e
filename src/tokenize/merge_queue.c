/*
 * The queue of candidate merges of the long-word (long-piece) merge, shared
 * by the OpenAI path (bpe.c) and the tokenizer.json path (hf_bpe.c); see
 * merge_queue.h for what it guarantees and why it is shaped this way.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tokenize/merge_queue.h"
#include "tokenmeter/core.h"

int tm__u32heap_push(struct tm__u32heap *h, uint32_t x)
{
    uint32_t i;

    if (h->n == h->cap) {
        uint32_t ncap = h->cap ? h->cap * 2 : 16;
        uint32_t *nv = realloc(h->v, (size_t)ncap * sizeof(*nv));
        if (nv == NULL)
            return TM_ENOMEM;
        h->v = nv;
        h->cap = ncap;
    }
    i = h->n++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (h->v[parent] <= x)
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = x;
    return TM_OK;
}

/* Remove the minimum (h->n > 0). */
void tm__u32heap_pop(struct tm__u32heap *h)
{
    uint32_t n = --h->n, x = h->v[n], i = 0;

    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h->v[c + 1] < h->v[c])
            c++;
        if (x <= h->v[c])
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n > 0)
        h->v[i] = x;
}



/* Append an empty bucket for rank (index q->n_buckets - 1 afterwards). */
static int new_bucket(struct tm__mq *q, uint32_t rank)
{
    if (q->n_buckets == q->cap_buckets) {
        uint32_t ncap = q->cap_buckets ? q->cap_buckets * 2 : 64;
        struct tm__mq_bucket *nb = realloc(q->buckets, (size_t)ncap * sizeof(*nb));
        if (nb == NULL)
            return TM_ENOMEM;
        q->buckets = nb;
        q->cap_buckets = ncap;
    }
    memset(&q->buckets[q->n_buckets], 0, sizeof(struct tm__mq_bucket));
    q->buckets[q->n_buckets++].rank = rank;
    return TM_OK;
}

static inline uint32_t dir_hash(uint32_t rank) { return (rank + 1) * 0x9e3779b1u; }

struct tm__mq_bucket *tm__mq_bucket_slow(struct tm__mq *q, uint32_t rank)
{
    uint32_t i;

    if (rank < q->n_by_rank) {
        uint32_t *slot = &q->by_rank[rank];
        if (*slot == 0) {
            if (new_bucket(q, rank) != TM_OK)
                return NULL;
            *slot = q->n_buckets;
        }
        q->recent[1] = q->recent[0];
        q->recent[0] = *slot;
        return &q->buckets[*slot - 1];
    }
    if (2 * (q->n_buckets + 1) > q->dir_mask + 1) {
        uint32_t nsize = (q->dir_mask + 1) * 2, *nd = calloc(nsize, sizeof(*nd));
        if (nd == NULL)
            return NULL;
        for (uint32_t k = 0; k <= q->dir_mask; k++) {
            uint32_t b = q->dir[k];
            if (b == 0)
                continue;
            for (i = dir_hash(q->buckets[b - 1].rank) & (nsize - 1); nd[i];
                 i = (i + 1) & (nsize - 1))
                ;
            nd[i] = b;
        }
        free(q->dir);
        q->dir = nd;
        q->dir_mask = nsize - 1;
    }
    for (i = dir_hash(rank) & q->dir_mask; q->dir[i]; i = (i + 1) & q->dir_mask)
        if (q->buckets[q->dir[i] - 1].rank == rank)
            break;
    if (q->dir[i] == 0) {
        if (new_bucket(q, rank) != TM_OK)
            return NULL;
        q->dir[i] = q->n_buckets;
    }
    q->recent[1] = q->recent[0];
    q->recent[0] = q->dir[i];
    return &q->buckets[q->dir[i] - 1];
}

void tm__mq_free(struct tm__mq *q)
{
    for (uint32_t i = 0; i < q->n_buckets; i++) {
        free(q->buckets[i].pos);
        free(q->buckets[i].late.v);
    }
    free(q->buckets);
    free(q->dir);
    free(q->ranks.v);
    if (q->by_rank)
        munmap(q->by_rank, (size_t)q->n_by_rank * sizeof(uint32_t));
}

int tm__mq_init(struct tm__mq *q, uint32_t direct_ranks)
{
    memset(q, 0, sizeof(*q));
    q->dir = calloc(64, sizeof(*q->dir));
    if (q->dir == NULL)
        return TM_ENOMEM;
    q->dir_mask = 63;
    if (direct_ranks > 0) {
        /* Zero pages until touched; without it the hash directory serves. */
        size_t size = (size_t)direct_ranks * sizeof(uint32_t);
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            q->by_rank = m;
            q->n_by_rank = direct_ranks;
        }
    }
    return TM_OK;
}

void *tm__big_alloc(size_t size, size_t populate_from)
{
    if (size >= populate_from) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    return malloc(size);
}

void tm__big_free(void *p, size_t size, size_t populate_from)
{
    if (p == NULL)
        return;
    if (size >= populate_from)
        munmap(p, size);
    else
        free(p);
}
