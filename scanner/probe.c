/* SPDX-License-Identifier: MIT */
/*
 * The per-domain probe: a driver for the record machines of scanner/policy.
 *
 * Each machine speaks the produce/consume contract of scanner/policy/lookup.h (the SPF
 * evaluator, which answers by name, through a small adapter). The driver pumps a machine
 * until it waits, sends every question it produced to the resolver at once, and feeds each
 * answer back as it arrives; questions of different machines for the same name are joined by
 * the resolver's coalescing and cache, not here.
 *
 * A budget timer bounds the whole domain. When it fires, the open questions are withdrawn and
 * answered as timeouts, and from then on every new question is answered as a timeout at once,
 * so the machines finish (their work is bounded) and the domain gets "error" verdicts where
 * data is missing, never "fail".
 */
#include "scanner/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "scanner/base/answer.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/dns/resolver.h"
#include "scanner/policy/dkim.h"
#include "scanner/policy/dkim_learn.h"
#include "scanner/policy/dkim_provider.h"
#include "scanner/policy/dmarc.h"
#include "scanner/policy/lookup.h"
#include "scanner/policy/mx.h"
#include "scanner/policy/psl.h"
#include "scanner/policy/spf_eval.h"
#include "scanner/policy/spf_report.h"
#include "scanner/policy/sts.h"

enum probe_machine_id {
	M_SPF,
	M_MX,
	M_DMARC,
	M_DKIM,
	M_STS,
	M_DS,
	M_COUNT_,
};

static const char *const machine_names[M_COUNT_] = { "spf", "mx", "dmarc", "dkim", "sts", "ds" };

/* PROVIDERS_MAX: providers a domain's records may name before the rest are ignored */
enum { PUMP_BATCH = 32, RAW_MAX = 256, PROVIDERS_MAX = 8 };

struct probe_machine {
	struct zs_probe *probe;
	const struct zs_lookup_ops *ops;
	void *ctx;
	enum probe_machine_id id;
	bool done;
};

struct probe_question {
	struct probe_question *next; /* open questions, for withdrawal */
	struct probe_question *prev;
	struct probe_machine *m;
	struct zs_dns_query *handle;
	uint32_t id;
	uint16_t type;
	const char *name;
};

/* The SPF evaluator answers by (name, type): this gives its questions ids. */
struct spf_adapter {
	struct zs_probe *probe;
	struct zs_spf_ctx *ctx;
	struct zs_spf_need *q; /* every question, by id */
	size_t count;
	size_t cap;
	size_t handed; /* questions handed to the driver */
	bool evaluator_done;
};

/* Without the zone (a `check`), whether the delegation is signed is asked: the DS RRset. */
struct ds_machine {
	bool wanted; /* the zone did not tell */
	bool asked;
	bool answered;
	enum zs_dns_status status;
	size_t count;
	const char *name;
};

enum probe_state {
	PROBE_ASKING,
	PROBE_EXPIRED, /* the budget is spent: every question is a timeout */
	PROBE_DONE,
	PROBE_CANCELLED,
};

struct zs_probe {
	struct zs_arena arena;
	const struct zs_probe_env *env;
	struct zs_probe_domain dom;
	enum probe_state state;
	struct probe_machine m[M_COUNT_];
	struct spf_adapter spf;
	struct zs_dmarc_ctx *dmarc;
	struct zs_dkim_ctx *dkim;
	struct zs_mx_ctx *mx;
	struct zs_sts_ctx *sts;
	struct ds_machine ds;
	const char *providers[PROVIDERS_MAX]; /* provider keys the domain's records name */
	size_t provider_count;
	const char *own_org; /* the domain's organizational domain: not a provider of its own */
	bool hints_closed;   /* SPF and MX are done: no more providers will be named */
	bool dkim_kick;      /* selectors joined the DKIM machine since it was last pumped */
	struct probe_question *open; /* list of questions in flight */
	unsigned open_count;
	unsigned failures; /* questions that ended in a DNS failure */
	bool all_ad;       /* every answer for the domain's own names had AD */
	uv_timer_t budget;
	bool free_wanted;
	zs_probe_done_cb done;
	void *done_arg;
	struct zs_raw_txt *raw;
	size_t raw_count;
	struct zs_facts facts;
	struct zs_eval eval;
	struct zs_probe_result result;
	struct zs_meter meter; /* what the probe holds; adds up into env->meter */
};

static void pump(struct probe_machine *m);
static void maybe_finish(struct zs_probe *p);

/* --- the SPF adapter -------------------------------------------------------------------- */

static int spf_step(void *ctx, struct zs_lookup *need, size_t max, size_t *n)
{
	struct spf_adapter *a = ctx;

	*n = 0;
	if (!a->evaluator_done && a->handed == a->count) {
		const struct zs_spf_need *fresh;
		size_t count;
		if (zs_spf_step(a->ctx, &fresh, &count) == ZS_SPF_DONE) {
			a->evaluator_done = true;
		}
		if (a->count + count > a->cap) {
			size_t cap = a->cap == 0 ? 16 : a->cap;
			while (cap < a->count + count) {
				cap *= 2;
			}
			struct zs_spf_need *q = zs_arena_calloc(&a->probe->arena, cap, sizeof(*q));
			if (a->count > 0) {
				memcpy(q, a->q, a->count * sizeof(*q));
			}
			a->q = q;
			a->cap = cap;
		}
		for (size_t i = 0; i < count; i++) {
			a->q[a->count].name = zs_arena_strdup(&a->probe->arena, fresh[i].name);
			a->q[a->count].type = fresh[i].type;
			a->count++;
		}
	}
	while (a->handed < a->count && *n < max) {
		need[*n].id = (uint32_t)a->handed;
		need[*n].name = a->q[a->handed].name;
		need[*n].type = a->q[a->handed].type;
		a->handed++;
		(*n)++;
	}
	if (*n > 0) {
		return ZS_POLICY_NEED_LOOKUP;
	}
	return a->evaluator_done ? ZS_POLICY_DONE : ZS_POLICY_WAIT;
}

