/* SPDX-License-Identifier: MIT */
/*
 * DMARC: the record parser (RFC 7489 and RFC 9989, "DMARCbis", tags v p sp np pct t psd adkim
 * aspf rua ruf fo rf ri), the effective policy for a domain and its subdomains, and policy
 * discovery as a produce/consume machine (lookup.h):
 *
 *  1. TXT _dmarc.<domain> (the engine follows CNAMEs; the chain is kept). TXT records that do
 *     not start with v=DMARC1 are ignored; several DMARC records are an error.
 *  2. Only when the domain has no DMARC record at all: the inherited record, by the RFC 9989
 *     DNS tree walk (parent by parent up to and including the TLD, where a public suffix
 *     operator such as .bank may publish, at most 8 queries in all). The RFC 7489
 *     Organizational Domain (Public Suffix List) lies on that walk; the result says whether the
 *     record found sits at it (every receiver applies it) or above it (only RFC 9989 receivers
 *     do). An inherited record is always reported as inherited, with where it sits.
 *  3. For the domain's own record: each rua/ruf mailto destination's MX, and for a destination
 *     at another organizational domain the RFC 7489 section 7.1 authorization record
 *     <domain>._report._dmarc.<destination> (and the destination's *._report._dmarc wildcard).
 *
 * A failed lookup (timeout, SERVFAIL...) is reported as such at every step, never as "no
 * record". Where RFC 7489 and RFC 9989 (or the public test suites) disagree, the choice made
 * is documented at the code that makes it and in docs/records.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/policy/finding.h"
#include "scanner/policy/lookup.h"

struct zs_arena;
struct zs_json;
struct zs_psl;

enum zs_dmarc_policy {
	ZS_DMARC_POLICY_UNSET, /**< tag absent */
	ZS_DMARC_POLICY_NONE,
	ZS_DMARC_POLICY_QUARANTINE,
	ZS_DMARC_POLICY_REJECT,
};

enum zs_dmarc_align {
	ZS_DMARC_ALIGN_UNSET, /**< tag absent (relaxed applies) */
	ZS_DMARC_ALIGN_RELAXED,
	ZS_DMARC_ALIGN_STRICT,
};

/** One rua= or ruf= destination. */
struct zs_dmarc_uri {
	const char *uri; /**< as published, without the "!size" suffix (may hold any byte) */
	size_t uri_len;
	bool valid;                /**< URI syntax and size suffix are correct */
	bool has_size;             /**< a "!size" suffix was given */
	uint64_t size;             /**< its number */
	char unit;                 /**< 'k', 'm', 'g', 't' (lower case), or 0 for bytes */
	const char *mailto_domain; /**< domain of a usable mailto: address, lower case, or NULL */
};

/** A parsed DMARC record: the values as published (UNSET when absent) and the findings. */
struct zs_dmarc_record {
	const char *text; /**< the record as published (NUL-terminated; may contain NUL) */
	size_t len;
	/** the record conforms to the grammar: no finding of severity error */
	bool valid;
	/**
	 * a receiver applies its policy: v= and p= (or the rua= fallback) are sound and no tag
	 * repeats. Errors in the other tags do not stop it: receivers discard such a tag and use
	 * its default (RFC 7489 6.3), so a record can apply without being valid.
	 */
	bool applies;
	size_t discarded; /**< broken elements receivers discard (when it applies) */
	bool rua_usable;  /**< rua= is present and every URI in it is well formed */
	enum zs_dmarc_policy p, sp, np;
	bool p_from_rua; /**< no usable p=, treated as p=none because rua= is valid */
	enum zs_dmarc_align adkim, aspf;
	int pct; /**< 0..100, or -1 when absent or invalid */
	bool has_ri;
	uint32_t ri;
	char psd;        /**< 'y', 'n', 'u', or 0 when absent */
	char t;          /**< 'y', 'n', or 0 when absent */
	char fo[8];      /**< the fo= options in order ("01ds"), "" when absent */
	const char **rf; /**< rf= report formats, lower case */
	size_t rf_count;
	struct zs_dmarc_uri *rua;
	size_t rua_count;
	struct zs_dmarc_uri *ruf;
	size_t ruf_count;
	struct zs_findings findings;
};

/** Flags of zs_dmarc_parse(). */
enum {
	/** a report authorization record (RFC 7489 7.1): v=DMARC1 alone suffices, p= not needed */
	ZS_DMARC_PARSE_REPORT_AUTH = 1 << 0,
};

/**
 * Parse one DMARC record.
 * @param text   the record (joined character-strings); any bytes, NUL included
 * @param arena  everything the record refers to is allocated here; @p text is copied
 * @param[out] out  the record, always filled (an unusable record has valid == false)
 */
void zs_dmarc_parse(struct zs_arena *arena, const char *text, size_t len, unsigned flags,
                    struct zs_dmarc_record *out);

