/* SPDX-License-Identifier: MIT */
/*
 * Run reports: a stored run's per-domain results with their key facts, streamed from the
 * database into a report file (gzip unless the name says otherwise; rows are never all held in
 * memory), with the run's summary. Formats:
 *   csv    RFC 4180, one row per domain; the summary goes to a second file beside it
 *          (NAME.summary.csv[.gz], a "section,item,field,value" table)
 *   jsonl  one JSON object per domain; the summary beside it (NAME.summary.json[.gz])
 *   json   one document: {"summary": {...}, "domains": [...]}
 *   html   one self-contained page: summary, charts, sortable per-domain table
 * Periodic reports take the last complete run of a calendar period (UTC) with the trend over
 * the period, under predictable names: <tld>-<period>-<label>.<format>.gz.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db/db.h"
#include "reports/summary.h"
#include "scanner/base/buf.h"

struct zs_policy;

enum zs_report_format {
	ZS_REPORT_CSV,
	ZS_REPORT_JSONL,
	ZS_REPORT_JSON,
	ZS_REPORT_HTML,
	ZS_REPORT_FORMAT_COUNT_
};

/** A format's name: "csv", "jsonl", "json", "html". */
const char *zs_report_format_name(enum zs_report_format f);

/** Parse a format's name. @return 0 or ZS_ERR_USAGE */
int zs_report_format_parse(const char *name, enum zs_report_format *out);

/**
 * The format a file name asks for: its extension before an optional ".gz".
 * @return 0, or ZS_ERR_NOTFOUND when the name says nothing
 */
int zs_report_format_of_name(const char *path, enum zs_report_format *out);

/** How a report is made; zero fields take the defaults. */
struct zs_report_opts {
	enum zs_report_format format;
	int out_flags;          /**< zs_out_open() flags (ZS_OUT_OVERWRITE, ZS_OUT_PLAIN) */
	int trend_runs;         /**< runs in the trend (default 10) */
	int64_t trend_from;     /**< when trend_to > 0, the trend is the complete runs */
	int64_t trend_to;       /**< started in [trend_from, trend_to) instead */
	size_t change_list_max; /**< changed domains listed per kind (default 100) */
	bool no_summary_file;   /**< csv, jsonl: do not write the summary beside the report */
	int64_t now;            /**< the report's date, seconds since the epoch (required) */
	const char *title;      /**< NULL: ".<tld> compliance report, run <id>" */
	const char *period;     /**< for periodic reports: "daily"... */
	const char *period_label;
	/** For rule titles: NULL loads the run's policy when it is a built-in one. */
	const struct zs_policy *policy;
};

/** What a report covered. */
struct zs_report_stats {
	uint64_t domains;
	uint64_t n[ZS_DB_STATUS_COUNT_]; /**< rows written per status */
	enum zs_db_run_status run_status;
	int64_t run_id;
};

/**
 * The summary file beside a csv or jsonl report: "x.csv.gz" gives "x.summary.csv.gz",
 * "x.jsonl" gives "x.summary.json".
 * @param compressed  whether the report itself is compressed
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_report_summary_path(const char *path, enum zs_report_format f, bool compressed,
                           struct zs_buf *out);

/**
 * Write the report of a run.
 * @param db      an open connection (busy during the call)
 * @param run_id  the run
 * @param path    the report file ("-" for standard output: no summary file then)
 * @param o       how; o->now must be set
 * @param[out] stats  what was written, when not NULL
 * @return 0, ZS_ERR_NOTFOUND for an unknown run, ZS_ERR_DB, ZS_ERR_PARSE, -EEXIST, or -errno
 *         (nothing is left under the report's names on failure)
 */
int zs_report_run(struct zs_db *db, int64_t run_id, const char *path,
                  const struct zs_report_opts *o, struct zs_report_stats *stats);

enum zs_report_period { ZS_PERIOD_DAILY, ZS_PERIOD_WEEKLY, ZS_PERIOD_MONTHLY };

/** Parse "daily", "weekly" or "monthly". @return 0 or ZS_ERR_USAGE */
int zs_report_period_parse(const char *name, enum zs_report_period *out);

/** A period's name. */
const char *zs_report_period_name(enum zs_report_period p);

/**
 * The calendar period (UTC) that contains @p t: [from, to) and its label ("2026-11-24",
 * "2026-W48" for ISO weeks, "2026-11").
 */
void zs_report_period_bounds(enum zs_report_period p, int64_t t, int64_t *from, int64_t *to,
                             char *label, size_t label_len);

/**
 * Write the periodic reports of the period that contains @p t: for each TLD (or @p tld), the
 * last complete run that started in the period, in each of @p formats, to
 * DIR/<tld>-<period>-<label>.<format>.gz (and its summary file for csv and jsonl). An existing
 * file is left alone unless o->out_flags has ZS_OUT_OVERWRITE.
 * @param o     the report options (format, trend and titles are set here for each report)
 * @param log   one line per report written or refused
 * @param[out] written  reports written
 * @return 0 when every report was written, ZS_ERR_NOTFOUND when no complete run started in
 *         the period, -EEXIST when a report existed (the others are still written), or the
 *         first other error
 */
int zs_report_period(struct zs_db *db, enum zs_report_period p, int64_t t, const char *tld,
                     const char *dir, const enum zs_report_format *formats, size_t nformats,
                     const struct zs_report_opts *o, FILE *log, size_t *written);