static int spf_answer(void *ctx, uint32_t id, const struct zs_answer *ans)
{
	struct spf_adapter *a = ctx;

	if (id >= a->handed) {
		return ZS_ERR_NOTFOUND;
	}
	return zs_spf_answer(a->ctx, a->q[id].name, a->q[id].type, ans);
}

static const struct zs_lookup_ops spf_adapter_ops = { spf_step, spf_answer };

/* --- the DS question -------------------------------------------------------------------- */

static int ds_step(void *ctx, struct zs_lookup *need, size_t max, size_t *n)
{
	struct ds_machine *d = ctx;

	*n = 0;
	if (!d->wanted || d->answered) {
		return ZS_POLICY_DONE;
	}
	if (d->asked) {
		return ZS_POLICY_WAIT;
	}
	d->asked = true;
	need[0] = (struct zs_lookup){ .id = 0, .type = ZS_RR_DS, .name = d->name };
	*n = 1;
	return ZS_POLICY_NEED_LOOKUP;
}

static int ds_answer(void *ctx, uint32_t id, const struct zs_answer *a)
{
	struct ds_machine *d = ctx;

	if (id != 0 || !d->asked || d->answered) {
		return ZS_ERR_NOTFOUND;
	}
	d->answered = true;
	d->status = a->status;
	for (size_t i = 0; i < a->count; i++) {
		d->count += a->rr[i].type == ZS_RR_DS;
	}
	return 0;
}

static const struct zs_lookup_ops ds_ops = { ds_step, ds_answer };

/* --- questions and answers -------------------------------------------------------------- */

static bool own_name(const struct zs_probe *p, const char *name)
{
	size_t n = strlen(name);
	size_t d = strlen(p->dom.name);
	return strcasecmp(name, p->dom.name) == 0 ||
	       (n > d && name[n - d - 1] == '.' && strcasecmp(name + n - d, p->dom.name) == 0);
}

/* Keep the TXT records of the domain's own names byte-exact for the database. */
static void collect_raw(struct zs_probe *p, const char *name, const struct zs_answer *a)
{
	for (size_t i = 0; i < a->count && p->raw_count < RAW_MAX; i++) {
		if (a->rr[i].type != ZS_RR_TXT) {
			continue;
		}
		if (p->raw == NULL) {
			p->raw = zs_arena_calloc(&p->arena, RAW_MAX, sizeof(*p->raw));
		}
		struct zs_raw_txt *r = &p->raw[p->raw_count++];
		r->owner = zs_arena_strdup(&p->arena, name);
		r->data = (const uint8_t *)zs_rr_txt_join(&p->arena, &a->rr[i], &r->len);
	}
}

/* The raw records in one order, by owner then content (answers come in any order, and a
 * resolver rotates an RRset's): the same records are stored the same way every night. */
static int raw_order(const void *a, const void *b)
{
	const struct zs_raw_txt *x = a;
	const struct zs_raw_txt *y = b;
	int c = strcmp(x->owner, y->owner);
	return c != 0 ? c : zs_rdata_order(x->data, x->len, y->data, y->len);
}

/* --- providers: DKIM selectors named by the domain's own records ----------------------- */

/* The provider a name stands for: its entry in the table, else its organizational domain
 * (never the domain's own: a self-hosted mail server names no provider). */
static const char *provider_key(struct zs_probe *p, enum zs_dkim_evidence kind, const char *name,
                                const struct zs_dkim_provider **prov)
{
	*prov = zs_dkim_providers_match(p->env->providers, kind, name);
	if (*prov != NULL) {
		return (*prov)->name;
	}
	if (p->env->learned == NULL || p->env->psl == NULL) {
		return NULL;
	}
	const char *org = zs_psl_org_domain(p->env->psl, name, &p->arena);
	if (org == NULL || (p->own_org != NULL && strcmp(org, p->own_org) == 0)) {
		return NULL;
	}
	return org;
}

/* A name the domain's records point at: its provider's selectors, and those learned at the
 * provider's other domains, join the DKIM discovery. */
static void note_provider(struct zs_probe *p, enum zs_dkim_evidence kind, const char *name)
{
	const struct zs_dkim_provider *prov = NULL;
	const char *key = provider_key(p, kind, name, &prov);
	if (key == NULL || p->provider_count == PROVIDERS_MAX) {
		return;
	}
	for (size_t i = 0; i < p->provider_count; i++) {
		if (strcmp(p->providers[i], key) == 0) {
			return;
		}
	}
	p->providers[p->provider_count++] = zs_arena_strdup(&p->arena, key);
	size_t added = 0;
	if (prov != NULL) {
		added += zs_dkim_add(p->dkim, prov->selectors, prov->selector_count,
		                     ZS_DKIM_FROM_PROVIDER);
	}
	const char *learned[ZS_DKIM_LEARN_ASK];
	size_t n = zs_dkim_learned_get(p->env->learned, key, learned, ZS_DKIM_LEARN_ASK);
	added += zs_dkim_add(p->dkim, learned, n, ZS_DKIM_FROM_LEARNED);
	p->dkim_kick = p->dkim_kick || added > 0;
}

/* The names an answer shows the domain's mail going through: SPF include and redirect
 * targets (every TXT the SPF analysis asks besides the domain's own), MX hosts, and the CNAME
 * targets its DKIM selectors lead to. */
