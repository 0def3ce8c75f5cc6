/* SPDX-License-Identifier: MIT */
/*
 * The connection and the schema. libpq's errors are translated here into ZS_ERR_DB with a
 * one-line message that names the database, since the person reading it usually has several
 * (the nightly database, a copy, the test rig). Migrations are the SQL files of db/migrations,
 * embedded at build time; each is applied in its own transaction under an advisory lock and
 * recorded in schema_migrations, so two migrators cannot interleave and a failed migration
 * leaves nothing behind.
 */
#include "db/db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_int.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"

static __thread char open_err[ZS__DB_MSG_MAX];

static const char *const status_names[] = { "compliant", "non-compliant", "indeterminate" };
static const char *const mail_names[] = { "mail", "non-mail", "unknown" };
static const char *const verdict_names[] = { "pass", "fail", "warn", "na", "error" };
static const char *const run_status_names[] = { "running", "complete", "interrupted", "failed",
	                                        "withdrawn" };

static int parse_name(const char *const *names, int count, const char *name, int *out)
{
	for (int i = 0; i < count; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = i;
			return 0;
		}
	}
	return ZS_ERR_NOTFOUND;
}

const char *zs_db_status_name(enum zs_db_status s)
{
	ZS_REQUIRE((unsigned)s < ZS_DB_STATUS_COUNT_);
	return status_names[s];
}

const char *zs_db_mail_name(enum zs_db_mail m)
{
	ZS_REQUIRE((unsigned)m < ZS_DB_MAIL_COUNT_);
	return mail_names[m];
}

const char *zs_db_verdict_name(enum zs_db_verdict v)
{
	ZS_REQUIRE((unsigned)v < ZS_DB_VERDICT_COUNT_);
	return verdict_names[v];
}

const char *zs_db_run_status_name(enum zs_db_run_status s)
{
	ZS_REQUIRE((unsigned)s < ZS_DB_RUN_STATUS_COUNT_);
	return run_status_names[s];
}

int zs_db_status_parse(const char *name, enum zs_db_status *out)
{
	int v = 0;
	int ret = parse_name(status_names, ZS_DB_STATUS_COUNT_, name, &v);
	if (ret == 0) {
		*out = (enum zs_db_status)v;
	}
	return ret;
}

int zs_db_mail_parse(const char *name, enum zs_db_mail *out)
{
	int v = 0;
	int ret = parse_name(mail_names, ZS_DB_MAIL_COUNT_, name, &v);
	if (ret == 0) {
		*out = (enum zs_db_mail)v;
	}
	return ret;
}

int zs_db_verdict_parse(const char *name, enum zs_db_verdict *out)
{
	int v = 0;
	int ret = parse_name(verdict_names, ZS_DB_VERDICT_COUNT_, name, &v);
	if (ret == 0) {
		*out = (enum zs_db_verdict)v;
	}
	return ret;
}

int zs_db_run_status_parse(const char *name, enum zs_db_run_status *out)
{
	int v = 0;
	int ret = parse_name(run_status_names, ZS_DB_RUN_STATUS_COUNT_, name, &v);
	if (ret == 0) {
		*out = (enum zs_db_run_status)v;
	}
	return ret;
}

/* The first line of a libpq message, without the "connection to server ... failed: " and
 * severity prefixes that repeat what our own message says. */
static void one_line(char *buf, size_t len, const char *msg)
{
	const char *p = msg;
	const char *cut = strstr(p, " failed: ");
	if (cut != NULL && strncmp(p, "connection to server", 20) == 0) {
		p = cut + strlen(" failed: ");
	}
	for (const char *sev = NULL; (sev = strstr(p, ":  ")) != NULL && sev - p <= 7;) {
		p = sev + 3; /* "FATAL:  ", "ERROR:  " */
	}
	size_t n = strcspn(p, "\r\n");
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '.')) {
		n--;
	}
	if (n == 0) {
		p = "unknown error";
		n = strlen(p);
	}
	snprintf(buf, len, "%.*s", (int)n, p);
}

