/* SPDX-License-Identifier: MIT */
/*
 * Tests of zoneio/reader.c: every golden zone under tests/data/zoneio/ read by each engine and
 * compared with its .expected file, then gzip (whole, truncated, corrupt, verified), stdin,
 * missing files, strict mode and the error bookkeeping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "scanner/base/log.h"
#include "tests/unit/test.h"
#include "tests/unit/zoneio/zone_test_util.h"

#define DATA ZS_TEST_DATA "/zoneio"

static int golden_dir(enum zs_zone_engine engine)
{
	DIR *dir = opendir(DATA);
	struct dirent *e;
	int cases = 0;
	int failed = 0;

	assert_non_null(dir);
	for (e = readdir(dir); e != NULL; e = readdir(dir)) {
		size_t n = strlen(e->d_name);
		char zone[1024];
		char expected_path[1024];
		struct zs_test_case_opts c;
		int ret;

		if (n < 6 || strcmp(e->d_name + n - 5, ".zone") != 0) {
			continue;
		}
		(void)snprintf(zone, sizeof(zone), "%s/%s", DATA, e->d_name);
		(void)snprintf(expected_path, sizeof(expected_path), "%s/%.*s.expected", DATA,
		               (int)(n - 5), e->d_name);
		char *expected = zs_test_slurp(expected_path, NULL);
		if (expected == NULL) {
			continue; /* a zone used by another test */
		}
		zs_test_case_opts_read(zone, &c);
		if (c.fast_only && engine != ZS_ZONE_ENGINE_FAST) {
			zs_free(expected);
			continue;
		}
		c.opts.engine = engine;
		char *got = zs_test_render(zone, &c.opts, engine == ZS_ZONE_ENGINE_FAST, &ret);
		if (engine != ZS_ZONE_ENGINE_FAST) {
			zs_test_drop_lines(expected, "error-line ");
		}
		cases++;
		if (strcmp(got, expected) != 0) {
			print_error("%s (engine %d)\n--- expected\n%s--- got\n%s", e->d_name,
			            (int)engine, expected, got);
			failed++;
		}
		zs_free(got);
		zs_free(expected);
	}
	closedir(dir);
	assert_true(cases >= 10);
	return failed;
}

static void test_reader_golden_ldns(void **state)
{
	assert_int_equal(golden_dir(ZS_ZONE_ENGINE_LDNS), 0);
}

static void test_reader_golden_fast(void **state)
{
	assert_int_equal(golden_dir(ZS_ZONE_ENGINE_FAST), 0);
}

/* Write @p len bytes of @p data gzip-compressed to @p path. */
static void write_gzip(const char *path, const char *data, size_t len)
{
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
}

static void tmp_path(char *out, size_t n, const char *name)
{
	const char *dir = getenv("TMPDIR");
	(void)snprintf(out, n, "%s/zs_test_reader_%d_%s", dir != NULL ? dir : "/tmp", (int)getpid(),
	               name);
}

static char *render_engine(const char *path, enum zs_zone_engine engine, bool verify, int *ret)
{
	struct zs_zone_opts o = { .engine = engine, .verify_gzip = verify };
	return zs_test_render(path, &o, 0, ret);
}

