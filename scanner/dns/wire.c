/* SPDX-License-Identifier: MIT */
/*
 * DNS messages for the resolver: names, the query packet, the strict check of a reply and its
 * decoding into one self-contained allocation (see wire_int.h). Replies are untrusted: the
 * check walks every byte range before use, and every failure is a verdict or ZS_ERR_PARSE,
 * never an assertion. Compression pointers must point backwards, which bounds every walk.
 */
#include <assert.h>
#include <string.h>

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

/*
 * The decoder reads the packet in place: the answer and authority records are located once
 * (names stay compressed in the packet), and only what the answer keeps is uncompressed and
 * copied. zs__dns_reply_decode_ldns() (wire_ldns.c) decodes the same through ldns and is the
 * reference the tests and the fuzz target compare with. The one difference is deliberate: a
 * malformed record this decoder does not use (a broken RRSIG in the answer, an A record of
 * five bytes in the additional section) does not cost the reply, as it does with ldns.
 */

/* A record of the reply where it sits in the packet. */
struct wire_rr {
	uint32_t owner; /**< offset of the owner name */
	uint32_t rdata; /**< offset of the data */
	uint32_t ttl;
	uint16_t type;
	uint16_t rclass;
	uint16_t rdlen;
	bool selected; /**< a record of the answer (set while measuring) */
};

enum { REPLY_LOCAL_RRS = 32 };

/* The records of a reply: the answer section first, then the authority section. */
struct reply {
	const uint8_t *pkt;
	size_t len;
	struct wire_rr *rr;
	size_t an;
	size_t ns;
	struct wire_rr local[REPLY_LOCAL_RRS];
};

static int reply_parse(struct reply *r, const uint8_t *pkt, size_t len)
{
	r->pkt = pkt;
	r->len = len;
	r->rr = r->local;
	if (len < ZS_DNS_HEADER_SIZE) {
		return ZS_ERR_PARSE;
	}
	size_t off = ZS_DNS_HEADER_SIZE;
	for (unsigned i = get16(pkt + 4); i > 0; i--) {
		if (!read_name(pkt, len, &off, NULL, NULL) || off + 4 > len) {
			return ZS_ERR_PARSE;
		}
		off += 4;
	}
	r->an = get16(pkt + 6);
	r->ns = get16(pkt + 8);
	if (r->an + r->ns > REPLY_LOCAL_RRS) {
		r->rr = zs_calloc(r->an + r->ns, sizeof(*r->rr));
	}
	for (size_t i = 0; i < r->an + r->ns; i++) {
		struct wire_rr *rr = &r->rr[i];
		rr->owner = (uint32_t)off;
		if (!read_name(pkt, len, &off, NULL, NULL) || off + 10 > len) {
			return ZS_ERR_PARSE;
		}
		rr->type = get16(pkt + off);
		rr->rclass = get16(pkt + off + 2);
		rr->ttl = get32(pkt + off + 4);
		rr->rdlen = get16(pkt + off + 8);
		rr->rdata = (uint32_t)(off + 10);
		rr->selected = false;
		off += 10 + (size_t)rr->rdlen;
		if (off > len) {
			return ZS_ERR_PARSE;
		}
	}
	return 0;
}

static void reply_free(struct reply *r)
{
	if (r->rr != r->local) {
		zs_free(r->rr);
	}
}

static bool owner_is(const struct reply *r, const struct wire_rr *rr, const uint8_t *name,
                     size_t len)
{
	uint8_t owner[ZS_DNS_NAME_MAX];
	size_t n = 0;
	size_t off = rr->owner;
	return read_name(r->pkt, r->len, &off, owner, &n) &&
	       zs__dns_name_equal(owner, n, name, len);
}

/*
 * The name at off inside a record's data, uncompressed into out (may be NULL); it must begin
 * and end inside the data, and have a presentation form. @return the offset after it, or 0.
 */
static size_t rdata_name(const struct reply *r, const struct wire_rr *rr, size_t off, uint8_t *out,
                         size_t *n)
{
	uint8_t buf[ZS_DNS_NAME_MAX];
	size_t end = (size_t)rr->rdata + rr->rdlen;
	if (off >= end || !read_name(r->pkt, r->len, &off, buf, n) || off > end ||
	    zs__dns_name_to_text(buf, *n, NULL, 0) < 0) {
		return 0;
	}
	if (out != NULL) {
		memcpy(out, buf, *n);
	}
	return off;
}

