/* SPDX-License-Identifier: MIT */
/*
 * zonesweep report: the report of a stored run (--run), the periodic reports of a calendar
 * period (--period), or the compliance report of one domain (--domain), streamed from the
 * database to files. The report's date is now, or SOURCE_DATE_EPOCH when set (reproducible
 * reports, as reproducible builds use it).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "db/report_query.h"
#include "reports/domain.h"
#include "reports/output.h"
#include "reports/report.h"
#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/ruleset.h"

static void report_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep report --run ID|latest --out FILE [options]\n"
	        "       zonesweep report --period daily|weekly|monthly --dir DIR [options]\n"
	        "       zonesweep report --domain DOMAIN [--format html|json] [--out FILE]\n"
	        "\n"
	        "Write reports from the database. Files are gzip-compressed unless their name\n"
	        "ends in a plain extension (.csv, .jsonl, .json, .html); '-' is stdout. An existing\n"
	        "file is never replaced without --overwrite.\n"
	        "\n"
	        "run report:\n"
	        "  --run ID|latest|latest-complete  the run (latest: newest finished, of --tld)\n"
	        "  --out FILE           the report; csv and jsonl get their summary beside it\n"
	        "                       (NAME.summary.csv / NAME.summary.json)\n"
	        "  --format F           csv, jsonl, json or html (default: from the name, else csv)\n"
	        "  --trend N            runs in the trend (default 10)\n"
	        "  --no-summary-file    csv, jsonl: do not write the summary file\n"
	        "  --sql                print the SELECT of the per-domain rows (for psql) and exit\n"
	        "periodic reports:\n"
	        "  --period P           daily, weekly (ISO weeks) or monthly, in UTC: the last\n"
	        "                       complete run of the period, with the trend over the period\n"
	        "  --date YYYY-MM-DD    a day of the period (default: the previous period)\n"
	        "  --dir DIR            writes DIR/<tld>-<period>-<date>.<format>.gz\n"
	        "  --format F[,F...]    formats (default csv)\n"
	        "domain report:\n"
	        "  --domain DOMAIN      every rule, verdict and evidence, the attestations\n"
	        "  --format html|json   (default html); --out FILE (default stdout)\n"
	        "  --run ID             the run (default: the newest with a result for it)\n"
	        "common:\n"
	        "  --tld TLD            the TLD (--run latest, --period)\n"
	        "  --policy NAME|FILE   rule titles and fixes (default: the run's built-in policy)\n"
	        "  --overwrite          replace existing files\n"
	        "  --db CONNINFO        PostgreSQL connection string or URI (default: PG*\n"
	        "                       environment variables, as psql)\n"
	        "\n"
	        "Exit status: 0 written, 1 failure (or a file existed), 2 usage error.\n");
}

/* The report's date: SOURCE_DATE_EPOCH when set and valid, else now. */
static int64_t report_now(void)
{
	bool ignored = false;
	int64_t t = zs_text_now(&ignored);
	if (ignored) {
		zs_log_warn(ZS_LOG_MAIN, "SOURCE_DATE_EPOCH is not a time: ignored");
	}
	return t;
}

static int parse_date(const char *text, int64_t *out)
{
	if (zs_text_parse_date(text, out) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--date %s: use YYYY-MM-DD", text);
		return ZS_ERR_USAGE;
	}
	*out += 12 * 3600; /* midday: inside the day whatever happens */
	return 0;
}

static int parse_formats(const char *text, enum zs_report_format *out, size_t *n)
{
	*n = 0;
	for (const char *p = text; *p != '\0';) {
		size_t len = strcspn(p, ",");
		char *name = zs_strndup(p, len);
		int ret = *n == ZS_REPORT_FORMAT_COUNT_ ? ZS_ERR_USAGE
		                                        : zs_report_format_parse(name, &out[*n]);
		zs_free(name);
		if (ret != 0) {
			zs_log_error(ZS_LOG_MAIN, "--format %s: use csv, jsonl, json or html",
			             text);
			return ZS_ERR_USAGE;
		}
		(*n)++;
		p += len + (p[len] == ',');
	}
	return *n == 0 ? ZS_ERR_USAGE : 0;
}

struct report_args {
	const char *run;
	const char *tld;
	const char *out;
	const char *dir;
	const char *domain;
	const char *period;
	const char *date;
	const char *formats;
	const char *policy;
	const char *conninfo;
	unsigned trend;
	int flags;
	bool no_summary;
	bool sql;
};

static int fail_db(struct zs_db *db, const char *what, int ret)
{
	zs_log_error(ZS_LOG_REPORT, "%s: %s%s", what,
	             ret == ZS_ERR_DB || ret == ZS_ERR_NOTFOUND ? zs_db_error(db) : zs_err_str(ret),
	             ret == -EEXIST ? " (use --overwrite)" : "");
	return ZS_EXIT_FAIL;
}

