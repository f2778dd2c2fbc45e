/*
 * Unit tests of the ledger (include/tokenmeter/ledger.h), SQLite backend.
 *
 * What a user of the ledger relies on:
 *  - the same event id is recorded once: twice in a row, twice in one
 *    batch, and again after the ledger was closed and reopened;
 *  - a batch is all-or-nothing, and one failing submission in a group
 *    commit does not fail the others;
 *  - rollups equal the sum of the events, and tm_ledger_check notices when
 *    they do not;
 *  - money comes back exactly, also above 2^63 picounits and at the ends of
 *    tm_money's range;
 *  - many threads submitting through the writer: every event durable,
 *    nothing lost, nothing doubled; a full queue blocks or says TM_EBUSY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tokenmeter/ledger.h"
#include "ledger/ledger_int.h" /* tm__ledger_append_batches, the ledger's lock */

/* ---- helpers ---- */

static char db_path[256];

/* A fresh database path per test (the file and its WAL removed). */
static int setup_db(void **state)
{
    static int seq;
    char p[300];

    (void)state;
    snprintf(db_path, sizeof(db_path), "/tmp/tm-ledger-test-%d-%d.db", (int)getpid(), seq++);
    unlink(db_path);
    snprintf(p, sizeof(p), "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", db_path);
    unlink(p);
    return 0;
}

static int teardown_db(void **state)
{
    char p[300];

    (void)state;
    unlink(db_path);
    snprintf(p, sizeof(p), "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", db_path);
    unlink(p);
    return 0;
}

static tm_ledger *open_ledger(void)
{
    struct tm_error err = {0};
    struct tm_ledger_options opts = {.sync = TM_LEDGER_SYNC_NORMAL};
    tm_ledger *l = tm_ledger_open(db_path, &opts, &err);

    if (l == NULL)
        fail_msg("open %s: %s", db_path, err.message);
    return l;
}

/* An event with fixed fields; id and numbers set by the caller. */
static struct tm_usage_event event(const char *id, const char *tenant, const char *model,
                                   int64_t started_ms, int64_t input, int64_t output,
                                   tm_money cost)
{
    struct tm_usage_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.id = id;
    ev.tenant = tenant;
    ev.provider = "openai";
    ev.model = model;
    ev.started_ms = started_ms;
    ev.ended_ms = started_ms + 1500;
    ev.latency_ms = 200;
    ev.outcome = TM_LEDGER_OUTCOME_OK;
    ev.has_provider_tokens = true;
    ev.provider_tokens[TM_CLASS_INPUT] = input;
    ev.provider_tokens[TM_CLASS_OUTPUT] = output;
    ev.has_local_tokens = true;
    ev.local_tokens[TM_CLASS_INPUT] = input + 1; /* local counts differ: not summed */
    ev.local_tokens[TM_CLASS_OUTPUT] = output;
    ev.cost = cost;
    if (tm_money_mul(cost, 2, &ev.price) != TM_OK)
        ev.price = cost;
    return ev;
}

static void append_ok(tm_ledger *l, const struct tm_usage_event *evs, size_t n,
                      enum tm_ledger_status *status)
{
    struct tm_error err = {0};
    int rc = tm_ledger_append(l, evs, n, status, &err);

    if (rc != TM_OK)
        fail_msg("append: %d %s", rc, err.message);
}

/* The grand total of everything (or one tenant), from the rollups. */
static int take_row(void *ctx, const struct tm_ledger_row *row)
{
    *(struct tm_ledger_totals *)ctx = row->totals;
    return 0;
}

static struct tm_ledger_totals grand_total(tm_ledger *l, const char *tenant)
{
    struct tm_ledger_query q = {.tenant = tenant, .from = 0,
                                .to = 253402300800LL / TM_LEDGER_BUCKET_SECONDS *
                                      TM_LEDGER_BUCKET_SECONDS};
    struct tm_ledger_totals t;
    struct tm_error err = {0};

    memset(&t, 0xff, sizeof(t));
    if (tm_ledger_query(l, &q, take_row, &t, &err) != TM_OK)
        fail_msg("query: %s", err.message);
    return t;
}

static void assert_check_clean(tm_ledger *l, int64_t events)
{
    struct tm_ledger_check_report rep;
    struct tm_error err = {0};

    if (tm_ledger_check(l, &rep, &err) != TM_OK)
        fail_msg("check: %s", err.message);
    if (rep.mismatches != 0)
        fail_msg("check: %lld mismatches, first: %s", (long long)rep.mismatches,
                 rep.first_mismatch);
    assert_int_equal(rep.events, events);
}

