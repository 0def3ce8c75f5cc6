/* SPDX-License-Identifier: MIT */
/*
 * Zone sanity: whether the figures of a zone read to its end (zs_zone_survey(), or the sweep's
 * own reader) make it fit to be swept into a TLD's history. An empty file, a file of garbage,
 * another TLD's zone or a zone cut short by a failed transfer would otherwise be stored as a
 * complete run, and every domain it lacks would become "removed" for good. Pure: no I/O; the
 * caller reads the zone and the previous run.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zoneio/reader.h"

/** Defaults of struct zs_zone_limits. */
#define ZS_ZONE_MAX_ERROR_SHARE 0.01 /**< 1 % of the records may be syntax errors */
#define ZS_ZONE_MAX_SHRINK      0.10 /**< 10 % fewer delegations than the previous run */

/** What the TLD's previous complete run read, to compare with. */
struct zs_zone_baseline {
	int64_t run_id;       /**< 0 when there is none (the other members are then unused) */
	uint64_t delegations; /**< delegations its zone had */
	bool has_serial;
	uint32_t serial;
};

/** How far a zone may stray. */
struct zs_zone_limits {
	double max_error_share; /**< syntax errors per record (read or refused), 0 to 1 */
	double max_shrink;      /**< share of the baseline's delegations it may lack, 0 to 1 */
	bool allow_shrink;      /**< the operator expects it to shrink: no limit */
	bool allow_empty;       /**< a zone without delegations is expected (a new TLD) */
};

/**
 * Check the figures of a zone read to its end: an SOA at the apex, at least one delegation,
 * few syntax errors, and not much smaller than the previous complete run's.
 * @param z     the figures (zs_zone_stats.complete must be set)
 * @param apex  the apex it was read under ("post"), for the messages
 * @param prev  the TLD's previous complete run, or NULL
 * @param[out] why  on refusal, one line saying why
 * @return 0, or ZS_ERR_REFUSED
 */
int zs_zone_check(const struct zs_zone_stats *z, const char *apex,
                  const struct zs_zone_baseline *prev, const struct zs_zone_limits *lim, char *why,
                  size_t why_len);
