/* SPDX-License-Identifier: MIT */
/* A run's summary in JSON, CSV and text. */
#include "reports/summary.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "reports/csv.h"
#include "reports/evidence.h"
#include "reports/output.h"
#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/policy/ruleset.h"

static const char *const change_keys[ZS_DB_CHANGE_COUNT_] = { "newly_non_compliant", "fixed",
	                                                      "other_changes", "new", "removed" };

double zs_report_rate(int64_t compliant, int64_t domains)
{
	if (domains <= 0) {
		return -1;
	}
	return round(10000.0 * (double)compliant / (double)domains) / 100.0;
}

const struct zs_db_verdict_row *zs_report_find_verdict(const struct zs_db_report_row *row,
                                                       const char *rule, size_t *hint)
{
	for (size_t i = *hint; i < row->verdict_count; i++) {
		if (strcmp(row->verdicts[i].rule, rule) == 0) {
			*hint = i + 1;
			return &row->verdicts[i];
		}
	}
	return NULL;
}

const char *zs_report_rule_title(const struct zs_policy *p, const char *rule)
{
	const struct zs_rule *r = zs_evidence_rule(p, rule);
	return r != NULL ? r->title : NULL;
}

void zs_report_json_text(struct zs_json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	struct zs_buf b;
	int ret = 0;

	if (s == NULL) {
		zs_json_null(j);
		return;
	}
	zs_buf_init(&b, j->out->max);
	ret = zs_buf_putc(&b, '"');
	for (const char *p = s; *p != '\0' && ret == 0; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			ret = zs_buf_append(&b, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			ret = zs_buf_append(&b, e, 6);
		} else {
			ret = zs_buf_putc(&b, (char)c);
		}
	}
	ret = ret != 0 ? ret : zs_buf_putc(&b, '"');
	if (ret == 0) {
		zs_json_raw(j, b.data);
	} else if (j->err == 0) {
		j->err = ret;
	}
	zs_buf_deinit(&b);
}

void zs_report_json_ktext(struct zs_json *j, const char *key, const char *s)
{
	zs_json_key(j, key);
	zs_report_json_text(j, s);
}

