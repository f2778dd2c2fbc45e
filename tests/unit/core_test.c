/*
 * Unit tests of the core module (include/tokenmeter/core.h): the error
 * record every constructor fills and the result-code descriptions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
    };
    size_t n = sizeof(known) / sizeof(known[0]);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(tm_strerror(known[i].code), known[i].text);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(tm_strerror(known[i].code), tm_strerror(known[j].code));
    }
    assert_string_equal(tm_strerror(-9), "unknown error");
    assert_string_equal(tm_strerror(1), "unknown error");
    assert_string_equal(tm_strerror(INT32_MIN), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_formats),
        cmocka_unit_test(test_error_set_null),
        cmocka_unit_test(test_error_set_truncates),
        cmocka_unit_test(test_result_codes_stable),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
