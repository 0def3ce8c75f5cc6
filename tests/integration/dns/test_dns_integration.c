/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the DNS engine through a real Unbound in front of NSD (both from Debian,
 * started by run.sh beside this file on loopback ports it picks, serving zs-int.test and
 * other.test). They check what the unit tests' fake server cannot: real answers, real
 * truncation of a TXT RRset larger than 1232 bytes and the TCP retry through the resolver,
 * CNAME chains across zones, negative answers with their SOA, and the rcodes real servers
 * give. Run alone without ZS_UNBOUND_ADDR and ZS_NSD_ADDR, the test fails and says how to run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "scanner/dns/resolver.h"
#include "tests/unit/test.h"

enum { MAX_Q = 16, BIG_RRS = 12, BIG_LEN = 250 };

struct question {
	const char *name;
	uint16_t type;
};

struct result {
	int calls;
	enum zs_dns_status status;
	bool from_cache;
	uint32_t neg_ttl;
	size_t count;
	char records[MAX_Q][512]; /**< each record, described, sorted */
	size_t cname_count;
	char cname[4][128];
	size_t txt_strings;     /**< character-strings over all TXT records */
	size_t txt_bytes;       /**< their bytes */
	bool txt_leading_space; /**< one string starts with a space (kept as is) */
};

static int answered;

