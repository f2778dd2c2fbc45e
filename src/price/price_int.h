/*
 * Internals shared by the files of the price module (book.c, rate.c,
 * overrides.c, import.c, util.c). Nothing here is part of the public API.
 */
#ifndef TM_PRICE_INT_H
#define TM_PRICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tokenmeter/price.h"

#include "core/core_int.h"

#ifndef TM_DATA_DIR
#define TM_DATA_DIR "/usr/local/share/tokenmeter"
#endif


/* "an object", "a string", "a number", ... for messages. */
const char *tm__price_json_kind(const json_t *v);

/* Copy s into out for a message: at most 60 bytes, non-printable bytes as
 * '?', so hostile text cannot garble a message. */
void tm__price_quote(const char *s, char *out, size_t cap);

/* ASCII case-insensitive equality of two NUL-terminated strings. */
bool tm__price_name_equal(const char *a, const char *b);

/* A provider name: [a-z0-9][a-z0-9._-]*, at most TM_PRICE_MAX_NAME bytes. */
bool tm__price_provider_valid(const char *s);
/* A model name or alias: 1..TM_PRICE_MAX_NAME printable ASCII bytes
 * without spaces. */
bool tm__price_model_valid(const char *s);
/* A calendar date YYYY-MM-DD between 1970 and 9999. */
bool tm__price_date_valid(const char *s);

/* Rates of `set` classes laid over `base`: the classes `over` sets win. */
void tm__price_overlay(struct tm_price_rates *base, const struct tm_price_rates *over);

/*
 * Tenant prices (overrides.c). For class `cls` of a request rated against
 * entry e at `unit_cost` picounits per token, the tenant's rate; for the
 * per-request fee `fee`, the tenant's fee. With ov NULL both are the cost.
 * TM_ERANGE (err filled, naming the entry) on overflow.
 */
int tm__price_tenant_rate(const tm_price_overrides *ov, const struct tm_price_entry *e,
                          enum tm_token_class cls, tm_money unit_cost, tm_money *out,
                          struct tm_error *err);
int tm__price_tenant_fee(const tm_price_overrides *ov, const struct tm_price_entry *e,
                         tm_money fee, tm_money *out, struct tm_error *err);

#endif
