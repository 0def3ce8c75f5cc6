/* SPDX-License-Identifier: MIT */
/* Shown text, HTML escaping, zone-file TXT presentation, UTC times. */
#include <string.h>

#include "reports/text.h"
#include "scanner/base/buf.h"
#include "tests/unit/test.h"

static void html_is(const char *in, size_t n, const char *want)
{
	struct zs_buf b;
	zs_buf_init(&b, 4096);
	assert_int_equal(zs_text_html(&b, in, n), 0);
	assert_string_equal(zs_buf_cstr(&b), want);
	zs_buf_deinit(&b);
}

static void test_text_html_entities(void **state)
{
	(void)state;
	html_is("<script>alert(1)</script>", 25, "&lt;script&gt;alert(1)&lt;/script&gt;");
	html_is("a & \"b\" 'c'", 11, "a &amp; &quot;b&quot; &#39;c&#39;");
	html_is("Müller", strlen("Müller"), "Müller");
}

static void test_text_html_control_bytes(void **state)
{
	(void)state;
	html_is("bin\0ary\x80\xff\r\nBcc: x", 17, "bin\\x00ary\\x80\\xff\\x0d\\x0aBcc: x");
	/* already escaped text is not escaped again */
	html_is("bin\\x00", 7, "bin\\x00");
}

static void test_text_shown_invisible_code_points(void **state)
{
	struct zs_buf b;
	(void)state;
	zs_buf_init(&b, 256);
	/* a right-to-left override and a zero-width space would hide or reorder text */
	const char *in = "a\xe2\x80\xae"
	                 "b\xe2\x80\x8b"
	                 "c\xc2\x85";
	assert_false(zs_text_is_shown(in, strlen(in)));
	assert_int_equal(zs_text_shown(&b, in, strlen(in)), 0);
	assert_string_equal(zs_buf_cstr(&b), "a\\xe2\\x80\\xaeb\\xe2\\x80\\x8bc\\xc2\\x85");
	assert_true(zs_text_is_shown("Grüße", strlen("Grüße")));
	zs_buf_deinit(&b);
}

static void test_text_zone_txt(void **state)
{
	struct zs_buf b;
	uint8_t big[300];
	(void)state;
	zs_buf_init(&b, 4096);
	assert_int_equal(zs_text_zone_txt(&b, (const uint8_t *)"a\"b\\c\0\r\n\xff", 9), 0);
	assert_string_equal(zs_buf_cstr(&b), "\"a\\\"b\\\\c\\000\\013\\010\\255\"");
	zs_buf_reset(&b);
	assert_int_equal(zs_text_zone_txt(&b, (const uint8_t *)"", 0), 0);
	assert_string_equal(zs_buf_cstr(&b), "\"\"");
	/* longer than a character-string: split at 255 bytes */
	memset(big, 'x', sizeof(big));
	zs_buf_reset(&b);
	assert_int_equal(zs_text_zone_txt(&b, big, sizeof(big)), 0);
	assert_int_equal(b.len, 255 + 2 + 1 + 45 + 2);
	assert_int_equal(b.data[256], '"');
	assert_int_equal(b.data[257], ' ');
	zs_buf_deinit(&b);
}

static void test_text_time(void **state)
{
	char buf[64];
	(void)state;
	assert_string_equal(zs_text_time(buf, sizeof(buf), 1795435200, 0), "2026-11-23T12:00:00Z");
	assert_string_equal(zs_text_time(buf, sizeof(buf), 1795435200, 1), "2026-11-23 12:00 UTC");
	assert_string_equal(zs_text_time(buf, sizeof(buf), 1795435200, 2), "2026-11-23");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_html_entities),
		cmocka_unit_test(test_text_html_control_bytes),
		cmocka_unit_test(test_text_shown_invisible_code_points),
		cmocka_unit_test(test_text_zone_txt),
		cmocka_unit_test(test_text_time),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
