/* SPDX-License-Identifier: MIT */
/*
 * Notices: the run's non-compliant domains are read through the report cursor in a read-write
 * transaction (with each domain's contact and when the same notice was last generated), each
 * message is rendered and written to the mbox, and the notice log rows go into the same
 * transaction. The transaction is committed last, after both files are in place; if it fails
 * the files are removed again, so the log and the files never disagree.
 */
#include "reports/notice.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/report_query.h"
#include "reports/csv.h"
#include "reports/evidence.h"
#include "reports/mail.h"
#include "reports/output.h"
#include "reports/summary.h"
#include "reports/template.h"
#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/policy/ruleset.h"

/* Placeholders of each template, by index (docs/notices.md documents them). */
enum { S_DOMAIN, S_TLD, S_POLICY_NAME, S_POLICY_TITLE, S_DEADLINE, S_FAILING_COUNT, S_COUNT_ };
static const char *const subject_names[S_COUNT_] = { "domain",       "tld",      "policy_name",
	                                             "policy_title", "deadline", "failing_count" };

enum {
	B_REGISTRANT,
	B_ORGANISATION,
	B_DOMAIN,
	B_TLD,
	B_POLICY_NAME,
	B_POLICY_TITLE,
	B_POLICY_VERSION,
	B_POLICY_SOURCE,
	B_SCAN_DATE,
	B_STATUS_SINCE,
	B_FAILING_COUNT,
	B_FAILING_RULES,
	B_RULES,
	B_DEADLINE,
	B_SECRETARIAT,
	B_SECRETARIAT_EMAIL,
	B_REFERENCE,
	B_RUN,
	B_TOOL_VERSION,
	B_DATE,
	B_COUNT_
};
static const char *const body_names[B_COUNT_] = {
	"registrant",        "organisation",   "domain",        "tld",          "policy_name",
	"policy_title",      "policy_version", "policy_source", "scan_date",    "status_since",
	"failing_count",     "failing_rules",  "rules",         "deadline",     "secretariat",
	"secretariat_email", "reference",      "run",           "tool_version", "date"
};

enum { R_NUMBER, R_RULE, R_TITLE, R_VERDICT, R_REASON, R_EVIDENCE, R_FIX, R_COUNT_ };
static const char *const rule_names[R_COUNT_] = { "number", "rule",     "title", "verdict",
	                                          "reason", "evidence", "fix" };

struct notices {
	const struct zs_notice_opts *o;
	const struct zs_policy *policy;
	struct zs_db_run *run;
	struct zs_template *subject;
	struct zs_template *body;
	struct zs_template *rule;
	char from_name[256];
	char from_addr[256];
	const char *from_domain;
	char deadline[16];
	struct zs_out *mbox;
	struct zs_out *list;
	struct zs_buf msg;   /**< the message being built */
	struct zs_buf text;  /**< its body before encoding */
	struct zs_buf rules; /**< the rendered rule blocks */
	struct zs_buf tmp;
	struct zs_notice_stats st;
};

int zs_notices_list_path(const char *path, bool compressed, struct zs_buf *out)
{
	size_t n = strlen(path);
	if (n >= 3 && strncmp(path + n - 3, ".gz", 3) == 0) {
		n -= 3;
	}
	if (n >= 5 && strncmp(path + n - 5, ".mbox", 5) == 0) {
		n -= 5;
	}
	int ret = zs_buf_append(out, path, n);
	ret = ret != 0 ? ret : zs_buf_puts(out, ".no-contact.csv");
	return ret != 0 || !compressed ? ret : zs_buf_puts(out, ".gz");
}

/* A domain name that may go into a Subject: LDH labels (and '_'), lower case. */
static bool plain_host(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 253) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.')) {
			return false;
		}
	}
	return true;
}

