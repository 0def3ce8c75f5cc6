/* SPDX-License-Identifier: MIT */
/*
 * The compliance report of one domain, the document a .POST registrant submits to the
 * secretariat (the UPU policy asks for one): every rule of the policy with its verdict, the
 * reason and the evidence (the records exactly as found, the facts the rule reads), the
 * records to publish where a rule fails or warns, the attestation items with what the
 * registrant attested, the exemptions in force, the date and the tool's version. JSON for
 * machines, HTML (self-contained, as reports/html.h) for people.
 */
#pragma once

#include <stdint.h>

#include "db/db.h"
#include "reports/report.h"

struct zs_policy;

/** How a domain report is made. */
struct zs_domain_report_opts {
	enum zs_report_format format; /**< ZS_REPORT_JSON or ZS_REPORT_HTML */
	int out_flags;                /**< zs_out_open() flags */
	int64_t now;                  /**< the report's date (required) */
	/** The policy for titles, fixes and attestation items: NULL loads the run's policy when
	 *  it is a built-in one. */
	const struct zs_policy *policy;
};

/**
 * Write a domain's compliance report.
 * @param domain  the domain, normalised (lower case, no final dot)
 * @param run_id  the run to report on; 0 for the newest run that has a result for it
 * @param path    the file ("-": standard output)
 * @return 0, ZS_ERR_NOTFOUND (no run has the domain; message in zs_db_error()), ZS_ERR_USAGE
 *         for another format, ZS_ERR_DB, -EEXIST, or -errno
 */
int zs_report_domain(struct zs_db *db, const char *domain, int64_t run_id, const char *path,
                     const struct zs_domain_report_opts *o);
