/* SPDX-License-Identifier: MIT */
/*
 * The fault-injecting DNS server of the tests (see fault_server.h). Queries are parsed and
 * answers built with ldns; bad packets are built by hand from the right answer, so that each
 * differs from it in exactly one way. Sockets are created and bound with plain calls first
 * (so that UDP and TCP get the same port number, retried if TCP finds it taken), then handed
 * to libuv.
 */
#include "tests/dns_fault/fault_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"

enum fault_kind {
	FAULT_NONE,
	FAULT_DROP,
	FAULT_DELAY,
	FAULT_SERVFAIL,
	FAULT_REFUSED,
	FAULT_FORMERR,
	FAULT_TRUNCATE,
	FAULT_WRONG_ID,
	FAULT_WRONG_QUESTION,
	FAULT_NO_QUESTION,
	FAULT_WRONG_PORT,
	FAULT_TCP_CLOSE,
	FAULT_TCP_TC,
	FAULT_MALFORMED,
	FAULT_OVERSIZE,
	FAULT_COUNT_
};

static const char *const fault_names[] = {
	"none",       "drop",      "delay",    "servfail",       "refused",
	"formerr",    "truncate",  "wrong-id", "wrong-question", "no-question",
	"wrong-port", "tcp-close", "tcp-tc",   "malformed",      "oversize",
};
_Static_assert(sizeof(fault_names) / sizeof(fault_names[0]) == FAULT_COUNT_,
               "one name per fault kind");

enum transport { ON_ANY, ON_UDP, ON_TCP };

struct rule {
	struct rule *next;
	char *name_text;
	char *type_text;
	ldns_rdf *name;
	ldns_rr_type type;
	enum fault_kind fault;
	unsigned count; /**< queries that get the fault (0: all) */
	unsigned delay_ms;
	uint8_t rcode;
	unsigned variant;
	bool answer; /**< send the right answer after a bad packet */
	bool ad;     /**< set AD in the answer */
	enum transport on;
	ldns_rr_list *an;
	ldns_rr_list *ns;
	uint64_t hits;
	uint64_t faulted;
};

struct tcp_conn {
	uv_tcp_t handle;
	struct zs_fault_server *s;
	struct tcp_conn *next;
	struct tcp_conn *prev;
	uint8_t *buf;
	size_t len;
	bool closing;
};

struct delayed {
	uv_timer_t timer;
	struct zs_fault_server *s;
	struct delayed *next;
	struct delayed *prev;
	struct sockaddr_storage to;
	size_t len;
	uint8_t data[];
};

struct zs_fault_server {
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_udp_t other; /**< another port, for replies from the wrong port */
	uv_tcp_t listener;
	struct sockaddr_storage addr;
	uint16_t port;
	struct rule *rules;
	struct rule *last;
	struct tcp_conn *conns;
	struct delayed *delays;
	struct zs_fault_stats stats;
	unsigned handles;
	bool closing;
	uint8_t rbuf[65536];
};

/* Where a reply goes: a UDP peer, or a TCP connection. */
struct sink {
	const struct sockaddr *peer;
	struct tcp_conn *conn;
};

/* ---- handles ------------------------------------------------------------------------------ */

static void rule_free(struct rule *r)
{
	ldns_rdf_deep_free(r->name);
	ldns_rr_list_deep_free(r->an);
	ldns_rr_list_deep_free(r->ns);
	zs_free(r->name_text);
	zs_free(r->type_text);
	zs_free(r);
}

/* One handle of the server is closed; the server is freed with the last. */
static void server_release(struct zs_fault_server *s)
{
	if (--s->handles > 0) {
		return;
	}
	while (s->rules != NULL) {
		struct rule *next = s->rules->next;
		rule_free(s->rules);
		s->rules = next;
	}
	zs_free(s);
}

static void server_handle_closed(uv_handle_t *h)
{
	server_release(h->data);
}

static void conn_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;
	struct zs_fault_server *s = c->s;
	zs_free(c->buf);
	zs_free(c);
	server_release(s);
}

