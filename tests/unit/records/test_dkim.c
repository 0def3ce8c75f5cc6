/* SPDX-License-Identifier: MIT */
/* Unit tests of scanner/policy/dkim.c: key records (keys made by OpenSSL here) and discovery. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/policy/dkim.h"
#include "tests/unit/records/fakedns.h"
#include "tests/unit/test.h"

/* base64 of DER made by OpenSSL, in the arena */
static const char *b64(struct zs_arena *a, const unsigned char *der, int len)
{
	char *out = zs_arena_alloc(a, (size_t)(4 * ((len + 2) / 3) + 1));
	(void)EVP_EncodeBlock((unsigned char *)out, der, len);
	return out;
}

/* A record for a new RSA key of @p bits, as SubjectPublicKeyInfo or as PKCS#1. */
static const char *rsa_record(struct zs_arena *a, unsigned bits, bool pkcs1)
{
	EVP_PKEY *pk = EVP_RSA_gen(bits);
	assert_non_null(pk);
	unsigned char *der = NULL;
	int len = pkcs1 ? i2d_PublicKey(pk, &der) : i2d_PUBKEY(pk, &der);
	assert_true(len > 0);
	const char *rec = zs_arena_printf(a, "v=DKIM1; k=rsa; p=%s", b64(a, der, len));
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return rec;
}

static void parse(struct zs_arena *a, const char *text, struct zs_dkim_key *k)
{
	zs_dkim_key_parse(a, text, strlen(text), k);
}

static void test_dkim_key_rsa_both_encodings(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dkim_key k;
	parse(&a, rsa_record(&a, 2048, false), &k);
	assert_int_equal(k.status, ZS_DKIM_VALID);
	assert_int_equal(k.type, ZS_DKIM_KEY_RSA);
	assert_int_equal(k.encoding, ZS_DKIM_ENC_SPKI);
	assert_int_equal(k.bits, 2048);
	assert_int_equal(k.findings.count, 0);
	parse(&a, rsa_record(&a, 2048, true), &k);
	assert_int_equal(k.status, ZS_DKIM_VALID);
	assert_int_equal(k.encoding, ZS_DKIM_ENC_PKCS1);
	assert_int_equal(k.bits, 2048);
	parse(&a, rsa_record(&a, 1024, false), &k);
	assert_int_equal(k.status, ZS_DKIM_VALID);
	assert_int_equal(k.bits, 1024);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_RSA_SHORT));
	parse(&a, rsa_record(&a, 512, true), &k);
	assert_int_equal(k.status, ZS_DKIM_INVALID);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_RSA_WEAK));
	zs_arena_deinit(&a);
}

static void test_dkim_key_ed25519(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pk);
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);
	assert_int_equal(EVP_PKEY_get_raw_public_key(pk, raw, &rawlen), 1);
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(pk, &der);
	struct zs_dkim_key k;
	parse(&a, zs_arena_printf(&a, "v=DKIM1; k=ed25519; p=%s", b64(&a, raw, 32)), &k);
	assert_int_equal(k.status, ZS_DKIM_VALID);
	assert_int_equal(k.type, ZS_DKIM_KEY_ED25519);
	assert_int_equal(k.encoding, ZS_DKIM_ENC_RAW);
	assert_int_equal(k.bits, 256);
	/* an Ed25519 SubjectPublicKeyInfo is not what RFC 8463 asks for */
	parse(&a, zs_arena_printf(&a, "v=DKIM1; k=ed25519; p=%s", b64(&a, der, len)), &k);
	assert_int_equal(k.status, ZS_DKIM_INVALID);
	assert_int_equal(k.encoding, ZS_DKIM_ENC_SPKI);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_ED25519_LENGTH));
	/* and under k=rsa it is the wrong type */
	parse(&a, zs_arena_printf(&a, "v=DKIM1; p=%s", b64(&a, der, len)), &k);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_TYPE_MISMATCH));
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	zs_arena_deinit(&a);
}

