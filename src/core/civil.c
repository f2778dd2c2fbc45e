/*
 * Civil dates and times (include/tokenmeter/core.h, "Civil time"):
 * Gregorian day arithmetic, RFC 3339 parsing and printing.
 *
 * Instants are POSIX seconds (no leap seconds), limited to years 0001..9999
 * so every value prints as four-digit years and no arithmetic can overflow.
 * Integer arithmetic only; no libc time functions (their TZ state is
 * process-global).
 */
#include <stdio.h>
#include <string.h>

#include "tokenmeter/core.h"

/* Division rounding toward minus infinity. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* The remainder of floor_div, in [0, b). */
static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Whether a Gregorian year is a leap year. */
static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in the month, 0 for a month that does not exist. */
int tm_days_in_month(int32_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && is_leap(year))
        return 29;
    return days[month - 1];
}

/* A date is valid when its year is four digits and the day exists. */
bool tm_date_valid(const struct tm_date *d)
{
    return d != NULL && d->year >= 1 && d->year <= 9999 && d->month >= 1 &&
           d->month <= 12 && d->day >= 1 && d->day <= tm_days_in_month(d->year, d->month);
}

/*
 * Days since 1970-01-01 of a Gregorian date: Howard Hinnant's
 * days_from_civil, which counts in 400-year eras starting on March 1
 * (http://howardhinnant.github.io/date_algorithms.html#days_from_civil).
 */
int64_t tm_date_to_days(const struct tm_date *d)
{
    int64_t y = (int64_t)d->year - (d->month <= 2);
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                      /* [0, 399] */
    int64_t mp = (d->month + 9) % 12;                                 /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d->day - 1;                    /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* The inverse, Hinnant's civil_from_days (same source). */
void tm_date_from_days(int64_t days, struct tm_date *out)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                   /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;

    out->year = (int32_t)(yoe + era * 400 + (m <= 2));
    out->month = (int)m;
    out->day = (int)d;
}

/* The civil reading of utc at a fixed offset east of UTC. */
int tm_time_to_civil(int64_t utc, int32_t offset, struct tm_civil *out)
{
    int64_t local, days, secs;
    struct tm_date d;

    if (utc < TM_TIME_MIN || utc > TM_TIME_MAX)
        return TM_ERANGE;
    local = utc + offset;
    days = floor_div(local, 86400);
    secs = floor_mod(local, 86400);
    tm_date_from_days(days, &d);
    out->year = d.year;
    out->month = d.month;
    out->day = d.day;
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    return TM_OK;
}

/* Read exactly n ASCII digits at s[*pos]; -1 when any is not a digit. */
static int read_digits(const char *s, size_t len, size_t *pos, int n)
{
    int v = 0;

    if (*pos + (size_t)n > len)
        return -1;
    for (int i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    return v;
}

/* Quote at most 64 bytes of the input in an error, non-printables as '?'. */
static void quote(const char *s, size_t len, char *buf, size_t cap)
{
    size_t n = len < 64 ? len : 64, o = 0;

    for (size_t i = 0; i < n && o + 4 < cap; i++)
        buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (len > n && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

/* Parse "YYYY-MM-DD" at s[*pos]; on success *pos is past it. */
static int parse_date_at(const char *s, size_t len, size_t *pos, const char *what,
                         struct tm_date *out, struct tm_error *err)
{
    char q[80];
    int y, m, d;

    quote(s, len, q, sizeof(q));
    y = read_digits(s, len, pos, 4);
    if (y < 0 || *pos >= len || s[*pos] != '-')
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" is not a date YYYY-MM-DD", what, q);
    (*pos)++;
    m = read_digits(s, len, pos, 2);
    if (m < 0 || *pos >= len || s[*pos] != '-')
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" is not a date YYYY-MM-DD", what, q);
    (*pos)++;
    d = read_digits(s, len, pos, 2);
    if (d < 0)
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" is not a date YYYY-MM-DD", what, q);
    out->year = y;
    out->month = m;
    out->day = d;
    if (!tm_date_valid(out))
        return tm_error_set(err, TM_EINVAL,
                            "%s: \"%s\" is not a calendar date (year 0001-9999, month 01-12, "
                            "day within the month)", what, q);
    return TM_OK;
}

/* "YYYY-MM-DD" and nothing else. */
int tm_date_parse(const char *s, size_t len, const char *what, struct tm_date *out,
                  struct tm_error *err)
{
    size_t pos = 0;
    struct tm_date d;
    char q[80];
    int rc;

    if (what == NULL)
        what = "date";
    if (s == NULL)
        return tm_error_set(err, TM_EINVAL, "%s: no date given", what);
    rc = parse_date_at(s, len, &pos, what, &d, err);
    if (rc != TM_OK)
        return rc;
    if (pos != len) {
        quote(s, len, q, sizeof(q));
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" has text after the date YYYY-MM-DD",
                            what, q);
    }
    *out = d;
    return TM_OK;
}

