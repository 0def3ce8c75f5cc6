/* SPDX-License-Identifier: MIT */
/*
 * MTA-STS, TLS-RPT and BIMI TXT records: parsers on the shared tag=value tokenizer, and the
 * machine that asks the three names together. The three records share one shape (a version
 * first, then tags), so one table describes each kind and one path selects, parses and reports.
 */
#include "scanner/policy/sts.h"

#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/record_int.h"

/* Whether @p s starts with "v" *WSP "=" *WSP @p version (any case), then the end, WSP or ";". */
static bool starts_with_version(const char *s, size_t n, const char *version)
{
	size_t i = 0;
	if (n == 0 || (s[0] != 'v' && s[0] != 'V')) {
		return false;
	}
	i++;
	while (i < n && zs__is_wsp((unsigned char)s[i])) {
		i++;
	}
	if (i == n || s[i] != '=') {
		return false;
	}
	i++;
	while (i < n && zs__is_wsp((unsigned char)s[i])) {
		i++;
	}
	size_t vl = strlen(version);
	if (n - i < vl || !zs__eq_nocase(s + i, vl, version)) {
		return false;
	}
	i += vl;
	return i == n || zs__is_wsp((unsigned char)s[i]) || s[i] == ';';
}

static bool is_mtasts(const char *s, size_t n)
{
	return starts_with_version(s, n, "STSv1");
}

static bool is_tlsrpt(const char *s, size_t n)
{
	return starts_with_version(s, n, "TLSRPTv1");
}

static bool is_bimi(const char *s, size_t n)
{
	return starts_with_version(s, n, "BIMI1");
}

/* What the three parsers share: the finding codes of their common problems. */
struct kind {
	const char *version;
	enum zs_finding_code syntax;
	enum zs_finding_code v_not_first;
	enum zs_finding_code duplicate;
};

static const struct kind k_mtasts = { "STSv1", ZS_FIND_MTASTS_SYNTAX, ZS_FIND_MTASTS_V_NOT_FIRST,
	                              ZS_FIND_MTASTS_TAG_DUPLICATE };
static const struct kind k_tlsrpt = { "TLSRPTv1", ZS_FIND_TLSRPT_SYNTAX, ZS_FIND_TLSRPT_V_NOT_FIRST,
	                              ZS_FIND_TLSRPT_TAG_DUPLICATE };
static const struct kind k_bimi = { "BIMI1", ZS_FIND_BIMI_SYNTAX, ZS_FIND_BIMI_V_NOT_FIRST,
	                            ZS_FIND_BIMI_TAG_DUPLICATE };

/* Whether two tags have the same name, ignoring ASCII case. */
static bool same_name(const struct zs__tag *x, const struct zs__tag *y)
{
	if (x->name_len != y->name_len) {
		return false;
	}
	for (size_t i = 0; i < x->name_len; i++) {
		char a = x->name[i];
		char b = y->name[i];
		if (a >= 'A' && a <= 'Z') {
			a = (char)(a - 'A' + 'a');
		}
		if (b >= 'A' && b <= 'Z') {
			b = (char)(b - 'A' + 'a');
		}
		if (a != b) {
			return false;
		}
	}
	return true;
}

/*
 * Tokenize and check what all three have in common: no leading whitespace, v=<version> first,
 * well-formed elements, no duplicate names (ignoring case). keep[i] tells which elements of
 * @p tl the caller should read: the malformed and repeated ones are reported here and dropped.
 */
