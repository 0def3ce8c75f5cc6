/* SPDX-License-Identifier: MIT */
/*
 * Connection loss by a restart of the whole PostgreSQL server (scripts/rig.sh restart-pg, an
 * immediate shutdown) in the middle of a sweep: once with rows of a batch sent and its COMMIT
 * not yet, once between batches. The writer reconnects and resends, the caller's connection
 * (which held the TLD's lock) reconnects when the run finishes, and the stored run equals what
 * was pushed: nothing lost, nothing twice. It stops every connection of the server, so ctest
 * runs it alone (RUN_SERIAL).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/db_int.h"
#include "scanner/base/err.h"
#include "tests/unit/db/dbtest.h"
#include "tests/unit/test.h"

struct restarter {
	int calls;
	int at_call;
	int restarts;
};

static void restart_pg(void)
{
	const char *rig = getenv("ZS_RIG_DIR");
	char cmd[1024];
	if (rig == NULL || rig[0] == '\0') {
		fail_msg(
		        "ZS_RIG_DIR is not set: run this test through scripts/test.sh, or start the "
		        "rig (scripts/rig.sh start DIR) and source DIR/env.sh");
	}
	snprintf(cmd, sizeof(cmd), "'%s/scripts/rig.sh' restart-pg '%s'", ZS_SOURCE_DIR, rig);
	if (system(cmd) != 0) {
		fail_msg("%s failed", cmd);
	}
}

static int restart_hook(enum zs__db_hook_point point, int pid, void *arg)
{
	struct restarter *r = arg;
	if (point == ZS__DB_HOOK_BEFORE_COMMIT && ++r->calls == r->at_call) {
		restart_pg();
		r->restarts++;
	}
	return 0;
}

static void push_range(struct zs_db_writer *w, int from, int to)
{
	for (int i = from; i < to; i++) {
		char domain[32];
		char facts[64];
		snprintf(domain, sizeof(domain), "r%05d.post", i);
		snprintf(facts, sizeof(facts), "{\"i\": %d}", i);
		struct zs_db_verdict_row v[3] = {
			{ "POST-MX-SPF", ZS_DB_PASS, "one record" },
			{ "POST-MX-DMARC", ZS_DB_FAIL, "none" },
			{ "POST-MX-DKIM", ZS_DB_ERROR, "timeout" },
		};
		struct zs_db_result res = { .domain = domain,
			                    .status = ZS_DB_NON_COMPLIANT,
			                    .mail = ZS_DB_MAIL,
			                    .facts_json = facts,
			                    .verdicts = v,
			                    .verdict_count = 3 };
		assert_int_equal(zs_db_writer_push(w, &res), 0);
	}
}

static void test_db_restart_mid_sweep(void **state)
{
	struct dbtest *t = *state;
	struct zs_db *db = NULL;
	assert_int_equal(zs_db_open(t->conninfo, &db), 0);
	struct zs_db_run_params p = { .tld = "post",
		                      .policy = "post",
		                      .policy_version = "1.1",
		                      .zone_source = "post.zone",
		                      .zone_serial = 1 };
	int64_t run = 0;
	assert_int_equal(zs_db_run_begin(db, &p, &run), 0);

	/* 1: the server restarts with the second batch sent and not committed. */
	struct restarter r = { .at_call = 2 };
	struct zs_db_writer_opts o = {
		.batch_max = 200, .queue_max = 100000, .flush_ms = 600000, .give_up_ms = 60000
	};
	struct zs_db_writer *w = NULL;
	struct zs_db_writer_stats st;
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	zs__db_writer_set_hook(w, restart_hook, &r);
	push_range(w, 0, 1000);
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_int_equal(r.restarts, 1);
	assert_true(st.reconnects >= 1);
	assert_int_equal(st.results, 1000);
	assert_int_equal(st.lost, 0);

	/* 2: the server restarts between batches: the next BEGIN finds the connection gone. */
	assert_int_equal(zs_db_writer_new(db, run, &o, &w), 0);
	push_range(w, 1000, 1200);
	restart_pg();
	push_range(w, 1200, 1500);
	assert_int_equal(zs_db_writer_finish(w, &st), 0);
	assert_int_equal(st.results + st.duplicates, 500);
	assert_int_equal(st.lost, 0);

	/* The caller's session (and its lock) died twice: finishing reconnects and relocks. */
	struct zs_db_run_end end = { .status = ZS_DB_RUN_COMPLETE, .zone_complete = true };
	assert_int_equal(zs_db_run_finish(db, run, &end), 0);
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM results WHERE run_id = %" PRId64
	         " AND domain ~ '^r[0-9]{5}\\.post$'",
	         run);
	assert_int_equal(dbtest_int(t, sql), 1500);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM verdicts WHERE run_id = %" PRId64, run);
	assert_int_equal(dbtest_int(t, sql), 4500);
	snprintf(sql, sizeof(sql), "SELECT domains FROM runs WHERE id = %" PRId64, run);
	assert_int_equal(dbtest_int(t, sql), 1500);
	assert_int_equal(dbtest_int(t, "SELECT count(*) FROM transitions"), 1500);
	zs_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_db_restart_mid_sweep, dbtest_setup_migrated,
		                                dbtest_teardown),
	};
	zs_test_use_cmocka_allocator();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
