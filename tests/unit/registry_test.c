/*
 * Unit tests of the registry module (include/tokenmeter/registry.h).
 *
 * What a user of the registry relies on:
 *  - the shipped data/models.json loads, and its entries resolve the model
 *    names seen in traffic to the right tokenizer, limits and estimate flag;
 *  - the lookup rules: file order, first match wins, a trailing '*' is a
 *    prefix wildcard, any other pattern is the whole name, ASCII case is
 *    ignored;
 *  - every kind of bad registry file is refused with a message naming the
 *    file, the entry (index and pattern), the field and the cause;
 *  - the default location ($TOKENMETER_MODELS first, never a silent
 *    fallback when it names a missing file) and the size cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tokenmeter/registry.h"
#include "tokenmeter/tokenize.h"

static char tmp_dir[] = "/tmp/registry_test.XXXXXX";

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int slot;
    char *p = path[slot++ & 3];
    snprintf(p, sizeof(path[0]), "%s/%s", tmp_dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* ---- building registry texts ---- */

static const char *const fields[] = {
    "pattern", "provider", "family", "tokenizer", "estimate", "context_window",
    "max_output_tokens", "source", "as_of", "notes", NULL,
};

static const char *const valid_values[] = {
    "\"p-*\"", "\"openai\"", "\"fam\"", "\"o200k_base\"", "false", "128000", "16384",
    "\"https://example.com/models\"", "\"2026-11-25\"", "\"\"",
};

/* One entry: the valid values, with `field` set to the JSON text `value`
 * (value NULL: the field left out; a field not in the list: added). */
static void entry(char *out, size_t cap, const char *pattern_json, const char *field,
                  const char *value)
{
    size_t o = 0;
    bool extra = field != NULL;

    o += (size_t)snprintf(out + o, cap - o, "{");
    for (int i = 0; fields[i]; i++) {
        const char *v = i == 0 && pattern_json ? pattern_json : valid_values[i];
        if (field && strcmp(field, fields[i]) == 0) {
            extra = false;
            if (value == NULL)
                continue;
            v = value;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s\"%s\": %s", o > 1 ? ", " : "",
                              fields[i], v);
    }
    if (extra)
        o += (size_t)snprintf(out + o, cap - o, ", \"%s\": %s", field, value);
    snprintf(out + o, cap - o, "}");
}

static char *wrap(const char *entries)
{
    static char text[8192];
    snprintf(text, sizeof(text),
             "{\"format\": \"tokenmeter-models/1\", \"doc\": \"test\", \"models\": [%s]}",
             entries);
    return text;
}

/* Parse `text`, expect failure with `code` and every needle in the message. */
static void expect_bad(const char *text, int code, ...)
{
    struct tm_error err = {0};
    tm_registry *reg = tm_registry_parse(text, strlen(text), "test/models.json", &err);
    va_list ap;
    const char *needle;

    if (reg != NULL) {
        tm_registry_free(reg);
        fail_msg("accepted a bad registry: %s", text);
    }
    if (err.code != code)
        fail_msg("code %d, expected %d (%s) for %s", err.code, code, err.message, text);
    if (strncmp(err.message, "test/models.json: ", 18) != 0)
        fail_msg("message does not start with the file name: %s", err.message);
    va_start(ap, code);
    while ((needle = va_arg(ap, const char *)) != NULL) {
        if (strstr(err.message, needle) == NULL) {
            va_end(ap);
            fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
        }
    }
    va_end(ap);
}

static tm_registry *parse_ok(const char *text)
{
    struct tm_error err = {0};
    tm_registry *reg = tm_registry_parse(text, strlen(text), "test/models.json", &err);
    if (reg == NULL)
        fail_msg("refused a valid registry: %s\n%s", err.message, text);
    return reg;
}

/* A registry of entries with the given patterns (otherwise valid). */
static tm_registry *with_patterns(const char *const *patterns)
{
    char entries[6000] = "", one[600], pj[200];
    size_t o = 0;

    for (int i = 0; patterns[i]; i++) {
        snprintf(pj, sizeof(pj), "\"%s\"", patterns[i]);
        entry(one, sizeof(one), pj, NULL, NULL);
        o += (size_t)snprintf(entries + o, sizeof(entries) - o, "%s%s", i ? ", " : "", one);
    }
    return parse_ok(wrap(entries));
}