static int run_report(struct zs_db *db, const struct report_args *a, const struct zs_policy *policy)
{
	struct zs_report_opts o = { .out_flags = a->flags,
		                    .trend_runs = (int)a->trend,
		                    .no_summary_file = a->no_summary,
		                    .now = report_now(),
		                    .policy = policy };
	struct zs_report_stats st = { 0 };
	int64_t run_id = 0;
	size_t n = 0;

	if (a->formats != NULL) {
		enum zs_report_format f[ZS_REPORT_FORMAT_COUNT_];
		if (parse_formats(a->formats, f, &n) != 0 || n != 1) {
			zs_log_error(ZS_LOG_MAIN, "--run takes one --format");
			return ZS_EXIT_USAGE;
		}
		o.format = f[0];
	} else if (zs_report_format_of_name(a->out, &o.format) != 0) {
		o.format = ZS_REPORT_CSV;
	}
	int ret = zs_db_run_resolve(db, a->run, a->tld, &run_id);
	if (ret != 0) {
		return fail_db(db, a->run, ret);
	}
	ret = zs_report_run(db, run_id, a->out, &o, &st);
	if (ret != 0) {
		return fail_db(db, a->out, ret);
	}
	if (strcmp(a->out, "-") != 0) {
		fprintf(stderr,
		        "zonesweep: report of run %" PRId64 " (%s) written to %s: %" PRIu64
		        " domains (%" PRIu64 " compliant, %" PRIu64 " non-compliant, %" PRIu64
		        " indeterminate)\n",
		        run_id, zs_db_run_status_name(st.run_status), a->out, st.domains,
		        st.n[ZS_DB_COMPLIANT], st.n[ZS_DB_NON_COMPLIANT],
		        st.n[ZS_DB_INDETERMINATE]);
	}
	if (st.run_status != ZS_DB_RUN_COMPLETE) {
		fprintf(stderr,
		        "zonesweep: note: run %" PRId64 " is %s: the report says so and "
		        "its figures are partial\n",
		        run_id, zs_db_run_status_name(st.run_status));
	}
	return ZS_EXIT_OK;
}

static int period_report(struct zs_db *db, const struct report_args *a,
                         const struct zs_policy *policy)
{
	enum zs_report_format f[ZS_REPORT_FORMAT_COUNT_] = { ZS_REPORT_CSV };
	enum zs_report_period p = ZS_PERIOD_DAILY;
	struct zs_report_opts o = { .out_flags = a->flags,
		                    .no_summary_file = a->no_summary,
		                    .now = report_now(),
		                    .policy = policy };
	size_t nf = 1;
	size_t written = 0;
	int64_t day = 0;

	if (zs_report_period_parse(a->period, &p) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--period %s: use daily, weekly or monthly", a->period);
		return ZS_EXIT_USAGE;
	}
	if ((a->formats != NULL && parse_formats(a->formats, f, &nf) != 0) ||
	    (a->date != NULL && parse_date(a->date, &day) != 0)) {
		return ZS_EXIT_USAGE;
	}
	if (a->date == NULL) {
		/* the period before the current one: the last one that has ended */
		int64_t from = 0;
		int64_t to = 0;
		char label[32];
		zs_report_period_bounds(p, o.now, &from, &to, label, sizeof(label));
		day = from - 1;
	}
	int ret = zs_report_period(db, p, day, a->tld, a->dir, f, nf, &o, stderr, &written);
	if (ret == ZS_ERR_DB) {
		return fail_db(db, "periodic report", ret);
	}
	return ret == 0 ? ZS_EXIT_OK : ZS_EXIT_FAIL;
}

static int domain_report(struct zs_db *db, const struct report_args *a,
                         const struct zs_policy *policy)
{
	struct zs_domain_report_opts o = { .format = ZS_REPORT_HTML,
		                           .out_flags = a->flags,
		                           .now = report_now(),
		                           .policy = policy };
	char domain[256];
	int64_t run_id = 0;
	size_t n = 0;
	const char *out = a->out != NULL ? a->out : "-";

	if (zs_db_domain_normalize(a->domain, domain, sizeof(domain)) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--domain %s: not a domain name", a->domain);
		return ZS_EXIT_USAGE;
	}
	if (a->formats != NULL) {
		enum zs_report_format f[ZS_REPORT_FORMAT_COUNT_];
		if (parse_formats(a->formats, f, &n) != 0 || n != 1 ||
		    (f[0] != ZS_REPORT_HTML && f[0] != ZS_REPORT_JSON)) {
			zs_log_error(ZS_LOG_MAIN, "--domain takes --format html or json");
			return ZS_EXIT_USAGE;
		}
		o.format = f[0];
	} else if (zs_report_format_of_name(out, &o.format) != 0 ||
	           (o.format != ZS_REPORT_HTML && o.format != ZS_REPORT_JSON)) {
		o.format = ZS_REPORT_HTML;
	}
	if (a->run != NULL) {
		int ret = zs_db_run_resolve(db, a->run, a->tld, &run_id);
		if (ret != 0) {
			return fail_db(db, a->run, ret);
		}
	}
	int ret = zs_report_domain(db, domain, run_id, out, &o);
	if (ret != 0) {
		return fail_db(db, domain, ret);
	}
	if (strcmp(out, "-") != 0) {
		fprintf(stderr, "zonesweep: compliance report of %s written to %s\n", domain, out);
	}
	return ZS_EXIT_OK;
}

