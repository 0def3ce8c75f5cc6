/* SPDX-License-Identifier: MIT */
/*
 * The asynchronous DNS client of the sweep, on a libuv loop: it asks configured recursive
 * resolvers over UDP (EDNS0) with TCP fallback, matches every reply strictly, retries and
 * fails over, paces itself, caches answers for the run and coalesces identical questions, and
 * tells exactly what became of each question (answer.h). It never uses the ldns resolver:
 * packets are built and read by wire.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "scanner/base/answer.h"

struct zs_resolver;
struct zs_dns_query;
struct zs_json;

enum { ZS_RESOLVER_MAX_SERVERS = 8 };

struct zs_resolver_opts {
	size_t server_count;
	struct sockaddr_storage servers[ZS_RESOLVER_MAX_SERVERS]; /**< resolvers to ask */
	unsigned timeout_ms;   /**< first per-try timeout (0: 2000), doubled on each retry */
	unsigned tries;        /**< tries per question over all servers (0: 3, at most 8) */
	unsigned max_inflight; /**< queries on the wire at once (0: 500) */
	double qps;            /**< global rate limit, queries per second (0: unlimited) */
	uint16_t edns_size;    /**< EDNS0 buffer size advertised (0: 1232) */
	size_t cache_max;      /**< answers kept in the run's cache (0: 1,000,000) */
	uint32_t ttl_cap;      /**< cap on cached TTLs, seconds (0: 86400) */
	bool validating;       /**< the resolvers validate DNSSEC: keep the AD bit meaningful */
	unsigned max_cname;    /**< CNAME chain length before ZS_DNS_CNAME_LOOP (0: 8) */
	/* Added with the engine (zero means the default everywhere): */
	size_t cache_max_bytes; /**< bytes of answers kept in the cache (0: 64 MiB) */
	bool no_cache;          /**< cache nothing (in-flight questions still coalesce) */
	unsigned udp_sockets;   /**< UDP sockets per server (0: 4, at most 16) */
	unsigned udp_rotate;   /**< queries sent on a UDP socket before it is replaced (0: 10000) */
	unsigned tcp_conns;    /**< TCP connections per server (0: 4) */
	unsigned tcp_pipeline; /**< queries outstanding on one TCP connection (0: 64) */
	unsigned tcp_idle_ms;  /**< idle TCP connections are closed after this (0: 5000) */
	int udp_rcvbuf;        /**< SO_RCVBUF asked for each UDP socket (0: 1 MiB, -1: leave) */
};

/** Counters of one configured server. */
struct zs_resolver_server_stats {
	uint64_t sent;           /**< packets sent to it (UDP and TCP) */
	uint64_t answered;       /**< replies accepted from it */
	uint64_t timeouts;       /**< tries to it that timed out */
	uint64_t rcode_failures; /**< SERVFAIL, REFUSED, FORMERR or other failure rcodes */
	uint64_t marked_down;    /**< times it was avoided after timeouts in a row */
};

/** Counters of a resolver, stored with the run and printed at the end. */
struct zs_resolver_stats {
	uint64_t questions; /**< zs_resolver_query() calls */
	uint64_t sent;      /**< packets sent (UDP and TCP) */
	uint64_t answered;  /**< replies accepted */
	uint64_t retried;   /**< retransmissions */
	uint64_t timeouts;  /**< questions that ended in ZS_DNS_TIMEOUT */
	uint64_t truncated; /**< UDP replies with TC=1 */
	uint64_t tcp_fallbacks;
	uint64_t mismatched; /**< datagrams ignored: wrong source, id or question, malformed */
	uint64_t cache_hits;
	uint64_t coalesced; /**< questions joined to one already in flight */
	uint64_t peak_inflight;
	uint64_t rcode[16];                    /**< replies per rcode */
	uint64_t status[ZS_DNS_STATUS_COUNT_]; /**< final statuses delivered */
	/* Added with the engine: */
	uint64_t lookups;           /**< distinct questions sent to the network */
	uint64_t cancelled;         /**< questions withdrawn */
	uint64_t mismatch_source;   /**< part of mismatched: from another address or port */
	uint64_t mismatch_id;       /**< part of mismatched: unknown ID (late, spoofed) */
	uint64_t mismatch_question; /**< part of mismatched: QR, opcode, QDCOUNT or question */
	uint64_t malformed;         /**< part of mismatched: unparsable or cut datagram */
	uint64_t rcode_retries;     /**< retries on another server after SERVFAIL/REFUSED/... */
	uint64_t tcp_connects;      /**< TCP connections opened */
	uint64_t tcp_reused;        /**< queries sent on an already used connection */
	uint64_t tcp_errors;        /**< connections failed (refused, reset, closed mid-answer) */
	uint64_t tcp_truncated;     /**< TCP replies with TC=1 (an error) */
	uint64_t send_errors;       /**< sends that failed locally */
	uint64_t recv_errors;       /**< receive errors (ICMP unreachable...) */
	uint64_t udp_rotations;     /**< UDP sockets replaced by a fresh port */
	uint64_t udp_drops; /**< datagrams the kernel dropped at our sockets (buffer full) */
	uint64_t cache_inserts;
	uint64_t cache_evictions; /**< entries dropped to stay within bounds */
	uint64_t cache_entries;   /**< entries now */
	uint64_t cache_bytes;     /**< bytes now */
	uint64_t inflight;        /**< queries on the wire now */
	uint64_t queued;          /**< distinct questions waiting for a slot now */
	uint64_t rate_waits;      /**< times sending waited for the rate limit */
};

