/*
 * Unit tests of the core module (include/tokenmeter/core.h): the error
 * record every constructor fills, the result-code descriptions, civil dates,
 * RFC 3339 text and time zones.
 *
 * The zone tests compare against the system's own reading of the same
 * zoneinfo files: GNU date (coreutils, through glibc's tzfile reader) run
 * with popen, so the expected values come from an independent
 * implementation. Tables of fixed values were read off `zdump -v` and
 * `TZ=zone date -d @N` on Debian 12 with tzdata 2025b.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tokenmeter/core.h"

/* tm_error_set fills code and a formatted message and returns the code, so
 * `return tm_error_set(err, ...)` propagates it. */
static void test_error_set_formats(void **state)
{
    struct tm_error err;

    (void)state;
    memset(&err, 0x55, sizeof(err));
    assert_int_equal(tm_error_set(&err, TM_ENOENT, "%s: cannot open: %s (%d)",
                                  "vocab/x.tmv", "No such file", 2),
                     TM_ENOENT);
    assert_int_equal(err.code, TM_ENOENT);
    assert_string_equal(err.message, "vocab/x.tmv: cannot open: No such file (2)");
    /* A second call replaces the first. */
    assert_int_equal(tm_error_set(&err, TM_EINVAL, "bad"), TM_EINVAL);
    assert_int_equal(err.code, TM_EINVAL);
    assert_string_equal(err.message, "bad");
    /* Success can be recorded too. */
    assert_int_equal(tm_error_set(&err, TM_OK, "%s", ""), TM_OK);
    assert_int_equal(err.code, TM_OK);
    assert_string_equal(err.message, "");
}

/* err may be NULL: the code is still returned. */
static void test_error_set_null(void **state)
{
    (void)state;
    assert_int_equal(tm_error_set(NULL, TM_EFORMAT, "%s", "ignored"), TM_EFORMAT);
    assert_int_equal(tm_error_set(NULL, TM_OK, "x"), TM_OK);
}

/* A message longer than the record is cut, NUL-terminated, and nothing
 * past the record is written. */
static void test_error_set_truncates(void **state)
{
    struct {
        struct tm_error err;
        char guard[16];
    } s;
    char big[3 * TM_ERROR_MESSAGE_MAX];

    (void)state;
    memset(&s, 0x55, sizeof(s));
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(tm_error_set(&s.err, TM_ELIMIT, "%s!", big), TM_ELIMIT);
    assert_int_equal(s.err.code, TM_ELIMIT);
    assert_int_equal(strlen(s.err.message), TM_ERROR_MESSAGE_MAX - 1);
    assert_int_equal(s.err.message[0], 'x');
    assert_int_equal(s.err.message[TM_ERROR_MESSAGE_MAX - 2], 'x');
    for (size_t i = 0; i < sizeof(s.guard); i++)
        assert_int_equal((unsigned char)s.guard[i], 0x55);
}

/* The result codes are part of the ABI: only ever appended. */
static void test_result_codes_stable(void **state)
{
    (void)state;
    assert_int_equal(TM_OK, 0);
    assert_int_equal(TM_ENOMEM, -1);
    assert_int_equal(TM_EINVAL, -2);
    assert_int_equal(TM_EIO, -3);
    assert_int_equal(TM_ENOENT, -4);
    assert_int_equal(TM_EFORMAT, -5);
    assert_int_equal(TM_ENOSPC, -6);
    assert_int_equal(TM_ELIMIT, -7);
    assert_int_equal(TM_ERANGE, -8);
    assert_int_equal(TM_EBUSY, -9);
}

/* Every code has its own description; anything else is "unknown". */
static void test_strerror(void **state)
{
    static const struct { int code; const char *text; } known[] = {
        {TM_OK, "success"},
        {TM_ENOMEM, "out of memory"},
        {TM_EINVAL, "invalid input"},
        {TM_EIO, "input/output error"},
        {TM_ENOENT, "not found"},
        {TM_EFORMAT, "bad file format"},
        {TM_ENOSPC, "buffer too small"},
        {TM_ELIMIT, "limit reached"},
        {TM_ERANGE, "out of range"},
        {TM_EBUSY, "busy, try again"},
    };
    size_t n = sizeof(known) / sizeof(known[0]);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(tm_strerror(known[i].code), known[i].text);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(tm_strerror(known[i].code), tm_strerror(known[j].code));
    }
    assert_string_equal(tm_strerror(-10), "unknown error");
    assert_string_equal(tm_strerror(1), "unknown error");
    assert_string_equal(tm_strerror(INT32_MIN), "unknown error");
}

/* ---------------------------------------------------------------- */
/* Civil dates and RFC 3339                                          */
/* ---------------------------------------------------------------- */

/* Day numbers match `date -u -d DATE +%s` / 86400, and every day from year
 * 1 to 9999 converts back to the date it came from, one day after the
 * previous one. */
