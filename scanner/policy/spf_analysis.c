/* SPDX-License-Identifier: MIT */
/*
 * Static SPF analysis: what a receiver-independent scanner can say about a domain's policy
 * without a client address. The walk is check_host() for a client that matches no address
 * term, so every include and redirect is expanded and every DNS-querying term is counted as a
 * receiver counts it (a term reached twice through two includes counts twice); it goes on past
 * the 10-term limit, up to its own work cap, to report how far over the limit a record is. The
 * first error in evaluation order decides the verdict, as it would for such a client.
 *
 * Addresses are flattened into interval sets per family, honouring first-match order: each
 * record keeps the set that gets pass and the set already decided by an earlier term, so
 * "-ip4:192.0.2.1 ip4:192.0.2.0/24" passes 255 addresses, an include contributes only what its
 * target passes, and redirect= what is left undecided. Terms that depend on the client (ptr,
 * exists and macros other than %{d} and %{o}) cannot be flattened: they are noted and make
 * "authorizes_hosts" true when their qualifier is pass.
 *
 * Void lookups are counted for each client family: an "a" of an IPv4-only host is void for an
 * IPv6 client. Over the limit for IPv4 clients is the void_limit error (most mail, and every
 * receiver, sees it); over the limit only for IPv6 clients is the walk's void_limit_ipv6
 * warning. The walk is not the last word on validity: check_host() for the senders the
 * record does not list (spf_unlisted.c) follows it, and an IPv6 sender that meets the third
 * void lookup makes the record invalid there, as it does for receivers.
 */
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/policy/spf_int.h"

#define U128_MAX (~(unsigned __int128)0)

struct ival {
	unsigned __int128 lo;
	unsigned __int128 hi;
};

/** Disjoint, non-adjacent intervals in increasing order. */
struct iset {
	struct ival *v;
	size_t n;
	size_t cap;
};

/** What one record (and all it leads to) decides. */
struct an {
	struct iset pass[2];    /**< [0] IPv4, [1] IPv6: addresses that get pass */
	struct iset decided[2]; /**< addresses an earlier term already decided */
	bool dynamic_pass;      /**< a pass term depends on the client */
	char all;               /**< terminal all qualifier, following redirect */
};

enum { V4 = 0, V6 = 1 };

static const unsigned __int128 family_max[2] = { 0xffffffffu, U128_MAX };

/* ------------------------------------------------------------------------------------------ */
/* Interval sets */

static bool touches(unsigned __int128 hi, unsigned __int128 lo)
{
	return lo <= hi || (hi != U128_MAX && lo == hi + 1);
}

/* The first interval that ends at or after lo - 1 (binary search: intervals are sorted). */
static size_t first_touching(const struct iset *s, unsigned __int128 lo)
{
	size_t a = 0;
	size_t b = s->n;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (touches(s->v[m].hi, lo)) {
			b = m;
		} else {
			a = m + 1;
		}
	}
	return a;
}

static void iset_add(struct zs_spf_ctx *c, struct iset *s, unsigned __int128 lo,
                     unsigned __int128 hi)
{
	size_t i = first_touching(s, lo);
	size_t j = i;
	while (j < s->n && touches(hi, s->v[j].lo)) {
		lo = s->v[j].lo < lo ? s->v[j].lo : lo;
		hi = s->v[j].hi > hi ? s->v[j].hi : hi;
		j++;
	}
	size_t n = s->n - (j - i) + 1;
	if (n > s->cap) {
		size_t cap = s->cap == 0 ? 4 : s->cap * 2;
		struct ival *v = zs_arena_alloc(&c->pass, cap * sizeof(*v));
		if (s->n > 0) {
			memcpy(v, s->v, s->n * sizeof(*v));
		}
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[j], (s->n - j) * sizeof(*s->v));
	s->v[i].lo = lo;
	s->v[i].hi = hi;
	s->n = n;
}

/* dst += [lo, hi] minus d */
static void iset_add_minus(struct zs_spf_ctx *c, struct iset *dst, unsigned __int128 lo,
                           unsigned __int128 hi, const struct iset *d)
{
	unsigned __int128 cur = lo;

	for (size_t k = first_touching(d, lo); k < d->n; k++) {
		if (d->v[k].hi < cur) {
			continue;
		}
		if (d->v[k].lo > hi) {
			break;
		}
		if (d->v[k].lo > cur) {
			iset_add(c, dst, cur, d->v[k].lo - 1);
		}
		if (d->v[k].hi >= hi) {
			return;
		}
		cur = d->v[k].hi + 1;
	}
	iset_add(c, dst, cur, hi);
}