static int has_event(tm_ledger *l, const char *id)
{
    struct tm_error err = {0};
    int rc = tm_ledger_get(l, id, NULL, NULL, &err);
    return rc;
}

/* tm_ledger_get with a callback that copies the money and the tags out. */
struct got {
    tm_money cost, price;
    struct tm_usage_event ev; /* scalars only */
    char tenant[64], user[64], task[64], tag0[64], tag1[64];
    size_t n_tags;
};

static int copy_event(void *ctx, const struct tm_usage_event *ev)
{
    struct got *g = ctx;

    g->cost = ev->cost;
    g->price = ev->price;
    g->ev = *ev;
    snprintf(g->tenant, sizeof(g->tenant), "%s", ev->tenant);
    snprintf(g->user, sizeof(g->user), "%s", ev->user != NULL ? ev->user : "(null)");
    snprintf(g->task, sizeof(g->task), "%s", ev->task_id != NULL ? ev->task_id : "(null)");
    g->n_tags = ev->n_tags;
    if (ev->n_tags > 0)
        snprintf(g->tag0, sizeof(g->tag0), "%s=%s", ev->tags[0].key, ev->tags[0].value);
    if (ev->n_tags > 1)
        snprintf(g->tag1, sizeof(g->tag1), "%s=%s", ev->tags[1].key, ev->tags[1].value);
    return 0;
}

static struct got get_event(tm_ledger *l, const char *id)
{
    struct got g;
    struct tm_error err = {0};

    memset(&g, 0, sizeof(g));
    if (tm_ledger_get(l, id, copy_event, &g, &err) != TM_OK)
        fail_msg("get %s: %s", id, err.message);
    return g;
}

static int exists_fn(void *ctx, const struct tm_usage_event *ev)
{
    (void)ev;
    *(int *)ctx = 1;
    return 0;
}

static bool exists(tm_ledger *l, const char *id)
{
    int found = 0;
    int rc = tm_ledger_get(l, id, exists_fn, &found, NULL);
    assert_true(rc == TM_OK || rc == TM_ENOENT);
    return found == 1;
}

