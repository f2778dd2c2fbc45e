/*
 * tokenmeter registry: the model registry, a data file (data/models.json,
 * format "tokenmeter-models/1") that maps the model names seen in API
 * traffic to the tokenizer tokenmeter counts with, the model's context
 * window and maximum output tokens, its provider and family, and whether
 * counts from that tokenizer are exact or only an estimate. Every entry
 * cites its source. The file's own "doc" field describes the format.
 *
 * Matching: a model name is compared with the entries' patterns in file
 * order, ignoring ASCII case, and the first match wins. A pattern ending in
 * '*' matches every name that begins with the text before the '*'; any
 * other pattern must equal the whole name.
 *
 * Loading validates every field (type, range, unknown fields, duplicate and
 * unreachable patterns); an error names the file, the entry (index and
 * pattern), the field and the cause, e.g.
 *   data/models.json: models[12] ("gpt-4o*"): context_window: expected a
 *   positive integer or null
 *
 * Thread safety: a tm_registry is immutable once opened; any number of
 * threads may look models up in one.
 */
#ifndef TOKENMETER_REGISTRY_H
#define TOKENMETER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tm_registry tm_registry;

/* The format string a registry file must carry in its "format" field. */
#define TM_REGISTRY_FORMAT "tokenmeter-models/1"

/* The environment variable naming the registry file to use by default. */
#define TM_REGISTRY_ENV "TOKENMETER_MODELS"

/* Largest registry file accepted (bytes); a larger file is TM_ELIMIT. */
#define TM_REGISTRY_MAX_BYTES (16u << 20)

/* Largest context_window / max_output_tokens accepted. */
#define TM_REGISTRY_MAX_TOKENS 1000000000LL

/* One registry entry. Strings are valid while the registry is open. */
struct tm_model_info {
    size_t index;              /* position in the file's "models" array */
    const char *pattern;       /* "gpt-4o*" */
    const char *provider;      /* "openai", "anthropic", ... */
    const char *family;        /* "gpt-4o", "claude-sonnet-4", ... */
    const char *tokenizer;     /* a name for tm_encoding_open ("o200k_base") */
    bool estimate;             /* true: the tokenizer only approximates */
    int64_t context_window;    /* tokens; -1 when the source gives none */
    int64_t max_output_tokens; /* tokens; -1 when the source gives none */
    const char *source;        /* https URL of the cited source */
    const char *as_of;         /* YYYY-MM-DD the source was checked */
    const char *notes;         /* free text, may be empty */
};

/*
 * The tokenizer names an entry may use, NULL-terminated: the OpenAI tiktoken
 * encodings and the tokenizer.json families tokenmeter ships.
 */
extern const char *const tm_registry_tokenizers[];

/*
 * Open and validate a registry file. With path NULL the default file is
 * used: $TOKENMETER_MODELS when set (a missing file is then an error, never
 * a silent fallback), else the source tree's data/models.json, else the
 * installed data directory's models.json.
 * Returns a handle to free with tm_registry_free, or NULL and fills err:
 * TM_ENOENT (no such file), TM_EIO, TM_ELIMIT (file too large), TM_EFORMAT
 * (not JSON, or an entry fails validation), TM_ENOMEM.
 */
tm_registry *tm_registry_open(const char *path, struct tm_error *err);

/*
 * Validate a registry held in memory (json[0..len)); `name` is how errors
 * name it (e.g. a file name). Same results as tm_registry_open.
 */
tm_registry *tm_registry_parse(const char *json, size_t len, const char *name,
                               struct tm_error *err);

/* Release a registry. Accepts NULL. */
void tm_registry_free(tm_registry *reg);

/* The path (or name) the registry was loaded from. */
const char *tm_registry_path(const tm_registry *reg);

/* Number of entries, and the i-th entry (NULL when i is out of range). */
size_t tm_registry_count(const tm_registry *reg);
const struct tm_model_info *tm_registry_entry(const tm_registry *reg, size_t i);

/* The entry a model name resolves to (first match wins), or NULL. */
const struct tm_model_info *tm_registry_lookup(const tm_registry *reg,
                                               const char *model);

/* Whether one pattern matches a model name (the rule above). */
bool tm_registry_pattern_matches(const char *pattern, const char *model);

/* Whether `name` is one of tm_registry_tokenizers. */
bool tm_registry_tokenizer_known(const char *name);

#ifdef __cplusplus
}
#endif
#endif
