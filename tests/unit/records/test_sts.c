/* SPDX-License-Identifier: MIT */
/* Unit tests of scanner/policy/sts.c: MTA-STS, TLS-RPT and BIMI records and their lookups. */
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/sts.h"
#include "tests/unit/records/fakedns.h"
#include "tests/unit/test.h"

static void test_mtasts_parse(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_mtasts_record r;
	const char *ok = "v=STSv1; id=20240101T000000;";
	zs_mtasts_parse(&a, ok, strlen(ok), &r);
	assert_true(r.valid);
	assert_string_equal(r.id, "20240101T000000");
	assert_int_equal(r.findings.count, 0);

	const char *ext = "v=STSv1 ; id=abc ; x-ext.1=some:value";
	zs_mtasts_parse(&a, ext, strlen(ext), &r);
	assert_true(r.valid);
	assert_int_equal(r.extensions, 1);

	static const struct {
		const char *text;
		enum zs_finding_code code;
	} bad[] = {
		{ "v=STSv1;", ZS_FIND_MTASTS_ID_MISSING },
		{ "v=STSv1; id=0123456789012345678901234567890123", ZS_FIND_MTASTS_ID_INVALID },
		{ "v=STSv1; id=a-b", ZS_FIND_MTASTS_ID_INVALID },
		{ "id=1; v=STSv1", ZS_FIND_MTASTS_V_NOT_FIRST },
		{ "v=STSv2; id=1", ZS_FIND_MTASTS_V_NOT_FIRST },
		{ "v=STSv1; id=1; id=2", ZS_FIND_MTASTS_TAG_DUPLICATE },
		{ "v=STSv1; id=1; x=a=b", ZS_FIND_MTASTS_EXT_INVALID },
		{ "v=STSv1; id=1; junk", ZS_FIND_MTASTS_SYNTAX },
		{ " v=STSv1; id=1", ZS_FIND_MTASTS_SYNTAX },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zs_mtasts_parse(&a, bad[i].text, strlen(bad[i].text), &r);
		assert_false(r.valid);
		assert_true(zs_findings_has(&r.findings, bad[i].code));
	}
	zs_arena_deinit(&a);
}

static void test_tlsrpt_parse(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_tlsrpt_record r;
	const char *ok = "v=TLSRPTv1; rua=mailto:tls@example.com, https://r.example.com/v1";
	zs_tlsrpt_parse(&a, ok, strlen(ok), &r);
	assert_true(r.valid);
	assert_int_equal(r.rua_count, 2);
	assert_string_equal(r.rua[1], "https://r.example.com/v1");

	const char *ftp = "v=TLSRPTv1; rua=ftp://r.example.com";
	zs_tlsrpt_parse(&a, ftp, strlen(ftp), &r);
	assert_true(r.valid);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_TLSRPT_URI_SCHEME));

	static const struct {
		const char *text;
		enum zs_finding_code code;
	} bad[] = {
		{ "v=TLSRPTv1;", ZS_FIND_TLSRPT_RUA_MISSING },
		{ "v=TLSRPTv1; rua=tls@example.com", ZS_FIND_TLSRPT_URI_INVALID },
		{ "v=TLSRPTv1; rua=mailto:nobody", ZS_FIND_TLSRPT_URI_INVALID },
		{ "rua=mailto:a@b.example; v=TLSRPTv1", ZS_FIND_TLSRPT_V_NOT_FIRST },
		{ "v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example",
		  ZS_FIND_TLSRPT_TAG_DUPLICATE },
		{ "v=TLSRPTv1; rua=mailto:a@b.example; -x=1", ZS_FIND_TLSRPT_SYNTAX },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zs_tlsrpt_parse(&a, bad[i].text, strlen(bad[i].text), &r);
		assert_false(r.valid);
		assert_true(zs_findings_has(&r.findings, bad[i].code));
	}
	zs_arena_deinit(&a);
}