/* Run SQL on the database behind the ledger's back (to damage it). */
static void raw_sql(const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static int64_t raw_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v;

    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#define T0 1774224000000LL /* 2026-03-23T00:00:00Z in ms */

/* ---- tests ---- */

/* The file is created with our schema; another SQLite file or a non-SQLite
 * file is refused, never written to. */
static void test_open(void **state)
{
    struct tm_error err = {0};
    tm_ledger *l;
    FILE *f;

    (void)state;
    l = open_ledger();
    assert_string_equal(tm_ledger_backend(l), "sqlite");
    tm_ledger_close(l);
    l = open_ledger(); /* reopen: the schema is recognised */
    tm_ledger_close(l);
    tm_ledger_close(NULL);

    teardown_db(NULL);
    raw_sql("CREATE TABLE something (x)");
    assert_null(tm_ledger_open(db_path, NULL, &err));
    assert_int_equal(err.code, TM_EFORMAT);
    assert_non_null(strstr(err.message, "not a tokenmeter ledger"));

    teardown_db(NULL);
    f = fopen(db_path, "w");
    assert_non_null(f);
    fputs("this is not a database, just text long enough to be a header......\n", f);
    fclose(f);
    assert_null(tm_ledger_open(db_path, NULL, &err));
    assert_int_equal(err.code, TM_EFORMAT);

    assert_null(tm_ledger_open("postgres://localhost/x", NULL, &err));
    assert_int_equal(err.code, TM_EINVAL);
}

/* The same id twice is recorded once: in two calls, in one batch, and
 * after close and reopen; the rollups count it once. */
static void test_idempotent(void **state)
{
    struct tm_usage_event evs[3];
    enum tm_ledger_status st[3];
    struct tm_ledger_totals t;
    struct tm_error err = {0};
    tm_ledger *l;

    (void)state;
    l = open_ledger();
    evs[0] = event("req-1", "acme", "gpt-4o", T0, 100, 10, 1000);
    append_ok(l, evs, 1, st);
    assert_int_equal(st[0], TM_LEDGER_RECORDED);
    append_ok(l, evs, 1, st);
    assert_int_equal(st[0], TM_LEDGER_DUPLICATE);

    /* In one batch: new, repeat of the new one, repeat of an old one. */
    evs[0] = event("req-2", "acme", "gpt-4o", T0, 5, 5, 50);
    evs[1] = event("req-2", "acme", "gpt-4o", T0, 5, 5, 50);
    evs[2] = event("req-1", "acme", "gpt-4o", T0, 100, 10, 1000);
    append_ok(l, evs, 3, st);
    assert_int_equal(st[0], TM_LEDGER_RECORDED);
    assert_int_equal(st[1], TM_LEDGER_DUPLICATE);
    assert_int_equal(st[2], TM_LEDGER_DUPLICATE);
    tm_ledger_close(l);

    l = open_ledger();
    evs[0] = event("req-1", "acme", "gpt-4o", T0, 100, 10, 1000);
    append_ok(l, evs, 1, st);
    assert_int_equal(st[0], TM_LEDGER_DUPLICATE);
    t = grand_total(l, NULL);
    assert_int_equal(t.requests, 2);
    assert_int_equal(t.tokens[TM_CLASS_INPUT], 105); /* provider counts, not local */
    assert_int_equal(t.tokens[TM_CLASS_OUTPUT], 15);
    assert_true(t.cost == 1050);
    assert_true(t.price == 2100);
    assert_check_clean(l, 2);

    /* The same id with other facts is a conflict: the first arrival
     * stands and nothing changes. Only cost and price may differ in a
     * duplicate (a request re-rated after a price change). */
    evs[0] = event("req-1", "acme", "gpt-4o", T0, 999, 10, 1000);
    evs[1] = event("req-1", "acme", "gpt-4o", T0, 100, 10, 777);
    evs[2] = event("req-1", "acme", "gpt-4o", T0, 100, 10, 1000);
    evs[2].user = "someone";
    append_ok(l, evs, 3, st);
    assert_int_equal(st[0], TM_LEDGER_CONFLICT);
    assert_int_equal(st[1], TM_LEDGER_DUPLICATE);
    assert_int_equal(st[2], TM_LEDGER_CONFLICT);
    assert_true(get_event(l, "req-1").cost == 1000);
    assert_int_equal(grand_total(l, NULL).requests, 2);
    assert_int_equal(tm_ledger_append(l, evs, 0, NULL, &err), TM_OK);
    tm_ledger_close(l);
}

/* A batch whose second event would overflow a rollup records nothing, not
 * even its first event; fixed and retried, it records both. */
static void test_batch_atomic(void **state)
{
    struct tm_usage_event evs[3];
    enum tm_ledger_status st[3];
    struct tm_ledger_totals before, after;
    struct tm_error err = {0};
    tm_ledger *l;

    (void)state;
    l = open_ledger();
    evs[0] = event("big", "acme", "gpt-4o", T0, 1, 1, TM_MONEY_MAX - 10);
    evs[0].price = 0;
    append_ok(l, evs, 1, st);
    before = grand_total(l, "acme");

    evs[0] = event("a", "other", "o3", T0, 7, 7, 70);         /* another rollup row */
    evs[1] = event("b", "acme", "gpt-4o", T0, 1, 1, 100);      /* overflows "big"'s row */
    evs[1].price = 0;
    assert_int_equal(tm_ledger_append(l, evs, 2, st, &err), TM_ERANGE);
    assert_non_null(strstr(err.message, "overflow"));
    assert_false(exists(l, "a"));
    assert_false(exists(l, "b"));
    after = grand_total(l, "acme");
    assert_int_equal(after.requests, before.requests);
    assert_true(after.cost == before.cost);
    assert_check_clean(l, 1);

    /* An invalid event anywhere in the batch: nothing recorded either. */
    evs[1] = event("b", "acme", "gpt-4o", T0, 1, 1, 5);
    evs[2] = event("c", "", "gpt-4o", T0, 1, 1, 5); /* no tenant */
    assert_int_equal(tm_ledger_append(l, evs, 3, st, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "event c: tenant is required"));
    assert_false(exists(l, "a"));

    append_ok(l, evs, 2, st);
    assert_int_equal(st[0], TM_LEDGER_RECORDED);
    assert_int_equal(st[1], TM_LEDGER_RECORDED);
    assert_true(exists(l, "a"));
    assert_true(exists(l, "b"));
    assert_true(grand_total(l, "acme").cost == TM_MONEY_MAX - 5);
    assert_true(grand_total(l, "other").cost == 70);
    assert_check_clean(l, 3);
    tm_ledger_close(l);
}

/* Several batches in one transaction (the writer's group commit): the bad
 * one is rolled back alone, the others commit. */
static void test_group_commit_isolation(void **state)
{
    struct tm_usage_event e1[2], e2[2], e3[1];
    enum tm_ledger_status s1[2], s2[2], s3[1];
    struct tm__ledger_batch b[3];
    struct tm_error err = {0};
    tm_ledger *l;

    (void)state;
    l = open_ledger();
    e1[0] = event("seed", "t", "m", T0, 1, 1, TM_MONEY_MAX - 1);
    append_ok(l, e1, 1, s1);

    e1[0] = event("g1-a", "t", "m2", T0, 1, 1, 1);
    e1[1] = event("g1-b", "t", "m2", T0, 1, 1, 1);
    e2[0] = event("g2-a", "t", "m3", T0, 1, 1, 1);
    e2[1] = event("g2-b", "t", "m", T0, 1, 1, 5); /* overflows "seed"'s row */
    e3[0] = event("g3-a", "u", "m", T0, 1, 1, 1);
    memset(b, 0, sizeof(b));
    b[0] = (struct tm__ledger_batch){.events = e1, .n = 2, .status = s1};
    b[1] = (struct tm__ledger_batch){.events = e2, .n = 2, .status = s2};
    b[2] = (struct tm__ledger_batch){.events = e3, .n = 1, .status = s3};
    assert_int_equal(tm__ledger_append_batches(l, b, 3, &err), TM_OK);
    assert_int_equal(b[0].rc, TM_OK);
    assert_int_equal(b[1].rc, TM_ERANGE);
    assert_int_equal(b[2].rc, TM_OK);
    assert_true(exists(l, "g1-a") && exists(l, "g1-b") && exists(l, "g3-a"));
    assert_false(exists(l, "g2-a"));
    assert_false(exists(l, "g2-b"));
    assert_check_clean(l, 4);
    tm_ledger_close(l);
}

/* Deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Rollups equal the sum of the events, by tenant, model and bucket, for
 * random events in random batches with duplicates; a damaged rollup or a
 * deleted event is reported by tm_ledger_check. */
static void test_rollups_match_events(void **state)
{
    static const char *tenants[] = {"acme", "globex", "initech"};
    static const char *models[] = {"gpt-4o", "o3", "claude-sonnet-4"};
    enum { N = 3000 };
    struct tm_usage_event *evs = calloc(N, sizeof(*evs));
    char (*ids)[16] = calloc(N, sizeof(*ids));
    enum tm_ledger_status *st = calloc(N, sizeof(*st));
    struct tm_ledger_totals want[3] = {{0}}, t;
    int64_t distinct = 0;
    struct tm_ledger_check_report rep;
    struct tm_error err = {0};
    tm_ledger *l;

    (void)state;
    assert_non_null(evs);
    for (int i = 0; i < N; i++) {
        /* One in ten repeats an earlier id with the same content. */
        if (i > 0 && rng() % 10 == 0) {
            evs[i] = evs[rng() % (uint64_t)i];
            continue;
        }
        snprintf(ids[i], sizeof(ids[i]), "ev-%d", i);
        int ti = (int)(rng() % 3);
        evs[i] = event(ids[i], tenants[ti], models[rng() % 3],
                       T0 + (int64_t)(rng() % (3 * 86400000ULL)), (int64_t)(rng() % 100000),
                       (int64_t)(rng() % 5000), (tm_money)(rng() % 1000000000000ULL));
        evs[i].provider_tokens[TM_CLASS_CACHED_INPUT] = (int64_t)(rng() % 1000);
        if (rng() % 4 == 0)
            evs[i].has_provider_tokens = false; /* only local counts: those are billed */
        struct tm_ledger_totals one;
        tm__ledger_event_totals(&evs[i], &one);
        assert_int_equal(tm__ledger_totals_add(&want[ti], &one), TM_OK);
        distinct++;
    }
    l = open_ledger();
    for (int i = 0; i < N;) {
        int n = 1 + (int)(rng() % 50);
        if (n > N - i)
            n = N - i;
        append_ok(l, evs + i, (size_t)n, st + i);
        i += n;
    }
    for (int ti = 0; ti < 3; ti++) {
        t = grand_total(l, tenants[ti]);
        assert_int_equal(t.requests, want[ti].requests);
        for (int c = 0; c < TM_CLASS_COUNT; c++)
            assert_int_equal(t.tokens[c], want[ti].tokens[c]);
        assert_true(t.cost == want[ti].cost);
        assert_true(t.price == want[ti].price);
    }
    assert_check_clean(l, distinct);
    tm_ledger_close(l);

    /* Damage a rollup: check reports it. */
    raw_sql("UPDATE rollups SET t_output = t_output + 1 WHERE (tenant, bucket, provider, model)"
            " = (SELECT tenant, bucket, provider, model FROM rollups LIMIT 1)");
    l = open_ledger();
    assert_int_equal(tm_ledger_check(l, &rep, &err), TM_OK);
    assert_int_equal(rep.mismatches, 1);
    assert_non_null(strstr(rep.first_mismatch, "events sum to"));
    tm_ledger_close(l);
    free(evs);
    free(ids);
    free(st);
}

static void test_check_missing_rows(void **state)
{
    struct tm_usage_event evs[2];
    struct tm_ledger_check_report rep;
    struct tm_error err = {0};
    tm_ledger *l;

    (void)state;
    l = open_ledger();
    evs[0] = event("x", "acme", "gpt-4o", T0, 1, 1, 1);
    evs[1] = event("y", "acme", "o3", T0, 1, 1, 1);
    append_ok(l, evs, 2, NULL);
    tm_ledger_close(l);
    raw_sql("DELETE FROM events WHERE id = 'y'; DELETE FROM rollups WHERE model = 'gpt-4o'");
    l = open_ledger();
    assert_int_equal(tm_ledger_check(l, &rep, &err), TM_OK);
    assert_int_equal(rep.events, 1);
    assert_int_equal(rep.mismatches, 2);
    assert_non_null(strstr(rep.first_mismatch, "have no rollup row"));
    tm_ledger_close(l);
}

/* Money comes back exactly: across the 2^63 boundary, at the ends of the
 * range, negative; an amount that fits in 64 bits is stored as itself. */
static void test_money_exact(void **state)
{
    const tm_money two63 = (tm_money)1 << 62 << 1;
    const tm_money amounts[] = {
        0, 1, -1, 37500, (tm_money)INT64_MAX, -(tm_money)INT64_MAX, (tm_money)INT64_MIN,
        two63, two63 + 1, -two63 - 1, two63 * 2, two63 * 2 + 12345,
        (tm_money)1000000000000000000LL * 1000000000000LL, /* 10^30 */
        TM_MONEY_MAX, TM_MONEY_MIN,
    };
    enum { N = sizeof(amounts) / sizeof(amounts[0]) };
    struct tm_usage_event evs[N];
    char ids[N][16], models[N][16];
    tm_ledger *l;

    (void)state;
    l = open_ledger();
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "m-%d", i);
        snprintf(models[i], sizeof(models[i]), "model-%d", i); /* a rollup row each */
        evs[i] = event(ids[i], "acme", models[i], T0, 1, 1, amounts[i]);
        evs[i].price = -amounts[i];
    }
    append_ok(l, evs, N, NULL);
    tm_ledger_close(l);
    l = open_ledger();
    for (int i = 0; i < N; i++) {
        struct got g = get_event(l, ids[i]);
        if (g.cost != amounts[i] || g.price != -amounts[i]) {
            char a[TM_MONEY_TEXT_MAX], b[TM_MONEY_TEXT_MAX];
            tm_money_format(amounts[i], 0, a);
            tm_money_format(g.cost, 0, b);
            fail_msg("amount %d: stored %s, read back %s", i, a, b);
        }
    }
    assert_check_clean(l, N);
    tm_ledger_close(l);
    /* 37500 picounits is stored as the plain integer 37500. */
    assert_int_equal(raw_int("SELECT cost_lo FROM events WHERE id = 'm-3'"), 37500);
    assert_int_equal(raw_int("SELECT cost_hi FROM events WHERE id = 'm-3'"), 0);
    assert_int_equal(raw_int("SELECT cost_hi FROM events WHERE id = 'm-2'"), -1);
    assert_int_equal(raw_int("SELECT cost_lo FROM events WHERE id = 'm-2'"), -1);
}

