/*
 * OpenAI request bodies: Chat Completions, Responses, legacy Completions
 * and Embeddings.
 *
 * Source [C]: the OpenAI cookbook, "How to count tokens with tiktoken",
 *   https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb
 *   (https://cookbook.openai.com/examples/how_to_count_tokens_with_tiktoken).
 *   Its num_tokens_from_messages: every message costs tokens_per_message (3)
 *   plus the tokens of each of its string values (role, content, name),
 *   plus tokens_per_name (1) when it has a name, and every reply is primed
 *   with 3 more (<|start|>assistant<|message|>); the API's own prompt_tokens
 *   match it for gpt-3.5-turbo, gpt-4-0613, gpt-4, gpt-4o and gpt-4o-mini
 *   (129, 129, 129, 124, 124 for its example). gpt-3.5-turbo-0301 used 4
 *   per message and -1 per name (the earlier revision of the notebook,
 *   127 for the same example). Its num_tokens_for_tools: per function
 *   func_init + tokens("name:description") (a final '.' dropped), then when
 *   it has properties prop_init, and per property prop_key +
 *   tokens("key:type:description") (final '.' dropped), and when the
 *   property has an enum, enum_init + per item enum_item + tokens(item);
 *   func_end once after all functions. Constants: gpt-4o and gpt-4o-mini
 *   7/3/3/-3/3/12, gpt-3.5-turbo and gpt-4 10/3/3/-3/3/12; the API's
 *   prompt_tokens match (105, 105, 101, 101 for its weather example).
 * Source [V]: API-reported prompt_tokens for one user message of five words
 *   and a 128x64 image, per model (gpt-4.1 and gpt-4.5-preview report the
 *   same 97 / 267 as gpt-4o):
 *   https://community.openai.com/t/vision-more-than-one-way-to-send-a-request-undocumented-and-different-pricing-realized/1262691
 *
 * Everything the cookbook does not cover (tool calls, tool results,
 * multi-part text, the Responses API, other models' framing, schema
 * keywords beyond type/description/enum) is counted by the nearest rule and
 * recorded as an approximation; what cannot be counted from the body
 * (audio, files, images by URL, built-in tools) is recorded as unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request/request_int.h"

/* The cookbook's constants for one model ([C]). */
struct chat_profile {
    int per_message;          /* tokens_per_message */
    int per_name;             /* tokens_per_name */
    int priming;              /* every reply is primed with 3 tokens */
    bool messages_confirmed;  /* API counts match the framing for this model */
    int func_init, prop_init, prop_key, enum_init, enum_item, func_end;
    bool tools_confirmed;     /* API counts match the tool formula */
};

static bool is_openai(const struct tm__rq *q)
{
    return q->res->provider != NULL && strcmp(q->res->provider, "openai") == 0;
}

static void chat_profile(const struct tm__rq *q, struct chat_profile *p)
{
    const char *m = q->res->model;

    /* Default: the gpt-4o constants, not confirmed for this model. */
    *p = (struct chat_profile){3, 1, 3, false, 7, 3, 3, -3, 3, 12, false};
    if (!is_openai(q))
        return;
    if (tm__rq_prefix(m, "ft:"))
        m += 3;
    if (tm__rq_prefix(m, "gpt-3.5-turbo-0301") || tm__rq_prefix(m, "gpt-35-turbo-0301")) {
        /* [C], earlier revision: "every message follows
         * <|start|>{role/name}\n{content}<|end|>\n"; "if there's a name,
         * the role is omitted". */
        p->per_message = 4;
        p->per_name = -1;
        p->messages_confirmed = true;
        p->func_init = 10;
    } else if (tm__rq_prefix(m, "gpt-3.5") || tm__rq_prefix(m, "gpt-35")) {
        p->messages_confirmed = true;
        p->func_init = 10;
        p->tools_confirmed = true;
    } else if (tm__rq_prefix(m, "gpt-4o") || tm__rq_prefix(m, "chatgpt-4o")) {
        p->messages_confirmed = true;
        p->tools_confirmed = true;
    } else if (tm__rq_prefix(m, "gpt-4") && !tm__rq_prefix(m, "gpt-4.")) {
        p->messages_confirmed = true;
        p->func_init = 10;
        p->tools_confirmed = true;
    } else if ((tm__rq_prefix(m, "gpt-4.1") || tm__rq_prefix(m, "gpt-4.5")) &&
               !tm__rq_prefix(m, "gpt-4.1-mini") && !tm__rq_prefix(m, "gpt-4.1-nano")) {
        /* [V]: API-reported counts for a one-message request (text and an
         * image) on gpt-4.1 and gpt-4.5-preview equal gpt-4o's, framing
         * included; their tool constants are not confirmed. */
        p->messages_confirmed = true;
    }
}

/* Request-level notes on the framing for models [C] does not cover. */
static int framing_notes(struct tm__rq *q, const struct chat_profile *p)
{
    int rc = TM_OK;

    if (!is_openai(q))
        rc = tm__rq_approx(q, true, "%s models render chat messages with their own "
                           "chat template, which tokenmeter does not model: OpenAI's "
                           "framing (3 per message, 1 per name, 3 to prime the reply) "
                           "is counted instead", q->res->provider);
    else if (!p->messages_confirmed)
        rc = tm__rq_approx(q, true, "the OpenAI cookbook's framing (3 per message, 1 "
                           "per name, 3 to prime the reply) is confirmed by API counts "
                           "for gpt-3.5-turbo, gpt-4, gpt-4o, gpt-4.1 and gpt-4.5 only; "
                           "assumed for %s",
                           q->res->model);
    return rc;
}

/* ---- shared counting helpers ---- */

/* The required string member `key` of obj (at the current path): its
 * tokens are added to *tokens. */
static int count_member(struct tm__rq *q, const json_t *obj, const char *key,
                        uint64_t *tokens)
{
    json_t *v;
    uint64_t n;
    int rc;

    if ((rc = tm__rq_member(q, obj, key, TM__J_STRING, true, &v)) ||
        (rc = tm__rq_json_text(q, v, &n)))
        return rc;
    *tokens += n;
    return TM_OK;
}

/* A call at the current path: obj has only the `fields` (what names it in
 * the message), a "name" and an args_key ("arguments" or "input") string,
 * both counted as text into *tokens. */
static int count_call(struct tm__rq *q, const json_t *obj, const char *const *fields,
                      const char *what, const char *args_key, uint64_t *tokens)
{
    int rc;

    if ((rc = tm__rq_known_fields(q, obj, fields, what)) ||
        (rc = count_member(q, obj, "name", tokens)) ||
        (rc = count_member(q, obj, args_key, tokens)))
        return rc;
    return TM_OK;
}

