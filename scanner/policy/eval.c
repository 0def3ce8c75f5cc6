/* SPDX-License-Identifier: MIT */
/*
 * Rule evaluation: applicability, the catalogue of checks, severity and exemptions.
 *
 * The one principle: a verdict never guesses. When the facts a rule needs (or the facts that
 * decide whether it applies) could not be fetched, the verdict is "error" with the DNS status
 * in its reason; "fail" is only given on records that were actually seen (or seen to be
 * absent). A domain with a failing rule is non-compliant; otherwise one with an "error" is
 * indeterminate.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scanner/base/err.h"
#include "scanner/policy/dkim.h"
#include "scanner/policy/dmarc.h"
#include "scanner/policy/ruleset.h"

struct verdict {
	enum zs_verdict v;
	const char *reason;
};

#define PRINTF(a, ...) zs_arena_printf((a), __VA_ARGS__)

static bool known(enum zs_dns_status s)
{
	return zs_dns_status_is_answer(s);
}

static struct verdict dns_error(struct zs_arena *a, const char *what, enum zs_dns_status s)
{
	return (struct verdict){ ZS_VERDICT_ERROR, PRINTF(a, "could not check: %s lookup: %s", what,
		                                          zs_dns_status_msg(s)) };
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Whitespace-normalised, case-insensitive comparison of two SPF records. */
static bool same_record(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ') {
			a++;
		}
		while (*b == ' ') {
			b++;
		}
		if (*a == '\0' || *b == '\0') {
			return *a == *b;
		}
		while (*a != '\0' && *a != ' ' && *b != '\0' && *b != ' ') {
			if ((*a | 0x20) != (*b | 0x20)) {
				return false;
			}
			a++;
			b++;
		}
		if ((*a == ' ' || *a == '\0') != (*b == ' ' || *b == '\0')) {
			return false;
		}
	}
}

static struct verdict check_spf_valid(const struct zs_check_params *cp, const struct zs_facts *f,
                                      struct zs_arena *a)
{
	if (!known(f->spf.status)) {
		return dns_error(a, "SPF", f->spf.status);
	}
	if (f->spf.count == 0) {
		return (struct verdict){
			ZS_VERDICT_FAIL,
			f->spf.type99_only ? "no SPF TXT record (SPF is published only as the "
			                     "obsolete SPF type, which receivers no longer read)"
			                   : "no SPF record"
		};
	}
	if (f->spf.count > 1) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "%zu SPF records; exactly one is allowed "
			                        "(receivers give permerror)",
			                        f->spf.count) };
	}
	if (!f->spf.valid) {
		return (struct verdict){
			ZS_VERDICT_FAIL, PRINTF(a, "the SPF record is invalid: %s",
			                        f->spf.error != NULL ? f->spf.error : "permerror")
		};
	}
	if (cp->exact != NULL && !same_record(f->spf.record, cp->exact)) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "the SPF record must be exactly \"%s\"",
			                        cp->exact) };
	}
	if (cp->authorizes == 1 && !f->spf.authorizes) {
		return (struct verdict){ ZS_VERDICT_FAIL, "the SPF record authorizes no host" };
	}
	if (cp->authorizes == 0 && f->spf.authorizes) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 "the SPF record authorizes hosts, but the domain sends "
			                 "no mail" };
	}
	if (f->spf.all != 0 && strchr(cp->forbid_all, f->spf.all) != NULL) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "the SPF record ends in %call%s", f->spf.all,
			                        f->spf.all == '+' ? ": any host may send" : "") };
	}
	return (struct verdict){ ZS_VERDICT_PASS,
		                 PRINTF(a, "one valid SPF record (%u DNS lookup%s)", f->spf.lookups,
		                        plural(f->spf.lookups)) };
}