void zs__db_format_error(char *buf, size_t len, const char *where, const char *what, PGconn *conn,
                         const PGresult *res)
{
	char msg[ZS__DB_MSG_MAX];
	const char *primary = NULL;

	if (res != NULL) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (primary != NULL) {
		one_line(msg, sizeof(msg), primary);
	} else if (res != NULL && PQresultErrorMessage(res)[0] != '\0') {
		one_line(msg, sizeof(msg), PQresultErrorMessage(res));
	} else if (conn != NULL) {
		one_line(msg, sizeof(msg), PQerrorMessage(conn));
	} else {
		snprintf(msg, sizeof(msg), "no connection");
	}
	snprintf(buf, len, "%s: %s: %s", where, what, msg);
}

int zs__db_fail(struct zs_db *db, const char *what, const PGresult *res)
{
	zs__db_format_error(db->err, sizeof(db->err), db->where, what, db->conn, res);
	return ZS_ERR_DB;
}

int zs__db_failf(struct zs_db *db, int ret, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	return ret;
}

static void describe(PGconn *conn, const PQconninfoOption *opts, char *where, size_t len)
{
	const char *dbname = conn != NULL ? PQdb(conn) : NULL;
	const char *host = conn != NULL ? PQhost(conn) : NULL;
	const char *port = conn != NULL ? PQport(conn) : NULL;

	for (const PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
		if (dbname == NULL && strcmp(o->keyword, "dbname") == 0) {
			dbname = o->val;
		} else if (host == NULL && strcmp(o->keyword, "host") == 0) {
			host = o->val;
		} else if (port == NULL && strcmp(o->keyword, "port") == 0) {
			port = o->val;
		}
	}
	snprintf(where, len, "database %s on %s:%s",
	         dbname != NULL && dbname[0] != '\0' ? dbname : "(default)",
	         host != NULL && host[0] != '\0' ? host : "localhost",
	         port != NULL && port[0] != '\0' ? port : "5432");
}

/* Server notices ("terminating connection due to ...") go to the log, not to raw stderr. */
static void notice_to_log(void *arg, const char *message)
{
	char line[ZS__DB_MSG_MAX];
	one_line(line, sizeof(line), message);
	zs_log_debug(ZS_LOG_DB, "%s: server says: %s", (const char *)arg, line);
}

int zs__db_connect(const char *conninfo, PGconn **out, char *where, size_t where_len, char *err,
                   size_t err_len)
{
	/* Our defaults come before dbname, so a connection string given there overrides them. */
	const char *keys[] = { "client_encoding",
		               "fallback_application_name",
		               "connect_timeout",
		               "keepalives",
		               "keepalives_idle",
		               "keepalives_interval",
		               "keepalives_count",
		               "dbname",
		               NULL };
	const char *vals[] = { "UTF8", "zonesweep", "10", "1", "30", "10", "3", conninfo, NULL };
	PQconninfoOption *opts = NULL;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char *perr = NULL;
	char msg[ZS__DB_MSG_MAX];
	int ret = ZS_ERR_DB;

	if (conninfo != NULL && conninfo[0] != '\0') {
		opts = PQconninfoParse(conninfo, &perr);
		if (opts == NULL) {
			one_line(msg, sizeof(msg), perr != NULL ? perr : "out of memory");
			snprintf(where, where_len, "database (invalid connection string)");
			snprintf(err, err_len, "invalid database connection string: %s", msg);
			PQfreemem(perr);
			return ZS_ERR_USAGE;
		}
	} else {
		vals[7] = NULL; /* everything from the environment */
	}
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		snprintf(where, where_len, "database");
		snprintf(err, err_len, "could not connect to the database: out of memory");
		goto fail;
	}
	describe(conn, opts, where, where_len);
	(void)PQsetNoticeProcessor(conn, notice_to_log, (void *)"database");
	if (PQstatus(conn) != CONNECTION_OK) {
		one_line(msg, sizeof(msg), PQerrorMessage(conn));
		snprintf(err, err_len, "could not connect to %s: %s", where, msg);
		goto fail;
	}
	res = PQexec(conn, "SELECT pg_catalog.set_config('search_path', 'public', false)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		zs__db_format_error(err, err_len, where, "set search_path", conn, res);
		goto fail;
	}
	PQclear(res);
	PQconninfoFree(opts);
	*out = conn;
	return 0;
