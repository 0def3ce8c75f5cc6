/* SPDX-License-Identifier: MIT */
/*
 * HTML reports: one self-contained page, no external asset. The style and the small script
 * that sorts tables are inline, and the page's Content-Security-Policy allows exactly those
 * two (by their SHA-256) and nothing else: no network, no other script. So even if text from
 * DNS escaped its escaping (it is shown as reports/text.h says, then entity-escaped), it could
 * neither run nor fetch anything. Charts are inline SVG drawn here from the summary.
 *
 * The functions append to a zs_buf; the caller streams it to the report file.
 */
#pragma once

#include <stddef.h>

#include "db/report_query.h"
#include "reports/summary.h"
#include "scanner/base/buf.h"

/**
 * The page's head and the start of its body, with @p title as <title> and <h1>.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_html_page_begin(struct zs_buf *b, const char *title);

/** The script and the end of the page. @return 0 or ZS_ERR_TOOBIG */
int zs_html_page_end(struct zs_buf *b);

/**
 * The summary of a run: notes, counts, changes, DNS figures, the trend chart and the chart
 * and table of verdicts per rule. Elements carry ids (n-domains, n-compliant,
 * n-non-compliant, n-indeterminate, rate, ...) for tests and scrapers.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_html_summary(struct zs_buf *b, const struct zs_db_report_summary *s,
                    const struct zs_report_meta *m);

/** The trend chart: the share of each status per run, as inline SVG.
 *  @return 0 or ZS_ERR_TOOBIG */
int zs_html_trend_svg(struct zs_buf *b, const struct zs_db_report_summary *s);

/** The chart of fail, warn and error verdicts per rule, as inline SVG.
 *  @return 0 or ZS_ERR_TOOBIG */
int zs_html_rules_svg(struct zs_buf *b, const struct zs_db_report_summary *s);

/** The per-domain table's start (sortable; one column per rule of the summary).
 *  @return 0 or ZS_ERR_TOOBIG */
int zs_html_table_begin(struct zs_buf *b, const struct zs_db_report_summary *s,
                        const struct zs_report_meta *m);

/** One domain's row. @return 0 or ZS_ERR_TOOBIG */
int zs_html_table_row(struct zs_buf *b, const struct zs_db_report_summary *s,
                      const struct zs_db_report_row *row);

/** The per-domain table's end, with the row count. @return 0 or ZS_ERR_TOOBIG */
int zs_html_table_end(struct zs_buf *b, unsigned long long rows);

/** The Content-Security-Policy of the pages (for tests): "default-src 'none'; ...".
 *  @return 0, ZS_ERR_TOOBIG, or ZS_ERR_PARSE when the digest cannot be computed */
int zs_html_csp(struct zs_buf *b);