static void test_dkim_key_flags_and_revocation(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dkim_key k;
	parse(&a, "v=DKIM1; k=rsa; t=y:s; s=tlsrpt; h=sha1; n=hello; p=", &k);
	assert_int_equal(k.status, ZS_DKIM_REVOKED);
	assert_int_equal(k.encoding, ZS_DKIM_ENC_EMPTY);
	assert_true(k.testing);
	assert_true(k.strict);
	assert_false(k.email);
	assert_string_equal(k.n, "hello");
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_TESTING));
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_S_NOT_EMAIL));
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_H_SHA1));
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_REVOKED));

	parse(&a, "v=DKIM1; k=rsa", &k);
	assert_int_equal(k.status, ZS_DKIM_INVALID);
	assert_int_equal(k.encoding, ZS_DKIM_ENC_ABSENT);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_P_MISSING));
	zs_arena_deinit(&a);
}

static void test_dkim_key_malformed_data(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dkim_key k;
	parse(&a, "p=MIGf*A0G", &k);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_BASE64));
	parse(&a, "p=QUJD=A==", &k); /* "=" inside */
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_BASE64));
	parse(&a, "p=QUJDRA", &k); /* no padding */
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_BASE64));
	parse(&a, "p=QUJDRA==", &k); /* good base64, not a key */
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_DER));
	assert_int_equal(k.encoding, ZS_DKIM_ENC_UNDECODABLE);

	struct zs_buf b;
	zs_buf_init(&b, 1 << 16);
	assert_int_equal(zs_buf_puts(&b, "v=DKIM1; p="), 0);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(zs_buf_puts(&b, "AAAA"), 0);
	}
	zs_dkim_key_parse(&a, b.data, b.len, &k);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_KEY_TOO_BIG));
	zs_buf_deinit(&b);

	const char bin[] = "v=DKIM1; p=\0\x01\xfe; k=\x80";
	zs_dkim_key_parse(&a, bin, sizeof(bin) - 1, &k);
	assert_int_equal(k.status, ZS_DKIM_INVALID);
	assert_int_equal(k.len, sizeof(bin) - 1);
	assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_SYNTAX));
	zs_arena_deinit(&a);
}

static void test_dkim_selectors_file(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	const char **list = NULL;
	size_t n = 0;
	size_t line = 0;
	assert_int_equal(zs_dkim_selectors_load(&a, ZS_SOURCE_DIR "/policies/dkim-selectors.txt",
	                                        &list, &n, &line),
	                 0);
	assert_true(n >= 20);
	bool google = false;
	bool selector1 = false;
	for (size_t i = 0; i < n; i++) {
		google = google || strcmp(list[i], "google") == 0;
		selector1 = selector1 || strcmp(list[i], "selector1") == 0;
		assert_true(zs_dkim_selector_valid(list[i], strlen(list[i])));
	}
	assert_true(google && selector1);

	const char text[] = "# comment\n  S1  # trailing\n\ns1\nsel.two\r\nbad selector\n";
	assert_int_equal(zs_dkim_selectors_parse(&a, text, sizeof(text) - 1, &list, &n, &line),
	                 ZS_ERR_PARSE);
	assert_int_equal(line, 6);
	assert_int_equal(zs_dkim_selectors_parse(&a, text, 40, &list, &n, &line), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "s1");
	assert_string_equal(list[1], "sel.two");
	assert_true(zs_dkim_selectors_load(&a, "/nonexistent/zonesweep", &list, &n, &line) < 0);

	/* a list longer than is probed per domain is refused where it is read, never cut */
	struct zs_buf big;
	zs_buf_init(&big, 1 << 16);
	for (int i = 0; i <= ZS_DKIM_MAX_LIST; i++) {
		assert_int_equal(zs_buf_printf(&big, "s%d\n", i), 0);
	}
	assert_int_equal(zs_dkim_selectors_parse(&a, big.data, big.len, &list, &n, &line),
	                 ZS_ERR_TOOBIG);
	assert_int_equal(line, ZS_DKIM_MAX_LIST + 1);
	zs_buf_deinit(&big);
	zs_arena_deinit(&a);
}

static const char *const default_selectors[] = { "google", "selector1", "selector2", "k1", "s1" };

