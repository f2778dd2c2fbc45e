/*
 * The grant ledger (include/tokenmeter/plan.h): an append-only list of
 * entries (grant added, drawn, forfeited above the rollover cap, expired),
 * and each grant's balance, which is always the sum of its entries.
 * Entries are never changed or removed; invoice.c appends all of an
 * invoice's entries at once, after every check has passed.
 */
#include <stdlib.h>
#include <string.h>

#include "plan/plan_int.h"

/* An empty ledger, then the plan's grants in file order. */
tm_plan_ledger *tm_plan_ledger_new(const tm_plan *plan, struct tm_error *err)
{
    tm_plan_ledger *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        tm_error_set(err, TM_ENOMEM, "grant ledger: out of memory");
        return NULL;
    }
    for (size_t i = 0; plan != NULL && i < plan->ngrants; i++) {
        if (tm_plan_ledger_add_grant(l, &plan->grants[i], err) != TM_OK) {
            tm_plan_ledger_free(l);
            return NULL;
        }
    }
    return l;
}

/* Free a ledger; NULL is fine. */
void tm_plan_ledger_free(tm_plan_ledger *ledger)
{
    if (ledger == NULL)
        return;
    free(ledger->grants);
    free(ledger->entries);
    free(ledger->entry_grant);
    free(ledger);
}

/* Make room for `more` entries. */
int tm__plan_ledger_reserve(tm_plan_ledger *l, size_t more)
{
    size_t need = l->nentries + more, cap = l->entries_cap ? l->entries_cap : 16;
    struct tm_plan_ledger_entry *e;
    size_t *g;

    if (need <= l->entries_cap)
        return TM_OK;
    while (cap < need)
        cap *= 2;
    e = realloc(l->entries, cap * sizeof(*e));
    if (e == NULL)
        return TM_ENOMEM;
    l->entries = e;
    g = realloc(l->entry_grant, cap * sizeof(*g));
    if (g == NULL)
        return TM_ENOMEM;
    l->entry_grant = g;
    l->entries_cap = cap;
    return TM_OK;
}

/* Append one entry (room reserved) and apply it to the grant's balance. */
void tm__plan_ledger_append(tm_plan_ledger *l, enum tm_plan_entry_kind kind, size_t grant,
                            tm_money amount, int64_t start, int64_t end)
{
    struct tm_plan_ledger_entry *e = &l->entries[l->nentries];

    e->kind = kind;
    e->grant_id = l->grants[grant].id;
    e->amount = amount;
    e->period_start = start;
    e->period_end = end;
    l->entry_grant[l->nentries++] = grant;
    /* Cannot overflow: draws and forfeits never exceed the balance. */
    l->grants[grant].balance += amount;
}

/* Add a grant after checking it. */
int tm_plan_ledger_add_grant(tm_plan_ledger *l, const struct tm_plan_grant *g,
                             struct tm_error *err)
{
    struct tm__plan_grant_state *s;
    size_t len;
    int rc;

    if (g->id == NULL || (len = strlen(g->id)) == 0 || len >= TM_PLAN_ID_MAX)
        return tm_error_set(err, TM_EINVAL, "grant: id must be 1..%d bytes", TM_PLAN_ID_MAX - 1);
    for (size_t i = 0; i < l->ngrants; i++)
        if (strcmp(l->grants[i].id, g->id) == 0)
            return tm_error_set(err, TM_EINVAL, "grant %s: the ledger already has a grant with "
                                "this id", g->id);
    if (g->amount <= 0)
        return tm_error_set(err, TM_EINVAL, "grant %s: amount must be above 0", g->id);
    if (g->has_rollover_cap && g->rollover_cap < 0)
        return tm_error_set(err, TM_EINVAL, "grant %s: rollover cap must not be negative",
                            g->id);
    if (g->expires <= g->effective)
        return tm_error_set(err, TM_EINVAL, "grant %s: expires is not after effective", g->id);
    if (l->ngrants >= TM_PLAN_GRANTS_MAX)
        return tm_error_set(err, TM_ELIMIT, "grant %s: the ledger holds %d grants (the cap)",
                            g->id, TM_PLAN_GRANTS_MAX);
    rc = tm__plan_ledger_reserve(l, 1);
    if (rc != TM_OK)
        return tm_error_set(err, rc, "grant %s: out of memory", g->id);
    if (l->ngrants == l->grants_cap) {
        size_t cap = l->grants_cap ? 2 * l->grants_cap : 8;
        s = realloc(l->grants, cap * sizeof(*s));
        if (s == NULL)
            return tm_error_set(err, TM_ENOMEM, "grant %s: out of memory", g->id);
        l->grants = s;
        l->grants_cap = cap;
        /* Entries point at grant ids: re-point them after the move. */
        for (size_t i = 0; i < l->nentries; i++)
            l->entries[i].grant_id = l->grants[l->entry_grant[i]].id;
        for (size_t i = 0; i < l->ngrants; i++)
            l->grants[i].g.id = l->grants[i].id;
    }
    s = &l->grants[l->ngrants++];
    s->g = *g;
    memcpy(s->id, g->id, len + 1);
    s->g.id = s->id;
    s->balance = 0;
    tm__plan_ledger_append(l, TM_PLAN_ENTRY_GRANT, l->ngrants - 1, g->amount, 0, 0);
    return TM_OK;
}

/* A grant's balance by id. */
int tm_plan_ledger_balance(const tm_plan_ledger *l, const char *grant_id, tm_money *out)
{
    for (size_t i = 0; i < l->ngrants; i++)
        if (strcmp(l->grants[i].id, grant_id) == 0) {
            *out = l->grants[i].balance;
            return TM_OK;
        }
    return TM_ENOENT;
}

/* Number of entries. */
size_t tm_plan_ledger_count(const tm_plan_ledger *l)
{
    return l->nentries;
}

/* Entry i, oldest first; NULL past the end. */
const struct tm_plan_ledger_entry *tm_plan_ledger_entry(const tm_plan_ledger *l, size_t i)
{
    return i < l->nentries ? &l->entries[i] : NULL;
}
