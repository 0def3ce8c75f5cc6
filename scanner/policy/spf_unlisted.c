/* SPDX-License-Identifier: MIT */
/*
 * The unlisted-sender paths of the SPF analysis: check_host() (RFC 7208 4) for a client address
 * that no term of the record lists, one IPv4 and one IPv6, run after the static walk on the
 * answers it gathered. The walk cannot evaluate the terms that depend on the client
 * (exists:%{i}..., %{i} in a:, include: or redirect=, ptr): it calls a record valid whose
 * evaluation for every address it does not list ends in permerror, for example two void a:
 * terms followed by exists:%{i}._spf.%{d}, the third void lookup for any forger. That path is
 * the one that decides whether the record's "-all" ever applies, so a record is valid only
 * when neither path ends in permerror; the report's result and error then come from the path,
 * with the term that broke it and the senders concerned.
 *
 * Each path is a pass of its own in the same context (the replay model of spf_int.h): it
 * reuses every answer the walk received, so only client-dependent names become new questions.
 * exp= is left alone (no_explanation): it decides no result.
 */
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/policy/spf_int.h"

/* What a pass leaves in the context, saved around the paths. */
struct saved_pass {
	bool analysis;
	struct zs_spf_report *report;
	void *findings_state;
	unsigned lookups;
	unsigned voids;
	unsigned voids6;
	unsigned analysis_terms;
};

static void save(const struct zs_spf_ctx *c, struct saved_pass *s)
{
	*s = (struct saved_pass){ c->analysis, c->report, c->findings_state, c->lookups,
		                  c->voids,    c->voids6, c->analysis_terms };
}

static void restore(struct zs_spf_ctx *c, const struct saved_pass *s)
{
	c->analysis = s->analysis;
	c->report = s->report;
	c->findings_state = s->findings_state;
	c->lookups = s->lookups;
	c->voids = s->voids;
	c->voids6 = s->voids6;
	c->analysis_terms = s->analysis_terms;
}

/* check_host() for one address; false when an answer is missing (c->blocked). */
static bool run_path(struct zs_spf_ctx *c, const char *address, struct zs_spf_unlisted *out)
{
	int ret = zs_spf_ip_parse(address, &c->ip);
	ZS_REQUIRE(ret == 0);
	c->analysis = false;
	zs__spf_pass_begin(c);
	zs__spf_run_check(c);
	if (c->blocked) {
		return false;
	}
	zs__spf_pass_end(c);
	const struct zs_spf_report *r = c->report;
	*out = (struct zs_spf_unlisted){
		.ip = c->ip,
		.evaluated = true,
		.result = r->result,
		.error = r->error,
		.error_finding = r->error_finding,
		.matched = r->matched,
		.matched_domain = r->matched_domain,
		.lookups = r->lookups,
		.void_lookups = r->void_lookups,
	};
	return true;
}

/* The record text of @p domain on a path's tree, or NULL. */
static const struct zs_spf_node *find_node(const struct zs_spf_node *n, const char *domain)
{
	for (; n != NULL; n = n->next) {
		if (n->record != NULL && n->domain != NULL && strcmp(n->domain, domain) == 0) {
			return n;
		}
		const struct zs_spf_node *in = find_node(n->child, domain);
		if (in != NULL) {
			return in;
		}
	}
	return NULL;
}

/* Whether two paths broke the same way (the same error at the same term). */
static bool same_break(const struct zs_spf_unlisted *a, const struct zs_spf_unlisted *b)
{
	const struct zs_spf_finding *x = a->error_finding;
	const struct zs_spf_finding *y = b->error_finding;
	return a->result == b->result && a->error == b->error && x != NULL && y != NULL &&
	       x->pos == y->pos && x->domain != NULL && y->domain != NULL &&
	       strcmp(x->domain, y->domain) == 0;
}

/*
 * The report's error from the path that broke: "<term> (record of <domain>): <what>, for the
 * senders the record does not list (<families>)".
 */
static void path_error(struct zs_spf_ctx *c, const struct zs_spf_unlisted *u,
                       const struct zs_spf_node *tree, const char *families)
{
	const struct zs_spf_finding *f = u->error_finding;
	const char *what = f != NULL ? f->message : zs_spf_result_name(u->result);
	const char *domain = f != NULL ? f->domain : NULL;
	const struct zs_spf_node *n = domain != NULL ? find_node(tree, domain) : NULL;
	enum zs_spf_code code = u->error != ZS_SPF_CODE_NONE ? u->error : ZS_SPF_CODE_DNS_ERROR;
	struct zs_spf_finding *e;

	if (n != NULL && f->pos >= 0 && (size_t)f->pos < n->record_len) {
		const char *term = n->record + f->pos;
		const char *end = memchr(term, ' ', n->record_len - (size_t)f->pos);
		int len =
		        (int)(end != NULL ? (size_t)(end - term) : n->record_len - (size_t)f->pos);
		e = zs__spf_error(c, code, domain, f->pos,
		                  "%.*s (record of %s): %s, for the senders the record does not "
		                  "list (%s)",
		                  len, term, domain, what, families);
	} else {
		e = zs__spf_error(c, code, domain, f != NULL ? f->pos : -1,
		                  "%s, for the senders the record does not list (%s)", what,
		                  families);
	}
	if (e != NULL && f != NULL && f->dns_name != NULL) {
		e->dns_name = f->dns_name;
		e->dns_type = f->dns_type;
		e->dns_status = f->dns_status;
	}
}

/* A permerror on either path makes the record invalid; else a temperror makes it unknown. */
static void judge(struct zs_spf_ctx *c, const struct zs_spf_node *const tree[2])
{
	struct zs_spf_report *r = c->report;
	static const enum zs_spf_result worst[] = { ZS_SPF_PERMERROR, ZS_SPF_TEMPERROR };

	for (size_t w = 0; w < sizeof(worst) / sizeof(worst[0]); w++) {
		const struct zs_spf_unlisted *v4 = &r->unlisted[0];
		const struct zs_spf_unlisted *v6 = &r->unlisted[1];
		bool b4 = v4->result == worst[w];
		bool b6 = v6->result == worst[w];
		if (!b4 && !b6) {
			continue;
		}
		const char *families = !b6   ? "IPv4, checked with " ZS_SPF_UNLISTED_IPV4
		                       : !b4 ? "IPv6, checked with " ZS_SPF_UNLISTED_IPV6
		                       : same_break(v4, v6) ? "IPv4 and IPv6"
		                                            : "IPv4, and IPv6 at another term";
		r->result = worst[w];
		path_error(c, b4 ? v4 : v6, tree[b4 ? 0 : 1], families);
		return;
	}
}

void zs__spf_unlisted(struct zs_spf_ctx *c)
{
	static const char *const address[2] = { ZS_SPF_UNLISTED_IPV4, ZS_SPF_UNLISTED_IPV6 };
	struct zs_spf_unlisted path[2];
	const struct zs_spf_node *tree[2] = { NULL, NULL };
	struct saved_pass s;
	bool complete = true;

	if (c->report->result != ZS_SPF_VALID) {
		return; /* the walk decided: invalid, absent or unknown */
	}
	save(c, &s);
	for (int fam = 0; fam < 2 && complete; fam++) {
		complete = run_path(c, address[fam], &path[fam]);
		tree[fam] = c->report->tree;
	}
	restore(c, &s);
	if (!complete) {
		return; /* this pass only gathers questions */
	}
	memcpy(c->report->unlisted, path, sizeof(path));
	judge(c, tree);
}
