/* SPDX-License-Identifier: MIT */
/*
 * The DMARC record parser and its JSON form. The parser never stops at the first problem: it
 * reads every tag so that a registrant sees all that is wrong with a record at once, and each
 * problem becomes one finding. Decisions where RFC 7489 and RFC 9989 disagree are marked
 * "Choice:" below and listed in docs/records.md; the conformance runner tests each one.
 */
#include "scanner/policy/dmarc.h"

#include <string.h>

#include "scanner/base/buf.h"
#include "scanner/base/json.h"
#include "scanner/base/mem.h"
#include "scanner/policy/record_int.h"

enum dmarc_tag {
	TAG_V,
	TAG_P,
	TAG_SP,
	TAG_NP,
	TAG_PCT,
	TAG_T,
	TAG_PSD,
	TAG_ADKIM,
	TAG_ASPF,
	TAG_RUA,
	TAG_RUF,
	TAG_FO,
	TAG_RF,
	TAG_RI,
	TAG_COUNT_,
	TAG_UNKNOWN = TAG_COUNT_,
};

static const char *const tag_names[TAG_COUNT_] = {
	"v", "p", "sp", "np", "pct", "t", "psd", "adkim", "aspf", "rua", "ruf", "fo", "rf", "ri",
};

static enum dmarc_tag tag_lookup(const char *name, size_t len)
{
	for (int i = 0; i < TAG_COUNT_; i++) {
		if (zs__eq_nocase(name, len, tag_names[i])) {
			return (enum dmarc_tag)i;
		}
	}
	return TAG_UNKNOWN;
}

const char *zs_dmarc_policy_name(enum zs_dmarc_policy p)
{
	switch (p) {
	case ZS_DMARC_POLICY_UNSET:
		return "unset";
	case ZS_DMARC_POLICY_NONE:
		return "none";
	case ZS_DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case ZS_DMARC_POLICY_REJECT:
		return "reject";
	}
	return "invalid";
}

static const char *align_name(enum zs_dmarc_align a)
{
	switch (a) {
	case ZS_DMARC_ALIGN_UNSET:
		return NULL;
	case ZS_DMARC_ALIGN_RELAXED:
		return "r";
	case ZS_DMARC_ALIGN_STRICT:
		return "s";
	}
	return NULL;
}

/*
 * What a receiver falls back to when it discards a broken tag (RFC 7489 6.3: "syntax errors in
 * the remainder of the record SHOULD be discarded in favor of default values (if any) or
 * ignored outright"). v= and p= have none: a receiver ignores a record whose v= or p= is
 * broken.
 */
static const char *const discarded_means[TAG_COUNT_] = {
	[TAG_SP] = "subdomains get the p= policy",
	[TAG_NP] = "non-existent subdomains get the sp= (or p=) policy",
	[TAG_PCT] = "the policy applies to all mail (pct=100)",
	[TAG_T] = "the policy is not in testing mode (t=n)",
	[TAG_PSD] = "psd=u applies",
	[TAG_ADKIM] = "relaxed DKIM alignment applies",
	[TAG_ASPF] = "relaxed SPF alignment applies",
	[TAG_RUA] = "your aggregate reports are not being sent",
	[TAG_RUF] = "your failure reports are not being sent",
	[TAG_FO] = "failure reports use the default fo=0",
	[TAG_RF] = "failure reports use the default format afrf",
	[TAG_RI] = "aggregate reports come daily (ri=86400)",
};

/* The parser's working state: the record being filled and where its strings go. */
struct parse {
	struct zs_arena *a;
	struct zs_dmarc_record *r;
	unsigned flags;
	bool fatal; /* a receiver ignores the whole record (v=, p= or the tag-list is broken) */
};

#define ADD(ps, code, ...) zs_findings_add((ps)->a, &(ps)->r->findings, (code), __VA_ARGS__)
/* A problem that makes receivers ignore the record, not only one tag. */
#define FATAL(ps, code, ...) ((ps)->fatal = true, ADD((ps), (code), __VA_ARGS__))

static const char *quote(struct parse *ps, const char *s, size_t n)
{
	return zs__quote(ps->a, s, n);
}

/*
 * Where a value runs into the next tag for want of a ";" ("r fo=1", "mailto:a@x, ruf=mailto:b@x"):
 * the offset of that tag's name, or 0.
 */
static size_t run_in(const char *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (v[i - 1] != ' ' && v[i - 1] != '\t' && v[i - 1] != ',') {
			continue;
		}
		size_t e = i;
		while (e < n && ((v[e] >= 'a' && v[e] <= 'z') || (v[e] >= 'A' && v[e] <= 'Z'))) {
			e++;
		}
		if (e > i && e < n && v[e] == '=' && tag_lookup(v + i, e - i) != TAG_UNKNOWN) {
			return i;
		}
	}
	return 0;
}

