/* SPDX-License-Identifier: MIT */
/*
 * Listings, the registry's data, the notice log and pruning. Listings stream through a cursor
 * (a diff of two million-domain runs never sits in memory) and are printed in one of three
 * formats by one printer, which decides per column type how a value is written: numbers bare,
 * text escaped for the terminal, quoted and neutralised against formula injection in CSV, and
 * JSON-escaped in JSON Lines. Imports read the whole file first, validating every line (so an
 * error names its file:line), COPY it into a temporary table and merge it in one transaction:
 * a file is imported completely or not at all.
 */
#include "db/admin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_int.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/hostname.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"

enum {
	FETCH_ROWS = 1000,
	FIELD_MAX = 64 * 1024,   /* one CSV field or printed cell */
	IMPORT_MAX = 256u << 20, /* the COPY text of one import */
	IMPORT_ERRORS_SHOWN = 1, /* the first invalid line is named */
};

/* PostgreSQL type oids the printer treats specially (pg_type.dat). */
enum {
	OID_BOOL = 16,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700,
	OID_JSONB = 3802,
};

int zs_db_format_parse(const char *name, enum zs_db_format *out)
{
	static const char *const names[] = { "text", "csv", "json" };
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum zs_db_format)i;
			return 0;
		}
	}
	return ZS_ERR_USAGE;
}

int zs_db_open_checked(const char *conninfo, struct zs_db **out)
{
	struct zs_db *db = NULL;
	int ret = zs_db_open(conninfo, &db);
	if (ret != 0) {
		return ret;
	}
	ret = zs_db_check_schema(db);
	if (ret != 0) {
		/* Keep the message for the caller after the connection is gone. */
		char msg[ZS__DB_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", zs_db_error(db));
		zs_db_close(db);
		zs__db_set_open_error(msg);
		return ret;
	}
	*out = db;
	return 0;
}

int zs_db_domain_normalize(const char *in, char *buf, size_t len)
{
	size_t n = strlen(in);
	if (n > 0 && in[n - 1] == '.') {
		n--;
	}
	if (n == 0 || n >= len || n > 1024 || !zs__db_text_ok(in, n)) {
		return ZS_ERR_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c == 0x7f || c == ',' || c == '"') {
			return ZS_ERR_USAGE;
		}
		buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	buf[n] = '\0';
	return buf[0] == '.' ? ZS_ERR_USAGE : 0;
}

/* Why a registered domain is refused: the registry's data names domains as the zone reader
 * stores them, host names below a TLD. */
#define REGISTERED_NAME \
	"(labels of 1 to 63 letters, digits and hyphens, at least two, 253 bytes at most)"

/* Normalise a name; true when it is a registered domain's. */
static bool registered_name(const char *in, char *name, size_t len)
{
	return zs_db_domain_normalize(in, name, len) == 0 &&
	       zs_host_name_valid(name, strlen(name)) && strchr(name, '.') != NULL;
}

/* ---- the printer ---- */

struct printer {
	enum zs_db_format fmt;
	FILE *out;
	int ncols;
	int *width;  /**< text: column widths, from the header and the first fetch */
	bool header; /**< printed */
	int64_t rows;
	struct zs_buf cell;
};

static bool is_number(Oid t)
{
	return t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || t == OID_NUMERIC ||
	       t == OID_FLOAT4 || t == OID_FLOAT8;
}

/* Characters on a terminal (UTF-8 sequences count once). */
static int display_width(const char *s)
{
	int w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		w += (*p & 0xc0) != 0x80;
	}
	return w;
}

/* A value as shown on a terminal: control bytes and backslashes escaped. */
static const char *text_cell(struct printer *pr, const char *v)
{
	size_t n = strlen(v);
	if (zs_data_is_plain(v, n)) {
		return v;
	}
	zs_buf_reset(&pr->cell);
	if (zs_escape_data(&pr->cell, v, n) != 0) {
		return "(too long)";
	}
	return zs_buf_cstr(&pr->cell);
}

static void csv_cell(struct printer *pr, const char *v, bool number)
{
	/* A spreadsheet evaluates cells starting with these: make them plain text. */
	bool neutralise = !number && strchr("=+-@\t\r", v[0]) != NULL && v[0] != '\0';
	bool quote = neutralise || v[strcspn(v, ",\"\r\n")] != '\0' || v[0] == ' ';
	if (quote) {
		fputc('"', pr->out);
	}
	if (neutralise) {
		fputc('\'', pr->out);
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"') {
			fputc('"', pr->out);
		}
		fputc(*p, pr->out);
	}
	if (quote) {
		fputc('"', pr->out);
	}
}

static void print_text_row(struct printer *pr, const char *const *cells, const bool *right)
{
	for (int c = 0; c < pr->ncols; c++) {
		const char *v = cells[c];
		int pad = pr->width[c] - display_width(v);
		bool last = c == pr->ncols - 1;
		if (right != NULL && right[c]) {
			fprintf(pr->out, "%*s%s", pad > 0 ? pad : 0, "", v);
		} else {
			fprintf(pr->out, "%s%*s", v, last || pad < 0 ? 0 : pad, "");
		}
		fputs(last ? "\n" : "  ", pr->out);
	}
}

static void print_header(struct printer *pr, const PGresult *res)
{
	pr->ncols = PQnfields(res);
	pr->width = zs_calloc((size_t)pr->ncols + 1, sizeof(*pr->width));
	const char **names = zs_calloc((size_t)pr->ncols + 1, sizeof(*names));
	for (int c = 0; c < pr->ncols; c++) {
		names[c] = PQfname(res, c);
		pr->width[c] = display_width(names[c]);
		for (int r = 0; r < PQntuples(res); r++) {
			int w = display_width(text_cell(pr, PQgetvalue(res, r, c)));
			pr->width[c] = w > pr->width[c] ? w : pr->width[c];
		}
	}
	if (pr->fmt == ZS_DB_FORMAT_TEXT) {
		print_text_row(pr, names, NULL);
	} else if (pr->fmt == ZS_DB_FORMAT_CSV) {
		for (int c = 0; c < pr->ncols; c++) {
			if (c > 0) {
				fputc(',', pr->out);
			}
			csv_cell(pr, names[c], false);
		}
		fputs("\r\n", pr->out);
	}
	zs_free(names);
	pr->header = true;
}

static void print_json_row(struct printer *pr, const PGresult *res, int r)
{
	struct zs_buf line;
	struct zs_json j;
	zs_buf_init(&line, IMPORT_MAX);
	zs_json_init(&j, &line);
	zs_json_obj_begin(&j);
	for (int c = 0; c < pr->ncols; c++) {
		zs_json_key(&j, PQfname(res, c));
		const char *v = PQgetvalue(res, r, c);
		Oid t = PQftype(res, c);
		if (PQgetisnull(res, r, c)) {
			zs_json_null(&j);
		} else if (is_number(t) || t == OID_JSON || t == OID_JSONB) {
			zs_json_raw(&j, v);
		} else if (t == OID_BOOL) {
			zs_json_bool(&j, v[0] == 't');
		} else {
			zs_json_str(&j, v);
		}
	}
	zs_json_obj_end(&j);
	if (zs_json_error(&j) == 0) {
		fprintf(pr->out, "%s\n", zs_buf_cstr(&line));
	}
	zs_buf_deinit(&line);
}

