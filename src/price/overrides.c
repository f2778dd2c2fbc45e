/*
 * Tenant overrides (include/tokenmeter/price.h, docs/PRICEBOOK.md): what a
 * tenant pays, derived from what the provider charges.
 *
 * Format (a JSON object; every field optional):
 *   { "format": "tokenmeter-overrides/1",
 *     "tenant": "acme",                         free text
 *     "currency": "USD",                        must be the book's
 *     "discount_percent": "10",                 0..100
 *     "markup": {"percent": "20"} | {"per_mtok": "0.10"},
 *     "models": { NAME: { "per_mtok": {CLASS: "2.00", ...},
 *                         "per_request": "0.001",
 *                         "discount_percent": "5",
 *                         "markup": {...} } } }
 * NAME is a model name or alias as in the book, or "provider/model";
 * ASCII case is ignored.
 *
 * The tenant's rate per token for a class:
 *   custom = the model's per_mtok rate for the class, if it names one
 *            (used as it is, whatever the tier or batch flag);
 *   else   = cost x (100 + markup%) / 100, or cost + markup per token;
 *   rate   = that x (100 - discount%) / 100.
 * The model's markup and discount replace the file's for that model. Each
 * step that leaves a fraction of a picounit rounds half to even, per token
 * (money.h). The per-request fee gets the percentage markup (a per-token
 * markup has no tokens to apply to) and the discount, unless the model
 * sets its own per_request.
 *
 * Like the price book, a file loads whole or not at all; errors name the
 * file, the field path and the cause.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "price/price_int.h"

struct adjust {
    bool has_markup_percent;
    struct tm_ratio markup_percent; /* as a fraction: 20% = 20/100 */
    bool has_markup_per_token;
    tm_money markup_per_token;
    bool has_discount;
    struct tm_ratio discount; /* as a fraction */
};

struct model_override {
    const char *name;
    struct tm_price_rates rates;
    bool has_per_request;
    tm_money per_request;
    bool has_markup; /* the model's markup replaces the file's */
    bool has_discount;
    struct adjust adj;
};

struct tm_price_overrides {
    char *name;
    json_t *root;
    struct adjust global;
    struct model_override *models;
    size_t n_models;
};

struct ocheck {
    const char *name;
    struct tm_error *err;
};