static struct verdict check_spf_all(const struct zs_check_params *cp, const struct zs_facts *f,
                                    struct zs_arena *a)
{
	if (f->spf.all != 0 && strchr(cp->want_all, f->spf.all) != NULL) {
		return (struct verdict){ ZS_VERDICT_PASS, PRINTF(a, "ends in %call", f->spf.all) };
	}
	if (f->spf.all == 0) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "no terminal all: unlisted hosts get neutral; "
			                        "end the record in %call",
			                        cp->want_all[0]) };
	}
	return (struct verdict){ ZS_VERDICT_FAIL,
		                 PRINTF(a,
		                        "ends in %call; %call tells receivers to reject "
		                        "unlisted hosts",
		                        f->spf.all, cp->want_all[0]) };
}

static struct verdict check_spf_no_ptr(const struct zs_facts *f)
{
	if (f->spf.uses_ptr) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 "the SPF record uses the ptr mechanism, which RFC 7208 "
			                 "(5.5) says not to use" };
	}
	return (struct verdict){ ZS_VERDICT_PASS, "no ptr mechanism" };
}

static struct verdict check_dkim_rsa(const struct zs_check_params *cp, const struct zs_facts *f,
                                     struct zs_arena *a)
{
	if (!known(f->dkim.status)) {
		return dns_error(a, "DKIM", f->dkim.status);
	}
	if (f->dkim.best_rsa_bits >= cp->min_bits) {
		return (struct verdict){ ZS_VERDICT_PASS,
			                 PRINTF(a, "selector %s publishes a %u-bit RSA key",
			                        f->dkim.best_selector, f->dkim.best_rsa_bits) };
	}
	if (cp->allow_ed25519 && f->dkim.ed25519) {
		return (struct verdict){ ZS_VERDICT_PASS, "an Ed25519 key is published" };
	}
	if (f->dkim.unprobed > 0) {
		/* the registrant's own selectors were not all asked: a key may be at one of them */
		return (struct verdict){ ZS_VERDICT_ERROR,
			                 PRINTF(a,
			                        "could not check: %zu declared selectors were not "
			                        "probed (limit %d per domain)",
			                        f->dkim.unprobed, ZS_DKIM_MAX_DECLARED) };
	}
	if (f->dkim.best_rsa_bits > 0) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "the largest RSA key found (selector %s) has %u "
			                        "bits; the policy asks for %u",
			                        f->dkim.best_selector, f->dkim.best_rsa_bits,
			                        cp->min_bits) };
	}
	if (f->dkim.ed25519) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "only Ed25519 keys found; the policy asks for "
			                        "an RSA key of %u bits",
			                        cp->min_bits) };
	}
	if (f->dkim.keys > 0) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 "DKIM key records found, but none is usable (revoked, "
			                 "invalid or too weak)" };
	}
	if (f->dkim.nothing_below) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 "no DKIM key: nothing exists below _domainkey" };
	}
	/* _domainkey exists (NODATA or records of its own): something is below it, perhaps a key
	 * at a selector nobody could guess; say so, and ask for the selector */
	return (struct verdict){
		ZS_VERDICT_FAIL,
		PRINTF(a,
		       "_domainkey.%s exists, but none of the %zu selectors probed "
		       "holds a key: declare your DKIM selector to the registry "
		       "(zonesweep selectors import) so the scan can find it",
		       f->domain, f->dkim.probed)
	};
}

static struct verdict check_dkim_wildcard(const struct zs_facts *f, struct zs_arena *a)
{
	if (!known(f->dkim.wildcard_status)) {
		return dns_error(a, "DKIM wildcard", f->dkim.wildcard_status);
	}
	if (f->dkim.wildcard && f->dkim.wildcard_revoked) {
		return (struct verdict){ ZS_VERDICT_PASS,
			                 "*._domainkey holds a key record with an empty p=" };
	}
	if (f->dkim.wildcard) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 "*._domainkey answers, but not with an empty p=" };
	}
	return (struct verdict){ ZS_VERDICT_FAIL, "no *._domainkey record with an empty p=" };
}