static void print_rows(struct printer *pr, const PGresult *res)
{
	if (!pr->header) {
		print_header(pr, res);
	}
	int n = PQntuples(res);
	const char **cells = zs_calloc((size_t)pr->ncols + 1, sizeof(*cells));
	bool *right = zs_calloc((size_t)pr->ncols + 1, sizeof(*right));
	struct zs_buf *copies = zs_calloc((size_t)pr->ncols + 1, sizeof(*copies));
	for (int c = 0; c < pr->ncols; c++) {
		right[c] = is_number(PQftype(res, c));
		zs_buf_init(&copies[c], FIELD_MAX * 4);
	}
	for (int r = 0; r < n; r++) {
		pr->rows++;
		if (pr->fmt == ZS_DB_FORMAT_JSON) {
			print_json_row(pr, res, r);
			continue;
		}
		for (int c = 0; c < pr->ncols; c++) {
			const char *v = PQgetvalue(res, r, c);
			if (pr->fmt == ZS_DB_FORMAT_CSV) {
				if (c > 0) {
					fputc(',', pr->out);
				}
				csv_cell(pr, v, right[c]);
				continue;
			}
			zs_buf_reset(&copies[c]);
			(void)zs_buf_puts(&copies[c], text_cell(pr, v));
			cells[c] = zs_buf_cstr(&copies[c]);
		}
		if (pr->fmt == ZS_DB_FORMAT_CSV) {
			fputs("\r\n", pr->out);
		} else {
			print_text_row(pr, cells, right);
		}
	}
	for (int c = 0; c < pr->ncols; c++) {
		zs_buf_deinit(&copies[c]);
	}
	zs_free(copies);
	zs_free(right);
	zs_free(cells);
}

/** Called for each printed row (e.g. to count); may be NULL. */
typedef void (*row_cb)(const PGresult *res, int row, void *arg);

/* Stream a query through a cursor into the printer. */
static int print_query(struct zs_db *db, const char *what, const char *sql, int nparams,
                       const char *const *params, enum zs_db_format fmt, FILE *out, row_cb each,
                       void *arg)
{
	struct printer pr = { .fmt = fmt, .out = out };
	struct zs_buf declare;
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	zs_buf_init(&declare, 64 * 1024);
	zs_buf_init(&pr.cell, FIELD_MAX * 4);
	(void)zs_buf_puts(&declare, "DECLARE zs_print NO SCROLL CURSOR FOR ");
	(void)zs_buf_puts(&declare, sql);
	ret = zs__db_exec(db, what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (ret != 0) {
		goto out;
	}
	PGresult *res = zs__db_query(db, what, zs_buf_cstr(&declare), nparams, params);
	if (res == NULL) {
		ret = ZS_ERR_DB;
		goto out;
	}
	PQclear(res);
	for (;;) {
		res = zs__db_query(db, what, "FETCH 1000 FROM zs_print", 0, NULL);
		if (res == NULL) {
			ret = ZS_ERR_DB;
			break;
		}
		int n = PQntuples(res);
		if (n > 0 || !pr.header) {
			print_rows(&pr, res);
		}
		for (int r = 0; r < n && each != NULL; r++) {
			each(res, r, arg);
		}
		PQclear(res);
		if (n < FETCH_ROWS) {
			break;
		}
	}
out:
	PQclear(PQexec(db->conn, "ROLLBACK"));
	fflush(out);
	zs_free(pr.width);
	zs_buf_deinit(&pr.cell);
	zs_buf_deinit(&declare);
	return ret;
}

/* ---- listings ---- */

int zs_db_print_runs(struct zs_db *db, const char *tld, int limit, enum zs_db_format fmt, FILE *out)
{
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", limit > 0 ? limit : 1);
	const char *params[2] = { tld, lim };
	return print_query(
	        db, "list runs",
	        "SELECT run_id AS run, tld, policy || ' ' || policy_version AS policy, status, "
	        "to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started, "
	        "coalesce(to_char(duration, 'HH24:MI:SS'), '') AS duration, domains, compliant, "
	        "non_compliant, indeterminate, warnings, quarantined, "
	        "CASE WHEN zone_complete THEN 'yes' ELSE 'no' END AS zone_complete, "
	        "CASE WHEN pruned_at IS NULL THEN '' ELSE 'pruned' END AS pruned, "
	        "CASE WHEN withdrawn_at IS NULL THEN '' ELSE concat('withdrawn ', "
	        "to_char(withdrawn_at, 'YYYY-MM-DD HH24:MI'), ' by ', withdrawn_by, ' (was ', "
	        "withdrawn_status, '): ', withdrawn_why) END AS note "
	        "FROM v_runs WHERE ($1::text IS NULL OR tld = $1) ORDER BY run_id DESC "
	        "LIMIT $2::int",
	        2, params, fmt, out, NULL, NULL);
}

/* The text header of `history`: what the domain is now. */
static int print_domain_state(struct zs_db *db, const char *domain, FILE *out)
{
	PGresult *res = zs__db_query(
	        db, "read domain",
	        "SELECT domain, tld, first_seen_run, to_char(first_seen_at, 'YYYY-MM-DD'), "
	        "state, since_run, to_char(since_at, 'YYYY-MM-DD'), "
	        "coalesce(removed_run::text, ''), coalesce(contact, '') "
	        "FROM v_current_compliance WHERE domain = $1",
	        1, &domain);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 1) {
		fprintf(out, "domain %s (TLD %s), first seen in run %s (%s)\n",
		        PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
		        PQgetvalue(res, 0, 3));
		fprintf(out, "current state: %s since run %s (%s)", PQgetvalue(res, 0, 4),
		        PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6));
		if (PQgetvalue(res, 0, 7)[0] != '\0') {
			fprintf(out, ", removed from the zone in run %s", PQgetvalue(res, 0, 7));
		}
		fprintf(out, "\ncontact: %s\n\n",
		        PQgetvalue(res, 0, 8)[0] != '\0' ? PQgetvalue(res, 0, 8) : "(none)");
	}
	PQclear(res);
	return 0;
}

static void count_row(const PGresult *res, int row, void *arg)
{
	(void)res;
	(void)row;
	(*(int64_t *)arg)++;
}

int zs_db_print_history(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out)
{
	int64_t rows = 0;
	int ret = zs__db_ensure(db);
	if (ret == 0 && fmt == ZS_DB_FORMAT_TEXT) {
		ret = print_domain_state(db, domain, out);
	}
	if (ret != 0) {
		return ret;
	}
	/* Views only (officers may run this); one probe per run on the primary keys: runs are
	 * few, results many. */
	ret = print_query(
	        db, "read history",
	        "SELECT ru.run_id AS run, to_char(ru.started_at, 'YYYY-MM-DD HH24:MI') AS started, "
	        "ru.status::text AS run_status, "
	        "coalesce(h.status::text, tr.to_state::text, '') AS status, "
	        "CASE WHEN tr.domain IS NULL THEN '' WHEN tr.from_state IS NULL THEN 'first seen' "
	        "ELSE tr.from_state::text || ' -> ' || tr.to_state::text END AS change, "
	        "h.warnings, coalesce(h.mail::text, '') AS mail, "
	        "CASE WHEN h.domain IS NULL THEN '(pruned)' ELSE concat_ws(' ', "
	        "'fail:' || array_to_string(h.failing_rules, ','), "
	        "'error:' || array_to_string(h.error_rules, ','), "
	        "'warn:' || array_to_string(h.warning_rules, ',')) END AS findings "
	        "FROM v_runs ru "
	        "LEFT JOIN v_domain_history h ON h.run_id = ru.run_id AND h.domain = $1 "
	        "LEFT JOIN v_status_changes tr ON tr.run_id = ru.run_id AND tr.domain = $1 "
	        "WHERE (h.domain IS NOT NULL OR tr.domain IS NOT NULL) "
	        "AND ru.status <> 'withdrawn' ORDER BY ru.run_id",
	        1, &domain, fmt, out, count_row, &rows);
	if (ret == 0 && rows == 0) {
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no history for %s", db->where,
		                    domain);
	}
	return ret;
}

