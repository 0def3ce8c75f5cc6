/* SPDX-License-Identifier: MIT */
/*
 * DKIM key records and selector discovery. The key data is decoded by a strict base64 reader
 * of our own (bounded, whitespace-tolerant as RFC 6376's FWS requires) and then handed to
 * OpenSSL 3, which is asked for a SubjectPublicKeyInfo first and a PKCS#1 RSAPublicKey second,
 * with a check that the DER is consumed exactly. Decisions that differ from one of the public
 * test suites are marked "Choice:" and listed in docs/records.md.
 */
#include "scanner/policy/dkim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/record_int.h"

/* An 8192-bit RSA SubjectPublicKeyInfo is about 1.1 KiB; anything beyond 4 KiB is not a key. */
enum { KEY_MAX_BYTES = 4096 };

const char *zs_dkim_key_type_name(enum zs_dkim_key_type t)
{
	switch (t) {
	case ZS_DKIM_KEY_NONE:
		return "none";
	case ZS_DKIM_KEY_RSA:
		return "rsa";
	case ZS_DKIM_KEY_ED25519:
		return "ed25519";
	case ZS_DKIM_KEY_OTHER:
		return "other";
	}
	return "invalid";
}

const char *zs_dkim_encoding_name(enum zs_dkim_encoding e)
{
	switch (e) {
	case ZS_DKIM_ENC_ABSENT:
		return "absent";
	case ZS_DKIM_ENC_EMPTY:
		return "empty";
	case ZS_DKIM_ENC_SPKI:
		return "spki";
	case ZS_DKIM_ENC_PKCS1:
		return "pkcs1";
	case ZS_DKIM_ENC_RAW:
		return "raw";
	case ZS_DKIM_ENC_UNDECODABLE:
		return "undecodable";
	}
	return "invalid";
}

const char *zs_dkim_status_name(enum zs_dkim_status s)
{
	switch (s) {
	case ZS_DKIM_VALID:
		return "valid";
	case ZS_DKIM_REVOKED:
		return "revoked";
	case ZS_DKIM_INVALID:
		return "invalid";
	}
	return "invalid";
}

/* ---- key records ---- */

struct parse {
	struct zs_arena *a;
	struct zs_dkim_key *k;
};

#define ADD(ps, code, ...) zs_findings_add((ps)->a, &(ps)->k->findings, (code), __VA_ARGS__)

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return -1;
}

/*
 * Strict base64 (RFC 4648 alphabet, padding required, "=" only at the end) with whitespace
 * skipped anywhere (RFC 6376 allows FWS inside p=).
 * @return 0, ZS_ERR_PARSE (*bad = offset of the culprit) or ZS_ERR_TOOBIG
 */
static int b64_decode(const char *s, size_t n, unsigned char *out, size_t max, size_t *outlen,
                      size_t *bad)
{
	uint32_t acc = 0;
	size_t chars = 0;
	size_t pad = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (zs__is_wsp(c) || c == '\r' || c == '\n') {
			continue;
		}
		if (c == '=') {
			if (pad == 2 || chars % 4 < 2) {
				*bad = i;
				return ZS_ERR_PARSE;
			}
			pad++;
			chars++;
			acc <<= 6;
			continue;
		}
		int v = b64_value(c);
		if (v < 0 || pad > 0) {
			*bad = i;
			return ZS_ERR_PARSE;
		}
		acc = (acc << 6) | (uint32_t)v;
		chars++;
		if (chars % 4 == 0) {
			if (o + 3 > max) {
				return ZS_ERR_TOOBIG;
			}
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (pad > 0) {
		if (chars % 4 != 0) {
			*bad = n;
			return ZS_ERR_PARSE;
		}
		if (o + 3 - pad > max) {
			return ZS_ERR_TOOBIG;
		}
		out[o++] = (unsigned char)(acc >> 16);
		if (pad == 1) {
			out[o++] = (unsigned char)(acc >> 8);
		}
	} else if (chars % 4 != 0) {
		*bad = n;
		return ZS_ERR_PARSE;
	}
	*outlen = o;
	return 0;
}

/* Decode DER with OpenSSL: SPKI first, then PKCS#1 RSA; the whole input must be consumed. */
static EVP_PKEY *decode_der(const unsigned char *der, size_t len, bool *pkcs1)
{
	const unsigned char *p = der;
	*pkcs1 = false;
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey != NULL && p == der + len) {
		return pkey;
	}
	EVP_PKEY_free(pkey);
	p = der;
	pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (pkey != NULL && p == der + len) {
		*pkcs1 = true;
		return pkey;
	}
	EVP_PKEY_free(pkey);
	ERR_clear_error(); /* failed attempts leave errors behind; nobody else should see them */
	return NULL;
}

/* A positive ASN.1 INTEGER as a BIGNUM; NULL when it is not one. */
static BIGNUM *positive_integer(const ASN1_TYPE *t)
{
	if (t->type != V_ASN1_INTEGER) {
		return NULL; /* V_ASN1_NEG_INTEGER included: RSA's numbers are positive */
	}
	BIGNUM *n = ASN1_INTEGER_to_BN(t->value.integer, NULL);
	if (n != NULL && BN_is_zero(n)) {
		BN_free(n);
		return NULL;
	}
	return n;
}

/*
 * Why a modulus and a public exponent cannot be an RSA public key, or NULL when they can: the
 * modulus is a product of two odd primes, so odd; the exponent is a unit modulo the (even)
 * totient, so odd, and it is at least 3 and below the modulus. This is the sanity part of
 * OpenSSL's EVP_PKEY_public_check(), without its demand of an exponent above 2^16, which RFC
 * 8301 does not make (keys with e = 3 verify everywhere).
 */
static const char *rsa_numbers_check(const BIGNUM *n, const BIGNUM *e)
{
	if (!BN_is_odd(n)) {
		return "its modulus is even";
	}
	if (!BN_is_odd(e)) {
		return "its public exponent is even";
	}
	if (BN_is_one(e)) {
		return "its public exponent is 1";
	}
	if (BN_cmp(e, n) >= 0) {
		return "its public exponent is not below the modulus";
	}
	return NULL;
}

/*
 * An RSAPublicKey (PKCS#1): SEQUENCE { INTEGER modulus, INTEGER publicExponent }.
 * @param[out] bad  why the numbers cannot be a key (NULL when they can)
 * @return the modulus bits, 0 when it is not an RSAPublicKey
 */
