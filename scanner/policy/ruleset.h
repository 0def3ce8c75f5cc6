/* SPDX-License-Identifier: MIT */
/*
 * Policies as data. A ruleset is a small line-oriented file (docs/policies.md is its manual):
 * a header naming the policy and its version, then rules, each with an id, a title, the
 * domains it applies to, one check from the catalogue the code provides (with parameters),
 * a severity and remediation text with placeholders; and attestation items, the principles
 * that cannot be checked from outside. Rulesets are validated on load with file:line errors.
 *
 * The evaluation (zs_policy_eval()) turns a domain's facts into a verdict per rule and a
 * status: a rule whose data could not be fetched gives "error", never "fail".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scanner/base/buf.h"
#include "scanner/base/mem.h"
#include "scanner/policy/facts.h"

enum zs_verdict {
	ZS_VERDICT_PASS,
	ZS_VERDICT_FAIL,
	ZS_VERDICT_WARN,
	ZS_VERDICT_NA,
	ZS_VERDICT_ERROR,
};

enum zs_domain_status {
	ZS_STATUS_COMPLIANT,
	ZS_STATUS_NON_COMPLIANT,
	ZS_STATUS_INDETERMINATE,
};

/** Which domains a rule applies to. */
enum zs_applies {
	ZS_APPLIES_ALL,
	ZS_APPLIES_MAIL, /**< mail domains, as the policy's mail-domain line defines them */
	ZS_APPLIES_NON_MAIL,
	ZS_APPLIES_DMARC_VALID, /**< domains with exactly one valid DMARC record of their own */
	ZS_APPLIES_SPF_VALID,   /**< domains with exactly one valid SPF record */
};

/** How the policy tells mail domains from the others. */
enum zs_mail_def {
	ZS_MAIL_DEF_MX,        /**< a non-null MX RRset (.POST) */
	ZS_MAIL_DEF_MX_OR_SPF, /**< a non-null MX, or an SPF record that lists senders, valid or
	                            not (fTLD) */
};

/** The checks the code provides; a rule names one. */
enum zs_check {
	ZS_CHECK_SPF_VALID,
	ZS_CHECK_SPF_ALL,
	ZS_CHECK_SPF_NO_PTR,
	ZS_CHECK_DKIM_RSA,
	ZS_CHECK_DKIM_WILDCARD_REVOKED,
	ZS_CHECK_DMARC_VALID,
	ZS_CHECK_DMARC_ALIGNMENT,
	ZS_CHECK_DMARC_SP,
	ZS_CHECK_DMARC_RUA,
	ZS_CHECK_DMARC_TAGS,
	ZS_CHECK_RDNS,
	ZS_CHECK_MX_SANE,
	ZS_CHECK_MTA_STS,
	ZS_CHECK_TLS_RPT,
	ZS_CHECK_DNSSEC,
	ZS_CHECK_COUNT_,
};

/** Parameters of a check (only those of the rule's check are meaningful). */
struct zs_check_params {
	int authorizes;     /**< spf-valid: 1 must authorize hosts, 0 must not, -1 either */
	char forbid_all[5]; /**< spf-valid: terminal all qualifiers refused */
	const char *exact;  /**< spf-valid: the record must be exactly this */
	char want_all[5];   /**< spf-all: acceptable terminal all qualifiers */
	unsigned min_bits;  /**< dkim-rsa: smallest acceptable RSA modulus */
	bool allow_ed25519; /**< dkim-rsa: an Ed25519 key also passes */
	unsigned policies;  /**< dmarc-valid: allowed p= (bit 0 none, 1 quarantine, 2 reject) */
	int min_pct;        /**< dmarc-valid: smallest acceptable pct */
	bool strict_adkim;  /**< dmarc-alignment */
	bool strict_aspf;
	enum zs_verdict mismatch; /**< rdns: verdict when a PTR does not resolve back */
};

struct zs_rule {
	const char *id;
	const char *title;
	enum zs_applies applies;
	enum zs_check check;
	struct zs_check_params params;
	bool warn_only;   /**< severity warn: a failing check gives "warn" */
	const char *fix;  /**< remediation text with placeholders (lines joined by '\n') */
	const char *file; /**< where the rule was defined */
	unsigned line;
};