static const char *lookup(const tm_registry *reg, const char *model)
{
    const struct tm_model_info *e = tm_registry_lookup(reg, model);
    return e ? e->pattern : NULL;
}

/* ---- lookup rules ---- */

static void test_first_match_wins(void **state)
{
    /* Overlapping patterns, the most specific first ("gpt-4" exact after
     * "gpt-4*" would be unreachable, which loading refuses). */
    static const char *const ordered[] = {"gpt-4", "gpt-4o-mini*", "gpt-4o*", "gpt-4*",
                                          NULL};
    tm_registry *reg = with_patterns(ordered);

    (void)state;
    assert_string_equal(lookup(reg, "gpt-4o-mini-2024-07-18"), "gpt-4o-mini*");
    assert_string_equal(lookup(reg, "gpt-4o-2024-08-06"), "gpt-4o*");
    assert_string_equal(lookup(reg, "gpt-4o"), "gpt-4o*");
    assert_string_equal(lookup(reg, "gpt-4-turbo"), "gpt-4*");
    assert_string_equal(lookup(reg, "gpt-4"), "gpt-4");
    assert_null(lookup(reg, "gpt-3.5-turbo"));
    assert_int_equal(tm_registry_count(reg), 4);
    assert_int_equal(tm_registry_lookup(reg, "gpt-4o")->index, 2);
    tm_registry_free(reg);
}

static void test_prefix_and_exact(void **state)
{
    static const char *const patterns[] = {"o1", "o1-mini*", "claude-3-5-sonnet*", NULL};
    tm_registry *reg = with_patterns(patterns);

    (void)state;
    assert_string_equal(lookup(reg, "o1"), "o1");
    assert_null(lookup(reg, "o1-2024-12-17"));   /* exact: the whole name */
    assert_null(lookup(reg, "o"));
    assert_null(lookup(reg, "o1 "));
    assert_string_equal(lookup(reg, "o1-mini"), "o1-mini*"); /* prefix includes itself */
    assert_string_equal(lookup(reg, "o1-mini-2024-09-12"), "o1-mini*");
    assert_null(lookup(reg, "o1-min"));
    assert_string_equal(lookup(reg, "claude-3-5-sonnet-20241022"), "claude-3-5-sonnet*");
    assert_null(lookup(reg, "xclaude-3-5-sonnet"));
    assert_null(lookup(reg, ""));
    tm_registry_free(reg);

    assert_true(tm_registry_pattern_matches("*", "anything at all"));
    assert_true(tm_registry_pattern_matches("*", ""));
    assert_true(tm_registry_pattern_matches("a*", "a"));
    assert_false(tm_registry_pattern_matches("ab*", "a"));
    assert_false(tm_registry_pattern_matches("", "a"));
}

static void test_case_insensitive(void **state)
{
    static const char *const patterns[] = {"Qwen/Qwen3-*", "gpt-4o*", NULL};
    tm_registry *reg = with_patterns(patterns);

    (void)state;
    assert_string_equal(lookup(reg, "qwen/qwen3-8b"), "Qwen/Qwen3-*");
    assert_string_equal(lookup(reg, "QWEN/QWEN3-235B-A22B"), "Qwen/Qwen3-*");
    assert_string_equal(lookup(reg, "GPT-4O-MINI"), "gpt-4o*");
    /* ASCII only: a non-ASCII byte is never folded. */
    assert_null(lookup(reg, "gpt-4\xc3\x96"));
    tm_registry_free(reg);
}

/* ---- the shipped registry ---- */

