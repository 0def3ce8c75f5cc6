/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the record modules: DNS names, quoting of untrusted bytes, the tag=value
 * tokenizer, bounded TXT selection and URI checks. Everything works on (pointer, length) pairs,
 * never on strlen(), because TXT data may hold NUL bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/escape.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/finding.h"
#include "scanner/policy/record_int.h"

/* ---- machines ---- */

int zs__machine_step(struct zs_query_log *log, struct zs_lookup *need, size_t max, size_t *n,
                     bool *finished, void (*finalize)(void *ctx), void *ctx)
{
	int ret = zs__query_log_step(log, need, max, n);
	if (ret == ZS_POLICY_DONE && !*finished) {
		finalize(ctx);
		*finished = true;
	}
	return ret;
}

void zs__names_json(struct zs_json *j, const char *key, const char *const *names, size_t count,
                    bool always)
{
	if (count == 0 && !always) {
		return;
	}
	zs_json_key(j, key);
	zs_json_arr_begin(j);
	for (size_t i = 0; i < count; i++) {
		zs_json_data(j, names[i], strlen(names[i]));
	}
	zs_json_arr_end(j);
}

/* ---- names ---- */

bool zs__dname_valid(const char *name, size_t len)
{
	if (len == 0 || len > ZS__DNAME_MAX) {
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0) {
				return false;
			}
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

char *zs__dname_concat(struct zs_arena *a, const char *const *parts, size_t count, size_t *len)
{
	size_t lens[8];
	size_t n = 0;
	ZS_REQUIRE(count > 0 && count <= sizeof(lens) / sizeof(lens[0]));
	for (size_t i = 0; i < count; i++) {
		lens[i] = strlen(parts[i]);
		n += lens[i] + 1;
	}
	char *name = zs_arena_alloc(a, n);
	char *p = name;
	for (size_t i = 0; i < count; i++) {
		memcpy(p, parts[i], lens[i]);
		p += lens[i];
		*p++ = '.';
	}
	p[-1] = '\0';
	*len = n - 1;
	return name;
}

const char *zs__dname_join(struct zs_arena *a, const char *prefix, const char *domain)
{
	const char *parts[] = { prefix, domain };
	size_t len = 0;
	char *name = zs__dname_concat(a, parts, 2, &len);
	return zs__dname_valid(name, len) ? name : NULL;
}

size_t zs__dname_labels(const char *name)
{
	if (name[0] == '\0') {
		return 0;
	}
	size_t n = 1;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '.') {
			n++;
		}
	}
	return n;
}

const char *zs__dname_parent(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot == NULL ? NULL : dot + 1;
}

const char *zs__dname_rightmost(const char *name, size_t n)
{
	size_t labels = zs__dname_labels(name);
	const char *p = name;
	while (labels > n && p != NULL) {
		p = zs__dname_parent(p);
		labels--;
	}
	return p;
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool zs__hostname_valid(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '.') {
		n--; /* a final dot is allowed in presentation form */
	}
	if (n == 0 || n > ZS__DNAME_MAX) {
		return false;
	}
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!is_alpha((unsigned char)s[i]) && !is_digit((unsigned char)s[i]) &&
			    s[i] != '-') {
				return false;
			}
			continue;
		}
		size_t len = i - start;
		if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-') {
			return false;
		}
		start = i + 1;
	}
	return true;
}

bool zs__dname_within(const char *name, const char *parent)
{
	size_t nl = strlen(name);
	size_t pl = strlen(parent);
	if (pl == 0) {
		return true;
	}
	if (nl == pl) {
		return strcmp(name, parent) == 0;
	}
	return nl > pl && name[nl - pl - 1] == '.' && strcmp(name + nl - pl, parent) == 0;
}

char *zs__lower(struct zs_arena *a, const char *s, size_t n)
{
	char *p = zs_arena_strndup(a, s, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z') {
			p[i] = (char)(p[i] - 'A' + 'a');
		}
	}
	return p;
}

/* ---- text ---- */

enum { QUOTE_SHOW = 60 };