static void test_date_days(void **state)
{
    static const struct { struct tm_date d; int64_t days; } known[] = {
        {{1970, 1, 1}, 0},
        {{2000, 3, 1}, 951868800 / 86400},
        {{1, 1, 1}, -62135596800LL / 86400},
        {{9999, 12, 31}, 253402214400LL / 86400},
        {{1969, 12, 31}, -1},
        {{2024, 2, 29}, 1709164800 / 86400},
    };
    struct tm_date prev, d;

    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        assert_int_equal(tm_date_to_days(&known[i].d), known[i].days);
        tm_date_from_days(known[i].days, &d);
        assert_int_equal(d.year, known[i].d.year);
        assert_int_equal(d.month, known[i].d.month);
        assert_int_equal(d.day, known[i].d.day);
    }
    tm_date_from_days(-719163, &prev); /* 0000-12-31 */
    for (int64_t n = -719162; n <= 2932896; n++) {
        tm_date_from_days(n, &d);
        assert_true(tm_date_valid(&d));
        assert_int_equal(tm_date_to_days(&d), n);
        if (d.day == 1)
            assert_true(prev.day == tm_days_in_month(prev.year, prev.month) &&
                        (d.month == prev.month % 12 + 1));
        else
            assert_true(d.day == prev.day + 1 && d.month == prev.month);
        prev = d;
    }
    assert_int_equal(tm_days_in_month(1900, 2), 28);
    assert_int_equal(tm_days_in_month(2000, 2), 29);
    assert_int_equal(tm_days_in_month(2026, 13), 0);
}

/* RFC 3339 parsing: offsets, fractions, a bare date, and errors that name
 * the input and the cause. */
static void test_time_parse(void **state)
{
    struct tm_error err;
    int64_t t;
    int32_t ns;
    struct tm_date d;
    char buf[TM_TIME_TEXT_MAX];

    (void)state;
    assert_int_equal(tm_time_parse("2026-03-29T01:00:00Z", 20, "x", &t, &ns, &err), TM_OK);
    assert_int_equal(t, 1774746000);
    assert_int_equal(ns, 0);
    assert_int_equal(tm_time_parse("2026-03-29T03:00:00.5+02:00", 27, "x", &t, &ns, &err), TM_OK);
    assert_int_equal(t, 1774746000);
    assert_int_equal(ns, 500000000);
    assert_int_equal(tm_time_parse("2026-03-28t21:00:00.123456789-04:00", 35, "x", &t, &ns, &err),
                     TM_OK);
    assert_int_equal(t, 1774746000);
    assert_int_equal(ns, 123456789);
    assert_int_equal(tm_time_parse("2026-03-29", 10, "x", &t, NULL, &err), TM_OK);
    assert_int_equal(t, 1774742400);
    assert_int_equal(tm_time_parse("1969-12-31T23:59:59Z", 20, "x", &t, NULL, &err), TM_OK);
    assert_int_equal(t, -1);

    assert_int_equal(tm_time_parse("2026-02-29T00:00:00Z", 20, "grants[1].expires", &t, NULL,
                                   &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "grants[1].expires"));
    assert_non_null(strstr(err.message, "2026-02-29"));
    assert_int_equal(tm_time_parse("2026-03-29T01:00:00", 19, "when", &t, NULL, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "no zone"));
    assert_int_equal(tm_time_parse("2026-03-29T24:00:00Z", 20, "when", &t, NULL, &err), TM_EINVAL);
    assert_int_equal(tm_time_parse("2026-12-31T23:59:60Z", 20, "when", &t, NULL, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "leap second"));
    assert_int_equal(tm_time_parse("2026-03-29T01:00Z", 17, "when", &t, NULL, &err), TM_EINVAL);
    assert_int_equal(tm_time_parse("2026-03-29T01:00:00+2:00", 24, "w", &t, NULL, &err), TM_EINVAL);
    assert_int_equal(tm_time_parse("2026-03-29T01:00:00.Z", 21, "w", &t, NULL, &err), TM_EINVAL);
    assert_int_equal(tm_time_parse("2026-03-29T01:00:00Zjunk", 24, "w", &t, NULL, &err), TM_EINVAL);
    assert_int_equal(tm_time_parse("0001-01-01T00:00:00+01:00", 25, "w", &t, NULL, &err), TM_ERANGE);
    assert_int_equal(tm_time_parse("", 0, "w", &t, NULL, &err), TM_EINVAL);

    assert_int_equal(tm_date_parse("2024-02-29", 10, "d", &d, &err), TM_OK);
    assert_int_equal(d.year * 10000 + d.month * 100 + d.day, 20240229);
    assert_int_equal(tm_date_parse("2024-02-29T00:00:00Z", 20, "period.start", &d, &err),
                     TM_EINVAL);
    assert_non_null(strstr(err.message, "period.start"));
    assert_int_equal(tm_date_parse("0000-01-01", 10, "d", &d, &err), TM_EINVAL);

    assert_int_equal(tm_time_format(1774746000, 0, 7200, buf), 25);
    assert_string_equal(buf, "2026-03-29T03:00:00+02:00");
    assert_int_equal(tm_time_format(1774746000, 5, 0, buf), 30);
    assert_string_equal(buf, "2026-03-29T01:00:00.000000005Z");
    tm_time_format(0, 0, -(5 * 3600 + 30 * 60), buf);
    assert_string_equal(buf, "1969-12-31T18:30:00-05:30");
    tm_time_format(0, 0, 3208, buf);
    assert_string_equal(buf, "1970-01-01T00:53:28+00:53:28");
    assert_int_equal(tm_time_format(TM_TIME_MAX + 1, 0, 0, buf), 0);
    d = (struct tm_date){2026, 3, 1};
    assert_int_equal(tm_date_format(&d, buf), 10);
    assert_string_equal(buf, "2026-03-01");
}

