/* SPDX-License-Identifier: MIT */
/*
 * Report queries. The per-domain rows come from one SELECT in text format, streamed row by row
 * (libpq's single-row mode: the server keeps producing while the report is written, as COPY
 * does) or, for notices, through a cursor fetched a thousand rows at a time: each result row
 * with its verdicts aggregated from the verdicts table's primary key, its key facts read from
 * the stored summary with jsonb_to_record() (the facts document is large and TOASTed: every
 * expression that touches the column decompresses it again, so it is read once, into a
 * subquery that is not flattened, and everything else is taken from that copy), and the run
 * since which the domain has had its status, from the latest transition at or before the run
 * (as db/reader.c). Arrays come back in PostgreSQL's text array form and are parsed here; raw
 * TXT bytes come back hex-encoded.
 *
 * Notices read through the same cursor in a read-write transaction and log what they generate
 * in it: the log and the notices become durable together, or not at all.
 */
#include "db/report_query.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_int.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"

enum { FETCH_ROWS = 1000, LOG_BATCH = 500 };

static const struct {
	const char *name;
	enum zs_db_fact_type type;
} fact_info[ZS_DB_FACT_COUNT_] = {
	[ZS_DB_FACT_MX_STATUS] = { "mx_status", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_MX_KIND] = { "mx_kind", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_MX_HOSTS] = { "mx_hosts", ZS_DB_FACT_LIST },
	[ZS_DB_FACT_SPF_STATUS] = { "spf_status", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_SPF_RECORD] = { "spf_record", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_SPF_LOOKUPS] = { "spf_lookups", ZS_DB_FACT_INT },
	[ZS_DB_FACT_SPF_ALL] = { "spf_all", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DMARC_STATUS] = { "dmarc_status", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DMARC_RECORD] = { "dmarc_record", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DMARC_P] = { "dmarc_p", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DMARC_SP] = { "dmarc_sp", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DMARC_PCT] = { "dmarc_pct", ZS_DB_FACT_INT },
	[ZS_DB_FACT_DMARC_ADKIM] = { "dmarc_adkim", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DMARC_ASPF] = { "dmarc_aspf", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DKIM_STATUS] = { "dkim_status", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DKIM_SELECTORS] = { "dkim_selectors", ZS_DB_FACT_LIST },
	[ZS_DB_FACT_DKIM_RSA_BITS] = { "dkim_rsa_bits", ZS_DB_FACT_INT },
	[ZS_DB_FACT_RDNS_STATUS] = { "rdns_status", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_RDNS] = { "rdns", ZS_DB_FACT_TEXT },
	[ZS_DB_FACT_DNSSEC_SIGNED] = { "dnssec_signed", ZS_DB_FACT_BOOL },
};

const char *zs_db_fact_name(enum zs_db_fact f)
{
	ZS_REQUIRE((unsigned)f < ZS_DB_FACT_COUNT_);
	return fact_info[f].name;
}

enum zs_db_fact_type zs_db_fact_type(enum zs_db_fact f)
{
	ZS_REQUIRE((unsigned)f < ZS_DB_FACT_COUNT_);
	return fact_info[f].type;
}

/* ---- the row query ---------------------------------------------------------------------- */

/* The summary keys read, all as text: a JSON number or boolean reads as its literal. */
static const char summary_record[] =
        "mx_status text, mx_kind text, mx_hosts jsonb, spf_status text, spf_record text, "
        "spf_lookups text, spf_all text, dmarc_status text, dmarc_record text, dmarc_p text, "
        "dmarc_sp text, dmarc_pct text, dmarc_adkim text, dmarc_aspf text, dkim_status text, "
        "dkim_keys text, dkim_rsa_bits text, rdns_status text, rdns text, dnssec_signed text";

/* Columns in the order of enum zs_db_fact. The DKIM selectors are the one fact the summary
 * does not carry: they are read from the DKIM part only for domains where keys were found
 * (each selector with its first key, and "+N" when it publishes more). */
static const char fact_columns[] =
        "f.mx_status, f.mx_kind, "
        "(SELECT string_agg(h, ' ') FROM jsonb_array_elements_text(CASE WHEN "
        "jsonb_typeof(f.mx_hosts) = 'array' THEN f.mx_hosts END) h), "
        "f.spf_status, f.spf_record, f.spf_lookups, CASE f.spf_all WHEN '-' THEN 'fail' "
        "WHEN '~' THEN 'softfail' WHEN '?' THEN 'neutral' WHEN '+' THEN 'pass' END, "
        "f.dmarc_status, f.dmarc_record, "
        "f.dmarc_p, f.dmarc_sp, f.dmarc_pct, f.dmarc_adkim, f.dmarc_aspf, f.dkim_status, "
        "CASE WHEN f.dkim_keys IS NOT NULL AND f.dkim_keys <> '0' THEN (SELECT string_agg("
        "coalesce(s.v->>'selector', '?') || '=' || CASE WHEN s.v->'keys'->0->>'status' = "
        "'valid' THEN coalesce(s.v->'keys'->0->>'type', 'key') || CASE WHEN "
        "(s.v->'keys'->0->>'bits') ~ '^[1-9][0-9]{0,5}$' THEN '-' || "
        "(s.v->'keys'->0->>'bits') ELSE '' END ELSE coalesce(s.v->'keys'->0->>'status', "
        "'invalid') END || CASE WHEN jsonb_typeof(s.v->'keys') = 'array' AND "
        "jsonb_array_length(s.v->'keys') > 1 THEN '+' || (jsonb_array_length(s.v->'keys') - "
        "1)::text ELSE '' END, ' ' ORDER BY s.i) FROM jsonb_path_query(top.dkim, "
        "'lax $.selectors[*] ? (!(@.wildcard_match == true))') WITH ORDINALITY s(v, i)) "
        "END, "
        "f.dkim_rsa_bits, f.rdns_status, f.rdns, f.dnssec_signed";