static unsigned pkcs1_bits(const unsigned char *der, size_t len, const char **bad)
{
	const unsigned char *p = der;
	STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	BIGNUM *n = NULL;
	BIGNUM *e = NULL;
	unsigned bits = 0;

	if (seq != NULL && p == der + len && sk_ASN1_TYPE_num(seq) == 2) {
		n = positive_integer(sk_ASN1_TYPE_value(seq, 0));
		e = positive_integer(sk_ASN1_TYPE_value(seq, 1));
	}
	if (n != NULL && e != NULL) {
		bits = (unsigned)BN_num_bits(n);
		*bad = rsa_numbers_check(n, e);
	}
	BN_free(n);
	BN_free(e);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return bits;
}

/*
 * The modulus size of a plain RSA key, SubjectPublicKeyInfo (rsaEncryption) or PKCS#1, read with
 * OpenSSL's ASN.1 primitives. OpenSSL 3's key decoders (d2i_PUBKEY) cost about a hundred
 * microseconds a key, a seventh of a whole sweep's CPU; this costs a few. Anything else (other
 * algorithms, parameters, trailing bytes) returns 0 and goes to the full decoder.
 */
static unsigned rsa_bits_fast(const unsigned char *der, size_t len, bool *pkcs1, const char **bad)
{
	const unsigned char *p = der;
	STACK_OF(ASN1_TYPE) *spki = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	unsigned bits = 0;

	*pkcs1 = false;
	if (spki == NULL || p != der + len || sk_ASN1_TYPE_num(spki) != 2) {
		goto out;
	}
	const ASN1_TYPE *alg = sk_ASN1_TYPE_value(spki, 0);
	const ASN1_TYPE *key = sk_ASN1_TYPE_value(spki, 1);
	if (alg->type == V_ASN1_INTEGER && key->type == V_ASN1_INTEGER) {
		*pkcs1 = true;
		bits = pkcs1_bits(der, len, bad);
		goto out;
	}
	if (alg->type != V_ASN1_SEQUENCE || key->type != V_ASN1_BIT_STRING ||
	    (key->value.bit_string->flags & 0x07) != 0) {
		goto out;
	}
	const unsigned char *a = alg->value.sequence->data;
	long alen = alg->value.sequence->length;
	STACK_OF(ASN1_TYPE) *ai = d2i_ASN1_SEQUENCE_ANY(NULL, &a, alen);
	if (ai != NULL && a == alg->value.sequence->data + alen && sk_ASN1_TYPE_num(ai) >= 1 &&
	    sk_ASN1_TYPE_value(ai, 0)->type == V_ASN1_OBJECT &&
	    OBJ_obj2nid(sk_ASN1_TYPE_value(ai, 0)->value.object) == NID_rsaEncryption &&
	    (sk_ASN1_TYPE_num(ai) == 1 ||
	     (sk_ASN1_TYPE_num(ai) == 2 && sk_ASN1_TYPE_value(ai, 1)->type == V_ASN1_NULL))) {
		bits = pkcs1_bits(key->value.bit_string->data,
		                  (size_t)key->value.bit_string->length, bad);
	}
	sk_ASN1_TYPE_pop_free(ai, ASN1_TYPE_free);
out:
	sk_ASN1_TYPE_pop_free(spki, ASN1_TYPE_free);
	ERR_clear_error();
	return bits;
}

enum declared_k {
	K_RSA,
	K_ED25519,
	K_UNKNOWN,
};

/* The numbers of an RSA key from OpenSSL's decoder; NULL when they can be a key. */
static const char *rsa_pkey_check(const EVP_PKEY *pk)
{
	BIGNUM *n = NULL;
	BIGNUM *e = NULL;
	const char *bad = "its numbers cannot be read";
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
		bad = rsa_numbers_check(n, e);
	}
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return bad;
}

/* An RSA key's size findings, or the reason it is no RSA key at all. */
static void check_rsa_key(struct parse *ps, const char *bad)
{
	unsigned bits = ps->k->bits;
	if (bad != NULL) {
		ADD(ps, ZS_FIND_DKIM_RSA_INVALID, "p= is not a usable RSA key: %s", bad);
		return;
	}
	/*
	 * Choice: below 1024 bits the key is invalid: RFC 8301 3.2 forbids signers such keys and
	 * common verifiers (dkimpy's default minimum) refuse them. dkimpy-key-014 counts its
	 * 512-bit key as valid only with the minimum lowered.
	 */
	if (bits < 1024) {
		ADD(ps, ZS_FIND_DKIM_RSA_WEAK,
		    "RSA key of %u bits: RFC 8301 requires at least 1024 and verifiers reject less",
		    bits);
	} else if (bits < 2048) {
		ADD(ps, ZS_FIND_DKIM_RSA_SHORT,
		    "RSA key of %u bits: RFC 8301 recommends at least 2048", bits);
	} else if (bits > 4096) {
		ADD(ps, ZS_FIND_DKIM_RSA_HUGE,
		    "RSA key of %u bits: verifiers need only support up to 4096", bits);
	}
}