/* Append text indented by @p indent spaces on every line, shown (no control characters). */
static int indented(struct zs_buf *out, const char *text, size_t len, int indent)
{
	int ret = 0;
	for (size_t i = 0; i < len && ret == 0;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;
		ret = zs_buf_printf(out, "%*s", indent, "");
		ret = ret != 0 ? ret : zs_text_shown(out, text + i, n);
		ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
		i += n + 1;
	}
	/* the template puts its own newline after the block */
	if (ret == 0 && out->len > 0 && out->data[out->len - 1] == '\n') {
		out->data[--out->len] = '\0';
	}
	return ret;
}

static const char *owner_pattern(enum zs_check c)
{
	switch (c) {
	case ZS_CHECK_SPF_VALID:
	case ZS_CHECK_SPF_ALL:
	case ZS_CHECK_SPF_NO_PTR:
		return "";
	case ZS_CHECK_DMARC_VALID:
	case ZS_CHECK_DMARC_ALIGNMENT:
	case ZS_CHECK_DMARC_SP:
	case ZS_CHECK_DMARC_RUA:
	case ZS_CHECK_DMARC_TAGS:
		return "_dmarc.";
	case ZS_CHECK_DKIM_RSA:
	case ZS_CHECK_DKIM_WILDCARD_REVOKED:
		return "*._domainkey.";
	case ZS_CHECK_MTA_STS:
		return "_mta-sts.";
	case ZS_CHECK_TLS_RPT:
		return "_smtp._tls.";
	case ZS_CHECK_RDNS:
	case ZS_CHECK_MX_SANE:
	case ZS_CHECK_DNSSEC:
	case ZS_CHECK_COUNT_:
		break;
	}
	return NULL;
}

/* The evidence of one rule: its TXT records in zone-file form, or the facts it reads. */
static int evidence(struct notices *ns, const struct zs_db_report_row *row,
                    const struct zs_rule *rule, struct zs_buf *out)
{
	const char *pattern = rule != NULL ? owner_pattern(rule->check) : NULL;
	enum zs_db_fact facts[8];
	int ret = 0;

	zs_buf_reset(&ns->tmp);
	if (pattern != NULL) {
		bool any = false;
		for (size_t i = 0; i < row->raw_count && ret == 0; i++) {
			const struct zs_db_raw_txt *r = &row->raw[i];
			if (!zs_evidence_owner_matches(rule->check, row->domain, r->owner)) {
				continue;
			}
			any = true;
			ret = zs_buf_printf(&ns->tmp, "%s. IN TXT ", r->owner);
			ret = ret != 0 ? ret : zs_text_zone_txt(&ns->tmp, r->data, r->len);
			ret = ret != 0 ? ret : zs_buf_putc(&ns->tmp, '\n');
		}
		if (ret == 0 && !any && rule->check == ZS_CHECK_DKIM_RSA) {
			/* the scan asks selectors it knows: a key elsewhere is not "no record" */
			ret = zs_buf_printf(&ns->tmp,
			                    "(no DKIM key record found below _domainkey.%s)\n",
			                    row->domain);
		} else if (ret == 0 && !any) {
			ret = zs_buf_printf(&ns->tmp, "(no TXT record at %s%s)\n", pattern,
			                    row->domain);
		}
	} else {
		size_t n = rule != NULL ? zs_evidence_facts(rule->check, facts, 8) : 0;
		for (size_t k = 0; k < n && ret == 0; k++) {
			const char *v = row->facts[facts[k]];
			ret = zs_buf_printf(&ns->tmp, "%s: %s\n", zs_db_fact_name(facts[k]),
			                    v != NULL ? v : "(unknown)");
		}
		if (ret == 0 && n == 0) {
			ret = zs_buf_puts(&ns->tmp, "(see the finding above)\n");
		}
	}
	return ret != 0 ? ret : indented(out, zs_buf_cstr(&ns->tmp), ns->tmp.len, 6);
}

