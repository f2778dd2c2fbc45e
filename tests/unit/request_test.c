/*
 * Unit tests of the request module (include/tokenmeter/request.h).
 *
 * What a meter relies on:
 *  - the published examples: request bodies whose prompt_tokens the
 *    provider's API reported (tests/data/requests/EXPECTED.tsv, with the
 *    source of each figure) count exactly that, for several models, and
 *    are marked exact;
 *  - the image formulas reproduce every worked example of the providers'
 *    documentation and the API-reported edge cases;
 *  - parts without a published formula are counted and marked as
 *    approximations, parts that cannot be counted are listed as unknown
 *    (and left out), and either makes the result an estimate; Anthropic is
 *    always an estimate;
 *  - the breakdown adds up to prompt_tokens, in C and in JSON;
 *  - every bad body is refused with a message naming the field path.
 * Counts that are not published figures are computed here independently
 * from tm_encoding_count and the formulas of docs/REQUESTS.md.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "request/request_int.h"
#include "tokenmeter/registry.h"
#include "tokenmeter/request.h"
#include "tokenmeter/tokenize.h"

static tm_registry *reg;
static tm_encoding *o200k, *cl100k;

static uint64_t ntok(const tm_encoding *enc, const char *text)
{
    uint64_t n = 0;
    assert_int_equal(tm_encoding_count(enc, text, strlen(text), 0, &n), TM_OK);
    return n;
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Count a body; fail the test on an error. */
static tm_request *count_ok(const char *body, const char *model, enum tm_request_api api)
{
    struct tm_request_options opt = {api, model, NULL};
    struct tm_error err = {0};
    tm_request *r = tm_request_count(body, strlen(body), "body.json", reg, &opt, &err);

    if (r == NULL)
        fail_msg("refused: %s\nbody: %.300s", err.message, body);
    return r;
}

/* Count a body that must be refused with `code` and a message containing
 * each needle. */
static void expect_error(const char *body, const char *model, enum tm_request_api api,
                         int code, ...)
{
    struct tm_request_options opt = {api, model, NULL};
    struct tm_error err = {0};
    tm_request *r = tm_request_count(body, strlen(body), "body.json", reg, &opt, &err);
    const char *needle;
    va_list ap;

    if (r != NULL) {
        tm_request_free(r);
        fail_msg("accepted a bad body: %.300s", body);
    }
    if (err.code != code)
        fail_msg("code %d, expected %d: %s", err.code, code, err.message);
    if (strncmp(err.message, "body.json: ", 11) != 0)
        fail_msg("message does not name the body: %s", err.message);
    va_start(ap, code);
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (strstr(err.message, needle) == NULL) {
            va_end(ap);
            fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
        }
    va_end(ap);
}

/* Whether the result has a note of `kind` at `path` whose reason contains
 * `needle`. */
static bool has_note(const tm_request *r, enum tm_request_note_kind kind, const char *path,
                     const char *needle)
{
    for (size_t i = 0; i < tm_request_note_count(r); i++) {
        const struct tm_request_note *n = tm_request_note(r, i);
        if (n->kind == kind && strcmp(n->path, path) == 0 && strstr(n->reason, needle))
            return true;
    }
    return false;
}

/* The breakdown parts add up to prompt_tokens, and the JSON says the same
 * as the C accessors. */
static void check_consistent(const tm_request *r)
{
    uint64_t sum = 0;
    char *text = tm_request_to_json(r);
    json_error_t jerr;
    json_t *root, *b, *v;
    json_int_t json_sum = 0;
    size_t i;

    for (i = 0; i < tm_request_part_count(r); i++)
        sum += tm_request_part(r, i)->tokens;
    assert_int_equal(sum, tm_request_prompt_tokens(r));
    assert_null(tm_request_part(r, tm_request_part_count(r)));
    assert_null(tm_request_note(r, tm_request_note_count(r)));

    assert_non_null(text);
    root = json_loads(text, 0, &jerr);
    if (root == NULL)
        fail_msg("tm_request_to_json is not JSON: %s\n%s", jerr.text, text);
    assert_string_equal(json_string_value(json_object_get(root, "model")),
                        tm_request_model(r));
    assert_string_equal(json_string_value(json_object_get(root, "encoding")),
                        tm_request_encoding(r));
    assert_int_equal(json_integer_value(json_object_get(root, "prompt_tokens")),
                     tm_request_prompt_tokens(r));
    assert_int_equal(json_is_true(json_object_get(root, "estimate")),
                     tm_request_is_estimate(r));
    b = json_object_get(root, "breakdown");
    assert_true(json_is_object(b));
    assert_string_equal(json_string_value(json_object_get(b, "api")),
                        tm_request_api_name(tm_request_api(r)));
    json_array_foreach(json_object_get(b, "messages"), i, v)
        json_sum += json_integer_value(json_object_get(v, "tokens"));
    json_array_foreach(json_object_get(b, "inputs"), i, v)
        json_sum += json_integer_value(json_object_get(v, "tokens"));
    json_sum += json_integer_value(json_object_get(json_object_get(b, "tools"), "tokens"));
    json_sum += json_integer_value(json_object_get(b, "priming"));
    assert_int_equal(json_sum, tm_request_prompt_tokens(r));
    assert_int_equal(json_array_size(json_object_get(b, "unknown")) +
                         json_array_size(json_object_get(b, "approximations")),
                     tm_request_note_count(r));
    /* The estimate flag follows the notes (and the registry). */
    if (tm_request_note_count(r) > 0)
        assert_true(tm_request_is_estimate(r));
    json_decref(root);
    free(text);
}

/* ---- the published examples ---- */

static void test_published_examples(void **state)
{
    char path[1024], line[2048];
    FILE *f;
    int checks = 0, failures = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/EXPECTED.tsv", TM_TEST_REQUESTS_DIR);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    while (fgets(line, sizeof(line), f)) {
        char *file, *model, *want_s, *est_s, *kind, *source, *save = NULL;
        struct tm_request_options opt = {0};
        struct tm_error err = {0};
        tm_request *r;
        size_t len;
        char *body;

        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        file = strtok_r(line, "\t", &save);
        model = strtok_r(NULL, "\t", &save);
        want_s = strtok_r(NULL, "\t", &save);
        est_s = strtok_r(NULL, "\t", &save);
        kind = strtok_r(NULL, "\t", &save);
        source = strtok_r(NULL, "\t", &save);
        if (!file || !model || !want_s || !est_s || !kind || !source ||
            strncmp(source, "https://", 8) != 0)
            fail_msg("EXPECTED.tsv: malformed line (every check names its source)");
        snprintf(path, sizeof(path), "%s/%s", TM_TEST_REQUESTS_DIR, file);
        body = read_whole(path, &len);
        opt.model = model;
        r = tm_request_count(body, len, file, reg, &opt, &err);
        free(body);
        checks++;
        if (r == NULL) {
            print_error("%s with %s: %s\n", file, model, err.message);
            failures++;
            continue;
        }
        if (tm_request_prompt_tokens(r) != strtoull(want_s, NULL, 10) ||
            tm_request_is_estimate(r) != (strcmp(est_s, "true") == 0)) {
            print_error("%s with %s: %llu prompt tokens (estimate %d), the source (%s) "
                        "says %s (estimate %s)\n", file, model,
                        (unsigned long long)tm_request_prompt_tokens(r),
                        tm_request_is_estimate(r), source, want_s, est_s);
            for (size_t i = 0; i < tm_request_note_count(r); i++)
                print_error("  note: %s: %s\n", tm_request_note(r, i)->path,
                            tm_request_note(r, i)->reason);
            failures++;
        }
        check_consistent(r);
        tm_request_free(r);
    }
    fclose(f);
    assert_true(checks >= 20);
    assert_int_equal(failures, 0);
}

