/* SPDX-License-Identifier: MIT */
/* Unit tests of scanner/policy/mx.c: MX set analysis and the reverse-DNS machine. */
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/mx.h"
#include "tests/unit/records/fakedns.h"
#include "tests/unit/test.h"

/* Analyse the MX set the world holds for @p domain. */
static void analyze(struct zs_arena *a, struct fake_zone *z, const char *domain, bool spf,
                    struct zs_mx_result *r)
{
	struct zs_lookup q = { .id = 1, .type = ZS_RR_MX, .name = domain };
	struct zs_answer ans;
	fake_resolve(z, &q, a, &ans);
	zs_mx_set_analyze(a, domain, &ans, spf, r);
}

static void test_mx_set_null_mx_and_misuse(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_mx_result r;
	struct fake_zone *z = fake_zone_new(&a);
	fake_mx(z, "null.example", 0, "");
	fake_mx(z, "mixed.example", 0, "");
	fake_mx(z, "mixed.example", 10, "mx.mixed.example");
	fake_mx(z, "pref.example", 5, "");

	analyze(&a, z, "null.example", false, &r);
	assert_int_equal(r.kind, ZS_MX_KIND_NULL);
	assert_int_equal(r.findings.count, 0);
	analyze(&a, z, "null.example", true, &r);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_NULL_WITH_SPF));
	analyze(&a, z, "mixed.example", false, &r);
	assert_int_equal(r.kind, ZS_MX_KIND_MIXED);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_NULL_MIXED));
	analyze(&a, z, "pref.example", false, &r);
	assert_int_equal(r.kind, ZS_MX_KIND_NULL);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_NULL_PREF));
	analyze(&a, z, "absent.example", false, &r);
	assert_int_equal(r.kind, ZS_MX_KIND_NONE);
	assert_int_equal(r.status, ZS_DNS_NXDOMAIN);
	zs_arena_deinit(&a);
}

static void test_mx_set_bad_targets(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_mx(z, "example.com", 10, "192.0.2.1");
	fake_mx(z, "example.com", 20, "[2001:db8::1]");
	fake_mx(z, "example.com", 30, "bad_host.example.com");
	for (int i = 0; i < 10; i++) {
		fake_mx(z, "example.com", 40, "mx.example.com");
	}
	struct zs_mx_result r;
	analyze(&a, z, "example.com", false, &r);
	assert_int_equal(r.kind, ZS_MX_KIND_HOSTS);
	assert_int_equal(r.host_count, 13);
	assert_true(r.host[0].ip_literal);
	assert_true(r.host[1].ip_literal);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_TARGET_IP_LITERAL));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_TARGET_SYNTAX));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_TOO_MANY));
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_DUPLICATE));

	fake_fail(z, "failing.example", ZS_RR_MX, ZS_DNS_SERVFAIL);
	analyze(&a, z, "failing.example", false, &r);
	assert_int_equal(r.kind, ZS_MX_KIND_DNS_ERROR);
	assert_true(zs_findings_has(&r.findings, ZS_FIND_MX_LOOKUP_FAILED));
	zs_arena_deinit(&a);
}

/* Resolvers rotate RRsets: hosts come out by preference then name, whatever the answer order. */
static void test_mx_set_order_is_stable(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_mx(z, "one.example", 20, "mx2.provider.example");
	fake_mx(z, "one.example", 10, "mx1.provider.example");
	fake_mx(z, "one.example", 20, "a.provider.example");
	fake_mx(z, "two.example", 20, "a.provider.example");
	fake_mx(z, "two.example", 20, "mx2.provider.example");
	fake_mx(z, "two.example", 10, "mx1.provider.example");
	static const char *const want[] = { "mx1.provider.example", "a.provider.example",
		                            "mx2.provider.example" };
	for (int d = 0; d < 2; d++) {
		struct zs_mx_result r;
		analyze(&a, z, d == 0 ? "one.example" : "two.example", false, &r);
		assert_int_equal(r.host_count, 3);
		for (size_t i = 0; i < 3; i++) {
			assert_string_equal(r.host[i].name, want[i]);
		}
		assert_int_equal(r.host[0].pref, 10);
	}
	zs_arena_deinit(&a);
}

