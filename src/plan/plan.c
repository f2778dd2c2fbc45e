/*
 * Loading a plan (docs/PLANS.md, format "tokenmeter-plan/1").
 *
 * The whole document is checked before a tm_plan is returned: unknown keys,
 * wrong types, money that is not an exact decimal string, combinations that
 * would leave a component silently unused. Every error names the file, the
 * field path ("usage.tiers.bands[2].per_mtok") and the cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/core_int.h"
#include "plan/plan_int.h"

/* Parsing context: the document name for messages. */
struct ctx {
    const char *name;
    struct tm_error *err;
};

/* The JSON type of a value in words. */
static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a non-integer number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Refuse keys of obj not in the NULL-terminated list `known`. */
static int check_keys(struct ctx *c, const json_t *obj, const char *path,
                      const char *const *known)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL; i++)
            if (strcmp(key, known[i]) == 0)
                ok = true;
        if (!ok)
            return tm_error_set(c->err, TM_EINVAL, "%s: %s%s\"%s\": unknown field", c->name,
                                path, path[0] ? "." : "", key);
    }
    return TM_OK;
}

/* The member obj.key of a given JSON type (JSON_TRUE stands for any
 * boolean); *out is NULL when an optional member is absent or null. */
static int member(struct ctx *c, const json_t *obj, const char *path, const char *key,
                  json_type type, bool required, json_t **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL || (json_is_null(v) && !required)) {
        if (required)
            return tm_error_set(c->err, TM_EINVAL, "%s: %s%s%s: missing (required)", c->name,
                                path, path[0] ? "." : "", key);
        return TM_OK;
    }
    if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
        const char *want = type == JSON_OBJECT ? "an object" : type == JSON_ARRAY ? "an array"
                           : type == JSON_STRING ? "a string" : type == JSON_INTEGER
                           ? "an integer" : "a boolean";
        return tm_error_set(c->err, TM_EINVAL, "%s: %s%s%s: must be %s, not %s%s", c->name,
                            path, path[0] ? "." : "", key, want, type_name(v),
                            type == JSON_STRING && json_is_number(v)
                                ? " (money and rates are decimal strings: a JSON number is a "
                                  "binary float and cannot hold 0.0375 exactly)"
                                : "");
    }
    *out = v;
    return TM_OK;
}

/* An exact, non-negative money string at obj.key (docs/MONEY.md: money in
 * JSON is always a string). */
static int money_member(struct ctx *c, const json_t *obj, const char *path, const char *key,
                        bool required, bool *present, tm_money *out)
{
    json_t *v;
    char what[256];
    int rc = member(c, obj, path, key, JSON_STRING, required, &v);

    if (present != NULL)
        *present = false;
    if (rc != TM_OK || v == NULL)
        return rc;
    snprintf(what, sizeof(what), "%s: %s%s%s", c->name, path, path[0] ? "." : "", key);
    rc = tm_money_parse(json_string_value(v), json_string_length(v), what, out, c->err);
    if (rc != TM_OK)
        return rc;
    if (*out < 0)
        return tm_error_set(c->err, TM_EINVAL, "%s: must not be negative", what);
    if (present != NULL)
        *present = true;
    return TM_OK;
}

/* An integer at obj.key within [lo, hi]. */
static int int_member(struct ctx *c, const json_t *obj, const char *path, const char *key,
                      bool required, long long lo, long long hi, bool *present, long long *out)
{
    json_t *v;
    int rc = member(c, obj, path, key, JSON_INTEGER, required, &v);

    if (present != NULL)
        *present = false;
    if (rc != TM_OK || v == NULL)
        return rc;
    *out = json_integer_value(v);
    if (*out < lo || *out > hi)
        return tm_error_set(c->err, TM_EINVAL, "%s: %s%s%s: %lld is out of range (%lld..%lld)",
                            c->name, path, path[0] ? "." : "", key, *out, lo, hi);
    if (present != NULL)
        *present = true;
    return TM_OK;
}

/* A multiplier from "markup_percent" (1 + p/100) or "discount_percent"
 * (1 - p/100, p <= 100); neither gives 1. */
