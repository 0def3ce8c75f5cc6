/* SPDX-License-Identifier: MIT */
/*
 * DMARC policy discovery as a produce/consume machine (see dmarc.h for the steps). Questions
 * go into the query log as the machine decides to ask them; each answer is classified at once,
 * and whatever depends on several answers (the external destinations' wildcard comparison, the
 * findings, the effective policy) is settled once, when the log runs dry.
 */
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/dmarc.h"
#include "scanner/policy/psl.h"
#include "scanner/policy/record_int.h"

enum purpose {
	Q_OWN,
	Q_WALK,
	Q_AUTH,
	Q_AUTH_WILD,
	Q_MX,
};

/* RFC 9989: at most 8 queries for the walk, the domain's own query included. */
enum { WALK_MAX = 8, WALK_JUMP_LABELS = 7 };

struct dest_state {
	struct zs__txt_select spec; /* TXT at <domain>._report._dmarc.<dest> */
	struct zs__txt_select wild; /* TXT at *._report._dmarc.<dest> */
	bool spec_done;
	bool wild_done;
	enum zs_dmarc_auth wild_auth;
};

struct zs_dmarc_ctx {
	struct zs_arena *a;
	struct zs_dmarc_opts opts;
	struct zs_dmarc_result r;
	struct zs_dmarc_site walk[WALK_MAX];
	size_t walk_count;
	struct dest_state *dstate;
	size_t apex_dmarc; /* v=DMARC1 records at the apex, from zs_dmarc_note_apex() */
	bool apex_noted;
	bool finished;
};

const char *zs_dmarc_outcome_name(enum zs_dmarc_outcome o)
{
	switch (o) {
	case ZS_DMARC_NONE:
		return "none";
	case ZS_DMARC_RECORD:
		return "record";
	case ZS_DMARC_MULTIPLE:
		return "multiple";
	case ZS_DMARC_DNS_ERROR:
		return "dns_error";
	}
	return "invalid";
}

const char *zs_dmarc_auth_name(enum zs_dmarc_auth a)
{
	switch (a) {
	case ZS_DMARC_AUTH_NOT_NEEDED:
		return "not_needed";
	case ZS_DMARC_AUTH_AUTHORIZED:
		return "authorized";
	case ZS_DMARC_AUTH_NO_RECORD:
		return "no_record";
	case ZS_DMARC_AUTH_INVALID:
		return "invalid";
	case ZS_DMARC_AUTH_DNS_ERROR:
		return "dns_error";
	case ZS_DMARC_AUTH_NOT_CHECKED:
		return "not_checked";
	}
	return "invalid";
}

static const char *source_name(enum zs_dmarc_source s)
{
	switch (s) {
	case ZS_DMARC_SRC_NONE:
		return "none";
	case ZS_DMARC_SRC_OWN:
		return "own";
	case ZS_DMARC_SRC_INHERITED:
		return "inherited";
	case ZS_DMARC_SRC_UNKNOWN:
		return "unknown";
	}
	return "invalid";
}

static const char *mx_name(enum zs_dmarc_mx m)
{
	switch (m) {
	case ZS_DMARC_MX_NOT_CHECKED:
		return "not_checked";
	case ZS_DMARC_MX_PRESENT:
		return "present";
	case ZS_DMARC_MX_NONE:
		return "none";
	case ZS_DMARC_MX_NULL:
		return "null_mx";
	case ZS_DMARC_MX_DNS_ERROR:
		return "dns_error";
	}
	return "invalid";
}

/*
 * Whether a TXT record is a DMARC record for selection: "v" *WSP "=" *WSP "DMARC1", then the end,
 * whitespace or ";". Leading whitespace and a lower-case "dmarc1" are let through so that the
 * parser can say what is wrong (checkdmarc-lookup-001) instead of the record silently vanishing.
 */
static bool is_dmarc_candidate(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && zs__is_wsp((unsigned char)s[i])) {
		i++;
	}
	if (i == n || (s[i] != 'v' && s[i] != 'V')) {
		return false;
	}
	i++;
	while (i < n && zs__is_wsp((unsigned char)s[i])) {
		i++;
	}
	if (i == n || s[i] != '=') {
		return false;
	}
	i++;
	while (i < n && zs__is_wsp((unsigned char)s[i])) {
		i++;
	}
	if (n - i < 6 || !zs__eq_nocase(s + i, 6, "DMARC1")) {
		return false;
	}
	i += 6;
	return i == n || zs__is_wsp((unsigned char)s[i]) || s[i] == ';';
}

