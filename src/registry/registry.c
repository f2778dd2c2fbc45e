/*
 * The model registry (include/tokenmeter/registry.h): loading, validation
 * and lookup of data/models.json.
 *
 * File format "tokenmeter-models/1" (the file's "doc" field says the same
 * in prose):
 *   { "format": "tokenmeter-models/1",
 *     "doc": "...",                         optional
 *     "models": [ ENTRY, ... ] }            at least one entry
 *   ENTRY = { "pattern": "gpt-4o*",          printable ASCII, no spaces; a
 *                                            '*' only as the last character
 *             "provider": "openai",          [a-z0-9][a-z0-9._-]*
 *             "family": "gpt-4o",            non-empty
 *             "tokenizer": "o200k_base",     one of tm_registry_tokenizers
 *             "estimate": false,             boolean
 *             "context_window": 128000,      positive integer or null
 *             "max_output_tokens": 16384,    positive integer or null
 *             "source": "https://...",       the cited source
 *             "as_of": "2026-11-25",         a calendar date
 *             "notes": "..." }               string, may be empty
 * Every field is required (null is how an entry says "no figure"), unknown
 * fields and duplicate keys are rejected, no two patterns may be equal
 * (ignoring ASCII case), and no entry may be unreachable because an earlier
 * pattern already matches every name it could match: a registry whose
 * ordering hides an entry is a bug in the data, not a choice.
 *
 * The parsed JSON tree is kept for the registry's lifetime; the entries'
 * strings point into it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/core_int.h"
#include "tokenmeter/registry.h"

#ifndef TM_DATA_DIR
#define TM_DATA_DIR "/usr/local/share/tokenmeter"
#endif

struct tm_registry {
    char *path;
    json_t *root;
    struct tm_model_info *entries;
    size_t n;
};

/* The OpenAI encodings (tiktoken's names, as tm_encoding_names lists them)
 * and the tokenizer.json families of the open-model milestone. */
const char *const tm_registry_tokenizers[] = {
    "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base",
    "o200k_harmony", "llama2", "llama3", "qwen3", "deepseek_v3", "gemma3",
    NULL,
};

static const char *const entry_fields[] = {
    "pattern", "provider", "family", "tokenizer", "estimate", "context_window",
    "max_output_tokens", "source", "as_of", "notes", NULL,
};

bool tm_registry_tokenizer_known(const char *name)
{
    for (int i = 0; tm_registry_tokenizers[i]; i++)
        if (strcmp(tm_registry_tokenizers[i], name) == 0)
            return true;
    return false;
}

/* ---- matching ---- */

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Compare the first n bytes of a and b ignoring ASCII case; 0 when equal. */
static int ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = ascii_lower((unsigned char)a[i]), cb = ascii_lower((unsigned char)b[i]);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

bool tm_registry_pattern_matches(const char *pattern, const char *model)
{
    size_t plen = strlen(pattern), mlen = strlen(model);

    if (plen > 0 && pattern[plen - 1] == '*')
        return mlen >= plen - 1 && ascii_ncasecmp(pattern, model, plen - 1) == 0;
    return plen == mlen && ascii_ncasecmp(pattern, model, plen) == 0;
}

const struct tm_model_info *tm_registry_lookup(const tm_registry *reg,
                                               const char *model)
{
    for (size_t i = 0; i < reg->n; i++)
        if (tm_registry_pattern_matches(reg->entries[i].pattern, model))
            return &reg->entries[i];
    return NULL;
}

/* Whether every name `later` matches is matched by `earlier` (so an entry
 * with `later` after one with `earlier` can never be chosen). */
static bool pattern_covers(const char *earlier, const char *later)
{
    size_t le = strlen(earlier), ll = strlen(later);
    bool later_prefix = ll > 0 && later[ll - 1] == '*';

    if (le > 0 && earlier[le - 1] == '*') {
        /* earlier = P*: covers any later whose fixed text starts with P. */
        size_t fixed = later_prefix ? ll - 1 : ll;
        return fixed >= le - 1 && ascii_ncasecmp(earlier, later, le - 1) == 0;
    }
    /* earlier is exact: covers only the same exact name. */
    return !later_prefix && le == ll && ascii_ncasecmp(earlier, later, le) == 0;
}

