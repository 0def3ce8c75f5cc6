/* SPDX-License-Identifier: MIT */
/* The HTML report page: head, summary, SVG charts, sortable per-domain table, script. */
#include "reports/html.h"

#include <inttypes.h>
#include <string.h>

#include <openssl/evp.h>

#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/policy/ruleset.h"

static const char page_style[] =
        "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
        "h1{font-size:1.45em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.6em 0 .4em}"
        "p.meta{color:#555;margin:0 0 1em}"
        "table{border-collapse:collapse;margin:.3em 0}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
        "thead th{background:#eee;cursor:pointer;position:sticky;top:0}"
        "th[aria-sort=ascending]::after{content:\" \\25B2\"}"
        "th[aria-sort=descending]::after{content:\" \\25BC\"}"
        "td.n{text-align:right}code{word-break:break-all}"
        ".compliant,.pass{background:#e3f6e3}.non-compliant,.fail{background:#fbe0e0}"
        ".indeterminate,.error{background:#e8e8e8}.warn{background:#fff4cc}.na{color:#999}"
        ".notes{border:1px solid #ccc;background:#f8f8f8;padding:.2em 1em}"
        ".partial{border:2px solid #b00;background:#fdecec;font-weight:600}"
        "td.rec{min-width:22em}"
        ".figures th{background:#f6f6f6;cursor:default}"
        "svg{display:block;margin:.3em 0}svg text{font:11px system-ui,sans-serif;fill:#333}"
        ".c-ok{stroke:#2a8f2a;fill:#2a8f2a}.c-bad{stroke:#c62828;fill:#c62828}"
        ".c-ind{stroke:#888;fill:#888}.c-warn{fill:#e0a000}.grid{stroke:#ddd}"
        ".line{fill:none;stroke-width:2}.verdict{padding:0 .4em}"
        "pre.fix{background:#f6f6f6;border:1px solid #ddd;padding:.5em;white-space:pre-wrap}"
        "section.rule{border-top:1px solid #ddd;margin-top:1em}";

static const char page_script[] =
        "(function(){\"use strict\";var body=document.body;try{"
        "var key=function(c){var v=c.getAttribute(\"data-v\");return v!==null?v:c.textContent;};"
        "var sortBy=function(t,col,desc){var tb=t.tBodies[0];"
        "var rows=Array.prototype.slice.call(tb.rows);"
        "var num=rows.every(function(r){var k=key(r.cells[col]);return k===\"\"||!isNaN(Number(k));});"
        "rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);"
        "var c=num?Number(x)-Number(y):(x<y?-1:x>y?1:0);return desc?-c:c;});"
        "rows.forEach(function(r){tb.appendChild(r);});"
        "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
        "th.setAttribute(\"aria-sort\",i===col?(desc?\"descending\":\"ascending\"):\"none\");});};"
        "Array.prototype.forEach.call(document.querySelectorAll(\"table.sortable\"),function(t){"
        "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){th.tabIndex=0;"
        "th.addEventListener(\"click\",function(){"
        "sortBy(t,i,th.getAttribute(\"aria-sort\")===\"ascending\");});"
        "th.addEventListener(\"keydown\",function(e){if(e.key===\"Enter\"){th.click();}});});});"
        "var t=document.getElementById(\"domains\");"
        "var m=/^#sort=([a-z0-9_-]+)(:desc)?$/i.exec(location.hash);"
        "if(m&&t){Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
        "if(th.getAttribute(\"data-col\")===m[1]){sortBy(t,i,!!m[2]);}});}"
        "var rc=document.getElementById(\"rows-shown\");"
        "if(rc&&t){rc.textContent=String(t.tBodies[0].rows.length);}"
        "body.setAttribute(\"data-ready\",\"1\");"
        "}catch(e){body.setAttribute(\"data-error\",String(e));throw e;}})();";

/* 'sha256-<base64>' of a constant, for the Content-Security-Policy. */
static int csp_hash(struct zs_buf *b, const char *text)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int len = 0;

	if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) != 1) {
		return ZS_ERR_PARSE;
	}
	int n = EVP_EncodeBlock(b64, md, (int)len);
	return zs_buf_printf(b, "'sha256-%.*s'", n, (const char *)b64);
}