static int mult_members(struct ctx *c, const json_t *obj, const char *path,
                        struct tm__plan_mult *out)
{
    json_t *mk, *dc;
    struct tm_ratio r;
    char what[256];
    int rc;

    out->num = out->den = 1;
    rc = member(c, obj, path, "markup_percent", JSON_STRING, false, &mk);
    if (rc == TM_OK)
        rc = member(c, obj, path, "discount_percent", JSON_STRING, false, &dc);
    if (rc != TM_OK)
        return rc;
    if (mk != NULL && dc != NULL)
        return tm_error_set(c->err, TM_EINVAL, "%s: %s: give markup_percent or "
                            "discount_percent, not both", c->name, path);
    if (mk == NULL && dc == NULL)
        return TM_OK;
    snprintf(what, sizeof(what), "%s: %s%s%s", c->name, path, path[0] ? "." : "",
             mk ? "markup_percent" : "discount_percent");
    rc = tm_ratio_parse(json_string_value(mk ? mk : dc), json_string_length(mk ? mk : dc), true,
                        what, &r, c->err);
    if (rc != TM_OK)
        return rc;
    if (mk != NULL) {
        if (r.num > INT64_MAX - r.den)
            return tm_error_set(c->err, TM_ERANGE, "%s: too large", what);
        out->num = r.den + r.num;
    } else {
        if (r.num > r.den)
            return tm_error_set(c->err, TM_EINVAL, "%s: a discount above 100%% would make "
                                "prices negative", what);
        out->num = r.den - r.num;
    }
    out->den = r.den;
    return TM_OK;
}

/* An instant: "YYYY-MM-DD" is local midnight in the plan's zone; an RFC
 * 3339 time is absolute. */
static int instant_member(struct ctx *c, const tm_plan *plan, const json_t *obj,
                          const char *path, const char *key, bool required, bool *present,
                          int64_t *out)
{
    json_t *v;
    char what[256];
    struct tm_date d;
    int rc = member(c, obj, path, key, JSON_STRING, required, &v);

    *present = false;
    if (rc != TM_OK || v == NULL)
        return rc;
    snprintf(what, sizeof(what), "%s: %s.%s", c->name, path, key);
    if (json_string_length(v) == 10) {
        rc = tm_date_parse(json_string_value(v), 10, what, &d, c->err);
        if (rc == TM_OK)
            rc = tm_tz_day_start(plan->tz, &d, out, c->err);
    } else {
        rc = tm_time_parse(json_string_value(v), json_string_length(v), what, out, NULL, c->err);
    }
    if (rc == TM_OK)
        *present = true;
    return rc;
}

