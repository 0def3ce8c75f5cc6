/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the MTA-STS, TLS-RPT and BIMI parsers, their JSON, and the lookup machine with
 * the input as every TXT answer.
 */
#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/policy/sts.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zs_arena a;
	struct zs_buf b;
	struct zs_json j;
	struct zs_mtasts_record m;
	struct zs_tlsrpt_record t;
	struct zs_bimi_record bi;

	zs_arena_init(&a);
	zs_buf_init(&b, 1 << 20);
	zs_json_init(&j, &b);
	zs_json_arr_begin(&j);
	zs_mtasts_parse(&a, (const char *)data, size, &m);
	zs_mtasts_record_json(&j, &m);
	zs_tlsrpt_parse(&a, (const char *)data, size, &t);
	zs_tlsrpt_record_json(&j, &t);
	zs_bimi_parse(&a, (const char *)data, size, &bi);
	zs_bimi_record_json(&j, &bi);
	zs_json_arr_end(&j);

	struct zs_sts_ctx *c = zs_sts_new(&a, "example.com");
	fuzz_drive(&zs_sts_lookup_ops, c, data, size);
	zs_buf_reset(&b);
	zs_json_init(&j, &b);
	zs_sts_result_json(&j, zs_sts_result(c));

	zs_buf_deinit(&b);
	zs_arena_deinit(&a);
	return 0;
}
