/* SPDX-License-Identifier: MIT */
/*
 * MX and reverse DNS. The MX set is analysed on its own (null MX of RFC 7505 and its misuse,
 * targets that are IP literals or malformed, more than 10 MX, duplicates), then a
 * produce/consume machine (lookup.h) resolves it: for each MX host its A and AAAA records
 * (targets reached through a CNAME are noted: RFC 2181 10.3 forbids them), for each address its
 * PTR, and for each PTR name whether it resolves back to the same address (forward-confirmed
 * reverse DNS, which the .POST policy's reverse-DNS principle asks for). Nothing here connects
 * to a mail server. Independent lookups are handed out together.
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

/** What the MX RRset says about mail to the domain. */
enum zs_mx_kind {
	ZS_MX_KIND_NONE,      /**< no MX (NXDOMAIN or NODATA) */
	ZS_MX_KIND_NULL,      /**< only a null MX: the domain accepts no mail (RFC 7505) */
	ZS_MX_KIND_HOSTS,     /**< one or more mail hosts */
	ZS_MX_KIND_MIXED,     /**< a null MX beside other MX records (a misuse) */
	ZS_MX_KIND_DNS_ERROR, /**< the MX lookup failed */
};

/** Reverse DNS of one address. */
enum zs_rdns {
	ZS_RDNS_NOT_CHECKED,
	ZS_RDNS_CONFIRMED, /**< a PTR name resolves back to the address (FCrDNS) */
	ZS_RDNS_MISMATCH,  /**< PTR names exist but none resolves back to the address */
	ZS_RDNS_NO_PTR,    /**< no PTR record */
	ZS_RDNS_DNS_ERROR, /**< a lookup failed: unknown */
};

/** Most MX hosts resolved, addresses kept per host, PTR names followed per address. */
enum { ZS_MX_MAX_HOSTS = 16, ZS_MX_MAX_ADDRS = 8, ZS_MX_MAX_PTRS = 4 };

struct zs_mx_ptr {
	const char *name;          /**< the PTR target */
	enum zs_dns_status status; /**< of its forward lookup (A or AAAA) */
	bool matches;              /**< the forward lookup holds the address */
};

struct zs_mx_addr {
	int family; /**< 4 or 6 */
	uint8_t bytes[16];
	char text[48];            /**< presentation form */
	bool special;             /**< loopback, private, link-local, documentation... */
	const char *reverse_name; /**< in-addr.arpa or ip6.arpa name */
	enum zs_dns_status ptr_status;
	struct zs_mx_ptr *ptr; /**< up to ZS_MX_MAX_PTRS */
	size_t ptr_count;
	size_t ptr_total; /**< PTR records in the answer */
	enum zs_rdns rdns;
};

struct zs_mx_host {
	const char *name; /**< the MX target ("" for a null MX) */
	uint16_t pref;
	bool null_mx;    /**< the target is the root */
	bool ip_literal; /**< the target is an address, not a host name */
	bool probed;     /**< its addresses were looked up */
	enum zs_dns_status a_status, aaaa_status;
	size_t cname_count; /**< CNAMEs followed from the target */
	const char *const *cname;
	struct zs_mx_addr *addr; /**< up to ZS_MX_MAX_ADDRS */
	size_t addr_count;
	size_t addr_total;
};

struct zs_mx_result {
	const char *domain;
	enum zs_dns_status status; /**< of the MX lookup */
	enum zs_mx_kind kind;
	struct zs_mx_host *host; /**< every MX record, by preference then name */
	size_t host_count;
	struct zs_findings findings;
	struct zs_query_log log;
};

/**
 * Analyse an MX answer alone: fills @p out's status, kind, hosts and the set's findings (null
 * MX misuse, IP literals, malformed targets, more than 10 MX, duplicates).
 * @param spf_authorizes_hosts  the domain's SPF record authorizes senders (a null MX then
 *                              contradicts it); pass false when unknown
 * @param[out] out  zeroed first; its strings go in @p arena
 */
void zs_mx_set_analyze(struct zs_arena *arena, const char *domain, const struct zs_answer *mx,
                       bool spf_authorizes_hosts, struct zs_mx_result *out);

/** Flags of struct zs_mx_opts. */
enum {
	ZS_MX_NO_RDNS = 1 << 0, /**< stop after the hosts' addresses */
};

struct zs_mx_opts {
	bool spf_authorizes_hosts; /**< see zs_mx_set_analyze(); also settable later */
	unsigned flags;
};

struct zs_mx_ctx;

/**
 * Start MX and reverse-DNS discovery.
 * @param arena  the context and result live here (no free function)
 * @param opts   copied; NULL for the defaults
 * @return never NULL
 */
struct zs_mx_ctx *zs_mx_new(struct zs_arena *arena, const char *domain,
                            const struct zs_mx_opts *opts);

/**
 * Tell the machine whether SPF authorizes hosts when that becomes known after zs_mx_new();
 * call before zs_mx_step() returns DONE.
 */
void zs_mx_set_spf(struct zs_mx_ctx *c, bool spf_authorizes_hosts);

/** Advance (struct zs_lookup_ops). @return NEED_LOOKUP, WAIT or DONE */
int zs_mx_step(struct zs_mx_ctx *c, struct zs_lookup *need, size_t max, size_t *n);

/** Answer a question. @return 0 or ZS_ERR_NOTFOUND */
int zs_mx_answer(struct zs_mx_ctx *c, uint32_t id, const struct zs_answer *a);

/** The result once zs_mx_step() returned DONE. @return owned by the arena */
const struct zs_mx_result *zs_mx_result(const struct zs_mx_ctx *c);

/** zs_mx_step() and zs_mx_answer() for generic drivers. */
extern const struct zs_lookup_ops zs_mx_lookup_ops;

/** Name of an MX kind ("none", "null_mx", "hosts", ...). @return a static string */
const char *zs_mx_kind_name(enum zs_mx_kind k);

/** Name of a reverse-DNS state ("confirmed", "no_ptr", ...). @return a static string */
const char *zs_rdns_name(enum zs_rdns r);

/**
 * Whether an address is special-purpose (loopback, RFC 1918, shared, link-local, documentation,
 * multicast, reserved, unique-local, IPv4-mapped...): no public mail host should have one.
 * @param family  4 or 6
 */
bool zs_mx_address_special(int family, const uint8_t *bytes);

/** Write a result as a JSON object. */
void zs_mx_result_json(struct zs_json *j, const struct zs_mx_result *r);
