/*
 * tokenmeter price: the versioned price book, the rating engine, tenant
 * overrides and the importer for the community price list.
 *
 * The price book (data/prices.json, format "tokenmeter-prices/1",
 * docs/PRICEBOOK.md) says what each provider charges for each model per
 * token class, and since when. Money in it is always a JSON string holding
 * an exact decimal (tokenmeter/money.h); a JSON number is refused.
 *
 * Rating turns a usage record (disjoint token classes, a batch flag and a
 * timestamp) into line items priced against the entry in effect at the
 * timestamp: one line per class, each `tokens x unit rate` exactly in
 * picounits, plus the entry's per-request fee. The lines and the fee sum
 * exactly to the total: nothing is rounded after the per-token rate is
 * known. A rate that a multiplier, markup or discount leaves between two
 * picounits is rounded once, per token, half to even (a rounding of at
 * most $0.0000005 per million tokens), so rating N + M tokens costs
 * exactly what rating N and M separately costs.
 *
 * Tenant overrides (a small JSON object, docs/PRICEBOOK.md) turn the
 * provider's cost into the tenant's price; every rated line carries both.
 *
 * Loading validates the whole file first: a book or overrides file loads
 * whole or not at all, and every error names the file, the entry (index and
 * provider/model), the field and the cause, e.g.
 *   prices.json: prices[3] (openai/gpt-4o): per_mtok.input: expected a
 *   decimal string such as "2.50", got a number (write money as a JSON
 *   string so it stays exact)
 *
 * Thread safety: a tm_price_book and a tm_price_overrides are immutable
 * once loaded; any number of threads may rate against them.
 */
#ifndef TOKENMETER_PRICE_H
#define TOKENMETER_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenmeter/core.h"
#include "tokenmeter/money.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tm_price_book tm_price_book;
typedef struct tm_price_overrides tm_price_overrides;

/* The format string a price book carries in its "format" field. */
#define TM_PRICE_FORMAT "tokenmeter-prices/1"
/* The format string a tenant overrides file may carry. */
#define TM_PRICE_OVERRIDES_FORMAT "tokenmeter-overrides/1"

/* The environment variable naming the price book to use by default. */
#define TM_PRICE_ENV "TOKENMETER_PRICES"

/* Caps on outside input. A file over a cap is TM_ELIMIT. */
#define TM_PRICE_MAX_BYTES (32u << 20)        /* a price book file */
#define TM_PRICE_MAX_ENTRIES 100000           /* entries in a book */
#define TM_PRICE_MAX_ALIASES 64               /* aliases of one entry */
#define TM_PRICE_MAX_TIERS 16                 /* tiers of one entry */
#define TM_PRICE_MAX_NAME 200                 /* provider, model, alias length */
#define TM_PRICE_OVERRIDES_MAX_BYTES (1u << 20)
#define TM_PRICE_OVERRIDES_MAX_MODELS 10000
#define TM_PRICE_IMPORT_MAX_BYTES (64u << 20) /* a community list */
/* Largest token count of one class in a usage record (10^15). */
#define TM_PRICE_MAX_TOKENS 1000000000000000LL

/* The token classes of a usage record. They are disjoint: `input` excludes
 * cached and cache-write tokens, `output` excludes reasoning tokens. */
enum tm_token_class {
    TM_CLASS_INPUT = 0,      /* uncached input */
    TM_CLASS_CACHED_INPUT,   /* input read from the prompt cache */
    TM_CLASS_CACHE_WRITE_5M, /* input written to a 5-minute cache */
    TM_CLASS_CACHE_WRITE_1H, /* input written to a 1-hour cache */
    TM_CLASS_OUTPUT,         /* output that is not reasoning */
    TM_CLASS_REASONING,      /* reasoning (thinking) output */
    TM_CLASS_INPUT_AUDIO,
    TM_CLASS_OUTPUT_AUDIO,
    TM_CLASS_INPUT_IMAGE,
    TM_CLASS_OUTPUT_IMAGE,
    TM_CLASS_COUNT
};

/* The class's name in price books and output ("cached_input"); NULL when
 * out of range. */
const char *tm_price_class_name(enum tm_token_class cls);
/* The class named `name` (exact, lower case); false when unknown. */
bool tm_price_class_from_name(const char *name, enum tm_token_class *out);

/* Rates per token, in picounits, for the classes whose bit is set in
 * `set` (bit 1 << class). */
struct tm_price_rates {
    tm_money per_token[TM_CLASS_COUNT];
    uint32_t set;
};