static bool policy_allowed(unsigned mask, const char *p)
{
	static const char *const names[] = { "none", "quarantine", "reject" };
	for (unsigned i = 0; i < 3; i++) {
		if ((mask & (1u << i)) != 0 && p != NULL && strcasecmp(p, names[i]) == 0) {
			return true;
		}
	}
	return false;
}

static const char *allowed_text(unsigned mask, struct zs_arena *a)
{
	static const char *const names[] = { "none", "quarantine", "reject" };
	const char *out = "";
	for (unsigned i = 0; i < 3; i++) {
		if ((mask & (1u << i)) != 0) {
			out = PRINTF(a, "%s%sp=%s", out, out[0] != '\0' ? " or " : "", names[i]);
		}
	}
	return out;
}

static struct verdict check_dmarc_valid(const struct zs_check_params *cp, const struct zs_facts *f,
                                        struct zs_arena *a)
{
	if (!known(f->dmarc.status)) {
		return dns_error(a, "DMARC", f->dmarc.status);
	}
	if (f->dmarc.count == 0) {
		if (f->dmarc.inherited) {
			return (struct verdict){
				ZS_VERDICT_FAIL,
				PRINTF(a,
				       "no DMARC record of its own at _dmarc.%s (the record at "
				       "%s applies by inheritance, but the policy asks for the "
				       "domain's own)",
				       f->domain, f->dmarc.inherited_from)
			};
		}
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "no DMARC record at _dmarc.%s", f->domain) };
	}
	if (f->dmarc.count > 1) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "%zu DMARC records; exactly one is allowed "
			                        "(receivers then apply none)",
			                        f->dmarc.count) };
	}
	if (!f->dmarc.valid) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "the DMARC record is invalid: %s",
			                        f->dmarc.error != NULL ? f->dmarc.error
			                                               : "syntax error") };
	}
	if (!policy_allowed(cp->policies, f->dmarc.p)) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "p=%s; the policy asks for %s", f->dmarc.p,
			                        allowed_text(cp->policies, a)) };
	}
	if (f->dmarc.pct < cp->min_pct) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "pct=%d applies the policy to part of the mail "
			                        "only; the policy asks for pct=%d (or no pct)",
			                        f->dmarc.pct, cp->min_pct) };
	}
	return (struct verdict){
		ZS_VERDICT_PASS,
		PRINTF(a, "%s, p=%s%s",
		       f->dmarc.discarded == 0
		               ? "valid DMARC record"
		               : PRINTF(a,
		                        "DMARC record in force (receivers "
		                        "ignore %zu broken tag%s)",
		                        f->dmarc.discarded, plural(f->dmarc.discarded)),
		       f->dmarc.p, f->dmarc.pct < 100 ? PRINTF(a, " pct=%d", f->dmarc.pct) : "")
	};
}

/* A record in force whose other tags are broken: receivers discard them (RFC 7489 6.3). */
static struct verdict check_dmarc_tags(const struct zs_facts *f, struct zs_arena *a)
{
	if (!known(f->dmarc.status)) {
		return dns_error(a, "DMARC", f->dmarc.status);
	}
	if (!f->dmarc.valid) {
		return (struct verdict){ ZS_VERDICT_NA, "no DMARC record in force" };
	}
	if (f->dmarc.discarded == 0) {
		return (struct verdict){ ZS_VERDICT_PASS,
			                 "every tag of the DMARC record is well formed" };
	}
	return (struct verdict){ ZS_VERDICT_FAIL,
		                 PRINTF(a, "%zu broken tag%s: %s", f->dmarc.discarded,
		                        plural(f->dmarc.discarded),
		                        f->dmarc.broken != NULL ? f->dmarc.broken : "") };
}

