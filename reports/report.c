/* SPDX-License-Identifier: MIT */
/*
 * The per-domain run report. CSV follows RFC 4180 with formula neutralisation (csv.h); its
 * columns are the domain, status, mail kind, warning count, the run since which the domain has
 * had its status, and one column per rule of the run's policy (the rules of the first row: the
 * policy evaluation gives every domain the same rule set).
 */
#include "reports/report.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db/reader.h"
#include "reports/csv.h"
#include "reports/output.h"
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"

struct report_ctx {
	struct zs_out *out;
	struct zs_buf line;
	enum zs_report_format format;
	char **rules; /* the rule columns, from the first row */
	size_t rule_count;
	struct zs_report_stats stats;
};

static int csv_header(struct report_ctx *c, const struct zs_db_row *row)
{
	static const char *const fixed[] = { "domain", "status", "mail", "warnings",
		                             "status_since_run" };
	int ret = 0;

	c->rule_count = row->verdict_count;
	c->rules = zs_calloc(c->rule_count, sizeof(*c->rules));
	zs_buf_reset(&c->line);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && ret == 0; i++) {
		ret = zs_csv_cell_str(&c->line, i == 0, fixed[i]);
	}
	for (size_t i = 0; i < c->rule_count && ret == 0; i++) {
		c->rules[i] = zs_strdup(row->verdicts[i].rule);
		ret = zs_csv_cell_str(&c->line, false, c->rules[i]);
	}
	if (ret == 0) {
		ret = zs_buf_puts(&c->line, "\r\n");
	}
	return ret != 0 ? ret : zs_out_write(c->out, c->line.data, c->line.len);
}

static const char *verdict_of(const struct zs_db_row *row, const char *rule)
{
	for (size_t i = 0; i < row->verdict_count; i++) {
		if (strcmp(row->verdicts[i].rule, rule) == 0) {
			return zs_db_verdict_name(row->verdicts[i].verdict);
		}
	}
	return "";
}

static int csv_row(struct report_ctx *c, const struct zs_db_row *row)
{
	char num[32];
	int ret;

	if (c->rules == NULL && (ret = csv_header(c, row)) != 0) {
		return ret;
	}
	zs_buf_reset(&c->line);
	ret = zs_csv_cell_str(&c->line, true, row->domain);
	if (ret == 0) {
		ret = zs_csv_cell_str(&c->line, false, zs_db_status_name(row->status));
	}
	if (ret == 0) {
		ret = zs_csv_cell_str(&c->line, false, zs_db_mail_name(row->mail));
	}
	if (ret == 0) {
		(void)snprintf(num, sizeof(num), "%u", row->warnings);
		ret = zs_csv_cell_str(&c->line, false, num);
	}
	if (ret == 0) {
		(void)snprintf(num, sizeof(num), "%lld", (long long)row->since_run);
		ret = zs_csv_cell_str(&c->line, false, num);
	}
	for (size_t i = 0; i < c->rule_count && ret == 0; i++) {
		ret = zs_csv_cell_str(&c->line, false, verdict_of(row, c->rules[i]));
	}
	if (ret == 0) {
		ret = zs_buf_puts(&c->line, "\r\n");
	}
	return ret != 0 ? ret : zs_out_write(c->out, c->line.data, c->line.len);
}

static int jsonl_row(struct report_ctx *c, const struct zs_db_row *row)
{
	struct zs_json j;

	zs_buf_reset(&c->line);
	zs_json_init(&j, &c->line);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "domain", row->domain);
	zs_json_kstr(&j, "status", zs_db_status_name(row->status));
	zs_json_kstr(&j, "mail", zs_db_mail_name(row->mail));
	zs_json_kint(&j, "warnings", row->warnings);
	zs_json_kint(&j, "status_since_run", row->since_run);
	zs_json_key(&j, "rules");
	zs_json_obj_begin(&j);
	for (size_t i = 0; i < row->verdict_count; i++) {
		zs_json_key(&j, row->verdicts[i].rule);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "verdict", zs_db_verdict_name(row->verdicts[i].verdict));
		zs_json_kstr(&j, "reason", row->verdicts[i].reason);
		zs_json_obj_end(&j);
	}
	zs_json_obj_end(&j);
	zs_json_key(&j, "facts");
	zs_json_raw(&j, row->facts_json != NULL ? row->facts_json : "{}");
	zs_json_obj_end(&j);
	int ret = zs_json_error(&j);
	if (ret == 0) {
		ret = zs_buf_putc(&c->line, '\n');
	}
	return ret != 0 ? ret : zs_out_write(c->out, c->line.data, c->line.len);
}

int zs_report_run(struct zs_db *db, int64_t run_id, enum zs_report_format format, const char *path,
                  int flags, struct zs_report_stats *stats)
{
	struct report_ctx c = { .format = format };
	struct zs_db_reader *reader = NULL;
	const struct zs_db_row *row;
	int ret = zs_db_reader_open(db, run_id, &reader);

	if (ret != 0) {
		return ret;
	}
	ret = zs_out_open(path, flags, &c.out);
	if (ret != 0) {
		zs_db_reader_close(reader);
		return ret;
	}
	zs_buf_init(&c.line, 256 * 1024 * 1024);
	while ((ret = zs_db_reader_next(reader, &row)) == 0) {
		ret = format == ZS_REPORT_CSV ? csv_row(&c, row) : jsonl_row(&c, row);
		if (ret != 0) {
			break;
		}
		c.stats.domains++;
		c.stats.compliant += row->status == ZS_DB_COMPLIANT;
		c.stats.non_compliant += row->status == ZS_DB_NON_COMPLIANT;
		c.stats.indeterminate += row->status == ZS_DB_INDETERMINATE;
	}
	if (ret == ZS_ERR_EOF) {
		ret = 0;
		if (format == ZS_REPORT_CSV && c.rules == NULL) {
			/* a run without domains still gets its header line */
			ret = zs_out_puts(c.out,
			                  "domain,status,mail,warnings,status_since_run\r\n");
		}
	}
	zs_db_reader_close(reader);
	if (ret == 0) {
		ret = zs_out_commit(c.out);
	} else {
		zs_out_abort(c.out);
	}
	for (size_t i = 0; i < c.rule_count; i++) {
		zs_free(c.rules[i]);
	}
	zs_free(c.rules);
	zs_buf_deinit(&c.line);
	if (ret == 0 && stats != NULL) {
		*stats = c.stats;
	}
	return ret;
}
