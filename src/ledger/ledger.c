/*
 * The ledger's front end (include/tokenmeter/ledger.h): picks the backend
 * from the target, validates events before any backend sees them, and
 * serialises backend calls with one mutex, so a backend only ever has one
 * call in flight on its connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ledger/ledger_int.h"

/* Targets by scheme; a bare path is SQLite. */
static const struct {
    const char *prefix;
    const struct tm__ledger_ops *ops;
} backends[] = {
    {"sqlite:", &tm__ledger_sqlite_ops},
};

tm_ledger *tm_ledger_open(const char *target, const struct tm_ledger_options *opts,
                          struct tm_error *err)
{
    const struct tm__ledger_ops *ops = &tm__ledger_sqlite_ops;
    struct tm_ledger_options defaults = {0};
    const char *rest = target;
    tm_ledger *l = NULL;

    if (target == NULL || target[0] == '\0') {
        tm_error_set(err, TM_EINVAL, "ledger: no database path given");
        return NULL;
    }
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        size_t len = strlen(backends[i].prefix);
        if (strncmp(target, backends[i].prefix, len) == 0) {
            ops = backends[i].ops;
            rest = target + len;
            break;
        }
    }
    if (rest == target && strstr(target, "://") != NULL) {
        tm_error_set(err, TM_EINVAL, "ledger %s: unknown backend (this build has sqlite)",
                     target);
        return NULL;
    }
    if (opts == NULL)
        opts = &defaults;
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        tm_error_set(err, TM_ENOMEM, "ledger %s: out of memory", target);
        return NULL;
    }
    if (pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l);
        tm_error_set(err, TM_ENOMEM, "ledger %s: cannot create a mutex", target);
        return NULL;
    }
    l->ops = ops;
    if (ops->open(rest, opts, &l->state, err) != TM_OK) {
        pthread_mutex_destroy(&l->lock);
        free(l);
        return NULL;
    }
    return l;
}

void tm_ledger_close(tm_ledger *ledger)
{
    if (ledger == NULL)
        return;
    ledger->ops->close(ledger->state);
    pthread_mutex_destroy(&ledger->lock);
    free(ledger);
}

const char *tm_ledger_backend(const tm_ledger *ledger)
{
    return ledger->ops->name;
}

/* A string field: required ones must be non-empty; all are capped. */
static int check_string(const struct tm_usage_event *ev, const char *field, const char *s,
                        bool required, size_t max, struct tm_error *err)
{
    const char *id = ev->id != NULL ? ev->id : "(no id)";

    if (s == NULL || s[0] == '\0') {
        if (required)
            return tm_error_set(err, TM_EINVAL, "event %.128s: %s is required", id, field);
        return TM_OK;
    }
    if (strnlen(s, max + 1) > max)
        return tm_error_set(err, TM_EINVAL, "event %.128s: %s is longer than %zu bytes", id,
                            field, max);
    return TM_OK;
}

static int check_counts(const struct tm_usage_event *ev, const char *which,
                        const int64_t *tokens, struct tm_error *err)
{
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        if (tokens[c] < 0 || tokens[c] > TM_PRICE_MAX_TOKENS)
            return tm_error_set(err, TM_EINVAL,
                                "event %.128s: %s_tokens.%s = %lld is outside 0..10^15",
                                ev->id, which, tm_price_class_name((enum tm_token_class)c),
                                (long long)tokens[c]);
    }
    return TM_OK;
}

