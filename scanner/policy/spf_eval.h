/* SPDX-License-Identifier: MIT */
/*
 * SPF evaluation without I/O (produce/consume, as Knot Resolver's lib/resolve.h): a context
 * runs either check_host() of RFC 7208 for a client address, or the static analysis a
 * registry can do without one (records found, validity and why, DNS-querying terms after full
 * expansion of include and redirect, void lookups, terminal "all", addresses authorised...).
 *
 * The caller drives it:
 *
 *     struct zs_spf_ctx *ctx = zs_spf_analysis_new("example.com", NULL);
 *     const struct zs_spf_need *need;
 *     size_t n;
 *     while (zs_spf_step(ctx, &need, &n) == ZS_SPF_NEED) {
 *             for (size_t i = 0; i < n; i++) {
 *                     ... resolve need[i].name / need[i].type, now or later ...
 *                     zs_spf_answer(ctx, need[i].name, need[i].type, &answer);
 *             }
 *     }
 *     const struct zs_spf_report *r = zs_spf_report(ctx);
 *
 * Questions that do not depend on each other come out together (all includes of a record in
 * the analysis, the address lookups of the MX hosts or of PTR names), so an asynchronous
 * caller can have them in flight at once. zs_spf_step() may be called again after any answer:
 * it returns only questions not handed out before (possibly none while it still waits). The
 * context copies what it needs from each answer, so answers may be freed after the call. The
 * same code runs in the sweep, in the CLI and under the fake DNS of the tests.
 *
 * The work is bounded whatever the records say: the RFC limits (10 DNS-querying terms, 2 void
 * lookups, 10 MX and 10 PTR names) in check_host(), and in both modes a cap on distinct
 * questions, on include/redirect depth and on the terms the analysis expands; loops are found
 * by the analysis and end in the lookup limit in check_host().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/policy/spf.h"

/** Stable codes of findings, with their severity and a default one-line message. */
#define ZS_SPF_CODE_MAP(XX)                                                                     \
	XX(SYNTAX, "syntax", ERROR, "syntax error")                                             \
	XX(MULTIPLE_RECORDS, "multiple_records", ERROR, "more than one SPF record")             \
	XX(LOOKUP_LIMIT, "lookup_limit", ERROR, "more than 10 DNS-querying terms")              \
	XX(VOID_LIMIT, "void_limit", ERROR, "more than 2 void lookups")                         \
	XX(INCLUDE_NONE, "include_none", ERROR, "include target has no SPF record")             \
	XX(REDIRECT_NONE, "redirect_none", ERROR, "redirect target has no SPF record")          \
	XX(TOO_MANY_MX, "too_many_mx", ERROR, "more than 10 MX records")                        \
	XX(LOOP, "loop", ERROR, "include/redirect loop")                                        \
	XX(DNS_ERROR, "dns_error", ERROR, "DNS lookup failed")                                  \
	XX(PASS_ALL, "pass_all", WARNING, "+all authorises every host")                         \
	XX(WIDE_IPV4, "wide_ipv4", WARNING, "authorises a /8 or more of IPv4")                  \
	XX(WIDE_IPV6, "wide_ipv6", WARNING, "authorises a /32 or more of IPv6")                 \
	XX(PTR_USED, "ptr_used", WARNING, "ptr mechanism (RFC 7208 5.5: do not use)")           \
	XX(RECORD_TOO_LONG, "record_too_long", WARNING, "SPF record over 450 bytes")            \
	XX(TXT_TOO_LARGE, "txt_too_large", WARNING, "TXT records at the name over 450 bytes")   \
	XX(STRING_TOO_LONG, "string_too_long", WARNING, "TXT string over 255 bytes")            \
	XX(SPF_TYPE99_ONLY, "spf_type99_only", WARNING, "SPF only in the obsolete type 99")     \
	XX(TERMS_AFTER_ALL, "terms_after_all", WARNING, "mechanisms after all are ignored")     \
	XX(REDIRECT_IGNORED, "redirect_ignored", WARNING, "redirect= ignored: all present")     \
	XX(VOID_LIMIT_IPV6, "void_limit_ipv6", WARNING, "over 2 void lookups for IPv6 clients") \
	XX(VOID_LOOKUP, "void_lookup", WARNING, "lookup returned no data")                      \
	XX(TRUNCATED, "truncated", WARNING, "analysis stopped at its work limit")               \
	XX(NO_ALL, "no_all", INFO, "no all and no redirect: default neutral")                   \
	XX(NO_HOSTS, "no_hosts", INFO, "authorises no host")                                    \
	XX(MACRO_DYNAMIC, "macro_dynamic", INFO, "depends on the client; not evaluated")        \
	XX(UNKNOWN_MODIFIER, "unknown_modifier", INFO, "unknown modifier ignored")

