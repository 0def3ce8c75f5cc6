/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the policy evaluation: every rule of the shipped rulesets is made to pass,
 * fail, warn (where it can), be "na" and be "error", from facts built by hand; the ruleset
 * parser's errors name file:line; an operator's own ruleset combines checks differently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/policy/ruleset.h"
#include "tests/unit/test.h"

static const char *const today = "2026-11-24";

/* A domain that satisfies every rule of post and ftld as a mail domain. */
static struct zs_facts good_mail(void)
{
	static const char *const hosts[] = { "mail.example.post" };
	struct zs_facts f = { .domain = "example.post" };

	f.mx.status = ZS_DNS_NOERROR;
	f.mx.kind = ZS_FACT_MX_HOSTS;
	f.mx.count = 1;
	f.mx.hosts = hosts;
	f.mx.host_count = 1;
	f.spf.status = ZS_DNS_NOERROR;
	f.spf.count = 1;
	f.spf.valid = true;
	f.spf.record = "v=spf1 mx -all";
	f.spf.all = '-';
	f.spf.authorizes = true;
	f.spf.senders = true;
	f.spf.lookups = 1;
	f.spf.ipv4 = 1;
	f.dmarc.status = ZS_DNS_NOERROR;
	f.dmarc.count = 1;
	f.dmarc.valid = true;
	f.dmarc.record = "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s";
	f.dmarc.p = "reject";
	f.dmarc.sp = "reject";
	f.dmarc.pct = 100;
	f.dmarc.adkim = 's';
	f.dmarc.aspf = 's';
	f.dkim.status = ZS_DNS_NOERROR;
	f.dkim.keys = 1;
	f.dkim.best_rsa_bits = 2048;
	f.dkim.best_selector = "selector1";
	f.dkim.wildcard_status = ZS_DNS_NXDOMAIN;
	f.rdns.status = ZS_DNS_NOERROR;
	f.rdns.state = ZS_FACT_RDNS_OK;
	f.dnssec.status = ZS_DNS_NOERROR;
	f.dnssec.known = true;
	f.dnssec.signed_delegation = true;
	f.mta_sts.status = f.tls_rpt.status = f.bimi.status = ZS_DNS_NXDOMAIN;
	return f;
}

/* A parked domain that satisfies every .POST rule for domains without mail. */
static struct zs_facts good_nomail(void)
{
	struct zs_facts f = good_mail();

	f.mx.kind = ZS_FACT_MX_NULL;
	f.mx.hosts = NULL;
	f.mx.host_count = 0;
	f.spf.record = "v=spf1 -all";
	f.spf.authorizes = false;
	f.spf.senders = false;
	f.spf.lookups = 0;
	f.spf.ipv4 = 0;
	f.dkim.keys = 0;
	f.dkim.best_rsa_bits = 0;
	f.dkim.best_selector = NULL;
	f.dkim.wildcard = true;
	f.dkim.wildcard_revoked = true;
	f.dkim.wildcard_status = ZS_DNS_NOERROR;
	f.rdns.state = ZS_FACT_RDNS_NONE;
	return f;
}

struct ctx {
	struct zs_policy *post;
	struct zs_policy *ftld;
	struct zs_arena arena;
};

static int setup(void **state)
{
	struct ctx *c = zs_calloc(1, sizeof(*c));
	struct zs_buf errs;

	zs_buf_init(&errs, 1 << 16);
	assert_int_equal(zs_policy_load("post", &c->post, &errs), 0);
	assert_int_equal(zs_policy_load("ftld", &c->ftld, &errs), 0);
	zs_buf_deinit(&errs);
	*state = c;
	return 0;
}

/* Each test gets a fresh arena for its evaluations, freed after it (leak checks are per test). */
static int arena_setup(void **state)
{
	struct ctx *c = *state;
	zs_arena_init(&c->arena);
	return 0;
}