static void collect_evidence(struct zs_probe *p, const struct probe_machine *m, const char *name,
                             uint16_t type, const struct zs_answer *ans)
{
	if (m->id == M_SPF && type == ZS_RR_TXT && strcasecmp(name, p->dom.name) != 0) {
		note_provider(p, ZS_DKIM_EV_SPF, name);
	} else if (m->id == M_MX && type == ZS_RR_MX && strcasecmp(name, p->dom.name) == 0) {
		for (size_t i = 0; i < ans->count; i++) {
			if (ans->rr[i].type == ZS_RR_MX && ans->rr[i].u.mx.host[0] != '\0') {
				note_provider(p, ZS_DKIM_EV_MX, ans->rr[i].u.mx.host);
			}
		}
	} else if (m->id == M_DKIM && !m->done) {
		for (size_t i = 0; i < ans->cname_count; i++) {
			note_provider(p, ZS_DKIM_EV_CNAME, ans->cname[i]);
		}
	}
}

/* SPF and MX are done: no record will name another provider, DKIM discovery may end. */
static void close_hints(struct zs_probe *p)
{
	if (!p->hints_closed && p->m[M_SPF].done && p->m[M_MX].done) {
		p->hints_closed = true;
		zs_dkim_hints_done(p->dkim);
		p->dkim_kick = true;
	}
}

/* Give an answer to the machine that asked, with the side effects the probe cares about. */
static void deliver(struct zs_probe *p, struct probe_machine *m, uint32_t id, const char *name,
                    uint16_t type, const struct zs_answer *ans)
{
	if (!zs_dns_status_is_answer(ans->status)) {
		p->failures++;
	}
	if (own_name(p, name)) {
		if (type == ZS_RR_TXT) {
			collect_raw(p, name, ans);
		}
		if (!ans->ad) {
			p->all_ad = false;
		}
	}
	if (m->id == M_SPF && type == ZS_RR_TXT && strcasecmp(name, p->dom.name) == 0) {
		/* a v=DMARC1 record at the apex is published at the wrong name */
		zs_dmarc_note_apex(p->dmarc, ans);
	}
	if (m->ops->answer(m->ctx, id, ans) != 0) {
		zs_log_warn(ZS_LOG_POLICY, "%s: %s machine refused the answer for %s %s",
		            p->dom.name, machine_names[m->id], name, zs_rr_type_name(type));
	}
	collect_evidence(p, m, name, type, ans);
}

static void unlink_question(struct zs_probe *p, struct probe_question *q)
{
	if (q->prev != NULL) {
		q->prev->next = q->next;
	} else {
		p->open = q->next;
	}
	if (q->next != NULL) {
		q->next->prev = q->prev;
	}
	q->next = q->prev = NULL;
	p->open_count--;
}

static void on_answer(const struct zs_answer *ans, void *arg)
{
	struct probe_question *q = arg;
	struct probe_machine *m = q->m;
	struct zs_probe *p = m->probe;

	q->handle = NULL;
	unlink_question(p, q);
	deliver(p, m, q->id, q->name, q->type, ans);
	pump(m);
	maybe_finish(p);
}

static const struct zs_answer timed_out = { .status = ZS_DNS_TIMEOUT };

static void ask(struct probe_machine *m, const struct zs_lookup *need)
{
	struct zs_probe *p = m->probe;

	if (p->state != PROBE_ASKING) {
		deliver(p, m, need->id, need->name, need->type, &timed_out);
		return;
	}
	struct probe_question *q = zs_arena_calloc(&p->arena, 1, sizeof(*q));
	q->m = m;
	q->id = need->id;
	q->type = need->type;
	q->name = zs_arena_strdup(&p->arena, need->name);
	q->next = p->open;
	if (p->open != NULL) {
		p->open->prev = q;
	}
	p->open = q;
	p->open_count++;
	if (zs_resolver_query(p->env->res, q->name, q->type, on_answer, q, &q->handle) != 0) {
		/* the resolver is closing (a stop): the question counts as unanswered */
		unlink_question(p, q);
		deliver(p, m, q->id, q->name, q->type, &timed_out);
	}
}

/*
 * Run a machine until it waits for answers or is done. The answers of SPF and MX (and their
 * end) can give the DKIM machine more to ask: it is pumped after them.
 */
static void pump(struct probe_machine *m)
{
	struct zs_probe *p = m->probe;
	struct zs_lookup need[PUMP_BATCH];

	if (m->id == M_DKIM) {
		p->dkim_kick = false;
	}
	while (!m->done) {
		size_t n = 0;
		int rc = m->ops->step(m->ctx, need, PUMP_BATCH, &n);
		for (size_t i = 0; i < n; i++) {
			ask(m, &need[i]);
		}
		if (rc == ZS_POLICY_DONE) {
			m->done = true;
		} else if (n == 0) {
			break;
		}
	}
	if (m->id == M_SPF || m->id == M_MX) {
		close_hints(p);
	}
	if (m->id != M_DKIM && p->dkim_kick) {
		pump(&p->m[M_DKIM]);
	}
}

static void budget_expired(uv_timer_t *t)
{
	struct zs_probe *p = t->data;

	zs_log_debug(ZS_LOG_DNS, "%s: time budget spent with %u questions open", p->dom.name,
	             p->open_count);
	p->state = PROBE_EXPIRED;
	while (p->open != NULL) {
		struct probe_question *q = p->open;
		zs_resolver_cancel(p->env->res, q->handle);
		q->handle = NULL;
		unlink_question(p, q);
		deliver(p, q->m, q->id, q->name, q->type, &timed_out);
	}
	for (int i = 0; i < M_COUNT_; i++) {
		pump(&p->m[i]);
	}
	maybe_finish(p);
}

/* --- facts ------------------------------------------------------------------------------ */

