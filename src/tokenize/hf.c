/*
 * Running a tokenizer.json pipeline (hf.h has the stages; the rules they
 * follow, each checked against the reference, are in
 * docs/TOKENIZER-FAMILIES.md).
 *
 * Cost: added-token search walks a byte trie from each position whose
 * byte can start a token, so it is linear in the text times the longest
 * added token; normalizers and the generic pre-tokenizer steps are linear
 * passes (PCRE2 for a regex without a scanner is as linear as the regex
 * itself); BPE is O(n log n) in a word's length.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tokenize/hf.h"
#include "tokenize/nfc.h"
#include "tokenize/unicode.h"

/* ---- added tokens: a byte trie, leftmost-longest ---- */

static uint32_t trie_node(struct hf_matcher *m)
{
    if (m->n_nodes == m->cap) {
        uint32_t ncap = m->cap ? 2 * m->cap : 64;
        void *p = realloc(m->nodes, ncap * sizeof(*m->nodes));
        if (p == NULL)
            return 0;
        m->nodes = p;
        m->cap = ncap;
    }
    memset(&m->nodes[m->n_nodes], 0, sizeof(m->nodes[0]));
    m->nodes[m->n_nodes].token = -1;
    return m->n_nodes++;
}

int tm__hf_matcher_add(struct hf_matcher *m, const char *s, size_t n, int32_t token)
{
    uint32_t at;

    if (n == 0)
        return TM_OK; /* an empty pattern never matches */
    if (m->n_nodes == 0 && trie_node(m) != 0)
        return TM_ENOMEM;
    if (m->n_nodes == 0)
        return TM_ENOMEM;
    at = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)s[i];
        uint32_t c = m->nodes[at].child;
        while (c && m->nodes[c].byte != b)
            c = m->nodes[c].sibling;
        if (c == 0) {
            if ((c = trie_node(m)) == 0)
                return TM_ENOMEM;
            m->nodes[c].byte = b;
            m->nodes[c].sibling = m->nodes[at].child;
            m->nodes[at].child = c;
        }
        at = c;
    }
    if (m->nodes[at].token < 0) /* two tokens with one text: the first wins */
        m->nodes[at].token = token;
    m->first[(uint8_t)s[0] >> 3] |= (uint8_t)(1u << ((uint8_t)s[0] & 7));
    return TM_OK;
}

/* The longest token matching at s[i..n): its index, and *end. */
static int32_t match_at(const struct hf_matcher *m, const uint8_t *s, size_t n,
                        size_t i, size_t *end)
{
    uint32_t at = 0;
    int32_t best = -1;

    for (size_t j = i; j < n; j++) {
        uint32_t c = m->nodes[at].child;
        while (c && m->nodes[c].byte != s[j])
            c = m->nodes[c].sibling;
        if (c == 0)
            break;
        at = c;
        if (m->nodes[at].token >= 0) {
            best = m->nodes[at].token;
            *end = j + 1;
        }
    }
    return best;
}

/* The leftmost match at or after from. */
static int32_t find_match(const struct hf_matcher *m, const uint8_t *s, size_t n,
                          size_t from, size_t *start, size_t *end)
{
    if (m->n_nodes == 0)
        return -1;
    for (size_t i = from; i < n; i++) {
        int32_t t;
        if (!(m->first[s[i] >> 3] & (1u << (s[i] & 7))))
            continue;
        if ((t = match_at(m, s, n, i, end)) >= 0) {
            *start = i;
            return t;
        }
    }
    return -1;
}

/* The start of the character that ends just before i (i > 0). */
static size_t char_before(const uint8_t *s, size_t i)
{
    do
        i--;
    while (i > 0 && (s[i] & 0xC0) == 0x80);
    return i;
}

static bool is_space_cp(uint32_t cp)
{
    return (tm__ucd_class(cp) & TM_UCD_WS) != 0;
}

/* A word character for single_word: a letter, mark, number or '_'. */
static bool is_word_cp(uint32_t cp)
{
    uint8_t g = tm__ucd_class(cp) & TM_UCD_GROUP_MASK;
    return cp == '_' || (g >= TM_UCD_LU && g <= TM_UCD_N);
}