/* The name that is a record's whole data (CNAME, NS, PTR), or the first (MX after 2 bytes). */
static bool rdata_sole_name(const struct reply *r, const struct wire_rr *rr, size_t skip,
                            uint8_t *out, size_t *n)
{
	return rdata_name(r, rr, rr->rdata + skip, out, n) == (size_t)rr->rdata + rr->rdlen;
}

/* An SOA's data: two names, then exactly five 32-bit fields. */
static bool soa_valid(const struct reply *r, const struct wire_rr *rr)
{
	size_t n = 0;
	size_t off = rdata_name(r, rr, rr->rdata, NULL, &n);
	off = off != 0 ? rdata_name(r, rr, off, NULL, &n) : 0;
	return off != 0 && off + 20 == (size_t)rr->rdata + rr->rdlen;
}

/* What a reply says, found before anything is copied. */
struct decoded {
	uint8_t chain[ZS_DNS_CNAME_LIMIT][ZS_DNS_NAME_MAX]; /**< CNAME targets followed */
	uint8_t chain_len[ZS_DNS_CNAME_LIMIT];
	size_t chain_count;
	bool loop;
	uint8_t final[ZS_DNS_NAME_MAX]; /**< name whose records are the answer */
	size_t final_len;
	uint32_t min_ttl;
	size_t rr_count;
	size_t ptrs;  /**< pointer slots: CNAMEs and TXT strings */
	size_t lens;  /**< uint16 slots: TXT string lengths */
	size_t bytes; /**< text bytes, NULs included */
};

static bool chain_has(const struct decoded *d, const struct zs__dns_question *q,
                      const uint8_t *name, size_t len)
{
	if (zs__dns_name_equal(name, len, q->name, q->name_len)) {
		return true;
	}
	for (size_t i = 0; i < d->chain_count; i++) {
		if (zs__dns_name_equal(name, len, d->chain[i], d->chain_len[i])) {
			return true;
		}
	}
	return false;
}

static size_t name_bytes(const uint8_t *name, size_t len)
{
	return (size_t)zs__dns_name_to_text(name, len, NULL, 0) + 1;
}

/* Follow CNAMEs from the question name through the answer section. */
static int follow_chain(const struct reply *r, const struct zs__dns_question *q, unsigned max_cname,
                        struct decoded *d)
{
	memcpy(d->final, q->name, q->name_len);
	d->final_len = q->name_len;
	if (q->type == ZS_RR_CNAME) {
		return 0;
	}
	for (;;) {
		const struct wire_rr *cname = NULL;
		for (size_t i = 0; i < r->an; i++) {
			const struct wire_rr *rr = &r->rr[i];
			if (rr->type == ZS_RR_CNAME && rr->rclass == q->qclass &&
			    owner_is(r, rr, d->final, d->final_len)) {
				cname = rr;
				break;
			}
		}
		if (cname == NULL) {
			return 0;
		}
		uint8_t target[ZS_DNS_NAME_MAX];
		size_t n = 0;
		if (!rdata_sole_name(r, cname, 0, target, &n)) {
			return ZS_ERR_PARSE;
		}
		if (chain_has(d, q, target, n) || d->chain_count >= max_cname) {
			d->loop = true;
			return 0;
		}
		memcpy(d->chain[d->chain_count], target, n);
		d->chain_len[d->chain_count++] = (uint8_t)n;
		d->bytes += name_bytes(target, n);
		d->ptrs++;
		if (cname->ttl < d->min_ttl) {
			d->min_ttl = cname->ttl;
		}
		memcpy(d->final, target, n);
		d->final_len = n;
	}
}

