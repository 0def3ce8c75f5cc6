/* SPDX-License-Identifier: MIT */
/*
 * Tests of db/ against the rig's real PostgreSQL: connection errors, migrations from empty and
 * from each earlier version, runs and the TLD advisory lock, the writer (round trip, hostile
 * bytes, resent batches, quarantine, back-pressure, connection loss, giving up and resuming),
 * the history a complete run derives, and the streaming reader.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db/admin.h"
#include "db/db.h"
#include "db/db_int.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/mem.h"
#include "tests/unit/db/dbtest.h"
#include "tests/unit/test.h"

enum { RULES = 10 };

static const char *const rule_ids[RULES] = { "R-A", "R-B", "R-C", "R-D", "R-E",
	                                     "R-F", "R-G", "R-H", "R-I", "R-J" };

/* A result for domain number i of a synthetic world; everything depends on i and @p salt, so
 * a test can recompute what it expects to read back. */
struct fake {
	char domain[64];
	char facts[128];
	char reasons[RULES][64];
	struct zs_db_verdict_row verdicts[RULES];
	uint8_t raw0[8];
	struct zs_db_raw_txt raw[2];
	char owner1[80];
	struct zs_db_result res;
};

static void fake_result(struct fake *f, int i, int salt, const char *tld)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->domain, sizeof(f->domain), "d%05d.%s", i, tld);
	snprintf(f->facts, sizeof(f->facts), "{\"i\": %d, \"salt\": %d}", i, salt);
	for (int k = 0; k < RULES; k++) {
		snprintf(f->reasons[k], sizeof(f->reasons[k]), "reason %d of %d", k, i);
		f->verdicts[k].rule = rule_ids[k];
		f->verdicts[k].verdict =
		        (enum zs_db_verdict)((i + k + salt) % ZS_DB_VERDICT_COUNT_);
		f->verdicts[k].reason = f->reasons[k];
	}
	for (int k = 0; k < 8; k++) {
		f->raw0[k] = (uint8_t)(i * 7 + k);
	}
	snprintf(f->owner1, sizeof(f->owner1), "_dmarc.%s", f->domain);
	f->raw[0] = (struct zs_db_raw_txt){ .owner = f->domain, .data = f->raw0, .len = 8 };
	f->raw[1] =
	        (struct zs_db_raw_txt){ .owner = f->owner1, .data = (const uint8_t *)"", .len = 0 };
	f->res.domain = f->domain;
	f->res.status = (enum zs_db_status)((i + salt) % ZS_DB_STATUS_COUNT_);
	f->res.warnings = (unsigned)(i % 4);
	f->res.mail = (enum zs_db_mail)(i % ZS_DB_MAIL_COUNT_);
	f->res.facts_json = f->facts;
	f->res.verdicts = f->verdicts;
	f->res.verdict_count = RULES;
	f->res.raw = f->raw;
	f->res.raw_count = 2;
}

static struct zs_db *open_db(const struct dbtest *t)
{
	struct zs_db *db = NULL;
	int ret = zs_db_open(t->conninfo, &db);
	if (ret != 0) {
		fail_msg("zs_db_open: %s", zs_db_error(NULL));
	}
	return db;
}

static int64_t begin_run(struct zs_db *db, const char *tld)
{
	struct zs_db_run_params p = {
		.tld = tld,
		.policy = "post",
		.policy_version = "1.1",
		.zone_source = "/zones/post.zone",
		.zone_serial = 2026112401,
		.options_json = "{\"resolver\": \"127.0.0.1\"}",
		.scanner_version = "0.1.0",
	};
	int64_t id = 0;
	int ret = zs_db_run_begin(db, &p, &id);
	if (ret != 0) {
		fail_msg("zs_db_run_begin: %s: %s", zs_err_name(ret), zs_db_error(db));
	}
	return id;
}

static void finish_run(struct zs_db *db, int64_t run, enum zs_db_run_status status)
{
	const char *errors[] = { "post.zone:12: bad name \"a\xff\"", "post.zone:40: TTL" };
	struct zs_db_run_end end = {
		.status = status,
		.zone_complete = true,
		.zone_errors = 2,
		.zone_first_errors = errors,
		.zone_first_error_count = 2,
		.dns_json = "{\"queries\": 30, \"timeouts\": 1}",
	};
	int ret = zs_db_run_finish(db, run, &end);
	if (ret != 0) {
		fail_msg("zs_db_run_finish: %s: %s", zs_err_name(ret), zs_db_error(db));
	}
}

/* Write domains [from, to) of the fake world with one writer. */
/* Results the database holds for a writer's pushes, whatever their status. */
static uint64_t stored_total(const struct zs_db_writer_stats *st)
{
	uint64_t n = 0;
	for (int i = 0; i < ZS_DB_STATUS_COUNT_; i++) {
		n += st->stored[i];
	}
	return n;
}

static struct zs_db_writer_stats write_world(struct zs_db *db, int64_t run, int from, int to,
                                             int salt, size_t batch)
{
	struct zs_db_writer *w = NULL;
	/* A flush delay longer than any test: batches are cut by size only, so counts are exact. */
	struct zs_db_writer_opts o = { .batch_max = batch,
		                       .queue_max = 1000000,
		                       .flush_ms = 600000 };
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	for (int i = from; i < to; i++) {
		struct fake f;
		fake_result(&f, i, salt, "post");
		assert_int_equal(zs_db_writer_push(w, &f.res), 0);
	}
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	return st;
}

static int64_t count_rows(const struct dbtest *t, const char *table, int64_t run)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE run_id = %" PRId64, table, run);
	return dbtest_int(t, sql);
}

/* ---- COPY text ---- */

/* COPY escaping skips plain ASCII a word at a time: every kind of byte it must stop at, at every
 * offset of strings of every length around the word size, gives what escaping byte by byte
 * gives, and text that is not UTF-8 or holds a NUL is refused wherever it sits. */
static void test_db_copy_escape_every_offset(void **state)
{
	(void)state;
	static const struct {
		const char *in; /* what is put at the offset */
		size_t len;
		const char *out; /* its COPY text; NULL: refused */
	} kinds[] = {
		{ "\\", 1, "\\\\" },
		{ "\t", 1, "\\t" },
		{ "\n", 1, "\\n" },
		{ "\r", 1, "\\r" },
		{ "\xc3\xa9", 2, "\xc3\xa9" },
		{ "\x7f", 1, "\x7f" },
		{ "", 1, NULL },
		{ "\xff", 1, NULL },
		{ "\x80", 1, NULL },
		{ "\xc3", 1, NULL },
	};
	struct zs_buf out;
	zs_buf_init(&out, 4096);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t n = 0; n <= 40; n++) {
			for (size_t at = 0; at + kinds[k].len <= n; at++) {
				char in[48];
				char want[96];
				memset(in, 'a', n);
				memcpy(in + at, kinds[k].in, kinds[k].len);
				zs_buf_reset(&out);
				int ret = zs__db_copy_escape(&out, in, n);
				if (kinds[k].out == NULL) {
					assert_int_equal(ret, ZS_ERR_PARSE);
					continue;
				}
				assert_int_equal(ret, 0);
				size_t m = strlen(kinds[k].out);
				memset(want, 'a', at);
				memcpy(want + at, kinds[k].out, m);
				memset(want + at + m, 'a', n - at - kinds[k].len);
				size_t wlen = n - kinds[k].len + m;
				assert_int_equal(out.len, wlen);
				assert_memory_equal(out.data, want, wlen);
			}
		}
	}
	zs_buf_deinit(&out);
}

/* ---- connection ---- */

static void test_db_open_unreachable_names_database(void **state)
{
	struct zs_db *db = NULL;
	int ret = zs_db_open("host=127.0.0.1 port=1 dbname=nightly user=x connect_timeout=5", &db);
	assert_int_equal(ret, ZS_ERR_DB);
	assert_null(db);
	const char *msg = zs_db_error(NULL);
	assert_non_null(strstr(msg, "could not connect to database nightly on 127.0.0.1:1: "));
	assert_null(strchr(msg, '\n'));

	assert_int_equal(zs_db_open("this is not a connection string", &db), ZS_ERR_USAGE);
	assert_non_null(strstr(zs_db_error(NULL), "invalid database connection string"));
}

