/* SPDX-License-Identifier: MIT */
/* Helpers of the database tests: a fresh database per test on the rig's PostgreSQL. */
#include "tests/unit/db/dbtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "tests/unit/test.h"

static int counter;

/* Quote a value for a key=value connection string. */
static void append_value(char *buf, size_t len, const char *v)
{
	size_t n = strlen(buf);
	if (n + 3 >= len) {
		return;
	}
	buf[n++] = '\'';
	for (; *v != '\0' && n + 3 < len; v++) {
		if (*v == '\'' || *v == '\\') {
			buf[n++] = '\\';
		}
		buf[n++] = *v;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

void dbtest_conninfo(const char *admin, const char *dbname, char *buf, size_t len)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(admin, &err);
	if (opts == NULL) {
		fail_msg("ZS_PG_ADMIN is not a valid connection string: %s", err);
	}
	buf[0] = '\0';
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 ? dbname : o->val;
		if (v == NULL) {
			continue;
		}
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, "%s%s=", n > 0 ? " " : "", o->keyword);
		append_value(buf, len, v);
	}
	PQconninfoFree(opts);
}

static void exec_on(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fail_msg("cannot connect for the test (%s): %s", conninfo, PQerrorMessage(c));
	}
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fail_msg("test SQL failed: %s: %s", sql, PQerrorMessage(c));
	}
	PQclear(res);
	PQfinish(c);
}

static int setup(void **state, bool migrate)
{
	const char *admin = getenv("ZS_PG_ADMIN");
	if (admin == NULL || admin[0] == '\0') {
		print_error(
		        "ZS_PG_ADMIN is not set: run the database tests through scripts/test.sh, "
		        "or start the rig (scripts/rig.sh start DIR) and source DIR/env.sh\n");
		return -1;
	}
	struct dbtest *t = calloc(1, sizeof(*t));
	snprintf(t->admin, sizeof(t->admin), "%s", admin);
	snprintf(t->name, sizeof(t->name), "zs_test_%ld_%d", (long)getpid(), ++counter);
	dbtest_conninfo(admin, t->name, t->conninfo, sizeof(t->conninfo));
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->name);
	exec_on(t->admin, sql);
	if (migrate) {
		struct zs_db *db = NULL;
		if (zs_db_open(t->conninfo, &db) != 0 || zs_db_migrate(db, 0, NULL) != 0) {
			print_error("cannot migrate the test database: %s\n", zs_db_error(db));
			zs_db_close(db);
			free(t);
			return -1;
		}
		zs_db_close(db);
	}
	*state = t;
	return 0;
}

int dbtest_setup_empty(void **state)
{
	return setup(state, false);
}

int dbtest_setup_migrated(void **state)
{
	return setup(state, true);
}

int dbtest_teardown(void **state)
{
	struct dbtest *t = *state;
	char sql[256];
	if (t == NULL) {
		return 0;
	}
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
	exec_on(t->admin, sql);
	free(t);
	*state = NULL;
	return 0;
}

static PGresult *query(const struct dbtest *t, const char *sql, PGconn **conn)
{
	*conn = PQconnectdb(t->conninfo);
	if (PQstatus(*conn) != CONNECTION_OK) {
		fail_msg("cannot connect for the test: %s", PQerrorMessage(*conn));
	}
	PGresult *res = PQexec(*conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fail_msg("test SQL failed: %s: %s", sql, PQerrorMessage(*conn));
	}
	return res;
}

int64_t dbtest_int(const struct dbtest *t, const char *sql)
{
	PGconn *c = NULL;
	PGresult *res = query(t, sql, &c);
	int64_t v = -1;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	}
	PQclear(res);
	PQfinish(c);
	return v;
}

void dbtest_text(const struct dbtest *t, const char *sql, char *buf, size_t len)
{
	PGconn *c = NULL;
	PGresult *res = query(t, sql, &c);
	snprintf(buf, len, "%s", PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	PQfinish(c);
}

void dbtest_exec(const struct dbtest *t, const char *sql)
{
	exec_on(t->conninfo, sql);
}

void dbtest_admin_exec(const struct dbtest *t, const char *sql)
{
	exec_on(t->admin, sql);
}