static void check_gzip(enum zs_zone_engine engine)
{
	char gz[512];
	char cut[512];
	char bad[512];
	size_t len = 0;
	size_t glen = 0;
	int ret;

	tmp_path(gz, sizeof(gz), "basic.zone.gz");
	tmp_path(cut, sizeof(cut), "cut.gz");
	tmp_path(bad, sizeof(bad), "bad.gz");
	char *plain = zs_test_slurp(DATA "/basic.zone", &len);
	assert_non_null(plain);
	write_gzip(gz, plain, len);

	/* The gzip copy reads exactly as the plain file. */
	char *want = render_engine(DATA "/basic.zone", engine, false, &ret);
	assert_int_equal(ret, ZS_ERR_EOF);
	char *got = render_engine(gz, engine, false, &ret);
	assert_int_equal(ret, ZS_ERR_EOF);
	assert_string_equal(got, want);
	zs_free(got);
	got = render_engine(gz, engine, true, &ret);
	assert_int_equal(ret, ZS_ERR_EOF);
	assert_string_equal(got, want);
	zs_free(got);

	/* Truncated: an error, never a shorter zone; verify_gzip refuses it at open. */
	char *comp = zs_test_slurp(gz, &glen);
	FILE *f = fopen(cut, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(comp, 1, glen - 9, f), glen - 9);
	assert_int_equal(fclose(f), 0);
	got = render_engine(cut, engine, false, &ret);
	assert_int_equal(ret, ZS_ERR_GZIP);
	assert_non_null(strstr(got, "complete 0"));
	zs_free(got);
	struct zs_zone_reader *r = NULL;
	struct zs_zone_opts o = { .engine = engine, .verify_gzip = true };
	assert_int_equal(zs_zone_reader_open(cut, &o, &r), ZS_ERR_GZIP);
	assert_null(r);

	/* Corrupt: a flipped byte in the middle (the CRC catches what inflate does not). */
	comp[glen / 2] ^= 0x55;
	f = fopen(bad, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(comp, 1, glen, f), glen);
	assert_int_equal(fclose(f), 0);
	got = render_engine(bad, engine, false, &ret);
	assert_int_equal(ret, ZS_ERR_GZIP);
	zs_free(got);
	assert_int_equal(zs_zone_reader_open(bad, &o, &r), ZS_ERR_GZIP);

	/* Trailing garbage after the last member is corruption too. */
	comp[glen / 2] ^= 0x55;
	f = fopen(bad, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(comp, 1, glen, f), glen);
	assert_int_equal(fwrite("junk", 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
	got = render_engine(bad, engine, false, &ret);
	assert_int_equal(ret, ZS_ERR_GZIP);
	zs_free(got);

	/* Two members are one stream (as zcat reads them). */
	f = fopen(bad, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(comp, 1, glen, f), glen);
	assert_int_equal(fclose(f), 0);
	(void)unlink(cut);
	write_gzip(cut, "last.bank. NS ns.example.net.\n", 30);
	zs_free(comp);
	comp = zs_test_slurp(cut, &glen);
	f = fopen(bad, "ab");
	assert_non_null(f);
	assert_int_equal(fwrite(comp, 1, glen, f), glen);
	assert_int_equal(fclose(f), 0);
	got = render_engine(bad, engine, false, &ret);
	assert_int_equal(ret, ZS_ERR_EOF);
	assert_non_null(strstr(got, "records 28\n"));
	zs_free(got);

	zs_free(comp);
	zs_free(want);
	zs_free(plain);
	(void)unlink(gz);
	(void)unlink(cut);
	(void)unlink(bad);
}

static void test_reader_gzip_fast(void **state)
{
	check_gzip(ZS_ZONE_ENGINE_FAST);
}

static void test_reader_gzip_ldns(void **state)
{
	check_gzip(ZS_ZONE_ENGINE_LDNS);
}

static void check_stdin(enum zs_zone_engine engine)
{
	int ret;
	int saved = dup(STDIN_FILENO);
	int fd = open(DATA "/basic.zone", O_RDONLY);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	(void)close(fd);
	char *got = render_engine("-", engine, false, &ret);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	(void)close(saved);
	char *want = render_engine(DATA "/basic.zone", engine, false, &ret);
	assert_string_equal(got, want);
	zs_free(got);
	zs_free(want);
}

/* verify_gzip needs to read the input twice: a pipe cannot be. */
static void test_reader_verify_pipe(void **state)
{
	char gz[512];
	size_t len = 0;
	int fds[2];
	tmp_path(gz, sizeof(gz), "pipe.zone.gz");
	write_gzip(gz, "one.bank. NS ns.example.net.\n", 29);
	char *comp = zs_test_slurp(gz, &len);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], comp, len), (ssize_t)len);
	(void)close(fds[1]);
	int saved = dup(STDIN_FILENO);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	(void)close(fds[0]);
	struct zs_zone_reader *r = NULL;
	struct zs_zone_opts o = { .verify_gzip = true };
	int ret = zs_zone_reader_open("-", &o, &r);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	(void)close(saved);
	assert_int_equal(ret, ZS_ERR_GZIP_STREAM);
	assert_null(r);
	zs_free(comp);
	(void)unlink(gz);
}

static void test_reader_stdin(void **state)
{
	check_stdin(ZS_ZONE_ENGINE_LDNS);
	check_stdin(ZS_ZONE_ENGINE_FAST);
}

static void test_reader_open_errors(void **state)
{
	struct zs_zone_reader *r = NULL;
	struct zs_zone_opts o = { .origin = "bad..name" };
	for (int e = 0; e < 2; e++) {
		struct zs_zone_opts eo = { .engine = (enum zs_zone_engine)e };
		assert_int_equal(zs_zone_reader_open(DATA "/missing.zone", &eo, &r), -ENOENT);
		assert_int_equal(zs_zone_reader_open(DATA, &eo, &r), -EISDIR);
		o.engine = eo.engine;
		assert_int_equal(zs_zone_reader_open(DATA "/basic.zone", &o, &r), ZS_ERR_PARSE);
	}
	assert_null(r);
	zs_zone_reader_close(NULL);
}

