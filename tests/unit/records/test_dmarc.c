/* SPDX-License-Identifier: MIT */
/* Unit tests of scanner/policy/dmarc.c and dmarc_discovery.c. */
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/policy/dmarc.h"
#include "scanner/policy/psl.h"
#include "tests/unit/records/fakedns.h"
#include "tests/unit/test.h"

static struct zs_psl *psl;

static int setup(void **state)
{
	return zs_psl_open_file(ZS_SHARED_DIR "/conformance/psl/public_suffix_list.dat", &psl);
}

static int teardown(void **state)
{
	zs_psl_close(psl);
	return 0;
}

static void parse(struct zs_arena *a, const char *text, struct zs_dmarc_record *r)
{
	zs_dmarc_parse(a, text, strlen(text), 0, r);
}

static const struct zs_dmarc_result *discover(struct zs_arena *a, struct fake_zone *z,
                                              const char *domain, unsigned flags)
{
	struct zs_dmarc_opts opts = { .psl = psl, .flags = flags };
	struct zs_dmarc_ctx *c = zs_dmarc_new(a, domain, &opts);
	assert_int_equal(fake_drive(z, &zs_dmarc_lookup_ops, c, 4, FAKE_REVERSE, NULL), 0);
	return zs_dmarc_result(c);
}

static void test_dmarc_parse_every_tag(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dmarc_record r;
	parse(&a,
	      "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=100; "
	      "rua=mailto:agg@example.com!10m,https://r.example.net/x; ruf=mailto:f@example.com; "
	      "fo=1:d; rf=afrf; ri=3600; psd=n; t=n",
	      &r);
	assert_true(r.valid);
	assert_int_equal(r.p, ZS_DMARC_POLICY_REJECT);
	assert_int_equal(r.sp, ZS_DMARC_POLICY_QUARANTINE);
	assert_int_equal(r.np, ZS_DMARC_POLICY_REJECT);
	assert_int_equal(r.adkim, ZS_DMARC_ALIGN_STRICT);
	assert_int_equal(r.aspf, ZS_DMARC_ALIGN_RELAXED);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.ri, 3600);
	assert_int_equal(r.psd, 'n');
	assert_int_equal(r.t, 'n');
	assert_string_equal(r.fo, "1d");
	assert_int_equal(r.rua_count, 2);
	assert_string_equal(r.rua[0].uri, "mailto:agg@example.com");
	assert_true(r.rua[0].has_size);
	assert_int_equal(r.rua[0].size, 10);
	assert_int_equal(r.rua[0].unit, 'm');
	assert_string_equal(r.rua[0].mailto_domain, "example.com");
	assert_null(r.rua[1].mailto_domain);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_URI_SIZE));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_URI_NOT_MAILTO));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_TAG_REMOVED));
	assert_false(zs_findings_has(&r.findings, ZS_FIND_DMARC_RUA_MISSING));

	struct zs_dmarc_effective e;
	zs_dmarc_effective(&r, false, &e);
	assert_int_equal(e.domain, ZS_DMARC_POLICY_REJECT);
	assert_int_equal(e.subdomain, ZS_DMARC_POLICY_QUARANTINE);
	assert_int_equal(e.nonexistent, ZS_DMARC_POLICY_REJECT);
	zs_dmarc_effective(&r, true, &e);
	assert_int_equal(e.domain, ZS_DMARC_POLICY_QUARANTINE); /* inherited: the sp applies */
	zs_arena_deinit(&a);
}

