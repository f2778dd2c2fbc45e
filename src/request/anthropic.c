/*
 * Anthropic Messages request bodies (/v1/messages). Every count is an
 * estimate: Anthropic publishes no tokenizer for current Claude models and
 * no message framing, so text is counted with the registry's approximating
 * tokenizer and framing is not counted; the gateway relies on the usage the
 * API reports (or its count_tokens endpoint).
 *
 * What is published and used:
 *  [T] the tool-use system prompt Anthropic adds whenever tools are given,
 *      by model and tool_choice: Claude 3 Opus 530 (auto) / 281 (any,
 *      tool), Claude 3 Sonnet 159 / 235, Claude 3 Haiku 264 / 340, read at
 *      https://docs.anthropic.com/en/docs/tool-use-pricing-and-tokens ; for
 *      current models 346 (auto, none) / 313 (any, tool), the figures of
 *      the current table at
 *      https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing
 *      (restated at https://claudecodeguides.com/claude-tool-definitions-346-tokens-per-call/).
 *  [A1] image tokens = (width x height) / 750 (image.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request/request_int.h"

/* [T]: the tool-use system prompt for a model and tool_choice. */
static unsigned tool_system_prompt(const char *model, bool forced)
{
    if (tm__rq_prefix(model, "claude-3-opus"))
        return forced ? 281 : 530;
    if (tm__rq_prefix(model, "claude-3-sonnet"))
        return forced ? 235 : 159;
    if (tm__rq_prefix(model, "claude-3-haiku"))
        return forced ? 340 : 264;
    return forced ? 313 : 346;
}

/* Content block types the API accepts that tokenmeter cannot count. */
static const char *const uncounted_blocks[] = {
    "document", "thinking", "redacted_thinking", "server_tool_use",
    "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
    "bash_code_execution_tool_result", "text_editor_code_execution_tool_result",
    "mcp_tool_use", "mcp_tool_result", "container_upload", "search_result", NULL,
};

static int json_text(struct tm__rq *q, const json_t *v, uint64_t *n)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    int rc;

    if (text == NULL)
        return tm__rq_fail_code(q, TM_ENOMEM, "out of memory");
    rc = tm__rq_text(q, text, strlen(text), n);
    free(text);
    return rc;
}

static int image_block(struct tm__rq *q, const json_t *block, uint64_t *tokens)
{
    static const char *const fields[] = {"type", "source", "cache_control", NULL};
    static const char *const media[] = {"image/jpeg", "image/png", "image/gif",
                                        "image/webp", NULL};
    struct tm__image img = {0};
    json_t *source, *v;
    const char *type;
    size_t saved;
    int rc;

    if ((rc = tm__rq_known_fields(q, block, fields, "an image block")) ||
        (rc = tm__rq_member(q, block, "source", TM__J_OBJECT, true, &source)))
        return rc;
    saved = tm__rq_path_key(q, "source");
    if ((rc = tm__rq_type(q, source, &type)) != TM_OK)
        return rc;
    if (strcmp(type, "base64") == 0) {
        static const char *const sf[] = {"type", "media_type", "data", NULL};
        bool ok = false;
        if ((rc = tm__rq_known_fields(q, source, sf, "a base64 image source")) ||
            (rc = tm__rq_member(q, source, "media_type", TM__J_STRING, true, &v)))
            return rc;
        for (int i = 0; media[i] && !ok; i++)
            ok = strcmp(media[i], json_string_value(v)) == 0;
        if (!ok) {
            tm__rq_path_key(q, "media_type");
            return tm__rq_fail(q, "expected image/jpeg, image/png, image/gif or "
                               "image/webp");
        }
        if ((rc = tm__rq_member(q, source, "data", TM__J_STRING, true, &v)) != TM_OK)
            return rc;
        tm__rq_path_key(q, "data");
        rc = tm__rq_image_base64(q, json_string_value(v), json_string_length(v), &img);
        if (rc != TM_OK)
            return rc;
    } else if (strcmp(type, "url") == 0 || strcmp(type, "file") == 0) {
        if ((rc = tm__rq_member(q, source, type[0] == 'u' ? "url" : "file_id", TM__J_STRING,
                                true, &v)))
            return rc;
    } else {
        char t2[48];
        tm__rq_snippet(type, t2, sizeof(t2));
        tm__rq_path_key(q, "type");
        return tm__rq_fail(q, "unknown image source type \"%s\" (known: base64, url, file)",
                           t2);
    }
    tm__rq_path_restore(q, saved);
    return tm__rq_anthropic_image(q, &img,
                                  strcmp(type, "base64") == 0
                                      ? tm__image_why_unknown("data:", 5)
                                  : strcmp(type, "url") == 0
                                      ? tm__image_why_unknown("", 0)
                                      : tm__image_why_unknown(NULL, 0),
                                  tokens);
}

