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
#include "scanner/base/buf.h"
#include "scanner/base/err.h"
#include "scanner/base/log.h"
#include "scanner/base/mem.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/ruleset.h"

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
	OPT_POLICY,
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
	const char *policy;
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
		{ "policy", required_argument, NULL, OPT_POLICY },
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
		case OPT_POLICY:
			a->policy = optarg;
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
		{ "replace", a->replace },
		{ "source", a->source != NULL },
		{ "until", a->until != NULL },
		{ "why", a->why != NULL },
		{ "list", a->list },
		{ "revoke", a->revoke != NULL },
		{ "ref", a->ref != NULL },
		{ "by", a->by != NULL },
		{ "on", a->on != NULL },
		{ "not-attested", a->not_attested },
		{ "policy", a->policy != NULL },
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
        "line is named and nothing is stored. Domains are registered names: labels of\n"
        "letters, digits and hyphens (or xn-- A-labels), 1 to 63 long, 253 in all.\n"
        "\n"
        "  --replace         also delete the contacts of domains not in the file\n"
        "  --source NAME     recorded with each contact (default: the file's name)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 done, 1 an invalid file (named by file:line: nothing stored) or the\n"
        "database failed, 2 usage error.\n";

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
        "spaces or commas; '#' starts a comment. All or nothing, and domains checked, as\n"
        "contacts.\n"
        "\n"
        "  --replace         for the domains in the file, delete selectors it no longer has\n"
        "  --source NAME     recorded with each selector (default: the file's name)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 done, 1 an invalid file (named by file:line: nothing stored) or the\n"
        "database failed, 2 usage error.\n";

int zs_cmd_selectors(int argc, char **argv)
{
	return import_or_list(argc, argv, selectors_help, zs_db_selectors_import,
	                      zs_db_print_selectors, "selectors");
}

/* The ids of a policy's rules (or attestation items), for a message: "A, B, C". */
static const char *policy_ids(const struct zs_policy *p, bool items, struct zs_buf *b)
{
	size_t n = items ? p->attest_count : p->rule_count;
	for (size_t i = 0; i < n; i++) {
		(void)zs_buf_puts(b, i > 0 ? ", " : "");
		(void)zs_buf_puts(b, items ? p->attest[i].id : p->rules[i].id);
	}
	return zs_buf_cstr(b);
}

static bool is_rule(const struct zs_policy *p, const char *id)
{
	for (size_t i = 0; i < p->rule_count; i++) {
		if (strcmp(p->rules[i].id, id) == 0) {
			return true;
		}
	}
	return false;
}

