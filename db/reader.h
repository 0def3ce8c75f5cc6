/* SPDX-License-Identifier: MIT */
/*
 * Streaming reads of a stored run, for reports and resume. Two cursors in one read-only
 * transaction, results and verdicts both in domain order, are fetched a thousand rows at a
 * time and merged here, so memory stays bounded whatever the size of the run. Each row also
 * says since which run (and when) the domain has been in its status, from the transitions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct zs_db_reader;

/** One domain of a run, as read back. Valid until the next zs_db_reader_next() call. */
struct zs_db_row {
	const char *domain;
	enum zs_db_status status;
	unsigned warnings;
	enum zs_db_mail mail;
	const char *facts_json;                   /**< the facts as PostgreSQL prints the jsonb */
	const struct zs_db_verdict_row *verdicts; /**< in rule id order */
	size_t verdict_count;
	const struct zs_db_raw_txt *raw; /**< raw TXT records, byte-exact, in stored order */
	size_t raw_count;
	int64_t since_run; /**< the run from which the domain has had this status */
	int64_t since_at;  /**< that run's start, seconds since the epoch */
};

/**
 * Start reading a run's results in domain order. @p db is busy until zs_db_reader_close().
 * @param[out] out  on success, the reader, owned by the caller
 * @return 0, ZS_ERR_NOTFOUND when the run does not exist, or ZS_ERR_DB
 */
int zs_db_reader_open(struct zs_db *db, int64_t run_id, struct zs_db_reader **out);

/**
 * The next domain.
 * @param[out] row  on success, owned by @p r until the next call
 * @return 0, ZS_ERR_EOF after the last domain, or ZS_ERR_DB (or ZS_ERR_PARSE for a value that
 *         does not read back)
 */
int zs_db_reader_next(struct zs_db_reader *r, const struct zs_db_row **row);

/** End the read (closing the transaction) and free the reader; NULL is a no-op. */
void zs_db_reader_close(struct zs_db_reader *r);

/** Called once per domain by zs_db_run_stored(); a non-zero return stops the walk with it. */
typedef int (*zs_db_domain_cb)(const char *domain, void *arg);

/**
 * The domains already handled for a run (stored, or quarantined), streamed in domain order:
 * what a resumed sweep skips.
 * @param cb  called for each domain; the string is valid during the call only
 * @return 0, what @p cb returned when it stopped the walk, or ZS_ERR_DB
 */
int zs_db_run_stored(struct zs_db *db, int64_t run_id, zs_db_domain_cb cb, void *arg);