/* The rule blocks of a domain's failing rules, in the policy's order. */
static int render_rules(struct notices *ns, const struct zs_db_report_row *row,
                        const char **failing, size_t *nfailing)
{
	struct zs_buf ev;
	struct zs_buf fix;
	struct zs_buf reason;
	struct zs_facts f;
	int ret = 0;

	zs_buf_init(&ev, 16 * 1024 * 1024);
	zs_buf_init(&fix, 1024 * 1024);
	zs_buf_init(&reason, 1024 * 1024);
	zs_buf_reset(&ns->rules);
	zs_evidence_render_facts(row, &f);
	*nfailing = 0;
	for (size_t i = 0; i < row->verdict_count && ret == 0; i++) {
		const struct zs_db_verdict_row *v = &row->verdicts[i];
		if (v->verdict != ZS_DB_FAIL) {
			continue;
		}
		failing[(*nfailing)++] = v->rule;
	}
	/* the policy's order reads better than the ids' */
	size_t number = 0;
	for (size_t pass = 0; pass < 2 && ret == 0; pass++) {
		size_t limit = pass == 0 ? ns->policy->rule_count : *nfailing;
		for (size_t i = 0; i < limit && ret == 0; i++) {
			const struct zs_rule *rule = pass == 0 ? &ns->policy->rules[i] : NULL;
			const char *id = pass == 0 ? rule->id : failing[i];
			size_t hint = 0;
			const struct zs_db_verdict_row *v = zs_report_find_verdict(row, id, &hint);
			if (v == NULL || v->verdict != ZS_DB_FAIL ||
			    (pass == 1 && zs_evidence_rule(ns->policy, id) != NULL)) {
				continue;
			}
			char num[16];
			snprintf(num, sizeof(num), "%zu", ++number);
			zs_buf_reset(&ev);
			zs_buf_reset(&fix);
			zs_buf_reset(&reason);
			ret = evidence(ns, row, rule, &ev);
			zs_buf_reset(&ns->tmp);
			if (ret == 0 && rule != NULL) {
				ret = zs_policy_render_fix(ns->policy, rule, &f, &ns->tmp);
			} else if (ret == 0) {
				ret = zs_buf_puts(&ns->tmp,
				                  "(this rule is not in the policy's text)");
			}
			ret = ret != 0 ? ret
			               : indented(&fix, zs_buf_cstr(&ns->tmp), ns->tmp.len, 6);
			ret = ret != 0 ? ret : zs_text_shown(&reason, v->reason, strlen(v->reason));
			const char *values[R_COUNT_] = {
				[R_NUMBER] = num,
				[R_RULE] = id,
				[R_TITLE] = rule != NULL ? rule->title : "",
				[R_VERDICT] = zs_db_verdict_name(v->verdict),
				[R_REASON] = zs_buf_cstr(&reason),
				[R_EVIDENCE] = zs_buf_cstr(&ev),
				[R_FIX] = zs_buf_cstr(&fix),
			};
			ret = ret != 0 ? ret : zs_template_render(ns->rule, values, &ns->rules);
		}
	}
	zs_buf_deinit(&ev);
	zs_buf_deinit(&fix);
	zs_buf_deinit(&reason);
	return ret;
}

