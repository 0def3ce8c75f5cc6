/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous DNS client (resolver.h): questions, lookups and their state machine, server
 * rotation and failover, retries with backoff, pacing, the cache and delivery.
 *
 * A question first meets the cache, then the table of lookups in flight (identical questions
 * coalesce), and only then makes a new lookup, which waits for one of max_inflight slots and
 * a token of the rate limit. lookup_step() alone moves a lookup between states; the socket
 * callbacks of udp.c and tcp.c and the timers only report events to it. Deadlines live in one
 * FIFO list per try index: every try of index k has the same timeout, so each list is sorted
 * by deadline and a single timer serves all lookups without a handle each. Finished questions
 * go to a ready list drained by an idle handle, bounded per loop iteration, so user callbacks
 * never run inside the engine's bookkeeping and may ask, cancel or close freely.
 */
#include "scanner/dns/resolver.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>

#include <uv.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/dns/resolver_int.h"

static const char *const lookup_state_names[] = {
#define XX(name, text) text,
	ZS_LOOKUP_STATE_MAP(XX)
#undef XX
};

static void lookup_step(struct zs__dns_lookup *lk, enum zs__lookup_event ev);

/* ---- small helpers ------------------------------------------------------------------------ */

void zs__dns_random(struct zs_resolver *r, void *out, size_t len)
{
	uint8_t *o = out;

	while (len > 0) {
		if (r->rnd_pos >= sizeof(r->rnd)) {
			size_t got = 0;
			while (got < sizeof(r->rnd)) {
				ssize_t n = getrandom(r->rnd + got, sizeof(r->rnd) - got, 0);
				if (n < 0 && errno == EINTR) {
					continue;
				}
				if (n <= 0) {
					/* no unpredictable IDs: never send predictable ones */
					zs_log_error(ZS_LOG_DNS, "getrandom: %s", strerror(errno));
					abort();
				}
				got += (size_t)n;
			}
			r->rnd_pos = 0;
		}
		size_t n = sizeof(r->rnd) - r->rnd_pos;
		if (n > len) {
			n = len;
		}
		memcpy(o, r->rnd + r->rnd_pos, n);
		r->rnd_pos += n;
		o += n;
		len -= n;
	}
}

uint64_t zs__dns_backoff_ms(unsigned base_ms, unsigned try)
{
	uint64_t t = base_ms;
	for (unsigned i = 0; i < try && t < ZS_DNS_BACKOFF_MAX_MS; i++) {
		t *= 2;
	}
	return t < ZS_DNS_BACKOFF_MAX_MS ? t : ZS_DNS_BACKOFF_MAX_MS;
}

void zs__dns_count_verdict(struct zs_resolver *r, enum zs__dns_verdict v)
{
	r->stats.mismatched++;
	switch (v) {
	case ZS_DNS_REPLY_MALFORMED:
		r->stats.malformed++;
		break;
	case ZS_DNS_REPLY_ID:
		r->stats.mismatch_id++;
		break;
	default:
		r->stats.mismatch_question++;
		break;
	}
}

static void sync_gauges(struct zs_resolver *r)
{
	r->stats.inflight = r->inflight;
	r->stats.queued = r->waiting_count;
	r->stats.cache_entries = zs__dns_cache_count(&r->cache);
	r->stats.cache_bytes = r->cache.bytes;
	r->stats.cache_inserts = r->cache.inserts;
	r->stats.cache_evictions = r->cache.evictions;
}

static void set_state(struct zs__dns_lookup *lk, enum zs__lookup_state s)
{
	if (zs_log_enabled(ZS_LOG_DNS, ZS_LOG_LEVEL_DEBUG)) {
		char name[ZS_DNS_TEXT_MAX];
		if (zs__dns_name_to_text(lk->q.name, lk->q.name_len, name, sizeof(name)) < 0) {
			name[0] = '\0';
		}
		zs_log_debug(ZS_LOG_DNS, "%s/%s: %s -> %s (try %u)", name,
		             zs_rr_type_name(lk->q.type), lookup_state_names[lk->state],
		             lookup_state_names[s], lk->tries);
	}
	lk->state = s;
}

static struct zs_dns_query *query_alloc(struct zs_resolver *r)
{
	struct zs_dns_query *qu = r->free_queries;
	if (qu == NULL) {
		return zs_calloc(1, sizeof(*qu));
	}
	r->free_queries = (struct zs_dns_query *)(void *)qu->lk;
	r->free_query_count--;
	memset(qu, 0, sizeof(*qu));
	return qu;
}

static void query_free(struct zs_resolver *r, struct zs_dns_query *qu)
{
	if (r->closing || r->free_query_count >= ZS_DNS_FREE_LIST_MAX) {
		zs_free(qu);
		return;
	}
	qu->lk = (struct zs__dns_lookup *)(void *)r->free_queries;
	r->free_queries = qu;
	r->free_query_count++;
}

/* ---- idle handle: delivery and sending ----------------------------------------------------- */

static void kick_cb(uv_idle_t *h);

static void kick(struct zs_resolver *r)
{
	if (!r->closing && !uv_is_active((uv_handle_t *)&r->kick)) {
		(void)uv_idle_start(&r->kick, kick_cb);
	}
}

void zs__resolver_kick(struct zs_resolver *r)
{
	kick(r);
}

