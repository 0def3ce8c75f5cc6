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