const char *zs__quote(struct zs_arena *a, const void *p, size_t n)
{
	struct zs_buf b;
	zs_buf_init(&b, 1024);
	size_t shown = n > QUOTE_SHOW ? QUOTE_SHOW : n;
	(void)zs_buf_putc(&b, '"');
	(void)zs_escape_data(&b, p, shown); /* 60 bytes escape to at most 240: always fits */
	(void)zs_buf_putc(&b, '"');
	if (shown < n) {
		(void)zs_buf_printf(&b, "... (%zu bytes)", n);
	}
	const char *q = zs_arena_strndup(a, zs_buf_cstr(&b), b.len);
	zs_buf_deinit(&b);
	return q;
}

static int lower_ascii(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool zs__eq_nocase(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	if (l != n) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (lower_ascii((unsigned char)s[i]) != lower_ascii((unsigned char)lit[i])) {
			return false;
		}
	}
	return true;
}

bool zs__eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

bool zs__config_line(const char *text, size_t len, size_t *pos, size_t *line, size_t *b, size_t *e)
{
	if (*pos >= len) {
		return false;
	}
	const char *nl = memchr(text + *pos, '\n', len - *pos);
	size_t end = nl == NULL ? len : (size_t)(nl - text);
	const char *hash = memchr(text + *pos, '#', end - *pos);
	size_t ib = *pos;
	size_t ie = hash == NULL ? end : (size_t)(hash - text);
	while (ib < ie && (zs__is_wsp((unsigned char)text[ib]) || text[ib] == '\r')) {
		ib++;
	}
	while (ie > ib && (zs__is_wsp((unsigned char)text[ie - 1]) || text[ie - 1] == '\r')) {
		ie--;
	}
	(*line)++;
	*b = ib;
	*e = ie;
	*pos = end + 1;
	return true;
}

int zs__read_file(struct zs_arena *a, const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return -errno;
	}
	char *buf = zs_arena_alloc(a, max + 2);
	size_t n = fread(buf, 1, max + 1, f);
	int ret = 0;
	if (ferror(f)) {
		ret = -EIO;
	} else if (n > max) {
		ret = ZS_ERR_TOOBIG;
	}
	(void)fclose(f);
	if (ret == 0) {
		buf[n] = '\0';
		*out = buf;
		*len = n;
	}
	return ret;
}

bool zs__parse_u64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20) {
		return false;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i])) {
			return false;
		}
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			return false;
		}
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ---- lists inside a value ---- */

void zs__split_init(struct zs__split *it, const char *s, size_t n, char sep)
{
	it->s = s;
	it->n = n;
	it->pos = 0;
	it->sep = sep;
	it->done = false;
}

static bool is_trim(int c)
{
	return zs__is_wsp(c) || c == '\r' || c == '\n';
}

bool zs__split_next(struct zs__split *it, const char **item, size_t *len)
{
	if (it->done) {
		return false;
	}
	const char *p = memchr(it->s + it->pos, it->sep, it->n - it->pos);
	size_t e = p == NULL ? it->n : (size_t)(p - it->s);
	size_t b = it->pos;
	size_t ie = e;
	while (b < ie && is_trim((unsigned char)it->s[b])) {
		b++;
	}
	while (ie > b && is_trim((unsigned char)it->s[ie - 1])) {
		ie--;
	}
	*item = it->s + b;
	*len = ie - b;
	if (p == NULL) {
		it->done = true;
	} else {
		it->pos = e + 1;
	}
	return true;
}

size_t zs__split_count(const char *s, size_t n, char sep)
{
	size_t count = 1;
	for (size_t i = 0; i < n; i++) {
		count += s[i] == sep;
	}
	return count;
}

/* ---- tag=value lists ---- */

static bool is_space(int c, unsigned flags)
{
	return zs__is_wsp(c) || ((flags & ZS__TAGS_FWS) != 0 && (c == '\r' || c == '\n'));
}