static bool starts_with_spf(const char *s, size_t n)
{
	return n >= 6 && zs__eq_nocase(s, 6, "v=spf1") && (n == 6 || s[6] == ' ');
}

/* Fill a site from the answer to its _dmarc question. */
static void classify_site(struct zs_dmarc_ctx *c, struct zs_dmarc_site *site,
                          const struct zs_query *q, const struct zs_answer *ans)
{
	site->status = ans->status;
	site->cname_count = q->cname_count;
	site->cname = q->cname;
	if (!zs_dns_status_is_answer(ans->status)) {
		site->outcome = ZS_DMARC_DNS_ERROR;
		return;
	}
	/*
	 * Choice: TXT records that are not DMARC records are ignored, as RFC 7489 6.6.3 and
	 * RFC 9989 say (kept as evidence, info dmarc.unrelated_txt); checkdmarc-lookup-003 makes
	 * them an error.
	 */
	struct zs__txt_select sel;
	zs__txt_select(c->a, ans, is_dmarc_candidate, &sel);
	site->other = sel.other;
	site->other_count = sel.other_count;
	site->other_total = sel.other_total;
	site->record_total = sel.match_total;
	if (sel.match_count > 0) {
		site->records = zs_arena_calloc(c->a, sel.match_count, sizeof(*site->records));
		for (size_t i = 0; i < sel.match_count; i++) {
			zs_dmarc_parse(c->a, sel.match[i].text, sel.match[i].len, 0,
			               &site->records[i]);
		}
		site->record_count = sel.match_count;
	}
	if (sel.match_total == 0) {
		site->outcome = ZS_DMARC_NONE;
	} else if (sel.match_total == 1) {
		site->outcome = ZS_DMARC_RECORD;
		site->record = &site->records[0];
	} else {
		site->outcome = ZS_DMARC_MULTIPLE;
	}
}

static void add_query(struct zs_dmarc_ctx *c, enum purpose p, uint16_t type, const char *name,
                      size_t index)
{
	(void)zs__query_log_add(c->a, &c->r.log, type, name, p, index);
}

/*
 * The next domain of the RFC 9989 tree walk after @p cur: its parent, except that right after
 * the domain's own query a name of more than 8 labels jumps to its 7 rightmost labels, so the
 * walk never exceeds 8 queries (checkdmarc-lookup-011).
 */
static const char *walk_next(const char *cur, bool first)
{
	size_t labels = zs__dname_labels(cur);
	if (labels <= 1) {
		return NULL;
	}
	if (first && labels - 1 > WALK_JUMP_LABELS) {
		return zs__dname_rightmost(cur, WALK_JUMP_LABELS);
	}
	return zs__dname_parent(cur);
}

static void walk_ask(struct zs_dmarc_ctx *c, const char *domain)
{
	if (c->walk_count == WALK_MAX - 1) {
		return; /* cannot happen with the jump, kept as a guard */
	}
	struct zs_dmarc_site *site = &c->walk[c->walk_count];
	site->domain = domain;
	site->name = zs__dname_join(c->a, "_dmarc", domain);
	add_query(c, Q_WALK, ZS_RR_TXT, site->name, c->walk_count);
	c->walk_count++;
}

static const char *org_or_self(struct zs_dmarc_ctx *c, const char *name)
{
	if (c->opts.psl == NULL) {
		return name;
	}
	const char *org = zs_psl_org_domain(c->opts.psl, name, c->a);
	return org != NULL ? org : name;
}

static struct zs_dmarc_dest *dest_get(struct zs_dmarc_ctx *c, const char *domain, size_t *skipped)
{
	for (size_t i = 0; i < c->r.dest_count; i++) {
		if (strcmp(c->r.dest[i].domain, domain) == 0) {
			return &c->r.dest[i];
		}
	}
	if (c->r.dest_count == ZS_DMARC_MAX_DESTS) {
		(*skipped)++;
		return NULL;
	}
	struct zs_dmarc_dest *d = &c->r.dest[c->r.dest_count++];
	d->domain = domain;
	return d;
}

