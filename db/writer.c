/* SPDX-License-Identifier: MIT */
/*
 * The COPY writer. The caller's thread formats each result into COPY text rows at push time
 * (so the queue holds plain bytes and the result's memory can go with its probe) and appends
 * it to a bounded list; a thread working on the caller's session (the one holding the TLD's
 * lock, taken over until finish) takes up to batch_max results at a time and writes them in
 * one transaction.
 *
 * Before each attempt, the facts and the verdicts of the batch are hashed and compared with the
 * TLD's previous run (one query per batch): a domain whose facts, or verdicts, did not change
 * gets a row pointing at the run that stores them instead of storing them again (migrations 004
 * and 005, find_unchanged()).
 *
 * The fast path COPYs straight into results and verdicts. Anything else goes through the safe
 * path: COPY into temporary staging tables, then INSERT ... ON CONFLICT DO NOTHING keyed by
 * (run, domain), verdicts only for the results that were new. The safe path is idempotent, so
 * it is what resends a batch whose commit was not confirmed (connection lost: the batch may or
 * may not be stored) and what retries a batch that failed (a duplicate domain, a row that
 * PostgreSQL refuses). A batch that fails on the safe path too is cut in halves until the
 * refused results are alone; each goes to the quarantine table with its error, and the others
 * are stored. Connection loss at any point means: reconnect with backoff (up to give_up_ms),
 * take the TLD's lock again (the lost session's went with it) and check the run is still
 * running, then resend through the safe path; a sweep that took the TLD meanwhile wins, and
 * this writer stops without writing another row. Past the limit the writer gives up: it keeps
 * draining the queue (counting what it drops as lost), pushes fail, and the caller marks the run
 * interrupted.
 */
#include "db/writer.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "db/db_int.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"

enum {
	DEFAULT_QUEUE_MAX = 20000,
	DEFAULT_QUEUE_BYTES = 256 * 1024 * 1024,
	DEFAULT_BATCH_MAX = 5000,
	DEFAULT_FLUSH_MS = 200,
	DEFAULT_GIVE_UP_MS = 60000,
	ITEM_MAX = 256 * 1024 * 1024, /* one domain's rows; PostgreSQL's own limit is 1 GiB */
	SEND_CHUNK = 64 * 1024,       /* bytes of COPY data per message */
	BACKOFF_FIRST_MS = 100,
	BACKOFF_MAX_MS = 5000,
};

/** What a result may share with the domain's previous run: its facts, or its verdict rows. */
struct shared {
	bool hashed;             /**< sha256 is set (writer thread) */
	char sha256[2 + 64 + 1]; /**< as bytea text: "\\x" and hex */
	int64_t holder;          /**< the run storing the same for the domain, 0: store them */
};

/** One queued result: its domain and its COPY rows, in one allocation. */
struct item {
	struct item *next;
	size_t size;         /**< bytes of the allocation, for the queue's byte count */
	size_t res_len;      /**< bytes of the results row (with its newline) */
	size_t raw_off;      /**< where the raw TXT records (two fields) start in it */
	size_t facts_off;    /**< where the facts (the row's last field) start in it */
	size_t verd_len;     /**< bytes of the verdict rows */
	size_t verdicts;     /**< verdict rows */
	bool done;           /**< stored or quarantined (set by the writer thread) */
	bool quarantined;    /**< put in quarantine (set by the writer thread) */
	bool escaped;        /**< text had to be escaped (invalid UTF-8 or NUL) */
	int status;          /**< enum zs_db_status, -1 when unknown (zs__db_writer_push_raw()) */
	struct shared facts; /**< the facts field */
	struct shared verd;  /**< the verdict rows, less their run and domain */
	char *domain;        /**< points into data */
	char data[];         /**< domain NUL, results row, verdict rows */
};

/** Where the parts of an item being formatted are, before it is queued. */
struct shape {
	size_t domain_len; /**< the domain and its NUL */
	size_t res_len;
	size_t raw_off;
	size_t facts_off;
	size_t verdicts;
	bool escaped;
	int status; /**< enum zs_db_status, -1 when unknown */
};

/** How a batch attempt ended. */
enum outcome {
	OUT_OK,
	OUT_LOST, /**< the connection broke: the batch may or may not be stored */
	OUT_DATA, /**< PostgreSQL refused something in the batch (message in w->msg) */
};

struct zs_db_writer {
	/* Shared between the caller and the thread, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head;
	struct item *tail;
	size_t count;
	size_t bytes;      /**< of the items queued and in the batch being written */
	size_t peak_bytes; /**< the most bytes held at once */
	bool stopping;
	bool want_wake;
	int failed; /**< 0, or the error the writer gave up with */

	/* Set at creation. */
	struct zs_db_writer_opts opts;
	struct zs_db *db; /**< whose connection the writer has taken, given back at the end */
	int lock_tld;     /**< the TLD whose lock the connection holds (0: none) */
	int64_t run_id;
	char run_text[24];
	size_t run_text_len;
	char prev_text[24]; /**< the TLD's previous run, whose facts are compared ("": none) */
	char *conninfo;
	char where[256];
	pthread_t thread;
	bool started;
	zs__db_hook hook;
	void *hook_arg;

	/* The caller's thread only. */
	struct zs_buf scratch; /**< the item being formatted */
	struct zs_buf dom;     /**< its domain, escaped for COPY */
	struct zs_buf quoted;  /**< an array element being quoted */
	struct zs_buf clean;   /**< an array element being escaped */

	/* The writer thread only (and finish, after the join). */
	PGconn *conn;
	struct zs_buf send; /**< COPY data being gathered into one message */
	bool staging_ready;
	char msg[ZS__DB_MSG_MAX];
	char sqlstate[6];
	struct zs_db_writer_stats stats;
	uint64_t pushed;
	uint64_t full;
};

#define RESULTS_COLS                                                                  \
	"(run_id, domain, status, warnings, mail, raw_owner, raw_txt, facts_sha256, " \
	"facts_run, verdicts_sha256, verdicts_run, facts)"
#define VERDICTS_COLS "(run_id, domain, rule, verdict, reason)"

/* ---- formatting (caller's thread) ---- */

static int put_text(struct zs_buf *b, const char *s, size_t n, bool *escaped)
{
	return zs__db_copy_text(b, s, n, escaped);
}