/* A long-context tier: when a request's input (every input class: input,
 * cached, cache writes, audio and image input) exceeds above_input_tokens,
 * the whole request is rated with these rates laid over the entry's. */
struct tm_price_tier {
    int64_t above_input_tokens;
    struct tm_price_rates rates;
    struct tm_price_rates batch_rates; /* batch_per_mtok of the tier */
};

/* One entry of a price book. Strings are valid while the book is open. */
struct tm_price_entry {
    size_t index;                /* position in the file's "prices" array */
    const char *provider;        /* "openai" */
    const char *model;           /* "gpt-4o" */
    const char *const *aliases;  /* n_aliases names billed the same */
    size_t n_aliases;
    int64_t effective;           /* Unix seconds (UTC) the price starts */
    const char *effective_text;  /* as written in the file */
    const char *source;          /* where the price was read */
    const char *as_of;           /* YYYY-MM-DD it was read */
    const char *note;            /* free text, "" when absent */
    struct tm_price_rates rates; /* per_mtok */
    bool has_batch_multiplier;
    struct tm_ratio batch_multiplier;
    struct tm_price_rates batch_rates; /* batch_per_mtok */
    const struct tm_price_tier *tiers; /* ascending above_input_tokens */
    size_t n_tiers;
    tm_money per_request;        /* flat fee per request, picounits */
};

/*
 * Open and validate a price book. With path NULL the default is used:
 * $TOKENMETER_PRICES when set (a missing file there is an error, never a
 * silent fallback), else the source tree's data/prices.json, else the
 * installed data directory's prices.json (the same order as the model
 * registry, so a build tree never mixes its registry with an older
 * installed book).
 * Returns a book to close with tm_price_book_free, or NULL and fills err:
 * TM_ENOENT, TM_EIO, TM_ELIMIT (a cap), TM_EFORMAT (not JSON, or an entry
 * fails validation), TM_ENOMEM.
 */
tm_price_book *tm_price_book_open(const char *path, struct tm_error *err);

/* Validate a book held in memory (text[0..len)); `name` is how errors
 * name it. Same results as tm_price_book_open. */
tm_price_book *tm_price_book_parse(const char *text, size_t len, const char *name,
                                   struct tm_error *err);

/* Release a book. Accepts NULL. */
void tm_price_book_free(tm_price_book *book);

/* The path or name the book was loaded from, its "version" and currency
 * ("USD"). */
const char *tm_price_book_name(const tm_price_book *book);
const char *tm_price_book_version(const tm_price_book *book);
const char *tm_price_book_currency(const tm_price_book *book);

/* Number of entries and the i-th entry in file order (NULL when out of
 * range). */
size_t tm_price_book_count(const tm_price_book *book);
const struct tm_price_entry *tm_price_book_entry(const tm_price_book *book, size_t i);

/*
 * Whether `e` is the entry in effect at `at` for its provider and model:
 * its effective <= at and no later entry of the same provider and model
 * has started by `at`. Used to list "the book as of a date".
 */
bool tm_price_book_in_effect(const tm_price_book *book, const struct tm_price_entry *e,
                             int64_t at);

/*
 * The entry for `model` (its name or an alias, ignoring ASCII case) at
 * time `at` (Unix seconds, UTC): the entry of that provider and model with
 * the latest effective <= at. `provider` may be NULL; then a name priced by
 * several providers is ambiguous.
 * Returns 0 and sets *out, or fills err:
 *   TM_ENOENT  no entry has that name (for that provider);
 *   TM_EINVAL  the name is priced by several providers (the message lists
 *              them) and no provider was given;
 *   TM_ERANGE  `at` is before the first entry's effective date (named).
 */
int tm_price_book_find(const tm_price_book *book, const char *provider,
                       const char *model, int64_t at,
                       const struct tm_price_entry **out, struct tm_error *err);

/* A usage record to rate. */
struct tm_price_usage {
    int64_t tokens[TM_CLASS_COUNT]; /* each 0..TM_PRICE_MAX_TOKENS */
    bool batch;                     /* a batch-API request */
    int64_t at;                     /* when it happened, Unix seconds UTC */
};

/* One line of a rating. `unit_cost` is the provider's rate per token in
 * picounits, `cost` = tokens x unit_cost; `unit_price` and `price` are the
 * same for the tenant (equal to the cost without overrides). */
struct tm_price_line {
    enum tm_token_class cls;
    int64_t tokens;
    tm_money unit_cost;
    tm_money cost;
    tm_money unit_price;
    tm_money price;
};

