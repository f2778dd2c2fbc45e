/*
 * tm_bench: timings of tokenmeter's tokenizer for bench/tokenize/run.
 *
 *   tm_bench throughput -e ENC [--mode count|encode] [--repeat N]
 *                       [--min-seconds S] FILE...
 *   tm_bench load -e ENC [--repeat N]
 *   tm_bench hostile -e ENC [--repeat N]
 *   tm_bench stream-rss -e ENC [--chunk BYTES] FILE
 *   tm_bench gen KIND BYTES            (write one hostile input to stdout)
 *
 * Every result is one line on stdout: the record type, then space-separated
 * key=value pairs (no value contains a space), so the run script can parse
 * it with awk. MB is 10^6 bytes; MiB is 2^20 bytes. Times are wall-clock
 * (CLOCK_MONOTONIC) on one thread; a benchmark reports the best of several
 * passes, because the question is what the code can do, not how noisy the
 * machine is.
 *
 * The hostile inputs are built byte for byte as peers.js builds them, so
 * both sides tokenize the same bytes: runs of one byte ('a', '^', '-', ' ',
 * '\n'), unbroken CJK (U+4E00 .. U+9FFF cycling, whole characters only) and
 * xorshift32 random bytes with seed 0x9E3779B9.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tokenmeter/core.h"
#include "tokenmeter/tokenize.h"

#define MIB ((size_t)1 << 20)

/* Above this, an 8 MiB hostile run is skipped: at t(8)/t(1) = 8 it would
 * take over 16 s, and the 1 MiB time has already missed its target. */
#define HOSTILE_SKIP_SECONDS 2.0

struct options {
    const char *encoding;
    const char *mode;     /* "count" or "encode" */
    int repeat;           /* minimum timed passes */
    double min_seconds;   /* minimum time spent in timed passes */
    size_t chunk;         /* stream-rss read size */
    char **files;
    int n_files;
};

/* Seconds on the monotonic clock. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set size of this process so far, in MiB (ru_maxrss is KiB
 * on Linux). */
static double peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1.0;
    return (double)ru.ru_maxrss / 1024.0;
}

/* The last path component, for printing. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void usage(void)
{
    fputs("usage: tm_bench throughput -e ENC [--mode count|encode] [--repeat N]"
          " [--min-seconds S] FILE...\n"
          "       tm_bench load -e ENC [--repeat N]\n"
          "       tm_bench hostile -e ENC [--repeat N]\n"
          "       tm_bench stream-rss -e ENC [--chunk BYTES] FILE\n"
          "       tm_bench gen a|caret|dash|space|newline|cjk|random BYTES\n",
          stderr);
}

/*
 * Read a whole file into a new buffer. OUT: *data (free it), *len.
 * Returns 0, or -1 after printing why.
 */
static int read_file(const char *path, char **data, size_t *len)
{
    int rc = -1;
    char *buf = NULL;
    size_t cap = 0, used = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tm_bench: cannot open %s: %s\n", path, strerror(errno));
        goto out;
    }
    for (;;) {
        if (used == cap) {
            size_t new_cap = cap ? cap * 2 : MIB;
            char *grown = realloc(buf, new_cap);
            if (!grown) {
                fprintf(stderr, "tm_bench: out of memory reading %s\n", path);
                goto out;
            }
            buf = grown;
            cap = new_cap;
        }
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "tm_bench: cannot read %s: %s\n", path, strerror(errno));
                goto out;
            }
            break;
        }
    }
    *data = buf;
    *len = used;
    buf = NULL;
    rc = 0;
out:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

/* Open an encoding by name, printing the library's message on failure. */
static tm_encoding *open_encoding(const char *name)
{
    struct tm_error err = {0};
    tm_encoding *enc = tm_encoding_open(name, &err);
    if (!enc)
        fprintf(stderr, "tm_bench: %s\n", err.message);
    return enc;
}

