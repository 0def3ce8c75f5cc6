/* SPDX-License-Identifier: MIT */
/*
 * The one-domain compliance report. The registry's data (attestations, exemptions) is read
 * first, then the domain's row with its raw records and whole facts document through the
 * report cursor; the rules are listed in the policy's order when the policy is known, else in
 * the order the database has them. Text from DNS is written as the other reports write it:
 * raw bytes data-escaped in JSON, shown and entity-escaped in HTML.
 */
#include "reports/domain.h"

#include <inttypes.h>
#include <string.h>

#include "reports/evidence.h"
#include "reports/html.h"
#include "reports/output.h"
#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/ruleset.h"

/* An attestation or exemption, copied out of the database's callbacks. */
struct item {
	const char *id;
	const char *status; /**< "attested", "not attested" (attestations) */
	const char *on;     /**< date attested; exemption: until */
	const char *by;
	const char *text; /**< reference (attestation) or why (exemption) */
};

struct domain_report {
	const struct zs_domain_report_opts *o;
	const struct zs_policy *policy;
	const char *domain;
	struct zs_arena arena;
	struct item *attest;
	size_t attest_count;
	struct item *exempt;
	size_t exempt_count;
	struct zs_db_run *run;
	const struct zs_db_report_row *row;
	struct zs_buf b;
};

static struct item *push(struct zs_arena *a, struct item **list, size_t *count)
{
	/* a doubling array in the arena: the lists are a handful of items */
	if ((*count & (*count - 1)) == 0) {
		struct item *n = zs_arena_calloc(a, *count == 0 ? 4 : *count * 2, sizeof(*n));
		if (*count > 0) {
			memcpy(n, *list, *count * sizeof(*n));
		}
		*list = n;
	}
	return &(*list)[(*count)++];
}

static int on_attestation(const struct zs_db_attestation *at, void *arg)
{
	struct domain_report *d = arg;
	struct item *it = push(&d->arena, &d->attest, &d->attest_count);
	it->id = zs_arena_strdup(&d->arena, at->item);
	it->status = at->attested ? "attested" : "not attested";
	it->on = zs_arena_strdup(&d->arena, at->on);
	it->by = zs_arena_strdup(&d->arena, at->by);
	it->text = zs_arena_strdup(&d->arena, at->ref);
	return 0;
}

static int on_exemption(const struct zs_db_exemption *e, void *arg)
{
	struct domain_report *d = arg;
	if (strcmp(e->domain, d->domain) != 0) {
		return 0;
	}
	struct item *it = push(&d->arena, &d->exempt, &d->exempt_count);
	it->id = zs_arena_strdup(&d->arena, e->rule);
	it->on = zs_arena_strdup(&d->arena, e->until);
	it->text = zs_arena_strdup(&d->arena, e->why);
	return 0;
}

static const struct item *attestation_of(const struct domain_report *d, const char *id)
{
	for (size_t i = 0; i < d->attest_count; i++) {
		if (strcmp(d->attest[i].id, id) == 0) {
			return &d->attest[i];
		}
	}
	return NULL;
}

/* The rules to list: the policy's when it is the run's, else the row's verdicts. */
static size_t rule_count(const struct domain_report *d)
{
	return d->policy != NULL ? d->policy->rule_count : d->row->verdict_count;
}

static void rule_at(const struct domain_report *d, size_t i, const char **id,
                    const struct zs_rule **rule, const struct zs_db_verdict_row **v)
{
	size_t hint = 0;
	if (d->policy != NULL) {
		*rule = &d->policy->rules[i];
		*id = (*rule)->id;
		*v = zs_report_find_verdict(d->row, *id, &hint);
	} else {
		*v = &d->row->verdicts[i];
		*id = (*v)->rule;
		*rule = NULL;
	}
}

static int render_fix(const struct domain_report *d, const struct zs_rule *rule, struct zs_buf *out)
{
	struct zs_facts f;
	zs_evidence_render_facts(d->row, &f);
	return zs_policy_render_fix(d->policy, rule, &f, out);
}