/* "Unknown KEY": fail at PATH.key with `unknown WHAT "VALUE"`, followed by
 * " (known: KNOWN)" when known is not NULL; the value is quoted as a
 * snippet (tm__rq_snippet). */
static int fail_unknown(struct tm__rq *q, const char *key, const char *what,
                        const char *value, const char *known)
{
    char v[48];

    tm__rq_snippet(value, v, sizeof(v));
    tm__rq_path_key(q, key);
    return tm__rq_fail(q, "unknown %s \"%s\"%s%s%s", what, v, known ? " (known: " : "",
                       known ? known : "", known ? ")" : "");
}

/* A message made of a role's text and one string (a Responses body's
 * "instructions" or string "input"), framed per message. */
static int string_message(struct tm__rq *q, const struct chat_profile *p, const char *role,
                          const char *role_text, const json_t *text)
{
    struct tm__rq_message m = {.role = role, .framing = p->per_message};
    uint64_t r, n;
    int rc;

    if ((rc = tm__rq_text(q, role_text, strlen(role_text), &r)) ||
        (rc = tm__rq_json_text(q, text, &n)))
        return rc;
    m.text = r + n;
    return tm__rq_add_message(q, &m);
}

/* The tool record once the definitions are counted: `defs` definitions
 * costing `total` (func_end added when there is any, negative totals
 * clamped to 0). */
static int finish_tools(struct tm__rq *q, const struct chat_profile *p, size_t defs,
                        int64_t total)
{
    if (defs > 0)
        total += p->func_end;
    return tm__rq_set_tools(q, defs, total < 0 ? 0 : (uint64_t)total,
                            json_pack("{s:i, s:i}", "per_function", p->func_init,
                                      "end", defs > 0 ? p->func_end : 0));
}

/* ---- tool definitions ([C] num_tokens_for_tools) ---- */

/* Tokens of a..b..c joined, with a final '.' of the last part dropped as
 * [C] does for descriptions. */
static int count_line(struct tm__rq *q, const char *const *parts, const size_t *lens,
                      size_t n, uint64_t *tokens)
{
    size_t total = 0, o = 0;
    char *line;
    int rc;

    for (size_t i = 0; i < n; i++)
        total += lens[i] + 1;
    line = malloc(total + 1);
    if (line == NULL)
        return tm__rq_fail_code(q, TM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t len = lens[i];
        if (i == n - 1 && len > 0 && parts[i][len - 1] == '.')
            len--;
        if (i > 0)
            line[o++] = ':';
        memcpy(line + o, parts[i], len);
        o += len;
    }
    rc = tm__rq_text(q, line, o, tokens);
    free(line);
    return rc;
}

/* The text of a JSON value for the formula: a string as is, anything else
 * as compact JSON (malloc'd in *own). */
static int value_text(struct tm__rq *q, const json_t *v, const char **s, size_t *len,
                      char **own)
{
    *own = NULL;
    if (json_is_string(v)) {
        *s = json_string_value(v);
        *len = json_string_length(v);
        return TM_OK;
    }
    *own = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (*own == NULL)
        return tm__rq_fail_code(q, TM_ENOMEM, "out of memory");
    *s = *own;
    *len = strlen(*own);
    return TM_OK;
}

static int cookbook_property(struct tm__rq *q, const struct chat_profile *p,
                             const char *key, const json_t *prop, int64_t *tokens)
{
    static const char *const covered[] = {"type", "description", "enum", NULL};
    json_t *type, *desc, *enumv, *v;
    const char *parts[3], *k;
    size_t lens[3];
    char *own = NULL;
    uint64_t n;
    int rc;

    if (!json_is_object(prop))
        return tm__rq_fail(q, "expected a JSON schema object, got %s", tm__rq_kind(prop));
    *tokens += p->prop_key;
    if ((rc = tm__rq_member(q, prop, "description", TM__J_STRING, false, &desc)) ||
        (rc = tm__rq_member(q, prop, "enum", TM__J_ARRAY, false, &enumv)))
        return rc;
    type = json_object_get(prop, "type");
    if (enumv != NULL) {
        size_t saved = tm__rq_path_key(q, "enum"), i;
        *tokens += p->enum_init;
        json_array_foreach(enumv, i, v) {
            const char *s;
            size_t len;
            size_t s2 = tm__rq_path_index(q, i);
            *tokens += p->enum_item;
            if (!json_is_string(v) &&
                (rc = tm__rq_approx(q, false, "an enum value that is not a string: "
                                    "counted as its JSON text")) != TM_OK)
                return rc;
            rc = value_text(q, v, &s, &len, &own);
            if (rc == TM_OK)
                rc = tm__rq_text(q, s, len, &n);
            free(own);
            own = NULL;
            if (rc != TM_OK)
                return rc;
            *tokens += (int64_t)n;
            tm__rq_path_restore(q, s2);
        }
        tm__rq_path_restore(q, saved);
    }
    if (type == NULL || !json_is_string(type)) {
        if ((rc = tm__rq_approx(q, false, "%s", type == NULL
                                ? "a property without \"type\": the cookbook formula "
                                  "has one; counted as empty"
                                : "a property whose \"type\" is not a string: counted "
                                  "as its JSON text")) != TM_OK)
            return rc;
    }
    if (desc == NULL &&
        (rc = tm__rq_approx(q, false, "a property without \"description\": the cookbook "
                            "formula has one; counted as empty")) != TM_OK)
        return rc;
    json_object_foreach((json_t *)prop, k, v) {
        bool ok = false;
        for (int i = 0; covered[i] && !ok; i++)
            ok = strcmp(covered[i], k) == 0;
        if (!ok) {
            char kw[48];
            rc = tm__rq_approx(q, false, "schema keywords other than type, description and "
                               "enum (here \"%s\") are not in the cookbook formula and "
                               "are not counted", tm__rq_snippet(k, kw, sizeof(kw)));
            if (rc != TM_OK)
                return rc;
            break;
        }
    }
    parts[0] = key;
    lens[0] = strlen(key);
    if (type == NULL) {
        parts[1] = "";
        lens[1] = 0;
    } else if ((rc = value_text(q, type, &parts[1], &lens[1], &own)) != TM_OK) {
        return rc;
    }
    parts[2] = desc ? json_string_value(desc) : "";
    lens[2] = desc ? json_string_length(desc) : 0;
    rc = count_line(q, parts, lens, 3, &n);
    free(own);
    if (rc == TM_OK)
        *tokens += (int64_t)n;
    return rc;
}

/* One function definition {name, description, parameters, strict} at the
 * current path. OUT: *tokens added (func_end excluded). */