struct zs_attest_item {
	const char *id;
	const char *text;
};

struct zs_policy {
	struct zs_arena arena; /**< everything of the policy */
	const char *name;
	const char *version;
	const char *title;
	const char *source;
	const char *path; /**< the file, or "builtin:NAME" */
	enum zs_mail_def mail_def;
	size_t rule_count;
	struct zs_rule *rules;
	size_t attest_count;
	struct zs_attest_item *attest;
};

/**
 * Parse a ruleset.
 * @param text    the ruleset's text (need not be NUL-terminated)
 * @param len     its length
 * @param origin  the name errors are reported under (a file name)
 * @param[out] out   on success, the policy (zs_policy_free())
 * @param[out] errs  on ZS_ERR_PARSE, one "origin:line: message" per line (may be NULL)
 * @return 0 or ZS_ERR_PARSE
 */
int zs_policy_parse(const char *text, size_t len, const char *origin, struct zs_policy **out,
                    struct zs_buf *errs);

/**
 * Load a policy by name ("post", "ftld", "baseline": built into the binary) or from a file
 * (any argument containing '/' or ending in ".policy").
 * @return 0, ZS_ERR_NOTFOUND (no such built-in), ZS_ERR_PARSE (errs filled), or -errno
 */
int zs_policy_load(const char *name_or_path, struct zs_policy **out, struct zs_buf *errs);

/** The built-in policy names, NULL-terminated. */
const char *const *zs_policy_builtin_names(void);

/** The policy a TLD gets by default: post for .post, ftld for .bank and .insurance, else
 *  baseline. */
const char *zs_policy_default_for_tld(const char *tld);

/** Free a policy; NULL is a no-op. */
void zs_policy_free(struct zs_policy *p);

/** An exemption of one domain from one rule until a date (inclusive). */
struct zs_exemption {
	const char *rule;
	const char *until; /**< YYYY-MM-DD */
	const char *why;
};

struct zs_rule_result {
	const struct zs_rule *rule;
	enum zs_verdict verdict;
	const char *reason; /**< one line, allocated in the evaluation's arena */
};

struct zs_eval {
	enum zs_domain_status status;
	unsigned warnings;
	int mail; /**< 1 mail domain, 0 not, -1 could not tell */
	size_t count;
	struct zs_rule_result *results; /**< in the policy's rule order */
};

/**
 * Judge a domain's facts.
 * @param p      the policy
 * @param f      the facts
 * @param ex     the domain's exemptions (may be NULL when @p nex is 0)
 * @param today  the date exemptions are compared with, YYYY-MM-DD
 * @param arena  where reasons and results are allocated
 * @param[out] out  the verdicts
 */
void zs_policy_eval(const struct zs_policy *p, const struct zs_facts *f,
                    const struct zs_exemption *ex, size_t nex, const char *today,
                    struct zs_arena *arena, struct zs_eval *out);

/**
 * Render a rule's remediation text for a domain: {domain}, {rule}, {title}, {found-spf},
 * {found-dmarc}, {suggest-spf}, {suggest-dmarc}, {min-bits}, {policy} are replaced.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_policy_render_fix(const struct zs_policy *p, const struct zs_rule *r,
                         const struct zs_facts *f, struct zs_buf *out);

/**
 * A suggested SPF record: "v=spf1 mx -all" for a domain with MX hosts; for one without, the
 * form that names its sending provider when @p sends (the rule is about domains that send
 * mail), else "v=spf1 -all".
 * @return a static string
 */
const char *zs_policy_suggest_spf(const struct zs_facts *f, bool sends);
/** The DMARC record the policy's rules demand for the domain. */
const char *zs_policy_suggest_dmarc(const struct zs_policy *p, const struct zs_facts *f,
                                    struct zs_arena *arena);

/** Print a policy in its own file format (`zonesweep policy show`). */
void zs_policy_print(const struct zs_policy *p, FILE *f);

const char *zs_verdict_name(enum zs_verdict v);
const char *zs_domain_status_name(enum zs_domain_status s);
const char *zs_check_name(enum zs_check c);
const char *zs_applies_name(enum zs_applies a);