/* Addresses in the set; *full when it is the whole IPv6 space (2^128 does not fit). */
static unsigned __int128 iset_count(const struct iset *s, bool *full)
{
	unsigned __int128 n = 0;

	*full = false;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].lo == 0 && s->v[i].hi == U128_MAX) {
			*full = true;
			return U128_MAX;
		}
		n += s->v[i].hi - s->v[i].lo + 1;
	}
	return n;
}

static void range_of(int fam, const uint8_t *addr, unsigned prefix, unsigned __int128 *lo,
                     unsigned __int128 *hi)
{
	unsigned bits = fam == V4 ? 32 : 128;
	unsigned __int128 v = 0;

	for (unsigned i = 0; i < bits / 8; i++) {
		v = (v << 8) | addr[i];
	}
	unsigned __int128 host = prefix >= bits ? 0 : (family_max[fam] >> prefix);
	*lo = v & ~host & family_max[fam];
	*hi = *lo | host;
}

/* A term with qualifier q matches [lo, hi]: pass what is not decided yet, then decide it. */
static void apply_range(struct zs_spf_ctx *c, struct an *a, int fam, char q, unsigned __int128 lo,
                        unsigned __int128 hi)
{
	if (c->blocked) {
		return; /* this pass only gathers questions */
	}
	if (q == '+') {
		iset_add_minus(c, &a->pass[fam], lo, hi, &a->decided[fam]);
	}
	iset_add(c, &a->decided[fam], lo, hi);
}