static void test_bimi_parse(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_bimi_record r;
	const char *ok = "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem";
	zs_bimi_parse(&a, ok, strlen(ok), &r);
	assert_true(r.valid);
	assert_string_equal(r.l, "https://example.com/logo.svg");
	assert_int_equal(r.findings.count, 0);

	const char *declined = "v=BIMI1; l=; a=;";
	zs_bimi_parse(&a, declined, strlen(declined), &r);
	assert_true(r.valid);
	assert_true(r.declined);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_BIMI_DECLINED));

	const char *nosvg = "v=BIMI1; l=https://example.com/logo.png; s=x";
	zs_bimi_parse(&a, nosvg, strlen(nosvg), &r);
	assert_true(r.valid);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_BIMI_L_NOT_SVG));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_BIMI_A_MISSING));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_BIMI_TAG_UNKNOWN));

	static const struct {
		const char *text;
		enum zs_finding_code code;
	} bad[] = {
		{ "v=BIMI1;", ZS_FIND_BIMI_L_MISSING },
		{ "v=BIMI1; l=http://example.com/logo.svg", ZS_FIND_BIMI_L_NOT_HTTPS },
		{ "v=BIMI1; l=https://example.com/l.svg; a=http://example.com/v.pem",
		  ZS_FIND_BIMI_A_NOT_HTTPS },
		{ "l=https://example.com/l.svg; v=BIMI1", ZS_FIND_BIMI_V_NOT_FIRST },
		{ "v=BIMI1; l=https://e.example/a.svg; l=https://e.example/b.svg",
		  ZS_FIND_BIMI_TAG_DUPLICATE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zs_bimi_parse(&a, bad[i].text, strlen(bad[i].text), &r);
		assert_false(r.valid);
		assert_true(zs_findings_has(&r.findings, bad[i].code));
	}
	zs_arena_deinit(&a);
}

static void test_sts_machine(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_mta-sts.example.com", "v=STSv1; id=1");
	fake_txt(z, "_mta-sts.example.com", "unrelated");
	fake_txt(z, "_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:a@example.com");
	fake_txt(z, "_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:b@example.com");
	fake_fail(z, "default._bimi.example.com", ZS_RR_TXT, ZS_DNS_TIMEOUT);
	struct zs_sts_ctx *c = zs_sts_new(&a, "example.com");
	struct fake_stats st;
	assert_int_equal(fake_drive(z, &zs_sts_lookup_ops, c, 8, FAKE_REVERSE, &st), 0);
	assert_int_equal(st.max_outstanding, 3);
	const struct zs_sts_result *r = zs_sts_result(c);
	assert_int_equal(r->mtasts.outcome, ZS_STS_RECORD);
	assert_true(r->mtasts.mtasts[0].valid);
	assert_int_equal(r->mtasts.other_total, 1);
	assert_int_equal(r->tlsrpt.outcome, ZS_STS_MULTIPLE);
	assert_int_equal(r->bimi.outcome, ZS_STS_DNS_ERROR);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_TLSRPT_MULTIPLE));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_BIMI_LOOKUP_FAILED));

	struct zs_buf b;
	zs_buf_init(&b, 1 << 16);
	struct zs_json j;
	zs_json_init(&j, &b);
	zs_sts_result_json(&j, r);
	assert_int_equal(zs_json_error(&j), 0);
	assert_non_null(strstr(zs_buf_cstr(&b), "\"mta_sts\":{\"name\":\"_mta-sts.example.com\""));
	assert_non_null(strstr(zs_buf_cstr(&b), "\"outcome\":\"multiple\""));
	zs_buf_deinit(&b);

	/* nothing published: three NXDOMAIN, no finding */
	z = fake_zone_new(&a);
	c = zs_sts_new(&a, "example.org");
	assert_int_equal(fake_drive(z, &zs_sts_lookup_ops, c, 1, FAKE_FIFO, NULL), 0);
	r = zs_sts_result(c);
	assert_int_equal(r->mtasts.outcome, ZS_STS_NONE);
	assert_int_equal(r->bimi.status, ZS_DNS_NXDOMAIN);
	assert_int_equal(r->findings.count, 0);
	zs_arena_deinit(&a);
}

static void test_sts_binary_records(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	const char bin[] = "v=STSv1; id=\0\x01\x7f\xff";
	struct zs_mtasts_record m;
	zs_mtasts_parse(&a, bin, sizeof(bin) - 1, &m);
	assert_false(m.valid);
	assert_int_equal(m.len, sizeof(bin) - 1);
	struct zs_tlsrpt_record t;
	zs_tlsrpt_parse(&a, bin, sizeof(bin) - 1, &t);
	assert_false(t.valid);
	struct zs_bimi_record b;
	zs_bimi_parse(&a, "", 0, &b);
	assert_false(b.valid);
	zs_arena_deinit(&a);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtasts_parse),       cmocka_unit_test(test_tlsrpt_parse),
		cmocka_unit_test(test_bimi_parse),         cmocka_unit_test(test_sts_machine),
		cmocka_unit_test(test_sts_binary_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
