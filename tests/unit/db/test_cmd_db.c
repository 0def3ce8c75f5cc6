/* SPDX-License-Identifier: MIT */
/*
 * Tests of the database commands (scanner/cmd_db.c, scanner/cmd_db_registry.c) and of the
 * registry API under them, against the rig's PostgreSQL: every command's help and usage
 * errors, the schema check, runs/history/diff on stored runs, imports (valid, invalid, hostile
 * cells), exemptions, attestations, the notice log, pruning, and the two roles of
 * scripts/db-roles.sh (the officer runs the listings through the views only).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/commands.h"
#include "tests/unit/db/dbtest.h"
#include "tests/unit/test.h"

typedef int (*cmd_fn)(int argc, char **argv);

/* Fail with the text searched, so that a failure shows what the command printed. */
#define expect_in(hay, needle)                                              \
	do {                                                                \
		if (strstr((hay), (needle)) == NULL) {                      \
			fail_msg("expected '%s' in:\n%s", (needle), (hay)); \
		}                                                           \
	} while (0)

struct output {
	int status;
	char out[65536];
	char err[8192];
};

static void slurp(FILE *f, char *buf, size_t len)
{
	rewind(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run a command with the arguments given (NULL-terminated), capturing stdout and stderr. */
static void run(struct output *o, cmd_fn fn, const char *name, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)name;
	va_start(ap, name);
	for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;

	FILE *out = tmpfile();
	FILE *err = tmpfile();
	assert_non_null(out);
	assert_non_null(err);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1);
	int saved_err = dup(2);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	o->status = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	slurp(out, o->out, sizeof(o->out));
	slurp(err, o->err, sizeof(o->err));
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Store a small run: domains a..e of .bank with the given statuses ('c', 'n', 'i', '-' for
 * absent) and one failing rule for non-compliant ones. */
static int64_t store_run(const struct dbtest *t, const char *statuses, bool complete)
{
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	struct zs_db_run_params p = { .tld = "bank",
		                      .policy = "ftld",
		                      .policy_version = "1",
		                      .zone_source = "bank.zone",
		                      .zone_serial = 7 };
	int64_t run = 0;
	assert_int_equal(zs_db_run_begin(db, &p, &run), 0);
	struct zs_db_writer *w = NULL;
	assert_int_equal(zs_db_writer_new(db, run, NULL, &w), 0);
	for (int i = 0; statuses[i] != '\0'; i++) {
		if (statuses[i] == '-') {
			continue;
		}
		char domain[32];
		snprintf(domain, sizeof(domain), "%c.bank", 'a' + i);
		enum zs_db_status st = statuses[i] == 'c'   ? ZS_DB_COMPLIANT
		                       : statuses[i] == 'n' ? ZS_DB_NON_COMPLIANT
		                                            : ZS_DB_INDETERMINATE;
		struct zs_db_verdict_row v[2] = {
			{ "FTLD-DMARC-VALID", st == ZS_DB_NON_COMPLIANT ? ZS_DB_FAIL : ZS_DB_PASS,
			  "found \x1b[31mred\x1b[0m" },
			{ "FTLD-SPF", st == ZS_DB_INDETERMINATE ? ZS_DB_ERROR : ZS_DB_WARN, "x" },
		};
		struct zs_db_result r = { .domain = domain,
			                  .status = st,
			                  .warnings = 1,
			                  .mail = ZS_DB_MAIL,
			                  .verdicts = v,
			                  .verdict_count = 2 };
		assert_int_equal(zs_db_writer_push(w, &r), 0);
	}
	assert_int_equal(zs_db_writer_finish(w, NULL), 0);
	struct zs_db_run_end end = { .status =
		                             complete ? ZS_DB_RUN_COMPLETE : ZS_DB_RUN_INTERRUPTED,
		                     .zone_complete = true };
	assert_int_equal(zs_db_run_finish(db, run, &end), 0);
	zs_db_close(db);
	return run;
}

static void test_cmd_help_and_usage(void **state)
{
	static const struct {
		cmd_fn fn;
		const char *name;
	} cmds[] = {
		{ zs_cmd_db, "db" },
		{ zs_cmd_runs, "runs" },
		{ zs_cmd_history, "history" },
		{ zs_cmd_diff, "diff" },
		{ zs_cmd_contacts, "contacts" },
		{ zs_cmd_selectors, "selectors" },
		{ zs_cmd_exempt, "exempt" },
		{ zs_cmd_attest, "attest" },
	};
	struct output o;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char expect[64];
		snprintf(expect, sizeof(expect), "usage: zonesweep %s", cmds[i].name);
		run(&o, cmds[i].fn, cmds[i].name, "--help", NULL);
		assert_int_equal(o.status, 0);
		assert_true(strncmp(o.out, expect, strlen(expect)) == 0);
		run(&o, cmds[i].fn, cmds[i].name, "--no-such-option", NULL);
		assert_int_equal(o.status, 2);
	}
	run(&o, zs_cmd_db, "db", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_db, "db", "prune", NULL);
	assert_int_equal(o.status, 2);
	expect_in(o.err, "--keep-runs");
	run(&o, zs_cmd_db, "db", "prune", "--keep-runs", "0", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_db, "db", "frobnicate", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_runs, "runs", "extra", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_runs, "runs", "--format", "xml", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_history, "history", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_history, "history", "bad domain", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_diff, "diff", "1", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_contacts, "contacts", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_contacts, "contacts", "import", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_contacts, "contacts", "list", "--until", "2030-01-01", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "FTLD-SPF", "--why", "x", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_exempt, "exempt", "--revoke", "abc", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_attest, "attest", "a.bank", "RELAY", NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_attest, "attest", "--list", "--ref", "x", NULL);
	assert_int_equal(o.status, 2);
}