/* "usage.tiers". */
static int parse_tiers(struct ctx *c, tm_plan *p, const json_t *t)
{
    static const char *const keys[] = {"mode", "on", "bands", NULL};
    static const char *const band_keys[] = {"up_to", "per_mtok", "markup_percent",
                                            "discount_percent", NULL};
    json_t *mode, *on, *bands;
    int rc;

    rc = check_keys(c, t, "usage.tiers", keys);
    if (rc == TM_OK)
        rc = member(c, t, "usage.tiers", "mode", JSON_STRING, true, &mode);
    if (rc == TM_OK)
        rc = member(c, t, "usage.tiers", "on", JSON_STRING, true, &on);
    if (rc == TM_OK)
        rc = member(c, t, "usage.tiers", "bands", JSON_ARRAY, true, &bands);
    if (rc != TM_OK)
        return rc;
    if (strcmp(json_string_value(mode), "graduated") == 0)
        p->tier_mode = TM__PLAN_GRADUATED;
    else if (strcmp(json_string_value(mode), "volume") == 0)
        p->tier_mode = TM__PLAN_VOLUME;
    else
        return tm_error_set(c->err, TM_EINVAL, "%s: usage.tiers.mode: \"%s\" is not "
                            "\"graduated\" or \"volume\"", c->name, json_string_value(mode));
    if (strcmp(json_string_value(on), "tokens") == 0)
        p->tier_on = TM__PLAN_ON_TOKENS;
    else if (strcmp(json_string_value(on), "spend") == 0)
        p->tier_on = TM__PLAN_ON_SPEND;
    else
        return tm_error_set(c->err, TM_EINVAL, "%s: usage.tiers.on: \"%s\" is not \"tokens\" "
                            "or \"spend\"", c->name, json_string_value(on));
    if (json_array_size(bands) == 0)
        return tm_error_set(c->err, TM_EINVAL, "%s: usage.tiers.bands: needs at least one "
                            "band", c->name);
    if (json_array_size(bands) > TM_PLAN_TIERS_MAX)
        return tm_error_set(c->err, TM_ELIMIT, "%s: usage.tiers.bands: %zu bands (at most %d)",
                            c->name, json_array_size(bands), TM_PLAN_TIERS_MAX);
    p->nbands = json_array_size(bands);
    for (size_t i = 0; i < p->nbands; i++) {
        struct tm__plan_band *b = &p->bands[i];
        json_t *band = json_array_get(bands, i), *up;
        char path[64];
        bool last = i + 1 == p->nbands, has_rate;

        snprintf(path, sizeof(path), "usage.tiers.bands[%zu]", i);
        if (!json_is_object(band))
            return tm_error_set(c->err, TM_EINVAL, "%s: %s: must be an object, not %s",
                                c->name, path, type_name(band));
        rc = check_keys(c, band, path, band_keys);
        if (rc != TM_OK)
            return rc;
        up = json_object_get(band, "up_to");
        b->unbounded = up == NULL || json_is_null(up);
        if (b->unbounded != last)
            return tm_error_set(c->err, TM_EINVAL, "%s: %s.up_to: %s", c->name, path,
                                last ? "the last band takes everything above the one before "
                                       "it: leave up_to out (or null)"
                                     : "missing (only the last band is unbounded)");
        if (p->tier_on == TM__PLAN_ON_TOKENS) {
            long long n = 0;
            if (!b->unbounded) {
                rc = int_member(c, band, path, "up_to", true, 1, INT64_MAX, NULL, &n);
                if (rc != TM_OK)
                    return rc;
                b->up_to_tokens = (uint64_t)n;
                if (i > 0 && b->up_to_tokens <= p->bands[i - 1].up_to_tokens)
                    return tm_error_set(c->err, TM_EINVAL, "%s: %s.up_to: %llu is not above "
                                        "the previous band's %llu", c->name, path,
                                        (unsigned long long)b->up_to_tokens,
                                        (unsigned long long)p->bands[i - 1].up_to_tokens);
            }
            if (json_object_get(band, "markup_percent") || json_object_get(band,
                                                                           "discount_percent"))
                return tm_error_set(c->err, TM_EINVAL, "%s: %s: a band of token tiers has a "
                                    "price per_mtok, not a markup", c->name, path);
            {
                json_t *rate;
                char what[256];
                rc = member(c, band, path, "per_mtok", JSON_STRING, true, &rate);
                if (rc != TM_OK)
                    return rc;
                snprintf(what, sizeof(what), "%s: %s.per_mtok", c->name, path);
                rc = tm_money_parse_per_mtok(json_string_value(rate), json_string_length(rate),
                                             what, &b->per_token, c->err);
                if (rc != TM_OK)
                    return rc;
            }
        } else {
            if (!b->unbounded) {
                rc = money_member(c, band, path, "up_to", true, NULL, &b->up_to_spend);
                if (rc != TM_OK)
                    return rc;
                if (b->up_to_spend <= 0 ||
                    (i > 0 && b->up_to_spend <= p->bands[i - 1].up_to_spend))
                    return tm_error_set(c->err, TM_EINVAL, "%s: %s.up_to: must be above 0 and "
                                        "above the previous band's", c->name, path);
            }
            has_rate = json_object_get(band, "per_mtok") != NULL;
            if (has_rate)
                return tm_error_set(c->err, TM_EINVAL, "%s: %s: a band of spend tiers has a "
                                    "markup_percent or discount_percent, not a per_mtok price",
                                    c->name, path);
            rc = mult_members(c, band, path, &b->mult);
            if (rc != TM_OK)
                return rc;
        }
    }
    return TM_OK;
}