struct block_totals {
    uint64_t text, tool_calls, images;
};

static int content_blocks(struct tm__rq *q, const json_t *blocks, bool in_tool_result,
                          struct block_totals *t);

/* One content block at the current path. */
static int content_block(struct tm__rq *q, const json_t *block, bool in_tool_result,
                         struct block_totals *t)
{
    const char *type;
    json_t *v;
    uint64_t n;
    int rc;

    if (!json_is_object(block))
        return tm__rq_fail(q, "expected a content block object, got %s",
                           tm__rq_kind(block));
    if ((rc = tm__rq_type(q, block, &type)) != TM_OK)
        return rc;
    if (strcmp(type, "text") == 0) {
        static const char *const fields[] = {"type", "text", "cache_control", "citations",
                                             NULL};
        if ((rc = tm__rq_known_fields(q, block, fields, "a text block")) ||
            (rc = tm__rq_member(q, block, "text", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_json_text(q, v, &n)))
            return rc;
        t->text += n;
        return TM_OK;
    }
    if (strcmp(type, "image") == 0) {
        rc = image_block(q, block, &n);
        t->images += n;
        return rc;
    }
    if (strcmp(type, "tool_use") == 0 && !in_tool_result) {
        static const char *const fields[] = {"type", "id", "name", "input", "cache_control",
                                             NULL};
        json_t *input;
        if ((rc = tm__rq_known_fields(q, block, fields, "a tool_use block")) ||
            (rc = tm__rq_member(q, block, "id", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_member(q, block, "name", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_json_text(q, v, &n)) ||
            (rc = tm__rq_member(q, block, "input", TM__J_OBJECT, true, &input)))
            return rc;
        t->tool_calls += n;
        if ((rc = json_text(q, input, &n)) != TM_OK)
            return rc;
        t->tool_calls += n;
        return TM_OK;
    }
    if (strcmp(type, "tool_result") == 0 && !in_tool_result) {
        static const char *const fields[] = {"type", "tool_use_id", "content", "is_error",
                                             "cache_control", NULL};
        json_t *content;
        if ((rc = tm__rq_known_fields(q, block, fields, "a tool_result block")) ||
            (rc = tm__rq_member(q, block, "tool_use_id", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_member(q, block, "is_error", TM__J_BOOL, false, &v)) ||
            (rc = tm__rq_member(q, block, "content", TM__J_STRING | TM__J_ARRAY, false,
                                &content)))
            return rc;
        if (json_is_string(content)) {
            size_t saved = tm__rq_path_key(q, "content");
            rc = tm__rq_json_text(q, content, &n);
            tm__rq_path_restore(q, saved);
            t->text += n;
            return rc;
        }
        if (json_is_array(content)) {
            size_t saved = tm__rq_path_key(q, "content");
            rc = content_blocks(q, content, true, t);
            tm__rq_path_restore(q, saved);
        }
        return rc;
    }
    for (int i = 0; uncounted_blocks[i]; i++)
        if (strcmp(uncounted_blocks[i], type) == 0)
            return tm__rq_unknown(q, type, "a %s block: its prompt tokens cannot be "
                                  "counted from the request body", type);
    {
        char t2[48];
        tm__rq_snippet(type, t2, sizeof(t2));
        tm__rq_path_key(q, "type");
        if (in_tool_result && (strcmp(type, "tool_use") == 0 || strcmp(type, "tool_result") == 0))
            return tm__rq_fail(q, "a %s block cannot appear inside a tool_result", t2);
        return tm__rq_fail(q, "unknown content block type \"%s\"", t2);
    }
}

static int content_blocks(struct tm__rq *q, const json_t *blocks, bool in_tool_result,
                          struct block_totals *t)
{
    const json_t *b;
    size_t i;
    int rc;

    json_array_foreach(blocks, i, b) {
        size_t saved = tm__rq_path_index(q, i);
        if ((rc = content_block(q, b, in_tool_result, t)) != TM_OK)
            return rc;
        tm__rq_path_restore(q, saved);
    }
    return TM_OK;
}

static int system_prompt(struct tm__rq *q, const json_t *body)
{
    struct tm__rq_message m = {.role = "system"};
    struct block_totals t = {0};
    json_t *system;
    size_t saved, i;
    const json_t *b;
    int rc;

    if ((rc = tm__rq_member(q, body, "system", TM__J_STRING | TM__J_ARRAY, false, &system)) ||
        system == NULL)
        return rc;
    saved = tm__rq_path_key(q, "system");
    if (json_is_string(system)) {
        if ((rc = tm__rq_json_text(q, system, &t.text)) != TM_OK)
            return rc;
    } else {
        json_array_foreach(system, i, b) {
            static const char *const fields[] = {"type", "text", "cache_control",
                                                 "citations", NULL};
            const char *type;
            json_t *v;
            uint64_t n;
            size_t s2 = tm__rq_path_index(q, i);
            if (!json_is_object(b))
                return tm__rq_fail(q, "expected a text block, got %s", tm__rq_kind(b));
            if ((rc = tm__rq_type(q, b, &type)) != TM_OK)
                return rc;
            if (strcmp(type, "text") != 0) {
                tm__rq_path_key(q, "type");
                return tm__rq_fail(q, "the system prompt takes only text blocks");
            }
            if ((rc = tm__rq_known_fields(q, b, fields, "a text block")) ||
                (rc = tm__rq_member(q, b, "text", TM__J_STRING, true, &v)) ||
                (rc = tm__rq_json_text(q, v, &n)))
                return rc;
            t.text += n;
            tm__rq_path_restore(q, s2);
        }
    }
    m.text = t.text;
    rc = tm__rq_add_message(q, &m);
    tm__rq_path_restore(q, saved);
    return rc;
}

static int message(struct tm__rq *q, const json_t *msg)
{
    static const char *const fields[] = {"role", "content", NULL};
    struct tm__rq_message m = {0};
    struct block_totals t = {0};
    json_t *role, *content;
    int rc;

    if (!json_is_object(msg))
        return tm__rq_fail(q, "expected a message object, got %s", tm__rq_kind(msg));
    if ((rc = tm__rq_member(q, msg, "role", TM__J_STRING, true, &role)) != TM_OK)
        return rc;
    if (strcmp(json_string_value(role), "user") == 0) {
        m.role = "user";
    } else if (strcmp(json_string_value(role), "assistant") == 0) {
        m.role = "assistant";
    } else {
        char r[48];
        tm__rq_snippet(json_string_value(role), r, sizeof(r));
        tm__rq_path_key(q, "role");
        return tm__rq_fail(q, "unknown role \"%s\" (known: user, assistant; the system "
                           "prompt goes in the top-level \"system\")", r);
    }
    if ((rc = tm__rq_known_fields(q, msg, fields, "a message")) ||
        (rc = tm__rq_member(q, msg, "content", TM__J_STRING | TM__J_ARRAY, true, &content)))
        return rc;
    {
        size_t saved = tm__rq_path_key(q, "content");
        if (json_is_string(content))
            rc = tm__rq_json_text(q, content, &t.text);
        else if (json_array_size(content) == 0)
            rc = tm__rq_fail(q, "the array is empty");
        else
            rc = content_blocks(q, content, false, &t);
        if (rc != TM_OK)
            return rc;
        tm__rq_path_restore(q, saved);
    }
    m.text = t.text;
    m.tool_calls = t.tool_calls;
    m.images = t.images;
    return tm__rq_add_message(q, &m);
}

static int tools(struct tm__rq *q, const json_t *body)
{
    static const char *const fields[] = {"type", "name", "description", "input_schema",
                                         "cache_control", NULL};
    json_t *tools, *choice, *tool, *v;
    uint64_t total = 0, n, overhead = 0;
    size_t i, defs = 0, saved;
    bool forced = false;
    int rc;

    if ((rc = tm__rq_member(q, body, "tools", TM__J_ARRAY, false, &tools)) ||
        (rc = tm__rq_member(q, body, "tool_choice", TM__J_OBJECT, false, &choice)))
        return rc;
    if (choice != NULL) {
        const char *type;
        saved = tm__rq_path_key(q, "tool_choice");
        if ((rc = tm__rq_type(q, choice, &type)) != TM_OK)
            return rc;
        if (strcmp(type, "any") == 0 || strcmp(type, "tool") == 0) {
            forced = true;
        } else if (strcmp(type, "auto") != 0 && strcmp(type, "none") != 0) {
            tm__rq_path_key(q, "type");
            return tm__rq_fail(q, "expected \"auto\", \"any\", \"tool\" or \"none\"");
        }
        tm__rq_path_restore(q, saved);
    }
    if (tools == NULL || json_array_size(tools) == 0)
        return tm__rq_set_tools(q, 0, 0, NULL);
    saved = tm__rq_path_key(q, "tools");
    json_array_foreach(tools, i, tool) {
        size_t s2 = tm__rq_path_index(q, i);
        json_t *type, *schema;
        if (!json_is_object(tool))
            return tm__rq_fail(q, "expected a tool object, got %s", tm__rq_kind(tool));
        if ((rc = tm__rq_member(q, tool, "type", TM__J_STRING | TM__J_NULL, false, &type)))
            return rc;
        if (json_is_string(type) && strcmp(json_string_value(type), "custom") != 0) {
            /* A server or Anthropic-defined tool (web_search_..., bash_...). */
            char t2[48];
            rc = tm__rq_unknown(q, "tool", "an Anthropic-defined tool (\"%s\"): the prompt "
                                "tokens it adds are not published",
                                tm__rq_snippet(json_string_value(type), t2, sizeof(t2)));
            if (rc != TM_OK)
                return rc;
            tm__rq_path_restore(q, s2);
            continue;
        }
        if ((rc = tm__rq_known_fields(q, tool, fields, "a custom tool")) ||
            (rc = tm__rq_member(q, tool, "name", TM__J_STRING, true, &v)) ||
            (rc = tm__rq_json_text(q, v, &n)))
            return rc;
        total += n;
        if ((rc = tm__rq_member(q, tool, "description", TM__J_STRING, false, &v)))
            return rc;
        if (v != NULL) {
            if ((rc = tm__rq_json_text(q, v, &n)) != TM_OK)
                return rc;
            total += n;
        }
        if ((rc = tm__rq_member(q, tool, "input_schema", TM__J_OBJECT, true, &schema)) ||
            (rc = json_text(q, schema, &n)))
            return rc;
        total += n;
        defs++;
        tm__rq_path_restore(q, s2);
    }
    if ((rc = tm__rq_approx(q, false, "tool definitions: counted as the text of each "
                            "name, description and JSON input schema; Anthropic does not "
                            "publish how they are rendered")))
        return rc;
    tm__rq_path_restore(q, saved);
    /* [T]: the tool-use system prompt, once per request with tools. */
    overhead = tool_system_prompt(q->res->model, forced);
    return tm__rq_set_tools(q, defs, total + overhead,
                            json_pack("{s:I}", "tool_use_system_prompt",
                                      (json_int_t)overhead));
}

int tm__rq_anthropic(struct tm__rq *q, const json_t *body)
{
    json_t *messages, *msg;
    size_t i, saved;
    int rc;

    if ((rc = tm__rq_approx(q, true, "Anthropic publishes no message framing: the system "
                            "prompt, messages, tools and images are counted, the tokens "
                            "that frame them are not")))
        return rc;
    if ((rc = system_prompt(q, body)) != TM_OK)
        return rc;
    if ((rc = tm__rq_member(q, body, "messages", TM__J_ARRAY, true, &messages)) != TM_OK)
        return rc;
    saved = tm__rq_path_key(q, "messages");
    if (json_array_size(messages) == 0)
        return tm__rq_fail(q, "the array is empty (a request has at least one message)");
    json_array_foreach(messages, i, msg) {
        size_t s2 = tm__rq_path_index(q, i);
        if ((rc = message(q, msg)) != TM_OK)
            return rc;
        tm__rq_path_restore(q, s2);
    }
    tm__rq_path_restore(q, saved);
    return tools(q, body);
}
