/* SPDX-License-Identifier: MIT */
/*
 * The ruleset parser. The format is deliberately plain so that a secretariat can read, review
 * and diff it: one statement per line, "#" comments, a header, then "rule ID" blocks and
 * "attest ID TEXT" items. Every error names file:line and the parser goes on, so one run over
 * a file reports all its mistakes (up to a bound).
 */
#include "scanner/policy/ruleset.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scanner/base/err.h"
#include "scanner/policy/builtin_policies.h"

enum { MAX_ERRORS = 20, MAX_LINE = 4096, MAX_RULES = 500 };

static const char *const check_names[ZS_CHECK_COUNT_] = {
	[ZS_CHECK_SPF_VALID] = "spf-valid",
	[ZS_CHECK_SPF_ALL] = "spf-all",
	[ZS_CHECK_SPF_NO_PTR] = "spf-no-ptr",
	[ZS_CHECK_DKIM_RSA] = "dkim-rsa",
	[ZS_CHECK_DKIM_WILDCARD_REVOKED] = "dkim-wildcard-revoked",
	[ZS_CHECK_DMARC_VALID] = "dmarc-valid",
	[ZS_CHECK_DMARC_ALIGNMENT] = "dmarc-alignment",
	[ZS_CHECK_DMARC_SP] = "dmarc-sp",
	[ZS_CHECK_DMARC_RUA] = "dmarc-rua",
	[ZS_CHECK_DMARC_TAGS] = "dmarc-tags",
	[ZS_CHECK_RDNS] = "rdns",
	[ZS_CHECK_MX_SANE] = "mx-sane",
	[ZS_CHECK_MTA_STS] = "mta-sts",
	[ZS_CHECK_TLS_RPT] = "tls-rpt",
	[ZS_CHECK_DNSSEC] = "dnssec",
};

/* The parameters each check accepts. */
static const char *const check_params[ZS_CHECK_COUNT_] = {
	[ZS_CHECK_SPF_VALID] = "authorizes forbid-all exact",
	[ZS_CHECK_SPF_ALL] = "want",
	[ZS_CHECK_DKIM_RSA] = "min-bits allow-ed25519",
	[ZS_CHECK_DMARC_VALID] = "p pct",
	[ZS_CHECK_DMARC_ALIGNMENT] = "adkim aspf",
	[ZS_CHECK_RDNS] = "mismatch",
};

static const char *const applies_names[] = {
	[ZS_APPLIES_ALL] = "all",
	[ZS_APPLIES_MAIL] = "mail",
	[ZS_APPLIES_NON_MAIL] = "non-mail",
	[ZS_APPLIES_DMARC_VALID] = "dmarc-valid",
	[ZS_APPLIES_SPF_VALID] = "spf-valid",
};

static const char *const verdict_names[] = {
	[ZS_VERDICT_PASS] = "pass", [ZS_VERDICT_FAIL] = "fail",   [ZS_VERDICT_WARN] = "warn",
	[ZS_VERDICT_NA] = "na",     [ZS_VERDICT_ERROR] = "error",
};

static const char *const status_names[] = {
	[ZS_STATUS_COMPLIANT] = "compliant",
	[ZS_STATUS_NON_COMPLIANT] = "non-compliant",
	[ZS_STATUS_INDETERMINATE] = "indeterminate",
};

const char *zs_verdict_name(enum zs_verdict v)
{
	return verdict_names[v];
}

const char *zs_domain_status_name(enum zs_domain_status s)
{
	return status_names[s];
}

const char *zs_check_name(enum zs_check c)
{
	return check_names[c];
}

const char *zs_applies_name(enum zs_applies a)
{
	return applies_names[a];
}

struct parser {
	struct zs_policy *p;
	const char *origin;
	unsigned line;
	unsigned errors;
	struct zs_buf *errs;
	struct zs_rule *rule; /* the rule being read */
	size_t rule_cap;
	size_t attest_cap;
	bool seen_check;
	bool seen_applies;
	bool seen_severity;
	size_t fix_indent; /* white space before the text of the current line's value */
	size_t fix_min;    /* the smallest fix_indent of the rule's fix lines */
};

