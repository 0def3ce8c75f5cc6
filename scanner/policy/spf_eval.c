/* SPDX-License-Identifier: MIT */
/*
 * SPF evaluation context and check_host() (RFC 7208 sections 4 to 6 and 8).
 *
 * The evaluator never does I/O. It is a replay over an answer cache: every zs_spf_step()
 * runs the evaluation from the start; when it needs an answer it does not have, the question
 * is handed to the caller and the pass stops (check_host(), whose next step depends on the
 * answer) or goes on with what does not depend on it (the analysis, the address lookups of MX
 * hosts and PTR names), so independent questions leave together. Answers are copied into the
 * context and TXT answers are parsed once, so a replay is a walk over cached data: simpler to
 * get right than a hand-written resumable state machine for recursion through include,
 * redirect, %{p} and exp=, and cheap because evaluations are short and bounded.
 *
 * Limits (RFC 7208 4.6.4): 10 DNS-querying terms counted as they are evaluated (the suite's
 * include-at-limit passes with an 11th term never reached), 2 void lookups (NXDOMAIN or
 * NODATA answers of a, mx, ptr and exists; not exp=), more than 10 MX records is a permerror,
 * PTR names beyond the 10th are ignored. Target names that cannot be queried (empty or long
 * labels) make a/mx/ptr/exists not match and include/redirect a permerror; the suite accepts
 * fail or permerror there and prefers the no-match reading.
 */
#include "scanner/policy/spf_eval.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scanner/base/err.h"
#include "scanner/policy/spf_int.h"

enum { AGAIN = -1 };

/** How one mechanism came out. */
enum match {
	M_NOMATCH,
	M_MATCH,
	M_TEMPERROR,
	M_PERMERROR,
	M_AGAIN,
};

/** check_host() on one domain. */
struct chk {
	enum zs_spf_result result;
	const struct zs_spf_term *exp; /**< exp= of the record whose mechanism gave fail */
	const char *exp_domain;        /**< that record's domain */
};

/** A finding while the pass runs (flattened into the report's array at the end). */
struct finding_item {
	struct zs_spf_finding f;
	struct finding_item *next;
};

struct pass_findings {
	struct finding_item *head;
	struct finding_item *tail;
	struct finding_item *error;
	size_t count;
};

static const struct {
	const char *name;
	enum zs_spf_severity sev;
	const char *msg;
} codes[] = { { "", ZS_SPF_SEV_INFO, "" },
#define XX(name, text, sev, msg) { text, ZS_SPF_SEV_##sev, msg },
	      ZS_SPF_CODE_MAP(XX)
#undef XX
};

const char *zs_spf_code_name(enum zs_spf_code code)
{
	return (unsigned)code < ZS_SPF_CODE_COUNT_ ? codes[code].name : "invalid";
}

enum zs_spf_severity zs_spf_code_severity(enum zs_spf_code code)
{
	return (unsigned)code < ZS_SPF_CODE_COUNT_ ? codes[code].sev : ZS_SPF_SEV_INFO;
}

const char *zs_spf_severity_name(enum zs_spf_severity s)
{
	switch (s) {
	case ZS_SPF_SEV_ERROR:
		return "error";
	case ZS_SPF_SEV_WARNING:
		return "warning";
	default:
		return "info";
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Answer cache */

static uint32_t hash_question(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		h = (h ^ *p) * 16777619u;
	}
	return h;
}

/* Lower case, one final dot dropped. */
static char *norm_name(struct zs_arena *a, const char *name)
{
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.') {
		n--;
	}
	char *s = zs_arena_strndup(a, name, n);
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			*p = (char)(*p + 32);
		}
	}
	return s;
}

static struct zs__spf_entry *find_entry(const struct zs_spf_ctx *c, const char *name, uint16_t type,
                                        uint32_t h)
{
	size_t mask = c->table_size - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct zs__spf_entry *e = c->table[i];
		if (e == NULL) {
			return NULL;
		}
		if (e->hash == h && e->type == type && strcmp(e->name, name) == 0) {
			return e;
		}
	}
}

static void insert_entry(struct zs_spf_ctx *c, struct zs__spf_entry *e)
{
	if ((c->entries + 1) * 2 > c->table_size) {
		size_t old_size = c->table_size;
		struct zs__spf_entry **old = c->table;
		c->table_size = old_size * 2;
		c->table = zs_calloc(c->table_size, sizeof(*c->table));
		for (size_t i = 0; i < old_size; i++) {
			if (old[i] != NULL) {
				size_t mask = c->table_size - 1;
				size_t j = old[i]->hash & mask;
				while (c->table[j] != NULL) {
					j = (j + 1) & mask;
				}
				c->table[j] = old[i];
			}
		}
		zs_free(old);
	}
	size_t mask = c->table_size - 1;
	size_t j = e->hash & mask;
	while (c->table[j] != NULL) {
		j = (j + 1) & mask;
	}
	c->table[j] = e;
	c->entries++;
}

static struct zs__spf_entry *new_entry(struct zs_spf_ctx *c, const char *name, uint16_t type,
                                       uint32_t h)
{
	struct zs__spf_entry *e = zs_arena_calloc(&c->arena, 1, sizeof(*e));
	e->name = zs_arena_strdup(&c->arena, name);
	e->type = type;
	e->hash = h;
	insert_entry(c, e);
	return e;
}

static void add_need(struct zs_spf_ctx *c, const struct zs__spf_entry *e)
{
	if (c->need_count == c->need_cap) {
		c->need_cap = c->need_cap == 0 ? 8 : c->need_cap * 2;
		c->needs = zs_reallocarray(c->needs, c->need_cap, sizeof(*c->needs));
	}
	c->needs[c->need_count].name = e->name;
	c->needs[c->need_count].type = e->type;
	c->need_count++;
}

static enum zs__spf_look classify(const struct zs__spf_entry *e)
{
	switch (e->status) {
	case ZS_DNS_NOERROR:
		return e->count > 0 ? ZS__SPF_LOOK_DATA : ZS__SPF_LOOK_VOID;
	case ZS_DNS_NODATA:
	case ZS_DNS_NXDOMAIN:
		return ZS__SPF_LOOK_VOID;
	case ZS_DNS_BADNAME:
		return ZS__SPF_LOOK_BADNAME;
	default:
		return ZS__SPF_LOOK_ERROR;
	}
}

