/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the shared pieces of the record modules: the finding table and lists, the
 * tag=value tokenizer, names, URIs, quoting, the query log, and the rule that docs/records.md
 * lists every finding code.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/policy/finding.h"
#include "scanner/policy/lookup.h"
#include "scanner/policy/psl.h"
#include "scanner/policy/record_int.h"
#include "tests/unit/test.h"

static void test_finding_table_is_consistent(void **state)
{
	for (int i = 0; i < ZS_FIND_COUNT_; i++) {
		const char *name = zs_finding_name((enum zs_finding_code)i);
		enum zs_finding_code back;
		assert_int_equal(zs_finding_parse(name, &back), 0);
		assert_int_equal(back, i); /* names are unique */
		assert_non_null(strchr(name, '.'));
	}
	enum zs_finding_code c;
	assert_int_equal(zs_finding_parse("no.such_code", &c), ZS_ERR_NOTFOUND);
	assert_string_equal(zs_finding_name(ZS_FIND_COUNT_), "invalid");
	assert_int_equal(zs_finding_severity(ZS_FIND_DMARC_P_MISSING), ZS_SEV_ERROR);
	assert_string_equal(zs_severity_name(ZS_SEV_WARN), "warn");
}

static void test_finding_codes_documented(void **state)
{
	FILE *f = fopen(ZS_SOURCE_DIR "/docs/records.md", "rb");
	assert_non_null(f);
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	(void)fclose(f);
	doc[n] = '\0';
	for (int i = 0; i < ZS_FIND_COUNT_; i++) {
		char row[96];
		enum zs_finding_code code = (enum zs_finding_code)i;
		(void)snprintf(row, sizeof(row), "| `%s` | %s |", zs_finding_name(code),
		               zs_severity_name(zs_finding_severity(code)));
		if (strstr(doc, row) == NULL) {
			fail_msg("docs/records.md has no row \"%s\"", row);
		}
	}
}

static void test_findings_list_cap_and_json(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_findings f = { 0 };
	for (int i = 0; i < ZS_FINDINGS_MAX + 3; i++) {
		zs_findings_add(&a, &f, i == 0 ? ZS_FIND_DMARC_SYNTAX : ZS_FIND_DMARC_TAG_UNKNOWN,
		                "finding %d", i);
	}
	assert_int_equal(f.count, ZS_FINDINGS_MAX);
	assert_int_equal(f.dropped, 3);
	assert_int_equal(zs_findings_count(&f, ZS_SEV_ERROR), 1);
	assert_string_equal(zs_findings_find(&f, ZS_FIND_DMARC_SYNTAX)->message, "finding 0");
	struct zs_buf b;
	zs_buf_init(&b, 1 << 16);
	struct zs_json j;
	zs_json_init(&j, &b);
	zs_findings_json(&j, &f);
	assert_int_equal(zs_json_error(&j), 0);
	assert_non_null(strstr(
	        zs_buf_cstr(&b),
	        "{\"code\":\"dmarc.syntax\",\"severity\":\"error\",\"message\":\"finding 0\"}"));
	assert_non_null(strstr(zs_buf_cstr(&b), "\"code\":\"findings.dropped\""));
	assert_non_null(strstr(zs_buf_cstr(&b), "\"count\":3"));
	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
}

static void test_taglist_elements(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs__taglist tl;
	const char s[] = " a = b c ;;x;1y=2; z=\x01; p=abc== ; ";
	zs__taglist_parse(&a, s, sizeof(s) - 1, 0, &tl);
	assert_true(tl.leading_space);
	assert_true(tl.trailing_sep);
	assert_true(tl.trailing_space);
	assert_int_equal(tl.count, 6);
	assert_int_equal(tl.tag[0].err, ZS__TAG_OK);
	assert_true(zs__eq(tl.tag[0].name, tl.tag[0].name_len, "a"));
	assert_true(zs__eq(tl.tag[0].value, tl.tag[0].value_len, "b c"));
	assert_int_equal(tl.tag[1].err, ZS__TAG_EMPTY);
	assert_int_equal(tl.tag[2].err, ZS__TAG_NO_EQUALS);
	assert_int_equal(tl.tag[3].err, ZS__TAG_BAD_NAME);
	assert_int_equal(tl.tag[4].err, ZS__TAG_BAD_VALUE);
	assert_int_equal(tl.tag[4].err_pos, 21);
	assert_true(zs__eq(tl.tag[5].value, tl.tag[5].value_len, "abc=="));

	zs__taglist_parse(&a, "1y=2; a-b.c=d", 13, ZS__TAGS_EXT_NAMES, &tl);
	assert_int_equal(tl.tag[0].err, ZS__TAG_OK);
	assert_int_equal(tl.tag[1].err, ZS__TAG_OK);
	zs__taglist_parse(&a, "a=b\r\n c", 7, ZS__TAGS_FWS, &tl);
	assert_int_equal(tl.tag[0].err, ZS__TAG_OK);
	zs__taglist_parse(&a, "a=b\r\n c", 7, 0, &tl);
	assert_int_equal(tl.tag[0].err, ZS__TAG_BAD_VALUE);
	zs__taglist_parse(&a, "", 0, 0, &tl);
	assert_int_equal(tl.count, 0);
	zs_arena_deinit(&a);
}