fail:
	PQclear(res);
	PQfinish(conn);
	PQconninfoFree(opts);
	return ret;
}

int zs_db_open(const char *conninfo, struct zs_db **out)
{
	struct zs_db *db = zs_calloc(1, sizeof(*db));
	int ret = 0;

	db->conninfo = zs_strdup(conninfo != NULL ? conninfo : "");
	db->relock_wait_ms = 30000;
	ret = zs__db_connect(db->conninfo, &db->conn, db->where, sizeof(db->where), open_err,
	                     sizeof(open_err));
	if (ret != 0) {
		zs_db_close(db);
		return ret;
	}
	open_err[0] = '\0';
	*out = db;
	return 0;
}

void zs_db_close(struct zs_db *db)
{
	if (db == NULL) {
		return;
	}
	PQfinish(db->conn); /* ends the session: its advisory locks go with it */
	zs_free(db->conninfo);
	zs_free(db);
}

void zs__db_set_open_error(const char *msg)
{
	snprintf(open_err, sizeof(open_err), "%s", msg);
}

const char *zs_db_error(const struct zs_db *db)
{
	return db != NULL ? db->err : open_err;
}

const char *zs_db_where(const struct zs_db *db)
{
	return db->where;
}

const char *zs_db_conninfo(const struct zs_db *db)
{
	return db->conninfo;
}

bool zs__db_conn_lost(PGconn *conn, const PGresult *res)
{
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		return true;
	}
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL) {
		/* A failure without SQLSTATE comes from libpq itself: the connection broke. */
		return res == NULL || PQresultStatus(res) == PGRES_FATAL_ERROR;
	}
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	       strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

int zs__db_ensure(struct zs_db *db)
{
	PGconn *conn = NULL;
	char msg[ZS__DB_MSG_MAX];

	if (db->reader_open) {
		return zs__db_failf(db, ZS_ERR_USAGE, "%s: a reader is open on this connection",
		                    db->where);
	}
	if (db->writer_open) {
		return zs__db_failf(db, ZS_ERR_USAGE, "%s: a writer has taken this connection",
		                    db->where);
	}
	if (db->lock_lost) {
		return ZS_ERR_LOCKED; /* db->err says how it was lost */
	}
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
			PQclear(PQexec(db->conn, "ROLLBACK"));
		}
		/* A round trip: a server restart is only noticed when the connection is used. */
		PGresult *res = PQexec(db->conn, "");
		bool ok = PQresultStatus(res) == PGRES_EMPTY_QUERY;
		PQclear(res);
		if (ok) {
			return 0;
		}
	}
	int ret =
	        zs__db_connect(db->conninfo, &conn, db->where, sizeof(db->where), msg, sizeof(msg));
	if (ret != 0) {
		snprintf(db->err, sizeof(db->err), "%s", msg);
		return ZS_ERR_DB;
	}
	PQfinish(db->conn);
	db->conn = conn;
	if (db->lock_tld == 0) {
		return 0;
	}
	/* The old session's lock went with it: a sweep must hold its TLD's lock again before it
	 * goes on, or stop. */
	ret = zs__db_relock(db->conn, db->where, db->lock_tld, 0, db->relock_wait_ms, db->err,
	                    sizeof(db->err));
	if (ret == ZS_ERR_LOCKED) {
		db->lock_lost = true;
	}
	return ret;
}

