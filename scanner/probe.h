/* SPDX-License-Identifier: MIT */
/*
 * One domain's journey. The record machines of scanner/policy (SPF analysis, DMARC discovery,
 * DKIM selector discovery, MX and reverse DNS, MTA-STS/TLS-RPT/BIMI) run side by side; every
 * question they produce goes to the resolver and every answer back to its machine, in any
 * order. When all are done, their results become the facts the policy judges, the verdicts,
 * and the JSON the database and the reports keep. Everything a probe makes lives in its arena
 * and goes in one call when the probe ends.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/answer.h"
#include "scanner/base/buf.h"
#include "scanner/base/mem.h"
#include "scanner/policy/dkim.h"
#include "scanner/policy/facts.h"
#include "scanner/policy/ruleset.h"

struct uv_loop_s;
struct zs_resolver;
struct zs_psl;
struct zs_spf_cache;
struct zs_probe;
struct zs_dkim_providers;
struct zs_dkim_learned;

/** What every probe of a sweep (or of a `check`) shares. Not owned by the probes. */
struct zs_probe_env {
	struct uv_loop_s *loop;
	struct zs_resolver *res;
	const struct zs_policy *policy;
	const struct zs_psl *psl;     /**< for organizational domains (DMARC) */
	const char *const *selectors; /**< the DKIM selector list */
	size_t selector_count;
	const struct zs_dkim_providers *providers; /**< providers and their DKIM selectors
	                                                (NULL: none) */
	struct zs_dkim_learned *learned; /**< selectors learned across the zone: asked at the
	                                      providers' domains, and taught (NULL: none) */
	const char *today;               /**< YYYY-MM-DD, for exemptions */
	unsigned budget_ms;              /**< time allowed per domain (0: 60000) */
	bool validating;                 /**< the resolvers validate: AD bits count */
	struct zs_spf_cache
	        *spf_cache;     /**< parsed provider records shared by the probes (NULL: none) */
	struct zs_meter *meter; /**< when not NULL, the bytes each probe holds (its arenas,
	                             its facts) are counted here while it lives, as they grow */
};

/** What the sweep knows of a domain before asking anything. */
struct zs_probe_domain {
	const char *name;      /**< lower case, no final dot */
	bool delegation_known; /**< from the zone: the DS facts below are meaningful */
	size_t ds_count;       /**< DS records of the delegation */
	const char *const *declared_selectors; /**< the registrant's DKIM selectors */
	size_t declared_count;
	const struct zs_exemption *exemptions;
	size_t exemption_count;
};

/** One rule's verdict for a domain. */
struct zs_verdict_row {
	const char *rule;    /**< rule id, e.g. "POST-MX-SPF" */
	const char *verdict; /**< pass, fail, warn, na, error */
	const char *reason;  /**< one line */
};

/** A TXT record exactly as received (its character-strings joined), for byte-exact storage. */
struct zs_raw_txt {
	const char *owner;   /**< the name it was found at */
	const uint8_t *data; /**< the bytes, any value including NUL */
	size_t len;
};

/** What a probe produces; owned by the probe until zs_probe_free(). */
struct zs_probe_result {
	const char *domain;
	const char *status;    /**< compliant, non-compliant, indeterminate */
	const char *mail_kind; /**< mail, non-mail, unknown */
	int warnings;
	bool unfinished;     /**< some question ended in a DNS failure (deferred retry wanted) */
	bool dkim_learnable; /**< something exists below _domainkey, no usable key was found and
	                          the domain's records name a provider: selectors learned at its
	                          other domains may find the key */
	size_t dkim_keys[ZS_DKIM_ORIGIN_COUNT_]; /**< selectors holding a key, by origin */
	struct zs_buf facts;                     /**< the collected facts, a JSON object */
	size_t verdict_count;
	struct zs_verdict_row *verdicts;
	size_t raw_count;
	struct zs_raw_txt *raw;         /**< the TXT records of the domain's own names */
	const struct zs_facts *summary; /**< the facts the policy judged */
	const struct zs_eval *eval;     /**< the policy's verdicts */
};

/** Called once when a probe has its result. */
typedef void (*zs_probe_done_cb)(struct zs_probe *p, void *arg);

/**
 * Start probing a domain. The first questions go out at once.
 * @param env   shared settings; must outlive the probe
 * @param dom   the domain; copied
 * @param done  called once with the finished probe (never from inside zs_probe_start())
 * @param[out] out  the probe, to be freed with zs_probe_free() after done ran
 * @return 0, or ZS_ERR_USAGE when the resolver refuses new questions
 */
int zs_probe_start(const struct zs_probe_env *env, const struct zs_probe_domain *dom,
                   zs_probe_done_cb done, void *arg, struct zs_probe **out);

/**
 * The most bytes a probe has held at once (what it counts in its env's meter): its SPF
 * analysis frees and takes memory again at each step, so it may hold less when it ends.
 */
size_t zs_probe_peak_bytes(const struct zs_probe *p);

/** The result of a finished probe. @return owned by @p p */
const struct zs_probe_result *zs_probe_result(const struct zs_probe *p);

/**
 * Abandon a probe before it finished: its questions are withdrawn and done will not run.
 * The probe is freed once its timer handle is closed.
 */
void zs_probe_cancel(struct zs_probe *p);

/** Free a finished probe; NULL is a no-op. */
void zs_probe_free(struct zs_probe *p);

/**
 * Write a finished probe as one JSON object (what `check --json` prints and `scan --jsonl`
 * writes per line): domain, policy, status, mail kind, warnings, rules (id -> verdict and
 * reason), and the facts (mx, spf, dmarc, dkim, rdns, mta_sts, tls_rpt, bimi, dnssec, each
 * with its DNS status, and their summary).
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_probe_result_json(const struct zs_probe *p, struct zs_buf *out);

/**
 * Write the human view of a finished probe (`zonesweep check`): each rule with its verdict,
 * reason and, for failures, the fix.
 * @param colour  use ANSI colours
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_probe_render_text(const struct zs_probe *p, bool colour, struct zs_buf *out);