/*
 * A rated request. Lines appear in class order: `input` and `output`
 * always, every other class when its token count is not zero (so
 * `reasoning` is its own line whenever there are reasoning tokens, even
 * when it is priced as output).
 *   total_cost  = sum of lines' cost  + request_cost
 *   total_price = sum of lines' price + request_price
 */
struct tm_price_rating {
    const struct tm_price_entry *entry;
    const struct tm_price_tier *tier; /* the tier applied, or NULL */
    bool batch;
    struct tm_price_line lines[TM_CLASS_COUNT];
    size_t n_lines;
    tm_money request_cost;  /* per-request fee */
    tm_money request_price;
    tm_money total_cost;
    tm_money total_price;
};

/*
 * Rate `usage` against entry `e` (usually from tm_price_book_find; the
 * usage's `at` is not checked against it). `ov` may be NULL (tenant price =
 * provider cost). Fills *out and returns 0, or fills err:
 *   TM_EINVAL  a token count is negative or above TM_PRICE_MAX_TOKENS;
 *              audio or image tokens for an entry with no such rate;
 *              a batch request for an entry with no batch price
 *   TM_ERANGE  an amount overflows.
 * The error names the entry (provider/model, effective) and the class.
 */
int tm_price_rate_entry(const struct tm_price_entry *e, const struct tm_price_usage *usage,
                        const tm_price_overrides *ov, struct tm_price_rating *out,
                        struct tm_error *err);

/* tm_price_book_find at usage->at, then tm_price_rate_entry. */
int tm_price_rate(const tm_price_book *book, const char *provider, const char *model,
                  const struct tm_price_usage *usage, const tm_price_overrides *ov,
                  struct tm_price_rating *out, struct tm_error *err);

/*
 * Load tenant overrides (format in docs/PRICEBOOK.md): a discount, a markup
 * (percent or per million tokens) and per-model custom rates. `currency`
 * (the book's) must match the file's "currency" when it names one.
 * Returns NULL and fills err on a bad file (TM_EFORMAT naming the field,
 * TM_ELIMIT, TM_ENOENT, TM_EIO, TM_ENOMEM). Free with
 * tm_price_overrides_free (accepts NULL).
 */
tm_price_overrides *tm_price_overrides_open(const char *path, const char *currency,
                                            struct tm_error *err);
tm_price_overrides *tm_price_overrides_parse(const char *text, size_t len,
                                             const char *name, const char *currency,
                                             struct tm_error *err);
void tm_price_overrides_free(tm_price_overrides *ov);

/*
 * Parse a time: "YYYY-MM-DD" (00:00 UTC) or RFC 3339
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" into Unix seconds
 * (fractions are dropped). Years 1970..9999. TM_EINVAL naming `what`.
 */
int tm_price_parse_time(const char *text, const char *what, int64_t *out,
                        struct tm_error *err);
/* Write t as "YYYY-MM-DDTHH:MM:SSZ" (buf of at least 32 bytes); with
 * date_only "YYYY-MM-DD". */
void tm_price_format_time(int64_t t, bool date_only, char *buf, size_t cap);

/* What an import produced. */
struct tm_price_import {
    char *book;          /* the book in tokenmeter-prices/1, NUL-terminated */
    size_t book_len;
    size_t imported;     /* entries written */
    size_t not_token_priced; /* entries without per-token prices (images,
                                per-second audio, ...), left out */
    char **skipped;      /* n_skipped messages "KEY: reason" of entries
                            that had per-token prices but were refused */
    size_t n_skipped;
};

/*
 * Convert the community price list in LiteLLM's
 * model_prices_and_context_window.json format (text[0..len), named `name`
 * in messages) into a price book. Every entry gets effective and as_of =
 * `date` ("YYYY-MM-DD") and source = `source` (the file it came from).
 * Per-token prices are JSON numbers there; each is converted from its
 * shortest round-trip decimal text exactly. An entry with a rate finer than
 * one picounit per token, a negative or non-numeric rate, or a name that
 * repeats another entry's is left out and reported in out->skipped; the
 * written book is validated with tm_price_book_parse before it is returned.
 * Returns 0, or TM_EFORMAT (not JSON, not an object, no usable entry),
 * TM_ELIMIT, TM_EINVAL (a bad date), TM_ENOMEM. Free with
 * tm_price_import_free.
 */
int tm_price_import_litellm(const char *text, size_t len, const char *name,
                            const char *source, const char *date,
                            struct tm_price_import *out, struct tm_error *err);
void tm_price_import_free(struct tm_price_import *imp);

#ifdef __cplusplus
}
#endif
#endif
