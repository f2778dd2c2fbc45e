/*
 * Fuzz target: the model registry parser (tm_registry_parse), which
 * validates data/models.json or a user's --models / $TOKENMETER_MODELS
 * file.
 *
 * Input: the file's bytes. Checks:
 *  - a refused file gives NULL and TM_EFORMAT, TM_ELIMIT or TM_ENOMEM with
 *    a message that names the file (starts with its name);
 *  - an accepted file holds at least one entry, and every entry keeps the
 *    promises of include/tokenmeter/registry.h: its index, a non-empty
 *    pattern with '*' only at the end, a provider, a family, a tokenizer
 *    tm_registry_tokenizer_known accepts, limits that are -1 or 1..10^9, an
 *    https:// source, an as_of of the form YYYY-MM-DD, notes;
 *  - lookup agrees with the matching rule: for a name built from each
 *    pattern (the pattern itself; for a wildcard, its prefix and the prefix
 *    plus "-x"), in upper case too, tm_registry_lookup returns the first
 *    entry whose pattern tm_registry_pattern_matches says matches, and that
 *    entry is never later than the pattern's own (which matches the name);
 *  - no entry is unreachable: the name an exact pattern spells resolves to
 *    that very entry (an earlier match would make it dead, which the parser
 *    refuses);
 *  - parsing the same bytes again gives the same entry count.
 */
#include <ctype.h>

#include "tokenmeter/registry.h"
#include "fuzz_common.h"

#define FILE_NAME "fuzz-models.json"
#define MAX_FILE (1u << 18)

/* The index of the first entry matching name, by pattern_matches; n if none. */
static size_t first_match(const tm_registry *reg, const char *name)
{
    size_t n = tm_registry_count(reg);

    for (size_t i = 0; i < n; i++)
        if (tm_registry_pattern_matches(tm_registry_entry(reg, i)->pattern, name))
            return i;
    return n;
}

/* Look name up and check it against the rule; own is the index of an
 * entry whose pattern must match name. Returns the index found. */
static size_t check_lookup(const tm_registry *reg, const char *name, size_t own)
{
    const struct tm_model_info *hit = tm_registry_lookup(reg, name);
    size_t first = first_match(reg, name);

    FUZZ_CHECK(tm_registry_pattern_matches(tm_registry_entry(reg, own)->pattern, name),
               "models[%zu] (\"%s\") does not match \"%s\", a name built from it", own,
               tm_registry_entry(reg, own)->pattern, name);
    FUZZ_CHECK(hit != NULL, "lookup of \"%s\" found nothing; models[%zu] matches it", name,
               own);
    FUZZ_CHECK(hit->index == first, "lookup of \"%s\" gives models[%zu], first match is %zu",
               name, hit->index, first);
    FUZZ_CHECK(hit->index <= own, "lookup of \"%s\" gives models[%zu], after models[%zu]",
               name, hit->index, own);
    return hit->index;
}

static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static void check_entry(const tm_registry *reg, size_t i)
{
    const struct tm_model_info *e = tm_registry_entry(reg, i);
    size_t plen;
    char name[600], upper[600];

    FUZZ_CHECK(e != NULL && e->index == i, "entry %zu missing or misnumbered", i);
    plen = strlen(e->pattern);
    FUZZ_CHECK(plen > 0 && plen < 500, "models[%zu]: pattern of length %zu", i, plen);
    FUZZ_CHECK(strchr(e->pattern, '*') == NULL || strchr(e->pattern, '*') == e->pattern + plen - 1,
               "models[%zu]: '*' not at the end of \"%s\"", i, e->pattern);
    FUZZ_CHECK(e->provider && e->provider[0] && e->family && e->family[0] && e->notes,
               "models[%zu]: empty provider or family, or no notes", i);
    FUZZ_CHECK(tm_registry_tokenizer_known(e->tokenizer), "models[%zu]: tokenizer \"%s\"", i,
               e->tokenizer);
    FUZZ_CHECK(e->context_window == -1 ||
                   (e->context_window >= 1 && e->context_window <= TM_REGISTRY_MAX_TOKENS),
               "models[%zu]: context_window %lld", i, (long long)e->context_window);
    FUZZ_CHECK(e->max_output_tokens == -1 ||
                   (e->max_output_tokens >= 1 && e->max_output_tokens <= TM_REGISTRY_MAX_TOKENS),
               "models[%zu]: max_output_tokens %lld", i, (long long)e->max_output_tokens);
    FUZZ_CHECK(strncmp(e->source, "https://", 8) == 0, "models[%zu]: source \"%s\"", i,
               e->source);
    FUZZ_CHECK(is_date(e->as_of), "models[%zu]: as_of \"%s\"", i, e->as_of);

    if (e->pattern[plen - 1] == '*') {
        memcpy(name, e->pattern, plen - 1);
        name[plen - 1] = '\0';
        check_lookup(reg, name, i);
        memcpy(name + plen - 1, "-x", 3);
        check_lookup(reg, name, i);
    } else {
        memcpy(name, e->pattern, plen + 1);
        FUZZ_CHECK(check_lookup(reg, name, i) == i,
                   "models[%zu] (\"%s\") is unreachable: an earlier entry matches its name",
                   i, e->pattern);
    }
    for (size_t k = 0; name[k]; k++)
        upper[k] = (char)toupper((unsigned char)name[k]), upper[k + 1] = '\0';
    check_lookup(reg, upper, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tm_error err = {0};
    tm_registry *reg, *again;
    size_t n;

    if (size > MAX_FILE)
        size = MAX_FILE;
    reg = tm_registry_parse((const char *)data, size, FILE_NAME, &err);
    if (reg == NULL) {
        FUZZ_CHECK(err.code == TM_EFORMAT || err.code == TM_ELIMIT || err.code == TM_ENOMEM,
                   "refused with code %d: %s", err.code, err.message);
        FUZZ_CHECK(strncmp(err.message, FILE_NAME ": ", sizeof(FILE_NAME ": ") - 1) == 0,
                   "the error does not name the file: %s", err.message);
        return 0;
    }
    n = tm_registry_count(reg);
    FUZZ_CHECK(n > 0, "accepted a registry without entries");
    FUZZ_CHECK(tm_registry_entry(reg, n) == NULL, "entry past the end is not NULL");
    FUZZ_CHECK(strcmp(tm_registry_path(reg), FILE_NAME) == 0, "registry path is \"%s\"",
               tm_registry_path(reg));
    for (size_t i = 0; i < n; i++)
        check_entry(reg, i);
    again = tm_registry_parse((const char *)data, size, FILE_NAME, &err);
    FUZZ_CHECK(again != NULL && tm_registry_count(again) == n, "a second parse differs");
    tm_registry_free(again);
    tm_registry_free(reg);
    return 0;
}
