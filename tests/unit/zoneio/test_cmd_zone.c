/* SPDX-License-Identifier: MIT */
/*
 * Tests of `zonesweep zone` (scanner/cmd_zone.c): what it prints with --list, --count and
 * --json, and its exit status for a good zone, a missing file, a damaged gzip file, strict mode
 * and usage errors. The command writes to stdout; each test sends stdout to a file and reads it.
 */
#include <fcntl.h>
#include <unistd.h>

#include "scanner/base/log.h"
#include "scanner/commands.h"
#include "tests/unit/test.h"
#include "tests/unit/zoneio/zone_test_util.h"

#define DATA ZS_TEST_DATA "/zoneio"

struct run {
	int status;
	char *out; /**< what the command printed on stdout */
};

static struct run run_cmd(int argc, const char **argv)
{
	char path[256];
	const char *dir = getenv("TMPDIR");
	struct run r;
	(void)snprintf(path, sizeof(path), "%s/zs_test_cmd_zone_%d.out", dir != NULL ? dir : "/tmp",
	               (int)getpid());
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	(void)close(fd);
	r.status = zs_cmd_zone(argc, (char **)argv);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	(void)close(saved);
	r.out = zs_test_slurp(path, NULL);
	assert_non_null(r.out);
	(void)unlink(path);
	return r;
}

static void test_cmd_zone_list_count_json(void **state)
{
	const char *list[] = { "zone", DATA "/basic.zone" };
	struct run r = run_cmd(2, list);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out,
	                    "example.bank\nsecond.bank\ndeep.ent.bank\ndup.bank\nlast.bank\n");
	zs_free(r.out);

	const char *count[] = { "zone", DATA "/basic.zone", "--count" };
	r = run_cmd(3, count);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out, "5\n");
	zs_free(r.out);

	const char *json[] = { "zone", "--json", "--tld", "bank", DATA "/parens.zone" };
	r = run_cmd(5, json);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(
	        r.out,
	        "{\"name\":\"one.bank\",\"ns\":[\"ns1.one.bank\",\"ns2.one.bank\"],\"ds\":[],"
	        "\"glue\":[{\"ns\":\"ns1.one.bank\",\"address\":\"192.0.2.1\"}]}\n"
	        "{\"name\":\"two.bank\",\"ns\":[\"ns.example.net\"],\"ds\":[{\"keytag\":4711,"
	        "\"algorithm\":13,\"digest_type\":2}],\"glue\":[]}\n");
	zs_free(r.out);

	const char *ldns[] = { "zone", "--engine", "ldns", "--count", DATA "/basic.zone" };
	r = run_cmd(5, ldns);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out, "5\n");
	zs_free(r.out);
}

static void test_cmd_zone_failures(void **state)
{
	/* Syntax errors are skipped and counted: still a complete read. */
	const char *errors[] = { "zone", DATA "/errors.zone", "--count" };
	struct run r = run_cmd(3, errors);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out, "3\n");
	zs_free(r.out);

	const char *strict[] = { "zone", DATA "/errors.zone", "--count", "--strict" };
	r = run_cmd(4, strict);
	assert_int_equal(r.status, ZS_EXIT_FAIL);
	zs_free(r.out);

	const char *missing[] = { "zone", DATA "/missing.zone" };
	r = run_cmd(2, missing);
	assert_int_equal(r.status, ZS_EXIT_FAIL);
	assert_string_equal(r.out, "");
	zs_free(r.out);

	const char *bad_tld[] = { "zone", "--tld", "a..b", DATA "/basic.zone" };
	r = run_cmd(4, bad_tld);
	assert_int_equal(r.status, ZS_EXIT_FAIL);
	zs_free(r.out);

	const char *refused[] = { "zone", DATA "/include.zone", "--count" };
	r = run_cmd(3, refused);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out, "2\n"); /* before and after: the includes refused */
	zs_free(r.out);
	const char *allowed[] = { "zone", DATA "/include.zone", "--count", "--allow-include" };
	r = run_cmd(4, allowed);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out, "5\n");
	zs_free(r.out);
}

static void test_cmd_zone_usage(void **state)
{
	const char *help[] = { "zone", "--help" };
	struct run r = run_cmd(2, help);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_non_null(strstr(r.out, "usage: zonesweep zone FILE"));
	zs_free(r.out);

	const char *cases[][4] = {
		{ "zone", NULL },
		{ "zone", "--bogus", DATA "/basic.zone", NULL },
		{ "zone", "--count", "--json", DATA "/basic.zone" },
		{ "zone", "a.zone", "b.zone", NULL },
		{ "zone", "--axfr", "127.0.0.1", NULL },
		{ "zone", "--tsig", "k", DATA "/basic.zone" },
		{ "zone", "--engine", "bind", DATA "/basic.zone" },
		{ "zone", "--max-errors", "0", DATA "/basic.zone" },
		{ "zone", DATA "/basic.zone", "--tld", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int argc = 0;
		while (argc < 4 && cases[i][argc] != NULL) {
			argc++;
		}
		r = run_cmd(argc, cases[i]);
		if (r.status != ZS_EXIT_USAGE) {
			print_error("case %zu: status %d\n", i, r.status);
		}
		assert_int_equal(r.status, ZS_EXIT_USAGE);
		zs_free(r.out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_zone_list_count_json),
		cmocka_unit_test(test_cmd_zone_failures),
		cmocka_unit_test(test_cmd_zone_usage),
	};
	zs_log_set_level(ZS_LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
