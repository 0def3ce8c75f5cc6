/* SPDX-License-Identifier: MIT */
/*
 * MX set analysis and the MX -> A/AAAA -> PTR -> A/AAAA machine. Queries are indexed so that
 * every answer finds its place without a search: a host's index, an address's
 * (host, address) pair, a PTR name's (host, address, name) triple, each packed into the query's
 * index field.
 */
#include "scanner/policy/mx.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/record_int.h"

/* RFC 7208 4.6.4: an "mx" mechanism may look at 10 MX records at most. */
enum { MX_SPF_LIMIT = 10 };

const char *zs_mx_kind_name(enum zs_mx_kind k)
{
	switch (k) {
	case ZS_MX_KIND_NONE:
		return "none";
	case ZS_MX_KIND_NULL:
		return "null_mx";
	case ZS_MX_KIND_HOSTS:
		return "hosts";
	case ZS_MX_KIND_MIXED:
		return "null_mx_mixed";
	case ZS_MX_KIND_DNS_ERROR:
		return "dns_error";
	}
	return "invalid";
}

const char *zs_rdns_name(enum zs_rdns r)
{
	switch (r) {
	case ZS_RDNS_NOT_CHECKED:
		return "not_checked";
	case ZS_RDNS_CONFIRMED:
		return "confirmed";
	case ZS_RDNS_MISMATCH:
		return "mismatch";
	case ZS_RDNS_NO_PTR:
		return "no_ptr";
	case ZS_RDNS_DNS_ERROR:
		return "dns_error";
	}
	return "invalid";
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned bytes = bits / 8;
	if (memcmp(a, net, bytes) != 0) {
		return false;
	}
	unsigned rest = bits % 8;
	if (rest == 0) {
		return true;
	}
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (net[bytes] & mask);
}

bool zs_mx_address_special(int family, const uint8_t *b)
{
	static const struct {
		uint8_t net[4];
		unsigned bits;
	} v4[] = {
		{ { 0, 0, 0, 0 }, 8 },     { { 10, 0, 0, 0 }, 8 },      { { 100, 64, 0, 0 }, 10 },
		{ { 127, 0, 0, 0 }, 8 },   { { 169, 254, 0, 0 }, 16 },  { { 172, 16, 0, 0 }, 12 },
		{ { 192, 0, 0, 0 }, 24 },  { { 192, 0, 2, 0 }, 24 },    { { 192, 168, 0, 0 }, 16 },
		{ { 198, 18, 0, 0 }, 15 }, { { 198, 51, 100, 0 }, 24 }, { { 203, 0, 113, 0 }, 24 },
		{ { 224, 0, 0, 0 }, 4 },   { { 240, 0, 0, 0 }, 4 },
	};
	static const struct {
		uint8_t net[16];
		unsigned bits;
	} v6[] = {
		{ { 0 }, 128 },                                              /* :: */
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128 }, /* ::1 */
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96 },        /* IPv4-mapped */
		{ { 0x01, 0x00 }, 64 },                                      /* discard-only */
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },                          /* documentation */
		{ { 0xfc }, 7 },                                             /* unique local */
		{ { 0xfe, 0x80 }, 10 },                                      /* link-local */
		{ { 0xff }, 8 },                                             /* multicast */
	};
	if (family == 4) {
		for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
			if (prefix_match(b, v4[i].net, v4[i].bits)) {
				return true;
			}
		}
		return false;
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		if (prefix_match(b, v6[i].net, v6[i].bits)) {
			return true;
		}
	}
	return false;
}

static bool is_ip_literal(const char *s)
{
	uint8_t buf[16];
	size_t n = strlen(s);
	if (n > 0 && s[0] == '[') {
		return true; /* an address literal in SMTP form */
	}
	if (strchr(s, ':') != NULL) {
		return true;
	}
	return inet_pton(AF_INET, s, buf) == 1;
}

/* MX records by preference, then name: resolvers rotate RRsets, the result must not. */
static int mx_order(const void *a, const void *b)
{
	const struct zs_rr *x = *(const struct zs_rr *const *)a;
	const struct zs_rr *y = *(const struct zs_rr *const *)b;
	if (x->u.mx.pref != y->u.mx.pref) {
		return x->u.mx.pref < y->u.mx.pref ? -1 : 1;
	}
	return strcmp(x->u.mx.host, y->u.mx.host);
}

