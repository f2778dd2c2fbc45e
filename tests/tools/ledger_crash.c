/*
 * The ledger's crash test (issue 5): a child process ingests a fixed set
 * of events through the writer thread (synchronous=FULL) while the parent
 * kills it with SIGKILL at a random moment; after every kill the parent
 * checks that every event the child was told is durable is in the
 * database, then starts a new child that re-sends everything sent so far
 * and a further slice of new events (from a random point, in two threads,
 * so the same ids also race each other), so every round is killed while
 * new events as well as duplicates are being committed. A last child
 * sends everything and runs to completion. Then: every event is present exactly
 * once, tm_ledger_check finds the rollups equal to the events, and the
 * totals equal the sums computed here.
 *
 *   ledger_crash DB [ROUNDS [SEED]]     exit 0 pass, 1 fail
 *
 * The child reports durability through a pipe: the writer's callback
 * writes one 8-byte record (first event index, count) per settled
 * submission, which is atomic on a pipe (<= PIPE_BUF). Only rc 0 (durable)
 * submissions are reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tokenmeter/ledger.h"

#define N_EVENTS 50000
#define T0 1774224000000LL /* 2026-03-23T00:00:00Z, ms */

static const char *tenants[] = {"acme", "globex", "initech"};
static const char *models[] = {"gpt-4o", "o3", "claude-sonnet-4", "gemini-2.5-pro"};

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* Event k, always the same. Some costs are above 2^63 picounits. */
static void make_event(int k, struct tm_usage_event *ev, char *id, size_t cap)
{
    snprintf(id, cap, "crash-%d", k);
    memset(ev, 0, sizeof(*ev));
    ev->id = id;
    ev->tenant = tenants[k % 3];
    ev->provider = "openai";
    ev->model = models[(k / 3) % 4];
    ev->started_ms = T0 + (int64_t)k * 7919;
    ev->ended_ms = ev->started_ms + 1000;
    ev->latency_ms = 100;
    ev->has_provider_tokens = true;
    ev->provider_tokens[TM_CLASS_INPUT] = 1000 + k;
    ev->provider_tokens[TM_CLASS_OUTPUT] = k % 777;
    ev->cost = (tm_money)(k + 1) * 1234567;
    if (k % 1000 == 999)
        ev->cost = ((tm_money)1 << 64) + k; /* above 2^63 */
    ev->price = ev->cost + 1;
}

/* ---- the child: ingest everything, report what is durable ---- */

static int ack_fd;

