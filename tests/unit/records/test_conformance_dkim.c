/* SPDX-License-Identifier: MIT */
/*
 * Conformance runner for ../shared/conformance/dkim/ (every file): each key record is parsed
 * and compared with the source's verdict (valid / revoked / invalid and the error class), the
 * key the collector computed from p= (type, encoding, bits, or why it is undecodable), the
 * tags mox asserts, and whether the key may sign e-mail. Deviations are listed with their
 * reason and checked like any other expectation (see test_conformance_dmarc.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/policy/dkim.h"
#include "tests/unit/records/conformance.h"
#include "tests/unit/records/yamltree.h"
#include "tests/unit/test.h"

#define DKIM_DIR ZS_SHARED_DIR "/conformance/dkim"

static struct conf_deviation deviations[] = {
	{ "mox-dkim-key-004", "revoked", ZS_FIND_DKIM_TRAILING_SPACE,
	  "whitespace after the final \";\": verifiers accept the record, so it is read (revoked "
	  "key, empty p=) with the warning dkim.trailing_space; mox follows the strict ABNF" },
	{ "dkimpy-key-014", "invalid", ZS_FIND_DKIM_RSA_WEAK,
	  "a 512-bit RSA key: RFC 8301 forbids keys under 1024 bits and verifiers (dkimpy's "
	  "default) refuse them; the source verifies it only with the minimum lowered" },
};

#define NDEV (sizeof(deviations) / sizeof(deviations[0]))

/* The collector's error classes, in our finding codes. */
static bool error_class(const char *cls, const struct zs_findings *f)
{
	static const struct {
		const char *cls;
		enum zs_finding_code code;
	} map[] = {
		{ "syntax", ZS_FIND_DKIM_SYNTAX },
		{ "missing-p", ZS_FIND_DKIM_P_MISSING },
		{ "version-not-first", ZS_FIND_DKIM_V_NOT_FIRST },
		{ "bad-version", ZS_FIND_DKIM_V_INVALID },
		{ "duplicate-tag", ZS_FIND_DKIM_TAG_DUPLICATE },
		{ "unknown-key-type", ZS_FIND_DKIM_K_UNKNOWN },
		{ "bad-public-key", ZS_FIND_DKIM_KEY_BASE64 },
		{ "bad-public-key", ZS_FIND_DKIM_KEY_DER },
		{ "bad-public-key", ZS_FIND_DKIM_KEY_ED25519_LENGTH },
		{ "bad-public-key", ZS_FIND_DKIM_KEY_TYPE_MISMATCH },
		{ "no-known-hash", ZS_FIND_DKIM_H_NO_KNOWN },
	};
	if (cls == NULL) {
		return true;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].cls, cls) == 0 && zs_findings_has(f, map[i].code)) {
			return true;
		}
	}
	return false;
}

/* The collector's "key" mapping: type/encoding/bits, or undecodable with a detail. */
static bool key_match(const struct zs_dkim_key *k, const struct ynode *key, const char **why)
{
	if (key == NULL) {
		return true;
	}
	const char *enc = ystr(ymap(key, "encoding"));
	if (strcmp(enc, zs_dkim_encoding_name(k->encoding)) != 0) {
		*why = "key encoding differs";
		return false;
	}
	const char *type = ystr(ymap(key, "type"));
	if (type != NULL && strcmp(type, zs_dkim_key_type_name(k->type)) != 0) {
		*why = "key type differs";
		return false;
	}
	const char *bits = ystr(ymap(key, "bits"));
	if (bits != NULL && strtoul(bits, NULL, 10) != k->bits) {
		*why = "key size differs";
		return false;
	}
	const char *detail = ystr(ymap(key, "detail"));
	if (detail != NULL) {
		enum zs_finding_code code = ZS_FIND_DKIM_KEY_DER;
		if (strcmp(detail, "base64-error") == 0) {
			code = ZS_FIND_DKIM_KEY_BASE64;
		} else if (strncmp(detail, "ed25519-bad-length", 18) == 0) {
			code = ZS_FIND_DKIM_KEY_ED25519_LENGTH;
		}
		if (!zs_findings_has(&k->findings, code)) {
			*why = "undecodable for another reason";
			return false;
		}
	}
	return true;
}

