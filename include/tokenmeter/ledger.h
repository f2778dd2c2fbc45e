/*
 * tokenmeter ledger: the durable record of usage events.
 *
 * Every request becomes one usage event (struct tm_usage_event): who (tenant,
 * API key, end user, project, tags, task), what (provider, model, token
 * counts per class as the provider reported them and as tokenmeter counted
 * them), what it cost (the provider's cost and the tenant's price, exact
 * tm_money from the rating engine), when and how it ended.
 *
 * Guarantees (docs/LEDGER.md has the schema and the reasoning):
 *  - An event reported as recorded is durable: the call that recorded it
 *    returned (or its callback ran) only after the transaction holding it
 *    committed with the backend's durable commit (SQLite: WAL with
 *    synchronous=FULL, the WAL fsync'd at every commit).
 *  - The same event id is recorded at most once, ever: the uniqueness check
 *    is the database's UNIQUE constraint, in the same transaction as the
 *    insert, so a failed write followed by a retry records the event exactly
 *    once, also across restarts. A second arrival is reported as a
 *    duplicate (or, if its facts differ, a conflict), not as an error.
 *  - A batch (one tm_ledger_append call, one writer submission) is
 *    all-or-nothing: every event of it is recorded (or found to be a
 *    duplicate), or none is.
 *  - Rollups (per tenant x provider x model x quarter-hour, UTC) are updated
 *    in the same transaction as the events they sum, so they always equal
 *    the events; tm_ledger_check verifies it.
 *
 * Storage goes through a backend chosen by the target given to
 * tm_ledger_open; callers never see which. SQLite is the default (a file
 * path, or "sqlite:PATH"); a PostgreSQL backend will take "postgres://...".
 *
 * Thread safety: a tm_ledger may be used by any number of threads; its calls
 * are serialised inside. A tm_ledger_writer's submit calls may be made from
 * any number of threads.
 */
#ifndef TOKENMETER_LEDGER_H
#define TOKENMETER_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"
#include "tokenmeter/money.h"
#include "tokenmeter/price.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tm_ledger tm_ledger;
typedef struct tm_ledger_writer tm_ledger_writer;

/* Caps on what an event may carry (outside input). Lengths are in bytes,
 * without the NUL. */
#define TM_LEDGER_ID_MAX 128        /* event id (idempotency key) */
#define TM_LEDGER_NAME_MAX 256      /* tenant, key, user, project, task, provider, model */
#define TM_LEDGER_TAGS_MAX 32       /* tags of one event */
#define TM_LEDGER_TAG_MAX 256       /* a tag's key or value */
#define TM_LEDGER_BATCH_MAX 100000  /* events in one append or submission */

/* Rollups sum events into buckets of this many seconds of UTC time. Every
 * UTC offset in use since 1979 is a multiple of 15 minutes (India +05:30,
 * Nepal +05:45, Chatham +12:45), so a day, week or month in any tenant's
 * zone is a whole number of buckets and reports from rollups are exact. */
#define TM_LEDGER_BUCKET_SECONDS 900

/* How a request ended. */
enum tm_ledger_outcome {
    TM_LEDGER_OUTCOME_OK = 0,
    TM_LEDGER_OUTCOME_ERROR = 1,     /* the provider or the gateway failed it */
    TM_LEDGER_OUTCOME_CANCELLED = 2, /* the client went away */
    TM_LEDGER_OUTCOME_CUT_OFF = 3,   /* stopped by tokenmeter (budget, cap) */
};

/* One tag: key=value. */
struct tm_ledger_tag {
    const char *key;   /* 1..TM_LEDGER_TAG_MAX bytes, unique within an event */
    const char *value; /* 0..TM_LEDGER_TAG_MAX bytes */
};

/*
 * One usage event. Strings are borrowed for the call that takes the event;
 * NULL and "" both mean "not given" for the optional ones.
 *
 * Token counts use the disjoint classes of the rating engine (price.h):
 * `input` excludes cached and cache-write tokens, `output` excludes
 * reasoning. Both sets of counts are kept side by side; the one the
 * rollups sum ("billed") is the provider's when has_provider_tokens, else
 * the local count.
 */