/* RFC 3339 date-time (section 5.6), or a bare date meaning midnight UTC. */
int tm_time_parse(const char *s, size_t len, const char *what, int64_t *utc,
                  int32_t *nsec, struct tm_error *err)
{
    size_t pos = 0;
    struct tm_date d;
    int hh, mi, ss, oh, om, sign;
    int32_t frac = 0;
    int64_t t;
    char q[80];
    int rc;

    if (what == NULL)
        what = "time";
    if (s == NULL)
        return tm_error_set(err, TM_EINVAL, "%s: no time given", what);
    quote(s, len, q, sizeof(q));
    rc = parse_date_at(s, len, &pos, what, &d, err);
    if (rc != TM_OK)
        return rc;
    if (pos == len) {
        t = tm_date_to_days(&d) * 86400;
        goto done;
    }
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
        goto bad;
    pos++;
    hh = read_digits(s, len, &pos, 2);
    if (hh < 0 || pos >= len || s[pos++] != ':')
        goto bad;
    mi = read_digits(s, len, &pos, 2);
    if (mi < 0 || pos >= len || s[pos++] != ':')
        goto bad;
    ss = read_digits(s, len, &pos, 2);
    if (ss < 0)
        goto bad;
    if (hh > 23 || mi > 59 || ss > 60)
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" has an hour, minute or second out of "
                            "range", what, q);
    if (ss == 60)
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" is a leap second, which POSIX time "
                            "cannot represent", what, q);
    if (pos < len && s[pos] == '.') {
        int digits = 0;
        pos++;
        while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
            if (digits == 9)
                return tm_error_set(err, TM_EINVAL, "%s: \"%s\" has more than 9 fractional "
                                    "digits", what, q);
            frac = frac * 10 + (s[pos] - '0');
            digits++;
            pos++;
        }
        if (digits == 0)
            goto bad;
        for (; digits < 9; digits++)
            frac *= 10;
    }
    if (pos >= len)
        return tm_error_set(err, TM_EINVAL, "%s: \"%s\" has no zone: add Z or an offset "
                            "like +02:00 (RFC 3339)", what, q);
    if (s[pos] == 'Z' || s[pos] == 'z') {
        pos++;
        oh = om = 0;
        sign = 1;
    } else if (s[pos] == '+' || s[pos] == '-') {
        sign = s[pos] == '-' ? -1 : 1;
        pos++;
        oh = read_digits(s, len, &pos, 2);
        if (oh < 0 || pos >= len || s[pos++] != ':')
            goto bad;
        om = read_digits(s, len, &pos, 2);
        if (om < 0)
            goto bad;
        if (oh > 23 || om > 59)
            return tm_error_set(err, TM_EINVAL, "%s: \"%s\" has an offset out of range "
                                "(at most 23:59)", what, q);
    } else {
        goto bad;
    }
    if (pos != len)
        goto bad;
    t = tm_date_to_days(&d) * 86400 + hh * 3600 + mi * 60 + ss -
        sign * (oh * 3600 + om * 60);
    if (t < TM_TIME_MIN || t > TM_TIME_MAX)
        return tm_error_set(err, TM_ERANGE, "%s: \"%s\" is outside the years 0001-9999 in UTC",
                            what, q);
done:
    *utc = t;
    if (nsec != NULL)
        *nsec = frac;
    return TM_OK;
bad:
    return tm_error_set(err, TM_EINVAL, "%s: \"%s\" is not an RFC 3339 time "
                        "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm) or a date YYYY-MM-DD", what, q);
}

/* "YYYY-MM-DD". */
size_t tm_date_format(const struct tm_date *d, char *buf)
{
    if (!tm_date_valid(d)) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)snprintf(buf, TM_DATE_TEXT_MAX, "%04d-%02d-%02d", (int)d->year, d->month,
                            d->day);
}

/* RFC 3339 at a fixed offset. */
size_t tm_time_format(int64_t utc, int32_t nsec, int32_t offset, char *buf)
{
    struct tm_civil c;
    size_t n;
    int32_t a = offset < 0 ? -offset : offset;

    if (nsec < 0 || nsec > 999999999 || offset <= -86400 || offset >= 86400 ||
        tm_time_to_civil(utc, offset, &c) != TM_OK || c.year < 1 || c.year > 9999) {
        buf[0] = '\0';
        return 0;
    }
    n = (size_t)snprintf(buf, TM_TIME_TEXT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d", (int)c.year,
                         c.month, c.day, c.hour, c.minute, c.second);
    if (nsec != 0)
        n += (size_t)snprintf(buf + n, TM_TIME_TEXT_MAX - n, ".%09d", (int)nsec);
    if (offset == 0)
        n += (size_t)snprintf(buf + n, TM_TIME_TEXT_MAX - n, "Z");
    else if (a % 60 != 0)
        n += (size_t)snprintf(buf + n, TM_TIME_TEXT_MAX - n, "%c%02d:%02d:%02d",
                              offset < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60),
                              (int)(a % 60));
    else
        n += (size_t)snprintf(buf + n, TM_TIME_TEXT_MAX - n, "%c%02d:%02d",
                              offset < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
    return n;
}