/* ---------------------------------------------------------------- */
/* Time zones against GNU date                                       */
/* ---------------------------------------------------------------- */

/* xorshift64*: a fixed-seed PRNG so every run checks the same instants. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* The zones compared: DST in both hemispheres, 30-minute DST (Lord_Howe),
 * DST at midnight (Santiago, Beirut), negative DST (Dublin), odd offsets
 * (Kolkata, Kathmandu, Chatham, St_Johns), a day skipped by a date-line
 * move (Apia 2011-12-30), no DST at all (Tokyo), 2-hour DST (Troll). */
static const char *const compare_zones[] = {
    "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
    "Asia/Beirut", "Europe/Dublin", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham",
    "America/St_Johns", "Pacific/Apia", "Asia/Tokyo", "Antarctica/Troll", "Africa/Casablanca",
    "Europe/London", "America/Sao_Paulo", "UTC",
};

/* The instants to check in one zone: a coarse sweep over 1890..2100, fixed-seed
 * random instants, and both sides of every transition the sweep finds
 * (located exactly by bisection with tm_tz_to_local). */
static size_t zone_instants(const tm_tz *tz, int64_t *out, size_t cap)
{
    const int64_t lo = -2524521600LL /* 1890-01-01 */, hi = 4102444800LL /* 2100-01-01 */;
    const int64_t step = 29 * 3600 + 17 * 60 + 3;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    struct tm_local a, b;
    size_t n = 0;

    for (int64_t t = lo; t + step < hi && n + 3 < cap; t += step) {
        out[n++] = t;
        assert_int_equal(tm_tz_to_local(tz, t, &a), TM_OK);
        assert_int_equal(tm_tz_to_local(tz, t + step, &b), TM_OK);
        if (a.utc_offset != b.utc_offset || a.is_dst != b.is_dst) {
            int64_t l = t, h = t + step; /* offset(l) = a, offset(h) != a */
            while (h - l > 1) {
                int64_t m = l + (h - l) / 2;
                struct tm_local c;
                assert_int_equal(tm_tz_to_local(tz, m, &c), TM_OK);
                if (c.utc_offset == a.utc_offset && c.is_dst == a.is_dst)
                    l = m;
                else
                    h = m;
            }
            out[n++] = l;
            out[n++] = h;
        }
    }
    for (int i = 0; i < 2000 && n < cap; i++)
        out[n++] = lo + (int64_t)(rng_next(&seed) % (uint64_t)(hi - lo));
    return n;
}

/* Every instant's local reading, offset and abbreviation equal GNU date's
 * for the same zone. */
static void test_tz_matches_date(void **state)
{
    enum { CAP = 80000 };
    int64_t *ts = malloc(CAP * sizeof(*ts));
    char path[] = "/tmp/tm_core_tz_XXXXXX";
    int fd;

    (void)state;
    assert_non_null(ts);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t z = 0; z < sizeof(compare_zones) / sizeof(compare_zones[0]); z++) {
        struct tm_error err = {0};
        tm_tz *tz = tm_tz_open(compare_zones[z], &err);
        size_t n, checked = 0, transitions = 0;
        FILE *f, *p;
        char cmd[512], line[256];

        if (tz == NULL)
            fail_msg("%s", err.message);
        n = zone_instants(tz, ts, CAP);
        f = fopen(path, "w");
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "@%lld\n", (long long)ts[i]);
        fclose(f);
        snprintf(cmd, sizeof(cmd), "env -u TZDIR TZ=:%s date -f %s "
                 "'+%%Y-%%m-%%dT%%H:%%M:%%S %%::z %%Z'", compare_zones[z], path);
        p = popen(cmd, "r");
        assert_non_null(p);
        for (size_t i = 0; i < n; i++) {
            struct tm_local l;
            char want[256], off[16];
            int32_t a;

            assert_non_null(fgets(line, sizeof(line), p));
            line[strcspn(line, "\n")] = '\0';
            assert_int_equal(tm_tz_to_local(tz, ts[i], &l), TM_OK);
            a = l.utc_offset < 0 ? -l.utc_offset : l.utc_offset;
            /* glibc's strftime writes a zero offset as "-" when the
             * abbreviation is "-00" (offset unknown, Antarctica/Troll
             * before 2005), as RFC 3339 section 4.3 reads "-00:00". */
            snprintf(off, sizeof(off), "%c%02d:%02d:%02d",
                     l.utc_offset < 0 || (l.utc_offset == 0 && l.abbr[0] == '-') ? '-' : '+',
                     (int)(a / 3600), (int)(a / 60 % 60), (int)(a % 60));
            snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d %s %s",
                     (int)l.civil.year, l.civil.month, l.civil.day, l.civil.hour,
                     l.civil.minute, l.civil.second, off, l.abbr);
            if (strcmp(want, line) != 0)
                fail_msg("%s @%lld: tokenmeter says \"%s\", date says \"%s\"", compare_zones[z],
                         (long long)ts[i], want, line);
            checked++;
            if (i > 0 && ts[i] == ts[i - 1] + 1)
                transitions++;
        }
        assert_null(fgets(line, sizeof(line), p));
        assert_int_equal(pclose(p), 0);
        /* The sweep must have found the zone's transitions (the point of
         * comparing near them), except in zones that never change. */
        if (strcmp(compare_zones[z], "UTC") != 0)
            assert_true(transitions >= 2);
        assert_true(checked > 2000);
        tm_tz_close(tz);
    }
    unlink(path);
    free(ts);
}