static void count_change(const PGresult *res, int row, void *arg)
{
	struct zs_db_diff_counts *c = arg;
	const char *change = PQgetvalue(res, row, 3);
	if (strcmp(change, "new") == 0) {
		c->added++;
	} else if (strcmp(change, "removed") == 0) {
		c->removed++;
	} else if (strcmp(change, "newly non-compliant") == 0) {
		c->newly_non_compliant++;
	} else if (strcmp(change, "fixed") == 0) {
		c->fixed++;
	} else {
		c->changed++;
	}
}

int zs_db_print_diff(struct zs_db *db, int64_t run_a, int64_t run_b, enum zs_db_format fmt,
                     FILE *out, struct zs_db_diff_counts *counts)
{
	struct zs_db_diff_counts c = { 0 };
	char a[24];
	char b[24];
	const char *params[2] = { a, b };

	snprintf(a, sizeof(a), "%" PRId64, run_a);
	snprintf(b, sizeof(b), "%" PRId64, run_b);
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(
	        db, "compare runs",
	        "SELECT count(*) FROM v_runs WHERE run_id IN ($1::bigint, $2::bigint)", 2, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int64_t found = 0;
	(void)zs__db_parse_i64(PQgetvalue(res, 0, 0), &found);
	PQclear(res);
	if (found != (run_a == run_b ? 1 : 2)) {
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "%s: no run %s or %s", db->where, a, b);
	}
	ret = print_query(db, "compare runs",
	                  "SELECT domain, status_a::text AS "
	                  "\"status in A\", "
	                  "status_b::text AS \"status in B\", change "
	                  "FROM diff_runs($1::bigint, $2::bigint)",
	                  2, params, fmt, out, count_change, &c);
	if (ret == 0 && counts != NULL) {
		*counts = c;
	}
	return ret;
}

int zs_db_print_contacts(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out)
{
	return print_query(db, "list contacts",
	                   "SELECT domain, email, name, organisation, source, "
	                   "to_char(imported_at, 'YYYY-MM-DD HH24:MI') AS imported FROM v_contacts "
	                   "WHERE ($1::text IS NULL OR domain = $1) ORDER BY domain",
	                   1, &domain, fmt, out, NULL, NULL);
}

int zs_db_print_selectors(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out)
{
	return print_query(db, "list selectors",
	                   "SELECT domain, selector, source, "
	                   "to_char(imported_at, 'YYYY-MM-DD HH24:MI') AS imported "
	                   "FROM v_selectors WHERE ($1::text IS NULL OR domain = $1) "
	                   "ORDER BY domain, selector",
	                   1, &domain, fmt, out, NULL, NULL);
}

int zs_db_print_exemptions(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out)
{
	return print_query(db, "list exemptions",
	                   "SELECT id, domain, rule, to_char(until, 'YYYY-MM-DD') AS until, "
	                   "CASE WHEN active THEN 'active' WHEN revoked_at IS NOT NULL "
	                   "THEN 'revoked' ELSE 'expired' END AS state, why, created_by, "
	                   "coalesce(revoked_by, '') AS revoked_by "
	                   "FROM v_exemptions WHERE ($1::text IS NULL OR domain = $1) "
	                   "ORDER BY domain, rule, id",
	                   1, &domain, fmt, out, NULL, NULL);
}

int zs_db_print_attestations(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out)
{
	return print_query(db, "list attestations",
	                   "SELECT id, domain, item, status, "
	                   "to_char(attested_on, 'YYYY-MM-DD') AS attested_on, attested_by, ref "
	                   "FROM v_attestations WHERE ($1::text IS NULL OR domain = $1) "
	                   "ORDER BY domain, item",
	                   1, &domain, fmt, out, NULL, NULL);
}

/* ---- imports ---- */

/* A CSV reader (RFC 4180; CRLF or LF; quoted fields may span lines). */
struct csv {
	FILE *in;
	const char *name;
	long line;      /**< line where the current record starts */
	long next_line; /**< line of the next character */
	size_t nfields;
	struct zs_buf fields[16];
	bool eof;
};

/* Read one record. @return 0, ZS_ERR_EOF, or ZS_ERR_PARSE (message in @p err) */
static int csv_next(struct csv *c, char *err, size_t err_len)
{
	bool quoted = false;
	bool was_quoted = false;
	int ch = 0;

	if (c->eof) {
		return ZS_ERR_EOF;
	}
	c->line = c->next_line;
	c->nfields = 1;
	zs_buf_reset(&c->fields[0]);
	for (;;) {
		ch = getc(c->in);
		if (ch == EOF) {
			c->eof = true;
			if (quoted) {
				snprintf(err, err_len, "%s:%ld: unterminated quoted field", c->name,
				         c->line);
				return ZS_ERR_PARSE;
			}
			if (c->nfields == 1 && c->fields[0].len == 0 && !was_quoted) {
				return ZS_ERR_EOF;
			}
			return 0;
		}
		if (ch == '\n') {
			c->next_line++;
		}
		struct zs_buf *f = &c->fields[c->nfields - 1];
		if (quoted) {
			if (ch == '"') {
				int next = getc(c->in);
				if (next == '"') {
					ch = '"';
				} else {
					if (next != EOF) {
						ungetc(next, c->in);
					}
					quoted = false;
					continue;
				}
			}
		} else if (ch == '"' && f->len == 0 && !was_quoted) {
			quoted = true;
			was_quoted = true;
			continue;
		} else if (ch == ',') {
			if (c->nfields == sizeof(c->fields) / sizeof(c->fields[0])) {
				snprintf(err, err_len, "%s:%ld: too many columns", c->name,
				         c->line);
				return ZS_ERR_PARSE;
			}
			zs_buf_reset(&c->fields[c->nfields++]);
			was_quoted = false;
			continue;
		} else if (ch == '\r') {
			continue;
		} else if (ch == '\n') {
			return 0;
		}
		if (zs_buf_putc(f, (char)ch) != 0) {
			snprintf(err, err_len, "%s:%ld: field too long", c->name, c->line);
			return ZS_ERR_PARSE;
		}
	}
}

static const char *csv_field(struct csv *c, int col)
{
	return col >= 0 && (size_t)col < c->nfields ? zs_buf_cstr(&c->fields[col]) : "";
}

/* Append a COPY text field (valid UTF-8 checked by the caller). */
static int copy_field(struct zs_buf *b, const char *s, bool last)
{
	bool escaped = false;
	int ret = zs__db_copy_text(b, s, strlen(s), &escaped);
	return ret != 0 ? ret : zs_buf_putc(b, last ? '\n' : '\t');
}

static bool email_valid(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n == 0 || n > 254 || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || !zs__db_text_ok(s, n)) {
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || strchr("<>\",;", *p) != NULL) {
			return false;
		}
	}
	return true;
}