static void apply_set(struct zs_spf_ctx *c, struct an *a, int fam, char q, const struct iset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		apply_range(c, a, fam, q, s->v[i].lo, s->v[i].hi);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The walk */

struct walk {
	const char *path[ZS__SPF_MAX_DEPTH + 2]; /**< domains from the root to the current one */
};

/* Mark a node (and through the return path, its ancestors) as failed; the first failure wins. */
static void node_fail(struct zs_spf_node *n, enum zs_spf_result r)
{
	if (n->result == ZS_SPF_VALID) {
		n->result = r;
	}
}

static void truncate_walk(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t)
{
	if (!c->report->truncated) {
		c->report->truncated = true;
		(void)zs__spf_finding(
		        c, ZS_SPF_CODE_TRUNCATED, domain, t != NULL ? (long)t->pos : -1,
		        "analysis stopped after %u DNS-querying terms / %zu questions",
		        c->analysis_terms, c->entries);
	}
}

/* Whether the walk may do more DNS work. */
static bool budget(struct zs_spf_ctx *c, const char *domain, const struct zs_spf_term *t)
{
	if (c->report->truncated) {
		return false;
	}
	if (c->analysis_terms > ZS__SPF_MAX_ANALYSIS_TERMS ||
	    c->entries + 2 * ZS__SPF_MX_LIMIT + 4 > ZS__SPF_MAX_QUESTIONS) {
		truncate_walk(c, domain, t);
		return false;
	}
	return true;
}

static void count_term(struct zs_spf_ctx *c, struct zs_spf_node *node, const char *domain,
                       const struct zs_spf_term *t)
{
	c->lookups++;
	c->analysis_terms++;
	if (c->lookups == ZS__SPF_TERM_LIMIT + 1) {
		(void)zs__spf_error(c, ZS_SPF_CODE_LOOKUP_LIMIT, domain, t->pos,
		                    "DNS-querying term 11 (limit %d): a receiver stops here",
		                    ZS__SPF_TERM_LIMIT);
		node_fail(node, ZS_SPF_PERMERROR);
	}
}

/* One void lookup as clients of family fam (V4, V6) see it. */
static void count_void(struct zs_spf_ctx *c, struct zs_spf_node *node, const char *domain,
                       const struct zs_spf_term *t, int fam)
{
	unsigned *v = fam == V4 ? &c->voids : &c->voids6;

	(*v)++;
	if (*v != ZS__SPF_VOID_LIMIT + 1) {
		return;
	}
	if (fam == V4) {
		(void)zs__spf_error(c, ZS_SPF_CODE_VOID_LIMIT, domain, t->pos,
		                    "void lookup 3 (limit %d): a receiver stops here",
		                    ZS__SPF_VOID_LIMIT);
		node_fail(node, ZS_SPF_PERMERROR);
	} else {
		(void)zs__spf_finding(c, ZS_SPF_CODE_VOID_LIMIT_IPV6, domain, t->pos,
		                      "void lookup 3 (limit %d) for IPv6 clients",
		                      ZS__SPF_VOID_LIMIT);
	}
}

static void dns_failed(struct zs_spf_ctx *c, struct zs_spf_node *node, const char *domain,
                       const struct zs__spf_entry *e)
{
	struct zs_spf_finding *f =
	        zs__spf_error(c, ZS_SPF_CODE_DNS_ERROR, domain, -1, "%s %s lookup failed: %s",
	                      e->name, zs_rr_type_name(e->type), zs_dns_status_name(e->status));
	zs__spf_finding_dns(f, e);
	node_fail(node, ZS_SPF_TEMPERROR);
}

enum target_kind {
	TARGET_OK,
	TARGET_INVALID, /**< expansion failed or the name cannot be queried */
	TARGET_DYNAMIC, /**< depends on the client */
};

static enum target_kind target(struct zs_spf_ctx *c, const char *domain,
                               const struct zs_spf_term *t, bool multi_label, const char **out)
{
	struct zs_spf_macro_env env = { .domain = domain, .sender_domain = c->sender_domain };
	char missing = 0;

	if (t->spec == NULL) {
		*out = domain;
		return TARGET_OK;
	}
	int ret = zs__spf_target(c, &env, t->spec, out, &missing);
	if (ret == ZS_ERR_NOTFOUND) {
		c->report->dynamic = true;
		if (missing == 'p') {
			c->report->ptr = true;
		}
		return TARGET_DYNAMIC;
	}
	if (ret != 0 || !zs__spf_name_ok(*out, multi_label)) {
		return TARGET_INVALID;
	}
	return TARGET_OK;
}

static void dynamic_term(struct zs_spf_ctx *c, struct an *a, const char *domain,
                         const struct zs_spf_term *t, const char *rec_text)
{
	c->report->dynamic = true;
	if (t->qualifier == '+' || t->kind == ZS_SPF_REDIRECT) {
		a->dynamic_pass = true;
	}
	(void)zs__spf_finding(c, ZS_SPF_CODE_MACRO_DYNAMIC, domain, t->pos,
	                      "%.*s: depends on the client, not evaluated", (int)t->len,
	                      rec_text + t->pos);
}

/* Both address families of a name: ranges with the term's prefix lengths. */
static void addresses(struct zs_spf_ctx *c, struct an *a, struct zs_spf_node *node,
                      const char *domain, const struct zs_spf_term *t, const char *name,
                      bool count_voids, bool *blocked)
{
	struct zs__spf_entry *e[2];
	enum zs__spf_look lk[2];
	static const uint16_t types[2] = { ZS_RR_A, ZS_RR_AAAA };

	lk[V4] = zs__spf_lookup(c, name, types[V4], &e[V4]);
	lk[V6] = zs__spf_lookup(c, name, types[V6], &e[V6]);
	if (lk[V4] == ZS__SPF_LOOK_AGAIN || lk[V6] == ZS__SPF_LOOK_AGAIN) {
		*blocked = true;
		return;
	}
	for (int fam = V4; fam <= V6; fam++) {
		if (lk[fam] == ZS__SPF_LOOK_ERROR) {
			dns_failed(c, node, domain, e[fam]);
		} else if (lk[fam] == ZS__SPF_LOOK_VOID && count_voids) {
			count_void(c, node, domain, t, fam);
		}
		for (size_t i = 0; lk[fam] == ZS__SPF_LOOK_DATA && i < e[fam]->count; i++) {
			unsigned __int128 lo;
			unsigned __int128 hi;
			const uint8_t *addr = fam == V4 ? e[fam]->rr[i].u.a : e[fam]->rr[i].u.aaaa;
			range_of(fam, addr, fam == V4 ? t->cidr4 : t->cidr6, &lo, &hi);
			apply_range(c, a, fam, t->qualifier, lo, hi);
		}
	}
	if (count_voids && lk[V4] != ZS__SPF_LOOK_DATA && lk[V6] != ZS__SPF_LOOK_DATA &&
	    lk[V4] != ZS__SPF_LOOK_ERROR && lk[V6] != ZS__SPF_LOOK_ERROR) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_VOID_LOOKUP, domain, t->pos,
		                      "%s has no A or AAAA record", name);
	}
}

