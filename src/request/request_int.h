/*
 * Internals of the request module (include/tokenmeter/request.h).
 *
 * One count walks the parsed body (jansson) with a `struct tm__rq`, which
 * carries the encoding, the resolved model, the current field path (for
 * error messages and the breakdown), and the result being built. Each API
 * has its own walker (openai.c, anthropic.c); images are sized and priced
 * in image.c. A walker either fails with a message naming the field path
 * (tm__rq_fail) or adds parts, notes and tokens to the result.
 */
#ifndef TM_REQUEST_INT_H
#define TM_REQUEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tokenmeter/request.h"

/* Field paths longer than this are cut (with "...") in messages. */
#define TM__RQ_PATH_MAX 256

struct tm_request {
    char *model;
    char *encoding;
    enum tm_request_api api;
    uint64_t prompt_tokens;
    bool estimate;
    json_t *breakdown;
    struct tm_request_part *parts;
    size_t n_parts, cap_parts;
    struct tm_request_note *notes;
    size_t n_notes, cap_notes;
};

struct tm__rq {
    const char *name;                       /* the body's name, for errors */
    struct tm_error *err;
    const tm_encoding *enc;
    const struct tm_model_resolution *res;  /* res->model is the model name */
    tm_request *out;
    json_t *messages, *inputs, *images, *unknown, *approx; /* in out->breakdown */
    char path[TM__RQ_PATH_MAX];
    size_t path_len;
};

/* ---- field paths ---- */

/* Append ".key" (or "key" at the root) / "[i]" to the current path; each
 * returns the previous length for tm__rq_path_restore. */
size_t tm__rq_path_key(struct tm__rq *q, const char *key);
size_t tm__rq_path_index(struct tm__rq *q, size_t i);
void tm__rq_path_restore(struct tm__rq *q, size_t len);

/* ---- errors and body access ---- */