static bool is_valchar(int c)
{
	return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

/* Check one element s[b, e) (not empty, not all space) and fill @p t. */
static void parse_element(const char *s, size_t b, size_t e, unsigned flags, struct zs__tag *t)
{
	while (b < e && is_space((unsigned char)s[b], flags)) {
		b++;
	}
	while (e > b && is_space((unsigned char)s[e - 1], flags)) {
		e--;
	}
	t->pos = b;
	const char *eq = memchr(s + b, '=', e - b);
	if (eq == NULL) {
		t->name = s + b;
		t->name_len = e - b;
		t->err = ZS__TAG_NO_EQUALS;
		t->err_pos = b;
		return;
	}
	size_t ne = (size_t)(eq - s);
	size_t vb = ne + 1;
	while (ne > b && is_space((unsigned char)s[ne - 1], flags)) {
		ne--;
	}
	while (vb < e && is_space((unsigned char)s[vb], flags)) {
		vb++;
	}
	t->name = s + b;
	t->name_len = ne - b;
	t->value = s + vb;
	t->value_len = e - vb;
	bool ext = (flags & ZS__TAGS_EXT_NAMES) != 0;
	if (t->name_len == 0 ||
	    !(is_alpha((unsigned char)s[b]) || (ext && is_digit((unsigned char)s[b])))) {
		t->err = ZS__TAG_BAD_NAME;
		t->err_pos = b;
		return;
	}
	for (size_t i = b; i < ne; i++) {
		int c = (unsigned char)s[i];
		if (!is_alpha(c) && !is_digit(c) && c != '_' && !(ext && (c == '-' || c == '.'))) {
			t->err = ZS__TAG_BAD_NAME;
			t->err_pos = i;
			return;
		}
	}
	for (size_t i = vb; i < e; i++) {
		int c = (unsigned char)s[i];
		if (!is_valchar(c) && !is_space(c, flags)) {
			t->err = ZS__TAG_BAD_VALUE;
			t->err_pos = i;
			return;
		}
	}
	t->err = ZS__TAG_OK;
}

void zs__taglist_parse(struct zs_arena *a, const char *s, size_t n, unsigned flags,
                       struct zs__taglist *out)
{
	memset(out, 0, sizeof(*out));
	if (n > 0 && is_space((unsigned char)s[0], flags)) {
		out->leading_space = true;
	}
	/* count the elements first so that one allocation holds them */
	size_t seps = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ';') {
			seps++;
		}
	}
	size_t cap = seps + 1 > ZS__TAGS_MAX ? ZS__TAGS_MAX : seps + 1;
	out->tag = zs_arena_calloc(a, cap, sizeof(*out->tag));

	size_t b = 0;
	while (b <= n) {
		const char *semi = memchr(s + b, ';', n - b);
		size_t e = semi == NULL ? n : (size_t)(semi - s);
		bool last = semi == NULL;
		size_t k = b;
		while (k < e && is_space((unsigned char)s[k], flags)) {
			k++;
		}
		if (k == e && last) {
			/* the end: either nothing, or space after a final ";" */
			if (b > 0) {
				out->trailing_sep = true;
				out->trailing_space = e > b;
			}
			break;
		}
		if (out->count == ZS__TAGS_MAX) {
			out->too_many = true;
			break;
		}
		struct zs__tag *t = &out->tag[out->count++];
		if (k == e) {
			t->pos = b;
			t->err = ZS__TAG_EMPTY;
			t->err_pos = b;
		} else {
			parse_element(s, b, e, flags, t);
		}
		if (last) {
			break;
		}
		b = e + 1;
	}
}

/* ---- TXT RRsets ---- */

static void txt_keep(struct zs_arena *a, struct zs_txt **list, size_t *count, const char *text,
                     size_t len, size_t strings)
{
	if (*list == NULL) {
		*list = zs_arena_calloc(a, ZS__TXT_KEEP, sizeof(**list));
	}
	if (*count < ZS__TXT_KEEP) {
		(*list)[*count].text = text;
		(*list)[*count].len = len;
		(*list)[*count].strings = strings;
		(*count)++;
	}
}

