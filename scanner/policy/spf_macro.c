/* SPDX-License-Identifier: MIT */
/*
 * SPF macro syntax and expansion (RFC 7208 section 7). Checking and expanding share one
 * tokeniser, so what the parser accepted is exactly what the evaluator can expand. A value is
 * split on the macro's delimiters (default "."), optionally reversed, cut to its right-hand
 * parts and joined with "." without building a list of parts: two passes over the value find
 * the boundaries, which keeps expansion allocation-free and linear in the value's length.
 */
#include "scanner/policy/spf_macro.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/policy/spf_int.h"

/** One token of a macro-string. */
struct token {
	size_t len;      /**< bytes of the source it covers */
	bool expand;     /**< a macro-expand (%{...}, %%, %_ or %-) */
	char letter;     /**< %{x}: the letter as written; '%', '_' or '-' for the escapes */
	unsigned digits; /**< right-hand parts to keep, 0 for all */
	bool reverse;
	const char *delims; /**< delimiters as written (may be empty) */
	size_t delim_len;
};

static bool is_delim(char c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

static int bad(struct zs_spf_syntax *err, size_t pos, const char *msg)
{
	if (err != NULL) {
		err->pos = pos;
		err->msg = msg;
	}
	return ZS_ERR_PARSE;
}

/* Read the token at s[i]; i < len. */
static int next_token(const char *s, size_t len, size_t i, unsigned flags, struct token *t,
                      struct zs_spf_syntax *err)
{
	unsigned char c = (unsigned char)s[i];

	memset(t, 0, sizeof(*t));
	if (c != '%') {
		bool space = c == ' ' && (flags & ZS_SPF_MACRO_EXP) != 0;
		if ((c < 0x21 || c > 0x7e) && !space) {
			return bad(err, i, c >= 0x80 ? "non-ASCII byte" : "invalid character");
		}
		t->len = 1;
		return 0;
	}
	if (i + 1 >= len) {
		return bad(err, i, "'%' at the end");
	}
	char n = s[i + 1];
	if (n == '%' || n == '_' || n == '-') {
		t->expand = true;
		t->letter = n;
		t->len = 2;
		return 0;
	}
	if (n != '{') {
		return bad(err, i, "'%' not followed by {, %, _ or -");
	}
	size_t j = i + 2;
	if (j >= len) {
		return bad(err, j, "macro not closed");
	}
	char l = s[j];
	char lower = (char)(l >= 'A' && l <= 'Z' ? l + 32 : l);
	if (strchr("slodiphv", lower) == NULL || lower == '\0') {
		if (lower == 'c' || lower == 'r' || lower == 't') {
			if ((flags & (ZS_SPF_MACRO_EXP | ZS_SPF_MACRO_UNKNOWN)) == 0) {
				return bad(err, j,
				           "macro letters c, r, t only in explanation text");
			}
		} else {
			return bad(err, j, "unknown macro letter");
		}
	}
	t->letter = l;
	j++;
	size_t digit_start = j;
	while (j < len && s[j] >= '0' && s[j] <= '9') {
		if (t->digits < 1000) {
			t->digits = t->digits * 10 + (unsigned)(s[j] - '0');
		}
		j++;
	}
	if (j > digit_start && t->digits == 0) {
		return bad(err, digit_start, "macro digit transformer 0");
	}
	if (j < len && (s[j] == 'r' || s[j] == 'R')) {
		t->reverse = true;
		j++;
	}
	t->delims = s + j;
	while (j < len && is_delim(s[j])) {
		j++;
	}
	t->delim_len = (size_t)(s + j - t->delims);
	if (j >= len || s[j] != '}') {
		return bad(err, j, "macro not closed");
	}
	t->expand = true;
	t->len = j + 1 - i;
	return 0;
}

int zs_spf_macro_check(const char *s, size_t len, unsigned flags, struct zs_spf_syntax *err)
{
	struct token t;

	for (size_t i = 0; i < len; i += t.len) {
		int ret = next_token(s, len, i, flags, &t, err);
		if (ret != 0) {
			return ret;
		}
	}
	return 0;
}

bool zs__spf_macro_ends_with_expand(const char *s, size_t len)
{
	struct token t = { 0 };

	for (size_t i = 0; i < len; i += t.len) {
		if (next_token(s, len, i, ZS_SPF_MACRO_UNKNOWN, &t, NULL) != 0) {
			return false;
		}
	}
	return t.expand;
}

bool zs_spf_macro_uses(const char *s, size_t len, char letter)
{
	for (size_t i = 0; i + 2 < len; i++) {
		if (s[i] == '%' && s[i + 1] == '{' && (s[i + 2] | 0x20) == letter) {
			return true;
		}
		if (s[i] == '%' && s[i + 1] != '{') {
			i++; /* skip %%, %_, %- so that "%%{p}" is not taken for a macro */
		}
	}
	return false;
}

static void ip_dotted(const struct zs_spf_ip *ip, char *out, size_t size)
{
	if (ip->family == 4) {
		(void)snprintf(out, size, "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
		               ip->addr[3]);
		return;
	}
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (int i = 0; i < 16 && o + 4 <= size; i++) {
		out[o++] = hex[ip->addr[i] >> 4];
		out[o++] = '.';
		out[o++] = hex[ip->addr[i] & 0xf];
		out[o++] = '.';
	}
	out[o > 0 ? o - 1 : 0] = '\0';
}

void zs_spf_reverse_name(const struct zs_spf_ip *ip, char *out, size_t size)
{
	if (ip->family == 4) {
		(void)snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3], ip->addr[2],
		               ip->addr[1], ip->addr[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 15; i >= 0 && o + 4 < size; i--) {
		out[o++] = hex[ip->addr[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[ip->addr[i] >> 4];
		out[o++] = '.';
	}
	(void)snprintf(out + o, size - o, "ip6.arpa");
}

/* The value of a letter, or NULL when the environment lacks it. */
static const char *letter_value(const struct zs_spf_macro_env *env, char letter, char *buf,
                                size_t size)
{
	switch (letter) {
	case 's':
		return env->sender;
	case 'l':
		return env->local;
	case 'o':
		return env->sender_domain;
	case 'd':
		return env->domain;
	case 'p':
		return env->ptr;
	case 'h':
		return env->helo;
	case 'r':
		return env->receiver;
	case 't':
		return env->now;
	case 'i':
		if (env->ip == NULL) {
			return NULL;
		}
		ip_dotted(env->ip, buf, size);
		return buf;
	case 'c':
		if (env->ip == NULL) {
			return NULL;
		}
		if (inet_ntop(env->ip->family == 4 ? AF_INET : AF_INET6, env->ip->addr, buf,
		              (socklen_t)size) == NULL) {
			return NULL;
		}
		return buf;
	case 'v':
		if (env->ip == NULL) {
			return NULL;
		}
		return env->ip->family == 4 ? "in-addr" : "ip6";
	default:
		return NULL;
	}
}

static bool in_set(char c, const char *set, size_t n)
{
	return memchr(set, c, n) != NULL;
}

static int put_part(struct zs_buf *out, const char *p, size_t n, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!escape) {
		return zs_buf_append(out, p, n);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		                  c == '~';
		char enc[3] = { '%', hex[c >> 4], hex[c & 0xf] };
		int ret = unreserved ? zs_buf_putc(out, (char)c) : zs_buf_append(out, enc, 3);
		if (ret != 0) {
			return ret;
		}
	}
	return 0;
}

/*
 * Split @p v on the delimiters, keep the right-hand @p keep parts (0: all) after optional
 * reversal and join them with ".".
 */
static int transform(struct zs_buf *out, const char *v, const struct token *t, bool escape)
{
	const char *delims = t->delim_len > 0 ? t->delims : ".";
	size_t nd = t->delim_len > 0 ? t->delim_len : 1;
	size_t vlen = strlen(v);
	size_t parts = 1;
	int ret = 0;

	for (size_t i = 0; i < vlen; i++) {
		parts += in_set(v[i], delims, nd);
	}
	size_t keep = t->digits == 0 || t->digits > parts ? parts : t->digits;
	if (!t->reverse) {
		/* the last @keep parts, in order: skip parts - keep delimiters */
		size_t skip = parts - keep;
		size_t i = 0;
		while (skip > 0) {
			skip -= in_set(v[i], delims, nd);
			i++;
		}
		size_t b = i;
		for (; i <= vlen && ret == 0; i++) {
			if (i == vlen || in_set(v[i], delims, nd)) {
				ret = put_part(out, v + b, i - b, escape);
				if (ret == 0 && i < vlen) {
					ret = zs_buf_putc(out, '.');
				}
				b = i + 1;
			}
		}
		return ret;
	}
	/* reversed: the first @keep parts, last one first */
	size_t end = 0;
	for (size_t seen = 0; end < vlen; end++) {
		if (in_set(v[end], delims, nd) && ++seen == keep) {
			break;
		}
	}
	size_t e = end;
	for (size_t k = 0; k < keep && ret == 0; k++) {
		size_t b = e;
		while (b > 0 && !in_set(v[b - 1], delims, nd)) {
			b--;
		}
		ret = put_part(out, v + b, e - b, escape);
		if (ret == 0 && k + 1 < keep) {
			ret = zs_buf_putc(out, '.');
		}
		e = b > 0 ? b - 1 : 0;
	}
	return ret;
}

int zs_spf_macro_expand(const struct zs_spf_macro_env *env, const char *s, size_t len,
                        unsigned flags, struct zs_buf *out, char *missing)
{
	size_t start = out->len;
	struct token t;
	int ret = 0;

	for (size_t i = 0; i < len && ret == 0; i += t.len) {
		ret = next_token(s, len, i, flags, &t, NULL);
		if (ret != 0) {
			break;
		}
		if (!t.expand) {
			/* a run of literals in one append */
			size_t j = i + 1;
			while (j < len && s[j] != '%' &&
			       next_token(s, len, j, flags, &t, NULL) == 0) {
				j++;
			}
			t.len = j - i;
			ret = zs_buf_append(out, s + i, t.len);
			continue;
		}
		if (t.letter == '%' || t.letter == '_' || t.letter == '-') {
			ret = zs_buf_puts(out, t.letter == '%'   ? "%"
			                       : t.letter == '_' ? " "
			                                         : "%20");
			continue;
		}
		char buf[80];
		bool upper = t.letter >= 'A' && t.letter <= 'Z';
		char lower = (char)(upper ? t.letter + 32 : t.letter);
		const char *v = letter_value(env, lower, buf, sizeof(buf));
		if (v == NULL) {
			/* a syntax error further on still wins: the string is broken either way */
			ret = zs_spf_macro_check(s + i, len - i, flags, NULL);
			if (ret == 0) {
				ret = ZS_ERR_NOTFOUND;
				if (missing != NULL) {
					*missing = lower;
				}
			}
			break;
		}
		ret = transform(out, v, &t, upper);
	}
	/* An expansion that outgrew the buffer is still reported as a syntax error when the rest
	 * of the string has one: the string is broken whatever it expands to. */
	if (ret != 0 && ret != ZS_ERR_PARSE && ret != ZS_ERR_NOTFOUND &&
	    zs_spf_macro_check(s, len, flags, NULL) == ZS_ERR_PARSE) {
		ret = ZS_ERR_PARSE;
	}
	if (ret != 0 && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	return ret;
}