/* An array element of text[] inside a COPY field: quoted, with " and \ escaped for the array
 * parser, then the whole escaped for COPY (in w->quoted, reused). */
static int put_array_text(struct zs_db_writer *w, struct zs_buf *b, const char *s, bool *escaped)
{
	struct zs_buf *q = &w->quoted;
	size_t n = strlen(s);
	int ret = 0;

	zs_buf_reset(q);
	if (!zs__db_text_ok(s, n)) {
		/* The data escaping leaves no '"' and turns '\' into "\x5c" text. */
		zs_buf_reset(&w->clean);
		ret = zs_escape_data(&w->clean, s, n);
		s = zs_buf_cstr(&w->clean);
		n = w->clean.len;
		*escaped = true;
	}
	ret = ret != 0 ? ret : zs_buf_putc(q, '"');
	size_t start = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			ret = zs_buf_append(q, s + start, i - start);
			ret = ret != 0 ? ret : zs_buf_putc(q, '\\');
			start = i;
		}
	}
	ret = ret != 0 ? ret : zs_buf_append(q, s + start, n - start);
	ret = ret != 0 ? ret : zs_buf_putc(q, '"');
	return ret != 0 ? ret : put_text(b, zs_buf_cstr(q), q->len, escaped);
}

/* A bytea array element inside a COPY field: "\\\\x<hex>" (COPY, then array, unescaping). */
static int put_array_bytea(struct zs_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char chunk[512];
	size_t k = 0;
	int ret = zs_buf_puts(b, "\"\\\\\\\\x");
	for (size_t i = 0; i < n && ret == 0; i++) {
		chunk[k++] = hex[p[i] >> 4];
		chunk[k++] = hex[p[i] & 0xf];
		if (k == sizeof(chunk)) {
			ret = zs_buf_append(b, chunk, k);
			k = 0;
		}
	}
	ret = ret != 0 ? ret : zs_buf_append(b, chunk, k);
	return ret != 0 ? ret : zs_buf_putc(b, '"');
}

/* The facts as a COPY field (writer thread): stored as given when they are valid UTF-8 without
 * NUL (PostgreSQL still checks the JSON); otherwise wrapped, escaped, in an object so that the
 * row is not lost. */
static int put_facts(struct zs_buf *b, const char *facts, size_t n, bool *escaped)
{
	size_t mark = b->len;
	int ret = zs__db_copy_escape(b, facts, n);
	if (ret != ZS_ERR_PARSE) {
		return ret;
	}
	b->len = mark;
	struct zs_buf wrapped;
	struct zs_json j;
	zs_buf_init(&wrapped, ITEM_MAX);
	zs_json_init(&j, &wrapped);
	zs_json_obj_begin(&j);
	zs_json_kdata(&j, "unstorable_facts", facts, n);
	zs_json_obj_end(&j);
	ret = zs_json_error(&j);
	ret = ret != 0 ? ret : put_text(b, zs_buf_cstr(&wrapped), wrapped.len, escaped);
	zs_buf_deinit(&wrapped);
	*escaped = true;
	return ret;
}

static int put_uint(struct zs_buf *b, unsigned v)
{
	char digits[16];
	size_t n = sizeof(digits);
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return zs_buf_append(b, digits + n, sizeof(digits) - n);
}

/* Format one result: domain NUL, results row, verdict rows, into w->scratch. The facts, the
 * row's last field, stay as they are: they are escaped for COPY only if they are sent (when the
 * previous run does not hold the same), by the writer thread. */
static int format_item(struct zs_db_writer *w, const struct zs_db_result *res, struct shape *sh)
{
	bool *escaped = &sh->escaped;
	struct zs_buf *b = &w->scratch;
	int ret = 0;

	sh->status = (int)res->status;
	zs_buf_reset(b);
	zs_buf_reset(&w->dom);
	ret = zs_buf_append(b, res->domain, strlen(res->domain) + 1);
	size_t start = b->len;
	ret = ret != 0 ? ret : put_text(&w->dom, res->domain, strlen(res->domain), escaped);
	ret = ret != 0 ? ret : zs_buf_append(b, w->run_text, w->run_text_len);
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	ret = ret != 0 ? ret : zs_buf_append(b, w->dom.data, w->dom.len);
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	ret = ret != 0 ? ret : zs_buf_puts(b, zs_db_status_name(res->status));
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	ret = ret != 0 ? ret : put_uint(b, res->warnings);
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	ret = ret != 0 ? ret : zs_buf_puts(b, zs_db_mail_name(res->mail));
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	sh->raw_off = b->len - start;
	ret = ret != 0 ? ret : zs_buf_putc(b, '{');
	for (size_t i = 0; i < res->raw_count && ret == 0; i++) {
		ret = i > 0 ? zs_buf_putc(b, ',') : 0;
		ret = ret != 0 ? ret : put_array_text(w, b, res->raw[i].owner, escaped);
	}
	ret = ret != 0 ? ret : zs_buf_puts(b, "}\t{");
	for (size_t i = 0; i < res->raw_count && ret == 0; i++) {
		ret = i > 0 ? zs_buf_putc(b, ',') : 0;
		ret = ret != 0 ? ret : put_array_bytea(b, res->raw[i].data, res->raw[i].len);
	}
	/* the facts last: the writer puts the hashes and their holders before them */
	ret = ret != 0 ? ret : zs_buf_puts(b, "}\t");
	sh->facts_off = b->len - start;
	ret = ret != 0 ? ret : zs_buf_puts(b, res->facts_json != NULL ? res->facts_json : "{}");
	ret = ret != 0 ? ret : zs_buf_putc(b, '\n');
	sh->res_len = b->len - start;
	sh->domain_len = start;
	sh->verdicts = res->verdict_count;
	for (size_t i = 0; i < res->verdict_count && ret == 0; i++) {
		const struct zs_db_verdict_row *v = &res->verdicts[i];
		const char *reason = v->reason != NULL ? v->reason : "";
		ret = zs_buf_append(b, w->run_text, w->run_text_len);
		ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
		ret = ret != 0 ? ret : zs_buf_append(b, w->dom.data, w->dom.len);
		ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
		ret = ret != 0 ? ret : put_text(b, v->rule, strlen(v->rule), escaped);
		ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
		ret = ret != 0 ? ret : zs_buf_puts(b, zs_db_verdict_name(v->verdict));
		ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
		ret = ret != 0 ? ret : put_text(b, reason, strlen(reason), escaped);
		ret = ret != 0 ? ret : zs_buf_putc(b, '\n');
	}
	return ret;
}

