/*
 * Small pieces of the price module: token class names, time parsing and
 * formatting (UTC, no time zone database, no floating point), file reading
 * with a size cap, and helpers for error messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "price/price_int.h"

static const char *const class_names[TM_CLASS_COUNT] = {
    "input",  "cached_input", "cache_write_5m", "cache_write_1h", "output",
    "reasoning", "input_audio", "output_audio", "input_image", "output_image",
};

/* The book's and the output's name of a token class. */
const char *tm_price_class_name(enum tm_token_class cls)
{
    if ((int)cls < 0 || cls >= TM_CLASS_COUNT)
        return NULL;
    return class_names[cls];
}

/* The class whose name is exactly `name`. */
bool tm_price_class_from_name(const char *name, enum tm_token_class *out)
{
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        if (strcmp(class_names[c], name) == 0) {
            *out = (enum tm_token_class)c;
            return true;
        }
    }
    return false;
}

/* Lay the classes `over` sets over `base`. */
void tm__price_overlay(struct tm_price_rates *base, const struct tm_price_rates *over)
{
    for (int c = 0; c < TM_CLASS_COUNT; c++) {
        if (over->set & (1u << c)) {
            base->per_token[c] = over->per_token[c];
            base->set |= 1u << c;
        }
    }
}

/* ---- messages ---- */

/* A short phrase naming the JSON type of v, for "expected X, got Y". */
const char *tm__price_json_kind(const json_t *v)
{
    if (v == NULL)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Quote outside text safely into a message (at most 60 bytes shown). */
void tm__price_quote(const char *s, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; s[i] && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[o] = '\0';
}

/* ASCII lower case; other bytes unchanged (names are ASCII). */
static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Model names compare without regard to ASCII case ("GPT-4o" = "gpt-4o"). */
bool tm__price_name_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return false;
        if (*a == '\0')
            return true;
    }
}

/* Provider names are lower-case identifiers, as in the model registry. */
bool tm__price_provider_valid(const char *s)
{
    size_t len = strlen(s);

    return len > 0 && len <= TM_PRICE_MAX_NAME &&
           ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

/* Model names are what an API takes: printable ASCII, no spaces. */
bool tm__price_model_valid(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > TM_PRICE_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* ---- time: the core's civil-time functions (include/tokenmeter/core.h) ---- */

/* A calendar date "YYYY-MM-DD", the whole string. */
bool tm__price_date_valid(const char *s)
{
    struct tm_date d;
    return tm_date_parse(s, strlen(s), "date", &d, NULL) == TM_OK;
}

/* A date (00:00 UTC) or an RFC 3339 time; years before 1970 are refused,
 * since no price applies before the Unix epoch. */
int tm_price_parse_time(const char *text, const char *what, int64_t *out,
                        struct tm_error *err)
{
    int64_t t;
    int rc;

    if (what == NULL)
        what = "time";
    rc = tm_time_parse(text, strlen(text), what, &t, NULL, err);
    if (rc != TM_OK)
        return rc;
    if (t < 0)
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" is before 1970-01-01", what, text);
    *out = t;
    return TM_OK;
}

/* Unix seconds as RFC 3339 in UTC, or the date alone. */
void tm_price_format_time(int64_t t, bool date_only, char *buf, size_t cap)
{
    char text[TM_TIME_TEXT_MAX];
    size_t len = tm_time_format(t, 0, 0, text);

    if (date_only && len >= 10)
        text[10] = '\0';
    snprintf(buf, cap, "%s", text);
}

