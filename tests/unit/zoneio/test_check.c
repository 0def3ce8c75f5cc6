/* SPDX-License-Identifier: MIT */
/*
 * Tests of zone sanity: zoneio/check.c (each refusal, and the limits), and the figures it
 * works on, as zs_zone_survey() reads them: the digest of the delegations depends on their set
 * only, and the first syntax error is named by file and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/base/err.h"
#include "tests/unit/test.h"
#include "zoneio/check.h"

static const struct zs_zone_limits limits = { .max_error_share = ZS_ZONE_MAX_ERROR_SHARE,
	                                      .max_shrink = ZS_ZONE_MAX_SHRINK };

/* The figures of a sound zone of 1000 delegations. */
static struct zs_zone_stats sound(void)
{
	return (struct zs_zone_stats){ .records = 3001,
		                       .delegations = 1000,
		                       .has_serial = true,
		                       .serial = 7,
		                       .complete = true };
}

static void expect_refused(const struct zs_zone_stats *z, const struct zs_zone_baseline *prev,
                           const struct zs_zone_limits *lim, const char *words)
{
	char why[512] = "";
	assert_int_equal(zs_zone_check(z, "post", prev, lim, why, sizeof(why)), ZS_ERR_REFUSED);
	if (strstr(why, words) == NULL) {
		fail_msg("refusal '%s' does not say '%s'", why, words);
	}
}

static void test_check_zone_sound(void **state)
{
	struct zs_zone_stats z = sound();
	struct zs_zone_baseline prev = { .run_id = 4, .delegations = 1100 };
	char why[512] = "";
	assert_int_equal(zs_zone_check(&z, "post", NULL, &limits, why, sizeof(why)), 0);
	/* 1000 of 1100 is 9.1 % fewer: within 10 % */
	assert_int_equal(zs_zone_check(&z, "post", &prev, &limits, why, sizeof(why)), 0);
	z.errors = 30; /* 30 of 3031 lines: within 1 % */
	assert_int_equal(zs_zone_check(&z, "post", &prev, &limits, why, sizeof(why)), 0);
}

static void test_check_zone_refusals(void **state)
{
	struct zs_zone_stats z = { .complete = true };
	expect_refused(&z, NULL, &limits, "empty");
	z.errors = 12; /* binary garbage: nothing but errors */
	expect_refused(&z, NULL, &limits, "not a zone file");
	z = sound();
	z.has_serial = false;
	z.out_of_zone = 3001;
	expect_refused(&z, NULL, &limits, "no SOA record at the apex post.");
	expect_refused(&z, NULL, &limits, "another TLD");
	z = sound();
	z.delegations = 0;
	expect_refused(&z, NULL, &limits, "no delegation");
	struct zs_zone_limits lim = limits;
	lim.allow_empty = true;
	char why[512];
	assert_int_equal(zs_zone_check(&z, "post", NULL, &lim, why, sizeof(why)), 0);
	z = sound();
	z.errors = 31; /* 31 of 3032: over 1 % */
	expect_refused(&z, NULL, &limits, "syntax errors");
	z = sound();
	z.complete = false;
	expect_refused(&z, NULL, &limits, "not read to its end");
}

static void test_check_zone_shrink(void **state)
{
	struct zs_zone_stats z = sound();
	struct zs_zone_baseline prev = { .run_id = 4, .delegations = 1112 };
	struct zs_zone_limits lim = limits;
	char why[512] = "";

	/* 112 fewer than 1112 is 10.1 % */
	expect_refused(&z, &prev, &lim, "fewer than the 1112 of run 4");
	expect_refused(&z, &prev, &lim, "--allow-shrink");
	lim.allow_shrink = true;
	assert_int_equal(zs_zone_check(&z, "post", &prev, &lim, why, sizeof(why)), 0);
	lim = limits;
	lim.max_shrink = 0.5;
	assert_int_equal(zs_zone_check(&z, "post", &prev, &lim, why, sizeof(why)), 0);
	/* growing is never a reason */
	prev.delegations = 10;
	assert_int_equal(zs_zone_check(&z, "post", &prev, &limits, why, sizeof(why)), 0);
	/* without a previous run there is nothing to compare with */
	prev = (struct zs_zone_baseline){ 0 };
	assert_int_equal(zs_zone_check(&z, "post", &prev, &limits, why, sizeof(why)), 0);
}

/* Write a zone to a temporary file; @return its path (static) */
static const char *zone_file(const char *text)
{
	static char path[64];
	(void)snprintf(path, sizeof(path), "/tmp/zs-test-check-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	return path;
}

static void survey(const char *text, struct zs_zone_stats *z, char *first, size_t len, int want)
{
	struct zs_zone_opts o = { .origin = "post", .digest = true };
	const char *path = zone_file(text);
	assert_int_equal(zs_zone_survey(path, &o, z, first, len), want);
	(void)unlink(path);
}

#define SOA "post. 3600 IN SOA ns.post. hostmaster.post. 2026112501 3600 600 86400 300\n"

static void test_survey_digest(void **state)
{
	struct zs_zone_stats a;
	struct zs_zone_stats b;
	struct zs_zone_stats c;
	char first[320];

	survey(SOA "a.post. NS ns1.x.\nb.post. NS ns1.x.\nc.post. NS ns2.x.\n", &a, first,
	       sizeof(first), 0);
	assert_int_equal(a.delegations, 3);
	assert_true(a.has_serial && a.serial == 2026112501u && a.complete);
	assert_string_equal(first, "");
	/* the same set in another order, case and with other NS: the same digest */
	survey(SOA "C.post. NS ns9.x.\na.post. NS ns1.x.\nB.Post. NS ns3.x.\n", &b, first,
	       sizeof(first), 0);
	assert_memory_equal(a.digest, b.digest, sizeof(a.digest));
	/* one delegation less: another digest */
	survey(SOA "a.post. NS ns1.x.\nb.post. NS ns1.x.\n", &c, first, sizeof(first), 0);
	assert_memory_not_equal(a.digest, c.digest, sizeof(a.digest));
	/* no delegation: the digest of the empty set is zero */
	static const uint8_t zero[32];
	survey(SOA, &c, first, sizeof(first), 0);
	assert_memory_equal(c.digest, zero, sizeof(zero));
}

static void test_survey_errors(void **state)
{
	struct zs_zone_stats z;
	char first[320];

	survey(SOA "a.post. NS ns1.x.\nb.post. NS\nc.post. NS ns2.x.\n", &z, first, sizeof(first),
	       0);
	assert_int_equal(z.errors, 1);
	assert_int_equal(z.delegations, 2);
	assert_null(z.first_errors);
	assert_non_null(strstr(first, ":3: "));
	/* a file that is not there */
	struct zs_zone_opts o = { .origin = "post" };
	assert_int_equal(zs_zone_survey("/nonexistent/zone", &o, &z, first, sizeof(first)),
	                 -ENOENT);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_zone_sound),
		cmocka_unit_test(test_check_zone_refusals),
		cmocka_unit_test(test_check_zone_shrink),
		cmocka_unit_test(test_survey_digest),
		cmocka_unit_test(test_survey_errors),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