static bool label_text_valid(const char *s)
{
	size_t n = strlen(s);
	if (!zs__db_text_ok(s, n)) {
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < ' ' || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

/* Run the merge statements of an import, after its rows were COPYed into @p stage_sql's
 * table, all in the caller's transaction. */
static int copy_rows(struct zs_db *db, const char *what, const char *copy_sql,
                     const struct zs_buf *rows)
{
	PGresult *res = PQexec(db->conn, copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		int ret = zs__db_fail(db, what, res);
		PQclear(res);
		return ret;
	}
	PQclear(res);
	int ok = rows->len == 0 || PQputCopyData(db->conn, rows->data, (int)rows->len) == 1;
	ok = PQputCopyEnd(db->conn, ok ? NULL : "client error") == 1 && ok;
	int ret = 0;
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ret == 0) {
			ret = zs__db_fail(db, what, res);
		}
		PQclear(res);
	}
	return ret != 0 ? ret : ok ? 0 : zs__db_fail(db, what, NULL);
}

/* A duplicate key in the staged rows, named by file:line. */
static int check_duplicates(struct zs_db *db, const char *name, const char *sql)
{
	PGresult *res = zs__db_query(db, "check import", sql, 0, NULL);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int ret = 0;
	if (PQntuples(res) > 0) {
		ret = zs__db_failf(db, ZS_ERR_PARSE, "%s:%s: %s is already on line %s", name,
		                   PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0),
		                   PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return ret;
}

static int64_t cmd_tuples(const PGresult *res)
{
	int64_t n = 0;
	(void)zs__db_parse_i64(PQcmdTuples((PGresult *)res), &n);
	return n;
}

/* Run the statements of an import in one transaction: staging table, COPY, checks, merge. */
struct import_plan {
	const char *what;
	const char *create_sql;
	const char *copy_sql;
	const char *duplicates_sql;
	const char *replace_sql; /**< NULL when not replacing */
	const char *merge_sql;   /**< with $1 = source */
};

static int run_import(struct zs_db *db, const char *name, const struct import_plan *p,
                      const struct zs_buf *rows, const char *source, struct zs_db_import_stats *st)
{
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	ret = zs__db_exec(db, p->what, "BEGIN");
	ret = ret != 0 ? ret : zs__db_exec(db, p->what, p->create_sql);
	ret = ret != 0 ? ret : copy_rows(db, p->what, p->copy_sql, rows);
	ret = ret != 0 ? ret : check_duplicates(db, name, p->duplicates_sql);
	if (ret == 0 && p->replace_sql != NULL) {
		PGresult *res = zs__db_query(db, p->what, p->replace_sql, 0, NULL);
		ret = res == NULL ? ZS_ERR_DB : 0;
		st->replaced = res != NULL ? cmd_tuples(res) : 0;
		PQclear(res);
	}
	if (ret == 0) {
		PGresult *res = zs__db_query(db, p->what, p->merge_sql, 1, &source);
		ret = res == NULL ? ZS_ERR_DB : 0;
		st->stored = res != NULL ? cmd_tuples(res) : 0;
		PQclear(res);
	}
	ret = ret != 0 ? ret : zs__db_exec(db, p->what, "COMMIT");
	if (ret != 0) {
		PQclear(PQexec(db->conn, "ROLLBACK"));
	}
	return ret;
}

static void csv_init(struct csv *c, FILE *in, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	c->name = name;
	c->next_line = 1;
	for (size_t i = 0; i < sizeof(c->fields) / sizeof(c->fields[0]); i++) {
		zs_buf_init(&c->fields[i], FIELD_MAX);
	}
}

static void csv_deinit(struct csv *c)
{
	for (size_t i = 0; i < sizeof(c->fields) / sizeof(c->fields[0]); i++) {
		zs_buf_deinit(&c->fields[i]);
	}
}

int zs_db_contacts_import(struct zs_db *db, FILE *in, const char *name, const char *source,
                          bool replace, struct zs_db_import_stats *stats)
{
	struct zs_db_import_stats st = { 0 };
	struct csv c;
	struct zs_buf rows;
	char err[ZS__DB_MSG_MAX];
	char domain[1100];
	int col_domain = -1, col_email = -1, col_name = -1, col_org = -1;
	int ret = 0;

	csv_init(&c, in, name);
	zs_buf_init(&rows, IMPORT_MAX);
	ret = csv_next(&c, err, sizeof(err));
	if (ret == ZS_ERR_EOF) {
		ret = zs__db_failf(db, ZS_ERR_PARSE, "%s: empty file (a header line is needed)",
		                   name);
		goto out;
	}
	if (ret != 0) {
		ret = zs__db_failf(db, ret, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < c.nfields; i++) {
		char h[64];
		const char *f = csv_field(&c, (int)i);
		if (i == 0 && strncmp(f, "\xef\xbb\xbf", 3) == 0) {
			f += 3; /* a byte order mark from a spreadsheet */
		}
		size_t k = 0;
		for (; f[k] != '\0' && k + 1 < sizeof(h); k++) {
			h[k] = (char)(f[k] >= 'A' && f[k] <= 'Z' ? f[k] + ('a' - 'A') : f[k]);
		}
		h[k] = '\0';
		int *col = strcmp(h, "domain") == 0         ? &col_domain
		           : strcmp(h, "email") == 0        ? &col_email
		           : strcmp(h, "name") == 0         ? &col_name
		           : strcmp(h, "organisation") == 0 ? &col_org
		           : strcmp(h, "organization") == 0 ? &col_org
		                                            : NULL;
		if (col != NULL) {
			*col = (int)i;
		}
	}
	if (col_domain < 0 || col_email < 0) {
		ret = zs__db_failf(db, ZS_ERR_PARSE,
		                   "%s:1: the header needs the columns domain and email", name);
		goto out;
	}
	while ((ret = csv_next(&c, err, sizeof(err))) == 0) {
		if (c.nfields == 1 && c.fields[0].len == 0) {
			continue; /* blank line */
		}
		st.rows++;
		const char *email = csv_field(&c, col_email);
		const char *who = csv_field(&c, col_name);
		const char *org = csv_field(&c, col_org);
		if (!registered_name(csv_field(&c, col_domain), domain, sizeof(domain))) {
			ret = zs__db_failf(db, ZS_ERR_PARSE,
			                   "%s:%ld: invalid domain '%s' " REGISTERED_NAME, name,
			                   c.line, csv_field(&c, col_domain));
			goto out;
		}
		if (!email_valid(email)) {
			ret = zs__db_failf(db, ZS_ERR_PARSE,
			                   "%s:%ld: invalid e-mail address for %s", name, c.line,
			                   domain);
			goto out;
		}
		if (!label_text_valid(who) || !label_text_valid(org)) {
			ret = zs__db_failf(db, ZS_ERR_PARSE,
			                   "%s:%ld: name or organisation of %s holds control "
			                   "characters or invalid UTF-8",
			                   name, c.line, domain);
			goto out;
		}
		char num[24];
		char line[24];
		snprintf(num, sizeof(num), "%" PRId64, st.rows);
		snprintf(line, sizeof(line), "%ld", c.line);
		if (copy_field(&rows, num, false) != 0 || copy_field(&rows, line, false) != 0 ||
		    copy_field(&rows, domain, false) != 0 || copy_field(&rows, email, false) != 0 ||
		    copy_field(&rows, who, false) != 0 || copy_field(&rows, org, true) != 0) {
			ret = zs__db_failf(db, ZS_ERR_TOOBIG, "%s: file too large", name);
			goto out;
		}
	}
	if (ret != ZS_ERR_EOF) {
		ret = zs__db_failf(db, ret, "%s", err);
		goto out;
	}
	struct import_plan plan = {
		.what = "import contacts",
		.create_sql =
		        "CREATE TEMP TABLE zs_import (n int, line int, domain text COLLATE \"C\", "
		        "email text, name text, organisation text) ON COMMIT DROP",
		.copy_sql = "COPY zs_import FROM STDIN",
		.duplicates_sql =
		        "SELECT a.domain, a.line, b.line FROM zs_import a JOIN zs_import b "
		        "ON a.domain = b.domain AND a.n < b.n ORDER BY b.n LIMIT 1",
		.replace_sql = replace ? "DELETE FROM contacts WHERE domain NOT IN "
		                         "(SELECT domain FROM zs_import)"
		                       : NULL,
		.merge_sql = "INSERT INTO contacts (domain, email, name, organisation, source) "
		             "SELECT domain, email, name, organisation, $1 FROM zs_import "
		             "ON CONFLICT (domain) DO UPDATE SET email = excluded.email, "
		             "name = excluded.name, organisation = excluded.organisation, "
		             "source = excluded.source, imported_at = now()",
	};
	ret = run_import(db, name, &plan, &rows, source, &st);
out:
	csv_deinit(&c);
	zs_buf_deinit(&rows);
	if (ret == 0 && stats != NULL) {
		*stats = st;
	}
	return ret;
}

static bool selector_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '.' || s[n - 1] == '.' || strstr(s, "..") != NULL) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool edge = i == 0 || s[i - 1] == '.' || i + 1 == n || s[i + 1] == '.';
		if (ch == '-' && edge) {
			return false;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-' || ch == '.')) {
			return false;
		}
	}
	return true;
}