/* Collect the mailto destinations of the own record and ask about each. */
static void dests_start(struct zs_dmarc_ctx *c, const struct zs_dmarc_record *rec)
{
	size_t skipped = 0;
	c->r.dest = zs_arena_calloc(c->a, ZS_DMARC_MAX_DESTS, sizeof(*c->r.dest));
	c->dstate = zs_arena_calloc(c->a, ZS_DMARC_MAX_DESTS, sizeof(*c->dstate));
	for (int pass = 0; pass < 2; pass++) {
		const struct zs_dmarc_uri *u = pass == 0 ? rec->rua : rec->ruf;
		size_t count = pass == 0 ? rec->rua_count : rec->ruf_count;
		for (size_t i = 0; i < count; i++) {
			if (u[i].mailto_domain == NULL) {
				continue;
			}
			struct zs_dmarc_dest *d = dest_get(c, u[i].mailto_domain, &skipped);
			if (d == NULL) {
				continue;
			}
			if (pass == 0) {
				d->rua = true;
			} else {
				d->ruf = true;
			}
		}
	}
	if (skipped > 0) {
		zs_findings_add(c->a, &c->r.findings, ZS_FIND_DMARC_REPORT_LIMIT,
		                "%zu further report destinations were not checked (limit %d)",
		                skipped, ZS_DMARC_MAX_DESTS);
	}
	const char *my_org = org_or_self(c, c->r.domain);
	for (size_t i = 0; i < c->r.dest_count; i++) {
		struct zs_dmarc_dest *d = &c->r.dest[i];
		d->external = strcmp(org_or_self(c, d->domain), my_org) != 0;
		d->auth = ZS_DMARC_AUTH_NOT_NEEDED;
		d->auth_status = ZS_DNS_NOT_ASKED;
		d->mx_status = ZS_DNS_NOT_ASKED;
		if (d->external && (c->opts.flags & ZS_DMARC_NO_REPORT_AUTH) == 0) {
			const char *prefix =
			        zs_arena_printf(c->a, "%s._report._dmarc", c->r.domain);
			d->auth_name = zs__dname_join(c->a, prefix, d->domain);
			const char *wild = zs__dname_join(c->a, "*._report._dmarc", d->domain);
			if (d->auth_name == NULL || wild == NULL) {
				d->auth = ZS_DMARC_AUTH_NOT_CHECKED;
			} else {
				d->auth = ZS_DMARC_AUTH_NO_RECORD; /* until the answer says
				                                      otherwise */
				add_query(c, Q_AUTH, ZS_RR_TXT, d->auth_name, i);
				add_query(c, Q_AUTH_WILD, ZS_RR_TXT, wild, i);
			}
		} else if (d->external) {
			d->auth = ZS_DMARC_AUTH_NOT_CHECKED;
		}
		if ((c->opts.flags & ZS_DMARC_NO_REPORT_MX) == 0) {
			add_query(c, Q_MX, ZS_RR_MX, d->domain, i);
		}
	}
}

struct zs_dmarc_ctx *zs_dmarc_new(struct zs_arena *arena, const char *domain,
                                  const struct zs_dmarc_opts *opts)
{
	ZS_REQUIRE(arena != NULL && domain != NULL);
	struct zs_dmarc_ctx *c = zs_arena_calloc(arena, 1, sizeof(*c));
	c->a = arena;
	if (opts != NULL) {
		c->opts = *opts;
	}
	size_t len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.') {
		len--;
	}
	c->r.domain = zs__lower(arena, domain, len);
	if (c->opts.psl != NULL) {
		c->r.org_domain = zs_psl_org_domain(c->opts.psl, c->r.domain, arena);
	}
	c->r.own.domain = c->r.domain;
	c->r.own.name = zs__dname_join(arena, "_dmarc", c->r.domain);
	c->r.own.status = ZS_DNS_NOT_ASKED;
	if (c->r.own.name == NULL) {
		/* nothing can be asked for a malformed or over-long name */
		c->r.own.name = zs_arena_printf(arena, "_dmarc.%s", c->r.domain);
		c->r.own.status = ZS_DNS_BADNAME;
		c->r.own.outcome = ZS_DMARC_DNS_ERROR;
	} else {
		add_query(c, Q_OWN, ZS_RR_TXT, c->r.own.name, 0);
	}
	return c;
}