/* A fixed table of real transitions (zdump -v, tzdata 2025b), including
 * instants after the last transition of a "slim" file, decided by the
 * footer rule. */
static void test_tz_known_transitions(void **state)
{
    static const struct {
        const char *zone;
        int64_t utc;
        const char *local; /* tm_tz_format */
        const char *abbr;
        bool dst;
    } known[] = {
        {"Europe/Berlin", 1774745999, "2026-03-29T01:59:59+01:00", "CET", false},
        {"Europe/Berlin", 1774746000, "2026-03-29T03:00:00+02:00", "CEST", true},
        {"Europe/Berlin", 1792889999, "2026-10-25T02:59:59+02:00", "CEST", true},
        {"Europe/Berlin", 1792890000, "2026-10-25T02:00:00+01:00", "CET", false},
        {"America/New_York", 1772953200, "2026-03-08T03:00:00-04:00", "EDT", true},
        {"America/New_York", 1793512800, "2026-11-01T01:00:00-05:00", "EST", false},
        {"Australia/Lord_Howe", 1775314799, "2026-04-05T01:59:59+11:00", "+11", true},
        {"Australia/Lord_Howe", 1775314800, "2026-04-05T01:30:00+10:30", "+1030", false},
        {"Australia/Lord_Howe", 1791041400, "2026-10-04T02:30:00+11:00", "+11", true},
        {"America/Santiago", 1788667199, "2026-09-05T23:59:59-04:00", "-04", false},
        {"America/Santiago", 1788667200, "2026-09-06T01:00:00-03:00", "-03", true},
        {"Asia/Beirut", 1774735199, "2026-03-28T23:59:59+02:00", "EET", false},
        {"Asia/Beirut", 1774735200, "2026-03-29T01:00:00+03:00", "EEST", true},
        /* 2300 is far past the last transition of any file. */
        {"Europe/Berlin", 10420966799LL, "2300-03-25T01:59:59+01:00", "CET", false},
        {"Europe/Berlin", 10420966800LL, "2300-03-25T03:00:00+02:00", "CEST", true},
    };
    char buf[TM_TIME_TEXT_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        struct tm_error err = {0};
        tm_tz *tz = tm_tz_open(known[i].zone, &err);
        struct tm_local l;

        if (tz == NULL)
            fail_msg("%s", err.message);
        tm_tz_format(tz, known[i].utc, buf);
        if (strcmp(buf, known[i].local) != 0)
            fail_msg("%s @%lld: got %s, want %s", known[i].zone, (long long)known[i].utc, buf,
                     known[i].local);
        assert_int_equal(tm_tz_to_local(tz, known[i].utc, &l), TM_OK);
        assert_string_equal(l.abbr, known[i].abbr);
        assert_int_equal(l.is_dst, known[i].dst);
        tm_tz_close(tz);
    }
}

/* Local -> UTC: unique times round-trip; a gap shifts forward by its length
 * (or is refused); an overlap gives the earlier or later instant (or is
 * refused), each error naming the time and zone. Then, for fixed-seed random
 * instants in several zones, EARLIER <= t <= LATER and both read the same. */
