/* SPDX-License-Identifier: MIT */
/*
 * The database commands officers and operators run: `db` (migrate, status, prune), `runs`,
 * `history` and `diff`. Options and messages only; the SQL lives in db/. Every command but
 * `db migrate` refuses to run on a schema other than the one this binary knows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"

enum {
	OPT_DB = 1000,
	OPT_FORMAT,
	OPT_TLD,
	OPT_LIMIT,
	OPT_KEEP_RUNS,
	OPT_DRY_RUN,
	OPT_TO,
	OPT_WHY,
	OPT_BY,
};

/* An integer option: decimal, within [min, max]. */
static int parse_int(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return ZS_ERR_USAGE;
	}
	*out = v;
	return 0;
}

static int usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "zonesweep %s: %s (see zonesweep %s --help)\n", cmd, msg, cmd);
	return ZS_EXIT_USAGE;
}

static int db_failed(struct zs_db *db)
{
	zs_log_error(ZS_LOG_MAIN, "%s", zs_db_error(db));
	return ZS_EXIT_FAIL;
}

/* ---- zonesweep db ---- */

static const char db_help[] =
        "usage: zonesweep db migrate [--to VERSION] [--db CONNINFO]\n"
        "       zonesweep db status [--db CONNINFO]\n"
        "       zonesweep db prune --keep-runs N [--dry-run] [--db CONNINFO]\n"
        "\n"
        "migrate     apply the pending schema migrations, each in its own transaction\n"
        "status      show the schema version; exit 1 when a migration is pending\n"
        "prune       delete the results and verdicts of old runs: per TLD the newest N\n"
        "            finished runs and the newest complete run are kept; run figures,\n"
        "            rule counts, domains, status transitions and current state are kept\n"
        "\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "  --to VERSION      migrate up to this version only\n"
        "  --keep-runs N     runs to keep per TLD (at least 1)\n"
        "  --dry-run         show what prune would delete, delete nothing\n"
        "\n"
        "Exit status: 0 done, 1 the database failed (status: a migration is pending, or\n"
        "the database is newer than this zonesweep), 2 usage error.\n";

static int db_migrate(struct zs_db *db, long to)
{
	int before = 0;
	int applied = 0;
	if (zs_db_schema_version(db, &before) != 0 || zs_db_migrate(db, (int)to, &applied) != 0) {
		return db_failed(db);
	}
	printf("%s: schema version %d (%d migration%s applied, newest known %d)\n", zs_db_where(db),
	       before + applied, applied, applied == 1 ? "" : "s", zs_db_schema_latest());
	return ZS_EXIT_OK;
}

static int db_status(struct zs_db *db)
{
	int version = 0;
	if (zs_db_schema_version(db, &version) != 0) {
		return db_failed(db);
	}
	int latest = zs_db_schema_latest();
	printf("%s: schema version %d, this zonesweep knows %d\n", zs_db_where(db), version,
	       latest);
	if (version < latest) {
		printf("%d migration%s pending: run 'zonesweep db migrate'\n", latest - version,
		       latest - version == 1 ? "" : "s");
		return ZS_EXIT_FAIL;
	}
	if (version > latest) {
		printf("the database is newer than this zonesweep: upgrade zonesweep\n");
		return ZS_EXIT_FAIL;
	}
	return ZS_EXIT_OK;
}

static int db_prune(struct zs_db *db, long keep, bool dry_run)
{
	struct zs_db_prune_stats st;
	if (zs_db_prune(db, (int)keep, dry_run, stdout, &st) != 0) {
		return db_failed(db);
	}
	printf("%s %" PRId64 " run%s: %" PRId64 " results and %" PRId64 " verdicts%s\n",
	       dry_run ? "would prune" : "pruned", st.runs, st.runs == 1 ? "" : "s", st.results,
	       st.verdicts, dry_run ? " would be deleted" : " deleted");
	return ZS_EXIT_OK;
}

int zs_cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "to", required_argument, NULL, OPT_TO },
		{ "keep-runs", required_argument, NULL, OPT_KEEP_RUNS },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conninfo = NULL;
	long to = 0;
	long keep = 0;
	bool dry_run = false;
	int c = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			conninfo = optarg;
			break;
		case OPT_TO:
			if (parse_int(optarg, 1, zs_db_schema_latest(), &to) != 0) {
				return usage_error("db", "--to needs a known schema version");
			}
			break;
		case OPT_KEEP_RUNS:
			if (parse_int(optarg, 1, 1000000, &keep) != 0) {
				return usage_error("db", "--keep-runs needs a number of runs >= 1");
			}
			break;
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case 'h':
			fputs(db_help, stdout);
			return ZS_EXIT_OK;
		default:
			return usage_error("db", "unknown option");
		}
	}
	if (optind + 1 != argc) {
		return usage_error("db", "one subcommand: migrate, status or prune");
	}
	const char *sub = argv[optind];
	bool migrate = strcmp(sub, "migrate") == 0;
	if (!migrate && strcmp(sub, "status") != 0 && strcmp(sub, "prune") != 0) {
		return usage_error("db", "unknown subcommand");
	}
	if (strcmp(sub, "prune") == 0 && keep == 0) {
		return usage_error("db", "prune needs --keep-runs N");
	}
	struct zs_db *db = NULL;
	int ret = migrate || strcmp(sub, "status") == 0 ? zs_db_open(conninfo, &db)
	                                                : zs_db_open_checked(conninfo, &db);
	if (ret != 0) {
		return db_failed(NULL);
	}
	if (migrate) {
		ret = db_migrate(db, to);
	} else if (strcmp(sub, "status") == 0) {
		ret = db_status(db);
	} else {
		ret = db_prune(db, keep, dry_run);
	}
	zs_db_close(db);
	return ret;
}

