/* SPDX-License-Identifier: MIT */
/*
 * SPF macros (RFC 7208 section 7): checking the syntax of a macro-string or explain-string and
 * expanding it. Every letter is supported: s l o d i p h v, and c r t in explanation text only;
 * transformers (right-hand part count, reversal), any set of delimiters, upper-case letters
 * for URL escaping, and the escapes %%, %_ and %-. %{i} of an IPv6 address is its 32 nibbles
 * dot-separated, as in the RFC's example.
 *
 * Expansion is pure: the values come from an environment the evaluator fills. A value that
 * needs DNS (%{p}) or that is unknown (the analysis without a client has no %{i}) is left
 * NULL, and the expansion says which letter was missing, so the evaluator can look it up (or
 * note that the term cannot be evaluated statically) and expand again.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/buf.h"
#include "scanner/policy/spf.h"

/** Flags for checking and expanding. */
enum {
	ZS_SPF_MACRO_EXP = 1 << 0,     /**< explanation text: c, r, t allowed, and spaces */
	ZS_SPF_MACRO_UNKNOWN = 1 << 1, /**< unknown modifier value: every letter accepted */
};

/** Values of the macro letters; NULL where unknown. */
struct zs_spf_macro_env {
	const char *sender;         /**< s: <sender> (local-part@domain) */
	const char *local;          /**< l: local-part of <sender> */
	const char *sender_domain;  /**< o: domain of <sender> */
	const char *domain;         /**< d: the current <domain> */
	const struct zs_spf_ip *ip; /**< i, c, v: the client address */
	const char *ptr;            /**< p: validated name of the client, or "unknown" */
	const char *helo;           /**< h: HELO/EHLO name */
	const char *receiver;       /**< r: receiving host's name */
	const char *now;            /**< t: current time, decimal seconds since the epoch */
};

/**
 * Check a macro-string (domain-spec, modifier value) or, with ZS_SPF_MACRO_EXP, an
 * explain-string.
 * @param[out] err  on ZS_ERR_PARSE, position (relative to @p s) and reason; may be NULL
 * @return 0 or ZS_ERR_PARSE
 */
int zs_spf_macro_check(const char *s, size_t len, unsigned flags, struct zs_spf_syntax *err);

/**
 * Whether a macro-string expands @p letter (lower case), e.g. 'p', so that the caller can
 * prepare its value before expanding.
 */
bool zs_spf_macro_uses(const char *s, size_t len, char letter);

/**
 * Expand a macro-string onto @p out (appended; nothing is appended on failure).
 * @param[out] missing  on ZS_ERR_NOTFOUND, the letter whose value is NULL in @p env; may be NULL
 * @return 0, ZS_ERR_PARSE (syntax, see zs_spf_macro_check()), ZS_ERR_NOTFOUND (a value is
 *         missing), or ZS_ERR_TOOBIG (@p out is full)
 */
int zs_spf_macro_expand(const struct zs_spf_macro_env *env, const char *s, size_t len,
                        unsigned flags, struct zs_buf *out, char *missing);

/**
 * The reverse-lookup name of an address: "4.3.2.1.in-addr.arpa" or the 32 nibbles of IPv6
 * followed by ".ip6.arpa", lower case.
 * @param out  at least 74 bytes
 */
void zs_spf_reverse_name(const struct zs_spf_ip *ip, char *out, size_t size);