static int arena_teardown(void **state)
{
	struct ctx *c = *state;
	zs_arena_deinit(&c->arena);
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	zs_policy_free(c->post);
	zs_policy_free(c->ftld);
	zs_free(c);
	return 0;
}

static const struct zs_rule_result *eval_rule(struct ctx *c, const struct zs_policy *p,
                                              const struct zs_facts *f, const char *rule,
                                              struct zs_eval *ev)
{
	zs_policy_eval(p, f, NULL, 0, today, &c->arena, ev);
	for (size_t i = 0; i < ev->count; i++) {
		if (strcmp(ev->results[i].rule->id, rule) == 0) {
			return &ev->results[i];
		}
	}
	fail_msg("rule %s not in policy %s", rule, p->name);
	return NULL;
}

static enum zs_verdict verdict(struct ctx *c, const struct zs_policy *p, const struct zs_facts *f,
                               const char *rule)
{
	struct zs_eval ev;
	return eval_rule(c, p, f, rule, &ev)->verdict;
}

#define ASSERT_VERDICT(c, p, f, rule, want)                                                        \
	do {                                                                                       \
		struct zs_eval ev_;                                                                \
		const struct zs_rule_result *r_ = eval_rule((c), (p), (f), (rule), &ev_);          \
		if (r_->verdict != (want)) {                                                       \
			fail_msg("%s: got %s (%s), want %s", (rule), zs_verdict_name(r_->verdict), \
			         r_->reason, zs_verdict_name(want));                               \
		}                                                                                  \
	} while (0)

static void test_policy_eval_good_domains_compliant(void **state)
{
	struct ctx *c = *state;
	struct zs_facts m = good_mail();
	struct zs_facts n = good_nomail();
	struct zs_eval ev;

	zs_policy_eval(c->post, &m, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_COMPLIANT);
	assert_int_equal(ev.warnings, 0);
	assert_int_equal(ev.mail, 1);
	zs_policy_eval(c->post, &n, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_COMPLIANT);
	assert_int_equal(ev.mail, 0);
	zs_policy_eval(c->ftld, &m, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_COMPLIANT);
	assert_int_equal(ev.warnings, 0);
}

static void test_policy_post_mx_spf(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();

	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_PASS);
	f.spf.count = 2;
	f.spf.valid = false;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_FAIL);
	f = good_mail();
	f.spf.all = '+';
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_FAIL);
	f = good_mail();
	f.spf.authorizes = false;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_FAIL);
	f = good_mail();
	f.spf.valid = false;
	f.spf.error = "lookup_limit";
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_FAIL);
	f = good_mail();
	f.spf.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_ERROR);
	f = good_nomail();
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_NA);
	/* the MX lookup failed: whether the rule applies is unknown */
	f = good_mail();
	f.mx.status = ZS_DNS_SERVFAIL;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_ERROR);
}

static void test_policy_post_mx_dkim(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();

	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DKIM", ZS_VERDICT_PASS);
	f.dkim.best_rsa_bits = 1024;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DKIM", ZS_VERDICT_FAIL);
	f.dkim.best_rsa_bits = 0;
	f.dkim.ed25519 = true; /* Ed25519 alone does not meet the 2048-bit text */
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DKIM", ZS_VERDICT_FAIL);
	f = good_mail();
	f.dkim.keys = 0;
	f.dkim.best_rsa_bits = 0;
	f.dkim.nothing_below = true;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DKIM", ZS_VERDICT_FAIL);
	f = good_mail();
	f.dkim.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DKIM", ZS_VERDICT_ERROR);
	f = good_nomail();
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DKIM", ZS_VERDICT_NA);
}

static void test_policy_post_mx_dmarc(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();

	f.dmarc.p = "none";
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DMARC", ZS_VERDICT_PASS); /* any p */
	f.dmarc.count = 0;
	f.dmarc.valid = false;
	f.dmarc.inherited = true;
	f.dmarc.inherited_from = "_dmarc.post";
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DMARC", ZS_VERDICT_FAIL);
	f = good_mail();
	f.dmarc.valid = false;
	f.dmarc.error = "invalid p";
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DMARC", ZS_VERDICT_FAIL);
	f = good_mail();
	f.dmarc.status = ZS_DNS_SERVFAIL;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DMARC", ZS_VERDICT_ERROR);
	f = good_nomail();
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DMARC", ZS_VERDICT_NA);
}