static const struct zs_dkim_result *discover(struct zs_arena *a, struct fake_zone *z,
                                             const char *domain, const char *const *declared,
                                             size_t ndeclared, struct fake_stats *st)
{
	struct zs_dkim_opts opts = {
		.selectors = default_selectors,
		.selector_count = 5,
		.declared = declared,
		.declared_count = ndeclared,
		.wildcard_label = "zz-probe",
	};
	struct zs_dkim_ctx *c = zs_dkim_new(a, domain, &opts);
	assert_int_equal(fake_drive(z, &zs_dkim_lookup_ops, c, 8, FAKE_REVERSE, st), 0);
	return zs_dkim_result(c);
}

static void test_dkim_discovery_nxdomain_asks_no_selector(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "example.com", "v=spf1 -all");
	struct fake_stats st;
	const struct zs_dkim_result *r = discover(&a, z, "example.com", NULL, 0, &st);
	assert_true(r->subtree_absent);
	assert_int_equal(r->base_status, ZS_DNS_NXDOMAIN);
	assert_int_equal(st.questions, 1);
	assert_int_equal(r->log.count, 1);
	assert_int_equal(r->keys_found, 0);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_NO_DOMAINKEY));
	zs_arena_deinit(&a);
}

/*
 * The status a DKIM result rests on: the selectors rightly not asked below an NXDOMAIN
 * _domainkey are no failure (the absence of any key is known), while a failed question is.
 */
static void test_dkim_result_status_not_asked_is_no_failure(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "nokeys.example", "v=spf1 -all");
	fake_txt(z, "google._domainkey.keys.example", rsa_record(&a, 2048, false));
	fake_fail(z, "k1._domainkey.keys.example", ZS_RR_TXT, ZS_DNS_SERVFAIL);
	fake_fail(z, "_domainkey.down.example", ZS_RR_TXT, ZS_DNS_TIMEOUT);
	struct fake_stats st;

	const struct zs_dkim_result *r = discover(&a, z, "nokeys.example", NULL, 0, &st);
	assert_true(r->subtree_absent);
	assert_int_equal(r->sel[0].status, ZS_DNS_NOT_ASKED); /* kept as it was: not asked */
	assert_int_equal(zs_dkim_result_status(r), ZS_DNS_NOERROR);

	r = discover(&a, z, "keys.example", NULL, 0, &st);
	assert_int_equal(zs_dkim_result_status(r), ZS_DNS_SERVFAIL);
	r = discover(&a, z, "down.example", NULL, 0, &st);
	assert_int_equal(zs_dkim_result_status(r), ZS_DNS_TIMEOUT);
	zs_arena_deinit(&a);
}

/* A failed _domainkey lookup: only the declared selectors are asked, not the common list. */
static void test_dkim_discovery_failed_base_asks_declared_only(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_fail(z, "_domainkey.example.com", ZS_RR_TXT, ZS_DNS_TIMEOUT);
	fake_txt(z, "mine._domainkey.example.com", rsa_record(&a, 2048, false));
	fake_txt(z, "google._domainkey.example.com", rsa_record(&a, 2048, false));
	static const char *const declared[] = { "mine" };
	struct fake_stats st;
	const struct zs_dkim_result *r = discover(&a, z, "example.com", declared, 1, &st);
	assert_int_equal(r->base_status, ZS_DNS_TIMEOUT);
	assert_int_equal(st.questions, 2); /* _domainkey, then the declared selector */
	assert_int_equal(r->keys_found, 1);
	for (size_t i = 0; i < r->sel_count; i++) {
		if (strcmp(r->sel[i].selector, "mine") == 0) {
			assert_int_equal(r->sel[i].status, ZS_DNS_NOERROR);
		} else {
			/* not asked: they carry the failure of _domainkey, never "no record" */
			assert_int_equal(r->sel[i].status, ZS_DNS_TIMEOUT);
		}
	}
	zs_arena_deinit(&a);
}

