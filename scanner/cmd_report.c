/* SPDX-License-Identifier: MIT */
/* zonesweep report: the report of a stored run, streamed from the database to a file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/run.h"
#include "reports/output.h"
#include "reports/report.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"

static void report_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep report --run ID|latest --out FILE [options]\n"
	        "\n"
	        "Write the per-domain report of a stored run. The file is gzip-compressed unless\n"
	        "its name ends in a plain extension (.csv, .jsonl); '-' writes to stdout.\n"
	        "\n"
	        "  --run ID|latest      the run (latest: the newest run, of --tld if given)\n"
	        "  --tld TLD            with --run latest: the newest run of this TLD\n"
	        "  --out FILE           the report file\n"
	        "  --format csv|jsonl   default: from the file name, else csv\n"
	        "  --overwrite          replace an existing file\n"
	        "  --db CONNINFO        PostgreSQL connection string or URI (default: PG*\n"
	        "                       environment variables, as psql)\n"
	        "\n"
	        "Exit status: 0 written, 1 failure, 2 usage error.\n");
}

static int parse_format(const char *text, enum zs_report_format *out)
{
	if (strcmp(text, "csv") == 0) {
		*out = ZS_REPORT_CSV;
	} else if (strcmp(text, "jsonl") == 0) {
		*out = ZS_REPORT_JSONL;
	} else {
		return ZS_ERR_USAGE;
	}
	return 0;
}

static enum zs_report_format format_from_name(const char *path)
{
	return strstr(path, ".jsonl") != NULL ? ZS_REPORT_JSONL : ZS_REPORT_CSV;
}

int zs_cmd_report(int argc, char **argv)
{
	enum { OPT_RUN = 256, OPT_TLD, OPT_OUT, OPT_FORMAT, OPT_OVERWRITE, OPT_DB, OPT_HELP };
	static const struct option longopts[] = {
		{ "run", required_argument, NULL, OPT_RUN },
		{ "tld", required_argument, NULL, OPT_TLD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *run = NULL;
	const char *tld = NULL;
	const char *out = NULL;
	const char *conninfo = "";
	const char *format_text = NULL;
	int flags = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUN:
			run = optarg;
			break;
		case OPT_TLD:
			tld = optarg;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_FORMAT:
			format_text = optarg;
			break;
		case OPT_OVERWRITE:
			flags |= ZS_OUT_OVERWRITE;
			break;
		case OPT_DB:
			conninfo = optarg;
			break;
		case OPT_HELP:
			report_usage(stdout);
			return ZS_EXIT_OK;
		default:
			zs_cli_usage_hint("report");
			return ZS_EXIT_USAGE;
		}
	}
	enum zs_report_format format = out != NULL ? format_from_name(out) : ZS_REPORT_CSV;
	if (run == NULL || out == NULL || optind < argc ||
	    (format_text != NULL && parse_format(format_text, &format) != 0)) {
		zs_log_error(ZS_LOG_MAIN, "report: --run and --out are required%s",
		             format_text != NULL ? "; --format is csv or jsonl" : "");
		zs_cli_usage_hint("report");
		return ZS_EXIT_USAGE;
	}

	struct zs_db *db = NULL;
	int64_t run_id = 0;
	struct zs_report_stats st = { 0 };
	int ret = zs_db_open(conninfo, &db);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(NULL));
		return ZS_EXIT_FAIL;
	}
	ret = zs_db_check_schema(db);
	if (ret == 0) {
		ret = zs_db_run_resolve(db, run, tld, &run_id);
	}
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "--run %s: %s", run, zs_db_error(db));
		zs_db_close(db);
		return ZS_EXIT_FAIL;
	}
	ret = zs_report_run(db, run_id, format, out, flags, &st);
	if (ret != 0) {
		zs_log_error(ZS_LOG_REPORT, "%s: %s%s", out,
		             ret == ZS_ERR_DB ? zs_db_error(db) : zs_err_str(ret),
		             ret == -EEXIST ? " (use --overwrite)" : "");
		zs_db_close(db);
		return ZS_EXIT_FAIL;
	}
	zs_db_close(db);
	if (strcmp(out, "-") != 0) {
		fprintf(stderr,
		        "zonesweep: report of run %lld written to %s: %llu domains (%llu compliant, "
		        "%llu non-compliant, %llu indeterminate)\n",
		        (long long)run_id, out, (unsigned long long)st.domains,
		        (unsigned long long)st.compliant, (unsigned long long)st.non_compliant,
		        (unsigned long long)st.indeterminate);
	}
	return ZS_EXIT_OK;
}