static void make_ready(struct zs_resolver *r, struct zs_dns_query *qu, struct zs__dns_entry *e,
                       bool from_cache)
{
	qu->lk = NULL;
	qu->entry = e;
	qu->from_cache = from_cache;
	zs__dns_list_push(&r->ready, &qu->link);
	kick(r);
}

static void deliver(struct zs_resolver *r)
{
	for (unsigned n = 0; n < ZS_DNS_DELIVER_BATCH && !r->closing; n++) {
		struct zs__dns_link *l = zs__dns_list_pop(&r->ready);
		if (l == NULL) {
			break;
		}
		struct zs_dns_query *qu = ZS_DNS_CONTAINER(l, struct zs_dns_query, link);
		struct zs__dns_entry *e = qu->entry;
		struct zs_answer ans = e->ans;
		ans.from_cache = qu->from_cache;
		r->stats.status[ans.status]++;
		if (ans.status == ZS_DNS_TIMEOUT) {
			r->stats.timeouts++;
		}
		r->pending_questions--;
		qu->running = true;
		qu->entry = NULL;
		qu->cb(&ans, qu->arg);
		query_free(r, qu);
		zs__dns_entry_unref(e);
	}
}

/* Refill the token bucket; its depth is 20 ms of the rate, at least one token. */
static bool take_token(struct zs_resolver *r)
{
	double qps = r->opts.qps;
	if (qps <= 0) {
		return true;
	}
	uint64_t now = uv_now(r->loop);
	double burst = qps / 50.0 < 1.0 ? 1.0 : qps / 50.0;
	if (now > r->tokens_at) {
		r->tokens += (double)(now - r->tokens_at) * qps / 1000.0;
		r->tokens_at = now;
		if (r->tokens > burst) {
			r->tokens = burst;
		}
	}
	if (r->tokens >= 1.0) {
		r->tokens -= 1.0;
		return true;
	}
	return false;
}

static void pace_cb(uv_timer_t *h)
{
	kick(h->data);
}

static void wait_for_token(struct zs_resolver *r)
{
	if (uv_is_active((uv_handle_t *)&r->pace_timer)) {
		return;
	}
	double ms = (1.0 - r->tokens) * 1000.0 / r->opts.qps;
	uint64_t wait = ms < 1.0 ? 1 : (uint64_t)ms + 1;
	r->stats.rate_waits++;
	(void)uv_timer_start(&r->pace_timer, pace_cb, wait, 0);
}

/* Send what may be sent now; @return true when more could be sent at once. */
static bool pump(struct zs_resolver *r)
{
	for (unsigned n = 0; n < ZS_DNS_PUMP_BATCH && !r->closing; n++) {
		bool paced = !zs__dns_list_empty(&r->paced);
		bool start = !zs__dns_list_empty(&r->waiting) && r->inflight < r->opts.max_inflight;
		if (!paced && !start) {
			return false;
		}
		if (!take_token(r)) {
			wait_for_token(r);
			return false;
		}
		struct zs__dns_lookup *lk;
		if (paced) {
			lk = ZS_DNS_CONTAINER(zs__dns_list_pop(&r->paced), struct zs__dns_lookup,
			                      qlink);
		} else {
			lk = ZS_DNS_CONTAINER(zs__dns_list_pop(&r->waiting), struct zs__dns_lookup,
			                      qlink);
			r->waiting_count--;
			lk->has_slot = true;
			r->inflight++;
			if (r->inflight > r->stats.peak_inflight) {
				r->stats.peak_inflight = r->inflight;
			}
		}
		lookup_step(lk, ZS_LOOKUP_EV_SEND);
	}
	return true;
}

static void kick_cb(uv_idle_t *h)
{
	struct zs_resolver *r = h->data;

	deliver(r);
	if (r->closing) {
		return;
	}
	bool more = pump(r);
	zs__udp_flush(r); /* before the loop polls */
	sync_gauges(r);
	if (!more && zs__dns_list_empty(&r->ready) && r->outbox->count == 0) {
		(void)uv_idle_stop(h);
	}
}

/* ---- deadlines ---------------------------------------------------------------------------- */

static void deadline_cb(uv_timer_t *h);

static void arm_deadline(struct zs__dns_lookup *lk, unsigned index)
{
	struct zs_resolver *r = lk->r;
	uint64_t now = uv_now(r->loop);

	zs__dns_list_remove(&lk->dlink);
	lk->deadline = now + zs__dns_backoff_ms(r->opts.timeout_ms, index);
	zs__dns_list_push(&r->deadlines[index], &lk->dlink);
	if (r->deadline_due == 0 || lk->deadline < r->deadline_due) {
		r->deadline_due = lk->deadline;
		(void)uv_timer_start(&r->deadline_timer, deadline_cb, lk->deadline - now, 0);
	}
}

static void server_timed_out(struct zs_resolver *r, unsigned server)
{
	struct zs__dns_server *s = &r->servers[server];
	uint64_t now = uv_now(r->loop);

	s->stats.timeouts++;
	if (++s->timeouts_in_row >= ZS_DNS_SERVER_DOWN_AFTER && s->down_until <= now) {
		s->down_until = now + ZS_DNS_SERVER_DOWN_MS;
		s->stats.marked_down++;
		/* counted (marked_down) and logged only when asked: with slow authoritative
		 * servers behind a resolver, timeouts in a row are common and not its fault */
		zs_log_debug(ZS_LOG_DNS, "%s: %u timeouts in a row, avoided for %u ms", s->name,
		             s->timeouts_in_row, (unsigned)ZS_DNS_SERVER_DOWN_MS);
	}
}