static enum zs_dmarc_auth auth_from_select(struct zs_arena *a, const struct zs_answer *ans,
                                           const struct zs__txt_select *sel)
{
	if (!zs_dns_status_is_answer(ans->status)) {
		return ZS_DMARC_AUTH_DNS_ERROR;
	}
	if (sel->match_total == 0) {
		return ZS_DMARC_AUTH_NO_RECORD;
	}
	for (size_t i = 0; i < sel->match_count; i++) {
		struct zs_dmarc_record rec;
		zs_dmarc_parse(a, sel->match[i].text, sel->match[i].len, ZS_DMARC_PARSE_REPORT_AUTH,
		               &rec);
		if (rec.valid) {
			return ZS_DMARC_AUTH_AUTHORIZED;
		}
	}
	return ZS_DMARC_AUTH_INVALID;
}

enum zs_dmarc_auth zs_dmarc_report_auth(struct zs_arena *arena, const struct zs_answer *a)
{
	struct zs__txt_select sel;
	zs__txt_select(arena, a, is_dmarc_candidate, &sel);
	return auth_from_select(arena, a, &sel);
}

static bool same_txt(const struct zs__txt_select *x, const struct zs__txt_select *y)
{
	if (x->match_total != y->match_total || x->match_count != y->match_count) {
		return false;
	}
	for (size_t i = 0; i < x->match_count; i++) {
		bool found = false;
		for (size_t k = 0; k < y->match_count && !found; k++) {
			found = x->match[i].len == y->match[k].len &&
			        memcmp(x->match[i].text, y->match[k].text, x->match[i].len) == 0;
		}
		if (!found) {
			return false;
		}
	}
	return true;
}

static void answer_mx(struct zs_dmarc_dest *d, const struct zs_answer *ans)
{
	d->mx_status = ans->status;
	if (ans->status == ZS_DNS_NXDOMAIN || ans->status == ZS_DNS_NODATA) {
		d->mx = ZS_DMARC_MX_NONE;
		return;
	}
	if (ans->status != ZS_DNS_NOERROR) {
		d->mx = ZS_DMARC_MX_DNS_ERROR;
		return;
	}
	size_t mx = 0;
	bool null_mx = false;
	for (size_t i = 0; i < ans->count; i++) {
		if (ans->rr[i].type == ZS_RR_MX) {
			mx++;
			null_mx = ans->rr[i].u.mx.host[0] == '\0';
		}
	}
	if (mx == 0) {
		d->mx = ZS_DMARC_MX_NONE;
	} else if (mx == 1 && null_mx) {
		d->mx = ZS_DMARC_MX_NULL;
	} else {
		d->mx = ZS_DMARC_MX_PRESENT;
	}
}

int zs_dmarc_answer(struct zs_dmarc_ctx *c, uint32_t id, const struct zs_answer *a)
{
	struct zs_query *q = zs__query_log_answer(c->a, &c->r.log, id, a);
	if (q == NULL) {
		return ZS_ERR_NOTFOUND;
	}
	switch ((enum purpose)q->purpose) {
	case Q_OWN:
		classify_site(c, &c->r.own, q, a);
		if (c->r.own.outcome == ZS_DMARC_NONE && (c->opts.flags & ZS_DMARC_NO_WALK) == 0) {
			c->r.walk_done = true;
			const char *next = walk_next(c->r.domain, true);
			if (next != NULL) {
				walk_ask(c, next);
			}
		} else if (c->r.own.outcome == ZS_DMARC_RECORD) {
			dests_start(c, c->r.own.record);
		}
		break;
	case Q_WALK: {
		struct zs_dmarc_site *site = &c->walk[q->index];
		classify_site(c, site, q, a);
		if (site->outcome != ZS_DMARC_NONE) {
			/*
			 * Choice: the walk stops at the first name that has something: a record,
			 * several (an error, as checkdmarc-lookup-009) or a failed lookup (the
			 * inherited policy is then unknown, never "none").
			 */
			c->r.inherited = site;
		} else {
			const char *next = walk_next(site->domain, false);
			if (next != NULL) {
				walk_ask(c, next);
			}
		}
		break;
	}
	case Q_AUTH: {
		struct zs_dmarc_dest *d = &c->r.dest[q->index];
		struct dest_state *st = &c->dstate[q->index];
		zs__txt_select(c->a, a, is_dmarc_candidate, &st->spec);
		st->spec_done = true;
		d->auth_status = a->status;
		d->auth = auth_from_select(c->a, a, &st->spec);
		break;
	}
	case Q_AUTH_WILD: {
		struct dest_state *st = &c->dstate[q->index];
		zs__txt_select(c->a, a, is_dmarc_candidate, &st->wild);
		st->wild_done = true;
		st->wild_auth = auth_from_select(c->a, a, &st->wild);
		break;
	}
	case Q_MX:
		answer_mx(&c->r.dest[q->index], a);
		break;
	}
	return 0;
}