/* ---- runs, history, diff ---- */

/* The options these listings share. */
struct listing {
	const char *conninfo;
	const char *tld;
	enum zs_db_format fmt;
	long limit;
};

static const struct option listing_opts[] = {
	{ "db", required_argument, NULL, OPT_DB },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "tld", required_argument, NULL, OPT_TLD },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parse the shared options. @return -1 to go on, or the exit status */
static int parse_listing(int argc, char **argv, const char *help, struct listing *l)
{
	int c = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", listing_opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			l->conninfo = optarg;
			break;
		case OPT_FORMAT:
			if (zs_db_format_parse(optarg, &l->fmt) != 0) {
				return usage_error(argv[0], "--format is text, csv or json");
			}
			break;
		case OPT_TLD:
			l->tld = optarg;
			break;
		case OPT_LIMIT:
			if (parse_int(optarg, 1, 1000000, &l->limit) != 0) {
				return usage_error(argv[0], "--limit needs a number >= 1");
			}
			break;
		case 'h':
			fputs(help, stdout);
			return ZS_EXIT_OK;
		default:
			return usage_error(argv[0], "unknown option");
		}
	}
	return -1;
}

static const char runs_help[] =
        "usage: zonesweep runs [--tld TLD] [--limit N] [--format text|csv|json] [--db CONNINFO]\n"
        "       zonesweep runs withdraw RUN --why TEXT [--by NAME] [--db CONNINFO]\n"
        "\n"
        "The recent runs, newest first, with their figures: status, duration, domains,\n"
        "compliant, non-compliant, indeterminate, warnings, rows quarantined, whether the\n"
        "zone was read completely, and for a withdrawn run when, by whom and why.\n"
        "\n"
        "withdraw (or cancel) takes a bad run back: it stays listed, as withdrawn, but counts\n"
        "nowhere: the current state, status changes, trends, 'latest', notices and diffs\n"
        "are as if it had never been (the history of its TLD is recomputed without it).\n"
        "\n"
        "  --tld TLD         only this TLD\n"
        "  --limit N         at most N runs (default 20)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --why TEXT        why the run is withdrawn (required)\n"
        "  --by NAME         who withdraws it (default: the operating system's user)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 done, 1 the database failed or refused (the run is running, was\n"
        "withdrawn already, or runs after it were pruned), 2 usage error.\n";

/* zonesweep runs withdraw RUN --why TEXT [--by NAME] */
static int runs_withdraw(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "why", required_argument, NULL, OPT_WHY },
		{ "by", required_argument, NULL, OPT_BY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conninfo = NULL;
	const char *why = NULL;
	const char *by = NULL;
	long run = 0;
	int c = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			conninfo = optarg;
			break;
		case OPT_WHY:
			why = optarg;
			break;
		case OPT_BY:
			by = optarg;
			break;
		case 'h':
			fputs(runs_help, stdout);
			return ZS_EXIT_OK;
		default:
			return usage_error("runs", "unknown option");
		}
	}
	if (optind + 1 != argc || parse_int(argv[optind], 1, LONG_MAX, &run) != 0) {
		return usage_error("runs", "withdraw takes one RUN id");
	}
	if (why == NULL || why[0] == '\0') {
		return usage_error("runs", "withdraw needs --why TEXT");
	}
	struct zs_db *db = NULL;
	if (zs_db_open_checked(conninfo, &db) != 0) {
		return db_failed(NULL);
	}
	struct zs_db_withdraw_stats st;
	int ret = zs_db_run_withdraw(db, run, why, zs_cli_operator(by), &st);
	if (ret == ZS_ERR_USAGE) {
		fprintf(stderr, "zonesweep runs: %s\n", zs_db_error(db));
		ret = ZS_EXIT_USAGE;
	} else if (ret != 0) {
		ret = db_failed(db);
	} else {
		printf("run %ld withdrawn: %" PRId64
		       " status changes undone, the history of %" PRId64
		       " later run%s written again\n",
		       run, st.transitions_undone, st.runs_replayed,
		       st.runs_replayed == 1 ? "" : "s");
	}
	zs_db_close(db);
	return ret;
}

