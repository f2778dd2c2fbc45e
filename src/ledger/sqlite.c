/*
 * The SQLite backend of the ledger (docs/LEDGER.md has the schema and the
 * reasoning; this comment is the summary).
 *
 * Durability. The database runs in WAL mode with synchronous=FULL by
 * default: SQLite then syncs the WAL at every commit, so a transaction that
 * COMMIT reported is on stable storage and survives power loss, not just a
 * crash of the process ("With synchronous=FULL in WAL mode, an additional
 * sync operation of the WAL file happens after each transaction commit";
 * with NORMAL "a transaction committed in WAL mode ... might roll back
 * following a power loss or system crash":
 * https://www.sqlite.org/pragma.html#pragma_synchronous). The cost is one
 * fsync per commit, which the writer thread's group commit spreads over
 * many events. TM_LEDGER_SYNC_NORMAL is offered for tests and benchmarks.
 *
 * Exactly once. events.id is UNIQUE; each event is inserted with
 * INSERT ... ON CONFLICT(id) DO NOTHING RETURNING seq inside the batch's
 * transaction: a row back means new, none means a duplicate. The check and
 * the write are one statement in one transaction, so no failure can leave
 * an id claimed but not written (the OpenMeter #5118 trap).
 *
 * Atomicity. One append is one BEGIN IMMEDIATE ... COMMIT; each batch inside
 * it is a SAVEPOINT, rolled back alone when it fails (a rollup overflow),
 * so a bad submission never fails the others sharing its group commit.
 *
 * Money. A tm_money (signed 128-bit picounits) is stored as two INTEGER
 * columns X_hi, X_lo: value = X_hi * 2^64 + (X_lo as unsigned 64-bit), two's
 * complement. Whenever the value fits in 64 bits (|v| < 2^63 picounits,
 * about 9.2 million major units) X_lo is the value itself and X_hi is 0 or
 * -1, so plain SQL can read ordinary amounts; nothing is ever rounded.
 *
 * Rollups. rollups has one row per tenant x bucket x provider x model;
 * an append sums a batch's new events per row in memory, then reads each
 * row, adds with overflow checks and writes it back, inside the batch's
 * savepoint: events and rollups change together or not at all.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ledger/ledger_int.h"

#define SCHEMA_VERSION 1
#define APPLICATION_ID 0x746d6c67 /* "tmlg" */
#define DELTAS_MAX 256            /* distinct rollup rows summed before a flush */
#define SQL_MAX 4096

/* Column order of events after seq (1-based bind indexes follow it). */
enum {
    EV_ID = 1, EV_TENANT, EV_API_KEY, EV_USER, EV_PROJECT, EV_TASK, EV_PROVIDER, EV_MODEL,
    EV_STARTED, EV_ENDED, EV_LATENCY, EV_OUTCOME, EV_STREAMING, EV_HAS_PROVIDER,
    EV_HAS_LOCAL, EV_P0, EV_L0 = EV_P0 + TM_CLASS_COUNT,
    EV_COST_HI = EV_L0 + TM_CLASS_COUNT, EV_COST_LO, EV_PRICE_HI, EV_PRICE_LO, EV_DIGEST,
    EV_NCOLS = EV_DIGEST
};

/* A rollup row's pending change. Strings borrowed from the batch. */
struct delta {
    const char *tenant, *provider, *model;
    int64_t bucket;
    struct tm_ledger_totals totals;
};

struct sq {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *begin, *commit, *rollback, *savepoint, *release, *rollback_to;
    sqlite3_stmt *ins_event, *ins_tag, *get_rollup, *put_rollup, *get_event, *get_tags,
        *get_digest;
    struct delta deltas[DELTAS_MAX];
    size_t ndeltas;
};

/* ---- small helpers ---- */

static int map_rc(int src)
{
    switch (src & 0xff) {
    case SQLITE_NOMEM: return TM_ENOMEM;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return TM_EFORMAT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return TM_EBUSY;
    case SQLITE_FULL: return TM_ENOSPC;
    default: return TM_EIO;
    }
}

/* Fill err from the connection's last error. */
static int db_error(struct sq *s, int src, const char *what, struct tm_error *err)
{
    return tm_error_set(err, map_rc(src), "ledger %s: %s: %s", s->path, what,
                        sqlite3_errmsg(s->db));
}

/* Run a statement with no result rows to completion. */
static int run(struct sq *s, sqlite3_stmt *st, const char *what, struct tm_error *err)
{
    int src = sqlite3_step(st);

    sqlite3_reset(st);
    if (src != SQLITE_DONE && src != SQLITE_ROW)
        return db_error(s, src, what, err);
    return TM_OK;
}

static int exec_sql(struct sq *s, const char *sql, const char *what, struct tm_error *err)
{
    int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    if (src != SQLITE_OK)
        return db_error(s, src, what, err);
    return TM_OK;
}

static int prepare(struct sq *s, const char *sql, sqlite3_stmt **out, struct tm_error *err)
{
    int src = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);

    if (src != SQLITE_OK)
        return db_error(s, src, "prepare", err);
    return TM_OK;
}

/* Append printf text to a fixed SQL buffer of SQL_MAX bytes (the
 * statements built here are fixed text well under it). */
static void cat(char *buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void cat(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf + len, SQL_MAX - len, fmt, ap);
    va_end(ap);
}

