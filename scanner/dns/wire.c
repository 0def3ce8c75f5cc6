/* SPDX-License-Identifier: MIT */
/*
 * DNS messages for the resolver: names, the query packet, the strict check of a reply and its
 * decoding into one self-contained allocation (see wire_int.h). Replies are untrusted: the
 * check walks every byte range before use, and every failure is a verdict or ZS_ERR_PARSE,
 * never an assertion. Compression pointers must point backwards, which bounds every walk.
 */
#include <assert.h>
#include <string.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/dns/wire_int.h"

static uint8_t ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The value of a \DDD escape at p (three digits, at most 255), or -1. */
static int escape_value(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9') {
		return -1;
	}
	int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return v <= 255 ? v : -1;
}

int zs__dns_name_from_text(const char *text, struct zs__dns_question *q)
{
	uint8_t out[ZS_DNS_NAME_MAX];
	size_t label = 0; /* where the current label's length byte goes */
	size_t o = 1;     /* next byte of the current label */
	const char *p = text;

	if (strcmp(text, ".") == 0) {
		p++; /* the root, as "" */
	}
	while (*p != '\0') {
		int c = (unsigned char)*p++;
		if (c == '.') {
			if (o == label + 1) {
				return ZS_ERR_PARSE; /* empty label: "a..b", ".a" */
			}
			out[label] = (uint8_t)(o - label - 1);
			label = o++;
			if (*p == '\0') {
				o--; /* the final dot: the root label follows */
			}
			continue;
		}
		if (c == '\\') {
			int v = escape_value(p);
			if (v >= 0) {
				c = v;
				p += 3;
			} else if (*p >= '0' && *p <= '9') {
				return ZS_ERR_PARSE; /* a digit starts \DDD, nothing shorter */
			} else if (*p != '\0') {
				c = (unsigned char)*p++;
			} else {
				return ZS_ERR_PARSE; /* a lone backslash at the end */
			}
		}
		/* a label of at most 63 bytes, and room left for the root label */
		if (o - label > 63 || o + 1 >= ZS_DNS_NAME_MAX) {
			return ZS_ERR_PARSE;
		}
		out[o++] = ascii_lower((uint8_t)c);
	}
	if (o > label + 1) {
		out[label] = (uint8_t)(o - label - 1);
		label = o++;
	}
	out[label] = 0;
	memcpy(q->name, out, label + 1);
	q->name_len = (uint8_t)(label + 1);
	return 0;
}

int zs__dns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t l = wire[i++];
		if (l == 0) {
			break;
		}
		if (l > 63 || i + l > len) {
			return -1;
		}
		if (o > 0) {
			if (out != NULL && o < cap) {
				out[o] = '.';
			}
			o++;
		}
		for (size_t k = 0; k < l; k++) {
			uint8_t c = ascii_lower(wire[i + k]);
			char tmp[5];
			size_t n;
			if (c == '.' || c == '\\') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				n = 2;
			} else if (c > 0x20 && c < 0x7f) {
				tmp[0] = (char)c;
				n = 1;
			} else {
				tmp[0] = '\\';
				tmp[1] = (char)('0' + c / 100);
				tmp[2] = (char)('0' + (c / 10) % 10);
				tmp[3] = (char)('0' + c % 10);
				n = 4;
			}
			if (out != NULL && o + n < cap) {
				memcpy(out + o, tmp, n);
			}
			o += n;
		}
		i += l;
	}
	/* The name must end with the root label exactly at its end. */
	if (i != len || len == 0 || wire[len - 1] != 0) {
		return -1;
	}
	if (out != NULL) {
		if (o >= cap) {
			return -1;
		}
		out[o] = '\0';
	}
	return (int)o;
}

bool zs__dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen) {
		return false;
	}
	for (size_t i = 0; i < alen; i++) {
		/* Length octets are <= 63, below 'A': lowering every byte is safe. */
		if (ascii_lower(a[i]) != ascii_lower(b[i])) {
			return false;
		}
	}
	return true;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int zs__dns_query_build(const struct zs__dns_question *q, uint16_t edns_size, bool ad,
                        uint8_t out[ZS_DNS_QUERY_MAX], size_t *len)
{
	/* header, question, and the OPT record: 12 + 255 + 4 + 11 bytes at most, always fits */
	uint8_t *p = out + 2;
	size_t n = 0;

	put16(p, 0);                                          /* ID, set per try */
	put16(p + 2, (uint16_t)(0x0100 | (ad ? 0x0020 : 0))); /* QUERY, RD, AD */
	put16(p + 4, 1);                                      /* QDCOUNT */
	put16(p + 6, 0);
	put16(p + 8, 0);
	put16(p + 10, edns_size > 0 ? 1 : 0); /* ARCOUNT */
	n = ZS_DNS_HEADER_SIZE;
	memcpy(p + n, q->name, q->name_len);
	n += q->name_len;
	put16(p + n, q->type);
	put16(p + n + 2, q->qclass);
	n += 4;
	if (edns_size > 0) {
		p[n] = 0;                        /* root owner */
		put16(p + n + 1, ZS_DNS_RR_OPT); /* type */
		put16(p + n + 3, edns_size);     /* class: the buffer size */
		memset(p + n + 5, 0, 6);         /* TTL: rcode, version 0, no DO; RDLENGTH 0 */
		n += 11;
	}
	put16(out, (uint16_t)n);
	*len = n;
	return 0;
}

