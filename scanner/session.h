/* SPDX-License-Identifier: MIT */
/*
 * A loop and a resolver for the one-shot commands (check, spf): opened, run until the work is
 * done, closed with every handle released.
 */
#pragma once

#include <uv.h>

#include "scanner/dns/resolver.h"

struct zs_session {
	uv_loop_t loop;
	struct zs_resolver *res;
};

/**
 * Start a loop and a resolver.
 * @return 0, or the resolver's error (logged)
 */
int zs_session_open(struct zs_session *s, const struct zs_resolver_opts *opts);

/** Run the loop until zs_session_finish() was called and every handle is closed. */
void zs_session_run(struct zs_session *s);

/** The work is done: close the resolver (callable from a callback). Idempotent. */
void zs_session_finish(struct zs_session *s);

/** Release the loop after zs_session_run() returned. */
void zs_session_close(struct zs_session *s);

/** How long zs_session_ping() waits for each resolver: two tries, 1 s then 2 s. */
enum {
	ZS_SESSION_PING_TIMEOUT_MS = 1000,
	ZS_SESSION_PING_TRIES = 2,
	ZS_SESSION_PING_WAIT_S = 3, /* 1 s, then 2 s */
};

/**
 * Ask each resolver of @p opts, one at a time, for the SOA of the root with a short deadline
 * (whatever the sweep's own --timeout and --tries), before any work starts: a resolver that
 * answers at all (data, NXDOMAIN, even SERVFAIL or REFUSED) is there; one that stays silent or
 * refuses the connection is not, and is better named at once than after a sweep's retries.
 * @param[out] dead  on ZS_ERR_DNS, the index of the first resolver that did not answer
 * @param[out] why   on ZS_ERR_DNS, how its question ended
 * @return 0, ZS_ERR_DNS, or the error of opening a resolver (logged)
 */
int zs_session_ping(const struct zs_resolver_opts *opts, size_t *dead, enum zs_dns_status *why);

/**
 * zs_session_ping(), and one line naming the resolver that does not answer.
 * @return 0 or ZS_ERR_DNS
 */
int zs_session_resolvers_answer(const struct zs_resolver_opts *opts);