static void test_dmarc_parse_problems_each_reported(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dmarc_record r;
	parse(&a, "v=DMARC1; p=reject; p=none; adkim=x; pct=101; rua=bogus; foo=bar; bad", &r);
	assert_false(r.valid);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_TAG_DUPLICATE));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_VALUE_INVALID));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_URI_INVALID));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_TAG_UNKNOWN));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_SYNTAX));
	assert_int_equal(r.p, ZS_DMARC_POLICY_REJECT); /* the first p= counts */

	parse(&a, "", &r);
	assert_false(r.valid);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_EMPTY));

	parse(&a, " v=DMARC1; p=none", &r);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_LEADING_SPACE));
	assert_false(r.valid);

	parse(&a, "p=none; v=DMARC1", &r);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_V_NOT_FIRST));

	parse(&a, "v=DMARC1; rua=mailto:x@example.com", &r);
	assert_true(r.valid);
	assert_true(r.p_from_rua);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_P_MISSING_RUA));

	parse(&a, "v=DMARC1; p=reject; sp=none; t=y; pct=50; fo=0:1", &r);
	assert_true(r.valid);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_SP_NONE));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_TESTING));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_PCT_PARTIAL));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_FO_REDUNDANT));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_FO_WITHOUT_RUF));

	zs_dmarc_check_parked(&a, &r);
	assert_false(zs_findings_has(&r.findings, ZS_FIND_DMARC_PARKED_P_WEAK));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_PARKED_SP_WEAK));
	zs_arena_deinit(&a);
}

/* A broken tag beside a sound v= and p=: receivers discard the tag and apply p= (RFC 7489 6.3). */
static void test_dmarc_broken_tag_policy_in_force(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dmarc_record r;
	struct zs_dmarc_effective e;

	/* rua= without mailto: (a real .gov record) */
	parse(&a,
	      "v=DMARC1; p=reject; rua=dmarcreports@example.gov; ruf=dmarcfailures@example.gov; "
	      "fo=1; ri=86400",
	      &r);
	assert_false(r.valid);  /* the published record is wrong ... */
	assert_true(r.applies); /* ... and receivers reject on its behalf all the same */
	assert_int_equal(r.discarded, 2);
	assert_false(r.rua_usable);
	zs_dmarc_effective(&r, false, &e);
	assert_int_equal(e.domain, ZS_DMARC_POLICY_REJECT);
	const char *why = zs_dmarc_discarded_text(&a, &r);
	assert_non_null(why);
	assert_non_null(strstr(why, "dmarcreports@example.gov"));
	assert_non_null(strstr(why, "your aggregate reports are not being sent"));
	assert_non_null(strstr(why, "your failure reports are not being sent"));

	/* a missing ";": aspf=r swallows fo=1, relaxed alignment applies, and the finding says why
	 */
	parse(&a, "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.gov; adkim=s; aspf=s fo=1", &r);
	assert_true(r.applies);
	assert_int_equal(r.discarded, 1);
	assert_true(r.rua_usable);
	zs_dmarc_effective(&r, false, &e);
	assert_int_equal(e.domain, ZS_DMARC_POLICY_QUARANTINE);
	assert_int_equal(e.adkim, ZS_DMARC_ALIGN_STRICT);
	assert_int_equal(e.aspf, ZS_DMARC_ALIGN_RELAXED);
	const struct zs_finding *f = zs_findings_find(&r.findings, ZS_FIND_DMARC_VALUE_INVALID);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "looks like the next tag"));
	assert_non_null(strstr(zs_dmarc_discarded_text(&a, &r), "relaxed SPF alignment applies"));

	/* a comma where a ";" belongs: the second URI is "ruf=mailto:..." */
	parse(&a, "v=DMARC1; p=none; rua=mailto:a@example.org, ruf=mailto:b@example.org;", &r);
	assert_true(r.applies);
	assert_int_equal(r.discarded, 1);
	assert_false(r.rua_usable);
	f = zs_findings_find(&r.findings, ZS_FIND_DMARC_URI_INVALID);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "\"ruf=mailto:b@example.org\" looks like the next tag"));
	assert_non_null(strstr(zs_dmarc_discarded_text(&a, &r), "may not be sent"));

	/* pct=, sp= and an element without "=" fall back to their defaults */
	parse(&a, "v=DMARC1; p=reject; pct=1OO; sp=rejekt; oops", &r);
	assert_true(r.applies);
	assert_int_equal(r.discarded, 3);
	zs_dmarc_effective(&r, false, &e);
	assert_int_equal(e.pct, 100);
	assert_int_equal(e.subdomain, ZS_DMARC_POLICY_REJECT);
	assert_int_equal(zs_findings_count(&r.findings, ZS_SEV_WARN) >= 3, true);

	/* a sound record discards nothing */
	parse(&a, "v=DMARC1; p=reject; rua=mailto:d@example.org", &r);
	assert_true(r.valid && r.applies);
	assert_int_equal(r.discarded, 0);
	assert_null(zs_dmarc_discarded_text(&a, &r));
	zs_arena_deinit(&a);
}