static void test_shipped_registry(void **state)
{
    struct tm_error err = {0};
    tm_registry *reg;
    const struct tm_model_info *e;

    (void)state;
    unsetenv(TM_REGISTRY_ENV);
    reg = tm_registry_open(NULL, &err);
    if (reg == NULL)
        fail_msg("the default registry did not load: %s", err.message);
    assert_true(tm_registry_count(reg) >= 100);
    assert_non_null(strstr(tm_registry_path(reg), "models.json"));
    for (size_t i = 0; i < tm_registry_count(reg); i++) {
        e = tm_registry_entry(reg, i);
        assert_int_equal(e->index, i);
        assert_true(tm_registry_tokenizer_known(e->tokenizer));
        assert_true(strncmp(e->source, "https://", 8) == 0);
    }
    assert_null(tm_registry_entry(reg, tm_registry_count(reg)));

    e = tm_registry_lookup(reg, "gpt-4o-mini-2024-07-18");
    assert_non_null(e);
    assert_string_equal(e->pattern, "gpt-4o-mini*");
    assert_string_equal(e->tokenizer, "o200k_base");
    assert_string_equal(e->provider, "openai");
    assert_false(e->estimate);
    assert_int_equal(e->context_window, 128000);
    assert_int_equal(e->max_output_tokens, 16384);

    e = tm_registry_lookup(reg, "gpt-4o-mini-tts");
    assert_string_equal(e->pattern, "gpt-4o-mini-tts*");
    assert_int_equal(e->max_output_tokens, -1); /* null in the file */

    e = tm_registry_lookup(reg, "GPT-4.1-2025-04-14");
    assert_string_equal(e->pattern, "gpt-4.1*");
    assert_int_equal(e->context_window, 1047576);

    e = tm_registry_lookup(reg, "gpt-4");
    assert_string_equal(e->tokenizer, "cl100k_base");
    e = tm_registry_lookup(reg, "gpt-oss-120b");
    assert_string_equal(e->tokenizer, "o200k_harmony");

    e = tm_registry_lookup(reg, "claude-sonnet-4-5-20250929");
    assert_non_null(e);
    assert_string_equal(e->provider, "anthropic");
    assert_true(e->estimate);

    e = tm_registry_lookup(reg, "meta-llama/Llama-3.1-8B-Instruct");
    assert_string_equal(e->tokenizer, "llama3");
    assert_false(e->estimate);
    e = tm_registry_lookup(reg, "gemini-2.5-flash");
    assert_string_equal(e->provider, "google");
    assert_true(e->estimate);
    e = tm_registry_lookup(reg, "deepseek-chat");
    assert_string_equal(e->tokenizer, "deepseek_v3");

    assert_null(tm_registry_lookup(reg, "no-such-model"));
    tm_registry_free(reg);
}

/* Every OpenAI encoding tokenize ships is a name the registry accepts. */
static void test_tokenizer_names_consistent(void **state)
{
    (void)state;
    for (int i = 0; tm_encoding_names[i]; i++)
        if (!tm_registry_tokenizer_known(tm_encoding_names[i]))
            fail_msg("encoding %s is not a registry tokenizer name", tm_encoding_names[i]);
    assert_false(tm_registry_tokenizer_known("gpt2"));
    assert_false(tm_registry_tokenizer_known(""));
}

/* ---- bad files ---- */

