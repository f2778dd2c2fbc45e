/*
 * Time zones from the compiled IANA database (include/tokenmeter/core.h).
 *
 * A zone is a TZif file (RFC 8536, https://www.rfc-editor.org/rfc/rfc8536)
 * under $TZDIR or /usr/share/zoneinfo. The file is read whole (at most
 * TZ_FILE_MAX bytes) and checked field by field before anything is used:
 *
 *   header   "TZif", version (0, '2', '3', '4'), six big-endian counts:
 *            isutcnt isstdcnt leapcnt timecnt typecnt charcnt
 *   data     timecnt transition times (4 bytes in the v1 block, 8 in the
 *            v2+ block), timecnt type indices, typecnt 6-byte records
 *            (utoff int32, isdst, desigidx), charcnt bytes of NUL-terminated
 *            abbreviations, leap records, isstd and isut flags
 *   footer   (v2+) "\n" POSIX TZ string "\n": the rule for instants after
 *            the last transition ("CET-1CEST,M3.5.0,M10.5.0/3")
 *
 * For version 2 and later the v1 block is skipped and the 64-bit block used.
 * Before the first transition type 0 applies (RFC 8536 section 3.2); from
 * the last transition on, the footer rule (section 3.3), or the last type
 * when there is no footer. A zone is immutable once opened.
 *
 * The POSIX TZ string grammar (IEEE Std 1003.1, section 8.3, with the
 * RFC 8536 section 3.3.1 extensions: hours -167..167 in rule times) is
 * parsed here too: std offset [dst [offset] [,start[/time],end[/time]]],
 * dates Jn (1..365, February 29 never counted), n (0..365) or Mm.w.d.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenmeter/core.h"

#define TZ_FILE_MAX (1u << 20)  /* largest TZif file read (real ones: < 4 KiB) */
#define TZ_TIMES_MAX 50000u     /* most transitions accepted */
#define TZ_CHARS_MAX 4096u      /* most abbreviation bytes accepted */
#define TZ_FOOTER_MAX 256u      /* longest footer TZ string */
#define TZ_UTOFF_MIN (-89999)   /* RFC 8536 section 3.2: -24:59:59 */
#define TZ_UTOFF_MAX 93599      /* +25:59:59 */
#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"

/* A local time type: offset, DST flag, abbreviation. */
struct tz_type {
    int32_t utoff;
    bool isdst;
    char abbr[TM_TZ_ABBR_MAX];
};

/* A rule date of a POSIX TZ string. */
struct tz_rdate {
    char kind;    /* 'J' Julian 1..365 without Feb 29, 'D' zero-based day, 'M' month rule */
    int day;      /* J: 1..365, D: 0..365, M: weekday 0..6 (Sunday 0) */
    int month;    /* M: 1..12 */
    int week;     /* M: 1..5 (5 = last) */
    int32_t time; /* seconds after local midnight, -167h..167h */
};

/* A POSIX TZ rule: standard time, optional DST and when it starts and ends. */
struct tz_rule {
    struct tz_type std, dst;
    bool has_dst;
    struct tz_rdate start, end;
};

struct tm_tz {
    char name[TM_TZ_NAME_MAX];
    int64_t *times;        /* transitions, strictly ascending */
    uint8_t *idx;          /* type in effect from times[i] on */
    size_t ntimes;
    struct tz_type *types; /* at least one */
    size_t ntypes;
    bool has_rule;         /* footer rule for instants >= the last transition */
    struct tz_rule rule;
};

/* Floor division for a positive divisor. */
static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* ---------------------------------------------------------------- */
/* POSIX TZ strings                                                  */
/* ---------------------------------------------------------------- */

/* Parse an abbreviation: 3+ letters, or <...> of letters, digits, '+', '-'.
 * Returns false when malformed. */