static void an_mx(struct zs_spf_ctx *c, struct an *a, struct zs_spf_node *node, const char *domain,
                  const struct zs_spf_term *t, const char *name)
{
	struct zs__spf_entry *e;
	enum zs__spf_look lk = zs__spf_lookup(c, name, ZS_RR_MX, &e);
	bool blocked = false;

	if (lk == ZS__SPF_LOOK_ERROR) {
		dns_failed(c, node, domain, e);
		return;
	}
	if (lk == ZS__SPF_LOOK_VOID) {
		count_void(c, node, domain, t, V4);
		count_void(c, node, domain, t, V6);
		(void)zs__spf_finding(c, ZS_SPF_CODE_VOID_LOOKUP, domain, t->pos,
		                      "%s has no MX record", name);
		return;
	}
	if (lk != ZS__SPF_LOOK_DATA) {
		return;
	}
	if (e->count > ZS__SPF_MX_LIMIT) {
		(void)zs__spf_error(c, ZS_SPF_CODE_TOO_MANY_MX, domain, t->pos,
		                    "%s has %zu MX records, over the limit of %d", name, e->count,
		                    ZS__SPF_MX_LIMIT);
		node_fail(node, ZS_SPF_PERMERROR);
		return;
	}
	for (size_t i = 0; i < e->count; i++) {
		const char *host = e->rr[i].u.mx.host;
		if (zs__spf_name_ok(host, false)) {
			addresses(c, a, node, domain, t, host, false, &blocked);
		}
	}
}

static void an_exists(struct zs_spf_ctx *c, struct an *a, struct zs_spf_node *node,
                      const char *domain, const struct zs_spf_term *t, const char *name)
{
	struct zs__spf_entry *e;
	enum zs__spf_look lk = zs__spf_lookup(c, name, ZS_RR_A, &e);

	if (lk == ZS__SPF_LOOK_ERROR) {
		dns_failed(c, node, domain, e);
	} else if (lk == ZS__SPF_LOOK_VOID) {
		count_void(c, node, domain, t, V4);
		count_void(c, node, domain, t, V6);
		(void)zs__spf_finding(c, ZS_SPF_CODE_VOID_LOOKUP, domain, t->pos,
		                      "%s has no A record", name);
	} else if (lk == ZS__SPF_LOOK_DATA) {
		/* a static name that exists matches every client */
		apply_range(c, a, V4, t->qualifier, 0, family_max[V4]);
		apply_range(c, a, V6, t->qualifier, 0, family_max[V6]);
	}
}

static void analyse_domain(struct zs_spf_ctx *c, struct walk *w, int depth, const char *domain,
                           struct zs_spf_node *node, struct an *out);