static int parse_args(int argc, char **argv, struct report_args *a)
{
	enum {
		OPT_RUN = 256,
		OPT_TLD,
		OPT_OUT,
		OPT_DIR,
		OPT_DOMAIN,
		OPT_PERIOD,
		OPT_DATE,
		OPT_FORMAT,
		OPT_POLICY,
		OPT_TREND,
		OPT_OVERWRITE,
		OPT_NO_SUMMARY,
		OPT_SQL,
		OPT_DB,
		OPT_HELP
	};
	static const struct option longopts[] = {
		{ "run", required_argument, NULL, OPT_RUN },
		{ "tld", required_argument, NULL, OPT_TLD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "period", required_argument, NULL, OPT_PERIOD },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "trend", required_argument, NULL, OPT_TREND },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "no-summary-file", no_argument, NULL, OPT_NO_SUMMARY },
		{ "sql", no_argument, NULL, OPT_SQL },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUN:
			a->run = optarg;
			break;
		case OPT_TLD:
			a->tld = optarg;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_DIR:
			a->dir = optarg;
			break;
		case OPT_DOMAIN:
			a->domain = optarg;
			break;
		case OPT_PERIOD:
			a->period = optarg;
			break;
		case OPT_DATE:
			a->date = optarg;
			break;
		case OPT_FORMAT:
			a->formats = optarg;
			break;
		case OPT_POLICY:
			a->policy = optarg;
			break;
		case OPT_TREND:
			if (zs_cli_uint("trend", optarg, 1, 1000, &a->trend) != 0) {
				return ZS_ERR_USAGE;
			}
			break;
		case OPT_OVERWRITE:
			a->flags |= ZS_OUT_OVERWRITE;
			break;
		case OPT_NO_SUMMARY:
			a->no_summary = true;
			break;
		case OPT_SQL:
			a->sql = true;
			break;
		case OPT_DB:
			a->conninfo = optarg;
			break;
		case OPT_HELP:
			report_usage(stdout);
			return ZS_ERR_EOF;
		default:
			return ZS_ERR_USAGE;
		}
	}
	int modes =
	        (a->domain != NULL) + (a->period != NULL) + (a->run != NULL && a->domain == NULL);
	if (optind < argc || modes != 1) {
		zs_log_error(ZS_LOG_MAIN, "report: give one of --run, --period or --domain");
		return ZS_ERR_USAGE;
	}
	if (a->period != NULL && a->dir == NULL) {
		zs_log_error(ZS_LOG_MAIN, "report --period needs --dir");
		return ZS_ERR_USAGE;
	}
	if (a->run != NULL && a->domain == NULL && a->out == NULL && !a->sql) {
		zs_log_error(ZS_LOG_MAIN, "report --run needs --out");
		return ZS_ERR_USAGE;
	}
	return 0;
}

int zs_cmd_report(int argc, char **argv)
{
	struct report_args a = { .conninfo = "" };
	struct zs_policy *policy = NULL;
	struct zs_db *db = NULL;
	int ret = parse_args(argc, argv, &a);

	if (ret == ZS_ERR_EOF) {
		return ZS_EXIT_OK;
	}
	if (ret != 0) {
		zs_cli_usage_hint("report");
		return ZS_EXIT_USAGE;
	}
	if (a.policy != NULL && zs_cli_load_policy(a.policy, NULL, &policy) != 0) {
		return ZS_EXIT_USAGE;
	}
	ret = zs_db_open_checked(a.conninfo, &db);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(NULL));
		zs_policy_free(policy);
		return ZS_EXIT_FAIL;
	}
	int rc = ZS_EXIT_OK;
	if (a.sql) {
		int64_t run_id = 0;
		struct zs_buf q;
		zs_buf_init(&q, 1024 * 1024);
		ret = zs_db_run_resolve(db, a.run, a.tld, &run_id);
		ret = ret != 0 ? ret : zs_db_report_sql(run_id, &q);
		if (ret == 0) {
			printf("%s\n", zs_buf_cstr(&q));
		} else {
			rc = fail_db(db, a.run, ret);
		}
		zs_buf_deinit(&q);
	} else if (a.domain != NULL) {
		rc = domain_report(db, &a, policy);
	} else if (a.period != NULL) {
		rc = period_report(db, &a, policy);
	} else {
		rc = run_report(db, &a, policy);
	}
	zs_db_close(db);
	zs_policy_free(policy);
	return rc;
}