static void common_parse(struct zs_arena *a, const struct kind *k, const char *text, size_t len,
                         struct zs_findings *f, struct zs__taglist *tl, bool *keep)
{
	zs__taglist_parse(a, text, len, ZS__TAGS_EXT_NAMES, tl);
	if (tl->leading_space) {
		zs_findings_add(a, f, k->syntax, "the record starts with whitespace");
	}
	if (tl->too_many) {
		zs_findings_add(a, f, k->syntax, "more than %d tags; the rest was not read",
		                ZS__TAGS_MAX);
	}
	const struct zs__tag *first = tl->count > 0 ? &tl->tag[0] : NULL;
	if (first == NULL || first->err != ZS__TAG_OK ||
	    !zs__eq_nocase(first->name, first->name_len, "v")) {
		zs_findings_add(a, f, k->v_not_first, "the record must start with v=%s",
		                k->version);
	} else if (!zs__eq(first->value, first->value_len, k->version)) {
		zs_findings_add(a, f, k->v_not_first, "v=%s: the version must be exactly %s",
		                zs__quote(a, first->value, first->value_len), k->version);
	}
	for (size_t i = 0; i < tl->count; i++) {
		const struct zs__tag *t = &tl->tag[i];
		keep[i] = false;
		switch (t->err) {
		case ZS__TAG_OK:
			break;
		case ZS__TAG_EMPTY:
			zs_findings_add(a, f, k->syntax,
			                "empty element between two \";\" at offset %zu", t->pos);
			continue;
		case ZS__TAG_NO_EQUALS:
		case ZS__TAG_BAD_NAME:
			zs_findings_add(a, f, k->syntax, "%s at offset %zu is not name=value",
			                zs__quote(a, t->name, t->name_len), t->pos);
			continue;
		case ZS__TAG_BAD_VALUE:
			zs_findings_add(a, f, k->syntax,
			                "byte %s at offset %zu is not allowed in a value",
			                zs__quote(a, text + t->err_pos, 1), t->err_pos);
			continue;
		}
		bool dup = false;
		for (size_t p = 0; p < i && !dup; p++) {
			dup = keep[p] && same_name(&tl->tag[p], t);
		}
		if (dup) {
			zs_findings_add(a, f, k->duplicate, "the %s tag appears more than once",
			                zs__quote(a, t->name, t->name_len));
			continue;
		}
		keep[i] = true;
	}
}

/* An extension value of RFC 8461 / 8460: 1*(%x21-3A / %x3C / %x3E-7E). */
static bool ext_value_valid(const char *s, size_t n)
{
	if (n == 0 || n > 255) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e || c == ';' || c == '=') {
			return false;
		}
	}
	return true;
}

static bool ext_name_valid(size_t n)
{
	return n >= 1 && n <= 32;
}

void zs_mtasts_parse(struct zs_arena *arena, const char *text, size_t len,
                     struct zs_mtasts_record *out)
{
	memset(out, 0, sizeof(*out));
	out->text = zs_arena_strndup(arena, text, len);
	out->len = len;
	struct zs__taglist tl;
	bool keep[ZS__TAGS_MAX];
	common_parse(arena, &k_mtasts, out->text, len, &out->findings, &tl, keep);
	for (size_t i = 1; i < tl.count; i++) {
		const struct zs__tag *t = &tl.tag[i];
		if (!keep[i]) {
			continue;
		}
		if (zs__eq_nocase(t->name, t->name_len, "id")) {
			bool ok = t->value_len >= 1 && t->value_len <= 32;
			for (size_t c = 0; ok && c < t->value_len; c++) {
				char ch = t->value[c];
				ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				     (ch >= '0' && ch <= '9');
			}
			if (ok) {
				out->id = zs_arena_strndup(arena, t->value, t->value_len);
			} else {
				zs_findings_add(
				        arena, &out->findings, ZS_FIND_MTASTS_ID_INVALID,
				        "id=%s: the policy id must be 1 to 32 letters and digits",
				        zs__quote(arena, t->value, t->value_len));
			}
		} else if (zs__eq_nocase(t->name, t->name_len, "v")) {
			zs_findings_add(arena, &out->findings, ZS_FIND_MTASTS_V_NOT_FIRST,
			                "v= must appear only first");
		} else {
			out->extensions++;
			if (!ext_name_valid(t->name_len) ||
			    !ext_value_valid(t->value, t->value_len)) {
				zs_findings_add(arena, &out->findings, ZS_FIND_MTASTS_EXT_INVALID,
				                "malformed extension %s",
				                zs__quote(arena, t->name, t->name_len));
			}
		}
	}
	bool id_seen = false;
	for (size_t i = 0; i < tl.count; i++) {
		id_seen = id_seen || (tl.tag[i].err == ZS__TAG_OK &&
		                      zs__eq_nocase(tl.tag[i].name, tl.tag[i].name_len, "id"));
	}
	if (!id_seen) {
		zs_findings_add(arena, &out->findings, ZS_FIND_MTASTS_ID_MISSING,
		                "no id= tag: senders cannot tell when the policy changes");
	}
	out->valid = zs_findings_count(&out->findings, ZS_SEV_ERROR) == 0;
}

