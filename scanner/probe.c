/* SPDX-License-Identifier: MIT */
/*
 * The per-domain probe. Its questions are asked at once and answered in any order; each
 * answer is copied into the probe's arena. A budget timer bounds the whole domain: questions
 * still open when it fires are withdrawn and recorded as timeouts, never as missing records.
 * When the last question is settled the records are evaluated and the result is built.
 *
 * This is the walking skeleton's evaluation: apex MX and TXT and the _dmarc TXT; SPF present
 * (exactly one v=spf1 record) and DMARC present with its p=. A DNS failure is recorded as such
 * and makes the verdict "error", never "fail".
 */
#include "scanner/probe.h"

#include <string.h>
#include <strings.h>

#include <uv.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/dns/resolver.h"

enum probe_q {
	PROBE_Q_MX,
	PROBE_Q_TXT,
	PROBE_Q_DMARC,
	PROBE_Q_COUNT_,
};

static const struct {
	const char *key;    /* name in the facts */
	const char *prefix; /* label prepended to the domain */
	uint16_t type;
} probe_questions[PROBE_Q_COUNT_] = {
	[PROBE_Q_MX] = { "mx", "", ZS_RR_MX },
	[PROBE_Q_TXT] = { "txt", "", ZS_RR_TXT },
	[PROBE_Q_DMARC] = { "dmarc", "_dmarc.", ZS_RR_TXT },
};

struct probe_question {
	struct zs_probe *probe;
	struct zs_query *handle; /* while in flight */
	const struct zs_answer *ans;
	enum probe_q which;
};

enum probe_state {
	PROBE_ASKING,
	PROBE_DONE,
	PROBE_CANCELLED,
};

struct zs_probe {
	struct zs_arena arena;
	struct zs_resolver *res;
	const char *domain;
	enum probe_state state;
	unsigned open;  /* questions still in flight */
	uv_timer_t budget;
	bool timer_closed;
	bool free_wanted;
	zs_probe_done_cb done;
	void *done_arg;
	struct probe_question q[PROBE_Q_COUNT_];
	struct zs_probe_result result;
};

static void finish(struct zs_probe *p);

static void question_done(const struct zs_answer *ans, void *arg)
{
	struct probe_question *q = arg;
	struct zs_probe *p = q->probe;

	q->handle = NULL;
	q->ans = zs_answer_dup(&p->arena, ans);
	p->open--;
	if (p->open == 0 && p->state == PROBE_ASKING) {
		finish(p);
	}
}

static void budget_expired(uv_timer_t *t)
{
	struct zs_probe *p = t->data;
	static const struct zs_answer timed_out = { .status = ZS_DNS_TIMEOUT };

	zs_log_debug(ZS_LOG_DNS, "%s: time budget spent with %u questions open", p->domain,
		     p->open);
	for (int i = 0; i < PROBE_Q_COUNT_; i++) {
		struct probe_question *q = &p->q[i];
		if (q->handle != NULL) {
			zs_resolver_cancel(p->res, q->handle);
			q->handle = NULL;
			q->ans = &timed_out;
			p->open--;
		}
	}
	finish(p);
}

static void probe_release(uv_handle_t *h)
{
	struct zs_probe *p = h->data;

	p->timer_closed = true;
	if (p->free_wanted) {
		zs_buf_deinit(&p->result.facts);
		zs_arena_deinit(&p->arena);
		zs_free(p);
	}
}

int zs_probe_start(struct uv_loop_s *loop, struct zs_resolver *res, const char *domain, unsigned budget_ms,
		   zs_probe_done_cb done, void *arg, struct zs_probe **out)
{
	struct zs_probe *p = zs_calloc(1, sizeof(*p));

	zs_arena_init(&p->arena);
	p->res = res;
	p->domain = zs_arena_strdup(&p->arena, domain);
	p->done = done;
	p->done_arg = arg;
	p->state = PROBE_ASKING;
	zs_buf_init(&p->result.facts, 16 * 1024 * 1024);
	(void)uv_timer_init(loop, &p->budget);
	p->budget.data = p;
	for (int i = 0; i < PROBE_Q_COUNT_; i++) {
		struct probe_question *q = &p->q[i];
		char *name = zs_arena_printf(&p->arena, "%s%s", probe_questions[i].prefix, domain);
		q->probe = p;
		q->which = (enum probe_q)i;
		int ret = zs_resolver_query(res, name, probe_questions[i].type, question_done, q,
					    &q->handle);
		if (ret != 0) {
			zs_probe_cancel(p);
			return ret;
		}
		p->open++;
	}
	(void)uv_timer_start(&p->budget, budget_expired, budget_ms, 0);
	*out = p;
	return 0;
}

