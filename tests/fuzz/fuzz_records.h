/* SPDX-License-Identifier: MIT */
/*
 * What the record fuzz targets share: a driver that runs a discovery machine to its end,
 * answering every TXT question with the fuzz input (split into 255-byte character-strings, so
 * the joined record is the input) and every other question alternately with NXDOMAIN and
 * SERVFAIL, and a JSON pass over a result with a bounded buffer.
 */
#pragma once

#include <stdint.h>
#include <string.h>

#include "scanner/base/answer.h"
#include "scanner/base/mem.h"
#include "scanner/policy/lookup.h"

static inline void fuzz_drive(const struct zs_lookup_ops *ops, void *ctx, const uint8_t *data,
                              size_t size)
{
	enum { MAX_STRINGS = 512 };
	static const uint8_t *str[MAX_STRINGS];
	static uint16_t len[MAX_STRINGS];
	size_t count = 0;
	for (size_t off = 0; off < size && count < MAX_STRINGS; off += 255) {
		str[count] = data + off;
		len[count] = (uint16_t)(size - off > 255 ? 255 : size - off);
		count++;
	}
	struct zs_rr rr;
	memset(&rr, 0, sizeof(rr));
	rr.type = ZS_RR_TXT;
	rr.u.txt.count = count;
	rr.u.txt.str = str;
	rr.u.txt.len = len;

	struct zs_lookup need[16];
	unsigned turn = 0;
	for (int guard = 0; guard < 1000; guard++) {
		size_t n = 0;
		int ret = ops->step(ctx, need, 16, &n);
		if (ret != ZS_POLICY_NEED_LOOKUP) {
			return; /* DONE; WAIT cannot happen: every question is answered at once */
		}
		for (size_t i = 0; i < n; i++) {
			struct zs_answer ans;
			memset(&ans, 0, sizeof(ans));
			if (need[i].type == ZS_RR_TXT) {
				ans.status = ZS_DNS_NOERROR;
				ans.count = 1;
				ans.rr = &rr;
			} else {
				ans.status = (turn++ % 2) ? ZS_DNS_NXDOMAIN : ZS_DNS_SERVFAIL;
			}
			(void)ops->answer(ctx, need[i].id, &ans);
		}
	}
}
