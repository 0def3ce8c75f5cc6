/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: SPF record parsing, then the whole evaluator on that record. The input is the
 * TXT record of the checked domain; every other question gets a fixed, small answer (one
 * address, one MX host, other TXT names a copy of the input), so includes, redirects, macros
 * and the limits all run on hostile records. Invariants: terms lie inside the record, the
 * evaluation ends within a bounded number of steps, and the JSON of the report fits.
 */
#include <stdlib.h>
#include <string.h>

#include "scanner/base/answer.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/spf.h"
#include "scanner/policy/spf_eval.h"
#include "scanner/policy/spf_report.h"
#include "tests/fuzz/fuzz.h"

static void answer(struct zs_spf_ctx *ctx, const struct zs_spf_need *n, const uint8_t *data,
                   size_t size)
{
	struct zs_rr rr;
	struct zs_answer ans = { .status = ZS_DNS_NOERROR, .count = 1, .rr = &rr };
	const uint8_t *str[256];
	uint16_t len[256];

	memset(&rr, 0, sizeof(rr));
	rr.type = n->type;
	switch (n->type) {
	case ZS_RR_TXT: {
		size_t k = 0;
		for (size_t off = 0; off < size && k < 256; k++) {
			size_t m = size - off > 255 ? 255 : size - off;
			str[k] = data + off;
			len[k] = (uint16_t)m;
			off += m;
		}
		rr.u.txt.count = k;
		rr.u.txt.str = str;
		rr.u.txt.len = len;
		break;
	}
	case ZS_RR_A:
		memcpy(rr.u.a, "\xc0\x00\x02\x01", 4);
		break;
	case ZS_RR_MX:
		rr.u.mx.host = "mx.example.com";
		break;
	case ZS_RR_PTR:
		rr.u.name = "mx.example.com";
		break;
	default:
		ans.status = ZS_DNS_NXDOMAIN;
		ans.count = 0;
		break;
	}
	/* the second level of names does not exist, so that recursion ends quickly */
	if (strncmp(n->name, "example.com", 11) != 0 && n->type == ZS_RR_TXT &&
	    strchr(n->name, 'x') != NULL) {
		ans.status = ZS_DNS_NXDOMAIN;
		ans.count = 0;
	}
	(void)zs_spf_answer(ctx, n->name, n->type, &ans);
}

static void evaluate(struct zs_spf_ctx *ctx, const uint8_t *data, size_t size)
{
	const struct zs_spf_need *need;
	size_t n;
	int steps = 0;

	while (zs_spf_step(ctx, &need, &n) == ZS_SPF_NEED) {
		if (++steps > 2000 || n == 0) {
			abort(); /* every question is answered: the context must make progress */
		}
		/* copy: answering does not invalidate the list, but keep the contract simple */
		for (size_t i = 0; i < n; i++) {
			answer(ctx, &need[i], data, size);
		}
	}
	const struct zs_spf_report *r = zs_spf_report(ctx);
	struct zs_buf b;
	struct zs_json j;
	zs_buf_init(&b, 1 << 22);
	zs_json_init(&j, &b);
	if (r == NULL || zs_spf_report_json(r, &j) != 0) {
		abort();
	}
	zs_buf_reset(&b);
	if (zs_spf_report_tree(r, &b) != 0) {
		abort();
	}
	zs_buf_deinit(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zs_arena a;
	struct zs_spf_record *rec;
	struct zs_spf_syntax err;

	zs_arena_init(&a);
	int ret = zs_spf_record_parse(&a, (const char *)data, size, &rec, &err);
	if (ret == 0) {
		for (size_t i = 0; i < rec->count; i++) {
			if ((size_t)rec->terms[i].pos + rec->terms[i].len > size) {
				abort();
			}
		}
	} else if (ret == ZS_ERR_PARSE && err.pos > size) {
		abort();
	}
	zs_arena_deinit(&a);
	if (size > 4096) {
		return 0;
	}

	struct zs_spf_ctx *ctx = zs_spf_analysis_new("example.com", NULL);
	evaluate(ctx, data, size);
	zs_spf_ctx_free(ctx);

	struct zs_spf_check_params p = { .domain = "example.com",
		                         .sender = "a.b-c@example.com",
		                         .helo = "mail.example.org",
		                         .default_exp = "DEFAULT" };
	const char *ip = size > 0 && (data[size - 1] & 1) ? "2001:db8::1" : "192.0.2.1";
	if (zs_spf_ip_parse(ip, &p.ip) != 0) {
		abort();
	}
	ctx = zs_spf_check_new(&p);
	evaluate(ctx, data, size);
	zs_spf_ctx_free(ctx);
	return 0;
}