/* Queue the item formatted in w->scratch. */
static int enqueue(struct zs_db_writer *w, const struct shape *sh)
{
	struct item *it = zs_malloc(sizeof(*it) + w->scratch.len);
	memcpy(it->data, w->scratch.data, w->scratch.len);
	it->next = NULL;
	it->size = sizeof(*it) + w->scratch.len;
	it->domain = it->data;
	it->res_len = sh->res_len;
	it->raw_off = sh->raw_off;
	it->facts_off = sh->facts_off;
	it->verd_len = w->scratch.len - sh->domain_len - sh->res_len;
	it->verdicts = sh->verdicts;
	it->done = false;
	it->quarantined = false;
	it->escaped = sh->escaped;
	it->status = sh->status;
	it->facts = (struct shared){ 0 };
	it->verd = (struct shared){ 0 };

	pthread_mutex_lock(&w->mu);
	int ret = w->failed;
	if (ret == 0) {
		if (w->tail != NULL) {
			w->tail->next = it;
		} else {
			w->head = it;
		}
		w->tail = it;
		w->count++;
		w->bytes += it->size;
		w->peak_bytes = w->bytes > w->peak_bytes ? w->bytes : w->peak_bytes;
		w->pushed++;
		/* the first item starts the flush clock, a full batch goes at once */
		if (w->count == 1 || w->count == w->opts.batch_max) {
			pthread_cond_signal(&w->cv);
		}
	}
	pthread_mutex_unlock(&w->mu);
	if (ret != 0) {
		zs_free(it);
	}
	return ret;
}

/* Whether the queue has room, in results and in bytes (those of the batch being written
 * count until it is freed); when not, ask for a wake-up. One result may take the bytes past
 * the limit, so that a result larger than the limit still goes through. */
static int check_room(struct zs_db_writer *w)
{
	int ret = 0;
	pthread_mutex_lock(&w->mu);
	if (w->failed != 0) {
		ret = w->failed;
	} else if (w->count >= w->opts.queue_max || w->bytes >= w->opts.queue_bytes) {
		w->want_wake = true;
		if (w->full++ == 0) {
			zs_log_info(
			        ZS_LOG_DB,
			        "writer: %zu results (%.1f MiB) wait to be stored: the sweep waits "
			        "for the database",
			        w->count, (double)w->bytes / (1 << 20));
		}
		ret = ZS_ERR_AGAIN;
	}
	pthread_mutex_unlock(&w->mu);
	return ret;
}

int zs_db_writer_push(struct zs_db_writer *w, const struct zs_db_result *res)
{
	struct shape sh = { 0 };

	ZS_REQUIRE(res->domain != NULL);
	ZS_REQUIRE((unsigned)res->status < ZS_DB_STATUS_COUNT_);
	ZS_REQUIRE((unsigned)res->mail < ZS_DB_MAIL_COUNT_);
	ZS_REQUIRE(res->verdict_count == 0 || res->verdicts != NULL);
	ZS_REQUIRE(res->raw_count == 0 || res->raw != NULL);
	for (size_t i = 0; i < res->verdict_count; i++) {
		ZS_REQUIRE(res->verdicts[i].rule != NULL);
		ZS_REQUIRE((unsigned)res->verdicts[i].verdict < ZS_DB_VERDICT_COUNT_);
	}
	int ret = check_room(w);
	if (ret != 0) {
		return ret;
	}
	ret = format_item(w, res, &sh);
	return ret != 0 ? ZS_ERR_TOOBIG : enqueue(w, &sh);
}

/* The status of a results row given as COPY text: its third field, when it names one. */
static int raw_status(const char *res_line)
{
	const char *p = strchr(res_line, '\t');
	p = p != NULL ? strchr(p + 1, '\t') : NULL;
	char name[16] = "";
	if (p != NULL) {
		size_t n = strcspn(p + 1, "\t");
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : 0), p + 1);
	}
	enum zs_db_status st = ZS_DB_COMPLIANT;
	return zs_db_status_parse(name, &st) == 0 ? (int)st : -1;
}

int zs__db_writer_push_raw(struct zs_db_writer *w, const char *domain, const char *res_line,
                           const char *verdict_lines)
{
	int ret = check_room(w);
	if (ret != 0) {
		return ret;
	}
	zs_buf_reset(&w->scratch);
	ret = zs_buf_append(&w->scratch, domain, strlen(domain) + 1);
	ret = ret != 0 ? ret : zs_buf_puts(&w->scratch, res_line);
	ret = ret != 0 ? ret : zs_buf_puts(&w->scratch, verdict_lines);
	if (ret != 0) {
		return ZS_ERR_TOOBIG;
	}
	struct shape sh = { .domain_len = strlen(domain) + 1,
		            .res_len = strlen(res_line),
		            .status = raw_status(res_line) };
	for (const char *p = verdict_lines; *p != '\0'; p++) {
		sh.verdicts += *p == '\n';
	}
	/* the raw TXT records are the row's sixth and seventh fields, the facts its last */
	const char *p = res_line;
	for (int tabs = 0; tabs < 5 && p != NULL; tabs++) {
		p = strchr(p, '\t');
		p = p != NULL ? p + 1 : NULL;
	}
	const char *tab = strrchr(res_line, '\t');
	if (p == NULL || tab == NULL || tab + 1 < p) {
		return ZS_ERR_USAGE;
	}
	sh.raw_off = (size_t)(p - res_line);
	sh.facts_off = (size_t)(tab + 1 - res_line);
	return enqueue(w, &sh);
}

/* ---- writing (the writer thread) ---- */

static void note_error(struct zs_db_writer *w, const char *what, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(w->sqlstate, sizeof(w->sqlstate), "%s", state != NULL ? state : "08000");
	zs__db_format_error(w->msg, sizeof(w->msg), w->where, what, w->conn, res);
}