/* "FILE: PATH: cause"; returns TM_EFORMAT. */
static int ov_error(const struct ocheck *c, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int ov_error(const struct ocheck *c, const char *path, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return tm_error_set(c->err, TM_EFORMAT, "%s: %s: %s", c->name, path, what);
}

/* A money or ratio parse error already names the path; keep it, as
 * TM_EFORMAT. */
static int relabel(const struct ocheck *c)
{
    if (c->err != NULL)
        c->err->code = TM_EFORMAT;
    return TM_EFORMAT;
}

/* A decimal string field; refuses numbers with the reason. */
static int decimal_string(const struct ocheck *c, const char *path, const json_t *v)
{
    if (json_is_number(v))
        return ov_error(c, path, "expected a decimal string such as \"10\", got a number "
                        "(money and percentages are written as JSON strings so they "
                        "stay exact)");
    if (!json_is_string(v))
        return ov_error(c, path, "expected a decimal string, got %s", tm__price_json_kind(v));
    return TM_OK;
}

/* "FILE: FIELD" into what (for the money parsers' messages), FIELD being
 * prefix + name. */
static void field_what(const struct ocheck *c, const char *prefix, const char *name,
                       char *field, size_t fcap, char *what, size_t wcap)
{
    snprintf(field, fcap, "%s%s", prefix, name);
    snprintf(what, wcap, "%s: %s", c->name, field);
}

/* discount_percent and markup at `prefix` ("" or "models.gpt-4o."). */
static int parse_adjust(const struct ocheck *c, const json_t *obj, const char *prefix,
                        struct adjust *adj, bool *has_markup, bool *has_discount)
{
    const json_t *v;
    char field[300], what[600];

    v = json_object_get(obj, "discount_percent");
    if (v != NULL) {
        field_what(c, prefix, "discount_percent", field, sizeof(field), what, sizeof(what));
        if (decimal_string(c, field, v) != TM_OK)
            return TM_EFORMAT;
        if (tm_ratio_parse(json_string_value(v), json_string_length(v), true, what,
                           &adj->discount, c->err) != TM_OK)
            return relabel(c);
        if (adj->discount.num > adj->discount.den)
            return ov_error(c, field, "\"%s\" is more than 100 percent",
                            json_string_value(v));
        adj->has_discount = true;
        *has_discount = true;
    }
    v = json_object_get(obj, "markup");
    if (v != NULL) {
        const json_t *pct, *pm;
        field_what(c, prefix, "markup", field, sizeof(field), what, sizeof(what));
        if (!json_is_object(v))
            return ov_error(c, field, "expected {\"percent\": \"20\"} or {\"per_mtok\": "
                            "\"0.10\"}, got %s", tm__price_json_kind(v));
        pct = json_object_get(v, "percent");
        pm = json_object_get(v, "per_mtok");
        if (json_object_size(v) != 1 || (pct == NULL && pm == NULL))
            return ov_error(c, field, "expected exactly one of \"percent\" or \"per_mtok\"");
        if (pct != NULL) {
            field_what(c, prefix, "markup.percent", field, sizeof(field), what, sizeof(what));
            if (decimal_string(c, field, pct) != TM_OK)
                return TM_EFORMAT;
            if (tm_ratio_parse(json_string_value(pct), json_string_length(pct), true, what,
                               &adj->markup_percent, c->err) != TM_OK)
                return relabel(c);
            adj->has_markup_percent = true;
        } else {
            field_what(c, prefix, "markup.per_mtok", field, sizeof(field), what, sizeof(what));
            if (decimal_string(c, field, pm) != TM_OK)
                return TM_EFORMAT;
            if (tm_money_parse_per_mtok(json_string_value(pm), json_string_length(pm), what,
                                        &adj->markup_per_token, c->err) != TM_OK)
                return relabel(c);
            adj->has_markup_per_token = true;
        }
        *has_markup = true;
    }
    return TM_OK;
}

/* Reject fields other than `known` (NULL-terminated) in obj at `path`. */
static int known_fields(const struct ocheck *c, const json_t *obj, const char *path,
                        const char *const *known, const char *list)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (int k = 0; known[k]; k++)
            ok = ok || strcmp(known[k], key) == 0;
        if (!ok) {
            char q[72];
            tm__price_quote(key, q, sizeof(q));
            return ov_error(c, path, "unknown field \"%s\" (known: %s)", q, list);
        }
    }
    return TM_OK;
}

/* One entry of "models". */
static int parse_model(const struct ocheck *c, const char *key, const json_t *obj,
                       struct model_override *m)
{
    static const char *const fields[] = {"per_mtok", "per_request", "discount_percent",
                                         "markup", NULL};
    char q[72], prefix[120], path[300];
    const json_t *v;
    const char *k;
    json_t *rv;