static bool wants_fix(const struct zs_db_verdict_row *v)
{
	return v != NULL && (v->verdict == ZS_DB_FAIL || v->verdict == ZS_DB_WARN);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_records(struct zs_json *j, const struct zs_db_report_row *row,
                         const struct zs_rule *rule)
{
	zs_json_key(j, "records");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < row->raw_count; i++) {
		const struct zs_db_raw_txt *r = &row->raw[i];
		if (rule != NULL &&
		    !zs_evidence_owner_matches(rule->check, row->domain, r->owner)) {
			continue;
		}
		zs_json_obj_begin(j);
		zs_json_kdata(j, "name", r->owner, strlen(r->owner));
		zs_json_kstr(j, "type", "TXT");
		zs_json_kdata(j, "data", r->data, r->len);
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
}

static void json_rule(struct zs_json *j, const struct domain_report *d, const char *id,
                      const struct zs_rule *rule, const struct zs_db_verdict_row *v)
{
	enum zs_db_fact facts[8];
	size_t nf = rule != NULL ? zs_evidence_facts(rule->check, facts, 8) : 0;

	zs_json_obj_begin(j);
	zs_json_kstr(j, "id", id);
	zs_json_kstr(j, "title", rule != NULL ? rule->title : NULL);
	zs_json_kstr(j, "severity", rule == NULL ? NULL : rule->warn_only ? "warn" : "fail");
	zs_json_kstr(j, "verdict", v != NULL ? zs_db_verdict_name(v->verdict) : "not evaluated");
	zs_report_json_ktext(j, "reason", v != NULL ? v->reason : NULL);
	zs_json_key(j, "evidence");
	zs_json_obj_begin(j);
	if (rule != NULL) {
		json_records(j, d->row, rule);
	}
	zs_json_key(j, "facts");
	zs_json_obj_begin(j);
	for (size_t k = 0; k < nf; k++) {
		zs_report_json_fact(j, facts[k], d->row->facts[facts[k]]);
	}
	zs_json_obj_end(j);
	zs_json_obj_end(j);
	if (rule != NULL && wants_fix(v)) {
		struct zs_buf fix;
		zs_buf_init(&fix, 64 * 1024);
		if (render_fix(d, rule, &fix) == 0) {
			zs_report_json_ktext(j, "fix", zs_buf_cstr(&fix));
		}
		zs_buf_deinit(&fix);
	}
	zs_json_obj_end(j);
}

static void json_item(struct zs_json *j, const char *id, const char *text, const struct item *a)
{
	zs_json_obj_begin(j);
	zs_json_kstr(j, "item", id);
	zs_json_kstr(j, "text", text);
	zs_json_kstr(j, "status", a != NULL ? a->status : "no statement");
	zs_json_kstr(j, "attested_on", a != NULL ? a->on : NULL);
	zs_report_json_ktext(j, "attested_by", a != NULL ? a->by : NULL);
	zs_report_json_ktext(j, "reference", a != NULL ? a->text : NULL);
	zs_json_obj_end(j);
}

static int write_json(struct domain_report *d)
{
	const struct zs_db_report_row *row = d->row;
	struct zs_json j;
	char t[64];

	zs_json_init(&j, &d->b);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "report", "e-mail authentication compliance report");
	zs_json_kstr(&j, "domain", row->domain);
	zs_json_kstr(&j, "generated", zs_text_time(t, sizeof(t), d->o->now, 0));
	zs_json_kstr(&j, "tool", "zonesweep " ZS_VERSION);
	zs_json_key(&j, "run");
	zs_json_obj_begin(&j);
	zs_json_kint(&j, "id", d->run->id);
	zs_json_kstr(&j, "tld", d->run->tld);
	zs_json_kstr(&j, "status", zs_db_run_status_name(d->run->status));
	zs_json_kstr(&j, "checked", zs_text_time(t, sizeof(t), d->run->started_at, 0));
	zs_json_obj_end(&j);
	zs_json_key(&j, "policy");
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "name", d->run->policy);
	zs_json_kstr(&j, "version", d->run->policy_version);
	zs_json_kstr(&j, "title", d->policy != NULL ? d->policy->title : NULL);
	zs_json_kstr(&j, "source", d->policy != NULL ? d->policy->source : NULL);
	zs_json_obj_end(&j);
	zs_json_kstr(&j, "status", zs_db_status_name(row->status));
	zs_json_kstr(&j, "status_since", zs_text_time(t, sizeof(t), row->since_at, 0));
	zs_json_kint(&j, "status_since_run", row->since_run);
	zs_json_kstr(&j, "mail", zs_db_mail_name(row->mail));
	zs_json_kint(&j, "warnings", row->warnings);
	zs_json_key(&j, "rules");
	zs_json_arr_begin(&j);
	for (size_t i = 0; i < rule_count(d); i++) {
		const char *id = NULL;
		const struct zs_rule *rule = NULL;
		const struct zs_db_verdict_row *v = NULL;
		rule_at(d, i, &id, &rule, &v);
		json_rule(&j, d, id, rule, v);
	}
	zs_json_arr_end(&j);
	zs_json_key(&j, "attestations");
	zs_json_arr_begin(&j);
	for (size_t i = 0; d->policy != NULL && i < d->policy->attest_count; i++) {
		const struct zs_attest_item *a = &d->policy->attest[i];
		json_item(&j, a->id, a->text, attestation_of(d, a->id));
	}
	for (size_t i = 0; i < d->attest_count; i++) {
		bool listed = false;
		for (size_t k = 0; d->policy != NULL && k < d->policy->attest_count; k++) {
			listed = listed || strcmp(d->policy->attest[k].id, d->attest[i].id) == 0;
		}
		if (!listed) {
			json_item(&j, d->attest[i].id, NULL, &d->attest[i]);
		}
	}
	zs_json_arr_end(&j);
	zs_json_key(&j, "exemptions");
	zs_json_arr_begin(&j);
	for (size_t i = 0; i < d->exempt_count; i++) {
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "rule", d->exempt[i].id);
		zs_json_kstr(&j, "until", d->exempt[i].on);
		zs_report_json_ktext(&j, "why", d->exempt[i].text);
		zs_json_obj_end(&j);
	}
	zs_json_arr_end(&j);
	json_records(&j, row, NULL);
	zs_json_key(&j, "facts");
	zs_json_raw(&j,
	            row->facts_json != NULL && row->facts_json[0] == '{' ? row->facts_json : "{}");
	zs_json_obj_end(&j);
	int ret = zs_json_error(&j);
	return ret != 0 ? ret : zs_buf_putc(&d->b, '\n');
}