static void perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	ps->errors++;
	if (ps->errs == NULL || ps->errors > MAX_ERRORS) {
		return;
	}
	(void)zs_buf_printf(ps->errs, "%s:%u: ", ps->origin, ps->line);
	va_start(ap, fmt);
	(void)zs_buf_vprintf(ps->errs, fmt, ap);
	va_end(ap);
	(void)zs_buf_putc(ps->errs, '\n');
}

/* Split "key rest" into key and the trimmed rest; NUL-terminates in place. */
static char *split_word(char *s, char **rest)
{
	char *key = s;
	while (*s != '\0' && !isspace((unsigned char)*s)) {
		s++;
	}
	if (*s != '\0') {
		*s++ = '\0';
	}
	while (isspace((unsigned char)*s)) {
		s++;
	}
	*rest = s;
	return key;
}

/* Split one name=value parameter off; a value may be quoted ("v=spf1 -all"). NULL when a quote
 * is not closed. */
static char *split_param(char *s, char **rest)
{
	char *start = s;
	char *eq = NULL;

	while (*s != '\0' && !isspace((unsigned char)*s) && *s != '"') {
		if (*s == '=' && eq == NULL) {
			eq = s;
		}
		s++;
	}
	if (*s == '"' && eq != NULL && s == eq + 1) {
		char *close = strchr(s + 1, '"');
		if (close == NULL) {
			return NULL;
		}
		memmove(s, s + 1, (size_t)(close - s - 1));
		close[-1] = '\0';
		s = close + 1;
	} else if (*s == '"') {
		return NULL;
	} else if (*s != '\0') {
		*s++ = '\0';
	}
	while (isspace((unsigned char)*s)) {
		s++;
	}
	*rest = s;
	return start;
}

static bool valid_id(const char *id)
{
	if (*id == '\0') {
		return false;
	}
	for (const char *c = id; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.') {
			return false;
		}
	}
	return true;
}

static int parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
		*out = true;
	} else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0) {
		*out = false;
	} else {
		return ZS_ERR_PARSE;
	}
	return 0;
}

/* A list of SPF qualifiers such as "+,?" into a string of them. */
static int parse_qualifiers(const char *v, char out[5])
{
	size_t n = 0;
	for (const char *c = v; *c != '\0'; c++) {
		if (*c == ',') {
			continue;
		}
		if (strchr("+-~?", *c) == NULL || n == 4 || memchr(out, *c, n) != NULL) {
			return ZS_ERR_PARSE;
		}
		out[n++] = *c;
	}
	out[n] = '\0';
	return n > 0 ? 0 : ZS_ERR_PARSE;
}

static int parse_policies(const char *v, unsigned *out)
{
	static const char *const names[] = { "none", "quarantine", "reject" };
	char copy[64];
	unsigned mask = 0;

	if (strlen(v) >= sizeof(copy)) {
		return ZS_ERR_PARSE;
	}
	memcpy(copy, v, strlen(v) + 1);
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned bit = 0;
		while (bit < 3 && strcmp(tok, names[bit]) != 0) {
			bit++;
		}
		if (bit == 3) {
			return ZS_ERR_PARSE;
		}
		mask |= 1u << bit;
	}
	*out = mask;
	return mask != 0 ? 0 : ZS_ERR_PARSE;
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n > max) {
		return ZS_ERR_PARSE;
	}
	*out = (unsigned)n;
	return 0;
}

static void default_params(enum zs_check check, struct zs_check_params *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->authorizes = -1;
	cp->policies = 7;
	cp->min_pct = 0;
	cp->mismatch = ZS_VERDICT_WARN;
	cp->strict_adkim = true;
	cp->strict_aspf = true;
	if (check == ZS_CHECK_DKIM_RSA) {
		cp->min_bits = 1024;
	}
	if (check == ZS_CHECK_SPF_ALL) {
		memcpy(cp->want_all, "-", 2);
	}
}