/* Check one rua= URI and keep it when it is one. */
static void tlsrpt_uri(struct zs_arena *arena, struct zs_tlsrpt_record *out, const char *u,
                       size_t ul)
{
	size_t scheme = 0;
	if (!zs__uri_valid(u, ul, &scheme)) {
		zs_findings_add(arena, &out->findings, ZS_FIND_TLSRPT_URI_INVALID,
		                "rua=: %s is not a URI", zs__quote(arena, u, ul));
		return;
	}
	out->rua[out->rua_count++] = zs_arena_strndup(arena, u, ul);
	if (zs__eq_nocase(u, scheme, "mailto")) {
		if (zs__mailto_domain(arena, u, ul) == NULL) {
			zs_findings_add(arena, &out->findings, ZS_FIND_TLSRPT_URI_INVALID,
			                "rua=: %s holds no usable e-mail address",
			                zs__quote(arena, u, ul));
		}
	} else if (!zs__eq_nocase(u, scheme, "https")) {
		zs_findings_add(arena, &out->findings, ZS_FIND_TLSRPT_URI_SCHEME,
		                "rua=: %s is neither mailto: nor https:", zs__quote(arena, u, ul));
	}
}

void zs_tlsrpt_parse(struct zs_arena *arena, const char *text, size_t len,
                     struct zs_tlsrpt_record *out)
{
	memset(out, 0, sizeof(*out));
	out->text = zs_arena_strndup(arena, text, len);
	out->len = len;
	struct zs__taglist tl;
	bool keep[ZS__TAGS_MAX];
	common_parse(arena, &k_tlsrpt, out->text, len, &out->findings, &tl, keep);
	bool rua_seen = false;
	for (size_t i = 1; i < tl.count; i++) {
		const struct zs__tag *t = &tl.tag[i];
		if (!keep[i]) {
			continue;
		}
		if (zs__eq_nocase(t->name, t->name_len, "v")) {
			zs_findings_add(arena, &out->findings, ZS_FIND_TLSRPT_V_NOT_FIRST,
			                "v= must appear only first");
			continue;
		}
		if (!zs__eq_nocase(t->name, t->name_len, "rua")) {
			out->extensions++;
			if (!ext_name_valid(t->name_len) ||
			    !ext_value_valid(t->value, t->value_len)) {
				zs_findings_add(arena, &out->findings, ZS_FIND_TLSRPT_EXT_INVALID,
				                "malformed extension %s",
				                zs__quote(arena, t->name, t->name_len));
			}
			continue;
		}
		rua_seen = true;
		struct zs__split it;
		const char *u = NULL;
		size_t ul = 0;
		out->rua = zs_arena_calloc(arena, zs__split_count(t->value, t->value_len, ','),
		                           sizeof(*out->rua));
		zs__split_init(&it, t->value, t->value_len, ',');
		while (zs__split_next(&it, &u, &ul)) {
			tlsrpt_uri(arena, out, u, ul);
		}
	}
	if (!rua_seen) {
		zs_findings_add(arena, &out->findings, ZS_FIND_TLSRPT_RUA_MISSING,
		                "no rua= tag: reports have nowhere to go");
	}
	out->valid = zs_findings_count(&out->findings, ZS_SEV_ERROR) == 0;
}

/* Whether a URI's path ends in ".svg" (query and fragment ignored). */
static bool svg_path(const char *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (u[i] == '?' || u[i] == '#') {
			n = i;
			break;
		}
	}
	return n >= 4 && zs__eq_nocase(u + n - 4, 4, ".svg");
}