static void conn_close(struct tcp_conn *c)
{
	if (c->closing) {
		return;
	}
	c->closing = true;
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		c->s->conns = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	uv_close((uv_handle_t *)&c->handle, conn_closed);
}

static void delayed_closed(uv_handle_t *h)
{
	struct delayed *d = h->data;
	struct zs_fault_server *s = d->s;
	zs_free(d);
	server_release(s);
}

static void delayed_unlink(struct delayed *d)
{
	if (d->prev != NULL) {
		d->prev->next = d->next;
	} else {
		d->s->delays = d->next;
	}
	if (d->next != NULL) {
		d->next->prev = d->prev;
	}
}

/* ---- sending ------------------------------------------------------------------------------ */

struct udp_req {
	uv_udp_send_t req;
	uint8_t data[];
};

static void udp_sent(uv_udp_send_t *req, int status)
{
	zs_free(req);
}

static void send_udp(struct zs_fault_server *s, uv_udp_t *h, const struct sockaddr *to,
                     const uint8_t *pkt, size_t len)
{
	struct udp_req *r = zs_malloc(sizeof(*r) + len);
	memcpy(r->data, pkt, len);
	uv_buf_t b = uv_buf_init((char *)r->data, (unsigned)len);
	if (uv_udp_send(&r->req, h, &b, 1, to, udp_sent) != 0) {
		zs_free(r);
		return;
	}
	s->stats.replies++;
}

struct tcp_req {
	uv_write_t req;
	struct tcp_conn *conn;
	bool close_after;
	uint8_t data[];
};

static void tcp_written(uv_write_t *req, int status)
{
	struct tcp_req *w = (struct tcp_req *)req;
	if (w->close_after || status < 0) {
		conn_close(w->conn);
	}
	zs_free(w);
}

/* Write a frame: the 2-byte length of the whole packet, then @p send bytes of it. */
static void send_tcp(struct tcp_conn *c, const uint8_t *pkt, size_t len, size_t send,
                     bool close_after)
{
	if (c->closing) {
		return;
	}
	struct tcp_req *w = zs_malloc(sizeof(*w) + 2 + len);
	w->data[0] = (uint8_t)(len >> 8);
	w->data[1] = (uint8_t)len;
	memcpy(w->data + 2, pkt, len);
	w->conn = c;
	w->close_after = close_after;
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)(2 + send));
	if (uv_write(&w->req, (uv_stream_t *)&c->handle, &b, 1, tcp_written) != 0) {
		zs_free(w);
		conn_close(c);
		return;
	}
	c->s->stats.replies++;
}

static void send_to(struct zs_fault_server *s, const struct sink *k, const uint8_t *pkt, size_t len)
{
	if (k->conn != NULL) {
		send_tcp(k->conn, pkt, len, len, false);
	} else {
		send_udp(s, &s->udp, k->peer, pkt, len);
	}
}

static void delayed_fire(uv_timer_t *t)
{
	struct delayed *d = t->data;
	send_udp(d->s, &d->s->udp, (const struct sockaddr *)&d->to, d->data, d->len);
	delayed_unlink(d);
	uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void send_later(struct zs_fault_server *s, const struct sockaddr *to, const uint8_t *pkt,
                       size_t len, unsigned ms)
{
	struct delayed *d = zs_calloc(1, sizeof(*d) + len);
	d->s = s;
	memcpy(&d->to, to,
	       to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                 : sizeof(struct sockaddr_in));
	memcpy(d->data, pkt, len);
	d->len = len;
	(void)uv_timer_init(s->loop, &d->timer);
	d->timer.data = d;
	s->handles++;
	d->next = s->delays;
	if (s->delays != NULL) {
		s->delays->prev = d;
	}
	s->delays = d;
	(void)uv_timer_start(&d->timer, delayed_fire, ms, 0);
}

/* ---- building replies --------------------------------------------------------------------- */

static ldns_pkt *reply_new(const ldns_pkt *query, uint8_t rcode)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_pkt_set_id(p, ldns_pkt_id(query));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, ldns_pkt_rd(query));
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_opcode(p, ldns_pkt_get_opcode(query));
	ldns_pkt_set_rcode(p, rcode);
	if (ldns_pkt_edns(query)) {
		ldns_pkt_set_edns_udp_size(p, 1232);
	}
	return p;
}

