/* SPDX-License-Identifier: MIT */
/*
 * Selectors learned across a zone. A key found at one domain, at a selector no list holds (the
 * registrant declared it, or a provider's rotation named it), is evidence that the provider
 * that domain's records name (its SPF includes, MX hosts, selector CNAME targets) publishes
 * keys there: the provider's other domains are worth asking at that selector too.
 *
 * A provider is keyed by its name in the provider table (dkim_provider.h) when a record matched
 * it, otherwise by the organizational domain of the name that was seen ("relay.example" for
 * "mx1.relay.example"). The table has two layers, so that what a sweep finds never depends on
 * the order its domains finished in:
 *
 *   usable  what probes may ask: the previous runs' selectors (zs_dkim_learned_seed()), then,
 *           for the sweep's second pass, this run's (zs_dkim_learned_promote());
 *   seen    what this run found (zs_dkim_learned_note()), kept for the next run.
 *
 * Bounded: at most @p max_providers providers and ZS_DKIM_LEARN_KEEP selectors each; what does
 * not fit is counted and dropped. Not thread-safe: the sweep's loop thread alone uses it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/** Selectors kept per provider; the most-seen ZS_DKIM_LEARN_ASK of them are asked. */
enum { ZS_DKIM_LEARN_KEEP = 8, ZS_DKIM_LEARN_ASK = 4 };

struct zs_dkim_learned;

/** One learned selector, as stored between runs. */
struct zs_dkim_learned_entry {
	const char *provider;
	const char *selector;
	uint32_t domains; /**< domains of the provider where it held a key */
};

/**
 * A new, empty table.
 * @param max_providers  most providers kept (at least 1)
 * @return never NULL; free with zs_dkim_learned_free()
 */
struct zs_dkim_learned *zs_dkim_learned_new(size_t max_providers);

/** Free a table; NULL is a no-op. */
void zs_dkim_learned_free(struct zs_dkim_learned *t);

/**
 * Add a selector of a previous run to the usable layer.
 * @param provider, selector  copied; lower case
 * @return 0, or ZS_ERR_TOOBIG when it did not fit (counted)
 */
int zs_dkim_learned_seed(struct zs_dkim_learned *t, const char *provider, const char *selector,
                         uint32_t domains);

/**
 * Note that a domain of @p provider holds a key at @p selector (this run's layer).
 * @return 0, or ZS_ERR_TOOBIG when it did not fit (counted)
 */
int zs_dkim_learned_note(struct zs_dkim_learned *t, const char *provider, const char *selector);

/**
 * The usable selectors of a provider, most-seen first (then by name).
 * @param[out] out  up to @p max selectors, owned by the table (valid until it is freed)
 * @return how many were written
 */
size_t zs_dkim_learned_get(const struct zs_dkim_learned *t, const char *provider, const char **out,
                           size_t max);

/** Make this run's notes usable too (before the sweep's second pass). */
void zs_dkim_learned_promote(struct zs_dkim_learned *t);

/** Called for each entry of zs_dkim_learned_each(); a non-zero return stops the walk. */
typedef int (*zs_dkim_learned_fn)(const struct zs_dkim_learned_entry *e, void *arg);

/**
 * Walk this run's notes, by provider then selector.
 * @return 0 or the first non-zero return of @p fn
 */
int zs_dkim_learned_each(const struct zs_dkim_learned *t, zs_dkim_learned_fn fn, void *arg);

/** Notes and seeds that did not fit since the table was made. */
uint64_t zs_dkim_learned_dropped(const struct zs_dkim_learned *t);