enum zs_spf_code {
	ZS_SPF_CODE_NONE = 0, /**< no error */
#define XX(name, text, sev, msg) ZS_SPF_CODE_##name,
	ZS_SPF_CODE_MAP(XX)
#undef XX
	        ZS_SPF_CODE_COUNT_
};

enum zs_spf_severity {
	ZS_SPF_SEV_ERROR,   /**< the record does not work (permerror or temperror) */
	ZS_SPF_SEV_WARNING, /**< works, but is risky or against the RFC's advice */
	ZS_SPF_SEV_INFO,
};

/** One thing the evaluation found. Strings are owned by the context. */
struct zs_spf_finding {
	enum zs_spf_code code;
	const char *domain;   /**< the record's domain (may be NULL) */
	long pos;             /**< byte offset in that record, or -1 */
	const char *message;  /**< one line */
	const char *dns_name; /**< dns_error: the question that failed, else NULL */
	uint16_t dns_type;
	enum zs_dns_status dns_status;
};

enum zs_spf_node_kind {
	ZS_SPF_NODE_ROOT,
	ZS_SPF_NODE_INCLUDE,
	ZS_SPF_NODE_REDIRECT,
};

/** One record of the evaluation tree: the checked domain, then each include and redirect. */
struct zs_spf_node {
	enum zs_spf_node_kind kind;
	char qualifier;     /**< include's qualifier; 0 otherwise */
	const char *term;   /**< the include/redirect term as written; NULL for the root */
	const char *domain; /**< target after expansion; NULL when it could not be expanded */
	const char *record; /**< the SPF record found there, NULL if none */
	size_t record_len;
	enum zs_spf_result result; /**< check_host(): its result; analysis: VALID, NONE,
	                                PERMERROR or TEMPERROR for this subtree */
	enum zs_spf_code error;    /**< why, when an error arose in this node itself */
	unsigned lookups;          /**< DNS-querying terms counted inside (not the term itself) */
	unsigned void_lookups;     /**< void lookups inside */
	char all;                  /**< terminal all qualifier (following redirect), or 0 */
	uint64_t ipv4_addresses;   /**< analysis: IPv4 addresses this subtree passes */
	struct zs_spf_node *child; /**< first include/redirect evaluated inside */
	struct zs_spf_node *next;  /**< next sibling */
};

/** The clients of the unlisted-sender paths: documentation addresses (RFC 5737, RFC 3849). */
#define ZS_SPF_UNLISTED_IPV4 "203.0.113.254"
#define ZS_SPF_UNLISTED_IPV6 "2001:db8:ffff::1"

/**
 * Analysis: check_host() for a client address the record does not list (a forger's), beside
 * the static walk, which cannot evaluate the terms that depend on the client.
 */