void zs_bimi_parse(struct zs_arena *arena, const char *text, size_t len, struct zs_bimi_record *out)
{
	memset(out, 0, sizeof(*out));
	out->text = zs_arena_strndup(arena, text, len);
	out->len = len;
	struct zs__taglist tl;
	bool keep[ZS__TAGS_MAX];
	common_parse(arena, &k_bimi, out->text, len, &out->findings, &tl, keep);
	for (size_t i = 1; i < tl.count; i++) {
		const struct zs__tag *t = &tl.tag[i];
		if (!keep[i]) {
			continue;
		}
		if (zs__eq_nocase(t->name, t->name_len, "l")) {
			out->l = zs_arena_strndup(arena, t->value, t->value_len);
		} else if (zs__eq_nocase(t->name, t->name_len, "a")) {
			out->a = zs_arena_strndup(arena, t->value, t->value_len);
		} else if (zs__eq_nocase(t->name, t->name_len, "v")) {
			zs_findings_add(arena, &out->findings, ZS_FIND_BIMI_V_NOT_FIRST,
			                "v= must appear only first");
		} else {
			zs_findings_add(arena, &out->findings, ZS_FIND_BIMI_TAG_UNKNOWN,
			                "unknown tag %s is ignored",
			                zs__quote(arena, t->name, t->name_len));
		}
	}
	bool l_empty = out->l == NULL || out->l[0] == '\0';
	bool a_empty = out->a == NULL || out->a[0] == '\0';
	if (out->l != NULL && l_empty && a_empty) {
		out->declined = true;
		zs_findings_add(arena, &out->findings, ZS_FIND_BIMI_DECLINED,
		                "l= and a= are empty: the domain declines to publish an indicator");
	} else if (out->l == NULL) {
		zs_findings_add(arena, &out->findings, ZS_FIND_BIMI_L_MISSING,
		                "no l= tag: the record names no indicator");
	}
	if (!l_empty) {
		size_t n = strlen(out->l);
		size_t scheme = 0;
		if (!zs__uri_valid(out->l, n, &scheme) || !zs__eq_nocase(out->l, scheme, "https")) {
			zs_findings_add(arena, &out->findings, ZS_FIND_BIMI_L_NOT_HTTPS,
			                "l=%s: the indicator must be an https: URI",
			                zs__quote(arena, out->l, n));
		} else if (!svg_path(out->l, n)) {
			zs_findings_add(
			        arena, &out->findings, ZS_FIND_BIMI_L_NOT_SVG,
			        "l=%s does not name an .svg file (BIMI indicators are SVG Tiny PS)",
			        zs__quote(arena, out->l, n));
		}
	}
	if (!a_empty) {
		size_t n = strlen(out->a);
		size_t scheme = 0;
		if (!zs__uri_valid(out->a, n, &scheme) || !zs__eq_nocase(out->a, scheme, "https")) {
			zs_findings_add(arena, &out->findings, ZS_FIND_BIMI_A_NOT_HTTPS,
			                "a=%s: the evidence document must be an https: URI",
			                zs__quote(arena, out->a, n));
		}
	} else if (!out->declined) {
		zs_findings_add(
		        arena, &out->findings, ZS_FIND_BIMI_A_MISSING,
		        "no a= evidence (VMC): many mailbox providers show no logo without one");
	}
	out->valid = zs_findings_count(&out->findings, ZS_SEV_ERROR) == 0;
}

/* ---- the machine ---- */

enum purpose {
	Q_MTASTS,
	Q_TLSRPT,
	Q_BIMI,
};

struct zs_sts_ctx {
	struct zs_arena *a;
	struct zs_sts_result r;
	bool finished;
};

const char *zs_sts_outcome_name(enum zs_sts_outcome o)
{
	switch (o) {
	case ZS_STS_NONE:
		return "none";
	case ZS_STS_RECORD:
		return "record";
	case ZS_STS_MULTIPLE:
		return "multiple";
	case ZS_STS_DNS_ERROR:
		return "dns_error";
	}
	return "invalid";
}

static void site_init(struct zs_sts_ctx *c, struct zs_sts_site *s, const char *prefix,
                      enum purpose p)
{
	s->status = ZS_DNS_NOT_ASKED;
	s->name = zs__dname_join(c->a, prefix, c->r.domain);
	if (s->name == NULL) {
		s->name = zs_arena_printf(c->a, "%s.%s", prefix, c->r.domain);
		s->status = ZS_DNS_BADNAME;
		s->outcome = ZS_STS_DNS_ERROR;
		return;
	}
	(void)zs__query_log_add(c->a, &c->r.log, ZS_RR_TXT, s->name, p, 0);
}