/* The next field of a line (separated by spaces, tabs or commas), cut in place; NULL at the
 * end. */
static char *next_token(char **pos)
{
	static const char sep[] = " \t\r\n,";
	char *p = *pos + strspn(*pos, sep);
	if (*p == '\0') {
		*pos = p;
		return NULL;
	}
	size_t n = strcspn(p, sep);
	*pos = p[n] != '\0' ? p + n + 1 : p + n;
	p[n] = '\0';
	return p;
}

int zs_db_selectors_import(struct zs_db *db, FILE *in, const char *name, const char *source,
                           bool replace, struct zs_db_import_stats *stats)
{
	struct zs_db_import_stats st = { 0 };
	struct zs_buf rows;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	char domain[1100];
	int ret = 0;

	zs_buf_init(&rows, IMPORT_MAX);
	while (getline(&line, &cap, in) >= 0) {
		lineno++;
		line[strcspn(line, "#")] = '\0';
		char *save = line;
		char *tok = next_token(&save);
		if (tok == NULL) {
			continue;
		}
		if (!registered_name(tok, domain, sizeof(domain))) {
			ret = zs__db_failf(db, ZS_ERR_PARSE,
			                   "%s:%ld: invalid domain '%s' " REGISTERED_NAME, name,
			                   lineno, tok);
			goto out;
		}
		int count = 0;
		while ((tok = next_token(&save)) != NULL) {
			for (char *p = tok; *p != '\0'; p++) {
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
			}
			if (!selector_valid(tok)) {
				ret = zs__db_failf(db, ZS_ERR_PARSE,
				                   "%s:%ld: invalid selector for %s", name, lineno,
				                   domain);
				goto out;
			}
			char num[24];
			char line_text[24];
			snprintf(num, sizeof(num), "%" PRId64, st.rows);
			snprintf(line_text, sizeof(line_text), "%ld", lineno);
			if (copy_field(&rows, num, false) != 0 ||
			    copy_field(&rows, line_text, false) != 0 ||
			    copy_field(&rows, domain, false) != 0 ||
			    copy_field(&rows, tok, true) != 0) {
				ret = zs__db_failf(db, ZS_ERR_TOOBIG, "%s: file too large", name);
				goto out;
			}
			count++;
			st.rows++;
		}
		if (count == 0) {
			ret = zs__db_failf(db, ZS_ERR_PARSE, "%s:%ld: no selector for %s", name,
			                   lineno, domain);
			goto out;
		}
	}
	if (ferror(in)) {
		ret = zs__db_failf(db, ZS_ERR_PARSE, "%s: read error", name);
		goto out;
	}
	struct import_plan plan = {
		.what = "import selectors",
		.create_sql =
		        "CREATE TEMP TABLE zs_import (n int, line int, domain text COLLATE \"C\", "
		        "selector text COLLATE \"C\") ON COMMIT DROP",
		.copy_sql = "COPY zs_import FROM STDIN",
		.duplicates_sql = "SELECT a.domain || ' ' || a.selector, a.line, b.line "
		                  "FROM zs_import a JOIN zs_import b ON a.domain = b.domain "
		                  "AND a.selector = b.selector AND a.n < b.n ORDER BY b.n LIMIT 1",
		.replace_sql = replace ? "DELETE FROM dkim_selectors s WHERE s.domain IN "
		                         "(SELECT domain FROM zs_import) AND NOT EXISTS "
		                         "(SELECT 1 FROM zs_import i WHERE i.domain = s.domain "
		                         "AND i.selector = s.selector)"
		                       : NULL,
		.merge_sql =
		        "INSERT INTO dkim_selectors (domain, selector, source) "
		        "SELECT domain, selector, $1 FROM zs_import "
		        "ON CONFLICT (domain, selector) DO UPDATE SET source = excluded.source, "
		        "imported_at = now()",
	};
	ret = run_import(db, name, &plan, &rows, source, &st);
out:
	free(line);
	zs_buf_deinit(&rows);
	if (ret == 0 && stats != NULL) {
		*stats = st;
	}
	return ret;
}

/* ---- exemptions and attestations ---- */

static bool rule_id_valid(const char *s)
{
	if (s[0] == '\0' || strlen(s) > 100) {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.')) {
			return false;
		}
	}
	return true;
}

/* Insert a row from parameters; a date PostgreSQL cannot read is a usage error. */
static int insert_returning_id(struct zs_db *db, const char *what, const char *sql, int n,
                               const char *const *params, int64_t *id)
{
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = zs__db_fail(db, what, res);
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL &&
		    (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0)) {
			ret = ZS_ERR_USAGE;
		}
		PQclear(res);
		return ret;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_USAGE, "%s: the date is in the past", what);
	}
	ret = zs__db_parse_i64(PQgetvalue(res, 0, 0), id);
	PQclear(res);
	return ret == 0 ? 0 : zs__db_failf(db, ZS_ERR_DB, "%s: no id returned", what);
}

/* Normalise a registered domain and check its syntax. @return 0 or ZS_ERR_USAGE */
static int registry_domain(struct zs_db *db, const char *in, char *name, size_t len)
{
	if (!registered_name(in, name, len)) {
		return zs__db_failf(db, ZS_ERR_USAGE, "invalid domain '%s' " REGISTERED_NAME, in);
	}
	return 0;
}

