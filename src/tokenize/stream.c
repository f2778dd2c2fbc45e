/*
 * Streaming tokenization: input arrives in chunks of any size and the
 * result equals tokenizing the concatenation.
 *
 * The stream keeps the sanitized text it cannot finish yet: a UTF-8
 * sequence cut by a chunk boundary (held by the fixer), a piece whose end
 * depends on text not yet seen (the pre-tokenizer says so), and with
 * special tokens allowed, a tail that could be the start of one. Memory is
 * the largest slice fed at once (capped at FEED_SLICE) plus that pending
 * text. A piece still pending is retried only once the buffer has grown by
 * as much again, so even one enormous piece fed in tiny chunks costs linear
 * time overall.
 *
 * A tokenizer.json encoding (hf.c) is not cut yet: its stream keeps the
 * whole text and encodes it at the end, so its memory is the text's size.
 */
#include <stdlib.h>

#include "tokenize/hf.h"

#define FEED_SLICE (1u << 20)

struct tm_stream {
    const tm_encoding *enc;
    unsigned flags;
    struct tm__utf8_fixer fixer;
    uint8_t *buf;
    size_t start, len, cap;   /* pending text is buf[start..len) */
    size_t retry_at;          /* do not rescan before len reaches this */
    size_t special_from;      /* no special token starts in [start, special_from) */
    struct tm__emit emit;
};

tm_stream *tm_stream_new(const tm_encoding *enc, unsigned flags,
                         tm_token_sink sink, void *sink_ctx, struct tm_error *err)
{
    tm_stream *st = calloc(1, sizeof(*st));

    if (st == NULL) {
        tm_error_set(err, TM_ENOMEM, "out of memory");
        return NULL;
    }
    st->enc = enc;
    st->flags = flags;
    tm__utf8_fixer_init(&st->fixer);
    st->emit.mode = sink ? TM_EMIT_SINK : TM_EMIT_COUNT;
    st->emit.sink = sink;
    st->emit.sink_ctx = sink_ctx;
    return st;
}

void tm_stream_free(tm_stream *st)
{
    if (st == NULL)
        return;
    free(st->buf);
    free(st);
}

/* Make room for `more` bytes after len, dropping consumed text first. */
static int reserve(tm_stream *st, size_t more)
{
    if (st->start > 0) {
        memmove(st->buf, st->buf + st->start, st->len - st->start);
        st->len -= st->start;
        st->retry_at = st->retry_at > st->start ? st->retry_at - st->start : 0;
        st->special_from = st->special_from > st->start ? st->special_from - st->start : 0;
        st->start = 0;
    }
    if (st->cap - st->len < more) {
        size_t ncap = st->cap ? st->cap : 1 << 16;
        uint8_t *nb;
        while (ncap - st->len < more) {
            if (ncap > SIZE_MAX / 2)
                return TM_ELIMIT;
            ncap *= 2;
        }
        nb = realloc(st->buf, ncap);
        if (nb == NULL)
            return TM_ENOMEM;
        st->buf = nb;
        st->cap = ncap;
    }
    return TM_OK;
}

/* Encode what can be encoded of the pending text. */
static void process(tm_stream *st, bool final)
{
    const tm_encoding *enc = st->enc;
    size_t limit;

    if (enc->hf) {
        if (final)
            tm__hf_encode(enc, st->buf + st->start, st->len - st->start, st->flags,
                          &st->emit);
        st->start = final ? st->len : st->start;
        return;
    }
    if (!final && st->len < st->retry_at)
        return;
    if (st->flags & TM_ENCODE_ALLOW_SPECIAL) {
        for (;;) {
            size_t at, from = st->special_from > st->start ? st->special_from : st->start;
            int k = tm__special_find(enc, st->buf, st->len, from, &at);
            if (k < 0)
                break;
            /* A longer special token might start here too: wait for it. */
            if (!final && at + enc->special_max_len > st->len)
                break;
            tm__encode_ordinary(enc, st->buf + st->start, at - st->start, true, &st->emit);
            tm__emit(&st->emit, enc->specials[k].id);
            st->start = at + enc->specials[k].len;
            st->special_from = st->start;
        }
        /* The last max_len-1 bytes might begin a special token. */
        limit = st->len;
        if (!final && enc->special_max_len > 1) {
            size_t keep = enc->special_max_len - 1;
            limit = st->len - st->start > keep ? st->len - keep : st->start;
        }
        if (limit > st->special_from)
            st->special_from = limit;
    } else {
        limit = st->len;
    }
    st->start += tm__encode_ordinary(enc, st->buf + st->start, limit - st->start,
                                     final, &st->emit);
    if (!final) {
        /* Rescan a pending piece only once the buffer has grown by as much
         * as is pending: each byte is rescanned O(1) times on average. */
        size_t pending = st->len - st->start;
        st->retry_at = st->len + (pending > 64 ? pending : 0);
    }
}

int tm_stream_feed(tm_stream *st, const char *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;

    while (len > 0 && st->emit.rc == 0) {
        size_t slice = len < FEED_SLICE ? len : FEED_SLICE;
        int rc = reserve(st, 3 * slice + 16);
        if (rc)
            return rc;
        st->len += tm__utf8_fix(&st->fixer, p, slice, st->buf + st->len);
        p += slice;
        len -= slice;
        process(st, false);
    }
    tm__emit_flush(&st->emit);
    return st->emit.rc;
}

int tm_stream_finish(tm_stream *st, uint64_t *count)
{
    int rc = reserve(st, 16);

    if (rc)
        return rc;
    st->len += tm__utf8_fixer_end(&st->fixer, st->buf + st->len);
    if (st->emit.rc == 0)
        process(st, true);
    tm__emit_flush(&st->emit);
    if (count)
        *count = st->emit.count;
    return st->emit.rc;
}