static void facts_mx(struct zs_probe *p, const struct zs_mx_result *r)
{
	struct zs_facts *f = &p->facts;
	const char **hosts = zs_arena_calloc(&p->arena, r->host_count, sizeof(*hosts));
	size_t nh = 0;

	f->mx.status = r->status;
	f->mx.count = r->host_count;
	f->mx.over_limit = r->host_count > 10;
	f->mx.null_misused = r->kind == ZS_MX_KIND_MIXED;
	switch (r->kind) {
	case ZS_MX_KIND_NULL:
		f->mx.kind = ZS_FACT_MX_NULL;
		break;
	case ZS_MX_KIND_HOSTS:
	case ZS_MX_KIND_MIXED:
		f->mx.kind = ZS_FACT_MX_HOSTS;
		break;
	default:
		f->mx.kind = ZS_FACT_MX_NONE;
		break;
	}
	for (size_t i = 0; i < r->host_count; i++) {
		if (!r->host[i].null_mx) {
			hosts[nh++] = r->host[i].name;
		}
	}
	f->mx.hosts = hosts;
	f->mx.host_count = nh;

	/* Reverse DNS over every address of every mail host: the worst case decides, and a
	 * failed lookup makes the state unknown unless a definite failure is already seen. */
	enum zs_dns_status err = ZS_DNS_NOERROR;
	enum zs_fact_rdns state = nh > 0 ? ZS_FACT_RDNS_OK : ZS_FACT_RDNS_NONE;
	const char *detail = NULL;
	for (size_t i = 0; i < r->host_count; i++) {
		const struct zs_mx_host *h = &r->host[i];
		if (h->null_mx || (!h->probed && !h->ip_literal)) {
			continue; /* a duplicate, or over the machine's host limit */
		}
		if (h->ip_literal || (h->addr_count == 0 && zs_dns_status_is_answer(h->a_status) &&
		                      zs_dns_status_is_answer(h->aaaa_status))) {
			state = ZS_FACT_RDNS_UNRESOLVABLE;
			detail = zs_arena_printf(&p->arena, "%s has no address", h->name);
			continue;
		}
		if (h->addr_count == 0) {
			err = !zs_dns_status_is_answer(h->a_status) ? h->a_status : h->aaaa_status;
			continue;
		}
		for (size_t k = 0; k < h->addr_count; k++) {
			const struct zs_mx_addr *ad = &h->addr[k];
			if (ad->rdns == ZS_RDNS_NO_PTR && state != ZS_FACT_RDNS_UNRESOLVABLE) {
				state = ZS_FACT_RDNS_MISSING;
				detail = zs_arena_printf(&p->arena, "%s (%s) has no PTR", ad->text,
				                         h->name);
			} else if (ad->rdns == ZS_RDNS_MISMATCH && state == ZS_FACT_RDNS_OK) {
				state = ZS_FACT_RDNS_MISMATCH;
				detail = zs_arena_printf(
				        &p->arena, "%s (%s): PTR %s", ad->text, h->name,
				        ad->ptr_count == 0           ? "?"
				        : ad->ptr[0].name[0] == '\0' ? "."
				                                     : ad->ptr[0].name);
			} else if (ad->rdns == ZS_RDNS_DNS_ERROR ||
			           ad->rdns == ZS_RDNS_NOT_CHECKED) {
				err = zs_dns_status_is_answer(ad->ptr_status) ? ZS_DNS_TIMEOUT
				                                              : ad->ptr_status;
			}
		}
	}
	/* an unknown lookup only matters while nothing worse than a mismatch is proven */
	bool proven = state == ZS_FACT_RDNS_MISSING || state == ZS_FACT_RDNS_UNRESOLVABLE;
	f->rdns.status = proven || zs_dns_status_is_answer(err) ? r->status : err;
	f->rdns.state = state;
	f->rdns.detail = detail;
}

static void facts_spf(struct zs_probe *p, const struct zs_spf_report *r)
{
	struct zs_facts *f = &p->facts;

	f->spf.status = ZS_DNS_NOERROR;
	if (r->result == ZS_SPF_TEMPERROR) {
		f->spf.status =
		        r->error_finding != NULL ? r->error_finding->dns_status : ZS_DNS_TIMEOUT;
		if (zs_dns_status_is_answer(f->spf.status)) {
			f->spf.status = ZS_DNS_TIMEOUT;
		}
	}
	f->spf.count = r->record_count;
	f->spf.valid = r->record_count == 1 && r->result == ZS_SPF_VALID;
	f->spf.error = r->error != ZS_SPF_CODE_NONE ? zs_spf_code_name(r->error) : NULL;
	if (r->error_finding != NULL && r->error_finding->message != NULL) {
		f->spf.error = zs_arena_printf(&p->arena, "%s: %s", zs_spf_code_name(r->error),
		                               r->error_finding->message);
	}
	f->spf.record = r->record_count == 1 ? r->records[0].data : NULL;
	f->spf.all = r->all;
	f->spf.authorizes = r->authorizes_hosts;
	for (size_t i = 0; i < r->record_count && !f->spf.senders; i++) {
		f->spf.senders = zs_spf_lists_senders(r->records[i].data, r->records[i].len);
	}
	f->spf.uses_ptr = r->ptr;
	f->spf.lookups = r->lookups;
	f->spf.ipv4 = r->ipv4_addresses;
	f->spf.type99_only = r->record_count == 0 && r->type99_count > 0;
}

