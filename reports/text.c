/* SPDX-License-Identifier: MIT */
/* Shown text, HTML escaping, zone-file TXT presentation and UTC times. */
#include "reports/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner/base/err.h"
#include "scanner/base/escape.h"

/* Code points that are valid but must not reach a screen as such: C1 controls, zero-width
 * and direction marks, line/paragraph separators, bidirectional embeddings, overrides and
 * isolates, and the byte order mark. */
static bool invisible(const unsigned char *p, size_t len)
{
	unsigned cp = 0;
	if (len == 2) {
		cp = ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
	} else if (len == 3) {
		cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
	} else {
		return false;
	}
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Length of the plain sequence at p (0: escape the byte). */
static size_t plain_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80) {
		return p[0] < 0x20 || p[0] == 0x7f ? 0 : 1;
	}
	size_t len = zs_utf8_seq_len(p, n);
	return len == 0 || invisible(p, len) ? 0 : len;
}

bool zs_text_is_shown(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		size_t len = plain_len(s + i, n - i);
		if (len == 0) {
			return false;
		}
		i += len;
	}
	return true;
}

static int put_hex(struct zs_buf *out, const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	int ret = 0;
	for (size_t k = 0; k < len && ret == 0; k++) {
		char e[4] = { '\\', 'x', hex[p[k] >> 4], hex[p[k] & 15] };
		ret = zs_buf_append(out, e, sizeof(e));
	}
	return ret;
}

int zs_text_shown(struct zs_buf *out, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;
	int ret = 0;

	while (i < n && ret == 0) {
		size_t start = i;
		size_t len = 0;
		while (i < n && (len = plain_len(s + i, n - i)) > 0) {
			i += len;
		}
		ret = zs_buf_append(out, p + start, i - start);
		if (ret == 0 && i < n) {
			/* one escaped byte, or a whole invisible code point */
			size_t seq = zs_utf8_seq_len(s + i, n - i);
			seq = seq == 0 || s[i] < 0x80 ? 1 : seq;
			ret = put_hex(out, s + i, seq);
			i += seq;
		}
	}
	return ret;
}

int zs_text_html(struct zs_buf *out, const char *p, size_t n)
{
	struct zs_buf shown;
	int ret = 0;

	zs_buf_init(&shown, out->max);
	if (zs_text_is_shown(p, n)) {
		ret = zs_buf_append(&shown, p, n);
	} else {
		ret = zs_text_shown(&shown, p, n);
	}
	const char *s = zs_buf_cstr(&shown);
	size_t start = 0;
	for (size_t i = 0; i < shown.len && ret == 0; i++) {
		const char *ent = NULL;
		switch (s[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		ret = zs_buf_append(out, s + start, i - start);
		ret = ret != 0 ? ret : zs_buf_puts(out, ent);
		start = i + 1;
	}
	if (ret == 0) {
		ret = zs_buf_append(out, s + start, shown.len - start);
	}
	zs_buf_deinit(&shown);
	return ret;
}

int zs_text_html_str(struct zs_buf *out, const char *s)
{
	return s == NULL ? 0 : zs_text_html(out, s, strlen(s));
}

int zs_text_zone_txt(struct zs_buf *out, const uint8_t *p, size_t n)
{
	int ret = 0;
	size_t i = 0;

	do {
		size_t end = i + 255 < n ? i + 255 : n;
		ret = i > 0 ? zs_buf_putc(out, ' ') : 0;
		ret = ret != 0 ? ret : zs_buf_putc(out, '"');
		for (; i < end && ret == 0; i++) {
			if (p[i] == '"' || p[i] == '\\') {
				ret = zs_buf_putc(out, '\\');
				ret = ret != 0 ? ret : zs_buf_putc(out, (char)p[i]);
			} else if (p[i] < 0x20 || p[i] >= 0x7f) {
				ret = zs_buf_printf(out, "\\%03u", p[i]);
			} else {
				ret = zs_buf_putc(out, (char)p[i]);
			}
		}
		ret = ret != 0 ? ret : zs_buf_putc(out, '"');
	} while (i < n && ret == 0);
	return ret;
}

int64_t zs_text_now(bool *ignored)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	if (ignored != NULL) {
		*ignored = false;
	}
	if (env != NULL && env[0] != '\0') {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(env, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0) {
			return v;
		}
		if (ignored != NULL) {
			*ignored = true;
		}
	}
	return (int64_t)time(NULL);
}

int zs_text_parse_date(const char *text, int64_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(text, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0') {
		return ZS_ERR_PARSE;
	}
	*out = (int64_t)timegm(&tm);
	return 0;
}

const char *zs_text_time(char *buf, size_t len, int64_t t, int style)
{
	struct tm tm;
	time_t tt = (time_t)t;
	size_t n = 0;

	if (gmtime_r(&tt, &tm) != NULL) {
		switch (style) {
		case 0:
			n = strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
			break;
		case 1:
			n = strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
			break;
		default:
			n = strftime(buf, len, "%Y-%m-%d", &tm);
			break;
		}
	}
	if (n == 0) {
		snprintf(buf, len, "%lld", (long long)t);
	}
	return buf;
}
