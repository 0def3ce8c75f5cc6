/* SPDX-License-Identifier: MIT */
/*
 * What resolver.c (questions, lookups, pacing, delivery), udp.c (the socket pool) and tcp.c
 * (pipelined connections) share. A question (struct zs_dns_query) waits on a lookup, one per
 * distinct (name, type) in flight, so that identical questions coalesce; a lookup owns the
 * tries sent for it and is driven by lookup_step() alone (STYLE.md section 5). Nothing here
 * calls back into the user: finished questions go to a ready list that an idle handle drains,
 * so user code never runs in the middle of the engine's own bookkeeping.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "scanner/dns/cache_int.h"
#include "scanner/dns/resolver.h"
#include "scanner/dns/wire_int.h"

enum {
	ZS_DNS_MAX_TRIES = 8,                 /**< cap on opts.tries */
	ZS_DNS_UDP_PER_SERVER_MAX = 16,       /**< cap on opts.udp_sockets */
	ZS_DNS_BACKOFF_MAX_MS = 60000,        /**< cap on one try's timeout */
	ZS_DNS_SERVER_DOWN_AFTER = 3,         /**< timeouts in a row that mark a server down */
	ZS_DNS_SERVER_DOWN_MS = 5000,         /**< how long a down server is avoided */
	ZS_DNS_DELIVER_BATCH = 1024,          /**< callbacks run per loop iteration at most */
	ZS_DNS_PUMP_BATCH = 512,              /**< new tries sent per loop iteration at most */
	ZS_DNS_UDP_RECV_BUF = 16 * 64 * 1024, /**< recvmmsg() reads up to 16 datagrams at once */
	ZS_DNS_FREE_LIST_MAX = 1024,          /**< lookups and questions kept for reuse */
	ZS_DNS_OUTBOX = 64,                   /**< UDP packets sent with one sendmmsg() at most */
	ZS_DNS_TCP_BUF = 2 + ZS_DNS_MSG_MAX,
};

/** An intrusive doubly linked list; a list head is a link whose ends point to itself. */
struct zs__dns_link {
	struct zs__dns_link *prev;
	struct zs__dns_link *next;
};

static inline void zs__dns_list_init(struct zs__dns_link *head)
{
	head->prev = head;
	head->next = head;
}

static inline bool zs__dns_list_empty(const struct zs__dns_link *head)
{
	return head->next == head;
}

static inline bool zs__dns_linked(const struct zs__dns_link *l)
{
	return l->next != NULL;
}