enum {
	COL_DOMAIN,
	COL_STATUS,
	COL_WARNINGS,
	COL_MAIL,
	COL_SINCE_RUN,
	COL_SINCE_AT,
	COL_RULES,
	COL_VERDICTS,
	COL_REASONS,
	COL_FACTS,
	COL_FIXED_ = COL_FACTS + ZS_DB_FACT_COUNT_
};

/* Build the cursor's SELECT. $1 is the run id; the domain and the notice kind follow. */
static int build_select(struct zs_buf *q, const char *run_param, int flags, bool one_domain)
{
	int ret = zs_buf_printf(
	        q,
	        "SELECT r.domain, r.status::text, r.warnings, r.mail::text, "
	        "CASE WHEN tr.to_state::text = r.status::text THEN tr.run_id ELSE r.run_id END, "
	        "extract(epoch FROM CASE WHEN tr.to_state::text = r.status::text THEN tr.at "
	        "ELSE s.started_at END)::bigint, v.rules, v.verdicts, v.reasons, %s",
	        fact_columns);
	if (ret == 0 && (flags & ZS_DB_REPORT_FACTS_JSON) != 0) {
		ret = zs_buf_puts(q, ", zs_facts(r)::text");
	}
	if (ret == 0 && (flags & ZS_DB_REPORT_RAW) != 0) {
		ret = zs_buf_puts(q, ", zs_raw_owner(r), ARRAY(SELECT encode(t.b, 'hex') FROM "
		                     "unnest(zs_raw_txt(r)) WITH ORDINALITY t(b, i) ORDER BY t.i)");
	}
	if (ret == 0 && (flags & ZS_DB_REPORT_NOTICES) != 0) {
		ret = zs_buf_printf(q,
		                    ", ct.email, ct.name, ct.organisation, coalesce(extract(epoch "
		                    "FROM (SELECT max(n.generated_at) FROM notices n WHERE "
		                    "n.domain = r.domain AND n.kind = $%d AND "
		                    "array_to_string(n.rules, ' ') = coalesce(v.failing, '') "
		                    "COLLATE \"C\" AND NOT EXISTS (SELECT 1 FROM runs w WHERE "
		                    "w.id = n.run_id AND w.status = 'withdrawn'))), 0)::bigint",
		                    one_domain ? 3 : 2);
	}
	ret = ret != 0 ? ret
	               : zs_buf_printf(
	                         q,
	                         " FROM results r JOIN runs s ON s.id = r.run_id "
	                         "LEFT JOIN LATERAL (SELECT jsonb_path_query_first(zs_facts(r), "
	                         "'lax $ ? (@.type() == \"object\")') AS doc OFFSET 0) d ON "
	                         "true LEFT JOIN LATERAL jsonb_to_record(d.doc) AS top("
	                         "summary jsonb, dkim jsonb) ON true "
	                         "LEFT JOIN LATERAL jsonb_to_record(CASE WHEN jsonb_typeof("
	                         "top.summary) = 'object' THEN top.summary END) "
	                         "AS f(%s) ON true "
	                         "LEFT JOIN LATERAL (SELECT array_agg(x.rule ORDER BY x.rule) "
	                         "AS rules, array_agg(x.verdict::text ORDER BY x.rule) AS "
	                         "verdicts, array_agg(x.reason ORDER BY x.rule) AS reasons, "
	                         "string_agg(x.rule, ' ' ORDER BY x.rule) FILTER (WHERE "
	                         "x.verdict = 'fail') AS failing FROM verdicts x WHERE "
	                         "x.run_id = coalesce(r.verdicts_run, r.run_id) AND "
	                         "x.domain = r.domain) v ON true "
	                         "LEFT JOIN LATERAL (SELECT t.run_id, t.at, t.to_state FROM "
	                         "transitions t WHERE t.domain = r.domain AND t.run_id <= "
	                         "r.run_id ORDER BY t.run_id DESC LIMIT 1) tr ON true",
	                         summary_record);
	if (ret == 0 && (flags & ZS_DB_REPORT_NOTICES) != 0) {
		ret = zs_buf_puts(q, " LEFT JOIN contacts ct ON ct.domain = r.domain");
	}
	ret = ret != 0 ? ret : zs_buf_printf(q, " WHERE r.run_id = %s", run_param);
	if (ret == 0 && one_domain) {
		ret = zs_buf_puts(q, " AND r.domain = $2");
	}
	if (ret == 0 && (flags & ZS_DB_REPORT_NOTICES) != 0) {
		ret = zs_buf_puts(q, " AND r.status = 'non-compliant'");
	}
	return ret != 0 ? ret : zs_buf_puts(q, " ORDER BY r.domain");
}

int zs_db_report_sql(int64_t run_id, struct zs_buf *out)
{
	char id[32];
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	return build_select(out, id, 0, false);
}

/* ---- the cursor ------------------------------------------------------------------------- */

struct zs_db_report_cursor {
	struct zs_db *db;
	int flags;
	int64_t run_id;
	bool streaming; /**< single-row mode (reports); else a cursor fetched in batches */
	bool sending;   /**< streaming: results are still to be collected */
	PGresult *res;
	int row;
	bool eof;
	int col_facts_json; /**< column indexes of the optional parts, -1 when absent */
	int col_raw;
	int col_notice;
	struct zs_arena arena; /**< the current row's copies */
	struct zs_db_report_row out;
	/* the notice log, sent in batches */
	struct zs_buf log_domains;
	struct zs_buf log_recipients;
	struct zs_buf log_ids;
	struct zs_buf log_rules;
	struct zs_buf log_kind;
	size_t log_count;
};