static void test_db_open_missing_database(void **state)
{
	struct dbtest *t = *state;
	char conninfo[2048];
	struct zs_db *db = NULL;
	dbtest_conninfo(t->admin, "zs_no_such_database", conninfo, sizeof(conninfo));
	assert_int_equal(zs_db_open(conninfo, &db), ZS_ERR_DB);
	assert_non_null(strstr(zs_db_error(NULL), "could not connect to database "
	                                          "zs_no_such_database on "));
	assert_non_null(strstr(zs_db_error(NULL), "does not exist"));
}

static void test_db_open_uri_and_environment(void **state)
{
	struct dbtest *t = *state;
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(t->conninfo, &err);
	assert_non_null(opts);
	const char *host = NULL, *port = NULL, *user = NULL;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0) {
			host = o->val;
		} else if (strcmp(o->keyword, "port") == 0) {
			port = o->val;
		} else if (strcmp(o->keyword, "user") == 0) {
			user = o->val;
		}
	}
	assert_non_null(host);
	char uri[512];
	snprintf(uri, sizeof(uri), "postgresql://%s@%s:%s/%s", user != NULL ? user : "", host,
	         port != NULL ? port : "5432", t->name);
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(uri, &db), 0);
	assert_non_null(strstr(zs_db_where(db), t->name));
	zs_db_close(db);

	/* NULL and "" take everything from PG* variables, as psql. */
	setenv("PGHOST", host, 1);
	setenv("PGPORT", port != NULL ? port : "5432", 1);
	if (user != NULL) {
		setenv("PGUSER", user, 1);
	}
	setenv("PGDATABASE", t->name, 1);
	assert_int_equal(zs_db_open(NULL, &db), 0);
	assert_non_null(strstr(zs_db_where(db), t->name));
	zs_db_close(db);
	assert_int_equal(zs_db_open("", &db), 0);
	zs_db_close(db);
	PQconninfoFree(opts);
}

/* ---- migrations ---- */

static void schema_fingerprint(const struct dbtest *t, char *buf, size_t len)
{
	dbtest_text(
	        t,
	        "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ("
	        "SELECT table_name || '.' || column_name || ':' || data_type || ':' || "
	        "is_nullable || ':' || coalesce(column_default, '') AS x "
	        "FROM information_schema.columns WHERE table_schema = 'public' UNION ALL "
	        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' UNION ALL "
	        "SELECT conrelid::regclass || ':' || pg_get_constraintdef(oid) "
	        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace UNION ALL "
	        "SELECT viewname || ':' || definition FROM pg_views WHERE schemaname = 'public' "
	        "UNION ALL SELECT t.typname || ':' || e.enumlabel FROM pg_enum e "
	        "JOIN pg_type t ON t.oid = e.enumtypid) s",
	        buf, len);
}

static void test_db_migrate_from_empty(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int version = -1;
	int applied = -1;

	assert_int_equal(zs_db_schema_version(db, &version), 0);
	assert_int_equal(version, 0);
	assert_int_equal(zs_db_check_schema(db), ZS_ERR_DBSCHEMA);
	assert_non_null(
	        strstr(zs_db_error(db), "has no zonesweep schema: run 'zonesweep db migrate'"));
	assert_non_null(strstr(zs_db_error(db), t->name));

	assert_int_equal(zs_db_migrate(db, 0, &applied), 0);
	assert_int_equal(applied, zs_db_schema_latest());
	assert_int_equal(zs_db_check_schema(db), 0);
	assert_int_equal(zs_db_migrate(db, 0, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM schema_migrations"),
	                 zs_db_schema_latest());
	assert_int_equal(zs_db_migrate(db, zs_db_schema_latest() + 1, &applied), ZS_ERR_USAGE);
	zs_db_close(db);
}

static void test_db_migrate_from_each_version(void **state)
{
	struct dbtest *t = *state;
	char reference[64];
	char fp[64];
	struct zs_db *db = open_db(t);
	assert_int_equal(zs_db_migrate(db, 0, NULL), 0);
	zs_db_close(db);
	schema_fingerprint(t, reference, sizeof(reference));

	for (int v = 1; v < zs_db_schema_latest(); v++) {
		void *sub = NULL;
		assert_int_equal(dbtest_setup_empty(&sub), 0);
		struct dbtest *s = sub;
		int applied = 0;
		db = open_db(s);
		assert_int_equal(zs_db_migrate(db, v, &applied), 0);
		assert_int_equal(applied, v);
		assert_int_equal(zs_db_check_schema(db), ZS_ERR_DBSCHEMA);
		char expect[64];
		snprintf(expect, sizeof(expect), "is at schema version %d", v);
		assert_non_null(strstr(zs_db_error(db), expect));
		assert_int_equal(zs_db_migrate(db, 0, &applied), 0);
		assert_int_equal(applied, zs_db_schema_latest() - v);
		assert_int_equal(zs_db_check_schema(db), 0);
		zs_db_close(db);
		schema_fingerprint(s, fp, sizeof(fp));
		assert_string_equal(fp, reference);
		dbtest_teardown(&sub);
	}
}

static void test_db_check_schema_newer(void **state)
{
	struct dbtest *t = *state;
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations (version, name) VALUES (%d, 'x')",
	         zs_db_schema_latest() + 1);
	dbtest_exec(t, sql);
	struct zs_db *db = open_db(t);
	assert_int_equal(zs_db_check_schema(db), ZS_ERR_DBSCHEMA);
	assert_non_null(strstr(zs_db_error(db), "upgrade zonesweep"));
	assert_int_equal(zs_db_migrate(db, 0, NULL), ZS_ERR_DBSCHEMA);
	zs_db_close(db);
}

static void test_db_migrate_failure_leaves_nothing(void **state)
{
	struct dbtest *t = *state;
	/* A table in the way of migration 1 makes it fail: nothing of it may remain. */
	dbtest_exec(t, "CREATE TABLE verdicts (x int)");
	struct zs_db *db = open_db(t);
	assert_int_equal(zs_db_migrate(db, 0, NULL), ZS_ERR_DB);
	assert_non_null(strstr(zs_db_error(db), "migration 001_core"));
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM schema_migrations"), 0);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM pg_tables WHERE tablename = 'runs'"),
	                 0);
	zs_db_close(db);
}

/* ---- runs ---- */

static void test_db_run_lock_per_tld(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *a = open_db(t);
	struct zs_db *b = open_db(t);
	int64_t run_a = begin_run(a, "post");

	struct zs_db_run_params p = { .tld = "post",
		                      .policy = "post",
		                      .policy_version = "1.1",
		                      .zone_source = "z",
		                      .zone_serial = -1 };
	int64_t id = 0;
	assert_int_equal(zs_db_run_begin(b, &p, &id), ZS_ERR_LOCKED);
	char expect[128];
	snprintf(expect, sizeof(expect), "another sweep of TLD post is running (run %" PRId64,
	         run_a);
	assert_non_null(strstr(zs_db_error(b), expect));

	/* Another TLD is free. */
	p.tld = "bank";
	p.policy = "ftld";
	assert_int_equal(zs_db_run_begin(b, &p, &id), 0);
	finish_run(b, id, ZS_DB_RUN_COMPLETE);

	/* The holder dies: its session lock goes with it, and its run row is marked interrupted
	 * by the next sweep of the TLD (the kill waits until the backend is gone: a session that
	 * is merely closed lets its lock go a little later). */
	char kill[128];
	snprintf(kill, sizeof(kill), "SELECT pg_terminate_backend(%d, 10000)",
	         PQbackendPID(a->conn));
	dbtest_admin_exec(t, kill);
	zs_db_close(a);
	p.tld = "post";
	p.policy = "post";
	assert_int_equal(zs_db_run_begin(b, &p, &id), 0);
	char sql[128];
	char status[32];
	snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %" PRId64, run_a);
	dbtest_text(t, sql, status, sizeof(status));
	assert_string_equal(status, "interrupted");
	finish_run(b, id, ZS_DB_RUN_COMPLETE);
	/* pg_locks is cluster-wide: count only this test's database (others run in parallel) */
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
	                               "AND database = (SELECT oid FROM pg_database "
	                               "WHERE datname = current_database())"),
	                 0);
	zs_db_close(b);
}

