/* SPDX-License-Identifier: MIT */
/*
 * The TCP side of the resolver (RFC 7766): a few connections per server, each carrying up to
 * tcp_pipeline queries at once, answered in any order and matched by ID and question; 2-byte
 * length framing into a 64 KiB buffer; connect, read and idle timeouts on one timer per
 * connection. A connection that fails (refused, reset, closed in the middle of an answer,
 * silent) fails every lookup on it, which then retries elsewhere or ends in TCP_FAILED.
 * Failures found while a lookup is being sent are reported from the connection's timer, never
 * from inside the send, so that no lookup is stepped while another step is under way.
 */
#include <string.h>

#include <uv.h>

#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/dns/resolver_int.h"

enum { ID_ATTEMPTS = 64 };

static void conn_arm(struct zs__dns_tcp *c);
static void tcp_service(struct zs_resolver *r, unsigned server);

static void conn_handle_closed(uv_handle_t *h)
{
	struct zs__dns_tcp *c = h->data;
	struct zs_resolver *r = c->r;
	if (--c->handles == 0) {
		zs_free(c->rbuf);
		zs_free(c);
	}
	zs__resolver_handle_closed(r);
}

/* Close a connection; its lookups are moved to @p orphans (or dropped when NULL). */
static void conn_close(struct zs__dns_tcp *c, struct zs__dns_link *orphans)
{
	if (c->state == ZS_TCP_CLOSING) {
		return;
	}
	struct zs_resolver *r = c->r;
	c->state = ZS_TCP_CLOSING;
	zs__dns_list_remove(&c->link);
	r->servers[c->server].tcp_count--;
	for (struct zs__dns_link *l = zs__dns_list_pop(&c->lookups); l != NULL;
	     l = zs__dns_list_pop(&c->lookups)) {
		struct zs__dns_lookup *lk = ZS_DNS_CONTAINER(l, struct zs__dns_lookup, tlink);
		lk->conn = NULL;
		if (orphans != NULL) {
			zs__dns_list_push(orphans, l);
		}
	}
	c->outstanding = 0;
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->handle, conn_handle_closed);
}

/* The connection failed: every lookup on it is told (from a libuv callback only). */
static void conn_fail(struct zs__dns_tcp *c, const char *why)
{
	struct zs_resolver *r = c->r;
	unsigned server = c->server;
	struct zs__dns_link orphans;

	if (c->state == ZS_TCP_CLOSING) {
		return;
	}
	r->stats.tcp_errors++;
	zs_log_debug(ZS_LOG_DNS, "%s: TCP connection failed: %s (%u queries on it)",
	             r->servers[server].name, why, c->outstanding);
	zs__dns_list_init(&orphans);
	conn_close(c, &orphans);
	for (struct zs__dns_link *l = zs__dns_list_pop(&orphans); l != NULL && !r->closing;
	     l = zs__dns_list_pop(&orphans)) {
		zs__lookup_on_tcp_error(ZS_DNS_CONTAINER(l, struct zs__dns_lookup, tlink));
	}
	if (!r->closing) {
		tcp_service(r, server);
	}
}

static void conn_timer_cb(uv_timer_t *h)
{
	struct zs__dns_tcp *c = h->data;

	if (c->failed) {
		conn_fail(c, "write failed");
	} else if (c->state == ZS_TCP_CONNECTING) {
		conn_fail(c, "connect timeout");
	} else if (c->outstanding > 0) {
		conn_fail(c, "read timeout");
	} else {
		conn_close(c, NULL); /* idle */
	}
}

/* Fail the connection from its timer: the caller is in the middle of sending. */
static void conn_fail_soon(struct zs__dns_tcp *c)
{
	c->failed = true;
	(void)uv_timer_start(&c->timer, conn_timer_cb, 0, 0);
}

static void conn_arm(struct zs__dns_tcp *c)
{
	struct zs_resolver *r = c->r;
	uint64_t ms;

	if (c->state == ZS_TCP_CLOSING || c->failed) {
		return;
	}
	if (c->state == ZS_TCP_CONNECTING) {
		ms = r->opts.timeout_ms;
	} else if (c->outstanding > 0) {
		ms = zs__dns_backoff_ms(r->opts.timeout_ms, 1);
	} else {
		ms = r->opts.tcp_idle_ms;
	}
	(void)uv_timer_start(&c->timer, conn_timer_cb, ms, 0);
}

struct tcp_write_req {
	uv_write_t req;
	struct zs__dns_tcp *conn;
	uint8_t data[];
};

static void conn_written(uv_write_t *req, int status)
{
	struct tcp_write_req *w = (struct tcp_write_req *)req;
	struct zs__dns_tcp *c = w->conn;

	zs_free(w);
	if (status < 0 && status != UV_ECANCELED) {
		conn_fail(c, uv_err_name(status));
	}
}

