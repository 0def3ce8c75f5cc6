/* SPDX-License-Identifier: MIT */
/*
 * The run report. The summary is read first (a handful of aggregate queries), then the rows
 * are streamed from a cursor (db/report_query.h) and written one at a time through a line
 * buffer, so memory does not grow with the run. CSV columns: domain, status, status_since,
 * status_since_run, mail, warnings, one column per rule of the run (its verdict), then the key
 * facts. A report and its summary file are published together: both are written under
 * temporary names and renamed only when both are whole.
 */
#include "reports/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reports/csv.h"
#include "reports/html.h"
#include "reports/output.h"
#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/policy/ruleset.h"

static const char *const format_names[ZS_REPORT_FORMAT_COUNT_] = { "csv", "jsonl", "json", "html" };

const char *zs_report_format_name(enum zs_report_format f)
{
	ZS_REQUIRE((unsigned)f < ZS_REPORT_FORMAT_COUNT_);
	return format_names[f];
}

int zs_report_format_parse(const char *name, enum zs_report_format *out)
{
	for (int i = 0; i < ZS_REPORT_FORMAT_COUNT_; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum zs_report_format)i;
			return 0;
		}
	}
	return ZS_ERR_USAGE;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

int zs_report_format_of_name(const char *path, enum zs_report_format *out)
{
	size_t n = strlen(path);
	if (ends_with(path, n, ".gz")) {
		n -= 3;
	}
	for (int i = 0; i < ZS_REPORT_FORMAT_COUNT_; i++) {
		char ext[16];
		snprintf(ext, sizeof(ext), ".%s", format_names[i]);
		if (ends_with(path, n, ext)) {
			*out = (enum zs_report_format)i;
			return 0;
		}
	}
	if (ends_with(path, n, ".htm")) {
		*out = ZS_REPORT_HTML;
		return 0;
	}
	return ZS_ERR_NOTFOUND;
}

int zs_report_summary_path(const char *path, enum zs_report_format f, bool compressed,
                           struct zs_buf *out)
{
	size_t n = strlen(path);
	if (ends_with(path, n, ".gz")) {
		n -= 3;
	}
	if (ends_with(path, n, ".csv")) {
		n -= 4;
	} else if (ends_with(path, n, ".jsonl")) {
		n -= 6;
	}
	int ret = zs_buf_append(out, path, n);
	ret = ret != 0 ? ret
	               : zs_buf_puts(out, f == ZS_REPORT_CSV ? ".summary.csv" : ".summary.json");
	return ret != 0 || !compressed ? ret : zs_buf_puts(out, ".gz");
}

/* ---- rows ------------------------------------------------------------------------------- */

struct report {
	const struct zs_report_opts *o;
	struct zs_report_meta meta;
	struct zs_db_report_summary *s;
	struct zs_out *out;
	struct zs_buf line;
	struct zs_report_stats stats;
};

static int csv_header(struct report *r)
{
	static const char *const fixed[] = { "domain",           "status", "status_since",
		                             "status_since_run", "mail",   "warnings" };
	int ret = 0;

	zs_buf_reset(&r->line);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && ret == 0; i++) {
		ret = zs_csv_cell_str(&r->line, i == 0, fixed[i]);
	}
	for (size_t i = 0; i < r->s->rule_count && ret == 0; i++) {
		ret = zs_csv_cell_str(&r->line, false, r->s->rules[i].rule);
	}
	for (int f = 0; f < ZS_DB_FACT_COUNT_ && ret == 0; f++) {
		ret = zs_csv_cell_str(&r->line, false, zs_db_fact_name((enum zs_db_fact)f));
	}
	ret = ret != 0 ? ret : zs_buf_puts(&r->line, "\r\n");
	return ret != 0 ? ret : zs_out_write(r->out, r->line.data, r->line.len);
}