/* Every field and tag comes back as written. */
static void test_fields_round_trip(void **state)
{
    struct tm_ledger_tag tags[] = {{"team", "search"}, {"env", "prod"}};
    struct tm_usage_event ev = event("full", "acme", "gpt-4o", T0 + 123, 10, 20, 30);
    struct got g;
    tm_ledger *l;

    (void)state;
    ev.user = "u-7";
    ev.task_id = "task-9";
    ev.api_key = "key-1";
    ev.tags = tags;
    ev.n_tags = 2;
    ev.streaming = true;
    ev.outcome = TM_LEDGER_OUTCOME_CUT_OFF;
    ev.latency_ms = -1;
    l = open_ledger();
    append_ok(l, &ev, 1, NULL);
    g = get_event(l, "full");
    assert_string_equal(g.tenant, "acme");
    assert_string_equal(g.user, "u-7");
    assert_string_equal(g.task, "task-9");
    assert_int_equal(g.n_tags, 2);
    assert_string_equal(g.tag0, "env=prod"); /* tags come back sorted by key */
    assert_string_equal(g.tag1, "team=search");
    assert_true(g.ev.streaming);
    assert_int_equal(g.ev.outcome, TM_LEDGER_OUTCOME_CUT_OFF);
    assert_int_equal(g.ev.latency_ms, -1);
    assert_int_equal(g.ev.started_ms, T0 + 123);
    assert_int_equal(g.ev.ended_ms, T0 + 123 + 1500);
    assert_int_equal(g.ev.provider_tokens[TM_CLASS_OUTPUT], 20);
    assert_int_equal(g.ev.local_tokens[TM_CLASS_INPUT], 11);
    assert_int_equal(has_event(l, "nope"), TM_ENOENT);
    tm_ledger_close(l);
}