/* FNV-1a: enough to make Message-IDs differ between domains, runs and times. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	}
	return h;
}

static int list_domain(struct notices *ns, const struct zs_db_report_row *row, const char *why,
                       const char *const *failing, size_t nfailing)
{
	char t[64];
	struct zs_buf line;
	struct zs_buf rules;
	int ret = 0;

	zs_buf_init(&line, 1024 * 1024);
	zs_buf_init(&rules, 1024 * 1024);
	for (size_t i = 0; i < nfailing && ret == 0; i++) {
		ret = i > 0 ? zs_buf_putc(&rules, ' ') : 0;
		ret = ret != 0 ? ret : zs_buf_puts(&rules, failing[i]);
	}
	ret = ret != 0 ? ret : zs_csv_cell_str(&line, true, row->domain);
	ret = ret != 0 ? ret : zs_csv_cell_str(&line, false, why);
	ret = ret != 0
	              ? ret
	              : zs_csv_cell_str(&line, false, zs_text_time(t, sizeof(t), row->since_at, 0));
	ret = ret != 0 ? ret : zs_csv_cell_str(&line, false, zs_buf_cstr(&rules));
	ret = ret != 0 ? ret : zs_csv_cell_str(&line, false, row->contact_email);
	ret = ret != 0 ? ret : zs_buf_puts(&line, "\r\n");
	ret = ret != 0 ? ret : zs_out_write(ns->list, line.data, line.len);
	zs_buf_deinit(&line);
	zs_buf_deinit(&rules);
	return ret;
}

/* Build one message into ns->msg. @return 0, ZS_ERR_USAGE for a header that cannot be
 * written (the domain is then listed as invalid), or ZS_ERR_TOOBIG */