static void test_db_run_begin_rejects_bad_input(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	struct zs_db_run_params p = { .tld = "POST", .policy = "post", .zone_source = "z" };
	int64_t id = 0;
	assert_int_equal(zs_db_run_begin(db, &p, &id), ZS_ERR_USAGE);
	p.tld = ".post";
	assert_int_equal(zs_db_run_begin(db, &p, &id), ZS_ERR_USAGE);
	p.tld = "post";
	p.options_json = "{not json";
	assert_int_equal(zs_db_run_begin(db, &p, &id), ZS_ERR_USAGE);
	/* The lock was released: a correct begin works at once. */
	p.options_json = NULL;
	assert_int_equal(zs_db_run_begin(db, &p, &id), 0);
	struct zs_db_run_end end = { .status = ZS_DB_RUN_RUNNING };
	assert_int_equal(zs_db_run_finish(db, id, &end), ZS_ERR_USAGE);
	finish_run(db, id, ZS_DB_RUN_FAILED);
	end.status = ZS_DB_RUN_COMPLETE;
	assert_int_equal(zs_db_run_finish(db, id, &end), ZS_ERR_NOTFOUND);
	zs_db_close(db);
}

static void test_db_run_metadata_and_resolve(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t id = 0;

	assert_int_equal(zs_db_run_resolve(db, "latest", NULL, &id), ZS_ERR_NOTFOUND);
	int64_t r1 = begin_run(db, "post");
	write_world(db, r1, 0, 30, 0, 7);
	finish_run(db, r1, ZS_DB_RUN_COMPLETE);
	int64_t r2 = begin_run(db, "post");
	/* Running runs are not "latest". */
	assert_int_equal(zs_db_run_resolve(db, "latest", "post", &id), 0);
	assert_int_equal(id, r1);
	finish_run(db, r2, ZS_DB_RUN_INTERRUPTED);
	assert_int_equal(zs_db_run_resolve(db, "latest", "post", &id), 0);
	assert_int_equal(id, r2);
	assert_int_equal(zs_db_run_resolve(db, "latest-complete", NULL, &id), 0);
	assert_int_equal(id, r1);
	assert_int_equal(zs_db_run_resolve(db, "latest", "bank", &id), ZS_ERR_NOTFOUND);
	char spec[24];
	snprintf(spec, sizeof(spec), "%" PRId64, r1);
	assert_int_equal(zs_db_run_resolve(db, spec, NULL, &id), 0);
	assert_int_equal(id, r1);
	assert_int_equal(zs_db_run_resolve(db, "999999", NULL, &id), ZS_ERR_NOTFOUND);
	assert_int_equal(zs_db_run_resolve(db, "yesterday", NULL, &id), ZS_ERR_USAGE);
	assert_int_equal(zs_db_run_previous(db, r2, &id), 0);
	assert_int_equal(id, r1);
	assert_int_equal(zs_db_run_previous(db, r1, &id), ZS_ERR_NOTFOUND);

	struct zs_db_run *run = NULL;
	assert_int_equal(zs_db_run_get(db, r1, &run), 0);
	assert_int_equal(run->id, r1);
	assert_string_equal(run->tld, "post");
	assert_string_equal(run->policy, "post");
	assert_string_equal(run->policy_version, "1.1");
	assert_string_equal(run->zone_source, "/zones/post.zone");
	assert_int_equal(run->zone_serial, 2026112401);
	assert_string_equal(run->options_json, "{\"resolver\": \"127.0.0.1\"}");
	assert_string_equal(run->scanner_version, "0.1.0");
	assert_int_equal(run->status, ZS_DB_RUN_COMPLETE);
	assert_true(run->started_at > 1700000000);
	assert_true(run->finished_at >= run->started_at);
	assert_true(run->zone_complete);
	assert_int_equal(run->zone_errors, 2);
	assert_string_equal(run->zone_first_errors,
	                    "post.zone:12: bad name \"a\\xff\"\npost.zone:40: TTL");
	assert_string_equal(run->dns_json, "{\"queries\": 30, \"timeouts\": 1}");
	assert_int_equal(run->domains, 30);
	assert_int_equal(run->compliant, 10);
	assert_int_equal(run->non_compliant, 10);
	assert_int_equal(run->indeterminate, 10);
	int64_t w = 0;
	for (int i = 0; i < 30; i++) {
		w += i % 4;
	}
	assert_int_equal(run->warnings, w);
	assert_int_equal(run->quarantined, 0);
	zs_db_run_free(run);
	assert_int_equal(zs_db_run_get(db, 424242, &run), ZS_ERR_NOTFOUND);
	zs_db_close(db);
}

/* ---- writer and reader ---- */

static void check_world(struct zs_db *db, int64_t run, int n, int salt)
{
	struct zs_db_reader *r = NULL;
	const struct zs_db_row *row = NULL;
	assert_int_equal(zs_db_reader_open(db, run, &r), 0);
	for (int i = 0; i < n; i++) {
		struct fake f;
		fake_result(&f, i, salt, "post");
		assert_int_equal(zs_db_reader_next(r, &row), 0);
		assert_string_equal(row->domain, f.domain);
		assert_int_equal(row->status, f.res.status);
		assert_int_equal(row->warnings, f.res.warnings);
		assert_int_equal(row->mail, f.res.mail);
		char facts[128];
		snprintf(facts, sizeof(facts), "{\"i\": %d, \"salt\": %d}", i, salt);
		assert_string_equal(row->facts_json, facts);
		assert_int_equal(row->verdict_count, RULES);
		for (int k = 0; k < RULES; k++) {
			assert_string_equal(row->verdicts[k].rule, rule_ids[k]);
			assert_int_equal(row->verdicts[k].verdict, f.verdicts[k].verdict);
			assert_string_equal(row->verdicts[k].reason, f.reasons[k]);
		}
		assert_int_equal(row->raw_count, 2);
		assert_string_equal(row->raw[0].owner, f.domain);
		assert_int_equal(row->raw[0].len, 8);
		assert_memory_equal(row->raw[0].data, f.raw0, 8);
		assert_string_equal(row->raw[1].owner, f.owner1);
		assert_int_equal(row->raw[1].len, 0);
		assert_non_null(row->raw[1].data);
	}
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	zs_db_reader_close(r);
}

static void test_db_writer_roundtrip(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	/* 2500 domains in batches of 333: several full batches and a partial one; the reader
	 * crosses its 1000-row fetches. */
	struct zs_db_writer_stats st = write_world(db, run, 0, 2500, 0, 333);
	assert_int_equal(st.pushed, 2500);
	assert_int_equal(st.results, 2500);
	assert_int_equal(st.verdicts, 2500 * RULES);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.quarantined, 0);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.batches, 8);
	assert_int_equal(st.retries, 0);
	assert_int_equal(count_rows(t, "results", run), 2500);
	assert_int_equal(count_rows(t, "verdicts", run), 2500 * RULES);
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	check_world(db, run, 2500, 0);
	zs_db_close(db);
}

/* Facts and verdicts equal to the previous run's are stored once; readers and pruning follow
 * the pointers. */