static struct verdict check_dmarc_alignment(const struct zs_check_params *cp,
                                            const struct zs_facts *f, struct zs_arena *a)
{
	bool dkim_ok = !cp->strict_adkim || f->dmarc.adkim == 's';
	bool spf_ok = !cp->strict_aspf || f->dmarc.aspf == 's';
	if (dkim_ok && spf_ok) {
		return (struct verdict){ ZS_VERDICT_PASS, "strict alignment (adkim=s, aspf=s)" };
	}
	return (struct verdict){ ZS_VERDICT_FAIL,
		                 PRINTF(a,
		                        "relaxed alignment (adkim=%c, aspf=%c); strict "
		                        "alignment is recommended",
		                        f->dmarc.adkim, f->dmarc.aspf) };
}

static struct verdict check_dmarc_sp(const struct zs_facts *f, struct zs_arena *a)
{
	if (f->dmarc.sp != NULL) {
		return (struct verdict){ ZS_VERDICT_PASS, PRINTF(a, "sp=%s", f->dmarc.sp) };
	}
	return (struct verdict){ ZS_VERDICT_FAIL,
		                 "no sp= tag: subdomains get the domain's p=; set sp= "
		                 "explicitly" };
}

static struct verdict check_dmarc_rua(const struct zs_facts *f)
{
	if (f->dmarc.has_rua) {
		return (struct verdict){ ZS_VERDICT_PASS, "aggregate reports requested (rua=)" };
	}
	return (struct verdict){ ZS_VERDICT_FAIL,
		                 "no rua=: nobody receives DMARC aggregate reports" };
}

static struct verdict check_rdns(const struct zs_check_params *cp, const struct zs_facts *f,
                                 struct zs_arena *a)
{
	if (!known(f->rdns.status)) {
		return dns_error(a, "reverse DNS", f->rdns.status);
	}
	const char *d = f->rdns.detail != NULL ? f->rdns.detail : "";
	switch (f->rdns.state) {
	case ZS_FACT_RDNS_OK:
		return (struct verdict){ ZS_VERDICT_PASS,
			                 "every mail host address has a PTR that resolves back" };
	case ZS_FACT_RDNS_MISMATCH:
		return (struct verdict){
			cp->mismatch, PRINTF(a, "a PTR does not resolve back to its address: %s", d)
		};
	case ZS_FACT_RDNS_MISSING:
		return (struct verdict){
			ZS_VERDICT_FAIL, PRINTF(a, "a mail host address has no PTR record: %s", d)
		};
	case ZS_FACT_RDNS_UNRESOLVABLE:
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "a mail host does not resolve to an address: %s",
			                        d) };
	case ZS_FACT_RDNS_NONE:
		break;
	}
	return (struct verdict){ ZS_VERDICT_NA, "no mail hosts" };
}

static struct verdict check_mx_sane(const struct zs_facts *f, struct zs_arena *a)
{
	if (!known(f->mx.status)) {
		return dns_error(a, "MX", f->mx.status);
	}
	if (f->mx.null_misused) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 "a null MX (\"0 .\") beside other MX records (RFC 7505)" };
	}
	if (f->mx.over_limit) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a,
			                        "%zu MX records; more than 10 is more than "
			                        "senders try",
			                        f->mx.count) };
	}
	return (struct verdict){ ZS_VERDICT_PASS, "MX set well formed" };
}

static struct verdict check_record(const struct zs_fact_record *r, const char *what,
                                   const char *where, struct zs_arena *a)
{
	if (!known(r->status)) {
		return dns_error(a, what, r->status);
	}
	if (!r->present) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "no %s record at %s", what, where) };
	}
	if (!r->valid) {
		return (struct verdict){ ZS_VERDICT_FAIL,
			                 PRINTF(a, "the %s record is invalid: %s", what,
			                        r->error != NULL ? r->error : "syntax error") };
	}
	return (struct verdict){ ZS_VERDICT_PASS, PRINTF(a, "valid %s record", what) };
}