/* A value that runs into the next tag: say so. @return "" or a clause to append */
static const char *separator_hint(struct parse *ps, const char *v, size_t n)
{
	size_t i = run_in(v, n);
	if (i == 0) {
		return "";
	}
	return zs_arena_printf(ps->a, " (%s looks like the next tag: tags are separated by \";\")",
	                       quote(ps, v + i, n - i));
}

static void bad_value(struct parse *ps, const struct zs__tag *t, const char *expect)
{
	ADD(ps, ZS_FIND_DMARC_VALUE_INVALID, "%.*s=%s: the value must be %s%s", (int)t->name_len,
	    t->name, quote(ps, t->value, t->value_len), expect,
	    separator_hint(ps, t->value, t->value_len));
}

static bool parse_policy(struct parse *ps, const struct zs__tag *t, enum zs_dmarc_policy *out)
{
	/*
	 * Choice: only the full words, in any case ("ReJect" is fine, checkdmarc-001). OpenDMARC's
	 * prefixes such as "p=n" (opendmarc-parse-005) are not in the ABNF of either RFC.
	 */
	if (zs__eq_nocase(t->value, t->value_len, "none")) {
		*out = ZS_DMARC_POLICY_NONE;
	} else if (zs__eq_nocase(t->value, t->value_len, "quarantine")) {
		*out = ZS_DMARC_POLICY_QUARANTINE;
	} else if (zs__eq_nocase(t->value, t->value_len, "reject")) {
		*out = ZS_DMARC_POLICY_REJECT;
	} else {
		bad_value(ps, t, "none, quarantine or reject");
		return false;
	}
	return true;
}

static void parse_align(struct parse *ps, const struct zs__tag *t, enum zs_dmarc_align *out)
{
	if (zs__eq_nocase(t->value, t->value_len, "r")) {
		*out = ZS_DMARC_ALIGN_RELAXED;
	} else if (zs__eq_nocase(t->value, t->value_len, "s")) {
		*out = ZS_DMARC_ALIGN_STRICT;
	} else {
		bad_value(ps, t, "r (relaxed) or s (strict)");
	}
}

static void parse_flag(struct parse *ps, const struct zs__tag *t, const char *allowed,
                       const char *expect, char *out)
{
	if (t->value_len == 1) {
		char c = t->value[0];
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		if (c != '\0' && strchr(allowed, c) != NULL) {
			*out = c;
			return;
		}
	}
	bad_value(ps, t, expect);
}

/* Split a value on @p sep with whitespace around items; calls @p item for each one. */
static bool split_items(struct parse *ps, const struct zs__tag *t, char sep,
                        bool (*item)(struct parse *ps, const struct zs__tag *t, const char *s,
                                     size_t n))
{
	struct zs__split it;
	const char *s = NULL;
	size_t n = 0;
	bool ok = true;
	zs__split_init(&it, t->value, t->value_len, sep);
	while (zs__split_next(&it, &s, &n)) {
		if (!item(ps, t, s, n)) {
			ok = false;
		}
	}
	return ok;
}

static bool fo_item(struct parse *ps, const struct zs__tag *t, const char *s, size_t n)
{
	struct zs_dmarc_record *r = ps->r;
	if (n == 1 && (s[0] == '0' || s[0] == '1' || s[0] == 'd' || s[0] == 's' || s[0] == 'D' ||
	               s[0] == 'S')) {
		size_t l = strlen(r->fo);
		if (l + 1 < sizeof(r->fo)) {
			r->fo[l] = (char)(s[0] == 'D' ? 'd' : s[0] == 'S' ? 's' : s[0]);
		}
		return true;
	}
	return false;
}

static bool is_keyword(const char *s, size_t n)
{
	/* Keyword = Ldh-str of RFC 5321: letters, digits, hyphens, ending in a letter or digit */
	if (n == 0 || s[n - 1] == '-') {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '-';
		if (!ok) {
			return false;
		}
	}
	return true;
}

static bool rf_item(struct parse *ps, const struct zs__tag *t, const char *s, size_t n)
{
	if (!is_keyword(s, n)) {
		return false;
	}
	struct zs_dmarc_record *r = ps->r;
	if (r->rf_count < 8) {
		r->rf[r->rf_count++] = zs__lower(ps->a, s, n);
	}
	/*
	 * Choice: a well-formed but unknown report format is a warning, not an error: RFC 7489's
	 * ABNF accepts any Keyword and only "afrf" is defined (OpenDMARC rejects others, vectors
	 * opendmarc-parse-012 and -019; checkdmarc-034 accepts them).
	 */
	if (!zs__eq_nocase(s, n, "afrf")) {
		ADD(ps, ZS_FIND_DMARC_RF_UNKNOWN,
		    "rf=: unknown failure report format %s (only afrf is defined)",
		    quote(ps, s, n));
	}
	return true;
}

