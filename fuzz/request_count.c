/*
 * Fuzz target: counting whole API request bodies (tm_request_count), the
 * parser of the outside input a gateway sees on every request.
 *
 * Input: byte 0 holds options, the rest is the body.
 *  - bits 0-2: the API (0 auto, 1 chat, 2 responses, 3 completions,
 *    4 embeddings, 5 anthropic; 6 and 7 auto);
 *  - bit 3 set: the model is given by the caller (as `-m` does), one of
 *    `models` below picked by bits 4-6, instead of the body's "model".
 * The registry is the source tree's data/models.json ($TOKENMETER_MODELS
 * when set), opened once; the text is counted with o200k_base whatever the
 * model, opened once from $TOKENMETER_VOCAB_DIR (counts need not be the
 * model's here, only consistent).
 *
 * Checks:
 *  - a body that fails gives NULL and an error with a TM_E* code of the
 *    API's list (TM_EINVAL, TM_ENOENT, TM_ENOMEM) and a message that names
 *    the body (starts with its name; a caller-given model's lookup error
 *    names the model instead);
 *  - a counted body gives a result whose JSON (tm_request_to_json) parses
 *    and agrees with the C accessors (prompt_tokens, estimate, model,
 *    encoding, api), whose breakdown adds up: prompt_tokens = the messages'
 *    tokens + the inputs' tokens + tools.tokens + priming, and each
 *    message's tokens = max(0, framing + text + tool_calls + images); the
 *    parts' tokens sum to prompt_tokens; a result with notes, or for the
 *    Anthropic API, is an estimate;
 *  - counting the same body again gives the same JSON (no hidden state).
 */
#include <jansson.h>

#include "tokenmeter/registry.h"
#include "tokenmeter/request.h"
#include "fuzz_common.h"

#ifndef FUZZ_MODELS_FILE
#define FUZZ_MODELS_FILE NULL
#endif

#define BODY_NAME "fuzz-body"
#define MAX_BODY (1u << 16)

static const char *const models[8] = {
    "gpt-4o", "gpt-3.5-turbo-0301", "gpt-4.1-mini", "text-embedding-3-small",
    "claude-sonnet-4-20250514", "davinci-002", "gpt-5", "gpt-4-0613",
};

/* The registry and encoding, opened on first use; failure is fatal. */
static void setup(const tm_registry **reg, const tm_encoding **enc)
{
    static tm_registry *r;
    static tm_encoding *e;
    struct tm_error err = {0};

    if (r == NULL) {
        const char *path = getenv(TM_REGISTRY_ENV);
        r = tm_registry_open(path && *path ? path : FUZZ_MODELS_FILE, &err);
        FUZZ_CHECK(r != NULL, "registry: %s", err.message);
        e = tm_encoding_open("o200k_base", &err);
        FUZZ_CHECK(e != NULL, "%s (set TOKENMETER_VOCAB_DIR)", err.message);
    }
    *reg = r;
    *enc = e;
}

/* An integer member of obj, which must be there. */
static json_int_t int_member(const json_t *obj, const char *key, const char *where)
{
    const json_t *v = json_object_get(obj, key);

    FUZZ_CHECK(json_is_integer(v), "%s: \"%s\" is not an integer", where, key);
    return json_integer_value(v);
}

/* Sum of the "tokens" of the records of an array member of breakdown. */
static json_int_t sum_tokens(const json_t *breakdown, const char *key)
{
    const json_t *arr = json_object_get(breakdown, key), *rec;
    json_int_t sum = 0;
    size_t i;

    FUZZ_CHECK(json_is_array(arr), "breakdown.%s is not an array", key);
    json_array_foreach(arr, i, rec) {
        FUZZ_CHECK(json_is_object(rec), "breakdown.%s[%zu] is not an object", key, i);
        sum += int_member(rec, "tokens", key);
    }
    return sum;
}

