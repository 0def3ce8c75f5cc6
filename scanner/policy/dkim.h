/* SPDX-License-Identifier: MIT */
/*
 * DKIM public-key records (RFC 6376 3.6.1, RFC 8463, RFC 8301): the key-record parser, with the
 * key's type and size computed by OpenSSL 3 (an RSA p= is accepted as SubjectPublicKeyInfo or as
 * a bare PKCS#1 RSAPublicKey, erratum 3017; an Ed25519 p= is the raw 32-byte key), and selector
 * discovery as a produce/consume machine (lookup.h).
 *
 * Selectors are not published anywhere, so discovery probes: first TXT _domainkey.<domain>,
 * whose NXDOMAIN means nothing exists below it (RFC 8020) and ends the search without a single
 * selector query; otherwise, together, a label nobody would choose (to detect a wildcard
 * *._domainkey record, so that a wildcard is never taken for many keys) and every selector of
 * the list (policies/dkim-selectors.txt, replaceable by the operator) and of the registrant's
 * declared selectors. Selectors reached through a CNAME (to a mail provider) keep their chain.
 *
 * More selectors can join a running discovery (zs_dkim_add()): those of the providers the
 * domain's SPF, MX and CNAME targets name, known only once those answers are in, and those
 * learned at the provider's other domains. A discovery opened with hints ends only after
 * zs_dkim_hints_done(); learned selectors are asked last, and only when no selector asked before
 * holds a usable key. Each origin has its own limit, so the registrant's declarations never push
 * the list out (and a declaration left unprobed is said, per domain).
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

enum zs_dkim_key_type {
	ZS_DKIM_KEY_NONE, /**< no key (p= empty, absent or undecodable) */
	ZS_DKIM_KEY_RSA,
	ZS_DKIM_KEY_ED25519,
	ZS_DKIM_KEY_OTHER, /**< a SubjectPublicKeyInfo of another algorithm */
};

enum zs_dkim_encoding {
	ZS_DKIM_ENC_ABSENT,      /**< no p= tag */
	ZS_DKIM_ENC_EMPTY,       /**< p= empty: the key is revoked */
	ZS_DKIM_ENC_SPKI,        /**< SubjectPublicKeyInfo (DER) */
	ZS_DKIM_ENC_PKCS1,       /**< bare PKCS#1 RSAPublicKey (DER) */
	ZS_DKIM_ENC_RAW,         /**< raw 32-byte Ed25519 key */
	ZS_DKIM_ENC_UNDECODABLE, /**< bad base64 or key data (see the findings) */
};

enum zs_dkim_status {
	ZS_DKIM_VALID,   /**< a verifier can use the key */
	ZS_DKIM_REVOKED, /**< empty p=, otherwise well-formed */
	ZS_DKIM_INVALID, /**< a finding of severity error */
};

/** A parsed key record. */
struct zs_dkim_key {
	const char *text; /**< the record as published (NUL-terminated; may contain NUL) */
	size_t len;
	enum zs_dkim_status status;
	const char *k; /**< k= as published, NULL when absent (rsa applies) */
	enum zs_dkim_key_type type;
	enum zs_dkim_encoding encoding;
	unsigned bits;  /**< RSA modulus bits; 256 for Ed25519 */
	const char **h; /**< h= hash algorithms as published */
	size_t h_count;
	const char **s; /**< s= service types as published */
	size_t s_count;
	const char **t; /**< t= flags as published */
	size_t t_count;
	bool testing;  /**< t=y */
	bool strict;   /**< t=s: i= must equal d= */
	bool email;    /**< s= allows e-mail (absent, "*" or "email") */
	const char *n; /**< n= notes, NULL when absent (may hold any byte) */
	size_t n_len;
	struct zs_findings findings;
};

/**
 * Parse one DKIM key record.
 * @param text   the record (joined character-strings); any bytes; copied into @p arena
 * @param[out] out  always filled
 */
void zs_dkim_key_parse(struct zs_arena *arena, const char *text, size_t len,
                       struct zs_dkim_key *out);