void zs__dns_set_id(uint8_t *pkt, uint16_t id)
{
	pkt[0] = (uint8_t)(id >> 8);
	pkt[1] = (uint8_t)id;
}

uint16_t zs__dns_get_id(const uint8_t *pkt)
{
	return get16(pkt);
}

/*
 * Read the name at *off into out (uncompressed wire form, at most 255 bytes) and move *off
 * past it. Every compression pointer must point before the pointer itself, so the walk ends.
 */
static bool read_name(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, size_t *out_len)
{
	size_t pos = *off;
	size_t end = 0; /* where the caller resumes: after the first pointer, if any */
	size_t o = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= len) {
			return false;
		}
		uint8_t l = pkt[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len) {
				return false;
			}
			size_t target = ((size_t)(l & 0x3f) << 8) | pkt[pos + 1];
			if (target >= pos) {
				return false;
			}
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			pos = target;
			continue;
		}
		if ((l & 0xc0) != 0) {
			return false; /* 0x40 and 0x80: obsolete or undefined label types */
		}
		if (o + 1 + l > ZS_DNS_NAME_MAX || pos + 1 + l > len) {
			return false;
		}
		if (out != NULL) {
			memcpy(out + o, pkt + pos, 1 + (size_t)l);
		}
		o += 1 + (size_t)l;
		pos += 1 + (size_t)l;
		if (l == 0) {
			break;
		}
	}
	*off = jumped ? end : pos;
	if (out_len != NULL) {
		*out_len = o;
	}
	return true;
}

/* Walk the resource records of every section after the question. */
static bool walk_records(const uint8_t *pkt, size_t len, size_t off, unsigned count)
{
	unsigned opt = 0;

	for (unsigned i = 0; i < count; i++) {
		if (!read_name(pkt, len, &off, NULL, NULL) || off + 10 > len) {
			return false;
		}
		uint16_t type = get16(pkt + off);
		uint16_t rdlen = get16(pkt + off + 8);
		off += 10;
		if (off + rdlen > len) {
			return false;
		}
		if (type == ZS_DNS_RR_TSIG) {
			return false;
		}
		if (type == ZS_DNS_RR_OPT && ++opt > 1) {
			return false;
		}
		off += rdlen;
	}
	return true;
}

enum zs__dns_verdict zs__dns_reply_check(const uint8_t *pkt, size_t len, uint16_t id,
                                         const struct zs__dns_question *q)
{
	if (len < ZS_DNS_HEADER_SIZE) {
		return ZS_DNS_REPLY_MALFORMED;
	}
	if (get16(pkt) != id) {
		return ZS_DNS_REPLY_ID;
	}
	if ((pkt[2] & 0x80) == 0) {
		return ZS_DNS_REPLY_NOT_RESPONSE;
	}
	if (((pkt[2] >> 3) & 0x0f) != 0) {
		return ZS_DNS_REPLY_OPCODE;
	}
	if (get16(pkt + 4) != 1) {
		return ZS_DNS_REPLY_QDCOUNT;
	}
	size_t off = ZS_DNS_HEADER_SIZE;
	uint8_t name[ZS_DNS_NAME_MAX];
	size_t name_len = 0;
	if (!read_name(pkt, len, &off, name, &name_len) || off + 4 > len) {
		return ZS_DNS_REPLY_MALFORMED;
	}
	if (!zs__dns_name_equal(name, name_len, q->name, q->name_len) ||
	    get16(pkt + off) != q->type || get16(pkt + off + 2) != q->qclass) {
		return ZS_DNS_REPLY_QUESTION;
	}
	off += 4;
	unsigned count = (unsigned)get16(pkt + 6) + get16(pkt + 8) + get16(pkt + 10);
	if (!walk_records(pkt, len, off, count)) {
		return ZS_DNS_REPLY_MALFORMED;
	}
	return ZS_DNS_REPLY_OK;
}

const char *zs__dns_verdict_name(enum zs__dns_verdict v)
{
	static const char *const names[] = {
		"ok", "malformed", "not_response", "opcode", "qdcount", "question", "id",
	};
	return (unsigned)v < ZS_DNS_REPLY_VERDICT_COUNT_ ? names[v] : "invalid";
}