/* The breakdown of the cookbook's example, part by part. */
static void test_breakdown(void **state)
{
    size_t len;
    char path[1024], *body;
    tm_request *r;
    const struct tm_request_part *p;

    (void)state;
    snprintf(path, sizeof(path), "%s/cookbook_chat.json", TM_TEST_REQUESTS_DIR);
    body = read_whole(path, &len);
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO); /* the body's model: gpt-4o */
    free(body);
    assert_string_equal(tm_request_model(r), "gpt-4o");
    assert_string_equal(tm_request_encoding(r), "o200k_base");
    assert_int_equal(tm_request_api(r), TM_REQUEST_API_CHAT);
    assert_int_equal(tm_request_prompt_tokens(r), 124);
    assert_false(tm_request_is_estimate(r));
    assert_int_equal(tm_request_note_count(r), 0);
    assert_int_equal(tm_request_part_count(r), 7); /* 6 messages, priming */
    p = tm_request_part(r, 1);
    assert_string_equal(p->path, "messages[1]");
    assert_string_equal(p->what, "system message");
    /* 3 + 1 for the name + role + name + content ([C]). */
    assert_int_equal(p->tokens, 3 + 1 + ntok(o200k, "system") + ntok(o200k, "example_user") +
                                    ntok(o200k, "New synergies will help drive top-line growth."));
    p = tm_request_part(r, 6);
    assert_string_equal(p->path, "priming");
    assert_int_equal(p->tokens, 3);
    check_consistent(r);
    tm_request_free(r);
}

/* ---- images ---- */

static void test_image_formulas(void **state)
{
    (void)state;
    /* [V1] worked examples. */
    assert_int_equal(tm__image_tile_tokens(1024, 1024, true, 85, 170), 765);
    assert_int_equal(tm__image_tile_tokens(2048, 4096, true, 85, 170), 1105);
    assert_int_equal(tm__image_tile_tokens(4096, 8192, false, 85, 170), 85);
    /* [V2]: gpt-4o-mini's constants. */
    assert_int_equal(tm__image_tile_tokens(2048, 4096, true, 2833, 5667), 36835);
    /* [V3]: the 2048 fit rounds 512.75 up (8 tiles) and 512.4995 down (4). */
    assert_int_equal(tm__image_tile_tokens(2049, 513, true, 85, 170), 85 + 8 * 170);
    assert_int_equal(tm__image_tile_tokens(2050, 513, true, 85, 170), 85 + 4 * 170);
    /* Small images are not scaled up; one tile covers 512x512. */
    assert_int_equal(tm__image_tile_tokens(512, 512, true, 85, 170), 255);
    assert_int_equal(tm__image_tile_tokens(513, 500, true, 85, 170), 425);
    assert_int_equal(tm__image_tile_tokens(1, 1, true, 85, 170), 255);
    assert_int_equal(tm__image_tile_tokens(1u << 24, 1, true, 85, 170), 85 + 4 * 170);
    /* [V1] patch examples, and [V4]'s multiplied figures. */
    assert_int_equal(tm__image_patch_tokens(1024, 1024, 100), 1024);
    assert_int_equal(tm__image_patch_tokens(1800, 2400, 100), 1452);
    assert_int_equal(tm__image_patch_tokens(1024, 1024, 162), 1659);
    assert_int_equal(tm__image_patch_tokens(1800, 2400, 162), 2352);
    /* [V3]: 4000x1474 on gpt-4.1-mini is billed the full 1536 x 1.62. */
    assert_int_equal(tm__image_patch_tokens(4000, 1474, 162), 2488);
    assert_true(tm__image_patch_tokens(1, 1u << 24, 100) <= 1536);
    assert_true(tm__image_patch_tokens(1u << 24, 1, 100) <= 1536);
    /* [A1] examples. */
    assert_int_equal(tm__image_anthropic_tokens(200, 200), 54);
    assert_int_equal(tm__image_anthropic_tokens(1000, 1000), 1334);
    assert_int_equal(tm__image_anthropic_tokens(1092, 1092), 1590);
    assert_true(tm__image_anthropic_tokens(8000, 8000) <= 1600);
    assert_true(tm__image_anthropic_tokens(1568, 100) <= 210);

    assert_non_null(tm__openai_image_rule("gpt-4o-mini-2024-07-18"));
    assert_int_equal(tm__openai_image_rule("gpt-4o-mini")->base, 2833);
    assert_int_equal(tm__openai_image_rule("GPT-4O")->base, 85);
    assert_int_equal(tm__openai_image_rule("gpt-4.1-nano")->kind, TM__IMAGE_PATCH);
    assert_int_equal(tm__openai_image_rule("o1-mini")->kind, TM__IMAGE_NONE);
    assert_int_equal(tm__openai_image_rule("ft:gpt-4o:org::id")->base, 85);
    assert_null(tm__openai_image_rule("gpt-3.5-turbo"));
}

