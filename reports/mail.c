/* SPDX-License-Identifier: MIT */
/* Header fields that cannot be injected into, quoted-printable bodies, mbox framing. */
#include "reports/mail.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scanner/base/err.h"
#include "scanner/base/escape.h"

enum { VALUE_MAX = 900, FOLD = 78, QP_LINE = 76 };

/* Names written here, not by strftime(): the locale must not change a header. */
static const char *const day_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

bool zs_mail_addr_ok(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t n = strlen(addr);

	if (at == NULL || at == addr || n > 254 || at[1] == '\0') {
		return false;
	}
	/* local part: dot-atom */
	for (const char *p = addr; p < at; p++) {
		if (*p == '.') {
			if (p == addr || p[1] == '.' || p + 1 == at) {
				return false;
			}
		} else if (!atext(*p)) {
			return false;
		}
	}
	/* domain: LDH labels of 1..63 bytes */
	size_t label = 0;
	for (const char *p = at + 1; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
		} else if (!ldh(*p) || ++label > 63) {
			return false;
		}
	}
	return label > 0;
}

bool zs_mail_value_ok(const char *value)
{
	size_t n = strlen(value);
	if (n > VALUE_MAX) {
		return false;
	}
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)value[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return false;
		}
		size_t len = zs_utf8_seq_len((const unsigned char *)value + i, n - i);
		if (len == 0) {
			return false;
		}
		i += len;
	}
	return true;
}

int zs_mail_mailbox_parse(const char *text, char *name, size_t name_len, char *addr,
                          size_t addr_len)
{
	const char *lt = strchr(text, '<');
	size_t n = strlen(text);

	if (!zs_mail_value_ok(text)) {
		return ZS_ERR_USAGE;
	}
	if (lt == NULL) {
		if (n >= addr_len || !zs_mail_addr_ok(text)) {
			return ZS_ERR_USAGE;
		}
		memcpy(addr, text, n + 1);
		name[0] = '\0';
		return 0;
	}
	if (n == 0 || text[n - 1] != '>' || strchr(lt + 1, '<') != NULL) {
		return ZS_ERR_USAGE;
	}
	size_t an = n - (size_t)(lt - text) - 2;
	size_t nn = (size_t)(lt - text);
	while (nn > 0 && (text[nn - 1] == ' ' || text[nn - 1] == '\t')) {
		nn--;
	}
	const char *ns = text;
	while (nn > 0 && (*ns == ' ' || *ns == '\t')) {
		ns++;
		nn--;
	}
	if (nn >= 2 && ns[0] == '"' && ns[nn - 1] == '"') {
		ns++;
		nn -= 2;
	}
	if (an >= addr_len || nn >= name_len) {
		return ZS_ERR_USAGE;
	}
	memcpy(addr, lt + 1, an);
	addr[an] = '\0';
	memcpy(name, ns, nn);
	name[nn] = '\0';
	if (!zs_mail_addr_ok(addr) || strchr(name, '"') != NULL || strchr(name, '\\') != NULL) {
		return ZS_ERR_USAGE;
	}
	return 0;
}

static bool ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80) {
			return false;
		}
	}
	return true;
}

static bool name_ok(const char *name)
{
	if (name[0] == '\0') {
		return false;
	}
	for (const char *p = name; *p != '\0'; p++) {
		if (*p < 33 || *p > 126 || *p == ':') {
			return false;
		}
	}
	return true;
}

/* RFC 2047 "B" encoded-words of at most 75 characters each, cut between UTF-8 sequences,
 * separated by a fold. */
static int encoded_words(struct zs_buf *out, const char *s, size_t *col)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0;) {
		/* 45 bytes encode to 60 characters: "=?UTF-8?B?" + 60 + "?=" = 72 */
		size_t take = 0;
		while (i + take < n) {
			size_t len =
			        zs_utf8_seq_len((const unsigned char *)s + i + take, n - i - take);
			len = len == 0 ? 1 : len;
			if (take + len > 45) {
				break;
			}
			take += len;
		}
		if (i > 0) {
			ret = zs_buf_puts(out, "\n ");
			*col = 1;
		}
		ret = ret != 0 ? ret : zs_buf_puts(out, "=?UTF-8?B?");
		const unsigned char *p = (const unsigned char *)s + i;
		for (size_t k = 0; k < take && ret == 0; k += 3) {
			unsigned v = (unsigned)p[k] << 16;
			v |= k + 1 < take ? (unsigned)p[k + 1] << 8 : 0;
			v |= k + 2 < take ? p[k + 2] : 0;
			char q[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
				      k + 1 < take ? b64[v >> 6 & 63] : '=',
				      k + 2 < take ? b64[v & 63] : '=' };
			ret = zs_buf_append(out, q, 4);
		}
		ret = ret != 0 ? ret : zs_buf_puts(out, "?=");
		*col += 12 + (take + 2) / 3 * 4;
		i += take;
	}
	return ret;
}