/* One "name=value" parameter of the rule's check. */
static void parse_param(struct parser *ps, enum zs_check check, char *kv)
{
	struct zs_check_params *cp = &ps->rule->params;
	char *eq = strchr(kv, '=');
	const char *name = kv;
	const char *v;
	int ret = 0;
	bool b = false;
	unsigned n = 0;

	if (eq == NULL) {
		perr(ps, "check parameter '%s' is not name=value", kv);
		return;
	}
	*eq = '\0';
	v = eq + 1;
	const char *allowed = check_params[check] != NULL ? check_params[check] : "";
	size_t nl = strlen(name);
	const char *hit = strstr(allowed, name);
	if (nl == 0 || hit == NULL || (hit != allowed && hit[-1] != ' ') ||
	    (hit[nl] != ' ' && hit[nl] != '\0')) {
		perr(ps, "check %s has no parameter '%s'%s%s", check_names[check], name,
		     allowed[0] != '\0' ? " (it takes: " : "", allowed[0] != '\0' ? allowed : "");
		if (allowed[0] != '\0' && ps->errs != NULL && ps->errors <= MAX_ERRORS) {
			/* close the parenthesis of the message just written */
			ps->errs->len--;
			(void)zs_buf_puts(ps->errs, ")\n");
		}
		return;
	}
	if (strcmp(name, "authorizes") == 0) {
		if (strcmp(v, "any") == 0) {
			cp->authorizes = -1;
		} else if ((ret = parse_bool(v, &b)) == 0) {
			cp->authorizes = b ? 1 : 0;
		}
	} else if (strcmp(name, "forbid-all") == 0) {
		ret = parse_qualifiers(v, cp->forbid_all);
	} else if (strcmp(name, "want") == 0) {
		ret = parse_qualifiers(v, cp->want_all);
	} else if (strcmp(name, "exact") == 0) {
		cp->exact = zs_arena_strdup(&ps->p->arena, v);
		ret = strncmp(v, "v=spf1", 6) == 0 ? 0 : ZS_ERR_PARSE;
	} else if (strcmp(name, "min-bits") == 0) {
		ret = parse_uint(v, 16384, &n);
		cp->min_bits = n;
	} else if (strcmp(name, "allow-ed25519") == 0) {
		ret = parse_bool(v, &cp->allow_ed25519);
	} else if (strcmp(name, "p") == 0) {
		ret = parse_policies(v, &cp->policies);
	} else if (strcmp(name, "pct") == 0) {
		ret = parse_uint(v, 100, &n);
		cp->min_pct = (int)n;
	} else if (strcmp(name, "adkim") == 0 || strcmp(name, "aspf") == 0) {
		bool strict = strcmp(v, "s") == 0;
		if (!strict && strcmp(v, "r") != 0 && strcmp(v, "any") != 0) {
			ret = ZS_ERR_PARSE;
		}
		*(name[1] == 'd' ? &cp->strict_adkim : &cp->strict_aspf) = strict;
	} else if (strcmp(name, "mismatch") == 0) {
		if (strcmp(v, "pass") == 0) {
			cp->mismatch = ZS_VERDICT_PASS;
		} else if (strcmp(v, "warn") == 0) {
			cp->mismatch = ZS_VERDICT_WARN;
		} else if (strcmp(v, "fail") == 0) {
			cp->mismatch = ZS_VERDICT_FAIL;
		} else {
			ret = ZS_ERR_PARSE;
		}
	}
	if (ret != 0) {
		perr(ps, "check %s: invalid value '%s' for %s", check_names[check], v, name);
	}
}

static void parse_check(struct parser *ps, char *rest)
{
	char *args;
	char *name = split_word(rest, &args);
	int c = 0;

	while (c < ZS_CHECK_COUNT_ && strcmp(check_names[c], name) != 0) {
		c++;
	}
	if (c == ZS_CHECK_COUNT_) {
		perr(ps, "unknown check '%s'", name);
		return;
	}
	ps->rule->check = (enum zs_check)c;
	default_params(ps->rule->check, &ps->rule->params);
	while (*args != '\0') {
		char *next;
		char *kv = split_param(args, &next);
		if (kv == NULL) {
			perr(ps, "unterminated quote in check parameters");
			break;
		}
		parse_param(ps, ps->rule->check, kv);
		args = next;
	}
	ps->seen_check = true;
}