/* One timed operation on a text: count it or encode it. */
struct job {
    const tm_encoding *enc;
    bool encode;
    struct tm_tokens ids; /* reused by every encode pass */
};

/* Run the job once on text. OUT: *tokens. Returns a TM_E* code. */
static int run_job(struct job *job, const char *text, size_t len, uint64_t *tokens)
{
    if (!job->encode)
        return tm_encoding_count(job->enc, text, len, 0, tokens);
    job->ids.len = 0;
    int rc = tm_encoding_encode_append(job->enc, text, len, 0, &job->ids);
    *tokens = job->ids.len;
    return rc;
}

/*
 * One warm-up pass, then timed passes until at least min_passes ran and at
 * least min_seconds passed. OUT: *best (seconds), *passes, *tokens.
 * Returns a TM_E* code, or TM_EINVAL when passes disagree on the count.
 */
static int time_best(struct job *job, const char *text, size_t len, int min_passes,
                     double min_seconds, double *best, int *passes, uint64_t *tokens)
{
    uint64_t first = 0, n = 0;
    int rc = run_job(job, text, len, &first);
    if (rc != 0)
        return rc;
    *best = -1.0;
    *passes = 0;
    double start = now_seconds();
    while (*passes < min_passes || now_seconds() - start < min_seconds) {
        double t0 = now_seconds();
        rc = run_job(job, text, len, &n);
        double dt = now_seconds() - t0;
        if (rc != 0)
            return rc;
        if (n != first)
            return TM_EINVAL;
        if (*best < 0 || dt < *best)
            *best = dt;
        (*passes)++;
    }
    *tokens = first;
    return 0;
}

static int cmd_throughput(const struct options *opt)
{
    int status = 1;
    struct job job = {0};
    if (opt->n_files == 0) {
        usage();
        return 2;
    }
    if (strcmp(opt->mode, "count") != 0 && strcmp(opt->mode, "encode") != 0) {
        fprintf(stderr, "tm_bench: --mode is count or encode, not %s\n", opt->mode);
        return 2;
    }
    job.encode = strcmp(opt->mode, "encode") == 0;
    job.enc = open_encoding(opt->encoding);
    if (!job.enc)
        goto out;
    for (int i = 0; i < opt->n_files; i++) {
        char *text = NULL;
        size_t len = 0;
        double best = 0;
        int passes = 0;
        uint64_t tokens = 0;
        if (read_file(opt->files[i], &text, &len) != 0)
            goto out;
        int rc = time_best(&job, text, len, opt->repeat, opt->min_seconds, &best, &passes,
                           &tokens);
        free(text);
        if (rc != 0) {
            fprintf(stderr, "tm_bench: %s %s of %s failed: %s\n", opt->encoding, opt->mode,
                    opt->files[i], rc == TM_EINVAL ? "count changed between passes"
                                                   : tm_strerror(rc));
            goto out;
        }
        printf("throughput impl=tokenmeter enc=%s mode=%s file=%s bytes=%zu tokens=%llu "
               "passes=%d best_s=%.6f mbps=%.2f\n",
               opt->encoding, opt->mode, base_name(opt->files[i]), len,
               (unsigned long long)tokens, passes, best, (double)len / best / 1e6);
        fflush(stdout);
    }
    status = 0;
out:
    tm_tokens_free(&job.ids);
    tm_encoding_free((tm_encoding *)job.enc);
    return status;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Time tm_encoding_open + tm_encoding_free, opt->repeat times (at least 5).
 * The first time is reported apart: it is the one a starting process pays,
 * with the file in the page cache but nothing else warm.
 */
static int cmd_load(const struct options *opt)
{
    int runs = opt->repeat < 5 ? 20 : opt->repeat;
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms) {
        fputs("tm_bench: out of memory\n", stderr);
        return 1;
    }
    for (int i = 0; i < runs; i++) {
        double t0 = now_seconds();
        tm_encoding *enc = open_encoding(opt->encoding);
        if (!enc) {
            free(ms);
            return 1;
        }
        tm_encoding_free(enc);
        ms[i] = (now_seconds() - t0) * 1e3;
    }
    double first = ms[0];
    qsort(ms, (size_t)runs, sizeof *ms, compare_doubles);
    printf("load impl=tokenmeter enc=%s runs=%d first_ms=%.3f best_ms=%.3f median_ms=%.3f "
           "worst_ms=%.3f\n",
           opt->encoding, runs, first, ms[0], ms[runs / 2], ms[runs - 1]);
    free(ms);
    return 0;
}