static void test_image_sniff(void **state)
{
    static const unsigned char png[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 0, 0x04, 0x00, 0, 0, 0x02, 0x58, 8, 2, 0, 0, 0,
    };
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 0x80, 0x02, 0xe0, 0x01};
    static const unsigned char jpeg[] = {
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 'J', 'F', 0xff, 0xc2, 0x00, 0x11, 0x08,
        0x03, 0x00, 0x04, 0x00, 0x03, 0x01, 0x22, 0x00,
    };
    unsigned char webp[40] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P'};
    struct tm__image img;
    unsigned char *out;
    size_t n;

    (void)state;
    assert_int_equal(tm__image_sniff(png, sizeof(png), &img), 0);
    assert_true(img.known);
    assert_int_equal(img.width, 1024);
    assert_int_equal(img.height, 600);
    assert_string_equal(img.format, "png");
    assert_int_equal(tm__image_sniff(png, 20, &img), -1); /* cut */
    assert_false(img.known);
    assert_int_equal(tm__image_sniff(gif, sizeof(gif), &img), 0);
    assert_int_equal(img.width, 640);
    assert_int_equal(img.height, 480);
    assert_int_equal(tm__image_sniff(jpeg, sizeof(jpeg), &img), 0);
    assert_int_equal(img.width, 1024);
    assert_int_equal(img.height, 768);
    assert_string_equal(img.format, "jpeg");
    assert_int_equal(tm__image_sniff(jpeg, 12, &img), -1);
    /* WebP: lossy, lossless and extended headers. */
    memcpy(webp + 12, "VP8 ", 4);
    webp[23] = 0x9d, webp[24] = 0x01, webp[25] = 0x2a;
    webp[26] = 0x20, webp[27] = 0x03, webp[28] = 0x58, webp[29] = 0x02; /* 800x600 */
    assert_int_equal(tm__image_sniff(webp, 30, &img), 0);
    assert_int_equal(img.width, 800);
    assert_int_equal(img.height, 600);
    memcpy(webp + 12, "VP8L", 4);
    webp[20] = 0x2f;
    /* width-1 = 99 (14 bits), height-1 = 49 (14 bits) */
    webp[21] = 99, webp[22] = (unsigned char)((49 & 0x3) << 6), webp[23] = 49 >> 2,
    webp[24] = 0;
    assert_int_equal(tm__image_sniff(webp, 30, &img), 0);
    assert_int_equal(img.width, 100);
    assert_int_equal(img.height, 50);
    memcpy(webp + 12, "VP8X", 4);
    webp[24] = 0xff, webp[25] = 0x0f, webp[26] = 0; /* 4096 */
    webp[27] = 0xff, webp[28] = 0x07, webp[29] = 0; /* 2048 */
    assert_int_equal(tm__image_sniff(webp, 30, &img), 0);
    assert_int_equal(img.width, 4096);
    assert_int_equal(img.height, 2048);
    /* Not an image, or a zero size. */
    assert_int_equal(tm__image_sniff((const unsigned char *)"hello world, not an image",
                                     25, &img), -1);
    {
        unsigned char zero[sizeof(png)];
        memcpy(zero, png, sizeof(png));
        zero[16] = zero[17] = zero[18] = zero[19] = 0;
        assert_int_equal(tm__image_sniff(zero, sizeof(zero), &img), -1);
    }

    /* base64 */
    assert_int_equal(tm__base64_decode("aGVsbG8=", 8, &out, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    assert_int_equal(tm__base64_decode("aGVsbG8", 7, &out, &n), 0); /* unpadded */
    assert_int_equal(n, 5);
    free(out);
    assert_int_equal(tm__base64_decode("aGVs\nbG8=", 9, &out, &n), 0); /* MIME break */
    assert_int_equal(n, 5);
    free(out);
    assert_int_equal(tm__base64_decode("", 0, &out, &n), 0);
    assert_int_equal(n, 0);
    free(out);
    assert_int_equal(tm__base64_decode("aGVsbG8*", 8, &out, &n), TM_EINVAL);
    assert_int_equal(tm__base64_decode("aGVsbG8==", 9, &out, &n), TM_EINVAL);
    assert_int_equal(tm__base64_decode("aGVs=bG8", 8, &out, &n), TM_EINVAL);
    assert_int_equal(tm__base64_decode("a", 1, &out, &n), TM_EINVAL);
    assert_int_equal(tm__base64_decode("aGVsbG8_", 8, &out, &n), TM_EINVAL); /* URL-safe */
}

/* A PNG of w x h as a base64 data URL (only the header matters). */
static void png_data_url(uint32_t w, uint32_t h, char *out, size_t cap)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char d[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                           'I', 'H', 'D', 'R'};
    size_t o;

    d[16] = (unsigned char)(w >> 24), d[17] = (unsigned char)(w >> 16);
    d[18] = (unsigned char)(w >> 8), d[19] = (unsigned char)w;
    d[20] = (unsigned char)(h >> 24), d[21] = (unsigned char)(h >> 16);
    d[22] = (unsigned char)(h >> 8), d[23] = (unsigned char)h;
    d[24] = 8, d[25] = 2;
    o = (size_t)snprintf(out, cap, "data:image/png;base64,");
    for (size_t i = 0; i < 33; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    out[o] = '\0';
}

static void test_chat_images(void **state)
{
    char url[200], body[1200];
    uint64_t framing = 3 + ntok(o200k, "user") + 3;
    tm_request *r;

    (void)state;
    /* Known size, detail high: exact for gpt-4o. */
    png_data_url(1024, 1024, url, sizeof(url));
    snprintf(body, sizeof(body), "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", "
             "\"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"%s\", "
             "\"detail\": \"high\"}}]}]}", url);
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), framing + 765);
    assert_false(tm_request_is_estimate(r));
    check_consistent(r);
    tm_request_free(r);

    /* No detail: "auto", counted as high and marked an approximation. */
    snprintf(body, sizeof(body), "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", "
             "\"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"%s\"}}]}]}",
             url);
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), framing + 765);
    assert_true(tm_request_is_estimate(r));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[0].content[0]",
                         "\"auto\""));
    check_consistent(r);
    tm_request_free(r);

    /* gpt-4.1-mini: patches x 1.62, not confirmed by API counts. */
    snprintf(body, sizeof(body), "{\"model\": \"gpt-4.1-mini\", \"messages\": [{\"role\": "
             "\"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": "
             "\"%s\", \"detail\": \"low\"}}]}]}", url);
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), framing + 1659);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[0].content[0]",
                         "documented constants"));
    tm_request_free(r);

    /* By URL: unknown, not counted, and the result says so. */
    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"text\", \"text\": \"What is this?\"}, {\"type\": "
                 "\"image_url\", \"image_url\": {\"url\": \"https://example.com/a.png\", "
                 "\"detail\": \"low\"}}]}]}", NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), framing + ntok(o200k, "What is this?"));
    assert_true(tm_request_is_estimate(r));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[0].content[1]", "given by URL"));
    check_consistent(r);
    tm_request_free(r);

    /* A data URL that is not a known image format: unknown too. */
    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"image_url\", \"image_url\": {\"url\": "
                 "\"data:image/bmp;base64,Qk0AAAAA\"}}]}]}", NULL, TM_REQUEST_API_AUTO);
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[0].content[0]", "could not be read"));
    tm_request_free(r);

    /* A model without a published image formula. */
    snprintf(body, sizeof(body), "{\"model\": \"gpt-3.5-turbo\", \"messages\": [{\"role\": "
             "\"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": "
             "\"%s\"}}]}]}", url);
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO);
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[0].content[0]",
                         "no image token formula for gpt-3.5-turbo"));
    tm_request_free(r);
}

/* ---- chat completions beyond the cookbook ---- */

