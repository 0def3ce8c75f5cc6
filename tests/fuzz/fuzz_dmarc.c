/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the DMARC parser (policy and report-authorization modes), its JSON, and DMARC
 * discovery with the input as every TXT answer (own record, walk, report authorization).
 */
#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/dmarc.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zs_arena a;
	struct zs_buf b;
	struct zs_json j;
	struct zs_dmarc_record r;

	zs_arena_init(&a);
	zs_buf_init(&b, 1 << 20);
	zs_json_init(&j, &b);
	zs_dmarc_parse(&a, (const char *)data, size, 0, &r);
	zs_dmarc_record_json(&j, &r);
	zs_dmarc_parse(&a, (const char *)data, size, ZS_DMARC_PARSE_REPORT_AUTH, &r);

	struct zs_dmarc_ctx *c = zs_dmarc_new(&a, "a.b.example.com", NULL);
	fuzz_drive(&zs_dmarc_lookup_ops, c, data, size);
	zs_buf_reset(&b);
	zs_json_init(&j, &b);
	zs_dmarc_result_json(&j, zs_dmarc_result(c));

	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
	return 0;
}