/* A record in force with a broken tag: the policy rules pass, the tags rule warns. */
static void test_policy_dmarc_broken_tags(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();
	f.dmarc.record = "v=DMARC1; p=reject; rua=dmarcreports@example.post";
	f.dmarc.discarded = 1;
	f.dmarc.broken =
	        "rua=: ... is not a URI: receivers ignore rua=: your aggregate reports are "
	        "not being sent";
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-DMARC", ZS_VERDICT_PASS);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-REJECT", ZS_VERDICT_PASS);
	ASSERT_VERDICT(c, c->post, &f, "POST-DMARC-TAGS", ZS_VERDICT_WARN);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-TAGS", ZS_VERDICT_WARN);
	struct zs_eval ev;
	const struct zs_rule_result *r = eval_rule(c, c->ftld, &f, "FTLD-DMARC-TAGS", &ev);
	assert_non_null(strstr(r->reason, "aggregate reports are not being sent"));
	assert_int_equal(ev.status, ZS_STATUS_COMPLIANT); /* a warning only */
	r = eval_rule(c, c->ftld, &f, "FTLD-DMARC-REJECT", &ev);
	assert_non_null(strstr(r->reason, "1 broken tag"));

	f.dmarc.discarded = 0;
	f.dmarc.broken = NULL;
	ASSERT_VERDICT(c, c->post, &f, "POST-DMARC-TAGS", ZS_VERDICT_PASS);
	f.dmarc.valid = false; /* no record in force: the tags do not matter */
	ASSERT_VERDICT(c, c->post, &f, "POST-DMARC-TAGS", ZS_VERDICT_NA);
	f.dmarc.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-DMARC-TAGS", ZS_VERDICT_ERROR);
}

static void test_policy_post_mx_rdns(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();

	ASSERT_VERDICT(c, c->post, &f, "POST-MX-RDNS", ZS_VERDICT_PASS);
	f.rdns.state = ZS_FACT_RDNS_MISMATCH;
	f.rdns.detail = "192.0.2.1 -> host.example";
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-RDNS", ZS_VERDICT_WARN);
	f.rdns.state = ZS_FACT_RDNS_MISSING;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-RDNS", ZS_VERDICT_FAIL);
	f.rdns.state = ZS_FACT_RDNS_UNRESOLVABLE;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-RDNS", ZS_VERDICT_FAIL);
	f.rdns.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-RDNS", ZS_VERDICT_ERROR);
	f = good_nomail();
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-RDNS", ZS_VERDICT_NA);
}

static void test_policy_post_nomx_rules(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_nomail();

	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_PASS);
	f.spf.record = "v=spf1  -ALL"; /* spacing and case do not matter */
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_PASS);
	f.spf.record = "v=spf1 ~all";
	f.spf.all = '~';
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_FAIL);
	f = good_nomail();
	f.spf.count = 0;
	f.spf.valid = false;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_FAIL);
	f.spf.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_ERROR);

	f = good_nomail();
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DKIM", ZS_VERDICT_PASS);
	f.dkim.wildcard_revoked = false;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DKIM", ZS_VERDICT_FAIL);
	f.dkim.wildcard = false;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DKIM", ZS_VERDICT_FAIL);
	f.dkim.wildcard_status = ZS_DNS_SERVFAIL;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DKIM", ZS_VERDICT_ERROR);

	f = good_nomail();
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DMARC", ZS_VERDICT_PASS);
	f.dmarc.p = "quarantine";
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DMARC", ZS_VERDICT_FAIL);
	f.dmarc.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DMARC", ZS_VERDICT_ERROR);

	f = good_mail();
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_NA);
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DKIM", ZS_VERDICT_NA);
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-DMARC", ZS_VERDICT_NA);
	/* no MX at all is a domain without mail, like a null MX */
	f = good_nomail();
	f.mx.kind = ZS_FACT_MX_NONE;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_PASS);
	f.mx.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_ERROR);
}

