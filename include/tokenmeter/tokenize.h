/*
 * tokenmeter tokenize: exact byte-pair-encoding token counts for OpenAI's
 * encodings (r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base,
 * o200k_harmony), matching tiktoken's encode_ordinary / encode id for id.
 *
 * Input is bytes. It is read as UTF-8; every invalid sequence is replaced by
 * U+FFFD exactly as the WHATWG decoder does (the behaviour of Node's
 * Buffer.toString('utf8')), and the result is what gets tokenized.
 *
 * Cost: pre-tokenization is a hand-written linear scanner (no backtracking);
 * merging is O(n log n) in the length of a piece. Counting valid UTF-8
 * allocates nothing for pieces up to TM_BPE_STACK_BYTES bytes; longer pieces
 * use temporary memory proportional to their length, and invalid UTF-8 is
 * repaired into a temporary copy.
 *
 * Thread safety: a tm_encoding may be shared by any number of threads (its
 * vocabulary is immutable; its internal cache of merged pieces is lock-free
 * and race-free). A tm_stream belongs to one thread at a time.
 */
#ifndef TOKENMETER_TOKENIZE_H
#define TOKENMETER_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t tm_token;
typedef struct tm_encoding tm_encoding;
typedef struct tm_stream tm_stream;

/* Encode flag: recognise special tokens (e.g. "<|endoftext|>") in the text,
 * as tiktoken's allowed_special="all". Without it, their text is encoded as
 * ordinary text, which is what a meter must do with user content. */
#define TM_ENCODE_ALLOW_SPECIAL 0x1u

/* Encode flag for tokenizer.json encodings: add the tokens the file's
 * post-processor template adds to a single sequence (the BOS of llama2 and
 * gemma3), as the reference's addSpecialTokens. tokenizer.json encodings
 * always recognise their added tokens in the text, as the reference does,
 * so TM_ENCODE_ALLOW_SPECIAL does not apply to them. */
#define TM_ENCODE_ADD_SPECIAL 0x2u

/* Pieces up to this many bytes are merged in stack memory; counting text
 * whose pieces are all this short allocates nothing. */
#define TM_BPE_STACK_BYTES 64

/* Names of the built-in encodings, NULL-terminated. */
extern const char *const tm_encoding_names[];

/*
 * Open a built-in encoding by name. The compiled vocabulary NAME.tmv is
 * looked up in $TOKENMETER_VOCAB_DIR, then in the build's vocab directory,
 * then in the installed data directory. A missing vocabulary is TM_ENOENT
 * with a message naming the file and the command that fetches it.
 * Returns a handle to free with tm_encoding_free, or NULL and fills err.
 */
tm_encoding *tm_encoding_open(const char *name, struct tm_error *err);

/*
 * Open a vocabulary file: a compiled .tmv file, or a standard .tiktoken rank
 * file (one "base64 rank" per line). A .tiktoken file carries no split
 * pattern or special tokens, so `base` names the built-in encoding whose
 * pattern and special tokens apply (e.g. "cl100k_base"); it is ignored for
 * .tmv files and may then be NULL.
 */
tm_encoding *tm_encoding_open_file(const char *path, const char *base,
                                   struct tm_error *err);

/* Release an encoding. Accepts NULL. */
void tm_encoding_free(tm_encoding *enc);

/* The encoding's name ("cl100k_base"). Valid while enc is open. */
const char *tm_encoding_name(const tm_encoding *enc);

/* One past the largest token id, special tokens included. */
uint32_t tm_encoding_n_vocab(const tm_encoding *enc);

/*
 * Count the tokens of text[0..len) without allocating for ordinary pieces.
 * flags: 0 or TM_ENCODE_ALLOW_SPECIAL. OUT: *count.
 */
int tm_encoding_count(const tm_encoding *enc, const char *text, size_t len,
                      unsigned flags, uint64_t *count);

/*
 * Encode text into the caller's buffer ids[0..cap). OUT: *n_ids, the number
 * of ids the text encodes to. Returns TM_ENOSPC when cap is too small (the
 * first cap ids are written and *n_ids still says how many are needed).
 */
