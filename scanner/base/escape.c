/* SPDX-License-Identifier: MIT */
/* Reversible, printable escaping of untrusted bytes. */
#include "scanner/base/escape.h"

#include "scanner/base/err.h"

size_t zs_utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned int cp;

	if (c < 0x80) {
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points above U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return len;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

bool zs_data_is_plain(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;

	while (i < n) {
		if (s[i] < 0x80) {
			if (needs_escape(s[i])) {
				return false;
			}
			i++;
			continue;
		}
		size_t len = zs_utf8_seq_len(s + i, n - i);
		if (len == 0) {
			return false;
		}
		i += len;
	}
	return true;
}

int zs_escape_data(struct zs_buf *out, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i = 0;
	int ret = 0;

	while (i < n && ret == 0) {
		size_t run = i;
		/* copy the longest plain stretch in one append */
		while (run < n) {
			if (s[run] < 0x80) {
				if (needs_escape(s[run])) {
					break;
				}
				run++;
				continue;
			}
			size_t len = zs_utf8_seq_len(s + run, n - run);
			if (len == 0) {
				break;
			}
			run += len;
		}
		if (run > i) {
			ret = zs_buf_append(out, s + i, run - i);
			i = run;
			continue;
		}
		char esc[4] = { '\\', 'x', hex[s[i] >> 4], hex[s[i] & 0xf] };
		ret = zs_buf_append(out, esc, sizeof(esc));
		i++;
	}
	return ret;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int zs_unescape_data(struct zs_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (n - i < 4) {
				return ZS_ERR_PARSE;
			}
			int hi = hexval(s[i + 2]);
			int lo = hexval(s[i + 3]);
			if (s[i + 1] != 'x' || hi < 0 || lo < 0) {
				return ZS_ERR_PARSE;
			}
			c = (char)(hi << 4 | lo);
			i += 3;
		}
		int ret = zs_buf_putc(out, c);
		if (ret != 0) {
			return ret;
		}
	}
	return 0;
}