/* Run a command; OUT_LOST or OUT_DATA with w->msg set on failure. */
static enum outcome command(struct zs_db_writer *w, const char *what, const char *sql,
                            PGresult **keep)
{
	PGresult *res = PQexec(w->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (keep != NULL) {
			*keep = res;
		} else {
			PQclear(res);
		}
		return OUT_OK;
	}
	note_error(w, what, res);
	enum outcome out = zs__db_conn_lost(w->conn, res) ? OUT_LOST : OUT_DATA;
	PQclear(res);
	return out;
}

/* A hash and its holder as two COPY fields: the bytea text "\x..." with its backslash escaped
 * for COPY (or NULL), a tab, the holder (or NULL). */
static int put_shared(struct zs_buf *b, const struct shared *sh)
{
	int ret = zs_buf_puts(b, sh->hashed ? "\\" : "\\N");
	ret = ret != 0 || !sh->hashed ? ret : zs_buf_puts(b, sh->sha256);
	if (sh->holder == 0) {
		return ret != 0 ? ret : zs_buf_puts(b, "\t\\N");
	}
	char holder[24];
	int n = snprintf(holder, sizeof(holder), "\t%" PRId64, sh->holder);
	return ret != 0 ? ret : zs_buf_append(b, holder, (size_t)n);
}

/*
 * A results row as sent: the fields before the raw TXT records; the records, or two NULLs when
 * a holder stores them with the facts; the facts' hash and holder; the verdicts' hash and
 * holder; then the facts, or NULL.
 */
static int put_results_row(struct zs_buf *b, struct item *it, const char *row)
{
	bool held = it->facts.holder > 0;
	int ret = zs_buf_append(b, row, held ? it->raw_off : it->facts_off);
	ret = ret != 0 || !held ? ret : zs_buf_puts(b, "\\N\t\\N\t");
	ret = ret != 0 ? ret : put_shared(b, &it->facts);
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	ret = ret != 0 ? ret : put_shared(b, &it->verd);
	ret = ret != 0 ? ret : zs_buf_putc(b, '\t');
	if (held) {
		return ret != 0 ? ret : zs_buf_puts(b, "\\N\n");
	}
	ret = ret != 0 ? ret
	               : put_facts(b, row + it->facts_off, it->res_len - it->facts_off - 1,
	                           &it->escaped);
	return ret != 0 ? ret : zs_buf_putc(b, '\n');
}

/* The digest as bytea text; left unset if OpenSSL failed (the item is then stored in full, with a
 * NULL hash). */
static void set_hash(struct shared *sh, EVP_MD_CTX *ctx)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		return;
	}
	sh->sha256[0] = '\\';
	sh->sha256[1] = 'x';
	for (unsigned k = 0; k < 32; k++) {
		sh->sha256[2 + 2 * k] = hex[md[k] >> 4];
		sh->sha256[3 + 2 * k] = hex[md[k] & 0xf];
	}
	sh->sha256[66] = '\0';
	sh->hashed = true;
}

/*
 * The SHA-256 of an item's raw TXT records (as COPY text) and facts (as the scanner wrote them),
 * stored or not together, and of its verdict rows as COPY text without their first two fields
 * (the run and the domain): what the previous run's hashes are compared with.
 */
static void hash_item(struct item *it, EVP_MD_CTX *ctx)
{
	const char *row = it->domain + strlen(it->domain) + 1;

	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, row + it->raw_off, it->res_len - it->raw_off - 1) == 1) {
		set_hash(&it->facts, ctx);
	}
	const char *p = row + it->res_len;
	const char *end = p + it->verd_len;
	bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	while (ok && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol != NULL ? eol + 1 : end;
		const char *f = memchr(p, '\t', (size_t)(eol - p));
		f = f != NULL ? memchr(f + 1, '\t', (size_t)(eol - f - 1)) : NULL;
		f = f != NULL ? f + 1 : p;
		ok = EVP_DigestUpdate(ctx, f, (size_t)(eol - f)) == 1;
		p = eol;
	}
	if (ok) {
		set_hash(&it->verd, ctx);
	}
}

/* What the previous run's row says of one shared part: its hash in column col, the run storing
 * it in col + 1. */
static void match_shared(struct shared *sh, const PGresult *res, int row, int col)
{
	int64_t holder = 0;
	if (sh->hashed && !PQgetisnull(res, row, col) &&
	    strcmp(PQgetvalue(res, row, col), sh->sha256) == 0 &&
	    zs__db_parse_i64(PQgetvalue(res, row, col + 1), &holder) == 0 && holder > 0) {
		sh->holder = holder;
	}
}

/*
 * Hash each item (once) and find the domains whose previous run has the same facts or verdicts:
 * those rows point at the run storing them instead of storing them again. A lookup that fails on
 * data costs nothing but the saving; a lost connection is the batch's.
 */
static enum outcome find_unchanged(struct zs_db_writer *w, struct item **items, size_t n)
{
	struct zs_buf *list = &w->send; /* free until the COPY that follows; reset after use */
	EVP_MD_CTX *ctx = NULL;