static const char *cls(int c)
{
    return tm_price_class_name((enum tm_token_class)c);
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL || s[0] == '\0')
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void bind_money(sqlite3_stmt *st, int i, tm_money v)
{
    int64_t hi, lo;

    tm__ledger_money_split(v, &hi, &lo);
    sqlite3_bind_int64(st, i, hi);
    sqlite3_bind_int64(st, i + 1, lo);
}

/* Read a money pair; false when the stored value is outside tm_money. */
static bool column_money(sqlite3_stmt *st, int i, tm_money *out)
{
    tm_money v = tm__ledger_money_join(sqlite3_column_int64(st, i),
                                       sqlite3_column_int64(st, i + 1));

    if (v < TM_MONEY_MIN)
        return false;
    *out = v;
    return true;
}

/* ---- schema ---- */

/* The column list of rollups after the key: requests, t_<class>..., money. */
static void rollup_value_columns(char *sql)
{
    cat(sql, "requests");
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ", t_%s", cls(c));
    cat(sql, ", cost_hi, cost_lo, price_hi, price_lo");
}

static void event_columns(char *sql)
{
    cat(sql, "id, tenant, api_key, user_id, project, task_id, provider, model, started_ms, "
             "ended_ms, latency_ms, outcome, streaming, has_provider, has_local");
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ", p_%s", cls(c));
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ", l_%s", cls(c));
    cat(sql, ", cost_hi, cost_lo, price_hi, price_lo, digest");
}

static int create_schema(struct sq *s, struct tm_error *err)
{
    char sql[SQL_MAX] = "";

    cat(sql, "CREATE TABLE events (\n"
             "  seq INTEGER PRIMARY KEY,\n"
             "  id TEXT NOT NULL UNIQUE,\n"
             "  tenant TEXT NOT NULL, api_key TEXT, user_id TEXT, project TEXT, task_id TEXT,\n"
             "  provider TEXT NOT NULL, model TEXT NOT NULL,\n"
             "  started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL, latency_ms INTEGER,\n"
             "  outcome INTEGER NOT NULL, streaming INTEGER NOT NULL,\n"
             "  has_provider INTEGER NOT NULL, has_local INTEGER NOT NULL");
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ",\n  p_%s INTEGER NOT NULL", cls(c));
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ",\n  l_%s INTEGER NOT NULL", cls(c));
    cat(sql, ",\n  cost_hi INTEGER NOT NULL, cost_lo INTEGER NOT NULL,\n"
             "  price_hi INTEGER NOT NULL, price_lo INTEGER NOT NULL,\n"
             "  digest INTEGER NOT NULL);\n"
             "CREATE TABLE event_tags (\n"
             "  seq INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,\n"
             "  PRIMARY KEY (seq, key)) WITHOUT ROWID;\n"
             "CREATE TABLE rollups (\n"
             "  tenant TEXT NOT NULL, bucket INTEGER NOT NULL,\n"
             "  provider TEXT NOT NULL, model TEXT NOT NULL,\n"
             "  requests INTEGER NOT NULL");
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ",\n  t_%s INTEGER NOT NULL", cls(c));
    cat(sql, ",\n  cost_hi INTEGER NOT NULL, cost_lo INTEGER NOT NULL,\n"
             "  price_hi INTEGER NOT NULL, price_lo INTEGER NOT NULL,\n"
             "  PRIMARY KEY (tenant, bucket, provider, model)) WITHOUT ROWID;\n"
             "PRAGMA user_version = %d;\nPRAGMA application_id = %d;\n",
        SCHEMA_VERSION, APPLICATION_ID);
    return exec_sql(s, sql, "create the schema", err);
}

static int pragma_int(struct sq *s, const char *sql, int64_t *out, struct tm_error *err)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (src == SQLITE_OK) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            src = SQLITE_OK;
        }
    }
    if (src != SQLITE_OK) {
        db_error(s, src, sql, err);
        sqlite3_finalize(st);
        return err != NULL ? err->code : map_rc(src);
    }
    sqlite3_finalize(st);
    return TM_OK;
}

/* Create the schema in an empty file, or check that the file holds ours. */
static int ensure_schema(struct sq *s, struct tm_error *err)
{
    int64_t version = 0, app = 0, objects = 0;
    int rc;

    if ((rc = exec_sql(s, "BEGIN IMMEDIATE", "begin", err)) != TM_OK)
        return rc;
    if ((rc = pragma_int(s, "PRAGMA user_version", &version, err)) != TM_OK ||
        (rc = pragma_int(s, "PRAGMA application_id", &app, err)) != TM_OK ||
        (rc = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &objects, err)) != TM_OK)
        goto out;
    if (version == 0 && app == 0 && objects == 0) {
        rc = create_schema(s, err);
    } else if (app != APPLICATION_ID) {
        rc = tm_error_set(err, TM_EFORMAT, "ledger %s: not a tokenmeter ledger (a SQLite "
                          "database with other tables)", s->path);
    } else if (version != SCHEMA_VERSION) {
        rc = tm_error_set(err, TM_EFORMAT, "ledger %s: schema version %lld, this build knows %d",
                          s->path, (long long)version, SCHEMA_VERSION);
    }