/*
 * Choice: a v=DMARC1 record at the apex only is reported (warning), but the outcome stays "no
 * record", since no receiver looks there; checkdmarc-lookup-005 calls the outcome an error.
 */
static void apex_finding(struct zs_dmarc_ctx *c)
{
	if (c->apex_noted && c->apex_dmarc > 0) {
		zs_findings_add(
		        c->a, &c->r.findings, ZS_FIND_DMARC_RECORD_AT_APEX,
		        "a v=DMARC1 record at %s itself has no effect: receivers only look at _dmarc.%s",
		        c->r.domain, c->r.domain);
	}
}

void zs_dmarc_note_apex(struct zs_dmarc_ctx *c, const struct zs_answer *apex_txt)
{
	struct zs__txt_select sel;
	if (c->apex_noted) {
		return; /* once is enough */
	}
	zs__txt_select(c->a, apex_txt, is_dmarc_candidate, &sel);
	c->apex_noted = true;
	c->apex_dmarc = sel.match_total;
	if (c->finished) {
		apex_finding(c); /* noted after the end: the finding is added now */
	}
}

/* Findings about one _dmarc name; @p what is "the domain" or "the inherited policy". */
static void site_findings(struct zs_dmarc_ctx *c, const struct zs_dmarc_site *s)
{
	struct zs_findings *f = &c->r.findings;
	struct zs_arena *a = c->a;
	if (s->cname_count > 0) {
		zs_findings_add(a, f, ZS_FIND_DMARC_CNAME, "%s is a CNAME to %s",
		                zs__quote(a, s->name, strlen(s->name)),
		                zs__quote(a, s->cname[s->cname_count - 1],
		                          strlen(s->cname[s->cname_count - 1])));
	}
	if (s->outcome == ZS_DMARC_DNS_ERROR) {
		zs_findings_add(
		        a, f, ZS_FIND_DMARC_LOOKUP_FAILED,
		        "the TXT lookup of %s failed (%s): whether a DMARC record exists is unknown",
		        zs__quote(a, s->name, strlen(s->name)), zs_dns_status_name(s->status));
		return;
	}
	if (s->outcome == ZS_DMARC_MULTIPLE) {
		zs_findings_add(a, f, ZS_FIND_DMARC_MULTIPLE,
		                "%zu DMARC records at %s: receivers apply none of them",
		                s->record_total, zs__quote(a, s->name, strlen(s->name)));
	}
	if (s->record_total > s->record_count || s->other_total > s->other_count) {
		zs_findings_add(a, f, ZS_FIND_TXT_MANY_RECORDS,
		                "%zu TXT records at %s; the first %d of each kind are kept",
		                s->record_total + s->other_total,
		                zs__quote(a, s->name, strlen(s->name)), ZS__TXT_KEEP);
	}
	for (size_t i = 0; i < s->other_count; i++) {
		if (starts_with_spf(s->other[i].text, s->other[i].len)) {
			zs_findings_add(a, f, ZS_FIND_DMARC_SPF_AT_DMARC,
			                "an SPF record is published at %s, where DMARC is expected",
			                zs__quote(a, s->name, strlen(s->name)));
			break;
		}
	}
	if (s->other_total > 0) {
		zs_findings_add(a, f, ZS_FIND_DMARC_UNRELATED_TXT,
		                "%zu TXT records at %s are not DMARC records and are ignored",
		                s->other_total, zs__quote(a, s->name, strlen(s->name)));
	}
}

static const char *dest_tags(const struct zs_dmarc_dest *d)
{
	if (d->rua && d->ruf) {
		return "rua and ruf";
	}
	return d->rua ? "rua" : "ruf";
}