static void test_mx_address_special(void **state)
{
	const uint8_t lo[4] = { 127, 0, 0, 1 };
	const uint8_t pub[4] = { 93, 184, 216, 34 };
	const uint8_t cgn[4] = { 100, 127, 1, 1 };
	const uint8_t ula[16] = { 0xfd, 0x12 };
	const uint8_t pub6[16] = { 0x2a, 0x00, 0x14, 0x50 };
	assert_true(zs_mx_address_special(4, lo));
	assert_false(zs_mx_address_special(4, pub));
	assert_true(zs_mx_address_special(4, cgn));
	assert_true(zs_mx_address_special(6, ula));
	assert_false(zs_mx_address_special(6, pub6));
}

static const struct zs_mx_result *run(struct zs_arena *a, struct fake_zone *z, const char *domain,
                                      const struct zs_mx_opts *opts, struct fake_stats *st)
{
	struct zs_mx_ctx *c = zs_mx_new(a, domain, opts);
	assert_int_equal(fake_drive(z, &zs_mx_lookup_ops, c, 16, FAKE_REVERSE, st), 0);
	return zs_mx_result(c);
}

static void world(struct fake_zone *z)
{
	fake_mx(z, "example.com", 10, "mx1.example.com");
	fake_mx(z, "example.com", 20, "mx2.example.com");
	fake_mx(z, "example.com", 30, "alias.example.com");
	fake_mx(z, "example.com", 40, "gone.example.com");
	/* mx1: FCrDNS confirmed on IPv4, PTR missing on IPv6 */
	fake_a(z, "mx1.example.com", "93.184.216.34");
	fake_aaaa(z, "mx1.example.com", "2a00:1450:4001::1a");
	fake_ptr(z, "34.216.184.93.in-addr.arpa", "mx1.example.com");
	/* mx2: the PTR name resolves elsewhere */
	fake_a(z, "mx2.example.com", "93.184.216.35");
	fake_ptr(z, "35.216.184.93.in-addr.arpa", "host.isp.example");
	fake_a(z, "host.isp.example", "203.0.113.9");
	/* alias: a CNAME target, its PTR lookup fails */
	fake_cname(z, "alias.example.com", "real.example.net");
	fake_a(z, "real.example.net", "127.0.0.2");
	fake_fail(z, "2.0.0.127.in-addr.arpa", ZS_RR_PTR, ZS_DNS_SERVFAIL);
}

static void test_mx_machine_rdns(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	world(z);
	struct fake_stats st;
	const struct zs_mx_result *r = run(&a, z, "example.com", NULL, &st);
	assert_int_equal(r->kind, ZS_MX_KIND_HOSTS);
	assert_int_equal(r->host_count, 4);

	const struct zs_mx_host *h = &r->host[0];
	assert_int_equal(h->addr_count, 2);
	assert_string_equal(h->addr[0].text, "93.184.216.34");
	assert_int_equal(h->addr[0].rdns, ZS_RDNS_CONFIRMED);
	assert_string_equal(h->addr[1].text, "2a00:1450:4001::1a");
	assert_string_equal(
	        h->addr[1].reverse_name,
	        "a.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.4.0.5.4.1.0.0.a.2.ip6.arpa");
	assert_int_equal(h->addr[1].rdns, ZS_RDNS_NO_PTR);

	h = &r->host[1];
	assert_int_equal(h->addr[0].rdns, ZS_RDNS_MISMATCH);
	assert_string_equal(h->addr[0].ptr[0].name, "host.isp.example");
	assert_int_equal(h->aaaa_status, ZS_DNS_NODATA);

	h = &r->host[2];
	assert_int_equal(h->cname_count, 1);
	assert_true(h->addr[0].special);
	assert_int_equal(h->addr[0].rdns, ZS_RDNS_DNS_ERROR);

	h = &r->host[3];
	assert_int_equal(h->a_status, ZS_DNS_NXDOMAIN);
	assert_int_equal(h->addr_count, 0);

	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_PTR_MISSING));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_FCRDNS_MISMATCH));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_TARGET_CNAME));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_TARGET_UNRESOLVABLE));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_ADDRESS_SPECIAL));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_LOOKUP_FAILED));
	assert_true(st.max_outstanding >= 8); /* the four hosts' A and AAAA together */

	struct zs_buf b;
	zs_buf_init(&b, 1 << 20);
	struct zs_json j;
	zs_json_init(&j, &b);
	zs_mx_result_json(&j, r);
	assert_int_equal(zs_json_error(&j), 0);
	assert_non_null(strstr(zs_buf_cstr(&b), "\"rdns\":\"confirmed\""));
	assert_non_null(strstr(zs_buf_cstr(&b), "\"kind\":\"hosts\""));
	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
}