/* "usage". */
static int parse_usage(struct ctx *c, tm_plan *p, const json_t *u)
{
    static const char *const keys[] = {"basis", "markup_percent", "discount_percent", "tiers",
                                       NULL};
    json_t *basis, *tiers;
    int rc;

    p->usage_billed = true;
    rc = check_keys(c, u, "usage", keys);
    if (rc == TM_OK)
        rc = member(c, u, "usage", "basis", JSON_STRING, false, &basis);
    if (rc == TM_OK)
        rc = member(c, u, "usage", "tiers", JSON_OBJECT, false, &tiers);
    if (rc != TM_OK)
        return rc;
    p->basis = TM__PLAN_BASIS_RATED;
    if (basis != NULL) {
        if (strcmp(json_string_value(basis), "cost") == 0)
            p->basis = TM__PLAN_BASIS_COST;
        else if (strcmp(json_string_value(basis), "rated") != 0)
            return tm_error_set(c->err, TM_EINVAL, "%s: usage.basis: \"%s\" is not \"rated\" "
                                "(price book) or \"cost\" (provider cost)", c->name,
                                json_string_value(basis));
    }
    rc = mult_members(c, u, "usage", &p->mult);
    if (rc != TM_OK)
        return rc;
    if (tiers != NULL) {
        if (json_object_get(u, "markup_percent") || json_object_get(u, "discount_percent"))
            return tm_error_set(c->err, TM_EINVAL, "%s: usage: markup_percent/discount_percent "
                                "cannot be combined with tiers (each band carries its own "
                                "price)", c->name);
        p->has_tiers = true;
        rc = parse_tiers(c, p, tiers);
    }
    return rc;
}

/* "subscription". */
static int parse_subscription(struct ctx *c, tm_plan *p, const json_t *s)
{
    static const char *const keys[] = {"fee", "allowance", NULL};
    static const char *const akeys[] = {"money", "tokens", "overage_per_mtok", NULL};
    json_t *a, *rate;
    bool has_money = false, has_tokens = false;
    long long n = 0;
    int rc;

    rc = check_keys(c, s, "subscription", keys);
    if (rc == TM_OK)
        rc = money_member(c, s, "subscription", "fee", false, &p->has_fee, &p->fee);
    if (rc == TM_OK)
        rc = member(c, s, "subscription", "allowance", JSON_OBJECT, false, &a);
    if (rc != TM_OK || a == NULL)
        return rc;
    rc = check_keys(c, a, "subscription.allowance", akeys);
    if (rc == TM_OK)
        rc = money_member(c, a, "subscription.allowance", "money", false, &has_money,
                          &p->allowance_money);
    if (rc == TM_OK)
        rc = int_member(c, a, "subscription.allowance", "tokens", false, 0, INT64_MAX,
                        &has_tokens, &n);
    if (rc == TM_OK)
        rc = member(c, a, "subscription.allowance", "overage_per_mtok", JSON_STRING, false,
                    &rate);
    if (rc != TM_OK)
        return rc;
    if (has_money == has_tokens)
        return tm_error_set(c->err, TM_EINVAL, "%s: subscription.allowance: give exactly one "
                            "of \"money\" and \"tokens\"", c->name);
    if (has_money) {
        p->allowance = TM__PLAN_ALLOW_MONEY;
        if (rate != NULL)
            return tm_error_set(c->err, TM_EINVAL, "%s: subscription.allowance."
                                "overage_per_mtok: only a token allowance has its own overage "
                                "rate; usage beyond a money allowance is billed at the usage "
                                "price", c->name);
    } else {
        p->allowance = TM__PLAN_ALLOW_TOKENS;
        p->allowance_tokens = (uint64_t)n;
    }
    if (rate != NULL) {
        char what[256];
        snprintf(what, sizeof(what), "%s: subscription.allowance.overage_per_mtok", c->name);
        rc = tm_money_parse_per_mtok(json_string_value(rate), json_string_length(rate), what,
                                     &p->overage_per_token, c->err);
        if (rc != TM_OK)
            return rc;
        p->has_overage_rate = true;
    }
    return TM_OK;
}