static bool rule_name(const char **p, char *out)
{
    const char *s = *p;
    size_t n = 0;

    if (*s == '<') {
        s++;
        while (*s != '>') {
            if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                  (*s >= '0' && *s <= '9') || *s == '+' || *s == '-'))
                return false;
            if (n + 1 >= TM_TZ_ABBR_MAX)
                return false;
            out[n++] = *s++;
        }
        s++;
    } else {
        while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
            if (n + 1 >= TM_TZ_ABBR_MAX)
                return false;
            out[n++] = *s++;
        }
    }
    if (n < 3)
        return false;
    out[n] = '\0';
    *p = s;
    return true;
}

/* Parse [+-]hh[:mm[:ss]] with hours up to max_h into seconds. */
static bool rule_hms(const char **p, int max_h, int32_t *out)
{
    const char *s = *p;
    int sign = 1, h = 0, m = 0, sec = 0, nd = 0;

    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    while (*s >= '0' && *s <= '9' && nd < 3) {
        h = h * 10 + (*s++ - '0');
        nd++;
    }
    if (nd == 0 || h > max_h)
        return false;
    if (*s == ':') {
        s++;
        if (!(s[0] >= '0' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9'))
            return false;
        m = (s[0] - '0') * 10 + (s[1] - '0');
        s += 2;
        if (*s == ':') {
            s++;
            if (!(s[0] >= '0' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9'))
                return false;
            sec = (s[0] - '0') * 10 + (s[1] - '0');
            s += 2;
        }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    *p = s;
    return true;
}

/* Parse a small unsigned decimal in [lo, hi]. */
static bool rule_num(const char **p, int lo, int hi, int *out)
{
    const char *s = *p;
    int v = 0, nd = 0;

    while (*s >= '0' && *s <= '9' && nd < 4) {
        v = v * 10 + (*s++ - '0');
        nd++;
    }
    if (nd == 0 || v < lo || v > hi)
        return false;
    *out = v;
    *p = s;
    return true;
}

/* Parse one rule date with its optional /time (default 02:00:00). */
static bool rule_date(const char **p, struct tz_rdate *d)
{
    const char *s = *p;

    if (*s == 'J') {
        s++;
        d->kind = 'J';
        if (!rule_num(&s, 1, 365, &d->day))
            return false;
    } else if (*s == 'M') {
        s++;
        d->kind = 'M';
        if (!rule_num(&s, 1, 12, &d->month) || *s++ != '.' || !rule_num(&s, 1, 5, &d->week) ||
            *s++ != '.' || !rule_num(&s, 0, 6, &d->day))
            return false;
    } else {
        d->kind = 'D';
        if (!rule_num(&s, 0, 365, &d->day))
            return false;
    }
    d->time = 2 * 3600;
    if (*s == '/') {
        s++;
        if (!rule_hms(&s, 167, &d->time))
            return false;
    }
    *p = s;
    return true;
}

/* Parse a whole POSIX TZ string. Offsets in the string are west-positive;
 * stored east-positive. A DST part without dates gets the US rules
 * M3.2.0,M11.1.0, as the reference implementation's default
 * (tzcode localtime.c, TZDEFRULESTRING). */
static bool rule_parse(const char *s, struct tz_rule *r)
{
    int32_t off = 0;

    memset(r, 0, sizeof(*r));
    if (!rule_name(&s, r->std.abbr) || !rule_hms(&s, 24, &off))
        return false;
    r->std.utoff = -off;
    if (*s == '\0')
        return true;
    r->has_dst = true;
    r->dst.isdst = true;
    if (!rule_name(&s, r->dst.abbr))
        return false;
    r->dst.utoff = r->std.utoff + 3600;
    if (*s != ',' && *s != '\0') {
        if (!rule_hms(&s, 24, &off))
            return false;
        r->dst.utoff = -off;
    }
    if (*s == '\0') {
        const char *def = "M3.2.0,M11.1.0";
        if (!rule_date(&def, &r->start) || *def++ != ',' || !rule_date(&def, &r->end))
            return false;
        return true;
    }
    if (*s++ != ',' || !rule_date(&s, &r->start) || *s++ != ',' || !rule_date(&s, &r->end))
        return false;
    return *s == '\0';
}

/* Weekday of a day number (days since 1970-01-01, a Thursday): 0 = Sunday. */
static int weekday(int64_t days)
{
    int64_t w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* The day number (since 1970-01-01) a rule date falls on in a year. */
static int64_t rdate_day(const struct tz_rdate *d, int32_t year)
{
    struct tm_date jan1 = {year, 1, 1};
    int64_t base = tm_date_to_days(&jan1);
    bool leap = tm_days_in_month(year, 2) == 29;

    if (d->kind == 'J')
        return base + d->day - 1 + (leap && d->day >= 60);
    if (d->kind == 'D')
        return base + d->day;
    {
        struct tm_date first = {year, d->month, 1};
        int64_t f = tm_date_to_days(&first);
        int day = 1 + (d->day - weekday(f) + 7) % 7 + 7 * (d->week - 1);
        while (day > tm_days_in_month(year, d->month))
            day -= 7;
        return f + day - 1;
    }
}

/* A DST change produced by a rule: when, and whether DST begins. */
struct tz_event {
    int64_t at;
    bool to_dst;
};

/* Fill ev[0..10) with the rule's changes of years y-2..y+2, in time order;
 * at equal instants an end sorts before a start, so "DST all year" rules
 * (start Jan 1 00:00, end Dec 31 25:00) stay in DST. */
static void rule_events(const struct tz_rule *r, int32_t y, struct tz_event ev[10])
{
    size_t n = 0;

    for (int32_t k = y - 2; k <= y + 2; k++) {
        ev[n].at = rdate_day(&r->start, k) * 86400 + r->start.time - r->std.utoff;
        ev[n++].to_dst = true;
        ev[n].at = rdate_day(&r->end, k) * 86400 + r->end.time - r->dst.utoff;
        ev[n++].to_dst = false;
    }
    for (size_t i = 1; i < n; i++) {
        struct tz_event e = ev[i];
        size_t j = i;
        while (j > 0 && (ev[j - 1].at > e.at || (ev[j - 1].at == e.at && ev[j - 1].to_dst &&
                                                 !e.to_dst))) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = e;
    }
}

/* The type a rule gives instant t, and the next change after t. */
static void rule_lookup(const struct tz_rule *r, int64_t t, const struct tz_type **type,
                        int64_t *next)
{
    struct tz_event ev[10];
    struct tm_date d;
    bool dst = false;

    *next = INT64_MAX;
    if (!r->has_dst) {
        *type = &r->std;
        return;
    }
    tm_date_from_days(fdiv(t + r->std.utoff, 86400), &d);
    rule_events(r, d.year, ev);
    /* Before the first event of year y-2 the state is that of its last
     * event; t lies in year y, so some event is always at or before it. */
    dst = !ev[0].to_dst;
    for (size_t i = 0; i < 10; i++) {
        if (ev[i].at <= t) {
            dst = ev[i].to_dst;
        } else {
            *next = ev[i].at;
            break;
        }
    }
    *type = dst ? &r->dst : &r->std;
}

/* ---------------------------------------------------------------- */
/* Lookup                                                            */
/* ---------------------------------------------------------------- */

/* The type in effect at t and the first transition after t (INT64_MAX if
 * none). */
static void zone_lookup(const tm_tz *z, int64_t t, const struct tz_type **type, int64_t *next)
{
    size_t lo = 0, hi = z->ntimes;

    if (z->ntimes == 0 || t < z->times[0]) {
        *type = &z->types[0];
        *next = z->ntimes > 0 ? z->times[0] : INT64_MAX;
        if (z->ntimes == 0 && z->has_rule)
            rule_lookup(&z->rule, t, type, next);
        return;
    }
    if (t >= z->times[z->ntimes - 1] && z->has_rule) {
        rule_lookup(&z->rule, t, type, next);
        return;
    }
    /* Last i with times[i] <= t. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    *type = &z->types[z->idx[lo]];
    *next = lo + 1 < z->ntimes ? z->times[lo + 1] : INT64_MAX;
}

/* ---------------------------------------------------------------- */
/* Reading TZif                                                      */
/* ---------------------------------------------------------------- */

/* Big-endian 32- and 64-bit fields (TZif is big-endian, RFC 8536 section 3). */
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A big-endian two's-complement 64-bit time. */
static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The six counts of a TZif header. */
struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

/* Read and check a 44-byte header at buf[off]. */
static int tzif_header(const tm_tz *z, const unsigned char *buf, size_t len, size_t off,
                       int *version, struct tzif_counts *c, struct tm_error *err)
{
    const unsigned char *h = buf + off;

    if (len - off < 44 || memcmp(h, "TZif", 4) != 0)
        return tm_error_set(err, TM_EFORMAT, "time zone %s: not a TZif file (bad header)",
                            z->name);
    if (h[4] != 0 && h[4] != '2' && h[4] != '3' && h[4] != '4')
        return tm_error_set(err, TM_EFORMAT, "time zone %s: unknown TZif version byte 0x%02x",
                            z->name, h[4]);
    *version = h[4] == 0 ? 1 : h[4] - '0';
    c->isut = be32(h + 20);
    c->isstd = be32(h + 24);
    c->leap = be32(h + 28);
    c->time = be32(h + 32);
    c->type = be32(h + 36);
    c->chars = be32(h + 40);
    if (c->type == 0 || c->type > 256 || c->chars == 0)
        return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif header has %u time types "
                            "and %u abbreviation bytes (need 1..256 and at least 1)",
                            z->name, c->type, c->chars);
    if ((c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type))
        return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif isutcnt/isstdcnt must be 0 "
                            "or typecnt", z->name);
    if (c->time > TZ_TIMES_MAX || c->chars > TZ_CHARS_MAX || c->leap > TZ_TIMES_MAX)
        return tm_error_set(err, TM_ELIMIT, "time zone %s: TZif file has %u transitions, %u "
                            "abbreviation bytes (caps %u, %u)", z->name, c->time, c->chars,
                            TZ_TIMES_MAX, TZ_CHARS_MAX);
    return TM_OK;
}

/* Bytes of a data block with the given counts and time size. */
static size_t tzif_block_size(const struct tzif_counts *c, size_t tsize)
{
    return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

/* Parse the data block at buf[off] (time size 4 or 8) into z. */
static int tzif_block(tm_tz *z, const unsigned char *buf, size_t off, size_t tsize,
                      const struct tzif_counts *c, struct tm_error *err)
{
    const unsigned char *p = buf + off;
    const unsigned char *tidx, *ttinfo, *chars;

    if (c->leap != 0)
        return tm_error_set(err, TM_EFORMAT, "time zone %s: the file counts leap seconds "
                            "(a \"right/\" zone); use the POSIX-time zone of the same name",
                            z->name);
    z->ntimes = c->time;
    z->ntypes = c->type;
    z->times = malloc((c->time ? c->time : 1) * sizeof(*z->times));
    z->idx = malloc(c->time ? c->time : 1);
    z->types = calloc(c->type, sizeof(*z->types));
    if (z->times == NULL || z->idx == NULL || z->types == NULL)
        return tm_error_set(err, TM_ENOMEM, "time zone %s: out of memory", z->name);
    tidx = p + (size_t)c->time * tsize;
    ttinfo = tidx + c->time;
    chars = ttinfo + (size_t)c->type * 6;
    if (chars[c->chars - 1] != '\0')
        return tm_error_set(err, TM_EFORMAT, "time zone %s: abbreviations are not "
                            "NUL-terminated", z->name);
    for (uint32_t i = 0; i < c->time; i++) {
        z->times[i] = tsize == 8 ? be64(p + 8 * (size_t)i) : (int32_t)be32(p + 4 * (size_t)i);
        if (i > 0 && z->times[i] <= z->times[i - 1])
            return tm_error_set(err, TM_EFORMAT, "time zone %s: transition %u is not after "
                                "the one before it", z->name, i);
        if (tidx[i] >= c->type)
            return tm_error_set(err, TM_EFORMAT, "time zone %s: transition %u names time "
                                "type %u of %u", z->name, i, tidx[i], c->type);
        z->idx[i] = tidx[i];
    }
    for (uint32_t i = 0; i < c->type; i++) {
        const unsigned char *r = ttinfo + 6 * (size_t)i;
        int32_t utoff = (int32_t)be32(r);
        size_t ai = r[5], alen;

        if (utoff < TZ_UTOFF_MIN || utoff > TZ_UTOFF_MAX)
            return tm_error_set(err, TM_EFORMAT, "time zone %s: time type %u has UTC offset "
                                "%d s (allowed %d..%d)", z->name, i, (int)utoff,
                                TZ_UTOFF_MIN, TZ_UTOFF_MAX);
        if (r[4] > 1 || ai >= c->chars)
            return tm_error_set(err, TM_EFORMAT, "time zone %s: time type %u has a bad DST "
                                "flag or abbreviation index", z->name, i);
        alen = strlen((const char *)chars + ai);
        if (alen >= TM_TZ_ABBR_MAX)
            return tm_error_set(err, TM_EFORMAT, "time zone %s: abbreviation of time type %u "
                                "is longer than %d bytes", z->name, i, TM_TZ_ABBR_MAX - 1);
        z->types[i].utoff = utoff;
        z->types[i].isdst = r[4] != 0;
        memcpy(z->types[i].abbr, chars + ai, alen + 1);
    }
    return TM_OK;
}

/* Parse a whole TZif image into z. */
static int tzif_parse(tm_tz *z, const unsigned char *buf, size_t len, struct tm_error *err)
{
    struct tzif_counts c;
    int version, rc;
    size_t off = 0, size;

    rc = tzif_header(z, buf, len, 0, &version, &c, err);
    if (rc != TM_OK)
        return rc;
    size = tzif_block_size(&c, 4);
    if (len - 44 < size)
        return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif file is truncated (v1 data "
                            "needs %zu bytes)", z->name, size);
    if (version == 1)
        return tzif_block(z, buf, 44, 4, &c, err);
    off = 44 + size;
    rc = tzif_header(z, buf, len, off, &version, &c, err);
    if (rc != TM_OK)
        return rc;
    if (version == 1)
        return tm_error_set(err, TM_EFORMAT, "time zone %s: second TZif header has version 1",
                            z->name);
    off += 44;
    size = tzif_block_size(&c, 8);
    if (len - off < size)
        return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif file is truncated (v2 data "
                            "needs %zu bytes)", z->name, size);
    rc = tzif_block(z, buf, off, 8, &c, err);
    if (rc != TM_OK)
        return rc;
    off += size;
    /* Footer: "\n" TZ string "\n". */
    {
        const unsigned char *nl;
        char footer[TZ_FOOTER_MAX + 1];
        size_t flen;

        if (len - off < 2 || buf[off] != '\n')
            return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif footer is missing",
                                z->name);
        nl = memchr(buf + off + 1, '\n', len - off - 1);
        if (nl == NULL)
            return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif footer is not "
                                "terminated by a newline", z->name);
        flen = (size_t)(nl - (buf + off + 1));
        if (flen > TZ_FOOTER_MAX)
            return tm_error_set(err, TM_ELIMIT, "time zone %s: TZif footer is longer than %u "
                                "bytes", z->name, TZ_FOOTER_MAX);
        if (memchr(buf + off + 1, '\0', flen) != NULL)
            return tm_error_set(err, TM_EFORMAT, "time zone %s: TZif footer contains a NUL",
                                z->name);
        memcpy(footer, buf + off + 1, flen);
        footer[flen] = '\0';
        if (flen > 0) {
            if (!rule_parse(footer, &z->rule))
                return tm_error_set(err, TM_EFORMAT, "time zone %s: footer TZ string \"%s\" "
                                    "is not a valid POSIX TZ rule", z->name, footer);
            if (z->rule.std.utoff < TZ_UTOFF_MIN || z->rule.std.utoff > TZ_UTOFF_MAX ||
                z->rule.dst.utoff < TZ_UTOFF_MIN || z->rule.dst.utoff > TZ_UTOFF_MAX)
                return tm_error_set(err, TM_EFORMAT, "time zone %s: footer TZ string \"%s\" "
                                    "has an offset out of range", z->name, footer);
            z->has_rule = true;
        }
    }
    return TM_OK;
}

/* Whether a zone name is safe to use as a path under the zone directory:
 * letters, digits, '_', '-', '+', '.', '/' separated components, none empty
 * or starting with '.'. */
static bool name_safe(const char *name)
{
    const char *s = name;

    if (*s == '\0' || *s == '/')
        return false;
    for (; *s; s++) {
        char c = *s;
        bool comp_start = s == name || s[-1] == '/';
        if (comp_start && (c == '.' || c == '/'))
            return false;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '+' || c == '.' || c == '/'))
            return false;
    }
    return s[-1] != '/';
}

/* Parse a fixed offset name "+hh:mm", "-hh:mm", "+hh", "+hhmm". */
static bool fixed_offset(const char *s, int32_t *out)
{
    size_t n = strlen(s);
    int h, m = 0;

    if (n < 3 || (s[0] != '+' && s[0] != '-'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(i == 3 && s[i] == ':'))
            return false;
    h = (s[1] - '0') * 10 + (s[2] - '0');
    if (n == 6 && s[3] == ':')
        m = (s[4] - '0') * 10 + (s[5] - '0');
    else if (n == 5 && s[3] != ':')
        m = (s[3] - '0') * 10 + (s[4] - '0');
    else if (n != 3)
        return false;
    if (h > 23 || m > 59)
        return false;
    *out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return true;
}

/* Read a whole file of at most TZ_FILE_MAX bytes. */
static int read_file(const tm_tz *z, const char *path, unsigned char **out, size_t *len,
                     struct tm_error *err)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0;
    int rc = TM_OK;

    if (f == NULL) {
        int e = errno;
        return tm_error_set(err, e == ENOENT || e == ENOTDIR ? TM_ENOENT : TM_EIO,
                            "time zone %s: cannot open %s: %s%s", z->name, path, strerror(e),
                            e == ENOENT ? " (not an IANA zone name, or package tzdata is "
                                          "not installed)" : "");
    }
    buf = malloc(TZ_FILE_MAX + 1);
    if (buf == NULL) {
        rc = tm_error_set(err, TM_ENOMEM, "time zone %s: out of memory", z->name);
        goto out;
    }
    n = fread(buf, 1, TZ_FILE_MAX + 1, f);
    if (ferror(f)) {
        rc = tm_error_set(err, TM_EIO, "time zone %s: cannot read %s", z->name, path);
        goto out;
    }
    if (n > TZ_FILE_MAX) {
        rc = tm_error_set(err, TM_ELIMIT, "time zone %s: %s is larger than %u bytes", z->name,
                          path, TZ_FILE_MAX);
        goto out;
    }
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}

/* Open a zone: UTC, a fixed offset, or a TZif file. */
tm_tz *tm_tz_open(const char *name, struct tm_error *err)
{
    tm_tz *z = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    char path[4096];
    const char *dir;
    int32_t off = 0;
    int rc;

    if (name == NULL || name[0] == '\0') {
        tm_error_set(err, TM_EINVAL, "time zone: no name given");
        return NULL;
    }
    if (strlen(name) >= TM_TZ_NAME_MAX) {
        tm_error_set(err, TM_ELIMIT, "time zone \"%.40s...\": name longer than %d bytes", name,
                     TM_TZ_NAME_MAX - 1);
        return NULL;
    }
    z = calloc(1, sizeof(*z));
    if (z == NULL) {
        tm_error_set(err, TM_ENOMEM, "time zone %s: out of memory", name);
        return NULL;
    }
    strcpy(z->name, name);
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 || fixed_offset(name, &off)) {
        z->types = calloc(1, sizeof(*z->types));
        if (z->types == NULL) {
            tm_error_set(err, TM_ENOMEM, "time zone %s: out of memory", name);
            goto fail;
        }
        z->ntypes = 1;
        if (name[0] == '+' || name[0] == '-') {
            int32_t a = off < 0 ? -off : off;
            z->types[0].utoff = off;
            snprintf(z->types[0].abbr, TM_TZ_ABBR_MAX, "%c%02d%02d", off < 0 ? '-' : '+',
                     (int)(a / 3600), (int)(a / 60 % 60));
        } else {
            strcpy(z->types[0].abbr, "UTC");
        }
        return z;
    }
    if (!name_safe(name)) {
        tm_error_set(err, TM_EINVAL, "time zone \"%s\": not a zone name (IANA names are like "
                     "Europe/Berlin; fixed offsets like +05:30)", name);
        goto fail;
    }
    dir = getenv("TZDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = TZ_DIR_DEFAULT;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
        tm_error_set(err, TM_ELIMIT, "time zone %s: path under %s is too long", name, dir);
        goto fail;
    }
    rc = read_file(z, path, &buf, &len, err);
    if (rc != TM_OK)
        goto fail;
    rc = tzif_parse(z, buf, len, err);
    if (rc != TM_OK)
        goto fail;
    free(buf);
    return z;
fail:
    free(buf);
    tm_tz_close(z);
    return NULL;
}

/* Free a zone; NULL is fine. */
void tm_tz_close(tm_tz *tz)
{
    if (tz == NULL)
        return;
    free(tz->times);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

/* The name given to tm_tz_open. */
const char *tm_tz_name(const tm_tz *tz)
{
    return tz->name;
}

/* UTC -> local. */
int tm_tz_to_local(const tm_tz *tz, int64_t utc, struct tm_local *out)
{
    const struct tz_type *type;
    int64_t next;
    int rc;

    if (utc < TM_TIME_MIN || utc > TM_TIME_MAX)
        return TM_ERANGE;
    zone_lookup(tz, utc, &type, &next);
    rc = tm_time_to_civil(utc, type->utoff, &out->civil);
    if (rc != TM_OK)
        return rc;
    out->utc_offset = type->utoff;
    out->is_dst = type->isdst;
    memcpy(out->abbr, type->abbr, sizeof(out->abbr));
    return TM_OK;
}

/* A span of constant offset around a local time. */
struct tz_span {
    int64_t lo, hi;
    int32_t utoff;
};

/* The spans of constant offset covering every instant whose local reading
 * could be `local` (offsets are within -89999..93599 s). Returns the count
 * (at most cap). */
static size_t local_spans(const tm_tz *tz, int64_t local, struct tz_span *sp, size_t cap)
{
    int64_t t = local - TZ_UTOFF_MAX - 1, stop = local - TZ_UTOFF_MIN + 1;
    size_t n = 0;

    while (t <= stop && n < cap) {
        const struct tz_type *type;
        int64_t next;

        zone_lookup(tz, t, &type, &next);
        if (n > 0 && sp[n - 1].utoff == type->utoff) {
            sp[n - 1].hi = next;
        } else {
            sp[n].lo = t;
            sp[n].hi = next;
            sp[n].utoff = type->utoff;
            n++;
        }
        t = next;
    }
    return n;
}

/* The seconds of a civil time as if it were UTC, after validation. */
static int civil_seconds(const tm_tz *tz, const struct tm_civil *c, int64_t *out,
                         struct tm_error *err)
{
    struct tm_date d = {c->year, c->month, c->day};

    if (!tm_date_valid(&d) || c->hour < 0 || c->hour > 23 || c->minute < 0 ||
        c->minute > 59 || c->second < 0 || c->second > 59)
        return tm_error_set(err, TM_EINVAL, "time zone %s: %04d-%02d-%02dT%02d:%02d:%02d is "
                            "not a valid local time", tz->name, (int)c->year, c->month, c->day,
                            c->hour, c->minute, c->second);
    *out = tm_date_to_days(&d) * 86400 + c->hour * 3600 + c->minute * 60 + c->second;
    return TM_OK;
}

/* Local -> UTC, resolving gaps and overlaps by fold, or (day_start) the
 * first instant whose reading is at or after `local`. */
static int from_local(const tm_tz *tz, const struct tm_civil *c, enum tm_tz_fold fold,
                      bool day_start, int64_t *utc, struct tm_error *err)
{
    struct tz_span sp[16];
    int64_t local = 0, found[16], t;
    size_t n, nf = 0;
    int rc;

    rc = civil_seconds(tz, c, &local, err);
    if (rc != TM_OK)
        return rc;
    n = local_spans(tz, local, sp, 16);
    for (size_t i = 0; i < n; i++) {
        t = local - sp[i].utoff;
        if (t >= sp[i].lo && t < sp[i].hi)
            found[nf++] = t;
    }
    if (nf == 1 || (nf > 1 && fold != TM_TZ_REJECT)) {
        t = fold == TM_TZ_LATER && !day_start ? found[nf - 1] : found[0];
        goto done;
    }
    if (nf > 1)
        return tm_error_set(err, TM_EINVAL, "time zone %s: local time %04d-%02d-%02dT%02d:%02d:"
                            "%02d happens twice (clocks go back)", tz->name, (int)c->year,
                            c->month, c->day, c->hour, c->minute, c->second);
    /* A gap: the clocks jump over `local` at the start of some span. */
    for (size_t i = 1; i < n; i++) {
        int64_t at = sp[i].lo;
        if (at + sp[i - 1].utoff <= local && local < at + sp[i].utoff) {
            if (fold == TM_TZ_REJECT && !day_start)
                return tm_error_set(err, TM_EINVAL, "time zone %s: local time %04d-%02d-%02dT"
                                    "%02d:%02d:%02d does not exist (clocks skip it)", tz->name,
                                    (int)c->year, c->month, c->day, c->hour, c->minute,
                                    c->second);
            t = day_start ? at : local - sp[i - 1].utoff;
            goto done;
        }
    }
    return tm_error_set(err, TM_ERANGE, "time zone %s: no instant has local time %04d-%02d-%02d"
                        "T%02d:%02d:%02d", tz->name, (int)c->year, c->month, c->day, c->hour,
                        c->minute, c->second);
done:
    if (t < TM_TIME_MIN || t > TM_TIME_MAX)
        return tm_error_set(err, TM_ERANGE, "time zone %s: local time %04d-%02d-%02d is outside "
                            "the supported years", tz->name, (int)c->year, c->month, c->day);
    *utc = t;
    return TM_OK;
}

/* Local -> UTC (public). */
int tm_tz_from_local(const tm_tz *tz, const struct tm_civil *local, enum tm_tz_fold fold,
                     int64_t *utc, struct tm_error *err)
{
    return from_local(tz, local, fold, false, utc, err);
}

/* First instant of a local date. */
int tm_tz_day_start(const tm_tz *tz, const struct tm_date *date, int64_t *utc,
                    struct tm_error *err)
{
    struct tm_civil c = {date->year, date->month, date->day, 0, 0, 0};

    return from_local(tz, &c, TM_TZ_EARLIER, true, utc, err);
}

/* Local RFC 3339. */
size_t tm_tz_format(const tm_tz *tz, int64_t utc, char *buf)
{
    struct tm_local l;

    if (tm_tz_to_local(tz, utc, &l) != TM_OK) {
        buf[0] = '\0';
        return 0;
    }
    if (l.utc_offset == 0) {
        /* "+00:00" keeps a zone's own reading distinct from a UTC stamp. */
        size_t n = tm_time_format(utc, 0, 0, buf);
        if (n > 0 && strcmp(tz->name, "UTC") != 0 && strcmp(tz->name, "Z") != 0) {
            memcpy(buf + n - 1, "+00:00", 7);
            n += 5;
        }
        return n;
    }
    return tm_time_format(utc, 0, l.utc_offset, buf);
}