/* Parse "uri[!size[unit]]" into @p u. */
static bool parse_uri(struct parse *ps, const struct zs__tag *t, const char *s, size_t n,
                      struct zs_dmarc_uri *u)
{
	const char *bang = memchr(s, '!', n);
	size_t ulen = bang == NULL ? n : (size_t)(bang - s);
	u->uri = zs_arena_strndup(ps->a, s, ulen);
	u->uri_len = ulen;
	if (bang != NULL) {
		const char *sz = bang + 1;
		size_t szlen = n - ulen - 1;
		char unit = 0;
		if (szlen > 0 && strchr("kmgtKMGT", sz[szlen - 1]) != NULL &&
		    sz[szlen - 1] != '\0') {
			unit = sz[szlen - 1];
			if (unit >= 'A' && unit <= 'Z') {
				unit = (char)(unit - 'A' + 'a');
			}
			szlen--;
		}
		if (!zs__parse_u64(sz, szlen, &u->size)) {
			ADD(ps, ZS_FIND_DMARC_URI_INVALID,
			    "%.*s=: bad size limit in %s: it must be !digits with an optional k, m, g or t",
			    (int)t->name_len, t->name, quote(ps, s, n));
			return false;
		}
		u->has_size = true;
		u->unit = unit;
	}
	size_t scheme_len = 0;
	if (!zs__uri_valid(s, ulen, &scheme_len)) {
		ADD(ps, ZS_FIND_DMARC_URI_INVALID,
		    "%.*s=: %s is not a URI (a scheme such as mailto: is needed; commas and \"!\" must be percent-encoded)%s",
		    (int)t->name_len, t->name, quote(ps, s, ulen),
		    separator_hint(ps, t->value, t->value_len));
		return false;
	}
	u->valid = true;
	if (!zs__eq_nocase(s, scheme_len, "mailto")) {
		ADD(ps, ZS_FIND_DMARC_URI_NOT_MAILTO,
		    "%.*s=: %s is not a mailto: URI; receivers are only required to support mailto:",
		    (int)t->name_len, t->name, quote(ps, s, ulen));
		return true;
	}
	u->mailto_domain = zs__mailto_domain(ps->a, s, ulen);
	if (u->mailto_domain == NULL) {
		ADD(ps, ZS_FIND_DMARC_MAILTO_INVALID,
		    "%.*s=: %s holds no usable e-mail address (local@domain)", (int)t->name_len,
		    t->name, quote(ps, s, ulen));
	}
	if (u->has_size) {
		ADD(ps, ZS_FIND_DMARC_URI_SIZE,
		    "size limit (`!size`) on %.*s URI %s: it is obsolete in RFC 9989 and ignored there",
		    (int)t->name_len, t->name, quote(ps, s, ulen));
	}
	return true;
}

/* Parse a rua= or ruf= list into @p list / @p count. @return whether every URI is valid */
static bool parse_uri_list(struct parse *ps, const struct zs__tag *t, struct zs_dmarc_uri **list,
                           size_t *count)
{
	struct zs__split it;
	const char *s = NULL;
	size_t n = 0;
	bool ok = true;
	*list = zs_arena_calloc(ps->a, zs__split_count(t->value, t->value_len, ','),
	                        sizeof(**list));
	*count = 0;
	zs__split_init(&it, t->value, t->value_len, ',');
	while (zs__split_next(&it, &s, &n)) {
		if (n == 0) {
			ADD(ps, ZS_FIND_DMARC_URI_INVALID, "%.*s=: empty URI in the list",
			    (int)t->name_len, t->name);
			ok = false;
			continue;
		}
		if (!parse_uri(ps, t, s, n, &(*list)[(*count)++])) {
			ok = false;
		}
	}
	if (*count > 2) {
		ADD(ps, ZS_FIND_DMARC_URI_TOO_MANY,
		    "more than two %.*s URIs (%zu): receivers need only use the first two",
		    (int)t->name_len, t->name, *count);
	}
	return ok;
}

static void syntax_finding(struct parse *ps, const struct zs__tag *t)
{
	const struct zs_dmarc_record *r = ps->r;
	switch (t->err) {
	case ZS__TAG_OK:
		return;
	case ZS__TAG_EMPTY:
		ADD(ps, ZS_FIND_DMARC_TAG_EMPTY, "empty element between two \";\" at offset %zu",
		    t->pos);
		return;
	case ZS__TAG_NO_EQUALS:
		ADD(ps, ZS_FIND_DMARC_SYNTAX, "%s at offset %zu is not tag=value",
		    quote(ps, t->name, t->name_len), t->pos);
		return;
	case ZS__TAG_BAD_NAME:
		ADD(ps, ZS_FIND_DMARC_SYNTAX, "bad tag name %s at offset %zu",
		    quote(ps, t->name, t->name_len), t->pos);
		return;
	case ZS__TAG_BAD_VALUE:
		ADD(ps, ZS_FIND_DMARC_SYNTAX,
		    "%.*s=: byte %s at offset %zu is not allowed in a value (printable ASCII only)",
		    (int)(t->name_len > 32 ? 32 : t->name_len), t->name,
		    quote(ps, r->text + t->err_pos, 1), t->err_pos);
		return;
	}
}