static void test_bad_documents(void **state)
{
    char one[600], text[2000];

    (void)state;
    expect_bad("{", TM_EFORMAT, "not valid JSON", "line 1", NULL);
    expect_bad("", TM_EFORMAT, "not valid JSON", NULL);
    expect_bad("[1, 2]", TM_EFORMAT, "expected a JSON object", "an array", NULL);
    expect_bad("{\"models\": []}", TM_EFORMAT, "format: expected \"tokenmeter-models/1\"",
               "field missing", NULL);
    expect_bad("{\"format\": \"tokenmeter-models/2\", \"models\": []}", TM_EFORMAT,
               "format: expected", "\"tokenmeter-models/2\"", NULL);
    expect_bad("{\"format\": 1, \"models\": []}", TM_EFORMAT, "format: expected",
               "an integer", NULL);
    expect_bad("{\"format\": \"tokenmeter-models/1\", \"models\": [], \"extra\": 1}",
               TM_EFORMAT, "unknown top-level field \"extra\"", NULL);
    expect_bad("{\"format\": \"tokenmeter-models/1\", \"doc\": 5, \"models\": []}",
               TM_EFORMAT, "doc: expected a string", NULL);
    expect_bad("{\"format\": \"tokenmeter-models/1\"}", TM_EFORMAT,
               "models: expected an array", "field missing", NULL);
    expect_bad("{\"format\": \"tokenmeter-models/1\", \"models\": {}}", TM_EFORMAT,
               "models: expected an array", "an object", NULL);
    expect_bad(wrap(""), TM_EFORMAT, "models: the array is empty", NULL);
    expect_bad(wrap("7"), TM_EFORMAT, "models[0]: expected an object, got an integer",
               NULL);
    /* Duplicate keys are refused, not resolved silently. */
    entry(one, sizeof(one), NULL, NULL, NULL);
    snprintf(text, sizeof(text), "%.*s, \"notes\": \"again\"}", (int)strlen(one) - 1, one);
    expect_bad(wrap(text), TM_EFORMAT, "not valid JSON", "duplicate", NULL);
    /* NUL in a string. */
    entry(one, sizeof(one), "\"a\\u0000b\"", NULL, NULL);
    expect_bad(wrap(one), TM_EFORMAT, "not valid JSON", NULL);
    /* Not UTF-8. */
    entry(one, sizeof(one), "\"a\xff\"", NULL, NULL);
    expect_bad(wrap(one), TM_EFORMAT, "not valid JSON", NULL);
}

struct field_case {
    const char *field;
    const char *value;    /* JSON text, NULL = field missing */
    const char *needle;   /* in the message after "models[1] (\"p-*\"): FIELD: " */
};

static void test_bad_fields(void **state)
{
    static const struct field_case cases[] = {
        {"pattern", "17", "expected a string, got an integer"},
        {"pattern", "\"\"", "is empty"},
        {"pattern", "\"gpt 4o\"", "printable ASCII without spaces"},
        {"pattern", "\"gpt-\xc3\xa9\"", "printable ASCII without spaces"},
        {"pattern", "\"gpt-*-mini\"", "'*' may appear only as the last character"},
        {"pattern", "\"**\"", "'*' may appear only as the last character"},
        {"provider", "null", "expected a string, got null"},
        {"provider", "\"OpenAI\"", "expected a lower-case name"},
        {"provider", "\"\"", "expected a lower-case name"},
        {"family", "[]", "expected a string, got an array"},
        {"family", "\"\"", "expected a non-empty name"},
        {"tokenizer", "\"gpt2\"", "unknown tokenizer \"gpt2\""},
        {"tokenizer", "true", "expected a string, got a boolean"},
        {"estimate", "\"yes\"", "expected true or false, got a string"},
        {"estimate", "0", "expected true or false, got an integer"},
        {"context_window", "\"128k\"", "expected a positive integer or null, got a string"},
        {"context_window", "0", "expected a positive integer or null, got 0"},
        {"context_window", "-5", "expected a positive integer or null, got -5"},
        {"context_window", "128000.5", "got a non-integer number"},
        {"context_window", "128000.0", "got a non-integer number"},
        {"context_window", "5000000000", "allowed: 1 to 1000000000"},
        {"max_output_tokens", "{}", "expected a positive integer or null, got an object"},
        {"max_output_tokens", "-1", "got -1"},
        {"source", "42", "expected a string, got an integer"},
        {"source", "\"http://example.com\"", "expected an https:// URL"},
        {"source", "\"https://\"", "expected an https:// URL"},
        {"source", "\"https://exa mple.com\"", "expected an https:// URL"},
        {"as_of", "20261125", "expected a string, got an integer"},
        {"as_of", "\"yesterday\"", "expected a date YYYY-MM-DD, got \"yesterday\""},
        {"as_of", "\"2026-13-01\"", "expected a date YYYY-MM-DD"},
        {"as_of", "\"2026-02-30\"", "expected a date YYYY-MM-DD"},
        {"as_of", "\"2025-02-29\"", "expected a date YYYY-MM-DD"},
        {"as_of", "\"2026-1-01\"", "expected a date YYYY-MM-DD"},
        {"notes", "null", "expected a string, got null"},
    };
    char good[600], bad[600], entries[1400], want[300];

    (void)state;
    entry(good, sizeof(good), "\"a*\"", NULL, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct field_case *c = &cases[i];
        entry(bad, sizeof(bad), NULL, c->field, c->value);
        snprintf(entries, sizeof(entries), "%s, %s", good, bad);
        /* The entry is named by index, and by pattern when it has one. */
        if (strcmp(c->field, "pattern") == 0)
            snprintf(want, sizeof(want), "models[1]");
        else
            snprintf(want, sizeof(want), "models[1] (\"p-*\"): %s: ", c->field);
        expect_bad(wrap(entries), TM_EFORMAT, want, c->field, c->needle, NULL);
    }
    /* Valid edge values are accepted: nulls, a leap day, the largest limit. */
    {
        tm_registry *reg;
        entry(bad, sizeof(bad), NULL, "context_window", "null");
        reg = parse_ok(wrap(bad));
        assert_int_equal(tm_registry_entry(reg, 0)->context_window, -1);
        tm_registry_free(reg);
        entry(bad, sizeof(bad), NULL, "as_of", "\"2024-02-29\"");
        tm_registry_free(parse_ok(wrap(bad)));
        entry(bad, sizeof(bad), NULL, "max_output_tokens", "1000000000");
        reg = parse_ok(wrap(bad));
        assert_int_equal(tm_registry_entry(reg, 0)->max_output_tokens, 1000000000);
        tm_registry_free(reg);
    }
}