static void test_policy_post_warnings(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();
	struct zs_eval ev;

	f.spf.all = '~';
	ASSERT_VERDICT(c, c->post, &f, "POST-SPF-ALL", ZS_VERDICT_WARN);
	zs_policy_eval(c->post, &f, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_COMPLIANT);
	assert_int_equal(ev.warnings, 1);
	f.spf.valid = false;
	ASSERT_VERDICT(c, c->post, &f, "POST-SPF-ALL", ZS_VERDICT_NA);
	f = good_mail();
	f.mx.null_misused = true;
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-WELLFORMED", ZS_VERDICT_WARN);
}

static void test_policy_ftld_rules(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();

	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-VALID", ZS_VERDICT_PASS);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-REJECT", ZS_VERDICT_PASS);
	f.dmarc.pct = 50;
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-REJECT", ZS_VERDICT_FAIL);
	f.dmarc.pct = 100;
	f.dmarc.p = "none";
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-REJECT", ZS_VERDICT_FAIL);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-VALID", ZS_VERDICT_PASS);
	f.dmarc.count = 0;
	f.dmarc.valid = false;
	f.dmarc.inherited = true; /* the TLD's PSD record is not the domain's own */
	f.dmarc.inherited_from = "_dmarc.bank";
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-VALID", ZS_VERDICT_FAIL);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-STRICT", ZS_VERDICT_NA);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-SP", ZS_VERDICT_NA);
	f.dmarc.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-VALID", ZS_VERDICT_ERROR);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-REJECT", ZS_VERDICT_ERROR);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-STRICT", ZS_VERDICT_ERROR);
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-SP", ZS_VERDICT_ERROR);

	f = good_mail();
	f.dmarc.adkim = 'r';
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-STRICT", ZS_VERDICT_WARN);
	f.dmarc.sp = NULL;
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-DMARC-SP", ZS_VERDICT_WARN);

	f = good_mail();
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-SPF", ZS_VERDICT_PASS);
	f.spf.count = 0;
	f.spf.valid = false;
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-SPF", ZS_VERDICT_FAIL);
	f.spf.status = ZS_DNS_SERVFAIL;
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-SPF", ZS_VERDICT_ERROR);
	/* no MX and an SPF record that authorizes nobody: not a mail-sending domain */
	f = good_nomail();
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-SPF", ZS_VERDICT_NA);
	/* no MX but SPF lists senders: sends mail */
	f.spf.authorizes = true;
	f.spf.senders = true;
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-SPF", ZS_VERDICT_PASS);
}

/*
 * fTLD: a domain without MX whose SPF record lists senders sends mail even when receivers
 * cannot use the record, and FTLD-SPF fails with the record's error (it was "na").
 */