/* ---- validation ---- */

struct check {
    const char *name;       /* file name for messages */
    struct tm_error *err;
};

static const char *json_kind(const json_t *v)
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

/* Copy s into out for a message: at most 60 bytes, non-printable bytes as
 * '?', so a hostile pattern cannot garble the message. */
static void quote_for_message(const char *s, char *out, size_t cap)
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

/* Report a problem with field `field` of entry i (field may be NULL for the
 * entry as a whole). Returns TM_EFORMAT. */
static int entry_error(const struct check *c, size_t i, const json_t *entry,
                       const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int entry_error(const struct check *c, size_t i, const json_t *entry,
                       const char *field, const char *fmt, ...)
{
    char what[300], label[80] = "";
    const json_t *pattern = json_is_object(entry) ? json_object_get(entry, "pattern") : NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (json_is_string(pattern)) {
        char q[72];
        quote_for_message(json_string_value(pattern), q, sizeof(q));
        snprintf(label, sizeof(label), " (\"%s\")", q);
    }
    return tm_error_set(c->err, TM_EFORMAT, "%s: models[%zu]%s: %s%s%s", c->name, i,
                        label, field ? field : "", field ? ": " : "", what);
}

static bool is_printable_ascii(const char *s, bool allow_space)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch >= 0x7f || (!allow_space && ch == ' '))
            return false;
    }
    return true;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

static bool valid_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return false;
    return true;
}

/* A required string field; NULL (and err filled) when absent or not a
 * string. */
static const char *string_field(const struct check *c, size_t i, const json_t *entry,
                                const char *field)
{
    const json_t *v = json_object_get(entry, field);

    if (v == NULL) {
        entry_error(c, i, entry, field, "missing (every entry has all of pattern, "
                    "provider, family, tokenizer, estimate, context_window, "
                    "max_output_tokens, source, as_of, notes)");
        return NULL;
    }
    if (!json_is_string(v)) {
        entry_error(c, i, entry, field, "expected a string, got %s", json_kind(v));
        return NULL;
    }
    return json_string_value(v);
}

/* context_window / max_output_tokens: a positive integer or null. */
static int token_limit_field(const struct check *c, size_t i, const json_t *entry,
                             const char *field, int64_t *out)
{
    const json_t *v = json_object_get(entry, field);

    if (v == NULL)
        return entry_error(c, i, entry, field, "missing (use null when the source "
                           "gives no figure)");
    if (json_is_null(v)) {
        *out = -1;
        return TM_OK;
    }
    if (!json_is_integer(v))
        return entry_error(c, i, entry, field, "expected a positive integer or null, "
                           "got %s", json_kind(v));
    if (json_integer_value(v) <= 0 || json_integer_value(v) > TM_REGISTRY_MAX_TOKENS)
        return entry_error(c, i, entry, field, "expected a positive integer or null, "
                           "got %lld (allowed: 1 to %lld)",
                           (long long)json_integer_value(v), TM_REGISTRY_MAX_TOKENS);
    *out = (int64_t)json_integer_value(v);
    return TM_OK;
}

static int check_entry(const struct check *c, size_t i, const json_t *entry,
                       struct tm_model_info *info)
{
    const char *key;
    const json_t *v;
    const char *s;
    size_t len;

    if (!json_is_object(entry))
        return entry_error(c, i, entry, NULL, "expected an object, got %s",
                           json_kind(entry));
    json_object_foreach((json_t *)entry, key, v) {
        bool known = false;
        for (int k = 0; entry_fields[k]; k++)
            known = known || strcmp(entry_fields[k], key) == 0;
        if (!known) {
            char q[72];
            quote_for_message(key, q, sizeof(q));
            return entry_error(c, i, entry, NULL, "unknown field \"%s\" (known: pattern, "
                               "provider, family, tokenizer, estimate, "
                               "context_window, max_output_tokens, source, as_of, "
                               "notes)", q);
        }
    }
    memset(info, 0, sizeof(*info));
    info->index = i;

