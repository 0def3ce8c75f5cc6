/* SPDX-License-Identifier: MIT */
/*
 * The three TXT records around SMTP transport security and brand indicators: MTA-STS
 * (_mta-sts.<domain>, RFC 8461 3.1: v=STSv1; id=...), TLS-RPT (_smtp._tls.<domain>, RFC 8460 3:
 * v=TLSRPTv1; rua=...) and BIMI (default._bimi.<domain>: v=BIMI1; l=...; a=...). For each: a
 * parser with findings, and one produce/consume machine (lookup.h) that asks the three names at
 * once and applies each specification's selection rule (records not starting with the version
 * are ignored; more than one is an error). Only presence and syntax are checked: the MTA-STS
 * policy file (HTTPS), the BIMI logo and certificate are not fetched.
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

struct zs_mtasts_record {
	const char *text; /**< as published (NUL-terminated; may contain NUL) */
	size_t len;
	bool valid;
	const char *id; /**< the policy id, NULL when absent or invalid */
	size_t extensions;
	struct zs_findings findings;
};

struct zs_tlsrpt_record {
	const char *text;
	size_t len;
	bool valid;
	const char **rua; /**< the report URIs as published */
	size_t rua_count;
	size_t extensions;
	struct zs_findings findings;
};

struct zs_bimi_record {
	const char *text;
	size_t len;
	bool valid;
	const char *l; /**< logo location, NULL when absent ("" when empty) */
	const char *a; /**< authority evidence (VMC) location, NULL when absent */
	bool declined; /**< l= and a= empty: the domain declines to publish an indicator */
	struct zs_findings findings;
};

/** Parse an MTA-STS TXT record; @p out is always filled. */
void zs_mtasts_parse(struct zs_arena *arena, const char *text, size_t len,
                     struct zs_mtasts_record *out);

/** Parse a TLS-RPT TXT record; @p out is always filled. */
void zs_tlsrpt_parse(struct zs_arena *arena, const char *text, size_t len,
                     struct zs_tlsrpt_record *out);

/** Parse a BIMI TXT record; @p out is always filled. */
void zs_bimi_parse(struct zs_arena *arena, const char *text, size_t len,
                   struct zs_bimi_record *out);

enum zs_sts_outcome {
	ZS_STS_NONE,      /**< no record of the kind (NXDOMAIN, NODATA or other TXT only) */
	ZS_STS_RECORD,    /**< exactly one (see its valid flag) */
	ZS_STS_MULTIPLE,  /**< several: senders act as if there were none */
	ZS_STS_DNS_ERROR, /**< the lookup failed */
};

/** Name of an outcome ("none", "record", "multiple", "dns_error"). */
const char *zs_sts_outcome_name(enum zs_sts_outcome o);

/** What one of the three names held. Only the array of its own kind is set. */
struct zs_sts_site {
	const char *name;
	enum zs_dns_status status;
	enum zs_sts_outcome outcome;
	size_t cname_count;
	const char *const *cname;
	size_t record_count; /**< records of the kind kept (up to 16) */
	size_t record_total;
	struct zs_mtasts_record *mtasts; /**< for the _mta-sts site */
	struct zs_tlsrpt_record *tlsrpt; /**< for the _smtp._tls site */
	struct zs_bimi_record *bimi;     /**< for the default._bimi site */
	struct zs_txt *other;            /**< other TXT records kept */
	size_t other_count;
	size_t other_total;
};

struct zs_sts_result {
	const char *domain;
	struct zs_sts_site mtasts;   /**< _mta-sts.<domain> */
	struct zs_sts_site tlsrpt;   /**< _smtp._tls.<domain> */
	struct zs_sts_site bimi;     /**< default._bimi.<domain> */
	struct zs_findings findings; /**< lookup findings; record findings sit in each record */
	struct zs_query_log log;
};

struct zs_sts_ctx;

/**
 * Start the MTA-STS, TLS-RPT and BIMI lookups of a domain.
 * @param arena  the context and result live here (no free function)
 * @return never NULL
 */
struct zs_sts_ctx *zs_sts_new(struct zs_arena *arena, const char *domain);

/** Advance (struct zs_lookup_ops). @return NEED_LOOKUP, WAIT or DONE */
int zs_sts_step(struct zs_sts_ctx *c, struct zs_lookup *need, size_t max, size_t *n);

/** Answer a question. @return 0 or ZS_ERR_NOTFOUND */
int zs_sts_answer(struct zs_sts_ctx *c, uint32_t id, const struct zs_answer *a);

/** The result once zs_sts_step() returned DONE. @return owned by the arena */
const struct zs_sts_result *zs_sts_result(const struct zs_sts_ctx *c);

/** zs_sts_step() and zs_sts_answer() for generic drivers. */
extern const struct zs_lookup_ops zs_sts_lookup_ops;

/** Write a parsed MTA-STS record as a JSON object {"text", "valid", "id", ...}. */
void zs_mtasts_record_json(struct zs_json *j, const struct zs_mtasts_record *r);

/** Write a parsed TLS-RPT record as a JSON object {"text", "valid", "rua", ...}. */
void zs_tlsrpt_record_json(struct zs_json *j, const struct zs_tlsrpt_record *r);

/** Write a parsed BIMI record as a JSON object {"text", "valid", "l", "a", ...}. */
void zs_bimi_record_json(struct zs_json *j, const struct zs_bimi_record *r);

/** Write a result as {"mta_sts": ..., "tls_rpt": ..., "bimi": ..., ...}. */
void zs_sts_result_json(struct zs_json *j, const struct zs_sts_result *r);