out:
    if (rc == TM_OK)
        return exec_sql(s, "COMMIT", "commit the schema", err);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int prepare_all(struct sq *s, struct tm_error *err)
{
    char sql[SQL_MAX];
    int rc;

    if ((rc = prepare(s, "BEGIN IMMEDIATE", &s->begin, err)) != TM_OK ||
        (rc = prepare(s, "COMMIT", &s->commit, err)) != TM_OK ||
        (rc = prepare(s, "ROLLBACK", &s->rollback, err)) != TM_OK ||
        (rc = prepare(s, "SAVEPOINT batch", &s->savepoint, err)) != TM_OK ||
        (rc = prepare(s, "RELEASE batch", &s->release, err)) != TM_OK ||
        (rc = prepare(s, "ROLLBACK TO batch", &s->rollback_to, err)) != TM_OK ||
        (rc = prepare(s, "INSERT INTO event_tags (seq, key, value) VALUES (?1, ?2, ?3)",
                      &s->ins_tag, err)) != TM_OK ||
        (rc = prepare(s, "SELECT key, value FROM event_tags WHERE seq = ?1 ORDER BY key",
                      &s->get_tags, err)) != TM_OK ||
        (rc = prepare(s, "SELECT digest FROM events WHERE id = ?1", &s->get_digest, err)) != TM_OK)
        return rc;

    sql[0] = '\0';
    cat(sql, "INSERT INTO events (");
    event_columns(sql);
    cat(sql, ") VALUES (");
    for (int i = 1; i <= EV_NCOLS; i++)
        cat(sql, "%s?%d", i > 1 ? ", " : "", i);
    cat(sql, ") ON CONFLICT (id) DO NOTHING RETURNING seq");
    if ((rc = prepare(s, sql, &s->ins_event, err)) != TM_OK)
        return rc;

    sql[0] = '\0';
    cat(sql, "SELECT seq, ");
    event_columns(sql);
    cat(sql, " FROM events WHERE id = ?1");
    if ((rc = prepare(s, sql, &s->get_event, err)) != TM_OK)
        return rc;

    sql[0] = '\0';
    cat(sql, "SELECT ");
    rollup_value_columns(sql);
    cat(sql, " FROM rollups WHERE tenant = ?1 AND bucket = ?2 AND provider = ?3 AND model = ?4");
    if ((rc = prepare(s, sql, &s->get_rollup, err)) != TM_OK)
        return rc;

    sql[0] = '\0';
    cat(sql, "INSERT OR REPLACE INTO rollups (tenant, bucket, provider, model, ");
    rollup_value_columns(sql);
    cat(sql, ") VALUES (");
    for (int i = 1; i <= 4 + 1 + TM_CLASS_COUNT + 4; i++)
        cat(sql, "%s?%d", i > 1 ? ", " : "", i);
    cat(sql, ")");
    return prepare(s, sql, &s->put_rollup, err);
}

static void sq_close(void *state)
{
    struct sq *s = state;

    if (s == NULL)
        return;
    sqlite3_stmt *all[] = {s->begin, s->commit, s->rollback, s->savepoint, s->release,
                           s->rollback_to, s->ins_event, s->ins_tag, s->get_rollup,
                           s->put_rollup, s->get_event, s->get_tags, s->get_digest};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static int sq_open(const char *target, const struct tm_ledger_options *opts, void **state,
                   struct tm_error *err)
{
    struct sq *s = calloc(1, sizeof(*s));
    char mode[32] = "";
    sqlite3_stmt *st = NULL;
    int src, rc = TM_OK;

    if (s == NULL || (s->path = strdup(target)) == NULL) {
        free(s);
        return tm_error_set(err, TM_ENOMEM, "ledger %s: out of memory", target);
    }
    src = sqlite3_open_v2(target, &s->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                          NULL);
    if (src != SQLITE_OK) {
        rc = tm_error_set(err, TM_EIO, "ledger %s: cannot open: %s", target,
                          s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000);

    /* The schema first, so a file that is not ours is refused before
     * anything (journal mode included) is changed in it. */
    if ((rc = ensure_schema(s, err)) != TM_OK)
        goto out;
    /* WAL: readers never block the writer, and a commit appends to one
     * file. journal_mode answers with the mode in effect. */
    src = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
        src = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_OK) {
        rc = db_error(s, src, "cannot set WAL mode", err);
        goto out;
    }
    if (strcmp(mode, "wal") != 0) {
        rc = tm_error_set(err, TM_EIO, "ledger %s: the file system does not allow WAL mode "
                          "(journal_mode is %s)", target, mode);
        goto out;
    }
    if ((rc = exec_sql(s, opts->sync == TM_LEDGER_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
                                                               : "PRAGMA synchronous = FULL",
                       "set synchronous", err)) != TM_OK ||
        (rc = prepare_all(s, err)) != TM_OK)
        goto out;
out:
    if (rc != TM_OK) {
        sq_close(s);
        return rc;
    }
    *state = s;
    return TM_OK;
}

/* ---- append ---- */

static void bind_event(sqlite3_stmt *st, const struct tm_usage_event *ev)
{
    sqlite3_bind_text(st, EV_ID, ev->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, EV_TENANT, ev->tenant, -1, SQLITE_STATIC);
    bind_opt_text(st, EV_API_KEY, ev->api_key);
    bind_opt_text(st, EV_USER, ev->user);
    bind_opt_text(st, EV_PROJECT, ev->project);
    bind_opt_text(st, EV_TASK, ev->task_id);
    sqlite3_bind_text(st, EV_PROVIDER, ev->provider, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, EV_MODEL, ev->model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, EV_STARTED, ev->started_ms);
    sqlite3_bind_int64(st, EV_ENDED, ev->ended_ms);
    if (ev->latency_ms < 0)
        sqlite3_bind_null(st, EV_LATENCY);
    else
        sqlite3_bind_int64(st, EV_LATENCY, ev->latency_ms);
    sqlite3_bind_int(st, EV_OUTCOME, (int)ev->outcome);
    sqlite3_bind_int(st, EV_STREAMING, ev->streaming);
    sqlite3_bind_int(st, EV_HAS_PROVIDER, ev->has_provider_tokens);
    sqlite3_bind_int(st, EV_HAS_LOCAL, ev->has_local_tokens);
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        sqlite3_bind_int64(st, EV_P0 + c, ev->has_provider_tokens ? ev->provider_tokens[c] : 0);
        sqlite3_bind_int64(st, EV_L0 + c, ev->has_local_tokens ? ev->local_tokens[c] : 0);
    }
    bind_money(st, EV_COST_HI, ev->cost);
    bind_money(st, EV_PRICE_HI, ev->price);
    sqlite3_bind_int64(st, EV_DIGEST, (int64_t)tm_ledger_event_digest(ev));
}

