/* SPDX-License-Identifier: MIT */
/*
 * Streaming reader of a TLD zone: RFC 1035 master files (plain or gzip, or stdin) and zone
 * transfers, yielding each delegation of the zone once with its NS names, DS summary and
 * in-bailiwick glue. Memory is bounded by the number of distinct delegations, not the file.
 *
 * A delegation is a name below the apex that owns NS records and is not below another
 * delegation. The apex, names without NS (glue-only names; empty non-terminals own nothing) and
 * names below a delegation (occluded) are never yielded. Glue is the A/AAAA records of the NS
 * targets that lie at or below the delegation itself; sibling glue, owned by another
 * delegation's subtree, is not attached.
 *
 * A delegation is yielded when its group ends: the run of records owned by the delegation point
 * or by names below it. Every zone in canonical order, every zone transfer and every registry
 * dump we know keeps such a group together. A later group of a delegation that was already
 * yielded (records of one domain on non-adjacent lines) does not yield it again: the domain
 * stays one domain, and its late records are counted in zs_zone_stats.late_records, not merged.
 * A delegation whose parent's NS records come only after it, in a non-canonical file, is not
 * known to be occluded when it is yielded. Yielded names are remembered as 128-bit hashes in a
 * segmented open-addressing set (16 bytes a slot, at most 80% full): about 32 bytes per
 * delegation, the only memory that grows with the zone.
 *
 * Two parsers read master files: the fast tokenizer (fast_reader.c, the default) and, as the
 * reference of the differential test, ldns (ldns_reader.c). A logical record may not exceed
 * 64 KiB; one group keeps at most 1024 NS, 1024 DS and 4096 address records (more are ignored).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zs_zone_reader;

/** Which parser reads master files. */
enum zs_zone_engine {
	ZS_ZONE_ENGINE_FAST = 0, /**< the purpose-built tokenizer (default) */
	ZS_ZONE_ENGINE_LDNS,     /**< ldns_rr_new_frm_fp_l() record by record: the reference */
};

struct zs_zone_opts {
	const char *origin;         /**< the zone's apex ("bank"); NULL: from $ORIGIN or the SOA */
	bool strict;                /**< stop at the first syntax error instead of skipping it */
	bool allow_include;         /**< permit $INCLUDE of files under the zone file's directory */
	bool verify_gzip;           /**< check a gzip file's integrity before yielding anything */
	size_t max_errors_kept;     /**< how many syntax errors are remembered (0: 20) */
	enum zs_zone_engine engine; /**< master-file parser (default ZS_ZONE_ENGINE_FAST) */
	bool digest;                /**< compute zs_zone_stats.digest */
	bool quiet;                 /**< count and keep syntax errors without logging them */
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
	const char *const *ns; /**< NS target names, lower case, no final dot, in file order */
	size_t ds_count;
	const struct zs_zone_ds *ds;
	size_t glue_count;
	const char *const *glue;    /**< in-bailiwick glue addresses, text form */
	const char *const *glue_ns; /**< the NS name each glue address belongs to */
};

/** One syntax error of the zone, as remembered for the run. */
struct zs_zone_error {
	const char *file; /**< the file it was found in */
	unsigned long line;
	const char *msg; /**< the reason, one line */
};

struct zs_zone_stats {
	uint64_t bytes;        /**< bytes of zone text read (after decompression) */
	uint64_t records;      /**< records read */
	uint64_t delegations;  /**< delegations yielded */
	uint64_t errors;       /**< records skipped for syntax errors */
	uint64_t late_records; /**< records of an already yielded delegation, not merged */
	uint64_t out_of_zone;  /**< records owned by names outside the zone, ignored */
	uint32_t serial;       /**< the SOA serial, when has_serial */
	bool has_serial;
	bool complete; /**< the whole input was read (EOF reached without fatal error) */
	/** With opts.digest: the sum modulo 2^256 of the SHA-256 of each delegation's name (wire
	 * form, lower case), big-endian. It depends on the set of delegations only, not on their
	 * order, the records or the serial: two reads of one zone give the same digest. */
	uint8_t digest[32];
	size_t errors_kept;
	const struct zs_zone_error *first_errors; /**< the first errors_kept errors */
};

/**
 * Open a zone file: plain or gzip (recognised by its magic bytes), or "-" for stdin.
 * @param path  the file
 * @param opts  options, copied; NULL for the defaults
 * @param[out] out  on success, the reader, to be closed with zs_zone_reader_close()
 * @return 0, ZS_ERR_GZIP (corrupt or truncated gzip, when opts->verify_gzip), ZS_ERR_PARSE
 *         (opts->origin is not a domain name), ZS_ERR_GZIP_STREAM (verify_gzip on gzip from
 *         a pipe or stdin, which cannot be read twice), or -errno
 */
int zs_zone_reader_open(const char *path, const struct zs_zone_opts *opts,
                        struct zs_zone_reader **out);

/**
 * Open a zone transfer (AXFR over TCP) from a primary server.
 * @param server  "HOST[:PORT]" (port 53 by default; "[v6addr]:port" for IPv6)
 * @param zone  the zone to transfer ("bank"); it is the apex
 * @param tsig_file  a TSIG key file (BIND syntax or "[algorithm:]name:secret"), or NULL
 * @param opts  options (origin is replaced by @p zone); NULL for the defaults
 * @param[out] out  on success, the reader, to be closed with zs_zone_reader_close()
 * @return 0, ZS_ERR_USAGE (bad server or unknown host), ZS_ERR_PARSE (bad zone name or key
 *         file), ZS_ERR_DNS (the query could not be sent), or -errno (key file)
 */
int zs_zone_reader_open_axfr(const char *server, const char *zone, const char *tsig_file,
                             const struct zs_zone_opts *opts, struct zs_zone_reader **out);

/**
 * The next delegation of the zone.
 * @param[out] out  on success, the delegation, owned by @p r until the next call
 * @return 0, ZS_ERR_EOF at the end of the zone, ZS_ERR_PARSE in strict mode or when the apex
 *         cannot be known (the error is in the stats), ZS_ERR_GZIP for a corrupt or truncated
 *         gzip stream, ZS_ERR_REFUSED (the transfer was refused: the rcode is in the
 *         stats' errors), ZS_ERR_INCOMPLETE (the transfer stopped before its closing SOA),
 *         or -errno. After an error other than ZS_ERR_EOF every further call returns
 * it again.
 */
int zs_zone_reader_next(struct zs_zone_reader *r, const struct zs_delegation **out);

/** Figures of what was read so far. @return owned by @p r */
const struct zs_zone_stats *zs_zone_reader_stats(const struct zs_zone_reader *r);

/**
 * Read a whole zone once for its figures, yielding nothing: what a sweep checks before it
 * begins. Syntax errors are counted, not logged.
 * @param opts  as zs_zone_reader_open()
 * @param[out] out  the figures read, whatever the outcome (first_errors NULL, errors_kept 0)
 * @param[out] first_error  "file:line: reason" of the first syntax error ("" when none)
 * @return 0 when the zone was read to its end, else what zs_zone_reader_open() or
 *         zs_zone_reader_next() returned
 */
int zs_zone_survey(const char *path, const struct zs_zone_opts *opts, struct zs_zone_stats *out,
                   char *first_error, size_t first_error_len);

/** Close the reader and free everything it holds; NULL is a no-op. */
void zs_zone_reader_close(struct zs_zone_reader *r);