static void test_tz_from_local(void **state)
{
    struct tm_error err = {0};
    tm_tz *berlin = tm_tz_open("Europe/Berlin", &err);
    struct tm_civil c;
    int64_t t;
    uint64_t seed = 42;

    (void)state;
    assert_non_null(berlin);
    c = (struct tm_civil){2026, 7, 1, 12, 0, 0};
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_REJECT, &t, &err), TM_OK);
    assert_int_equal(t, 1782900000); /* TZ=Europe/Berlin date -d '2026-07-01 12:00' +%s */
    /* Gap: 02:30 does not exist on 2026-03-29; shifted to 03:30 CEST. */
    c = (struct tm_civil){2026, 3, 29, 2, 30, 0};
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_EARLIER, &t, &err), TM_OK);
    assert_int_equal(t, 1774747800);
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_LATER, &t, &err), TM_OK);
    assert_int_equal(t, 1774747800);
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_REJECT, &t, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "Europe/Berlin"));
    assert_non_null(strstr(err.message, "2026-03-29T02:30:00"));
    assert_non_null(strstr(err.message, "does not exist"));
    /* Overlap: 02:30 happens twice on 2026-10-25. */
    c = (struct tm_civil){2026, 10, 25, 2, 30, 0};
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_EARLIER, &t, &err), TM_OK);
    assert_int_equal(t, 1792888200);
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_LATER, &t, &err), TM_OK);
    assert_int_equal(t, 1792891800);
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_REJECT, &t, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "happens twice"));
    c = (struct tm_civil){2026, 2, 30, 0, 0, 0};
    assert_int_equal(tm_tz_from_local(berlin, &c, TM_TZ_EARLIER, &t, &err), TM_EINVAL);
    assert_non_null(strstr(err.message, "not a valid local time"));
    tm_tz_close(berlin);

    for (size_t z = 0; z < sizeof(compare_zones) / sizeof(compare_zones[0]); z++) {
        tm_tz *tz = tm_tz_open(compare_zones[z], &err);
        assert_non_null(tz);
        for (int i = 0; i < 20000; i++) {
            int64_t u = -2208988800LL + (int64_t)(rng_next(&seed) % 6311433600ULL);
            struct tm_local l, le, ll;
            int64_t e, lt;

            assert_int_equal(tm_tz_to_local(tz, u, &l), TM_OK);
            assert_int_equal(tm_tz_from_local(tz, &l.civil, TM_TZ_EARLIER, &e, &err), TM_OK);
            assert_int_equal(tm_tz_from_local(tz, &l.civil, TM_TZ_LATER, &lt, &err), TM_OK);
            assert_true(e <= u && u <= lt);
            assert_true(lt - e <= 3 * 3600);
            assert_int_equal(tm_tz_to_local(tz, e, &le), TM_OK);
            assert_int_equal(tm_tz_to_local(tz, lt, &ll), TM_OK);
            assert_memory_equal(&le.civil, &l.civil, sizeof(l.civil));
            assert_memory_equal(&ll.civil, &l.civil, sizeof(l.civil));
        }
        tm_tz_close(tz);
    }
}

/* Days are [start(d), start(d+1)); their lengths across DST, including
 * midnight jumps. Expected instants from zdump -v (tzdata 2025b). Then a
 * property over 1950..2060 in every compared zone: a day's first instant
 * reads as that date, the instant before reads as an earlier date. */
static void test_tz_day_start(void **state)
{
    static const struct {
        const char *zone;
        struct tm_date date;
        int64_t start;   /* first instant */
        int64_t seconds; /* length of the day */
    } days[] = {
        {"Europe/Berlin", {2026, 3, 29}, 1774738800, 23 * 3600},
        {"Europe/Berlin", {2026, 10, 25}, 1792879200, 25 * 3600},
        {"Europe/Berlin", {2026, 3, 30}, 1774821600, 24 * 3600},
        {"America/New_York", {2026, 3, 8}, 1772946000, 23 * 3600},
        {"America/New_York", {2026, 11, 1}, 1793505600, 25 * 3600},
        {"Australia/Lord_Howe", {2026, 4, 5}, 1775307600, 24 * 3600 + 1800},
        {"Australia/Lord_Howe", {2026, 10, 4}, 1791034200, 23 * 3600 + 1800},
        /* Santiago: 2026-09-06 00:00 does not exist; the day starts at 01:00
         * -03 (04:00Z). 2026-04-04 repeats 23:00-24:00 and lasts 25 h. */
        {"America/Santiago", {2026, 9, 6}, 1788667200, 23 * 3600},
        {"America/Santiago", {2026, 9, 5}, 1788580800, 24 * 3600},
        {"America/Santiago", {2026, 4, 4}, 1775271600, 25 * 3600},
        {"America/Santiago", {2026, 4, 5}, 1775361600, 24 * 3600},
        /* Beirut: midnight skipped on 2026-03-29, repeated hour 2026-10-24. */
        {"Asia/Beirut", {2026, 3, 29}, 1774735200, 23 * 3600},
        {"Asia/Beirut", {2026, 10, 24}, 1792789200, 25 * 3600},
        /* Apia skipped 2011-12-30 entirely: the 29th runs into the 31st. */
        {"Pacific/Apia", {2011, 12, 31}, 1325239200, 24 * 3600},
    };
    struct tm_error err = {0};
    struct tm_local l;

    (void)state;
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        tm_tz *tz = tm_tz_open(days[i].zone, &err);
        struct tm_date next;
        int64_t s, e;

        assert_non_null(tz);
        assert_int_equal(tm_tz_day_start(tz, &days[i].date, &s, &err), TM_OK);
        tm_date_from_days(tm_date_to_days(&days[i].date) + 1, &next);
        assert_int_equal(tm_tz_day_start(tz, &next, &e, &err), TM_OK);
        if (s != days[i].start || e - s != days[i].seconds)
            fail_msg("%s %04d-%02d-%02d: start %lld length %lld, want %lld length %lld",
                     days[i].zone, (int)days[i].date.year, days[i].date.month, days[i].date.day,
                     (long long)s, (long long)(e - s), (long long)days[i].start,
                     (long long)days[i].seconds);
        tm_tz_close(tz);
    }
    {
        /* 2011-12-30 never happened in Apia: its start is the 31st's. */
        tm_tz *apia = tm_tz_open("Pacific/Apia", &err);
        struct tm_date d30 = {2011, 12, 30}, d31 = {2011, 12, 31};
        int64_t s30, s31;
        assert_int_equal(tm_tz_day_start(apia, &d30, &s30, &err), TM_OK);
        assert_int_equal(tm_tz_day_start(apia, &d31, &s31, &err), TM_OK);
        assert_int_equal(s30, s31);
        tm_tz_close(apia);
    }
    for (size_t z = 0; z < sizeof(compare_zones) / sizeof(compare_zones[0]); z++) {
        tm_tz *tz = tm_tz_open(compare_zones[z], &err);
        struct tm_date first = {1950, 1, 1}, last = {2060, 1, 1};
        int64_t prev_start = INT64_MIN;

        assert_non_null(tz);
        for (int64_t n = tm_date_to_days(&first); n < tm_date_to_days(&last); n++) {
            struct tm_date d;
            int64_t s;
            tm_date_from_days(n, &d);
            assert_int_equal(tm_tz_day_start(tz, &d, &s, &err), TM_OK);
            assert_true(s >= prev_start);
            assert_int_equal(tm_tz_to_local(tz, s, &l), TM_OK);
            assert_true(tm_date_to_days(&(struct tm_date){l.civil.year, l.civil.month,
                                                         l.civil.day}) >= n);
            assert_int_equal(tm_tz_to_local(tz, s - 1, &l), TM_OK);
            assert_true(tm_date_to_days(&(struct tm_date){l.civil.year, l.civil.month,
                                                         l.civil.day}) < n);
            prev_start = s;
        }
        tm_tz_close(tz);
    }
}

