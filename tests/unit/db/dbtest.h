/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the database tests: each test gets a fresh database of its own on the rig's
 * PostgreSQL (ZS_PG_ADMIN, exported by scripts/test.sh or scripts/rig.sh's env.sh), created
 * in setup and dropped in teardown, so that tests can run in parallel. Without ZS_PG_ADMIN a
 * test fails and says how to run it; it is never skipped.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dbtest {
	char name[64];       /**< the test database */
	char conninfo[2048]; /**< key=value connection string to it */
	char admin[2048];    /**< ZS_PG_ADMIN */
};

/** cmocka setup: a fresh empty database in *state (a struct dbtest). */
int dbtest_setup_empty(void **state);
/** cmocka setup: a fresh database migrated to the newest schema. */
int dbtest_setup_migrated(void **state);
/** cmocka teardown: drop the database (terminating what is still connected). */
int dbtest_teardown(void **state);

/** Run SQL on the test database and return the first field of the first row as an integer
 *  (-1 for no row or NULL); fails the test on an error. */
int64_t dbtest_int(const struct dbtest *t, const char *sql);
/** Same, as text copied into @p buf. */
void dbtest_text(const struct dbtest *t, const char *sql, char *buf, size_t len);
/** Run SQL on the test database through a connection of its own; fails the test on error. */
void dbtest_exec(const struct dbtest *t, const char *sql);
/** Run SQL on the admin database. */
void dbtest_admin_exec(const struct dbtest *t, const char *sql);
/** A connection string to the test database with its dbname replaced by @p dbname. */
void dbtest_conninfo(const char *admin, const char *dbname, char *buf, size_t len);