static void deadline_cb(uv_timer_t *h)
{
	struct zs_resolver *r = h->data;
	uint64_t now = uv_now(r->loop);

	r->deadline_due = 0;
	for (unsigned i = 0; i < ZS_DNS_MAX_TRIES && !r->closing; i++) {
		while (!zs__dns_list_empty(&r->deadlines[i]) && !r->closing) {
			struct zs__dns_lookup *lk = ZS_DNS_CONTAINER(r->deadlines[i].next,
			                                             struct zs__dns_lookup, dlink);
			if (lk->deadline > now) {
				break;
			}
			zs__dns_list_remove(&lk->dlink);
			server_timed_out(r, lk->server);
			lookup_step(lk, ZS_LOOKUP_EV_TIMEOUT);
		}
	}
	if (r->closing) {
		return;
	}
	uint64_t due = 0;
	for (unsigned i = 0; i < ZS_DNS_MAX_TRIES; i++) {
		if (!zs__dns_list_empty(&r->deadlines[i])) {
			struct zs__dns_lookup *lk = ZS_DNS_CONTAINER(r->deadlines[i].next,
			                                             struct zs__dns_lookup, dlink);
			if (due == 0 || lk->deadline < due) {
				due = lk->deadline;
			}
		}
	}
	if (due != 0 && (r->deadline_due == 0 || due < r->deadline_due)) {
		r->deadline_due = due;
		(void)uv_timer_start(&r->deadline_timer, deadline_cb, due > now ? due - now : 0, 0);
	}
	sync_gauges(r);
}

/* ---- lookups ------------------------------------------------------------------------------ */

static struct zs__dns_lookup *lookup_new(struct zs_resolver *r, const struct zs__dns_question *q,
                                         uint64_t hash)
{
	struct zs__dns_lookup *lk = r->free_lookups;
	if (lk != NULL) {
		r->free_lookups = lk->free_next;
		r->free_lookup_count--;
		memset(lk, 0, offsetof(struct zs__dns_lookup, wire));
	} else {
		lk = zs_calloc(1, sizeof(*lk));
	}
	lk->r = r;
	lk->q = *q;
	lk->node.name = lk->q.name;
	lk->node.name_len = lk->q.name_len;
	lk->node.type = lk->q.type;
	lk->node.hash = hash;
	lk->state = ZS_LOOKUP_QUEUED;
	lk->fail_status = ZS_DNS_TIMEOUT;
	zs__dns_list_init(&lk->waiters);
	zs__dns_table_insert(&r->lookups, &lk->node);
	zs__dns_list_push(&r->waiting, &lk->qlink);
	r->waiting_count++;
	r->stats.lookups++;
	return lk;
}

/* Take a lookup out of every list, table, map and slot; it can then be freed. */
static void lookup_detach(struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = lk->r;

	if (lk->state == ZS_LOOKUP_QUEUED && zs__dns_linked(&lk->qlink)) {
		r->waiting_count--;
	}
	zs__dns_list_remove(&lk->qlink);
	zs__dns_list_remove(&lk->dlink);
	zs__udp_unregister(lk);
	zs__tcp_detach(lk);
	if (lk->has_slot) {
		lk->has_slot = false;
		r->inflight--;
		if (!zs__dns_list_empty(&r->waiting)) {
			kick(r);
		}
	}
	zs__dns_table_remove(&r->lookups, &lk->node);
}

static void lookup_free(struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = lk->r;

	zs__dns_entry_unref(lk->result);
	if (r->closing || r->free_lookup_count >= ZS_DNS_FREE_LIST_MAX) {
		zs_free(lk);
		return;
	}
	lk->free_next = r->free_lookups;
	r->free_lookups = lk;
	r->free_lookup_count++;
}

/* The lookup is over: store the answer, hand it to every waiting question. */
static void finish(struct zs__dns_lookup *lk, struct zs__dns_entry *e)
{
	struct zs_resolver *r = lk->r;

	lookup_detach(lk);
	set_state(lk, ZS_LOOKUP_DONE);
	if (!r->opts.no_cache) {
		(void)zs__dns_cache_put(&r->cache, e, lk->node.hash, r->opts.ttl_cap,
		                        uv_now(r->loop));
	}
	for (struct zs__dns_link *l = zs__dns_list_pop(&lk->waiters); l != NULL;
	     l = zs__dns_list_pop(&lk->waiters)) {
		make_ready(r, ZS_DNS_CONTAINER(l, struct zs_dns_query, link), zs__dns_entry_ref(e),
		           false);
	}
	zs__dns_entry_unref(e);
	lookup_free(lk);
}

static void finish_failed(struct zs__dns_lookup *lk)
{
	finish(lk, zs__dns_entry_new_status(&lk->q, lk->fail_status, lk->fail_rcode));
}

/* Keep the most telling failure: an rcode beats a TCP failure beats a local error beats
 * silence, so that a question is never reported as a timeout when a server did answer. */