static bool is_item(const struct zs_policy *p, const char *id)
{
	for (size_t i = 0; i < p->attest_count; i++) {
		if (strcmp(p->attest[i].id, id) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * What an exemption or an attestation is about, checked before anything is recorded: the
 * domain (registered-domain syntax, lower case), and @p id against the policy its TLD is swept
 * with (--policy, else the TLD's newest run's, else the TLD's default): a rule of it for an
 * exemption, an attestation item for an attestation. @return -1 to go on, or the exit status
 */
static int check_subject(struct zs_db *db, const struct args *a, const char *domain_arg,
                         const char *id, bool item, char *domain, size_t len)
{
	char tld[256];
	char used[128];
	struct zs_policy *policy = NULL;
	char *name = zs_cli_domain(domain_arg); /* logs why it is refused */

	if (name == NULL) {
		return ZS_EXIT_USAGE;
	}
	(void)snprintf(domain, len, "%s", name);
	zs_free(name);
	if (zs_db_domain_tld(db, domain, tld, sizeof(tld), used, sizeof(used)) != 0) {
		return failed(db);
	}
	const char *which = a->policy != NULL ? a->policy : used[0] != '\0' ? used : NULL;
	if (zs_cli_load_policy(which, tld, &policy) != 0) {
		if (a->policy == NULL && which != NULL) {
			zs_log_error(ZS_LOG_MAIN,
			             "TLD %s is swept with policy '%s': give it with "
			             "--policy NAME|FILE",
			             tld, which);
		}
		return ZS_EXIT_FAIL;
	}
	struct zs_buf ids;
	zs_buf_init(&ids, 64 * 1024);
	int ret = -1;
	if (item && !is_item(policy, id)) {
		fprintf(stderr, "zonesweep %s: %s %s; the attestation items of policy %s %s: %s\n",
		        a->cmd, id,
		        is_rule(policy, id)
		                ? "is a rule checked from the DNS: it cannot be attested"
		                : "is not an attestation item",
		        policy->name, policy->version, policy_ids(policy, true, &ids));
		ret = ZS_EXIT_USAGE;
	} else if (!item && !is_rule(policy, id)) {
		fprintf(stderr, "zonesweep %s: %s %s; the rules of policy %s %s: %s\n", a->cmd, id,
		        is_item(policy, id)
		                ? "is an attestation item, not a rule: nothing to exempt"
		                : "is not a rule",
		        policy->name, policy->version, policy_ids(policy, false, &ids));
		ret = ZS_EXIT_USAGE;
	}
	zs_buf_deinit(&ids);
	zs_policy_free(policy);
	return ret;
}

/* A date option against today: later than today (--until), or not later (--on).
 * @return -1 to go on, or the exit status */
static int check_date(const struct args *a, const char *opt, const char *date, bool future)
{
	char today[11];
	if (zs_cli_date(opt, date) != 0) {
		return ZS_EXIT_USAGE;
	}
	zs_cli_today(today);
	int cmp = strcmp(date, today);
	if (future && cmp <= 0) {
		fprintf(stderr, "zonesweep %s: --%s %s: not later than today (%s)\n", a->cmd, opt,
		        date, today);
		return ZS_EXIT_USAGE;
	}
	if (!future && cmp > 0) {
		fprintf(stderr, "zonesweep %s: --%s %s: in the future (today is %s)\n", a->cmd, opt,
		        date, today);
		return ZS_EXIT_USAGE;
	}
	return -1;
}

/* --revoke ID of an exemption or an attestation. */
typedef int (*revoke_fn)(struct zs_db *db, int64_t id, const char *by);

static int revoke_one(const struct args *a, int operands, revoke_fn revoke, const char *what)
{
	char *end = NULL;
	errno = 0;
	long long id = strtoll(a->revoke, &end, 10);
	if (operands != 0 || errno != 0 || end == a->revoke || *end != '\0' || id <= 0) {
		char msg[80];
		snprintf(msg, sizeof(msg), "--revoke takes an %s id and nothing else", what);
		return usage(a->cmd, msg);
	}
	struct zs_db *db = NULL;
	if (open_db(a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	const char *by = zs_cli_operator(a->by);
	int ret = revoke(db, id, by);
	if (ret == 0) {
		printf("%s %lld revoked by %s\n", what, id, by);
	}
	ret = ret == 0 ? ZS_EXIT_OK : failed(db);
	zs_db_close(db);
	return ret;
}

static const char exempt_help[] =
        "usage: zonesweep exempt DOMAIN RULE --until YYYY-MM-DD --why TEXT [--by NAME]\n"
        "                        [--policy NAME|FILE] [--db CONNINFO]\n"
        "       zonesweep exempt --list [DOMAIN] [--format text|csv|json] [--db CONNINFO]\n"
        "       zonesweep exempt --revoke ID [--by NAME] [--db CONNINFO]\n"
        "\n"
        "Exempt a domain from a rule until a date (e.g. fTLD's implementation phase:\n"
        "FTLD-DMARC-REJECT then counts as a warning). Exemptions are revoked, never\n"
        "deleted; --list shows them all with their state (active, expired, revoked).\n"
        "RULE must be a rule of the policy the domain's TLD is swept with.\n"
        "\n"
        "  --until DATE      last day of the exemption (later than today)\n"
        "  --why TEXT        the reason, kept with the exemption\n"
        "  --by NAME         who grants or revokes it (default: the operating system's user)\n"
        "  --policy P        the policy RULE belongs to (default: the one the TLD's newest\n"
        "                    run used, else the TLD's default)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 done, 1 the database failed or no such exemption is in force,\n"
        "2 usage error (an invalid domain, rule or date).\n";

int zs_cmd_exempt(int argc, char **argv)
{
	struct args a = { 0 };
	int ret = parse(argc, argv, exempt_help, &a);
	if (ret >= 0 || (ret = refuse(&a, "until why list revoke by policy")) >= 0) {
		return ret;
	}
	int operands = argc - a.first;
	struct zs_db *db = NULL;
	if (a.list) {
		if (a.revoke != NULL || a.until != NULL || a.why != NULL || a.by != NULL) {
			return usage(a.cmd, "--list takes only a DOMAIN and --format");
		}
		return list_domain(&a, argc, argv, a.first, zs_db_print_exemptions);
	}
	if (a.revoke != NULL) {
		return revoke_one(&a, operands, zs_db_exemption_revoke, "exemption");
	}
	if (operands != 2 || a.until == NULL || a.why == NULL) {
		return usage(a.cmd, "DOMAIN RULE --until DATE --why TEXT expected");
	}
	if ((ret = check_date(&a, "until", a.until, true)) >= 0) {
		return ret;
	}
	if (open_db(&a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	char domain[1100];
	const char *rule = argv[a.first + 1];
	ret = check_subject(db, &a, argv[a.first], rule, false, domain, sizeof(domain));
	if (ret >= 0) {
		zs_db_close(db);
		return ret;
	}
	int64_t id = 0;
	ret = zs_db_exemption_add(db, domain, rule, a.until, a.why, zs_cli_operator(a.by), &id);
	if (ret == 0) {
		printf("exemption %" PRId64 ": %s from %s until %s\n", id, domain, rule, a.until);
	}
	return added(db, a.cmd, ret);
}

static const char attest_help[] =
        "usage: zonesweep attest DOMAIN ITEM --ref TEXT [--by NAME] [--on YYYY-MM-DD]\n"
        "                        [--not-attested] [--policy NAME|FILE] [--db CONNINFO]\n"
        "       zonesweep attest --list [DOMAIN] [--format text|csv|json] [--db CONNINFO]\n"
        "       zonesweep attest --revoke ID [--by NAME] [--db CONNINFO]\n"
        "\n"
        "Record what a registrant's compliance report states for an item that cannot be\n"
        "checked from outside (no open relay, SMTP AUTH...). The newest statement per\n"
        "domain and item that was not revoked counts; attestations are never counted as\n"
        "checked. ITEM must be an attestation item of the policy the domain's TLD is swept\n"
        "with (a rule checked from the DNS cannot be attested).\n"
        "\n"
        "  --ref TEXT        the document's reference (required)\n"
        "  --by NAME         who attests, or revokes (default: the operating system's user)\n"
        "  --on DATE         date of the statement (default: today; not in the future)\n"
        "  --not-attested    record that the item is not attested\n"
        "  --policy P        the policy ITEM belongs to (default: the one the TLD's newest\n"
        "                    run used, else the TLD's default)\n"
        "  --format F        text (default), csv or json (JSON Lines)\n"
        "  --db CONNINFO     libpq connection string or URI (default: PG* variables)\n"
        "\n"
        "Exit status: 0 done, 1 the database failed or no such attestation is in force,\n"
        "2 usage error (an invalid domain, item or date).\n";

int zs_cmd_attest(int argc, char **argv)
{
	struct args a = { 0 };
	int ret = parse(argc, argv, attest_help, &a);
	if (ret >= 0 || (ret = refuse(&a, "ref by on not-attested list revoke policy")) >= 0) {
		return ret;
	}
	int operands = argc - a.first;
	struct zs_db *db = NULL;
	if (a.list) {
		if (a.ref != NULL || a.by != NULL || a.on != NULL || a.not_attested ||
		    a.revoke != NULL) {
			return usage(a.cmd, "--list takes only a DOMAIN and --format");
		}
		return list_domain(&a, argc, argv, a.first, zs_db_print_attestations);
	}
	if (a.revoke != NULL) {
		if (a.ref != NULL || a.on != NULL || a.not_attested) {
			return usage(a.cmd,
			             "--revoke takes an attestation id, --by and nothing else");
		}
		return revoke_one(&a, operands, zs_db_attestation_revoke, "attestation");
	}
	if (operands != 2 || a.ref == NULL) {
		return usage(a.cmd, "DOMAIN ITEM --ref TEXT expected");
	}
	if (a.on != NULL && (ret = check_date(&a, "on", a.on, false)) >= 0) {
		return ret;
	}
	if (open_db(&a, &db) != 0) {
		return ZS_EXIT_FAIL;
	}
	char domain[1100];
	const char *item = argv[a.first + 1];
	ret = check_subject(db, &a, argv[a.first], item, true, domain, sizeof(domain));
	if (ret >= 0) {
		zs_db_close(db);
		return ret;
	}
	int64_t id = 0;
	ret = zs_db_attestation_add(db, domain, item, !a.not_attested, a.on, zs_cli_operator(a.by),
	                            a.ref, &id);
	if (ret == 0) {
		printf("attestation %" PRId64 ": %s %s %s\n", id, domain, item,
		       a.not_attested ? "not attested" : "attested");
	}
	return added(db, a.cmd, ret);
}