static void check_result(const tm_request *req, const char *text)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr), *b, *msg;
    json_int_t total;
    uint64_t parts = 0;
    size_t i;

    FUZZ_CHECK(root != NULL, "tm_request_to_json is not JSON: %s", jerr.text);
    FUZZ_CHECK((uint64_t)int_member(root, "prompt_tokens", "result") ==
                   tm_request_prompt_tokens(req),
               "JSON prompt_tokens differs from tm_request_prompt_tokens");
    FUZZ_CHECK(json_is_boolean(json_object_get(root, "estimate")) &&
                   json_is_true(json_object_get(root, "estimate")) ==
                       tm_request_is_estimate(req),
               "JSON estimate differs from tm_request_is_estimate");
    FUZZ_CHECK(strcmp(json_string_value(json_object_get(root, "model")),
                      tm_request_model(req)) == 0 &&
                   strcmp(json_string_value(json_object_get(root, "encoding")),
                          tm_request_encoding(req)) == 0,
               "JSON model/encoding differ from the accessors");
    b = json_object_get(root, "breakdown");
    FUZZ_CHECK(json_is_object(b), "breakdown is not an object");
    FUZZ_CHECK(json_is_string(json_object_get(b, "api")) &&
                   strcmp(json_string_value(json_object_get(b, "api")),
                          tm_request_api_name(tm_request_api(req))) == 0,
               "breakdown.api differs from tm_request_api");

    json_array_foreach(json_object_get(b, "messages"), i, msg) {
        json_int_t sum = int_member(msg, "framing", "message") + int_member(msg, "text", "message") +
                         int_member(msg, "tool_calls", "message") +
                         int_member(msg, "images", "message");
        FUZZ_CHECK(int_member(msg, "tokens", "message") == (sum < 0 ? 0 : sum),
                   "messages[%zu]: tokens %lld != framing + text + tool_calls + images %lld",
                   i, (long long)int_member(msg, "tokens", "message"), (long long)sum);
    }
    FUZZ_CHECK(json_is_object(json_object_get(b, "tools")), "breakdown.tools is not an object");
    total = sum_tokens(b, "messages") + sum_tokens(b, "inputs") +
            int_member(json_object_get(b, "tools"), "tokens", "tools") +
            int_member(b, "priming", "breakdown");
    FUZZ_CHECK((uint64_t)total == tm_request_prompt_tokens(req),
               "breakdown adds up to %lld, prompt_tokens is %llu", (long long)total,
               (unsigned long long)tm_request_prompt_tokens(req));

    for (i = 0; i < tm_request_part_count(req); i++) {
        const struct tm_request_part *p = tm_request_part(req, i);
        FUZZ_CHECK(p != NULL && p->path != NULL && p->what != NULL, "part %zu incomplete", i);
        parts += p->tokens;
    }
    FUZZ_CHECK(tm_request_part(req, i) == NULL, "tm_request_part past the end is not NULL");
    FUZZ_CHECK(parts == tm_request_prompt_tokens(req), "parts sum to %llu, prompt_tokens %llu",
               (unsigned long long)parts, (unsigned long long)tm_request_prompt_tokens(req));
    for (i = 0; i < tm_request_note_count(req); i++) {
        const struct tm_request_note *n = tm_request_note(req, i);
        FUZZ_CHECK(n != NULL && n->path != NULL && n->reason != NULL && n->reason[0] &&
                       (n->kind == TM_REQUEST_UNKNOWN || n->kind == TM_REQUEST_APPROXIMATION),
                   "note %zu incomplete", i);
    }
    if (tm_request_note_count(req) > 0 || tm_request_api(req) == TM_REQUEST_API_ANTHROPIC)
        FUZZ_CHECK(tm_request_is_estimate(req), "notes or Anthropic, but not an estimate");
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tm_registry *reg;
    const tm_encoding *enc;
    struct tm_request_options opt = {0};
    struct tm_error err = {0}, err2 = {0};
    tm_request *req, *again;
    const char *body;
    char *text, *text2;

    if (size == 0)
        return 0;
    setup(&reg, &enc);
    opt.api = (enum tm_request_api)((data[0] & 7) % 6);
    opt.model = (data[0] & 8) ? models[(data[0] >> 4) & 7] : NULL;
    opt.encoding = enc;
    body = (const char *)data + 1;
    size = size - 1 > MAX_BODY ? MAX_BODY : size - 1;

    req = tm_request_count(body, size, BODY_NAME, reg, &opt, &err);
    if (req == NULL) {
        FUZZ_CHECK(err.code == TM_EINVAL || err.code == TM_ENOENT || err.code == TM_ENOMEM,
                   "failed with code %d: %s", err.code, err.message);
        FUZZ_CHECK(err.message[0] != '\0', "failed (code %d) without a message", err.code);
        if (opt.model == NULL || err.code != TM_ENOENT)
            FUZZ_CHECK(strncmp(err.message, BODY_NAME ": ", sizeof(BODY_NAME ": ") - 1) == 0,
                       "the error does not name the body: %s", err.message);
        again = tm_request_count(body, size, BODY_NAME, reg, &opt, &err2);
        FUZZ_CHECK(again == NULL && err2.code == err.code &&
                       strcmp(err.message, err2.message) == 0,
                   "a second count of a failing body differs: %s / %s", err.message,
                   err2.message);
        return 0;
    }
    text = tm_request_to_json(req);
    FUZZ_CHECK(text != NULL, "tm_request_to_json failed");
    check_result(req, text);

    again = tm_request_count(body, size, BODY_NAME, reg, &opt, &err2);
    FUZZ_CHECK(again != NULL, "a second count failed: %s", err2.message);
    text2 = tm_request_to_json(again);
    FUZZ_CHECK(text2 != NULL && strcmp(text, text2) == 0, "a second count differs");
    free(text2);
    free(text);
    tm_request_free(again);
    tm_request_free(req);
    return 0;
}