int zs_html_csp(struct zs_buf *b)
{
	int ret = zs_buf_puts(b, "default-src 'none'; style-src ");
	ret = ret != 0 ? ret : csp_hash(b, page_style);
	ret = ret != 0 ? ret : zs_buf_puts(b, "; script-src ");
	ret = ret != 0 ? ret : csp_hash(b, page_script);
	return ret != 0 ? ret
	                : zs_buf_puts(b, "; img-src data:; base-uri 'none'; form-action 'none'");
}

int zs_html_page_begin(struct zs_buf *b, const char *title)
{
	int ret = zs_buf_puts(
	        b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	           "<meta http-equiv=\"Content-Security-Policy\" content=\"");
	ret = ret != 0 ? ret : zs_html_csp(b);
	ret = ret != 0
	              ? ret
	              : zs_buf_puts(b, "\">\n<meta name=\"viewport\" content=\"width=device-width, "
	                               "initial-scale=1\">\n<meta name=\"generator\" "
	                               "content=\"zonesweep " ZS_VERSION "\">\n<title>");
	ret = ret != 0 ? ret : zs_text_html_str(b, title);
	ret = ret != 0 ? ret
	               : zs_buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>",
	                               page_style);
	ret = ret != 0 ? ret : zs_text_html_str(b, title);
	return ret != 0 ? ret : zs_buf_puts(b, "</h1>\n");
}

int zs_html_page_end(struct zs_buf *b)
{
	return zs_buf_printf(b, "<script>%s</script>\n</body>\n</html>\n", page_script);
}

/* <tr><th>label</th><td id=ID class="n">value</td></tr>; a negative value reads "unknown". */
static int figure(struct zs_buf *b, const char *label, const char *id, int64_t v)
{
	if (v < 0) {
		return zs_buf_printf(b, "<tr><th>%s</th><td id=\"%s\">unknown</td></tr>\n", label,
		                     id);
	}
	return zs_buf_printf(b, "<tr><th>%s</th><td id=\"%s\" class=\"n\">%" PRId64 "</td></tr>\n",
	                     label, id, v);
}

static int rate_cell(struct zs_buf *b, int64_t compliant, int64_t domains)
{
	double r = zs_report_rate(compliant, domains);
	return r < 0 ? zs_buf_puts(b, "n/a") : zs_buf_printf(b, "%.2f%%", r);
}

static int summary_notes(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	struct zs_buf notes;
	int ret = 0;

	zs_buf_init(&notes, 64 * 1024);
	ret = zs_report_summary_notes(s, &notes);
	if (ret == 0 && notes.len > 0) {
		bool partial = s->run->status != ZS_DB_RUN_COMPLETE || !s->run->zone_complete;
		ret = zs_buf_printf(b, "<div class=\"%s\" id=\"notes\">\n",
		                    partial ? "notes partial" : "notes");
		for (const char *p = zs_buf_cstr(&notes); ret == 0 && *p != '\0';) {
			size_t n = strcspn(p, "\n");
			ret = zs_buf_puts(b, "<p>");
			ret = ret != 0 ? ret : zs_text_html(b, p, n);
			ret = ret != 0 ? ret : zs_buf_puts(b, "</p>\n");
			p += n + (p[n] == '\n');
		}
		ret = ret != 0 ? ret : zs_buf_puts(b, "</div>\n");
	}
	zs_buf_deinit(&notes);
	return ret;
}