/* --- evaluation ------------------------------------------------------------------------- */

static bool txt_starts_with_tag(const char *text, size_t len, const char *tag)
{
	size_t n = strlen(tag);
	/* "v=spf1" must be followed by a space or the end (RFC 7208 4.5) */
	return len >= n && strncasecmp(text, tag, n) == 0 && (len == n || text[n] == ' ');
}

/* Count the TXT records of an answer that are of one kind; keep the last one's text. */
static size_t count_records(struct zs_probe *p, const struct zs_answer *a, const char *tag,
			    const char **text, size_t *text_len)
{
	size_t count = 0;
	for (size_t i = 0; i < a->count; i++) {
		size_t len;
		char *t = zs_rr_txt_join(&p->arena, &a->rr[i], &len);
		if (txt_starts_with_tag(t, len, tag)) {
			count++;
			*text = t;
			*text_len = len;
		}
	}
	return count;
}

/* The value of p= in a DMARC record, or NULL. */
static const char *dmarc_policy(struct zs_probe *p, const char *rec, size_t len)
{
	const char *s = rec;
	const char *end = rec + len;

	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *tag_end = semi != NULL ? semi : end;
		while (s < tag_end && (*s == ' ' || *s == '\t')) {
			s++;
		}
		if (tag_end - s > 2 && s[0] == 'p' && (s[1] == '=' || s[1] == ' ')) {
			const char *v = memchr(s, '=', (size_t)(tag_end - s));
			if (v != NULL) {
				v++;
				while (v < tag_end && *v == ' ') {
					v++;
				}
				const char *ve = tag_end;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
					ve--;
				}
				return zs_arena_strndup(&p->arena, v, (size_t)(ve - v));
			}
		}
		s = tag_end + 1;
	}
	return NULL;
}

static void json_answer(struct zs_json *j, const char *key, const struct zs_answer *a)
{
	zs_json_key(j, key);
	zs_json_obj_begin(j);
	zs_json_kstr(j, "status", zs_dns_status_name(a->status));
	zs_json_key(j, "records");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < a->count; i++) {
		const struct zs_rr *rr = &a->rr[i];
		if (rr->type == ZS_RR_MX) {
			zs_json_obj_begin(j);
			zs_json_kint(j, "pref", rr->u.mx.pref);
			zs_json_kstr(j, "host", rr->u.mx.host);
			zs_json_obj_end(j);
		} else if (rr->type == ZS_RR_TXT) {
			zs_json_arr_begin(j);
			for (size_t s = 0; s < rr->u.txt.count; s++) {
				zs_json_data(j, rr->u.txt.str[s], rr->u.txt.len[s]);
			}
			zs_json_arr_end(j);
		}
	}
	zs_json_arr_end(j);
	if (a->cname_count > 0) {
		zs_json_key(j, "cname");
		zs_json_arr_begin(j);
		for (size_t i = 0; i < a->cname_count; i++) {
			zs_json_str(j, a->cname[i]);
		}
		zs_json_arr_end(j);
	}
	zs_json_obj_end(j);
}

static void add_verdict(struct zs_probe *p, const char *rule, const char *verdict,
			const char *reason)
{
	struct zs_verdict *v = &p->result.verdicts[p->result.verdict_count++];
	v->rule = rule;
	v->verdict = verdict;
	v->reason = reason;
}