static void facts_dmarc(struct zs_probe *p, const struct zs_dmarc_result *r)
{
	struct zs_facts *f = &p->facts;
	const struct zs_dmarc_site *own = &r->own;

	f->dmarc.status = own->status;
	if (own->outcome == ZS_DMARC_DNS_ERROR && zs_dns_status_is_answer(own->status)) {
		f->dmarc.status = ZS_DNS_TIMEOUT;
	}
	f->dmarc.count = own->record_total;
	f->dmarc.valid =
	        own->outcome == ZS_DMARC_RECORD && own->record != NULL && own->record->applies;
	if (own->record != NULL) {
		const struct zs_dmarc_record *rec = own->record;
		f->dmarc.record = rec->text;
		f->dmarc.discarded = rec->discarded;
		f->dmarc.broken = zs_dmarc_discarded_text(&p->arena, rec);
		if (!rec->applies) {
			const struct zs_finding *bad = NULL;
			for (size_t i = 0; i < rec->findings.count; i++) {
				if (zs_finding_severity(rec->findings.item[i].code) ==
				    ZS_SEV_ERROR) {
					bad = &rec->findings.item[i];
					break;
				}
			}
			f->dmarc.error = bad != NULL ? bad->message : "syntax error";
		}
	}
	if (f->dmarc.valid && r->source == ZS_DMARC_SRC_OWN) {
		const struct zs_dmarc_effective *e = &r->effective;
		const struct zs_dmarc_record *rec = own->record;
		f->dmarc.p = zs_dmarc_policy_name(e->domain);
		f->dmarc.sp =
		        rec->sp != ZS_DMARC_POLICY_UNSET ? zs_dmarc_policy_name(rec->sp) : NULL;
		f->dmarc.pct = e->pct;
		f->dmarc.adkim = e->adkim == ZS_DMARC_ALIGN_STRICT ? 's' : 'r';
		f->dmarc.aspf = e->aspf == ZS_DMARC_ALIGN_STRICT ? 's' : 'r';
		f->dmarc.has_rua = rec->rua_usable;
	} else {
		f->dmarc.pct = 100;
		f->dmarc.adkim = f->dmarc.aspf = 'r';
	}
	if (r->source == ZS_DMARC_SRC_INHERITED && r->inherited != NULL) {
		f->dmarc.inherited = true;
		f->dmarc.inherited_from = r->inherited->name;
		f->dmarc.inherited_p = zs_dmarc_policy_name(r->effective.domain);
	}
}

static void facts_dkim(struct zs_probe *p, const struct zs_dkim_result *r)
{
	struct zs_facts *f = &p->facts;

	f->dkim.nothing_below = r->subtree_absent;
	f->dkim.probed = r->probed;
	f->dkim.unprobed = r->declared_unprobed;
	for (size_t i = 0; i < r->sel_count; i++) {
		const struct zs_dkim_selector *s = &r->sel[i];
		if (s->wildcard_match) {
			continue; /* the wildcard answering, not a key of its own */
		}
		f->dkim.keys += s->key_count;
		for (size_t k = 0; k < s->key_count; k++) {
			const struct zs_dkim_key *key = &s->keys[k];
			if (key->status != ZS_DKIM_VALID) {
				continue;
			}
			if (key->type == ZS_DKIM_KEY_RSA && key->bits > f->dkim.best_rsa_bits) {
				f->dkim.best_rsa_bits = key->bits;
				f->dkim.best_selector = s->selector;
			} else if (key->type == ZS_DKIM_KEY_ED25519) {
				f->dkim.ed25519 = true;
			}
		}
	}
	/* A failed probe makes DKIM unknown unless the keys found already settle the matter;
	 * the rules compare best_rsa_bits with their own minimum, so keep the failure. */
	f->dkim.status = zs_dkim_result_status(r);
	if (f->dkim.best_rsa_bits >= 2048) {
		f->dkim.status = ZS_DNS_NOERROR;
	}
	f->dkim.wildcard = r->wildcard_present;
	f->dkim.wildcard_revoked = zs_dkim_wildcard_revoked(r);
	f->dkim.wildcard_status = r->subtree_absent ? r->base_status : r->wildcard.status;
	if (!zs_dns_status_is_answer(r->base_status)) {
		f->dkim.wildcard_status = r->base_status;
	}
}

static void fact_site(struct zs_probe *p, struct zs_fact_record *out, const struct zs_sts_site *s,
                      const char *text, bool valid, const char *error)
{
	out->status = s->status;
	if (s->outcome == ZS_STS_DNS_ERROR && zs_dns_status_is_answer(s->status)) {
		out->status = ZS_DNS_TIMEOUT;
	}
	out->present = s->outcome == ZS_STS_RECORD || s->outcome == ZS_STS_MULTIPLE;
	out->valid = s->outcome == ZS_STS_RECORD && valid;
	out->record = text;
	out->error = s->outcome == ZS_STS_MULTIPLE ? "more than one record" : error;
}

static const char *first_error(const struct zs_findings *fs)
{
	for (size_t i = 0; i < fs->count; i++) {
		if (zs_finding_severity(fs->item[i].code) == ZS_SEV_ERROR) {
			return fs->item[i].message;
		}
	}
	return NULL;
}

static void facts_sts(struct zs_probe *p, const struct zs_sts_result *r)
{
	const struct zs_mtasts_record *m = r->mtasts.record_count > 0 ? r->mtasts.mtasts : NULL;
	const struct zs_tlsrpt_record *t = r->tlsrpt.record_count > 0 ? r->tlsrpt.tlsrpt : NULL;
	const struct zs_bimi_record *b = r->bimi.record_count > 0 ? r->bimi.bimi : NULL;

	fact_site(p, &p->facts.mta_sts, &r->mtasts, m != NULL ? m->text : NULL,
	          m != NULL && m->valid, m != NULL ? first_error(&m->findings) : NULL);
	fact_site(p, &p->facts.tls_rpt, &r->tlsrpt, t != NULL ? t->text : NULL,
	          t != NULL && t->valid, t != NULL ? first_error(&t->findings) : NULL);
	fact_site(p, &p->facts.bimi, &r->bimi, b != NULL ? b->text : NULL, b != NULL && b->valid,
	          b != NULL ? first_error(&b->findings) : NULL);
}

/* The JSON writers of the record machines, in one shape. */
static void json_mx(struct zs_json *j, const struct zs_probe *p)
{
	zs_mx_result_json(j, zs_mx_result(p->mx));
}

static void json_spf(struct zs_json *j, const struct zs_probe *p)
{
	(void)zs_spf_report_json(zs_spf_report(p->spf.ctx), j);
}