/* ASCII text, folded at spaces so that lines stay near 78 columns. */
static int folded(struct zs_buf *out, const char *s, size_t *col)
{
	int ret = 0;
	while (*s != '\0' && ret == 0) {
		size_t word = strcspn(s + 1, " \t") + 1;
		if (*col + word > FOLD && *col > 1 && (*s == ' ' || *s == '\t')) {
			ret = zs_buf_putc(out, '\n'); /* the space starts the continuation line */
			*col = 0;
		}
		ret = ret != 0 ? ret : zs_buf_append(out, s, word);
		*col += word;
		s += word;
	}
	return ret;
}

int zs_mail_header(struct zs_buf *out, const char *name, const char *value)
{
	size_t col = strlen(name) + 2;
	size_t mark = out->len;

	if (!name_ok(name) || !zs_mail_value_ok(value)) {
		return ZS_ERR_USAGE;
	}
	int ret = zs_buf_printf(out, "%s: ", name);
	if (ret == 0) {
		ret = ascii(value) ? folded(out, value, &col) : encoded_words(out, value, &col);
	}
	ret = ret != 0 ? ret : zs_buf_putc(out, '\n');
	if (ret != 0) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	return ret;
}

int zs_mail_mailbox_header(struct zs_buf *out, const char *name, const char *display,
                           const char *addr)
{
	size_t mark = out->len;
	size_t col = strlen(name) + 2;
	int ret = 0;

	if (!name_ok(name) || !zs_mail_addr_ok(addr) ||
	    (display != NULL && !zs_mail_value_ok(display))) {
		return ZS_ERR_USAGE;
	}
	ret = zs_buf_printf(out, "%s: ", name);
	if (ret == 0 && display != NULL && display[0] != '\0') {
		if (!ascii(display)) {
			ret = encoded_words(out, display, &col);
		} else {
			/* a quoted-string: only '"' and '\' need a backslash */
			ret = zs_buf_putc(out, '"');
			for (const char *p = display; *p != '\0' && ret == 0; p++) {
				if (*p == '"' || *p == '\\') {
					ret = zs_buf_putc(out, '\\');
				}
				ret = ret != 0 ? ret : zs_buf_putc(out, *p);
			}
			ret = ret != 0 ? ret : zs_buf_putc(out, '"');
		}
		ret = ret != 0 ? ret : zs_buf_printf(out, " <%s>\n", addr);
	} else if (ret == 0) {
		ret = zs_buf_printf(out, "%s\n", addr);
	}
	if (ret != 0) {
		out->len = mark;
		if (out->data != NULL) {
			out->data[mark] = '\0';
		}
	}
	return ret;
}

int zs_mail_qp(struct zs_buf *out, const char *body, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < n && body[i + 1] == '\n') {
				i++;
			}
			ret = zs_buf_putc(out, '\n');
			col = 0;
			continue;
		}
		bool eol = i + 1 == n || body[i + 1] == '\n' || body[i + 1] == '\r';
		bool encode = c == '=' || c < 0x20 || c >= 0x7f ||
		              ((c == ' ' || c == '\t') && eol) ||
		              (col == 0 &&
		               (c == '>' || c == '.' ||
		                (c == 'F' && n - i >= 5 && memcmp(body + i, "From ", 5) == 0)));
		size_t width = encode ? 3 : 1;
		if (col + width > QP_LINE - 1) {
			ret = zs_buf_puts(out, "=\n"); /* soft line break */
			col = 0;
			/* a continuation line may begin with "From " too: the same rule applies */
			encode = encode || c == '>' || c == '.' ||
			         (c == 'F' && n - i >= 5 && memcmp(body + i, "From ", 5) == 0);
			width = encode ? 3 : 1;
		}
		if (ret == 0 && encode) {
			char e[3] = { '=', hex[c >> 4], hex[c & 15] };
			ret = zs_buf_append(out, e, 3);
		} else if (ret == 0) {
			ret = zs_buf_putc(out, (char)c);
		}
		col += width;
	}
	if (ret == 0 && (out->len == 0 || out->data[out->len - 1] != '\n')) {
		ret = zs_buf_putc(out, '\n');
	}
	return ret;
}

const char *zs_mail_date(char *buf, size_t len, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 +0000");
		return buf;
	}
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", day_names[tm.tm_wday],
	         tm.tm_mday, month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	         tm.tm_sec);
	return buf;
}

int zs_mail_from_line(struct zs_buf *out, const char *addr, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!zs_mail_addr_ok(addr) || gmtime_r(&tt, &tm) == NULL) {
		return ZS_ERR_USAGE;
	}
	return zs_buf_printf(out, "From %s %s %s %2d %02d:%02d:%02d %04d\n", addr,
	                     day_names[tm.tm_wday], month_names[tm.tm_mon], tm.tm_mday, tm.tm_hour,
	                     tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}
