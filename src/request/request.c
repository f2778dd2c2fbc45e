/*
 * Request-level counting (include/tokenmeter/request.h): model resolution,
 * choosing the API, the result object, and the helpers every API walker
 * uses (field paths, typed member access, counting, breakdown records).
 *
 * The result keeps the breakdown as a JSON tree (what tm_request_to_json
 * prints) next to flat C arrays of parts and notes (what a C caller reads).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request/request_int.h"

/* ---- names ---- */

static const char *const api_names[] = {
    [TM_REQUEST_API_AUTO] = "auto",
    [TM_REQUEST_API_CHAT] = "chat.completions",
    [TM_REQUEST_API_RESPONSES] = "responses",
    [TM_REQUEST_API_COMPLETIONS] = "completions",
    [TM_REQUEST_API_EMBEDDINGS] = "embeddings",
    [TM_REQUEST_API_ANTHROPIC] = "anthropic.messages",
};

const char *tm_request_api_name(enum tm_request_api api)
{
    if ((unsigned)api < sizeof(api_names) / sizeof(api_names[0]))
        return api_names[api];
    return "unknown";
}

int tm_request_api_from_name(const char *name)
{
    static const struct { const char *name; enum tm_request_api api; } aliases[] = {
        {"auto", TM_REQUEST_API_AUTO},
        {"chat", TM_REQUEST_API_CHAT},
        {"chat.completions", TM_REQUEST_API_CHAT},
        {"responses", TM_REQUEST_API_RESPONSES},
        {"completions", TM_REQUEST_API_COMPLETIONS},
        {"embeddings", TM_REQUEST_API_EMBEDDINGS},
        {"anthropic", TM_REQUEST_API_ANTHROPIC},
        {"anthropic.messages", TM_REQUEST_API_ANTHROPIC},
        {"messages", TM_REQUEST_API_ANTHROPIC},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(aliases[i].name, name) == 0)
            return (int)aliases[i].api;
    return -1;
}

bool tm__rq_prefix(const char *s, const char *prefix)
{
    for (; *prefix; prefix++, s++) {
        int a = (unsigned char)*s, b = (unsigned char)*prefix;
        if (a >= 'A' && a <= 'Z')
            a += 'a' - 'A';
        if (b >= 'A' && b <= 'Z')
            b += 'a' - 'A';
        if (a != b)
            return false;
    }
    return true;
}

/* ---- model resolution ---- */

int tm_request_resolve_model(const tm_registry *reg, const char *model,
                             struct tm_model_resolution *out, struct tm_error *err)
{
    const struct tm_model_info *e = reg ? tm_registry_lookup(reg, model) : NULL;
    const char *enc;

    memset(out, 0, sizeof(*out));
    out->model = model;
    if (e != NULL) {
        out->tokenizer = e->tokenizer;
        out->provider = e->provider;
        out->family = e->family;
        out->estimate = e->estimate;
        out->entry = e;
        return TM_OK;
    }
    /* OpenAI names the registry does not list (older snapshots, fine-tunes,
     * legacy completion models) follow tiktoken's own table. */
    enc = tm_model_encoding(model);
    if (enc != NULL) {
        out->tokenizer = enc;
        out->provider = "openai";
        return TM_OK;
    }
    return tm_error_set(err, TM_ENOENT,
                        "unknown model '%s': not in the model registry%s%s%s nor "
                        "an OpenAI model name tiktoken knows; 'tokenmeter models' "
                        "lists the known models", model, reg ? " (" : "",
                        reg ? tm_registry_path(reg) : "", reg ? ")" : "");
}

/* ---- field paths ---- */

static void path_append(struct tm__rq *q, const char *s)
{
    size_t n = strlen(s);

    if (q->path_len + n >= sizeof(q->path) - 4) {
        /* Keep the path bounded; mark the cut once. */
        if (q->path_len < sizeof(q->path) - 4) {
            memcpy(q->path + q->path_len, "...", 4);
            q->path_len += 3;
        }
        return;
    }
    memcpy(q->path + q->path_len, s, n + 1);
    q->path_len += n;
}

size_t tm__rq_path_key(struct tm__rq *q, const char *key)
{
    size_t old = q->path_len;

    if (q->path_len > 0)
        path_append(q, ".");
    path_append(q, key);
    return old;
}

size_t tm__rq_path_index(struct tm__rq *q, size_t i)
{
    char buf[32];
    size_t old = q->path_len;

    snprintf(buf, sizeof(buf), "[%zu]", i);
    path_append(q, buf);
    return old;
}