/* Apply the pending rollup changes: read, add exactly, write back. */
static int flush_deltas(struct sq *s, struct tm__ledger_batch *b)
{
    int rc = TM_OK, src;

    for (size_t i = 0; i < s->ndeltas && rc == TM_OK; i++) {
        struct delta *d = &s->deltas[i];
        struct tm_ledger_totals row = {0};
        int64_t hi, lo;
        int k = 1;

        sqlite3_bind_text(s->get_rollup, 1, d->tenant, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->get_rollup, 2, d->bucket);
        sqlite3_bind_text(s->get_rollup, 3, d->provider, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->get_rollup, 4, d->model, -1, SQLITE_STATIC);
        src = sqlite3_step(s->get_rollup);
        if (src == SQLITE_ROW) {
            row.requests = sqlite3_column_int64(s->get_rollup, 0);
            for (int c = 0; c < TM_CLASS_COUNT; c++)
                row.tokens[c] = sqlite3_column_int64(s->get_rollup, 1 + c);
            if (!column_money(s->get_rollup, 1 + TM_CLASS_COUNT, &row.cost) ||
                !column_money(s->get_rollup, 3 + TM_CLASS_COUNT, &row.price))
                rc = tm_error_set(&b->err, TM_EFORMAT, "ledger %s: rollup %s/%s/%s@%lld holds "
                                  "money out of range", s->path, d->tenant, d->provider,
                                  d->model, (long long)d->bucket);
        } else if (src != SQLITE_DONE) {
            rc = db_error(s, src, "read a rollup", &b->err);
        }
        sqlite3_reset(s->get_rollup);
        if (rc != TM_OK)
            break;
        if (tm__ledger_totals_add(&row, &d->totals) != TM_OK) {
            rc = tm_error_set(&b->err, TM_ERANGE, "ledger %s: the rollup of %s/%s/%s at "
                              "bucket %lld would overflow", s->path, d->tenant, d->provider,
                              d->model, (long long)d->bucket);
            break;
        }
        sqlite3_stmt *put = s->put_rollup;
        sqlite3_bind_text(put, k++, d->tenant, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, k++, d->bucket);
        sqlite3_bind_text(put, k++, d->provider, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, k++, d->model, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, k++, row.requests);
        for (int c = 0; c < TM_CLASS_COUNT; c++)
            sqlite3_bind_int64(put, k++, row.tokens[c]);
        tm__ledger_money_split(row.cost, &hi, &lo);
        sqlite3_bind_int64(put, k++, hi);
        sqlite3_bind_int64(put, k++, lo);
        tm__ledger_money_split(row.price, &hi, &lo);
        sqlite3_bind_int64(put, k++, hi);
        sqlite3_bind_int64(put, k++, lo);
        rc = run(s, put, "write a rollup", &b->err);
    }
    s->ndeltas = 0;
    return rc;
}

/* Add an event to the pending rollup changes. */
static int add_delta(struct sq *s, struct tm__ledger_batch *b, const struct tm_usage_event *ev)
{
    struct tm_ledger_totals t;
    int64_t bucket = tm__ledger_bucket(ev);
    struct delta *d = NULL;
    int rc;

    tm__ledger_event_totals(ev, &t);
    for (size_t i = 0; i < s->ndeltas; i++) {
        struct delta *x = &s->deltas[i];
        if (x->bucket == bucket && strcmp(x->tenant, ev->tenant) == 0 &&
            strcmp(x->model, ev->model) == 0 && strcmp(x->provider, ev->provider) == 0) {
            d = x;
            break;
        }
    }
    if (d == NULL) {
        if (s->ndeltas == DELTAS_MAX && (rc = flush_deltas(s, b)) != TM_OK)
            return rc;
        d = &s->deltas[s->ndeltas++];
        memset(d, 0, sizeof(*d));
        d->tenant = ev->tenant;
        d->provider = ev->provider;
        d->model = ev->model;
        d->bucket = bucket;
    }
    if (tm__ledger_totals_add(&d->totals, &t) != TM_OK)
        return tm_error_set(&b->err, TM_ERANGE, "ledger %s: event %s: the rollup of %s/%s/%s "
                            "would overflow", s->path, ev->id, ev->tenant, ev->provider,
                            ev->model);
    return TM_OK;
}