int zs_cmd_runs(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "withdraw") == 0 || strcmp(argv[1], "cancel") == 0)) {
		return runs_withdraw(argc - 1, argv + 1);
	}
	struct listing l = { .limit = 20 };
	int ret = parse_listing(argc, argv, runs_help, &l);
	if (ret >= 0) {
		return ret;
	}
	if (optind != argc) {
		return usage_error(argv[0], "no arguments expected");
	}
	struct zs_db *db = NULL;
	if (zs_db_open_checked(l.conninfo, &db) != 0) {
		return db_failed(NULL);
	}
	ret = zs_db_print_runs(db, l.tld, (int)l.limit, l.fmt, stdout) == 0 ? ZS_EXIT_OK
	                                                                    : db_failed(db);
	zs_db_close(db);
	return ret;
}

static const char history_help[] =
        "usage: zonesweep history DOMAIN [--format text|csv|json] [--db CONNINFO]\n"
        "\n"
        "A domain's history: its current state and contact, then one line per run that\n"
        "stored a result for it or recorded a change of its status (older runs may be\n"
        "pruned: their status changes remain), with the rules that failed, warned or could\n"
        "not be checked. Withdrawn runs are not shown.\n"
        "\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 shown, 1 the database knows nothing of the domain or failed,\n"
        "2 usage error.\n";

int zs_cmd_history(int argc, char **argv)
{
	struct listing l = { 0 };
	char domain[1100];
	int ret = parse_listing(argc, argv, history_help, &l);
	if (ret >= 0) {
		return ret;
	}
	if (optind + 1 != argc) {
		return usage_error(argv[0], "one DOMAIN expected");
	}
	if (zs_db_domain_normalize(argv[optind], domain, sizeof(domain)) != 0) {
		return usage_error(argv[0], "invalid domain name");
	}
	struct zs_db *db = NULL;
	if (zs_db_open_checked(l.conninfo, &db) != 0) {
		return db_failed(NULL);
	}
	ret = zs_db_print_history(db, domain, l.fmt, stdout) == 0 ? ZS_EXIT_OK : db_failed(db);
	zs_db_close(db);
	return ret;
}

static const char diff_help[] =
        "usage: zonesweep diff RUN_A RUN_B [--tld TLD] [--format text|csv|json] [--db CONNINFO]\n"
        "\n"
        "The domains whose status differs between two runs: newly non-compliant, fixed,\n"
        "changed otherwise, new (only in B) and removed (only in A). A run is an id,\n"
        "'latest' (newest finished), 'latest-complete', or for RUN_A 'previous' (the\n"
        "complete run before RUN_B). A run whose results were pruned, or that was\n"
        "withdrawn, is refused: its differences are not known.\n"
        "\n"
        "  --tld TLD         resolve 'latest' within this TLD\n"
        "  --format F        text (default, with a summary line), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 shown, 1 no such run, its results are gone, or the database failed,\n"
        "2 usage error.\n";

int zs_cmd_diff(int argc, char **argv)
{
	struct listing l = { 0 };
	struct zs_db_diff_counts counts;
	int64_t a = 0;
	int64_t b = 0;
	int ret = parse_listing(argc, argv, diff_help, &l);
	if (ret >= 0) {
		return ret;
	}
	if (optind + 2 != argc) {
		return usage_error(argv[0], "two runs expected: RUN_A RUN_B");
	}
	struct zs_db *db = NULL;
	if (zs_db_open_checked(l.conninfo, &db) != 0) {
		return db_failed(NULL);
	}
	const char *spec_a = argv[optind];
	ret = zs_db_run_resolve(db, argv[optind + 1], l.tld, &b);
	if (ret == 0 && strcmp(spec_a, "previous") == 0) {
		ret = zs_db_run_previous(db, b, &a);
		ret = ret != 0 ? ret : zs_db_run_check_results(db, a);
	} else if (ret == 0) {
		ret = zs_db_run_resolve(db, spec_a, l.tld, &a);
	}
	if (ret == 0) {
		ret = zs_db_print_diff(db, a, b, l.fmt, stdout, &counts);
	}
	if (ret == ZS_ERR_USAGE) {
		fprintf(stderr, "zonesweep diff: %s\n", zs_db_error(db));
		zs_db_close(db);
		return ZS_EXIT_USAGE;
	}
	if (ret != 0) {
		ret = db_failed(db);
		zs_db_close(db);
		return ret;
	}
	if (l.fmt == ZS_DB_FORMAT_TEXT) {
		printf("run %" PRId64 " -> run %" PRId64 ": %" PRId64
		       " newly non-compliant, %" PRId64 " fixed, %" PRId64
		       " changed otherwise, %" PRId64 " new, %" PRId64 " removed\n",
		       a, b, counts.newly_non_compliant, counts.fixed, counts.changed, counts.added,
		       counts.removed);
	}
	zs_db_close(db);
	return ZS_EXIT_OK;
}