static void decode_key(struct parse *ps, const char *p, size_t plen, enum declared_k kd)
{
	struct zs_dkim_key *k = ps->k;
	unsigned char *der = zs_arena_alloc(ps->a, KEY_MAX_BYTES);
	size_t len = 0;
	size_t bad = 0;

	k->encoding = ZS_DKIM_ENC_UNDECODABLE;
	int ret = b64_decode(p, plen, der, KEY_MAX_BYTES, &len, &bad);
	if (ret == ZS_ERR_TOOBIG) {
		ADD(ps, ZS_FIND_DKIM_KEY_TOO_BIG, "p= holds more than %d bytes: not a public key",
		    KEY_MAX_BYTES);
		return;
	}
	if (ret != 0) {
		if (bad < plen) {
			ADD(ps, ZS_FIND_DKIM_KEY_BASE64, "p= is not valid base64: %s at offset %zu",
			    zs__quote(ps->a, p + bad, 1), bad);
		} else {
			ADD(ps, ZS_FIND_DKIM_KEY_BASE64,
			    "p= is not valid base64: its length is not a multiple of 4 (truncated?)");
		}
		return;
	}
	if (kd == K_ED25519) {
		if (len == 32) {
			EVP_PKEY *pk =
			        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, len);
			if (pk == NULL) {
				ERR_clear_error();
				ADD(ps, ZS_FIND_DKIM_KEY_DER, "p= is not a usable Ed25519 key");
				return;
			}
			EVP_PKEY_free(pk);
			k->type = ZS_DKIM_KEY_ED25519;
			k->encoding = ZS_DKIM_ENC_RAW;
			k->bits = 256;
			return;
		}
		bool pkcs1 = false;
		EVP_PKEY *pk = decode_der(der, len, &pkcs1);
		if (pk != NULL && EVP_PKEY_is_a(pk, "ED25519")) {
			k->type = ZS_DKIM_KEY_ED25519;
			k->encoding = ZS_DKIM_ENC_SPKI;
			k->bits = 256;
			ADD(ps, ZS_FIND_DKIM_KEY_ED25519_LENGTH,
			    "k=ed25519 with a SubjectPublicKeyInfo: RFC 8463 requires the raw 32-byte key");
		} else {
			ADD(ps, ZS_FIND_DKIM_KEY_ED25519_LENGTH,
			    "k=ed25519 but p= holds %zu bytes: an Ed25519 key is 32 bytes", len);
		}
		EVP_PKEY_free(pk);
		return;
	}

	bool pkcs1 = false;
	const char *unusable = NULL;
	unsigned fast = rsa_bits_fast(der, len, &pkcs1, &unusable);
	if (fast > 0) {
		k->encoding = pkcs1 ? ZS_DKIM_ENC_PKCS1 : ZS_DKIM_ENC_SPKI;
		k->type = ZS_DKIM_KEY_RSA;
		k->bits = fast;
		check_rsa_key(ps, unusable);
		return;
	}
	EVP_PKEY *pk = decode_der(der, len, &pkcs1);
	if (pk == NULL) {
		ADD(ps, ZS_FIND_DKIM_KEY_DER,
		    "p= (%zu bytes) is neither a SubjectPublicKeyInfo nor a PKCS#1 RSA public key",
		    len);
		return;
	}
	k->encoding = pkcs1 ? ZS_DKIM_ENC_PKCS1 : ZS_DKIM_ENC_SPKI;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		k->type = ZS_DKIM_KEY_RSA;
		k->bits = (unsigned)EVP_PKEY_get_bits(pk);
		unusable = rsa_pkey_check(pk);
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		k->type = ZS_DKIM_KEY_ED25519;
		k->bits = 256;
	} else {
		k->type = ZS_DKIM_KEY_OTHER;
		k->bits = (unsigned)EVP_PKEY_get_bits(pk);
	}
	EVP_PKEY_free(pk);
	if (kd == K_RSA && k->type != ZS_DKIM_KEY_RSA) {
		ADD(ps, ZS_FIND_DKIM_KEY_TYPE_MISMATCH, "k=rsa (or no k=) but p= holds a %s key",
		    zs_dkim_key_type_name(k->type));
	} else if (k->type == ZS_DKIM_KEY_RSA) {
		check_rsa_key(ps, unusable);
	}
}

/* Split a colon-separated list into its items as published, whitespace around them dropped. */
static const char **split_list(struct parse *ps, const struct zs__tag *t, size_t *count)
{
	struct zs__split it;
	const char *s = NULL;
	size_t n = 0;
	size_t items = 0;
	const char **list =
	        zs_arena_calloc(ps->a, zs__split_count(t->value, t->value_len, ':'), sizeof(*list));
	zs__split_init(&it, t->value, t->value_len, ':');
	while (zs__split_next(&it, &s, &n)) {
		if (n > 0) {
			list[items++] = zs_arena_strndup(ps->a, s, n);
		}
	}
	*count = items;
	return list;
}

static void check_hashes(struct parse *ps)
{
	struct zs_dkim_key *k = ps->k;
	bool known = false;
	for (size_t i = 0; i < k->h_count; i++) {
		size_t l = strlen(k->h[i]);
		if (zs__eq_nocase(k->h[i], l, "sha256")) {
			known = true;
		} else if (zs__eq_nocase(k->h[i], l, "sha1")) {
			known = true;
			ADD(ps, ZS_FIND_DKIM_H_SHA1,
			    "h= allows sha1, which RFC 8301 forbids signers to use");
		} else {
			ADD(ps, ZS_FIND_DKIM_H_UNKNOWN, "h= names the unknown hash %s (ignored)",
			    zs__quote(ps->a, k->h[i], l));
		}
	}
	if (!known) {
		ADD(ps, ZS_FIND_DKIM_H_NO_KNOWN,
		    "h= names no known hash algorithm (sha256): no signature can use the key");
	}
}

enum dkim_tag {
	DT_V,
	DT_H,
	DT_K,
	DT_N,
	DT_P,
	DT_S,
	DT_T,
	DT_COUNT_,
	DT_UNKNOWN = DT_COUNT_,
};

static const char *const dkim_tag_names[DT_COUNT_] = { "v", "h", "k", "n", "p", "s", "t" };

static enum dkim_tag dkim_tag_lookup(const char *s, size_t n)
{
	/* tag names are case-sensitive in RFC 6376 (mox-dkim-key-010: "V=" is an unknown tag) */
	for (int i = 0; i < DT_COUNT_; i++) {
		if (zs__eq(s, n, dkim_tag_names[i])) {
			return (enum dkim_tag)i;
		}
	}
	return DT_UNKNOWN;
}

void zs_dkim_key_parse(struct zs_arena *arena, const char *text, size_t len,
                       struct zs_dkim_key *out)
{
	struct parse ps = { .a = arena, .k = out };
	struct zs_dkim_key *k = out;
	const struct zs__tag *tags[DT_COUNT_] = { NULL };

	memset(k, 0, sizeof(*k));
	k->text = zs_arena_strndup(arena, text, len);
	k->len = len;
	k->email = true;
	text = k->text;