/* The hostile inputs, in the order they are reported. */
static const char *const hostile_kinds[] = {"a", "caret", "dash", "space", "newline", "cjk",
                                            "random", "zero", "e-acute", "han", "metaspace",
                                            NULL};

/* Hostile inputs that repeat one multi-byte character (whole characters
 * only): runs of one code point that few or no merges join. */
static const struct {
    const char *kind;
    const char *utf8;
} hostile_runs[] = {
    {"e-acute", "\xc3\xa9"},        /* U+00E9 */
    {"han", "\xe4\xb8\xad"},       /* U+4E2D */
    {"metaspace", "\xe2\x96\x81"}, /* U+2581, SentencePiece's space */
};

/*
 * Build hostile input `kind` of at most `bytes` bytes into a new buffer.
 * OUT: *len (cjk stops at the last whole character). NULL on an unknown
 * kind or out of memory.
 */
static char *make_hostile(const char *kind, size_t bytes, size_t *len)
{
    char *buf = malloc(bytes ? bytes : 1);
    if (!buf)
        return NULL;
    int fill = -1;
    if (strcmp(kind, "a") == 0)
        fill = 'a';
    else if (strcmp(kind, "caret") == 0)
        fill = '^';
    else if (strcmp(kind, "dash") == 0)
        fill = '-';
    else if (strcmp(kind, "space") == 0)
        fill = ' ';
    else if (strcmp(kind, "newline") == 0)
        fill = '\n';
    else if (strcmp(kind, "zero") == 0)
        fill = '0';
    for (size_t k = 0; k < sizeof(hostile_runs) / sizeof(hostile_runs[0]); k++) {
        if (strcmp(kind, hostile_runs[k].kind) == 0) {
            size_t cl = strlen(hostile_runs[k].utf8), n = bytes / cl;
            for (size_t i = 0; i < n; i++)
                memcpy(buf + i * cl, hostile_runs[k].utf8, cl);
            *len = n * cl;
            return buf;
        }
    }
    if (fill >= 0) {
        memset(buf, fill, bytes);
        *len = bytes;
    } else if (strcmp(kind, "cjk") == 0) {
        /* CJK Unified Ideographs, U+4E00 .. U+9FFF, three UTF-8 bytes each. */
        size_t n = bytes / 3;
        for (size_t i = 0; i < n; i++) {
            uint32_t cp = 0x4E00u + (uint32_t)(i % (0xA000u - 0x4E00u));
            buf[3 * i] = (char)(0xE0u | (cp >> 12));
            buf[3 * i + 1] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
            buf[3 * i + 2] = (char)(0x80u | (cp & 0x3Fu));
        }
        *len = n * 3;
    } else if (strcmp(kind, "random") == 0) {
        uint32_t x = 0x9E3779B9u;
        for (size_t i = 0; i < bytes; i += 4) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            for (size_t k = 0; k < 4 && i + k < bytes; k++)
                buf[i + k] = (char)((x >> (8 * k)) & 0xFFu);
        }
        *len = bytes;
    } else {
        free(buf);
        return NULL;
    }
    return buf;
}

/*
 * Best-of count time for one hostile input of `bytes`. OUT: *seconds,
 * *tokens, *len. Returns 0 or -1 after printing why.
 */