int tm_ledger_event_validate(const struct tm_usage_event *ev, struct tm_error *err)
{
    int rc;

    if (ev == NULL)
        return tm_error_set(err, TM_EINVAL, "event: NULL");
    if ((rc = check_string(ev, "id", ev->id, true, TM_LEDGER_ID_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "tenant", ev->tenant, true, TM_LEDGER_NAME_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "api_key", ev->api_key, false, TM_LEDGER_NAME_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "user", ev->user, false, TM_LEDGER_NAME_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "project", ev->project, false, TM_LEDGER_NAME_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "task_id", ev->task_id, false, TM_LEDGER_NAME_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "provider", ev->provider, true, TM_LEDGER_NAME_MAX, err)) != TM_OK ||
        (rc = check_string(ev, "model", ev->model, true, TM_LEDGER_NAME_MAX, err)) != TM_OK)
        return rc;
    if (ev->n_tags > TM_LEDGER_TAGS_MAX)
        return tm_error_set(err, TM_EINVAL, "event %s: %zu tags, at most %d", ev->id,
                            ev->n_tags, TM_LEDGER_TAGS_MAX);
    if (ev->n_tags > 0 && ev->tags == NULL)
        return tm_error_set(err, TM_EINVAL, "event %s: n_tags is %zu but tags is NULL", ev->id,
                            ev->n_tags);
    for (size_t i = 0; i < ev->n_tags; i++) {
        const struct tm_ledger_tag *t = &ev->tags[i];
        if (t->key == NULL || t->key[0] == '\0' ||
            strnlen(t->key, TM_LEDGER_TAG_MAX + 1) > TM_LEDGER_TAG_MAX)
            return tm_error_set(err, TM_EINVAL, "event %s: tags[%zu]: the key must be 1..%d bytes",
                                ev->id, i, TM_LEDGER_TAG_MAX);
        if (t->value != NULL && strnlen(t->value, TM_LEDGER_TAG_MAX + 1) > TM_LEDGER_TAG_MAX)
            return tm_error_set(err, TM_EINVAL, "event %s: tags[%zu] (%s): the value is longer "
                                "than %d bytes", ev->id, i, t->key, TM_LEDGER_TAG_MAX);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(ev->tags[j].key, t->key) == 0)
                return tm_error_set(err, TM_EINVAL, "event %s: tag %s given twice", ev->id,
                                    t->key);
        }
    }
    /* Times: 1970..9999, end not before start. */
    if (ev->started_ms < 0 || ev->started_ms > TM_TIME_MAX * 1000LL)
        return tm_error_set(err, TM_EINVAL, "event %s: started_ms %lld is outside 1970..9999",
                            ev->id, (long long)ev->started_ms);
    if (ev->ended_ms < ev->started_ms || ev->ended_ms > TM_TIME_MAX * 1000LL)
        return tm_error_set(err, TM_EINVAL, "event %s: ended_ms %lld is before started_ms %lld "
                            "or after 9999", ev->id, (long long)ev->ended_ms,
                            (long long)ev->started_ms);
    if (ev->latency_ms < -1)
        return tm_error_set(err, TM_EINVAL, "event %s: latency_ms %lld (-1 means unknown)",
                            ev->id, (long long)ev->latency_ms);
    if ((int)ev->outcome < TM_LEDGER_OUTCOME_OK || ev->outcome > TM_LEDGER_OUTCOME_CUT_OFF)
        return tm_error_set(err, TM_EINVAL, "event %s: unknown outcome %d", ev->id,
                            (int)ev->outcome);
    if (ev->has_provider_tokens &&
        (rc = check_counts(ev, "provider", ev->provider_tokens, err)) != TM_OK)
        return rc;
    if (ev->has_local_tokens && (rc = check_counts(ev, "local", ev->local_tokens, err)) != TM_OK)
        return rc;
    if (ev->cost < TM_MONEY_MIN || ev->price < TM_MONEY_MIN)
        return tm_error_set(err, TM_EINVAL, "event %s: cost or price below TM_MONEY_MIN",
                            ev->id);
    return TM_OK;
}

/* FNV-1a, 64-bit (http://www.isthe.com/chongo/tech/comp/fnv/): enough to
 * tell a reused id from a retry; not a defence against chosen collisions,
 * which could only hide a conflict, never change what is stored. */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_int(uint64_t h, int64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (8 * i));
    return fnv_bytes(h, b, 8);
}

/* A string with its length, so ("ab", "c") and ("a", "bc") differ; NULL
 * and "" are the same (both "not given"). */
static uint64_t fnv_str(uint64_t h, const char *s)
{
    size_t len = s != NULL ? strlen(s) : 0;

    h = fnv_int(h, (int64_t)len);
    return fnv_bytes(h, s != NULL ? s : "", len);
}

uint64_t tm_ledger_event_digest(const struct tm_usage_event *ev)
{
    uint64_t h = FNV_OFFSET, tags = 0;

    h = fnv_str(h, ev->tenant);
    h = fnv_str(h, ev->api_key);
    h = fnv_str(h, ev->user);
    h = fnv_str(h, ev->project);
    h = fnv_str(h, ev->task_id);
    h = fnv_str(h, ev->provider);
    h = fnv_str(h, ev->model);
    h = fnv_int(h, ev->started_ms);
    h = fnv_int(h, ev->ended_ms);
    h = fnv_int(h, ev->latency_ms);
    h = fnv_int(h, (int64_t)ev->outcome);
    h = fnv_int(h, ev->streaming);
    h = fnv_int(h, ev->has_provider_tokens);
    h = fnv_int(h, ev->has_local_tokens);
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        h = fnv_int(h, ev->has_provider_tokens ? ev->provider_tokens[c] : 0);
        h = fnv_int(h, ev->has_local_tokens ? ev->local_tokens[c] : 0);
    }
    /* Tags: a sum of per-tag digests, so their order does not matter. */
    for (size_t i = 0; i < ev->n_tags; i++)
        tags += fnv_str(fnv_str(FNV_OFFSET, ev->tags[i].key), ev->tags[i].value);
    h = fnv_int(h, (int64_t)ev->n_tags);
    return fnv_int(h, (int64_t)tags);
}