static void parse_tag(struct parse *ps, const struct zs__tag *t, enum dmarc_tag id, size_t index)
{
	struct zs_dmarc_record *r = ps->r;
	uint64_t v = 0;

	switch (id) {
	case TAG_V:
		if (index != 0) {
			FATAL(ps, ZS_FIND_DMARC_V_NOT_FIRST,
			      "v= must be the first tag (found at offset %zu)", t->pos);
		}
		/* the value is case-sensitive: %x44 %x4d %x41 %x52 %x43 %x31 in RFC 7489 */
		if (!zs__eq(t->value, t->value_len, "DMARC1")) {
			FATAL(ps, ZS_FIND_DMARC_V_INVALID,
			      "v=%s: the version must be exactly DMARC1",
			      quote(ps, t->value, t->value_len));
		}
		return;
	case TAG_P:
		/*
		 * Choice: p= anywhere is accepted with a warning (RFC 9989; checkdmarc-038). RFC
		 * 7489 wants it right after v= (mox-dmarc-parse-009 rejects the record).
		 */
		if (index != 1) {
			ADD(ps, ZS_FIND_DMARC_P_NOT_SECOND,
			    "the p tag does not immediately follow the v tag (RFC 7489 receivers may ignore the record)");
		}
		if (!parse_policy(ps, t, &r->p)) {
			ps->fatal =
			        true; /* no default to fall back to: receivers ignore the record */
		}
		return;
	case TAG_SP:
		(void)parse_policy(ps, t, &r->sp);
		return;
	case TAG_NP:
		(void)parse_policy(ps, t, &r->np);
		return;
	case TAG_PCT:
		/*
		 * Choice: a bad pct= (and ri=, rf=) value makes the record invalid, as in RFC 7489,
		 * mox and OpenDMARC: RFC 7489 receivers discard such a record whole. checkdmarc
		 * (RFC 9989, which removed these tags) only warns; see docs/records.md.
		 */
		if (zs__parse_u64(t->value, t->value_len, &v) && v <= 100) {
			r->pct = (int)v;
		} else {
			bad_value(ps, t, "a whole number from 0 to 100");
		}
		return;
	case TAG_RI:
		if (zs__parse_u64(t->value, t->value_len, &v) && v <= UINT32_MAX) {
			r->has_ri = true;
			r->ri = (uint32_t)v;
		} else {
			bad_value(ps, t, "a number of seconds (32 bits)");
		}
		return;
	case TAG_T:
		parse_flag(ps, t, "yn", "y or n", &r->t);
		return;
	case TAG_PSD:
		parse_flag(ps, t, "ynu", "y, n or u", &r->psd);
		return;
	case TAG_ADKIM:
		parse_align(ps, t, &r->adkim);
		return;
	case TAG_ASPF:
		parse_align(ps, t, &r->aspf);
		return;
	case TAG_FO:
		r->fo[0] = '\0';
		if (!split_items(ps, t, ':', fo_item)) {
			bad_value(ps, t, "a colon-separated list of 0, 1, d, s");
		}
		return;
	case TAG_RF:
		r->rf = zs_arena_calloc(ps->a, 8, sizeof(*r->rf));
		if (!split_items(ps, t, ':', rf_item)) {
			bad_value(ps, t, "a colon-separated list of report format keywords");
		}
		return;
	case TAG_RUA:
		(void)parse_uri_list(ps, t, &r->rua, &r->rua_count);
		return;
	case TAG_RUF:
		(void)parse_uri_list(ps, t, &r->ruf, &r->ruf_count);
		return;
	case TAG_UNKNOWN:
		ADD(ps, ZS_FIND_DMARC_TAG_UNKNOWN, "Unknown DMARC tag %s is ignored",
		    zs__quote(ps->a, t->name, t->name_len) /* quoted: may be any bytes */);
		return;
	}
}

static bool has_valid_uri(const struct zs_dmarc_uri *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (list[i].valid) {
			return true;
		}
	}
	return false;
}