/* include and redirect: the child record's analysis, joined to this one's. */
static void an_child(struct zs_spf_ctx *c, struct walk *w, int depth, struct an *a,
                     struct zs_spf_node *node, const char *domain, const struct zs_spf_record *rec,
                     const struct zs_spf_term *t)
{
	bool inc = t->kind == ZS_SPF_INCLUDE;
	enum zs_spf_code none = inc ? ZS_SPF_CODE_INCLUDE_NONE : ZS_SPF_CODE_REDIRECT_NONE;
	const char *name;
	enum target_kind tk = target(c, domain, t, true, &name);
	struct zs_spf_node *child =
	        zs__spf_node_new(c, node, inc ? ZS_SPF_NODE_INCLUDE : ZS_SPF_NODE_REDIRECT, rec, t,
	                         tk == TARGET_OK ? name : NULL);
	struct an sub;

	child->result = ZS_SPF_VALID;
	if (tk == TARGET_DYNAMIC) {
		dynamic_term(c, a, domain, t, rec->text);
		return;
	}
	if (tk == TARGET_INVALID) {
		child->result = ZS_SPF_NONE;
		(void)zs__spf_error(c, none, domain, t->pos, "%s target is not a valid domain name",
		                    inc ? "include" : "redirect");
		node_fail(node, ZS_SPF_PERMERROR);
		return;
	}
	for (int i = 0; i <= depth; i++) {
		if (strcmp(w->path[i], name) == 0) {
			child->result = ZS_SPF_PERMERROR;
			child->error = ZS_SPF_CODE_LOOP;
			(void)zs__spf_error(c, ZS_SPF_CODE_LOOP, domain, t->pos,
			                    "%s:%s loops back to %s", inc ? "include" : "redirect",
			                    name, w->path[i]);
			node_fail(node, ZS_SPF_PERMERROR);
			return;
		}
	}
	if (depth + 1 > ZS__SPF_MAX_DEPTH || !budget(c, domain, t)) {
		truncate_walk(c, domain, t);
		return;
	}
	bool was_blocked = c->blocked;
	c->blocked = false;
	analyse_domain(c, w, depth + 1, name, child, &sub);
	bool blocked = c->blocked;
	c->blocked = c->blocked || was_blocked;
	if (blocked) {
		return; /* incomplete: this pass only gathers questions */
	}
	if (child->result == ZS_SPF_NONE) {
		child->error = none;
		(void)zs__spf_error(c, none, domain, t->pos, "%s:%s has no SPF record",
		                    inc ? "include" : "redirect", name);
		node_fail(node, ZS_SPF_PERMERROR);
	} else if (child->result != ZS_SPF_VALID) {
		node_fail(node, child->result);
	}
	if (inc) {
		apply_set(c, a, V4, t->qualifier, &sub.pass[V4]);
		apply_set(c, a, V6, t->qualifier, &sub.pass[V6]);
		a->dynamic_pass = a->dynamic_pass || (sub.dynamic_pass && t->qualifier == '+');
		return;
	}
	for (int fam = V4; fam <= V6; fam++) {
		apply_set(c, a, fam, '+', &sub.pass[fam]);
		for (size_t i = 0; i < sub.decided[fam].n; i++) {
			iset_add(c, &a->decided[fam], sub.decided[fam].v[i].lo,
			         sub.decided[fam].v[i].hi);
		}
	}
	a->dynamic_pass = a->dynamic_pass || sub.dynamic_pass;
	a->all = sub.all;
}

/* a, mx, exists: the lookups behind one term. */
static void an_lookup_term(struct zs_spf_ctx *c, struct an *a, struct zs_spf_node *node,
                           const char *domain, const struct zs_spf_record *rec,
                           const struct zs_spf_term *t)
{
	const char *name;
	bool blocked = false;
	enum target_kind tk = target(c, domain, t, false, &name);

	if (tk == TARGET_DYNAMIC) {
		dynamic_term(c, a, domain, t, rec->text);
		return;
	}
	if (tk == TARGET_INVALID || !budget(c, domain, t)) {
		return; /* a receiver would not match it */
	}
	if (t->kind == ZS_SPF_A) {
		addresses(c, a, node, domain, t, name, true, &blocked);
	} else if (t->kind == ZS_SPF_MX) {
		an_mx(c, a, node, domain, t, name);
	} else {
		an_exists(c, a, node, domain, t, name);
	}
}

static void an_term(struct zs_spf_ctx *c, struct walk *w, int depth, struct an *a,
                    struct zs_spf_node *node, const char *domain, const struct zs_spf_record *rec,
                    const struct zs_spf_term *t)
{
	unsigned __int128 lo;
	unsigned __int128 hi;

	switch (t->kind) {
	case ZS_SPF_IP4:
	case ZS_SPF_IP6: {
		int fam = t->kind == ZS_SPF_IP4 ? V4 : V6;
		range_of(fam, t->addr, fam == V4 ? t->cidr4 : t->cidr6, &lo, &hi);
		apply_range(c, a, fam, t->qualifier, lo, hi);
		break;
	}
	case ZS_SPF_A:
	case ZS_SPF_MX:
	case ZS_SPF_EXISTS:
		an_lookup_term(c, a, node, domain, rec, t);
		break;
	case ZS_SPF_PTR:
		c->report->ptr = true;
		c->report->dynamic = true;
		a->dynamic_pass = a->dynamic_pass || t->qualifier == '+';
		(void)zs__spf_finding(c, ZS_SPF_CODE_PTR_USED, domain, t->pos, NULL);
		break;
	case ZS_SPF_INCLUDE:
		an_child(c, w, depth, a, node, domain, rec, t);
		break;
	default:
		break;
	}
}