/* Insert one batch's events, tags and rollup changes (inside a savepoint). */
static int append_batch(struct sq *s, struct tm__ledger_batch *b)
{
    int rc = TM_OK, src;

    s->ndeltas = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct tm_usage_event *ev = &b->events[i];
        int64_t seq;

        bind_event(s->ins_event, ev);
        src = sqlite3_step(s->ins_event);
        if (src == SQLITE_DONE) { /* no row back: the id was there already */
            sqlite3_reset(s->ins_event);
            sqlite3_bind_text(s->get_digest, 1, ev->id, -1, SQLITE_STATIC);
            src = sqlite3_step(s->get_digest);
            if (src == SQLITE_ROW)
                b->status[i] = (uint64_t)sqlite3_column_int64(s->get_digest, 0) ==
                                       tm_ledger_event_digest(ev)
                                   ? TM_LEDGER_DUPLICATE : TM_LEDGER_CONFLICT;
            sqlite3_reset(s->get_digest);
            if (src != SQLITE_ROW)
                return db_error(s, src, "read a recorded event's digest", &b->err);
            continue;
        }
        if (src != SQLITE_ROW) {
            rc = db_error(s, src, "insert an event", &b->err);
            sqlite3_reset(s->ins_event);
            return rc;
        }
        seq = sqlite3_column_int64(s->ins_event, 0);
        /* Step to the end so the statement completes before the next. */
        src = sqlite3_step(s->ins_event);
        sqlite3_reset(s->ins_event);
        if (src != SQLITE_DONE)
            return db_error(s, src, "insert an event", &b->err);
        b->status[i] = TM_LEDGER_RECORDED;
        for (size_t t = 0; t < ev->n_tags; t++) {
            sqlite3_bind_int64(s->ins_tag, 1, seq);
            sqlite3_bind_text(s->ins_tag, 2, ev->tags[t].key, -1, SQLITE_STATIC);
            sqlite3_bind_text(s->ins_tag, 3, ev->tags[t].value != NULL ? ev->tags[t].value : "",
                              -1, SQLITE_STATIC);
            if ((rc = run(s, s->ins_tag, "insert a tag", &b->err)) != TM_OK)
                return rc;
        }
        if ((rc = add_delta(s, b, ev)) != TM_OK)
            return rc;
    }
    return flush_deltas(s, b);
}

static int sq_append(void *state, struct tm__ledger_batch *batches, size_t n,
                     struct tm_error *err)
{
    struct sq *s = state;
    struct tm_error fatal = {0};
    int rc;

    if ((rc = run(s, s->begin, "begin", &fatal)) != TM_OK)
        goto failed;
    for (size_t i = 0; i < n; i++) {
        struct tm__ledger_batch *b = &batches[i];

        b->rc = TM_OK;
        b->err.code = 0;
        b->err.message[0] = '\0';
        if ((rc = run(s, s->savepoint, "savepoint", &fatal)) != TM_OK)
            goto rollback;
        b->rc = append_batch(s, b);
        if (b->rc == TM_OK) {
            if ((rc = run(s, s->release, "release", &fatal)) != TM_OK)
                goto rollback;
            continue;
        }
        /* Some errors (I/O, full disk) end the whole transaction. */
        if (sqlite3_get_autocommit(s->db)) {
            rc = b->rc;
            fatal = b->err;
            goto failed;
        }
        if ((rc = run(s, s->rollback_to, "rollback to savepoint", &fatal)) != TM_OK ||
            (rc = run(s, s->release, "release", &fatal)) != TM_OK)
            goto rollback;
    }
    if ((rc = run(s, s->commit, "commit", &fatal)) == TM_OK)
        return TM_OK;
rollback:
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_step(s->rollback);
        sqlite3_reset(s->rollback);
    }
failed:
    for (size_t i = 0; i < n; i++) {
        batches[i].rc = rc;
        batches[i].err = fatal;
    }
    if (err != NULL)
        *err = fatal;
    return rc;
}

/* ---- reading ---- */

static const char *column_opt_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i); /* NULL for SQL NULL */
}

static int sq_get(void *state, const char *id, tm_ledger_event_fn fn, void *ctx,
                  struct tm_error *err)
{
    struct sq *s = state;
    sqlite3_stmt *st = s->get_event;
    struct tm_usage_event ev;
    struct tm_ledger_tag tags[TM_LEDGER_TAGS_MAX];
    char tag_text[TM_LEDGER_TAGS_MAX][2][TM_LEDGER_TAG_MAX + 1]; /* 16 KiB */
    int src, rc = TM_OK;

