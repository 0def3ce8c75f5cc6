/* SPDX-License-Identifier: MIT */
/*
 * Tests of `zonesweep parse` (scanner/cmd_parse.c): one JSON object per record, from the
 * arguments or from standard input, in input order; the SPF object's keys and error position;
 * the exit status for valid, invalid and over-long records and for usage errors. The command
 * writes to stdout; each test sends stdout to a file (and a file to stdin) and reads it back.
 */
#include <fcntl.h>
#include <unistd.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/commands.h"
#include "scanner/policy/spf.h"
#include "tests/unit/test.h"
#include "tests/unit/zoneio/zone_test_util.h"

struct run {
	int status;
	char *out; /**< what the command printed on stdout */
};

static void tmp_path(char *path, size_t size, const char *what)
{
	const char *dir = getenv("TMPDIR");
	(void)snprintf(path, size, "%s/zs_test_cmd_parse_%d.%s", dir != NULL ? dir : "/tmp",
	               (int)getpid(), what);
}

/* Run the command with @p input (NULL: no redirection) on standard input. */
static struct run run_cmd(int argc, const char **argv, const char *input, size_t input_len)
{
	char out_path[256];
	char in_path[256];
	int saved_in = -1;
	struct run r;

	tmp_path(out_path, sizeof(out_path), "out");
	tmp_path(in_path, sizeof(in_path), "in");
	if (input != NULL) {
		FILE *f = fopen(in_path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(input, 1, input_len, f), input_len);
		assert_int_equal(fclose(f), 0);
		int fd = open(in_path, O_RDONLY);
		saved_in = dup(STDIN_FILENO);
		assert_true(fd >= 0 && saved_in >= 0);
		assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
		(void)close(fd);
		clearerr(stdin);
	}
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	(void)close(fd);
	r.status = zs_cmd_parse(argc, (char **)argv);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	(void)close(saved);
	if (input != NULL) {
		assert_int_equal(dup2(saved_in, STDIN_FILENO), STDIN_FILENO);
		(void)close(saved_in);
		clearerr(stdin);
		(void)unlink(in_path);
	}
	r.out = zs_test_slurp(out_path, NULL);
	assert_non_null(r.out);
	(void)unlink(out_path);
	return r;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

static void test_cmd_parse_spf_arguments(void **state)
{
	const char *argv[] = { "parse", "spf", "v=spf1 -mx:a.example/24 -all",
		               "v=spf1 ip4:300.1.1.1 -all", "v=DMARC1; p=none" };
	struct run r = run_cmd(5, argv, NULL, 0);

	assert_int_equal(r.status, ZS_EXIT_FAIL);
	assert_string_equal(
	        r.out,
	        "{\"text\":\"v=spf1 -mx:a.example/24 -all\",\"spf\":true,\"valid\":true,"
	        "\"error\":null,\"dns_terms\":1,\"terms\":["
	        "{\"position\":7,\"term\":\"-mx:a.example/24\",\"kind\":\"mx\",\"qualifier\":\"-\","
	        "\"spec\":\"a.example\"},"
	        "{\"position\":24,\"term\":\"-all\",\"kind\":\"all\",\"qualifier\":\"-\","
	        "\"spec\":null}]}\n"
	        "{\"text\":\"v=spf1 ip4:300.1.1.1 -all\",\"spf\":true,\"valid\":false,"
	        "\"error\":{\"position\":11,\"message\":\"invalid IPv4 address\"}}\n"
	        "{\"text\":\"v=DMARC1; p=none\",\"spf\":false,\"valid\":false,\"error\":"
	        "{\"position\":0,\"message\":\"not an SPF record: it does not start with "
	        "\\\"v=spf1\\\" followed by a space or the end\"}}\n");
	zs_free(r.out);

	const char *good[] = { "parse", "spf", "v=spf1 x-custom=%{d} redirect=_spf.example" };
	r = run_cmd(3, good, NULL, 0);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_non_null(strstr(r.out, "\"kind\":\"unknown\",\"qualifier\":null,\"spec\":\"%{d}\","
	                              "\"name\":\"x-custom\""));
	assert_non_null(strstr(r.out, "\"kind\":\"redirect\""));
	zs_free(r.out);
}

static void test_cmd_parse_stdin(void **state)
{
	/* the last line has no newline; a CR is part of the record (its data escape \x0d,
	 * JSON-escaped) */
	static const char dmarc[] = "v=DMARC1; p=reject\nv=DMARC1; p=none; pct=50\n"
	                            "v=DMARC1; p=quarantine\r";
	const char *argv[] = { "parse", "dmarc" };
	struct run r = run_cmd(2, argv, dmarc, sizeof(dmarc) - 1);

	assert_int_equal(count_lines(r.out), 3);
	assert_non_null(strstr(r.out, "{\"text\":\"v=DMARC1; p=reject\",\"valid\":true"));
	assert_non_null(strstr(r.out, "\"effective\":{\"p\":\"none\""));
	assert_non_null(strstr(r.out, "\"pct\":50"));
	assert_non_null(strstr(r.out, "{\"text\":\"v=DMARC1; p=quarantine\\\\x0d\""));
	zs_free(r.out);

	static const char dkim[] =
	        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	        "v=DKIM1; p=\n";
	const char *kind[] = { "parse", "dkim" };
	r = run_cmd(2, kind, dkim, sizeof(dkim) - 1);
	assert_int_equal(r.status, ZS_EXIT_FAIL); /* a revoked key is not usable */
	assert_int_equal(count_lines(r.out), 2);
	assert_non_null(strstr(r.out, "\"status\":\"valid\",\"type\":\"ed25519\""));
	assert_non_null(strstr(r.out, "\"status\":\"revoked\""));
	zs_free(r.out);

	r = run_cmd(2, kind, "", 0);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_string_equal(r.out, "");
	zs_free(r.out);
}

static void test_cmd_parse_too_long(void **state)
{
	size_t n = (size_t)ZS_SPF_RECORD_MAX + 2;
	char *input = zs_malloc(n + 32);
	memcpy(input, "v=spf1 -all\n", 12);
	memset(input + 12, 'a', n - 1);
	input[12 + n - 1] = '\n';
	memcpy(input + 12 + n, "v=spf1 ?all\n", 12);
	const char *argv[] = { "parse", "spf" };

	/* the first record is printed, the reading stops at the over-long line */
	struct run r = run_cmd(2, argv, input, 12 + n + 12);
	assert_int_equal(r.status, ZS_EXIT_FAIL);
	assert_int_equal(count_lines(r.out), 1);
	assert_non_null(strstr(r.out, "\"text\":\"v=spf1 -all\""));
	zs_free(r.out);
	zs_free(input);
}

static void test_cmd_parse_usage(void **state)
{
	const char *none[] = { "parse" };
	struct run r = run_cmd(1, none, NULL, 0);
	assert_int_equal(r.status, ZS_EXIT_USAGE);
	zs_free(r.out);

	const char *bad[] = { "parse", "mx", "10 mail.example." };
	r = run_cmd(3, bad, NULL, 0);
	assert_int_equal(r.status, ZS_EXIT_USAGE);
	assert_string_equal(r.out, "");
	zs_free(r.out);

	const char *opt[] = { "parse", "--bogus", "spf" };
	r = run_cmd(3, opt, NULL, 0);
	assert_int_equal(r.status, ZS_EXIT_USAGE);
	zs_free(r.out);

	const char *help[] = { "parse", "--help" };
	r = run_cmd(2, help, NULL, 0);
	assert_int_equal(r.status, ZS_EXIT_OK);
	assert_non_null(strstr(r.out, "usage: zonesweep parse spf|dmarc|dkim"));
	zs_free(r.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_parse_spf_arguments),
		cmocka_unit_test(test_cmd_parse_stdin),
		cmocka_unit_test(test_cmd_parse_too_long),
		cmocka_unit_test(test_cmd_parse_usage),
	};
	zs_test_use_cmocka_allocator();
	zs_log_set_level(ZS_LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
