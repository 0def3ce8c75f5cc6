/* SPDX-License-Identifier: MIT */
/*
 * The commands that record what the registry knows besides the sweep: `contacts` (registrant
 * contacts from a CSV file), `selectors` (declared DKIM selectors), `exempt` (a rule does not
 * count against a domain until a date) and `attest` (a registrant's statement on an item that
 * cannot be checked from outside). Options and messages only; the SQL lives in db/.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/commands.h"

enum {
	OPT_DB = 1000,
	OPT_FORMAT,
	OPT_REPLACE,
	OPT_SOURCE,
	OPT_UNTIL,
	OPT_WHY,
	OPT_LIST,
	OPT_REVOKE,
	OPT_REF,
	OPT_BY,
	OPT_ON,
	OPT_NOT_ATTESTED,
};

/* Everything these commands may be given; each command checks what applies to it. */
struct args {
	const char *cmd;
	const char *conninfo;
	enum zs_db_format fmt;
	bool replace;
	const char *source;
	const char *until;
	const char *why;
	bool list;
	const char *revoke;
	const char *ref;
	const char *by;
	const char *on;
	bool not_attested;
	int first; /**< index of the first operand */
};

static int usage(const char *cmd, const char *msg)
{
	fprintf(stderr, "zonesweep %s: %s (see zonesweep %s --help)\n", cmd, msg, cmd);
	return ZS_EXIT_USAGE;
}

static int failed(struct zs_db *db)
{
	zs_log_error(ZS_LOG_MAIN, "%s", zs_db_error(db));
	return ZS_EXIT_FAIL;
}

/* Parse the options. @return -1 to go on, or the exit status */
static int parse(int argc, char **argv, const char *help, struct args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "why", required_argument, NULL, OPT_WHY },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "revoke", required_argument, NULL, OPT_REVOKE },
		{ "ref", required_argument, NULL, OPT_REF },
		{ "by", required_argument, NULL, OPT_BY },
		{ "on", required_argument, NULL, OPT_ON },
		{ "not-attested", no_argument, NULL, OPT_NOT_ATTESTED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c = 0;
	a->cmd = argv[0];
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			a->conninfo = optarg;
			break;
		case OPT_FORMAT:
			if (zs_db_format_parse(optarg, &a->fmt) != 0) {
				return usage(a->cmd, "--format is text, csv or json");
			}
			break;
		case OPT_REPLACE:
			a->replace = true;
			break;
		case OPT_SOURCE:
			a->source = optarg;
			break;
		case OPT_UNTIL:
			a->until = optarg;
			break;
		case OPT_WHY:
			a->why = optarg;
			break;
		case OPT_LIST:
			a->list = true;
			break;
		case OPT_REVOKE:
			a->revoke = optarg;
			break;
		case OPT_REF:
			a->ref = optarg;
			break;
		case OPT_BY:
			a->by = optarg;
			break;
		case OPT_ON:
			a->on = optarg;
			break;
		case OPT_NOT_ATTESTED:
			a->not_attested = true;
			break;
		case 'h':
			fputs(help, stdout);
			return ZS_EXIT_OK;
		default:
			return usage(a->cmd, "unknown option");
		}
	}
	a->first = optind;
	return -1;
}

/* Options a command does not take are refused rather than ignored. */
static int refuse(const struct args *a, const char *allowed)
{
	const struct {
		const char *name;
		bool given;
	} given[] = {
		{ "replace", a->replace },     { "source", a->source != NULL },
		{ "until", a->until != NULL }, { "why", a->why != NULL },
		{ "list", a->list },           { "revoke", a->revoke != NULL },
		{ "ref", a->ref != NULL },     { "by", a->by != NULL },
		{ "on", a->on != NULL },       { "not-attested", a->not_attested },
	};
	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		if (given[i].given && strstr(allowed, given[i].name) == NULL) {
			fprintf(stderr,
			        "zonesweep %s: --%s does not apply here (see zonesweep %s --help)\n",
			        a->cmd, given[i].name, a->cmd);
			return ZS_EXIT_USAGE;
		}
	}
	return -1;
}

static int open_db(const struct args *a, struct zs_db **db)
{
	return zs_db_open_checked(a->conninfo, db) == 0 ? 0 : failed(NULL);
}

/* Print a listing of all domains, or of the one DOMAIN operand from argv[first] on. */
typedef int (*list_fn)(struct zs_db *db, const char *domain, enum zs_db_format fmt, FILE *out);

