/* SPDX-License-Identifier: MIT */
/*
 * The UDP side of the resolver: a few connected sockets per server, each on a port the kernel
 * picked at random, replaced by a fresh one after a number of queries (RFC 5452 section 9.2),
 * and the map of tries in flight keyed by (socket, query ID). Connected sockets let the
 * kernel drop datagrams from other peers; the source is still compared, and a datagram is
 * handed to its lookup only after zs__dns_reply_check() accepted it against that lookup's own
 * question. Everything else is counted and ignored: the lookup keeps waiting (reliability
 * notes 1.5 and 1.7). Sockets stay few (fd budget, 1.13); datagrams are read with recvmmsg()
 * into 64 KiB slots of one buffer, so an oversized reply is never cut short by our side (1.8),
 * and sent with sendmmsg() in batches from the outbox (resolver_int.h) on the sockets' own
 * file descriptors; libuv queues what the kernel cannot take at once.
 */
#include <errno.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>

#include <uv.h>

#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/dns/resolver_int.h"

enum { PENDING_FIRST_BUCKETS = 1024, ID_ATTEMPTS = 32 };

/* ---- the map of tries in flight ------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static struct zs__dns_try *pending_find(const struct zs__dns_pending *p, uint64_t key)
{
	if (p->buckets == NULL) {
		return NULL;
	}
	for (struct zs__dns_try *t = p->buckets[mix64(key) & p->mask]; t != NULL; t = t->next) {
		if (t->key == key) {
			return t;
		}
	}
	return NULL;
}

static void pending_insert(struct zs__dns_pending *p, struct zs__dns_try *t)
{
	if (p->buckets == NULL) {
		p->buckets = zs_calloc(PENDING_FIRST_BUCKETS, sizeof(*p->buckets));
		p->mask = PENDING_FIRST_BUCKETS - 1;
	} else if (p->count > p->mask) {
		size_t size = (p->mask + 1) * 2;
		struct zs__dns_try **b = zs_calloc(size, sizeof(*b));
		for (size_t i = 0; i <= p->mask; i++) {
			struct zs__dns_try *x = p->buckets[i];
			while (x != NULL) {
				struct zs__dns_try *next = x->next;
				x->next = b[mix64(x->key) & (size - 1)];
				b[mix64(x->key) & (size - 1)] = x;
				x = next;
			}
		}
		zs_free(p->buckets);
		p->buckets = b;
		p->mask = size - 1;
	}
	struct zs__dns_try **head = &p->buckets[mix64(t->key) & p->mask];
	t->next = *head;
	*head = t;
	p->count++;
}

static void pending_remove(struct zs__dns_pending *p, struct zs__dns_try *t)
{
	struct zs__dns_try **x = &p->buckets[mix64(t->key) & p->mask];
	while (*x != NULL && *x != t) {
		x = &(*x)->next;
	}
	if (*x == t) {
		*x = t->next;
		t->next = NULL;
		p->count--;
	}
}

void zs__udp_deinit(struct zs_resolver *r)
{
	zs_free(r->pending.buckets);
	r->pending.buckets = NULL;
	r->pending.count = 0;
}

/* ---- sockets ------------------------------------------------------------------------------ */

static void udp_closed(uv_handle_t *h)
{
	struct zs__dns_udp *u = h->data;
	struct zs_resolver *r = u->r;
	zs_free(u);
	zs__resolver_handle_closed(r);
}

/*
 * Add what the kernel dropped at the socket since the last reading (its receive buffer was
 * full) to the run's count: to the lookups such a datagram is a timeout (reliability note 1.14).
 */
static void udp_read_drops(struct zs__dns_udp *u)
{
#ifdef SO_MEMINFO
	uv_os_fd_t fd;
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);
	if (uv_fileno((const uv_handle_t *)&u->handle, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
	    len > SK_MEMINFO_DROPS * sizeof(mem[0])) {
		u->r->stats.udp_drops += (uint32_t)(mem[SK_MEMINFO_DROPS] - u->drops);
		u->drops = mem[SK_MEMINFO_DROPS];
	}
#else
	(void)u;
#endif
}

void zs__udp_read_drops(struct zs_resolver *r)
{
	for (struct zs__dns_link *l = r->udp_all.next; l != &r->udp_all; l = l->next) {
		udp_read_drops(ZS_DNS_CONTAINER(l, struct zs__dns_udp, link));
	}
}