    if ((s = string_field(c, i, entry, "pattern")) == NULL)
        return TM_EFORMAT;
    len = strlen(s);
    if (len == 0)
        return entry_error(c, i, entry, "pattern", "is empty");
    if (len > 200)
        return entry_error(c, i, entry, "pattern", "longer than 200 characters");
    if (!is_printable_ascii(s, false))
        return entry_error(c, i, entry, "pattern", "may hold only printable ASCII "
                           "without spaces");
    if (strchr(s, '*') && strchr(s, '*') != s + len - 1)
        return entry_error(c, i, entry, "pattern", "'*' may appear only as the last "
                           "character (a prefix wildcard)");
    info->pattern = s;

    if ((s = string_field(c, i, entry, "provider")) == NULL)
        return TM_EFORMAT;
    len = strlen(s);
    if (len == 0 || len > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") != len)
        return entry_error(c, i, entry, "provider", "expected a lower-case name such as "
                           "\"openai\" (letters, digits, '.', '_', '-'), got \"%.64s\"",
                           is_printable_ascii(s, true) ? s : "?");
    info->provider = s;

    if ((s = string_field(c, i, entry, "family")) == NULL)
        return TM_EFORMAT;
    if (s[0] == '\0' || strlen(s) > 100 || has_control(s))
        return entry_error(c, i, entry, "family", "expected a non-empty name of at most "
                           "100 characters without control characters");
    info->family = s;

    if ((s = string_field(c, i, entry, "tokenizer")) == NULL)
        return TM_EFORMAT;
    if (!tm_registry_tokenizer_known(s)) {
        char q[72];
        quote_for_message(s, q, sizeof(q));
        return entry_error(c, i, entry, "tokenizer", "unknown tokenizer \"%s\" (known: "
                           "r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, "
                           "o200k_harmony, llama2, llama3, qwen3, deepseek_v3, gemma3)", q);
    }
    info->tokenizer = s;

    v = json_object_get(entry, "estimate");
    if (v == NULL)
        return entry_error(c, i, entry, "estimate", "missing");
    if (!json_is_boolean(v))
        return entry_error(c, i, entry, "estimate", "expected true or false, got %s",
                           json_kind(v));
    info->estimate = json_is_true(v);

    if (token_limit_field(c, i, entry, "context_window", &info->context_window) ||
        token_limit_field(c, i, entry, "max_output_tokens", &info->max_output_tokens))
        return TM_EFORMAT;

    if ((s = string_field(c, i, entry, "source")) == NULL)
        return TM_EFORMAT;
    if (strncmp(s, "https://", 8) != 0 || strlen(s) < 12 || !is_printable_ascii(s, false))
        return entry_error(c, i, entry, "source", "expected an https:// URL of the cited "
                           "source");
    info->source = s;

    if ((s = string_field(c, i, entry, "as_of")) == NULL)
        return TM_EFORMAT;
    if (!valid_date(s))
        return entry_error(c, i, entry, "as_of", "expected a date YYYY-MM-DD, got \"%.20s\"",
                           is_printable_ascii(s, true) ? s : "?");
    info->as_of = s;

    if ((s = string_field(c, i, entry, "notes")) == NULL)
        return TM_EFORMAT;
    info->notes = s;
    return TM_OK;
}

/* Duplicate and unreachable patterns: entry j is dead when an earlier
 * pattern already matches every name j's pattern could match. */
static int check_reachable(const struct check *c, const tm_registry *reg,
                           const json_t *models)
{
    for (size_t j = 0; j < reg->n; j++) {
        for (size_t i = 0; i < j; i++) {
            const char *a = reg->entries[i].pattern, *b = reg->entries[j].pattern;
            char q[72];
            if (!pattern_covers(a, b))
                continue;
            quote_for_message(a, q, sizeof(q));
            if (strlen(a) == strlen(b))
                return entry_error(c, j, json_array_get(models, j), "pattern",
                                   "duplicates models[%zu] (\"%s\"; patterns ignore "
                                   "case)", i, q);
            return entry_error(c, j, json_array_get(models, j), "pattern",
                               "unreachable: models[%zu] (\"%s\") comes first and "
                               "matches every name this pattern matches; put the "
                               "more specific entry first", i, q);
        }
    }
    return TM_OK;
}

static tm_registry *parse(const char *text, size_t len, const char *name,
                          struct tm_error *err)
{
    struct check c = {name, err};
    json_error_t jerr;
    json_t *root, *models, *v;
    const char *key;
    tm_registry *reg = calloc(1, sizeof(*reg));

