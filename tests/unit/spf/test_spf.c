/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the SPF engine: record parsing (terms, positions, syntax errors), macro
 * expansion (the RFC 7208 7.4 examples and every transformer), the static analysis (lookup
 * counting through includes, void lookups per client family, loops, address flattening,
 * findings, type 99, work bounds) and the produce/consume protocol (batches of independent
 * questions, answers in any order, pre-seeded answers). Zones are small tables fed to the
 * fake DNS; the OpenSPF suites run separately (conformance_spf.c).
 */
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/policy/spf.h"
#include "scanner/policy/spf_eval.h"
#include "scanner/policy/spf_macro.h"
#include "scanner/policy/spf_report.h"
#include "tests/unit/spf/fakedns.h"
#include "tests/unit/test.h"

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

/*
 * A zone from lines "owner TYPE value": TXT/SPF (rest of the line is one string; "|" splits
 * character-strings), A, AAAA, MX "pref host", PTR, CNAME, TIMEOUT, NOTXT, SERVFAIL.
 */
static struct zs_fakedns *zone(const char *const *lines)
{
	struct zs_fakedns *fd = zs_fakedns_new();

	for (size_t i = 0; lines[i] != NULL; i++) {
		char owner[300];
		char type[16];
		int off = 0;
		assert_int_equal(sscanf(lines[i], "%299s %15s %n", owner, type, &off), 2);
		const char *v = lines[i] + off;
		if (strcmp(type, "TXT") == 0 || strcmp(type, "SPF") == 0) {
			const char *str[8];
			size_t len[8];
			size_t n = 0;
			const char *p = v;
			for (;;) {
				const char *bar = strchr(p, '|');
				str[n] = p;
				len[n] = bar != NULL ? (size_t)(bar - p) : strlen(p);
				n++;
				if (bar == NULL || n == 8) {
					break;
				}
				p = bar + 1;
			}
			zs_fakedns_add_txt(fd, owner, type[0] == 'T' ? ZS_RR_TXT : ZS_RR_SPF, str,
			                   len, n);
		} else if (strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0) {
			assert_int_equal(zs_fakedns_add_addr(fd, owner, v), 0);
		} else if (strcmp(type, "MX") == 0) {
			unsigned pref;
			char host[300];
			assert_int_equal(sscanf(v, "%u %299s", &pref, host), 2);
			zs_fakedns_add_mx(fd, owner, (uint16_t)pref,
			                  strcmp(host, ".") == 0 ? "" : host);
		} else if (strcmp(type, "PTR") == 0 || strcmp(type, "CNAME") == 0) {
			zs_fakedns_add_name(fd, owner, type[0] == 'P' ? ZS_RR_PTR : ZS_RR_CNAME, v);
		} else if (strcmp(type, "TIMEOUT") == 0) {
			zs_fakedns_add_timeout(fd, owner);
		} else if (strcmp(type, "NOTXT") == 0) {
			zs_fakedns_add_txt_none(fd, owner);
		} else if (strcmp(type, "SERVFAIL") == 0) {
			zs_fakedns_set_status(fd, owner, ZS_DNS_SERVFAIL);
		} else {
			fail_msg("bad zone line %s", lines[i]);
		}
	}
	return fd;
}

static struct zs_spf_ctx *analyse(const struct zs_fakedns *fd, const char *domain,
                                  struct zs_fakedns_stats *st)
{
	struct zs_spf_ctx *ctx = zs_spf_analysis_new(domain, NULL);
	assert_int_equal(zs_fakedns_resolve(fd, ctx, false, st), 0);
	assert_non_null(zs_spf_report(ctx));
	return ctx;
}

static const struct zs_spf_finding *find(const struct zs_spf_report *r, enum zs_spf_code code)
{
	for (size_t i = 0; i < r->finding_count; i++) {
		if (r->findings[i].code == code) {
			return &r->findings[i];
		}
	}
	return NULL;
}

static char *report_json(const struct zs_spf_report *r)
{
	struct zs_buf b;
	struct zs_json j;
	zs_buf_init(&b, 1 << 20);
	zs_json_init(&j, &b);
	assert_int_equal(zs_spf_report_json(r, &j), 0);
	return zs_buf_steal(&b);
}

/* ------------------------------------------------------------------------------------------ */
/* Parser */

static void test_spf_is_record_prefix(void **state)
{
	assert_true(zs_spf_is_record("v=spf1", 6));
	assert_true(zs_spf_is_record("v=spf1 -all", 11));
	assert_true(zs_spf_is_record("V=SpF1 a", 8));
	assert_false(zs_spf_is_record("v=spf10", 7));
	assert_false(zs_spf_is_record("v=spf1mx", 8));
	assert_false(zs_spf_is_record("v=spf1\t-all", 11));
	assert_false(zs_spf_is_record(" v=spf1", 7));
	assert_false(zs_spf_is_record("v=spf", 5));
}

/* Senders are read term by term, from records a receiver would reject as well. */
static void test_spf_lists_senders_valid_or_not(void **state)
{
	static const char *const yes[] = {
		"v=spf1 include:_spf.example.com -all",
		"v=spf1 ip4:300.1.1.1 -all", /* a syntax error in the address */
		"v=spf1 -ip4:192.0.2.1 MX/24 ~all",
		"v=spf1 ?a a:nowhere.example -all",
		"v=spf1 exists:%{i}._spf.%{d} -all",
		"v=spf1 ip6:2001:db8::/32 foo:bar",
		"v=spf1 redirect=_spf.example.com",
		"v=spf1 +all",
		"v=spf1 ptr -all",
		"v=spf1 unknown=x include:a.example include:b.example",
	};
	static const char *const no[] = {
		"v=spf1 -all",
		"v=spf1 ~all",
		"v=spf1",
		"v=spf1 -include:x.example -a ?mx ~ip4:192.0.2.1 -all",
		"v=spf1 exp=explain.example -all",
		"v=spf1 amx -all", /* no such mechanism */
		"spf1 include:x.example",
		"v=spf10 a",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!zs_spf_lists_senders(yes[i], strlen(yes[i]))) {
			fail_msg("%s: lists senders", yes[i]);
		}
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (zs_spf_lists_senders(no[i], strlen(no[i]))) {
			fail_msg("%s: lists no sender", no[i]);
		}
	}
}

static void test_spf_record_parse_terms(void **state)
{
	static const char rec[] = "v=spf1 +a:%{d} mx/24//64 ~ip4:192.0.2.0/24  ip6:2001:DB8::/32 "
	                          "?include:_spf.example.net exists:%{i}.x.example.com ptr -all "
	                          "redirect=r.example.com exp=e.example.com foo.bar=x%%y ";
	struct zs_arena a;
	struct zs_spf_record *r = NULL;
	struct zs_spf_syntax err;

	zs_arena_init(&a);
	assert_int_equal(zs_spf_record_parse(&a, rec, strlen(rec), &r, &err), 0);
	assert_int_equal(r->count, 11);
	assert_int_equal(r->dns_terms, 6);
	const struct zs_spf_term *t = r->terms;
	assert_int_equal(t[0].kind, ZS_SPF_A);
	assert_int_equal(t[0].qualifier, '+');
	assert_string_equal(t[0].spec, "%{d}");
	assert_true(t[0].macro);
	assert_int_equal(t[0].pos, 7);
	assert_int_equal(t[0].len, 7);
	assert_int_equal(t[1].kind, ZS_SPF_MX);
	assert_null(t[1].spec);
	assert_int_equal(t[1].cidr4, 24);
	assert_int_equal(t[1].cidr6, 64);
	assert_int_equal(t[2].kind, ZS_SPF_IP4);
	assert_int_equal(t[2].qualifier, '~');
	assert_int_equal(t[2].cidr4, 24);
	assert_memory_equal(t[2].addr, "\xc0\x00\x02\x00", 4);
	assert_int_equal(t[3].kind, ZS_SPF_IP6);
	assert_int_equal(t[3].pos, 44);
	assert_int_equal(t[3].cidr6, 32);
	assert_memory_equal(t[3].addr, "\x20\x01\x0d\xb8", 4);
	assert_int_equal(t[4].kind, ZS_SPF_INCLUDE);
	assert_int_equal(t[4].qualifier, '?');
	assert_string_equal(t[4].spec, "_spf.example.net");
	assert_false(t[4].macro);
	assert_int_equal(t[5].kind, ZS_SPF_EXISTS);
	assert_int_equal(t[6].kind, ZS_SPF_PTR);
	assert_int_equal(t[7].kind, ZS_SPF_ALL);
	assert_int_equal(t[7].qualifier, '-');
	assert_ptr_equal(r->all, &t[7]);
	assert_ptr_equal(r->redirect, &t[8]);
	assert_string_equal(r->redirect->spec, "r.example.com");
	assert_ptr_equal(r->exp, &t[9]);
	assert_int_equal(t[10].kind, ZS_SPF_UNKNOWN);
	assert_string_equal(t[10].name, "foo.bar");
	assert_string_equal(t[10].spec, "x%%y");
	assert_int_equal(zs_spf_record_parse(&a, "v=spf1", 6, &r, &err), 0);
	assert_int_equal(r->count, 0);
	assert_int_equal(zs_spf_record_parse(&a, "v=spf2 -all", 11, &r, &err), ZS_ERR_NOTFOUND);
	zs_arena_deinit(&a);
}