static int csv_row(struct report *r, const struct zs_db_report_row *row)
{
	char num[64];
	size_t hint = 0;
	int ret = 0;

	zs_buf_reset(&r->line);
	ret = zs_csv_cell_str(&r->line, true, row->domain);
	ret = ret != 0 ? ret : zs_csv_cell_str(&r->line, false, zs_db_status_name(row->status));
	ret = ret != 0 ? ret
	               : zs_csv_cell_str(&r->line, false,
	                                 zs_text_time(num, sizeof(num), row->since_at, 0));
	if (ret == 0) {
		snprintf(num, sizeof(num), "%" PRId64, row->since_run);
		ret = zs_csv_cell_str(&r->line, false, num);
	}
	ret = ret != 0 ? ret : zs_csv_cell_str(&r->line, false, zs_db_mail_name(row->mail));
	if (ret == 0) {
		snprintf(num, sizeof(num), "%u", row->warnings);
		ret = zs_csv_cell_str(&r->line, false, num);
	}
	for (size_t i = 0; i < r->s->rule_count && ret == 0; i++) {
		const struct zs_db_verdict_row *v =
		        zs_report_find_verdict(row, r->s->rules[i].rule, &hint);
		ret = zs_csv_cell_str(&r->line, false,
		                      v != NULL ? zs_db_verdict_name(v->verdict) : NULL);
	}
	for (int f = 0; f < ZS_DB_FACT_COUNT_ && ret == 0; f++) {
		ret = zs_csv_cell_shown(&r->line, false, row->facts[f]);
	}
	ret = ret != 0 ? ret : zs_buf_puts(&r->line, "\r\n");
	return ret != 0 ? ret : zs_out_write(r->out, r->line.data, r->line.len);
}

static void json_row(struct zs_json *j, const struct zs_db_report_row *row)
{
	char t[64];

	zs_json_obj_begin(j);
	zs_json_kstr(j, "domain", row->domain);
	zs_json_kstr(j, "status", zs_db_status_name(row->status));
	zs_json_kstr(j, "status_since", zs_text_time(t, sizeof(t), row->since_at, 0));
	zs_json_kint(j, "status_since_run", row->since_run);
	zs_json_kstr(j, "mail", zs_db_mail_name(row->mail));
	zs_json_kint(j, "warnings", row->warnings);
	zs_json_key(j, "rules");
	zs_json_obj_begin(j);
	for (size_t i = 0; i < row->verdict_count; i++) {
		zs_json_key(j, row->verdicts[i].rule);
		zs_json_obj_begin(j);
		zs_json_kstr(j, "verdict", zs_db_verdict_name(row->verdicts[i].verdict));
		zs_report_json_ktext(j, "reason", row->verdicts[i].reason);
		zs_json_obj_end(j);
	}
	zs_json_obj_end(j);
	zs_json_key(j, "facts");
	zs_json_obj_begin(j);
	for (int f = 0; f < ZS_DB_FACT_COUNT_; f++) {
		zs_report_json_fact(j, (enum zs_db_fact)f, row->facts[f]);
	}
	zs_json_obj_end(j);
	zs_json_obj_end(j);
}

static int write_row(struct report *r, const struct zs_db_report_row *row)
{
	struct zs_json j;
	int ret = 0;

	switch (r->o->format) {
	case ZS_REPORT_CSV:
		return csv_row(r, row);
	case ZS_REPORT_JSONL:
	case ZS_REPORT_JSON:
		zs_buf_reset(&r->line);
		if (r->o->format == ZS_REPORT_JSON && r->stats.domains > 0) {
			ret = zs_buf_putc(&r->line, ',');
		}
		zs_json_init(&j, &r->line);
		json_row(&j, row);
		ret = ret != 0 ? ret : zs_json_error(&j);
		ret = ret != 0 ? ret : zs_buf_putc(&r->line, '\n');
		break;
	case ZS_REPORT_HTML:
		zs_buf_reset(&r->line);
		ret = zs_html_table_row(&r->line, r->s, row);
		break;
	case ZS_REPORT_FORMAT_COUNT_:
		return ZS_ERR_USAGE;
	}
	return ret != 0 ? ret : zs_out_write(r->out, r->line.data, r->line.len);
}

/* What comes before the rows. */
static int write_head(struct report *r)
{
	struct zs_json j;
	int ret = 0;

	zs_buf_reset(&r->line);
	switch (r->o->format) {
	case ZS_REPORT_CSV:
		return csv_header(r);
	case ZS_REPORT_JSONL:
		return 0;
	case ZS_REPORT_JSON:
		zs_json_init(&j, &r->line);
		ret = zs_buf_puts(&r->line, "{\"summary\":");
		zs_report_summary_json(&j, r->s, &r->meta);
		ret = ret != 0 ? ret : zs_json_error(&j);
		ret = ret != 0 ? ret : zs_buf_puts(&r->line, ",\n\"domains\":[\n");
		break;
	case ZS_REPORT_HTML:
		ret = zs_html_page_begin(&r->line, r->meta.title);
		ret = ret != 0 ? ret : zs_html_summary(&r->line, r->s, &r->meta);
		ret = ret != 0 ? ret : zs_html_table_begin(&r->line, r->s, &r->meta);
		break;
	case ZS_REPORT_FORMAT_COUNT_:
		return ZS_ERR_USAGE;
	}
	return ret != 0 ? ret : zs_out_write(r->out, r->line.data, r->line.len);
}

