/*
 * Internals of the ledger module (include/tokenmeter/ledger.h): the backend
 * ops table and the helpers every backend shares.
 *
 * A backend is a set of functions over an opaque state. The front end
 * (ledger.c) validates events, serialises calls with one mutex and never
 * lets a caller see the backend; a new backend (PostgreSQL) is a new ops
 * table and one line in ledger.c's scheme table, nothing else.
 */
#ifndef TM_LEDGER_INT_H
#define TM_LEDGER_INT_H

#include <pthread.h>

#include "tokenmeter/ledger.h"

/* One all-or-nothing unit of an append: the events of one tm_ledger_append
 * or one writer submission. The backend fills status[] and rc/err. */
struct tm__ledger_batch {
    const struct tm_usage_event *events;
    size_t n;
    enum tm_ledger_status *status; /* n entries, never NULL here */
    int rc;                        /* 0: committed; else none recorded */
    struct tm_error err;
};

struct tm__ledger_ops {
    const char *name;
    /* Open or create the store at `target` (scheme already stripped). */
    int (*open)(const char *target, const struct tm_ledger_options *opts, void **state,
                struct tm_error *err);
    void (*close)(void *state);
    /*
     * Commit batches[0..n) in one durable transaction, each batch atomic
     * on its own (a failing batch gets rc < 0 and leaves nothing, the
     * others still commit). Returns 0 once the transaction is durable;
     * < 0 when the transaction as a whole failed, in which case nothing
     * was recorded and every batch's rc is set to that error.
     */
    int (*append)(void *state, struct tm__ledger_batch *batches, size_t n,
                  struct tm_error *err);
    int (*get)(void *state, const char *id, tm_ledger_event_fn fn, void *ctx,
               struct tm_error *err);
    int (*query)(void *state, const struct tm_ledger_query *q, tm_ledger_row_fn fn,
                 void *ctx, struct tm_error *err);
    int (*check)(void *state, struct tm_ledger_check_report *out, struct tm_error *err);
};

extern const struct tm__ledger_ops tm__ledger_sqlite_ops;

struct tm_ledger {
    const struct tm__ledger_ops *ops;
    void *state;
    pthread_mutex_t lock; /* one backend call at a time */
};

/* Run batches through the backend under the ledger's lock (the writer
 * thread and tm_ledger_append both come here). Events must be valid. */
int tm__ledger_append_batches(tm_ledger *l, struct tm__ledger_batch *batches, size_t n,
                              struct tm_error *err);

/* The rollup bucket (first second, UTC) of an event. */
static inline int64_t tm__ledger_bucket(const struct tm_usage_event *ev)
{
    return ev->started_ms / (TM_LEDGER_BUCKET_SECONDS * 1000LL) * TM_LEDGER_BUCKET_SECONDS;
}

/* The billed count of a class: the provider's when it reported usage. */
static inline int64_t tm__ledger_billed(const struct tm_usage_event *ev, int cls)
{
    if (ev->has_provider_tokens)
        return ev->provider_tokens[cls];
    return ev->has_local_tokens ? ev->local_tokens[cls] : 0;
}

/* Add b into a with overflow checks; TM_ERANGE (a partly updated) on
 * overflow, which callers treat as fatal for the batch. */
int tm__ledger_totals_add(struct tm_ledger_totals *a, const struct tm_ledger_totals *b);

/* An event's contribution to its rollup row. */
void tm__ledger_event_totals(const struct tm_usage_event *ev, struct tm_ledger_totals *out);

/* A money amount as two 64-bit integers, two's complement: value =
 * hi * 2^64 + (uint64)lo. When the value fits in int64, lo is the value
 * and hi is 0 or -1 (its sign). */
static inline void tm__ledger_money_split(tm_money v, int64_t *hi, int64_t *lo)
{
    unsigned __int128 u = (unsigned __int128)v;
    *hi = (int64_t)(uint64_t)(u >> 64);
    *lo = (int64_t)(uint64_t)u;
}

static inline tm_money tm__ledger_money_join(int64_t hi, int64_t lo)
{
    unsigned __int128 u = ((unsigned __int128)(uint64_t)hi << 64) | (uint64_t)lo;
    return (tm_money)u;
}

#endif