static int cookbook_function(struct tm__rq *q, const struct chat_profile *p,
                             const json_t *fn, const char *const *known, int64_t *tokens)
{
    json_t *name, *desc, *params, *props = NULL, *strict, *v;
    const char *parts[2], *key;
    size_t lens[2];
    uint64_t n;
    int rc;

    if ((rc = tm__rq_known_fields(q, fn, known, "a function definition")) ||
        (rc = tm__rq_member(q, fn, "name", TM__J_STRING, true, &name)) ||
        (rc = tm__rq_member(q, fn, "description", TM__J_STRING, false, &desc)) ||
        (rc = tm__rq_member(q, fn, "parameters", TM__J_OBJECT, false, &params)) ||
        (rc = tm__rq_member(q, fn, "strict", TM__J_BOOL | TM__J_NULL, false, &strict)))
        return rc;
    *tokens = p->func_init;
    if (desc == NULL &&
        (rc = tm__rq_approx(q, false, "a function without \"description\": the cookbook "
                            "formula has one; counted as empty")) != TM_OK)
        return rc;
    parts[0] = json_string_value(name);
    lens[0] = json_string_length(name);
    parts[1] = desc ? json_string_value(desc) : "";
    lens[1] = desc ? json_string_length(desc) : 0;
    if ((rc = count_line(q, parts, lens, 2, &n)) != TM_OK)
        return rc;
    *tokens += (int64_t)n;
    if (params == NULL)
        return TM_OK;
    {
        size_t saved = tm__rq_path_key(q, "parameters");
        if ((rc = tm__rq_member(q, params, "properties", TM__J_OBJECT, false, &props)) != TM_OK)
            return rc;
        if (props != NULL && json_object_size(props) > 0) {
            size_t s2 = tm__rq_path_key(q, "properties");
            *tokens += p->prop_init;
            json_object_foreach(props, key, v) {
                size_t s3 = tm__rq_path_key(q, key);
                json_t *nested;
                rc = cookbook_property(q, p, key, v, tokens);
                if (rc == TM_OK && json_is_object(v) &&
                    ((nested = json_object_get(v, "properties")) != NULL ||
                     (nested = json_object_get(v, "items")) != NULL ||
                     (nested = json_object_get(v, "anyOf")) != NULL))
                    rc = tm__rq_approx(q, false, "a nested schema: the cookbook formula "
                                       "covers flat properties; nested fields are not "
                                       "counted");
                if (rc != TM_OK)
                    return rc;
                tm__rq_path_restore(q, s3);
            }
            tm__rq_path_restore(q, s2);
        }
        tm__rq_path_restore(q, saved);
    }
    return TM_OK;
}

/* ---- content ---- */

/* Which content part types a role may send. */
enum {
    PART_TEXT = 1, PART_IMAGE = 2, PART_AUDIO = 4, PART_FILE = 8, PART_REFUSAL = 16,
};

struct part_totals {
    uint64_t text, images;
    size_t n_text;
};

/* A text-like part at the current path (`what` names it): only `fields`,
 * and its `key` string counted as one more text part. */
static int text_part(struct tm__rq *q, const json_t *part, const char *const *fields,
                     const char *what, const char *key, struct part_totals *t)
{
    int rc;

    if ((rc = tm__rq_known_fields(q, part, fields, what)) ||
        (rc = count_member(q, part, key, &t->text)))
        return rc;
    t->n_text++;
    return TM_OK;
}

/* An image's optional "detail" member (NULL when absent): "low", "high" or
 * "auto". OUT: *detail_s, its value or NULL. */
static int image_detail(struct tm__rq *q, const json_t *detail, const char **detail_s)
{
    *detail_s = NULL;
    if (detail == NULL)
        return TM_OK;
    *detail_s = json_string_value(detail);
    if (strcmp(*detail_s, "low") != 0 && strcmp(*detail_s, "high") != 0 &&
        strcmp(*detail_s, "auto") != 0) {
        tm__rq_path_key(q, "detail");
        return tm__rq_fail(q, "expected \"low\", \"high\" or \"auto\"");
    }
    return TM_OK;
}

/* Audio and file inputs, which no formula counts (at the current path). */
static int unknown_audio(struct tm__rq *q)
{
    return tm__rq_unknown(q, "audio", "audio input is billed as audio tokens, which "
                          "depend on the audio's length; tokenmeter does not decode "
                          "audio");
}

static int unknown_file(struct tm__rq *q)
{
    return tm__rq_unknown(q, "file", "a file (PDF) is billed as its extracted text and "
                          "page images, which tokenmeter does not count");
}

static int chat_image_part(struct tm__rq *q, const json_t *part, uint64_t *tokens)
{
    static const char *const fields[] = {"type", "image_url", NULL};
    static const char *const image_fields[] = {"url", "detail", NULL};
    json_t *image, *url, *detail;
    const char *detail_s = NULL;
    struct tm__image img;
    size_t saved;
    int rc;

    if ((rc = tm__rq_known_fields(q, part, fields, "an image_url part")) ||
        (rc = tm__rq_member(q, part, "image_url", TM__J_OBJECT, true, &image)))
        return rc;
    saved = tm__rq_path_key(q, "image_url");
    if ((rc = tm__rq_known_fields(q, image, image_fields, "image_url")) ||
        (rc = tm__rq_member(q, image, "url", TM__J_STRING, true, &url)) ||
        (rc = tm__rq_member(q, image, "detail", TM__J_STRING, false, &detail)) ||
        (rc = image_detail(q, detail, &detail_s)))
        return rc;
    {
        size_t s2 = tm__rq_path_key(q, "url");
        rc = tm__rq_image_url(q, json_string_value(url), json_string_length(url), &img);
        tm__rq_path_restore(q, s2);
        if (rc != TM_OK)
            return rc;
    }
    tm__rq_path_restore(q, saved);
    return tm__rq_openai_image(q, &img, detail_s,
                               tm__image_why_unknown(json_string_value(url),
                                                     json_string_length(url)),
                               tokens);
}

/* Fields of text and refusal parts (Chat Completions). */
static const char *const text_fields[] = {"type", "text", NULL};
static const char *const refusal_fields[] = {"type", "refusal", NULL};