int zs__db_relock(PGconn *conn, const char *where, int tld, int64_t run_id, unsigned wait_ms,
                  char *err, size_t err_len)
{
	char id[16];
	char wait[24];
	char run[24];
	const char *params[2] = { id, wait };
	const char *run_param = run;

	snprintf(id, sizeof(id), "%d", tld);
	snprintf(wait, sizeof(wait), "%ums", wait_ms > 0 ? wait_ms : 1);
	snprintf(run, sizeof(run), "%" PRId64, run_id);
	PGresult *res = PQexecParams(conn,
	                             "SELECT set_config('lock_timeout', $2, false), "
	                             "pg_advisory_lock(" ZS__DB_STR(ZS__DB_LOCK_TLD) ", $1::int)",
	                             2, NULL, params, NULL, NULL, 0);
	bool got = PQresultStatus(res) == PGRES_TUPLES_OK;
	const char *state = got ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL && strcmp(state, "55P03") == 0) { /* lock_not_available */
		snprintf(
		        err, err_len,
		        "%s: the connection was lost and another sweep took the TLD's lock meanwhile",
		        where);
		PQclear(res);
		PQclear(PQexec(conn, "RESET lock_timeout"));
		return ZS_ERR_LOCKED;
	}
	if (!got) {
		zs__db_format_error(err, err_len, where, "lock TLD again", conn, res);
		PQclear(res);
		return ZS_ERR_DB;
	}
	PQclear(res);
	PQclear(PQexec(conn, "RESET lock_timeout"));
	if (run_id == 0) {
		return 0;
	}
	/* With the lock held: a sweep that took the lock while ours was lost marked our run. */
	res = PQexecParams(conn, "SELECT status FROM runs WHERE id = $1::bigint", 1, NULL,
	                   &run_param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		zs__db_format_error(err, err_len, where, "check run", conn, res);
		PQclear(res);
		return ZS_ERR_DB;
	}
	const char *status = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "deleted";
	int ret = 0;
	if (strcmp(status, "running") != 0) {
		snprintf(err, err_len,
		         "%s: the connection was lost and another sweep took the TLD's lock "
		         "meanwhile: run %" PRId64 " was marked %s",
		         where, run_id, status);
		/* not our run any more: the lock is not ours either */
		PQclear(PQexecParams(
		        conn,
		        "SELECT pg_advisory_unlock(" ZS__DB_STR(ZS__DB_LOCK_TLD) ", "
		                                                                 "$1::int)",
		        1, NULL, params, NULL, NULL, 0));
		ret = ZS_ERR_LOCKED;
	}
	PQclear(res);
	return ret;
}

void zs__db_set_relock_wait(struct zs_db *db, unsigned ms)
{
	db->relock_wait_ms = ms;
}

PGresult *zs__db_query(struct zs_db *db, const char *what, const char *sql, int nparams,
                       const char *const *params)
{
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		(void)zs__db_fail(db, what, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

int zs__db_exec(struct zs_db *db, const char *what, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		ret = zs__db_fail(db, what, res);
	}
	PQclear(res);
	return ret;
}

int zs__db_parse_i64(const char *s, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		return ZS_ERR_PARSE;
	}
	*out = v;
	return 0;
}

bool zs__db_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] == 0) {
			return false;
		}
		size_t l = zs_utf8_seq_len(p + i, n - i);
		if (l == 0) {
			return false;
		}
		i += l;
	}
	return true;
}

/* Whether any of 8 bytes (in a word, any order) is NUL, from 0x80 on, or one COPY escapes:
 * "has a zero byte" is (x - 0x01..01) & ~x & 0x80..80, exact as a yes or no. */
static bool word_special(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101u;
	const uint64_t high = 0x8080808080808080u;
#define HAS_BYTE(x, c) ((((x) ^ (ones * (c))) - ones) & ~((x) ^ (ones * (c))) & high)
	return ((v & high) | HAS_BYTE(v, 0) | HAS_BYTE(v, '\\') | HAS_BYTE(v, '\t') |
	        HAS_BYTE(v, '\n') | HAS_BYTE(v, '\r')) != 0;
#undef HAS_BYTE
}

/* COPY text format: backslash, tab, newline and CR must be escaped; everything else passes.
 * One pass checks the text (valid UTF-8, no NUL) and escapes it, a word at a time through
 * plain ASCII (most of a domain's facts); the caller falls back to the data escaping when the
 * check fails. */
