/* SPDX-License-Identifier: MIT */
/*
 * The reference decoder of replies: the same decoding as zs__dns_reply_decode() (wire.c), on
 * the packet as ldns parses it. The engine uses the faster one; the unit tests and the fuzz
 * target check that both give the same entry for every reply ldns accepts.
 */
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "scanner/dns/wire_int.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool rdf_is_name(const ldns_rdf *rdf)
{
	return rdf != NULL && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME &&
	       zs__dns_name_to_text(ldns_rdf_data(rdf), ldns_rdf_size(rdf), NULL, 0) >= 0;
}

static bool owner_is(const ldns_rr *rr, const uint8_t *name, size_t len)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	return owner != NULL &&
	       zs__dns_name_equal(ldns_rdf_data(owner), ldns_rdf_size(owner), name, len);
}

/* What a reply says, found in the ldns packet before anything is copied. */
struct decoded {
	const ldns_rdf *chain[ZS_DNS_CNAME_LIMIT]; /**< CNAME targets followed */
	size_t chain_count;
	bool loop;
	const uint8_t *final; /**< name whose records are the answer */
	size_t final_len;
	uint32_t min_ttl;
	size_t rr_count;
	size_t ptrs;  /**< pointer slots: CNAMEs and TXT strings */
	size_t lens;  /**< uint16 slots: TXT string lengths */
	size_t bytes; /**< text bytes, NULs included */
};

static bool selected(const ldns_rr *rr, const struct zs__dns_question *q, const struct decoded *d)
{
	return ldns_rr_get_type(rr) == q->type && ldns_rr_get_class(rr) == q->qclass &&
	       owner_is(rr, d->final, d->final_len);
}

static bool chain_has(const struct decoded *d, const struct zs__dns_question *q,
                      const ldns_rdf *name)
{
	if (zs__dns_name_equal(ldns_rdf_data(name), ldns_rdf_size(name), q->name, q->name_len)) {
		return true;
	}
	for (size_t i = 0; i < d->chain_count; i++) {
		if (zs__dns_name_equal(ldns_rdf_data(name), ldns_rdf_size(name),
		                       ldns_rdf_data(d->chain[i]), ldns_rdf_size(d->chain[i]))) {
			return true;
		}
	}
	return false;
}

static size_t name_bytes(const ldns_rdf *rdf)
{
	return (size_t)zs__dns_name_to_text(ldns_rdf_data(rdf), ldns_rdf_size(rdf), NULL, 0) + 1;
}

/* Follow CNAMEs from the question name through the answer section. */
static int follow_chain(const ldns_rr_list *an, const struct zs__dns_question *q,
                        unsigned max_cname, struct decoded *d)
{
	d->final = q->name;
	d->final_len = q->name_len;
	if (q->type == ZS_RR_CNAME) {
		return 0;
	}
	for (;;) {
		const ldns_rr *cname = NULL;
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_get_class(rr) == q->qclass &&
			    owner_is(rr, d->final, d->final_len)) {
				cname = rr;
				break;
			}
		}
		if (cname == NULL) {
			return 0;
		}
		const ldns_rdf *target = ldns_rr_rdf(cname, 0);
		if (!rdf_is_name(target)) {
			return ZS_ERR_PARSE;
		}
		if (chain_has(d, q, target) || d->chain_count >= max_cname) {
			d->loop = true;
			return 0;
		}
		d->chain[d->chain_count++] = target;
		d->bytes += name_bytes(target);
		d->ptrs++;
		if (ldns_rr_ttl(cname) < d->min_ttl) {
			d->min_ttl = ldns_rr_ttl(cname);
		}
		d->final = ldns_rdf_data(target);
		d->final_len = ldns_rdf_size(target);
	}
}

/* Check a selected record's data and count what copying it needs. */
static int measure_rr(const ldns_rr *rr, struct decoded *d)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);

	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
		return (rdf != NULL && ldns_rdf_size(rdf) == 4) ? 0 : ZS_ERR_PARSE;
	case LDNS_RR_TYPE_AAAA:
		return (rdf != NULL && ldns_rdf_size(rdf) == 16) ? 0 : ZS_ERR_PARSE;
	case LDNS_RR_TYPE_MX:
		if (ldns_rr_rd_count(rr) != 2 || ldns_rdf_size(rdf) != 2 ||
		    !rdf_is_name(ldns_rr_rdf(rr, 1))) {
			return ZS_ERR_PARSE;
		}
		d->bytes += name_bytes(ldns_rr_rdf(rr, 1));
		return 0;
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_SOA:
		if (!rdf_is_name(rdf)) {
			return ZS_ERR_PARSE;
		}
		d->bytes += name_bytes(rdf);
		return 0;
	case LDNS_RR_TYPE_TXT:
	case LDNS_RR_TYPE_SPF:
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			const ldns_rdf *s = ldns_rr_rdf(rr, i);
			if (ldns_rdf_get_type(s) != LDNS_RDF_TYPE_STR || ldns_rdf_size(s) < 1 ||
			    ldns_rdf_data(s)[0] + 1u != ldns_rdf_size(s)) {
				return ZS_ERR_PARSE;
			}
			d->ptrs++;
			d->lens++;
			d->bytes +=
			        ldns_rdf_size(s); /* the bytes and a NUL in place of the length */
		}
		return 0;
	default:
		return 0; /* other types: counted, no data decoded */
	}
}