/* The record corrected from what the registrant published. */
static void test_dmarc_repair(void **state)
{
	static const char *const cases[][2] = {
		{ "v=DMARC1; p=reject; rua=dmarcreports@example.gov; ruf=dmarcfailures@example.gov; "
		  "fo=1; ri=86400",
		  "v=DMARC1; p=reject; rua=mailto:dmarcreports@example.gov; "
		  "ruf=mailto:dmarcfailures@example.gov; fo=1; ri=86400" },
		{ "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.gov; adkim=r; aspf=r fo=1",
		  "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.gov; adkim=r; aspf=r; fo=1" },
		{ "v=DMARC1; p=none; rua=mailto:a@example.org, ruf=mailto:b@example.org;",
		  "v=DMARC1; p=none; rua=mailto:a@example.org; ruf=mailto:b@example.org" },
		{ "v=DMARC1; p=reject; pct=1OO; sp=reject", "v=DMARC1; p=reject; sp=reject" },
		{ "v=DMARC1;p=reject;oops;adkim=s", "v=DMARC1; p=reject; adkim=s" },
	};
	struct zs_arena a;
	zs_arena_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zs_dmarc_record r;
		parse(&a, cases[i][0], &r);
		const char *got = zs_dmarc_repair(&a, &r);
		if (got == NULL || strcmp(got, cases[i][1]) != 0) {
			fail_msg("repair of \"%s\":\n  got  %s\n  want %s", cases[i][0],
			         got != NULL ? got : "(none)", cases[i][1]);
		}
	}
	struct zs_dmarc_record r;
	parse(&a, "v=DMARC1; p=reject", &r); /* nothing to correct */
	assert_null(zs_dmarc_repair(&a, &r));
	parse(&a, "v=DMARC1; p=rejekt; rua=x@example.org", &r); /* no policy to keep */
	assert_null(zs_dmarc_repair(&a, &r));
	zs_arena_deinit(&a);
}

/* Where the record itself is broken, receivers ignore it: no policy is in force. */
static void test_dmarc_broken_record_does_not_apply(void **state)
{
	static const char *const records[] = {
		"v=DMARC1; p=rejekt; rua=mailto:d@example.org", /* p= broken */
		"v=DMARC1 p=reject",                            /* v= swallows p= */
		"v=DMARC2; p=reject",                           /* wrong version */
		"p=reject; v=DMARC1",                           /* v= not first */
		"v=DMARC1; p=reject; p=none",                   /* a repeated tag, RFC 6376 3.2 */
		"v=DMARC1; p=reject; rua=mailto:a@x.org; rua=mailto:b@x.org",
		" v=DMARC1; p=reject", /* not found at the start */
		"v=DMARC1; adkim=s",   /* no p= and no rua= */
		"",
	};
	struct zs_arena a;
	zs_arena_init(&a);
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		struct zs_dmarc_record r;
		parse(&a, records[i], &r);
		if (r.applies) {
			fail_msg("record %zu (\"%s\") applies", i, records[i]);
		}
		assert_false(r.valid);
		assert_int_equal(r.discarded, 0);
		assert_null(zs_dmarc_discarded_text(&a, &r));
	}
	zs_arena_deinit(&a);
}

/* Discovery puts the policy of a record with a broken tag in force. */
static void test_dmarc_discovery_broken_tag_in_force(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; rua=dmarc@example.com");
	const struct zs_dmarc_result *r = discover(&a, z, "example.com", 0);
	assert_int_equal(r->own.outcome, ZS_DMARC_RECORD);
	assert_int_equal(r->source, ZS_DMARC_SRC_OWN);
	assert_int_equal(r->effective.domain, ZS_DMARC_POLICY_REJECT);
	assert_int_equal(r->dest_count, 0); /* a broken URI names no destination to check */

	/* inherited the same way */
	z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.co.uk", "v=DMARC1; p=quarantine; aspf=x");
	r = discover(&a, z, "mail.example.co.uk", 0);
	assert_int_equal(r->source, ZS_DMARC_SRC_INHERITED);
	assert_int_equal(r->effective.domain, ZS_DMARC_POLICY_QUARANTINE);
	zs_arena_deinit(&a);
}