static void push_question(ldns_pkt *p, const ldns_pkt *query)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	(void)ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, ldns_rr_clone(q));
}

static void push_list(ldns_pkt *p, ldns_pkt_section sec, const ldns_rr_list *l)
{
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		(void)ldns_pkt_push_rr(p, sec, ldns_rr_clone(ldns_rr_list_rr(l, i)));
	}
}

/* A record that must never reach a user: same owner, asked type where possible. */
static void push_bogus(ldns_pkt *p, const ldns_pkt *query)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	char *owner = ldns_rdf2str(ldns_rr_owner(q));
	char line[1200];
	const char *data;
	switch (ldns_rr_get_type(q)) {
	case LDNS_RR_TYPE_A:
		data = "A 192.0.2.66";
		break;
	case LDNS_RR_TYPE_AAAA:
		data = "AAAA 2001:db8::66";
		break;
	case LDNS_RR_TYPE_MX:
		data = "MX 66 bogus.invalid.";
		break;
	default:
		data = "TXT \"bogus\"";
		break;
	}
	(void)snprintf(line, sizeof(line), "%s 300 IN %s", owner != NULL ? owner : ".", data);
	free(owner);
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) == LDNS_STATUS_OK) {
		(void)ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
}

static uint8_t *to_wire(const ldns_pkt *p, size_t *len)
{
	uint8_t *wire = NULL;
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK) {
		return NULL;
	}
	return wire;
}