/* Bad events are refused with the event and the field named. */
static void test_validation(void **state)
{
    struct tm_usage_event ev;
    struct tm_ledger_tag dup[] = {{"a", "1"}, {"a", "2"}};
    char long_id[TM_LEDGER_ID_MAX + 2];
    struct tm_error err = {0};

    (void)state;
    ev = event(NULL, "acme", "m", T0, 1, 1, 1);
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "id is required"));
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    ev = event(long_id, "acme", "m", T0, 1, 1, 1); /* TM_LEDGER_ID_MAX + 1 bytes */
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "id is longer than 128 bytes"));
    long_id[TM_LEDGER_ID_MAX] = '\0'; /* exactly the cap */
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_OK);
    ev = event("e", "acme", "", T0, 1, 1, 1);
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "event e: model is required"));
    ev = event("e", "acme", "m", T0, -1, 1, 1);
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "provider_tokens.input"));
    ev = event("e", "acme", "m", T0, 1, 1, 1);
    ev.ended_ms = T0 - 1;
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    ev = event("e", "acme", "m", T0, 1, 1, 1);
    ev.tags = dup;
    ev.n_tags = 2;
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "tag a given twice"));
    ev = event("e", "acme", "m", T0, 1, 1, 1);
    ev.outcome = (enum tm_ledger_outcome)7;
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_EINVAL);
    ev = event("e", "acme", "m", T0, 1, 1, 1);
    assert_int_equal(tm_ledger_event_validate(&ev, &err), TM_OK);
}

