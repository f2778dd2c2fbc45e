/*
 * tokenmeter ingest / db check: the command line of the usage ledger
 * (docs/LEDGER.md).
 *
 *   tokenmeter ingest [--db PATH] [--prices FILE] [--overrides FILE] [--json]
 *                     FILE.jsonl...
 *     Records usage events, one JSON object per line (the format is in
 *     docs/LEDGER.md, "Ingest"), rated against the price book on the way
 *     in. A bad line is reported as FILE:LINE: reason and skipped; the
 *     other lines are recorded; each line is recorded whole or not at all.
 *     Lines are committed in batches of up to INGEST_BATCH. Re-ingesting a
 *     file records nothing twice (ids are idempotency keys); a line whose
 *     id was recorded with other facts is reported as a conflict. A
 *     summary goes to stdout (--json: one object).
 *
 *   tokenmeter db check [--db PATH]
 *     Verifies that the rollups equal the events (tm_ledger_check).
 *
 * --db defaults to ./tokenmeter.db. Exit status: 0 success; 1 a bad or
 * conflicting line, a mismatch, or a runtime error (database, price book); 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/cmd_ledger.h"
#include "tokenmeter/ledger.h"
#include "tokenmeter/price.h"

#define DEFAULT_DB "tokenmeter.db"
#define INGEST_BATCH 1000
#define INGEST_LINE_MAX (1u << 20) /* bytes of one line */

#define INGEST_USAGE "usage: tokenmeter ingest [--db PATH] [--prices FILE] " \
                     "[--overrides FILE] [--json] FILE.jsonl..."
#define DB_USAGE "usage: tokenmeter db check [--db PATH]"

/* One parsed line waiting in a batch. Strings of `ev` point into `root`. */
struct slot {
    json_t *root;
    size_t line;
    struct tm_usage_event ev;
    struct tm_ledger_tag tags[TM_LEDGER_TAGS_MAX];
};

struct ingest {
    const char *file;
    tm_ledger *ledger;
    const tm_price_book *book;
    const tm_price_overrides *ov;
    struct slot *slots;
    struct tm_usage_event *evs; /* INGEST_BATCH, the batch handed to the ledger */
    size_t n;
    enum tm_ledger_status status[INGEST_BATCH];
    char *text; /* the line being read: INGEST_LINE_MAX + 2 bytes */
    size_t lines, recorded, duplicates, conflicts, bad;
    bool fatal;
};

/* ---- one line ---- */

static const char *opt_string(json_t *obj, const char *key, const char **err_key)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *err_key = key;
        return NULL;
    }
    return json_string_value(v);
}

/* A token object {"input": N, ...} with class names as keys. */
static int parse_tokens(json_t *obj, const char *field, int64_t *tokens, char *msg, size_t cap)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        snprintf(msg, cap, "%s: expected an object of token counts", field);
        return -1;
    }
    json_object_foreach(obj, key, v) {
        enum tm_token_class cls;
        if (!tm_price_class_from_name(key, &cls)) {
            snprintf(msg, cap, "%s.%s: not a token class (input, cached_input, "
                     "cache_write_5m, cache_write_1h, output, reasoning, input_audio, "
                     "output_audio, input_image, output_image)", field, key);
            return -1;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > TM_PRICE_MAX_TOKENS) {
            snprintf(msg, cap, "%s.%s: expected an integer 0..10^15", field, key);
            return -1;
        }
        tokens[cls] = (int64_t)json_integer_value(v);
    }
    return 0;
}

static int parse_time_ms(json_t *v, const char *field, int64_t *ms, char *msg, size_t cap)
{
    struct tm_error err = {0};
    int64_t utc;
    int32_t nsec = 0;

    if (!json_is_string(v)) {
        snprintf(msg, cap, "%s: expected an RFC 3339 time string", field);
        return -1;
    }
    if (tm_time_parse(json_string_value(v), json_string_length(v), field, &utc, &nsec,
                      &err) != TM_OK) {
        snprintf(msg, cap, "%s", err.message);
        return -1;
    }
    if (utc < 0) {
        snprintf(msg, cap, "%s: before 1970", field);
        return -1;
    }
    *ms = utc * 1000 + nsec / 1000000;
    return 0;
}

static const char *const known_keys[] = {
    "id", "tenant", "api_key", "user", "project", "task_id", "tags", "provider", "model",
    "started_at", "ended_at", "latency_ms", "outcome", "streaming", "batch", "usage",
    "local_usage", "provider_usage",
};

