/*
 * tokenmeter request: the prompt tokens a provider bills for a whole API
 * request body, with a breakdown of where they come from.
 *
 * Bodies understood (docs/REQUESTS.md has the formulas and their sources):
 *  - OpenAI Chat Completions ("messages"): per-message framing, names,
 *    string content and content parts, assistant tool calls, tool results,
 *    tool/function definitions, the reply priming, images;
 *  - OpenAI Responses ("input" string or items, "instructions", "tools");
 *  - OpenAI legacy Completions ("prompt": string, strings, token arrays);
 *  - OpenAI Embeddings ("input": string, strings, token arrays);
 *  - Anthropic Messages ("system", "messages", content blocks, "tools"),
 *    always an estimate: Anthropic publishes no tokenizer.
 *
 * A count is exact only when every part of it follows a formula the
 * provider's own reported counts confirm, with the model's own tokenizer.
 * Otherwise the result is marked an estimate and says why: the registry
 * marks the model's tokenizer as an approximation, a part is counted by a
 * rule the provider does not publish ("approximations"), or a part cannot be
 * counted from the body at all, such as an image given by URL ("unknown":
 * those parts are not in prompt_tokens, which is then a lower bound).
 *
 * Bad bodies are errors, never guesses: a message names the body and the
 * field path and the cause, e.g.
 *   req.json: messages[2].content[0].type: unknown content part type "foo"
 *
 * Thread safety: a tm_request is immutable once counted. The registry and
 * encoding passed in are only read, so they may be shared.
 */
#ifndef TOKENMETER_REQUEST_H
#define TOKENMETER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"
#include "tokenmeter/registry.h"
#include "tokenmeter/tokenize.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tm_request tm_request;

/* Largest request body accepted (bytes); a larger one is TM_ELIMIT. */
#define TM_REQUEST_MAX_BYTES (64u << 20)

/* Which API a body is for. */
enum tm_request_api {
    TM_REQUEST_API_AUTO = 0,     /* decide from the body and the model */
    TM_REQUEST_API_CHAT,         /* OpenAI /v1/chat/completions */
    TM_REQUEST_API_RESPONSES,    /* OpenAI /v1/responses */
    TM_REQUEST_API_COMPLETIONS,  /* OpenAI /v1/completions (legacy) */
    TM_REQUEST_API_EMBEDDINGS,   /* OpenAI /v1/embeddings */
    TM_REQUEST_API_ANTHROPIC,    /* Anthropic /v1/messages */
};

/* The API's name as the JSON output spells it ("chat.completions", ...),
 * and the reverse (also accepts "chat", "responses", "completions",
 * "embeddings", "anthropic", "messages"); -1 when unknown. */
const char *tm_request_api_name(enum tm_request_api api);
int tm_request_api_from_name(const char *name);

/*
 * What a model name resolves to: the registry entry it matches, or, for an
 * OpenAI model the registry lacks, tiktoken's model table
 * (tm_model_encoding). Strings are valid while the registry is open.
 */
struct tm_model_resolution {
    const char *model;                 /* the name asked for */
    const char *tokenizer;             /* encoding name for tm_encoding_open */
    const char *provider;              /* "openai" for the tiktoken fallback */
    const char *family;                /* NULL for the tiktoken fallback */
    bool estimate;                     /* the tokenizer only approximates */
    const struct tm_model_info *entry; /* NULL for the tiktoken fallback */
};

/*
 * Resolve a model name. reg may be NULL (then only the tiktoken table is
 * consulted). Returns 0, or TM_ENOENT (err names the model and points to
 * `tokenmeter models`).
 */
int tm_request_resolve_model(const tm_registry *reg, const char *model,
                             struct tm_model_resolution *out,
                             struct tm_error *err);

struct tm_request_options {
    enum tm_request_api api;   /* TM_REQUEST_API_AUTO by default */
    const char *model;         /* overrides the body's "model" when not NULL */
    const tm_encoding *encoding; /* the model's tokenizer, already open; NULL:
                                    opened (and closed) by the call */
};

/*
 * Count the prompt tokens of the request body body[0..len). `name` is how
 * errors name the body (a file name). reg resolves the model (from
 * opt->model, else the body's "model"); opt may be NULL.
 * Returns the counted request (free with tm_request_free), or NULL and
 * fills err: TM_EINVAL for a bad body (the message names the field path),
 * TM_ENOENT for an unknown model or a tokenizer that is not installed,
 * TM_ELIMIT for a body over TM_REQUEST_MAX_BYTES, TM_ENOMEM.
 */
tm_request *tm_request_count(const char *body, size_t len, const char *name,
                             const tm_registry *reg,
                             const struct tm_request_options *opt,
                             struct tm_error *err);

void tm_request_free(tm_request *req);

uint64_t tm_request_prompt_tokens(const tm_request *req);
bool tm_request_is_estimate(const tm_request *req);
const char *tm_request_model(const tm_request *req);
const char *tm_request_encoding(const tm_request *req);
enum tm_request_api tm_request_api(const tm_request *req);

/* One line of the breakdown: the part of the body (its field path, or a
 * name such as "priming"), what it is, and the tokens it adds. */
struct tm_request_part {
    const char *path;    /* "messages[2]", "tools", "priming", "prompt[0]" */
    const char *what;    /* "user message", "2 tool definitions", ... */
    uint64_t tokens;
};

/* Why a count is not exact: a part not counted at all, or counted by a rule
 * the provider does not publish. */
enum tm_request_note_kind {
    TM_REQUEST_UNKNOWN = 1,       /* not in prompt_tokens */
    TM_REQUEST_APPROXIMATION = 2, /* counted, by an unpublished rule */
};
struct tm_request_note {
    enum tm_request_note_kind kind;
    const char *path;    /* field path, or "" for the request as a whole */
    const char *reason;
};

size_t tm_request_part_count(const tm_request *req);
const struct tm_request_part *tm_request_part(const tm_request *req, size_t i);
size_t tm_request_note_count(const tm_request *req);
const struct tm_request_note *tm_request_note(const tm_request *req, size_t i);

/*
 * The result as one line of JSON:
 *   {"model": M, "encoding": E, "prompt_tokens": N, "estimate": B,
 *    "breakdown": {"api": A, "messages": [...], "inputs": [...],
 *                  "tools": {...}, "priming": N, "images": [...],
 *                  "unknown": [...], "approximations": [...]}}
 * (docs/REQUESTS.md describes every field). Returns a malloc'd string the
 * caller frees with free(), or NULL when out of memory.
 */
char *tm_request_to_json(const tm_request *req);

#ifdef __cplusplus
}
#endif
#endif