static void conn_write(struct zs__dns_tcp *c, struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = c->r;
	size_t len = lk->wire_len + 2;
	struct tcp_write_req *w = zs_malloc(sizeof(*w) + len);

	zs__dns_set_id(lk->wire + 2, lk->tcp_id);
	memcpy(w->data, lk->wire, len);
	w->conn = c;
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->handle, &b, 1, conn_written) != 0) {
		zs_free(w);
		conn_fail_soon(c);
		return;
	}
	lk->tcp_written = true;
	if (c->queries++ > 0) {
		r->stats.tcp_reused++;
	}
	r->stats.sent++;
	r->servers[c->server].stats.sent++;
}

static struct zs__dns_lookup *conn_find(struct zs__dns_tcp *c, uint16_t id)
{
	for (struct zs__dns_link *l = c->lookups.next; l != &c->lookups; l = l->next) {
		struct zs__dns_lookup *lk = ZS_DNS_CONTAINER(l, struct zs__dns_lookup, tlink);
		if (lk->tcp_id == id && lk->tcp_written) {
			return lk;
		}
	}
	return NULL;
}

static void conn_attach(struct zs__dns_tcp *c, struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = c->r;
	uint16_t id = 0;

	for (unsigned i = 0; i < ID_ATTEMPTS; i++) {
		zs__dns_random(r, &id, sizeof(id));
		bool taken = false;
		for (struct zs__dns_link *l = c->lookups.next; l != &c->lookups; l = l->next) {
			if (ZS_DNS_CONTAINER(l, struct zs__dns_lookup, tlink)->tcp_id == id) {
				taken = true;
				break;
			}
		}
		if (!taken) {
			break;
		}
	}
	lk->conn = c;
	lk->tcp_id = id;
	lk->tcp_written = false;
	zs__dns_list_push(&c->lookups, &lk->tlink);
	c->outstanding++;
	if (c->state == ZS_TCP_OPEN) {
		conn_write(c, lk);
		conn_arm(c);
	}
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct zs__dns_tcp *c = h->data;
	buf->base = (char *)c->rbuf + c->rlen;
	buf->len = ZS_DNS_TCP_BUF - c->rlen;
}