static int fail_rank(enum zs_dns_status s)
{
	switch (s) {
	case ZS_DNS_TIMEOUT:
		return 1;
	case ZS_DNS_NETERR:
		return 2;
	case ZS_DNS_TCP_FAILED:
		return 3;
	default:
		return 4;
	}
}

static void note_failure(struct zs__dns_lookup *lk, enum zs_dns_status s, uint8_t rcode)
{
	if (fail_rank(s) >= fail_rank(lk->fail_status)) {
		lk->fail_status = s;
		lk->fail_rcode = rcode;
	}
}

static bool is_rcode_failure(enum zs_dns_status s)
{
	return s == ZS_DNS_SERVFAIL || s == ZS_DNS_REFUSED || s == ZS_DNS_FORMERR ||
	       s == ZS_DNS_OTHER;
}

/* The usable servers, as bits. */
static unsigned all_servers_mask(const struct zs_resolver *r)
{
	unsigned mask = 0;
	for (size_t i = 0; i < r->opts.server_count; i++) {
		if (!r->servers[i].unusable) {
			mask |= 1u << i;
		}
	}
	return mask;
}

/*
 * The server of the next try: the rotation goes on from where the lookup left it (its first
 * try starts where the previous lookup's did not, to spread the load), skipping servers that
 * already answered with a failure rcode and, while another is up, servers marked down.
 */
static unsigned choose_server(struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = lk->r;
	unsigned n = (unsigned)r->opts.server_count;
	uint64_t now = uv_now(r->loop);
	bool avoid_failed = (lk->rcode_failed & all_servers_mask(r)) != all_servers_mask(r);
	unsigned fallback = n;
	unsigned chosen = n;

	if (lk->tries == 0) {
		lk->next_server = r->server_rr++ % n;
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned s = (lk->next_server + k) % n;
		if (r->servers[s].unusable ||
		    (avoid_failed && (lk->rcode_failed & (1u << s)) != 0)) {
			continue;
		}
		if (fallback == n) {
			fallback = s;
		}
		if (r->servers[s].down_until <= now) {
			chosen = s;
			break;
		}
	}
	if (chosen == n && fallback == n) {
		/* every usable server answered with a failure rcode: any usable one */
		for (unsigned k = 0; k < n && chosen == n; k++) {
			unsigned s = (lk->next_server + k) % n;
			chosen = r->servers[s].unusable ? n : s;
		}
	} else if (chosen == n) {
		chosen = fallback;
	}
	lk->next_server = (chosen + 1) % n;
	return chosen;
}

/* Send the next try now (slot and token are held); failures to send use up tries. */
static void send_next(struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = lk->r;

	if (lk->wire_len == 0) {
		if (zs__dns_query_build(&lk->q, r->opts.edns_size, r->opts.validating, lk->wire,
		                        &lk->wire_len) != 0) {
			finish(lk, zs__dns_entry_new_status(&lk->q, ZS_DNS_BADNAME, 0));
			return;
		}
	}
	while (lk->tries < r->opts.tries) {
		unsigned server = choose_server(lk);
		unsigned index = lk->tries++;
		lk->server = server;
		if (index > 0) {
			r->stats.retried++;
		}
		int ret = lk->use_tcp ? zs__tcp_send(lk, server) : zs__udp_send(lk, server);
		if (ret == 0) {
			set_state(lk, lk->use_tcp ? ZS_LOOKUP_TCP : ZS_LOOKUP_UDP);
			arm_deadline(lk, index);
			return;
		}
		r->stats.send_errors++;
		zs_log_debug(ZS_LOG_DNS, "%s: send failed: %s", r->servers[server].name,
		             zs_err_name(ret));
		note_failure(lk, lk->use_tcp ? ZS_DNS_TCP_FAILED : ZS_DNS_NETERR, 0);
	}
	finish_failed(lk);
}

/* The current try failed: try again (when tries and a token are left) or give up. */
static void retry(struct zs__dns_lookup *lk)
{
	struct zs_resolver *r = lk->r;

	zs__dns_list_remove(&lk->dlink);
	zs__tcp_detach(lk);
	if (lk->tries >= r->opts.tries) {
		finish_failed(lk);
		return;
	}
	if (zs__dns_list_empty(&r->paced) && take_token(r)) {
		send_next(lk);
		return;
	}
	set_state(lk, ZS_LOOKUP_PACED);
	zs__dns_list_push(&r->paced, &lk->qlink);
	if (r->opts.qps > 0) {
		wait_for_token(r);
	} else {
		kick(r);
	}
}

/* An accepted, decoded reply: final, or a failure rcode worth asking another server about. */
static void on_result(struct zs__dns_lookup *lk, unsigned server, bool current)
{
	struct zs_resolver *r = lk->r;
	struct zs__dns_entry *e = lk->result;

	lk->result = NULL;
	if (!is_rcode_failure(e->ans.status)) {
		finish(lk, e);
		return;
	}
	lk->rcode_failed |= (uint8_t)(1u << server);
	note_failure(lk, e->ans.status, e->ans.rcode);
	bool other = (lk->rcode_failed & all_servers_mask(r)) != all_servers_mask(r);
	if (!other || lk->tries >= r->opts.tries) {
		finish(lk, e);
		return;
	}
	zs__dns_entry_unref(e);
	if (current) {
		r->stats.rcode_retries++;
		retry(lk);
	}
	/* otherwise a late failure of an earlier try: the current try goes on */
}