static void evaluate(struct zs_probe *p)
{
	const struct zs_answer *mx = p->q[PROBE_Q_MX].ans;
	const struct zs_answer *txt = p->q[PROBE_Q_TXT].ans;
	const struct zs_answer *dmarc = p->q[PROBE_Q_DMARC].ans;
	struct zs_probe_result *r = &p->result;
	const char *spf_text = NULL;
	const char *dmarc_text = NULL;
	size_t spf_len = 0;
	size_t dmarc_len = 0;
	size_t spf_count = count_records(p, txt, "v=spf1", &spf_text, &spf_len);
	size_t dmarc_count = count_records(p, dmarc, "v=DMARC1", &dmarc_text, &dmarc_len);
	const char *policy = dmarc_count == 1 ? dmarc_policy(p, dmarc_text, dmarc_len) : NULL;

	r->domain = p->domain;
	r->verdicts = zs_arena_calloc(&p->arena, 2, sizeof(*r->verdicts));
	r->unfinished = !zs_dns_status_is_answer(mx->status) ||
			!zs_dns_status_is_answer(txt->status) ||
			!zs_dns_status_is_answer(dmarc->status);

	bool null_mx = mx->count == 1 && mx->rr[0].u.mx.host[0] == '\0';
	if (!zs_dns_status_is_answer(mx->status)) {
		r->mail_kind = "unknown";
	} else {
		r->mail_kind = mx->count > 0 && !null_mx ? "mail" : "non-mail";
	}

	if (!zs_dns_status_is_answer(txt->status)) {
		add_verdict(p, "SPF-PRESENT", "error",
			    zs_arena_printf(&p->arena, "TXT lookup failed: %s",
					    zs_dns_status_name(txt->status)));
	} else if (spf_count == 1) {
		add_verdict(p, "SPF-PRESENT", "pass", "one SPF record");
	} else {
		add_verdict(p, "SPF-PRESENT", "fail",
			    spf_count == 0 ? "no SPF record" : "more than one SPF record");
	}
	if (!zs_dns_status_is_answer(dmarc->status)) {
		add_verdict(p, "DMARC-PRESENT", "error",
			    zs_arena_printf(&p->arena, "_dmarc lookup failed: %s",
					    zs_dns_status_name(dmarc->status)));
	} else if (dmarc_count == 1 && policy != NULL) {
		add_verdict(p, "DMARC-PRESENT", "pass",
			    zs_arena_printf(&p->arena, "DMARC record with p=%s", policy));
	} else {
		add_verdict(p, "DMARC-PRESENT", "fail",
			    dmarc_count == 0   ? "no DMARC record"
			    : dmarc_count == 1 ? "DMARC record without p="
					       : "more than one DMARC record");
	}

	bool any_fail = false;
	bool any_error = false;
	for (size_t i = 0; i < r->verdict_count; i++) {
		any_fail |= strcmp(r->verdicts[i].verdict, "fail") == 0;
		any_error |= strcmp(r->verdicts[i].verdict, "error") == 0;
	}
	r->status = any_fail ? "non-compliant" : any_error ? "indeterminate" : "compliant";

	struct zs_json j;
	zs_json_init(&j, &r->facts);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "domain", p->domain);
	zs_json_kstr(&j, "mail", r->mail_kind);
	json_answer(&j, "mx", mx);
	json_answer(&j, "txt", txt);
	zs_json_key(&j, "spf");
	zs_json_obj_begin(&j);
	zs_json_kint(&j, "count", (long long)spf_count);
	zs_json_key(&j, "record");
	zs_json_data(&j, spf_count == 1 ? spf_text : NULL, spf_len);
	zs_json_obj_end(&j);
	json_answer(&j, "dmarc_txt", dmarc);
	zs_json_key(&j, "dmarc");
	zs_json_obj_begin(&j);
	zs_json_kint(&j, "count", (long long)dmarc_count);
	zs_json_key(&j, "record");
	zs_json_data(&j, dmarc_count == 1 ? dmarc_text : NULL, dmarc_len);
	zs_json_kstr(&j, "p", policy);
	zs_json_obj_end(&j);
	zs_json_obj_end(&j);
	if (zs_json_error(&j) != 0) {
		/* A domain whose records do not fit is still stored, with that fact. */
		zs_buf_reset(&r->facts);
		(void)zs_buf_printf(&r->facts, "{\"domain\":\"%s\",\"error\":\"facts too large\"}",
				    p->domain);
	}
}

static void finish(struct zs_probe *p)
{
	(void)uv_timer_stop(&p->budget);
	evaluate(p);
	p->state = PROBE_DONE;
	p->done(p, p->done_arg);
}

const struct zs_probe_result *zs_probe_result(const struct zs_probe *p)
{
	return &p->result;
}

void zs_probe_cancel(struct zs_probe *p)
{
	for (int i = 0; i < PROBE_Q_COUNT_; i++) {
		if (p->q[i].handle != NULL) {
			zs_resolver_cancel(p->res, p->q[i].handle);
			p->q[i].handle = NULL;
		}
	}
	p->state = PROBE_CANCELLED;
	zs_probe_free(p);
}

void zs_probe_free(struct zs_probe *p)
{
	if (p == NULL) {
		return;
	}
	p->free_wanted = true;
	if (!uv_is_closing((uv_handle_t *)&p->budget)) {
		uv_close((uv_handle_t *)&p->budget, probe_release);
	}
}