enum zs__spf_look zs__spf_lookup(struct zs_spf_ctx *c, const char *name, uint16_t type,
                                 struct zs__spf_entry **out)
{
	static struct zs__spf_entry capped = { .name = "",
		                               .answered = true,
		                               .status = ZS_DNS_NOT_ASKED };
	uint32_t h = hash_question(name, type);
	struct zs__spf_entry *e = find_entry(c, name, type, h);

	if (e == NULL) {
		if (c->entries >= ZS__SPF_MAX_QUESTIONS) {
			c->capped = true;
			*out = &capped;
			return ZS__SPF_LOOK_ERROR;
		}
		e = new_entry(c, name, type, h);
		add_need(c, e);
	}
	if (!e->answered) {
		c->blocked = true;
		return ZS__SPF_LOOK_AGAIN;
	}
	*out = e;
	return classify(e);
}

int zs_spf_answer(struct zs_spf_ctx *c, const char *name, uint16_t type,
                  const struct zs_answer *ans)
{
	char buf[512];
	size_t name_len = strlen(name);
	const char *n = name;

	if (name_len < sizeof(buf)) {
		/* the usual case, questions this context asked: already in normal form */
		memcpy(buf, name, name_len + 1);
		if (name_len > 0 && buf[name_len - 1] == '.') {
			buf[name_len - 1] = '\0';
		}
		for (char *p = buf; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z') {
				*p = (char)(*p + 32);
			}
		}
		n = buf;
	} else {
		n = norm_name(&c->arena, name);
	}
	uint32_t h = hash_question(n, type);
	struct zs__spf_entry *e = find_entry(c, n, type, h);

	if (e == NULL && c->entries < ZS__SPF_MAX_QUESTIONS) {
		e = new_entry(c, n, type, h);
	}
	if (e == NULL || e->answered) {
		return 0;
	}
	e->answered = true;
	e->status = ans->status;
	size_t count = 0;
	for (size_t i = 0; ans->status == ZS_DNS_NOERROR && i < ans->count; i++) {
		count += ans->rr[i].type == type;
	}
	if (ans->status == ZS_DNS_NOERROR && count == 0) {
		e->status = ZS_DNS_NODATA;
	}
	if (count == 0) {
		return 0;
	}
	e->rr = zs_arena_calloc(&c->arena, count, sizeof(*e->rr));
	for (size_t i = 0; i < ans->count; i++) {
		const struct zs_rr *src = &ans->rr[i];
		struct zs_rr *dst = &e->rr[e->count];
		if (src->type != type) {
			continue;
		}
		*dst = *src;
		switch (type) {
		case ZS_RR_MX:
			dst->u.mx.host = norm_name(&c->arena, src->u.mx.host);
			break;
		case ZS_RR_PTR:
		case ZS_RR_CNAME:
		case ZS_RR_NS:
			dst->u.name = norm_name(&c->arena, src->u.name);
			break;
		case ZS_RR_TXT:
		case ZS_RR_SPF: {
			size_t k = src->u.txt.count;
			const uint8_t **str = zs_arena_calloc(&c->arena, k + 1, sizeof(*str));
			uint16_t *len = zs_arena_calloc(&c->arena, k + 1, sizeof(*len));
			for (size_t j = 0; j < k; j++) {
				len[j] = src->u.txt.len[j];
				str[j] = zs_arena_memdup(&c->arena, src->u.txt.str[j], len[j]);
			}
			dst->u.txt.str = str;
			dst->u.txt.len = len;
			break;
		}
		default:
			break;
		}
		e->count++;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Shared parse cache */

struct cached_record {
	uint32_t hash;
	const char *text;
	size_t len;
	int ret;
	struct zs_spf_record *rec;
	struct zs_spf_syntax syn;
};

struct zs_spf_cache {
	struct zs_arena arena;
	struct cached_record *slots; /**< open addressing; text NULL when free */
	size_t size;                 /**< power of two, at least twice max */
	size_t count;
	size_t max;
};

enum { CACHE_DEFAULT = 4096, CACHE_MAX_BYTES = 32 << 20 };

struct zs_spf_cache *zs_spf_cache_new(size_t max_records)
{
	struct zs_spf_cache *k = zs_calloc(1, sizeof(*k));
	zs_arena_init(&k->arena);
	k->max = max_records != 0 ? max_records : CACHE_DEFAULT;
	k->size = 16;
	while (k->size < 2 * k->max) {
		k->size *= 2;
	}
	k->slots = zs_calloc(k->size, sizeof(*k->slots));
	return k;
}

void zs_spf_cache_free(struct zs_spf_cache *k)
{
	if (k == NULL) {
		return;
	}
	zs_arena_deinit(&k->arena);
	zs_free(k->slots);
	zs_free(k);
}

static uint32_t hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	}
	return h;
}

/* Parse through the cache: a hit, or a new entry while there is room, else a private parse. */
static void parse_shared(struct zs_spf_ctx *c, struct zs__spf_sel *sel, const char *text,
                         size_t len)
{
	struct zs_spf_cache *k = c->cache;
	uint32_t h = hash_bytes(text, len);
	size_t mask = k->size - 1;
	size_t i = h & mask;

	for (; k->slots[i].text != NULL; i = (i + 1) & mask) {
		struct cached_record *cr = &k->slots[i];
		if (cr->hash == h && cr->len == len && memcmp(cr->text, text, len) == 0) {
			sel->parse_ret = cr->ret;
			sel->rec = cr->rec;
			sel->syn = cr->syn;
			return;
		}
	}
	if (k->count >= k->max || k->arena.total > CACHE_MAX_BYTES) {
		sel->parse_ret = zs_spf_record_parse(&c->arena, text, len, &sel->rec, &sel->syn);
		return;
	}
	struct cached_record *cr = &k->slots[i];
	cr->ret = zs_spf_record_parse(&k->arena, text, len, &cr->rec, &cr->syn);
	cr->hash = h;
	cr->len = len;
	cr->text = zs_arena_strndup(&k->arena, text, len);
	k->count++;
	sel->parse_ret = cr->ret;
	sel->rec = cr->rec;
	sel->syn = cr->syn;
}

