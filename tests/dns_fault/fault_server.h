/* SPDX-License-Identifier: MIT */
/*
 * A fault-injecting DNS server for tests: real UDP and TCP sockets on a loopback address and a
 * port the kernel picks (the same number for both), answering from a table and misbehaving on
 * request: dropping, delaying, answering SERVFAIL, truncating so that only TCP gets the answer,
 * sending a reply with a wrong ID, a wrong question or no question before the right one,
 * replying from another port, closing TCP in the middle of an answer, answering TC over TCP,
 * sending malformed packets. It runs on a libuv loop, the tests' own or that of the
 * standalone program zs-fault-dns (main.c), and counts what it saw.
 *
 * The table is made of directive lines (zs_fault_server_add(), or a file):
 *
 *   rule NAME TYPE [fault=KIND] [count=N] [delay=MS] [rcode=RCODE] [variant=N]
 *                  [answer=yes|no] [transport=any|udp|tcp] [ad=yes|no]
 *   rr   <a record in zone-file syntax>     answer section of the last rule
 *   auth <a record in zone-file syntax>     authority section of the last rule
 *
 * KIND is none, drop, delay, servfail, refused, formerr, truncate, wrong-id, wrong-question,
 * no-question, wrong-port, tcp-close, tcp-tc, malformed or oversize (the whole answer over UDP,
 * whatever the EDNS buffer size of the query); count=N applies the fault to the
 * first N matching queries only (default: all); answer=no leaves out the right answer after a
 * bad packet; rcode is the rcode of the rule's answer (noerror by default, nxdomain...);
 * variant picks the malformed packet (0..ZS_FAULT_MALFORMED_VARIANTS-1); ad=yes sets the AD bit
 * of the answer; transport limits the fault to queries over UDP or TCP. A question that no
 * rule matches gets REFUSED. An answer larger than the query's EDNS size (512 without EDNS) is
 * sent over UDP as an empty TC=1 reply, as a real server does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

struct zs_fault_server;

enum { ZS_FAULT_MALFORMED_VARIANTS = 10 };

/** What the server saw. */
struct zs_fault_stats {
	uint64_t udp_queries;     /**< datagrams received */
	uint64_t tcp_queries;     /**< TCP frames received */
	uint64_t tcp_connections; /**< TCP connections accepted */
	uint64_t replies;         /**< packets sent, bad ones included */
	uint64_t faults;          /**< queries that got a fault */
	uint64_t no_edns;         /**< queries without an OPT record */
	uint16_t last_edns_size;  /**< EDNS buffer size of the last query that had one */
	uint64_t unparsable;      /**< queries ldns could not parse */
};

/**
 * Start a server on @p ip (e.g. "127.0.0.1") and a port picked by the kernel.
 * @param[out] out  on success, the server, closed with zs_fault_server_close()
 * @return 0, ZS_ERR_USAGE (bad address) or a libuv -errno
 */
int zs_fault_server_new(uv_loop_t *loop, const char *ip, struct zs_fault_server **out);

/**
 * Add one directive line to the table.
 * @return 0 or ZS_ERR_PARSE (the line is wrong; nothing is added)
 */
int zs_fault_server_add(struct zs_fault_server *s, const char *line);

/**
 * Add every line of a file ('#' starts a comment).
 * @return 0, ZS_ERR_PARSE (a line is wrong; logged with its number) or -errno
 */
int zs_fault_server_load(struct zs_fault_server *s, const char *path);

/** The port of the server (UDP and TCP). */
uint16_t zs_fault_server_port(const struct zs_fault_server *s);

/** The address of the server, for the resolver's options. */
void zs_fault_server_addr(const struct zs_fault_server *s, struct sockaddr_storage *out);

/** Counters. @return owned by @p s */
const struct zs_fault_stats *zs_fault_server_stats(const struct zs_fault_server *s);

/**
 * Queries that matched a rule.
 * @param name  the rule's name as given; @param type  its type mnemonic ("MX")
 * @return how many, or 0 when there is no such rule
 */
uint64_t zs_fault_server_hits(const struct zs_fault_server *s, const char *name, const char *type);

/** Close the server; it is freed once the loop has run its close callbacks. */
void zs_fault_server_close(struct zs_fault_server *s);