static void test_dkim_discovery_keys_and_cname(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "google._domainkey.example.com", rsa_record(&a, 2048, false));
	fake_cname(z, "selector1._domainkey.example.com",
	           "selector1-example-com._domainkey.provider.example");
	fake_txt(z, "selector1-example-com._domainkey.provider.example",
	         rsa_record(&a, 1024, false));
	fake_txt(z, "mine._domainkey.example.com", "v=DKIM1; k=ed25519; p=");
	fake_txt(z, "s1._domainkey.example.com", "google-site-verification=x");
	fake_fail(z, "k1._domainkey.example.com", ZS_RR_TXT, ZS_DNS_TIMEOUT);
	const char *declared[] = { "mine", "bad selector", "GOOGLE" };
	struct fake_stats st;
	const struct zs_dkim_result *r = discover(&a, z, "example.com", declared, 3, &st);
	assert_false(r->subtree_absent);
	assert_int_equal(r->base_status, ZS_DNS_NODATA); /* an empty non-terminal */
	assert_false(r->wildcard_present);
	assert_int_equal(r->sel_count, 6); /* mine, google, selector1, selector2, k1, s1 */
	assert_string_equal(r->sel[0].selector, "mine");
	assert_true(r->sel[0].declared);
	assert_true(r->sel[1].declared); /* GOOGLE, declared and on the list */
	assert_int_equal(r->keys_found, 3);
	assert_int_equal(r->sel[0].keys[0].status, ZS_DKIM_REVOKED);
	assert_int_equal(r->sel[1].keys[0].bits, 2048);
	assert_int_equal(r->sel[2].cname_count, 1);
	assert_int_equal(r->sel[2].keys[0].bits, 1024);
	assert_int_equal(r->sel[3].status, ZS_DNS_NXDOMAIN);
	assert_int_equal(r->sel[4].status, ZS_DNS_TIMEOUT);
	assert_int_equal(r->sel[5].key_total, 0);
	assert_int_equal(r->sel[5].other_total, 1);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_SELECTOR_INVALID));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_CNAME));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_LOOKUP_FAILED));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_NOT_A_KEY));
	assert_true(st.max_outstanding > 1); /* the selectors are asked together */
	zs_arena_deinit(&a);
}

static void test_dkim_discovery_wildcard(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "*._domainkey.example.com", "v=DKIM1; p=");
	fake_txt(z, "s1._domainkey.example.com", rsa_record(&a, 2048, false));
	const struct zs_dkim_result *r = discover(&a, z, "example.com", NULL, 0, NULL);
	assert_true(r->wildcard_present);
	assert_true(zs_dkim_wildcard_revoked(r));
	assert_string_equal(r->wildcard.name, "zz-probe._domainkey.example.com");
	assert_int_equal(r->keys_found, 1); /* s1 only: the others are the wildcard */
	for (size_t i = 0; i < r->sel_count; i++) {
		assert_int_equal(r->sel[i].wildcard_match, strcmp(r->sel[i].selector, "s1") != 0);
	}
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_WILDCARD));
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_WILDCARD_MATCH));

	/* in JSON the wildcard's key appears once: guessed selectors that only matched it are
	 * named, a declared one keeps its entry without the records */
	static const char *const declared[] = { "mine" };
	r = discover(&a, z, "example.com", declared, 1, NULL);
	struct zs_buf b;
	zs_buf_init(&b, 1 << 20);
	struct zs_json j;
	zs_json_init(&j, &b);
	zs_dkim_result_json(&j, r);
	assert_int_equal(zs_json_error(&j), 0);
	const char *js = zs_buf_cstr(&b);
	assert_non_null(strstr(js, "\"wildcard_matched\":[\"google\",\"selector1\",\"selector2\","
	                           "\"k1\"]"));
	assert_non_null(strstr(js,
	                       "{\"selector\":\"mine\",\"name\":\"mine._domainkey.example.com\","
	                       "\"declared\":true,\"origin\":\"declared\",\"status\":\"noerror\","
	                       "\"wildcard_match\":true}"));
	assert_non_null(strstr(js, "\"selector\":\"s1\""));
	assert_null(strstr(js, "\"selector\":\"google\""));
	const char *first = strstr(js, "\"text\":\"v=DKIM1; p=\"");
	assert_non_null(first);
	assert_null(strstr(first + 1, "\"text\":\"v=DKIM1; p=\"")); /* once, under "wildcard" */
	zs_buf_deinit(&b);

	/* a wildcard holding a usable key is not "revoked" */
	z = fake_zone_new(&a);
	fake_txt(z, "*._domainkey.example.net", rsa_record(&a, 1024, false));
	r = discover(&a, z, "example.net", NULL, 0, NULL);
	assert_true(r->wildcard_present);
	assert_false(zs_dkim_wildcard_revoked(r));
	assert_int_equal(r->keys_found, 0);
	zs_arena_deinit(&a);
}