static struct verdict check_dnssec(const struct zs_facts *f, struct zs_arena *a)
{
	if (!f->dnssec.known) {
		if (f->dnssec.status != ZS_DNS_NOT_ASKED && !known(f->dnssec.status)) {
			return dns_error(a, "DS", f->dnssec.status);
		}
		return (struct verdict){ ZS_VERDICT_NA, "delegation not known (no zone data)" };
	}
	if (f->dnssec.signed_delegation) {
		return (struct verdict){ ZS_VERDICT_PASS, "the delegation is signed (DS records)" };
	}
	return (struct verdict){ ZS_VERDICT_FAIL, "the delegation is not signed (no DS record)" };
}

static struct verdict run_check(const struct zs_rule *r, const struct zs_facts *f,
                                struct zs_arena *a)
{
	const struct zs_check_params *cp = &r->params;

	switch (r->check) {
	case ZS_CHECK_SPF_VALID:
		return check_spf_valid(cp, f, a);
	case ZS_CHECK_SPF_ALL:
		return check_spf_all(cp, f, a);
	case ZS_CHECK_SPF_NO_PTR:
		return check_spf_no_ptr(f);
	case ZS_CHECK_DKIM_RSA:
		return check_dkim_rsa(cp, f, a);
	case ZS_CHECK_DKIM_WILDCARD_REVOKED:
		return check_dkim_wildcard(f, a);
	case ZS_CHECK_DMARC_VALID:
		return check_dmarc_valid(cp, f, a);
	case ZS_CHECK_DMARC_ALIGNMENT:
		return check_dmarc_alignment(cp, f, a);
	case ZS_CHECK_DMARC_SP:
		return check_dmarc_sp(f, a);
	case ZS_CHECK_DMARC_RUA:
		return check_dmarc_rua(f);
	case ZS_CHECK_DMARC_TAGS:
		return check_dmarc_tags(f, a);
	case ZS_CHECK_RDNS:
		return check_rdns(cp, f, a);
	case ZS_CHECK_MX_SANE:
		return check_mx_sane(f, a);
	case ZS_CHECK_MTA_STS:
		return check_record(&f->mta_sts, "MTA-STS", PRINTF(a, "_mta-sts.%s", f->domain), a);
	case ZS_CHECK_TLS_RPT:
		return check_record(&f->tls_rpt, "TLS-RPT", PRINTF(a, "_smtp._tls.%s", f->domain),
		                    a);
	case ZS_CHECK_DNSSEC:
		return check_dnssec(f, a);
	case ZS_CHECK_COUNT_:
		break;
	}
	return (struct verdict){ ZS_VERDICT_ERROR, "unknown check" };
}

/* Whether the domain is a mail domain under the policy: 1, 0, or -1 (could not tell). */
static int mail_domain(const struct zs_policy *p, const struct zs_facts *f, enum zs_dns_status *why)
{
	if (!known(f->mx.status)) {
		*why = f->mx.status;
		return -1;
	}
	if (f->mx.kind == ZS_FACT_MX_HOSTS) {
		return 1;
	}
	if (p->mail_def == ZS_MAIL_DEF_MX) {
		return 0;
	}
	/* A record that lists senders says the domain sends mail, whether receivers can use it
	 * or not (two records, a syntax error, a limit, a lookup that failed): its rules then
	 * say what is wrong with it. */
	if (f->spf.senders) {
		return 1;
	}
	if (!known(f->spf.status)) {
		*why = f->spf.status;
		return -1;
	}
	return 0;
}