int zs_db_exemption_add(struct zs_db *db, const char *domain, const char *rule, const char *until,
                        const char *why, const char *by, int64_t *id)
{
	char name[1100];
	int ret = registry_domain(db, domain, name, sizeof(name));
	if (ret != 0) {
		return ret;
	}
	if (!rule_id_valid(rule)) {
		return zs__db_failf(db, ZS_ERR_USAGE, "invalid rule id '%s'", rule);
	}
	if (why == NULL || why[0] == '\0' || !label_text_valid(why)) {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "an exemption needs a reason (--why), one line of text");
	}
	const char *params[5] = { name, rule, until, why, by != NULL ? by : "" };
	return insert_returning_id(db, "add exemption",
	                           "INSERT INTO exemptions (domain, rule, until, why, created_by) "
	                           "SELECT $1, $2, $3::date, $4, $5 WHERE $3::date >= current_date "
	                           "RETURNING id",
	                           5, params, id);
}

/* Revoke a row of exemptions or attestations (@p sql: $1 its id, $2 who). */
static int revoke(struct zs_db *db, const char *what, const char *sql, int64_t id, const char *by)
{
	char text[24];
	const char *params[2] = { text, by != NULL ? by : "" };
	snprintf(text, sizeof(text), "%" PRId64, id);
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(db, "revoke", sql, 2, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	int64_t n = cmd_tuples(res);
	PQclear(res);
	return n == 1 ? 0 : zs__db_failf(db, ZS_ERR_NOTFOUND, "no %s %s in force", what, text);
}

int zs_db_exemption_revoke(struct zs_db *db, int64_t id, const char *by)
{
	return revoke(db, "exemption",
	              "UPDATE exemptions SET revoked_at = now(), revoked_by = $2 "
	              "WHERE id = $1::bigint AND revoked_at IS NULL",
	              id, by);
}

int zs_db_attestation_revoke(struct zs_db *db, int64_t id, const char *by)
{
	return revoke(db, "attestation",
	              "UPDATE attestations SET revoked_at = now(), revoked_by = $2 "
	              "WHERE id = $1::bigint AND revoked_at IS NULL",
	              id, by);
}

int zs_db_domain_tld(struct zs_db *db, const char *domain, char *tld, size_t tld_len, char *policy,
                     size_t policy_len)
{
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	/* the view, not the tables: officers may ask too */
	PGresult *res = zs__db_query(db, "read TLD",
	                             "SELECT tld, policy FROM v_runs "
	                             "WHERE right($1, length(tld) + 1) = '.' || tld "
	                             "AND status <> 'withdrawn' "
	                             "ORDER BY length(tld) DESC, run_id DESC LIMIT 1",
	                             1, &domain);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 1) {
		snprintf(tld, tld_len, "%s", PQgetvalue(res, 0, 0));
		snprintf(policy, policy_len, "%s", PQgetvalue(res, 0, 1));
	} else {
		const char *dot = strrchr(domain, '.');
		snprintf(tld, tld_len, "%s", dot != NULL ? dot + 1 : domain);
		snprintf(policy, policy_len, "%s", "");
	}
	PQclear(res);
	return 0;
}

int zs_db_attestation_add(struct zs_db *db, const char *domain, const char *item, bool attested,
                          const char *on, const char *by, const char *ref, int64_t *id)
{
	char name[1100];
	int ret = registry_domain(db, domain, name, sizeof(name));
	if (ret != 0) {
		return ret;
	}
	if (!rule_id_valid(item)) {
		return zs__db_failf(db, ZS_ERR_USAGE, "invalid attestation item '%s'", item);
	}
	if (ref == NULL || ref[0] == '\0' || !label_text_valid(ref) ||
	    (by != NULL && !label_text_valid(by))) {
		return zs__db_failf(db, ZS_ERR_USAGE,
		                    "an attestation needs a document reference (--ref), one line");
	}
	const char *params[6] = {
		name, item, attested ? "attested" : "not attested", on, by != NULL ? by : "", ref
	};
	return insert_returning_id(db, "add attestation",
	                           "INSERT INTO attestations (domain, item, status, attested_on, "
	                           "attested_by, ref, created_by) VALUES ($1, $2, $3, "
	                           "coalesce($4::date, current_date), $5, $6, $5) RETURNING id",
	                           6, params, id);
}

/* ---- for the sweep and the notices ---- */

/* Walk a query's rows through a cursor, calling @p each per row until it returns non-zero. */
typedef int (*walk_cb)(const PGresult *res, int row, void *arg);