/* What comes after them. */
static int write_tail(struct report *r)
{
	int ret = 0;

	zs_buf_reset(&r->line);
	if (r->o->format == ZS_REPORT_JSON) {
		ret = zs_buf_puts(&r->line, "]}\n");
	} else if (r->o->format == ZS_REPORT_HTML) {
		ret = zs_html_table_end(&r->line, (unsigned long long)r->stats.domains);
		ret = ret != 0 ? ret : zs_html_page_end(&r->line);
	}
	return ret != 0 || r->line.len == 0 ? ret : zs_out_write(r->out, r->line.data, r->line.len);
}

static int write_summary_file(struct report *r, struct zs_out *o)
{
	struct zs_json j;
	int ret = 0;

	if (r->o->format == ZS_REPORT_CSV) {
		return zs_report_summary_csv(o, r->s, &r->meta);
	}
	zs_buf_reset(&r->line);
	zs_json_init(&j, &r->line);
	zs_report_summary_json(&j, r->s, &r->meta);
	ret = zs_json_error(&j);
	ret = ret != 0 ? ret : zs_buf_putc(&r->line, '\n');
	return ret != 0 ? ret : zs_out_write(o, r->line.data, r->line.len);
}

/* The rows, from the cursor to the file. */
static int write_rows(struct zs_db *db, struct report *r)
{
	struct zs_db_report_cursor *cur = NULL;
	const struct zs_db_report_row *row = NULL;
	int ret = zs_db_report_open(db, r->s->run->id, NULL, 0, NULL, &cur);

	while (ret == 0 && (ret = zs_db_report_next(cur, &row)) == 0) {
		ret = write_row(r, row);
		if (ret == 0) {
			r->stats.domains++;
			r->stats.n[row->status]++;
		}
	}
	zs_db_report_close(cur);
	return ret == ZS_ERR_EOF ? 0 : ret;
}

int zs_report_run(struct zs_db *db, int64_t run_id, const char *path,
                  const struct zs_report_opts *o, struct zs_report_stats *stats)
{
	struct zs_db_summary_opts so = {
		.trend_runs = o->trend_runs > 0 ? o->trend_runs : 10,
		.trend_from = o->trend_from,
		.trend_to = o->trend_to,
		.change_list_max = o->change_list_max > 0 ? o->change_list_max : 100,
	};
	struct report r = { .o = o };
	struct zs_policy *own_policy = NULL;
	struct zs_out *sum_out = NULL;
	struct zs_buf title;
	struct zs_buf sum_path;
	int ret = 0;

	ZS_REQUIRE(o->now > 0 && (unsigned)o->format < ZS_REPORT_FORMAT_COUNT_);
	ret = zs_db_report_summary_load(db, run_id, &so, &r.s);
	if (ret != 0) {
		return ret;
	}
	zs_buf_init(&title, 4096);
	zs_buf_init(&sum_path, 8192);
	zs_buf_init(&r.line, 256 * 1024 * 1024);
	r.meta.now = o->now;
	r.meta.period = o->period;
	r.meta.period_label = o->period_label;
	r.meta.policy = o->policy;
	if (r.meta.policy == NULL && zs_policy_load(r.s->run->policy, &own_policy, NULL) == 0) {
		r.meta.policy = own_policy; /* titles only: a built-in policy of that name */
	}
	if (o->title != NULL) {
		(void)zs_buf_puts(&title, o->title);
	} else {
		(void)zs_buf_printf(&title, ".%s compliance report, run %" PRId64, r.s->run->tld,
		                    run_id);
	}
	r.meta.title = zs_buf_cstr(&title);

	ret = zs_out_open(path, o->out_flags, &r.out);
	bool side = ret == 0 && !o->no_summary_file && strcmp(path, "-") != 0 &&
	            (o->format == ZS_REPORT_CSV || o->format == ZS_REPORT_JSONL);
	if (side) {
		bool gz = (o->out_flags & ZS_OUT_PLAIN) == 0 && zs_out_name_wants_gzip(path);
		ret = zs_report_summary_path(path, o->format, gz, &sum_path);
		ret = ret != 0 ? ret : zs_out_open(zs_buf_cstr(&sum_path), o->out_flags, &sum_out);
		ret = ret != 0 ? ret : write_summary_file(&r, sum_out);
	}
	ret = ret != 0 ? ret : write_head(&r);
	ret = ret != 0 ? ret : write_rows(db, &r);
	ret = ret != 0 ? ret : write_tail(&r);
	if (ret == 0) {
		ret = zs_out_commit(r.out);
		r.out = NULL;
	}
	if (ret == 0 && sum_out != NULL) {
		ret = zs_out_commit(sum_out);
		sum_out = NULL;
		if (ret != 0) {
			(void)unlink(path); /* a report without its summary is not published */
		}
	}
	zs_out_abort(r.out);
	zs_out_abort(sum_out);
	if (ret == 0 && stats != NULL) {
		r.stats.run_status = r.s->run->status;
		r.stats.run_id = run_id;
		*stats = r.stats;
	}
	zs_policy_free(own_policy);
	zs_db_report_summary_free(r.s);
	zs_buf_deinit(&r.line);
	zs_buf_deinit(&title);
	zs_buf_deinit(&sum_path);
	return ret;
}

