/* SPDX-License-Identifier: MIT */
/*
 * The sweep: delegations stream from the zone reader into a bounded window of probes on one
 * libuv loop; finished results go to a sink (the database writer, a JSON Lines file) that may
 * push back; domains whose questions failed are retried once in a deferred pass at the end,
 * when resolvers no longer serve their cached failures. A progress line is shown on a
 * terminal, periodic log lines otherwise.
 *
 * The same second pass serves DKIM learning: a domain where something exists below _domainkey
 * but no selector held a usable key, and whose records name a provider, is probed again once the
 * main pass has learned which selectors the provider's other domains use (dkim_learn.h). The
 * main pass asks only what earlier runs learned, so no result depends on the order the domains
 * finished in.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/dns/resolver.h"
#include "scanner/probe.h"
#include "zoneio/reader.h"

struct zs_sweep;

/**
 * Hand a finished result to its destination.
 * @return 0, ZS_ERR_AGAIN when the destination is full (the sweep holds the result and
 *         calls again after zs_sweep_wake()), or another error, which stops the sweep
 */
typedef int (*zs_sweep_emit_fn)(void *arg, const struct zs_probe *p);

/**
 * The sink's state, asked when it wakes the sweep.
 * @return 0 while it takes results, or the error it failed with (the sweep stops at once and
 *         returns it)
 */
typedef int (*zs_sweep_status_fn)(void *arg);

/** Whether a domain is already done (a resumed run) and must not be probed again. */
typedef bool (*zs_sweep_skip_fn)(void *arg, const char *domain);

/**
 * Complete what the sweep knows of a domain before it is probed (registrant-declared DKIM
 * selectors, exemptions). Strings must stay valid until the domain's result was emitted.
 */
typedef void (*zs_sweep_domain_fn)(void *arg, struct zs_probe_domain *dom);

struct zs_sweep_opts {
	const char *zone_path;            /**< zone file, "-" for stdin */
	struct zs_zone_opts zone;         /**< zone reading options */
	struct zs_resolver_opts resolver; /**< DNS options */
	unsigned window;                  /**< domains in flight (0: 1000) */
	size_t window_bytes;              /**< bytes of the window (0: 256 MiB), zs_sweep_run() */
	unsigned budget_ms;               /**< time allowed per domain (0: 60000) */
	unsigned retry_delay_ms;          /**< pause before the deferred pass (0: 5000) */
	bool no_retry;                    /**< no deferred pass */
	bool progress;                    /**< show progress (a line on a TTY, logs otherwise) */
	zs_sweep_emit_fn emit;
	void *emit_arg;                 /**< passed to emit and sink_status */
	zs_sweep_status_fn sink_status; /**< NULL: the sink fails only through emit */
	zs_sweep_skip_fn skip;          /**< NULL: probe everything */
	void *skip_arg;
	const char
	        *preflight; /**< a name whose SOA must resolve before the sweep starts, so
	                         that an unreachable resolver stops the run at once (NULL: none) */
	const struct zs_policy *policy; /**< the policy the domains are judged by */
	const struct zs_psl *psl;       /**< Public Suffix List, for DMARC discovery */
	const char *const *selectors;   /**< the DKIM selector list */
	size_t selector_count;
	const struct zs_dkim_providers *providers; /**< mail providers and their DKIM selectors
	                                                (NULL: none) */
	struct zs_dkim_learned *learned; /**< selectors learned across the zone, seeded with the
	                                      previous runs' (NULL: no learning); this run's
	                                      findings are added for the caller to keep */
	const char *today;               /**< YYYY-MM-DD, for exemptions */
	zs_sweep_domain_fn domain_info;  /**< per-domain data (declared selectors,
	                                      exemptions); NULL: none */
	void *domain_info_arg;
};

struct zs_sweep_summary {
	uint64_t domains; /**< domains whose result was emitted */
	uint64_t skipped; /**< domains skipped as already done */
	uint64_t compliant;
	uint64_t non_compliant;
	uint64_t indeterminate;
	uint64_t deferred;     /**< domains retried in the deferred pass */
	uint64_t recovered;    /**< of those with DNS failures, domains whose retry
	                            finished every question */
	uint64_t dkim_relearn; /**< domains probed again with the selectors learned during
	                            the main pass (no DKIM key found, a provider named) */
	uint64_t dkim_keys[ZS_DKIM_ORIGIN_COUNT_]; /**< selectors holding a key, by the lever
	                                                that asked them (enum zs_dkim_origin) */
	uint64_t peak_bytes;                       /**< the most bytes the window held at once */
	bool memory_bound; /**< window_bytes held new domains back at some point */
	double seconds;    /**< wall time of the sweep */
	bool interrupted;  /**< stopped by a signal */
	bool sink_failed;  /**< stopped because the sink failed (emit or sink_status said so):
	                        its error is what zs_sweep_run() returned */
	bool started;      /**< the preflight question was answered and probing began */
	enum zs_dns_status preflight; /**< what became of the preflight question */
	struct zs_zone_stats zone;
	struct zs_resolver_stats dns;
};

/**
 * Prepare a sweep. Nothing runs until zs_sweep_run().
 * @param[out] out  the sweep, freed by zs_sweep_free()
 * @return 0, or -errno / a zone reader error for the zone file (the message is logged)
 */
int zs_sweep_new(const struct zs_sweep_opts *opts, struct zs_sweep **out);

/**
 * Run the sweep to its end.
 *
 * The window is bounded in domains and in bytes. Each probe counts what it holds (its arenas
 * and its facts) as it grows, and finished results count until the sink took them. A domain
 * starts only while the bytes held, plus what the probes in flight may still take (the mean peak
 * bytes of a finished domain for each; 1 MiB before any finished), stay under window_bytes;
 * when they do not, topping up stops until results are taken and probes freed. The DNS
 * engine's cache is bounded apart (zs_resolver_opts.cache_max_bytes).
 *
 * @param[out] sum  figures of the sweep, filled whatever the outcome
 * @return 0, ZS_ERR_INTERRUPTED after SIGINT/SIGTERM (the results so far were emitted),
 *         the zone reader's error (ZS_ERR_GZIP, ZS_ERR_PARSE in strict mode, -errno),
 *         ZS_ERR_DNS when the preflight question got no answer, or the sink's error
 *         (sum->sink_failed is then set)
 */
int zs_sweep_run(struct zs_sweep *s, struct zs_sweep_summary *sum);

/** The zone reader's figures so far (before the run: what opening the zone read). */
const struct zs_zone_stats *zs_sweep_zone_stats(const struct zs_sweep *s);

/**
 * Tell the sweep its sink has room again, or has failed. Safe to call from any thread, at any
 * time until zs_sweep_free(): once the sweep's loop has ended it does nothing.
 */
void zs_sweep_wake(void *sweep);

/** Free a sweep; NULL is a no-op. */
void zs_sweep_free(struct zs_sweep *s);