static int spf_text_order(const void *a, const void *b)
{
	const struct zs_spf_text *x = a;
	const struct zs_spf_text *y = b;
	return zs_rdata_order(x->data, x->len, y->data, y->len);
}

const struct zs__spf_sel *zs__spf_select(struct zs_spf_ctx *c, const struct zs__spf_entry *ce,
                                         bool shared)
{
	struct zs__spf_entry *e = (struct zs__spf_entry *)ce;

	if (e->sel != NULL) {
		return e->sel;
	}
	struct zs__spf_sel *sel = zs_arena_calloc(&c->arena, 1, sizeof(*sel));
	struct zs_spf_text *texts = zs_arena_calloc(&c->arena, e->count + 1, sizeof(*texts));
	sel->records = texts;
	sel->txt_count = e->count;
	for (size_t i = 0; i < e->count; i++) {
		size_t len;
		const char *text = zs_rr_txt_join(&c->arena, &e->rr[i], &len);
		for (size_t j = 0; j < e->rr[i].u.txt.count; j++) {
			sel->rrset_size += e->rr[i].u.txt.len[j] + 1u;
			if (e->rr[i].u.txt.len[j] > sel->longest_string) {
				sel->longest_string = e->rr[i].u.txt.len[j];
			}
		}
		if (zs_spf_is_record(text, len)) {
			texts[sel->spf_count].data = text;
			texts[sel->spf_count].len = len;
			sel->spf_count++;
		}
	}
	if (sel->spf_count > 1) {
		/* by content, not answer order (zs_rdata_order()) */
		qsort(texts, sel->spf_count, sizeof(*texts), spf_text_order);
	}
	if (sel->spf_count == 1) {
		if (shared && c->cache != NULL) {
			parse_shared(c, sel, texts[0].data, texts[0].len);
		} else {
			sel->parse_ret = zs_spf_record_parse(&c->arena, texts[0].data, texts[0].len,
			                                     &sel->rec, &sel->syn);
		}
		if (sel->parse_ret == ZS_ERR_TOOBIG) {
			sel->syn.pos = ZS_SPF_RECORD_MAX;
			sel->syn.msg = "record too long";
		}
	}
	e->sel = sel;
	return sel;
}

/* ------------------------------------------------------------------------------------------ */
/* Names, findings, nodes */

bool zs__spf_name_ok(const char *name, bool multi_label)
{
	size_t n = strlen(name);
	size_t label = 0;
	size_t labels = 1;

	if (n == 0 || n > ZS__SPF_NAME_MAX) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
			labels++;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0 && (!multi_label || labels >= 2);
}

int zs__spf_target(struct zs_spf_ctx *c, const struct zs_spf_macro_env *env, const char *spec,
                   const char **out, char *missing)
{
	const char *s = spec;
	size_t n = strlen(spec);

	if (memchr(spec, '%', n) != NULL) {
		zs_buf_reset(&c->scratch);
		int ret = zs_spf_macro_expand(env, spec, n, 0, &c->scratch, missing);
		if (ret != 0) {
			return ret;
		}
		s = zs_buf_cstr(&c->scratch);
		n = c->scratch.len;
	}
	if (n > 0 && s[n - 1] == '.') {
		n--;
	}
	/* RFC 7208 7.3: drop labels on the left until the name fits in 253 characters */
	while (n > ZS__SPF_NAME_MAX) {
		const char *dot = memchr(s, '.', n);
		if (dot == NULL) {
			break;
		}
		n -= (size_t)(dot + 1 - s);
		s = dot + 1;
	}
	char *name = zs_arena_strndup(&c->pass, s, n);
	for (char *p = name; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			*p = (char)(*p + 32);
		}
	}
	*out = name;
	return 0;
}

