/* SPDX-License-Identifier: MIT */
/*
 * The data escaping used wherever bytes that came from DNS are shown or stored as text
 * (JSON facts, logs, reports): valid UTF-8 passes through except control bytes, DEL and the
 * backslash, which are written as "\xNN", as is every byte that is not part of a valid UTF-8
 * sequence. The result is printable, valid UTF-8, and zs_unescape_data() recovers the bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "scanner/base/buf.h"

/**
 * Append the escaped form of @p n bytes to @p out.
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_escape_data(struct zs_buf *out, const void *p, size_t n);

/**
 * Append the bytes that an escaped text stands for.
 * @return 0, ZS_ERR_PARSE for a malformed "\x" sequence, or ZS_ERR_TOOBIG
 */
int zs_unescape_data(struct zs_buf *out, const char *s, size_t n);

/**
 * Whether @p n bytes need no escaping at all (valid UTF-8, no control byte, no backslash).
 * @return true when zs_escape_data() would copy them unchanged
 */
bool zs_data_is_plain(const void *p, size_t n);

/**
 * Length of the valid UTF-8 sequence at @p p, or 0 when the bytes there are not one.
 * @param n  bytes available
 */
size_t zs_utf8_seq_len(const unsigned char *p, size_t n);
