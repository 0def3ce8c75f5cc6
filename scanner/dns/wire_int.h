/* SPDX-License-Identifier: MIT */
/*
 * DNS messages for the resolver, with no I/O: names between presentation and wire form,
 * the query packet, the strict check of a reply against the question it must answer
 * (RFC 5452 section 9.1), and the decoding of an accepted reply into a self-contained answer
 * entry (struct zs__dns_entry, one allocation) that the cache keeps and every waiting
 * question reads. The check walks the raw message before anything else reads it, so that
 * unrelated or malformed datagrams are rejected cheaply (reliability notes 1.7 and 1.15); the
 * decoder reads the packet in place, and an ldns-based twin of it (wire_ldns.c) is the
 * reference the tests compare it with.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"

enum {
	ZS_DNS_NAME_MAX = 255,                    /**< bytes of a wire name, root label included */
	ZS_DNS_TEXT_MAX = 1024,                   /**< bytes of a presentation name, NUL included */
	ZS_DNS_HEADER_SIZE = 12,                  /**< bytes of a DNS header */
	ZS_DNS_CLASS_IN = 1,                      /**< the Internet class */
	ZS_DNS_QUERY_MAX = 2 + 12 + 255 + 4 + 11, /**< bytes of a query we build, prefix included */
	ZS_DNS_MSG_MAX = 65535,                   /**< bytes of any DNS message */
	ZS_DNS_CNAME_LIMIT = 64,  /**< hard cap on max_cname, whatever the options say */
	ZS_DNS_RR_TSIG = 250,     /**< TSIG: we never sign, so a signed reply is malformed */
	ZS_DNS_RR_OPT = 41,       /**< EDNS0 pseudo-record */
	ZS_DNS_RCODE_NOERROR = 0, /**< rcodes the engine names */
	ZS_DNS_RCODE_FORMERR = 1,
	ZS_DNS_RCODE_SERVFAIL = 2,
	ZS_DNS_RCODE_NXDOMAIN = 3,
	ZS_DNS_RCODE_REFUSED = 5,
};

/** A question in wire form, lower case: what a reply must repeat to be accepted. */
struct zs__dns_question {
	uint8_t name[ZS_DNS_NAME_MAX]; /**< uncompressed wire name, lower case */
	uint8_t name_len;              /**< bytes of @a name, root label included */
	uint16_t type;
	uint16_t qclass;
};

/** Why a datagram was not accepted as the reply to a question. */
enum zs__dns_verdict {
	ZS_DNS_REPLY_OK,           /**< the reply answers the question */
	ZS_DNS_REPLY_MALFORMED,    /**< too short, bad name, counts past the end, TSIG, 2 OPT */
	ZS_DNS_REPLY_NOT_RESPONSE, /**< QR=0 */
	ZS_DNS_REPLY_OPCODE,       /**< opcode is not QUERY */
	ZS_DNS_REPLY_QDCOUNT,      /**< QDCOUNT is not 1 */
	ZS_DNS_REPLY_QUESTION,     /**< another name, type or class */
	ZS_DNS_REPLY_ID,           /**< another query ID */
	ZS_DNS_REPLY_VERDICT_COUNT_
};

/** A key of the resolver's hash tables: (name, type). */
struct zs__dns_node {
	uint64_t hash;       /**< of (name, type), set by the table's user */
	const uint8_t *name; /**< wire name, lower case; owned by the node's container */
	uint8_t name_len;    /**< bytes of @a name */
	uint16_t type;
};

/**
 * The answer to one question, decoded, in one allocation: struct zs_answer and everything
 * it points to live behind this header. Reference counted: the cache holds one reference,
 * every question about to be told holds one.
 */
struct zs__dns_entry {
	struct zs__dns_node node;       /**< key: the question; name inside the entry */
	struct zs__dns_entry *lru_prev; /**< towards the most recently used */
	struct zs__dns_entry *lru_next; /**< towards the least recently used */
	uint64_t expires;               /**< loop time (ms) after which the cache drops it */
	uint32_t ttl;                   /**< seconds it may be cached (0: not cacheable) */
	unsigned refs;                  /**< references held */
	bool cached;                    /**< in the cache's table */
	size_t size;                    /**< bytes of the allocation, for the cache's accounting */
	struct zs_answer ans; /**< what the question came to; from_cache is set per delivery */
};

/**
 * Convert a presentation name ("Example.COM", "example.com.", escapes \. and \DDD allowed, as
 * in RFC 1035 section 5.1) to lower-case wire form. This is the one hot path that owes nothing
 * to ldns: every question passes here (ldns_dname_new_frm_str() allocates and was a tenth of
 * the engine's time); the unit tests hold it to ldns's reading of the same names.
 * @param text  the name; "" and "." are the root
 * @param[out] q  on success, @a name and @a name_len are set (type and class are not touched)
 * @return 0, or ZS_ERR_PARSE when the name is malformed (empty label, label over 63 bytes,
 *         bad escape) or longer than 255 bytes
 */
int zs__dns_name_from_text(const char *text, struct zs__dns_question *q);

/**
 * Convert a wire name (uncompressed) to presentation form, lower case, without the final dot,
 * escaping '.', '\\' and bytes outside 0x21..0x7e as in RFC 1035 (\DDD).
 * @param out  where to write, NULL to measure only
 * @param cap  bytes available at @p out
 * @return the length of the text (without the NUL), or -1 when the wire name is malformed
 *         or does not fit in @p cap
 */
