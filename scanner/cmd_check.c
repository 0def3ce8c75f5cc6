/* SPDX-License-Identifier: MIT */
/*
 * zonesweep check: everything the sweep would collect for a few domains, and each rule's
 * verdict with its reason and its fix, for a registrant or an officer. The same probe as the
 * sweep, on a loop of its own.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/base/err.h"
#include "scanner/base/json.h"
#include "scanner/base/log.h"
#include "scanner/cli.h"
#include "scanner/commands.h"
#include "scanner/policy/dkim_provider.h"
#include "scanner/policy/psl.h"
#include "scanner/probe.h"
#include "scanner/session.h"

enum { CHECK_MAX_DOMAINS = 1000, CHECK_MAX_POLICIES = 8, CHECK_MAX_SELECTORS = 32 };

/** Exit status of a check whose only finding is a domain that does not exist. */
enum { ZS_EXIT_NONEXISTENT = 3 };

struct check_item {
	const char *domain;
	struct zs_probe *probe;
	struct zs_probe_env *env;
	bool done;
};

struct check_ctx {
	struct zs_session session;
	struct check_item *items;
	size_t count;
	size_t open;
	struct zs_probe_env envs[CHECK_MAX_POLICIES];
	struct zs_policy *policies[CHECK_MAX_POLICIES];
	size_t policy_count;
};

static void check_usage(FILE *f)
{
	fprintf(f,
	        "usage: zonesweep check DOMAIN... [options]\n"
	        "\n"
	        "Check domains as the nightly sweep does: every record the policy asks about, each\n"
	        "rule's verdict with its reason, and the record to publish for each failure.\n"
	        "\n"
	        "  --policy NAME|FILE     the ruleset (default: from the domain's TLD: post for .post,\n"
	        "                         ftld for .bank and .insurance, baseline otherwise)\n"
	        "  --resolver ADDR[:PORT] a recursive resolver (repeatable; default: the first\n"
	        "                         nameserver of /etc/resolv.conf)\n"
	        "  --selector SEL         a DKIM selector of the domain to probe (repeatable)\n"
	        "  --selectors FILE       the DKIM selector list (default: the built-in list)\n"
	        "  --providers FILE       mail providers and the DKIM selectors they use (default:\n"
	        "                         the built-in table)\n"
	        "  --timeout MS           first per-query timeout (default 2000)\n"
	        "  --tries N              tries per question (default 3)\n"
	        "  --budget SECONDS       time allowed per domain (default 60)\n"
	        "  --json                 one JSON object per domain, one per line\n"
	        "  --color WHEN           auto (default), always or never\n"
	        "\n"
	        "Exit status: 0 every domain is compliant, 1 a domain is not (or could not be\n"
	        "checked), 2 usage error, 3 a domain does not exist (NXDOMAIN: not registered or\n"
	        "not delegated; no rule applies) and none of the others failed.\n");
}

/*
 * The name itself does not exist: the MX question about it ended in NXDOMAIN (RFC 8020: nothing
 * exists there). It is not registered (or not delegated), and no compliance verdict applies.
 */
static bool does_not_exist(const struct zs_probe_result *r)
{
	return r->summary != NULL && r->summary->mx.status == ZS_DNS_NXDOMAIN;
}

static int render_nonexistent(const char *domain, bool json, struct zs_buf *out)
{
	static const char why[] = "not registered, or not delegated; no rule applies";
	if (!json) {
		return zs_buf_printf(out, "%s — does not exist (NXDOMAIN): %s", domain, why);
	}
	struct zs_json j;
	zs_json_init(&j, out);
	zs_json_obj_begin(&j);
	zs_json_kstr(&j, "domain", domain);
	zs_json_kstr(&j, "status", "nonexistent");
	zs_json_kstr(&j, "reason",
	             "the name does not exist (NXDOMAIN): not registered, or not "
	             "delegated; no rule applies");
	zs_json_obj_end(&j);
	return zs_json_error(&j);
}

static void probe_done(struct zs_probe *p, void *arg)
{
	struct check_item *item = arg;
	struct check_ctx *ctx = item->env->loop->data;

	item->done = true;
	if (--ctx->open == 0) {
		zs_session_finish(&ctx->session);
	}
}