static void conn_frame(struct zs__dns_tcp *c, const uint8_t *pkt, size_t len)
{
	struct zs_resolver *r = c->r;

	if (len < ZS_DNS_HEADER_SIZE) {
		zs__dns_count_verdict(r, ZS_DNS_REPLY_MALFORMED);
		return;
	}
	uint16_t id = zs__dns_get_id(pkt);
	struct zs__dns_lookup *lk = conn_find(c, id);
	if (lk == NULL) {
		zs__dns_count_verdict(r, ZS_DNS_REPLY_ID);
		return;
	}
	enum zs__dns_verdict v = zs__dns_reply_check(pkt, len, id, &lk->q);
	if (v != ZS_DNS_REPLY_OK) {
		zs__dns_count_verdict(r, v);
		return;
	}
	zs__dns_list_remove(&lk->tlink);
	c->outstanding--;
	lk->conn = NULL;
	zs__lookup_on_reply(lk, c->server, pkt, len, true, true);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct zs__dns_tcp *c = s->data;
	struct zs_resolver *r = c->r;

	if (nread == 0 || c->state == ZS_TCP_CLOSING) {
		return;
	}
	if (nread < 0) {
		if (c->outstanding > 0 || c->rlen > 0) {
			conn_fail(c, nread == UV_EOF ? "closed by the server"
			                             : uv_err_name((int)nread));
		} else {
			conn_close(c, NULL); /* the server closed an idle connection */
		}
		return;
	}
	c->rlen += (size_t)nread;
	size_t off = 0;
	while (c->state == ZS_TCP_OPEN && c->rlen - off >= 2) {
		size_t flen = ((size_t)c->rbuf[off] << 8) | c->rbuf[off + 1];
		if (c->rlen - off < 2 + flen) {
			break;
		}
		conn_frame(c, c->rbuf + off + 2, flen);
		off += 2 + flen;
		if (r->closing) {
			return;
		}
	}
	if (c->state != ZS_TCP_OPEN) {
		return;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	conn_arm(c);
	tcp_service(r, c->server);
}

static void conn_connected(uv_connect_t *req, int status)
{
	struct zs__dns_tcp *c = req->data;

	if (status == UV_ECANCELED || c->state == ZS_TCP_CLOSING) {
		return;
	}
	if (status < 0) {
		conn_fail(c, uv_err_name(status));
		return;
	}
	c->state = ZS_TCP_OPEN;
	int ret = uv_read_start((uv_stream_t *)&c->handle, conn_alloc, conn_read);
	if (ret != 0) {
		conn_fail(c, uv_err_name(ret));
		return;
	}
	for (struct zs__dns_link *l = c->lookups.next; l != &c->lookups; l = l->next) {
		struct zs__dns_lookup *lk = ZS_DNS_CONTAINER(l, struct zs__dns_lookup, tlink);
		if (!lk->tcp_written) {
			conn_write(c, lk);
		}
	}
	conn_arm(c);
}

static int conn_open(struct zs_resolver *r, unsigned server, struct zs__dns_tcp **out)
{
	struct zs__dns_server *s = &r->servers[server];
	struct zs__dns_tcp *c = zs_calloc(1, sizeof(*c));
	int ret;

	c->r = r;
	c->server = server;
	zs__dns_list_init(&c->lookups);
	ret = uv_tcp_init(r->loop, &c->handle);
	if (ret != 0) {
		zs_free(c);
		return ret;
	}
	c->rbuf = zs_malloc(ZS_DNS_TCP_BUF);
	(void)uv_timer_init(r->loop, &c->timer);
	c->handle.data = c;
	c->timer.data = c;
	c->connect_req.data = c;
	c->handles = 2;
	r->handles += 2;
	c->state = ZS_TCP_CONNECTING;
	zs__dns_list_push(&s->tcp, &c->link);
	s->tcp_count++;
	ret = uv_tcp_connect(&c->connect_req, &c->handle, (const struct sockaddr *)&s->addr,
	                     conn_connected);
	if (ret != 0) {
		conn_close(c, NULL);
		return ret;
	}
	(void)uv_tcp_nodelay(&c->handle, 1);
	r->stats.tcp_connects++;
	conn_arm(c);
	*out = c;
	return 0;
}

/* A connection of the server with room for one more query, opened if allowed. */
static struct zs__dns_tcp *conn_with_room(struct zs_resolver *r, unsigned server, int *err)
{
	struct zs__dns_server *s = &r->servers[server];

	*err = 0;
	for (struct zs__dns_link *l = s->tcp.next; l != &s->tcp; l = l->next) {
		struct zs__dns_tcp *c = ZS_DNS_CONTAINER(l, struct zs__dns_tcp, link);
		if (!c->failed && c->outstanding < r->opts.tcp_pipeline) {
			return c;
		}
	}
	if (s->tcp_count >= r->opts.tcp_conns) {
		return NULL;
	}
	struct zs__dns_tcp *c = NULL;
	*err = conn_open(r, server, &c);
	return c;
}

/* Move lookups waiting for a connection of the server onto connections with room. */
static void tcp_service(struct zs_resolver *r, unsigned server)
{
	struct zs__dns_server *s = &r->servers[server];

	while (!zs__dns_list_empty(&s->tcp_wait) && !r->closing) {
		int err;
		struct zs__dns_tcp *c = conn_with_room(r, server, &err);
		if (c == NULL) {
			return; /* at the limit, or cannot connect now: the lookups' deadlines run
			         */
		}
		struct zs__dns_link *l = zs__dns_list_pop(&s->tcp_wait);
		conn_attach(c, ZS_DNS_CONTAINER(l, struct zs__dns_lookup, qlink));
	}
}

int zs__tcp_send(struct zs__dns_lookup *lk, unsigned server)
{
	struct zs_resolver *r = lk->r;
	int err;

	zs__tcp_detach(lk);
	struct zs__dns_tcp *c = conn_with_room(r, server, &err);
	if (c == NULL && err != 0) {
		return err;
	}
	if (c == NULL) {
		zs__dns_list_push(&r->servers[server].tcp_wait, &lk->qlink);
		return 0;
	}
	conn_attach(c, lk);
	return 0;
}

void zs__tcp_detach(struct zs__dns_lookup *lk)
{
	struct zs__dns_tcp *c = lk->conn;

	if (c == NULL) {
		if (lk->state == ZS_LOOKUP_TCP) {
			zs__dns_list_remove(&lk->qlink); /* in a server's tcp_wait */
		}
		return;
	}
	zs__dns_list_remove(&lk->tlink);
	lk->conn = NULL;
	c->outstanding--;
	conn_arm(c);
	if (!lk->r->closing) {
		tcp_service(lk->r, c->server);
	}
}

void zs__tcp_close_all(struct zs_resolver *r)
{
	for (unsigned s = 0; s < r->opts.server_count; s++) {
		struct zs__dns_server *sv = &r->servers[s];
		while (!zs__dns_list_empty(&sv->tcp)) {
			conn_close(ZS_DNS_CONTAINER(sv->tcp.next, struct zs__dns_tcp, link), NULL);
		}
		zs__dns_list_init(&sv->tcp_wait);
	}
}