static void test_missing_and_unknown_fields(void **state)
{
    char bad[600], want[200];

    (void)state;
    for (int i = 0; fields[i]; i++) {
        entry(bad, sizeof(bad), NULL, fields[i], NULL);
        if (i == 0)
            snprintf(want, sizeof(want), "models[0]: pattern: missing");
        else
            snprintf(want, sizeof(want), "models[0] (\"p-*\"): %s: missing", fields[i]);
        expect_bad(wrap(bad), TM_EFORMAT, want, NULL);
    }
    entry(bad, sizeof(bad), NULL, "colour", "\"blue\"");
    expect_bad(wrap(bad), TM_EFORMAT, "models[0] (\"p-*\"): unknown field \"colour\"",
               "known: pattern", NULL);
}

static void test_duplicate_and_unreachable(void **state)
{
    char a[600], b[600], entries[1400];

    (void)state;
    entry(a, sizeof(a), "\"gpt-4o*\"", NULL, NULL);
    entry(b, sizeof(b), "\"GPT-4O*\"", NULL, NULL);
    snprintf(entries, sizeof(entries), "%s, %s", a, b);
    expect_bad(wrap(entries), TM_EFORMAT, "models[1] (\"GPT-4O*\"): pattern: duplicates "
               "models[0] (\"gpt-4o*\"", NULL);

    entry(a, sizeof(a), "\"gpt-4*\"", NULL, NULL);
    entry(b, sizeof(b), "\"gpt-4o-mini*\"", NULL, NULL);
    snprintf(entries, sizeof(entries), "%s, %s", a, b);
    expect_bad(wrap(entries), TM_EFORMAT, "models[1] (\"gpt-4o-mini*\"): pattern: "
               "unreachable: models[0] (\"gpt-4*\")", "more specific entry first", NULL);

    entry(b, sizeof(b), "\"gpt-4-turbo\"", NULL, NULL); /* an exact name under a prefix */
    snprintf(entries, sizeof(entries), "%s, %s", a, b);
    expect_bad(wrap(entries), TM_EFORMAT, "models[1] (\"gpt-4-turbo\"): pattern: "
               "unreachable", NULL);

    entry(a, sizeof(a), "\"o1\"", NULL, NULL);
    entry(b, sizeof(b), "\"O1\"", NULL, NULL);
    snprintf(entries, sizeof(entries), "%s, %s", a, b);
    expect_bad(wrap(entries), TM_EFORMAT, "models[1] (\"O1\"): pattern: duplicates", NULL);

    /* Not unreachable: an exact name before a prefix that covers it, a
     * prefix before a shorter prefix, an exact name before a longer one. */
    {
        static const char *const ok[] = {"gpt-4", "gpt-4o*", "gpt-4*", "o1", "o1-pro*",
                                         NULL};
        tm_registry_free(with_patterns(ok));
    }
}