static void check_strict(enum zs_zone_engine engine)
{
	struct zs_zone_reader *r = NULL;
	const struct zs_delegation *d = NULL;
	struct zs_zone_opts o = { .engine = engine, .strict = true };
	assert_int_equal(zs_zone_reader_open(DATA "/errors.zone", &o, &r), 0);
	/* good1.bank is still gathering when line 5 stops the run: nothing is yielded. */
	assert_int_equal(zs_zone_reader_next(r, &d), ZS_ERR_PARSE);
	assert_int_equal(zs_zone_reader_next(r, &d), ZS_ERR_PARSE);
	const struct zs_zone_stats *st = zs_zone_reader_stats(r);
	assert_int_equal(st->errors, 1);
	assert_int_equal(st->errors_kept, 1);
	assert_false(st->complete);
	assert_non_null(strstr(st->first_errors[0].file, "errors.zone"));
	if (engine == ZS_ZONE_ENGINE_FAST) {
		assert_int_equal(st->first_errors[0].line, 5);
	}
	zs_zone_reader_close(r);
}

static void test_reader_strict(void **state)
{
	check_strict(ZS_ZONE_ENGINE_LDNS);
	check_strict(ZS_ZONE_ENGINE_FAST);
}

static void test_reader_errors_kept(void **state)
{
	for (int e = 0; e < 2; e++) {
		struct zs_zone_reader *r = NULL;
		const struct zs_delegation *d = NULL;
		struct zs_zone_opts o = { .engine = (enum zs_zone_engine)e, .max_errors_kept = 2 };
		assert_int_equal(zs_zone_reader_open(DATA "/errors.zone", &o, &r), 0);
		while (zs_zone_reader_next(r, &d) == 0) {
		}
		const struct zs_zone_stats *st = zs_zone_reader_stats(r);
		assert_int_equal(st->errors, 5);
		assert_int_equal(st->errors_kept, 2);
		assert_true(st->complete);
		assert_true(strlen(st->first_errors[1].msg) > 0);
		assert_int_equal(zs_zone_reader_next(r, &d), ZS_ERR_EOF);
		zs_zone_reader_close(r);
	}
}

static void test_reader_apex_unknown(void **state)
{
	char path[512];
	tmp_path(path, sizeof(path), "noapex.zone");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	(void)fputs("one.bank. NS ns.example.net.\n", f);
	assert_int_equal(fclose(f), 0);
	for (int e = 0; e < 2; e++) {
		struct zs_zone_reader *r = NULL;
		const struct zs_delegation *d = NULL;
		struct zs_zone_opts o = { .engine = (enum zs_zone_engine)e };
		assert_int_equal(zs_zone_reader_open(path, &o, &r), 0);
		assert_int_equal(zs_zone_reader_next(r, &d), ZS_ERR_PARSE);
		assert_int_equal(zs_zone_reader_stats(r)->errors, 1);
		zs_zone_reader_close(r);
		o.origin = "bank.";
		assert_int_equal(zs_zone_reader_open(path, &o, &r), 0);
		assert_int_equal(zs_zone_reader_next(r, &d), 0);
		assert_string_equal(d->name, "one.bank");
		assert_int_equal(zs_zone_reader_next(r, &d), ZS_ERR_EOF);
		zs_zone_reader_close(r);
	}
	(void)unlink(path);
}

