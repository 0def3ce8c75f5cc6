/* SPDX-License-Identifier: MIT */
/*
 * RFC 5322 messages in an mbox, for notices. Header injection is made impossible here, not
 * hoped away: every header field is built by zs_mail_header(), which refuses a name that is
 * not printable ASCII without ':' and a value with any control character (CR, LF, NUL...),
 * encodes non-ASCII text as RFC 2047 encoded-words and folds long values; addresses must be
 * plain dot-atom ASCII (zs_mail_addr_ok()). Bodies are quoted-printable UTF-8 (RFC 2045), so
 * any byte and any line length travels safely, and no body line can begin with "From " or
 * ">From " (the mbox separator and its quoting), whatever the text.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/base/buf.h"

/**
 * Whether an address is acceptable in a header: local@domain, the local part a dot-atom of
 * RFC 5322 atext, the domain LDH labels, at most 254 bytes, ASCII only.
 */
bool zs_mail_addr_ok(const char *addr);

/**
 * Split "Display Name <local@domain>" or "local@domain" into its parts and check them.
 * @param[out] name  the display name ("" when none), at most @p name_len - 1 bytes
 * @param[out] addr  the address
 * @return 0, or ZS_ERR_USAGE for anything else (control characters, a bad address, ...)
 */
int zs_mail_mailbox_parse(const char *text, char *name, size_t name_len, char *addr,
                          size_t addr_len);

/**
 * Whether a header field's value may be written: valid UTF-8, no control character but tab,
 * at most 900 bytes.
 */
bool zs_mail_value_ok(const char *value);

/**
 * Append "Name: value\n": unstructured text, encoded-words when not ASCII, folded at 78
 * columns where it can be.
 * @return 0, ZS_ERR_USAGE for an invalid name or value (nothing appended), or ZS_ERR_TOOBIG
 */
int zs_mail_header(struct zs_buf *out, const char *name, const char *value);

/**
 * Append "Name: Display <addr>\n" (or "Name: addr\n" without a display name). The display
 * name is quoted or encoded as needed.
 * @return 0, ZS_ERR_USAGE for an invalid address or display name, or ZS_ERR_TOOBIG
 */
int zs_mail_mailbox_header(struct zs_buf *out, const char *name, const char *display,
                           const char *addr);

/**
 * Append a body as quoted-printable: lines end in LF (CR LF and lone CR in the input become
 * LF), no encoded line is longer than 76 characters, and a line that would start with "From "
 * or ">" is started with an encoded character instead.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_mail_qp(struct zs_buf *out, const char *body, size_t n);

/** Format an RFC 5322 date-time in UTC: "Tue, 24 Nov 2026 23:12:51 +0000". @return buf */
const char *zs_mail_date(char *buf, size_t len, int64_t t);

/**
 * Append the mbox separator line "From ADDR Tue Nov 24 23:12:51 2026\n".
 * @return 0, ZS_ERR_USAGE for an address zs_mail_addr_ok() refuses, or ZS_ERR_TOOBIG
 */
int zs_mail_from_line(struct zs_buf *out, const char *addr, int64_t t);
