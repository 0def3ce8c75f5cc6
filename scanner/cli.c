/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the subcommands. */
#include "scanner/cli.h"

#include <errno.h>
#include <idn2.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/hostname.h"
#include "scanner/base/log.h"
#include "scanner/policy/builtin_policies.h"
#include "scanner/policy/dkim.h"
#include "scanner/policy/dkim_provider.h"
#include "scanner/policy/ruleset.h"

int zs_cli_uint(const char *name, const char *text, unsigned min, unsigned max, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
		zs_log_error(ZS_LOG_MAIN, "--%s: '%s' is not a number from %u to %u", name, text,
		             min, max);
		return ZS_ERR_USAGE;
	}
	*out = (unsigned)v;
	return 0;
}

int zs_cli_double(const char *name, const char *text, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(v >= 0)) {
		zs_log_error(ZS_LOG_MAIN, "--%s: '%s' is not a non-negative number", name, text);
		return ZS_ERR_USAGE;
	}
	*out = v;
	return 0;
}

int zs_cli_add_resolver(struct zs_resolver_opts *opts, const char *text)
{
	if (opts->server_count == ZS_RESOLVER_MAX_SERVERS) {
		zs_log_error(ZS_LOG_MAIN, "--resolver: at most %d resolvers",
		             ZS_RESOLVER_MAX_SERVERS);
		return ZS_ERR_USAGE;
	}
	if (zs_resolver_parse_addr(text, &opts->servers[opts->server_count]) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--resolver: '%s' is not ADDR[:PORT] or [ADDR6]:PORT",
		             text);
		return ZS_ERR_USAGE;
	}
	opts->server_count++;
	return 0;
}

int zs_cli_default_resolver(struct zs_resolver_opts *opts)
{
	if (opts->server_count > 0) {
		return 0;
	}
	int ret = zs_resolver_from_resolv_conf("/etc/resolv.conf", &opts->servers[0]);
	if (ret != 0) {
		zs_log_error(ZS_LOG_MAIN,
		             "/etc/resolv.conf: no usable nameserver (%s); give --resolver ADDR",
		             zs_err_str(ret));
		return ZS_ERR_USAGE;
	}
	opts->server_count = 1;
	return 0;
}

char *zs_cli_domain(const char *arg)
{
	char *ascii = NULL;
	const char *name = arg;
	for (const char *c = arg; *c != '\0'; c++) {
		if ((unsigned char)*c >= 0x80) {
			int rc = idn2_to_ascii_8z(arg, &ascii,
			                          IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
			if (rc != IDN2_OK) {
				zs_log_error(ZS_LOG_MAIN,
				             "%s: not a domain name (%s); give its xn-- form", arg,
				             idn2_strerror(rc));
				return NULL;
			}
			name = ascii;
			break;
		}
	}
	size_t n = strlen(name);
	char *out = NULL;
	if (zs_host_name_valid(name, n) && memchr(name, '.', n - (name[n - 1] == '.')) != NULL) {
		out = zs_strndup(name, n - (name[n - 1] == '.'));
		for (char *c = out; *c != '\0'; c++) {
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + ('a' - 'A') : *c);
		}
	} else {
		zs_log_error(
		        ZS_LOG_MAIN,
		        "%s: not a domain name (labels of 1 to 63 letters, digits and hyphens, "
		        "at least two, 253 bytes at most)",
		        arg);
	}
	idn2_free(ascii);
	return out;
}

int zs_cli_dns_option(int c, const char *arg, struct zs_resolver_opts *o, int *bad)
{
	switch (c) {
	case ZS_CLI_OPT_RESOLVER:
		*bad |= zs_cli_add_resolver(o, arg) != 0;
		return 1;
	case ZS_CLI_OPT_TIMEOUT:
		*bad |= zs_cli_uint("timeout", arg, 10, 120000, &o->timeout_ms) != 0;
		return 1;
	case ZS_CLI_OPT_TRIES:
		*bad |= zs_cli_uint("tries", arg, 1, 20, &o->tries) != 0;
		return 1;
	case ZS_CLI_OPT_MAX_INFLIGHT:
		*bad |= zs_cli_uint("max-inflight", arg, 1, 65536, &o->max_inflight) != 0;
		return 1;
	case ZS_CLI_OPT_QPS:
		*bad |= zs_cli_double("qps", arg, &o->qps) != 0;
		return 1;
	case ZS_CLI_OPT_VALIDATES:
		o->validating = true;
		return 1;
	default:
		return 0;
	}
}

void zs_cli_usage_hint(const char *cmd)
{
	fprintf(stderr, "zonesweep %s: try 'zonesweep %s --help'\n", cmd, cmd);
}

