/* SPDX-License-Identifier: MIT */
/*
 * Golden tests of the reports and notices against the rig's PostgreSQL: a fixed history of
 * runs (fixture.c) is stored through the real writer, and every format of every kind of report
 * is compared byte for byte with tests/data/reports/ (run with ZS_UPDATE_GOLDEN=1 to rewrite
 * them after a deliberate change, and review the diff). Also: compressed output, refusing to
 * overwrite, periodic report names, the interrupted / empty / all-indeterminate runs, the
 * notice log and its --min-days window.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "db/db.h"
#include "db/report_query.h"
#include "reports/domain.h"
#include "reports/notice.h"
#include "reports/output.h"
#include "reports/report.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "tests/unit/db/dbtest.h"
#include "tests/unit/reports/fixture.h"
#include "tests/unit/test.h"

struct env {
	struct dbtest *t;
	struct fixture fx;
	char dir[64];
};

static void exec_sql(const char *sql, void *arg)
{
	dbtest_exec(arg, sql);
}

static int group_setup(void **state)
{
	void *t = NULL;
	if (dbtest_setup_migrated(&t) != 0) {
		return -1;
	}
	struct env *e = calloc(1, sizeof(*e));
	e->t = t;
	fixture_build(e->t->conninfo, exec_sql, e->t, &e->fx);
	snprintf(e->dir, sizeof(e->dir), "/tmp/zs-report-test.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		return -1;
	}
	*state = e;
	return 0;
}

static int group_teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	if (e == NULL) {
		return 0; /* the setup failed and said why */
	}
	void *t = e->t;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	if (system(cmd) != 0) {
		print_error("could not remove %s\n", e->dir);
	}
	dbtest_teardown(&t);
	free(e);
	return 0;
}

static struct zs_db *open_db(const struct env *e)
{
	struct zs_db *db = NULL;
	if (zs_db_open(e->t->conninfo, &db) != 0) {
		fail_msg("zs_db_open: %s", zs_db_error(NULL));
	}
	return db;
}

/* A file's content, gunzipped when it is compressed (zlib reads plain files as they are). */
static char *read_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	struct zs_buf b;
	char chunk[65536];
	int n = 0;

	if (gz == NULL) {
		fail_msg("cannot open %s", path);
	}
	zs_buf_init(&b, 1u << 30);
	while ((n = gzread(gz, chunk, sizeof(chunk))) > 0) {
		assert_int_equal(zs_buf_append(&b, chunk, (size_t)n), 0);
	}
	assert_true(n == 0);
	gzclose(gz);
	*len = b.len;
	return zs_buf_steal(&b);
}

static bool is_gzip(const char *path)
{
	unsigned char magic[2] = { 0, 0 };
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(magic, 1, 2, f);
	fclose(f);
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/* The version of the tool changes with every release: goldens name it @VERSION@. */
static void normalise(struct zs_buf *out, const char *p, size_t n)
{
	static const char needle[] = "zonesweep " ZS_VERSION;
	const size_t k = sizeof(needle) - 1;
	for (size_t i = 0; i < n;) {
		if (n - i >= k && memcmp(p + i, needle, k) == 0) {
			assert_int_equal(zs_buf_puts(out, "zonesweep @VERSION@"), 0);
			i += k;
		} else {
			assert_int_equal(zs_buf_putc(out, p[i]), 0);
			i++;
		}
	}
}

static void golden(const char *path, const char *name)
{
	char gpath[1024];
	struct zs_buf got;
	size_t n = 0;
	size_t wn = 0;
	char *raw = read_file(path, &n);

	zs_buf_init(&got, 1u << 30);
	normalise(&got, raw, n);
	zs_free(raw);
	snprintf(gpath, sizeof(gpath), "%s/reports/%s", ZS_TEST_DATA, name);
	if (getenv("ZS_UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(gpath, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(got.data, 1, got.len, f), got.len);
		fclose(f);
	}
	char *want = read_file(gpath, &wn);
	size_t line = 1;
	size_t i = 0;
	for (; i < wn && i < got.len && want[i] == got.data[i]; i++) {
		line += want[i] == '\n';
	}
	if (i != wn || i != got.len) {
		size_t a = i;
		while (a > 0 && got.len > 0 && got.data[a - 1] != '\n') {
			a--;
		}
		fail_msg("%s differs from %s at line %zu:\n  got:  %.160s\n(rewrite goldens with "
		         "ZS_UPDATE_GOLDEN=1 after a deliberate change)",
		         path, gpath, line, got.len > a ? got.data + a : "(end)");
	}
	zs_free(want);
	zs_buf_deinit(&got);
}

/* A file of the test's directory, removed first. */
static void path_in(const struct env *e, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->dir, name);
	(void)unlink(buf);
}

/* A file of the test's directory, as it is. */
static void path_of(const struct env *e, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->dir, name);
}