static void test_policy_ftld_mail_sending_with_broken_spf(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_nomail();
	struct zs_eval ev;

	f.mx.kind = ZS_FACT_MX_NONE;
	f.mx.status = ZS_DNS_NODATA;
	f.spf.senders = true;
	f.spf.valid = false;
	f.spf.count = 2;
	f.spf.record = NULL;
	const struct zs_rule_result *r = eval_rule(c, c->ftld, &f, "FTLD-SPF", &ev);
	assert_int_equal(ev.mail, 1);
	assert_int_equal(r->verdict, ZS_VERDICT_FAIL);
	assert_non_null(strstr(r->reason, "2 SPF records"));
	ASSERT_VERDICT(c, c->ftld, &f, "FTLD-SPF-ALL", ZS_VERDICT_NA);

	f.spf.count = 1;
	f.spf.record = "v=spf1 include:_spf.gone.example -all";
	f.spf.error = "include_none: include:_spf.gone.example has no SPF record";
	r = eval_rule(c, c->ftld, &f, "FTLD-SPF", &ev);
	assert_int_equal(r->verdict, ZS_VERDICT_FAIL);
	assert_non_null(strstr(r->reason, "include:_spf.gone.example has no SPF record"));

	/* a lookup behind the record failed: it still sends mail, and the rule is unknown */
	f.spf.status = ZS_DNS_TIMEOUT;
	r = eval_rule(c, c->ftld, &f, "FTLD-SPF", &ev);
	assert_int_equal(ev.mail, 1);
	assert_int_equal(r->verdict, ZS_VERDICT_ERROR);
	/* without a sender listed, that failure leaves the domain's kind unknown */
	f.spf.senders = false;
	r = eval_rule(c, c->ftld, &f, "FTLD-SPF", &ev);
	assert_int_equal(ev.mail, -1);
	assert_int_equal(r->verdict, ZS_VERDICT_ERROR);

	/* the fix never suggests "-all" to a domain that sends mail */
	struct zs_buf out;
	zs_buf_init(&out, 1 << 16);
	assert_int_equal(zs_policy_render_fix(c->ftld, r->rule, &f, &out), 0);
	assert_non_null(strstr(zs_buf_cstr(&out), "\"v=spf1 include:<your mail provider's SPF "
	                                          "domain> -all\""));
	zs_buf_deinit(&out);

	/* .POST reads "mail domain" from the MX alone */
	f.spf.status = ZS_DNS_NOERROR;
	f.spf.senders = true;
	ASSERT_VERDICT(c, c->post, &f, "POST-NOMX-SPF", ZS_VERDICT_FAIL);
	ASSERT_VERDICT(c, c->post, &f, "POST-MX-SPF", ZS_VERDICT_NA);
}

static void test_policy_exemption_turns_fail_into_warn_until_date(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();
	struct zs_exemption ex = { "FTLD-DMARC-REJECT", "2027-03-31", "implementation phase" };
	struct zs_eval ev;

	f.dmarc.p = "none";
	zs_policy_eval(c->ftld, &f, &ex, 1, "2027-03-31", &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_COMPLIANT);
	assert_int_equal(ev.warnings, 1);
	zs_policy_eval(c->ftld, &f, &ex, 1, "2027-04-01", &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_NON_COMPLIANT);
}

static void test_policy_status_indeterminate_never_noncompliant_on_errors(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_mail();
	struct zs_eval ev;

	f.mx.status = f.spf.status = f.dmarc.status = f.dkim.status = ZS_DNS_TIMEOUT;
	f.dkim.wildcard_status = f.rdns.status = ZS_DNS_TIMEOUT;
	zs_policy_eval(c->post, &f, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_INDETERMINATE);
	assert_int_equal(ev.mail, -1);
	zs_policy_eval(c->ftld, &f, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_INDETERMINATE);
	/* an error beside a failure: the failure decides */
	f = good_mail();
	f.dkim.status = ZS_DNS_TIMEOUT;
	f.dmarc.count = 0;
	f.dmarc.valid = false;
	zs_policy_eval(c->post, &f, NULL, 0, today, &c->arena, &ev);
	assert_int_equal(ev.status, ZS_STATUS_NON_COMPLIANT);
}

static void test_policy_parse_errors_name_file_and_line(void **state)
{
	static const char text[] = "policy bad\n"
	                           "version 1\n"
	                           "rule A\n"
	                           "\tapplies mail\n"
	                           "\tcheck spf-valid colour=blue\n"
	                           "\tseverity fatal\n"
	                           "rule A\n"
	                           "\tcheck no-such-check\n"
	                           "\tapplies everything\n";
	struct zs_policy *p = NULL;
	struct zs_buf errs;

	zs_buf_init(&errs, 1 << 16);
	assert_int_equal(zs_policy_parse(text, sizeof(text) - 1, "bad.policy", &p, &errs),
	                 ZS_ERR_PARSE);
	assert_null(p);
	const char *e = zs_buf_cstr(&errs);
	assert_non_null(strstr(e, "bad.policy:5: check spf-valid has no parameter 'colour'"));
	assert_non_null(strstr(e, "bad.policy:6: severity 'fatal'"));
	assert_non_null(strstr(e, "bad.policy:7: rule A defined twice (first at line 3)"));
	assert_non_null(strstr(e, "bad.policy:8: unknown check 'no-such-check'"));
	assert_non_null(strstr(e, "bad.policy:9: applies 'everything'"));
	assert_non_null(strstr(e, "bad.policy:7: rule A has no severity"));
	zs_buf_deinit(&errs);
}