static void test_chat_tool_calls_and_results(void **state)
{
    static const char *body =
        "{\"model\": \"gpt-4o\", \"messages\": ["
        "{\"role\": \"user\", \"content\": \"Weather in Paris?\"},"
        "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_1\", "
        "\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": "
        "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        "{\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"18C, sunny\"},"
        "{\"role\": \"developer\", \"content\": [{\"type\": \"text\", \"text\": \"Be brief.\"}, "
        "{\"type\": \"text\", \"text\": \"Use Celsius.\"}]}]}";
    tm_request *r;
    uint64_t want;

    (void)state;
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO);
    want = 3 + ntok(o200k, "user") + ntok(o200k, "Weather in Paris?") +
           3 + ntok(o200k, "assistant") + ntok(o200k, "get_weather") +
           ntok(o200k, "{\"city\":\"Paris\"}") +
           3 + ntok(o200k, "tool") + ntok(o200k, "18C, sunny") +
           3 + ntok(o200k, "developer") + ntok(o200k, "Be brief.") +
           ntok(o200k, "Use Celsius.") + 3;
    assert_int_equal(tm_request_prompt_tokens(r), want);
    assert_true(tm_request_is_estimate(r));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[1].tool_calls", "tool calls"));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[2]", "tool result"));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[3].content",
                         "several text parts"));
    assert_int_equal(tm_request_note_count(r), 3);
    check_consistent(r);
    tm_request_free(r);

    /* Legacy function_call and a function result. */
    r = count_ok("{\"model\": \"gpt-3.5-turbo\", \"messages\": ["
                 "{\"role\": \"assistant\", \"function_call\": {\"name\": \"f\", "
                 "\"arguments\": \"{}\"}},"
                 "{\"role\": \"function\", \"name\": \"f\", \"content\": \"ok\"}]}",
                 NULL, TM_REQUEST_API_AUTO);
    want = 3 + ntok(cl100k, "assistant") + ntok(cl100k, "f") + ntok(cl100k, "{}") +
           3 + 1 + ntok(cl100k, "function") + ntok(cl100k, "f") + ntok(cl100k, "ok") + 3;
    assert_int_equal(tm_request_prompt_tokens(r), want);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[0].function_call",
                         "function_call"));
    tm_request_free(r);

    /* Audio and files cannot be counted: listed as unknown. */
    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": ["
                 "{\"type\": \"input_audio\", \"input_audio\": {\"data\": \"AAAA\", "
                 "\"format\": \"wav\"}}, {\"type\": \"file\", \"file\": {\"file_id\": "
                 "\"file-1\"}}]}], \"response_format\": {\"type\": \"json_schema\", "
                 "\"json_schema\": {\"name\": \"x\", \"schema\": {}}}}",
                 NULL, TM_REQUEST_API_AUTO);
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[0].content[0]", "audio"));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[0].content[1]", "PDF"));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "response_format", "JSON schema"));
    assert_int_equal(tm_request_prompt_tokens(r), 3 + ntok(o200k, "user") + 3);
    check_consistent(r);
    tm_request_free(r);
}

/*
 * Parts counted by the same rules in Chat Completions and Responses: text
 * and refusal parts, custom tool calls (name and input text), function call
 * outputs given as parts, and the errors both APIs share (image detail,
 * unknown roles and part types, naming what is known).
 */
static void test_shared_part_rules(void **state)
{
    tm_request *r;
    uint64_t want;

    (void)state;
    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": ["
                 "{\"role\": \"assistant\", \"content\": [{\"type\": \"refusal\", "
                 "\"refusal\": \"I can't.\"}], \"refusal\": \"No.\", \"tool_calls\": [{\"id\": "
                 "\"c1\", \"type\": \"custom\", \"custom\": {\"name\": \"grep\", \"input\": "
                 "\"needle haystack\"}}]}]}", NULL, TM_REQUEST_API_AUTO);
    want = 3 + ntok(o200k, "assistant") + ntok(o200k, "I can't.") + ntok(o200k, "No.") +
           ntok(o200k, "grep") + ntok(o200k, "needle haystack") + 3;
    assert_int_equal(tm_request_prompt_tokens(r), want);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[0].refusal", "refusal"));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "messages[0].tool_calls", "tool calls"));
    check_consistent(r);
    tm_request_free(r);

    r = count_ok("{\"model\": \"gpt-4o\", \"input\": ["
                 "{\"type\": \"message\", \"role\": \"assistant\", \"content\": ["
                 "{\"type\": \"output_text\", \"text\": \"Hi there\", \"annotations\": []},"
                 "{\"type\": \"refusal\", \"refusal\": \"Not that.\"}]},"
                 "{\"type\": \"function_call_output\", \"call_id\": \"c1\", \"output\": ["
                 "{\"type\": \"input_text\", \"text\": \"result text\"},"
                 "{\"type\": \"input_file\", \"file_id\": \"f1\"}]}]}",
                 NULL, TM_REQUEST_API_AUTO);
    want = 3 + ntok(o200k, "assistant") + ntok(o200k, "Hi there") + ntok(o200k, "Not that.") +
           3 + ntok(o200k, "tool") + ntok(o200k, "result text") + 3;
    assert_int_equal(tm_request_prompt_tokens(r), want);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "input[0].content", "several text parts"));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "input[1].output[1]", "PDF"));
    check_consistent(r);
    tm_request_free(r);

    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://x/a.png\", "
                 "\"detail\": \"medium\"}}]}]}", NULL, TM_REQUEST_API_AUTO, TM_EINVAL,
                 "messages[0].content[0].image_url.detail: expected \"low\", \"high\" or "
                 "\"auto\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"input\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"input_image\", \"image_url\": \"https://x/a.png\", "
                 "\"detail\": \"medium\"}]}]}", NULL, TM_REQUEST_API_AUTO, TM_EINVAL,
                 "input[0].content[0].detail: expected \"low\", \"high\" or \"auto\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"robot\", \"content\": "
                 "\"hi\"}]}", NULL, TM_REQUEST_API_AUTO, TM_EINVAL,
                 "messages[0].role: unknown role \"robot\" (known: system, developer, user, "
                 "assistant, tool, function)", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"input\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"video\"}]}]}", NULL, TM_REQUEST_API_AUTO, TM_EINVAL,
                 "input[0].content[0].type: unknown content part type \"video\" (known: "
                 "input_text, input_image, input_file, input_audio, output_text, refusal)",
                 NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"video\"}]}]}", NULL, TM_REQUEST_API_AUTO, TM_EINVAL,
                 "messages[0].content[0].type: unknown content part type \"video\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"assistant\", "
                 "\"tool_calls\": [{\"id\": \"c1\", \"type\": \"custom\", \"custom\": "
                 "{\"name\": \"grep\"}}]}]}", NULL, TM_REQUEST_API_AUTO, TM_EINVAL,
                 "messages[0].tool_calls[0].custom.input: missing", NULL);
}

