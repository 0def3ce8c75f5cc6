/* SPDX-License-Identifier: MIT */
/* Mail headers that cannot be injected into, quoted-printable bodies, mbox framing. */
#include <stdio.h>
#include <string.h>

#include "reports/mail.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "tests/unit/test.h"

static void test_mail_addr_ok(void **state)
{
	(void)state;
	assert_true(zs_mail_addr_ok("secretariat@post.example"));
	assert_true(zs_mail_addr_ok("first.last+tag@mail-1.example.post"));
	assert_false(zs_mail_addr_ok("a@b\r\nBcc: victim@example.com"));
	assert_false(zs_mail_addr_ok("a b@example.com"));
	assert_false(zs_mail_addr_ok("\"quoted\"@example.com"));
	assert_false(zs_mail_addr_ok("a..b@example.com"));
	assert_false(zs_mail_addr_ok(".a@example.com"));
	assert_false(zs_mail_addr_ok("a@"));
	assert_false(zs_mail_addr_ok("@example.com"));
	assert_false(zs_mail_addr_ok("a@exa_mple.com"));
	assert_false(zs_mail_addr_ok("a@example..com"));
	assert_false(zs_mail_addr_ok("a@b@example.com"));
	assert_false(zs_mail_addr_ok("müller@example.com"));
}

static void test_mail_mailbox_parse(void **state)
{
	char name[64];
	char addr[64];
	(void)state;
	assert_int_equal(zs_mail_mailbox_parse("UPU Secretariat <s@post.example>", name,
	                                       sizeof(name), addr, sizeof(addr)),
	                 0);
	assert_string_equal(name, "UPU Secretariat");
	assert_string_equal(addr, "s@post.example");
	assert_int_equal(zs_mail_mailbox_parse("\"Quoted Name\" <s@post.example>", name,
	                                       sizeof(name), addr, sizeof(addr)),
	                 0);
	assert_string_equal(name, "Quoted Name");
	assert_int_equal(
	        zs_mail_mailbox_parse("s@post.example", name, sizeof(name), addr, sizeof(addr)), 0);
	assert_string_equal(name, "");
	assert_int_equal(zs_mail_mailbox_parse("X <s@post.example>\r\nBcc: v@example.com", name,
	                                       sizeof(name), addr, sizeof(addr)),
	                 ZS_ERR_USAGE);
	assert_int_equal(zs_mail_mailbox_parse("X <s@post.example> <t@post.example>", name,
	                                       sizeof(name), addr, sizeof(addr)),
	                 ZS_ERR_USAGE);
	assert_int_equal(
	        zs_mail_mailbox_parse("not an address", name, sizeof(name), addr, sizeof(addr)),
	        ZS_ERR_USAGE);
}

static void test_mail_header_refuses_injection(void **state)
{
	struct zs_buf b;
	(void)state;
	zs_buf_init(&b, 4096);
	assert_int_equal(zs_mail_header(&b, "Subject", "x\r\nBcc: victim@example.com"),
	                 ZS_ERR_USAGE);
	assert_int_equal(zs_mail_header(&b, "Subject", "x\nBcc: victim@example.com"), ZS_ERR_USAGE);
	assert_int_equal(zs_mail_header(&b, "Subject", "nul\x01"), ZS_ERR_USAGE);
	assert_int_equal(zs_mail_header(&b, "Subject", "bad \xff utf-8"), ZS_ERR_USAGE);
	assert_int_equal(zs_mail_header(&b, "Bad Name", "x"), ZS_ERR_USAGE);
	assert_int_equal(zs_mail_header(&b, "To:", "x"), ZS_ERR_USAGE);
	assert_int_equal(
	        zs_mail_mailbox_header(&b, "To", "Name\r\nBcc: v@example.com", "a@example.com"),
	        ZS_ERR_USAGE);
	assert_int_equal(zs_mail_mailbox_header(&b, "To", "Name", "a@example.com\r\nBcc: v@x"),
	                 ZS_ERR_USAGE);
	assert_int_equal(b.len, 0); /* nothing written by a refused header */
	zs_buf_deinit(&b);
}