    if (reg == NULL || (reg->path = strdup(name)) == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    root = reg->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        tm_error_set(err, TM_EFORMAT, "%s: not valid JSON: line %d, column %d: %s", name,
                     jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (!json_is_object(root)) {
        tm_error_set(err, TM_EFORMAT, "%s: expected a JSON object with \"format\" and "
                     "\"models\", got %s", name, json_kind(root));
        goto fail;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "format") != 0 && strcmp(key, "doc") != 0 &&
            strcmp(key, "models") != 0) {
            char q[72];
            quote_for_message(key, q, sizeof(q));
            tm_error_set(err, TM_EFORMAT, "%s: unknown top-level field \"%s\" (known: "
                         "format, doc, models)", name, q);
            goto fail;
        }
    }
    v = json_object_get(root, "format");
    if (!json_is_string(v) || strcmp(json_string_value(v), TM_REGISTRY_FORMAT) != 0) {
        char q[72] = "";
        if (json_is_string(v))
            quote_for_message(json_string_value(v), q, sizeof(q));
        tm_error_set(err, TM_EFORMAT, "%s: format: expected \"" TM_REGISTRY_FORMAT
                     "\", got %s%s%s", name, json_is_string(v) ? "\"" : "",
                     v == NULL ? "nothing (field missing)" : json_is_string(v) ? q : json_kind(v),
                     json_is_string(v) ? "\"" : "");
        goto fail;
    }
    v = json_object_get(root, "doc");
    if (v != NULL && !json_is_string(v)) {
        tm_error_set(err, TM_EFORMAT, "%s: doc: expected a string, got %s", name,
                     json_kind(v));
        goto fail;
    }
    models = json_object_get(root, "models");
    if (!json_is_array(models)) {
        tm_error_set(err, TM_EFORMAT, "%s: models: expected an array of entries, got %s",
                     name, models ? json_kind(models) : "nothing (field missing)");
        goto fail;
    }
    reg->n = json_array_size(models);
    if (reg->n == 0) {
        tm_error_set(err, TM_EFORMAT, "%s: models: the array is empty", name);
        goto fail;
    }
    reg->entries = calloc(reg->n, sizeof(*reg->entries));
    if (reg->entries == NULL) {
        tm_error_set(err, TM_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    for (size_t i = 0; i < reg->n; i++)
        if (check_entry(&c, i, json_array_get(models, i), &reg->entries[i]) != TM_OK)
            goto fail;
    if (check_reachable(&c, reg, models) != TM_OK)
        goto fail;
    return reg;
fail:
    tm_registry_free(reg);
    return NULL;
}

tm_registry *tm_registry_parse(const char *json, size_t len, const char *name,
                               struct tm_error *err)
{
    if (len > TM_REGISTRY_MAX_BYTES) {
        tm_error_set(err, TM_ELIMIT, "%s: larger than the %u-byte limit for a model "
                     "registry", name, TM_REGISTRY_MAX_BYTES);
        return NULL;
    }
    return parse(json, len, name, err);
}

static void *open_path(const char *path, struct tm_error *err)
{
    size_t len = 0;
    char *text = tm__core_read_file(path, TM_REGISTRY_MAX_BYTES, "model registry", &len, err);
    tm_registry *reg;

    if (text == NULL)
        return NULL;
    reg = parse(text, len, path, err);
    free(text);
    return reg;
}

tm_registry *tm_registry_open(const char *path, struct tm_error *err)
{
    return tm__core_open_default(path, TM_REGISTRY_ENV, "models.json", "model registry",
                                 "set $" TM_REGISTRY_ENV " to a registry file", open_path, err);
}

void tm_registry_free(tm_registry *reg)
{
    if (reg == NULL)
        return;
    json_decref(reg->root);
    free(reg->entries);
    free(reg->path);
    free(reg);
}

const char *tm_registry_path(const tm_registry *reg)
{
    return reg->path;
}

size_t tm_registry_count(const tm_registry *reg)
{
    return reg->n;
}

const struct tm_model_info *tm_registry_entry(const tm_registry *reg, size_t i)
{
    return i < reg->n ? &reg->entries[i] : NULL;
}
