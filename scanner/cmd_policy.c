/* SPDX-License-Identifier: MIT */
/* zonesweep policy: show a ruleset, or validate one before the sweep uses it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/ruleset.h"

static void policy_usage(FILE *f)
{
	fprintf(f, "usage: zonesweep policy show NAME|FILE\n"
	           "       zonesweep policy check FILE\n"
	           "       zonesweep policy list\n"
	           "\n"
	           "  show    print a ruleset (a built-in one: post, ftld, baseline; or a file)\n"
	           "  check   validate a ruleset file; errors name file:line\n"
	           "  list    the built-in policies\n"
	           "\n"
	           "Exit status: 0 valid, 1 invalid or not found, 2 usage error.\n");
}

int zs_cmd_policy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			policy_usage(stdout);
			return ZS_EXIT_OK;
		}
		zs_cli_usage_hint("policy");
		return ZS_EXIT_USAGE;
	}
	const char *sub = optind < argc ? argv[optind] : "";
	if (strcmp(sub, "list") == 0 && optind + 1 == argc) {
		for (const char *const *n = zs_policy_builtin_names(); *n != NULL; n++) {
			struct zs_policy *p = NULL;
			if (zs_policy_load(*n, &p, NULL) == 0) {
				printf("%-10s %-8s %s\n", p->name, p->version, p->title);
				zs_policy_free(p);
			}
		}
		return ZS_EXIT_OK;
	}
	if ((strcmp(sub, "show") != 0 && strcmp(sub, "check") != 0) || optind + 2 != argc) {
		zs_log_error(ZS_LOG_MAIN, "policy: expected show NAME|FILE, check FILE or list");
		zs_cli_usage_hint("policy");
		return ZS_EXIT_USAGE;
	}
	struct zs_policy *p = NULL;
	if (zs_cli_load_policy(argv[optind + 1], NULL, &p) != 0) {
		return ZS_EXIT_FAIL;
	}
	if (strcmp(sub, "show") == 0) {
		zs_policy_print(p, stdout);
	} else {
		printf("%s: valid: policy %s %s, %zu rules, %zu attestation items\n", p->path,
		       p->name, p->version, p->rule_count, p->attest_count);
	}
	zs_policy_free(p);
	return ZS_EXIT_OK;
}