/**
 * What is broken in a record that applies all the same, and what receivers do about it: each
 * discarded tag's errors and consequence ("rua=: ... is not a URI: receivers ignore rua=: your
 * aggregate reports are not being sent"), separated by "; ".
 * @return in @p arena, or NULL when the record does not apply or nothing was discarded
 */
const char *zs_dmarc_discarded_text(struct zs_arena *arena, const struct zs_dmarc_record *r);

/**
 * The record as its registrant should publish it: the record's own tags in their order, each
 * broken one corrected where its meaning is plain (an address without "mailto:" gets it, a tag
 * run into the previous one for want of a ";" is split off) and dropped otherwise (receivers
 * discard it anyway).
 * @return in @p arena, or NULL when the record does not apply, discards nothing, or cannot be
 *         corrected into a valid record
 */
const char *zs_dmarc_repair(struct zs_arena *arena, const struct zs_dmarc_record *r);

/** The policy a record requests, after defaults. */
struct zs_dmarc_effective {
	enum zs_dmarc_policy domain;      /**< for the domain the record applies to */
	enum zs_dmarc_policy subdomain;   /**< for its existing subdomains (sp, else p) */
	enum zs_dmarc_policy nonexistent; /**< for non-existent subdomains (np, else sp, else p) */
	enum zs_dmarc_align adkim, aspf;  /**< relaxed by default */
	int pct;                          /**< 100 by default */
	bool testing;                     /**< t=y */
	char psd;                         /**< 'u' by default */
};

/**
 * The effective policy of a valid record.
 * @param inherited  the record was found at an ancestor: the domain gets the subdomain policy
 */
void zs_dmarc_effective(const struct zs_dmarc_record *r, bool inherited,
                        struct zs_dmarc_effective *out);

/**
 * Add the findings of a domain that sends no mail ("parked"): p= and sp= should be reject.
 * Called by the caller that knows the domain is parked (no MX, no SPF authorizing hosts).
 */
void zs_dmarc_check_parked(struct zs_arena *arena, struct zs_dmarc_record *r);

/** Name of a policy ("reject"), "unset" for UNSET. */
const char *zs_dmarc_policy_name(enum zs_dmarc_policy p);

/** What was found at one _dmarc name. */
enum zs_dmarc_outcome {
	ZS_DMARC_NONE,      /**< no DMARC record (NXDOMAIN, NODATA, or only other TXT) */
	ZS_DMARC_RECORD,    /**< exactly one DMARC record (valid or not: see record->valid) */
	ZS_DMARC_MULTIPLE,  /**< several DMARC records: no policy applies (RFC 7489 6.6.3) */
	ZS_DMARC_DNS_ERROR, /**< the lookup failed: whether a record exists is unknown */
};

/** Name of an outcome ("record", "none", "multiple", "dns_error"). */
const char *zs_dmarc_outcome_name(enum zs_dmarc_outcome o);

struct zs_dmarc_site {
	const char *domain; /**< the domain the record is for ("example.com") */
	const char *name;   /**< the name asked ("_dmarc.example.com") */
	enum zs_dmarc_outcome outcome;
	enum zs_dns_status status;
	size_t cname_count;
	const char *const *cname;        /**< CNAMEs the engine followed */
	struct zs_dmarc_record *record;  /**< the record when outcome is RECORD, else NULL */
	struct zs_dmarc_record *records; /**< every DMARC record kept (up to 16) */
	size_t record_count;
	size_t record_total;  /**< DMARC records in the answer */
	struct zs_txt *other; /**< other TXT records kept (up to 16) */
	size_t other_count;
	size_t other_total;
};

enum zs_dmarc_auth {
	ZS_DMARC_AUTH_NOT_NEEDED,  /**< same organizational domain */
	ZS_DMARC_AUTH_AUTHORIZED,  /**< a v=DMARC1 record at the authorization name */
	ZS_DMARC_AUTH_NO_RECORD,   /**< none: receivers will not send reports there */
	ZS_DMARC_AUTH_INVALID,     /**< only malformed v=DMARC1 records */
	ZS_DMARC_AUTH_DNS_ERROR,   /**< the lookup failed */
	ZS_DMARC_AUTH_NOT_CHECKED, /**< over the destination limit, or the name is too long */
};

enum zs_dmarc_mx {
	ZS_DMARC_MX_NOT_CHECKED,
	ZS_DMARC_MX_PRESENT,
	ZS_DMARC_MX_NONE, /**< NXDOMAIN or NODATA */
	ZS_DMARC_MX_NULL, /**< null MX (RFC 7505): accepts no mail */
	ZS_DMARC_MX_DNS_ERROR,
};

/** One report destination domain of the domain's own record. */
struct zs_dmarc_dest {
	const char *domain; /**< lower case */
	bool rua, ruf;      /**< which tags name it */
	bool external;      /**< at another organizational domain */
	enum zs_dmarc_auth auth;
	bool auth_wildcard; /**< the answer equals the destination's *._report._dmarc record */
	const char *auth_name;
	enum zs_dns_status auth_status;
	enum zs_dmarc_mx mx;
	enum zs_dns_status mx_status;
};

