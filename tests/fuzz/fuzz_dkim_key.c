/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the DKIM key-record parser (base64 and DER through OpenSSL), its JSON, the
 * selector-list reader, and selector discovery with the input as every TXT answer.
 */
#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/dkim.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zs_arena a;
	struct zs_buf b;
	struct zs_json j;
	struct zs_dkim_key k;

	zs_arena_init(&a);
	zs_buf_init(&b, 1 << 20);
	zs_json_init(&j, &b);
	zs_dkim_key_parse(&a, (const char *)data, size, &k);
	zs_dkim_key_json(&j, &k);

	const char **list = NULL;
	size_t count = 0;
	size_t line = 0;
	(void)zs_dkim_selectors_parse(&a, (const char *)data, size, &list, &count, &line);

	static const char *const sel[] = { "google", "selector1", "s1" };
	struct zs_dkim_opts opts = { .selectors = sel, .selector_count = 3 };
	struct zs_dkim_ctx *c = zs_dkim_new(&a, "example.com", &opts);
	fuzz_drive(&zs_dkim_lookup_ops, c, data, size);
	zs_buf_reset(&b);
	zs_json_init(&j, &b);
	zs_dkim_result_json(&j, zs_dkim_result(c));

	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
	return 0;
}