static void dest_findings(struct zs_dmarc_ctx *c)
{
	struct zs_findings *f = &c->r.findings;
	struct zs_arena *a = c->a;
	for (size_t i = 0; i < c->r.dest_count; i++) {
		struct zs_dmarc_dest *d = &c->r.dest[i];
		struct dest_state *st = &c->dstate[i];
		const char *tags = dest_tags(d);
		if (st->spec_done && st->wild_done && d->auth == ZS_DMARC_AUTH_AUTHORIZED &&
		    st->wild_auth == ZS_DMARC_AUTH_AUTHORIZED && same_txt(&st->spec, &st->wild)) {
			d->auth_wildcard = true;
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_AUTH_WILDCARD,
			        "%s accepts reports for any domain (wildcard *._report._dmarc.%s)",
			        d->domain, d->domain);
		}
		switch (d->auth) {
		case ZS_DMARC_AUTH_NOT_NEEDED:
		case ZS_DMARC_AUTH_AUTHORIZED:
			break;
		case ZS_DMARC_AUTH_NO_RECORD:
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_UNAUTHORIZED,
			        "the %s destination %s has not authorized reports for %s (no v=DMARC1 record at %s%s): receivers will not send them",
			        tags, d->domain, c->r.domain, d->auth_name,
			        st->wild_auth == ZS_DMARC_AUTH_AUTHORIZED
			                ? "; its *._report._dmarc wildcard does not cover that name"
			                : "");
			break;
		case ZS_DMARC_AUTH_INVALID:
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_AUTH_INVALID,
			        "the authorization record at %s for the %s destination is malformed",
			        d->auth_name, tags);
			break;
		case ZS_DMARC_AUTH_DNS_ERROR:
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_AUTH_FAILED,
			        "the authorization lookup of %s failed (%s): unknown whether %s accepts reports",
			        d->auth_name, zs_dns_status_name(d->auth_status), d->domain);
			break;
		case ZS_DMARC_AUTH_NOT_CHECKED:
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_AUTH_FAILED,
			        "the authorization of the %s destination %s was not checked (name too long or checks disabled)",
			        tags, d->domain);
			break;
		}
		switch (d->mx) {
		case ZS_DMARC_MX_NOT_CHECKED:
		case ZS_DMARC_MX_PRESENT:
			break;
		case ZS_DMARC_MX_NONE:
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_NO_MX,
			        "%s (%s email address domain) has no MX records: reports may not be delivered",
			        d->domain, tags);
			break;
		case ZS_DMARC_MX_NULL:
			zs_findings_add(
			        a, f, ZS_FIND_DMARC_REPORT_NULL_MX,
			        "%s (%s email address domain) publishes a null MX: it accepts no reports",
			        d->domain, tags);
			break;
		case ZS_DMARC_MX_DNS_ERROR:
			zs_findings_add(a, f, ZS_FIND_DMARC_REPORT_MX_FAILED,
			                "the MX lookup of %s (%s email address domain) failed (%s)",
			                d->domain, tags, zs_dns_status_name(d->mx_status));
			break;
		}
	}
}

static void finalize(void *ctx)
{
	struct zs_dmarc_ctx *c = ctx;
	struct zs_dmarc_result *r = &c->r;
	struct zs_arena *a = c->a;

	site_findings(c, &r->own);
	if (r->inherited != NULL) {
		struct zs_dmarc_site *s = r->inherited;
		site_findings(c, s);
		/*
		 * Without a Public Suffix List neither is known, and both stay false. With one, a
		 * domain that is itself a public suffix has no Organizational Domain: anything
		 * above it sits at a public suffix too.
		 */
		if (c->opts.psl != NULL && r->org_domain == NULL) {
			r->inherited_psd = true;
		} else if (r->org_domain != NULL) {
			r->inherited_at_org = strcmp(s->domain, r->org_domain) == 0;
			r->inherited_psd =
			        !r->inherited_at_org && zs__dname_within(r->org_domain, s->domain);
		}
		if (s->outcome == ZS_DMARC_RECORD) {
			zs_findings_add(
			        a, &r->findings, ZS_FIND_DMARC_INHERITED,
			        "%s has no DMARC record of its own; it inherits the record at %s (%s, found by the RFC 9989 tree walk)",
			        r->domain, s->name,
			        s->record->applies ? "in force" : "invalid: receivers ignore it");
		}
		if (r->inherited_psd && s->outcome == ZS_DMARC_RECORD) {
			zs_findings_add(
			        a, &r->findings, ZS_FIND_DMARC_INHERITED_PSD,
			        "the inherited record sits at the public suffix %s: only RFC 9989 receivers apply it",
			        s->domain);
		}
	}
	apex_finding(c);
	dest_findings(c);

	r->source = ZS_DMARC_SRC_NONE;
	switch (r->own.outcome) {
	case ZS_DMARC_RECORD:
		if (r->own.record->applies) {
			r->source = ZS_DMARC_SRC_OWN;
			zs_dmarc_effective(r->own.record, false, &r->effective);
		}
		break;
	case ZS_DMARC_MULTIPLE:
		break;
	case ZS_DMARC_DNS_ERROR:
		r->source = ZS_DMARC_SRC_UNKNOWN;
		break;
	case ZS_DMARC_NONE:
		if (r->inherited == NULL) {
			break;
		}
		if (r->inherited->outcome == ZS_DMARC_DNS_ERROR) {
			r->source = ZS_DMARC_SRC_UNKNOWN;
		} else if (r->inherited->outcome == ZS_DMARC_RECORD &&
		           r->inherited->record->applies) {
			r->source = ZS_DMARC_SRC_INHERITED;
			zs_dmarc_effective(r->inherited->record, true, &r->effective);
		}
		break;
	}
}