/* ---- HTML ------------------------------------------------------------------------------- */

static int html_row(struct zs_buf *b, const char *label, const char *value)
{
	int ret = zs_buf_printf(b, "<tr><th>%s</th><td>", label);
	ret = ret != 0 ? ret : zs_text_html_str(b, value);
	return ret != 0 ? ret : zs_buf_puts(b, "</td></tr>\n");
}

static int html_records(struct zs_buf *b, const struct zs_db_report_row *row,
                        const struct zs_rule *rule)
{
	struct zs_buf esc;
	int ret = 0;
	bool any = false;

	zs_buf_init(&esc, b->max);
	for (size_t i = 0; i < row->raw_count && ret == 0; i++) {
		const struct zs_db_raw_txt *r = &row->raw[i];
		if (rule != NULL &&
		    !zs_evidence_owner_matches(rule->check, row->domain, r->owner)) {
			continue;
		}
		zs_buf_reset(&esc);
		ret = zs_buf_puts(b, any ? "" : "<table class=\"records\">\n");
		any = true;
		ret = ret != 0 ? ret : zs_buf_puts(b, "<tr><td>");
		ret = ret != 0 ? ret : zs_text_html_str(b, r->owner);
		ret = ret != 0 ? ret : zs_buf_puts(b, "</td><td>TXT</td><td><code>");
		/* the bytes, data-escaped, then shown as HTML */
		ret = ret != 0 ? ret : zs_escape_data(&esc, r->data, r->len);
		ret = ret != 0 ? ret : zs_text_html(b, esc.data != NULL ? esc.data : "", esc.len);
		ret = ret != 0 ? ret : zs_buf_puts(b, "</code></td></tr>\n");
	}
	ret = ret != 0 ? ret : zs_buf_puts(b, any ? "</table>\n" : "");
	zs_buf_deinit(&esc);
	return ret;
}