/* The record at a domain, its size findings; NULL when there is none or it is broken. */
static const struct zs_spf_record *an_record(struct zs_spf_ctx *c, const char *domain,
                                             struct zs_spf_node *node)
{
	struct zs__spf_entry *e;
	enum zs__spf_look lk = zs__spf_lookup(c, domain, ZS_RR_TXT, &e);

	if (lk == ZS__SPF_LOOK_AGAIN) {
		return NULL;
	}
	if (lk == ZS__SPF_LOOK_ERROR) {
		dns_failed(c, node, domain, e);
		return NULL;
	}
	if (lk != ZS__SPF_LOOK_DATA) {
		node->result = ZS_SPF_NONE;
		return NULL;
	}
	const struct zs__spf_sel *sel = zs__spf_select(c, e, node->kind != ZS_SPF_NODE_ROOT);
	if (node->kind == ZS_SPF_NODE_ROOT) {
		c->report->records = sel->records;
		c->report->record_count = sel->spf_count;
	}
	if (sel->spf_count == 0) {
		node->result = ZS_SPF_NONE;
		return NULL;
	}
	for (size_t i = 0; i < sel->spf_count; i++) {
		if (sel->records[i].len > 450) {
			(void)zs__spf_finding(c, ZS_SPF_CODE_RECORD_TOO_LONG, domain, -1,
			                      "SPF record of %zu bytes (over 450 may not fit UDP)",
			                      sel->records[i].len);
		}
	}
	if (sel->rrset_size > 450 && (sel->spf_count > 1 || sel->records[0].len <= 450)) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_TXT_TOO_LARGE, domain, -1,
		                      "%zu TXT records, %zu bytes of text data at %s",
		                      sel->txt_count, sel->rrset_size, domain);
	}
	if (sel->longest_string > 255) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_STRING_TOO_LONG, domain, -1,
		                      "TXT string of %zu bytes", sel->longest_string);
	}
	if (sel->spf_count > 1) {
		(void)zs__spf_error(c, ZS_SPF_CODE_MULTIPLE_RECORDS, domain, -1,
		                    "%zu SPF records at %s", sel->spf_count, domain);
		node_fail(node, ZS_SPF_PERMERROR);
		return NULL;
	}
	node->record = sel->records[0].data;
	node->record_len = sel->records[0].len;
	if (sel->rec == NULL) {
		(void)zs__spf_error(c, ZS_SPF_CODE_SYNTAX, domain, (long)sel->syn.pos,
		                    "%s at byte %zu", sel->syn.msg, sel->syn.pos);
		node->error = ZS_SPF_CODE_SYNTAX;
		node_fail(node, ZS_SPF_PERMERROR);
		return NULL;
	}
	return sel->rec;
}

static void analyse_domain(struct zs_spf_ctx *c, struct walk *w, int depth, const char *domain,
                           struct zs_spf_node *node, struct an *out)
{
	unsigned lookups = c->lookups;
	unsigned voids4 = c->voids;

