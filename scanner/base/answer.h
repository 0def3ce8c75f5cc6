/* SPDX-License-Identifier: MIT */
/*
 * What a DNS question came to, in a form that owes nothing to the wire or to ldns: the final
 * status (kept distinct all the way to the database, so that "no record" is never confused
 * with "could not check") and the records of the asked type, already decoded. The DNS engine
 * produces these, the fake DNS of the tests produces them from tables, and the pure policy
 * code (SPF, DMARC, DKIM...) consumes them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZS_DNS_STATUS_MAP(XX)                                                      \
	XX(NOERROR, "noerror", "answer with data")                                 \
	XX(NODATA, "nodata", "the name exists but has no record of this type")     \
	XX(NXDOMAIN, "nxdomain", "the name does not exist")                        \
	XX(SERVFAIL, "servfail", "server failure")                                 \
	XX(REFUSED, "refused", "query refused")                                    \
	XX(FORMERR, "formerr", "format error")                                     \
	XX(TIMEOUT, "timeout", "no answer before the deadline")                    \
	XX(TCP_FAILED, "tcp_failed", "answer truncated and the TCP retry failed")  \
	XX(NETERR, "neterr", "network error")                                      \
	XX(CNAME_LOOP, "cname_loop", "CNAME chain loops or is too long")           \
	XX(BADNAME, "badname", "the name cannot be asked (malformed or too long)") \
	XX(OTHER, "other_rcode", "unexpected response code")                       \
	XX(NOT_ASKED, "not_asked", "not asked")

enum zs_dns_status {
#define XX(name, text, msg) ZS_DNS_##name,
	ZS_DNS_STATUS_MAP(XX)
#undef XX
	        ZS_DNS_STATUS_COUNT_
};

/** Record types the project asks for. */
enum {
	ZS_RR_A = 1,
	ZS_RR_NS = 2,
	ZS_RR_CNAME = 5,
	ZS_RR_SOA = 6,
	ZS_RR_PTR = 12,
	ZS_RR_MX = 15,
	ZS_RR_TXT = 16,
	ZS_RR_AAAA = 28,
	ZS_RR_DS = 43,
	ZS_RR_SPF = 99,
};

/**
 * One record of an answer. Names are in presentation form, lower case, without the final
 * dot ("" is the root); TXT keeps its character-strings (for the joined text see
 * zs_rr_txt_join()).
 */
struct zs_rr {
	uint16_t type;
	uint32_t ttl;
	union {
		uint8_t a[4];     /**< A */
		uint8_t aaaa[16]; /**< AAAA */
		struct {
			uint16_t pref;
			const char *host;
		} mx;             /**< MX */
		const char *name; /**< PTR, CNAME, NS */
		struct {
			size_t count;        /**< character-strings */
			const uint8_t **str; /**< each string's bytes */
			const uint16_t *len; /**< each string's length (<= 255) */
		} txt;                       /**< TXT and SPF */
	} u;
};

/** The final state of one question and its records. */
struct zs_answer {
	enum zs_dns_status status;
	bool ad;                /**< AD bit of the answer (meaningful with a validating resolver) */
	bool from_cache;        /**< served from the run's cache */
	uint8_t rcode;          /**< DNS rcode when a response arrived */
	uint32_t neg_ttl;       /**< for NODATA/NXDOMAIN, the SOA minimum (RFC 2308) */
	size_t count;           /**< records of the asked type in @a rr */
	const struct zs_rr *rr; /**< the records */
	size_t cname_count;     /**< CNAMEs followed, in order */
	const char *const *cname; /**< each CNAME target followed from the question name */
};

/** Short name of a status ("nxdomain"), as stored in the database. */
const char *zs_dns_status_name(enum zs_dns_status s);
/** One-line message for a status. */
const char *zs_dns_status_msg(enum zs_dns_status s);
/** Parse a status name. @return 0 or ZS_ERR_NOTFOUND */
int zs_dns_status_parse(const char *name, enum zs_dns_status *out);
/** Whether the status is a definitive answer (data, NODATA or NXDOMAIN), not a failure. */
bool zs_dns_status_is_answer(enum zs_dns_status s);
/**
 * Whether a question was asked and got no definitive answer (SERVFAIL, timeout, a name that
 * cannot be asked...): neither an answer nor ZS_DNS_NOT_ASKED. A question a machine rightly did
 * not ask, because an earlier answer made it pointless, is no failure.
 */
bool zs_dns_status_is_failure(enum zs_dns_status s);
/** Mnemonic of a record type ("TXT"), or "TYPEnnn" into a static buffer. */
const char *zs_rr_type_name(uint16_t type);

struct zs_arena;

/**
 * Deep-copy an answer (for keeping it past the callback that delivered it).
 * @return the copy, allocated in @p arena
 */
struct zs_answer *zs_answer_dup(struct zs_arena *arena, const struct zs_answer *ans);

/**
 * The text of a TXT record: its character-strings joined without separators (RFC 7208 3.3).
 * @param[out] len  length of the result (it may contain NUL bytes)
 * @return a NUL-terminated copy allocated in @p arena
 */
char *zs_rr_txt_join(struct zs_arena *arena, const struct zs_rr *rr, size_t *len);

/**
 * The order record texts are listed in (bytes, then length), whatever order the answer had:
 * resolvers rotate RRsets, and an unchanged domain must give unchanged facts.
 * @return <0, 0 or >0, as memcmp()
 */
int zs_rdata_order(const void *a, size_t alen, const void *b, size_t blen);
