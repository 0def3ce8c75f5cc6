/* SPDX-License-Identifier: MIT */
/*
 * zonesweep notices: the notices of a stored run's non-compliant domains, one message per
 * domain in an mbox file, the domains without a contact in a list beside it, and each notice
 * recorded in the database's notice log.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "db/db.h"
#include "reports/notice.h"
#include "reports/output.h"
#include "reports/text.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/ruleset.h"

static void notices_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep notices --run ID|latest --out FILE.mbox.gz --from ADDRESS "
	        "[options]\n"
	        "\n"
	        "Write one e-mail notice per non-compliant domain of a stored run to an mbox\n"
	        "file (gzip unless the name ends in .mbox), ready for formail or sendmail. Domains\n"
	        "without a registrant contact are listed beside it in NAME.no-contact.csv[.gz].\n"
	        "Every notice is recorded in the database's notice log.\n"
	        "\n"
	        "  --run ID|latest      the run (latest: the newest finished run, of --tld)\n"
	        "  --tld TLD            with --run latest\n"
	        "  --out FILE           the mbox file\n"
	        "  --from ADDRESS       the secretariat: \"Name <addr>\" or addr (default: the\n"
	        "                       ZS_NOTICE_FROM environment variable)\n"
	        "  --reply-to ADDR      a Reply-To address\n"
	        "  --only new|persisting  only domains that became non-compliant in this run, or\n"
	        "                       that have been non-compliant for at least --min-days\n"
	        "  --min-days N         the same notice (domain and failing rules) is not generated\n"
	        "                       again within N days (default 14; 0: always)\n"
	        "  --deadline DAYS|YYYY-MM-DD  the date to fix by (default: 30 days)\n"
	        "  --templates DIR      read notice-subject.txt, notice-body.txt, notice-rule.txt\n"
	        "                       from DIR instead of the built-in templates\n"
	        "  --policy NAME|FILE   the policy for fixes (default: the run's built-in policy)\n"
	        "  --dry-run            write the files but record nothing in the notice log\n"
	        "  --overwrite          replace existing files\n"
	        "  --db CONNINFO        PostgreSQL connection string or URI\n"
	        "\n"
	        "Exit status: 0 written, 1 failure, 2 usage error.\n");
}

static int parse_deadline(const char *text, int64_t now, int64_t *out)
{
	unsigned days = 0;
	if (zs_text_parse_date(text, out) == 0) {
		return 0;
	}
	if (zs_cli_uint("deadline", text, 1, 3650, &days) != 0) {
		return ZS_ERR_USAGE;
	}
	*out = now + (int64_t)days * 86400;
	return 0;
}

int zs_cmd_notices(int argc, char **argv)
{
	enum {
		OPT_RUN = 256,
		OPT_TLD,
		OPT_OUT,
		OPT_FROM,
		OPT_REPLY_TO,
		OPT_ONLY,
		OPT_MIN_DAYS,
		OPT_DEADLINE,
		OPT_TEMPLATES,
		OPT_POLICY,
		OPT_DRY_RUN,
		OPT_OVERWRITE,
		OPT_DB,
		OPT_HELP
	};
	static const struct option longopts[] = {
		{ "run", required_argument, NULL, OPT_RUN },
		{ "tld", required_argument, NULL, OPT_TLD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "reply-to", required_argument, NULL, OPT_REPLY_TO },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "min-days", required_argument, NULL, OPT_MIN_DAYS },
		{ "deadline", required_argument, NULL, OPT_DEADLINE },
		{ "templates", required_argument, NULL, OPT_TEMPLATES },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct zs_notice_opts o = { .min_days = 14, .now = zs_text_now(NULL) };
	const char *run = NULL;
	const char *tld = NULL;
	const char *out = NULL;
	const char *policy_name = NULL;
	const char *deadline = "30";
	const char *conninfo = "";
	int c;

	o.from = getenv("ZS_NOTICE_FROM");
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
		case OPT_FROM:
			o.from = optarg;
			break;
		case OPT_REPLY_TO:
			o.reply_to = optarg;
			break;
		case OPT_ONLY:
			if (strcmp(optarg, "new") == 0) {
				o.only = ZS_NOTICE_NEW;
			} else if (strcmp(optarg, "persisting") == 0) {
				o.only = ZS_NOTICE_PERSISTING;
			} else {
				zs_log_error(ZS_LOG_MAIN, "--only %s: use new or persisting",
				             optarg);
				return ZS_EXIT_USAGE;
			}
			break;
		case OPT_MIN_DAYS:
			if (zs_cli_uint("min-days", optarg, 0, 3650, &o.min_days) != 0) {
				return ZS_EXIT_USAGE;
			}
			break;
		case OPT_DEADLINE:
			deadline = optarg;
			break;
		case OPT_TEMPLATES:
			o.templates = optarg;
			break;
		case OPT_POLICY:
			policy_name = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_OVERWRITE:
			o.out_flags |= ZS_OUT_OVERWRITE;
			break;
		case OPT_DB:
			conninfo = optarg;
			break;
		case OPT_HELP:
			notices_usage(stdout);
			return ZS_EXIT_OK;
		default:
			zs_cli_usage_hint("notices");
			return ZS_EXIT_USAGE;
		}
	}
	if (run == NULL || out == NULL || optind < argc) {
		zs_log_error(ZS_LOG_MAIN, "notices: --run and --out are required");
		zs_cli_usage_hint("notices");
		return ZS_EXIT_USAGE;
	}
	if (o.from == NULL) {
		zs_log_error(ZS_LOG_MAIN,
		             "notices: --from (or ZS_NOTICE_FROM) names the secretariat");
		return ZS_EXIT_USAGE;
	}
	if (parse_deadline(deadline, o.now, &o.deadline) != 0) {
		zs_log_error(ZS_LOG_MAIN, "--deadline %s: a number of days or YYYY-MM-DD",
		             deadline);
		return ZS_EXIT_USAGE;
	}
	if (getenv("SOURCE_DATE_EPOCH") == NULL &&
	    getrandom(&o.salt, sizeof(o.salt), 0) != (ssize_t)sizeof(o.salt)) {
		o.salt = (uint64_t)o.now;
	}

	struct zs_policy *policy = NULL;
	if (policy_name != NULL && zs_cli_load_policy(policy_name, NULL, &policy) != 0) {
		return ZS_EXIT_USAGE;
	}
	o.policy = policy;
	struct zs_db *db = NULL;
	int ret = zs_db_open_checked(conninfo, &db);
	if (ret != 0) {
		zs_log_error(ZS_LOG_DB, "%s", zs_db_error(NULL));
		zs_policy_free(policy);
		return ZS_EXIT_FAIL;
	}
	int64_t run_id = 0;
	struct zs_notice_stats st = { 0 };
	struct zs_buf errs;
	zs_buf_init(&errs, 64 * 1024);
	ret = zs_db_run_resolve(db, run, tld, &run_id);
	if (ret == 0) {
		ret = zs_notices_write(db, run_id, out, &o, &st, &errs);
	}
	int rc = ZS_EXIT_OK;
	if (ret != 0) {
		const char *msg = errs.len > 0                                 ? zs_buf_cstr(&errs)
		                  : ret == ZS_ERR_DB || ret == ZS_ERR_NOTFOUND ? zs_db_error(db)
		                                                               : zs_err_str(ret);
		zs_log_error(ZS_LOG_REPORT, "notices %s: %.*s%s", out, (int)strcspn(msg, "\n"), msg,
		             ret == -EEXIST ? " (use --overwrite)" : "");
		rc = ret == ZS_ERR_USAGE || ret == ZS_ERR_PARSE ? ZS_EXIT_USAGE : ZS_EXIT_FAIL;
	} else {
		fprintf(stderr,
		        "zonesweep: notices of run %" PRId64 " written to %s: %" PRIu64
		        " messages; %" PRIu64 " domains without a contact and %" PRIu64
		        " with an unusable one listed beside it; %" PRIu64
		        " skipped (same notice within %u days), %" PRIu64
		        " not selected; of %" PRIu64 " non-compliant%s\n",
		        run_id, out, st.written, st.no_contact, st.invalid, st.recent, o.min_days,
		        st.filtered, st.non_compliant,
		        o.dry_run ? " (dry run: nothing logged)" : "");
	}
	zs_buf_deinit(&errs);
	zs_db_close(db);
	zs_policy_free(policy);
	return rc;
}