/* One part of a content array at the current path. */
static int chat_part(struct tm__rq *q, const json_t *part, unsigned allowed,
                     const char *role, struct part_totals *t)
{
    const char *type;
    json_t *v;
    uint64_t n;
    int rc;

    if (!json_is_object(part))
        return tm__rq_fail(q, "expected a content part object, got %s", tm__rq_kind(part));
    if ((rc = tm__rq_type(q, part, &type)) != TM_OK)
        return rc;
    if (strcmp(type, "text") == 0 && (allowed & PART_TEXT))
        return text_part(q, part, text_fields, "a text part", "text", t);
    if (strcmp(type, "refusal") == 0 && (allowed & PART_REFUSAL))
        return text_part(q, part, refusal_fields, "a refusal part", "refusal", t);
    if (strcmp(type, "image_url") == 0 && (allowed & PART_IMAGE)) {
        rc = chat_image_part(q, part, &n);
        t->images += n;
        return rc;
    }
    if (strcmp(type, "input_audio") == 0 && (allowed & PART_AUDIO)) {
        static const char *const fields[] = {"type", "input_audio", NULL};
        if ((rc = tm__rq_known_fields(q, part, fields, "an input_audio part")) ||
            (rc = tm__rq_member(q, part, "input_audio", TM__J_OBJECT, true, &v)))
            return rc;
        return unknown_audio(q);
    }
    if (strcmp(type, "file") == 0 && (allowed & PART_FILE)) {
        static const char *const fields[] = {"type", "file", NULL};
        if ((rc = tm__rq_known_fields(q, part, fields, "a file part")) ||
            (rc = tm__rq_member(q, part, "file", TM__J_OBJECT, true, &v)))
            return rc;
        return unknown_file(q);
    }
    {
        static const char *const all[] = {"text", "image_url", "input_audio", "file",
                                          "refusal", NULL};
        bool known = false;
        char t2[48];
        size_t i;
        for (i = 0; all[i] && !known; i++)
            known = strcmp(all[i], type) == 0;
        if (!known)
            return fail_unknown(q, "type", "content part type", type, NULL);
        tm__rq_path_key(q, "type");
        tm__rq_snippet(type, t2, sizeof(t2));
        return tm__rq_fail(q, "content part type \"%s\" is not allowed in a %s message",
                           t2, role);
    }
}

/* A message's "content" (at the current message path): a string, or an
 * array of parts. */
static int chat_content(struct tm__rq *q, const json_t *content, unsigned allowed,
                        const char *role, struct part_totals *t)
{
    size_t saved = tm__rq_path_key(q, "content"), i;
    const json_t *part;
    int rc = TM_OK;

    if (json_is_string(content)) {
        uint64_t n;
        rc = tm__rq_json_text(q, content, &n);
        t->text += n;
        t->n_text++;
    } else if (json_is_array(content)) {
        if (json_array_size(content) == 0)
            rc = tm__rq_fail(q, "the array is empty");
        json_array_foreach(content, i, part) {
            size_t s2;
            if (rc != TM_OK)
                break;
            s2 = tm__rq_path_index(q, i);
            rc = chat_part(q, part, allowed, role, t);
            tm__rq_path_restore(q, s2);
        }
        if (rc == TM_OK && t->n_text > 1)
            rc = tm__rq_approx(q, false, "several text parts: each is counted on its own; "
                               "OpenAI does not publish how parts are joined");
    }
    tm__rq_path_restore(q, saved);
    return rc;
}

/* ---- chat completions ---- */

static const char *const chat_roles[] = {"system", "developer", "user", "assistant",
                                         "tool", "function", NULL};

/* An assistant's tool_calls / function_call: the name and argument text of
 * each call. */
static int chat_tool_calls(struct tm__rq *q, const json_t *msg, uint64_t *tokens)
{
    static const char *const ffields[] = {"name", "arguments", NULL};
    json_t *calls, *fcall, *call, *fn;
    size_t i, saved;
    int rc;

    if ((rc = tm__rq_member(q, msg, "tool_calls", TM__J_ARRAY | TM__J_NULL, false, &calls)) ||
        (rc = tm__rq_member(q, msg, "function_call", TM__J_OBJECT | TM__J_NULL, false, &fcall)))
        return rc;
    if (json_is_array(calls)) {
        saved = tm__rq_path_key(q, "tool_calls");
        json_array_foreach(calls, i, call) {
            static const char *const fields[] = {"id", "type", "function", "custom", NULL};
            const char *type;
            size_t s2 = tm__rq_path_index(q, i);
            json_t *id;
            if (!json_is_object(call))
                return tm__rq_fail(q, "expected a tool call object, got %s",
                                   tm__rq_kind(call));
            if ((rc = tm__rq_known_fields(q, call, fields, "a tool call")) ||
                (rc = tm__rq_member(q, call, "id", TM__J_STRING, true, &id)) ||
                (rc = tm__rq_type(q, call, &type)))
                return rc;
            if (strcmp(type, "function") == 0 || strcmp(type, "custom") == 0) {
                static const char *const cfields[] = {"name", "input", NULL};
                bool custom = type[0] == 'c';
                size_t s3;
                if ((rc = tm__rq_member(q, call, type, TM__J_OBJECT, true, &fn)) != TM_OK)
                    return rc;
                s3 = tm__rq_path_key(q, type);
                if ((rc = count_call(q, fn, custom ? cfields : ffields,
                                     custom ? "a custom tool call" : "a function call",
                                     custom ? "input" : "arguments", tokens)))
                    return rc;
                tm__rq_path_restore(q, s3);
            } else {
                return fail_unknown(q, "type", "tool call type", type, "function, custom");
            }
            tm__rq_path_restore(q, s2);
        }
        if (json_array_size(calls) > 0 &&
            (rc = tm__rq_approx(q, false, "tool calls: counted as the name and argument "
                                "text of each call; OpenAI publishes no formula for "
                                "them")) != TM_OK)
            return rc;
        tm__rq_path_restore(q, saved);
    }
    if (json_is_object(fcall)) {
        saved = tm__rq_path_key(q, "function_call");
        if ((rc = count_call(q, fcall, ffields, "a function call", "arguments", tokens)))
            return rc;
        if ((rc = tm__rq_approx(q, false, "function_call: counted as its name and argument "
                                "text; OpenAI publishes no formula for it")) != TM_OK)
            return rc;
        tm__rq_path_restore(q, saved);
    }
    return TM_OK;
}