static void udp_close(struct zs__dns_udp *u)
{
	if (u->closing) {
		return;
	}
	udp_read_drops(u);
	u->closing = true;
	zs__dns_list_remove(&u->link);
	uv_close((uv_handle_t *)&u->handle, udp_closed);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct zs__dns_udp *u = h->data;
	buf->base = (char *)u->r->rbuf;
	buf->len = ZS_DNS_UDP_RECV_BUF;
}

static bool same_peer(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family) {
		return false;
	}
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                     unsigned flags)
{
	struct zs__dns_udp *u = h->data;
	struct zs_resolver *r = u->r;

	if ((flags & UV_UDP_MMSG_FREE) != 0 || r->closing || u->closing || nread == 0) {
		return; /* the buffer is the resolver's; nothing (more) to read */
	}
	if (nread < 0) {
		r->stats.recv_errors++;
		zs_log_debug(ZS_LOG_DNS, "%s: receive error: %s", r->servers[u->server].name,
		             uv_err_name((int)nread));
		return;
	}
	if (addr == NULL || !same_peer(addr, &r->servers[u->server].addr)) {
		r->stats.mismatched++;
		r->stats.mismatch_source++;
		return;
	}
	const uint8_t *pkt = (const uint8_t *)buf->base;
	size_t len = (size_t)nread;
	if ((flags & UV_UDP_PARTIAL) != 0 || len < ZS_DNS_HEADER_SIZE) {
		zs__dns_count_verdict(r, ZS_DNS_REPLY_MALFORMED);
		return;
	}
	uint16_t id = zs__dns_get_id(pkt);
	struct zs__dns_try *t = pending_find(&r->pending, ((uint64_t)u->id << 16) | id);
	if (t == NULL) {
		zs__dns_count_verdict(r, ZS_DNS_REPLY_ID);
		return;
	}
	struct zs__dns_lookup *lk = t->lk;
	enum zs__dns_verdict v = zs__dns_reply_check(pkt, len, id, &lk->q);
	if (v != ZS_DNS_REPLY_OK) {
		zs__dns_count_verdict(r, v);
		return;
	}
	bool current = lk->state == ZS_LOOKUP_UDP && lk->tries > 0 && t == &lk->udp[lk->tries - 1];
	zs__lookup_on_reply(lk, t->server, pkt, len, false, current);
}

/*
 * Ask for the receive buffer: SO_RCVBUFFORCE first (root may pass net.core.rmem_max), then
 * SO_RCVBUF; read back what the kernel granted (Linux reports twice the size asked) and warn
 * once per resolver when it is less than asked (reliability note 1.14).
 */
static void set_rcvbuf(struct zs__dns_udp *u)
{
	struct zs_resolver *r = u->r;
	uv_os_fd_t fd;
	int want = r->opts.udp_rcvbuf;
	int got = 0;
	socklen_t len = sizeof(got);
	if (uv_fileno((const uv_handle_t *)&u->handle, &fd) != 0) {
		return;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < want / 2 &&
	    !r->rcvbuf_warned) {
		r->rcvbuf_warned = true;
		zs_log_warn(
		        ZS_LOG_DNS,
		        "UDP receive buffer is %d KiB, %d KiB asked (net.core.rmem_max): a burst "
		        "of answers may be dropped by the kernel and count as timeouts",
		        got / 2 / 1024, want / 1024);
	}
}

static int udp_open(struct zs_resolver *r, unsigned server, struct zs__dns_udp **out)
{
	const struct sockaddr *sa = (const struct sockaddr *)&r->servers[server].addr;
	struct zs__dns_udp *u = zs_calloc(1, sizeof(*u));
	int ret;

	u->r = r;
	u->server = server;
	u->id = r->next_sock_id++;
	ret = uv_udp_init_ex(r->loop, &u->handle, sa->sa_family | UV_UDP_RECVMMSG);
	if (ret != 0) {
		zs_free(u);
		return ret;
	}
	u->handle.data = u;
	r->handles++;
	zs__dns_list_push(&r->udp_all, &u->link);
	/* connect() on an unbound socket binds it to a random ephemeral port */
	ret = uv_udp_connect(&u->handle, sa);
	if (ret != 0) {
		goto fail;
	}
	if (r->opts.udp_rcvbuf > 0) {
		set_rcvbuf(u);
	}
	ret = uv_udp_recv_start(&u->handle, udp_alloc, udp_recv);
	if (ret != 0) {
		goto fail;
	}
	*out = u;
	return 0;
fail:
	udp_close(u);
	return ret;
}

