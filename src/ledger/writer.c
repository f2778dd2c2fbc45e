/*
 * The ledger's writer thread: group commit (include/tokenmeter/ledger.h).
 *
 * Submitters validate and copy their events into a submission and queue it;
 * one thread takes everything queued (up to max_commit_events), commits it
 * as one transaction with each submission in its own savepoint, then tells
 * each submitter. While a commit's fsync runs, new submissions pile up and
 * go into the next commit together: the fsync is shared, and no timer is
 * needed (the batch is whatever arrived while the disk was busy).
 *
 * Bounds. `queued` counts the events of submissions not yet settled,
 * including those in the commit in flight, and never exceeds queue_events:
 * memory is bounded by the queue size however fast submitters are. A
 * submitter that finds no room waits (default) or gets TM_EBUSY.
 *
 * Invariant: a queued submission's done callback runs exactly once, after
 * its transaction committed (rc 0) or failed (rc < 0, nothing recorded).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_int.h"

struct submission {
    struct submission *next;
    struct tm_usage_event *events; /* n, deep copies inside this allocation */
    size_t n;
    enum tm_ledger_status *status;
    tm_ledger_done_fn done;
    void *ctx;
};

struct tm_ledger_writer {
    tm_ledger *ledger;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, settled;
    struct submission *head, *tail;
    size_t queued; /* events queued or in the commit in flight */
    size_t cap, max_commit;
    bool fail_when_full, stopping;
};

/* ---- copying a submission into one allocation ---- */

static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static char *put_str(char **p, const char *s)
{
    char *at;
    size_t len;

    if (s == NULL)
        return NULL;
    len = strlen(s) + 1;
    at = *p;
    memcpy(at, s, len);
    *p += len;
    return at;
}

static struct submission *copy_submission(const struct tm_usage_event *events, size_t n)
{
    size_t ntags = 0, text = 0, head, size;
    struct submission *sub;
    struct tm_ledger_tag *tags;
    char *p;

    for (size_t i = 0; i < n; i++) {
        const struct tm_usage_event *e = &events[i];
        ntags += e->n_tags;
        text += str_size(e->id) + str_size(e->tenant) + str_size(e->api_key) +
                str_size(e->user) + str_size(e->project) + str_size(e->task_id) +
                str_size(e->provider) + str_size(e->model);
        for (size_t t = 0; t < e->n_tags; t++)
            text += str_size(e->tags[t].key) + str_size(e->tags[t].value);
    }
    /* Layout: submission, events (16-byte aligned for tm_money), tags,
     * status, text. */
    head = (sizeof(*sub) + 15) & ~(size_t)15;
    size = head + n * sizeof(struct tm_usage_event) + ntags * sizeof(struct tm_ledger_tag) +
           n * sizeof(enum tm_ledger_status) + text;
    sub = aligned_alloc(16, (size + 15) & ~(size_t)15);
    if (sub == NULL)
        return NULL;
    memset(sub, 0, sizeof(*sub));
    sub->events = (struct tm_usage_event *)((char *)sub + head);
    tags = (struct tm_ledger_tag *)(sub->events + n);
    sub->status = (enum tm_ledger_status *)(tags + ntags);
    p = (char *)(sub->status + n);
    sub->n = n;
    for (size_t i = 0; i < n; i++) {
        const struct tm_usage_event *e = &events[i];
        struct tm_usage_event *c = &sub->events[i];

        *c = *e;
        c->id = put_str(&p, e->id);
        c->tenant = put_str(&p, e->tenant);
        c->api_key = put_str(&p, e->api_key);
        c->user = put_str(&p, e->user);
        c->project = put_str(&p, e->project);
        c->task_id = put_str(&p, e->task_id);
        c->provider = put_str(&p, e->provider);
        c->model = put_str(&p, e->model);
        c->tags = e->n_tags > 0 ? tags : NULL;
        for (size_t t = 0; t < e->n_tags; t++) {
            tags->key = put_str(&p, e->tags[t].key);
            tags->value = put_str(&p, e->tags[t].value);
            tags++;
        }
    }
    return sub;
}

/* ---- the thread ---- */

static void *writer_main(void *arg)
{
    tm_ledger_writer *w = arg;
    struct tm__ledger_batch *batches = NULL;
    size_t batches_cap = 0;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct submission *group, *last, *sub;
        size_t nsub = 0, nev = 0;
        struct tm_error err = {0};
        int rc;

        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->not_empty, &w->mu);
        if (w->head == NULL)
            break; /* stopping, and everything is settled */
        /* Take submissions up to max_commit events (always at least one). */
        group = last = w->head;
        nsub = 1;
        nev = group->n;
        while (last->next != NULL && nev + last->next->n <= w->max_commit) {
            last = last->next;
            nev += last->n;
            nsub++;
        }
        w->head = last->next;
        if (w->head == NULL)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->mu);

        if (nsub > batches_cap) {
            struct tm__ledger_batch *nb = realloc(batches, nsub * sizeof(*nb));
            if (nb != NULL) {
                batches = nb;
                batches_cap = nsub;
            }
        }
        if (nsub > batches_cap) {
            /* No memory for the batch list: fail the group (nothing was
             * recorded, a retry is safe). */
            tm_error_set(&err, TM_ENOMEM, "ledger writer: out of memory");
            for (sub = group; sub != NULL; sub = sub->next)
                sub->done(sub->ctx, TM_ENOMEM, sub->status, sub->n, &err);
        } else {
            size_t i = 0;
            for (sub = group; sub != NULL; sub = sub->next, i++) {
                memset(&batches[i], 0, sizeof(batches[i]));
                batches[i].events = sub->events;
                batches[i].n = sub->n;
                batches[i].status = sub->status;
            }
            rc = tm__ledger_append_batches(w->ledger, batches, nsub, &err);
            (void)rc; /* each batch carries its own result */
            i = 0;
            for (sub = group; sub != NULL; sub = sub->next, i++)
                sub->done(sub->ctx, batches[i].rc, sub->status, sub->n, &batches[i].err);
        }
        while (group != NULL) {
            sub = group->next;
            free(group);
            group = sub;
        }
        pthread_mutex_lock(&w->mu);
        w->queued -= nev;
        pthread_cond_broadcast(&w->not_full);
    }
    pthread_mutex_unlock(&w->mu);
    free(batches);
    return NULL;
}

