/* SPDX-License-Identifier: MIT */
/*
 * Runs: begin (with the TLD's session advisory lock), resume, finish, resolve and read. The
 * history a complete run leaves (domains seen and removed, status transitions, current state)
 * is derived from its stored results in the same transaction that marks it complete, so that
 * history only ever reflects complete runs and a crash leaves it as it was.
 */
#include "db/run.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_int.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/mem.h"

static bool tld_valid(const char *tld)
{
	size_t n = tld != NULL ? strlen(tld) : 0;
	if (n == 0 || n > 253 || tld[0] == '.' || tld[n - 1] == '.') {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tld[i];
		if ((c >= 'A' && c <= 'Z') || c <= ' ' || c >= 0x7f) {
			return false;
		}
	}
	return true;
}

/* Insert a row if missing and return its id (tlds by name, policies by name and version). */
static int upsert_id(struct zs_db *db, const char *what, const char *insert, const char *select,
                     int nparams, const char *const *params, char *id, size_t id_len)
{
	PGresult *res = zs__db_query(db, what, insert, nparams, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	PQclear(res);
	res = zs__db_query(db, what, select, nparams, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_DB, "%s: %s: row vanished", db->where, what);
	}
	snprintf(id, id_len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Take the TLD's session lock, or say which run holds it. */
static int lock_tld(struct zs_db *db, const char *tld_id, const char *tld_name)
{
	PGresult *res = zs__db_query(
	        db, "lock TLD",
	        "SELECT pg_try_advisory_lock(" ZS__DB_STR(ZS__DB_LOCK_TLD) ", $1::int)", 1,
	        &tld_id);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got) {
		int64_t id = 0;
		(void)zs__db_parse_i64(tld_id, &id);
		db->lock_tld = (int)id;
		return 0;
	}
	res = zs__db_query(db, "lock TLD",
	                   "SELECT id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ') FROM runs "
	                   "WHERE tld_id = $1::int AND status = 'running'",
	                   1, &tld_id);
	if (res != NULL && PQntuples(res) == 1) {
		(void)zs__db_failf(
		        db, 0, "%s: another sweep of TLD %s is running (run %s, started %s)",
		        db->where, tld_name, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	} else {
		(void)zs__db_failf(db, 0, "%s: another session holds the lock of TLD %s", db->where,
		                   tld_name);
	}
	PQclear(res);
	return ZS_ERR_LOCKED;
}

static void unlock_tld(struct zs_db *db)
{
	char id[16];
	const char *param = id;
	if (db->lock_tld == 0) {
		return;
	}
	snprintf(id, sizeof(id), "%d", db->lock_tld);
	PGresult *res = PQexecParams(
	        db->conn, "SELECT pg_advisory_unlock(" ZS__DB_STR(ZS__DB_LOCK_TLD) ", $1::int)", 1,
	        NULL, &param, NULL, NULL, 0);
	PQclear(res); /* a failure means the session (and the lock) is gone anyway */
	db->lock_tld = 0;
}

static void rollback(struct zs_db *db)
{
	PQclear(PQexec(db->conn, "ROLLBACK"));
}

/* A zone digest as a bytea parameter ("\\x" and hex), or NULL when unknown. */
static const char *digest_param(const uint8_t *digest, char out[2 + 64 + 1])
{
	static const char hex[] = "0123456789abcdef";
	if (digest == NULL) {
		return NULL;
	}
	out[0] = '\\';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) {
		out[2 + 2 * i] = hex[digest[i] >> 4];
		out[3 + 2 * i] = hex[digest[i] & 0xf];
	}
	out[2 + 64] = '\0';
	return out;
}

/* A count or serial parameter, or NULL when unknown (negative). */
static const char *i64_param(int64_t v, char out[24])
{
	if (v < 0) {
		return NULL;
	}
	(void)snprintf(out, 24, "%" PRId64, v);
	return out;
}

/* A failed statement whose SQLSTATE says the input was invalid (bad JSON) is a usage error. */
static int input_error(struct zs_db *db, const char *what, const PGresult *res)
{
	(void)zs__db_fail(db, what, res);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && strncmp(state, "22", 2) == 0 ? ZS_ERR_USAGE : ZS_ERR_DB;
}

/*
 * Make a run the TLD's running sweep: take the TLD's lock, then in one transaction mark any
 * other "running" run of the TLD interrupted (its sweep died: the lock was free) and run
 * @p sql, which inserts or updates the run and returns its id. params[0] is the TLD id.
 */
static int claim_tld(struct zs_db *db, const char *tld_name, const char *keep_run, const char *sql,
                     int nparams, const char *const *params, int64_t *run_id)
{
	const char *stale[2] = { params[0], keep_run };
	int64_t id = 0;
	int ret = lock_tld(db, params[0], tld_name);
	if (ret != 0) {
		return ret;
	}
	ret = zs__db_exec(db, "claim run", "BEGIN");
	if (ret != 0) {
		goto fail;
	}
	PGresult *res = zs__db_query(db, "claim run",
	                             "UPDATE runs SET status = 'interrupted', finished_at = now() "
	                             "WHERE tld_id = $1::int AND status = 'running' "
	                             "AND id IS DISTINCT FROM $2::bigint",
	                             2, stale);
	if (res == NULL) {
		ret = ZS_ERR_DB;
		goto fail_tx;
	}
	PQclear(res);
	res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = input_error(db, "claim run", res);
		PQclear(res);
		goto fail_tx;
	}
	ret = PQntuples(res) == 1 ? zs__db_parse_i64(PQgetvalue(res, 0, 0), &id) : ZS_ERR_PARSE;
	PQclear(res);
	if (ret != 0) {
		ret = zs__db_failf(db, ZS_ERR_DB, "%s: claim run: no run id returned", db->where);
		goto fail_tx;
	}
	ret = zs__db_exec(db, "claim run", "COMMIT");
	if (ret != 0) {
		goto fail;
	}
	*run_id = id;
	return 0;
fail_tx:
	rollback(db);
fail:
	unlock_tld(db);
	return ret;
}

