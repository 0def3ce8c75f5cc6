/* SPDX-License-Identifier: MIT */
/*
 * SPF record parsing (RFC 7208 sections 4.5, 4.6.1, 5, 6 and 12). A record is split on spaces
 * (only 0x20: any other control byte is a syntax error, as the suite's control-char tests
 * require), each term is classified as modifier when it starts with a valid name followed by
 * "=", else as a mechanism, and every argument is checked against the ABNF: dual CIDR lengths
 * split off the end of a domain-spec without leading zeros, dotted quads without leading
 * zeros, domain-specs that end in a toplabel or a macro, macro syntax with c/r/t refused
 * outside explanation text. "redirect" and "exp" are never taken as unknown modifiers, so a
 * bad redirect= is an error, not an ignored modifier (the suite's redirect-syntax-error).
 */
#include "scanner/policy/spf.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "scanner/base/err.h"
#include "scanner/base/mem.h"
#include "scanner/policy/spf_int.h"
#include "scanner/policy/spf_macro.h"

struct parser {
	struct zs_arena *a;
	const char *text; /**< the record (arena copy) */
	struct zs_spf_syntax *err;
};

static const struct {
	const char *name;
	enum zs_spf_kind kind;
} mechanisms[] = {
	{ "all", ZS_SPF_ALL }, { "include", ZS_SPF_INCLUDE }, { "a", ZS_SPF_A },
	{ "mx", ZS_SPF_MX },   { "ptr", ZS_SPF_PTR },         { "ip4", ZS_SPF_IP4 },
	{ "ip6", ZS_SPF_IP6 }, { "exists", ZS_SPF_EXISTS },
};

static int syntax(struct parser *p, size_t pos, const char *msg)
{
	if (p->err != NULL) {
		p->err->pos = pos;
		p->err->msg = msg;
	}
	return ZS_ERR_PARSE;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

bool zs_spf_is_record(const char *text, size_t len)
{
	if (len < 6 || strncasecmp(text, "v=spf1", 6) != 0) {
		return false;
	}
	return len == 6 || text[6] == ' ';
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ):
 * letters, digits and dashes, not starting or ending with a dash, not all digits.
 */
static bool is_toplabel(const char *s, size_t n)
{
	bool alpha = false;
	bool dash = false;

	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1])) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			dash = true;
		} else if (is_alpha(s[i])) {
			alpha = true;
		} else if (!is_digit(s[i])) {
			return false;
		}
	}
	return alpha || dash;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static int check_domain_spec(struct parser *p, size_t b, size_t e)
{
	const char *s = p->text + b;
	size_t n = e - b;
	struct zs_spf_syntax serr;

	if (n == 0) {
		return syntax(p, b, "empty domain-spec");
	}
	if (zs_spf_macro_check(s, n, 0, &serr) != 0) {
		return syntax(p, b + serr.pos, serr.msg);
	}
	if (zs__spf_macro_ends_with_expand(s, n)) {
		return 0;
	}
	size_t end = n;
	if (s[end - 1] == '.') {
		end--;
	}
	size_t dot = end;
	while (dot > 0 && s[dot - 1] != '.') {
		dot--;
	}
	if (dot == 0) {
		return syntax(p, b, "domain-spec needs a dot and a top-level label or a macro");
	}
	if (!is_toplabel(s + dot, end - dot)) {
		return syntax(p, b + dot, "invalid top-level label");
	}
	return 0;
}

/* ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), likewise ip6 with up to 3 digits */
static int parse_prefix(struct parser *p, size_t b, size_t e, unsigned max, uint8_t *out)
{
	unsigned v = 0;

	if (b == e || e - b > 3 || (p->text[b] == '0' && e - b > 1)) {
		return syntax(p, b, "invalid prefix length");
	}
	for (size_t i = b; i < e; i++) {
		if (!is_digit(p->text[i])) {
			return syntax(p, i, "invalid prefix length");
		}
		v = v * 10 + (unsigned)(p->text[i] - '0');
	}
	if (v > max) {
		return syntax(p, b,
		              max == 32 ? "IPv4 prefix length over 32"
		                        : "IPv6 prefix length over 128");
	}
	*out = (uint8_t)v;
	return 0;
}

/* Start of the run of digits that ends at e (e when none). */
static size_t digits_start(const char *s, size_t b, size_t e)
{
	while (e > b && is_digit(s[e - 1])) {
		e--;
	}
	return e;
}

/*
 * dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken off the end of
 * [b, *e): domain-specs may hold "/" themselves ("a:foo:bar/baz.example.com").
 */
