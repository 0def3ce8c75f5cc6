/* SPDX-License-Identifier: MIT */
/*
 * zs_buf: growable bytes with a hard maximum, as curl's dynbuf. Appending past the maximum
 * fails with ZS_ERR_TOOBIG and leaves the buffer as it was, so hostile input can never make a
 * buffer grow without bound. The content is always NUL-terminated (not counted in len).
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct zs_buf {
	char *data; /**< NUL-terminated content, NULL until the first append */
	size_t len; /**< bytes used, without the terminating NUL */
	size_t cap; /**< bytes allocated */
	size_t max; /**< hard limit on len */
};

/** Initialise an empty buffer that may hold up to @p max bytes. */
void zs_buf_init(struct zs_buf *b, size_t max);
/**
 * Make room for @p n more bytes at once (to spare a growing buffer its reallocations).
 * @return 0 or ZS_ERR_TOOBIG
 */
int zs_buf_reserve(struct zs_buf *b, size_t n);
/** Free the content; the buffer is empty and usable again. */
void zs_buf_deinit(struct zs_buf *b);
/** Forget the content but keep the allocation. */
void zs_buf_reset(struct zs_buf *b);
/** Append @p n bytes. @return 0 or ZS_ERR_TOOBIG (nothing appended) */
int zs_buf_append(struct zs_buf *b, const void *p, size_t n);
/** Append a NUL-terminated string. @return 0 or ZS_ERR_TOOBIG */
int zs_buf_puts(struct zs_buf *b, const char *s);
/**
 * Insert @p n bytes at offset @p at (0 <= at <= len), moving what follows.
 * @return 0 or ZS_ERR_TOOBIG (nothing inserted)
 */
int zs_buf_insert(struct zs_buf *b, size_t at, const void *p, size_t n);
/** Append one byte. @return 0 or ZS_ERR_TOOBIG */
int zs_buf_putc(struct zs_buf *b, char c);
/** Append formatted text. @return 0 or ZS_ERR_TOOBIG (nothing appended) */
int zs_buf_printf(struct zs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** vprintf variant of zs_buf_printf(). @return 0 or ZS_ERR_TOOBIG */
int zs_buf_vprintf(struct zs_buf *b, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/** The content as a C string; "" when empty. @return owned by @p b */
const char *zs_buf_cstr(const struct zs_buf *b);
/** Take the content away from the buffer. @return owned by the caller (zs_free), never NULL */
char *zs_buf_steal(struct zs_buf *b);