static struct pass_findings *pass_findings(struct zs_spf_ctx *c)
{
	return (struct pass_findings *)c->findings_state;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static struct zs_spf_finding *vfinding(struct zs_spf_ctx *c, enum zs_spf_code code,
                                       const char *domain, long pos, const char *fmt, va_list ap)
        __attribute__((format(printf, 5, 0)));

static struct zs_spf_finding *vfinding(struct zs_spf_ctx *c, enum zs_spf_code code,
                                       const char *domain, long pos, const char *fmt, va_list ap)
{
	struct pass_findings *pf = pass_findings(c);
	/* errors have room beyond the cap of the others; the one truncation notice always */
	bool important = codes[code].sev == ZS_SPF_SEV_ERROR;
	size_t cap = ZS__SPF_MAX_FINDINGS + (important ? ZS__SPF_MAX_FINDINGS / 4 : 0);
	const char *msg = codes[code].msg;

	if (c->blocked) {
		return NULL; /* this pass only gathers questions: its report is thrown away */
	}
	if (fmt != NULL) {
		va_list ap2;
		va_copy(ap2, ap);
		int n = vsnprintf(NULL, 0, fmt, ap);
		char *m = zs_arena_alloc(&c->pass, n > 0 ? (size_t)n + 1 : 1);
		(void)vsnprintf(m, n > 0 ? (size_t)n + 1 : 1, fmt, ap2);
		va_end(ap2);
		msg = m;
	}
	/* a term reached through several includes gives one finding */
	for (struct finding_item *it = pf->head; it != NULL; it = it->next) {
		if (it->f.code == code && it->f.pos == pos && same_text(it->f.domain, domain) &&
		    same_text(it->f.message, msg)) {
			return &it->f;
		}
	}
	if (pf->count >= cap && code != ZS_SPF_CODE_TRUNCATED) {
		c->report->findings_truncated = true;
		return NULL;
	}
	struct finding_item *it = zs_arena_calloc(&c->pass, 1, sizeof(*it));
	it->f.code = code;
	it->f.domain = domain;
	it->f.pos = pos;
	it->f.message = msg;
	if (pf->tail != NULL) {
		pf->tail->next = it;
	} else {
		pf->head = it;
	}
	pf->tail = it;
	pf->count++;
	return &it->f;
}

struct zs_spf_finding *zs__spf_finding(struct zs_spf_ctx *c, enum zs_spf_code code,
                                       const char *domain, long pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct zs_spf_finding *f = vfinding(c, code, domain, pos, fmt, ap);
	va_end(ap);
	return f;
}

struct zs_spf_finding *zs__spf_error(struct zs_spf_ctx *c, enum zs_spf_code code,
                                     const char *domain, long pos, const char *fmt, ...)
{
	struct pass_findings *pf = pass_findings(c);
	va_list ap;

	if (c->report->error != ZS_SPF_CODE_NONE) {
		/* a later error of the same walk: keep it as a finding only */
		va_start(ap, fmt);
		struct zs_spf_finding *f = vfinding(c, code, domain, pos, fmt, ap);
		va_end(ap);
		return f;
	}
	c->report->error = code;
	if (pf->count >= ZS__SPF_MAX_FINDINGS + ZS__SPF_MAX_FINDINGS / 4) {
		/* the error always gets its finding: drop the last one kept */
		struct finding_item *it = pf->head;
		while (it != NULL && it->next != pf->tail) {
			it = it->next;
		}
		if (it != NULL) {
			it->next = NULL;
			pf->tail = it;
			pf->count--;
		}
	}
	va_start(ap, fmt);
	struct zs_spf_finding *f = vfinding(c, code, domain, pos, fmt, ap);
	va_end(ap);
	/* f is the first member of its item */
	pf->error = (struct finding_item *)f;
	return f;
}

void zs__spf_finding_dns(struct zs_spf_finding *f, const struct zs__spf_entry *e)
{
	if (f == NULL || e == NULL) {
		return;
	}
	f->dns_name = e->name;
	f->dns_type = e->type;
	f->dns_status = e->status;
}

struct zs_spf_node *zs__spf_node_new(struct zs_spf_ctx *c, struct zs_spf_node *parent,
                                     enum zs_spf_node_kind kind, const struct zs_spf_record *rec,
                                     const struct zs_spf_term *t, const char *domain)
{
	struct zs_spf_node *n = zs_arena_calloc(&c->pass, 1, sizeof(*n));
	n->kind = kind;
	n->domain = domain;
	if (t != NULL) {
		n->term = zs_arena_strndup(&c->pass, rec->text + t->pos, t->len);
		n->qualifier = kind == ZS_SPF_NODE_INCLUDE ? t->qualifier : 0;
	}
	if (parent != NULL) {
		struct zs_spf_node **p = &parent->child;
		while (*p != NULL) {
			p = &(*p)->next;
		}
		*p = n;
	}
	return n;
}

/* ------------------------------------------------------------------------------------------ */
/* check_host() */

static void base_env(const struct zs_spf_ctx *c, const char *domain, struct zs_spf_macro_env *env)
{
	memset(env, 0, sizeof(*env));
	env->sender = c->sender;
	env->local = c->local;
	env->sender_domain = c->sender_domain;
	env->domain = domain;
	env->ip = c->analysis ? NULL : &c->ip;
	env->helo = c->helo;
	env->receiver = c->receiver;
	env->now = c->now;
}

static uint16_t addr_type(const struct zs_spf_ip *ip)
{
	return ip->family == 4 ? ZS_RR_A : ZS_RR_AAAA;
}

static bool rr_matches(const struct zs_spf_ip *ip, const struct zs_rr *rr, unsigned cidr4,
                       unsigned cidr6)
{
	if (ip->family == 4 && rr->type == ZS_RR_A) {
		return zs__spf_ip_in(ip, rr->u.a, cidr4);
	}
	if (ip->family == 6 && rr->type == ZS_RR_AAAA) {
		return zs__spf_ip_in(ip, rr->u.aaaa, cidr6);
	}
	return false;
}

static bool name_within(const char *name, const char *target)
{
	size_t n = strlen(name);
	size_t t = strlen(target);

	if (n == t) {
		return strcasecmp(name, target) == 0;
	}
	return n > t && name[n - t - 1] == '.' && strcasecmp(name + n - t, target) == 0;
}

/*
 * %{p} (RFC 7208 7.3): the first validated PTR name of the client that is <domain> itself,
 * else a subdomain of it, else any validated name; "unknown" when none (DNS errors included).
 */
static int compute_p(struct zs_spf_ctx *c, const char *domain, const char **out)
{
	char rev[80];
	struct zs__spf_entry *e;
	enum zs__spf_look lk;

	c->report->ptr = true;
	zs_spf_reverse_name(&c->ip, rev, sizeof(rev));
	lk = zs__spf_lookup(c, rev, ZS_RR_PTR, &e);
	if (lk == ZS__SPF_LOOK_AGAIN) {
		return AGAIN;
	}
	*out = "unknown";
	if (lk != ZS__SPF_LOOK_DATA) {
		return 0;
	}
	bool blocked = false;
	int best_rank = 3;
	for (size_t i = 0; i < e->count && i < ZS__SPF_PTR_LIMIT; i++) {
		const char *name = e->rr[i].u.name;
		struct zs__spf_entry *ae;
		if (!zs__spf_name_ok(name, false)) {
			continue;
		}
		lk = zs__spf_lookup(c, name, addr_type(&c->ip), &ae);
		if (lk == ZS__SPF_LOOK_AGAIN) {
			blocked = true;
			continue;
		}
		if (lk != ZS__SPF_LOOK_DATA) {
			continue;
		}
		bool valid = false;
		for (size_t j = 0; j < ae->count && !valid; j++) {
			valid = rr_matches(&c->ip, &ae->rr[j], 32, 128);
		}
		int rank = !valid                          ? 3
		           : strcasecmp(name, domain) == 0 ? 0
		           : name_within(name, domain)     ? 1
		                                           : 2;
		if (rank < best_rank) {
			best_rank = rank;
			*out = name;
		}
	}
	return blocked ? AGAIN : 0;
}

/*
 * The target name of a term: its domain-spec expanded, or the current domain. @return 0,
 * AGAIN, or 1 when the name cannot be used (expansion failed, empty or long labels).
 */
static int term_target(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t,
                       bool multi_label, const char **out)
{
	struct zs_spf_macro_env env;
	char missing = 0;

	if (t->spec == NULL) {
		*out = domain;
		return 0;
	}
	base_env(c, domain, &env);
	if (t->macro && zs_spf_macro_uses(t->spec, strlen(t->spec), 'p')) {
		if (compute_p(c, domain, &env.ptr) == AGAIN) {
			return AGAIN;
		}
	}
	if (zs__spf_target(c, &env, t->spec, out, &missing) != 0) {
		return 1;
	}
	return zs__spf_name_ok(*out, multi_label) ? 0 : 1;
}

static struct zs_spf_finding *dns_error(struct zs_spf_ctx *c, const char *domain,
                                        const struct zs__spf_entry *e)
{
	struct zs_spf_finding *f =
	        zs__spf_error(c, ZS_SPF_CODE_DNS_ERROR, domain, -1, "%s %s lookup failed: %s",
	                      e->name, zs_rr_type_name(e->type), zs_dns_status_name(e->status));
	zs__spf_finding_dns(f, e);
	return f;
}

/* A void lookup: counted, and over the limit a permerror. */
static enum match void_lookup(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t,
                              const struct zs__spf_entry *e)
{
	c->voids++;
	(void)zs__spf_finding(c, ZS_SPF_CODE_VOID_LOOKUP, domain, t->pos, "%s %s: %s", e->name,
	                      zs_rr_type_name(e->type), zs_dns_status_name(e->status));
	if (c->voids > ZS__SPF_VOID_LIMIT) {
		(void)zs__spf_error(c, ZS_SPF_CODE_VOID_LIMIT, domain, t->pos,
		                    "void lookup %u over the limit of %d", c->voids,
		                    ZS__SPF_VOID_LIMIT);
		return M_PERMERROR;
	}
	return M_NOMATCH;
}

/* The common handling of a lookup that is not data. */
static enum match lookup_fail(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t,
                              enum zs__spf_look lk, const struct zs__spf_entry *e)
{
	switch (lk) {
	case ZS__SPF_LOOK_AGAIN:
		return M_AGAIN;
	case ZS__SPF_LOOK_ERROR:
		(void)dns_error(c, domain, e);
		return M_TEMPERROR;
	case ZS__SPF_LOOK_VOID:
		return void_lookup(c, domain, t, e);
	default:
		return M_NOMATCH;
	}
}

static enum match match_a(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t)
{
	const char *name;
	struct zs__spf_entry *e;
	int ret = term_target(c, domain, t, false, &name);