static void test_dmarc_parse_binary_bytes(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dmarc_record r;
	const char rec[] = "v=DMARC1; p=re\0ject; rua=mailto:\xff@example.com";
	zs_dmarc_parse(&a, rec, sizeof(rec) - 1, 0, &r);
	assert_false(r.valid);
	assert_int_equal(r.len, sizeof(rec) - 1);
	assert_memory_equal(r.text, rec, sizeof(rec) - 1);
	const struct zs_finding *f = zs_findings_find(&r.findings, ZS_FIND_DMARC_SYNTAX);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "\\x00")); /* escaped, never raw */
	for (size_t i = 0; i < r.findings.count; i++) {
		for (const char *p = r.findings.item[i].message; *p != '\0'; p++) {
			assert_true((unsigned char)*p >= 0x20);
		}
	}
	zs_arena_deinit(&a);
}

static void test_dmarc_parse_huge_record(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_buf b;
	zs_buf_init(&b, 1 << 20);
	assert_int_equal(zs_buf_puts(&b, "v=DMARC1; p=none"), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(zs_buf_printf(&b, "; x%d=y", i), 0);
	}
	struct zs_dmarc_record r;
	zs_dmarc_parse(&a, b.data, b.len, 0, &r);
	assert_int_equal(r.len, b.len);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_DMARC_SYNTAX)); /* too many tags, said */
	assert_true(r.findings.dropped > 0); /* the unknown-tag findings beyond the cap, counted */
	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
}

static void test_dmarc_report_auth_record(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dmarc_record r;
	zs_dmarc_parse(&a, "v=DMARC1", 8, ZS_DMARC_PARSE_REPORT_AUTH, &r);
	assert_true(r.valid);
	zs_dmarc_parse(&a, "v=DMARC1", 8, 0, &r);
	assert_false(r.valid);
	zs_arena_deinit(&a);
}

static void test_dmarc_discovery_own_record(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@example.com");
	fake_txt(z, "_dmarc.example.com", "google-site-verification=abc");
	fake_mx(z, "example.com", 10, "mx.example.com");
	fake_txt(z, "_dmarc.com", "v=DMARC1; p=reject");
	const struct zs_dmarc_result *r = discover(&a, z, "Example.COM.", 0);
	assert_string_equal(r->domain, "example.com");
	assert_string_equal(r->org_domain, "example.com");
	assert_int_equal(r->own.outcome, ZS_DMARC_RECORD);
	assert_true(r->own.record->valid);
	assert_int_equal(r->own.other_total, 1);
	assert_int_equal(r->source, ZS_DMARC_SRC_OWN);
	assert_int_equal(r->effective.domain, ZS_DMARC_POLICY_QUARANTINE);
	assert_false(r->walk_done); /* an own record: nothing is inherited */
	assert_null(r->inherited);
	assert_int_equal(r->dest_count, 1);
	assert_false(r->dest[0].external);
	assert_int_equal(r->dest[0].auth, ZS_DMARC_AUTH_NOT_NEEDED);
	assert_int_equal(r->dest[0].mx, ZS_DMARC_MX_PRESENT);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_UNRELATED_TXT));
	assert_int_equal(r->log.count, 2); /* _dmarc.example.com TXT, example.com MX */
	zs_arena_deinit(&a);
}

