/* SPDX-License-Identifier: MIT */
/*
 * Streaming reads of a run. One cursor in a read-only repeatable-read transaction, fetched a
 * thousand rows at a time in binary format: arrays (verdicts, raw TXT) and bytea come back as
 * length-prefixed bytes, so nothing has to be unescaped and the raw records are exact. Each
 * row's facts and raw records come from the row holding them (one probe: migrations 004, 005),
 * its verdicts are aggregated from the verdicts table's primary key under the run that stores
 * them, and the status "since" comes from the latest transition at or before the run. A row's
 * strings are copied into an arena that lives until the next row.
 */
#include "db/reader.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_int.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"

enum { FETCH_ROWS = 1000 };

/* PostgreSQL type oids of array elements (pg_type.dat). */
enum { OID_BYTEA = 17, OID_TEXT = 25 };

struct zs_db_reader {
	struct zs_db *db;
	PGresult *res; /**< the current FETCH */
	int row;       /**< next row of res */
	bool eof;
	struct zs_arena arena; /**< the current row's copies */
	struct zs_db_row out;
};

static const char cursor_sql[] =
        "DECLARE zs_reader NO SCROLL CURSOR FOR "
        "SELECT r.domain, r.status::text, r.warnings, r.mail::text, "
        "coalesce(r.facts, h.facts)::text, coalesce(r.raw_owner, h.raw_owner), "
        "coalesce(r.raw_txt, h.raw_txt), v.rules, v.verdicts, v.reasons, "
        "CASE WHEN tr.to_state::text = r.status::text THEN tr.run_id ELSE r.run_id END, "
        "extract(epoch FROM CASE WHEN tr.to_state::text = r.status::text THEN tr.at "
        "ELSE s.started_at END)::bigint "
        "FROM results r JOIN runs s ON s.id = r.run_id "
        "LEFT JOIN results h ON h.run_id = r.facts_run AND h.domain = r.domain "
        "LEFT JOIN LATERAL (SELECT array_agg(x.rule ORDER BY x.rule) AS rules, "
        "array_agg(x.verdict::text ORDER BY x.rule) AS verdicts, "
        "array_agg(x.reason ORDER BY x.rule) AS reasons FROM verdicts x "
        "WHERE x.run_id = coalesce(r.verdicts_run, r.run_id) AND x.domain = r.domain) v ON true "
        "LEFT JOIN LATERAL (SELECT t.run_id, t.at, t.to_state FROM transitions t "
        "WHERE t.domain = r.domain AND t.run_id <= r.run_id "
        "ORDER BY t.run_id DESC LIMIT 1) tr ON true "
        "WHERE r.run_id = $1::bigint ORDER BY r.domain";

enum {
	COL_DOMAIN,
	COL_STATUS,
	COL_WARNINGS,
	COL_MAIL,
	COL_FACTS,
	COL_RAW_OWNER,
	COL_RAW_TXT,
	COL_RULES,
	COL_VERDICTS,
	COL_REASONS,
	COL_SINCE_RUN,
	COL_SINCE_AT,
	COL_COUNT_
};

/* A binary one-dimensional array: its elements as (pointer, length) pairs. */
struct array {
	size_t count;
	const char *p;   /**< first element's length word */
	const char *end; /**< end of the value */
};

static uint32_t get_u32(const char *p)
{
	uint32_t v = 0;
	memcpy(&v, p, 4);
	return ntohl(v);
}

static int get_i64(const PGresult *res, int row, int col, int64_t *out)
{
	if (PQgetlength(res, row, col) != 8) {
		return ZS_ERR_PARSE;
	}
	const char *p = PQgetvalue(res, row, col);
	uint64_t v = ((uint64_t)get_u32(p) << 32) | get_u32(p + 4);
	*out = (int64_t)v;
	return 0;
}

static int array_open(const PGresult *res, int row, int col, uint32_t oid, struct array *a)
{
	a->count = 0;
	a->p = NULL;
	a->end = NULL;
	if (PQgetisnull(res, row, col)) {
		return 0; /* no verdicts: array_agg() over nothing */
	}
	const char *p = PQgetvalue(res, row, col);
	size_t len = (size_t)PQgetlength(res, row, col);
	if (len < 12) {
		return ZS_ERR_PARSE;
	}
	uint32_t ndim = get_u32(p);
	if (get_u32(p + 8) != oid || ndim > 1) {
		return ZS_ERR_PARSE;
	}
	if (ndim == 0) {
		return 0;
	}
	if (len < 20) {
		return ZS_ERR_PARSE;
	}
	a->count = get_u32(p + 12);
	a->p = p + 20;
	a->end = p + len;
	return 0;
}