/* Tool definitions beyond the cookbook's shape: counted, and marked. */
static void test_chat_tool_schemas(void **state)
{
    tm_request *r;
    uint64_t fn;

    (void)state;
    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": "
                 "\"noop\"}}]}", NULL, TM_REQUEST_API_AUTO);
    /* func_init 7 + "noop:" + func_end 12 */
    fn = 7 + ntok(o200k, "noop:") + 12;
    assert_int_equal(tm_request_prompt_tokens(r), 3 + ntok(o200k, "user") + ntok(o200k, "hi") +
                                                      fn + 3);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "tools[0].function", "description"));
    tm_request_free(r);

    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": "
                 "\"f\", \"description\": \"D.\", \"parameters\": {\"type\": \"object\", "
                 "\"properties\": {\"n\": {\"type\": \"integer\", \"description\": \"N\", "
                 "\"minimum\": 0}, \"tags\": {\"type\": \"array\", \"description\": \"T\", "
                 "\"items\": {\"type\": \"string\"}}}}}}]}", NULL, TM_REQUEST_API_AUTO);
    fn = 7 + ntok(o200k, "f:D") + 3 + 3 + ntok(o200k, "n:integer:N") + 3 +
         ntok(o200k, "tags:array:T") + 12;
    assert_int_equal(tm_request_prompt_tokens(r), 3 + ntok(o200k, "user") + ntok(o200k, "hi") +
                                                      fn + 3);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION,
                         "tools[0].function.parameters.properties.n", "\"minimum\""));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION,
                         "tools[0].function.parameters.properties.tags", "nested"));
    tm_request_free(r);

    /* Outside text quoted in a note is cut without splitting a UTF-8
     * sequence: the JSON result stays valid. */
    r = count_ok("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": "
                 "\"f\", \"description\": \"d\", \"parameters\": {\"properties\": {\"p\": "
                 "{\"type\": \"string\", \"description\": \"x\", \"x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\": 1}}}}}]}",
                 NULL, TM_REQUEST_API_AUTO);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION,
                         "tools[0].function.parameters.properties.p", "(here \"x??????"));
    check_consistent(r);
    tm_request_free(r);

    /* A model the tool constants are not confirmed for. */
    r = count_ok("{\"model\": \"gpt-5\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": "
                 "\"f\", \"description\": \"d\"}}]}", NULL, TM_REQUEST_API_AUTO);
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "tools", "assumed for gpt-5"));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "", "assumed for gpt-5"));
    tm_request_free(r);
}

/* ---- responses, completions, embeddings ---- */

static void test_responses(void **state)
{
    tm_request *r;
    uint64_t want;

    (void)state;
    r = count_ok("{\"model\": \"gpt-4o\", \"instructions\": \"Be terse.\", \"input\": "
                 "\"Hello there\"}", NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_api(r), TM_REQUEST_API_RESPONSES);
    want = 3 + ntok(o200k, "system") + ntok(o200k, "Be terse.") + 3 + ntok(o200k, "user") +
           ntok(o200k, "Hello there") + 3;
    assert_int_equal(tm_request_prompt_tokens(r), want);
    assert_true(tm_request_is_estimate(r));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "", "Responses API"));
    check_consistent(r);
    tm_request_free(r);

    r = count_ok("{\"model\": \"gpt-4o\", \"input\": ["
                 "{\"role\": \"user\", \"content\": [{\"type\": \"input_text\", \"text\": "
                 "\"Weather?\"}]},"
                 "{\"type\": \"function_call\", \"call_id\": \"c1\", \"name\": \"w\", "
                 "\"arguments\": \"{}\"},"
                 "{\"type\": \"function_call_output\", \"call_id\": \"c1\", \"output\": "
                 "\"sunny\"},"
                 "{\"type\": \"reasoning\", \"id\": \"rs_1\", \"summary\": []}],"
                 "\"tools\": [{\"type\": \"function\", \"name\": \"w\", \"description\": "
                 "\"Weather\"}, {\"type\": \"web_search_preview\"}]}",
                 NULL, TM_REQUEST_API_AUTO);
    want = 3 + ntok(o200k, "user") + ntok(o200k, "Weather?") + ntok(o200k, "w") +
           ntok(o200k, "{}") + 3 + ntok(o200k, "tool") + ntok(o200k, "sunny") +
           7 + ntok(o200k, "w:Weather") + 12 + 3;
    assert_int_equal(tm_request_prompt_tokens(r), want);
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "input[3]", "reasoning"));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "tools[1]", "built-in"));
    check_consistent(r);
    tm_request_free(r);

    /* Only previous_response_id: the earlier turns are unknown. */
    r = count_ok("{\"model\": \"gpt-4o\", \"previous_response_id\": \"resp_1\", \"input\": "
                 "\"and then?\"}", NULL, TM_REQUEST_API_AUTO);
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "previous_response_id", "earlier turns"));
    tm_request_free(r);
}

static void test_completions_and_embeddings(void **state)
{
    tm_request *r;

    (void)state;
    r = count_ok("{\"model\": \"gpt-3.5-turbo-instruct\", \"prompt\": \"Say this is a "
                 "test\"}", NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_api(r), TM_REQUEST_API_COMPLETIONS);
    assert_int_equal(tm_request_prompt_tokens(r), ntok(cl100k, "Say this is a test"));
    assert_false(tm_request_is_estimate(r));
    check_consistent(r);
    tm_request_free(r);

    r = count_ok("{\"model\": \"gpt-3.5-turbo-instruct\", \"prompt\": [\"one\", \"two "
                 "three\"]}", NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), ntok(cl100k, "one") +
                                                      ntok(cl100k, "two three"));
    assert_int_equal(tm_request_part_count(r), 2);
    assert_string_equal(tm_request_part(r, 1)->path, "prompt[1]");
    tm_request_free(r);

    r = count_ok("{\"model\": \"davinci-002\", \"prompt\": [[1, 2, 3], [4]]}", NULL,
                 TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), 4);
    tm_request_free(r);

    /* A model only tiktoken's table knows (not in the registry). */
    r = count_ok("{\"model\": \"text-davinci-003\", \"prompt\": [9906, 11, 1917]}", NULL,
                 TM_REQUEST_API_AUTO);
    assert_string_equal(tm_request_encoding(r), "p50k_base");
    assert_int_equal(tm_request_prompt_tokens(r), 3);
    tm_request_free(r);

    r = count_ok("{\"model\": \"text-embedding-3-small\", \"input\": [\"The food was "
                 "delicious\", \"and the waiter...\"], \"encoding_format\": \"float\"}",
                 NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_api(r), TM_REQUEST_API_EMBEDDINGS);
    assert_int_equal(tm_request_prompt_tokens(r), ntok(cl100k, "The food was delicious") +
                                                      ntok(cl100k, "and the waiter..."));
    assert_false(tm_request_is_estimate(r));
    check_consistent(r);
    tm_request_free(r);

    /* The API can be named: an "input" body as embeddings for any model. */
    r = count_ok("{\"model\": \"gpt-4o\", \"input\": \"x y z\"}", NULL,
                 TM_REQUEST_API_EMBEDDINGS);
    assert_int_equal(tm_request_prompt_tokens(r), ntok(o200k, "x y z"));
    tm_request_free(r);
}