static int chat_message(struct tm__rq *q, const struct chat_profile *p, const json_t *msg)
{
    static const char *const f_system[] = {"role", "content", "name", NULL};
    static const char *const f_assistant[] = {"role", "content", "name", "tool_calls",
                                              "function_call", "refusal", "audio", NULL};
    static const char *const f_tool[] = {"role", "content", "tool_call_id", NULL};
    struct tm__rq_message m = {0};
    struct part_totals t = {0};
    json_t *role_v, *content, *name, *v;
    const char *role = NULL;
    unsigned allowed;
    bool assistant, tool, function;
    uint64_t n;
    int rc;

    if (!json_is_object(msg))
        return tm__rq_fail(q, "expected a message object, got %s", tm__rq_kind(msg));
    if ((rc = tm__rq_member(q, msg, "role", TM__J_STRING, true, &role_v)) != TM_OK)
        return rc;
    for (int i = 0; chat_roles[i]; i++)
        if (strcmp(chat_roles[i], json_string_value(role_v)) == 0)
            role = chat_roles[i];
    if (role == NULL)
        return fail_unknown(q, "role", "role", json_string_value(role_v),
                            "system, developer, user, assistant, tool, function");
    assistant = strcmp(role, "assistant") == 0;
    tool = strcmp(role, "tool") == 0;
    function = strcmp(role, "function") == 0;
    {
        char what[40];
        snprintf(what, sizeof(what), "a %s message", role);
        rc = tm__rq_known_fields(q, msg, assistant ? f_assistant : tool ? f_tool : f_system,
                                 what);
        if (rc != TM_OK)
            return rc;
    }
    m.role = role;
    m.framing = p->per_message;
    if ((rc = tm__rq_text(q, role, strlen(role), &n)) != TM_OK)
        return rc;
    m.text += n;

    if ((rc = tm__rq_member(q, msg, "name", TM__J_STRING, function, &name)) != TM_OK)
        return rc;
    if (name != NULL) {
        if ((rc = tm__rq_json_text(q, name, &n)) != TM_OK)
            return rc;
        m.text += n;
        m.framing += p->per_name;
    }

    allowed = strcmp(role, "user") == 0 ? PART_TEXT | PART_IMAGE | PART_AUDIO | PART_FILE
              : assistant                ? PART_TEXT | PART_REFUSAL
                                         : PART_TEXT;
    if ((rc = tm__rq_member(q, msg, "content",
                            TM__J_STRING | TM__J_ARRAY |
                                (assistant || function ? TM__J_NULL : 0),
                            !assistant, &content)) != TM_OK)
        return rc;
    if (content != NULL && (rc = chat_content(q, content, allowed, role, &t)) != TM_OK)
        return rc;
    m.text += t.text;
    m.images += t.images;

    if (assistant) {
        json_t *calls = json_object_get(msg, "tool_calls");
        json_t *fcall = json_object_get(msg, "function_call");
        json_t *audio;
        if ((rc = chat_tool_calls(q, msg, &m.tool_calls)) != TM_OK)
            return rc;
        if ((rc = tm__rq_member(q, msg, "refusal", TM__J_STRING | TM__J_NULL, false, &v)))
            return rc;
        if (json_is_string(v)) {
            size_t saved = tm__rq_path_key(q, "refusal");
            if ((rc = tm__rq_json_text(q, v, &n)) ||
                (rc = tm__rq_approx(q, false, "refusal: counted as text; OpenAI "
                                    "publishes no formula for it")))
                return rc;
            m.text += n;
            tm__rq_path_restore(q, saved);
        }
        if ((rc = tm__rq_member(q, msg, "audio", TM__J_OBJECT | TM__J_NULL, false, &audio)))
            return rc;
        if (json_is_object(audio)) {
            size_t saved = tm__rq_path_key(q, "audio");
            if ((rc = tm__rq_unknown(q, "audio", "an earlier audio reply (by id) is billed "
                                     "as audio tokens, which tokenmeter cannot count")))
                return rc;
            tm__rq_path_restore(q, saved);
        }
        if (json_is_null(content) || content == NULL) {
            if (!json_is_array(calls) && !json_is_object(fcall) && !json_is_object(audio)) {
                tm__rq_path_key(q, "content");
                return tm__rq_fail(q, "missing (an assistant message needs content, "
                                   "tool_calls, function_call or audio)");
            }
        }
    }
    if (tool) {
        if ((rc = tm__rq_member(q, msg, "tool_call_id", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_approx(q, false, "a tool result: framed like other messages, its "
                                "tool_call_id not counted; OpenAI publishes no formula for "
                                "tool results")))
            return rc;
    }
    if (function &&
        (rc = tm__rq_approx(q, false, "a function result: framed like other messages; "
                            "OpenAI publishes no formula for function results")))
        return rc;
    return tm__rq_add_message(q, &m);
}

/* "tools" and the legacy "functions" of a chat body. */
static int chat_tools(struct tm__rq *q, const struct chat_profile *p, const json_t *body)
{
    static const char *const fn_fields[] = {"name", "description", "parameters",
                                            "strict", NULL};
    json_t *tools, *functions, *tool, *fn;
    int64_t total = 0, t;
    size_t i, defs = 0, saved;
    int rc;

    if ((rc = tm__rq_member(q, body, "tools", TM__J_ARRAY | TM__J_NULL, false, &tools)) ||
        (rc = tm__rq_member(q, body, "functions", TM__J_ARRAY | TM__J_NULL, false,
                            &functions)))
        return rc;
    if (json_is_array(tools)) {
        saved = tm__rq_path_key(q, "tools");
        json_array_foreach(tools, i, tool) {
            static const char *const f_fn[] = {"type", "function", NULL};
            const char *type;
            size_t s2 = tm__rq_path_index(q, i);
            if (!json_is_object(tool))
                return tm__rq_fail(q, "expected a tool object, got %s", tm__rq_kind(tool));
            if ((rc = tm__rq_type(q, tool, &type)) != TM_OK)
                return rc;
            if (strcmp(type, "function") == 0) {
                if ((rc = tm__rq_known_fields(q, tool, f_fn, "a function tool")) ||
                    (rc = tm__rq_member(q, tool, "function", TM__J_OBJECT, true, &fn)))
                    return rc;
                tm__rq_path_key(q, "function");
                if ((rc = cookbook_function(q, p, fn, fn_fields, &t)) != TM_OK)
                    return rc;
                total += t;
                defs++;
            } else if (strcmp(type, "custom") == 0) {
                if ((rc = tm__rq_unknown(q, "tool", "a custom tool: OpenAI does not publish "
                                         "how its definition is rendered into the "
                                         "prompt")))
                    return rc;
            } else {
                return fail_unknown(q, "type", "tool type", type, "function, custom");
            }
            tm__rq_path_restore(q, s2);
        }
        tm__rq_path_restore(q, saved);
    }
    if (json_is_array(functions)) {
        saved = tm__rq_path_key(q, "functions");
        json_array_foreach(functions, i, fn) {
            size_t s2 = tm__rq_path_index(q, i);
            if (!json_is_object(fn))
                return tm__rq_fail(q, "expected a function object, got %s",
                                   tm__rq_kind(fn));
            if ((rc = cookbook_function(q, p, fn, fn_fields, &t)) != TM_OK)
                return rc;
            total += t;
            defs++;
            tm__rq_path_restore(q, s2);
        }
        if (json_array_size(functions) > 0 &&
            (rc = tm__rq_approx(q, false, "the legacy functions parameter: counted with "
                                "the cookbook's tools formula")))
            return rc;
        tm__rq_path_restore(q, saved);
    }
    if (defs > 0 && !p->tools_confirmed) {
        saved = tm__rq_path_key(q, "tools");
        rc = tm__rq_approx(q, false, "the OpenAI cookbook's tool-definition constants "
                           "are confirmed by API counts for gpt-3.5-turbo, gpt-4, "
                           "gpt-4o and gpt-4o-mini only; the gpt-4o constants are "
                           "assumed for %s", q->res->model);
        tm__rq_path_restore(q, saved);
        if (rc != TM_OK)
            return rc;
    }
    return finish_tools(q, p, defs, total);
}

/* response_format json_schema adds the schema to the prompt, unpublished. */
static int response_format(struct tm__rq *q, const json_t *fmt)
{
    json_t *type;

    if (!json_is_object(fmt))
        return TM_OK;
    type = json_object_get(fmt, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "json_schema") == 0)
        return tm__rq_unknown(q, "response_format", "a JSON schema response format adds "
                              "the schema to the prompt in a form OpenAI does not "
                              "publish");
    return TM_OK;
}