static bool all_digits(const char *s)
{
	size_t i = s[0] == '-' ? 1 : 0;
	if (s[i] == '\0' || strlen(s + i) > 18) {
		return false;
	}
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

void zs_report_json_fact(struct zs_json *j, enum zs_db_fact f, const char *v)
{
	zs_json_key(j, zs_db_fact_name(f));
	if (v == NULL) {
		zs_json_null(j);
		return;
	}
	switch (zs_db_fact_type(f)) {
	case ZS_DB_FACT_INT:
		if (all_digits(v)) {
			zs_json_raw(j, v);
		} else {
			zs_report_json_text(j, v);
		}
		break;
	case ZS_DB_FACT_BOOL:
		zs_json_bool(j, strcmp(v, "true") == 0);
		break;
	case ZS_DB_FACT_LIST:
		zs_json_arr_begin(j);
		for (const char *p = v; *p != '\0';) {
			size_t n = strcspn(p, " ");
			if (n > 0) {
				char *item = zs_strndup(p, n);
				zs_report_json_text(j, item);
				zs_free(item);
			}
			p += n + (p[n] == ' ');
		}
		zs_json_arr_end(j);
		break;
	case ZS_DB_FACT_TEXT:
		zs_report_json_text(j, v);
		break;
	}
}

int zs_report_summary_notes(const struct zs_db_report_summary *s, struct zs_buf *buf)
{
	const struct zs_db_run *run = s->run;
	int ret = 0;

	switch (run->status) {
	case ZS_DB_RUN_RUNNING:
		ret = zs_buf_printf(buf,
		                    "Run %" PRId64
		                    " is still running: the figures cover the %" PRId64
		                    " domains checked so far.\n",
		                    run->id, s->domains);
		break;
	case ZS_DB_RUN_INTERRUPTED:
		ret = zs_buf_printf(
		        buf,
		        "Run %" PRId64 " was interrupted before it reached the end of the "
		        "zone: the figures cover only the %" PRId64
		        " domains it checked; the domains it did not reach are not in this report.\n",
		        run->id, s->domains);
		break;
	case ZS_DB_RUN_FAILED:
		ret = zs_buf_printf(buf,
		                    "Run %" PRId64 " failed: the figures cover only the %" PRId64
		                    " domains stored before the failure.\n",
		                    run->id, s->domains);
		break;
	case ZS_DB_RUN_WITHDRAWN:
		ret = zs_buf_printf(buf,
		                    "Run %" PRId64 " was withdrawn: it counts nowhere, and its "
		                    "figures are shown for inspection only.\n",
		                    run->id);
		break;
	case ZS_DB_RUN_COMPLETE:
	case ZS_DB_RUN_STATUS_COUNT_:
		break;
	}
	if (ret == 0 && run->status == ZS_DB_RUN_COMPLETE && !run->zone_complete) {
		ret = zs_buf_printf(buf,
		                    "The zone was not read completely (%" PRId64
		                    " errors): domains "
		                    "missing from it are not reported as removed.\n",
		                    run->zone_errors);
	}
	if (ret == 0 && s->previous_run == 0) {
		ret = zs_buf_puts(buf,
		                  "No earlier complete run of this TLD: no changes to report.\n");
	} else if (ret == 0 && !s->changes_known) {
		ret = zs_buf_printf(buf,
		                    "Changes since run %" PRId64
		                    " cover only the domains both runs "
		                    "checked; new and removed domains are not known.\n",
		                    s->previous_run);
	}
	if (ret == 0 && s->run->pruned) {
		ret = zs_buf_puts(buf, "The run's per-domain results were pruned.\n");
	}
	return ret;
}

static void json_count(struct zs_json *j, const char *key, int64_t v)
{
	if (v < 0) {
		zs_json_knull(j, key);
	} else {
		zs_json_kint(j, key, v);
	}
}

static void json_rate(struct zs_json *j, const char *key, int64_t compliant, int64_t domains)
{
	double r = zs_report_rate(compliant, domains);
	zs_json_key(j, key);
	if (r < 0) {
		zs_json_null(j);
	} else {
		zs_json_double(j, r);
	}
}

static void json_time(struct zs_json *j, const char *key, int64_t t)
{
	char buf[64];
	zs_json_kstr(j, key, t > 0 ? zs_text_time(buf, sizeof(buf), t, 0) : NULL);
}

static void json_run(struct zs_json *j, const struct zs_db_report_summary *s)
{
	const struct zs_db_run *run = s->run;

	zs_json_key(j, "run");
	zs_json_obj_begin(j);
	zs_json_kint(j, "id", run->id);
	zs_json_kstr(j, "tld", run->tld);
	zs_json_kstr(j, "policy", run->policy);
	zs_json_kstr(j, "policy_version", run->policy_version);
	zs_json_kstr(j, "status", zs_db_run_status_name(run->status));
	json_time(j, "started", run->started_at);
	json_time(j, "finished", run->finished_at);
	zs_json_key(j, "duration_seconds");
	if (s->duration >= 0) {
		zs_json_double(j, round(s->duration * 10) / 10);
	} else {
		zs_json_null(j);
	}
	zs_json_kdata(j, "zone_source", run->zone_source, strlen(run->zone_source));
	json_count(j, "zone_serial", run->zone_serial);
	zs_json_kbool(j, "zone_complete", run->zone_complete);
	zs_json_kint(j, "zone_errors", run->zone_errors);
	zs_json_kint(j, "resumes", run->resumes);
	zs_json_kstr(j, "scanner_version", run->scanner_version);
	zs_json_obj_end(j);
}

void zs_report_summary_json(struct zs_json *j, const struct zs_db_report_summary *s,
                            const struct zs_report_meta *m)
{
	static const char *const verdicts[] = { "pass", "fail", "warn", "na", "error" };
	struct zs_buf notes;

	zs_json_obj_begin(j);
	json_time(j, "generated", m->now);
	zs_json_kstr(j, "tool", "zonesweep " ZS_VERSION);
	zs_json_kstr(j, "period", m->period);
	zs_json_kstr(j, "period_label", m->period_label);
	json_run(j, s);

	zs_json_key(j, "counts");
	zs_json_obj_begin(j);
	zs_json_kint(j, "domains", s->domains);
	for (int k = 0; k < ZS_DB_STATUS_COUNT_; k++) {
		zs_json_kint(j, zs_db_status_name((enum zs_db_status)k), s->n[k]);
	}
	zs_json_kint(j, "warnings", s->warnings);
	json_rate(j, "compliance_rate", s->n[ZS_DB_COMPLIANT], s->domains);
	zs_json_obj_end(j);

	zs_json_key(j, "rules");
	zs_json_obj_begin(j);
	for (size_t i = 0; i < s->rule_count; i++) {
		zs_json_key(j, s->rules[i].rule);
		zs_json_obj_begin(j);
		zs_json_kstr(j, "title", zs_report_rule_title(m->policy, s->rules[i].rule));
		for (int v = 0; v < ZS_DB_VERDICT_COUNT_; v++) {
			zs_json_kint(j, verdicts[v], s->rules[i].n[v]);
		}
		zs_json_obj_end(j);
	}
	zs_json_obj_end(j);

	zs_json_key(j, "changes");
	zs_json_obj_begin(j);
	json_count(j, "previous_run", s->previous_run > 0 ? s->previous_run : -1);
	zs_json_kbool(j, "complete", s->changes_known);
	for (int k = 0; k < ZS_DB_CHANGE_COUNT_; k++) {
		json_count(j, change_keys[k], s->changes[k]);
	}
	zs_json_key(j, "domains");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < s->changed_count; i++) {
		zs_json_obj_begin(j);
		zs_json_kstr(j, "domain", s->changed[i].domain);
		zs_json_kstr(j, "change", change_keys[s->changed[i].change]);
		zs_json_kstr(j, "from", s->changed[i].from);
		zs_json_kstr(j, "to", s->changed[i].to);
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
	zs_json_obj_end(j);

	zs_json_key(j, "dns");
	zs_json_obj_begin(j);
	json_count(j, "questions", s->dns.questions);
	json_count(j, "sent", s->dns.sent);
	json_count(j, "answered", s->dns.answered);
	json_count(j, "timeouts", s->dns.timeouts);
	json_count(j, "failures", s->dns.failures);
	zs_json_key(j, "seconds");
	if (s->dns.seconds >= 0) {
		zs_json_double(j, round(s->dns.seconds * 10) / 10);
	} else {
		zs_json_null(j);
	}
	zs_json_obj_end(j);

	zs_json_key(j, "trend");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < s->trend_count; i++) {
		const struct zs_db_trend_point *t = &s->trend[i];
		zs_json_obj_begin(j);
		zs_json_kint(j, "run", t->run_id);
		json_time(j, "started", t->started_at);
		zs_json_kstr(j, "status", zs_db_run_status_name(t->status));
		zs_json_kint(j, "domains", t->domains);
		for (int k = 0; k < ZS_DB_STATUS_COUNT_; k++) {
			zs_json_kint(j, zs_db_status_name((enum zs_db_status)k), t->n[k]);
		}
		json_rate(j, "compliance_rate", t->n[ZS_DB_COMPLIANT], t->domains);
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);

	zs_json_key(j, "notes");
	zs_json_arr_begin(j);
	zs_buf_init(&notes, 64 * 1024);
	if (zs_report_summary_notes(s, &notes) == 0) {
		for (const char *p = zs_buf_cstr(&notes); *p != '\0';) {
			size_t n = strcspn(p, "\n");
			zs_json_data(j, p, n);
			p += n + (p[n] == '\n');
		}
	}
	zs_buf_deinit(&notes);
	zs_json_arr_end(j);
	zs_json_obj_end(j);
}