static int split_dual_cidr(struct parser *p, size_t b, size_t *e, struct zs_spf_term *t)
{
	const char *s = p->text;
	size_t d = digits_start(s, b, *e);
	int ret;

	if (d == *e || d == b || s[d - 1] != '/') {
		return 0;
	}
	if (d - 1 > b && s[d - 2] == '/') {
		ret = parse_prefix(p, d, *e, 128, &t->cidr6);
		if (ret != 0) {
			return ret;
		}
		*e = d - 2;
		d = digits_start(s, b, *e);
		if (d == *e || d == b || s[d - 1] != '/') {
			return 0;
		}
	}
	ret = parse_prefix(p, d, *e, 32, &t->cidr4);
	if (ret != 0) {
		return ret;
	}
	*e = d - 1;
	return 0;
}

/* ip4-network = qnum "." qnum "." qnum "." qnum, no leading zeros */
static int parse_ip4(struct parser *p, size_t b, size_t e, uint8_t *out)
{
	size_t i = b;

	for (int part = 0; part < 4; part++) {
		size_t start = i;
		unsigned v = 0;
		while (i < e && is_digit(p->text[i]) && i - start < 3) {
			v = v * 10 + (unsigned)(p->text[i] - '0');
			i++;
		}
		if (i == start || v > 255 || (p->text[start] == '0' && i - start > 1)) {
			return syntax(p, start, "invalid IPv4 address");
		}
		out[part] = (uint8_t)v;
		if (part < 3) {
			if (i >= e || p->text[i] != '.') {
				return syntax(p, i, "invalid IPv4 address");
			}
			i++;
		}
	}
	if (i != e) {
		return syntax(p, i, "invalid IPv4 address");
	}
	return 0;
}

static int parse_ip6(struct parser *p, size_t b, size_t e, uint8_t *out)
{
	char buf[64];

	if (e - b == 0 || e - b >= sizeof(buf)) {
		return syntax(p, b, "invalid IPv6 address");
	}
	for (size_t i = b; i < e; i++) {
		char c = p->text[i];
		if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') &&
		    c != ':' && c != '.') {
			return syntax(p, i, "invalid IPv6 address");
		}
	}
	memcpy(buf, p->text + b, e - b);
	buf[e - b] = '\0';
	if (inet_pton(AF_INET6, buf, out) != 1) {
		return syntax(p, b, "invalid IPv6 address");
	}
	return 0;
}

/* ip4 / ip6: ":" network [ "/" prefix ] */
static int parse_ip_args(struct parser *p, size_t b, size_t e, struct zs_spf_term *t)
{
	const char *s = p->text;
	bool v4 = t->kind == ZS_SPF_IP4;
	int ret;

	if (b == e || s[b] != ':') {
		return syntax(p, b, v4 ? "ip4 needs :address" : "ip6 needs :address");
	}
	b++;
	const char *slash = memchr(s + b, '/', e - b);
	size_t ae = slash != NULL ? (size_t)(slash - s) : e;
	ret = v4 ? parse_ip4(p, b, ae, t->addr) : parse_ip6(p, b, ae, t->addr);
	if (ret != 0 || slash == NULL) {
		return ret;
	}
	return parse_prefix(p, ae + 1, e, v4 ? 32 : 128, v4 ? &t->cidr4 : &t->cidr6);
}

static const char *spec_copy(struct parser *p, size_t b, size_t e, struct zs_spf_term *t)
{
	const char *spec = zs_arena_strndup(p->a, p->text + b, e - b);
	t->macro = strstr(spec, "%{") != NULL;
	return spec;
}

/* A domain-spec argument in [b, e): checked, then kept in the term. */
static int parse_spec(struct parser *p, size_t b, size_t e, struct zs_spf_term *t)
{
	int ret = check_domain_spec(p, b, e);
	if (ret == 0) {
		t->spec = spec_copy(p, b, e, t);
	}
	return ret;
}