void zs_mx_set_analyze(struct zs_arena *arena, const char *domain, const struct zs_answer *mx,
                       bool spf_authorizes_hosts, struct zs_mx_result *out)
{
	memset(out, 0, sizeof(*out));
	out->domain = zs_arena_strdup(arena, domain);
	out->status = mx->status;
	if (mx->status == ZS_DNS_NXDOMAIN || mx->status == ZS_DNS_NODATA) {
		out->kind = ZS_MX_KIND_NONE;
		return;
	}
	if (mx->status != ZS_DNS_NOERROR) {
		out->kind = ZS_MX_KIND_DNS_ERROR;
		zs_findings_add(
		        arena, &out->findings, ZS_FIND_MX_LOOKUP_FAILED,
		        "the MX lookup of %s failed (%s): whether it receives mail is unknown",
		        domain, zs_dns_status_name(mx->status));
		return;
	}
	size_t count = 0;
	for (size_t i = 0; i < mx->count; i++) {
		count += mx->rr[i].type == ZS_RR_MX;
	}
	out->host = zs_arena_calloc(arena, count > 0 ? count : 1, sizeof(*out->host));
	const struct zs_rr **sorted =
	        zs_arena_calloc(arena, count > 0 ? count : 1, sizeof(*sorted));
	count = 0;
	for (size_t i = 0; i < mx->count; i++) {
		if (mx->rr[i].type == ZS_RR_MX) {
			sorted[count++] = &mx->rr[i];
		}
	}
	qsort(sorted, count, sizeof(*sorted), mx_order);
	size_t nulls = 0;
	for (size_t i = 0; i < count; i++) {
		const struct zs_rr *rr = sorted[i];
		struct zs_mx_host *h = &out->host[out->host_count++];
		h->name = zs_arena_strdup(arena, rr->u.mx.host);
		h->pref = rr->u.mx.pref;
		h->a_status = ZS_DNS_NOT_ASKED;
		h->aaaa_status = ZS_DNS_NOT_ASKED;
		h->null_mx = h->name[0] == '\0';
		if (h->null_mx) {
			nulls++;
			if (h->pref != 0) {
				zs_findings_add(arena, &out->findings, ZS_FIND_MX_NULL_PREF,
				                "null MX with preference %u: RFC 7505 specifies 0",
				                h->pref);
			}
			continue;
		}
		h->ip_literal = is_ip_literal(h->name);
		if (h->ip_literal) {
			zs_findings_add(arena, &out->findings, ZS_FIND_MX_TARGET_IP_LITERAL,
			                "MX target %s is an IP address: an MX must name a host",
			                zs__quote(arena, h->name, strlen(h->name)));
		} else if (!zs__hostname_valid(h->name, strlen(h->name))) {
			zs_findings_add(arena, &out->findings, ZS_FIND_MX_TARGET_SYNTAX,
			                "MX target %s is not a valid host name",
			                zs__quote(arena, h->name, strlen(h->name)));
		}
		for (size_t k = 0; k + 1 < out->host_count; k++) {
			if (strcmp(out->host[k].name, h->name) == 0) {
				zs_findings_add(arena, &out->findings, ZS_FIND_MX_DUPLICATE,
				                "MX target %s is listed more than once",
				                zs__quote(arena, h->name, strlen(h->name)));
				break;
			}
		}
	}
	if (out->host_count == 0) {
		out->kind = ZS_MX_KIND_NONE;
		return;
	}
	if (nulls == 0) {
		out->kind = ZS_MX_KIND_HOSTS;
	} else if (nulls == out->host_count && nulls == 1) {
		out->kind = ZS_MX_KIND_NULL;
	} else {
		out->kind = ZS_MX_KIND_MIXED;
		zs_findings_add(
		        arena, &out->findings, ZS_FIND_MX_NULL_MIXED,
		        "a null MX must be the only MX record (RFC 7505): %zu MX records published",
		        out->host_count);
	}
	if (out->host_count > MX_SPF_LIMIT) {
		zs_findings_add(
		        arena, &out->findings, ZS_FIND_MX_TOO_MANY,
		        "%zu MX records: an SPF \"mx\" mechanism fails with more than 10 (RFC 7208 4.6.4)",
		        out->host_count);
	}
	if (spf_authorizes_hosts && nulls > 0) {
		zs_findings_add(
		        arena, &out->findings, ZS_FIND_MX_NULL_WITH_SPF,
		        "null MX while SPF authorizes senders: a domain that sends mail must accept bounces (RFC 7505 4.2)");
	}
}