static void test_dkim_discovery_key_in_many_strings(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	const char *rec = rsa_record(&a, 2048, false);
	size_t len = strlen(rec);
	const char **strs = zs_arena_calloc(&a, len, sizeof(*strs));
	for (size_t i = 0; i < len; i++) {
		strs[i] = zs_arena_strndup(&a, rec + i, 1); /* one byte per character-string */
	}
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt_strings(z, "google._domainkey.example.com", strs, len);
	const struct zs_dkim_result *r = discover(&a, z, "example.com", NULL, 0, NULL);
	assert_int_equal(r->keys_found, 1);
	assert_int_equal(r->sel[0].keys[0].len, len);
	assert_int_equal(r->sel[0].keys[0].bits, 2048);
	assert_int_equal(r->sel[0].keys[0].status, ZS_DKIM_VALID);
	zs_arena_deinit(&a);
}

/*
 * Declared selectors have a limit of their own: thousands of them never push the list out (a
 * key at selector1 is still found), and the ones left unprobed are counted and said.
 */
static void test_dkim_discovery_limit_and_json(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	enum { MANY = 5000 };
	const char **many = zs_arena_calloc(&a, MANY, sizeof(*many));
	for (int i = 0; i < MANY; i++) {
		many[i] = zs_arena_printf(&a, "sel%d", i);
	}
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "sel3._domainkey.example.com", "v=DKIM1; p=; p=");
	fake_txt(z, "selector1._domainkey.example.com", rsa_record(&a, 2048, false));
	const struct zs_dkim_result *r = discover(&a, z, "example.com", many, MANY, NULL);
	assert_int_equal(r->sel_count, ZS_DKIM_MAX_DECLARED + 5);
	assert_int_equal(r->declared_unprobed, MANY - ZS_DKIM_MAX_DECLARED);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_SELECTOR_LIMIT));
	assert_int_equal(r->sel[3].keys[0].status, ZS_DKIM_INVALID);
	assert_int_equal(r->keys_found, 2);
	assert_int_equal(r->keys_by_origin[ZS_DKIM_FROM_LIST], 1);
	assert_int_equal(r->keys_by_origin[ZS_DKIM_FROM_DECLARED], 1);
	for (size_t i = 0; i < r->sel_count; i++) {
		if (strcmp(r->sel[i].selector, "selector1") == 0) {
			assert_int_equal(r->sel[i].keys[0].bits, 2048);
		}
	}

	struct zs_buf b;
	zs_buf_init(&b, 1 << 20);
	struct zs_json j;
	zs_json_init(&j, &b);
	zs_dkim_result_json(&j, r);
	assert_int_equal(zs_json_error(&j), 0);
	const char *s = zs_buf_cstr(&b);
	assert_non_null(strstr(s, "\"selector\":\"sel3\""));
	assert_non_null(strstr(s, "\"code\":\"dkim.tag_duplicate\""));
	assert_non_null(strstr(s, "\"code\":\"dkim.selector_limit\""));
	assert_non_null(strstr(s, "\"declared_unprobed\":4968"));
	assert_non_null(strstr(s, "\"keys_by_origin\":{\"list\":1,\"provider\":0,\"learned\":0,"
	                          "\"declared\":1}"));
	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
}

/*
 * An RSA key whose numbers cannot be a key: modulus 2^4095+1, public exponent 2^3000 (even).
 * It decodes as "a 4096-bit RSA key"; OpenSSL's own key check refuses it, and so must we, in
 * both encodings (the fast path reads PKCS#1 and SubjectPublicKeyInfo itself).
 */
static EVP_PKEY *rsa_from_numbers(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	assert_non_null(bld);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static const char *record_of(struct zs_arena *a, EVP_PKEY *pk, bool pkcs1)
{
	unsigned char *der = NULL;
	int len = pkcs1 ? i2d_PublicKey(pk, &der) : i2d_PUBKEY(pk, &der);
	assert_true(len > 0);
	const char *rec = zs_arena_printf(a, "v=DKIM1; k=rsa; p=%s", b64(a, der, len));
	OPENSSL_free(der);
	return rec;
}

/* Whether OpenSSL's public-key check accepts a key. */
static bool openssl_accepts(EVP_PKEY *pk)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	int ok = EVP_PKEY_public_check(ctx);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok == 1;
}