/* One "section,item,field,value" line. */
static int csv_line(struct zs_out *o, struct zs_buf *line, const char *section, const char *item,
                    const char *field, const char *value)
{
	zs_buf_reset(line);
	int ret = zs_csv_cell_str(line, true, section);
	ret = ret != 0 ? ret : zs_csv_cell_str(line, false, item);
	ret = ret != 0 ? ret : zs_csv_cell_str(line, false, field);
	ret = ret != 0 ? ret : zs_csv_cell_shown(line, false, value);
	ret = ret != 0 ? ret : zs_buf_puts(line, "\r\n");
	return ret != 0 ? ret : zs_out_write(o, line->data, line->len);
}

static int csv_num(struct zs_out *o, struct zs_buf *line, const char *section, const char *item,
                   const char *field, int64_t v)
{
	char num[32];
	snprintf(num, sizeof(num), "%" PRId64, v);
	return csv_line(o, line, section, item, field, v >= 0 ? num : NULL);
}

static int csv_rate(struct zs_out *o, struct zs_buf *line, const char *section, const char *item,
                    int64_t compliant, int64_t domains)
{
	char num[32];
	double r = zs_report_rate(compliant, domains);
	snprintf(num, sizeof(num), "%.2f", r);
	return csv_line(o, line, section, item, "compliance_rate", r >= 0 ? num : NULL);
}