int tm__rq_chat(struct tm__rq *q, const json_t *body)
{
    struct chat_profile p;
    json_t *messages, *msg, *fmt;
    size_t i, saved;
    int rc;

    chat_profile(q, &p);
    if ((rc = tm__rq_member(q, body, "messages", TM__J_ARRAY, true, &messages)) ||
        (rc = framing_notes(q, &p)))
        return rc;
    saved = tm__rq_path_key(q, "messages");
    if (json_array_size(messages) == 0)
        return tm__rq_fail(q, "the array is empty (a request has at least one message)");
    json_array_foreach(messages, i, msg) {
        size_t s2 = tm__rq_path_index(q, i);
        if ((rc = chat_message(q, &p, msg)) != TM_OK)
            return rc;
        tm__rq_path_restore(q, s2);
    }
    tm__rq_path_restore(q, saved);
    if ((rc = chat_tools(q, &p, body)) != TM_OK)
        return rc;
    if ((rc = tm__rq_member(q, body, "response_format", TM__J_OBJECT | TM__J_NULL, false,
                            &fmt)) != TM_OK)
        return rc;
    saved = tm__rq_path_key(q, "response_format");
    rc = response_format(q, fmt);
    tm__rq_path_restore(q, saved);
    if (rc != TM_OK)
        return rc;
    /* [C]: "every reply is primed with <|start|>assistant<|message|>". */
    return tm__rq_set_priming(q, (uint64_t)p.priming);
}

/* ---- responses ---- */

static int responses_image(struct tm__rq *q, const json_t *part, uint64_t *tokens)
{
    static const char *const fields[] = {"type", "image_url", "file_id", "detail", NULL};
    json_t *url, *file_id, *detail;
    const char *detail_s = NULL;
    struct tm__image img = {0};
    int rc;

    if ((rc = tm__rq_known_fields(q, part, fields, "an input_image part")) ||
        (rc = tm__rq_member(q, part, "image_url", TM__J_STRING | TM__J_NULL, false, &url)) ||
        (rc = tm__rq_member(q, part, "file_id", TM__J_STRING | TM__J_NULL, false, &file_id)) ||
        (rc = tm__rq_member(q, part, "detail", TM__J_STRING, false, &detail)) ||
        (rc = image_detail(q, detail, &detail_s)))
        return rc;
    if (!json_is_string(url) && !json_is_string(file_id))
        return tm__rq_fail(q, "an input_image needs image_url or file_id");
    if (json_is_string(url)) {
        size_t saved = tm__rq_path_key(q, "image_url");
        rc = tm__rq_image_url(q, json_string_value(url), json_string_length(url), &img);
        tm__rq_path_restore(q, saved);
        if (rc != TM_OK)
            return rc;
    }
    return tm__rq_openai_image(q, &img, detail_s,
                               json_is_string(url)
                                   ? tm__image_why_unknown(json_string_value(url),
                                                           json_string_length(url))
                                   : tm__image_why_unknown(NULL, 0),
                               tokens);
}

/* One part of a Responses message's content. */
static int responses_part(struct tm__rq *q, const json_t *part, struct part_totals *t)
{
    static const char *const in_fields[] = {"type", "text", NULL};
    static const char *const out_fields[] = {"type", "text", "annotations", "logprobs", NULL};
    const char *type;
    uint64_t n;
    int rc;

    if (!json_is_object(part))
        return tm__rq_fail(q, "expected a content part object, got %s", tm__rq_kind(part));
    if ((rc = tm__rq_type(q, part, &type)) != TM_OK)
        return rc;
    if (strcmp(type, "input_text") == 0 || strcmp(type, "output_text") == 0)
        return text_part(q, part, type[0] == 'i' ? in_fields : out_fields, "a text part",
                         "text", t);
    if (strcmp(type, "refusal") == 0)
        return text_part(q, part, refusal_fields, "a refusal part", "refusal", t);
    if (strcmp(type, "input_image") == 0) {
        rc = responses_image(q, part, &n);
        t->images += n;
        return rc;
    }
    if (strcmp(type, "input_file") == 0)
        return unknown_file(q);
    if (strcmp(type, "input_audio") == 0)
        return unknown_audio(q);
    return fail_unknown(q, "type", "content part type", type,
                        "input_text, input_image, input_file, input_audio, output_text, "
                        "refusal");
}

/* Every part of an array of Responses content parts (at the current path). */
static int responses_parts(struct tm__rq *q, const json_t *parts, struct part_totals *t)
{
    const json_t *part;
    size_t i;
    int rc;

    json_array_foreach(parts, i, part) {
        size_t s2 = tm__rq_path_index(q, i);
        if ((rc = responses_part(q, part, t)) != TM_OK)
            return rc;
        tm__rq_path_restore(q, s2);
    }
    return TM_OK;
}

static int responses_content(struct tm__rq *q, const json_t *content, struct part_totals *t)
{
    int rc = TM_OK;

    if (json_is_string(content)) {
        uint64_t n;
        size_t saved = tm__rq_path_key(q, "content");
        rc = tm__rq_json_text(q, content, &n);
        t->text += n;
        tm__rq_path_restore(q, saved);
        return rc;
    }
    {
        size_t saved = tm__rq_path_key(q, "content");
        if ((rc = responses_parts(q, content, t)) != TM_OK)
            return rc;
        if (t->n_text > 1)
            rc = tm__rq_approx(q, false, "several text parts: each is counted on its own; "
                               "OpenAI does not publish how parts are joined");
        tm__rq_path_restore(q, saved);
    }
    return rc;
}