static void test_db_writer_unchanged_facts_stored_once(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run[3];
	char sql[256];
	for (int r = 0; r < 3; r++) {
		run[r] = begin_run(db, "post");
		/* run 0 and 1: salt 0; run 2: the first 100 domains change (salt 1) */
		struct zs_db_writer_stats st =
		        write_world(db, run[r], 0, r == 2 ? 100 : 300, r == 2 ? 1 : 0, 70);
		if (r == 2) {
			st = write_world(db, run[r], 100, 300, 0, 70);
		}
		assert_int_equal(st.quarantined, 0);
		/* the second writer of run 2 (domains 100 to 299) finds them unchanged */
		assert_int_equal(st.facts_unchanged, r == 0 ? 0 : 200 + (r == 1) * 100);
		assert_int_equal(st.verdicts_unchanged, st.facts_unchanged);
		assert_int_equal(st.verdicts, (st.results - st.verdicts_unchanged) * RULES);
		finish_run(db, run[r], ZS_DB_RUN_COMPLETE);
	}
	/* run 1 points at run 0 for every domain; run 2 at run 0 too (never at a pointer) for the
	 * 200 unchanged domains, and holds the 100 changed ones */
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64
	         " AND facts IS NULL AND raw_owner IS NULL AND raw_txt IS NULL AND facts_run = "
	         "%" PRId64,
	         run[1], run[0]);
	assert_int_equal(dbtest_int(t, sql), 300);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FILTER (WHERE facts_run = %" PRId64 " AND domain >= 'd00100'), "
	         "count(*) FILTER (WHERE facts IS NOT NULL AND domain < 'd00100') FROM results "
	         "WHERE run_id = %" PRId64,
	         run[0], run[2]);
	assert_int_equal(dbtest_int(t, sql), 200);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64
	         " AND verdicts_run = %" PRId64,
	         run[2], run[0]);
	assert_int_equal(dbtest_int(t, sql), 200);
	assert_int_equal(count_rows(t, "verdicts", run[1]), 0);
	assert_int_equal(count_rows(t, "verdicts", run[2]), 100 * RULES);
	check_world(db, run[1], 300, 0);

	/* pruning run 0 moves its documents into run 1, which run 2 then points at */
	struct zs_db_prune_stats ps;
	assert_int_equal(zs_db_prune(db, 2, false, NULL, &ps), 0);
	assert_int_equal(ps.runs, 1);
	assert_int_equal(count_rows(t, "results", run[0]), 0);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64 " AND facts IS NOT NULL "
	         "AND cardinality(raw_txt) = 2",
	         run[1]);
	assert_int_equal(dbtest_int(t, sql), 300);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64 " AND facts_run = %" PRId64,
	         run[2], run[1]);
	assert_int_equal(dbtest_int(t, sql), 200);
	assert_int_equal(count_rows(t, "verdicts", run[1]), 300 * RULES);
	check_world(db, run[1], 300, 0);
	/* and pruning run 1 leaves run 2 with every document of its own */
	assert_int_equal(zs_db_prune(db, 1, false, NULL, &ps), 0);
	assert_int_equal(ps.runs, 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64 " AND facts IS NOT NULL "
	         "AND facts_run IS NULL AND (facts->>'salt')::int = (domain < 'd00100')::int",
	         run[2]);
	assert_int_equal(dbtest_int(t, sql), 300);
	assert_int_equal(count_rows(t, "verdicts", run[2]), 300 * RULES);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE verdicts_run IS NOT NULL OR facts_run IS NOT "
	         "NULL");
	assert_int_equal(dbtest_int(t, sql), 0);

	/* while a sweep of the TLD runs (its session holds the TLD's lock), its runs are kept */
	struct zs_db *sweeping = open_db(t);
	int64_t newer = begin_run(sweeping, "post");
	finish_run(sweeping, newer, ZS_DB_RUN_COMPLETE); /* run 2 is now prunable */
	int64_t running = begin_run(sweeping, "post");
	assert_int_equal(zs_db_prune(db, 1, false, NULL, &ps), 0);
	assert_int_equal(ps.runs, 0);
	assert_int_equal(count_rows(t, "results", run[2]), 300);
	finish_run(sweeping, running, ZS_DB_RUN_COMPLETE);
	zs_db_close(sweeping);
	assert_int_equal(zs_db_prune(db, 1, false, NULL, &ps), 0);
	assert_int_equal(ps.runs, 2);
	assert_int_equal(count_rows(t, "results", run[2]), 0);
	zs_db_close(db);
}

/* Rows stored under schema 4 (facts held by an earlier run's row, raw TXT records and verdict
 * rows in every row) read back whole under the newest, and a new run stores on top of them. */
static void test_db_migrate_keeps_rows_of_version_4(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	assert_int_equal(zs_db_migrate(db, 4, NULL), 0);
	dbtest_exec(t, "INSERT INTO tlds (name) VALUES ('post');"
	               "INSERT INTO policies (name, version) VALUES ('post', '1.1');"
	               "INSERT INTO runs (tld_id, policy_id, zone_source, status, finished_at) "
	               "SELECT 1, 1, 'post.zone', 'complete', now() FROM generate_series(1, 2);"
	               "INSERT INTO results (run_id, domain, status, warnings, mail, raw_owner, "
	               "raw_txt, facts, facts_sha256, facts_run) VALUES "
	               "(1, 'd00000.post', 'compliant', 0, 'mail', '{d00000.post}', "
	               "'{\"\\\\x6869\"}', '{\"k\": 1}', NULL, NULL), "
	               "(2, 'd00000.post', 'compliant', 0, 'mail', '{d00000.post}', "
	               "'{\"\\\\x6869\"}', NULL, NULL, 1);"
	               "INSERT INTO verdicts VALUES (1, 'd00000.post', 'R-A', 'pass', 'one'), "
	               "(2, 'd00000.post', 'R-A', 'fail', 'two');");
	assert_int_equal(zs_db_migrate(db, 0, NULL), 0);

	struct zs_db_reader *r = NULL;
	const struct zs_db_row *row = NULL;
	assert_int_equal(zs_db_reader_open(db, 2, &r), 0);
	assert_int_equal(zs_db_reader_next(r, &row), 0);
	assert_string_equal(row->facts_json, "{\"k\": 1}");
	assert_int_equal(row->raw_count, 1);
	assert_memory_equal(row->raw[0].data, "hi", 2);
	assert_int_equal(row->verdict_count, 1);
	assert_int_equal(row->verdicts[0].verdict, ZS_DB_FAIL);
	assert_string_equal(row->verdicts[0].reason, "two");
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	zs_db_reader_close(r);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM v_verdicts WHERE run_id = 2 AND "
	                               "verdict = 'fail'"),
	                 1);

	/* a new run: nothing of the old rows has a hash, so all is stored again */
	int64_t run = begin_run(db, "post");
	struct zs_db_writer_stats st = write_world(db, run, 0, 2, 0, 10);
	assert_int_equal(st.results, 2);
	assert_int_equal(st.facts_unchanged + st.verdicts_unchanged, 0);
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	struct zs_db_prune_stats ps;
	assert_int_equal(zs_db_prune(db, 1, false, NULL, &ps), 0);
	assert_int_equal(ps.runs, 2);
	check_world(db, run, 2, 0);
	zs_db_close(db);
}

/* Verdicts that change while the facts do not (an exemption, a new policy version), and facts
 * that change while the verdicts do not, are each stored on their own. */