	for (size_t i = 0; i < n; i++) {
		items[i]->facts.holder = 0;
		items[i]->verd.holder = 0;
		if (!items[i]->facts.hashed) {
			ctx = ctx != NULL ? ctx : EVP_MD_CTX_new();
			if (ctx != NULL) {
				hash_item(items[i], ctx);
			}
		}
	}
	EVP_MD_CTX_free(ctx);
	if (w->prev_text[0] == '\0' || n == 0) {
		return OUT_OK;
	}
	/* the domains as a text[] literal, in batch order */
	zs_buf_reset(list);
	int ret = zs_buf_putc(list, '{');
	for (size_t i = 0; i < n && ret == 0; i++) {
		ret = i > 0 ? zs_buf_putc(list, ',') : 0;
		ret = ret != 0 ? ret : zs_buf_putc(list, '"');
		for (const char *p = items[i]->domain; *p != '\0' && ret == 0; p++) {
			ret = *p == '"' || *p == '\\' ? zs_buf_putc(list, '\\') : 0;
			ret = ret != 0 ? ret : zs_buf_putc(list, *p);
		}
		ret = ret != 0 ? ret : zs_buf_putc(list, '"');
	}
	ret = ret != 0 ? ret : zs_buf_putc(list, '}');
	if (ret != 0) {
		return OUT_OK;
	}
	const char *params[2] = { w->prev_text, zs_buf_cstr(list) };
	PGresult *res = PQexecParams(
	        w->conn,
	        "SELECT u.i, p.facts_sha256, coalesce(p.facts_run, p.run_id), p.verdicts_sha256, "
	        "coalesce(p.verdicts_run, p.run_id) FROM unnest($2::text[]) WITH ORDINALITY u(d, i) "
	        "JOIN results p ON p.run_id = $1::bigint AND p.domain = u.d "
	        "WHERE p.facts_sha256 IS NOT NULL OR p.verdicts_sha256 IS NOT NULL",
	        2, NULL, params, NULL, NULL, 0);
	enum outcome out = OUT_OK;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		for (int r = 0; r < PQntuples(res); r++) {
			int64_t idx = 0;
			if (zs__db_parse_i64(PQgetvalue(res, r, 0), &idx) != 0 || idx < 1 ||
			    (uint64_t)idx > n) {
				continue;
			}
			match_shared(&items[idx - 1]->facts, res, r, 1);
			match_shared(&items[idx - 1]->verd, res, r, 3);
		}
	} else if (zs__db_conn_lost(w->conn, res)) {
		note_error(w, "lookup of unchanged facts and verdicts", res);
		out = OUT_LOST;
	} else {
		zs_log_debug(ZS_LOG_DB,
		             "lookup of unchanged facts and verdicts failed, the batch stores them "
		             "all: %s",
		             PQresultErrorMessage(res));
	}
	PQclear(res);
	zs_buf_reset(list);
	return out;
}