static void check_whole(struct parse *ps, const bool *seen)
{
	struct zs_dmarc_record *r = ps->r;
	bool auth = (ps->flags & ZS_DMARC_PARSE_REPORT_AUTH) != 0;

	/*
	 * Choice: an invalid p=, sp= or np= value stays an error even when rua= is valid: the
	 * published record is wrong (checkdmarc-008, -039; OpenDMARC). RFC 7489 6.6.3 only tells
	 * a receiver to fall back to p=none then, which mox-dmarc-parse-037 tests.
	 */
	if (!auth && r->p == ZS_DMARC_POLICY_UNSET && !seen[TAG_P]) {
		/*
		 * Choice: no p= is acceptable only with a valid rua= (RFC 7489 6.6.3: act as
		 * p=none; RFC 9989: p= is optional, meaning none). Without rua= RFC 7489 receivers
		 * ignore the record, so it is invalid (mox-dmarc-parse-007, opendmarc-parse-015).
		 */
		if (has_valid_uri(r->rua, r->rua_count)) {
			r->p_from_rua = true;
			ADD(ps, ZS_FIND_DMARC_P_MISSING_RUA,
			    "A missing p tag is equivalent to p=none in RFC 9989, but a p tag is required in older versions of DMARC.");
		} else {
			FATAL(ps, ZS_FIND_DMARC_P_MISSING,
			      "no p= tag and no valid rua=: RFC 7489 receivers ignore the record");
		}
	}
	static const enum dmarc_tag removed[] = { TAG_PCT, TAG_RF, TAG_RI };
	for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
		if (seen[removed[i]]) {
			ADD(ps, ZS_FIND_DMARC_TAG_REMOVED,
			    "the %s tag was removed in RFC 9989 (RFC 7489 receivers still apply it)",
			    tag_names[removed[i]]);
		}
	}
	if (r->sp == ZS_DMARC_POLICY_NONE &&
	    (r->p == ZS_DMARC_POLICY_QUARANTINE || r->p == ZS_DMARC_POLICY_REJECT)) {
		ADD(ps, ZS_FIND_DMARC_SP_NONE,
		    "an sp tag value of none leaves subdomains unprotected while p=%s",
		    zs_dmarc_policy_name(r->p));
	}
	if (r->pct >= 0 && r->pct < 100) {
		ADD(ps, ZS_FIND_DMARC_PCT_PARTIAL,
		    "pct=%d: RFC 7489 receivers apply the policy to only %d%% of failing mail",
		    r->pct, r->pct);
	}
	if (r->t == 'y') {
		ADD(ps, ZS_FIND_DMARC_TESTING,
		    "t=y: testing mode, RFC 9989 receivers apply the policy one step lower");
	}
	if (strchr(r->fo, '0') != NULL && strchr(r->fo, '1') != NULL) {
		ADD(ps, ZS_FIND_DMARC_FO_REDUNDANT,
		    "fo=0 is redundant with fo=1 (1 already reports any failure)");
	}
	if (seen[TAG_FO] && r->ruf_count == 0) {
		ADD(ps, ZS_FIND_DMARC_FO_WITHOUT_RUF, "fo= has no effect without ruf=");
	}
	if (!auth && !seen[TAG_RUA]) {
		ADD(ps, ZS_FIND_DMARC_RUA_MISSING,
		    "no rua= tag: the domain receives no aggregate reports");
	}
}

/*
 * A broken element of the remainder: receivers discard it and apply the default (RFC 7489
 * 6.3), so the record still applies; say what the loss means. Broken v= and p= are fatal
 * instead (see FATAL), and have no default.
 */
static void discarded(struct parse *ps, const struct zs__tag *t, enum dmarc_tag id)
{
	if (ps->fatal || id == TAG_V || id == TAG_P) {
		return;
	}
	struct zs_dmarc_record *r = ps->r;
	const char *name = quote(ps, t->name, t->name_len);
	if (id == TAG_UNKNOWN) {
		ADD(ps, ZS_FIND_DMARC_TAG_DISCARDED,
		    "receivers ignore the malformed element %s at offset %zu", name, t->pos);
	} else if ((id == TAG_RUA || id == TAG_RUF) &&
	           has_valid_uri(id == TAG_RUA ? r->rua : r->ruf,
	                         id == TAG_RUA ? r->rua_count : r->ruf_count)) {
		ADD(ps, ZS_FIND_DMARC_TAG_DISCARDED,
		    "receivers may discard the whole %s= tag for its malformed URI: %s",
		    tag_names[id],
		    id == TAG_RUA ? "your aggregate reports may not be sent"
		                  : "your failure reports may not be sent");
	} else {
		ADD(ps, ZS_FIND_DMARC_TAG_DISCARDED, "receivers ignore %s=: %s", tag_names[id],
		    discarded_means[id]);
	}
	r->discarded++;
}

void zs_dmarc_parse(struct zs_arena *arena, const char *text, size_t len, unsigned flags,
                    struct zs_dmarc_record *out)
{
	struct parse ps = { .a = arena, .r = out, .flags = flags };
	struct zs_dmarc_record *r = out;
	bool seen[TAG_COUNT_] = { false };

	memset(r, 0, sizeof(*r));
	r->pct = -1;
	r->text = zs_arena_strndup(arena, text, len);
	r->len = len;
	text = r->text;

