/*
 * Images in request bodies: reading an inline image's pixel size, and the
 * providers' published formulas from size to prompt tokens.
 *
 * A request body carries no image size: only an inline image (a base64
 * data: URL, or Anthropic's base64 source) can be sized, by reading the
 * header of the PNG, JPEG, GIF or WebP file it holds. An image given by URL
 * or file id is recorded as unknown, never guessed.
 *
 * Sources (read as cited; docs/REQUESTS.md quotes them):
 *  [V1] OpenAI, "Images and vision: calculating costs",
 *       https://platform.openai.com/docs/guides/images-vision#calculating-costs
 *       (formerly https://platform.openai.com/docs/guides/vision#calculating-costs;
 *       its text as quoted at https://v2ex.com/amp/t/1044688 and mirrored at
 *       https://openai-hd4n6.mintlify.app/docs/guides/images): detail low =
 *       the base tokens; detail high = fit in 2048x2048, then shortest side
 *       768 when larger, then base + tile tokens per 512px tile; examples
 *       1024x1024 high = 765, 2048x4096 high = 1105, 4096x8192 low = 85.
 *       Patch models: 32px patches, at most 1536 (scaled down to fit, the
 *       width to a whole number of patches), times a per-model multiplier;
 *       examples 1024x1024 = 1024 and 1800x2400 = 1452 patches.
 *  [V2] Azure OpenAI, "Image tokens" (gpt-4o-mini 2833 base + 5667 per
 *       tile; shortest side scaled to 768 only when larger),
 *       https://learn.microsoft.com/en-us/azure/ai-services/openai/overview#image-tokens
 *  [V3] API-reported prompt_tokens for a 128x64 image plus five words of
 *       text, per model (gpt-4o 97 low / 267 high, gpt-4o-mini 2845 / 8512,
 *       gpt-4.1 97 / 267, ...), and the 2049x513 / 2050x513 edge cases that
 *       show the 2048 fit rounds to nearest:
 *       https://community.openai.com/t/vision-more-than-one-way-to-send-a-request-undocumented-and-different-pricing-realized/1262691
 *       https://community.openai.com/t/vision-pricing-calculator-inaccurate-resizing-rounding-vs-api-costs/1281361
 *  [V4] Per-model constants of [V1]'s table (gpt-5 70/140, o1/o3 75/150,
 *       computer-use-preview 65/129; patch multipliers gpt-5-mini and
 *       gpt-4.1-mini 1.62, gpt-5-nano and gpt-4.1-nano 2.46, o4-mini 1.72),
 *       as restated at https://github.com/xn1cklas/tokenlens/issues/7 and in
 *       jamesmcroft/openai-image-token-calculator.
 *  [A1] Anthropic, "Vision: calculate image costs": tokens = (width px *
 *       height px) / 750, after scaling down an image whose long edge is
 *       over 1568 px or that would be over ~1,600 tokens; examples 200x200
 *       ~54, 1000x1000 ~1334, 1092x1092 ~1590:
 *       https://docs.anthropic.com/en/docs/build-with-claude/vision#calculate-image-costs
 */
#include <stdlib.h>
#include <string.h>

#include "request/request_int.h"

/* ---- base64 ---- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int tm__base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    unsigned char *buf = malloc(len / 4 * 3 + 3);
    size_t o = 0, pad = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (buf == NULL)
        return TM_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue; /* MIME line breaks */
        if (c == '=') {
            pad++;
            continue;
        }
        v = b64_value(c);
        if (v < 0 || pad > 0)
            goto bad; /* a stray byte, or data after the padding */
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits: 0 (whole groups), 2 or 4 (one or two pad chars). */
    if (pad > 2 || bits == 6 || (pad > 0 && (bits == 0 || pad != (size_t)bits / 2)))
        goto bad;
    *out = buf;
    *out_len = o;
    return TM_OK;
bad:
    free(buf);
    return TM_EINVAL;
}

/* ---- image headers ---- */

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const unsigned char *p) { return le16(p) | (uint32_t)p[2] << 16; }
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int jpeg_size(const unsigned char *d, size_t len, struct tm__image *img)
{
    size_t pos = 2;

    while (pos + 4 <= len) {
        unsigned m;
        if (d[pos] != 0xff)
            return -1;
        m = d[pos + 1];
        if (m == 0xff) { /* fill byte */
            pos++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) { /* markers without length */
            pos += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda) /* end of image / start of scan: no frame */
            return -1;
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (pos + 9 > len)
                return -1;
            img->height = be16(d + pos + 5);
            img->width = be16(d + pos + 7);
            img->format = "jpeg";
            return 0;
        }
        if (be16(d + pos + 2) < 2)
            return -1;
        pos += 2 + be16(d + pos + 2);
    }
    return -1;
}