/* COPY one part (results rows or verdict rows) of items [0, n) into a table. */
static enum outcome copy_part(struct zs_db_writer *w, const char *sql, struct item **items,
                              size_t n, bool verdicts)
{
	PGresult *res = PQexec(w->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		note_error(w, "COPY", res);
		enum outcome out = zs__db_conn_lost(w->conn, res) ? OUT_LOST : OUT_DATA;
		PQclear(res);
		return out;
	}
	PQclear(res);
	/* Rows go out in messages of about 64 KiB, as psql's \copy does: fewer messages for the
	 * server to take apart than one per domain. */
	struct zs_buf *chunk = &w->send;
	bool broken = false;
	zs_buf_reset(chunk);
	for (size_t i = 0; i < n && !broken; i++) {
		struct item *it = items[i];
		const char *rows = it->domain + strlen(it->domain) + 1;
		int ret = 0;
		if (!verdicts) {
			ret = put_results_row(chunk, it, rows);
		} else if (it->verd.holder == 0) { /* else stored with an earlier run */
			ret = zs_buf_append(chunk, rows + it->res_len, it->verd_len);
		}
		if (ret != 0) {
			broken = true; /* cannot happen: the buffer holds more than an item */
			break;
		}
		if (chunk->len >= SEND_CHUNK || i + 1 == n) {
			broken = chunk->len > 0 &&
			         PQputCopyData(w->conn, chunk->data, (int)chunk->len) != 1;
			zs_buf_reset(chunk);
		}
	}
	if (PQputCopyEnd(w->conn, NULL) != 1) {
		broken = true;
	}
	enum outcome out = OUT_OK;
	while ((res = PQgetResult(w->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && out == OUT_OK) {
			note_error(w, "COPY", res);
			out = zs__db_conn_lost(w->conn, res) ? OUT_LOST : OUT_DATA;
		}
		PQclear(res);
		if (PQstatus(w->conn) != CONNECTION_OK) {
			break;
		}
	}
	if (broken && out == OUT_OK) {
		note_error(w, "COPY", NULL);
		out = OUT_LOST;
	}
	if (out == OUT_DATA && PQstatus(w->conn) != CONNECTION_OK) {
		out = OUT_LOST;
	}
	return out;
}

static void rollback(struct zs_db_writer *w)
{
	if (PQstatus(w->conn) == CONNECTION_OK) {
		PQclear(PQexec(w->conn, "ROLLBACK"));
	}
}

static enum outcome commit(struct zs_db_writer *w)
{
	if (w->hook != NULL) {
		(void)w->hook(ZS__DB_HOOK_BEFORE_COMMIT, PQbackendPID(w->conn), w->hook_arg);
	}
	PGresult *res = NULL;
	enum outcome out = command(w, "COMMIT", "COMMIT", &res);
	if (out == OUT_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		note_error(w, "COMMIT", NULL);
		snprintf(w->msg, sizeof(w->msg), "%s: COMMIT: transaction was rolled back",
		         w->where);
		out = OUT_DATA;
	}
	PQclear(res);
	if (out == OUT_OK && w->hook != NULL &&
	    w->hook(ZS__DB_HOOK_AFTER_COMMIT, PQbackendPID(w->conn), w->hook_arg) != 0) {
		snprintf(w->msg, sizeof(w->msg), "%s: COMMIT: confirmation lost (test)", w->where);
		out = OUT_LOST;
	}
	return out;
}

/* The fast path: COPY straight into the tables. */
static enum outcome write_direct(struct zs_db_writer *w, struct item **items, size_t n)
{
	enum outcome out = find_unchanged(w, items, n);
	out = out != OUT_OK ? out : command(w, "BEGIN", "BEGIN", NULL);
	if (out == OUT_OK) {
		out = copy_part(w, "COPY results " RESULTS_COLS " FROM STDIN", items, n, false);
	}
	bool verdicts = false; /* whether any verdict row is to be stored */
	for (size_t i = 0; i < n && !verdicts; i++) {
		verdicts = items[i]->verdicts > 0 && items[i]->verd.holder == 0;
	}
	if (out == OUT_OK && verdicts) {
		out = copy_part(w, "COPY verdicts " VERDICTS_COLS " FROM STDIN", items, n, true);
	}
	if (out == OUT_OK) {
		out = commit(w);
		if (out == OUT_OK) {
			for (size_t i = 0; i < n; i++) {
				const struct item *it = items[i];
				w->stats.verdicts += it->verd.holder > 0 ? 0 : it->verdicts;
				w->stats.facts_unchanged += it->facts.holder > 0;
				w->stats.verdicts_unchanged += it->verd.holder > 0;
				items[i]->done = true;
			}
			w->stats.results += n;
		}
		return out;
	}
	rollback(w);
	return out;
}

/* The safe path: staging tables and INSERT ... ON CONFLICT DO NOTHING. */
static enum outcome write_staged(struct zs_db_writer *w, struct item **items, size_t n)
{
	PGresult *res = NULL;
	enum outcome out = OUT_OK;

	if (!w->staging_ready) {
		out = command(w, "create staging tables",
		              "CREATE TEMP TABLE IF NOT EXISTS zs_stage_results "
		              "(LIKE results INCLUDING DEFAULTS) ON COMMIT DELETE ROWS; "
		              "CREATE TEMP TABLE IF NOT EXISTS zs_stage_verdicts "
		              "(LIKE verdicts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
		              NULL);
		if (out != OUT_OK) {
			return out;
		}
		w->staging_ready = true;
	}
	out = find_unchanged(w, items, n);
	out = out != OUT_OK ? out : command(w, "BEGIN", "BEGIN", NULL);
	if (out == OUT_OK) {
		out = copy_part(w, "COPY zs_stage_results " RESULTS_COLS " FROM STDIN", items, n,
		                false);
	}
	if (out == OUT_OK) {
		out = copy_part(w, "COPY zs_stage_verdicts " VERDICTS_COLS " FROM STDIN", items, n,
		                true);
	}
	if (out == OUT_OK) {
		out = command(w, "store staged rows",
		              "WITH r AS (INSERT INTO results SELECT * FROM zs_stage_results "
		              "ON CONFLICT DO NOTHING RETURNING domain, facts_run, verdicts_run), "
		              "v AS (INSERT INTO verdicts SELECT s.* FROM zs_stage_verdicts s "
		              "WHERE s.domain IN (SELECT domain FROM r) "
		              "ON CONFLICT DO NOTHING RETURNING 1) "
		              "SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM v), "
		              "(SELECT count(*) FROM r WHERE facts_run IS NOT NULL), "
		              "(SELECT count(*) FROM r WHERE verdicts_run IS NOT NULL)",
		              &res);
	}
	if (out == OUT_OK) {
		int64_t nr = 0;
		int64_t nv = 0;
		int64_t nf = 0;
		int64_t nu = 0;
		(void)zs__db_parse_i64(PQgetvalue(res, 0, 0), &nr);
		(void)zs__db_parse_i64(PQgetvalue(res, 0, 1), &nv);
		(void)zs__db_parse_i64(PQgetvalue(res, 0, 2), &nf);
		(void)zs__db_parse_i64(PQgetvalue(res, 0, 3), &nu);
		PQclear(res);
		out = commit(w);
		if (out == OUT_OK) {
			for (size_t i = 0; i < n; i++) {
				items[i]->done = true;
			}
			w->stats.results += (uint64_t)nr;
			w->stats.verdicts += (uint64_t)nv;
			w->stats.facts_unchanged += (uint64_t)nf;
			w->stats.verdicts_unchanged += (uint64_t)nu;
			w->stats.duplicates += n - (uint64_t)nr;
		}
		return out;
	}
	rollback(w);
	return out;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Reconnect with exponential backoff until give_up_ms. A sweep's connection holds its TLD's
 * lock, which went with the lost session: the new one takes it again before anything else is
 * written, or the writer stops (another sweep took the TLD meanwhile).
 * @return 0, ZS_ERR_DB or ZS_ERR_LOCKED (w->msg says why)
 */
static int reconnect(struct zs_db_writer *w)
{
	char err[ZS__DB_MSG_MAX];
	uint64_t deadline = now_ms() + w->opts.give_up_ms;
	unsigned delay = BACKOFF_FIRST_MS;

	zs_log_warn(ZS_LOG_DB, "%s", w->msg);
	for (;;) {
		PQfinish(w->conn);
		w->conn = NULL;
		w->staging_ready = false;
		int ret = zs__db_connect(w->conninfo, &w->conn, w->where, sizeof(w->where), err,
		                         sizeof(err));
		if (ret == 0 && w->lock_tld != 0) {
			uint64_t now = now_ms();
			unsigned wait = deadline > now ? (unsigned)(deadline - now) : 1;
			ret = zs__db_relock(w->conn, w->where, w->lock_tld, w->run_id, wait, err,
			                    sizeof(err));
		}
		if (ret == 0) {
			w->stats.reconnects++;
			zs_log_info(ZS_LOG_DB, "%s: writer reconnected", w->where);
			return 0;
		}
		if (ret == ZS_ERR_LOCKED) {
			snprintf(w->msg, sizeof(w->msg), "%s", err);
			return ret;
		}
		if (now_ms() + delay > deadline) {
			snprintf(w->msg, sizeof(w->msg), "%.900s (giving up after %u ms)", err,
			         w->opts.give_up_ms);
			return ZS_ERR_DB;
		}
		zs_log_debug(ZS_LOG_DB, "%s; retrying in %u ms", err, delay);
		sleep_ms(delay);
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
}

/* Put one refused result in quarantine (retrying across reconnects). */
static int quarantine(struct zs_db_writer *w, struct item *it)
{
	struct zs_buf row;
	struct zs_buf dom;
	const char *rows = it->domain + strlen(it->domain) + 1;
	size_t len = it->res_len + it->verd_len;
	int ret = 0;

	zs_buf_init(&row, (size_t)ITEM_MAX * 4);
	zs_buf_init(&dom, 64 * 1024);
	if (zs__db_text_ok(rows, len)) {
		ret = zs_buf_append(&row, rows, len);
	} else {
		ret = zs_escape_data(&row, rows, len);
	}
	if (zs__db_text_ok(it->domain, strlen(it->domain))) {
		ret = ret != 0 ? ret : zs_buf_puts(&dom, it->domain);
	} else {
		ret = ret != 0 ? ret : zs_escape_data(&dom, it->domain, strlen(it->domain));
	}
	zs_log_warn(ZS_LOG_DB, "%s: row quarantined: %s", zs_buf_cstr(&dom), w->msg);
	const char *params[5] = { w->run_text, zs_buf_cstr(&dom), w->sqlstate, w->msg,
		                  zs_buf_cstr(&row) };
	for (;;) {
		PGresult *res =
		        PQexecParams(w->conn,
		                     "INSERT INTO quarantine (run_id, domain, sqlstate, error, "
		                     "row_data) VALUES ($1::bigint, $2, $3, $4, $5)",
		                     5, NULL, params, NULL, NULL, 0);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		bool lost = !ok && zs__db_conn_lost(w->conn, res);
		if (!ok) {
			note_error(w, "quarantine", res);
		}
		PQclear(res);
		if (ok) {
			w->stats.quarantined++;
			it->done = true;
			it->quarantined = true;
			break;
		}
		if (!lost) {
			zs_log_error(ZS_LOG_DB, "%s", w->msg); /* counted lost: not done */
			break;
		}
		ret = reconnect(w);
		if (ret != 0) {
			break;
		}
	}
	zs_buf_deinit(&row);
	zs_buf_deinit(&dom);
	return ret;
}

/* Whether the last failure was about the rows themselves (a data exception or a violated
 * constraint: SQLSTATE classes 22 and 23), as opposed to the database's state (permissions,
 * disk full, too many connections...), which no bisection can help. */
static bool row_error(const struct zs_db_writer *w)
{
	return strncmp(w->sqlstate, "22", 2) == 0 || strncmp(w->sqlstate, "23", 2) == 0;
}

/* The safe path with bisection. A failure that is not the rows' fault is retried with backoff
 * until give_up_ms, as a lost connection. @return 0 (stored or quarantined) or ZS_ERR_DB */
static int write_safe(struct zs_db_writer *w, struct item **items, size_t n)
{
	uint64_t deadline = 0;
	unsigned delay = BACKOFF_FIRST_MS;
	for (;;) {
		enum outcome out = write_staged(w, items, n);
		if (out == OUT_OK) {
			return 0;
		}
		if (out == OUT_LOST) {
			int ret = reconnect(w);
			if (ret != 0) {
				return ret;
			}
			continue;
		}
		if (!row_error(w)) {
			if (deadline == 0) {
				zs_log_warn(ZS_LOG_DB, "%s (retrying)", w->msg);
				deadline = now_ms() + w->opts.give_up_ms;
			}
			if (now_ms() + delay > deadline) {
				size_t len = strlen(w->msg);
				snprintf(w->msg + len, sizeof(w->msg) - len,
				         " (giving up after %u ms)", w->opts.give_up_ms);
				return ZS_ERR_DB;
			}
			sleep_ms(delay);
			delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
			continue;
		}
		if (n == 1) {
			return quarantine(w, items[0]);
		}
		int ret = write_safe(w, items, n / 2);
		return ret != 0 ? ret : write_safe(w, items + n / 2, n - n / 2);
	}
}

static int write_batch(struct zs_db_writer *w, struct item **items, size_t n)
{
	enum outcome out = OUT_LOST;
	uint64_t start = now_ms();
	if (w->conn != NULL) {
		out = write_direct(w, items, n);
	}
	if (out == OUT_OK) {
		w->stats.batches++;
		zs_log_debug(ZS_LOG_DB, "batch of %zu results stored in %llu ms", n,
		             (unsigned long long)(now_ms() - start));
		return 0;
	}
	if (out == OUT_LOST) {
		int ret = reconnect(w);
		if (ret != 0) {
			return ret;
		}
	} else {
		zs_log_debug(ZS_LOG_DB, "batch of %zu refused, retrying row by row: %s", n, w->msg);
	}
	w->stats.retries++;
	int ret = write_safe(w, items, n);
	if (ret == 0) {
		w->stats.batches++;
	}
	return ret;
}

static void *writer_main(void *arg)
{
	struct zs_db_writer *w = arg;
	struct item **batch = zs_calloc(w->opts.batch_max, sizeof(*batch));

	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->count == 0 && w->stopping) {
			break;
		}
		if (w->count == 0) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		if (w->count < w->opts.batch_max && !w->stopping) {
			/* Let a batch fill up, but not for longer than flush_ms. */
			struct timespec dl;
			clock_gettime(CLOCK_MONOTONIC, &dl);
			dl.tv_sec += w->opts.flush_ms / 1000;
			dl.tv_nsec += (long)(w->opts.flush_ms % 1000) * 1000000L;
			if (dl.tv_nsec >= 1000000000L) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000L;
			}
			int rc = 0;
			while (w->count < w->opts.batch_max && !w->stopping && rc != ETIMEDOUT) {
				rc = pthread_cond_timedwait(&w->cv, &w->mu, &dl);
			}
		}
		size_t n = 0;
		while (n < w->opts.batch_max && w->head != NULL) {
			batch[n++] = w->head;
			w->head = w->head->next;
		}
		if (w->head == NULL) {
			w->tail = NULL;
		}
		w->count -= n;
		bool wake = w->want_wake;
		w->want_wake = false;
		int failed = w->failed;
		pthread_mutex_unlock(&w->mu);

		if (wake && w->opts.wake != NULL) {
			w->opts.wake(w->opts.wake_arg);
		}
		if (failed == 0) {
			failed = write_batch(w, batch, n);
			if (failed != 0) {
				zs_log_error(ZS_LOG_DB, "%s", w->msg);
			}
		}
		size_t freed = 0;
		for (size_t i = 0; i < n; i++) {
			const struct item *it = batch[i];
			if (it->done && !it->quarantined && it->status >= 0) {
				w->stats.stored[it->status]++;
			}
			w->stats.lost += batch[i]->done ? 0 : 1;
			w->stats.escaped += batch[i]->escaped;
			freed += batch[i]->size;
			zs_free(batch[i]);
		}

		pthread_mutex_lock(&w->mu);
		w->bytes -= freed;
		/* the batch's bytes are free: a push refused for them may go through now */
		wake = w->want_wake;
		w->want_wake = false;
		if (failed != 0 && w->failed == 0) {
			w->failed = failed;
			wake = true; /* the caller must notice */
		}
		if (wake && w->opts.wake != NULL) {
			pthread_mutex_unlock(&w->mu);
			w->opts.wake(w->opts.wake_arg);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	zs_free(batch);
	return NULL;
}

/* Give the caller's connection back: the session the writer ends with, which holds the TLD's
 * lock unless another sweep took it. */
static void give_back(struct zs_db_writer *w)
{
	struct zs_db *db = w->db;
	if (db == NULL) {
		return;
	}
	db->conn = w->conn;
	db->writer_open = false;
	w->conn = NULL;
	w->db = NULL;
	if (w->failed == ZS_ERR_LOCKED) {
		db->lock_lost = true;
		snprintf(db->err, sizeof(db->err), "%s", w->msg);
	}
}

static void writer_free(struct zs_db_writer *w)
{
	struct item *it = w->head;
	while (it != NULL) {
		struct item *next = it->next;
		zs_free(it);
		it = next;
	}
	give_back(w);
	PQfinish(w->conn);
	zs_buf_deinit(&w->scratch);
	zs_buf_deinit(&w->dom);
	zs_buf_deinit(&w->quoted);
	zs_buf_deinit(&w->clean);
	zs_buf_deinit(&w->send);
	zs_free(w->conninfo);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	zs_free(w);
}

int zs_db_writer_new(struct zs_db *db, int64_t run_id, const struct zs_db_writer_opts *opts,
                     struct zs_db_writer **out)
{
	struct zs_db_writer *w = zs_calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int ret = 0;

	if (opts != NULL) {
		w->opts = *opts;
	}
	w->opts.queue_max = w->opts.queue_max != 0 ? w->opts.queue_max : DEFAULT_QUEUE_MAX;
	w->opts.queue_bytes = w->opts.queue_bytes != 0 ? w->opts.queue_bytes : DEFAULT_QUEUE_BYTES;
	w->opts.batch_max = w->opts.batch_max != 0 ? w->opts.batch_max : DEFAULT_BATCH_MAX;
	w->opts.flush_ms = w->opts.flush_ms != 0 ? w->opts.flush_ms : DEFAULT_FLUSH_MS;
	w->opts.give_up_ms = w->opts.give_up_ms != 0 ? w->opts.give_up_ms : DEFAULT_GIVE_UP_MS;
	w->run_id = run_id;
	snprintf(w->run_text, sizeof(w->run_text), "%" PRId64, run_id);
	w->run_text_len = strlen(w->run_text);
	w->conninfo = zs_strdup(db->conninfo);
	zs_buf_init(&w->scratch, ITEM_MAX);
	zs_buf_init(&w->dom, 64 * 1024);
	zs_buf_init(&w->quoted, ITEM_MAX);
	zs_buf_init(&w->clean, ITEM_MAX);
	zs_buf_init(&w->send, (size_t)ITEM_MAX + SEND_CHUNK);
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);

	/* The writer takes the caller's session: the one holding the TLD's lock, so that the rows
	 * are only ever written under it. */
	ret = zs__db_ensure(db);
	if (ret != 0) {
		goto fail;
	}
	w->conn = db->conn;
	w->db = db;
	w->lock_tld = db->lock_tld;
	snprintf(w->where, sizeof(w->where), "%s", db->where);
	db->conn = NULL;
	db->writer_open = true;
	/* the run must be running; the TLD's run before it is where unchanged facts point */
	const char *param = w->run_text;
	PGresult *res = PQexecParams(
	        w->conn,
	        "SELECT r.status, (SELECT max(p.id) FROM runs p WHERE p.tld_id = r.tld_id "
	        "AND p.id < r.id) FROM runs r WHERE r.id = $1::bigint",
	        1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		zs__db_format_error(db->err, sizeof(db->err), w->where, "start writer", w->conn,
		                    res);
		PQclear(res);
		ret = ZS_ERR_DB;
		goto fail;
	}
	bool running = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "running") == 0;
	if (running && !PQgetisnull(res, 0, 1)) {
		snprintf(w->prev_text, sizeof(w->prev_text), "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (!running) {
		ret = zs__db_failf(db, ZS_ERR_USAGE, "%s: run %" PRId64 " is not running", w->where,
		                   run_id);
		goto fail;
	}
	ret = pthread_create(&w->thread, NULL, writer_main, w);
	if (ret != 0) {
		ret = zs__db_failf(db, -ret, "cannot start the database writer: %s", strerror(ret));
		goto fail;
	}
	w->started = true;
	*out = w;
	return 0;
fail:
	writer_free(w);
	return ret;
}

void zs__db_writer_set_hook(struct zs_db_writer *w, zs__db_hook hook, void *arg)
{
	w->hook = hook;
	w->hook_arg = arg;
}

int zs_db_writer_status(struct zs_db_writer *w)
{
	pthread_mutex_lock(&w->mu);
	int ret = w->failed;
	pthread_mutex_unlock(&w->mu);
	return ret;
}

int zs_db_writer_finish(struct zs_db_writer *w, struct zs_db_writer_stats *stats)
{
	if (w == NULL) {
		return 0;
	}
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started) {
		pthread_join(w->thread, NULL);
	}
	int ret = w->failed;
	if (stats != NULL) {
		*stats = w->stats;
		stats->pushed = w->pushed;
		stats->full = w->full;
		stats->peak_bytes = w->peak_bytes;
	}
	writer_free(w);
	return ret;
}