	if (len == 0) {
		FATAL(&ps, ZS_FIND_DMARC_EMPTY, "the record is empty");
		r->valid = false;
		return;
	}

	struct zs__taglist tl;
	zs__taglist_parse(arena, text, len, 0, &tl);
	if (tl.leading_space) {
		FATAL(&ps, ZS_FIND_DMARC_LEADING_SPACE,
		      "the record starts with whitespace: receivers look for \"v=DMARC1\" at the very start");
	}
	if (tl.too_many) {
		ADD(&ps, ZS_FIND_DMARC_SYNTAX, "more than %d tags; the rest was not read",
		    ZS__TAGS_MAX);
		r->discarded++;
	}
	const struct zs__tag *first = tl.count > 0 ? &tl.tag[0] : NULL;
	if (first == NULL || first->err != ZS__TAG_OK ||
	    tag_lookup(first->name, first->name_len) != TAG_V) {
		FATAL(&ps, ZS_FIND_DMARC_V_NOT_FIRST, "the record must start with v=DMARC1");
	}
	for (size_t i = 0; i < tl.count; i++) {
		const struct zs__tag *t = &tl.tag[i];
		size_t errors = zs_findings_count(&r->findings, ZS_SEV_ERROR);
		if (t->err != ZS__TAG_OK) {
			syntax_finding(&ps, t);
			discarded(&ps, t, TAG_UNKNOWN);
			continue;
		}
		enum dmarc_tag id = tag_lookup(t->name, t->name_len);
		if (id != TAG_UNKNOWN) {
			if (seen[id]) {
				/* RFC 6376 3.2, whose tag-list DMARC uses: the whole list is
				 * invalid */
				FATAL(&ps, ZS_FIND_DMARC_TAG_DUPLICATE,
				      "the %s tag appears more than once: receivers ignore the record",
				      tag_names[id]);
				continue;
			}
			seen[id] = true;
		}
		parse_tag(&ps, t, id, i);
		if (zs_findings_count(&r->findings, ZS_SEV_ERROR) > errors) {
			discarded(&ps, t, id);
		}
	}
	check_whole(&ps, seen);
	r->valid = zs_findings_count(&r->findings, ZS_SEV_ERROR) == 0;
	r->applies = !ps.fatal && (flags & ZS_DMARC_PARSE_REPORT_AUTH) == 0;
	if (!r->applies) {
		r->discarded = 0;
	}
	r->rua_usable = r->rua_count > 0;
	for (size_t i = 0; i < r->rua_count; i++) {
		r->rua_usable = r->rua_usable && r->rua[i].valid;
	}
}

const char *zs_dmarc_discarded_text(struct zs_arena *arena, const struct zs_dmarc_record *r)
{
	if (!r->applies || r->discarded == 0) {
		return NULL;
	}
	/* each tag's errors come right before the finding that says what discarding it means */
	struct zs_buf b;
	zs_buf_init(&b, 4096); /* a longer text is cut: the findings hold every word */
	size_t from = 0;
	for (size_t i = 0; i < r->findings.count; i++) {
		const struct zs_finding *f = &r->findings.item[i];
		if (f->code != ZS_FIND_DMARC_TAG_DISCARDED) {
			continue;
		}
		if (b.len > 0) {
			(void)zs_buf_puts(&b, "; ");
		}
		for (size_t k = from; k < i; k++) {
			const struct zs_finding *e = &r->findings.item[k];
			if (zs_finding_severity(e->code) == ZS_SEV_ERROR) {
				(void)zs_buf_puts(&b, e->message);
				(void)zs_buf_puts(&b, ": ");
			}
		}
		(void)zs_buf_puts(&b, f->message);
		from = i + 1;
	}
	const char *out = zs_arena_strndup(arena, b.data != NULL ? b.data : "", b.len);
	zs_buf_deinit(&b);
	return out;
}

/* ---- the record with its broken tags corrected ---- */

/* Whether "name=value" alone is a well-formed tag, as the parser reads it. */
static bool tag_sound(struct zs_arena *a, const char *name, size_t nlen, const char *value,
                      size_t vlen)
{
	const char *text = zs_arena_printf(a, "v=DMARC1; p=none; %.*s=%.*s", (int)nlen, name,
	                                   (int)vlen, value);
	struct zs_dmarc_record r;
	zs_dmarc_parse(a, text, strlen(text), 0, &r);
	return r.valid;
}

