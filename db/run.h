/* SPDX-License-Identifier: MIT */
/*
 * Runs: one sweep of one TLD's zone under one policy. Beginning a run takes a session advisory
 * lock for the TLD on the caller's connection, so a second sweep of the same TLD stops at once
 * with ZS_ERR_LOCKED, and a crashed sweep leaves no stale lock (the lock dies with the
 * session; its run row, still "running", is marked interrupted by the next sweep of the TLD).
 * The lock is the only truth of a sweep being alive: the writer works on the session holding
 * it and, after a reconnect, takes it again before writing (db/writer.h).
 * Finishing a complete run derives, in one transaction, the domains' first/last seen and
 * removal, the status transitions and the current state: a partial run never touches history.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/** What a run is: given when it begins. */
struct zs_db_run_params {
	const char *tld;             /**< lower case, without dots at either end, e.g. "post" */
	const char *policy;          /**< policy name, e.g. "post" */
	const char *policy_version;  /**< e.g. "1.1" */
	const char *zone_source;     /**< where the zone came from (a path) */
	int64_t zone_serial;         /**< SOA serial, or -1 when unknown */
	int64_t zone_delegations;    /**< delegations of the zone, or 0 or -1 when unknown */
	const uint8_t *zone_digest;  /**< the zone's digest (zs_zone_stats.digest, 32 bytes), or
	                                  NULL when unknown */
	const char *options_json;    /**< the sweep's options as a JSON object; NULL for {} */
	const char *scanner_version; /**< zonesweep's version; NULL for "" */
};

/** How a run ended: given when it finishes. */
struct zs_db_run_end {
	enum zs_db_run_status status;         /**< complete, interrupted or failed */
	bool zone_complete;                   /**< the zone was read to its end without error */
	uint64_t zone_errors;                 /**< zone lines or names refused */
	const char *const *zone_first_errors; /**< the first few of them, one line each */
	size_t zone_first_error_count;        /**< entries of @a zone_first_errors */
	const char *dns_json; /**< the DNS engine's counters, a JSON object (NULL: {}) */
	const char *db_json;  /**< the writer's figures, zs_db_writer_stats_json() (NULL: {}) */
	bool has_zone_serial; /**< the zone's SOA serial is known now (it may not have been when
	                           the run began) */
	uint32_t zone_serial;
	int64_t zone_delegations;   /**< when the run began without them (a zone read from standard
	                                 input): the zone's delegations, or 0 or -1 */
	const uint8_t *zone_digest; /**< likewise its digest (32 bytes), or NULL */
};

/** A run as stored (zs_db_run_get()). */
struct zs_db_run {
	int64_t id;
	char *tld;
	char *policy;
	char *policy_version;
	char *zone_source;
	int64_t zone_serial;      /**< -1 when unknown */
	int64_t zone_delegations; /**< -1 when unknown */
	bool has_zone_digest;
	uint8_t zone_digest[32];
	char *options_json;
	char *scanner_version;
	enum zs_db_run_status status;
	int64_t started_at;  /**< seconds since the epoch */
	int64_t finished_at; /**< seconds since the epoch; 0 while running */
	int resumes;         /**< times the run was resumed */
	bool zone_complete;
	int64_t zone_errors;
	char *zone_first_errors; /**< the first zone errors, one per line ("" when none) */
	char *dns_json;
	char *db_json;     /**< the writer's figures */
	int64_t domains;   /**< results stored; -1 until the run finishes */
	int64_t compliant; /**< -1 until the run finishes, as the other totals */
	int64_t non_compliant;
	int64_t indeterminate;
	int64_t warnings;    /**< sum of the domains' warnings */
	int64_t quarantined; /**< rows PostgreSQL refused, kept in the quarantine table */
	bool pruned;         /**< its results were pruned (db prune) */
};

/**
 * Begin a run: record the TLD and policy, take the TLD's advisory lock on @p db (held until
 * zs_db_run_finish() or zs_db_close()), mark any stale "running" run of the TLD interrupted,
 * and insert the run with status running.
 * @param p  the run's description; strings are copied
 * @param[out] run_id  on success, the new run's id
 * @return 0, ZS_ERR_LOCKED when another session holds the TLD's lock (zs_db_error() names the
 *         running run), ZS_ERR_USAGE for an invalid TLD or options, or ZS_ERR_DB
 */
int zs_db_run_begin(struct zs_db *db, const struct zs_db_run_params *p, int64_t *run_id);

/**
 * Resume an interrupted (or stale running) run: take its TLD's lock and set it running again.
 * The sweep then skips the domains zs_db_run_stored() lists.
 * @return 0, ZS_ERR_NOTFOUND, ZS_ERR_LOCKED, ZS_ERR_USAGE when the run is complete or failed,
 *         or ZS_ERR_DB
 */
int zs_db_run_resume(struct zs_db *db, int64_t run_id);