    tm__price_quote(key, q, sizeof(q));
    snprintf(prefix, sizeof(prefix), "models.%s.", q);
    snprintf(path, sizeof(path), "models.%s", q);
    if (key[0] == '\0' || strlen(key) > 2 * TM_PRICE_MAX_NAME + 1)
        return ov_error(c, path, "expected a model name (1 to %d characters)",
                        2 * TM_PRICE_MAX_NAME + 1);
    if (!json_is_object(obj))
        return ov_error(c, path, "expected an object, got %s", tm__price_json_kind(obj));
    if (known_fields(c, obj, path, fields, "per_mtok, per_request, discount_percent, "
                     "markup") != TM_OK)
        return TM_EFORMAT;
    memset(m, 0, sizeof(*m));
    m->name = key;
    v = json_object_get(obj, "per_mtok");
    if (v != NULL) {
        snprintf(path, sizeof(path), "models.%s.per_mtok", q);
        if (!json_is_object(v))
            return ov_error(c, path, "expected an object of rates by token class, got %s",
                            tm__price_json_kind(v));
        json_object_foreach((json_t *)v, k, rv) {
            enum tm_token_class cls;
            char full[300], what[600], qk[72];
            tm__price_quote(k, qk, sizeof(qk));
            if (!tm_price_class_from_name(k, &cls))
                return ov_error(c, path, "unknown token class \"%s\"", qk);
            snprintf(full, sizeof(full), "models.%s.per_mtok.%s", q, qk);
            if (decimal_string(c, full, rv) != TM_OK)
                return TM_EFORMAT;
            snprintf(what, sizeof(what), "%s: %s", c->name, full);
            if (tm_money_parse_per_mtok(json_string_value(rv), json_string_length(rv), what,
                                        &m->rates.per_token[cls], c->err) != TM_OK)
                return relabel(c);
            m->rates.set |= 1u << cls;
        }
    }
    v = json_object_get(obj, "per_request");
    if (v != NULL) {
        char field[300], what[600];
        field_what(c, prefix, "per_request", field, sizeof(field), what, sizeof(what));
        if (decimal_string(c, field, v) != TM_OK)
            return TM_EFORMAT;
        if (tm_money_parse(json_string_value(v), json_string_length(v), what,
                           &m->per_request, c->err) != TM_OK)
            return relabel(c);
        if (m->per_request < 0)
            return ov_error(c, field, "is negative");
        m->has_per_request = true;
    }
    return parse_adjust(c, obj, prefix, &m->adj, &m->has_markup, &m->has_discount);
}

/* Release overrides. Accepts NULL. */
void tm_price_overrides_free(tm_price_overrides *ov)
{
    if (ov == NULL)
        return;
    json_decref(ov->root);
    free(ov->models);
    free(ov->name);
    free(ov);
}

/* Validate a whole overrides file; nothing is kept unless all of it is
 * valid. */
tm_price_overrides *tm_price_overrides_parse(const char *text, size_t len,
                                             const char *name, const char *currency,
                                             struct tm_error *err)
{
    static const char *const top[] = {"format", "tenant", "currency", "doc",
                                      "discount_percent", "markup", "models", NULL};
    struct ocheck c = {name ? name : "overrides", err};
    tm_price_overrides *ov = NULL;
    json_error_t jerr;
    const json_t *v, *models;
    bool dummy1 = false, dummy2 = false;