int zs_db_run_begin(struct zs_db *db, const struct zs_db_run_params *p, int64_t *run_id)
{
	char tld_id[24];
	char policy_id[24];
	char serial[24];
	char delegations[24];
	char digest[2 + 64 + 1];
	int ret = 0;

	if (!tld_valid(p->tld)) {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "invalid TLD '%s': lower case, without leading or final dot",
		                    p->tld != NULL ? p->tld : "");
	}
	if (p->policy == NULL || p->policy[0] == '\0' || p->zone_source == NULL) {
		return zs__db_failf(db, ZS_ERR_USAGE, "a run needs a policy and a zone source");
	}
	if (db->lock_tld != 0) {
		return zs__db_failf(db, ZS_ERR_USAGE, "%s: this connection already runs a sweep",
		                    db->where);
	}
	ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	ret = upsert_id(db, "record TLD",
	                "INSERT INTO tlds (name) VALUES ($1) ON CONFLICT DO NOTHING",
	                "SELECT id FROM tlds WHERE name = $1", 1, &p->tld, tld_id, sizeof(tld_id));
	if (ret != 0) {
		return ret;
	}
	const char *pparams[2] = { p->policy, p->policy_version != NULL ? p->policy_version : "" };
	ret = upsert_id(
	        db, "record policy",
	        "INSERT INTO policies (name, version) VALUES ($1, $2) ON CONFLICT DO NOTHING",
	        "SELECT id FROM policies WHERE name = $1 AND version = $2", 2, pparams, policy_id,
	        sizeof(policy_id));
	if (ret != 0) {
		return ret;
	}
	const char *params[8] = {
		tld_id,
		policy_id,
		p->zone_source,
		i64_param(p->zone_serial, serial),
		p->options_json != NULL ? p->options_json : "{}",
		p->scanner_version != NULL ? p->scanner_version : "",
		i64_param(p->zone_delegations > 0 ? p->zone_delegations : -1, delegations),
		digest_param(p->zone_digest, digest),
	};
	return claim_tld(
	        db, p->tld, NULL,
	        "INSERT INTO runs (tld_id, policy_id, zone_source, zone_serial, options, "
	        "scanner_version, zone_delegations, zone_digest) VALUES ($1::int, $2::int, $3, "
	        "$4::bigint, $5::jsonb, $6, $7::bigint, $8::bytea) RETURNING id",
	        8, params, run_id);
}

/* The TLD id and status of a run. */
static int run_tld(struct zs_db *db, int64_t run_id, char *tld_id, size_t len,
                   enum zs_db_run_status *status, char *tld_name, size_t name_len)
{
	char id[24];
	const char *param = id;
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	PGresult *res = zs__db_query(db, "read run",
	                             "SELECT r.tld_id, r.status, t.name FROM runs r "
	                             "JOIN tlds t ON t.id = r.tld_id WHERE r.id = $1::bigint",
	                             1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %" PRId64, db->where, run_id);
	}
	snprintf(tld_id, len, "%s", PQgetvalue(res, 0, 0));
	snprintf(tld_name, name_len, "%s", PQgetvalue(res, 0, 2));
	int ret = zs_db_run_status_parse(PQgetvalue(res, 0, 1), status);
	PQclear(res);
	return ret == 0 ? 0 : zs__db_failf(db, ZS_ERR_DB, "%s: unknown run status", db->where);
}

int zs_db_run_resume(struct zs_db *db, int64_t run_id)
{
	char tld_id[24];
	char tld_name[256];
	char id[24];
	enum zs_db_run_status status = ZS_DB_RUN_RUNNING;
	int ret = 0;

	if (db->lock_tld != 0) {
		return zs__db_failf(db, ZS_ERR_USAGE, "%s: this connection already runs a sweep",
		                    db->where);
	}
	ret = zs__db_ensure(db);
	if (ret == 0) {
		ret = run_tld(db, run_id, tld_id, sizeof(tld_id), &status, tld_name,
		              sizeof(tld_name));
	}
	if (ret != 0) {
		return ret;
	}
	if (status == ZS_DB_RUN_COMPLETE || status == ZS_DB_RUN_FAILED ||
	    status == ZS_DB_RUN_WITHDRAWN) {
		return zs__db_failf(db, ZS_ERR_USAGE, "run %" PRId64 " is %s: nothing to resume",
		                    run_id, zs_db_run_status_name(status));
	}
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	const char *params[2] = { tld_id, id };
	int64_t resumed = 0;
	return claim_tld(db, tld_name, id,
	                 "UPDATE runs SET status = 'running', finished_at = NULL, "
	                 "resumes = resumes + 1 WHERE id = $2::bigint AND tld_id = $1::int "
	                 "RETURNING id",
	                 2, params, &resumed);
}

/* The history a complete run leaves, in the order the statements depend on each other;
 * transitions read the current state before it is updated; removals come last. Only rows that
 * change are written, each found by one join rather than a probe per domain: a run where
 * little changed writes little. $1 is the run, $2 its TLD. */