/* Item types the Responses API accepts that tokenmeter cannot count. */
static const char *const responses_uncounted[] = {
    "reasoning", "item_reference", "web_search_call", "file_search_call",
    "computer_call", "computer_call_output", "code_interpreter_call",
    "image_generation_call", "local_shell_call", "local_shell_call_output",
    "mcp_list_tools", "mcp_approval_request", "mcp_approval_response", "mcp_call",
    "custom_tool_call", "custom_tool_call_output", NULL,
};

static int responses_item(struct tm__rq *q, const struct chat_profile *p, const json_t *item)
{
    json_t *type_v, *v;
    const char *type;
    uint64_t n;
    int rc;

    if (!json_is_object(item))
        return tm__rq_fail(q, "expected an input item object, got %s", tm__rq_kind(item));
    if ((rc = tm__rq_member(q, item, "type", TM__J_STRING, false, &type_v)) != TM_OK)
        return rc;
    type = type_v ? json_string_value(type_v) : "message";
    if (strcmp(type, "message") == 0) {
        static const char *const fields[] = {"type", "role", "content", "id", "status",
                                             NULL};
        static const char *const roles[] = {"user", "assistant", "system", "developer",
                                            NULL};
        struct tm__rq_message m = {0};
        struct part_totals t = {0};
        json_t *role, *content;
        if ((rc = tm__rq_known_fields(q, item, fields, "a message item")) ||
            (rc = tm__rq_member(q, item, "role", TM__J_STRING, true, &role)) ||
            (rc = tm__rq_member(q, item, "content", TM__J_STRING | TM__J_ARRAY, true,
                                &content)))
            return rc;
        for (int i = 0; roles[i]; i++)
            if (strcmp(roles[i], json_string_value(role)) == 0)
                m.role = roles[i];
        if (m.role == NULL)
            return fail_unknown(q, "role", "role", json_string_value(role),
                                "user, assistant, system, developer");
        m.framing = p->per_message;
        if ((rc = tm__rq_text(q, m.role, strlen(m.role), &n)) ||
            (rc = responses_content(q, content, &t)))
            return rc;
        m.text = n + t.text;
        m.images = t.images;
        return tm__rq_add_message(q, &m);
    }
    if (strcmp(type, "function_call") == 0) {
        static const char *const fields[] = {"type", "id", "call_id", "name", "arguments",
                                             "status", NULL};
        struct tm__rq_message m = {.role = "function_call"};
        if ((rc = tm__rq_known_fields(q, item, fields, "a function_call item")) ||
            (rc = tm__rq_member(q, item, "call_id", TM__J_STRING, true, &v)) ||
            (rc = count_member(q, item, "name", &m.tool_calls)) ||
            (rc = count_member(q, item, "arguments", &m.tool_calls)) ||
            (rc = tm__rq_approx(q, false, "a function call: counted as its name and "
                                "argument text; OpenAI publishes no formula for it")))
            return rc;
        return tm__rq_add_message(q, &m);
    }
    if (strcmp(type, "function_call_output") == 0) {
        static const char *const fields[] = {"type", "id", "call_id", "output", "status",
                                             NULL};
        struct tm__rq_message m = {.role = "function_call_output"};
        struct part_totals t = {0};
        json_t *output;
        if ((rc = tm__rq_known_fields(q, item, fields, "a function_call_output item")) ||
            (rc = tm__rq_member(q, item, "call_id", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_member(q, item, "output", TM__J_STRING | TM__J_ARRAY, true,
                                &output)))
            return rc;
        m.framing = p->per_message;
        if (json_is_string(output)) {
            size_t saved = tm__rq_path_key(q, "output");
            rc = tm__rq_json_text(q, output, &t.text);
            tm__rq_path_restore(q, saved);
        } else {
            size_t saved = tm__rq_path_key(q, "output");
            if ((rc = responses_parts(q, output, &t)) != TM_OK)
                return rc;
            tm__rq_path_restore(q, saved);
        }
        if (rc != TM_OK || (rc = tm__rq_text(q, "tool", 4, &n)) != TM_OK ||
            (rc = tm__rq_approx(q, false, "a function call output: framed like a tool "
                                "message; OpenAI publishes no formula for it")))
            return rc;
        m.text = n + t.text;
        m.images = t.images;
        return tm__rq_add_message(q, &m);
    }
    for (int i = 0; responses_uncounted[i]; i++)
        if (strcmp(responses_uncounted[i], type) == 0)
            return tm__rq_unknown(q, type, "a %s item: its prompt tokens cannot be "
                                  "counted from the request body", type);
    return fail_unknown(q, "type", "input item type", type, NULL);
}

static int responses_tools(struct tm__rq *q, const struct chat_profile *p, const json_t *body)
{
    static const char *const fn_fields[] = {"type", "name", "description", "parameters",
                                            "strict", NULL};
    json_t *tools, *tool;
    int64_t total = 0, t;
    size_t i, defs = 0, saved;
    int rc;

    if ((rc = tm__rq_member(q, body, "tools", TM__J_ARRAY | TM__J_NULL, false, &tools)))
        return rc;
    if (json_is_array(tools)) {
        saved = tm__rq_path_key(q, "tools");
        json_array_foreach(tools, i, tool) {
            const char *type;
            size_t s2 = tm__rq_path_index(q, i);
            if (!json_is_object(tool))
                return tm__rq_fail(q, "expected a tool object, got %s", tm__rq_kind(tool));
            if ((rc = tm__rq_type(q, tool, &type)) != TM_OK)
                return rc;
            if (strcmp(type, "function") == 0) {
                if ((rc = cookbook_function(q, p, tool, fn_fields, &t)) != TM_OK)
                    return rc;
                total += t;
                defs++;
            } else {
                char t2[48];
                rc = tm__rq_unknown(q, "tool", "a built-in or custom tool (\"%s\"): the "
                                    "prompt tokens it adds are not published",
                                    tm__rq_snippet(type, t2, sizeof(t2)));
                if (rc != TM_OK)
                    return rc;
            }
            tm__rq_path_restore(q, s2);
        }
        tm__rq_path_restore(q, saved);
    }
    return finish_tools(q, p, defs, total);
}

int tm__rq_responses(struct tm__rq *q, const json_t *body)
{
    struct chat_profile p;
    json_t *instructions, *input, *prev, *conv, *text;
    size_t saved, i;
    int rc;

    chat_profile(q, &p);
    if ((rc = tm__rq_approx(q, true, "OpenAI publishes no token formula for the Responses "
                            "API: the OpenAI cookbook's Chat Completions formula is "
                            "applied to the instructions and input items")) ||
        (rc = framing_notes(q, &p)))
        return rc;
    if ((rc = tm__rq_member(q, body, "instructions", TM__J_STRING | TM__J_NULL, false,
                            &instructions)) ||
        (rc = tm__rq_member(q, body, "previous_response_id", TM__J_STRING | TM__J_NULL, false,
                            &prev)) ||
        (rc = tm__rq_member(q, body, "conversation", TM__J_STRING | TM__J_OBJECT | TM__J_NULL,
                            false, &conv)) ||
        (rc = tm__rq_member(q, body, "input", TM__J_STRING | TM__J_ARRAY,
                            !json_is_string(prev) && (conv == NULL || json_is_null(conv)),
                            &input)))
        return rc;
    if (json_is_string(instructions)) {
        saved = tm__rq_path_key(q, "instructions");
        if ((rc = string_message(q, &p, "instructions", "system", instructions)) != TM_OK)
            return rc;
        tm__rq_path_restore(q, saved);
    }
    if (json_is_string(prev) || (conv != NULL && !json_is_null(conv))) {
        saved = tm__rq_path_key(q, json_is_string(prev) ? "previous_response_id"
                                                        : "conversation");
        rc = tm__rq_unknown(q, "conversation", "the earlier turns it refers to are billed "
                            "as input but are not in this body");
        tm__rq_path_restore(q, saved);
        if (rc != TM_OK)
            return rc;
    }
    saved = tm__rq_path_key(q, "input");
    if (json_is_string(input)) {
        if ((rc = string_message(q, &p, "user", "user", input)) != TM_OK)
            return rc;
    } else if (json_is_array(input)) {
        const json_t *item;
        json_array_foreach(input, i, item) {
            size_t s2 = tm__rq_path_index(q, i);
            if ((rc = responses_item(q, &p, item)) != TM_OK)
                return rc;
            tm__rq_path_restore(q, s2);
        }
    }
    tm__rq_path_restore(q, saved);
    if ((rc = responses_tools(q, &p, body)) != TM_OK)
        return rc;
    if ((rc = tm__rq_member(q, body, "text", TM__J_OBJECT | TM__J_NULL, false, &text)))
        return rc;
    if (json_is_object(text)) {
        saved = tm__rq_path_key(q, "text");
        rc = response_format(q, json_object_get(text, "format"));
        tm__rq_path_restore(q, saved);
        if (rc != TM_OK)
            return rc;
    }
    return tm__rq_set_priming(q, (uint64_t)p.priming);
}

/* ---- completions and embeddings ---- */

/* One token array at the current path: every id must be in the vocabulary.
 * OUT: *tokens, its length. */
static int token_array(struct tm__rq *q, const json_t *arr, uint64_t *tokens)
{
    uint32_t n_vocab = tm_encoding_n_vocab(q->enc);
    const json_t *v;
    size_t i;

    json_array_foreach(arr, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) >= (json_int_t)n_vocab) {
            tm__rq_path_index(q, i);
            if (!json_is_integer(v))
                return tm__rq_fail(q, "expected a token id (an integer), got %s",
                                   tm__rq_kind(v));
            return tm__rq_fail(q, "token id %lld is not in %s's vocabulary (0 to %u)",
                               (long long)json_integer_value(v), tm_encoding_name(q->enc),
                               n_vocab - 1);
        }
    }
    *tokens = json_array_size(arr);
    return TM_OK;
}