int zs_dmarc_step(struct zs_dmarc_ctx *c, struct zs_lookup *need, size_t max, size_t *n)
{
	return zs__machine_step(&c->r.log, need, max, n, &c->finished, finalize, c);
}

const struct zs_dmarc_result *zs_dmarc_result(const struct zs_dmarc_ctx *c)
{
	ZS_REQUIRE(c->finished);
	return &c->r;
}

ZS__DEFINE_LOOKUP_OPS(dmarc);

static void site_json(struct zs_json *j, const struct zs_dmarc_site *s)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "domain", s->domain, strlen(s->domain));
	zs_json_kdata(j, "name", s->name, strlen(s->name));
	zs_json_kstr(j, "outcome", zs_dmarc_outcome_name(s->outcome));
	zs_json_kstr(j, "status", zs_dns_status_name(s->status));
	zs__names_json(j, "cname", s->cname, s->cname_count, false);
	zs_json_key(j, "records");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < s->record_count; i++) {
		zs_dmarc_record_json(j, &s->records[i]);
	}
	zs_json_arr_end(j);
	zs_json_kint(j, "record_total", (long long)s->record_total);
	zs__other_txt_json(j, s->other, s->other_count, s->other_total);
	zs_json_obj_end(j);
}

void zs_dmarc_result_json(struct zs_json *j, const struct zs_dmarc_result *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "domain", r->domain, strlen(r->domain));
	zs_json_kstr(j, "org_domain", r->org_domain);
	zs_json_kstr(j, "source", source_name(r->source));
	zs_json_key(j, "effective");
	if (r->source == ZS_DMARC_SRC_OWN || r->source == ZS_DMARC_SRC_INHERITED) {
		zs_json_obj_begin(j);
		zs_json_kstr(j, "p", zs_dmarc_policy_name(r->effective.domain));
		zs_json_kstr(j, "sp", zs_dmarc_policy_name(r->effective.subdomain));
		zs_json_kstr(j, "np", zs_dmarc_policy_name(r->effective.nonexistent));
		zs_json_kint(j, "pct", r->effective.pct);
		zs_json_kbool(j, "testing", r->effective.testing);
		zs_json_obj_end(j);
	} else {
		zs_json_null(j);
	}
	zs_json_key(j, "own");
	site_json(j, &r->own);
	zs_json_kbool(j, "walk_done", r->walk_done);
	zs_json_key(j, "inherited");
	if (r->inherited != NULL) {
		site_json(j, r->inherited);
		zs_json_kbool(j, "inherited_at_org_domain", r->inherited_at_org);
		zs_json_kbool(j, "inherited_from_public_suffix", r->inherited_psd);
	} else {
		zs_json_null(j);
	}
	zs_json_key(j, "report_destinations");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->dest_count; i++) {
		const struct zs_dmarc_dest *d = &r->dest[i];
		zs_json_obj_begin(j);
		zs_json_kstr(j, "domain", d->domain);
		zs_json_kbool(j, "rua", d->rua);
		zs_json_kbool(j, "ruf", d->ruf);
		zs_json_kbool(j, "external", d->external);
		zs_json_kstr(j, "authorization", zs_dmarc_auth_name(d->auth));
		if (d->auth_name != NULL) {
			zs_json_kstr(j, "authorization_name", d->auth_name);
			zs_json_kstr(j, "authorization_status", zs_dns_status_name(d->auth_status));
			zs_json_kbool(j, "authorization_wildcard", d->auth_wildcard);
		}
		zs_json_kstr(j, "mx", mx_name(d->mx));
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
	zs__evidence_json(j, &r->findings, &r->log);
	zs_json_obj_end(j);
}
