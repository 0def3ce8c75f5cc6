/* SPDX-License-Identifier: MIT */
/*
 * The provider table of dkim_provider.h: a small, strict parser (every mistake names its line:
 * a table that silently lost a provider would silently lose its customers' keys) and a linear
 * match, which is all a table of a few dozen providers and a handful of names per domain need.
 */
#include "scanner/policy/dkim_provider.h"

#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/policy/dkim.h"
#include "scanner/policy/record_int.h"

static const char *const evidence_names[ZS_DKIM_EV_COUNT_] = { "spf", "mx", "cname" };

enum { PROVIDER_FILE_MAX = 64 * 1024, NAME_MAX_LEN = 32, SUFFIXES_MAX = 16 };

const char *zs_dkim_evidence_name(enum zs_dkim_evidence e)
{
	return e < ZS_DKIM_EV_COUNT_ ? evidence_names[e] : "?";
}

static bool name_valid(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_LEN) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-')) {
			return false;
		}
	}
	return true;
}

/* One comma-separated value into a list of lower-case items; NULL message on success. */
static const char *parse_items(struct zs_arena *a, const char *v, size_t n, bool selectors,
                               const char ***out, size_t *count)
{
	size_t max = selectors ? ZS_DKIM_PROVIDER_SELECTORS : SUFFIXES_MAX;
	size_t total = zs__split_count(v, n, ',');
	if (total > max) {
		return selectors ? "more than 8 selectors" : "more than 16 suffixes of one kind";
	}
	const char **items = zs_arena_calloc(a, total, sizeof(*items));
	struct zs__split it;
	const char *item;
	size_t len;
	size_t k = 0;
	zs__split_init(&it, v, n, ',');
	while (zs__split_next(&it, &item, &len)) {
		if (len > 0 && !selectors && item[len - 1] == '.') {
			len--;
		}
		bool ok = selectors ? zs_dkim_selector_valid(item, len)
		                    : len > 0 && zs__dname_valid(item, len);
		if (!ok) {
			return selectors ? "not a valid DKIM selector" : "not a valid domain name";
		}
		items[k++] = zs__lower(a, item, len);
	}
	*out = items;
	*count = k;
	return NULL;
}

/* One "key=value" field of a provider line; NULL message on success. */
static const char *parse_field(struct zs_arena *a, struct zs_dkim_provider *p, const char *f,
                               size_t n)
{
	const char *eq = memchr(f, '=', n);
	if (eq == NULL) {
		return "expected key=value (selectors, spf, mx, cname)";
	}
	size_t klen = (size_t)(eq - f);
	const char *v = eq + 1;
	size_t vlen = n - klen - 1;
	if (zs__eq(f, klen, "selectors")) {
		if (p->selector_count > 0) {
			return "selectors= given twice";
		}
		return parse_items(a, v, vlen, true, &p->selectors, &p->selector_count);
	}
	for (int k = 0; k < ZS_DKIM_EV_COUNT_; k++) {
		if (zs__eq(f, klen, evidence_names[k])) {
			if (p->suffix_count[k] > 0) {
				return "a key given twice";
			}
			return parse_items(a, v, vlen, false, &p->suffixes[k], &p->suffix_count[k]);
		}
	}
	return "unknown key (selectors, spf, mx, cname)";
}

/* One provider line, text[b, e); NULL message on success. */
static const char *parse_provider(struct zs_arena *a, const char *text, size_t b, size_t e,
                                  const struct zs_dkim_provider *done, size_t done_count,
                                  struct zs_dkim_provider *p)
{
	size_t i = b;
	while (i < e && !zs__is_wsp((unsigned char)text[i])) {
		i++;
	}
	if (!name_valid(text + b, i - b)) {
		return "a provider name is 1 to 32 lower-case letters, digits and '-'";
	}
	p->name = zs_arena_strndup(a, text + b, i - b);
	for (size_t k = 0; k < done_count; k++) {
		if (strcmp(done[k].name, p->name) == 0) {
			return "provider defined twice";
		}
	}
	while (i < e) {
		while (i < e && zs__is_wsp((unsigned char)text[i])) {
			i++;
		}
		size_t f = i;
		while (i < e && !zs__is_wsp((unsigned char)text[i])) {
			i++;
		}
		const char *msg = parse_field(a, p, text + f, i - f);
		if (msg != NULL) {
			return msg;
		}
	}
	if (p->selector_count == 0) {
		return "no selectors=";
	}
	if (p->suffix_count[ZS_DKIM_EV_SPF] + p->suffix_count[ZS_DKIM_EV_MX] +
	            p->suffix_count[ZS_DKIM_EV_CNAME] ==
	    0) {
		return "no spf=, mx= or cname=: nothing would identify the provider";
	}
	return NULL;
}

int zs_dkim_providers_parse(struct zs_arena *arena, const char *text, size_t len,
                            struct zs_dkim_providers *out, size_t *err_line, const char **err_msg)
{
	struct zs_dkim_provider *list = NULL;
	size_t n = 0;
	size_t pos = 0;
	size_t line = 0;
	size_t b;
	size_t e;

	while (zs__config_line(text, len, &pos, &line, &b, &e)) {
		if (b == e) {
			continue;
		}
		if (n == ZS_DKIM_PROVIDERS_MAX) {
			*err_line = line;
			*err_msg = "more than 256 providers";
			return ZS_ERR_TOOBIG;
		}
		if (list == NULL) {
			list = zs_arena_calloc(arena, ZS_DKIM_PROVIDERS_MAX, sizeof(*list));
		}
		struct zs_dkim_provider *p = &list[n];
		const char *msg = parse_provider(arena, text, b, e, list, n, p);
		if (msg != NULL) {
			*err_line = line;
			*err_msg = msg;
			return ZS_ERR_PARSE;
		}
		p->line = line;
		n++;
	}
	out->p = list;
	out->count = n;
	return 0;
}

int zs_dkim_providers_load(struct zs_arena *arena, const char *path, struct zs_dkim_providers *out,
                           size_t *err_line, const char **err_msg)
{
	char *text = NULL;
	size_t len = 0;
	int ret = zs__read_file(arena, path, PROVIDER_FILE_MAX, &text, &len);
	if (ret != 0) {
		return ret;
	}
	return zs_dkim_providers_parse(arena, text, len, out, err_line, err_msg);
}

/* Whether @p name (any case, a final dot allowed) equals @p suffix or lies below it. */
static bool below(const char *name, size_t n, const char *suffix)
{
	size_t s = strlen(suffix);
	if (n > 0 && name[n - 1] == '.') {
		n--;
	}
	if (n < s || !zs__eq_nocase(name + n - s, s, suffix)) {
		return false;
	}
	return n == s || name[n - s - 1] == '.';
}

const struct zs_dkim_provider *zs_dkim_providers_match(const struct zs_dkim_providers *t,
                                                       enum zs_dkim_evidence kind, const char *name)
{
	ZS_REQUIRE(kind < ZS_DKIM_EV_COUNT_);
	if (t == NULL || name == NULL) {
		return NULL;
	}
	size_t n = strlen(name);
	for (size_t i = 0; i < t->count; i++) {
		const struct zs_dkim_provider *p = &t->p[i];
		for (size_t k = 0; k < p->suffix_count[kind]; k++) {
			if (below(name, n, p->suffixes[kind][k])) {
				return p;
			}
		}
	}
	return NULL;
}
