/* SPDX-License-Identifier: MIT */
/*
 * Zone sanity checks (check.h). Each refusal says what was found and what was expected, so that
 * the operator can tell a wrong path from a failed transfer from another TLD's zone.
 */
#include "zoneio/check.h"

#include <stdarg.h>
#include <stdio.h>

#include "scanner/base/err.h"

static int refuse(char *why, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return ZS_ERR_REFUSED;
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

int zs_zone_check(const struct zs_zone_stats *z, const char *apex,
                  const struct zs_zone_baseline *prev, const struct zs_zone_limits *lim, char *why,
                  size_t why_len)
{
	unsigned long long records = z->records;
	unsigned long long errors = z->errors;
	unsigned long long lines = records + errors;

	if (!z->complete) {
		return refuse(why, why_len, "the zone was not read to its end");
	}
	if (lines == 0) {
		return refuse(why, why_len, "the zone is empty: no record at all");
	}
	if (records == 0) {
		return refuse(why, why_len,
		              "not a zone file: no record could be read (%llu syntax errors)",
		              errors);
	}
	if (!z->has_serial) {
		if (z->out_of_zone > 0) {
			return refuse(why, why_len,
			              "no SOA record at the apex %s. (%llu of its %llu records are "
			              "outside %s.: is it the zone of another TLD?)",
			              apex, (unsigned long long)z->out_of_zone, records, apex);
		}
		return refuse(why, why_len, "no SOA record at the apex %s.", apex);
	}
	if (z->delegations == 0 && !lim->allow_empty) {
		return refuse(why, why_len,
		              "no delegation below %s. (%llu records read; give --allow-empty if "
		              "the TLD has none yet)",
		              apex, records);
	}
	if ((double)errors > lim->max_error_share * (double)lines) {
		return refuse(why, why_len,
		              "%llu of its %llu records are syntax errors (%.1f %%, more than the "
		              "%.1f %% allowed)",
		              errors, lines, percent(errors, lines), 100.0 * lim->max_error_share);
	}
	if (prev != NULL && prev->run_id > 0 && !lim->allow_shrink &&
	    (double)z->delegations < (double)prev->delegations * (1.0 - lim->max_shrink)) {
		uint64_t lost = prev->delegations - z->delegations;
		return refuse(why, why_len,
		              "%llu delegations, %.1f %% fewer than the %llu of run %lld (at most "
		              "%.1f %% allowed; give --allow-shrink if the zone did shrink)",
		              (unsigned long long)z->delegations, percent(lost, prev->delegations),
		              (unsigned long long)prev->delegations, (long long)prev->run_id,
		              100.0 * lim->max_shrink);
	}
	return 0;
}