static int run_table(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	const struct zs_db_run *run = s->run;
	char t[64];
	int ret = zs_buf_puts(b, "<table class=\"figures\" id=\"run\">\n<tr><th>TLD</th><td>.");
	ret = ret != 0 ? ret : zs_text_html_str(b, run->tld);
	ret = ret != 0 ? ret : zs_buf_puts(b, "</td></tr>\n<tr><th>Policy</th><td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, run->policy);
	ret = ret != 0 ? ret : zs_buf_puts(b, " ");
	ret = ret != 0 ? ret : zs_text_html_str(b, run->policy_version);
	ret = ret != 0 ? ret
	               : zs_buf_printf(b,
	                               "</td></tr>\n<tr><th>Run</th><td id=\"run-id\">%" PRId64
	                               "</td></tr>\n<tr><th>Run status</th><td id=\"run-status\" "
	                               "class=\"%s\">%s</td></tr>\n<tr><th>Started</th><td>%s</td>"
	                               "</tr>\n",
	                               run->id, run->status == ZS_DB_RUN_COMPLETE ? "pass" : "fail",
	                               zs_db_run_status_name(run->status),
	                               zs_text_time(t, sizeof(t), run->started_at, 1));
	if (ret == 0 && run->finished_at > 0) {
		ret = zs_buf_printf(b, "<tr><th>Finished</th><td>%s</td></tr>\n",
		                    zs_text_time(t, sizeof(t), run->finished_at, 1));
	}
	if (ret == 0 && s->duration >= 0) {
		ret = zs_buf_printf(b, "<tr><th>Duration</th><td>%.1f s</td></tr>\n", s->duration);
	}
	ret = ret != 0 ? ret : zs_buf_puts(b, "<tr><th>Zone</th><td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, run->zone_source);
	if (ret == 0 && run->zone_serial >= 0) {
		ret = zs_buf_printf(b, ", serial %" PRId64, run->zone_serial);
	}
	ret = ret != 0 ? ret
	               : zs_buf_printf(b, ", %s</td></tr>\n</table>\n",
	                               run->zone_complete ? "read completely"
	                                                  : "not read completely");
	return ret;
}

static int counts_table(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	int ret = zs_buf_puts(b, "<h2>Compliance</h2>\n<table class=\"figures\" id=\"counts\">\n");
	ret = ret != 0 ? ret : figure(b, "Domains", "n-domains", s->domains);
	ret = ret != 0 ? ret : figure(b, "Compliant", "n-compliant", s->n[ZS_DB_COMPLIANT]);
	ret = ret != 0 ? ret
	               : figure(b, "Non-compliant", "n-non-compliant", s->n[ZS_DB_NON_COMPLIANT]);
	ret = ret != 0 ? ret
	               : figure(b, "Indeterminate (could not be checked)", "n-indeterminate",
	                        s->n[ZS_DB_INDETERMINATE]);
	ret = ret != 0 ? ret : figure(b, "Warnings", "n-warnings", s->warnings);
	ret = ret != 0 ? ret
	               : zs_buf_puts(b, "<tr><th>Compliance rate</th><td id=\"rate\" class=\"n\">");
	ret = ret != 0 ? ret : rate_cell(b, s->n[ZS_DB_COMPLIANT], s->domains);
	return ret != 0 ? ret : zs_buf_puts(b, "</td></tr>\n</table>\n");
}

static int changes_table(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	static const char *const labels[ZS_DB_CHANGE_COUNT_] = { "Newly non-compliant", "Fixed",
		                                                 "Other changes", "New domains",
		                                                 "Removed domains" };
	static const char *const words[ZS_DB_CHANGE_COUNT_] = { "newly non-compliant", "fixed",
		                                                "changed", "new", "removed" };
	static const char *const ids[ZS_DB_CHANGE_COUNT_] = { "change-newly-non-compliant",
		                                              "change-fixed", "change-other",
		                                              "change-new", "change-removed" };
	int ret = 0;

	if (s->previous_run == 0) {
		return zs_buf_puts(b, "<h2>Changes</h2>\n<p id=\"changes\">No earlier complete run "
		                      "to compare with.</p>\n");
	}
	ret = zs_buf_printf(b,
	                    "<h2>Changes since run %" PRId64 "</h2>\n<table class=\"figures\" "
	                    "id=\"changes\">\n",
	                    s->previous_run);
	for (int k = 0; k < ZS_DB_CHANGE_COUNT_ && ret == 0; k++) {
		ret = figure(b, labels[k], ids[k], s->changes[k]);
	}
	ret = ret != 0 ? ret : zs_buf_puts(b, "</table>\n");
	if (ret == 0 && s->changed_count > 0) {
		ret = zs_buf_puts(b,
		                  "<table class=\"sortable\" id=\"changed\">\n<thead><tr><th>Domain"
		                  "</th><th>Change</th><th>Before</th><th>Now</th></tr></thead>\n"
		                  "<tbody>\n");
		for (size_t i = 0; i < s->changed_count && ret == 0; i++) {
			const struct zs_db_changed_domain *d = &s->changed[i];
			ret = zs_buf_puts(b, "<tr><td>");
			ret = ret != 0 ? ret : zs_text_html_str(b, d->domain);
			ret = ret != 0 ? ret
			               : zs_buf_printf(b, "</td><td>%s</td><td>%s</td><td>",
			                               words[d->change],
			                               d->from != NULL ? d->from : "");
			ret = ret != 0 ? ret : zs_text_html_str(b, d->to);
			ret = ret != 0 ? ret : zs_buf_puts(b, "</td></tr>\n");
		}
		ret = ret != 0 ? ret : zs_buf_puts(b, "</tbody>\n</table>\n");
	}
	return ret;
}

static int dns_table(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	int ret = zs_buf_puts(b, "<h2>DNS</h2>\n<table class=\"figures\" id=\"dns\">\n");
	ret = ret != 0 ? ret : figure(b, "Questions", "dns-questions", s->dns.questions);
	ret = ret != 0 ? ret : figure(b, "Queries sent", "dns-sent", s->dns.sent);
	ret = ret != 0 ? ret : figure(b, "Answered", "dns-answered", s->dns.answered);
	ret = ret != 0 ? ret : figure(b, "Timeouts", "dns-timeouts", s->dns.timeouts);
	ret = ret != 0 ? ret
	               : figure(b, "Failures (server failure, refused, timeout...)", "dns-failures",
	                        s->dns.failures);
	if (ret == 0 && s->dns.seconds >= 0) {
		ret = zs_buf_printf(b, "<tr><th>DNS time</th><td class=\"n\">%.1f s</td></tr>\n",
		                    s->dns.seconds);
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</table>\n");
}

static int rules_table(struct zs_buf *b, const struct zs_db_report_summary *s,
                       const struct zs_report_meta *m)
{
	int ret = zs_buf_puts(b, "<table class=\"sortable\" id=\"rules\">\n<thead><tr><th>Rule</th>"
	                         "<th>Title</th><th>pass</th><th>fail</th><th>warn</th>"
	                         "<th>n/a</th><th>error</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < s->rule_count && ret == 0; i++) {
		const struct zs_db_rule_count *r = &s->rules[i];
		ret = zs_buf_puts(b, "<tr data-rule=\"");
		ret = ret != 0 ? ret : zs_text_html_str(b, r->rule);
		ret = ret != 0 ? ret : zs_buf_puts(b, "\"><td>");
		ret = ret != 0 ? ret : zs_text_html_str(b, r->rule);
		ret = ret != 0 ? ret : zs_buf_puts(b, "</td><td>");
		ret = ret != 0 ? ret
		               : zs_text_html_str(b, zs_report_rule_title(m->policy, r->rule));
		ret = ret != 0 ? ret
		               : zs_buf_printf(b,
		                               "</td><td class=\"n\">%" PRId64
		                               "</td><td class=\"n\">%" PRId64
		                               "</td><td class=\"n\">%" PRId64
		                               "</td><td class=\"n\">%" PRId64
		                               "</td><td class=\"n\">%" PRId64 "</td></tr>\n",
		                               r->n[ZS_DB_PASS], r->n[ZS_DB_FAIL], r->n[ZS_DB_WARN],
		                               r->n[ZS_DB_NA], r->n[ZS_DB_ERROR]);
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</tbody>\n</table>\n");
}

int zs_html_summary(struct zs_buf *b, const struct zs_db_report_summary *s,
                    const struct zs_report_meta *m)
{
	char t[64];
	int ret = zs_buf_printf(b, "<p class=\"meta\">Generated %s by zonesweep %s.</p>\n",
	                        zs_text_time(t, sizeof(t), m->now, 1), ZS_VERSION);

	ret = ret != 0 ? ret : summary_notes(b, s);
	ret = ret != 0 ? ret : run_table(b, s);
	ret = ret != 0 ? ret : counts_table(b, s);
	ret = ret != 0 ? ret : changes_table(b, s);
	ret = ret != 0 ? ret : dns_table(b, s);
	ret = ret != 0 ? ret : zs_buf_puts(b, "<h2>Trend</h2>\n");
	ret = ret != 0 ? ret : zs_html_trend_svg(b, s);
	ret = ret != 0 ? ret : zs_buf_puts(b, "<h2>Verdicts per rule</h2>\n");
	ret = ret != 0 ? ret : zs_html_rules_svg(b, s);
	return ret != 0 ? ret : rules_table(b, s, m);
}

/* ---- charts ----------------------------------------------------------------------------- */

enum { TW = 720, TH = 230, TL = 44, TR = 44, TT = 12, TB = 46 };

static double share(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0;
}

int zs_html_trend_svg(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	static const char *const cls[ZS_DB_STATUS_COUNT_] = { "c-ok", "c-bad", "c-ind" };
	static const char *const names[ZS_DB_STATUS_COUNT_] = { "compliant", "non-compliant",
		                                                "indeterminate" };
	const double pw = TW - TL - TR;
	const double ph = TH - TT - TB;
	size_t n = s->trend_count;
	char t[64];
	int ret =
	        zs_buf_printf(b,
	                      "<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	                      "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	                      "aria-label=\"share of each status over the last %zu runs\">\n",
	                      TW, TH, TW, TH, n);

	for (int pct = 0; pct <= 100 && ret == 0; pct += 25) {
		double y = TT + ph * (1 - pct / 100.0);
		ret = zs_buf_printf(
		        b,
		        "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
		        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>\n",
		        TL, y, TW - TR, y, TL - 4, y + 4, pct);
	}
	size_t step = n > 12 ? (n + 11) / 12 : 1;
	for (int k = 0; k < ZS_DB_STATUS_COUNT_ && ret == 0; k++) {
		ret = zs_buf_printf(b, "<polyline class=\"line %s\" points=\"", cls[k]);
		for (size_t i = 0; i < n && ret == 0; i++) {
			double x = TL + (n == 1 ? pw / 2 : pw * (double)i / (double)(n - 1));
			double y =
			        TT + ph * (1 - share(s->trend[i].n[k], s->trend[i].domains) / 100);
			ret = zs_buf_printf(b, "%s%.1f,%.1f", i > 0 ? " " : "", x, y);
		}
		ret = ret != 0 ? ret : zs_buf_puts(b, "\"/>\n");
		for (size_t i = 0; i < n && ret == 0; i++) {
			const struct zs_db_trend_point *p = &s->trend[i];
			double x = TL + (n == 1 ? pw / 2 : pw * (double)i / (double)(n - 1));
			double y = TT + ph * (1 - share(p->n[k], p->domains) / 100);
			ret = zs_buf_printf(
			        b,
			        "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>"
			        "run %" PRId64 ", %s: %.1f%% %s (%" PRId64 " of %" PRId64
			        ")</title></circle>\n",
			        cls[k], x, y, p->run_id,
			        zs_text_time(t, sizeof(t), p->started_at, 2),
			        share(p->n[k], p->domains), names[k], p->n[k], p->domains);
		}
	}
	for (size_t i = 0; i < n && ret == 0; i += step) {
		double x = TL + (n == 1 ? pw / 2 : pw * (double)i / (double)(n - 1));
		ret = zs_buf_printf(
		        b,
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>"
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">run %" PRId64 "</text>\n",
		        x, TH - TB + 16, zs_text_time(t, sizeof(t), s->trend[i].started_at, 2), x,
		        TH - TB + 29, s->trend[i].run_id);
	}
	for (int k = 0; k < ZS_DB_STATUS_COUNT_ && ret == 0; k++) {
		int x = TL + 10 + k * 130;
		ret = zs_buf_printf(
		        b,
		        "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\"/>"
		        "<text x=\"%d\" y=\"%d\">%s</text>\n",
		        cls[k], x, TH - 12, x + 14, TH - 3, names[k]);
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</svg>\n");
}

enum { RW = 720, RL = 190, RROW = 20, RTOP = 6 };

int zs_html_rules_svg(struct zs_buf *b, const struct zs_db_report_summary *s)
{
	static const struct {
		enum zs_db_verdict v;
		const char *cls;
		const char *name;
	} parts[] = { { ZS_DB_FAIL, "c-bad", "fail" },
		      { ZS_DB_WARN, "c-warn", "warn" },
		      { ZS_DB_ERROR, "c-ind", "error" } };
	int64_t max = 0;
	int h = RTOP * 2 + RROW * (int)(s->rule_count + 1);

	for (size_t i = 0; i < s->rule_count; i++) {
		int64_t sum = s->rules[i].n[ZS_DB_FAIL] + s->rules[i].n[ZS_DB_WARN] +
		              s->rules[i].n[ZS_DB_ERROR];
		max = sum > max ? sum : max;
	}
	int ret = zs_buf_printf(b,
	                        "<svg id=\"rule-chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	                        "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	                        "aria-label=\"fail, warn and error verdicts per rule\">\n",
	                        RW, h, RW, h);
	const double span = RW - RL - 70;
	for (size_t i = 0; i < s->rule_count && ret == 0; i++) {
		const struct zs_db_rule_count *r = &s->rules[i];
		int y = RTOP + RROW * (int)i;
		double x = RL;
		ret = zs_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", RL - 6,
		                    y + 13);
		ret = ret != 0 ? ret : zs_text_html_str(b, r->rule);
		ret = ret != 0 ? ret : zs_buf_puts(b, "</text>");
		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]) && ret == 0; k++) {
			int64_t v = r->n[parts[k].v];
			double w = max > 0 ? span * (double)v / (double)max : 0;
			if (v == 0) {
				continue;
			}
			ret = zs_buf_printf(b,
			                    "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			                    "height=\"14\"><title>",
			                    parts[k].cls, x, y + 2, w > 1 ? w : 1);
			ret = ret != 0 ? ret : zs_text_html_str(b, r->rule);
			ret = ret != 0 ? ret
			               : zs_buf_printf(b, ": %" PRId64 " %s</title></rect>", v,
			                               parts[k].name);
			x += w > 1 ? w : 1;
		}
		ret = ret != 0 ? ret
		               : zs_buf_printf(b, "<text x=\"%.1f\" y=\"%d\">%" PRId64 "</text>\n",
		                               x + 4, y + 13,
		                               r->n[ZS_DB_FAIL] + r->n[ZS_DB_WARN] +
		                                       r->n[ZS_DB_ERROR]);
	}
	int ly = RTOP + RROW * (int)s->rule_count + 4;
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]) && ret == 0; k++) {
		int x = RL + (int)k * 90;
		ret = zs_buf_printf(
		        b,
		        "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"10\" height=\"10\"/>"
		        "<text x=\"%d\" y=\"%d\">%s</text>\n",
		        parts[k].cls, x, ly, x + 14, ly + 9, parts[k].name);
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</svg>\n");
}