static void test_dmarc_discovery_inherits_tld_record(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.bank", "v=DMARC1; p=reject; sp=quarantine; psd=y");
	fake_exists(z, "example.bank");
	const struct zs_dmarc_result *r = discover(&a, z, "example.bank", 0);
	assert_int_equal(r->own.outcome, ZS_DMARC_NONE);
	assert_int_equal(r->own.status, ZS_DNS_NXDOMAIN);
	assert_true(r->walk_done);
	assert_non_null(r->inherited);
	assert_string_equal(r->inherited->domain, "bank");
	assert_string_equal(r->inherited->name, "_dmarc.bank");
	assert_true(r->inherited_psd);
	assert_false(r->inherited_at_org);
	assert_int_equal(r->source, ZS_DMARC_SRC_INHERITED);
	assert_int_equal(r->effective.domain, ZS_DMARC_POLICY_QUARANTINE); /* sp of the parent */
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_INHERITED));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_INHERITED_PSD));
	assert_int_equal(r->log.count, 2);
	assert_string_equal(r->log.q[1]->name, "_dmarc.bank");

	/* the same, found at the organizational domain: every receiver applies it */
	z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.co.uk", "v=DMARC1; p=none");
	r = discover(&a, z, "mail.example.co.uk", 0);
	assert_string_equal(r->org_domain, "example.co.uk");
	assert_true(r->inherited_at_org);
	assert_false(r->inherited_psd);
	assert_false(zs_findings_has(&r->findings, ZS_FIND_DMARC_INHERITED_PSD));

	/* with the walk switched off nothing is inherited */
	r = discover(&a, z, "mail.example.co.uk", ZS_DMARC_NO_WALK);
	assert_null(r->inherited);
	assert_int_equal(r->source, ZS_DMARC_SRC_NONE);
	zs_arena_deinit(&a);
}

static void test_dmarc_discovery_failure_is_never_none(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_fail(z, "_dmarc.example.com", ZS_RR_TXT, ZS_DNS_TIMEOUT);
	const struct zs_dmarc_result *r = discover(&a, z, "example.com", 0);
	assert_int_equal(r->own.outcome, ZS_DMARC_DNS_ERROR);
	assert_int_equal(r->own.status, ZS_DNS_TIMEOUT);
	assert_int_equal(r->source, ZS_DMARC_SRC_UNKNOWN);
	assert_false(r->walk_done);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_LOOKUP_FAILED));

	/* a failure on the walk: the inherited policy is unknown, not absent */
	z = fake_zone_new(&a);
	fake_fail(z, "_dmarc.example.com", ZS_RR_TXT, ZS_DNS_SERVFAIL);
	fake_txt(z, "_dmarc.com", "v=DMARC1; p=reject");
	r = discover(&a, z, "a.example.com", 0);
	assert_int_equal(r->own.outcome, ZS_DMARC_NONE);
	assert_non_null(r->inherited);
	assert_int_equal(r->inherited->outcome, ZS_DMARC_DNS_ERROR);
	assert_int_equal(r->source, ZS_DMARC_SRC_UNKNOWN);
	zs_arena_deinit(&a);
}

static void test_dmarc_discovery_multiple_and_cname(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.com", "v=DMARC1; p=none");
	fake_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject");
	const struct zs_dmarc_result *r = discover(&a, z, "example.com", 0);
	assert_int_equal(r->own.outcome, ZS_DMARC_MULTIPLE);
	assert_int_equal(r->own.record_count, 2);
	assert_null(r->own.record);
	assert_int_equal(r->source, ZS_DMARC_SRC_NONE);
	assert_false(r->walk_done);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_MULTIPLE));

	z = fake_zone_new(&a);
	fake_cname(z, "_dmarc.example.org", "example-org.dmarc.provider.net");
	fake_txt(z, "example-org.dmarc.provider.net", "v=DMARC1; p=reject");
	r = discover(&a, z, "example.org", ZS_DMARC_NO_REPORT_MX);
	assert_int_equal(r->own.outcome, ZS_DMARC_RECORD);
	assert_int_equal(r->own.cname_count, 1);
	assert_string_equal(r->own.cname[0], "example-org.dmarc.provider.net");
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_CNAME));
	zs_arena_deinit(&a);
}

static void test_dmarc_discovery_huge_rrset(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	for (int i = 0; i < 3000; i++) {
		fake_txt(z, "_dmarc.example.com", zs_arena_printf(&a, "verification-%d", i));
	}
	/* one DMARC record made of 2000 character-strings */
	const char *strs[2000];
	strs[0] = "v=DMARC1; p=reject";
	for (int i = 1; i < 2000; i++) {
		strs[i] = i % 2 ? ";" : " ";
	}
	fake_txt_strings(z, "_dmarc.example.com", strs, 2000);
	const struct zs_dmarc_result *r = discover(&a, z, "example.com", 0);
	assert_int_equal(r->own.outcome, ZS_DMARC_RECORD);
	assert_int_equal(r->own.other_total, 3000);
	assert_int_equal(r->own.other_count, 16);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_TXT_MANY_RECORDS));
	assert_int_equal(r->own.record->len, strlen("v=DMARC1; p=reject") + 1999);
	assert_int_equal(r->own.record->p, ZS_DMARC_POLICY_REJECT);
	assert_true(zs_findings_has(&r->own.record->findings, ZS_FIND_DMARC_TAG_EMPTY));
	zs_arena_deinit(&a);
}