/* UTC and fixed offsets need no database; bad names are refused with the
 * name in the message. */
static void test_tz_names(void **state)
{
    struct tm_error err = {0};
    tm_tz *tz;
    struct tm_local l;
    char buf[TM_TIME_TEXT_MAX];

    (void)state;
    tz = tm_tz_open("+05:30", &err);
    assert_non_null(tz);
    assert_int_equal(tm_tz_to_local(tz, 0, &l), TM_OK);
    assert_int_equal(l.utc_offset, 19800);
    assert_string_equal(l.abbr, "+0530");
    tm_tz_format(tz, 0, buf);
    assert_string_equal(buf, "1970-01-01T05:30:00+05:30");
    tm_tz_close(tz);
    tz = tm_tz_open("-08", &err);
    assert_non_null(tz);
    assert_int_equal(tm_tz_to_local(tz, 0, &l), TM_OK);
    assert_int_equal(l.utc_offset, -28800);
    assert_string_equal(tm_tz_name(tz), "-08");
    tm_tz_close(tz);
    setenv("TZDIR", "/nonexistent-tzdir", 1);
    tz = tm_tz_open("UTC", &err);
    unsetenv("TZDIR");
    assert_non_null(tz);
    assert_int_equal(tm_tz_to_local(tz, 1774746000, &l), TM_OK);
    assert_int_equal(l.civil.hour, 1);
    tm_tz_format(tz, 1774746000, buf);
    assert_string_equal(buf, "2026-03-29T01:00:00Z");
    assert_int_equal(tm_tz_to_local(tz, TM_TIME_MAX + 1, &l), TM_ERANGE);
    tm_tz_close(tz);

    static const struct { const char *name; int code; const char *cause; } bad[] = {
        {"Europe/Nowhere", TM_ENOENT, "not an IANA zone name"},
        {"../etc/passwd", TM_EINVAL, "not a zone name"},
        {"/etc/localtime", TM_EINVAL, "not a zone name"},
        {"Europe/../../x", TM_EINVAL, "not a zone name"},
        {"+24:00", TM_EINVAL, "not a zone name"},
        {"", TM_EINVAL, "no name"},
        {"Europe", TM_EIO, "Europe"}, /* a directory */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = 0;
        tz = tm_tz_open(bad[i].name, &err);
        if (tz != NULL)
            fail_msg("%s opened", bad[i].name);
        if (err.code != bad[i].code || strstr(err.message, bad[i].cause) == NULL)
            fail_msg("%s: %d %s", bad[i].name, err.code, err.message);
    }
}

/* A little TZif writer for the format tests: one transition at t=1000 from
 * type 0 (+1h "AAA") to type 1 (+2h "BBB", DST), and a footer. */
struct tzif_spec {
    char version;          /* 0, '2', '3' */
    const char *footer;    /* without the newlines */
    uint32_t leapcnt;      /* leap records to declare (each written as zeros) */
    int64_t t2;            /* second transition time (0 = none) */
    uint8_t idx0;          /* type index of the first transition */
    uint32_t timecnt_lie;  /* nonzero: declared timecnt in the v2 header */
};

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    fwrite(b, 1, 4, f);
}

static void put64(FILE *f, int64_t v)
{
    put32(f, (uint32_t)((uint64_t)v >> 32));
    put32(f, (uint32_t)v);
}