/* Does the rule apply? NA and ERROR verdicts come back through *v. */
static bool applies(const struct zs_policy *p, const struct zs_rule *r, const struct zs_facts *f,
                    int mail, enum zs_dns_status mail_why, struct verdict *v, struct zs_arena *a)
{
	switch (r->applies) {
	case ZS_APPLIES_ALL:
		return true;
	case ZS_APPLIES_MAIL:
	case ZS_APPLIES_NON_MAIL:
		if (mail < 0) {
			*v = (struct verdict){ ZS_VERDICT_ERROR,
				               PRINTF(a,
				                      "could not tell whether %s is a mail "
				                      "domain: %s",
				                      f->domain, zs_dns_status_msg(mail_why)) };
			return false;
		}
		if ((r->applies == ZS_APPLIES_MAIL) != (mail == 1)) {
			*v = (struct verdict){ ZS_VERDICT_NA,
				               mail == 1 ? "applies to domains that send no mail"
				                         : "applies to mail domains" };
			return false;
		}
		return true;
	case ZS_APPLIES_DMARC_VALID:
		if (!known(f->dmarc.status)) {
			*v = dns_error(a, "DMARC", f->dmarc.status);
			return false;
		}
		if (!(f->dmarc.count == 1 && f->dmarc.valid)) {
			*v = (struct verdict){ ZS_VERDICT_NA, "applies to valid DMARC records" };
			return false;
		}
		return true;
	case ZS_APPLIES_SPF_VALID:
		if (!known(f->spf.status)) {
			*v = dns_error(a, "SPF", f->spf.status);
			return false;
		}
		if (!(f->spf.count == 1 && f->spf.valid)) {
			*v = (struct verdict){ ZS_VERDICT_NA, "applies to valid SPF records" };
			return false;
		}
		return true;
	}
	return true;
}

static const struct zs_exemption *find_exemption(const struct zs_rule *r,
                                                 const struct zs_exemption *ex, size_t nex,
                                                 const char *today)
{
	for (size_t i = 0; i < nex; i++) {
		/* ISO dates compare as strings; "until" is inclusive */
		if (strcasecmp(ex[i].rule, r->id) == 0 && strcmp(today, ex[i].until) <= 0) {
			return &ex[i];
		}
	}
	return NULL;
}

void zs_policy_eval(const struct zs_policy *p, const struct zs_facts *f,
                    const struct zs_exemption *ex, size_t nex, const char *today,
                    struct zs_arena *arena, struct zs_eval *out)
{
	enum zs_dns_status mail_why = ZS_DNS_NOERROR;
	int mail = mail_domain(p, f, &mail_why);
	bool any_fail = false;
	bool any_error = false;

	memset(out, 0, sizeof(*out));
	out->mail = mail;
	out->count = p->rule_count;
	out->results = zs_arena_calloc(arena, p->rule_count, sizeof(*out->results));
	for (size_t i = 0; i < p->rule_count; i++) {
		const struct zs_rule *r = &p->rules[i];
		struct verdict v = { ZS_VERDICT_NA, "" };

		if (applies(p, r, f, mail, mail_why, &v, arena)) {
			v = run_check(r, f, arena);
		}
		if (v.v == ZS_VERDICT_FAIL && r->warn_only) {
			v.v = ZS_VERDICT_WARN;
		}
		if (v.v == ZS_VERDICT_FAIL) {
			const struct zs_exemption *e = find_exemption(r, ex, nex, today);
			if (e != NULL) {
				v.v = ZS_VERDICT_WARN;
				v.reason = PRINTF(arena, "exempt until %s (%s): %s", e->until,
				                  e->why != NULL ? e->why : "no reason given",
				                  v.reason);
			}
		}
		out->results[i] = (struct zs_rule_result){ r, v.v, v.reason };
		any_fail |= v.v == ZS_VERDICT_FAIL;
		any_error |= v.v == ZS_VERDICT_ERROR;
		out->warnings += v.v == ZS_VERDICT_WARN;
	}
	out->status = any_fail    ? ZS_STATUS_NON_COMPLIANT
	              : any_error ? ZS_STATUS_INDETERMINATE
	                          : ZS_STATUS_COMPLIANT;
}