static int compare_text(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void on_answer(const struct zs_answer *a, void *arg)
{
	struct result *res = arg;
	answered++;
	res->calls++;
	res->status = a->status;
	res->from_cache = a->from_cache;
	res->neg_ttl = a->neg_ttl;
	res->count = a->count;
	res->cname_count = a->cname_count < 4 ? a->cname_count : 4;
	for (size_t i = 0; i < res->cname_count; i++) {
		(void)snprintf(res->cname[i], sizeof(res->cname[i]), "%s", a->cname[i]);
	}
	for (size_t i = 0; i < a->count && i < MAX_Q; i++) {
		const struct zs_rr *rr = &a->rr[i];
		char *out = res->records[i];
		size_t cap = sizeof(res->records[i]);
		switch (rr->type) {
		case ZS_RR_A:
			(void)snprintf(out, cap, "A %u.%u.%u.%u", rr->u.a[0], rr->u.a[1],
			               rr->u.a[2], rr->u.a[3]);
			break;
		case ZS_RR_AAAA:
			(void)snprintf(out, cap, "AAAA %02x%02x::%02x", rr->u.aaaa[0],
			               rr->u.aaaa[1], rr->u.aaaa[15]);
			break;
		case ZS_RR_MX:
			(void)snprintf(out, cap, "MX %u %s", rr->u.mx.pref, rr->u.mx.host);
			break;
		case ZS_RR_TXT: {
			size_t o = (size_t)snprintf(out, cap, "TXT");
			for (size_t k = 0; k < rr->u.txt.count; k++) {
				res->txt_strings++;
				res->txt_bytes += rr->u.txt.len[k];
				if (rr->u.txt.len[k] > 0 && rr->u.txt.str[k][0] == ' ') {
					res->txt_leading_space = true;
				}
				if (o < cap) {
					o += (size_t)snprintf(out + o, cap - o, " \"%.*s\"",
					                      (int)rr->u.txt.len[k],
					                      (const char *)rr->u.txt.str[k]);
				}
			}
			break;
		}
		default:
			(void)snprintf(out, cap, "%s", zs_rr_type_name(rr->type));
			break;
		}
	}
	qsort(res->records, a->count < MAX_Q ? a->count : MAX_Q, sizeof(res->records[0]),
	      compare_text);
}

static const char *server(const char *var)
{
	const char *v = getenv(var);
	if (v == NULL || v[0] == '\0') {
		fail_msg("%s is not set: run tests/integration/dns/run.sh (ctest -L integration), "
		         "which starts NSD and Unbound on loopback and sets it",
		         var);
	}
	return v;
}

/*
 * Ask every question (then, when @p again, every question a second time once the first
 * answers are in), on a fresh loop and resolver; everything is closed before returning.
 */
static void resolve(const char *addr_var, const struct question *qs, size_t n, struct result *res,
                    bool again, struct zs_resolver_stats *stats)
{
	uv_loop_t loop;
	struct zs_resolver *r = NULL;
	struct zs_resolver_opts o;

	memset(&o, 0, sizeof(o));
	o.server_count = 1;
	o.timeout_ms = 5000;
	assert_int_equal(zs_resolver_parse_addr(server(addr_var), &o.servers[0]), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(zs_resolver_new(&loop, &o, &r), 0);
	answered = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(
		        zs_resolver_query(r, qs[i].name, qs[i].type, on_answer, &res[i], NULL), 0);
	}
	while (answered < (int)n) {
		(void)uv_run(&loop, UV_RUN_ONCE);
	}
	for (size_t i = 0; again && i < n; i++) {
		memset(&res[n + i], 0, sizeof(res[n + i]));
		assert_int_equal(
		        zs_resolver_query(r, qs[i].name, qs[i].type, on_answer, &res[n + i], NULL),
		        0);
	}
	while (again && answered < (int)(2 * n)) {
		(void)uv_run(&loop, UV_RUN_ONCE);
	}
	*stats = *zs_resolver_stats(r);
	zs_resolver_close(r, NULL, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_dns_integration_answers_through_unbound(void **state)
{
	const struct question qs[] = {
		{ "example.zs-int.test", ZS_RR_MX },
		{ "Example.ZS-INT.test.", ZS_RR_TXT },
		{ "_dmarc.example.zs-int.test", ZS_RR_TXT },
		{ "host.zs-int.test", ZS_RR_A },
		{ "host.zs-int.test", ZS_RR_AAAA },
		{ "host.zs-int.test", ZS_RR_MX },
		{ "nx.zs-int.test", ZS_RR_TXT },
	};
	enum { N = sizeof(qs) / sizeof(qs[0]) };
	struct result *res = zs_calloc(2 * N, sizeof(*res));
	struct zs_resolver_stats st;
	resolve("ZS_UNBOUND_ADDR", qs, N, res, true, &st);

	assert_int_equal(res[0].status, ZS_DNS_NOERROR);
	assert_int_equal(res[0].count, 2);
	assert_string_equal(res[0].records[0], "MX 10 mx1.example.zs-int.test");
	assert_string_equal(res[0].records[1], "MX 20 mx2.example.zs-int.test");
	assert_string_equal(res[1].records[0],
	                    "TXT \"v=spf1 \" \"include:_spf.provider.other.test -all\"");
	assert_string_equal(res[2].records[0],
	                    "TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@example.zs-int.test\"");
	assert_string_equal(res[3].records[0], "A 192.0.2.10");
	assert_string_equal(res[4].records[0], "AAAA 2001::10");
	assert_int_equal(res[5].status, ZS_DNS_NODATA);
	assert_int_equal(res[5].neg_ttl, 300);
	assert_int_equal(res[6].status, ZS_DNS_NXDOMAIN);
	assert_int_equal(res[6].neg_ttl, 300);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_false(res[i].from_cache);
		/* asked again: from the run's cache, the same answer */
		assert_true(res[N + i].from_cache);
		assert_int_equal(res[N + i].status, res[i].status);
		assert_memory_equal(res[N + i].records, res[i].records, sizeof(res[i].records));
	}
	assert_int_equal(st.sent, N);
	assert_int_equal(st.cache_hits, N);
	assert_int_equal(st.mismatched, 0);
	zs_free(res);
}

static void test_dns_integration_large_txt_over_tcp(void **state)
{
	const struct question qs[] = { { "big.zs-int.test", ZS_RR_TXT } };
	struct result res[1];
	struct zs_resolver_stats st;
	memset(res, 0, sizeof(res));
	resolve("ZS_UNBOUND_ADDR", qs, 1, res, false, &st);
	assert_int_equal(res[0].status, ZS_DNS_NOERROR);
	assert_int_equal(res[0].count, BIG_RRS);
	assert_int_equal(res[0].txt_strings, BIG_RRS);
	assert_int_equal(res[0].txt_bytes, BIG_RRS * BIG_LEN);
	assert_true(res[0].txt_leading_space);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.tcp_fallbacks, 1);
	assert_int_equal(st.tcp_connects, 1);
}

static void test_dns_integration_cname_chains(void **state)
{
	const struct question qs[] = {
		{ "alias.zs-int.test", ZS_RR_TXT },
		{ "loop1.zs-int.test", ZS_RR_A },
	};
	struct result res[2];
	struct zs_resolver_stats st;
	memset(res, 0, sizeof(res));
	resolve("ZS_UNBOUND_ADDR", qs, 2, res, false, &st);
	assert_int_equal(res[0].status, ZS_DNS_NOERROR);
	assert_int_equal(res[0].cname_count, 2);
	assert_string_equal(res[0].cname[0], "hop.other.test");
	assert_string_equal(res[0].cname[1], "final.other.test");
	assert_string_equal(res[0].records[0], "TXT \"v=DKIM1; k=ed25519; "
	                                       "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"");
	/* Unbound gives up on the loop (SERVFAIL) or returns it: never data either way */
	assert_true(res[1].status == ZS_DNS_CNAME_LOOP || res[1].status == ZS_DNS_SERVFAIL);
	assert_int_equal(res[1].count, 0);
}

static void test_dns_integration_authoritative_refuses_other_zones(void **state)
{
	const struct question qs[] = {
		{ "example.zs-int.test", ZS_RR_MX },
		{ "www.example.invalid", ZS_RR_A },
	};
	struct result res[2];
	struct zs_resolver_stats st;
	memset(res, 0, sizeof(res));
	resolve("ZS_NSD_ADDR", qs, 2, res, false, &st);
	assert_int_equal(res[0].status, ZS_DNS_NOERROR);
	assert_int_equal(res[0].count, 2);
	assert_int_equal(res[1].status, ZS_DNS_REFUSED);
	assert_int_equal(st.rcode[5], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_integration_answers_through_unbound),
		cmocka_unit_test(test_dns_integration_large_txt_over_tcp),
		cmocka_unit_test(test_dns_integration_cname_chains),
		cmocka_unit_test(test_dns_integration_authoritative_refuses_other_zones),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