int tm_ledger_new_id(char *buf)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    size_t got = 0;

    while (got < sizeof(raw)) {
        ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return TM_EIO;
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        buf[2 * i] = hex[raw[i] >> 4];
        buf[2 * i + 1] = hex[raw[i] & 15];
    }
    buf[32] = '\0';
    return TM_OK;
}

int tm__ledger_totals_add(struct tm_ledger_totals *a, const struct tm_ledger_totals *b)
{
    if (__builtin_add_overflow(a->requests, b->requests, &a->requests))
        return TM_ERANGE;
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        if (__builtin_add_overflow(a->tokens[c], b->tokens[c], &a->tokens[c]))
            return TM_ERANGE;
    }
    if (tm_money_add(a->cost, b->cost, &a->cost) != TM_OK ||
        tm_money_add(a->price, b->price, &a->price) != TM_OK)
        return TM_ERANGE;
    return TM_OK;
}

void tm__ledger_event_totals(const struct tm_usage_event *ev, struct tm_ledger_totals *out)
{
    out->requests = 1;
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        out->tokens[c] = tm__ledger_billed(ev, c);
    out->cost = ev->cost;
    out->price = ev->price;
}

int tm__ledger_append_batches(tm_ledger *l, struct tm__ledger_batch *batches, size_t n,
                              struct tm_error *err)
{
    int rc;

    pthread_mutex_lock(&l->lock);
    rc = l->ops->append(l->state, batches, n, err);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int tm_ledger_append(tm_ledger *ledger, const struct tm_usage_event *events, size_t n,
                     enum tm_ledger_status *status, struct tm_error *err)
{
    struct tm__ledger_batch batch = {0};
    enum tm_ledger_status local[64];
    enum tm_ledger_status *st = status;
    int rc;

    if (n > TM_LEDGER_BATCH_MAX)
        return tm_error_set(err, TM_ELIMIT, "ledger: a batch of %zu events, at most %d", n,
                            TM_LEDGER_BATCH_MAX);
    if (n == 0)
        return TM_OK;
    for (size_t i = 0; i < n; i++) {
        if ((rc = tm_ledger_event_validate(&events[i], err)) != TM_OK)
            return rc;
    }
    if (st == NULL) {
        st = n <= 64 ? local : malloc(n * sizeof(*st));
        if (st == NULL)
            return tm_error_set(err, TM_ENOMEM, "ledger: out of memory");
    }
    batch.events = events;
    batch.n = n;
    batch.status = st;
    rc = tm__ledger_append_batches(ledger, &batch, 1, err);
    if (rc == TM_OK && batch.rc != TM_OK) {
        rc = batch.rc;
        if (err != NULL)
            *err = batch.err;
    }
    if (st != status && st != local)
        free(st);
    return rc;
}

int tm_ledger_get(tm_ledger *ledger, const char *id, tm_ledger_event_fn fn, void *ctx,
                  struct tm_error *err)
{
    int rc;

    if (id == NULL)
        return tm_error_set(err, TM_EINVAL, "ledger get: no id");
    pthread_mutex_lock(&ledger->lock);
    rc = ledger->ops->get(ledger->state, id, fn, ctx, err);
    pthread_mutex_unlock(&ledger->lock);
    return rc;
}

int tm_ledger_query(tm_ledger *ledger, const struct tm_ledger_query *q, tm_ledger_row_fn fn,
                    void *ctx, struct tm_error *err)
{
    int rc;

    if (q->from > q->to || q->from % TM_LEDGER_BUCKET_SECONDS != 0 ||
        q->to % TM_LEDGER_BUCKET_SECONDS != 0)
        return tm_error_set(err, TM_EINVAL,
                            "ledger query: the range [%lld, %lld) must be ordered and aligned "
                            "to %d-second buckets", (long long)q->from, (long long)q->to,
                            TM_LEDGER_BUCKET_SECONDS);
    pthread_mutex_lock(&ledger->lock);
    rc = ledger->ops->query(ledger->state, q, fn, ctx, err);
    pthread_mutex_unlock(&ledger->lock);
    return rc;
}

int tm_ledger_check(tm_ledger *ledger, struct tm_ledger_check_report *out,
                    struct tm_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&ledger->lock);
    rc = ledger->ops->check(ledger->state, out, err);
    pthread_mutex_unlock(&ledger->lock);
    return rc;
}