	struct zs__taglist tl;
	zs__taglist_parse(arena, text, len, ZS__TAGS_FWS, &tl);
	if (tl.count == 0) {
		ADD(&ps, ZS_FIND_DKIM_SYNTAX, "the record is empty");
	}
	if (tl.too_many) {
		ADD(&ps, ZS_FIND_DKIM_SYNTAX, "more than %d tags; the rest was not read",
		    ZS__TAGS_MAX);
	}
	if (tl.trailing_space) {
		/*
		 * Choice: whitespace after the final ";" is tolerated with a warning: the strict
		 * ABNF forbids it (mox-dkim-key-004) but verifiers accept it.
		 */
		ADD(&ps, ZS_FIND_DKIM_TRAILING_SPACE,
		    "whitespace after the final \";\" (strict RFC 6376 parsers reject the record)");
	}
	for (size_t i = 0; i < tl.count; i++) {
		const struct zs__tag *t = &tl.tag[i];
		switch (t->err) {
		case ZS__TAG_OK:
			break;
		case ZS__TAG_EMPTY:
			ADD(&ps, ZS_FIND_DKIM_SYNTAX,
			    "empty element between two \";\" at offset %zu", t->pos);
			continue;
		case ZS__TAG_NO_EQUALS:
		case ZS__TAG_BAD_NAME:
			ADD(&ps, ZS_FIND_DKIM_SYNTAX, "%s at offset %zu is not tag=value",
			    zs__quote(arena, t->name, t->name_len), t->pos);
			continue;
		case ZS__TAG_BAD_VALUE:
			ADD(&ps, ZS_FIND_DKIM_SYNTAX,
			    "byte %s at offset %zu is not allowed in a tag value",
			    zs__quote(arena, text + t->err_pos, 1), t->err_pos);
			continue;
		}
		enum dkim_tag id = dkim_tag_lookup(t->name, t->name_len);
		if (id == DT_UNKNOWN) {
			ADD(&ps, ZS_FIND_DKIM_TAG_UNKNOWN, "unknown tag %s is ignored",
			    zs__quote(arena, t->name, t->name_len));
			continue;
		}
		if (tags[id] != NULL) {
			ADD(&ps, ZS_FIND_DKIM_TAG_DUPLICATE, "the %s tag appears more than once",
			    dkim_tag_names[id]);
			continue;
		}
		tags[id] = t;
		if (id == DT_V && i != 0) {
			ADD(&ps, ZS_FIND_DKIM_V_NOT_FIRST, "v= must be the first tag when present");
		}
	}

	if (tags[DT_V] != NULL && !zs__eq(tags[DT_V]->value, tags[DT_V]->value_len, "DKIM1")) {
		ADD(&ps, ZS_FIND_DKIM_V_INVALID, "v=%s: the version must be exactly DKIM1",
		    zs__quote(arena, tags[DT_V]->value, tags[DT_V]->value_len));
	}
	enum declared_k kd = K_RSA;
	if (tags[DT_K] != NULL) {
		const struct zs__tag *t = tags[DT_K];
		k->k = zs_arena_strndup(arena, t->value, t->value_len);
		if (zs__eq_nocase(t->value, t->value_len, "rsa")) {
			kd = K_RSA;
		} else if (zs__eq_nocase(t->value, t->value_len, "ed25519")) {
			kd = K_ED25519;
		} else {
			kd = K_UNKNOWN;
			ADD(&ps, ZS_FIND_DKIM_K_UNKNOWN, "k=%s: unknown key type (rsa or ed25519)",
			    zs__quote(arena, t->value, t->value_len));
		}
	}
	if (tags[DT_H] != NULL) {
		k->h = split_list(&ps, tags[DT_H], &k->h_count);
		check_hashes(&ps);
	}
	if (tags[DT_S] != NULL) {
		k->s = split_list(&ps, tags[DT_S], &k->s_count);
		k->email = false;
		for (size_t i = 0; i < k->s_count; i++) {
			size_t l = strlen(k->s[i]);
			if (zs__eq(k->s[i], l, "*") || zs__eq_nocase(k->s[i], l, "email")) {
				k->email = true;
			}
		}
		if (!k->email) {
			ADD(&ps, ZS_FIND_DKIM_S_NOT_EMAIL,
			    "s= does not include email or *: the key cannot sign e-mail");
		}
	}
	if (tags[DT_T] != NULL) {
		k->t = split_list(&ps, tags[DT_T], &k->t_count);
		for (size_t i = 0; i < k->t_count; i++) {
			k->testing = k->testing || strcmp(k->t[i], "y") == 0;
			k->strict = k->strict || strcmp(k->t[i], "s") == 0;
		}
		if (k->testing) {
			ADD(&ps, ZS_FIND_DKIM_TESTING,
			    "t=y: the domain is testing DKIM; verifiers may treat signatures as unsigned");
		}
	}
	if (tags[DT_N] != NULL) {
		k->n = zs_arena_strndup(arena, tags[DT_N]->value, tags[DT_N]->value_len);
		k->n_len = tags[DT_N]->value_len;
	}
	if (tags[DT_P] == NULL) {
		if (tl.count > 0) {
			ADD(&ps, ZS_FIND_DKIM_P_MISSING, "no p= tag: the record holds no key");
		}
		k->encoding = ZS_DKIM_ENC_ABSENT;
	} else if (tags[DT_P]->value_len == 0) {
		k->encoding = ZS_DKIM_ENC_EMPTY;
		ADD(&ps, ZS_FIND_DKIM_REVOKED, "p= is empty: the key is revoked");
	} else {
		decode_key(&ps, tags[DT_P]->value, tags[DT_P]->value_len, kd);
	}

	if (zs_findings_count(&k->findings, ZS_SEV_ERROR) > 0) {
		k->status = ZS_DKIM_INVALID;
	} else if (k->encoding == ZS_DKIM_ENC_EMPTY) {
		k->status = ZS_DKIM_REVOKED;
	} else {
		k->status = ZS_DKIM_VALID;
	}
}

void zs_dkim_key_json(struct zs_json *j, const struct zs_dkim_key *k)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "text", k->text, k->len);
	zs_json_kstr(j, "status", zs_dkim_status_name(k->status));
	zs_json_kstr(j, "type", zs_dkim_key_type_name(k->type));
	zs_json_kstr(j, "encoding", zs_dkim_encoding_name(k->encoding));
	zs_json_kint(j, "bits", k->bits);
	if (k->k != NULL) {
		zs_json_kdata(j, "k", k->k, strlen(k->k));
	}
	zs__names_json(j, "h", k->h, k->h_count, true);
	zs__names_json(j, "s", k->s, k->s_count, true);
	zs__names_json(j, "t", k->t, k->t_count, true);
	zs_json_kbool(j, "testing", k->testing);
	zs_json_kbool(j, "strict", k->strict);
	zs_json_kbool(j, "email", k->email);
	if (k->n != NULL) {
		zs_json_kdata(j, "n", k->n, k->n_len);
	}
	zs_json_key(j, "findings");
	zs_findings_json(j, &k->findings);
	zs_json_obj_end(j);
}

/* ---- selector lists ---- */

bool zs_dkim_selector_valid(const char *s, size_t n)
{
	if (n == 0 || n > 200) {
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '-' || c == '_';
		if (!ok || ++label > 63) {
			return false;
		}
	}
	return label > 0;
}