static const char *const history_sql[] = {
	/* domains new to the zone */
	"INSERT INTO domains (name, tld_id, first_seen_run, first_seen_at) "
	"SELECT r.domain, $2::int, $1::bigint, s.started_at "
	"FROM results r JOIN runs s ON s.id = r.run_id WHERE r.run_id = $1::bigint "
	"AND NOT EXISTS (SELECT 1 FROM domains d WHERE d.name = r.domain)",
	/* domains back in the zone */
	"UPDATE domains d SET removed_run = NULL, removed_at = NULL FROM results r "
	"WHERE d.removed_run IS NOT NULL AND d.tld_id = $2::int AND r.run_id = $1::bigint "
	"AND r.domain = d.name",
	/* status transitions and current state, where they changed */
	"WITH s AS (SELECT started_at FROM runs WHERE id = $1::bigint), "
	"x AS (SELECT r.domain, r.status::text::domain_state AS state, r.warnings, "
	"c.state AS old FROM results r LEFT JOIN current_state c ON c.domain = r.domain "
	"WHERE r.run_id = $1::bigint AND (c.state IS DISTINCT FROM r.status::text::domain_state "
	"OR c.warnings IS DISTINCT FROM r.warnings)), "
	"t AS (INSERT INTO transitions (domain, run_id, from_state, to_state, at) "
	"SELECT domain, $1::bigint, old, state, (SELECT started_at FROM s) FROM x "
	"WHERE old IS DISTINCT FROM state) "
	"INSERT INTO current_state AS c (domain, tld_id, state, warnings, since_run, since_at) "
	"SELECT domain, $2::int, state, warnings, $1::bigint, (SELECT started_at FROM s) FROM x "
	"ON CONFLICT (domain) DO UPDATE SET warnings = excluded.warnings, "
	"state = excluded.state, "
	"since_run = CASE WHEN c.state = excluded.state THEN c.since_run "
	"ELSE excluded.since_run END, "
	"since_at = CASE WHEN c.state = excluded.state THEN c.since_at ELSE excluded.since_at END",
};

/* Domains of the TLD the run no longer had (only when it read the zone completely); a domain
 * whose row was quarantined was present and keeps its state. */
static const char removed_sql[] =
        "WITH s AS (SELECT started_at FROM runs WHERE id = $1::bigint), "
        "gone AS (UPDATE domains d SET removed_run = $1::bigint, "
        "removed_at = (SELECT started_at FROM s) "
        "WHERE d.tld_id = $2::int AND d.removed_run IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM results r WHERE r.run_id = $1::bigint "
        "AND r.domain = d.name) "
        "AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.run_id = $1::bigint "
        "AND q.domain = d.name) RETURNING d.name), "
        "t AS (INSERT INTO transitions (domain, run_id, from_state, to_state, at) "
        "SELECT g.name, $1::bigint, c.state, 'removed', (SELECT started_at FROM s) "
        "FROM gone g LEFT JOIN current_state c ON c.domain = g.name "
        "WHERE c.state IS DISTINCT FROM 'removed') "
        "UPDATE current_state c SET state = 'removed', warnings = 0, "
        "since_run = $1::bigint, since_at = (SELECT started_at FROM s) "
        "FROM gone g WHERE c.domain = g.name AND c.state <> 'removed'";

/* Run statements that take the same parameters, in order, in the caller's transaction.
 * @return 0 or ZS_ERR_DB */
static int run_steps(struct zs_db *db, const char *what, const char *const *sql, size_t n,
                     int nparams, const char *const *params)
{
	for (size_t i = 0; i < n; i++) {
		PGresult *res = zs__db_query(db, what, sql[i], nparams, params);
		if (res == NULL) {
			return ZS_ERR_DB;
		}
		PQclear(res);
	}
	return 0;
}

/* Write the history a complete run leaves (params: the run, its TLD id), in the caller's
 * transaction; the domains it no longer has are removed only when it read its zone completely.
 * @return 0 or ZS_ERR_DB */
static int record_history(struct zs_db *db, const char *const params[2], bool zone_complete)
{
	int ret = run_steps(db, "record history", history_sql,
	                    sizeof(history_sql) / sizeof(history_sql[0]), 2, params);
	const char *const removed[] = { removed_sql };
	if (ret == 0 && zone_complete) {
		ret = run_steps(db, "record removed domains", removed, 1, 2, params);
	}
	return ret;
}

/* A run resumed and completed after a newer run of its TLD completed must not roll the current
 * state back: it is marked complete, and history stays as the newer run left it. */
static const char newer_sql[] =
        "SELECT count(*) FROM runs WHERE tld_id = $2::int AND status = 'complete' "
        "AND id > $1::bigint";

/* Verdict counts per rule; recomputed when a resumed run finishes again. */
static const char *const rule_counts_sql[] = {
	"DELETE FROM run_rule_counts WHERE run_id = $1::bigint",
	"INSERT INTO run_rule_counts (run_id, rule, verdict, domains) "
	"SELECT $1::bigint, rule, verdict, domains FROM zs_rule_counts($1::bigint)",
};

static const char totals_sql[] =
        "UPDATE runs SET status = $2::run_status, finished_at = now(), "
        "zone_complete = $3::boolean, zone_errors = $4::bigint, zone_first_errors = $5::text[], "
        "dns_counters = $6::jsonb, db_counters = $7::jsonb, domains = t.n, compliant = t.c, non_compliant = t.nc, "
        "indeterminate = t.i, warnings = t.w, "
        "zone_serial = coalesce($8::bigint, zone_serial), "
        "zone_delegations = coalesce(zone_delegations, $9::bigint), "
        "zone_digest = coalesce(zone_digest, $10::bytea), "
        "quarantined = (SELECT count(DISTINCT domain) FROM quarantine WHERE run_id = $1::bigint) "
        "FROM (SELECT count(*) AS n, count(*) FILTER (WHERE status = 'compliant') AS c, "
        "count(*) FILTER (WHERE status = 'non-compliant') AS nc, "
        "count(*) FILTER (WHERE status = 'indeterminate') AS i, "
        "coalesce(sum(warnings), 0) AS w FROM results WHERE run_id = $1::bigint) t "
        "WHERE id = $1::bigint";

