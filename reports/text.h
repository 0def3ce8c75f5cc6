/* SPDX-License-Identifier: MIT */
/*
 * How text that came from DNS is shown in reports and notices. Everything a report shows is
 * either text the database holds (already in the data escaping of scanner/base/escape.h when
 * it came from DNS, but possibly with control characters in a verdict's reason) or raw TXT
 * bytes. "Shown" text is printable UTF-8: control bytes, DEL, bytes that are not valid UTF-8
 * and the invisible code points that can reorder or hide text on screen (C1 controls,
 * bidirectional overrides and isolates, zero-width characters, line and paragraph separators,
 * the byte order mark) are written as "\xNN" per byte; the backslash itself is left alone, so
 * text that is already escaped is not escaped twice. HTML adds entity escaping on top; notices
 * show raw records in zone-file presentation form, as an operator would publish them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/buf.h"

/**
 * Append @p n bytes as shown text.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_text_shown(struct zs_buf *out, const char *p, size_t n);

/** Whether zs_text_shown() would copy @p n bytes unchanged. */
bool zs_text_is_shown(const char *p, size_t n);

/**
 * Append @p n bytes as shown text escaped for HTML text and quoted attribute values
 * (& < > " ' as character references).
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_text_html(struct zs_buf *out, const char *p, size_t n);

/** zs_text_html() of a NUL-terminated string; NULL appends nothing. */
int zs_text_html_str(struct zs_buf *out, const char *s);

/**
 * Append TXT rdata in zone-file presentation form (RFC 1035 section 5.1): one or more quoted
 * character-strings of at most 255 bytes, with '"' and '\' escaped by a backslash and every
 * byte outside printable ASCII as "\DDD".
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_text_zone_txt(struct zs_buf *out, const uint8_t *p, size_t n);

/**
 * The date reports and notices carry: SOURCE_DATE_EPOCH when it is set to a positive number
 * (reproducible output, as reproducible builds use it), else the current time.
 * @param[out] ignored  when not NULL, set to true when SOURCE_DATE_EPOCH is set but invalid
 * @return seconds since the epoch
 */
int64_t zs_text_now(bool *ignored);

/**
 * Parse a date "YYYY-MM-DD" (nothing before or after it).
 * @param[out] out  on success, its midnight UTC in seconds since the epoch
 * @return 0 or ZS_ERR_PARSE
 */
int zs_text_parse_date(const char *text, int64_t *out);

/**
 * Format seconds since the epoch as UTC.
 * @param style  0: "2026-11-24T23:12:51Z", 1: "2026-11-24 23:12 UTC", 2: "2026-11-24"
 * @return @p buf
 */
const char *zs_text_time(char *buf, size_t len, int64_t t, int style);