static void test_spf_record_parse_errors_have_positions(void **state)
{
	static const struct {
		const char *rec;
		size_t pos;
		const char *msg;
		size_t len; /**< 0: strlen */
	} cases[] = {
		{ "v=spf1 ip4:1.2.3.4 -all moo", 24, "unknown mechanism" },
		{ "v=spf1 -all.", 11, "all takes no argument" },
		{ "v=spf1 -all/8", 11, "all takes no argument" },
		{ "v=spf1 a:foo.example.123", 21, "invalid top-level label" },
		{ "v=spf1 a:museum", 9, "domain-spec needs a dot" },
		{ "v=spf1 a:example.-com", 17, "invalid top-level label" },
		{ "v=spf1 a:", 9, "empty domain-spec" },
		{ "v=spf1 a/", 8, "unexpected text after mechanism" },
		{ "v=spf1 a/33", 9, "IPv4 prefix length over 32" },
		{ "v=spf1 a//129", 10, "IPv6 prefix length over 128" },
		{ "v=spf1 mx/24/64", 13, "IPv4 prefix length over 32" },
		{ "v=spf1 ip4:1.2.3.4/032", 19, "invalid prefix length" },
		{ "v=spf1 ip4:1.2.3", 16, "invalid IPv4 address" },
		{ "v=spf1 ip4:01.2.3.4", 11, "invalid IPv4 address" },
		{ "v=spf1 ip4:1.2.3.4:8080", 18, "invalid IPv4 address" },
		{ "v=spf1 ip4:1.2.3.4//32", 19, "invalid prefix length" },
		{ "v=spf1 ip4", 10, "ip4 needs :address" },
		{ "v=spf1 ip6::CAFE::BABE", 11, "invalid IPv6 address" },
		{ "v=spf1 include", 14, "mechanism needs :domain-spec" },
		{ "v=spf1 exists:x.example.com/24", 24, "invalid top-level label" },
		{ "v=spf1 ptr/0", 10, "unexpected text after mechanism" },
		{ "v=spf1 redirect:x.example.com", 7, "unknown mechanism" },
		{ "v=spf1 redirect=a.example.com redirect=b.example.com", 30, "appears twice" },
		{ "v=spf1 exp=", 11, "empty domain-spec" },
		{ "v=spf1 exp=-all", 11, "domain-spec needs a dot" },
		{ "v=spf1 1up=foo", 7, "unknown mechanism" },
		{ "v=spf1 =all", 7, "expected a mechanism or modifier" },
		{ "v=spf1 foo=%abc", 11, "'%' not followed by {, %, _ or -" },
		{ "v=spf1 a:%{c}.example.com", 11, "c, r, t only in explanation" },
		{ "v=spf1 a:%{x}.example.com", 11, "unknown macro letter" },
		{ "v=spf1 a:%{d0}.example.com", 12, "macro digit transformer 0" },
		{ "v=spf1 a:%{d.example.com", 13, "macro not closed" },
		{ "v=spf1 exists:foo%", 17, "'%' at the end" },
		{ "v=spf1 a:ctrl.example.com\rptr", 25, "control character" },
		{ "v=spf1 \xc2\x80"
		  "a",
		  7, "non-ASCII byte" },
		{ "v=spf1 a:foo.example.com\0", 24, "control character", 25 },
	};
	struct zs_arena a;
	zs_arena_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zs_spf_record *r = NULL;
		struct zs_spf_syntax err = { 0 };
		size_t len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].rec);
		int ret = zs_spf_record_parse(&a, cases[i].rec, len, &r, &err);
		if (ret != ZS_ERR_PARSE || err.pos != cases[i].pos ||
		    strstr(err.msg, cases[i].msg) == NULL) {
			fail_msg("%s: ret %d pos %zu msg %s", cases[i].rec, ret, err.pos,
			         ret == ZS_ERR_PARSE ? err.msg : "-");
		}
	}
	/* valid corner cases of the grammar */
	static const char *const good[] = {
		"v=spf1 a:foo:bar/baz.example.com",
		"v=spf1 a:foo.example.xn--zckzah -all",
		"v=spf1 a:mail.example.com. -all",
		"v=spf1 redirect=%{d}.d.spf.example.com.",
		"v=spf1 moo.cow-far_out=man:dog/cat",
		"v=spf1 default=+",
		"v=spf1 exists:%{l2r+-}.user.%{d2}",
		"v=spf1 a//0 mx/0 ip6:::1.1.1.1/0",
		"v=spf1 a:macro%%percent%_%-x.example.com",
		"v=spf1 all -all  ",
		"v=spf1 a:1-2.example.123-456",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct zs_spf_record *r = NULL;
		struct zs_spf_syntax err = { 0 };
		if (zs_spf_record_parse(&a, good[i], strlen(good[i]), &r, &err) != 0) {
			fail_msg("%s: %s at %zu", good[i], err.msg, err.pos);
		}
	}
	zs_arena_deinit(&a);
}