/* A PostgreSQL array literal of texts, each made valid UTF-8 (escaped) and quoted. */
static int text_array(struct zs_buf *out, const char *const *v, size_t n)
{
	int ret = zs_buf_putc(out, '{');
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct zs_buf e;
		zs_buf_init(&e, 64 * 1024);
		ret = zs__db_text_ok(v[i], strlen(v[i])) ? zs_buf_puts(&e, v[i])
		                                         : zs_escape_data(&e, v[i], strlen(v[i]));
		ret = ret != 0 ? ret : zs_buf_puts(out, i > 0 ? ",\"" : "\"");
		for (size_t j = 0; j < e.len && ret == 0; j++) {
			char c = e.data[j];
			if (c == '"' || c == '\\') {
				ret = zs_buf_putc(out, '\\');
			}
			ret = ret != 0 ? ret : zs_buf_putc(out, c);
		}
		ret = ret != 0 ? ret : zs_buf_putc(out, '"');
		zs_buf_deinit(&e);
	}
	return ret != 0 ? ret : zs_buf_putc(out, '}');
}

int zs_db_run_finish(struct zs_db *db, int64_t run_id, const struct zs_db_run_end *end)
{
	char id[24];
	char tld_id[24];
	char zone_errors[24];
	struct zs_buf errors;
	int ret = 0;

	if (end->status != ZS_DB_RUN_COMPLETE && end->status != ZS_DB_RUN_INTERRUPTED &&
	    end->status != ZS_DB_RUN_FAILED) {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "a run finishes complete, interrupted or failed");
	}
	ret = zs__db_ensure(db); /* takes the TLD's lock again after a lost connection */
	if (ret != 0) {
		return ret;
	}
	zs_buf_init(&errors, 1024 * 1024);
	ret = text_array(&errors, end->zone_first_errors, end->zone_first_error_count);
	if (ret != 0) {
		ret = zs__db_failf(db, ZS_ERR_TOOBIG, "finish run: zone errors too long");
		goto out;
	}
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	snprintf(zone_errors, sizeof(zone_errors), "%" PRIu64, end->zone_errors);
	ret = zs__db_exec(db, "finish run", "BEGIN");
	if (ret != 0) {
		goto out;
	}
	const char *param = id;
	PGresult *res = zs__db_query(
	        db, "finish run",
	        "SELECT tld_id, status FROM runs WHERE id = $1::bigint FOR UPDATE", 1, &param);
	if (res == NULL) {
		ret = ZS_ERR_DB;
		goto fail_tx;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 1), "running") != 0) {
		ret = zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: run %" PRId64 " is not running",
		                   db->where, run_id);
		PQclear(res);
		goto fail_tx;
	}
	snprintf(tld_id, sizeof(tld_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	const char *hparams[2] = { id, tld_id };
	ret = run_steps(db, "count verdicts", rule_counts_sql,
	                sizeof(rule_counts_sql) / sizeof(rule_counts_sql[0]), 1, hparams);
	if (ret != 0) {
		goto fail_tx;
	}
	bool history = end->status == ZS_DB_RUN_COMPLETE;
	if (history) {
		res = zs__db_query(db, "record history", newer_sql, 2, hparams);
		if (res == NULL) {
			ret = ZS_ERR_DB;
			goto fail_tx;
		}
		history = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
		PQclear(res);
	}
	if (history) {
		ret = record_history(db, hparams, end->zone_complete);
		if (ret != 0) {
			goto fail_tx;
		}
	}
	char serial[24];
	char delegations[24];
	char digest[2 + 64 + 1];
	if (end->has_zone_serial) {
		(void)snprintf(serial, sizeof(serial), "%u", end->zone_serial);
	}
	const char *tparams[10] = {
		id,
		zs_db_run_status_name(end->status),
		end->zone_complete ? "true" : "false",
		zone_errors,
		zs_buf_cstr(&errors),
		end->dns_json != NULL ? end->dns_json : "{}",
		end->db_json != NULL ? end->db_json : "{}",
		end->has_zone_serial ? serial : NULL,
		i64_param(end->zone_delegations > 0 ? end->zone_delegations : -1, delegations),
		digest_param(end->zone_digest, digest),
	};
	res = PQexecParams(db->conn, totals_sql, 10, NULL, tparams, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		ret = input_error(db, "finish run", res);
		PQclear(res);
		goto fail_tx;
	}
	PQclear(res);
	ret = zs__db_exec(db, "finish run", "COMMIT");
	if (ret != 0) {
		goto out;
	}
	unlock_tld(db);
	goto out;
fail_tx:
	rollback(db);
out:
	zs_buf_deinit(&errors);
	return ret;
}

int zs_db_run_resolve(struct zs_db *db, const char *spec, const char *tld, int64_t *run_id)
{
	int64_t id = 0;
	const char *sql = NULL;
	const char *param = tld;

	if (zs__db_parse_i64(spec, &id) == 0) {
		if (id <= 0) {
			return zs__db_failf(db, ZS_ERR_USAGE, "invalid run id '%s'", spec);
		}
		char text[24];
		snprintf(text, sizeof(text), "%" PRId64, id);
		param = text;
		int ret = zs_db_run_check_results(db, id);
		if (ret == 0) {
			*run_id = id;
		}
		return ret;
	}
	if (strcmp(spec, "latest") == 0) {
		sql = "SELECT run_id FROM v_runs WHERE status NOT IN ('running', 'withdrawn') "
		      "AND ($1::text IS NULL OR tld = $1) ORDER BY run_id DESC LIMIT 1";
	} else if (strcmp(spec, "latest-complete") == 0) {
		sql = "SELECT run_id FROM v_runs WHERE status = 'complete' "
		      "AND ($1::text IS NULL OR tld = $1) ORDER BY run_id DESC LIMIT 1";
	} else {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "invalid run '%s': a run id, 'latest' or 'latest-complete'",
		                    spec);
	}
	PGresult *res = zs__db_query(db, "resolve run", sql, 1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no %s run%s%s", db->where,
		                    strcmp(spec, "latest") == 0 ? "finished" : "complete",
		                    tld != NULL ? " of TLD " : "", tld != NULL ? tld : "");
	}
	int ret = zs__db_parse_i64(PQgetvalue(res, 0, 0), &id);
	PQclear(res);
	if (ret != 0) {
		return zs__db_failf(db, ZS_ERR_DB, "%s: unreadable run id", db->where);
	}
	ret = zs_db_run_check_results(db, id);
	if (ret == 0) {
		*run_id = id;
	}
	return ret;
}