static int txt_order(const void *a, const void *b)
{
	const struct zs_txt *x = a;
	const struct zs_txt *y = b;
	return zs_rdata_order(x->text, x->len, y->text, y->len);
}

void zs__txt_select(struct zs_arena *a, const struct zs_answer *ans,
                    bool (*is_match)(const char *text, size_t len), struct zs__txt_select *out)
{
	memset(out, 0, sizeof(*out));
	if (ans->status != ZS_DNS_NOERROR) {
		return;
	}
	for (size_t i = 0; i < ans->count; i++) {
		const struct zs_rr *rr = &ans->rr[i];
		if (rr->type != ZS_RR_TXT) {
			continue;
		}
		size_t len = 0;
		char *text = zs_rr_txt_join(a, rr, &len);
		if (is_match(text, len)) {
			txt_keep(a, &out->match, &out->match_count, text, len, rr->u.txt.count);
			out->match_total++;
		} else {
			txt_keep(a, &out->other, &out->other_count, text, len, rr->u.txt.count);
			out->other_total++;
		}
	}
	/* by content, not answer order (zs_rdata_order()) */
	if (out->match_count > 1) {
		qsort(out->match, out->match_count, sizeof(*out->match), txt_order);
	}
	if (out->other_count > 1) {
		qsort(out->other, out->other_count, sizeof(*out->other), txt_order);
	}
}

void zs__txt_json(struct zs_json *j, const struct zs_txt *txt, size_t count)
{
	zs_json_arr_begin(j);
	for (size_t i = 0; i < count; i++) {
		zs_json_data(j, txt[i].text, txt[i].len);
	}
	zs_json_arr_end(j);
}

void zs__other_txt_json(struct zs_json *j, const struct zs_txt *txt, size_t count, size_t total)
{
	zs_json_key(j, "other_txt");
	zs__txt_json(j, txt, count);
	zs_json_kint(j, "other_total", (long long)total);
}

void zs__evidence_json(struct zs_json *j, const struct zs_findings *f,
                       const struct zs_query_log *log)
{
	zs_json_key(j, "findings");
	zs_findings_json(j, f);
	zs_json_key(j, "queries");
	zs_query_log_json(j, log);
}

/* ---- URIs ---- */

static bool is_uri_char(int c)
{
	if (is_alpha(c) || is_digit(c)) {
		return true;
	}
	/* unreserved, gen-delims and sub-delims of RFC 3986, less "," and "!" (RFC 7489 6.4) */
	return strchr("-._~:/?#[]@$&'()*+;=", c) != NULL && c != '\0';
}

bool zs__uri_valid(const char *s, size_t n, size_t *scheme_len)
{
	size_t i = 0;
	if (n == 0 || !is_alpha((unsigned char)s[0])) {
		return false;
	}
	while (i < n && s[i] != ':') {
		int c = (unsigned char)s[i];
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') {
			return false;
		}
		i++;
	}
	if (i == n) {
		return false;
	}
	*scheme_len = i;
	for (i++; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || !is_hex((unsigned char)s[i + 1]) ||
			    !is_hex((unsigned char)s[i + 2])) {
				return false;
			}
			i += 2;
		} else if (!is_uri_char(c)) {
			return false;
		}
	}
	return true;
}

const char *zs__mailto_domain(struct zs_arena *a, const char *s, size_t n)
{
	if (n < 7 || !zs__eq_nocase(s, 7, "mailto:")) {
		return NULL;
	}
	const char *addr = s + 7;
	size_t len = n - 7;
	const char *q = memchr(addr, '?', len);
	if (q != NULL) {
		len = (size_t)(q - addr);
	}
	const char *at = NULL;
	for (size_t i = 0; i < len; i++) {
		if (addr[i] == '@') {
			at = addr + i;
		}
	}
	if (at == NULL || at == addr) {
		return NULL;
	}
	const char *dom = at + 1;
	size_t dlen = len - (size_t)(dom - addr);
	if (!zs__hostname_valid(dom, dlen)) {
		return NULL;
	}
	if (dom[dlen - 1] == '.') {
		dlen--;
	}
	return zs__lower(a, dom, dlen);
}