	if (ret != 0) {
		return ret == AGAIN ? M_AGAIN : M_NOMATCH;
	}
	enum zs__spf_look lk = zs__spf_lookup(c, name, addr_type(&c->ip), &e);
	if (lk != ZS__SPF_LOOK_DATA) {
		return lookup_fail(c, domain, t, lk, e);
	}
	for (size_t i = 0; i < e->count; i++) {
		if (rr_matches(&c->ip, &e->rr[i], t->cidr4, t->cidr6)) {
			return M_MATCH;
		}
	}
	return M_NOMATCH;
}

static enum match match_mx(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t)
{
	const char *name;
	struct zs__spf_entry *e;
	int ret = term_target(c, domain, t, false, &name);

	if (ret != 0) {
		return ret == AGAIN ? M_AGAIN : M_NOMATCH;
	}
	enum zs__spf_look lk = zs__spf_lookup(c, name, ZS_RR_MX, &e);
	if (lk != ZS__SPF_LOOK_DATA) {
		return lookup_fail(c, domain, t, lk, e);
	}
	if (e->count > ZS__SPF_MX_LIMIT) {
		(void)zs__spf_error(c, ZS_SPF_CODE_TOO_MANY_MX, domain, t->pos,
		                    "%s has %zu MX records, over the limit of %d", name, e->count,
		                    ZS__SPF_MX_LIMIT);
		return M_PERMERROR;
	}
	bool blocked = false;
	const struct zs__spf_entry *failed = NULL;
	for (size_t i = 0; i < e->count; i++) {
		const char *host = e->rr[i].u.mx.host;
		struct zs__spf_entry *ae;
		if (!zs__spf_name_ok(host, false)) {
			continue; /* null MX (RFC 7505) or a name that cannot be asked */
		}
		lk = zs__spf_lookup(c, host, addr_type(&c->ip), &ae);
		if (lk == ZS__SPF_LOOK_AGAIN) {
			blocked = true;
		} else if (lk == ZS__SPF_LOOK_ERROR) {
			failed = ae;
		} else if (lk == ZS__SPF_LOOK_DATA) {
			for (size_t j = 0; j < ae->count; j++) {
				if (rr_matches(&c->ip, &ae->rr[j], t->cidr4, t->cidr6)) {
					return M_MATCH;
				}
			}
		}
	}
	if (blocked) {
		return M_AGAIN;
	}
	if (failed != NULL) {
		(void)dns_error(c, domain, failed);
		return M_TEMPERROR;
	}
	return M_NOMATCH;
}

/* RFC 7208 5.5: a DNS error on the PTR lookup is no match, one on a name skips the name. */
static enum match match_ptr(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t)
{
	const char *target;
	char rev[80];
	struct zs__spf_entry *e;
	int ret = term_target(c, domain, t, false, &target);