static int build_message(struct notices *ns, const struct zs_db_report_row *row,
                         const char *const *failing, size_t nfailing, char *msgid, size_t msgid_len)
{
	char t_scan[32];
	char t_since[32];
	char t_now[64];
	char count[16];
	char run[32];
	struct zs_buf subject;
	struct zs_buf list;
	struct zs_buf shown_name;
	int ret = 0;

	if (!plain_host(row->domain)) {
		return ZS_ERR_USAGE;
	}
	uint64_t h = fnv(fnv(0xcbf29ce484222325ull ^ ns->o->salt, row->domain), ns->run->tld);
	snprintf(msgid, msgid_len, "zonesweep.%" PRId64 ".%016" PRIx64 ".%" PRId64 "@%s",
	         ns->run->id, h, ns->o->now, ns->from_domain);
	snprintf(count, sizeof(count), "%zu", nfailing);
	snprintf(run, sizeof(run), "%" PRId64, ns->run->id);
	zs_buf_init(&subject, 4096);
	zs_buf_init(&list, 64 * 1024);
	zs_buf_init(&shown_name, 4096);
	for (size_t i = 0; i < nfailing && ret == 0; i++) {
		ret = i > 0 ? zs_buf_puts(&list, ", ") : 0;
		ret = ret != 0 ? ret : zs_buf_puts(&list, failing[i]);
	}
	const char *sv[S_COUNT_] = {
		[S_DOMAIN] = row->domain,          [S_TLD] = ns->run->tld,
		[S_POLICY_NAME] = ns->run->policy, [S_POLICY_TITLE] = ns->policy->title,
		[S_DEADLINE] = ns->deadline,       [S_FAILING_COUNT] = count,
	};
	ret = ret != 0 ? ret : zs_template_render(ns->subject, sv, &subject);
	/* a subject template ends its line; the header must not */
	while (ret == 0 && subject.len > 0 &&
	       (subject.data[subject.len - 1] == '\n' || subject.data[subject.len - 1] == '\r')) {
		subject.data[--subject.len] = '\0';
	}
	const char *name =
	        row->contact_name != NULL && row->contact_name[0] != '\0' ? row->contact_name
	        : row->contact_organisation != NULL && row->contact_organisation[0] != '\0'
	                ? row->contact_organisation
	                : NULL;
	if (ret == 0 && name != NULL) {
		ret = zs_text_shown(&shown_name, name, strlen(name));
	} else if (ret == 0) {
		ret = zs_buf_printf(&shown_name, "registrant of %s", row->domain);
	}
	const char *bv[B_COUNT_] = {
		[B_REGISTRANT] = zs_buf_cstr(&shown_name),
		[B_ORGANISATION] = row->contact_organisation,
		[B_DOMAIN] = row->domain,
		[B_TLD] = ns->run->tld,
		[B_POLICY_NAME] = ns->run->policy,
		[B_POLICY_TITLE] = ns->policy->title,
		[B_POLICY_VERSION] = ns->run->policy_version,
		[B_POLICY_SOURCE] = ns->policy->source,
		[B_SCAN_DATE] = zs_text_time(t_scan, sizeof(t_scan), ns->run->started_at, 2),
		[B_STATUS_SINCE] = zs_text_time(t_since, sizeof(t_since), row->since_at, 2),
		[B_FAILING_COUNT] = count,
		[B_FAILING_RULES] = zs_buf_cstr(&list),
		[B_RULES] = zs_buf_cstr(&ns->rules),
		[B_DEADLINE] = ns->deadline,
		[B_SECRETARIAT] = ns->from_name[0] != '\0' ? ns->from_name : ns->from_addr,
		[B_SECRETARIAT_EMAIL] = ns->from_addr,
		[B_REFERENCE] = msgid,
		[B_RUN] = run,
		[B_TOOL_VERSION] = ZS_VERSION,
		[B_DATE] = zs_text_time(t_now, sizeof(t_now), ns->o->now, 2),
	};
	zs_buf_reset(&ns->text);
	ret = ret != 0 ? ret : zs_template_render(ns->body, bv, &ns->text);

	zs_buf_reset(&ns->msg);
	ret = ret != 0 ? ret : zs_mail_from_line(&ns->msg, ns->from_addr, ns->o->now);
	ret = ret != 0 ? ret
	               : zs_mail_mailbox_header(&ns->msg, "From", ns->from_name, ns->from_addr);
	ret = ret != 0 ? ret
	               : zs_mail_mailbox_header(&ns->msg, "To", name != NULL ? name : "",
	                                        row->contact_email);
	if (ret == 0 && ns->o->reply_to != NULL) {
		ret = zs_mail_mailbox_header(&ns->msg, "Reply-To", NULL, ns->o->reply_to);
	}
	ret = ret != 0 ? ret : zs_mail_header(&ns->msg, "Subject", zs_buf_cstr(&subject));
	ret = ret != 0 ? ret
	               : zs_mail_header(&ns->msg, "Date",
	                                zs_mail_date(t_now, sizeof(t_now), ns->o->now));
	if (ret == 0) {
		char field[520];
		snprintf(field, sizeof(field), "<%s>", msgid);
		ret = zs_mail_header(&ns->msg, "Message-ID", field);
	}
	ret = ret != 0 ? ret : zs_mail_header(&ns->msg, "MIME-Version", "1.0");
	ret = ret != 0 ? ret
	               : zs_mail_header(&ns->msg, "Content-Type", "text/plain; charset=UTF-8");
	ret = ret != 0 ? ret
	               : zs_mail_header(&ns->msg, "Content-Transfer-Encoding", "quoted-printable");
	ret = ret != 0 ? ret : zs_mail_header(&ns->msg, "Auto-Submitted", "auto-generated");
	ret = ret != 0 ? ret : zs_buf_putc(&ns->msg, '\n');
	ret = ret != 0 ? ret
	               : zs_mail_qp(&ns->msg, ns->text.data != NULL ? ns->text.data : "",
	                            ns->text.len);
	ret = ret != 0 ? ret : zs_buf_putc(&ns->msg, '\n'); /* the blank line between messages */
	zs_buf_deinit(&subject);
	zs_buf_deinit(&list);
	zs_buf_deinit(&shown_name);
	return ret;
}

static bool selected(const struct notices *ns, const struct zs_db_report_row *row)
{
	int64_t days = (int64_t)ns->o->min_days * 86400;
	switch (ns->o->only) {
	case ZS_NOTICE_NEW:
		return row->since_run == ns->run->id;
	case ZS_NOTICE_PERSISTING:
		return ns->o->now - row->since_at >= days;
	case ZS_NOTICE_ALL:
		break;
	}
	return true;
}