static void test_db_writer_verdicts_apart_from_facts(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t first = begin_run(db, "post");
	struct zs_db_writer_stats st = write_world(db, first, 0, 100, 0, 40);
	finish_run(db, first, ZS_DB_RUN_COMPLETE);

	/* domains 0-29: one reason changes; 30-49: the facts change; the rest: nothing */
	int64_t run = begin_run(db, "post");
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_opts o = { .batch_max = 40, .queue_max = 1000, .flush_ms = 600000 };
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	for (int i = 0; i < 100; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		if (i < 30) {
			snprintf(f.reasons[3], sizeof(f.reasons[3]), "exempt until 2027-01-01");
		} else if (i < 50) {
			snprintf(f.facts, sizeof(f.facts), "{\"i\": %d, \"new\": true}", i);
		}
		assert_int_equal(zs_db_writer_push(w, &f.res), 0);
	}
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	assert_int_equal(st.facts_unchanged, 80);
	assert_int_equal(st.verdicts_unchanged, 70);
	assert_int_equal(st.verdicts, 30 * RULES);
	assert_int_equal(count_rows(t, "verdicts", run), 30 * RULES);

	/* read back whole, through the pointers */
	struct zs_db_reader *r = NULL;
	const struct zs_db_row *row = NULL;
	assert_int_equal(zs_db_reader_open(db, run, &r), 0);
	for (int i = 0; i < 100; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		assert_int_equal(zs_db_reader_next(r, &row), 0);
		assert_string_equal(row->domain, f.domain);
		assert_non_null(strstr(row->facts_json, i >= 30 && i < 50 ? "new" : "salt"));
		assert_int_equal(row->verdict_count, RULES);
		for (int k = 0; k < RULES; k++) {
			assert_int_equal(row->verdicts[k].verdict, f.verdicts[k].verdict);
			assert_string_equal(row->verdicts[k].reason,
			                    i < 30 && k == 3 ? "exempt until 2027-01-01"
			                                     : f.reasons[k]);
		}
	}
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	zs_db_reader_close(r);
	/* the rule counts of the run count every domain, wherever its verdicts are stored */
	char sql[160];
	snprintf(sql, sizeof(sql),
	         "SELECT sum(domains) FROM run_rule_counts WHERE run_id = %" PRId64, run);
	assert_int_equal(dbtest_int(t, sql), 100 * RULES);
	zs_db_close(db);
}

static void test_db_writer_empty_run(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	struct zs_db_writer_stats st = write_world(db, run, 0, 0, 0, 100);
	assert_int_equal(st.batches, 0);
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	struct zs_db_reader *r = NULL;
	const struct zs_db_row *row = NULL;
	assert_int_equal(zs_db_reader_open(db, run, &r), 0);
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	zs_db_reader_close(r);
	assert_int_equal(zs_db_reader_open(db, 99999, &r), ZS_ERR_NOTFOUND);
	zs_db_close(db);
}

static void test_db_writer_refuses_run_not_running(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	struct zs_db_writer *w = NULL;
	assert_int_equal(zs_db_writer_new(db, run, NULL, &w), ZS_ERR_USAGE);
	assert_non_null(strstr(zs_db_error(db), "is not running"));
	zs_db_close(db);
}

static void test_db_writer_hostile_bytes_exact(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	uint8_t all[256];
	for (int i = 0; i < 256; i++) {
		all[i] = (uint8_t)i;
	}
	static const char nasty[] = "v=spf1 \\N\t\n\r\\\\ '; DROP TABLE results; -- \"{},\"";
	static const char bad_utf8[] = "v=DMARC1; p=reject\xc3\x28\xff\x80 rua=\xe2\x82";
	const struct zs_db_raw_txt raw[] = {
		{ "hostile.post", all, sizeof(all) },
		{ "_dmarc.hostile.post", (const uint8_t *)nasty, sizeof(nasty) - 1 },
		{ "odd\\\"{owner},\\032.hostile.post", (const uint8_t *)bad_utf8,
		  sizeof(bad_utf8) - 1 },
		{ "nul.hostile.post", (const uint8_t *)"a\0b\0", 4 },
	};
	const struct zs_db_verdict_row v[] = {
		{ "POST-MX-SPF", ZS_DB_FAIL, nasty },
		{ "POST-MX-DMARC", ZS_DB_ERROR, bad_utf8 },
	};
	const char *facts = "{\"txt\": \"\\\\x00 \\\\ \\t \\u00e9 \xc3\xa9\", \"n\": null}";
	struct zs_db_result res = {
		.domain = "hostile.post",
		.status = ZS_DB_NON_COMPLIANT,
		.warnings = 0,
		.mail = ZS_DB_MAIL,
		.facts_json = facts,
		.verdicts = v,
		.verdict_count = 2,
		.raw = raw,
		.raw_count = 4,
	};
	/* Facts that are not UTF-8 are kept, wrapped and escaped. */
	const struct zs_db_result res2 = { .domain = "badfacts.post",
		                           .status = ZS_DB_COMPLIANT,
		                           .mail = ZS_DB_NON_MAIL,
		                           .facts_json = "{\"x\": \"\xff\"}" };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, NULL, &w), 0);
	assert_int_equal(zs_db_writer_push(w, &res), 0);
	assert_int_equal(zs_db_writer_push(w, &res2), 0);
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_int_equal(st.results, 2);
	assert_int_equal(st.escaped, 2);
	assert_int_equal(st.quarantined, 0);

	struct zs_db_reader *r = NULL;
	const struct zs_db_row *row = NULL;
	assert_int_equal(zs_db_reader_open(db, run, &r), 0);
	assert_int_equal(zs_db_reader_next(r, &row), 0);
	assert_string_equal(row->domain, "badfacts.post");
	assert_string_equal(row->facts_json,
	                    "{\"unstorable_facts\": \"{\\\"x\\\": \\\"\\\\xff\\\"}\"}");
	assert_int_equal(row->verdict_count, 0);
	assert_int_equal(row->raw_count, 0);
	assert_int_equal(zs_db_reader_next(r, &row), 0);
	assert_string_equal(row->domain, "hostile.post");
	assert_int_equal(row->raw_count, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(row->raw[i].owner, raw[i].owner);
		assert_int_equal(row->raw[i].len, raw[i].len);
		assert_memory_equal(row->raw[i].data, raw[i].data, raw[i].len);
	}
	assert_int_equal(row->verdict_count, 2);
	/* Rule ids in byte order: POST-MX-DMARC before POST-MX-SPF. */
	assert_string_equal(row->verdicts[0].rule, "POST-MX-DMARC");
	assert_string_equal(row->verdicts[1].reason, nasty);
	/* Invalid UTF-8 in a reason is stored escaped, and the escaping is reversible. */
	struct zs_buf b;
	zs_buf_init(&b, 1024);
	assert_int_equal(
	        zs_unescape_data(&b, row->verdicts[0].reason, strlen(row->verdicts[0].reason)), 0);
	assert_int_equal(b.len, sizeof(bad_utf8) - 1);
	assert_memory_equal(b.data, bad_utf8, b.len);
	zs_buf_deinit(&b);
	assert_non_null(strstr(row->facts_json, "\\\\x00"));
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	zs_db_reader_close(r);
	/* What psql shows: the raw bytes as bytea. */
	assert_int_equal(dbtest_int(t, "SELECT length(raw_txt[1]) FROM results "
	                               "WHERE domain = 'hostile.post'"),
	                 256);
	zs_db_close(db);
}

static void test_db_writer_resent_batch_changes_nothing(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	write_world(db, run, 0, 500, 0, 100);
	/* The same domains again (as after a lost commit or a resume), plus new ones, with
	 * different content: what is stored is kept, unchanged. */
	struct zs_db_writer_stats st = write_world(db, run, 250, 750, 1, 100);
	assert_int_equal(st.results, 250);
	assert_int_equal(st.duplicates, 250);
	assert_int_equal(st.verdicts, 250 * RULES);
	assert_int_equal(st.quarantined, 0);
	assert_int_equal(count_rows(t, "results", run), 750);
	assert_int_equal(count_rows(t, "verdicts", run), 750 * RULES);
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64
	         " AND (facts->>'salt')::int = 0",
	         run);
	assert_int_equal(dbtest_int(t, sql), 500);
	zs_db_close(db);
}