/* One element of a PostgreSQL text array ({a,"b c",NULL}); *p advances past it. */
static int array_element(const char **p, struct zs_arena *a, const char **out)
{
	const char *s = *p;
	struct zs_buf b;
	int ret = 0;

	zs_buf_init(&b, 1u << 30);
	if (*s == '"') {
		s++;
		while (*s != '"' && ret == 0) {
			if (*s == '\0') {
				ret = ZS_ERR_PARSE;
				break;
			}
			if (*s == '\\' && s[1] != '\0') {
				s++;
			}
			ret = zs_buf_putc(&b, *s++);
		}
		s += ret == 0 ? 1 : 0;
		*out = zs_arena_strndup(a, zs_buf_cstr(&b), b.len);
	} else {
		size_t n = strcspn(s, ",}");
		*out = n == 4 && strncmp(s, "NULL", 4) == 0 ? NULL : zs_arena_strndup(a, s, n);
		s += n;
	}
	zs_buf_deinit(&b);
	*p = s;
	return ret;
}

/* Parse a one-dimensional text array; NULL (SQL NULL) is an empty array. */
static int parse_array(const PGresult *res, int row, int col, struct zs_arena *a,
                       const char ***items, size_t *count)
{
	*items = NULL;
	*count = 0;
	if (PQgetisnull(res, row, col)) {
		return 0;
	}
	const char *s = PQgetvalue(res, row, col);
	if (*s != '{') {
		return ZS_ERR_PARSE;
	}
	size_t n = 1;
	for (const char *t = s; *t != '\0'; t++) {
		n += *t == ','; /* an upper bound: commas inside quotes count too */
	}
	const char **v = zs_arena_calloc(a, n + 1, sizeof(*v));
	size_t i = 0;
	s++;
	if (*s == '}') {
		if (s[1] != '\0') {
			return ZS_ERR_PARSE;
		}
		*items = v;
		return 0;
	}
	for (;;) {
		if (i == n || array_element(&s, a, &v[i]) != 0) {
			return ZS_ERR_PARSE;
		}
		i++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '}' && s[1] == '\0') {
			break;
		}
		return ZS_ERR_PARSE;
	}
	*items = v;
	*count = i;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

/* Records by name, then by bytes: DNS answers come in any order, reports must not. */
static int raw_cmp(const void *a, const void *b)
{
	const struct zs_db_raw_txt *x = a;
	const struct zs_db_raw_txt *y = b;
	int c = strcmp(x->owner, y->owner);
	if (c != 0) {
		return c;
	}
	size_t n = x->len < y->len ? x->len : y->len;
	c = n > 0 ? memcmp(x->data, y->data, n) : 0;
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static int read_raw(struct zs_db_report_cursor *c, const PGresult *res, int i)
{
	const char **owners = NULL;
	const char **hex = NULL;
	size_t n_owners = 0;
	size_t n_hex = 0;
	int ret = parse_array(res, i, c->col_raw, &c->arena, &owners, &n_owners);
	ret = ret != 0 ? ret : parse_array(res, i, c->col_raw + 1, &c->arena, &hex, &n_hex);
	if (ret != 0 || n_owners != n_hex) {
		return ZS_ERR_PARSE;
	}
	struct zs_db_raw_txt *raw = zs_arena_calloc(&c->arena, n_owners + 1, sizeof(*raw));
	for (size_t k = 0; k < n_owners; k++) {
		const char *h = hex[k] != NULL ? hex[k] : "";
		size_t len = strlen(h);
		if (owners[k] == NULL || len % 2 != 0) {
			return ZS_ERR_PARSE;
		}
		uint8_t *data = zs_arena_alloc(&c->arena, len / 2 + 1);
		for (size_t j = 0; j < len / 2; j++) {
			int hi = hex_value(h[2 * j]);
			int lo = hex_value(h[2 * j + 1]);
			if (hi < 0 || lo < 0) {
				return ZS_ERR_PARSE;
			}
			data[j] = (uint8_t)(hi << 4 | lo);
		}
		raw[k].owner = owners[k];
		raw[k].data = data;
		raw[k].len = len / 2;
	}
	qsort(raw, n_owners, sizeof(*raw), raw_cmp);
	c->out.raw = raw;
	c->out.raw_count = n_owners;
	return 0;
}

static int read_verdicts(struct zs_db_report_cursor *c, const PGresult *res, int i)
{
	const char **rules = NULL;
	const char **verdicts = NULL;
	const char **reasons = NULL;
	size_t nr = 0;
	size_t nv = 0;
	size_t nz = 0;
	int ret = parse_array(res, i, COL_RULES, &c->arena, &rules, &nr);
	ret = ret != 0 ? ret : parse_array(res, i, COL_VERDICTS, &c->arena, &verdicts, &nv);
	ret = ret != 0 ? ret : parse_array(res, i, COL_REASONS, &c->arena, &reasons, &nz);
	if (ret != 0 || nr != nv || nr != nz) {
		return ZS_ERR_PARSE;
	}
	struct zs_db_verdict_row *v = zs_arena_calloc(&c->arena, nr + 1, sizeof(*v));
	for (size_t k = 0; k < nr; k++) {
		if (rules[k] == NULL || verdicts[k] == NULL ||
		    zs_db_verdict_parse(verdicts[k], &v[k].verdict) != 0) {
			return ZS_ERR_PARSE;
		}
		v[k].rule = rules[k];
		v[k].reason = reasons[k] != NULL ? reasons[k] : "";
	}
	c->out.verdicts = v;
	c->out.verdict_count = nr;
	return 0;
}

static const char *opt_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int read_row(struct zs_db_report_cursor *c, const PGresult *res, int i)
{
	struct zs_db_report_row *o = &c->out;
	int64_t warnings = 0;
	int ret = 0;

	o->domain = PQgetvalue(res, i, COL_DOMAIN);
	if (zs_db_status_parse(PQgetvalue(res, i, COL_STATUS), &o->status) != 0 ||
	    zs_db_mail_parse(PQgetvalue(res, i, COL_MAIL), &o->mail) != 0 ||
	    zs__db_parse_i64(PQgetvalue(res, i, COL_WARNINGS), &warnings) != 0 ||
	    zs__db_parse_i64(PQgetvalue(res, i, COL_SINCE_RUN), &o->since_run) != 0 ||
	    zs__db_parse_i64(PQgetvalue(res, i, COL_SINCE_AT), &o->since_at) != 0 || warnings < 0 ||
	    warnings > 1000000) {
		return ZS_ERR_PARSE;
	}
	o->warnings = (unsigned)warnings;
	ret = read_verdicts(c, res, i);
	for (int f = 0; f < ZS_DB_FACT_COUNT_ && ret == 0; f++) {
		o->facts[f] = opt_text(res, i, COL_FACTS + f);
	}
	if (ret == 0 && c->col_facts_json >= 0) {
		o->facts_json = PQgetvalue(res, i, c->col_facts_json);
	}
	if (ret == 0 && c->col_raw >= 0) {
		ret = read_raw(c, res, i);
	}
	if (ret == 0 && c->col_notice >= 0) {
		int k = c->col_notice;
		o->contact_email = opt_text(res, i, k);
		o->contact_name = PQgetvalue(res, i, k + 1);
		o->contact_organisation = PQgetvalue(res, i, k + 2);
		ret = zs__db_parse_i64(PQgetvalue(res, i, k + 3), &o->last_notice_at);
	}
	return ret;
}

static int check_columns(struct zs_db_report_cursor *c, PGresult *res)
{
	int want = COL_FIXED_ + ((c->flags & ZS_DB_REPORT_FACTS_JSON) != 0 ? 1 : 0) +
	           ((c->flags & ZS_DB_REPORT_RAW) != 0 ? 2 : 0) +
	           ((c->flags & ZS_DB_REPORT_NOTICES) != 0 ? 4 : 0);
	if (PQnfields(res) != want) {
		PQclear(res);
		return zs__db_failf(c->db, ZS_ERR_DB, "%s: read report rows: unexpected columns",
		                    c->db->where);
	}
	return 0;
}

/* The next batch of a cursor. */
static int fetch(struct zs_db_report_cursor *c)
{
	PQclear(c->res);
	c->res = NULL;
	c->row = 0;
	PGresult *res =
	        zs__db_query(c->db, "read report rows", "FETCH 1000 FROM zs_report", 0, NULL);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int ret = check_columns(c, res);
	if (ret != 0) {
		return ret;
	}
	c->eof = PQntuples(res) < FETCH_ROWS;
	c->res = res;
	return 0;
}

/* The next row of a stream: one PGresult per row (single-row mode), then the empty final
 * result, then NULL. The server keeps producing while the client writes, as with COPY. */
static int receive(struct zs_db_report_cursor *c)
{
	PQclear(c->res);
	c->res = NULL;
	c->row = 0;
	if (!c->sending) {
		c->eof = true;
		return 0;
	}
	PGresult *res = PQgetResult(c->db->conn);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_SINGLE_TUPLE) {
		int ret = check_columns(c, res);
		if (ret == 0) {
			c->res = res;
		}
		return ret;
	}
	int ret = st == PGRES_TUPLES_OK ? 0 : zs__db_fail(c->db, "read report rows", res);
	PQclear(res);
	/* after the final result (or an error) comes NULL: the connection is free again */
	while ((res = PQgetResult(c->db->conn)) != NULL) {
		PQclear(res);
	}
	c->sending = false;
	c->eof = true;
	return ret;
}