/* Append a selector unless it is already there. @return 0, or ZS_ERR_TOOBIG when @p max are */
static int list_add(struct zs_arena *a, const char ***list, size_t *count, size_t *cap, size_t max,
                    const char *s, size_t n)
{
	char *low = zs__lower(a, s, n);
	for (size_t i = 0; i < *count; i++) {
		if (strcmp((*list)[i], low) == 0) {
			return 0;
		}
	}
	if (*count == max) {
		return ZS_ERR_TOOBIG;
	}
	if (*count == *cap) {
		size_t ncap = *cap == 0 ? 32 : *cap * 2;
		const char **nl = zs_arena_calloc(a, ncap, sizeof(*nl));
		if (*count > 0) {
			memcpy(nl, *list, *count * sizeof(*nl));
		}
		*list = nl;
		*cap = ncap;
	}
	(*list)[(*count)++] = low;
	return 0;
}

int zs_dkim_selectors_parse(struct zs_arena *arena, const char *text, size_t len, const char ***out,
                            size_t *count, size_t *err_line)
{
	const char **list = NULL;
	size_t n = 0;
	size_t cap = 0;
	size_t pos = 0;
	size_t line = 0;
	size_t b;
	size_t e;

	while (zs__config_line(text, len, &pos, &line, &b, &e)) {
		if (b == e) {
			continue;
		}
		int ret = zs_dkim_selector_valid(text + b, e - b) ? 0 : ZS_ERR_PARSE;
		if (ret == 0) {
			ret = list_add(arena, &list, &n, &cap, ZS_DKIM_MAX_LIST, text + b, e - b);
		}
		if (ret != 0) {
			*err_line = line;
			return ret;
		}
	}
	*out = list;
	*count = n;
	return 0;
}

enum { SELECTOR_FILE_MAX = 64 * 1024 };

int zs_dkim_selectors_load(struct zs_arena *arena, const char *path, const char ***out,
                           size_t *count, size_t *err_line)
{
	char *text = NULL;
	size_t len = 0;
	*err_line = 0;
	int ret = zs__read_file(arena, path, SELECTOR_FILE_MAX, &text, &len);
	if (ret != 0) {
		return ret;
	}
	return zs_dkim_selectors_parse(arena, text, len, out, count, err_line);
}

/* ---- discovery ---- */

enum purpose {
	Q_BASE,
	Q_WILD,
	Q_SEL,
};

/* What became of a selector's question. */
enum sel_state {
	SEL_PENDING, /* waiting for _domainkey (or, learned, for the fallback) */
	SEL_QUEUED,  /* in the query log */
	SEL_SKIPPED, /* never asked: nothing below _domainkey, or its lookup failed */
};

static const char *const origin_names[ZS_DKIM_ORIGIN_COUNT_] = {
	[ZS_DKIM_FROM_LIST] = "list",
	[ZS_DKIM_FROM_PROVIDER] = "provider",
	[ZS_DKIM_FROM_LEARNED] = "learned",
	[ZS_DKIM_FROM_DECLARED] = "declared",
};

static const size_t origin_limits[ZS_DKIM_ORIGIN_COUNT_] = {
	[ZS_DKIM_FROM_LIST] = ZS_DKIM_MAX_LIST,
	[ZS_DKIM_FROM_PROVIDER] = ZS_DKIM_MAX_PROVIDER,
	[ZS_DKIM_FROM_LEARNED] = ZS_DKIM_MAX_LEARNED,
	[ZS_DKIM_FROM_DECLARED] = ZS_DKIM_MAX_DECLARED,
};

struct zs_dkim_ctx {
	struct zs_arena *a;
	struct zs_dkim_result r;
	uint8_t *state; /* enum sel_state of each r.sel[] */
	size_t cap;     /* of r.sel and state */
	size_t per_origin[ZS_DKIM_ORIGIN_COUNT_];
	bool base_answered;
	bool hints_open;
	bool finished;
};

const char *zs_dkim_origin_name(enum zs_dkim_origin o)
{
	return o < ZS_DKIM_ORIGIN_COUNT_ ? origin_names[o] : "?";
}

/* FNV-1a: a label derived from the domain, stable across runs, that nobody publishes. */
static const char *wildcard_label(struct zs_arena *a, const char *domain)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *p = domain; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	return zs_arena_printf(a, "zs-wildcard-probe-%016llx", (unsigned long long)h);
}

static void selector_init(struct zs_dkim_ctx *c, struct zs_dkim_selector *s, const char *sel,
                          bool declared)
{
	s->selector = sel;
	s->declared = declared;
	s->status = ZS_DNS_NOT_ASKED;
	const char *parts[] = { sel, "_domainkey", c->r.domain };
	size_t len = 0;
	s->name = zs__dname_concat(c->a, parts, 3, &len);
	if (!zs__dname_valid(s->name, len)) {
		s->status = ZS_DNS_BADNAME;
	}
}

/* Whether _domainkey.<domain> answered and something may exist below it. */
static bool subtree_open(const struct zs_dkim_result *r)
{
	return zs_dns_status_is_answer(r->base_status) && !r->subtree_absent;
}

/*
 * Ask a pending selector once _domainkey has answered. After a failure (timeout, SERVFAIL)
 * only the selectors the registrant declared are asked: a failed lookup of _domainkey says
 * nothing about keys, but the domain's servers are failing, and asking them for the whole
 * common list would only multiply the failures (the result stays unknown). Learned selectors
 * wait for ask_learned().
 */
static void queue_selector(struct zs_dkim_ctx *c, size_t i)
{
	struct zs_dkim_result *r = &c->r;
	struct zs_dkim_selector *s = &r->sel[i];

	if (!c->base_answered || c->state[i] != SEL_PENDING || s->origin == ZS_DKIM_FROM_LEARNED) {
		return;
	}
	if (r->subtree_absent || s->status == ZS_DNS_BADNAME) {
		c->state[i] = SEL_SKIPPED;
	} else if (!zs_dns_status_is_answer(r->base_status) && !s->declared) {
		s->status = r->base_status;
		c->state[i] = SEL_SKIPPED;
	} else {
		(void)zs__query_log_add(c->a, &r->log, ZS_RR_TXT, s->name, Q_SEL, i);
		c->state[i] = SEL_QUEUED;
	}
}

/* Room for one more selector. */
static void grow(struct zs_dkim_ctx *c)
{
	struct zs_dkim_result *r = &c->r;
	if (r->sel_count < c->cap) {
		return;
	}
	size_t cap = c->cap == 0 ? 64 : c->cap * 2;
	struct zs_dkim_selector *sel = zs_arena_calloc(c->a, cap, sizeof(*sel));
	uint8_t *state = zs_arena_calloc(c->a, cap, sizeof(*state));
	if (r->sel_count > 0) {
		memcpy(sel, r->sel, r->sel_count * sizeof(*sel));
		memcpy(state, c->state, r->sel_count * sizeof(*state));
	}
	r->sel = sel;
	c->state = state;
	c->cap = cap;
}