/* ---- the pipeline ---- */

struct run {
    const tm_encoding *enc;
    const struct tm__hf *hf;
    struct tm__emit *e;
};

static void emit_rc(struct run *r, int rc)
{
    if (rc && !r->e->rc)
        r->e->rc = rc;
}

/* A piece of a word: the piece's own token when merging reaches it, else
 * BPE. */
static void bpe_piece(struct run *r, const uint8_t *s, size_t n)
{
    const tm_encoding *enc = r->enc;
    uint32_t id = n <= enc->max_token_len ? tm__vocab_rank(enc, s, n) : TM_RANK_NONE;

    if (id != TM_RANK_NONE && (r->hf->direct[id / 64] >> (id % 64)) & 1) {
        tm__emit(r->e, id);
        return;
    }
    tm__bpe_piece(enc, s, n, r->e);
}

static bool glued(const struct tm__hf *hf, uint32_t cp)
{
    size_t lo = 0, hi = hf->n_glue;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (hf->glue[mid] == cp)
            return true;
        if (hf->glue[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* A word to BPE. Character-level words are cut before each metaspace
 * character that follows a character no token joins to it: no merge can
 * cross such a cut, so the pieces merge independently to the same ids. */
static void bpe_word(struct run *r, const uint8_t *s, size_t n)
{
    const struct tm__hf *hf = r->hf;
    size_t from = 0;

    if (n == 0)
        return;
    if (hf->ignore_merges || hf->glue_all) {
        /* ignore_merges: the whole word is looked up first */
        uint32_t id = n <= r->enc->max_token_len ? tm__vocab_rank(r->enc, s, n)
                                                 : TM_RANK_NONE;
        if (id != TM_RANK_NONE && hf->ignore_merges) {
            tm__emit(r->e, id);
            return;
        }
        if (hf->glue_all) {
            bpe_piece(r, s, n);
            return;
        }
    }
    for (size_t i = 1; i + hf->space_len <= n; i++) {
        if (s[i] != (uint8_t)hf->space[0] || memcmp(s + i, hf->space, hf->space_len) != 0)
            continue;
        {
            size_t pl, p = char_before(s, i);
            if (!glued(hf, tm__utf8_decode(s + p, &pl)) && i > from) {
                bpe_piece(r, s + from, i - from);
                from = i;
            }
        }
        i += hf->space_len - 1;
    }
    bpe_piece(r, s + from, n - from);
}

/* Spans of one split step. */
struct spans {
    size_t (*v)[2];
    bool *match;
    size_t n, cap;
    int rc;
};

static void span_add(struct spans *sp, size_t a, size_t b, bool match)
{
    if (a >= b || sp->rc)
        return;
    if (sp->n == sp->cap) {
        size_t ncap = sp->cap ? 2 * sp->cap : 16;
        void *nv = realloc(sp->v, ncap * sizeof(*sp->v));
        void *nm = nv ? realloc(sp->match, ncap * sizeof(*sp->match)) : NULL;
        if (nv)
            sp->v = nv;
        if (nm == NULL) {
            sp->rc = TM_ENOMEM;
            return;
        }
        sp->match = nm;
        sp->cap = ncap;
    }
    sp->v[sp->n][0] = a;
    sp->v[sp->n][1] = b;
    sp->match[sp->n] = match;
    sp->n++;
}

/* Apply a split behaviour (the reference's SplitDelimiterBehavior) to
 * matches and gaps, in place. */
static void apply_behavior(struct spans *sp, int behavior, bool invert)
{
    size_t o = 0;
    bool prev = false;

    if (invert)
        for (size_t k = 0; k < sp->n; k++)
            sp->match[k] = !sp->match[k];
    switch (behavior) {
    case HF_SPLIT_REMOVED:
        for (size_t k = 0; k < sp->n; k++)
            if (!sp->match[k]) {
                sp->v[o][0] = sp->v[k][0];
                sp->v[o][1] = sp->v[k][1];
                o++;
            }
        sp->n = o;
        break;
    case HF_SPLIT_ISOLATED:
        break;
    case HF_SPLIT_MERGED_PREV:
        for (size_t k = 0; k < sp->n; k++) {
            bool m = sp->match[k];
            if (m && !prev && o > 0) {
                sp->v[o - 1][1] = sp->v[k][1];
            } else {
                sp->v[o][0] = sp->v[k][0];
                sp->v[o][1] = sp->v[k][1];
                o++;
            }
            prev = m;
        }
        sp->n = o;
        break;
    case HF_SPLIT_MERGED_NEXT: {
        /* right to left: a match joins the span after it */
        size_t w = sp->n;
        for (size_t k = sp->n; k-- > 0;) {
            bool m = sp->match[k];
            if (m && !prev && w < sp->n) {
                sp->v[w][0] = sp->v[k][0];
            } else {
                w--;
                sp->v[w][0] = sp->v[k][0];
                sp->v[w][1] = sp->v[k][1];
            }
            prev = m;
        }
        for (size_t k = w; k < sp->n; k++) {
            sp->v[o][0] = sp->v[k][0];
            sp->v[o][1] = sp->v[k][1];
            o++;
        }
        sp->n = o;
        break;
    }
    case HF_SPLIT_CONTIGUOUS:
        for (size_t k = 0; k < sp->n; k++) {
            bool m = sp->match[k];
            if (m == prev && o > 0) {
                sp->v[o - 1][1] = sp->v[k][1];
            } else {
                sp->v[o][0] = sp->v[k][0];
                sp->v[o][1] = sp->v[k][1];
                o++;
            }
            prev = m;
        }
        sp->n = o;
        break;
    }
}

/* Matches of one Split step over s[0..n) as spans (gaps unmatched). */
/*
 * The next match of re in s[0..n) at or after *off: 1 with the match in
 * [*start, *end), 0 when there is none, TM_ELIMIT when PCRE2 hits its match
 * or depth limit (never read as "no match": that would count the text
 * wrongly without a word). *off moves past the match, one character past an
 * empty one, as the reference's regex iteration does.
 */
static int regex_next(const pcre2_code *re, pcre2_match_data *md, const uint8_t *s,
                      size_t n, size_t *off, size_t *start, size_t *end)
{
    PCRE2_SIZE *ov;
    int rc;

    if (*off > n)
        return 0;
    rc = pcre2_match(re, s, n, *off, PCRE2_NO_UTF_CHECK, md, NULL);
    if (rc < 0)
        return rc == PCRE2_ERROR_NOMATCH ? 0 : TM_ELIMIT;
    ov = pcre2_get_ovector_pointer(md);
    *start = ov[0];
    *end = ov[1];
    if (ov[1] > ov[0]) {
        *off = ov[1];
    } else {
        size_t cl = 1;
        if (ov[0] < n)
            tm__utf8_decode(s + ov[0], &cl);
        *off = ov[0] + cl;
    }
    return 1;
}

static void split_spans(const struct hf_pre *p, const uint8_t *s, size_t n,
                        struct spans *sp)
{
    size_t prev = 0;

    if (p->scanner) {
        size_t ends[64], pos = 0;
        while (pos < n) {
            size_t got = tm__pretok_batch(p->scanner, s, n, pos, true, ends, 64);
            for (size_t k = 0; k < got; k++) {
                span_add(sp, pos, ends[k], true);
                pos = ends[k];
            }
        }
        return;
    }
    if (p->re == NULL) { /* a String pattern */
        for (size_t i = 0; i + p->lit_len <= n;) {
            const uint8_t *hit = memchr(s + i, (uint8_t)p->lit[0], n - p->lit_len + 1 - i);
            if (hit == NULL)
                break;
            i = (size_t)(hit - s);
            if (memcmp(s + i, p->lit, p->lit_len) == 0) {
                span_add(sp, prev, i, false);
                span_add(sp, i, i + p->lit_len, true);
                i += p->lit_len;
                prev = i;
            } else {
                i++;
            }
        }
        span_add(sp, prev, n, false);
        return;
    }
    {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->re, NULL);
        size_t off = 0, start, end;
        int rc;
        if (md == NULL) {
            sp->rc = TM_ENOMEM;
            return;
        }
        while ((rc = regex_next(p->re, md, s, n, &off, &start, &end)) == 1) {
            if (start == end) /* an empty match splits nothing */
                continue;
            span_add(sp, prev, start, false);
            span_add(sp, start, end, true);
            prev = end;
        }
        if (rc < 0)
            sp->rc = rc;
        pcre2_match_data_free(md);
        span_add(sp, prev, n, false);
    }
}

static void run_pre(struct run *r, size_t k, const uint8_t *s, size_t n, bool origin);

static void run_spans(struct run *r, size_t k, const uint8_t *s, struct spans *sp,
                      bool origin)
{
    for (size_t i = 0; i < sp->n; i++)
        run_pre(r, k + 1, s + sp->v[i][0], sp->v[i][1] - sp->v[i][0],
                origin && sp->v[i][0] == 0);
}

static void run_pre(struct run *r, size_t k, const uint8_t *s, size_t n, bool origin)
{
    const struct hf_pre *p;
    struct spans sp = {0};
    uint8_t *copy = NULL;

    if (n == 0 || r->e->rc)
        return;
    if (k == r->hf->n_pres) {
        bpe_word(r, s, n);
        return;
    }
    p = &r->hf->pres[k];
    switch (p->kind) {
    case HF_PRE_SPLIT:
        split_spans(p, s, n, &sp);
        apply_behavior(&sp, p->behavior, p->invert);
        break;
    case HF_PRE_DIGITS:
        /* digit runs (one span per digit when individual) and the gaps */
        for (size_t i = 0; i < n;) {
            size_t j = i, cl;
            bool digit = (tm__ucd_class(tm__utf8_decode(s + i, &cl)) & TM_UCD_GROUP_MASK) == TM_UCD_N;
            do {
                j += cl;
                if (digit && p->individual)
                    break;
            } while (j < n &&
                     ((tm__ucd_class(tm__utf8_decode(s + j, &cl)) & TM_UCD_GROUP_MASK) == TM_UCD_N) ==
                         digit);
            span_add(&sp, i, j, digit);
            i = j;
        }
        break;
    case HF_PRE_METASPACE: {
        size_t o = 0, need = n * p->repl_len + p->repl_len;
        bool prepend;
        copy = malloc(need);
        if (copy == NULL) {
            emit_rc(r, TM_ENOMEM);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            if (s[i] == ' ') {
                memcpy(copy + o, p->repl, p->repl_len);
                o += p->repl_len;
            } else {
                copy[o++] = s[i];
            }
        }
        prepend = p->prepend_scheme == HF_PREPEND_ALWAYS ||
                  (p->prepend_scheme == HF_PREPEND_FIRST && origin);
        if (prepend && !(o >= p->repl_len && memcmp(copy, p->repl, p->repl_len) == 0)) {
            memmove(copy + p->repl_len, copy, o);
            memcpy(copy, p->repl, p->repl_len);
            o += p->repl_len;
        }
        s = copy;
        n = o;
        if (p->split) {
            size_t prev = 0;
            for (size_t i = 0; i + p->repl_len <= n; i++)
                if (memcmp(s + i, p->repl, p->repl_len) == 0) {
                    span_add(&sp, prev, i, false);
                    span_add(&sp, i, i + p->repl_len, true);
                    prev = i + p->repl_len;
                    i += p->repl_len - 1;
                }
            span_add(&sp, prev, n, false);
            apply_behavior(&sp, HF_SPLIT_MERGED_NEXT, false);
        } else {
            span_add(&sp, 0, n, false);
        }
        break;
    }
    case HF_PRE_BYTELEVEL:
        if (p->add_prefix_space && s[0] != ' ') {
            copy = malloc(n + 1);
            if (copy == NULL) {
                emit_rc(r, TM_ENOMEM);
                return;
            }
            copy[0] = ' ';
            memcpy(copy + 1, s, n);
            s = copy;
            n++;
        }
        if (p->use_regex) {
            struct hf_pre gpt2 = {.kind = HF_PRE_SPLIT, .scanner = TM_PAT_R50K};
            split_spans(&gpt2, s, n, &sp);
        } else {
            span_add(&sp, 0, n, true);
        }
        break;
    }
    if (sp.rc)
        emit_rc(r, sp.rc);
    else
        run_spans(r, k, s, &sp, origin);
    free(sp.v);
    free(sp.match);
    free(copy);
}

/* A stretch after normalization and pass B: pre-tokenize and merge. */
static void pretokenize(struct run *r, const uint8_t *s, size_t n, bool origin)
{
    if (n == 0)
        return;
    if (r->hf->fused)
        tm__encode_ordinary(r->enc, s, n, true, r->e);
    else
        run_pre(r, 0, s, n, origin);
}

/* Search one pass's added tokens in s[0..n); the text between matches goes
 * to `rest`. The lstrip / rstrip / single_word rules are the reference's
 * (added_vocabulary.rs, find_matches). */
static void added_pass(struct run *r, const struct hf_matcher *m, const uint8_t *s,
                       size_t n, bool origin,
                       void (*rest)(struct run *, const uint8_t *, size_t, bool))
{
    size_t from = 0, done = 0, ms, me;
    int32_t t;

    while ((t = find_match(m, s, n, from, &ms, &me)) >= 0) {
        const struct hf_added *a = &r->hf->added[t];
        size_t start = ms, stop = me, cl;

        from = me;
        if (a->single_word &&
            ((ms > 0 && is_word_cp(tm__utf8_decode(s + char_before(s, ms), &cl))) ||
             (me < n && is_word_cp(tm__utf8_decode(s + me, &cl)))))
            continue;
        if (a->lstrip) {
            while (start > done) {
                size_t p = char_before(s, start);
                if (!is_space_cp(tm__utf8_decode(s + p, &cl)))
                    break;
                start = p;
            }
        }
        if (a->rstrip)
            while (stop < n && is_space_cp(tm__utf8_decode(s + stop, &cl)))
                stop += cl;
        if (done < start)
            rest(r, s + done, start - done, origin && done == 0);
        tm__emit(r->e, a->id);
        done = stop > done ? stop : done;
    }
    if (done < n)
        rest(r, s + done, n - done, origin && done == 0);
}

static void pass_b_rest(struct run *r, const uint8_t *s, size_t n, bool origin)
{
    pretokenize(r, s, n, origin);
}

static size_t count_chars(const uint8_t *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (s[i] & 0xC0) != 0x80;
    return c;
}

/* Normalize one pass-A stretch into *out (s itself when nothing changes).
 * *origin is cleared when the text no longer starts at the input's first
 * character: the reference aligns the result of a Replace that shortens a
 * match with the match's last character, so a shortened match at the
 * start moves the start (Metaspace's prepend_scheme "first" sees that). */
int tm__hf_normalize(const struct tm__hf *hf, const uint8_t *s, size_t n,
                     const uint8_t **out, size_t *out_len, uint8_t **owned,
                     bool *origin)
{
    uint8_t *cur = NULL;
    const uint8_t *text = s;
    size_t len = n;

    for (size_t k = 0; k < hf->n_norms; k++) {
        const struct hf_norm *nm = &hf->norms[k];
        uint8_t *next = NULL;
        size_t o = 0;

        if (nm->kind == HF_NORM_PREPEND) {
            if (len == 0)
                continue;
            if ((next = malloc(len + nm->a_len)) == NULL)
                goto oom;
            memcpy(next, nm->a, nm->a_len);
            memcpy(next + nm->a_len, text, len);
            o = len + nm->a_len;
        } else if (nm->kind == HF_NORM_REPLACE) {
            size_t cap = nm->b_len > nm->a_len ? len / nm->a_len * nm->b_len + len : len;
            if ((next = malloc(cap + 1)) == NULL)
                goto oom;
            for (size_t i = 0; i < len;) {
                if (text[i] == (uint8_t)nm->a[0] && len - i >= nm->a_len &&
                    memcmp(text + i, nm->a, nm->a_len) == 0) {
                    if (i == 0 && count_chars((const uint8_t *)nm->a, nm->a_len) >
                                      count_chars((const uint8_t *)nm->b, nm->b_len))
                        *origin = false;
                    memcpy(next + o, nm->b, nm->b_len);
                    o += nm->b_len;
                    i += nm->a_len;
                } else {
                    next[o++] = text[i++];
                }
            }
        } else if (nm->kind == HF_NORM_REPLACE_RE) {
            pcre2_match_data *md = pcre2_match_data_create_from_pattern(nm->re, NULL);
            size_t off = 0, prev = 0, cap = len + 16, start, end;
            int rc;
            if (md == NULL || (next = malloc(cap)) == NULL) {
                pcre2_match_data_free(md);
                goto oom;
            }
            /* Each match, empty ones too, becomes the replacement; the text
             * between matches is copied. */
            while ((rc = regex_next(nm->re, md, text, len, &off, &start, &end)) == 1) {
                size_t need = o + (start - prev) + nm->b_len + (len - end) + 16;
                if (start == 0 && count_chars(text, end) >
                                      count_chars((const uint8_t *)nm->b, nm->b_len))
                    *origin = false;
                if (need > cap) {
                    uint8_t *g = realloc(next, need * 2);
                    if (g == NULL) {
                        pcre2_match_data_free(md);
                        free(next);
                        goto oom;
                    }
                    next = g;
                    cap = need * 2;
                }
                memcpy(next + o, text + prev, start - prev);
                o += start - prev;
                memcpy(next + o, nm->b, nm->b_len);
                o += nm->b_len;
                prev = end;
            }
            if (rc < 0) {
                pcre2_match_data_free(md);
                free(next);
                free(cur);
                return rc;
            }
            pcre2_match_data_free(md);
            if (prev < len) {
                memcpy(next + o, text + prev, len - prev);
                o += len - prev;
            }
        } else { /* NFC */
            size_t nl;
            if (tm__nfc_unchanged(text, len))
                continue;
            if (tm__nfc(text, len, &next, &nl) != TM_OK)
                goto oom;
            o = nl;
        }
        free(cur);
        cur = next;
        text = next;
        len = o;
    }
    *out = text;
    *out_len = len;
    *owned = cur;
    return TM_OK;
oom:
    free(cur);
    return TM_ENOMEM;
}

static void pass_a_rest(struct run *r, const uint8_t *s, size_t n, bool origin)
{
    const uint8_t *t;
    size_t tn;
    uint8_t *owned = NULL;
    int rc = tm__hf_normalize(r->hf, s, n, &t, &tn, &owned, &origin);

    if (rc != TM_OK) {
        emit_rc(r, rc);
        return;
    }
    if (r->hf->pass_b.n_nodes)
        added_pass(r, &r->hf->pass_b, t, tn, origin, pass_b_rest);
    else
        pretokenize(r, t, tn, origin);
    free(owned);
}

void tm__hf_encode(const tm_encoding *enc, const uint8_t *text, size_t len,
                   unsigned flags, struct tm__emit *e)
{
    struct run r = {enc, enc->hf, e};

    if (flags & TM_ENCODE_ADD_SPECIAL)
        for (size_t k = 0; k < r.hf->n_template_pre; k++)
            tm__emit(e, r.hf->template_pre[k]);
    added_pass(&r, &r.hf->pass_a, text, len, true, pass_a_rest);
    if (flags & TM_ENCODE_ADD_SPECIAL)
        for (size_t k = 0; k < r.hf->n_template_post; k++)
            tm__emit(e, r.hf->template_post[k]);
}

/* ---- derived tables ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int tm__hf_prepare(tm_encoding *enc, struct tm_error *err, const char *what)
{
    struct tm__hf *hf = enc->hf;
    size_t cap = 0;

    hf->fallback_complete = true;
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof(name), "<0x%02X>", b);
        hf->fallback_id[b] = tm__vocab_rank(enc, (const uint8_t *)name, 6);
        if (hf->fallback_id[b] == TM_RANK_NONE)
            hf->fallback_complete = false;
    }

    /* Cutting words needs the metaspace character, and no merge that
     * involves byte-fallback or unknown symbols (their text is not the
     * text they stand for). Byte-level words are never cut. */
    if (hf->byte_level) {
        hf->glue_all = true;
        return TM_OK;
    }
    for (size_t k = 0; k < hf->n_norms; k++)
        if (hf->norms[k].kind == HF_NORM_REPLACE && hf->norms[k].a_len == 1 &&
            hf->norms[k].a[0] == ' ' && hf->norms[k].b_len <= sizeof(hf->space) &&
            hf->norms[k].b_len > 0) {
            memcpy(hf->space, hf->norms[k].b, hf->norms[k].b_len);
            hf->space_len = hf->norms[k].b_len;
        }
    for (size_t k = 0; k < hf->n_pres; k++)
        if (hf->pres[k].kind == HF_PRE_METASPACE) {
            memcpy(hf->space, hf->pres[k].repl, hf->pres[k].repl_len);
            hf->space_len = hf->pres[k].repl_len;
        }
    if (hf->derived) {
        /* Compiled in: the section's glue set (hf_json.c checked it). */
        if (!hf->glue_all && hf->space_len == 0)
            return tm_error_set(err, TM_EFORMAT, "%s: tokenizer.json section: word-cut "
                                "table present but the pipeline has no metaspace "
                                "character (corrupt file?)", what);
        return TM_OK;
    }
    hf->glue_all = true;
    if (hf->space_len == 0)
        return TM_OK;
    {
        /* A bit per id for the unknown and byte-fallback tokens, so the
         * scan of the merge table costs two bit tests per slot. */
        uint64_t *opaque = calloc(((size_t)enc->n_ranks + 63) / 64, sizeof(uint64_t));
        bool any = false;

        if (opaque == NULL)
            return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
        if (hf->unk_id < enc->n_ranks)
            opaque[hf->unk_id / 64] |= 1ull << (hf->unk_id % 64);
        for (int b = 0; b < 256; b++)
            if (hf->fallback_id[b] < enc->n_ranks)
                opaque[hf->fallback_id[b] / 64] |= 1ull << (hf->fallback_id[b] % 64);
        for (uint32_t i = 0; i <= hf->pair_mask && !any; i++) {
            const struct tm__pair *p = &hf->pairs[i];
            if (p->a == TM_RANK_NONE)
                continue;
            any = ((opaque[p->a / 64] >> (p->a % 64)) | (opaque[p->b / 64] >> (p->b % 64))) & 1;
        }
        free(opaque);
        if (any)
            return TM_OK;
    }
    for (uint32_t id = 0; id < enc->n_ranks; id++) {
        const uint8_t *t = enc->bytes + enc->offsets[id];
        size_t n = enc->offsets[id + 1] - enc->offsets[id];
        for (size_t i = 1; i + hf->space_len <= n; i++) {
            size_t cl;
            if (t[i] != (uint8_t)hf->space[0] || memcmp(t + i, hf->space, hf->space_len) != 0)
                continue;
            if (hf->n_glue == cap) {
                void *g = realloc(hf->glue_owned,
                                  (cap = cap ? 2 * cap : 64) * sizeof(*hf->glue_owned));
                if (g == NULL)
                    return tm_error_set(err, TM_ENOMEM, "%s: out of memory", what);
                hf->glue_owned = g;
            }
            hf->glue_owned[hf->n_glue++] = tm__utf8_decode(t + char_before(t, i), &cl);
        }
    }
    if (hf->n_glue)
        qsort(hf->glue_owned, hf->n_glue, sizeof(*hf->glue_owned), cmp_u32);
    {
        size_t o = 0;
        for (size_t i = 0; i < hf->n_glue; i++)
            if (o == 0 || hf->glue_owned[o - 1] != hf->glue_owned[i])
                hf->glue_owned[o++] = hf->glue_owned[i];
        hf->n_glue = o;
    }
    hf->glue = hf->glue_owned;
    hf->glue_all = false;
    return TM_OK;
}