/* "task_fee". */
static int parse_task_fee(struct ctx *c, tm_plan *p, const json_t *t)
{
    static const char *const keys[] = {"amount", "only_successful", NULL};
    json_t *only;
    int rc;

    p->has_task_fee = true;
    rc = check_keys(c, t, "task_fee", keys);
    if (rc == TM_OK)
        rc = money_member(c, t, "task_fee", "amount", true, NULL, &p->task_fee);
    if (rc == TM_OK)
        rc = member(c, t, "task_fee", "only_successful", JSON_TRUE, false, &only);
    if (rc == TM_OK)
        p->task_only_successful = only != NULL && json_is_true(only);
    return rc;
}

/* "grants". */
static int parse_grants(struct ctx *c, tm_plan *p, const json_t *arr)
{
    static const char *const keys[] = {"id", "amount", "priority", "effective", "expires",
                                       "rollover_cap", "note", NULL};
    size_t n = json_array_size(arr);

    if (n > TM_PLAN_GRANTS_MAX)
        return tm_error_set(c->err, TM_ELIMIT, "%s: grants: %zu grants (at most %d)", c->name,
                            n, TM_PLAN_GRANTS_MAX);
    p->grants = calloc(n ? n : 1, sizeof(*p->grants));
    p->grant_ids = calloc(n ? n : 1, sizeof(*p->grant_ids));
    if (p->grants == NULL || p->grant_ids == NULL)
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->name);
    for (size_t i = 0; i < n; i++) {
        json_t *g = json_array_get(arr, i), *id;
        struct tm_plan_grant *out = &p->grants[i];
        char path[64];
        long long prio = 0;
        bool present;
        int rc;

        snprintf(path, sizeof(path), "grants[%zu]", i);
        if (!json_is_object(g))
            return tm_error_set(c->err, TM_EINVAL, "%s: %s: must be an object, not %s",
                                c->name, path, type_name(g));
        rc = check_keys(c, g, path, keys);
        if (rc == TM_OK)
            rc = member(c, g, path, "id", JSON_STRING, true, &id);
        if (rc != TM_OK)
            return rc;
        if (json_string_length(id) == 0 || json_string_length(id) >= TM_PLAN_ID_MAX ||
            strlen(json_string_value(id)) != json_string_length(id))
            return tm_error_set(c->err, TM_EINVAL, "%s: %s.id: must be 1..%d bytes without "
                                "NUL", c->name, path, TM_PLAN_ID_MAX - 1);
        memcpy(p->grant_ids[i], json_string_value(id), json_string_length(id) + 1);
        out->id = p->grant_ids[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->grant_ids[j], out->id) == 0)
                return tm_error_set(c->err, TM_EINVAL, "%s: %s.id: \"%s\" is also grants[%zu]"
                                    "'s id", c->name, path, out->id, j);
        rc = money_member(c, g, path, "amount", true, NULL, &out->amount);
        if (rc == TM_OK && out->amount <= 0)
            rc = tm_error_set(c->err, TM_EINVAL, "%s: %s.amount: must be above 0", c->name,
                              path);
        if (rc == TM_OK)
            rc = int_member(c, g, path, "priority", false, INT32_MIN, INT32_MAX, NULL, &prio);
        out->priority = (int32_t)prio;
        if (rc == TM_OK)
            rc = instant_member(c, p, g, path, "effective", true, &present, &out->effective);
        if (rc == TM_OK)
            rc = instant_member(c, p, g, path, "expires", false, &present, &out->expires);
        if (rc == TM_OK && !present)
            out->expires = TM_PLAN_NEVER;
        if (rc == TM_OK && out->expires <= out->effective)
            rc = tm_error_set(c->err, TM_EINVAL, "%s: %s.expires: is not after effective",
                              c->name, path);
        if (rc == TM_OK)
            rc = money_member(c, g, path, "rollover_cap", false, &out->has_rollover_cap,
                              &out->rollover_cap);
        if (rc != TM_OK)
            return rc;
        p->ngrants = i + 1;
    }
    return TM_OK;
}