/* ---- the machine ---- */

enum purpose {
	Q_MX,
	Q_A,
	Q_AAAA,
	Q_PTR,
	Q_FWD,
};

struct zs_mx_ctx {
	struct zs_arena *a;
	struct zs_mx_opts opts;
	struct zs_mx_result r;
	bool spf_noted; /* the null-MX/SPF finding was already added */
	bool finished;
};

struct zs_mx_ctx *zs_mx_new(struct zs_arena *arena, const char *domain,
                            const struct zs_mx_opts *opts)
{
	ZS_REQUIRE(arena != NULL && domain != NULL);
	struct zs_mx_ctx *c = zs_arena_calloc(arena, 1, sizeof(*c));
	c->a = arena;
	if (opts != NULL) {
		c->opts = *opts;
	}
	size_t len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.') {
		len--;
	}
	c->r.domain = zs__lower(arena, domain, len);
	c->r.status = ZS_DNS_NOT_ASKED;
	if (!zs__dname_valid(c->r.domain, len)) {
		c->r.status = ZS_DNS_BADNAME;
		c->r.kind = ZS_MX_KIND_DNS_ERROR;
	} else {
		(void)zs__query_log_add(arena, &c->r.log, ZS_RR_MX, c->r.domain, Q_MX, 0);
	}
	return c;
}

void zs_mx_set_spf(struct zs_mx_ctx *c, bool spf_authorizes_hosts)
{
	c->opts.spf_authorizes_hosts = spf_authorizes_hosts;
}