void tm__rq_path_restore(struct tm__rq *q, size_t len)
{
    q->path_len = len;
    q->path[len] = '\0';
}

/* ---- errors and typed access ---- */

int tm__rq_fail(struct tm__rq *q, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (q->path_len > 0)
        return tm_error_set(q->err, TM_EINVAL, "%s: %s: %s", q->name, q->path, what);
    return tm_error_set(q->err, TM_EINVAL, "%s: %s", q->name, what);
}

int tm__rq_fail_code(struct tm__rq *q, int code, const char *what)
{
    if (q->path_len > 0)
        return tm_error_set(q->err, code, "%s: %s: %s", q->name, q->path, what);
    return tm_error_set(q->err, code, "%s: %s", q->name, what);
}

const char *tm__rq_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static unsigned kind_bit(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return TM__J_OBJECT;
    case JSON_ARRAY: return TM__J_ARRAY;
    case JSON_STRING: return TM__J_STRING;
    case JSON_INTEGER: return TM__J_INTEGER | TM__J_NUMBER;
    case JSON_REAL: return TM__J_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return TM__J_BOOL;
    case JSON_NULL: return TM__J_NULL;
    }
    return 0;
}

/* "a string or an array" for a type mask. */
static void describe_types(unsigned types, char *out, size_t cap)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {TM__J_STRING, "a string"}, {TM__J_ARRAY, "an array"},
        {TM__J_OBJECT, "an object"}, {TM__J_INTEGER, "an integer"},
        {TM__J_NUMBER, "a number"}, {TM__J_BOOL, "a boolean"}, {TM__J_NULL, "null"},
    };
    size_t n = 0, k = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (types & names[i].bit)
            n++;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(types & names[i].bit))
            continue;
        k++;
        strncat(out, k == 1 ? "" : k == n ? " or " : ", ", cap - strlen(out) - 1);
        strncat(out, names[i].name, cap - strlen(out) - 1);
    }
}

int tm__rq_member(struct tm__rq *q, const json_t *obj, const char *key,
                  unsigned types, bool required, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    size_t saved;
    int rc = TM_OK;

    *out = NULL;
    if (v == NULL) {
        if (!required)
            return TM_OK;
        saved = tm__rq_path_key(q, key);
        rc = tm__rq_fail(q, "missing");
        tm__rq_path_restore(q, saved);
        return rc;
    }
    if (!(kind_bit(v) & types)) {
        char want[120];
        describe_types(types, want, sizeof(want));
        saved = tm__rq_path_key(q, key);
        rc = tm__rq_fail(q, "expected %s, got %s", want, tm__rq_kind(v));
        tm__rq_path_restore(q, saved);
        return rc;
    }
    *out = v;
    return TM_OK;
}

const char *tm__rq_snippet(const char *s, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; s[i] && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    out[o] = '\0';
    return out;
}

int tm__rq_known_fields(struct tm__rq *q, const json_t *obj,
                        const char *const *known, const char *what)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strcmp(known[i], key) == 0;
        if (!ok) {
            char k[48];
            size_t saved;
            int rc;
            tm__rq_snippet(key, k, sizeof(k));
            saved = tm__rq_path_key(q, k);
            rc = tm__rq_fail(q, "unknown field for %s", what);
            tm__rq_path_restore(q, saved);
            return rc;
        }
    }
    return TM_OK;
}

int tm__rq_type(struct tm__rq *q, const json_t *obj, const char **type)
{
    json_t *t;
    int rc = tm__rq_member(q, obj, "type", TM__J_STRING, true, &t);

    if (rc == TM_OK)
        *type = json_string_value(t);
    return rc;
}

/* ---- counting and recording ---- */

int tm__rq_text(struct tm__rq *q, const char *text, size_t len, uint64_t *n)
{
    int rc = tm_encoding_count(q->enc, text, len, 0, n);

    if (rc != TM_OK)
        return tm__rq_fail_code(q, rc, tm_strerror(rc));
    return TM_OK;
}

int tm__rq_json_text(struct tm__rq *q, const json_t *s, uint64_t *n)
{
    return tm__rq_text(q, json_string_value(s), json_string_length(s), n);
}

static int oom(struct tm__rq *q)
{
    return tm_error_set(q->err, TM_ENOMEM, "%s: out of memory", q->name);
}