/* Remove @p n leading spaces from every line of @p text. */
static const char *dedent(struct zs_arena *a, const char *text, size_t n)
{
	char *out = zs_arena_alloc(a, strlen(text) + 1);
	char *o = out;
	bool line_start = true;
	size_t skipped = 0;

	for (const char *c = text; *c != '\0'; c++) {
		if (line_start && *c == ' ' && skipped < n) {
			skipped++;
			continue;
		}
		line_start = *c == '\n';
		skipped = 0;
		*o++ = *c;
	}
	*o = '\0';
	return out;
}

static void end_rule(struct parser *ps)
{
	if (ps->rule == NULL) {
		return;
	}
	unsigned saved = ps->line;
	ps->line = ps->rule->line;
	if (!ps->seen_check) {
		perr(ps, "rule %s has no check", ps->rule->id);
	}
	if (!ps->seen_applies) {
		perr(ps, "rule %s has no applies line", ps->rule->id);
	}
	if (!ps->seen_severity) {
		perr(ps, "rule %s has no severity", ps->rule->id);
	}
	if (ps->rule->title == NULL) {
		ps->rule->title = ps->rule->id;
	}
	if (ps->rule->fix != NULL) {
		ps->rule->fix = dedent(&ps->p->arena, ps->rule->fix, ps->fix_min);
	}
	ps->fix_min = 0;
	ps->line = saved;
	ps->rule = NULL;
}

static void begin_rule(struct parser *ps, const char *id)
{
	struct zs_policy *p = ps->p;

	end_rule(ps);
	if (!valid_id(id)) {
		perr(ps, "rule id '%s' must be letters, digits, '-', '_' or '.'", id);
	}
	for (size_t i = 0; i < p->rule_count; i++) {
		if (strcasecmp(p->rules[i].id, id) == 0) {
			perr(ps, "rule %s defined twice (first at line %u)", id, p->rules[i].line);
		}
	}
	if (p->rule_count == MAX_RULES) {
		perr(ps, "more than %d rules", MAX_RULES);
		return;
	}
	if (p->rule_count == ps->rule_cap) {
		ps->rule_cap = ps->rule_cap == 0 ? 16 : ps->rule_cap * 2;
		struct zs_rule *r = zs_arena_calloc(&p->arena, ps->rule_cap, sizeof(*r));
		if (p->rule_count > 0) {
			memcpy(r, p->rules, p->rule_count * sizeof(*r));
		}
		p->rules = r;
	}
	ps->rule = &p->rules[p->rule_count++];
	memset(ps->rule, 0, sizeof(*ps->rule));
	ps->rule->id = zs_arena_strdup(&p->arena, id);
	ps->rule->file = ps->origin;
	ps->rule->line = ps->line;
	ps->seen_check = ps->seen_applies = ps->seen_severity = false;
}

static void add_attest(struct parser *ps, char *rest)
{
	struct zs_policy *p = ps->p;
	char *text;
	char *id = split_word(rest, &text);

	end_rule(ps);
	if (!valid_id(id) || *text == '\0') {
		perr(ps, "attest needs an id and a text");
		return;
	}
	if (p->attest_count == ps->attest_cap) {
		ps->attest_cap = ps->attest_cap == 0 ? 8 : ps->attest_cap * 2;
		struct zs_attest_item *a = zs_arena_calloc(&p->arena, ps->attest_cap, sizeof(*a));
		if (p->attest_count > 0) {
			memcpy(a, p->attest, p->attest_count * sizeof(*a));
		}
		p->attest = a;
	}
	p->attest[p->attest_count].id = zs_arena_strdup(&p->arena, id);
	p->attest[p->attest_count].text = zs_arena_strdup(&p->arena, text);
	p->attest_count++;
}

