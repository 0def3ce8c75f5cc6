/* SPDX-License-Identifier: MIT */
/* Option parsing shared by the subcommands: numbers, resolvers, the usage error. */
#pragma once

#include <stdbool.h>

#include "scanner/dns/resolver.h"

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

/** Print "zonesweep CMD: try 'zonesweep CMD --help'" for a usage error. */
void zs_cli_usage_hint(const char *cmd);