/* Send a packet built with ldns, then free it. */
static void send_pkt(struct zs_fault_server *s, const struct sink *k, ldns_pkt *p, bool other_port)
{
	size_t len = 0;
	uint8_t *wire = to_wire(p, &len);
	ldns_pkt_free(p);
	if (wire == NULL) {
		return;
	}
	if (other_port && k->conn == NULL) {
		send_udp(s, &s->other, k->peer, wire, len);
	} else {
		send_to(s, k, wire, len);
	}
	free(wire);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A malformed packet with the query's ID, built from the raw query (its question). */
static size_t build_malformed(unsigned variant, const uint8_t *query, size_t qlen,
                              const uint8_t *good, size_t glen, uint8_t *out, size_t cap)
{
	/* the question's bytes: the name (uncompressed in a query) and type and class */
	size_t qend = 12;
	while (qend < qlen && query[qend] != 0) {
		qend += 1 + (size_t)query[qend];
	}
	qend += 5;
	if (qend > qlen || glen < 12 || cap < glen + 64 || cap < qend + 64) {
		return 0;
	}
	size_t o = 0;
	memcpy(out, good, 12); /* id and flags of the right answer */
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	memcpy(out + 12, query + 12, qend - 12);
	o = qend;
	switch (variant % ZS_FAULT_MALFORMED_VARIANTS) {
	case 0: /* header cut short */
		return 5;
	case 1: /* more answers announced than present */
		memcpy(out, good, glen);
		put16(out + 6, (uint16_t)(((good[6] << 8) | good[7]) + 5));
		return glen;
	case 2: /* an owner name that is a pointer to itself */
		put16(out + 6, 1);
		out[o] = (uint8_t)(0xc0 | (o >> 8));
		out[o + 1] = (uint8_t)o;
		o += 2;
		memcpy(out + o, "\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x42", 14);
		return o + 14;
	case 3: /* a label of 64 bytes (0x40: not a length) */
		put16(out + 6, 1);
		out[o++] = 64;
		memset(out + o, 'a', 64);
		o += 64;
		out[o++] = 0;
		memcpy(out + o, "\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x42", 14);
		return o + 14;
	case 4: /* RDLENGTH past the end */
		put16(out + 6, 1);
		memcpy(out + o, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\xc8\xc0\x00\x02\x42",
		       16);
		return o + 16;
	case 5: /* two TSIG records */
		put16(out + 10, 2);
		for (int i = 0; i < 2; i++) {
			memcpy(out + o, "\x00\x00\xfa\x00\xff\x00\x00\x00\x00\x00\x00", 11);
			o += 11;
		}
		return o;
	case 6: /* a compression pointer forwards */
		put16(out + 6, 1);
		out[o] = (uint8_t)(0xc0 | ((o + 2) >> 8));
		out[o + 1] = (uint8_t)(o + 2);
		o += 2;
		memcpy(out + o, "\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x42", 14);
		return o + 14;
	case 7: /* QR=0 */
		memcpy(out, good, glen);
		out[2] &= 0x7f;
		return glen;
	case 8: /* opcode STATUS */
		memcpy(out, good, glen);
		out[2] = (uint8_t)((out[2] & 0x87) | (2 << 3));
		return glen;
	default: /* a question announced and missing */
		return 12;
	}
}

/* ---- answering ---------------------------------------------------------------------------- */

static struct rule *find_rule(struct zs_fault_server *s, const ldns_rr *q)
{
	for (struct rule *r = s->rules; r != NULL; r = r->next) {
		if (r->type == ldns_rr_get_type(q) &&
		    ldns_dname_compare(r->name, ldns_rr_owner(q)) == 0) {
			return r;
		}
	}
	return NULL;
}

static ldns_pkt *answer_of(const ldns_pkt *query, const struct rule *r)
{
	ldns_pkt *p = reply_new(query, r->rcode);
	push_question(p, query);
	push_list(p, LDNS_SECTION_ANSWER, r->an);
	push_list(p, LDNS_SECTION_AUTHORITY, r->ns);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_ad(p, r->ad);
	return p;
}

/* The right answer, truncated to an empty TC=1 reply when it does not fit a UDP reply (unless
 * the rule ignores the EDNS buffer size). */
static void send_answer(struct zs_fault_server *s, const struct sink *k, const ldns_pkt *query,
                        const struct rule *r, unsigned delay_ms, bool oversize)
{
	ldns_pkt *p = answer_of(query, r);
	size_t len = 0;
	uint8_t *wire = to_wire(p, &len);
	ldns_pkt_free(p);
	if (wire == NULL) {
		return;
	}
	size_t max = ldns_pkt_edns(query) ? ldns_pkt_edns_udp_size(query) : 512;
	if (k->conn == NULL && len > max && !oversize) {
		free(wire);
		p = reply_new(query, r->rcode);
		push_question(p, query);
		ldns_pkt_set_tc(p, true);
		wire = to_wire(p, &len);
		ldns_pkt_free(p);
		if (wire == NULL) {
			return;
		}
	}
	if (delay_ms > 0 && k->conn == NULL) {
		send_later(s, k->peer, wire, len, delay_ms);
	} else {
		send_to(s, k, wire, len);
	}
	free(wire);
}

static void apply_fault(struct zs_fault_server *s, const struct sink *k, const ldns_pkt *query,
                        const uint8_t *raw, size_t rawlen, struct rule *r)
{
	bool tcp = k->conn != NULL;
	ldns_pkt *p;

	switch (r->fault) {
	case FAULT_NONE:
	case FAULT_COUNT_:
		break;
	case FAULT_DROP:
		return;
	case FAULT_DELAY:
		send_answer(s, k, query, r, r->delay_ms, false);
		return;
	case FAULT_OVERSIZE:
		send_answer(s, k, query, r, 0, true);
		return;
	case FAULT_SERVFAIL:
	case FAULT_REFUSED:
	case FAULT_FORMERR:
		p = reply_new(query, r->fault == FAULT_SERVFAIL  ? LDNS_RCODE_SERVFAIL
		                     : r->fault == FAULT_REFUSED ? LDNS_RCODE_REFUSED
		                                                 : LDNS_RCODE_FORMERR);
		push_question(p, query);
		send_pkt(s, k, p, false);
		return;
	case FAULT_TRUNCATE:
		if (tcp) {
			break;
		}
		p = reply_new(query, r->rcode);
		push_question(p, query);
		push_bogus(p, query); /* content of a TC reply must never be used */
		ldns_pkt_set_tc(p, true);
		send_pkt(s, k, p, false);
		return;
	case FAULT_TCP_CLOSE:
	case FAULT_TCP_TC:
		if (!tcp) {
			p = reply_new(query, r->rcode);
			push_question(p, query);
			ldns_pkt_set_tc(p, true);
			send_pkt(s, k, p, false);
			return;
		}
		p = answer_of(query, r);
		if (r->fault == FAULT_TCP_TC) {
			ldns_pkt_set_tc(p, true);
			send_pkt(s, k, p, false);
			return;
		}
		{
			size_t len = 0;
			uint8_t *wire = to_wire(p, &len);
			ldns_pkt_free(p);
			if (wire != NULL) {
				send_tcp(k->conn, wire, len, len / 2, true); /* half, then close */
				free(wire);
			}
		}
		return;
	case FAULT_WRONG_ID:
		p = reply_new(query, 0);
		ldns_pkt_set_id(p, (uint16_t)(ldns_pkt_id(query) ^ 0x5a5a));
		push_question(p, query);
		push_bogus(p, query);
		send_pkt(s, k, p, false);
		break;
	case FAULT_WRONG_QUESTION: {
		p = reply_new(query, 0);
		ldns_rr *q = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(query), 0));
		ldns_rdf *other = ldns_dname_new_frm_str("wrong-question.invalid.");
		ldns_rdf_deep_free(ldns_rr_owner(q));
		ldns_rr_set_owner(q, other);
		(void)ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
		push_bogus(p, query);
		send_pkt(s, k, p, false);
		break;
	}
	case FAULT_NO_QUESTION:
		p = reply_new(query, 0);
		push_bogus(p, query);
		send_pkt(s, k, p, false);
		break;
	case FAULT_WRONG_PORT:
		p = reply_new(query, 0);
		push_question(p, query);
		push_bogus(p, query);
		send_pkt(s, k, p, !tcp);
		break;
	case FAULT_MALFORMED: {
		ldns_pkt *good = answer_of(query, r);
		size_t glen = 0;
		uint8_t *gw = to_wire(good, &glen);
		ldns_pkt_free(good);
		if (gw != NULL) {
			uint8_t bad[4096];
			size_t n = build_malformed(r->variant, raw, rawlen, gw, glen, bad,
			                           sizeof(bad));
			if (n > 0) {
				send_to(s, k, bad, n);
			}
			free(gw);
		}
		break;
	}
	}
	if (r->answer) {
		send_answer(s, k, query, r, 0, false);
	}
}

