/* SPDX-License-Identifier: MIT */
/*
 * Run reports: a stored run's per-domain results, streamed from the database into a report
 * file (gzip unless the name says otherwise). Rows are never all held in memory.
 */
#pragma once

#include <stdint.h>

#include "db/db.h"

enum zs_report_format {
	ZS_REPORT_CSV,
	ZS_REPORT_JSONL,
};

struct zs_report_stats {
	uint64_t domains;
	uint64_t compliant;
	uint64_t non_compliant;
	uint64_t indeterminate;
};

/**
 * Write the report of a run.
 * @param db      an open connection (busy during the call)
 * @param run_id  the run
 * @param format  the report's format
 * @param path    the report file ("-" for standard output)
 * @param flags   zs_out_open() flags (ZS_OUT_OVERWRITE)
 * @param[out] stats  what was written, when not NULL
 * @return 0, ZS_ERR_NOTFOUND for an unknown run, ZS_ERR_DB, -EEXIST, or -errno
 */
int zs_report_run(struct zs_db *db, int64_t run_id, enum zs_report_format format, const char *path,
                  int flags, struct zs_report_stats *stats);