/* ---- Anthropic ---- */

static void test_anthropic(void **state)
{
    char url[200], body[2000];
    const char *b64;
    tm_request *r;
    uint64_t text;

    (void)state;
    r = count_ok("{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 10, \"system\": \"You "
                 "are a scientist\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"Hello, Claude\"}]}", NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_api(r), TM_REQUEST_API_ANTHROPIC);
    assert_true(tm_request_is_estimate(r));
    assert_int_equal(tm_request_prompt_tokens(r), ntok(o200k, "You are a scientist") +
                                                      ntok(o200k, "Hello, Claude"));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "", "no message framing"));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "", "publishes no tokenizer"));
    check_consistent(r);
    tm_request_free(r);

    /* Tools: definitions as text, plus the tool-use system prompt ([T]). */
    r = count_ok("{\"model\": \"claude-opus-4-1\", \"messages\": [{\"role\": \"user\", "
                 "\"content\": \"Price of AAPL?\"}, {\"role\": \"assistant\", \"content\": "
                 "[{\"type\": \"tool_use\", \"id\": \"t1\", \"name\": \"price\", \"input\": "
                 "{\"ticker\": \"AAPL\"}}]}, {\"role\": \"user\", \"content\": [{\"type\": "
                 "\"tool_result\", \"tool_use_id\": \"t1\", \"content\": \"199\"}]}], "
                 "\"tools\": [{\"name\": \"price\", \"description\": \"Stock price\", "
                 "\"input_schema\": {\"type\": \"object\"}}]}", NULL, TM_REQUEST_API_AUTO);
    text = ntok(o200k, "Price of AAPL?") + ntok(o200k, "price") +
           ntok(o200k, "{\"ticker\":\"AAPL\"}") + ntok(o200k, "199") +
           ntok(o200k, "price") + ntok(o200k, "Stock price") +
           ntok(o200k, "{\"type\":\"object\"}");
    assert_int_equal(tm_request_prompt_tokens(r), text + 346);
    check_consistent(r);
    tm_request_free(r);

    r = count_ok("{\"model\": \"claude-3-opus-20240229\", \"messages\": [{\"role\": \"user\", "
                 "\"content\": \"x\"}], \"tools\": [{\"name\": \"a\", \"input_schema\": {}}], "
                 "\"tool_choice\": {\"type\": \"any\"}}", NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), ntok(o200k, "x") + ntok(o200k, "a") +
                                                      ntok(o200k, "{}") + 281);
    tm_request_free(r);

    /* Images: (w x h) / 750 from the base64 header; by URL unknown. */
    png_data_url(200, 200, url, sizeof(url));
    b64 = strchr(url, ',') + 1;
    snprintf(body, sizeof(body), "{\"model\": \"claude-haiku-4-5\", \"messages\": [{\"role\": "
             "\"user\", \"content\": [{\"type\": \"image\", \"source\": {\"type\": "
             "\"base64\", \"media_type\": \"image/png\", \"data\": \"%s\"}}, {\"type\": "
             "\"image\", \"source\": {\"type\": \"url\", \"url\": "
             "\"https://example.com/x.jpg\"}}, {\"type\": \"text\", \"text\": \"Compare\"}]}, "
             "{\"role\": \"assistant\", \"content\": [{\"type\": \"thinking\", \"thinking\": "
             "\"hm\", \"signature\": \"s\"}, {\"type\": \"text\", \"text\": \"ok\"}]}]}", b64);
    r = count_ok(body, NULL, TM_REQUEST_API_AUTO);
    assert_int_equal(tm_request_prompt_tokens(r), 54 + ntok(o200k, "Compare") +
                                                      ntok(o200k, "ok"));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[0].content[1]", "given by URL"));
    assert_true(has_note(r, TM_REQUEST_UNKNOWN, "messages[1].content[0]", "thinking"));
    check_consistent(r);
    tm_request_free(r);
}

/* ---- models ---- */

static void test_resolve_model(void **state)
{
    struct tm_model_resolution res;
    struct tm_error err = {0};

    (void)state;
    assert_int_equal(tm_request_resolve_model(reg, "gpt-4o-mini", &res, &err), TM_OK);
    assert_string_equal(res.tokenizer, "o200k_base");
    assert_string_equal(res.provider, "openai");
    assert_string_equal(res.family, "gpt-4o");
    assert_non_null(res.entry);
    assert_false(res.estimate);
    assert_int_equal(tm_request_resolve_model(reg, "claude-3-5-haiku-latest", &res, &err),
                     TM_OK);
    assert_true(res.estimate);
    /* Not in the registry: tiktoken's table, marked as such. */
    assert_int_equal(tm_request_resolve_model(reg, "text-davinci-003", &res, &err), TM_OK);
    assert_string_equal(res.tokenizer, "p50k_base");
    assert_null(res.entry);
    assert_null(res.family);
    assert_int_equal(tm_request_resolve_model(NULL, "gpt-4o", &res, &err), TM_OK);
    assert_string_equal(res.tokenizer, "o200k_base");
    assert_int_equal(tm_request_resolve_model(reg, "no-such-model", &res, &err), TM_ENOENT);
    assert_non_null(strstr(err.message, "'no-such-model'"));
    assert_non_null(strstr(err.message, "tokenmeter models"));

    assert_int_equal(tm_request_api_from_name("chat"), TM_REQUEST_API_CHAT);
    assert_int_equal(tm_request_api_from_name("anthropic"), TM_REQUEST_API_ANTHROPIC);
    assert_int_equal(tm_request_api_from_name("soap"), -1);
    assert_string_equal(tm_request_api_name(TM_REQUEST_API_EMBEDDINGS), "embeddings");
}

/* Open-model families: the registry's tokenizer counts the text; the chat
 * template is not modelled, so the result is an estimate. */
static void test_open_model_family(void **state)
{
    struct tm_error err = {0};
    tm_encoding *llama = tm_encoding_open("llama3", &err);
    tm_request *r;

    (void)state;
    if (llama == NULL) {
        print_message("skipped: tokenizer llama3 is not available (%s)\n", err.message);
        skip();
    }
    r = count_ok("{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"messages\": [{\"role\": "
                 "\"user\", \"content\": \"Hello, world\"}]}", NULL, TM_REQUEST_API_AUTO);
    assert_string_equal(tm_request_encoding(r), "llama3");
    assert_int_equal(tm_request_prompt_tokens(r), 3 + ntok(llama, "user") +
                                                      ntok(llama, "Hello, world") + 3);
    assert_true(tm_request_is_estimate(r));
    assert_true(has_note(r, TM_REQUEST_APPROXIMATION, "", "chat template"));
    tm_request_free(r);
    tm_encoding_free(llama);
}