static void handle_query(struct zs_fault_server *s, const struct sink *k, const uint8_t *raw,
                         size_t len)
{
	ldns_pkt *query = NULL;
	if (ldns_wire2pkt(&query, raw, len) != LDNS_STATUS_OK ||
	    ldns_rr_list_rr_count(ldns_pkt_question(query)) != 1) {
		s->stats.unparsable++;
		ldns_pkt_free(query);
		return;
	}
	if (ldns_pkt_edns(query)) {
		s->stats.last_edns_size = ldns_pkt_edns_udp_size(query);
	} else {
		s->stats.no_edns++;
	}
	struct rule *r = find_rule(s, ldns_rr_list_rr(ldns_pkt_question(query), 0));
	if (r == NULL) {
		ldns_pkt *p = reply_new(query, LDNS_RCODE_REFUSED);
		push_question(p, query);
		send_pkt(s, k, p, false);
		ldns_pkt_free(query);
		return;
	}
	r->hits++;
	bool tcp = k->conn != NULL;
	bool on = r->on == ON_ANY || (r->on == ON_TCP) == tcp;
	if (r->fault != FAULT_NONE && on && (r->count == 0 || r->faulted < r->count)) {
		r->faulted++;
		s->stats.faults++;
		apply_fault(s, k, query, raw, len, r);
	} else {
		send_answer(s, k, query, r, 0, false);
	}
	ldns_pkt_free(query);
}