static void rule_line(struct parser *ps, const char *key, char *rest)
{
	struct zs_rule *r = ps->rule;
	struct zs_policy *p = ps->p;

	if (strcmp(key, "title") == 0) {
		r->title = zs_arena_strdup(&p->arena, rest);
	} else if (strcmp(key, "applies") == 0) {
		size_t a = 0;
		while (a < sizeof(applies_names) / sizeof(applies_names[0]) &&
		       strcmp(applies_names[a], rest) != 0) {
			a++;
		}
		if (a == sizeof(applies_names) / sizeof(applies_names[0])) {
			perr(ps, "applies '%s': use all, mail, non-mail, dmarc-valid or spf-valid",
			     rest);
			return;
		}
		r->applies = (enum zs_applies)a;
		ps->seen_applies = true;
	} else if (strcmp(key, "check") == 0) {
		parse_check(ps, rest);
	} else if (strcmp(key, "severity") == 0) {
		if (strcmp(rest, "fail") != 0 && strcmp(rest, "warn") != 0) {
			perr(ps, "severity '%s': use fail or warn", rest);
			return;
		}
		r->warn_only = strcmp(rest, "warn") == 0;
		ps->seen_severity = true;
	} else if (strcmp(key, "fix") == 0) {
		/* lines are kept with their indentation; end_rule() removes what all share */
		int ind = (int)ps->fix_indent;
		r->fix = r->fix == NULL
		                 ? zs_arena_printf(&p->arena, "%*s%s", ind, "", rest)
		                 : zs_arena_printf(&p->arena, "%s\n%*s%s", r->fix, ind, "", rest);
		if (ps->fix_min == 0 || ps->fix_indent < ps->fix_min) {
			ps->fix_min = ps->fix_indent;
		}
	} else {
		perr(ps, "unknown rule key '%s' (title, applies, check, severity, fix)", key);
	}
}

static void header_line(struct parser *ps, const char *key, char *rest)
{
	struct zs_policy *p = ps->p;
	const char **slot = NULL;

	if (strcmp(key, "policy") == 0) {
		slot = &p->name;
	} else if (strcmp(key, "version") == 0) {
		slot = &p->version;
	} else if (strcmp(key, "title") == 0) {
		slot = &p->title;
	} else if (strcmp(key, "source") == 0) {
		slot = &p->source;
	} else if (strcmp(key, "mail-domain") == 0) {
		if (strcmp(rest, "mx") == 0) {
			p->mail_def = ZS_MAIL_DEF_MX;
		} else if (strcmp(rest, "mx-or-spf") == 0) {
			p->mail_def = ZS_MAIL_DEF_MX_OR_SPF;
		} else {
			perr(ps, "mail-domain '%s': use mx or mx-or-spf", rest);
		}
		return;
	} else {
		perr(ps,
		     "unknown key '%s' (policy, version, title, source, mail-domain, rule, "
		     "attest)",
		     key);
		return;
	}
	if (*slot != NULL) {
		perr(ps, "%s given twice", key);
	}
	if (*rest == '\0') {
		perr(ps, "%s needs a value", key);
	}
	*slot = zs_arena_strdup(&p->arena, rest);
}

static void parse_line(struct parser *ps, char *s)
{
	char *rest;

	/* comments: "#" at the start or after white space */
	for (char *c = s; *c != '\0'; c++) {
		if (*c == '#' && (c == s || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			break;
		}
	}
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1])) {
		s[--n] = '\0';
	}
	while (isspace((unsigned char)*s)) {
		s++;
	}
	if (*s == '\0') {
		return;
	}
	char *key = split_word(s, &rest);
	/* how far the text of a fix line stands from its keyword: kept relative to the rule's
	 * other fix lines, so that a record to publish can be indented under its sentence */
	ps->fix_indent = (size_t)(rest - key) - strlen(key);
	if (strcmp(key, "rule") == 0) {
		begin_rule(ps, rest);
	} else if (strcmp(key, "attest") == 0) {
		add_attest(ps, rest);
	} else if (ps->rule != NULL) {
		if (*rest == '\0') {
			perr(ps, "%s needs a value", key);
			return;
		}
		rule_line(ps, key, rest);
	} else {
		header_line(ps, key, rest);
	}
}