static void test_dmarc_report_destinations(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.com",
	         "v=DMARC1; p=reject; rua=mailto:a@reports.example.net,mailto:b@nowhere.example; "
	         "ruf=mailto:f@reports.example.net");
	fake_txt(z, "*._report._dmarc.reports.example.net", "v=DMARC1");
	fake_mx(z, "reports.example.net", 10, "mx.reports.example.net");
	fake_exists(z, "nowhere.example");
	const struct zs_dmarc_result *r = discover(&a, z, "example.com", 0);
	assert_int_equal(r->dest_count, 2);
	const struct zs_dmarc_dest *d = &r->dest[0];
	assert_string_equal(d->domain, "reports.example.net");
	assert_true(d->rua && d->ruf && d->external);
	assert_int_equal(d->auth, ZS_DMARC_AUTH_AUTHORIZED);
	assert_true(d->auth_wildcard);
	assert_string_equal(d->auth_name, "example.com._report._dmarc.reports.example.net");
	assert_int_equal(d->mx, ZS_DMARC_MX_PRESENT);
	d = &r->dest[1];
	assert_int_equal(d->auth, ZS_DMARC_AUTH_NO_RECORD);
	assert_int_equal(d->mx, ZS_DMARC_MX_NONE);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_REPORT_UNAUTHORIZED));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_REPORT_NO_MX));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_REPORT_AUTH_WILDCARD));

	/* an authorization lookup that fails is reported as such */
	z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@other.example");
	fake_fail(z, "other.example", 0, ZS_DNS_SERVFAIL);
	fake_fail(z, "example.com._report._dmarc.other.example", 0, ZS_DNS_TIMEOUT);
	r = discover(&a, z, "example.com", 0);
	assert_int_equal(r->dest[0].auth, ZS_DMARC_AUTH_DNS_ERROR);
	assert_int_equal(r->dest[0].mx, ZS_DMARC_MX_DNS_ERROR);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_REPORT_AUTH_FAILED));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_REPORT_MX_FAILED));
	zs_arena_deinit(&a);
}

static void test_dmarc_answer_checks_ids(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dmarc_ctx *c = zs_dmarc_new(&a, "example.com", NULL);
	struct zs_lookup need[4];
	size_t n = 0;
	struct zs_answer ans = { .status = ZS_DNS_NXDOMAIN };
	assert_int_equal(zs_dmarc_answer(c, 1, &ans), ZS_ERR_NOTFOUND); /* not handed out yet */
	assert_int_equal(zs_dmarc_step(c, need, 4, &n), ZS_POLICY_NEED_LOOKUP);
	assert_int_equal(n, 1);
	assert_string_equal(need[0].name, "_dmarc.example.com");
	assert_int_equal(need[0].type, ZS_RR_TXT);
	assert_int_equal(zs_dmarc_step(c, need, 4, &n), ZS_POLICY_WAIT);
	assert_int_equal(zs_dmarc_answer(c, 99, &ans), ZS_ERR_NOTFOUND);
	assert_int_equal(zs_dmarc_answer(c, 1, &ans), 0);
	assert_int_equal(zs_dmarc_answer(c, 1, &ans), ZS_ERR_NOTFOUND); /* answered twice */
	assert_int_equal(zs_dmarc_step(c, need, 4, &n), ZS_POLICY_NEED_LOOKUP);
	assert_string_equal(need[0].name, "_dmarc.com");
	zs_arena_deinit(&a);
}

static void test_dmarc_bad_domain_asks_nothing(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	struct zs_dmarc_ctx *c = zs_dmarc_new(&a, longname, NULL);
	struct zs_lookup need[1];
	size_t n = 0;
	assert_int_equal(zs_dmarc_step(c, need, 1, &n), ZS_POLICY_DONE);
	const struct zs_dmarc_result *r = zs_dmarc_result(c);
	assert_int_equal(r->own.status, ZS_DNS_BADNAME);
	assert_int_equal(r->source, ZS_DMARC_SRC_UNKNOWN);
	zs_arena_deinit(&a);
}