/* ---- sockets ------------------------------------------------------------------------------ */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct zs_fault_server *s = h->data;
	buf->base = (char *)s->rbuf;
	buf->len = sizeof(s->rbuf);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                     unsigned flags)
{
	struct zs_fault_server *s = h->data;
	if (nread <= 0 || addr == NULL || s->closing || h != &s->udp) {
		return;
	}
	s->stats.udp_queries++;
	struct sink k = { .peer = addr, .conn = NULL };
	handle_query(s, &k, (const uint8_t *)buf->base, (size_t)nread);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;
	buf->base = (char *)c->buf + c->len;
	buf->len = 2 + 65535 - c->len;
}

static void conn_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *c = st->data;
	if (nread == 0) {
		return;
	}
	if (nread < 0 || c->closing) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	size_t off = 0;
	while (!c->closing && c->len - off >= 2) {
		size_t flen = ((size_t)c->buf[off] << 8) | c->buf[off + 1];
		if (c->len - off < 2 + flen) {
			break;
		}
		c->s->stats.tcp_queries++;
		struct sink k = { .peer = NULL, .conn = c };
		handle_query(c->s, &k, c->buf + off + 2, flen);
		off += 2 + flen;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void on_connection(uv_stream_t *l, int status)
{
	struct zs_fault_server *s = l->data;
	if (status < 0 || s->closing) {
		return;
	}
	struct tcp_conn *c = zs_calloc(1, sizeof(*c));
	c->s = s;
	c->buf = zs_malloc(2 + 65535);
	(void)uv_tcp_init(s->loop, &c->handle);
	c->handle.data = c;
	s->handles++;
	c->next = s->conns;
	if (s->conns != NULL) {
		s->conns->prev = c;
	}
	s->conns = c;
	if (uv_accept(l, (uv_stream_t *)&c->handle) != 0 ||
	    uv_read_start((uv_stream_t *)&c->handle, conn_alloc, conn_read) != 0) {
		conn_close(c);
		return;
	}
	s->stats.tcp_connections++;
}

/* Bind a UDP and a TCP socket to the same free port; @return 0 or -errno */
static int bind_pair(const struct sockaddr_in *base, int *ufd, int *tfd, uint16_t *port)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in a = *base;
		socklen_t alen = sizeof(a);
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (u < 0) {
			return -errno;
		}
		a.sin_port = 0;
		if (bind(u, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(u, (struct sockaddr *)&a, &alen) != 0) {
			int e = -errno;
			close(u);
			return e;
		}
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (t < 0) {
			int e = -errno;
			close(u);
			return e;
		}
		int one = 1;
		(void)setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(t, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(t, 128) == 0) {
			*ufd = u;
			*tfd = t;
			*port = ntohs(a.sin_port);
			return 0;
		}
		close(t);
		close(u);
	}
	return -EADDRINUSE;
}