int zs_policy_parse(const char *text, size_t len, const char *origin, struct zs_policy **out,
                    struct zs_buf *errs)
{
	struct zs_policy *p = zs_calloc(1, sizeof(*p));
	struct parser ps = { .p = p, .errs = errs };
	char line[MAX_LINE + 1];
	size_t i = 0;

	zs_arena_init(&p->arena);
	ps.origin = p->path = zs_arena_strdup(&p->arena, origin);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - i;
		ps.line++;
		if (memchr(text + i, '\0', n) != NULL) {
			perr(&ps, "NUL byte in the line");
		} else if (n > MAX_LINE) {
			perr(&ps, "line longer than %d bytes", MAX_LINE);
		} else {
			memcpy(line, text + i, n);
			line[n] = '\0';
			parse_line(&ps, line);
		}
		i = end + 1;
	}
	end_rule(&ps);
	ps.line = 1;
	if (p->name == NULL) {
		perr(&ps, "no 'policy NAME' line");
	}
	if (p->version == NULL) {
		perr(&ps, "no 'version' line");
	}
	if (p->rule_count == 0) {
		perr(&ps, "no rules");
	}
	if (ps.errors > 0) {
		if (errs != NULL && ps.errors > MAX_ERRORS) {
			(void)zs_buf_printf(errs, "%s: %u more errors\n", origin,
			                    ps.errors - MAX_ERRORS);
		}
		zs_policy_free(p);
		return ZS_ERR_PARSE;
	}
	if (p->title == NULL) {
		p->title = p->name;
	}
	*out = p;
	return 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct zs_buf b;
	char chunk[8192];
	size_t n;
	int ret = 0;

	if (f == NULL) {
		return -errno;
	}
	zs_buf_init(&b, 4 * 1024 * 1024);
	while (ret == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		ret = zs_buf_append(&b, chunk, n);
	}
	if (ret == 0 && ferror(f)) {
		ret = -EIO;
	}
	fclose(f);
	if (ret != 0) {
		zs_buf_deinit(&b);
		return ret;
	}
	*len = b.len;
	*out = zs_buf_steal(&b);
	return 0;
}

int zs_policy_load(const char *name_or_path, struct zs_policy **out, struct zs_buf *errs)
{
	size_t n = strlen(name_or_path);
	bool is_file = strchr(name_or_path, '/') != NULL ||
	               (n > 7 && strcmp(name_or_path + n - 7, ".policy") == 0);

	if (!is_file) {
		char file[128];
		(void)snprintf(file, sizeof(file), "%s.policy", name_or_path);
		const struct zs_embedded_file *e = zs_builtin_file(file);
		if (e == NULL) {
			return ZS_ERR_NOTFOUND;
		}
		(void)snprintf(file, sizeof(file), "builtin:%s", name_or_path);
		return zs_policy_parse(e->text, e->len, file, out, errs);
	}
	char *text = NULL;
	size_t len = 0;
	int ret = read_file(name_or_path, &text, &len);
	if (ret != 0) {
		return ret;
	}
	ret = zs_policy_parse(text, len, name_or_path, out, errs);
	zs_free(text);
	return ret;
}

const struct zs_embedded_file *zs_builtin_file(const char *name)
{
	for (size_t i = 0; i < zs_builtin_policies_count; i++) {
		if (strcmp(zs_builtin_policies[i].name, name) == 0) {
			return &zs_builtin_policies[i];
		}
	}
	return NULL;
}

const char *const *zs_policy_builtin_names(void)
{
	static char names[16][64];
	static const char *list[17];
	size_t n = 0;
	for (size_t i = 0; i < zs_builtin_policies_count && n < 16; i++) {
		const char *name = zs_builtin_policies[i].name;
		size_t len = strlen(name);
		if (len > 7 && len < sizeof(names[0]) && strcmp(name + len - 7, ".policy") == 0) {
			memcpy(names[n], name, len - 7);
			names[n][len - 7] = '\0';
			list[n] = names[n];
			n++;
		}
	}
	list[n] = NULL;
	return list;
}

