/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the subcommands. */
#include "scanner/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"

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

void zs_cli_usage_hint(const char *cmd)
{
	fprintf(stderr, "zonesweep %s: try 'zonesweep %s --help'\n", cmd, cmd);
}