static void test_dmarc_apex_and_no_psl(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "example.com", "v=DMARC1; p=reject");
	fake_txt(z, "_dmarc.com", "v=DMARC1; p=reject");
	struct zs_dmarc_ctx *c = zs_dmarc_new(&a, "example.com", NULL); /* no PSL */
	assert_int_equal(fake_drive(z, &zs_dmarc_lookup_ops, c, 4, FAKE_FIFO, NULL), 0);
	const struct zs_dmarc_result *r = zs_dmarc_result(c);
	assert_null(r->org_domain);
	assert_non_null(r->inherited);
	assert_false(r->inherited_psd); /* unknown without a list, never guessed */
	assert_false(r->inherited_at_org);
	assert_false(zs_findings_has(&r->findings, ZS_FIND_DMARC_RECORD_AT_APEX));
	struct zs_lookup q = { .id = 0, .type = ZS_RR_TXT, .name = "example.com" };
	struct zs_answer apex;
	fake_resolve(z, &q, &a, &apex);
	zs_dmarc_note_apex(c, &apex); /* after the end: still reported */
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DMARC_RECORD_AT_APEX));
	zs_arena_deinit(&a);
}

static void test_dmarc_result_json(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "_dmarc.bank", "v=DMARC1; p=reject; psd=y");
	struct zs_dmarc_opts opts = { .psl = psl };
	struct zs_dmarc_ctx *c = zs_dmarc_new(&a, "example.bank", &opts);
	struct zs_answer apex = { .status = ZS_DNS_NXDOMAIN };
	zs_dmarc_note_apex(c, &apex);
	assert_int_equal(fake_drive(z, &zs_dmarc_lookup_ops, c, 2, FAKE_FIFO, NULL), 0);
	struct zs_buf b;
	zs_buf_init(&b, 1 << 16);
	struct zs_json j;
	zs_json_init(&j, &b);
	zs_dmarc_result_json(&j, zs_dmarc_result(c));
	assert_int_equal(zs_json_error(&j), 0);
	const char *s = zs_buf_cstr(&b);
	assert_non_null(strstr(s, "\"source\":\"inherited\""));
	assert_non_null(strstr(s, "\"inherited\":{\"domain\":\"bank\",\"name\":\"_dmarc.bank\""));
	assert_non_null(strstr(s, "\"inherited_from_public_suffix\":true"));
	assert_non_null(strstr(s, "\"code\":\"dmarc.inherited\""));
	assert_non_null(strstr(s, "[\"_dmarc.example.bank\",\"TXT\",\"nxdomain\"]"));
	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dmarc_parse_every_tag),
		cmocka_unit_test(test_dmarc_parse_problems_each_reported),
		cmocka_unit_test(test_dmarc_broken_tag_policy_in_force),
		cmocka_unit_test(test_dmarc_broken_record_does_not_apply),
		cmocka_unit_test(test_dmarc_repair),
		cmocka_unit_test(test_dmarc_discovery_broken_tag_in_force),
		cmocka_unit_test(test_dmarc_parse_binary_bytes),
		cmocka_unit_test(test_dmarc_parse_huge_record),
		cmocka_unit_test(test_dmarc_report_auth_record),
		cmocka_unit_test(test_dmarc_discovery_own_record),
		cmocka_unit_test(test_dmarc_discovery_inherits_tld_record),
		cmocka_unit_test(test_dmarc_discovery_failure_is_never_none),
		cmocka_unit_test(test_dmarc_discovery_multiple_and_cname),
		cmocka_unit_test(test_dmarc_discovery_huge_rrset),
		cmocka_unit_test(test_dmarc_report_destinations),
		cmocka_unit_test(test_dmarc_answer_checks_ids),
		cmocka_unit_test(test_dmarc_bad_domain_asks_nothing),
		cmocka_unit_test(test_dmarc_apex_and_no_psl),
		cmocka_unit_test(test_dmarc_result_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