int tm__image_sniff(const unsigned char *d, size_t len, struct tm__image *img)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int rc = -1;

    img->known = false;
    img->width = img->height = 0;
    img->format = NULL;
    if (len >= 24 && memcmp(d, png, 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0) {
        img->width = be32(d + 16);
        img->height = be32(d + 20);
        img->format = "png";
        rc = 0;
    } else if (len >= 10 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) {
        img->width = le16(d + 6);
        img->height = le16(d + 8);
        img->format = "gif";
        rc = 0;
    } else if (len >= 30 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) {
        img->format = "webp";
        if (memcmp(d + 12, "VP8 ", 4) == 0 && d[23] == 0x9d && d[24] == 0x01 &&
            d[25] == 0x2a) {
            img->width = le16(d + 26) & 0x3fff;
            img->height = le16(d + 28) & 0x3fff;
            rc = 0;
        } else if (memcmp(d + 12, "VP8L", 4) == 0 && d[20] == 0x2f) {
            img->width = 1 + (d[21] | (uint32_t)(d[22] & 0x3f) << 8);
            img->height = 1 + (d[22] >> 6 | (uint32_t)d[23] << 2 | (uint32_t)(d[24] & 0x0f) << 10);
            rc = 0;
        } else if (memcmp(d + 12, "VP8X", 4) == 0) {
            img->width = 1 + le24(d + 24);
            img->height = 1 + le24(d + 27);
            rc = 0;
        }
    } else if (len >= 4 && d[0] == 0xff && d[1] == 0xd8) {
        rc = jpeg_size(d, len, img);
    }
    if (rc != 0 || img->width == 0 || img->height == 0 || img->width > (1u << 24) ||
        img->height > (1u << 24))
        return -1;
    img->known = true;
    return 0;
}

int tm__rq_image_base64(struct tm__rq *q, const char *b64, size_t len,
                        struct tm__image *img)
{
    unsigned char *data = NULL;
    size_t n = 0;
    int rc = tm__base64_decode(b64, len, &data, &n);

    memset(img, 0, sizeof(*img));
    if (rc == TM_ENOMEM)
        return tm__rq_fail_code(q, TM_ENOMEM, "out of memory");
    if (rc != 0)
        return tm__rq_fail(q, "the image data is not valid base64");
    tm__image_sniff(data, n, img);
    free(data);
    return TM_OK;
}

int tm__rq_image_url(struct tm__rq *q, const char *url, size_t len, struct tm__image *img)
{
    const char *comma, *meta_end;

    memset(img, 0, sizeof(*img));
    if (len < 5 || !tm__rq_prefix(url, "data:"))
        return TM_OK;
    comma = memchr(url, ',', len);
    if (comma == NULL)
        return tm__rq_fail(q, "a data: URL without the ',' before its data");
    meta_end = comma;
    if (meta_end - url < 12 || !tm__rq_prefix(meta_end - 7, ";base64"))
        return TM_OK; /* not base64: not an image we can read */
    return tm__rq_image_base64(q, comma + 1, len - (size_t)(comma + 1 - url), img);
}

/* ---- formulas ---- */

/* a * b / c rounded to nearest, ties to even ([V3]: the API rounds a
 * 2049x513 image's 512.75 to 513 and 2050x513's 512.4995 to 512). */
static uint64_t mul_div_round(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t n = a * b, q = n / c, r = n % c;

    if (2 * r > c || (2 * r == c && (q & 1)))
        q++;
    return q;
}

uint64_t tm__image_tile_tokens(uint32_t width, uint32_t height, bool high,
                               unsigned base, unsigned tile)
{
    uint64_t w = width, h = height;

    /* [V1]: "detail: low" is the base tokens whatever the size. */
    if (!high)
        return base;
    /* [V1]: scale to fit within a 2048 x 2048 square, keeping the ratio. */
    if (w > 2048 || h > 2048) {
        if (w >= h) {
            h = mul_div_round(h, 2048, w);
            w = 2048;
        } else {
            w = mul_div_round(w, 2048, h);
            h = 2048;
        }
    }
    /* [V1], [V2]: then, when the shortest side is over 768px, scale it to
     * 768px. */
    if (w <= h && w > 768) {
        h = mul_div_round(h, 768, w);
        w = 768;
    } else if (h < w && h > 768) {
        w = mul_div_round(w, 768, h);
        h = 768;
    }
    if (w == 0)
        w = 1;
    if (h == 0)
        h = 1;
    /* [V1]: base tokens plus tile tokens per 512px square covering it. */
    return base + (uint64_t)tile * ((w + 511) / 512) * ((h + 511) / 512);
}