int zs__udp_open_all(struct zs_resolver *r)
{
	int ret = 0;
	unsigned usable = 0;

	for (unsigned s = 0; s < r->opts.server_count; s++) {
		struct zs__dns_server *sv = &r->servers[s];
		for (unsigned i = 0; i < r->opts.udp_sockets; i++) {
			ret = udp_open(r, s, &sv->udp[i]);
			if (ret != 0) {
				break;
			}
		}
		if (ret != 0) {
			/* e.g. IPv6 unavailable here: the other servers are asked instead */
			zs_log_warn(ZS_LOG_DNS, "%s: cannot open a UDP socket (%s), not used",
			            sv->name, uv_err_name(ret));
			sv->unusable = true;
			continue;
		}
		usable++;
	}
	return usable > 0 ? 0 : ret;
}

void zs__udp_close_all(struct zs_resolver *r)
{
	while (!zs__dns_list_empty(&r->udp_all)) {
		udp_close(ZS_DNS_CONTAINER(r->udp_all.next, struct zs__dns_udp, link));
	}
	for (unsigned s = 0; s < r->opts.server_count; s++) {
		memset(r->servers[s].udp, 0, sizeof(r->servers[s].udp));
	}
}

/* Replace a socket that has carried enough queries by one on a fresh port. */
static void udp_rotate(struct zs_resolver *r, unsigned server, unsigned slot)
{
	struct zs__dns_udp *old = r->servers[server].udp[slot];

	old->retiring = true;
	r->stats.udp_rotations++;
	r->servers[server].udp[slot] = NULL;
	if (udp_open(r, server, &r->servers[server].udp[slot]) != 0) {
		r->servers[server].udp[slot] = NULL; /* opened again at the next send */
	}
	if (old->outstanding == 0) {
		udp_close(old);
	}
}

struct udp_send_req {
	uv_udp_send_t req;
	struct zs_resolver *r;
	uint8_t data[];
};

static void udp_sent(uv_udp_send_t *req, int status)
{
	struct udp_send_req *s = (struct udp_send_req *)req;
	if (status < 0 && status != UV_ECANCELED) {
		s->r->stats.send_errors++; /* the try will time out */
	}
	zs_free(s);
}

/* The socket buffer is full: queue a copy (bounded by max_inflight, one per lookup). */
static int udp_send_queued(struct zs__dns_udp *u, const uint8_t *pkt, size_t len)
{
	struct udp_send_req *s = zs_malloc(sizeof(*s) + len);
	s->r = u->r;
	memcpy(s->data, pkt, len);
	uv_buf_t b = uv_buf_init((char *)s->data, (unsigned)len);
	int ret = uv_udp_send(&s->req, &u->handle, &b, 1, NULL, udp_sent);
	if (ret != 0) {
		zs_free(s);
	}
	return ret;
}