/* rua=/ruf= items: an address without its scheme gets "mailto:"; other bad items go. */
static void repair_uris(struct zs_arena *a, struct zs_buf *b, const char *v, size_t n)
{
	struct zs__split it;
	const char *item = NULL;
	size_t len = 0;
	size_t kept = 0;
	zs__split_init(&it, v, n, ',');
	while (zs__split_next(&it, &item, &len)) {
		size_t scheme = 0;
		const char *fixed = NULL;
		if (len > 0 && zs__uri_valid(item, len, &scheme)) {
			fixed = zs_arena_strndup(a, item, len);
		} else if (len > 0 && memchr(item, '@', len) != NULL &&
		           memchr(item, ':', len) == NULL) {
			fixed = zs_arena_printf(a, "mailto:%.*s", (int)len, item);
		}
		if (fixed != NULL) {
			(void)zs_buf_printf(b, "%s%s", kept++ > 0 ? "," : "", fixed);
		}
	}
}

/* Append one element, corrected if need be; a run-in next tag is returned in @p rest. */
static void repair_tag(struct zs_arena *a, struct zs_buf *out, const char *name, size_t nlen,
                       const char *value, size_t vlen, const char **rest, size_t *rest_len)
{
	size_t cut = run_in(value, vlen);
	*rest = NULL;
	if (cut > 0) {
		*rest = value + cut;
		*rest_len = vlen - cut;
		vlen = cut;
		while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t' ||
		                    value[vlen - 1] == ',')) {
			vlen--;
		}
	}
	enum dmarc_tag id = tag_lookup(name, nlen);
	if (id == TAG_V || id == TAG_P) {
		/* sound, since the record applies */
		(void)zs_buf_printf(out, "; %.*s=%.*s", (int)nlen, name, (int)vlen, value);
		return;
	}
	struct zs_buf fixed;
	zs_buf_init(&fixed, 4096);
	if (id == TAG_RUA || id == TAG_RUF) {
		repair_uris(a, &fixed, value, vlen);
	} else {
		(void)zs_buf_append(&fixed, value, vlen);
	}
	if (fixed.len > 0 && tag_sound(a, name, nlen, zs_buf_cstr(&fixed), fixed.len)) {
		(void)zs_buf_printf(out, "; %.*s=%s", (int)nlen, name, zs_buf_cstr(&fixed));
	}
	zs_buf_deinit(&fixed);
}

const char *zs_dmarc_repair(struct zs_arena *arena, const struct zs_dmarc_record *r)
{
	if (!r->applies || r->discarded == 0) {
		return NULL;
	}
	struct zs__taglist tl;
	zs__taglist_parse(arena, r->text, r->len, 0, &tl);
	struct zs_buf out;
	zs_buf_init(&out, 4096);
	for (size_t i = 0; i < tl.count; i++) {
		const struct zs__tag *t = &tl.tag[i];
		if (t->err != ZS__TAG_OK) {
			continue; /* what receivers discard: "oops", an empty element */
		}
		const char *value = t->value;
		size_t vlen = t->value_len;
		const char *name = t->name;
		size_t nlen = t->name_len;
		for (int guard = 0; guard < 8 && value != NULL; guard++) {
			const char *rest = NULL;
			size_t rest_len = 0;
			repair_tag(arena, &out, name, nlen, value, vlen, &rest, &rest_len);
			if (rest == NULL) {
				break;
			}
			const char *eq = memchr(rest, '=', rest_len);
			name = rest;
			nlen = (size_t)(eq - rest);
			value = eq + 1;
			vlen = rest_len - nlen - 1;
		}
	}
	const char *text = out.len > 2 ? zs_arena_strndup(arena, out.data + 2, out.len - 2) : NULL;
	zs_buf_deinit(&out);
	if (text == NULL) {
		return NULL;
	}
	struct zs_dmarc_record check;
	zs_dmarc_parse(arena, text, strlen(text), 0, &check);
	return check.valid ? text : NULL;
}

void zs_dmarc_effective(const struct zs_dmarc_record *r, bool inherited,
                        struct zs_dmarc_effective *out)
{
	enum zs_dmarc_policy p = r->p;
	if (p == ZS_DMARC_POLICY_UNSET) {
		p = ZS_DMARC_POLICY_NONE; /* p_from_rua, or RFC 9989's default */
	}
	enum zs_dmarc_policy sp = r->sp != ZS_DMARC_POLICY_UNSET ? r->sp : p;
	enum zs_dmarc_policy np = r->np != ZS_DMARC_POLICY_UNSET ? r->np : sp;

	memset(out, 0, sizeof(*out));
	out->domain = inherited ? sp : p;
	out->subdomain = sp;
	out->nonexistent = np;
	out->adkim = r->adkim != ZS_DMARC_ALIGN_UNSET ? r->adkim : ZS_DMARC_ALIGN_RELAXED;
	out->aspf = r->aspf != ZS_DMARC_ALIGN_UNSET ? r->aspf : ZS_DMARC_ALIGN_RELAXED;
	out->pct = r->pct >= 0 ? r->pct : 100;
	out->testing = r->t == 'y';
	out->psd = r->psd != 0 ? r->psd : 'u';
}