/* Lines far longer than the reader's block: an error at their line, the rest still read. */
static void test_reader_long_lines(void **state)
{
	char path[512];
	tmp_path(path, sizeof(path), "long.zone");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	(void)fputs("$ORIGIN bank.\none NS ns.example.net.\ntwo TXT \"", f);
	for (int i = 0; i < 3 * 1024 * 1024; i++) {
		(void)fputc('x', f);
	}
	(void)fputs("\"\nthree NS ns.example.net.\nfour NS ( ns.example.net.\n", f);
	for (int i = 0; i < 200000; i++) {
		(void)fputs("\tns.example.net. ; never closed\n", f);
	}
	(void)fputs("five NS ns.example.net.\n", f);
	assert_int_equal(fclose(f), 0);

	struct zs_zone_opts o = { .engine = ZS_ZONE_ENGINE_FAST };
	int ret;
	char *got = zs_test_render(path, &o, 1, &ret);
	assert_int_equal(ret, ZS_ERR_EOF);
	assert_non_null(strstr(got, "one.bank ns=ns.example.net\nthree.bank ns=ns.example.net\n"));
	assert_non_null(strstr(got, "error-line 3\nerror-line 5\n"));
	assert_non_null(strstr(got, "complete 1\n"));
	zs_free(got);
	(void)unlink(path);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[1024];
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	(void)fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Read a zone to its end; the records read and the errors. */
static void read_all(const char *path, enum zs_zone_engine engine, uint64_t *records,
                     uint64_t *errors, uint64_t *delegations)
{
	struct zs_zone_opts o = { .engine = engine, .allow_include = true };
	struct zs_zone_reader *r = NULL;
	const struct zs_delegation *d = NULL;
	assert_int_equal(zs_zone_reader_open(path, &o, &r), 0);
	int ret;
	while ((ret = zs_zone_reader_next(r, &d)) == 0) {
	}
	assert_int_equal(ret, ZS_ERR_EOF);
	const struct zs_zone_stats *st = zs_zone_reader_stats(r);
	*records = st->records;
	*errors = st->errors;
	*delegations = st->delegations;
	zs_zone_reader_close(r);
}

/*
 * $INCLUDE reads regular files only (a FIFO in the zone's directory once hung the reader) and at
 * most ZS__INCLUDE_FILES of them: a file that includes itself five times, eight deep, once read
 * 5^8 files.
 */
static void include_bounds(enum zs_zone_engine engine)
{
	char dir[512];
	char path[1024];
	uint64_t records, errors, delegations;
	tmp_path(dir, sizeof(dir), "inc.XXXXXX");
	assert_non_null(mkdtemp(dir));

	(void)snprintf(path, sizeof(path), "%s/fifo.zone", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	(void)snprintf(path, sizeof(path), "%s/subdir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_text(dir, "special.zone",
	           "$ORIGIN bank.\n@ SOA a b 1 2 3 4 5\n$INCLUDE fifo.zone\n$INCLUDE subdir\n"
	           "one NS ns.example.net.\n");
	(void)snprintf(path, sizeof(path), "%s/special.zone", dir);
	read_all(path, engine, &records, &errors, &delegations);
	assert_int_equal(errors, 2);
	assert_int_equal(delegations, 1);

	write_text(dir, "fan.zone",
	           "x NS ns.example.net.\n$INCLUDE fan.zone\n$INCLUDE fan.zone\n$INCLUDE fan.zone\n"
	           "$INCLUDE fan.zone\n$INCLUDE fan.zone\n");
	write_text(dir, "top.zone", "$ORIGIN bank.\n@ SOA a b 1 2 3 4 5\n$INCLUDE fan.zone\n");
	(void)snprintf(path, sizeof(path), "%s/top.zone", dir);
	read_all(path, engine, &records, &errors, &delegations);
	if (records > 2 + 256) {
		fail_msg("engine %d read %llu records: more than 256 included files", (int)engine,
		         (unsigned long long)records);
	}
	assert_true(errors > 0);
	assert_int_equal(delegations, 1);

	static const char *const names[] = { "fifo.zone", "special.zone", "fan.zone", "top.zone" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)snprintf(path, sizeof(path), "%s/subdir", dir);
	(void)rmdir(path);
	(void)rmdir(dir);
}

static void test_reader_include_bounds_fast(void **state)
{
	include_bounds(ZS_ZONE_ENGINE_FAST);
}

static void test_reader_include_bounds_ldns(void **state)
{
	include_bounds(ZS_ZONE_ENGINE_LDNS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_golden_ldns),
		cmocka_unit_test(test_reader_golden_fast),
		cmocka_unit_test(test_reader_gzip_ldns),
		cmocka_unit_test(test_reader_gzip_fast),
		cmocka_unit_test(test_reader_stdin),
		cmocka_unit_test(test_reader_verify_pipe),
		cmocka_unit_test(test_reader_open_errors),
		cmocka_unit_test(test_reader_strict),
		cmocka_unit_test(test_reader_errors_kept),
		cmocka_unit_test(test_reader_apex_unknown),
		cmocka_unit_test(test_reader_long_lines),
		cmocka_unit_test(test_reader_include_bounds_fast),
		cmocka_unit_test(test_reader_include_bounds_ldns),
	};
	zs_test_use_cmocka_allocator();
	zs_log_set_level(ZS_LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