int zs_cli_load_policy(const char *name, const char *tld, struct zs_policy **out)
{
	struct zs_buf errs;
	const char *which = name != NULL ? name : zs_policy_default_for_tld(tld != NULL ? tld : "");
	int ret;

	zs_buf_init(&errs, 1 << 20);
	ret = zs_policy_load(which, out, &errs);
	if (ret == ZS_ERR_PARSE) {
		fprintf(stderr, "%s", zs_buf_cstr(&errs));
		zs_log_error(ZS_LOG_POLICY, "%s: invalid ruleset", which);
	} else if (ret == ZS_ERR_NOTFOUND) {
		zs_log_error(ZS_LOG_POLICY,
		             "--policy %s: no such built-in policy (post, ftld, "
		             "baseline) and not a file name",
		             which);
	} else if (ret != 0) {
		zs_log_error(ZS_LOG_POLICY, "%s: %s", which, zs_err_str(ret));
	}
	zs_buf_deinit(&errs);
	return ret;
}

int zs_cli_load_selectors(const char *path, struct zs_arena *arena, const char ***out,
                          size_t *count)
{
	size_t line = 0;
	int ret;

	if (path != NULL) {
		ret = zs_dkim_selectors_load(arena, path, out, count, &line);
	} else {
		const struct zs_embedded_file *f = zs_builtin_file("dkim-selectors.txt");
		if (f == NULL) {
			*out = NULL;
			*count = 0;
			return 0;
		}
		path = "builtin:dkim-selectors.txt";
		ret = zs_dkim_selectors_parse(arena, f->text, f->len, out, count, &line);
	}
	if (ret == ZS_ERR_PARSE) {
		zs_log_error(ZS_LOG_POLICY, "%s:%zu: not a valid DKIM selector", path, line);
	} else if (ret == ZS_ERR_TOOBIG && line > 0) {
		zs_log_error(
		        ZS_LOG_POLICY,
		        "%s:%zu: more than %d selectors: that many are asked per domain at most",
		        path, line, ZS_DKIM_MAX_LIST);
	} else if (ret != 0) {
		zs_log_error(ZS_LOG_POLICY, "%s: %s", path, zs_err_str(ret));
	}
	return ret;
}

int zs_cli_load_providers(const char *path, struct zs_arena *arena, struct zs_dkim_providers *out)
{
	size_t line = 0;
	const char *msg = NULL;
	int ret;

	if (path != NULL) {
		ret = zs_dkim_providers_load(arena, path, out, &line, &msg);
	} else {
		const struct zs_embedded_file *f = zs_builtin_file("dkim-providers.txt");
		if (f == NULL) {
			*out = (struct zs_dkim_providers){ 0 };
			return 0;
		}
		path = "builtin:dkim-providers.txt";
		ret = zs_dkim_providers_parse(arena, f->text, f->len, out, &line, &msg);
	}
	if (msg != NULL && ret != 0) {
		zs_log_error(ZS_LOG_POLICY, "%s:%zu: %s", path, line, msg);
	} else if (ret != 0) {
		zs_log_error(ZS_LOG_POLICY, "%s: %s", path, zs_err_str(ret));
	}
	return ret;
}

int zs_cli_date(const char *name, const char *text)
{
	int y = 0;
	int m = 0;
	int d = 0;
	int n = 0;
	if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    text[4] != '-' || text[7] != '-') {
		zs_log_error(ZS_LOG_MAIN, "--%s %s: not a date (YYYY-MM-DD)", name, text);
		return ZS_ERR_USAGE;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
	time_t t = timegm(&tm);
	struct tm back;
	if (m < 1 || m > 12 || d < 1 || gmtime_r(&t, &back) == NULL || back.tm_mday != d ||
	    back.tm_mon != m - 1) {
		zs_log_error(ZS_LOG_MAIN, "--%s %s: no such day", name, text);
		return ZS_ERR_USAGE;
	}
	return 0;
}

const char *zs_cli_operator(const char *by)
{
	static char name[64];
	if (by != NULL) {
		return by;
	}
	const struct passwd *pw = getpwuid(geteuid());
	if (pw != NULL && pw->pw_name != NULL) {
		(void)snprintf(name, sizeof(name), "%s", pw->pw_name);
	} else {
		(void)snprintf(name, sizeof(name), "uid %u", (unsigned)geteuid());
	}
	return name;
}

void zs_cli_today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;
	(void)gmtime_r(&now, &tm);
	(void)strftime(out, 11, "%Y-%m-%d", &tm);
}