/* ---- periods ---------------------------------------------------------------------------- */

static const char *const period_names[] = { "daily", "weekly", "monthly" };

int zs_report_period_parse(const char *name, enum zs_report_period *out)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, period_names[i]) == 0) {
			*out = (enum zs_report_period)i;
			return 0;
		}
	}
	return ZS_ERR_USAGE;
}

const char *zs_report_period_name(enum zs_report_period p)
{
	ZS_REQUIRE((unsigned)p < 3);
	return period_names[p];
}

void zs_report_period_bounds(enum zs_report_period p, int64_t t, int64_t *from, int64_t *to,
                             char *label, size_t label_len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	(void)gmtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	switch (p) {
	case ZS_PERIOD_DAILY:
		*from = (int64_t)timegm(&tm);
		*to = *from + 86400;
		(void)strftime(label, label_len, "%Y-%m-%d", &tm);
		break;
	case ZS_PERIOD_WEEKLY: {
		int back = (tm.tm_wday + 6) % 7; /* days since Monday */
		*from = (int64_t)timegm(&tm) - (int64_t)back * 86400;
		*to = *from + 7 * 86400;
		(void)strftime(label, label_len, "%G-W%V", &tm);
		break;
	}
	case ZS_PERIOD_MONTHLY:
		tm.tm_mday = 1;
		*from = (int64_t)timegm(&tm);
		(void)strftime(label, label_len, "%Y-%m", &tm);
		tm.tm_mon += 1; /* timegm() normalises December + 1 (in tm too) */
		*to = (int64_t)timegm(&tm);
		break;
	}
}

int zs_report_period(struct zs_db *db, enum zs_report_period p, int64_t t, const char *tld,
                     const char *dir, const enum zs_report_format *formats, size_t nformats,
                     const struct zs_report_opts *o, FILE *log, size_t *written)
{
	struct zs_db_period_run *runs = NULL;
	size_t count = 0;
	int64_t from = 0;
	int64_t to = 0;
	char label[32];
	int first_err = 0;

	*written = 0;
	zs_report_period_bounds(p, t, &from, &to, label, sizeof(label));
	int ret = zs_db_report_period_runs(db, tld, from, to, &runs, &count);
	if (ret != 0) {
		return ret;
	}
	if (count == 0) {
		fprintf(log, "zonesweep: no complete run of %s started in the %s period %s\n",
		        tld != NULL ? tld : "any TLD", period_names[p], label);
		return ZS_ERR_NOTFOUND;
	}
	for (size_t i = 0; i < count; i++) {
		for (size_t f = 0; f < nformats; f++) {
			struct zs_report_opts ro = *o;
			struct zs_buf path;
			struct zs_buf title;
			zs_buf_init(&path, 8192);
			zs_buf_init(&title, 1024);
			(void)zs_buf_printf(&path, "%s/%s-%s-%s.%s.gz", dir, runs[i].tld,
			                    period_names[p], label, format_names[formats[f]]);
			(void)zs_buf_printf(&title, ".%s %s compliance report %s", runs[i].tld,
			                    period_names[p], label);
			ro.format = formats[f];
			ro.trend_from = from;
			ro.trend_to = to;
			ro.title = zs_buf_cstr(&title);
			ro.period = period_names[p];
			ro.period_label = label;
			ret = zs_report_run(db, runs[i].run_id, zs_buf_cstr(&path), &ro, NULL);
			if (ret == 0) {
				(*written)++;
				fprintf(log, "zonesweep: %s: run %" PRId64 " of .%s\n",
				        zs_buf_cstr(&path), runs[i].run_id, runs[i].tld);
			} else {
				fprintf(log, "zonesweep: %s: %s%s\n", zs_buf_cstr(&path),
				        ret == ZS_ERR_DB ? zs_db_error(db) : zs_err_str(ret),
				        ret == -EEXIST ? " (not overwritten; use --overwrite)"
				                       : "");
				first_err = first_err != 0 ? first_err : ret;
			}
			zs_buf_deinit(&path);
			zs_buf_deinit(&title);
		}
	}
	zs_free(runs);
	return first_err;
}
