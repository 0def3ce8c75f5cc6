/* SPDX-License-Identifier: MIT */
/*
 * The writer: a thread that stores a run's results with COPY, fed by a bounded queue so that
 * the DNS loop never waits on the database except under back-pressure. It works on the
 * caller's session, taken over for its lifetime: the session that holds the TLD's advisory
 * lock, so that every row of a sweep is written under that lock.
 *
 * zs_db_writer_push() formats the result into COPY rows at once (escaping what PostgreSQL
 * would refuse: invalid UTF-8, NUL) and never blocks: when the queue is full (in results, or
 * in bytes of the results queued and being written) it returns ZS_ERR_AGAIN, and the writer
 * thread calls the wake callback once the queue has room again (the libuv caller passes a
 * function that calls uv_async_send(), the only call that crosses threads). Each batch is one
 * transaction; a batch that fails is retried through a staging table with INSERT ... ON
 * CONFLICT DO NOTHING keyed by (run, domain), so a resent batch changes nothing, then bisected
 * until the rows PostgreSQL still refuses are isolated into the quarantine table. When the
 * connection is lost the writer reconnects with backoff, takes the TLD's lock again and checks
 * that the run is still running, then resends the unconfirmed batch; when the database stays
 * away past a limit it gives up, and when another sweep took the TLD meanwhile it stops at
 * once. Either way the caller stops the sweep, and the run can be resumed (by whichever sweep
 * holds the lock).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "scanner/base/buf.h"

struct zs_db_writer;

/**
 * Called from the writer thread when a push refused with ZS_ERR_AGAIN may now succeed, or when
 * the writer gave up (the next push returns its error). It must be thread-safe and quick.
 */
typedef void (*zs_db_wake_cb)(void *arg);

/** Writer settings; zero fields take the defaults. */
struct zs_db_writer_opts {
	size_t queue_max;    /**< results queued at most (default 20000) */
	size_t queue_bytes;  /**< bytes of the results queued and being written, at most
	                          (default 256 MiB; one result may go past it) */
	size_t batch_max;    /**< results per batch and transaction (default 5000) */
	unsigned flush_ms;   /**< write a partial batch after this long (default 200) */
	unsigned give_up_ms; /**< stop when the database stays away this long (default 60000);
	                          also how long a reconnected writer waits for its TLD's lock */
	zs_db_wake_cb wake;  /**< may be NULL */
	void *wake_arg;
};

/** What the writer did, filled by zs_db_writer_finish(). */
struct zs_db_writer_stats {
	uint64_t pushed;             /**< results accepted by zs_db_writer_push() */
	uint64_t results;            /**< result rows newly stored */
	uint64_t verdicts;           /**< verdict rows newly stored */
	uint64_t duplicates;         /**< results that were already stored (resent or resumed) */
	uint64_t facts_unchanged;    /**< stored results whose facts equal the previous run's */
	uint64_t verdicts_unchanged; /**< stored results whose verdicts equal the previous run's */
	uint64_t escaped;            /**< results with text escaped (invalid UTF-8 or NUL) */
	uint64_t quarantined;        /**< results PostgreSQL refused, put in quarantine */
	uint64_t lost;               /**< results dropped because the writer gave up */
	uint64_t stored[ZS_DB_STATUS_COUNT_]; /**< results of this writer the database holds
	                                           (stored now or already), by zs_db_status */
	uint64_t batches;                     /**< transactions committed */
	uint64_t retries;                     /**< batches retried through the staging table */
	uint64_t reconnects;                  /**< connections re-established */
	uint64_t full;                        /**< pushes refused with ZS_ERR_AGAIN */
	uint64_t peak_bytes;                  /**< the most bytes of results held at once */
};

/**
 * The figures as a JSON object, for zs_db_run_end.db_json.
 * @param out  receives the text (appended)
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_db_writer_stats_json(const struct zs_db_writer_stats *st, struct zs_buf *out);

/**
 * Start a writer for a running run: take over @p db's session (reconnecting it first if it was
 * lost) and start the thread.
 * @param db      the caller's connection, usually the one zs_db_run_begin() locked the TLD
 *                on; it must not be used until zs_db_writer_finish() gives it back (calls on
 *                it fail with ZS_ERR_USAGE meanwhile)
 * @param run_id  the run the results belong to
 * @param opts    settings; NULL for the defaults
 * @param[out] out  on success, the writer, owned by the caller (zs_db_writer_finish())
 * @return 0, ZS_ERR_DB (message in zs_db_error(db)), ZS_ERR_USAGE when the run is not running
 *         or the connection is in use, ZS_ERR_LOCKED when the TLD's lock was lost, or -errno
 *         when the thread cannot start
 */
int zs_db_writer_new(struct zs_db *db, int64_t run_id, const struct zs_db_writer_opts *opts,
                     struct zs_db_writer **out);

/**
 * Queue one result. Copies everything; never blocks.
 * @param res  the result; nothing of it is kept
 * @return 0, ZS_ERR_AGAIN when the queue is full (the wake callback will be called), ZS_ERR_DB
 *         or ZS_ERR_LOCKED once the writer has given up (stop the sweep), or
 *         ZS_ERR_TOOBIG for a result larger than a row may be (1 GiB)
 */
int zs_db_writer_push(struct zs_db_writer *w, const struct zs_db_result *res);

/**
 * The writer's state, as a push would report it.
 * @return 0 while it runs, or the error it gave up with: ZS_ERR_DB (the database stayed away,
 *         or refused the rows for a reason that is not theirs) or ZS_ERR_LOCKED (another sweep
 *         took the TLD's lock while the connection was lost)
 */
int zs_db_writer_status(struct zs_db_writer *w);

/**
 * Store everything queued, stop the thread, give the connection back to the caller's
 * struct zs_db and free the writer.
 * @param w  the writer, freed here; NULL is a no-op returning 0
 * @param[out] stats  when not NULL, what the writer did
 * @return 0 when everything pushed was stored or quarantined, or what zs_db_writer_status()
 *         says: ZS_ERR_DB (stats->lost results were not stored; the run can be resumed) or
 *         ZS_ERR_LOCKED (the caller's connection then refuses to finish the run: another sweep
 *         owns the TLD now)
 */
int zs_db_writer_finish(struct zs_db_writer *w, struct zs_db_writer_stats *stats);