static void json_dmarc(struct zs_json *j, const struct zs_probe *p)
{
	zs_dmarc_result_json(j, zs_dmarc_result(p->dmarc));
}

static void json_dkim(struct zs_json *j, const struct zs_probe *p)
{
	zs_dkim_result_json(j, zs_dkim_result(p->dkim));
}

/* Write a machine's result object with the part's DNS status as its first member, so that
 * every fact says whether it could be checked. */
static void json_part(struct zs_json *j, const char *key, enum zs_dns_status status,
                      void (*write)(struct zs_json *, const struct zs_probe *),
                      const struct zs_probe *p)
{
	char head[48];
	int n = snprintf(head, sizeof(head), "\"status\":\"%s\",", zs_dns_status_name(status));

	zs_json_key(j, key);
	size_t at = j->out->len; /* where the part's object starts */
	write(j, p);
	/* put the status first inside the object the machine wrote: '{' then the head */
	if (j->err == 0 && j->out->len > at + 1 && j->out->data[at] == '{') {
		bool empty = j->out->len == at + 2;
		j->err = zs_buf_insert(j->out, at + 1, head, (size_t)n - (empty ? 1 : 0));
	}
}

static void json_fact_record(struct zs_json *j, const char *key, const struct zs_fact_record *r)
{
	zs_json_key(j, key);
	zs_json_obj_begin(j);
	zs_json_kstr(j, "status", zs_dns_status_name(r->status));
	zs_json_kbool(j, "present", r->present);
	zs_json_kbool(j, "valid", r->valid);
	zs_json_kdata(j, "record", r->record, r->record != NULL ? strlen(r->record) : 0);
	zs_json_kstr(j, "error", r->error);
	zs_json_obj_end(j);
}

/* The facts as members of the object being written (the database stores them as one object,
 * the JSON outputs put them beside the verdicts). */
static void write_facts_members(struct zs_json *j, const struct zs_probe *p)
{
	const struct zs_facts *f = &p->facts;
	static const char *const rdns_names[] = {
		[ZS_FACT_RDNS_OK] = "ok",           [ZS_FACT_RDNS_MISMATCH] = "mismatch",
		[ZS_FACT_RDNS_MISSING] = "missing", [ZS_FACT_RDNS_UNRESOLVABLE] = "unresolvable",
		[ZS_FACT_RDNS_NONE] = "none",
	};

	zs_json_key(j, "mx"); /* the MX result carries its own status */
	json_mx(j, p);
	json_part(j, "spf", f->spf.status, json_spf, p);
	json_part(j, "dmarc", f->dmarc.status, json_dmarc, p);
	json_part(j, "dkim", f->dkim.status, json_dkim, p);
	zs_json_key(j, "rdns");
	zs_json_obj_begin(j);
	zs_json_kstr(j, "status", zs_dns_status_name(f->rdns.status));
	zs_json_kstr(j, "state", rdns_names[f->rdns.state]);
	zs_json_kstr(j, "detail", f->rdns.detail);
	zs_json_obj_end(j);
	json_fact_record(j, "mta_sts", &f->mta_sts);
	json_fact_record(j, "tls_rpt", &f->tls_rpt);
	json_fact_record(j, "bimi", &f->bimi);
	zs_json_key(j, "sts");
	zs_sts_result_json(j, zs_sts_result(p->sts));
	zs_json_key(j, "dnssec");
	zs_json_obj_begin(j);
	zs_json_kstr(j, "status", zs_dns_status_name(f->dnssec.status));
	zs_json_kbool(j, "known", f->dnssec.known);
	zs_json_kbool(j, "signed", f->dnssec.signed_delegation);
	zs_json_kint(j, "ds", (long long)p->dom.ds_count);
	zs_json_kbool(j, "validated", f->dnssec.validated);
	zs_json_obj_end(j);
	zs_json_key(j, "summary");
	zs_facts_json(j, f);
}

static void write_facts_json(struct zs_probe *p)
{
	struct zs_json j;

	(void)zs_buf_reserve(&p->result.facts, 16 * 1024); /* a domain's facts: ~10 KiB */
	zs_json_init(&j, &p->result.facts);
	zs_json_obj_begin(&j);
	write_facts_members(&j, p);
	zs_json_obj_end(&j);
	if (zs_json_error(&j) != 0) {
		/* a domain whose records do not fit is still stored, with that fact */
		zs_buf_reset(&p->result.facts);
		(void)zs_buf_puts(&p->result.facts, "{\"error\":\"facts too large to store\"}");
	}
	zs_meter_add(&p->meter, p->result.facts.cap);
}

int zs_probe_result_json(const struct zs_probe *p, struct zs_buf *out)
{
	const struct zs_probe_result *r = &p->result;
	struct zs_json j;

	zs_json_init(&j, out);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "domain", r->domain);
	zs_json_kstr(&j, "policy", p->env->policy->name);
	zs_json_kstr(&j, "policy_version", p->env->policy->version);
	zs_json_kstr(&j, "status", r->status);
	zs_json_kstr(&j, "mail", r->mail_kind);
	zs_json_kint(&j, "warnings", r->warnings);
	zs_json_key(&j, "rules");
	zs_json_obj_begin(&j);
	for (size_t i = 0; i < r->verdict_count; i++) {
		zs_json_key(&j, r->verdicts[i].rule);
		zs_json_obj_begin(&j);
		zs_json_kstr(&j, "verdict", r->verdicts[i].verdict);
		zs_json_kstr(&j, "reason", r->verdicts[i].reason);
		zs_json_obj_end(&j);
	}
	zs_json_obj_end(&j);
	int ret = zs_json_error(&j);
	/* the facts were serialised once for the database: their members follow the rules */
	const struct zs_buf *facts = &r->facts;
	if (ret == 0 && facts->len > 2) {
		ret = zs_buf_putc(out, ',');
		if (ret == 0) {
			ret = zs_buf_append(out, facts->data + 1, facts->len - 1);
		}
	} else if (ret == 0) {
		ret = zs_buf_putc(out, '}');
	}
	return ret;
}