    memset(&ev, 0, sizeof(ev));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    if (src == SQLITE_DONE) {
        rc = tm_error_set(err, TM_ENOENT, "ledger %s: no event %s", s->path, id);
        goto out;
    }
    if (src != SQLITE_ROW) {
        rc = db_error(s, src, "read an event", err);
        goto out;
    }
    /* Column k of the result is bind index k (seq is column 0). */
    ev.id = column_opt_text(st, EV_ID);
    ev.tenant = column_opt_text(st, EV_TENANT);
    ev.api_key = column_opt_text(st, EV_API_KEY);
    ev.user = column_opt_text(st, EV_USER);
    ev.project = column_opt_text(st, EV_PROJECT);
    ev.task_id = column_opt_text(st, EV_TASK);
    ev.provider = column_opt_text(st, EV_PROVIDER);
    ev.model = column_opt_text(st, EV_MODEL);
    ev.started_ms = sqlite3_column_int64(st, EV_STARTED);
    ev.ended_ms = sqlite3_column_int64(st, EV_ENDED);
    ev.latency_ms = sqlite3_column_type(st, EV_LATENCY) == SQLITE_NULL
                        ? -1 : sqlite3_column_int64(st, EV_LATENCY);
    ev.outcome = (enum tm_ledger_outcome)sqlite3_column_int(st, EV_OUTCOME);
    ev.streaming = sqlite3_column_int(st, EV_STREAMING) != 0;
    ev.has_provider_tokens = sqlite3_column_int(st, EV_HAS_PROVIDER) != 0;
    ev.has_local_tokens = sqlite3_column_int(st, EV_HAS_LOCAL) != 0;
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        ev.provider_tokens[c] = sqlite3_column_int64(st, EV_P0 + c);
        ev.local_tokens[c] = sqlite3_column_int64(st, EV_L0 + c);
    }
    if (!column_money(st, EV_COST_HI, &ev.cost) || !column_money(st, EV_PRICE_HI, &ev.price)) {
        rc = tm_error_set(err, TM_EFORMAT, "ledger %s: event %s holds money out of range",
                          s->path, id);
        goto out;
    }
    /* A tag row's text lives only until the next step: copy it. */
    sqlite3_bind_int64(s->get_tags, 1, sqlite3_column_int64(st, 0));
    while ((src = sqlite3_step(s->get_tags)) == SQLITE_ROW && ev.n_tags < TM_LEDGER_TAGS_MAX) {
        snprintf(tag_text[ev.n_tags][0], sizeof(tag_text[0][0]), "%s",
                 (const char *)sqlite3_column_text(s->get_tags, 0));
        snprintf(tag_text[ev.n_tags][1], sizeof(tag_text[0][1]), "%s",
                 (const char *)sqlite3_column_text(s->get_tags, 1));
        tags[ev.n_tags].key = tag_text[ev.n_tags][0];
        tags[ev.n_tags].value = tag_text[ev.n_tags][1];
        ev.n_tags++;
    }
    ev.tags = tags;
    if (src != SQLITE_DONE && src != SQLITE_ROW) {
        rc = db_error(s, src, "read tags", err);
        goto out;
    }
    rc = fn != NULL ? fn(ctx, &ev) : TM_OK;
out:
    sqlite3_reset(s->get_tags);
    sqlite3_reset(st);
    return rc;
}

/* Read a rollup row's totals from columns first.. of st. */
static bool column_totals(sqlite3_stmt *st, int first, struct tm_ledger_totals *t)
{
    t->requests = sqlite3_column_int64(st, first);
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        t->tokens[c] = sqlite3_column_int64(st, first + 1 + c);
    return column_money(st, first + 1 + TM_CLASS_COUNT, &t->cost) &&
           column_money(st, first + 3 + TM_CLASS_COUNT, &t->price);
}

/* The current group of a query: its key copied out of the row. */
struct group {
    bool open;
    char tenant[TM_LEDGER_NAME_MAX + 1], provider[TM_LEDGER_NAME_MAX + 1],
        model[TM_LEDGER_NAME_MAX + 1];
    int64_t bucket;
    struct tm_ledger_totals totals;
};

static bool same_text(const char *kept, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return strcmp(kept, t != NULL ? t : "") == 0;
}

static void keep_text(char *kept, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    snprintf(kept, TM_LEDGER_NAME_MAX + 1, "%s", t != NULL ? t : "");
}

static int emit(const struct group *g, unsigned by, tm_ledger_row_fn fn, void *ctx)
{
    struct tm_ledger_row row = {
        .tenant = (by & TM_LEDGER_BY_TENANT) ? g->tenant : NULL,
        .provider = (by & TM_LEDGER_BY_PROVIDER) ? g->provider : NULL,
        .model = (by & TM_LEDGER_BY_MODEL) ? g->model : NULL,
        .bucket = (by & TM_LEDGER_BY_BUCKET) ? g->bucket : -1,
        .totals = g->totals,
    };
    return fn(ctx, &row);
}