static void test_mail_header_folds_and_encodes(void **state)
{
	struct zs_buf b;
	(void)state;
	zs_buf_init(&b, 4096);
	assert_int_equal(zs_mail_header(&b, "Subject", "short"), 0);
	assert_string_equal(zs_buf_cstr(&b), "Subject: short\n");
	zs_buf_reset(&b);
	assert_int_equal(zs_mail_header(&b, "Subject",
	                                "a-rather-long-domain-name.post: e-mail authentication "
	                                "records to correct by 2026-12-24"),
	                 0);
	assert_string_equal(zs_buf_cstr(&b), "Subject: a-rather-long-domain-name.post: e-mail "
	                                     "authentication records to\n correct by 2026-12-24\n");
	zs_buf_reset(&b);
	assert_int_equal(zs_mail_header(&b, "Subject", "Grüße"), 0);
	assert_string_equal(zs_buf_cstr(&b), "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\n");
	zs_buf_reset(&b);
	assert_int_equal(zs_mail_mailbox_header(&b, "To", "Ana Müller", "dns@a.post"), 0);
	assert_string_equal(zs_buf_cstr(&b), "To: =?UTF-8?B?QW5hIE3DvGxsZXI=?= <dns@a.post>\n");
	zs_buf_reset(&b);
	assert_int_equal(zs_mail_mailbox_header(&b, "To", "Hostile \"Quoted\" Ltd", "h@f.post"), 0);
	assert_string_equal(zs_buf_cstr(&b), "To: \"Hostile \\\"Quoted\\\" Ltd\" <h@f.post>\n");
	zs_buf_reset(&b);
	assert_int_equal(zs_mail_mailbox_header(&b, "From", NULL, "s@post.example"), 0);
	assert_string_equal(zs_buf_cstr(&b), "From: s@post.example\n");
	zs_buf_deinit(&b);
}

/* Decode quoted-printable (for the round trip). */
static void qp_decode(const char *in, struct zs_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const char *p = in; *p != '\0'; p++) {
		if (*p == '=' && p[1] == '\n') {
			p++;
			continue;
		}
		if (*p == '=') {
			const char *h = strchr(hex, p[1]);
			const char *l = strchr(hex, p[2]);
			assert_non_null(h);
			assert_non_null(l);
			assert_int_equal(zs_buf_putc(out, (char)((h - hex) << 4 | (l - hex))), 0);
			p += 2;
			continue;
		}
		assert_int_equal(zs_buf_putc(out, *p), 0);
	}
}

static void test_mail_qp_round_trip_and_mbox_safe(void **state)
{
	struct zs_buf b;
	struct zs_buf d;
	char body[600];
	(void)state;
	snprintf(body, sizeof(body),
	         "From here on\n>From quoted\n.dot\nx = y \nGrüße\t\n%0300d\nlast line", 7);
	zs_buf_init(&b, 1 << 20);
	zs_buf_init(&d, 1 << 20);
	assert_int_equal(zs_mail_qp(&b, body, strlen(body)), 0);
	/* no line starts with From or >, none is longer than 76 characters */
	for (const char *p = zs_buf_cstr(&b); *p != '\0';) {
		size_t n = strcspn(p, "\n");
		assert_true(n <= 76);
		assert_true(strncmp(p, "From ", 5) != 0);
		assert_true(p[0] != '>');
		p += n + (p[n] == '\n');
	}
	assert_non_null(strstr(zs_buf_cstr(&b), "=46rom here on\n=3EFrom quoted\n"));
	assert_non_null(strstr(zs_buf_cstr(&b), "x =3D y=20\n"));
	qp_decode(zs_buf_cstr(&b), &d);
	assert_int_equal(d.len, strlen(body) + 1); /* plus the final newline */
	assert_memory_equal(d.data, body, strlen(body));
	zs_buf_reset(&b);
	assert_int_equal(zs_mail_qp(&b, "a\r\nb\rc", 6), 0);
	assert_string_equal(zs_buf_cstr(&b), "a\nb\nc\n");
	zs_buf_deinit(&b);
	zs_buf_deinit(&d);
}

static void test_mail_dates(void **state)
{
	char buf[64];
	struct zs_buf b;
	(void)state;
	assert_string_equal(zs_mail_date(buf, sizeof(buf), 1795435200),
	                    "Mon, 23 Nov 2026 12:00:00 +0000");
	zs_buf_init(&b, 256);
	assert_int_equal(zs_mail_from_line(&b, "s@post.example", 1795435200), 0);
	assert_string_equal(zs_buf_cstr(&b), "From s@post.example Mon Nov 23 12:00:00 2026\n");
	assert_int_equal(zs_mail_from_line(&b, "bad address", 1795435200), ZS_ERR_USAGE);
	zs_buf_deinit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_addr_ok),
		cmocka_unit_test(test_mail_mailbox_parse),
		cmocka_unit_test(test_mail_header_refuses_injection),
		cmocka_unit_test(test_mail_header_folds_and_encodes),
		cmocka_unit_test(test_mail_qp_round_trip_and_mbox_safe),
		cmocka_unit_test(test_mail_dates),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
