/*
 * Hugging Face tokenizer.json encodings: the pipeline a tokenizer.json
 * describes, compiled into the .tmv format and run by hf.c.
 *
 * Encode pipeline (docs/TOKENIZER-FAMILIES.md section 1 has the rules):
 *   pass A: added tokens with normalized=false, leftmost-longest, on the
 *           raw text; the text between matches is a stretch
 *   per stretch: the normalizer, then pass B (added tokens with
 *           normalized=true, on the normalized stretch)
 *   per remaining stretch: the pre-tokenizer splits it into words
 *   per word: BPE with the file's merge list (hf_bpe.c)
 *   the post-processor's template adds its tokens when asked to
 *
 * Where the pre-tokenizer is one tokenmeter has a scanner for (a Split
 * regex it knows, then ByteLevel), the stretch goes straight to the same
 * batched scan, lookup and merge loop as the OpenAI encodings
 * (tm__encode_ordinary). Any other pre-tokenizer runs step by step, with
 * PCRE2 for regexes it does not know.
 */
#ifndef TM_TOKENIZE_HF_H
#define TM_TOKENIZE_HF_H

#include <jansson.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenize/tokenize_int.h"

/* One merge: symbols a then b become result; lower rank merges first. */
struct tm__pair {
    uint32_t a, b, rank, result; /* a == TM_RANK_NONE: empty slot */
};

static inline uint32_t tm__pair_hash(uint32_t a, uint32_t b)
{
    return (uint32_t)(tm__core_mix64(((uint64_t)a << 32) | b, 0x9e3779b97f4a7c15ull) >> 7);
}

/* The merge of a then b, or NULL. */
static inline const struct tm__pair *tm__pair_find(const struct tm__pair *pairs,
                                                   uint32_t mask, uint32_t a,
                                                   uint32_t b)
{
    for (uint32_t i = tm__pair_hash(a, b) & mask;; i = (i + 1) & mask) {
        const struct tm__pair *p = &pairs[i];
        if (p->a == a && p->b == b)
            return p;
        if (p->a == TM_RANK_NONE)
            return NULL;
    }
}

enum { HF_NORM_PREPEND = 1, HF_NORM_REPLACE, HF_NORM_REPLACE_RE, HF_NORM_NFC };

struct hf_norm {
    int kind;
    char *a;          /* Prepend: the prefix; Replace: the pattern */
    size_t a_len;
    char *b;          /* Replace: the content */
    size_t b_len;
    pcre2_code *re;   /* Replace with a Regex pattern */
};

enum { HF_PRE_SPLIT = 1, HF_PRE_BYTELEVEL, HF_PRE_METASPACE, HF_PRE_DIGITS };
enum {
    HF_SPLIT_REMOVED = 0,
    HF_SPLIT_ISOLATED,
    HF_SPLIT_MERGED_PREV,
    HF_SPLIT_MERGED_NEXT,
    HF_SPLIT_CONTIGUOUS,
};
enum { HF_PREPEND_ALWAYS = 0, HF_PREPEND_FIRST, HF_PREPEND_NEVER };

struct hf_pre {
    int kind;
    /* Split */
    int behavior;
    bool invert;
    int scanner;        /* a TM_PAT_* whose scanner matches this regex, or 0 */
    pcre2_code *re;     /* the regex otherwise */
    char *lit;          /* a String pattern */
    size_t lit_len;
    /* ByteLevel */
    bool add_prefix_space, use_regex;
    /* Metaspace */
    char repl[8];
    size_t repl_len;
    int prepend_scheme;
    bool split;
    /* Digits */
    bool individual;
};

struct hf_added {
    char *content;
    uint32_t len;
    uint32_t id;
    bool lstrip, rstrip, single_word, normalized, special;
    char *pattern;      /* what pass B looks for: content, normalized */
    uint32_t pattern_len;
};