static void test_mx_machine_options_and_failures(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	world(z);
	struct zs_mx_opts opts = { .flags = ZS_MX_NO_RDNS };
	const struct zs_mx_result *r = run(&a, z, "example.com", &opts, NULL);
	assert_int_equal(r->host[0].addr[0].rdns, ZS_RDNS_NOT_CHECKED);
	assert_null(zs_query_log_find(&r->log, "34.216.184.93.in-addr.arpa", ZS_RR_PTR));

	fake_fail(z, "timeout.example", ZS_RR_MX, ZS_DNS_TIMEOUT);
	r = run(&a, z, "timeout.example", NULL, NULL);
	assert_int_equal(r->kind, ZS_MX_KIND_DNS_ERROR);
	assert_int_equal(r->log.count, 1);

	fake_mx(z, "nullspf.example", 0, "");
	struct zs_mx_ctx *c = zs_mx_new(&a, "nullspf.example", NULL);
	zs_mx_set_spf(c, true); /* known only after the start */
	assert_int_equal(fake_drive(z, &zs_mx_lookup_ops, c, 4, FAKE_FIFO, NULL), 0);
	r = zs_mx_result(c);
	assert_int_equal(r->kind, ZS_MX_KIND_NULL);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_NULL_WITH_SPF));
	assert_int_equal(r->log.count, 1); /* nothing to resolve behind a null MX */

	for (int i = 0; i < 20; i++) {
		fake_mx(z, "big.example", (uint16_t)i, zs_arena_printf(&a, "mx%d.big.example", i));
	}
	r = run(&a, z, "big.example", NULL, NULL);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_HOST_LIMIT));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_TOO_MANY));
	assert_false(r->host[ZS_MX_MAX_HOSTS].probed);
	zs_arena_deinit(&a);
}

/*
 * A PTR naming the root (or any name that cannot be asked) is not followed: asking is
 * pointless, since no such name resolves back. The address is not forward-confirmed (a
 * mismatch), never a failed lookup.
 */
static void test_mx_machine_ptr_to_root_is_mismatch(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_mx(z, "rootptr.example", 10, "mx.rootptr.example");
	fake_a(z, "mx.rootptr.example", "93.184.216.40");
	fake_ptr(z, "40.216.184.93.in-addr.arpa", "");
	const struct zs_mx_result *r = run(&a, z, "rootptr.example", NULL, NULL);
	const struct zs_mx_addr *ad = &r->host[0].addr[0];
	assert_int_equal(ad->ptr_count, 1);
	assert_int_equal(ad->ptr[0].status, ZS_DNS_BADNAME); /* not asked, and says why */
	assert_int_equal(ad->rdns, ZS_RDNS_MISMATCH);
	assert_false(zs_findings_has(&r->findings, ZS_FIND_MX_LOOKUP_FAILED));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_MX_FCRDNS_MISMATCH));
	zs_arena_deinit(&a);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mx_set_null_mx_and_misuse),
		cmocka_unit_test(test_mx_set_bad_targets),
		cmocka_unit_test(test_mx_set_order_is_stable),
		cmocka_unit_test(test_mx_address_special),
		cmocka_unit_test(test_mx_machine_rdns),
		cmocka_unit_test(test_mx_machine_options_and_failures),
		cmocka_unit_test(test_mx_machine_ptr_to_root_is_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