static void fall_back_to_tcp(struct zs__dns_lookup *lk, unsigned server)
{
	struct zs_resolver *r = lk->r;

	r->stats.tcp_fallbacks++;
	lk->use_tcp = true;
	zs__udp_unregister(lk); /* the UDP content is never merged, late UDP replies ignored */
	zs__dns_list_remove(&lk->qlink);
	lk->server = server;
	int ret = zs__tcp_send(lk, server);
	if (ret != 0) {
		r->stats.send_errors++;
		note_failure(lk, ZS_DNS_TCP_FAILED, 0);
		retry(lk);
		return;
	}
	set_state(lk, ZS_LOOKUP_TCP);
	arm_deadline(lk, lk->tries > 0 ? lk->tries - 1 : 0);
}

/* Events on a lookup with a try under way (or between tries). */
static void on_event(struct zs__dns_lookup *lk, enum zs__lookup_event ev)
{
	switch (ev) {
	case ZS_LOOKUP_EV_REPLY:
		on_result(lk, lk->server_of_reply, lk->reply_current);
		break;
	case ZS_LOOKUP_EV_TRUNCATED:
		fall_back_to_tcp(lk, lk->server_of_reply);
		break;
	case ZS_LOOKUP_EV_TIMEOUT:
		note_failure(lk, lk->use_tcp ? ZS_DNS_TCP_FAILED : ZS_DNS_TIMEOUT, 0);
		retry(lk);
		break;
	case ZS_LOOKUP_EV_TCP_ERROR:
		note_failure(lk, ZS_DNS_TCP_FAILED, 0);
		retry(lk);
		break;
	case ZS_LOOKUP_EV_NET_ERROR:
		note_failure(lk, ZS_DNS_NETERR, 0);
		retry(lk);
		break;
	case ZS_LOOKUP_EV_SEND:
		break;
	}
}

static void lookup_step(struct zs__dns_lookup *lk, enum zs__lookup_event ev)
{
	switch (lk->state) {
	case ZS_LOOKUP_QUEUED:
		if (ev == ZS_LOOKUP_EV_SEND) {
			send_next(lk);
		}
		return;
	case ZS_LOOKUP_PACED:
		if (ev == ZS_LOOKUP_EV_SEND) {
			send_next(lk);
		} else if (ev == ZS_LOOKUP_EV_REPLY || ev == ZS_LOOKUP_EV_TRUNCATED) {
			/* a late reply to an earlier try, while waiting to send the next */
			on_event(lk, ev);
		}
		return;
	case ZS_LOOKUP_UDP:
	case ZS_LOOKUP_TCP:
		on_event(lk, ev);
		return;
	case ZS_LOOKUP_DONE:
		return; /* nothing left to do */
	}
}

void zs__lookup_on_reply(struct zs__dns_lookup *lk, unsigned server, const uint8_t *pkt, size_t len,
                         bool tcp, bool current)
{
	struct zs_resolver *r = lk->r;
	struct zs__dns_server *s = &r->servers[server];

	s->timeouts_in_row = 0;
	s->down_until = 0;
	if (zs__dns_reply_truncated(pkt)) {
		if (tcp) {
			r->stats.tcp_truncated++;
			lookup_step(lk, ZS_LOOKUP_EV_TCP_ERROR);
			return;
		}
		r->stats.truncated++;
		lk->server_of_reply = server;
		lookup_step(lk, ZS_LOOKUP_EV_TRUNCATED);
		return;
	}
	struct zs__dns_entry *e = NULL;
	if (zs__dns_reply_decode(pkt, len, &lk->q, r->opts.max_cname, &e) != 0) {
		zs__dns_count_verdict(r, ZS_DNS_REPLY_MALFORMED);
		return; /* keep waiting: a bad packet never ends a lookup */
	}
	r->stats.answered++;
	r->stats.rcode[e->ans.rcode & 0x0f]++;
	s->stats.answered++;
	if (is_rcode_failure(e->ans.status)) {
		s->stats.rcode_failures++;
	}
	zs__dns_entry_unref(lk->result);
	lk->result = e;
	lk->server_of_reply = server;
	lk->reply_current = current;
	lookup_step(lk, ZS_LOOKUP_EV_REPLY);
}

void zs__lookup_on_tcp_error(struct zs__dns_lookup *lk)
{
	lookup_step(lk, ZS_LOOKUP_EV_TCP_ERROR);
}

void zs__lookup_on_send_error(struct zs__dns_lookup *lk)
{
	lookup_step(lk, ZS_LOOKUP_EV_NET_ERROR);
}

/* ---- the API ------------------------------------------------------------------------------ */