static int sq_query(void *state, const struct tm_ledger_query *q, tm_ledger_row_fn fn,
                    void *ctx, struct tm_error *err)
{
    struct sq *s = state;
    unsigned by = q->group_by;
    char sql[SQL_MAX] = "";
    sqlite3_stmt *st = NULL;
    struct group *g = calloc(1, sizeof(*g));
    int src, rc = TM_OK;

    if (g == NULL)
        return tm_error_set(err, TM_ENOMEM, "ledger query: out of memory");
    /* Rows come sorted by the grouped keys, so a group is a run of rows. */
    cat(sql, "SELECT tenant, provider, model, bucket, ");
    rollup_value_columns(sql);
    /* "tenant = ?1" only when asked: an OR with "?1 IS NULL" would keep
     * SQLite from using the (tenant, bucket, ...) key for the range. */
    cat(sql, " FROM rollups WHERE %sbucket >= ?2 AND bucket < ?3",
        q->tenant != NULL ? "tenant = ?1 AND " : "");
    {
        static const struct { unsigned flag; const char *column; } keys[] = {
            {TM_LEDGER_BY_TENANT, "tenant"}, {TM_LEDGER_BY_PROVIDER, "provider"},
            {TM_LEDGER_BY_MODEL, "model"}, {TM_LEDGER_BY_BUCKET, "bucket"},
        };
        const char *sep = " ORDER BY ";
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            if (by & keys[i].flag) {
                cat(sql, "%s%s", sep, keys[i].column);
                sep = ", ";
            }
        }
    }
    src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = db_error(s, src, "prepare a query", err);
        goto out;
    }
    if (q->tenant != NULL)
        sqlite3_bind_text(st, 1, q->tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q->from);
    sqlite3_bind_int64(st, 3, q->to);
    if ((src = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
        rc = db_error(s, src, "begin a read", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct tm_ledger_totals t;
        int64_t bucket = sqlite3_column_int64(st, 3);

        if (!column_totals(st, 4, &t)) {
            rc = tm_error_set(err, TM_EFORMAT, "ledger %s: a rollup holds money out of range",
                              s->path);
            break;
        }
        if (g->open && (((by & TM_LEDGER_BY_TENANT) && !same_text(g->tenant, st, 0)) ||
                        ((by & TM_LEDGER_BY_PROVIDER) && !same_text(g->provider, st, 1)) ||
                        ((by & TM_LEDGER_BY_MODEL) && !same_text(g->model, st, 2)) ||
                        ((by & TM_LEDGER_BY_BUCKET) && g->bucket != bucket))) {
            if ((rc = emit(g, by, fn, ctx)) != TM_OK)
                break;
            g->open = false;
        }
        if (!g->open) {
            memset(g, 0, sizeof(*g));
            g->open = true;
            keep_text(g->tenant, st, 0);
            keep_text(g->provider, st, 1);
            keep_text(g->model, st, 2);
            g->bucket = bucket;
        }
        if (tm__ledger_totals_add(&g->totals, &t) != TM_OK) {
            rc = tm_error_set(err, TM_ERANGE, "ledger query: a sum overflows");
            break;
        }
    }
    if (rc == TM_OK && src != SQLITE_DONE)
        rc = db_error(s, src, "run a query", err);
    if (rc == TM_OK && (g->open || by == 0))
        rc = emit(g, by, fn, ctx);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
out:
    sqlite3_finalize(st);
    free(g);
    return rc;
}

/* ---- check: rollups against the events ---- */

static int count_rows(struct sq *s, const char *sql, int64_t *out, struct tm_error *err)
{
    return pragma_int(s, sql, out, err);
}

/* Compare two keys: (tenant, provider, model, bucket), as SQLite's BINARY
 * collation orders them (memcmp of UTF-8 = strcmp). */
static int key_cmp(const struct group *a, sqlite3_stmt *st)
{
    int c = strcmp(a->tenant, (const char *)sqlite3_column_text(st, 0));
    if (c == 0)
        c = strcmp(a->provider, (const char *)sqlite3_column_text(st, 1));
    if (c == 0)
        c = strcmp(a->model, (const char *)sqlite3_column_text(st, 2));
    if (c == 0) {
        int64_t b = sqlite3_column_int64(st, 3);
        c = a->bucket < b ? -1 : a->bucket > b;
    }
    return c;
}

static bool totals_equal(const struct tm_ledger_totals *a, const struct tm_ledger_totals *b)
{
    if (a->requests != b->requests || a->cost != b->cost || a->price != b->price)
        return false;
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        if (a->tokens[c] != b->tokens[c])
            return false;
    }
    return true;
}