static int list_domain(const struct args *a, int argc, char **argv, int first, list_fn list)
{
	char domain[1100];
	int operands = argc - first;
	if (operands > 1) {
		return usage(a->cmd, "a listing takes at most one DOMAIN");
	}
	if (operands == 1 && zs_db_domain_normalize(argv[first], domain, sizeof(domain)) != 0) {
		return usage(a->cmd, "invalid domain name");
	}
	struct zs_db *db = NULL;
	if (open_db(a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	int ret = list(db, operands == 1 ? domain : NULL, a->fmt, stdout) == 0 ? ZS_EXIT_OK
	                                                                       : failed(db);
	zs_db_close(db);
	return ret;
}

/* The exit status of a record added (exemption, attestation); closes @p db. */
static int added(struct zs_db *db, const char *cmd, int ret)
{
	if (ret == ZS_ERR_USAGE) {
		fprintf(stderr, "zonesweep %s: %s\n", cmd, zs_db_error(db));
		ret = ZS_EXIT_USAGE;
	} else {
		ret = ret == 0 ? ZS_EXIT_OK : failed(db);
	}
	zs_db_close(db);
	return ret;
}

/* `contacts` and `selectors`: import FILE, or list [DOMAIN]. */
typedef int (*import_fn)(struct zs_db *db, FILE *in, const char *name, const char *source,
                         bool replace, struct zs_db_import_stats *stats);

static int import_or_list(int argc, char **argv, const char *help, import_fn import, list_fn list,
                          const char *what)
{
	struct args a = { 0 };
	int ret = parse(argc, argv, help, &a);
	if (ret >= 0 || (ret = refuse(&a, "replace source")) >= 0) {
		return ret;
	}
	if (a.first >= argc) {
		return usage(a.cmd, "a subcommand is needed: import FILE or list [DOMAIN]");
	}
	const char *sub = argv[a.first];
	if (strcmp(sub, "list") == 0) {
		if (a.replace || a.source != NULL) {
			return usage(a.cmd, "list takes no import options");
		}
		return list_domain(&a, argc, argv, a.first + 1, list);
	}
	if (strcmp(sub, "import") != 0) {
		return usage(a.cmd, "unknown subcommand: import or list");
	}
	if (argc - a.first - 1 != 1) {
		return usage(a.cmd, "import takes one FILE ('-' for standard input)");
	}
	struct zs_db *db = NULL;
	if (open_db(&a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	const char *path = argv[a.first + 1];
	bool std_in = strcmp(path, "-") == 0;
	FILE *in = std_in ? stdin : fopen(path, "r");
	if (in == NULL) {
		zs_log_error(ZS_LOG_MAIN, "%s: %s", path, strerror(errno));
		zs_db_close(db);
		return ZS_EXIT_FAIL;
	}
	struct zs_db_import_stats st;
	const char *name = std_in ? "(standard input)" : path;
	ret = import(db, in, name, a.source != NULL ? a.source : name, a.replace, &st);
	if (ret == 0) {
		printf("%s: %" PRId64 " %s read, %" PRId64 " stored, %" PRId64 " removed\n", name,
		       st.rows, what, st.stored, st.replaced);
	} else {
		ret = failed(db);
	}
	if (!std_in) {
		fclose(in);
	}
	zs_db_close(db);
	return ret;
}

static const char contacts_help[] =
        "usage: zonesweep contacts import FILE.csv [--replace] [--source NAME] [--db CONNINFO]\n"
        "       zonesweep contacts list [DOMAIN] [--format text|csv|json] [--db CONNINFO]\n"
        "\n"
        "Registrant contacts, to whom notices go. The CSV file (RFC 4180, UTF-8) has a\n"
        "header line naming its columns: domain and email are required, name and\n"
        "organisation optional, others ignored. The import is all or nothing: an invalid\n"
        "line is named and nothing is stored.\n"
        "\n"
        "  --replace         also delete the contacts of domains not in the file\n"
        "  --source NAME     recorded with each contact (default: the file's name)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n";

int zs_cmd_contacts(int argc, char **argv)
{
	return import_or_list(argc, argv, contacts_help, zs_db_contacts_import,
	                      zs_db_print_contacts, "contacts");
}

static const char selectors_help[] =
        "usage: zonesweep selectors import FILE [--replace] [--source NAME] [--db CONNINFO]\n"
        "       zonesweep selectors list [DOMAIN] [--format text|csv|json] [--db CONNINFO]\n"
        "\n"
        "DKIM selectors the registrants declared; the sweep tries them besides the usual\n"
        "ones. The file has one domain per line followed by its selectors, separated by\n"
        "spaces or commas; '#' starts a comment. All or nothing, as contacts.\n"
        "\n"
        "  --replace         for the domains in the file, delete selectors it no longer has\n"
        "  --source NAME     recorded with each selector (default: the file's name)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n";

int zs_cmd_selectors(int argc, char **argv)
{
	return import_or_list(argc, argv, selectors_help, zs_db_selectors_import,
	                      zs_db_print_selectors, "selectors");
}

static const char exempt_help[] =
        "usage: zonesweep exempt DOMAIN RULE --until YYYY-MM-DD --why TEXT [--db CONNINFO]\n"
        "       zonesweep exempt --list [DOMAIN] [--format text|csv|json] [--db CONNINFO]\n"
        "       zonesweep exempt --revoke ID [--db CONNINFO]\n"
        "\n"
        "Exempt a domain from a rule until a date (e.g. fTLD's implementation phase:\n"
        "FTLD-DMARC-REJECT then counts as a warning). Exemptions are revoked, never\n"
        "deleted; --list shows them all with their state (active, expired, revoked).\n"
        "\n"
        "  --until DATE      last day of the exemption (today or later)\n"
        "  --why TEXT        the reason, kept with the exemption\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n";

int zs_cmd_exempt(int argc, char **argv)
{
	struct args a = { 0 };
	int ret = parse(argc, argv, exempt_help, &a);
	if (ret >= 0 || (ret = refuse(&a, "until why list revoke")) >= 0) {
		return ret;
	}
	int operands = argc - a.first;
	struct zs_db *db = NULL;
	if (a.list) {
		if (a.revoke != NULL || a.until != NULL || a.why != NULL) {
			return usage(a.cmd, "--list takes only a DOMAIN and --format");
		}
		return list_domain(&a, argc, argv, a.first, zs_db_print_exemptions);
	}
	if (a.revoke != NULL) {
		char *end = NULL;
		errno = 0;
		long long id = strtoll(a.revoke, &end, 10);
		if (operands != 0 || errno != 0 || end == a.revoke || *end != '\0' || id <= 0) {
			return usage(a.cmd, "--revoke takes an exemption id and nothing else");
		}
		if (open_db(&a, &db) != 0) {
			return ZS_EXIT_FAIL;
		}
		ret = zs_db_exemption_revoke(db, id);
		if (ret == 0) {
			printf("exemption %lld revoked\n", id);
		}
		ret = ret == 0 ? ZS_EXIT_OK : failed(db);
		zs_db_close(db);
		return ret;
	}
	if (operands != 2 || a.until == NULL || a.why == NULL) {
		return usage(a.cmd, "DOMAIN RULE --until DATE --why TEXT expected");
	}
	if (open_db(&a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	int64_t id = 0;
	ret = zs_db_exemption_add(db, argv[a.first], argv[a.first + 1], a.until, a.why, &id);
	if (ret == 0) {
		printf("exemption %" PRId64 ": %s from %s until %s\n", id, argv[a.first],
		       argv[a.first + 1], a.until);
	}
	return added(db, a.cmd, ret);
}

static const char attest_help[] =
        "usage: zonesweep attest DOMAIN ITEM --ref TEXT [--by NAME] [--on YYYY-MM-DD]\n"
        "                        [--not-attested] [--db CONNINFO]\n"
        "       zonesweep attest --list [DOMAIN] [--format text|csv|json] [--db CONNINFO]\n"
        "\n"
        "Record what a registrant's compliance report states for an item that cannot be\n"
        "checked from outside (no open relay, SMTP AUTH...). The newest statement per\n"
        "domain and item counts; attestations are never counted as checked.\n"
        "\n"
        "  --ref TEXT        the document's reference (required)\n"
        "  --by NAME         who attested\n"
        "  --on DATE         date of the statement (default: today)\n"
        "  --not-attested    record that the item is not attested\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n";

int zs_cmd_attest(int argc, char **argv)
{
	struct args a = { 0 };
	int ret = parse(argc, argv, attest_help, &a);
	if (ret >= 0 || (ret = refuse(&a, "ref by on not-attested list")) >= 0) {
		return ret;
	}
	int operands = argc - a.first;
	struct zs_db *db = NULL;
	if (a.list) {
		if (a.ref != NULL || a.by != NULL || a.on != NULL || a.not_attested) {
			return usage(a.cmd, "--list takes only a DOMAIN and --format");
		}
		return list_domain(&a, argc, argv, a.first, zs_db_print_attestations);
	}
	if (operands != 2 || a.ref == NULL) {
		return usage(a.cmd, "DOMAIN ITEM --ref TEXT expected");
	}
	if (open_db(&a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	int64_t id = 0;
	ret = zs_db_attestation_add(db, argv[a.first], argv[a.first + 1], !a.not_attested, a.on,
	                            a.by, a.ref, &id);
	if (ret == 0) {
		printf("attestation %" PRId64 ": %s %s %s\n", id, argv[a.first], argv[a.first + 1],
		       a.not_attested ? "not attested" : "attested");
	}
	return added(db, a.cmd, ret);
}