static void test_dkim_key_rsa_impossible_numbers(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	BIGNUM *n = BN_new();
	BIGNUM *e = BN_new();
	assert_int_equal(BN_set_bit(n, 4095), 1);
	assert_int_equal(BN_add_word(n, 1), 1);
	assert_int_equal(BN_set_bit(e, 3000), 1);
	EVP_PKEY *pk = rsa_from_numbers(n, e);
	assert_false(openssl_accepts(pk));
	struct zs_dkim_key k;
	for (int pkcs1 = 0; pkcs1 < 2; pkcs1++) {
		parse(&a, record_of(&a, pk, pkcs1), &k);
		assert_int_equal(k.type, ZS_DKIM_KEY_RSA);
		assert_int_equal(k.bits, 4096);
		assert_int_equal(k.status, ZS_DKIM_INVALID);
		assert_true(zs_findings_has(&k.findings, ZS_FIND_DKIM_RSA_INVALID));
		assert_non_null(strstr(k.findings.item[0].message, "exponent is even"));
	}
	EVP_PKEY_free(pk);

	/* an even modulus, an exponent of 1, an exponent above the modulus */
	static const struct {
		int n_bit, n_add, e_bit, e_add;
		const char *why;
	} bad[] = {
		{ 2047, 0, 16, 1, "modulus is even" },
		{ 2047, 1, -1, 1, "exponent is 1" },
		{ 2047, 1, 2048, 1, "not below the modulus" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		BN_zero(n);
		BN_zero(e);
		assert_int_equal(BN_set_bit(n, bad[i].n_bit), 1);
		assert_int_equal(BN_add_word(n, (BN_ULONG)bad[i].n_add), 1);
		if (bad[i].e_bit >= 0) {
			assert_int_equal(BN_set_bit(e, bad[i].e_bit), 1);
		}
		assert_int_equal(BN_add_word(e, (BN_ULONG)bad[i].e_add), 1);
		pk = rsa_from_numbers(n, e);
		assert_false(openssl_accepts(pk));
		parse(&a, record_of(&a, pk, false), &k);
		assert_int_equal(k.status, ZS_DKIM_INVALID);
		assert_non_null(strstr(k.findings.item[0].message, bad[i].why));
		EVP_PKEY_free(pk);
	}

	/* e = 3 is a usable key (RFC 8301 sets no lower bound), though OpenSSL's check asks for
	 * more than 2^16 */
	EVP_PKEY_CTX *gen = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_int_equal(EVP_PKEY_keygen_init(gen), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(gen, 1024), 1);
	BN_set_word(e, 3);
	assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(gen, e), 1);
	pk = NULL;
	assert_int_equal(EVP_PKEY_generate(gen, &pk), 1);
	EVP_PKEY_CTX_free(gen);
	parse(&a, record_of(&a, pk, false), &k);
	assert_int_equal(k.status, ZS_DKIM_VALID);
	assert_false(zs_findings_has(&k.findings, ZS_FIND_DKIM_RSA_INVALID));
	EVP_PKEY_free(pk);
	BN_free(n);
	BN_free(e);
	zs_arena_deinit(&a);
}

/* Drive a discovery by hand, answering at once, until it is done or waits for hints. */
static int drive_idle(struct fake_zone *z, struct zs_dkim_ctx *c, size_t *asked)
{
	for (;;) {
		struct zs_lookup need[16];
		size_t n = 0;
		int rc = zs_dkim_step(c, need, 16, &n);
		for (size_t i = 0; i < n; i++) {
			struct zs_arena scratch;
			struct zs_answer ans;
			zs_arena_init(&scratch);
			fake_resolve(z, &need[i], &scratch, &ans);
			assert_int_equal(zs_dkim_answer(c, need[i].id, &ans), 0);
			zs_arena_deinit(&scratch);
		}
		*asked += n;
		if (rc == ZS_POLICY_DONE || n == 0) {
			return rc;
		}
	}
}