struct zs_spf_unlisted {
	struct zs_spf_ip ip;       /**< the client address */
	bool evaluated;            /**< false when the static walk already found the record
	                                invalid, absent or unknown */
	enum zs_spf_result result; /**< neutral, fail, softfail (pass when the address is
	                                listed after all: see @a matched) */
	enum zs_spf_code error;    /**< permerror and temperror: why */
	const struct zs_spf_finding *error_finding; /**< the path's own finding */
	const char *matched;        /**< the mechanism that matched, as written, or NULL */
	const char *matched_domain; /**< the domain of the record holding it */
	unsigned lookups;           /**< DNS-querying terms on the path */
	unsigned void_lookups;
};

/** Everything an evaluation produced; owned by its context. */
struct zs_spf_report {
	bool analysis;
	const char *domain;
	enum zs_spf_result result;
	size_t record_count;
	const struct zs_spf_text *records; /**< v=spf1 TXT records at the domain, as found */
	size_t type99_count;
	const struct zs_spf_text *type99; /**< v=spf1 records of type 99, when asked */
	enum zs_spf_code error;           /**< ZS_SPF_CODE_NONE or the reason of the error */
	const struct zs_spf_finding *error_finding; /**< the finding that explains it */
	size_t finding_count;
	const struct zs_spf_finding *findings;
	bool findings_truncated;
	unsigned lookups;           /**< DNS-querying terms (analysis: after full expansion) */
	unsigned void_lookups;      /**< void lookups (analysis: as an IPv4 client sees them) */
	unsigned void_lookups_ipv4; /**< analysis: as an IPv4 client sees them */
	unsigned void_lookups_ipv6; /**< analysis: as an IPv6 client sees them (an "a" of an
	                                 IPv4-only host is void for it) */
	char all;                   /**< qualifier of the terminal all (following redirect), or 0 */
	bool ptr;                   /**< a ptr mechanism or %{p} macro is used somewhere */
	bool dynamic;               /**< some term depends on the client (macros, ptr, exists) */
	bool authorizes_hosts;      /**< analysis: some host can get pass */
	bool truncated;             /**< analysis: work limit reached, counts are lower bounds */
	uint64_t ipv4_addresses;    /**< analysis: IPv4 addresses that get pass */
	unsigned __int128 ipv6_addresses; /**< analysis: IPv6 addresses that get pass */
	bool ipv6_all;                    /**< all 2^128 IPv6 addresses (does not fit above) */
	const struct zs_spf_node *tree;   /**< the evaluation tree */
	/* analysis only: the result above is the static walk's (the tree root's) unless a path
	 * below ends in permerror or temperror, which then gives the result and the error */
	struct zs_spf_unlisted unlisted[2]; /**< [0] IPv4, [1] IPv6 client */
	/* check_host() only */
	const char *explanation;    /**< fail: expanded exp= text, or the default; else NULL */
	const char *matched;        /**< the mechanism that matched, as written, or NULL */
	const char *matched_domain; /**< the domain of the record holding it */
};

/** What zs_spf_step() returns. */
enum {
	ZS_SPF_DONE = 0, /**< the report is ready */
	ZS_SPF_NEED = 1, /**< answers are needed (new questions in the out-params, maybe none) */
};

/** A question for the caller. */
struct zs_spf_need {
	const char *name; /**< lower case, no final dot; may hold any byte but NUL */
	uint16_t type;    /**< ZS_RR_TXT, ZS_RR_A, ZS_RR_AAAA, ZS_RR_MX, ZS_RR_PTR, ZS_RR_SPF */
};

/**
 * Parsed records shared by contexts, keyed by the record text: the records at include and
 * redirect targets (shared providers, included by most domains) are then parsed once per run
 * instead of once per domain. Parsing depends on the text alone, so a cached record is always
 * right; DNS answers are never shared. Bounded: when full, records are parsed per context.
 * Not thread-safe (one per thread); it must outlive the contexts that use it.
 */
struct zs_spf_cache;

/**
 * @param max_records  records kept (0: 4096); at most 32 MiB of records in any case
 * @return a new cache, never NULL
 */
struct zs_spf_cache *zs_spf_cache_new(size_t max_records);