static int walk(struct zs_db *db, const char *what, const char *sql, int n,
                const char *const *params, walk_cb each, void *arg)
{
	struct zs_buf declare;
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	zs_buf_init(&declare, 64 * 1024);
	(void)zs_buf_puts(&declare, "DECLARE zs_walk NO SCROLL CURSOR FOR ");
	(void)zs_buf_puts(&declare, sql);
	ret = zs__db_exec(db, what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	PGresult *res = ret != 0 ? NULL : zs__db_query(db, what, zs_buf_cstr(&declare), n, params);
	ret = ret != 0 ? ret : res == NULL ? ZS_ERR_DB : 0;
	PQclear(res);
	while (ret == 0) {
		res = zs__db_query(db, what, "FETCH 1000 FROM zs_walk", 0, NULL);
		if (res == NULL) {
			ret = ZS_ERR_DB;
			break;
		}
		int rows = PQntuples(res);
		for (int r = 0; r < rows && ret == 0; r++) {
			ret = each(res, r, arg);
		}
		PQclear(res);
		if (rows < FETCH_ROWS) {
			break;
		}
	}
	PQclear(PQexec(db->conn, "ROLLBACK"));
	zs_buf_deinit(&declare);
	return ret;
}

struct selector_walk {
	zs_db_selector_cb cb;
	void *arg;
};

static int selector_row(const PGresult *res, int row, void *arg)
{
	struct selector_walk *w = arg;
	return w->cb(PQgetvalue(res, row, 0), PQgetvalue(res, row, 1), w->arg);
}

int zs_db_selectors_each(struct zs_db *db, const char *tld, zs_db_selector_cb cb, void *arg)
{
	struct selector_walk w = { cb, arg };
	return walk(db, "read selectors",
	            "SELECT domain, selector FROM dkim_selectors WHERE $1::text IS NULL "
	            "OR right(domain, length($1) + 1) = '.' || $1 ORDER BY domain, selector",
	            1, &tld, selector_row, &w);
}

struct learned_walk {
	zs_db_dkim_learned_cb cb;
	void *arg;
};

static int learned_row(const PGresult *res, int row, void *arg)
{
	struct learned_walk *w = arg;
	int64_t domains = 0;
	if (zs__db_parse_i64(PQgetvalue(res, row, 2), &domains) != 0 || domains < 1 ||
	    domains > UINT32_MAX) {
		return 0; /* not written by a sweep: skipped */
	}
	struct zs_db_dkim_learned l = {
		.provider = PQgetvalue(res, row, 0),
		.selector = PQgetvalue(res, row, 1),
		.domains = (uint32_t)domains,
	};
	return w->cb(&l, w->arg);
}

int zs_db_dkim_learned_each(struct zs_db *db, const char *tld, zs_db_dkim_learned_cb cb, void *arg)
{
	struct learned_walk w = { cb, arg };
	return walk(db, "read learned DKIM selectors",
	            "SELECT e->>'provider', e->>'selector', e->>'domains' FROM "
	            "(SELECT r.dns_counters->'dkim_learned' AS l FROM runs r JOIN tlds t "
	            "ON t.id = r.tld_id WHERE t.name = $1 AND r.status = 'complete' "
	            "ORDER BY r.id DESC LIMIT 1) last, "
	            "jsonb_array_elements(CASE jsonb_typeof(last.l) WHEN 'array' THEN last.l "
	            "ELSE '[]' END) e "
	            "WHERE jsonb_typeof(e) = 'object' AND jsonb_typeof(e->'provider') = 'string' "
	            "AND jsonb_typeof(e->'selector') = 'string' "
	            "AND jsonb_typeof(e->'domains') = 'number' ORDER BY 1, 2",
	            1, &tld, learned_row, &w);
}

struct exemption_walk {
	zs_db_exemption_cb cb;
	void *arg;
};

static int exemption_row(const PGresult *res, int row, void *arg)
{
	struct exemption_walk *w = arg;
	struct zs_db_exemption e = {
		.domain = PQgetvalue(res, row, 1),
		.rule = PQgetvalue(res, row, 2),
		.until = PQgetvalue(res, row, 3),
		.why = PQgetvalue(res, row, 4),
	};
	(void)zs__db_parse_i64(PQgetvalue(res, row, 0), &e.id);
	return w->cb(&e, w->arg);
}

int zs_db_exemptions_each(struct zs_db *db, const char *tld, zs_db_exemption_cb cb, void *arg)
{
	struct exemption_walk w = { cb, arg };
	return walk(
	        db, "read exemptions",
	        "SELECT id, domain, rule, to_char(until, 'YYYY-MM-DD'), why FROM v_exemptions "
	        "WHERE active AND ($1::text IS NULL OR right(domain, length($1) + 1) = '.' || $1) "
	        "ORDER BY domain, rule, id",
	        1, &tld, exemption_row, &w);
}

struct attestation_walk {
	zs_db_attestation_cb cb;
	void *arg;
};

static int attestation_row(const PGresult *res, int row, void *arg)
{
	struct attestation_walk *w = arg;
	struct zs_db_attestation a = {
		.domain = PQgetvalue(res, row, 0),
		.item = PQgetvalue(res, row, 1),
		.attested = strcmp(PQgetvalue(res, row, 2), "attested") == 0,
		.on = PQgetvalue(res, row, 3),
		.by = PQgetvalue(res, row, 4),
		.ref = PQgetvalue(res, row, 5),
	};
	return w->cb(&a, w->arg);
}

int zs_db_attestations_each(struct zs_db *db, const char *domain, zs_db_attestation_cb cb,
                            void *arg)
{
	struct attestation_walk w = { cb, arg };
	return walk(db, "read attestations",
	            "SELECT domain, item, status, to_char(attested_on, 'YYYY-MM-DD'), attested_by, "
	            "ref FROM v_attestations WHERE domain = $1 ORDER BY item",
	            1, &domain, attestation_row, &w);
}

int zs_db_contact_get(struct zs_db *db, const char *domain, struct zs_db_contact **out)
{
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(db, "read contact",
	                             "SELECT domain, email, name, organisation FROM contacts "
	                             "WHERE domain = $1",
	                             1, &domain);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return zs__db_failf(db, ZS_ERR_NOTFOUND, "no contact for %s", domain);
	}
	struct zs_db_contact *c = zs_calloc(1, sizeof(*c));
	c->domain = zs_strdup(PQgetvalue(res, 0, 0));
	c->email = zs_strdup(PQgetvalue(res, 0, 1));
	c->name = zs_strdup(PQgetvalue(res, 0, 2));
	c->organisation = zs_strdup(PQgetvalue(res, 0, 3));
	PQclear(res);
	*out = c;
	return 0;
}

void zs_db_contact_free(struct zs_db_contact *c)
{
	if (c == NULL) {
		return;
	}
	zs_free(c->domain);
	zs_free(c->email);
	zs_free(c->name);
	zs_free(c->organisation);
	zs_free(c);
}

/* A text[] literal of rule ids (validated: no quoting needed). */
static int rule_array(struct zs_buf *b, const char *const *rules, size_t n)
{
	int ret = zs_buf_putc(b, '{');
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (!rule_id_valid(rules[i])) {
			return ZS_ERR_USAGE;
		}
		ret = i > 0 ? zs_buf_putc(b, ',') : 0;
		ret = ret != 0 ? ret : zs_buf_puts(b, rules[i]);
	}
	return ret != 0 ? ret : zs_buf_putc(b, '}');
}

int zs_db_notice_record(struct zs_db *db, int64_t run_id, const char *domain, const char *kind,
                        const char *recipient, const char *message_id, const char *const *rules,
                        size_t rule_count)
{
	char run[24];
	struct zs_buf arr;
	snprintf(run, sizeof(run), "%" PRId64, run_id);
	zs_buf_init(&arr, 64 * 1024);
	int ret = rule_array(&arr, rules, rule_count);
	if (ret != 0) {
		zs_buf_deinit(&arr);
		return zs__db_failf(db, ZS_ERR_USAGE, "record notice: invalid rule id");
	}
	const char *params[6] = { run, domain, kind, recipient, message_id, zs_buf_cstr(&arr) };
	int64_t id = 0;
	ret = insert_returning_id(
	        db, "record notice",
	        "INSERT INTO notices (run_id, domain, kind, recipient, message_id, "
	        "rules) VALUES ($1::bigint, $2, $3, $4, $5, $6::text[]) "
	        "RETURNING id",
	        6, params, &id);
	zs_buf_deinit(&arr);
	return ret;
}

int zs_db_notice_last(struct zs_db *db, const char *domain, const char *kind, int64_t *at)
{
	const char *params[2] = { domain, kind };
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	PGresult *res = zs__db_query(db, "read notices",
	                             "SELECT extract(epoch FROM max(n.generated_at))::bigint "
	                             "FROM notices n JOIN runs r ON r.id = n.run_id "
	                             "WHERE n.domain = $1 AND n.kind = $2 "
	                             "AND r.status <> 'withdrawn'",
	                             2, params);
	if (res == NULL) {
		return ZS_ERR_DB;
	}
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return ZS_ERR_NOTFOUND;
	}
	ret = zs__db_parse_i64(PQgetvalue(res, 0, 0), at);
	PQclear(res);
	return ret == 0 ? 0 : ZS_ERR_DB;
}

/* ---- pruning ---- */

/* The runs to prune: per TLD, not among the newest N finished runs (withdrawn runs do not
 * count), not the newest complete run, not running, and not pruned before. */
#define PRUNE_SELECT                                                                   \
	"SELECT r.id FROM runs r WHERE r.pruned_at IS NULL AND r.status <> 'running' " \
	"AND r.id NOT IN (SELECT id FROM (SELECT id, row_number() OVER "               \
	"(PARTITION BY tld_id ORDER BY id DESC) AS n FROM runs "                       \
	"WHERE status NOT IN ('running', 'withdrawn')) k WHERE k.n <= $1::int) "       \
	"AND r.id NOT IN (SELECT max(id) FROM runs WHERE status = 'complete' GROUP BY tld_id)"

int zs_db_prune(struct zs_db *db, int keep_runs, bool dry_run, FILE *out,
                struct zs_db_prune_stats *stats)
{
	struct zs_db_prune_stats st = { 0 };
	char keep[16];
	const char *param = keep;
	PGresult *res = NULL;