static struct zs_dkim_ctx *hinted(struct zs_arena *a, const char *domain)
{
	struct zs_dkim_opts opts = {
		.selectors = default_selectors,
		.selector_count = 5,
		.wildcard_label = "zz-probe",
		.hints = true,
	};
	return zs_dkim_new(a, domain, &opts);
}

static const struct zs_dkim_selector *find_sel(const struct zs_dkim_result *r, const char *name)
{
	for (size_t i = 0; i < r->sel_count; i++) {
		if (strcmp(r->sel[i].selector, name) == 0) {
			return &r->sel[i];
		}
	}
	return NULL;
}

/* Selectors named by the domain's providers join a running discovery, which waits for them. */
static void test_dkim_discovery_hints_add_selectors(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "fm1._domainkey.example.com", rsa_record(&a, 2048, false));
	struct zs_dkim_ctx *c = hinted(&a, "example.com");
	size_t asked = 0;

	/* before _domainkey answered: kept, asked only once it has */
	static const char *const early[] = { "fm2" };
	assert_int_equal(zs_dkim_add(c, early, 1, ZS_DKIM_FROM_PROVIDER), 1);
	struct zs_lookup need[16];
	size_t n = 0;
	assert_int_equal(zs_dkim_step(c, need, 16, &n), ZS_POLICY_NEED_LOOKUP);
	assert_int_equal(n, 1); /* _domainkey alone */
	assert_string_equal(need[0].name, "_domainkey.example.com");
	struct zs_arena scratch;
	struct zs_answer ans;
	zs_arena_init(&scratch);
	fake_resolve(z, &need[0], &scratch, &ans);
	assert_int_equal(zs_dkim_answer(c, need[0].id, &ans), 0);
	zs_arena_deinit(&scratch);
	asked = 1;

	/* everything answered, but the hints are still open: not done */
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_WAIT);
	assert_int_equal(asked, 1 + 1 + 6); /* _domainkey, the wildcard probe, list and fm2 */

	static const char *const fastmail[] = { "fm1", "fm2", "google", "bad selector" };
	assert_int_equal(zs_dkim_add(c, fastmail, 4, ZS_DKIM_FROM_PROVIDER), 1); /* fm1 only */
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_WAIT);
	assert_int_equal(asked, 9);
	zs_dkim_hints_done(c);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_DONE);
	const struct zs_dkim_result *r = zs_dkim_result(c);
	assert_int_equal(r->keys_found, 1);
	assert_int_equal(r->keys_by_origin[ZS_DKIM_FROM_PROVIDER], 1);
	assert_int_equal(find_sel(r, "fm1")->origin, ZS_DKIM_FROM_PROVIDER);
	assert_int_equal(find_sel(r, "google")->origin, ZS_DKIM_FROM_LIST);
	assert_true(zs_findings_has(&r->findings, ZS_FIND_DKIM_SELECTOR_INVALID));
	/* nothing joins a finished discovery */
	assert_int_equal(zs_dkim_add(c, fastmail, 1, ZS_DKIM_FROM_PROVIDER), 0);
	zs_arena_deinit(&a);
}

/* Nothing below _domainkey: hints are accepted but never asked. */
static void test_dkim_discovery_hints_after_nxdomain(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "example.com", "v=spf1 -all");
	struct zs_dkim_ctx *c = hinted(&a, "example.com");
	size_t asked = 0;
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_WAIT);
	static const char *const sel[] = { "fm1" };
	(void)zs_dkim_add(c, sel, 1, ZS_DKIM_FROM_PROVIDER);
	(void)zs_dkim_add(c, sel, 1, ZS_DKIM_FROM_LEARNED);
	zs_dkim_hints_done(c);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_DONE);
	assert_int_equal(asked, 1);
	const struct zs_dkim_result *r = zs_dkim_result(c);
	assert_true(r->subtree_absent);
	assert_false(r->learned_asked);
	assert_int_equal(find_sel(r, "fm1")->status, ZS_DNS_NOT_ASKED);
	zs_arena_deinit(&a);
}