int zs_fault_server_new(uv_loop_t *loop, const char *ip, struct zs_fault_server **out)
{
	struct sockaddr_in base;
	if (uv_ip4_addr(ip, 0, &base) != 0) {
		return ZS_ERR_USAGE;
	}
	int ufd = -1;
	int tfd = -1;
	uint16_t port = 0;
	int ret = bind_pair(&base, &ufd, &tfd, &port);
	if (ret != 0) {
		return ret;
	}
	struct zs_fault_server *s = zs_calloc(1, sizeof(*s));
	s->loop = loop;
	s->port = port;
	base.sin_port = htons(port);
	memcpy(&s->addr, &base, sizeof(base));
	(void)uv_udp_init(loop, &s->udp);
	(void)uv_udp_init(loop, &s->other);
	(void)uv_tcp_init(loop, &s->listener);
	s->udp.data = s;
	s->other.data = s;
	s->listener.data = s;
	s->handles = 3;
	struct sockaddr_in any = base;
	any.sin_port = 0;
	ret = uv_udp_open(&s->udp, ufd);
	if (ret == 0) {
		ufd = -1;
		ret = uv_tcp_open(&s->listener, tfd);
	}
	if (ret == 0) {
		tfd = -1;
		ret = uv_udp_bind(&s->other, (const struct sockaddr *)&any, 0);
	}
	if (ret == 0) {
		ret = uv_udp_recv_start(&s->udp, udp_alloc, udp_recv);
	}
	if (ret == 0) {
		ret = uv_udp_recv_start(&s->other, udp_alloc, udp_recv);
	}
	if (ret == 0) {
		ret = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
	}
	if (ret != 0) {
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (ufd >= 0) {
		close(ufd);
	}
	if (tfd >= 0) {
		close(tfd);
	}
	zs_fault_server_close(s);
	return ret;
}

/* ---- the table ---------------------------------------------------------------------------- */

static int parse_rcode(const char *v, uint8_t *out)
{
	static const char *const names[] = { "noerror",  "formerr", "servfail",
		                             "nxdomain", "notimp",  "refused" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(v, names[i]) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < 0 || n > 15) {
		return ZS_ERR_PARSE;
	}
	*out = (uint8_t)n;
	return 0;
}

static int parse_uint(const char *v, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n > 1000000) {
		return ZS_ERR_PARSE;
	}
	*out = (unsigned)n;
	return 0;
}

static int parse_option(struct rule *r, const char *opt)
{
	const char *eq = strchr(opt, '=');
	if (eq == NULL) {
		return ZS_ERR_PARSE;
	}
	size_t klen = (size_t)(eq - opt);
	const char *v = eq + 1;
	if (klen == 5 && strncmp(opt, "fault", 5) == 0) {
		for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
			if (strcmp(v, fault_names[i]) == 0) {
				r->fault = (enum fault_kind)i;
				return 0;
			}
		}
		return ZS_ERR_PARSE;
	}
	if (klen == 5 && strncmp(opt, "count", 5) == 0) {
		return parse_uint(v, &r->count);
	}
	if (klen == 5 && strncmp(opt, "delay", 5) == 0) {
		return parse_uint(v, &r->delay_ms);
	}
	if (klen == 7 && strncmp(opt, "variant", 7) == 0) {
		return parse_uint(v, &r->variant);
	}
	if (klen == 5 && strncmp(opt, "rcode", 5) == 0) {
		return parse_rcode(v, &r->rcode);
	}
	if (klen == 6 && strncmp(opt, "answer", 6) == 0) {
		r->answer = strcmp(v, "yes") == 0;
		return (r->answer || strcmp(v, "no") == 0) ? 0 : ZS_ERR_PARSE;
	}
	if (klen == 2 && strncmp(opt, "ad", 2) == 0) {
		r->ad = strcmp(v, "yes") == 0;
		return (r->ad || strcmp(v, "no") == 0) ? 0 : ZS_ERR_PARSE;
	}
	if (klen == 9 && strncmp(opt, "transport", 9) == 0) {
		r->on = strcmp(v, "udp") == 0 ? ON_UDP : strcmp(v, "tcp") == 0 ? ON_TCP : ON_ANY;
		return (r->on != ON_ANY || strcmp(v, "any") == 0) ? 0 : ZS_ERR_PARSE;
	}
	return ZS_ERR_PARSE;
}

/* The next word of *p (NUL-terminated in place), or NULL at the end. */
static char *next_word(char **p)
{
	char *w = *p + strspn(*p, " \t");
	if (*w == '\0') {
		return NULL;
	}
	size_t n = strcspn(w, " \t");
	*p = w + n;
	if (w[n] != '\0') {
		w[n] = '\0';
		*p = w + n + 1;
	}
	return w;
}