	if (keep_runs < 1) {
		return zs__db_failf(db, ZS_ERR_USAGE, "--keep-runs must be at least 1");
	}
	snprintf(keep, sizeof(keep), "%d", keep_runs);
	int ret = zs__db_ensure(db);
	if (ret != 0) {
		return ret;
	}
	ret = zs__db_exec(db, "prune", "BEGIN");
	if (ret != 0) {
		goto out;
	}
	/* The runs are fixed first (and locked against a concurrent prune or resume). */
	res = zs__db_query(db, "prune",
	                   "CREATE TEMP TABLE zs_prune ON COMMIT DROP AS " PRUNE_SELECT
	                   " ORDER BY r.id",
	                   1, &param);
	ret = res == NULL ? ZS_ERR_DB : 0;
	PQclear(res);
	/* A TLD being swept keeps its runs: the sweep's rows may point at their facts. */
	if (ret == 0) {
		res = zs__db_query(
		        db, "prune",
		        "DELETE FROM zs_prune p USING runs r WHERE r.id = p.id AND NOT "
		        "pg_try_advisory_xact_lock(" ZS__DB_STR(ZS__DB_LOCK_TLD) ", r.tld_id)",
		        0, NULL);
		ret = res == NULL ? ZS_ERR_DB : 0;
		if (res != NULL && cmd_tuples(res) > 0 && out != NULL) {
			fprintf(out, "not pruning %lld runs of TLDs being swept now\n",
			        (long long)cmd_tuples(res));
		}
		PQclear(res);
	}
	if (ret == 0) {
		res = zs__db_query(db, "prune", "SELECT count(*) FROM zs_prune", 0, NULL);
		ret = res == NULL ? ZS_ERR_DB : 0;
		if (res != NULL) {
			(void)zs__db_parse_i64(PQgetvalue(res, 0, 0), &st.runs);
		}
		PQclear(res);
	}
	/* Each step, and the count its row total goes to (NULL: none). */
	const struct {
		const char *sql;
		int64_t *count;
	} steps[] = {
		{ "SELECT 1 FROM runs WHERE id IN (SELECT id FROM zs_prune) FOR UPDATE", NULL },
		/* Verdict rows that kept results point at move to the oldest kept result using
		 * them, and the others point there (migration 005). */
		{ "CREATE TEMP TABLE zs_prune_vmoved ON COMMIT DROP AS SELECT DISTINCT ON "
		  "(k.domain, k.verdicts_run) k.domain, k.verdicts_run AS old_run, "
		  "k.run_id AS new_run FROM results k "
		  "WHERE k.verdicts_run IN (SELECT id FROM zs_prune) "
		  "AND k.run_id NOT IN (SELECT id FROM zs_prune) "
		  "ORDER BY k.domain, k.verdicts_run, k.run_id",
		  NULL },
		{ "UPDATE verdicts v SET run_id = m.new_run FROM zs_prune_vmoved m "
		  "WHERE v.run_id = m.old_run AND v.domain = m.domain",
		  NULL },
		{ "UPDATE results k SET verdicts_run = NULL FROM zs_prune_vmoved m "
		  "WHERE k.run_id = m.new_run AND k.domain = m.domain",
		  NULL },
		{ "UPDATE results k SET verdicts_run = m.new_run FROM zs_prune_vmoved m "
		  "WHERE k.domain = m.domain AND k.verdicts_run = m.old_run AND k.run_id <> m.new_run",
		  NULL },
		{ "DELETE FROM verdicts WHERE run_id IN (SELECT id FROM zs_prune)", &st.verdicts },
		/* Facts (and raw TXT records) that kept rows point at move into the oldest kept row
		 * using them, and the others point there (migrations 004, 005). */
		{ "CREATE TEMP TABLE zs_prune_moved ON COMMIT DROP AS SELECT DISTINCT ON "
		  "(k.domain, k.facts_run) k.domain, k.facts_run AS old_run, k.run_id AS new_run "
		  "FROM results k WHERE k.facts_run IN (SELECT id FROM zs_prune) "
		  "AND k.run_id NOT IN (SELECT id FROM zs_prune) "
		  "ORDER BY k.domain, k.facts_run, k.run_id",
		  NULL },
		{ "UPDATE results k SET facts = h.facts, facts_run = NULL, "
		  "raw_owner = coalesce(k.raw_owner, h.raw_owner), "
		  "raw_txt = coalesce(k.raw_txt, h.raw_txt) FROM zs_prune_moved m "
		  "JOIN results h ON h.run_id = m.old_run AND h.domain = m.domain "
		  "WHERE k.run_id = m.new_run AND k.domain = m.domain",
		  NULL },
		{ "UPDATE results k SET facts_run = m.new_run FROM zs_prune_moved m "
		  "WHERE k.domain = m.domain AND k.facts_run = m.old_run AND k.run_id <> m.new_run",
		  NULL },
		{ "DELETE FROM results WHERE run_id IN (SELECT id FROM zs_prune)", &st.results },
		{ "DELETE FROM quarantine WHERE run_id IN (SELECT id FROM zs_prune)", NULL },
		{ "UPDATE runs SET pruned_at = now() WHERE id IN (SELECT id FROM zs_prune)", NULL },
	};
	if (ret == 0 && out != NULL) {
		res = zs__db_query(
		        db, "prune",
		        "SELECT r.id, t.name, r.status, to_char(r.started_at, "
		        "'YYYY-MM-DD HH24:MI') FROM runs r JOIN tlds t ON t.id = r.tld_id "
		        "WHERE r.id IN (SELECT id FROM zs_prune) ORDER BY r.id",
		        0, NULL);
		ret = res == NULL ? ZS_ERR_DB : 0;
		for (int i = 0; res != NULL && i < PQntuples(res); i++) {
			fprintf(out, "%s run %s (%s, %s, %s)\n",
			        dry_run ? "would prune" : "pruning", PQgetvalue(res, i, 0),
			        PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			        PQgetvalue(res, i, 3));
		}
		PQclear(res);
	}
	if (ret == 0 && dry_run) {
		res = zs__db_query(
		        db, "prune",
		        "SELECT (SELECT count(*) FROM results WHERE run_id IN "
		        "(SELECT id FROM zs_prune)), (SELECT count(*) FROM verdicts v "
		        "WHERE v.run_id IN (SELECT id FROM zs_prune) AND NOT EXISTS "
		        "(SELECT 1 FROM results k WHERE k.verdicts_run = v.run_id AND "
		        "k.domain = v.domain AND k.run_id NOT IN (SELECT id FROM zs_prune)))",
		        0, NULL);
		ret = res == NULL ? ZS_ERR_DB : 0;
		if (res != NULL) {
			(void)zs__db_parse_i64(PQgetvalue(res, 0, 0), &st.results);
			(void)zs__db_parse_i64(PQgetvalue(res, 0, 1), &st.verdicts);
		}
		PQclear(res);
	}
	for (size_t i = 0; ret == 0 && !dry_run && i < sizeof(steps) / sizeof(steps[0]); i++) {
		res = zs__db_query(db, "prune", steps[i].sql, 0, NULL);
		ret = res == NULL ? ZS_ERR_DB : 0;
		if (res != NULL && steps[i].count != NULL) {
			*steps[i].count = cmd_tuples(res);
		}
		PQclear(res);
	}
	if (ret == 0 && !dry_run) {
		ret = zs__db_exec(db, "prune", "COMMIT");
	}
out:
	PQclear(PQexec(db->conn, "ROLLBACK")); /* a no-op after COMMIT; ends a dry run */
	if (ret == 0 && stats != NULL) {
		*stats = st;
	}
	return ret;
}
