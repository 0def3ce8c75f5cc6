/* SPDX-License-Identifier: MIT */
/* Bounded growable buffer. */
#include "scanner/base/buf.h"

#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"

void zs_buf_init(struct zs_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void zs_buf_deinit(struct zs_buf *b)
{
	zs_free(b->data);
	zs_buf_init(b, b->max);
}

void zs_buf_reset(struct zs_buf *b)
{
	b->len = 0;
	if (b->data != NULL) {
		b->data[0] = '\0';
	}
}

static int reserve(struct zs_buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n) {
		return ZS_ERR_TOOBIG;
	}
	size_t need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap < 64 ? 64 : b->cap;
		while (cap < need) {
			cap *= 2;
		}
		b->data = zs_realloc(b->data, cap);
		b->cap = cap;
	}
	return 0;
}

int zs_buf_reserve(struct zs_buf *b, size_t n)
{
	return reserve(b, n);
}

int zs_buf_append(struct zs_buf *b, const void *p, size_t n)
{
	int ret = reserve(b, n);
	if (ret != 0) {
		return ret;
	}
	if (n > 0) {
		memcpy(b->data + b->len, p, n);
	}
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int zs_buf_insert(struct zs_buf *b, size_t at, const void *p, size_t n)
{
	ZS_REQUIRE(at <= b->len);
	int ret = reserve(b, n);
	if (ret != 0) {
		return ret;
	}
	memmove(b->data + at + n, b->data + at, b->len - at + 1); /* with the NUL */
	memcpy(b->data + at, p, n);
	b->len += n;
	return 0;
}

int zs_buf_puts(struct zs_buf *b, const char *s)
{
	return zs_buf_append(b, s, strlen(s));
}

int zs_buf_putc(struct zs_buf *b, char c)
{
	return zs_buf_append(b, &c, 1);
}

int zs_buf_vprintf(struct zs_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		return ZS_ERR_PARSE;
	}
	int ret = reserve(b, (size_t)n);
	if (ret != 0) {
		return ret;
	}
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int zs_buf_printf(struct zs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = zs_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ret;
}

const char *zs_buf_cstr(const struct zs_buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *zs_buf_steal(struct zs_buf *b)
{
	char *p = b->data != NULL ? b->data : zs_strdup("");
	zs_buf_init(b, b->max);
	return p;
}