const char *zs_policy_default_for_tld(const char *tld)
{
	if (strcasecmp(tld, "post") == 0) {
		return "post";
	}
	if (strcasecmp(tld, "bank") == 0 || strcasecmp(tld, "insurance") == 0) {
		return "ftld";
	}
	return "baseline";
}

void zs_policy_free(struct zs_policy *p)
{
	if (p == NULL) {
		return;
	}
	zs_arena_deinit(&p->arena);
	zs_free(p);
}

static void print_params(const struct zs_rule *r, FILE *f)
{
	const struct zs_check_params *cp = &r->params;
	static const char *const pol[] = { "none", "quarantine", "reject" };

	switch (r->check) {
	case ZS_CHECK_SPF_VALID:
		if (cp->authorizes >= 0) {
			fprintf(f, " authorizes=%s", cp->authorizes ? "yes" : "no");
		}
		if (cp->forbid_all[0] != '\0') {
			fprintf(f, " forbid-all=%s", cp->forbid_all);
		}
		if (cp->exact != NULL) {
			fprintf(f, " exact=\"%s\"", cp->exact);
		}
		break;
	case ZS_CHECK_SPF_ALL:
		fprintf(f, " want=%s", cp->want_all);
		break;
	case ZS_CHECK_DKIM_RSA:
		fprintf(f, " min-bits=%u", cp->min_bits);
		if (cp->allow_ed25519) {
			fprintf(f, " allow-ed25519=yes");
		}
		break;
	case ZS_CHECK_DMARC_VALID: {
		const char *sep = " p=";
		for (int i = 0; i < 3; i++) {
			if (cp->policies & (1u << i)) {
				fprintf(f, "%s%s", sep, pol[i]);
				sep = ",";
			}
		}
		if (cp->min_pct > 0) {
			fprintf(f, " pct=%d", cp->min_pct);
		}
		break;
	}
	case ZS_CHECK_DMARC_ALIGNMENT:
		fprintf(f, " adkim=%s aspf=%s", cp->strict_adkim ? "s" : "any",
		        cp->strict_aspf ? "s" : "any");
		break;
	case ZS_CHECK_RDNS:
		fprintf(f, " mismatch=%s", verdict_names[cp->mismatch]);
		break;
	default:
		break;
	}
}

void zs_policy_print(const struct zs_policy *p, FILE *f)
{
	fprintf(f, "# %s\npolicy %s\nversion %s\ntitle %s\n", p->path, p->name, p->version,
	        p->title);
	if (p->source != NULL) {
		fprintf(f, "source %s\n", p->source);
	}
	fprintf(f, "mail-domain %s\n", p->mail_def == ZS_MAIL_DEF_MX ? "mx" : "mx-or-spf");
	for (size_t i = 0; i < p->rule_count; i++) {
		const struct zs_rule *r = &p->rules[i];
		fprintf(f, "\nrule %s\n\ttitle %s\n\tapplies %s\n\tcheck %s", r->id, r->title,
		        applies_names[r->applies], check_names[r->check]);
		print_params(r, f);
		fprintf(f, "\n\tseverity %s\n", r->warn_only ? "warn" : "fail");
		for (const char *s = r->fix; s != NULL && *s != '\0';) {
			const char *nl = strchr(s, '\n');
			int n = nl != NULL ? (int)(nl - s) : (int)strlen(s);
			fprintf(f, "\tfix      %.*s\n", n, s);
			s = nl != NULL ? nl + 1 : NULL;
		}
	}
	if (p->attest_count > 0) {
		fprintf(f, "\n");
	}
	for (size_t i = 0; i < p->attest_count; i++) {
		fprintf(f, "attest %s %s\n", p->attest[i].id, p->attest[i].text);
	}
}