/* Check a selected record's data and count what copying it needs. */
static int measure_rr(const struct reply *r, const struct wire_rr *rr, struct decoded *d)
{
	uint8_t name[ZS_DNS_NAME_MAX];
	size_t n = 0;

	switch (rr->type) {
	case ZS_RR_A:
		return rr->rdlen == 4 ? 0 : ZS_ERR_PARSE;
	case ZS_RR_AAAA:
		return rr->rdlen == 16 ? 0 : ZS_ERR_PARSE;
	case ZS_RR_MX:
		if (rr->rdlen < 3 || !rdata_sole_name(r, rr, 2, name, &n)) {
			return ZS_ERR_PARSE;
		}
		d->bytes += name_bytes(name, n);
		return 0;
	case ZS_RR_NS:
	case ZS_RR_CNAME:
	case ZS_RR_PTR:
		if (!rdata_sole_name(r, rr, 0, name, &n)) {
			return ZS_ERR_PARSE;
		}
		d->bytes += name_bytes(name, n);
		return 0;
	case ZS_RR_SOA:
		/* only its first name is kept; the negative TTL reads the whole (soa_valid()) */
		if (rdata_name(r, rr, rr->rdata, name, &n) == 0) {
			return ZS_ERR_PARSE;
		}
		d->bytes += name_bytes(name, n);
		return 0;
	case ZS_RR_TXT:
	case ZS_RR_SPF: {
		/* character-strings filling the data exactly */
		const uint8_t *p = r->pkt + rr->rdata;
		const uint8_t *end = p + rr->rdlen;
		while (p < end) {
			size_t l = *p;
			if (l + 1 > (size_t)(end - p)) {
				return ZS_ERR_PARSE;
			}
			d->ptrs++;
			d->lens++;
			d->bytes += l + 1; /* the bytes and a NUL in place of the length */
			p += l + 1;
		}
		return 0;
	}
	default:
		return 0; /* other types: counted, no data decoded */
	}
}

static const char *copy_name(struct zs__dns_cursor *c, const uint8_t *name, size_t len)
{
	char *s = c->bytes;
	int n = zs__dns_name_to_text(name, len, s, ZS_DNS_TEXT_MAX);
	c->bytes += n + 1;
	return s;
}

/* Copy a record that measure_rr() accepted. */
static void copy_rr(const struct reply *r, struct zs__dns_cursor *c, const struct wire_rr *rr,
                    struct zs_rr *out)
{
	const uint8_t *data = r->pkt + rr->rdata;
	uint8_t name[ZS_DNS_NAME_MAX];
	size_t n = 0;

	out->type = rr->type;
	out->ttl = rr->ttl;
	switch (rr->type) {
	case ZS_RR_A:
		memcpy(out->u.a, data, 4);
		break;
	case ZS_RR_AAAA:
		memcpy(out->u.aaaa, data, 16);
		break;
	case ZS_RR_MX:
		out->u.mx.pref = get16(data);
		(void)rdata_sole_name(r, rr, 2, name, &n);
		out->u.mx.host = copy_name(c, name, n);
		break;
	case ZS_RR_NS:
	case ZS_RR_CNAME:
	case ZS_RR_PTR:
	case ZS_RR_SOA:
		(void)rdata_name(r, rr, rr->rdata, name, &n);
		out->u.name = copy_name(c, name, n);
		break;
	case ZS_RR_TXT:
	case ZS_RR_SPF: {
		const uint8_t *end = data + rr->rdlen;
		out->u.txt.str = c->ptrs;
		out->u.txt.len = c->lens;
		out->u.txt.count = 0;
		for (const uint8_t *p = data; p < end; p += *p + 1) {
			memcpy(c->bytes, p + 1, *p);
			c->bytes[*p] = '\0';
			*c->ptrs++ = (const uint8_t *)c->bytes;
			*c->lens++ = *p;
			c->bytes += *p + 1;
			out->u.txt.count++;
		}
		break;
	}
	default:
		break;
	}
}

/* RFC 2308 section 5: the negative TTL is the smaller of the SOA's TTL and its MINIMUM. */
static uint32_t negative_ttl(const struct reply *r)
{
	for (size_t i = r->an; i < r->an + r->ns; i++) {
		const struct wire_rr *rr = &r->rr[i];
		if (rr->type != ZS_RR_SOA || !soa_valid(r, rr)) {
			continue;
		}
		uint32_t m = get32(r->pkt + rr->rdata + rr->rdlen - 4);
		return rr->ttl < m ? rr->ttl : m;
	}
	return 0;
}