static int html_rule(struct zs_buf *b, const struct domain_report *d, const char *id,
                     const struct zs_rule *rule, const struct zs_db_verdict_row *v)
{
	enum zs_db_fact facts[8];
	size_t nf = rule != NULL ? zs_evidence_facts(rule->check, facts, 8) : 0;
	const char *verdict = v != NULL ? zs_db_verdict_name(v->verdict) : "not evaluated";
	int ret = zs_buf_puts(b, "<section class=\"rule\" data-rule=\"");

	ret = ret != 0 ? ret : zs_text_html_str(b, id);
	ret = ret != 0 ? ret : zs_buf_puts(b, "\">\n<h3>");
	ret = ret != 0 ? ret : zs_text_html_str(b, id);
	if (ret == 0 && rule != NULL) {
		ret = zs_buf_puts(b, ": ");
		ret = ret != 0 ? ret : zs_text_html_str(b, rule->title);
	}
	ret = ret != 0 ? ret
	               : zs_buf_printf(b, " <span class=\"%s verdict\">%s</span></h3>\n<p>",
	                               v != NULL ? verdict : "na", verdict);
	ret = ret != 0 ? ret : zs_text_html_str(b, v != NULL ? v->reason : "");
	ret = ret != 0 ? ret : zs_buf_puts(b, "</p>\n");
	if (ret == 0 && nf > 0) {
		ret = zs_buf_puts(b, "<table class=\"figures\">\n");
		for (size_t k = 0; k < nf && ret == 0; k++) {
			ret = html_row(b, zs_db_fact_name(facts[k]), d->row->facts[facts[k]]);
		}
		ret = ret != 0 ? ret : zs_buf_puts(b, "</table>\n");
	}
	if (ret == 0 && rule != NULL) {
		ret = html_records(b, d->row, rule);
	}
	if (ret == 0 && rule != NULL && wants_fix(v)) {
		struct zs_buf fix;
		zs_buf_init(&fix, 64 * 1024);
		ret = render_fix(d, rule, &fix);
		ret = ret != 0 ? ret : zs_buf_puts(b, "<p>What to do:</p>\n<pre class=\"fix\">");
		/* line by line: the newlines are the text's own, everything else is shown */
		for (const char *p = zs_buf_cstr(&fix); ret == 0 && *p != '\0';) {
			size_t n = strcspn(p, "\n");
			ret = zs_text_html(b, p, n);
			ret = ret != 0 || p[n] != '\n' ? ret : zs_buf_putc(b, '\n');
			p += n + (p[n] == '\n');
		}
		ret = ret != 0 ? ret : zs_buf_puts(b, "</pre>\n");
		zs_buf_deinit(&fix);
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</section>\n");
}

static int html_attest_row(struct zs_buf *b, const char *id, const char *text, const struct item *a)
{
	int ret = zs_buf_puts(b, "<tr><td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, id);
	ret = ret != 0 ? ret : zs_buf_puts(b, "</td><td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, text);
	ret = ret != 0 ? ret
	               : zs_buf_printf(b, "</td><td class=\"%s\">%s</td><td>",
	                               a == NULL                            ? "na"
	                               : strcmp(a->status, "attested") == 0 ? "pass"
	                                                                    : "fail",
	                               a != NULL ? a->status : "no statement");
	if (ret == 0 && a != NULL) {
		ret = zs_text_html_str(b, a->on);
		ret = ret != 0 ? ret : zs_buf_puts(b, " ");
		ret = ret != 0 ? ret : zs_text_html_str(b, a->by);
		ret = ret != 0 ? ret : zs_buf_puts(b, "</td><td>");
		ret = ret != 0 ? ret : zs_text_html_str(b, a->text);
	} else if (ret == 0) {
		ret = zs_buf_puts(b, "</td><td>");
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</td></tr>\n");
}

static int write_html(struct domain_report *d)
{
	const struct zs_db_report_row *row = d->row;
	struct zs_buf title;
	char t[64];
	char num[32];
	int ret = 0;

	zs_buf_init(&title, 4096);
	(void)zs_buf_printf(&title, "Compliance report: %s", row->domain);
	ret = zs_html_page_begin(&d->b, zs_buf_cstr(&title));
	zs_buf_deinit(&title);
	ret = ret != 0 ? ret
	               : zs_buf_printf(
	                         &d->b,
	                         "<p class=\"meta\">Generated %s by zonesweep %s from run %" PRId64
	                         " (%s).</p>\n<table class=\"figures\" id=\"domain\">\n",
	                         zs_text_time(t, sizeof(t), d->o->now, 1), ZS_VERSION, d->run->id,
	                         zs_db_run_status_name(d->run->status));
	ret = ret != 0 ? ret : html_row(&d->b, "Domain", row->domain);
	ret = ret != 0 ? ret
	               : html_row(&d->b, "Policy",
	                          d->policy != NULL ? d->policy->title : d->run->policy);
	ret = ret != 0 ? ret : html_row(&d->b, "Policy version", d->run->policy_version);
	ret = ret != 0 ? ret
	               : html_row(&d->b, "Checked",
	                          zs_text_time(t, sizeof(t), d->run->started_at, 1));
	ret = ret != 0 ? ret
	               : zs_buf_printf(&d->b,
	                               "<tr><th>Status</th><td id=\"status\" class=\"%s\">%s"
	                               "</td></tr>\n",
	                               zs_db_status_name(row->status),
	                               zs_db_status_name(row->status));
	ret = ret != 0 ? ret
	               : html_row(&d->b, "In this status since",
	                          zs_text_time(t, sizeof(t), row->since_at, 1));
	ret = ret != 0 ? ret : html_row(&d->b, "Mail domain", zs_db_mail_name(row->mail));
	snprintf(num, sizeof(num), "%u", row->warnings);
	ret = ret != 0 ? ret : html_row(&d->b, "Warnings", num);
	ret = ret != 0 ? ret : zs_buf_puts(&d->b, "</table>\n<h2>Rules</h2>\n");
	for (size_t i = 0; i < rule_count(d) && ret == 0; i++) {
		const char *id = NULL;
		const struct zs_rule *rule = NULL;
		const struct zs_db_verdict_row *v = NULL;
		rule_at(d, i, &id, &rule, &v);
		ret = html_rule(&d->b, d, id, rule, v);
	}
	ret = ret != 0 ? ret
	               : zs_buf_puts(&d->b, "<h2>Attestations</h2>\n<p>These principles cannot be "
	                                    "checked from outside: they are recorded from the "
	                                    "registrant's statements and never count as checked."
	                                    "</p>\n<table id=\"attestations\">\n<tr><th>Item</th>"
	                                    "<th>Principle</th><th>Status</th><th>Attested</th>"
	                                    "<th>Reference</th></tr>\n");
	for (size_t i = 0; d->policy != NULL && i < d->policy->attest_count && ret == 0; i++) {
		const struct zs_attest_item *a = &d->policy->attest[i];
		ret = html_attest_row(&d->b, a->id, a->text, attestation_of(d, a->id));
	}
	ret = ret != 0 ? ret : zs_buf_puts(&d->b, "</table>\n");
	if (ret == 0 && d->exempt_count > 0) {
		ret = zs_buf_puts(&d->b, "<h2>Exemptions in force</h2>\n<table id=\"exemptions\">\n"
		                         "<tr><th>Rule</th><th>Until</th><th>Why</th></tr>\n");
		for (size_t i = 0; i < d->exempt_count && ret == 0; i++) {
			ret = zs_buf_puts(&d->b, "<tr><td>");
			ret = ret != 0 ? ret : zs_text_html_str(&d->b, d->exempt[i].id);
			ret = ret != 0 ? ret : zs_buf_puts(&d->b, "</td><td>");
			ret = ret != 0 ? ret : zs_text_html_str(&d->b, d->exempt[i].on);
			ret = ret != 0 ? ret : zs_buf_puts(&d->b, "</td><td>");
			ret = ret != 0 ? ret : zs_text_html_str(&d->b, d->exempt[i].text);
			ret = ret != 0 ? ret : zs_buf_puts(&d->b, "</td></tr>\n");
		}
		ret = ret != 0 ? ret : zs_buf_puts(&d->b, "</table>\n");
	}
	ret = ret != 0 ? ret : zs_buf_puts(&d->b, "<h2>TXT records found</h2>\n");
	ret = ret != 0 ? ret : html_records(&d->b, row, NULL);
	return ret != 0 ? ret : zs_html_page_end(&d->b);
}

int zs_report_domain(struct zs_db *db, const char *domain, int64_t run_id, const char *path,
                     const struct zs_domain_report_opts *o)
{
	struct domain_report d = { .o = o, .domain = domain };
	struct zs_policy *own_policy = NULL;
	struct zs_db_report_cursor *cur = NULL;
	struct zs_out *out = NULL;
	int ret = 0;

	ZS_REQUIRE(o->now > 0);
	if (o->format != ZS_REPORT_JSON && o->format != ZS_REPORT_HTML) {
		return ZS_ERR_USAGE;
	}
	if (run_id == 0 && (ret = zs_db_report_domain_run(db, domain, &run_id)) != 0) {
		return ret;
	}
	zs_arena_init(&d.arena);
	zs_buf_init(&d.b, 256 * 1024 * 1024);
	ret = zs_db_run_get(db, run_id, &d.run);
	ret = ret != 0 ? ret : zs_db_attestations_each(db, domain, on_attestation, &d);
	ret = ret != 0 ? ret : zs_db_exemptions_each(db, d.run->tld, on_exemption, &d);
	if (ret == 0) {
		d.policy = o->policy;
		if (d.policy == NULL && zs_policy_load(d.run->policy, &own_policy, NULL) == 0) {
			d.policy = own_policy;
		}
		ret = zs_db_report_open(db, run_id, domain,
		                        ZS_DB_REPORT_RAW | ZS_DB_REPORT_FACTS_JSON, NULL, &cur);
	}
	ret = ret != 0 ? ret : zs_db_report_next(cur, &d.row);
	if (ret == ZS_ERR_EOF) {
		ret = ZS_ERR_NOTFOUND;
	}
	if (ret == 0) {
		ret = o->format == ZS_REPORT_JSON ? write_json(&d) : write_html(&d);
	}
	ret = ret != 0 ? ret : zs_out_open(path, o->out_flags, &out);
	ret = ret != 0 ? ret : zs_out_write(out, d.b.data, d.b.len);
	if (ret == 0) {
		ret = zs_out_commit(out);
		out = NULL;
	}
	zs_out_abort(out);
	zs_db_report_close(cur);
	zs_policy_free(own_policy);
	zs_db_run_free(d.run);
	zs_buf_deinit(&d.b);
	zs_arena_deinit(&d.arena);
	return ret;
}