/* Write one header + data block; tsize 4 or 8. */
static void tzif_block_write(FILE *f, const struct tzif_spec *s, int tsize, uint32_t timecnt)
{
    static const char chars[] = "AAA\0BBB";
    uint32_t real = s->t2 ? 2 : 1;

    fwrite("TZif", 1, 4, f);
    fputc(s->version, f);
    for (int i = 0; i < 15; i++)
        fputc(0, f);
    put32(f, 0);          /* isutcnt */
    put32(f, 0);          /* isstdcnt */
    put32(f, s->leapcnt);
    put32(f, timecnt);
    put32(f, 2);          /* typecnt */
    put32(f, 8);          /* charcnt */
    for (uint32_t i = 0; i < real; i++) {
        int64_t t = i == 0 ? 1000 : s->t2;
        if (tsize == 4)
            put32(f, (uint32_t)t);
        else
            put64(f, t);
    }
    fputc(s->idx0, f);
    if (real == 2)
        fputc(0, f);
    put32(f, 3600); fputc(0, f); fputc(0, f);
    put32(f, 7200); fputc(1, f); fputc(4, f);
    fwrite(chars, 1, 8, f);
    for (uint32_t i = 0; i < s->leapcnt * (uint32_t)(tsize + 4); i++)
        fputc(0, f);
}

static void tzif_write(const char *path, const struct tzif_spec *s)
{
    FILE *f = fopen(path, "wb");
    uint32_t real = s->t2 ? 2 : 1;

    assert_non_null(f);
    tzif_block_write(f, s, 4, real);
    if (s->version != 0) {
        tzif_block_write(f, s, 8, s->timecnt_lie ? s->timecnt_lie : real);
        if (s->footer != NULL)
            fprintf(f, "\n%s\n", s->footer);
    }
    fclose(f);
}

/* Files under $TZDIR: valid v1 and v2 files work (the footer rule decides
 * after the last transition); each kind of damage is refused with the zone
 * name and the cause, never a crash. */
static void test_tz_file_format(void **state)
{
    char dir[] = "/tmp/tm_tzdir_XXXXXX";
    char path[512];
    struct tm_error err = {0};
    struct tm_local l;
    tm_tz *tz;

    (void)state;
    assert_non_null(mkdtemp(dir));
    setenv("TZDIR", dir, 1);

    snprintf(path, sizeof(path), "%s/Test", dir);
    tzif_write(path, &(struct tzif_spec){0, NULL, 0, 0, 1, 0});
    tz = tm_tz_open("Test", &err);
    if (tz == NULL)
        fail_msg("%s", err.message);
    assert_int_equal(tm_tz_to_local(tz, 999, &l), TM_OK);
    assert_int_equal(l.utc_offset, 3600);
    assert_string_equal(l.abbr, "AAA");
    assert_int_equal(tm_tz_to_local(tz, 1000, &l), TM_OK);
    assert_int_equal(l.utc_offset, 7200);
    assert_string_equal(l.abbr, "BBB");
    assert_true(l.is_dst);
    tm_tz_close(tz);

    /* v2 with a footer: after t=1000 the rule (UTC-3 all year) applies. */
    tzif_write(path, &(struct tzif_spec){'2', "<-03>3", 0, 0, 1, 0});
    tz = tm_tz_open("Test", &err);
    if (tz == NULL)
        fail_msg("%s", err.message);
    assert_int_equal(tm_tz_to_local(tz, 999, &l), TM_OK);
    assert_int_equal(l.utc_offset, 3600);
    assert_int_equal(tm_tz_to_local(tz, 5000, &l), TM_OK);
    assert_int_equal(l.utc_offset, -10800);
    assert_string_equal(l.abbr, "-03");
    tm_tz_close(tz);

    /* A footer with rules in J and zero-based forms, times beyond 24 h. */
    tzif_write(path, &(struct tzif_spec){'3', "AAA-1BBB,J60/-1,300/26", 0, 0, 1, 0});
    tz = tm_tz_open("Test", &err);
    if (tz == NULL)
        fail_msg("%s", err.message);
    /* 2026: J60 = March 1 (Feb 29 never counted), -1 h local std -> Feb 28
     * 22:00 UTC; zero-based day 300 = Oct 28, 26:00 DST local -> Oct 29
     * 00:00 UTC. */
    assert_int_equal(tm_tz_to_local(tz, 1772315999, &l), TM_OK); /* 2026-02-28T21:59:59Z */
    assert_false(l.is_dst);
    assert_int_equal(tm_tz_to_local(tz, 1772316000, &l), TM_OK);
    assert_true(l.is_dst);
    assert_int_equal(tm_tz_to_local(tz, 1793231999, &l), TM_OK); /* 2026-10-29T01:59:59 local */
    assert_true(l.is_dst);
    assert_int_equal(tm_tz_to_local(tz, 1793232000, &l), TM_OK);
    assert_false(l.is_dst);
    tm_tz_close(tz);

    static const struct {
        struct tzif_spec spec;
        const char *raw;      /* raw file content instead of a spec */
        int code;
        const char *cause;
    } bad[] = {
        {{'2', "<-03>3", 1, 0, 1, 0}, NULL, TM_EFORMAT, "leap seconds"},
        {{'2', "not a rule", 0, 0, 1, 0}, NULL, TM_EFORMAT, "footer TZ string"},
        {{'2', "AAA-1BBB,M13.1.0,M10.5.0", 0, 0, 1, 0}, NULL, TM_EFORMAT, "footer TZ string"},
        {{'2', NULL, 0, 0, 1, 0}, NULL, TM_EFORMAT, "footer is missing"},
        {{'2', "<-03>3", 0, 500, 1, 0}, NULL, TM_EFORMAT, "not after"},
        {{'2', "<-03>3", 0, 0, 7, 0}, NULL, TM_EFORMAT, "time type 7"},
        {{'2', "<-03>3", 0, 0, 1, 9}, NULL, TM_EFORMAT, "truncated"},
        {{'2', "<-03>3", 0, 0, 1, 4000000}, NULL, TM_ELIMIT, "caps"},
        {{0, NULL, 0, 0, 0, 0}, "TZjf2", TM_EFORMAT, "not a TZif file"},
        {{0, NULL, 0, 0, 0, 0}, "", TM_EFORMAT, "not a TZif file"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (bad[i].raw != NULL) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            fputs(bad[i].raw, f);
            fclose(f);
        } else {
            tzif_write(path, &bad[i].spec);
        }
        err.code = 0;
        tz = tm_tz_open("Test", &err);
        if (tz != NULL)
            fail_msg("case %zu opened", i);
        if (err.code != bad[i].code || strstr(err.message, bad[i].cause) == NULL ||
            strstr(err.message, "Test") == NULL)
            fail_msg("case %zu: %d %s", i, err.code, err.message);
    }
    /* Every truncation of a valid file is refused cleanly. */
    {
        FILE *f;
        unsigned char img[1024];
        size_t n;

        tzif_write(path, &(struct tzif_spec){'2', "AAA-1BBB,M3.5.0,M10.5.0/3", 0, 0, 1, 0});
        f = fopen(path, "rb");
        n = fread(img, 1, sizeof(img), f);
        fclose(f);
        for (size_t cut = 0; cut < n; cut++) {
            f = fopen(path, "wb");
            fwrite(img, 1, cut, f);
            fclose(f);
            tz = tm_tz_open("Test", &err);
            if (tz != NULL)
                fail_msg("cut at %zu of %zu opened", cut, n);
        }
    }
    unlink(path);
    rmdir(dir);
    unsetenv("TZDIR");
}