static void test_spf_ip_parse_mapped(void **state)
{
	struct zs_spf_ip ip;
	assert_int_equal(zs_spf_ip_parse("::FFFF:1.2.3.4", &ip), 0);
	assert_int_equal(ip.family, 4);
	assert_memory_equal(ip.addr, "\x01\x02\x03\x04", 4);
	assert_int_equal(zs_spf_ip_parse("CAFE:BABE::1", &ip), 0);
	assert_int_equal(ip.family, 6);
	assert_int_equal(zs_spf_ip_parse("1.2.3", &ip), ZS_ERR_PARSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Macros */

static void expect_expand(const struct zs_spf_macro_env *env, const char *in, unsigned flags,
                          const char *want)
{
	struct zs_buf b;
	zs_buf_init(&b, 4096);
	int ret = zs_spf_macro_expand(env, in, strlen(in), flags, &b, NULL);
	if (ret != 0 || strcmp(zs_buf_cstr(&b), want) != 0) {
		fail_msg("%s: ret %d, got \"%s\", want \"%s\"", in, ret, zs_buf_cstr(&b), want);
	}
	zs_buf_deinit(&b);
}

static void test_spf_macro_expand_rfc_examples(void **state)
{
	struct zs_spf_ip ip4;
	struct zs_spf_ip ip6;
	assert_int_equal(zs_spf_ip_parse("192.0.2.3", &ip4), 0);
	assert_int_equal(zs_spf_ip_parse("2001:db8::cb01", &ip6), 0);
	struct zs_spf_macro_env env = {
		.sender = "strong-bad@email.example.com",
		.local = "strong-bad",
		.sender_domain = "email.example.com",
		.domain = "email.example.com",
		.ip = &ip4,
		.helo = "mx.example.org",
		.receiver = "rx.example.net",
		.now = "1700000000",
	};
	/* RFC 7208 7.4 */
	expect_expand(&env, "%{s}", 0, "strong-bad@email.example.com");
	expect_expand(&env, "%{o}", 0, "email.example.com");
	expect_expand(&env, "%{d}", 0, "email.example.com");
	expect_expand(&env, "%{d4}", 0, "email.example.com");
	expect_expand(&env, "%{d3}", 0, "email.example.com");
	expect_expand(&env, "%{d2}", 0, "example.com");
	expect_expand(&env, "%{d1}", 0, "com");
	expect_expand(&env, "%{dr}", 0, "com.example.email");
	expect_expand(&env, "%{d2r}", 0, "example.email");
	expect_expand(&env, "%{l}", 0, "strong-bad");
	expect_expand(&env, "%{l-}", 0, "strong.bad");
	expect_expand(&env, "%{lr}", 0, "strong-bad");
	expect_expand(&env, "%{lr-}", 0, "bad.strong");
	expect_expand(&env, "%{l1r-}", 0, "strong");
	expect_expand(&env, "%{ir}.%{v}._spf.%{d2}", 0, "3.2.0.192.in-addr._spf.example.com");
	expect_expand(&env, "%{lr-}.lp._spf.%{d2}", 0, "bad.strong.lp._spf.example.com");
	expect_expand(&env, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0,
	              "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	expect_expand(&env, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0,
	              "3.2.0.192.in-addr.strong.lp._spf.example.com");
	expect_expand(&env, "%{d2}.trusted-domains.example.net", 0,
	              "example.com.trusted-domains.example.net");
	env.ip = &ip6;
	expect_expand(&env, "%{ir}.%{v}._spf.%{d2}", 0,
	              "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf."
	              "example.com");
	expect_expand(&env, "%{c} %{i4}", ZS_SPF_MACRO_EXP, "2001:db8::cb01 C.B.0.1");
	env.ip = &ip4;
	/* escapes, URL escaping, explanation-only letters, delimiters, large digits */
	expect_expand(&env, "a%%b%_c%-d", 0, "a%b c%20d");
	expect_expand(&env, "%{S}", 0, "strong-bad%40email.example.com");
	expect_expand(&env, "%{h} %{r} %{t} %{c}", ZS_SPF_MACRO_EXP,
	              "mx.example.org rx.example.net 1700000000 192.0.2.3");
	expect_expand(&env, "%{d100}", 0, "email.example.com");
	expect_expand(&env, "%{d100r}", 0, "com.example.email");
	expect_expand(&env, "%{l2r+-=}", 0, "bad.strong");
	expect_expand(&env, "%{i2}", 0, "2.3");
	env.local = "a..b";
	expect_expand(&env, "%{l}|%{lr}|%{l2}", 0, "a..b|b..a|.b");
}

static void test_spf_macro_expand_missing_and_errors(void **state)
{
	struct zs_spf_macro_env env = { .domain = "example.com" };
	struct zs_buf b;
	char missing = 0;

	zs_buf_init(&b, 64);
	assert_int_equal(zs_buf_puts(&b, "keep"), 0);
	assert_int_equal(zs_spf_macro_expand(&env, "x.%{p}.%{d}", 11, 0, &b, &missing),
	                 ZS_ERR_NOTFOUND);
	assert_int_equal(missing, 'p');
	assert_string_equal(zs_buf_cstr(&b), "keep"); /* nothing appended on failure */
	/* a syntax error after a missing value still makes the string a syntax error */
	assert_int_equal(zs_spf_macro_expand(&env, "%{p}@\x05", 6, 0, &b, &missing), ZS_ERR_PARSE);
	assert_int_equal(zs_spf_macro_expand(&env, "%{i}", 4, 0, &b, &missing), ZS_ERR_NOTFOUND);
	assert_int_equal(missing, 'i');
	assert_int_equal(zs_spf_macro_expand(&env, "%{t}", 4, 0, &b, &missing), ZS_ERR_PARSE);
	assert_int_equal(zs_spf_macro_expand(&env, "%{d}%{d}%{d}%{d}%{d}%{d}", 24, 0, &b, NULL),
	                 ZS_ERR_TOOBIG);
	assert_string_equal(zs_buf_cstr(&b), "keep");
	/* outgrowing the buffer before a syntax error: still a syntax error (found by fuzzing) */
	assert_int_equal(zs_spf_macro_expand(&env, "%{d}%{d}%{d}%{d}%{d}%{d}%{t}", 28, 0, &b, NULL),
	                 ZS_ERR_PARSE);
	assert_string_equal(zs_buf_cstr(&b), "keep");
	zs_buf_deinit(&b);

	struct zs_spf_syntax err;
	assert_int_equal(zs_spf_macro_check("The %{x}-files.", 15, ZS_SPF_MACRO_EXP, &err),
	                 ZS_ERR_PARSE);
	assert_int_equal(err.pos, 6);
	assert_int_equal(zs_spf_macro_check("a b", 3, 0, &err), ZS_ERR_PARSE);
	assert_int_equal(zs_spf_macro_check("a b %{t}", 8, ZS_SPF_MACRO_EXP, &err), 0);
	assert_int_equal(zs_spf_macro_check("\xef\xbb\xbfx", 4, ZS_SPF_MACRO_EXP, &err),
	                 ZS_ERR_PARSE);
	assert_true(zs_spf_macro_uses("a.%{P}.b", 8, 'p'));
	assert_false(zs_spf_macro_uses("a.%%{p}.b", 9, 'p'));
	assert_false(zs_spf_macro_uses("%{d}", 4, 'p'));

	char rev[80];
	struct zs_spf_ip ip;
	assert_int_equal(zs_spf_ip_parse("2001:db8::1", &ip), 0);
	zs_spf_reverse_name(&ip, rev, sizeof(rev));
	assert_string_equal(rev, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	                         "ip6.arpa");
	assert_int_equal(zs_spf_ip_parse("192.0.2.3", &ip), 0);
	zs_spf_reverse_name(&ip, rev, sizeof(rev));
	assert_string_equal(rev, "3.2.0.192.in-addr.arpa");
}

/* ------------------------------------------------------------------------------------------ */
/* Analysis */

static void test_spf_analysis_counts_through_includes(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 include:a.example.net include:b.example.net mx -all",
		"example.com TXT google-site-verification=xyz",
		"example.com MX 10 mx1.example.com",
		"example.com MX 20 mx2.example.com",
		"mx1.example.com A 192.0.2.10",
		"mx1.example.com AAAA 2001:db8::10",
		"mx2.example.com A 192.0.2.11",
		"a.example.net TXT v=spf1 ip4:198.51.100.0/24 include:c.example.net ~all",
		"b.example.net TXT v=spf1 a:host.b.example.net ip6:2001:db8:1::/64 -all",
		"host.b.example.net A 203.0.113.5",
		"c.example.net TXT v=spf1 ip4:198.51.100.7 ip4:203.0.113.1 -all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_fakedns_stats st;
	struct zs_spf_ctx *ctx = analyse(fd, "Example.COM.", &st);
	const struct zs_spf_report *r = zs_spf_report(ctx);

	assert_int_equal(r->result, ZS_SPF_VALID);
	assert_int_equal(r->error, ZS_SPF_CODE_NONE);
	assert_int_equal(r->record_count, 1);
	assert_string_equal(r->records[0].data,
	                    "v=spf1 include:a.example.net include:b.example.net mx -all");
	assert_int_equal(r->lookups, 5);      /* include, include, mx + include:c + a */
	assert_int_equal(r->void_lookups, 0); /* a:host.b has no AAAA: void for IPv6 clients */
	assert_int_equal(r->void_lookups_ipv4, 0);
	assert_int_equal(r->void_lookups_ipv6, 1);
	assert_int_equal(r->all, '-');
	assert_true(r->authorizes_hosts);
	/* 198.51.100.0/24 (256), 203.0.113.1, 203.0.113.5, 192.0.2.10, 192.0.2.11 */
	assert_int_equal(r->ipv4_addresses, 260);
	assert_true(r->ipv6_addresses == ((unsigned __int128)1 << 64) + 1);
	assert_false(r->ptr);
	assert_false(r->dynamic);
	/* the tree: root, a (with c), b */
	const struct zs_spf_node *root = r->tree;
	assert_int_equal(root->lookups, 5);
	const struct zs_spf_node *a = root->child;
	assert_string_equal(a->domain, "a.example.net");
	assert_string_equal(a->term, "include:a.example.net");
	assert_int_equal(a->qualifier, '+');
	assert_int_equal(a->lookups, 1);
	assert_int_equal(a->all, '~');
	assert_int_equal(a->ipv4_addresses, 257);
	assert_string_equal(a->child->domain, "c.example.net");
	assert_int_equal(a->child->lookups, 0);
	const struct zs_spf_node *b = a->next;
	assert_string_equal(b->domain, "b.example.net");
	assert_int_equal(b->lookups, 1);
	assert_null(b->next);
	/* include targets of one record leave together */
	assert_true(st.max_batch >= 3);
	assert_null(find(r, ZS_SPF_CODE_VOID_LOOKUP));
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static void test_spf_analysis_lookup_limit_counts_everything(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 a mx include:inc.example.com include:inc.example.com "
		"exists:x.example.com -all",
		"example.com A 192.0.2.1",
		"example.com MX 0 example.com",
		"inc.example.com TXT v=spf1 a a a a",
		"inc.example.com A 192.0.2.2",
		"x.example.com A 127.0.0.2",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);

	/* a, mx, 2 x (include + 4 a), exists: 13; a receiver stops at the 11th */
	assert_int_equal(r->lookups, 13);
	/* IPv4-only hosts: 9 void lookups for an IPv6 client, a warning */
	assert_int_equal(r->void_lookups, 0);
	assert_int_equal(r->void_lookups_ipv6, 9);
	assert_non_null(find(r, ZS_SPF_CODE_VOID_LIMIT_IPV6));
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_LOOKUP_LIMIT);
	assert_non_null(r->error_finding);
	assert_string_equal(r->error_finding->domain, "inc.example.com");
	assert_int_equal(r->error_finding->pos, 11); /* the third "a" of the second pass */
	/* the duplicate include is counted twice but asked once */
	assert_int_equal(r->tree->child->lookups, 4);
	assert_int_equal(r->tree->child->next->lookups, 4);
	/* exists:x.example.com resolves: it matches every client */
	assert_int_equal(r->ipv4_addresses, 1ull << 32);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static void test_spf_analysis_void_limit(void **state)
{
	static const char *const z[] = {
		"v4.example.com TXT v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com -all",
		"h1.example.com A 192.0.2.1",
		"h2.example.com A 192.0.2.2",
		"h3.example.com A 192.0.2.3",
		"nx.example.com TXT v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com "
		"?all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "v4.example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);

	/* IPv4-only hosts: void for IPv6 clients only; the walk alone warns, but an unlisted
	 * IPv6 sender meets the third void lookup, so receivers give it permerror */
	assert_int_equal(r->void_lookups_ipv4, 0);
	assert_int_equal(r->void_lookups_ipv6, 3);
	assert_int_equal(r->void_lookups, 0);
	assert_int_equal(r->tree->result, ZS_SPF_VALID);
	assert_non_null(strstr(find(r, ZS_SPF_CODE_VOID_LIMIT_IPV6)->message, "IPv6"));
	assert_int_equal(find(r, ZS_SPF_CODE_VOID_LIMIT_IPV6)->pos, 41);
	assert_int_equal(r->ipv4_addresses, 3);
	assert_int_equal(r->unlisted[0].result, ZS_SPF_FAIL);
	assert_int_equal(r->unlisted[1].result, ZS_SPF_PERMERROR);
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_VOID_LIMIT);
	assert_int_equal(r->error_finding->pos, 41);
	assert_non_null(strstr(r->error_finding->message, "IPv6, checked with"));
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "nx.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->void_lookups_ipv4, 3);
	assert_int_equal(r->void_lookups_ipv6, 3);
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_VOID_LIMIT);
	assert_int_equal(r->error_finding->pos, 42); /* exists: */
	assert_false(r->authorizes_hosts);
	assert_int_equal(r->all, '?');
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static void test_spf_analysis_loops(void **state)
{
	static const char *const z[] = {
		"a.example.com TXT v=spf1 include:b.example.com -all",
		"b.example.com TXT v=spf1 ip4:192.0.2.1 include:a.example.com -all",
		"self.example.com TXT v=spf1 redirect=self.example.com",
		"r1.example.com TXT v=spf1 ip4:192.0.2.9 redirect=r2.example.com",
		"r2.example.com TXT v=spf1 redirect=R1.example.com.",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	const char *domains[] = { "a.example.com", "self.example.com", "r1.example.com" };
	const char *where[] = { "b.example.com", "self.example.com", "r2.example.com" };

	for (size_t i = 0; i < 3; i++) {
		struct zs_spf_ctx *ctx = analyse(fd, domains[i], NULL);
		const struct zs_spf_report *r = zs_spf_report(ctx);
		assert_int_equal(r->result, ZS_SPF_PERMERROR);
		assert_int_equal(r->error, ZS_SPF_CODE_LOOP);
		assert_string_equal(r->error_finding->domain, where[i]);
		assert_true(r->lookups <= 3);
		zs_spf_ctx_free(ctx);
	}
	/* check_host() meets the same loop as the lookup limit */
	struct zs_spf_check_params p = { .domain = "a.example.com" };
	assert_int_equal(zs_spf_ip_parse("198.51.100.1", &p.ip), 0);
	struct zs_spf_ctx *ctx = zs_spf_check_new(&p);
	assert_int_equal(zs_fakedns_resolve(fd, ctx, false, NULL), 0);
	assert_int_equal(zs_spf_report(ctx)->result, ZS_SPF_PERMERROR);
	assert_int_equal(zs_spf_report(ctx)->error, ZS_SPF_CODE_LOOKUP_LIMIT);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static void test_spf_analysis_errors(void **state)
{
	static const char *const z[] = {
		"inone.example.com TXT v=spf1 include:nothing.example.com -all",
		"rnone.example.com TXT v=spf1 redirect=nothing.example.com",
		"nothing.example.com A 192.0.2.1",
		"mx.example.com TXT v=spf1 mx -all",
		"mx.example.com MX 1 a.example.com",
		"mx.example.com MX 2 a.example.com",
		"mx.example.com MX 3 a.example.com",
		"mx.example.com MX 4 a.example.com",
		"mx.example.com MX 5 a.example.com",
		"mx.example.com MX 6 a.example.com",
		"mx.example.com MX 7 a.example.com",
		"mx.example.com MX 8 a.example.com",
		"mx.example.com MX 9 a.example.com",
		"mx.example.com MX 10 a.example.com",
		"mx.example.com MX 11 a.example.com",
		"two.example.com TXT v=spf1 -all",
		"two.example.com TXT v=spf1 +all",
		"inctwo.example.com TXT v=spf1 ip4:192.0.2.1 include:two.example.com -all",
		"syn.example.com TXT v=spf1 include:bad.example.com -all",
		"bad.example.com TXT v=spf1 ip4:192.0.2.1 a:foo.123 -all",
		"tmp.example.com TXT v=spf1 ip4:192.0.2.1 include:slow.example.com -all",
		"slow.example.com TIMEOUT x",
		"sf.example.com TXT v=spf1 a:broken.example.com -all",
		"broken.example.com SERVFAIL x",
		"topfail.example.com SERVFAIL x",
		NULL,
	};
	static const struct {
		const char *domain;
		enum zs_spf_result result;
		enum zs_spf_code error;
		const char *where;
	} cases[] = {
		{ "inone.example.com", ZS_SPF_PERMERROR, ZS_SPF_CODE_INCLUDE_NONE,
		  "inone.example.com" },
		{ "rnone.example.com", ZS_SPF_PERMERROR, ZS_SPF_CODE_REDIRECT_NONE,
		  "rnone.example.com" },
		{ "mx.example.com", ZS_SPF_PERMERROR, ZS_SPF_CODE_TOO_MANY_MX, "mx.example.com" },
		{ "two.example.com", ZS_SPF_PERMERROR, ZS_SPF_CODE_MULTIPLE_RECORDS,
		  "two.example.com" },
		{ "inctwo.example.com", ZS_SPF_PERMERROR, ZS_SPF_CODE_MULTIPLE_RECORDS,
		  "two.example.com" },
		{ "syn.example.com", ZS_SPF_PERMERROR, ZS_SPF_CODE_SYNTAX, "bad.example.com" },
		{ "tmp.example.com", ZS_SPF_TEMPERROR, ZS_SPF_CODE_DNS_ERROR, "slow.example.com" },
		{ "sf.example.com", ZS_SPF_TEMPERROR, ZS_SPF_CODE_DNS_ERROR, "sf.example.com" },
		{ "topfail.example.com", ZS_SPF_TEMPERROR, ZS_SPF_CODE_DNS_ERROR,
		  "topfail.example.com" },
		{ "nothing.example.com", ZS_SPF_NONE, ZS_SPF_CODE_NONE, NULL },
		{ "unknown.example.com", ZS_SPF_NONE, ZS_SPF_CODE_NONE, NULL },
	};
	struct zs_fakedns *fd = zone(z);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zs_spf_ctx *ctx = analyse(fd, cases[i].domain, NULL);
		const struct zs_spf_report *r = zs_spf_report(ctx);
		if (r->result != cases[i].result || r->error != cases[i].error) {
			fail_msg("%s: %s %s", cases[i].domain, zs_spf_result_name(r->result),
			         zs_spf_code_name(r->error));
		}
		if (cases[i].where != NULL) {
			assert_string_equal(r->error_finding->domain, cases[i].where);
		}
		zs_spf_ctx_free(ctx);
	}
	/* details: the syntax error's position, the failing DNS question */
	struct zs_spf_ctx *ctx = analyse(fd, "syn.example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);
	assert_int_equal(r->error_finding->pos, 27);
	assert_int_equal(r->tree->child->error, ZS_SPF_CODE_SYNTAX);
	assert_int_equal(r->tree->child->result, ZS_SPF_PERMERROR);
	zs_spf_ctx_free(ctx);
	ctx = analyse(fd, "tmp.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_string_equal(r->error_finding->dns_name, "slow.example.com");
	assert_int_equal(r->error_finding->dns_type, ZS_RR_TXT);
	assert_int_equal(r->error_finding->dns_status, ZS_DNS_TIMEOUT);
	zs_spf_ctx_free(ctx);
	ctx = analyse(fd, "two.example.com", NULL);
	assert_int_equal(zs_spf_report(ctx)->record_count, 2);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static void test_spf_analysis_flattening(void **state)
{
	static const char *const z[] = {
		"carve.example.com TXT v=spf1 -ip4:192.0.2.1 ip4:192.0.2.0/24 ~all",
		"passall.example.com TXT v=spf1 ip4:192.0.2.0/24 +all",
		"wide.example.com TXT v=spf1 ip4:10.0.0.0/8 ip6:2001:db8::/32 -all",
		"redir.example.com TXT v=spf1 ip4:192.0.2.0/25 redirect=base.example.com",
		"base.example.com TXT v=spf1 ip4:192.0.2.0/24 -ip4:198.51.100.0/24 ip4:198.51.100.0/23 "
		"?all",
		"neginc.example.com TXT v=spf1 -include:base.example.com ip4:192.0.2.0/24 "
		"ip4:203.0.113.0/30 -all",
		"cidr.example.com TXT v=spf1 a/24 mx//48 -all",
		"cidr.example.com A 192.0.2.77",
		"cidr.example.com MX 0 m.example.com",
		"cidr.example.com MX 1 .",
		"m.example.com AAAA 2001:db8:5::1",
		"m.example.com A 192.0.2.200",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "carve.example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);
	assert_int_equal(r->ipv4_addresses, 255);
	assert_true(r->ipv6_addresses == 0);
	assert_null(find(r, ZS_SPF_CODE_WIDE_IPV4));
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "passall.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->ipv4_addresses, 1ull << 32);
	assert_true(r->ipv6_all);
	assert_int_equal(r->all, '+');
	assert_non_null(find(r, ZS_SPF_CODE_PASS_ALL));
	assert_non_null(find(r, ZS_SPF_CODE_WIDE_IPV4));
	assert_non_null(find(r, ZS_SPF_CODE_WIDE_IPV6));
	char *json = report_json(r);
	assert_non_null(strstr(json, "\"ipv6_addresses\":340282366920938463463374607431768211456"));
	zs_free(json);
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "wide.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->ipv4_addresses, 1u << 24);
	assert_true(r->ipv6_addresses == (unsigned __int128)1 << 96);
	assert_non_null(find(r, ZS_SPF_CODE_WIDE_IPV4));
	assert_non_null(find(r, ZS_SPF_CODE_WIDE_IPV6));
	json = report_json(r);
	assert_non_null(strstr(json, "\"ipv6_addresses\":79228162514264337593543950336"));
	zs_free(json);
	zs_spf_ctx_free(ctx);

	/* redirect: what the first record left undecided, the target's all */
	ctx = analyse(fd, "redir.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->ipv4_addresses, 256 + 256); /* 192.0.2.0/24 and 198.51.101.0/24 */
	assert_int_equal(r->all, '?');
	assert_int_equal(r->lookups, 1);
	zs_spf_ctx_free(ctx);

	/* a "-include" decides what the target passes, it passes nothing */
	ctx = analyse(fd, "neginc.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->ipv4_addresses, 4);
	zs_spf_ctx_free(ctx);

	/* a/24 and mx//48 (the null MX is skipped) */
	ctx = analyse(fd, "cidr.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_VALID);
	assert_int_equal(r->ipv4_addresses, 256);
	assert_true(r->ipv6_addresses == (unsigned __int128)1 << 80);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static void test_spf_analysis_findings(void **state)
{
	char long_rec[600];
	(void)snprintf(long_rec, sizeof(long_rec), "big.example.com TXT v=spf1");
	for (int i = 0; i < 32; i++) {
		size_t n = strlen(long_rec);
		(void)snprintf(long_rec + n, sizeof(long_rec) - n, " ip4:192.0.2.%d", i);
	}
	(void)snprintf(long_rec + strlen(long_rec), sizeof(long_rec) - strlen(long_rec), " -all");
	const char *const z[] = {
		"dyn.example.com TXT v=spf1 exists:%{i}._spf.%{d} ptr include:%{l}.x.example.com "
		"a:%{d} -all",
		"dyn.example.com A 192.0.2.5",
		"after.example.com TXT v=spf1 -all ip4:192.0.2.1 redirect=dyn.example.com foo=bar",
		"noall.example.com TXT v=spf1 ip4:192.0.2.1",
		"deny.example.com TXT v=spf1 -all",
		"t99.example.com SPF v=spf1 ip4:192.0.2.1 -all",
		"t99.example.com TXT something else",
		long_rec,
		"fat.example.com TXT v=spf1 -all",
		"fat.example.com TXT 0123456789012345678901234567890123456789012345678901234567890123"
		"4567890123456789012345678901234567890123456789012345678901234567890123456789|012345678"
		"9012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
		"456789012345678901234567890123456789012345678901234567890123456789|x",
		"fat.example.com TXT 0123456789012345678901234567890123456789012345678901234567890123"
		"45678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "dyn.example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);
	assert_int_equal(r->tree->result, ZS_SPF_VALID);
	/* for an unlisted sender, include:%{l}.x.example.com has no SPF record */
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_INCLUDE_NONE);
	assert_true(r->dynamic);
	assert_true(r->ptr);
	assert_true(r->authorizes_hosts);
	assert_int_equal(r->lookups, 4);
	assert_int_equal(r->ipv4_addresses, 1); /* a:%{d} is static */
	assert_non_null(find(r, ZS_SPF_CODE_PTR_USED));
	assert_non_null(find(r, ZS_SPF_CODE_MACRO_DYNAMIC));
	assert_null(r->tree->child->domain); /* include:%{l}... cannot be expanded */
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "after.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_non_null(find(r, ZS_SPF_CODE_TERMS_AFTER_ALL));
	assert_non_null(find(r, ZS_SPF_CODE_REDIRECT_IGNORED));
	assert_non_null(find(r, ZS_SPF_CODE_UNKNOWN_MODIFIER));
	assert_non_null(find(r, ZS_SPF_CODE_NO_HOSTS));
	assert_int_equal(r->lookups, 0);
	assert_false(r->authorizes_hosts);
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "noall.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->all, 0);
	assert_non_null(find(r, ZS_SPF_CODE_NO_ALL));
	zs_spf_ctx_free(ctx);

	/* SPF only as type 99: none, with the record and a finding */
	ctx = analyse(fd, "t99.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_NONE);
	assert_int_equal(r->type99_count, 1);
	assert_string_equal(r->type99[0].data, "v=spf1 ip4:192.0.2.1 -all");
	assert_non_null(find(r, ZS_SPF_CODE_SPF_TYPE99_ONLY));
	zs_spf_ctx_free(ctx);
	/* ... not asked when the caller says so */
	struct zs_spf_analysis_opts o = { .no_type99 = true };
	struct zs_fakedns_stats st;
	ctx = zs_spf_analysis_new("t99.example.com", &o);
	assert_int_equal(zs_fakedns_resolve(fd, ctx, false, &st), 0);
	assert_int_equal(st.queries, 1);
	assert_int_equal(zs_spf_report(ctx)->type99_count, 0);
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "big.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_non_null(find(r, ZS_SPF_CODE_RECORD_TOO_LONG));
	assert_int_equal(r->ipv4_addresses, 32);
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "fat.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_VALID);
	assert_non_null(find(r, ZS_SPF_CODE_TXT_TOO_LARGE));
	assert_null(find(r, ZS_SPF_CODE_RECORD_TOO_LONG));
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "deny.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_false(r->authorizes_hosts);
	assert_non_null(find(r, ZS_SPF_CODE_NO_HOSTS));
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

/* Whatever the records say, the work stays bounded. */
static void test_spf_analysis_bounded(void **state)
{
	struct zs_fakedns *fd = zs_fakedns_new();
	char owner[64];
	char rec[128];

	/* a chain of 100 includes */
	for (int i = 0; i < 100; i++) {
		(void)snprintf(owner, sizeof(owner), "c%d.example.com", i);
		(void)snprintf(rec, sizeof(rec), "v=spf1 include:c%d.example.com -all", i + 1);
		zs_fakedns_add_text(fd, owner, ZS_RR_TXT, rec);
	}
	/* a fan-out of 20 x 20 x 20 includes */
	for (int i = 0; i < 20; i++) {
		(void)snprintf(owner, sizeof(owner), "f%d.example.com", i);
		zs_fakedns_add_text(
		        fd, owner, ZS_RR_TXT,
		        "v=spf1 include:f0.example.net include:f1.example.net "
		        "include:f2.example.net include:f3.example.net mx a a a a a a a "
		        "a a a a a a a a -all");
	}
	zs_fakedns_add_text(
	        fd, "fan.example.com", ZS_RR_TXT,
	        "v=spf1 include:f0.example.com include:f1.example.com "
	        "include:f2.example.com include:f3.example.com include:f4.example.com "
	        "include:f5.example.com include:f6.example.com include:f7.example.com "
	        "include:f8.example.com include:f9.example.com include:f10.example.com "
	        "include:f11.example.com include:f12.example.com include:f13.example.com "
	        "include:f14.example.com include:f15.example.com -all");
	for (int i = 0; i < 4; i++) {
		(void)snprintf(owner, sizeof(owner), "f%d.example.net", i);
		zs_fakedns_add_text(fd, owner, ZS_RR_TXT,
		                    "v=spf1 include:f0.example.com include:f1.example.com -all");
	}

	struct zs_fakedns_stats st;
	struct zs_spf_ctx *ctx = analyse(fd, "c0.example.com", &st);
	const struct zs_spf_report *r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_LOOKUP_LIMIT);
	assert_true(r->truncated);
	assert_true(r->lookups <= 30);
	assert_true(st.queries <= 30);
	zs_spf_ctx_free(ctx);

	ctx = analyse(fd, "fan.example.com", &st);
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_true(r->truncated);
	assert_non_null(find(r, ZS_SPF_CODE_TRUNCATED));
	assert_true(r->lookups <= 400);
	assert_true(st.queries <= 600);
	assert_true(st.steps < 40);
	assert_true(r->finding_count <= 64);
	zs_spf_ctx_free(ctx);

	/* check_host() on the same: the RFC limits stop it early */
	struct zs_spf_check_params p = { .domain = "fan.example.com" };
	assert_int_equal(zs_spf_ip_parse("192.0.2.1", &p.ip), 0);
	ctx = zs_spf_check_new(&p);
	assert_int_equal(zs_fakedns_resolve(fd, ctx, false, &st), 0);
	assert_int_equal(zs_spf_report(ctx)->result, ZS_SPF_PERMERROR);
	assert_true(st.queries <= 12);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

/* ------------------------------------------------------------------------------------------ */
/* The unlisted-sender paths */

/*
 * Two void a: terms, then exists:%{i}: the walk cannot expand the last term and finds the
 * record valid, but for every address it does not list the exists lookup is the third void
 * lookup: permerror, named by its term, for both families.
 */
static void test_spf_unlisted_client_dependent_void(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 a:gone1.example.com a:gone2.example.com "
		"exists:%{i}._spf.example.com -all",
		"192.0.2.10._spf.example.com A 127.0.0.2",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_fakedns_stats st;
	struct zs_spf_ctx *ctx = analyse(fd, "example.com", &st);
	const struct zs_spf_report *r = zs_spf_report(ctx);

	assert_int_equal(r->tree->result, ZS_SPF_VALID); /* the static walk alone */
	assert_true(r->dynamic);
	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_VOID_LIMIT);
	assert_int_equal(r->error_finding->pos, 47);
	assert_non_null(strstr(r->error_finding->message, "exists:%{i}._spf.example.com (record "
	                                                  "of example.com): void lookup 3"));
	assert_non_null(strstr(r->error_finding->message, "(IPv4 and IPv6)"));
	for (int fam = 0; fam < 2; fam++) {
		assert_true(r->unlisted[fam].evaluated);
		assert_int_equal(r->unlisted[fam].result, ZS_SPF_PERMERROR);
		assert_int_equal(r->unlisted[fam].void_lookups, 3);
		assert_int_equal(r->unlisted[fam].ip.family, fam == 0 ? 4 : 6);
	}
	/* the walk's 5 questions (TXT, type 99 not needed, A and AAAA of two names), then the
	 * exists name of each unlisted address: the only new questions */
	assert_int_equal(st.queries, 7);
	char *json = report_json(r);
	assert_non_null(strstr(json,
	                       "\"unlisted\":[{\"evaluated\":true,\"ip\":\"" ZS_SPF_UNLISTED_IPV4
	                       "\",\"result\":\"permerror\",\"error\":\"void_limit\""));
	zs_free(json);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

/* %{i} in an include: the unlisted sender's name has no SPF record (include_none). */
static void test_spf_unlisted_client_dependent_include(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 mx include:%{ir}.%{v}._spf.example.com -all",
		"example.com MX 10 mail.example.com",
		"mail.example.com A 192.0.2.25",
		"10.2.0.192.in-addr._spf.example.com TXT v=spf1 +all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);

	assert_int_equal(r->result, ZS_SPF_PERMERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_INCLUDE_NONE);
	assert_non_null(strstr(r->error_finding->message, "include:%{ir}.%{v}._spf.example.com"));
	assert_non_null(strstr(r->error_finding->message, "IPv4 and IPv6"));
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

/* A record that works for unlisted senders: their path ends in -all, the record is valid. */
static void test_spf_unlisted_valid_and_unknown(void **state)
{
	static const char *const z[] = {
		"ok.example.com TXT v=spf1 mx exists:%{i}._spf.ok.example.com -all",
		"ok.example.com MX 10 mail.ok.example.com",
		"mail.ok.example.com A 192.0.2.25",
		"slow.example.com TXT v=spf1 exists:%{i}._spf.slow.example.com -all",
		"203.0.113.254._spf.slow.example.com TIMEOUT",
		"static.example.com TXT v=spf1 ip4:192.0.2.0/24 -all",
		"bad.example.com TXT v=spf1 include:nothing.example.com -all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "ok.example.com", NULL);
	const struct zs_spf_report *r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_VALID);
	assert_int_equal(r->error, ZS_SPF_CODE_NONE);
	assert_int_equal(r->unlisted[0].result, ZS_SPF_FAIL);
	assert_string_equal(r->unlisted[0].matched, "-all");
	assert_int_equal(r->unlisted[1].result, ZS_SPF_FAIL);
	assert_null(r->explanation); /* exp= is not evaluated on these paths */
	zs_spf_ctx_free(ctx);

	/* a failed lookup on the path: the record's validity is unknown (temperror) */
	ctx = analyse(fd, "slow.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_TEMPERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_DNS_ERROR);
	assert_int_equal(r->error_finding->dns_status, ZS_DNS_TIMEOUT);
	zs_spf_ctx_free(ctx);

	/* no client-dependent term: the paths agree with the walk and ask nothing new */
	struct zs_fakedns_stats st;
	ctx = analyse(fd, "static.example.com", &st);
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_VALID);
	assert_int_equal(r->unlisted[0].result, ZS_SPF_FAIL);
	assert_int_equal(st.queries, 1);
	zs_spf_ctx_free(ctx);

	/* the walk already found the record invalid: the paths are not run */
	ctx = analyse(fd, "bad.example.com", NULL);
	r = zs_spf_report(ctx);
	assert_int_equal(r->error, ZS_SPF_CODE_INCLUDE_NONE);
	assert_false(r->unlisted[0].evaluated);
	assert_false(r->unlisted[1].evaluated);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

/* ------------------------------------------------------------------------------------------ */
/* Protocol, check_host() details, rendering */

static void test_spf_step_answers_in_any_order(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 include:a.example.net include:b.example.net "
		"include:c.example.net mx ~all",
		"example.com MX 0 mx.example.com",
		"example.com MX 5 mx2.example.com",
		"mx.example.com A 192.0.2.1",
		"mx2.example.com AAAA 2001:db8::2",
		"a.example.net TXT v=spf1 ip4:198.51.100.0/28 -all",
		"b.example.net TXT v=spf1 include:c.example.net -all",
		"c.example.net TXT v=spf1 ip6:2001:db8:c::/48 ?all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *in_order = zs_spf_analysis_new("example.com", NULL);
	struct zs_spf_ctx *reverse = zs_spf_analysis_new("example.com", NULL);
	struct zs_fakedns_stats st1;
	struct zs_fakedns_stats st2;

	assert_int_equal(zs_fakedns_resolve(fd, in_order, false, &st1), 0);
	assert_int_equal(zs_fakedns_resolve(fd, reverse, true, &st2), 0);
	char *j1 = report_json(zs_spf_report(in_order));
	char *j2 = report_json(zs_spf_report(reverse));
	assert_string_equal(j1, j2);
	assert_int_equal(st1.queries, st2.queries);
	assert_true(st1.steps < st2.steps);
	zs_free(j1);
	zs_free(j2);
	zs_spf_ctx_free(in_order);
	zs_spf_ctx_free(reverse);

	/* by hand: the first step asks the TXT, the second the includes and the MX together */
	struct zs_spf_ctx *ctx = zs_spf_analysis_new("example.com", NULL);
	const struct zs_spf_need *need;
	size_t n;
	struct zs_arena a;
	struct zs_answer ans;
	zs_arena_init(&a);
	assert_int_equal(zs_spf_step(ctx, &need, &n), ZS_SPF_NEED);
	assert_int_equal(n, 1);
	assert_string_equal(need[0].name, "example.com");
	assert_int_equal(need[0].type, ZS_RR_TXT);
	assert_null(zs_spf_report(ctx));
	zs_fakedns_query(fd, "example.com", ZS_RR_TXT, &a, &ans);
	assert_int_equal(zs_spf_answer(ctx, "EXAMPLE.com.", ZS_RR_TXT, &ans), 0);
	zs_arena_deinit(&a);
	assert_int_equal(zs_spf_step(ctx, &need, &n), ZS_SPF_NEED);
	assert_int_equal(n, 4);
	/* nothing new while those are pending */
	assert_int_equal(zs_spf_step(ctx, &need, &n), ZS_SPF_NEED);
	assert_int_equal(n, 0);
	zs_spf_ctx_free(ctx); /* freed mid-way: no leak */

	/* an answer given before it is asked is used (the caller may have it already) */
	ctx = zs_spf_analysis_new("a.example.net", NULL);
	zs_arena_init(&a);
	zs_fakedns_query(fd, "a.example.net", ZS_RR_TXT, &a, &ans);
	assert_int_equal(zs_spf_answer(ctx, "a.example.net", ZS_RR_TXT, &ans), 0);
	zs_arena_deinit(&a);
	assert_int_equal(zs_spf_step(ctx, &need, &n), ZS_SPF_DONE);
	assert_int_equal(zs_spf_report(ctx)->ipv4_addresses, 16);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

static struct zs_spf_ctx *check(const struct zs_fakedns *fd, const char *ip, const char *sender,
                                const char *domain)
{
	struct zs_spf_check_params p = { .domain = domain,
		                         .sender = sender,
		                         .helo = "mx.example.org",
		                         .default_exp = "see policy" };
	assert_int_equal(zs_spf_ip_parse(ip, &p.ip), 0);
	struct zs_spf_ctx *ctx = zs_spf_check_new(&p);
	assert_int_equal(zs_fakedns_resolve(fd, ctx, false, NULL), 0);
	return ctx;
}

static void test_spf_check_host_report(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all "
		"exp=why.example.com",
		"why.example.com TXT %{i} is not one of %{d}'s senders",
		"_spf.example.net TXT v=spf1 ip4:198.51.100.7 ~all",
		"tmp.example.com TXT v=spf1 ip4:192.0.2.1 include:slow.example.net -all",
		"slow.example.net TIMEOUT x",
		"mxh.example.com TXT v=spf1 mx -all",
		"mxh.example.com MX 0 a.example.com",
		"mxh.example.com MX 1 b.example.com",
		"mxh.example.com MX 2 c.example.com",
		"a.example.com A 203.0.113.1",
		"b.example.com A 203.0.113.2",
		"c.example.com A 203.0.113.3",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = check(fd, "198.51.100.7", "user@example.com", "example.com");
	const struct zs_spf_report *r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_PASS);
	assert_string_equal(r->matched, "include:_spf.example.net");
	assert_string_equal(r->matched_domain, "example.com");
	assert_int_equal(r->lookups, 1);
	assert_int_equal(r->tree->child->result, ZS_SPF_PASS);
	assert_null(r->explanation);
	zs_spf_ctx_free(ctx);

	ctx = check(fd, "203.0.113.9", "user@example.com", "example.com");
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_FAIL);
	assert_string_equal(r->matched, "-all");
	assert_string_equal(r->explanation, "203.0.113.9 is not one of example.com's senders");
	assert_int_equal(r->tree->child->result, ZS_SPF_SOFTFAIL);
	assert_int_equal(r->all, '-');
	struct zs_buf b;
	zs_buf_init(&b, 1 << 16);
	assert_int_equal(zs_spf_report_tree(r, &b), 0);
	assert_non_null(strstr(zs_buf_cstr(&b), "example.com: fail, 1 lookup\n"));
	assert_non_null(strstr(zs_buf_cstr(&b), "  include:_spf.example.net: softfail, 0 lookups"));
	assert_non_null(strstr(zs_buf_cstr(&b), "explanation: 203.0.113.9 is not"));
	zs_buf_deinit(&b);
	zs_spf_ctx_free(ctx);

	/* DNS failure: temperror naming the question, never none */
	ctx = check(fd, "203.0.113.9", NULL, "tmp.example.com");
	r = zs_spf_report(ctx);
	assert_int_equal(r->result, ZS_SPF_TEMPERROR);
	assert_int_equal(r->error, ZS_SPF_CODE_DNS_ERROR);
	assert_string_equal(r->error_finding->dns_name, "slow.example.net");
	assert_int_equal(r->error_finding->dns_status, ZS_DNS_TIMEOUT);
	zs_spf_ctx_free(ctx);

	/* mx: the host lookups leave together; the third host matches */
	struct zs_fakedns_stats st;
	struct zs_spf_check_params p = { .domain = "mxh.example.com" };
	assert_int_equal(zs_spf_ip_parse("203.0.113.3", &p.ip), 0);
	ctx = zs_spf_check_new(&p);
	assert_int_equal(zs_fakedns_resolve(fd, ctx, false, &st), 0);
	assert_int_equal(zs_spf_report(ctx)->result, ZS_SPF_PASS);
	assert_int_equal(st.max_batch, 3);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

/* Contexts sharing a parse cache report exactly what private parsing reports. */
static void test_spf_cache_shared_by_contexts(void **state)
{
	static const char *const z[] = {
		"a.example.com TXT v=spf1 include:_spf.provider.example a -all",
		"a.example.com A 192.0.2.1",
		"b.example.com TXT v=spf1 include:_spf.provider.example include:bad.example.net ~all",
		"_spf.provider.example TXT v=spf1 ip4:198.51.100.0/24 include:_nb.provider.example ~all",
		"_nb.provider.example TXT v=spf1 ip6:2001:db8::/48 ~all",
		"bad.example.net TXT v=spf1 ip4:192.0.2.300 -all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	const char *domains[] = { "a.example.com", "b.example.com", "a.example.com" };
	size_t sizes[] = { 0, 1 };

	for (size_t k = 0; k < 2; k++) {
		struct zs_spf_cache *cache = zs_spf_cache_new(sizes[k]);
		for (size_t i = 0; i < 3; i++) {
			struct zs_spf_analysis_opts o = { .cache = cache };
			struct zs_spf_ctx *shared = zs_spf_analysis_new(domains[i], &o);
			struct zs_spf_ctx *alone = zs_spf_analysis_new(domains[i], NULL);
			assert_int_equal(zs_fakedns_resolve(fd, shared, false, NULL), 0);
			assert_int_equal(zs_fakedns_resolve(fd, alone, false, NULL), 0);
			char *j1 = report_json(zs_spf_report(shared));
			char *j2 = report_json(zs_spf_report(alone));
			assert_string_equal(j1, j2);
			zs_free(j1);
			zs_free(j2);
			zs_spf_ctx_free(shared);
			zs_spf_ctx_free(alone);
		}
		zs_spf_cache_free(cache);
	}
	zs_spf_cache_free(NULL);
	zs_fakedns_free(fd);
}

static void test_spf_report_json_keys(void **state)
{
	static const char *const z[] = {
		"example.com TXT v=spf1 include:_spf.example.net ptr ~all",
		"_spf.example.net TXT v=spf1 ip4:192.0.2.0/30 ip6:2001:db8::/126 -all",
		NULL,
	};
	struct zs_fakedns *fd = zone(z);
	struct zs_spf_ctx *ctx = analyse(fd, "example.com", NULL);
	char *json = report_json(zs_spf_report(ctx));
	static const char *const keys[] = {
		"{\"domain\":\"example.com\",\"mode\":\"analysis\",\"result\":\"valid\"",
		"\"records\":[\"v=spf1 include:_spf.example.net ptr ~all\"]",
		"\"error\":null",
		"\"lookups\":2",
		"\"void_lookups\":0",
		"\"all\":\"~\"",
		"\"authorizes_hosts\":true",
		"\"ipv4_addresses\":4",
		"\"ipv6_addresses\":4",
		"\"ptr\":true",
		"\"code\":\"ptr_used\",\"severity\":\"warning\",\"domain\":\"example.com\","
		"\"position\":32",
		"\"tree\":[{\"depth\":0,\"kind\":\"root\"",
		"{\"depth\":1,\"kind\":\"include\",\"term\":\"include:_spf.example.net\","
		"\"qualifier\":\"+\",\"domain\":\"_spf.example.net\"",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strstr(json, keys[i]) == NULL) {
			fail_msg("missing %s in %s", keys[i], json);
		}
	}
	zs_free(json);
	/* a full buffer is reported, not overrun */
	struct zs_buf b;
	struct zs_json j;
	zs_buf_init(&b, 100);
	zs_json_init(&j, &b);
	assert_int_equal(zs_spf_report_json(zs_spf_report(ctx), &j), ZS_ERR_TOOBIG);
	zs_buf_deinit(&b);
	zs_spf_ctx_free(ctx);
	zs_fakedns_free(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spf_is_record_prefix),
		cmocka_unit_test(test_spf_lists_senders_valid_or_not),
		cmocka_unit_test(test_spf_record_parse_terms),
		cmocka_unit_test(test_spf_record_parse_errors_have_positions),
		cmocka_unit_test(test_spf_ip_parse_mapped),
		cmocka_unit_test(test_spf_macro_expand_rfc_examples),
		cmocka_unit_test(test_spf_macro_expand_missing_and_errors),
		cmocka_unit_test(test_spf_analysis_counts_through_includes),
		cmocka_unit_test(test_spf_analysis_lookup_limit_counts_everything),
		cmocka_unit_test(test_spf_analysis_void_limit),
		cmocka_unit_test(test_spf_analysis_loops),
		cmocka_unit_test(test_spf_analysis_errors),
		cmocka_unit_test(test_spf_analysis_flattening),
		cmocka_unit_test(test_spf_analysis_findings),
		cmocka_unit_test(test_spf_analysis_bounded),
		cmocka_unit_test(test_spf_unlisted_client_dependent_void),
		cmocka_unit_test(test_spf_unlisted_client_dependent_include),
		cmocka_unit_test(test_spf_unlisted_valid_and_unknown),
		cmocka_unit_test(test_spf_step_answers_in_any_order),
		cmocka_unit_test(test_spf_check_host_report),
		cmocka_unit_test(test_spf_cache_shared_by_contexts),
		cmocka_unit_test(test_spf_report_json_keys),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