static void report(const struct env *e, int64_t run, enum zs_report_format f, const char *name,
                   struct zs_report_stats *st)
{
	struct zs_report_opts o = { .format = f, .now = FIXTURE_NOW };
	char path[512];
	char side[512];
	struct zs_db *db = open_db(e);

	path_in(e, name, path, sizeof(path));
	snprintf(side, sizeof(side), "%s/%.*s.summary.%s", e->dir, (int)strcspn(name, "."), name,
	         f == ZS_REPORT_CSV ? "csv" : "json");
	(void)unlink(side);
	int ret = zs_report_run(db, run, path, &o, st);
	if (ret != 0) {
		fail_msg("zs_report_run: %s: %s", zs_err_name(ret), zs_db_error(db));
	}
	zs_db_close(db);
}

/* ---- run reports ---------------------------------------------------------------------- */

static void test_report_run_csv_golden(void **state)
{
	struct env *e = *state;
	struct zs_report_stats st;
	char path[512];

	report(e, e->fx.run_b, ZS_REPORT_CSV, "run-b.csv", &st);
	assert_int_equal(st.domains, 5);
	assert_int_equal(st.n[ZS_DB_NON_COMPLIANT], 3);
	path_of(e, "run-b.csv", path, sizeof(path));
	golden(path, "run-b.csv");
	snprintf(path, sizeof(path), "%s/run-b.summary.csv", e->dir);
	golden(path, "run-b.summary.csv");
	/* the hostile SPF record is neutralised, its bytes escaped, nothing raw */
	size_t n = 0;
	path_of(e, "run-b.csv", path, sizeof(path));
	char *csv = read_file(path, &n);
	assert_non_null(
	        strstr(csv, "\"'=HYPERLINK(\"\"http://attacker.invalid\"\",\"\"click\"\")\""));
	assert_non_null(strstr(csv, ",\"'+cmd|' /C calc'!A0\","));
	assert_null(memchr(csv, '\t', n));
	assert_null(strstr(csv, "\r\nBcc"));
	zs_free(csv);
}

static void test_report_run_jsonl_golden(void **state)
{
	struct env *e = *state;
	char path[512];

	report(e, e->fx.run_b, ZS_REPORT_JSONL, "run-b.jsonl", NULL);
	path_of(e, "run-b.jsonl", path, sizeof(path));
	golden(path, "run-b.jsonl");
	snprintf(path, sizeof(path), "%s/run-b.summary.json", e->dir);
	golden(path, "run-b.summary.json");
}

static void test_report_run_json_golden(void **state)
{
	struct env *e = *state;
	char path[512];

	report(e, e->fx.run_b, ZS_REPORT_JSON, "run-b.json", NULL);
	path_of(e, "run-b.json", path, sizeof(path));
	golden(path, "run-b.json");
}

