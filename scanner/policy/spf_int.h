/* SPDX-License-Identifier: MIT */
/*
 * Shared between the SPF files of scanner/policy (not part of the API): the evaluation
 * context, its answer cache and the helpers that the check_host() and analysis walkers have
 * in common. The evaluator is written as a replay: each zs_spf_step() runs the evaluation from
 * the start against the answers received so far; a question whose answer is missing is handed
 * to the caller and the walk is abandoned (check_host) or continued past it (analysis, which
 * collects every independent question of the pass). Answers and parsed records persist in the
 * context, so a replay costs a walk over cached data, never a second query.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/base/buf.h"
#include "scanner/base/mem.h"
#include "scanner/policy/spf.h"
#include "scanner/policy/spf_eval.h"
#include "scanner/policy/spf_macro.h"

/** Limits that bound the work whatever the records say. */
enum {
	ZS__SPF_MAX_QUESTIONS = 600,      /**< distinct DNS questions per context */
	ZS__SPF_MAX_DEPTH = 24,           /**< nested include/redirect */
	ZS__SPF_MAX_ANALYSIS_TERMS = 200, /**< analysis: DNS-querying terms expanded */
	ZS__SPF_MAX_FINDINGS = 64,        /**< findings kept per report */
	ZS__SPF_NAME_MAX = 253,           /**< longest query name after truncation (RFC 7208 7.3) */
	ZS__SPF_EXPAND_MAX = 4096,        /**< longest macro expansion */
	ZS__SPF_TERM_LIMIT = 10,          /**< RFC 7208 4.6.4 */
	ZS__SPF_VOID_LIMIT = 2,
	ZS__SPF_MX_LIMIT = 10,
	ZS__SPF_PTR_LIMIT = 10,
};

/** SPF record selection from one TXT (or type 99) answer, computed once per answer. */
struct zs__spf_sel {
	size_t spf_count;            /**< records that begin with v=spf1 */
	struct zs_spf_text *records; /**< those records' texts */
	struct zs_spf_record *rec;   /**< the record parsed, when spf_count == 1 and it parses */
	int parse_ret;               /**< 0 or ZS_ERR_PARSE / ZS_ERR_TOOBIG */
	struct zs_spf_syntax syn;    /**< the syntax error */
	size_t rrset_size;           /**< bytes of all TXT data at the name (strings + lengths) */
	size_t longest_string;       /**< longest character-string */
	bool ascii_only;             /**< all records are printable ASCII (explanations) */
	size_t txt_count;            /**< TXT records of any content */
};

/** One DNS question and, once received, its answer. */
struct zs__spf_entry {
	const char *name; /**< lower case, no final dot */
	uint16_t type;
	uint32_t hash;
	bool answered;
	enum zs_dns_status status; /**< NOERROR without records is stored as NODATA */
	size_t count;              /**< records of the asked type */
	struct zs_rr *rr;
	struct zs__spf_sel *sel; /**< TXT/SPF: record selection, made on first use */
};

/** How a lookup came out, as the walkers see it. */
enum zs__spf_look {
	ZS__SPF_LOOK_DATA,    /**< records present */
	ZS__SPF_LOOK_VOID,    /**< NXDOMAIN or NODATA */
	ZS__SPF_LOOK_BADNAME, /**< the name cannot be asked: treated as not existing */
	ZS__SPF_LOOK_ERROR,   /**< a DNS failure (timeout, SERVFAIL...) */
	ZS__SPF_LOOK_AGAIN,   /**< not answered yet: the question was handed out */
};

struct zs_spf_ctx {
	bool analysis; /**< analysis mode (else check_host) */
	bool done;
	struct zs_arena arena; /**< lives with the context: parameters, answers, parsed records */
	struct zs_arena pass;  /**< one evaluation pass: the report and what it points at */

	/* parameters */
	const char *domain;
	const char *sender;
	const char *local;
	const char *sender_domain;
	const char *helo;
	struct zs_spf_ip ip;
	const char *receiver;
	const char *now;
	const char *default_exp;
	bool no_type99;
	bool no_explanation;        /**< check_host(): leave exp= alone (the unlisted paths) */
	struct zs_spf_cache *cache; /**< shared parsed records, not owned; may be NULL */

	/* answer cache: open addressing over entries */
	struct zs__spf_entry **table;
	size_t table_size; /**< power of two */
	size_t entries;

	/* questions of the current pass to hand out */
	struct zs_spf_need *needs;
	size_t need_count;
	size_t need_cap;
	bool blocked; /**< the pass met a question without an answer */
	bool capped;  /**< ZS__SPF_MAX_QUESTIONS reached */