/* ---- provider usage objects ----
 *
 * A provider's own `usage` object converted into the disjoint classes of
 * the rating engine (docs/PRICEBOOK.md). The traps are all here: OpenAI's
 * totals *include* their details (prompt_tokens includes cached and audio
 * tokens, completion_tokens includes reasoning and audio tokens:
 * https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage),
 * Anthropic's input_tokens *excludes* cache reads and writes, which come in
 * their own fields, and cache_creation splits the writes by lifetime
 * (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching,
 * "Tracking cache performance"). Subtracting a detail from its total never
 * goes below zero silently: such a body is refused. */

/* A count field of a usage object: absent or null is 0. */
static int usage_int(json_t *obj, const char *key, const char *path, int64_t *out, char *msg,
                     size_t cap)
{
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > TM_PRICE_MAX_TOKENS) {
        snprintf(msg, cap, "provider_usage.%s%s: expected an integer 0..10^15", path, key);
        return -1;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static json_t *usage_obj(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

/* total - parts, refused when the parts exceed the total. */
static int usage_rest(int64_t total, int64_t parts, const char *what, int64_t *out, char *msg,
                      size_t cap)
{
    if (parts > total) {
        snprintf(msg, cap, "provider_usage: %s: the details (%lld) exceed the total (%lld)",
                 what, (long long)parts, (long long)total);
        return -1;
    }
    *out = total - parts;
    return 0;
}

/* OpenAI Chat Completions / Completions (prompt_tokens) or Responses
 * (input_tokens, output_tokens); also the OpenAI-compatible APIs. */
static int openai_usage(json_t *u, int64_t *t, char *msg, size_t cap)
{
    int64_t in, out, cached, audio_in, reasoning, audio_out;
    bool chat = json_object_get(u, "prompt_tokens") != NULL;
    json_t *ind = usage_obj(u, chat ? "prompt_tokens_details" : "input_tokens_details");
    json_t *outd = usage_obj(u, chat ? "completion_tokens_details" : "output_tokens_details");
    const char *inp = chat ? "prompt_tokens_details." : "input_tokens_details.";
    const char *outp = chat ? "completion_tokens_details." : "output_tokens_details.";

    if (!chat && json_object_get(u, "input_tokens") == NULL) {
        snprintf(msg, cap, "provider_usage: neither prompt_tokens (Chat Completions) nor "
                 "input_tokens (Responses) is present");
        return -1;
    }
    if (usage_int(u, chat ? "prompt_tokens" : "input_tokens", "", &in, msg, cap) != 0 ||
        usage_int(u, chat ? "completion_tokens" : "output_tokens", "", &out, msg, cap) != 0 ||
        usage_int(ind, "cached_tokens", inp, &cached, msg, cap) != 0 ||
        usage_int(ind, "audio_tokens", inp, &audio_in, msg, cap) != 0 ||
        usage_int(outd, "reasoning_tokens", outp, &reasoning, msg, cap) != 0 ||
        usage_int(outd, "audio_tokens", outp, &audio_out, msg, cap) != 0)
        return -1;
    t[TM_CLASS_CACHED_INPUT] = cached;
    t[TM_CLASS_INPUT_AUDIO] = audio_in;
    t[TM_CLASS_REASONING] = reasoning;
    t[TM_CLASS_OUTPUT_AUDIO] = audio_out;
    if (usage_rest(in, cached + audio_in, chat ? "prompt_tokens" : "input_tokens",
                   &t[TM_CLASS_INPUT], msg, cap) != 0 ||
        usage_rest(out, reasoning + audio_out, chat ? "completion_tokens" : "output_tokens",
                   &t[TM_CLASS_OUTPUT], msg, cap) != 0)
        return -1;
    return 0;
}

/* Anthropic Messages. Thinking tokens are part of output_tokens and not
 * reported apart, so they are rated as output. */
static int anthropic_usage(json_t *u, int64_t *t, char *msg, size_t cap)
{
    int64_t writes, w5, w1;
    json_t *cc = usage_obj(u, "cache_creation");

    if (json_object_get(u, "input_tokens") == NULL) {
        snprintf(msg, cap, "provider_usage: input_tokens is missing (an Anthropic usage "
                 "object)");
        return -1;
    }
    if (usage_int(u, "input_tokens", "", &t[TM_CLASS_INPUT], msg, cap) != 0 ||
        usage_int(u, "output_tokens", "", &t[TM_CLASS_OUTPUT], msg, cap) != 0 ||
        usage_int(u, "cache_read_input_tokens", "", &t[TM_CLASS_CACHED_INPUT], msg, cap) != 0 ||
        usage_int(u, "cache_creation_input_tokens", "", &writes, msg, cap) != 0 ||
        usage_int(cc, "ephemeral_5m_input_tokens", "cache_creation.", &w5, msg, cap) != 0 ||
        usage_int(cc, "ephemeral_1h_input_tokens", "cache_creation.", &w1, msg, cap) != 0)
        return -1;
    if (cc == NULL) {
        w5 = writes; /* no split given: the default 5-minute lifetime */
    } else if (json_object_get(u, "cache_creation_input_tokens") != NULL && w5 + w1 != writes) {
        snprintf(msg, cap, "provider_usage: cache_creation_input_tokens (%lld) is not "
                 "ephemeral_5m + ephemeral_1h (%lld + %lld)", (long long)writes,
                 (long long)w5, (long long)w1);
        return -1;
    }
    t[TM_CLASS_CACHE_WRITE_5M] = w5;
    t[TM_CLASS_CACHE_WRITE_1H] = w1;
    return 0;
}

static int provider_usage(const char *provider, json_t *u, int64_t *tokens, char *msg,
                          size_t cap)
{
    if (!json_is_object(u)) {
        snprintf(msg, cap, "provider_usage: expected the provider's usage object");
        return -1;
    }
    if (strcmp(provider, "anthropic") == 0)
        return anthropic_usage(u, tokens, msg, cap);
    if (strcmp(provider, "google") == 0) {
        snprintf(msg, cap, "provider_usage: Google's usageMetadata is not supported yet; "
                 "give \"usage\" in token classes");
        return -1;
    }
    return openai_usage(u, tokens, msg, cap);
}

/* Parse, rate and validate one line into s->ev. Returns 0, or -1 with msg. */
static int parse_line(struct ingest *in, struct slot *s, const char *text, size_t len,
                      char *msg, size_t cap)
{
    static const char *const outcomes[] = {"ok", "error", "cancelled", "cut_off"};
    struct tm_usage_event *ev = &s->ev;
    const char *bad_key = NULL, *key;
    json_error_t jerr;
    json_t *root, *v;
    bool batch = false;
    struct tm_price_usage pu;
    struct tm_price_rating rating;
    struct tm_error err = {0};

    memset(ev, 0, sizeof(*ev));
    root = s->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(msg, cap, "not JSON: %s (column %d)", jerr.text, jerr.column);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(msg, cap, "expected a JSON object");
        return -1;
    }
    json_object_foreach(root, key, v) {
        size_t k = 0;
        while (k < sizeof(known_keys) / sizeof(known_keys[0]) && strcmp(key, known_keys[k]))
            k++;
        if (k == sizeof(known_keys) / sizeof(known_keys[0])) {
            snprintf(msg, cap, "unknown field \"%.64s\" (docs/LEDGER.md lists the fields)",
                     key);
            return -1;
        }
    }
    ev->id = opt_string(root, "id", &bad_key);
    ev->tenant = opt_string(root, "tenant", &bad_key);
    ev->api_key = opt_string(root, "api_key", &bad_key);
    ev->user = opt_string(root, "user", &bad_key);
    ev->project = opt_string(root, "project", &bad_key);
    ev->task_id = opt_string(root, "task_id", &bad_key);
    ev->provider = opt_string(root, "provider", &bad_key);
    ev->model = opt_string(root, "model", &bad_key);
    if (bad_key != NULL) {
        snprintf(msg, cap, "%s: expected a string", bad_key);
        return -1;
    }
    if (ev->id == NULL || ev->id[0] == '\0') {
        snprintf(msg, cap, "id is required (an event's idempotency key: a file ingested "
                 "twice must not count twice; use the provider's response id)");
        return -1;
    }
    if ((v = json_object_get(root, "tags")) != NULL) {
        if (!json_is_object(v)) {
            snprintf(msg, cap, "tags: expected an object of strings");
            return -1;
        }
        json_t *tv;
        json_object_foreach(v, key, tv) {
            if (ev->n_tags == TM_LEDGER_TAGS_MAX) {
                snprintf(msg, cap, "tags: more than %d", TM_LEDGER_TAGS_MAX);
                return -1;
            }
            if (!json_is_string(tv)) {
                snprintf(msg, cap, "tags.%.64s: expected a string", key);
                return -1;
            }
            s->tags[ev->n_tags].key = key;
            s->tags[ev->n_tags].value = json_string_value(tv);
            ev->n_tags++;
        }
        ev->tags = s->tags;
    }
    if ((v = json_object_get(root, "started_at")) == NULL) {
        snprintf(msg, cap, "started_at is required");
        return -1;
    }
    if (parse_time_ms(v, "started_at", &ev->started_ms, msg, cap) != 0)
        return -1;
    ev->ended_ms = ev->started_ms;
    if ((v = json_object_get(root, "ended_at")) != NULL &&
        parse_time_ms(v, "ended_at", &ev->ended_ms, msg, cap) != 0)
        return -1;
    ev->latency_ms = -1;
    if ((v = json_object_get(root, "latency_ms")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            snprintf(msg, cap, "latency_ms: expected a non-negative integer");
            return -1;
        }
        ev->latency_ms = (int64_t)json_integer_value(v);
    }
    if ((v = json_object_get(root, "outcome")) != NULL) {
        size_t k = 0;
        while (k < 4 && !(json_is_string(v) && strcmp(json_string_value(v), outcomes[k]) == 0))
            k++;
        if (k == 4) {
            snprintf(msg, cap, "outcome: expected \"ok\", \"error\", \"cancelled\" or "
                     "\"cut_off\"");
            return -1;
        }
        ev->outcome = (enum tm_ledger_outcome)k;
    }
    if ((v = json_object_get(root, "streaming")) != NULL) {
        if (!json_is_boolean(v)) {
            snprintf(msg, cap, "streaming: expected true or false");
            return -1;
        }
        ev->streaming = json_is_true(v);
    }
    if ((v = json_object_get(root, "batch")) != NULL) {
        if (!json_is_boolean(v)) {
            snprintf(msg, cap, "batch: expected true or false");
            return -1;
        }
        batch = json_is_true(v);
    }
    if ((v = json_object_get(root, "usage")) != NULL) {
        if (json_object_get(root, "provider_usage") != NULL) {
            snprintf(msg, cap, "usage and provider_usage: give one of them");
            return -1;
        }
        if (parse_tokens(v, "usage", ev->provider_tokens, msg, cap) != 0)
            return -1;
        ev->has_provider_tokens = true;
    }
    if ((v = json_object_get(root, "provider_usage")) != NULL) {
        if (ev->provider == NULL) {
            snprintf(msg, cap, "provider is required");
            return -1;
        }
        if (provider_usage(ev->provider, v, ev->provider_tokens, msg, cap) != 0)
            return -1;
        ev->has_provider_tokens = true;
    }
    if ((v = json_object_get(root, "local_usage")) != NULL) {
        if (parse_tokens(v, "local_usage", ev->local_tokens, msg, cap) != 0)
            return -1;
        ev->has_local_tokens = true;
    }
    if (!ev->has_provider_tokens && !ev->has_local_tokens) {
        snprintf(msg, cap, "usage or provider_usage (the provider's token counts) or "
                 "local_usage is required");
        return -1;
    }
    /* Validate before rating so required fields are named first. */
    if (tm_ledger_event_validate(ev, &err) != TM_OK) {
        snprintf(msg, cap, "%s", err.message);
        return -1;
    }
    /* Rate the billed counts at the event's start (docs/PRICEBOOK.md). */
    memset(&pu, 0, sizeof(pu));
    for (int c = 0; c < TM_CLASS_COUNT; c++)
        pu.tokens[c] = ev->has_provider_tokens ? ev->provider_tokens[c] : ev->local_tokens[c];
    pu.batch = batch;
    pu.at = ev->started_ms / 1000;
    if (tm_price_rate(in->book, ev->provider, ev->model, &pu, in->ov, &rating, &err) != TM_OK) {
        snprintf(msg, cap, "%s", err.message);
        return -1;
    }
    ev->cost = rating.total_cost;
    ev->price = rating.total_price;
    return 0;
}

/* ---- batches ---- */

static void release_slots(struct ingest *in)
{
    for (size_t i = 0; i < in->n; i++) {
        json_decref(in->slots[i].root);
        in->slots[i].root = NULL;
    }
    in->n = 0;
}

/* Count line i of a committed batch; a conflict is reported. */
static void count_status(struct ingest *in, size_t i)
{
    switch (in->status[i]) {
    case TM_LEDGER_RECORDED:
        in->recorded++;
        break;
    case TM_LEDGER_DUPLICATE:
        in->duplicates++;
        break;
    case TM_LEDGER_CONFLICT:
        cli_error("ingest", "%s:%zu: id %s was recorded before with different facts; this "
                  "line was not recorded", in->file, in->slots[i].line, in->slots[i].ev.id);
        in->conflicts++;
        break;
    }
}

/* Commit the batch. If the batch as a whole fails (a rollup would
 * overflow), each line is tried alone so only the failing lines are lost,
 * and each is reported. */
static void flush(struct ingest *in)
{
    struct tm_usage_event *evs = in->evs;
    struct tm_error err = {0};
    int rc;

    if (in->n == 0 || in->fatal) {
        release_slots(in);
        return;
    }
    for (size_t i = 0; i < in->n; i++)
        evs[i] = in->slots[i].ev;
    rc = tm_ledger_append(in->ledger, evs, in->n, in->status, &err);
    if (rc == TM_OK) {
        for (size_t i = 0; i < in->n; i++)
            count_status(in, i);
    } else if (rc == TM_ERANGE) {
        for (size_t i = 0; i < in->n; i++) {
            rc = tm_ledger_append(in->ledger, &evs[i], 1, &in->status[i], &err);
            if (rc == TM_OK) {
                count_status(in, i);
            } else if (rc == TM_ERANGE) {
                cli_error("ingest", "%s:%zu: %s", in->file, in->slots[i].line, err.message);
                in->bad++;
            } else {
                cli_error("ingest", "%s", err.message);
                in->fatal = true;
                break;
            }
        }
    } else {
        cli_error("ingest", "%s (lines up to %s:%zu were not recorded; ingesting the file "
                  "again is safe)", err.message, in->file, in->slots[in->n - 1].line);
        in->fatal = true;
    }
    release_slots(in);
}

/* Read one line into buf (cap bytes) without its newline: 1 a line
 * (*too_long when it did not fit; the rest of it is skipped, never held in
 * memory), 0 at the end of the input. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len, bool *too_long)
{
    int c;

    *len = 0;
    *too_long = false;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (*len < cap)
            buf[*len] = (char)c;
        else
            *too_long = true;
        if (!*too_long)
            (*len)++;
    }
    return c == EOF && *len == 0 && !*too_long ? 0 : 1;
}

static int ingest_file(struct ingest *in, const char *name)
{
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
    char *line = in->text, msg[TM_ERROR_MESSAGE_MAX];
    size_t lineno = 0, l;
    bool too_long;

    if (f == NULL) {
        cli_error("ingest", "%s: %s", name, strerror(errno));
        return -1;
    }
    in->file = name;
    while (!in->fatal && read_line(f, line, INGEST_LINE_MAX, &l, &too_long)) {
        struct slot *s = &in->slots[in->n];

        lineno++;
        while (!too_long && l > 0 && line[l - 1] == '\r')
            l--;
        line[l] = '\0';
        if (!too_long && (l == 0 || strspn(line, " \t") == l))
            continue; /* blank lines are allowed */
        in->lines++;
        if (too_long) {
            cli_error("ingest", "%s:%zu: the line is longer than %u bytes", name, lineno,
                      INGEST_LINE_MAX);
            in->bad++;
            continue;
        }
        s->line = lineno;
        if (parse_line(in, s, line, l, msg, sizeof(msg)) != 0) {
            cli_error("ingest", "%s:%zu: %s", name, lineno, msg);
            json_decref(s->root);
            s->root = NULL;
            in->bad++;
            continue;
        }
        if (++in->n == INGEST_BATCH)
            flush(in);
    }
    if (ferror(f)) {
        cli_error("ingest", "%s: %s", name, strerror(errno));
        in->fatal = true;
    }
    flush(in);
    if (f != stdin)
        fclose(f);
    return in->fatal ? -1 : 0;
}