static int decode(struct reply *r, const struct zs__dns_question *q, unsigned max_cname,
                  struct zs__dns_entry **out)
{
	uint8_t rcode = zs__dns_reply_rcode(r->pkt);
	struct decoded d;
	d.chain_count = 0;
	d.loop = false;
	d.min_ttl = UINT32_MAX;
	d.rr_count = 0;
	d.ptrs = 0;
	d.lens = 0;
	d.bytes = 0;
	if (max_cname > ZS_DNS_CNAME_LIMIT) {
		max_cname = ZS_DNS_CNAME_LIMIT;
	}
	int ret = follow_chain(r, q, max_cname, &d);
	if (ret != 0) {
		return ret;
	}
	/* Records count only in a NOERROR answer whose chain ends. */
	bool take = rcode == ZS_DNS_RCODE_NOERROR && !d.loop;
	for (size_t i = 0; take && i < r->an; i++) {
		struct wire_rr *rr = &r->rr[i];
		if (rr->type != q->type || rr->rclass != q->qclass ||
		    !owner_is(r, rr, d.final, d.final_len)) {
			continue;
		}
		ret = measure_rr(r, rr, &d);
		if (ret != 0) {
			return ret;
		}
		rr->selected = true;
		d.rr_count++;
		if (rr->ttl < d.min_ttl) {
			d.min_ttl = rr->ttl;
		}
	}

	struct zs__dns_cursor c;
	struct zs__dns_entry *e = zs__dns_entry_alloc(q, d.rr_count, d.ptrs, d.lens, d.bytes, &c);
	e->ans.rcode = rcode;
	e->ans.ad = (r->pkt[3] & 0x20) != 0;
	e->ans.cname_count = d.chain_count;
	e->ans.cname = d.chain_count > 0 ? (const char *const *)c.ptrs : NULL;
	const char **names = (const char **)c.ptrs;
	c.ptrs += d.chain_count;
	for (size_t i = 0; i < d.chain_count; i++) {
		names[i] = copy_name(&c, d.chain[i], d.chain_len[i]);
	}
	struct zs_rr *rrs = (struct zs_rr *)e->ans.rr;
	for (size_t i = 0, k = 0; i < r->an; i++) {
		if (r->rr[i].selected) {
			copy_rr(r, &c, &r->rr[i], &rrs[k++]);
		}
	}
	e->ans.count = d.rr_count;
	zs__dns_entry_settle(e, d.loop, d.min_ttl, negative_ttl(r));
	*out = e;
	return 0;
}

int zs__dns_reply_decode(const uint8_t *pkt, size_t len, const struct zs__dns_question *q,
                         unsigned max_cname, struct zs__dns_entry **out)
{
	struct reply r;
	int ret = reply_parse(&r, pkt, len);
	if (ret == 0) {
		ret = decode(&r, q, max_cname, out);
	}
	reply_free(&r);
	return ret;
}

/* ---- entries ----------------------------------------------------------------------------- */

struct zs__dns_entry *zs__dns_entry_alloc(const struct zs__dns_question *q, size_t rr_count,
                                          size_t ptrs, size_t lens, size_t bytes,
                                          struct zs__dns_cursor *c)
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

void zs__dns_entry_settle(struct zs__dns_entry *e, bool loop, uint32_t min_ttl, uint32_t neg_ttl)
{
	e->ans.status =
	        loop ? ZS_DNS_CNAME_LOOP : zs__dns_rcode_status(e->ans.rcode, e->ans.count > 0);
	switch (e->ans.status) {
	case ZS_DNS_NOERROR:
		e->ttl = min_ttl;
		break;
	case ZS_DNS_NODATA:
	case ZS_DNS_NXDOMAIN:
		e->ans.neg_ttl = neg_ttl;
		e->ttl = neg_ttl < min_ttl ? neg_ttl : min_ttl;
		break;
	default:
		e->ttl = 0;
		break;
	}
}

struct zs__dns_entry *zs__dns_entry_new_status(const struct zs__dns_question *q,
                                               enum zs_dns_status status, uint8_t rcode)
{
	struct zs__dns_cursor c;
	struct zs__dns_entry *e = zs__dns_entry_alloc(q, 0, 0, 0, 0, &c);
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