int zs_db_report_open(struct zs_db *db, int64_t run_id, const char *domain, int flags,
                      const char *kind, struct zs_db_report_cursor **out)
{
	char id[32];
	const char *params[3] = { id, NULL, NULL };
	int nparams = 1;
	struct zs_buf q;
	int ret = zs__db_ensure(db);

	if (ret != 0) {
		return ret;
	}
	ZS_REQUIRE((flags & ZS_DB_REPORT_NOTICES) == 0 || kind != NULL);
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	PGresult *res =
	        zs__db_query(db, "read run", "SELECT 1 FROM runs WHERE id = $1::bigint", 1, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %" PRId64, db->where, run_id);
	}
	if (domain != NULL) {
		params[nparams++] = domain;
	}
	if ((flags & ZS_DB_REPORT_NOTICES) != 0) {
		params[nparams++] = kind;
	}
	/* Reports stream the rows of one SELECT; notices need the connection between rows (to
	 * log), so they read through a cursor in batches. */
	bool streaming = (flags & ZS_DB_REPORT_NOTICES) == 0;
	zs_buf_init(&q, 64 * 1024);
	ret = streaming ? 0 : zs_buf_puts(&q, "DECLARE zs_report NO SCROLL CURSOR FOR ");
	ret = ret != 0 ? ret : build_select(&q, "$1::bigint", flags, domain != NULL);
	if (ret != 0) {
		zs_buf_deinit(&q);
		return zs__db_failf(db, ZS_ERR_TOOBIG, "%s: report query too long", db->where);
	}
	ret = zs__db_exec(db, "read report rows",
	                  (flags & ZS_DB_REPORT_NOTICES) != 0
	                          ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
	                          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	/* The JSON functions' row estimates make the planner expect a huge query and compile it
	 * (JIT), which costs more than it saves on a stream read once. */
	ret = ret != 0 ? ret : zs__db_exec(db, "read report rows", "SET LOCAL jit = off");
	if (ret == 0 && streaming) {
		if (PQsendQueryParams(db->conn, zs_buf_cstr(&q), nparams, NULL, params, NULL, NULL,
		                      0) != 1 ||
		    PQsetSingleRowMode(db->conn) != 1) {
			ret = zs__db_fail(db, "read report rows", NULL);
			while ((res = PQgetResult(db->conn)) != NULL) {
				PQclear(res);
			}
		}
	} else if (ret == 0) {
		res = zs__db_query(db, "read report rows", zs_buf_cstr(&q), nparams, params);
		ret = res == NULL ? ZS_ERR_DB : 0;
		PQclear(res);
	}
	zs_buf_deinit(&q);
	if (ret != 0) {
		PQclear(PQexec(db->conn, "ROLLBACK"));
		return ret;
	}
	struct zs_db_report_cursor *c = zs_calloc(1, sizeof(*c));
	c->db = db;
	c->flags = flags;
	c->run_id = run_id;
	c->streaming = streaming;
	c->sending = streaming;
	/* the optional columns, in the order build_select() adds them */
	int col = COL_FIXED_;
	c->col_facts_json = -1;
	c->col_raw = -1;
	c->col_notice = -1;
	if ((flags & ZS_DB_REPORT_FACTS_JSON) != 0) {
		c->col_facts_json = col++;
	}
	if ((flags & ZS_DB_REPORT_RAW) != 0) {
		c->col_raw = col;
		col += 2;
	}
	if ((flags & ZS_DB_REPORT_NOTICES) != 0) {
		c->col_notice = col;
	}
	zs_arena_init(&c->arena);
	zs_buf_init(&c->log_domains, 1u << 30);
	zs_buf_init(&c->log_recipients, 1u << 30);
	zs_buf_init(&c->log_ids, 1u << 30);
	zs_buf_init(&c->log_rules, 1u << 30);
	zs_buf_init(&c->log_kind, 1024);
	db->reader_open = true;
	*out = c;
	return 0;
}

int zs_db_report_next(struct zs_db_report_cursor *c, const struct zs_db_report_row **row)
{
	if (c->res == NULL || c->row >= PQntuples(c->res)) {
		if (c->eof) {
			return ZS_ERR_EOF;
		}
		int ret = c->streaming ? receive(c) : fetch(c);
		if (ret != 0) {
			return ret;
		}
		if (c->res == NULL || PQntuples(c->res) == 0) {
			c->eof = true;
			return ZS_ERR_EOF;
		}
	}
	int i = c->row++;
	zs_arena_deinit(&c->arena);
	memset(&c->out, 0, sizeof(c->out));
	if (read_row(c, c->res, i) != 0) {
		return zs__db_failf(c->db, ZS_ERR_PARSE, "%s: result of %s does not read back",
		                    c->db->where, PQgetvalue(c->res, i, COL_DOMAIN));
	}
	*row = &c->out;
	return 0;
}

/* Append a text element to an array literal being built ("{a,b}" without the braces). */
static int array_literal_add(struct zs_buf *b, const char *s)
{
	int ret = b->len > 0 ? zs_buf_putc(b, ',') : 0;
	ret = ret != 0 ? ret : zs_buf_putc(b, '"');
	for (; ret == 0 && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			ret = zs_buf_putc(b, '\\');
		}
		ret = ret != 0 ? ret : zs_buf_putc(b, *s);
	}
	return ret != 0 ? ret : zs_buf_putc(b, '"');
}