/** Name of a key type ("none", "rsa", "ed25519", "other"). @return a static string */
const char *zs_dkim_key_type_name(enum zs_dkim_key_type t);

/** Name of a key encoding ("spki", "pkcs1", "raw", ...). @return a static string */
const char *zs_dkim_encoding_name(enum zs_dkim_encoding e);

/** Name of a key status ("valid", "revoked", "invalid"). @return a static string */
const char *zs_dkim_status_name(enum zs_dkim_status s);

/** Write a parsed key as a JSON object. */
void zs_dkim_key_json(struct zs_json *j, const struct zs_dkim_key *k);

/**
 * Whether a selector is well-formed: one or more labels of letters, digits, "-" and "_", each
 * 1 to 63 bytes.
 */
bool zs_dkim_selector_valid(const char *s, size_t n);

/**
 * Read a selector list: one selector per line; "#" starts a comment; blank lines are ignored;
 * duplicates (ignoring case) are dropped. Selectors are returned in lower case.
 * @param[out] out       the selectors, in @p arena
 * @param[out] count     how many
 * @param[out] err_line  on ZS_ERR_PARSE or ZS_ERR_TOOBIG, the 1-based line of the bad (or the
 *                       first surplus) selector
 * @return 0, ZS_ERR_PARSE, or ZS_ERR_TOOBIG for more than ZS_DKIM_MAX_LIST selectors
 */
int zs_dkim_selectors_parse(struct zs_arena *arena, const char *text, size_t len, const char ***out,
                            size_t *count, size_t *err_line);

/**
 * Read a selector list file (see zs_dkim_selectors_parse()), at most 64 KiB.
 * @return 0, ZS_ERR_PARSE (err_line set), ZS_ERR_TOOBIG (err_line set when the file is not
 *         too big itself but holds too many selectors) or -errno
 */
int zs_dkim_selectors_load(struct zs_arena *arena, const char *path, const char ***out,
                           size_t *count, size_t *err_line);

/**
 * Where a probed selector came from: the lever that found its key. A selector several levers
 * name counts for the first of this order (the list would have found it alone).
 */
enum zs_dkim_origin {
	ZS_DKIM_FROM_LIST,     /**< the selector list */
	ZS_DKIM_FROM_PROVIDER, /**< a provider the domain's records name (dkim_provider.h) */
	ZS_DKIM_FROM_LEARNED,  /**< found at another domain of such a provider (dkim_learn.h) */
	ZS_DKIM_FROM_DECLARED, /**< declared by the registrant only */
	ZS_DKIM_ORIGIN_COUNT_,
};

/** Name of an origin ("list", "provider", "learned", "declared"). @return a static string */
const char *zs_dkim_origin_name(enum zs_dkim_origin o);

/** What one probed name held. */
struct zs_dkim_selector {
	const char *selector;
	const char *name; /**< <selector>._domainkey.<domain> */
	bool declared;    /**< declared by the registrant (it may be on the list too) */
	enum zs_dkim_origin origin;
	enum zs_dns_status status;
	size_t cname_count;
	const char *const *cname;
	struct zs_dkim_key *keys; /**< DKIM key records kept (up to 16) */
	size_t key_count;
	size_t key_total;
	struct zs_txt *other; /**< TXT records that are not DKIM key records */
	size_t other_count;
	size_t other_total;
	bool wildcard_match; /**< same records as the wildcard probe: not a key of its own */
};

struct zs_dkim_result {
	const char *domain;
	const char *base_name; /**< _domainkey.<domain> */
	enum zs_dns_status base_status;
	bool subtree_absent;              /**< _domainkey is NXDOMAIN: no selector was asked */
	struct zs_dkim_selector wildcard; /**< the probe of a random label */
	bool wildcard_present;            /**< the probe found TXT records */
	struct zs_dkim_selector *sel;
	size_t sel_count;
	size_t probed;                                /**< selectors asked */
	size_t keys_found;                            /**< selectors with a key of their own */
	size_t keys_by_origin[ZS_DKIM_ORIGIN_COUNT_]; /**< the same, by the selector's origin */
	size_t declared_unprobed; /**< declared selectors over the limit, never asked */
	bool learned_asked;       /**< learned selectors were asked (no key was found before) */
	struct zs_findings findings;
	struct zs_query_log log;
};