/* floor(sqrt(x)), in integers (the digit-by-digit method). */
static uint64_t isqrt64(uint64_t x)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;

    while (bit > x)
        bit >>= 2;
    while (bit != 0) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

uint64_t tm__image_patch_tokens(uint32_t width, uint32_t height, unsigned multiplier_pct)
{
    const uint64_t budget = 1536; /* [V1]: at most 1536 patches */
    uint64_t w = width, h = height;
    uint64_t pw = (w + 31) / 32, ph = (h + 31) / 32, patches = pw * ph;

    if (patches > budget) {
        /* [V1]: shrink by sqrt(budget * 32^2 / (w * h)), then shrink the
         * width to a whole number of patches: in exact integers, the width
         * becomes floor(sqrt(budget * w / h)) patches and the height
         * h * that / w pixels-per-32, rounded up to whole patches. */
        pw = isqrt64(budget * w / h);
        if (pw == 0)
            pw = 1;
        ph = (h * pw + w - 1) / w;
        patches = pw * ph;
        if (patches > budget)
            patches = budget;
    }
    /* [V1], [V4]: times the model's multiplier; rounding is not published
     * (nearest fits the published 1024x1024 -> 1659 and the measured
     * 1536 x 1.62 -> 2488). */
    return (patches * multiplier_pct + 50) / 100;
}

uint64_t tm__image_anthropic_tokens(uint32_t width, uint32_t height)
{
    const uint64_t max_area = 1600 * 750; /* ~1,600 tokens */
    uint64_t w = width, h = height, longest = w > h ? w : h;

    /* [A1]: a long edge over 1568px is scaled down to 1568px. */
    if (longest > 1568) {
        w = w * 1568 / longest;
        h = h * 1568 / longest;
    }
    /* [A1]: an image over ~1,600 tokens is scaled down, keeping the ratio,
     * to about that: each side times sqrt(max_area / (w * h)). */
    if (w * h > max_area) {
        uint64_t nw = isqrt64(max_area * w / h), nh = isqrt64(max_area * h / w);
        w = nw ? nw : 1;
        h = nh ? nh : 1;
    }
    /* [A1]: (width * height) / 750; its examples round up (~54 for 200x200). */
    return (w * h + 749) / 750;
}

/* OpenAI models and their image rule, longest prefix first. [V1] table,
 * constants via [V2] and [V4]; `confirmed` where [V3]'s API-reported
 * counts match the formula exactly. Models without image input map to
 * NONE. */
static const struct tm__image_rule openai_rules[] = {
    {"gpt-4o-mini", TM__IMAGE_TILE, 2833, 5667, 0, true},
    {"gpt-4o", TM__IMAGE_TILE, 85, 170, 0, true},
    {"chatgpt-4o", TM__IMAGE_TILE, 85, 170, 0, true},
    {"gpt-4.1-mini", TM__IMAGE_PATCH, 0, 0, 162, false},
    {"gpt-4.1-nano", TM__IMAGE_PATCH, 0, 0, 246, false},
    {"gpt-4.1", TM__IMAGE_TILE, 85, 170, 0, true},
    {"gpt-4.5", TM__IMAGE_TILE, 85, 170, 0, true},
    {"gpt-4-turbo", TM__IMAGE_TILE, 85, 170, 0, true},
    {"gpt-4-vision", TM__IMAGE_TILE, 85, 170, 0, false},
    {"gpt-4-1106-vision", TM__IMAGE_TILE, 85, 170, 0, false},
    {"gpt-5-mini", TM__IMAGE_PATCH, 0, 0, 162, false},
    {"gpt-5-nano", TM__IMAGE_PATCH, 0, 0, 246, false},
    {"gpt-5", TM__IMAGE_TILE, 70, 140, 0, false},
    {"o1-mini", TM__IMAGE_NONE, 0, 0, 0, false},
    {"o1-preview", TM__IMAGE_NONE, 0, 0, 0, false},
    {"o1", TM__IMAGE_TILE, 75, 150, 0, false},
    {"o3-mini", TM__IMAGE_NONE, 0, 0, 0, false},
    {"o3", TM__IMAGE_TILE, 75, 150, 0, false},
    {"o4-mini", TM__IMAGE_PATCH, 0, 0, 172, false},
    {"computer-use-preview", TM__IMAGE_TILE, 65, 129, 0, false},
};