static int one_domain(struct notices *ns, struct zs_db_report_cursor *cur,
                      const struct zs_db_report_row *row)
{
	const char **failing = zs_calloc(row->verdict_count + 1, sizeof(*failing));
	size_t nfailing = 0;
	char msgid[512];
	int ret = 0;

	ns->st.non_compliant++;
	if (!selected(ns, row)) {
		ns->st.filtered++;
		goto out;
	}
	if (ns->o->min_days > 0 && row->last_notice_at > 0 &&
	    ns->o->now - row->last_notice_at < (int64_t)ns->o->min_days * 86400) {
		ns->st.recent++;
		goto out;
	}
	ret = render_rules(ns, row, failing, &nfailing);
	if (ret != 0) {
		goto out;
	}
	if (row->contact_email == NULL) {
		ns->st.no_contact++;
		ret = list_domain(ns, row, "no contact", failing, nfailing);
		goto out;
	}
	ret = build_message(ns, row, failing, nfailing, msgid, sizeof(msgid));
	if (ret == ZS_ERR_USAGE) {
		ns->st.invalid++;
		ret = list_domain(ns, row, "contact or domain unfit for a mail header", failing,
		                  nfailing);
		goto out;
	}
	ret = ret != 0 ? ret : zs_out_write(ns->mbox, ns->msg.data, ns->msg.len);
	if (ret == 0 && !ns->o->dry_run) {
		ret = zs_db_report_log_notice(cur, row->domain, ZS_NOTICE_KIND, row->contact_email,
		                              msgid, failing, nfailing);
	}
	ns->st.written += ret == 0;
out:
	zs_free(failing);
	return ret;
}

const char *const *zs_notice_placeholders(const char *file, size_t *count)
{
	if (strcmp(file, "notice-subject.txt") == 0) {
		*count = S_COUNT_;
		return subject_names;
	}
	if (strcmp(file, "notice-body.txt") == 0) {
		*count = B_COUNT_;
		return body_names;
	}
	if (strcmp(file, "notice-rule.txt") == 0) {
		*count = R_COUNT_;
		return rule_names;
	}
	return NULL;
}

static int load_template(struct notices *ns, const char *file, struct zs_template **out,
                         struct zs_buf *errs)
{
	size_t n = 0;
	const char *const *names = zs_notice_placeholders(file, &n);
	return zs_template_load(ns->o->templates, file, names, n, out, errs);
}

static int load_templates(struct notices *ns, struct zs_buf *errs)
{
	int ret = load_template(ns, "notice-subject.txt", &ns->subject, errs);
	ret = ret != 0 ? ret : load_template(ns, "notice-body.txt", &ns->body, errs);
	return ret != 0 ? ret : load_template(ns, "notice-rule.txt", &ns->rule, errs);
}

static int prepare(struct zs_db *db, int64_t run_id, const char *path, struct notices *ns,
                   struct zs_policy **own_policy, struct zs_buf *errs)
{
	const struct zs_notice_opts *o = ns->o;
	int ret = 0;

	if (strcmp(path, "-") == 0) {
		(void)zs_buf_puts(errs, "notices are written to a file, not to standard output\n");
		return ZS_ERR_USAGE;
	}
	if (o->from == NULL || zs_mail_mailbox_parse(o->from, ns->from_name, sizeof(ns->from_name),
	                                             ns->from_addr, sizeof(ns->from_addr)) != 0) {
		(void)zs_buf_printf(errs,
		                    "From '%s': use \"Name <local@domain>\" or local@domain\n",
		                    o->from != NULL ? o->from : "");
		return ZS_ERR_USAGE;
	}
	if (o->reply_to != NULL && !zs_mail_addr_ok(o->reply_to)) {
		(void)zs_buf_printf(errs, "Reply-To '%s' is not a plain address\n", o->reply_to);
		return ZS_ERR_USAGE;
	}
	ns->from_domain = strrchr(ns->from_addr, '@') + 1;
	zs_text_time(ns->deadline, sizeof(ns->deadline), o->deadline, 2);
	ret = load_templates(ns, errs);
	ret = ret != 0 ? ret : zs_db_run_get(db, run_id, &ns->run);
	if (ret != 0) {
		return ret;
	}
	ns->policy = o->policy;
	if (ns->policy == NULL && zs_policy_load(ns->run->policy, own_policy, NULL) == 0) {
		ns->policy = *own_policy;
	}
	if (ns->policy == NULL) {
		(void)zs_buf_printf(errs,
		                    "run %" PRId64 " used policy '%s', which is not built in: give "
		                    "its file with --policy\n",
		                    run_id, ns->run->policy);
		return ZS_ERR_USAGE;
	}
	return 0;
}

