/*
 * tokenmeter core: result codes and the error record every module fills.
 *
 * Conventions shared by the whole library:
 *  - Functions that act return int: 0 (TM_OK) or a negative TM_E* code.
 *  - Constructors return NULL on failure and fill an optional struct tm_error
 *    whose message names the input and the cause.
 *  - Arguments are borrowed for the duration of a call; anything kept is copied.
 *  - Every _new/_open has a _free/_close that accepts NULL.
 *
 * Result codes are only ever appended, never renumbered.
 */
#ifndef TOKENMETER_CORE_H
#define TOKENMETER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_VERSION_STRING "0.1.0"

enum tm_result {
    TM_OK = 0,
    TM_ENOMEM = -1,   /* an allocation failed */
    TM_EINVAL = -2,   /* an argument or input is malformed */
    TM_EIO = -3,      /* reading or writing a file failed */
    TM_ENOENT = -4,   /* a named thing (file, encoding, model, id) does not exist */
    TM_EFORMAT = -5,  /* a file is not in the expected format or is corrupt */
    TM_ENOSPC = -6,   /* a caller-supplied buffer is too small */
    TM_ELIMIT = -7,   /* a hard cap on outside input was reached */
    TM_ERANGE = -8,   /* a number is out of range / would overflow */
    TM_EBUSY = -9,    /* a bounded queue is full or a resource is busy; try again */
};

/* Longest message kept in a struct tm_error, including the NUL. */
#define TM_ERROR_MESSAGE_MAX 512

/* The error record: a code and a message naming the input and the cause. */
struct tm_error {
    int code;
    char message[TM_ERROR_MESSAGE_MAX];
};

/* Fill err (when not NULL) with code and a printf-style message; returns code
 * so callers can write `return tm_error_set(err, TM_EINVAL, ...)`. */