int zs_db_writer_stats_json(const struct zs_db_writer_stats *st, struct zs_buf *out)
{
	struct zs_json j;
	zs_json_init(&j, out);
	zs_json_obj_begin(&j);
	zs_json_kint(&j, "pushed", (long long)st->pushed);
	zs_json_kint(&j, "results", (long long)st->results);
	zs_json_kint(&j, "verdicts", (long long)st->verdicts);
	zs_json_kint(&j, "duplicates", (long long)st->duplicates);
	zs_json_kint(&j, "facts_unchanged", (long long)st->facts_unchanged);
	zs_json_kint(&j, "verdicts_unchanged", (long long)st->verdicts_unchanged);
	zs_json_kint(&j, "escaped", (long long)st->escaped);
	zs_json_kint(&j, "quarantined", (long long)st->quarantined);
	zs_json_kint(&j, "lost", (long long)st->lost);
	zs_json_kint(&j, "batches", (long long)st->batches);
	zs_json_kint(&j, "retries", (long long)st->retries);
	zs_json_kint(&j, "reconnects", (long long)st->reconnects);
	zs_json_kint(&j, "full", (long long)st->full);
	zs_json_kint(&j, "peak_bytes", (long long)st->peak_bytes);
	zs_json_obj_end(&j);
	return zs_json_error(&j);
}