int zs_notices_write(struct zs_db *db, int64_t run_id, const char *path,
                     const struct zs_notice_opts *o, struct zs_notice_stats *stats,
                     struct zs_buf *errs)
{
	struct notices ns = { .o = o };
	struct zs_policy *own_policy = NULL;
	struct zs_db_report_cursor *cur = NULL;
	const struct zs_db_report_row *row = NULL;
	struct zs_buf list_path;
	int ret = 0;

	ZS_REQUIRE(o->now > 0);
	zs_buf_init(&ns.msg, 64 * 1024 * 1024);
	zs_buf_init(&ns.text, 64 * 1024 * 1024);
	zs_buf_init(&ns.rules, 64 * 1024 * 1024);
	zs_buf_init(&ns.tmp, 64 * 1024 * 1024);
	zs_buf_init(&list_path, 8192);
	ret = prepare(db, run_id, path, &ns, &own_policy, errs);
	if (ret == 0) {
		bool gz = (o->out_flags & ZS_OUT_PLAIN) == 0 && zs_out_name_wants_gzip(path);
		ret = zs_notices_list_path(path, gz, &list_path);
	}
	ret = ret != 0 ? ret : zs_out_open(path, o->out_flags, &ns.mbox);
	ret = ret != 0 ? ret : zs_out_open(zs_buf_cstr(&list_path), o->out_flags, &ns.list);
	ret = ret != 0 ? ret
	               : zs_out_puts(ns.list, "domain,why,non_compliant_since,failing_rules,"
	                                      "contact\r\n");
	ret = ret != 0
	              ? ret
	              : zs_db_report_open(db, run_id, NULL, ZS_DB_REPORT_RAW | ZS_DB_REPORT_NOTICES,
	                                  ZS_NOTICE_KIND, &cur);
	while (ret == 0 && (ret = zs_db_report_next(cur, &row)) == 0) {
		ret = one_domain(&ns, cur, row);
	}
	ret = ret == ZS_ERR_EOF ? 0 : ret;
	if (ret == 0) {
		ret = zs_out_commit(ns.mbox);
		ns.mbox = NULL;
	}
	if (ret == 0) {
		ret = zs_out_commit(ns.list);
		ns.list = NULL;
		if (ret != 0) {
			(void)unlink(path);
		}
	}
	if (ret == 0) {
		struct zs_db_report_cursor *c = cur;
		cur = NULL;
		if (o->dry_run) {
			zs_db_report_close(c); /* nothing to log */
		} else {
			ret = zs_db_report_commit(c);
		}
		if (ret != 0) {
			/* the log could not be written: take the notices back */
			(void)unlink(path);
			(void)unlink(zs_buf_cstr(&list_path));
		}
	}
	zs_db_report_close(cur);
	zs_out_abort(ns.mbox);
	zs_out_abort(ns.list);
	if (ret == 0 && stats != NULL) {
		*stats = ns.st;
	}
	zs_template_free(ns.subject);
	zs_template_free(ns.body);
	zs_template_free(ns.rule);
	zs_db_run_free(ns.run);
	zs_policy_free(own_policy);
	zs_buf_deinit(&ns.msg);
	zs_buf_deinit(&ns.text);
	zs_buf_deinit(&ns.rules);
	zs_buf_deinit(&ns.tmp);
	zs_buf_deinit(&list_path);
	return ret;
}