struct tm_usage_event {
    const char *id;       /* idempotency key, required, 1..TM_LEDGER_ID_MAX
                             bytes; tm_ledger_new_id makes one. Retries of
                             the same request must reuse it. Strings are
                             stored as given: pass UTF-8. */
    const char *tenant;   /* required */
    const char *api_key;  /* the key's id (never the secret); optional */
    const char *user;     /* end user; optional */
    const char *project;  /* optional */
    const char *task_id;  /* groups an agent's calls; optional */
    const struct tm_ledger_tag *tags;
    size_t n_tags;        /* 0..TM_LEDGER_TAGS_MAX */
    const char *provider; /* required ("openai") */
    const char *model;    /* required ("gpt-4o") */
    int64_t started_ms;   /* Unix milliseconds UTC; the event's time for
                             rollups and rating */
    int64_t ended_ms;     /* >= started_ms */
    int64_t latency_ms;   /* to the first byte of the response; -1 unknown */
    enum tm_ledger_outcome outcome;
    bool streaming;
    bool has_provider_tokens;                /* the provider reported usage */
    int64_t provider_tokens[TM_CLASS_COUNT]; /* 0..TM_PRICE_MAX_TOKENS each */
    bool has_local_tokens;                   /* tokenmeter counted */
    int64_t local_tokens[TM_CLASS_COUNT];
    tm_money cost;        /* what the provider charges, picounits */
    tm_money price;       /* what the tenant is charged, picounits */
};

/* What happened to one event of a batch that was committed. */
enum tm_ledger_status {
    TM_LEDGER_RECORDED = 0,  /* new: stored, and counted in the rollups */
    TM_LEDGER_DUPLICATE = 1, /* its id was already recorded with the same
                                facts: nothing changed (a retry) */
    TM_LEDGER_CONFLICT = 2,  /* its id was already recorded with different
                                facts: nothing changed, the first arrival
                                stands; the sender reused an id. Facts are
                                everything but cost and price (re-rating
                                the same request is not a new event) */
};

/* Commit durability. */
enum tm_ledger_sync {
    TM_LEDGER_SYNC_FULL = 0,   /* default: a commit survives power loss */
    TM_LEDGER_SYNC_NORMAL = 1, /* a commit survives a crash of the process
                                  but may be lost to power loss or an OS
                                  crash (tests, benchmarks, scratch data) */
};

struct tm_ledger_options {
    enum tm_ledger_sync sync;
    int busy_timeout_ms; /* wait for another process's write lock; 0: 5000 */
};

/*
 * Open (creating if absent) the ledger at `target`: a file path or
 * "sqlite:PATH" for the SQLite backend. opts may be NULL (defaults).
 * Returns NULL and fills err: TM_EIO (cannot open or write), TM_EFORMAT
 * (not a tokenmeter ledger, or a newer schema), TM_EINVAL (unknown scheme),
 * TM_ENOMEM. Close with tm_ledger_close (accepts NULL).
 */
tm_ledger *tm_ledger_open(const char *target, const struct tm_ledger_options *opts,
                          struct tm_error *err);
void tm_ledger_close(tm_ledger *ledger);

/* The backend's name ("sqlite"). */
const char *tm_ledger_backend(const tm_ledger *ledger);

/* Check one event against the caps and rules above without storing it.
 * TM_EINVAL naming the event (its id) and the field. */
int tm_ledger_event_validate(const struct tm_usage_event *ev, struct tm_error *err);

/* A 64-bit digest of an event's facts: every field except cost and
 * price, tags in any order. Stored with the event; a later arrival of the
 * same id with another digest is a TM_LEDGER_CONFLICT. */
uint64_t tm_ledger_event_digest(const struct tm_usage_event *ev);

/* Write a new random event id (32 lowercase hex digits, 128 bits from the
 * kernel's random source) into buf, which holds at least 33 bytes.
 * TM_EIO if the random source fails. */
int tm_ledger_new_id(char *buf);

/*
 * Record a batch of events in one transaction, durable on return.
 * On success (0) status[i] (may be NULL) says whether events[i] was new or
 * a duplicate; an id repeated within the batch is a duplicate after its
 * first occurrence. On error nothing of the batch is recorded: TM_EINVAL
 * (an event fails validation, named), TM_ERANGE (a rollup would overflow),
 * TM_ELIMIT (n > TM_LEDGER_BATCH_MAX), TM_EIO (the database failed; a
 * retry of the same batch is safe). Blocks while the writer thread (if
 * any) commits.
 */
int tm_ledger_append(tm_ledger *ledger, const struct tm_usage_event *events, size_t n,
                     enum tm_ledger_status *status, struct tm_error *err);

/* Call fn with the stored event of that id (strings and tags valid only
 * during the call). TM_ENOENT when absent; fn's nonzero return is
 * returned. */
typedef int (*tm_ledger_event_fn)(void *ctx, const struct tm_usage_event *ev);
int tm_ledger_get(tm_ledger *ledger, const char *id, tm_ledger_event_fn fn, void *ctx,
                  struct tm_error *err);

/* What the rollups sum. */
struct tm_ledger_totals {
    int64_t requests;
    int64_t tokens[TM_CLASS_COUNT]; /* billed tokens per class */
    tm_money cost;
    tm_money price;
};

