/* SPDX-License-Identifier: MIT */
/*
 * The facts a policy is judged on: a flat summary of what the probe found for one domain,
 * with, for every part, the DNS status of the questions it rests on. The rules never look at
 * DNS answers or record parsers directly; they read these facts, so the same rule code serves
 * the sweep, `zonesweep check` and the unit tests (which build facts by hand).
 *
 * Every part has a `status`: ZS_DNS_NOERROR/NODATA/NXDOMAIN mean the part is known (present
 * or absent); any other status means it could not be checked, and a rule that needs it gives
 * the verdict "error", never "fail".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"

enum zs_fact_mx {
	ZS_FACT_MX_NONE,  /**< no MX RRset */
	ZS_FACT_MX_NULL,  /**< only the null MX "0 ." (RFC 7505) */
	ZS_FACT_MX_HOSTS, /**< MX records naming hosts */
};

enum zs_fact_rdns {
	ZS_FACT_RDNS_OK,       /**< every address of every MX host has a PTR that resolves back */
	ZS_FACT_RDNS_MISMATCH, /**< every address has a PTR, but some PTR does not resolve back */
	ZS_FACT_RDNS_MISSING,  /**< some address has no PTR */
	ZS_FACT_RDNS_UNRESOLVABLE, /**< some MX host has no address */
	ZS_FACT_RDNS_NONE,         /**< no MX hosts to check */
};

/** An optional record such as MTA-STS, TLS-RPT or BIMI: present, and valid. */
struct zs_fact_record {
	enum zs_dns_status status;
	bool present;
	bool valid;
	const char *record; /**< as found (first one), or NULL */
	const char *error;  /**< why invalid, or NULL */
};

struct zs_facts {
	const char *domain;

	struct {
		enum zs_dns_status status;
		enum zs_fact_mx kind;
		size_t count;             /**< MX records */
		bool null_misused;        /**< null MX beside other MX records */
		bool over_limit;          /**< more than 10 MX records */
		const char *const *hosts; /**< MX host names, by preference */
		size_t host_count;
	} mx;

	struct {
		enum zs_dns_status status; /**< of the apex TXT question and, when the
		                                analysis needed more lookups and one failed,
		                                of that one (a temperror) */
		size_t count;              /**< records beginning "v=spf1" */
		bool valid;                /**< exactly one record, and it evaluates without
		                                permerror (syntax, limits, missing includes) */
		const char *error;         /**< the analysis' reason code when not valid */
		const char *record;        /**< the record (when exactly one), or NULL */
		char all;                  /**< qualifier of the terminal all ('+','-','~','?'),
		                                0 when none */
		bool authorizes;           /**< some host may send */
		bool senders;              /**< some record lists a sender, valid or not
		                                (zs_spf_lists_senders()): the domain sends mail */
		bool uses_ptr;
		unsigned lookups; /**< DNS-querying terms after expansion */
		uint64_t ipv4;    /**< IPv4 addresses authorized */
		bool type99_only; /**< SPF only as the obsolete type 99 */
	} spf;

	struct {
		enum zs_dns_status status;
		size_t count;       /**< DMARC records at _dmarc.<domain> (own) */
		bool valid;         /**< exactly one own record, and receivers apply its policy
		                         (it may still have broken tags they discard) */
		const char *error;  /**< why not valid, or NULL */
		size_t discarded;   /**< broken tags receivers discard */
		const char *broken; /**< what they are and what discarding them means, or NULL */
		const char *record; /**< the own record, or NULL */
		const char *p;      /**< effective policies of the own record */
		const char *sp;     /**< NULL when absent */
		int pct;            /**< 100 when absent */
		char adkim;         /**< 'r' or 's' (default 'r') */
		char aspf;
		bool has_rua;
		bool inherited;             /**< no own record; one applies from a parent */
		const char *inherited_from; /**< where the applying record sits */
		const char *inherited_p;
	} dmarc;

	struct {
		enum zs_dns_status status; /**< of _domainkey and the selector probes */
		bool nothing_below;        /**< _domainkey.<domain> is NXDOMAIN */
		size_t keys;               /**< keys found (valid or not) */
		size_t probed;             /**< selectors asked (list, providers, learned,
		                                declared) */
		size_t unprobed;           /**< declared selectors over the limit, never asked */
		unsigned best_rsa_bits;    /**< largest valid, unrevoked RSA key, 0 if none */
		const char *best_selector; /**< where it was found */
		bool ed25519;              /**< a valid Ed25519 key was found */
		bool wildcard;             /**< a wildcard *._domainkey answers random labels */
		bool wildcard_revoked;     /**< that wildcard holds a key record with empty p= */
		enum zs_dns_status wildcard_status;
	} dkim;

	struct {
		enum zs_dns_status status; /**< of the MX host address and PTR lookups */
		enum zs_fact_rdns state;
		const char *detail; /**< the first host/address that is not OK */
	} rdns;

	struct zs_fact_record mta_sts;
	struct zs_fact_record tls_rpt;
	struct zs_fact_record bimi;

	struct {
		enum zs_dns_status status; /**< NOERROR from the zone, else of the DS question */
		bool signed_delegation;    /**< DS records in the TLD zone */
		bool known;                /**< the zone reader told us (false for `check`) */
		bool validated;            /**< answers carried AD from a validating resolver */
	} dnssec;
};

struct zs_json;

/**
 * Write the facts as one flat JSON object (the "summary" of a domain's stored facts, which
 * reports and SQL views read): every part with its DNS status and the values rules use.
 */
void zs_facts_json(struct zs_json *j, const struct zs_facts *f);