/* Real zone files with random bytes changed (fixed seed): each is either
 * refused with a message or opens and answers every query; never a crash
 * or an out-of-bounds read (the ASan build runs this too). */
static void test_tz_file_mutations(void **state)
{
    static const char *const zones[] = {"Europe/Berlin", "America/Santiago",
                                        "Australia/Lord_Howe"};
    char dir[] = "/tmp/tm_tzmut_XXXXXX";
    char path[512];
    uint64_t seed = 99;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/Mut", dir);
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        unsigned char img[8192], mut[8192];
        char src[256];
        size_t n;
        FILE *f;

        snprintf(src, sizeof(src), "/usr/share/zoneinfo/%s", zones[z]);
        f = fopen(src, "rb");
        assert_non_null(f);
        n = fread(img, 1, sizeof(img), f);
        fclose(f);
        assert_true(n > 44 && n < sizeof(img));
        for (int iter = 0; iter < 1500; iter++) {
            struct tm_error err = {0};
            tm_tz *tz;
            int flips = 1 + (int)(rng_next(&seed) % 4);

            memcpy(mut, img, n);
            for (int k = 0; k < flips; k++)
                mut[rng_next(&seed) % n] = (unsigned char)rng_next(&seed);
            f = fopen(path, "wb");
            assert_non_null(f);
            fwrite(mut, 1, n, f);
            fclose(f);
            setenv("TZDIR", dir, 1);
            tz = tm_tz_open("Mut", &err);
            unsetenv("TZDIR");
            if (tz == NULL) {
                assert_true(err.code < 0);
                assert_non_null(strstr(err.message, "Mut"));
                continue;
            }
            for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400 * 97 + 3599) {
                struct tm_local l;
                int64_t back;
                assert_int_equal(tm_tz_to_local(tz, t, &l), TM_OK);
                if (tm_tz_from_local(tz, &l.civil, TM_TZ_EARLIER, &back, &err) == TM_OK) {
                    assert_int_equal(tm_tz_to_local(tz, back, &l), TM_OK);
                }
            }
            tm_tz_close(tz);
        }
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_formats),
        cmocka_unit_test(test_error_set_null),
        cmocka_unit_test(test_error_set_truncates),
        cmocka_unit_test(test_result_codes_stable),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_date_days),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_tz_known_transitions),
        cmocka_unit_test(test_tz_names),
        cmocka_unit_test(test_tz_from_local),
        cmocka_unit_test(test_tz_day_start),
        cmocka_unit_test(test_tz_matches_date),
        cmocka_unit_test(test_tz_file_mutations),
        cmocka_unit_test(test_tz_file_format), /* last: it sets TZDIR */
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