bool zs__dns_reply_truncated(const uint8_t *pkt)
{
	return (pkt[2] & 0x02) != 0;
}

uint8_t zs__dns_reply_rcode(const uint8_t *pkt)
{
	return pkt[3] & 0x0f;
}

enum zs_dns_status zs__dns_rcode_status(uint8_t rcode, bool has_records)
{
	switch (rcode) {
	case ZS_DNS_RCODE_NOERROR:
		return has_records ? ZS_DNS_NOERROR : ZS_DNS_NODATA;
	case ZS_DNS_RCODE_NXDOMAIN:
		return ZS_DNS_NXDOMAIN;
	case ZS_DNS_RCODE_SERVFAIL:
		return ZS_DNS_SERVFAIL;
	case ZS_DNS_RCODE_REFUSED:
		return ZS_DNS_REFUSED;
	case ZS_DNS_RCODE_FORMERR:
		return ZS_DNS_FORMERR;
	default:
		return ZS_DNS_OTHER;
	}
}

/* ---- decoding ---------------------------------------------------------------------------- */

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

/* Where copying goes inside a new entry. */
struct cursor {
	const uint8_t **ptrs;
	uint16_t *lens;
	char *bytes;
};

static struct zs__dns_entry *entry_alloc(const struct zs__dns_question *q, size_t rr_count,
                                         size_t ptrs, size_t lens, size_t bytes, struct cursor *c)
{
	size_t key = q != NULL ? q->name_len : 0;
	size_t size = sizeof(struct zs__dns_entry) + rr_count * sizeof(struct zs_rr) +
	              ptrs * sizeof(void *) + lens * sizeof(uint16_t) + bytes + key;
	struct zs__dns_entry *e = zs_malloc(size);
	memset(e, 0, sizeof(*e));
	uint8_t *p = (uint8_t *)(e + 1);
	e->ans.rr = rr_count > 0 ? (const struct zs_rr *)p : NULL;
	p += rr_count * sizeof(struct zs_rr);
	c->ptrs = (const uint8_t **)(void *)p;
	p += ptrs * sizeof(void *);
	c->lens = (uint16_t *)(void *)p;
	p += lens * sizeof(uint16_t);
	c->bytes = (char *)p;
	p += bytes;
	if (q != NULL) {
		memcpy(p, q->name, key);
		e->node.name = p;
		e->node.name_len = q->name_len;
		e->node.type = q->type;
	}
	e->size = size;
	e->refs = 1;
	return e;
}

static const char *copy_name(struct cursor *c, const ldns_rdf *rdf)
{
	char *s = c->bytes;
	int n = zs__dns_name_to_text(ldns_rdf_data(rdf), ldns_rdf_size(rdf), s, ZS_DNS_TEXT_MAX);
	c->bytes += n + 1;
	return s;
}

static void copy_rr(struct cursor *c, const ldns_rr *rr, struct zs_rr *out)
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

	struct cursor c;
	struct zs__dns_entry *e = entry_alloc(q, d.rr_count, d.ptrs, d.lens, d.bytes, &c);
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
	if (d.loop) {
		e->ans.status = ZS_DNS_CNAME_LOOP;
	} else {
		e->ans.status = zs__dns_rcode_status(rcode, d.rr_count > 0);
	}
	switch (e->ans.status) {
	case ZS_DNS_NOERROR:
		e->ttl = d.min_ttl;
		break;
	case ZS_DNS_NODATA:
	case ZS_DNS_NXDOMAIN:
		e->ans.neg_ttl = negative_ttl(pkt);
		e->ttl = e->ans.neg_ttl < d.min_ttl ? e->ans.neg_ttl : d.min_ttl;
		break;
	default:
		e->ttl = 0;
		break;
	}
	*out = e;
	return 0;
}

int zs__dns_reply_decode(const uint8_t *pkt, size_t len, const struct zs__dns_question *q,
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

struct zs__dns_entry *zs__dns_entry_new_status(const struct zs__dns_question *q,
                                               enum zs_dns_status status, uint8_t rcode)
{
	struct cursor c;
	struct zs__dns_entry *e = entry_alloc(q, 0, 0, 0, 0, &c);
	e->ans.status = status;
	e->ans.rcode = rcode;
	return e;
}

struct zs__dns_entry *zs__dns_entry_ref(struct zs__dns_entry *e)
{
	e->refs++;
	return e;
}

void zs__dns_entry_unref(struct zs__dns_entry *e)
{
	if (e == NULL) {
		return;
	}
	assert(e->refs > 0);
	if (--e->refs == 0) {
		zs_free(e);
	}
}