/**
 * Called once per question, unless it was cancelled, always from the loop (never from inside
 * zs_resolver_query()).
 * @param ans  the outcome; valid only during the call (copy what you keep)
 * @param arg  the argument given to zs_resolver_query()
 */
typedef void (*zs_resolver_cb)(const struct zs_answer *ans, void *arg);

/** Called when the resolver is closed and every handle is released. */
typedef void (*zs_resolver_close_cb)(struct zs_resolver *r, void *arg);

/**
 * Create a resolver on a loop.
 * @param loop  the loop it runs on; must outlive the resolver
 * @param opts  options (copied)
 * @param[out] out  on success, the resolver, to be closed with zs_resolver_close()
 * @return 0, ZS_ERR_USAGE (no server, bad option) or -errno from socket set-up
 */
int zs_resolver_new(uv_loop_t *loop, const struct zs_resolver_opts *opts, struct zs_resolver **out);

/**
 * Ask a question. The callback runs later, exactly once, unless zs_resolver_cancel() is called.
 * CNAMEs are followed (the chain is in the answer).
 * @param name  the name, presentation form, with or without the final dot; copied
 * @param type  the record type (ZS_RR_*)
 * @param[out] handle  if not NULL, a handle for zs_resolver_cancel(), valid until the callback
 * @return 0, or ZS_ERR_USAGE when the resolver is closing
 */
int zs_resolver_query(struct zs_resolver *r, const char *name, uint16_t type, zs_resolver_cb cb,
                      void *arg, struct zs_dns_query **handle);

/** Withdraw a question: its callback will not run. */
void zs_resolver_cancel(struct zs_resolver *r, struct zs_dns_query *handle);

/**
 * The counters so far (the kernel's drop counts of the UDP sockets are read at this call).
 * @return owned by @p r
 */
const struct zs_resolver_stats *zs_resolver_stats(struct zs_resolver *r);

/**
 * The counters of one configured server.
 * @param i  index in opts.servers
 * @return owned by @p r, or NULL when @p i is out of range
 */
const struct zs_resolver_server_stats *zs_resolver_server_stats(const struct zs_resolver *r,
                                                                size_t i);

/**
 * Write the counters as one JSON object (for the run record and the end-of-run summary).
 * @param json  a writer (scanner/base/json.h) where a value may go
 * @return 0 or the writer's error (ZS_ERR_TOOBIG)
 */
int zs_resolver_stats_json(struct zs_resolver *r, struct zs_json *json);

/** Questions not yet answered (in flight, waiting for pacing, or coalesced). */
size_t zs_resolver_pending(const struct zs_resolver *r);

/**
 * Close the resolver: pending questions are cancelled (no callbacks), handles closed;
 * close_cb runs once everything is released, then the resolver is freed.
 */
void zs_resolver_close(struct zs_resolver *r, zs_resolver_close_cb close_cb, void *arg);

/** A resolver's address as --resolver takes it: "ADDR:PORT" or "[ADDR6]:PORT". */
void zs_resolver_addr_name(const struct sockaddr_storage *ss, char *out, size_t cap);

/**
 * Parse "ADDR[:PORT]" or "[ADDR6]:PORT" (port 53 by default).
 * @return 0 or ZS_ERR_USAGE
 */
int zs_resolver_parse_addr(const char *text, struct sockaddr_storage *out);

/**
 * Read the first "nameserver" of a resolv.conf file.
 * @return 0, ZS_ERR_NOTFOUND when it has none, or -errno
 */
int zs_resolver_from_resolv_conf(const char *path, struct sockaddr_storage *out);