/**
 * Finish a run: compute its totals and per-rule verdict counts from the stored results, record
 * how it ended and, when it is complete, update domains, transitions and current state (and,
 * when the zone was read completely, mark the domains it no longer had removed); then release
 * the TLD's lock. All in one transaction.
 * Reconnects once when the connection was lost during the sweep.
 * @param end  how the run ended; strings are copied
 * @return 0, ZS_ERR_NOTFOUND when the run does not exist or is not running, ZS_ERR_USAGE for
 *         an invalid status or counters JSON, or ZS_ERR_DB
 */
int zs_db_run_finish(struct zs_db *db, int64_t run_id, const struct zs_db_run_end *end);

/**
 * Resolve a run given on a command line, whose results are asked for.
 * @param spec  a run id, "latest" (the newest finished run: complete, interrupted or failed;
 *              never a withdrawn one) or "latest-complete"
 * @param tld   restrict "latest" to this TLD; NULL for any
 * @param[out] run_id  on success
 * @return 0, ZS_ERR_NOTFOUND (no such run, or its results are gone:
 *         zs_db_run_check_results(); message in zs_db_error()), ZS_ERR_USAGE for a malformed
 *         spec, or ZS_ERR_DB
 */
int zs_db_run_resolve(struct zs_db *db, const char *spec, const char *tld, int64_t *run_id);

/**
 * The newest complete run of the same TLD before @p run_id, to compare with.
 * @param[out] prev_id  on success
 * @return 0, ZS_ERR_NOTFOUND when there is none, or ZS_ERR_DB
 */
int zs_db_run_previous(struct zs_db *db, int64_t run_id, int64_t *prev_id);

/**
 * Whether a run's results can be read: it exists, was not pruned and was not withdrawn.
 * @return 0, ZS_ERR_NOTFOUND ("run N was pruned on DATE (its results are no longer kept)",
 *         "run N was withdrawn on DATE (why)" or "no run N" in zs_db_error()), or ZS_ERR_DB
 */
int zs_db_run_check_results(struct zs_db *db, int64_t run_id);

/**
 * Read a run's metadata.
 * @param[out] out  on success, owned by the caller (zs_db_run_free())
 * @return 0, ZS_ERR_NOTFOUND or ZS_ERR_DB
 */
int zs_db_run_get(struct zs_db *db, int64_t run_id, struct zs_db_run **out);

/** The zone a TLD's complete run read (zs_db_run_last_zone()). */
struct zs_db_run_zone {
	int64_t run_id;
	int64_t delegations; /**< its delegations (for runs stored before schema 6: its results
	                          and quarantined rows) */
	int64_t serial;      /**< -1 when unknown */
};

/**
 * The zone of a TLD's newest complete run, to compare a new zone with.
 * @param tld     the TLD
 * @param before  only runs before this one (a resumed run); 0 for any
 * @param[out] out  on success
 * @return 0, ZS_ERR_NOTFOUND when the TLD has no complete run, or ZS_ERR_DB
 */
int zs_db_run_last_zone(struct zs_db *db, const char *tld, int64_t before,
                        struct zs_db_run_zone *out);

/**
 * Record the zone a run sweeps from now on (a run resumed with another zone, at the operator's
 * word).
 * @param serial  -1 when unknown
 * @param digest  32 bytes, or NULL when unknown
 * @return 0, ZS_ERR_NOTFOUND or ZS_ERR_DB
 */
int zs_db_run_set_zone(struct zs_db *db, int64_t run_id, int64_t serial, int64_t delegations,
                       const uint8_t *digest);

/** What withdrawing a run changed (zs_db_run_withdraw()). */
struct zs_db_withdraw_stats {
	int64_t transitions_undone; /**< status changes recorded by it and by the runs after it */
	int64_t runs_replayed;      /**< complete runs after it whose history was written again */
};

/**
 * Withdraw a run: it stays listed, with status withdrawn, when, by whom and why, but counts
 * nowhere any more. When it was complete, its TLD's history is recomputed without it, in one
 * transaction: the new and removed domains, status changes and current state written by it and
 * by the runs that finished after it are undone, then those runs write theirs again, as if it
 * had never been. Takes its TLD's lock for the transaction.
 * @param why  the reason, one line (required)
 * @param by   who withdraws it
 * @param[out] stats  on success, when not NULL
 * @return 0, ZS_ERR_NOTFOUND, ZS_ERR_USAGE (no reason), ZS_ERR_REFUSED (the run is running or
 *         withdrawn already, or a run whose results the recomputation needs was pruned),
 *         ZS_ERR_LOCKED (a sweep of the TLD is running), or ZS_ERR_DB; the message is in
 *         zs_db_error()
 */
int zs_db_run_withdraw(struct zs_db *db, int64_t run_id, const char *why, const char *by,
                       struct zs_db_withdraw_stats *stats);

/** Free what zs_db_run_get() returned; NULL is a no-op. */
void zs_db_run_free(struct zs_db_run *run);