/* ---- the per-domain table --------------------------------------------------------------- */

int zs_html_table_begin(struct zs_buf *b, const struct zs_db_report_summary *s,
                        const struct zs_report_meta *m)
{
	int ret =
	        zs_buf_printf(b, "<h2>Domains</h2>\n<p>Click a column's heading to sort by it. "
	                         "<span id=\"rows-shown\"></span> rows.</p>\n"
	                         "<table class=\"sortable\" id=\"domains\">\n<thead><tr>"
	                         "<th data-col=\"domain\">Domain</th><th data-col=\"status\">Status"
	                         "</th><th data-col=\"since\">Since</th><th data-col=\"mail\">Mail"
	                         "</th><th data-col=\"warnings\">Warnings</th>");
	for (size_t i = 0; i < s->rule_count && ret == 0; i++) {
		ret = zs_buf_puts(b, "<th data-col=\"");
		ret = ret != 0 ? ret : zs_text_html_str(b, s->rules[i].rule);
		ret = ret != 0 ? ret : zs_buf_puts(b, "\" title=\"");
		ret = ret != 0 ? ret
		               : zs_text_html_str(
		                         b, zs_report_rule_title(m->policy, s->rules[i].rule));
		ret = ret != 0 ? ret : zs_buf_puts(b, "\">");
		ret = ret != 0 ? ret : zs_text_html_str(b, s->rules[i].rule);
		ret = ret != 0 ? ret : zs_buf_puts(b, "</th>");
	}
	return ret != 0
	               ? ret
	               : zs_buf_puts(b, "<th data-col=\"mx\">MX</th><th data-col=\"spf\">SPF record"
	                                "</th><th data-col=\"spf_lookups\">SPF lookups</th>"
	                                "<th data-col=\"dmarc\">DMARC p / sp / pct / adkim / aspf"
	                                "</th><th data-col=\"dkim\">DKIM</th><th data-col=\"rdns\">"
	                                "Reverse DNS</th><th data-col=\"dnssec\">DNSSEC</th></tr>"
	                                "</thead>\n<tbody>\n");
}