int tm__rq_part(struct tm__rq *q, const char *path, const char *what, uint64_t tokens)
{
    tm_request *r = q->out;
    struct tm_request_part *p;

    if (r->n_parts == r->cap_parts) {
        size_t cap = r->cap_parts ? r->cap_parts * 2 : 16;
        struct tm_request_part *np = realloc(r->parts, cap * sizeof(*np));
        if (np == NULL)
            return oom(q);
        r->parts = np;
        r->cap_parts = cap;
    }
    p = &r->parts[r->n_parts];
    p->path = strdup(path);
    p->what = strdup(what);
    p->tokens = tokens;
    if (p->path == NULL || p->what == NULL) {
        free((char *)p->path);
        free((char *)p->what);
        return oom(q);
    }
    r->n_parts++;
    r->prompt_tokens += tokens;
    return TM_OK;
}

static int add_note(struct tm__rq *q, enum tm_request_note_kind kind, const char *path,
                    const char *what, const char *reason)
{
    tm_request *r = q->out;
    struct tm_request_note *n;
    json_t *rec;

    for (size_t i = 0; i < r->n_notes; i++)
        if (r->notes[i].kind == kind && strcmp(r->notes[i].path, path) == 0 &&
            strcmp(r->notes[i].reason, reason) == 0)
            return TM_OK;
    if (r->n_notes == r->cap_notes) {
        size_t cap = r->cap_notes ? r->cap_notes * 2 : 8;
        struct tm_request_note *nn = realloc(r->notes, cap * sizeof(*nn));
        if (nn == NULL)
            return oom(q);
        r->notes = nn;
        r->cap_notes = cap;
    }
    n = &r->notes[r->n_notes];
    n->kind = kind;
    n->path = strdup(path);
    n->reason = strdup(reason);
    if (n->path == NULL || n->reason == NULL) {
        free((char *)n->path);
        free((char *)n->reason);
        return oom(q);
    }
    r->n_notes++;
    if (kind == TM_REQUEST_UNKNOWN)
        rec = json_pack("{s:s, s:s, s:s}", "path", path, "what", what, "reason", reason);
    else
        rec = json_pack("{s:s, s:s}", "path", path, "reason", reason);
    if (rec == NULL ||
        json_array_append_new(kind == TM_REQUEST_UNKNOWN ? q->unknown : q->approx, rec) != 0)
        return oom(q);
    return TM_OK;
}

int tm__rq_unknown(struct tm__rq *q, const char *what, const char *fmt, ...)
{
    char reason[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return add_note(q, TM_REQUEST_UNKNOWN, q->path, what, reason);
}

int tm__rq_approx(struct tm__rq *q, bool whole, const char *fmt, ...)
{
    char reason[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    return add_note(q, TM_REQUEST_APPROXIMATION, whole ? "" : q->path, "", reason);
}

int tm__rq_add_message(struct tm__rq *q, const struct tm__rq_message *m)
{
    int64_t total = m->framing + (int64_t)(m->text + m->tool_calls + m->images);
    json_t *rec;
    char what[64];

    if (total < 0)
        total = 0;
    rec = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", q->path, "role",
                    m->role, "tokens", (json_int_t)total, "framing",
                    (json_int_t)m->framing, "text", (json_int_t)m->text, "tool_calls",
                    (json_int_t)m->tool_calls, "images", (json_int_t)m->images);
    if (rec == NULL || json_array_append_new(q->messages, rec) != 0)
        return oom(q);
    snprintf(what, sizeof(what), "%s message", m->role);
    return tm__rq_part(q, q->path, what, (uint64_t)total);
}

int tm__rq_add_input(struct tm__rq *q, const char *what, uint64_t tokens)
{
    json_t *rec = json_pack("{s:s, s:s, s:I}", "path", q->path, "kind", what, "tokens",
                            (json_int_t)tokens);

    if (rec == NULL || json_array_append_new(q->inputs, rec) != 0)
        return oom(q);
    return tm__rq_part(q, q->path, what, tokens);
}

int tm__rq_set_tools(struct tm__rq *q, size_t count, uint64_t tokens, json_t *extra)
{
    json_t *rec = json_pack("{s:I, s:I}", "count", (json_int_t)count, "tokens",
                            (json_int_t)tokens);
    char what[64];

    if (rec != NULL && extra != NULL && json_object_update(rec, extra) != 0) {
        json_decref(rec);
        rec = NULL;
    }
    json_decref(extra);
    if (rec == NULL || json_object_set_new(q->out->breakdown, "tools", rec) != 0)
        return oom(q);
    if (count == 0 && tokens == 0)
        return TM_OK; /* no tools: nothing to show in the plain breakdown */
    snprintf(what, sizeof(what), "%zu tool definition%s", count, count == 1 ? "" : "s");
    return tm__rq_part(q, "tools", what, tokens);
}

int tm__rq_set_priming(struct tm__rq *q, uint64_t tokens)
{
    if (json_object_set_new(q->out->breakdown, "priming", json_integer((json_int_t)tokens)))
        return oom(q);
    return tm__rq_part(q, "priming", "reply priming", tokens);
}

/* ---- choosing the API ---- */

static bool name_has(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s; s++)
        if (tm__rq_prefix(s, needle))
            return true;
    return n == 0;
}