static void test_db_writer_quarantines_refused_rows(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_opts o = { .batch_max = 1000, .queue_max = 100000, .flush_ms = 600000 };
	struct zs_db_writer_stats st;
	char line[256];
	char verdict[256];

	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	for (int i = 0; i < 1000; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		if (i == 137) {
			/* JSON that PostgreSQL refuses (the facts, the row's last field, are
			 * escaped for COPY when sent; the rest is taken as it is). */
			snprintf(line, sizeof(line),
			         "%" PRId64 "\tbadjson.post\tcompliant\t0\tmail\t{}\t{}\t{\"a\": "
			         "\"\\u0000\"}\n",
			         run);
			snprintf(verdict, sizeof(verdict),
			         "%" PRId64 "\tbadjson.post\tR-A\tpass\tfine\n", run);
			assert_int_equal(zs__db_writer_push_raw(w, "badjson.post", line, verdict),
			                 0);
		} else if (i == 600) {
			/* A constraint violation in a verdict row (empty rule id). */
			snprintf(line, sizeof(line),
			         "%" PRId64 "\tbadrule.post\tcompliant\t0\tmail\t{}\t{}\t{}\n",
			         run);
			snprintf(verdict, sizeof(verdict), "%" PRId64 "\tbadrule.post\t\tpass\tx\n",
			         run);
			assert_int_equal(zs__db_writer_push_raw(w, "badrule.post", line, verdict),
			                 0);
		} else {
			assert_int_equal(zs_db_writer_push(w, &f.res), 0);
		}
	}
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_int_equal(st.results, 998);
	assert_int_equal(st.verdicts, 998 * RULES);
	assert_int_equal(st.quarantined, 2);
	/* stored by status (fake_result: i % 3), less the two quarantined: 600 and 137 */
	assert_int_equal(st.stored[0], 333);
	assert_int_equal(st.stored[1], 333);
	assert_int_equal(st.stored[2], 332);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.retries, 1);
	assert_int_equal(count_rows(t, "results", run), 998);
	assert_int_equal(count_rows(t, "verdicts", run), 998 * RULES);
	assert_int_equal(count_rows(t, "quarantine", run), 2);
	char text[512];
	dbtest_text(t, "SELECT domain || ' ' || sqlstate FROM quarantine ORDER BY domain", text,
	            sizeof(text));
	assert_string_equal(text, "badjson.post 22P05");
	dbtest_text(t, "SELECT error FROM quarantine WHERE domain = 'badrule.post'", text,
	            sizeof(text));
	assert_non_null(strstr(text, "check constraint"));
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	struct zs_db_run *r = NULL;
	assert_int_equal(zs_db_run_get(db, run, &r), 0);
	assert_int_equal(r->quarantined, 2);
	assert_int_equal(r->domains, 998);
	zs_db_run_free(r);
	zs_db_close(db);
}

struct waker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wakes;
};

static void wake_cb(void *arg)
{
	struct waker *k = arg;
	pthread_mutex_lock(&k->mu);
	k->wakes++;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

/* Wait for the wake callback; a generous bound only turns a hang into a failure. */
static void wait_wake(struct waker *k, int seen)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 60;
	pthread_mutex_lock(&k->mu);
	while (k->wakes == seen) {
		if (pthread_cond_timedwait(&k->cv, &k->mu, &dl) != 0) {
			break;
		}
	}
	int wakes = k->wakes;
	pthread_mutex_unlock(&k->mu);
	assert_true(wakes > seen);
}

static void test_db_writer_backpressure_wakes(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	struct waker k = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct zs_db_writer_opts o = {
		.queue_max = 8, .batch_max = 4, .wake = wake_cb, .wake_arg = &k
	};
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	int i = 0;
	int refused = 0;
	while (i < 200) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		pthread_mutex_lock(&k.mu);
		int seen = k.wakes;
		pthread_mutex_unlock(&k.mu);
		int ret = zs_db_writer_push(w, &f.res);
		if (ret == ZS_ERR_AGAIN) {
			refused++;
			wait_wake(&k, seen); /* as the libuv loop would, on its async handle */
			continue;
		}
		assert_int_equal(ret, 0);
		i++;
	}
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_int_equal(st.results, 200);
	assert_int_equal(st.full, (uint64_t)refused);
	assert_true(refused > 0);
	assert_int_equal(count_rows(t, "results", run), 200);
	zs_db_close(db);
}

/* A writer thread held at its first commit until the test opens the gate. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
	bool entered;
};

static int gate_hook(enum zs__db_hook_point point, int pid, void *arg)
{
	struct gate *g = arg;
	if (point == ZS__DB_HOOK_BEFORE_COMMIT) {
		pthread_mutex_lock(&g->mu);
		g->entered = true;
		pthread_cond_broadcast(&g->cv);
		while (!g->open) {
			pthread_cond_wait(&g->cv, &g->mu);
		}
		pthread_mutex_unlock(&g->mu);
	}
	return 0;
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* A database that does not keep up (the writer held in its first batch) fills the queue in
 * bytes long before it does in results: pushes are refused once 1 MiB of results is held,
 * the batch being written included, whatever their number. */
static void test_db_writer_queue_bounded_in_bytes(void **state)
{
	enum { BIG = 64 * 1024, TOTAL = 24, LIMIT = 1024 * 1024 };
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	struct waker k = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct gate g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct zs_db_writer_opts o = { .queue_max = 1000,
		                       .queue_bytes = LIMIT,
		                       .batch_max = 1,
		                       .wake = wake_cb,
		                       .wake_arg = &k };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	uint8_t *txt = zs_malloc(BIG); /* stored as bytea: 2 bytes of COPY text each */
	memset(txt, 'x', BIG);
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	zs__db_writer_set_hook(w, gate_hook, &g);

	int i = 0;
	int refused = 0;
	int first_refused = -1;
	while (i < TOTAL) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		f.raw[0].data = txt;
		f.raw[0].len = BIG;
		pthread_mutex_lock(&k.mu);
		int seen = k.wakes;
		pthread_mutex_unlock(&k.mu);
		int ret = zs_db_writer_push(w, &f.res);
		if (ret == ZS_ERR_AGAIN) {
			if (refused++ == 0) {
				first_refused = i;
				gate_open(&g);
			}
			wait_wake(&k, seen);
			continue;
		}
		assert_int_equal(ret, 0);
		if (i++ == 0) {
			pthread_mutex_lock(
			        &g.mu); /* the writer has the first result in its batch */
			while (!g.entered) {
				pthread_cond_wait(&g.cv, &g.mu);
			}
			pthread_mutex_unlock(&g.mu);
		}
	}
	gate_open(&g); /* never refused: let the writer go before the assertions */
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	/* held at the first commit: the limit's worth of results queued, and one more */
	assert_true(first_refused >= LIMIT / (2 * BIG) - 1 &&
	            first_refused <= LIMIT / (2 * BIG) + 1);
	assert_int_equal(st.results, TOTAL);
	assert_true(st.peak_bytes >= LIMIT && st.peak_bytes < LIMIT + 2 * BIG + 4096);
	assert_int_equal(count_rows(t, "results", run), TOTAL);
	zs_free(txt);
	zs_db_close(db);
}

struct killer {
	const struct dbtest *t;
	int calls;
	int at_call;
	int lose_commit_at;
};

static int kill_hook(enum zs__db_hook_point point, int pid, void *arg)
{
	struct killer *k = arg;
	if (point == ZS__DB_HOOK_BEFORE_COMMIT && ++k->calls == k->at_call) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
		dbtest_admin_exec(k->t, sql);
	}
	if (point == ZS__DB_HOOK_AFTER_COMMIT && k->lose_commit_at > 0 &&
	    --k->lose_commit_at == 0) {
		return 1;
	}
	return 0;
}