/* The rounding mode names of docs/PLANS.md. */
static int parse_rounding(struct ctx *c, const char *s, enum tm_round *out)
{
    static const struct { const char *name; enum tm_round mode; } modes[] = {
        {"half_even", TM_ROUND_HALF_EVEN}, {"half_up", TM_ROUND_HALF_UP},
        {"down", TM_ROUND_DOWN},           {"up", TM_ROUND_UP},
        {"floor", TM_ROUND_FLOOR},         {"ceiling", TM_ROUND_CEILING},
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(s, modes[i].name) == 0) {
            *out = modes[i].mode;
            return TM_OK;
        }
    return tm_error_set(c->err, TM_EINVAL, "%s: rounding: \"%s\" is not one of half_even, "
                        "half_up, down, up, floor, ceiling", c->name, s);
}

/* The whole document. */
static int parse_root(struct ctx *c, tm_plan *p, const json_t *root)
{
    static const char *const keys[] = {"format", "id", "currency", "timezone", "period",
                                       "rounding", "usage", "subscription", "task_fee",
                                       "grants", "doc", "note", NULL};
    static const char *const pkeys[] = {"unit", "anchor_day", NULL};
    json_t *v, *period;
    int rc;

    if (!json_is_object(root))
        return tm_error_set(c->err, TM_EINVAL, "%s: the plan must be a JSON object, not %s",
                            c->name, type_name(root));
    rc = check_keys(c, root, "", keys);
    if (rc == TM_OK)
        rc = member(c, root, "", "format", JSON_STRING, true, &v);
    if (rc != TM_OK)
        return rc;
    if (strcmp(json_string_value(v), "tokenmeter-plan/1") != 0)
        return tm_error_set(c->err, TM_EINVAL, "%s: format: \"%s\" is not \"tokenmeter-plan/1\"",
                            c->name, json_string_value(v));
    rc = member(c, root, "", "id", JSON_STRING, true, &v);
    if (rc != TM_OK)
        return rc;
    if (json_string_length(v) == 0 || json_string_length(v) >= TM_PLAN_ID_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return tm_error_set(c->err, TM_EINVAL, "%s: id: must be 1..%d bytes without NUL",
                            c->name, TM_PLAN_ID_MAX - 1);
    strcpy(p->id, json_string_value(v));
    rc = member(c, root, "", "currency", JSON_STRING, true, &v);
    if (rc != TM_OK)
        return rc;
    p->minor_digits = json_string_length(v) == 3 ? tm_currency_minor_digits(json_string_value(v))
                                                 : -1;
    if (p->minor_digits < 0)
        return tm_error_set(c->err, TM_EINVAL, "%s: currency: \"%s\" is not an ISO 4217 code "
                            "tokenmeter knows", c->name, json_string_value(v));
    strcpy(p->currency, json_string_value(v));
    rc = member(c, root, "", "timezone", JSON_STRING, true, &v);
    if (rc != TM_OK)
        return rc;
    {
        struct tm_error tzerr = {0};
        p->tz = tm_tz_open(json_string_value(v), &tzerr);
        if (p->tz == NULL)
            return tm_error_set(c->err, tzerr.code, "%s: timezone: %s", c->name, tzerr.message);
    }
    p->anchor_day = 1;
    rc = member(c, root, "", "period", JSON_OBJECT, false, &period);
    if (rc == TM_OK && period != NULL) {
        json_t *unit;
        long long day = 1;
        bool has_day = false;

        rc = check_keys(c, period, "period", pkeys);
        if (rc == TM_OK)
            rc = member(c, period, "period", "unit", JSON_STRING, false, &unit);
        if (rc == TM_OK)
            rc = int_member(c, period, "period", "anchor_day", false, 1, 31, &has_day, &day);
        if (rc != TM_OK)
            return rc;
        if (unit != NULL && strcmp(json_string_value(unit), "day") == 0) {
            p->daily = true;
            if (has_day)
                return tm_error_set(c->err, TM_EINVAL, "%s: period.anchor_day: only monthly "
                                    "periods have an anchor day", c->name);
        } else if (unit != NULL && strcmp(json_string_value(unit), "month") != 0) {
            return tm_error_set(c->err, TM_EINVAL, "%s: period.unit: \"%s\" is not \"month\" "
                                "or \"day\"", c->name, json_string_value(unit));
        }
        p->anchor_day = (int)day;
    }
    if (rc != TM_OK)
        return rc;
    p->rounding = TM_ROUND_HALF_EVEN;
    rc = member(c, root, "", "rounding", JSON_STRING, false, &v);
    if (rc == TM_OK && v != NULL)
        rc = parse_rounding(c, json_string_value(v), &p->rounding);
    if (rc == TM_OK)
        rc = member(c, root, "", "usage", JSON_OBJECT, false, &v);
    if (rc == TM_OK && v != NULL)
        rc = parse_usage(c, p, v);
    if (rc == TM_OK)
        rc = member(c, root, "", "subscription", JSON_OBJECT, false, &v);
    if (rc == TM_OK && v != NULL)
        rc = parse_subscription(c, p, v);
    if (rc == TM_OK)
        rc = member(c, root, "", "task_fee", JSON_OBJECT, false, &v);
    if (rc == TM_OK && v != NULL)
        rc = parse_task_fee(c, p, v);
    if (rc == TM_OK)
        rc = member(c, root, "", "grants", JSON_ARRAY, false, &v);
    if (rc == TM_OK && v != NULL)
        rc = parse_grants(c, p, v);
    if (rc != TM_OK)
        return rc;
    /* Combinations that would leave part of the plan silently unused. */
    if (p->has_overage_rate && p->usage_billed)
        return tm_error_set(c->err, TM_EINVAL, "%s: subscription.allowance.overage_per_mtok: "
                            "the token allowance prices all usage (included, then overage); "
                            "remove \"usage\" or the overage rate", c->name);
    if (p->allowance != TM__PLAN_ALLOW_NONE && !p->has_overage_rate && !p->usage_billed)
        return tm_error_set(c->err, TM_EINVAL, "%s: subscription.allowance: usage beyond the "
                            "allowance needs a price: add \"usage\"%s", c->name,
                            p->allowance == TM__PLAN_ALLOW_TOKENS ? " or overage_per_mtok" : "");
    return TM_OK;
}

/* Parse plan JSON text. */
tm_plan *tm_plan_parse(const char *json, size_t len, const char *name, struct tm_error *err)
{
    struct ctx c = {name ? name : "plan", err};
    json_error_t jerr;
    json_t *root = NULL;
    tm_plan *p = NULL;
    int rc;

    if (len > TM_PLAN_FILE_MAX) {
        tm_error_set(err, TM_ELIMIT, "%s: plan is %zu bytes (at most %u)", c.name, len,
                     TM_PLAN_FILE_MAX);
        return NULL;
    }
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        tm_error_set(err, TM_EINVAL, "%s: line %d column %d: %s", c.name, jerr.line,
                     jerr.column, jerr.text);
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", c.name);
        goto out;
    }
    rc = parse_root(&c, p, root);
    if (rc != TM_OK) {
        tm_plan_free(p);
        p = NULL;
    }
out:
    json_decref(root);
    return p;
}