static void test_policy_parse_rejects_quote_and_missing_header(void **state)
{
	static const char text[] = "version 1\nrule X\n\tapplies all\n\tseverity warn\n"
	                           "\tcheck spf-valid exact=\"v=spf1 -all\n";
	struct zs_policy *p = NULL;
	struct zs_buf errs;

	zs_buf_init(&errs, 1 << 16);
	assert_int_equal(zs_policy_parse(text, sizeof(text) - 1, "q.policy", &p, &errs),
	                 ZS_ERR_PARSE);
	assert_non_null(strstr(zs_buf_cstr(&errs), "q.policy:5: unterminated quote"));
	assert_non_null(strstr(zs_buf_cstr(&errs), "q.policy:1: no 'policy NAME' line"));
	zs_buf_deinit(&errs);
}

/* An operator's own policy: DKIM Ed25519 accepted, DMARC quarantine or reject, MTA-STS as a
 * failing rule, and the file is reported by its path. */
static void test_policy_operator_file_combines_checks(void **state)
{
	struct ctx *c = *state;
	struct zs_policy *p = NULL;
	struct zs_buf errs;
	struct zs_facts f = good_mail();

	zs_buf_init(&errs, 1 << 16);
	int ret = zs_policy_load(ZS_TEST_DATA "/policy/operator.policy", &p, &errs);
	if (ret != 0) {
		fail_msg("%s", zs_buf_cstr(&errs));
	}
	assert_string_equal(p->name, "operator");
	f.dkim.best_rsa_bits = 0;
	f.dkim.ed25519 = true;
	ASSERT_VERDICT(c, p, &f, "OP-DKIM", ZS_VERDICT_PASS);
	f.dmarc.p = "none";
	ASSERT_VERDICT(c, p, &f, "OP-DMARC", ZS_VERDICT_FAIL);
	f.mta_sts.status = ZS_DNS_NOERROR;
	f.mta_sts.present = true;
	f.mta_sts.valid = true;
	ASSERT_VERDICT(c, p, &f, "OP-MTA-STS", ZS_VERDICT_PASS);
	f.mta_sts.status = ZS_DNS_TIMEOUT;
	ASSERT_VERDICT(c, p, &f, "OP-MTA-STS", ZS_VERDICT_ERROR);
	assert_int_equal(verdict(c, p, &f, "OP-DNSSEC"), ZS_VERDICT_PASS);
	f.dnssec.signed_delegation = false;
	assert_int_equal(verdict(c, p, &f, "OP-DNSSEC"), ZS_VERDICT_WARN);
	f.dnssec.known = false; /* a `check`: the DS question failed */
	f.dnssec.status = ZS_DNS_SERVFAIL;
	assert_int_equal(verdict(c, p, &f, "OP-DNSSEC"), ZS_VERDICT_ERROR);
	f.dnssec.status = ZS_DNS_NOT_ASKED;
	assert_int_equal(verdict(c, p, &f, "OP-DNSSEC"), ZS_VERDICT_NA);
	zs_policy_free(p);
	zs_buf_deinit(&errs);
}