/** Where the policy that applies to the domain comes from. */
enum zs_dmarc_source {
	ZS_DMARC_SRC_NONE,      /**< no usable record applies */
	ZS_DMARC_SRC_OWN,       /**< the domain's own valid record */
	ZS_DMARC_SRC_INHERITED, /**< a valid record at an ancestor */
	ZS_DMARC_SRC_UNKNOWN,   /**< a lookup failed on the way */
};

struct zs_dmarc_result {
	const char *domain;
	const char *org_domain;          /**< RFC 7489 Organizational Domain, NULL if unknown */
	struct zs_dmarc_site own;        /**< _dmarc.<domain> */
	bool walk_done;                  /**< the tree walk ran (own outcome NONE) */
	struct zs_dmarc_site *inherited; /**< where the walk stopped on something, or NULL */
	/** the inherited record sits at the Organizational Domain (false without a PSL) */
	bool inherited_at_org;
	/** it sits above it, at a public suffix: only RFC 9989 receivers apply it (false without
	 *  a PSL) */
	bool inherited_psd;
	enum zs_dmarc_source source;
	struct zs_dmarc_effective effective; /**< valid when source is OWN or INHERITED */
	struct zs_dmarc_dest *dest;
	size_t dest_count;
	struct zs_findings findings; /**< discovery findings (record findings sit in each record) */
	struct zs_query_log log;
};

/** Flags of struct zs_dmarc_opts. */
enum {
	ZS_DMARC_NO_WALK = 1 << 0,        /**< do not look for an inherited record */
	ZS_DMARC_NO_REPORT_AUTH = 1 << 1, /**< do not check external report authorization */
	ZS_DMARC_NO_REPORT_MX = 1 << 2,   /**< do not check the MX of report destinations */
};

/** Most report destination domains checked per record. */
enum { ZS_DMARC_MAX_DESTS = 8 };

struct zs_dmarc_opts {
	const struct zs_psl *psl; /**< for Organizational Domains; NULL: names are compared whole */
	unsigned flags;
};

struct zs_dmarc_ctx;

/**
 * Start DMARC discovery for a domain.
 * @param arena   the context, its questions and its result live here until the arena is
 *                released (there is no free function)
 * @param domain  lower case, no final dot; copied
 * @param opts    copied; NULL for the defaults (no PSL, every check)
 * @return the context, never NULL
 */
struct zs_dmarc_ctx *zs_dmarc_new(struct zs_arena *arena, const char *domain,
                                  const struct zs_dmarc_opts *opts);

/**
 * Advance discovery (see struct zs_lookup_ops).
 * @return ZS_POLICY_NEED_LOOKUP, ZS_POLICY_WAIT or ZS_POLICY_DONE
 */
int zs_dmarc_step(struct zs_dmarc_ctx *c, struct zs_lookup *need, size_t max, size_t *n);

/**
 * Answer a question handed out by zs_dmarc_step(); @p a is read during the call only.
 * @return 0 or ZS_ERR_NOTFOUND for an unknown, not handed out or already answered @p id
 */
int zs_dmarc_answer(struct zs_dmarc_ctx *c, uint32_t id, const struct zs_answer *a);

/**
 * Tell the machine what TXT the domain's apex holds (the SPF lookup has it): a v=DMARC1 record
 * there is published at the wrong name. May be called at any time, also after the end; only
 * the first call counts.
 */
void zs_dmarc_note_apex(struct zs_dmarc_ctx *c, const struct zs_answer *apex_txt);

/**
 * The result, once zs_dmarc_step() returned ZS_POLICY_DONE.
 * @return owned by the context's arena
 */
const struct zs_dmarc_result *zs_dmarc_result(const struct zs_dmarc_ctx *c);

/** zs_dmarc_step() and zs_dmarc_answer() for generic drivers. */
extern const struct zs_lookup_ops zs_dmarc_lookup_ops;

/**
 * The authorization an answer for <domain>._report._dmarc.<destination> gives (RFC 7489 7.1):
 * AUTHORIZED when a v=DMARC1 record parses (even among several), INVALID when only malformed
 * ones are found, NO_RECORD, or DNS_ERROR.
 */
enum zs_dmarc_auth zs_dmarc_report_auth(struct zs_arena *arena, const struct zs_answer *a);

/** Name of an authorization state ("authorized", "no_record", ...). */
const char *zs_dmarc_auth_name(enum zs_dmarc_auth a);

/** Write a parsed record as a JSON object. */
void zs_dmarc_record_json(struct zs_json *j, const struct zs_dmarc_record *r);

/** Write a discovery result as a JSON object (records, inheritance, destinations, questions). */
void zs_dmarc_result_json(struct zs_json *j, const struct zs_dmarc_result *r);
