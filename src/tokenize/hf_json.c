/*
 * tokenizer.json files: compiling one into a .tmv image, and loading the
 * pipeline section of such an image.
 *
 * The section (hf_off in the .tmv header; little-endian, 8-aligned):
 *
 *   offset size  field
 *   0      4     magic "TMHF"
 *   4      4     section version (1)
 *   8      4     pair_slots: slots in the merge table (power of two)
 *   12     4     n_merges
 *   16     8     pair_off: pair_slots {u32 a, u32 b, u32 rank, u32 result}
 *                (hf.h tm__pair_hash, linear probing; a = 0xFFFFFFFF empty)
 *   24     8     direct_off: a bit per id, set when BPE of the token's own
 *                bytes gives that token, so a word equal to it needs no merge
 *   32     8     direct_words (u64 words)
 *   40     8     config_off: the pipeline as compact JSON text: the file's
 *                normalizer and pre_tokenizer objects as written, and the
 *                model options, added tokens and template ids it resolved
 *   48     8     config_len
 *   56     8     derived_off: tables derived from the rest at compile time,
 *                so loading need not compute them (0 = absent: computed at
 *                load, as for version 1 sections)
 *   64     8     derived_len
 *   72     24    reserved (0)
 *
 * Version 1 sections (written before derived tables existed) end at
 * offset 64 with 8 reserved bytes at 56; they still load, computing the
 * word-cut set at load and doing without the byte-pair table (slower load
 * and encode: recompile with `tokenmeter vocab compile` to get both).
 *
 * The derived tables (at derived_off, 8-aligned):
 *   0      4     flags: bit 0 words are never cut (glue_all), bit 1 the
 *                byte-pair table follows
 *   4      4     n_glue
 *   8      ...   if bit 1: 65536 u64, the merge of byte pair (first |
 *                second << 8) as rank | result << 32 (rank 0xFFFFFFFF:
 *                none); byte-level files only
 *   then         n_glue u32, sorted and unique: the code points some token
 *                has right before the metaspace character (hf.c cuts
 *                character-level words before that character elsewhere)
 *
 * Offsets are from the start of the section. Loading validates every id
 * and every part of the configuration as compiling does, so a damaged or
 * hostile file is an error, never a crash.
 *
 * Sources: the tokenizer.json schema as the Hugging Face `tokenizers`
 * crate reads it (models/bpe/serialization.rs, normalizers/, pre_tokenizers/,
 * processors/template.rs); every rule used is in docs/TOKENIZER-FAMILIES.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tokenize/hf.h"

#define HF_MAGIC "TMHF"
#define HF_VERSION 2
#define HF_HEADER_V1 64
#define HF_HEADER 96
#define DERIVED_GLUE_ALL 1u
#define DERIVED_BYTE_PAIRS 2u
#define BYTE_PAIRS 65536
#define MAX_TEMPLATE 4

/* The Split regexes tokenmeter has scanners for, as the files spell them. */
static const char PAT_GPT2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char PAT_LLAMA3[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char PAT_QWEN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char PAT_O200K[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}"
    "\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}"
    "\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}"
    "{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/* deepseek_v3's three splits */
static const char PAT_DS_DIGITS[] = "\\p{N}{1,3}";
static const char PAT_DS_CJK[] = "[\xe4\xb8\x80-\xe9\xbe\xa5\xe3\x81\x80-\xe3\x82\x9f"
                                 "\xe3\x82\xa0-\xe3\x83\xbf]+";
static const char PAT_DS_MAIN[] =
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
    "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

static int fail(struct tm_error *err, const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(struct tm_error *err, const char *what, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tm_error_set(err, TM_EFORMAT, "%s: %s", what, msg);
}

/* ---- GPT-2's byte <-> character table (docs/TOKENIZER-FAMILIES.md 5.4) ---- */

static bool printable_byte(int b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* The byte a ByteLevel character stands for, or -1. */
static int byte_of_char(uint32_t cp)
{
    if (cp < 0x100)
        return printable_byte((int)cp) ? (int)cp : -1;
    if (cp < 0x100 + 68) {
        uint32_t k = cp - 0x100;
        for (int b = 0; b < 256; b++)
            if (!printable_byte(b) && k-- == 0)
                return b;
    }
    return -1;
}

/* The raw bytes of a ByteLevel token string into out (room for n);
 * returns the length, or -1 when a character is outside the table. */
static long unmap_bytes(const char *s, size_t n, uint8_t *out)
{
    size_t i = 0;
    long o = 0;

    while (i < n) { /* jansson strings are valid UTF-8 */
        size_t cl;
        int b = byte_of_char(tm__utf8_decode((const uint8_t *)s + i, &cl));
        i += cl;
        if (b < 0)
            return -1;
        out[o++] = (uint8_t)b;
    }
    return o;
}

/* ---- configuration: JSON objects -> struct tm__hf ---- */

static const char *type_of(json_t *o)
{
    json_t *t = json_object_get(o, "type");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

static int get_bool(json_t *o, const char *key, bool dflt, bool *out,
                    const char *path, const char *what, struct tm_error *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) {
        *out = dflt;
        return TM_OK;
    }
    if (!json_is_boolean(v))
        return fail(err, what, "%s.%s: expected true or false", path, key);
    *out = json_is_true(v);
    return TM_OK;
}

static int dup_string(json_t *v, char **out, size_t *len, const char *path,
                      const char *key, const char *what, struct tm_error *err)
{
    if (!json_is_string(v))
        return fail(err, what, "%s.%s: expected a string", path, key);
    *len = json_string_length(v);
    *out = malloc(*len + 1);
    if (*out == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    memcpy(*out, json_string_value(v), *len + 1);
    return TM_OK;
}

static int compile_regex(const char *re, size_t len, pcre2_code **out,
                         const char *path, const char *what, struct tm_error *err)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, len, PCRE2_UTF | PCRE2_UCP, &code,
                                  &at, NULL);

    if (c == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return fail(err, what, "%s: regex does not compile at offset %zu: %s", path,
                    (size_t)at, (const char *)msg);
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* the interpreter runs it otherwise */
    *out = c;
    return TM_OK;
}

/* A "pattern" member: {"String": s} or {"Regex": r}. */
static int get_pattern(json_t *o, const char **s, size_t *n, bool *is_regex,
                       const char *path, const char *what, struct tm_error *err)
{
    json_t *p = json_object_get(o, "pattern"), *v;

    if (!json_is_object(p))
        return fail(err, what, "%s.pattern: expected {\"String\": ...} or {\"Regex\": ...}",
                    path);
    if ((v = json_object_get(p, "String")) != NULL)
        *is_regex = false;
    else if ((v = json_object_get(p, "Regex")) != NULL)
        *is_regex = true;
    if (!json_is_string(v))
        return fail(err, what, "%s.pattern: expected {\"String\": ...} or {\"Regex\": ...}",
                    path);
    *s = json_string_value(v);
    *n = json_string_length(v);
    return TM_OK;
}

static int grow(void **arr, size_t *n, size_t size, const char *what,
                struct tm_error *err)
{
    void *p = realloc(*arr, (*n + 1) * size);
    if (p == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    memset((char *)p + *n * size, 0, size);
    *arr = p;
    (*n)++;
    return TM_OK;
}

typedef int (*parse_fn)(struct tm__hf *hf, json_t *o, const char *path,
                        const char *what, struct tm_error *err);

/* A Sequence: parse each member of the array o[key] in order. */
static int parse_sequence(struct tm__hf *hf, json_t *o, const char *key,
                          const char *path, const char *what, struct tm_error *err,
                          parse_fn parse)
{
    json_t *list = json_object_get(o, key), *item;
    size_t i;
    char sub[200];
    int rc;

    if (!json_is_array(list))
        return fail(err, what, "%s.%s: expected an array", path, key);
    json_array_foreach(list, i, item) {
        snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
        if ((rc = parse(hf, item, sub, what, err)) != TM_OK)
            return rc;
    }
    return TM_OK;
}

static int parse_normalizer(struct tm__hf *hf, json_t *o, const char *path,
                            const char *what, struct tm_error *err)
{
    const char *t;
    struct hf_norm *nm;
    int rc;

    if (o == NULL || json_is_null(o))
        return TM_OK;
    if (!json_is_object(o) || (t = type_of(o)) == NULL)
        return fail(err, what, "%s: expected an object with a \"type\"", path);
    if (strcmp(t, "Sequence") == 0)
        return parse_sequence(hf, o, "normalizers", path, what, err, parse_normalizer);
    if ((rc = grow((void **)&hf->norms, &hf->n_norms, sizeof(*nm), what, err)) != TM_OK)
        return rc;
    nm = &hf->norms[hf->n_norms - 1];
    if (strcmp(t, "NFC") == 0) {
        nm->kind = HF_NORM_NFC;
        return TM_OK;
    }
    if (strcmp(t, "Prepend") == 0) {
        nm->kind = HF_NORM_PREPEND;
        return dup_string(json_object_get(o, "prepend"), &nm->a, &nm->a_len, path,
                          "prepend", what, err);
    }
    if (strcmp(t, "Replace") == 0) {
        const char *s;
        size_t n;
        bool is_regex = false;
        char sub[200];
        if ((rc = get_pattern(o, &s, &n, &is_regex, path, what, err)) != TM_OK)
            return rc;
        if ((rc = dup_string(json_object_get(o, "content"), &nm->b, &nm->b_len, path,
                             "content", what, err)) != TM_OK)
            return rc;
        nm->kind = is_regex ? HF_NORM_REPLACE_RE : HF_NORM_REPLACE;
        if (n == 0)
            return fail(err, what, "%s.pattern: empty", path);
        nm->a = malloc(n + 1);
        if (nm->a == NULL)
            return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
        memcpy(nm->a, s, n + 1);
        nm->a_len = n;
        snprintf(sub, sizeof(sub), "%s.pattern.Regex", path);
        return is_regex ? compile_regex(s, n, &nm->re, sub, what, err) : TM_OK;
    }
    return fail(err, what, "%s: normalizer \"%s\" is not supported (supported: "
                "Sequence, NFC, Prepend, Replace)", path, t);
}

static int split_behavior(json_t *o, int *out, const char *path, const char *what,
                          struct tm_error *err)
{
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                        "MergedWithNext", "Contiguous"};
    json_t *v = json_object_get(o, "behavior");

    if (json_is_string(v))
        for (int k = 0; k < 5; k++)
            if (strcmp(json_string_value(v), names[k]) == 0) {
                *out = k;
                return TM_OK;
            }
    return fail(err, what, "%s.behavior: expected one of Removed, Isolated, "
                "MergedWithPrevious, MergedWithNext, Contiguous", path);
}

static int parse_pre(struct tm__hf *hf, json_t *o, const char *path, const char *what,
                     struct tm_error *err)
{
    const char *t;
    struct hf_pre *pr;
    int rc;

    if (o == NULL || json_is_null(o))
        return TM_OK;
    if (!json_is_object(o) || (t = type_of(o)) == NULL)
        return fail(err, what, "%s: expected an object with a \"type\"", path);
    if (strcmp(t, "Sequence") == 0)
        return parse_sequence(hf, o, "pretokenizers", path, what, err, parse_pre);
    if ((rc = grow((void **)&hf->pres, &hf->n_pres, sizeof(*pr), what, err)) != TM_OK)
        return rc;
    pr = &hf->pres[hf->n_pres - 1];
    if (strcmp(t, "Split") == 0) {
        const char *s;
        size_t n;
        bool is_regex = false;
        char sub[200];
        pr->kind = HF_PRE_SPLIT;
        if ((rc = get_pattern(o, &s, &n, &is_regex, path, what, err)) != TM_OK ||
            (rc = split_behavior(o, &pr->behavior, path, what, err)) != TM_OK ||
            (rc = get_bool(o, "invert", false, &pr->invert, path, what, err)) != TM_OK)
            return rc;
        if (n == 0)
            return fail(err, what, "%s.pattern: empty", path);
        if (!is_regex) {
            pr->lit = malloc(n + 1);
            if (pr->lit == NULL)
                return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
            memcpy(pr->lit, s, n + 1);
            pr->lit_len = n;
            return TM_OK;
        }
        if (strcmp(s, PAT_LLAMA3) == 0)
            pr->scanner = TM_PAT_CL100K;
        else if (strcmp(s, PAT_QWEN) == 0)
            pr->scanner = TM_PAT_QWEN;
        else if (strcmp(s, PAT_O200K) == 0)
            pr->scanner = TM_PAT_O200K;
        else if (strcmp(s, PAT_GPT2) == 0)
            pr->scanner = TM_PAT_R50K;
        /* The regex is kept even with a scanner: deepseek's last split has
         * no scanner of its own outside the three-split sequence. */
        snprintf(sub, sizeof(sub), "%s.pattern.Regex", path);
        if (pr->scanner)
            return TM_OK;
        pr->lit = malloc(n + 1); /* kept to recognise deepseek's sequence */
        if (pr->lit == NULL)
            return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
        memcpy(pr->lit, s, n + 1);
        pr->lit_len = n;
        return compile_regex(s, n, &pr->re, sub, what, err);
    }
    if (strcmp(t, "ByteLevel") == 0) {
        pr->kind = HF_PRE_BYTELEVEL;
        if ((rc = get_bool(o, "add_prefix_space", true, &pr->add_prefix_space, path,
                           what, err)) != TM_OK ||
            (rc = get_bool(o, "use_regex", true, &pr->use_regex, path, what, err)) != TM_OK)
            return rc;
        hf->byte_level = true;
        return TM_OK;
    }
    if (strcmp(t, "Metaspace") == 0) {
        json_t *r = json_object_get(o, "replacement"), *ps = json_object_get(o, "prepend_scheme");
        size_t i = 0;
        pr->kind = HF_PRE_METASPACE;
        if (!json_is_string(r) || json_string_length(r) == 0 ||
            json_string_length(r) > 4 ||
            (tm__utf8_decode((const uint8_t *)json_string_value(r), &i),
             i != json_string_length(r)))
            return fail(err, what, "%s.replacement: expected one character", path);
        memcpy(pr->repl, json_string_value(r), json_string_length(r));
        pr->repl_len = json_string_length(r);
        if (json_is_string(ps)) {
            const char *v = json_string_value(ps);
            pr->prepend_scheme = strcmp(v, "always") == 0 ? HF_PREPEND_ALWAYS
                                 : strcmp(v, "first") == 0 ? HF_PREPEND_FIRST
                                 : strcmp(v, "never") == 0 ? HF_PREPEND_NEVER : -1;
            if (pr->prepend_scheme < 0)
                return fail(err, what, "%s.prepend_scheme: expected always, first or never",
                            path);
        } else {
            bool add = true; /* older files: add_prefix_space */
            if ((rc = get_bool(o, "add_prefix_space", true, &add, path, what, err)) != TM_OK)
                return rc;
            pr->prepend_scheme = add ? HF_PREPEND_ALWAYS : HF_PREPEND_NEVER;
        }
        return get_bool(o, "split", true, &pr->split, path, what, err);
    }
    if (strcmp(t, "Digits") == 0) {
        pr->kind = HF_PRE_DIGITS;
        return get_bool(o, "individual_digits", false, &pr->individual, path, what, err);
    }
    return fail(err, what, "%s: pre-tokenizer \"%s\" is not supported (supported: "
                "Sequence, Split, ByteLevel, Metaspace, Digits)", path, t);
}

/* Which single scanner does the whole pre-tokenizer, if one does. */
static int fused_scanner(const struct tm__hf *hf)
{
    const struct hf_pre *p = hf->pres;
    size_t n = hf->n_pres;

    if (!hf->byte_level || n == 0 || p[n - 1].kind != HF_PRE_BYTELEVEL ||
        p[n - 1].add_prefix_space)
        return 0;
    if (n == 1)
        return p[0].use_regex ? TM_PAT_R50K : 0;
    if (p[n - 1].use_regex)
        return 0;
    for (size_t k = 0; k + 1 < n; k++)
        if (p[k].kind != HF_PRE_SPLIT || p[k].behavior != HF_SPLIT_ISOLATED || p[k].invert)
            return 0;
    if (n == 2 && p[0].scanner)
        return p[0].scanner;
    if (n == 4 && p[0].lit && p[1].lit && p[2].lit && p[0].re && p[1].re && p[2].re &&
        strcmp(p[0].lit, PAT_DS_DIGITS) == 0 && strcmp(p[1].lit, PAT_DS_CJK) == 0 &&
        strcmp(p[2].lit, PAT_DS_MAIN) == 0)
        return TM_PAT_DEEPSEEK;
    return 0;
}

static int get_id(json_t *v, uint32_t n_vocab, uint32_t *out, const char *path,
                  const char *what, struct tm_error *err)
{
    json_int_t x;
    if (!json_is_integer(v) || (x = json_integer_value(v)) < 0 || x >= (json_int_t)n_vocab)
        return fail(err, what, "%s: expected a token id below %u", path, (unsigned)n_vocab);
    *out = (uint32_t)x;
    return TM_OK;
}

static int normalize_pattern(const struct tm__hf *hf, const char *s, size_t n,
                             char **out, size_t *out_len);

static int parse_config(tm_encoding *enc, struct tm__hf *hf, json_t *cfg,
                        const char *what, struct tm_error *err)
{
    json_t *v, *list, *item;
    size_t i;
    int rc;

    if (!json_is_object(cfg))
        return fail(err, what, "pipeline: expected an object");
    if ((rc = get_bool(cfg, "ignore_merges", false, &hf->ignore_merges, "model", what,
                       err)) != TM_OK ||
        (rc = get_bool(cfg, "byte_fallback", false, &hf->byte_fallback, "model", what,
                       err)) != TM_OK ||
        (rc = get_bool(cfg, "fuse_unk", false, &hf->fuse_unk, "model", what, err)) != TM_OK)
        return rc;
    hf->unk_id = TM_RANK_NONE;
    v = json_object_get(cfg, "unk_id");
    if (v && !json_is_null(v) &&
        (rc = get_id(v, enc->n_ranks, &hf->unk_id, "model.unk_token", what, err)) != TM_OK)
        return rc;
    if ((rc = parse_normalizer(hf, json_object_get(cfg, "normalizer"), "normalizer", what,
                               err)) != TM_OK ||
        (rc = parse_pre(hf, json_object_get(cfg, "pre_tokenizer"), "pre_tokenizer", what,
                        err)) != TM_OK)
        return rc;
    for (size_t k = 0; k < hf->n_pres; k++)
        if (hf->pres[k].kind == HF_PRE_BYTELEVEL && k + 1 != hf->n_pres)
            return fail(err, what, "pre_tokenizer: a step after ByteLevel is not supported");
    hf->fused = fused_scanner(hf);

    for (int side = 0; side < 2; side++) {
        const char *key = side ? "template_post" : "template_pre";
        tm_token *ids = side ? hf->template_post : hf->template_pre;
        size_t *n = side ? &hf->n_template_post : &hf->n_template_pre;
        list = json_object_get(cfg, key);
        if (list == NULL)
            continue;
        if (!json_is_array(list) || json_array_size(list) > MAX_TEMPLATE)
            return fail(err, what, "post_processor: expected at most %d template ids on "
                        "each side", MAX_TEMPLATE);
        json_array_foreach(list, i, item) {
            if ((rc = get_id(item, enc->n_vocab, &ids[i], "post_processor", what, err)) != TM_OK)
                return rc;
        }
        *n = json_array_size(list);
    }

    list = json_object_get(cfg, "added_tokens");
    if (list && !json_is_array(list))
        return fail(err, what, "added_tokens: expected an array");
    hf->added = calloc(json_array_size(list) + 1, sizeof(*hf->added));
    if (hf->added == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    json_array_foreach(list, i, item) {
        struct hf_added *a = &hf->added[i];
        char path[64];
        size_t len;
        snprintf(path, sizeof(path), "added_tokens[%zu]", i);
        hf->n_added = i + 1;
        if (!json_is_object(item))
            return fail(err, what, "%s: expected an object", path);
        if ((rc = dup_string(json_object_get(item, "content"), &a->content, &len, path,
                             "content", what, err)) != TM_OK)
            return rc;
        if (len == 0 || len > TM_VOCAB_MAX_TOKEN)
            return fail(err, what, "%s.content: length %zu out of range", path, len);
        a->len = (uint32_t)len;
        if ((rc = get_id(json_object_get(item, "id"), enc->n_vocab, &a->id, path, what,
                         err)) != TM_OK ||
            (rc = get_bool(item, "lstrip", false, &a->lstrip, path, what, err)) != TM_OK ||
            (rc = get_bool(item, "rstrip", false, &a->rstrip, path, what, err)) != TM_OK ||
            (rc = get_bool(item, "single_word", false, &a->single_word, path, what, err)) != TM_OK ||
            (rc = get_bool(item, "normalized", false, &a->normalized, path, what, err)) != TM_OK ||
            (rc = get_bool(item, "special", false, &a->special, path, what, err)) != TM_OK)
            return rc;
    }
    for (i = 0; i < hf->n_added; i++) {
        struct hf_added *a = &hf->added[i];
        if (a->normalized) {
            size_t plen;
            rc = normalize_pattern(hf, a->content, a->len, &a->pattern, &plen);
            if (rc == TM_ELIMIT)
                return tm_error_set(err, TM_ELIMIT, "%s: added_tokens[%zu]: the normalizer's "
                                    "Replace regex hit its match limit", what, i);
            if (rc != TM_OK)
                return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
            a->pattern_len = (uint32_t)plen;
            rc = tm__hf_matcher_add(&hf->pass_b, a->pattern, plen, (int32_t)i);
        } else {
            rc = tm__hf_matcher_add(&hf->pass_a, a->content, a->len, (int32_t)i);
        }
        if (rc)
            return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    }
    return TM_OK;
}

/* A normalized added token's pattern: its content through the whole
 * normalizer, as the reference does when it loads the file. */
static int normalize_pattern(const struct tm__hf *hf, const char *s, size_t n,
                             char **out, size_t *out_len)
{
    const uint8_t *t;
    uint8_t *owned = NULL;
    bool origin = true;

    int rc = tm__hf_normalize(hf, (const uint8_t *)s, n, &t, out_len, &owned, &origin);

    if (rc != TM_OK)
        return rc;
    if (owned == NULL) { /* unchanged: t is s */
        if ((owned = malloc(n ? n : 1)) == NULL)
            return TM_ENOMEM;
        memcpy(owned, s, n);
    }
    *out = (char *)owned;
    return TM_OK;
}

void tm__hf_free(struct tm__hf *hf)
{
    if (hf == NULL)
        return;
    for (size_t k = 0; k < hf->n_norms; k++) {
        free(hf->norms[k].a);
        free(hf->norms[k].b);
        pcre2_code_free(hf->norms[k].re);
    }
    free(hf->norms);
    for (size_t k = 0; k < hf->n_pres; k++) {
        free(hf->pres[k].lit);
        pcre2_code_free(hf->pres[k].re);
    }
    free(hf->pres);
    for (size_t k = 0; k < hf->n_added; k++) {
        free(hf->added[k].content);
        free(hf->added[k].pattern);
    }
    free(hf->added);
    free(hf->pass_a.nodes);
    free(hf->pass_b.nodes);
    free(hf->glue_owned);
    free(hf);
}

/* Check and adopt the derived tables d[0..len) of a section: sizes that
 * add up, results that are ids, a sorted glue set, a byte-pair table only
 * for byte-level files. */
static int load_derived(const tm_encoding *enc, struct tm__hf *hf, const uint8_t *d,
                        uint64_t len, const char *what, struct tm_error *err)
{
    uint32_t flags, n_glue;
    uint64_t at = 8;

    if (len < 8)
        return fail(err, what, "tokenizer.json section: derived tables truncated");
    flags = tm__core_load32(d);
    n_glue = tm__core_load32(d + 4);
    if (flags & ~(DERIVED_GLUE_ALL | DERIVED_BYTE_PAIRS))
        return fail(err, what, "tokenizer.json section: unknown derived-table flags 0x%x",
                    (unsigned)flags);
    if ((flags & DERIVED_BYTE_PAIRS) && !hf->byte_level)
        return fail(err, what, "tokenizer.json section: byte-pair table in a file that is "
                    "not byte-level");
    if (flags & DERIVED_BYTE_PAIRS) {
        const uint64_t *bp = (const uint64_t *)(const void *)(d + at);
        if ((len - at) / 8 < BYTE_PAIRS)
            return fail(err, what, "tokenizer.json section: byte-pair table truncated");
        for (uint32_t i = 0; i < BYTE_PAIRS; i++)
            if ((uint32_t)bp[i] != TM_RANK_NONE && (bp[i] >> 32) >= enc->n_ranks)
                return fail(err, what, "tokenizer.json section: byte-pair table: id out "
                            "of range");
        hf->byte_pairs = bp;
        at += 8 * (uint64_t)BYTE_PAIRS;
    }
    if ((len - at) / 4 < n_glue || ((at + 4 * (uint64_t)n_glue + 7) & ~(uint64_t)7) != len)
        return fail(err, what, "tokenizer.json section: derived tables: sizes do not add up");
    hf->glue = (const uint32_t *)(const void *)(d + at);
    hf->n_glue = n_glue;
    for (uint32_t i = 1; i < n_glue; i++)
        if (hf->glue[i - 1] >= hf->glue[i])
            return fail(err, what, "tokenizer.json section: word-cut set is not sorted");
    hf->glue_all = (flags & DERIVED_GLUE_ALL) != 0;
    hf->derived = true;
    return TM_OK;
}

int tm__hf_load(tm_encoding *enc, const uint8_t *sec, size_t len, const char *what,
                struct tm_error *err)
{
    uint64_t pair_off, direct_off, direct_words, config_off, config_len;
    uint32_t slots, n_merges;
    struct tm__hf *hf;
    json_error_t jerr;
    json_t *cfg;
    int rc;

    uint64_t derived_off = 0, derived_len = 0;
    uint32_t version;

    if (len < HF_HEADER_V1 || memcmp(sec, HF_MAGIC, 4) != 0)
        return fail(err, what, "tokenizer.json section: bad header");
    version = tm__core_load32(sec + 4);
    if (version != 1 && version != HF_VERSION)
        return fail(err, what, "tokenizer.json section: version %u is not supported (this "
                    "build reads 1 and %d): recompile the file with `tokenmeter vocab "
                    "compile --name NAME tokenizer.json OUT.tmv`", (unsigned)version,
                    HF_VERSION);
    if (version == HF_VERSION) {
        if (len < HF_HEADER)
            return fail(err, what, "tokenizer.json section: header truncated");
        derived_off = tm__core_load64(sec + 56);
        derived_len = tm__core_load64(sec + 64);
        for (int k = 72; k < HF_HEADER; k++)
            if (sec[k] != 0)
                return fail(err, what, "tokenizer.json section: reserved field is not zero");
        if ((derived_off & 7) || derived_off > len || len - derived_off < derived_len ||
            (derived_off == 0) != (derived_len == 0) ||
            (derived_off && derived_off < HF_HEADER))
            return fail(err, what, "tokenizer.json section: derived tables out of range");
    } else if (tm__core_load64(sec + 56) != 0) {
        return fail(err, what, "tokenizer.json section: reserved field is not zero");
    }
    slots = tm__core_load32(sec + 8);
    n_merges = tm__core_load32(sec + 12);
    pair_off = tm__core_load64(sec + 16);
    direct_off = tm__core_load64(sec + 24);
    direct_words = tm__core_load64(sec + 32);
    config_off = tm__core_load64(sec + 40);
    config_len = tm__core_load64(sec + 48);
    if (slots < 2 || (slots & (slots - 1)) || n_merges >= slots ||
        slots > 4 * TM_VOCAB_MAX_IDS ||
        ((pair_off | direct_off) & 7) || pair_off > len ||
        (len - pair_off) / sizeof(struct tm__pair) < slots ||
        direct_words != ((uint64_t)enc->n_ranks + 63) / 64 || direct_off > len ||
        (len - direct_off) / 8 < direct_words || config_off > len ||
        len - config_off < config_len)
        return fail(err, what, "tokenizer.json section: fields out of range");
    hf = calloc(1, sizeof(*hf));
    if (hf == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    enc->hf = hf;
    hf->pairs = (const struct tm__pair *)(sec + pair_off);
    hf->pair_mask = slots - 1;
    hf->direct = (const uint64_t *)(sec + direct_off);
    {
        uint32_t empty = 0;
        for (uint32_t i = 0; i < slots; i++) {
            const struct tm__pair *p = &hf->pairs[i];
            if (p->a == TM_RANK_NONE) {
                empty++;
                continue;
            }
            if (p->a >= enc->n_ranks || p->b >= enc->n_ranks || p->result >= enc->n_ranks)
                return fail(err, what, "merge table: id out of range");
        }
        if (empty == 0)
            return fail(err, what, "merge table: no free slot");
    }
    cfg = json_loadb((const char *)sec + config_off, config_len, 0, &jerr);
    if (cfg == NULL)
        return fail(err, what, "pipeline: %s", jerr.text);
    rc = parse_config(enc, hf, cfg, what, err);
    json_decref(cfg);
    if (rc)
        return rc;
    if (enc->pattern != hf->fused)
        return fail(err, what, "split pattern does not match the pre-tokenizer");
    if (derived_len && (rc = load_derived(enc, hf, sec + derived_off, derived_len, what,
                                          err)) != TM_OK)
        return rc;
    enc->direct = hf->ignore_merges ? NULL : hf->direct;
    return TM_OK;
}

/* ---- compiling a tokenizer.json ---- */

struct compile {
    const char *what;
    struct tm_error *err;
    json_t *root, *vocab, *cfg;
    uint32_t n_ranks, n_vocab;
    struct tm__builder b;
    struct tm__pair *pairs;
    uint32_t slots, n_merges;
    bool byte_level;
};

/* The id of a vocabulary string, or TM_RANK_NONE. */
static uint32_t vocab_id(struct compile *c, const char *s, size_t n)
{
    json_t *v = json_object_getn(c->vocab, s, n);
    return json_is_integer(v) ? (uint32_t)json_integer_value(v) : TM_RANK_NONE;
}

static int add_token(struct compile *c, uint32_t id, const char *s, size_t n)
{
    uint8_t *bytes = malloc(n ? n : 1);
    long len = (long)n;

    if (bytes == NULL)
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
    if (c->byte_level)
        len = unmap_bytes(s, n, bytes);
    else
        memcpy(bytes, s, n);
    if (len <= 0 || len > TM_VOCAB_MAX_TOKEN) {
        /* Not made of ByteLevel characters (or too long): BPE can never
         * produce it, so it is kept for decoding only. */
        free(bytes);
        char *text = malloc(n + 1);
        if (text == NULL)
            return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
        memcpy(text, s, n);
        text[n] = '\0';
        tm__builder_add_special(&c->b, text, id);
        free(text);
        return c->b.rc ? tm_error_set(c->err, c->b.rc, "%s: out of memory", c->what) : TM_OK;
    }
    c->b.tok[id] = bytes;
    c->b.tok_len[id] = (uint32_t)len;
    return TM_OK;
}

static int read_vocab(struct compile *c, json_t *model)
{
    const char *key;
    json_t *v;
    json_int_t max = -1;

    c->vocab = json_object_get(model, "vocab");
    if (!json_is_object(c->vocab) || json_object_size(c->vocab) == 0)
        return fail(c->err, c->what, "model.vocab: expected a non-empty object");
    json_object_foreach(c->vocab, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) >= TM_VOCAB_MAX_IDS)
            return fail(c->err, c->what, "model.vocab[\"%s\"]: expected an id from 0 to %u",
                        key, TM_VOCAB_MAX_IDS - 1);
        if (json_integer_value(v) > max)
            max = json_integer_value(v);
    }
    c->n_ranks = (uint32_t)max + 1;
    c->b.n_ranks = c->b.cap = c->n_ranks;
    c->b.tok = calloc(c->n_ranks, sizeof(*c->b.tok));
    c->b.tok_len = calloc(c->n_ranks, sizeof(*c->b.tok_len));
    if (c->b.tok == NULL || c->b.tok_len == NULL)
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
    json_object_foreach(c->vocab, key, v) {
        uint32_t id = (uint32_t)json_integer_value(v);
        int rc;
        if (c->b.tok[id])
            return fail(c->err, c->what, "model.vocab: id %u appears twice", (unsigned)id);
        if ((rc = add_token(c, id, key, json_object_iter_key_len(
                                                json_object_key_to_iter(key)))) != TM_OK)
            return rc;
    }
    return TM_OK;
}

static int read_merges(struct compile *c, json_t *model)
{
    json_t *list = json_object_get(model, "merges"), *m;
    size_t i;
    char *cat = NULL;
    size_t cat_cap = 0;

    if (!json_is_array(list))
        return fail(c->err, c->what, "model.merges: expected an array");
    if (json_array_size(list) >= TM_VOCAB_MAX_IDS)
        return fail(c->err, c->what, "model.merges: too many merges");
    c->n_merges = (uint32_t)json_array_size(list);
    c->slots = 2;
    while (c->slots < 2 * (uint64_t)c->n_merges + 2)
        c->slots <<= 1;
    c->pairs = malloc((size_t)c->slots * sizeof(*c->pairs));
    if (c->pairs == NULL)
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
    memset(c->pairs, 0xFF, (size_t)c->slots * sizeof(*c->pairs));
    json_array_foreach(list, i, m) {
        const char *a, *b;
        size_t an, bn;
        uint32_t ia, ib, ir, k;

        if (json_is_string(m)) {
            const char *s = json_string_value(m), *sp = strchr(s, ' ');
            if (sp == NULL || strchr(sp + 1, ' ') != NULL)
                return fail(c->err, c->what, "model.merges[%zu]: \"%s\" is not two tokens "
                            "separated by one space", i, s);
            a = s;
            an = (size_t)(sp - s);
            b = sp + 1;
            bn = strlen(b);
        } else if (json_is_array(m) && json_array_size(m) == 2 &&
                   json_is_string(json_array_get(m, 0)) &&
                   json_is_string(json_array_get(m, 1))) {
            a = json_string_value(json_array_get(m, 0));
            an = json_string_length(json_array_get(m, 0));
            b = json_string_value(json_array_get(m, 1));
            bn = json_string_length(json_array_get(m, 1));
        } else {
            free(cat);
            return fail(c->err, c->what, "model.merges[%zu]: expected \"a b\" or [\"a\", \"b\"]",
                        i);
        }
        if (an + bn + 1 > cat_cap) {
            char *nc = realloc(cat, an + bn + 64);
            if (nc == NULL) {
                free(cat);
                return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
            }
            cat = nc;
            cat_cap = an + bn + 64;
        }
        memcpy(cat, a, an);
        memcpy(cat + an, b, bn);
        ia = vocab_id(c, a, an);
        ib = vocab_id(c, b, bn);
        ir = vocab_id(c, cat, an + bn);
        if (ia == TM_RANK_NONE || ib == TM_RANK_NONE || ir == TM_RANK_NONE) {
            int rc = fail(c->err, c->what, "model.merges[%zu]: \"%.*s\" is not in the "
                          "vocabulary", i,
                          ia == TM_RANK_NONE ? (int)an : ib == TM_RANK_NONE ? (int)bn
                                                                            : (int)(an + bn),
                          ia == TM_RANK_NONE ? a : ib == TM_RANK_NONE ? b : cat);
            free(cat);
            return rc;
        }
        /* A pair listed twice takes its last rank, as the reference's map
         * does. */
        for (k = tm__pair_hash(ia, ib) & (c->slots - 1);
             c->pairs[k].a != TM_RANK_NONE && !(c->pairs[k].a == ia && c->pairs[k].b == ib);
             k = (k + 1) & (c->slots - 1))
            ;
        c->pairs[k].a = ia;
        c->pairs[k].b = ib;
        c->pairs[k].rank = (uint32_t)i;
        c->pairs[k].result = ir;
    }
    free(cat);
    return TM_OK;
}

/* Template ids of the post-processor, for one sequence. */
static int read_template(struct compile *c, json_t *pp, json_t *pre, json_t *post)
{
    const char *t;

    if (pp == NULL || json_is_null(pp))
        return TM_OK;
    if (!json_is_object(pp) || (t = type_of(pp)) == NULL)
        return fail(c->err, c->what, "post_processor: expected an object with a \"type\"");
    if (strcmp(t, "ByteLevel") == 0)
        return TM_OK;
    if (strcmp(t, "Sequence") == 0) {
        json_t *list = json_object_get(pp, "processors"), *item;
        size_t i;
        if (!json_is_array(list))
            return fail(c->err, c->what, "post_processor.processors: expected an array");
        json_array_foreach(list, i, item) {
            int rc = read_template(c, item, pre, post);
            if (rc)
                return rc;
        }
        return TM_OK;
    }
    if (strcmp(t, "RobertaProcessing") == 0 || strcmp(t, "BertProcessing") == 0) {
        json_t *cls = json_object_get(pp, "cls"), *sep = json_object_get(pp, "sep");
        if (!json_is_array(cls) || !json_is_integer(json_array_get(cls, 1)) ||
            !json_is_array(sep) || !json_is_integer(json_array_get(sep, 1)))
            return fail(c->err, c->what, "post_processor: cls and sep must be [text, id]");
        json_array_append(pre, json_array_get(cls, 1));
        json_array_append(post, json_array_get(sep, 1));
        return TM_OK;
    }
    if (strcmp(t, "TemplateProcessing") == 0) {
        json_t *single = json_object_get(pp, "single"), *specials =
            json_object_get(pp, "special_tokens"), *item;
        bool seen_a = false;
        size_t i;
        if (!json_is_array(single))
            return fail(c->err, c->what, "post_processor.single: expected an array");
        json_array_foreach(single, i, item) {
            json_t *st = json_object_get(item, "SpecialToken"), *sq =
                json_object_get(item, "Sequence"), *def, *ids, *id;
            size_t k;
            if (sq) {
                seen_a = true;
                continue;
            }
            if (!json_is_object(st) || !json_is_string(json_object_get(st, "id")))
                return fail(c->err, c->what, "post_processor.single[%zu]: expected "
                            "SpecialToken or Sequence", i);
            def = json_object_get(specials, json_string_value(json_object_get(st, "id")));
            ids = json_object_get(def, "ids");
            if (!json_is_array(ids))
                return fail(c->err, c->what, "post_processor.special_tokens: no ids for \"%s\"",
                            json_string_value(json_object_get(st, "id")));
            json_array_foreach(ids, k, id) json_array_append(seen_a ? post : pre, id);
        }
        return TM_OK;
    }
    return fail(c->err, c->what, "post_processor \"%s\" is not supported (supported: "
                "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)",
                t);
}

static int build_config(struct compile *c, json_t *model)
{
    json_t *cfg = json_object(), *added = json_array(), *list, *item, *v;
    json_t *pre = json_array(), *post = json_array();
    size_t i;
    int rc;

    c->cfg = cfg;
    if (cfg == NULL || added == NULL || pre == NULL || post == NULL) {
        json_decref(added);
        json_decref(pre);
        json_decref(post);
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
    }
    json_object_set_new(cfg, "added_tokens", added);
    json_object_set_new(cfg, "template_pre", pre);
    json_object_set_new(cfg, "template_post", post);
    for (const char *const *k = (const char *const[]){"ignore_merges", "byte_fallback",
                                                     "fuse_unk", NULL};
         *k; k++) {
        v = json_object_get(model, *k);
        if (v && !json_is_null(v))
            json_object_set(cfg, *k, v);
    }
    v = json_object_get(model, "unk_token");
    if (json_is_string(v)) {
        uint32_t id = vocab_id(c, json_string_value(v), json_string_length(v));
        if (id == TM_RANK_NONE)
            return fail(c->err, c->what, "model.unk_token: \"%s\" is not in the vocabulary",
                        json_string_value(v));
        json_object_set_new(cfg, "unk_id", json_integer(id));
    } else if (v && !json_is_null(v)) {
        return fail(c->err, c->what, "model.unk_token: expected a string or null");
    }
    if ((v = json_object_get(c->root, "normalizer")))
        json_object_set(cfg, "normalizer", v);
    if ((v = json_object_get(c->root, "pre_tokenizer")))
        json_object_set(cfg, "pre_tokenizer", v);
    if ((rc = read_template(c, json_object_get(c->root, "post_processor"), pre, post)))
        return rc;

    c->n_vocab = c->n_ranks;
    list = json_object_get(c->root, "added_tokens");
    if (list && !json_is_array(list) && !json_is_null(list))
        return fail(c->err, c->what, "added_tokens: expected an array");
    json_array_foreach(list, i, item) {
        json_t *content = json_object_get(item, "content"), *id = json_object_get(item, "id");
        json_t *copy;
        uint32_t in_vocab;
        if (!json_is_string(content) || !json_is_integer(id) || json_integer_value(id) < 0 ||
            json_integer_value(id) >= TM_VOCAB_MAX_IDS)
            return fail(c->err, c->what, "added_tokens[%zu]: expected a content string and "
                        "an id", i);
        copy = json_deep_copy(item);
        if (copy == NULL)
            return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
        /* A token the model already has keeps the model's id. */
        in_vocab = vocab_id(c, json_string_value(content), json_string_length(content));
        if (in_vocab != TM_RANK_NONE)
            json_object_set_new(copy, "id", json_integer(in_vocab));
        else if ((uint32_t)json_integer_value(id) < c->n_ranks &&
                 c->b.tok[json_integer_value(id)])
            return fail(c->err, c->what, "added_tokens[%zu]: id %lld belongs to another token",
                        i, (long long)json_integer_value(id));
        json_array_append_new(added, copy);
        if (in_vocab == TM_RANK_NONE) {
            uint32_t nid = (uint32_t)json_integer_value(id);
            tm__builder_add_special(&c->b, json_string_value(content), nid);
            if (c->b.rc)
                return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
            if (nid + 1 > c->n_vocab)
                c->n_vocab = nid + 1;
        }
    }
    return TM_OK;
}

/* Lay out the section; the direct bits are filled in later. */
static int section_image(struct compile *c, uint8_t **out, size_t *out_len)
{
    char *text = json_dumps(c->cfg, JSON_COMPACT);
    uint64_t pair_off = HF_HEADER, direct_off, direct_words, config_off, size;
    size_t tlen;
    uint8_t *s;

    if (text == NULL)
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
    tlen = strlen(text);
    direct_words = ((uint64_t)c->n_ranks + 63) / 64;
    direct_off = pair_off + (uint64_t)c->slots * sizeof(struct tm__pair);
    config_off = direct_off + 8 * direct_words;
    size = (config_off + tlen + 7) & ~(uint64_t)7;
    s = calloc(1, size);
    if (s == NULL) {
        free(text);
        return tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
    }
    memcpy(s, HF_MAGIC, 4);
    {
        /* derived_off and derived_len stay 0 until add_derived */
        uint32_t v32[3] = {HF_VERSION, c->slots, c->n_merges};
        uint64_t v64[5] = {pair_off, direct_off, direct_words, config_off, tlen};
        memcpy(s + 4, v32, sizeof(v32));
        memcpy(s + 16, v64, sizeof(v64));
    }
    memcpy(s + pair_off, c->pairs, (size_t)c->slots * sizeof(struct tm__pair));
    memcpy(s + config_off, text, tlen);
    free(text);
    *out = s;
    *out_len = size;
    return TM_OK;
}

/* Finish a compiled image: load it, fill the direct bits (merge each
 * token's own bytes), then rebuild it with the derived tables appended to
 * its section (what loading the image without them just computed, and the
 * byte-pair table), so that loading never computes them again. *img is
 * replaced. */
static int finish_image(struct compile *c, int pattern, const char *name, uint8_t **img,
                        size_t *len)
{
    tm_encoding probe;
    uint8_t *sec = NULL, *d;
    uint64_t hf_off, hf_len, d_len;
    const struct tm__hf *hf;
    int rc;

    memset(&probe, 0, sizeof(probe));
    rc = tm__vocab_load_tmv(&probe, *img, *len, c->what, c->err);
    if (rc)
        goto out;
    hf = probe.hf;
    {
        uint64_t *bits = (uint64_t *)(void *)(uintptr_t)hf->direct;
        for (uint32_t id = 0; id < probe.n_ranks; id++) {
            uint32_t n = probe.offsets[id + 1] - probe.offsets[id];
            tm_token ids[2];
            if (n == 0)
                continue;
            if (tm__hf_merge_ids(&probe, probe.bytes + probe.offsets[id], n, ids, 2) == 1 &&
                ids[0] == id)
                bits[id / 64] |= 1ull << (id % 64);
        }
    }
    hf_off = tm__core_load64(*img + 136);
    hf_len = tm__core_load64(*img + 144);
    d_len = (8 + (hf->byte_level ? 8 * (uint64_t)BYTE_PAIRS : 0) + 4 * (uint64_t)hf->n_glue +
             7) & ~(uint64_t)7;
    if ((sec = calloc(1, hf_len + d_len)) == NULL) {
        rc = tm_error_set(c->err, TM_ENOMEM, "%s: out of memory", c->what);
        goto out;
    }
    memcpy(sec, *img + hf_off, hf_len); /* hf_len is a multiple of 8 */
    memcpy(sec + 56, &hf_len, 8);
    memcpy(sec + 64, &d_len, 8);
    d = sec + hf_len;
    {
        uint32_t flags = (hf->glue_all ? DERIVED_GLUE_ALL : 0) |
                         (hf->byte_level ? DERIVED_BYTE_PAIRS : 0),
                 n_glue = (uint32_t)hf->n_glue;
        uint8_t *glue = d + 8;
        memcpy(d, &flags, 4);
        memcpy(d + 4, &n_glue, 4);
        if (hf->byte_level) {
            for (uint32_t i = 0; i < BYTE_PAIRS; i++) {
                const struct tm__pair *p = tm__pair_find(
                    hf->pairs, hf->pair_mask, probe.byte_rank[i & 0xFF], probe.byte_rank[i >> 8]);
                uint64_t v = p ? p->rank | (uint64_t)p->result << 32 : TM_RANK_NONE;
                memcpy(d + 8 + 8 * (size_t)i, &v, 8);
            }
            glue += 8 * (size_t)BYTE_PAIRS;
        }
        if (n_glue)
            memcpy(glue, hf->glue, 4 * (size_t)n_glue);
    }
    tm__vocab_release(&probe); /* it points into *img */
    memset(&probe, 0, sizeof(probe));
    free(*img);
    *img = NULL;
    rc = tm__builder_image(&c->b, pattern, name, sec, hf_len + d_len, img, len, c->err,
                           c->what);
out:
    tm__vocab_release(&probe);
    free(sec);
    return rc;
}

int tm__hf_image(const char *path, const char *name, uint8_t **out, size_t *out_len,
                 struct tm_error *err)
{
    struct compile c;
    json_error_t jerr;
    json_t *model;
    uint8_t *sec = NULL;
    size_t sec_len = 0;
    int rc;
    const char *t;
    struct tm__hf probe_hf;
    int pattern = 0;

    memset(&c, 0, sizeof(c));
    c.what = path;
    c.err = err;
    c.root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (c.root == NULL)
        return tm_error_set(err, TM_EFORMAT, "%s: line %d, column %d: %s", path, jerr.line,
                            jerr.column, jerr.text);
    model = json_object_get(c.root, "model");
    rc = TM_OK;
    if (!json_is_object(model))
        rc = fail(err, path, "model: expected an object");
    else if ((t = type_of(model)) != NULL && strcmp(t, "BPE") != 0)
        rc = fail(err, path, "model.type \"%s\" is not supported (only BPE)", t);
    else if (json_is_number(json_object_get(model, "dropout")) &&
             json_number_value(json_object_get(model, "dropout")) > 0)
        rc = fail(err, path, "model.dropout is set: BPE dropout is random, so counts "
                  "could not be exact");
    for (const char *const *k = (const char *const[]){"continuing_subword_prefix",
                                                     "end_of_word_suffix", NULL};
         rc == TM_OK && *k; k++) {
        json_t *v = json_object_get(model, *k);
        if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
            rc = fail(err, path, "model.%s is not supported", *k);
    }
    if (rc == TM_OK) {
        /* byte_level decides how the vocabulary is read, so the pipeline
         * is parsed once up front (and again, stored, at load). */
        memset(&probe_hf, 0, sizeof(probe_hf));
        rc = parse_pre(&probe_hf, json_object_get(c.root, "pre_tokenizer"), "pre_tokenizer",
                       path, err);
        c.byte_level = probe_hf.byte_level;
        for (size_t k = 0; k < probe_hf.n_pres; k++) {
            free(probe_hf.pres[k].lit);
            pcre2_code_free(probe_hf.pres[k].re);
        }
        free(probe_hf.pres);
    }
    if (rc == TM_OK)
        rc = read_vocab(&c, model);
    if (rc == TM_OK)
        rc = read_merges(&c, model);
    if (rc == TM_OK)
        rc = build_config(&c, model);
    if (rc == TM_OK)
        rc = section_image(&c, &sec, &sec_len);
    if (rc == TM_OK) {
        /* The pipeline's scanner goes in the header's pattern field. */
        tm_encoding tmp;
        struct tm__hf *hf = calloc(1, sizeof(*hf));
        memset(&tmp, 0, sizeof(tmp));
        tmp.n_ranks = c.n_ranks;
        tmp.n_vocab = c.n_vocab;
        if (hf == NULL)
            rc = tm_error_set(err, TM_ENOMEM, "%s: out of memory", path);
        else
            rc = parse_config(&tmp, hf, c.cfg, path, err);
        if (rc == TM_OK) {
            pattern = hf->fused;
            rc = tm__builder_image(&c.b, pattern, name ? name : "tokenizer.json", sec,
                                   sec_len, out, out_len, err, path);
        }
        tm__hf_free(hf);
    }
    if (rc == TM_OK && (rc = tm__vocab_check_unique(*out, path, err)) == TM_OK)
        rc = finish_image(&c, pattern, name ? name : "tokenizer.json", out, out_len);
    if (rc && *out) {
        free(*out);
        *out = NULL;
    }
    free(sec);
    free(c.pairs);
    json_decref(c.cfg);
    json_decref(c.root);
    tm__builder_free(&c.b);
    return rc;
}