/* "prompt" / "input": a string, an array of strings, a token array, or an
 * array of token arrays. Every string or token array is one input. */
static int text_or_tokens(struct tm__rq *q, const json_t *body, const char *field)
{
    json_t *v, *e;
    size_t saved, i;
    uint64_t n;
    int rc;

    if ((rc = tm__rq_member(q, body, field, TM__J_STRING | TM__J_ARRAY, true, &v)))
        return rc;
    saved = tm__rq_path_key(q, field);
    if (json_is_string(v)) {
        if ((rc = tm__rq_json_text(q, v, &n)) || (rc = tm__rq_add_input(q, "text", n)))
            return rc;
    } else if (json_array_size(v) == 0) {
        return tm__rq_fail(q, "the array is empty");
    } else if (json_is_integer(json_array_get(v, 0))) {
        if ((rc = token_array(q, v, &n)) || (rc = tm__rq_add_input(q, "token ids", n)))
            return rc;
    } else {
        bool strings = json_is_string(json_array_get(v, 0));
        if (!strings && !json_is_array(json_array_get(v, 0))) {
            tm__rq_path_index(q, 0);
            return tm__rq_fail(q, "expected a string, a token id or a token array, got %s",
                               tm__rq_kind(json_array_get(v, 0)));
        }
        json_array_foreach(v, i, e) {
            size_t s2 = tm__rq_path_index(q, i);
            if (strings && json_is_string(e)) {
                rc = tm__rq_json_text(q, e, &n);
                if (rc == TM_OK)
                    rc = tm__rq_add_input(q, "text", n);
            } else if (!strings && json_is_array(e)) {
                if (json_array_size(e) == 0)
                    rc = tm__rq_fail(q, "the token array is empty");
                else
                    rc = token_array(q, e, &n);
                if (rc == TM_OK)
                    rc = tm__rq_add_input(q, "token ids", n);
            } else {
                rc = tm__rq_fail(q, "expected %s like the array's first element, got %s",
                                 strings ? "a string" : "a token array", tm__rq_kind(e));
            }
            if (rc != TM_OK)
                return rc;
            tm__rq_path_restore(q, s2);
        }
    }
    tm__rq_path_restore(q, saved);
    return TM_OK;
}

int tm__rq_completions(struct tm__rq *q, const json_t *body)
{
    json_t *suffix;
    uint64_t n;
    int rc;

    /* The legacy Completions API bills the prompt's tokens, nothing more:
     * there is no message framing. */
    if ((rc = text_or_tokens(q, body, "prompt")) ||
        (rc = tm__rq_member(q, body, "suffix", TM__J_STRING | TM__J_NULL, false, &suffix)))
        return rc;
    if (json_is_string(suffix)) {
        size_t saved = tm__rq_path_key(q, "suffix");
        if ((rc = tm__rq_json_text(q, suffix, &n)) ||
            (rc = tm__rq_add_input(q, "suffix", n)) ||
            (rc = tm__rq_approx(q, false, "suffix: counted as text; how the insertion "
                                "prompt is assembled is not published")))
            return rc;
        tm__rq_path_restore(q, saved);
    }
    return TM_OK;
}

int tm__rq_embeddings(struct tm__rq *q, const json_t *body)
{
    /* Embeddings bill the input's tokens (each string or token array). */
    return text_or_tokens(q, body, "input");
}