static void test_cmd_unreachable_database(void **state)
{
	struct output o;
	run(&o, zs_cmd_runs, "runs", "--db",
	    "host=127.0.0.1 port=1 dbname=registry connect_timeout=3", NULL);
	assert_int_equal(o.status, 1);
	expect_in(o.err, "could not connect to database registry on 127.0.0.1:1");
	assert_null(strchr(o.err, '\n') == o.err + strlen(o.err) - 1 ? NULL : strchr(o.err, '\n'));
}

static void test_cmd_schema_check_and_migrate(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	run(&o, zs_cmd_runs, "runs", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	expect_in(o.err, "run 'zonesweep db migrate'");
	run(&o, zs_cmd_history, "history", "a.bank", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	run(&o, zs_cmd_db, "db", "status", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	expect_in(o.out, "pending");
	run(&o, zs_cmd_db, "db", "migrate", "--to", "1", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "schema version 1 (1 migration applied"));
	run(&o, zs_cmd_db, "db", "migrate", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_db, "db", "status", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_runs, "runs", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	assert_true(strncmp(o.out, "run  tld", 8) == 0);
}

static void test_cmd_runs_history_diff(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	int64_t r1 = store_run(t, "cnncc", true);
	int64_t r2 = store_run(t, "ccnn-i", true);
	int64_t r3 = store_run(t, "nn", false);

	run(&o, zs_cmd_runs, "runs", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	char line[256];
	snprintf(line, sizeof(line), "\n%3" PRId64 "  bank  ftld 1  complete", r2);
	expect_in(o.out, line);
	run(&o, zs_cmd_runs, "runs", "--format", "csv", "--limit", "1", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	assert_true(strncmp(o.out, "run,tld,policy,status,started,", 30) == 0);
	snprintf(line, sizeof(line), "\r\n%" PRId64 ",bank,ftld 1,interrupted,", r3);
	expect_in(o.out, line);
	assert_null(strstr(o.out + strlen(line), "\r\n1,")); /* --limit 1 */
	run(&o, zs_cmd_runs, "runs", "--format", "json", "--tld", "bank", "--db", t->conninfo,
	    NULL);
	assert_int_equal(o.status, 0);
	snprintf(line, sizeof(line), "{\"run\":%" PRId64 ",\"tld\":\"bank\"", r1);
	expect_in(o.out, line);
	expect_in(o.out, "\"domains\":5,\"compliant\":3,\"non_compliant\":2");

	/* b.bank: non-compliant in run 1, compliant in run 2; run 3 (interrupted) stores it but
	 * records no change. */
	run(&o, zs_cmd_history, "history", "B.bank.", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "domain b.bank (TLD bank), first seen in run");
	snprintf(line, sizeof(line), "current state: compliant since run %" PRId64, r2);
	expect_in(o.out, line);
	expect_in(o.out, "non-compliant  first seen");
	expect_in(o.out, "non-compliant -> compliant");
	expect_in(o.out, "fail:FTLD-DMARC-VALID warn:FTLD-SPF");
	run(&o, zs_cmd_history, "history", "e.bank", "--format", "csv", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, ",removed,compliant -> removed,,,(pruned)\r\n");
	run(&o, zs_cmd_history, "history", "zzz.bank", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	expect_in(o.err, "no history for zzz.bank");

	char a[24];
	char b[24];
	snprintf(a, sizeof(a), "%" PRId64, r1);
	snprintf(b, sizeof(b), "%" PRId64, r2);
	run(&o, zs_cmd_diff, "diff", a, b, "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "b.bank  non-compliant  compliant      fixed");
	assert_null(strstr(o.out, "c.bank")); /* non-compliant in both: no change */
	snprintf(line, sizeof(line),
	         "run %s -> run %s: 1 newly non-compliant, 1 fixed, 0 changed otherwise, 1 new, 1 "
	         "removed",
	         a, b);
	expect_in(o.out, line);
	run(&o, zs_cmd_diff, "diff", "previous", "latest-complete", "--format", "csv", "--db",
	    t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "domain,status in A,status in B,change\r\n");
	expect_in(o.out, "d.bank,compliant,non-compliant,newly non-compliant\r\n");
	expect_in(o.out, "f.bank,,indeterminate,new\r\n");
	expect_in(o.out, "e.bank,compliant,,removed\r\n");
	run(&o, zs_cmd_diff, "diff", "previous", a, "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	run(&o, zs_cmd_diff, "diff", "yesterday", b, "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 2);
}

static void test_cmd_contacts_import(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	char path[256];
	snprintf(path, sizeof(path), "/tmp/zs-test-contacts-%ld.csv", (long)getpid());

	write_file(path, "\xef\xbb\xbf"
	                 "Domain,Email,Name,Organisation,Notes\r\n"
	                 "A.bank.,ops@a.bank,\"Doe, Jane\",A Bank,x\r\n"
	                 "b.bank,sec@b.bank,\"=HYPERLINK(\"\"http://x\"\")\",\"B\r\nBank\",\r\n"
	                 "\r\n"
	                 "c.bank,c@c.bank,,,\r\n");
	run(&o, zs_cmd_contacts, "contacts", "import", path, "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1); /* a line break in a field: control characters refused */
	expect_in(o.err, ":3: name or organisation of b.bank");
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM contacts"), 0);

	write_file(path, "\xef\xbb\xbf"
	                 "Domain,Email,Name,Organisation,Notes\r\n"
	                 "A.bank.,ops@a.bank,\"Doe, Jane\",A Bank,x\r\n"
	                 "b.bank,sec@b.bank,\"=HYPERLINK(\"\"http://x\"\")\",B Bank,\r\n"
	                 "\r\n"
	                 "c.bank,c@c.bank,,,\r\n");
	run(&o, zs_cmd_contacts, "contacts", "import", path, "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "3 contacts read, 3 stored, 0 removed");
	run(&o, zs_cmd_contacts, "contacts", "list", "--format", "csv", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "a.bank,ops@a.bank,\"Doe, Jane\",A Bank,");
	/* The formula is neutralised for spreadsheets. */
	assert_non_null(
	        strstr(o.out, "b.bank,sec@b.bank,\"'=HYPERLINK(\"\"http://x\"\")\",B Bank,"));

	struct zs_db *db = NULL;
	struct zs_db_contact *c = NULL;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	assert_int_equal(zs_db_contact_get(db, "a.bank", &c), 0);
	assert_string_equal(c->email, "ops@a.bank");
	assert_string_equal(c->name, "Doe, Jane");
	assert_string_equal(c->organisation, "A Bank");
	zs_db_contact_free(c);
	assert_int_equal(zs_db_contact_get(db, "x.bank", &c), ZS_ERR_NOTFOUND);
	zs_db_close(db);

	/* Invalid e-mail, header injection, duplicates, missing header: named, nothing stored. */
	static const struct {
		const char *csv;
		const char *err;
	} bad[] = {
		{ "domain,email\nd.bank,not-an-address\n",
		  ":2: invalid e-mail address for d.bank" },
		{ "domain,email\nd.bank,\"a@b.bank\r\nBcc: x@y\"\n", ":2: invalid e-mail address" },
		{ "domain,email\nd.bank,a@d.bank\ne.bank,b@e.bank\nD.bank,c@d.bank\n",
		  ":4: d.bank is already on line 2" },
		{ "domain,mail\nd.bank,a@d.bank\n",
		  ":1: the header needs the columns domain and email" },
		{ "domain,email\n\"d.bank,a@d.bank\n", ":2: unterminated quoted field" },
		{ "", "empty file" },
		{ "domain,email\nd bank,a@d.bank\n", ":2: invalid domain" },
		{ "domain,email\nd.bank,a@d.\xff\n", ":2: invalid e-mail address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i].csv);
		run(&o, zs_cmd_contacts, "contacts", "import", path, "--db", t->conninfo, NULL);
		assert_int_equal(o.status, 1);
		if (strstr(o.err, bad[i].err) == NULL) {
			fail_msg("case %zu: expected '%s' in '%s'", i, bad[i].err, o.err);
		}
	}
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM contacts"), 3);

	/* --replace: the file becomes the whole list. */
	write_file(path, "domain,email\nc.bank,new@c.bank\nd.bank,d@d.bank\n");
	run(&o, zs_cmd_contacts, "contacts", "import", path, "--replace", "--db", t->conninfo,
	    NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "2 contacts read, 2 stored, 2 removed");
	run(&o, zs_cmd_contacts, "contacts", "list", "c.bank", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "new@c.bank");
	run(&o, zs_cmd_contacts, "contacts", "import", "/nonexistent/contacts.csv", "--db",
	    t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	expect_in(o.err, "/nonexistent/contacts.csv: No such file");
	unlink(path);
}

static int collect_selector(const char *domain, const char *selector, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s:%s ", domain, selector);
	return 0;
}

static void test_cmd_selectors_import(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	char path[256];
	snprintf(path, sizeof(path), "/tmp/zs-test-selectors-%ld.txt", (long)getpid());

	write_file(path, "# declared selectors\n"
	                 "a.bank s1 S2,google\n"
	                 "b.bank.  sel-2024.mail  # trailing comment\n"
	                 "\n"
	                 "a.post k1\n");
	run(&o, zs_cmd_selectors, "selectors", "import", path, "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "5 selectors read, 5 stored");
	char buf[512] = "";
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	assert_int_equal(zs_db_selectors_each(db, "bank", collect_selector, buf), 0);
	assert_string_equal(buf, "a.bank:google a.bank:s1 a.bank:s2 b.bank:sel-2024.mail ");

	write_file(path, "a.bank s1\n");
	run(&o, zs_cmd_selectors, "selectors", "import", path, "--replace", "--db", t->conninfo,
	    NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "1 selectors read, 1 stored, 2 removed");
	buf[0] = '\0';
	assert_int_equal(zs_db_selectors_each(db, NULL, collect_selector, buf), 0);
	assert_string_equal(buf, "a.bank:s1 a.post:k1 b.bank:sel-2024.mail ");
	zs_db_close(db);

	static const char *const bad[] = { "a.bank -bad\n", "a.bank\n", "a.bank s..x\n",
		                           "a.bank s1 s1\n", "a.bank s\xc3\xa9\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		run(&o, zs_cmd_selectors, "selectors", "import", path, "--db", t->conninfo, NULL);
		assert_int_equal(o.status, 1);
		expect_in(o.err, ":1: ");
	}
	run(&o, zs_cmd_selectors, "selectors", "list", "--format", "json", "--db", t->conninfo,
	    NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "{\"domain\":\"a.bank\",\"selector\":\"s1\"");
	unlink(path);
}

static int collect_exemption(const struct zs_db_exemption *e, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s:%s:%s ", e->domain, e->rule, e->until);
	return 0;
}

static void test_cmd_exempt(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	run(&o, zs_cmd_exempt, "exempt", "A.bank", "FTLD-DMARC-REJECT", "--until", "2999-12-31",
	    "--why", "implementation phase, letter of 2026-11-01", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(
	        strstr(o.out, "exemption 1: a.bank from FTLD-DMARC-REJECT until 2999-12-31"));
	run(&o, zs_cmd_exempt, "exempt", "b.bank", "FTLD-SPF", "--until", "2999-01-01", "--why",
	    "x", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "FTLD-SPF", "--until", "2001-01-01", "--why",
	    "x", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 2);
	expect_in(o.err, "not later than today");
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "FTLD-SPF", "--until", "2030-02-30", "--why",
	    "x", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "BAD RULE", "--until", "2030-01-01", "--why",
	    "x", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 2);
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "FTLD-SPF", "--until", "2030-01-01", "--why", "",
	    "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 2);

	char buf[512] = "";
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	assert_int_equal(zs_db_exemptions_each(db, "bank", collect_exemption, buf), 0);
	assert_string_equal(buf, "a.bank:FTLD-DMARC-REJECT:2999-12-31 b.bank:FTLD-SPF:2999-01-01 ");
	run(&o, zs_cmd_exempt, "exempt", "--revoke", "2", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_exempt, "exempt", "--revoke", "2", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 1);
	buf[0] = '\0';
	assert_int_equal(zs_db_exemptions_each(db, "post", collect_exemption, buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(zs_db_exemptions_each(db, NULL, collect_exemption, buf), 0);
	assert_string_equal(buf, "a.bank:FTLD-DMARC-REJECT:2999-12-31 ");
	zs_db_close(db);
	run(&o, zs_cmd_exempt, "exempt", "--list", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "active");
	expect_in(o.out, "revoked");
}

static int collect_attestation(const struct zs_db_attestation *a, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s:%s:%s:%s ", a->item, a->attested ? "yes" : "no", a->on,
	         a->ref);
	return 0;
}

static void test_cmd_attest(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	run(&o, zs_cmd_attest, "attest", "a.post", "POST-NO-OPEN-RELAY", "--ref", "report 2026/17",
	    "--by", "J. Doe", "--on", "2026-01-10", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_attest, "attest", "a.post", "POST-NO-OPEN-RELAY", "--ref", "report 2026/30",
	    "--on", "2026-06-01", "--not-attested", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_attest, "attest", "a.post", "POST-SMTP-AUTH", "--ref", "report 2026/17",
	    "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_attest, "attest", "a.post", "POST-SMTP-AUTH", "--ref", "r", "--on",
	    "someday", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 2);
	char buf[512] = "";
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	assert_int_equal(zs_db_attestations_each(db, "a.post", collect_attestation, buf), 0);
	expect_in(buf, "POST-NO-OPEN-RELAY:no:2026-06-01:report 2026/30 ");
	expect_in(buf, "POST-SMTP-AUTH:yes:");
	zs_db_close(db);
	run(&o, zs_cmd_attest, "attest", "--list", "a.post", "--format", "csv", "--db", t->conninfo,
	    NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, ",a.post,POST-NO-OPEN-RELAY,not attested,2026-06-01,");
	expect_in(o.out, ",report 2026/30");
}

static void test_db_notice_log(void **state)
{
	struct dbtest *t = *state;
	int64_t run = store_run(t, "n", true);
	struct zs_db *db = NULL;
	int64_t at = 0;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	assert_int_equal(zs_db_notice_last(db, "a.bank", "non-compliant", &at), ZS_ERR_NOTFOUND);
	const char *rules[] = { "FTLD-DMARC-VALID" };
	assert_int_equal(zs_db_notice_record(db, run, "a.bank", "non-compliant", "ops@a.bank",
	                                     "<1@zonesweep>", rules, 1),
	                 0);
	assert_int_equal(zs_db_notice_record(db, run, "b.bank", "non-compliant", NULL,
	                                     "<2@zonesweep>", NULL, 0),
	                 0);
	const char *bad[] = { "x}" };
	assert_int_equal(zs_db_notice_record(db, run, "a.bank", "k", NULL, "<3>", bad, 1),
	                 ZS_ERR_USAGE);
	assert_int_equal(zs_db_notice_last(db, "a.bank", "non-compliant", &at), 0);
	assert_true(at > 1700000000);
	assert_int_equal(zs_db_notice_last(db, "a.bank", "persisting", &at), ZS_ERR_NOTFOUND);
	zs_db_close(db);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM notices WHERE recipient IS NULL"), 1);
}

static void test_cmd_db_prune(void **state)
{
	struct dbtest *t = *state;
	struct output o;
	int64_t r[5];
	r[0] = store_run(t, "cc", true);
	r[1] = store_run(t, "cn", true);
	r[2] = store_run(t, "nn", true);
	r[3] = store_run(t, "n", false);
	r[4] = store_run(t, "nc", false);
	int64_t transitions = dbtest_int(t, "SELECT count(*) FROM transitions");
	/* Verdicts equal to the previous run's are stored once (migration 005): r2's a.bank
	 * points at r1's rows, r3's b.bank at r2's, r4's and r5's a.bank at r3's. */
	char sql[256];
	snprintf(
	        sql, sizeof(sql),
	        "SELECT count(*) FROM results WHERE verdicts_run IS NOT NULL AND run_id >= %" PRId64,
	        r[1]);
	assert_int_equal(dbtest_int(t, sql), 4);
	snprintf(sql, sizeof(sql),
	         "SELECT hashtext(string_agg(concat_ws(' ', run_id, domain, rule, verdict, "
	         "reason), '|' ORDER BY run_id, domain, rule)) FROM v_verdicts WHERE run_id >= "
	         "%" PRId64,
	         r[2]);
	int64_t kept = dbtest_int(t, sql);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM v_verdicts"), 2 * 9);

	run(&o, zs_cmd_db, "db", "prune", "--keep-runs", "2", "--dry-run", "--db", t->conninfo,
	    NULL);
	assert_int_equal(o.status, 0);
	/* Kept: the 2 newest (r4, r5) and the newest complete (r3). Of the 6 verdict rows r1 and
	 * r2 store, r3's b.bank uses 2: they move to r3. */
	expect_in(o.out, "would prune 2 runs: 4 results and 4 verdicts");
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM results"), 2 + 2 + 2 + 1 + 2);
	run(&o, zs_cmd_db, "db", "prune", "--keep-runs", "2", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "pruned 2 runs: 4 results and 4 verdicts deleted");
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM results"), 5);
	assert_int_equal(dbtest_int(t, sql), kept);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM v_verdicts"), 2 * 5);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM verdicts"), 2 * 3);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM transitions"), transitions);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM current_state"), 2);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM run_rule_counts"), 2 + 3 + 2 + 2 + 3);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM runs WHERE pruned_at IS NOT NULL AND id <= %" PRId64, r[1]);
	assert_int_equal(dbtest_int(t, sql), 2);
	/* A second prune has nothing to do; history still shows the pruned runs' changes. */
	run(&o, zs_cmd_db, "db", "prune", "--keep-runs", "2", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "pruned 0 runs");
	run(&o, zs_cmd_history, "history", "b.bank", "--db", t->conninfo, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "compliant      first seen");
	expect_in(o.out, "(pruned)");
	run(&o, zs_cmd_runs, "runs", "--db", t->conninfo, NULL);
	expect_in(o.out, "pruned");
}

/* The two roles of scripts/db-roles.sh: the writer sweeps and imports, cannot change the
 * schema; the officer runs the listings through the views and reads no table. */
static void test_db_roles(void **state)
{
	struct dbtest *t = *state;
	char writer[64];
	char officer[64];
	char cmd[8192];
	char conn[2300];
	struct output o;
	snprintf(writer, sizeof(writer), "zs_w_%ld", (long)getpid());
	snprintf(officer, sizeof(officer), "zs_o_%ld", (long)getpid());
	store_run(t, "cn", true);
	store_run(t, "nn", true);
	snprintf(cmd, sizeof(cmd), "'%s/scripts/db-roles.sh' --db \"%s\" --writer %s --officer %s",
	         ZS_SOURCE_DIR, t->conninfo, writer, officer);
	assert_int_equal(system(cmd), 0);

	/* The officer: listings work, tables are closed, nothing can be written. */
	snprintf(conn, sizeof(conn), "%s user=%s", t->conninfo, officer);
	run(&o, zs_cmd_runs, "runs", "--db", conn, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_history, "history", "a.bank", "--db", conn, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "compliant -> non-compliant");
	run(&o, zs_cmd_diff, "diff", "previous", "latest", "--db", conn, NULL);
	assert_int_equal(o.status, 0);
	expect_in(o.out, "1 newly non-compliant");
	run(&o, zs_cmd_exempt, "exempt", "--list", "--db", conn, NULL);
	assert_int_equal(o.status, 0);
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "FTLD-SPF", "--until", "2999-01-01", "--why",
	    "x", "--db", conn, NULL);
	assert_int_equal(o.status, 1);
	expect_in(o.err, "read-only transaction");
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(conn, &db), 0);
	struct zs_db_reader *r = NULL;
	assert_int_equal(zs_db_reader_open(db, 1, &r), ZS_ERR_DB);
	expect_in(zs_db_error(db), "permission denied");
	zs_db_close(db);

	/* The writer: a sweep and an import work; DDL does not. */
	snprintf(conn, sizeof(conn), "%s user=%s", t->conninfo, writer);
	assert_int_equal(zs_db_open(conn, &db), 0);
	assert_int_equal(zs_db_check_schema(db), 0);
	struct zs_db_run_params p = {
		.tld = "bank", .policy = "ftld", .zone_source = "z", .zone_serial = -1
	};
	int64_t run_id = 0;
	assert_int_equal(zs_db_run_begin(db, &p, &run_id), 0);
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run_id, NULL, &w), 0);
	struct zs_db_result res = { .domain = "a.bank",
		                    .status = ZS_DB_COMPLIANT,
		                    .mail = ZS_DB_MAIL };
	assert_int_equal(zs_db_writer_push(w, &res), 0);
	/* A duplicate goes through the staging tables: temporary tables are allowed. */
	assert_int_equal(zs_db_writer_push(w, &res), 0);
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_int_equal(st.results, 1);
	assert_int_equal(st.duplicates, 1);
	struct zs_db_run_end end = { .status = ZS_DB_RUN_COMPLETE, .zone_complete = true };
	assert_int_equal(zs_db_run_finish(db, run_id, &end), 0);
	assert_int_equal(zs_db_migrate(db, 0, NULL), 0); /* nothing to do: allowed */
	zs_db_close(db);
	run(&o, zs_cmd_exempt, "exempt", "a.bank", "FTLD-SPF", "--until", "2999-01-01", "--why",
	    "x", "--db", conn, NULL);
	assert_int_equal(o.status, 0);
	snprintf(cmd, sizeof(cmd),
	         "psql -X -q \"%s\" -c 'DROP TABLE results' 2>/dev/null || "
	         "psql -X -q \"%s\" -c 'TRUNCATE verdicts' 2>/dev/null || "
	         "psql -X -q \"%s\" -c 'CREATE TABLE x (a int)' 2>/dev/null",
	         conn, conn, conn);
	assert_int_not_equal(system(cmd), 0);

	snprintf(cmd, sizeof(cmd),
	         "'%s/scripts/db-roles.sh' --db \"%s\" --writer %s --officer %s --drop >/dev/null",
	         ZS_SOURCE_DIR, t->conninfo, writer, officer);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_help_and_usage),
		cmocka_unit_test(test_cmd_unreachable_database),
		cmocka_unit_test_setup_teardown(test_cmd_schema_check_and_migrate,
		                                dbtest_setup_empty, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_runs_history_diff, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_contacts_import, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_selectors_import, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_exempt, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_attest, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_notice_log, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_cmd_db_prune, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_roles, dbtest_setup_migrated,
		                                dbtest_teardown),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