struct zs_sts_ctx *zs_sts_new(struct zs_arena *arena, const char *domain)
{
	ZS_REQUIRE(arena != NULL && domain != NULL);
	struct zs_sts_ctx *c = zs_arena_calloc(arena, 1, sizeof(*c));
	c->a = arena;
	size_t len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.') {
		len--;
	}
	c->r.domain = zs__lower(arena, domain, len);
	site_init(c, &c->r.mtasts, "_mta-sts", Q_MTASTS);
	site_init(c, &c->r.tlsrpt, "_smtp._tls", Q_TLSRPT);
	site_init(c, &c->r.bimi, "default._bimi", Q_BIMI);
	return c;
}

static void classify(struct zs_sts_ctx *c, struct zs_sts_site *s, enum purpose p,
                     const struct zs_query *q, const struct zs_answer *a)
{
	static bool (*const match[])(const char *, size_t) = { is_mtasts, is_tlsrpt, is_bimi };
	s->status = a->status;
	s->cname_count = q->cname_count;
	s->cname = q->cname;
	if (!zs_dns_status_is_answer(a->status)) {
		s->outcome = ZS_STS_DNS_ERROR;
		return;
	}
	struct zs__txt_select sel;
	zs__txt_select(c->a, a, match[p], &sel);
	s->other = sel.other;
	s->other_count = sel.other_count;
	s->other_total = sel.other_total;
	s->record_total = sel.match_total;
	s->record_count = sel.match_count;
	s->outcome = sel.match_total == 0   ? ZS_STS_NONE
	             : sel.match_total == 1 ? ZS_STS_RECORD
	                                    : ZS_STS_MULTIPLE;
	if (sel.match_count == 0) {
		return;
	}
	switch (p) {
	case Q_MTASTS:
		s->mtasts = zs_arena_calloc(c->a, sel.match_count, sizeof(*s->mtasts));
		for (size_t i = 0; i < sel.match_count; i++) {
			zs_mtasts_parse(c->a, sel.match[i].text, sel.match[i].len, &s->mtasts[i]);
		}
		break;
	case Q_TLSRPT:
		s->tlsrpt = zs_arena_calloc(c->a, sel.match_count, sizeof(*s->tlsrpt));
		for (size_t i = 0; i < sel.match_count; i++) {
			zs_tlsrpt_parse(c->a, sel.match[i].text, sel.match[i].len, &s->tlsrpt[i]);
		}
		break;
	case Q_BIMI:
		s->bimi = zs_arena_calloc(c->a, sel.match_count, sizeof(*s->bimi));
		for (size_t i = 0; i < sel.match_count; i++) {
			zs_bimi_parse(c->a, sel.match[i].text, sel.match[i].len, &s->bimi[i]);
		}
		break;
	}
}

int zs_sts_answer(struct zs_sts_ctx *c, uint32_t id, const struct zs_answer *a)
{
	struct zs_query *q = zs__query_log_answer(c->a, &c->r.log, id, a);
	if (q == NULL) {
		return ZS_ERR_NOTFOUND;
	}
	switch ((enum purpose)q->purpose) {
	case Q_MTASTS:
		classify(c, &c->r.mtasts, Q_MTASTS, q, a);
		break;
	case Q_TLSRPT:
		classify(c, &c->r.tlsrpt, Q_TLSRPT, q, a);
		break;
	case Q_BIMI:
		classify(c, &c->r.bimi, Q_BIMI, q, a);
		break;
	}
	return 0;
}

static void site_findings(struct zs_sts_ctx *c, const struct zs_sts_site *s, const char *what,
                          enum zs_finding_code multiple, enum zs_finding_code failed)
{
	struct zs_arena *a = c->a;
	if (s->outcome == ZS_STS_DNS_ERROR) {
		zs_findings_add(
		        a, &c->r.findings, failed,
		        "the TXT lookup of %s failed (%s): whether a %s record exists is unknown",
		        zs__quote(a, s->name, strlen(s->name)), zs_dns_status_name(s->status),
		        what);
	} else if (s->outcome == ZS_STS_MULTIPLE) {
		zs_findings_add(a, &c->r.findings, multiple,
		                "%zu %s records at %s: senders act as if there were none",
		                s->record_total, what, zs__quote(a, s->name, strlen(s->name)));
	}
	if (s->record_total > s->record_count || s->other_total > s->other_count) {
		zs_findings_add(a, &c->r.findings, ZS_FIND_TXT_MANY_RECORDS,
		                "%zu TXT records at %s; the first %d of each kind are kept",
		                s->record_total + s->other_total,
		                zs__quote(a, s->name, strlen(s->name)), ZS__TXT_KEEP);
	}
}

