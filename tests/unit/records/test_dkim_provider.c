/* SPDX-License-Identifier: MIT */
/* Unit tests of scanner/policy/dkim_provider.c (the provider table) and dkim_learn.c. */
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/policy/dkim_learn.h"
#include "scanner/policy/dkim_provider.h"
#include "tests/unit/test.h"

static int parse(struct zs_arena *a, const char *text, struct zs_dkim_providers *t, size_t *line,
                 const char **msg)
{
	*line = 0;
	*msg = NULL;
	return zs_dkim_providers_parse(a, text, strlen(text), t, line, msg);
}

static void test_dkim_providers_parse_and_match(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dkim_providers t;
	size_t line;
	const char *msg;
	const char text[] =
	        "# comment\n"
	        "\n"
	        "fast  selectors=FM1,fm2 spf=spf.Example-Mail.net. mx=mail.example  # x\r\n"
	        "other selectors=s9 cname=dkim.other.example\n";
	assert_int_equal(parse(&a, text, &t, &line, &msg), 0);
	assert_int_equal(t.count, 2);
	assert_string_equal(t.p[0].name, "fast");
	assert_int_equal(t.p[0].line, 3);
	assert_int_equal(t.p[0].selector_count, 2);
	assert_string_equal(t.p[0].selectors[0], "fm1");
	assert_string_equal(t.p[0].suffixes[ZS_DKIM_EV_SPF][0], "spf.example-mail.net");
	assert_int_equal(t.p[0].suffix_count[ZS_DKIM_EV_CNAME], 0);

	/* a suffix matches the name itself or names below it, label by label, any case */
	assert_ptr_equal(zs_dkim_providers_match(&t, ZS_DKIM_EV_MX, "mail.example"), &t.p[0]);
	assert_ptr_equal(zs_dkim_providers_match(&t, ZS_DKIM_EV_MX, "In1.Mail.Example."), &t.p[0]);
	assert_null(zs_dkim_providers_match(&t, ZS_DKIM_EV_MX, "gmail.example"));
	assert_null(zs_dkim_providers_match(&t, ZS_DKIM_EV_MX, "example"));
	/* only the evidence of its kind */
	assert_null(zs_dkim_providers_match(&t, ZS_DKIM_EV_SPF, "mail.example"));
	assert_ptr_equal(zs_dkim_providers_match(&t, ZS_DKIM_EV_SPF, "_x.spf.example-mail.net"),
	                 &t.p[0]);
	assert_ptr_equal(
	        zs_dkim_providers_match(&t, ZS_DKIM_EV_CNAME, "s9.customer.dkim.other.example"),
	        &t.p[1]);
	assert_null(zs_dkim_providers_match(&t, ZS_DKIM_EV_CNAME, "dkim.other.example.net"));
	assert_null(zs_dkim_providers_match(NULL, ZS_DKIM_EV_MX, "mail.example"));
	zs_arena_deinit(&a);
}

