/* SPDX-License-Identifier: MIT */
/*
 * SPF records (RFC 7208): recognising a record among the TXT strings of a name (section 4.5),
 * and parsing it into terms with the full grammar of section 12, so that every syntax error is
 * reported with its byte position. The parser is strict where the OpenSPF suite is strict
 * (toplabel rules, CIDR without leading zeros, no control or non-ASCII bytes, known modifiers
 * never parsed as unknown ones) and keeps each term's place in the text, because the analysis
 * and the reports point back at the term a finding is about. Parsing is pure: no DNS, no
 * allocation outside the caller's arena.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zs_arena;

/** The seven check_host() results (RFC 7208 2.6), and the analysis verdict "valid". */
enum zs_spf_result {
	ZS_SPF_NONE,
	ZS_SPF_NEUTRAL,
	ZS_SPF_PASS,
	ZS_SPF_FAIL,
	ZS_SPF_SOFTFAIL,
	ZS_SPF_TEMPERROR,
	ZS_SPF_PERMERROR,
	ZS_SPF_VALID, /**< analysis only: a single record, no error met */
};

/** Mechanisms and modifiers. */
enum zs_spf_kind {
	ZS_SPF_ALL,
	ZS_SPF_INCLUDE,
	ZS_SPF_A,
	ZS_SPF_MX,
	ZS_SPF_PTR,
	ZS_SPF_IP4,
	ZS_SPF_IP6,
	ZS_SPF_EXISTS,
	ZS_SPF_REDIRECT, /**< modifier redirect= */
	ZS_SPF_EXP,      /**< modifier exp= */
	ZS_SPF_UNKNOWN,  /**< any other modifier (name=value), ignored by evaluation */
};

/** Bytes as found in DNS (may hold NUL or any byte); @a data is NUL-terminated. */
struct zs_spf_text {
	const char *data;
	size_t len;
};

/** An IP address; IPv4 is kept in the first 4 bytes of @a addr. */
struct zs_spf_ip {
	uint8_t family; /**< 4 or 6 */
	uint8_t addr[16];
};

/** One term of a record. */
struct zs_spf_term {
	enum zs_spf_kind kind;
	char qualifier;   /**< mechanisms: '+', '-', '~' or '?' ('+' when omitted); else 0 */
	uint32_t pos;     /**< byte offset of the term in the record text */
	uint32_t len;     /**< length of the term text */
	const char *spec; /**< domain-spec (macro-string for unknown modifiers), NUL-terminated;
	                       NULL when the mechanism has none */
	const char *name; /**< unknown modifier: its name; NULL otherwise */
	uint8_t cidr4;    /**< a, mx, ip4: IPv4 prefix length (32 when absent) */
	uint8_t cidr6;    /**< a, mx, ip6: IPv6 prefix length (128 when absent) */
	uint8_t addr[16]; /**< ip4 (4 bytes) or ip6 network as written */
	bool macro;       /**< the spec has a %{...} expansion (cannot be used as it is) */
};

/** A parsed record. Terms keep the order of the text; modifiers are also reachable directly. */
struct zs_spf_record {
	const char *text;                   /**< the record, NUL-terminated copy */
	size_t len;                         /**< its length */
	size_t count;                       /**< terms */
	const struct zs_spf_term *terms;    /**< the terms */
	const struct zs_spf_term *redirect; /**< redirect= or NULL */
	const struct zs_spf_term *exp;      /**< exp= or NULL */
	const struct zs_spf_term *all;      /**< the first "all" mechanism or NULL */
	unsigned dns_terms; /**< include, a, mx, ptr, exists and redirect= terms (RFC 7208 4.6.4) */
};

/** Where and why a record or macro-string is malformed. */
struct zs_spf_syntax {
	size_t pos;      /**< byte offset of the offending character */
	const char *msg; /**< static one-line reason ("unknown mechanism") */
};

/** Longest record the parser takes (a TXT RRset cannot be larger than a DNS message). */
enum { ZS_SPF_RECORD_MAX = 65535 };

/**
 * Whether a TXT record's text is an SPF record: it begins with "v=spf1" (any case) followed by
 * a space or the end (RFC 7208 4.5).
 * @param text  the record's character-strings joined; need not be NUL-terminated
 */
bool zs_spf_is_record(const char *text, size_t len);

/**
 * Whether an SPF record, valid or not, lists a sender: a mechanism that can give pass (a, mx,
 * ip4, ip6, include, exists, ptr or all, with the qualifier "+" or none), or redirect=. The
 * terms are read one by one without their arguments, so a record that a syntax error (or a
 * second record, or a limit) makes invalid still says that its domain sends mail.
 * @param text  the record's character-strings joined; need not be NUL-terminated
 * @return false for a text that is not an SPF record (zs_spf_is_record())
 */
bool zs_spf_lists_senders(const char *text, size_t len);

/**
 * Parse an SPF record.
 * @param a     arena that receives the record and its terms (owned by it)
 * @param text  the record text (any bytes; the parser reports control and non-ASCII bytes)
 * @param[out] out  on success, the record, owned by @p a
 * @param[out] err  on ZS_ERR_PARSE, the position and reason; may be NULL
 * @return 0, ZS_ERR_NOTFOUND when @p text is not an SPF record (zs_spf_is_record()),
 *         ZS_ERR_PARSE for a syntax error, or ZS_ERR_TOOBIG above ZS_SPF_RECORD_MAX bytes
 */
int zs_spf_record_parse(struct zs_arena *a, const char *text, size_t len,
                        struct zs_spf_record **out, struct zs_spf_syntax *err);

/**
 * Parse a client address ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"). An IPv4-mapped
 * IPv6 address is taken as IPv4 (RFC 7208 5: it MUST be treated as an IPv4 address).
 * @return 0 or ZS_ERR_PARSE
 */
int zs_spf_ip_parse(const char *text, struct zs_spf_ip *out);

/** Lower-case name of a result ("pass", "permerror", "valid"). */
const char *zs_spf_result_name(enum zs_spf_result r);
/** Name of a term kind as written in records ("include", "redirect", "unknown"). */
const char *zs_spf_kind_name(enum zs_spf_kind k);
/** Whether the term is a mechanism or modifier that queries DNS (RFC 7208 4.6.4). */
bool zs_spf_kind_queries_dns(enum zs_spf_kind k);
