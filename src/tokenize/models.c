/*
 * OpenAI model names to encodings.
 *
 * Source: tiktoken's model table (tiktoken/model.py MODEL_TO_ENCODING and
 * MODEL_PREFIX_TO_ENCODING; npm tiktoken 1.0.22 model_to_encoding.json)
 * and OpenAI's model pages for the families added since (gpt-4.1, gpt-4.5,
 * gpt-5, o3, o4 use o200k_base; gpt-oss uses o200k_harmony).
 * Prefixes are tried in order, so a longer prefix is listed before a
 * shorter one it extends.
 */
#include <string.h>

#include "tokenize/tokenize_int.h"

static const struct { const char *model, *encoding; } exact[] = {
    {"gpt2", "r50k_base"},
    {"davinci-002", "cl100k_base"},
    {"babbage-002", "cl100k_base"},
    {"text-embedding-ada-002", "cl100k_base"},
    {"text-davinci-003", "p50k_base"},
    {"text-davinci-002", "p50k_base"},
    {"text-davinci-001", "r50k_base"},
    {"text-curie-001", "r50k_base"},
    {"text-babbage-001", "r50k_base"},
    {"text-ada-001", "r50k_base"},
    {"davinci", "r50k_base"},
    {"curie", "r50k_base"},
    {"babbage", "r50k_base"},
    {"ada", "r50k_base"},
    {"code-davinci-002", "p50k_base"},
    {"code-davinci-001", "p50k_base"},
    {"code-cushman-002", "p50k_base"},
    {"code-cushman-001", "p50k_base"},
    {"davinci-codex", "p50k_base"},
    {"cushman-codex", "p50k_base"},
    {"text-davinci-edit-001", "p50k_edit"},
    {"code-davinci-edit-001", "p50k_edit"},
    {"text-similarity-davinci-001", "r50k_base"},
    {"text-similarity-curie-001", "r50k_base"},
    {"text-similarity-babbage-001", "r50k_base"},
    {"text-similarity-ada-001", "r50k_base"},
    {"text-search-davinci-doc-001", "r50k_base"},
    {"text-search-curie-doc-001", "r50k_base"},
    {"text-search-babbage-doc-001", "r50k_base"},
    {"text-search-ada-doc-001", "r50k_base"},
    {"code-search-babbage-code-001", "r50k_base"},
    {"code-search-ada-code-001", "r50k_base"},
};

static const struct { const char *prefix, *encoding; } prefixes[] = {
    {"gpt-oss-", "o200k_harmony"},
    {"gpt-5", "o200k_base"},
    {"gpt-4.5", "o200k_base"},
    {"gpt-4.1", "o200k_base"},
    {"gpt-4o", "o200k_base"},
    {"chatgpt-4o", "o200k_base"},
    {"o1", "o200k_base"},
    {"o3", "o200k_base"},
    {"o4", "o200k_base"},
    {"ft:gpt-4o", "o200k_base"},
    {"ft:gpt-4.1", "o200k_base"},
    {"gpt-4", "cl100k_base"},
    {"gpt-3.5-turbo", "cl100k_base"},
    {"gpt-35-turbo", "cl100k_base"},
    {"text-embedding-3", "cl100k_base"},
    {"ft:gpt-4", "cl100k_base"},
    {"ft:gpt-3.5-turbo", "cl100k_base"},
    {"ft:davinci-002", "cl100k_base"},
    {"ft:babbage-002", "cl100k_base"},
};

const char *tm_model_encoding(const char *model)
{
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(model, exact[i].model) == 0)
            return exact[i].encoding;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(model, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
            return prefixes[i].encoding;
    return NULL;
}