static int flush_log(struct zs_db_report_cursor *c)
{
	char id[32];
	struct zs_buf lit[4];
	struct zs_buf *src[4] = { &c->log_domains, &c->log_recipients, &c->log_ids, &c->log_rules };
	const char *params[6];
	int ret = 0;

	if (c->log_count == 0) {
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, c->run_id);
	params[0] = id;
	params[1] = zs_buf_cstr(&c->log_kind);
	for (int k = 0; k < 4; k++) {
		zs_buf_init(&lit[k], (1u << 30) + 16);
		ret = ret != 0 ? ret : zs_buf_putc(&lit[k], '{');
		ret = ret != 0 ? ret : zs_buf_append(&lit[k], src[k]->data, src[k]->len);
		ret = ret != 0 ? ret : zs_buf_putc(&lit[k], '}');
		params[2 + k] = zs_buf_cstr(&lit[k]);
	}
	if (ret == 0) {
		PGresult *res = zs__db_query(
		        c->db, "log notices",
		        "INSERT INTO notices (run_id, domain, kind, recipient, message_id, rules) "
		        "SELECT $1::bigint, u.d, $2, u.rc, u.m, coalesce(string_to_array(u.rl, ' '), "
		        "'{}') FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) "
		        "AS u(d, rc, m, rl)",
		        6, params);
		ret = res == NULL ? ZS_ERR_DB : 0;
		PQclear(res);
	} else {
		ret = zs__db_failf(c->db, ZS_ERR_TOOBIG, "%s: log notices: too long", c->db->where);
	}
	for (int k = 0; k < 4; k++) {
		zs_buf_deinit(&lit[k]);
		zs_buf_reset(src[k]);
	}
	c->log_count = 0;
	return ret;
}

int zs_db_report_log_notice(struct zs_db_report_cursor *c, const char *domain, const char *kind,
                            const char *recipient, const char *message_id, const char *const *rules,
                            size_t rule_count)
{
	struct zs_buf joined;
	int ret = 0;

	ZS_REQUIRE((c->flags & ZS_DB_REPORT_NOTICES) != 0);
	if (c->log_count > 0 && strcmp(zs_buf_cstr(&c->log_kind), kind) != 0) {
		ret = flush_log(c); /* one kind per batch */
		if (ret != 0) {
			return ret;
		}
	}
	zs_buf_reset(&c->log_kind);
	ret = zs_buf_puts(&c->log_kind, kind);
	zs_buf_init(&joined, 1024 * 1024);
	for (size_t i = 0; i < rule_count && ret == 0; i++) {
		ret = i > 0 ? zs_buf_putc(&joined, ' ') : 0;
		ret = ret != 0 ? ret : zs_buf_puts(&joined, rules[i]);
	}
	ret = ret != 0 ? ret : array_literal_add(&c->log_domains, domain);
	ret = ret != 0 ? ret : array_literal_add(&c->log_recipients, recipient);
	ret = ret != 0 ? ret : array_literal_add(&c->log_ids, message_id);
	ret = ret != 0 ? ret : array_literal_add(&c->log_rules, zs_buf_cstr(&joined));
	zs_buf_deinit(&joined);
	if (ret != 0) {
		return zs__db_failf(c->db, ZS_ERR_TOOBIG, "%s: log notices: too long",
		                    c->db->where);
	}
	c->log_count++;
	if (c->log_count >= LOG_BATCH) {
		/* between two FETCHes the connection is free: the cursor stays where it was */
		ret = flush_log(c);
	}
	return ret;
}