/* Learned selectors are asked last, and only when nothing asked before holds a usable key. */
static void test_dkim_discovery_learned_last(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	static const char *const learned[] = { "rp2025", "rp2024" };
	const char *key = rsa_record(&a, 2048, false);

	/* no key elsewhere: the learned selectors are asked, after the hints end */
	struct fake_zone *z = fake_zone_new(&a);
	fake_txt(z, "rp2025._domainkey.example.com", key);
	fake_txt(z, "selector1._domainkey.example.com", "v=DKIM1; p=");
	struct zs_dkim_ctx *c = hinted(&a, "example.com");
	size_t asked = 0;
	assert_int_equal(zs_dkim_add(c, learned, 2, ZS_DKIM_FROM_LEARNED), 2);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_WAIT);
	assert_int_equal(asked, 7); /* _domainkey, wildcard, the list: no learned one yet */
	zs_dkim_hints_done(c);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_DONE);
	assert_int_equal(asked, 9);
	const struct zs_dkim_result *r = zs_dkim_result(c);
	assert_true(r->learned_asked);
	assert_int_equal(r->keys_by_origin[ZS_DKIM_FROM_LEARNED], 1);
	assert_int_equal(r->keys_by_origin[ZS_DKIM_FROM_LIST], 1); /* the revoked one */
	assert_int_equal(find_sel(r, "rp2025")->origin, ZS_DKIM_FROM_LEARNED);

	/* a usable key on the list: the learned selectors are never asked */
	z = fake_zone_new(&a);
	fake_txt(z, "rp2025._domainkey.example.org", key);
	fake_txt(z, "google._domainkey.example.org", key);
	c = hinted(&a, "example.org");
	asked = 0;
	(void)zs_dkim_add(c, learned, 2, ZS_DKIM_FROM_LEARNED);
	zs_dkim_hints_done(c);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_DONE);
	assert_int_equal(asked, 7);
	r = zs_dkim_result(c);
	assert_false(r->learned_asked);
	assert_int_equal(find_sel(r, "rp2025")->status, ZS_DNS_NOT_ASKED);
	assert_int_equal(r->keys_found, 1);

	/* a learned selector a provider names too is asked at once, as the provider's */
	z = fake_zone_new(&a);
	fake_txt(z, "rp2025._domainkey.example.net", key);
	c = hinted(&a, "example.net");
	asked = 0;
	(void)zs_dkim_add(c, learned, 2, ZS_DKIM_FROM_LEARNED);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_WAIT);
	assert_int_equal(zs_dkim_add(c, learned, 1, ZS_DKIM_FROM_PROVIDER), 0);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_WAIT);
	assert_int_equal(asked, 8);
	zs_dkim_hints_done(c);
	assert_int_equal(drive_idle(z, c, &asked), ZS_POLICY_DONE);
	r = zs_dkim_result(c);
	assert_int_equal(find_sel(r, "rp2025")->origin, ZS_DKIM_FROM_PROVIDER);
	assert_false(r->learned_asked); /* a usable key was found before the fallback */
	assert_int_equal(r->keys_by_origin[ZS_DKIM_FROM_PROVIDER], 1);
	zs_arena_deinit(&a);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dkim_key_rsa_both_encodings),
		cmocka_unit_test(test_dkim_key_ed25519),
		cmocka_unit_test(test_dkim_key_flags_and_revocation),
		cmocka_unit_test(test_dkim_key_malformed_data),
		cmocka_unit_test(test_dkim_selectors_file),
		cmocka_unit_test(test_dkim_discovery_nxdomain_asks_no_selector),
		cmocka_unit_test(test_dkim_result_status_not_asked_is_no_failure),
		cmocka_unit_test(test_dkim_discovery_failed_base_asks_declared_only),
		cmocka_unit_test(test_dkim_discovery_keys_and_cname),
		cmocka_unit_test(test_dkim_discovery_wildcard),
		cmocka_unit_test(test_dkim_discovery_key_in_many_strings),
		cmocka_unit_test(test_dkim_discovery_limit_and_json),
		cmocka_unit_test(test_dkim_key_rsa_impossible_numbers),
		cmocka_unit_test(test_dkim_discovery_hints_add_selectors),
		cmocka_unit_test(test_dkim_discovery_hints_after_nxdomain),
		cmocka_unit_test(test_dkim_discovery_learned_last),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
