/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the zonesweep binary. Each takes the arguments after the program name
 * (argv[0] is the command's own name), parses them with getopt_long, answers --help, and
 * returns the process exit status: 0 success (and, for checks, no finding), 1 findings or
 * failure as the command documents, 2 usage error.
 */
#pragma once

enum { ZS_EXIT_OK = 0, ZS_EXIT_FAIL = 1, ZS_EXIT_USAGE = 2 };

int zs_cmd_scan(int argc, char **argv);
int zs_cmd_report(int argc, char **argv);
int zs_cmd_notices(int argc, char **argv);
int zs_cmd_db(int argc, char **argv);
int zs_cmd_zone(int argc, char **argv);
int zs_cmd_check(int argc, char **argv);
int zs_cmd_spf(int argc, char **argv);
int zs_cmd_parse(int argc, char **argv);
int zs_cmd_policy(int argc, char **argv);

/* Database commands (scanner/cmd_db.c, scanner/cmd_db_registry.c). */
int zs_cmd_runs(int argc, char **argv);
int zs_cmd_history(int argc, char **argv);
int zs_cmd_diff(int argc, char **argv);
int zs_cmd_contacts(int argc, char **argv);
int zs_cmd_selectors(int argc, char **argv);
int zs_cmd_exempt(int argc, char **argv);
int zs_cmd_attest(int argc, char **argv);