	c->report->ptr = true;
	if (ret != 0) {
		return ret == AGAIN ? M_AGAIN : M_NOMATCH;
	}
	zs_spf_reverse_name(&c->ip, rev, sizeof(rev));
	enum zs__spf_look lk = zs__spf_lookup(c, rev, ZS_RR_PTR, &e);
	if (lk == ZS__SPF_LOOK_VOID) {
		return void_lookup(c, domain, t, e);
	}
	if (lk != ZS__SPF_LOOK_DATA) {
		return lk == ZS__SPF_LOOK_AGAIN ? M_AGAIN : M_NOMATCH;
	}
	bool blocked = false;
	for (size_t i = 0; i < e->count && i < ZS__SPF_PTR_LIMIT; i++) {
		const char *name = e->rr[i].u.name;
		struct zs__spf_entry *ae;
		if (!zs__spf_name_ok(name, false) || !name_within(name, target)) {
			continue;
		}
		lk = zs__spf_lookup(c, name, addr_type(&c->ip), &ae);
		if (lk == ZS__SPF_LOOK_AGAIN) {
			blocked = true;
			continue;
		}
		for (size_t j = 0; lk == ZS__SPF_LOOK_DATA && j < ae->count; j++) {
			if (rr_matches(&c->ip, &ae->rr[j], 32, 128)) {
				return M_MATCH;
			}
		}
	}
	return blocked ? M_AGAIN : M_NOMATCH;
}

static enum match match_exists(struct zs_spf_ctx *c, const char *domain,
                               const struct zs_spf_term *t)
{
	const char *name;
	struct zs__spf_entry *e;
	int ret = term_target(c, domain, t, false, &name);

	if (ret != 0) {
		return ret == AGAIN ? M_AGAIN : M_NOMATCH;
	}
	/* always an A query, whatever the client's family (RFC 7208 5.7) */
	enum zs__spf_look lk = zs__spf_lookup(c, name, ZS_RR_A, &e);
	if (lk != ZS__SPF_LOOK_DATA) {
		return lookup_fail(c, domain, t, lk, e);
	}
	return M_MATCH;
}

static int check_host(struct zs_spf_ctx *c, const char *domain, int depth, struct zs_spf_node *node,
                      struct chk *out);

static enum match match_include(struct zs_spf_ctx *c, const char *domain,
                                const struct zs_spf_record *rec, const struct zs_spf_term *t,
                                int depth, struct zs_spf_node *node)
{
	const char *target;
	struct chk sub;
	int ret = term_target(c, domain, t, true, &target);

	if (ret == AGAIN) {
		return M_AGAIN;
	}
	struct zs_spf_node *child =
	        zs__spf_node_new(c, node, ZS_SPF_NODE_INCLUDE, rec, t, ret == 0 ? target : NULL);
	if (ret != 0) {
		child->result = ZS_SPF_NONE;
		(void)zs__spf_error(c, ZS_SPF_CODE_INCLUDE_NONE, domain, t->pos,
		                    "include target is not a valid domain name");
		return M_PERMERROR;
	}
	const char *matched = c->report->matched;
	const char *matched_domain = c->report->matched_domain;
	if (check_host(c, target, depth + 1, child, &sub) == AGAIN) {
		return M_AGAIN;
	}
	switch (sub.result) {
	case ZS_SPF_PASS:
		return M_MATCH;
	case ZS_SPF_TEMPERROR:
		return M_TEMPERROR;
	case ZS_SPF_PERMERROR:
		return M_PERMERROR;
	case ZS_SPF_NONE:
		(void)zs__spf_error(c, ZS_SPF_CODE_INCLUDE_NONE, domain, t->pos,
		                    "include:%s has no SPF record", target);
		return M_PERMERROR;
	default:
		c->report->matched = matched;
		c->report->matched_domain = matched_domain;
		return M_NOMATCH;
	}
}

static enum match match_term(struct zs_spf_ctx *c, const char *domain,
                             const struct zs_spf_record *rec, const struct zs_spf_term *t,
                             int depth, struct zs_spf_node *node)
{
	switch (t->kind) {
	case ZS_SPF_ALL:
		return M_MATCH;
	case ZS_SPF_IP4:
		return c->ip.family == 4 && zs__spf_ip_in(&c->ip, t->addr, t->cidr4) ? M_MATCH
		                                                                     : M_NOMATCH;
	case ZS_SPF_IP6:
		return c->ip.family == 6 && zs__spf_ip_in(&c->ip, t->addr, t->cidr6) ? M_MATCH
		                                                                     : M_NOMATCH;
	case ZS_SPF_A:
		return match_a(c, domain, t);
	case ZS_SPF_MX:
		return match_mx(c, domain, t);
	case ZS_SPF_PTR:
		return match_ptr(c, domain, t);
	case ZS_SPF_EXISTS:
		return match_exists(c, domain, t);
	case ZS_SPF_INCLUDE:
		return match_include(c, domain, rec, t, depth, node);
	default:
		return M_NOMATCH;
	}
}

static enum zs_spf_result qualifier_result(char q)
{
	switch (q) {
	case '-':
		return ZS_SPF_FAIL;
	case '~':
		return ZS_SPF_SOFTFAIL;
	case '?':
		return ZS_SPF_NEUTRAL;
	default:
		return ZS_SPF_PASS;
	}
}

/* Count a DNS-querying term; false when it goes over the limit (the error is recorded). */
static bool count_lookup(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t)
{
	c->lookups++;
	if (c->lookups > ZS__SPF_TERM_LIMIT) {
		(void)zs__spf_error(c, ZS_SPF_CODE_LOOKUP_LIMIT, domain, t->pos,
		                    "DNS-querying term %u over the limit of %d", c->lookups,
		                    ZS__SPF_TERM_LIMIT);
		return false;
	}
	return true;
}

/* The record of a check_host() domain: 0 with *rec, 1 with the result set, or AGAIN. */
static int fetch_record(struct zs_spf_ctx *c, const char *domain, struct zs_spf_node *node,
                        const struct zs_spf_record **rec, struct chk *out)
{
	struct zs__spf_entry *e;
	enum zs__spf_look lk = zs__spf_lookup(c, domain, ZS_RR_TXT, &e);

	if (lk == ZS__SPF_LOOK_AGAIN) {
		return AGAIN;
	}
	out->result = ZS_SPF_NONE;
	if (lk == ZS__SPF_LOOK_ERROR) {
		(void)dns_error(c, domain, e);
		out->result = ZS_SPF_TEMPERROR;
		return 1;
	}
	if (lk != ZS__SPF_LOOK_DATA) {
		return 1;
	}
	const struct zs__spf_sel *sel = zs__spf_select(c, e, node->kind != ZS_SPF_NODE_ROOT);
	if (node->kind == ZS_SPF_NODE_ROOT) {
		c->report->records = sel->records;
		c->report->record_count = sel->spf_count;
	}
	if (sel->spf_count == 0) {
		return 1;
	}
	out->result = ZS_SPF_PERMERROR;
	if (sel->spf_count > 1) {
		(void)zs__spf_error(c, ZS_SPF_CODE_MULTIPLE_RECORDS, domain, -1,
		                    "%zu SPF records at %s", sel->spf_count, domain);
		return 1;
	}
	node->record = sel->records[0].data;
	node->record_len = sel->records[0].len;
	if (sel->rec == NULL) {
		(void)zs__spf_error(c, ZS_SPF_CODE_SYNTAX, domain, (long)sel->syn.pos,
		                    "%s at byte %zu", sel->syn.msg, sel->syn.pos);
		return 1;
	}
	*rec = sel->rec;
	return 0;
}

static int check_host_record(struct zs_spf_ctx *c, const char *domain, int depth,
                             struct zs_spf_node *node, const struct zs_spf_record *rec,
                             struct chk *out)
{
	out->result = ZS_SPF_PERMERROR;
	node->all = rec->all != NULL ? rec->all->qualifier : 0;
	for (size_t i = 0; i < rec->count; i++) {
		const struct zs_spf_term *t = &rec->terms[i];
		if (t->kind >= ZS_SPF_REDIRECT) {
			continue;
		}
		if (zs_spf_kind_queries_dns(t->kind) && !count_lookup(c, domain, t)) {
			return 0;
		}
		switch (match_term(c, domain, rec, t, depth, node)) {
		case M_AGAIN:
			return AGAIN;
		case M_TEMPERROR:
			out->result = ZS_SPF_TEMPERROR;
			return 0;
		case M_PERMERROR:
			return 0;
		case M_NOMATCH:
			continue;
		case M_MATCH:
			out->result = qualifier_result(t->qualifier);
			if (out->result == ZS_SPF_FAIL) {
				out->exp = rec->exp;
				out->exp_domain = domain;
			}
			c->report->matched = zs_arena_strndup(&c->pass, rec->text + t->pos, t->len);
			c->report->matched_domain = domain;
			return 0;
		}
	}
	if (rec->redirect == NULL) {
		out->result = ZS_SPF_NEUTRAL;
		return 0;
	}
	const struct zs_spf_term *t = rec->redirect;
	const char *target;
	if (!count_lookup(c, domain, t)) {
		return 0;
	}
	int ret = term_target(c, domain, t, true, &target);
	if (ret == AGAIN) {
		return AGAIN;
	}
	struct zs_spf_node *child =
	        zs__spf_node_new(c, node, ZS_SPF_NODE_REDIRECT, rec, t, ret == 0 ? target : NULL);
	if (ret != 0) {
		(void)zs__spf_error(c, ZS_SPF_CODE_REDIRECT_NONE, domain, t->pos,
		                    "redirect target is not a valid domain name");
		return 0;
	}
	if (check_host(c, target, depth + 1, child, out) == AGAIN) {
		return AGAIN;
	}
	node->all = child->all;
	if (out->result == ZS_SPF_NONE) {
		(void)zs__spf_error(c, ZS_SPF_CODE_REDIRECT_NONE, domain, t->pos,
		                    "redirect=%s has no SPF record", target);
		out->result = ZS_SPF_PERMERROR;
	}
	return 0;
}

/* RFC 7208 4.3 to 4.7; fills out->result, or returns AGAIN. */
static int check_host(struct zs_spf_ctx *c, const char *domain, int depth, struct zs_spf_node *node,
                      struct chk *out)
{
	const struct zs_spf_record *rec = NULL;
	unsigned lookups = c->lookups;
	unsigned voids = c->voids;
	int ret;