static void test_names_and_uris(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	char label64[80];
	memset(label64, 'a', 64);
	label64[64] = '\0';
	assert_true(zs__dname_valid("example.com", 11));
	assert_false(zs__dname_valid("example..com", 12));
	assert_false(zs__dname_valid(label64, 64));
	assert_null(zs__dname_join(&a, label64, "example.com"));
	assert_string_equal(zs__dname_join(&a, "_dmarc", "example.com"), "_dmarc.example.com");
	assert_int_equal(zs__dname_labels("a.b.c"), 3);
	assert_string_equal(zs__dname_rightmost("a.b.c.d", 2), "c.d");
	assert_null(zs__dname_parent("com"));
	assert_true(zs__dname_within("a.example.com", "example.com"));
	assert_false(zs__dname_within("aexample.com", "example.com"));
	assert_true(zs__hostname_valid("mx-1.example.com.", 17));
	assert_false(zs__hostname_valid("-mx.example.com", 15));
	assert_false(zs__hostname_valid("mx_1.example.com", 16));

	size_t scheme = 0;
	assert_true(zs__uri_valid("mailto:a@b.example?subject=x%20y", 32, &scheme));
	assert_int_equal(scheme, 6);
	assert_false(zs__uri_valid("mailto:a@b,c", 12, &scheme));
	assert_false(zs__uri_valid("1http://x", 9, &scheme));
	assert_false(zs__uri_valid("http://x/%zz", 12, &scheme));
	assert_false(zs__uri_valid("no-scheme", 9, &scheme));
	assert_string_equal(zs__mailto_domain(&a, "MAILTO:x@Example.COM", 20), "example.com");
	assert_null(zs__mailto_domain(&a, "mailto://abuse.com", 18));
	assert_null(zs__mailto_domain(&a, "mailto:@example.com", 19));

	uint64_t v = 0;
	assert_true(zs__parse_u64("18446744073709551615", 20, &v));
	assert_false(zs__parse_u64("18446744073709551616", 20, &v));
	assert_false(zs__parse_u64("-1", 2, &v));
	assert_false(zs__parse_u64("", 0, &v));

	char big[200];
	memset(big, 'x', sizeof(big));
	const char *q = zs__quote(&a, big, sizeof(big));
	assert_non_null(strstr(q, "... (200 bytes)"));
	assert_string_equal(zs__quote(&a, "a\0\n\"", 4), "\"a\\x00\\x0a\"\"");
	zs_arena_deinit(&a);
}

static void test_query_log(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_query_log log = { 0 };
	for (int i = 0; i < 20; i++) {
		(void)zs__query_log_add(&a, &log, ZS_RR_TXT, zs_arena_printf(&a, "n%d.example", i),
		                        0, (size_t)i);
	}
	struct zs_lookup need[8];
	size_t n = 0;
	assert_int_equal(zs__query_log_step(&log, need, 8, &n), ZS_POLICY_NEED_LOOKUP);
	assert_int_equal(n, 8);
	assert_int_equal(need[0].id, 1);
	const char *chain[] = { "target.example" };
	struct zs_answer ans = { .status = ZS_DNS_NOERROR, .cname = chain, .cname_count = 1 };
	struct zs_query *q = zs__query_log_answer(&a, &log, 3, &ans);
	assert_non_null(q);
	assert_int_equal(q->index, 2);
	assert_string_equal(q->cname[0], "target.example");
	assert_true(q->cname[0] != chain[0]); /* copied */
	assert_null(zs__query_log_answer(&a, &log, 3, &ans));
	assert_null(zs__query_log_answer(&a, &log, 9, &ans)); /* not handed out */
	assert_null(zs__query_log_answer(&a, &log, 0, &ans));
	assert_int_equal(zs__query_log_step(&log, need, 8, &n), ZS_POLICY_NEED_LOOKUP);
	assert_int_equal(zs__query_log_step(&log, need, 8, &n), ZS_POLICY_NEED_LOOKUP);
	assert_int_equal(n, 4);
	assert_int_equal(zs__query_log_step(&log, need, 8, &n), ZS_POLICY_WAIT);
	for (uint32_t id = 1; id <= 20; id++) {
		(void)zs__query_log_answer(&a, &log, id, &ans);
	}
	assert_int_equal(zs__query_log_step(&log, need, 8, &n), ZS_POLICY_DONE);
	assert_non_null(zs_query_log_find(&log, "n7.example", ZS_RR_TXT));
	assert_null(zs_query_log_find(&log, "n7.example", ZS_RR_MX));
	zs_arena_deinit(&a);
}

static void test_psl_system_list(void **state)
{
	struct zs_psl *p = NULL;
	assert_int_equal(zs_psl_open_system(&p), 0);
	struct zs_arena a;
	zs_arena_init(&a);
	assert_string_equal(zs_psl_org_domain(p, "www.Example.co.uk", &a), "example.co.uk");
	assert_null(zs_psl_org_domain(p, "co.uk", &a));
	assert_true(zs_psl_is_public_suffix(p, "bank", &a));
	assert_false(zs_psl_is_public_suffix(p, "example.bank", &a));
	zs_arena_deinit(&a);
	zs_psl_close(p);
	assert_int_equal(zs_psl_open_file("/nonexistent/zonesweep.dat", &p), ZS_ERR_PARSE);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding_table_is_consistent),
		cmocka_unit_test(test_finding_codes_documented),
		cmocka_unit_test(test_findings_list_cap_and_json),
		cmocka_unit_test(test_taglist_elements),
		cmocka_unit_test(test_names_and_uris),
		cmocka_unit_test(test_query_log),
		cmocka_unit_test(test_psl_system_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