static int add_rule(struct zs_fault_server *s, char *args)
{
	char *name = next_word(&args);
	char *type = next_word(&args);
	if (name == NULL || type == NULL) {
		return ZS_ERR_PARSE;
	}
	struct rule *r = zs_calloc(1, sizeof(*r));
	r->name_text = zs_strdup(name);
	r->type_text = zs_strdup(type);
	r->answer = true;
	r->name = ldns_dname_new_frm_str(name);
	r->type = ldns_get_rr_type_by_name(type);
	r->an = ldns_rr_list_new();
	r->ns = ldns_rr_list_new();
	if (r->name == NULL || r->type == 0) {
		rule_free(r);
		return ZS_ERR_PARSE;
	}
	for (char *opt = next_word(&args); opt != NULL; opt = next_word(&args)) {
		if (parse_option(r, opt) != 0) {
			rule_free(r);
			return ZS_ERR_PARSE;
		}
	}
	if (s->last != NULL) {
		s->last->next = r;
	} else {
		s->rules = r;
	}
	s->last = r;
	return 0;
}

static int add_rr(struct zs_fault_server *s, const char *text, bool authority)
{
	ldns_rr *rr = NULL;
	if (s->last == NULL || ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK) {
		return ZS_ERR_PARSE;
	}
	(void)ldns_rr_list_push_rr(authority ? s->last->ns : s->last->an, rr);
	return 0;
}

int zs_fault_server_add(struct zs_fault_server *s, const char *line)
{
	char *copy = zs_strdup(line);
	char *p = copy;
	int ret = ZS_ERR_PARSE;

	while (*p == ' ' || *p == '\t') {
		p++;
	}
	p[strcspn(p, "\r\n")] = '\0';
	if (strncmp(p, "rule ", 5) == 0) {
		ret = add_rule(s, p + 5);
	} else if (strncmp(p, "rr ", 3) == 0) {
		ret = add_rr(s, p + 3, false);
	} else if (strncmp(p, "auth ", 5) == 0) {
		ret = add_rr(s, p + 5, true);
	}
	zs_free(copy);
	return ret;
}

int zs_fault_server_load(struct zs_fault_server *s, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -errno;
	}
	char line[70000];
	unsigned n = 0;
	int ret = 0;
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		n++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0') {
			continue;
		}
		ret = zs_fault_server_add(s, p);
		if (ret != 0) {
			zs_log_error(ZS_LOG_MAIN, "%s:%u: bad directive", path, n);
		}
	}
	(void)fclose(f);
	return ret;
}

uint16_t zs_fault_server_port(const struct zs_fault_server *s)
{
	return s->port;
}

void zs_fault_server_addr(const struct zs_fault_server *s, struct sockaddr_storage *out)
{
	*out = s->addr;
}

const struct zs_fault_stats *zs_fault_server_stats(const struct zs_fault_server *s)
{
	return &s->stats;
}

uint64_t zs_fault_server_hits(const struct zs_fault_server *s, const char *name, const char *type)
{
	for (const struct rule *r = s->rules; r != NULL; r = r->next) {
		if (strcasecmp(r->name_text, name) == 0 && strcasecmp(r->type_text, type) == 0) {
			return r->hits;
		}
	}
	return 0;
}

void zs_fault_server_close(struct zs_fault_server *s)
{
	if (s->closing) {
		return;
	}
	s->closing = true;
	while (s->conns != NULL) {
		conn_close(s->conns);
	}
	while (s->delays != NULL) {
		struct delayed *d = s->delays;
		delayed_unlink(d);
		uv_close((uv_handle_t *)&d->timer, delayed_closed);
	}
	uv_close((uv_handle_t *)&s->udp, server_handle_closed);
	uv_close((uv_handle_t *)&s->other, server_handle_closed);
	uv_close((uv_handle_t *)&s->listener, server_handle_closed);
}