static void mismatch(struct tm_ledger_check_report *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void mismatch(struct tm_ledger_check_report *out, const char *fmt, ...)
{
    va_list ap;

    if (out->mismatches++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(out->first_mismatch, sizeof(out->first_mismatch), fmt, ap);
    va_end(ap);
}

static void describe(char *buf, size_t cap, const struct tm_ledger_totals *t)
{
    char cost[TM_MONEY_TEXT_MAX], price[TM_MONEY_TEXT_MAX];

    tm_money_format(t->cost, 0, cost);
    tm_money_format(t->price, 0, price);
    snprintf(buf, cap, "requests %lld, input %lld, output %lld, cost %s, price %s",
             (long long)t->requests, (long long)t->tokens[TM_CLASS_INPUT],
             (long long)t->tokens[TM_CLASS_OUTPUT], cost, price);
}

/* The events' sum for the group g is complete: compare it with the rollup
 * cursor, advancing past rollup rows that have no events. */
static int settle_group(struct sq *s, struct group *g, sqlite3_stmt *ru, int *ru_src,
                        struct tm_ledger_check_report *out, struct tm_error *err)
{
    char want[160], have[160];

    while (*ru_src == SQLITE_ROW && key_cmp(g, ru) > 0) {
        mismatch(out, "rollup %s/%s/%s@%lld has no events", sqlite3_column_text(ru, 0),
                 sqlite3_column_text(ru, 1), sqlite3_column_text(ru, 2),
                 (long long)sqlite3_column_int64(ru, 3));
        *ru_src = sqlite3_step(ru);
    }
    if (*ru_src != SQLITE_ROW && *ru_src != SQLITE_DONE)
        return db_error(s, *ru_src, "read rollups", err);
    if (*ru_src == SQLITE_DONE || key_cmp(g, ru) < 0) {
        describe(want, sizeof(want), &g->totals);
        mismatch(out, "events of %s/%s/%s@%lld (%s) have no rollup row", g->tenant,
                 g->provider, g->model, (long long)g->bucket, want);
        return TM_OK;
    }
    {
        struct tm_ledger_totals r;
        if (!column_totals(ru, 4, &r)) {
            mismatch(out, "rollup %s/%s/%s@%lld holds money out of range", g->tenant,
                     g->provider, g->model, (long long)g->bucket);
        } else if (!totals_equal(&r, &g->totals)) {
            describe(want, sizeof(want), &g->totals);
            describe(have, sizeof(have), &r);
            mismatch(out, "rollup %s/%s/%s@%lld: events sum to %s, the rollup says %s",
                     g->tenant, g->provider, g->model, (long long)g->bucket, want, have);
        }
    }
    *ru_src = sqlite3_step(ru);
    return TM_OK;
}

static int sq_check(void *state, struct tm_ledger_check_report *out, struct tm_error *err)
{
    struct sq *s = state;
    char sql[SQL_MAX] = "";
    sqlite3_stmt *ev = NULL, *ru = NULL, *qc = NULL;
    struct group *g = calloc(1, sizeof(*g));
    int src, ev_src, ru_src = SQLITE_DONE, rc = TM_OK;

    if (g == NULL)
        return tm_error_set(err, TM_ENOMEM, "ledger check: out of memory");
    /* One read transaction: a consistent snapshot of events and rollups. */
    if ((rc = exec_sql(s, "BEGIN", "begin a read", err)) != TM_OK)
        goto out;
    src = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &qc, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(qc)) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(qc, 0);
        if (res == NULL || strcmp(res, "ok") != 0) {
            rc = tm_error_set(err, TM_EFORMAT, "ledger %s: integrity check failed: %s",
                              s->path, res != NULL ? res : "(no answer)");
            goto out;
        }
        src = SQLITE_OK;
    }
    if (src != SQLITE_OK) {
        rc = db_error(s, src, "integrity check", err);
        goto out;
    }
    if ((rc = count_rows(s, "SELECT count(*) FROM events", &out->events, err)) != TM_OK ||
        (rc = count_rows(s, "SELECT count(*) FROM rollups", &out->rollup_rows, err)) != TM_OK)
        goto out;

    /* Events in rollup-key order, with the bucket computed as in
     * tm__ledger_bucket (started_ms >= 0, so integer division floors). */
    cat(sql, "SELECT tenant, provider, model, started_ms / %d * %d, has_provider, has_local",
        TM_LEDGER_BUCKET_SECONDS * 1000, TM_LEDGER_BUCKET_SECONDS);
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        cat(sql, ", p_%s, l_%s", cls(c), cls(c));
    cat(sql, ", cost_hi, cost_lo, price_hi, price_lo FROM events ORDER BY 1, 2, 3, 4");
    if ((src = sqlite3_prepare_v2(s->db, sql, -1, &ev, NULL)) != SQLITE_OK) {
        rc = db_error(s, src, "prepare the check", err);
        goto out;
    }
    sql[0] = '\0';
    cat(sql, "SELECT tenant, provider, model, bucket, ");
    rollup_value_columns(sql);
    cat(sql, " FROM rollups ORDER BY 1, 2, 3, 4");
    if ((src = sqlite3_prepare_v2(s->db, sql, -1, &ru, NULL)) != SQLITE_OK) {
        rc = db_error(s, src, "prepare the check", err);
        goto out;
    }
    ru_src = sqlite3_step(ru);
    while ((ev_src = sqlite3_step(ev)) == SQLITE_ROW) {
        struct tm_usage_event e;
        struct tm_ledger_totals t;
        int col = 6;

        memset(&e, 0, sizeof(e));
        e.has_provider_tokens = sqlite3_column_int(ev, 4) != 0;
        e.has_local_tokens = sqlite3_column_int(ev, 5) != 0;
        for (int c = 0; c < TM_CLASS_COUNT; c++) {
            e.provider_tokens[c] = sqlite3_column_int64(ev, col++);
            e.local_tokens[c] = sqlite3_column_int64(ev, col++);
        }
        if (!column_money(ev, col, &e.cost) || !column_money(ev, col + 2, &e.price)) {
            mismatch(out, "an event of %s/%s holds money out of range",
                     sqlite3_column_text(ev, 0), sqlite3_column_text(ev, 2));
            continue;
        }
        tm__ledger_event_totals(&e, &t);
        if (g->open && key_cmp(g, ev) != 0) {
            if ((rc = settle_group(s, g, ru, &ru_src, out, err)) != TM_OK)
                goto out;
            g->open = false;
        }
        if (!g->open) {
            memset(g, 0, sizeof(*g));
            g->open = true;
            keep_text(g->tenant, ev, 0);
            keep_text(g->provider, ev, 1);
            keep_text(g->model, ev, 2);
            g->bucket = sqlite3_column_int64(ev, 3);
        }
        if (tm__ledger_totals_add(&g->totals, &t) != TM_OK)
            mismatch(out, "the events of %s/%s/%s@%lld overflow their sum", g->tenant,
                     g->provider, g->model, (long long)g->bucket);
    }
    if (ev_src != SQLITE_DONE) {
        rc = db_error(s, ev_src, "read events", err);
        goto out;
    }
    if (g->open && (rc = settle_group(s, g, ru, &ru_src, out, err)) != TM_OK)
        goto out;
    while (ru_src == SQLITE_ROW) {
        mismatch(out, "rollup %s/%s/%s@%lld has no events", sqlite3_column_text(ru, 0),
                 sqlite3_column_text(ru, 1), sqlite3_column_text(ru, 2),
                 (long long)sqlite3_column_int64(ru, 3));
        ru_src = sqlite3_step(ru);
    }
    if (ru_src != SQLITE_DONE)
        rc = db_error(s, ru_src, "read rollups", err);
out:
    sqlite3_finalize(qc);
    sqlite3_finalize(ev);
    sqlite3_finalize(ru);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    free(g);
    return rc;
}

const struct tm__ledger_ops tm__ledger_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .append = sq_append,
    .get = sq_get,
    .query = sq_query,
    .check = sq_check,
};