static void reverse_name(struct zs_arena *a, struct zs_mx_addr *ad)
{
	if (ad->family == 4) {
		ad->reverse_name = zs_arena_printf(a, "%u.%u.%u.%u.in-addr.arpa", ad->bytes[3],
		                                   ad->bytes[2], ad->bytes[1], ad->bytes[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	char buf[128];
	size_t o = 0;
	for (int i = 15; i >= 0; i--) {
		buf[o++] = hex[ad->bytes[i] & 0xf];
		buf[o++] = '.';
		buf[o++] = hex[ad->bytes[i] >> 4];
		buf[o++] = '.';
	}
	memcpy(buf + o, "ip6.arpa", sizeof("ip6.arpa"));
	ad->reverse_name = zs_arena_strdup(a, buf);
}

static void answer_addr(struct zs_mx_ctx *c, size_t hi, int family, const struct zs_query *q,
                        const struct zs_answer *ans)
{
	struct zs_mx_host *h = &c->r.host[hi];
	if (family == 4) {
		h->a_status = ans->status;
	} else {
		h->aaaa_status = ans->status;
	}
	if (q->cname_count > 0 && h->cname_count == 0) {
		h->cname_count = q->cname_count;
		h->cname = q->cname;
	}
	if (ans->status != ZS_DNS_NOERROR) {
		return;
	}
	uint16_t type = family == 4 ? ZS_RR_A : ZS_RR_AAAA;
	for (size_t i = 0; i < ans->count; i++) {
		if (ans->rr[i].type != type) {
			continue;
		}
		h->addr_total++;
		if (h->addr_count == ZS_MX_MAX_ADDRS) {
			continue;
		}
		size_t ai = h->addr_count++;
		struct zs_mx_addr *ad = &h->addr[ai];
		ad->family = family;
		memcpy(ad->bytes, family == 4 ? ans->rr[i].u.a : ans->rr[i].u.aaaa,
		       family == 4 ? 4 : 16);
		(void)inet_ntop(family == 4 ? AF_INET : AF_INET6, ad->bytes, ad->text,
		                sizeof(ad->text));
		ad->special = zs_mx_address_special(family, ad->bytes);
		ad->ptr_status = ZS_DNS_NOT_ASKED;
		reverse_name(c->a, ad);
		if ((c->opts.flags & ZS_MX_NO_RDNS) == 0) {
			(void)zs__query_log_add(c->a, &c->r.log, ZS_RR_PTR, ad->reverse_name, Q_PTR,
			                        hi * ZS_MX_MAX_ADDRS + ai);
		}
	}
}

static void answer_ptr(struct zs_mx_ctx *c, size_t index, const struct zs_answer *ans)
{
	size_t hi = index / ZS_MX_MAX_ADDRS;
	size_t ai = index % ZS_MX_MAX_ADDRS;
	struct zs_mx_addr *ad = &c->r.host[hi].addr[ai];
	ad->ptr_status = ans->status;
	if (ans->status != ZS_DNS_NOERROR) {
		return;
	}
	for (size_t i = 0; i < ans->count; i++) {
		if (ans->rr[i].type != ZS_RR_PTR) {
			continue;
		}
		ad->ptr_total++;
		if (ad->ptr == NULL) {
			ad->ptr = zs_arena_calloc(c->a, ZS_MX_MAX_PTRS, sizeof(*ad->ptr));
		}
		if (ad->ptr_count == ZS_MX_MAX_PTRS) {
			continue;
		}
		size_t pi = ad->ptr_count++;
		struct zs_mx_ptr *p = &ad->ptr[pi];
		p->name = zs_arena_strdup(c->a, ans->rr[i].u.name);
		p->status = ZS_DNS_NOT_ASKED;
		if (!zs__dname_valid(p->name, strlen(p->name))) {
			p->status = ZS_DNS_BADNAME;
			continue;
		}
		(void)zs__query_log_add(c->a, &c->r.log, ad->family == 4 ? ZS_RR_A : ZS_RR_AAAA,
		                        p->name, Q_FWD, index * ZS_MX_MAX_PTRS + pi);
	}
}

static void answer_fwd(struct zs_mx_ctx *c, size_t index, const struct zs_answer *ans)
{
	size_t pi = index % ZS_MX_MAX_PTRS;
	size_t ai = (index / ZS_MX_MAX_PTRS) % ZS_MX_MAX_ADDRS;
	size_t hi = index / ZS_MX_MAX_PTRS / ZS_MX_MAX_ADDRS;
	struct zs_mx_addr *ad = &c->r.host[hi].addr[ai];
	struct zs_mx_ptr *p = &ad->ptr[pi];
	uint16_t type = ad->family == 4 ? ZS_RR_A : ZS_RR_AAAA;
	size_t alen = ad->family == 4 ? 4 : 16;
	p->status = ans->status;
	for (size_t i = 0; ans->status == ZS_DNS_NOERROR && i < ans->count; i++) {
		const uint8_t *b = ad->family == 4 ? ans->rr[i].u.a : ans->rr[i].u.aaaa;
		if (ans->rr[i].type == type && memcmp(b, ad->bytes, alen) == 0) {
			p->matches = true;
		}
	}
}

int zs_mx_answer(struct zs_mx_ctx *c, uint32_t id, const struct zs_answer *a)
{
	struct zs_mx_result *r = &c->r;
	struct zs_query *q = zs__query_log_answer(c->a, &r->log, id, a);
	if (q == NULL) {
		return ZS_ERR_NOTFOUND;
	}
	switch ((enum purpose)q->purpose) {
	case Q_MX: {
		struct zs_query_log log = r->log; /* set_analyze starts from a blank result */
		zs_mx_set_analyze(c->a, r->domain, a, c->opts.spf_authorizes_hosts, r);
		r->log = log;
		c->spf_noted = c->opts.spf_authorizes_hosts;
		size_t probed = 0;
		for (size_t i = 0; i < r->host_count; i++) {
			struct zs_mx_host *h = &r->host[i];
			if (h->null_mx || h->ip_literal ||
			    !zs__dname_valid(h->name, strlen(h->name))) {
				continue;
			}
			bool dup = false;
			for (size_t k = 0; k < i && !dup; k++) {
				dup = r->host[k].probed && strcmp(r->host[k].name, h->name) == 0;
			}
			if (dup) {
				continue;
			}
			if (probed == ZS_MX_MAX_HOSTS) {
				zs_findings_add(
				        c->a, &r->findings, ZS_FIND_MX_HOST_LIMIT,
				        "MX host %s and later ones were not resolved (limit %d)",
				        zs__quote(c->a, h->name, strlen(h->name)), ZS_MX_MAX_HOSTS);
				break;
			}
			probed++;
			h->probed = true;
			h->addr = zs_arena_calloc(c->a, ZS_MX_MAX_ADDRS, sizeof(*h->addr));
			(void)zs__query_log_add(c->a, &r->log, ZS_RR_A, h->name, Q_A, i);
			(void)zs__query_log_add(c->a, &r->log, ZS_RR_AAAA, h->name, Q_AAAA, i);
		}
		break;
	}
	case Q_A:
		answer_addr(c, q->index, 4, q, a);
		break;
	case Q_AAAA:
		answer_addr(c, q->index, 6, q, a);
		break;
	case Q_PTR:
		answer_ptr(c, q->index, a);
		break;
	case Q_FWD:
		answer_fwd(c, q->index, a);
		break;
	}
	return 0;
}

static void addr_finalize(struct zs_mx_ctx *c, const struct zs_mx_host *h, struct zs_mx_addr *ad)
{
	struct zs_arena *a = c->a;
	struct zs_findings *f = &c->r.findings;
	const char *host = zs__quote(a, h->name, strlen(h->name));
	if (ad->special) {
		zs_findings_add(a, f, ZS_FIND_MX_ADDRESS_SPECIAL,
		                "MX host %s has the special-purpose address %s", host, ad->text);
	}
	if (ad->ptr_status == ZS_DNS_NOT_ASKED) {
		ad->rdns = ZS_RDNS_NOT_CHECKED;
		return;
	}
	if (!zs_dns_status_is_answer(ad->ptr_status)) {
		ad->rdns = ZS_RDNS_DNS_ERROR;
		zs_findings_add(a, f, ZS_FIND_MX_LOOKUP_FAILED,
		                "the PTR lookup of %s (MX host %s) failed (%s)", ad->text, host,
		                zs_dns_status_name(ad->ptr_status));
		return;
	}
	if (ad->ptr_count == 0) {
		ad->rdns = ZS_RDNS_NO_PTR;
		zs_findings_add(a, f, ZS_FIND_MX_PTR_MISSING,
		                "address %s of MX host %s has no PTR record", ad->text, host);
		return;
	}
	bool failed = false;
	for (size_t i = 0; i < ad->ptr_count; i++) {
		if (ad->ptr[i].matches) {
			ad->rdns = ZS_RDNS_CONFIRMED;
			return;
		}
		/* a PTR name that cannot be asked (the root, a malformed name) was rightly not
		 * followed: it resolves back to nothing, which is no failed lookup */
		failed = failed || (zs_dns_status_is_failure(ad->ptr[i].status) &&
		                    ad->ptr[i].status != ZS_DNS_BADNAME);
	}
	if (failed) {
		ad->rdns = ZS_RDNS_DNS_ERROR;
		zs_findings_add(a, f, ZS_FIND_MX_LOOKUP_FAILED,
		                "the forward lookup of the PTR name of %s (MX host %s) failed",
		                ad->text, host);
		return;
	}
	ad->rdns = ZS_RDNS_MISMATCH;
	zs_findings_add(a, f, ZS_FIND_MX_FCRDNS_MISMATCH,
	                "the PTR name %s of %s (MX host %s) does not resolve back to it",
	                ad->ptr[0].name[0] != '\0'
	                        ? zs__quote(a, ad->ptr[0].name, strlen(ad->ptr[0].name))
	                        : "\".\" (the root)",
	                ad->text, host);
}

/*
 * Put a host's IPv4 addresses before its IPv6 ones, each in answer order, so that a result does
 * not depend on which of the A and AAAA answers came first. Only once every answer is in: the
 * PTR questions refer to addresses by position.
 */
static void sort_addresses(struct zs_mx_host *h)
{
	for (size_t i = 1; i < h->addr_count; i++) {
		struct zs_mx_addr tmp = h->addr[i];
		size_t k = i;
		while (k > 0 && h->addr[k - 1].family > tmp.family) {
			h->addr[k] = h->addr[k - 1];
			k--;
		}
		h->addr[k] = tmp;
	}
}

static void finalize(void *ctx)
{
	struct zs_mx_ctx *c = ctx;
	struct zs_mx_result *r = &c->r;
	struct zs_arena *a = c->a;
	if (c->opts.spf_authorizes_hosts && !c->spf_noted &&
	    (r->kind == ZS_MX_KIND_NULL || r->kind == ZS_MX_KIND_MIXED)) {
		zs_findings_add(
		        a, &r->findings, ZS_FIND_MX_NULL_WITH_SPF,
		        "null MX while SPF authorizes senders: a domain that sends mail must accept bounces (RFC 7505 4.2)");
	}
	for (size_t i = 0; i < r->host_count; i++) {
		struct zs_mx_host *h = &r->host[i];
		if (!h->probed) {
			continue;
		}
		const char *host = zs__quote(a, h->name, strlen(h->name));
		if (h->cname_count > 0) {
			zs_findings_add(a, &r->findings, ZS_FIND_MX_TARGET_CNAME,
			                "MX target %s is a CNAME to %s (RFC 2181 10.3 forbids it)",
			                host,
			                zs__quote(a, h->cname[h->cname_count - 1],
			                          strlen(h->cname[h->cname_count - 1])));
		}
		bool a_ok = zs_dns_status_is_answer(h->a_status);
		bool aaaa_ok = zs_dns_status_is_answer(h->aaaa_status);
		if (h->addr_total == 0 && a_ok && aaaa_ok) {
			zs_findings_add(a, &r->findings, ZS_FIND_MX_TARGET_UNRESOLVABLE,
			                "MX target %s has no address (A: %s, AAAA: %s)", host,
			                zs_dns_status_name(h->a_status),
			                zs_dns_status_name(h->aaaa_status));
		} else if (!a_ok || !aaaa_ok) {
			zs_findings_add(
			        a, &r->findings, ZS_FIND_MX_LOOKUP_FAILED,
			        "the address lookup of MX target %s failed (A: %s, AAAA: %s)", host,
			        zs_dns_status_name(h->a_status),
			        zs_dns_status_name(h->aaaa_status));
		}
		sort_addresses(h);
		for (size_t k = 0; k < h->addr_count; k++) {
			addr_finalize(c, h, &h->addr[k]);
		}
	}
}

int zs_mx_step(struct zs_mx_ctx *c, struct zs_lookup *need, size_t max, size_t *n)
{
	return zs__machine_step(&c->r.log, need, max, n, &c->finished, finalize, c);
}

const struct zs_mx_result *zs_mx_result(const struct zs_mx_ctx *c)
{
	ZS_REQUIRE(c->finished);
	return &c->r;
}

ZS__DEFINE_LOOKUP_OPS(mx);

void zs_mx_result_json(struct zs_json *j, const struct zs_mx_result *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "domain", r->domain, strlen(r->domain));
	zs_json_kstr(j, "status", zs_dns_status_name(r->status));
	zs_json_kstr(j, "kind", zs_mx_kind_name(r->kind));
	zs_json_key(j, "hosts");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->host_count; i++) {
		const struct zs_mx_host *h = &r->host[i];
		zs_json_obj_begin(j);
		zs_json_kdata(j, "name", h->name, strlen(h->name));
		zs_json_kint(j, "pref", h->pref);
		zs_json_kbool(j, "null_mx", h->null_mx);
		zs_json_kbool(j, "ip_literal", h->ip_literal);
		if (h->probed) {
			zs_json_kstr(j, "a_status", zs_dns_status_name(h->a_status));
			zs_json_kstr(j, "aaaa_status", zs_dns_status_name(h->aaaa_status));
			zs__names_json(j, "cname", h->cname, h->cname_count, false);
			zs_json_kint(j, "address_total", (long long)h->addr_total);
			zs_json_key(j, "addresses");
			zs_json_arr_begin(j);
			for (size_t k = 0; k < h->addr_count; k++) {
				const struct zs_mx_addr *ad = &h->addr[k];
				zs_json_obj_begin(j);
				zs_json_kstr(j, "address", ad->text);
				zs_json_kbool(j, "special", ad->special);
				zs_json_kstr(j, "ptr_status", zs_dns_status_name(ad->ptr_status));
				zs_json_key(j, "ptr");
				zs_json_arr_begin(j);
				for (size_t p = 0; p < ad->ptr_count; p++) {
					zs_json_obj_begin(j);
					zs_json_kdata(j, "name", ad->ptr[p].name,
					              strlen(ad->ptr[p].name));
					zs_json_kstr(j, "forward_status",
					             zs_dns_status_name(ad->ptr[p].status));
					zs_json_kbool(j, "matches", ad->ptr[p].matches);
					zs_json_obj_end(j);
				}
				zs_json_arr_end(j);
				zs_json_kstr(j, "rdns", zs_rdns_name(ad->rdns));
				zs_json_obj_end(j);
			}
			zs_json_arr_end(j);
		}
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
	zs__evidence_json(j, &r->findings, &r->log);
	zs_json_obj_end(j);
}