static void test_policy_builtins_load_and_print_roundtrip(void **state)
{
	for (const char *const *n = zs_policy_builtin_names(); *n != NULL; n++) {
		struct zs_policy *p = NULL;
		struct zs_policy *q = NULL;
		struct zs_buf errs;
		char *text = NULL;
		size_t len = 0;
		zs_buf_init(&errs, 1 << 16);
		assert_int_equal(zs_policy_load(*n, &p, &errs), 0);
		FILE *f = open_memstream(&text, &len);
		zs_policy_print(p, f);
		fclose(f);
		/* what policy show prints is itself a valid ruleset with the same rules */
		int ret = zs_policy_parse(text, len, "printed", &q, &errs);
		if (ret != 0) {
			fail_msg("%s: %s", *n, zs_buf_cstr(&errs));
		}
		assert_int_equal(q->rule_count, p->rule_count);
		for (size_t i = 0; i < p->rule_count; i++) {
			assert_string_equal(q->rules[i].id, p->rules[i].id);
			assert_int_equal(q->rules[i].check, p->rules[i].check);
			assert_memory_equal(&q->rules[i].params.authorizes,
			                    &p->rules[i].params.authorizes, sizeof(int));
			assert_int_equal(q->rules[i].params.min_bits, p->rules[i].params.min_bits);
			assert_int_equal(q->rules[i].params.policies, p->rules[i].params.policies);
		}
		free(text);
		zs_policy_free(p);
		zs_policy_free(q);
		zs_buf_deinit(&errs);
	}
	assert_string_equal(zs_policy_default_for_tld("BANK"), "ftld");
	assert_string_equal(zs_policy_default_for_tld("post"), "post");
	assert_string_equal(zs_policy_default_for_tld("example"), "baseline");
}

static void test_policy_render_fix_placeholders(void **state)
{
	struct ctx *c = *state;
	struct zs_facts f = good_nomail();
	struct zs_buf out;

	f.spf.record = "v=spf1 ~all";
	zs_buf_init(&out, 1 << 16);
	const struct zs_rule *r = NULL;
	for (size_t i = 0; i < c->post->rule_count; i++) {
		if (strcmp(c->post->rules[i].id, "POST-NOMX-SPF") == 0) {
			r = &c->post->rules[i];
		}
	}
	assert_non_null(r);
	assert_int_equal(zs_policy_render_fix(c->post, r, &f, &out), 0);
	assert_non_null(strstr(zs_buf_cstr(&out), "example.post. IN TXT \"v=spf1 -all\""));
	/* the record stays indented under its sentence, as the ruleset writes it */
	assert_non_null(strstr(zs_buf_cstr(&out), "record:\n  example.post. IN TXT"));
	assert_true(zs_buf_cstr(&out)[0] == 'A');
	assert_non_null(strstr(zs_buf_cstr(&out), "Found: v=spf1 ~all"));
	assert_null(strchr(zs_buf_cstr(&out), '{'));
	zs_buf_deinit(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_eval_good_domains_compliant,
		                                arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_post_mx_spf, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_post_mx_dkim, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_post_mx_dmarc, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_dmarc_broken_tags, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_post_mx_rdns, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_post_nomx_rules, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_post_warnings, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_ftld_mail_sending_with_broken_spf,
		                                arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_ftld_rules, arena_setup,
		                                arena_teardown),
		cmocka_unit_test_setup_teardown(
		        test_policy_exemption_turns_fail_into_warn_until_date, arena_setup,
		        arena_teardown),
		cmocka_unit_test_setup_teardown(
		        test_policy_status_indeterminate_never_noncompliant_on_errors, arena_setup,
		        arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_parse_errors_name_file_and_line,
		                                arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_parse_rejects_quote_and_missing_header,
		                                arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_operator_file_combines_checks,
		                                arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_builtins_load_and_print_roundtrip,
		                                arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown(test_policy_render_fix_placeholders, arena_setup,
		                                arena_teardown),
	};
	/* Evaluations allocate in a per-test arena; leaks are left to LeakSanitizer here, since
	 * cmocka checks its allocator before a test's teardown could free the arena. */
	return cmocka_run_group_tests(tests, setup, teardown);
}
