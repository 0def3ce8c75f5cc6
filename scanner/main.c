/* SPDX-License-Identifier: MIT */
/*
 * zonesweep: options and wiring only. Each subcommand lives in its own cmd_*.c and returns the
 * process exit status (commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "scanner/base/log.h"
#include "scanner/commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "scan", zs_cmd_scan, "sweep a TLD zone: query, evaluate, store, summarise" },
	{ "report", zs_cmd_report, "write reports: a run, a period, or one domain's compliance" },
	{ "notices", zs_cmd_notices, "write the notices of a run's non-compliant domains (mbox)" },
	{ "runs", zs_cmd_runs, "recent runs and their figures" },
	{ "history", zs_cmd_history, "a domain's history of statuses and verdicts" },
	{ "diff", zs_cmd_diff, "domains whose status changed between two runs" },
	{ "contacts", zs_cmd_contacts, "registrant contacts: import FILE.csv, list" },
	{ "selectors", zs_cmd_selectors, "declared DKIM selectors: import FILE, list" },
	{ "exempt", zs_cmd_exempt, "exempt a domain from a rule until a date" },
	{ "attest", zs_cmd_attest, "record a registrant's attestation of a policy item" },
	{ "db", zs_cmd_db, "database administration: migrate, status, prune" },
	{ "check", zs_cmd_check, "check domains now: every rule, its reason and its fix" },
	{ "spf", zs_cmd_spf, "analyse a domain's SPF policy, or check_host() for an address" },
	{ "parse", zs_cmd_parse, "parse SPF, DMARC or DKIM key records given as text (JSON)" },
	{ "policy", zs_cmd_policy, "show, list or validate rulesets" },
	{ "zone", zs_cmd_zone, "read a zone: count or list its delegations" },
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep [--version] [--help] <command> [options]\n\n"
	        "Registry-side e-mail authentication compliance scanner for a whole TLD zone.\n\n"
	        "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	}
	fprintf(f, "\nRun 'zonesweep <command> --help' for a command's options.\n"
	           "Exit status: 0 success, 1 findings or failure (as each command documents), "
	           "2 usage error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return ZS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return ZS_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("zonesweep %s\n", ZS_VERSION);
		return ZS_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			return commands[i].run(argc - 1, argv + 1);
		}
	}
	zs_log_error(ZS_LOG_MAIN, "%s: unknown command (see zonesweep --help)", argv[1]);
	return ZS_EXIT_USAGE;
}