static void test_dkim_providers_parse_errors(void **state)
{
	static const struct {
		const char *text;
		size_t line;
		const char *msg;
	} bad[] = {
		{ "ok selectors=a mx=m.example\nBad selectors=a mx=m.example\n", 2, "name" },
		{ "p selectors=a mx=m.example\np selectors=b mx=n.example\n", 2, "twice" },
		{ "p mx=m.example\n", 1, "no selectors" },
		{ "p selectors=a\n", 1, "nothing would identify" },
		{ "p selectors=a,,b mx=m.example\n", 1, "selector" },
		{ "p selectors=a mx=m..example\n", 1, "domain name" },
		{ "p selectors=a mx=m.example mx=n.example\n", 1, "twice" },
		{ "p selectors=a ptr=m.example\n", 1, "unknown key" },
		{ "p selectors=a m.example\n", 1, "key=value" },
		{ "p selectors=a,b,c,d,e,f,g,h,i mx=m.example\n", 1, "more than 8" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct zs_arena a;
		zs_arena_init(&a);
		struct zs_dkim_providers t;
		size_t line;
		const char *msg;
		assert_int_equal(parse(&a, bad[i].text, &t, &line, &msg), ZS_ERR_PARSE);
		assert_int_equal(line, bad[i].line);
		assert_non_null(strstr(msg, bad[i].msg));
		zs_arena_deinit(&a);
	}
}

/* The table shipped in policies/ parses, and names the providers the documents describe. */
static void test_dkim_providers_builtin_table(void **state)
{
	struct zs_arena a;
	zs_arena_init(&a);
	struct zs_dkim_providers t;
	size_t line = 0;
	const char *msg = NULL;
	assert_int_equal(zs_dkim_providers_load(&a, ZS_SOURCE_DIR "/policies/dkim-providers.txt",
	                                        &t, &line, &msg),
	                 0);
	assert_true(t.count >= 10);
	const struct zs_dkim_provider *p =
	        zs_dkim_providers_match(&t, ZS_DKIM_EV_MX, "aspmx.l.google.com");
	assert_non_null(p);
	assert_string_equal(p->selectors[0], "google");
	p = zs_dkim_providers_match(&t, ZS_DKIM_EV_CNAME,
	                            "selector1-example-com._domainkey.example.onmicrosoft.com");
	assert_non_null(p);
	assert_string_equal(p->name, "microsoft");
	p = zs_dkim_providers_match(&t, ZS_DKIM_EV_SPF, "mailgun.org");
	assert_non_null(p);
	assert_string_equal(p->selectors[0], "pdk1");
	assert_true(zs_dkim_providers_load(&a, "/nonexistent/zonesweep", &t, &line, &msg) < 0);
	zs_arena_deinit(&a);
}

static void test_dkim_learned_layers(void **state)
{
	struct zs_dkim_learned *t = zs_dkim_learned_new(2);
	const char *out[ZS_DKIM_LEARN_KEEP];

	/* the previous runs' selectors are usable at once, most-seen first */
	assert_int_equal(zs_dkim_learned_seed(t, "relay.example", "rm2024", 3), 0);
	assert_int_equal(zs_dkim_learned_seed(t, "relay.example", "rm2025", 9), 0);
	assert_int_equal(zs_dkim_learned_get(t, "relay.example", out, 4), 2);
	assert_string_equal(out[0], "rm2025");
	assert_string_equal(out[1], "rm2024");
	assert_int_equal(zs_dkim_learned_get(t, "relay.example", out, 1), 1);
	assert_int_equal(zs_dkim_learned_get(t, "other.example", out, 4), 0);

	/* this run's notes wait for the promotion, then rank by all their domains */
	for (int i = 0; i < 12; i++) {
		assert_int_equal(zs_dkim_learned_note(t, "relay.example", "rm2026"), 0);
	}
	assert_int_equal(zs_dkim_learned_note(t, "relay.example", "rm2024"), 0);
	assert_int_equal(zs_dkim_learned_get(t, "relay.example", out, 4), 2);
	zs_dkim_learned_promote(t);
	assert_int_equal(zs_dkim_learned_get(t, "relay.example", out, 4), 3);
	assert_string_equal(out[0], "rm2026");
	assert_string_equal(out[1], "rm2025");
	assert_string_equal(out[2], "rm2024"); /* 3 before + 1 now, ties broken by name */

	/* bounded: a third provider and a ninth selector do not fit */
	assert_int_equal(zs_dkim_learned_note(t, "second.example", "a"), 0);
	assert_int_equal(zs_dkim_learned_note(t, "third.example", "a"), ZS_ERR_TOOBIG);
	for (int i = 0; i < ZS_DKIM_LEARN_KEEP; i++) {
		char sel[8];
		(void)snprintf(sel, sizeof(sel), "s%d", i);
		(void)zs_dkim_learned_note(t, "second.example", sel);
	}
	assert_int_equal(zs_dkim_learned_dropped(t), 2);
	zs_dkim_learned_free(t);
}

/* What a run keeps for the next: its own notes only, in one order. */
static int collect(const struct zs_dkim_learned_entry *e, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	(void)snprintf(buf + n, 256 - n, "%s/%s=%u ", e->provider, e->selector,
	               (unsigned)e->domains);
	return 0;
}

static void test_dkim_learned_each(void **state)
{
	struct zs_dkim_learned *t = zs_dkim_learned_new(10);
	char buf[256] = "";
	(void)zs_dkim_learned_seed(t, "b.example", "old", 5);
	(void)zs_dkim_learned_note(t, "b.example", "new");
	(void)zs_dkim_learned_note(t, "b.example", "new");
	(void)zs_dkim_learned_note(t, "a.example", "x");
	(void)zs_dkim_learned_note(t, "b.example", "old");
	assert_int_equal(zs_dkim_learned_each(t, collect, buf), 0);
	assert_string_equal(buf, "a.example/x=1 b.example/new=2 b.example/old=1 ");
	zs_dkim_learned_free(t);
	zs_dkim_learned_free(NULL);
}

int main(void)
{
	zs_test_use_cmocka_allocator();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dkim_providers_parse_and_match),
		cmocka_unit_test(test_dkim_providers_parse_errors),
		cmocka_unit_test(test_dkim_providers_builtin_table),
		cmocka_unit_test(test_dkim_learned_layers),
		cmocka_unit_test(test_dkim_learned_each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