/*
 * Add one selector, looking for a duplicate among the first @p scan (the list is unique by
 * construction, so its own entries need not be compared with each other). A duplicate takes the
 * earlier origin and, learned no more, is asked now.
 * @return true when the selector is new
 */
static bool add_selector(struct zs_dkim_ctx *c, const char *s, size_t n, enum zs_dkim_origin origin,
                         size_t scan)
{
	struct zs_dkim_result *r = &c->r;

	if (!zs_dkim_selector_valid(s, n)) {
		zs_findings_add(c->a, &r->findings, ZS_FIND_DKIM_SELECTOR_INVALID,
		                "selector %s is not a valid DNS label sequence; not probed",
		                zs__quote(c->a, s, n));
		return false;
	}
	for (size_t i = 0; i < scan; i++) {
		struct zs_dkim_selector *old = &r->sel[i];
		if (strlen(old->selector) == n && zs__eq_nocase(s, n, old->selector)) {
			old->declared = old->declared || origin == ZS_DKIM_FROM_DECLARED;
			if (origin < old->origin) {
				old->origin = origin;
				queue_selector(c, i);
			}
			return false;
		}
	}
	if (c->per_origin[origin] == origin_limits[origin]) {
		r->declared_unprobed += origin == ZS_DKIM_FROM_DECLARED;
		return false;
	}
	grow(c);
	size_t i = r->sel_count++;
	selector_init(c, &r->sel[i], zs__lower(c->a, s, n), origin == ZS_DKIM_FROM_DECLARED);
	r->sel[i].origin = origin;
	c->per_origin[origin]++;
	queue_selector(c, i);
	return true;
}

struct zs_dkim_ctx *zs_dkim_new(struct zs_arena *arena, const char *domain,
                                const struct zs_dkim_opts *opts)
{
	ZS_REQUIRE(arena != NULL && domain != NULL);
	struct zs_dkim_ctx *c = zs_arena_calloc(arena, 1, sizeof(*c));
	struct zs_dkim_result *r = &c->r;
	c->a = arena;
	size_t len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.') {
		len--;
	}
	r->domain = zs__lower(arena, domain, len);
	c->hints_open = opts != NULL && opts->hints;

	/* the declared selectors first (within their own limit), then the whole list */
	for (size_t i = 0; opts != NULL && i < opts->declared_count; i++) {
		const char *s = opts->declared[i];
		(void)add_selector(c, s, strlen(s), ZS_DKIM_FROM_DECLARED, r->sel_count);
	}
	size_t declared = r->sel_count;
	for (size_t i = 0; opts != NULL && i < opts->selector_count; i++) {
		const char *s = opts->selectors[i];
		(void)add_selector(c, s, strlen(s), ZS_DKIM_FROM_LIST, declared);
	}
	if (r->declared_unprobed > 0) {
		zs_findings_add(arena, &r->findings, ZS_FIND_DKIM_SELECTOR_LIMIT,
		                "%zu declared selectors were not probed (limit %d per domain)",
		                r->declared_unprobed, ZS_DKIM_MAX_DECLARED);
	}
	grow(c); /* a result always has a selector array */
	const char *label =
	        opts != NULL && opts->wildcard_label != NULL
	                ? zs__lower(arena, opts->wildcard_label, strlen(opts->wildcard_label))
	                : wildcard_label(arena, r->domain);
	selector_init(c, &r->wildcard, label, false);

	r->base_status = ZS_DNS_NOT_ASKED;
	r->base_name = zs__dname_join(arena, "_domainkey", r->domain);
	if (r->base_name == NULL) {
		r->base_name = zs_arena_printf(arena, "_domainkey.%s", r->domain);
		r->base_status = ZS_DNS_BADNAME;
	} else {
		(void)zs__query_log_add(arena, &r->log, ZS_RR_TXT, r->base_name, Q_BASE, 0);
	}
	return c;
}

size_t zs_dkim_add(struct zs_dkim_ctx *c, const char *const *sel, size_t n,
                   enum zs_dkim_origin origin)
{
	ZS_REQUIRE(origin == ZS_DKIM_FROM_PROVIDER || origin == ZS_DKIM_FROM_LEARNED);
	size_t added = 0;
	for (size_t i = 0; i < n && !c->finished; i++) {
		added += add_selector(c, sel[i], strlen(sel[i]), origin, c->r.sel_count);
	}
	return added;
}

void zs_dkim_hints_done(struct zs_dkim_ctx *c)
{
	c->hints_open = false;
}

/*
 * A TXT record at a selector counts as a key record when it names a DKIM tag that only key
 * records have: p= or k=, or v=DKIM... An SPF record or a site-verification string reached
 * through a wildcard does not.
 */
static bool is_key_candidate(const char *s, size_t n)
{
	size_t b = 0;
	while (b < n) {
		const char *semi = memchr(s + b, ';', n - b);
		size_t e = semi == NULL ? n : (size_t)(semi - s);
		size_t i = b;
		while (i < e && (zs__is_wsp((unsigned char)s[i]) || s[i] == '\r' || s[i] == '\n')) {
			i++;
		}
		size_t name = i;
		while (i < e && s[i] != '=' && !zs__is_wsp((unsigned char)s[i])) {
			i++;
		}
		size_t name_len = i - name;
		while (i < e && zs__is_wsp((unsigned char)s[i])) {
			i++;
		}
		if (i < e && s[i] == '=') {
			i++;
			while (i < e && zs__is_wsp((unsigned char)s[i])) {
				i++;
			}
			if (zs__eq(s + name, name_len, "p") || zs__eq(s + name, name_len, "k")) {
				return true;
			}
			if (zs__eq(s + name, name_len, "v") && e - i >= 4 &&
			    zs__eq_nocase(s + i, 4, "DKIM")) {
				return true;
			}
		}
		if (semi == NULL) {
			break;
		}
		b = e + 1;
	}
	return false;
}

static void classify(struct zs_dkim_ctx *c, struct zs_dkim_selector *s, const struct zs_query *q,
                     const struct zs_answer *a)
{
	s->status = a->status;
	s->cname_count = q->cname_count;
	s->cname = q->cname;
	struct zs__txt_select sel;
	zs__txt_select(c->a, a, is_key_candidate, &sel);
	s->other = sel.other;
	s->other_count = sel.other_count;
	s->other_total = sel.other_total;
	s->key_total = sel.match_total;
	if (sel.match_count > 0) {
		s->keys = zs_arena_calloc(c->a, sel.match_count, sizeof(*s->keys));
		for (size_t i = 0; i < sel.match_count; i++) {
			zs_dkim_key_parse(c->a, sel.match[i].text, sel.match[i].len, &s->keys[i]);
		}
		s->key_count = sel.match_count;
	}
}