static int time_hostile(const tm_encoding *enc, const char *kind, size_t bytes, int repeat,
                        double *seconds, uint64_t *tokens, size_t *len)
{
    char *text = make_hostile(kind, bytes, len);
    if (!text) {
        fprintf(stderr, "tm_bench: cannot build hostile input %s\n", kind);
        return -1;
    }
    int rc = 0;
    *seconds = -1.0;
    for (int i = 0; i < repeat; i++) {
        double t0 = now_seconds();
        rc = tm_encoding_count(enc, text, *len, 0, tokens);
        double dt = now_seconds() - t0;
        if (rc != 0)
            break;
        if (*seconds < 0 || dt < *seconds)
            *seconds = dt;
        /* A slow input gets one pass: the point is made, and the run must end. */
        if (dt > HOSTILE_SKIP_SECONDS)
            break;
    }
    free(text);
    if (rc != 0) {
        fprintf(stderr, "tm_bench: count of hostile input %s (%zu bytes) failed: %s\n", kind,
                *len, tm_strerror(rc));
        return -1;
    }
    return 0;
}

static int cmd_hostile(const struct options *opt)
{
    int status = 1;
    int repeat = opt->repeat < 1 ? 3 : opt->repeat;
    tm_encoding *enc = open_encoding(opt->encoding);
    if (!enc)
        goto out;
    for (int i = 0; hostile_kinds[i]; i++) {
        double t1 = 0, t8 = 0;
        uint64_t tokens1 = 0, tokens8 = 0;
        size_t len1 = 0, len8 = 0;
        if (time_hostile(enc, hostile_kinds[i], MIB, repeat, &t1, &tokens1, &len1) != 0)
            goto out;
        if (t1 > HOSTILE_SKIP_SECONDS) {
            printf("hostile impl=tokenmeter enc=%s input=%s bytes_1=%zu ms_1=%.3f tokens_1=%llu "
                   "bytes_8=- ms_8=skipped tokens_8=- ratio=-\n",
                   opt->encoding, hostile_kinds[i], len1, t1 * 1e3,
                   (unsigned long long)tokens1);
            fflush(stdout);
            continue;
        }
        if (time_hostile(enc, hostile_kinds[i], 8 * MIB, repeat, &t8, &tokens8, &len8) != 0)
            goto out;
        printf("hostile impl=tokenmeter enc=%s input=%s bytes_1=%zu ms_1=%.3f tokens_1=%llu "
               "bytes_8=%zu ms_8=%.3f tokens_8=%llu ratio=%.2f\n",
               opt->encoding, hostile_kinds[i], len1, t1 * 1e3, (unsigned long long)tokens1,
               len8, t8 * 1e3, (unsigned long long)tokens8, t8 / t1);
        fflush(stdout);
    }
    status = 0;
out:
    tm_encoding_free(enc);
    return status;
}

/*
 * Count a file through tm_stream_* in fixed-size reads and report the peak
 * RSS, to show that counting memory does not grow with the input.
 */