static int choose_api(struct tm__rq *q, const json_t *body, enum tm_request_api want,
                      enum tm_request_api *api)
{
    bool has_messages = json_object_get(body, "messages") != NULL;
    bool has_input = json_object_get(body, "input") != NULL;
    bool has_prompt = json_object_get(body, "prompt") != NULL;

    if (want != TM_REQUEST_API_AUTO) {
        *api = want;
        return TM_OK;
    }
    if ((int)has_messages + (int)has_input + (int)has_prompt > 1)
        return tm__rq_fail(q, "cannot tell which API the body is for: it has more than "
                           "one of \"messages\", \"input\" and \"prompt\" (name the API "
                           "explicitly)");
    if (has_messages) {
        bool anthropic = q->res->provider && strcmp(q->res->provider, "anthropic") == 0;
        *api = anthropic ? TM_REQUEST_API_ANTHROPIC : TM_REQUEST_API_CHAT;
        return TM_OK;
    }
    if (has_prompt) {
        *api = TM_REQUEST_API_COMPLETIONS;
        return TM_OK;
    }
    if (has_input) {
        bool embed = name_has(q->res->model, "embed") ||
                     json_object_get(body, "dimensions") != NULL ||
                     json_object_get(body, "encoding_format") != NULL;
        *api = embed ? TM_REQUEST_API_EMBEDDINGS : TM_REQUEST_API_RESPONSES;
        return TM_OK;
    }
    return tm__rq_fail(q, "cannot tell which API the body is for: it has none of "
                       "\"messages\" (chat completions, Anthropic messages), \"input\" "
                       "(responses, embeddings) or \"prompt\" (completions)");
}

/* ---- the entry point ---- */