static void on_done(void *ctx, int rc, const enum tm_ledger_status *status, size_t n,
                    const struct tm_error *err)
{
    uint32_t rec[2] = {(uint32_t)(uintptr_t)ctx, (uint32_t)n};

    (void)status;
    (void)err;
    if (rc == TM_OK && write(ack_fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
        _exit(3);
}

struct sender {
    tm_ledger_writer *w;
    int limit; /* send events 0..limit-1 */
    int start;
    uint64_t seed;
};

static void *send_all(void *arg)
{
    struct sender *s = arg;
    uint64_t r = s->seed | 1;
    struct tm_usage_event evs[64];
    char ids[64][32];
    int k = 0;

    while (k < s->limit) {
        int first = (s->start + k) % s->limit;
        int n = 1 + (int)((r = r * 6364136223846793005ull + 1442695040888963407ull) >> 58);
        struct tm_error err = {0};

        if (n > s->limit - k)
            n = s->limit - k;
        if (n > s->limit - first)
            n = s->limit - first; /* a submission never wraps */
        for (int j = 0; j < n; j++)
            make_event(first + j, &evs[j], ids[j], sizeof(ids[j]));
        if (tm_ledger_writer_submit(s->w, evs, (size_t)n, on_done, (void *)(uintptr_t)first,
                                    &err) != TM_OK) {
            fprintf(stderr, "ledger_crash child: submit: %s\n", err.message);
            _exit(2);
        }
        k += n;
    }
    return NULL;
}

static void child(const char *db, int limit, uint64_t seed)
{
    struct tm_error err = {0};
    struct tm_ledger_options opts = {.sync = TM_LEDGER_SYNC_FULL};
    struct tm_ledger_writer_options wopts = {.queue_events = 4096, .max_commit_events = 2048};
    struct sender s[2];
    pthread_t th[2];
    tm_ledger *l = tm_ledger_open(db, &opts, &err);
    tm_ledger_writer *w;

    if (l == NULL) {
        fprintf(stderr, "ledger_crash child: %s\n", err.message);
        _exit(2);
    }
    w = tm_ledger_writer_start(l, &wopts, &err);
    if (w == NULL)
        _exit(2);
    rng_state = seed;
    for (int i = 0; i < 2; i++) {
        s[i].w = w;
        s[i].limit = limit;
        s[i].start = (int)(rng() % (uint64_t)limit);
        s[i].seed = rng();
        pthread_create(&th[i], NULL, send_all, &s[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    tm_ledger_writer_stop(w);
    tm_ledger_close(l);
    _exit(0);
}

/* ---- the parent ---- */

static unsigned char acked[N_EVENTS];

/* Read the acknowledgements waiting in the pipe; returns how many events
 * they cover. */
static long read_acks(int fd)
{
    uint32_t rec[2];
    long events = 0;

    while (read(fd, rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
        for (uint32_t j = 0; j < rec[1] && rec[0] + j < N_EVENTS; j++)
            acked[rec[0] + j] = 1;
        events += rec[1];
    }
    return events;
}

static int present_fn(void *ctx, const struct tm_usage_event *ev)
{
    (void)ev;
    *(int *)ctx = 1;
    return 0;
}

/* Every acknowledged event is in the database. Returns the number present. */
static int verify_acked(const char *db, int round, int *missing)
{
    struct tm_error err = {0};
    tm_ledger *l = tm_ledger_open(db, NULL, &err);
    int present = 0;

    *missing = 0;
    if (l == NULL) {
        fprintf(stderr, "ledger_crash: round %d: reopen after the kill: %s\n", round,
                err.message);
        *missing = -1;
        return 0;
    }
    for (int k = 0; k < N_EVENTS; k++) {
        char id[32];
        int found = 0;
        snprintf(id, sizeof(id), "crash-%d", k);
        tm_ledger_get(l, id, present_fn, &found, NULL);
        present += found;
        if (acked[k] && !found) {
            if (*missing == 0)
                fprintf(stderr, "ledger_crash: round %d: %s was reported durable but is "
                        "missing\n", round, id);
            (*missing)++;
        }
    }
    tm_ledger_close(l);
    return present;
}

static int take_total(void *ctx, const struct tm_ledger_row *row)
{
    *(struct tm_ledger_totals *)ctx = row->totals;
    return 0;
}

int main(int argc, char **argv)
{
    const char *db;
    int rounds = 10, failures = 0;
    uint64_t seed = 20260323;
    char path[1024];

    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: ledger_crash DB [ROUNDS [SEED]]\n");
        return 2;
    }
    db = argv[1];
    if (argc > 2)
        rounds = atoi(argv[2]);
    if (argc > 3)
        seed = strtoull(argv[3], NULL, 10);
    unlink(db);
    snprintf(path, sizeof(path), "%s-wal", db);
    unlink(path);
    snprintf(path, sizeof(path), "%s-shm", db);
    unlink(path);
    rng_state = seed;
    printf("ledger_crash: %d events, %d rounds, seed %" PRIu64 "\n", N_EVENTS, rounds, seed);

    for (int round = 0; round <= rounds; round++) {
        bool last = round == rounds;
        int fds[2], status = 0, missing = 0, present;
        uint64_t child_seed = rng();
        /* The kill moment: in one round in four a time within the first
         * 10 ms (opening, creating the schema, the first commits), else
         * after a random number of acknowledged events (each child sends
         * every event twice, once per thread), so it lands mid-ingest. */
        int limit = last ? N_EVENTS : (int)((int64_t)N_EVENTS * (round + 1) / (rounds + 1));
        bool by_time = rng() % 4 == 0;
        long delay_us = (long)(rng() % 10000), threshold = (long)(rng() % (2 * (uint64_t)limit));
        long got = 0, elapsed = 0;
        bool exited = false;
        pid_t pid;

        if (pipe(fds) != 0)
            return perror("pipe"), 1;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
            return perror("fork"), 1;
        if (pid == 0) {
            close(fds[0]);
            ack_fd = fds[1];
            child(db, limit, child_seed);
        }
        close(fds[1]);
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        if (!last) {
            struct timespec start, now;
            clock_gettime(CLOCK_MONOTONIC, &start);
            for (;;) {
                struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
                poll(&pfd, 1, 1);
                got += read_acks(fds[0]);
                clock_gettime(CLOCK_MONOTONIC, &now);
                elapsed = (now.tv_sec - start.tv_sec) * 1000000L +
                          (now.tv_nsec - start.tv_nsec) / 1000;
                if (by_time ? elapsed >= delay_us : got >= threshold)
                    break;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                    exited = true;
                    break;
                }
            }
            if (!exited)
                kill(pid, SIGKILL);
        }
        if (!exited)
            waitpid(pid, &status, 0);
        fcntl(fds[0], F_SETFL, 0);
        read_acks(fds[0]); /* what the child reported before it died */
        close(fds[0]);
        if (last && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "ledger_crash: the last child failed (status %d)\n", status);
            return 1;
        }
        if (!last && exited)
            fprintf(stderr, "ledger_crash: round %d: the child finished before the kill "
                    "(exit %d)\n", round, WEXITSTATUS(status));
        present = verify_acked(db, round, &missing);
        if (last)
            printf("round %2d: completed: %5d events present\n", round, present);
        else
            printf("round %2d: killed after %7ld us, %6ld acknowledged: %5d events present, "
                   "%d acknowledged missing\n", round, elapsed, got, present, missing);
        if (missing != 0)
            failures++;
    }

    /* Exactly once, rollups = events, totals exact. */
    {
        struct tm_error err = {0};
        struct tm_ledger_check_report rep;
        struct tm_ledger_totals got, want = {0};
        struct tm_ledger_query q = {.from = 0, .to = 253402300800LL};
        tm_ledger *l = tm_ledger_open(db, NULL, &err);

        if (l == NULL || tm_ledger_check(l, &rep, &err) != TM_OK) {
            fprintf(stderr, "ledger_crash: check: %s\n", err.message);
            return 1;
        }
        if (rep.events != N_EVENTS || rep.mismatches != 0) {
            fprintf(stderr, "ledger_crash: %lld events stored (want %d), %lld mismatches: %s\n",
                    (long long)rep.events, N_EVENTS, (long long)rep.mismatches,
                    rep.first_mismatch);
            failures++;
        }
        for (int k = 0; k < N_EVENTS; k++) {
            struct tm_usage_event ev;
            char id[32];
            make_event(k, &ev, id, sizeof(id));
            want.requests++;
            for (int c = 0; c < TM_CLASS_COUNT; c++)
                want.tokens[c] += ev.provider_tokens[c];
            want.cost += ev.cost;
            want.price += ev.price;
        }
        if (tm_ledger_query(l, &q, take_total, &got, &err) != TM_OK) {
            fprintf(stderr, "ledger_crash: query: %s\n", err.message);
            return 1;
        }
        if (got.requests != want.requests || got.cost != want.cost ||
            got.price != want.price ||
            got.tokens[TM_CLASS_INPUT] != want.tokens[TM_CLASS_INPUT] ||
            got.tokens[TM_CLASS_OUTPUT] != want.tokens[TM_CLASS_OUTPUT]) {
            char a[TM_MONEY_TEXT_MAX], b[TM_MONEY_TEXT_MAX];
            tm_money_format(got.cost, 0, a);
            tm_money_format(want.cost, 0, b);
            fprintf(stderr, "ledger_crash: totals: %lld requests, cost %s; want %lld, %s\n",
                    (long long)got.requests, a, (long long)want.requests, b);
            failures++;
        }
        tm_ledger_close(l);
    }
    if (failures != 0) {
        printf("ledger_crash: 0 passed, 1 failed\n");
        return 1;
    }
    printf("ledger_crash: every event present exactly once, every acknowledged event "
           "durable, rollups = events, totals exact; 1 passed, 0 failed\n");
    return 0;
}