/* Group-by flags of a query. */
#define TM_LEDGER_BY_TENANT 1u
#define TM_LEDGER_BY_PROVIDER 2u
#define TM_LEDGER_BY_MODEL 4u
#define TM_LEDGER_BY_BUCKET 8u

/* An aggregate query over the rollups. */
struct tm_ledger_query {
    const char *tenant; /* only this tenant; NULL: all */
    int64_t from, to;   /* [from, to) in Unix seconds UTC, both multiples of
                           TM_LEDGER_BUCKET_SECONDS */
    unsigned group_by;  /* TM_LEDGER_BY_* flags; 0: one grand total */
};

/* One result row. Keys not grouped by are NULL (bucket: -1). */
struct tm_ledger_row {
    const char *tenant, *provider, *model;
    int64_t bucket; /* the bucket's first second, UTC */
    struct tm_ledger_totals totals;
};

/*
 * Run a query; fn gets each row (borrowed for the call), in the order of
 * the grouped keys (tenant, provider, model, bucket). A query that matches
 * nothing with group_by 0 still yields one all-zero row. fn's nonzero
 * return stops the query and is returned. TM_EINVAL for a misaligned or
 * reversed range, TM_ERANGE if a sum overflows, TM_EIO.
 */
typedef int (*tm_ledger_row_fn)(void *ctx, const struct tm_ledger_row *row);
int tm_ledger_query(tm_ledger *ledger, const struct tm_ledger_query *q, tm_ledger_row_fn fn,
                    void *ctx, struct tm_error *err);

/* What tm_ledger_check found. */
struct tm_ledger_check_report {
    int64_t events;          /* events stored */
    int64_t rollup_rows;     /* rollup rows stored */
    int64_t mismatches;      /* rollup rows that differ from their events'
                                sum, plus sums with no rollup row */
    char first_mismatch[TM_ERROR_MESSAGE_MAX]; /* "" when none */
};

/*
 * Verify that every rollup row equals the sum of its events, recomputed
 * from the events with exact arithmetic, and that the backend's own
 * integrity check passes. Returns 0 with the report filled whether or not
 * there are mismatches (the caller decides); TM_EFORMAT if the database is
 * corrupt, TM_EIO. `tokenmeter db check` runs this.
 */
int tm_ledger_check(tm_ledger *ledger, struct tm_ledger_check_report *out,
                    struct tm_error *err);

/* ---- the writer thread: group commit ---- */

struct tm_ledger_writer_options {
    size_t queue_events;     /* most events queued, not yet committed;
                                0: 65536 */
    size_t max_commit_events; /* most events in one transaction; 0: 8192 */
    bool fail_when_full;      /* a full queue: false (default) blocks the
                                 submitter until there is room; true returns
                                 TM_EBUSY at once */
};

/*
 * Called on the writer thread once a submission is settled. rc 0: every
 * event is durable, status[i] says recorded or duplicate. rc < 0: none was
 * recorded (err says why; a retry is safe). status and err are borrowed
 * for the call. The callback must not block on the same writer (a
 * blocking submit from it can deadlock).
 */
typedef void (*tm_ledger_done_fn)(void *ctx, int rc, const enum tm_ledger_status *status,
                                  size_t n, const struct tm_error *err);

/* Start a writer thread on `ledger` (which must outlive it). NULL and err
 * on failure. */
tm_ledger_writer *tm_ledger_writer_start(tm_ledger *ledger,
                                         const struct tm_ledger_writer_options *opts,
                                         struct tm_error *err);

/*
 * Queue a submission: the events are validated and copied at once, then
 * committed by the writer together with whatever else is queued, as one
 * transaction; each submission stays all-or-nothing inside it (a
 * savepoint), so one bad submission never fails another. done(ctx, ...)
 * runs when the submission is settled. Returns 0 when queued (done will
 * run exactly once); otherwise done never runs: TM_EINVAL (an event is
 * invalid, named), TM_ELIMIT (more events than the queue holds),
 * TM_EBUSY (queue full and fail_when_full), TM_ENOMEM, TM_EINVAL after
 * stop.
 */
int tm_ledger_writer_submit(tm_ledger_writer *w, const struct tm_usage_event *events,
                            size_t n, tm_ledger_done_fn done, void *ctx,
                            struct tm_error *err);

/* Submit and wait until durable: returns 0 with status filled (may be
 * NULL), or the submission's error. */
int tm_ledger_writer_append(tm_ledger_writer *w, const struct tm_usage_event *events,
                            size_t n, enum tm_ledger_status *status, struct tm_error *err);

/* Commit everything queued, stop the thread and free the writer. Every
 * queued submission is settled (its callback runs) before this returns.
 * Accepts NULL. */
void tm_ledger_writer_stop(tm_ledger_writer *w);

#ifdef __cplusplus
}
#endif
#endif