	/* per-pass evaluation state */
	struct zs_spf_report *report;
	struct zs_buf scratch; /**< macro expansion */
	unsigned lookups;
	unsigned voids;
	unsigned voids6; /**< analysis: void lookups an IPv6 client would see (voids: IPv4) */
	unsigned analysis_terms;
	void *findings_state; /**< findings of the pass (spf_eval.c) */
};

/**
 * Look up (name, type) in the cache. A missing answer becomes a question for the caller
 * (c->blocked is set) unless the question cap is reached, which is answered as an error.
 * @param[out] e  the entry, when the result is not ZS__SPF_LOOK_AGAIN
 */
enum zs__spf_look zs__spf_lookup(struct zs_spf_ctx *c, const char *name, uint16_t type,
                                 struct zs__spf_entry **e);

/**
 * The SPF record selection of a TXT/SPF entry (computed once, kept in the entry).
 * @param shared  the record may come from / go to the shared cache (include/redirect targets)
 */
const struct zs__spf_sel *zs__spf_select(struct zs_spf_ctx *c, const struct zs__spf_entry *e,
                                         bool shared);

/**
 * Expand a domain-spec into a query name in the pass arena: macros expanded, truncated on the
 * left to 253 characters (RFC 7208 7.3), final dot dropped, lower case.
 * @param[out] missing  on ZS_ERR_NOTFOUND, the letter lacking a value
 * @return 0, ZS_ERR_NOTFOUND (a value is missing; for 'p' the caller computes it),
 *         ZS_ERR_PARSE (the expansion failed) or ZS_ERR_TOOBIG
 */
int zs__spf_target(struct zs_spf_ctx *c, const struct zs_spf_macro_env *env, const char *spec,
                   const char **out, char *missing);

/**
 * Whether a name can be queried: labels of 1 to 63 bytes, 253 bytes at most.
 * @param multi_label  also require two labels or more (a <domain> for check_host(), 4.3)
 */
bool zs__spf_name_ok(const char *name, bool multi_label);

/** Add a finding to the pass's report (bounded by ZS__SPF_MAX_FINDINGS). Returns it or NULL. */
struct zs_spf_finding *zs__spf_finding(struct zs_spf_ctx *c, enum zs_spf_code code,
                                       const char *domain, long pos, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/** Record the report's error (the first one wins), adding its finding. */
struct zs_spf_finding *zs__spf_error(struct zs_spf_ctx *c, enum zs_spf_code code,
                                     const char *domain, long pos, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/** Attach the failing question to a dns_error finding (f may be NULL). */
void zs__spf_finding_dns(struct zs_spf_finding *f, const struct zs__spf_entry *e);

/**
 * A new tree node in the pass arena, appended to @p parent's children (parent may be NULL);
 * @p t (a term of @p rec) is the include or redirect that leads to it, NULL for the root.
 */
struct zs_spf_node *zs__spf_node_new(struct zs_spf_ctx *c, struct zs_spf_node *parent,
                                     enum zs_spf_node_kind kind, const struct zs_spf_record *rec,
                                     const struct zs_spf_term *t, const char *domain);

/** Whether an address lies in addr/prefix (same family). */
bool zs__spf_ip_in(const struct zs_spf_ip *ip, const uint8_t *net, unsigned prefix);

/** Whether the macro-string ends with a macro-expand (so it is a valid domain-end). */
bool zs__spf_macro_ends_with_expand(const char *s, size_t len);

/** The analysis pass (spf_analysis.c): fills c->report. */
void zs__spf_analyse(struct zs_spf_ctx *c);

/**
 * Start a pass: a new report and list of findings in the pass arena (c->report,
 * c->findings_state) and the per-pass counters at zero. Questions and answers are untouched.
 */
void zs__spf_pass_begin(struct zs_spf_ctx *c);

/** End a pass that was not blocked: its findings become the report's array (error_finding). */
void zs__spf_pass_end(struct zs_spf_ctx *c);

/** check_host() of c->ip at c->domain into c->report (c->blocked when an answer is missing). */
void zs__spf_run_check(struct zs_spf_ctx *c);

/**
 * The unlisted-sender paths (spf_unlisted.c), after an analysis pass that was not blocked:
 * check_host() for an IPv4 and an IPv6 address no term lists, on the same answers; their
 * results go into c->report->unlisted, and a permerror or temperror on either becomes the
 * report's result and error.
 */
void zs__spf_unlisted(struct zs_spf_ctx *c);