tm_ledger_writer *tm_ledger_writer_start(tm_ledger *ledger,
                                         const struct tm_ledger_writer_options *opts,
                                         struct tm_error *err)
{
    tm_ledger_writer *w = calloc(1, sizeof(*w));
    int inits = 0;

    if (w == NULL) {
        tm_error_set(err, TM_ENOMEM, "ledger writer: out of memory");
        return NULL;
    }
    w->ledger = ledger;
    w->cap = opts != NULL && opts->queue_events > 0 ? opts->queue_events : 65536;
    w->max_commit = opts != NULL && opts->max_commit_events > 0 ? opts->max_commit_events : 8192;
    w->fail_when_full = opts != NULL && opts->fail_when_full;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        goto fail;
    inits++;
    if (pthread_cond_init(&w->not_empty, NULL) != 0)
        goto fail;
    inits++;
    if (pthread_cond_init(&w->not_full, NULL) != 0)
        goto fail;
    inits++;
    if (pthread_cond_init(&w->settled, NULL) != 0)
        goto fail;
    inits++;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
        goto fail;
    return w;
fail:
    if (inits > 3)
        pthread_cond_destroy(&w->settled);
    if (inits > 2)
        pthread_cond_destroy(&w->not_full);
    if (inits > 1)
        pthread_cond_destroy(&w->not_empty);
    if (inits > 0)
        pthread_mutex_destroy(&w->mu);
    free(w);
    tm_error_set(err, TM_ENOMEM, "ledger writer: cannot start the thread");
    return NULL;
}

int tm_ledger_writer_submit(tm_ledger_writer *w, const struct tm_usage_event *events,
                            size_t n, tm_ledger_done_fn done, void *ctx,
                            struct tm_error *err)
{
    struct submission *sub;
    int rc;

    if (done == NULL)
        return tm_error_set(err, TM_EINVAL, "ledger writer: no callback");
    if (n == 0)
        return tm_error_set(err, TM_EINVAL, "ledger writer: an empty submission");
    if (n > TM_LEDGER_BATCH_MAX || n > w->cap)
        return tm_error_set(err, TM_ELIMIT, "ledger writer: %zu events in one submission, the "
                            "queue holds %zu", n, w->cap < TM_LEDGER_BATCH_MAX ? w->cap
                            : (size_t)TM_LEDGER_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        if ((rc = tm_ledger_event_validate(&events[i], err)) != TM_OK)
            return rc;
    }
    sub = copy_submission(events, n);
    if (sub == NULL)
        return tm_error_set(err, TM_ENOMEM, "ledger writer: out of memory");
    sub->done = done;
    sub->ctx = ctx;

    pthread_mutex_lock(&w->mu);
    while (!w->stopping && w->queued + n > w->cap) {
        if (w->fail_when_full) {
            pthread_mutex_unlock(&w->mu);
            free(sub);
            return tm_error_set(err, TM_EBUSY, "ledger writer: the queue is full (%zu events)",
                                w->cap);
        }
        pthread_cond_wait(&w->not_full, &w->mu);
    }
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        free(sub);
        return tm_error_set(err, TM_EINVAL, "ledger writer: stopped");
    }
    if (w->tail != NULL)
        w->tail->next = sub;
    else
        w->head = sub;
    w->tail = sub;
    w->queued += n;
    pthread_cond_signal(&w->not_empty);
    pthread_mutex_unlock(&w->mu);
    return TM_OK;
}

/* A blocking submitter's mailbox. */
struct waiter {
    tm_ledger_writer *w;
    bool done;
    int rc;
    enum tm_ledger_status *status;
    struct tm_error err;
};

static void wake(void *ctx, int rc, const enum tm_ledger_status *status, size_t n,
                 const struct tm_error *err)
{
    struct waiter *wt = ctx;

    pthread_mutex_lock(&wt->w->mu);
    wt->rc = rc;
    if (rc == TM_OK && wt->status != NULL)
        memcpy(wt->status, status, n * sizeof(*status));
    if (rc != TM_OK && err != NULL)
        wt->err = *err;
    wt->done = true;
    pthread_cond_broadcast(&wt->w->settled);
    pthread_mutex_unlock(&wt->w->mu);
}

int tm_ledger_writer_append(tm_ledger_writer *w, const struct tm_usage_event *events,
                            size_t n, enum tm_ledger_status *status, struct tm_error *err)
{
    struct waiter wt = {.w = w, .status = status};
    int rc = tm_ledger_writer_submit(w, events, n, wake, &wt, err);

    if (rc != TM_OK)
        return rc;
    pthread_mutex_lock(&w->mu);
    while (!wt.done)
        pthread_cond_wait(&w->settled, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (wt.rc != TM_OK && err != NULL)
        *err = wt.err;
    return wt.rc;
}

void tm_ledger_writer_stop(tm_ledger_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->not_empty);
    pthread_cond_broadcast(&w->not_full);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->settled);
    pthread_cond_destroy(&w->not_full);
    pthread_cond_destroy(&w->not_empty);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