/* Fail at the current path: "NAME: PATH: message". Returns TM_EINVAL. */
int tm__rq_fail(struct tm__rq *q, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Record a resource failure (code, message) at the current path. */
int tm__rq_fail_code(struct tm__rq *q, int code, const char *what);

/* JSON types a member may have (bit masks). */
enum {
    TM__J_STRING = 1, TM__J_ARRAY = 2, TM__J_OBJECT = 4, TM__J_NULL = 8,
    TM__J_INTEGER = 16, TM__J_BOOL = 32, TM__J_NUMBER = 64, TM__J_ANY = 127,
};

/* "a string", "an array", ... */
const char *tm__rq_kind(const json_t *v);

/*
 * The member `key` of obj (which is at the current path). Absent: *out is
 * NULL, and with `required` the call fails with "PATH.key: missing". Of a
 * type outside `types`: fails with "PATH.key: expected ..., got ...".
 */
int tm__rq_member(struct tm__rq *q, const json_t *obj, const char *key,
                  unsigned types, bool required, json_t **out);

/* Fail if obj has a member not in the NULL-terminated list `known`;
 * `what` names the object in the message ("a user message"). */
int tm__rq_known_fields(struct tm__rq *q, const json_t *obj,
                        const char *const *known, const char *what);

/* Require obj's "type" member to be a string; OUT: *type. */
int tm__rq_type(struct tm__rq *q, const json_t *obj, const char **type);

/* ---- counting and recording ---- */

/* Count the tokens of text[0..len) (special-token text is ordinary). */
int tm__rq_text(struct tm__rq *q, const char *text, size_t len, uint64_t *n);
/* Count a JSON string value. */
int tm__rq_json_text(struct tm__rq *q, const json_t *s, uint64_t *n);

/* Add a breakdown part (strings copied); adds `tokens` to prompt_tokens. */
int tm__rq_part(struct tm__rq *q, const char *path, const char *what,
                uint64_t tokens);

/* A part of the body that is not counted (at the current path). */
int tm__rq_unknown(struct tm__rq *q, const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A part counted by an unpublished rule (at the current path, or at the
 * request as a whole when `whole`). Repeated reasons are kept once. */
int tm__rq_approx(struct tm__rq *q, bool whole, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* One message (or message-like item) of the breakdown, at the current
 * path: tokens = framing + text + tool_calls + images. */
struct tm__rq_message {
    const char *role;
    int64_t framing;      /* fixed per-message tokens (may be adjusted by name) */
    uint64_t text;        /* role, name and content text */
    uint64_t tool_calls;  /* assistant tool/function calls */
    uint64_t images;
};
int tm__rq_add_message(struct tm__rq *q, const struct tm__rq_message *m);

/* An input of completions / embeddings at the current path. */
int tm__rq_add_input(struct tm__rq *q, const char *what, uint64_t tokens);

/* The tool definitions: `count` definitions costing `tokens` in all;
 * `extra` (stolen, may be NULL) is an object of more fields for the
 * breakdown's "tools" record. */
int tm__rq_set_tools(struct tm__rq *q, size_t count, uint64_t tokens, json_t *extra);

/* The tokens that prime the reply (chat formats). */
int tm__rq_set_priming(struct tm__rq *q, uint64_t tokens);

/* ---- images (image.c) ---- */

/* The size of an image the body carries inline. */
struct tm__image {
    bool known;           /* width/height read from the image bytes */
    uint32_t width, height;
    const char *format;   /* "png", "jpeg", "gif", "webp" */
};

/* Decode standard base64 (padding optional; spaces and line breaks are
 * skipped); *out is malloc'd. Returns 0, TM_EINVAL when s is not base64,
 * TM_ENOMEM. */
int tm__base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len);

/* Read the pixel size from the first bytes of a PNG, JPEG, GIF or WebP
 * file. Returns 0 and fills img, or -1 (format not recognised, or the
 * header is cut or corrupt). */
int tm__image_sniff(const unsigned char *data, size_t len, struct tm__image *img);

/* An image given as base64 text (a data: URL's payload or Anthropic's
 * source.data), at the current path: bad base64 is an error; an
 * unrecognised format leaves img->known false. */
int tm__rq_image_base64(struct tm__rq *q, const char *b64, size_t len,
                        struct tm__image *img);
/* Parse a data: URL ("data:image/png;base64,...") the same way. A URL that
 * is not a data: URL leaves img->known false and returns 0. */
int tm__rq_image_url(struct tm__rq *q, const char *url, size_t len,
                     struct tm__image *img);

/* OpenAI's image formulas (docs/REQUESTS.md). */
enum tm__image_rule_kind { TM__IMAGE_NONE, TM__IMAGE_TILE, TM__IMAGE_PATCH };
struct tm__image_rule {
    const char *prefix;          /* model-name prefix */
    enum tm__image_rule_kind kind;
    unsigned base, tile;         /* TILE: tokens per image and per 512px tile */
    unsigned multiplier_pct;     /* PATCH: tokens per 100 patches */
    bool confirmed;              /* API-reported counts match the formula */
};
/* The rule for an OpenAI model name, or NULL when none is published. */
const struct tm__image_rule *tm__openai_image_rule(const char *model);
uint64_t tm__image_tile_tokens(uint32_t width, uint32_t height, bool high,
                               unsigned base, unsigned tile);
uint64_t tm__image_patch_tokens(uint32_t width, uint32_t height,
                                unsigned multiplier_pct);
uint64_t tm__image_anthropic_tokens(uint32_t width, uint32_t height);

/*
 * Price one OpenAI image at the current path: img as read from the body,
 * detail NULL/"auto"/"low"/"high". Records it under "images", or under
 * "unknown" when the model has no published formula or img->known is false
 * (`why_unknown` then says why the size is not known). OUT: *tokens (0 when
 * unknown).
 */
int tm__rq_openai_image(struct tm__rq *q, const struct tm__image *img,
                        const char *detail, const char *why_unknown,
                        uint64_t *tokens);
/* The same for an Anthropic image block. */
int tm__rq_anthropic_image(struct tm__rq *q, const struct tm__image *img,
                           const char *why_unknown, uint64_t *tokens);

/* Why an image read by tm__rq_image_url / _base64 has no known size. */
const char *tm__image_why_unknown(const char *url, size_t len);

/* ---- the API walkers ---- */

int tm__rq_chat(struct tm__rq *q, const json_t *body);
int tm__rq_responses(struct tm__rq *q, const json_t *body);
int tm__rq_completions(struct tm__rq *q, const json_t *body);
int tm__rq_embeddings(struct tm__rq *q, const json_t *body);
int tm__rq_anthropic(struct tm__rq *q, const json_t *body);

/* A short copy of outside text for a message or note: at most 40 bytes,
 * printable ASCII only (other bytes and '"' become '?', so a fragment never
 * splits a UTF-8 sequence or garbles a message). Returns out. */
const char *tm__rq_snippet(const char *s, char *out, size_t cap);

/* ASCII case-insensitive "s starts with prefix". */
bool tm__rq_prefix(const char *s, const char *prefix);

#endif