int tm_encoding_encode(const tm_encoding *enc, const char *text, size_t len,
                       unsigned flags, tm_token *ids, size_t cap,
                       size_t *n_ids);

/* A growable id buffer for tm_encoding_encode_append. Zero-initialise it;
 * release it with tm_tokens_free. */
struct tm_tokens {
    tm_token *ids;
    size_t len;
    size_t cap;
};

/* Encode text and append the ids to *out, growing it as needed. */
int tm_encoding_encode_append(const tm_encoding *enc, const char *text,
                              size_t len, unsigned flags,
                              struct tm_tokens *out);

/* Free the ids of a tm_tokens and reset it to empty. Accepts NULL. */
void tm_tokens_free(struct tm_tokens *tokens);

/* Append ids[0..n) to *tokens, growing it; TM_ENOMEM leaves it unchanged. */
int tm_tokens_append(struct tm_tokens *tokens, const tm_token *ids, size_t n);

/* A tm_token_sink (below) that appends to the struct tm_tokens given as
 * its ctx: collects a stream's ids. */
int tm_tokens_sink(void *tokens, const tm_token *ids, size_t n);

/*
 * Decode ids into the caller's buffer out[0..cap). OUT: *n_bytes, the
 * number of bytes the ids decode to. Returns TM_ENOSPC when cap is too small
 * (as for encode), TM_ENOENT when an id is not in the vocabulary (err names
 * it). The bytes need not be valid UTF-8: a token may hold part of a
 * character.
 */
int tm_encoding_decode(const tm_encoding *enc, const tm_token *ids,
                       size_t n_ids, char *out, size_t cap, size_t *n_bytes,
                       struct tm_error *err);

/* The bytes of one token; NULL when id is not in the vocabulary. */
const char *tm_encoding_token_bytes(const tm_encoding *enc, tm_token id,
                                    size_t *len);

/*
 * Streaming: feed input in chunks of any size (a chunk may end inside a
 * UTF-8 sequence or a piece); the result equals encoding the concatenation.
 * Memory is bounded by the chunk size plus the longest pre-tokenized piece.
 *
 * sink, when not NULL, receives the ids in order as soon as they are final;
 * a non-zero return from sink stops the stream and is returned by the
 * feed/finish call. With sink NULL the stream only counts.
 */
typedef int (*tm_token_sink)(void *ctx, const tm_token *ids, size_t n);

tm_stream *tm_stream_new(const tm_encoding *enc, unsigned flags,
                         tm_token_sink sink, void *sink_ctx,
                         struct tm_error *err);
int tm_stream_feed(tm_stream *st, const char *data, size_t len);
/* Flush what is left; OUT: *count, the total number of tokens. */
int tm_stream_finish(tm_stream *st, uint64_t *count);
void tm_stream_free(tm_stream *st);

/* The length of the longest prefix of s[0..len) made of whole, valid UTF-8
 * characters (no overlongs, surrogates or values above U+10FFFF). */
size_t tm_utf8_valid_prefix(const char *s, size_t len);

/*
 * The encoding an OpenAI model name uses ("gpt-4o-mini" -> "o200k_base"),
 * following tiktoken's model table and prefixes; NULL when unknown.
 */
const char *tm_model_encoding(const char *model);

/*
 * Compile a vocabulary into the .tmv format. src_path is a .tiktoken rank
 * file; base names the built-in encoding whose split pattern and special
 * tokens are stored with it, and name is the encoding name recorded in the
 * file (usually equal to base).
 */
int tm_vocab_compile_tiktoken(const char *src_path, const char *base,
                              const char *name, const char *out_path,
                              struct tm_error *err);

/*
 * Compile a Hugging Face tokenizer.json (BPE model) into the .tmv format,
 * recording the encoding name `name` (at most 23 bytes). Parts of the file
 * tokenmeter cannot reproduce exactly (another model type, an unsupported
 * normalizer or pre-tokenizer, BPE dropout) are an error naming the part.
 */
int tm_vocab_compile_hf(const char *src_path, const char *name,
                        const char *out_path, struct tm_error *err);

#ifdef __cplusplus
}
#endif
#endif