int zs_report_summary_csv(struct zs_out *o, const struct zs_db_report_summary *s,
                          const struct zs_report_meta *m)
{
	static const char *const verdicts[] = { "pass", "fail", "warn", "na", "error" };
	const struct zs_db_run *run = s->run;
	struct zs_buf line;
	struct zs_buf notes;
	char t[64];
	char item[64];
	int ret = 0;

	zs_buf_init(&line, 1024 * 1024);
	zs_buf_init(&notes, 64 * 1024);
	ret = zs_out_puts(o, "section,item,field,value\r\n");
	ret = ret != 0 ? ret
	               : csv_line(o, &line, "report", "", "generated",
	                          zs_text_time(t, sizeof(t), m->now, 0));
	ret = ret != 0 ? ret : csv_line(o, &line, "report", "", "tool", "zonesweep " ZS_VERSION);
	if (ret == 0 && m->period != NULL) {
		ret = csv_line(o, &line, "report", m->period, "period", m->period_label);
	}
	ret = ret != 0 ? ret : csv_num(o, &line, "run", "", "id", run->id);
	ret = ret != 0 ? ret : csv_line(o, &line, "run", "", "tld", run->tld);
	ret = ret != 0 ? ret : csv_line(o, &line, "run", "", "policy", run->policy);
	ret = ret != 0 ? ret : csv_line(o, &line, "run", "", "policy_version", run->policy_version);
	ret = ret != 0
	              ? ret
	              : csv_line(o, &line, "run", "", "status", zs_db_run_status_name(run->status));
	ret = ret != 0 ? ret
	               : csv_line(o, &line, "run", "", "started",
	                          zs_text_time(t, sizeof(t), run->started_at, 0));
	if (ret == 0 && run->finished_at > 0) {
		ret = csv_line(o, &line, "run", "", "finished",
		               zs_text_time(t, sizeof(t), run->finished_at, 0));
	}
	if (ret == 0 && s->duration >= 0) {
		snprintf(item, sizeof(item), "%.1f", s->duration);
		ret = csv_line(o, &line, "run", "", "duration_seconds", item);
	}
	ret = ret != 0 ? ret
	               : csv_line(o, &line, "run", "", "zone_complete",
	                          run->zone_complete ? "true" : "false");
	ret = ret != 0 ? ret : zs_report_summary_notes(s, &notes);
	for (const char *p = zs_buf_cstr(&notes); ret == 0 && *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char *note = zs_strndup(p, n);
		ret = csv_line(o, &line, "run", "", "note", note);
		zs_free(note);
		p += n + (p[n] == '\n');
	}
	ret = ret != 0 ? ret : csv_num(o, &line, "counts", "", "domains", s->domains);
	for (int k = 0; k < ZS_DB_STATUS_COUNT_ && ret == 0; k++) {
		ret = csv_num(o, &line, "counts", "", zs_db_status_name((enum zs_db_status)k),
		              s->n[k]);
	}
	ret = ret != 0 ? ret : csv_num(o, &line, "counts", "", "warnings", s->warnings);
	ret = ret != 0 ? ret : csv_rate(o, &line, "counts", "", s->n[ZS_DB_COMPLIANT], s->domains);
	for (size_t i = 0; i < s->rule_count && ret == 0; i++) {
		for (int v = 0; v < ZS_DB_VERDICT_COUNT_ && ret == 0; v++) {
			ret = csv_num(o, &line, "rule", s->rules[i].rule, verdicts[v],
			              s->rules[i].n[v]);
		}
	}
	if (ret == 0 && s->previous_run > 0) {
		ret = csv_num(o, &line, "changes", "", "previous_run", s->previous_run);
	}
	for (int k = 0; k < ZS_DB_CHANGE_COUNT_ && ret == 0; k++) {
		ret = csv_num(o, &line, "changes", "", change_keys[k], s->changes[k]);
	}
	for (size_t i = 0; i < s->changed_count && ret == 0; i++) {
		const struct zs_db_changed_domain *d = &s->changed[i];
		snprintf(item, sizeof(item), "%s -> %s", d->from != NULL ? d->from : "(none)",
		         d->to);
		ret = csv_line(o, &line, "changed", d->domain, change_keys[d->change], item);
	}
	ret = ret != 0 ? ret : csv_num(o, &line, "dns", "", "questions", s->dns.questions);
	ret = ret != 0 ? ret : csv_num(o, &line, "dns", "", "sent", s->dns.sent);
	ret = ret != 0 ? ret : csv_num(o, &line, "dns", "", "answered", s->dns.answered);
	ret = ret != 0 ? ret : csv_num(o, &line, "dns", "", "timeouts", s->dns.timeouts);
	ret = ret != 0 ? ret : csv_num(o, &line, "dns", "", "failures", s->dns.failures);
	if (ret == 0 && s->dns.seconds >= 0) {
		snprintf(item, sizeof(item), "%.2f", s->dns.seconds);
		ret = csv_line(o, &line, "dns", "", "seconds", item);
	}
	for (size_t i = 0; i < s->trend_count && ret == 0; i++) {
		const struct zs_db_trend_point *p = &s->trend[i];
		snprintf(item, sizeof(item), "%" PRId64, p->run_id);
		ret = csv_line(o, &line, "trend", item, "started",
		               zs_text_time(t, sizeof(t), p->started_at, 0));
		ret = ret != 0 ? ret : csv_num(o, &line, "trend", item, "domains", p->domains);
		for (int k = 0; k < ZS_DB_STATUS_COUNT_ && ret == 0; k++) {
			ret = csv_num(o, &line, "trend", item,
			              zs_db_status_name((enum zs_db_status)k), p->n[k]);
		}
		ret = ret != 0 ? ret
		               : csv_rate(o, &line, "trend", item, p->n[ZS_DB_COMPLIANT],
		                          p->domains);
	}
	zs_buf_deinit(&notes);
	zs_buf_deinit(&line);
	return ret;
}