static int parse_mechanism_args(struct parser *p, size_t b, size_t e, struct zs_spf_term *t)
{
	const char *s = p->text;
	int ret;

	switch (t->kind) {
	case ZS_SPF_ALL:
		if (b != e) {
			return syntax(p, b, "all takes no argument");
		}
		return 0;
	case ZS_SPF_INCLUDE:
	case ZS_SPF_EXISTS:
		if (b == e || s[b] != ':') {
			return syntax(p, b, "mechanism needs :domain-spec");
		}
		return parse_spec(p, b + 1, e, t);
	case ZS_SPF_A:
	case ZS_SPF_MX:
		ret = split_dual_cidr(p, b, &e, t);
		if (ret != 0) {
			return ret;
		}
		/* what is left is [":" domain-spec], as for ptr */
		__attribute__((fallthrough));
	case ZS_SPF_PTR:
		if (b == e) {
			return 0;
		}
		if (s[b] != ':') {
			return syntax(p, b, "unexpected text after mechanism");
		}
		return parse_spec(p, b + 1, e, t);
	case ZS_SPF_IP4:
	case ZS_SPF_IP6:
		return parse_ip_args(p, b, e, t);
	default:
		return syntax(p, b, "unknown mechanism");
	}
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ); returns the end of the name */
static size_t scan_modifier_name(const char *s, size_t b, size_t e)
{
	if (b == e || !is_alpha(s[b])) {
		return b;
	}
	size_t i = b + 1;
	while (i < e && (is_alnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.')) {
		i++;
	}
	return i;
}

static int parse_modifier(struct parser *p, struct zs_spf_record *rec, size_t b, size_t ne,
                          size_t e, struct zs_spf_term *t)
{
	const char *s = p->text;
	size_t n = ne - b;
	int ret;

	if (n == 8 && strncasecmp(s + b, "redirect", 8) == 0) {
		t->kind = ZS_SPF_REDIRECT;
		if (rec->redirect != NULL) {
			return syntax(p, b, "redirect= appears twice");
		}
	} else if (n == 3 && strncasecmp(s + b, "exp", 3) == 0) {
		t->kind = ZS_SPF_EXP;
		if (rec->exp != NULL) {
			return syntax(p, b, "exp= appears twice");
		}
	} else {
		struct zs_spf_syntax serr;
		t->kind = ZS_SPF_UNKNOWN;
		t->name = zs_arena_strndup(p->a, s + b, n);
		if (zs_spf_macro_check(s + ne + 1, e - ne - 1, ZS_SPF_MACRO_UNKNOWN, &serr) != 0) {
			return syntax(p, ne + 1 + serr.pos, serr.msg);
		}
		t->spec = spec_copy(p, ne + 1, e, t);
		return 0;
	}
	ret = parse_spec(p, ne + 1, e, t);
	if (ret != 0) {
		return ret;
	}
	if (t->kind == ZS_SPF_REDIRECT) {
		rec->redirect = t;
	} else {
		rec->exp = t;
	}
	return 0;
}

/* The next term of a record at or after *i (terms are separated by spaces only): [*b, *i). */
static bool next_term(const char *s, size_t len, size_t *i, size_t *b)
{
	while (*i < len && s[*i] == ' ') {
		(*i)++;
	}
	*b = *i;
	while (*i < len && s[*i] != ' ') {
		(*i)++;
	}
	return *i > *b;
}

/*
 * The qualifier and mechanism of the term [b, e) (not a modifier): the mechanism's kind, or -1
 * when its name is none of RFC 7208's. Its arguments are not read.
 * @param[out] qualifier  '+' when none is written
 * @param[out] name, name_end  where the name starts and ends (equal when there is none)
 */
static int mechanism_of(const char *s, size_t b, size_t e, char *qualifier, size_t *name,
                        size_t *name_end)
{
	size_t i = b;
	*qualifier = '+';
	if (i < e && (s[i] == '+' || s[i] == '-' || s[i] == '~' || s[i] == '?')) {
		*qualifier = s[i];
		i++;
	}
	*name = i;
	while (i < e && is_alnum(s[i])) {
		i++;
	}
	*name_end = i;
	for (size_t m = 0; m < sizeof(mechanisms) / sizeof(mechanisms[0]); m++) {
		size_t n = strlen(mechanisms[m].name);
		if (i - *name == n && strncasecmp(s + *name, mechanisms[m].name, n) == 0) {
			return (int)mechanisms[m].kind;
		}
	}
	return -1;
}

bool zs_spf_lists_senders(const char *text, size_t len)
{
	if (!zs_spf_is_record(text, len)) {
		return false;
	}
	size_t b;
	for (size_t i = 6; next_term(text, len, &i, &b);) {
		size_t ne = scan_modifier_name(text, b, i);
		if (ne > b && ne < i && text[ne] == '=') {
			if (ne - b == 8 && strncasecmp(text + b, "redirect", 8) == 0) {
				return true; /* the senders of another record */
			}
			continue;
		}
		char q;
		size_t name;
		size_t name_end;
		if (mechanism_of(text, b, i, &q, &name, &name_end) >= 0 && q == '+') {
			return true;
		}
	}
	return false;
}

static int parse_term(struct parser *p, struct zs_spf_record *rec, size_t b, size_t e,
                      struct zs_spf_term *t)
{
	const char *s = p->text;

	t->pos = (uint32_t)b;
	t->len = (uint32_t)(e - b);
	t->cidr4 = 32;
	t->cidr6 = 128;
	for (size_t i = b; i < e; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e) {
			return syntax(p, i, c >= 0x80 ? "non-ASCII byte" : "control character");
		}
	}
	size_t ne = scan_modifier_name(s, b, e);
	if (ne > b && ne < e && s[ne] == '=') {
		return parse_modifier(p, rec, b, ne, e, t);
	}

	size_t name;
	size_t i;
	int kind = mechanism_of(s, b, e, &t->qualifier, &name, &i);
	if (i == name) {
		return syntax(p, name, "expected a mechanism or modifier");
	}
	if (kind < 0) {
		return syntax(p, name, "unknown mechanism");
	}
	t->kind = (enum zs_spf_kind)kind;
	int ret = parse_mechanism_args(p, i, e, t);
	if (ret == 0 && t->kind == ZS_SPF_ALL && rec->all == NULL) {
		rec->all = t;
	}
	return ret;
}