int zs_dkim_answer(struct zs_dkim_ctx *c, uint32_t id, const struct zs_answer *a)
{
	struct zs_dkim_result *r = &c->r;
	struct zs_query *q = zs__query_log_answer(c->a, &r->log, id, a);
	if (q == NULL) {
		return ZS_ERR_NOTFOUND;
	}
	switch ((enum purpose)q->purpose) {
	case Q_BASE:
		r->base_status = a->status;
		c->base_answered = true;
		/* RFC 8020: NXDOMAIN means nothing exists below _domainkey.<domain> */
		r->subtree_absent = a->status == ZS_DNS_NXDOMAIN;
		if (r->wildcard.status != ZS_DNS_BADNAME && subtree_open(r)) {
			(void)zs__query_log_add(c->a, &r->log, ZS_RR_TXT, r->wildcard.name, Q_WILD,
			                        0);
		}
		for (size_t i = 0; i < r->sel_count; i++) {
			queue_selector(c, i);
		}
		break;
	case Q_WILD:
		classify(c, &r->wildcard, q, a);
		break;
	case Q_SEL:
		classify(c, &r->sel[q->index], q, a);
		break;
	}
	return 0;
}

/* Whether two probes returned the same TXT records (the wildcard's answer synthesised twice). */
static bool same_records(const struct zs_dkim_selector *x, const struct zs_dkim_selector *y)
{
	if (x->key_total != y->key_total || x->other_total != y->other_total ||
	    x->key_count != y->key_count) {
		return false;
	}
	for (size_t i = 0; i < x->key_count; i++) {
		if (x->keys[i].len != y->keys[i].len ||
		    memcmp(x->keys[i].text, y->keys[i].text, x->keys[i].len) != 0) {
			return false;
		}
	}
	for (size_t i = 0; i < x->other_count; i++) {
		if (x->other[i].len != y->other[i].len ||
		    memcmp(x->other[i].text, y->other[i].text, x->other[i].len) != 0) {
			return false;
		}
	}
	return true;
}

static void selector_findings(struct zs_dkim_ctx *c, const struct zs_dkim_selector *s)
{
	struct zs_arena *a = c->a;
	struct zs_findings *f = &c->r.findings;
	if (s->status == ZS_DNS_NOT_ASKED) {
		return;
	}
	if (s->cname_count > 0) {
		zs_findings_add(a, f, ZS_FIND_DKIM_CNAME, "selector %s is a CNAME to %s",
		                zs__quote(a, s->selector, strlen(s->selector)),
		                zs__quote(a, s->cname[s->cname_count - 1],
		                          strlen(s->cname[s->cname_count - 1])));
	}
	if (!zs_dns_status_is_answer(s->status)) {
		zs_findings_add(a, f, ZS_FIND_DKIM_LOOKUP_FAILED,
		                "the TXT lookup of %s failed (%s): unknown whether it holds a key",
		                zs__quote(a, s->name, strlen(s->name)),
		                zs_dns_status_name(s->status));
		return;
	}
	if (s->wildcard_match) {
		return;
	}
	if (s->key_total > 1) {
		zs_findings_add(a, f, ZS_FIND_DKIM_MULTIPLE,
		                "%zu key records at %s: RFC 6376 leaves the result undefined",
		                s->key_total, zs__quote(a, s->name, strlen(s->name)));
	}
	if (s->key_total > s->key_count || s->other_total > s->other_count) {
		zs_findings_add(a, f, ZS_FIND_TXT_MANY_RECORDS,
		                "%zu TXT records at %s; the first %d of each kind are kept",
		                s->key_total + s->other_total,
		                zs__quote(a, s->name, strlen(s->name)), ZS__TXT_KEEP);
	}
	if (s->other_total > 0) {
		zs_findings_add(a, f, ZS_FIND_DKIM_NOT_A_KEY,
		                "%zu TXT records at %s are not DKIM key records", s->other_total,
		                zs__quote(a, s->name, strlen(s->name)));
	}
}

/* Whether the random label found TXT records: a wildcard answers every selector. */
static bool wildcard_answers(const struct zs_dkim_result *r)
{
	return r->wildcard.status == ZS_DNS_NOERROR &&
	       (r->wildcard.key_total > 0 || r->wildcard.other_total > 0);
}

/* Whether a selector only returned the wildcard's records (synthesised, not a key of its own). */
static bool echoes_wildcard(const struct zs_dkim_result *r, const struct zs_dkim_selector *s)
{
	return wildcard_answers(r) && s->status == ZS_DNS_NOERROR && s->cname_count == 0 &&
	       same_records(s, &r->wildcard);
}

/* Whether some selector asked so far holds a key a verifier can use. */
static bool usable_key_found(const struct zs_dkim_result *r)
{
	for (size_t i = 0; i < r->sel_count; i++) {
		const struct zs_dkim_selector *s = &r->sel[i];
		for (size_t k = 0; k < s->key_count; k++) {
			if (s->keys[k].status == ZS_DKIM_VALID && !echoes_wildcard(r, s)) {
				return true;
			}
		}
	}
	return false;
}

/*
 * Learned selectors come last, when everything else is answered and no usable key was found:
 * they are a guess from other domains, worth a few questions only where nothing else worked.
 * @return true when questions were added
 */
static bool ask_learned(struct zs_dkim_ctx *c)
{
	struct zs_dkim_result *r = &c->r;
	if (r->learned_asked || !subtree_open(r) || usable_key_found(r)) {
		return false;
	}
	for (size_t i = 0; i < r->sel_count; i++) {
		struct zs_dkim_selector *s = &r->sel[i];
		if (c->state[i] == SEL_PENDING && s->origin == ZS_DKIM_FROM_LEARNED &&
		    s->status != ZS_DNS_BADNAME) {
			(void)zs__query_log_add(c->a, &r->log, ZS_RR_TXT, s->name, Q_SEL, i);
			c->state[i] = SEL_QUEUED;
			r->learned_asked = true;
		}
	}
	return r->learned_asked;
}