/*
 * What the DKIM levers found, and what this domain teaches the other domains of its providers:
 * a key at a selector that came from a declaration or from learning (the list and the provider
 * table are asked everywhere already).
 */
static void dkim_levers(struct zs_probe *p, const struct zs_dkim_result *r)
{
	struct zs_probe_result *res = &p->result;
	const struct zs_facts *f = &p->facts;

	memcpy(res->dkim_keys, r->keys_by_origin, sizeof(res->dkim_keys));
	res->dkim_learnable = p->env->learned != NULL && p->provider_count > 0 &&
	                      !r->subtree_absent && zs_dns_status_is_answer(r->base_status) &&
	                      f->dkim.best_rsa_bits == 0 && !f->dkim.ed25519;
	for (size_t i = 0; i < r->sel_count && p->env->learned != NULL; i++) {
		const struct zs_dkim_selector *s = &r->sel[i];
		if (s->wildcard_match || s->key_total == 0 ||
		    (s->origin != ZS_DKIM_FROM_DECLARED && s->origin != ZS_DKIM_FROM_LEARNED)) {
			continue;
		}
		for (size_t k = 0; k < p->provider_count; k++) {
			(void)zs_dkim_learned_note(p->env->learned, p->providers[k], s->selector);
		}
	}
}

static void evaluate(struct zs_probe *p)
{
	const struct zs_probe_env *env = p->env;
	struct zs_probe_result *r = &p->result;
	struct zs_facts *f = &p->facts;

	f->domain = p->dom.name;
	facts_mx(p, zs_mx_result(p->mx));
	facts_spf(p, zs_spf_report(p->spf.ctx));
	facts_dmarc(p, zs_dmarc_result(p->dmarc));
	facts_dkim(p, zs_dkim_result(p->dkim));
	facts_sts(p, zs_sts_result(p->sts));
	if (p->ds.wanted) {
		/* asked, not read from the zone: known only when the DS question was answered */
		f->dnssec.status = p->ds.status;
		f->dnssec.known = zs_dns_status_is_answer(p->ds.status);
		p->dom.ds_count = p->ds.count;
	} else {
		f->dnssec.status = ZS_DNS_NOERROR;
		f->dnssec.known = p->dom.delegation_known;
	}
	f->dnssec.signed_delegation = p->dom.ds_count > 0;
	f->dnssec.validated = env->validating && p->all_ad;

	zs_policy_eval(env->policy, f, p->dom.exemptions, p->dom.exemption_count, env->today,
	               &p->arena, &p->eval);
	r->domain = p->dom.name;
	r->status = zs_domain_status_name(p->eval.status);
	r->mail_kind = p->eval.mail < 0 ? "unknown" : p->eval.mail == 1 ? "mail" : "non-mail";
	r->warnings = (int)p->eval.warnings;
	r->unfinished = p->failures > 0;
	dkim_levers(p, zs_dkim_result(p->dkim));
	r->verdict_count = p->eval.count;
	r->verdicts = zs_arena_calloc(&p->arena, p->eval.count, sizeof(*r->verdicts));
	for (size_t i = 0; i < p->eval.count; i++) {
		r->verdicts[i].rule = p->eval.results[i].rule->id;
		r->verdicts[i].verdict = zs_verdict_name(p->eval.results[i].verdict);
		r->verdicts[i].reason = p->eval.results[i].reason;
	}
	if (p->raw_count > 1) {
		qsort(p->raw, p->raw_count, sizeof(*p->raw), raw_order);
	}
	r->raw = p->raw;
	r->raw_count = p->raw_count;
	r->summary = f;
	r->eval = &p->eval;
	write_facts_json(p);
}

static void maybe_finish(struct zs_probe *p)
{
	if (p->state == PROBE_DONE || p->state == PROBE_CANCELLED || p->open_count > 0) {
		return;
	}
	for (int i = 0; i < M_COUNT_; i++) {
		if (!p->m[i].done) {
			return;
		}
	}
	(void)uv_timer_stop(&p->budget);
	evaluate(p);
	p->state = PROBE_DONE;
	p->done(p, p->done_arg);
}

/* --- life cycle ------------------------------------------------------------------------- */

static void probe_release(uv_handle_t *h)
{
	struct zs_probe *p = h->data;

	if (p->free_wanted) {
		zs_spf_ctx_free(p->spf.ctx);
		zs_meter_sub(&p->meter, sizeof(*p) + p->result.facts.cap);
		zs_buf_deinit(&p->result.facts);
		zs_arena_deinit(&p->arena);
		zs_free(p);
	}
}

static void init_machine(struct zs_probe *p, enum probe_machine_id id,
                         const struct zs_lookup_ops *ops, void *ctx)
{
	p->m[id] = (struct probe_machine){ .probe = p, .ops = ops, .ctx = ctx, .id = id };
}