	memset(out, 0, sizeof(*out));
	w->path[depth] = domain;
	node->result = ZS_SPF_VALID;
	const struct zs_spf_record *rec = an_record(c, domain, node);
	if (rec == NULL) {
		return;
	}
	const struct zs_spf_term *all = NULL;
	bool after_all = false;
	for (size_t i = 0; i < rec->count; i++) {
		const struct zs_spf_term *t = &rec->terms[i];
		if (t->kind == ZS_SPF_UNKNOWN) {
			(void)zs__spf_finding(c, ZS_SPF_CODE_UNKNOWN_MODIFIER, domain, t->pos,
			                      "unknown modifier %s= ignored", t->name);
			continue;
		}
		if (t->kind >= ZS_SPF_REDIRECT) {
			continue;
		}
		if (all != NULL) {
			if (!after_all) {
				(void)zs__spf_finding(c, ZS_SPF_CODE_TERMS_AFTER_ALL, domain,
				                      t->pos,
				                      "%.*s comes after all and is never evaluated",
				                      (int)t->len, rec->text + t->pos);
			}
			after_all = true;
			continue;
		}
		if (zs_spf_kind_queries_dns(t->kind)) {
			count_term(c, node, domain, t);
		}
		if (t->kind == ZS_SPF_ALL) {
			all = t;
			out->all = t->qualifier;
			apply_range(c, out, V4, t->qualifier, 0, family_max[V4]);
			apply_range(c, out, V6, t->qualifier, 0, family_max[V6]);
			if (t->qualifier == '+') {
				(void)zs__spf_finding(c, ZS_SPF_CODE_PASS_ALL, domain, t->pos,
				                      NULL);
			}
			continue;
		}
		an_term(c, w, depth, out, node, domain, rec, t);
	}
	if (all != NULL && rec->redirect != NULL) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_REDIRECT_IGNORED, domain, rec->redirect->pos,
		                      NULL);
	} else if (rec->redirect != NULL) {
		count_term(c, node, domain, rec->redirect);
		an_child(c, w, depth, out, node, domain, rec, rec->redirect);
	} else if (all == NULL && depth == 0) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_NO_ALL, domain, -1, NULL);
	}
	node->lookups = c->lookups - lookups;
	node->void_lookups = c->voids - voids4;
	node->all = out->all;
	bool full;
	node->ipv4_addresses = (uint64_t)iset_count(&out->pass[V4], &full);
}

/* SPF published only as type 99 (RFC 7208 3.1 / 14.1: receivers ignore it). */
static void check_type99(struct zs_spf_ctx *c)
{
	struct zs__spf_entry *e;

	if (c->no_type99 || !zs__spf_name_ok(c->domain, true) ||
	    zs__spf_lookup(c, c->domain, ZS_RR_SPF, &e) != ZS__SPF_LOOK_DATA) {
		return;
	}
	const struct zs__spf_sel *sel = zs__spf_select(c, e, false);
	if (sel->spf_count > 0) {
		c->report->type99 = sel->records;
		c->report->type99_count = sel->spf_count;
		(void)zs__spf_finding(c, ZS_SPF_CODE_SPF_TYPE99_ONLY, c->domain, -1,
		                      "SPF record only in type 99, which receivers do not query");
	}
}

void zs__spf_analyse(struct zs_spf_ctx *c)
{
	struct zs_spf_report *r = c->report;
	struct zs_spf_node *root =
	        zs__spf_node_new(c, NULL, ZS_SPF_NODE_ROOT, NULL, NULL, c->domain);
	struct walk w;
	struct an a;
	bool full;

	r->tree = root;
	if (!zs__spf_name_ok(c->domain, true)) {
		root->result = ZS_SPF_NONE;
		r->result = ZS_SPF_NONE;
		return;
	}
	analyse_domain(c, &w, 0, c->domain, root, &a);
	if (root->result == ZS_SPF_NONE) {
		check_type99(c);
	}
	if (c->blocked) {
		return;
	}
	r->result = root->result;
	r->lookups = c->lookups;
	r->void_lookups_ipv4 = c->voids;
	r->void_lookups_ipv6 = c->voids6;
	r->void_lookups = c->voids;
	r->all = a.all;
	r->ipv4_addresses = (uint64_t)iset_count(&a.pass[V4], &full);
	r->ipv6_addresses = iset_count(&a.pass[V6], &r->ipv6_all);
	r->authorizes_hosts = r->ipv4_addresses > 0 || r->ipv6_addresses > 0 || a.dynamic_pass;
	if (r->result != ZS_SPF_VALID) {
		return;
	}
	if (r->ipv4_addresses >= (1u << 24)) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_WIDE_IPV4, c->domain, -1,
		                      "passes %llu IPv4 addresses (a /8 is 16777216)",
		                      (unsigned long long)r->ipv4_addresses);
	}
	if (r->ipv6_all || r->ipv6_addresses >= ((unsigned __int128)1 << 96)) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_WIDE_IPV6, c->domain, -1,
		                      "passes the equivalent of a /32 or more of IPv6");
	}
	if (!r->authorizes_hosts) {
		(void)zs__spf_finding(c, ZS_SPF_CODE_NO_HOSTS, c->domain, -1, NULL);
	}
}