int zs__db_copy_escape(struct zs_buf *out, const char *s, size_t n)
{
	/* ASCII bytes: 0 plain, 1 escaped for COPY, 2 NUL (refused); bytes from 0x80 on are
	 * checked as UTF-8. */
	static const unsigned char kind[128] = {
		[0] = 2, ['\\'] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
	};
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0;
	size_t i = 0;
	while (i < n) {
		uint64_t word;
		if (n - i >= sizeof(word)) {
			memcpy(&word, p + i, sizeof(word));
			if (!word_special(word)) {
				i += sizeof(word);
				continue;
			}
		}
		unsigned char c = p[i];
		unsigned char k = c >= 0x80 ? 2 : kind[c];
		if (k == 0) {
			i++;
			continue;
		}
		if (k == 2) {
			size_t l = c == 0 ? 0 : zs_utf8_seq_len(p + i, n - i);
			if (l == 0) {
				return ZS_ERR_PARSE;
			}
			i += l;
			continue;
		}
		char esc[2] = { '\\', c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r' };
		if (zs_buf_append(out, s + start, i - start) != 0 ||
		    zs_buf_append(out, esc, 2) != 0) {
			return ZS_ERR_TOOBIG;
		}
		start = ++i;
	}
	return zs_buf_append(out, s + start, n - start);
}

int zs__db_copy_text(struct zs_buf *out, const char *s, size_t n, bool *escaped)
{
	size_t mark = out->len;
	int ret = zs__db_copy_escape(out, s, n);
	if (ret != ZS_ERR_PARSE) {
		return ret;
	}
	/* Not text PostgreSQL accepts: undo, and store the data escaping of it instead. */
	out->len = mark;
	if (out->data != NULL) {
		out->data[mark] = '\0';
	}
	struct zs_buf tmp;
	zs_buf_init(&tmp, out->max);
	ret = zs_escape_data(&tmp, s, n);
	if (ret == 0) {
		ret = zs__db_copy_escape(out, zs_buf_cstr(&tmp), tmp.len);
	}
	zs_buf_deinit(&tmp);
	*escaped = true;
	return ret;
}

int zs_db_schema_latest(void)
{
	return zs__db_migration_count;
}

int zs_db_schema_version(struct zs_db *db, int *version)
{
	int64_t v = 0;
	PGresult *res =
	        zs__db_query(db, "read schema version",
	                     "SELECT to_regclass('public.schema_migrations') IS NOT NULL", 0, NULL);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (exists) {
		res = zs__db_query(db, "read schema version",
		                   "SELECT coalesce(max(version), 0) FROM public.schema_migrations",
		                   0, NULL);
		if (res == NULL) {
			return ZS_ERR_DB;
		}
		int ret = zs__db_parse_i64(PQgetvalue(res, 0, 0), &v);
		PQclear(res);
		if (ret != 0 || v < 0 || v > 100000) {
			return zs__db_failf(db, ZS_ERR_DB, "%s: unreadable schema version",
			                    db->where);
		}
	}
	*version = (int)v;
	return 0;
}

/* Apply one migration in its own transaction, unless another migrator did it meanwhile. */
static int apply_migration(struct zs_db *db, const struct zs__db_migration *m, bool *applied)
{
	char what[128];
	char version[16];
	const char *params[2] = { version, m->name };
	PGresult *res = NULL;
	int ret = 0;

	snprintf(what, sizeof(what), "migration %03d_%s", m->version, m->name);
	snprintf(version, sizeof(version), "%d", m->version);
	*applied = false;
	if (zs__db_exec(db, what, "BEGIN") != 0) {
		return ZS_ERR_DB;
	}
	res = zs__db_query(db, what,
	                   "SELECT pg_advisory_xact_lock(" ZS__DB_STR(ZS__DB_LOCK_MIGRATE) ")", 0,
	                   NULL);
	if (res == NULL) {
		goto fail;
	}
	PQclear(res);
	res = zs__db_query(db, what, "SELECT 1 FROM public.schema_migrations WHERE version = $1", 1,
	                   params);
	if (res == NULL) {
		goto fail;
	}
	bool done = PQntuples(res) > 0;
	PQclear(res);
	if (!done) {
		if (zs__db_exec(db, what, m->sql) != 0) {
			goto fail;
		}
		res = zs__db_query(db, what,
		                   "INSERT INTO public.schema_migrations (version, name) "
		                   "VALUES ($1, $2)",
		                   2, params);
		if (res == NULL) {
			goto fail;
		}
		PQclear(res);
		*applied = true;
	}
	if (zs__db_exec(db, what, "COMMIT") != 0) {
		*applied = false;
		return ZS_ERR_DB;
	}
	return 0;
fail:
	ret = ZS_ERR_DB;
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
	return ret;
}

static const char create_migrations_sql[] = "BEGIN; SELECT pg_advisory_xact_lock(" ZS__DB_STR(
        ZS__DB_LOCK_MIGRATE) "); "
                             "CREATE TABLE IF NOT EXISTS public.schema_migrations (version integer PRIMARY KEY, "
                             "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); COMMIT";

/* Migrations change the schema: say who may run them when permission was denied. */
static int owner_hint(struct zs_db *db)
{
	if (strstr(db->err, "permission denied") != NULL ||
	    strstr(db->err, "must be owner") != NULL) {
		size_t n = strlen(db->err);
		snprintf(db->err + n, sizeof(db->err) - n,
		         " (run 'zonesweep db migrate' as the database's owner)");
	}
	return ZS_ERR_DB;
}

int zs_db_migrate(struct zs_db *db, int target, int *applied)
{
	int current = 0;
	int count = 0;
	int ret = 0;

	if (target == 0) {
		target = zs__db_migration_count;
	}
	if (target < 0 || target > zs__db_migration_count) {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "schema version %d does not exist (newest: %d)", target,
		                    zs__db_migration_count);
	}
	ret = zs_db_schema_version(db, &current);
	if (ret != 0) {
		return ret;
	}
	if (current == 0) {
		/* Created only when missing: a role without DDL rights can still check that
		 * nothing is pending. */
		ret = zs__db_exec(db, "create schema_migrations", create_migrations_sql);
		if (ret != 0) {
			PQclear(PQexec(db->conn, "ROLLBACK"));
			return owner_hint(db);
		}
	}
	if (current > zs__db_migration_count) {
		return zs__db_failf(
		        db, ZS_ERR_DBSCHEMA,
		        "%s has schema version %d, newer than this zonesweep knows (%d): "
		        "upgrade zonesweep",
		        db->where, current, zs__db_migration_count);
	}
	for (int i = current; i < target; i++) {
		bool done = false;
		ret = apply_migration(db, &zs__db_migrations[i], &done);
		if (ret != 0) {
			return owner_hint(db);
		}
		count += done ? 1 : 0;
	}
	if (applied != NULL) {
		*applied = count;
	}
	return 0;
}

int zs_db_check_schema(struct zs_db *db)
{
	int version = 0;
	int ret = zs_db_schema_version(db, &version);
	if (ret != 0) {
		return ret;
	}
	if (version == zs__db_migration_count) {
		return 0;
	}
	if (version == 0) {
		return zs__db_failf(db, ZS_ERR_DBSCHEMA,
		                    "%s has no zonesweep schema: run 'zonesweep db migrate'",
		                    db->where);
	}
	if (version < zs__db_migration_count) {
		return zs__db_failf(db, ZS_ERR_DBSCHEMA,
		                    "%s is at schema version %d, this zonesweep needs %d: run "
		                    "'zonesweep db migrate'",
		                    db->where, version, zs__db_migration_count);
	}
	return zs__db_failf(db, ZS_ERR_DBSCHEMA,
	                    "%s has schema version %d, newer than this zonesweep knows (%d): "
	                    "upgrade zonesweep",
	                    db->where, version, zs__db_migration_count);
}