static void cursor_free(struct zs_db_report_cursor *c)
{
	PQclear(c->res);
	c->db->reader_open = false;
	zs_arena_deinit(&c->arena);
	zs_buf_deinit(&c->log_domains);
	zs_buf_deinit(&c->log_recipients);
	zs_buf_deinit(&c->log_ids);
	zs_buf_deinit(&c->log_rules);
	zs_buf_deinit(&c->log_kind);
	zs_free(c);
}

int zs_db_report_commit(struct zs_db_report_cursor *c)
{
	struct zs_db *db = c->db;
	int ret = flush_log(c);

	if (ret == 0) {
		ret = zs__db_exec(db, "log notices", "COMMIT");
	} else {
		PQclear(PQexec(db->conn, "ROLLBACK"));
	}
	cursor_free(c);
	return ret;
}

void zs_db_report_close(struct zs_db_report_cursor *c)
{
	if (c == NULL) {
		return;
	}
	if (c->sending) {
		/* a stream abandoned early: ask the server to stop, then collect what is left */
		PGcancel *cancel = PQgetCancel(c->db->conn);
		char err[256];
		if (cancel != NULL) {
			(void)PQcancel(cancel, err, sizeof(err));
			PQfreeCancel(cancel);
		}
		PGresult *res = NULL;
		while ((res = PQgetResult(c->db->conn)) != NULL) {
			PQclear(res);
		}
		c->sending = false;
	}
	PQclear(PQexec(c->db->conn, "ROLLBACK"));
	cursor_free(c);
}

/* ---- the summary ------------------------------------------------------------------------ */

static int64_t field_i64(const PGresult *res, int row, int col, int64_t dflt)
{
	int64_t v = 0;
	if (PQgetisnull(res, row, col) || zs__db_parse_i64(PQgetvalue(res, row, col), &v) != 0) {
		return dflt;
	}
	return v;
}

static int load_counts(struct zs_db *db, const char *id, struct zs_db_report_summary *s)
{
	const struct zs_db_run *run = s->run;
	if (run->domains >= 0 && run->compliant >= 0 && run->non_compliant >= 0 &&
	    run->indeterminate >= 0) {
		s->domains = run->domains;
		s->n[ZS_DB_COMPLIANT] = run->compliant;
		s->n[ZS_DB_NON_COMPLIANT] = run->non_compliant;
		s->n[ZS_DB_INDETERMINATE] = run->indeterminate;
		s->warnings = run->warnings >= 0 ? run->warnings : 0;
		return 0;
	}
	/* a running run: count what is stored so far */
	PGresult *res = zs__db_query(db, "count results",
	                             "SELECT status::text, count(*), sum(warnings) FROM results "
	                             "WHERE run_id = $1::bigint GROUP BY 1",
	                             1, &id);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		enum zs_db_status st = ZS_DB_COMPLIANT;
		if (zs_db_status_parse(PQgetvalue(res, i, 0), &st) == 0) {
			s->n[st] = field_i64(res, i, 1, 0);
			s->domains += s->n[st];
			s->warnings += field_i64(res, i, 2, 0);
		}
	}
	PQclear(res);
	return 0;
}

static int load_rules(struct zs_db *db, const char *id, struct zs_db_report_summary *s)
{
	PGresult *res = zs__db_query(db, "rule counts",
	                             "SELECT rule, verdict::text, domains FROM run_rule_counts "
	                             "WHERE run_id = $1::bigint ORDER BY rule, verdict",
	                             1, &id);
	if (res != NULL && PQntuples(res) == 0) {
		/* not finished yet: count the verdicts stored so far */
		PQclear(res);
		res = zs__db_query(db, "rule counts",
		                   "SELECT rule, verdict::text, domains FROM "
		                   "zs_rule_counts($1::bigint) ORDER BY 1, 2",
		                   1, &id);
	}
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int n = PQntuples(res);
	s->rules = zs_calloc((size_t)n + 1, sizeof(*s->rules));
	for (int i = 0; i < n; i++) {
		const char *rule = PQgetvalue(res, i, 0);
		if (s->rule_count == 0 || strcmp(s->rules[s->rule_count - 1].rule, rule) != 0) {
			s->rules[s->rule_count++].rule = zs_strdup(rule);
		}
		enum zs_db_verdict v = ZS_DB_PASS;
		if (zs_db_verdict_parse(PQgetvalue(res, i, 1), &v) == 0) {
			s->rules[s->rule_count - 1].n[v] = field_i64(res, i, 2, 0);
		}
	}
	PQclear(res);
	return 0;
}

static int change_of(const char *name, enum zs_db_change *out)
{
	static const char *const names[ZS_DB_CHANGE_COUNT_] = { "newly non-compliant", "fixed",
		                                                "changed", "new", "removed" };
	for (int i = 0; i < ZS_DB_CHANGE_COUNT_; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (enum zs_db_change)i;
			return 0;
		}
	}
	return ZS_ERR_PARSE;
}

/* The changes as diff_runs() names them, from the transitions a complete run recorded or,
 * for another run, from comparing its results with the previous complete run's (only the
 * domains both have: a partial run says nothing of the others). */
static const char complete_changes_sql[] =
        "WITH c AS (SELECT domain, from_state::text AS a, to_state::text AS b, "
        "CASE WHEN from_state IS NULL OR from_state = 'removed' THEN 'new' "
        "WHEN to_state = 'removed' THEN 'removed' "
        "WHEN to_state = 'non-compliant' THEN 'newly non-compliant' "
        "WHEN from_state = 'non-compliant' AND to_state = 'compliant' THEN 'fixed' "
        "ELSE 'changed' END AS k FROM transitions WHERE run_id = $1::bigint AND $2::bigint > 0) ";
