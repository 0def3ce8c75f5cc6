/* SPDX-License-Identifier: MIT */
/* zonesweep db: database administration. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"

static void db_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep db migrate [--db CONNINFO]\n"
	        "\n"
	        "  migrate            apply the pending schema migrations, each in a transaction\n"
	        "  --db CONNINFO      PostgreSQL connection string or URI (default: the PG*\n"
	        "                     environment variables, as psql)\n"
	        "\n"
	        "Exit status: 0 done, 1 failure, 2 usage error.\n");
}

static int db_migrate(const char *conninfo)
{
	struct zs_db *db = NULL;
	int applied = 0;
	int version = 0;

	if (zs_db_open(conninfo, &db) != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(NULL));
		return ZS_EXIT_FAIL;
	}
	int ret = zs_db_migrate(db, 0, &applied);
	if (ret == 0) {
		ret = zs_db_schema_version(db, &version);
	}
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(db));
		zs_db_close(db);
		return ZS_EXIT_FAIL;
	}
	printf("database %s: schema version %d (%d migration%s applied)\n", zs_db_where(db),
	       version, applied, applied == 1 ? "" : "s");
	zs_db_close(db);
	return ZS_EXIT_OK;
}

int zs_cmd_db(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_HELP };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *conninfo = "";
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			conninfo = optarg;
			break;
		case OPT_HELP:
			db_usage(stdout);
			return ZS_EXIT_OK;
		default:
			zs_cli_usage_hint("db");
			return ZS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "migrate") != 0) {
		zs_log_error(ZS_LOG_MAIN, "db: expected a subcommand: migrate");
		zs_cli_usage_hint("db");
		return ZS_EXIT_USAGE;
	}
	return db_migrate(conninfo);
}