static inline void zs__dns_list_push(struct zs__dns_link *head, struct zs__dns_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static inline void zs__dns_list_remove(struct zs__dns_link *l)
{
	if (l->next != NULL) {
		l->prev->next = l->next;
		l->next->prev = l->prev;
		l->prev = NULL;
		l->next = NULL;
	}
}

static inline struct zs__dns_link *zs__dns_list_pop(struct zs__dns_link *head)
{
	if (zs__dns_list_empty(head)) {
		return NULL;
	}
	struct zs__dns_link *l = head->next;
	zs__dns_list_remove(l);
	return l;
}

#define ZS_DNS_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/** States of a lookup; only lookup_step() (through set_state()) changes them. */
#define ZS_LOOKUP_STATE_MAP(XX)                                          \
	XX(QUEUED, "queued") /* waiting for an in-flight slot */         \
	XX(PACED, "paced")   /* holds a slot, waits for a rate token */  \
	XX(UDP, "udp")       /* a UDP try is on the wire */              \
	XX(TCP, "tcp")       /* a TCP try: connecting, queued or sent */ \
	XX(DONE, "done")

enum zs__lookup_state {
#define XX(name, text) ZS_LOOKUP_##name,
	ZS_LOOKUP_STATE_MAP(XX)
#undef XX
};

/** What happens to a lookup. */
enum zs__lookup_event {
	ZS_LOOKUP_EV_SEND,      /**< slot and token granted: send the next try */
	ZS_LOOKUP_EV_REPLY,     /**< an accepted reply was decoded into lk->result */
	ZS_LOOKUP_EV_TRUNCATED, /**< an accepted UDP reply has TC=1 */
	ZS_LOOKUP_EV_TIMEOUT,   /**< the current try's deadline passed */
	ZS_LOOKUP_EV_TCP_ERROR, /**< the TCP connection failed, or a TCP reply had TC=1 */
	ZS_LOOKUP_EV_NET_ERROR, /**< sending failed */
};

struct zs__dns_udp;
struct zs__dns_tcp;
struct zs__dns_lookup;

/** One UDP try of a lookup, registered under (socket, ID) until the lookup ends. */
struct zs__dns_try {
	struct zs__dns_try *next; /**< chain of the pending map */
	uint64_t key;             /**< socket id << 16 | query ID */
	struct zs__dns_lookup *lk;
	struct zs__dns_udp *sock;
	unsigned server;
	bool registered;
};

/** A distinct question in flight; every struct zs_dns_query asking it waits on it. */
struct zs__dns_lookup {
	struct zs__dns_node node; /**< key in r->lookups; name points to q.name */
	struct zs_resolver *r;
	struct zs__dns_lookup *free_next; /**< next in r->free_lookups */
	enum zs__lookup_state state;
	struct zs__dns_question q;
	struct zs__dns_link waiters;    /**< struct zs_dns_query waiting */
	struct zs__dns_link qlink;      /**< in r->waiting, r->paced or a server's tcp_wait */
	struct zs__dns_link dlink;      /**< in r->deadlines[try] while a try runs */
	struct zs__dns_link tlink;      /**< in its TCP connection's list */
	uint64_t deadline;              /**< loop ms when the current try times out */
	size_t wire_len;                /**< bytes of the packet in @a wire (0: not built yet) */
	unsigned tries;                 /**< tries sent */
	unsigned next_server;           /**< where the server rotation continues */
	unsigned server;                /**< server of the current try */
	uint8_t rcode_failed;           /**< servers (bits) that answered SERVFAIL/REFUSED/... */
	bool has_slot;                  /**< counted in r->inflight */
	bool use_tcp;                   /**< TC seen: every further try goes over TCP */
	struct zs__dns_tcp *conn;       /**< connection of the current TCP try */
	uint16_t tcp_id;                /**< query ID on that connection */
	bool tcp_written;               /**< the query was handed to the connection */
	enum zs_dns_status fail_status; /**< the most telling failure so far */
	uint8_t fail_rcode;             /**< its rcode, for rcode failures */
	struct zs__dns_entry *result;   /**< the decoded reply of ZS_LOOKUP_EV_REPLY */
	unsigned server_of_reply;       /**< server of the reply being handled */
	bool reply_current;             /**< that reply answers the current try */
	struct zs__dns_try udp[ZS_DNS_MAX_TRIES];
	uint8_t wire[ZS_DNS_QUERY_MAX]; /**< query packet after its 2-byte TCP length prefix */
};

/** What became of a question the user asked (the opaque handle of resolver.h). */
struct zs_dns_query {
	struct zs__dns_link link; /**< in its lookup's waiters or in r->ready */
	zs_resolver_cb cb;
	void *arg;
	struct zs__dns_lookup *lk;   /**< while waiting */
	struct zs__dns_entry *entry; /**< while ready: the answer to tell */
	bool from_cache;
	bool running; /**< its callback is running */
};

/** One UDP socket: connected to one server, on a port the kernel picked. */
struct zs__dns_udp {
	uv_udp_t handle;
	struct zs__dns_link link; /**< in r->udp_all */
	struct zs_resolver *r;
	unsigned server;
	uint32_t id;          /**< part of the pending map key */
	uint64_t sends;       /**< packets sent, for rotation */
	uint32_t drops;       /**< the kernel's drop count of the socket when last read */
	unsigned outstanding; /**< tries registered on it */
	bool retiring;        /**< no new tries; closed when outstanding reaches 0 */
	bool closing;
};

/** States of a TCP connection. */
enum zs__tcp_state {
	ZS_TCP_CONNECTING,
	ZS_TCP_OPEN,
	ZS_TCP_CLOSING,
};

/** A TCP connection to a server, carrying pipelined queries (RFC 7766). */
struct zs__dns_tcp {
	uv_tcp_t handle;
	uv_timer_t timer; /**< connect, read and idle timeouts */
	uv_connect_t connect_req;
	struct zs__dns_link link; /**< in its server's tcp list while not closing */
	struct zs_resolver *r;
	unsigned server;
	enum zs__tcp_state state;
	bool failed;                 /**< a write failed: fail it from the timer */
	unsigned handles;            /**< open handles; freed at zero */
	struct zs__dns_link lookups; /**< lookups whose query is on it */
	unsigned outstanding;        /**< lookups in @a lookups */
	uint64_t queries;            /**< queries written, for the reuse counter */
	uint8_t *rbuf;               /**< frames being read */
	size_t rlen;
};

/** One configured resolver. */
struct zs__dns_server {
	struct sockaddr_storage addr;
	char name[64];                                      /**< "addr#port" for logs */
	struct zs__dns_udp *udp[ZS_DNS_UDP_PER_SERVER_MAX]; /**< active sockets */
	unsigned udp_next;                                  /**< rotation over @a udp */
	struct zs__dns_link tcp;                            /**< open and connecting connections */
	unsigned tcp_count;                                 /**< in @a tcp */
	struct zs__dns_link tcp_wait; /**< lookups waiting for room on a connection */
	unsigned timeouts_in_row;
	uint64_t down_until; /**< loop ms; avoided until then */
	bool unusable;       /**< its sockets cannot be opened (no route, no IPv6): never asked */
	struct zs_resolver_server_stats stats;
};

/**
 * UDP packets waiting to be sent: copied here by zs__udp_send() and sent in batches with
 * sendmmsg(), from the idle handle (before the loop polls) or the check handle (after it), so
 * that a burst of tries costs a few system calls and wakes the server up a few times.
 */
struct zs__dns_outbox {
	size_t count;
	struct zs__dns_udp *sock[ZS_DNS_OUTBOX];
	uint64_t key[ZS_DNS_OUTBOX]; /**< of the try, to report a failed send */
	uint16_t len[ZS_DNS_OUTBOX];
	uint8_t data[ZS_DNS_OUTBOX][ZS_DNS_QUERY_MAX];
};

/** The pending map of UDP tries, keyed by (socket, ID). */
struct zs__dns_pending {
	struct zs__dns_try **buckets;
	size_t mask;
	size_t count;
};

struct zs_resolver {
	uv_loop_t *loop;
	struct zs_resolver_opts opts; /**< with defaults filled in */
	struct zs_resolver_stats stats;
	struct zs__dns_server servers[ZS_RESOLVER_MAX_SERVERS];
	unsigned server_rr; /**< where the next lookup starts its server rotation */
	struct zs__dns_cache cache;
	struct zs__dns_table lookups; /**< in flight (and queued), by (name, type) */
	struct zs__dns_pending pending;
	struct zs__dns_link waiting; /**< lookups waiting for a slot */
	struct zs__dns_link paced;   /**< lookups with a slot waiting for a token */
	struct zs__dns_link ready;   /**< questions to tell */
	struct zs__dns_link deadlines[ZS_DNS_MAX_TRIES]; /**< per try index, in deadline order */
	struct zs__dns_link udp_all; /**< every UDP socket, active or retiring */
	uv_idle_t kick;              /**< drains ready and sends queued tries */
	uv_timer_t deadline_timer;
	uint64_t deadline_due; /**< when deadline_timer fires, 0 when idle */
	uv_timer_t pace_timer;
	double tokens;            /**< token bucket */
	uint64_t tokens_at;       /**< loop ms of the last refill */
	size_t inflight;          /**< lookups holding a slot */
	size_t waiting_count;     /**< lookups in @a waiting */
	size_t pending_questions; /**< struct zs_dns_query alive */
	uint32_t next_sock_id;
	uint8_t rnd[256]; /**< getrandom() pool */
	size_t rnd_pos;
	unsigned handles; /**< open handles; the resolver is freed at zero */
	bool closing;
	bool rcvbuf_warned; /**< the receive buffer was smaller than asked (said once) */
	zs_resolver_close_cb close_cb;
	void *close_arg;
	struct zs__dns_lookup *free_lookups; /**< for reuse, chained through free_next */
	size_t free_lookup_count;
	struct zs_dns_query *free_queries; /**< for reuse, chained through lk */
	size_t free_query_count;
	uint8_t *rbuf; /**< every UDP datagram is read here (ZS_DNS_UDP_RECV_BUF bytes) */
	struct zs__dns_outbox *outbox;
	uv_check_t flush; /**< sends the outbox after the loop polled */
};

/* resolver.c */

/** Random bytes from the getrandom() pool (aborts if the kernel has none to give). */
void zs__dns_random(struct zs_resolver *r, void *out, size_t len);

/**
 * A reply passed the check for lk->q (from UDP or TCP): count it, and drive the lookup.
 * @param server  index of the server it came from
 * @param tcp  it came over TCP
 * @param current  it answers the try under way (not an earlier one)
 */
void zs__lookup_on_reply(struct zs__dns_lookup *lk, unsigned server, const uint8_t *pkt, size_t len,
                         bool tcp, bool current);

/** A TCP connection failed under a lookup. */
void zs__lookup_on_tcp_error(struct zs__dns_lookup *lk);

/** Sending the lookup's current UDP try failed. */
void zs__lookup_on_send_error(struct zs__dns_lookup *lk);

/** Count a rejected datagram by reason. */
void zs__dns_count_verdict(struct zs_resolver *r, enum zs__dns_verdict v);

/** Make the idle handle run (it delivers, sends queued tries and flushes the outbox). */
void zs__resolver_kick(struct zs_resolver *r);

/** A handle of the resolver's own (not a socket's) was closed. */
void zs__resolver_handle_closed(struct zs_resolver *r);

/**
 * Timeout of try number @p try (0 first) given the first timeout: doubled each time, capped at
 * ZS_DNS_BACKOFF_MAX_MS.
 */
uint64_t zs__dns_backoff_ms(unsigned base_ms, unsigned try);

/* udp.c */

/**
 * Open the UDP sockets of every server; a server whose sockets cannot be opened is marked
 * unusable and logged.
 * @return 0 when at least one server is usable, else the last -errno of libuv
 */
int zs__udp_open_all(struct zs_resolver *r);

/**
 * Register a UDP try of the lookup to a server and put its packet in the outbox.
 * @return 0 or a -errno of libuv (nothing registered)
 */
int zs__udp_send(struct zs__dns_lookup *lk, unsigned server);

/** Send what the outbox holds; failed sends are reported to their lookups. */
void zs__udp_flush(struct zs_resolver *r);

/** Forget every UDP try of a lookup (late replies to them are then unknown). */
void zs__udp_unregister(struct zs__dns_lookup *lk);

/** Close every UDP socket (resolver closing). */
void zs__udp_close_all(struct zs_resolver *r);

/** Bring stats.udp_drops up to date from the open sockets' kernel counters. */
void zs__udp_read_drops(struct zs_resolver *r);

/** Release the pending map. */
void zs__udp_deinit(struct zs_resolver *r);

/* tcp.c */

/**
 * Put a lookup's query on a TCP connection to a server: an open one with room, a new one, or
 * the server's wait list when the connection limit is reached.
 * @return 0, or a -errno of libuv when no connection can be opened
 */
int zs__tcp_send(struct zs__dns_lookup *lk, unsigned server);

/** Take a lookup off its connection or the server's wait list. */
void zs__tcp_detach(struct zs__dns_lookup *lk);

/** Close every connection (resolver closing). */
void zs__tcp_close_all(struct zs_resolver *r);
