/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: SPF macro checking and expansion. The first byte picks the flags and the client
 * family, the rest is the macro-string. Invariants: expansion fails with ZS_ERR_PARSE exactly
 * when the check fails, a failed expansion leaves the output as it was, and %{p} is reported
 * missing only when the string uses it.
 */
#include <stdlib.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/policy/spf_macro.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0) {
		return 0;
	}
	unsigned flags = data[0] & (ZS_SPF_MACRO_EXP | ZS_SPF_MACRO_UNKNOWN);
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	struct zs_spf_ip ip;
	if (zs_spf_ip_parse((data[0] & 4) ? "2001:db8::cb01" : "192.0.2.3", &ip) != 0) {
		abort();
	}
	struct zs_spf_macro_env env = {
		.sender = "strong-bad@email.example.com",
		.local = "strong-bad",
		.sender_domain = "email.example.com",
		.domain = "email.example.com",
		.ip = &ip,
		.ptr = (data[0] & 8) ? NULL : "mx.example.com",
		.helo = "mx.example.org",
		.receiver = "rx.example.net",
		.now = "1700000000",
	};
	struct zs_buf out;
	struct zs_spf_syntax err;
	char missing = 0;

	zs_buf_init(&out, 8192);
	(void)zs_buf_puts(&out, "x");
	int check = zs_spf_macro_check(s, len, flags, &err);
	if (check != 0 && err.pos > len) { /* "not closed" points just past the end */
		abort();
	}
	int ret = zs_spf_macro_expand(&env, s, len, flags, &out, &missing);
	if ((check == ZS_ERR_PARSE) != (ret == ZS_ERR_PARSE)) {
		abort();
	}
	if (ret != 0 && strcmp(zs_buf_cstr(&out), "x") != 0) {
		abort();
	}
	if (ret == ZS_ERR_NOTFOUND && (missing != 'p' || !zs_spf_macro_uses(s, len, 'p'))) {
		abort();
	}
	zs_buf_deinit(&out);
	return 0;
}