void zs_dmarc_check_parked(struct zs_arena *arena, struct zs_dmarc_record *r)
{
	enum zs_dmarc_policy p = r->p == ZS_DMARC_POLICY_UNSET ? ZS_DMARC_POLICY_NONE : r->p;
	if (p != ZS_DMARC_POLICY_REJECT) {
		zs_findings_add(arena, &r->findings, ZS_FIND_DMARC_PARKED_P_WEAK,
		                "the domain sends no mail (parked): p=%s should be reject",
		                zs_dmarc_policy_name(p));
	}
	if (r->sp != ZS_DMARC_POLICY_UNSET && r->sp != ZS_DMARC_POLICY_REJECT) {
		zs_findings_add(arena, &r->findings, ZS_FIND_DMARC_PARKED_SP_WEAK,
		                "the subdomain policy sp=%s of a parked domain should be reject",
		                zs_dmarc_policy_name(r->sp));
	}
}

static void policy_json(struct zs_json *j, const char *key, enum zs_dmarc_policy p)
{
	if (p == ZS_DMARC_POLICY_UNSET) {
		zs_json_knull(j, key);
	} else {
		zs_json_kstr(j, key, zs_dmarc_policy_name(p));
	}
}

static void uris_json(struct zs_json *j, const char *key, const struct zs_dmarc_uri *u,
                      size_t count)
{
	zs_json_key(j, key);
	zs_json_arr_begin(j);
	for (size_t i = 0; i < count; i++) {
		zs_json_obj_begin(j);
		zs_json_kdata(j, "uri", u[i].uri, u[i].uri_len);
		zs_json_kbool(j, "valid", u[i].valid);
		if (u[i].has_size) {
			zs_json_kint(j, "max_size", (long long)u[i].size);
			if (u[i].unit != 0) {
				char unit[2] = { u[i].unit, '\0' };
				zs_json_kstr(j, "unit", unit);
			}
		}
		if (u[i].mailto_domain != NULL) {
			zs_json_kstr(j, "domain", u[i].mailto_domain);
		}
		zs_json_obj_end(j);
	}
	zs_json_arr_end(j);
}

static void flag_json(struct zs_json *j, const char *key, char c)
{
	if (c == 0) {
		zs_json_knull(j, key);
	} else {
		char s[2] = { c, '\0' };
		zs_json_kstr(j, key, s);
	}
}

void zs_dmarc_record_json(struct zs_json *j, const struct zs_dmarc_record *r)
{
	zs_json_obj_begin(j);
	zs_json_kdata(j, "text", r->text, r->len);
	zs_json_kbool(j, "valid", r->valid);
	zs_json_kbool(j, "applies", r->applies);
	zs_json_kint(j, "discarded", (long long)r->discarded);
	zs_json_key(j, "tags");
	zs_json_obj_begin(j);
	policy_json(j, "p", r->p);
	policy_json(j, "sp", r->sp);
	policy_json(j, "np", r->np);
	zs_json_kstr(j, "adkim", align_name(r->adkim));
	zs_json_kstr(j, "aspf", align_name(r->aspf));
	if (r->pct >= 0) {
		zs_json_kint(j, "pct", r->pct);
	} else {
		zs_json_knull(j, "pct");
	}
	flag_json(j, "t", r->t);
	flag_json(j, "psd", r->psd);
	zs_json_kstr(j, "fo", r->fo[0] != '\0' ? r->fo : NULL);
	zs_json_key(j, "rf");
	zs_json_arr_begin(j);
	for (size_t i = 0; i < r->rf_count; i++) {
		zs_json_str(j, r->rf[i]);
	}
	zs_json_arr_end(j);
	if (r->has_ri) {
		zs_json_kint(j, "ri", r->ri);
	} else {
		zs_json_knull(j, "ri");
	}
	uris_json(j, "rua", r->rua, r->rua_count);
	uris_json(j, "ruf", r->ruf, r->ruf_count);
	zs_json_obj_end(j);
	if (r->applies) {
		struct zs_dmarc_effective e;
		zs_dmarc_effective(r, false, &e);
		zs_json_key(j, "effective");
		zs_json_obj_begin(j);
		zs_json_kstr(j, "p", zs_dmarc_policy_name(e.domain));
		zs_json_kstr(j, "sp", zs_dmarc_policy_name(e.subdomain));
		zs_json_kstr(j, "np", zs_dmarc_policy_name(e.nonexistent));
		zs_json_kstr(j, "adkim", align_name(e.adkim));
		zs_json_kstr(j, "aspf", align_name(e.aspf));
		zs_json_kint(j, "pct", e.pct);
		zs_json_kbool(j, "testing", e.testing);
		flag_json(j, "psd", e.psd);
		zs_json_obj_end(j);
	}
	zs_json_key(j, "findings");
	zs_findings_json(j, &r->findings);
	zs_json_obj_end(j);
}