static void finalize(struct zs_dkim_ctx *c)
{
	struct zs_dkim_result *r = &c->r;
	struct zs_arena *a = c->a;

	if (r->subtree_absent) {
		zs_findings_add(a, &r->findings, ZS_FIND_DKIM_NO_DOMAINKEY,
		                "%s does not exist (NXDOMAIN): no DKIM key can exist below it",
		                r->base_name);
		return;
	}
	if (!zs_dns_status_is_answer(r->base_status)) {
		zs_findings_add(a, &r->findings, ZS_FIND_DKIM_LOOKUP_FAILED,
		                "the TXT lookup of %s failed (%s); selectors were probed anyway",
		                r->base_name, zs_dns_status_name(r->base_status));
	}
	r->wildcard_present = wildcard_answers(r);
	if (r->wildcard_present) {
		const char *what = "no key record";
		if (r->wildcard.key_count > 0) {
			what = zs_dkim_status_name(r->wildcard.keys[0].status);
		}
		zs_findings_add(a, &r->findings, ZS_FIND_DKIM_WILDCARD,
		                "a wildcard answers every selector of %s (probe %s: %s key record)",
		                r->domain, r->wildcard.selector, what);
	}
	if (!zs_dns_status_is_answer(r->wildcard.status)) {
		selector_findings(c, &r->wildcard);
	}
	for (size_t i = 0; i < r->sel_count; i++) {
		struct zs_dkim_selector *s = &r->sel[i];
		if (echoes_wildcard(r, s)) {
			s->wildcard_match = true;
			zs_findings_add(
			        a, &r->findings, ZS_FIND_DKIM_WILDCARD_MATCH,
			        "selector %s returns the wildcard's records: not counted as a key",
			        s->selector);
		}
		selector_findings(c, s);
		r->probed += c->state[i] == SEL_QUEUED;
		if (!s->wildcard_match && s->key_total > 0) {
			r->keys_found++;
			r->keys_by_origin[s->origin]++;
		}
	}
}

int zs_dkim_step(struct zs_dkim_ctx *c, struct zs_lookup *need, size_t max, size_t *n)
{
	int ret = zs__query_log_step(&c->r.log, need, max, n);
	if (ret != ZS_POLICY_DONE || c->finished) {
		return ret;
	}
	if (c->hints_open) {
		return ZS_POLICY_WAIT; /* the probe still expects provider hints */
	}
	if (ask_learned(c)) {
		return zs__query_log_step(&c->r.log, need, max, n);
	}
	finalize(c);
	c->finished = true;
	return ZS_POLICY_DONE;
}

const struct zs_dkim_result *zs_dkim_result(const struct zs_dkim_ctx *c)
{
	ZS_REQUIRE(c->finished);
	return &c->r;
}

bool zs_dkim_wildcard_revoked(const struct zs_dkim_result *r)
{
	return r->wildcard_present && r->wildcard.key_total == 1 &&
	       r->wildcard.keys[0].status == ZS_DKIM_REVOKED;
}

enum zs_dns_status zs_dkim_result_status(const struct zs_dkim_result *r)
{
	if (zs_dns_status_is_failure(r->base_status)) {
		return r->base_status;
	}
	for (size_t i = 0; i < r->sel_count; i++) {
		if (zs_dns_status_is_failure(r->sel[i].status)) {
			return r->sel[i].status;
		}
	}
	return r->base_status == ZS_DNS_NOT_ASKED ? ZS_DNS_NOT_ASKED : ZS_DNS_NOERROR;
}

ZS__DEFINE_LOOKUP_OPS(dkim);

static void selector_json(struct zs_json *j, const struct zs_dkim_selector *s, bool wildcard)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "selector", s->selector, strlen(s->selector));
	zs_json_kdata(j, "name", s->name, strlen(s->name));
	zs_json_kbool(j, "declared", s->declared);
	if (!wildcard) {
		zs_json_kstr(j, "origin", zs_dkim_origin_name(s->origin));
	}
	zs_json_kstr(j, "status", zs_dns_status_name(s->status));
	zs__names_json(j, "cname", s->cname, s->cname_count, false);
	zs_json_kbool(j, "wildcard_match", s->wildcard_match);
	if (s->wildcard_match) {
		zs_json_obj_end(j); /* its records are those of "wildcard" */
		return;
	}
	zs_json_key(j, "keys");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < s->key_count; i++) {
		zs_dkim_key_json(j, &s->keys[i]);
	}
	zs_json_arr_end(j);
	zs_json_kint(j, "key_total", (long long)s->key_total);
	zs__other_txt_json(j, s->other, s->other_count, s->other_total);
	zs_json_obj_end(j);
}

void zs_dkim_result_json(struct zs_json *j, const struct zs_dkim_result *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "domain", r->domain, strlen(r->domain));
	zs_json_kstr(j, "domainkey_status", zs_dns_status_name(r->base_status));
	zs_json_kbool(j, "subtree_absent", r->subtree_absent);
	zs_json_kbool(j, "wildcard_present", r->wildcard_present);
	zs_json_kbool(j, "wildcard_revoked", zs_dkim_wildcard_revoked(r));
	zs_json_key(j, "wildcard");
	selector_json(j, &r->wildcard, true);
	zs_json_kint(j, "probed", (long long)r->probed);
	zs_json_kint(j, "keys_found", (long long)r->keys_found);
	zs_json_key(j, "keys_by_origin");
	zs_json_obj_begin(j);
	for (int o = 0; o < ZS_DKIM_ORIGIN_COUNT_; o++) {
		zs_json_kint(j, origin_names[o], (long long)r->keys_by_origin[o]);
	}
	zs_json_obj_end(j);
	zs_json_kint(j, "declared_unprobed", (long long)r->declared_unprobed);
	zs_json_kbool(j, "learned_asked", r->learned_asked);
	/* only the selectors that hold something or failed: the empty probes are in "queries" */
	zs_json_key(j, "selectors");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->sel_count; i++) {
		const struct zs_dkim_selector *s = &r->sel[i];
		if (s->wildcard_match && !s->declared) {
			continue; /* listed by name below: its records are the wildcard's */
		}
		if (s->status == ZS_DNS_NOERROR || !zs_dns_status_is_answer(s->status) ||
		    s->declared) {
			if (s->status != ZS_DNS_NOT_ASKED || s->declared) {
				selector_json(j, s, false);
			}
		}
	}
	zs_json_arr_end(j);
	/* A wildcard answers every guessed selector with its own records: name them only, once. */
	zs_json_key(j, "wildcard_matched");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->sel_count; i++) {
		const struct zs_dkim_selector *s = &r->sel[i];
		if (s->wildcard_match && !s->declared) {
			zs_json_data(j, s->selector, strlen(s->selector));
		}
	}
	zs_json_arr_end(j);
	zs__evidence_json(j, &r->findings, &r->log);
	zs_json_obj_end(j);
}