static int fact_cell(struct zs_buf *b, const char *v, bool code)
{
	int ret = zs_buf_puts(b, code && v != NULL ? "<td class=\"rec\"><code>" : "<td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, v);
	return ret != 0 ? ret : zs_buf_puts(b, code && v != NULL ? "</code></td>" : "</td>");
}

static int dmarc_cell(struct zs_buf *b, const char *const *f)
{
	static const enum zs_db_fact parts[] = { ZS_DB_FACT_DMARC_P, ZS_DB_FACT_DMARC_SP,
		                                 ZS_DB_FACT_DMARC_PCT, ZS_DB_FACT_DMARC_ADKIM,
		                                 ZS_DB_FACT_DMARC_ASPF };
	int ret = zs_buf_puts(b, "<td>");
	if (f[ZS_DB_FACT_DMARC_P] != NULL) {
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && ret == 0; i++) {
			ret = i > 0 ? zs_buf_puts(b, " / ") : 0;
			ret = ret != 0 ? ret
			               : zs_text_html_str(b,
			                                  f[parts[i]] != NULL ? f[parts[i]] : "-");
		}
	}
	return ret != 0 ? ret : zs_buf_puts(b, "</td>");
}

int zs_html_table_row(struct zs_buf *b, const struct zs_db_report_summary *s,
                      const struct zs_db_report_row *row)
{
	const char *const *f = row->facts;
	const char *status = zs_db_status_name(row->status);
	char t[64];
	size_t hint = 0;
	int ret = zs_buf_puts(b, "<tr><td>");

	ret = ret != 0 ? ret : zs_text_html_str(b, row->domain);
	ret = ret != 0 ? ret
	               : zs_buf_printf(b,
	                               "</td><td class=\"%s\">%s</td><td data-v=\"%" PRId64
	                               "\" title=\"since run %" PRId64 "\">%s</td><td>%s</td>"
	                               "<td class=\"n\">%u</td>",
	                               status, status, row->since_at, row->since_run,
	                               zs_text_time(t, sizeof(t), row->since_at, 2),
	                               zs_db_mail_name(row->mail), row->warnings);
	for (size_t i = 0; i < s->rule_count && ret == 0; i++) {
		const struct zs_db_verdict_row *vr =
		        zs_report_find_verdict(row, s->rules[i].rule, &hint);
		if (vr == NULL) {
			ret = zs_buf_puts(b, "<td></td>");
			continue;
		}
		const char *v = zs_db_verdict_name(vr->verdict);
		ret = zs_buf_printf(b, "<td class=\"%s\" title=\"", v);
		ret = ret != 0 ? ret : zs_text_html_str(b, vr->reason);
		ret = ret != 0 ? ret : zs_buf_printf(b, "\">%s</td>", v);
	}
	ret = ret != 0 ? ret : zs_buf_puts(b, "<td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, f[ZS_DB_FACT_MX_KIND]);
	if (ret == 0 && f[ZS_DB_FACT_MX_HOSTS] != NULL) {
		ret = zs_buf_puts(b, ": ");
		ret = ret != 0 ? ret : zs_text_html_str(b, f[ZS_DB_FACT_MX_HOSTS]);
	}
	ret = ret != 0 ? ret : zs_buf_puts(b, "</td>");
	ret = ret != 0 ? ret : fact_cell(b, f[ZS_DB_FACT_SPF_RECORD], true);
	ret = ret != 0 ? ret : zs_buf_puts(b, "<td class=\"n\">");
	ret = ret != 0 ? ret : zs_text_html_str(b, f[ZS_DB_FACT_SPF_LOOKUPS]);
	ret = ret != 0 ? ret : zs_buf_puts(b, "</td>");
	ret = ret != 0 ? ret : dmarc_cell(b, f);
	ret = ret != 0 ? ret : zs_buf_puts(b, "<td>");
	ret = ret != 0 ? ret : zs_text_html_str(b, f[ZS_DB_FACT_DKIM_SELECTORS]);
	ret = ret != 0 ? ret : zs_buf_puts(b, "</td>");
	ret = ret != 0 ? ret : fact_cell(b, f[ZS_DB_FACT_RDNS], false);
	ret = ret != 0 ? ret
	               : fact_cell(b,
	                           f[ZS_DB_FACT_DNSSEC_SIGNED] == NULL                ? NULL
	                           : strcmp(f[ZS_DB_FACT_DNSSEC_SIGNED], "true") == 0 ? "signed"
	                                                                              : "unsigned",
	                           false);
	return ret != 0 ? ret : zs_buf_puts(b, "</tr>\n");
}

int zs_html_table_end(struct zs_buf *b, unsigned long long rows)
{
	return zs_buf_printf(b,
	                     "</tbody>\n</table>\n<p id=\"row-count\" data-rows=\"%llu\">%llu "
	                     "domains listed.</p>\n",
	                     rows, rows);
}