const char *zs_policy_suggest_spf(const struct zs_facts *f, bool sends)
{
	if (known(f->mx.status) && f->mx.kind == ZS_FACT_MX_HOSTS) {
		return "v=spf1 mx -all";
	}
	/* "-all" would stop the mail of a domain that sends without MX hosts */
	return sends ? "v=spf1 include:<your mail provider's SPF domain> -all" : "v=spf1 -all";
}

const char *zs_policy_suggest_dmarc(const struct zs_policy *p, const struct zs_facts *f,
                                    struct zs_arena *arena)
{
	const char *pol = "reject";
	bool strict = false;
	bool sp = false;
	for (size_t i = 0; i < p->rule_count; i++) {
		const struct zs_rule *r = &p->rules[i];
		if (r->check == ZS_CHECK_DMARC_ALIGNMENT) {
			strict = true;
		}
		if (r->check == ZS_CHECK_DMARC_SP) {
			sp = true;
		}
	}
	return zs_arena_printf(arena, "v=DMARC1; p=%s;%s%s rua=mailto:dmarc-reports@%s", pol,
	                       sp ? " sp=reject;" : "", strict ? " adkim=s; aspf=s;" : "",
	                       f->domain);
}

/* The domain's own DMARC record with its broken tags corrected (zs_dmarc_repair()). */
static const char *repaired_dmarc(const struct zs_facts *f, struct zs_arena *a)
{
	const char *fixed = NULL;
	if (f->dmarc.record != NULL) {
		struct zs_dmarc_record rec;
		zs_dmarc_parse(a, f->dmarc.record, strlen(f->dmarc.record), 0, &rec);
		fixed = zs_dmarc_repair(a, &rec);
	}
	return fixed != NULL ? fixed : "(the record with the tags named above corrected)";
}

int zs_policy_render_fix(const struct zs_policy *p, const struct zs_rule *r,
                         const struct zs_facts *f, struct zs_buf *out)
{
	struct zs_arena a;
	int ret = 0;

	zs_arena_init(&a);
	for (const char *s = r->fix != NULL ? r->fix : ""; *s != '\0' && ret == 0;) {
		const char *open = strchr(s, '{');
		const char *close = open != NULL ? strchr(open, '}') : NULL;
		if (open == NULL || close == NULL) {
			ret = zs_buf_puts(out, s);
			break;
		}
		ret = zs_buf_append(out, s, (size_t)(open - s));
		size_t n = (size_t)(close - open - 1);
		const char *name = zs_arena_strndup(&a, open + 1, n);
		const char *val = NULL;
		if (strcmp(name, "domain") == 0) {
			val = f->domain;
		} else if (strcmp(name, "rule") == 0) {
			val = r->id;
		} else if (strcmp(name, "title") == 0) {
			val = r->title;
		} else if (strcmp(name, "policy") == 0) {
			val = p->title;
		} else if (strcmp(name, "found-spf") == 0) {
			val = f->spf.record != NULL ? f->spf.record : "(none)";
		} else if (strcmp(name, "found-dmarc") == 0) {
			val = f->dmarc.record != NULL ? f->dmarc.record : "(none)";
		} else if (strcmp(name, "suggest-spf") == 0) {
			val = zs_policy_suggest_spf(f, r->applies == ZS_APPLIES_MAIL);
		} else if (strcmp(name, "suggest-dmarc") == 0) {
			val = zs_policy_suggest_dmarc(p, f, &a);
		} else if (strcmp(name, "repaired-dmarc") == 0) {
			val = repaired_dmarc(f, &a);
		} else if (strcmp(name, "min-bits") == 0) {
			val = zs_arena_printf(&a, "%u", r->params.min_bits);
		}
		if (val != NULL) {
			ret = zs_buf_puts(out, val);
		} else if (ret == 0) {
			/* unknown placeholders stay as written, so a typo is visible */
			ret = zs_buf_append(out, open, n + 2);
		}
		s = close + 1;
	}
	zs_arena_deinit(&a);
	return ret;
}