static const char partial_changes_sql[] =
        "WITH c AS (SELECT domain, status_a::text AS a, status_b::text AS b, change AS k "
        "FROM diff_runs($2::bigint, $1::bigint) WHERE status_a IS NOT NULL AND "
        "status_b IS NOT NULL) ";

static int load_changes(struct zs_db *db, const char *id, const struct zs_db_summary_opts *o,
                        struct zs_db_report_summary *s)
{
	char prev[32];
	char max[32];
	const char *params[3] = { id, prev, max };
	struct zs_buf q;
	int64_t prev_id = 0;
	int ret = zs_db_run_previous(db, s->run->id, &prev_id);

	if (ret == ZS_ERR_NOTFOUND) {
		s->changes_known = true; /* nothing to compare with: the first run */
		for (int k = 0; k < ZS_DB_CHANGE_COUNT_; k++) {
			s->changes[k] = -1;
		}
		return 0;
	}
	if (ret != 0) {
		return ret;
	}
	bool complete = s->run->status == ZS_DB_RUN_COMPLETE;
	s->previous_run = prev_id;
	s->changes_known = complete;
	snprintf(prev, sizeof(prev), "%" PRId64, prev_id);
	snprintf(max, sizeof(max), "%zu", o->change_list_max);
	for (int k = 0; k < ZS_DB_CHANGE_COUNT_; k++) {
		s->changes[k] = complete || k < ZS_DB_CHANGE_NEW ? 0 : -1;
	}
	zs_buf_init(&q, 4096);
	(void)zs_buf_puts(&q, complete ? complete_changes_sql : partial_changes_sql);
	(void)zs_buf_puts(&q, "SELECT k, count(*) FROM c GROUP BY k");
	PGresult *res = zs__db_query(db, "changes", zs_buf_cstr(&q), 2, params);
	for (int i = 0; res != NULL && i < PQntuples(res); i++) {
		enum zs_db_change k = ZS_DB_CHANGE_OTHER;
		if (change_of(PQgetvalue(res, i, 0), &k) == 0) {
			s->changes[k] = field_i64(res, i, 1, 0);
		}
	}
	PQclear(res);
	if (res != NULL && o->change_list_max > 0) {
		zs_buf_reset(&q);
		(void)zs_buf_puts(&q, complete ? complete_changes_sql : partial_changes_sql);
		(void)zs_buf_puts(
		        &q,
		        "SELECT k, domain, a, b FROM (SELECT c.*, row_number() OVER "
		        "(PARTITION BY k ORDER BY domain) AS n FROM c) x WHERE "
		        "n <= $3::bigint ORDER BY array_position(ARRAY['newly non-compliant', 'fixed', "
		        "'changed', 'new', 'removed'], k), domain");
		res = zs__db_query(db, "changed domains", zs_buf_cstr(&q), 3, params);
		int n = res != NULL ? PQntuples(res) : 0;
		s->changed = zs_calloc((size_t)n + 1, sizeof(*s->changed));
		for (int i = 0; i < n; i++) {
			struct zs_db_changed_domain *d = &s->changed[s->changed_count];
			if (change_of(PQgetvalue(res, i, 0), &d->change) != 0) {
				continue;
			}
			d->domain = zs_strdup(PQgetvalue(res, i, 1));
			d->from = PQgetisnull(res, i, 2) ? NULL : zs_strdup(PQgetvalue(res, i, 2));
			d->to = zs_strdup(PQgetvalue(res, i, 3));
			s->changed_count++;
		}
		PQclear(res);
	}
	zs_buf_deinit(&q);
	return res == NULL ? ZS_ERR_DB : 0;
}

static int load_dns(struct zs_db *db, const char *id, struct zs_db_report_summary *s)
{
	PGresult *res = zs__db_query(
	        db, "DNS figures",
	        "SELECT d->>'questions', d->>'sent', d->>'answered', d->>'timeouts', "
	        "(SELECT sum(e.value::numeric)::bigint FROM jsonb_each_text(CASE WHEN "
	        "jsonb_typeof(d->'status') = 'object' THEN d->'status' END) e WHERE e.key NOT IN "
	        "('noerror', 'nodata', 'nxdomain') AND e.value ~ '^[0-9]{1,18}$'), d->>'seconds', "
	        "extract(epoch FROM r.finished_at - r.started_at) "
	        "FROM runs r, LATERAL (SELECT CASE WHEN jsonb_typeof(r.dns_counters) = 'object' "
	        "THEN r.dns_counters ELSE '{}' END AS d) x WHERE r.id = $1::bigint",
	        1, &id);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 1) {
		s->dns.questions = field_i64(res, 0, 0, -1);
		s->dns.sent = field_i64(res, 0, 1, -1);
		s->dns.answered = field_i64(res, 0, 2, -1);
		s->dns.timeouts = field_i64(res, 0, 3, -1);
		s->dns.failures = field_i64(res, 0, 4, s->dns.questions >= 0 ? 0 : -1);
		for (int k = 5; k <= 6; k++) {
			double v = -1;
			if (!PQgetisnull(res, 0, k)) {
				char *end = NULL;
				errno = 0;
				v = strtod(PQgetvalue(res, 0, k), &end);
				if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0) {
					v = -1;
				}
			}
			*(k == 5 ? &s->dns.seconds : &s->duration) = v;
		}
	}
	PQclear(res);
	return 0;
}

static int load_trend(struct zs_db *db, const char *id, const struct zs_db_summary_opts *o,
                      struct zs_db_report_summary *s)
{
	char a[32];
	char b[32];
	const char *params[3] = { id, a, b };
	PGresult *res = NULL;