static tm_request *request_new(void)
{
    tm_request *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->breakdown = json_object();
    if (r->breakdown == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

/* Create the breakdown's arrays and keep borrowed pointers to them. */
static int breakdown_init(struct tm__rq *q)
{
    json_t *b = q->out->breakdown;

    q->messages = json_array();
    q->inputs = json_array();
    q->images = json_array();
    q->unknown = json_array();
    q->approx = json_array();
    /* json_object_set_new takes the reference even on failure. */
    if (json_object_set_new(b, "api", json_string(tm_request_api_name(q->out->api))) ||
        json_object_set_new(b, "messages", q->messages) ||
        json_object_set_new(b, "inputs", q->inputs) ||
        json_object_set_new(b, "tools", json_pack("{s:i, s:i}", "count", 0, "tokens", 0)) ||
        json_object_set_new(b, "priming", json_integer(0)) ||
        json_object_set_new(b, "images", q->images) ||
        json_object_set_new(b, "unknown", q->unknown) ||
        json_object_set_new(b, "approximations", q->approx))
        return oom(q);
    return TM_OK;
}

tm_request *tm_request_count(const char *body, size_t len, const char *name,
                             const tm_registry *reg,
                             const struct tm_request_options *opt,
                             struct tm_error *err)
{
    static const struct tm_request_options defaults = {0};
    struct tm_model_resolution res;
    struct tm__rq q;
    json_error_t jerr;
    json_t *root = NULL, *model_field;
    tm_encoding *own_enc = NULL;
    tm_request *r = NULL;
    const char *model;
    int rc;

    if (opt == NULL)
        opt = &defaults;
    memset(&q, 0, sizeof(q));
    q.name = name;
    q.err = err;
    if (len > TM_REQUEST_MAX_BYTES) {
        tm_error_set(err, TM_ELIMIT, "%s: larger than the %u-byte limit for a request "
                     "body", name, TM_REQUEST_MAX_BYTES);
        return NULL;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        tm_error_set(err, TM_EINVAL, "%s: not valid JSON: line %d, column %d: %s", name,
                     jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        tm__rq_fail(&q, "expected a JSON object (an API request body), got %s",
                    tm__rq_kind(root));
        goto fail;
    }
    if (tm__rq_member(&q, root, "model", TM__J_STRING, opt->model == NULL,
                      &model_field) != TM_OK)
        goto fail;
    model = opt->model ? opt->model : json_string_value(model_field);
    if (tm_utf8_valid_prefix(model, strlen(model)) != strlen(model) ||
        strlen(model) != (opt->model ? strlen(model) : json_string_length(model_field))) {
        if (opt->model)
            tm_error_set(err, TM_EINVAL, "%s: the model name is not valid UTF-8 text", name);
        else
            tm__rq_fail(&q, "model: not a model name (holds a NUL character)");
        goto fail;
    }
    if (tm_request_resolve_model(reg, model, &res, err) != TM_OK) {
        if (opt->model == NULL) {
            char msg[TM_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof(msg), "%s", err ? err->message : "unknown model");
            tm_error_set(err, TM_ENOENT, "%s: model: %s", name, msg);
        }
        goto fail;
    }
    q.res = &res;
    r = q.out = request_new();
    if (r == NULL || (r->model = strdup(model)) == NULL ||
        (r->encoding = strdup(res.tokenizer)) == NULL) {
        oom(&q);
        goto fail;
    }
    if (choose_api(&q, root, opt->api, &r->api) != TM_OK || breakdown_init(&q) != TM_OK)
        goto fail;
    q.enc = opt->encoding;
    if (q.enc == NULL) {
        struct tm_error eerr = {0};
        own_enc = tm_encoding_open(res.tokenizer, &eerr);
        if (own_enc == NULL) {
            tm_error_set(err, eerr.code, "%s: model %s counts with tokenizer %s: %s", name,
                         model, res.tokenizer, eerr.message);
            goto fail;
        }
        q.enc = own_enc;
    }
    if (res.estimate &&
        tm__rq_approx(&q, true, "%s publishes no tokenizer for %s: text is counted with "
                      "%s, the model registry's approximation", res.provider, model,
                      res.tokenizer) != TM_OK)
        goto fail;
    switch (r->api) {
    case TM_REQUEST_API_CHAT: rc = tm__rq_chat(&q, root); break;
    case TM_REQUEST_API_RESPONSES: rc = tm__rq_responses(&q, root); break;
    case TM_REQUEST_API_COMPLETIONS: rc = tm__rq_completions(&q, root); break;
    case TM_REQUEST_API_EMBEDDINGS: rc = tm__rq_embeddings(&q, root); break;
    case TM_REQUEST_API_ANTHROPIC: rc = tm__rq_anthropic(&q, root); break;
    default: rc = tm__rq_fail(&q, "unsupported API"); break;
    }
    if (rc != TM_OK)
        goto fail;
    r->estimate = res.estimate || r->api == TM_REQUEST_API_ANTHROPIC || r->n_notes > 0;
    tm_encoding_free(own_enc);
    json_decref(root);
    return r;
fail:
    tm_encoding_free(own_enc);
    json_decref(root);
    tm_request_free(r);
    return NULL;
}

void tm_request_free(tm_request *req)
{
    if (req == NULL)
        return;
    for (size_t i = 0; i < req->n_parts; i++) {
        free((char *)req->parts[i].path);
        free((char *)req->parts[i].what);
    }
    for (size_t i = 0; i < req->n_notes; i++) {
        free((char *)req->notes[i].path);
        free((char *)req->notes[i].reason);
    }
    free(req->parts);
    free(req->notes);
    json_decref(req->breakdown);
    free(req->model);
    free(req->encoding);
    free(req);
}

uint64_t tm_request_prompt_tokens(const tm_request *req) { return req->prompt_tokens; }
bool tm_request_is_estimate(const tm_request *req) { return req->estimate; }
const char *tm_request_model(const tm_request *req) { return req->model; }
const char *tm_request_encoding(const tm_request *req) { return req->encoding; }
enum tm_request_api tm_request_api(const tm_request *req) { return req->api; }
size_t tm_request_part_count(const tm_request *req) { return req->n_parts; }
size_t tm_request_note_count(const tm_request *req) { return req->n_notes; }

const struct tm_request_part *tm_request_part(const tm_request *req, size_t i)
{
    return i < req->n_parts ? &req->parts[i] : NULL;
}

const struct tm_request_note *tm_request_note(const tm_request *req, size_t i)
{
    return i < req->n_notes ? &req->notes[i] : NULL;
}

char *tm_request_to_json(const tm_request *req)
{
    json_t *obj = json_pack("{s:s, s:s, s:I, s:b, s:O}", "model", req->model, "encoding",
                            req->encoding, "prompt_tokens",
                            (json_int_t)req->prompt_tokens, "estimate", req->estimate,
                            "breakdown", req->breakdown);
    char *text;

    if (obj == NULL)
        return NULL;
    text = json_dumps(obj, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(obj);
    return text;
}