int cmd_ingest(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *db = DEFAULT_DB, *prices = NULL, *overrides = NULL;
    bool json = false;
    struct tm_error err = {0};
    struct ingest in;
    tm_price_book *book = NULL;
    tm_price_overrides *ov = NULL;
    int exit_code = CLI_OK;

    memset(&in, 0, sizeof(in));
    cli_args_init(&a, "ingest", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        const char **target = strcmp(opt, "--db") == 0          ? &db
                              : strcmp(opt, "--prices") == 0    ? &prices
                              : strcmp(opt, "--overrides") == 0 ? &overrides
                                                                : NULL;
        if (target != NULL) {
            if ((*target = cli_args_value(&a)) == NULL)
                a.bad = true;
        } else if (strcmp(opt, "--json") == 0) {
            json = true;
        } else {
            cli_error("ingest", "unknown option '%s' (%s)", opt, INGEST_USAGE);
            a.bad = true;
        }
    }
    if (!a.bad && a.n_operands == 0) {
        cli_error("ingest", "no input file (%s)", INGEST_USAGE);
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    book = tm_price_book_open(prices, &err);
    if (book == NULL) {
        cli_error("ingest", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    if (overrides != NULL &&
        (ov = tm_price_overrides_open(overrides, tm_price_book_currency(book), &err)) == NULL) {
        cli_error("ingest", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    in.book = book;
    in.ov = ov;
    in.slots = calloc(INGEST_BATCH, sizeof(*in.slots));
    in.evs = calloc(INGEST_BATCH, sizeof(*in.evs));
    in.text = malloc(INGEST_LINE_MAX + 2);
    if (in.slots == NULL || in.evs == NULL || in.text == NULL) {
        cli_error("ingest", "out of memory");
        exit_code = CLI_RUNTIME;
        goto out;
    }
    in.ledger = tm_ledger_open(db, NULL, &err);
    if (in.ledger == NULL) {
        cli_error("ingest", "%s", err.message);
        exit_code = CLI_RUNTIME;
        goto out;
    }
    for (int i = 0; i < a.n_operands && !in.fatal; i++)
        ingest_file(&in, a.operands[i]);
    if (json)
        printf("{\"lines\": %zu, \"recorded\": %zu, \"duplicates\": %zu, \"conflicts\": %zu, "
               "\"bad\": %zu}\n", in.lines, in.recorded, in.duplicates, in.conflicts, in.bad);
    else
        printf("%zu lines: %zu recorded, %zu duplicates, %zu conflicts, %zu bad\n", in.lines,
               in.recorded, in.duplicates, in.conflicts, in.bad);
    if (in.fatal || in.bad > 0 || in.conflicts > 0)
        exit_code = CLI_RUNTIME;
out:
    tm_ledger_close(in.ledger);
    free(in.slots);
    free(in.evs);
    free(in.text);
    tm_price_overrides_free(ov);
    tm_price_book_free(book);
    cli_args_free(&a);
    if (fflush(stdout) != 0) {
        cli_error("ingest", "cannot write output: %s", strerror(errno));
        exit_code = CLI_RUNTIME;
    }
    return exit_code;
}

int cmd_db(int argc, char **argv)
{
    struct cli_args a;
    const char *opt, *db = DEFAULT_DB;
    struct tm_error err = {0};
    struct tm_ledger_check_report rep;
    tm_ledger *l;
    int exit_code = CLI_OK;

    cli_args_init(&a, "db", argc, argv);
    while ((opt = cli_args_next(&a)) != NULL) {
        if (strcmp(opt, "--db") == 0) {
            if ((db = cli_args_value(&a)) == NULL)
                a.bad = true;
        } else {
            cli_error("db", "unknown option '%s' (%s)", opt, DB_USAGE);
            a.bad = true;
        }
    }
    if (!a.bad && (a.n_operands != 1 || strcmp(a.operands[0], "check") != 0)) {
        cli_error("db", "expected the subcommand check (%s)", DB_USAGE);
        a.bad = true;
    }
    if (a.bad) {
        cli_args_free(&a);
        return CLI_USAGE;
    }
    cli_args_free(&a);
    l = tm_ledger_open(db, NULL, &err);
    if (l == NULL || tm_ledger_check(l, &rep, &err) != TM_OK) {
        cli_error("db", "%s", err.message);
        tm_ledger_close(l);
        return CLI_RUNTIME;
    }
    tm_ledger_close(l);
    printf("%s: %lld events, %lld rollup rows, %lld mismatches\n", db, (long long)rep.events,
           (long long)rep.rollup_rows, (long long)rep.mismatches);
    if (rep.mismatches != 0) {
        cli_error("db", "check failed: %s", rep.first_mismatch);
        exit_code = CLI_RUNTIME;
    }
    return exit_code;
}