static const char *copy_name(struct zs__dns_cursor *c, const ldns_rdf *rdf)
{
	char *s = c->bytes;
	int n = zs__dns_name_to_text(ldns_rdf_data(rdf), ldns_rdf_size(rdf), s, ZS_DNS_TEXT_MAX);
	c->bytes += n + 1;
	return s;
}

static void copy_rr(struct zs__dns_cursor *c, const ldns_rr *rr, struct zs_rr *out)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);

	out->type = ldns_rr_get_type(rr);
	out->ttl = ldns_rr_ttl(rr);
	switch (out->type) {
	case LDNS_RR_TYPE_A:
		memcpy(out->u.a, ldns_rdf_data(rdf), 4);
		break;
	case LDNS_RR_TYPE_AAAA:
		memcpy(out->u.aaaa, ldns_rdf_data(rdf), 16);
		break;
	case LDNS_RR_TYPE_MX:
		out->u.mx.pref = get16(ldns_rdf_data(rdf));
		out->u.mx.host = copy_name(c, ldns_rr_rdf(rr, 1));
		break;
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_SOA:
		out->u.name = copy_name(c, rdf);
		break;
	case LDNS_RR_TYPE_TXT:
	case LDNS_RR_TYPE_SPF:
		out->u.txt.count = ldns_rr_rd_count(rr);
		out->u.txt.str = c->ptrs;
		out->u.txt.len = c->lens;
		for (size_t i = 0; i < out->u.txt.count; i++) {
			const ldns_rdf *s = ldns_rr_rdf(rr, i);
			size_t n = ldns_rdf_data(s)[0];
			memcpy(c->bytes, ldns_rdf_data(s) + 1, n);
			c->bytes[n] = '\0';
			*c->ptrs++ = (const uint8_t *)c->bytes;
			*c->lens++ = (uint16_t)n;
			c->bytes += n + 1;
		}
		break;
	default:
		break;
	}
}

/* RFC 2308 section 5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM. */
static uint32_t negative_ttl(const ldns_pkt *pkt)
{
	const ldns_rr_list *ns = ldns_pkt_authority(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) != 7) {
			continue;
		}
		const ldns_rdf *min = ldns_rr_rdf(rr, 6);
		if (ldns_rdf_size(min) != 4) {
			continue;
		}
		uint32_t m = get32(ldns_rdf_data(min));
		return ldns_rr_ttl(rr) < m ? ldns_rr_ttl(rr) : m;
	}
	return 0;
}

static int decode_pkt(const ldns_pkt *pkt, const struct zs__dns_question *q, unsigned max_cname,
                      struct zs__dns_entry **out)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	uint8_t rcode = (uint8_t)ldns_pkt_get_rcode(pkt);
	struct decoded d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.min_ttl = UINT32_MAX;
	if (max_cname > ZS_DNS_CNAME_LIMIT) {
		max_cname = ZS_DNS_CNAME_LIMIT;
	}
	ret = follow_chain(an, q, max_cname, &d);
	if (ret != 0) {
		return ret;
	}
	/* Records count only in a NOERROR answer whose chain ends. */
	bool take = rcode == ZS_DNS_RCODE_NOERROR && !d.loop;
	for (size_t i = 0; take && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (!selected(rr, q, &d)) {
			continue;
		}
		ret = measure_rr(rr, &d);
		if (ret != 0) {
			return ret;
		}
		d.rr_count++;
		if (ldns_rr_ttl(rr) < d.min_ttl) {
			d.min_ttl = ldns_rr_ttl(rr);
		}
	}

	struct zs__dns_cursor c;
	struct zs__dns_entry *e = zs__dns_entry_alloc(q, d.rr_count, d.ptrs, d.lens, d.bytes, &c);
	e->ans.rcode = rcode;
	e->ans.ad = ldns_pkt_ad(pkt);
	e->ans.cname_count = d.chain_count;
	e->ans.cname = d.chain_count > 0 ? (const char *const *)c.ptrs : NULL;
	const char **names = (const char **)c.ptrs;
	c.ptrs += d.chain_count;
	for (size_t i = 0; i < d.chain_count; i++) {
		names[i] = copy_name(&c, d.chain[i]);
	}
	struct zs_rr *rrs = (struct zs_rr *)e->ans.rr;
	for (size_t i = 0, k = 0; take && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (selected(rr, q, &d)) {
			copy_rr(&c, rr, &rrs[k++]);
		}
	}
	e->ans.count = d.rr_count;
	zs__dns_entry_settle(e, d.loop, d.min_ttl, negative_ttl(pkt));
	*out = e;
	return 0;
}

int zs__dns_reply_decode_ldns(const uint8_t *pkt, size_t len, const struct zs__dns_question *q,
                              unsigned max_cname, struct zs__dns_entry **out)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK) {
		return ZS_ERR_PARSE;
	}
	int ret = decode_pkt(p, q, max_cname, out);
	ldns_pkt_free(p);
	return ret;
}