/* ---- bad bodies ---- */

static void test_bad_bodies(void **state)
{
    const enum tm_request_api A = TM_REQUEST_API_AUTO;
    char big_url[200], body[600];

    (void)state;
    expect_error("not json", NULL, A, TM_EINVAL, "not valid JSON", "line 1", NULL);
    expect_error("[1]", NULL, A, TM_EINVAL, "expected a JSON object", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [], \"messages\": []}", NULL, A,
                 TM_EINVAL, "not valid JSON", "duplicate", NULL);
    expect_error("{\"messages\": []}", NULL, A, TM_EINVAL, "body.json: model: missing", NULL);
    expect_error("{\"model\": 5, \"messages\": []}", NULL, A, TM_EINVAL,
                 "model: expected a string, got an integer", NULL);
    expect_error("{\"model\": \"nope-model\", \"messages\": []}", NULL, A, TM_ENOENT,
                 "model: unknown model 'nope-model'", "tokenmeter models", NULL);
    expect_error("{\"model\": \"gpt-4o\"}", NULL, A, TM_EINVAL,
                 "cannot tell which API", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [], \"prompt\": \"x\"}", NULL, A,
                 TM_EINVAL, "more than one of", NULL);

    /* chat completions */
    expect_error("{\"model\": \"gpt-4o\", \"messages\": \"hi\"}", NULL, A, TM_EINVAL,
                 "body.json: messages: expected an array, got a string", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": []}", NULL, A, TM_EINVAL,
                 "messages: the array is empty", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [3]}", NULL, A, TM_EINVAL,
                 "messages[0]: expected a message object, got an integer", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"content\": \"x\"}]}", NULL, A,
                 TM_EINVAL, "messages[0].role: missing", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\"}, {\"role\": \"robot\", \"content\": \"x\"}]}", NULL, A, TM_EINVAL,
                 "messages[1].role: unknown role \"robot\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"a\"}, {\"role\": \"user\", \"content\": \"b\"}, {\"role\": \"user\", "
                 "\"content\": [{\"type\": \"foo\"}]}]}", NULL, A, TM_EINVAL,
                 "messages[2].content[0].type: unknown content part type \"foo\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"text\": \"x\"}]}]}", NULL, A, TM_EINVAL,
                 "messages[0].content[0].type: missing", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[]}]}", NULL, A, TM_EINVAL, "messages[0].content: the array is empty", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[\"x\"]}]}", NULL, A, TM_EINVAL,
                 "messages[0].content[0]: expected a content part object, got a string", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"system\", \"content\": "
                 "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://x\"}}]}]}",
                 NULL, A, TM_EINVAL, "messages[0].content[0].type: content part type "
                 "\"image_url\" is not allowed in a system message", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "7}]}", NULL, A, TM_EINVAL,
                 "messages[0].content: expected a string or an array, got an integer", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\"}]}", NULL, A,
                 TM_EINVAL, "messages[0].content: missing", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "null}]}", NULL, A, TM_EINVAL, "messages[0].content: expected a string or "
                 "an array, got null", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"assistant\"}]}", NULL, A,
                 TM_EINVAL, "messages[0].content: missing (an assistant message needs", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"tool\", \"content\": "
                 "\"x\"}]}", NULL, A, TM_EINVAL, "messages[0].tool_call_id: missing", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"function\", "
                 "\"content\": \"x\"}]}", NULL, A, TM_EINVAL, "messages[0].name: missing",
                 NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\", \"colour\": 1}]}", NULL, A, TM_EINVAL,
                 "messages[0].colour: unknown field for a user message", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\", \"name\": 3}]}", NULL, A, TM_EINVAL,
                 "messages[0].name: expected a string, got an integer", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"assistant\", "
                 "\"tool_calls\": [{\"id\": \"c\", \"type\": \"function\"}]}]}", NULL, A,
                 TM_EINVAL, "messages[0].tool_calls[0].function: missing", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"assistant\", "
                 "\"tool_calls\": [{\"id\": \"c\", \"type\": \"function\", \"function\": "
                 "{\"name\": \"f\", \"arguments\": {}}}]}]}", NULL, A, TM_EINVAL,
                 "messages[0].tool_calls[0].function.arguments: expected a string, got an "
                 "object", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"assistant\", "
                 "\"tool_calls\": [{\"id\": \"c\", \"type\": \"magic\"}]}]}", NULL, A,
                 TM_EINVAL, "messages[0].tool_calls[0].type: unknown tool call type", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\"}], \"tools\": [{\"type\": \"plugin\"}]}", NULL, A, TM_EINVAL,
                 "tools[0].type: unknown tool type \"plugin\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\"}], \"tools\": [{\"type\": \"function\", \"function\": {}}]}", NULL, A,
                 TM_EINVAL, "tools[0].function.name: missing", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": "
                 "\"f\", \"parameters\": {\"properties\": {\"x\": 3}}}}]}", NULL, A, TM_EINVAL,
                 "tools[0].function.parameters.properties.x: expected a JSON schema object",
                 NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\"}], \"tools\": {}}", NULL, A, TM_EINVAL,
                 "tools: expected an array or null, got an object", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://x\", "
                 "\"detail\": \"max\"}}]}]}", NULL, A, TM_EINVAL,
                 "messages[0].content[0].image_url.detail: expected \"low\", \"high\" or "
                 "\"auto\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"image_url\", \"image_url\": {\"url\": "
                 "\"data:image/png;base64,%%%%\"}}]}]}", NULL, A, TM_EINVAL,
                 "messages[0].content[0].image_url.url: the image data is not valid base64",
                 NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png\"}}]}]}",
                 NULL, A, TM_EINVAL, "image_url.url: a data: URL without the ','", NULL);

    /* completions / embeddings */
    expect_error("{\"model\": \"davinci-002\", \"prompt\": [1, 2, 999999999]}", NULL, A,
                 TM_EINVAL, "prompt[2]: token id 999999999 is not in cl100k_base's "
                 "vocabulary", NULL);
    expect_error("{\"model\": \"davinci-002\", \"prompt\": [1, -1]}", NULL, A, TM_EINVAL,
                 "prompt[1]: token id -1", NULL);
    expect_error("{\"model\": \"davinci-002\", \"prompt\": [1, \"x\"]}", NULL, A, TM_EINVAL,
                 "prompt[1]: expected a token id (an integer), got a string", NULL);
    expect_error("{\"model\": \"davinci-002\", \"prompt\": [\"a\", [1]]}", NULL, A, TM_EINVAL,
                 "prompt[1]: expected a string like the array's first element, got an array",
                 NULL);
    expect_error("{\"model\": \"davinci-002\", \"prompt\": [[1], []]}", NULL, A, TM_EINVAL,
                 "prompt[1]: the token array is empty", NULL);
    expect_error("{\"model\": \"davinci-002\", \"prompt\": [null]}", NULL, A, TM_EINVAL,
                 "prompt[0]: expected a string, a token id or a token array, got null", NULL);
    expect_error("{\"model\": \"davinci-002\", \"prompt\": 12}", NULL, A, TM_EINVAL,
                 "prompt: expected a string or an array, got an integer", NULL);
    expect_error("{\"model\": \"text-embedding-3-small\", \"input\": []}", NULL, A, TM_EINVAL,
                 "input: the array is empty", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"messages\": []}", NULL,
                 TM_REQUEST_API_COMPLETIONS, TM_EINVAL, "prompt: missing", NULL);

    /* responses */
    expect_error("{\"model\": \"gpt-4o\", \"input\": [{\"type\": \"bogus\"}]}", NULL, A,
                 TM_EINVAL, "input[0].type: unknown input item type \"bogus\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"input\": [{\"role\": \"critic\", \"content\": "
                 "\"x\"}]}", NULL, A, TM_EINVAL, "input[0].role: unknown role \"critic\"",
                 NULL);
    expect_error("{\"model\": \"gpt-4o\", \"input\": [{\"role\": \"user\", \"content\": "
                 "[{\"type\": \"text\", \"text\": \"x\"}]}]}", NULL, A, TM_EINVAL,
                 "input[0].content[0].type: unknown content part type \"text\"", NULL);
    expect_error("{\"model\": \"gpt-4o\", \"instructions\": \"x\"}", NULL,
                 TM_REQUEST_API_RESPONSES, TM_EINVAL, "input: missing", NULL);

    /* anthropic */
    expect_error("{\"model\": \"claude-sonnet-4-5\", \"messages\": [{\"role\": \"system\", "
                 "\"content\": \"x\"}]}", NULL, A, TM_EINVAL,
                 "messages[0].role: unknown role \"system\"", NULL);
    expect_error("{\"model\": \"claude-sonnet-4-5\", \"messages\": [{\"role\": \"user\", "
                 "\"content\": [{\"type\": \"video\"}]}]}", NULL, A, TM_EINVAL,
                 "messages[0].content[0].type: unknown content block type \"video\"", NULL);
    expect_error("{\"model\": \"claude-sonnet-4-5\", \"messages\": [{\"role\": \"user\", "
                 "\"content\": [{\"type\": \"image\", \"source\": {\"type\": \"base64\", "
                 "\"media_type\": \"image/tiff\", \"data\": \"AAAA\"}}]}]}", NULL, A, TM_EINVAL,
                 "messages[0].content[0].source.media_type: expected image/jpeg", NULL);
    expect_error("{\"model\": \"claude-sonnet-4-5\", \"system\": 5, \"messages\": []}", NULL, A,
                 TM_EINVAL, "system: expected a string or an array, got an integer", NULL);
    expect_error("{\"model\": \"claude-sonnet-4-5\", \"messages\": [{\"role\": \"user\", "
                 "\"content\": \"x\"}], \"tools\": [{\"name\": \"t\"}]}", NULL, A, TM_EINVAL,
                 "tools[0].input_schema: missing", NULL);
    expect_error("{\"model\": \"claude-sonnet-4-5\", \"messages\": [{\"role\": \"user\", "
                 "\"content\": \"x\"}], \"tool_choice\": {\"type\": \"maybe\"}}", NULL, A,
                 TM_EINVAL, "tool_choice.type: expected \"auto\"", NULL);

    /* -m overrides the body's model; a name that is not text is refused. */
    expect_error("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": "
                 "\"x\"}]}", "gpt-4o\xff", A, TM_EINVAL, "not valid UTF-8", NULL);
    {
        /* An unknown model given as an option is about the option, not the
         * body: the message names the model. */
        struct tm_request_options opt = {A, "nope-model", NULL};
        struct tm_error err = {0};
        const char *b = "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}";
        assert_null(tm_request_count(b, strlen(b), "body.json", reg, &opt, &err));
        assert_int_equal(err.code, TM_ENOENT);
        assert_non_null(strstr(err.message, "unknown model 'nope-model'"));
    }

    /* Over the body size cap. */
    {
        struct tm_error err = {0};
        assert_null(tm_request_count("{}", (size_t)TM_REQUEST_MAX_BYTES + 1, "body.json", reg,
                                     NULL, &err));
        assert_int_equal(err.code, TM_ELIMIT);
    }
    png_data_url(8, 8, big_url, sizeof(big_url));
    snprintf(body, sizeof(body), "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", "
             "\"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"%s\", "
             "\"extra\": 1}}]}]}", big_url);
    expect_error(body, NULL, A, TM_EINVAL,
                 "messages[0].content[0].image_url.extra: unknown field for image_url", NULL);
}