static int check_opts(struct zs_resolver_opts *o)
{
	if (o->server_count == 0 || o->server_count > ZS_RESOLVER_MAX_SERVERS) {
		return ZS_ERR_USAGE;
	}
	for (size_t i = 0; i < o->server_count; i++) {
		sa_family_t f = o->servers[i].ss_family;
		if (f != AF_INET && f != AF_INET6) {
			return ZS_ERR_USAGE;
		}
	}
	if (o->tries > ZS_DNS_MAX_TRIES || o->udp_sockets > ZS_DNS_UDP_PER_SERVER_MAX ||
	    o->max_cname > ZS_DNS_CNAME_LIMIT || o->qps < 0 ||
	    (o->edns_size != 0 && o->edns_size < 512)) {
		return ZS_ERR_USAGE;
	}
	o->timeout_ms = o->timeout_ms ? o->timeout_ms : 2000;
	o->tries = o->tries ? o->tries : 3;
	o->max_inflight = o->max_inflight ? o->max_inflight : 500;
	o->edns_size = o->edns_size ? o->edns_size : 1232;
	o->cache_max = o->cache_max ? o->cache_max : 1000000;
	o->cache_max_bytes = o->cache_max_bytes ? o->cache_max_bytes : 64u << 20;
	o->ttl_cap = o->ttl_cap ? o->ttl_cap : 86400;
	o->max_cname = o->max_cname ? o->max_cname : 8;
	o->udp_sockets = o->udp_sockets ? o->udp_sockets : 4;
	o->udp_rotate = o->udp_rotate ? o->udp_rotate : 10000;
	o->tcp_conns = o->tcp_conns ? o->tcp_conns : 4;
	o->tcp_pipeline = o->tcp_pipeline ? o->tcp_pipeline : 64;
	o->tcp_idle_ms = o->tcp_idle_ms ? o->tcp_idle_ms : 5000;
	o->udp_rcvbuf = o->udp_rcvbuf ? o->udp_rcvbuf : 1 << 20;
	return 0;
}

void zs_resolver_addr_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		(void)uv_ip4_name(in, ip, sizeof(ip));
		(void)snprintf(out, cap, "%s:%d", ip, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		(void)uv_ip6_name(in6, ip, sizeof(ip));
		(void)snprintf(out, cap, "[%s]:%d", ip, ntohs(in6->sin6_port));
	}
}

static void own_handle_closed(uv_handle_t *h)
{
	zs__resolver_handle_closed(h->data);
}

static void close_handles(struct zs_resolver *r)
{
	zs__udp_close_all(r);
	zs__tcp_close_all(r);
	uv_close((uv_handle_t *)&r->kick, own_handle_closed);
	uv_close((uv_handle_t *)&r->flush, own_handle_closed);
	r->outbox->count = 0;
	uv_close((uv_handle_t *)&r->deadline_timer, own_handle_closed);
	uv_close((uv_handle_t *)&r->pace_timer, own_handle_closed);
}

/*
 * The engine's descriptor budget (reliability note 1.13): per server its UDP sockets, as many
 * again while rotated ones finish, and its TCP connections; plus a reserve for the rest of the
 * process (database, zone, outputs, libuv). Raise the soft limit to it when the hard limit
 * allows; say so when it does not (a socket that cannot be opened is a network error for the
 * questions it would carry, never a crash).
 */
static void check_fd_budget(const struct zs_resolver_opts *o)
{
	rlim_t need = (rlim_t)o->server_count * (2 * o->udp_sockets + o->tcp_conns) + 64;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need) {
		return;
	}
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need) {
		zs_log_debug(ZS_LOG_DNS, "open-file limit raised from %llu to %llu",
		             (unsigned long long)was, (unsigned long long)rl.rlim_cur);
		return;
	}
	zs_log_warn(ZS_LOG_DNS,
	            "open-file limit %llu is below the %llu descriptors the DNS engine may use: "
	            "raise it (ulimit -n), or some queries will end as network errors",
	            (unsigned long long)was, (unsigned long long)need);
}

int zs_resolver_new(uv_loop_t *loop, const struct zs_resolver_opts *opts, struct zs_resolver **out)
{
	ZS_REQUIRE(loop != NULL && opts != NULL && out != NULL);
	struct zs_resolver_opts o = *opts;
	int ret = check_opts(&o);
	if (ret != 0) {
		return ret;
	}
	uint8_t key[16];
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		return -errno;
	}
	check_fd_budget(&o);
	struct zs_resolver *r = zs_calloc(1, sizeof(*r));
	r->loop = loop;
	r->opts = o;
	r->rnd_pos = sizeof(r->rnd);
	r->rbuf = zs_malloc(ZS_DNS_UDP_RECV_BUF);
	r->outbox = zs_malloc(sizeof(*r->outbox));
	r->outbox->count = 0;
	for (size_t i = 0; i < o.server_count; i++) {
		struct zs__dns_server *s = &r->servers[i];
		s->addr = o.servers[i];
		zs_resolver_addr_name(&s->addr, s->name, sizeof(s->name));
		zs__dns_list_init(&s->tcp);
		zs__dns_list_init(&s->tcp_wait);
	}
	/* one key for both tables: a question is hashed once for the cache and the lookups */
	zs__dns_cache_init(&r->cache, o.cache_max, o.cache_max_bytes, key);
	zs__dns_table_init(&r->lookups, key);
	zs__dns_list_init(&r->waiting);
	zs__dns_list_init(&r->paced);
	zs__dns_list_init(&r->ready);
	zs__dns_list_init(&r->udp_all);
	for (unsigned i = 0; i < ZS_DNS_MAX_TRIES; i++) {
		zs__dns_list_init(&r->deadlines[i]);
	}
	r->tokens = 1.0;
	r->tokens_at = uv_now(loop);
	(void)uv_idle_init(loop, &r->kick);
	(void)uv_check_init(loop, &r->flush);
	r->flush.data = r;
	(void)uv_timer_init(loop, &r->deadline_timer);
	(void)uv_timer_init(loop, &r->pace_timer);
	r->kick.data = r;
	r->deadline_timer.data = r;
	r->pace_timer.data = r;
	r->handles = 4;
	ret = zs__udp_open_all(r);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DNS, "cannot open UDP sockets: %s", zs_err_name(ret));
		/* handles are released by the loop; no callback is due */
		r->closing = true;
		close_handles(r);
		return ret;
	}
	*out = r;
	return 0;
}