/* ---- files and the default location ---- */

static void test_files(void **state)
{
    struct tm_error err = {0};
    char one[600];
    tm_registry *reg;
    int fd;

    (void)state;
    assert_null(tm_registry_open(tmp_path("missing.json"), &err));
    assert_int_equal(err.code, TM_ENOENT);
    assert_non_null(strstr(err.message, tmp_path("missing.json")));

    memset(&err, 0, sizeof(err));
    assert_null(tm_registry_open(tmp_dir, &err));
    assert_int_equal(err.code, TM_EIO);
    assert_non_null(strstr(err.message, "not a regular file"));

    entry(one, sizeof(one), "\"only-model\"", NULL, NULL);
    write_file(tmp_path("one.json"), wrap(one));
    reg = tm_registry_open(tmp_path("one.json"), &err);
    assert_non_null(reg);
    assert_string_equal(tm_registry_path(reg), tmp_path("one.json"));
    assert_int_equal(tm_registry_count(reg), 1);
    tm_registry_free(reg);

    /* A bad file is named in the message as it was opened. */
    write_file(tmp_path("bad.json"), "{\"format\": \"tokenmeter-models/1\", \"models\": 3}");
    memset(&err, 0, sizeof(err));
    assert_null(tm_registry_open(tmp_path("bad.json"), &err));
    assert_int_equal(err.code, TM_EFORMAT);
    assert_true(strncmp(err.message, tmp_path("bad.json"), strlen(tmp_path("bad.json"))) == 0);

    /* Over the size cap: refused before reading (a sparse file). */
    fd = open(tmp_path("huge.json"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)TM_REGISTRY_MAX_BYTES + 1), 0);
    close(fd);
    memset(&err, 0, sizeof(err));
    assert_null(tm_registry_open(tmp_path("huge.json"), &err));
    assert_int_equal(err.code, TM_ELIMIT);
    assert_non_null(strstr(err.message, "limit"));
    unlink(tmp_path("huge.json"));

    /* $TOKENMETER_MODELS comes first; naming a missing file is an error. */
    setenv(TM_REGISTRY_ENV, tmp_path("one.json"), 1);
    reg = tm_registry_open(NULL, &err);
    assert_non_null(reg);
    assert_int_equal(tm_registry_count(reg), 1);
    assert_string_equal(tm_registry_entry(reg, 0)->pattern, "only-model");
    tm_registry_free(reg);
    setenv(TM_REGISTRY_ENV, tmp_path("missing.json"), 1);
    memset(&err, 0, sizeof(err));
    assert_null(tm_registry_open(NULL, &err));
    assert_int_equal(err.code, TM_ENOENT);
    assert_non_null(strstr(err.message, "$TOKENMETER_MODELS"));
    assert_non_null(strstr(err.message, tmp_path("missing.json")));
    unsetenv(TM_REGISTRY_ENV);
    /* An explicit path wins over the variable. */
    setenv(TM_REGISTRY_ENV, tmp_path("missing.json"), 1);
    reg = tm_registry_open(tmp_path("one.json"), &err);
    assert_non_null(reg);
    tm_registry_free(reg);
    unsetenv(TM_REGISTRY_ENV);
    tm_registry_free(NULL);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(tmp_path("one.json"));
    unlink(tmp_path("bad.json"));
    rmdir(tmp_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_prefix_and_exact),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_shipped_registry),
        cmocka_unit_test(test_tokenizer_names_consistent),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_missing_and_unknown_fields),
        cmocka_unit_test(test_duplicate_and_unreachable),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests_name("registry", tests, setup, teardown);
}