/* The next element; NULL elements are refused (the schema has none). */
static int array_next(struct array *a, const char **p, size_t *len)
{
	if (a->end - a->p < 4) {
		return ZS_ERR_PARSE;
	}
	uint32_t n = get_u32(a->p);
	if (n == 0xffffffffu || (size_t)(a->end - a->p - 4) < n) {
		return ZS_ERR_PARSE;
	}
	*p = a->p + 4;
	*len = n;
	a->p += 4 + n;
	return 0;
}

static int fetch(struct zs_db_reader *r)
{
	PQclear(r->res);
	r->res = NULL;
	r->row = 0;
	PGresult *res = PQexecParams(r->db->conn, "FETCH 1000 FROM zs_reader", 0, NULL, NULL, NULL,
	                             NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int ret = zs__db_fail(r->db, "read results", res);
		PQclear(res);
		return ret;
	}
	if (PQnfields(res) != COL_COUNT_) {
		PQclear(res);
		return zs__db_failf(r->db, ZS_ERR_DB, "%s: read results: unexpected columns",
		                    r->db->where);
	}
	if (PQntuples(res) < FETCH_ROWS) {
		r->eof = true; /* nothing after this batch */
	}
	r->res = res;
	return 0;
}

int zs_db_reader_open(struct zs_db *db, int64_t run_id, struct zs_db_reader **out)
{
	char id[24];
	const char *param = id;
	int ret = zs__db_ensure(db);

	if (ret != 0) {
		return ret;
	}
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	PGresult *res =
	        zs__db_query(db, "read run", "SELECT 1 FROM runs WHERE id = $1::bigint", 1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %" PRId64, db->where, run_id);
	}
	ret = zs__db_exec(db, "read results", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (ret != 0) {
		return ret;
	}
	res = zs__db_query(db, "read results", cursor_sql, 1, &param);
	if (res == NULL) {
		PQclear(PQexec(db->conn, "ROLLBACK"));
		return ZS_ERR_DB;
	}
	PQclear(res);
	struct zs_db_reader *r = zs_calloc(1, sizeof(*r));
	r->db = db;
	zs_arena_init(&r->arena);
	db->reader_open = true;
	*out = r;
	return 0;
}

static int read_verdicts(struct zs_db_reader *r, const PGresult *res, int row)
{
	struct array rules;
	struct array verdicts;
	struct array reasons;
	int ret = array_open(res, row, COL_RULES, OID_TEXT, &rules);
	ret = ret != 0 ? ret : array_open(res, row, COL_VERDICTS, OID_TEXT, &verdicts);
	ret = ret != 0 ? ret : array_open(res, row, COL_REASONS, OID_TEXT, &reasons);
	if (ret != 0 || rules.count != verdicts.count || rules.count != reasons.count ||
	    rules.count > 100000) {
		return ZS_ERR_PARSE;
	}
	struct zs_db_verdict_row *v = zs_arena_calloc(&r->arena, rules.count + 1, sizeof(*v));
	for (size_t i = 0; i < rules.count; i++) {
		const char *p = NULL;
		size_t n = 0;
		ret = array_next(&rules, &p, &n);
		if (ret != 0) {
			return ret;
		}
		v[i].rule = zs_arena_strndup(&r->arena, p, n);
		ret = array_next(&verdicts, &p, &n);
		if (ret != 0) {
			return ret;
		}
		char *name = zs_arena_strndup(&r->arena, p, n);
		if (zs_db_verdict_parse(name, &v[i].verdict) != 0) {
			return ZS_ERR_PARSE;
		}
		ret = array_next(&reasons, &p, &n);
		if (ret != 0) {
			return ret;
		}
		v[i].reason = zs_arena_strndup(&r->arena, p, n);
	}
	r->out.verdicts = v;
	r->out.verdict_count = rules.count;
	return 0;
}

static int read_raw(struct zs_db_reader *r, const PGresult *res, int row)
{
	struct array owners;
	struct array txt;
	int ret = array_open(res, row, COL_RAW_OWNER, OID_TEXT, &owners);
	ret = ret != 0 ? ret : array_open(res, row, COL_RAW_TXT, OID_BYTEA, &txt);
	if (ret != 0 || owners.count != txt.count || owners.count > 100000) {
		return ZS_ERR_PARSE;
	}
	struct zs_db_raw_txt *raw = zs_arena_calloc(&r->arena, owners.count + 1, sizeof(*raw));
	for (size_t i = 0; i < owners.count; i++) {
		const char *p = NULL;
		size_t n = 0;
		ret = array_next(&owners, &p, &n);
		if (ret != 0) {
			return ret;
		}
		raw[i].owner = zs_arena_strndup(&r->arena, p, n);
		ret = array_next(&txt, &p, &n);
		if (ret != 0) {
			return ret;
		}
		/* Never NULL, even for an empty record. */
		uint8_t *data = zs_arena_alloc(&r->arena, n + 1);
		memcpy(data, p, n);
		raw[i].data = data;
		raw[i].len = n;
	}
	r->out.raw = raw;
	r->out.raw_count = owners.count;
	return 0;
}

int zs_db_reader_next(struct zs_db_reader *r, const struct zs_db_row **row)
{
	int ret = 0;

	if (r->res == NULL || r->row >= PQntuples(r->res)) {
		if (r->eof) {
			return ZS_ERR_EOF;
		}
		ret = fetch(r);
		if (ret != 0) {
			return ret;
		}
		if (PQntuples(r->res) == 0) {
			return ZS_ERR_EOF;
		}
	}
	const PGresult *res = r->res;
	int i = r->row++;
	zs_arena_deinit(&r->arena);
	memset(&r->out, 0, sizeof(r->out));
	r->out.domain = PQgetvalue(res, i, COL_DOMAIN);
	r->out.facts_json = PQgetvalue(res, i, COL_FACTS);
	if (PQgetlength(res, i, COL_WARNINGS) != 4 ||
	    zs_db_status_parse(PQgetvalue(res, i, COL_STATUS), &r->out.status) != 0 ||
	    zs_db_mail_parse(PQgetvalue(res, i, COL_MAIL), &r->out.mail) != 0) {
		ret = ZS_ERR_PARSE;
	}
	if (ret == 0) {
		r->out.warnings = get_u32(PQgetvalue(res, i, COL_WARNINGS));
		ret = read_verdicts(r, res, i);
	}
	ret = ret != 0 ? ret : read_raw(r, res, i);
	ret = ret != 0 ? ret : get_i64(res, i, COL_SINCE_RUN, &r->out.since_run);
	ret = ret != 0 ? ret : get_i64(res, i, COL_SINCE_AT, &r->out.since_at);
	if (ret != 0) {
		return zs__db_failf(r->db, ZS_ERR_PARSE, "%s: result of %s does not read back",
		                    r->db->where, r->out.domain);
	}
	*row = &r->out;
	return 0;
}

void zs_db_reader_close(struct zs_db_reader *r)
{
	if (r == NULL) {
		return;
	}
	PQclear(r->res);
	PQclear(PQexec(r->db->conn, "ROLLBACK")); /* read only: nothing to keep */
	r->db->reader_open = false;
	zs_arena_deinit(&r->arena);
	zs_free(r);
}

int zs_db_run_stored(struct zs_db *db, int64_t run_id, zs_db_domain_cb cb, void *arg)
{
	char id[24];
	const char *param = id;
	int ret = zs__db_ensure(db);

	if (ret != 0) {
		return ret;
	}
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	ret = zs__db_exec(db, "read stored domains",
	                  "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(db, "read stored domains",
	                             "DECLARE zs_stored NO SCROLL CURSOR FOR "
	                             "SELECT domain FROM results WHERE run_id = $1::bigint UNION "
	                             "SELECT domain FROM quarantine WHERE run_id = $1::bigint "
	                             "ORDER BY 1",
	                             1, &param);
	if (res == NULL) {
		ret = ZS_ERR_DB;
		goto out;
	}
	PQclear(res);
	for (;;) {
		res = zs__db_query(db, "read stored domains", "FETCH 10000 FROM zs_stored", 0,
		                   NULL);
		if (res == NULL) {
			ret = ZS_ERR_DB;
			goto out;
		}
		int n = PQntuples(res);
		for (int i = 0; i < n && ret == 0; i++) {
			ret = cb(PQgetvalue(res, i, 0), arg);
		}
		PQclear(res);
		if (ret != 0 || n < 10000) {
			break;
		}
	}
out:
	PQclear(PQexec(db->conn, "ROLLBACK"));
	return ret;
}
