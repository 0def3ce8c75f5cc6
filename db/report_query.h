/* SPDX-License-Identifier: MIT */
/*
 * The queries behind reports and notices: a run's per-domain rows with their key facts
 * (streamed row by row, so memory stays bounded whatever the size of the run), a run's summary
 * (counts per status and rule, changes since the previous complete run, DNS figures, the trend over
 * earlier runs), the runs of a calendar period, and the notice log, written in the same transaction
 * that reads the notices' rows.
 *
 * The key facts come from the flat "summary" object of each stored facts document (written
 * by zs_facts_json()), read in one pass with jsonb_to_record(); their text is what the sweep
 * stored: bytes from DNS are already in the data escaping of scanner/base/escape.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "scanner/base/buf.h"

/** The key facts of a domain that reports show, in column order. */
enum zs_db_fact {
	ZS_DB_FACT_MX_STATUS,
	ZS_DB_FACT_MX_KIND,
	ZS_DB_FACT_MX_HOSTS, /**< host names separated by spaces */
	ZS_DB_FACT_SPF_STATUS,
	ZS_DB_FACT_SPF_RECORD,
	ZS_DB_FACT_SPF_LOOKUPS,
	ZS_DB_FACT_SPF_ALL, /**< the terminal all's qualifier by its RFC 7208 name: "fail" (-all),
	                         "softfail" (~all), "neutral" (?all), "pass" (+all) */
	ZS_DB_FACT_DMARC_STATUS,
	ZS_DB_FACT_DMARC_RECORD,
	ZS_DB_FACT_DMARC_P,
	ZS_DB_FACT_DMARC_SP,
	ZS_DB_FACT_DMARC_PCT,
	ZS_DB_FACT_DMARC_ADKIM,
	ZS_DB_FACT_DMARC_ASPF,
	ZS_DB_FACT_DKIM_STATUS,
	ZS_DB_FACT_DKIM_SELECTORS, /**< "selector=rsa-2048 other=revoked", wildcard matches left
	                                out; "+N" after a selector that publishes N more keys */
	ZS_DB_FACT_DKIM_RSA_BITS,
	ZS_DB_FACT_RDNS_STATUS,
	ZS_DB_FACT_RDNS,
	ZS_DB_FACT_DNSSEC_SIGNED,
	ZS_DB_FACT_COUNT_
};

/** How a fact's text reads. */
enum zs_db_fact_type {
	ZS_DB_FACT_TEXT,
	ZS_DB_FACT_INT,  /**< decimal digits, possibly with a minus sign */
	ZS_DB_FACT_BOOL, /**< "true" or "false" */
	ZS_DB_FACT_LIST, /**< items separated by single spaces */
};

/** A fact's column name, e.g. "spf_record". */
const char *zs_db_fact_name(enum zs_db_fact f);

/** A fact's type. */
enum zs_db_fact_type zs_db_fact_type(enum zs_db_fact f);

/** What a cursor reads besides the key facts. */
enum zs_db_report_flags {
	ZS_DB_REPORT_RAW = 1 << 0,        /**< the raw TXT records, byte-exact */
	ZS_DB_REPORT_FACTS_JSON = 1 << 1, /**< the whole stored facts document */
	/** Notices: only non-compliant domains, each with its registrant contact and when the
	 *  same notice (kind and failing rules) was last generated; the transaction is read-write
	 *  so that zs_db_report_log_notice() can record what is generated. */
	ZS_DB_REPORT_NOTICES = 1 << 2,
};

/** One domain of a run, as reports read it. Valid until the next zs_db_report_next(). */
struct zs_db_report_row {
	const char *domain;
	enum zs_db_status status;
	enum zs_db_mail mail;
	unsigned warnings;
	int64_t since_run; /**< the run from which the domain has had this status */
	int64_t since_at;  /**< when that was, seconds since the epoch */
	const struct zs_db_verdict_row *verdicts; /**< in rule id order */
	size_t verdict_count;
	const char *facts[ZS_DB_FACT_COUNT_]; /**< NULL when unknown */
	const char *facts_json;               /**< with ZS_DB_REPORT_FACTS_JSON, else NULL */
	const struct zs_db_raw_txt *raw;      /**< with ZS_DB_REPORT_RAW: sorted by name, then
	                                           bytes (answers come in any order) */
	size_t raw_count;
	/* with ZS_DB_REPORT_NOTICES */
	const char *contact_email; /**< NULL when the domain has no contact */
	const char *contact_name;  /**< "" when unknown */
	const char *contact_organisation;
	int64_t last_notice_at; /**< when the same notice was last generated; 0 never */
};

struct zs_db_report_cursor;

/**
 * Start reading a run's domains in domain order, in a transaction of its own (read only,
 * repeatable read; read-write for ZS_DB_REPORT_NOTICES, read through a cursor so that
 * zs_db_report_log_notice() can use the connection between rows). @p db is busy until the
 * cursor is closed.
 * @param run_id  the run
 * @param domain  only this domain; NULL for all
 * @param flags   zs_db_report_flags
 * @param kind    with ZS_DB_REPORT_NOTICES, the notice kind whose log is consulted; else NULL
 * @param[out] out  on success, the cursor, owned by the caller
 * @return 0, ZS_ERR_NOTFOUND when the run does not exist, or ZS_ERR_DB
 */
int zs_db_report_open(struct zs_db *db, int64_t run_id, const char *domain, int flags,
                      const char *kind, struct zs_db_report_cursor **out);

/**
 * The next domain.
 * @param[out] row  on success, owned by @p c until the next call
 * @return 0, ZS_ERR_EOF after the last one, ZS_ERR_DB, or ZS_ERR_PARSE for a row that does
 *         not read back
 */