/* The environment (policy) a domain is checked under. */
static struct zs_probe_env *env_for(struct check_ctx *ctx, const struct zs_probe_env *base,
                                    const char *policy_arg, const char *domain)
{
	const char *tld = strrchr(domain, '.') + 1;
	const char *want = policy_arg != NULL ? policy_arg : zs_policy_default_for_tld(tld);

	for (size_t i = 0; i < ctx->policy_count; i++) {
		if (strcmp(ctx->policies[i]->path, want) == 0 ||
		    strcmp(ctx->policies[i]->name, want) == 0) {
			return &ctx->envs[i];
		}
	}
	if (ctx->policy_count == CHECK_MAX_POLICIES) {
		return NULL;
	}
	struct zs_policy *pol = NULL;
	if (zs_cli_load_policy(want, tld, &pol) != 0) {
		return NULL;
	}
	ctx->policies[ctx->policy_count] = pol;
	ctx->envs[ctx->policy_count] = *base;
	ctx->envs[ctx->policy_count].policy = pol;
	return &ctx->envs[ctx->policy_count++];
}

int zs_cmd_check(int argc, char **argv)
{
	enum {
		OPT_POLICY = 256,
		OPT_SELECTOR,
		OPT_SELECTORS,
		OPT_PROVIDERS,
		OPT_BUDGET,
		OPT_JSON,
		OPT_COLOR,
		OPT_HELP,
	};
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "selectors", required_argument, NULL, OPT_SELECTORS },
		{ "providers", required_argument, NULL, OPT_PROVIDERS },
		{ "budget", required_argument, NULL, OPT_BUDGET },
		ZS_CLI_DNS_OPTIONS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "colour", required_argument, NULL, OPT_COLOR },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct zs_resolver_opts ropts = { 0 };
	const char *policy_arg = NULL;
	const char *selectors_path = NULL;
	const char *providers_path = NULL;
	const char *declared[CHECK_MAX_SELECTORS];
	size_t declared_count = 0;
	unsigned budget_s = 60;
	bool json = false;
	int colour = -1;
	int bad = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_POLICY:
			policy_arg = optarg;
			break;
		case OPT_SELECTOR:
			if (declared_count == CHECK_MAX_SELECTORS) {
				zs_log_error(ZS_LOG_MAIN, "--selector: at most %d",
				             CHECK_MAX_SELECTORS);
				bad = 1;
			} else {
				declared[declared_count++] = optarg;
			}
			break;
		case OPT_SELECTORS:
			selectors_path = optarg;
			break;
		case OPT_PROVIDERS:
			providers_path = optarg;
			break;
		case OPT_BUDGET:
			bad |= zs_cli_uint("budget", optarg, 1, 3600, &budget_s);
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "always") == 0) {
				colour = 1;
			} else if (strcmp(optarg, "never") == 0) {
				colour = 0;
			} else if (strcmp(optarg, "auto") == 0) {
				colour = -1;
			} else {
				zs_log_error(ZS_LOG_MAIN, "--color: auto, always or never");
				bad = 1;
			}
			break;
		case OPT_HELP:
			check_usage(stdout);
			return ZS_EXIT_OK;
		default:
			if (zs_cli_dns_option(c, optarg, &ropts, &bad)) {
				break;
			}
			zs_cli_usage_hint("check");
			return ZS_EXIT_USAGE;
		}
	}
	size_t count = (size_t)(argc - optind);
	if (count == 0 || count > CHECK_MAX_DOMAINS) {
		zs_log_error(ZS_LOG_MAIN, "check: give 1 to %d domains", CHECK_MAX_DOMAINS);
		bad = 1;
	}
	if (bad != 0) {
		zs_cli_usage_hint("check");
		return ZS_EXIT_USAGE;
	}
	if (zs_cli_default_resolver(&ropts) != 0) {
		return ZS_EXIT_USAGE;
	}
	if (zs_session_resolvers_answer(&ropts) != 0) {
		return ZS_EXIT_FAIL;
	}
	if (colour < 0) {
		colour = isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR") == NULL;
	}

	struct check_ctx ctx = { .count = count };
	struct zs_arena arena;
	const char **selectors = NULL;
	size_t selector_count = 0;
	struct zs_dkim_providers providers = { 0 };
	struct zs_psl *psl = NULL;
	char today[11];
	int status = ZS_EXIT_OK;
	bool nonexistent = false;

	zs_arena_init(&arena);
	ctx.items = zs_calloc(count, sizeof(*ctx.items));
	for (size_t i = 0; i < count; i++) {
		char *d = zs_cli_domain(argv[optind + i]);
		if (d == NULL) {
			status = ZS_EXIT_USAGE;
		}
		ctx.items[i].domain = d;
	}
	if (status != ZS_EXIT_OK ||
	    zs_cli_load_selectors(selectors_path, &arena, &selectors, &selector_count) != 0 ||
	    zs_cli_load_providers(providers_path, &arena, &providers) != 0) {
		status = status != ZS_EXIT_OK ? status : ZS_EXIT_FAIL;
		goto out;
	}
	(void)zs_psl_open_system(&psl);
	zs_cli_today(today);
	if (zs_session_open(&ctx.session, &ropts) != 0) {
		status = ZS_EXIT_FAIL;
		goto out;
	}
	ctx.session.loop.data = &ctx;
	struct zs_probe_env base = {
		.loop = &ctx.session.loop,
		.res = ctx.session.res,
		.psl = psl,
		.selectors = selectors,
		.selector_count = selector_count,
		.providers = &providers,
		.today = today,
		.budget_ms = budget_s * 1000,
		.validating = ropts.validating,
	};
	for (size_t i = 0; i < count; i++) {
		struct check_item *item = &ctx.items[i];
		struct zs_probe_domain dom = {
			.name = item->domain,
			.declared_selectors = declared,
			.declared_count = declared_count,
		};
		item->env = env_for(&ctx, &base, policy_arg, item->domain);
		if (item->env == NULL ||
		    zs_probe_start(item->env, &dom, probe_done, item, &item->probe) != 0) {
			status = ZS_EXIT_FAIL;
			break;
		}
		ctx.open++;
	}
	if (ctx.open == 0) {
		zs_session_finish(&ctx.session);
	}
	if (status == ZS_EXIT_OK) {
		zs_session_run(&ctx.session);
	}

	struct zs_buf out;
	zs_buf_init(&out, 256 * 1024 * 1024);
	for (size_t i = 0; i < count; i++) {
		struct check_item *item = &ctx.items[i];
		if (!item->done) {
			continue;
		}
		const struct zs_probe_result *r = zs_probe_result(item->probe);
		bool absent = does_not_exist(r);
		zs_buf_reset(&out);
		int ret = absent ? render_nonexistent(item->domain, json, &out)
		          : json ? zs_probe_result_json(item->probe, &out)
		                 : zs_probe_render_text(item->probe, colour == 1, &out);
		if (ret == 0) {
			fputs(zs_buf_cstr(&out), stdout);
			fputc('\n', stdout);
		}
		if (absent) {
			nonexistent = true;
		} else if (strcmp(r->status, "compliant") != 0) {
			status = ZS_EXIT_FAIL;
		}
	}
	if (status == ZS_EXIT_OK && nonexistent) {
		status = ZS_EXIT_NONEXISTENT;
	}
	zs_buf_deinit(&out);
	for (size_t i = 0; i < count; i++) {
		if (ctx.items[i].probe != NULL) {
			if (ctx.items[i].done) {
				zs_probe_free(ctx.items[i].probe);
			} else {
				zs_probe_cancel(ctx.items[i].probe);
			}
		}
	}
	zs_session_close(&ctx.session);
out:
	for (size_t i = 0; i < count; i++) {
		zs_free((void *)ctx.items[i].domain);
	}
	for (size_t i = 0; i < ctx.policy_count; i++) {
		zs_policy_free(ctx.policies[i]);
	}
	zs_free(ctx.items);
	zs_psl_close(psl);
	zs_arena_deinit(&arena);
	return status;
}