/** Free a cache; NULL is a no-op. */
void zs_spf_cache_free(struct zs_spf_cache *cache);

/** Parameters of check_host(). */
struct zs_spf_check_params {
	struct zs_spf_ip ip;        /**< client address (required) */
	const char *domain;         /**< domain checked: MAIL FROM domain or HELO (required) */
	const char *sender;         /**< MAIL FROM address; NULL or "" means postmaster@domain */
	const char *helo;           /**< HELO/EHLO name for %{h}; NULL is "unknown" */
	const char *receiver;       /**< %{r}; NULL is "unknown" */
	uint64_t now;               /**< %{t}, seconds since the epoch (the caller's clock) */
	const char *default_exp;    /**< explanation when exp= gives none; NULL for none */
	struct zs_spf_cache *cache; /**< shared parsed records, or NULL */
	struct zs_meter *meter;     /**< counts the bytes of the analysis' arenas, or NULL */
};

/** Options of the analysis (zero for defaults). */
struct zs_spf_analysis_opts {
	bool no_type99;             /**< do not ask type 99 when no TXT SPF record exists */
	struct zs_spf_cache *cache; /**< shared parsed records, or NULL */
	struct zs_meter *meter;     /**< counts the bytes of the analysis' arenas, or NULL */
};

struct zs_spf_ctx;

/**
 * A context for check_host(ip, domain, sender) with the helo name for macros.
 * @param p  copied; strings may be freed after the call
 * @return a new context (zs_spf_ctx_free()), never NULL
 */
struct zs_spf_ctx *zs_spf_check_new(const struct zs_spf_check_params *p);

/**
 * A context for the static analysis of @p domain's SPF policy, without a client address.
 * If no TXT record holds SPF, type 99 is asked too (unless @p o says not to): an SPF record
 * found only there is reported as spf_type99_only and the result stays "none". When the walk
 * finds the record valid, check_host() is run for the unlisted senders ZS_SPF_UNLISTED_IPV4
 * and ZS_SPF_UNLISTED_IPV6 on the same answers (struct zs_spf_unlisted): the record is valid
 * only when neither ends in permerror.
 * @param o  may be NULL
 * @return a new context, never NULL
 */
struct zs_spf_ctx *zs_spf_analysis_new(const char *domain, const struct zs_spf_analysis_opts *o);

/** Free a context and its report; NULL is a no-op. */
void zs_spf_ctx_free(struct zs_spf_ctx *ctx);

/**
 * Run the evaluation as far as the answers received allow.
 * @param[out] need   on ZS_SPF_NEED, the new questions, owned by @p ctx until the next call
 * @param[out] count  their number (0 when only questions handed out before are pending)
 * @return ZS_SPF_DONE or ZS_SPF_NEED
 */
int zs_spf_step(struct zs_spf_ctx *ctx, const struct zs_spf_need **need, size_t *count);

/**
 * Give the answer to a question. The answer is copied. A question not asked is accepted (a
 * caller may pass answers it already has); a second answer to one question is ignored.
 * Failures (timeout, SERVFAIL...) are answers too: every question must be answered.
 * @param name  question name (compared without case and final dot)
 * @return 0
 */
int zs_spf_answer(struct zs_spf_ctx *ctx, const char *name, uint16_t type,
                  const struct zs_answer *ans);

/**
 * The report, once zs_spf_step() returned ZS_SPF_DONE.
 * @return owned by @p ctx, or NULL before
 */
const struct zs_spf_report *zs_spf_report(const struct zs_spf_ctx *ctx);

/** Name of a finding code ("lookup_limit"); "" for ZS_SPF_CODE_NONE. */
const char *zs_spf_code_name(enum zs_spf_code code);
/** Severity of a finding code. */
enum zs_spf_severity zs_spf_code_severity(enum zs_spf_code code);
/** Name of a severity ("error", "warning", "info"). */
const char *zs_spf_severity_name(enum zs_spf_severity s);
