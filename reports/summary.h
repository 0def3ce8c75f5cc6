/* SPDX-License-Identifier: MIT */
/*
 * A run's summary as reports write it: counts per status and per rule, the compliance rate,
 * the changes since the previous complete run, the run's DNS figures and the trend over
 * earlier runs, with plain-words notes when the run is not a complete sweep of a completely
 * read zone (so an interrupted run can never pass for a whole one). The figures come from
 * db/report_query.h; this module only writes them, in JSON, as a CSV table, or as text.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "db/report_query.h"
#include "scanner/base/buf.h"
#include "scanner/base/json.h"

struct zs_out;
struct zs_policy;

/** What a report says about itself. */
struct zs_report_meta {
	int64_t now;                    /**< when the report was made, seconds since the epoch */
	const char *title;              /**< e.g. ".post daily report 2026-11-24"; NULL: default */
	const char *period;             /**< "daily", "weekly", "monthly", or NULL */
	const char *period_label;       /**< "2026-11-24", "2026-W48", "2026-11", or NULL */
	const struct zs_policy *policy; /**< for rule titles; may be NULL */
};

/**
 * The compliance rate: compliant domains per hundred domains checked.
 * @return the rate rounded to two decimals, or -1 when the run has no domain
 */
double zs_report_rate(int64_t compliant, int64_t domains);

/**
 * A domain's verdict for a rule. Rows and summaries both list rules in id order, so a caller
 * walking the summary's rules passes the same @p hint each time and the search stays linear.
 * @param hint  where to start; advanced past the verdict found
 * @return the verdict row, or NULL when the domain has none for @p rule
 */
const struct zs_db_verdict_row *zs_report_find_verdict(const struct zs_db_report_row *row,
                                                       const char *rule, size_t *hint);

/**
 * Write text the database holds as a JSON string, JSON-escaped only: facts are already in the
 * data escaping where they came from DNS, and escaping them again would change them. NULL
 * writes null.
 */
void zs_report_json_text(struct zs_json *j, const char *s);

/** zs_json_key() and zs_report_json_text(). */
void zs_report_json_ktext(struct zs_json *j, const char *key, const char *s);

/** Write a key fact as "name": value, typed (number, boolean, list of strings, string). */
void zs_report_json_fact(struct zs_json *j, enum zs_db_fact f, const char *v);

/** A rule's title from the policy, or NULL when unknown. */
const char *zs_report_rule_title(const struct zs_policy *p, const char *rule);

/**
 * The notes a summary carries, in plain words: why its figures may be partial (a run still
 * running, interrupted or failed, a zone not read completely, a first run without changes).
 * @param buf  receives the notes, one per line, each ending in '\n' (appended)
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_report_summary_notes(const struct zs_db_report_summary *s, struct zs_buf *buf);

/**
 * Write the summary as one JSON object (the value of the "summary" member of a JSON report,
 * the whole of a JSON Lines report's summary file).
 */
void zs_report_summary_json(struct zs_json *j, const struct zs_db_report_summary *s,
                            const struct zs_report_meta *m);

/**
 * Write the summary as a CSV table "section,item,field,value" (RFC 4180, CRLF).
 * @return 0, ZS_ERR_TOOBIG, or -errno from the output
 */
int zs_report_summary_csv(struct zs_out *o, const struct zs_db_report_summary *s,
                          const struct zs_report_meta *m);