	if (o->trend_to > 0) {
		snprintf(a, sizeof(a), "%" PRId64, o->trend_from);
		snprintf(b, sizeof(b), "%" PRId64, o->trend_to);
		res = zs__db_query(
		        db, "trend",
		        "SELECT p.id, extract(epoch FROM p.started_at)::bigint, p.status::text, "
		        "p.domains, p.compliant, p.non_compliant, p.indeterminate FROM runs r JOIN "
		        "runs p ON p.tld_id = r.tld_id WHERE r.id = $1::bigint AND p.id < r.id AND "
		        "p.status = 'complete' AND p.started_at >= to_timestamp($2::bigint) AND "
		        "p.started_at < to_timestamp($3::bigint) ORDER BY p.id",
		        3, params);
	} else {
		snprintf(a, sizeof(a), "%d", o->trend_runs > 1 ? o->trend_runs - 1 : 0);
		res = zs__db_query(
		        db, "trend",
		        "SELECT * FROM (SELECT p.id, extract(epoch FROM p.started_at)::bigint, "
		        "p.status::text, p.domains, p.compliant, p.non_compliant, p.indeterminate "
		        "FROM runs r JOIN runs p ON p.tld_id = r.tld_id WHERE r.id = $1::bigint AND "
		        "p.id < r.id AND p.status = 'complete' ORDER BY p.id DESC LIMIT $2::bigint) "
		        "x ORDER BY 1",
		        2, params);
	}
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int n = PQntuples(res);
	s->trend = zs_calloc((size_t)n + 1, sizeof(*s->trend));
	for (int i = 0; i < n; i++) {
		struct zs_db_trend_point *t = &s->trend[s->trend_count];
		t->run_id = field_i64(res, i, 0, 0);
		t->started_at = field_i64(res, i, 1, 0);
		if (zs_db_run_status_parse(PQgetvalue(res, i, 2), &t->status) != 0) {
			continue;
		}
		t->domains = field_i64(res, i, 3, 0);
		for (int k = 0; k < ZS_DB_STATUS_COUNT_; k++) {
			t->n[k] = field_i64(res, i, 4 + k, 0);
		}
		s->trend_count++;
	}
	PQclear(res);
	struct zs_db_trend_point *self = &s->trend[s->trend_count++];
	self->run_id = s->run->id;
	self->started_at = s->run->started_at;
	self->status = s->run->status;
	self->domains = s->domains;
	memcpy(self->n, s->n, sizeof(self->n));
	return 0;
}

int zs_db_report_summary_load(struct zs_db *db, int64_t run_id,
                              const struct zs_db_summary_opts *opts,
                              struct zs_db_report_summary **out)
{
	char id[32];
	struct zs_db_report_summary *s = zs_calloc(1, sizeof(*s));
	int ret = zs__db_ensure(db);

	if (ret == 0) {
		ret = zs_db_run_get(db, run_id, &s->run);
	}
	if (ret != 0) {
		zs_free(s);
		return ret;
	}
	snprintf(id, sizeof(id), "%" PRId64, run_id);
	ret = load_counts(db, id, s);
	ret = ret != 0 ? ret : load_rules(db, id, s);
	ret = ret != 0 ? ret : load_changes(db, id, opts, s);
	ret = ret != 0 ? ret : load_dns(db, id, s);
	ret = ret != 0 ? ret : load_trend(db, id, opts, s);
	if (ret != 0) {
		zs_db_report_summary_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void zs_db_report_summary_free(struct zs_db_report_summary *s)
{
	if (s == NULL) {
		return;
	}
	zs_db_run_free(s->run);
	for (size_t i = 0; i < s->rule_count; i++) {
		zs_free(s->rules[i].rule);
	}
	zs_free(s->rules);
	for (size_t i = 0; i < s->changed_count; i++) {
		zs_free(s->changed[i].domain);
		zs_free(s->changed[i].from);
		zs_free(s->changed[i].to);
	}
	zs_free(s->changed);
	zs_free(s->trend);
	zs_free(s);
}

/* ---- periods and domains ---------------------------------------------------------------- */

int zs_db_report_period_runs(struct zs_db *db, const char *tld, int64_t from, int64_t to,
                             struct zs_db_period_run **out, size_t *count)
{
	char a[32];
	char b[32];
	const char *params[3] = { a, b, tld };
	int ret = zs__db_ensure(db);

	if (ret != 0) {
		return ret;
	}
	snprintf(a, sizeof(a), "%" PRId64, from);
	snprintf(b, sizeof(b), "%" PRId64, to);
	PGresult *res = zs__db_query(
	        db, "runs of the period",
	        "SELECT DISTINCT ON (t.name) t.name, r.id FROM runs r JOIN tlds t ON t.id = "
	        "r.tld_id WHERE r.status = 'complete' AND r.started_at >= to_timestamp($1::bigint) "
	        "AND r.started_at < to_timestamp($2::bigint) AND ($3::text IS NULL OR t.name = $3) "
	        "ORDER BY t.name, r.id DESC",
	        3, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int n = PQntuples(res);
	struct zs_db_period_run *runs = n > 0 ? zs_calloc((size_t)n, sizeof(*runs)) : NULL;
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (PQgetlength(res, i, 0) >= (int)sizeof(runs[k].tld)) {
			continue; /* a TLD longer than a TLD can be */
		}
		snprintf(runs[k].tld, sizeof(runs[k].tld), "%s", PQgetvalue(res, i, 0));
		runs[k].run_id = field_i64(res, i, 1, 0);
		k++;
	}
	PQclear(res);
	*out = runs;
	*count = k;
	return 0;
}

int zs_db_report_domain_run(struct zs_db *db, const char *domain, int64_t *run_id)
{
	const char *param = domain;
	int ret = zs__db_ensure(db);

	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(db, "find the domain",
	                             "SELECT r.id FROM runs r WHERE EXISTS (SELECT 1 FROM results "
	                             "x WHERE x.run_id = r.id AND x.domain = $1) ORDER BY r.id "
	                             "DESC LIMIT 1",
	                             1, &param);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run has a result for %s",
		                    db->where, domain);
	}
	*run_id = field_i64(res, 0, 0, 0);
	PQclear(res);
	return 0;
}