static void test_db_writer_backend_killed_mid_batch(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	struct killer k = { .t = t, .at_call = 2 };
	struct zs_db_writer_opts o = { .batch_max = 100, .queue_max = 100000, .flush_ms = 600000 };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	zs__db_writer_set_hook(w, kill_hook, &k);
	for (int i = 0; i < 450; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		assert_int_equal(zs_db_writer_push(w, &f.res), 0);
	}
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_true(st.reconnects >= 1);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.results, 450);
	assert_int_equal(st.lost, 0);
	assert_int_equal(count_rows(t, "results", run), 450);
	assert_int_equal(count_rows(t, "verdicts", run), 450 * RULES);
	/* The writer worked on the caller's session, which holds the TLD's lock: it took the lock
	 * again when it reconnected, and the run finishes under it. */
	struct zs_db *other = open_db(t);
	struct zs_db_run_params p = {
		.tld = "post", .policy = "post", .zone_source = "z", .zone_serial = -1
	};
	int64_t id = 0;
	assert_int_equal(zs_db_run_begin(other, &p, &id), ZS_ERR_LOCKED);
	zs_db_close(other);
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	check_world(db, run, 450, 0);
	zs_db_close(db);
}

/* Another sweep of the TLD begins while the writer's session is lost (a PostgreSQL restart). */
struct takeover {
	const struct dbtest *t;
	struct zs_db *other;
	bool other_finishes; /* before the writer reconnects, releasing the lock */
	int calls;
	int64_t other_run;
};

static int takeover_hook(enum zs__db_hook_point point, int pid, void *arg)
{
	struct takeover *k = arg;
	if (point == ZS__DB_HOOK_BEFORE_COMMIT && ++k->calls == 2) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 10000)", pid);
		dbtest_admin_exec(k->t, sql);
		k->other_run = begin_run(k->other, "post");
		if (k->other_finishes) {
			finish_run(k->other, k->other_run, ZS_DB_RUN_COMPLETE);
		}
	}
	return 0;
}

/* A writer that reconnects takes the TLD's lock again before it writes another row: when
 * another sweep holds it, or took over the run meanwhile, the writer stops and the run cannot
 * be finished by the sweep that lost it. */
static void test_db_writer_stops_when_another_sweep_took_over(void **state)
{
	struct dbtest *t = *state;
	for (int finishes = 0; finishes < 2; finishes++) {
		struct zs_db *db = open_db(t);
		struct takeover k = { .t = t, .other = open_db(t), .other_finishes = finishes };
		int64_t run = begin_run(db, "post");
		struct zs_db_writer_opts o = {
			.batch_max = 100, .queue_max = 100000, .flush_ms = 600000, .give_up_ms = 500
		};
		struct zs_db_writer *w = NULL;
		struct zs_db_writer_stats st;
		assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
		zs__db_writer_set_hook(w, takeover_hook, &k);
		for (int i = 0; i < 300; i++) {
			struct fake f;
			fake_result(&f, i, 0, "post");
			assert_int_equal(zs_db_writer_push(w, &f.res), 0);
		}
		assert_int_equal(zs_db_writer_finish(w, &st), ZS_ERR_LOCKED);
		assert_int_equal(st.results, 100);
		assert_int_equal(st.lost, 200);
		assert_int_equal(count_rows(t, "results", run), 100);
		struct zs_db_run_end end = { .status = ZS_DB_RUN_INTERRUPTED };
		assert_int_equal(zs_db_run_finish(db, run, &end), ZS_ERR_LOCKED);
		assert_non_null(strstr(zs_db_error(db), "another sweep took the TLD's lock"));
		char sql[128];
		char status[32];
		snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %" PRId64, run);
		dbtest_text(t, sql, status, sizeof(status));
		assert_string_equal(status, "interrupted");
		if (!k.other_finishes) {
			finish_run(k.other, k.other_run, ZS_DB_RUN_COMPLETE);
		}
		zs_db_close(k.other);
		zs_db_close(db);
	}
}

static void test_db_writer_lost_commit_confirmation(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	struct killer k = { .t = t, .lose_commit_at = 2 };
	struct zs_db_writer_opts o = { .batch_max = 100, .queue_max = 100000, .flush_ms = 600000 };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	zs__db_writer_set_hook(w, kill_hook, &k);
	for (int i = 0; i < 300; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		assert_int_equal(zs_db_writer_push(w, &f.res), 0);
	}
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	/* The second batch was committed, then resent: the resend changed nothing, and its
	 * results count as stored. */
	assert_int_equal(st.duplicates, 100);
	assert_int_equal(stored_total(&st), 300);
	assert_int_equal(count_rows(t, "results", run), 300);
	assert_int_equal(count_rows(t, "verdicts", run), 300 * RULES);
	zs_db_close(db);
}

static int collect_cb(const char *domain, void *arg)
{
	int *n = arg;
	char expect[64];
	snprintf(expect, sizeof(expect), "d%05d.post", *n);
	assert_string_equal(domain, expect);
	(*n)++;
	return 0;
}

static int stop_cb(const char *domain, void *arg)
{
	return ZS_ERR_INTERRUPTED;
}

static void test_db_writer_gives_up_then_resume(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	write_world(db, run, 0, 200, 0, 100);

	struct zs_db_writer_opts o = { .batch_max = 50, .give_up_ms = 600 };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	/* The database goes away for the writer: new connections refused, its session (the
	 * caller's, which it took) ended. */
	char sql[256];
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS false", t->name);
	dbtest_admin_exec(t, sql);
	snprintf(sql, sizeof(sql),
	         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
	         "AND application_name = 'zonesweep'",
	         t->name);
	dbtest_admin_exec(t, sql);
	int ret = 0;
	int pushed = 0;
	for (int i = 200; i < 400 && ret == 0; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		ret = zs_db_writer_push(w, &f.res);
		pushed += ret == 0;
	}
	assert_int_equal(zs_db_writer_finish(w, &st), ZS_ERR_DB);
	assert_true(st.lost > 0);
	assert_int_equal(st.results + st.lost, (uint64_t)pushed);
	assert_int_equal(stored_total(&st), st.results);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS true", t->name);
	dbtest_admin_exec(t, sql);

	/* The caller stops cleanly: the run is interrupted, then resumed. */
	finish_run(db, run, ZS_DB_RUN_INTERRUPTED);
	zs_db_close(db);
	db = open_db(t);
	assert_int_equal(zs_db_run_resume(db, run), 0);
	int n = 0;
	assert_int_equal(zs_db_run_stored(db, run, collect_cb, &n), 0);
	assert_int_equal(n, (int)count_rows(t, "results", run));
	assert_int_equal(zs_db_run_stored(db, run, stop_cb, NULL), ZS_ERR_INTERRUPTED);
	write_world(db, run, n, 400, 0, 100);
	finish_run(db, run, ZS_DB_RUN_COMPLETE);
	check_world(db, run, 400, 0);
	struct zs_db_run *r = NULL;
	assert_int_equal(zs_db_run_get(db, run, &r), 0);
	assert_int_equal(r->resumes, 1);
	assert_int_equal(r->domains, 400);
	zs_db_run_free(r);
	assert_int_equal(zs_db_run_resume(db, run), ZS_ERR_USAGE);
	zs_db_close(db);
}

static void test_db_writer_gives_up_on_non_row_error(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	int64_t run = begin_run(db, "post");
	/* A failure that is not the rows' fault (here "disk full" from a trigger): no bisection,
	 * no quarantine; retried until the limit, then the writer gives up. */
	dbtest_exec(t, "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
	               "RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$; "
	               "CREATE TRIGGER disk_full BEFORE INSERT ON results FOR EACH ROW "
	               "WHEN (NEW.domain = 'd00003.post') EXECUTE FUNCTION disk_full()");
	struct zs_db_writer_opts o = { .batch_max = 100, .give_up_ms = 400, .flush_ms = 600000 };
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	for (int i = 0; i < 10; i++) {
		struct fake f;
		fake_result(&f, i, 0, "post");
		assert_int_equal(zs_db_writer_push(w, &f.res), 0);
	}
	assert_int_equal(zs_db_writer_finish(w, &st), ZS_ERR_DB);
	assert_int_equal(st.quarantined, 0);
	assert_int_equal(st.lost, 10);
	assert_int_equal(count_rows(t, "results", run), 0);
	assert_int_equal(count_rows(t, "quarantine", run), 0);
	zs_db_close(db);
}