    if (len > TM_PRICE_OVERRIDES_MAX_BYTES) {
        tm_error_set(err, TM_ELIMIT, "%s: larger than the %u-byte limit for an overrides "
                     "file", c.name, TM_PRICE_OVERRIDES_MAX_BYTES);
        goto fail;
    }
    ov = calloc(1, sizeof(*ov));
    if (ov == NULL || (ov->name = strdup(c.name)) == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", c.name);
        goto fail;
    }
    c.name = ov->name;
    ov->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (ov->root == NULL) {
        tm_error_set(err, TM_EFORMAT, "%s: not valid JSON: line %d, column %d: %s", c.name,
                     jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (!json_is_object(ov->root)) {
        tm_error_set(err, TM_EFORMAT, "%s: expected a JSON object of overrides, got %s",
                     c.name, tm__price_json_kind(ov->root));
        goto fail;
    }
    if (known_fields(&c, ov->root, "top level", top, "format, tenant, currency, doc, "
                     "discount_percent, markup, models") != TM_OK)
        goto fail;
    v = json_object_get(ov->root, "format");
    if (v != NULL && (!json_is_string(v) ||
                      strcmp(json_string_value(v), TM_PRICE_OVERRIDES_FORMAT) != 0)) {
        ov_error(&c, "format", "expected \"" TM_PRICE_OVERRIDES_FORMAT "\"");
        goto fail;
    }
    v = json_object_get(ov->root, "tenant");
    if (v != NULL && !json_is_string(v)) {
        ov_error(&c, "tenant", "expected a string, got %s", tm__price_json_kind(v));
        goto fail;
    }
    v = json_object_get(ov->root, "doc");
    if (v != NULL && !json_is_string(v)) {
        ov_error(&c, "doc", "expected a string, got %s", tm__price_json_kind(v));
        goto fail;
    }
    v = json_object_get(ov->root, "currency");
    if (v != NULL && (!json_is_string(v) ||
                      (currency != NULL && strcmp(json_string_value(v), currency) != 0))) {
        char q[72] = "";
        if (json_is_string(v))
            tm__price_quote(json_string_value(v), q, sizeof(q));
        ov_error(&c, "currency", "\"%s\" is not the price book's currency (%s)", q,
                 currency ? currency : "?");
        goto fail;
    }
    if (parse_adjust(&c, ov->root, "", &ov->global, &dummy1, &dummy2) != TM_OK)
        goto fail;
    models = json_object_get(ov->root, "models");
    if (models != NULL) {
        const char *key;
        json_t *mv;
        if (!json_is_object(models)) {
            ov_error(&c, "models", "expected an object keyed by model name, got %s",
                     tm__price_json_kind(models));
            goto fail;
        }
        if (json_object_size(models) > TM_PRICE_OVERRIDES_MAX_MODELS) {
            tm_error_set(err, TM_ELIMIT, "%s: models: %zu entries; at most %d are allowed",
                         c.name, json_object_size(models), TM_PRICE_OVERRIDES_MAX_MODELS);
            goto fail;
        }
        ov->models = calloc(json_object_size(models) + 1, sizeof(*ov->models));
        if (ov->models == NULL) {
            tm_error_set(err, TM_ENOMEM, "%s: out of memory", c.name);
            goto fail;
        }
        json_object_foreach((json_t *)models, key, mv) {
            for (size_t k = 0; k < ov->n_models; k++) {
                if (tm__price_name_equal(ov->models[k].name, key)) {
                    char q[72];
                    tm__price_quote(key, q, sizeof(q));
                    ov_error(&c, "models", "\"%s\" appears twice (names ignore case)", q);
                    goto fail;
                }
            }
            if (parse_model(&c, key, mv, &ov->models[ov->n_models]) != TM_OK)
                goto fail;
            ov->n_models++;
        }
    }
    return ov;
fail:
    tm_price_overrides_free(ov);
    return NULL;
}

/* Read (with the size cap) and parse an overrides file. */
tm_price_overrides *tm_price_overrides_open(const char *path, const char *currency,
                                            struct tm_error *err)
{
    size_t len = 0;
    char *text = tm__core_read_file(path, TM_PRICE_OVERRIDES_MAX_BYTES, "overrides file",
                                     &len, err);
    tm_price_overrides *ov;

    if (text == NULL)
        return NULL;
    ov = tm_price_overrides_parse(text, len, path, currency, err);
    free(text);
    return ov;
}

/* Whether an override key names entry e: its model, an alias, or
 * "provider/model". */
static bool key_names(const char *key, const struct tm_price_entry *e)
{
    size_t pl = strlen(e->provider);

    if (strncmp(key, e->provider, pl) == 0 && key[pl] == '/' &&
        tm__price_name_equal(key + pl + 1, e->model))
        return true;
    if (tm__price_name_equal(key, e->model))
        return true;
    for (size_t a = 0; a < e->n_aliases; a++)
        if (tm__price_name_equal(key, e->aliases[a]))
            return true;
    return false;
}

/* The model override for e: a "provider/model" key first, then a plain
 * name. */
static const struct model_override *find_model(const tm_price_overrides *ov,
                                                const struct tm_price_entry *e)
{
    const struct model_override *plain = NULL;

    for (size_t k = 0; k < ov->n_models; k++) {
        const char *key = ov->models[k].name;
        if (!key_names(key, e))
            continue;
        if (strchr(key, '/') != NULL && strncmp(key, e->provider, strlen(e->provider)) == 0 &&
            key[strlen(e->provider)] == '/')
            return &ov->models[k];
        if (plain == NULL)
            plain = &ov->models[k];
    }
    return plain;
}

/* The adjustments that hold for e: the model's markup and discount where it
 * gives them, the file's otherwise. */
static void effective_adjust(const tm_price_overrides *ov, const struct model_override *m,
                             struct adjust *out)
{
    *out = ov->global;
    if (m == NULL)
        return;
    if (m->has_markup) {
        out->has_markup_percent = m->adj.has_markup_percent;
        out->markup_percent = m->adj.markup_percent;
        out->has_markup_per_token = m->adj.has_markup_per_token;
        out->markup_per_token = m->adj.markup_per_token;
    }
    if (m->has_discount) {
        out->has_discount = true;
        out->discount = m->adj.discount;
    }
}

/* x * (den + num) / den or x * (den - num) / den, rounded half to even. */
static int scale(tm_money x, const struct tm_ratio *r, bool up, tm_money *out)
{
    int64_t num = up ? r->den + r->num : r->den - r->num;
    return tm_money_muldiv(x, num, r->den, TM_ROUND_HALF_EVEN, out);
}

/* The error for a tenant price that leaves the money range. */
static int overflow(const struct tm_price_entry *e, struct tm_error *err)
{
    return tm_error_set(err, TM_ERANGE, "prices[%zu] (%s/%s): the tenant price overflows",
                        e->index, e->provider, e->model);
}

/* The tenant's rate per token: custom rate or marked-up cost, then the
 * discount (the rule in the file comment). */
int tm__price_tenant_rate(const tm_price_overrides *ov, const struct tm_price_entry *e,
                          enum tm_token_class cls, tm_money unit_cost, tm_money *out,
                          struct tm_error *err)
{
    const struct model_override *m;
    struct adjust adj;
    tm_money rate = unit_cost;

    if (ov == NULL) {
        *out = unit_cost;
        return TM_OK;
    }
    m = find_model(ov, e);
    effective_adjust(ov, m, &adj);
    if (m != NULL && (m->rates.set & (1u << cls))) {
        rate = m->rates.per_token[cls];
    } else if (adj.has_markup_percent) {
        if (scale(rate, &adj.markup_percent, true, &rate) != TM_OK)
            return overflow(e, err);
    } else if (adj.has_markup_per_token) {
        if (tm_money_add(rate, adj.markup_per_token, &rate) != TM_OK)
            return overflow(e, err);
    }
    if (adj.has_discount && scale(rate, &adj.discount, false, &rate) != TM_OK)
        return overflow(e, err);
    *out = rate;
    return TM_OK;
}

/* The tenant's per-request fee: custom fee or the fee with a percentage
 * markup, then the discount. */
int tm__price_tenant_fee(const tm_price_overrides *ov, const struct tm_price_entry *e,
                         tm_money fee, tm_money *out, struct tm_error *err)
{
    const struct model_override *m;
    struct adjust adj;

    if (ov == NULL) {
        *out = fee;
        return TM_OK;
    }
    m = find_model(ov, e);
    effective_adjust(ov, m, &adj);
    if (m != NULL && m->has_per_request) {
        fee = m->per_request;
    } else if (adj.has_markup_percent) {
        if (scale(fee, &adj.markup_percent, true, &fee) != TM_OK)
            return overflow(e, err);
    }
    if (adj.has_discount && scale(fee, &adj.discount, false, &fee) != TM_OK)
        return overflow(e, err);
    *out = fee;
    return TM_OK;
}
