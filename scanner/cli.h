/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the subcommands: numbers, resolvers, the usage error. */
#pragma once

#include <stdbool.h>

#include "scanner/base/mem.h"
#include "scanner/dns/resolver.h"

struct zs_policy;
struct zs_dkim_providers;

/**
 * Parse an unsigned number option within [min, max]; logs "--name: ..." on error.
 * @return 0 or ZS_ERR_USAGE
 */
int zs_cli_uint(const char *name, const char *text, unsigned min, unsigned max, unsigned *out);

/**
 * Parse a non-negative decimal option (such as --qps 250.5); logs on error.
 * @return 0 or ZS_ERR_USAGE
 */
int zs_cli_double(const char *name, const char *text, double *out);

/**
 * Add a --resolver ADDR[:PORT] to the options; logs on error.
 * @return 0 or ZS_ERR_USAGE
 */
int zs_cli_add_resolver(struct zs_resolver_opts *opts, const char *text);

/**
 * When no --resolver was given, use the first nameserver of /etc/resolv.conf; logs on error.
 * @return 0 or ZS_ERR_USAGE
 */
int zs_cli_default_resolver(struct zs_resolver_opts *opts);

/**
 * A domain named on the command line, in the form the tool stores: lower case, no final dot,
 * an internationalised name converted to its A-label ("bücher.bank" -> "xn--bcher-kva.bank",
 * IDNA2008 by libidn2), and a host name (scanner/base/hostname.h) of at least two labels.
 * @return the name (zs_free()), or NULL after logging why it is refused
 */
char *zs_cli_domain(const char *arg);

/** getopt values of the DNS options shared by every command that asks questions. */
enum {
	ZS_CLI_OPT_RESOLVER = 1000,
	ZS_CLI_OPT_TIMEOUT,
	ZS_CLI_OPT_TRIES,
	ZS_CLI_OPT_MAX_INFLIGHT,
	ZS_CLI_OPT_QPS,
	ZS_CLI_OPT_VALIDATES,
};

/** struct option entries of the shared DNS options, to put in a command's table. */
#define ZS_CLI_DNS_OPTIONS                                                            \
	{ "resolver", required_argument, NULL, ZS_CLI_OPT_RESOLVER },                 \
	        { "timeout", required_argument, NULL, ZS_CLI_OPT_TIMEOUT },           \
	        { "tries", required_argument, NULL, ZS_CLI_OPT_TRIES },               \
	        { "max-inflight", required_argument, NULL, ZS_CLI_OPT_MAX_INFLIGHT }, \
	        { "qps", required_argument, NULL, ZS_CLI_OPT_QPS },                   \
	{                                                                             \
		"resolver-validates", no_argument, NULL, ZS_CLI_OPT_VALIDATES         \
	}

/** The help text of the shared DNS options. */
#define ZS_CLI_DNS_HELP                                                                        \
	"  --resolver ADDR[:PORT]  a recursive resolver (repeatable; default: the first\n"     \
	"                       nameserver of /etc/resolv.conf)\n"                             \
	"  --timeout MS         first per-query timeout, doubled on each try (default 2000)\n" \
	"  --tries N            tries per question (default 3)\n"                              \
	"  --max-inflight N     queries on the wire at once (default 500)\n"                   \
	"  --qps N              global query rate limit (default: none)\n"                     \
	"  --resolver-validates the resolvers validate DNSSEC (the AD bit is meaningful)\n"

/**
 * Handle a shared DNS option.
 * @param c    the getopt value
 * @param arg  its argument
 * @return 1 when @p c is one of them (*bad set on a bad value, logged), 0 when it is not
 */
int zs_cli_dns_option(int c, const char *arg, struct zs_resolver_opts *o, int *bad);

/** Print "zonesweep CMD: try 'zonesweep CMD --help'" for a usage error. */
void zs_cli_usage_hint(const char *cmd);

/**
 * Load the policy a command runs with: --policy NAME|FILE, or the TLD's default; logs the
 * errors (file:line) on failure.
 * @param name  the --policy argument, or NULL
 * @param tld   the TLD, for the default (may be NULL: "baseline")
 * @return 0, ZS_ERR_NOTFOUND, ZS_ERR_PARSE or -errno
 */
int zs_cli_load_policy(const char *name, const char *tld, struct zs_policy **out);

/**
 * Load the DKIM selector list: a file given with --selectors, or the built-in list
 * (policies/dkim-selectors.txt); logs errors with file:line.
 * @param path  the file, or NULL for the built-in list
 * @return 0, ZS_ERR_PARSE, ZS_ERR_TOOBIG or -errno
 */
int zs_cli_load_selectors(const char *path, struct zs_arena *arena, const char ***out,
                          size_t *count);

/**
 * Load the DKIM provider table: a file given with --providers, or the built-in table
 * (policies/dkim-providers.txt); logs errors with file:line.
 * @param path  the file, or NULL for the built-in table
 * @param[out] out  filled on success, in @p arena
 * @return 0, ZS_ERR_PARSE, ZS_ERR_TOOBIG or -errno
 */
int zs_cli_load_providers(const char *path, struct zs_arena *arena, struct zs_dkim_providers *out);

/**
 * Who does what a command records (an exemption, an attestation, a withdrawal): --by NAME,
 * else the operating system's user, not only the database role.
 * @param by  the --by argument, or NULL
 * @return @p by, else the user's name or "uid N" (static storage)
 */
const char *zs_cli_operator(const char *by);

/**
 * Check a date option strictly: YYYY-MM-DD, a day of the calendar (not 2027-02-30); logs
 * "--NAME TEXT: ..." on error.
 * @return 0 or ZS_ERR_USAGE
 */
int zs_cli_date(const char *name, const char *text);

/** Today's date in UTC as YYYY-MM-DD (exemptions compare with it). */
void zs_cli_today(char out[11]);