/* Queries group by the asked keys, by bucket, and refuse a misaligned range. */
struct rows {
    int n;
    char key[8][64];
    int64_t requests[8];
};

static int collect(void *ctx, const struct tm_ledger_row *row)
{
    struct rows *r = ctx;
    if (r->n < 8) {
        snprintf(r->key[r->n], sizeof(r->key[0]), "%s|%s|%lld", row->tenant ? row->tenant : "*",
                 row->model ? row->model : "*", (long long)row->bucket);
        r->requests[r->n] = row->totals.requests;
    }
    r->n++;
    return 0;
}

static void test_query(void **state)
{
    struct tm_usage_event evs[4];
    struct tm_ledger_query q = {.from = T0 / 1000, .to = T0 / 1000 + 86400};
    struct rows r;
    struct tm_error err = {0};
    tm_ledger *l;

    (void)state;
    l = open_ledger();
    evs[0] = event("1", "acme", "a", T0, 1, 1, 1);
    evs[1] = event("2", "acme", "b", T0 + 899999, 1, 1, 1);  /* same quarter-hour */
    evs[2] = event("3", "acme", "a", T0 + 900000, 1, 1, 1);  /* the next one */
    evs[3] = event("4", "zeta", "a", T0 + 86400000, 1, 1, 1); /* outside the range */
    append_ok(l, evs, 4, NULL);

    memset(&r, 0, sizeof(r));
    q.group_by = TM_LEDGER_BY_MODEL;
    assert_int_equal(tm_ledger_query(l, &q, collect, &r, &err), TM_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.key[0], "*|a|-1");
    assert_int_equal(r.requests[0], 2);
    assert_string_equal(r.key[1], "*|b|-1");

    memset(&r, 0, sizeof(r));
    q.group_by = TM_LEDGER_BY_TENANT | TM_LEDGER_BY_BUCKET;
    assert_int_equal(tm_ledger_query(l, &q, collect, &r, &err), TM_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.requests[0], 2);
    assert_int_equal(r.requests[1], 1);

    memset(&r, 0, sizeof(r));
    q.group_by = 0;
    q.tenant = "nobody";
    assert_int_equal(tm_ledger_query(l, &q, collect, &r, &err), TM_OK);
    assert_int_equal(r.n, 1); /* one all-zero row */
    assert_int_equal(r.requests[0], 0);

    q.from += 60;
    assert_int_equal(tm_ledger_query(l, &q, collect, &r, &err), TM_EINVAL);
    tm_ledger_close(l);
}