/* Send the outbox's packets [i, n) that go through socket u; collect failed keys. */
static void send_batch(struct zs_resolver *r, struct zs__dns_udp *u, const size_t *idx, size_t m,
                       uint64_t *failed, size_t *nfailed)
{
	struct mmsghdr msgs[ZS_DNS_OUTBOX];
	struct iovec iov[ZS_DNS_OUTBOX];
	struct zs__dns_outbox *ob = r->outbox;
	uv_os_fd_t fd = -1;

	if (u->closing || uv_fileno((uv_handle_t *)&u->handle, &fd) != 0) {
		for (size_t k = 0; k < m; k++) {
			failed[(*nfailed)++] = ob->key[idx[k]];
		}
		return;
	}
	memset(msgs, 0, m * sizeof(msgs[0]));
	for (size_t k = 0; k < m; k++) {
		iov[k].iov_base = ob->data[idx[k]];
		iov[k].iov_len = ob->len[idx[k]];
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	size_t sent = 0;
	while (sent < m) {
		int rc = sendmmsg(fd, msgs + sent, (unsigned)(m - sent), MSG_DONTWAIT);
		if (rc > 0) {
			sent += (size_t)rc;
			continue;
		}
		if (rc < 0 && errno == EINTR) {
			continue;
		}
		if (rc < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			/* the socket buffer is full: let libuv queue the rest */
			for (; sent < m; sent++) {
				if (udp_send_queued(u, ob->data[idx[sent]], ob->len[idx[sent]]) !=
				    0) {
					failed[(*nfailed)++] = ob->key[idx[sent]];
				}
			}
			break;
		}
		failed[(*nfailed)++] = ob->key[idx[sent]]; /* this one failed: go on after it */
		sent++;
	}
}

void zs__udp_flush(struct zs_resolver *r)
{
	struct zs__dns_outbox *ob = r->outbox;
	uint64_t failed[ZS_DNS_OUTBOX];
	size_t nfailed = 0;
	bool done[ZS_DNS_OUTBOX] = { false };
	size_t idx[ZS_DNS_OUTBOX];
	size_t n = ob->count;

	for (size_t i = 0; i < n; i++) {
		if (done[i]) {
			continue;
		}
		size_t m = 0;
		for (size_t j = i; j < n; j++) {
			if (!done[j] && ob->sock[j] == ob->sock[i]) {
				done[j] = true;
				idx[m++] = j;
			}
		}
		send_batch(r, ob->sock[i], idx, m, failed, &nfailed);
	}
	ob->count = 0;
	/* report failures after the outbox is empty: the lookups may send again at once */
	for (size_t k = 0; k < nfailed && !r->closing; k++) {
		r->stats.send_errors++;
		struct zs__dns_try *t = pending_find(&r->pending, failed[k]);
		if (t == NULL) {
			continue;
		}
		struct zs__dns_lookup *lk = t->lk;
		if (lk->state == ZS_LOOKUP_UDP && t == &lk->udp[lk->tries - 1]) {
			zs__lookup_on_send_error(lk);
		}
	}
}

static void flush_cb(uv_check_t *h)
{
	struct zs_resolver *r = h->data;
	zs__udp_flush(r);
	if (r->outbox->count == 0) {
		(void)uv_check_stop(h);
	}
}

int zs__udp_send(struct zs__dns_lookup *lk, unsigned server)
{
	struct zs_resolver *r = lk->r;
	struct zs__dns_server *s = &r->servers[server];
	struct zs__dns_udp *u = NULL;
	unsigned slot = 0;
	int ret = UV_EBADF;

	for (unsigned k = 0; k < r->opts.udp_sockets && u == NULL; k++) {
		slot = (s->udp_next + k) % r->opts.udp_sockets;
		if (s->udp[slot] == NULL) {
			ret = udp_open(r, server, &s->udp[slot]);
			if (ret != 0) {
				continue;
			}
		}
		u = s->udp[slot];
	}
	if (u == NULL) {
		return ret;
	}
	s->udp_next = (slot + 1) % r->opts.udp_sockets;

	uint16_t id = 0;
	uint64_t key = 0;
	unsigned attempt;
	for (attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
		zs__dns_random(r, &id, sizeof(id));
		key = ((uint64_t)u->id << 16) | id;
		if (pending_find(&r->pending, key) == NULL) {
			break;
		}
	}
	if (attempt == ID_ATTEMPTS) {
		return UV_EAGAIN; /* the socket's ID space is full */
	}
	struct zs__dns_outbox *ob = r->outbox;
	if (ob->count == ZS_DNS_OUTBOX) {
		zs__udp_flush(r);
	}
	size_t n = ob->count++;
	ob->sock[n] = u;
	ob->key[n] = key;
	ob->len[n] = (uint16_t)lk->wire_len;
	memcpy(ob->data[n], lk->wire + 2, lk->wire_len);
	zs__dns_set_id(ob->data[n], id);
	if (n == 0) {
		/* flushed after the loop polls, or before it polls: it must not block first */
		(void)uv_check_start(&r->flush, flush_cb);
		zs__resolver_kick(r);
	}
	struct zs__dns_try *t = &lk->udp[lk->tries - 1];
	t->key = key;
	t->lk = lk;
	t->sock = u;
	t->server = server;
	t->registered = true;
	pending_insert(&r->pending, t);
	u->outstanding++;
	u->sends++;
	r->stats.sent++;
	s->stats.sent++;
	if (u->sends >= r->opts.udp_rotate) {
		udp_rotate(r, server, slot);
	}
	return 0;
}

void zs__udp_unregister(struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = lk->r;

	for (unsigned i = 0; i < ZS_DNS_MAX_TRIES; i++) {
		struct zs__dns_try *t = &lk->udp[i];
		if (!t->registered) {
			continue;
		}
		pending_remove(&r->pending, t);
		t->registered = false;
		struct zs__dns_udp *u = t->sock;
		t->sock = NULL;
		if (--u->outstanding == 0 && u->retiring) {
			udp_close(u);
		}
	}
}
