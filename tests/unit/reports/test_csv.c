/* SPDX-License-Identifier: MIT */
/* CSV cells: RFC 4180 quoting, formula neutralisation, escaping of untrusted bytes. */
#include <string.h>

#include "reports/csv.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "tests/unit/test.h"

static void cell_is(const char *in, size_t n, bool shown, const char *want)
{
	struct zs_buf line;
	zs_buf_init(&line, 4096);
	if (shown) {
		assert_int_equal(zs_csv_cell_shown(&line, true, in), 0);
	} else {
		assert_int_equal(zs_csv_cell(&line, true, in, n), 0);
	}
	assert_string_equal(zs_buf_cstr(&line), want);
	zs_buf_deinit(&line);
}

static void test_csv_cell_plain_unquoted(void **state)
{
	(void)state;
	cell_is("v=spf1 mx -all", 14, false, "v=spf1 mx -all");
	cell_is("", 0, false, "");
	cell_is("Müller", strlen("Müller"), false, "Müller");
}

static void test_csv_cell_quoting(void **state)
{
	(void)state;
	cell_is("a,b", 3, false, "\"a,b\"");
	cell_is("say \"hi\"", 8, false, "\"say \"\"hi\"\"\"");
	cell_is(" lead", 5, false, "\" lead\"");
	cell_is("trail ", 6, false, "\"trail \"");
}

static void test_csv_cell_formula_neutralised(void **state)
{
	(void)state;
	cell_is("=HYPERLINK(\"http://x\",\"y\")", 26, false,
	        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	cell_is("+cmd|' /C calc'!A0", 18, false, "\"'+cmd|' /C calc'!A0\"");
	cell_is("-2+3", 4, false, "\"'-2+3\"");
	cell_is("@SUM(1)", 7, false, "\"'@SUM(1)\"");
	/* tab and CR are escaped before they could start a cell: no raw control byte */
	cell_is("\t=1", 3, false, "\\x09=1");
	cell_is("\r\nBcc: x", 8, false, "\\x0d\\x0aBcc: x");
}

static void test_csv_cell_untrusted_bytes(void **state)
{
	(void)state;
	cell_is("bin\0ary\x80\xff", 9, false, "bin\\x00ary\\x80\\xff");
	cell_is("back\\slash", 10, false, "back\\x5cslash");
}

static void test_csv_cell_shown_keeps_escapes(void **state)
{
	(void)state;
	/* database text is already escaped: its backslashes stay as they are */
	cell_is("bin\\x00ary", 0, true, "bin\\x00ary");
	cell_is("=1+1", 0, true, "\"'=1+1\"");
	cell_is("line\r\nBcc", 0, true, "line\\x0d\\x0aBcc");
	cell_is(NULL, 0, true, "");
}

static void test_csv_cell_separators(void **state)
{
	struct zs_buf line;
	(void)state;
	zs_buf_init(&line, 64);
	assert_int_equal(zs_csv_cell_str(&line, true, "a"), 0);
	assert_int_equal(zs_csv_cell_str(&line, false, NULL), 0);
	assert_int_equal(zs_csv_cell_str(&line, false, "c"), 0);
	assert_string_equal(zs_buf_cstr(&line), "a,,c");
	zs_buf_deinit(&line);
}

static void test_csv_cell_too_big(void **state)
{
	struct zs_buf line;
	(void)state;
	zs_buf_init(&line, 8);
	assert_int_equal(zs_csv_cell_str(&line, true, "0123456789abcdef"), ZS_ERR_TOOBIG);
	zs_buf_deinit(&line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cell_plain_unquoted),
		cmocka_unit_test(test_csv_cell_quoting),
		cmocka_unit_test(test_csv_cell_formula_neutralised),
		cmocka_unit_test(test_csv_cell_untrusted_bytes),
		cmocka_unit_test(test_csv_cell_shown_keeps_escapes),
		cmocka_unit_test(test_csv_cell_separators),
		cmocka_unit_test(test_csv_cell_too_big),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