int tm_error_set(struct tm_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A short, static description of a result code ("out of memory", ...). */
const char *tm_strerror(int code);


/* ====================================================================
 * Civil time and time zones (src/core/civil.c, src/core/tz.c)
 *
 * Instants are int64_t seconds since 1970-01-01T00:00:00Z (POSIX time: no
 * leap seconds), between TM_TIME_MIN and TM_TIME_MAX (years 0001..9999).
 * Dates are proleptic Gregorian. Zones are read from the system's compiled
 * IANA database (TZif files, RFC 8536) by this library itself: nothing here
 * touches the TZ environment variable or localtime(), so every function is
 * thread-safe, and a zone handle may be shared by threads once opened.
 * ==================================================================== */

#define TM_TIME_MIN (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define TM_TIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

/* A calendar date. */
struct tm_date {
    int32_t year; /* 1..9999 for parsed and printed dates */
    int month;    /* 1..12 */
    int day;      /* 1..31 */
};

/* A wall-clock date and time, without a zone. */
struct tm_civil {
    int32_t year;
    int month, day;          /* 1..12, 1..31 */
    int hour, minute, second; /* 0..23, 0..59, 0..59 */
};

/* Longest text of tm_date_format and tm_time_format, including the NUL
 * ("2026-03-29", "2026-03-29T03:00:00.123456789+02:00", an old local-mean-
 * time offset with seconds "+00:53:28"). */
#define TM_DATE_TEXT_MAX 16
#define TM_TIME_TEXT_MAX 48

/* Days in a month of a year (28..31), 0 for a month outside 1..12. */
int tm_days_in_month(int32_t year, int month);

/* Whether d is a real calendar date with a year in 1..9999. */
bool tm_date_valid(const struct tm_date *d);

/* Days from 1970-01-01 to d (negative before it), and back. Exact for any
 * year that fits an int32_t; no validation beyond that. */
int64_t tm_date_to_days(const struct tm_date *d);
void tm_date_from_days(int64_t days, struct tm_date *out);

/* The civil date and time of an instant at a fixed offset (seconds east of
 * UTC); TM_ERANGE outside TM_TIME_MIN..TM_TIME_MAX. */
int tm_time_to_civil(int64_t utc, int32_t offset, struct tm_civil *out);

/* Parse "YYYY-MM-DD" (exactly; the whole of s[0..len)). Errors name `what`
 * ("grants[2].effective") and the cause. */
int tm_date_parse(const char *s, size_t len, const char *what, struct tm_date *out,
                  struct tm_error *err);

/* Parse an RFC 3339 timestamp "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+hh:mm|-hh:mm)"
 * ('t', 'z' and a space for 'T' accepted, RFC 3339 section 5.6), or a bare
 * "YYYY-MM-DD", which means 00:00:00Z. *utc gets the instant; *nsec (may be
 * NULL) the fraction in nanoseconds. A leap second (":60") is refused: POSIX
 * time cannot hold it. Errors name `what` and the cause. */
int tm_time_parse(const char *s, size_t len, const char *what, int64_t *utc,
                  int32_t *nsec, struct tm_error *err);

/* Write "YYYY-MM-DD". buf holds TM_DATE_TEXT_MAX bytes; returns the length
 * (0 and "" for a date tm_date_valid refuses). */
size_t tm_date_format(const struct tm_date *d, char *buf);

/* Write an instant in RFC 3339 at a fixed offset: "Z" for offset 0, else
 * "+hh:mm" ("+hh:mm:ss" for an offset with seconds, which only old local mean
 * times have). nsec 0 prints no fraction, else 9 digits. buf holds
 * TM_TIME_TEXT_MAX bytes; returns the length (0 and "" out of range). */
size_t tm_time_format(int64_t utc, int32_t nsec, int32_t offset, char *buf);

/* ---- time zones ---- */

typedef struct tm_tz tm_tz;

#define TM_TZ_NAME_MAX 128 /* longest zone name, including the NUL */
#define TM_TZ_ABBR_MAX 16  /* longest abbreviation ("CEST", "+0530"), with NUL */

/* What a zone says about one instant. */
struct tm_local {
    struct tm_civil civil;    /* the wall-clock reading */
    int32_t utc_offset;       /* seconds east of UTC (+7200 for CEST) */
    bool is_dst;
    char abbr[TM_TZ_ABBR_MAX]; /* "CEST", "-03", "UTC" */
};

/* How tm_tz_from_local resolves a wall-clock time a clock change made
 * ambiguous (an overlap: the time happens twice) or skipped (a gap).
 * In a gap, EARLIER and LATER both shift the time forward by the length of
 * the gap (02:30 in a 02:00->03:00 spring-forward gap is 03:30), which is
 * java.time's ZonedDateTime.ofLocal rule
 * (https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/time/ZonedDateTime.html#ofLocal). */
enum tm_tz_fold {
    TM_TZ_EARLIER = 0, /* overlap: the first occurrence (the old offset) */
    TM_TZ_LATER = 1,   /* overlap: the second occurrence (the new offset) */
    TM_TZ_REJECT = 2,  /* overlap or gap: TM_EINVAL naming the time and zone */
};

/* Open a zone by name: "UTC" (also "Z", "Etc/UTC" from the database), a
 * fixed offset "+05:30" / "-08:00" / "+05" (hours 0..23), or an IANA name
 * ("Europe/Berlin") read from $TZDIR or /usr/share/zoneinfo (Debian package
 * tzdata). The file is parsed and validated here (versions 1-4, the 64-bit
 * data and the footer rule for times after the last transition); a zone
 * that uses leap-second time ("right/...") is refused. NULL on failure with
 * err naming the zone and the cause (TM_ENOENT unknown zone, TM_EFORMAT bad
 * file, TM_ELIMIT a cap). Close with tm_tz_close. */
tm_tz *tm_tz_open(const char *name, struct tm_error *err);
void tm_tz_close(tm_tz *tz);

/* The name the zone was opened with. */
const char *tm_tz_name(const tm_tz *tz);

/* The local reading of an instant. TM_ERANGE outside TM_TIME_MIN..MAX. */
int tm_tz_to_local(const tm_tz *tz, int64_t utc, struct tm_local *out);

/* The instant at which the zone's clocks read `local`, gaps and overlaps
 * resolved by `fold` (above). TM_EINVAL for an invalid civil time or when
 * TM_TZ_REJECT refuses, TM_ERANGE outside the supported years; errors name
 * the time and the zone. */
int tm_tz_from_local(const tm_tz *tz, const struct tm_civil *local, enum tm_tz_fold fold,
                     int64_t *utc, struct tm_error *err);

/* The first instant of a local date: local midnight, or where a clock
 * change skips midnight (America/Santiago, Asia/Beirut), the instant just
 * after the gap; in an overlap the first midnight. This is java.time's
 * LocalDate.atStartOfDay(ZoneId) rule. A day is then [start(d), start(d+1)),
 * which is 23, 24 or 25 hours (or 23.5, 24.5 at Australia/Lord_Howe). */
int tm_tz_day_start(const tm_tz *tz, const struct tm_date *date, int64_t *utc,
                    struct tm_error *err);

/* Write an instant as local RFC 3339 with its offset in the zone
 * ("2026-03-29T03:00:00+02:00"). Returns the length, 0 out of range. */
size_t tm_tz_format(const tm_tz *tz, int64_t utc, char *buf);

#ifdef __cplusplus
}
#endif
#endif