int zs_resolver_query(struct zs_resolver *r, const char *name, uint16_t type, zs_resolver_cb cb,
                      void *arg, struct zs_dns_query **handle)
{
	ZS_REQUIRE(r != NULL && name != NULL && cb != NULL);
	if (r->closing) {
		return ZS_ERR_USAGE;
	}
	struct zs_dns_query *qu = query_alloc(r);
	qu->cb = cb;
	qu->arg = arg;
	r->stats.questions++;
	r->pending_questions++;
	if (handle != NULL) {
		*handle = qu;
	}

	struct zs__dns_question q;
	q.type = type;
	q.qclass = ZS_DNS_CLASS_IN;
	if (zs__dns_name_from_text(name, &q) != 0) {
		make_ready(r, qu, zs__dns_entry_new_status(NULL, ZS_DNS_BADNAME, 0), false);
		return 0;
	}
	/* the cache and the lookups share the hash key: one hash serves both */
	uint64_t hash = zs__dns_table_hash(&r->lookups, q.name, q.name_len, type);
	if (!r->opts.no_cache) {
		struct zs__dns_entry *e = zs__dns_cache_get(&r->cache, hash, q.name, q.name_len,
		                                            type, uv_now(r->loop));
		if (e != NULL) {
			r->stats.cache_hits++;
			make_ready(r, qu, e, true);
			return 0;
		}
	}
	struct zs__dns_node *n = zs__dns_table_find(&r->lookups, hash, q.name, q.name_len, type);
	struct zs__dns_lookup *lk;
	if (n != NULL) {
		r->stats.coalesced++;
		lk = ZS_DNS_CONTAINER(n, struct zs__dns_lookup, node);
	} else {
		lk = lookup_new(r, &q, hash);
		kick(r);
	}
	qu->lk = lk;
	zs__dns_list_push(&lk->waiters, &qu->link);
	return 0;
}

static void lookup_abort(struct zs__dns_lookup *lk)
{
	lookup_detach(lk);
	set_state(lk, ZS_LOOKUP_DONE);
	lookup_free(lk);
}

void zs_resolver_cancel(struct zs_resolver *r, struct zs_dns_query *qu)
{
	if (qu == NULL || qu->running || r->closing) {
		return;
	}
	if (qu->entry != NULL) {
		zs__dns_list_remove(&qu->link);
		zs__dns_entry_unref(qu->entry);
	} else if (qu->lk != NULL) {
		struct zs__dns_lookup *lk = qu->lk;
		zs__dns_list_remove(&qu->link);
		if (zs__dns_list_empty(&lk->waiters)) {
			lookup_abort(lk);
		}
	}
	r->pending_questions--;
	r->stats.cancelled++;
	query_free(r, qu);
	sync_gauges(r);
}

const struct zs_resolver_stats *zs_resolver_stats(struct zs_resolver *r)
{
	zs__udp_read_drops(r);
	return &r->stats;
}

const struct zs_resolver_server_stats *zs_resolver_server_stats(const struct zs_resolver *r,
                                                                size_t i)
{
	return i < r->opts.server_count ? &r->servers[i].stats : NULL;
}

size_t zs_resolver_pending(const struct zs_resolver *r)
{
	return r->pending_questions;
}

void zs__resolver_handle_closed(struct zs_resolver *r)
{
	assert(r->handles > 0);
	if (--r->handles > 0) {
		return;
	}
	zs__dns_cache_deinit(&r->cache);
	zs__dns_table_deinit(&r->lookups);
	zs__udp_deinit(r);
	while (r->free_lookups != NULL) {
		struct zs__dns_lookup *next = r->free_lookups->free_next;
		zs_free(r->free_lookups);
		r->free_lookups = next;
	}
	while (r->free_queries != NULL) {
		struct zs_dns_query *next = (struct zs_dns_query *)(void *)r->free_queries->lk;
		zs_free(r->free_queries);
		r->free_queries = next;
	}
	zs_free(r->rbuf);
	zs_free(r->outbox);
	if (r->close_cb != NULL) {
		r->close_cb(r, r->close_arg);
	}
	zs_free(r);
}

void zs_resolver_close(struct zs_resolver *r, zs_resolver_close_cb close_cb, void *arg)
{
	if (r->closing) {
		return;
	}
	r->closing = true;
	r->close_cb = close_cb;
	r->close_arg = arg;
	for (struct zs__dns_link *l = zs__dns_list_pop(&r->ready); l != NULL;
	     l = zs__dns_list_pop(&r->ready)) {
		struct zs_dns_query *qu = ZS_DNS_CONTAINER(l, struct zs_dns_query, link);
		zs__dns_entry_unref(qu->entry);
		zs_free(qu);
	}
	/* Removing a slot's node shifts later nodes back into it, never into a slot before it. */
	for (size_t b = 0; b <= r->lookups.mask; b++) {
		while (r->lookups.slots[b].node != NULL) {
			struct zs__dns_lookup *lk = ZS_DNS_CONTAINER(r->lookups.slots[b].node,
			                                             struct zs__dns_lookup, node);
			for (struct zs__dns_link *l = zs__dns_list_pop(&lk->waiters); l != NULL;
			     l = zs__dns_list_pop(&lk->waiters)) {
				zs_free(ZS_DNS_CONTAINER(l, struct zs_dns_query, link));
			}
			lookup_abort(lk);
		}
	}
	assert(r->lookups.count == 0);
	r->pending_questions = 0;
	close_handles(r);
}