int zs_db_report_next(struct zs_db_report_cursor *c, const struct zs_db_report_row **row);

/**
 * Record a generated notice, in the cursor's transaction (made durable by
 * zs_db_report_commit()). Only for a cursor opened with ZS_DB_REPORT_NOTICES.
 * @param recipient  the address the notice goes to
 * @param rules      the failing rule ids the notice is about, @p rule_count of them, in order
 * @return 0 or ZS_ERR_DB
 */
int zs_db_report_log_notice(struct zs_db_report_cursor *c, const char *domain, const char *kind,
                            const char *recipient, const char *message_id, const char *const *rules,
                            size_t rule_count);

/**
 * Commit the cursor's transaction (the notices logged) and free the cursor.
 * @param c  the cursor, freed here
 * @return 0 or ZS_ERR_DB (nothing was logged)
 */
int zs_db_report_commit(struct zs_db_report_cursor *c);

/** Roll back what the cursor's transaction did and free it; NULL is a no-op. */
void zs_db_report_close(struct zs_db_report_cursor *c);

/**
 * The SELECT behind a run's per-domain rows, with the run id written in, for psql (the
 * benchmark's reference exports the same rows with COPY).
 * @param out  receives the text (appended)
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_db_report_sql(int64_t run_id, struct zs_buf *out);

/** Verdict counts of one rule in a run. */
struct zs_db_rule_count {
	char *rule;
	int64_t n[ZS_DB_VERDICT_COUNT_]; /**< by enum zs_db_verdict */
};

/** One run in a trend. */
struct zs_db_trend_point {
	int64_t run_id;
	int64_t started_at; /**< seconds since the epoch */
	enum zs_db_run_status status;
	int64_t domains;
	int64_t n[ZS_DB_STATUS_COUNT_]; /**< by enum zs_db_status */
};

/** How a domain changed since the previous complete run. */
enum zs_db_change {
	ZS_DB_CHANGE_NEWLY_NON_COMPLIANT, /**< now non-compliant, was not */
	ZS_DB_CHANGE_FIXED,               /**< was non-compliant, now compliant */
	ZS_DB_CHANGE_OTHER,               /**< another change of status */
	ZS_DB_CHANGE_NEW,                 /**< not in the previous run */
	ZS_DB_CHANGE_REMOVED,             /**< in the previous run, no longer in the zone */
	ZS_DB_CHANGE_COUNT_
};

/** One changed domain. */
struct zs_db_changed_domain {
	enum zs_db_change change;
	char *domain;
	char *from; /**< previous state name, NULL for a new domain */
	char *to;   /**< state name ("removed" for a removed domain) */
};

/** DNS figures of a run, from the DNS engine's counters; -1 when not recorded. */
struct zs_db_dns_figures {
	int64_t questions;
	int64_t sent;
	int64_t answered;
	int64_t timeouts;
	int64_t failures; /**< final answers other than an answer, no data or no such name */
	double seconds;   /**< the DNS engine's time; < 0 unknown */
};

/** A run's summary. */
struct zs_db_report_summary {
	struct zs_db_run *run; /**< the run (zs_db_run_get()) */
	int64_t domains;       /**< results stored */
	int64_t n[ZS_DB_STATUS_COUNT_];
	int64_t warnings;
	double duration; /**< finished - started, seconds; < 0 while running */
	struct zs_db_rule_count *rules;
	size_t rule_count;
	int64_t previous_run; /**< the complete run compared with; 0 none */
	/** Whether the changes are known: the run is complete (its transitions are recorded) or
	 *  there is no previous run. New and removed domains need a complete zone read. */
	bool changes_known;
	int64_t changes[ZS_DB_CHANGE_COUNT_];
	struct zs_db_changed_domain *changed; /**< up to change_list_max per kind, by domain */
	size_t changed_count;
	struct zs_db_dns_figures dns;
	struct zs_db_trend_point *trend; /**< oldest first; always ends with the run itself */
	size_t trend_count;
};

/** Which runs make the trend and how much to list. */
struct zs_db_summary_opts {
	int trend_runs;         /**< the last N complete runs of the TLD up to the run */
	int64_t trend_from;     /**< or, when trend_to > 0: the complete runs started in */
	int64_t trend_to;       /**< [trend_from, trend_to) */
	size_t change_list_max; /**< changed domains listed per kind */
};

/**
 * Load a run's summary.
 * @param[out] out  on success, owned by the caller (zs_db_report_summary_free())
 * @return 0, ZS_ERR_NOTFOUND or ZS_ERR_DB
 */
int zs_db_report_summary_load(struct zs_db *db, int64_t run_id,
                              const struct zs_db_summary_opts *opts,
                              struct zs_db_report_summary **out);

/** Free a summary; NULL is a no-op. */
void zs_db_report_summary_free(struct zs_db_report_summary *s);

/** A TLD's report run of a period. */
struct zs_db_period_run {
	char tld[64];
	int64_t run_id;
};

/**
 * The last complete run of each TLD (or of @p tld) that started in [from, to).
 * @param tld  a TLD, or NULL for all
 * @param[out] out    on success, an array owned by the caller (zs_free()); NULL when none
 * @param[out] count  its length
 * @return 0 or ZS_ERR_DB
 */
int zs_db_report_period_runs(struct zs_db *db, const char *tld, int64_t from, int64_t to,
                             struct zs_db_period_run **out, size_t *count);

/**
 * The newest run that stored a result for a domain.
 * @param[out] run_id  on success
 * @return 0, ZS_ERR_NOTFOUND or ZS_ERR_DB
 */
int zs_db_report_domain_run(struct zs_db *db, const char *domain, int64_t *run_id);
