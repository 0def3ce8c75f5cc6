/* SPDX-License-Identifier: MIT */
/*
 * The HTML page: its Content-Security-Policy names the SHA-256 of exactly the inline style and
 * script the page carries (so the browser runs them and nothing else), the page has no
 * external reference, and its per-domain rows escape what came from DNS.
 */
#include <string.h>

#include <openssl/evp.h>

#include "reports/html.h"
#include "scanner/base/buf.h"
#include "tests/unit/test.h"

/* The text between open and close in s. */
static char *between(const char *s, const char *open, const char *close)
{
	const char *a = strstr(s, open);
	assert_non_null(a);
	a += strlen(open);
	const char *b = strstr(a, close);
	assert_non_null(b);
	return zs_strndup(a, (size_t)(b - a));
}

static void expect_hash(const char *csp, const char *text)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	unsigned char b64[128];
	char want[160];
	assert_int_equal(EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL), 1);
	EVP_EncodeBlock(b64, md, (int)len);
	snprintf(want, sizeof(want), "'sha256-%s'", b64);
	assert_non_null(strstr(csp, want));
}

static void test_html_csp_matches_inline_code(void **state)
{
	struct zs_buf b;
	(void)state;
	zs_buf_init(&b, 1 << 20);
	assert_int_equal(zs_html_page_begin(&b, "t <x>"), 0);
	assert_int_equal(zs_html_page_end(&b), 0);
	const char *page = zs_buf_cstr(&b);
	char *csp = between(page, "Content-Security-Policy\" content=\"", "\"");
	char *style = between(page, "<style>", "</style>");
	char *script = between(page, "<script>", "</script>");
	assert_non_null(strstr(csp, "default-src 'none'"));
	expect_hash(csp, style);
	expect_hash(csp, script);
	/* self-contained: no reference to anything outside the file */
	assert_null(strstr(page, "http://"));
	assert_null(strstr(page, "src="));
	assert_null(strstr(page, "href="));
	assert_non_null(strstr(page, "<title>t &lt;x&gt;</title>"));
	zs_free(csp);
	zs_free(style);
	zs_free(script);
	zs_buf_deinit(&b);
}

static void test_html_table_row_escapes(void **state)
{
	struct zs_db_rule_count rules[1] = { { .rule = (char *)"POST-MX-SPF" } };
	struct zs_db_report_summary s = { .rules = rules, .rule_count = 1 };
	struct zs_db_verdict_row v = { .rule = "POST-MX-SPF",
		                       .verdict = ZS_DB_FAIL,
		                       .reason = "found \"<img src=x onerror=alert(1)>\"\r\n" };
	struct zs_db_report_row row = { .domain = "x.post", .verdicts = &v, .verdict_count = 1 };
	struct zs_buf b;
	(void)state;
	row.facts[ZS_DB_FACT_SPF_RECORD] = "v=spf1 <b>bold</b> \\x00 -all";
	zs_buf_init(&b, 1 << 20);
	assert_int_equal(zs_html_table_row(&b, &s, &row), 0);
	const char *html = zs_buf_cstr(&b);
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>"));
	assert_null(strchr(html, '\r'));
	assert_non_null(strstr(html, "title=\"found &quot;&lt;img src=x onerror=alert(1)&gt;"
	                             "&quot;\\x0d\\x0a\">fail</td>"));
	assert_non_null(strstr(html, "<code>v=spf1 &lt;b&gt;bold&lt;/b&gt; \\x00 -all</code>"));
	zs_buf_deinit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_csp_matches_inline_code),
		cmocka_unit_test(test_html_table_row_escapes),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