static int cmd_stream_rss(const struct options *opt)
{
    int status = 1;
    tm_stream *st = NULL;
    char *chunk = NULL;
    FILE *f = NULL;
    struct tm_error err = {0};
    uint64_t tokens = 0, bytes = 0;
    if (opt->n_files != 1) {
        usage();
        return 2;
    }
    tm_encoding *enc = open_encoding(opt->encoding);
    if (!enc)
        goto out;
    double rss_open = peak_rss_mib();
    st = tm_stream_new(enc, 0, NULL, NULL, &err);
    if (!st) {
        fprintf(stderr, "tm_bench: %s\n", err.message);
        goto out;
    }
    chunk = malloc(opt->chunk);
    f = fopen(opt->files[0], "rb");
    if (!chunk || !f) {
        fprintf(stderr, "tm_bench: cannot read %s: %s\n", opt->files[0],
                chunk ? strerror(errno) : "out of memory");
        goto out;
    }
    double t0 = now_seconds();
    for (;;) {
        size_t got = fread(chunk, 1, opt->chunk, f);
        if (got > 0) {
            int rc = tm_stream_feed(st, chunk, got);
            if (rc != 0) {
                fprintf(stderr, "tm_bench: tm_stream_feed: %s\n", tm_strerror(rc));
                goto out;
            }
            bytes += got;
        }
        if (got < opt->chunk) {
            if (ferror(f)) {
                fprintf(stderr, "tm_bench: cannot read %s: %s\n", opt->files[0],
                        strerror(errno));
                goto out;
            }
            break;
        }
    }
    int rc = tm_stream_finish(st, &tokens);
    if (rc != 0) {
        fprintf(stderr, "tm_bench: tm_stream_finish: %s\n", tm_strerror(rc));
        goto out;
    }
    double seconds = now_seconds() - t0;
    printf("stream impl=tokenmeter enc=%s file=%s bytes=%llu chunk=%zu tokens=%llu seconds=%.3f "
           "mbps=%.2f rss_after_open_mib=%.1f peak_rss_mib=%.1f\n",
           opt->encoding, base_name(opt->files[0]), (unsigned long long)bytes, opt->chunk,
           (unsigned long long)tokens, seconds, (double)bytes / seconds / 1e6, rss_open,
           peak_rss_mib());
    status = 0;
out:
    if (f)
        fclose(f);
    free(chunk);
    tm_stream_free(st);
    tm_encoding_free(enc);
    return status;
}

/* Write one hostile input to stdout, to check peers.js builds the same bytes. */
static int cmd_gen(int argc, char **argv)
{
    if (argc != 4) {
        usage();
        return 2;
    }
    size_t len = 0;
    char *text = make_hostile(argv[2], (size_t)strtoull(argv[3], NULL, 10), &len);
    if (!text) {
        fprintf(stderr, "tm_bench: unknown hostile input %s\n", argv[2]);
        return 2;
    }
    size_t put = fwrite(text, 1, len, stdout);
    free(text);
    return put == len ? 0 : 1;
}

/* Parse options after the subcommand. Returns 0, or 2 after printing usage. */
static int parse_options(int argc, char **argv, struct options *opt)
{
    opt->encoding = NULL;
    opt->mode = "count";
    opt->repeat = 0;
    opt->min_seconds = 1.0;
    opt->chunk = MIB;
    opt->files = calloc((size_t)argc, sizeof *opt->files);
    opt->n_files = 0;
    if (!opt->files)
        return 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if ((strcmp(a, "-e") == 0 || strcmp(a, "--encoding") == 0) && has_value)
            opt->encoding = argv[++i];
        else if (strcmp(a, "--mode") == 0 && has_value)
            opt->mode = argv[++i];
        else if (strcmp(a, "--repeat") == 0 && has_value)
            opt->repeat = atoi(argv[++i]);
        else if (strcmp(a, "--min-seconds") == 0 && has_value)
            opt->min_seconds = atof(argv[++i]);
        else if (strcmp(a, "--chunk") == 0 && has_value)
            opt->chunk = (size_t)strtoull(argv[++i], NULL, 10);
        else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "tm_bench: unknown option or missing value: %s\n", a);
            usage();
            return 2;
        } else
            opt->files[opt->n_files++] = argv[i];
    }
    if (!opt->encoding || opt->chunk == 0) {
        usage();
        return 2;
    }
    if (opt->repeat < 1)
        opt->repeat = 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt = {0};
    int status = 2;
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "gen") == 0)
        return cmd_gen(argc, argv);
    if (parse_options(argc, argv, &opt) != 0)
        goto out;
    if (strcmp(argv[1], "throughput") == 0)
        status = cmd_throughput(&opt);
    else if (strcmp(argv[1], "load") == 0)
        status = cmd_load(&opt);
    else if (strcmp(argv[1], "hostile") == 0)
        status = cmd_hostile(&opt);
    else if (strcmp(argv[1], "stream-rss") == 0)
        status = cmd_stream_rss(&opt);
    else
        usage();
out:
    free(opt.files);
    return status;
}
