/* SPDX-License-Identifier: MIT */
/*
 * One domain's journey: the questions the policy needs are asked through the resolver, the
 * answers are kept (copied into the probe's arena), the records are evaluated, and the result
 * (facts as JSON, verdicts, status) is handed to the sweep. Everything a probe makes lives in
 * its arena and goes in one call when the probe ends.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/base/buf.h"
#include "scanner/base/mem.h"

struct uv_loop_s;
struct zs_resolver;
struct zs_probe;

/** One rule's verdict for a domain. */
struct zs_verdict {
	const char *rule;    /**< rule id, e.g. "POST-MX-SPF" */
	const char *verdict; /**< pass, fail, warn, na, error */
	const char *reason;  /**< one line */
};

/** What a probe produces; owned by the probe until zs_probe_free(). */
struct zs_probe_result {
	const char *domain;
	const char *status;    /**< compliant, non-compliant, indeterminate */
	const char *mail_kind; /**< mail, non-mail, unknown */
	int warnings;
	bool unfinished;       /**< some question ended in a DNS failure (deferred retry wanted) */
	struct zs_buf facts;   /**< the collected facts, a JSON object */
	size_t verdict_count;
	struct zs_verdict *verdicts;
};

/** Called once when a probe has its result. */
typedef void (*zs_probe_done_cb)(struct zs_probe *p, void *arg);

/**
 * Start probing a domain. The questions go out at once (their answers arrive later).
 * @param loop    the loop the probe's timer runs on
 * @param res     the resolver; must outlive the probe
 * @param domain  the domain, lower case, no final dot; copied
 * @param budget_ms  time allowed for the whole domain; questions still open then end as
 *                   ZS_DNS_TIMEOUT
 * @param done    called once with the finished probe (never from inside zs_probe_start())
 * @param[out] out  the probe, to be freed with zs_probe_free() after done ran
 * @return 0, or ZS_ERR_USAGE when the resolver refuses new questions
 */
int zs_probe_start(struct uv_loop_s *loop, struct zs_resolver *res, const char *domain, unsigned budget_ms,
		   zs_probe_done_cb done, void *arg, struct zs_probe **out);

/** The result of a finished probe. @return owned by @p p */
const struct zs_probe_result *zs_probe_result(const struct zs_probe *p);

/**
 * Abandon a probe before it finished: its questions are withdrawn and done will not run.
 * The probe is freed once its timer handle is closed.
 */
void zs_probe_cancel(struct zs_probe *p);

/** Free a finished probe; NULL is a no-op. */
void zs_probe_free(struct zs_probe *p);