/* A tokenizer already open is used as given (a gateway keeps it open). */
static void test_given_encoding(void **state)
{
    struct tm_request_options opt = {TM_REQUEST_API_AUTO, "gpt-4o", o200k};
    struct tm_error err = {0};
    const char *body = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    tm_request *r = tm_request_count(body, strlen(body), "b", reg, &opt, &err);

    (void)state;
    assert_non_null(r);
    assert_int_equal(tm_request_prompt_tokens(r), 3 + ntok(o200k, "user") + ntok(o200k, "hi") + 3);
    tm_request_free(r);
    tm_request_free(NULL);
}

static int setup(void **state)
{
    struct tm_error err = {0};

    (void)state;
    unsetenv(TM_REGISTRY_ENV);
    reg = tm_registry_open(NULL, &err);
    o200k = tm_encoding_open("o200k_base", &err);
    cl100k = tm_encoding_open("cl100k_base", &err);
    if (reg == NULL || o200k == NULL || cl100k == NULL) {
        fprintf(stderr, "request_test: setup: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tm_registry_free(reg);
    tm_encoding_free(o200k);
    tm_encoding_free(cl100k);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_examples),
        cmocka_unit_test(test_breakdown),
        cmocka_unit_test(test_image_formulas),
        cmocka_unit_test(test_image_sniff),
        cmocka_unit_test(test_chat_images),
        cmocka_unit_test(test_chat_tool_calls_and_results),
        cmocka_unit_test(test_shared_part_rules),
        cmocka_unit_test(test_chat_tool_schemas),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_completions_and_embeddings),
        cmocka_unit_test(test_anthropic),
        cmocka_unit_test(test_resolve_model),
        cmocka_unit_test(test_open_model_family),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_given_encoding),
    };
    return cmocka_run_group_tests_name("request", tests, setup, teardown);
}