int zs_probe_start(const struct zs_probe_env *env, const struct zs_probe_domain *dom,
                   zs_probe_done_cb done, void *arg, struct zs_probe **out)
{
	struct zs_probe *p = zs_calloc(1, sizeof(*p));
	const char *name;

	p->meter.parent = env->meter;
	zs_meter_add(&p->meter, sizeof(*p));
	zs_arena_init(&p->arena);
	zs_arena_set_meter(&p->arena, &p->meter);
	p->env = env;
	p->dom = *dom;
	name = p->dom.name = zs_arena_strdup(&p->arena, dom->name);
	p->done = done;
	p->done_arg = arg;
	p->state = PROBE_ASKING;
	p->all_ad = true;
	zs_buf_init(&p->result.facts, 64 * 1024 * 1024); /* allocated when the facts are written */
	(void)uv_timer_init(env->loop, &p->budget);
	p->budget.data = p;

	p->spf.probe = p;
	struct zs_spf_analysis_opts sopts = { .cache = env->spf_cache, .meter = &p->meter };
	p->spf.ctx = zs_spf_analysis_new(name, &sopts);
	struct zs_dmarc_opts dopts = { .psl = env->psl };
	p->dmarc = zs_dmarc_new(&p->arena, name, &dopts);
	struct zs_dkim_opts kopts = {
		.selectors = env->selectors,
		.selector_count = env->selector_count,
		.declared = dom->declared_selectors,
		.declared_count = dom->declared_count,
		.hints = env->providers != NULL || env->learned != NULL,
	};
	p->hints_closed = !kopts.hints;
	if (env->learned != NULL && env->psl != NULL) {
		p->own_org = zs_psl_org_domain(env->psl, name, &p->arena);
	}
	p->dkim = zs_dkim_new(&p->arena, name, &kopts);
	p->mx = zs_mx_new(&p->arena, name, NULL);
	p->sts = zs_sts_new(&p->arena, name);
	init_machine(p, M_SPF, &spf_adapter_ops, &p->spf);
	init_machine(p, M_MX, &zs_mx_lookup_ops, p->mx);
	init_machine(p, M_DMARC, &zs_dmarc_lookup_ops, p->dmarc);
	init_machine(p, M_DKIM, &zs_dkim_lookup_ops, p->dkim);
	init_machine(p, M_STS, &zs_sts_lookup_ops, p->sts);
	p->ds.wanted = !dom->delegation_known;
	p->ds.name = name;
	p->ds.status = ZS_DNS_NOT_ASKED;
	init_machine(p, M_DS, &ds_ops, &p->ds);

	(void)uv_timer_start(&p->budget, budget_expired,
	                     env->budget_ms != 0 ? env->budget_ms : 60000, 0);
	for (int i = 0; i < M_COUNT_; i++) {
		pump(&p->m[i]);
	}
	if (p->open_count == 0) {
		/* every machine finished without a question: finish on the next loop turn */
		(void)uv_timer_start(&p->budget, budget_expired, 0, 0);
	}
	*out = p;
	return 0;
}

size_t zs_probe_peak_bytes(const struct zs_probe *p)
{
	return p->meter.peak;
}

const struct zs_probe_result *zs_probe_result(const struct zs_probe *p)
{
	return &p->result;
}

void zs_probe_cancel(struct zs_probe *p)
{
	while (p->open != NULL) {
		struct probe_question *q = p->open;
		zs_resolver_cancel(p->env->res, q->handle);
		unlink_question(p, q);
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

/* --- the human view --------------------------------------------------------------------- */

int zs_probe_render_text(const struct zs_probe *p, bool colour, struct zs_buf *out)
{
	static const char *const tags[] = {
		[ZS_VERDICT_PASS] = "PASS", [ZS_VERDICT_FAIL] = "FAIL",  [ZS_VERDICT_WARN] = "WARN",
		[ZS_VERDICT_NA] = " n/a",   [ZS_VERDICT_ERROR] = " ERR",
	};
	static const char *const colours[] = {
		[ZS_VERDICT_PASS] = "\033[32m",  [ZS_VERDICT_FAIL] = "\033[31m",
		[ZS_VERDICT_WARN] = "\033[33m",  [ZS_VERDICT_NA] = "\033[2m",
		[ZS_VERDICT_ERROR] = "\033[35m",
	};
	const struct zs_policy *pol = p->env->policy;
	const struct zs_probe_result *r = &p->result;
	int ret = zs_buf_printf(out, "%s — %s%s%s under %s %s (%s)\n", r->domain,
	                        colour ? "\033[1m" : "", r->status, colour ? "\033[0m" : "",
	                        pol->name, pol->version, r->mail_kind);

	for (size_t i = 0; i < p->eval.count && ret == 0; i++) {
		const struct zs_rule_result *rr = &p->eval.results[i];
		ret = zs_buf_printf(out, "  %s[%s]%s %-20s %s\n",
		                    colour ? colours[rr->verdict] : "", tags[rr->verdict],
		                    colour ? "\033[0m" : "", rr->rule->id, rr->rule->title);
		if (ret == 0) {
			ret = zs_buf_puts(out, "         ");
		}
		if (ret == 0) {
			ret = zs_escape_data(out, rr->reason, strlen(rr->reason));
		}
		if (ret == 0) {
			ret = zs_buf_putc(out, '\n');
		}
		if (ret == 0 &&
		    (rr->verdict == ZS_VERDICT_FAIL || rr->verdict == ZS_VERDICT_WARN) &&
		    rr->rule->fix != NULL) {
			struct zs_buf fix;
			zs_buf_init(&fix, 1 << 16);
			ret = zs_policy_render_fix(pol, rr->rule, &p->facts, &fix);
			for (const char *s = zs_buf_cstr(&fix); ret == 0 && *s != '\0';) {
				const char *nl = strchr(s, '\n');
				size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
				ret = zs_buf_puts(out, "         fix: ");
				if (ret == 0) {
					ret = zs_escape_data(out, s, n);
				}
				if (ret == 0) {
					ret = zs_buf_putc(out, '\n');
				}
				s = nl != NULL ? nl + 1 : s + n;
			}
			zs_buf_deinit(&fix);
		}
	}
	if (ret == 0 && pol->attest_count > 0) {
		ret = zs_buf_puts(out,
		                  "  not checkable from outside (attested by the registrant):\n");
		for (size_t i = 0; i < pol->attest_count && ret == 0; i++) {
			ret = zs_buf_printf(out, "         %s: %s\n", pol->attest[i].id,
			                    pol->attest[i].text);
		}
	}
	return ret;
}