int zs_db_run_previous(struct zs_db *db, int64_t run_id, int64_t *prev_id)
{
	char id[24];
	const char *param = id;
	int64_t prev = 0;

	snprintf(id, sizeof(id), "%" PRId64, run_id);
	PGresult *res = zs__db_query(db, "previous run",
	                             "SELECT p.run_id FROM v_runs r JOIN v_runs p ON p.tld = r.tld "
	                             "WHERE r.run_id = $1::bigint AND p.run_id < r.run_id "
	                             "AND p.status = 'complete' ORDER BY p.run_id DESC LIMIT 1",
	                             1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no complete run before run %" PRId64,
		                    db->where, run_id);
	}
	int ret = zs__db_parse_i64(PQgetvalue(res, 0, 0), &prev);
	PQclear(res);
	if (ret != 0) {
		return zs__db_failf(db, ZS_ERR_DB, "%s: unreadable run id", db->where);
	}
	*prev_id = prev;
	return 0;
}

int zs_db_run_check_results(struct zs_db *db, int64_t run_id)
{
	char id[24];
	const char *param = i64_param(run_id, id);
	PGresult *res = zs__db_query(
	        db, "read run",
	        "SELECT to_char(pruned_at, 'YYYY-MM-DD'), to_char(withdrawn_at, 'YYYY-MM-DD'), "
	        "withdrawn_why FROM v_runs WHERE run_id = $1::bigint",
	        1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int ret = 0;
	if (PQntuples(res) == 0) {
		ret = zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %s", db->where, id);
	} else if (!PQgetisnull(res, 0, 1)) {
		ret = zs__db_failf(db, ZS_ERR_NOTFOUND, "run %s was withdrawn on %s (%s)", id,
		                   PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	} else if (!PQgetisnull(res, 0, 0)) {
		ret = zs__db_failf(db, ZS_ERR_NOTFOUND,
		                   "run %s was pruned on %s (its results are no longer kept)", id,
		                   PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return ret;
}

enum {
	COL_ID,
	COL_TLD,
	COL_POLICY,
	COL_POLICY_VERSION,
	COL_ZONE_SOURCE,
	COL_ZONE_SERIAL,
	COL_OPTIONS,
	COL_SCANNER_VERSION,
	COL_STATUS,
	COL_STARTED,
	COL_FINISHED,
	COL_RESUMES,
	COL_ZONE_COMPLETE,
	COL_ZONE_ERRORS,
	COL_ZONE_FIRST_ERRORS,
	COL_DNS,
	COL_DB,
	COL_DOMAINS,
	COL_COMPLIANT,
	COL_NON_COMPLIANT,
	COL_INDETERMINATE,
	COL_WARNINGS,
	COL_QUARANTINED,
	COL_PRUNED,
	COL_ZONE_DELEGATIONS,
	COL_ZONE_DIGEST,
	COL_COUNT_
};

static int get_i64(const PGresult *res, int col, int64_t *out)
{
	return zs__db_parse_i64(PQgetvalue(res, 0, col), out);
}

/* A digest read back as hex ("" when unknown). */
static int hex_digest(const char *hex, struct zs_db_run *run)
{
	size_t n = strlen(hex);
	if (n == 0) {
		return 0;
	}
	if (n != 64) {
		return ZS_ERR_PARSE;
	}
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			return ZS_ERR_PARSE;
		}
		run->zone_digest[i] = (uint8_t)v;
	}
	run->has_zone_digest = true;
	return 0;
}

int zs_db_run_get(struct zs_db *db, int64_t run_id, struct zs_db_run **out)
{
	char id[24];
	const char *param = id;
	struct zs_db_run *run = NULL;
	int64_t v = 0;
	int ret = 0;

	snprintf(id, sizeof(id), "%" PRId64, run_id);
	PGresult *res = zs__db_query(
	        db, "read run",
	        "SELECT r.id, t.name, p.name, p.version, r.zone_source, coalesce(r.zone_serial, -1), "
	        "r.options::text, r.scanner_version, r.status, "
	        "extract(epoch FROM r.started_at)::bigint, "
	        "coalesce(extract(epoch FROM r.finished_at)::bigint, 0), r.resumes, "
	        "r.zone_complete, r.zone_errors, array_to_string(r.zone_first_errors, E'\\n'), "
	        "r.dns_counters::text, r.db_counters::text, coalesce(r.domains, -1), coalesce(r.compliant, -1), "
	        "coalesce(r.non_compliant, -1), coalesce(r.indeterminate, -1), "
	        "coalesce(r.warnings, -1), coalesce(r.quarantined, -1), r.pruned_at IS NOT NULL, "
	        "coalesce(r.zone_delegations, -1), coalesce(encode(r.zone_digest, 'hex'), '') "
	        "FROM runs r JOIN tlds t ON t.id = r.tld_id JOIN policies p ON p.id = r.policy_id "
	        "WHERE r.id = $1::bigint",
	        1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %" PRId64, db->where, run_id);
	}
	run = zs_calloc(1, sizeof(*run));
	run->tld = zs_strdup(PQgetvalue(res, 0, COL_TLD));
	run->policy = zs_strdup(PQgetvalue(res, 0, COL_POLICY));
	run->policy_version = zs_strdup(PQgetvalue(res, 0, COL_POLICY_VERSION));
	run->zone_source = zs_strdup(PQgetvalue(res, 0, COL_ZONE_SOURCE));
	run->options_json = zs_strdup(PQgetvalue(res, 0, COL_OPTIONS));
	run->scanner_version = zs_strdup(PQgetvalue(res, 0, COL_SCANNER_VERSION));
	run->zone_first_errors = zs_strdup(PQgetvalue(res, 0, COL_ZONE_FIRST_ERRORS));
	run->dns_json = zs_strdup(PQgetvalue(res, 0, COL_DNS));
	run->db_json = zs_strdup(PQgetvalue(res, 0, COL_DB));
	run->zone_complete = strcmp(PQgetvalue(res, 0, COL_ZONE_COMPLETE), "t") == 0;
	run->pruned = strcmp(PQgetvalue(res, 0, COL_PRUNED), "t") == 0;
	ret = zs_db_run_status_parse(PQgetvalue(res, 0, COL_STATUS), &run->status);
	ret = ret != 0 ? ret : get_i64(res, COL_ID, &run->id);
	ret = ret != 0 ? ret : get_i64(res, COL_ZONE_SERIAL, &run->zone_serial);
	ret = ret != 0 ? ret : get_i64(res, COL_STARTED, &run->started_at);
	ret = ret != 0 ? ret : get_i64(res, COL_FINISHED, &run->finished_at);
	ret = ret != 0 ? ret : get_i64(res, COL_RESUMES, &v);
	run->resumes = (int)v;
	ret = ret != 0 ? ret : get_i64(res, COL_ZONE_ERRORS, &run->zone_errors);
	ret = ret != 0 ? ret : get_i64(res, COL_DOMAINS, &run->domains);
	ret = ret != 0 ? ret : get_i64(res, COL_COMPLIANT, &run->compliant);
	ret = ret != 0 ? ret : get_i64(res, COL_NON_COMPLIANT, &run->non_compliant);
	ret = ret != 0 ? ret : get_i64(res, COL_INDETERMINATE, &run->indeterminate);
	ret = ret != 0 ? ret : get_i64(res, COL_WARNINGS, &run->warnings);
	ret = ret != 0 ? ret : get_i64(res, COL_QUARANTINED, &run->quarantined);
	ret = ret != 0 ? ret : get_i64(res, COL_ZONE_DELEGATIONS, &run->zone_delegations);
	ret = ret != 0 ? ret : hex_digest(PQgetvalue(res, 0, COL_ZONE_DIGEST), run);
	PQclear(res);
	if (ret != 0) {
		zs_db_run_free(run);
		return zs__db_failf(db, ZS_ERR_DB, "%s: run %" PRId64 " does not read back",
		                    db->where, run_id);
	}
	*out = run;
	return 0;
}

void zs_db_run_free(struct zs_db_run *run)
{
	if (run == NULL) {
		return;
	}
	zs_free(run->tld);
	zs_free(run->policy);
	zs_free(run->policy_version);
	zs_free(run->zone_source);
	zs_free(run->options_json);
	zs_free(run->scanner_version);
	zs_free(run->zone_first_errors);
	zs_free(run->dns_json);
	zs_free(run->db_json);
	zs_free(run);
}

int zs_db_run_last_zone(struct zs_db *db, const char *tld, int64_t before,
                        struct zs_db_run_zone *out)
{
	char id[24];
	const char *params[2] = { tld, id };
	struct zs_db_run_zone z = { 0 };

	snprintf(id, sizeof(id), "%" PRId64, before);
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(
	        db, "read the previous run",
	        "SELECT r.id, coalesce(r.zone_delegations, r.domains + coalesce(r.quarantined, 0)), "
	        "coalesce(r.zone_serial, -1) FROM runs r JOIN tlds t ON t.id = r.tld_id "
	        "WHERE t.name = $1 AND r.status = 'complete' "
	        "AND ($2::bigint = 0 OR r.id < $2::bigint) ORDER BY r.id DESC LIMIT 1",
	        2, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no complete run of TLD %s", db->where,
		                    tld);
	}
	ret = zs__db_parse_i64(PQgetvalue(res, 0, 0), &z.run_id);
	ret = ret != 0 ? ret : zs__db_parse_i64(PQgetvalue(res, 0, 1), &z.delegations);
	ret = ret != 0 ? ret : zs__db_parse_i64(PQgetvalue(res, 0, 2), &z.serial);
	PQclear(res);
	if (ret != 0) {
		return zs__db_failf(db, ZS_ERR_DB, "%s: the previous run does not read back",
		                    db->where);
	}
	*out = z;
	return 0;
}

int zs_db_run_set_zone(struct zs_db *db, int64_t run_id, int64_t serial, int64_t delegations,
                       const uint8_t *digest)
{
	char id[24];
	char serial_text[24];
	char delegations_text[24];
	char digest_text[2 + 64 + 1];
	const char *params[4] = { i64_param(run_id, id), i64_param(serial, serial_text),
		                  i64_param(delegations, delegations_text),
		                  digest_param(digest, digest_text) };

	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(db, "record the run's zone",
	                             "UPDATE runs SET zone_serial = $2::bigint, "
	                             "zone_delegations = $3::bigint, zone_digest = $4::bytea "
	                             "WHERE id = $1::bigint",
	                             4, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	bool found = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return found ? 0
	             : zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %" PRId64, db->where, run_id);
}

/*
 * Withdrawing a complete run. History is what the complete runs that were their TLD's newest
 * complete run when they finished wrote, in the order they finished. Taking one away leaves
 * what the runs that finished before it wrote, and changes what every run that finished after
 * it writes (an older run resumed and completed after it may now write too). So the rows that
 * it and the later runs wrote are undone, the state they overwrote is found again (status and
 * "since" from the last status change left; warnings from the last result before), and the
 * later runs that write history now write it again. Everything is keyed by the withdrawn run
 * (zs_w), whose status is already 'withdrawn'.
 */
static const char withdraw_run_sql[] =
        "CREATE TEMP TABLE zs_w ON COMMIT DROP AS "
        "SELECT id, tld_id, finished_at FROM runs WHERE id = $1::bigint";

/* Complete runs of the TLD that write history: none newer completed before them. */
#define WRITES_HISTORY(y)                                                                     \
	"(" y ".status = 'complete' AND NOT EXISTS (SELECT 1 FROM runs k WHERE k.tld_id = " y \
	".tld_id AND k.status = 'complete' AND k.id > " y ".id AND k.finished_at < " y        \
	".finished_at))"

static const char *const withdraw_plan_sql[] = {
	"CREATE TEMP TABLE zs_w_undone ON COMMIT DROP AS SELECT r.id FROM runs r, zs_w w "
	"WHERE r.tld_id = w.tld_id AND r.finished_at >= w.finished_at",
	"CREATE TEMP TABLE zs_w_replay ON COMMIT DROP AS SELECT y.id, y.zone_complete, "
	"y.finished_at FROM runs y, zs_w w WHERE y.tld_id = w.tld_id AND y.finished_at > "
	"w.finished_at AND " WRITES_HISTORY("y"),
};

/* The first run whose results the recomputation needs and no longer has. */
static const char withdraw_pruned_sql[] =
        "SELECT r.id, to_char(r.pruned_at, 'YYYY-MM-DD') FROM runs r WHERE r.pruned_at IS NOT "
        "NULL AND (r.id IN (SELECT id FROM zs_w) OR r.id IN (SELECT id FROM zs_w_replay)) "
        "ORDER BY r.id LIMIT 1";

static const char *const withdraw_undo_sql[] = {
	/* domains whose last status change goes, and domains whose warnings may have changed */
	"CREATE TEMP TABLE zs_w_touched ON COMMIT DROP AS SELECT DISTINCT t.domain "
	"FROM transitions t JOIN domains d ON d.name = t.domain, zs_w w "
	"WHERE d.tld_id = w.tld_id AND t.run_id IN (SELECT id FROM zs_w_undone)",
	"CREATE TEMP TABLE zs_w_results ON COMMIT DROP AS SELECT DISTINCT r.domain FROM results r "
	"WHERE r.run_id IN (SELECT id FROM zs_w) OR r.run_id IN (SELECT id FROM zs_w_replay)",
	"DELETE FROM transitions t USING domains d, zs_w w WHERE d.name = t.domain "
	"AND d.tld_id = w.tld_id AND t.run_id IN (SELECT id FROM zs_w_undone)",
	"DELETE FROM current_state c USING domains d, zs_w w WHERE d.name = c.domain "
	"AND d.tld_id = w.tld_id AND d.first_seen_run IN (SELECT id FROM zs_w_undone)",
	"DELETE FROM domains d USING zs_w w WHERE d.tld_id = w.tld_id "
	"AND d.first_seen_run IN (SELECT id FROM zs_w_undone)",
	/* status, "since" and removal from the last status change left */
	"CREATE TEMP TABLE zs_w_last ON COMMIT DROP AS SELECT DISTINCT ON (t.domain) t.domain, "
	"t.run_id, t.to_state, t.at FROM transitions t "
	"WHERE t.domain IN (SELECT domain FROM zs_w_touched) ORDER BY t.domain, t.id DESC",
	"UPDATE domains d SET "
	"removed_run = CASE WHEN l.to_state = 'removed' THEN l.run_id END, "
	"removed_at = CASE WHEN l.to_state = 'removed' THEN l.at END "
	"FROM zs_w_last l WHERE d.name = l.domain",
	"UPDATE current_state c SET state = l.to_state, since_run = l.run_id, since_at = l.at "
	"FROM zs_w_last l WHERE c.domain = l.domain",
	"UPDATE current_state SET warnings = 0 WHERE state = 'removed' "
	"AND domain IN (SELECT domain FROM zs_w_touched)",
	/* warnings from the domain's last result among the runs that wrote history before */
	"CREATE TEMP TABLE zs_w_prior ON COMMIT DROP AS SELECT DISTINCT ON (r.domain) r.domain, "
	"r.warnings FROM results r WHERE r.domain IN (SELECT domain FROM zs_w_results) "
	"AND r.run_id IN (SELECT p.id FROM runs p, zs_w w WHERE p.tld_id = w.tld_id "
	"AND p.finished_at < w.finished_at AND " WRITES_HISTORY(
	        "p") ") "
	             "ORDER BY r.domain, r.run_id DESC",
	"UPDATE current_state c SET warnings = p.warnings FROM zs_w_prior p "
	"WHERE c.domain = p.domain AND c.state <> 'removed' AND c.warnings <> p.warnings",
};

/* Domains present before the withdrawn run whose warnings no kept result tells. */
static const char withdraw_lost_sql[] =
        "SELECT count(*) FROM current_state c WHERE c.state <> 'removed' "
        "AND c.domain IN (SELECT domain FROM zs_w_results) "
        "AND NOT EXISTS (SELECT 1 FROM zs_w_prior p WHERE p.domain = c.domain)";

/* A one-row, one-column answer as a number. @return 0, ZS_ERR_DB */
static int query_i64(struct zs_db *db, const char *what, const char *sql, int nparams,
                     const char *const *params, int64_t *out)
{
	PGresult *res = zs__db_query(db, what, sql, nparams, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int ret = PQntuples(res) == 1 ? zs__db_parse_i64(PQgetvalue(res, 0, 0), out) : ZS_ERR_PARSE;
	PQclear(res);
	return ret == 0 ? 0 : zs__db_failf(db, ZS_ERR_DB, "%s: %s: no number", db->where, what);
}

/* Mark the run withdrawn after checking it may be, under its TLD's lock (for the transaction).
 * @param[out] complete  whether it was complete (its TLD's history must be recomputed) */
static int withdraw_mark(struct zs_db *db, const char *const params[3], bool *complete)
{
	PGresult *res = zs__db_query(
	        db, "withdraw run",
	        "SELECT r.status, pg_try_advisory_xact_lock(" ZS__DB_STR(
	                ZS__DB_LOCK_TLD) ", r.tld_id), "
	                                 "t.name, coalesce(to_char(r.withdrawn_at, 'YYYY-MM-DD HH24:MI'), '') "
	                                 "FROM runs r JOIN tlds t ON t.id = r.tld_id WHERE r.id = $1::bigint FOR UPDATE",
	        1, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int ret = 0;
	const char *status = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	if (PQntuples(res) == 0) {
		ret = zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %s", db->where, params[0]);
	} else if (strcmp(status, "withdrawn") == 0) {
		ret = zs__db_failf(db, ZS_ERR_REFUSED, "run %s was withdrawn already (%s)",
		                   params[0], PQgetvalue(res, 0, 3));
	} else if (strcmp(status, "running") == 0 || strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		ret = zs__db_failf(db, ZS_ERR_LOCKED,
		                   "a sweep of TLD %s is running: withdraw run %s once it has "
		                   "ended",
		                   PQgetvalue(res, 0, 2), params[0]);
	}
	*complete = strcmp(status, "complete") == 0;
	PQclear(res);
	if (ret != 0) {
		return ret;
	}
	res = zs__db_query(db, "withdraw run",
	                   "UPDATE runs SET withdrawn_status = status, status = 'withdrawn', "
	                   "withdrawn_at = now(), withdrawn_by = $2, withdrawn_why = $3 "
	                   "WHERE id = $1::bigint",
	                   3, params);
	PQclear(res);
	return res == NULL ? ZS_ERR_DB : 0;
}

/* Undo the history the run and the later runs wrote, and let the later runs write it again. */
static int withdraw_history(struct zs_db *db, const char *run, struct zs_db_withdraw_stats *st)
{
	int ret = run_steps(db, "withdraw run", (const char *const[]){ withdraw_run_sql }, 1, 1,
	                    &run);
	ret = ret != 0 ? ret
	               : run_steps(db, "withdraw run", withdraw_plan_sql,
	                           sizeof(withdraw_plan_sql) / sizeof(withdraw_plan_sql[0]), 0,
	                           NULL);
	PGresult *res =
	        ret != 0 ? NULL : zs__db_query(db, "withdraw run", withdraw_pruned_sql, 0, NULL);
	if (ret == 0 && res == NULL) {
		return ZS_ERR_DB;
	}
	if (ret == 0 && PQntuples(res) > 0) {
		ret = zs__db_failf(
		        db, ZS_ERR_REFUSED,
		        "run %s cannot be withdrawn: the history of its TLD is recomputed "
		        "from the results of the runs since, and run %s was pruned on %s",
		        run, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	ret = ret != 0 ? ret
	               : query_i64(db, "withdraw run",
	                           "SELECT count(*) FROM transitions WHERE run_id IN "
	                           "(SELECT id FROM zs_w_undone)",
	                           0, NULL, &st->transitions_undone);
	ret = ret != 0 ? ret
	               : run_steps(db, "withdraw run", withdraw_undo_sql,
	                           sizeof(withdraw_undo_sql) / sizeof(withdraw_undo_sql[0]), 0,
	                           NULL);
	int64_t lost = 0;
	ret = ret != 0 ? ret : query_i64(db, "withdraw run", withdraw_lost_sql, 0, NULL, &lost);
	if (ret == 0 && lost > 0) {
		ret = zs__db_failf(db, ZS_ERR_REFUSED,
		                   "run %s cannot be withdrawn: the state %" PRId64 " domains had "
		                   "before it is no longer known (the runs that recorded it were "
		                   "pruned)",
		                   run, lost);
	}
	res = ret != 0 ? NULL
	               : zs__db_query(db, "withdraw run",
	                              "SELECT y.id, y.zone_complete, w.tld_id FROM zs_w_replay y, "
	                              "zs_w w ORDER BY y.finished_at, y.id",
	                              0, NULL);
	if (ret == 0 && res == NULL) {
		return ZS_ERR_DB;
	}
	for (int i = 0; ret == 0 && i < PQntuples(res); i++) {
		const char *params[2] = { PQgetvalue(res, i, 0), PQgetvalue(res, i, 2) };
		ret = record_history(db, params, strcmp(PQgetvalue(res, i, 1), "t") == 0);
		st->runs_replayed++;
	}
	PQclear(res);
	return ret;
}

int zs_db_run_withdraw(struct zs_db *db, int64_t run_id, const char *why, const char *by,
                       struct zs_db_withdraw_stats *stats)
{
	struct zs_db_withdraw_stats st = { 0 };
	char id[24];
	bool complete = false;

	if (why == NULL || why[0] == '\0' || strchr(why, '\n') != NULL ||
	    !zs__db_text_ok(why, strlen(why))) {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "a withdrawal needs a reason (--why), one line");
	}
	const char *params[3] = { i64_param(run_id, id), by != NULL ? by : "", why };
	int ret = zs__db_ensure(db);
	ret = ret != 0 ? ret : zs__db_exec(db, "withdraw run", "BEGIN");
	if (ret != 0) {
		return ret;
	}
	ret = withdraw_mark(db, params, &complete);
	if (ret == 0 && complete) {
		ret = withdraw_history(db, id, &st);
	}
	ret = ret != 0 ? ret : zs__db_exec(db, "withdraw run", "COMMIT");
	if (ret != 0) {
		rollback(db);
		return ret;
	}
	if (stats != NULL) {
		*stats = st;
	}
	return 0;
}