/* Read a plan file (capped) and parse it. */
tm_plan *tm_plan_load(const char *path, struct tm_error *err)
{
    size_t n = 0;
    char *buf = tm__core_read_file(path, TM_PLAN_FILE_MAX, "plan file", &n, err);
    tm_plan *p;

    if (buf == NULL)
        return NULL;
    p = tm_plan_parse(buf, n, path, err);
    free(buf);
    return p;
}

/* Free a plan; NULL is fine. */
void tm_plan_free(tm_plan *plan)
{
    if (plan == NULL)
        return;
    tm_tz_close(plan->tz);
    free(plan->grants);
    free(plan->grant_ids);
    free(plan);
}

/* The plan's id ("id"). */
const char *tm_plan_id(const tm_plan *plan)
{
    return plan->id;
}

/* The ISO 4217 code of every amount in the plan ("currency"). */
const char *tm_plan_currency(const tm_plan *plan)
{
    return plan->currency;
}

/* The tenant's zone, opened once at load ("timezone"). */
const tm_tz *tm_plan_tz(const tm_plan *plan)
{
    return plan->tz;
}

/* How the invoice total is rounded ("rounding", half-to-even by default). */
enum tm_round tm_plan_rounding(const tm_plan *plan)
{
    return plan->rounding;
}