int zs_spf_record_parse(struct zs_arena *a, const char *text, size_t len,
                        struct zs_spf_record **out, struct zs_spf_syntax *err)
{
	if (len > ZS_SPF_RECORD_MAX) {
		return ZS_ERR_TOOBIG;
	}
	if (!zs_spf_is_record(text, len)) {
		return ZS_ERR_NOTFOUND;
	}
	struct parser p = { .a = a, .text = zs_arena_strndup(a, text, len), .err = err };
	const char *s = p.text;

	size_t count = 0;
	size_t b;
	for (size_t i = 6; next_term(s, len, &i, &b);) {
		count++;
	}
	struct zs_spf_term *terms = zs_arena_calloc(a, count > 0 ? count : 1, sizeof(*terms));
	struct zs_spf_record *rec = zs_arena_calloc(a, 1, sizeof(*rec));
	size_t n = 0;
	for (size_t i = 6; next_term(s, len, &i, &b);) {
		int ret = parse_term(&p, rec, b, i, &terms[n]);
		if (ret != 0) {
			return ret;
		}
		if (zs_spf_kind_queries_dns(terms[n].kind)) {
			rec->dns_terms++;
		}
		n++;
	}
	rec->text = s;
	rec->len = len;
	rec->count = n;
	rec->terms = terms;
	*out = rec;
	return 0;
}

int zs_spf_ip_parse(const char *text, struct zs_spf_ip *out)
{
	struct zs_spf_ip ip = { 0 };
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, text, ip.addr) == 1) {
		ip.family = 4;
	} else if (inet_pton(AF_INET6, text, ip.addr) == 1) {
		ip.family = 6;
		if (memcmp(ip.addr, mapped, sizeof(mapped)) == 0) {
			memmove(ip.addr, ip.addr + 12, 4);
			memset(ip.addr + 4, 0, 12);
			ip.family = 4;
		}
	} else {
		return ZS_ERR_PARSE;
	}
	*out = ip;
	return 0;
}

const char *zs_spf_result_name(enum zs_spf_result r)
{
	static const char *const names[] = { "none",     "neutral",   "pass",      "fail",
		                             "softfail", "temperror", "permerror", "valid" };
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "invalid";
}

const char *zs_spf_kind_name(enum zs_spf_kind k)
{
	switch (k) {
	case ZS_SPF_REDIRECT:
		return "redirect";
	case ZS_SPF_EXP:
		return "exp";
	case ZS_SPF_UNKNOWN:
		return "unknown";
	default:
		for (size_t m = 0; m < sizeof(mechanisms) / sizeof(mechanisms[0]); m++) {
			if (mechanisms[m].kind == k) {
				return mechanisms[m].name;
			}
		}
		return "invalid";
	}
}

bool zs_spf_kind_queries_dns(enum zs_spf_kind k)
{
	return k == ZS_SPF_INCLUDE || k == ZS_SPF_A || k == ZS_SPF_MX || k == ZS_SPF_PTR ||
	       k == ZS_SPF_EXISTS || k == ZS_SPF_REDIRECT;
}

bool zs__spf_ip_in(const struct zs_spf_ip *ip, const uint8_t *net, unsigned prefix)
{
	unsigned bytes = prefix / 8;
	unsigned bits = prefix % 8;

	if (memcmp(ip->addr, net, bytes) != 0) {
		return false;
	}
	if (bits == 0) {
		return true;
	}
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (ip->addr[bytes] & mask) == (net[bytes] & mask);
}
