/* SPDX-License-Identifier: MIT */
/*
 * CSV cells per RFC 4180, safe to open in a spreadsheet: a cell that would start with "=",
 * "+", "-", "@", a tab or a carriage return is prefixed with an apostrophe so that it is
 * never taken for a formula (OWASP "CSV injection"), and untrusted bytes are shown with the
 * data escaping of scanner/base/escape.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "scanner/base/buf.h"

/**
 * Append one cell to a CSV line, with the separating comma unless it is the line's first.
 * @param line   the line being built
 * @param first  whether this is the first cell of the line
 * @param p      the cell's bytes (untrusted), NULL for an empty cell
 * @param n      their length
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_csv_cell(struct zs_buf *line, bool first, const char *p, size_t n);

/** zs_csv_cell() for a NUL-terminated string (NULL: empty cell). */
int zs_csv_cell_str(struct zs_buf *line, bool first, const char *s);

/**
 * A cell of text the database holds (already data-escaped where it came from DNS): shown as
 * reports/text.h says, so that its backslashes are not escaped a second time; quoted and
 * neutralised as zs_csv_cell().
 * @param s  the text, NULL for an empty cell
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_csv_cell_shown(struct zs_buf *line, bool first, const char *s);