static void test_report_run_html_golden(void **state)
{
	struct env *e = *state;
	char path[512];
	size_t n = 0;

	report(e, e->fx.run_b, ZS_REPORT_HTML, "run-b.html", NULL);
	snprintf(path, sizeof(path), "%s/run-b.html", e->dir);
	golden(path, "run-b.html");
	char *html = read_file(path, &n);
	/* every piece of DNS text escaped: no markup from the fixture's hostile values */
	assert_null(strstr(html, "<script>alert"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_null(strstr(html, "\r"));
	assert_non_null(strstr(html, "id=\"n-non-compliant\" class=\"n\">3<"));
	zs_free(html);
}

static void test_report_run_gzip_same_content(void **state)
{
	struct env *e = *state;
	char gz[512];
	char plain[512];
	size_t a = 0;
	size_t b = 0;

	report(e, e->fx.run_b, ZS_REPORT_CSV, "run-b-gz.csv.gz", NULL);
	report(e, e->fx.run_b, ZS_REPORT_CSV, "run-b-gz.csv", NULL);
	snprintf(gz, sizeof(gz), "%s/run-b-gz.csv.gz", e->dir);
	snprintf(plain, sizeof(plain), "%s/run-b-gz.csv", e->dir);
	assert_true(is_gzip(gz));
	assert_false(is_gzip(plain));
	char *x = read_file(gz, &a);
	char *y = read_file(plain, &b);
	assert_int_equal(a, b);
	assert_memory_equal(x, y, a);
	zs_free(x);
	zs_free(y);
	snprintf(gz, sizeof(gz), "%s/run-b-gz.summary.csv.gz", e->dir);
	assert_true(is_gzip(gz));
}

static void test_report_run_refuses_existing(void **state)
{
	struct env *e = *state;
	struct zs_report_opts o = { .format = ZS_REPORT_CSV, .now = FIXTURE_NOW };
	char path[512];
	struct zs_db *db = open_db(e);

	report(e, e->fx.run_a, ZS_REPORT_CSV, "exists.csv", NULL);
	snprintf(path, sizeof(path), "%s/exists.csv", e->dir);
	assert_int_equal(zs_report_run(db, e->fx.run_a, path, &o, NULL), -EEXIST);
	o.out_flags = ZS_OUT_OVERWRITE;
	assert_int_equal(zs_report_run(db, e->fx.run_a, path, &o, NULL), 0);
	assert_int_equal(zs_report_run(db, 999999, path, &o, NULL), ZS_ERR_NOTFOUND);
	zs_db_close(db);
}

static void test_report_interrupted_run_marked(void **state)
{
	struct env *e = *state;
	char path[512];
	size_t n = 0;

	report(e, e->fx.run_c, ZS_REPORT_CSV, "run-c.csv", NULL);
	snprintf(path, sizeof(path), "%s/run-c.summary.csv", e->dir);
	golden(path, "run-c.summary.csv");
	char *s = read_file(path, &n);
	assert_non_null(strstr(s, "run,,status,interrupted\r\n"));
	assert_non_null(strstr(s, "was interrupted before it reached the end of the zone"));
	zs_free(s);
	report(e, e->fx.run_c, ZS_REPORT_HTML, "run-c.html", NULL);
	snprintf(path, sizeof(path), "%s/run-c.html", e->dir);
	golden(path, "run-c.html");
	s = read_file(path, &n);
	assert_non_null(strstr(s, "<div class=\"notes partial\" id=\"notes\">"));
	assert_non_null(strstr(s, "id=\"run-status\" class=\"fail\">interrupted<"));
	zs_free(s);
}

static void test_report_empty_run(void **state)
{
	struct env *e = *state;
	struct zs_report_stats st;
	char path[512];

	report(e, e->fx.run_empty, ZS_REPORT_CSV, "empty.csv", &st);
	assert_int_equal(st.domains, 0);
	snprintf(path, sizeof(path), "%s/empty.csv", e->dir);
	golden(path, "empty.csv");
	snprintf(path, sizeof(path), "%s/empty.summary.csv", e->dir);
	golden(path, "empty.summary.csv");
	report(e, e->fx.run_empty, ZS_REPORT_JSON, "empty.json", NULL);
	snprintf(path, sizeof(path), "%s/empty.json", e->dir);
	golden(path, "empty.json");
	report(e, e->fx.run_empty, ZS_REPORT_HTML, "empty.html", NULL);
	snprintf(path, sizeof(path), "%s/empty.html", e->dir);
	golden(path, "empty.html");
}

static void test_report_indeterminate_run(void **state)
{
	struct env *e = *state;
	struct zs_report_stats st;
	char path[512];

	report(e, e->fx.run_indet, ZS_REPORT_CSV, "indet.csv", &st);
	assert_int_equal(st.domains, 2);
	assert_int_equal(st.n[ZS_DB_INDETERMINATE], 2);
	snprintf(path, sizeof(path), "%s/indet.csv", e->dir);
	golden(path, "indet.csv");
	snprintf(path, sizeof(path), "%s/indet.summary.csv", e->dir);
	golden(path, "indet.summary.csv");
	report(e, e->fx.run_indet, ZS_REPORT_JSONL, "indet.jsonl", NULL);
	snprintf(path, sizeof(path), "%s/indet.jsonl", e->dir);
	golden(path, "indet.jsonl");
}

static void test_report_sql_selects_the_rows(void **state)
{
	struct env *e = *state;
	struct zs_buf q;
	struct zs_buf sql;

	zs_buf_init(&q, 1024 * 1024);
	zs_buf_init(&sql, 1024 * 1024);
	assert_int_equal(zs_db_report_sql(e->fx.run_b, &q), 0);
	assert_int_equal(zs_buf_printf(&sql, "SELECT count(*) FROM (%s) x", zs_buf_cstr(&q)), 0);
	assert_int_equal(dbtest_int(e->t, zs_buf_cstr(&sql)), 5);
	zs_buf_deinit(&q);
	zs_buf_deinit(&sql);
}

static void test_report_stream_closed_early_frees_the_connection(void **state)
{
	struct env *e = *state;
	struct zs_db_report_cursor *cur = NULL;
	const struct zs_db_report_row *row = NULL;
	struct zs_db_run *run = NULL;
	struct zs_db *db = open_db(e);

	assert_int_equal(zs_db_report_open(db, e->fx.run_b, NULL, 0, NULL, &cur), 0);
	assert_int_equal(zs_db_report_next(cur, &row), 0);
	assert_string_equal(row->domain, "a-good.post");
	zs_db_report_close(cur);
	assert_int_equal(zs_db_run_get(db, e->fx.run_b, &run), 0);
	assert_int_equal(run->id, e->fx.run_b);
	zs_db_run_free(run);
	/* one domain, read to its end */
	assert_int_equal(
	        zs_db_report_open(db, e->fx.run_b, "e-new.post", ZS_DB_REPORT_RAW, NULL, &cur), 0);
	assert_int_equal(zs_db_report_next(cur, &row), 0);
	assert_int_equal(row->raw_count, 2);
	assert_int_equal(zs_db_report_next(cur, &row), ZS_ERR_EOF);
	assert_int_equal(zs_db_report_next(cur, &row), ZS_ERR_EOF);
	zs_db_report_close(cur);
	assert_int_equal(zs_db_report_open(db, 999999, NULL, 0, NULL, &cur), ZS_ERR_NOTFOUND);
	zs_db_close(db);
}

/* ---- periodic reports ----------------------------------------------------------------- */

static void test_report_period_names_and_no_overwrite(void **state)
{
	struct env *e = *state;
	enum zs_report_format f[] = { ZS_REPORT_CSV, ZS_REPORT_HTML };
	struct zs_report_opts o = { .now = FIXTURE_NOW };
	char path[512];
	size_t written = 0;
	size_t n = 0;
	FILE *log = fopen("/dev/null", "w");
	struct zs_db *db = open_db(e);

	/* the day of run B: .post's report is run B's, .bank and .insurance have theirs */
	int ret = zs_report_period(db, ZS_PERIOD_DAILY, FIXTURE_T0 + 86400 + 3600, NULL, e->dir, f,
	                           2, &o, log, &written);
	assert_int_equal(ret, 0);
	assert_int_equal(written, 6);
	snprintf(path, sizeof(path), "%s/post-daily-2026-11-21.csv.gz", e->dir);
	assert_true(is_gzip(path));
	char *csv = read_file(path, &n);
	assert_non_null(strstr(csv, "\ne-new.post,"));
	zs_free(csv);
	snprintf(path, sizeof(path), "%s/post-daily-2026-11-21.summary.csv.gz", e->dir);
	golden(path, "post-daily-2026-11-21.summary.csv");
	snprintf(path, sizeof(path), "%s/bank-daily-2026-11-21.html.gz", e->dir);
	assert_true(is_gzip(path));
	/* again: every file exists, none is replaced */
	ret = zs_report_period(db, ZS_PERIOD_DAILY, FIXTURE_T0 + 86400 + 3600, NULL, e->dir, f, 2,
	                       &o, log, &written);
	assert_int_equal(ret, -EEXIST);
	assert_int_equal(written, 0);
	/* the week: run B is the last complete .post run of ISO week 47, with A in its trend */
	ret = zs_report_period(db, ZS_PERIOD_WEEKLY, FIXTURE_T0, "post", e->dir, f, 1, &o, log,
	                       &written);
	assert_int_equal(ret, 0);
	assert_int_equal(written, 1);
	snprintf(path, sizeof(path), "%s/post-weekly-2026-W47.summary.csv.gz", e->dir);
	char *sum = read_file(path, &n);
	assert_non_null(strstr(sum, "run,,id,2\r\n"));
	assert_non_null(strstr(sum, "trend,1,domains,4\r\n"));
	assert_non_null(strstr(sum, "report,weekly,period,2026-W47\r\n"));
	zs_free(sum);
	/* a month without runs */
	ret = zs_report_period(db, ZS_PERIOD_MONTHLY, FIXTURE_T0 - 90 * 86400, "post", e->dir, f, 1,
	                       &o, log, &written);
	assert_int_equal(ret, ZS_ERR_NOTFOUND);
	fclose(log);
	zs_db_close(db);
}

static void test_report_period_bounds(void **state)
{
	int64_t from = 0;
	int64_t to = 0;
	char label[32];
	(void)state;

	zs_report_period_bounds(ZS_PERIOD_DAILY, FIXTURE_T0 + 3600, &from, &to, label,
	                        sizeof(label));
	assert_string_equal(label, "2026-11-20");
	assert_int_equal(to - from, 86400);
	zs_report_period_bounds(ZS_PERIOD_WEEKLY, FIXTURE_T0, &from, &to, label, sizeof(label));
	assert_string_equal(label, "2026-W47");
	assert_int_equal(from, FIXTURE_T0 - 6 * 3600 - 4 * 86400); /* Monday 16 November */
	zs_report_period_bounds(ZS_PERIOD_MONTHLY, INT64_C(1798675200), &from, &to, label,
	                        sizeof(label)); /* 2026-12-31 */
	assert_string_equal(label, "2026-12");
	assert_int_equal(to, INT64_C(1798761600)); /* 2027-01-01 */
}

/* ---- the domain report ---------------------------------------------------------------- */

static void test_report_domain_golden(void **state)
{
	struct env *e = *state;
	struct zs_domain_report_opts o = { .format = ZS_REPORT_JSON, .now = FIXTURE_NOW };
	struct zs_db *db = open_db(e);
	char path[512];
	int64_t id = 0;
	size_t n = 0;

	assert_int_equal(zs_db_attestation_add(db, "e-new.post", "POST-NO-OPEN-RELAY", true,
	                                       "2026-11-01", "J. Doe", "letter 2026/17", &id),
	                 0);
	assert_int_equal(zs_db_attestation_add(db, "e-new.post", "POST-2FA-RESET", false,
	                                       "2026-11-02", "", "call <2026-11-02>", &id),
	                 0);
	path_in(e, "domain-e.json", path, sizeof(path));
	assert_int_equal(zs_report_domain(db, "e-new.post", 0, path, &o), 0);
	golden(path, "domain-e.json");
	o.format = ZS_REPORT_HTML;
	path_in(e, "domain-e.html", path, sizeof(path));
	assert_int_equal(zs_report_domain(db, "e-new.post", 0, path, &o), 0);
	golden(path, "domain-e.html");
	char *html = read_file(path, &n);
	assert_non_null(strstr(html, "bin\\x00ary\\x80\\xff\\x0d\\x0aBcc: victim@example.com"));
	assert_non_null(strstr(html, "call &lt;2026-11-02&gt;"));
	zs_free(html);
	/* an older run on request; a domain no run has */
	o.format = ZS_REPORT_JSON;
	path_in(e, "domain-b.json", path, sizeof(path));
	assert_int_equal(zs_report_domain(db, "b-fixme.post", e->fx.run_a, path, &o), 0);
	char *json = read_file(path, &n);
	assert_non_null(strstr(json, "\"status\":\"non-compliant\""));
	zs_free(json);
	assert_int_equal(zs_report_domain(db, "nowhere.post", 0, path, &o), ZS_ERR_NOTFOUND);
	zs_db_close(db);
}

/* ---- notices -------------------------------------------------------------------------- */

static void notices(const struct env *e, const char *name, enum zs_notice_only only,
                    unsigned min_days, struct zs_notice_stats *st)
{
	struct zs_notice_opts o = {
		.from = "UPU .POST Secretariat <secretariat@post.example>",
		.reply_to = "help@post.example",
		.only = only,
		.min_days = min_days,
		.deadline = FIXTURE_NOW + 30 * 86400,
		.now = FIXTURE_NOW,
	};
	struct zs_buf errs;
	char path[512];
	char list[512];
	struct zs_db *db = open_db(e);

	zs_buf_init(&errs, 4096);
	path_in(e, name, path, sizeof(path));
	snprintf(list, sizeof(list), "%s/%.*s.no-contact.csv", e->dir, (int)strcspn(name, "."),
	         name);
	(void)unlink(list);
	int ret = zs_notices_write(db, e->fx.run_b, path, &o, st, &errs);
	if (ret != 0) {
		fail_msg("zs_notices_write: %s: %s %s", zs_err_name(ret), zs_buf_cstr(&errs),
		         zs_db_error(db));
	}
	zs_buf_deinit(&errs);
	zs_db_close(db);
}

static void test_notices_golden_and_log(void **state)
{
	struct env *e = *state;
	struct zs_notice_stats st;
	char path[512];

	dbtest_exec(e->t, "INSERT INTO contacts (domain, email, name, organisation) VALUES "
	                  "('a-good.post', 'dns@a-good.post', 'Ana Müller', 'A Good Org'), "
	                  "('f-hostile.post', 'hostmaster@f-hostile.post', '', "
	                  "'Hostile \"Quoted\" Ltd')");
	notices(e, "run-b.mbox", ZS_NOTICE_ALL, 14, &st);
	assert_int_equal(st.non_compliant, 3);
	assert_int_equal(st.written, 2);
	assert_int_equal(st.no_contact, 1);
	snprintf(path, sizeof(path), "%s/run-b.mbox", e->dir);
	golden(path, "run-b.mbox");
	snprintf(path, sizeof(path), "%s/run-b.no-contact.csv", e->dir);
	golden(path, "run-b.no-contact.csv");
	assert_int_equal(dbtest_int(e->t, "SELECT count(*) FROM notices WHERE kind = "
	                                  "'non-compliant' AND rules = '{POST-MX-DMARC}' AND "
	                                  "recipient = 'dns@a-good.post'"),
	                 1);

	/* the same notices again within 14 days: none; without the window: both again */
	notices(e, "again.mbox", ZS_NOTICE_ALL, 14, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.recent, 2);
	assert_int_equal(st.no_contact, 1);
	notices(e, "again.mbox", ZS_NOTICE_ALL, 0, &st);
	assert_int_equal(st.written, 2);
	assert_int_equal(dbtest_int(e->t, "SELECT count(*) FROM notices"), 4);

	/* only the newly non-compliant: a-good.post (f-hostile.post is new too) */
	notices(e, "new.mbox", ZS_NOTICE_NEW, 0, &st);
	assert_int_equal(st.written, 2);
	assert_int_equal(st.filtered, 0);
	/* persisting for 30 days: nobody yet */
	notices(e, "persisting.mbox", ZS_NOTICE_PERSISTING, 30, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.filtered, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_run_csv_golden),
		cmocka_unit_test(test_report_run_jsonl_golden),
		cmocka_unit_test(test_report_run_json_golden),
		cmocka_unit_test(test_report_run_html_golden),
		cmocka_unit_test(test_report_run_gzip_same_content),
		cmocka_unit_test(test_report_run_refuses_existing),
		cmocka_unit_test(test_report_interrupted_run_marked),
		cmocka_unit_test(test_report_empty_run),
		cmocka_unit_test(test_report_indeterminate_run),
		cmocka_unit_test(test_report_sql_selects_the_rows),
		cmocka_unit_test(test_report_stream_closed_early_frees_the_connection),
		cmocka_unit_test(test_report_period_names_and_no_overwrite),
		cmocka_unit_test(test_report_period_bounds),
		cmocka_unit_test(test_report_domain_golden),
		cmocka_unit_test(test_notices_golden_and_log),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