/* ---- the writer ---- */

enum { THREADS = 4, PER_THREAD = 600 };

struct submitter {
    tm_ledger_writer *w;
    int index;
    int64_t recorded, duplicates;
    int failures;
    struct tm_error err;
};

/* Each thread writes its own ids and also re-sends every id of the next
 * thread (the same event: a retry through another path). */
static void make_event(struct tm_usage_event *ev, char *id, size_t cap, int owner, int k)
{
    snprintf(id, cap, "t%d-%d", owner, k);
    *ev = event(id, owner % 2 ? "acme" : "globex", k % 3 ? "gpt-4o" : "o3",
                T0 + (int64_t)k * 60000, k, 2 * k, (tm_money)k * 1000003);
}

static void *submit_thread(void *arg)
{
    struct submitter *s = arg;
    uint64_t r = 0x1234567ull * (uint64_t)(s->index + 1);

    for (int k = 0; k < PER_THREAD;) {
        struct tm_usage_event evs[16];
        char ids[16][32];
        enum tm_ledger_status st[16];
        int n = 1 + (int)((r = r * 6364136223846793005ull + 1) >> 60) % 8, m = 0;

        for (int j = 0; j < n && k + j < PER_THREAD; j++) {
            make_event(&evs[m], ids[m], sizeof(ids[m]), s->index, k + j);
            m++;
            make_event(&evs[m], ids[m], sizeof(ids[m]), (s->index + 1) % THREADS, k + j);
            m++;
        }
        if (tm_ledger_writer_append(s->w, evs, (size_t)m, st, &s->err) != TM_OK) {
            s->failures++;
            return NULL;
        }
        for (int j = 0; j < m; j++) {
            if (st[j] == TM_LEDGER_RECORDED)
                s->recorded++;
            else if (st[j] == TM_LEDGER_DUPLICATE)
                s->duplicates++;
            else
                s->failures++; /* the same content must never be a conflict */
        }
        k += m / 2;
    }
    return NULL;
}

static void test_writer_concurrent(void **state)
{
    struct tm_ledger_writer_options opts = {.queue_events = 64, .max_commit_events = 40};
    struct submitter subs[THREADS];
    pthread_t th[THREADS];
    struct tm_error err = {0};
    int64_t recorded = 0, duplicates = 0, want_tokens = 0;
    tm_money want_cost = 0;
    struct tm_ledger_totals t;
    tm_ledger *l;
    tm_ledger_writer *w;

    (void)state;
    l = open_ledger();
    w = tm_ledger_writer_start(l, &opts, &err);
    assert_non_null(w);
    for (int i = 0; i < THREADS; i++) {
        memset(&subs[i], 0, sizeof(subs[i]));
        subs[i].w = w;
        subs[i].index = i;
        assert_int_equal(pthread_create(&th[i], NULL, submit_thread, &subs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (subs[i].failures)
            fail_msg("thread %d: %d failures: %s", i, subs[i].failures, subs[i].err.message);
        recorded += subs[i].recorded;
        duplicates += subs[i].duplicates;
    }
    tm_ledger_writer_stop(w);
    /* Every id was sent twice: recorded exactly once, a duplicate once. */
    assert_int_equal(recorded, THREADS * PER_THREAD);
    assert_int_equal(duplicates, THREADS * PER_THREAD);
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < PER_THREAD; k++) {
            want_tokens += 3 * k;
            want_cost += (tm_money)k * 1000003;
        }
    }
    tm_ledger_close(l);
    l = open_ledger(); /* what is durable, seen by a new connection */
    t = grand_total(l, NULL);
    assert_int_equal(t.requests, THREADS * PER_THREAD);
    assert_int_equal(t.tokens[TM_CLASS_INPUT] + t.tokens[TM_CLASS_OUTPUT], want_tokens);
    assert_true(t.cost == want_cost);
    assert_check_clean(l, THREADS * PER_THREAD);
    tm_ledger_close(l);
}