static bool list_is(const char *const *got, size_t count, const struct ynode *want)
{
	if (want->type != Y_SEQ || want->count != count) {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(got[i], ystr(want->items[i])) != 0) {
			return false;
		}
	}
	return true;
}

/* mox's parsed tags, with RFC 6376's defaults for what is absent. */
static bool tags_match(const struct zs_dkim_key *k, const struct ynode *tags)
{
	for (size_t i = 0; tags != NULL && i < tags->count; i++) {
		const char *tag = tags->keys[i];
		const struct ynode *want = tags->items[i];
		const char *star = "*";
		bool ok = true;
		if (strcmp(tag, "v") == 0) {
			ok = strcmp(ystr(want), "DKIM1") == 0; /* the only version there is */
		} else if (strcmp(tag, "k") == 0) {
			ok = strcmp(ystr(want), k->k != NULL ? k->k : "rsa") == 0;
		} else if (strcmp(tag, "n") == 0) {
			ok = k->n != NULL && strcmp(ystr(want), k->n) == 0;
		} else if (strcmp(tag, "h") == 0) {
			ok = list_is(k->h, k->h_count, want);
		} else if (strcmp(tag, "s") == 0) {
			ok = k->s_count > 0 ? list_is(k->s, k->s_count, want)
			                    : list_is(&star, 1, want);
		} else if (strcmp(tag, "t") == 0) {
			ok = list_is(k->t, k->t_count, want);
		} else {
			ok = false;
		}
		if (!ok) {
			return false;
		}
	}
	return true;
}

static void run_file(const char *file, size_t *failures)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct ynode *doc = ytree_load(&a, zs_arena_printf(&a, "%s/%s", DKIM_DIR, file));
	struct conf_tally t = { 0 };
	const char *kind = ystr(ymap(doc, "kind"));
	const struct ynode *vs = ymap(doc, "vectors");
	if (kind == NULL || strcmp(kind, "dkim-key-record") != 0 || vs == NULL) {
		printf("  FAIL %s: not a dkim-key-record file\n", file);
		t.fail++;
	}
	for (size_t i = 0; vs != NULL && i < vs->count; i++) {
		const struct ynode *v = vs->items[i];
		const char *id = ystr(ymap(v, "id"));
		const struct ynode *rec = ymap(v, "record");
		struct zs_dkim_key k;
		zs_dkim_key_parse(&a, rec->str, rec->len, &k);
		const char *ours = zs_dkim_status_name(k.status);
		const char *why = "verdict differs";
		bool ok = strcmp(ours, ystr(ymap(v, "expect"))) == 0;
		if (ok && k.status == ZS_DKIM_INVALID &&
		    !error_class(ystr(ymap(v, "error")), &k.findings)) {
			ok = false;
			why = "no finding of the error's class";
		}
		if (ok) {
			ok = key_match(&k, ymap(v, "key"), &why);
		}
		if (ok && !tags_match(&k, ymap(v, "tags"))) {
			ok = false;
			why = "tags differ";
		}
		const char *usable = ystr(ymap(v, "usable_for_email"));
		if (ok && usable != NULL && (strcmp(usable, "true") == 0) != k.email) {
			ok = false;
			why = "e-mail usability differs";
		}
		conf_judge(&t, deviations, NDEV, id, ok, ours, &k.findings, why);
	}
	printf("conformance %s: %zu/%zu pass, %zu documented deviations, %zu failures\n", file,
	       t.pass, t.total, t.deviation, t.fail);
	*failures += t.fail;
	zs_arena_deinit(&a);
}

static void test_conformance_dkim_all_files(void **state)
{
	char *names[64];
	size_t n = conf_list_yaml(DKIM_DIR, names, 64);
	assert_true(n >= 4);
	size_t failures = 0;
	for (size_t i = 0; i < n; i++) {
		run_file(names[i], &failures);
		zs_free(names[i]);
	}
	failures += conf_unseen(deviations, NDEV);
	assert_int_equal(failures, 0);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_dkim_all_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
