/*
 * Vocabulary files: the built-in encodings' definitions, the standard
 * .tiktoken rank files, and tokenmeter's compiled .tmv format.
 *
 * .tmv format (little-endian; every section starts at a multiple of 8):
 *
 *   offset size  field
 *   0      8     magic "TMVOCAB1"
 *   8      4     format version (5; version 4 files still load: they
 *                 differ only in the checksum, see tm__vocab_checksum)
 *   12     4     split pattern (enum tm__pattern)
 *   16     4     n_ranks: ordinary ids are 0 .. n_ranks-1
 *   20     4     n_vocab: one past the largest id, specials included
 *   24     4     n_special
 *   28     4     table_size: slots in the token hash table (power of two)
 *   32     4     max_token_len: longest ordinary token in bytes
 *   36     4     reserved (must be 0)
 *   40     8     offsets_off: n_ranks+1 u32 offsets into the bytes section
 *   48     8     bytes_off
 *   56     8     bytes_len
 *   64     8     table_off: table_size slots {u64 key, u32 rank, u32 len},
 *                open addressing with linear probing from hash & (size-1);
 *                key and hash are tm__token_key's (tokens of up to 16
 *                bytes are stored inline in key and key2); len 0 marks an
 *                empty slot
 *   72     8     special_off: n_special records {u32 id, u32 len, bytes,
 *                zero padding to 4}
 *   80     8     special_len
 *   88     8     file_size
 *   96     8     checksum: tm__vocab_checksum, covering the whole file
 *                (this field read as zero)
 *   104    24    encoding name, NUL-padded (every byte after the name 0)
 *   128    8     key2_off: table_size u64, each slot's second key word
 *   136    8     hf_off: the tokenizer.json pipeline section (hf_json.c),
 *                or 0 for a tiktoken-style encoding
 *   144    8     hf_len
 *   152    8     reserved (must be 0)
 *
 * An id with no bytes (a gap in the ranks) has equal offsets. Loading maps
 * the file read-only and checks every field and index before use, so a
 * corrupt or hostile file is an error, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tokenize/hf.h"

#define TMV_MAGIC "TMVOCAB1"
#define TMV_VERSION 5
#define TMV_VERSION_OLDEST 4 /* the oldest version that still loads */
#define TMV_HEADER 160
#define MAX_IDS TM_VOCAB_MAX_IDS
#define MAX_TOKEN_BYTES TM_VOCAB_MAX_TOKEN

/* ---- built-in encodings ---- */

/* Special tokens: tiktoken_ext/openai_public.py (openai/tiktoken). */
static void specials_r50k(void (*add)(void *, const char *, uint32_t), void *c)
{
    add(c, "<|endoftext|>", 50256);
}

static void specials_p50k_edit(void (*add)(void *, const char *, uint32_t), void *c)
{
    add(c, "<|endoftext|>", 50256);
    add(c, "<|fim_prefix|>", 50281);
    add(c, "<|fim_middle|>", 50282);
    add(c, "<|fim_suffix|>", 50283);
}

static void specials_cl100k(void (*add)(void *, const char *, uint32_t), void *c)
{
    add(c, "<|endoftext|>", 100257);
    add(c, "<|fim_prefix|>", 100258);
    add(c, "<|fim_middle|>", 100259);
    add(c, "<|fim_suffix|>", 100260);
    add(c, "<|endofprompt|>", 100276);
}

static void specials_o200k(void (*add)(void *, const char *, uint32_t), void *c)
{
    add(c, "<|endoftext|>", 199999);
    add(c, "<|endofprompt|>", 200018);
}

/* o200k_harmony: o200k_base's specials, the harmony format's named tokens
 * and <|reserved_N|> for N in 200013..201087 (openai_public.py; the same
 * ids as gpt-oss's tokenizer.json). */
static void specials_harmony(void (*add)(void *, const char *, uint32_t), void *c)
{
    static const struct { const char *text; uint32_t id; } named[] = {
        {"<|startoftext|>", 199998}, {"<|endoftext|>", 199999},
        {"<|reserved_200000|>", 200000}, {"<|reserved_200001|>", 200001},
        {"<|return|>", 200002}, {"<|constrain|>", 200003},
        {"<|reserved_200004|>", 200004}, {"<|channel|>", 200005},
        {"<|start|>", 200006}, {"<|end|>", 200007}, {"<|message|>", 200008},
        {"<|reserved_200009|>", 200009}, {"<|reserved_200010|>", 200010},
        {"<|reserved_200011|>", 200011}, {"<|call|>", 200012},
        {"<|endofprompt|>", 200018},
    };
    char buf[32];

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        add(c, named[i].text, named[i].id);
    for (uint32_t id = 200013; id < 201088; id++) {
        snprintf(buf, sizeof(buf), "<|reserved_%u|>", (unsigned)id);
        add(c, buf, id);
    }
}