/* ---- counters as JSON --------------------------------------------------------------------- */

int zs_resolver_stats_json(struct zs_resolver *r, struct zs_json *j)
{
	const struct zs_resolver_stats *s = zs_resolver_stats(r);

	zs_json_obj_begin(j);
#define K(field) zs_json_kint(j, #field, (long long)s->field)
	K(questions);
	K(lookups);
	K(sent);
	K(answered);
	K(retried);
	K(timeouts);
	K(truncated);
	K(tcp_fallbacks);
	K(mismatched);
	K(mismatch_source);
	K(mismatch_id);
	K(mismatch_question);
	K(malformed);
	K(cache_hits);
	K(coalesced);
	K(cancelled);
	K(peak_inflight);
	K(rcode_retries);
	K(tcp_connects);
	K(tcp_reused);
	K(tcp_errors);
	K(tcp_truncated);
	K(send_errors);
	K(recv_errors);
	K(udp_rotations);
	K(udp_drops);
	K(cache_inserts);
	K(cache_evictions);
	K(cache_entries);
	K(cache_bytes);
	K(rate_waits);
#undef K
	zs_json_key(j, "rcode");
	zs_json_obj_begin(j);
	for (int i = 0; i < 16; i++) {
		if (s->rcode[i] > 0) {
			char k[8];
			(void)snprintf(k, sizeof(k), "%d", i);
			zs_json_kint(j, k, (long long)s->rcode[i]);
		}
	}
	zs_json_obj_end(j);
	zs_json_key(j, "status");
	zs_json_obj_begin(j);
	for (int i = 0; i < ZS_DNS_STATUS_COUNT_; i++) {
		zs_json_kint(j, zs_dns_status_name((enum zs_dns_status)i), (long long)s->status[i]);
	}
	zs_json_obj_end(j);
	zs_json_key(j, "servers");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->opts.server_count; i++) {
		const struct zs__dns_server *sv = &r->servers[i];
		zs_json_obj_begin(j);
		zs_json_kstr(j, "server", sv->name);
		zs_json_kint(j, "sent", (long long)sv->stats.sent);
		zs_json_kint(j, "answered", (long long)sv->stats.answered);
		zs_json_kint(j, "timeouts", (long long)sv->stats.timeouts);
		zs_json_kint(j, "rcode_failures", (long long)sv->stats.rcode_failures);
		zs_json_kint(j, "marked_down", (long long)sv->stats.marked_down);
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
	zs_json_obj_end(j);
	return zs_json_error(j);
}

/* ---- addresses ---------------------------------------------------------------------------- */

static int parse_port(const char *text, int *port)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 1 || v > 65535) {
		return ZS_ERR_USAGE;
	}
	*port = (int)v;
	return 0;
}

int zs_resolver_parse_addr(const char *text, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN + 16];
	int port = 53;
	const char *colon = strchr(text, ':');
	size_t len;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL) {
			return ZS_ERR_USAGE;
		}
		len = (size_t)(close - text - 1);
		if (close[1] == ':') {
			if (parse_port(close + 2, &port) != 0) {
				return ZS_ERR_USAGE;
			}
		} else if (close[1] != '\0') {
			return ZS_ERR_USAGE;
		}
		text++;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		len = (size_t)(colon - text); /* one colon: IPv4 and a port */
		if (parse_port(colon + 1, &port) != 0) {
			return ZS_ERR_USAGE;
		}
	} else {
		len = strlen(text); /* no colon (IPv4) or several (bare IPv6) */
	}
	if (len == 0 || len >= sizeof(host)) {
		return ZS_ERR_USAGE;
	}
	memcpy(host, text, len);
	host[len] = '\0';
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
	    (strchr(host, ':') == NULL ||
	     uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)) {
		return ZS_ERR_USAGE;
	}
	*out = ss;
	return 0;
}

int zs_resolver_from_resolv_conf(const char *path, struct sockaddr_storage *out)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -errno;
	}
	char line[512];
	int ret = ZS_ERR_NOTFOUND;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line;
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t')) {
			continue;
		}
		p += 10;
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		size_t n = strcspn(p, " \t\r\n#;");
		if (n == 0) {
			continue;
		}
		p[n] = '\0';
		/* resolv.conf gives a bare address: its colons are IPv6, never a port */
		char bracketed[INET6_ADDRSTRLEN + 8];
		if (strchr(p, ':') != NULL && n + 3 <= sizeof(bracketed)) {
			(void)snprintf(bracketed, sizeof(bracketed), "[%s]", p);
			p = bracketed;
		}
		if (zs_resolver_parse_addr(p, out) == 0) {
			ret = 0;
			break;
		}
	}
	(void)fclose(f);
	return ret;
}