/**
 * Most selectors probed per domain, by origin: a list longer than ZS_DKIM_MAX_LIST is refused
 * when it is read; declared selectors beyond ZS_DKIM_MAX_DECLARED are counted, not asked.
 */
enum {
	ZS_DKIM_MAX_LIST = 128,
	ZS_DKIM_MAX_DECLARED = 32,
	ZS_DKIM_MAX_PROVIDER = 64,
	ZS_DKIM_MAX_LEARNED = 32,
	ZS_DKIM_MAX_SELECTORS = ZS_DKIM_MAX_LIST + ZS_DKIM_MAX_DECLARED + ZS_DKIM_MAX_PROVIDER +
	                        ZS_DKIM_MAX_LEARNED,
};

struct zs_dkim_opts {
	const char *const *selectors; /**< the operator's list (zs_dkim_selectors_load()) */
	size_t selector_count;
	const char *const *declared; /**< the registrant's selectors, asked first */
	size_t declared_count;
	const char *wildcard_label; /**< NULL: derived from the domain name */
	bool hints; /**< more selectors may come: done only after zs_dkim_hints_done() */
};

struct zs_dkim_ctx;

/**
 * Start selector discovery.
 * @param arena   the context and its result live here (no free function)
 * @param domain  lower case, no final dot; copied
 * @param opts    copied (the selector strings are copied too); NULL probes no selector
 * @return never NULL
 */
struct zs_dkim_ctx *zs_dkim_new(struct zs_arena *arena, const char *domain,
                                const struct zs_dkim_opts *opts);

/**
 * Add selectors to a running discovery. Selectors already there keep their question (and take
 * the earlier origin); new ones are asked as soon as _domainkey.<domain> has answered, except
 * learned ones, which wait for the hints to end and are asked only when no selector asked
 * before holds a usable key. Nothing is added once the discovery is done; invalid selectors and
 * those over the origin's limit are skipped.
 * @param sel  copied
 * @param origin  ZS_DKIM_FROM_PROVIDER or ZS_DKIM_FROM_LEARNED
 * @return how many selectors were new
 */
size_t zs_dkim_add(struct zs_dkim_ctx *c, const char *const *sel, size_t n,
                   enum zs_dkim_origin origin);

/** No more zs_dkim_add() will come: the discovery may end (a no-op without opts.hints). */
void zs_dkim_hints_done(struct zs_dkim_ctx *c);

/** Advance discovery (struct zs_lookup_ops). @return NEED_LOOKUP, WAIT or DONE */
int zs_dkim_step(struct zs_dkim_ctx *c, struct zs_lookup *need, size_t max, size_t *n);

/** Answer a question. @return 0 or ZS_ERR_NOTFOUND */
int zs_dkim_answer(struct zs_dkim_ctx *c, uint32_t id, const struct zs_answer *a);

/** The result, once zs_dkim_step() returned DONE. @return owned by the arena */
const struct zs_dkim_result *zs_dkim_result(const struct zs_dkim_ctx *c);

/**
 * Whether the wildcard *._domainkey.<domain> holds exactly one DKIM record and it is revoked
 * (empty p=): what the .POST policy asks of domains that send no mail.
 */
bool zs_dkim_wildcard_revoked(const struct zs_dkim_result *r);

/**
 * The DNS status the discovery rests on (the wildcard probe aside): the failure of the
 * _domainkey lookup, else the first failure among the selectors asked, else ZS_DNS_NOERROR.
 * Selectors that were not asked because _domainkey does not exist (RFC 8020) are no failure:
 * that NXDOMAIN proves that no key exists, and the result is known (see subtree_absent).
 */
enum zs_dns_status zs_dkim_result_status(const struct zs_dkim_result *r);

/** zs_dkim_step() and zs_dkim_answer() for generic drivers. */
extern const struct zs_lookup_ops zs_dkim_lookup_ops;

/** Write a discovery result as a JSON object. */
void zs_dkim_result_json(struct zs_json *j, const struct zs_dkim_result *r);