static const struct tm__builtin builtins[] = {
    {"r50k_base", TM_PAT_R50K, "r50k_base", specials_r50k},
    {"p50k_base", TM_PAT_R50K, "p50k_base", specials_r50k},
    {"p50k_edit", TM_PAT_R50K, "p50k_base", specials_p50k_edit},
    {"cl100k_base", TM_PAT_CL100K, "cl100k_base", specials_cl100k},
    {"o200k_base", TM_PAT_O200K, "o200k_base", specials_o200k},
    {"o200k_harmony", TM_PAT_O200K, "o200k_base", specials_harmony},
};

/* Built-in names of tokenizer.json families: scripts/fetch-vocab compiles
 * each from its pinned tokenizer.json (docs/TOKENIZER-FAMILIES.md). */
static const char *const hf_families[] = {
    "llama3", "llama2", "qwen3", "deepseek_v3", "gemma3", NULL,
};

const char *const tm_encoding_names[] = {
    "r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base",
    "o200k_harmony", "llama3", "llama2", "qwen3", "deepseek_v3", "gemma3", NULL,
};

bool tm__hf_family(const char *name)
{
    for (int i = 0; hf_families[i]; i++)
        if (strcmp(hf_families[i], name) == 0)
            return true;
    return false;
}

const struct tm__builtin *tm__builtin_find(const char *name)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

/* ---- special tokens ---- */