/* A byte trie of added-token patterns for leftmost-longest search. */
struct hf_trie_node {
    uint32_t child;     /* first child, 0 = none */
    uint32_t sibling;   /* next sibling, 0 = none */
    int32_t token;      /* index in added[], -1 = no token ends here */
    uint8_t byte;
};

struct hf_matcher {
    struct hf_trie_node *nodes; /* nodes[0] is the root */
    uint32_t n_nodes, cap;
    uint8_t first[32];          /* bitmap of first bytes */
    bool empty;
};

struct tm__hf {
    bool byte_level;     /* symbols are bytes; vocabulary holds raw bytes */
    bool ignore_merges, byte_fallback, fuse_unk;
    uint32_t unk_id;     /* TM_RANK_NONE: none */
    uint32_t fallback_id[256]; /* "<0xHH>" tokens, TM_RANK_NONE if absent */
    bool fallback_complete;

    const struct tm__pair *pairs;
    uint32_t pair_mask;
    const uint64_t *direct;  /* bit per id: the whole-word lookup gives
                                what merging gives */

    struct hf_norm *norms;
    size_t n_norms;
    struct hf_pre *pres;
    size_t n_pres;
    int fused;               /* scanner for the whole pre-tokenizer, or 0 */

    struct hf_added *added;
    size_t n_added;
    struct hf_matcher pass_a, pass_b;

    tm_token template_pre[4], template_post[4];
    size_t n_template_pre, n_template_post;

    /* Character-level (SentencePiece-style) words are cut before the
     * metaspace character where no token can span the cut (hf.c). */
    char space[4];
    size_t space_len;
    const uint32_t *glue;    /* sorted code points some token has right
                                before `space` (in the file, or glue_owned) */
    uint32_t *glue_owned;    /* computed at load (older sections), or NULL */
    size_t n_glue;
    bool glue_all;           /* never cut */
    bool derived;            /* glue tables and byte_pairs came from the file */

    /* Byte-level files: the merge of every pair of bytes, indexed by
     * first | second << 8, as rank | result << 32 (rank TM_RANK_NONE: no
     * merge). Stored at compile time; NULL for sections without it. */
    const uint64_t *byte_pairs;
};

/* hf_json.c: tokenizer.json -> .tmv image, and the stored configuration
 * -> struct tm__hf. */
int tm__hf_image(const char *path, const char *name, uint8_t **out,
                 size_t *out_len, struct tm_error *err);
int tm__hf_load(tm_encoding *enc, const uint8_t *section, size_t len,
                const char *what, struct tm_error *err);
void tm__hf_free(struct tm__hf *hf);

/* hf.c */
void tm__hf_encode(const tm_encoding *enc, const uint8_t *text, size_t len,
                   unsigned flags, struct tm__emit *e);
/* Find cut points and other derived tables after load. */
int tm__hf_prepare(tm_encoding *enc, struct tm_error *err, const char *what);
int tm__hf_matcher_add(struct hf_matcher *m, const char *s, size_t n, int32_t token);
/* Run the normalizer over s[0..n): *out is s itself (and *owned NULL) when
 * nothing changed, else *owned, malloc'd. *origin is cleared when the
 * result no longer starts at the input's first character. Returns 0,
 * TM_ENOMEM, or TM_ELIMIT when a Replace regex hits PCRE2's match limit. */
int tm__hf_normalize(const struct tm__hf *hf, const uint8_t *s, size_t n,
                     const uint8_t **out, size_t *out_len, uint8_t **owned,
                     bool *origin);

/* hf_bpe.c: merge one word (not a whole-word hit) and emit its ids. */
void tm__hf_merge(const tm_encoding *enc, const uint8_t *word, size_t len,
                  struct tm__emit *e);
/* Merge a word into ids[0..cap); returns the number of ids (may exceed
 * cap, then only cap are written). Used at compile time. */
size_t tm__hf_merge_ids(const tm_encoding *enc, const uint8_t *word, size_t len,
                        tm_token *ids, size_t cap);

#endif