static void test_db_run_lock_after_reconnect(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *a = open_db(t);
	struct zs_db *b = open_db(t);
	int64_t run = begin_run(a, "post");
	char sql[128];
	struct zs_db_run_params p = {
		.tld = "post", .policy = "post", .zone_source = "z", .zone_serial = -1
	};
	int64_t id = 0;
	int n = 0;
	zs__db_set_relock_wait(a, 300); /* when b holds the lock, fail quickly */

	/* The sweep's connection dies (the kill waits until its backend is gone, so that the
	 * test does not depend on how fast that is); the next call reconnects and holds the
	 * lock again. */
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 10000)", PQbackendPID(a->conn));
	dbtest_admin_exec(t, sql);
	assert_int_equal(zs_db_run_stored(a, run, collect_cb, &n), 0);
	assert_int_equal(zs_db_run_begin(b, &p, &id), ZS_ERR_LOCKED);

	/* Dies again, and another session takes the lock meanwhile: the sweep is told. */
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 10000)", PQbackendPID(a->conn));
	dbtest_admin_exec(t, sql);
	assert_int_equal(zs_db_run_begin(b, &p, &id), 0);
	struct zs_db_run_end end = { .status = ZS_DB_RUN_COMPLETE };
	assert_int_equal(zs_db_run_finish(a, run, &end), ZS_ERR_LOCKED);
	assert_non_null(strstr(zs_db_error(a), "another sweep took the TLD's lock"));
	zs_db_close(a);
	zs_db_close(b);
}

/* ---- history ---- */

static void test_db_run_late_completion_keeps_history(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);
	/* Run 1 is interrupted, run 2 completes, run 1 is resumed and completes later: it must
	 * not roll the current state back to its older results. */
	int64_t r1 = begin_run(db, "post");
	write_world(db, r1, 0, 10, 1, 100);
	finish_run(db, r1, ZS_DB_RUN_INTERRUPTED);
	int64_t r2 = begin_run(db, "post");
	write_world(db, r2, 0, 10, 0, 100);
	finish_run(db, r2, ZS_DB_RUN_COMPLETE);
	assert_int_equal(zs_db_run_resume(db, r1), 0);
	finish_run(db, r1, ZS_DB_RUN_COMPLETE);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM transitions WHERE run_id = %" PRId64, r1);
	assert_int_equal(dbtest_int(t, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM current_state WHERE since_run = %" PRId64,
	         r2);
	assert_int_equal(dbtest_int(t, sql), 10);
	snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %" PRId64, r1);
	char status[32];
	dbtest_text(t, sql, status, sizeof(status));
	assert_string_equal(status, "complete");
	zs_db_close(db);
}

static void test_db_run_history_and_since(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = open_db(t);

	/* Run 1: domains 0..9. Run 2: 0..8 with salt 1 for 0..4 (status changes). Run 3 is
	 * interrupted and leaves history alone. Run 4: domains 0..8 as run 2, plus 10. */
	int64_t r1 = begin_run(db, "post");
	write_world(db, r1, 0, 10, 0, 100);
	finish_run(db, r1, ZS_DB_RUN_COMPLETE);

	int64_t r2 = begin_run(db, "post");
	write_world(db, r2, 0, 5, 1, 100);
	write_world(db, r2, 5, 9, 0, 100);
	finish_run(db, r2, ZS_DB_RUN_COMPLETE);

	int64_t r3 = begin_run(db, "post");
	write_world(db, r3, 0, 3, 2, 100);
	finish_run(db, r3, ZS_DB_RUN_INTERRUPTED);

	int64_t r4 = begin_run(db, "post");
	write_world(db, r4, 0, 5, 1, 100);
	write_world(db, r4, 5, 9, 0, 100);
	write_world(db, r4, 10, 11, 0, 100);
	finish_run(db, r4, ZS_DB_RUN_COMPLETE);

	char sql[512];
	/* 10 first appearances, 5 changes, 1 removal (d00009 in run 2), 1 new domain. */
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM transitions WHERE from_state IS NULL"),
	                 11);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM transitions WHERE run_id = %" PRId64
	         " AND from_state IS NOT NULL AND to_state <> 'removed'",
	         r2);
	assert_int_equal(dbtest_int(t, sql), 5);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM transitions WHERE run_id = %" PRId64
	         " AND to_state = 'removed' AND domain = 'd00009.post'",
	         r2);
	assert_int_equal(dbtest_int(t, sql), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM transitions WHERE run_id IN (%" PRId64 ", %" PRId64 ")", r3,
	         r4);
	assert_int_equal(dbtest_int(t, sql), 1); /* only d00010 appears */
	snprintf(sql, sizeof(sql), "SELECT removed_run FROM domains WHERE name = 'd00009.post'");
	assert_int_equal(dbtest_int(t, sql), r2);
	assert_int_equal(
	        dbtest_int(t, "SELECT count(*) FROM current_state WHERE state = 'removed'"), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT since_run FROM current_state WHERE domain = 'd00007.post'");
	assert_int_equal(dbtest_int(t, sql), r1);
	snprintf(sql, sizeof(sql),
	         "SELECT since_run FROM current_state WHERE domain = 'd00002.post'");
	assert_int_equal(dbtest_int(t, sql), r2);

	/* The reader's "since": unchanged domains since run 1, changed ones since run 2, the new
	 * one since run 4; in the interrupted run 3, changed statuses since run 3 itself. */
	struct zs_db_reader *r = NULL;
	const struct zs_db_row *row = NULL;
	assert_int_equal(zs_db_reader_open(db, r4, &r), 0);
	for (int i = 0; i < 11; i++) {
		if (i == 9) {
			continue;
		}
		assert_int_equal(zs_db_reader_next(r, &row), 0);
		int64_t expect = i < 5 ? r2 : i == 10 ? r4 : r1;
		assert_int_equal(row->since_run, expect);
		assert_true(row->since_at > 1700000000);
	}
	assert_int_equal(zs_db_reader_next(r, &row), ZS_ERR_EOF);
	zs_db_reader_close(r);
	assert_int_equal(zs_db_reader_open(db, r3, &r), 0);
	for (int i = 0; i < 3; i++) {
		struct fake f2;
		struct fake f1;
		fake_result(&f2, i, 2, "post");
		fake_result(&f1, i, 1, "post");
		assert_int_equal(zs_db_reader_next(r, &row), 0);
		int64_t expect = f2.res.status == f1.res.status ? r2 : r3;
		assert_int_equal(row->since_run, expect);
	}
	zs_db_reader_close(r);
	zs_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_copy_escape_every_offset),
		cmocka_unit_test(test_db_open_unreachable_names_database),
		cmocka_unit_test_setup_teardown(test_db_open_missing_database, dbtest_setup_empty,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_open_uri_and_environment,
		                                dbtest_setup_empty, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_migrate_from_empty, dbtest_setup_empty,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_migrate_from_each_version,
		                                dbtest_setup_empty, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_migrate_keeps_rows_of_version_4,
		                                dbtest_setup_empty, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_check_schema_newer, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_migrate_failure_leaves_nothing,
		                                dbtest_setup_empty, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_run_lock_per_tld, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_run_begin_rejects_bad_input,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_run_metadata_and_resolve,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_roundtrip, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_verdicts_apart_from_facts,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_empty_run, dbtest_setup_migrated,
		                                dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_unchanged_facts_stored_once,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_refuses_run_not_running,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_hostile_bytes_exact,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_resent_batch_changes_nothing,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_quarantines_refused_rows,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_backpressure_wakes,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_queue_bounded_in_bytes,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_backend_killed_mid_batch,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_stops_when_another_sweep_took_over,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_lost_commit_confirmation,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_gives_up_then_resume,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_writer_gives_up_on_non_row_error,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_run_lock_after_reconnect,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_run_history_and_since,
		                                dbtest_setup_migrated, dbtest_teardown),
		cmocka_unit_test_setup_teardown(test_db_run_late_completion_keeps_history,
		                                dbtest_setup_migrated, dbtest_teardown),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
