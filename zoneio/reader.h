/* SPDX-License-Identifier: MIT */
/*
 * Streaming reader of a TLD zone: RFC 1035 master files (plain or gzip, or stdin) and zone
 * transfers, yielding each delegation of the zone once with its NS names, DS summary and
 * in-bailiwick glue. Memory is bounded by the number of distinct delegations, not the file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zs_zone_reader;

struct zs_zone_opts {
	const char *origin;     /**< the zone's apex ("bank"); NULL: from $ORIGIN or the SOA */
	bool strict;            /**< stop at the first syntax error instead of skipping it */
	bool allow_include;     /**< permit $INCLUDE of files under the zone file's directory */
	bool verify_gzip;       /**< check a gzip file's integrity before yielding anything */
	size_t max_errors_kept; /**< how many syntax errors are remembered (0: 20) */
};

/** One DS record of a delegation, summarised. */
struct zs_zone_ds {
	uint16_t keytag;
	uint8_t algorithm;
	uint8_t digest_type;
};

/** A delegation point of the zone. Valid until the next call on its reader. */
struct zs_delegation {
	const char *name; /**< lower case, no final dot: "example.bank" */
	size_t ns_count;
	const char *const *ns; /**< NS target names, lower case, no final dot */
	size_t ds_count;
	const struct zs_zone_ds *ds;
	size_t glue_count;
	const char *const *glue; /**< in-bailiwick glue addresses, text form */
};

/** One syntax error of the zone, as remembered for the run. */
struct zs_zone_error {
	const char *file; /**< the file it was found in */
	unsigned long line;
	const char *msg; /**< the reason, one line */
};

struct zs_zone_stats {
	uint64_t bytes;       /**< bytes of zone text read (after decompression) */
	uint64_t records;     /**< records read */
	uint64_t delegations; /**< delegations yielded */
	uint64_t errors;      /**< records skipped for syntax errors */
	uint32_t serial;      /**< the SOA serial, when has_serial */
	bool has_serial;
	bool complete; /**< the whole input was read (EOF reached without fatal error) */
	size_t errors_kept;
	const struct zs_zone_error *first_errors; /**< the first errors_kept errors */
};

/**
 * Open a zone file: plain or gzip (recognised by its magic bytes), or "-" for stdin.
 * @param path  the file
 * @param opts  options; NULL for the defaults
 * @param[out] out  on success, the reader, to be closed with zs_zone_reader_close()
 * @return 0, ZS_ERR_GZIP (corrupt or truncated gzip, when opts->verify_gzip), or -errno
 */
int zs_zone_reader_open(const char *path, const struct zs_zone_opts *opts,
                        struct zs_zone_reader **out);

/**
 * The next delegation of the zone.
 * @param[out] out  on success, the delegation, owned by @p r until the next call
 * @return 0, ZS_ERR_EOF at the end of the zone, ZS_ERR_PARSE in strict mode (the error is in
 *         the stats), ZS_ERR_GZIP for a corrupt or truncated gzip stream, or -errno
 */
int zs_zone_reader_next(struct zs_zone_reader *r, const struct zs_delegation **out);

/** Figures of what was read so far. @return owned by @p r */
const struct zs_zone_stats *zs_zone_reader_stats(const struct zs_zone_reader *r);

/** Close the reader and free everything it holds; NULL is a no-op. */
void zs_zone_reader_close(struct zs_zone_reader *r);