static int special_index(tm_encoding *enc, struct tm_error *err, const char *what)
{
    uint32_t size = 8, lens = 0, maxlen = 0;

    while (size < enc->n_special * 2)
        size <<= 1;
    enc->special_table = calloc(size, sizeof(*enc->special_table));
    if (enc->special_table == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    enc->special_mask = size - 1;
    memset(enc->special_first, 0, sizeof(enc->special_first));
    for (uint32_t k = 0; k < enc->n_special; k++) {
        const struct tm__special *sp = &enc->specials[k];
        uint64_t h = tm__core_hash64(sp->text, sp->len);
        uint32_t i = (uint32_t)h & enc->special_mask;
        while (enc->special_table[i].index_plus1 != 0)
            i = (i + 1) & enc->special_mask;
        enc->special_table[i].tag = (uint32_t)(h >> 32);
        enc->special_table[i].index_plus1 = k + 1;
        enc->special_first[(uint8_t)sp->text[0] >> 3] |=
            (uint8_t)(1u << ((uint8_t)sp->text[0] & 7));
        if (sp->len <= 32)
            lens |= 1u << (sp->len - 1);
        if (sp->len > maxlen)
            maxlen = sp->len;
    }
    enc->special_lens = lens;
    enc->special_max_len = maxlen;
    return TM_OK;
}

static int special_lookup(const tm_encoding *enc, const uint8_t *s, size_t n)
{
    uint64_t h = tm__core_hash64(s, n);
    uint32_t tag = (uint32_t)(h >> 32);

    for (uint32_t i = (uint32_t)h & enc->special_mask;;
         i = (i + 1) & enc->special_mask) {
        const struct tm__special_slot *slot = &enc->special_table[i];
        const struct tm__special *sp;
        if (slot->index_plus1 == 0)
            return -1;
        sp = &enc->specials[slot->index_plus1 - 1];
        if (slot->tag == tag && sp->len == n && memcmp(sp->text, s, n) == 0)
            return (int)(slot->index_plus1 - 1);
    }
}

int tm__special_find(const tm_encoding *enc, const uint8_t *text, size_t len,
                     size_t from, size_t *at)
{
    if (enc->n_special == 0)
        return -1;
    for (size_t i = from; i < len; i++) {
        uint8_t b = text[i];
        if (!(enc->special_first[b >> 3] & (1u << (b & 7))))
            continue;
        /* Longest special first; specials longer than 32 bytes are tried
         * by their exact lengths in the same loop. */
        for (uint32_t l = enc->special_max_len; l >= 1; l--) {
            int k;
            if (l <= 32 && !(enc->special_lens & (1u << (l - 1))))
                continue;
            if (i + l > len)
                continue;
            k = special_lookup(enc, text + i, l);
            if (k >= 0) {
                *at = i;
                return k;
            }
        }
    }
    return -1;
}

/* ---- loading a .tmv image ---- */

/*
 * The body checksum of version 5: four independent multiply-mix lanes over
 * 32-byte blocks, then the tail through tm__core_hash64. One serial chain
 * (version 4) waited on each multiply in turn and was a quarter of a large
 * vocabulary's load time; four lanes keep the multiplier busy.
 */
static uint64_t checksum_lanes(const uint8_t *p, size_t len)
{
    const uint64_t k1 = 0xd6e8feb86659fd93ull;
    uint64_t h[4] = {0x9e3779b97f4a7c15ull ^ len, 0xc2b2ae3d27d4eb4full,
                     0x165667b19e3779f9ull, 0x27d4eb2f165667c5ull};
    size_t blocks = len / 32;

    for (size_t b = 0; b < blocks; b++, p += 32)
        for (int i = 0; i < 4; i++)
            h[i] = tm__core_mix64(h[i] ^ tm__core_load64(p + 8 * i), k1);
    len -= blocks * 32;
    return tm__core_mix64(tm__core_mix64(h[0] ^ h[1], k1) ^ tm__core_mix64(h[2] ^ h[3], k1),
                          tm__core_hash64(p, len) | 1);
}

/* The checksum of a .tmv image with its checksum field taken as zero; the
 * algorithm of the body follows the version in the header (4: one chain,
 * 5: four lanes). */
uint64_t tm__vocab_checksum(const uint8_t *img, size_t len)
{
    uint8_t header[TMV_HEADER] = {0};
    size_t head = len < TMV_HEADER ? len : TMV_HEADER;
    uint32_t version = len >= 12 ? tm__core_load32(img + 8) : TMV_VERSION;
    uint64_t body = version == 4 ? tm__core_hash64(img + head, len - head) | 1
                                 : checksum_lanes(img + head, len - head);

    memcpy(header, img, head);
    memset(header + 96, 0, 8);
    return tm__core_mix64(tm__core_hash64(header, TMV_HEADER) ^ 0x5bd1e9955bd1e995ull, body);
}

static int bad(struct tm_error *err, const char *what, const char *why)
{
    return tm_error_set(err, TM_EFORMAT, "%s: not a valid tokenmeter vocabulary: %s",
                        what, why);
}

static int cmp_special_id(const void *a, const void *b)
{
    const struct tm__special *x = a, *y = b;
    /* Ties (two texts for one id) keep file order, so decoding gives the
     * first text the encoding defines for the id. */
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->text < y->text ? -1 : x->text > y->text;
}

int tm__vocab_load_tmv(tm_encoding *enc, const void *data, size_t len,
                       const char *what, struct tm_error *err)
{
    const uint8_t *p = data;
    uint64_t offsets_off, bytes_off, bytes_len, table_off, special_off,
        special_len, file_size, checksum, key2_off, hf_off, hf_len;
    uint32_t version, table_size;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return bad(err, what, "this build reads little-endian .tmv files only on "
                          "little-endian machines");
#endif
    if (len < TMV_HEADER || memcmp(p, TMV_MAGIC, 8) != 0)
        return bad(err, what, "missing TMVOCAB1 header");
    version = tm__core_load32(p + 8);
    if (version < TMV_VERSION_OLDEST || version > TMV_VERSION)
        return bad(err, what, "unsupported format version (recompile it with this "
                              "tokenmeter: tokenmeter vocab compile, or make vocab)");
    enc->pattern = (int)tm__core_load32(p + 12);
    enc->n_ranks = tm__core_load32(p + 16);
    enc->n_vocab = tm__core_load32(p + 20);
    enc->n_special = tm__core_load32(p + 24);
    table_size = tm__core_load32(p + 28);
    enc->max_token_len = tm__core_load32(p + 32);
    offsets_off = tm__core_load64(p + 40);
    bytes_off = tm__core_load64(p + 48);
    bytes_len = tm__core_load64(p + 56);
    table_off = tm__core_load64(p + 64);
    special_off = tm__core_load64(p + 72);
    special_len = tm__core_load64(p + 80);
    file_size = tm__core_load64(p + 88);
    checksum = tm__core_load64(p + 96);
    key2_off = tm__core_load64(p + 128);
    hf_off = tm__core_load64(p + 136);
    hf_len = tm__core_load64(p + 144);

    if (file_size != len)
        return bad(err, what, "file size does not match its header (truncated?)");
    if (tm__vocab_checksum(p, len) != checksum)
        return bad(err, what, "checksum mismatch (corrupt file)");
    if (tm__core_load32(p + 36) != 0)
        return bad(err, what, "reserved header field is not zero");
    for (int k = 152; k < TMV_HEADER; k++)
        if (p[k] != 0)
            return bad(err, what, "reserved header field is not zero");
    if ((enc->pattern < TM_PAT_R50K && !(enc->pattern == 0 && hf_len)) ||
        enc->pattern > TM_PAT_LAST)
        return bad(err, what, "unknown split pattern");
    if (enc->n_ranks == 0 || enc->n_ranks > MAX_IDS || enc->n_vocab > MAX_IDS ||
        enc->n_vocab < enc->n_ranks || enc->n_special > MAX_IDS)
        return bad(err, what, "vocabulary size out of range");
    if (enc->max_token_len == 0 || enc->max_token_len > MAX_TOKEN_BYTES)
        return bad(err, what, "token length out of range");
    if (table_size < 2 || (table_size & (table_size - 1)) != 0 ||
        table_size <= enc->n_ranks || table_size > 4 * MAX_IDS)
        return bad(err, what, "hash table size out of range");
    if ((offsets_off | bytes_off | table_off | special_off | key2_off) & 7)
        return bad(err, what, "misaligned section");
    if (offsets_off < TMV_HEADER || offsets_off > len ||
        (len - offsets_off) / 4 < (uint64_t)enc->n_ranks + 1 ||
        bytes_off > len || len - bytes_off < bytes_len ||
        table_off > len || (len - table_off) / sizeof(struct tm__slot) < table_size ||
        key2_off < TMV_HEADER || key2_off > len || (len - key2_off) / 8 < table_size ||
        special_off > len || len - special_off < special_len ||
        (hf_off & 7) || hf_off > len || len - hf_off < hf_len ||
        (hf_off != 0) != (hf_len != 0))
        return bad(err, what, "section out of bounds");
    memcpy(enc->name, p + 104, 24);
    enc->name[sizeof(enc->name) - 1] = '\0';
    if (enc->name[0] == '\0' || memchr(p + 104, '\0', 24) == NULL)
        return bad(err, what, "missing encoding name");
    for (size_t k = strlen(enc->name); k < 24; k++)
        if (p[104 + k] != 0)
            return bad(err, what, "encoding name is not NUL-padded");

    enc->offsets = (const uint32_t *)(p + offsets_off);
    enc->bytes = p + bytes_off;
    enc->table = (const struct tm__slot *)(p + table_off);
    enc->key2 = (const uint64_t *)(p + key2_off);
    enc->table_mask = table_size - 1;
    if (enc->offsets[0] != 0)
        return bad(err, what, "offsets do not start at 0");
    for (uint32_t r = 0; r < enc->n_ranks; r++) {
        uint32_t a = enc->offsets[r], b = enc->offsets[r + 1];
        if (b < a || b > bytes_len || b - a > enc->max_token_len)
            return bad(err, what, "token offsets out of order or out of bounds");
    }
    {
        /* Every slot must name a token of its length: lookups compare the
         * token's bytes over that length, so this is what keeps them in
         * bounds. Whether the stored keys are that token's hash, and
         * whether each token sits where its probe sequence reaches, is left
         * to the checksum: a wrong key gives wrong ids, never a bad access,
         * and recomputing every key cost a quarter of a large vocabulary's
         * load time. */
        uint32_t used = 0;
        for (uint32_t i = 0; i < table_size; i++) {
            const struct tm__slot *slot = &enc->table[i];
            uint32_t r = slot->rank;
            if (slot->len == 0)
                continue;
            if (r >= enc->n_ranks || enc->offsets[r + 1] - enc->offsets[r] != slot->len)
                return bad(err, what, "hash table slot does not match its token");
            used++;
        }
        if (used == table_size)
            return bad(err, what, "hash table has no free slot");
    }

    /* Special tokens. */
    enc->specials = calloc(enc->n_special ? enc->n_special : 1, sizeof(*enc->specials));
    if (enc->specials == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    {
        uint64_t o = 0;
        const uint8_t *sp = p + special_off;
        for (uint32_t k = 0; k < enc->n_special; k++) {
            uint32_t id, slen;
            if (special_len - o < 8)
                return bad(err, what, "special token section truncated");
            id = tm__core_load32(sp + o);
            slen = tm__core_load32(sp + o + 4);
            o += 8;
            if (slen == 0 || slen > MAX_TOKEN_BYTES || special_len - o < slen)
                return bad(err, what, "special token length out of range");
            if (id >= enc->n_vocab)
                return bad(err, what, "special token id out of range");
            enc->specials[k].text = (const char *)(sp + o);
            enc->specials[k].len = slen;
            enc->specials[k].id = id;
            o += (slen + 3u) & ~3u;
            if (o > special_len)
                return bad(err, what, "special token section truncated");
        }
    }
    qsort(enc->specials, enc->n_special, sizeof(*enc->specials), cmp_special_id);
    if (hf_len) {
        int rc = tm__hf_load(enc, p + hf_off, hf_len, what, err);
        if (rc)
            return rc;
    }
    return tm__vocab_finish(enc, err, what);
}

int tm__vocab_finish(tm_encoding *enc, struct tm_error *err, const char *what)
{
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        uint64_t h, key2, key = tm__token_key(&byte, 1, &key2, &h);
        uint32_t found = tm__table_find(enc->table, enc->key2, enc->table_mask,
                                        enc->offsets, enc->bytes, &byte, 1, key, key2, h);
        if (found == TM_RANK_NONE && enc->hf && !enc->hf->byte_level) {
            enc->byte_rank[b] = TM_RANK_NONE; /* characters are symbols */
            continue;
        }
        if (found == TM_RANK_NONE)
            return tm_error_set(err, TM_EFORMAT,
                                "%s: byte 0x%02x has no token; a byte-level BPE "
                                "vocabulary needs all 256", what, b);
        enc->byte_rank[b] = found;
    }
    enc->bloom = calloc(TM_BLOOM_BITS / 64, sizeof(*enc->bloom));
    if (enc->bloom == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    for (uint32_t r = 0; r < enc->n_ranks; r++) {
        uint32_t n = enc->offsets[r + 1] - enc->offsets[r], a, b;
        uint64_t h, key2;
        if (n == 0)
            continue;
        tm__token_key(enc->bytes + enc->offsets[r], n, &key2, &h);
        a = tm__bloom_a(h);
        b = tm__bloom_b(h);
        enc->bloom[a >> 6] |= 1ull << (a & 63);
        enc->bloom[b >> 6] |= 1ull << (b & 63);
    }
    enc->merge_cache = tm__merge_cache_new();
    if (enc->merge_cache == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    enc->pair_rank = malloc(65536 * sizeof(*enc->pair_rank));
    if (enc->pair_rank == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    memset(enc->pair_rank, 0xFF, 65536 * sizeof(*enc->pair_rank)); /* TM_RANK_NONE */
    for (uint32_t r = 0; r < enc->n_ranks; r++) {
        if (enc->offsets[r + 1] - enc->offsets[r] == 2) {
            const uint8_t *t = enc->bytes + enc->offsets[r];
            uint32_t *slot = &enc->pair_rank[t[0] | (t[1] << 8)];
            if (*slot == TM_RANK_NONE) /* the table's own lookup order */
                *slot = r;
        }
    }
    if (enc->hf) {
        int rc = tm__hf_prepare(enc, err, what);
        if (rc)
            return rc;
    }
    return special_index(enc, err, what);
}

void tm__vocab_release(tm_encoding *enc)
{
    tm__hf_free(enc->hf);
    tm__merge_cache_free(enc->merge_cache);
    free(enc->bloom);
    free(enc->pair_rank);
    free(enc->specials);
    free(enc->special_table);
    if (enc->map)
        munmap(enc->map, enc->map_len);
    free(enc->heap);
}

/* ---- building a .tmv image from ranks ---- */

void tm__builder_add_special(void *ctx, const char *text, uint32_t id)
{
    struct tm__builder *b = ctx;
    char *copy;

    if (b->rc)
        return;
    if (b->n_sp == b->sp_cap) {
        uint32_t ncap = b->sp_cap ? b->sp_cap * 2 : 16;
        void *n = realloc(b->sp, ncap * sizeof(*b->sp));
        if (n == NULL) {
            b->rc = TM_ENOMEM;
            return;
        }
        b->sp = n;
        b->sp_cap = ncap;
    }
    copy = strdup(text);
    if (copy == NULL) {
        b->rc = TM_ENOMEM;
        return;
    }
    b->sp[b->n_sp].text = copy;
    b->sp[b->n_sp].id = id;
    b->n_sp++;
}

void tm__builder_free(struct tm__builder *b)
{
    for (uint32_t r = 0; r < b->n_ranks; r++)
        free(b->tok[r]);
    free(b->tok);
    free(b->tok_len);
    for (uint32_t k = 0; k < b->n_sp; k++)
        free(b->sp[k].text);
    free(b->sp);
}

static inline uint64_t align8(uint64_t x) { return (x + 7) & ~(uint64_t)7; }

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

int tm__builder_image(struct tm__builder *b, int pattern, const char *name,
                      const uint8_t *ext, size_t ext_len, uint8_t **out,
                      size_t *out_len, struct tm_error *err, const char *what)
{
    uint64_t bytes_len = 0, special_len = 0, offsets_off, bytes_off, table_off,
             key2_off, special_off, ext_off, size;
    uint32_t table_size = 2, max_len = 0, n_vocab = b->n_ranks;
    uint8_t *img;

    for (uint32_t r = 0; r < b->n_ranks; r++) {
        bytes_len += b->tok_len[r];
        if (b->tok_len[r] > max_len)
            max_len = b->tok_len[r];
    }
    for (uint32_t k = 0; k < b->n_sp; k++) {
        uint32_t l = (uint32_t)strlen(b->sp[k].text);
        special_len += 8 + ((l + 3u) & ~3u);
        if (b->sp[k].id + 1 > n_vocab)
            n_vocab = b->sp[k].id + 1;
        if (b->sp[k].id < b->n_ranks && b->tok[b->sp[k].id])
            return tm_error_set(err, TM_EFORMAT,
                                "%s: special token %s has id %u, which is an "
                                "ordinary token's rank", what, b->sp[k].text,
                                (unsigned)b->sp[k].id);
    }
    while (table_size < 2 * (uint64_t)b->n_ranks + 2)
        table_size <<= 1;
    if (strlen(name) >= 24)
        return tm_error_set(err, TM_EINVAL, "encoding name '%s' is longer than 23 bytes",
                            name);

    offsets_off = TMV_HEADER;
    bytes_off = align8(offsets_off + 4 * ((uint64_t)b->n_ranks + 1));
    table_off = align8(bytes_off + bytes_len);
    key2_off = table_off + sizeof(struct tm__slot) * (uint64_t)table_size;
    special_off = key2_off + 8 * (uint64_t)table_size;
    ext_off = align8(special_off + special_len);
    size = align8(ext_off + ext_len);

    img = calloc(1, size);
    if (img == NULL)
        return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
    {
        uint64_t o = 0;
        for (uint32_t r = 0; r < b->n_ranks; r++) {
            put32(img + offsets_off + 4 * r, (uint32_t)o);
            if (b->tok_len[r])
                memcpy(img + bytes_off + o, b->tok[r], b->tok_len[r]);
            o += b->tok_len[r];
        }
        put32(img + offsets_off + 4 * (uint64_t)b->n_ranks, (uint32_t)o);
    }
    for (uint32_t r = 0; r < b->n_ranks; r++) {
        uint64_t h, key, key2;
        uint32_t i;
        uint8_t *slot;
        if (!b->tok[r])
            continue;
        key = tm__token_key(b->tok[r], b->tok_len[r], &key2, &h);
        for (i = (uint32_t)h & (table_size - 1);
             tm__core_load32(img + table_off + 16 * (uint64_t)i + 12) != 0;
             i = (i + 1) & (table_size - 1))
            ;
        slot = img + table_off + 16 * (uint64_t)i;
        put64(slot, key);
        put32(slot + 8, r);
        put32(slot + 12, b->tok_len[r]);
        put64(img + key2_off + 8 * (uint64_t)i, key2);
    }
    {
        uint64_t o = special_off;
        for (uint32_t k = 0; k < b->n_sp; k++) {
            uint32_t l = (uint32_t)strlen(b->sp[k].text);
            put32(img + o, b->sp[k].id);
            put32(img + o + 4, l);
            memcpy(img + o + 8, b->sp[k].text, l);
            o += 8 + ((l + 3u) & ~3u);
        }
    }
    memcpy(img, TMV_MAGIC, 8);
    put32(img + 8, TMV_VERSION);
    put32(img + 12, (uint32_t)pattern);
    put32(img + 16, b->n_ranks);
    put32(img + 20, n_vocab);
    put32(img + 24, b->n_sp);
    put32(img + 28, table_size);
    put32(img + 32, max_len ? max_len : 1);
    put64(img + 40, offsets_off);
    put64(img + 48, bytes_off);
    put64(img + 56, bytes_len);
    put64(img + 64, table_off);
    put64(img + 72, special_off);
    put64(img + 80, special_len);
    put64(img + 88, size);
    put64(img + 128, key2_off);
    if (ext_len) {
        memcpy(img + ext_off, ext, ext_len);
        put64(img + 136, ext_off);
        put64(img + 144, ext_len);
    }
    memcpy(img + 104, name, strlen(name));
    put64(img + 96, tm__vocab_checksum(img, size));
    *out = img;
    *out_len = size;
    return TM_OK;
}

/* ---- .tiktoken rank files ---- */

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode standard base64 with padding; returns the length or -1. */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t o = 0, i;

    if (n == 0 || n % 4 != 0)
        return -1;
    for (i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad)
                return -1;
            v[k] = b64val(s[i + k]);
            if (v[k] < 0)
                return -1;
        }
        out[o++] = (uint8_t)((v[0] << 2) | (v[1] >> 4));
        if (pad < 2)
            out[o++] = (uint8_t)((v[1] << 4) | (v[2] >> 2));
        if (pad < 1)
            out[o++] = (uint8_t)((v[2] << 6) | v[3]);
    }
    return (long)o;
}

static int read_file(const char *path, uint8_t **data, size_t *len,
                     struct tm_error *err)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return tm_error_set(err, errno == ENOENT ? TM_ENOENT : TM_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return tm_error_set(err, TM_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return tm_error_set(err, TM_EIO, "%s: read error", path);
    }
    fclose(f);
    *data = buf;
    *len = n;
    return TM_OK;
}

/* Parse a .tiktoken file into b. */
static int parse_tiktoken(struct tm__builder *b, const uint8_t *s, size_t n,
                          const char *what, struct tm_error *err)
{
    size_t i = 0, line = 0;
    uint8_t tmp[MAX_TOKEN_BYTES];

    while (i < n) {
        size_t eol = i, sp;
        unsigned long rank = 0;
        long blen;

        line++;
        while (eol < n && s[eol] != '\n')
            eol++;
        if (eol == i) { /* blank line */
            i = eol + 1;
            continue;
        }
        for (sp = i; sp < eol && s[sp] != ' '; sp++)
            ;
        if (sp == eol || sp == i || eol - sp < 2)
            return tm_error_set(err, TM_EFORMAT,
                                "%s:%zu: expected 'BASE64 RANK'", what, line);
        if (sp - i > (MAX_TOKEN_BYTES / 3) * 4)
            return tm_error_set(err, TM_EFORMAT, "%s:%zu: token too long", what, line);
        blen = b64_decode(s + i, sp - i, tmp);
        if (blen <= 0)
            return tm_error_set(err, TM_EFORMAT, "%s:%zu: invalid base64 token",
                                what, line);
        for (size_t k = sp + 1; k < eol; k++) {
            if (s[k] == '\r' && k + 1 == eol)
                break;
            if (s[k] < '0' || s[k] > '9' || rank > MAX_IDS)
                return tm_error_set(err, TM_EFORMAT, "%s:%zu: invalid rank", what, line);
            rank = rank * 10 + (unsigned long)(s[k] - '0');
        }
        if (rank >= MAX_IDS)
            return tm_error_set(err, TM_EFORMAT, "%s:%zu: rank %lu out of range",
                                what, line, rank);
        if (rank >= b->cap) {
            uint32_t ncap = b->cap ? b->cap : 1024;
            uint8_t **nt;
            uint32_t *nl;
            while (ncap <= rank)
                ncap *= 2;
            nt = realloc(b->tok, ncap * sizeof(*nt));
            if (nt == NULL)
                return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
            b->tok = nt;
            nl = realloc(b->tok_len, ncap * sizeof(*nl));
            if (nl == NULL)
                return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
            b->tok_len = nl;
            memset(b->tok + b->cap, 0, (ncap - b->cap) * sizeof(*nt));
            memset(b->tok_len + b->cap, 0, (ncap - b->cap) * sizeof(*nl));
            b->cap = ncap;
        }
        if (b->tok[rank])
            return tm_error_set(err, TM_EFORMAT, "%s:%zu: rank %lu appears twice",
                                what, line, rank);
        b->tok[rank] = malloc((size_t)blen);
        if (b->tok[rank] == NULL)
            return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
        memcpy(b->tok[rank], tmp, (size_t)blen);
        b->tok_len[rank] = (uint32_t)blen;
        if (rank + 1 > b->n_ranks)
            b->n_ranks = (uint32_t)rank + 1;
        i = eol + 1;
    }
    if (b->n_ranks == 0)
        return tm_error_set(err, TM_EFORMAT, "%s: no tokens", what);
    return TM_OK;
}

/* Duplicate token bytes would make the rank of those bytes ambiguous: each
 * token's bytes must find that token. */
int tm__vocab_check_unique(uint8_t *img, const char *what, struct tm_error *err)
{
    const uint32_t *offsets = (const uint32_t *)(img + tm__core_load64(img + 40));
    const uint8_t *bytes = img + tm__core_load64(img + 48);
    const struct tm__slot *table = (const struct tm__slot *)(img + tm__core_load64(img + 64));
    const uint64_t *key2s = (const uint64_t *)(img + tm__core_load64(img + 128));
    uint32_t mask = tm__core_load32(img + 28) - 1, n_ranks = tm__core_load32(img + 16);

    for (uint32_t r = 0; r < n_ranks; r++) {
        uint32_t len = offsets[r + 1] - offsets[r], found;
        uint64_t h, key, key2;
        if (len == 0)
            continue;
        key = tm__token_key(bytes + offsets[r], len, &key2, &h);
        found = tm__table_find(table, key2s, mask, offsets, bytes, bytes + offsets[r], len,
                               key, key2, h);
        if (found != r)
            return tm_error_set(err, TM_EFORMAT,
                                "%s: ranks %u and %u have the same bytes",
                                what, (unsigned)(found < r ? found : r),
                                (unsigned)(found < r ? r : found));
    }
    return TM_OK;
}

static int tiktoken_image(const char *path, const char *base, const char *name,
                          uint8_t **img, size_t *img_len, struct tm_error *err)
{
    const struct tm__builtin *bi = tm__builtin_find(base ? base : "");
    struct tm__builder b = {0};
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;

    if (bi == NULL)
        return tm_error_set(err, TM_EINVAL,
                            "%s: a .tiktoken file needs a base encoding for its "
                            "split pattern and special tokens (one of r50k_base, "
                            "p50k_base, p50k_edit, cl100k_base, o200k_base, "
                            "o200k_harmony); got '%s'", path, base ? base : "(none)");
    rc = read_file(path, &data, &len, err);
    if (rc)
        return rc;
    rc = parse_tiktoken(&b, data, len, path, err);
    free(data);
    if (rc == TM_OK) {
        bi->specials(tm__builder_add_special, &b);
        if (b.rc)
            rc = tm_error_set(err, b.rc, "%s: out of memory", path);
    }
    if (rc == TM_OK)
        rc = tm__builder_image(&b, bi->pattern, name ? name : bi->name, NULL, 0,
                               img, img_len, err, path);
    if (rc == TM_OK) {
        rc = tm__vocab_check_unique(*img, path, err);
        if (rc) {
            free(*img);
            *img = NULL;
        }
    }
    tm__builder_free(&b);
    return rc;
}

/* Check that an image loads, then write it to path atomically. */
int tm__vocab_write(uint8_t *img, size_t len, const char *src_path,
                    const char *out_path, struct tm_error *err)
{
    char tmp[4096];
    FILE *f;
    int rc;

    {
        tm_encoding probe;
        memset(&probe, 0, sizeof(probe));
        rc = tm__vocab_load_tmv(&probe, img, len, src_path, err);
        tm__vocab_release(&probe);
        if (rc)
            return rc;
    }
    /* Write to a temporary file and rename, so a reader never sees half. */
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out_path, (long)getpid()) >=
        sizeof(tmp))
        return tm_error_set(err, TM_EINVAL, "%s: path too long", out_path);
    f = fopen(tmp, "wb");
    if (f == NULL)
        return tm_error_set(err, TM_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    if (fwrite(img, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = tm_error_set(err, TM_EIO, "%s: write failed: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        return rc;
    }
    fclose(f);
    if (rename(tmp, out_path) != 0) {
        rc = tm_error_set(err, TM_EIO, "%s: cannot rename into place: %s", out_path,
                          strerror(errno));
        unlink(tmp);
        return rc;
    }
    return TM_OK;
}

int tm_vocab_compile_tiktoken(const char *src_path, const char *base,
                              const char *name, const char *out_path,
                              struct tm_error *err)
{
    uint8_t *img = NULL;
    size_t len = 0;
    int rc;

    rc = tiktoken_image(src_path, base, name, &img, &len, err);
    if (rc)
        return rc;
    rc = tm__vocab_write(img, len, src_path, out_path, err);
    free(img);
    return rc;
}

int tm_vocab_compile_hf(const char *src_path, const char *name,
                        const char *out_path, struct tm_error *err)
{
    uint8_t *img = NULL;
    size_t len = 0;
    int rc;

    rc = tm__hf_image(src_path, name, &img, &len, err);
    if (rc)
        return rc;
    rc = tm__vocab_write(img, len, src_path, out_path, err);
    free(img);
    return rc;
}

/* Open path as .tmv (by its magic) or as .tiktoken. */
int tm__vocab_load_file(tm_encoding *enc, const char *path, const char *base,
                        struct tm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char magic[8];
    ssize_t got;

    if (fd < 0)
        return tm_error_set(err, errno == ENOENT ? TM_ENOENT : TM_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return tm_error_set(err, TM_EIO, "%s: not a regular file", path);
    }
    got = read(fd, magic, sizeof(magic));
    if (got == (ssize_t)sizeof(magic) && memcmp(magic, TMV_MAGIC, 8) == 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED)
            return tm_error_set(err, TM_EIO, "%s: cannot map: %s", path, strerror(errno));
        enc->map = map;
        enc->map_len = (size_t)st.st_size;
        return tm__vocab_load_tmv(enc, map, (size_t)st.st_size, path, err);
    }
    close(fd);
    {
        uint8_t *img = NULL;
        size_t len = 0;
        int rc;
        size_t k = 0;

        while (k < (size_t)got && (magic[k] == ' ' || magic[k] == '\n' ||
                                   magic[k] == '\r' || magic[k] == '\t'))
            k++;
        if (got > 0 && k < (size_t)got && magic[k] == '{')
            rc = tm__hf_image(path, NULL, &img, &len, err); /* tokenizer.json */
        else
            rc = tiktoken_image(path, base, NULL, &img, &len, err);
        if (rc)
            return rc;
        enc->heap = img;
        return tm__vocab_load_tmv(enc, img, len, path, err);
    }
}
