/* SPDX-License-Identifier: MIT */
/*
 * The produce/consume contract between the pure record code of scanner/policy and whoever
 * resolves names (the probe on the DNS engine, or a table in the tests). Every discovery
 * machine (DMARC, DKIM selectors, MX and reverse DNS, MTA-STS/TLS-RPT/BIMI) has the same two
 * calls, as Knot Resolver's lib/resolve.h produce/consume pair:
 *
 *   step(ctx, need, max, &n)   writes up to max new questions into need[] and says whether the
 *                              machine needs lookups, waits for answers, or is done;
 *   answer(ctx, id, answer)    hands back the answer to the question with that id.
 *
 * Independent questions (DKIM selectors, MX host addresses) are handed out together, so a
 * driver may have several outstanding at once and answer them in any order. Every question a
 * machine asks is kept with its final DNS status (struct zs_query), so a result can always tell
 * "no record" from "could not check".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"

struct zs_json;

/** What a step function returns. */
enum zs_policy_step {
	ZS_POLICY_DONE = 0,        /**< finished: the result can be read */
	ZS_POLICY_NEED_LOOKUP = 1, /**< new questions were written into the need array */
	ZS_POLICY_WAIT = 2, /**< nothing new to ask until outstanding questions are answered */
};

/** One DNS question a machine asks. */
struct zs_lookup {
	uint32_t id;      /**< give it back to the machine's answer function */
	uint16_t type;    /**< ZS_RR_TXT, ZS_RR_MX, ... */
	const char *name; /**< lower case, no final dot; owned by the machine's arena */
};

/**
 * One TXT record as published: its character-strings joined without separators (RFC 7208 3.3,
 * RFC 6376 3.6.2.2). The text may contain any byte, NUL included; it is NUL-terminated too.
 */
struct zs_txt {
	const char *text;
	size_t len;
	size_t strings; /**< how many character-strings it was made of */
};

/** One question a machine asked and what became of it. */
struct zs_query {
	uint32_t id;
	uint16_t type;
	const char *name;
	enum zs_dns_status status; /**< ZS_DNS_NOT_ASKED until answered */
	bool emitted;              /**< handed out by a step */
	bool answered;
	bool ad; /**< AD bit of the answer */
	size_t cname_count;
	const char **cname; /**< CNAME targets followed from @a name, in order */
	int purpose;        /**< the machine's own bookkeeping */
	size_t index;       /**< the machine's own bookkeeping */
};

/** Every question one machine asked, in the order it decided to ask them. */
struct zs_query_log {
	struct zs_query **q; /**< pointers, so that a query stays put while the log grows */
	size_t count;
	size_t cap;
	size_t emitted;  /**< queries handed out so far */
	size_t answered; /**< queries answered so far */
};

/**
 * The two calls of every machine, for drivers that run any of them alike. Each module defines
 * one (zs_dmarc_lookup_ops, zs_dkim_lookup_ops, zs_mx_lookup_ops, zs_sts_lookup_ops) whose
 * functions take the module's context as @p ctx.
 */
struct zs_lookup_ops {
	/**
	 * Advance the machine.
	 * @param need     room for @p max questions
	 * @param max      at least 1
	 * @param[out] n   how many questions were written
	 * @return ZS_POLICY_NEED_LOOKUP (n > 0), ZS_POLICY_WAIT or ZS_POLICY_DONE
	 */
	int (*step)(void *ctx, struct zs_lookup *need, size_t max, size_t *n);
	/**
	 * Answer a question. The answer is only read during the call: what the machine keeps is
	 * copied into its arena.
	 * @return 0, or ZS_ERR_NOTFOUND when @p id is unknown, not handed out or already answered
	 */
	int (*answer)(void *ctx, uint32_t id, const struct zs_answer *a);
};

/**
 * Write the questions as a JSON array of [name, type, status] arrays; a question that followed
 * CNAMEs or got the AD bit has a fourth element {"cname": [...], "ad": true}.
 */
void zs_query_log_json(struct zs_json *j, const struct zs_query_log *log);

/**
 * Find a question by name and type.
 * @return the question (owned by the log) or NULL
 */
const struct zs_query *zs_query_log_find(const struct zs_query_log *log, const char *name,
                                         uint16_t type);
