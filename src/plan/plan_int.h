/*
 * Internals of the plan module (include/tokenmeter/plan.h), shared by
 * plan.c (loading), period.c, ledger.c and invoice.c.
 */
#ifndef TM_PLAN_INT_H
#define TM_PLAN_INT_H

#include "tokenmeter/plan.h"

/* What usage is priced from. */
enum tm__plan_basis {
    TM__PLAN_BASIS_RATED = 0, /* the price book amount */
    TM__PLAN_BASIS_COST = 1,  /* the provider's cost */
};

enum tm__plan_tier_mode { TM__PLAN_GRADUATED = 0, TM__PLAN_VOLUME = 1 };
enum tm__plan_tier_on { TM__PLAN_ON_TOKENS = 0, TM__PLAN_ON_SPEND = 1 };

/* A multiplier num/den applied to an amount (1 + markup, or 1 - discount). */
struct tm__plan_mult {
    int64_t num, den;
};

/* One tier band: up to `up_to` (tokens or spend), inclusive; the last band
 * is unbounded. Token bands carry a per-token rate, spend bands a
 * multiplier. */
struct tm__plan_band {
    bool unbounded;
    uint64_t up_to_tokens;
    tm_money up_to_spend;
    tm_money per_token;
    struct tm__plan_mult mult;
};

enum tm__plan_allowance { TM__PLAN_ALLOW_NONE = 0, TM__PLAN_ALLOW_MONEY, TM__PLAN_ALLOW_TOKENS };

/* A plan as loaded; the grants are copied into each new ledger. */
struct tm_plan {
    char id[TM_PLAN_ID_MAX];
    char currency[8];
    int minor_digits;
    tm_tz *tz;
    bool daily;             /* period unit "day" (else month) */
    int anchor_day;         /* 1..31 for monthly periods */
    enum tm_round rounding;

    bool usage_billed;      /* "usage" present */
    enum tm__plan_basis basis;
    struct tm__plan_mult mult; /* pay-as-you-go multiplier */
    bool has_tiers;
    enum tm__plan_tier_mode tier_mode;
    enum tm__plan_tier_on tier_on;
    struct tm__plan_band bands[TM_PLAN_TIERS_MAX];
    size_t nbands;

    bool has_fee;
    tm_money fee;
    enum tm__plan_allowance allowance;
    tm_money allowance_money;
    uint64_t allowance_tokens;
    bool has_overage_rate;
    tm_money overage_per_token;

    bool has_task_fee;
    tm_money task_fee;
    bool task_only_successful;

    struct tm_plan_grant *grants; /* ids point into grant_ids */
    char (*grant_ids)[TM_PLAN_ID_MAX];
    size_t ngrants;
};

/* A ledger's view of one grant. */
struct tm__plan_grant_state {
    struct tm_plan_grant g;    /* g.id points at id */
    char id[TM_PLAN_ID_MAX];
    tm_money balance;
};

struct tm_plan_ledger {
    struct tm__plan_grant_state *grants;
    size_t ngrants, grants_cap;
    struct tm_plan_ledger_entry *entries; /* grant_id points into grants[].id */
    size_t *entry_grant;                  /* index of each entry's grant */
    size_t nentries, entries_cap;
    bool has_closed;
    int64_t closed_until;                 /* end of the last invoiced period */
};

/* Append an entry to a ledger whose capacity was reserved. */
void tm__plan_ledger_append(tm_plan_ledger *ledger, enum tm_plan_entry_kind kind,
                            size_t grant, tm_money amount, int64_t start, int64_t end);

/* Make room for `more` entries; TM_ENOMEM. */
int tm__plan_ledger_reserve(tm_plan_ledger *ledger, size_t more);

#endif