	out->exp = NULL;
	out->exp_domain = NULL;
	if (!zs__spf_name_ok(domain, true)) {
		out->result = ZS_SPF_NONE;
		ret = 0;
	} else if (depth > ZS__SPF_MAX_DEPTH) {
		(void)zs__spf_error(c, ZS_SPF_CODE_LOOKUP_LIMIT, domain, -1, "nesting too deep");
		out->result = ZS_SPF_PERMERROR;
		ret = 0;
	} else {
		ret = fetch_record(c, domain, node, &rec, out);
		if (ret == 0) {
			ret = check_host_record(c, domain, depth, node, rec, out);
		} else if (ret == 1) {
			ret = 0;
		}
	}
	node->result = out->result;
	node->lookups = c->lookups - lookups;
	node->void_lookups = c->voids - voids;
	return ret;
}

/* RFC 7208 6.2: the explanation, or NULL to use the default; AGAIN while lookups are due. */
static int explain(struct zs_spf_ctx *c, const struct zs_spf_term *t, const char *domain,
                   const char **out)
{
	const char *name;
	struct zs__spf_entry *e;
	struct zs_spf_macro_env env;
	size_t len;

	*out = NULL;
	int ret = term_target(c, domain, t, false, &name);
	if (ret != 0) {
		return ret == AGAIN ? AGAIN : 0;
	}
	enum zs__spf_look lk = zs__spf_lookup(c, name, ZS_RR_TXT, &e);
	if (lk == ZS__SPF_LOOK_AGAIN) {
		return AGAIN;
	}
	if (lk != ZS__SPF_LOOK_DATA || e->count != 1) {
		return 0;
	}
	const char *text = zs_rr_txt_join(&c->pass, &e->rr[0], &len);
	if (zs_spf_macro_check(text, len, ZS_SPF_MACRO_EXP, NULL) != 0) {
		return 0;
	}
	base_env(c, domain, &env);
	if (zs_spf_macro_uses(text, len, 'p') && compute_p(c, domain, &env.ptr) == AGAIN) {
		return AGAIN;
	}
	zs_buf_reset(&c->scratch);
	if (zs_spf_macro_expand(&env, text, len, ZS_SPF_MACRO_EXP, &c->scratch, NULL) == 0) {
		*out = zs_arena_strndup(&c->pass, zs_buf_cstr(&c->scratch), c->scratch.len);
	}
	return 0;
}

void zs__spf_run_check(struct zs_spf_ctx *c)
{
	struct zs_spf_report *r = c->report;
	struct zs_spf_node *root =
	        zs__spf_node_new(c, NULL, ZS_SPF_NODE_ROOT, NULL, NULL, c->domain);
	struct chk out;

	r->tree = root;
	if (check_host(c, c->domain, 0, root, &out) == AGAIN) {
		return;
	}
	r->result = out.result;
	r->lookups = c->lookups;
	r->void_lookups = c->voids;
	r->all = root->all;
	if (out.result != ZS_SPF_FAIL || c->no_explanation) {
		return;
	}
	r->explanation = c->default_exp;
	if (out.exp != NULL) {
		const char *text;
		if (explain(c, out.exp, out.exp_domain, &text) == AGAIN) {
			return;
		}
		if (text != NULL) {
			r->explanation = text;
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Context */

static struct zs_spf_ctx *ctx_new(void)
{
	struct zs_spf_ctx *c = zs_calloc(1, sizeof(*c));
	zs_arena_init(&c->arena);
	zs_arena_init(&c->pass);
	zs_buf_init(&c->scratch, ZS__SPF_EXPAND_MAX);
	c->table_size = 64;
	c->table = zs_calloc(c->table_size, sizeof(*c->table));
	return c;
}

struct zs_spf_ctx *zs_spf_check_new(const struct zs_spf_check_params *p)
{
	ZS_REQUIRE(p != NULL && p->domain != NULL && (p->ip.family == 4 || p->ip.family == 6));
	struct zs_spf_ctx *c = ctx_new();
	struct zs_arena *a = &c->arena;

	c->domain = norm_name(a, p->domain);
	c->ip = p->ip;
	if (p->sender != NULL && p->sender[0] != '\0') {
		const char *at = strrchr(p->sender, '@');
		if (at == NULL) {
			c->local = "postmaster";
			c->sender_domain = zs_arena_strdup(a, p->sender);
		} else {
			c->local = at == p->sender ? "postmaster"
			                           : zs_arena_strndup(a, p->sender,
			                                              (size_t)(at - p->sender));
			c->sender_domain = zs_arena_strdup(a, at + 1);
		}
	} else {
		c->local = "postmaster";
		c->sender_domain = zs_arena_strdup(a, p->domain);
	}
	c->sender = zs_arena_printf(a, "%s@%s", c->local, c->sender_domain);
	c->helo = zs_arena_strdup(a, p->helo != NULL ? p->helo : "unknown");
	c->receiver = zs_arena_strdup(a, p->receiver != NULL ? p->receiver : "unknown");
	c->now = zs_arena_printf(a, "%llu", (unsigned long long)p->now);
	c->default_exp = p->default_exp != NULL ? zs_arena_strdup(a, p->default_exp) : NULL;
	c->cache = p->cache;
	return c;
}

struct zs_spf_ctx *zs_spf_analysis_new(const char *domain, const struct zs_spf_analysis_opts *o)
{
	ZS_REQUIRE(domain != NULL);
	struct zs_spf_ctx *c = ctx_new();

	c->analysis = true;
	c->domain = norm_name(&c->arena, domain);
	c->sender_domain = c->domain;
	/* the unlisted-sender paths: a forger's message, as check_host() sees it */
	c->local = "postmaster";
	c->sender = zs_arena_printf(&c->arena, "postmaster@%s", c->domain);
	c->helo = "unknown";
	c->receiver = "unknown";
	c->now = "0";
	c->no_explanation = true;
	c->no_type99 = o != NULL && o->no_type99;
	c->cache = o != NULL ? o->cache : NULL;
	if (o != NULL && o->meter != NULL) {
		zs_arena_set_meter(&c->arena, o->meter);
		zs_arena_set_meter(&c->pass, o->meter);
	}
	return c;
}

void zs_spf_ctx_free(struct zs_spf_ctx *c)
{
	if (c == NULL) {
		return;
	}
	zs_arena_deinit(&c->pass);
	zs_arena_deinit(&c->arena);
	zs_buf_deinit(&c->scratch);
	zs_free(c->needs);
	zs_free(c->table);
	zs_free(c);
}

void zs__spf_pass_begin(struct zs_spf_ctx *c)
{
	c->lookups = 0;
	c->voids = 0;
	c->voids6 = 0;
	c->analysis_terms = 0;
	c->findings_state = zs_arena_calloc(&c->pass, 1, sizeof(struct pass_findings));
	c->report = zs_arena_calloc(&c->pass, 1, sizeof(*c->report));
	c->report->analysis = c->analysis;
	c->report->domain = c->domain;
}

void zs__spf_pass_end(struct zs_spf_ctx *c)
{
	struct pass_findings *pf = pass_findings(c);
	struct zs_spf_finding *arr = zs_arena_calloc(&c->pass, pf->count + 1, sizeof(*arr));
	size_t i = 0;

	for (struct finding_item *it = pf->head; it != NULL; it = it->next, i++) {
		arr[i] = it->f;
		if (it == pf->error) {
			c->report->error_finding = &arr[i];
		}
	}
	c->report->findings = arr;
	c->report->finding_count = pf->count;
}

int zs_spf_step(struct zs_spf_ctx *c, const struct zs_spf_need **need, size_t *count)
{
	*need = NULL;
	*count = 0;
	if (c->done) {
		return ZS_SPF_DONE;
	}
	zs_arena_deinit(&c->pass);
	c->need_count = 0;
	c->blocked = false;
	zs__spf_pass_begin(c);
	if (c->analysis) {
		zs__spf_analyse(c);
		if (!c->blocked) {
			zs__spf_unlisted(c);
		}
	} else {
		zs__spf_run_check(c);
	}
	if (c->blocked) {
		*need = c->needs;
		*count = c->need_count;
		return ZS_SPF_NEED;
	}
	zs__spf_pass_end(c);
	c->done = true;
	return ZS_SPF_DONE;
}

const struct zs_spf_report *zs_spf_report(const struct zs_spf_ctx *c)
{
	return c->done ? c->report : NULL;
}