static void finalize(void *ctx)
{
	struct zs_sts_ctx *c = ctx;
	site_findings(c, &c->r.mtasts, "MTA-STS", ZS_FIND_MTASTS_MULTIPLE,
	              ZS_FIND_MTASTS_LOOKUP_FAILED);
	site_findings(c, &c->r.tlsrpt, "TLS-RPT", ZS_FIND_TLSRPT_MULTIPLE,
	              ZS_FIND_TLSRPT_LOOKUP_FAILED);
	site_findings(c, &c->r.bimi, "BIMI", ZS_FIND_BIMI_MULTIPLE, ZS_FIND_BIMI_LOOKUP_FAILED);
}

int zs_sts_step(struct zs_sts_ctx *c, struct zs_lookup *need, size_t max, size_t *n)
{
	return zs__machine_step(&c->r.log, need, max, n, &c->finished, finalize, c);
}

const struct zs_sts_result *zs_sts_result(const struct zs_sts_ctx *c)
{
	ZS_REQUIRE(c->finished);
	return &c->r;
}

ZS__DEFINE_LOOKUP_OPS(sts);

void zs_mtasts_record_json(struct zs_json *j, const struct zs_mtasts_record *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "text", r->text, r->len);
	zs_json_kbool(j, "valid", r->valid);
	zs_json_kstr(j, "id", r->id);
	zs_json_kint(j, "extensions", (long long)r->extensions);
	zs_json_key(j, "findings");
	zs_findings_json(j, &r->findings);
	zs_json_obj_end(j);
}

void zs_tlsrpt_record_json(struct zs_json *j, const struct zs_tlsrpt_record *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "text", r->text, r->len);
	zs_json_kbool(j, "valid", r->valid);
	zs__names_json(j, "rua", r->rua, r->rua_count, true);
	zs_json_kint(j, "extensions", (long long)r->extensions);
	zs_json_key(j, "findings");
	zs_findings_json(j, &r->findings);
	zs_json_obj_end(j);
}

void zs_bimi_record_json(struct zs_json *j, const struct zs_bimi_record *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "text", r->text, r->len);
	zs_json_kbool(j, "valid", r->valid);
	if (r->l != NULL) {
		zs_json_kdata(j, "l", r->l, strlen(r->l));
	} else {
		zs_json_knull(j, "l");
	}
	if (r->a != NULL) {
		zs_json_kdata(j, "a", r->a, strlen(r->a));
	} else {
		zs_json_knull(j, "a");
	}
	zs_json_kbool(j, "declined", r->declined);
	zs_json_key(j, "findings");
	zs_findings_json(j, &r->findings);
	zs_json_obj_end(j);
}

static void site_json(struct zs_json *j, const char *key, const struct zs_sts_site *s)
{
	zs_json_key(j, key);
	zs_json_obj_begin(j);
	zs_json_kdata(j, "name", s->name, strlen(s->name));
	zs_json_kstr(j, "status", zs_dns_status_name(s->status));
	zs_json_kstr(j, "outcome", zs_sts_outcome_name(s->outcome));
	zs__names_json(j, "cname", s->cname, s->cname_count, false);
	zs_json_key(j, "records");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < s->record_count; i++) {
		if (s->mtasts != NULL) {
			zs_mtasts_record_json(j, &s->mtasts[i]);
		} else if (s->tlsrpt != NULL) {
			zs_tlsrpt_record_json(j, &s->tlsrpt[i]);
		} else if (s->bimi != NULL) {
			zs_bimi_record_json(j, &s->bimi[i]);
		}
	}
	zs_json_arr_end(j);
	zs_json_kint(j, "record_total", (long long)s->record_total);
	zs__other_txt_json(j, s->other, s->other_count, s->other_total);
	zs_json_obj_end(j);
}

void zs_sts_result_json(struct zs_json *j, const struct zs_sts_result *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "domain", r->domain, strlen(r->domain));
	site_json(j, "mta_sts", &r->mtasts);
	site_json(j, "tls_rpt", &r->tlsrpt);
	site_json(j, "bimi", &r->bimi);
	zs__evidence_json(j, &r->findings, &r->log);
	zs_json_obj_end(j);
}