/* Callbacks: each runs once with the statuses; a full queue with
 * fail_when_full says TM_EBUSY; stop settles everything queued. */
struct cb_count {
    pthread_mutex_t mu;
    int calls, recorded, errors;
};

static void count_cb(void *ctx, int rc, const enum tm_ledger_status *status, size_t n,
                     const struct tm_error *err)
{
    struct cb_count *c = ctx;

    (void)err;
    pthread_mutex_lock(&c->mu);
    c->calls++;
    if (rc != TM_OK)
        c->errors++;
    for (size_t i = 0; rc == TM_OK && i < n; i++)
        c->recorded += status[i] == TM_LEDGER_RECORDED;
    pthread_mutex_unlock(&c->mu);
}

static void test_writer_backpressure(void **state)
{
    struct tm_ledger_writer_options opts = {.queue_events = 4, .fail_when_full = true};
    struct tm_usage_event evs[5];
    char ids[5][8];
    struct cb_count c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct tm_error err = {0};
    tm_ledger *l;
    tm_ledger_writer *w;

    (void)state;
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof(ids[i]), "bp-%d", i);
        evs[i] = event(ids[i], "acme", "m", T0, 1, 1, 1);
    }
    l = open_ledger();
    w = tm_ledger_writer_start(l, &opts, &err);
    assert_non_null(w);
    assert_int_equal(tm_ledger_writer_submit(w, evs, 5, count_cb, &c, &err), TM_ELIMIT);

    /* Hold the ledger so the writer cannot commit: the queue fills. */
    pthread_mutex_lock(&l->lock);
    assert_int_equal(tm_ledger_writer_submit(w, evs, 3, count_cb, &c, &err), TM_OK);
    assert_int_equal(tm_ledger_writer_submit(w, evs + 3, 1, count_cb, &c, &err), TM_OK);
    assert_int_equal(tm_ledger_writer_submit(w, evs + 4, 1, count_cb, &c, &err), TM_EBUSY);
    assert_non_null(strstr(err.message, "queue is full"));
    pthread_mutex_unlock(&l->lock);

    /* An invalid event is refused at submit; its callback never runs. */
    evs[4].tenant = NULL;
    assert_int_equal(tm_ledger_writer_submit(w, evs + 4, 1, count_cb, &c, &err), TM_EINVAL);
    tm_ledger_writer_stop(w);
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.errors, 0);
    assert_int_equal(c.recorded, 4);
    assert_check_clean(l, 4);
    tm_ledger_close(l);
    tm_ledger_writer_stop(NULL);
}

/* The digest ignores money and tag order, and sees every other fact. */
static void test_digest(void **state)
{
    struct tm_ledger_tag ab[] = {{"a", "1"}, {"b", "2"}}, ba[] = {{"b", "2"}, {"a", "1"}};
    struct tm_ledger_tag moved[] = {{"a", "12"}, {"b", ""}};
    struct tm_usage_event x = event("d", "acme", "m", T0, 1, 2, 3), y;
    uint64_t d;

    (void)state;
    x.tags = ab;
    x.n_tags = 2;
    d = tm_ledger_event_digest(&x);
    y = x;
    y.cost = 99;
    y.price = 98;
    y.tags = ba;
    assert_true(tm_ledger_event_digest(&y) == d);
    y = x;
    y.tags = moved;
    assert_true(tm_ledger_event_digest(&y) != d);
    y = x;
    y.local_tokens[TM_CLASS_REASONING] = 1;
    assert_true(tm_ledger_event_digest(&y) != d);
    y = x;
    y.ended_ms++;
    assert_true(tm_ledger_event_digest(&y) != d);
    y = x;
    y.tenant = "acm";
    y.api_key = "e";
    assert_true(tm_ledger_event_digest(&y) != d);
}

static void test_new_id(void **state)
{
    char a[33], b[33];

    (void)state;
    assert_int_equal(tm_ledger_new_id(a), TM_OK);
    assert_int_equal(tm_ledger_new_id(b), TM_OK);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_true(strspn(a, "0123456789abcdef") == 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_idempotent, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_batch_atomic, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_group_commit_isolation, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_rollups_match_events, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_check_missing_rows, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_money_exact, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_fields_round_trip, setup_db, teardown_db),
        cmocka_unit_test(test_validation),
        cmocka_unit_test_setup_teardown(test_query, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_writer_concurrent, setup_db, teardown_db),
        cmocka_unit_test_setup_teardown(test_writer_backpressure, setup_db, teardown_db),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_new_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