const struct tm__image_rule *tm__openai_image_rule(const char *model)
{
    const char *m = model;

    if (tm__rq_prefix(m, "ft:")) /* a fine-tune prices as its base model */
        m += 3;
    for (size_t i = 0; i < sizeof(openai_rules) / sizeof(openai_rules[0]); i++)
        if (tm__rq_prefix(m, openai_rules[i].prefix))
            return &openai_rules[i];
    return NULL;
}

static int record_image(struct tm__rq *q, const struct tm__image *img, const char *detail,
                        const char *formula, uint64_t tokens)
{
    json_t *rec = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:I}", "path", q->path,
                            "format", img->format ? img->format : "", "width",
                            (json_int_t)img->width, "height", (json_int_t)img->height,
                            "detail", detail, "formula", formula, "tokens",
                            (json_int_t)tokens);

    if (rec == NULL || json_array_append_new(q->images, rec) != 0)
        return tm__rq_fail_code(q, TM_ENOMEM, "out of memory");
    return TM_OK;
}

const char *tm__image_why_unknown(const char *url, size_t len)
{
    if (url != NULL && len >= 5 && tm__rq_prefix(url, "data:"))
        return "the image's size could not be read (tokenmeter reads the size of "
               "base64 PNG, JPEG, GIF and WebP images)";
    if (url != NULL)
        return "image given by URL: its size, which the token formula needs, is not "
               "in the request";
    return "image given by file id: its size, which the token formula needs, is not "
           "in the request";
}

int tm__rq_openai_image(struct tm__rq *q, const struct tm__image *img, const char *detail,
                        const char *why_unknown, uint64_t *tokens)
{
    const struct tm__image_rule *rule = tm__openai_image_rule(q->res->model);
    char formula[96];
    bool high;
    int rc;

    *tokens = 0;
    if (detail == NULL)
        detail = "auto";
    if (rule == NULL || rule->kind == TM__IMAGE_NONE)
        return tm__rq_unknown(q, "image", "OpenAI publishes no image token formula for "
                              "%s", q->res->model);
    if (!img->known)
        return tm__rq_unknown(q, "image", "%s", why_unknown);
    if (rule->kind == TM__IMAGE_PATCH) {
        /* Patch models ignore detail ([V3]: low and high cost the same). */
        *tokens = tm__image_patch_tokens(img->width, img->height, rule->multiplier_pct);
        snprintf(formula, sizeof(formula), "32px patches (at most 1536) x %u.%02u",
                 rule->multiplier_pct / 100, rule->multiplier_pct % 100);
    } else {
        high = strcmp(detail, "low") != 0;
        *tokens = tm__image_tile_tokens(img->width, img->height, high, rule->base,
                                        rule->tile);
        if (high)
            snprintf(formula, sizeof(formula), "%u + %u per 512px tile", rule->base,
                     rule->tile);
        else
            snprintf(formula, sizeof(formula), "%u (detail low)", rule->base);
        if (strcmp(detail, "auto") == 0 &&
            (rc = tm__rq_approx(q, false, "detail \"auto\" (the default) counted as "
                                "\"high\": OpenAI does not publish how auto "
                                "chooses")) != TM_OK)
            return rc;
    }
    if (!rule->confirmed &&
        (rc = tm__rq_approx(q, false, "image tokens for %s use OpenAI's documented "
                            "constants, which no API-reported count confirms",
                            q->res->model)) != TM_OK)
        return rc;
    return record_image(q, img, detail, formula, *tokens);
}

int tm__rq_anthropic_image(struct tm__rq *q, const struct tm__image *img,
                           const char *why_unknown, uint64_t *tokens)
{
    *tokens = 0;
    if (!img->known)
        return tm__rq_unknown(q, "image", "%s", why_unknown);
    *tokens = tm__image_anthropic_tokens(img->width, img->height);
    return record_image(q, img, "", "(width x height) / 750 after scaling to a 1568px "
                        "long edge", *tokens);
}