int zs__dns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap);

/** Whether two uncompressed wire names are equal, ignoring ASCII case (RFC 4343). */
bool zs__dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/**
 * Build the query packet for a question: RD set, ID 0 (patched per try), EDNS0 OPT record with
 * @p edns_size (none when 0), AD set when @p ad. Written directly (a header, the question and
 * an empty OPT record); the unit tests parse it back with ldns.
 * @param out  buffer; the packet is written at out + 2, out[0..1] get its length (TCP framing)
 * @param[out] len  on success, bytes of the packet (without the 2-byte prefix)
 * @return 0
 */
int zs__dns_query_build(const struct zs__dns_question *q, uint16_t edns_size, bool ad,
                        uint8_t out[ZS_DNS_QUERY_MAX], size_t *len);

/** Write a query ID into a packet (network order). */
void zs__dns_set_id(uint8_t *pkt, uint16_t id);

/** The ID of a message of at least 2 bytes. */
uint16_t zs__dns_get_id(const uint8_t *pkt);

/**
 * Check a datagram against the question it must answer: ID, QR, opcode, QDCOUNT=1, question
 * (name ignoring case, type, class), then the whole message's structure (every name, every
 * count, no TSIG, at most one OPT), without allocating.
 * @return ZS_DNS_REPLY_OK or the first reason to reject it
 */
enum zs__dns_verdict zs__dns_reply_check(const uint8_t *pkt, size_t len, uint16_t id,
                                         const struct zs__dns_question *q);

/** Short name of a verdict ("question"), for counters and logs. */
const char *zs__dns_verdict_name(enum zs__dns_verdict v);

/** Whether a checked reply has TC=1. */
bool zs__dns_reply_truncated(const uint8_t *pkt);

/** The rcode in the header of a checked reply (4 bits; extended rcodes are not used). */
uint8_t zs__dns_reply_rcode(const uint8_t *pkt);

/**
 * The final status of a reply from its rcode and whether the asked records were found.
 * @return NOERROR, NODATA, NXDOMAIN, SERVFAIL, REFUSED, FORMERR or OTHER
 */
enum zs_dns_status zs__dns_rcode_status(uint8_t rcode, bool has_records);

/**
 * Decode a reply that zs__dns_reply_check() accepted: follow the CNAME chain from the
 * question name through the answer section, keep the records of the asked type at its end,
 * take the negative TTL from the SOA in the authority section (RFC 2308 section 5), and
 * classify. The cache lifetime is the smallest TTL of the records and CNAMEs used (positive)
 * or the negative TTL (NODATA, NXDOMAIN); failures and CNAME loops get 0 (not cached).
 * @param max_cname  CNAMEs followed before ZS_DNS_CNAME_LOOP
 * @param[out] out  on success, a new entry with one reference, freed by zs__dns_entry_unref()
 * @return 0, or ZS_ERR_PARSE when the records cannot be framed, or a record the answer uses
 *         (a followed CNAME, a record of the asked type) has malformed data
 */
int zs__dns_reply_decode(const uint8_t *pkt, size_t len, const struct zs__dns_question *q,
                         unsigned max_cname, struct zs__dns_entry **out);

/**
 * The same decoding through ldns (wire_ldns.c), kept as the reference for tests: it gives
 * the same entry as zs__dns_reply_decode() for every reply ldns parses, and fails on more
 * (any malformed record in any section).
 */
int zs__dns_reply_decode_ldns(const uint8_t *pkt, size_t len, const struct zs__dns_question *q,
                              unsigned max_cname, struct zs__dns_entry **out);

/** Where a decoder copies a reply's data inside a new entry (zs__dns_entry_alloc()). */
struct zs__dns_cursor {
	const uint8_t **ptrs; /**< pointer slots: CNAME names, TXT strings */
	uint16_t *lens;       /**< TXT string lengths */
	char *bytes;          /**< text, NULs included */
};

/**
 * A new entry for the question with room for what a decoder measured; the records, the
 * CNAME names and the key follow the entry in the same allocation.
 * @param[out] c  where the decoder copies, in that order
 * @return an entry with one reference (never NULL)
 */
struct zs__dns_entry *zs__dns_entry_alloc(const struct zs__dns_question *q, size_t rr_count,
                                          size_t ptrs, size_t lens, size_t bytes,
                                          struct zs__dns_cursor *c);

/**
 * Set a decoded entry's status (from its rcode and record count, or CNAME_LOOP) and its
 * cache lifetime: @p min_ttl for NOERROR, the smaller of it and @p neg_ttl for NODATA and
 * NXDOMAIN (which keep @p neg_ttl), 0 otherwise.
 */
void zs__dns_entry_settle(struct zs__dns_entry *e, bool loop, uint32_t min_ttl, uint32_t neg_ttl);

/**
 * A new entry with no record, for a final status that did not come with data (TIMEOUT,
 * TCP_FAILED, NETERR, BADNAME...), not cacheable.
 * @param q  the question (key), or NULL for none
 * @return an entry with one reference (never NULL)
 */
struct zs__dns_entry *zs__dns_entry_new_status(const struct zs__dns_question *q,
                                               enum zs_dns_status status, uint8_t rcode);

/** Take a reference. @return @p e */
struct zs__dns_entry *zs__dns_entry_ref(struct zs__dns_entry *e);

/** Drop a reference; the entry is freed at zero. NULL is a no-op. */
void zs__dns_entry_unref(struct zs__dns_entry *e);
