/* SPDX-License-Identifier: MIT */
/*
 * Report files: written to a temporary name beside the final one, gzip-compressed unless the
 * name says otherwise, and renamed into place only when complete, so that a crash, a full disk
 * or an interrupted run never leaves a truncated report under the name a reader expects.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct zs_out;

enum zs_out_flags {
	ZS_OUT_OVERWRITE = 1 << 0, /**< replace an existing file (default: refuse) */
	ZS_OUT_PLAIN = 1 << 1,     /**< never compress, whatever the name */
};

/**
 * Whether a file name asks for compression: "*.gz" does, a plain extension (.csv, .jsonl,
 * .json, .html, .txt, .mbox, .eml) does not, anything else does.
 */
bool zs_out_name_wants_gzip(const char *path);

/**
 * Open a report for writing. "-" is standard output (never compressed, nothing renamed).
 * @param[out] out  on success, the report; finish with zs_out_commit() or zs_out_abort()
 * @return 0, -EEXIST when the file exists and ZS_OUT_OVERWRITE is not set, or -errno
 */
int zs_out_open(const char *path, int flags, struct zs_out **out);

/** Append bytes. @return 0 or -errno (the error is also remembered for commit) */
int zs_out_write(struct zs_out *o, const void *p, size_t n);

/** Append a string. @return 0 or -errno */
int zs_out_puts(struct zs_out *o, const char *s);

/** Append formatted text. @return 0 or -errno */
int zs_out_printf(struct zs_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Finish: flush, sync, and move the file to its final name. The report is freed.
 * @return 0, or -errno (the temporary file is removed, the final name untouched)
 */
int zs_out_commit(struct zs_out *o);

/** Give up: remove the temporary file and free the report. NULL is a no-op. */
void zs_out_abort(struct zs_out *o);

/** The final path of the report. @return owned by @p o */
const char *zs_out_path(const struct zs_out *o);
